#include "context_processor.hpp"

#include <array>

#include <boost/json/serialize.hpp>

#include "iri.hpp"

namespace citytwin::jsonld {
namespace {

namespace json = boost::json;

constexpr std::string_view kNgsiLdDefaultVocab = "https://uri.etsi.org/ngsi-ld/default-context/";

Error invalid(std::string detail) {
  return make_error(ErrorKind::kInvalidRequest, "Invalid JSON-LD @context: " + std::move(detail));
}

std::string quoted(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

// Keys allowed in an expanded term definition (JSON-LD 1.1 processing clause 4.2 step 11).
bool is_term_definition_key(std::string_view key) {
  static constexpr std::array<std::string_view, 12> kKeys = {
      "@id",        "@reverse",  "@type",      "@container", "@context", "@prefix",
      "@protected", "@language", "@direction", "@index",     "@nest",    "@propagate"};
  for (std::string_view allowed : kKeys) {
    if (key == allowed) return true;
  }
  return false;
}

bool is_container_keyword(std::string_view value) {
  static constexpr std::array<std::string_view, 7> kContainers = {
      "@list", "@set", "@index", "@language", "@id", "@type", "@graph"};
  for (std::string_view allowed : kContainers) {
    if (value == allowed) return true;
  }
  return false;
}

Result<std::vector<std::string>> parse_containers(const json::value& container) {
  std::vector<std::string> out;
  auto add = [&out](const json::value& item) -> Status {
    if (!item.is_string() || !is_container_keyword(item.get_string())) {
      return invalid("invalid @container mapping " + json::serialize(item));
    }
    out.emplace_back(item.get_string());
    return ok_status();
  };
  if (container.is_array()) {
    for (const json::value& item : container.get_array()) CT_RETURN_IF_ERROR(add(item));
  } else if (!container.is_null()) {
    CT_RETURN_IF_ERROR(add(container));
  }
  return out;
}

// True once `term` is fully defined; false when unknown or still being defined (in which case
// define() reports the cycle).
bool is_defined(const std::unordered_map<std::string, bool>& defined, std::string_view term) {
  auto it = defined.find(std::string(term));
  return it != defined.end() && it->second;
}

Result<bool> optional_bool(const json::object& object, std::string_view key, bool fallback) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr) return fallback;
  if (!value->is_bool()) return invalid(std::string(key) + " must be true or false");
  return value->get_bool();
}

}  // namespace

Status ContextProcessor::apply(const json::value& local) {
  if (local.is_null()) return reset();
  if (!local.is_object()) {
    return invalid("a local context must be an object, found " + json::serialize(local));
  }
  return apply_object(local.get_object());
}

// A null local context clears the user layer, unless it holds protected terms
// (JSON-LD 1.1 processing clause 4.1 step 5.1.1: "invalid context nullification").
Status ContextProcessor::reset() {
  for (const auto& [term, def] : ctx_.terms_) {
    if (def.is_protected) {
      return invalid("null @context cannot clear the protected term " + quoted(term));
    }
  }
  ctx_.terms_.clear();
  ctx_.own_vocab_.reset();
  return ok_status();
}

Status ContextProcessor::apply_object(const json::object& local) {
  CT_RETURN_IF_ERROR(apply_keywords(local));
  Defined defined;
  if (const json::value* vocab = local.if_contains("@vocab")) {
    CT_RETURN_IF_ERROR(apply_vocab(*vocab, local, defined));
  }
  for (const auto& [key, value] : local) {
    if (key.starts_with("@")) continue;  // context keywords handled above
    CT_RETURN_IF_ERROR(define(key, local, defined));
  }
  return ok_status();
}

// @version, @protected, @propagate, @import, @base (JSON-LD 1.1 processing clause 4.1
// step 5.5-5.7).
Status ContextProcessor::apply_keywords(const json::object& local) {
  if (const json::value* version = local.if_contains("@version")) {
    if (!version->is_number() || version->to_number<double>() != 1.1) {
      return invalid("@version must be 1.1");
    }
  }
  if (local.contains("@import")) {
    return invalid("@import must be resolved before the context is processed");
  }
  auto propagate = optional_bool(local, "@propagate", true);
  if (!propagate) return std::move(propagate).error();
  auto is_protected = optional_bool(local, "@protected", false);
  if (!is_protected) return std::move(is_protected).error();
  default_protected_ = *is_protected;
  // @base is ignored: a broker has no document base IRI, and NGSI-LD names are never relative.
  return ok_status();
}

// @vocab (JSON-LD 1.1 processing clause 4.1 step 5.8). A relative value is appended to the
// current vocabulary mapping (JSON-LD 1.1 syntax clause 4.1.2).
Status ContextProcessor::apply_vocab(const json::value& vocab, const json::object& local,
                                     Defined& defined) {
  if (vocab.is_null()) {
    ctx_.own_vocab_.reset();
    return ok_status();
  }
  if (!vocab.is_string()) return invalid("@vocab must be a string or null");
  std::string_view text = vocab.get_string();
  if (text.starts_with("_:") || (has_scheme(text) && !lookup(text.substr(0, text.find(':'))))) {
    ctx_.own_vocab_ = std::string(text);
    return ok_status();
  }
  auto expanded = expand_iri(text, false, local, defined);
  if (!expanded) return std::move(expanded).error();
  if (!expanded->has_value() || is_keyword(**expanded)) {
    return invalid("invalid @vocab mapping " + quoted(text));
  }
  ctx_.own_vocab_ = has_scheme(**expanded) ? **expanded : current_vocab() + **expanded;
  return ok_status();
}

Status ContextProcessor::define(std::string_view term, const json::object& local,
                                Defined& defined) {
  if (auto it = defined.find(std::string(term)); it != defined.end()) {
    if (it->second) return ok_status();
    return invalid("cyclic IRI mapping involving the term " + quoted(term));
  }
  if (is_keyword(term)) return invalid("keyword redefinition: " + quoted(term));
  if (has_keyword_form(term)) {  // reserved for future keywords: ignored (clause 4.2 step 4)
    defined[std::string(term)] = true;
    return ok_status();
  }
  defined[std::string(term)] = false;
  auto def = build_definition(term, local.at(term), local, defined);
  if (!def) return std::move(def).error();
  defined[std::string(term)] = true;
  return store(term, std::move(*def));
}

Result<TermDefinition> ContextProcessor::build_definition(std::string_view term,
                                                          const json::value& value,
                                                          const json::object& local,
                                                          Defined& defined) {
  TermDefinition def;
  def.is_protected = default_protected_;
  json::object def_object;
  bool simple = false;
  if (value.is_null()) {
    def.null_mapped = true;
    return def;
  }
  if (value.is_string()) {
    simple = true;
    def_object["@id"] = value;
  } else if (value.is_object()) {
    def_object = value.get_object();
  } else {
    return invalid("the definition of " + quoted(term) + " must be a string, object or null");
  }
  for (const auto& [key, unused] : def_object) {
    if (!is_term_definition_key(key)) {
      return invalid("the definition of " + quoted(term) + " has the unknown key " + quoted(key));
    }
  }
  auto is_protected = optional_bool(def_object, "@protected", default_protected_);
  if (!is_protected) return std::move(is_protected).error();
  def.is_protected = *is_protected;
  if (const json::value* type = def_object.if_contains("@type")) {
    CT_RETURN_IF_ERROR(apply_type(*type, local, defined, def));
  }
  CT_RETURN_IF_ERROR(apply_id(term, def_object, local, defined, def));
  if (const json::value* container = def_object.if_contains("@container")) {
    auto containers = parse_containers(*container);
    if (!containers) return std::move(containers).error();
    def.containers = std::move(*containers);
  }
  bool plain_name = term.find_first_of(":/") == std::string_view::npos;
  def.prefix = simple && plain_name && !def.null_mapped && !is_keyword(def.iri) &&
               ends_with_gen_delim(def.iri);
  if (const json::value* prefix = def_object.if_contains("@prefix")) {
    if (!prefix->is_bool() || !plain_name) {
      return invalid("invalid @prefix in the definition of " + quoted(term));
    }
    def.prefix = prefix->get_bool();
  }
  // Scoped contexts are not applied: noted so callers can tell (see context.hpp).
  def.has_scoped_context = def_object.contains("@context");
  return def;
}

// The IRI mapping of a term: @reverse, @id, a compact IRI term, or @vocab + term
// (JSON-LD 1.1 processing clause 4.2 steps 13-16).
Status ContextProcessor::apply_id(std::string_view term, const json::object& def_object,
                                  const json::object& local, Defined& defined,
                                  TermDefinition& def) {
  const json::value* id = def_object.if_contains("@id");
  if (const json::value* reverse = def_object.if_contains("@reverse")) {
    if (id != nullptr || !reverse->is_string()) {
      return invalid("invalid @reverse in the definition of " + quoted(term));
    }
    id = reverse;
    def.reverse = true;
  }
  if (id != nullptr && !(id->is_string() && id->get_string() == term)) {
    if (id->is_null()) {
      def.null_mapped = true;
      return ok_status();
    }
    if (!id->is_string()) return invalid("@id of " + quoted(term) + " must be a string");
    std::string_view text = id->get_string();
    if (text == "@context") return invalid("invalid keyword alias for " + quoted(term));
    if (is_keyword(text)) {
      def.iri = std::string(text);
      return ok_status();
    }
    auto expanded = expand_iri(text, true, local, defined);
    if (!expanded) return std::move(expanded).error();
    if (!expanded->has_value()) {
      def.null_mapped = true;
      return ok_status();
    }
    if (!is_keyword(**expanded) && (*expanded)->find(':') == std::string::npos) {
      return invalid("invalid IRI mapping " + quoted(text) + " for " + quoted(term));
    }
    def.iri = std::move(**expanded);
    return ok_status();
  }
  if (term.find(':', 1) != std::string_view::npos) {
    auto expanded = expand_iri(term, true, local, defined);
    if (!expanded) return std::move(expanded).error();
    def.iri = expanded->value_or(std::string(term));
    return ok_status();
  }
  if (term.find('/') != std::string_view::npos) {
    return invalid("relative IRI term " + quoted(term) + " needs an @id");
  }
  def.iri = current_vocab() + std::string(term);
  return ok_status();
}

// @type coercion (JSON-LD 1.1 processing clause 4.2 step 12).
Status ContextProcessor::apply_type(const json::value& type, const json::object& local,
                                    Defined& defined, TermDefinition& def) {
  if (!type.is_string()) return invalid("@type in a term definition must be a string");
  auto expanded = expand_iri(type.get_string(), true, local, defined);
  if (!expanded) return std::move(expanded).error();
  if (!expanded->has_value()) return invalid("invalid type mapping " + json::serialize(type));
  const std::string& iri = **expanded;
  bool keyword_ok = iri == "@id" || iri == "@vocab" || iri == "@json" || iri == "@none";
  if (!keyword_ok && (is_keyword(iri) || !has_scheme(iri))) {
    return invalid("invalid type mapping " + json::serialize(type));
  }
  def.type_mapping = iri;
  return ok_status();
}

// Core terms win (GS CIM 009 clause 5.5.7: the core context is applied last); protected user
// terms may only be redefined identically (JSON-LD 1.1 syntax clause 4.1.11).
Status ContextProcessor::store(std::string_view term, TermDefinition def) {
  if (ctx_.base_ != nullptr) {
    if (const TermDefinition* core = ctx_.base_->find(term)) {
      if (!core->same_meaning(def)) ctx_.ignored_terms_.emplace_back(term);
      return ok_status();
    }
  }
  auto it = ctx_.terms_.find(term);
  if (it != ctx_.terms_.end() && it->second.is_protected && !it->second.same_meaning(def)) {
    return invalid("protected term redefinition: " + quoted(term));
  }
  ctx_.terms_[std::string(term)] = std::move(def);
  return ok_status();
}

// IRI Expansion during context processing (JSON-LD 1.1 processing clause 5.2), defining
// terms of the same local context on demand.
Result<ContextProcessor::Expanded> ContextProcessor::expand_iri(std::string_view value, bool vocab,
                                                                const json::object& local,
                                                                Defined& defined) {
  if (is_keyword(value)) return Expanded(std::string(value));
  if (has_keyword_form(value)) return Expanded(std::nullopt);
  if (local.contains(value) && !is_defined(defined, value)) {
    CT_RETURN_IF_ERROR(define(value, local, defined));
  }
  if (vocab) {
    if (const TermDefinition* def = lookup(value)) {
      if (def->null_mapped) return Expanded(std::nullopt);
      return Expanded(def->iri);
    }
  }
  std::size_t colon = value.find(':', 1);
  if (colon != std::string_view::npos) {
    std::string_view prefix = value.substr(0, colon);
    std::string_view suffix = value.substr(colon + 1);
    if (prefix == "_" || suffix.starts_with("//")) return Expanded(std::string(value));
    if (local.contains(prefix) && !is_defined(defined, prefix)) {
      CT_RETURN_IF_ERROR(define(prefix, local, defined));
    }
    const TermDefinition* def = lookup(prefix);
    if (def != nullptr && !def->null_mapped && def->prefix) {
      return Expanded(def->iri + std::string(suffix));
    }
    if (has_scheme(value)) return Expanded(std::string(value));
  }
  if (vocab) return Expanded(current_vocab() + std::string(value));
  return Expanded(std::string(value));  // relative: @base is ignored
}

const TermDefinition* ContextProcessor::lookup(std::string_view term) const {
  if (ctx_.base_ != nullptr) {
    if (const TermDefinition* core = ctx_.base_->find(term)) return core;
  }
  auto it = ctx_.terms_.find(term);
  return it == ctx_.terms_.end() ? nullptr : &it->second;
}

std::string ContextProcessor::current_vocab() const {
  if (ctx_.own_vocab_) return *ctx_.own_vocab_;
  if (ctx_.base_ != nullptr) return ctx_.base_->vocab();
  return std::string(kNgsiLdDefaultVocab);
}

}  // namespace citytwin::jsonld
