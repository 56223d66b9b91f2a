#include "tools/rdb-console/pd_session.hpp"

#include <caf/io/middleman.hpp>

#include "actors/transport/connector.hpp"
#include "actors/transport/ports.hpp"

namespace rdb::console {

pd_session::pd_session(caf::actor_system& sys, std::string address,
                       std::chrono::milliseconds timeout)
    : sys_(sys), address_(std::move(address)), timeout_(timeout) {}

std::expected<pd::pd_actor, std::string> pd_session::connect() {
  if (pd_) return *pd_;
  auto hp = split_address(address_);
  if (!hp) return std::unexpected("'" + address_ + "' is not a PD address (host:port)");
  if (!reachable(hp->first, hp->second, timeout_))
    return std::unexpected("PD at " + address_ + " does not answer");
  auto pd = sys_.middleman().remote_actor<pd::pd_actor>(hp->first, hp->second);
  if (!pd)
    return std::unexpected("cannot attach to PD at " + address_ + ": " + sys_.render(pd.error()));
  pd_ = *pd;
  return *pd_;
}

std::string pd_session::describe(const caf::error& e) const {
  if (e == caf::sec::request_timeout)
    return "PD did not answer within " + std::to_string(timeout_.count()) + " ms";
  return sys_.render(e);
}

}  // namespace rdb::console
