#include "citytwin/kpi/pdf_renderer.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <thread>
#include <vector>

extern char** environ;

namespace citytwin::kpi {
namespace {

namespace fs = std::filesystem;

// Removes the temporary directory however the rendering ends.
struct TempDir {
  fs::path path;
  ~TempDir() {
    std::error_code ignored;
    if (!path.empty()) fs::remove_all(path, ignored);
  }
};

std::string read_file(const fs::path& path, std::size_t limit) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  std::string out = text.str();
  if (out.size() > limit) out.resize(limit);
  return out;
}

}  // namespace

std::string find_executable(std::string_view name) {
  if (name.find('/') != std::string_view::npos) {
    return ::access(std::string(name).c_str(), X_OK) == 0 ? std::string(name) : std::string();
  }
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    std::size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/" + std::string(name);
    if (end > start && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return {};
}

Result<std::string> html_to_pdf(std::string_view html, const PdfOptions& options) {
  const std::string chromium = find_executable(options.chromium);
  if (chromium.empty()) {
    return make_error(ErrorKind::kOperationNotSupported,
                      "PDF reports need Chromium, and '" + options.chromium +
                          "' was not found: install the Debian package chromium "
                          "(scripts/install-deps.sh) or ask for format=html");
  }
  std::string pattern = (fs::temp_directory_path() / "citytwin-report-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    return make_error(ErrorKind::kServiceUnavailable, "cannot create a temporary directory");
  }
  TempDir dir{pattern};
  const fs::path input = dir.path / "report.html";
  const fs::path output = dir.path / "report.pdf";
  const fs::path log = dir.path / "chromium.log";
  {
    std::ofstream file(input, std::ios::binary);
    file.write(html.data(), static_cast<std::streamsize>(html.size()));
    if (!file) return make_error(ErrorKind::kServiceUnavailable, "cannot write the report HTML");
  }
  // Everything Chromium gets is prepared before spawning. --no-sandbox: the server may run as
  // root in a container, where Chromium's sandbox cannot start; the page is our own HTML.
  std::vector<std::string> args = {chromium,
                                   "--headless",
                                   "--no-sandbox",
                                   "--disable-gpu",
                                   "--disable-dev-shm-usage",
                                   "--no-first-run",
                                   "--no-default-browser-check",
                                   "--disable-extensions",
                                   "--user-data-dir=" + (dir.path / "profile").string(),
                                   "--no-pdf-header-footer",
                                   "--print-to-pdf=" + output.string(),
                                   "file://" + input.string()};
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  // HOME inside the temporary directory: Chromium writes caches there, never in the user's.
  std::vector<std::string> env_text = {"HOME=" + dir.path.string()};
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (std::string_view(*entry).substr(0, 5) != "HOME=") env_text.emplace_back(*entry);
  }
  std::vector<char*> envp;
  for (auto& entry : env_text) envp.push_back(entry.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);  // its own group: a timeout kills all of it
  pid_t pid = 0;
  int spawned =
      posix_spawn(&pid, chromium.c_str(), &actions, &attributes, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawned != 0) {
    return make_error(ErrorKind::kServiceUnavailable,
                      "cannot start " + chromium + ": " + std::strerror(spawned));
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(options.timeout_s);
  int status = 0;
  while (true) {
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0) return make_error(ErrorKind::kServiceUnavailable, "lost the Chromium process");
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return make_error(
          ErrorKind::kServiceUnavailable,
          "Chromium did not print the report within " + std::to_string(options.timeout_s) + " s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // Helpers Chromium left behind in its group (zygotes) go with it.
  ::kill(-pid, SIGKILL);
  std::error_code ec;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !fs::exists(output, ec) ||
      fs::file_size(output, ec) == 0) {
    return make_error(ErrorKind::kServiceUnavailable,
                      "Chromium could not print the report: " + read_file(log, 2000));
  }
  return read_file(output, std::numeric_limits<std::size_t>::max());
}

}  // namespace citytwin::kpi
