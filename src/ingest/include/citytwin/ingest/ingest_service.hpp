#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "citytwin/common/clock.hpp"
#include "citytwin/common/metrics.hpp"
#include "citytwin/common/result.hpp"
#include "citytwin/core/entity_service.hpp"
#include "citytwin/ingest/device_registry.hpp"
#include "citytwin/ingest/measures.hpp"
#include "citytwin/model/term_mapper.hpp"

namespace citytwin::ingest {

enum class PayloadFormat { kJson, kUltraLight };

// One message from a device, as any transport (HTTP, MQTT, ...) received it.
struct Measurement {
  std::string transport;  // "http", "mqtt", ...: metrics label and the Device entity
  std::string apikey;
  std::string device_id;
  // The path the measurement came by ("/iot/json", "/iot/d"), to pick among groups sharing
  // an apikey; "" for transports without paths.
  std::string resource;
  PayloadFormat format = PayloadFormat::kJson;
  std::string payload;
  // Non-empty: `payload` is the bare value of this one field (MQTT ".../attrs/{object_id}").
  std::string object_id;
  // Called with the tenant the measurement resolves to, before anything is written; an error
  // rejects it (the HTTP transport checks the caller's API key here). May be empty.
  std::function<Status(std::string_view tenant)> authorize;
};

// What a successful measurement wrote.
struct IngestReceipt {
  std::string tenant;
  std::string entity_id;         // the device's entity
  std::string device_entity_id;  // its NGSI-LD Device entity
  std::size_t groups = 0;        // measure groups written
  bool autoprovisioned = false;  // the device was created by this measurement
};

struct IngestOptions {
  // Largest payload accepted, in bytes. Default 1 MiB.
  std::size_t max_payload_bytes = 1 << 20;
  // Limits of the payload codecs (groups per payload, fields per group).
  DecodeLimits decode;
  // Most measurements ingest() writes in one entity batch and store write (they queue while
  // the previous batch is written; docs/ingest.md, "Batching"). Default 4096.
  std::size_t max_batch = 4096;
  // How long the writer waits for more measurements when it wakes to a small batch (fewer
  // than MeasureBatcher::kLingerUntil): at a few thousand measures/s each batch held one or
  // two, and every batch paid its thread wake-ups, cold caches and fsync alone. Zero: write
  // each batch as soon as the writer is free. Default 2 ms (docs/ingest.md, "Batching").
  std::chrono::microseconds batch_linger{2000};
  // A device's Device entity gets `dateLastValueReported` with a measure when it was last
  // written at least this long before; a newer report in between is written by the measure
  // writer once the interval has passed (docs/ingest.md, "The Device entity"). Devices with
  // an expected period, and measures that change other Device attributes, write it every
  // time. Zero: with every measure. Default 10 s.
  std::chrono::milliseconds device_report_interval{10000};
  // How often the measure writer writes the waiting reports whose interval has passed (see
  // IngestService::write_deferred_reports), at most every device_report_interval. Default
  // 100 ms.
  std::chrono::milliseconds device_report_pass{100};
};

struct PreparedMeasure;
struct PendingMeasure;
class MeasureBatcher;
class DeviceReports;
struct DeviceReportWrite;

// The transport-independent ingestion pipeline (docs/ingest.md): resolves the service
// group and device, decodes the payload, applies the attribute mappings and expressions, and
// writes the device's entity (current state and history in one store write per measure
// group), any multi-entity targets, and the device's NGSI-LD Device entity through
// core::EntityService. Everything is decoded and validated before the first write, so bad
// input writes nothing. Thread-safe. ingest() validates on the caller's thread and queues
// the write: one writer thread writes all queued measurements as one entity batch (each
// measure stays a sample of the history) and one store write.
//
// Outcomes are counted in citytwin_ingest_measurements_total{transport,outcome}.
class IngestService {
 public:
  // `terms` expands attribute and type names (the NGSI-LD core @context in the server).
  IngestService(DeviceRegistry& registry, core::EntityService& entities,
                std::shared_ptr<const jsonld::TermMapper> terms, const Clock& clock,
                MetricsRegistry* metrics = nullptr, IngestOptions options = {});
  // Writes what is queued first.
  ~IngestService();
  IngestService(const IngestService&) = delete;
  IngestService& operator=(const IngestService&) = delete;

  // Orders the writes of one measurement and returns; they are durable once
  // EntityStore::when_durable(write_mark()) reports OK (with an EntityService that waits for
  // the disk, on return). For transports with their own write barrier (the HTTP server).
  Result<IngestReceipt> write(const Measurement& measurement);

  // write(), then `done` once the writes are durable (or with the error that rejected or lost
  // them): on the calling thread when that is known at once, else on the store's commit
  // thread, so `done` must be quick. This is what MQTT, CoAP, ... acknowledge on. A measure
  // that is refused is answered at once; an accepted one joins the next batch write, and
  // `done` runs on the store's commit thread (or the writer thread).
  void ingest(const Measurement& measurement, std::function<void(Result<IngestReceipt>)> done);

  // Counts and logs a message a transport refused before it became a Measurement (a
  // malformed CoAP request, a LoRaWAN webhook body that does not parse), as write() does
  // for the measurements it rejects.
  void reject(std::string_view transport, std::string_view apikey, std::string_view device_id,
              const Error& error);

  // Writes the newest waiting `dateLastValueReported` of devices last written at least
  // IngestOptions::device_report_interval before (of every device with one when `all`), up to
  // kReportsPerPass of them unless `all`. The measure writer runs this every
  // IngestOptions::device_report_pass, between batches, and with `all` when the service stops.
  // Returns how many Device entities it wrote.
  std::size_t write_deferred_reports(bool all = false);

  // A bounded pass keeps the measures queued behind it from waiting long.
  static constexpr std::size_t kReportsPerPass = 512;

 private:
  struct Resolved;
  Result<Resolved> resolve(const Measurement& measurement);
  Result<PreparedMeasure> prepare(const Measurement& measurement);
  Result<PreparedMeasure> prepare_resolved(const Measurement& measurement, Resolved& resolved);
  // Writes the prepared measures as one entity batch per tenant; one result per measure, in
  // order (written, not yet durable), counted in the metrics.
  std::vector<Result<IngestReceipt>> write_prepared(std::vector<PendingMeasure>& batch);
  // write_prepared(), then each `done` once durable.
  void write_and_acknowledge(std::vector<PendingMeasure>& batch);
  // Adds the Device entity item of `prepared`'s deferrable report when it is due; one that is
  // not waits in reports_ for write_deferred_reports().
  Status schedule_report(PreparedMeasure& prepared);
  Result<core::BatchItem> report_item(const DeviceReportWrite& report) const;
  void count(std::string_view transport, std::string_view outcome);

  DeviceRegistry& registry_;
  core::EntityService& entities_;
  std::shared_ptr<const jsonld::TermMapper> terms_;
  const Clock& clock_;
  MetricsRegistry* metrics_;
  IngestOptions options_;
  // Registry version whose static attributes each entity has received ("tenant|id"). Hashed:
  // looked up twice per measure, and the keys share long prefixes (a tree compared them a
  // dozen times per lookup among 10,000 devices).
  std::mutex statics_mutex_;
  std::unordered_map<std::string, std::uint64_t> statics_written_;
  // What each Device entity's controlledAsset and supportedProtocol were last written for
  // ("tenant|device entity id"): they change only with provisioning or the transport, so
  // writing them with every measure only added two history samples per measure.
  struct DeviceLinks {
    std::uint64_t version = 0;
    std::string transport;
  };
  std::unordered_map<std::string, DeviceLinks> links_written_;
  std::unique_ptr<DeviceReports> reports_;
  std::unique_ptr<MeasureBatcher> batcher_;  // last: its thread uses everything above
};

}  // namespace citytwin::ingest
