#include "citytwin/security/jwt_verifier.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <algorithm>
#include <boost/json.hpp>
#include <map>
#include <optional>
#include <vector>

#include "citytwin/common/base64.hpp"
#include "citytwin/common/json_parse.hpp"

namespace citytwin::security {
namespace {

namespace json = boost::json;

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

enum class Alg { kRs256, kEs256 };

struct Key {
  std::string kid;
  Alg alg = Alg::kRs256;
  Pkey pkey;
};

Error unauthorized(std::string why) {
  return make_error(ErrorKind::kUnauthorized, "bearer token rejected: " + std::move(why));
}

Error bad_jwks(std::string why) {
  return make_error(ErrorKind::kInvalidRequest, "JWKS: " + std::move(why));
}

std::optional<std::string> string_member(const json::object& object, std::string_view name) {
  const auto* value = object.if_contains(name);
  if (value == nullptr || !value->is_string()) return std::nullopt;
  return std::string(value->as_string());
}

std::optional<std::string> decoded_member(const json::object& object, std::string_view name) {
  auto text = string_member(object, name);
  if (!text) return std::nullopt;
  return base64url_decode(*text);
}

struct BnFree {
  void operator()(BIGNUM* bn) const { BN_free(bn); }
};
struct BldFree {
  void operator()(OSSL_PARAM_BLD* bld) const { OSSL_PARAM_BLD_free(bld); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* params) const { OSSL_PARAM_free(params); }
};
struct CtxFree {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};

Pkey key_from_params(const char* type, OSSL_PARAM* params) {
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  return Pkey(key);
}

// RFC 7518 clause 6.3.1: modulus n and exponent e, unsigned big-endian.
Result<Pkey> rsa_key(const json::object& jwk) {
  auto n = decoded_member(jwk, "n");
  auto e = decoded_member(jwk, "e");
  if (!n || !e || n->empty() || e->empty()) return bad_jwks("RSA key without valid n and e");
  // RFC 7518 clause 3.3: keys of 2048 bits or larger MUST be used.
  std::unique_ptr<BIGNUM, BnFree> bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()),
                                                 static_cast<int>(n->size()), nullptr));
  std::unique_ptr<BIGNUM, BnFree> bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()),
                                                 static_cast<int>(e->size()), nullptr));
  if (!bn_n || !bn_e) return bad_jwks("RSA key: out of memory");
  if (BN_num_bits(bn_n.get()) < 2048) return bad_jwks("RSA key shorter than 2048 bits");
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return bad_jwks("RSA key: cannot build parameters");
  }
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
  Pkey key = params ? key_from_params("RSA", params.get()) : nullptr;
  if (!key) return bad_jwks("RSA key rejected by OpenSSL");
  return key;
}

// RFC 7518 clause 6.2.1: curve P-256, coordinates x and y of 32 bytes each.
Result<Pkey> ec_key(const json::object& jwk) {
  if (string_member(jwk, "crv") != "P-256") return bad_jwks("EC key not on curve P-256");
  auto x = decoded_member(jwk, "x");
  auto y = decoded_member(jwk, "y");
  if (!x || !y || x->size() != 32 || y->size() != 32) {
    return bad_jwks("EC key without 32-byte x and y");
  }
  std::string point = "\x04" + *x + *y;  // SEC 1 uncompressed point
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return bad_jwks("EC key: cannot build parameters");
  }
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
  Pkey key = params ? key_from_params("EC", params.get()) : nullptr;
  if (!key) return bad_jwks("EC key rejected by OpenSSL (not a point of P-256?)");
  return key;
}

// ES256 signatures are r || s, 32 bytes each (RFC 7518 clause 3.4); OpenSSL verifies DER.
std::optional<std::string> ecdsa_der(std::string_view raw) {
  if (raw.size() != 64) return std::nullopt;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  if (sig == nullptr) return std::nullopt;
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  if (r == nullptr || s == nullptr || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  int length = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (length <= 0) return std::nullopt;
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return out;
}

bool verify_signature(const Key& key, std::string_view signed_part, std::string_view signature) {
  std::string der;
  if (key.alg == Alg::kEs256) {
    auto converted = ecdsa_der(signature);
    if (!converted) return false;
    der = std::move(*converted);
    signature = der;
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) return false;
  bool valid =
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key.pkey.get()) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(signed_part.data()),
                       signed_part.size()) == 1;
  EVP_MD_CTX_free(ctx);
  ERR_clear_error();
  return valid;
}

std::optional<json::object> json_object_of(std::string_view text) {
  boost::system::error_code ec;
  json::value value = citytwin::parse_json(text, ec);
  if (ec || !value.is_object()) return std::nullopt;
  return std::move(value.as_object());
}

// NumericDate (RFC 7519 clause 2): seconds since the epoch, possibly fractional.
std::optional<double> numeric_date(const json::object& claims, std::string_view name) {
  const auto* value = claims.if_contains(name);
  if (value == nullptr) return std::nullopt;
  if (value->is_int64()) return static_cast<double>(value->as_int64());
  if (value->is_uint64()) return static_cast<double>(value->as_uint64());
  if (value->is_double()) return value->as_double();
  return std::nullopt;
}

const json::value* claim_at(const json::object& claims, std::string_view path) {
  const json::object* object = &claims;
  while (true) {
    auto dot = path.find('.');
    const json::value* value = object->if_contains(path.substr(0, dot));
    if (value == nullptr || dot == std::string_view::npos) return value;
    if (!value->is_object()) return nullptr;
    object = &value->as_object();
    path.remove_prefix(dot + 1);
  }
}

std::optional<Role> highest_role(const json::value* claim) {
  std::optional<Role> best;
  auto consider = [&best](const json::value& value) {
    if (!value.is_string()) return;
    auto role = parse_role(std::string_view(value.as_string()));
    if (role && (!best || *role > *best)) best = role;
  };
  if (claim == nullptr) return best;
  if (claim->is_array()) {
    for (const auto& element : claim->as_array()) consider(element);
  } else {
    consider(*claim);
  }
  return best;
}

bool audience_matches(const json::value* aud, std::string_view wanted) {
  if (aud == nullptr) return false;
  if (aud->is_string()) return aud->as_string() == wanted;
  if (!aud->is_array()) return false;
  for (const auto& element : aud->as_array()) {
    if (element.is_string() && element.as_string() == wanted) return true;
  }
  return false;
}

// The parts of a JWS compact serialization (RFC 7515 clause 7.1), its header decoded.
struct JwsParts {
  std::string_view signed_part;  // header.payload
  std::string payload;
  std::string signature;
  Alg alg = Alg::kRs256;
  std::string alg_name;
  std::optional<std::string> kid;
};

Result<JwsParts> split_jws(std::string_view token) {
  if (token.size() > 16 * 1024) return unauthorized("too long");
  auto first = token.find('.');
  auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return unauthorized("not a JWS compact serialization");
  }
  auto header_text = base64url_decode(token.substr(0, first));
  auto payload_text = base64url_decode(token.substr(first + 1, second - first - 1));
  auto signature = base64url_decode(token.substr(second + 1));
  if (!header_text || !payload_text || !signature) return unauthorized("bad base64url");
  auto header = json_object_of(*header_text);
  if (!header) return unauthorized("header is not a JSON object");
  JwsParts parts;
  parts.signed_part = token.substr(0, second);
  parts.payload = std::move(*payload_text);
  parts.signature = std::move(*signature);
  // The algorithm comes from our keys, never from the token: "none", HS256 (which would
  // verify an HMAC keyed with a public key) and anything else are refused outright.
  parts.alg_name = string_member(*header, "alg").value_or("");
  if (parts.alg_name == "RS256") {
    parts.alg = Alg::kRs256;
  } else if (parts.alg_name == "ES256") {
    parts.alg = Alg::kEs256;
  } else {
    return unauthorized("algorithm '" + parts.alg_name + "' is not accepted");
  }
  if (header->contains("crit")) return unauthorized("critical header parameters not supported");
  parts.kid = string_member(*header, "kid");
  return parts;
}

}  // namespace

struct JwtVerifier::Keys {
  std::vector<Key> keys;
};

JwtVerifier::JwtVerifier(JwtOptions options, std::unique_ptr<Keys> keys, const Clock& clock)
    : options_(std::move(options)), keys_(std::move(keys)), clock_(clock) {}

JwtVerifier::~JwtVerifier() = default;

std::size_t JwtVerifier::key_count() const {
  return keys_->keys.size();
}

Result<std::unique_ptr<JwtVerifier>> JwtVerifier::create(JwtOptions options, std::string_view jwks,
                                                         const Clock& clock) {
  if (options.issuer.empty()) {
    return make_error(ErrorKind::kInvalidRequest, "security.jwt_issuer is required with a JWKS");
  }
  if (options.audience.empty()) {
    return make_error(ErrorKind::kInvalidRequest, "security.jwt_audience is required with a JWKS");
  }
  auto set = json_object_of(jwks);
  const json::value* list = set ? set->if_contains("keys") : nullptr;
  if (list == nullptr || !list->is_array())
    return bad_jwks("not a JSON object with a \"keys\" array");
  auto keys = std::make_unique<Keys>();
  for (const auto& element : list->as_array()) {
    if (!element.is_object()) return bad_jwks("a key is not an object");
    const json::object& jwk = element.as_object();
    auto use = string_member(jwk, "use");
    if (use && *use != "sig") continue;  // encryption keys have no say in signatures
    auto kty = string_member(jwk, "kty");
    auto declared = string_member(jwk, "alg");
    Key key;
    key.kid = string_member(jwk, "kid").value_or("");
    if (kty == "RSA" && (!declared || *declared == "RS256")) {
      auto pkey = rsa_key(jwk);
      if (!pkey) return std::move(pkey).error();
      key.alg = Alg::kRs256;
      key.pkey = std::move(*pkey);
    } else if (kty == "EC" && (!declared || *declared == "ES256")) {
      auto pkey = ec_key(jwk);
      if (!pkey) return std::move(pkey).error();
      key.alg = Alg::kEs256;
      key.pkey = std::move(*pkey);
    } else {
      continue;  // another algorithm (oct, OKP, RS512, ...): not accepted here
    }
    keys->keys.push_back(std::move(key));
  }
  if (keys->keys.empty()) return bad_jwks("no RS256 or ES256 signing key");
  return std::unique_ptr<JwtVerifier>(new JwtVerifier(std::move(options), std::move(keys), clock));
}

bool JwtVerifier::looks_like_jwt(std::string_view credential) {
  if (credential.starts_with("ct_")) return false;
  auto first = credential.find('.');
  if (first == std::string_view::npos) return false;
  auto second = credential.find('.', first + 1);
  return second != std::string_view::npos &&
         credential.find('.', second + 1) == std::string_view::npos;
}

Result<Principal> JwtVerifier::verify(std::string_view token) const {
  auto parts = split_jws(token);
  if (!parts) return std::move(parts).error();
  const Alg alg = parts->alg;
  const std::optional<std::string>& kid = parts->kid;
  const Key* key = nullptr;
  std::size_t candidates = 0;
  for (const Key& candidate : keys_->keys) {
    if (candidate.alg != alg || (kid && candidate.kid != *kid)) continue;
    key = &candidate;
    ++candidates;
  }
  if (key == nullptr)
    return unauthorized("no " + parts->alg_name + " key with this kid in the JWKS");
  if (candidates > 1) return unauthorized("several keys match; the token needs a kid");
  if (!verify_signature(*key, parts->signed_part, parts->signature)) {
    return unauthorized("bad signature");
  }

  auto claims = json_object_of(parts->payload);
  if (!claims) return unauthorized("payload is not a JSON object");
  const double now = static_cast<double>(clock_.now().micros) / 1e6;
  const auto skew = static_cast<double>(options_.clock_skew.count());
  auto exp = numeric_date(*claims, "exp");
  if (!exp) return unauthorized("no exp claim");
  if (now > *exp + skew) return unauthorized("expired");
  if (auto nbf = numeric_date(*claims, "nbf"); nbf && now + skew < *nbf) {
    return unauthorized("not valid yet (nbf)");
  }
  if (claims->contains("nbf") && !numeric_date(*claims, "nbf")) return unauthorized("bad nbf");
  if (string_member(*claims, "iss") != options_.issuer) return unauthorized("wrong issuer");
  if (!audience_matches(claims->if_contains("aud"), options_.audience)) {
    return unauthorized("wrong audience");
  }

  Principal principal;
  principal.key_id = "jwt:" + string_member(*claims, "sub").value_or("");
  auto role = highest_role(claim_at(*claims, options_.roles_claim));
  if (!role) {
    return make_error(ErrorKind::kForbidden, "the token's '" + options_.roles_claim +
                                                 "' claim names no role (viewer, editor, admin)");
  }
  principal.role = *role;
  const json::value* tenant = claim_at(*claims, options_.tenant_claim);
  if (tenant != nullptr) {
    if (!tenant->is_string()) {
      return make_error(ErrorKind::kForbidden, "the token's tenant claim is not a string");
    }
    principal.tenant = std::string(tenant->as_string());
  }
  if (principal.tenant == kAllTenants ? principal.role != Role::kAdmin
                                      : !valid_tenant_scope(principal.tenant)) {
    return make_error(ErrorKind::kForbidden, "the token's tenant claim is not usable");
  }
  return principal;
}

bool JwtVerifier::knows_key(std::string_view token) const {
  auto parts = split_jws(token);
  if (!parts) return true;
  return std::any_of(keys_->keys.begin(), keys_->keys.end(), [&](const Key& key) {
    return key.alg == parts->alg && (!parts->kid || key.kid == *parts->kid);
  });
}

Result<Principal> JwtVerifierSlot::verify(std::string_view token) const {
  auto verifier = get();
  if ((!verifier || !verifier->knows_key(token)) && refetch_ && refetch_()) verifier = get();
  if (!verifier) {
    return make_error(ErrorKind::kUnauthorized,
                      "bearer token rejected: the identity provider's keys are not loaded yet");
  }
  return verifier->verify(token);
}

}  // namespace citytwin::security
