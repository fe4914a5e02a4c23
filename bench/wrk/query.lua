-- GET /entities with the query given in the environment variable CT_QUERY (already encoded).
local query = os.getenv("CT_QUERY")
request = function()
  return wrk.format("GET", "/ngsi-ld/v1/entities?" .. query)
end
