#include "citytwin/series/chunk_merge.hpp"

#include <algorithm>

#include "citytwin/series/chunk.hpp"

namespace citytwin::series {
namespace {

Status append_samples(std::string_view chunk, std::vector<Sample>& out) {
  auto reader = ChunkReader::open(chunk);
  if (!reader) return std::move(reader).error();
  for (std::size_t i = 0; i < reader->size(); ++i) out.push_back(reader->sample(i));
  return ok_status();
}

}  // namespace

Result<std::vector<std::string>> build_chunks(std::vector<Sample> samples,
                                              std::size_t max_samples) {
  if (max_samples == 0 || max_samples > kMaxChunkSamples) {
    return make_error(ErrorKind::kInternalError, "chunk size limit out of range");
  }
  std::stable_sort(samples.begin(), samples.end(),
                   [](const Sample& a, const Sample& b) { return a.time < b.time; });
  std::vector<std::string> chunks;
  for (std::size_t start = 0; start < samples.size(); start += max_samples) {
    std::size_t end = std::min(samples.size(), start + max_samples);
    ChunkBuilder builder;
    for (std::size_t i = start; i < end; ++i) builder.add(std::move(samples[i]));
    auto chunk = builder.finish();
    if (!chunk) return std::move(chunk).error();
    chunks.push_back(std::move(chunk).value());
  }
  return chunks;
}

Result<std::vector<std::string>> split_chunk(std::string_view chunk, std::size_t max_samples) {
  std::vector<Sample> samples;
  CT_RETURN_IF_ERROR(append_samples(chunk, samples));
  return build_chunks(std::move(samples), max_samples);
}

Result<std::vector<std::string>> merge_chunks(std::string_view existing, std::string_view late,
                                              std::size_t max_samples) {
  std::vector<Sample> samples;
  CT_RETURN_IF_ERROR(append_samples(existing, samples));
  CT_RETURN_IF_ERROR(append_samples(late, samples));
  return build_chunks(std::move(samples), max_samples);
}

}  // namespace citytwin::series
