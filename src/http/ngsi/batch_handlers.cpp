// /ngsi-ld/v1/entityOperations/{create,upsert,update,delete,merge,query}
// (GS CIM 009 clauses 6.14-6.18, 6.31, 6.23). Items that fail to parse are reported in the
// 207 BatchOperationResult next to those the core rejects; the others are applied together.
#include "citytwin/common/json_text.hpp"
#include "citytwin/http/problem.hpp"
#include "citytwin/model/entity_form.hpp"
#include "citytwin/model/entity_parser.hpp"
#include "citytwin/model/ngsi_names.hpp"
#include "handler_support.hpp"
#include "handlers.hpp"
#include "output_options.hpp"
#include "query_params.hpp"

namespace citytwin::http::ngsi {
namespace form = model::form;

namespace {

struct ParsedBatch {
  std::vector<core::BatchItem> items;
  std::vector<core::BatchItemResult> rejected;  // failed before reaching core
};

boost::json::object problem_json(const Error& error) {
  boost::json::object problem{{"type", problem_type_uri(error.kind)},
                              {"title", error.title},
                              {"status", status_for(error.kind)}};
  if (!error.detail.empty()) problem["detail"] = error.detail;
  return problem;
}

std::string raw_id(const boost::json::value& item) {
  if (const auto* object = item.if_object()) {
    if (const auto* id = object->if_contains("id"); id && id->is_string())
      return std::string(id->as_string());
  }
  if (item.is_string()) return std::string(item.as_string());
  return "";
}

Result<core::BatchItem> parse_entity_item(boost::json::value& item, const RequestEnv& env,
                                          NgsiApi& api, bool require_type, bool allow_null) {
  auto* object = item.if_object();
  if (object == nullptr)
    return make_error(ErrorKind::kBadRequestData, "batch items must be entity objects");
  auto context = item_context(env, *object, api);
  if (!context) return std::move(context).error();
  auto entity =
      model::parse_entity(*object, **context, parse_options(true, require_type, allow_null));
  if (!entity) return std::move(entity).error();
  std::string id(entity->at(form::kId).as_string());
  return core::BatchItem{std::move(id), std::move(*entity)};
}

Result<core::BatchItem> parse_delete_item(const boost::json::value& item) {
  if (!item.is_string() || !model::is_valid_uri(item.as_string())) {
    return make_error(ErrorKind::kBadRequestData, "delete takes an array of entity ids (URIs)");
  }
  return core::BatchItem{std::string(item.as_string()), {}};
}

Result<ParsedBatch> parse_batch(WriteRequest& write, NgsiApi& api, core::BatchKind kind) {
  auto* array = write.body.if_array();
  if (array == nullptr)
    return make_error(ErrorKind::kBadRequestData, "batch body must be a JSON array");
  if (array->empty()) return make_error(ErrorKind::kBadRequestData, "batch body must not be empty");
  if (array->size() > api.options.max_batch_entities) {
    return make_error(
        ErrorKind::kBadRequestData,
        "at most " + std::to_string(api.options.max_batch_entities) + " entities per batch");
  }
  ParsedBatch batch;
  bool require_type = kind == core::BatchKind::kCreate || kind == core::BatchKind::kUpsertReplace ||
                      kind == core::BatchKind::kUpsertUpdate;
  bool allow_null = kind == core::BatchKind::kMerge;
  for (auto& item : *array) {
    auto parsed = kind == core::BatchKind::kDelete
                      ? parse_delete_item(item)
                      : parse_entity_item(item, write.env, api, require_type, allow_null);
    if (parsed) {
      batch.items.push_back(std::move(*parsed));
    } else {
      batch.rejected.push_back(core::BatchItemResult{raw_id(item), std::move(parsed).error()});
    }
  }
  return batch;
}

Result<core::BatchKind> batch_kind(std::string_view operation, const Request& request) {
  auto flags = option_flags(request);
  if (operation == "create") return core::BatchKind::kCreate;
  if (operation == "upsert") {
    return flags.count("update") ? core::BatchKind::kUpsertUpdate : core::BatchKind::kUpsertReplace;
  }
  if (operation == "update") {
    return flags.count("noOverwrite") ? core::BatchKind::kUpdateNoOverwrite
                                      : core::BatchKind::kUpdate;
  }
  if (operation == "merge") return core::BatchKind::kMerge;
  if (operation == "delete") return core::BatchKind::kDelete;
  return make_error(ErrorKind::kResourceNotFound,
                    "unknown entity operation " + std::string(operation));
}

boost::json::object entity_error(const core::BatchItemResult& item) {
  return boost::json::object{{"entityId", item.id}, {"error", problem_json(*item.error)}};
}

// Appends `id` unless already listed: an id given twice in one batch is reported once.
void add_unique(boost::json::array& ids, const std::string& id) {
  for (const auto& listed : ids) {
    if (listed.as_string() == id) return;
  }
  ids.emplace_back(id);
}

bool is_upsert(core::BatchKind kind) {
  return kind == core::BatchKind::kUpsertReplace || kind == core::BatchKind::kUpsertUpdate;
}

// 201 / 204 when everything succeeded, else 207 with {success, errors} (clause 5.2.16).
// Create answers 201 with every id; upsert 201 with the ids of the entities it created only,
// or 204 when it created none (clause 6.15.3.1); update, merge and delete answer 204.
Response batch_response(core::BatchKind kind, const core::BatchOutcome& outcome,
                        const std::vector<core::BatchItemResult>& rejected) {
  boost::json::array success;
  boost::json::array created;
  boost::json::array errors;
  for (const auto& item : rejected) errors.push_back(entity_error(item));
  for (const auto& item : outcome.items) {
    if (item.error) {
      errors.push_back(entity_error(item));
      continue;
    }
    add_unique(success, item.id);
    if (item.created) add_unique(created, item.id);
  }
  if (!errors.empty()) {
    boost::json::object body{{"success", std::move(success)}, {"errors", std::move(errors)}};
    return Response::with_body(207, "application/json", to_json_text(body));
  }
  if (kind == core::BatchKind::kCreate) {
    return Response::with_body(201, "application/json", to_json_text(success));
  }
  if (is_upsert(kind) && !created.empty()) {
    return Response::with_body(201, "application/json", to_json_text(created));
  }
  return Response::empty(204);
}

}  // namespace

Response batch_operation(Request& request, NgsiApi& api, std::string_view operation) {
  auto kind = batch_kind(operation, request);
  if (!kind) return fail(kind.error());
  auto write = prepare_write(request, api, *kind == core::BatchKind::kMerge);
  if (!write) return fail(write.error());
  auto batch = parse_batch(*write, api, *kind);
  if (!batch) return fail(batch.error());
  auto outcome = api.entities.batch(write->env.tenant, *kind, std::move(batch->items));
  return batch_response(*kind, outcome, batch->rejected);
}

Response query_post(Request& request, NgsiApi& api) {
  auto write = prepare_write(request, api);
  if (!write) return fail(write.error());
  auto body = body_object(*write);
  if (!body) return fail(body.error());
  auto query = query_from_body(**body, request, write->env, api.options);
  if (!query) return fail(query.error());
  return run_query(request, write->env, *query, api);
}

}  // namespace citytwin::http::ngsi
