#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "citytwin/model/term_mapper.hpp"

namespace citytwin::model {

// The output representations of clause 4.5 (options=normalized|concise|keyValues).
enum class RepresentationFormat {
  kNormalized,  // every attribute as a full object with "type" (clause 4.5.1)
  kConcise,     // lossless, "type" dropped where the parser infers it back (clause 4.5.2 ...)
  kSimplified,  // keyValues: each attribute replaced by its value, or {"<value member>": value}
                // for the types other than Property/GeoProperty/Relationship (clause 4.5.3 ...)
};

// What render_entity puts in a response body. Names are EXPANDED IRIs, as in the stored form.
struct RenderOptions {
  // Output representation. Default normalized.
  RepresentationFormat format = RepresentationFormat::kNormalized;

  // Include the system attributes createdAt / modifiedAt / deletedAt (clause 4.8) at entity,
  // attribute and sub-attribute level (entity level only in simplified). Default false.
  bool sys_attrs = false;

  // `attrs` projection (clause 6.3.x): only these attributes. Default empty: all attributes.
  std::set<std::string, std::less<>> attrs;

  // `pick` / `omit` projection (V1.8 clause 4.21): entity members to keep / drop, given as
  // "id", "type", "scope" or expanded attribute names. pick empty: keep all; omit applies after.
  std::set<std::string, std::less<>> pick;
  std::set<std::string, std::less<>> omit;

  // `lang` (clause 4.15): when set, every LanguageProperty is rendered as a Property whose value
  // is the string for the best language and whose "lang" names it. Preference list
  // "en,fr;q=0.8" is read in order (q-values ignored); fallback "@none", then the first entry.
  // "*" keeps whole language maps. Default empty: no selection.
  std::string lang;

  // `datasetId` filter (clause 4.5.5): only instances with this datasetId; "@none" selects the
  // default instance. Attributes with no matching instance are left out. Default: all instances.
  std::optional<std::string> dataset_id;

  // Put `context` into the body as "@context" (application/ld+json responses, clause 6.3.6).
  bool include_context = false;
  boost::json::value context;
};

// Renders a stored entity (entity_form.hpp) in the requested representation. Member order:
// "id", "type", "scope", attributes (stored order), "createdAt", "modifiedAt", "deletedAt",
// "@context". Types, attribute names, objectType and vocab values are compacted with `terms`;
// a single type is rendered as a string, several as an array; an attribute with one instance as
// an object (or bare value in concise), several as an array (simplified: one object
// {"dataset": {datasetId or "@none": value}}).
boost::json::object render_entity(const boost::json::object& stored,
                                  const jsonld::TermMapper& terms, const RenderOptions& options);

}  // namespace citytwin::model
