#pragma once

namespace citytwin {

// Lowers the calling thread's scheduling priority to `nice` (Linux nice value; 0 leaves it,
// values above 19 act as 19), so that the kernel gives the CPU to the process's other threads
// first when they want it and to this one otherwise. Lowering needs no privilege; it cannot
// be undone without one. Returns whether the priority is now `nice` (or more).
bool lower_this_thread_priority(unsigned nice);

// The calling thread's nice value.
int this_thread_nice();

}  // namespace citytwin
