#pragma once

#include <string>

#include "storage/error.hpp"

namespace rdb::storage {

/// Turns an LMDB or errno return code into a storage error. `what` says which call failed and
/// on what (database, region, key); the LMDB text is appended.
error lmdb_error(int rc, const std::string& what);

}  // namespace rdb::storage
