// Entity type expressions (GS CIM 009 V1.8.1 clause 4.17): "," and "|" mean OR, ";" means
// AND, parentheses group. Parsed straight into disjunctive normal form so matching and index
// selection are simple.
#include <algorithm>

#include "citytwin/core/entity_query.hpp"

namespace citytwin::core {
namespace {

using Dnf = std::vector<std::vector<std::string>>;
constexpr std::size_t kMaxAlternatives = 256;
constexpr int kMaxDepth = 32;

class TypeExpressionParser {
 public:
  TypeExpressionParser(std::string_view text, const jsonld::TermMapper& terms)
      : text_(text), terms_(terms) {}

  Result<Dnf> parse() {
    auto result = disjunction(0);
    if (!result) return result;
    skip_spaces();
    if (pos_ != text_.size()) return error("unexpected '" + std::string(1, text_[pos_]) + "'");
    return result;
  }

 private:
  Result<Dnf> disjunction(int depth) {
    auto left = conjunction(depth);
    if (!left) return left;
    Dnf out = std::move(*left);
    while (consume(',') || consume('|')) {
      auto right = conjunction(depth);
      if (!right) return right;
      out.insert(out.end(), right->begin(), right->end());
      if (out.size() > kMaxAlternatives) return error("type expression too complex");
    }
    return out;
  }

  Result<Dnf> conjunction(int depth) {
    auto left = factor(depth);
    if (!left) return left;
    Dnf out = std::move(*left);
    while (consume(';')) {
      auto right = factor(depth);
      if (!right) return right;
      Dnf product;
      for (const auto& a : out) {
        for (const auto& b : *right) {
          auto combined = a;
          combined.insert(combined.end(), b.begin(), b.end());
          product.push_back(std::move(combined));
          if (product.size() > kMaxAlternatives) return error("type expression too complex");
        }
      }
      out = std::move(product);
    }
    return out;
  }

  Result<Dnf> factor(int depth) {
    if (depth > kMaxDepth) return error("type expression nested too deeply");
    if (consume('(')) {
      auto inner = disjunction(depth + 1);
      if (!inner) return inner;
      if (!consume(')')) return error("missing ')'");
      return inner;
    }
    skip_spaces();
    std::size_t start = pos_;
    while (pos_ < text_.size() && is_name_char(text_[pos_])) ++pos_;
    std::string_view name = text_.substr(start, pos_ - start);
    if (name.empty()) return error("missing type name at position " + std::to_string(start + 1));
    return Dnf{{terms_.expand(name)}};
  }

  // A type name is a term, compact IRI or IRI (clause 4.6.2): it never holds whitespace or
  // control characters, so "A B" is an error rather than a type named "A B".
  static bool is_name_char(char c) {
    return std::string_view(",|;()").find(c) == std::string_view::npos &&
           static_cast<unsigned char>(c) > 0x20 && c != 0x7f;
  }

  bool consume(char c) {
    skip_spaces();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void skip_spaces() {
    while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
  }
  Error error(std::string detail) const {
    return make_error(ErrorKind::kInvalidRequest, "invalid type expression: " + detail);
  }

  std::string_view text_;
  const jsonld::TermMapper& terms_;
  std::size_t pos_ = 0;
};

}  // namespace

bool TypeSelection::matches(const std::vector<std::string>& entity_types) const {
  if (alternatives.empty()) return true;
  for (const auto& alternative : alternatives) {
    bool all = std::all_of(alternative.begin(), alternative.end(), [&](const std::string& type) {
      return std::find(entity_types.begin(), entity_types.end(), type) != entity_types.end();
    });
    if (all) return true;
  }
  return false;
}

Result<TypeSelection> parse_type_expression(std::string_view text,
                                            const jsonld::TermMapper& terms) {
  auto dnf = TypeExpressionParser(text, terms).parse();
  if (!dnf) return std::move(dnf).error();
  return TypeSelection{std::move(*dnf)};
}

}  // namespace citytwin::core
