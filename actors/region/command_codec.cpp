#include "actors/region/command_codec.hpp"

#include <cstring>

#include "actors/region/little_endian.hpp"

namespace rdb {

namespace {

constexpr std::uint8_t format_version = 2;
/// The layout without first_incomplete.
constexpr std::uint8_t format_v1 = 1;

void put_u8(std::string& out, std::uint8_t x) {
  out.push_back(static_cast<char>(x));
}

void put_u32(std::string& out, std::uint32_t x) {
  little_endian::append(out, x);
}

void put_u64(std::string& out, std::uint64_t x) {
  little_endian::append(out, x);
}

void put_bytes(std::string& out, std::string_view bytes) {
  put_u32(out, static_cast<std::uint32_t>(bytes.size()));
  out.append(bytes);
}

/// Reads fields front to back; the first failure sticks and names the field that was short.
class reader {
 public:
  explicit reader(std::string_view data) : data_(data) {}

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  bool at_end() const { return data_.empty(); }
  std::size_t remaining() const { return data_.size(); }

  std::uint8_t u8(const char* field) {
    if (!need(1, field)) return 0;
    auto x = static_cast<std::uint8_t>(data_[0]);
    data_.remove_prefix(1);
    return x;
  }

  std::uint32_t u32(const char* field) {
    if (!need(4, field)) return 0;
    auto x = little_endian::load<std::uint32_t>(data_);
    data_.remove_prefix(4);
    return x;
  }

  std::uint64_t u64(const char* field) {
    if (!need(8, field)) return 0;
    auto x = little_endian::load<std::uint64_t>(data_);
    data_.remove_prefix(8);
    return x;
  }

  std::string bytes(const char* field) {
    auto n = u32(field);
    if (!need(n, field)) return {};
    std::string x{data_.substr(0, n)};
    data_.remove_prefix(n);
    return x;
  }

  void fail(std::string what) {
    if (error_.empty()) error_ = std::move(what);
  }

 private:
  bool need(std::size_t n, const char* field) {
    if (!ok()) return false;
    if (data_.size() >= n) return true;
    fail(std::string{"truncated at "} + field + ": " + std::to_string(n) + " bytes needed, " +
         std::to_string(data_.size()) + " left");
    return false;
  }

  std::string_view data_;
  std::string error_;
};

}  // namespace

std::string command_codec::encode(const command& cmd) {
  std::string out;
  out.reserve(42 + 13 + cmd.key.size() + cmd.expected.size() + cmd.value.size());
  put_u8(out, format_version);
  put_u8(out, static_cast<std::uint8_t>(cmd.kind));
  put_u64(out, cmd.proposer.value());
  put_u64(out, cmd.tag);
  put_u64(out, cmd.client.value());
  put_u64(out, cmd.seq);
  put_u64(out, cmd.first_incomplete);
  switch (cmd.kind) {
    case command_kind::put:
      put_bytes(out, cmd.key);
      put_bytes(out, cmd.value);
      break;
    case command_kind::del:
      put_bytes(out, cmd.key);
      break;
    case command_kind::cas:
      put_bytes(out, cmd.key);
      put_u8(out, cmd.expect_absent ? 1 : 0);
      put_bytes(out, cmd.expected);
      put_bytes(out, cmd.value);
      break;
    case command_kind::change_peer:
      put_u8(out, static_cast<std::uint8_t>(cmd.change));
      put_u64(out, cmd.peer.id.value());
      put_u64(out, cmd.peer.store.value());
      put_u8(out, static_cast<std::uint8_t>(cmd.peer.role));
      put_u64(out, cmd.conf_ver);
      break;
    case command_kind::compact_log:
      put_u64(out, cmd.compact_index);
      put_u64(out, cmd.compact_term);
      break;
    case command_kind::split:
      put_bytes(out, cmd.key);
      put_u64(out, cmd.new_region.value());
      put_u32(out, static_cast<std::uint32_t>(cmd.new_peers.size()));
      for (auto id : cmd.new_peers)
        put_u64(out, id.value());
      put_u64(out, cmd.conf_ver);
      put_u64(out, cmd.version);
      put_u64(out, cmd.child_bytes);
      break;
  }
  return out;
}

std::optional<std::pair<peer_id, std::uint64_t>> command_codec::decode_origin(
    std::string_view data) {
  reader r{data};
  auto version = r.u8("version");
  r.u8("kind");
  peer_id proposer{r.u64("proposer")};
  auto tag = r.u64("tag");
  if (!r.ok() || (version != format_version && version != format_v1)) return std::nullopt;
  return std::pair{proposer, tag};
}

std::expected<command, request_error> command_codec::decode(std::string_view data) {
  auto corrupt = [](std::string what) {
    return std::unexpected{make_request_error(errc::storage_corrupt, region_id{},
                                              "malformed command: " + std::move(what))};
  };
  reader r{data};
  auto version = r.u8("version");
  if (r.ok() && version != format_version && version != format_v1)
    return corrupt("unknown format version " + std::to_string(version));
  command cmd;
  auto kind = r.u8("kind");
  cmd.proposer = peer_id{r.u64("proposer")};
  cmd.tag = r.u64("tag");
  cmd.client = client_id{r.u64("client")};
  cmd.seq = r.u64("seq");
  if (version == format_version) cmd.first_incomplete = r.u64("first_incomplete");
  if (!r.ok()) return corrupt(r.error());
  switch (kind) {
    case static_cast<std::uint8_t>(command_kind::put):
      cmd.kind = command_kind::put;
      cmd.key = r.bytes("key");
      cmd.value = r.bytes("value");
      break;
    case static_cast<std::uint8_t>(command_kind::del):
      cmd.kind = command_kind::del;
      cmd.key = r.bytes("key");
      break;
    case static_cast<std::uint8_t>(command_kind::cas): {
      cmd.kind = command_kind::cas;
      cmd.key = r.bytes("key");
      auto absent = r.u8("expect_absent");
      cmd.expected = r.bytes("expected");
      cmd.value = r.bytes("value");
      if (r.ok() && absent > 1) r.fail("expect_absent must be 0 or 1");
      cmd.expect_absent = absent == 1;
      break;
    }
    case static_cast<std::uint8_t>(command_kind::change_peer): {
      cmd.kind = command_kind::change_peer;
      auto change = r.u8("change");
      cmd.peer.id = peer_id{r.u64("peer id")};
      cmd.peer.store = store_id{r.u64("store id")};
      auto role = r.u8("role");
      cmd.conf_ver = r.u64("conf_ver");
      if (r.ok() && change > static_cast<std::uint8_t>(peer_change_kind::remove))
        r.fail("unknown peer change " + std::to_string(change));
      if (r.ok() && role > static_cast<std::uint8_t>(storage::peer_role::learner))
        r.fail("unknown peer role " + std::to_string(role));
      cmd.change = static_cast<peer_change_kind>(change);
      cmd.peer.role = static_cast<storage::peer_role>(role);
      break;
    }
    case static_cast<std::uint8_t>(command_kind::compact_log):
      cmd.kind = command_kind::compact_log;
      cmd.compact_index = r.u64("compact index");
      cmd.compact_term = r.u64("compact term");
      break;
    case static_cast<std::uint8_t>(command_kind::split): {
      cmd.kind = command_kind::split;
      cmd.key = r.bytes("split key");
      cmd.new_region = region_id{r.u64("new region")};
      auto count = r.u32("peer count");
      // Each id takes 8 bytes: a count the data cannot hold is damage, not a huge allocation.
      if (r.ok() && count > r.remaining() / 8) r.fail("peer count " + std::to_string(count));
      for (std::uint32_t k = 0; r.ok() && k < count; ++k)
        cmd.new_peers.push_back(peer_id{r.u64("peer id")});
      cmd.conf_ver = r.u64("conf_ver");
      cmd.version = r.u64("version");
      cmd.child_bytes = r.u64("child bytes");
      break;
    }
    default:
      // Not necessarily damage: a newer binary may have written a kind this one predates.
      return corrupt("command kind " + std::to_string(kind) +
                     " is unknown to this binary (written by a newer rdb?)");
  }
  if (!r.ok()) return corrupt(r.error());
  if (!r.at_end()) return corrupt(std::to_string(r.remaining()) + " trailing bytes");
  return cmd;
}

}  // namespace rdb
