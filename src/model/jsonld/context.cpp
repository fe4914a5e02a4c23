#include "citytwin/model/context.hpp"

#include "context_processor.hpp"

namespace citytwin::jsonld {
namespace {

constexpr std::string_view kNgsiLdDefaultVocab = "https://uri.etsi.org/ngsi-ld/default-context/";

// Shortest first, then lexicographically least (JSON-LD 1.1 processing clause 6.2, step 5.4).
bool shorter(std::string_view a, std::string_view b) {
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

void keep_best(std::optional<std::string>& best, std::string candidate) {
  if (!best || shorter(candidate, *best)) best = std::move(candidate);
}

}  // namespace

Context::Context(std::shared_ptr<const Context> base, boost::json::value source)
    : base_(std::move(base)), source_(std::move(source)) {}

Result<std::shared_ptr<const Context>> Context::create(
    std::shared_ptr<const Context> base, std::span<const boost::json::value> local_contexts,
    boost::json::value source) {
  auto context = std::make_shared<Context>(std::move(base), std::move(source));
  ContextProcessor processor(*context);
  for (const boost::json::value& local : local_contexts) {
    CT_RETURN_IF_ERROR(processor.apply(local));
  }
  if (context->own_vocab_) {
    context->vocab_ = *context->own_vocab_;
  } else {
    context->vocab_ = context->base_ ? context->base_->vocab_ : std::string(kNgsiLdDefaultVocab);
  }
  context->build_reverse_map();
  return std::shared_ptr<const Context>(std::move(context));
}

// The inverse context (JSON-LD 1.1 processing clause 4.3), reduced to IRI -> best term, built
// once so compact() is a hash lookup. Reverse properties never compact a forward IRI.
void Context::build_reverse_map() {
  for (const auto& [term, def] : terms_) {
    if (def.null_mapped || def.reverse) continue;
    auto [it, inserted] = reverse_.try_emplace(def.iri, term);
    if (!inserted && shorter(term, it->second)) it->second = term;
  }
  if (base_ != nullptr) prefixes_ = base_->prefixes_;
  for (const auto& [term, def] : terms_) {
    if (def.prefix && !def.null_mapped) prefixes_.emplace_back(def.iri, term);
  }
}

const TermDefinition* Context::find(std::string_view term) const {
  if (base_ != nullptr) {
    if (const TermDefinition* core = base_->find(term)) return core;
  }
  auto it = terms_.find(term);
  return it == terms_.end() ? nullptr : &it->second;
}

// IRI Expansion with vocab = true (JSON-LD 1.1 processing clause 5.2), after context
// processing: keywords, terms, compact IRIs, absolute IRIs, then @vocab.
// The expansion is returned as two pieces (head then tail) that point into the context or
// `term`, so that expands_to() needs no allocation.
Context::Expansion Context::expansion(std::string_view term) const {
  if (term.starts_with("@")) return {term, {}};
  if (const TermDefinition* def = find(term); def != nullptr && !def->null_mapped) {
    return {def->iri, {}};
  }
  std::size_t colon = term.find(':', 1);
  if (colon != std::string_view::npos) {
    std::string_view prefix = term.substr(0, colon);
    std::string_view suffix = term.substr(colon + 1);
    if (prefix == "_" || suffix.starts_with("//")) return {term, {}};
    const TermDefinition* def = find(prefix);
    if (def != nullptr && !def->null_mapped && def->prefix) return {def->iri, suffix};
    return {term, {}};  // an absolute IRI such as "urn:x" or "https://..."
  }
  return {vocab_, term};
}

std::string Context::expand(std::string_view term) const {
  Expansion parts = expansion(term);
  std::string iri;
  iri.reserve(parts.head.size() + parts.tail.size());
  iri += parts.head;
  iri += parts.tail;
  return iri;
}

bool Context::expands_to(std::string_view term, std::string_view iri) const {
  Expansion parts = expansion(term);
  return iri.size() == parts.head.size() + parts.tail.size() && iri.starts_with(parts.head) &&
         iri.ends_with(parts.tail);
}

// IRI Compaction with vocab = true (JSON-LD 1.1 processing clause 6.2): a term, else the IRI
// relative to @vocab, else a compact IRI, else the IRI. Every candidate must expand back to
// `iri`, so compact() never produces a name that means something else here.
std::string Context::compact(std::string_view iri) const {
  if (auto term = best_term_for(iri)) return *term;
  if (auto relative = vocab_relative(iri)) return *relative;
  if (auto curie = best_compact_iri(iri)) return *curie;
  return std::string(iri);
}

std::optional<std::string> Context::best_term_for(std::string_view iri) const {
  std::optional<std::string> best;
  for (const Context* layer = this; layer != nullptr; layer = layer->base_.get()) {
    auto it = layer->reverse_.find(iri);
    if (it != layer->reverse_.end()) keep_best(best, it->second);
  }
  return best;
}

std::optional<std::string> Context::vocab_relative(std::string_view iri) const {
  if (!iri.starts_with(vocab_) || iri.size() == vocab_.size()) return std::nullopt;
  std::string_view suffix = iri.substr(vocab_.size());
  if (!expands_to(suffix, iri)) return std::nullopt;
  return std::string(suffix);
}

std::optional<std::string> Context::best_compact_iri(std::string_view iri) const {
  std::optional<std::string> best;
  for (const auto& [prefix_iri, term] : prefixes_) {
    if (!iri.starts_with(prefix_iri) || iri.size() == prefix_iri.size()) continue;
    std::string candidate = term + ":" + std::string(iri.substr(prefix_iri.size()));
    if (expands_to(candidate, iri)) keep_best(best, std::move(candidate));
  }
  return best;
}

bool Context::is_vocab_coerced(std::string_view term) const {
  const TermDefinition* def = find(term);
  if (def == nullptr && term.find(':') != std::string_view::npos) def = find(compact(term));
  return def != nullptr && def->type_mapping == "@vocab";
}

}  // namespace citytwin::jsonld
