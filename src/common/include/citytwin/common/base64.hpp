#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace citytwin {

// RFC 4648 section 4 base64 (standard alphabet), padding optional; nullopt for anything but
// the alphabet or an impossible length. Used for LoRaWAN payloads and HTTP Basic credentials.
std::optional<std::string> base64_decode(std::string_view text);

// RFC 4648 section 5 base64url without padding (RFC 7515 clause 2, JWTs); nullopt on any
// other character, '=' included.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace citytwin
