#pragma once

#include <cstdint>
#include <expected>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

/// Client histories in the shared format (one JSON object per line; see the README, "Checking
/// histories"): what every tool that records operations writes and `rdb-lincheck` reads.
namespace rdb::lincheck {

enum class op_kind : std::uint8_t { put, get, del, cas };

/// `ok`: took effect, its result is known; `fail`: certainly did not take effect; `unknown`:
/// may or may not have taken effect, and nothing is known of its result.
enum class outcome : std::uint8_t { ok, fail, unknown };

struct operation {
  std::uint64_t client = 0;
  op_kind kind = op_kind::get;
  std::string key;
  /// put and cas: the value written.
  std::string value;
  /// cas: the value expected; none: the key expected absent.
  std::optional<std::string> expected;
  /// get: the value read; none: absent.
  std::optional<std::string> read;
  /// cas: whether it swapped.
  bool swapped = false;
  /// Nanoseconds on the history's one monotonic clock.
  std::int64_t invoke = 0;
  /// None for an operation whose outcome is unknown (it may take effect at any later time).
  std::optional<std::int64_t> ret;
  outcome out = outcome::ok;
  /// The 1-based line it was read from (0 if built in code).
  std::size_t line = 0;

  bool operator==(const operation&) const = default;
};

/// A line that is not a valid operation, and why.
struct parse_error {
  std::size_t line = 0;
  std::string message;
};

/// Reads a whole history; blank lines are skipped. Fails on the first malformed line.
std::expected<std::vector<operation>, parse_error> read_history(std::istream& in);

/// One operation as a line of the format (no newline).
std::string to_json(const operation& op);

std::string to_string(op_kind k);
std::string to_string(outcome o);

}  // namespace rdb::lincheck
