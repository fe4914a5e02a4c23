#pragma once

#include <string>
#include <string_view>

namespace citytwin {

// Names the calling thread, so `top -H`, `ps -L`, perf and /proc/PID/task/*/comm tell the
// server's threads apart (and benchmarks can split its CPU by role). Linux keeps 15 bytes;
// a longer name is cut.
void name_this_thread(std::string_view name);

// The calling thread's name as the kernel holds it.
std::string this_thread_name();

}  // namespace citytwin
