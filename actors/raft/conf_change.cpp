#include "actors/raft/conf_change.hpp"

namespace rdb::raft {

std::string_view to_string(conf_change_type t) {
  switch (t) {
    case conf_change_type::add_voter:
      return "add_voter";
    case conf_change_type::add_learner:
      return "add_learner";
    case conf_change_type::remove_node:
      return "remove_node";
  }
  return "unknown";
}

std::string conf_change::encode() const {
  std::string out;
  out.reserve(9 + context.size());
  out.push_back(static_cast<char>(type));
  auto v = node_id.value();
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  out += context;
  return out;
}

std::expected<conf_change, error> conf_change::decode(std::string_view data) {
  if (data.size() < 9) return std::unexpected{error{errc::malformed, "conf change too short"}};
  auto t = static_cast<std::uint8_t>(data[0]);
  if (t > static_cast<std::uint8_t>(conf_change_type::remove_node))
    return std::unexpected{error{errc::malformed, "unknown conf change type"}};
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v |= std::uint64_t{static_cast<unsigned char>(data[1 + i])} << (8 * i);
  conf_change cc;
  cc.type = static_cast<conf_change_type>(t);
  cc.node_id = raft::node_id{v};
  cc.context = std::string{data.substr(9)};
  return cc;
}

}  // namespace rdb::raft
