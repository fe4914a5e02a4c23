#pragma once

#include <string>
#include <string_view>

#include "citytwin/model/entity_renderer.hpp"

namespace citytwin::model {

// The temporal representation (clause 4.5.7) lists an attribute's recorded instances, each
// kept as stored-form JSON text. This appends one such instance in the normalized rendering,
// with `instance_id` as its instanceId, byte for byte as render_entity() writes the instance
// parsed from that text (member order, numbers and strings as the response writer gives
// them), without building it as JSON: a page of sensors' newest values is mostly this.
//
// Returns false, leaving `out` as it was, for what it leaves to render_entity(): another
// format than normalized; sub-attributes; objectType or a VocabProperty (names to compact);
// a LanguageProperty when `lang` selects a language; any member it does not know; a text it
// cannot read.
bool append_normalized_instance(std::string& out, std::string_view stored,
                                std::string_view instance_id, const RenderOptions& options);

}  // namespace citytwin::model
