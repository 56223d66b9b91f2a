#include "storage/lmdb_error.hpp"

#include <lmdb.h>

namespace rdb::storage {

namespace {

errc classify(int rc) {
  switch (rc) {
    case MDB_NOTFOUND:
      return errc::not_found;
    case MDB_MAP_FULL:
      return errc::map_full;
    // A damaged page or meta page is the same failure as a record that fails verification.
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
      return errc::storage_corrupt;
    case MDB_VERSION_MISMATCH:
      return errc::format_mismatch;
    case MDB_BAD_VALSIZE:
      return errc::invalid_argument;
    default:
      return errc::io_error;
  }
}

}  // namespace

error lmdb_error(int rc, const std::string& what) {
  return error{classify(rc), what + ": " + mdb_strerror(rc)};
}

}  // namespace rdb::storage
