-- POST a new listener's five plays (items round robin from ITEMS_FILE) for fold-in recommendations.
local items = {}
for line in io.lines(os.getenv("ITEMS_FILE")) do items[#items + 1] = line end
local n = 0
request = function()
  local plays = {}
  for i = 1, 5 do
    n = n + 1
    plays[#plays + 1] = string.format('"%s": %d', items[(n * 7919 % #items) + 1], (n % 40) + 1)
  end
  local body = '{"plays": {' .. table.concat(plays, ", ") .. '}, "count": 10}'
  return wrk.format("POST", "/v1/recommendations", {["Content-Type"] = "application/json"}, body)
end
