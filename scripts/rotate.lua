-- rotate.lua — a wrk script that asks for the request paths listed in the
-- file PATHS_FILE names, one per line, in turn (bench-http.sh,
-- bench-lookups.sh).
local paths = {}
for line in io.lines(os.getenv("PATHS_FILE")) do paths[#paths + 1] = line end
local i = 0
request = function()
	i = i % #paths + 1
	return wrk.format("GET", paths[i])
end
