#include "citytwin/store/history_columns_builder.hpp"

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
  if (!switch_instance(sample.attribute, sample.dataset_id)) return false;
  ScalarValue value;
  if (!sample.deleted) value = classify_value_member(sample.instance);
  std::uint32_t text = 0;
  if (value.kind == ValueKind::kString || value.kind == ValueKind::kJson) text = intern(value.text);
  double number = value.kind == ValueKind::kBool ? (value.boolean ? 1.0 : 0.0) : value.number;
  push(sample.modified_at, sample.observed_at, sample.deleted, sample.sequence, value.kind, number,
       text);
  origins_.push_back({0, static_cast<std::uint32_t>(raw_samples_.size())});
  raw_samples_.push_back(std::move(sample));
  return after_push();
}

bool HistoryColumnsBuilder::add_entry(const std::string& attribute, const std::string& dataset_id,
                                      const std::shared_ptr<const HistorySampleSource>& source,
                                      const series::ChunkColumns& columns, std::size_t index,
                                      bool deleted, std::uint64_t sequence) {
  if (!switch_instance(attribute, dataset_id)) return false;
  if (sources_.empty() || sources_.back() != source) sources_.push_back(source);
  ValueKind kind = columns.kinds[index];
  std::uint32_t text = 0;
  if (kind == ValueKind::kString || kind == ValueKind::kJson) {
    text = intern(columns.dictionary[columns.text_indices[index]]);
  }
  std::optional<std::int64_t> observed_at;
  if (!columns.times2.empty() && columns.time2_present[index]) observed_at = columns.times2[index];
  push(columns.times[index], observed_at, deleted, sequence, kind, columns.numbers[index], text);
  origins_.push_back(
      {static_cast<std::uint32_t>(sources_.size()), static_cast<std::uint32_t>(index)});
  return after_push();
}

Result<HistorySample> HistoryColumnsBuilder::rebuild(std::size_t index) const {
  const Origin& origin = origins_.at(index);
  if (origin.source == 0) return raw_samples_[origin.index];
  auto sample = sources_[origin.source - 1]->sample(origin.index);
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
  batch_.values = series::ChunkColumns();
  batch_.deleted.clear();
  batch_.sequences.clear();
  batch_.sample = nullptr;
  origins_.clear();
  raw_samples_.clear();
  sources_.clear();
  dictionary_index_.clear();
  return !stopped_;
}

}  // namespace citytwin::store
