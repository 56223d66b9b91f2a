#include "tests/raft/script_parser.hpp"

#include <charconv>
#include <fstream>
#include <sstream>

namespace rdb::raft::script {

namespace {

constexpr std::string_view separator = "----";

bool is_blank(std::string_view s) {
  return s.find_first_not_of(" \t\r") == std::string_view::npos;
}

/// "(1,2, 3)" -> {"1","2","3"}; a bare word -> {word}. "()" is the empty list.
std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> out;
  if (s.empty() || s.front() != '(') {
    out.emplace_back(s);
    return out;
  }
  s = s.substr(1, s.size() - 2);
  std::string cur;
  for (char c : s) {
    if (c == ',') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else if (c != ' ' && c != '\t') {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

/// Splits on whitespace, keeping a parenthesised group (which may contain spaces) whole.
std::vector<std::string> tokenize(std::string_view text, std::size_t line) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')' && --depth < 0)
      throw script_error("line " + std::to_string(line) + ": unbalanced ')'");
    if ((c == ' ' || c == '\t') && depth == 0) {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
      continue;
    }
    cur += c;
  }
  if (depth != 0) throw script_error("line " + std::to_string(line) + ": unbalanced '('");
  if (!cur.empty()) out.push_back(cur);
  return out;
}

std::string where(const command& c) {
  return "line " + std::to_string(c.line) + " (" + c.name + "): ";
}

}  // namespace

std::uint64_t parse_number(std::string_view s, std::string_view what) {
  std::uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || ptr != s.data() + s.size())
    throw script_error(std::string{what} + ": not a number: '" + std::string{s} + "'");
  return v;
}

command parse_command(std::string_view text, std::size_t line) {
  auto tokens = tokenize(text, line);
  if (tokens.empty()) throw script_error("line " + std::to_string(line) + ": empty command");
  command c;
  c.name = tokens.front();
  c.line = line;
  for (std::size_t i = 1; i < tokens.size(); ++i) {
    const auto& t = tokens[i];
    auto eq = t.find('=');
    // A '=' inside a list belongs to the list, not to a key.
    if (eq != std::string::npos && (t.front() != '(')) {
      c.named[t.substr(0, eq)] = split_list(std::string_view{t}.substr(eq + 1));
    } else {
      c.positional.push_back(split_list(t));
    }
  }
  return c;
}

const std::string& command::word(std::size_t i) const {
  if (i >= positional.size() || positional[i].size() != 1)
    throw script_error(where(*this) + "argument " + std::to_string(i + 1) + " missing");
  return positional[i].front();
}

std::uint64_t command::number(std::size_t i) const {
  return parse_number(word(i), where(*this) + "argument " + std::to_string(i + 1));
}

std::vector<std::uint64_t> command::number_list(std::size_t i) const {
  if (i >= positional.size())
    throw script_error(where(*this) + "argument " + std::to_string(i + 1) + " missing");
  std::vector<std::uint64_t> out;
  for (const auto& s : positional[i])
    out.push_back(parse_number(s, where(*this) + "list"));
  return out;
}

const std::string& command::value(std::string_view key) const {
  auto it = named.find(std::string{key});
  if (it == named.end() || it->second.size() != 1)
    throw script_error(where(*this) + "needs " + std::string{key} + "=<value>");
  return it->second.front();
}

std::uint64_t command::number_value(std::string_view key) const {
  return parse_number(value(key), where(*this) + std::string{key});
}

std::vector<std::uint64_t> command::number_list_value(std::string_view key) const {
  std::vector<std::uint64_t> out;
  auto it = named.find(std::string{key});
  if (it == named.end()) return out;
  for (const auto& s : it->second)
    out.push_back(parse_number(s, where(*this) + std::string{key}));
  return out;
}

bool command::bool_value(std::string_view key, bool fallback) const {
  if (!has(key)) return fallback;
  const auto& v = value(key);
  if (v == "true") return true;
  if (v == "false") return false;
  throw script_error(where(*this) + std::string{key} + " must be true or false");
}

void command::allow_only(std::initializer_list<std::string_view> known) const {
  for (const auto& [key, vals] : named) {
    bool ok = false;
    for (auto k : known)
      ok = ok || k == key;
    if (!ok) throw script_error(where(*this) + "unknown argument " + key);
  }
}

script_file parse_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw script_error("cannot open " + path);
  script_file f;
  f.path = path;
  for (std::string l; std::getline(in, l);)
    f.lines.push_back(l);

  std::size_t i = 0;
  auto n = f.lines.size();
  while (i < n) {
    const auto& l = f.lines[i];
    if (is_blank(l) || l.front() == '#') {
      ++i;
      continue;
    }
    block b;
    b.cmd = parse_command(l, i + 1);
    ++i;
    if (i >= n || f.lines[i] != separator)
      throw script_error(path + ":" + std::to_string(i) + ": command without '----' after it");
    ++i;
    b.expected_begin = i;
    while (i < n && !is_blank(f.lines[i])) {
      // A command glued to the previous output would silently become part of it.
      if (i + 1 < n && f.lines[i + 1] == separator)
        throw script_error(path + ":" + std::to_string(i + 1) +
                           ": command needs a blank line before it");
      b.expected += f.lines[i];
      b.expected += '\n';
      ++i;
    }
    b.expected_end = i;
    f.blocks.push_back(std::move(b));
  }
  return f;
}

std::string rewritten(const script_file& f, const std::vector<std::string>& actual) {
  std::ostringstream os;
  std::size_t line = 0;
  for (std::size_t b = 0; b < f.blocks.size(); ++b) {
    for (; line < f.blocks[b].expected_begin; ++line)
      os << f.lines[line] << '\n';
    os << actual[b];
    line = f.blocks[b].expected_end;
  }
  for (; line < f.lines.size(); ++line)
    os << f.lines[line] << '\n';
  return os.str();
}

}  // namespace rdb::raft::script
