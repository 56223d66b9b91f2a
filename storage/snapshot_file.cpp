#include "storage/snapshot_file.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <utility>

#include "storage/log_format.hpp"

namespace rdb::storage {

namespace {

using namespace log_format;

constexpr std::string_view magic = "RDBSNAP1";

/// Record kinds. Pinned numbers.
enum class kind : std::uint8_t { header = 1, pair = 2, session = 3, end = 4 };

std::uint32_t crc_update(std::uint32_t crc, std::string_view bytes) {
  if (bytes.empty()) return crc;
  return static_cast<std::uint32_t>(
      ::crc32(crc, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())));
}

std::uint64_t get_u64(const char* in) {
  return (std::uint64_t{get_u32(in)} << 32) | get_u32(in + 4);
}

std::unexpected<error> corrupt(const std::string& path, const std::string& what) {
  return fail(errc::storage_corrupt, "snapshot file " + path + ": " + what);
}

result<std::string> slurp(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in) return fail(errc::io_error, "cannot open snapshot file " + path);
  std::string bytes{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
  if (in.bad()) return fail(errc::io_error, "cannot read snapshot file " + path);
  return bytes;
}

/// The bytes covered by the checksum, once magic and checksum hold.
result<std::string_view> checked_body(const std::string& path, const std::string& bytes) {
  if (bytes.size() < magic.size() + 4 || std::string_view{bytes}.substr(0, magic.size()) != magic)
    return corrupt(path, "not a snapshot (bad magic or too short)");
  auto body = std::string_view{bytes}.substr(0, bytes.size() - 4);
  if (crc_update(0, body) != get_u32(bytes.data() + body.size()))
    return corrupt(path, "checksum mismatch");
  return body;
}

}  // namespace

result<snapshot_writer> snapshot_writer::create(const std::string& path,
                                                const region_local_state& region,
                                                raft::log_index applied, raft::term_id term) {
  auto* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr)
    return fail(errc::io_error,
                "cannot create snapshot file " + path + ": " + std::strerror(errno));
  snapshot_writer w{path, f};
  if (auto r = w.write(magic); !r) return std::unexpected{r.error()};
  std::string head;
  put_u64(head, applied.value());
  put_u64(head, term.value());
  if (auto r = w.record(static_cast<std::uint8_t>(kind::header), head, w.codec_.encode(region)); !r)
    return std::unexpected{r.error()};
  return w;
}

result<void> snapshot_writer::write(std::string_view bytes) {
  // zlib answers 0 for a null buffer, which an empty view may have.
  if (bytes.empty()) return {};
  if (std::fwrite(bytes.data(), 1, bytes.size(), file_.get()) != bytes.size())
    return fail(errc::io_error,
                "cannot write snapshot file " + path_ + ": " + std::strerror(errno));
  crc_ = crc_update(crc_, bytes);
  bytes_ += bytes.size();
  return {};
}

result<void> snapshot_writer::record(std::uint8_t k, std::string_view a, std::string_view b) {
  scratch_.clear();
  put_u8(scratch_, k);
  put_u32(scratch_, static_cast<std::uint32_t>(a.size() + b.size()));
  if (auto r = write(scratch_); !r) return r;
  if (auto r = write(a); !r) return r;
  return write(b);
}

result<void> snapshot_writer::pair(std::string_view key, std::string_view value) {
  std::string klen;
  put_u32(klen, static_cast<std::uint32_t>(key.size()));
  klen.append(key);
  ++pairs_;
  return record(static_cast<std::uint8_t>(kind::pair), klen, value);
}

result<void> snapshot_writer::session(const client_session& s) {
  ++sessions_;
  return record(static_cast<std::uint8_t>(kind::session), codec_.encode(s));
}

result<snapshot_file_info> snapshot_writer::finish() {
  std::string end;
  put_u64(end, pairs_);
  put_u64(end, sessions_);
  if (auto r = record(static_cast<std::uint8_t>(kind::end), end); !r)
    return std::unexpected{r.error()};
  std::string crc;
  put_u32(crc, crc_);
  auto sum = crc_;
  if (auto r = write(crc); !r) return std::unexpected{r.error()};
  if (std::fclose(file_.release()) != 0)
    return fail(errc::io_error,
                "cannot close snapshot file " + path_ + ": " + std::strerror(errno));
  return snapshot_file_info{bytes_, sum, pairs_};
}

result<snapshot_file_info> verify_snapshot_file(const std::string& path) {
  // Streamed in blocks: a received file is checked without holding it in memory.
  std::ifstream in{path, std::ios::binary};
  if (!in) return fail(errc::io_error, "cannot open snapshot file " + path);
  std::string block(std::size_t{1} << 20, '\0');
  std::string head;
  std::string tail;
  std::uint32_t crc = 0;
  std::uint64_t bytes = 0;
  while (in) {
    in.read(block.data(), static_cast<std::streamsize>(block.size()));
    auto got = static_cast<std::size_t>(in.gcount());
    if (got == 0) break;
    bytes += got;
    if (head.size() < magic.size())
      head.append(block.data(), std::min(got, magic.size() - head.size()));
    // The last 4 bytes read so far may be the checksum: they join the sum only once more
    // bytes follow them.
    tail.append(block.data(), got);
    if (tail.size() > 4) {
      crc = crc_update(crc, std::string_view{tail}.substr(0, tail.size() - 4));
      tail.erase(0, tail.size() - 4);
    }
  }
  if (in.bad()) return fail(errc::io_error, "cannot read snapshot file " + path);
  if (head != magic || bytes < magic.size() + 4)
    return corrupt(path, "not a snapshot (bad magic or too short)");
  if (crc != get_u32(tail.data())) return corrupt(path, "checksum mismatch");
  return snapshot_file_info{bytes, crc, 0};
}

result<snapshot_contents> read_snapshot_file(const std::string& path) {
  auto bytes = slurp(path);
  if (!bytes) return std::unexpected{bytes.error()};
  auto body = checked_body(path, *bytes);
  if (!body) return std::unexpected{body.error()};
  snapshot_contents out;
  std::size_t off = magic.size();
  bool has_header = false;
  bool ended = false;
  while (off < body->size()) {
    if (ended) return corrupt(path, "bytes after the end record");
    if (body->size() - off < 5) return corrupt(path, "truncated record header");
    auto k = static_cast<kind>(static_cast<std::uint8_t>((*body)[off]));
    auto len = get_u32(body->data() + off + 1);
    off += 5;
    if (body->size() - off < len) return corrupt(path, "record past the end");
    auto rec = body->substr(off, len);
    off += len;
    if (k != kind::header && !has_header) return corrupt(path, "no header first");
    switch (k) {
      case kind::header: {
        if (has_header || rec.size() < 16) return corrupt(path, "bad header");
        out.applied = raft::log_index{get_u64(rec.data())};
        out.term = raft::term_id{get_u64(rec.data() + 8)};
        auto rs = record_codec::decode_region_state(rec.substr(16));
        if (!rs) return corrupt(path, "bad region state");
        out.region = std::move(*rs);
        has_header = true;
        break;
      }
      case kind::pair: {
        if (!out.sessions.empty()) return corrupt(path, "data after sessions");
        if (rec.size() < 4 || rec.size() - 4 < get_u32(rec.data()))
          return corrupt(path, "bad data record");
        auto klen = get_u32(rec.data());
        out.data.push_back(
            kv_pair{std::string{rec.substr(4, klen)}, std::string{rec.substr(4 + klen)}});
        break;
      }
      case kind::session: {
        auto s = record_codec::decode_client_session(rec);
        if (!s) return corrupt(path, "bad client session");
        out.sessions.push_back(std::move(*s));
        break;
      }
      case kind::end:
        if (rec.size() != 16 || get_u64(rec.data()) != out.data.size() ||
            get_u64(rec.data() + 8) != out.sessions.size())
          return corrupt(path, "end record does not match the records");
        ended = true;
        break;
      default:
        return corrupt(path, "unknown record kind " + std::to_string(static_cast<int>(k)));
    }
  }
  if (!ended) return corrupt(path, "no end record");
  return out;
}

}  // namespace rdb::storage
