#include "storage/errc.hpp"

namespace rdb::storage {

std::string_view to_string(errc code) {
  switch (code) {
    case errc::not_found:
      return "not_found";
    case errc::compacted:
      return "compacted";
    case errc::unavailable:
      return "unavailable";
    case errc::storage_corrupt:
      return "storage_corrupt";
    case errc::map_full:
      return "map_full";
    case errc::format_mismatch:
      return "format_mismatch";
    case errc::cluster_mismatch:
      return "cluster_mismatch";
    case errc::io_error:
      return "io_error";
    case errc::invalid_argument:
      return "invalid_argument";
    case errc::store_mismatch:
      return "store_mismatch";
    case errc::not_bootstrapped:
      return "not_bootstrapped";
  }
  return "unknown";
}

}  // namespace rdb::storage
