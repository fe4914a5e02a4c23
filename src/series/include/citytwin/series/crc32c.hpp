#pragma once

#include <cstdint>
#include <string_view>

namespace citytwin::series {

// CRC-32C (Castagnoli polynomial, reflected, as in iSCSI and RocksDB block trailers). A
// table-driven software version: chunks are small and decoded far less often than written
// to disk, so the hardware instruction is not worth a platform dependency here.
std::uint32_t crc32c(std::string_view bytes);

}  // namespace citytwin::series
