#pragma once

// One entry of an active context (JSON-LD 1.1 Processing Algorithms, clause 4.1 "Context
// Processing", 4.2 "Create Term Definition"), reduced to what an NGSI-LD broker uses.

#include <optional>
#include <string>
#include <vector>

namespace citytwin::jsonld {

struct TermDefinition {
  // The expanded IRI, or a keyword ("@id", "@type") when the term is a keyword alias.
  // Empty when null_mapped.
  std::string iri;
  // {"term": null} or {"term": {"@id": null}}: the term was explicitly undefined.
  bool null_mapped = false;
  // @type coercion: "@id", "@vocab", "@json", "@none" or an expanded datatype IRI.
  std::optional<std::string> type_mapping;
  // @container values in the order given ("@list", "@set", "@index", "@language", ...).
  std::vector<std::string> containers;
  // Whether the term may be the prefix of a compact IRI (JSON-LD 1.1 clause 4.2 step 14.2.3:
  // a simple term whose IRI ends with a gen-delim character, or "@prefix": true).
  bool prefix = false;
  // @protected (JSON-LD 1.1 syntax clause 4.1.11).
  bool is_protected = false;
  // Defined with @reverse.
  bool reverse = false;
  // The definition carried a scoped @context. Scoped contexts are not applied (see context.hpp).
  bool has_scoped_context = false;

  // Same meaning, ignoring @protected (the test JSON-LD uses to allow identical redefinition).
  bool same_meaning(const TermDefinition& other) const {
    return iri == other.iri && null_mapped == other.null_mapped &&
           type_mapping == other.type_mapping && containers == other.containers &&
           prefix == other.prefix && reverse == other.reverse;
  }
};

}  // namespace citytwin::jsonld
