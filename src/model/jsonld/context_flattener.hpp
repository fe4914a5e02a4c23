#pragma once

// Dereferences a client's @context into the ordered list of local context objects (or nulls)
// that Context::create() applies: URLs are replaced by the "@context" of their documents,
// arrays are spliced, and @import is merged (JSON-LD 1.1 processing clause 4.1 steps 5.2
// and 5.6). One instance serves one resolve() call. Private to the jsonld module.

#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "citytwin/common/result.hpp"
#include "citytwin/model/context_loader.hpp"
#include "citytwin/model/context_registry.hpp"

namespace citytwin::jsonld {

struct FlattenLimits {
  int max_depth = 8;
  int max_remote_loads = 16;
};

class ContextFlattener {
 public:
  ContextFlattener(ContextRegistry& registry, ContextLoader& loader, FlattenLimits limits)
      : registry_(registry), loader_(loader), limits_(limits) {}

  Result<std::vector<boost::json::value>> flatten(const boost::json::value& context);

 private:
  Status visit(const boost::json::value& context, int depth, std::vector<boost::json::value>& out);
  Status visit_url(const std::string& url, int depth, std::vector<boost::json::value>& out);
  Result<boost::json::object> merge_import(const boost::json::object& local);
  Result<boost::json::value> fetch_context(const std::string& url);
  Result<std::string> fetch_document(const std::string& url);

  ContextRegistry& registry_;
  ContextLoader& loader_;
  FlattenLimits limits_;
  std::vector<std::string> stack_;  // URLs being dereferenced, for cycle detection
  int remote_loads_ = 0;
};

}  // namespace citytwin::jsonld
