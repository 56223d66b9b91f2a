@0xe5177c736ecc268c;
# The client KV service every store serves on its client port. Any language with a Cap'n Proto
# binding can be a client; the C++ client library (tools/client) wraps it with a region cache
# and retries.
#
# Every result carries an `error`; `none` means the other fields hold the answer. Retryable
# errors say where to go next: `notLeader` names the leader's store and client address,
# `epochNotMatch` the regions the replica knows now. Writes carry a client id, a per-client
# sequence number and the client's lowest sequence number still waiting for an answer
# (firstIncomplete, at most seq; 0 if unknown): a region applies each (client, seq) once, so a
# client retries a write under its original number and a retry is answered without writing
# again. A client never sends a number below a firstIncomplete it sent. client 0 or seq 0:
# no deduplication.

$import "/capnp/c++.capnp".namespace("rdb::kv");

struct Peer {
  id @0 :UInt64;
  store @1 :UInt64;
  learner @2 :Bool;
}

# One region as the service knows it: range [startKey, endKey) (empty endKey is +infinity),
# epoch, replicas, the leader (peer id, 0 if unknown) and each replica store's client address.
struct RegionInfo {
  id @0 :UInt64;
  startKey @1 :Data;
  endKey @2 :Data;
  confVer @3 :UInt64;
  version @4 :UInt64;
  peers @5 :List(Peer);
  leader @6 :UInt64;
  storeAddresses @7 :List(StoreAddress);
}

struct StoreAddress {
  store @0 :UInt64;
  address @1 :Text;
}

struct Error {
  # For humans; clients branch on the union.
  detail @0 :Text;
  union {
    none @1 :Void;
    # This store has no replica of the region (or no region holds the key here).
    regionNotFound @2 :Void;
    keyNotInRegion @3 :Void;
    # leaderStore is 0 when the replica knows no leader.
    notLeader :group {
      leaderStore @4 :UInt64;
      leaderAddress @5 :Text;
    }
    epochNotMatch @6 :List(RegionInfo);
    serverBusy @7 :Void;
    # The outcome is unknown: a write may or may not have been applied.
    timeout @8 :Void;
    # Final: oversized key or value, empty key, bad range or limit.
    invalidArgument @9 :Void;
    # Final: the replica found a damaged record and stopped serving.
    storageCorrupt @10 :Void;
  }
  # A write that failed after it was proposed, or whose fate the store does not know (timeout,
  # a peer that stopped holding it): it may still be applied. False: this call certainly
  # changed nothing (refused before it was proposed, or its entry was replaced).
  mayHaveApplied @11 :Bool;
}

# Where the client believes the request belongs. region 0: the store routes by key.
struct Header {
  region @0 :UInt64;
  confVer @1 :UInt64;
  version @2 :UInt64;
}

struct KvPair {
  key @0 :Data;
  value @1 :Data;
}

struct Lookup {
  found @0 :Bool;
  value @1 :Data;
}

interface Kv {
  # Linearizable read.
  get @0 (header :Header, key :Data) -> (error :Error, found :Bool, value :Data);
  put @1 (header :Header, key :Data, value :Data, client :UInt64, seq :UInt64,
          firstIncomplete :UInt64) -> (error :Error, index :UInt64);
  delete @2 (header :Header, key :Data, client :UInt64, seq :UInt64, firstIncomplete :UInt64)
      -> (error :Error, index :UInt64);
  # Up to `limit` records of [startKey, endKey) within one region; continue from `scannedEnd`
  # when it is before endKey (empty endKey and scannedEnd mean +infinity).
  scan @3 (header :Header, startKey :Data, endKey :Data, limit :UInt32)
      -> (error :Error, pairs :List(KvPair), scannedEnd :Data);
  # Each key is routed by this store; the first failure fails the batch (reads are idempotent).
  batchGet @4 (keys :List(Data)) -> (error :Error, results :List(Lookup));
  # Each pair is one write with sequence firstSeq + its position; the first failure fails the
  # batch; the client retries its pairs under the same numbers.
  batchPut @5 (pairs :List(KvPair), client :UInt64, firstSeq :UInt64, firstIncomplete :UInt64)
      -> (error :Error);
  # The region holding `key`, as PD knows it, with its replica stores' client addresses. When
  # PD cannot be asked, the store answers from its own routes and fromPd is false.
  regionInfo @6 (key :Data) -> (error :Error, region :RegionInfo, fromPd :Bool);
  # Writes `value` under `key` if the key holds `expected` now (with expectAbsent: if it is
  # absent), decided when the region applies it; answered once that apply is durable.
  # `found`/`previous`: what the key held then. A retry of a compare-and-swap the region
  # already applied writes nothing and says `retried`: `swapped` is then the first outcome and
  # `previous` the key's value now.
  compareAndSwap @7 (header :Header, key :Data, expectAbsent :Bool, expected :Data, value :Data,
                     client :UInt64, seq :UInt64, firstIncomplete :UInt64)
      -> (error :Error, swapped :Bool, found :Bool, previous :Data, retried :Bool,
          index :UInt64);
  # Answered by the service itself, with no region, raft or storage work: whether the store
  # is up, which store it is, and what a bare round trip through the client API costs.
  ping @8 () -> (store :UInt64);
}
