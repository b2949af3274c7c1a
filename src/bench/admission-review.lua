-- wrk script: POSTs the AdmissionReview in $BENCH_BODY to $BENCH_PATH with a different request.uid on every
-- request (a pool of pre-built requests, so the client spends no time formatting), optionally paced to
-- $BENCH_RATE requests/s across all connections, and prints one machine-readable line at the end.
local body_file = os.getenv("BENCH_BODY")
local path = os.getenv("BENCH_PATH") or "/mutate?timeout=5s"
local rate = tonumber(os.getenv("BENCH_RATE") or "0")
local connections = tonumber(os.getenv("BENCH_CONNECTIONS") or "25")
local pool = {}
local next_request = 1
local pacing_ms = 0

function init(args)
  local file = assert(io.open(body_file, "rb"))
  local template = file:read("*a")
  file:close()
  local headers = {
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json, */*",
    ["User-Agent"] = "kube-apiserver-admission",
  }
  local thread_id = math.random(0, 0xffff)
  for i = 1, 1024 do
    local uid = string.format("%08x-%04x-4%03x-8000-%012x", i, thread_id, i % 4096, i * 7919)
    local body = template:gsub("00000000%-0000%-4000%-8000%-000000000000", uid, 1)
    pool[i] = wrk.format("POST", path, headers, body)
  end
  if rate > 0 then
    -- Each connection sends its next request this long after the previous answer: closed loop, so the
    -- achieved rate is a little under the target and is reported as measured.
    pacing_ms = math.floor(connections * 1000 / rate)
  end
end

function request()
  local r = pool[next_request]
  next_request = next_request % #pool + 1
  return r
end

if rate > 0 then
  function delay()
    return pacing_ms
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d p999_us=%d max_us=%d "
      .. "err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
      latency:percentile(99.9), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
