#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace citytwin {

// One record of a CSV file and the line it starts on (1 = the first line).
struct CsvRecord {
  std::size_t line = 0;
  std::vector<std::string> fields;
};

// Splits CSV text into records of fields (RFC 4180: comma separators, optional double quotes
// with "" inside, CRLF or LF line ends; a quoted field may span lines). Blank lines are
// skipped. Returns false on an unterminated quote.
bool split_csv(std::string_view text, std::vector<CsvRecord>& records);

}  // namespace citytwin
