-- wrk script for the scan-capture benchmark (bench/scan_capture/run.sh).
--
--   wrk -t2 -c256 -d10s --latency -s scan.lua http://127.0.0.1:PORT -- /C/<token>
--
-- Every request is a scan of the channel code at the path given after `--`, as phones send it:
-- a mix of user agents (iPhone, Android, WeChat, Alipay, desktop), half of them returning
-- devices with a `kd` cookie and half first visits without one (the server then makes and sets a
-- device id). The requests are built once per thread in init() and replayed in turn, so the load
-- generator, which shares the machine's two cores with the server, spends little on Lua.
--
-- done() prints one machine-readable line that run.sh reads:
--   RESULT requests=N non2xx=N connect=N read=N write=N timeout=N duration_us=N p50_us=N p90_us=N p99_us=N max_us=N
-- (wrk counts a status above 399 as an error; neither server answers a scan with 1xx or 3xx, so
-- requests - non2xx is the number of 2xx responses.)

local agents = {
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Linux; Android 14; 23127PN0CC) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003137) NetType/WIFI Language/zh_CN",
  "Mozilla/5.0 (Linux; Android 13; V2227A) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/116.0.0.0 Mobile Safari/537.36 AlipayClient/10.5.96",
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
}
local languages = { "zh-CN,zh;q=0.9", "zh-CN,zh;q=0.9,en;q=0.8", "en-US,en;q=0.9" }

local requests = {}
local next_request = 1

local function device_id(n)
  return string.format("%08x%08x%08x%08x", n, n * 7919 % 4294967291, n * 104729 % 4294967291, 48879)
end

function init(args)
  local path = args[1]
  if path == nil or path == "" then
    error("give the channel code's path after --, e.g. -- /C/EL3-POSTER-V2.AXXXXXXXXXXXXXXXX")
  end
  -- 60 distinct requests: 5 agents x 3 languages x (cookie, no cookie) x 2 devices.
  local n = 0
  for i = 1, 2 do
    for a = 1, #agents do
      for l = 1, #languages do
        for _, with_cookie in ipairs({ true, false }) do
          n = n + 1
          local headers = {
            ["User-Agent"] = agents[a],
            ["Accept"] = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            ["Accept-Language"] = languages[l],
          }
          if with_cookie then headers["Cookie"] = "kd=" .. device_id(n + 1000 * i) end
          requests[#requests + 1] = wrk.format("GET", path, headers)
        end
      end
    end
  end
end

function request()
  local r = requests[next_request]
  next_request = next_request % #requests + 1
  return r
end

function done(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d non2xx=%d connect=%d read=%d write=%d timeout=%d duration_us=%d " ..
    "p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    summary.requests, e.status, e.connect, e.read, e.write, e.timeout, summary.duration,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
