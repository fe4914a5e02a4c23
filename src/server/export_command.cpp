#include "export_command.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <memory>

#include "citytwin/common/clock.hpp"
#include "citytwin/common/instant.hpp"
#include "citytwin/core/data_policies.hpp"
#include "citytwin/core/entity_service.hpp"
#include "citytwin/core/history_export.hpp"
#include "citytwin/core/temporal_service.hpp"
#include "citytwin/model/context_registry.hpp"
#include "citytwin/model/context_resolver.hpp"
#include "store_location.hpp"

namespace citytwin::server {
namespace {

using Relation = core::TemporalQuery::Relation;
using TimeProperty = core::TemporalQuery::TimeProperty;

// The export resolves only the built-in core context: it never goes to the network.
class NoDownloads final : public jsonld::ContextLoader {
 public:
  Result<std::string> load(std::string_view url) override {
    return make_error(ErrorKind::kLdContextNotAvailable,
                      "citytwin export does not download @context documents: " + std::string(url));
  }
};

Result<std::int64_t> instant_option(const std::string& name, const std::string& text) {
  auto instant = parse_date_time(text);
  if (!instant) {
    return make_error(ErrorKind::kBadRequestData,
                      "--" + name + " must be an ISO 8601 date-time, got '" + text + "'");
  }
  return instant->micros;
}

Result<core::TemporalQuery> temporal_query(const ExportOptions& options,
                                           const jsonld::TermMapper& terms) {
  core::TemporalQuery query;
  if (options.time_property == "createdAt") {
    query.property = TimeProperty::kCreatedAt;
  } else if (options.time_property == "modifiedAt") {
    query.property = TimeProperty::kModifiedAt;
  } else if (options.time_property != "observedAt") {
    return make_error(ErrorKind::kBadRequestData,
                      "--time-property must be observedAt, createdAt or modifiedAt");
  }
  if (!options.from.empty()) {
    auto from = instant_option("from", options.from);
    if (!from) return std::move(from).error();
    query.relation = Relation::kBetween;
    query.time_at = *from;
    query.end_time_at = std::numeric_limits<std::int64_t>::max();
  }
  if (!options.to.empty()) {
    auto to = instant_option("to", options.to);
    if (!to) return std::move(to).error();
    if (query.relation == Relation::kBetween) {
      if (*to <= query.time_at) {
        return make_error(ErrorKind::kBadRequestData, "--to must be later than --from");
      }
      query.end_time_at = *to;
    } else {
      query.relation = Relation::kBefore;
      query.time_at = *to;
    }
  }
  for (const auto& attribute : options.attrs) query.attrs.insert(terms.expand(attribute));
  return query;
}

Result<core::EntityQuery> selection(const ExportOptions& options, const jsonld::TermMapper& terms) {
  if (options.type.empty()) return make_error(ErrorKind::kBadRequestData, "--type is required");
  core::EntitySelector selector;
  auto types = core::parse_type_expression(options.type, terms);
  if (!types) return std::move(types).error();
  selector.types = std::move(*types);
  if (!options.id_pattern.empty()) selector.id_pattern = options.id_pattern;
  core::EntityQuery query;
  query.selectors.push_back(std::move(selector));
  return query;
}

Status run(const ExportOptions& options, std::ostream& out) {
  if (!std::filesystem::exists(options.data_dir)) {
    return make_error(ErrorKind::kResourceNotFound, "no data directory " + options.data_dir);
  }
  if (options.format != "csv" && options.format != "jsonl") {
    return make_error(ErrorKind::kBadRequestData, "--format must be csv or jsonl");
  }
  SystemClock clock;
  jsonld::ContextRegistry registry({}, clock);
  NoDownloads loader;
  auto resolver = jsonld::ContextResolver::create(registry, loader);
  if (!resolver) return std::move(resolver).error();
  const jsonld::Context& terms = *(*resolver)->core();
  auto entities_query = selection(options, terms);
  if (!entities_query) return std::move(entities_query).error();
  auto temporal_query_value = temporal_query(options, terms);
  if (!temporal_query_value) return std::move(temporal_query_value).error();

  auto store = store::open_rocksdb_store(store_options_for(options.data_dir));
  if (!store) {
    return make_error(
        store.error().kind,
        store.error().detail + " (is the server running? stop it, or use GET /citytwin/v1/export)");
  }
  core::EntityService entities(**store, clock);
  core::TemporalService temporal(**store, clock);
  // Personal attributes never leave in an export (docs/security.md, "Personal data").
  core::DataPolicies policies(**store);
  auto redaction = policies.export_view(options.tenant);
  if (!redaction) return std::move(redaction).error();
  temporal_query_value->restriction = std::move(*redaction);
  core::HistoryExport source(entities, temporal, terms, options.tenant, std::move(*entities_query),
                             std::move(*temporal_query_value),
                             options.format == "csv" ? core::HistoryExport::Format::kCsv
                                                     : core::HistoryExport::Format::kJsonLines);
  while (true) {
    auto piece = source.next();
    if (!piece) return std::move(piece).error();
    if (!*piece) break;
    out << **piece;
    if (!out) return make_error(ErrorKind::kInternalError, "cannot write the export");
  }
  out.flush();
  if (!out) return make_error(ErrorKind::kInternalError, "cannot write the export");
  return ok_status();
}

}  // namespace

int export_history(const ExportOptions& options) {
  Status status;
  if (options.output.empty()) {
    status = run(options, std::cout);
  } else {
    std::ofstream file(options.output, std::ios::binary | std::ios::trunc);
    if (!file) {
      std::cerr << "citytwin export: cannot write " << options.output << "\n";
      return 1;
    }
    status = run(options, file);
  }
  if (!status.ok()) {
    std::cerr << "citytwin export: " << status.error().detail << "\n";
    return status.error().kind == ErrorKind::kBadRequestData ? 2 : 1;
  }
  return 0;
}

}  // namespace citytwin::server
