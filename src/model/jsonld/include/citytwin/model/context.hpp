#pragma once

// The active JSON-LD @context of a request (JSON-LD 1.1 clause 4.1; NGSI-LD GS CIM 009
// clause 5.5.7): the client's local contexts over the NGSI-LD core context.
//
// How the core context combines with user contexts. GS CIM 009 requires the core context to
// be applied last, so that no user context can change the meaning of a core term; V1.8 marks
// it @protected. CityTwin keeps the core as a separate, read-only base layer and resolves
// every lookup in the core first. The effect on term meanings is the same as "core last",
// with three deliberate differences:
//   * a user term that redefines a core term is IGNORED for that term (as Orion-LD and
//     Stellio do), rather than rejected; ignored_terms() lists the ones that differed;
//   * a user @vocab replaces the core @vocab (https://uri.etsi.org/ngsi-ld/default-context/),
//     which is only the fallback for names nothing else covers;
//   * user contexts may use core prefixes (e.g. "ngsi-ld:x") in their own definitions.
//
// Supported in local contexts: term definitions as strings, null or objects (@id, @reverse,
// @type with @id/@vocab/@json/@none/datatype IRI, @container, @prefix, @protected; @language,
// @direction, @index and @nest are accepted and ignored), compact IRIs, absolute IRIs, @vocab
// (absolute, compact, or relative which is appended to the current vocabulary mapping),
// @version (must be 1.1), @protected, @propagate, null (resets the user layer). Ignored: @base
// (the broker has no document base), @language, @direction, and scoped contexts inside term
// definitions (the v1.9 core context has one that names a remote document). @import must have
// been resolved by ContextResolver before a Context is created.
//
// Deviation from JSON-LD: a null-mapped term expands through @vocab like an undefined name.
// JSON-LD would drop such a key, but a broker cannot drop attribute names.
//
// A Context is immutable once created and safe to share between threads.

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/json/value.hpp>

#include "citytwin/common/result.hpp"
#include "citytwin/common/string_hash.hpp"
#include "citytwin/model/term_definition.hpp"
#include "citytwin/model/term_mapper.hpp"

namespace citytwin::jsonld {

class Context final : public TermMapper {
 public:
  // Processes `local_contexts` (each an object or null, in order) over `base` (the core
  // context, or nullptr to build the core itself). `source` is what the client sent (URL,
  // object or array), kept for echoing. Errors: kInvalidRequest for an invalid local context.
  static Result<std::shared_ptr<const Context>> create(
      std::shared_ptr<const Context> base, std::span<const boost::json::value> local_contexts,
      boost::json::value source);

  std::string expand(std::string_view term) const override;
  std::string compact(std::string_view iri) const override;

  // Whether values of this term (or of the term compacting this IRI) are vocabulary IRIs
  // ("@type": "@vocab"), i.e. VocabProperty values and type names to expand (clause 4.5.21).
  bool is_vocab_coerced(std::string_view term) const;

  // The effective definition of a term (core first), or nullptr.
  const TermDefinition* find(std::string_view term) const;

  // The vocabulary mapping used for names no term covers.
  const std::string& vocab() const { return vocab_; }

  // What the client sent: a URL string, an object or an array (null for the core alone).
  const boost::json::value& source() const { return source_; }

  // The core context this one is layered on (nullptr for the core itself).
  const std::shared_ptr<const Context>& base() const { return base_; }

  // User terms that tried to redefine a core term differently and were ignored.
  const std::vector<std::string>& ignored_terms() const { return ignored_terms_; }

  // Only for create(); use create().
  Context(std::shared_ptr<const Context> base, boost::json::value source);

 private:
  void build_reverse_map();
  struct Expansion {
    std::string_view head;
    std::string_view tail;
  };
  Expansion expansion(std::string_view term) const;
  bool expands_to(std::string_view term, std::string_view iri) const;  // without allocating
  std::optional<std::string> best_term_for(std::string_view iri) const;
  std::optional<std::string> vocab_relative(std::string_view iri) const;
  std::optional<std::string> best_compact_iri(std::string_view iri) const;

  friend class ContextProcessor;

  std::shared_ptr<const Context> base_;
  boost::json::value source_;
  StringMap<TermDefinition> terms_;       // this layer only
  std::optional<std::string> own_vocab_;  // this layer's @vocab
  std::string vocab_;                     // effective vocabulary mapping
  std::vector<std::string> ignored_terms_;
  // IRI -> shortest term of this layer that still means it (built once by create()).
  StringMap<std::string> reverse_;
  // (prefix IRI, term) for every term usable as a compact IRI prefix, both layers.
  std::vector<std::pair<std::string, std::string>> prefixes_;
};

}  // namespace citytwin::jsonld
