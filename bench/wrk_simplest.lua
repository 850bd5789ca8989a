-- wrk script for bench_load.py: POST /api/simplest with a different body every time.
--
-- Each request draws input, target, weight, learning rate and steps from the same ranges as
-- bench_load.varied_bodies (each wrk thread seeded on its own), so no answer can come from a cache of bodies.
-- A 503 with Retry-After is waited, as the page does: the next request this thread sends waits that long
-- (wrk tells a script its responses, not their connections, so the wait falls on the thread's next request).
-- At the end one line "WRK {json}" gives the counts and the latency percentiles bench_load.py reports:
-- every status seen, how many 503s carried Retry-After, and wrk's own errors (connect, read, write, timeout).
-- wrk's percentiles count every answer, refusals included.

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(20261206 + id)
  statuses = {}
  retry_after = 0
  owed = {}
end

local function uniform(low, high)
  return low + (high - low) * math.random()
end

function request()
  local sign = (math.random() < 0.5) and -1 or 1
  local body = string.format(
    '{"input": %.4f, "target": %.4f, "weight": %.4f, "learning_rate": %.4f, "steps": %d}',
    sign * uniform(0.2, 3.0), uniform(-2.0, 2.0), uniform(-2.0, 2.0), uniform(0.01, 0.4), math.random(0, 20))
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  local wait = tonumber(headers["retry-after"] or headers["Retry-After"] or "")
  if status == 503 and wait then
    retry_after = retry_after + 1
    table.insert(owed, wait * 1000)
  end
end

function delay()
  if #owed > 0 then
    return table.remove(owed, 1)
  end
  return 0
end

function done(summary, latency, requests)
  local counts, with_retry_after = {}, 0
  for _, thread in ipairs(threads) do
    for key, n in pairs(thread:get("statuses")) do
      counts[key] = (counts[key] or 0) + n
    end
    with_retry_after = with_retry_after + thread:get("retry_after")
  end
  local parts = {}
  for key, n in pairs(counts) do
    table.insert(parts, string.format('"%s": %d', key, n))
  end
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d, ' ..
    '"p50_us": %d, "p99_us": %d, "max_us": %d, "retry_after": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max, with_retry_after, table.concat(parts, ", ")))
end
