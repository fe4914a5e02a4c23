#include "citytwin/model/context_registry.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>

#include <boost/json/parse.hpp>

#include "citytwin/common/json_parse.hpp"
#include "citytwin/model/core_contexts.hpp"

namespace citytwin::jsonld {
namespace {

std::string quoted(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

Error not_found(std::string_view id_or_url) {
  return make_error(ErrorKind::kResourceNotFound, "no @context stored as " + quoted(id_or_url));
}

std::string hosted_url(std::string_view local_id) {
  return std::string(kHostedContextPath) + std::string(local_id);
}

// "http://any-host:1234/ngsi-ld/v1/jsonldContexts/{id}" -> "{id}"; "" for any other URL.
std::string_view hosted_id_of(std::string_view url) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return {};
  const std::string_view scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") return {};
  const std::size_t path = url.find('/', scheme_end + 3);
  if (path == std::string_view::npos ||
      url.substr(path, kHostedContextPath.size()) != kHostedContextPath) {
    return {};
  }
  const std::string_view id = url.substr(path + kHostedContextPath.size());
  if (id.empty() || id.find_first_of("/?#") != std::string_view::npos) return {};
  return id;
}

// Least recently used first: never used entries by creation time.
Instant last_touch(const ContextEntry& entry) {
  return entry.last_usage.value_or(entry.created_at);
}

}  // namespace

ContextRegistry::ContextRegistry(ContextRegistryOptions options, const Clock& clock,
                                 ContextPersistence* persistence)
    : options_(std::move(options)),
      clock_(clock),
      persistence_(persistence),
      random_(std::random_device{}()) {
  add_core_entries();
}

void ContextRegistry::add_core_entries() {
  Instant now = clock_.now();
  for (const CoreContextFile& file : core_context_files()) {
    ContextEntry entry;
    entry.url = std::string(file.url);
    entry.kind = ContextKind::kCached;
    entry.local_id = "ngsi-ld-core-context-v" + std::string(file.version);
    if (file.url == kUnversionedCoreContextUrl) entry.local_id = "ngsi-ld-core-context";
    entry.created_at = now;
    entry.document = std::string(file.document);
    entry.core = true;
    url_by_id_[entry.local_id] = entry.url;
    by_url_[entry.url] = std::move(entry);
  }
}

Status ContextRegistry::restore() {
  if (persistence_ == nullptr) return ok_status();
  auto entries = persistence_->load_all();
  if (!entries) return std::move(entries).error();
  std::lock_guard lock(mutex_);
  for (ContextEntry& entry : *entries) {
    if (find_core_context(entry.url) != nullptr || entry.local_id.empty()) continue;
    entry.core = false;
    CT_RETURN_IF_ERROR(rebase_legacy_url(entry));
    url_by_id_[entry.local_id] = entry.url;
    by_url_[entry.url] = std::move(entry);
  }
  ++generation_;
  return ok_status();
}

// Entries saved before hosted URLs became relative carry the host and port of the run that
// created them; they are saved again under the relative URL (new copy first, then the old key
// goes), so that a restart on another port serves no stale URL.
Status ContextRegistry::rebase_legacy_url(ContextEntry& entry) {
  if (entry.kind == ContextKind::kCached) return ok_status();
  std::string relative = hosted_url(entry.local_id);
  if (entry.url == relative) return ok_status();
  std::string legacy = std::exchange(entry.url, std::move(relative));
  if (persistence_ == nullptr) return ok_status();
  CT_RETURN_IF_ERROR(persistence_->save(entry));
  return persistence_->remove(legacy);
}

// Clause 5.13.2: the payload is a JSON object with an "@context" member.
Status ContextRegistry::validate(std::string_view document) const {
  if (document.size() > options_.max_document_bytes) {
    return make_error(ErrorKind::kPayloadTooLarge, "@context document of " +
                                                       std::to_string(document.size()) +
                                                       " bytes exceeds the limit of " +
                                                       std::to_string(options_.max_document_bytes));
  }
  boost::system::error_code ec;
  boost::json::value parsed = citytwin::parse_json(document, ec);
  if (ec) {
    return make_error(ErrorKind::kInvalidRequest, "@context document is not JSON: " + ec.message());
  }
  const boost::json::object* object = parsed.if_object();
  const boost::json::value* context = object ? object->if_contains("@context") : nullptr;
  if (context == nullptr) {
    return make_error(ErrorKind::kBadRequestData,
                      "a @context document must be a JSON object with an \"@context\" member");
  }
  if (!(context->is_string() || context->is_object() || context->is_array() ||
        context->is_null())) {
    return make_error(ErrorKind::kBadRequestData,
                      "\"@context\" must be a URL, an object, an array or null");
  }
  return ok_status();
}

Result<ContextEntry> ContextRegistry::add_hosted(std::string_view document) {
  return add_local(ContextKind::kHosted, document);
}

Result<ContextEntry> ContextRegistry::add_implicit(std::string_view document) {
  return add_local(ContextKind::kImplicitlyCreated, document);
}

Result<ContextEntry> ContextRegistry::add_local(ContextKind kind, std::string_view document) {
  CT_RETURN_IF_ERROR(validate(document));
  std::lock_guard lock(mutex_);
  if (kind == ContextKind::kImplicitlyCreated) {
    if (const ContextEntry* same = find_implicit(document)) return *same;
  }
  ContextEntry entry;
  entry.local_id = new_local_id();
  entry.url = hosted_url(entry.local_id);
  entry.kind = kind;
  entry.created_at = clock_.now();
  entry.document = std::string(document);
  CT_RETURN_IF_ERROR(insert(entry));
  return entry;
}

Result<ContextEntry> ContextRegistry::add_cached(std::string_view url, std::string_view document) {
  CT_RETURN_IF_ERROR(validate(document));
  std::lock_guard lock(mutex_);
  ContextEntry entry;
  if (const ContextEntry* hosted = locate_hosted(url)) {
    return make_error(ErrorKind::kAlreadyExists, quoted(url) + " names the " +
                                                     std::string(context_kind_name(hosted->kind)) +
                                                     " @context " + quoted(hosted->local_id));
  }
  if (auto it = by_url_.find(std::string(url)); it != by_url_.end()) {
    if (it->second.core || it->second.kind != ContextKind::kCached) {
      return make_error(ErrorKind::kAlreadyExists,
                        quoted(url) + " is already stored as a " +
                            std::string(context_kind_name(it->second.kind)) + " @context");
    }
    entry = it->second;  // a refreshed copy keeps its id and statistics
    ++generation_;
  } else {
    entry.local_id = new_local_id();
    entry.url = std::string(url);
    entry.kind = ContextKind::kCached;
    entry.created_at = clock_.now();
  }
  entry.document = std::string(document);
  CT_RETURN_IF_ERROR(insert(entry));
  return entry;
}

// Adds or replaces under the lock, saving first so memory never holds what storage lacks.
Status ContextRegistry::insert(ContextEntry entry) {
  if (!by_url_.contains(entry.url)) CT_RETURN_IF_ERROR(make_room());
  if (persistence_ != nullptr) CT_RETURN_IF_ERROR(persistence_->save(entry));
  url_by_id_[entry.local_id] = entry.url;
  by_url_[entry.url] = std::move(entry);
  return ok_status();
}

Status ContextRegistry::make_room() {
  if (user_entry_count() < options_.max_entries) return ok_status();
  const ContextEntry* victim = nullptr;
  for (const auto& [url, entry] : by_url_) {
    if (entry.core || entry.kind != ContextKind::kCached) continue;
    if (victim == nullptr || last_touch(entry) < last_touch(*victim)) victim = &entry;
  }
  if (victim == nullptr) {
    return make_error(
        ErrorKind::kServiceUnavailable,
        "the @context store is full (" + std::to_string(options_.max_entries) + " entries)");
  }
  if (persistence_ != nullptr) CT_RETURN_IF_ERROR(persistence_->remove(victim->url));
  url_by_id_.erase(victim->local_id);
  by_url_.erase(victim->url);
  ++generation_;
  return ok_status();
}

Result<ContextEntry> ContextRegistry::get(std::string_view id_or_url) {
  std::lock_guard lock(mutex_);
  ContextEntry* entry = locate(id_or_url);
  if (entry == nullptr) return not_found(id_or_url);
  entry->last_usage = clock_.now();
  ++entry->number_of_hits;
  return *entry;
}

std::optional<ContextEntry> ContextRegistry::peek(std::string_view id_or_url) const {
  std::lock_guard lock(mutex_);
  const ContextEntry* entry = locate(id_or_url);
  if (entry == nullptr) return std::nullopt;
  return *entry;
}

std::optional<std::string> ContextRegistry::document_for(std::string_view url) {
  std::lock_guard lock(mutex_);
  auto it = by_url_.find(std::string(url));
  ContextEntry* entry =
      it != by_url_.end() ? &it->second : const_cast<ContextEntry*>(locate_hosted(url));
  if (entry == nullptr) return std::nullopt;
  entry->last_usage = clock_.now();
  ++entry->number_of_hits;
  return entry->document;
}

std::vector<ContextEntry> ContextRegistry::list(std::optional<ContextKind> kind) const {
  std::vector<ContextEntry> out;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [url, entry] : by_url_) {
      if (!kind || entry.kind == *kind) out.push_back(entry);
    }
  }
  std::sort(out.begin(), out.end(), [](const ContextEntry& a, const ContextEntry& b) {
    return a.created_at != b.created_at ? a.created_at < b.created_at : a.url < b.url;
  });
  return out;
}

Status ContextRegistry::remove(std::string_view id_or_url) {
  std::lock_guard lock(mutex_);
  ContextEntry* entry = locate(id_or_url);
  if (entry == nullptr) return not_found(id_or_url);
  if (entry->core) {
    return make_error(ErrorKind::kBadRequestData, "the NGSI-LD core @context cannot be deleted");
  }
  if (persistence_ != nullptr) CT_RETURN_IF_ERROR(persistence_->remove(entry->url));
  std::string url = entry->url;
  url_by_id_.erase(entry->local_id);
  by_url_.erase(url);
  ++generation_;
  return ok_status();
}

Result<ContextEntry> ContextRegistry::reload(std::string_view id_or_url, ContextLoader& loader) {
  std::string url;
  {
    std::lock_guard lock(mutex_);
    const ContextEntry* entry = locate(id_or_url);
    if (entry == nullptr) return not_found(id_or_url);
    if (entry->core || entry->kind != ContextKind::kCached) {
      return make_error(ErrorKind::kBadRequestData,
                        "only downloaded (Cached) @contexts can be reloaded; the core @context "
                        "is built in");
    }
    url = entry->url;
  }
  // Downloaded without the lock: a slow server must not block other requests.
  auto document = loader.load(url);
  if (!document) return std::move(document).error();
  return add_cached(url, *document);
}

ContextEntry* ContextRegistry::locate(std::string_view id_or_url) {
  const auto* self = this;
  return const_cast<ContextEntry*>(self->locate(id_or_url));
}

const ContextEntry* ContextRegistry::locate(std::string_view id_or_url) const {
  std::string key(id_or_url);
  if (auto id = url_by_id_.find(key); id != url_by_id_.end()) key = id->second;
  auto it = by_url_.find(key);
  return it != by_url_.end() ? &it->second : locate_hosted(id_or_url);
}

// Our hosted resource reached through whatever host and port the client used. Local ids are
// 128 random bits, so another broker's hosted URL cannot name one of ours by accident.
const ContextEntry* ContextRegistry::locate_hosted(std::string_view url) const {
  const std::string_view local_id = hosted_id_of(url);
  if (local_id.empty()) return nullptr;
  auto id = url_by_id_.find(std::string(local_id));
  if (id == url_by_id_.end()) return nullptr;
  auto it = by_url_.find(id->second);
  if (it == by_url_.end() || it->second.kind == ContextKind::kCached) return nullptr;
  return &it->second;
}

// Implicit entries are few (one per distinct inline context), so a scan is enough.
const ContextEntry* ContextRegistry::find_implicit(std::string_view document) const {
  for (const auto& [url, entry] : by_url_) {
    if (entry.kind == ContextKind::kImplicitlyCreated && entry.document == document) {
      return &entry;
    }
  }
  return nullptr;
}

// 128 random bits in hex: unique without coordination, and not guessable from a counter.
std::string ContextRegistry::new_local_id() {
  std::string id;
  do {
    char buffer[33];
    std::snprintf(buffer, sizeof buffer, "%016llx%016llx",
                  static_cast<unsigned long long>(random_()),
                  static_cast<unsigned long long>(random_()));
    id = buffer;
  } while (url_by_id_.contains(id));
  return id;
}

std::size_t ContextRegistry::user_entry_count() const {
  return static_cast<std::size_t>(std::count_if(
      by_url_.begin(), by_url_.end(), [](const auto& item) { return !item.second.core; }));
}

}  // namespace citytwin::jsonld
