-- wrk script for bench/ingest_bench.py: POSTs the same 1 KiB NDJSON body over and over.
--
--   wrk -t2 -c64 -d20s -s bench/wrk_post.lua http://127.0.0.1:PORT/v1/sources/bench/payloads
--
-- Every response status is counted per thread (wrk itself only counts >= 400 as an
-- error); done() prints one line `WRK_RESULT {json}` that the Python driver parses:
--   requests, duration_s, rps, non2xx, statuses {code: count}, bytes,
--   errors {connect, read, write, status, timeout}, latency_us {p50, p90, p99, p999, max,
--   mean}.
-- WRK_PATH in the environment overrides the request path.

local RECORDS = 8      -- 8 lines of 128 bytes = 1024 bytes
local LINE_BYTES = 128

local function make_body()
  local lines = {}
  for i = 1, RECORDS do
    local head = string.format(
      '{"id":%d,"ts":"2026-11-23T01:00:%02d.000Z","amount":%d.%02d,"currency":"EUR","memo":"',
      i, i, 10 * i, i)
    local tail = '"}'
    local pad = LINE_BYTES - #head - #tail - 1
    lines[#lines + 1] = head .. string.rep("x", pad) .. tail .. "\n"
  end
  return table.concat(lines)
end

wrk.method = "POST"
wrk.path = os.getenv("WRK_PATH") or "/v1/sources/bench/payloads"
wrk.body = make_body()
wrk.headers["Content-Type"] = "application/x-ndjson"
assert(#wrk.body == RECORDS * LINE_BYTES, "body is not 1 KiB")

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
