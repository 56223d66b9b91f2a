#include "tools/rdb-console/repl.hpp"

#include <cstdlib>
#include <cstring>
#include <iostream>

#include <editline/readline.h>

namespace rdb::console {

namespace {

/// The console whose command names complete; libedit's callbacks take no context.
console* completing = nullptr;

char* next_name(const char* text, int state) {
  static std::vector<std::string> names;
  static std::size_t i = 0;
  if (state == 0) {
    names = completing->names();
    i = 0;
  }
  const auto len = std::strlen(text);
  while (i < names.size()) {
    const auto& n = names[i++];
    if (n.compare(0, len, text) == 0) return strdup(n.c_str());
  }
  return nullptr;
}

char** complete(const char* text, int start, int) {
  // Only the first word of a command is a command name.
  if (start != 0) return nullptr;
  return rl_completion_matches(text, next_name);
}

std::string history_path() {
  const char* home = std::getenv("HOME");
  return home ? std::string{home} + "/.rdb_console_history" : std::string{};
}

}  // namespace

int run_prompt(console& c) {
  completing = &c;
  rl_attempted_completion_function = complete;
  auto history = history_path();
  if (!history.empty()) read_history(history.c_str());
  std::cout << "rdb console attached to PD at " << c.pd().address()
            << "; help lists the commands, quit leaves.\n";
  while (char* raw = readline("rdb> ")) {
    std::string line{raw};
    std::free(raw);
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    add_history(line.c_str());
    if (line == "quit" || line == "exit") break;
    if (auto ok = c.run_line(line); !ok) std::cout << "error: " << ok.error() << "\n";
    std::cout.flush();
  }
  if (!history.empty()) write_history(history.c_str());
  return 0;
}

}  // namespace rdb::console
