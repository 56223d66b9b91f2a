// Faults: a cluster of rdb-node processes the console starts itself, and what can be done to
// its processes (kill, pause, resume, restart), for scripted scenarios.
#include <cstdlib>

#include "tools/rdb-console/console.hpp"
#include "tools/rdb-console/text.hpp"

namespace rdb::console {

namespace {

std::expected<procs::node_cluster*, std::string> own(console& c) {
  auto* cluster = c.own_cluster();
  if (!cluster)
    return std::unexpected(std::string{
        "this console started no cluster (cluster start <stores>); it does not touch the "
        "processes of a cluster it only attached to"});
  return cluster;
}

/// The index of the store with PD id `text` in the console's cluster.
std::expected<std::size_t, std::string> store_index(console& c, const std::string& cmd,
                                                    const std::string& text) {
  auto cluster = own(c);
  if (!cluster) return std::unexpected(cluster.error());
  auto id = parse_number(text);
  if (!id) return std::unexpected("'" + text + "' is not a store id; " + c.usage_of(cmd));
  for (std::size_t i = 0; i < (*cluster)->stores(); ++i)
    if ((*cluster)->store(i).field("store") == std::to_string(*id)) return i;
  return std::unexpected("the console's cluster has no store " + text);
}

outcome cluster(console& c, const args& a) {
  if (a[0] != "start")
    return std::unexpected("no 'cluster " + a[0] + "'; " + c.usage_of("cluster"));
  if (a.size() != 2) return std::unexpected(c.usage_of("cluster"));
  auto n = parse_number(a[1]);
  if (!n || *n < 1 || *n > 9)
    return std::unexpected("'" + a[1] + "' is not a store count from 1 to 9");
  if (c.own_cluster()) return std::unexpected(std::string{"this console runs a cluster already"});
  if (c.options().node_binary.empty())
    return std::unexpected(std::string{"no rdb-node binary found (--node=PATH)"});
  std::string dir = "/tmp/rdb-console-XXXXXX";
  if (!::mkdtemp(dir.data())) return std::unexpected("cannot make a directory under /tmp");
  auto started =
      procs::node_cluster::start(c.options().node_binary, dir, *n, {"--allow-partitions"});
  if (!started) return std::unexpected(started.error());
  auto pd = started->pd_address();
  c.adopt(std::move(*started), dir);
  c.out() << "cluster started: PD at " << pd << ", " << *n << " stores, data and logs in " << dir
          << " (removed when the console exits)\n";
  return {};
}

/// A signal to a running store of the console's cluster: `act` is kill, pause or resume.
outcome signal_store(console& c, const std::string& cmd, const std::string& id,
                     void (procs::node_cluster::*act)(std::size_t)) {
  auto i = store_index(c, cmd, id);
  if (!i) return std::unexpected(i.error());
  auto* cluster = c.own_cluster();
  if (!cluster->store(*i).running())
    return std::unexpected(std::string{"the store is not running"});
  (cluster->*act)(*i);
  return {};
}

outcome kill_store(console& c, const args& a) {
  return signal_store(c, "kill-store", a[0], &procs::node_cluster::kill_store);
}

outcome stop_store(console& c, const args& a) {
  return signal_store(c, "stop-store", a[0], &procs::node_cluster::pause_store);
}

outcome cont_store(console& c, const args& a) {
  return signal_store(c, "cont-store", a[0], &procs::node_cluster::resume_store);
}

outcome start_store(console& c, const args& a) {
  auto i = store_index(c, "start-store", a[0]);
  if (!i) return std::unexpected(i.error());
  return c.own_cluster()->restart_store(*i);
}

outcome kill_pd(console& c, const args&) {
  auto cluster = own(c);
  if (!cluster) return std::unexpected(cluster.error());
  if (!(*cluster)->pd().running()) return std::unexpected(std::string{"PD is not running"});
  (*cluster)->kill_pd();
  return {};
}

outcome start_pd(console& c, const args&) {
  auto cluster = own(c);
  if (!cluster) return std::unexpected(cluster.error());
  return (*cluster)->restart_pd();
}

}  // namespace

void add_fault_commands(std::map<std::string, command>& table) {
  table["cluster"] = {
      "cluster",
      "start <stores>",
      "starts PD and 1-9 stores as rdb-node processes on loopback and attaches to them",
      "Under a fresh directory in /tmp, removed when the console exits; every store gets "
      "min(stores, 3) replicas of 16 regions. The fault commands act on this cluster only.",
      2,
      2,
      cluster};
  table["kill-store"] = {
      "kill-store", "<store>", "SIGKILLs a store of the console's cluster", "", 1, 1, kill_store};
  table["stop-store"] = {"stop-store",
                         "<store>",
                         "pauses a store of the console's cluster "
                         "(SIGSTOP)",
                         "",
                         1,
                         1,
                         stop_store};
  table["cont-store"] = {"cont-store", "<store>", "resumes a paused store (SIGCONT)", "", 1, 1,
                         cont_store};
  table["start-store"] = {"start-store",
                          "<store>",
                          "starts a killed store again on its data and its former ports",
                          "",
                          1,
                          1,
                          start_store};
  table["kill-pd"] = {"kill-pd", "", "SIGKILLs PD of the console's cluster", "", 0, 0, kill_pd};
  table["start-pd"] = {"start-pd", "", "starts PD again on its data and its former port", "", 0, 0,
                       start_pd};
}

}  // namespace rdb::console
