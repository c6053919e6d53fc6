-- A dashboard's, an app's and a cadre's mix against one service, for wrk: 3 reads of lists and
-- aggregates for every write of a new child. Each write carries a fresh client id.
-- TOKEN comes from the environment; statuses are counted per class and printed at the end.

local token = os.getenv("TOKEN")
local reads = {
  "/api/v1/regions/14.01",
  "/api/v1/stats/prevalence?year=2025&region=14.01",
  "/api/v1/children?region=14.01&limit=20",
  "/api/v1/regions/14.01/summary?year=2025",
  "/api/v1/stats/interventions?year=2025&region=14",
  "/api/v1/children?region=14.01.01.2009&limit=50",
}
local threads = {}
local n = 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  math.randomseed(os.time() * 1000 + id)
  s2xx, s4xx, s429, s500, s503, s5xx, writes = 0, 0, 0, 0, 0, 0, 0
end

local function uuid()
  local hex = "0123456789abcdef"
  local s = {}
  for i = 1, 32 do
    local r = math.random(1, 16)
    s[i] = hex:sub(r, r)
  end
  s[13] = "4"
  return table.concat(s, "", 1, 8) .. "-" .. table.concat(s, "", 9, 12) .. "-" .. table.concat(s, "", 13, 16)
    .. "-" .. "8" .. table.concat(s, "", 18, 20) .. "-" .. table.concat(s, "", 21, 32)
end

function request()
  n = n + 1
  local headers = { ["Authorization"] = "Bearer " .. token }
  if n % 4 == 0 then
    writes = writes + 1
    headers["Content-Type"] = "application/json"
    local body = string.format(
      '{"id":"%s","village_code":"14.01.01.2009","sex":"female","birth_date":"2024-06-01","name":"Beban Uji"}', uuid())
    return wrk.format("POST", "/api/v1/children", headers, body)
  end
  return wrk.format("GET", reads[(n % #reads) + 1], headers)
end

function response(status, headers, body)
  if status < 300 then s2xx = s2xx + 1
  elseif status == 429 then s429 = s429 + 1
  elseif status < 500 then s4xx = s4xx + 1
  elseif status == 500 then s500 = s500 + 1
  elseif status == 503 then s503 = s503 + 1
  else s5xx = s5xx + 1 end
end

function done(summary, latency, requests)
  local total = { s2xx = 0, s4xx = 0, s429 = 0, s500 = 0, s503 = 0, s5xx = 0, writes = 0 }
  for _, thread in ipairs(threads) do
    for k, _ in pairs(total) do total[k] = total[k] + thread:get(k) end
  end
  io.write(string.format(
    "RESULT requests=%d errors_socket=%d p50_ms=%.1f p99_ms=%.1f s2xx=%d s4xx=%d s429=%d s500=%d s503=%d s5xx=%d writes=%d\n",
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    total.s2xx, total.s4xx, total.s429, total.s500, total.s503, total.s5xx, total.writes))
end
