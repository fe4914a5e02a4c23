#include "citytwin/model/context_dir.hpp"
#include "citytwin/common/json_parse.hpp"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>

namespace citytwin::jsonld {
namespace {

struct ManifestItem {
  std::string url;
  std::string file;
  std::string where;  // "manifest.txt line 3", for errors
};

Error bad(std::string detail) {
  return make_error(ErrorKind::kInvalidRequest, "@context directory: " + std::move(detail));
}

std::optional<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return text.str();
}

Result<std::vector<ManifestItem>> parse_json_manifest(const std::string& text) {
  boost::system::error_code ec;
  boost::json::value manifest = citytwin::parse_json(text, ec);
  if (ec) return bad("manifest.json is not JSON: " + ec.message());
  if (!manifest.is_array()) return bad("manifest.json must be an array of {url, file}");
  std::vector<ManifestItem> items;
  std::size_t index = 0;
  for (const boost::json::value& item : manifest.get_array()) {
    std::string where = "manifest.json entry " + std::to_string(index++);
    const boost::json::object* object = item.if_object();
    const boost::json::value* url = object ? object->if_contains("url") : nullptr;
    const boost::json::value* file = object ? object->if_contains("file") : nullptr;
    if (url == nullptr || file == nullptr || !url->is_string() || !file->is_string()) {
      return bad(where + ": needs string members \"url\" and \"file\"");
    }
    items.push_back({std::string(url->get_string()), std::string(file->get_string()), where});
  }
  return items;
}

Result<std::vector<ManifestItem>> parse_text_manifest(const std::string& text) {
  std::vector<ManifestItem> items;
  std::istringstream lines(text);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    std::istringstream fields(line);
    std::string url, file, extra;
    fields >> url;
    if (url.empty() || url.starts_with("#")) continue;
    std::string where = "manifest.txt line " + std::to_string(number);
    if (!(fields >> file) || (fields >> extra)) return bad(where + ": expected \"URL FILE\"");
    items.push_back({url, file, where});
  }
  return items;
}

Result<std::vector<ManifestItem>> read_manifest(const std::filesystem::path& dir) {
  if (auto json = read_file(dir / "manifest.json")) return parse_json_manifest(*json);
  if (auto text = read_file(dir / "manifest.txt")) return parse_text_manifest(*text);
  return bad("no manifest.json or manifest.txt in " + dir.string());
}

}  // namespace

Status load_context_dir(ContextRegistry& registry, const std::filesystem::path& dir) {
  auto items = read_manifest(dir);
  if (!items) return std::move(items).error();
  for (const ManifestItem& item : *items) {
    std::filesystem::path path = dir / item.file;
    auto document = read_file(path);
    if (!document) return bad(item.where + ": cannot read " + path.string());
    auto added = registry.add_cached(item.url, *document);
    if (!added) {
      Error error = std::move(added).error();
      error.detail = item.where + " (" + path.string() + "): " + error.detail;
      return error;
    }
  }
  return ok_status();
}

}  // namespace citytwin::jsonld
