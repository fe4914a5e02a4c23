#include "citytwin/store/history_chunk_stats.hpp"

namespace citytwin::store {

Status visit_history_summarized(const EntityStore& store, std::string_view tenant,
                                std::string_view entity, std::string_view attribute,
                                const HistoryRange& range, const HistoryColumnsVisitor& visit,
                                const HistoryChunkFilter& filter,
                                const ObservedDecimalsVisitor& decimals) {
  if (const auto* summarized = dynamic_cast<const SummarizedHistory*>(&store)) {
    return summarized->visit_history_summarized(tenant, entity, attribute, range, visit, filter,
                                                decimals);
  }
  return store.visit_history_columns(tenant, entity, attribute, range, visit);
}

namespace {

// A store without a summarized walk: each visit is its plain columns walk.
class PlainHistoryReader final : public SummarizedHistoryReader {
 public:
  explicit PlainHistoryReader(const EntityStore& store) : store_(store) {}
  Status visit(std::string_view tenant, std::string_view entity, std::string_view attribute,
               const HistoryRange& range, const HistoryColumnsVisitor& visit,
               const HistoryChunkFilter& filter, const ObservedDecimalsVisitor& decimals) override {
    return visit_history_summarized(store_, tenant, entity, attribute, range, visit, filter,
                                    decimals);
  }

 private:
  const EntityStore& store_;
};

}  // namespace

std::unique_ptr<SummarizedHistoryReader> summarized_history_reader(const EntityStore& store,
                                                                   std::string_view tenant,
                                                                   std::string_view last_entity) {
  if (const auto* summarized = dynamic_cast<const SummarizedHistory*>(&store)) {
    return summarized->summarized_reader(tenant, last_entity);
  }
  return std::make_unique<PlainHistoryReader>(store);
}

}  // namespace citytwin::store
