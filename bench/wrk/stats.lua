-- Shared by every bench script (wrk -t1): counts non-2xx answers, keeps the first
-- failing status/body for the report, optionally stops after a request budget,
-- and prints one `BENCH_JSON {...}` line that bench/harness.py reads.
local ffi = require("ffi")
ffi.cdef[[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clk_id, bench_timespec *tp);
]]
local M = {}
local threads = {}

function M.now_us()
  local ts = ffi.new("bench_timespec")
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

-- Thread-state globals (read back in done() with thread:get).
responses, errors, created, first_error = 0, 0, 0, ""
budget, counted, t_first, t_last, stop_sent = 0, 0, 0, 0, false

function M.setup(thread)
  table.insert(threads, thread)
end

function M.init_budget()
  budget = tonumber(os.getenv("BENCH_BUDGET") or "0")
end

-- wrk calls request() once before the run to inspect the request (script_verify_request);
-- that string is never sent, so scripts answer it without moving their counters.
local probed = false
function M.is_probe()
  if probed then return false end
  probed = true
  return true
end

function M.mark_sent()
  if t_first == 0 then t_first = M.now_us() end
end

-- `counts`: whether this answer belongs to the budgeted requests (default yes).
function M.record(status, body, counts)
  responses = responses + 1
  if status == 201 then created = created + 1 end
  if status < 200 or status > 299 then
    errors = errors + 1
    if first_error == "" then
      first_error = tostring(status) .. " " .. string.sub(body or "", 1, 300)
    end
  end
  if counts ~= false then
    counted = counted + 1
    if budget > 0 and counted >= budget and not stop_sent then
      stop_sent = true
      t_last = M.now_us()
      io.write("BENCH_STOP\n")
      io.flush()
    end
  end
end

local function esc(s)
  return (string.gsub(s, '[%c"\\]', function(c) return string.format("\\u%04x", string.byte(c)) end))
end

function M.done(summary, latency, requests)
  local t = threads[1]
  local duration = summary.duration
  local n = summary.requests
  local b = t:get("budget") or 0
  if b > 0 and (t:get("t_last") or 0) > 0 then
    duration = t:get("t_last") - t:get("t_first")
    n = t:get("counted")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "all_requests": %d, "duration_us": %d, "errors": %d, ' ..
    '"created": %d, "counted": %d, "budget": %d, "socket_errors": %d, "timeouts": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %d, "first_error": "%s"}\n',
    n, summary.requests, duration, t:get("errors"), t:get("created"), t:get("counted"), b,
    e.connect + e.read + e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean, esc(t:get("first_error") or "")))
end

return M
