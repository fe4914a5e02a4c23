#pragma once

#include <optional>
#include <string>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "citytwin/model/entity_renderer.hpp"
#include "citytwin/model/term_mapper.hpp"

namespace citytwin::model::detail {

// The instances of a stored attribute that the `datasetId` filter keeps (clause 4.5.5):
// all when unset, the default instance for "@none", else those with that datasetId.
boost::json::array select_instances(const boost::json::array& instances,
                                    const std::optional<std::string>& dataset_id);

// Renders stored attribute instances in one representation (clause 4.5).
class AttributeRenderer {
 public:
  AttributeRenderer(const jsonld::TermMapper& terms, const RenderOptions& options)
      : terms_(terms), options_(options) {}

  // One instance -> its rendering; several -> an array of renderings (never bare values in
  // concise, so that the array still reads as a multi-attribute), or in simplified one
  // {"dataset": {...}} object keyed by datasetId.
  boost::json::value render(const boost::json::array& instances) const;

 private:
  boost::json::value render_instance(const boost::json::object& instance, bool allow_bare) const;
  boost::json::object render_full(const boost::json::object& instance) const;
  void render_value_member(const boost::json::object& instance, boost::json::object& out) const;
  void render_metadata(const boost::json::object& instance, boost::json::object& out) const;
  boost::json::value concise(boost::json::object full, bool allow_bare) const;
  boost::json::value simplified(const boost::json::object& instance) const;
  boost::json::value simplified_datasets(const boost::json::array& instances) const;
  boost::json::value compact_names(const boost::json::value& iris) const;
  bool selects_language() const;

  const jsonld::TermMapper& terms_;
  const RenderOptions& options_;
};

}  // namespace citytwin::model::detail
