#include "citytwin/kpi/integrity_log.hpp"

#include <openssl/evp.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <set>

#include "citytwin/common/instant.hpp"
#include "citytwin/common/json_parse.hpp"
#include "citytwin/common/json_text.hpp"

namespace citytwin::kpi {
namespace {

const std::string kGenesis(64, '0');
constexpr char kSeparator = '\x1f';  // between tenant and sequence number in keys

std::string tenant_prefix(std::string_view tenant) {
  std::string prefix(tenant);
  prefix.push_back(kSeparator);
  return prefix;
}

// Record keys sort in sequence order: the number is zero-padded.
std::string padded(std::uint64_t seq) {
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "%020llu", static_cast<unsigned long long>(seq));
  return buffer;
}

struct StoredRecord {
  std::string body;
  std::string hash;
};

std::optional<StoredRecord> parse_stored(std::string_view text) {
  boost::system::error_code ec;
  auto json = citytwin::parse_json(text, ec);
  if (ec || !json.is_object()) return std::nullopt;
  const auto& object = json.as_object();
  const auto* body = object.if_contains("body");
  const auto* hash = object.if_contains("hash");
  if (body == nullptr || hash == nullptr || !body->is_string() || !hash->is_string()) {
    return std::nullopt;
  }
  return StoredRecord{std::string(body->as_string()), std::string(hash->as_string())};
}

std::optional<std::uint64_t> seq_of(const boost::json::object& body) {
  const auto* seq = body.if_contains("seq");
  if (seq == nullptr || !seq->is_int64() || seq->as_int64() < 1) return std::nullopt;
  return static_cast<std::uint64_t>(seq->as_int64());
}

std::string chain(const std::string& previous, const std::string& body) {
  return IntegrityLog::sha256_hex(previous + "\n" + body);
}

}  // namespace

IntegrityLog::IntegrityLog(store::EntityStore& store, const Clock& clock,
                           std::uint64_t checkpoint_every)
    : store_(store),
      clock_(clock),
      checkpoint_every_(checkpoint_every == 0 ? 1 : checkpoint_every) {}

std::string IntegrityLog::sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

std::string IntegrityLog::record_key(std::string_view tenant, std::uint64_t seq) {
  return tenant_prefix(tenant) + padded(seq);
}

Result<IntegrityLog::Head> IntegrityLog::load_head(std::string_view tenant) const {
  auto listed = store_.list_documents(kRecords);
  if (!listed) return std::move(listed).error();
  Head head{0, kGenesis};
  const std::string prefix = tenant_prefix(tenant);
  for (const auto& [key, value] : *listed) {
    if (key.compare(0, prefix.size(), prefix) != 0) continue;
    auto stored = parse_stored(value);
    if (!stored) continue;
    boost::system::error_code ec;
    auto body = citytwin::parse_json(stored->body, ec);
    if (ec || !body.is_object()) continue;
    auto seq = seq_of(body.as_object());
    if (seq && *seq > head.seq) head = Head{*seq, stored->hash};
  }
  return head;
}

Result<std::uint64_t> IntegrityLog::append(std::string_view tenant, std::string_view kind,
                                           const boost::json::object& payload) {
  std::lock_guard lock(mutex_);
  auto it = heads_.find(tenant);
  if (it == heads_.end()) {
    auto head = load_head(tenant);
    if (!head) return std::move(head).error();
    it = heads_.emplace(std::string(tenant), std::move(*head)).first;
  }
  Head& head = it->second;
  const std::uint64_t seq = head.seq + 1;
  boost::json::object body{
      {"seq", seq}, {"at", format_date_time(clock_.now())}, {"kind", kind}, {"tenant", tenant}};
  for (const auto& [key, value] : payload) body[key] = value;
  std::string body_text = to_json_text(body);
  std::string hash = chain(head.hash, body_text);
  boost::json::object stored{{"body", body_text}, {"hash", hash}};
  CT_RETURN_IF_ERROR(store_.put_document(kRecords, record_key(tenant, seq), to_json_text(stored)));
  if (seq % checkpoint_every_ == 0) {
    boost::json::object checkpoint{{"seq", seq}, {"hash", hash}};
    CT_RETURN_IF_ERROR(
        store_.put_document(kCheckpoints, record_key(tenant, seq), to_json_text(checkpoint)));
  }
  head = Head{seq, std::move(hash)};
  return seq;
}

Result<std::vector<std::string>> IntegrityLog::tenants() const {
  auto listed = store_.list_documents(kRecords);
  if (!listed) return std::move(listed).error();
  std::set<std::string> names;
  for (const auto& [key, _] : *listed) {
    auto end = key.find(kSeparator);
    if (end != std::string::npos) names.insert(key.substr(0, end));
  }
  return std::vector<std::string>(names.begin(), names.end());
}

Result<IntegrityLog::Report> IntegrityLog::verify(std::string_view tenant,
                                                  const ContentCheck& content_check) const {
  Report report;
  report.tenant = std::string(tenant);
  auto listed = store_.list_documents(kRecords);
  if (!listed) return std::move(listed).error();
  const std::string prefix = tenant_prefix(tenant);
  std::map<std::uint64_t, std::string> hashes;  // seq -> hash, for the checkpoints
  std::string previous = kGenesis;
  std::uint64_t expected = 1;
  for (const auto& [key, value] : *listed) {
    if (key.compare(0, prefix.size(), prefix) != 0) continue;
    ++report.records;
    std::uint64_t key_seq = std::strtoull(key.c_str() + prefix.size(), nullptr, 10);
    auto problem = [&](std::uint64_t seq, std::string what, std::string detail) {
      report.problems.push_back({seq, std::move(what), std::move(detail)});
    };
    if (key_seq > expected) {
      for (; expected < key_seq; ++expected) {
        problem(expected, "removed", "record " + std::to_string(expected) + " is missing");
      }
      previous.clear();  // unknown: the missing record's hash; do not blame this one for it
    }
    expected = key_seq + 1;
    auto stored = parse_stored(value);
    if (!stored) {
      problem(key_seq, "altered", "record " + std::to_string(key_seq) + " is not a log record");
      previous.clear();  // unknown from here: skip the next record's link check
      continue;
    }
    boost::system::error_code ec;
    auto body = citytwin::parse_json(stored->body, ec);
    std::optional<std::uint64_t> body_seq;
    if (!ec && body.is_object()) body_seq = seq_of(body.as_object());
    if (!body_seq) {
      problem(key_seq, "altered", "record " + std::to_string(key_seq) + " has no sequence number");
    } else if (*body_seq != key_seq) {
      problem(key_seq, "reordered",
              "position " + std::to_string(key_seq) + " holds record " + std::to_string(*body_seq));
    } else if (!previous.empty() && chain(previous, stored->body) != stored->hash) {
      problem(key_seq, "altered",
              "record " + std::to_string(key_seq) + " does not match its hash (its content was " +
                  "edited, or record " + std::to_string(key_seq - 1) + " was rewritten)");
    } else if (content_check) {
      std::string mismatch = content_check(body.as_object());
      if (!mismatch.empty()) problem(key_seq, "content-mismatch", mismatch);
    }
    hashes[key_seq] = stored->hash;
    previous = stored->hash;
    report.head_seq = key_seq;
    report.head_hash = stored->hash;
  }
  auto checkpoints = store_.list_documents(kCheckpoints);
  if (!checkpoints) return std::move(checkpoints).error();
  for (const auto& [key, value] : *checkpoints) {
    if (key.compare(0, prefix.size(), prefix) != 0) continue;
    ++report.checkpoints;
    std::uint64_t seq = std::strtoull(key.c_str() + prefix.size(), nullptr, 10);
    boost::system::error_code ec;
    auto json = citytwin::parse_json(value, ec);
    const boost::json::value* hash = nullptr;
    if (!ec && json.is_object()) hash = json.as_object().if_contains("hash");
    auto it = hashes.find(seq);
    if (it == hashes.end()) {
      if (seq >= expected) {
        report.problems.push_back({seq, "truncated",
                                   "checkpoint " + std::to_string(seq) +
                                       " names a record past the "
                                       "end of the log: records " +
                                       std::to_string(expected) + ".." + std::to_string(seq) +
                                       " were removed"});
      }
    } else if (hash == nullptr || !hash->is_string() || hash->as_string() != it->second) {
      report.problems.push_back({seq, "altered",
                                 "record " + std::to_string(seq) +
                                     " differs from its checkpoint (the chain was rewritten)"});
    }
  }
  return report;
}

boost::json::object IntegrityLog::Report::to_json() const {
  boost::json::array list;
  for (const auto& problem : problems) {
    list.push_back({{"seq", problem.seq}, {"problem", problem.what}, {"detail", problem.detail}});
  }
  return {{"tenant", tenant},
          {"ok", ok()},
          {"records", records},
          {"checkpoints", checkpoints},
          {"head", {{"seq", head_seq}, {"hash", head_hash}}},
          {"problems", std::move(list)}};
}

}  // namespace citytwin::kpi
