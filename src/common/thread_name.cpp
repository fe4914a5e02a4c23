#include "citytwin/common/thread_name.hpp"

#include <pthread.h>

#include <array>

namespace citytwin {

namespace {
constexpr std::size_t kMaxNameBytes = 15;  // the kernel's TASK_COMM_LEN minus the terminator
}

void name_this_thread(std::string_view name) {
  std::string cut(name.substr(0, kMaxNameBytes));
  // Fails only for a name over the limit, which the cut rules out.
  pthread_setname_np(pthread_self(), cut.c_str());
}

std::string this_thread_name() {
  std::array<char, kMaxNameBytes + 1> name{};
  if (pthread_getname_np(pthread_self(), name.data(), name.size()) != 0) return {};
  return name.data();
}

}  // namespace citytwin
