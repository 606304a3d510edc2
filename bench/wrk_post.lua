-- wrk script for bench/ingest_bench.py: POSTs the same NDJSON body over and over, 1 KiB
-- unless WRK_BODY_KIB says otherwise.
--
--   wrk -t2 -c64 -d20s -s bench/wrk_post.lua http://127.0.0.1:PORT/v1/sources/bench/payloads
--   WRK_BODY_KIB=64 wrk ... -s bench/wrk_post.lua URL      # 64 KiB bodies
--
-- The body is N * 8 NDJSON lines of exactly 128 bytes each (a JSON object and "\n"), so
-- N KiB is exactly N * 1024 bytes; the 1 KiB body is the same 8 lines as ever.
-- Every response status is counted per thread (wrk itself only counts >= 400 as an
-- error); done() prints one line `WRK_RESULT {json}` that the Python driver parses:
--   requests, duration_s, rps, non2xx, statuses {code: count}, bytes, body_bytes,
--   errors {connect, read, write, status, timeout}, latency_us {p50, p90, p99, p999, max,
--   mean}.
-- Environment (read in every Lua state wrk makes, so setup/init/done all agree):
--   WRK_PATH       request path (default /v1/sources/bench/payloads)
--   WRK_BODY_KIB   body size in KiB, a positive integer (default 1)

local LINE_BYTES = 128
local BODY_KIB = tonumber(os.getenv("WRK_BODY_KIB") or "1")
assert(BODY_KIB and BODY_KIB >= 1 and BODY_KIB == math.floor(BODY_KIB),
       "WRK_BODY_KIB must be a positive integer")
local RECORDS = BODY_KIB * 1024 / LINE_BYTES   -- 8 lines of 128 bytes per KiB

local function make_body()
  local lines = {}
  for i = 1, RECORDS do
    local head = string.format(
      '{"id":%d,"ts":"2026-11-23T01:%02d:%02d.000Z","amount":%d.%02d,"currency":"EUR","memo":"',
      i, math.floor(i / 60) % 60, i % 60, 10 * i, i % 100)
    local tail = '"}'
    local pad = LINE_BYTES - #head - #tail - 1
    assert(pad >= 0, "NDJSON line longer than 128 bytes")
    lines[#lines + 1] = head .. string.rep("x", pad) .. tail .. "\n"
  end
  return table.concat(lines)
end

wrk.method = "POST"
wrk.path = os.getenv("WRK_PATH") or "/v1/sources/bench/payloads"
wrk.body = make_body()
wrk.headers["Content-Type"] = "application/x-ndjson"
assert(#wrk.body == BODY_KIB * 1024, "body is not WRK_BODY_KIB KiB")

local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

function init(args)
  non2xx = 0
  statuses = {}
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

local function json_object(t)
  local parts = {}
  for k, v in pairs(t) do
    parts[#parts + 1] = string.format('"%s":%d', k, v)
  end
  table.sort(parts)
  return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, requests)
  local n = 0
  local all = {}
  for _, t in ipairs(threads) do
    n = n + (t:get("non2xx") or 0)
    local st = t:get("statuses") or {}
    for k, v in pairs(st) do
      all[k] = (all[k] or 0) + v
    end
  end
  local dur = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"duration_s":%.6f,"rps":%.2f,"non2xx":%d,"statuses":%s,' ..
    '"bytes":%d,"body_bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,' ..
    '"timeout":%d},"latency_us":{"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d,"mean":%.1f}}\n',
    summary.requests, dur, summary.requests / dur, n, json_object(all),
    summary.bytes, #wrk.body, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean))
end
