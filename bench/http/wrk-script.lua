-- Driven by bench/http/load.ts. Each wrk thread loads this file in its own Lua state.
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
local products = {}
if os.getenv("BENCH_PRODUCTS") then
  for line in io.lines(os.getenv("BENCH_PRODUCTS")) do products[#products + 1] = line end
end
local method = os.getenv("BENCH_METHOD") or "GET"
local auth = os.getenv("BENCH_AUTH")
local run = os.getenv("BENCH_RUN") or "0"
local counter = 0
local next_thread = 0

function setup(thread)
  thread:set("tid", next_thread)
  next_thread = next_thread + 1
end

function init(args)
  math.randomseed(os.time() + (tid or 0) * 7919)
end

function request()
  local headers = {}
  if auth then headers["Authorization"] = auth end
  local path = paths[math.random(#paths)]
  if method == "POST" then
    counter = counter + 1
    headers["Content-Type"] = "application/json"
    headers["Idempotency-Key"] = string.format("bench-%s-%d-%d", run, tid or 0, counter)
    local product = products[math.random(#products)]
    local body = '{"items":[{"product_id":"' .. product .. '","quantity":1}],"payment_method":"pm_card_ok"}'
    return wrk.format("POST", path, headers, body)
  end
  return wrk.format(method, path, headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH_JSON {"requests":%d,"durationUs":%d,"non2xx":%d,"socketErrors":%d,"p50Us":%d,"p99Us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
