// /ngsi-ld/v1/entities/{entityId}/attrs and .../attrs/{attrId} (GS CIM 009 clauses 6.6, 6.7).
#include "citytwin/model/attribute_parser.hpp"
#include "citytwin/model/entity_parser.hpp"
#include "citytwin/model/ngsi_names.hpp"
#include "handler_support.hpp"
#include "handlers.hpp"
#include "output_options.hpp"

namespace citytwin::http::ngsi {
namespace {

struct AttrsWrite {
  WriteRequest write;
  std::string id;
  boost::json::object attrs;
};

Result<AttrsWrite> prepare_attrs_write(Request& request, NgsiApi& api) {
  auto write = prepare_write(request, api);
  if (!write) return std::move(write).error();
  auto id = entity_id_param(request);
  if (!id) return std::move(id).error();
  auto body = body_object(*write);
  if (!body) return std::move(body).error();
  auto attrs =
      model::parse_attributes(**body, *write->env.context, parse_options(false, false, true));
  if (!attrs) return std::move(attrs).error();
  return AttrsWrite{std::move(*write), std::move(*id), std::move(*attrs)};
}

struct AttrWrite {
  WriteRequest write;
  std::string id;
  std::string name;  // expanded
  boost::json::array instances;
};

// `partial`: the body is an Attribute fragment (PATCH, clause 5.6.4), not a whole attribute
// (PUT, clause 5.6.19).
Result<AttrWrite> prepare_attr_write(Request& request, NgsiApi& api, bool partial) {
  auto write = prepare_write(request, api);
  if (!write) return std::move(write).error();
  auto id = entity_id_param(request);
  if (!id) return std::move(id).error();
  auto parse = partial ? model::parse_attribute_fragment : model::parse_attribute;
  auto parsed = parse(request.path_param("attrId"), write->body, *write->env.context,
                      parse_options(false, false, true));
  if (!parsed) return std::move(parsed).error();
  auto& [name, instances] = *parsed->begin();
  return AttrWrite{std::move(*write), std::move(*id), std::string(name),
                   std::move(instances.as_array())};
}

}  // namespace

Response append_attributes(Request& request, NgsiApi& api) {
  auto input = prepare_attrs_write(request, api);
  if (!input) return fail(input.error());
  bool no_overwrite = option_flags(request).count("noOverwrite") > 0;
  auto outcome = api.entities.append_attributes(input->write.env.tenant, input->id, input->attrs,
                                                no_overwrite);
  if (!outcome) return fail(outcome.error());
  return attribute_outcome_response(*outcome, input->write.env);
}

Response update_attributes(Request& request, NgsiApi& api) {
  auto input = prepare_attrs_write(request, api);
  if (!input) return fail(input.error());
  auto outcome = api.entities.update_attributes(input->write.env.tenant, input->id, input->attrs);
  if (!outcome) return fail(outcome.error());
  return attribute_outcome_response(*outcome, input->write.env);
}

Response patch_attribute(Request& request, NgsiApi& api) {
  auto input = prepare_attr_write(request, api, true);
  if (!input) return fail(input.error());
  if (input->instances.size() != 1 || !input->instances.front().is_object()) {
    return fail(
        make_error(ErrorKind::kBadRequestData, "a partial update takes one attribute instance"));
  }
  auto status = api.entities.patch_attribute(input->write.env.tenant, input->id, input->name,
                                             input->instances.front().as_object());
  if (!status.ok()) return fail(status.error());
  return Response::empty(204);
}

Response replace_attribute(Request& request, NgsiApi& api) {
  auto input = prepare_attr_write(request, api, false);
  if (!input) return fail(input.error());
  auto status = api.entities.replace_attribute(input->write.env.tenant, input->id, input->name,
                                               input->instances);
  if (!status.ok()) return fail(status.error());
  return Response::empty(204);
}

Response delete_attribute(Request& request, NgsiApi& api) {
  auto target = attribute_deletion(request, api);
  if (!target) return fail(target.error());
  auto status = api.entities.delete_attribute(target->env.tenant, target->id, target->name,
                                              target->dataset_id, target->all);
  if (!status.ok()) return fail(status.error());
  return Response::empty(204);
}

}  // namespace citytwin::http::ngsi
