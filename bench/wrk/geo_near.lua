-- near;maxDistance==200 around a random point of the BenchSensor square (about 125 matches).
request = function()
  local lon = 2.11 + math.random() * 0.12
  local lat = 41.345 + math.random() * 0.09
  return wrk.format("GET", "/ngsi-ld/v1/entities?type=BenchSensor&georel=near%3BmaxDistance%3D%3D200" ..
    "&geometry=Point&coordinates=%5B" .. lon .. "%2C" .. lat .. "%5D&limit=100")
end
