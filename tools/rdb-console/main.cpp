// rdb-console: script cluster scenarios against a running rdb cluster, or type them at a
// prompt. See README.md ("The console") for the commands.
//
// Usage: rdb-console [--pd=host:port] [--json] [--timeout=10s] [-e 'cmd; cmd' | -f script]
// Without -e or -f it reads commands from its standard input: at a prompt with line editing
// when that is a terminal, as a script otherwise. A script stops at the first command that
// fails, naming its line, and the exit status is 1; a wrong flag exits with 2.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>

#include "actors/store/store_types.hpp"
#include "tools/rdb-console/console.hpp"
#include "tools/rdb-console/repl.hpp"

namespace {

struct console_config : caf::actor_system_config {
  console_config() {
    rdb::add_store_types(*this);
    load<caf::io::middleman>();
    // The nodes drop a connection silent for their connection timeout (3 s): an idle console
    // keeps its connections to PD and the stores alive with heartbeats, as the nodes do.
    set("middleman.heartbeat-interval", caf::timespan{std::chrono::milliseconds{500}});
    opt_group{custom_options_, "global"}
        .add(pd, "pd", "PD to attach to, host:port (default: 127.0.0.1:2379)")
        .add(execute, "execute,e", "commands to run, separated by ';', then exit")
        .add(file, "file,f", "a script of commands to run, then exit")
        .add(json, "json", "inspection commands print JSON")
        .add(timeout, "timeout", "bound on each request and data operation (default: 10s)")
        .add(node, "node",
             "the rdb-node binary `cluster start` runs (default: the one built beside this "
             "console)");
  }

  std::string pd = "127.0.0.1:2379";
  std::string execute;
  std::string file;
  bool json = false;
  caf::timespan timeout = std::chrono::seconds{10};
  std::string node;
};

/// The rdb-node built beside this binary (build/tools/rdb-node/rdb-node), if there is one.
std::string node_beside_console() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  auto node = self.parent_path().parent_path() / "rdb-node" / "rdb-node";
  return std::filesystem::exists(node, ec) ? node.string() : std::string{};
}

/// Runs the lines of `in` as a script named `name`; stops at the first failure.
int run_script(rdb::console::console& c, std::istream& in, const std::string& name) {
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (auto ok = c.run_line(line); !ok) {
      std::cout.flush();
      std::cerr << name << ":" << number << ": " << ok.error() << "\n";
      return 1;
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  console_config cfg;
  if (auto err = cfg.parse(argc, argv)) {
    std::cerr << "rdb-console: " << caf::to_string(err) << " (see --help)\n";
    return 2;
  }
  if (cfg.cli_helptext_printed) return 0;
  if (!cfg.remainder.empty()) {
    std::cerr << "rdb-console: unexpected argument '" << cfg.remainder.front()
              << "' (see --help)\n";
    return 2;
  }
  if (!cfg.execute.empty() && !cfg.file.empty()) {
    std::cerr << "rdb-console: -e and -f exclude each other\n";
    return 2;
  }
  if (cfg.timeout <= caf::timespan{0}) {
    std::cerr << "rdb-console: --timeout must be positive\n";
    return 2;
  }
  caf::actor_system sys{cfg};
  rdb::console::console_options opts;
  opts.pd_address = cfg.pd;
  opts.json = cfg.json;
  opts.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(cfg.timeout);
  opts.node_binary = cfg.node.empty() ? node_beside_console() : cfg.node;
  rdb::console::console c{sys, opts, std::cout};
  if (!cfg.execute.empty()) {
    std::istringstream in{cfg.execute};
    return run_script(c, in, "-e");
  }
  if (!cfg.file.empty()) {
    std::ifstream in{cfg.file};
    if (!in) {
      std::cerr << "rdb-console: cannot read " << cfg.file << "\n";
      return 2;
    }
    return run_script(c, in, cfg.file);
  }
  if (isatty(STDIN_FILENO)) return rdb::console::run_prompt(c);
  return run_script(c, std::cin, "<stdin>");
}
