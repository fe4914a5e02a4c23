-- POST a new entity with a unique id per request: each wrk thread gets its own prefix.
local next_thread = 0
function setup(thread)
  thread:set("thread_number", next_thread)
  next_thread = next_thread + 1
end

local counter = 0
local prefix
function init(args)
  prefix = tostring(thread_number) .. "-" .. tostring(os.time())
end

request = function()
  counter = counter + 1
  local body = '{"id":"urn:ngsi-ld:BenchCreate:' .. prefix .. ':' .. counter .. '","type":"BenchCreate",' ..
    '"temperature":{"type":"Property","value":21.5},' ..
    '"location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[2.17,41.39]}}}'
  return wrk.format("POST", "/ngsi-ld/v1/entities", {["Content-Type"] = "application/json"}, body)
end
