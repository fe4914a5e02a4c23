#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

namespace citytwin::server {

// `citytwin kpi import FILE`, `citytwin kpi verify` and `citytwin kpi report`, offline (the server
// must be stopped: the database admits one process; while it runs, use POST /kpi/v1/inputs and GET
// /kpi/v1/integrity). docs/kpi.md.
struct KpiOptions {
  std::string data_dir = "./citytwin-data";
  std::string tenant;  // "" = the default tenant; verify: every tenant unless --tenant is given
  bool tenant_given = false;
  std::string file;                   // import: the CSV or JSON file
  std::string format;                 // import: csv or json; "" = by the file's extension
  std::string city;                   // report: the city or district
  std::string period;                 // report: YYYY, YYYY-Qn or YYYY-MM
  std::string report_format;          // report: html or pdf ("" = by --out's extension, else html)
  std::string lang = "en";            // report: en, fr, es, ar, ru or zh
  std::string out;                    // report: the file to write
  std::string chromium = "chromium";  // report: the Chromium executable for PDF
  int timeout_s = 120;                // report: seconds Chromium may take
};

struct KpiCommands {
  KpiOptions options;
  CLI::App* import = nullptr;
  CLI::App* verify = nullptr;
  CLI::App* report = nullptr;
};

void add_kpi_commands(CLI::App& kpi, KpiCommands& commands);

// Runs the parsed `kpi` subcommand; nullopt when none was parsed. Exit codes: 0 done (verify:
// log intact), 1 refused file / tampered log / failure, 2 bad options.
std::optional<int> run_kpi_command(const KpiCommands& commands);

}  // namespace citytwin::server
