#include "actors/store/store_types.hpp"

#include "actors/common/errors.hpp"
#include "actors/region/region_peer_interface.hpp"
#include "actors/store/split_checker.hpp"
#include "actors/store/store_writer_interface.hpp"
#include "actors/store/ticker_interface.hpp"
#include "actors/transport/transport_interface.hpp"
#include "pd/pd_interface.hpp"

namespace rdb {

void add_store_types(caf::actor_system_config& cfg) {
  pd::add_pd_types(cfg);
  add_error_category(cfg);
  cfg.add_message_type<client_id>("rdb.client_id");
  cfg.add_message_type<storage::region_local_state>("rdb.region_state");
  cfg.add_message_type<storage::kv_pair>("rdb.kv_pair");
  cfg.add_message_type<request_header>("rdb.req_header");
  cfg.add_message_type<get_request>("rdb.get_req");
  cfg.add_message_type<get_response>("rdb.get_resp");
  cfg.add_message_type<put_request>("rdb.put_req");
  cfg.add_message_type<delete_request>("rdb.del_req");
  cfg.add_message_type<write_response>("rdb.write_resp");
  cfg.add_message_type<cas_request>("rdb.cas_req");
  cfg.add_message_type<cas_response>("rdb.cas_resp");
  cfg.add_message_type<scan_request>("rdb.scan_req");
  cfg.add_message_type<scan_response>("rdb.scan_resp");
  cfg.add_message_type<change_peer_request>("rdb.chg_peer_req");
  cfg.add_message_type<split_request>("rdb.split_req");
  cfg.add_message_type<split_checker_stats>("rdb.split_chk_stats");
  cfg.add_message_type<split_child>("rdb.split_child");
  cfg.add_message_type<region_status>("rdb.region_status");
  cfg.add_message_type<raft_envelope>("rdb.raft_env");
  cfg.add_message_type<raft_batch>("rdb.raft_batch");
  cfg.add_message_type<snapshot_chunk>("rdb.snap_chunk");
  cfg.add_message_type<write_task>("rdb.write_task");
  cfg.add_message_type<persisted>("rdb.persisted");
  cfg.add_message_type<writer_stats>("rdb.writer_stats");
  cfg.add_message_type<ticker_stats>("rdb.ticker_stats");
}

}  // namespace rdb
