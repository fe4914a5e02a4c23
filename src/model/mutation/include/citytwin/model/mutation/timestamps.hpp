#pragma once

// System attributes createdAt / modifiedAt (ETSI GS CIM 009 V1.8.1, clause 4.8): set by the
// broker, never by the client. A new entity, instance or sub-attribute gets createdAt =
// modifiedAt = now; a changed one keeps its createdAt and gets modifiedAt = now (clauses
// 5.6.2.4, 5.6.3.4, 5.6.18.4, 5.6.19.4: "createdAt ... shall remain unchanged").

#include <boost/json.hpp>

#include "citytwin/common/instant.hpp"

namespace citytwin::mutation {

// Sets createdAt/modifiedAt on the instance and, recursively, on all its sub-attributes.
// Any timestamps already present (e.g. sent by a client) are overwritten.
void stamp_new_instance(boost::json::object& instance, Instant now);

// Sets createdAt/modifiedAt on the entity, every attribute instance and every sub-attribute.
// Used for Create Entity (clause 5.6.1).
void stamp_new_entity(boost::json::object& entity, Instant now);

// `instance` takes the place of `previous`: it keeps previous's createdAt and gets
// modifiedAt = now. A sub-attribute that also existed before keeps its createdAt; one whose
// content did not change keeps its timestamps too; a new one is stamped as new.
void stamp_replacing_instance(boost::json::object& instance, const boost::json::object& previous,
                              Instant now);

// Sets the entity's modifiedAt to now (after any change to it).
void touch_entity(boost::json::object& entity, Instant now);

// Replace Entity (clause 5.6.18): the result is `replacement` stamped as new, except that the
// entity keeps the createdAt of `current`.
boost::json::object replace_entity(const boost::json::object& current,
                                   boost::json::object replacement, Instant now);

// True when both instances are equal once createdAt/modifiedAt are ignored at every level.
bool same_content(const boost::json::object& a, const boost::json::object& b);

}  // namespace citytwin::mutation
