#pragma once

#include <string>

namespace citytwin::server {

// `citytwin keys create|list|revoke`: API key administration on a data directory, offline
// (the server must be stopped: the database admits one process; while it runs, an admin uses
// /citytwin/v1/keys). docs/security.md.
struct KeysOptions {
  std::string data_dir = "./citytwin-data";
  std::string role;        // create: admin, editor or viewer
  std::string tenant;      // create: "" = the default tenant, "*" = every tenant (admin only)
  std::string name;        // create: a label for people
  std::string expires_at;  // create: ISO 8601 date-time; "" = never
  std::string id;          // revoke: the key id
};

// Each returns the process exit code (0, 1 on failure, 2 on bad options). create writes the
// key alone on standard output (so scripts can capture it) and explanations on standard error.
int keys_create(const KeysOptions& options);
int keys_list(const KeysOptions& options);
int keys_revoke(const KeysOptions& options);

}  // namespace citytwin::server
