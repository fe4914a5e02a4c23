// Random mutations of seed inputs for the smoke pass of builds without libFuzzer (g++: the
// release and sanitizer builds that `make test` and `.ci/run` use). Not coverage-guided: it
// finds what a few thousand blind edits of the seeds reach, under ASan/UBSan in the sanitizer
// build. The libFuzzer runs (`make fuzz`) remain the deep search.
#pragma once

#include <cstdint>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace citytwin::fuzz {

// Tokens of a libFuzzer dictionary file: one quoted string per line ("..." or name="..."),
// with \\, \" and \xNN escapes; comments and blank lines skipped.
inline std::vector<std::string> read_dictionary(const std::string& path) {
  std::vector<std::string> tokens;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    auto open = line.find('"');
    auto close = line.rfind('"');
    if (line.empty() || line[0] == '#' || open == std::string::npos || close <= open) continue;
    std::string token;
    for (std::size_t i = open + 1; i < close; ++i) {
      if (line[i] != '\\' || i + 1 >= close) {
        token += line[i];
      } else if (line[i + 1] == 'x' && i + 3 < close) {
        token += static_cast<char>(std::stoi(line.substr(i + 2, 2), nullptr, 16));
        i += 3;
      } else {
        token += line[++i];
      }
    }
    tokens.push_back(std::move(token));
  }
  return tokens;
}

class Mutator {
 public:
  Mutator(std::uint32_t seed, std::vector<std::string> seeds, std::vector<std::string> tokens)
      : random_(seed), seeds_(std::move(seeds)), tokens_(std::move(tokens)) {}

  // A seed with one to four random edits applied.
  std::string next() {
    std::string input = seeds_.empty() ? std::string() : seeds_[pick(seeds_.size())];
    int edits = 1 + static_cast<int>(pick(4));
    for (int i = 0; i < edits; ++i) edit(input);
    return input;
  }

 private:
  std::size_t pick(std::size_t bound) {
    return bound == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, bound - 1)(random_);
  }

  void edit(std::string& input) {
    static constexpr char kInteresting[] = {'\0', '\xff', '\x7f', '\x80', '"', '\\', '{',
                                            '}',  '[',    ']',    ',',    ':', '0',  '9'};
    switch (pick(input.empty() ? 2 : 8)) {
      case 0:  // insert a dictionary token or a random byte
        input.insert(pick(input.size() + 1), tokens_.empty()
                                                 ? std::string(1, static_cast<char>(pick(256)))
                                                 : tokens_[pick(tokens_.size())]);
        break;
      case 1:  // insert a piece of another seed
        input.insert(pick(input.size() + 1), piece_of_a_seed());
        break;
      case 2:  // flip one bit
        input[pick(input.size())] ^= static_cast<char>(1 << pick(8));
        break;
      case 3:  // set a byte to a boundary or syntax value
        input[pick(input.size())] = kInteresting[pick(sizeof kInteresting)];
        break;
      case 4: {  // delete a range
        std::size_t at = pick(input.size());
        input.erase(at, 1 + pick(std::min<std::size_t>(16, input.size() - at)));
        break;
      }
      case 5: {  // duplicate a range in place
        std::size_t at = pick(input.size());
        input.insert(at, input.substr(at, 1 + pick(32)));
        break;
      }
      case 6:  // truncate
        input.resize(pick(input.size()));
        break;
      default:  // overwrite a byte at random
        input[pick(input.size())] = static_cast<char>(pick(256));
        break;
    }
  }

  std::string piece_of_a_seed() {
    if (seeds_.empty()) return {};
    const std::string& other = seeds_[pick(seeds_.size())];
    std::size_t at = pick(other.size() + 1);
    return other.substr(at, 1 + pick(64));
  }

  std::mt19937 random_;
  std::vector<std::string> seeds_;
  std::vector<std::string> tokens_;
};

}  // namespace citytwin::fuzz
