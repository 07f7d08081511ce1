-- wrk script of bench/run.py: POSTs a random body of $BENCH_BODIES (one JSON body per line)
-- to /graphql, with $BENCH_TOKEN as bearer token when set, and counts failed answers: not 200,
-- or GraphQL errors at the top of the body (a mutation payload's typed errors, such as a stale
-- version's CONFLICT, are answers). "__N__" in a body becomes a number unique to the request.
local bodies = {}
for line in io.lines(os.getenv("BENCH_BODIES")) do
  bodies[#bodies + 1] = line
end
local headers = { ["Content-Type"] = "application/json" }
local bearer = os.getenv("BENCH_TOKEN")
if bearer and #bearer > 0 then
  headers["Authorization"] = "Bearer " .. bearer
end

errors = 0
local sent = 0
local run = tostring(os.time())
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() + #threads)
end

function request()
  local body = bodies[math.random(#bodies)]
  if body:find("__N__", 1, true) then
    sent = sent + 1
    body = body:gsub("__N__", run .. "-" .. tostring(math.random(1000000)) .. "-" .. sent)
  end
  return wrk.format("POST", "/graphql", headers, body)
end

function response(status, _, body)
  if status ~= 200 or body:sub(1, 10) == '{"errors":' then
    errors = errors + 1
  end
end

function done(summary, latency, _)
  local failed = 0
  for _, thread in ipairs(threads) do
    failed = failed + thread:get("errors")
  end
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"p50":%d,"p90":%d,"p99":%d,"errors":%d,'
      .. '"socket_errors":%d,"non2xx":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), failed,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
