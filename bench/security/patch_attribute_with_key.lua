-- bench/wrk/patch_attribute.lua with the API key of CITYTWIN_KEY.
local counter = 0
local key = os.getenv("CITYTWIN_KEY")
request = function()
  counter = counter + 1
  local id = "urn:ngsi-ld:BenchSensor:" .. math.random(0, 999)
  local body = '{"value":' .. (counter % 400) / 10 .. '}'
  return wrk.format("PATCH", "/ngsi-ld/v1/entities/" .. id .. "/attrs/temperature",
                    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key}, body)
end
