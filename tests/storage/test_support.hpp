#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "storage/error.hpp"
#include "storage/store.hpp"
#include "tests/support/temp_dir.hpp"

/// Shared helpers of the storage tests.
namespace rdb::storage::test {

using rdb::test::temp_dir;

/// The value of `r`, failing the current test with the storage error if there is none.
template <class T>
T take(result<T> r) {
  if (!r) FAIL(r.error());
  return std::move(*r);
}

inline void take(result<void> r) {
  if (!r) FAIL(r.error());
}

/// Options that create store 1 of cluster 7 with a small map, so map growth is exercised.
store_options test_options();

/// Opens (creating if needed) the test store in `dir`.
std::unique_ptr<store> open_store(const std::string& dir);

/// Entries lo..hi (inclusive) of `term` whose payload names their index.
std::vector<raft::entry> make_entries(std::uint64_t lo, std::uint64_t hi, std::uint64_t term);

/// The error code of a failed result; fails the test if it succeeded.
template <class T>
errc code_of(const result<T>& r) {
  REQUIRE_FALSE(r.has_value());
  return r.error().code;
}

}  // namespace rdb::storage::test
