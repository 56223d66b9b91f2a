#include "actors/common/log.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

namespace rdb {

namespace {

std::atomic<log_level> threshold{log_level::warning};

std::string_view name(log_level level) {
  switch (level) {
    case log_level::error:
      return "ERROR";
    case log_level::warning:
      return "WARN";
    case log_level::info:
      return "INFO";
    case log_level::debug:
      return "DEBUG";
  }
  return "?";
}

}  // namespace

bool parse_log_level(std::string_view text, log_level& out) {
  for (auto level : {log_level::error, log_level::warning, log_level::info, log_level::debug}) {
    auto n = name(level);
    if (text.size() == n.size() &&
        std::equal(text.begin(), text.end(), n.begin(), [](char a, char b) {
          return std::toupper(static_cast<unsigned char>(a)) == b;
        })) {
      out = level;
      return true;
    }
  }
  if (text == "warning") {
    out = log_level::warning;
    return true;
  }
  return false;
}

void set_log_level(log_level level) {
  threshold = level;
}

void log(log_level level, std::string_view component, std::uint64_t region,
         std::string_view event) {
  if (level > threshold.load(std::memory_order_relaxed)) return;
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm utc{};
  gmtime_r(&secs, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  char head[96];
  std::snprintf(head, sizeof head, "%s.%03dZ %-5s ", stamp, static_cast<int>(millis.count()),
                std::string{name(level)}.c_str());
  std::string line = head;
  line += component;
  line += " region=" + std::to_string(region) + " ";
  line += event;
  line += '\n';
  // One write per line: lines of different threads never interleave.
  auto rc = ::write(STDERR_FILENO, line.data(), line.size());
  (void)rc;
}

}  // namespace rdb
