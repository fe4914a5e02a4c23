// The security review of the route table: every route the server registers must appear
// below with the permission it was reviewed for. A new route (say, subscriptions) fails this
// test until its permission is added here, so no route can ship unclassified; a changed
// permission fails it too. docs/security.md explains the policy.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "citytwin/common/clock.hpp"
#include "citytwin/core/discovery.hpp"
#include "citytwin/core/entity_service.hpp"
#include "citytwin/core/notification_sender.hpp"
#include "citytwin/core/retention_service.hpp"
#include "citytwin/core/subscription_service.hpp"
#include "citytwin/core/temporal_service.hpp"
#include "citytwin/http/audit_routes.hpp"
#include "citytwin/http/console_routes.hpp"
#include "citytwin/http/console_session_routes.hpp"
#include "citytwin/http/device_credential_routes.hpp"
#include "citytwin/http/iot_command_routes.hpp"
#include "citytwin/http/iot_routes.hpp"
#include "citytwin/http/key_routes.hpp"
#include "citytwin/http/kpi_routes.hpp"
#include "citytwin/http/live_routes.hpp"
#include "citytwin/http/ngsi_routes.hpp"
#include "citytwin/http/ops_routes.hpp"
#include "citytwin/model/context_loader.hpp"
#include "citytwin/model/context_registry.hpp"
#include "citytwin/model/context_resolver.hpp"
#include "citytwin/security/key_service.hpp"
#include "citytwin/store/memory_store.hpp"

namespace citytwin::http {
namespace {

using P = Permission;

class NoDownloads final : public jsonld::ContextLoader {
 public:
  Result<std::string> load(std::string_view) override {
    return make_error(ErrorKind::kLdContextNotAvailable, "no downloads in tests");
  }
};

const std::string kNgsi = "/ngsi-ld/v1";

// A console build of two files: the routes do not depend on which files there are.
const StaticAsset kConsoleAssets[] = {
    {"index.html", "text/html; charset=utf-8", "\"i\"", "<html></html>", "", false},
    {"assets/app.js", "text/javascript; charset=utf-8", "\"a\"", "", "", true},
};

// Reviewed permissions, "METHOD pattern" -> permission.
std::map<std::string, P> reviewed() {
  std::map<std::string, P> table = {
      {"GET /health", P::kPublic},
      {"GET /version", P::kPublic},
      // The web console's shell and files hold no data (docs/console.md).
      {"GET /", P::kPublic},
      {"GET /map", P::kPublic},
      {"GET /entities", P::kPublic},
      {"GET /entities/{entityId}", P::kPublic},
      {"GET /subscriptions", P::kPublic},
      {"GET /settings", P::kPublic},
      {"GET /devices", P::kPublic},
      {"GET /kpis", P::kPublic},
      {"GET /import", P::kPublic},
      {"GET /assets/{file}", P::kPublic},
      {"GET /metrics", P::kGlobalAdmin},  // names and sizes every tenant
      {"POST /citytwin/v1/keys", P::kGlobalAdmin},
      {"GET /citytwin/v1/keys", P::kGlobalAdmin},
      {"GET /citytwin/v1/keys/{keyId}", P::kGlobalAdmin},
      {"DELETE /citytwin/v1/keys/{keyId}", P::kGlobalAdmin},
      // Console login and logout check the credential or cookie they are given themselves.
      {"POST /citytwin/v1/session", P::kPublic},
      {"GET /citytwin/v1/session", P::kPublic},
      {"DELETE /citytwin/v1/session", P::kPublic},
      {"GET /citytwin/v1/export", P::kRead},
      {"POST /citytwin/v1/import/entities", P::kWrite},
      // Retention erases history: the tenant's admins set it; a pass covers every tenant.
      {"GET /citytwin/v1/retention", P::kAdmin},
      {"PUT /citytwin/v1/retention", P::kAdmin},
      {"POST /citytwin/v1/retention/passes", P::kGlobalAdmin},
      // Opening types to anonymous readers and marking personal data: the tenant's admins.
      // The audit log of the request's tenant: its admins.
      {"GET /citytwin/v1/audit", P::kAdmin},
      {"GET /citytwin/v1/open-data", P::kAdmin},
      {"PUT /citytwin/v1/open-data", P::kAdmin},
      {"GET /citytwin/v1/personal-data", P::kAdmin},
      {"PUT /citytwin/v1/personal-data", P::kAdmin},
      {"POST " + kNgsi + "/entities", P::kWrite},
      {"GET " + kNgsi + "/entities", P::kOpenRead},
      {"GET " + kNgsi + "/entities/{entityId}", P::kOpenRead},
      {"DELETE " + kNgsi + "/entities/{entityId}", P::kWrite},
      {"PUT " + kNgsi + "/entities/{entityId}", P::kWrite},
      {"PATCH " + kNgsi + "/entities/{entityId}", P::kWrite},
      {"POST " + kNgsi + "/entities/{entityId}/attrs", P::kWrite},
      {"PATCH " + kNgsi + "/entities/{entityId}/attrs", P::kWrite},
      {"PATCH " + kNgsi + "/entities/{entityId}/attrs/{attrId}", P::kWrite},
      {"PUT " + kNgsi + "/entities/{entityId}/attrs/{attrId}", P::kWrite},
      {"DELETE " + kNgsi + "/entities/{entityId}/attrs/{attrId}", P::kWrite},
      {"POST " + kNgsi + "/entityOperations/create", P::kWrite},
      {"POST " + kNgsi + "/entityOperations/upsert", P::kWrite},
      {"POST " + kNgsi + "/entityOperations/update", P::kWrite},
      {"POST " + kNgsi + "/entityOperations/delete", P::kWrite},
      {"POST " + kNgsi + "/entityOperations/merge", P::kWrite},
      {"POST " + kNgsi + "/entityOperations/query", P::kOpenRead},  // a read with a body
      {"GET " + kNgsi + "/temporal/entities", P::kOpenRead},
      {"GET " + kNgsi + "/temporal/entities/{entityId}", P::kOpenRead},
      {"POST " + kNgsi + "/temporal/entityOperations/query", P::kOpenRead},  // a read with a body
      {"POST " + kNgsi + "/temporal/entities", P::kWrite},
      {"DELETE " + kNgsi + "/temporal/entities/{entityId}", P::kWrite},
      {"POST " + kNgsi + "/temporal/entities/{entityId}/attrs", P::kWrite},
      {"DELETE " + kNgsi + "/temporal/entities/{entityId}/attrs/{attrId}", P::kWrite},
      {"PATCH " + kNgsi + "/temporal/entities/{entityId}/attrs/{attrId}/{instanceId}", P::kWrite},
      {"DELETE " + kNgsi + "/temporal/entities/{entityId}/attrs/{attrId}/{instanceId}", P::kWrite},
      {"GET " + kNgsi + "/types", P::kOpenRead},
      {"GET " + kNgsi + "/types/{type}", P::kOpenRead},
      {"GET " + kNgsi + "/attributes", P::kRead},
      {"GET " + kNgsi + "/attributes/{attrId}", P::kRead},
      // Creating a subscription makes the broker send the tenant's data where it says.
      {"POST " + kNgsi + "/subscriptions", P::kWrite},
      {"GET " + kNgsi + "/subscriptions", P::kRead},
      {"GET " + kNgsi + "/subscriptions/{subscriptionId}", P::kRead},
      {"PATCH " + kNgsi + "/subscriptions/{subscriptionId}", P::kWrite},
      {"DELETE " + kNgsi + "/subscriptions/{subscriptionId}", P::kWrite},
      {"GET " + kNgsi + "/jsonldContexts", P::kRead},
      {"POST " + kNgsi + "/jsonldContexts", P::kWrite},
      {"GET " + kNgsi + "/jsonldContexts/{contextId}", P::kRead},
      // The @context registry is shared by every tenant.
      {"DELETE " + kNgsi + "/jsonldContexts/{contextId}", P::kGlobalAdmin},
      // U4SSC KPIs (docs/kpi.md): per tenant; changing definitions or inputs is a write.
      {"GET /kpi/v1/catalogue", P::kRead},
      {"GET /kpi/v1/catalogue/{code}", P::kRead},
      {"GET /kpi/v1/definitions", P::kRead},
      {"PUT /kpi/v1/definitions/{code}", P::kWrite},
      {"POST /kpi/v1/inputs", P::kWrite},
      {"GET /kpi/v1/inputs", P::kRead},
      {"GET /kpi/v1/results", P::kRead},
      {"GET /kpi/v1/integrity", P::kRead},
      {"GET /kpi/v1/rules", P::kRead},
      {"PUT /kpi/v1/rules/{variable}", P::kWrite},
      {"POST /kpi/v1/rules/evaluate", P::kWrite},
      // IoT Agent provisioning decides who writes into the tenant: its admins only.
      {"POST /iot/services", P::kAdmin},
      {"GET /iot/services", P::kAdmin},
      {"PUT /iot/services", P::kAdmin},
      {"DELETE /iot/services", P::kAdmin},
      {"POST /iot/devices", P::kAdmin},
      {"GET /iot/devices", P::kAdmin},
      {"GET /iot/devices/{deviceId}", P::kAdmin},
      {"PUT /iot/devices/{deviceId}", P::kAdmin},
      {"DELETE /iot/devices/{deviceId}", P::kAdmin},
      // Device commands: polling and results are device writes, like measures.
      {"GET /iot/json", P::kDeviceWrite},
      {"GET /iot/d", P::kDeviceWrite},
      {"POST /iot/json/commands", P::kDeviceWrite},
      {"POST /iot/d/commands", P::kDeviceWrite},
      {"POST /iot/json", P::kDeviceWrite},
      {"POST /iot/d", P::kDeviceWrite},
      {"POST /iot/lorawan/chirpstack", P::kDeviceWrite},
      {"POST /iot/lorawan/ttn", P::kDeviceWrite},
      {"POST /iot/credentials", P::kAdmin},
      {"GET /iot/credentials", P::kAdmin},
      {"DELETE /iot/credentials/{username}", P::kAdmin},
      {"GET /kpi/v1/targets", P::kRead},
      {"PUT /kpi/v1/targets", P::kWrite},
      {"GET /kpi/v1/targets/{code}", P::kRead},
      {"PUT /kpi/v1/targets/{code}", P::kWrite},
      {"GET /kpi/v1/assessment", P::kRead},
      {"GET /kpi/v1/comparison", P::kRead},
      {"GET /kpi/v1/report", P::kRead},
      // Console live updates (docs/security.md): a viewer mints a one-time ticket for its
      // tenant; the stream route checks that ticket itself (EventSource sends no headers).
      {"POST /citytwin/v1/events/tickets", P::kRead},
      {"GET /citytwin/v1/events", P::kPublic},
  };
  return table;
}

// Notifications are not sent in this test: only routes are inspected.
class RefusingSender final : public core::NotificationSender {
 public:
  Status send(const core::OutgoingNotification&) override {
    return make_error(ErrorKind::kServiceUnavailable, "not sending in this test");
  }
};

// The route table exactly as src/server/app.cpp builds it.
class RouteTableTest : public ::testing::Test {
 protected:
  SystemClock clock_;
  std::unique_ptr<store::EntityStore> store_ = store::make_memory_store();
  core::EntityService entities_{*store_, clock_};
  core::Discovery discovery_{*store_};
  core::TemporalService temporal_{*store_, clock_};
  jsonld::ContextRegistry registry_{{}, clock_};
  NoDownloads loader_;
  std::unique_ptr<jsonld::ContextResolver> resolver_ =
      std::move(jsonld::ContextResolver::create(registry_, loader_).value());
  security::KeyService keys_{*store_, clock_};
  RefusingSender sender_;
  core::SubscriptionService subscriptions_{
      *store_, clock_,
      [this](const boost::json::value& context) { return resolver_->resolve(context); }, sender_};
  core::RetentionService retention_{*store_, clock_};
  core::DataPolicies data_policies_{*store_};
  NgsiApi api_{entities_, discovery_, temporal_,   subscriptions_, *resolver_,     registry_,
               loader_,   {},         &retention_, nullptr,        &data_policies_};
  kpi::KpiService kpi_{*store_, entities_, clock_, std::move(kpi::Catalogue::embedded().value())};
  ingest::DeviceRegistry devices_{*store_};
  ingest::CommandDispatcher commands_{
      devices_, entities_, std::move(resolver_->resolve(boost::json::value()).value()), clock_};
  ingest::IngestService ingest_{
      devices_, entities_, std::move(resolver_->resolve(boost::json::value()).value()), clock_};
  std::shared_ptr<const jsonld::Context> core_terms_ =
      std::move(resolver_->resolve(boost::json::value()).value());
  LiveEvents live_{*core_terms_, {}, nullptr};
  security::StreamTickets tickets_{clock_};
  security::DeviceCredentialService credentials_{*store_, clock_};
  security::AuditLog audit_{*store_, clock_};
  security::ConsoleSessions sessions_{clock_};
  Router router_;

  void SetUp() override {
    add_ops_routes(router_, OpsInfo{"test", {}, nullptr});
    add_console_routes(router_, kConsoleAssets);
    add_key_routes(router_, keys_);
    add_audit_routes(router_, audit_);
    add_ngsi_routes(router_, api_);
    add_kpi_routes(router_, kpi_);
    add_iot_command_routes(router_, commands_);
    add_iot_routes(router_, devices_, ingest_);
    add_live_routes(router_, live_, tickets_, true);
    add_device_credential_routes(router_, credentials_);
    add_console_session_routes(router_, {sessions_, keys_, nullptr, false});
  }
};

TEST_F(RouteTableTest, EveryRouteHasItsReviewedPermission) {
  auto expected = reviewed();
  std::set<std::string> seen;
  for (const auto& route : router_.routes()) {
    std::string name = route.method + " " + route.pattern;
    EXPECT_TRUE(seen.insert(name).second) << "route declared twice: " << name;
    auto it = expected.find(name);
    if (it == expected.end()) {
      ADD_FAILURE() << "route without a reviewed permission: " << name << " (declared "
                    << security::permission_name(route.permission)
                    << "); add it to reviewed() in route_table_test.cpp";
      continue;
    }
    EXPECT_EQ(route.permission, it->second)
        << name << " requires " << security::permission_name(route.permission) << ", reviewed "
        << security::permission_name(it->second);
  }
  for (const auto& [name, permission] : expected) {
    EXPECT_TRUE(seen.count(name)) << "reviewed route no longer registered: " << name;
  }
}

// Independent of the table above: whatever is added, a method that changes state is never
// open to viewers (except the two query POSTs and the stream ticket, which only lets its
// holder read) and only the probes, the console's shell and files, and the event stream
// (which checks its own ticket) are public.
TEST_F(RouteTableTest, WritesNeedAtLeastEditorAndOnlyProbesArePublic) {
  const std::set<std::string> read_posts = {kNgsi + "/entityOperations/query",
                                            kNgsi + "/temporal/entityOperations/query",
                                            "/citytwin/v1/events/tickets"};
  for (const auto& route : router_.routes()) {
    std::string name = route.method + " " + route.pattern;
    if (route.permission == P::kPublic) {
      bool console = route.pattern == "/" || route.pattern.starts_with("/assets/") ||
                     std::find(std::begin(kConsoleClientRoutes), std::end(kConsoleClientRoutes),
                               route.pattern) != std::end(kConsoleClientRoutes);
      bool own_check = (route.pattern == "/citytwin/v1/events" && route.method == "GET") ||
                       route.pattern == "/citytwin/v1/session";
      EXPECT_TRUE(route.pattern == "/health" || route.pattern == "/version" || own_check ||
                  (console && route.method == "GET"))
          << name;
    }
    bool reads = route.method == "GET" || route.method == "HEAD" ||
                 (route.method == "POST" && read_posts.count(route.pattern));
    if (!reads) {
      EXPECT_NE(route.permission, P::kRead) << name << " changes state";
    }
  }
}

}  // namespace
}  // namespace citytwin::http
