#pragma once

#include <cstdint>
#include <string_view>

namespace citytwin::series {

// CRC-32C (Castagnoli polynomial, reflected, as in iSCSI and RocksDB block trailers). Every
// chunk read verifies one, so on x86-64 CPUs with SSE 4.2 it uses the CRC32 instruction
// (checked at run time); elsewhere a table-driven loop, which crc32c_portable() always uses.
std::uint32_t crc32c(std::string_view bytes);
std::uint32_t crc32c_portable(std::string_view bytes);

}  // namespace citytwin::series
