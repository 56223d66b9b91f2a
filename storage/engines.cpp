#include "storage/engines.hpp"

#include <filesystem>
#include <system_error>

namespace rdb::storage {

namespace {

result<std::shared_ptr<store>> open_one(const std::string& dir, store_options opts) {
  if (opts.create_if_missing && !opts.read_only) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return fail(errc::io_error, "creating store directory " + dir + ": " + ec.message());
  }
  auto st = store::open(dir, opts);
  if (!st) return std::unexpected{st.error()};
  return std::shared_ptr<store>{std::move(*st)};
}

}  // namespace

result<engines> engines::open(const std::string& dir, const store_options& opts) {
  auto raft = log_engine::open(dir + "/raft", opts);
  if (!raft) return std::unexpected{raft.error()};
  auto kv_opts = opts;
  kv_opts.sync_meta = false;
  auto kv = open_one(dir + "/kv", kv_opts);
  if (!kv) return std::unexpected{kv.error()};
  return engines{std::shared_ptr<log_engine>{std::move(*raft)}, std::move(*kv)};
}

}  // namespace rdb::storage
