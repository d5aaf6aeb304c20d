#pragma once
// The REST binding as a row source for the sync pass (sync.hpp): orgs, classes, enrollments and
// demographics are read whole on every poll (they complete a student's record and are small),
// users only since the cursor (filter dateLastModified>'cursor'), so a poll costs what changed.
// Without a cursor the users listing is a full one, and the pass reconciles against it.
#include <memory>
#include <string>

#include "oneroster/rest.hpp"
#include "sync.hpp"

namespace schakel::sis_oneroster {

std::unique_ptr<RowSource> rest_source(oneroster::RestReader& reader, oneroster::Version version,
                                       std::string cursor);

}  // namespace schakel::sis_oneroster
