#include "citytwin/kpi/kpi_service.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <set>

#include "citytwin/common/instant.hpp"
#include "citytwin/common/json_parse.hpp"
#include "citytwin/common/json_text.hpp"
#include "citytwin/kpi/result_entity.hpp"
#include "citytwin/kpi/units.hpp"

namespace citytwin::kpi {
namespace {

constexpr char kSeparator = '\x1f';
constexpr std::size_t kPublishSlice = 500;  // result entities per store write

std::string definition_key(std::string_view tenant, std::string_view code) {
  return std::string(tenant) + kSeparator + std::string(code);
}

std::string formula_text(const Formula& formula) {
  auto name = [](const Term& term) {
    return term.kind == Term::Kind::kKpi ? "kpi:" + term.name : term.name;
  };
  std::string text = name(formula.numerator);
  if (formula.denominator) text += " / " + name(*formula.denominator);
  if (formula.multiplier != 1) text += " x " + to_json_text(number_json(formula.multiplier));
  return text;
}

// DFS over kpi references from `code`; the path to the first repeated code, or empty.
bool find_cycle(const DefinitionLookup& lookup, const std::string& code,
                std::vector<std::string>& path) {
  if (std::find(path.begin(), path.end(), code) != path.end()) {
    path.push_back(code);
    return true;
  }
  const Definition* definition = lookup(code);
  if (definition == nullptr) return false;
  path.push_back(code);
  for (const Term* term : definition->formula.terms()) {
    if (term->kind == Term::Kind::kKpi && find_cycle(lookup, term->name, path)) return true;
  }
  path.pop_back();
  return false;
}

}  // namespace

const Definition* KpiService::Definitions::find(std::string_view code) const {
  auto it = by_code.find(code);
  return it == by_code.end() ? nullptr : &it->second;
}

DefinitionLookup KpiService::Definitions::lookup() const {
  return [this](std::string_view code) { return find(code); };
}

KpiService::KpiService(store::EntityStore& store, core::EntityService& entities, const Clock& clock,
                       Catalogue catalogue)
    : store_(store),
      entities_(entities),
      clock_(clock),
      catalogue_(std::move(catalogue)),
      inputs_(store),
      targets_(store),
      log_(store, clock) {}

Result<std::map<std::string, Definition, std::less<>>> KpiService::load_local(
    std::string_view tenant) const {
  auto listed = store_.list_documents(kDefinitions);
  if (!listed) return std::move(listed).error();
  std::map<std::string, Definition, std::less<>> out;
  const std::string prefix = std::string(tenant) + kSeparator;
  for (const auto& [key, value] : *listed) {
    if (key.compare(0, prefix.size(), prefix) != 0) continue;
    boost::system::error_code ec;
    auto json = citytwin::parse_json(value, ec);
    if (ec || !json.is_object() || !json.as_object().contains("definition")) {
      return make_error(ErrorKind::kInternalError, "stored KPI definition is not JSON: " + key);
    }
    auto formula = parse_formula(json.as_object().at("definition"));
    if (!formula) return std::move(formula).error();
    std::string code = key.substr(prefix.size());
    out.emplace(code, Definition{code, std::move(*formula), true});
  }
  return out;
}

Result<KpiService::Definitions> KpiService::effective(std::string_view tenant) const {
  Definitions definitions;
  for (const auto& entry : catalogue_.entries()) {
    if (entry.formula) {
      definitions.by_code.emplace(entry.code, Definition{entry.code, *entry.formula, false});
    }
  }
  auto local = load_local(tenant);
  if (!local) return std::move(local).error();
  for (auto& [code, definition] : *local) definitions.by_code[code] = std::move(definition);
  return definitions;
}

std::optional<std::string> KpiService::variable_unit(const Definitions& definitions,
                                                     std::string_view name) const {
  if (auto unit = catalogue_.variable_unit(name)) return unit;
  for (const auto& [_, definition] : definitions.by_code) {
    for (const Term* term : definition.formula.terms()) {
      if (term->kind == Term::Kind::kVariable && term->name == name) return term->unit;
    }
  }
  return std::nullopt;
}

Status KpiService::check_definition(const Definitions& definitions,
                                    const Definition& candidate) const {
  for (const Term* term : candidate.formula.terms()) {
    if (term->kind == Term::Kind::kKpi) {
      if (catalogue_.find(term->name) == nullptr) {
        return make_error(ErrorKind::kBadRequestData,
                          "kpi:" + term->name + " is not a code of the catalogue");
      }
      continue;
    }
    // The same variable name must mean the same quantity everywhere: its unit has to convert
    // to the one the catalogue (or another local definition) expects.
    auto known = variable_unit(definitions, term->name);
    if (known && !convert_unit(1, term->unit, *known)) {
      return make_error(ErrorKind::kBadRequestData, "variable " + term->name + " is used in '" +
                                                        *known + "' elsewhere; '" + term->unit +
                                                        "' does not convert to it");
    }
  }
  Definitions with = definitions;
  with.by_code[candidate.code] = candidate;
  std::vector<std::string> path;
  if (find_cycle(with.lookup(), candidate.code, path)) {
    std::string text;
    for (const auto& code : path) text += (text.empty() ? "" : " -> ") + code;
    return make_error(ErrorKind::kBadRequestData, "definition makes a cycle: " + text);
  }
  return ok_status();
}

Result<boost::json::array> KpiService::list_catalogue(std::string_view tenant,
                                                      const CatalogueFilter& filter) const {
  auto definitions = effective(tenant);
  if (!definitions) return std::move(definitions).error();
  boost::json::array out;
  for (const auto& entry : catalogue_.entries()) {
    if (!filter.matches(entry)) continue;
    boost::json::object item = entry.json;
    const Definition* definition = definitions->find(entry.code);
    item["definitionOrigin"] = definition == nullptr ? "none"
                               : definition->local   ? "local"
                                                     : "official";
    if (definition != nullptr && definition->local) {
      item["localDefinition"] = formula_to_json(definition->formula);
    }
    out.push_back(std::move(item));
  }
  return out;
}

Result<boost::json::object> KpiService::describe(std::string_view tenant,
                                                 std::string_view code) const {
  const KpiEntry* entry = catalogue_.find(code);
  if (entry == nullptr) {
    return make_error(ErrorKind::kResourceNotFound,
                      "no KPI " + std::string(code) + " in the catalogue");
  }
  CatalogueFilter any;
  auto listed = list_catalogue(tenant, any);
  if (!listed) return std::move(listed).error();
  for (auto& item : *listed) {
    if (item.as_object().at("code") == boost::json::value(entry->code)) return item.as_object();
  }
  return make_error(ErrorKind::kInternalError, "catalogue entry vanished: " + entry->code);
}

Result<boost::json::array> KpiService::list_definitions(std::string_view tenant) const {
  auto local = load_local(tenant);
  if (!local) return std::move(local).error();
  boost::json::array out;
  for (const auto& [code, definition] : *local) {
    out.push_back(
        {{"code", code}, {"origin", "local"}, {"definition", formula_to_json(definition.formula)}});
  }
  return out;
}

Result<boost::json::object> KpiService::put_definition(std::string_view tenant,
                                                       std::string_view code,
                                                       const boost::json::value& body) {
  if (catalogue_.find(code) == nullptr) {
    return make_error(ErrorKind::kResourceNotFound,
                      "no KPI " + std::string(code) + " in the catalogue");
  }
  auto formula = parse_formula(body);
  if (!formula) return std::move(formula).error();
  std::lock_guard lock(write_mutex_);
  auto definitions = effective(tenant);
  if (!definitions) return std::move(definitions).error();
  Definition candidate{std::string(code), std::move(*formula), true};
  CT_RETURN_IF_ERROR(check_definition(*definitions, candidate));
  boost::json::object stored{{"code", candidate.code},
                             {"definition", formula_to_json(candidate.formula)},
                             {"storedAt", format_date_time(clock_.now())}};
  CT_RETURN_IF_ERROR(
      store_.put_document(kDefinitions, definition_key(tenant, code), to_json_text(stored)));
  auto logged = log_.append(tenant, "definition",
                            {{"code", candidate.code}, {"definition", stored.at("definition")}});
  if (!logged) return std::move(logged).error();
  definitions->by_code[candidate.code] = candidate;
  // Recompute this KPI and every KPI that refers to it, wherever there are inputs.
  std::vector<std::string> codes;
  for (const auto& [other, definition] : definitions->by_code) {
    std::vector<std::string> path;
    bool uses = other == candidate.code;
    for (const Term* term : definition.formula.terms()) {
      if (term->kind == Term::Kind::kKpi && term->name == candidate.code) uses = true;
    }
    if (uses) codes.push_back(other);
  }
  auto batches = inputs_.load(tenant);
  if (!batches) return std::move(batches).error();
  InputIndex index(*batches);
  std::map<Place, std::vector<std::string>> work;
  if (!codes.empty()) {
    for (auto& place : index.city_periods()) work.emplace(std::move(place), codes);
  }
  auto published = publish(tenant, *definitions, work);
  if (!published) return std::move(published).error();
  stored["origin"] = "local";
  stored["resultsRecomputed"] = *published;
  return stored;
}

Result<ImportOutcome> KpiService::import(std::string_view tenant, InputFormat format,
                                         std::string_view text, const Progress& progress) {
  std::lock_guard lock(write_mutex_);
  auto definitions = effective(tenant);
  if (!definitions) return std::move(definitions).error();
  VariableUnits units = [this, &definitions](std::string_view name) {
    return variable_unit(*definitions, name);
  };
  ParsedInputs parsed = format == InputFormat::kCsv ? parse_inputs_csv(text, units, progress)
                                                    : parse_inputs_json(text, units, progress);
  ImportOutcome outcome;
  if (!parsed.errors.empty()) {
    outcome.errors = std::move(parsed.errors);
    return outcome;
  }
  if (parsed.rows.empty()) {
    outcome.errors.push_back({0, "", "the file holds no inputs"});
    return outcome;
  }
  return accept(tenant, *definitions, std::move(parsed.rows));
}

Result<ImportOutcome> KpiService::accept(std::string_view tenant, const Definitions& definitions,
                                         std::vector<InputRow> rows) {
  ImportOutcome outcome;
  std::set<std::string> variables;
  std::map<Place, std::set<std::string>> place_variables;
  for (const auto& row : rows) {
    variables.insert(row.variable);
    place_variables[Place{row.city, row.period}].insert(row.variable);
  }
  auto batch = inputs_.save(tenant, std::move(rows), format_date_time(clock_.now()));
  if (!batch) return std::move(batch).error();
  boost::json::array variable_list;
  for (const auto& name : variables) variable_list.emplace_back(name);
  auto logged = log_.append(tenant, "input-batch",
                            {{"importId", batch->id},
                             {"rows", batch->rows.size()},
                             {"digest", batch->digest},
                             {"variables", std::move(variable_list)}});
  if (!logged) return std::move(logged).error();
  outcome.accepted = true;
  outcome.import_id = batch->id;
  outcome.rows = batch->rows.size();
  // For each city and period of the file: every KPI that uses one of its variables there.
  auto lookup = definitions.lookup();
  std::map<std::string, std::set<std::string>> uses;  // code -> variables it needs
  for (const auto& [code, definition] : definitions.by_code) {
    uses[code] = variables_used(definition, lookup);
  }
  std::map<Place, std::vector<std::string>> work;
  for (const auto& [place, variables] : place_variables) {
    // A named reference, not the structured binding, is captured: clang 14 (the fuzz build)
    // does not implement capturing structured bindings (P1091R3).
    const auto& imported = variables;
    for (const auto& [code, needed] : uses) {
      bool affected =
          std::any_of(needed.begin(), needed.end(),
                      [&imported](const std::string& name) { return imported.count(name) > 0; });
      if (affected) work[place].push_back(code);
    }
  }
  auto published = publish(tenant, definitions, work);
  if (!published) return std::move(published).error();
  outcome.results = *published;
  return outcome;
}

Result<std::size_t> KpiService::publish(std::string_view tenant, const Definitions& definitions,
                                        const std::map<Place, std::vector<std::string>>& work) {
  if (work.empty()) return std::size_t{0};
  auto batches = inputs_.load(tenant);
  if (!batches) return std::move(batches).error();
  InputIndex index(*batches);
  Calculator calculator(definitions.lookup(), index);
  const std::string now = format_date_time(clock_.now());
  std::vector<core::BatchItem> items;
  std::vector<boost::json::object> records;
  for (const auto& [place, codes] : work) {
    const auto& [city, period] = place;
    for (const auto& code : codes) {
      const KpiEntry* entry = catalogue_.find(code);
      const Definition* definition = definitions.find(code);
      if (entry == nullptr || definition == nullptr) continue;
      KpiResult result = calculator.compute(code, city, period);
      std::string id = result_entity_id(city, period, code);
      items.push_back({id, result_entity(result, *entry, formula_text(definition->formula), now)});
      std::set<std::string> imports;
      for (const auto& item : result.provenance) {
        if (!item.import_id.empty()) imports.insert(item.import_id);
      }
      boost::json::array import_list;
      for (const auto& name : imports) import_list.emplace_back(name);
      boost::json::object record{{"entityId", id},
                                 {"code", code},
                                 {"city", city},
                                 {"period", period},
                                 {"origin", result.local ? "local" : "official"},
                                 {"unit", result.unit},
                                 {"inputs", std::move(import_list)}};
      if (result.value) {
        record["value"] = number_json(*result.value);
      } else {
        record["value"] = nullptr;
        record["reason"] = result.reason;
      }
      records.push_back(std::move(record));
    }
  }
  // Written in slices so that a large import does not build one huge store write; each
  // result stands alone, so they need not be atomic together.
  for (std::size_t start = 0; start < items.size(); start += kPublishSlice) {
    std::size_t end = std::min(items.size(), start + kPublishSlice);
    std::vector<core::BatchItem> slice(std::make_move_iterator(items.begin() + start),
                                       std::make_move_iterator(items.begin() + end));
    auto outcome = entities_.batch(tenant, core::BatchKind::kUpsertReplace, std::move(slice));
    for (const auto& item : outcome.items) {
      if (item.error) return *item.error;
    }
  }
  // One log record for the whole publication: one durable write, however many results.
  const std::size_t count = records.size();
  boost::json::array published;
  published.reserve(count);
  for (auto& record : records) published.push_back(std::move(record));
  auto logged = log_.append(tenant, "results", {{"results", std::move(published)}});
  if (!logged) return std::move(logged).error();
  return count;
}

Result<boost::json::array> KpiService::inputs(std::string_view tenant,
                                              const InputFilter& filter) const {
  auto batches = inputs_.load(tenant);
  if (!batches) return std::move(batches).error();
  boost::json::array out;
  for (const auto& batch : *batches) {
    for (const auto& row : batch.rows) {
      if (!filter.city.empty() && row.city != filter.city) continue;
      if (!filter.period.empty() && row.period != filter.period) continue;
      if (!filter.variable.empty() && row.variable != filter.variable) continue;
      auto item = row.to_json();
      item["importId"] = batch.id;
      item["row"] = row.row;
      item["acceptedAt"] = batch.accepted_at;
      out.push_back(std::move(item));
    }
  }
  return out;
}

Result<std::vector<SensorRule>> KpiService::load_rules(std::string_view tenant) const {
  auto listed = store_.list_documents(kRules);
  if (!listed) return std::move(listed).error();
  std::vector<SensorRule> out;
  const std::string prefix = std::string(tenant) + kSeparator;
  for (const auto& [key, value] : *listed) {
    if (key.compare(0, prefix.size(), prefix) != 0) continue;
    boost::system::error_code ec;
    auto json = citytwin::parse_json(value, ec);
    if (ec) return make_error(ErrorKind::kInternalError, "stored KPI rule is not JSON: " + key);
    auto rule = parse_sensor_rule(key.substr(prefix.size()), json);
    if (!rule) return std::move(rule).error();
    out.push_back(std::move(*rule));
  }
  return out;
}

Result<boost::json::object> KpiService::put_rule(std::string_view tenant, std::string_view variable,
                                                 const boost::json::value& body) {
  auto rule = parse_sensor_rule(variable, body);
  if (!rule) return std::move(rule).error();
  std::lock_guard lock(write_mutex_);
  auto definitions = effective(tenant);
  if (!definitions) return std::move(definitions).error();
  auto expected = variable_unit(*definitions, rule->variable);
  if (!expected) {
    return make_error(ErrorKind::kBadRequestData,
                      "unknown variable '" + rule->variable +
                          "' (not used by the catalogue or a local definition)");
  }
  if (!convert_unit(1, rule->unit, *expected)) {
    return make_error(ErrorKind::kBadRequestData,
                      "variable " + rule->variable + " is expected in '" + *expected +
                          "'; the rule's unit '" + rule->unit + "' does not convert to it");
  }
  CT_RETURN_IF_ERROR(store_.put_document(kRules, definition_key(tenant, rule->variable),
                                         to_json_text(rule->json)));
  auto logged = log_.append(tenant, "rule", {{"variable", rule->variable}, {"rule", rule->json}});
  if (!logged) return std::move(logged).error();
  boost::json::object out = rule->json;
  out["variable"] = rule->variable;
  return out;
}

Result<boost::json::array> KpiService::list_rules(std::string_view tenant) const {
  auto rules = load_rules(tenant);
  if (!rules) return std::move(rules).error();
  boost::json::array out;
  for (const auto& rule : *rules) {
    boost::json::object item = rule.json;
    item["variable"] = rule.variable;
    out.push_back(std::move(item));
  }
  return out;
}

Result<KpiService::RuleEvaluation> KpiService::evaluate_rules(std::string_view tenant,
                                                              std::string_view city,
                                                              std::string_view period) {
  if (!valid_city(city) || !valid_period(period)) {
    return make_error(
        ErrorKind::kBadRequestData,
        "city (1-64 letters, digits, -_.:) and period (YYYY, YYYY-Qn, YYYY-MM) are required");
  }
  std::lock_guard lock(write_mutex_);
  auto rules = load_rules(tenant);
  if (!rules) return std::move(rules).error();
  RuleEvaluation evaluation;
  std::vector<InputRow> rows;
  for (const auto& rule : *rules) {
    if (rule.city != city) continue;
    auto row = evaluate_sensor_rule(rule, period, tenant, entities_, store_);
    if (!row) {
      if (row.error().kind != ErrorKind::kResourceNotFound) return std::move(row).error();
      evaluation.skipped.emplace_back(rule.variable, row.error().detail);
      continue;
    }
    row->row = rows.size() + 1;
    rows.push_back(std::move(*row));
  }
  if (rows.empty()) return evaluation;
  auto definitions = effective(tenant);
  if (!definitions) return std::move(definitions).error();
  auto accepted = accept(tenant, *definitions, std::move(rows));
  if (!accepted) return std::move(accepted).error();
  evaluation.imported = std::move(*accepted);
  return evaluation;
}

Result<boost::json::array> KpiService::results(std::string_view tenant,
                                               const ResultFilter& filter) const {
  boost::json::array out;
  if (!entities_.tenant_exists(tenant)) return out;
  core::EntityQuery query;
  core::EntitySelector selector;
  selector.types.alternatives.push_back({vocab_iri(kKpiType)});
  query.selectors.push_back(std::move(selector));
  query.limit = 1000;
  while (true) {
    auto page = entities_.query(tenant, query);
    if (!page) return std::move(page).error();
    for (const auto& entity : page->entities) {
      auto view = result_view(entity);
      auto matches = [&view](std::string_view name, const std::string& wanted) {
        if (wanted.empty()) return true;
        const auto* value = view.if_contains(name);
        return value != nullptr && value->is_string() && value->as_string() == wanted;
      };
      if (matches("area", filter.city) && matches("period", filter.period) &&
          matches("dimension", filter.dimension) && matches("kpiCode", filter.code)) {
        out.push_back(std::move(view));
      }
    }
    if (!page->more) break;
    query.offset += query.limit;
  }
  return out;
}

Result<std::vector<Target>> KpiService::store_targets(std::string_view tenant,
                                                      std::vector<Target> targets) {
  const std::string now = format_date_time(clock_.now());
  for (auto& target : targets) {
    if (target.set_at.empty()) target.set_at = now;
  }
  auto digest = targets_.save(tenant, targets);
  if (!digest) return std::move(digest).error();
  boost::json::array list;
  for (const auto& target : targets) list.push_back(target.to_json());
  auto logged = log_.append(tenant, "targets", {{"digest", *digest}, {"targets", std::move(list)}});
  if (!logged) return std::move(logged).error();
  return targets;
}

// A target may state the direction of a KPI whose catalogue direction is unknown; one that
// contradicts a direction the catalogue states is a mistake, refused.
Status KpiService::check_direction(const Target& target) const {
  const KpiEntry* entry = catalogue_.find(target.code);
  if (target.direction.empty() || entry == nullptr || entry->direction == "unknown" ||
      entry->direction == target.direction) {
    return ok_status();
  }
  return make_error(ErrorKind::kBadRequestData,
                    "target of " + target.code + ": direction " + target.direction +
                        " contradicts the catalogue's (" + entry->direction + ")");
}

Result<boost::json::object> KpiService::put_target(std::string_view tenant, std::string_view code,
                                                   const boost::json::value& body) {
  if (catalogue_.find(code) == nullptr) {
    return make_error(ErrorKind::kResourceNotFound,
                      "no KPI " + std::string(code) + " in the catalogue");
  }
  auto target = parse_target(code, body);
  if (!target) return std::move(target).error();
  CT_RETURN_IF_ERROR(check_direction(*target));
  target->set_at.clear();
  std::lock_guard lock(write_mutex_);
  auto loaded = targets_.load(tenant);
  if (!loaded) return std::move(loaded).error();
  std::vector<Target> all;
  for (auto& other : loaded->targets) {
    if (other.code != target->code || other.city != target->city) all.push_back(std::move(other));
  }
  all.push_back(*target);
  auto stored = store_targets(tenant, std::move(all));
  if (!stored) return std::move(stored).error();
  return find_target(*stored, target->code, target->city)->to_json();
}

Result<boost::json::array> KpiService::put_targets(std::string_view tenant,
                                                   const boost::json::value& body) {
  const auto* list = body.if_array();
  if (list == nullptr) {
    return make_error(ErrorKind::kBadRequestData,
                      "the body must be an array of targets {\"code\", \"value\", \"year\"}");
  }
  std::vector<Target> all;
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& item : *list) {
    const auto* object = item.if_object();
    const auto* code = object ? object->if_contains("code") : nullptr;
    if (code == nullptr || !code->is_string() || catalogue_.find(code->as_string()) == nullptr) {
      return make_error(ErrorKind::kBadRequestData,
                        "target " + std::to_string(all.size() + 1) +
                            ": \"code\" must be a code of the catalogue");
    }
    auto target = parse_target(code->as_string(), item);
    if (!target) return std::move(target).error();
    CT_RETURN_IF_ERROR(check_direction(*target));
    target->set_at.clear();
    if (!seen.emplace(target->code, target->city).second) {
      return make_error(
          ErrorKind::kBadRequestData,
          "two targets for " + target->code + (target->city.empty() ? "" : " in " + target->city));
    }
    all.push_back(std::move(*target));
  }
  std::lock_guard lock(write_mutex_);
  auto stored = store_targets(tenant, std::move(all));
  if (!stored) return std::move(stored).error();
  boost::json::array out;
  for (const auto& target : *stored) out.push_back(target.to_json());
  return out;
}

Result<std::vector<Target>> KpiService::targets(std::string_view tenant) const {
  auto loaded = targets_.load(tenant);
  if (!loaded) return std::move(loaded).error();
  return std::move(loaded->targets);
}

Result<AssessmentSources> KpiService::assessment_sources(std::string_view tenant) const {
  AssessmentSources sources;
  sources.catalogue = &catalogue_;
  auto definitions = effective(tenant);
  if (!definitions) return std::move(definitions).error();
  auto lookup = definitions->lookup();
  for (const auto& [code, definition] : definitions->by_code) {
    sources.origin[code] = definition.local ? "local" : "official";
    auto used = variables_used(definition, lookup);
    sources.variables[code] = std::vector<std::string>(used.begin(), used.end());
  }
  auto loaded = targets_.load(tenant);
  if (!loaded) return std::move(loaded).error();
  sources.targets = std::move(loaded->targets);
  return sources;
}

Result<Assessment> KpiService::assessment(std::string_view tenant, std::string_view city,
                                          std::string_view period) const {
  if (!valid_city(city) || !valid_period(period)) {
    return make_error(
        ErrorKind::kBadRequestData,
        "city (1-64 letters, digits, -_.:) and period (YYYY, YYYY-Qn, YYYY-MM) are required");
  }
  auto sources = assessment_sources(tenant);
  if (!sources) return std::move(sources).error();
  auto listed = results(tenant, ResultFilter{std::string(city), "", "", ""});
  if (!listed) return std::move(listed).error();
  for (auto& item : *listed) sources->results.push_back(std::move(item.as_object()));
  return assess(*sources, city, period);
}

Result<boost::json::object> KpiService::comparison(std::string_view tenant,
                                                   const std::vector<std::string>& cities,
                                                   std::string_view period) const {
  if (cities.size() < 2) {
    return make_error(ErrorKind::kBadRequestData, "cities must name at least two cities");
  }
  std::vector<Assessment> assessments;
  for (const auto& city : cities) {
    auto one = assessment(tenant, city, period);
    if (!one) return std::move(one).error();
    assessments.push_back(std::move(*one));
  }
  return compare(assessments);
}

Result<std::vector<IntegrityLog::Report>> KpiService::verify(
    std::optional<std::string> tenant) const {
  std::vector<std::string> tenants;
  if (tenant) {
    tenants.push_back(*tenant);
  } else {
    auto listed = log_.tenants();
    if (!listed) return std::move(listed).error();
    tenants = std::move(*listed);
  }
  std::vector<IntegrityLog::Report> reports;
  for (const auto& name : tenants) {
    auto batches = inputs_.load(name);
    if (!batches) return std::move(batches).error();
    std::map<std::string, std::string> digests;
    for (const auto& batch : *batches) digests[batch.id] = batch.digest;
    std::set<std::string> logged;
    // entity id -> (seq, logged value) of the newest result record for it
    std::map<std::string, std::pair<std::uint64_t, boost::json::value>> published;
    // (seq, digest) of the newest targets record: the stored set must still match it.
    std::pair<std::uint64_t, std::string> last_targets{0, ""};
    auto check = [&digests, &logged, &published,
                  &last_targets](const boost::json::object& body) -> std::string {
      const auto* kind = body.if_contains("kind");
      if (kind != nullptr && *kind == "results") {
        const auto* results = body.if_contains("results");
        if (results == nullptr || !results->is_array()) return "results record without results";
        auto seq = static_cast<std::uint64_t>(body.at("seq").as_int64());
        for (const auto& item : results->as_array()) {
          const auto* result = item.if_object();
          if (result == nullptr) continue;
          const auto* id = result->if_contains("entityId");
          const auto* value = result->if_contains("value");
          if (id != nullptr && id->is_string() && value != nullptr) {
            published[std::string(id->as_string())] = {seq, *value};
          }
        }
        return {};
      }
      if (kind != nullptr && *kind == "targets") {
        const auto* digest = body.if_contains("digest");
        if (digest != nullptr && digest->is_string()) {
          last_targets = {static_cast<std::uint64_t>(body.at("seq").as_int64()),
                          std::string(digest->as_string())};
        }
        return {};
      }
      if (kind == nullptr || *kind != "input-batch") return {};
      const auto* id = body.if_contains("importId");
      const auto* digest = body.if_contains("digest");
      if (id == nullptr || digest == nullptr || !id->is_string())
        return "input-batch record without importId";
      std::string import_id(id->as_string());
      logged.insert(import_id);
      auto it = digests.find(import_id);
      if (it == digests.end()) return "input batch " + import_id + " was removed from the store";
      if (*digest != boost::json::value(it->second)) {
        return "input batch " + import_id + " was changed after it was logged";
      }
      return {};
    };
    auto report = log_.verify(name, check);
    if (!report) return std::move(report).error();
    // The entity must still say what the log says was published.
    for (const auto& [id, logged_result] : published) {
      auto entity = entities_.get(name, id);
      std::string problem;
      if (!entity) {
        problem = "published result " + id + " is no longer stored";
      } else {
        auto view = result_view(*entity);
        const auto* value = view.if_contains("kpiValue");
        const boost::json::value& expected = logged_result.second;
        bool same = expected.is_null()
                        ? value == nullptr
                        : value != nullptr && value->is_number() &&
                              value->to_number<double>() == expected.to_number<double>();
        if (!same) problem = "result " + id + " differs from the published value";
      }
      if (!problem.empty()) {
        report->problems.push_back({logged_result.first, "result-mismatch", problem});
      }
    }
    auto stored_targets = targets_.load(name);
    if (!stored_targets) return std::move(stored_targets).error();
    if (stored_targets->digest != last_targets.second) {
      report->problems.push_back(
          {last_targets.first, last_targets.first == 0 ? "unlogged" : "content-mismatch",
           last_targets.first == 0 ? "targets are in the store but not in the log"
                                   : "targets were changed after they were logged"});
    }
    for (const auto& [id, _] : digests) {
      if (!logged.count(id)) {
        report->problems.push_back(
            {0, "unlogged", "input batch " + id + " is in the store but not in the log"});
      }
    }
    reports.push_back(std::move(*report));
  }
  return reports;
}

}  // namespace citytwin::kpi
