// A main() for the fuzz targets in builds without libFuzzer (g++, the normal and sanitizer
// builds): runs LLVMFuzzerTestOneInput once on every file of the directories or files given,
// so that `ctest` replays each seed corpus, including the inputs of crashes already fixed
// (the regression seeds). A crash or a violated invariant aborts, which fails the test.
//
// With --mutations N it then runs N random mutations of those seeds (fuzz/mutator.hpp; a
// fixed --seed, so a failure reproduces by running the same command), stopping early after
// --seconds. This is the smoke pass that `make test` and `make test-asan` run in CI. An input
// that crashes is written to ./fuzz-crash-<target> before the process dies: add it to the
// target's corpus as a regression seed once fixed.

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "mutator.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
// Present only in sanitizer builds: called when ASan/UBSan end the process.
extern "C" void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

namespace {

// The input being run and where to save it, for the crash handlers: a signal handler or the
// sanitizer's death callback can reach nothing else. Set once per input by run_one only.
struct CrashRecord {
  const std::string* input = nullptr;
  std::string path;
};
CrashRecord crash_record;

void save_crashing_input() {
  if (crash_record.input == nullptr) return;
  int fd = ::open(crash_record.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return;
  ssize_t ignored = ::write(fd, crash_record.input->data(), crash_record.input->size());
  (void)ignored;
  ::close(fd);
  static const char kNote[] = "fuzz smoke: crashing input saved (see fuzz/replay_main.cpp)\n";
  ignored = ::write(2, kNote, sizeof kNote - 1);
}

void on_fatal_signal(int signal) {
  save_crashing_input();
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

void run_one(const std::string& input) {
  crash_record.input = &input;
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
  crash_record.input = nullptr;
}

struct Options {
  std::vector<std::filesystem::path> files;
  long mutations = 0;
  double seconds = 10;
  std::uint32_t seed = 1;
  std::string dictionary;
};

bool parse(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    bool has_value = i + 1 < argc;
    if (arg == "--mutations" && has_value) {
      options.mutations = std::atol(argv[++i]);
    } else if (arg == "--seconds" && has_value) {
      options.seconds = std::atof(argv[++i]);
    } else if (arg == "--seed" && has_value) {
      options.seed = static_cast<std::uint32_t>(std::atol(argv[++i]));
    } else if (arg == "--dict" && has_value) {
      options.dictionary = argv[++i];
    } else if (std::filesystem::is_directory(arg)) {
      for (const auto& entry : std::filesystem::directory_iterator(arg)) {
        if (entry.is_regular_file()) options.files.push_back(entry.path());
      }
    } else {
      options.files.emplace_back(arg);
    }
  }
  return !options.files.empty();
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse(argc, argv, options)) {
    std::fprintf(stderr,
                 "usage: %s [--mutations N] [--seconds S] [--seed K] [--dict FILE] "
                 "CORPUS_DIR_OR_FILE...: no input found\n",
                 argv[0]);
    return 2;
  }
  crash_record.path = "fuzz-crash-" + std::filesystem::path(argv[0]).filename().string();
  for (int signal : {SIGSEGV, SIGABRT, SIGFPE, SIGBUS, SIGILL})
    std::signal(signal, on_fatal_signal);
  if (__sanitizer_set_death_callback != nullptr)
    __sanitizer_set_death_callback(save_crashing_input);

  std::vector<std::string> seeds;
  for (const auto& file : options.files) {
    std::ifstream in(file, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) {
      std::fprintf(stderr, "cannot read %s\n", file.c_str());
      return 2;
    }
    run_one(bytes);
    seeds.push_back(std::move(bytes));
  }
  std::printf("%zu inputs replayed without a crash\n", seeds.size());
  if (options.mutations <= 0) return 0;

  std::vector<std::string> tokens;
  if (!options.dictionary.empty()) tokens = citytwin::fuzz::read_dictionary(options.dictionary);
  citytwin::fuzz::Mutator mutator(options.seed, std::move(seeds), std::move(tokens));
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                      std::chrono::duration<double>(options.seconds));
  long done = 0;
  for (; done < options.mutations; ++done) {
    if ((done & 63) == 0 && std::chrono::steady_clock::now() > deadline) break;
    run_one(mutator.next());
  }
  std::printf("%ld mutated inputs (seed %u) run without a crash\n", done, options.seed);
  return 0;
}
