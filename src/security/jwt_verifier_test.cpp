#include "citytwin/security/jwt_verifier.hpp"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>

#include <boost/json.hpp>
#include <memory>

#include "jwt_test_support.hpp"
#include "secret_crypto.hpp"

// Keys are generated for each run (OpenSSL EVP); tokens are signed here the way an identity
// provider signs them.
namespace citytwin::security {
namespace {

namespace json = boost::json;
using crypto::base64url;
using namespace testing;

constexpr std::int64_t kNow = 1'800'000'000;  // seconds since the epoch

class FixedClock final : public Clock {
 public:
  Instant now() const override { return Instant{kNow * 1'000'000}; }
};

json::object good_claims() {
  return {{"iss", "https://idp.example"},
          {"aud", "citytwin"},
          {"sub", "alice"},
          {"exp", kNow + 300},
          {"iat", kNow - 10},
          {"nbf", kNow - 10},
          {"roles", json::array{"viewer", "editor"}},
          {"tenant", "district7"}};
}

class JwtVerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rsa_.reset(EVP_RSA_gen(2048));
    ec_.reset(EVP_EC_gen("P-256"));
    ASSERT_TRUE(rsa_ && ec_);
    json::object set{{"keys", json::array{rsa_jwk(rsa_.get(), "rsa1"), ec_jwk(ec_.get(), "ec1")}}};
    jwks_ = json::serialize(set);
    auto verifier = JwtVerifier::create(options(), jwks_, clock_);
    ASSERT_TRUE(verifier.ok()) << verifier.error().detail;
    verifier_ = std::move(*verifier);
  }

  static JwtOptions options() {
    JwtOptions out;
    out.issuer = "https://idp.example";
    out.audience = "citytwin";
    return out;
  }

  std::string token(const json::object& header, const json::object& claims, EVP_PKEY* key,
                    bool ecdsa) const {
    std::string signed_part =
        base64url(json::serialize(header)) + "." + base64url(json::serialize(claims));
    std::string signature = sign_sha256(key, signed_part);
    if (ecdsa) signature = raw_ecdsa(signature);
    return signed_part + "." + base64url(signature);
  }
  std::string rs256(const json::object& claims, std::string kid = "rsa1") const {
    return token({{"alg", "RS256"}, {"typ", "JWT"}, {"kid", kid}}, claims, rsa_.get(), false);
  }
  std::string es256(const json::object& claims) const {
    return token({{"alg", "ES256"}, {"kid", "ec1"}}, claims, ec_.get(), true);
  }

  void expect_rejected(const std::string& jwt, std::string_view why,
                       ErrorKind kind = ErrorKind::kUnauthorized) const {
    auto principal = verifier_->verify(jwt);
    ASSERT_FALSE(principal.ok()) << why;
    EXPECT_EQ(principal.error().kind, kind) << principal.error().detail;
    EXPECT_NE(principal.error().detail.find(why), std::string::npos) << principal.error().detail;
  }

  FixedClock clock_;
  Pkey rsa_;
  Pkey ec_;
  std::string jwks_;
  std::unique_ptr<JwtVerifier> verifier_;
};

TEST_F(JwtVerifierTest, AcceptsRs256AndEs256AndMapsClaims) {
  for (const std::string& jwt : {rs256(good_claims()), es256(good_claims())}) {
    EXPECT_TRUE(JwtVerifier::looks_like_jwt(jwt));
    auto principal = verifier_->verify(jwt);
    ASSERT_TRUE(principal.ok()) << principal.error().detail;
    EXPECT_EQ(principal->key_id, "jwt:alice");
    EXPECT_EQ(principal->role, Role::kEditor);  // the highest role named
    EXPECT_EQ(principal->tenant, "district7");
  }
  EXPECT_EQ(verifier_->key_count(), 2u);
  EXPECT_FALSE(JwtVerifier::looks_like_jwt("ct_0123456789ab.secret"));
}

TEST_F(JwtVerifierTest, AudienceArrayAndSkewTolerance) {
  auto claims = good_claims();
  claims["aud"] = json::array{"other", "citytwin"};
  claims["exp"] = kNow - 30;  // expired 30 s ago, within the 60 s skew
  claims["nbf"] = kNow + 30;  // valid in 30 s, within the skew
  EXPECT_TRUE(verifier_->verify(rs256(claims)).ok());
}

TEST_F(JwtVerifierTest, RejectsExpiredAndNotYetValid) {
  auto expired = good_claims();
  expired["exp"] = kNow - 61;
  expect_rejected(rs256(expired), "expired");
  auto early = good_claims();
  early["nbf"] = kNow + 61;
  expect_rejected(es256(early), "not valid yet");
  auto no_exp = good_claims();
  no_exp.erase("exp");
  expect_rejected(rs256(no_exp), "no exp");
}

TEST_F(JwtVerifierTest, RejectsWrongIssuerAndAudience) {
  auto issuer = good_claims();
  issuer["iss"] = "https://evil.example";
  expect_rejected(rs256(issuer), "wrong issuer");
  auto audience = good_claims();
  audience["aud"] = "another-api";
  expect_rejected(rs256(audience), "wrong audience");
  auto none = good_claims();
  none.erase("aud");
  expect_rejected(es256(none), "wrong audience");
}

TEST_F(JwtVerifierTest, RejectsBadSignatures) {
  std::string jwt = rs256(good_claims());
  // Change the payload, keep the signature.
  auto changed = good_claims();
  changed["roles"] = "admin";
  std::string forged = rs256(changed);
  forged = forged.substr(0, forged.rfind('.')) + jwt.substr(jwt.rfind('.'));
  expect_rejected(forged, "bad signature");
  // Signed by a key that is not in the JWKS, under a kid that is.
  Pkey stranger(EVP_RSA_gen(2048));
  expect_rejected(token({{"alg", "RS256"}, {"kid", "rsa1"}}, good_claims(), stranger.get(), false),
                  "bad signature");
  // An ES256 header on an RSA kid finds no key.
  expect_rejected(token({{"alg", "ES256"}, {"kid", "rsa1"}}, good_claims(), ec_.get(), true),
                  "no ES256 key");
  expect_rejected(rs256(good_claims(), "unknown"), "no RS256 key");
}

TEST_F(JwtVerifierTest, RejectsAlgNoneAndHs256WithThePublicKey) {
  std::string unsigned_token = base64url(R"({"alg":"none","typ":"JWT"})") + "." +
                               base64url(json::serialize(good_claims())) + ".";
  expect_rejected(unsigned_token, "algorithm 'none' is not accepted");
  // The classic confusion attack: HMAC keyed with the RSA public key's JWK text.
  std::string signed_part = base64url(R"({"alg":"HS256","kid":"rsa1"})") + "." +
                            base64url(json::serialize(good_claims()));
  unsigned char mac[32];
  unsigned int mac_length = 0;
  HMAC(EVP_sha256(), jwks_.data(), static_cast<int>(jwks_.size()),
       reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size(), mac,
       &mac_length);
  std::string hs256 =
      signed_part + "." + base64url(std::string(reinterpret_cast<char*>(mac), mac_length));
  expect_rejected(hs256, "algorithm 'HS256' is not accepted");
}

TEST_F(JwtVerifierTest, RejectsMalformedTokens) {
  expect_rejected("abc", "not a JWS");
  expect_rejected("a.b.c.d", "not a JWS");
  expect_rejected("@@.@@.@@", "bad base64url");
  expect_rejected(base64url("[]") + "." + base64url("{}") + ".", "header is not a JSON object");
}

TEST_F(JwtVerifierTest, RolesAndTenantsFromClaims) {
  auto no_role = good_claims();
  no_role["roles"] = json::array{"operator"};
  expect_rejected(rs256(no_role), "names no role", ErrorKind::kForbidden);
  auto global_viewer = good_claims();
  global_viewer["tenant"] = "*";
  expect_rejected(rs256(global_viewer), "tenant claim is not usable", ErrorKind::kForbidden);
  auto global_admin = good_claims();
  global_admin["tenant"] = "*";
  global_admin["roles"] = "admin";
  auto principal = verifier_->verify(rs256(global_admin));
  ASSERT_TRUE(principal.ok()) << principal.error().detail;
  EXPECT_EQ(principal->role, Role::kAdmin);
  EXPECT_EQ(principal->tenant, "*");
  auto default_tenant = good_claims();
  default_tenant.erase("tenant");
  EXPECT_EQ(verifier_->verify(rs256(default_tenant))->tenant, "");
}

TEST_F(JwtVerifierTest, NestedRolesClaim) {
  JwtOptions nested = options();
  nested.roles_claim = "realm_access.roles";
  auto verifier = JwtVerifier::create(nested, jwks_, clock_);
  ASSERT_TRUE(verifier.ok());
  auto claims = good_claims();
  claims.erase("roles");
  claims["realm_access"] = json::object{{"roles", json::array{"offline_access", "admin"}}};
  auto principal = (*verifier)->verify(rs256(claims));
  ASSERT_TRUE(principal.ok()) << principal.error().detail;
  EXPECT_EQ(principal->role, Role::kAdmin);
}

TEST(JwtVerifierCreate, RefusesIncompleteOptionsAndUnusableSets) {
  FixedClock clock;
  JwtOptions options;
  options.issuer = "https://idp.example";
  EXPECT_FALSE(JwtVerifier::create(options, R"({"keys": []})", clock).ok());  // no audience
  options.audience = "citytwin";
  auto empty = JwtVerifier::create(options, R"({"keys": []})", clock);
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().detail.find("no RS256 or ES256"), std::string::npos);
  EXPECT_FALSE(JwtVerifier::create(options, "not json", clock).ok());
  // A symmetric key is skipped, never used: alone it leaves no usable key.
  EXPECT_FALSE(
      JwtVerifier::create(options, R"({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]})", clock).ok());
  Pkey small(EVP_RSA_gen(1024));
  json::object set{{"keys", json::array{rsa_jwk(small.get(), "small")}}};
  auto weak = JwtVerifier::create(options, json::serialize(set), clock);
  ASSERT_FALSE(weak.ok());
  EXPECT_NE(weak.error().detail.find("2048"), std::string::npos);
}

}  // namespace
}  // namespace citytwin::security
