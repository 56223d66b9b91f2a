#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "actors/common/errc.hpp"
#include "actors/raft/conf_change.hpp"
#include "actors/raft/raw_node.hpp"
#include "actors/region/command_codec.hpp"
#include "actors/region/proposal_queue.hpp"
#include "actors/region/raft_storage.hpp"
#include "actors/region/requests.hpp"
#include "actors/region/session_table.hpp"
#include "actors/store/writer_types.hpp"
#include "actors/transport/transport_types.hpp"
#include "pd/types.hpp"
#include "storage/engines.hpp"
#include "storage/store.hpp"

namespace rdb {

/// Tuning of one region replica. Time is counted in ticks of the store's ticker.
struct peer_config {
  store_id store;
  region_id region;
  /// Set when a leader's raft message created this replica (none: PD's layout founded it, or
  /// it is opened from disk): the peer id the message named. Without an initialized replica on
  /// disk, the peer opens uninitialized under that id and waits for a snapshot.
  peer_id created_as;
  int election_tick = 10;
  int heartbeat_tick = 2;
  /// Seeds the election timeout randomisation (the raft core mixes in the peer id).
  std::uint64_t seed = 0;
  /// Stop asking for ticks after `hibernate_after_ticks` quiet ticks (0: twice the election
  /// timeout) once nothing is pending and, on a leader, every follower has caught up. Quiet
  /// means no client request and no raft message but heartbeats: a follower then counts the
  /// same quiet ticks as its leader, so both go to sleep together and no election starts.
  bool hibernate = true;
  int hibernate_after_ticks = 0;
  /// Writes and reads one replica lets wait at a time; beyond it requests get `server_busy`
  /// at once instead of piling up behind a stuck quorum.
  std::size_t max_pending_requests = 10000;
  /// Largest key and value a client may send (the store's setting).
  request_limits limits;
  /// Bounds of the region's client sessions (actors/region/session_table.hpp).
  session_table::limits sessions;
  /// Readies whose log half may be with the log writer at once. With more than one, new
  /// entries (and the commit of earlier ones) leave without waiting for the write before.
  std::size_t max_outstanding_readies = 1;
  /// How long after a quorum last heard from this leader it serves reads without a ReadIndex
  /// round (zero: never). Must stay below the time its followers take to give up on it: an
  /// election timeout less one tick (a follower's first tick after hearing from the leader
  /// may come at once), less the clock drift allowed between stores (see `lease`).
  std::chrono::nanoseconds lease{0};
  /// A leader hands leadership (a PD directive) only to a voter it heard from recently whose
  /// log is at most this many entries behind the commit index: while a transfer is in flight
  /// no proposal is taken, and a target that cannot catch up holds them for an election
  /// timeout.
  std::uint64_t transfer_max_lag = 128;
  /// Log compaction (actors/region/peer_compact.cpp): every `log_gc_ticks` ticks (0: never)
  /// the leader compacts the log once at least `log_gc_threshold` entries can go.
  /// A leader reports a replica it has not heard from for this long as down.
  std::chrono::nanoseconds down_after{std::chrono::seconds{10}};
  int log_gc_ticks = 50;
  std::uint64_t log_gc_threshold = 1024;
  /// The log a replica that lags holds back at most: past it, the leader compacts anyway and
  /// the replica gets a snapshot.
  std::uint64_t log_gc_count_limit = 16384;
};

/// The longest safe `peer_config::lease` for a store whose regions tick every `tick_interval`
/// and campaign after `election_tick` ticks, when clocks of different stores may disagree on a
/// duration of that order by up to `max_drift`: zero when nothing is left.
std::chrono::nanoseconds longest_safe_lease(int election_tick,
                                            std::chrono::nanoseconds tick_interval,
                                            std::chrono::nanoseconds max_drift);

/// The answer for the client the actor registered under `token`: an error or the response of
/// the request's kind.
struct peer_reply {
  using answer_type =
      std::variant<request_error, get_response, write_response, scan_response, cas_response>;

  std::uint64_t token = 0;
  answer_type answer;
};

/// What the peer asks its actor to do after an input. The actor drains it after every message.
struct peer_output {
  /// Raft messages for the transport.
  std::vector<raft_envelope> messages;
  /// Persistence work for the store writers, each to the writer of its `stage`: at most one
  /// log half (of the ready just taken) and apply halves of readys whose log half is durable.
  std::vector<write_task> tasks;
  /// Raft has a ready but one is being written: the actor calls `take_deferred_ready` once
  /// the messages queued before it are handled, so they all join one ready.
  bool ready_deferred = false;
  std::vector<peer_reply> replies;
  /// A read waits for an apply half that the apply writer may hold back: ask it to commit.
  bool urge_apply = false;
  /// The known leader changed (tell the router and, when leading, PD).
  bool leader_changed = false;
  /// The region meta changed (tell the router and PD).
  bool meta_changed = false;
  /// Raft snapshot messages, for the transport's snapshot channel (the file travels with them).
  std::vector<raft_envelope> snapshots;
  /// Raft wants a snapshot that is not prepared: ask the snapshot worker for one and hand the
  /// answer to `on_snapshot_generated`.
  bool generate_snapshot = false;
  /// Regions split off this one whose founding (with this replica's shrunk meta) is now
  /// written (peer_split.cpp): the store starts their peers and routes them with this one.
  std::vector<storage::region_meta> splits;
  /// The replica left its region and its state is gone from the store (peer_destroy.cpp): the
  /// actor stops, and nothing routes to it any more.
  bool destroyed = false;
  /// The replica cannot go on (a failed write, an unsupported snapshot, a committed entry it
  /// cannot decode or a command kind it does not know); the actor stops and its supervisor
  /// restarts it from disk, up to its restart budget.
  std::optional<std::string> fatal;
};

/// The logic of one region replica: a raft node over the region's LMDB log, the proposal queue,
/// ReadIndex reads and the apply step. No CAF and no threads: the region peer actor feeds it
/// inputs and carries out its `peer_output`.
///
/// The ready cycle: after every input the peer takes a ready if raft has one and none is
/// outstanding; if some are (up to `max_outstanding_readies`), the actor takes it once its
/// mailbox has been worked off, so one ready carries everything that came meanwhile. Its `messages`
/// go out at once; its entries and hard state become the log half of a `write_task`, the effects of
/// its committed entries (data changes, apply state, region meta) the apply half
/// (storage/engines.hpp). When the log writer acknowledges the log half
/// (`on_persisted`, oldest ready first), the peer sends the ready's `persisted_messages`, applies
/// conf changes to raft, advances raft and hands the apply half to the apply writer: so an entry
/// reaches the kv environment only once it is durable in the log. When the apply writer
/// acknowledges that, the peer answers the membership changes now applied and serves reads whose
/// read index is now applied. Apply halves of several readys may be in flight at once; the apply
/// writer acknowledges them in order.
///
/// Puts and deletes are answered when the ready that hands out their committed entry is taken,
/// without waiting for the apply batch: the entry is already durable on a quorum, so it will
/// be applied. Reads see only written applied data (a read waits until its read index, at
/// least the commit index of any write answered before it, is applied), which keeps them
/// linearizable.
class peer {
 public:
  /// Opens the replica of `cfg.region` from `st`; the store must hold its founding state and
  /// must not have tombstoned it (`not_found` then), unless `cfg.created_as` names the peer a
  /// leader's message created: then a store without an initialized replica opens it
  /// uninitialized (raft_storage::open_uninitialized). An uninitialized replica has no range
  /// and serves no client; it answers its leader, never votes or campaigns, and becomes a
  /// replica like any other when it installs its first snapshot.
  static storage::result<std::unique_ptr<peer>> open(const peer_config& cfg,
                                                     const storage::engines& st);

  // -- client requests (answered through the output's replies, now or later) ----------------

  void get(std::uint64_t token, const get_request& req);
  void scan(std::uint64_t token, const scan_request& req);
  void put(std::uint64_t token, const put_request& req);
  void del(std::uint64_t token, const delete_request& req);
  void cas(std::uint64_t token, const cas_request& req);
  void change_peer(std::uint64_t token, const change_peer_request& req);
  void split(std::uint64_t token, const split_request& req);

  // -- raft inputs ------------------------------------------------------------------------------

  /// A raft message from the transport; dropped unless addressed to this replica, and dropped
  /// when it comes from a peer of an older epoch that the region no longer lists.
  void step(const raft_envelope& env);
  void tick();
  /// The lease's end and the commit index, while this leader may serve reads by its lease: what
  /// the actor publishes for the KV service's local reads (actors/region/lease_grant.hpp).
  struct lease_terms {
    std::chrono::steady_clock::time_point until;
    raft::log_index commit;

    bool operator==(const lease_terms&) const = default;
  };
  std::optional<lease_terms> lease() const;
  /// The store's monotonic time now: the actor sets it before every input, tests set it by
  /// hand. It only ever keeps the leader's read lease (see `lease`).
  void set_now(std::chrono::steady_clock::time_point now) { now_ = now; }
  void campaign();
  /// The transport cannot reach replica `id`: a leader probes it; a follower whose leader it
  /// is stops hibernating.
  void report_unreachable(peer_id id);
  void on_persisted(const persisted& ack);
  /// The snapshot worker's answer to `peer_output::generate_snapshot` (nothing: it failed).
  void on_snapshot_generated(std::optional<raft::snapshot> snap);
  /// The transport's snapshot channel delivered (or failed to deliver) a snapshot to `to`.
  void on_snapshot_sent(peer_id to, bool ok);
  /// Carries out a PD directive if this replica leads, the epoch still matches and (for a
  /// leader transfer) the target has caught up; whether it did.
  bool on_directive(const pd::directive& d);
  /// PD knows the region under `current`, a newer membership that does not list this replica
  /// (it was removed while its store was away): destroys it as if it had applied its removal.
  /// False, and nothing changes, if `current` is not newer or lists this replica's peer id.
  bool on_removed_elsewhere(const storage::region_meta& current);

  // -- outputs and observers --------------------------------------------------------------------

  peer_output take_output();

  /// Takes the ready deferred by `peer_output::ready_deferred`, if raft still has one.
  void take_deferred_ready();
  /// False once the replica is quiet enough to hibernate (see `peer_config::hibernate`).
  bool wants_ticks() const;
  region_status status() const;
  /// A leader's view of the other replicas (see `region_status`); empty on a follower.
  std::vector<storage::region_peer> pending_peers() const;
  std::vector<storage::region_peer> down_peers() const;
  const storage::region_meta& meta() const { return storage_->region_state().region; }
  /// False until the first snapshot of a replica created by message is installed.
  bool initialized() const { return storage_->initialized(); }
  const storage::region_peer& self() const { return self_; }
  /// The leader this replica knows of (id none if none).
  storage::region_peer leader() const;
  bool is_leader() const;
  /// Committed writes skipped at apply as retries of writes applied before.
  std::uint64_t duplicate_writes() const { return duplicate_writes_; }
  const session_table& sessions() const { return sessions_; }

 private:
  peer(const peer_config& cfg, std::shared_ptr<storage::store> kv, std::unique_ptr<raft_storage> rs,
       storage::region_peer self, session_table sessions);

  /// A read waiting for its read index, then for that index to be applied.
  struct pending_read {
    std::uint64_t token = 0;
    bool is_scan = false;
    get_request get;
    scan_request scan;
    raft::log_index index;
    /// The read-index round it waits on (the round's context tag); 0: the next one;
    /// `lease_round`: none, its index came from the lease.
    std::uint64_t round = 0;
  };
  static constexpr std::uint64_t lease_round = ~std::uint64_t{0};

  /// A committed entry this replica proposed.
  struct applied_entry {
    raft::log_index index;
    raft::term_id term;
    std::uint64_t tag = 0;
    /// A compare-and-swap's outcome, decided at apply.
    std::optional<cas_response> cas;
  };

  /// The apply half of a ready, and what waits for it to be written.
  struct applying {
    std::uint64_t number = 0;
    write_task task;
    /// Proposals whose answer waits until their apply is written.
    std::vector<applied_entry> applied;
  };

  /// A ready whose log half was handed to the log writer and not yet acknowledged.
  struct outstanding {
    std::uint64_t number = 0;
    /// The whole task without its data changes: what `raft_storage::on_persisted` needs.
    write_task summary;
    std::vector<raft::message> persisted_messages;
    std::vector<raft::conf_change> conf_changes;
    /// Sent to the apply writer once the log half is durable (empty: nothing to apply).
    applying apply;
  };

  // -- checks ---------------------------------------------------------------------------------

  std::optional<request_error> check_header(const request_header& h, bool admin) const;
  std::optional<request_error> check_key(std::string_view key) const;
  std::optional<request_error> check_value(std::string_view value) const;
  /// Every check of a client write: header, key, sizes, leadership, capacity.
  std::optional<request_error> check_write(const request_header& h, std::string_view key,
                                           std::string_view value, std::string_view expected) const;
  std::optional<request_error> check_leader() const;
  std::optional<request_error> check_capacity() const;
  void fail(std::uint64_t token, request_error e);
  void reply(std::uint64_t token, peer_reply::answer_type answer);

  // -- proposals and reads --------------------------------------------------------------------

  void propose(std::uint64_t token, command cmd);
  void read(std::uint64_t token, pending_read r);
  /// Starts a read-index round for every read waiting for the next one, unless a round is in
  /// flight.
  void start_read_round();
  /// Round `tag` confirmed read index `index`.
  void end_read_round(std::uint64_t tag, raft::log_index index);
  void serve_reads();
  void serve(const pending_read& r);

  // -- the ready cycle --------------------------------------------------------------------------

  /// Takes a ready now if none is outstanding, or defers it (see `peer_output`).
  void maybe_handle_ready();
  void take_ready();
  // -- snapshots (peer_snapshot.cpp) -------------------------------------------------------------
  /// Starts installing the snapshot of `rd` (a ready that carries one carries nothing else to
  /// write): its kv half first.
  void install_snapshot(raft::ready& rd);
  /// Whether a received snapshot is of an older membership or range than this replica's meta
  /// (a stale leader's): then its staged file is dropped and raft never sees it.
  bool stale_snapshot(const raft::snapshot& snap) const;
  /// Whether `env` comes from a replica of an older epoch that is no longer a member.
  bool stale_sender(const raft_envelope& env) const;
  /// Takes an acknowledgement that belongs to the install in progress; false if it does not.
  bool on_install_persisted(const persisted& ack);
  void finish_install();
  // -- splits (peer_split.cpp) -----------------------------------------------------------------
  /// Applies a committed split to `m` and founds its child in `task`; the refusal if it is stale.
  std::optional<request_error> apply_split(const command& cmd, storage::region_meta& m,
                                           write_task& task);
  /// Fails the proposal bound at `index` with `err`: its committed entry is not applied.
  void refuse_entry(raft::log_index index, request_error err);
  // -- leaving the region (peer_destroy.cpp) ----------------------------------------------------
  /// Starts the destroy once the apply of this replica's own removal is written and nothing
  /// else is in flight.
  void maybe_destroy();
  /// The meta the tombstone records (see peer_destroy.cpp).
  storage::region_meta tombstone_meta() const;
  /// Takes every acknowledgement while the destroy is under way.
  void on_destroy_persisted(const persisted& ack);
  /// Sends the log writer the install's log half: every entry gone, the log truncated where
  /// `as` says, and `hs` if set. Also sent at open when a crash left it undone
  /// (`raft_storage::open`), as ready 0.
  void reset_log(std::uint64_t ready, const storage::apply_state& as,
                 const std::optional<raft::hard_state>& hs);
  /// Whether the log half of a ready changes nothing on disk that must precede its effects:
  /// then it is not written, and the ready goes on as if it were acknowledged at once.
  bool needs_no_log_write(const write_task& task) const;
  /// Fails what a replica that stopped leading still owes, except proposals committed up to
  /// `committed` (they are answered when their ready is durable).
  void handle_soft_state(const raft::soft_state& ss, raft::log_index committed);
  void send(std::vector<raft::message> msgs);
  /// Turns the committed entries into data changes, apply state and region meta of `task`.
  void apply_committed(std::vector<raft::entry>& ents, write_task& task, outstanding& out);
  /// Adds the data change of a put or delete to `task`, unless it retries an applied write.
  void apply_write(command& cmd, raft::log_index index, write_task& task);
  /// Decides a compare-and-swap against the key's value as of the entries before it and adds
  /// its write to `task` if it swaps. A storage failure reading the value is fatal.
  cas_response apply_cas(command& cmd, raft::log_index index, write_task& task);
  /// The value of `key` as of every entry handed out so far: the latest unwritten change, or
  /// else the kv environment.
  storage::result<std::optional<std::string>> current_value(const std::string& key) const;
  /// Remembers a change of `key` by the apply half of ready `ready` until it is written.
  void note_unwritten(std::uint64_t ready, const std::string& key,
                      std::optional<std::string> value);
  void on_log_persisted();
  void on_applied(const persisted& ack);
  /// Applies a conf change entry to `meta` and raft; false (and the replica stops) if the entry
  /// cannot be decoded.
  bool apply_conf_change_entry(const raft::entry& e, storage::region_meta& meta, outstanding& out);
  /// Stops the replica at committed entry `e`, which it cannot apply (see `peer_output::fatal`).
  void stop_on_entry(const raft::entry& e, const std::string& why);
  /// Whether replica `id` may take leadership without stalling writes (see
  /// `peer_config::transfer_max_lag`).
  bool caught_up(peer_id id) const;
  /// Answers the proposal bound at the entry's index: success if the entry is its own.
  void answer(const applied_entry& a);
  /// Fails the proposal bound at `index`, if any: a committed entry not its own took its place.
  void fail_replaced(raft::log_index index);
  void answer_applied(const applying& a);
  void note_activity() { quiet_ticks_ = 0; }

  // -- log compaction (peer_compact.cpp) ---------------------------------------------------------

  /// On a leader's tick: proposes a compaction when enough of the log can go.
  void maybe_propose_compaction();
  /// Applies a `compact_log` command committed at index `at`.
  void apply_compaction(const command& cmd, raft::log_index at);
  /// Hands the pending compaction to the log writer once what it needs is durable.
  void maybe_compact();

  // -- the read lease (peer_lease.cpp) ---------------------------------------------------------

  /// Whether a read may take the commit index as its read index now, without a round.
  bool lease_valid() const;
  /// A quorum heard from this leader at or after `from` (it acknowledged something sent
  /// then): the lease runs until `from + lease`, unless it was suspended since `epoch`.
  void renew_lease(std::chrono::steady_clock::time_point from, std::uint64_t epoch);
  /// Leadership changed hands: the lease ends, and no confirmation of anything sent before
  /// renews it.
  void suspend_lease();
  /// Notes the entries this leader hands out in a ready and renews the lease for those a
  /// quorum has now committed.
  void note_lease_marks(const std::vector<raft::entry>& appended);

  peer_config cfg_;
  /// The kv environment: reads are served from it.
  std::shared_ptr<storage::store> kv_;
  std::unique_ptr<raft_storage> storage_;
  raft::raw_node raw_;
  storage::region_peer self_;
  proposal_queue proposals_;
  std::map<std::uint64_t, pending_read> reads_;
  /// The read-index round in flight (its context tag), 0 if none. Reads that come while one
  /// is in flight wait for the next round, which starts when it ends: one heartbeat round then
  /// serves them all. They cannot join the round in flight: its read index may predate a
  /// write answered before they came.
  std::uint64_t read_round_ = 0;
  /// Readies whose log half is with the log writer, oldest first.
  std::deque<outstanding> outstanding_;
  /// Apply halves sent to the apply writer, oldest first.
  std::deque<applying> applying_;
  /// The ready number of the last apply half whose commit was urged.
  std::uint64_t urged_ = 0;
  peer_output output_;
  /// Written applied index: reads at or below it are served.
  raft::log_index applied_;
  /// The last committed index handed out in a ready; its apply may still be on its way.
  raft::log_index handed_out_;
  raft::node_id leader_id_;
  std::uint64_t next_tag_ = 1;
  int quiet_ticks_ = 0;
  std::chrono::steady_clock::time_point now_;
  std::chrono::steady_clock::time_point lease_until_;
  /// Bumped by `suspend_lease`; a renewal counts only if none happened since it was sent.
  std::uint64_t lease_epoch_ = 0;
  /// Own entries handed out, oldest first: the last index of a ready's entries, when they left,
  /// and the lease epoch then. Once committed, a quorum heard from us after that time.
  struct lease_mark {
    raft::log_index index;
    std::chrono::steady_clock::time_point sent;
    std::uint64_t epoch = 0;
  };
  std::deque<lease_mark> lease_marks_;
  /// When the read-index round in flight started, and the lease epoch then.
  std::chrono::steady_clock::time_point round_started_;
  std::uint64_t round_epoch_ = 0;
  std::uint64_t lease_reads_ = 0;
  /// Sessions as of `handed_out_`; on disk as of their last checkpoint.
  session_table sessions_;
  std::uint64_t duplicate_writes_ = 0;
  /// The latest change of each key made by an apply half not yet written (nothing: deleted),
  /// and the ready number of that half: what a compare-and-swap sees on top of the kv
  /// environment. `unwritten_keys_` lists each ready's keys, oldest first, to forget them.
  struct unwritten {
    std::uint64_t ready = 0;
    std::optional<std::string> value;
  };
  std::unordered_map<std::string, unwritten> unwritten_;
  /// When the leader last heard from each other replica (by peer id), and since when it leads.
  std::unordered_map<std::uint64_t, std::chrono::steady_clock::time_point> last_heard_;
  /// While uninitialized: the replicas that wrote to this one, by peer id (their addresses).
  std::unordered_map<std::uint64_t, storage::region_peer> senders_;
  std::chrono::steady_clock::time_point leading_since_;
  bool is_leader_now_ = false;
  /// The number of the latest ready taken.
  std::uint64_t last_ready_ = 0;
  /// The applied index of the latest apply acknowledgement, and of the one before: the kv
  /// commit of the latest acknowledgement followed that one, which made it durable.
  raft::log_index acked_applied_;
  raft::log_index durable_applied_;
  /// A compaction applied but not yet written: the log may go up to `up_to` once the apply
  /// of entry `after` (the command's, whose batch checkpoints the sessions) is durable.
  struct pending_compaction {
    raft::log_index up_to;
    raft::log_index after;
  };
  std::optional<pending_compaction> compaction_;
  int gc_ticks_ = 0;
  /// Snapshots a leader sent, by replica: the index each was taken at and when it went. The log
  /// is kept from there until the replica confirms the install (or `peer_config::down_after`
  /// passes, or the transfer failed), so that it resumes from the log rather than needing
  /// another snapshot because the log moved on while it received and installed this one.
  struct snapshot_hold {
    raft::log_index index;
    std::chrono::steady_clock::time_point sent;
  };
  std::unordered_map<std::uint64_t, snapshot_hold> snapshot_holds_;
  /// The latest compaction this leader proposed, and in which term.
  raft::log_index compaction_proposed_;
  raft::term_id compaction_proposed_term_;
  std::deque<std::pair<std::uint64_t, std::vector<std::string>>> unwritten_keys_;
  /// A snapshot from the leader being installed: its kv half, then its log half, are written
  /// before raft advances past it.
  struct installing {
    std::uint64_t number = 0;
    raft::snapshot_metadata meta;
    std::string file;
    storage::region_local_state region;
    std::optional<raft::hard_state> hard;
    std::vector<raft::message> persisted_messages;
    bool kv_done = false;
  };
  std::optional<installing> install_;
  /// The snapshot worker is making a snapshot for this leader.
  bool generating_ = false;
  /// The index of the conf change that removed this replica (none while it is a member).
  raft::log_index removed_at_;
  /// Set by `on_removed_elsewhere`: the membership the tombstone records.
  std::optional<storage::region_meta> removed_by_;
  /// The destroy under way: the number its tasks carry, and whether the kv half is written.
  struct destroying {
    std::uint64_t number = 0;
    bool kv_done = false;
  };
  std::optional<destroying> destroy_;
};

}  // namespace rdb
