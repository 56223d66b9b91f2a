#include "storage/key_codec.hpp"

#include "storage/bucket.hpp"

namespace rdb::storage::keys {

void put_u64(char* out, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

std::uint64_t get_u64(const char* in) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

log_key make_log_key(region_id region, raft::log_index index) {
  log_key k;
  put_u64(k.data(), region.value());
  put_u64(k.data() + 8, index.value());
  return k;
}

std::optional<std::pair<region_id, raft::log_index>> parse_log_key(std::string_view key) {
  if (key.size() != 16) return std::nullopt;
  return std::pair{region_id{get_u64(key.data())}, raft::log_index{get_u64(key.data() + 8)}};
}

state_key make_state_key(region_id region, state_kind kind) {
  state_key k;
  put_u64(k.data(), region.value());
  k[8] = static_cast<char>(kind);
  return k;
}

std::optional<std::pair<region_id, state_kind>> parse_state_key(std::string_view key) {
  if (key.size() != 9 && key.size() != 17) return std::nullopt;
  auto kind = static_cast<state_kind>(key[8]);
  if ((key.size() == 17) != (kind == state_kind::client_session)) return std::nullopt;
  return std::pair{region_id{get_u64(key.data())}, kind};
}

session_key make_session_key(region_id region, std::uint64_t client) {
  session_key k;
  put_u64(k.data(), region.value());
  k[8] = static_cast<char>(state_kind::client_session);
  put_u64(k.data() + 9, client);
  return k;
}

void make_data_key(std::string& out, std::string_view user_key) {
  auto kept = user_key.substr(0, bucket_prefix);
  out.clear();
  out.reserve(kept.size() + 1);
  out.push_back(data_prefix);
  out.append(kept);
}

std::string make_data_key(std::string_view user_key) {
  std::string out;
  make_data_key(out, user_key);
  return out;
}

std::optional<std::string_view> parse_data_key(std::string_view key) {
  if (key.empty() || key.front() != data_prefix) return std::nullopt;
  return key.substr(1);
}

bool is_bucket_key(std::string_view key) {
  return key.size() == 1 + bucket_prefix;
}

}  // namespace rdb::storage::keys
