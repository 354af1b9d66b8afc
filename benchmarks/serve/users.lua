-- GET top-10 for users taken round robin from USERS_FILE (one ID per line).
local users = {}
for line in io.lines(os.getenv("USERS_FILE")) do users[#users + 1] = line end
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/v1/users/" .. users[(n % #users) + 1] .. "/recommendations?count=10")
end
