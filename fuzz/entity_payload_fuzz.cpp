// The code a POST /entities body goes through (and PATCH/POST .../attrs, merge-patch): the
// JSON text is parsed, its "@context" resolved over the NGSI-LD core context (inline objects
// only: no network), the entity parsed and validated into the stored form with the server's
// scope and geometry checks, and then applied to a stored entity with each mutation of clause
// 5.6 (append, update, merge, replace and partial update of an attribute).

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "citytwin/common/clock.hpp"
#include "citytwin/model/context_loader.hpp"
#include "citytwin/model/context_registry.hpp"
#include "citytwin/model/context_resolver.hpp"
#include "citytwin/model/entity_parser.hpp"
#include "citytwin/model/entity_renderer.hpp"
#include "citytwin/model/geo/validation.hpp"
#include "citytwin/model/geojson_renderer.hpp"
#include "citytwin/model/mutation.hpp"
#include "citytwin/model/query/scope_filter.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace citytwin;

class NoNetwork final : public jsonld::ContextLoader {
 public:
  Result<std::string> load(std::string_view) override {
    return make_error(ErrorKind::kLdContextNotAvailable, "no network in the fuzz target");
  }
};

class FixedClock final : public Clock {
 public:
  Instant now() const override { return Instant{1'800'000'000'000'000}; }
};

// The same checks as the HTTP layer's parse_options (src/http/ngsi/handler_support.cpp).
model::ParseOptions options(bool require_id, bool require_type, bool allow_null) {
  model::ParseOptions out;
  out.require_id = require_id;
  out.require_type = require_type;
  out.allow_null = allow_null;
  out.validate_geometry = [](const boost::json::value& geometry) {
    return geo::validate_geometry(geometry);
  };
  out.validate_scope = [](std::string_view scope) -> Status {
    if (query::ScopeFilter::is_valid_scope(scope)) return ok_status();
    return make_error(ErrorKind::kBadRequestData, "invalid scope");
  };
  return out;
}

// A stored entity as core keeps it (createdAt/modifiedAt on every instance).
boost::json::object stored_entity() {
  static const boost::json::object entity = boost::json::parse(R"({
      "id": "urn:ngsi-ld:Sensor:1", "type": ["https://example.org/Sensor"], "scope": ["/a"],
      "createdAt": "2026-01-01T00:00:00.000Z", "modifiedAt": "2026-01-01T00:00:00.000Z",
      "attrs": {
        "https://example.org/temperature": [{"type": "Property", "value": 20,
          "createdAt": "2026-01-01T00:00:00.000Z", "modifiedAt": "2026-01-01T00:00:00.000Z"},
          {"type": "Property", "value": 21, "datasetId": "urn:ds:1",
          "createdAt": "2026-01-01T00:00:00.000Z", "modifiedAt": "2026-01-01T00:00:00.000Z"}],
        "https://example.org/address": [{"type": "Property", "value": {"street": "x", "n": 1},
          "createdAt": "2026-01-01T00:00:00.000Z", "modifiedAt": "2026-01-01T00:00:00.000Z"}],
        "https://example.org/location": [{"type": "GeoProperty",
          "value": {"type": "Point", "coordinates": [1, 2]},
          "createdAt": "2026-01-01T00:00:00.000Z", "modifiedAt": "2026-01-01T00:00:00.000Z"}]}})")
                                                .as_object();
  return entity;
}

constexpr Instant kNow{1'800'000'000'000'000};

// Append (POST .../attrs, with and without noOverwrite) and, attribute by attribute, replace
// (PUT .../attrs/{attrId}) and partial update (PATCH .../attrs/{attrId}).
void apply_attributes(const boost::json::object& attrs) {
  for (bool no_overwrite : {false, true}) {
    auto entity = stored_entity();
    (void)mutation::append_attributes(entity, attrs, no_overwrite, kNow);
  }
  for (const auto& [name, instances] : attrs) {
    const auto* array = instances.if_array();
    if (array == nullptr) fuzz::fail("stored attribute is not an array of instances");
    auto entity = stored_entity();
    (void)mutation::replace_attribute(entity, name, *array, kNow);
    for (const auto& instance : *array) {
      auto partial = stored_entity();
      if (const auto* object = instance.if_object()) {
        (void)mutation::partial_update_attribute(partial, name, *object, kNow);
      }
    }
  }
}

// Update (PATCH .../attrs, where an NGSI-LD Null deletes) and merge (PATCH /entities/{id}).
void apply_fragment(const boost::json::object& fragment) {
  {
    auto entity = stored_entity();
    (void)mutation::update_attributes(entity, fragment.at("attrs").as_object(), kNow);
  }
  auto entity = stored_entity();
  (void)mutation::merge_entity(entity, fragment, kNow);
}

// The representations of clause 4.5 a GET answers with. Normalized and concise are lossless
// (entity_renderer.hpp): parsing either rendering must give back the stored entity.
void check_representations(const boost::json::object& stored, const jsonld::TermMapper& terms) {
  for (auto format :
       {model::RepresentationFormat::kNormalized, model::RepresentationFormat::kConcise}) {
    model::RenderOptions render_options;
    render_options.format = format;
    auto rendered = model::render_entity(stored, terms, render_options);
    auto again = model::parse_entity(rendered, terms, options(true, true, false));
    if (!again.ok()) {
      fuzz::fail("a rendered entity does not parse",
                 boost::json::serialize(rendered) + " -> " + again.error().detail);
    }
    if (*again != stored) {
      fuzz::fail("rendering is lossy", boost::json::serialize(stored) + " -> " +
                                           boost::json::serialize(rendered) + " -> " +
                                           boost::json::serialize(*again));
    }
  }
  // The other outputs, for crashes only.
  model::RenderOptions simplified;
  simplified.format = model::RepresentationFormat::kSimplified;
  simplified.sys_attrs = true;
  (void)model::render_entity(stored, terms, simplified);
  model::RenderOptions language;
  language.lang = "es,en;q=0.5";
  language.dataset_id = "@none";
  (void)model::render_entity(stored, terms, language);
  (void)model::render_feature(stored, terms, model::RenderOptions{});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::as_text(data, size);
  boost::system::error_code ec;
  boost::json::value body = boost::json::parse(text, ec);
  if (ec || !body.is_object()) return 0;
  const auto& payload = body.as_object();

  static FixedClock clock;
  static NoNetwork loader;
  static jsonld::ContextRegistry registry(jsonld::ContextRegistryOptions{}, clock);
  // Built once (it parses the core context); no resolved context is cached, so every input's
  // @context is processed in full.
  static auto resolver = [] {
    jsonld::ContextResolverOptions resolver_options;
    resolver_options.cache_capacity = 0;
    auto created = jsonld::ContextResolver::create(registry, loader, resolver_options);
    if (!created.ok()) fuzz::fail("the core context does not load");
    return std::move(*created);
  }();
  std::shared_ptr<const jsonld::Context> context = resolver->core();
  if (const auto* local = payload.if_contains("@context")) {
    auto resolved = resolver->resolve(*local);
    if (resolved.ok()) context = *resolved;
  }

  // POST /entities (create), then the fragment forms of PATCH/POST .../attrs and merge.
  if (auto entity = model::parse_entity(payload, *context, options(true, true, false));
      entity.ok()) {
    if (!entity->contains("attrs")) fuzz::fail("parsed entity without attrs", text);
    check_representations(*entity, *context);
  }
  auto fragment = model::parse_entity(payload, *context, options(false, false, true));
  auto attrs = model::parse_attributes(payload, *context, options(false, false, false));
  if (attrs.ok()) apply_attributes(*attrs);
  if (fragment.ok()) apply_fragment(*fragment);
  return 0;
}
