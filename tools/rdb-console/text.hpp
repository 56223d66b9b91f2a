#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// The console's words: how a line is cut into commands and arguments, and how keys, ids and
/// durations are read from them and printed back.
///
/// Keys are bytes. An argument in double quotes may hold spaces and escapes (`\"`, `\\`,
/// `\xHH`), so any key can be typed; a key is printed bare when it is plain printable text and
/// in double quotes with the same escapes otherwise, so what the console prints can be pasted
/// back.
namespace rdb::console {

/// The commands of one line, cut at `;` outside quotes; a `#` outside quotes starts a comment
/// that runs to the end of the line. Blank commands are dropped.
std::vector<std::string> split_commands(std::string_view line);

/// The arguments of one command, cut at whitespace outside quotes, quotes and escapes
/// resolved; an error names an unterminated quote or a bad escape.
std::expected<std::vector<std::string>, std::string> tokenize(std::string_view command);

/// `key` as the console prints it (see above); the empty key prints as `""`.
std::string printable(std::string_view key);

/// A key range as the console prints it: `[start, end)`, an empty end as `+inf`.
std::string range_text(std::string_view start, std::string_view end);

/// A decimal number; nothing for anything else (signs, spaces, overflow).
std::optional<std::uint64_t> parse_number(std::string_view text);

/// A duration such as `500ms`, `2s` or `1m`; nothing for anything else.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace rdb::console
