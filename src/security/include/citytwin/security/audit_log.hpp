#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "citytwin/common/clock.hpp"
#include "citytwin/common/result.hpp"
#include "citytwin/store/entity_store.hpp"

namespace citytwin::security {

// One administrative action or write (issue #6, "an audit log records administrative actions
// and every write with who made it"; docs/security.md, "Audit log"). Holds who, where, what
// and how it ended; never a secret: no header, no query string, no body.
struct AuditRecord {
  std::uint64_t sequence = 0;  // set by AuditLog: order of recording, and the paging cursor
  Instant time;                // set by AuditLog when recorded
  std::string actor;           // key id, "jwt:<sub>", "unauthenticated" (auth off), "cli"
  std::string role;            // the actor's role, "" when there is none (auth off)
  std::string scope;           // the tenant the credential is valid for ("*" = every tenant)
  std::string tenant;          // the tenant acted on ("" = default)
  std::string kind;            // "write" or "admin" (keys, settings, provisioning, retention, ...)
  std::string method;
  std::string path;    // without the query string
  std::string device;  // device id of a device measurement, else ""
  int status = 0;      // the HTTP status answered (MQTT and CoAP: its HTTP equivalent)
  // Device measures over MQTT and CoAP are summarised (AuditLog::tally): `count` messages of
  // the same device, actor, tenant and outcome, the first at `since`, the last before `time`.
  // A single request: count 1 and `since` equal to `time`.
  std::uint64_t count = 1;
  Instant since;
};

struct AuditOptions {
  // Most records kept; older ones are erased, a stored batch at a time, so the log never
  // grows without bound. Default 1,000,000 (about 200 MB at the most).
  std::size_t max_records = 1'000'000;
  // Records older than this are erased too. Default 400 days (a year plus a margin for
  // yearly reviews).
  std::chrono::hours max_age{400 * 24};
  // Records wait in memory at most this long before they are written (one store write per
  // batch, not per request: see docs/security.md for the cost). Default 1 s.
  std::chrono::milliseconds flush_interval{1000};
  // A batch is written early when this many records wait. Default 512.
  std::size_t batch_records = 512;
  // When the store cannot take records (disk full), at most this many wait; more are
  // dropped and counted. Default 100,000.
  std::size_t max_pending = 100'000;
  // A summary of device measures (tally) is closed and recorded this long after its first
  // message, so a device sending every second costs one record a minute, not sixty. Default
  // 60 s. A query closes every open summary first, so it always sees the counts so far.
  std::chrono::seconds summary_interval{60};
  // Most summaries open at once; beyond it all are closed early. Default 10,000.
  std::size_t max_summaries = 10'000;
};

struct AuditQuery {
  std::optional<Instant> from;         // time >= from
  std::optional<Instant> to;           // time < to
  std::string actor;                   // "" = any
  std::optional<std::string> tenant;   // nullopt = any
  std::optional<std::uint64_t> after;  // only records after this sequence (paging)
  std::size_t limit = 100;
};

struct AuditPage {
  std::vector<AuditRecord> records;   // oldest first
  std::optional<std::uint64_t> next;  // `after` for the next page, when there is one
};

// The audit log: records wait in memory and are written in batches (store documents of
// namespace "audit.log", key = the first record's sequence) by a background thread, so a
// write request pays a mutex and a vector push, not a store write. Thread-safe.
class AuditLog {
 public:
  AuditLog(store::EntityStore& store, const Clock& clock, AuditOptions options = {});
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Reads the index of stored batches; call once before anything else.
  Status restore();
  // Stamps time and sequence and queues the record. Never blocks on the store.
  void record(AuditRecord record);
  // Counts a device message (MQTT, CoAP) into the open summary of the same actor, role,
  // scope, tenant, kind, method, path, device and status, opening one when there is none;
  // summaries are recorded summary_interval after they open (docs/security.md, "Audit log").
  void tally(const AuditRecord& record);
  // Writes every queued record now (and the summaries open for summary_interval), then
  // erases what exceeds the limits.
  Status flush();
  // Matching records, oldest first; the queued ones are written first so they are seen.
  Result<AuditPage> query(const AuditQuery& query);
  // Records dropped because the store could not take them.
  std::uint64_t dropped() const;

  // Flushes every flush_interval (or batch_records) on its own thread until stop().
  using ErrorListener = std::function<void(const Error&)>;
  void start(ErrorListener on_error = {});
  void stop();

 private:
  struct Batch {
    std::size_t count = 0;
    std::int64_t first_time = 0;
    std::int64_t last_time = 0;
  };
  Status flush(bool close_all_summaries);
  Status enforce_limits();
  // Moves the summaries opened before `opened_before` (all: every one) to pending_. Needs mutex_.
  void close_summaries(std::optional<std::int64_t> opened_before);
  void queue(AuditRecord record);  // needs mutex_

  store::EntityStore& store_;
  const Clock& clock_;
  AuditOptions options_;
  mutable std::mutex mutex_;  // guards pending_, summaries_, next_sequence_, dropped_
  std::vector<AuditRecord> pending_;
  std::map<std::string, AuditRecord> summaries_;  // open tallies by their identity
  std::uint64_t next_sequence_ = 1;
  std::uint64_t dropped_ = 0;
  std::mutex flush_mutex_;                  // one flush at a time; guards batches_, stored_
  std::map<std::uint64_t, Batch> batches_;  // by first sequence
  std::size_t stored_ = 0;                  // records in batches_
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace citytwin::security
