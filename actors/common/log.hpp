#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace rdb {

enum class log_level : std::uint8_t { error = 0, warning = 1, info = 2, debug = 3 };

/// Parses "error", "warning", "info" or "debug"; false for anything else.
bool parse_log_level(std::string_view text, log_level& out);

/// Sets the most verbose level that is printed (default: warning, so a healthy node is quiet).
void set_log_level(log_level level);

/// Prints one line to stderr: UTC time, level, component, region id (0: none) and the event.
/// Thread-safe; a line is written with one call, so lines of different threads never mix.
void log(log_level level, std::string_view component, std::uint64_t region, std::string_view event);

inline void log_info(std::string_view component, std::string_view event) {
  log(log_level::info, component, 0, event);
}
inline void log_warning(std::string_view component, std::string_view event) {
  log(log_level::warning, component, 0, event);
}
inline void log_error(std::string_view component, std::string_view event) {
  log(log_level::error, component, 0, event);
}

}  // namespace rdb
