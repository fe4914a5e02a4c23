#include "citytwin/model/query/query_filter.hpp"

#include <algorithm>

#include "q_evaluator.hpp"
#include "q_parser.hpp"

namespace citytwin::query {
namespace {

void collect_required(const QueryNode& node, std::vector<std::string>& out) {
  if (node.kind == QueryNode::Kind::kAnd) {
    for (const QueryNode& child : node.children) collect_required(child, out);
    return;
  }
  if (node.kind != QueryNode::Kind::kTerm || node.term.op == ComparisonOp::kNotExists) return;
  if (std::find(out.begin(), out.end(), node.term.path.attr) == out.end()) {
    out.push_back(node.term.path.attr);
  }
}

}  // namespace

Result<QueryFilter> QueryFilter::parse(std::string_view q, const jsonld::TermMapper& terms) {
  auto root = parse_q(q, terms);
  if (!root.ok()) return std::move(root).error();
  return QueryFilter(std::make_shared<const QueryNode>(std::move(root).value()));
}

bool QueryFilter::matches(const boost::json::object& entity) const {
  return evaluate(*root_, entity);
}

std::vector<std::string> QueryFilter::required_attributes() const {
  std::vector<std::string> out;
  collect_required(*root_, out);
  return out;
}

}  // namespace citytwin::query
