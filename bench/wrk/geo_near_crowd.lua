-- near;maxDistance==200 of BenchSensor around the point where bench/geo_crowd.sh puts 150,000
-- entities of another type (BenchCreate): only the BenchSensor entities nearby match.
request = function()
  return wrk.format("GET", "/ngsi-ld/v1/entities?type=BenchSensor&georel=near%3BmaxDistance%3D%3D200" ..
    "&geometry=Point&coordinates=%5B2.17%2C41.39%5D&limit=100")
end
