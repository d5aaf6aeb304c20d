#pragma once
// The REST binding as a row source for the sync pass (sync.hpp): orgs and classes are read whole
// on every poll (small), users, enrollments and demographics only since the cursor (filter
// dateLastModified>'cursor'), so a poll costs what changed; the pass then looks up, by key, what
// completes the records of the students those changes touch. Without a cursor every listing is
// a full one, and the pass reconciles against the users.
#include <memory>
#include <string>

#include "oneroster/rest.hpp"
#include "sync.hpp"

namespace schakel::sis_oneroster {

std::unique_ptr<RowSource> rest_source(oneroster::RestReader& reader, oneroster::Version version,
                                       std::string cursor);

}  // namespace schakel::sis_oneroster
