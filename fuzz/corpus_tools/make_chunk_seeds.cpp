// Writes the seed chunks of fuzz/corpus/chunk_reader_fuzz/: real chunks from ChunkBuilder
// (binary, so not written by hand). Each is saved twice: as stored (first byte 0x00, then the
// chunk with its CRC trailer) and without the trailer (first byte 0x01: the fuzz target seals
// it), so mutations of either form reach the column decoders. Regenerate after a chunk format
// change (fuzz/CMakeLists.txt says how).

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "citytwin/series/chunk.hpp"

using namespace citytwin::series;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
    return 2;
  }
  std::string dir = argv[1];
  const std::int64_t t0 = 1'800'000'000'000'000;
  std::vector<std::pair<std::string, std::vector<Sample>>> seeds;
  seeds.push_back(
      {"numbers",
       {Sample::of_number(t0, 20.5), Sample::of_number(t0 + 1'000'000, 21),
        Sample::of_number(t0 + 2'000'000, 21), Sample::of_number(t0 + 60'000'000, -3.25)}});
  seeds.push_back(
      {"bools",
       {Sample::of_bool(t0, true), Sample::of_bool(t0 + 5, true), Sample::of_bool(t0 + 9, false)}});
  seeds.push_back({"texts",
                   {Sample::of_string(t0, "open"), Sample::of_string(t0 + 1, "closed"),
                    Sample::of_string(t0 + 2, "open")}});
  std::vector<Sample> mixed{Sample::of_number(t0, 1), Sample::of_string(t0 + 1, "x"),
                            Sample::of_bool(t0 + 2, false)};
  Sample json;
  json.time = t0 + 3;
  json.kind = ValueKind::kJson;
  json.text = R"({"a":[1,2]})";
  mixed.push_back(json);
  Sample null;
  null.time = t0 + 4;
  mixed.push_back(null);
  Sample with_time2 = Sample::of_number(t0 + 5, 7);
  with_time2.time2 = t0 + 6;
  mixed.push_back(with_time2);
  seeds.push_back({"mixed", mixed});
  seeds.push_back({"empty", {}});
  // Format v2's decimal column: blocks of packed deltas, a step and outliers (exceptions).
  // (The other seeds in the corpus were written by the version-1 builder; regenerating them
  // writes version 2, so keep the old files beside the new ones.)
  std::vector<Sample> decimal;
  for (int i = 0; i < 300; ++i) {
    double value = (2000 + (i * 37) % 150 + (i / 100) * 400 + (i % 61 == 5 ? 90000 : 0)) / 100.0;
    decimal.push_back(Sample::of_number(t0 + std::int64_t{i} * 60'000'000, value));
  }
  seeds.push_back({"decimal", decimal});
  for (auto& [name, samples] : seeds) {
    ChunkBuilder builder;
    for (auto& sample : samples) builder.add(sample);
    auto chunk = builder.finish();
    if (!chunk.ok()) return 1;
    std::ofstream(dir + "/" + name + ".stored", std::ios::binary) << '\0' << *chunk;
    std::ofstream(dir + "/" + name + ".sealed", std::ios::binary)
        << '\1' << chunk->substr(0, chunk->size() - 4);
  }
  return 0;
}
