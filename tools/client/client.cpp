#include "tools/client/client.hpp"

#include <algorithm>
#include <map>
#include <random>
#include <thread>

#include <capnp/ez-rpc.h>
#include <kj/async-io.h>
#include <kj/timer.h>

#include "schemas/kv.capnp.h"

namespace rdb::client {

std::string_view to_string(code c) {
  switch (c) {
    case code::invalid_argument:
      return "invalid_argument";
    case code::storage_corrupt:
      return "storage_corrupt";
    case code::deadline_exceeded:
      return "deadline_exceeded";
  }
  return "unknown";
}

namespace {

using clock_type = std::chrono::steady_clock;

capnp::Data::Reader bytes(std::string_view s) {
  return {reinterpret_cast<const kj::byte*>(s.data()), s.size()};
}

std::string text(capnp::Data::Reader d) {
  return {reinterpret_cast<const char*>(d.begin()), d.size()};
}

bool contains(const region& r, std::string_view key) {
  return r.start_key <= key && (r.end_key.empty() || key < r.end_key);
}

/// What one attempt tells the retry loop.
enum class verdict : std::uint8_t { done, retry_now, retry_later, final };

}  // namespace

struct client::impl {
  explicit impl(options o) : opts(std::move(o)) {
    if (opts.client_id == 0) {
      std::random_device rd;
      opts.client_id = (std::uint64_t{rd()} << 32 | rd()) | 1;
    }
    for (const auto& a : opts.stores)
      seeds.push_back(a);
  }

  struct connection {
    std::unique_ptr<capnp::EzRpcClient> ez;
    kv::Kv::Client cap;
  };

  options opts;
  std::vector<std::string> seeds;
  std::size_t next_seed = 0;
  std::map<std::uint64_t, std::string> store_addresses;
  /// Keyed by start key.
  std::map<std::string, region, std::less<>> regions;
  std::map<std::string, connection> connections;
  std::uint64_t seq = 0;
  client_stats stats;
  /// The error behind the latest failed attempt.
  error last{code::deadline_exceeded, "no attempt made"};
  /// Set by `locate` when a store refused the key itself (`last` says why).
  bool lookup_refused = false;

  // -- connections ----------------------------------------------------------------------------

  connection& connect(const std::string& address) {
    auto i = connections.find(address);
    if (i != connections.end()) return i->second;
    ++stats.connections;
    auto ez = std::make_unique<capnp::EzRpcClient>(address);
    auto cap = ez->getMain<kv::Kv>();
    return connections.emplace(address, connection{std::move(ez), std::move(cap)}).first->second;
  }

  /// Any connection's event loop serves them all: EzRpc keeps one per thread.
  kj::WaitScope& wait_scope() { return connections.begin()->second.ez->getWaitScope(); }
  kj::Timer& timer() { return connections.begin()->second.ez->getIoProvider().getTimer(); }

  /// The end of one attempt of an operation that must end by `deadline`.
  clock_type::time_point attempt_deadline(clock_type::time_point deadline) const {
    return std::min(deadline, clock_type::now() + opts.attempt_timeout);
  }

  /// Waits for `p` until `deadline`; a kj exception (lost connection, timeout) propagates.
  template <class T>
  T wait(kj::Promise<T>&& p, clock_type::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - clock_type::now());
    if (left.count() < 1) left = std::chrono::nanoseconds{1};
    return timer().timeoutAfter(left.count() * kj::NANOSECONDS, kj::mv(p)).wait(wait_scope());
  }

  void drop(const std::string& address, const kj::Exception& e) {
    connections.erase(address);
    last = error{code::deadline_exceeded, address + ": " + e.getDescription().cStr()};
  }

  // -- regions --------------------------------------------------------------------------------

  region* cached(std::string_view key) {
    auto i = regions.upper_bound(key);
    if (i == regions.begin()) return nullptr;
    --i;
    return contains(i->second, key) ? &i->second : nullptr;
  }

  void forget(std::uint64_t id) {
    for (auto i = regions.begin(); i != regions.end(); ++i)
      if (i->second.id == id) {
        regions.erase(i);
        return;
      }
  }

  /// Caches `info`, dropping cached regions it overlaps; learns its stores' addresses.
  void learn(kv::RegionInfo::Reader info, bool from_pd) {
    region r;
    r.from_pd = from_pd;
    r.id = info.getId();
    r.start_key = text(info.getStartKey());
    r.end_key = text(info.getEndKey());
    r.conf_ver = info.getConfVer();
    r.version = info.getVersion();
    for (auto p : info.getPeers()) {
      r.stores.push_back(p.getStore());
      if (p.getId() == info.getLeader()) r.leader_store = p.getStore();
    }
    for (auto a : info.getStoreAddresses())
      if (a.getAddress().size() > 0) store_addresses[a.getStore()] = a.getAddress();
    for (auto i = regions.begin(); i != regions.end();) {
      const auto& o = i->second;
      bool before = !o.end_key.empty() && o.end_key <= r.start_key;
      bool after = !r.end_key.empty() && r.end_key <= o.start_key;
      i = (before || after) ? std::next(i) : regions.erase(i);
    }
    regions.emplace(r.start_key, std::move(r));
  }

  /// Every address worth asking for a region: the seeds, then the stores learned.
  std::vector<std::string> lookup_addresses() {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < seeds.size(); ++i)
      out.push_back(seeds[(next_seed + i) % seeds.size()]);
    for (const auto& [id, a] : store_addresses)
      if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
    return out;
  }

  /// The cached region of `key`, asking a store when it is not cached. Null when no store
  /// answered (`last` says why).
  region* locate(std::string_view key, clock_type::time_point deadline) {
    lookup_refused = false;
    if (auto* r = cached(key)) return r;
    for (const auto& address : lookup_addresses()) {
      ++stats.region_lookups;
      auto& c = connect(address);
      auto req = c.cap.regionInfoRequest();
      req.setKey(bytes(key));
      try {
        auto res = wait(req.send(), attempt_deadline(deadline));
        auto err = res.getError();
        if (!err.isNone()) {
          // A malformed key is refused by every store alike: no point asking the next.
          lookup_refused = judge(err, 0) == verdict::final;
          if (lookup_refused) return nullptr;
          continue;
        }
        learn(res.getRegion(), res.getFromPd());
        if (auto* r = cached(key)) return r;
      } catch (const kj::Exception& e) {
        drop(address, e);
        ++next_seed;
      }
      if (clock_type::now() >= deadline) break;
    }
    return nullptr;
  }

  /// Where to send a request for `r`: the leader's store if known, else its replicas in turn.
  std::string target(const region& r, std::size_t attempt) const {
    if (r.leader_store != 0) {
      auto i = store_addresses.find(r.leader_store);
      if (i != store_addresses.end()) return i->second;
    }
    for (std::size_t k = 0; k < r.stores.size(); ++k) {
      auto i = store_addresses.find(r.stores[(attempt + k) % r.stores.size()]);
      if (i != store_addresses.end()) return i->second;
    }
    return seeds.empty() ? std::string{} : seeds[attempt % seeds.size()];
  }

  /// Reads a service error, updating the cache; `done` for none.
  verdict judge(kv::Error::Reader e, std::uint64_t region_id) {
    switch (e.which()) {
      case kv::Error::NONE:
        return verdict::done;
      case kv::Error::NOT_LEADER: {
        auto nl = e.getNotLeader();
        last = error{code::deadline_exceeded, e.getDetail()};
        for (auto& [k, r] : regions)
          if (r.id == region_id) r.leader_store = nl.getLeaderStore();
        if (nl.getLeaderStore() == 0) return verdict::retry_later;
        if (nl.getLeaderAddress().size() > 0)
          store_addresses[nl.getLeaderStore()] = nl.getLeaderAddress();
        return verdict::retry_now;
      }
      case kv::Error::EPOCH_NOT_MATCH:
        last = error{code::deadline_exceeded, e.getDetail()};
        forget(region_id);
        for (auto r : e.getEpochNotMatch())
          learn(r, false);
        return verdict::retry_now;
      case kv::Error::REGION_NOT_FOUND:
      case kv::Error::KEY_NOT_IN_REGION:
        last = error{code::deadline_exceeded, e.getDetail()};
        forget(region_id);
        return verdict::retry_later;
      case kv::Error::SERVER_BUSY:
      case kv::Error::TIMEOUT:
        last = error{code::deadline_exceeded, e.getDetail()};
        return verdict::retry_later;
      case kv::Error::INVALID_ARGUMENT:
        last = error{code::invalid_argument, e.getDetail()};
        return verdict::final;
      case kv::Error::STORAGE_CORRUPT:
        last = error{code::storage_corrupt, e.getDetail()};
        return verdict::final;
    }
    last = error{code::deadline_exceeded, "unknown error kind: " + std::string(e.getDetail())};
    return verdict::retry_later;
  }

  /// Positions 0..n-1 grouped by the client address of the leader of key `key_of(i)`'s region;
  /// positions whose leader is unknown go to `alone`, to be sent one by one with retries.
  template <class KeyOf>
  std::map<std::string, std::vector<std::size_t>> group_by_leader(std::size_t n, KeyOf key_of,
                                                                  clock_type::time_point deadline,
                                                                  std::vector<std::size_t>& alone) {
    std::map<std::string, std::vector<std::size_t>> out;
    for (std::size_t i = 0; i < n; ++i) {
      auto* r = locate(key_of(i), deadline);
      if (r == nullptr || r->leader_store == 0)
        alone.push_back(i);
      else
        out[target(*r, 0)].push_back(i);
    }
    return out;
  }

  static void set_header(kv::Header::Builder h, const region& r) {
    h.setRegion(r.id);
    h.setConfVer(r.conf_ver);
    h.setVersion(r.version);
  }

  /// Runs `attempt(connection, region, deadline) -> verdict` against the region of `key`
  /// until it is done, final, or the deadline passes.
  template <class Attempt>
  result<void> routed(std::string_view key, Attempt&& attempt) {
    auto deadline = clock_type::now() + opts.deadline;
    auto backoff = std::chrono::milliseconds{5};
    for (std::size_t n = 0;; ++n) {
      if (n > 0) ++stats.retries;
      verdict v = verdict::retry_later;
      if (auto* r = locate(key, deadline)) {
        auto address = target(*r, n);
        ++stats.attempts;
        try {
          v = attempt(connect(address), *r, attempt_deadline(deadline));
          // A leader that refuses while naming itself (a leadership transfer in flight, its
          // log tail full) needs time, not another call at once. (`r` may be gone: an
          // epoch_not_match replaces the cached regions.)
          const auto* next = cached(key);
          if (v == verdict::retry_now && next && target(*next, n + 1) == address)
            v = verdict::retry_later;
        } catch (const kj::Exception& e) {
          drop(address, e);
          // The region may have moved or its stores restarted elsewhere: look it up again.
          forget(r->id);
        }
      } else if (lookup_refused) {
        return std::unexpected(last);
      }
      if (v == verdict::done) return {};
      if (v == verdict::final) return std::unexpected(last);
      if (clock_type::now() >= deadline) return std::unexpected(last);
      if (v == verdict::retry_later) {
        std::this_thread::sleep_for(backoff);
        backoff = std::min(backoff * 2, std::chrono::milliseconds{500});
      }
    }
  }
};

client::client(options opts) : impl_(std::make_unique<impl>(std::move(opts))) {}
client::~client() = default;

const client_stats& client::stats() const {
  return impl_->stats;
}

result<std::optional<std::string>> client::get(std::string_view key) {
  std::optional<std::string> out;
  auto ok = impl_->routed(key, [&](impl::connection& c, region& r, clock_type::time_point dl) {
    auto req = c.cap.getRequest();
    impl::set_header(req.initHeader(), r);
    req.setKey(bytes(key));
    auto res = impl_->wait(req.send(), dl);
    auto v = impl_->judge(res.getError(), r.id);
    if (v == verdict::done && res.getFound()) out = text(res.getValue());
    return v;
  });
  if (!ok) return std::unexpected(ok.error());
  return out;
}

result<void> client::put(std::string_view key, std::string_view value) {
  auto seq = ++impl_->seq;
  return put_as(key, value, seq, seq);
}

result<void> client::put_as(std::string_view key, std::string_view value, std::uint64_t seq,
                            std::uint64_t first_incomplete) {
  // Every attempt carries the same number: a region that applied an earlier one skips this.
  return impl_->routed(key, [&](impl::connection& c, region& r, clock_type::time_point dl) {
    auto req = c.cap.putRequest();
    impl::set_header(req.initHeader(), r);
    req.setKey(bytes(key));
    req.setValue(bytes(value));
    req.setClient(impl_->opts.client_id);
    req.setSeq(seq);
    req.setFirstIncomplete(first_incomplete);
    return impl_->judge(impl_->wait(req.send(), dl).getError(), r.id);
  });
}

result<cas_outcome> client::compare_and_swap(std::string_view key,
                                             std::optional<std::string_view> expected,
                                             std::string_view value) {
  auto seq = ++impl_->seq;
  cas_outcome out;
  auto ok = impl_->routed(key, [&](impl::connection& c, region& r, clock_type::time_point dl) {
    auto req = c.cap.compareAndSwapRequest();
    impl::set_header(req.initHeader(), r);
    req.setKey(bytes(key));
    req.setExpectAbsent(!expected);
    if (expected) req.setExpected(bytes(*expected));
    req.setValue(bytes(value));
    req.setClient(impl_->opts.client_id);
    req.setSeq(seq);
    req.setFirstIncomplete(seq);
    auto res = impl_->wait(req.send(), dl);
    auto v = impl_->judge(res.getError(), r.id);
    if (v == verdict::done) {
      out.swapped = res.getSwapped();
      out.previous.reset();
      if (res.getFound()) out.previous = text(res.getPrevious());
      out.retried = res.getRetried();
    }
    return v;
  });
  if (!ok) return std::unexpected(ok.error());
  return out;
}

result<void> client::del(std::string_view key) {
  auto seq = ++impl_->seq;
  return impl_->routed(key, [&](impl::connection& c, region& r, clock_type::time_point dl) {
    auto req = c.cap.deleteRequest();
    impl::set_header(req.initHeader(), r);
    req.setKey(bytes(key));
    req.setClient(impl_->opts.client_id);
    req.setSeq(seq);
    req.setFirstIncomplete(seq);
    return impl_->judge(impl_->wait(req.send(), dl).getError(), r.id);
  });
}

result<std::vector<std::pair<std::string, std::string>>> client::scan(std::string_view start,
                                                                      std::string_view end,
                                                                      std::uint32_t limit) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string from{start};
  while (out.size() < limit) {
    std::string scanned_end;
    std::vector<std::pair<std::string, std::string>> part;
    auto ok = impl_->routed(from, [&](impl::connection& c, region& r, clock_type::time_point dl) {
      auto req = c.cap.scanRequest();
      impl::set_header(req.initHeader(), r);
      req.setStartKey(bytes(from));
      req.setEndKey(bytes(end));
      req.setLimit(limit - static_cast<std::uint32_t>(out.size()));
      auto res = impl_->wait(req.send(), dl);
      auto v = impl_->judge(res.getError(), r.id);
      if (v != verdict::done) return v;
      part.clear();
      for (auto p : res.getPairs())
        part.emplace_back(text(p.getKey()), text(p.getValue()));
      scanned_end = text(res.getScannedEnd());
      return v;
    });
    if (!ok) return std::unexpected(ok.error());
    for (auto& p : part)
      out.push_back(std::move(p));
    // The range ended at +infinity or at `end`: nothing further.
    if (scanned_end.empty() || (!end.empty() && scanned_end >= end)) break;
    from = scanned_end;
  }
  return out;
}

result<std::vector<std::optional<std::string>>> client::batch_get(
    const std::vector<std::string>& keys) {
  std::vector<std::optional<std::string>> out(keys.size());
  // One call per leader store, all in flight together; a key whose call fails is read alone
  // with the usual retries.
  auto deadline = clock_type::now() + impl_->opts.deadline;
  std::vector<std::size_t> alone;
  auto by_store = impl_->group_by_leader(
      keys.size(), [&](std::size_t i) -> const std::string& { return keys[i]; }, deadline, alone);
  for (auto& [address, idx] : by_store) {
    try {
      auto req = impl_->connect(address).cap.batchGetRequest();
      auto list = req.initKeys(static_cast<unsigned>(idx.size()));
      for (unsigned k = 0; k < idx.size(); ++k)
        list.set(k, bytes(keys[idx[k]]));
      auto res = impl_->wait(req.send(), impl_->attempt_deadline(deadline));
      if (!res.getError().isNone() || res.getResults().size() != idx.size()) {
        alone.insert(alone.end(), idx.begin(), idx.end());
        continue;
      }
      for (unsigned k = 0; k < idx.size(); ++k) {
        auto l = res.getResults()[k];
        if (l.getFound()) out[idx[k]] = text(l.getValue());
      }
    } catch (const kj::Exception& e) {
      impl_->drop(address, e);
      alone.insert(alone.end(), idx.begin(), idx.end());
    }
  }
  for (auto i : alone) {
    auto v = get(keys[i]);
    if (!v) return std::unexpected(v.error());
    out[i] = std::move(*v);
  }
  return out;
}

result<void> client::batch_put(const std::vector<std::pair<std::string, std::string>>& pairs) {
  if (pairs.size() <= batch_chunk) return batch_put_chunk(pairs);
  for (std::size_t from = 0; from < pairs.size(); from += batch_chunk) {
    auto to = std::min(pairs.size(), from + batch_chunk);
    std::vector<std::pair<std::string, std::string>> chunk{
        pairs.begin() + static_cast<std::ptrdiff_t>(from),
        pairs.begin() + static_cast<std::ptrdiff_t>(to)};
    if (auto ok = batch_put_chunk(chunk); !ok) return ok;
  }
  return {};
}

result<void> client::batch_put_chunk(
    const std::vector<std::pair<std::string, std::string>>& pairs) {
  auto deadline = clock_type::now() + impl_->opts.deadline;
  // Every pair has its own number for the whole operation, and none is answered before the
  // operation ends: the lowest is the client's first incomplete write throughout.
  auto first_seq = impl_->seq + 1;
  std::vector<std::uint64_t> seqs(pairs.size());
  std::vector<std::size_t> alone;
  auto by_store = impl_->group_by_leader(
      pairs.size(), [&](std::size_t i) -> const std::string& { return pairs[i].first; }, deadline,
      alone);
  // Pairs sent to a store get consecutive numbers, as batchPut numbers them by position.
  for (auto& [address, idx] : by_store)
    for (auto i : idx)
      seqs[i] = ++impl_->seq;
  for (auto i : alone)
    seqs[i] = ++impl_->seq;
  for (auto& [address, idx] : by_store) {
    try {
      auto req = impl_->connect(address).cap.batchPutRequest();
      auto list = req.initPairs(static_cast<unsigned>(idx.size()));
      for (unsigned k = 0; k < idx.size(); ++k) {
        list[k].setKey(bytes(pairs[idx[k]].first));
        list[k].setValue(bytes(pairs[idx[k]].second));
      }
      req.setClient(impl_->opts.client_id);
      req.setFirstSeq(seqs[idx.front()]);
      req.setFirstIncomplete(first_seq);
      auto res = impl_->wait(req.send(), impl_->attempt_deadline(deadline));
      auto err = res.getError();
      if (err.isInvalidArgument() || err.isStorageCorrupt()) {
        impl_->judge(err, 0);
        return std::unexpected(impl_->last);
      }
      if (!err.isNone()) alone.insert(alone.end(), idx.begin(), idx.end());
    } catch (const kj::Exception& e) {
      impl_->drop(address, e);
      alone.insert(alone.end(), idx.begin(), idx.end());
    }
  }
  for (auto i : alone)
    if (auto ok = put_as(pairs[i].first, pairs[i].second, seqs[i], first_seq); !ok) return ok;
  return {};
}

result<region> client::region_of(std::string_view key) {
  auto deadline = clock_type::now() + impl_->opts.deadline;
  if (auto* r = impl_->cached(key)) impl_->forget(r->id);
  auto* r = impl_->locate(key, deadline);
  if (r == nullptr) return std::unexpected(impl_->last);
  return *r;
}

}  // namespace rdb::client
