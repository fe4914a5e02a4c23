#pragma once

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "citytwin/store/entity_store.hpp"
#include "citytwin/store/rocksdb_store.hpp"

namespace citytwin::store::testing {

// A fresh directory under /tmp, removed with everything in it when the object dies.
class TempDir {
 public:
  TempDir() {
    std::string pattern = "/tmp/citytwin-store-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Opens the RocksDB store at `path` with default options; null (and a test failure) if not.
inline std::unique_ptr<EntityStore> open_store(const std::string& path) {
  RocksDbOptions options;
  options.path = path;
  auto store = open_rocksdb_store(options);
  EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().detail);
  return store.ok() ? std::move(store).value() : nullptr;
}

inline EntityRecord make_record(std::string id, std::vector<std::string> types,
                                std::vector<std::string> attributes = {},
                                std::vector<GeoEntry> geo = {}, std::string document = {}) {
  EntityRecord record;
  if (document.empty()) document = "{\"id\":\"" + id + "\"}";
  record.id = std::move(id);
  record.types = std::move(types);
  record.attributes = std::move(attributes);
  record.geo = std::move(geo);
  record.document = std::move(document);
  return record;
}

inline GeoEntry geo(std::string attribute, double min_x, double min_y, double max_x, double max_y) {
  return GeoEntry{std::move(attribute), Box{min_x, min_y, max_x, max_y}};
}

inline GeoEntry point(std::string attribute, double x, double y) {
  return geo(std::move(attribute), x, y, x, y);
}

// Every id from the cursor's current position to the end.
inline std::vector<std::string> drain(IdCursor& cursor) {
  std::vector<std::string> ids;
  for (; cursor.valid(); cursor.next()) ids.emplace_back(cursor.id());
  EXPECT_TRUE(cursor.status().ok());
  return ids;
}

inline std::vector<std::string> scan_all(const EntityStore& store, std::string_view tenant,
                                         const IndexSelector& selector) {
  auto cursor = store.scan(tenant, selector);
  cursor->seek({});
  return drain(*cursor);
}

inline std::vector<std::pair<std::string, std::uint64_t>> as_pairs(
    const std::vector<TermCount>& counts) {
  std::vector<std::pair<std::string, std::uint64_t>> pairs;
  for (const TermCount& count : counts) pairs.emplace_back(count.term, count.count);
  return pairs;
}

}  // namespace citytwin::store::testing
