#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "citytwin/common/result.hpp"
#include "citytwin/core/entity_query.hpp"
#include "citytwin/core/entity_service.hpp"
#include "citytwin/core/temporal_query.hpp"
#include "citytwin/core/temporal_service.hpp"
#include "citytwin/model/term_mapper.hpp"

namespace citytwin::core {

// The history of many entities as rows for analysts (issue #3 "export"): one row per recorded
// instance, in entity, attribute, datasetId and time order, as CSV (RFC 4180, with a header)
// or JSON Lines. Columns: id, type, attribute, datasetId, observedAt, modifiedAt, value,
// unitCode. Names are compacted with `terms`; a value that is not a string, number or
// boolean is its JSON text. Deletions are not rows.
//
// Pull-based so that an HTTP response or a file can be written piece by piece with bounded
// memory: entities are read a page at a time, and one entity attribute's selected history
// at a time (at most temporal.max_samples instances: more is a TooManyResults error, which
// ends the export rather than cutting it silently).
class HistoryExport {
 public:
  enum class Format { kCsv, kJsonLines };

  HistoryExport(const EntityService& entities, const TemporalService& temporal,
                const jsonld::TermMapper& terms, std::string tenant, EntityQuery selection,
                TemporalQuery temporal_query, Format format);

  // The next piece of the export (about chunk_bytes or more), or nullopt at the end.
  Result<std::optional<std::string>> next(std::size_t chunk_bytes = 64 * 1024);

 private:
  Status fill_entities();
  Status export_entity(const std::string& id, std::string& out);

  const EntityService& entities_;
  const TemporalService& temporal_;
  const jsonld::TermMapper& terms_;
  std::string tenant_;
  EntityQuery selection_;
  TemporalQuery temporal_query_;
  Format format_;
  bool header_written_ = false;
  bool entities_done_ = false;
  std::vector<std::string> pending_ids_;  // of the current page, not yet exported
};

}  // namespace citytwin::core
