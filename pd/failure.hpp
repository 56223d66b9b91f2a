#pragma once

#include <expected>
#include <optional>
#include <ostream>
#include <string>
#include <utility>

#include "pd/errc.hpp"
#include "storage/types.hpp"

namespace rdb::pd {

/// A refused or failed PD operation: what kind of failure, a message for humans, and for
/// `stale_epoch` the region meta PD holds instead. Callers branch on `code`, never on the text.
struct failure {
  errc code = errc::invalid_argument;
  std::string message;
  std::optional<storage::region_meta> current;

  friend std::ostream& operator<<(std::ostream& os, const failure& f) {
    return os << to_string(f.code) << ": " << f.message;
  }
};

/// Every fallible operation of the cluster state returns one of these; nothing throws.
template <class T>
using result = std::expected<T, failure>;

inline std::unexpected<failure> fail(errc code, std::string message) {
  return std::unexpected(failure{code, std::move(message), std::nullopt});
}

}  // namespace rdb::pd
