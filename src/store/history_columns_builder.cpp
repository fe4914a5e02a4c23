#include "citytwin/store/history_columns_builder.hpp"

#include <algorithm>
#include <utility>

#include "citytwin/store/instance_text.hpp"

namespace citytwin::store {

using series::ValueKind;

bool HistoryColumnsBuilder::switch_instance(const std::string& attribute,
                                            const std::string& dataset_id) {
  if (batch_.size() != 0 && (batch_.attribute != attribute || batch_.dataset_id != dataset_id)) {
    if (!flush()) return false;
  }
  if (batch_.size() == 0) {
    batch_.attribute = attribute;
    batch_.dataset_id = dataset_id;
  }
  return !stopped_;
}

std::uint32_t HistoryColumnsBuilder::intern(std::string_view text) {
  auto [slot, added] = dictionary_index_.try_emplace(
      std::string(text), static_cast<std::uint32_t>(batch_.values.dictionary.size()));
  if (added) batch_.values.dictionary.emplace_back(text);
  return slot->second;
}

void HistoryColumnsBuilder::push(std::int64_t modified_at, std::optional<std::int64_t> observed_at,
                                 bool deleted, std::uint64_t sequence, ValueKind kind,
                                 double number, std::uint32_t text) {
  series::ChunkColumns& values = batch_.values;
  values.times.push_back(modified_at);
  values.times2.push_back(observed_at.value_or(0));
  values.time2_present.push_back(observed_at ? 1 : 0);
  values.kinds.push_back(deleted ? ValueKind::kNull : kind);
  values.numbers.push_back(deleted ? 0 : number);
  values.text_indices.push_back(deleted ? 0 : text);
  batch_.deleted.push_back(deleted ? 1 : 0);
  batch_.sequences.push_back(sequence);
}

bool HistoryColumnsBuilder::after_push() {
  return batch_.size() < kBatchSamples || flush();
}

bool HistoryColumnsBuilder::add_sample(HistorySample sample) {
  // A raw row's number is a double: it would cost the decimal entries before it in the batch
  // their exact integer path, so they go on their own.
  if (!batch_.values.scaled.empty() && !flush()) return false;
  if (!switch_instance(sample.attribute, sample.dataset_id)) return false;
  ScalarValue value;
  if (!sample.deleted) value = classify_value_member(sample.instance);
  std::uint32_t text = 0;
  if (value.kind == ValueKind::kString || value.kind == ValueKind::kJson) text = intern(value.text);
  double number = value.kind == ValueKind::kBool ? (value.boolean ? 1.0 : 0.0) : value.number;
  push(sample.modified_at, sample.observed_at, sample.deleted, sample.sequence, value.kind, number,
       text);
  batch_.values.scaled.clear();  // a raw row's number is a double: no scaled column
  add_origin(0, static_cast<std::uint32_t>(raw_samples_.size()), 1);
  raw_samples_.push_back(std::move(sample));
  return after_push();
}

namespace {

bool is_deleted(std::string_view bitmap, std::size_t i) {
  return !bitmap.empty() && (static_cast<unsigned char>(bitmap[i / 8]) >> (i % 8) & 1) != 0;
}

bool any_deleted(std::string_view bitmap, std::size_t begin, std::size_t end) {
  if (bitmap.empty()) return false;
  for (std::size_t i = begin; i < end; ++i) {
    if (is_deleted(bitmap, i)) return true;
  }
  return false;
}

}  // namespace

void HistoryColumnsBuilder::keep_scaled(const series::ChunkColumns& from, std::size_t begin,
                                        std::size_t end, bool deletions) {
  series::ChunkColumns& to = batch_.values;
  // `to` holds entries already (the range was appended to times): scaled integers only while
  // every one came from decimal chunks of one scale.
  const std::size_t before = to.times.size() - (end - begin);
  const bool decimal =
      !deletions && !from.scaled.empty() &&
      (before == 0 || (to.scaled.size() == before && to.decimal_exponent == from.decimal_exponent));
  if (!decimal) {
    to.scaled.clear();
    return;
  }
  to.decimal_exponent = from.decimal_exponent;
  to.scaled.insert(to.scaled.end(), from.scaled.begin() + static_cast<std::ptrdiff_t>(begin),
                   from.scaled.begin() + static_cast<std::ptrdiff_t>(end));
}

bool HistoryColumnsBuilder::joins_alike(const series::ChunkColumns& from, bool deletions) const {
  const series::ChunkColumns& to = batch_.values;
  if (to.times.empty()) return true;
  const bool batch_decimal = to.scaled.size() == to.times.size();
  const bool piece_decimal = !deletions && !from.scaled.empty();
  if (batch_decimal != piece_decimal) return false;
  return !batch_decimal || to.decimal_exponent == from.decimal_exponent;
}

bool HistoryColumnsBuilder::add_entries(const std::string& attribute, const std::string& dataset_id,
                                        const SourceEntries& entries) {
  const series::ChunkColumns& from = *entries.columns;
  reserve_batch();
  std::size_t begin = entries.begin;
  while (begin < entries.end) {
    if (!switch_instance(attribute, dataset_id)) return false;
    const std::size_t count = std::min(entries.end - begin, kBatchSamples - batch_.size());
    const std::size_t end = begin + count;
    const bool deletions = any_deleted(entries.deleted_bitmap, begin, end);
    if (!joins_alike(from, deletions)) {
      if (!flush()) return false;
      continue;
    }
    if (sources_.empty() || sources_.back() != entries.source) sources_.push_back(entries.source);
    series::ChunkColumns& to = batch_.values;
    to.times.insert(to.times.end(), from.times.begin() + begin, from.times.begin() + end);
    if (from.times2.empty()) {
      to.times2.resize(to.times2.size() + count, 0);
      to.time2_present.resize(to.time2_present.size() + count, 0);
    } else {
      to.times2.insert(to.times2.end(), from.times2.begin() + begin, from.times2.begin() + end);
      to.time2_present.insert(to.time2_present.end(), from.time2_present.begin() + begin,
                              from.time2_present.begin() + end);
    }
    const auto source_index = static_cast<std::uint32_t>(sources_.size());
    keep_scaled(from, begin, end, deletions);
    if (!deletions && from.dictionary.empty()) {
      // Numbers and booleans only (no text to intern): whole column ranges.
      to.kinds.insert(to.kinds.end(), from.kinds.begin() + begin, from.kinds.begin() + end);
      to.numbers.insert(to.numbers.end(), from.numbers.begin() + begin, from.numbers.begin() + end);
      to.text_indices.resize(to.text_indices.size() + count, 0);
      batch_.deleted.resize(batch_.deleted.size() + count, 0);
      batch_.sequences.insert(batch_.sequences.end(), entries.sequences.begin() + begin,
                              entries.sequences.begin() + end);
    } else {
      for (std::size_t i = begin; i < end; ++i) {
        const bool deleted = is_deleted(entries.deleted_bitmap, i);
        const ValueKind kind = deleted ? ValueKind::kNull : from.kinds[i];
        std::uint32_t text = 0;
        if (kind == ValueKind::kString || kind == ValueKind::kJson) {
          text = intern(from.dictionary[from.text_indices[i]]);
        }
        to.kinds.push_back(kind);
        to.numbers.push_back(deleted ? 0 : from.numbers[i]);
        to.text_indices.push_back(text);
        batch_.deleted.push_back(deleted ? 1 : 0);
        batch_.sequences.push_back(static_cast<std::uint64_t>(entries.sequences[i]));
      }
    }
    add_origin(source_index, static_cast<std::uint32_t>(begin), static_cast<std::uint32_t>(count));
    begin = end;
    if (!after_push()) return false;
  }
  return !stopped_;
}

void HistoryColumnsBuilder::reserve_batch() {
  // A chunk's run fills most of a batch: one allocation per column for the whole walk (the
  // batch is cleared, not freed, between flushes) instead of growing each one step by step.
  series::ChunkColumns& values = batch_.values;
  if (values.times.capacity() >= kBatchSamples) return;
  values.times.reserve(kBatchSamples);
  values.kinds.reserve(kBatchSamples);
  values.numbers.reserve(kBatchSamples);
  values.text_indices.reserve(kBatchSamples);
  values.times2.reserve(kBatchSamples);
  values.time2_present.reserve(kBatchSamples);
  values.scaled.reserve(kBatchSamples);
  batch_.deleted.reserve(kBatchSamples);
  batch_.sequences.reserve(kBatchSamples);
}

void HistoryColumnsBuilder::add_origin(std::uint32_t source, std::uint32_t index,
                                       std::uint32_t count) {
  // Entries were appended already: the run starts `count` before the batch's end.
  const auto first = static_cast<std::uint32_t>(batch_.size() - count);
  if (!origins_.empty()) {
    const Origin& last = origins_.back();
    if (last.source == source && last.index + (first - last.first) == index) return;
  }
  origins_.push_back({first, source, index});
}

Result<HistorySample> HistoryColumnsBuilder::rebuild(std::size_t index) const {
  if (index >= batch_.size()) {
    return make_error(ErrorKind::kInternalError, "history column index out of range");
  }
  // The last run starting at or before `index`.
  auto run =
      std::upper_bound(origins_.begin(), origins_.end(), index,
                       [](std::size_t at, const Origin& origin) { return at < origin.first; });
  const Origin& origin = *std::prev(run);
  const std::size_t at = origin.index + (index - origin.first);
  if (origin.source == 0) return raw_samples_[at];
  auto sample = sources_[origin.source - 1]->sample(at);
  if (!sample.ok()) return sample;
  sample->attribute = batch_.attribute;
  sample->dataset_id = batch_.dataset_id;
  return sample;
}

bool HistoryColumnsBuilder::flush() {
  if (stopped_) return false;
  if (batch_.size() == 0) return true;
  batch_.sample = [this](std::size_t index) { return rebuild(index); };
  stopped_ = !visit_(batch_);
  clear_batch();
  return !stopped_;
}

void HistoryColumnsBuilder::clear_batch() {
  // clear() keeps each vector's capacity: the next batch of the walk (up to kBatchSamples
  // entries) reuses the memory instead of allocating and faulting in fresh pages.
  series::ChunkColumns& values = batch_.values;
  values.times.clear();
  values.kinds.clear();
  values.numbers.clear();
  values.text_indices.clear();
  values.dictionary.clear();
  values.times2.clear();
  values.time2_present.clear();
  values.scaled.clear();
  values.decimal_exponent = 0;
  batch_.deleted.clear();
  batch_.sequences.clear();
  batch_.sample = nullptr;
  origins_.clear();
  raw_samples_.clear();
  sources_.clear();
  dictionary_index_.clear();
}

}  // namespace citytwin::store
