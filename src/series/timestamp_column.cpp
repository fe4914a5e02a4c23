#include "citytwin/series/timestamp_column.hpp"

#include <algorithm>
#include <limits>

#include "citytwin/series/bit_stream.hpp"
#include "corrupt.hpp"

namespace citytwin::series {
namespace {

struct Bucket {
  int prefix_bits;       // how many prefix bits, the last one 0 except for the escape
  std::uint64_t prefix;  // the prefix value
  int value_bits;        // payload width
};

// Zigzag values below 2^value_bits fit the bucket.
constexpr Bucket kBuckets[] = {
    {2, 0b10, 7}, {3, 0b110, 14}, {4, 0b1110, 21}, {5, 0b11110, 32}, {5, 0b11111, 64}};

std::uint64_t zigzag(std::uint64_t twos_complement) {
  return (twos_complement << 1) ^ (0 - (twos_complement >> 63));
}

std::uint64_t unzigzag(std::uint64_t value) {
  return (value >> 1) ^ (0 - (value & 1));
}

void write_dod(BitWriter& out, std::uint64_t dod) {
  if (dod == 0) {
    out.write_bit(false);
    return;
  }
  std::uint64_t zz = zigzag(dod);
  for (const Bucket& bucket : kBuckets) {
    if (bucket.value_bits == 64 || zz < (std::uint64_t{1} << bucket.value_bits)) {
      out.write(bucket.prefix, bucket.prefix_bits);
      out.write(zz, bucket.value_bits);
      return;
    }
  }
}

std::uint64_t read_dod(BitReader& in) {
  int ones = 0;
  while (ones < 4 && in.read_bit()) ++ones;
  if (ones == 0) return 0;
  if (ones == 4 && !in.read_bit()) return unzigzag(in.read(32));
  if (ones == 4) return unzigzag(in.read(64));
  return unzigzag(in.read(kBuckets[ones - 1].value_bits));
}

// Timestamps arrive in µs but devices mostly send whole milliseconds or seconds: dividing
// by the largest common power-of-1000 first makes jitter cost ~10 bits less per sample.
constexpr std::int64_t kScales[] = {1'000'000, 1'000, 1};

std::uint8_t scale_exponent(std::span<const std::int64_t> times) {
  for (std::uint8_t e = 0; e < 2; ++e) {
    bool all = true;
    for (std::int64_t t : times) all = all && t % kScales[e] == 0;
    if (all) return static_cast<std::uint8_t>(2 - e);
  }
  return 0;
}

std::int64_t scale_of(std::uint8_t exponent) {
  return kScales[2 - exponent];
}

}  // namespace

std::string encode_timestamps(std::span<const std::int64_t> times) {
  BitWriter out;
  if (times.empty()) return out.finish();
  std::uint8_t exponent = scale_exponent(times);
  std::int64_t scale = scale_of(exponent);
  out.write(exponent, 8);
  std::uint64_t previous = 0;
  std::uint64_t previous_delta = 0;
  for (std::size_t i = 0; i < times.size(); ++i) {
    auto current = static_cast<std::uint64_t>(times[i] / scale);
    if (i == 0) {
      out.write(current, 64);
    } else {
      std::uint64_t delta = current - previous;
      write_dod(out, delta - previous_delta);
      previous_delta = delta;
    }
    previous = current;
  }
  return out.finish();
}

Result<std::vector<std::int64_t>> decode_timestamps(std::string_view bytes, std::size_t count) {
  std::vector<std::int64_t> times;
  CT_RETURN_IF_ERROR(decode_timestamps(bytes, count, times));
  return times;
}

Status decode_timestamps(std::string_view bytes, std::size_t count,
                         std::vector<std::int64_t>& times, bool* ascending) {
  // Each timestamp costs at least one bit (64 for the first): refuse counts the bytes cannot
  // hold before allocating for them.
  if (count > 0 && bytes.size() * 8 < 8 + 64 + (count - 1)) {
    return corrupt_chunk("timestamp column shorter than its sample count");
  }
  BitReader in(bytes);
  std::uint64_t scale = 1;
  if (count > 0) {
    auto exponent = static_cast<std::uint8_t>(in.read(8));
    if (exponent > 2) return corrupt_chunk("timestamp scale");
    scale = static_cast<std::uint64_t>(scale_of(exponent));
  }
  times.resize(count);
  std::int64_t* out = times.data();
  std::uint64_t previous = 0;
  std::uint64_t delta = 0;
  // Ascending: no delta below zero, and the first time plus all of them (exactly, so that no
  // step wrapped) still a 64-bit time.
  bool falls = false;
  __int128 rise = 0;
  // Wrapping multiply: exact, because the encoder divided without remainder.
  auto unscaled = [&] { return static_cast<std::int64_t>(previous * scale); };
  if (count > 0) {
    previous = in.read(64);
    out[0] = unscaled();
  }
  for (std::size_t i = 1; i < count;) {
    // A run of 0 bits is a run of unchanged deltas (regular timestamps): a word at a time.
    const int limit = static_cast<int>(std::min<std::size_t>(count - i, 56));
    const int zeros = in.skip_zeros(limit);
    for (int k = 0; k < zeros; ++k) {
      previous += delta;
      out[i++] = unscaled();
    }
    rise += static_cast<__int128>(static_cast<std::int64_t>(delta)) * zeros;
    if (zeros == limit) continue;
    delta += read_dod(in);
    falls |= static_cast<std::int64_t>(delta) < 0;
    rise += static_cast<std::int64_t>(delta);
    previous += delta;
    out[i++] = unscaled();
  }
  if (!in.finished_cleanly()) return corrupt_chunk("timestamp column length mismatch");
  if (ascending != nullptr) {
    *ascending = !falls && (count == 0 ||
                            static_cast<__int128>(out[0]) + rise * static_cast<__int128>(scale) <=
                                std::numeric_limits<std::int64_t>::max());
  }
  return ok_status();
}

}  // namespace citytwin::series
