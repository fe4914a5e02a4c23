#include "citytwin/model/query/scope_filter.hpp"

#include "citytwin/model/entity_form.hpp"
#include "scope_parser.hpp"

namespace citytwin::query {

Result<ScopeFilter> ScopeFilter::parse(std::string_view scope_q) {
  auto root = parse_scope_query(scope_q);
  if (!root.ok()) return std::move(root).error();
  return ScopeFilter(std::make_shared<const ScopeNode>(std::move(root).value()));
}

bool ScopeFilter::matches(const boost::json::object& entity) const {
  auto it = entity.find(model::form::kScope);
  if (it == entity.end()) return false;
  std::vector<std::string_view> scopes;
  // The stored form keeps an array; a lone string is tolerated.
  if (it->value().is_string()) scopes.push_back(it->value().get_string());
  if (it->value().is_array()) {
    for (const auto& scope : it->value().get_array()) {
      if (scope.is_string()) scopes.push_back(scope.get_string());
    }
  }
  return !scopes.empty() && evaluate_scope(*root_, scopes);
}

bool ScopeFilter::is_valid_scope(std::string_view scope) {
  return is_concrete_scope(scope);
}

}  // namespace citytwin::query
