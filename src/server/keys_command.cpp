#include "keys_command.hpp"

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "citytwin/common/clock.hpp"
#include "citytwin/common/instant.hpp"
#include "citytwin/security/key_service.hpp"
#include "store_location.hpp"

namespace citytwin::server {
namespace {

using security::KeyService;

Result<std::unique_ptr<store::EntityStore>> open_store(const std::string& data_dir, bool create) {
  if (create) {
    std::error_code ec;
    std::filesystem::create_directories(data_dir, ec);
    if (ec) {
      return make_error(ErrorKind::kInternalError,
                        "cannot create data directory " + data_dir + ": " + ec.message());
    }
  } else if (!std::filesystem::exists(data_dir)) {
    return make_error(ErrorKind::kResourceNotFound, "no data directory " + data_dir);
  }
  auto store = store::open_rocksdb_store(store_options_for(data_dir));
  if (!store) {
    return make_error(
        store.error().kind,
        store.error().detail + " (is the server running? stop it, or use /citytwin/v1/keys)");
  }
  return store;
}

int report(const Error& error) {
  std::cerr << "citytwin keys: " << error.detail << "\n";
  return error.kind == ErrorKind::kBadRequestData ? 2 : 1;
}

std::string tenant_label(const std::string& tenant) {
  return tenant.empty() ? "(default)" : tenant;
}

}  // namespace

int keys_create(const KeysOptions& options) {
  security::KeySpec spec;
  auto role = security::parse_role(options.role);
  if (!role) {
    return report(make_error(ErrorKind::kBadRequestData, "--role must be admin, editor or viewer"));
  }
  spec.role = *role;
  spec.tenant = options.tenant;
  spec.name = options.name;
  spec.created_by = "cli";
  if (!options.expires_at.empty()) {
    auto instant = parse_date_time(options.expires_at);
    if (!instant) {
      return report(make_error(
          ErrorKind::kBadRequestData,
          "--expires-at must be an ISO 8601 date-time, got '" + options.expires_at + "'"));
    }
    spec.expires_at = *instant;
  }
  auto store = open_store(options.data_dir, true);
  if (!store) return report(store.error());
  SystemClock clock;
  KeyService keys(**store, clock);
  auto created = keys.create(spec);
  if (!created) return report(created.error());
  const auto& key = created->key;
  // The audit line names the key by id; the secret goes to standard output only.
  std::cerr << "audit: API key " << key.id << " created (role " << security::role_name(key.role)
            << ", tenant " << tenant_label(key.tenant) << ") by cli\n";
  std::cout << created->secret << std::endl;
  std::cerr << "This is the only time the key is shown: keep it now. Send it as "
               "'Authorization: Bearer <key>' or 'X-API-Key: <key>'.\n";
  return 0;
}

int keys_list(const KeysOptions& options) {
  auto store = open_store(options.data_dir, false);
  if (!store) return report(store.error());
  SystemClock clock;
  KeyService keys(**store, clock);
  auto listed = keys.list();
  if (!listed) return report(listed.error());
  Instant now = clock.now();
  std::printf("%-12s  %-6s  %-16s  %-8s  %-27s  %-27s  %s\n", "ID", "ROLE", "TENANT", "STATUS",
              "CREATED", "EXPIRES", "NAME");
  for (const auto& key : *listed) {
    const char* status = key.revoked_at                             ? "revoked"
                         : key.expires_at && *key.expires_at <= now ? "expired"
                                                                    : "active";
    std::printf("%-12s  %-6s  %-16s  %-8s  %-27s  %-27s  %s\n", key.id.c_str(),
                std::string(security::role_name(key.role)).c_str(),
                tenant_label(key.tenant).c_str(), status, format_date_time(key.created_at).c_str(),
                key.expires_at ? format_date_time(*key.expires_at).c_str() : "never",
                key.name.c_str());
  }
  return 0;
}

int keys_revoke(const KeysOptions& options) {
  auto store = open_store(options.data_dir, false);
  if (!store) return report(store.error());
  SystemClock clock;
  KeyService keys(**store, clock);
  auto revoked = keys.revoke(options.id, "cli");
  if (!revoked) return report(revoked.error());
  std::cerr << "audit: API key " << revoked->id << " revoked by cli\n";
  return 0;
}

}  // namespace citytwin::server
