#pragma once

#include <boost/json/value.hpp>
#include <memory>
#include <string>
#include <vector>

namespace citytwin::ingest {

// One node of a compiled expression tree (expression.hpp).
struct ExpressionNode {
  enum class Kind {
    kLiteral,      // value
    kField,        // name: a measured field
    kUnary,        // op ("-", "!") on children[0]
    kBinary,       // op on children[0], children[1]
    kConditional,  // children[0] ? children[1] : children[2]
    kCall,         // name(children...); "a|f(b)" is parsed as f(a, b)
  };
  Kind kind = Kind::kLiteral;
  boost::json::value value;
  std::string name;
  std::string op;
  std::vector<std::shared_ptr<const ExpressionNode>> children;
};

}  // namespace citytwin::ingest
