#include "storage/log_engine.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "storage/key_codec.hpp"
#include "storage/log_format.hpp"

/// The record payload is a list of operations, each a kind byte and its fields; integers are
/// big-endian (key_codec's helpers), byte strings a u32 length and the bytes:
///
/// | kind | fields |
/// |---|---|
/// | ident (1) | store_ident record |
/// | append (2) | region u64, count u32, count x entry record |
/// | hard_state (3) | region u64, hard state record |
/// | truncate (4) | region u64, index u64, term u64: entries up to index are gone |
/// | clear_log (5) | region u64 |
/// | destroy (6) | region u64 |
/// | checkpoint (7) | u32 first segment kept by the purge whose checkpoint this record opens |
///
/// Every record is written followed by a zero length, which the next record overwrites: so a
/// segment's records always end at a zero length, even where a torn write left bytes behind.
namespace rdb::storage {

namespace {

using namespace log_format;

std::string errno_text(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

std::uint32_t crc_of(std::string_view bytes) {
  return static_cast<std::uint32_t>(
      ::crc32(0L, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())));
}

/// Reads the fields of one payload in order; any read past the end marks it bad.
class payload_reader {
 public:
  explicit payload_reader(std::string_view p) : p_(p) {}

  bool done() const { return pos_ >= p_.size(); }
  bool ok() const { return ok_; }
  std::size_t pos() const { return pos_; }

  std::uint8_t u8() {
    if (!need(1)) return 0;
    return static_cast<std::uint8_t>(p_[pos_++]);
  }
  std::uint32_t u32() {
    if (!need(4)) return 0;
    auto v = get_u32(p_.data() + pos_);
    pos_ += 4;
    return v;
  }
  std::uint64_t u64() {
    if (!need(8)) return 0;
    auto v = keys::get_u64(p_.data() + pos_);
    pos_ += 8;
    return v;
  }
  std::string_view bytes() {
    auto n = u32();
    if (!need(n)) return {};
    auto v = p_.substr(pos_, n);
    pos_ += n;
    return v;
  }

 private:
  bool need(std::size_t n) {
    if (!ok_ || p_.size() - pos_ < n) {
      ok_ = false;
      return false;
    }
    return true;
  }

  std::string_view p_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

/// What a batch does to one region's log, followed while the batch is checked: bounds, and the
/// terms of the entries the batch itself appends.
struct region_sim {
  raft::log_index truncated_index;
  raft::term_id truncated_term;
  raft::log_index last;
  /// Entries of the engine's log at or below this index are still valid.
  raft::log_index base_valid;
  std::map<raft::log_index, raft::term_id> appended;
};

}  // namespace

log_engine::log_engine(std::string dir, const store_options& opts)
    : dir_(std::move(dir)), opts_(opts) {}

log_engine::~log_engine() = default;

log_engine::segment_file::~segment_file() {
  if (fd >= 0) ::close(fd);
}

std::string log_engine::where(region_id region, raft::log_index i) const {
  return "raft log of region " + std::to_string(region.value()) + " index " +
         std::to_string(i.value()) + " in " + dir_;
}

result<std::unique_ptr<log_engine>> log_engine::open(const std::string& dir,
                                                     const store_options& opts) {
  std::error_code ec;
  if (opts.create_if_missing && !opts.read_only) std::filesystem::create_directories(dir, ec);
  if (!std::filesystem::is_directory(dir, ec))
    return fail(errc::io_error, "raft log directory " + dir + " does not exist");
  std::unique_ptr<log_engine> e{new log_engine(dir, opts)};
  if (auto ok = e->replay(); !ok) return std::unexpected{ok.error()};
  return e;
}

result<void> log_engine::replay() {
  std::error_code ec;
  std::vector<std::uint32_t> numbers;
  for (const auto& f : std::filesystem::directory_iterator(dir_, ec)) {
    auto name = f.path().filename().string();
    // A segment prepared and never started: a new one is prepared anyway.
    if (name.ends_with(".log.prep") && !opts_.read_only) ::unlink(f.path().c_str());
    if (name.size() != 20 || !name.ends_with(".log") ||
        !std::all_of(name.begin(), name.begin() + 16, [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    numbers.push_back(static_cast<std::uint32_t>(std::stoul(name.substr(0, 16))));
  }
  if (ec) return fail(errc::io_error, "listing raft log directory " + dir_ + ": " + ec.message());
  std::sort(numbers.begin(), numbers.end());
  if (!opts_.read_only) preparer_ = std::make_unique<segment_preparer>(opts_.log_segment_bytes);
  if (numbers.empty()) {
    if (opts_.read_only || !opts_.create_if_missing)
      return fail(errc::not_bootstrapped, "no raft log in " + dir_);
    return create_first_segment();
  }
  first_segment_ = numbers.front();
  lenient_ = first_segment_ > 1;
  for (std::size_t k = 0; k < numbers.size(); ++k) {
    if (numbers[k] != numbers.front() + k)
      return fail(errc::storage_corrupt,
                  "raft log segment " + segment_name(dir_, numbers.front() + k) + " is missing");
    if (auto ok = replay_segment(numbers[k], k + 1 == numbers.size()); !ok) return ok;
  }
  if (lenient_)
    return fail(errc::storage_corrupt, "raft log in " + dir_ + " starts at segment " +
                                           std::to_string(first_segment_) +
                                           " without the checkpoint of the purge before it");
  if (preparer_) preparer_->prepare(segment_name(dir_, numbers.back() + 1));
  return check_ident();
}

result<void> log_engine::replay_segment(std::uint32_t number, bool last) {
  auto path = segment_name(dir_, number);
  int fd = ::open(path.c_str(), opts_.read_only ? O_RDONLY : O_RDWR);
  if (fd < 0) return fail(errc::io_error, errno_text("opening " + path));
  segments_[number] = segment{std::make_shared<segment_file>(fd), 0};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail(errc::io_error, errno_text("reading size of " + path));
  std::string data(static_cast<std::size_t>(st.st_size), '\0');
  for (std::size_t got = 0; got < data.size();) {
    auto n = ::pread(fd, data.data() + got, data.size() - got, static_cast<off_t>(got));
    if (n < 0) return fail(errc::io_error, errno_text("reading " + path));
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  std::uint64_t off = 0;
  while (off + header_bytes <= data.size()) {
    auto len = get_u32(data.data() + off);
    if (len == 0) break;
    auto crc = get_u32(data.data() + off + 4);
    bool whole = off + header_bytes + len <= data.size();
    auto payload = whole ? std::string_view{data}.substr(off + header_bytes, len) : "";
    if (!whole || crc_of(payload) != crc) {
      // A write torn by a crash is the last thing in the log: a sound record after it means
      // the damage came later, to a record that was acknowledged.
      if (!last || (whole && record_at(data, off + header_bytes + len)))
        return fail(errc::storage_corrupt,
                    path + ": record at offset " + std::to_string(off) + " failed its checksum");
      // A torn write: cut it off for good, or it would read as corruption once a later
      // segment exists.
      if (!opts_.read_only)
        if (auto ok = terminate(number, off); !ok) return ok;
      break;
    }
    if (auto ok = apply_record(number, off, payload); !ok) return ok;
    off += header_bytes + len;
    bytes_ += header_bytes + len;
  }
  segments_[number].end = off;
  // Sealed: opened again only if a read needs it.
  if (!last) segments_[number].file.reset();
  return {};
}

bool log_engine::record_at(std::string_view data, std::uint64_t off) {
  if (off + header_bytes > data.size()) return false;
  auto len = get_u32(data.data() + off);
  if (len == 0 || off + header_bytes + len > data.size()) return false;
  return crc_of(data.substr(off + header_bytes, len)) == get_u32(data.data() + off + 4);
}

result<void> log_engine::apply_record(std::uint32_t number, std::uint64_t offset,
                                      std::string_view payload) {
  payload_reader r{payload};
  auto bad = [&] {
    return fail(errc::storage_corrupt, segment_name(dir_, number) + ": record at offset " +
                                           std::to_string(offset) + " does not decode");
  };
  while (!r.done()) {
    auto kind = static_cast<op_kind>(r.u8());
    if (kind == op_kind::ident) {
      auto ident = record_codec::decode_store_ident(r.bytes());
      if (!ident) return bad();
      ident_ = *ident;
      continue;
    }
    if (kind == op_kind::checkpoint) {
      auto keep = r.u32();
      if (!r.ok()) return bad();
      // The checkpoint of a purge that deleted every segment before this log's first one (a
      // crash may have stopped it before the last of them went): it restates what those
      // segments held, and after it nothing may be missing.
      if (lenient_ && keep >= first_segment_) closing_ = true;
      continue;
    }
    region_id region{r.u64()};
    auto& log = regions_[region];
    switch (kind) {
      case op_kind::append: {
        auto count = r.u32();
        for (std::uint32_t k = 0; k < count && r.ok(); ++k) {
          auto at = r.pos() + 4;
          auto bytes = r.bytes();
          auto pos = record_codec::decode_entry_position(bytes);
          if (!r.ok() || !pos) return bad();
          auto index = pos->second;
          if (lenient_ &&
              (index > log.last() + 1 || (log.provisional && index <= log.truncated_index))) {
            // Entries before it were in purged segments: the log restarts here until the
            // checkpoint says where it was truncated.
            log.locs.clear();
            log.truncated_index = index - 1;
            log.provisional = true;
          }
          // A conflicting suffix is replaced; entries already compacted are skipped.
          if (index <= log.truncated_index) continue;
          if (index > log.last() + 1) return bad();
          log.locs.resize(index.value() - log.truncated_index.value() - 1);
          log.locs.push_back(entry_loc{pos->first, number, static_cast<std::uint32_t>(bytes.size()),
                                       offset + header_bytes + at});
        }
        break;
      }
      case op_kind::hard_state: {
        auto hs = record_codec::decode_hard_state(r.bytes());
        if (!hs) return bad();
        log.hard = *hs;
        break;
      }
      case op_kind::truncate: {
        raft::log_index index{r.u64()};
        raft::term_id term{r.u64()};
        if (log.provisional) {
          // Entries before those replayed are still unaccounted for.
          if (index < log.truncated_index) break;
          log.provisional = false;
        }
        auto drop = index <= log.truncated_index ? 0 : index.value() - log.truncated_index.value();
        if (drop >= log.locs.size())
          log.locs.clear();
        else
          log.locs.erase(log.locs.begin(), log.locs.begin() + static_cast<std::ptrdiff_t>(drop));
        log.has_truncated = true;
        log.truncated_index = index;
        log.truncated_term = term;
        break;
      }
      case op_kind::clear_log:
        log.locs.clear();
        break;
      case op_kind::destroy:
        regions_.erase(region);
        break;
      default:
        return bad();
    }
    if (!r.ok()) return bad();
  }
  if (closing_) {
    closing_ = false;
    lenient_ = false;
    return check_provisional();
  }
  return {};
}

result<void> log_engine::check_ident() const {
  if (ident_.cluster.is_none())
    return fail(errc::storage_corrupt, "raft log in " + dir_ + " has no store identity");
  if (ident_.format != format_version)
    return fail(errc::format_mismatch, "raft log in " + dir_ + " has format version " +
                                           std::to_string(ident_.format) + ", this build reads " +
                                           std::to_string(format_version));
  if (!opts_.cluster.is_none() && ident_.cluster != opts_.cluster)
    return fail(errc::cluster_mismatch, "raft log in " + dir_ + " belongs to cluster " +
                                            std::to_string(ident_.cluster.value()) + ", expected " +
                                            std::to_string(opts_.cluster.value()));
  if (!opts_.store.is_none() && ident_.store != opts_.store)
    return fail(errc::store_mismatch, "raft log in " + dir_ + " is store " +
                                          std::to_string(ident_.store.value()) + ", expected " +
                                          std::to_string(opts_.store.value()));
  return {};
}

result<void> log_engine::create_first_segment() {
  if (opts_.cluster.is_none() || opts_.store.is_none())
    return fail(errc::invalid_argument,
                "creating a raft log in " + dir_ + " needs a cluster id and a store id");
  if (auto ok = start_segment(1); !ok) return ok;
  ident_ = store_ident{opts_.cluster, opts_.store, format_version};
  std::string payload;
  payload.push_back(static_cast<char>(op_kind::ident));
  put_bytes(payload, codec_.encode(ident_));
  return append_record(payload);
}

result<int> log_engine::make_segment(std::uint32_t number) {
  auto path = segment_name(dir_, number);
  int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd < 0) return fail(errc::io_error, errno_text("opening directory " + dir_));
  int fd = preparer_ ? preparer_->take(path) : -1;
  if (fd >= 0 && ::rename(segment_preparer::temp_path(path).c_str(), path.c_str()) != 0) {
    ::close(fd);
    fd = -1;
  }
  if (fd < 0) {
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL, 0644);
    // Allocated up front, the blocks are there when records land: a sync then rarely has to
    // write file metadata too.
    int rc = fd < 0 ? errno : ::posix_fallocate(fd, 0, static_cast<off_t>(opts_.log_segment_bytes));
    if (rc == 0 && ::fsync(fd) != 0) rc = errno;
    if (rc != 0) {
      // A segment that could not be made ready is removed, so a retry can create it again.
      if (fd >= 0) {
        ::close(fd);
        ::unlink(path.c_str());
      }
      ::close(dfd);
      errno = rc;
      return fail(errc::io_error, errno_text("creating segment " + path));
    }
  }
  bool synced = ::fsync(dfd) == 0;
  ::close(dfd);
  if (!synced) {
    ::close(fd);
    ::unlink(path.c_str());
    return fail(errc::io_error, errno_text("syncing directory for segment " + path));
  }
  return fd;
}

result<void> log_engine::start_segment(std::uint32_t number) {
  auto fd = make_segment(number);
  if (!fd) return std::unexpected{fd.error()};
  {
    std::unique_lock lock{mutex_};
    // The segment before is sealed: reads open it on demand from now on.
    if (!segments_.empty()) segments_.rbegin()->second.file.reset();
    segments_[number] = segment{std::make_shared<segment_file>(*fd), 0};
  }
  if (preparer_) preparer_->prepare(segment_name(dir_, number + 1));
  return {};
}

result<void> log_engine::terminate(std::uint32_t number, std::uint64_t offset) {
  std::string zero;
  put_u32(zero, 0);
  const auto& seg = segments_.at(number);
  if (::pwrite(seg.fd(), zero.data(), zero.size(), static_cast<off_t>(offset)) !=
          static_cast<ssize_t>(zero.size()) ||
      ::fdatasync(seg.fd()) != 0)
    return fail(errc::io_error, errno_text("ending segment " + segment_name(dir_, number)));
  return {};
}

result<void> log_engine::append_record(const std::string& payload) {
  auto& [number, seg] = *segments_.rbegin();
  if (seg.end > 0 && seg.end + header_bytes + payload.size() > opts_.log_segment_bytes) {
    // Records end at a zero length; a failed write may have left bytes after the last one.
    if (auto ok = terminate(number, seg.end); !ok) return ok;
    if (auto ok = start_segment(number + 1); !ok) return ok;
    if (auto ok = purge(number + 1); !ok) return ok;
    return append_record(payload);
  }
  return write_record(payload);
}

result<void> log_engine::write_record(const std::string& payload) {
  auto& [number, seg] = *segments_.rbegin();
  std::string rec;
  rec.reserve(header_bytes + payload.size() + 4);
  put_u32(rec, static_cast<std::uint32_t>(payload.size()));
  put_u32(rec, crc_of(payload));
  rec.append(payload);
  put_u32(rec, 0);
  for (std::size_t done = 0; done < rec.size();) {
    auto n = ::pwrite(seg.fd(), rec.data() + done, rec.size() - done,
                      static_cast<off_t>(seg.end + done));
    if (n < 0) return fail(errc::io_error, errno_text("writing raft log segment in " + dir_));
    done += static_cast<std::size_t>(n);
  }
  if (::fdatasync(seg.fd()) != 0)
    return fail(errc::io_error, errno_text("syncing raft log segment in " + dir_));
  std::unique_lock lock{mutex_};
  if (auto ok = apply_record(number, seg.end, payload); !ok) return ok;
  seg.end += header_bytes + payload.size();
  bytes_ += header_bytes + payload.size();
  return {};
}

result<void> log_engine::write(const write_batch& batch) {
  if (opts_.read_only) return fail(errc::invalid_argument, "raft log in " + dir_ + " is read-only");
  if (auto ok = batch.validate(); !ok) return ok;
  std::lock_guard guard{write_mutex_};
  std::string payload;
  if (auto ok = encode(batch, payload); !ok) return ok;
  if (payload.empty()) return {};
  return append_record(payload);
}

result<void> log_engine::encode(const write_batch& batch, std::string& out) {
  std::map<region_id, region_sim> sims;
  auto sim_of = [&](region_id region) -> region_sim& {
    auto [it, fresh] = sims.try_emplace(region);
    if (fresh) {
      std::shared_lock lock{mutex_};
      auto r = regions_.find(region);
      if (r != regions_.end()) {
        it->second.truncated_index = r->second.truncated_index;
        it->second.truncated_term = r->second.truncated_term;
        it->second.last = r->second.last();
        it->second.base_valid = r->second.last();
      }
    }
    return it->second;
  };
  auto term_of = [&](region_id region, const region_sim& s, raft::log_index i) {
    if (i == s.truncated_index) return s.truncated_term;
    if (auto a = s.appended.find(i); a != s.appended.end()) return a->second;
    std::shared_lock lock{mutex_};
    const auto& log = regions_.at(region);
    return log.locs[i.value() - log.truncated_index.value() - 1].term;
  };
  auto head = [&](op_kind kind, region_id region) {
    out.push_back(static_cast<char>(kind));
    put_u64(out, region.value());
  };
  auto region_text = [](region_id r) { return "region " + std::to_string(r.value()); };
  for (const auto& o : batch.ops()) {
    if (const auto* a = std::get_if<write_batch::append_op>(&o)) {
      auto& s = sim_of(a->region);
      auto first = std::ranges::find_if(
          a->entries, [&](const raft::entry& e) { return e.index > s.truncated_index; });
      if (first == a->entries.end()) continue;
      if (first->index > s.last + 1)
        return fail(errc::invalid_argument, "append to " + region_text(a->region) + " at index " +
                                                std::to_string(first->index.value()) +
                                                " leaves a gap after last index " +
                                                std::to_string(s.last.value()));
      s.base_valid = std::min(s.base_valid, first->index - 1);
      s.appended.erase(s.appended.lower_bound(first->index), s.appended.end());
      head(op_kind::append, a->region);
      put_u32(out, static_cast<std::uint32_t>(a->entries.end() - first));
      for (auto it = first; it != a->entries.end(); ++it) {
        put_bytes(out, codec_.encode(*it));
        s.appended[it->index] = it->term;
      }
      s.last = a->entries.back().index;
    } else if (const auto* c = std::get_if<write_batch::compact_op>(&o)) {
      auto& s = sim_of(c->region);
      if (c->up_to <= s.truncated_index) continue;
      if (c->up_to > s.last)
        return fail(errc::invalid_argument, "compacting " + region_text(c->region) + " up to " +
                                                std::to_string(c->up_to.value()) +
                                                " past last index " +
                                                std::to_string(s.last.value()));
      auto term = term_of(c->region, s, c->up_to);
      head(op_kind::truncate, c->region);
      put_u64(out, c->up_to.value());
      put_u64(out, term.value());
      s.truncated_index = c->up_to;
      s.truncated_term = term;
    } else if (const auto* as = std::get_if<write_batch::apply_state_op>(&o)) {
      auto& s = sim_of(as->region);
      if (as->as.truncated_index < s.truncated_index)
        return fail(errc::invalid_argument,
                    "truncating " + region_text(as->region) + " back to index " +
                        std::to_string(as->as.truncated_index.value()) + " below " +
                        std::to_string(s.truncated_index.value()));
      head(op_kind::truncate, as->region);
      put_u64(out, as->as.truncated_index.value());
      put_u64(out, as->as.truncated_term.value());
      s.truncated_index = as->as.truncated_index;
      s.truncated_term = as->as.truncated_term;
      if (s.last < s.truncated_index) s.last = s.truncated_index;
    } else if (const auto* hs = std::get_if<write_batch::hard_state_op>(&o)) {
      head(op_kind::hard_state, hs->region);
      put_bytes(out, codec_.encode(hs->hs));
    } else if (const auto* cl = std::get_if<write_batch::clear_log_op>(&o)) {
      auto& s = sim_of(cl->region);
      head(op_kind::clear_log, cl->region);
      s.last = s.truncated_index;
      s.base_valid = std::min(s.base_valid, s.truncated_index);
      s.appended.clear();
    } else if (const auto* d = std::get_if<write_batch::destroy_op>(&o)) {
      head(op_kind::destroy, d->region);
      sims[d->region] = region_sim{};
    } else {
      return fail(errc::invalid_argument,
                  "the raft log in " + dir_ +
                      " takes log operations only (entries, hard state, "
                      "truncation); region state and data belong to the kv environment");
    }
  }
  return {};
}

result<std::vector<raft::entry>> log_engine::entries(region_id region, raft::log_index lo,
                                                     raft::log_index hi,
                                                     std::uint64_t max_bytes) const {
  if (lo > hi)
    return fail(errc::invalid_argument, where(region, lo) + ": entries(" +
                                            std::to_string(lo.value()) + ", " +
                                            std::to_string(hi.value()) + ") is inverted");
  // Locations are copied under the lock and read outside it, so a catch-up read never holds
  // up the writer; segment files stay open as long as the engine.
  std::vector<std::pair<entry_loc, std::shared_ptr<segment_file>>> locs;
  {
    std::shared_lock lock{mutex_};
    auto r = regions_.find(region);
    static const region_log empty;
    const auto& log = r == regions_.end() ? empty : r->second;
    if (lo <= log.truncated_index)
      return fail(errc::compacted, where(region, lo) + " is compacted (first index " +
                                       std::to_string(log.truncated_index.value() + 1) + ")");
    if (hi > log.last() + 1)
      return fail(errc::unavailable, where(region, hi - 1) + " is past the last index " +
                                         std::to_string(log.last().value()));
    std::uint64_t total = 0;
    for (auto i = lo; i < hi; ++i) {
      const auto& loc = log.locs[i.value() - log.truncated_index.value() - 1];
      if (!locs.empty() && total + loc.size > max_bytes) break;
      total += loc.size;
      if (!locs.empty() && locs.back().first.segment == loc.segment) {
        locs.emplace_back(loc, locs.back().second);
        continue;
      }
      auto file = file_of(loc.segment);
      if (!file) return std::unexpected{file.error()};
      locs.emplace_back(loc, std::move(*file));
    }
  }
  std::vector<raft::entry> out;
  std::string buf;
  auto i = lo;
  for (const auto& [loc, file] : locs) {
    buf.resize(loc.size);
    if (::pread(file->fd, buf.data(), loc.size, static_cast<off_t>(loc.offset)) !=
        static_cast<ssize_t>(loc.size))
      return fail(errc::io_error, errno_text("reading " + where(region, i)));
    auto e = record_codec::decode_entry(buf);
    if (!e || e->index != i)
      return fail(errc::storage_corrupt, where(region, i) + ": record failed verification");
    out.push_back(std::move(*e));
    ++i;
  }
  return out;
}

result<std::shared_ptr<log_engine::segment_file>> log_engine::file_of(std::uint32_t number) const {
  const auto& seg = segments_.at(number);
  if (seg.file) return seg.file;
  std::lock_guard guard{open_mutex_};
  for (auto i = open_.begin(); i != open_.end(); ++i) {
    if (i->first != number) continue;
    open_.splice(open_.end(), open_, i);
    return open_.back().second;
  }
  auto path = segment_name(dir_, number);
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return fail(errc::io_error, errno_text("opening " + path));
  open_.emplace_back(number, std::make_shared<segment_file>(fd));
  auto file = open_.back().second;
  // A read still holding an evicted file keeps it open until it is done.
  while (open_.size() > std::max<std::size_t>(opts_.log_open_segments, 1))
    open_.pop_front();
  return file;
}

void log_engine::close_before(std::uint32_t keep) const {
  std::lock_guard guard{open_mutex_};
  open_.remove_if([&](const auto& f) { return f.first < keep; });
}

std::size_t log_engine::open_segment_files() const {
  std::shared_lock lock{mutex_};
  std::lock_guard guard{open_mutex_};
  std::size_t n = open_.size();
  for (const auto& [number, seg] : segments_)
    if (seg.file) ++n;
  return n;
}

result<raft::term_id> log_engine::term(region_id region, raft::log_index i) const {
  std::shared_lock lock{mutex_};
  auto r = regions_.find(region);
  if (r == regions_.end()) {
    if (i.is_none()) return raft::term_id{};
    return fail(errc::unavailable, where(region, i) + " is not in the log");
  }
  const auto& log = r->second;
  if (i == log.truncated_index) return log.truncated_term;
  if (i < log.truncated_index)
    return fail(errc::compacted, where(region, i) + " is compacted (truncated index " +
                                     std::to_string(log.truncated_index.value()) + ")");
  if (i > log.last()) return fail(errc::unavailable, where(region, i) + " is not in the log");
  return log.locs[i.value() - log.truncated_index.value() - 1].term;
}

result<raft::log_index> log_engine::first_index(region_id region) const {
  std::shared_lock lock{mutex_};
  auto r = regions_.find(region);
  return r == regions_.end() ? raft::log_index{1} : r->second.truncated_index + 1;
}

result<raft::log_index> log_engine::last_index(region_id region) const {
  std::shared_lock lock{mutex_};
  auto r = regions_.find(region);
  return r == regions_.end() ? raft::log_index{} : r->second.last();
}

std::optional<raft::hard_state> log_engine::hard_state(region_id region) const {
  std::shared_lock lock{mutex_};
  auto r = regions_.find(region);
  if (r == regions_.end()) return std::nullopt;
  return r->second.hard;
}

std::optional<apply_state> log_engine::truncated(region_id region) const {
  std::shared_lock lock{mutex_};
  auto r = regions_.find(region);
  if (r == regions_.end() || !r->second.has_truncated) return std::nullopt;
  return apply_state{r->second.truncated_index, r->second.truncated_index,
                     r->second.truncated_term};
}

std::vector<region_id> log_engine::regions() const {
  std::shared_lock lock{mutex_};
  std::vector<region_id> out;
  for (const auto& [id, log] : regions_)
    out.push_back(id);
  std::sort(out.begin(), out.end());
  return out;
}

std::uint64_t log_engine::segment_count() const {
  std::shared_lock lock{mutex_};
  return segments_.size();
}

std::uint64_t log_engine::bytes() const {
  std::shared_lock lock{mutex_};
  return bytes_;
}

}  // namespace rdb::storage
