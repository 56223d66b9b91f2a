#include "tools/rdb-console/console.hpp"

#include <filesystem>

#include "tools/client/client.hpp"
#include "tools/rdb-console/load.hpp"
#include "tools/rdb-console/text.hpp"

namespace rdb::console {

namespace {

outcome help(console& c, const args& a) {
  const auto& table = c.commands();
  if (a.empty()) {
    for (const auto& [name, cmd] : table)
      c.out() << "  " << name << (cmd.usage.empty() ? "" : " " + cmd.usage) << "\n      "
              << cmd.summary << "\n";
    c.out() << "help <command> says more about one command.\n";
    return {};
  }
  auto it = table.find(a[0]);
  if (it == table.end()) return std::unexpected("no command '" + a[0] + "' (help lists them)");
  c.out() << c.usage_of(a[0]) << "\n" << it->second.summary << "\n";
  if (!it->second.details.empty()) c.out() << it->second.details << "\n";
  return {};
}

}  // namespace

console::console(caf::actor_system& sys, console_options opts, std::ostream& out)
    : opts_(std::move(opts)), out_(out), pd_(sys, opts_.pd_address, opts_.timeout) {
  add_inspection_commands(commands_);
  add_data_commands(commands_);
  add_placement_commands(commands_);
  add_flow_commands(commands_);
  add_fault_commands(commands_);
  add_load_commands(commands_);
  add_partition_commands(commands_);
  commands_["help"] = {"help", "[command]", "lists the commands, or describes one", "", 0, 1, help};
}

console::~console() {
  // The load's clients stop before the cluster they talk to.
  load_.reset();
  if (!cluster_) return;
  cluster_.reset();
  std::error_code ignored;
  std::filesystem::remove_all(cluster_dir_, ignored);
}

void console::adopt(procs::node_cluster cluster, std::string dir) {
  pd_.attach(cluster.pd_address());
  kv_.reset();
  cluster_.emplace(std::move(cluster));
  cluster_dir_ = std::move(dir);
}

std::vector<std::string> console::names() const {
  std::vector<std::string> out;
  for (const auto& [name, cmd] : commands_)
    out.push_back(name);
  return out;
}

std::string console::usage_of(const std::string& name) const {
  const auto& cmd = commands_.at(name);
  return "usage: " + name + (cmd.usage.empty() ? "" : " " + cmd.usage);
}

outcome console::run_line(std::string_view line) {
  for (const auto& text : split_commands(line)) {
    if (auto ok = run_command(text); !ok) return ok;
  }
  return {};
}

outcome console::run_command(std::string_view text) {
  auto words = tokenize(text);
  if (!words) return std::unexpected(words.error());
  if (words->empty()) return {};
  auto name = words->front();
  auto it = commands_.find(name);
  if (it == commands_.end())
    return std::unexpected("unknown command '" + name + "' (help lists the commands)");
  args a(words->begin() + 1, words->end());
  const auto& cmd = it->second;
  if (a.size() < cmd.min_args || a.size() > cmd.max_args)
    return std::unexpected(name + ": wrong number of arguments; " + usage_of(name));
  auto ok = cmd.run(*this, a);
  if (!ok) return std::unexpected(name + ": " + ok.error());
  return {};
}

std::expected<client::client*, std::string> console::kv() {
  if (kv_) return kv_.get();
  auto stores = pd_.ask<std::vector<pd::store_info>>(pd::get_stores_atom::value);
  if (!stores) return std::unexpected(stores.error());
  client::options o;
  for (const auto& s : *stores)
    if (s.state == pd::store_state::up && !s.client_address.empty())
      o.stores.push_back(s.client_address);
  if (o.stores.empty()) return std::unexpected(std::string{"PD lists no store that is up"});
  o.deadline = opts_.timeout;
  kv_ = std::make_unique<client::client>(o);
  return kv_.get();
}

}  // namespace rdb::console
