#include "coap_request.hpp"

#include <gtest/gtest.h>

namespace citytwin::server {
namespace {

TEST(CoapRequestTest, QueryParameters) {
  auto query = parse_coap_query("k=wx&i=station%207&key=ct_abc&other=1");
  ASSERT_TRUE(query.ok()) << query.error().detail;
  EXPECT_EQ(query->apikey, "wx");
  EXPECT_EQ(query->device_id, "station 7");
  EXPECT_EQ(query->api_key, "ct_abc");
  EXPECT_EQ(parse_coap_query("")->apikey, "");
  EXPECT_FALSE(parse_coap_query("k=a&k=b").ok());
  EXPECT_FALSE(parse_coap_query("k=%zz").ok());
  EXPECT_FALSE(parse_coap_query("i=%4").ok());
}

TEST(CoapRequestTest, PathsPickThePayloadFormat) {
  CoapQuery query{"wx", "s1", ""};
  auto json = coap_measurement("iot/json", query, R"({"t": 1})");
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(json->format, ingest::PayloadFormat::kJson);
  EXPECT_EQ(json->resource, "/iot/json");
  EXPECT_EQ(json->transport, "coap");
  EXPECT_EQ(json->device_id, "s1");
  auto ul = coap_measurement("iot/d", query, "t|1");
  ASSERT_TRUE(ul.ok());
  EXPECT_EQ(ul->format, ingest::PayloadFormat::kUltraLight);
  EXPECT_EQ(ul->resource, "/iot/d");
  EXPECT_FALSE(coap_measurement("iot/other", query, "").ok());
}

TEST(CoapRequestTest, ResponseCodes) {
  EXPECT_EQ(coap_code_for(make_error(ErrorKind::kBadRequestData, "")), 400);
  EXPECT_EQ(coap_code_for(make_error(ErrorKind::kInvalidRequest, "")), 400);
  EXPECT_EQ(coap_code_for(make_error(ErrorKind::kResourceNotFound, "")), 404);
  EXPECT_EQ(coap_code_for(make_error(ErrorKind::kUnauthorized, "")), 401);
  EXPECT_EQ(coap_code_for(make_error(ErrorKind::kForbidden, "")), 403);
  EXPECT_EQ(coap_code_for(make_error(ErrorKind::kPayloadTooLarge, "")), 413);
  EXPECT_EQ(coap_code_for(make_error(ErrorKind::kServiceUnavailable, "")), 503);
  EXPECT_EQ(coap_code_for(make_error(ErrorKind::kInternalError, "")), 500);
}

}  // namespace
}  // namespace citytwin::server
