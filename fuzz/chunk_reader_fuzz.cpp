// The time-series chunk decoder (src/series, layout in docs/timeseries.md) reads bytes from
// disk that a torn write or a bad sector may have changed: any corruption must give an Error,
// never undefined behaviour. Random bytes almost never carry a valid CRC-32C trailer, which
// would keep the fuzzer at the checksum; so when the first input byte is odd the rest of the
// input gets a correct trailer appended and the column decoders behind the checksum are
// reached. The column decoders are also fed the raw input directly.

#include <string>

#include "citytwin/series/byte_io.hpp"
#include "citytwin/series/chunk.hpp"
#include "citytwin/series/crc32c.hpp"
#include "citytwin/series/decimal_column.hpp"
#include "citytwin/series/float_column.hpp"
#include "citytwin/series/text_column.hpp"
#include "citytwin/series/timestamp_column.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace citytwin;

void decode_chunk(std::string_view bytes) {
  auto reader = series::ChunkReader::open(bytes);
  if (!reader.ok()) return;
  // A chunk that decodes must be consistent: every sample readable, times sorted.
  const auto& columns = reader->columns();
  if (columns.size() != reader->header().count) fuzz::fail("sample count differs from header");
  for (std::size_t i = 0; i < reader->size(); ++i) (void)reader->sample(i);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::as_text(data, size);
  if (text.empty()) return 0;
  std::string_view rest = text.substr(1);
  if (static_cast<unsigned char>(text[0]) % 2 == 1) {
    std::string sealed(rest);
    std::uint32_t crc = series::crc32c(sealed);
    // Same byte order as the builder's trailer (ByteWriter::write_u32, little-endian).
    for (int shift = 0; shift < 32; shift += 8) sealed.push_back(static_cast<char>(crc >> shift));
    decode_chunk(sealed);
  } else {
    decode_chunk(rest);
  }
  (void)series::peek_chunk_header(rest);
  // The column decoders with a sample count taken from the input, capped as the reader caps it.
  std::size_t count = static_cast<unsigned char>(text[0]) * 4u;
  (void)series::decode_timestamps(rest, count);
  (void)series::decode_doubles(rest, count);
  (void)series::decode_decimal_column(rest, count);
  (void)series::decode_text_column(rest, count);
  return 0;
}
