#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

/// The text format of the raft interaction scripts (modelled on etcd's datadriven files):
///
///   # a comment line
///   command positional (a,list) key=value key=(a,b)
///   ----
///   expected output, one or more lines,
///   ended by a blank line or the end of the file
///
/// A block is one command line, the `----` separator and its expected output. Comments and blank
/// lines between blocks are kept verbatim when expectations are rewritten, so a rewrite only ever
/// touches the output lines. Output never contains blank lines: that keeps the format free of the
/// escaping datadriven needs for them.
namespace rdb::raft::script {

/// A malformed script or a command that cannot run as written; the runner reports it with the
/// file and line and counts it as a failure. Never thrown for raft behaviour: refusals of the raft
/// core (a dropped proposal, a step error) are ordinary output.
class script_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One parsed command line. A positional argument is either a word or a parenthesised list
/// `(1,2,3)`; a named argument `key=value` or `key=(a,b)` always yields a list.
class command {
 public:
  std::string name;
  std::vector<std::vector<std::string>> positional;
  std::map<std::string, std::vector<std::string>> named;
  /// 1-based line of the command in its file.
  std::size_t line = 0;

  // -- typed access; each throws script_error with the argument's name on bad input --

  std::size_t positional_count() const { return positional.size(); }
  const std::string& word(std::size_t i) const;
  std::uint64_t number(std::size_t i) const;
  std::vector<std::uint64_t> number_list(std::size_t i) const;

  bool has(std::string_view key) const { return named.contains(std::string{key}); }
  const std::string& value(std::string_view key) const;
  std::uint64_t number_value(std::string_view key) const;
  std::vector<std::uint64_t> number_list_value(std::string_view key) const;
  bool bool_value(std::string_view key, bool fallback) const;

  /// Throws if a named argument outside `known` was given, so a typo cannot silently
  /// turn into a default.
  void allow_only(std::initializer_list<std::string_view> known) const;
};

/// Splits one command line into a command; throws script_error on unbalanced parentheses.
command parse_command(std::string_view text, std::size_t line);

/// One block of a script: the command and where its expected output sits in the file.
struct block {
  command cmd;
  std::string expected;
  /// 0-based line range [expected_begin, expected_end) of the expected output in the file.
  std::size_t expected_begin = 0;
  std::size_t expected_end = 0;
};

/// A whole script file: its lines (for rewriting) and its blocks in order.
struct script_file {
  std::string path;
  std::vector<std::string> lines;
  std::vector<block> blocks;
};

/// Reads and parses a script; throws script_error on a malformed file.
script_file parse_file(const std::string& path);

/// The file's text with the expected output of block i replaced by `actual[i]`.
std::string rewritten(const script_file& f, const std::vector<std::string>& actual);

/// Parses a decimal number; throws script_error naming `what` otherwise.
std::uint64_t parse_number(std::string_view s, std::string_view what);

}  // namespace rdb::raft::script
