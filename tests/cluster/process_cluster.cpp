#include "tests/cluster/process_cluster.hpp"

#include <cstdlib>

#include <doctest/doctest.h>

namespace rdb::test {

namespace {

std::string node_binary() {
  const char* binary = std::getenv("RDB_NODE");
  REQUIRE_MESSAGE(binary != nullptr, "RDB_NODE must name the rdb-node binary");
  return binary;
}

}  // namespace

process_cluster::process_cluster(std::size_t stores, std::vector<std::string> store_flags,
                                 std::vector<std::string> pd_flags) {
  auto started = procs::node_cluster::start(node_binary(), tmp_.path(), stores,
                                            std::move(store_flags), std::move(pd_flags));
  REQUIRE_MESSAGE(started.has_value(), started.error());
  nodes_.emplace(std::move(*started));
}

std::vector<std::string> process_cluster::client_addresses() const {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < stores(); ++i)
    out.push_back(client_address(i));
  return out;
}

std::size_t process_cluster::add_store() {
  auto added = nodes_->add_store();
  REQUIRE_MESSAGE(added.has_value(), added.error());
  return *added;
}

void process_cluster::restart_store(std::size_t i) {
  auto ok = nodes_->restart_store(i);
  REQUIRE_MESSAGE(ok.has_value(), ok.error());
}

void process_cluster::restart_pd() {
  auto ok = nodes_->restart_pd();
  REQUIRE_MESSAGE(ok.has_value(), ok.error());
}

}  // namespace rdb::test
