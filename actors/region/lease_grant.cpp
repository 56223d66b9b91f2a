#include "actors/region/lease_grant.hpp"

namespace rdb {

void lease_grant::publish(clock::time_point until, raft::log_index commit,
                          storage::region_epoch epoch) {
  std::lock_guard<std::mutex> guard{mtx_};
  terms_.until = until;
  terms_.commit = commit;
  terms_.epoch = epoch;
}

void lease_grant::revoke() {
  std::lock_guard<std::mutex> guard{mtx_};
  if (terms_.until == clock::time_point{}) return;
  terms_.until = {};
  ++terms_.revocations;
}

std::optional<lease_grant::terms> lease_grant::current(clock::time_point now) const {
  std::lock_guard<std::mutex> guard{mtx_};
  if (now >= terms_.until) return std::nullopt;
  return terms_;
}

bool lease_grant::still_valid(const terms& t, clock::time_point now) const {
  std::lock_guard<std::mutex> guard{mtx_};
  return terms_.revocations == t.revocations && now < terms_.until;
}

std::shared_ptr<lease_grant> lease_grants::of(region_id region) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& g = grants_[region];
  if (!g) g = std::make_shared<lease_grant>();
  return g;
}

std::shared_ptr<const lease_grant> lease_grants::find(region_id region) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = grants_.find(region);
  return i == grants_.end() ? nullptr : i->second;
}

}  // namespace rdb
