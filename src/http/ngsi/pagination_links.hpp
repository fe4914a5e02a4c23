#pragma once

// Pagination links of a query answer (GS CIM 009 V1.8.1 clause 5.5.9; HTTP binding clause
// 6.3.10): RFC 8288 Link header values pointing to the previous and the next page, so a client
// can walk a result set forwards and backwards without rebuilding the query itself.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace citytwin::http::ngsi {

struct PageWindow {
  std::size_t limit = 0;
  std::size_t offset = 0;
  bool more = false;  // a match follows this page
};

// Link header values for the page `window` of the request `raw_target` (path and query as
// received): rel="prev" when offset > 0, rel="next" when more matches follow; none when
// limit is 0 (a count-only request). The links are relative references (path and query) that
// repeat every query parameter but limit and offset, with characters a URI may not hold
// percent-encoded. `media_type` is the type of the answer, given as the link's "type".
std::vector<std::string> pagination_links(std::string_view raw_target, const PageWindow& window,
                                          std::string_view media_type);

}  // namespace citytwin::http::ngsi
