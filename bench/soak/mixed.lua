-- The HTTP part of the soak mix (bench/soak/soak.py --engine wrk), at wrk's speed.
--
-- Shares of the whole soak mix (the other 0.20 is MQTT, driven by bench/mqtt/deviceload.cpp):
-- PATCH 0.30, GET 0.20, q query 0.10, geo query 0.05, batch upsert 0.05, create 0.05,
-- delete 0.05, the same operations as soak.py's Python engine on the same entity pool.
--
-- Set by soak.py through the environment, because wrk gives script arguments only to the
-- thread states and the main state reads some of them in setup():
--   SOAK_POOL        entities urn:ngsi-ld:SoakSensor:0..POOL-1 (made by soak.py)
--   SOAK_DELAY_MS    pause before each request of a connection (pacing; 0 = closed loop)
--   SOAK_PREFIX      id prefix of the entities this run creates (unique per run)
--   SOAK_LEFTOVER    entities earlier runs created and did not delete, "prefix:thread:from:to"
--                    items separated by commas; this run deletes them first
--
-- done() prints one line "SOAKWRK {json}" with the request count, errors, latency percentiles
-- and, per thread, the range of ids created and not yet deleted, for the next run.

local pool = tonumber(os.getenv("SOAK_POOL") or "2000")
local delay_ms = tonumber(os.getenv("SOAK_DELAY_MS") or "0")
local run_prefix = os.getenv("SOAK_PREFIX") or tostring(os.time())

local threads = {}
local thread_count = 0
function setup(thread)
  thread:set("thread_number", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

-- Thread state. A created id is deleted only after DELETE_LAG more creates in this thread,
-- so its POST has long been answered (a thread's connections run at the same pace).
local DELETE_LAG = 256
created = 0  -- globals: done() reads them through thread:get()
deleted_upto = 0
local leftovers = {}  -- {prefix, from, to, thread} from earlier runs, this thread's share
local this_run_threads = tonumber(os.getenv("SOAK_THREADS") or "1")
local checks = {0.30, 0.50, 0.60, 0.65, 0.70, 0.75, 0.80}  -- cumulative shares (of 0.80)
local json_headers = {["Content-Type"] = "application/json"}

function init(args)
  math.randomseed(os.time() * 1000 + thread_number)
  for item in string.gmatch(os.getenv("SOAK_LEFTOVER") or "", "[^,]+") do
    local prefix, thread, from, to = string.match(item, "^([^:]+):(%d+):(%d+):(%d+)$")
    -- An earlier run's threads are spread over this run's threads by number.
    if prefix and tonumber(thread) % this_run_threads == thread_number then
      table.insert(leftovers, {prefix, tonumber(from), tonumber(to), tonumber(thread)})
    end
  end
end

local function pool_id()
  return "urn:ngsi-ld:SoakSensor:" .. math.random(0, pool - 1)
end

local function get()
  return wrk.format("GET", "/ngsi-ld/v1/entities/" .. pool_id())
end

local function temperature()
  return string.format("%.2f", math.random() * 55 - 10)
end

local function patch()
  if math.random() < 0.05 then
    local status = math.random() < 0.5 and "ok" or "alarm"
    return wrk.format("PATCH", "/ngsi-ld/v1/entities/" .. pool_id() .. "/attrs", json_headers,
                      '{"status":{"type":"Property","value":"' .. status .. '"}}')
  end
  return wrk.format("PATCH", "/ngsi-ld/v1/entities/" .. pool_id() .. "/attrs/temperature",
                    json_headers, '{"value":' .. temperature() .. '}')
end

local function query_q()
  return wrk.format("GET", "/ngsi-ld/v1/entities?type=SoakSensor&limit=20&q=temperature%3E" ..
                    string.format("%.2f", 40 + math.random() * 5))
end

local function geo()
  local lon = 2.0 + math.random() * 0.1
  local lat = 41.0 + math.random() * 0.02
  return wrk.format("GET", "/ngsi-ld/v1/entities?type=SoakSensor&limit=20" ..
                    "&georel=near%3BmaxDistance%3D%3D150&geometry=Point&coordinates=%5B" ..
                    string.format("%.5f%%2C%.5f", lon, lat) .. "%5D")
end

local function batch()
  local start = math.random(0, pool - 1)
  local items = {}
  for i = 0, 19 do
    items[#items + 1] = '{"id":"urn:ngsi-ld:SoakSensor:' .. (start + i) % pool ..
        '","type":"SoakSensor","temperature":{"type":"Property","value":' .. temperature() .. '}}'
  end
  return wrk.format("POST", "/ngsi-ld/v1/entityOperations/upsert?options=update", json_headers,
                    "[" .. table.concat(items, ",") .. "]")
end

local function churn_id(prefix, thread, n)
  return "urn:ngsi-ld:SoakChurn:" .. prefix .. ":" .. thread .. ":" .. n
end

local function create()
  created = created + 1
  return wrk.format("POST", "/ngsi-ld/v1/entities", json_headers,
                    '{"id":"' .. churn_id(run_prefix, thread_number, created) ..
                    '","type":"SoakChurn","n":{"type":"Property","value":1}}')
end

local function delete()
  local leftover = leftovers[#leftovers]
  if leftover then
    local id = churn_id(leftover[1], leftover[4], leftover[2])
    leftover[2] = leftover[2] + 1
    if leftover[2] > leftover[3] then table.remove(leftovers) end
    return wrk.format("DELETE", "/ngsi-ld/v1/entities/" .. id)
  end
  if created - deleted_upto <= DELETE_LAG then
    return get()  -- nothing old enough to delete yet
  end
  deleted_upto = deleted_upto + 1
  return wrk.format("DELETE", "/ngsi-ld/v1/entities/" ..
                    churn_id(run_prefix, thread_number, deleted_upto))
end

local operations = {patch, get, query_q, geo, batch, create, delete}

-- wrk calls request() once on thread 0's state to check the request, and never sends that
-- one: a create drawn there counted an id that was never created, and its later delete got
-- the only 404s of the soak runs (always SoakChurn:<run>:0:1). The first call is a GET.
local calls = 0
request = function()
  calls = calls + 1
  if calls == 1 then return get() end
  local draw = math.random() * 0.80
  for index, limit in ipairs(checks) do
    if draw < limit then return operations[index]() end
  end
  return operations[#operations]()
end

-- wrk waits whole milliseconds: round the wanted delay up or down at random so that its mean
-- is the fractional value soak.py asked for.
if delay_ms > 0 then
  delay = function()
    local whole = math.floor(delay_ms)
    if math.random() < delay_ms - whole then whole = whole + 1 end
    return whole
  end
end

-- Responses other than 2xx, by status, with the first bodies (ProblemDetails name the entity),
-- so that an error in a soak can be told apart from the next one.
failures = ""
failure_count = 0
function response(status, headers, body)
  if status >= 200 and status < 300 then return end
  failure_count = failure_count + 1
  if failure_count <= 3 then
    failures = failures .. status .. " " .. string.sub(body or "", 1, 300) .. "\n"
  end
end

function done(summary, latency, requests)
  local ranges = {}
  for _, thread in ipairs(threads) do
    local made, gone = thread:get("created"), thread:get("deleted_upto")
    if made > gone then
      ranges[#ranges + 1] = string.format('"%s:%d:%d:%d"', run_prefix, thread:get("thread_number"),
                                          gone + 1, made)
    end
  end
  for _, thread in ipairs(threads) do
    local text = thread:get("failures")
    if text ~= "" then io.write("SOAKFAILURES thread " .. thread:get("thread_number") .. ":\n" .. text) end
  end
  local errors = summary.errors
  io.write(string.format(
      'SOAKWRK {"requests": %d, "duration_s": %.3f, "status_errors": %d, "connect_errors": %d, ' ..
      '"read_errors": %d, "write_errors": %d, "timeouts": %d, "p50_ms": %.3f, "p95_ms": %.3f, ' ..
      '"p99_ms": %.3f, "max_ms": %.3f, "leftover": [%s]}\n',
      summary.requests, summary.duration / 1e6, errors.status, errors.connect, errors.read,
      errors.write, errors.timeout, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
      latency:percentile(99) / 1000, latency.max / 1000, table.concat(ranges, ",")))
end
