#include "kpi_command.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "citytwin/common/clock.hpp"
#include "citytwin/core/entity_service.hpp"
#include "citytwin/kpi/kpi_service.hpp"
#include "citytwin/kpi/report.hpp"
#include "store_location.hpp"

namespace citytwin::server {
namespace {

constexpr std::size_t kProgressMinRows = 10000;  // below this, no progress line

struct Opened {
  std::unique_ptr<store::EntityStore> store;
  SystemClock clock;
  std::unique_ptr<core::EntityService> entities;
  std::unique_ptr<kpi::KpiService> service;
};

Result<std::unique_ptr<Opened>> open(const KpiOptions& options) {
  if (!std::filesystem::exists(options.data_dir)) {
    return make_error(ErrorKind::kResourceNotFound, "no data directory " + options.data_dir);
  }
  auto catalogue = kpi::Catalogue::embedded();
  if (!catalogue) return std::move(catalogue).error();
  auto store = store::open_rocksdb_store(store_options_for(options.data_dir));
  if (!store) {
    return make_error(store.error().kind,
                      store.error().detail + " (is the server running? stop it, or use the API)");
  }
  auto opened = std::make_unique<Opened>();
  opened->store = std::move(*store);
  opened->entities = std::make_unique<core::EntityService>(*opened->store, opened->clock);
  opened->service = std::make_unique<kpi::KpiService>(*opened->store, *opened->entities,
                                                      opened->clock, std::move(*catalogue));
  return opened;
}

Result<kpi::InputFormat> format_of(const KpiOptions& options) {
  std::string format = options.format;
  if (format.empty()) {
    std::string extension = std::filesystem::path(options.file).extension().string();
    format = extension == ".json" ? "json" : extension == ".csv" ? "csv" : "";
  }
  if (format == "csv") return kpi::InputFormat::kCsv;
  if (format == "json") return kpi::InputFormat::kJson;
  return make_error(ErrorKind::kBadRequestData,
                    "--format must be csv or json (or the file must end in .csv or .json)");
}

int import(const KpiOptions& options) {
  auto format = format_of(options);
  if (!format) {
    std::cerr << "citytwin kpi import: " << format.error().detail << "\n";
    return 2;
  }
  std::ifstream file(options.file, std::ios::binary);
  if (!file) {
    std::cerr << "citytwin kpi import: cannot read " << options.file << "\n";
    return 1;
  }
  std::ostringstream text;
  text << file.rdbuf();
  auto opened = open(options);
  if (!opened) {
    std::cerr << "citytwin kpi import: " << opened.error().detail << "\n";
    return 1;
  }
  bool progress_shown = false;
  auto progress = [&progress_shown](std::size_t done, std::size_t total) {
    if (total < kProgressMinRows) return;
    std::cerr << "\rvalidating: " << done << " / " << total << " rows" << std::flush;
    progress_shown = true;
  };
  auto outcome = (*opened)->service->import(options.tenant, *format, text.str(), progress);
  if (progress_shown) std::cerr << "\n";
  if (!outcome) {
    std::cerr << "citytwin kpi import: " << outcome.error().detail << "\n";
    return 1;
  }
  if (!outcome->accepted) {
    std::cerr << "citytwin kpi import: " << options.file << " refused, nothing imported ("
              << outcome->errors.size() << " problem(s)):\n";
    for (const auto& error : outcome->errors) {
      std::cerr << "  row " << error.row;
      if (!error.column.empty()) std::cerr << ", column " << error.column;
      std::cerr << ": " << error.reason << "\n";
    }
    return 1;
  }
  std::cout << "imported " << outcome->rows << " rows as " << outcome->import_id << "; "
            << outcome->results << " KPI results recomputed\n";
  return 0;
}

int verify(const KpiOptions& options) {
  auto opened = open(options);
  if (!opened) {
    std::cerr << "citytwin kpi verify: " << opened.error().detail << "\n";
    return 1;
  }
  std::optional<std::string> tenant;
  if (options.tenant_given) tenant = options.tenant;
  auto reports = (*opened)->service->verify(tenant);
  if (!reports) {
    std::cerr << "citytwin kpi verify: " << reports.error().detail << "\n";
    return 1;
  }
  bool intact = true;
  for (const auto& report : *reports) {
    std::string name = report.tenant.empty() ? "(default tenant)" : report.tenant;
    std::cout << name << ": " << report.records << " records, " << report.checkpoints
              << " checkpoints: " << (report.ok() ? "intact" : "TAMPERED") << "\n";
    if (report.head_seq != 0) {
      std::cout << "  head: record " << report.head_seq << " " << report.head_hash << "\n";
    }
    for (const auto& problem : report.problems) {
      std::cout << "  record " << problem.seq << " " << problem.what << ": " << problem.detail
                << "\n";
    }
    intact = intact && report.ok();
  }
  if (reports->empty()) std::cout << "no KPI integrity log in " << options.data_dir << "\n";
  return intact ? 0 : 1;
}

int report(const KpiOptions& options) {
  kpi::ReportRequest request{options.city, options.period, options.report_format, options.lang};
  if (request.format.empty()) {
    request.format = std::filesystem::path(options.out).extension() == ".pdf" ? "pdf" : "html";
  }
  auto opened = open(options);
  if (!opened) {
    std::cerr << "citytwin kpi report: " << opened.error().detail << "\n";
    return 1;
  }
  kpi::PdfOptions pdf{options.chromium, options.timeout_s};
  auto rendered = kpi::make_report(*(*opened)->service, options.tenant, request, pdf);
  if (!rendered) {
    std::cerr << "citytwin kpi report: " << rendered.error().detail << "\n";
    return rendered.error().kind == ErrorKind::kBadRequestData ? 2 : 1;
  }
  // Written beside the target and renamed: a failed run never leaves half a report.
  const std::string partial = options.out + ".partial";
  {
    std::ofstream file(partial, std::ios::binary | std::ios::trunc);
    file.write(rendered->body.data(), static_cast<std::streamsize>(rendered->body.size()));
    if (!file) {
      std::cerr << "citytwin kpi report: cannot write " << options.out << "\n";
      return 1;
    }
  }
  std::error_code ec;
  std::filesystem::rename(partial, options.out, ec);
  if (ec) {
    std::cerr << "citytwin kpi report: cannot write " << options.out << ": " << ec.message()
              << "\n";
    return 1;
  }
  std::cout << "wrote " << options.out << " (" << request.format << ", " << request.lang << ", "
            << rendered->body.size() << " bytes)\n";
  return 0;
}

}  // namespace

void add_kpi_commands(CLI::App& kpi, KpiCommands& commands) {
  KpiOptions& o = commands.options;
  kpi.require_subcommand(1);
  commands.import = kpi.add_subcommand(
      "import", "Import statistical KPI inputs (CSV or JSON): the whole file or nothing");
  commands.verify = kpi.add_subcommand(
      "verify", "Check the KPI integrity log (hash chain and checkpoints) for tampering");
  commands.report = kpi.add_subcommand(
      "report", "Write the U4SSC self-assessment report of a city (HTML or PDF, six languages)");
  for (CLI::App* command : {commands.import, commands.verify, commands.report}) {
    command->add_option("--data", o.data_dir, "Data directory")->default_str(o.data_dir);
  }
  commands.import->add_option("file", o.file, "CSV or JSON file of inputs")->required();
  commands.import->add_option("--tenant", o.tenant, "Tenant (default: the default tenant)");
  commands.import->add_option("--format", o.format, "csv or json (default: by extension)");
  commands.report->add_option("--city", o.city, "City or district")->required();
  commands.report->add_option("--period", o.period, "Period: YYYY, YYYY-Qn or YYYY-MM")->required();
  commands.report->add_option("--format", o.report_format, "html or pdf (default: by --out)")
      ->check(CLI::IsMember({"html", "pdf"}));
  commands.report->add_option("--lang", o.lang, "en, fr, es, ar, ru or zh")->default_str(o.lang);
  commands.report->add_option("--out", o.out, "Output file")->required();
  commands.report->add_option("--tenant", o.tenant, "Tenant (default: the default tenant)");
  commands.report->add_option("--chromium", o.chromium, "Chromium executable (PDF)")
      ->default_str(o.chromium);
  commands.report->add_option("--timeout", o.timeout_s, "Seconds Chromium may take (PDF)")
      ->default_str(std::to_string(o.timeout_s));
  commands.verify
      ->add_option("--tenant", o.tenant, "Only this tenant (default: every tenant with a log)")
      ->each([&o](const std::string&) { o.tenant_given = true; });
}

std::optional<int> run_kpi_command(const KpiCommands& commands) {
  if (commands.import != nullptr && commands.import->parsed()) return import(commands.options);
  if (commands.verify != nullptr && commands.verify->parsed()) return verify(commands.options);
  if (commands.report != nullptr && commands.report->parsed()) return report(commands.options);
  return std::nullopt;
}

}  // namespace citytwin::server
