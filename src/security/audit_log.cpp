#include "citytwin/security/audit_log.hpp"
#include "citytwin/common/json_parse.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>
#include <limits>

namespace citytwin::security {
namespace {

namespace json = boost::json;

constexpr std::string_view kNamespace = "audit.log";
constexpr std::size_t kMaxQueryLimit = 1000;

// Zero-padded, so the store's key order is the sequence order.
std::string batch_key(std::uint64_t first_sequence) {
  char text[24];
  std::snprintf(text, sizeof text, "%020llu", static_cast<unsigned long long>(first_sequence));
  return text;
}

// A record is stored as an array in this order (about half the bytes of an object with
// member names: the log is written on every write request, so its size is its cost).
// [sequence, time µs, actor, role, scope, tenant, kind, method, path, status, device,
//  count, since µs]; the last two only for summaries (count > 1), and logs written before
// summaries existed have none.
constexpr std::size_t kFields = 11;
constexpr std::size_t kSummaryFields = 13;

json::array encode(const AuditRecord& record) {
  json::array fields{record.sequence, record.time.micros, record.actor, record.role,
                     record.scope,    record.tenant,      record.kind,  record.method,
                     record.path,     record.status,      record.device};
  if (record.count != 1 || record.since.micros != record.time.micros) {
    fields.push_back(record.count);
    fields.push_back(record.since.micros);
  }
  return fields;
}

// Everything that makes two device messages count into one summary.
std::string summary_identity(const AuditRecord& record) {
  std::string identity;
  for (const std::string* part : {&record.actor, &record.role, &record.scope, &record.tenant,
                                  &record.kind, &record.method, &record.path, &record.device}) {
    identity += *part;
    identity += '\x1f';
  }
  identity += std::to_string(record.status);
  return identity;
}

std::string text_at(const json::array& fields, std::size_t index) {
  const auto& value = fields[index];
  return value.is_string() ? std::string(value.get_string()) : "";
}

std::int64_t number_at(const json::array& fields, std::size_t index) {
  const auto& value = fields[index];
  if (value.is_int64()) return value.get_int64();
  if (value.is_uint64()) return static_cast<std::int64_t>(value.get_uint64());
  return 0;
}

Result<std::vector<AuditRecord>> decode(std::string_view text) {
  auto unreadable = [] { return make_error(ErrorKind::kInternalError, "unreadable audit batch"); };
  boost::system::error_code ec;
  auto parsed = citytwin::parse_json(text, ec);
  const json::array* records = nullptr;
  if (!ec && parsed.is_object()) {
    if (const auto* found = parsed.as_object().if_contains("records")) records = found->if_array();
  }
  if (records == nullptr) return unreadable();
  std::vector<AuditRecord> out;
  out.reserve(records->size());
  for (const auto& item : *records) {
    const auto* fields = item.if_array();
    if (fields == nullptr || (fields->size() != kFields && fields->size() != kSummaryFields)) {
      return unreadable();
    }
    AuditRecord record;
    record.sequence = static_cast<std::uint64_t>(number_at(*fields, 0));
    record.time = Instant{number_at(*fields, 1)};
    record.actor = text_at(*fields, 2);
    record.role = text_at(*fields, 3);
    record.scope = text_at(*fields, 4);
    record.tenant = text_at(*fields, 5);
    record.kind = text_at(*fields, 6);
    record.method = text_at(*fields, 7);
    record.path = text_at(*fields, 8);
    record.status = static_cast<int>(number_at(*fields, 9));
    record.device = text_at(*fields, 10);
    if (fields->size() == kSummaryFields) {
      record.count = static_cast<std::uint64_t>(number_at(*fields, 11));
      record.since = Instant{number_at(*fields, 12)};
    } else {
      record.since = record.time;
    }
    out.push_back(std::move(record));
  }
  return out;
}

bool matches(const AuditRecord& record, const AuditQuery& query) {
  if (query.after && record.sequence <= *query.after) return false;
  if (query.from && record.time.micros < query.from->micros) return false;
  if (query.to && record.time.micros >= query.to->micros) return false;
  if (!query.actor.empty() && record.actor != query.actor) return false;
  if (query.tenant && record.tenant != *query.tenant) return false;
  return true;
}

}  // namespace

AuditLog::AuditLog(store::EntityStore& store, const Clock& clock, AuditOptions options)
    : store_(store), clock_(clock), options_(options) {}

AuditLog::~AuditLog() {
  stop();
}

Status AuditLog::restore() {
  auto stored = store_.list_documents(kNamespace);
  if (!stored) return std::move(stored).error();
  std::lock_guard flush(flush_mutex_);
  batches_.clear();
  stored_ = 0;
  std::uint64_t next = 1;
  for (const auto& [key, text] : *stored) {
    auto records = decode(text);
    if (!records) return std::move(records).error();
    if (records->empty()) continue;
    Batch batch{records->size(), records->front().time.micros, records->back().time.micros};
    batches_[records->front().sequence] = batch;
    stored_ += batch.count;
    next = std::max(next, records->back().sequence + 1);
  }
  std::lock_guard lock(mutex_);
  next_sequence_ = std::max(next_sequence_, next);
  return ok_status();
}

void AuditLog::queue(AuditRecord record) {
  if (pending_.size() >= options_.max_pending) {
    ++dropped_;
    return;
  }
  record.sequence = next_sequence_++;
  record.time = clock_.now();
  if (record.since.micros == 0) record.since = record.time;  // not a summary
  pending_.push_back(std::move(record));
}

void AuditLog::record(AuditRecord record) {
  bool full = false;
  {
    std::lock_guard lock(mutex_);
    record.count = 1;
    record.since = Instant{};
    queue(std::move(record));
    full = pending_.size() >= options_.batch_records;
  }
  if (full) wake_.notify_one();
}

void AuditLog::tally(const AuditRecord& record) {
  std::lock_guard lock(mutex_);
  std::string identity = summary_identity(record);
  auto open = summaries_.find(identity);
  if (open != summaries_.end()) {
    ++open->second.count;
    return;
  }
  if (summaries_.size() >= options_.max_summaries) close_summaries(std::nullopt);
  AuditRecord summary = record;
  summary.count = 1;
  summary.since = clock_.now();
  summaries_.emplace(std::move(identity), std::move(summary));
}

void AuditLog::close_summaries(std::optional<std::int64_t> opened_before) {
  for (auto it = summaries_.begin(); it != summaries_.end();) {
    if (opened_before && it->second.since.micros > *opened_before) {
      ++it;
      continue;
    }
    queue(std::move(it->second));
    it = summaries_.erase(it);
  }
}

Status AuditLog::flush() {
  return flush(false);
}

Status AuditLog::flush(bool close_all_summaries) {
  std::lock_guard flush(flush_mutex_);
  std::vector<AuditRecord> batch;
  {
    std::lock_guard lock(mutex_);
    std::optional<std::int64_t> opened_before;
    if (!close_all_summaries) {
      opened_before =
          clock_.now().micros -
          std::chrono::duration_cast<std::chrono::microseconds>(options_.summary_interval).count();
    }
    close_summaries(opened_before);
    batch.swap(pending_);
  }
  if (!batch.empty()) {
    json::array records;
    records.reserve(batch.size());
    for (const auto& record : batch) records.push_back(encode(record));
    auto status = store_.put_document(kNamespace, batch_key(batch.front().sequence),
                                      json::serialize(json::object{{"records", records}}));
    if (!status.ok()) {
      // Keep them for the next flush (in front of newer ones), within max_pending.
      std::lock_guard lock(mutex_);
      std::size_t room =
          options_.max_pending > pending_.size() ? options_.max_pending - pending_.size() : 0;
      if (batch.size() > room) {
        dropped_ += batch.size() - room;
        batch.erase(batch.begin(), batch.end() - static_cast<std::ptrdiff_t>(room));
      }
      pending_.insert(pending_.begin(), std::make_move_iterator(batch.begin()),
                      std::make_move_iterator(batch.end()));
      return status;
    }
    batches_[batch.front().sequence] =
        Batch{batch.size(), batch.front().time.micros, batch.back().time.micros};
    stored_ += batch.size();
  }
  return enforce_limits();
}

// Erases whole batches, oldest first, while the log holds too many records or its oldest
// batch is past max_age.
Status AuditLog::enforce_limits() {
  std::int64_t oldest_kept =
      clock_.now().micros -
      std::chrono::duration_cast<std::chrono::microseconds>(options_.max_age).count();
  std::vector<std::string> erased;
  while (!batches_.empty()) {
    const auto& [first, batch] = *batches_.begin();
    if (stored_ <= options_.max_records && batch.last_time >= oldest_kept) break;
    erased.push_back(batch_key(first));
    stored_ -= batch.count;
    batches_.erase(batches_.begin());
  }
  return store_.delete_documents(kNamespace, erased);
}

Result<AuditPage> AuditLog::query(const AuditQuery& query) {
  CT_RETURN_IF_ERROR(flush(true));
  std::size_t limit = std::clamp<std::size_t>(query.limit, 1, kMaxQueryLimit);
  std::vector<std::uint64_t> keys;
  {
    std::lock_guard flush(flush_mutex_);
    for (const auto& [first, batch] : batches_) {
      if (query.after && first + batch.count <= *query.after + 1) continue;
      if (query.from && batch.last_time < query.from->micros) continue;
      if (query.to && batch.first_time >= query.to->micros) break;
      keys.push_back(first);
    }
  }
  AuditPage page;
  for (std::uint64_t first : keys) {
    auto text = store_.get_document(kNamespace, batch_key(first));
    if (!text) return std::move(text).error();
    if (!*text) continue;  // erased meanwhile by the limits
    auto records = decode(**text);
    if (!records) return std::move(records).error();
    for (auto& record : *records) {
      if (!matches(record, query)) continue;
      if (page.records.size() == limit) {
        page.next = page.records.back().sequence;
        return page;
      }
      page.records.push_back(std::move(record));
    }
  }
  return page;
}

std::uint64_t AuditLog::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

void AuditLog::start(ErrorListener on_error) {
  stop();
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  worker_ = std::thread([this, on_error = std::move(on_error)] {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      wake_.wait_for(lock, options_.flush_interval,
                     [this] { return stopping_ || pending_.size() >= options_.batch_records; });
      lock.unlock();
      if (auto status = flush(); !status.ok() && on_error) on_error(status.error());
      lock.lock();
    }
  });
}

void AuditLog::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
  (void)flush(true);  // what was recorded before the stop is kept
}

}  // namespace citytwin::security
