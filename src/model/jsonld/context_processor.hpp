#pragma once

// Applies local contexts to the user layer of a Context under construction: JSON-LD 1.1
// Processing Algorithms clause 4.1 "Context Processing" and 4.2 "Create Term Definition",
// without remote contexts (ContextResolver dereferences those first) and without scoped
// contexts. Private to the jsonld module.

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "citytwin/common/result.hpp"
#include "citytwin/model/context.hpp"

namespace citytwin::jsonld {

class ContextProcessor {
 public:
  explicit ContextProcessor(Context& target) : ctx_(target) {}

  // Applies one local context: an object, or null which resets the user layer.
  Status apply(const boost::json::value& local);

 private:
  // term -> true when defined, false while being defined (cycle detection).
  using Defined = std::unordered_map<std::string, bool>;
  // An expanded IRI, or nullopt when it maps to null.
  using Expanded = std::optional<std::string>;

  Status reset();
  Status apply_object(const boost::json::object& local);
  Status apply_keywords(const boost::json::object& local);
  Status apply_vocab(const boost::json::value& vocab, const boost::json::object& local,
                     Defined& defined);
  Status define(std::string_view term, const boost::json::object& local, Defined& defined);
  Result<TermDefinition> build_definition(std::string_view term, const boost::json::value& value,
                                          const boost::json::object& local, Defined& defined);
  Status apply_id(std::string_view term, const boost::json::object& def_object,
                  const boost::json::object& local, Defined& defined, TermDefinition& def);
  Status apply_type(const boost::json::value& type, const boost::json::object& local,
                    Defined& defined, TermDefinition& def);
  Status store(std::string_view term, TermDefinition def);
  Result<Expanded> expand_iri(std::string_view value, bool vocab, const boost::json::object& local,
                              Defined& defined);
  const TermDefinition* lookup(std::string_view term) const;
  std::string current_vocab() const;

  Context& ctx_;
  bool default_protected_ = false;
};

}  // namespace citytwin::jsonld
