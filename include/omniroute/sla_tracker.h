// The SLA tracker: owns the SLA clocks of many work items, fires their warnings and breaches on a
// timer wheel, and keeps attainment statistics.
//
//   omniroute::SlaTracker tracker;
//   tracker.AddPolicy(policy);                                   // see sla.h
//   tracker.Start(/*item=*/7, "tiered", /*priority=*/"A", /*tier=*/"", created);
//   tracker.AdvanceTo(created + absl::Minutes(4));
//   for (const omniroute::SlaEvent& e : tracker.PollEvents()) { ... }   // sla_warning at 50 %, 75
//   % tracker.AgentResponded(7, created + absl::Minutes(4));       // first response met
//
// Per item, the tracker runs one clock per tracked metric (see `SlaMetric` for when each starts
// and stops), pauses the clocks whose metric is paused by an active pause reason, and keeps a
// timer for each running clock's next unfired threshold (its warnings in order, then the breach).
//
// Exactly once: every warning threshold and the breach fire once per cycle, never for a paused,
// met or cancelled clock, and the events do not depend on how time is advanced (one step or many):
// an event carries the instant its threshold was reached (`due`). A clock that is already past a
// threshold when it starts (retroactive start) or is retargeted fires it at once, `late`, dated
// at the command. A zero target is breached at its start.
//
// Time: every command carries its instant, which must not be before `now()`; a command first
// advances the tracker to its instant (firing what is due), then applies. A refused command
// (invalid argument, unknown item, wrong state) changes nothing, time included. Only `Start` may
// date the clocks' start before its command time.
//
// Determinism: events come out ordered by instant, then by the order in which their timers were
// armed; no hash iteration decides anything. Thread safety: thread-compatible.
#ifndef OMNIROUTE_SLA_TRACKER_H_
#define OMNIROUTE_SLA_TRACKER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "omniroute/quantile_sketch.h"
#include "omniroute/sla.h"
#include "omniroute/timer_wheel.h"

namespace omniroute {

// The caller's key for a work item (the engine uses its dense item numbers).
using SlaItemId = uint64_t;

// Something that happened to an SLA clock.
struct SlaEvent {
  enum class Kind : uint8_t { kWarning, kBreached, kMet, kCancelled };

  // Fields are ordered for size (72 bytes): millions of events can be in flight per step.
  SlaItemId item = 0;
  Kind kind = Kind::kWarning;
  SlaMetric metric = SlaMetric::kFirstResponse;
  uint16_t cycle = 1;
  // Warning / breach: fired after the fact (retarget, retroactive start). Met: after a breach.
  bool late = false;
  // kWarning: the threshold (a fraction of the target); kBreached: 1; kMet / kCancelled: the
  // fraction of the target consumed at the stop.
  double fraction = 0;
  // When the threshold was reached (warning, breach: the deadline) or the clock stopped.
  absl::Time due;
  // When the event was emitted: `due`, except for late warnings and breaches.
  absl::Time at;
  // Met late: business time beyond the target (zero for a stop in the closed hours right after
  // a deadline at closing time).
  absl::Duration overrun;

  friend bool operator==(const SlaEvent&, const SlaEvent&) = default;
};

// "sla_warning", "sla_breached", "sla_met", "sla_cancelled".
std::string_view SlaEventKindName(SlaEvent::Kind kind);

// A finished cycle of one metric (met or cancelled), kept per item.
struct SlaCycleRecord {
  SlaMetric metric = SlaMetric::kFirstResponse;
  uint16_t cycle = 1;
  SlaState outcome = SlaState::kMet;  // kMet or kCancelled
  bool late = false;
  absl::Time start;
  absl::Time stop;
  absl::Duration target;
  absl::Duration business_time;  // counted by the clock (pauses excluded)

  friend bool operator==(const SlaCycleRecord&, const SlaCycleRecord&) = default;
};

// Attainment of one policy x metric x priority.
struct SlaAttainment {
  uint64_t started = 0;
  uint64_t met = 0;        // stopped on time
  uint64_t met_late = 0;   // stopped after the breach
  uint64_t breached = 0;   // breaches fired (met late or still open)
  uint64_t cancelled = 0;  // cancelled before stopping
  // Time to stop of the met cycles (on time or late), in seconds: business time counted by the
  // clock, and wall time from start to stop. Quantiles within 1 % (see QuantileSketch).
  QuantileSketch business_seconds;
  QuantileSketch wall_seconds;

  // Cycles still running or paused.
  uint64_t open() const { return started - met - met_late - cancelled; }
  // Met on time over those with a verdict (met on time, or breached): the domain's "90 % of
  // priority-B issues resolved in time". 1 when there is no verdict yet.
  double met_ratio() const {
    const uint64_t verdicts = met + breached;
    return verdicts == 0 ? 1.0 : static_cast<double>(met) / static_cast<double>(verdicts);
  }
};

class SlaTracker {
 public:
  struct Options {
    // The tracker's clock starts here; nothing is earlier.
    absl::Time origin = absl::UnixEpoch();
    // The timer wheel's tick (a bucket size, not a precision: events are exact to the
    // nanosecond). Coarser ticks mean fewer cascades for timers hours away.
    absl::Duration tick = absl::Seconds(1);
  };

  explicit SlaTracker(Options options);
  SlaTracker() : SlaTracker(Options{}) {}

  // Registers a policy (validated). InvalidArgument when invalid; AlreadyExists for its name.
  absl::Status AddPolicy(SlaPolicy policy);
  // Replaces the policy of the same name at `at`: the open clocks of its items are re-targeted
  // from their original starts (in item-id order). NotFound when no policy has that name.
  absl::Status ReplacePolicy(SlaPolicy policy, absl::Time at);
  // Whether ReplacePolicy(policy, ...) would succeed (the time aside); changes nothing.
  absl::Status CanReplacePolicy(const SlaPolicy& policy) const;
  // nullptr when unknown.
  const SlaPolicy* FindPolicy(std::string_view name) const;

  // Starts tracking `item` under `policy` for `priority` and `tier` ("" = none) at command time
  // `at`, with its clocks started at `start` (<= `at`; earlier is a retroactive start: thresholds
  // already passed at `at` fire at once, late). Starts the first-response, periodic-update and
  // resolution clocks the policy tracks for the priority. AlreadyExists for a tracked item;
  // NotFound for an unknown policy or priority; InvalidArgument for `start` after `at` or an
  // instant out of range.
  absl::Status Start(SlaItemId item, std::string_view policy, std::string_view priority,
                     std::string_view tier, absl::Time start, absl::Time at);
  // Starts at `start`, which is also the command time.
  absl::Status Start(SlaItemId item, std::string_view policy, std::string_view priority,
                     std::string_view tier, absl::Time start) {
    return Start(item, policy, priority, tier, start, start);
  }
  // An agent responded: first and next response met, a new periodic-update cycle begins.
  absl::Status AgentResponded(SlaItemId item, absl::Time at);
  // The customer wrote: after an agent response, a next-response cycle begins (if none runs).
  absl::Status CustomerMessaged(SlaItemId item, absl::Time at);
  // Activates a pause reason (e.g. "customer", "third_party"): the clocks of the metrics it
  // pauses stop counting. FailedPrecondition when that reason is already active.
  absl::Status Pause(SlaItemId item, std::string_view reason, absl::Time at);
  // Ends a pause reason. FailedPrecondition when that reason is not active.
  absl::Status Resume(SlaItemId item, std::string_view reason, absl::Time at);
  // Resolved: resolution met, periodic update ends, and an open first or next response counts as
  // answered by the resolution. FailedPrecondition when already resolved or cancelled.
  absl::Status Resolve(SlaItemId item, absl::Time at);
  // Reopened: a new resolution cycle and a new periodic-update cycle begin; a next-response cycle
  // begins if an agent has responded before. History of earlier cycles is kept.
  // FailedPrecondition when not resolved.
  absl::Status Reopen(SlaItemId item, absl::Time at);
  // New priority or tier: every open clock is re-targeted from its original start (one now past
  // its new target is breached at once, late). A metric no longer tracked is cancelled; first
  // response and resolution, newly tracked and not yet done, start from the item's start.
  absl::Status Retarget(SlaItemId item, std::string_view priority, std::string_view tier,
                        absl::Time at);
  // Cancels every open clock of the item; it takes no further commands but `Forget`.
  absl::Status Cancel(SlaItemId item, absl::Time at);
  // Drops the item and its history (attainment counters stay). NotFound when unknown.
  absl::Status Forget(SlaItemId item);

  // Fires every warning and breach due at or before `now`. InvalidArgument when `now` is before
  // now(). Cost: O(events + timers cascaded) with a timer wheel underneath.
  absl::Status AdvanceTo(absl::Time now);
  // The events since the last call, in order.
  std::vector<SlaEvent> PollEvents();
  // The same into `buffer` (cleared first), reusing its capacity: the loop form for hosts that
  // poll often.
  void PollEvents(std::vector<SlaEvent>& buffer);
  // Whether PollEvents would return any event. O(1).
  bool has_events() const { return !events_.empty(); }

  absl::Time now() const { return now_; }
  // The earliest instant a warning or breach is due; InfiniteFuture when none is.
  absl::Time NextDue() const { return wheel_.NextDue(); }
  // Where the next `AdvanceTo` should stop to make progress: never after NextDue(); stepping from
  // stop to stop reaches every due instant in order (TimerWheel::NextStop). O(1) amortised, where
  // NextDue() may walk the timers of a wide slot.
  absl::Time NextStop() const { return wheel_.NextStop(); }
  // The current cycle's clock of `metric` for `item`; nullptr when none.
  const SlaClock* Clock(SlaItemId item, SlaMetric metric) const;
  // The current clocks of `item` (empty when unknown), in metric order.
  std::vector<SlaClock> Clocks(SlaItemId item) const;
  // Calls `visit(clock, calendar)` for each current clock of `item` in metric order, with the
  // calendar it counts on; nothing when `item` is unknown. One lookup of the item.
  void VisitClocks(SlaItemId item,
                   absl::FunctionRef<void(const SlaClock&, const BusinessCalendar&)> visit) const;
  // Every current clock of every tracked item, in storage order (not by id): `visit(item, clock)`.
  // O(items + free slots).
  template <typename Visit>
  void VisitAllClocks(Visit&& visit) const {
    std::vector<bool> free(slab_size_);
    for (const uint32_t slot : free_slots_) free[slot] = true;
    for (uint32_t slot = 0; slot < slab_size_; ++slot) {
      if (free[slot]) continue;
      const Item& item = ItemAt(slot);
      for (const Tracked& tracked : item.clocks) visit(item.id, tracked.clock);
    }
  }
  // The finished cycles of `item`, oldest first.
  std::span<const SlaCycleRecord> History(SlaItemId item) const;
  // The calendar `metric` runs on for `item` (the always-open one when unknown).
  const BusinessCalendar& CalendarOf(SlaItemId item, SlaMetric metric) const;
  bool Tracks(SlaItemId item) const { return index_.contains(item); }
  // The policy `item` is tracked under; nullptr when unknown.
  const SlaPolicy* PolicyOf(SlaItemId item) const {
    const Item* found = Lookup(item);
    return found == nullptr ? nullptr : &PolicyOf(*found).spec;
  }

  size_t item_count() const { return index_.size(); }
  // Makes room for `items` tracked items (id index and slab), so that starting that many
  // rehashes nothing; changes no behaviour. O(items).
  void Reserve(size_t items);
  // Clocks running or paused.
  size_t open_clock_count() const { return open_clocks_; }
  size_t pending_timer_count() const { return wheel_.size(); }
  // Estimated bytes of the tracker: items and their clocks, the id index, finished cycles,
  // attainment groups, pending events and the timer wheel. O(items).
  size_t MemoryBytes() const;

  // Attainment of `policy` x `metric` x `priority`; nullptr when nothing started there.
  const SlaAttainment* Attainment(std::string_view policy, SlaMetric metric,
                                  std::string_view priority) const;
  // Every attainment record, ordered by (policy, metric, priority).
  struct AttainmentEntry {
    std::string_view policy;
    SlaMetric metric;
    std::string_view priority;
    const SlaAttainment* attainment;
  };
  std::vector<AttainmentEntry> AllAttainment() const;

 private:
  friend class internal::StateCodec;
  // One cache line: a firing timer touches its item's first line and its clock's line.
  struct Tracked {
    SlaClock clock;
    TimerHandle timer;
    uint32_t group = 0;  // attainment group (policy x priority) the cycle counts for
    // The armed threshold: a warning index, kBreach or kNone. The timer knows its instant.
    int8_t armed = -2;
  };
  // The fields every command reads fill the first cache line, the first two clocks the next two.
  // History is cold and kept apart (`histories_`).
  struct alignas(64) Item {
    SlaItemId id = 0;
    absl::Time start;
    uint64_t pause_reasons = 0;  // bits of reason ids
    uint32_t slot = 0;           // where it lives in the slab
    uint32_t policy = 0;
    uint32_t priority = 0;  // label ids (`labels_`)
    uint32_t tier = 0;
    bool responded = false;
    bool resolved = false;
    bool cancelled = false;
    // Positions are stable: a clock is never removed, so timers name it by position.
    absl::InlinedVector<Tracked, 2> clocks;
  };
  // A policy's targets for one priority and tier, resolved once: `found` is false where
  // `SlaPolicy::Target` reports NotFound.
  struct ResolvedTargets {
    SlaTargets targets;
    std::array<bool, kSlaMetricCount> found{};
  };
  // The last threshold instant found on a metric's calendar from a fired threshold (see
  // InstantReaching). Clocks that started counting together (items created overnight, counted
  // from the opening) reach their thresholds at the same instants, so such queries repeat one
  // after another, and the calendar is asked once per burst.
  struct CalendarMemo {
    absl::Time from = absl::InfinitePast();
    absl::Duration amount;
    absl::Time reached;  // InfiniteFuture when the calendar could not tell
  };
  // The warning thresholds of the last target asked for, in business nanoseconds by warning
  // index: clocks firing together share their target, so a burst computes them once.
  struct ThresholdMemo {
    int64_t target_ns = -1;
    std::array<int64_t, SlaPolicy::kMaxWarnings> business_ns{};
  };
  struct Policy {
    SlaPolicy spec;
    std::array<uint64_t, kSlaMetricCount> pause_masks{};
    // By metric; cleared when the spec is replaced.
    std::array<CalendarMemo, kSlaMetricCount> memos{};
    std::array<ThresholdMemo, kSlaMetricCount> thresholds{};
    // By (priority label << 32 | tier label); cleared when the spec is replaced.
    absl::flat_hash_map<uint64_t, ResolvedTargets> resolved;
  };
  struct TimerKey {
    uint32_t slot = 0;
    uint8_t clock = 0;  // position in `Item::clocks`
  };
  // Items live in chunks of fixed capacity: addresses stay put as the slab grows, and a slot
  // number finds its item with two loads.
  static constexpr uint32_t kChunkBits = 12;
  static constexpr uint32_t kChunkItems = uint32_t{1} << kChunkBits;

  Item* Lookup(SlaItemId id);
  const Item* Lookup(SlaItemId id) const;
  absl::StatusOr<Item*> Find(SlaItemId id);
  absl::Status CheckTime(absl::Time at) const;
  absl::StatusOr<Item*> FindOpen(SlaItemId id, absl::Time at);
  uint64_t ReasonBit(std::string_view reason);
  uint32_t LabelId(std::string_view label);
  Item& ItemAt(uint32_t slot) { return slab_[slot >> kChunkBits][slot & (kChunkItems - 1)]; }
  const Item& ItemAt(uint32_t slot) const {
    return slab_[slot >> kChunkBits][slot & (kChunkItems - 1)];
  }
  const Policy& PolicyOf(const Item& item) const { return policies_[item.policy]; }
  // The item's targets; a metric whose `found` is false has no target for its priority.
  const ResolvedTargets& TargetsOf(const Item& item);
  Tracked* FindClock(Item& item, SlaMetric metric);
  uint32_t GroupOf(const Item& item);
  SlaAttainment& AttainmentOf(const Tracked& tracked) {
    return groups_[tracked.group][static_cast<int>(tracked.clock.metric())];
  }
  // The next unfired threshold of a running clock: a warning index, kBreach, or kNone; and the
  // instant it is reached. `reached`, when given, is a point of the clock's current running
  // stretch (see Reached).
  static constexpr int kBreach = -1;
  static constexpr int kNone = -2;
  // An instant at which the elapsed time of a running clock first reached `business`, above what
  // it had counted when its current running stretch began: a fired warning's due instant. In
  // nanoseconds since the Unix epoch and of business time.
  struct Reached {
    int64_t instant_ns;
    int64_t business_ns;
  };
  std::pair<int, absl::Time> NextThreshold(Policy& entry, const BusinessCalendar& calendar,
                                           const Tracked& tracked, const Reached* reached,
                                           CalendarMemo& memo);
  // The business time at which warning `index` of `entry` fires for `clock`, in nanoseconds.
  static int64_t WarningNanos(Policy& entry, const SlaClock& clock, int index);
  // `clock.InstantReaching(business, calendar)`; `reached` as for NextThreshold, or nullptr;
  // `memo` is the calendar's.
  static absl::Time InstantReaching(const SlaClock& clock, int64_t business_ns,
                                    const BusinessCalendar& calendar, const Reached* reached,
                                    CalendarMemo& memo);

  // Advances the wheel to `at` and records it as now (commands and AdvanceTo).
  void AdvanceWheel(absl::Time at);
  // A timer due at `due` fired: fire its threshold on time, then arm the next.
  void Fire(TimerKey key, absl::Time due);
  void FireThreshold(SlaItemId id, Item& item, Tracked& tracked, int threshold, absl::Time due,
                     absl::Time at);
  absl::Status CheckReasonCapacity(const SlaPolicy& policy) const;
  void SetPauseMasks(Policy& policy);
  // Starts a cycle of `metric` from `start` at command time `at`, paused if a reason applies.
  void StartClock(SlaItemId id, Item& item, SlaMetric metric, absl::Time start, uint16_t cycle,
                  absl::Time at);
  // Fires what is already due (late) and schedules the next threshold of a running clock;
  // `reached` as for NextThreshold, or nullptr.
  void Arm(SlaItemId id, Item& item, Tracked& tracked, absl::Time at,
           const Reached* reached = nullptr);
  void Disarm(Tracked& tracked);
  void StopClock(SlaItemId id, Item& item, Tracked& tracked, absl::Time at);
  void CancelClock(SlaItemId id, Item& item, Tracked& tracked, absl::Time at);
  void Emit(SlaEvent::Kind kind, SlaItemId id, const Tracked& tracked, double fraction,
            absl::Time due, absl::Time at, bool late,
            absl::Duration overrun = absl::ZeroDuration());
  void ApplyPauses(SlaItemId id, Item& item, absl::Time at);
  void RetargetItem(SlaItemId id, Item& item, absl::Time at);
  uint16_t NextCycle(const Item& item, SlaMetric metric) const;

  absl::Time now_;
  TimerWheel<TimerKey> wheel_;
  std::vector<Policy> policies_;
  std::map<std::string, uint32_t, std::less<>> policy_ids_;
  std::map<std::string, int, std::less<>> reason_ids_;
  // Priority and tier labels, interned.
  std::vector<std::string> labels_;
  std::map<std::string, uint32_t, std::less<>> label_ids_;
  // Items live in a slab (stable addresses, no rehash moves) found through `index_`; timers name
  // slots, so firing needs no hash lookup.
  absl::flat_hash_map<SlaItemId, uint32_t> index_;
  std::vector<std::vector<Item>> slab_;  // chunks of kChunkItems
  uint32_t slab_size_ = 0;
  std::vector<uint32_t> free_slots_;
  // The finished cycles of the items that have any, by slot.
  absl::flat_hash_map<uint32_t, std::vector<SlaCycleRecord>> histories_;
  // By (policy name, priority) for the attainment queries, and by (policy << 32 | priority label)
  // for the commands.
  std::map<std::pair<std::string, std::string>, uint32_t, std::less<>> group_ids_;
  absl::flat_hash_map<uint64_t, uint32_t> group_by_labels_;
  std::vector<std::array<SlaAttainment, kSlaMetricCount>> groups_;
  std::vector<SlaEvent> events_;
  size_t open_clocks_ = 0;
};

}  // namespace omniroute

#endif  // OMNIROUTE_SLA_TRACKER_H_
