#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "citytwin/common/result.hpp"

// The few cryptographic primitives API keys need, over OpenSSL 3 (the only code of the
// module that includes OpenSSL).
namespace citytwin::security::crypto {

// `count` bytes from OpenSSL's CSPRNG (RAND_bytes); fails only when it is not seeded.
Result<std::string> random_bytes(std::size_t count);
// RFC 4648 section 5 base64url without padding.
std::string base64url(std::string_view bytes);
std::string hex(std::string_view bytes);
// SHA-256 of `data`, as 64 lower-case hex digits.
std::string sha256_hex(std::string_view data);
// Compares in time that depends only on the lengths (CRYPTO_memcmp), so a timing observer
// learns nothing about how many leading bytes matched.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace citytwin::security::crypto
