#pragma once

#include <string>
#include <string_view>

/// Direct LMDB access to a closed store's files, to plant records the storage API would never
/// write (corruption tests).
namespace rdb::storage::test {

/// Writes `value` under `key` in database `db` of the environment in `dir`.
void raw_put(const std::string& dir, const char* db, std::string_view key, std::string_view value);

/// Reads the value under `key` in database `db`; fails the test if it is absent.
std::string raw_get(const std::string& dir, const char* db, std::string_view key);

}  // namespace rdb::storage::test
