#pragma once

#include <string>
#include <vector>

namespace citytwin::server {

// `citytwin export`: the recorded history of a data directory as CSV or JSON Lines, offline
// (the server must be stopped: the database admits one process; while it runs, use GET
// /citytwin/v1/export). Rows as in core::HistoryExport; names are the NGSI-LD core
// context's (other attributes by their default-vocabulary short name or full IRI).
struct ExportOptions {
  std::string data_dir = "./citytwin-data";
  std::string tenant;                        // "" = the default tenant
  std::string type;                          // entity type (type expression); required
  std::string id_pattern;                    // regular expression on entity ids; optional
  std::vector<std::string> attrs;            // attributes to export; empty = all
  std::string from;                          // ISO 8601: instances at or after this instant
  std::string to;                            // ISO 8601: instances before this instant
  std::string time_property = "observedAt";  // observedAt, createdAt or modifiedAt
  std::string format = "csv";                // csv or jsonl
  std::string output;                        // file; "" = standard output
};

// Returns the process exit code (0, 1 on failure, 2 on bad options), messages on stderr.
int export_history(const ExportOptions& options);

}  // namespace citytwin::server
