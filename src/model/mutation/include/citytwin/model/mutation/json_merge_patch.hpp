#pragma once

// JSON Merge Patch (IETF RFC 7396, section 2) as NGSI-LD adapts it for merge operations
// (ETSI GS CIM 009 V1.8.1, clause 5.5.12): a member whose patch value is JSON null or the
// NGSI-LD Null "urn:ngsi-ld:null" is removed from the target; objects merge recursively;
// any other patch value replaces the target value.

#include <boost/json.hpp>

namespace citytwin::mutation {

boost::json::value apply_merge_patch(const boost::json::value& target,
                                     const boost::json::value& patch);

}  // namespace citytwin::mutation
