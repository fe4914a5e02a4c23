#pragma once

// Evaluation of a parsed q (ETSI GS CIM 009 V1.8.1, clause 4.9) on the stored entity form.

#include <boost/json/object.hpp>

#include "citytwin/model/query/q_ast.hpp"

namespace citytwin::query {

bool evaluate(const QueryNode& node, const boost::json::object& entity);

bool evaluate_term(const QueryTerm& term, const boost::json::object& entity);

}  // namespace citytwin::query
