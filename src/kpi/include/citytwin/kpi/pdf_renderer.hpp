#pragma once

#include <string>
#include <string_view>

#include "citytwin/common/result.hpp"

namespace citytwin::kpi {

struct PdfOptions {
  // The Chromium executable: a path, or a name looked up in PATH (Debian's package installs
  // /usr/bin/chromium; scripts/install-deps.sh installs it).
  std::string chromium = "chromium";
  // Seconds Chromium may take before it is killed and the report fails.
  int timeout_s = 120;
};

// Prints a self-contained HTML document to PDF with headless Chromium, offline: the HTML is
// written to a private temporary directory and opened as a file:// URL; Chromium runs with
// its own throw-away profile there, in its own process group (killed whole on timeout).
// Errors: kOperationNotSupported when Chromium is not installed; kServiceUnavailable when it
// fails or times out.
Result<std::string> html_to_pdf(std::string_view html, const PdfOptions& options = {});

// The absolute path of an executable name (PATH lookup), or "" when there is none.
std::string find_executable(std::string_view name);

}  // namespace citytwin::kpi
