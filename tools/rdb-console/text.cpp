#include "tools/rdb-console/text.hpp"

#include <cctype>
#include <charconv>

namespace rdb::console {

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool plain(std::string_view key) {
  if (key.empty()) return false;
  for (unsigned char c : key)
    if (!std::isgraph(c) || c == '"' || c == '\\' || c == ';' || c == '#') return false;
  return true;
}

}  // namespace

std::vector<std::string> split_commands(std::string_view line) {
  std::vector<std::string> out;
  std::string current;
  bool in_quotes = false;
  auto flush = [&] {
    auto first = current.find_first_not_of(" \t\r\n");
    if (first != std::string::npos) out.push_back(current.substr(first));
    current.clear();
  };
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (in_quotes && c == '\\' && i + 1 < line.size()) {
      current += c;
      current += line[++i];
      continue;
    }
    if (c == '"') in_quotes = !in_quotes;
    if (!in_quotes && c == '#') break;
    if (!in_quotes && c == ';') {
      flush();
      continue;
    }
    current += c;
  }
  flush();
  return out;
}

std::expected<std::vector<std::string>, std::string> tokenize(std::string_view command) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < command.size()) {
    if (std::isspace(static_cast<unsigned char>(command[i]))) {
      ++i;
      continue;
    }
    std::string word;
    if (command[i] != '"') {
      while (i < command.size() && !std::isspace(static_cast<unsigned char>(command[i])))
        word += command[i++];
      out.push_back(std::move(word));
      continue;
    }
    ++i;
    bool closed = false;
    while (i < command.size()) {
      char c = command[i++];
      if (c == '"') {
        closed = true;
        break;
      }
      if (c != '\\') {
        word += c;
        continue;
      }
      if (i >= command.size()) break;
      char e = command[i++];
      if (e == '"' || e == '\\') {
        word += e;
      } else if (e == 'x' && i + 1 < command.size() && hex_digit(command[i]) >= 0 &&
                 hex_digit(command[i + 1]) >= 0) {
        word += static_cast<char>(hex_digit(command[i]) * 16 + hex_digit(command[i + 1]));
        i += 2;
      } else {
        return std::unexpected("bad escape '\\" + std::string(1, e) +
                               "' (use \\\", \\\\ or \\xHH)");
      }
    }
    if (!closed) return std::unexpected(std::string{"unterminated quote"});
    out.push_back(std::move(word));
  }
  return out;
}

std::string printable(std::string_view key) {
  if (plain(key)) return std::string{key};
  static constexpr char digits[] = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned char c : key) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (std::isprint(c)) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
  return out + "\"";
}

std::string range_text(std::string_view start, std::string_view end) {
  return "[" + printable(start) + ", " + (end.empty() ? std::string{"+inf"} : printable(end)) + ")";
}

std::optional<std::uint64_t> parse_number(std::string_view text) {
  std::uint64_t value = 0;
  const char* last = text.data() + text.size();
  auto [end, ec] = std::from_chars(text.data(), last, value);
  if (text.empty() || ec != std::errc{} || end != last) return std::nullopt;
  return value;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  std::uint64_t value = 0;
  const char* last = text.data() + text.size();
  auto [end, ec] = std::from_chars(text.data(), last, value);
  if (ec != std::errc{} || end == text.data()) return std::nullopt;
  std::string_view unit{end, static_cast<std::size_t>(last - end)};
  auto n = static_cast<std::chrono::milliseconds::rep>(value);
  if (unit == "ms") return std::chrono::milliseconds{n};
  if (unit == "s") return std::chrono::seconds{n};
  if (unit == "m") return std::chrono::minutes{n};
  return std::nullopt;
}

}  // namespace rdb::console
