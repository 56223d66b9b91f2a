#pragma once

#include <chrono>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "tools/node-cluster/node_cluster.hpp"
#include "tools/rdb-console/pd_session.hpp"

namespace rdb::client {
class client;
}

/// The console: commands typed at a prompt, read from a script or given with `-e`, run one by
/// one against a cluster reached through its PD.
///
/// Each command is an entry of one table (name, usage, help, argument count, handler), so
/// `help`, completion and the checks of bad input all read the same entries. A command is
/// checked before anything is sent: an unknown name or a wrong number of arguments fails with
/// the command's usage. Inspection commands print a table, or one JSON document with `--json`.
/// Data commands go through the C++ client (the stores' KV service), placement commands
/// through PD. A command that fails returns its error; the caller decides whether to go on
/// (the prompt does, a script stops).
namespace rdb::console {

class load_runner;

struct console_options {
  /// PD's middleman address, host:port.
  std::string pd_address = "127.0.0.1:2379";
  /// Inspection commands print JSON.
  bool json = false;
  /// The rdb-node binary `cluster start` runs.
  std::string node_binary;
  /// Bound on each request to PD and on each data operation.
  std::chrono::milliseconds timeout{10'000};
};

class console;

using args = std::vector<std::string>;
using outcome = std::expected<void, std::string>;

struct command {
  std::string name;
  /// Arguments after the name, as `help` shows them: `<region> [key]`.
  std::string usage;
  /// One line for the command list; `help <name>` adds `details`.
  std::string summary;
  std::string details;
  std::size_t min_args = 0;
  std::size_t max_args = 0;
  std::function<outcome(console&, const args&)> run;
};

class console {
 public:
  console(caf::actor_system& sys, console_options opts, std::ostream& out);
  ~console();
  console(const console&) = delete;
  console& operator=(const console&) = delete;

  /// Runs every command of `line` in order, stopping at the first that fails; the error
  /// names the command.
  outcome run_line(std::string_view line);

  /// The command names, for completion.
  std::vector<std::string> names() const;

  // -- for the commands -----------------------------------------------------------------

  std::ostream& out() { return out_; }
  const console_options& options() const { return opts_; }
  pd_session& pd() { return pd_; }
  /// The KV client, made on first use from the client addresses of the stores PD lists.
  std::expected<client::client*, std::string> kv();
  const std::map<std::string, command>& commands() const { return commands_; }
  /// `usage: name <args>` for a known command.
  std::string usage_of(const std::string& name) const;

  /// The background load (`load start`), if one runs.
  std::unique_ptr<load_runner>& load() { return load_; }

  /// The cluster this console started (`cluster start`), if any.
  procs::node_cluster* own_cluster() { return cluster_ ? &*cluster_ : nullptr; }
  /// Adopts a cluster this console started, under `dir` (removed with it): PD and data
  /// commands go to it from now on.
  void adopt(procs::node_cluster cluster, std::string dir);

 private:
  outcome run_command(std::string_view text);

  console_options opts_;
  std::ostream& out_;
  pd_session pd_;
  std::unique_ptr<client::client> kv_;
  std::map<std::string, command> commands_;
  std::unique_ptr<load_runner> load_;
  std::optional<procs::node_cluster> cluster_;
  std::string cluster_dir_;
};

/// The commands, by family; each adds its entries to `table`.
void add_inspection_commands(std::map<std::string, command>& table);
void add_data_commands(std::map<std::string, command>& table);
void add_placement_commands(std::map<std::string, command>& table);
void add_flow_commands(std::map<std::string, command>& table);
void add_fault_commands(std::map<std::string, command>& table);
void add_load_commands(std::map<std::string, command>& table);
void add_partition_commands(std::map<std::string, command>& table);

}  // namespace rdb::console
