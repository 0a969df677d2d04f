-- Replays signed Stripe webhook deliveries from BENCH_DELIVERIES (one a line:
-- `<Stripe-Signature>\t<raw JSON body>`), in file order, and stops after
-- BENCH_BUDGET answers. Past the end of the file it starts again from the top
-- (only duplicates then: harmless, and only while the last answers come back).
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local stats = require("stats")
setup = stats.setup
done = stats.done

local deliveries = {}
local next_index = 1

function init(args)
  stats.init_budget()
  for line in io.lines(os.getenv("BENCH_DELIVERIES")) do
    local tab = string.find(line, "\t", 1, true)
    if tab then
      deliveries[#deliveries + 1] = {string.sub(line, 1, tab - 1), string.sub(line, tab + 1)}
    end
  end
end

function request()
  local d = deliveries[next_index]
  if stats.is_probe() then
    return wrk.format("POST", "/stripe/webhook", {["Stripe-Signature"] = d[1]}, d[2])
  end
  stats.mark_sent()
  next_index = next_index % #deliveries + 1
  return wrk.format("POST", "/stripe/webhook",
                    {["Stripe-Signature"] = d[1], ["Content-Type"] = "application/json"}, d[2])
end

function response(status, headers, body)
  stats.record(status, body)
end
