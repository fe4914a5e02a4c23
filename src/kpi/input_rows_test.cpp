// Import validation: any invalid row rejects the file, and every row's error is listed.
#include "citytwin/kpi/input_rows.hpp"

#include <gtest/gtest.h>

namespace citytwin::kpi {
namespace {

std::optional<std::string> units(std::string_view name) {
  if (name == "population" || name == "households_total") return std::string("count");
  if (name == "bicycle_network_km") return std::string("km");
  return std::nullopt;
}

const std::string kHeader = "city,period,variable,value,unit,source,method,confidence\n";

bool has_error(const ParsedInputs& parsed, std::size_t row, const std::string& column) {
  for (const auto& error : parsed.errors) {
    if (error.row == row && error.column == column) return true;
  }
  return false;
}

TEST(InputCsv, ValidFileGivesEveryRow) {
  auto parsed = parse_inputs_csv(kHeader +
                                     "demo,2025,population,150000,count,Stats office,census,0.95\n"
                                     "demo,2025,bicycle_network_km,180000,m,\"Roads, dept\",,\n",
                                 units);
  ASSERT_TRUE(parsed.errors.empty()) << parsed.errors[0].reason;
  ASSERT_EQ(parsed.rows.size(), 2u);
  EXPECT_EQ(parsed.rows[1].source, "Roads, dept");
  EXPECT_EQ(parsed.rows[1].unit, "m");
  EXPECT_EQ(parsed.rows[1].row, 3u);
  EXPECT_EQ(*parsed.rows[0].confidence, 0.95);
  EXPECT_FALSE(parsed.rows[1].confidence);
}

TEST(InputCsv, EveryBadRowIsReportedWithLineAndColumn) {
  auto parsed = parse_inputs_csv(kHeader +
                                     "demo,2025,population,150000,count,Stats,,\n"   // line 2 ok
                                     "demo,25,population,1,count,Stats,,\n"          // 3 period
                                     "demo,2025,no_such_variable,1,count,Stats,,\n"  // 4 variable
                                     "demo,2025,households_total,many,count,Stats,,\n"  // 5 value
                                     "demo,2025,bicycle_network_km,1,count,Stats,,\n"   // 6 unit
                                     "demo,2025,households_total,1,furlong,Stats,,\n"   // 7 unit
                                     "demo,2025,population,2,count,Stats,,\n"       // 8 duplicate
                                     "demo,2025,households_total,1,count,,,\n"      // 9 source
                                     "demo,2025,households_total,1,count,S,,1.5\n"  // 10 confidence
                                     "demo,2025,households_total,-1,count,S,,\n"    // 11 negative
                                     "demo,2025,households_total\n",                // 12 fields
                                 units);
  EXPECT_TRUE(parsed.rows.size() < 11);
  EXPECT_TRUE(has_error(parsed, 3, "period"));
  EXPECT_TRUE(has_error(parsed, 4, "variable"));
  EXPECT_TRUE(has_error(parsed, 5, "value"));
  EXPECT_TRUE(has_error(parsed, 6, "unit"));
  EXPECT_TRUE(has_error(parsed, 7, "unit"));
  EXPECT_TRUE(has_error(parsed, 8, "variable"));
  EXPECT_TRUE(has_error(parsed, 9, "source"));
  EXPECT_TRUE(has_error(parsed, 10, "confidence"));
  EXPECT_TRUE(has_error(parsed, 11, "value"));
  EXPECT_TRUE(has_error(parsed, 12, ""));
  EXPECT_FALSE(has_error(parsed, 2, "period"));
  EXPECT_EQ(parsed.errors.size(), 10u);
}

TEST(InputCsv, HeaderProblemsAreReportedOnLineOne) {
  auto parsed = parse_inputs_csv("city,period,variable,value,colour\n", units);
  EXPECT_TRUE(has_error(parsed, 1, "colour"));
  EXPECT_TRUE(has_error(parsed, 1, "unit"));
  EXPECT_TRUE(has_error(parsed, 1, "source"));
  auto empty = parse_inputs_csv("", units);
  EXPECT_FALSE(empty.errors.empty());
  auto quote = parse_inputs_csv(kHeader + "demo,2025,population,1,count,\"unterminated\n", units);
  EXPECT_FALSE(quote.errors.empty());
}

TEST(InputCsv, TextThatIsNotUtf8IsRefusedWithItsLine) {
  // Found by kpi_input_rows_fuzz: such bytes were accepted and made the rows' JSON invalid.
  auto parsed = parse_inputs_csv(kHeader + "demo,2025,population,1,count,Stats\xC8\x04,,\n", units);
  ASSERT_EQ(parsed.errors.size(), 1u);
  EXPECT_EQ(parsed.errors[0].row, 2u);
  EXPECT_TRUE(parsed.rows.empty());
  auto accented =
      parse_inputs_csv(kHeader + "demo,2025,population,1,count,Estad\xC3\xADstica,,\n", units);
  EXPECT_TRUE(accented.errors.empty());
}

TEST(InputCsv, ReportsProgress) {
  std::size_t last_done = 0;
  std::size_t last_total = 0;
  parse_inputs_csv(kHeader + "demo,2025,population,1,count,S,,\n", units,
                   [&](std::size_t done, std::size_t total) {
                     last_done = done;
                     last_total = total;
                   });
  EXPECT_EQ(last_done, 1u);
  EXPECT_EQ(last_total, 1u);
}

TEST(InputJson, ValidArray) {
  auto parsed = parse_inputs_json(
      R"([{"city":"demo","period":"2025-Q1","variable":"population","value":150000,
           "unit":"count","source":"Stats office","confidence":1}])",
      units);
  ASSERT_TRUE(parsed.errors.empty()) << parsed.errors[0].reason;
  EXPECT_EQ(parsed.rows[0].period, "2025-Q1");
}

TEST(InputJson, RejectsEveryBadItem) {
  auto parsed = parse_inputs_json(
      R"([{"city":"demo","period":"2025","variable":"population","value":"150000",
           "unit":"count","source":"S"},
          {"city":"demo","period":"2025-13","variable":"population","value":1,
           "unit":"count","source":"S"},
          {"city":"demo","period":"2025","variable":"population","value":1,
           "unit":"count","source":"S","colour":"red"},
          42])",
      units);
  EXPECT_TRUE(has_error(parsed, 1, "value"));
  EXPECT_TRUE(has_error(parsed, 2, "period"));
  EXPECT_TRUE(has_error(parsed, 3, "colour"));
  EXPECT_TRUE(has_error(parsed, 4, ""));
  EXPECT_FALSE(parse_inputs_json(R"({"not":"an array"})", units).errors.empty());
}

TEST(InputPeriods, Forms) {
  EXPECT_TRUE(valid_period("2025"));
  EXPECT_TRUE(valid_period("2025-Q4"));
  EXPECT_TRUE(valid_period("2025-12"));
  EXPECT_FALSE(valid_period("2025-Q5"));
  EXPECT_FALSE(valid_period("2025-00"));
  EXPECT_FALSE(valid_period("25"));
}

}  // namespace
}  // namespace citytwin::kpi
