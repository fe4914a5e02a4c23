-- PATCH one attribute of a random entity among the first 1000 BenchSensor entities.
local counter = 0
request = function()
  counter = counter + 1
  local id = "urn:ngsi-ld:BenchSensor:" .. math.random(0, 999)
  local body = '{"value":' .. (counter % 400) / 10 .. '}'
  return wrk.format("PATCH", "/ngsi-ld/v1/entities/" .. id .. "/attrs/temperature",
                    {["Content-Type"] = "application/json"}, body)
end
