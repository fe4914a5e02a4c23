#include "citytwin/common/thread_name.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace citytwin {
namespace {

TEST(ThreadName, AThreadCarriesTheNameItGaveItself) {
  std::string seen;
  std::thread([&] {
    name_this_thread("ct-test");
    seen = this_thread_name();
  }).join();
  EXPECT_EQ(seen, "ct-test");
}

TEST(ThreadName, ALongNameIsCutToWhatTheKernelKeeps) {
  std::string seen;
  std::thread([&] {
    name_this_thread("ct-a-name-longer-than-fifteen-bytes");
    seen = this_thread_name();
  }).join();
  EXPECT_EQ(seen, "ct-a-name-longe");
}

}  // namespace
}  // namespace citytwin
