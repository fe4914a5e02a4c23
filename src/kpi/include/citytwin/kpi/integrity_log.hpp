#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "citytwin/common/clock.hpp"
#include "citytwin/common/result.hpp"
#include "citytwin/store/entity_store.hpp"

namespace citytwin::kpi {

// A tamper-evident, append-only log per tenant (docs/kpi.md, "Integrity"): every accepted
// input batch and every published KPI result is one record; record n stores
//   body = canonical JSON text {"seq": n, "at": ..., "kind": ..., ...payload},
//   hash = SHA-256(hash of record n-1 || "\n" || body)   (record 1 chains from 64 zeros),
// so changing, removing or reordering any record breaks the chain from that record on. Every
// `checkpoint_every` records the head hash is also written to a separate checkpoint
// document, so that cutting records off the END of the log (which leaves a consistent
// shorter chain) is detected too. Records and checkpoints are store documents
// (put_document: durable when it returns).
class IntegrityLog {
 public:
  static constexpr std::string_view kRecords = "kpi-log";
  static constexpr std::string_view kCheckpoints = "kpi-log-checkpoint";

  IntegrityLog(store::EntityStore& store, const Clock& clock, std::uint64_t checkpoint_every = 16);

  // Appends one record; `payload` members are added after seq, at and kind. Returns its seq.
  Result<std::uint64_t> append(std::string_view tenant, std::string_view kind,
                               const boost::json::object& payload);

  struct Problem {
    std::uint64_t seq = 0;  // the record (or checkpoint) concerned
    std::string what;       // altered | removed | reordered | truncated | content-mismatch
    std::string detail;
  };
  struct Report {
    std::string tenant;
    std::uint64_t records = 0;
    std::uint64_t checkpoints = 0;
    // The newest record's seq and hash: publish them elsewhere (a web page, a notary) so
    // that even a rewrite of the whole store can be caught by comparing later.
    std::uint64_t head_seq = 0;
    std::string head_hash;
    std::vector<Problem> problems;
    bool ok() const { return problems.empty(); }
    boost::json::object to_json() const;
  };
  // Checks the chain and the checkpoints of one tenant. `content_check` (optional) is called
  // for each record's parsed body and returns a problem detail when the data the record
  // vouches for (an input batch) no longer matches, or "" when it does.
  using ContentCheck = std::function<std::string(const boost::json::object& body)>;
  Result<Report> verify(std::string_view tenant, const ContentCheck& content_check = {}) const;
  // Tenants that have a log.
  Result<std::vector<std::string>> tenants() const;

  static std::string sha256_hex(std::string_view data);
  static std::string record_key(std::string_view tenant, std::uint64_t seq);

 private:
  struct Head {
    std::uint64_t seq = 0;
    std::string hash;
  };
  Result<Head> load_head(std::string_view tenant) const;

  store::EntityStore& store_;
  const Clock& clock_;
  std::uint64_t checkpoint_every_;
  std::mutex mutex_;
  std::map<std::string, Head, std::less<>> heads_;  // tenant -> last record, once loaded
};

}  // namespace citytwin::kpi
