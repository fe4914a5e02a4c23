#include "citytwin/security/device_credentials.hpp"

#include <boost/json.hpp>

#include "citytwin/common/json_parse.hpp"
#include "citytwin/common/json_text.hpp"
#include "citytwin/security/access.hpp"
#include "secret_crypto.hpp"

namespace citytwin::security {
namespace {

constexpr std::string_view kNamespace = "security.device_credentials";
constexpr std::string_view kPasswordPrefix = "dp_";
constexpr std::size_t kPasswordBytes = 24;  // 192 bits from the CSPRNG
constexpr std::size_t kMaxNameChars = 256;

Error unauthorized() {
  return make_error(ErrorKind::kUnauthorized, "bad device user name or password");
}

// A name usable as an MQTT topic level: no wildcard, no separator, no U+0000.
bool valid_level(std::string_view name) {
  return !name.empty() && name.size() <= kMaxNameChars &&
         name.find_first_of(std::string_view("/+#\0", 4)) == std::string_view::npos;
}

std::string encode(const DeviceCredential& credential, const std::string& hash) {
  boost::json::object doc{{"username", credential.username},
                          {"tenant", credential.tenant},
                          {"apikey", credential.apikey},
                          {"deviceId", credential.device_id},
                          {"sha256", hash},
                          {"createdAt", credential.created_at.micros}};
  return to_json_text(doc);
}

Result<std::pair<DeviceCredential, std::string>> decode(std::string_view text) {
  boost::system::error_code ec;
  auto value = citytwin::parse_json(text, ec);
  const auto* doc = ec ? nullptr : value.if_object();
  auto string_of = [doc](std::string_view name) -> std::optional<std::string> {
    const auto* field = doc == nullptr ? nullptr : doc->if_contains(name);
    if (field == nullptr || !field->is_string()) return std::nullopt;
    return std::string(field->as_string());
  };
  auto username = string_of("username"), tenant = string_of("tenant"), apikey = string_of("apikey"),
       device = string_of("deviceId"), hash = string_of("sha256");
  const auto* created = doc == nullptr ? nullptr : doc->if_contains("createdAt");
  if (!username || !tenant || !apikey || !device || !hash || created == nullptr ||
      !created->is_int64()) {
    return make_error(ErrorKind::kInternalError, "corrupt device credential record");
  }
  DeviceCredential credential{*username, *tenant, *apikey, *device, Instant{created->as_int64()}};
  return std::pair{std::move(credential), std::move(*hash)};
}

}  // namespace

Principal device_principal(const DeviceCredential& credential) {
  Principal principal;
  principal.key_id = "device:" + credential.username;
  principal.role = Role::kDevice;
  principal.tenant = credential.tenant;
  principal.device_apikey = credential.apikey;
  principal.device_id = credential.device_id;
  return principal;
}

std::optional<std::pair<std::string_view, std::string_view>> split_device_login(
    std::string_view login) {
  auto colon = login.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  return std::pair{login.substr(0, colon), login.substr(colon + 1)};
}

Result<CreatedDeviceCredential> DeviceCredentialService::create(const DeviceCredentialSpec& spec) {
  if (!valid_tenant_scope(spec.tenant)) {
    return make_error(ErrorKind::kBadRequestData, "invalid tenant name");
  }
  if (!valid_level(spec.apikey)) {
    return make_error(ErrorKind::kBadRequestData,
                      "apikey is required and must be a topic level (no '/', '+', '#')");
  }
  if (!spec.device_id.empty() && !valid_level(spec.device_id)) {
    return make_error(ErrorKind::kBadRequestData,
                      "device_id must be a topic level (no '/', '+', '#')");
  }
  DeviceCredential credential;
  credential.username = !spec.username.empty()    ? spec.username
                        : !spec.device_id.empty() ? spec.device_id
                                                  : spec.apikey;
  if (credential.username.size() > kMaxNameChars) {
    return make_error(ErrorKind::kBadRequestData, "username is too long");
  }
  credential.tenant = spec.tenant;
  credential.apikey = spec.apikey;
  credential.device_id = spec.device_id;
  credential.created_at = clock_.now();
  auto existing = store_.get_document(kNamespace, credential.username);
  if (!existing) return std::move(existing).error();
  if (*existing) {
    return make_error(ErrorKind::kAlreadyExists,
                      "the MQTT user name '" + credential.username + "' is taken");
  }
  auto random = crypto::random_bytes(kPasswordBytes);
  if (!random) return std::move(random).error();
  std::string password = std::string(kPasswordPrefix) + crypto::base64url(*random);
  CT_RETURN_IF_ERROR(store_.put_document(kNamespace, credential.username,
                                         encode(credential, crypto::sha256_hex(password))));
  return CreatedDeviceCredential{std::move(credential), std::move(password)};
}

Result<std::vector<DeviceCredential>> DeviceCredentialService::list(std::string_view tenant) const {
  auto documents = store_.list_documents(kNamespace);
  if (!documents) return std::move(documents).error();
  std::vector<DeviceCredential> out;
  for (const auto& [username, text] : *documents) {
    auto decoded = decode(text);
    if (!decoded) return std::move(decoded).error();
    if (decoded->first.tenant == tenant) out.push_back(std::move(decoded->first));
  }
  return out;
}

Status DeviceCredentialService::remove(std::string_view tenant, std::string_view username) {
  auto text = store_.get_document(kNamespace, username);
  if (!text) return std::move(text).error();
  auto not_found = make_error(ErrorKind::kResourceNotFound, "no such MQTT credential");
  if (!*text) return not_found;
  auto decoded = decode(**text);
  if (!decoded) return std::move(decoded).error();
  if (decoded->first.tenant != tenant) return not_found;  // other tenants' stay invisible
  return store_.delete_document(kNamespace, username);
}

Result<bool> DeviceCredentialService::exists(std::string_view username) const {
  auto text = store_.get_document(kNamespace, username);
  if (!text) return std::move(text).error();
  return text->has_value();
}

Result<std::optional<DeviceCredential>> DeviceCredentialService::find(
    std::string_view username) const {
  using Found = std::optional<DeviceCredential>;
  if (username.empty() || username.size() > kMaxNameChars) return Found();
  auto text = store_.get_document(kNamespace, username);
  if (!text) return std::move(text).error();
  if (!*text) return Found();
  auto decoded = decode(**text);
  if (!decoded) return std::move(decoded).error();
  return Found(std::move(decoded->first));
}

Result<DeviceCredential> DeviceCredentialService::authenticate(std::string_view username,
                                                               std::string_view password) const {
  if (username.empty() || username.size() > kMaxNameChars) return unauthorized();
  auto text = store_.get_document(kNamespace, username);
  if (!text) return std::move(text).error();
  if (!*text) return unauthorized();
  auto decoded = decode(**text);
  if (!decoded) return std::move(decoded).error();
  if (!crypto::constant_time_equal(crypto::sha256_hex(password), decoded->second)) {
    return unauthorized();
  }
  return std::move(decoded->first);
}

}  // namespace citytwin::security
