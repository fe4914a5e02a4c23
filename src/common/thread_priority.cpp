#include "citytwin/common/thread_priority.hpp"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace citytwin {

namespace {

constexpr unsigned kLowestPriority = 19;

// On Linux a thread is a task of its own: PRIO_PROCESS with a thread id sets that thread only.
id_t this_thread_id() {
  return static_cast<id_t>(syscall(SYS_gettid));
}

}  // namespace

bool lower_this_thread_priority(unsigned nice) {
  int wanted = static_cast<int>(std::min(nice, kLowestPriority));
  if (this_thread_nice() >= wanted) return true;
  return setpriority(PRIO_PROCESS, this_thread_id(), wanted) == 0;
}

int this_thread_nice() {
  errno = 0;  // -1 is a valid nice value: only errno tells a failure apart
  int nice = getpriority(PRIO_PROCESS, this_thread_id());
  return errno == 0 ? nice : 0;
}

}  // namespace citytwin
