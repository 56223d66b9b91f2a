#include "test_support.hpp"

namespace rdb::storage::test {

store_options test_options() {
  store_options opts;
  opts.cluster = cluster_id{7};
  opts.store = store_id{1};
  opts.create_if_missing = true;
  opts.initial_map_size = std::size_t{1} << 20;
  opts.max_map_size = std::size_t{1} << 30;
  return opts;
}

std::unique_ptr<store> open_store(const std::string& dir) {
  return take(store::open(dir, test_options()));
}

std::vector<raft::entry> make_entries(std::uint64_t lo, std::uint64_t hi, std::uint64_t term) {
  std::vector<raft::entry> out;
  for (auto i = lo; i <= hi; ++i)
    out.push_back(raft::entry{raft::term_id{term}, raft::log_index{i}, raft::entry_type::normal,
                              "entry-" + std::to_string(i) + "-t" + std::to_string(term)});
  return out;
}

}  // namespace rdb::storage::test
