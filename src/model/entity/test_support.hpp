#pragma once

// Helpers shared by the entity_test sources.

#include <string_view>

#include <gtest/gtest.h>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "citytwin/common/result.hpp"

namespace citytwin::model::testing {

inline boost::json::value json_of(std::string_view text) {
  return boost::json::parse(text);
}

inline boost::json::object object_of(std::string_view text) {
  return boost::json::parse(text).as_object();
}

// Expects `result` to fail with `kind` and a detail mentioning `fragment`.
template <class R>
void expect_error(const R& result, ErrorKind kind, std::string_view fragment) {
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, kind) << result.error().detail;
  EXPECT_NE(result.error().detail.find(fragment), std::string::npos) << result.error().detail;
}

}  // namespace citytwin::model::testing
