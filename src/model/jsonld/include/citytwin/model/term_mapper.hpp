#pragma once

#include <string>
#include <string_view>

namespace citytwin::jsonld {

// Maps the short names a client uses (entity types, attribute names, vocab values) to the
// full IRIs CityTwin stores, and back. Implemented by jsonld::Context, the active @context
// of a request (its user contexts plus the NGSI-LD core context, JSON-LD 1.1 clause 4.1).
class TermMapper {
 public:
  virtual ~TermMapper() = default;

  // Expands a term, compact IRI (prefix:suffix) or absolute IRI used as a type, attribute
  // name or vocab value, relative to the vocabulary mapping (@vocab). A name that no term
  // or @vocab covers expands with the NGSI-LD default @vocab
  // "https://uri.etsi.org/ngsi-ld/default-context/".
  virtual std::string expand(std::string_view term) const = 0;

  // The shortest name for an IRI under this context: a term, else a compact IRI, else the
  // IRI relative to @vocab, else the IRI itself. compact(expand(t)) == t for defined terms.
  virtual std::string compact(std::string_view iri) const = 0;
};

}  // namespace citytwin::jsonld
