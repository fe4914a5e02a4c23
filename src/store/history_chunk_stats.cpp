#include "citytwin/store/history_chunk_stats.hpp"

namespace citytwin::store {

Status visit_history_summarized(const EntityStore& store, std::string_view tenant,
                                std::string_view entity, std::string_view attribute,
                                const HistoryRange& range, const HistoryColumnsVisitor& visit,
                                const HistoryChunkFilter& filter) {
  if (const auto* summarized = dynamic_cast<const SummarizedHistory*>(&store)) {
    return summarized->visit_history_summarized(tenant, entity, attribute, range, visit, filter);
  }
  return store.visit_history_columns(tenant, entity, attribute, range, visit);
}

}  // namespace citytwin::store
