-- GET a random entity by id among the first 1000 BenchSensor entities.
request = function()
  return wrk.format("GET", "/ngsi-ld/v1/entities/urn:ngsi-ld:BenchSensor:" .. math.random(0, 999))
end
