#include "tools/rdb-console/load.hpp"

#include <random>

#include "tools/client/client.hpp"
#include "tools/rdb-console/text.hpp"

namespace rdb::console {

namespace {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// Key `i` of the 16: its first byte puts it in the i-th region of a fresh cluster.
std::string load_key(std::size_t i) {
  return std::string(1, static_cast<char>(i * 16 + 1)) + "load";
}

}  // namespace

load_runner::load_runner(std::vector<std::string> stores, std::size_t clients,
                         std::chrono::milliseconds deadline)
    : stores_(std::move(stores)), deadline_(deadline), started_(std::chrono::steady_clock::now()) {
  for (std::size_t c = 1; c <= clients; ++c)
    threads_.emplace_back([this, c] { run(c); });
}

load_runner::~load_runner() {
  if (!threads_.empty()) stop();
}

load_runner::summary load_runner::stop() {
  stopping_ = true;
  for (auto& t : threads_)
    t.join();
  threads_.clear();
  std::lock_guard lock{mtx_};
  done_.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  return std::move(done_);
}

void load_runner::run(std::size_t client) {
  client::options o;
  o.stores = stores_;
  o.deadline = deadline_;
  client::client kv{o};
  std::mt19937_64 rng{client};
  std::vector<lincheck::operation> mine;
  std::uint64_t errors = 0, unknown = 0, written = 0;
  while (!stopping_) {
    lincheck::operation op;
    op.client = client;
    auto key = load_key(rng() % 16);
    op.key = printable(key);
    op.kind = rng() % 2 == 0 ? lincheck::op_kind::get : lincheck::op_kind::put;
    op.invoke = now_ns();
    std::optional<client::error> failed;
    if (op.kind == lincheck::op_kind::get) {
      auto got = kv.get(key);
      if (got)
        op.read = *got;
      else
        failed = got.error();
    } else {
      op.value = "c" + std::to_string(client) + "-" + std::to_string(++written);
      if (auto ok = kv.put(key, op.value); !ok) failed = ok.error();
    }
    op.ret = now_ns();
    if (failed) {
      ++errors;
      // A read changes nothing; a write refused before it was proposed never took effect.
      if (op.kind == lincheck::op_kind::get || !failed->maybe_applied) {
        op.out = lincheck::outcome::fail;
      } else {
        ++unknown;
        op.out = lincheck::outcome::unknown;
        op.ret.reset();
      }
    }
    mine.push_back(std::move(op));
  }
  std::lock_guard lock{mtx_};
  done_.operations += mine.size();
  done_.errors += errors;
  done_.unknown += unknown;
  done_.history.insert(done_.history.end(), std::make_move_iterator(mine.begin()),
                       std::make_move_iterator(mine.end()));
}

}  // namespace rdb::console
