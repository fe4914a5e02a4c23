#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/serializer.hpp>
#include <boost/json/value.hpp>

#include "citytwin/common/date_time_buffer.hpp"
#include "citytwin/common/instance_layout.hpp"
#include "citytwin/common/result.hpp"
#include "citytwin/model/parse_options.hpp"
#include "citytwin/model/term_mapper.hpp"

// The instances of a temporal payload (POST /temporal/entities, .../attrs; clause 4.5.7) in
// stored form as JSON text, which is what the history keeps. A history import carries
// thousands of instances per request; building each one's stored-form object with
// parse_attribute and serializing it again was most of the server's CPU of a bulk load
// (docs/performance.md, issue #3), so the common case is written straight to text.
namespace citytwin::model {

struct TemporalInstance {
  // The stored-form instance (entity_form.hpp) serialized as Boost.JSON does; it never holds
  // createdAt, modifiedAt or instanceId (the history stamps its own).
  std::string text;
  std::string dataset_id;                   // "" for the default instance
  std::optional<std::int64_t> observed_at;  // µs since the epoch, when it has observedAt
  // Where plain_property() wrote the value and observedAt, and how it wrote the value; none
  // (size 0) from the general path.
  InstanceLayout layout;
};

// An attribute's instances, in payload order; several members expanding to one name share one.
struct TemporalAttribute {
  std::string name;  // expanded
  std::vector<TemporalInstance> instances;
};

// Parses instances one by one, keeping its serialization buffers across them.
class TemporalInstanceParser {
 public:
  TemporalInstanceParser(const jsonld::TermMapper& terms, const ParseOptions& options)
      : terms_(terms), options_(options) {}

  // The one instance `body` of attribute `name` (as the client wrote it): byte for byte
  // json::serialize of parse_attribute's single instance, with its datasetId and observedAt.
  // Errors are parse_attribute's.
  Result<TemporalInstance> parse(std::string_view name, const boost::json::value& body);

  // The fast path alone: a plain Property instance, an object with only "value" (a number,
  // string or boolean), "type": "Property", a valid "observedAt", a non-empty "unitCode" and
  // a URI "datasetId", written without building its stored form. nullopt for anything else
  // (including invalid input, and any input when the options allow nulls), which parse()
  // hands to parse_attribute.
  std::optional<TemporalInstance> plain_property(const boost::json::object& body);

 private:
  // Appends `value` as Boost.JSON serializes it; says how it was written.
  WrittenValue append_json(std::string& out, const boost::json::value& value);

  const jsonld::TermMapper& terms_;
  const ParseOptions& options_;
  boost::json::serializer serializer_;
  DateTimeFormatter observed_at_;  // an import's instants mostly share their day
};

}  // namespace citytwin::model
