#include "memory_budget.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <string>

namespace citytwin::server {
namespace {

constexpr std::size_t kLeastCacheMb = 64;
constexpr std::size_t kMostCacheMb = 1024;

std::optional<std::string> read_text(const char* path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<std::uint64_t> leading_number(std::string_view text) {
  text.remove_prefix(std::min(text.find_first_not_of(" \t"), text.size()));
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end == text.data()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<std::uint64_t> cgroup_memory_limit(std::string_view memory_max) {
  // "max" (no limit) or a byte count, each followed by a newline.
  return leading_number(memory_max);
}

std::optional<std::uint64_t> meminfo_total(std::string_view meminfo) {
  constexpr std::string_view kLabel = "MemTotal:";
  const std::size_t at = meminfo.find(kLabel);
  if (at == std::string_view::npos) return std::nullopt;
  auto kib = leading_number(meminfo.substr(at + kLabel.size()));
  if (!kib) return std::nullopt;
  return *kib * 1024;
}

std::optional<std::uint64_t> usable_memory_bytes() {
  std::optional<std::uint64_t> machine;
  if (auto text = read_text("/proc/meminfo")) machine = meminfo_total(*text);
  std::optional<std::uint64_t> limit;
  if (auto text = read_text("/sys/fs/cgroup/memory.max")) limit = cgroup_memory_limit(*text);
  if (limit && (!machine || *limit < *machine)) return limit;
  return machine;
}

std::size_t automatic_block_cache_mb(std::optional<std::uint64_t> usable) {
  if (!usable) return kLeastCacheMb;
  const std::uint64_t eighth_mb = *usable / 8 >> 20;
  return static_cast<std::size_t>(
      std::clamp<std::uint64_t>(eighth_mb, kLeastCacheMb, kMostCacheMb));
}

}  // namespace citytwin::server
