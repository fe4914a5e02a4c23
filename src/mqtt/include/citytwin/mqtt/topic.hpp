#pragma once

#include <string_view>

namespace citytwin::mqtt {

// Topic names and filters (MQTT 5.0 clause 4.7, 3.1.1 clause 4.7). Both must be 1 to 65535
// bytes of valid UTF-8 without U+0000 (checked by the codec).

// A name a PUBLISH may carry: non-empty, no '+' or '#' [MQTT-3.3.2-2].
bool valid_topic_name(std::string_view topic);

// A filter a SUBSCRIBE may carry: '#' only as the whole last level, '+' only as a whole
// level [MQTT-4.7.1-1], [MQTT-4.7.1-2]; non-empty [MQTT-4.7.3-1].
bool valid_topic_filter(std::string_view filter);

// Whether `filter` matches `topic`. Wildcards at the first level do not match names that
// start with '$' [MQTT-4.7.2-1]. Both arguments must be valid.
bool topic_matches(std::string_view filter, std::string_view topic);

}  // namespace citytwin::mqtt
