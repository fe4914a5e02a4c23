-- POST /iot/json measures of 1000 provisioned devices in turn (bench/coap/run.sh): the HTTP
-- path the CoAP benchmark is compared with. 200 comes once the measure is durable.
local n = 0
request = function()
  n = n + 1
  local body = string.format('{"t": %d.5, "h": %d}', 15 + n % 20, 40 + n % 30)
  return wrk.format("POST", "/iot/json?k=bench&i=dev" .. (n % 1000),
                    {["Content-Type"] = "application/json"}, body)
end
