-- GET the 10 items most similar to items taken round robin from ITEMS_FILE.
local items = {}
for line in io.lines(os.getenv("ITEMS_FILE")) do items[#items + 1] = line:gsub(" ", "%%20") end
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/v1/items/" .. items[(n % #items) + 1] .. "/similar?count=10")
end
