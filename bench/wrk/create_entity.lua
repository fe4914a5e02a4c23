-- POST a new entity with a unique id per request (thread-unique prefix + counter).
local counter = 0
local prefix = tostring(math.random(1, 1000000000))
request = function()
  counter = counter + 1
  local body = '{"id":"urn:ngsi-ld:BenchCreate:' .. prefix .. ':' .. counter .. '","type":"BenchCreate",' ..
    '"temperature":{"type":"Property","value":21.5},' ..
    '"location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[2.17,41.39]}}}'
  return wrk.format("POST", "/ngsi-ld/v1/entities", {["Content-Type"] = "application/json"}, body)
end
