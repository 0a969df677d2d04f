-- One kind of request, configured by the environment (see bench/scenarios.py):
--   BENCH_METHOD, BENCH_PATH (may hold {code}), BENCH_CODES (file, one code a line,
--   a random one per request), BENCH_BODY, BENCH_TOKEN (Bearer), BENCH_IDEMPOTENCY
--   (a prefix: each request gets a unique Idempotency-Key), BENCH_BUDGET (stop after
--   that many answers) and BENCH_AFTER_BUDGET_PATH (harmless GETs sent once the budget
--   is spent, while the last budgeted answers are still coming; answered 200, they
--   are told apart from budgeted 201s and not counted).
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local stats = require("stats")
setup = stats.setup
done = stats.done

local method, path, body, key_prefix, after_path
local codes = {}
local sent = 0

function init(args)
  stats.init_budget()
  method = os.getenv("BENCH_METHOD") or "GET"
  path = os.getenv("BENCH_PATH") or wrk.path
  body = os.getenv("BENCH_BODY")
  key_prefix = os.getenv("BENCH_IDEMPOTENCY")
  after_path = os.getenv("BENCH_AFTER_BUDGET_PATH")
  local token = os.getenv("BENCH_TOKEN")
  if token then wrk.headers["Authorization"] = "Bearer " .. token end
  if body then wrk.headers["Content-Type"] = "application/json" end
  local file = os.getenv("BENCH_CODES")
  if file then
    for line in io.lines(file) do
      if #line > 0 then codes[#codes + 1] = line end
    end
  end
  math.randomseed(tonumber(os.getenv("BENCH_SEED") or "1"))
end

local function target(template)
  if #codes > 0 then
    return (string.gsub(template, "{code}", codes[math.random(#codes)]))
  end
  return template
end

function request()
  if stats.is_probe() then return wrk.format(method, target(path), nil, body) end
  stats.mark_sent()
  if budget > 0 and sent >= budget and after_path then
    return wrk.format("GET", target(after_path))
  end
  sent = sent + 1
  if key_prefix then
    -- wrk.format uses the table given instead of wrk.headers, so copy them in.
    local headers = {["Idempotency-Key"] = key_prefix .. "-" .. sent}
    for k, v in pairs(wrk.headers) do headers[k] = v end
    return wrk.format(method, target(path), headers, body)
  end
  return wrk.format(method, target(path), nil, body)
end

function response(status, headers, resp_body)
  -- With after-budget GETs in play, their 200s are not part of the budget.
  stats.record(status, resp_body, not (after_path and status == 200))
end
