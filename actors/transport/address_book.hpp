#pragma once

#include <map>
#include <mutex>
#include <string>

#include "storage/ids.hpp"

namespace rdb {

/// Where each store of the cluster serves clients, as PD last listed it. Written by the node's
/// connector, read by the KV service to turn store ids into addresses for its answers. Shared
/// between threads; every call is one short critical section.
class address_book {
 public:
  /// Replaces the whole book with PD's current list.
  void replace(std::map<store_id, std::string> next) {
    std::lock_guard<std::mutex> guard{mtx_};
    addresses_.swap(next);
  }

  /// The client address of `store`, or empty if unknown.
  std::string find(store_id store) const {
    std::lock_guard<std::mutex> guard{mtx_};
    auto i = addresses_.find(store);
    return i == addresses_.end() ? std::string{} : i->second;
  }

 private:
  mutable std::mutex mtx_;
  std::map<store_id, std::string> addresses_;
};

}  // namespace rdb
