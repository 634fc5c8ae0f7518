// The engine's state snapshot, module by module: each module's whole state written to bytes and
// read back into a module configured as the saved one was, so that the loaded module behaves
// exactly as the saved one would from there on (same events, same order, same handles).
//
// Loading checks every count, index and cross-reference (an item in one slot, each pending timer
// pointing at the clock that holds it, a free list that runs through every free slot once), so
// that structurally corrupt input is an InvalidArgument error and never makes the load read or
// write out of bounds; a refused load changes nothing. Values within the structure (instants,
// counters) are taken as written: the snapshot's checksum guards them.
// Caches (resolved targets, calendar memos) are not saved: they refill as they are used.
#ifndef OMNIROUTE_SRC_INTERNAL_STATE_CODEC_H_
#define OMNIROUTE_SRC_INTERNAL_STATE_CODEC_H_

#include <algorithm>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "internal/byte_codec.h"
#include "omniroute/agents.h"
#include "omniroute/indexed_heap.h"
#include "omniroute/lifecycle.h"
#include "omniroute/quantile_sketch.h"
#include "omniroute/router.h"
#include "omniroute/skills.h"
#include "omniroute/sla.h"
#include "omniroute/sla_tracker.h"
#include "omniroute/slab.h"
#include "omniroute/timer_wheel.h"
#include "omniroute/work_queue.h"

namespace omniroute::internal {

// The entries of `table`, a hash map keyed by unsigned integers, sorted by key as (key, pointer to
// value) pairs: the order a snapshot writes them in, as the table's own depends on its hash seed.
// Ids handed out in order and forgotten as their items close usually fill a good part of 0 .. the
// largest; each entry is then placed at its key rather than sorted. O(n + largest key) when the
// keys are that dense, else O(n log n).
template <typename Map>
std::vector<std::pair<typename Map::key_type, const typename Map::mapped_type*>> SortedByKey(
    const Map& table) {
  using Key = typename Map::key_type;
  using Value = typename Map::mapped_type;
  std::vector<std::pair<Key, const Value*>> sorted;
  sorted.reserve(table.size());
  Key largest = 0;
  for (const auto& entry : table) largest = std::max(largest, entry.first);
  if (largest <= 4 * table.size() + 1024) {
    std::vector<const Value*> by_key(static_cast<size_t>(largest) + 1, nullptr);
    for (const auto& [key, value] : table) by_key[key] = &value;
    for (Key key = 0; key <= largest; ++key) {
      if (by_key[key] != nullptr) sorted.emplace_back(key, by_key[key]);
    }
    return sorted;
  }
  for (const auto& [key, value] : table) sorted.emplace_back(key, &value);
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return sorted;
}

// The requirement plans that queued items and requirement classes share, each saved once and
// referred to by number (0: none), so that a loaded state shares them as the saved one did.
class PlanTable {
 public:
  // Saving: empty, numbering plans as they are met.
  PlanTable() = default;
  // Loading: `plans` numbered 1, 2, ... in order.
  explicit PlanTable(std::vector<std::shared_ptr<const RequirementPlan>> plans);

  // The number of `plan` (0 for null); a plan not met before is numbered after the others.
  uint64_t NumberOf(const std::shared_ptr<const RequirementPlan>& plan);
  // The plan numbered `number` (null for 0). InvalidArgument for a number beyond the table.
  absl::StatusOr<std::shared_ptr<const RequirementPlan>> PlanOf(uint64_t number) const;
  // In number order (the first is number 1).
  const std::vector<std::shared_ptr<const RequirementPlan>>& plans() const { return plans_; }

 private:
  absl::flat_hash_map<const RequirementPlan*, uint64_t> numbers_;
  std::vector<std::shared_ptr<const RequirementPlan>> plans_;
};

class StateCodec {
 public:
  static void Save(const QuantileSketch& sketch, ByteWriter& out);
  static absl::Status Load(QuantileSketch& sketch, ByteReader& in);

  static void Save(const ItemLifecycle& life, ByteWriter& out);
  static absl::Status Load(ItemLifecycle& life, ByteReader& in);

  static void Save(const SlaClock& clock, ByteWriter& out);
  static absl::Status Load(SlaClock& clock, ByteReader& in);

  static void Save(TimerHandle handle, ByteWriter& out);
  static absl::Status Load(TimerHandle& handle, ByteReader& in);

  // The tracker's clock, interned labels and pause reasons, items (slab order, with their clocks,
  // timers and finished cycles), attainment, unpolled events and timer wheel. O(items).
  static void Save(const SlaTracker& tracker, ByteWriter& out);
  // Into `tracker`, which must have the saved origin and tick and hold every saved policy (by
  // name; in any order, and no items). O(items).
  static absl::Status Load(SlaTracker& tracker, ByteReader& in);

  static void Save(HeapHandle handle, ByteWriter& out);
  static absl::Status Load(HeapHandle& handle, ByteReader& in);

  // The set's clock and every queue's items (slab order, with their keys, requirement plans by
  // number in `plans`, heap handles and relaxation timers), requirement classes, heaps, timers and
  // unpolled events. O(items + classes).
  static void Save(const WorkQueueSet& set, PlanTable& plans, ByteWriter& out);
  // Into `set`, which must hold the saved queues (same names, same order; options as they are
  // now) and no items; plans are looked up in `plans`. O(items + classes).
  static absl::Status Load(WorkQueueSet& set, const PlanTable& plans, ByteReader& in);

  // The pool's agents (loads, held work, timers, counters, heap handles), buckets with their
  // ready heaps, timers, unpolled events and random state. O(agents + buckets).
  static void Save(const AgentPool& pool, ByteWriter& out);
  // Into `pool`, built with the saved channels and options. O(agents + buckets).
  static absl::Status Load(AgentPool& pool, ByteReader& in);

  // The router's items (by id, with their held and extra records), queues, agent pool, bucket
  // tables, timers and unpolled events. O(items log items + agents + classes).
  static void Save(const Router& router, PlanTable& plans, ByteWriter& out);
  // Into `router`, built with the saved channels, options and queues and holding nothing else.
  // O(items + agents + classes).
  static absl::Status Load(Router& router, const PlanTable& plans, ByteReader& in);

 private:
  static absl::Status ReadTracker(SlaTracker& tracker, ByteReader& in);
  static absl::Status ReadPool(AgentPool& pool, ByteReader& in);
  static absl::Status ReadRouter(Router& router, const PlanTable& plans, ByteReader& in);
  static void SaveQueue(const WorkQueue& queue, PlanTable& plans, ByteWriter& out);
  static absl::Status ReadQueue(WorkQueue& queue, const PlanTable& plans, ByteReader& in);
  // Checks that the items, classes, heaps and timers of a queue just read name each other.
  static absl::Status CheckQueue(const WorkQueue& queue, const std::vector<bool>& live);
};

}  // namespace omniroute::internal

#endif  // OMNIROUTE_SRC_INTERNAL_STATE_CODEC_H_
