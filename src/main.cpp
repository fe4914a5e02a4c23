#include "citytwin/server/app.hpp"

int main(int argc, char** argv) {
  return citytwin::server::run_cli(argc, argv);
}
