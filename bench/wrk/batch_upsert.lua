-- POST /entityOperations/upsert with 1000 entities (ids BenchBatch:0..999, replaced each time).
local parts = {}
for i = 0, 999 do
  parts[#parts + 1] = '{"id":"urn:ngsi-ld:BenchBatch:' .. i .. '","type":"BenchBatch",' ..
    '"temperature":{"type":"Property","value":' .. (i % 40) .. '.5},' ..
    '"location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[2.17,41.39]}}}'
end
wrk.method = "POST"
wrk.path = "/ngsi-ld/v1/entityOperations/upsert"
wrk.body = "[" .. table.concat(parts, ",") .. "]"
wrk.headers["Content-Type"] = "application/json"
