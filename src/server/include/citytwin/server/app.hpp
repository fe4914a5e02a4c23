#pragma once

#include "citytwin/server/serve_options.hpp"

namespace citytwin::server {

// Runs `citytwin serve` until SIGINT/SIGTERM; returns the process exit code.
int serve(const ServeOptions& options);

// The command-line entry point: parses argv and runs the chosen subcommand.
int run_cli(int argc, char** argv);

}  // namespace citytwin::server
