#pragma once

#include <optional>
#include <string>
#include <string_view>

/// Keys on the rdb-dump command line and in its output: printable ASCII as is, every other
/// byte (and the backslash) as \xNN, so binary keys round-trip through a shell.
namespace rdb::tools::dump {

std::string escape(std::string_view bytes);

/// The bytes `text` stands for, or nothing if an escape is malformed.
std::optional<std::string> unescape(std::string_view text);

}  // namespace rdb::tools::dump
