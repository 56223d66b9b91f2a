#pragma once

#include <expected>
#include <ostream>
#include <string>

#include "storage/errc.hpp"

namespace rdb::storage {

/// A failed storage call: what kind of failure, and a message for humans that names the
/// database, region and key involved. Callers branch on `code`, never on the text.
struct error {
  errc code;
  std::string message;

  friend std::ostream& operator<<(std::ostream& os, const error& e) {
    return os << to_string(e.code) << ": " << e.message;
  }
};

/// Every fallible storage call returns one of these; no exception leaves the storage API.
template <class T>
using result = std::expected<T, error>;

/// Shorthand for `std::unexpected(error{code, msg})`.
inline std::unexpected<error> fail(errc code, std::string msg) {
  return std::unexpected(error{code, std::move(msg)});
}

}  // namespace rdb::storage
