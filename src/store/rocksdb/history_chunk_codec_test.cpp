// The history chunk codec: exact round trips (decode(encode(s)) == s) for realistic,
// adversarial and random samples, compression of a typical series, and corruption as errors.
#include "history_chunk_codec.hpp"
#include "history_chunk_span.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <memory>
#include <random>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "citytwin/common/instant.hpp"
#include "citytwin/series/byte_io.hpp"
#include "citytwin/series/crc32c.hpp"
#include "citytwin/series/decimal_column.hpp"

namespace citytwin::store::kv {
namespace {

constexpr const char* kAttribute = "https://example.org/temperature";
constexpr std::int64_t kStart = 1'780'000'000'000'000;  // 2026, µs

std::string quoted(std::int64_t micros) {
  return format_date_time(Instant{micros});
}

// An instance as core stores it (boost::json::serialize of the stored form).
HistorySample property(std::int64_t modified_at, std::uint64_t sequence, boost::json::value value,
                       std::optional<std::int64_t> observed_at = std::nullopt) {
  boost::json::object instance;
  instance["type"] = "Property";
  instance["value"] = std::move(value);
  instance["unitCode"] = "CEL";
  if (observed_at) instance["observedAt"] = quoted(*observed_at);
  instance["createdAt"] = quoted(kStart - 1'000'000);
  instance["modifiedAt"] = quoted(modified_at);
  HistorySample sample;
  sample.attribute = kAttribute;
  sample.modified_at = modified_at;
  sample.observed_at = observed_at;
  sample.sequence = sequence;
  sample.instance = boost::json::serialize(instance);
  return sample;
}

std::vector<HistorySample> round_trip(const std::vector<HistorySample>& samples,
                                      std::string* bytes = nullptr) {
  auto encoded = encode_history_chunk(samples);
  EXPECT_TRUE(encoded.ok()) << (encoded.ok() ? "" : encoded.error().detail);
  if (!encoded.ok()) return {};
  if (bytes != nullptr) *bytes = *encoded;
  std::string dataset = samples.empty() ? std::string() : samples.front().dataset_id;
  auto decoded = decode_history_chunk(*encoded, kAttribute, dataset);
  EXPECT_TRUE(decoded.ok()) << (decoded.ok() ? "" : decoded.error().detail);
  return decoded.ok() ? std::move(decoded).value() : std::vector<HistorySample>();
}

void expect_round_trip(const std::vector<HistorySample>& samples) {
  std::vector<HistorySample> decoded = round_trip(samples);
  ASSERT_EQ(decoded.size(), samples.size());
  for (std::size_t i = 0; i < samples.size(); ++i) {
    EXPECT_EQ(decoded[i], samples[i]) << "sample " << i << ": " << samples[i].instance
                                      << "\n decoded as: " << decoded[i].instance;
  }
}

TEST(HistoryChunkCodec, SmoothTemperatureRoundTripsAndCompresses) {
  std::vector<HistorySample> samples;
  std::mt19937_64 random(7);
  std::normal_distribution<double> noise(0, 0.05);
  for (int i = 0; i < 1024; ++i) {
    std::int64_t t = kStart + std::int64_t{i} * 60'000'000;
    double value = std::round((20 + 5 * std::sin(i / 200.0) + noise(random)) * 100) / 100;
    samples.push_back(property(t + 1234, 100 + static_cast<std::uint64_t>(i), value, t));
  }
  std::string bytes;
  std::vector<HistorySample> decoded = round_trip(samples, &bytes);
  EXPECT_EQ(decoded, samples);
  std::size_t raw = 0;
  for (const HistorySample& sample : samples) raw += sample.instance.size() + 9 + 16;
  // Raw rows cost ~180 bytes each; the residual and the timestamps must nearly vanish.
  EXPECT_LT(bytes.size(), samples.size() * 12) << "raw " << raw << " chunk " << bytes.size();
  std::printf("raw %zu bytes, chunk %zu bytes for %zu samples\n", raw, bytes.size(),
              samples.size());
}

// A chunk of decimal numbers each with observedAt reads as its observedAt and values alone
// (read_observed_decimals), and any one sample of it rebuilds as the whole decode gives it
// (rebuild_observed_decimal), but for its sequence; other chunks are not read so.
HistorySample without_sequence(HistorySample sample) {
  sample.sequence = 0;
  return sample;
}

TEST(HistoryChunkCodec, ObservedDecimalsReadAloneAndRebuildOneSample) {
  std::vector<HistorySample> samples;
  std::mt19937_64 random(11);
  for (int i = 0; i < 300; ++i) {
    std::int64_t t = kStart + std::int64_t{i} * 60'000'000;
    double value = static_cast<double>(static_cast<int>(random() % 4000) - 2000) / 100;
    samples.push_back(property(t + 1234, 100 + static_cast<std::uint64_t>(i) * (i % 3), value,
                               t - static_cast<std::int64_t>(random() % 5'000'000)));
  }
  std::string bytes;
  std::vector<HistorySample> decoded = round_trip(samples, &bytes);
  ASSERT_EQ(decoded, samples);
  series::Time2Decimals read;
  auto columns = read_observed_decimals(bytes, read);
  ASSERT_TRUE(columns.ok()) << columns.error().detail;
  ASSERT_TRUE(*columns);
  ASSERT_EQ(read.times2.size(), samples.size());
  for (std::size_t i = 0; i < samples.size(); ++i) {
    EXPECT_EQ(read.times2[i], *samples[i].observed_at);
    const double power = series::power_of_ten(read.decimal_exponent);
    EXPECT_EQ(series::decimal_value(read.scaled[i], power),
              boost::json::parse(samples[i].instance).at("value").to_number<double>());
    auto one = rebuild_observed_decimal(bytes, read, i);
    ASSERT_TRUE(one.ok()) << one.error().detail;
    one->attribute = kAttribute;
    EXPECT_EQ(*one, without_sequence(samples[i])) << "sample " << i;
  }
  // Kept past the bytes it was read from.
  auto kept = kept_observed_decimal(std::string(bytes), 123);
  auto later = kept();
  ASSERT_TRUE(later.ok()) << later.error().detail;
  later->attribute = kAttribute;
  EXPECT_EQ(*later, without_sequence(samples[123]));
  EXPECT_FALSE(rebuild_observed_decimal(bytes, read, samples.size()).ok());

  auto shape = [&](std::vector<HistorySample> other) {
    auto encoded = encode_history_chunk(other);
    EXPECT_TRUE(encoded.ok());
    if (!encoded.ok()) return false;
    series::Time2Decimals buffer;
    auto alone = read_observed_decimals(*encoded, buffer);
    EXPECT_TRUE(alone.ok());
    return alone.ok() && !*alone;
  };
  std::vector<HistorySample> unobserved = samples;
  unobserved[7] = property(unobserved[7].modified_at, unobserved[7].sequence, 1.5);
  EXPECT_TRUE(shape(unobserved));
  std::vector<HistorySample> deletion = samples;
  deletion[8].deleted = true;
  deletion[8].instance.clear();
  deletion[8].observed_at.reset();
  EXPECT_TRUE(shape(deletion));
  std::vector<HistorySample> text = samples;
  text[9] = property(text[9].modified_at, text[9].sequence, "warm", text[9].observed_at);
  EXPECT_TRUE(shape(text));
}

// Instances appended through the temporal API are created when written: createdAt equals
// modifiedAt in every sample. That instant must not stay in the residual text, where it
// made each sample's residual unique (about 100 bytes a sample before RocksDB's compression).
TEST(HistoryChunkCodec, CreatedAtEqualToModifiedAtIsNotStoredPerSample) {
  std::vector<HistorySample> samples;
  for (int i = 0; i < 1024; ++i) {
    std::int64_t t = kStart + std::int64_t{i} * 3'600'000'000;
    HistorySample sample = property(t + 17, 100 + static_cast<std::uint64_t>(i), 20 + i % 7, t);
    boost::json::object instance = boost::json::parse(sample.instance).as_object();
    instance["createdAt"] = quoted(sample.modified_at);
    sample.instance = boost::json::serialize(instance);
    samples.push_back(std::move(sample));
  }
  std::string bytes;
  EXPECT_EQ(round_trip(samples, &bytes), samples);
  EXPECT_LT(bytes.size(), samples.size() * 12) << "chunk " << bytes.size();
  // A createdAt that differs from modifiedAt round-trips from the residual text.
  samples.resize(3);
  for (HistorySample& sample : samples) {
    boost::json::object instance = boost::json::parse(sample.instance).as_object();
    instance["createdAt"] = quoted(sample.modified_at - 5);
    sample.instance = boost::json::serialize(instance);
  }
  expect_round_trip(samples);
}

TEST(HistoryChunkCodec, EveryValueShapeRoundTrips) {
  std::vector<HistorySample> samples;
  std::int64_t t = kStart;
  std::uint64_t sequence = 1;
  auto next = [&] {
    t += 1000;
    return t;
  };
  boost::json::object nested{{"a", 1}, {"b", boost::json::array{1, "x", nullptr}}};
  for (boost::json::value value :
       {boost::json::value(21.5), boost::json::value(-0.0), boost::json::value(1e300),
        boost::json::value(5e-324), boost::json::value(std::numeric_limits<double>::max()),
        boost::json::value(std::int64_t{42}), boost::json::value(std::int64_t{-7}),
        boost::json::value(std::numeric_limits<std::int64_t>::max()),
        boost::json::value(std::numeric_limits<std::int64_t>::min()),
        // Around 2^53, where integers stop being exact doubles (2^53 + 1 converts to 2^53).
        boost::json::value(std::int64_t{9007199254740992}),
        boost::json::value(std::int64_t{9007199254740993}),
        boost::json::value(std::int64_t{-9007199254740993}),
        boost::json::value(std::numeric_limits<std::uint64_t>::max()), boost::json::value(true),
        boost::json::value(false), boost::json::value("text"), boost::json::value(""),
        boost::json::value("quote \" and \\ and \n"), boost::json::value("ünïcødé"),
        boost::json::value(nullptr), boost::json::value(nested),
        boost::json::value(boost::json::array{1.5, 2, "three"})}) {
    std::int64_t at = next();
    samples.push_back(property(at, sequence++, value, at - 5));
  }
  // Hand-written texts the scanner must leave exact: spaces, numbers Boost would not write,
  // a duplicate value member, escaped keys, observedAt/modifiedAt in another format.
  for (std::string text : {
           R"({ "type" : "Property" , "value" : 1.50 , "unitCode":"CEL" })",
           R"({"type":"Property","value":1e2})",
           R"({"type":"Property","value":-0})",
           R"({"type":"Property","value":00012})",
           R"({"value":1,"value":2})",
           R"({"val\u0075e":3,"value":4})",
           R"({"type":"Property","value":2.5E0,"observedAt":"2026-01-01T00:00:00Z"})",
           R"({"type":"Property","value":"x","modifiedAt":"not a date"})",
           R"({"type":"Property"})",
           R"({})",
           R"(["https://example.org/Sensor","https://example.org/Room"])",
           R"({"type":"Property","value":)",
           R"({"type":"Property","value":"unterminated})",
           R"(not json at all)",
           "",
       }) {
    HistorySample sample;
    sample.attribute = kAttribute;
    sample.modified_at = next();
    sample.sequence = sequence++;
    sample.instance = text;
    samples.push_back(sample);
  }
  HistorySample deleted;
  deleted.attribute = kAttribute;
  deleted.modified_at = next();
  deleted.sequence = sequence++;
  deleted.deleted = true;
  samples.push_back(deleted);
  expect_round_trip(samples);
}

TEST(HistoryChunkCodec, ExtremeTimesEqualTimestampsAndSequences) {
  std::vector<HistorySample> samples;
  std::int64_t min = std::numeric_limits<std::int64_t>::min();
  std::int64_t max = std::numeric_limits<std::int64_t>::max();
  samples.push_back(property(min, 1, 1.0, max));
  samples.push_back(property(min, std::numeric_limits<std::uint64_t>::max(), 2.0, min));
  samples.push_back(property(-5, 3, 3.0));
  samples.push_back(property(-5, 4, 3.0));
  samples.push_back(property(0, 0, 4.0, 0));
  samples.push_back(property(max, 1, 5.0));
  for (HistorySample& sample : samples) sample.dataset_id = "urn:dataset:1";
  expect_round_trip(samples);
  expect_round_trip({});
}

// Wrapping addition: random walks may cross INT64_MAX (the codec must cope with any value).
std::int64_t wrap_add(std::int64_t t, std::uint64_t delta) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(t) + delta);
}

TEST(HistoryChunkCodec, RandomSamplesRoundTrip) {
  std::mt19937_64 random(12345);
  auto pick = [&](int n) { return static_cast<int>(random() % static_cast<unsigned>(n)); };
  for (int round = 0; round < 300; ++round) {
    std::vector<HistorySample> samples;
    int count = pick(60);
    std::int64_t t = static_cast<std::int64_t>(random());
    for (int i = 0; i < count; ++i) {
      switch (pick(4)) {
        case 0:
          break;  // equal timestamps
        case 1:
          t = wrap_add(t, static_cast<std::uint64_t>(pick(1000)));
          break;
        case 2:
          t = wrap_add(t, random() >> pick(64));
          break;
        default:
          t = wrap_add(t, 60'000'000);
      }
      // Small sequences collide on equal timestamps now and then: duplicates are dropped below.
      std::uint64_t sequence =
          pick(2) == 0 ? random() >> pick(64) : static_cast<std::uint64_t>(pick(4));
      std::optional<std::int64_t> observed;
      if (pick(3) > 0) observed = static_cast<std::int64_t>(random() >> pick(64));
      boost::json::value value;
      switch (pick(8)) {
        case 0:
          value = std::bit_cast<double>(random() & ~(std::uint64_t{0x7FF} << 52)) * 1e10;
          break;
        case 1:
          value = static_cast<std::int64_t>(random()) >> pick(64);
          break;
        case 2:
          value = pick(2) == 0;
          break;
        case 3:
          value = std::string(static_cast<std::size_t>(pick(5)), static_cast<char>(' ' + pick(95)));
          break;
        case 4:
          value = boost::json::object{{"k", pick(10)}, {"s", "\"\\"}};
          break;
        case 5:
          value = nullptr;
          break;
        case 6:
          value = std::ldexp(1.0 + pick(1000) / 7.0, pick(2000) - 1000);
          break;
        default:
          value = pick(100000) / 100.0;
      }
      HistorySample sample = property(t, sequence, value, observed);
      if (pick(10) == 0) {
        sample.deleted = true;
        sample.instance.clear();
      } else if (pick(10) == 0) {
        sample.deleted = true;  // a deletion keeping text: still exact
      }
      samples.push_back(std::move(sample));
    }
    auto key = [](const HistorySample& s) { return std::pair(s.modified_at, s.sequence); };
    std::stable_sort(samples.begin(), samples.end(),
                     [&](const auto& a, const auto& b) { return key(a) < key(b); });
    samples.erase(std::unique(samples.begin(), samples.end(),
                              [&](const auto& a, const auto& b) { return key(a) == key(b); }),
                  samples.end());
    expect_round_trip(samples);
  }
}

TEST(HistoryChunkCodec, RefusesUnsortedSamples) {
  std::vector<HistorySample> samples{property(kStart + 10, 1, 1.0), property(kStart, 2, 2.0)};
  EXPECT_FALSE(encode_history_chunk(samples).ok());
  samples = {property(kStart, 2, 1.0), property(kStart, 1, 2.0)};
  EXPECT_FALSE(encode_history_chunk(samples).ok());
}

// A bulk append's chunk is encoded before its write is numbered, then finished with the
// write's sequence: the same bytes as encoding the numbered samples at once.
TEST(HistoryChunkCodec, APreparedChunkFinishesToTheSameBytes) {
  std::vector<HistorySample> samples;
  std::mt19937_64 random(5);
  for (int i = 0; i < 700; ++i) {
    boost::json::value value = i % 50 == 0 ? boost::json::value("text")
                                           : boost::json::value(std::int64_t(random() % 4000));
    std::int64_t at = kStart + std::int64_t{i} * 60'000'000;
    samples.push_back(property(at, 0, value, at - 5));
  }
  samples[9].deleted = true;
  samples[9].instance.clear();
  auto prepared = prepare_history_chunk(samples);
  ASSERT_TRUE(prepared.ok()) << prepared.error().detail;
  for (std::uint64_t sequence : {std::uint64_t{1}, std::uint64_t{123'456'789}}) {
    for (HistorySample& sample : samples) sample.sequence = sequence;
    auto whole = encode_history_chunk(samples);
    ASSERT_TRUE(whole.ok());
    std::string finished = finish_history_chunk(*prepared, sequence);
    EXPECT_EQ(finished, *whole);
    auto decoded = decode_history_chunk(finished, kAttribute, "");
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(*decoded, samples);
  }
  // Equal or decreasing instants cannot share one sequence: refused.
  samples[5].modified_at = samples[4].modified_at;
  EXPECT_FALSE(prepare_history_chunk(samples).ok());
}

TEST(HistoryChunkCodec, PeekReadsCountAndTimeBounds) {
  std::vector<HistorySample> samples{property(kStart, 1, 1.0), property(kStart + 50, 2, 2.0),
                                     property(kStart + 90, 3, 3.0)};
  auto encoded = encode_history_chunk(samples);
  ASSERT_TRUE(encoded.ok());
  auto summary = peek_history_chunk(*encoded);
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->count, 3u);
  EXPECT_EQ(summary->min_modified_at, kStart);
  EXPECT_EQ(summary->max_modified_at, kStart + 90);
}

TEST(HistoryChunkCodec, PeekReadsStatistics) {
  std::vector<HistorySample> samples{property(kStart, 1, 4.5, kStart + 700),
                                     property(kStart + 50, 2, -2, kStart - 300),
                                     property(kStart + 90, 3, 10.25)};
  auto encoded = encode_history_chunk(samples);
  ASSERT_TRUE(encoded.ok());
  ASSERT_FALSE(peek_history_chunk(*encoded)->stats.has_value());  // the header only
  auto summary = peek_history_chunk(*encoded, ChunkPeek::kStatistics);
  ASSERT_TRUE(summary.ok());
  ASSERT_TRUE(summary->stats.has_value());
  const HistoryChunkStats& stats = *summary->stats;
  EXPECT_EQ(stats.count, 3u);
  EXPECT_EQ(stats.deleted_count, 0u);
  EXPECT_EQ(stats.observed_count, 2u);
  EXPECT_EQ(stats.min_observed_at, kStart - 300);
  EXPECT_EQ(stats.max_observed_at, kStart + 700);
  EXPECT_EQ(stats.min_modified_at, kStart);
  EXPECT_EQ(stats.max_modified_at, kStart + 90);
  ASSERT_TRUE(stats.numbers.has_value());
  series::NumberSummary expected;
  for (double x : {4.5, -2.0, 10.25}) expected.add(x);
  EXPECT_EQ(stats.numbers->count, 3u);
  EXPECT_EQ(stats.numbers->sum, expected.sum);
  EXPECT_EQ(stats.numbers->sumsq, expected.sumsq);
  EXPECT_EQ(stats.numbers->m2, expected.m2);
  EXPECT_EQ(stats.numbers->min, -2.0);
  EXPECT_EQ(stats.numbers->max, 10.25);

  // A text value or a deletion leaves no number summary (a period covering the chunk must
  // then read its values); the instants are still there.
  samples.push_back(property(kStart + 95, 4, "high", kStart + 900));
  auto with_text = peek_history_chunk(*encode_history_chunk(samples), ChunkPeek::kStatistics);
  ASSERT_TRUE(with_text.ok() && with_text->stats);
  EXPECT_FALSE(with_text->stats->numbers.has_value());
  EXPECT_EQ(with_text->stats->max_observed_at, kStart + 900);
  samples.pop_back();
  HistorySample deletion;
  deletion.attribute = kAttribute;
  deletion.modified_at = kStart + 99;
  deletion.sequence = 5;
  deletion.deleted = true;
  samples.push_back(deletion);
  auto with_deletion = peek_history_chunk(*encode_history_chunk(samples), ChunkPeek::kStatistics);
  ASSERT_TRUE(with_deletion.ok() && with_deletion->stats);
  EXPECT_FALSE(with_deletion->stats->numbers.has_value());
  EXPECT_EQ(with_deletion->stats->deleted_count, 1u);
}

// Chunks written before the statistics existed (format 1: no statistics section) still
// decode to the same samples; peek reports no statistics, so readers decode them.
TEST(HistoryChunkCodec, FormatOneChunksStillDecode) {
  std::vector<HistorySample> samples;
  for (int i = 0; i < 30; ++i) {
    samples.push_back(
        property(kStart + i * 1000, 1 + static_cast<std::uint64_t>(i), i * 0.75, kStart + i * 7));
  }
  auto encoded = encode_history_chunk(samples);
  ASSERT_TRUE(encoded.ok());
  series::ByteReader in(std::string_view(*encoded).substr(0, encoded->size() - 4));
  std::uint8_t version = 0;
  std::string_view stats;
  ASSERT_TRUE(in.read_u8(version) && in.read_section(stats));
  ASSERT_EQ(version, kHistoryChunkVersion);
  std::string_view rest;
  ASSERT_TRUE(in.read_bytes(in.remaining(), rest));
  std::string old(1, static_cast<char>(kHistoryChunkVersionWithoutStats));
  old.append(rest);
  series::append_u32(old, series::crc32c(old));
  auto decoded = decode_history_chunk(old, kAttribute, "");
  ASSERT_TRUE(decoded.ok()) << decoded.error().detail;
  EXPECT_EQ(*decoded, samples);
  auto summary = peek_history_chunk(old, ChunkPeek::kStatistics);
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->count, 30u);
  EXPECT_EQ(summary->max_modified_at, kStart + 29'000);
  EXPECT_FALSE(summary->stats.has_value());
}

// A chunk's span (history_chunk_span.hpp) gives back its statistics' counts and spans exactly,
// observedAt before or after modifiedAt, with and without observedAt, and nothing else.
TEST(HistoryChunkSpan, GivesTheChunksCountsAndSpans) {
  std::vector<std::vector<HistorySample>> chunks = {
      {property(kStart, 1, 4.5, kStart + 700), property(kStart + 50, 2, -2, kStart - 300),
       property(kStart + 90, 3, "text")},
      {property(kStart, 1, 1.0), property(kStart + 5, 2, 2.0)},
      {property(kStart, 1, 1.0, -5'000'000'000'000'000), property(kStart + 1, 2, 2.0, kStart)},
  };
  chunks[1].push_back(property(kStart + 9, 3, 0));
  chunks[1].back().deleted = true;
  chunks[1].back().instance.clear();
  for (std::size_t c = 0; c < chunks.size(); ++c) {
    SCOPED_TRACE("chunk " + std::to_string(c));
    auto encoded = encode_history_chunk(chunks[c]);
    ASSERT_TRUE(encoded.ok()) << encoded.error().detail;
    auto stats = peek_history_chunk(*encoded, ChunkPeek::kStatistics)->stats;
    ASSERT_TRUE(stats.has_value());
    auto span = encode_chunk_span(*encoded);
    ASSERT_TRUE(span.ok());
    EXPECT_LE(span->size(), 24u);
    auto decoded = decode_chunk_span(*span, chunks[c].front().modified_at);
    ASSERT_TRUE(decoded.ok()) << decoded.error().detail;
    ASSERT_TRUE(decoded->has_value());
    const HistoryChunkStats& got = **decoded;
    EXPECT_EQ(got.count, stats->count);
    EXPECT_EQ(got.deleted_count, stats->deleted_count);
    EXPECT_EQ(got.observed_count, stats->observed_count);
    EXPECT_EQ(got.min_modified_at, stats->min_modified_at);
    EXPECT_EQ(got.max_modified_at, stats->max_modified_at);
    EXPECT_EQ(got.min_observed_at, stats->min_observed_at);
    EXPECT_EQ(got.max_observed_at, stats->max_observed_at);
    EXPECT_FALSE(got.numbers.has_value());
    EXPECT_TRUE(got.days.empty());
  }
}

// A chunk without statistics (format 1) gets a span that says so: readers look at the chunk.
// Corrupt spans are errors, never a crash.
TEST(HistoryChunkSpan, SaysWhenItKnowsNothingAndRefusesCorruption) {
  std::vector<HistorySample> samples{property(kStart, 1, 1.0, kStart),
                                     property(kStart + 1, 2, 2.0)};
  auto encoded = encode_history_chunk(samples);
  ASSERT_TRUE(encoded.ok());
  series::ByteReader in(std::string_view(*encoded).substr(0, encoded->size() - 4));
  std::uint8_t version = 0;
  std::string_view stats, rest;
  ASSERT_TRUE(in.read_u8(version) && in.read_section(stats) && in.read_bytes(in.remaining(), rest));
  std::string old(1, static_cast<char>(kHistoryChunkVersionWithoutStats));
  old.append(rest);
  series::append_u32(old, series::crc32c(old));
  auto unknown = encode_chunk_span(old);
  ASSERT_TRUE(unknown.ok());
  auto decoded_unknown = decode_chunk_span(*unknown, kStart);
  ASSERT_TRUE(decoded_unknown.ok());
  EXPECT_FALSE(decoded_unknown->has_value());

  std::string bad_chunk = *encoded;
  bad_chunk[bad_chunk.size() / 2] ^= 0x04;
  EXPECT_FALSE(encode_chunk_span(bad_chunk).ok());  // the checksum is verified

  auto span = encode_chunk_span(*encoded);
  ASSERT_TRUE(span.ok());
  for (std::size_t i = 0; i < span->size(); ++i) {
    EXPECT_FALSE(decode_chunk_span(span->substr(0, i), kStart).ok()) << "cut " << i;
  }
  EXPECT_FALSE(decode_chunk_span(*span + "x", kStart).ok());
  EXPECT_FALSE(decode_chunk_span(std::string("\x02", 1), kStart).ok());  // unknown format
  std::string more_deleted_than_samples("\x01\x02\x03\x00\x00", 5);
  EXPECT_FALSE(decode_chunk_span(more_deleted_than_samples, kStart).ok());
}

TEST(HistoryChunkCodec, CorruptionIsAnErrorNeverACrash) {
  std::vector<HistorySample> samples;
  for (int i = 0; i < 40; ++i) {
    samples.push_back(property(kStart + i * 1000, 1 + static_cast<std::uint64_t>(i),
                               i % 3 == 0 ? boost::json::value("s") : boost::json::value(i * 0.5),
                               kStart + i));
  }
  auto encoded = encode_history_chunk(samples);
  ASSERT_TRUE(encoded.ok());
  const std::string& good = *encoded;
  for (std::size_t i = 0; i < good.size(); ++i) {
    for (int bit = 0; bit < 8; bit += 3) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      EXPECT_FALSE(decode_history_chunk(bad, kAttribute, "").ok()) << "byte " << i;
    }
    EXPECT_FALSE(decode_history_chunk(good.substr(0, i), kAttribute, "").ok()) << "cut " << i;
    (void)peek_history_chunk(good.substr(0, i));  // must not crash
    (void)peek_history_chunk(good.substr(0, i), ChunkPeek::kStatistics);
  }
  EXPECT_FALSE(decode_history_chunk(good + "x", kAttribute, "").ok());
}

}  // namespace
}  // namespace citytwin::store::kv

namespace citytwin::store::kv {
namespace {

// HistoryColumnsBuilder records where each batch entry comes from as runs (a raw row, or a
// stretch of one decoded chunk): every entry of every batch must rebuild to the sample it
// holds, across batch boundaries and runs cut short, and the columns must match it.
TEST(HistoryColumnsBuilderTest, EveryEntryRebuildsItsOwnSampleAcrossRunsAndBatches) {
  std::mt19937_64 random(11);
  std::vector<HistorySample> expected;
  std::vector<std::shared_ptr<const DecodedHistoryChunk>> chunks;
  std::vector<std::vector<HistorySample>> chunk_samples;
  std::int64_t t = kStart;
  std::uint64_t sequence = 1;
  for (int c = 0; c < 4; ++c) {
    std::vector<HistorySample> samples;
    const int count = 300 + static_cast<int>(random() % 700);
    for (int i = 0; i < count; ++i) {
      t += 1'000'000;
      samples.push_back(property(
          t, sequence++,
          c % 2 == 1 && i % 7 == 0 ? boost::json::value("text") : boost::json::value(i * 0.5),
          t - 5));
    }
    auto encoded = encode_history_chunk(samples);
    ASSERT_TRUE(encoded.ok());
    auto decoded = DecodedHistoryChunk::open(*encoded);
    ASSERT_TRUE(decoded.ok());
    chunks.push_back(std::make_shared<const DecodedHistoryChunk>(std::move(*decoded)));
    chunk_samples.push_back(std::move(samples));
  }
  std::vector<HistorySample> seen;
  std::size_t batches = 0;
  HistoryColumnsVisitor visit = [&](const HistoryColumns& batch) {
    ++batches;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      auto sample = batch.sample(i);
      EXPECT_TRUE(sample.ok());
      if (!sample.ok()) return false;
      EXPECT_EQ(batch.values.times[i], sample->modified_at);
      EXPECT_EQ(batch.sequences[i], sample->sequence);
      seen.push_back(*sample);
    }
    return true;
  };
  HistoryColumnsBuilder builder(visit);
  auto raw = [&](int n) {
    for (int i = 0; i < n; ++i) {
      t += 1'000'000;
      HistorySample sample = property(t, sequence++, 1.25, t);
      expected.push_back(sample);
      ASSERT_TRUE(builder.add_sample(sample));
    }
  };
  raw(3);
  for (std::size_t c = 0; c < chunks.size(); ++c) {
    // Pieces of the chunk (as a walk hands them over between raw rows), all of it in order.
    std::size_t begin = 0;
    const std::size_t size = chunks[c]->size();
    while (begin < size) {
      const std::size_t end = std::min(size, begin + 1 + random() % 400);
      ASSERT_TRUE(builder.add_entries(
          kAttribute, "",
          SourceEntries{chunks[c], &chunks[c]->columns(), chunks[c]->sequences(),
                        chunks[c]->deleted_bitmap(), begin, end}));
      for (std::size_t i = begin; i < end; ++i) expected.push_back(chunk_samples[c][i]);
      begin = end;
      if (random() % 3 == 0) raw(1 + static_cast<int>(random() % 3));
    }
  }
  ASSERT_TRUE(builder.flush());
  EXPECT_GT(batches, 2u);
  ASSERT_EQ(seen.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(seen[i].modified_at, expected[i].modified_at) << i;
    EXPECT_EQ(seen[i].sequence, expected[i].sequence) << i;
    EXPECT_EQ(seen[i].instance, expected[i].instance) << i;
  }
}

// Decimal chunk entries (ChunkColumns::scaled, the exact integer aggregation path) next to a
// raw row are handed over in batches of their own, not mixed with it: a bulk-loaded instance
// whose creation sample stayed raw lost the integer path for every batch after it.
TEST(HistoryColumnsBuilderTest, DecimalEntriesNextToARawRowKeepTheirIntegerColumn) {
  std::vector<HistorySample> samples;
  for (int i = 0; i < 500; ++i) {
    std::int64_t at = kStart + (i + 10) * 1'000'000;
    samples.push_back(property(at, 7, boost::json::value((i % 40) * 0.25 + 10), at - 5));
  }
  auto encoded = encode_history_chunk(samples);
  ASSERT_TRUE(encoded.ok());
  auto decoded = DecodedHistoryChunk::open(*encoded);
  ASSERT_TRUE(decoded.ok());
  ASSERT_FALSE(decoded->columns().scaled.empty());  // else the test shows nothing
  auto chunk = std::make_shared<const DecodedHistoryChunk>(std::move(*decoded));
  std::vector<std::pair<std::size_t, std::size_t>> batches;  // entries, scaled entries
  HistoryColumnsVisitor visit = [&](const HistoryColumns& batch) {
    batches.emplace_back(batch.size(), batch.values.scaled.size());
    return true;
  };
  auto entries = [&] {
    return SourceEntries{chunk, &chunk->columns(), chunk->sequences(), chunk->deleted_bitmap(),
                         0,     chunk->size()};
  };
  {
    HistoryColumnsBuilder builder(visit);
    ASSERT_TRUE(builder.add_sample(property(kStart, 3, 1.5, kStart)));  // raw, before the chunk
    ASSERT_TRUE(builder.add_entries(kAttribute, "", entries()));
    ASSERT_TRUE(builder.flush());
  }
  {
    HistoryColumnsBuilder builder(visit);
    ASSERT_TRUE(builder.add_entries(kAttribute, "", entries()));
    ASSERT_TRUE(builder.add_sample(property(kStart + 999'000'000, 9, 1.5, kStart)));  // after
    ASSERT_TRUE(builder.flush());
  }
  using Batch = std::pair<std::size_t, std::size_t>;
  EXPECT_EQ(batches, (std::vector<Batch>{{1, 0}, {500, 500}, {500, 500}, {1, 0}}));
}

// ---- Layouts: what a writer says about an instance's text -----------------------------------

// An instance written as the bulk import writes it (type, value, observedAt, unitCode,
// createdAt, modifiedAt), with the layout its writer would give.
struct LaidOut {
  std::string text;
  InstanceLayout layout;
};

TextSpan append_member(std::string& text, std::string_view key, std::string_view value) {
  if (text.size() > 1) text += ',';
  text += '"';
  text += key;
  text += "\":";
  TextSpan span{static_cast<std::uint32_t>(text.size()), 0};
  text += value;
  span.end = static_cast<std::uint32_t>(text.size());
  return span;
}

HistorySample laid_out_sample(std::int64_t modified_at, std::string_view value_text,
                              WrittenValue written, double number, bool boolean,
                              std::optional<std::int64_t> observed_at, std::string_view created,
                              std::string_view modified) {
  HistorySample sample;
  sample.attribute = kAttribute;
  sample.modified_at = modified_at;
  sample.observed_at = observed_at;
  std::string& text = sample.instance;
  text = "{";
  append_member(text, "type", "\"Property\"");
  InstanceLayout& layout = sample.layout;
  layout.value = append_member(text, "value", value_text);
  layout.written = written;
  layout.number = number;
  layout.boolean = boolean;
  if (observed_at)
    layout.observed_at = append_member(text, "observedAt", "\"" + quoted(*observed_at) + "\"");
  append_member(text, "unitCode", "\"CEL\"");
  layout.created_at = append_member(text, "createdAt", created);
  layout.modified_at = append_member(text, "modifiedAt", modified);
  text += '}';
  layout.size = static_cast<std::uint32_t>(text.size());
  return sample;
}

std::vector<HistorySample> without_layouts(std::vector<HistorySample> samples) {
  for (auto& sample : samples) sample.layout = InstanceLayout{};
  return samples;
}

// A chunk is the same whether the encoder was told where the members are or searched for
// them: random values of every kind the import writes, stamps that match modified_at and
// some that do not, instances with and without observedAt.
TEST(HistoryChunkCodec, LayoutsGiveTheChunkTheSearchGives) {
  std::mt19937_64 random(20261206);
  for (int round = 0; round < 200; ++round) {
    std::vector<HistorySample> samples;
    for (int i = 0; i < 64; ++i) {
      std::int64_t t = kStart + std::int64_t{round} * 100'000'000 + i * 1000;
      std::optional<std::int64_t> observed;
      if (random() % 4 != 0) observed = t - static_cast<std::int64_t>(random() % 1'000'000'000);
      std::string stamp = "\"" + quoted(t) + "\"";
      std::string created = random() % 8 == 0 ? "\"" + quoted(kStart) + "\"" : stamp;
      std::string value_text;
      WrittenValue written = WrittenValue::kUnknown;
      double number = 0;
      bool boolean = false;
      switch (random() % 6) {
        case 0: {
          double value = std::bit_cast<double>(random());
          if (!std::isfinite(value)) value = 0.5;
          number = value;
          value_text = boost::json::serialize(boost::json::value(value));
          written = WrittenValue::kDouble;
          break;
        }
        case 1: {
          number = std::round((static_cast<double>(random() % 10000) - 5000) / 7.0 * 100) / 100;
          value_text = boost::json::serialize(boost::json::value(number));
          written = WrittenValue::kDouble;
          break;
        }
        case 2: {
          auto integer = static_cast<std::int64_t>(random() % 2'000'000) - 1'000'000;
          number = static_cast<double>(integer);
          value_text = std::to_string(integer);
          written = WrittenValue::kInteger;
          break;
        }
        case 3:
          boolean = random() % 2 == 0;
          value_text = boolean ? "true" : "false";
          written = WrittenValue::kBool;
          break;
        case 4:
          value_text = "\"state " + std::to_string(random() % 5) + "\"";
          written = WrittenValue::kPlainString;
          break;
        default:  // written by the serializer: nothing said of it
          value_text = "\"caf\\u00e9 \\\"open\\\"\"";
          break;
      }
      std::string modified = random() % 16 == 0 ? "\"" + quoted(t + 1) + "\"" : stamp;
      samples.push_back(
          laid_out_sample(t, value_text, written, number, boolean, observed, created, modified));
    }
    auto told = encode_history_chunk(samples);
    auto searched = encode_history_chunk(without_layouts(samples));
    ASSERT_TRUE(told.ok() && searched.ok());
    ASSERT_EQ(*told, *searched) << "round " << round;
    expect_round_trip(samples);
  }
}

// A layout that does not describe the text is not followed: the chunk is the searched one.
TEST(HistoryChunkCodec, LayoutsThatDoNotFitTheTextAreIgnored) {
  HistorySample good =
      laid_out_sample(kStart, "2.15E1", WrittenValue::kDouble, 21.5, false, kStart - 5,
                      "\"" + quoted(kStart) + "\"", "\"" + quoted(kStart) + "\"");
  std::vector<HistorySample> wrong;
  wrong.push_back(good);
  wrong.back().layout.size += 1;  // another text
  wrong.push_back(good);
  wrong.back().layout.value.begin -= 1;  // not after "value":
  wrong.push_back(good);
  std::swap(wrong.back().layout.created_at, wrong.back().layout.modified_at);  // not in order
  wrong.push_back(good);
  wrong.back().layout.observed_at.end = wrong.back().layout.size + 5;  // past the text
  for (std::size_t i = 0; i < wrong.size(); ++i) {
    wrong[i].modified_at = kStart + static_cast<std::int64_t>(i);
    std::vector<HistorySample> one{wrong[i]};
    auto told = encode_history_chunk(one);
    auto searched = encode_history_chunk(without_layouts(one));
    ASSERT_TRUE(told.ok() && searched.ok());
    EXPECT_EQ(*told, *searched) << "case " << i;
  }
  // A fitting layout is followed, not checked against the text (that is what saves the
  // work): told another value than its text holds, the encoder stores that value. This also
  // shows the test above compares the layout path, not the search twice.
  HistorySample lying = good;
  lying.layout.number = 99;
  std::vector<HistorySample> one{lying};
  EXPECT_NE(*encode_history_chunk(one), *encode_history_chunk(without_layouts(one)));
}

}  // namespace
}  // namespace citytwin::store::kv
