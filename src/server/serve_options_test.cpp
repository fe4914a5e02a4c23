#include "citytwin/server/serve_options.hpp"
#include "external_broker.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace citytwin::server {
namespace {

std::string write_temp(const std::string& text) {
  char path[] = "/tmp/citytwin-config-XXXXXX";
  int fd = mkstemp(path);
  close(fd);
  std::ofstream(path) << text;
  return path;
}

TEST(ServeOptions, LoadsEveryKindOfKey) {
  auto path = write_temp(
      "data = \"/var/lib/citytwin\"\nlisten = \"0.0.0.0:9000\"\n[http]\nthreads = 3\n"
      "max_body_bytes = 1000\n[storage]\nsync_writes = false\nhistory_compact_after_s = 5\n"
      "history_chunk_samples = 256\nhistory_pack_bulk_appends = false\n"
      "history_settle_chunks = false\n");
  ServeOptions options;
  ASSERT_TRUE(load_config_file(path, options).ok());
  EXPECT_EQ(options.data_dir, "/var/lib/citytwin");
  EXPECT_EQ(options.listen, "0.0.0.0:9000");
  EXPECT_EQ(options.http_threads, 3u);
  EXPECT_EQ(options.max_body_bytes, 1000u);
  EXPECT_FALSE(options.sync_writes);
  EXPECT_EQ(options.history_compact_after_s, 5u);
  EXPECT_EQ(options.history_chunk_samples, 256u);
  EXPECT_FALSE(options.history_pack_bulk_appends);
  EXPECT_FALSE(options.history_settle_chunks);
  EXPECT_EQ(options.history_compact_min_samples, 64u);  // untouched default
  std::remove(path.c_str());
}

TEST(ServeOptions, LoadsTheReadCacheSizesAndRejectsNegativeOnes) {
  auto path =
      write_temp("[storage]\nblock_cache_mb = 8\nentity_cache_mb = 0\nrendered_cache_mb = 5\n");
  ServeOptions options;
  EXPECT_EQ(options.rendered_cache_mb, 32u);  // the default
  ASSERT_TRUE(load_config_file(path, options).ok());
  EXPECT_EQ(options.block_cache_mb, 8u);
  EXPECT_EQ(options.entity_cache_mb, 0u);  // 0 turns the entity read cache off
  EXPECT_EQ(options.rendered_cache_mb, 5u);
  std::remove(path.c_str());
  auto bad = write_temp("[storage]\nentity_cache_mb = -1\n");
  ServeOptions fresh;
  EXPECT_FALSE(load_config_file(bad, fresh).ok());
  std::remove(bad.c_str());
  auto bad_rendered = write_temp("[storage]\nrendered_cache_mb = -1\n");
  EXPECT_FALSE(load_config_file(bad_rendered, fresh).ok());
  std::remove(bad_rendered.c_str());
}

TEST(ServeOptions, LoadsTheDeviceReportIntervalAndRejectsBadOnes) {
  ServeOptions options;
  EXPECT_EQ(options.device_report_interval_ms, 10000u);  // the default
  auto path = write_temp("[ingest]\ndevice_report_interval_ms = 0\n");
  ASSERT_TRUE(load_config_file(path, options).ok());
  EXPECT_EQ(options.device_report_interval_ms, 0u);  // with every measure
  std::remove(path.c_str());
  for (const char* bad : {"[ingest]\ndevice_report_interval_ms = -1\n",
                          "[ingest]\ndevice_report_interval_ms = \"soon\"\n"}) {
    auto bad_path = write_temp(bad);
    ServeOptions fresh;
    EXPECT_FALSE(load_config_file(bad_path, fresh).ok()) << bad;
    EXPECT_EQ(fresh.device_report_interval_ms, 10000u) << bad;
    std::remove(bad_path.c_str());
  }
}

TEST(ServeOptions, LoadsTheSecurityKeys) {
  auto path = write_temp(
      "[security]\ntls_cert = \"/c.pem\"\ntls_key = \"/k.pem\"\n"
      "outbound_allow = [\"10.0.0.0/8\", \"receiver.internal:8080\"]\n"
      "rate_limit_per_s = 5\nrate_burst = 20\nip_rate_limit_per_s = 7\n"
      "jwks_file = \"/jwks.json\"\njwt_issuer = \"https://idp\"\njwt_audience = \"ct\"\n"
      "jwt_roles_claim = \"realm_access.roles\"\njwt_clock_skew_s = 30\n");
  ServeOptions options;
  auto status = load_config_file(path, options);
  ASSERT_TRUE(status.ok()) << status.error().detail;
  EXPECT_EQ(options.tls_cert, "/c.pem");
  EXPECT_EQ(options.tls_key, "/k.pem");
  EXPECT_EQ(options.outbound_allow,
            (std::vector<std::string>{"10.0.0.0/8", "receiver.internal:8080"}));
  EXPECT_EQ(options.rate_limit_per_s, 5u);
  EXPECT_EQ(options.rate_burst, 20u);
  EXPECT_EQ(options.ip_rate_limit_per_s, 7u);
  EXPECT_EQ(options.ip_rate_burst, 0u);  // untouched default
  EXPECT_EQ(options.jwks_file, "/jwks.json");
  EXPECT_EQ(options.jwt_issuer, "https://idp");
  EXPECT_EQ(options.jwt_audience, "ct");
  EXPECT_EQ(options.jwt_roles_claim, "realm_access.roles");
  EXPECT_EQ(options.jwt_tenant_claim, "tenant");
  EXPECT_EQ(options.jwt_clock_skew_s, 30u);
  std::remove(path.c_str());
  auto mixed = write_temp("[security]\noutbound_allow = [\"10.0.0.0/8\", 3]\n");
  EXPECT_FALSE(load_config_file(mixed, options).ok());
  std::remove(mixed.c_str());
}

TEST(ServeOptions, LoadsOpenDataAndPersonalDataSettings) {
  auto path = write_temp(
      "[[security.open_data]]\ntenant = \"city\"\ntypes = [\"ParkingSpot\", \"urn:T\"]\n"
      "[[security.open_data]]\ntypes = []\n"
      "[[security.personal_data]]\ntenant = \"city\"\ntype = \"Bike\"\n"
      "attributes = [\"rider\"]\nretention = \"P30D\"\n");
  ServeOptions options;
  auto status = load_config_file(path, options);
  ASSERT_TRUE(status.ok()) << status.error().detail;
  ASSERT_EQ(options.open_data.size(), 2u);
  EXPECT_EQ(options.open_data[0].tenant, "city");
  EXPECT_EQ(options.open_data[0].types, (std::vector<std::string>{"ParkingSpot", "urn:T"}));
  EXPECT_EQ(options.open_data[1].tenant, "");  // the default tenant
  EXPECT_TRUE(options.open_data[1].types.empty());
  ASSERT_EQ(options.personal_data.size(), 1u);
  EXPECT_EQ(options.personal_data[0].type, "Bike");
  EXPECT_EQ(options.personal_data[0].attributes, (std::vector<std::string>{"rider"}));
  EXPECT_EQ(options.personal_data[0].retention, "P30D");
  std::remove(path.c_str());
  for (const char* bad : {"[[security.open_data]]\ntenant = \"city\"\n",  // no types
                          "[[security.open_data]]\ntypes = []\ntypo = 1\n",
                          "[security]\nopen_data = [\"ParkingSpot\"]\n",
                          "[[security.personal_data]]\ntype = \"Bike\"\n"}) {
    auto file = write_temp(bad);
    ServeOptions fresh;
    EXPECT_FALSE(load_config_file(file, fresh).ok()) << bad;
    std::remove(file.c_str());
  }
}

TEST(ServeOptions, RejectsUnknownKeysAndWrongTypes) {
  ServeOptions options;
  auto unknown = write_temp("lisen = \"x\"\n");
  auto status = load_config_file(unknown, options);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().detail.find("lisen"), std::string::npos);
  auto wrong = write_temp("[http]\nthreads = \"many\"\n");
  EXPECT_FALSE(load_config_file(wrong, options).ok());
  auto broken = write_temp("data = \n");
  EXPECT_FALSE(load_config_file(broken, options).ok());
  std::remove(unknown.c_str());
  std::remove(wrong.c_str());
  std::remove(broken.c_str());
}

TEST(ServeOptions, ParsesListenAddresses) {
  auto v4 = parse_listen_address("127.0.0.1:1026");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 1026);
  auto v6 = parse_listen_address("[::1]:0");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_FALSE(parse_listen_address("localhost"));
  EXPECT_FALSE(parse_listen_address("host:99999"));
  EXPECT_FALSE(parse_listen_address("host:12ab"));
}

TEST(ServeOptions, SecurityKeysAndDefaults) {
  ServeOptions defaults;
  EXPECT_EQ(defaults.auth, "required");
  EXPECT_FALSE(defaults.insecure_allow_remote);
  auto path = write_temp("[security]\nauth = \"off\"\ninsecure_allow_remote = true\n");
  ServeOptions options;
  ASSERT_TRUE(load_config_file(path, options).ok());
  EXPECT_EQ(options.auth, "off");
  EXPECT_TRUE(options.insecure_allow_remote);
  std::remove(path.c_str());
}

TEST(ServeOptions, LoopbackHosts) {
  for (const char* host : {"127.0.0.1", "127.1.2.3", "::1", "localhost", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(is_loopback_host(host)) << host;
  }
  for (const char* host :
       {"0.0.0.0", "::", "10.0.0.1", "192.168.1.5", "128.0.0.1", "fe80::1", "example.org", ""}) {
    EXPECT_FALSE(is_loopback_host(host)) << host;
  }
}

TEST(ServeOptions, AuthOffOnTheNetworkNeedsToBeForced) {
  ServeOptions options;
  ListenAddress any{"0.0.0.0", 1026};
  ListenAddress local{"127.0.0.1", 1026};
  EXPECT_TRUE(check_security_options(options, any).ok());  // auth required: fine anywhere
  options.auth = "off";
  EXPECT_TRUE(check_security_options(options, local).ok());
  EXPECT_FALSE(check_security_options(options, any).ok());
  options.insecure_allow_remote = true;
  EXPECT_TRUE(check_security_options(options, any).ok());
  options.auth = "maybe";
  EXPECT_FALSE(check_security_options(options, local).ok());
}

TEST(ServeOptions, MqttKeysAndTheOpenBrokerCheck) {
  ServeOptions defaults;
  EXPECT_EQ(defaults.mqtt_listen, "127.0.0.1:1883");
  EXPECT_TRUE(mqtt_enabled(defaults));
  auto path = write_temp(
      "[mqtt]\nlisten = \"off\"\nthreads = 2\nmax_packet_bytes = 4096\nmax_inflight = 8\n"
      "session_queue_limit = 50\nkeep_alive_max_s = 120\n");
  ServeOptions options;
  ASSERT_TRUE(load_config_file(path, options).ok());
  EXPECT_FALSE(mqtt_enabled(options));
  EXPECT_EQ(options.mqtt_threads, 2u);
  EXPECT_EQ(options.mqtt_max_packet_bytes, 4096u);
  EXPECT_EQ(options.mqtt_max_inflight, 8);
  EXPECT_EQ(options.mqtt_session_queue_limit, 50u);
  EXPECT_EQ(options.mqtt_keep_alive_max_s, 120);
  std::remove(path.c_str());

  // With auth off the MQTT endpoint may not face the network either, unless forced.
  ListenAddress local{"127.0.0.1", 1026};
  options.auth = "off";
  options.mqtt_listen = "0.0.0.0:1883";
  EXPECT_FALSE(check_security_options(options, local).ok());
  options.mqtt_listen = "127.0.0.1:1883";
  EXPECT_TRUE(check_security_options(options, local).ok());
  options.mqtt_listen = "nonsense";
  EXPECT_FALSE(check_security_options(options, local).ok());
  // TLS needs its certificate and key, and obeys the same loopback rule.
  options.mqtt_listen = "127.0.0.1:1883";
  options.mqtt_tls_listen = "127.0.0.1:8883";
  EXPECT_TRUE(mqtt_tls_enabled(options));
  EXPECT_FALSE(check_security_options(options, local).ok());
  options.mqtt_tls_cert_file = "cert.pem";
  options.mqtt_tls_key_file = "key.pem";
  EXPECT_TRUE(check_security_options(options, local).ok());
  options.mqtt_tls_listen = "0.0.0.0:8883";
  EXPECT_FALSE(check_security_options(options, local).ok());
}

TEST(ServeOptions, CoapKeysAndTheOpenListenerCheck) {
  ServeOptions defaults;
  EXPECT_FALSE(coap_enabled(defaults));  // off unless asked for
  auto path = write_temp(
      "[coap]\nlisten = \"127.0.0.1:5683\"\nport_file = \"p\"\nmax_pending = 7\n"
      "max_payload_bytes = 2048\n");
  ServeOptions options;
  ASSERT_TRUE(load_config_file(path, options).ok());
  std::remove(path.c_str());
  EXPECT_TRUE(coap_enabled(options));
  EXPECT_EQ(options.coap_port_file, "p");
  EXPECT_EQ(options.coap_max_pending, 7u);
  EXPECT_EQ(options.coap_max_payload_bytes, 2048u);

  ListenAddress local{"127.0.0.1", 1026};
  options.auth = "off";
  options.mqtt_listen = "off";
  EXPECT_TRUE(check_security_options(options, local).ok());
  options.coap_listen = "0.0.0.0:5683";
  auto refused = check_security_options(options, local);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().detail.find("CoAP"), std::string::npos);
  options.insecure_allow_remote = true;
  EXPECT_TRUE(check_security_options(options, local).ok());
  options.coap_listen = "nonsense";
  EXPECT_FALSE(check_security_options(options, local).ok());
  // DTLS needs its certificate and key, and obeys the same loopback rule.
  options.coap_listen = "127.0.0.1:5683";
  options.insecure_allow_remote = false;
  options.coap_dtls_listen = "127.0.0.1:5684";
  EXPECT_TRUE(coap_dtls_enabled(options));
  EXPECT_FALSE(check_security_options(options, local).ok());
  options.coap_dtls_cert_file = "cert.pem";
  options.coap_dtls_key_file = "key.pem";
  EXPECT_TRUE(check_security_options(options, local).ok());
  options.coap_dtls_listen = "0.0.0.0:5684";
  EXPECT_FALSE(check_security_options(options, local).ok());
}

TEST(ServeOptions, AnonymousMqttOnlyByDefaultWithAuthOffOnLoopback) {
  ServeOptions options;
  options.auth = "off";
  EXPECT_TRUE(*mqtt_anonymous_allowed(options));
  options.mqtt_listen = "0.0.0.0:1883";
  EXPECT_FALSE(*mqtt_anonymous_allowed(options));
  options.mqtt_listen = "127.0.0.1:1883";
  options.mqtt_tls_listen = "0.0.0.0:8883";
  EXPECT_FALSE(*mqtt_anonymous_allowed(options));
  options.mqtt_anonymous = "allow";
  EXPECT_TRUE(*mqtt_anonymous_allowed(options));
  options.mqtt_anonymous = "deny";
  options.mqtt_tls_listen = "";
  EXPECT_FALSE(*mqtt_anonymous_allowed(options));
  options.mqtt_anonymous = "auto";
  options.auth = "required";
  EXPECT_FALSE(*mqtt_anonymous_allowed(options));
  options.mqtt_anonymous = "sometimes";
  EXPECT_FALSE(mqtt_anonymous_allowed(options).ok());
}

TEST(ServeOptions, ExternalBrokerSettings) {
  ServeOptions options;
  options.data_dir = "/var/lib/citytwin";
  options.mqtt_external_url = "mqtts://broker.example:8884";
  EXPECT_TRUE(external_broker_enabled(options));
  auto settings = external_broker_options(options);
  ASSERT_TRUE(settings.ok()) << settings.error().detail;
  EXPECT_EQ(settings->host, "broker.example");
  EXPECT_EQ(settings->port, 8884);
  EXPECT_TRUE(settings->tls);
  EXPECT_TRUE(settings->client_id.starts_with("citytwin-"));
  EXPECT_EQ(settings->filters.size(), 18u);
  EXPECT_EQ(settings->filters.front(), "$share/citytwin/+/+/attrs");
  options.mqtt_external_url = "mqtt://[::1]";
  EXPECT_EQ(external_broker_options(options)->port, 1883);
  EXPECT_EQ(external_broker_options(options)->host, "::1");
  options.mqtt_external_group = "";
  EXPECT_EQ(external_broker_options(options)->filters.front(), "+/+/attrs");
  for (const char* bad :
       {"http://x", "mqtt://", "mqtt://h:0", "mqtt://h:x", "mqtt://u@h", "mqtt://h/path"}) {
    options.mqtt_external_url = bad;
    EXPECT_FALSE(external_broker_options(options).ok()) << bad;
  }
  options.mqtt_external_url = "mqtt://h";
  options.mqtt_external_group = "a/b";
  EXPECT_FALSE(external_broker_options(options).ok());
  options.mqtt_external_group = "g";
  options.mqtt_external_qos = 2;
  EXPECT_FALSE(external_broker_options(options).ok());
}

}  // namespace
}  // namespace citytwin::server
