#include "tools/rdb-dump/store_printer.hpp"

#include <algorithm>

#include "tools/rdb-dump/key_text.hpp"

namespace rdb::tools::dump {

namespace {

using storage::result;

const char* name(storage::peer_state s) {
  switch (s) {
    case storage::peer_state::normal:
      return "normal";
    case storage::peer_state::applying:
      return "applying";
    case storage::peer_state::tombstone:
      return "tombstone";
  }
  return "unknown";
}

const char* name(storage::peer_role r) {
  return r == storage::peer_role::voter ? "voter" : "learner";
}

const char* name(raft::entry_type t) {
  return t == raft::entry_type::normal ? "normal" : "conf_change";
}

/// At most this many payload bytes of an entry or value are shown.
constexpr std::size_t preview_bytes = 64;

std::string preview(const std::string& bytes) {
  auto shown = escape(std::string_view{bytes}.substr(0, preview_bytes));
  if (bytes.size() > preview_bytes) shown += "...";
  return shown;
}

}  // namespace

result<void> store_printer::summary() {
  const auto& id = store_.ident();
  out_ << "store " << id.store << " of cluster " << id.cluster << ", format " << id.format
       << ", map " << store_.map_size() << " bytes, dir " << store_.dir() << "\n";
  auto view = store_.read();
  if (!view) return std::unexpected(view.error());
  auto ids = view->region_ids();
  if (!ids) return std::unexpected(ids.error());
  out_ << ids->size() << " region(s)\n";
  for (auto id : *ids) {
    if (auto ok = region(*view, id); !ok) return ok;
  }
  return {};
}

result<void> store_printer::region(const storage::read_view& view, region_id id) {
  auto rs = view.load_region_state(id);
  if (!rs) return std::unexpected(rs.error());
  out_ << "region " << id;
  if (*rs) {
    const auto& r = (*rs)->region;
    out_ << " [\"" << escape(r.start_key) << "\", "
         << (r.end_key.empty() ? std::string{"+inf"} : "\"" + escape(r.end_key) + "\"")
         << ") epoch conf_ver " << r.epoch.conf_ver << " version " << r.epoch.version << ", "
         << name((*rs)->state) << "\n  peers:";
    for (const auto& p : r.peers)
      out_ << " " << p.id << "@store" << p.store << "(" << name(p.role) << ")";
  } else {
    out_ << " (no region local state)";
  }
  auto first = view.first_index(id);
  if (!first) return std::unexpected(first.error());
  auto last = view.last_index(id);
  if (!last) return std::unexpected(last.error());
  out_ << "\n  log: first " << *first << " last " << *last;
  auto hs = view.load_hard_state(id);
  if (!hs) return std::unexpected(hs.error());
  if (*hs)
    out_ << ", term " << (*hs)->term << " vote " << (*hs)->vote << " commit " << (*hs)->commit;
  auto as = view.load_apply_state(id);
  if (!as) return std::unexpected(as.error());
  if (*as)
    out_ << ", applied " << (*as)->applied_index << " truncated " << (*as)->truncated_index << "/"
         << (*as)->truncated_term;
  auto usage = view.approximate_usage(id);
  if (!usage) return std::unexpected(usage.error());
  out_ << "\n  approximate size: " << usage->bytes << " bytes, " << usage->keys << " keys\n";
  return {};
}

/// Entries [from, to] of one region's log from `src`, a read view or the log engine (the same
/// log functions).
template <class Source>
result<void> print_log(const Source& src, region_id region, raft::log_index from,
                       raft::log_index to, std::ostream& out) {
  auto first = src.first_index(region);
  if (!first) return std::unexpected(first.error());
  auto last = src.last_index(region);
  if (!last) return std::unexpected(last.error());
  auto lo = from.is_none() ? *first : from;
  auto hi = to.is_none() ? *last : std::min(to, *last);
  out << "region " << region << " log: first " << *first << " last " << *last << "\n";
  // Page through the range so a long log never sits in memory at once.
  constexpr std::uint64_t page_bytes = 1 << 20;
  while (lo <= hi) {
    auto entries = src.entries(region, lo, hi + 1, page_bytes);
    if (!entries) return std::unexpected(entries.error());
    if (entries->empty()) break;
    for (const auto& e : *entries)
      out << "  " << e.index << " term " << e.term << " " << name(e.type) << " " << e.data.size()
          << " bytes \"" << preview(e.data) << "\"\n";
    lo = lo + entries->size();
  }
  return {};
}

result<void> store_printer::log(region_id region, raft::log_index from, raft::log_index to) {
  auto view = store_.read();
  if (!view) return std::unexpected(view.error());
  return print_log(*view, region, from, to, out_);
}

result<void> log_printer::log(region_id region, raft::log_index from, raft::log_index to) {
  return print_log(log_, region, from, to, out_);
}

result<void> log_printer::summary() {
  const auto& id = log_.ident();
  out_ << "raft log of store " << id.store << " of cluster " << id.cluster << ", format "
       << id.format << ", " << log_.segment_count() << " segment(s), " << log_.bytes()
       << " bytes of records, dir " << log_.dir() << "\n";
  auto ids = log_.regions();
  out_ << ids.size() << " region(s)\n";
  for (auto region : ids) {
    auto first = log_.first_index(region);
    if (!first) return std::unexpected(first.error());
    auto last = log_.last_index(region);
    if (!last) return std::unexpected(last.error());
    out_ << "region " << region << "\n  log: first " << *first << " last " << *last;
    if (auto hs = log_.hard_state(region))
      out_ << ", term " << hs->term << " vote " << hs->vote << " commit " << hs->commit;
    if (auto t = log_.truncated(region))
      out_ << ", truncated " << t->truncated_index << "/" << t->truncated_term;
    out_ << "\n";
  }
  return {};
}

result<void> store_printer::data(const std::string& start, const std::string& end,
                                 std::size_t limit) {
  auto view = store_.read();
  if (!view) return std::unexpected(view.error());
  std::size_t shown = 0;
  auto ok = view->for_each(start, end, [&](std::string_view k, std::string_view v) {
    if (shown == limit) return false;
    out_ << "\"" << escape(k) << "\" " << v.size() << " bytes \""
         << preview(std::string{v.substr(0, preview_bytes + 1)}) << "\"\n";
    return ++shown < limit;
  });
  if (!ok) return ok;
  out_ << shown << " record(s)\n";
  return {};
}

}  // namespace rdb::tools::dump
