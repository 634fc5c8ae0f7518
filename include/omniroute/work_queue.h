// Work queues: waiting work in the order a queue's policy says, grouped by requirement class.
//
//   omniroute::WorkQueueOptions options;
//   options.order = omniroute::QueueOrder::kWeightedAging;
//   options.priority_levels = 3;                 // priorities 0 (A), 1 (B), 2 (C)
//   options.aging_weight = absl::Minutes(10);     // one priority level = 10 virtual minutes
//   options.max_wait_by_priority = {absl::Minutes(5), absl::Minutes(30), absl::Hours(4)};
//   absl::StatusOr<omniroute::WorkQueue> queue = omniroute::WorkQueue::Create(options, now);
//   queue->Push(17, {.priority = 1, .arrival = now, .requirement = plan});
//   queue->AdvanceTo(now + absl::Minutes(3));     // may relax requirements: PollEvents()
//   std::optional<omniroute::WorkItemId> next = queue->Top();
//
// Orderings (`QueueOrder`), each a key that stays constant while time passes, so waiting never
// re-keys the heap; ties always break by arrival instant, then by push order:
// - `priority_fifo`: strict priority classes (0 first), first come first served inside one.
// - `deadline_first`: earliest deadline first (an item without one goes after every item with
//   one); the deadline is set per item and moved with `SetDeadline` (e.g. when an SLA clock
//   pauses).
// - `weighted_aging`: the item with the most virtual waiting time first, where virtual waiting =
//   time waited + `aging_weight` × (priority_levels − 1 − priority): a priority level is worth
//   `aging_weight` of waiting. Since every item's virtual waiting grows at the same rate, the order
//   is that of `arrival − bonus`, a constant. Starvation-free: an item of the lowest priority
//   goes ahead of every item that arrives more than `aging_weight` × (priority_levels − 1) after
//   it.
// Maximum wait (any ordering): an item of priority p whose wait reached its maximum
// (`max_wait_by_priority[p]`, else `max_wait`) is overdue and goes ahead of every item that is
// not; overdue items go in the order they became overdue. So no strict-priority queue starves:
// nothing waits past its maximum while a newer item is served, unless older overdue work is ahead.
//
// Requirement classes. Items whose effective requirements are equal share a class; an agent
// looking for work inspects the heads of the classes its skills match (`ForEachClass`,
// `ClassHead`, `HeadRank`), never every item. Each class keeps its own heaps; a relaxation step
// that changes an item's requirement moves it between classes in O(log n). A class id names its
// requirement while the class has items; once empty, the id may be given to another requirement
// (its `ClassGeneration` then changes).
//
// Relaxation. An item with a `RequirementPlan` starts in the class of the requirement in effect
// after the time it has already waited; a timer fires at each later step, moves the item and
// records a `RequirementRelaxed` event (`PollEvents`).
//
// Views in O(1): size, per-priority counts, oldest arrival (longest wait).
//
// Errors: unknown item (NotFound), duplicate item id (AlreadyExists), bad options or arguments
// (InvalidArgument); a refused call changes nothing.
//
// Thread safety: thread-compatible (const methods may run concurrently; mutations need external
// synchronisation).
#ifndef OMNIROUTE_WORK_QUEUE_H_
#define OMNIROUTE_WORK_QUEUE_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "omniroute/indexed_heap.h"
#include "omniroute/skills.h"
#include "omniroute/slab.h"
#include "omniroute/timer_wheel.h"

namespace omniroute {

// A work item's id, assigned by the caller (the engine interns its string ids).
using WorkItemId = uint64_t;
// A requirement class's id inside one queue.
using RequirementClassId = uint32_t;

// The order a queue serves its items in. See the file comment.
enum class QueueOrder : uint8_t { kPriorityFifo, kDeadlineFirst, kWeightedAging };

// "priority_fifo", "deadline_first", "weighted_aging".
std::string_view QueueOrderName(QueueOrder order);
// Parses the names above; InvalidArgument (listing them) for anything else.
absl::StatusOr<QueueOrder> ParseQueueOrder(std::string_view name);
inline std::ostream& operator<<(std::ostream& os, QueueOrder order) {
  return os << QueueOrderName(order);
}

// Priorities are 0 (most urgent) to priority_levels − 1; at most this many levels.
inline constexpr int kMaxPriorityLevels = 256;

// How one queue orders its items.
struct WorkQueueOptions {
  QueueOrder order = QueueOrder::kPriorityFifo;
  // Priorities 0 .. priority_levels − 1; 1 to kMaxPriorityLevels.
  int priority_levels = 3;
  // weighted_aging only: the virtual waiting time one priority level is worth. Zero to 365 days;
  // zero orders by arrival alone.
  absl::Duration aging_weight = absl::Minutes(5);
  // The maximum wait of every priority; InfiniteDuration for none. Zero or more.
  absl::Duration max_wait = absl::InfiniteDuration();
  // Per-priority maximum waits (InfiniteDuration for none), replacing `max_wait`: empty, or
  // exactly priority_levels entries, each zero or more.
  std::vector<absl::Duration> max_wait_by_priority{};

  friend bool operator==(const WorkQueueOptions&, const WorkQueueOptions&) = default;
};

// Checks `options` as documented above; InvalidArgument naming the field otherwise.
absl::Status ValidateWorkQueueOptions(const WorkQueueOptions& options);

// What `WorkQueue::Push` takes about an item.
struct QueuedItem {
  int priority = 0;
  // When the item's wait began (its arrival, or its original arrival when requeued); at or
  // before the queue's now. Measures waiting, aging, maximum wait and relaxation.
  absl::Time arrival = absl::UnixEpoch();
  // deadline_first's key; InfiniteFuture for none.
  absl::Time deadline = absl::InfiniteFuture();
  // What an agent needs to take the item, with relaxation steps; null: anyone may take it.
  std::shared_ptr<const RequirementPlan> requirement{};
  // A tag that splits classes: items share a class only when their channels are equal too, so a
  // class head is always an item an agent with room on that channel can take.
  uint32_t channel = 0;
  // The place of an item returning to this queue after leaving it (e.g. an offer it was taken
  // out for was rejected): its `QueuedItemView::place`, so it goes back where it was. Omitted:
  // behind every item pushed so far. Must not be the place of an item still queued.
  std::optional<uint64_t> place{};
  // For an item returning with its relaxation progress (`QueuedItemView::steps_applied` and
  // `relaxation_origin`): steps already applied (at least those due by now) and when its steps
  // started counting. Omitted: the arrival, and the steps due after the wait so far.
  std::optional<int> steps_applied{};
  std::optional<absl::Time> relaxation_origin{};

  // This item entering another queue: at `new_priority`, behind that queue's items, keeping its
  // arrival, deadline, requirement and channel, its relaxation counted from its arrival.
  QueuedItem ForOtherQueue(int new_priority) && {
    return QueuedItem{new_priority, arrival, deadline, std::move(requirement), channel};
  }
};

// An item as the queue holds it.
struct QueuedItemView {
  WorkItemId id = 0;
  int priority = 0;
  absl::Time arrival;
  absl::Time deadline;
  // When the item becomes overdue (arrival + its maximum wait); InfiniteFuture for never.
  absl::Time overdue_at;
  RequirementClassId requirement_class = 0;
  // Relaxation steps applied so far.
  int steps_applied = 0;
  const RequirementPlan* requirement = nullptr;  // null: anyone may take it
  uint32_t channel = 0;
  // Its push order, the last tie-breaker; pass it back as `QueuedItem::place` to reinstate it.
  uint64_t place = 0;
  // When its relaxation steps started counting (its arrival, or a `SetRequirement`).
  absl::Time relaxation_origin;
};

// Where a class's head stands in its queue's order: a smaller rank is served first. Compare only
// ranks from the same queue at the same now.
struct QueueRank {
  bool overdue = false;
  int64_t key = 0;  // overdue: when it became overdue; else the ordering's key
  int64_t arrival_ns = 0;
  uint64_t sequence = 0;

  friend bool operator<(const QueueRank& a, const QueueRank& b) {
    if (a.overdue != b.overdue) return a.overdue;
    if (a.key != b.key) return a.key < b.key;
    if (a.arrival_ns != b.arrival_ns) return a.arrival_ns < b.arrival_ns;
    return a.sequence < b.sequence;
  }
  friend bool operator==(const QueueRank&, const QueueRank&) = default;
};

// A relaxation step applied to a waiting item.
struct RequirementRelaxed {
  WorkItemId item = 0;
  // When the step became due: the wait origin + the step's `after`.
  absl::Time at;
  // Steps applied now, counting this one (1 = the plan's first step).
  int steps_applied = 0;
  RequirementClassId from_class = 0;
  RequirementClassId to_class = 0;

  friend bool operator==(const RequirementRelaxed&, const RequirementRelaxed&) = default;
};

// One queue of waiting work. See the file comment. n = items in the queue, C = its non-empty
// requirement classes.
class WorkQueue {
 public:
  // A queue ordered as `options` says whose clock starts at `now`. InvalidArgument for bad options
  // or an infinite `now`.
  static absl::StatusOr<WorkQueue> Create(const WorkQueueOptions& options,
                                          absl::Time now = absl::UnixEpoch());

  const WorkQueueOptions& options() const { return options_; }
  absl::Time now() const { return clock_->now; }

  // Adds an item. AlreadyExists when `id` is queued; InvalidArgument for a priority out of range,
  // an infinite arrival or one after now(), an infinite past deadline, or a place never handed
  // out. The item starts in the
  // class of the requirement in effect after the time it has waited (no events for those steps).
  // O(log n + requirement size).
  absl::Status Push(WorkItemId id, QueuedItem item);
  // Whether Push would accept `item` (the checks other than the id's). O(1).
  absl::Status Validate(const QueuedItem& item) const;
  // Removes an item (assigned, abandoned, cancelled, transferred). NotFound when not queued.
  // O(log n).
  absl::Status Erase(WorkItemId id);
  // The item served next at now() (overdue items first), if any. O(1).
  std::optional<WorkItemId> Top() const;
  // Removes and returns Top(); NotFound when the queue is empty. O(log n).
  absl::StatusOr<WorkItemId> Pop();

  // Changes an item's priority (e.g. raised by escalation): moves it in the order, its maximum
  // wait and the per-priority counts. NotFound / InvalidArgument (out of range). O(log n).
  absl::Status SetPriority(WorkItemId id, int priority);
  // Changes an item's deadline (deadline_first's key; kept by the other orderings). O(log n).
  absl::Status SetDeadline(WorkItemId id, absl::Time deadline);
  // Replaces an item's requirement plan (e.g. escalation adds "senior"); its steps count from
  // now(), so the item moves to the class of the plan's requirement as written. O(log n).
  absl::Status SetRequirement(WorkItemId id, std::shared_ptr<const RequirementPlan> requirement);

  // Moves the queue's clock to `now`, applying relaxation steps due by then in (due instant,
  // scheduling) order. InvalidArgument when `now` is before now() or infinite.
  absl::Status AdvanceTo(absl::Time now);
  // Applies the item's next relaxation step now, ahead of its time (e.g. nobody logged in could
  // take the item as it is), recording the event at now(). NotFound, or FailedPrecondition when
  // no step is left. O(log n).
  absl::Status RelaxNow(WorkItemId id);
  // When the next relaxation step is due; InfiniteFuture when none. O(1) when none is pending.
  absl::Time NextRelaxationDue() const { return relaxation_.NextDue(); }
  // Never after NextRelaxationDue(); stepping `AdvanceTo` from stop to stop reaches every step in
  // order (TimerWheel::NextStop). O(1) amortised.
  absl::Time NextRelaxationStop() const { return relaxation_.NextStop(); }
  // Whether a relaxation step is pending. O(1).
  bool HasPendingRelaxation() const { return !relaxation_.empty(); }
  // The events recorded since the last call, oldest first.
  std::vector<RequirementRelaxed> PollEvents();
  // Same, into `buffer` (cleared first), reusing its storage.
  void PollEvents(std::vector<RequirementRelaxed>& buffer);
  // Whether events wait for `PollEvents`.
  bool HasEvents() const { return !events_.empty(); }

  size_t size() const { return items_by_id_.size(); }
  bool empty() const { return items_by_id_.empty(); }
  bool Contains(WorkItemId id) const { return items_by_id_.contains(id); }
  // The item's state; nullopt when not queued. O(1).
  std::optional<QueuedItemView> Find(WorkItemId id) const;
  // What `Push` takes to put the item back exactly as it is now (its place, its relaxation
  // progress, its requirement plan shared) after it leaves, e.g. to be offered; nullopt when it
  // is not queued. O(1).
  std::optional<QueuedItem> Reinstatement(WorkItemId id) const;
  // Items of `priority` (0 when out of range). O(1).
  size_t CountWithPriority(int priority) const;
  // The earliest arrival among queued items; InfiniteFuture when empty. O(1).
  absl::Time OldestArrival() const;
  // now() − OldestArrival(); zero when empty. O(1).
  absl::Duration LongestWait() const;
  // Items overdue at now(). O(1) when none is; else O(items with a maximum wait).
  size_t OverdueCount() const;

  // Non-empty requirement classes.
  size_t class_count() const { return nonempty_classes_.size(); }
  // Calls `visit(RequirementClassId, const Requirement&, size_t items)` for each non-empty class,
  // in an order that depends only on the queue's history. `visit` must not change the queue.
  // O(non-empty classes).
  template <typename Visit>
  void ForEachClass(Visit&& visit) const {
    for (RequirementClassId id : nonempty_classes_) {
      visit(id, *classes_[id].requirement, classes_[id].main.size());
    }
  }
  // The class's requirement; nullptr when `id` names no non-empty class.
  const Requirement* ClassRequirement(RequirementClassId id) const;
  // The class's items.
  size_t ClassSize(RequirementClassId id) const;
  // Changes whenever `id` is given to another (requirement, channel), so callers may cache what
  // they derive from a class's requirement by (id, generation). O(1).
  uint32_t ClassGeneration(RequirementClassId id) const {
    return id < classes_.size() ? classes_[id].generation : 0;
  }
  // The channel its items share (0 when `id` names no non-empty class).
  uint32_t ClassChannel(RequirementClassId id) const {
    return ClassHasItems(id) ? classes_[id].channel : 0;
  }
  // The item the class serves next at now(); nullopt when `id` names no non-empty class. O(1).
  std::optional<WorkItemId> ClassHead(RequirementClassId id) const;
  // The rank of ClassHead(id), to pick the best head among the classes an agent may serve.
  // Requires ClassHead(id). O(1).
  QueueRank HeadRank(RequirementClassId id) const;
  // The first item of the class in serving order for which `accept(WorkItemId, absl::Time
  // arrival)` is true (e.g. not rejected by this agent, waited long enough); nullopt when none.
  // Walks the class's heaps best-first: O(1) when the head is accepted, else O(k log k) for k
  // refused items.
  struct ClassCandidate {
    WorkItemId item;
    QueueRank rank;  // as RankOf(item)
  };
  template <typename Accept>
  std::optional<ClassCandidate> BestInClass(RequirementClassId id, Accept&& accept) const;
  // Where a queued item stands in serving order at now(); nullopt when not queued. O(1).
  std::optional<QueueRank> RankOf(WorkItemId id) const;
  // `visit(id, rank)` for every queued item, in storage order (not serving order): RankOf for all
  // of them without a lookup each. O(n).
  template <typename Visit>
  void VisitRanks(Visit&& visit) const {
    items_.ForEachInUse([&](uint32_t slot, const Item& item) { visit(item.id, RankOfSlot(slot)); });
  }
  // The non-empty class of items on `channel` with a requirement equal to `requirement`.
  // O(requirement size).
  std::optional<RequirementClassId> FindClass(const Requirement& requirement,
                                              uint32_t channel = 0) const;

  // Every item in serving order at now() (what repeated Pop would give). O(n log n).
  std::vector<WorkItemId> InOrder() const;
  // The 0-based place of `id` in that order (its index in InOrder()); nullopt when it is not
  // queued. O(n), without allocating: for one item's view, where InOrder would sort them all.
  std::optional<size_t> PositionOf(WorkItemId id) const;

  // Bytes held by the queue (items, heaps, classes, index, timers), for memory reports.
  size_t MemoryBytes() const;
  // Makes room for `items` queued items (their records, id index and arrival order), so that
  // pushing that many moves and rehashes nothing; changes no behaviour. O(items).
  void Reserve(size_t items);

 private:
  friend class internal::StateCodec;

  struct Key {
    int64_t primary;
    int64_t arrival_ns;
    uint64_t sequence;
    friend bool operator<(const Key& a, const Key& b) {
      if (a.primary != b.primary) return a.primary < b.primary;
      if (a.arrival_ns != b.arrival_ns) return a.arrival_ns < b.arrival_ns;
      return a.sequence < b.sequence;
    }
    friend bool operator==(const Key&, const Key&) = default;
  };
  // A heap element: a key and the item (or class) slot it orders.
  struct Ranked {
    Key key;
    uint32_t slot;
    friend bool operator<(const Ranked& a, const Ranked& b) { return a.key < b.key; }
  };
  using Heap = IndexedHeap<Ranked>;
  // The arrival order only answers "the earliest arrival", for which ties need no breaking.
  struct ArrivalRanked {
    int64_t arrival_ns;
    uint32_t slot;
    friend bool operator<(const ArrivalRanked& a, const ArrivalRanked& b) {
      return a.arrival_ns < b.arrival_ns;
    }
  };

  struct Item {
    WorkItemId id = 0;
    absl::Time arrival;
    absl::Time deadline;
    absl::Time relax_origin;
    uint64_t sequence = 0;
    std::shared_ptr<const RequirementPlan> requirement{};
    HeapHandle in_class;
    HeapHandle in_overdue;
    HeapHandle in_arrivals;
    TimerHandle relax_timer;
    RequirementClassId requirement_class = 0;
    int priority = 0;
    int steps_applied = 0;
    uint32_t channel = 0;
  };
  struct Class {
    // Points into `owner` (or at the requirement that matches everyone), which the class keeps
    // alive, so a class never copies its requirement.
    const Requirement* requirement = nullptr;
    std::shared_ptr<const RequirementPlan> owner;
    uint32_t channel = 0;
    uint32_t generation = 0;         // advanced each time the id is given to a requirement
    uint32_t nonempty_position = 0;  // in nonempty_classes_, while the class has items
    Heap main;
    Heap overdue;  // items with a finite maximum wait, by when they become overdue
    HeapHandle head;
    HeapHandle overdue_head;
    bool live = false;
  };

  explicit WorkQueue(const WorkQueueOptions& options, absl::Time now);

  static int64_t Nanos(absl::Time t);
  Key OrderKey(const Item& item) const;
  Key OverdueKey(const Item& item) const;
  absl::Duration MaxWait(int priority) const;
  // The requirement of items without a plan: anyone may take them.
  static const Requirement& Anyone();
  const Requirement& CurrentRequirement(const Item& item) const;

  RequirementClassId AcquireClass(const Item& item);
  void NoteClassEmptied(RequirementClassId id);
  void ReleaseIdleClasses();
  void RefreshHeads(RequirementClassId id);
  void LinkToClass(uint32_t slot, RequirementClassId id);
  void UnlinkFromClass(uint32_t slot);
  void ArmRelaxation(uint32_t slot);
  void Relax(uint32_t slot, absl::Time due);
  void ApplyStep(uint32_t slot, absl::Time at);
  void RemoveSlot(uint32_t slot);
  uint32_t HeadSlot(const Class& klass) const;
  bool ClassHasItems(RequirementClassId id) const {
    return id < classes_.size() && classes_[id].live && !classes_[id].main.empty();
  }
  QueueRank RankOfSlot(uint32_t slot) const;
  // Visits `heap`'s values best-first while `descend(value)` holds, returning the slot of the
  // first value `accept` takes.
  template <typename Descend, typename Accept>
  static std::optional<uint32_t> WalkBestFirst(const Heap& heap, Descend&& descend,
                                               Accept&& accept);
  bool IsOverdueNow(const Ranked& overdue_top) const {
    return overdue_top.key.primary <= clock_->now_ns;
  }
  // Moves the clock (shared or own) to `now`.
  void SetNow(absl::Time now);

  // The queue's clock. A `WorkQueueSet` points every queue at its own clock, so that advancing the
  // set costs nothing for queues with no relaxation step pending.
  struct Clock {
    absl::Time now;
    int64_t now_ns = 0;
  };
  friend class WorkQueueSet;

  WorkQueueOptions options_;
  std::vector<int64_t> aging_bonus_ns_;   // per priority
  std::vector<absl::Duration> max_wait_;  // per priority
  // Owned by the queue when it stands alone; its address survives moves.
  std::unique_ptr<Clock> own_clock_;
  Clock* clock_ = nullptr;
  uint64_t next_sequence_ = 0;

  // Chunks of 64 items (8 KiB): a queue's spare room stays under one chunk.
  Slab<Item, 6> items_;
  absl::flat_hash_map<WorkItemId, uint32_t> items_by_id_;
  std::vector<size_t> count_by_priority_;
  IndexedHeap<ArrivalRanked> arrivals_;

  std::vector<Class> classes_;
  std::vector<RequirementClassId> free_classes_;
  // Classes that became empty; they keep their id (and its generation) until too many are idle,
  // so items of a requirement that comes and goes do not rebuild its class each time.
  std::vector<RequirementClassId> idle_classes_;
  // Keyed by (channel, requirement), compared by value; the requirement is the one its class
  // points at, so nothing is copied.
  struct ClassKey {
    uint32_t channel;
    const Requirement* requirement;
  };
  struct ClassKeyHash {
    size_t operator()(const ClassKey& k) const { return absl::HashOf(k.channel, *k.requirement); }
  };
  struct ClassKeyEq {
    bool operator()(const ClassKey& a, const ClassKey& b) const {
      return a.channel == b.channel && *a.requirement == *b.requirement;
    }
  };
  absl::flat_hash_map<ClassKey, RequirementClassId, ClassKeyHash, ClassKeyEq> classes_by_key_;
  std::vector<RequirementClassId> nonempty_classes_;
  Heap class_heads_;          // each non-empty class's head by ordering key
  Heap class_overdue_heads_;  // each class's earliest overdue instant

  TimerWheel<uint32_t> relaxation_;
  std::vector<RequirementRelaxed> events_;
};

template <typename Descend, typename Accept>
std::optional<uint32_t> WorkQueue::WalkBestFirst(const Heap& heap, Descend&& descend,
                                                 Accept&& accept) {
  if (heap.empty() || !descend(heap.ValueAt(0))) return std::nullopt;
  if (accept(heap.ValueAt(0).slot)) return heap.ValueAt(0).slot;
  std::vector<size_t> frontier;
  const auto worse = [&heap](size_t a, size_t b) { return heap.ValueAt(b) < heap.ValueAt(a); };
  const auto expand = [&](size_t position) {
    const size_t first = Heap::FirstChild(position);
    for (size_t child = first; child < heap.size() && child < first + Heap::kArity; ++child) {
      if (!descend(heap.ValueAt(child))) continue;
      frontier.push_back(child);
      std::push_heap(frontier.begin(), frontier.end(), worse);
    }
  };
  expand(0);
  while (!frontier.empty()) {
    std::pop_heap(frontier.begin(), frontier.end(), worse);
    const size_t position = frontier.back();
    frontier.pop_back();
    if (accept(heap.ValueAt(position).slot)) return heap.ValueAt(position).slot;
    expand(position);
  }
  return std::nullopt;
}

template <typename Accept>
std::optional<WorkQueue::ClassCandidate> WorkQueue::BestInClass(RequirementClassId id,
                                                                Accept&& accept) const {
  if (id >= classes_.size() || !classes_[id].live) return std::nullopt;
  const Class& klass = classes_[id];
  const auto accept_slot = [&](uint32_t slot) {
    return accept(items_[slot].id, items_[slot].arrival);
  };
  // Overdue items first; a heap node that is not overdue has no overdue descendants.
  std::optional<uint32_t> slot = WalkBestFirst(
      klass.overdue, [this](const Ranked& r) { return IsOverdueNow(r); }, accept_slot);
  if (!slot)
    slot = WalkBestFirst(
        klass.main, [](const Ranked&) { return true; }, accept_slot);
  if (!slot) return std::nullopt;
  return ClassCandidate{items_[*slot].id, RankOfSlot(*slot)};
}

// Index of a queue in a `WorkQueueSet`: 0, 1, 2, ... in the order queues were added.
using QueueIndex = uint32_t;

// A relaxation step in one of a set's queues.
struct QueuedRequirementRelaxed {
  QueueIndex queue = 0;
  RequirementRelaxed relaxed;

  friend bool operator==(const QueuedRequirementRelaxed&,
                         const QueuedRequirementRelaxed&) = default;
};

// Named queues sharing one clock, with each item in at most one of them: what an engine routes
// over. Queue names are non-empty and unique; an item id is unique across the set. Errors as in
// `WorkQueue`, plus NotFound for an unknown queue name; a refused call changes nothing.
class WorkQueueSet {
 public:
  explicit WorkQueueSet(absl::Time now = absl::UnixEpoch());

  // Adds a queue whose clock starts at the set's now. InvalidArgument for an empty name or bad
  // options, AlreadyExists for a taken name.
  absl::StatusOr<QueueIndex> AddQueue(std::string_view name, const WorkQueueOptions& options);
  // The queue called `name`; NotFound ("unknown queue") otherwise. O(1).
  absl::StatusOr<QueueIndex> FindQueue(std::string_view name) const;
  size_t queue_count() const { return queues_.size(); }
  // Requires index < queue_count().
  const WorkQueue& queue(QueueIndex index) const { return queues_[index].queue; }
  const std::string& name(QueueIndex index) const { return queues_[index].name; }

  // Queues an item in `queue`. NotFound for an unknown queue; AlreadyExists when `id` waits in
  // any queue of the set; otherwise as `WorkQueue::Push`.
  absl::Status Push(std::string_view queue, WorkItemId id, QueuedItem item);
  // Removes an item from its queue. NotFound when it waits in none.
  absl::Status Erase(WorkItemId id);
  // Moves an item to another queue (a transfer), keeping its arrival, deadline and requirement
  // plan (whose steps count from the arrival there); `priority` replaces its priority when given.
  // NotFound (item or queue), InvalidArgument (priority out of the target's range). Moving to its
  // own queue only changes the priority.
  absl::Status Move(WorkItemId id, std::string_view to_queue,
                    std::optional<int> priority = std::nullopt);
  // The queue an item waits in; nullopt when none. O(1).
  std::optional<QueueIndex> QueueOf(WorkItemId id) const;
  // As the `WorkQueue` methods of the same names, on the item's queue.
  absl::Status SetPriority(WorkItemId id, int priority);
  absl::Status SetDeadline(WorkItemId id, absl::Time deadline);
  absl::Status SetRequirement(WorkItemId id, std::shared_ptr<const RequirementPlan> requirement);
  absl::Status RelaxNow(WorkItemId id);

  // Advances every queue; InvalidArgument when `now` is infinite or before now(), changing
  // nothing. O(queues with a relaxation step pending + steps applied).
  absl::Status AdvanceTo(absl::Time now);
  absl::Time now() const { return clock_->now; }
  // The earliest relaxation step due in any queue; InfiniteFuture when none. O(queues with a
  // relaxation step pending).
  absl::Time NextRelaxationDue() const;
  // The earliest of the queues' `NextRelaxationStop`. O(queues with a relaxation step pending).
  absl::Time NextRelaxationStop() const;
  // Every queue's relaxation events since the last call, by queue then age.
  std::vector<QueuedRequirementRelaxed> PollEvents();

  // Items in all queues.
  size_t size() const { return queue_of_.size(); }
  // Makes room for `items` items across the set's queues (its item-to-queue index); changes no
  // behaviour. O(items).
  void Reserve(size_t items);
  // WorkQueue::Reserve on queue `index` (< queue_count()). O(items).
  void ReserveQueue(QueueIndex index, size_t items) { queues_[index].queue.Reserve(items); }

 private:
  friend class internal::StateCodec;

  struct Named {
    std::string name;
    WorkQueue queue;
  };
  absl::StatusOr<QueueIndex> QueueOfOrError(WorkItemId id) const;
  // Notes that queue `index` may now have relaxation steps pending.
  void Track(QueueIndex index);
  // Notes that queue `index`, which had no events before, may now have some.
  void NoteEvents(QueueIndex index, bool had_events);

  // Every queue's clock; its address survives moves of the set.
  std::unique_ptr<WorkQueue::Clock> clock_;
  std::vector<Named> queues_;
  // Queues that may have relaxation steps pending (`tracked_[index]`), in `pending_`; a queue
  // leaves when advancing finds it has none.
  std::vector<QueueIndex> pending_;
  std::vector<bool> tracked_;
  // Queues with events not yet polled, each once (only advancing and RelaxNow record events).
  std::vector<QueueIndex> with_events_;
  absl::flat_hash_map<std::string, QueueIndex> by_name_;
  absl::flat_hash_map<WorkItemId, QueueIndex> queue_of_;
};

}  // namespace omniroute

#endif  // OMNIROUTE_WORK_QUEUE_H_
