// A hierarchical timing wheel (Varghese & Lauck, "Hashed and Hierarchical Timing Wheels", 1987)
// for millions of timers: O(1) schedule and cancel, and an `Advance` that skips empty time.
//
//   omniroute::TimerWheel<int> wheel(start);          // 1 ms ticks from `start`
//   absl::StatusOr<omniroute::TimerHandle> h = wheel.Schedule(start + absl::Minutes(5), 42);
//   wheel.Cancel(*h);                                  // true: it was pending
//   wheel.Advance(start + absl::Hours(1), [](omniroute::TimerHandle, absl::Time due, int value) {
//     ...                                              // fired in (due, scheduling order)
//   });
//
// Design. Time is counted in ticks from an origin. Eight levels of 256 slots cover every 64-bit
// tick count: a timer sits at the lowest level whose slot holds its tick relative to the wheel's
// current tick (the level of the highest bit in which they differ), so a timer months away waits
// in an upper level and moves down (cascades) at most once per level. Each level keeps a bitmap
// of occupied slots, so `Advance` jumps from one occupied slot to the next instead of stepping
// through empty ticks. Timers of one tick are fired sorted by (due instant, scheduling order), so
// the order is exact at any tick size; the tick only sets how finely timers are bucketed. A slot
// whose timers were linked in firing order (as rearmed timers are) fires without sorting.
//
// Memory: 32 bytes per timer plus its payload (40 bytes for a payload of up to 8 bytes), and an
// 8-byte slot entry; the slot table (72 KiB) is allocated by the first `Schedule`, so that a wheel
// that never holds a timer stays small.
//
// Determinism: the firing order depends only on due instants and the order of `Schedule` calls.
// A callback may schedule and cancel timers; a timer it schedules at or before the instant being
// advanced to fires within the same `Advance`, after the timers already due.
//
// Thread safety: thread-compatible (const methods may run concurrently; mutations need external
// synchronisation).
#ifndef OMNIROUTE_TIMER_WHEEL_H_
#define OMNIROUTE_TIMER_WHEEL_H_

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace omniroute {

namespace internal {
class StateCodec;  // the engine's state snapshot (src/internal/state_codec.h)
}  // namespace internal

// Names one scheduled timer. Stays valid (and harmless) after the timer fired or was cancelled:
// the wheel then reports it as no longer pending. A default-constructed handle names no timer.
class TimerHandle {
 public:
  constexpr TimerHandle() = default;

  constexpr bool valid() const { return generation_ != 0; }

  friend constexpr bool operator==(TimerHandle, TimerHandle) = default;
  template <typename H>
  friend H AbslHashValue(H h, TimerHandle t) {
    return H::combine(std::move(h), t.index_, t.generation_);
  }

 private:
  template <typename>
  friend class TimerWheel;
  friend class internal::StateCodec;
  constexpr TimerHandle(uint32_t index, uint32_t generation)
      : index_(index), generation_(generation) {}
  uint32_t index_ = 0;
  uint32_t generation_ = 0;
};

// A hierarchical timing wheel carrying a `Payload` per timer. See the file comment.
template <typename Payload>
class TimerWheel {
 public:
  static constexpr absl::Duration kDefaultTick = absl::Milliseconds(1);

  // A wheel whose clock starts at `origin` (nothing before it can be told apart from it), with
  // ticks of `tick` (whole nanoseconds, rounded down, at least 1 ns; not positive: 1 ms). A
  // callback must not call `Advance`.
  explicit TimerWheel(absl::Time origin = absl::UnixEpoch(), absl::Duration tick = kDefaultTick)
      : origin_(origin), tick_(ValidTick(tick)), now_(origin) {}

  // Schedules `payload` to fire at `due`. A `due` at or before `now()` fires on the next
  // `Advance`. InvalidArgument for an infinite `due`, or one more than 4e18 ticks from the
  // origin. O(1).
  absl::StatusOr<TimerHandle> Schedule(absl::Time due, Payload payload) {
    if (due == absl::InfiniteFuture() || due == absl::InfinitePast()) {
      return absl::InvalidArgumentError("a timer's due instant must be finite");
    }
    const Instant instant = InstantOf(due);
    if (instant.ticks == kTooFar) {
      return absl::InvalidArgumentError("a timer's due instant is too far from the wheel's origin");
    }
    uint32_t index;
    if (free_ != kNone) {
      index = free_;
      free_ = static_cast<uint32_t>(nodes_[index].sequence);
    } else {
      index = static_cast<uint32_t>(nodes_.size());
      nodes_.emplace_back();
    }
    if (slots_ == nullptr) slots_ = std::make_unique<Slots>();
    // Placed relative to the current tick, a new timer's upper-level slot never starts before
    // now().
    if (elapsed_behind_) CatchUp();
    Node& node = nodes_[index];
    node.due = instant;
    node.sequence = next_sequence_++;
    node.payload = std::move(payload);
    Link(index);
    ++size_;
    if (next_due_known_ && due < next_due_) SetNextDue(instant, due);
    return TimerHandle(index, node.generation);
  }

  // Cancels a pending timer. Returns false, changing nothing, when `handle` names no pending timer
  // (already fired, already cancelled, or never scheduled). O(1) amortised: the timer's node is
  // reused at once, and its slot's entry, now stale, is dropped when the slot is next visited;
  // when stale entries outnumber the pending timers, one sequential pass rebuilds the slots.
  bool Cancel(TimerHandle handle) {
    if (!IsPending(handle)) return false;
    Node& node = nodes_[handle.index_];
    if (node.due == next_due_instant_) next_due_known_ = false;
    if (node.state == State::kLinked) {
      ++stale_;
      SlotList& list = slots_->lists[node.slot];
      if (--list.live == 0) {
        // Only stale entries remain in that slot.
        stale_ -= list.entries.size();
        ClearEntries(node.slot);
        ClearOccupied(node.slot);
      }
    }
    Retire(handle.index_);
    Free(handle.index_);
    CompactIfWorthIt();
    if (size_ == 0) SetNextDue(kNever, absl::InfiniteFuture());
    return true;
  }

  // Whether `handle` names a timer that has neither fired nor been cancelled.
  bool IsPending(TimerHandle handle) const {
    return handle.valid() && handle.index_ < nodes_.size() &&
           nodes_[handle.index_].generation == handle.generation_ &&
           (nodes_[handle.index_].state == State::kLinked ||
            nodes_[handle.index_].state == State::kFiring);
  }

  // The due instant of a pending timer; InfiniteFuture when `handle` is not pending.
  absl::Time Due(TimerHandle handle) const {
    return IsPending(handle) ? TimeOf(nodes_[handle.index_].due) : absl::InfiniteFuture();
  }

  // The payload of a pending timer; nullptr when `handle` is not pending.
  const Payload* Find(TimerHandle handle) const {
    return IsPending(handle) ? &nodes_[handle.index_].payload : nullptr;
  }

  // Fires every pending timer due at or before `now`, in order of (due instant, scheduling
  // order), calling `fire(TimerHandle, absl::Time due, Payload payload)` for each; the timer is no
  // longer pending when its callback runs. A `now` earlier than `now()` fires nothing. Returns the
  // number fired. Cost: O(fired + cascaded + occupied slots passed); empty time is skipped.
  template <typename Fire>
  size_t Advance(absl::Time now, Fire&& fire) {
    return Advance(now, std::forward<Fire>(fire), [](const Payload&) {});
  }

  // The same, and calls `ahead(const Payload& payload)` for a timer a few places before its `fire`
  // (not for every timer, and not necessarily in firing order), so that the caller can prefetch
  // what that callback will touch. `ahead` must not change the wheel; it is only a hint.
  template <typename Fire, typename Ahead>
  size_t Advance(absl::Time now, Fire&& fire, Ahead&& ahead) {
    if (now < now_) return 0;
    now_ = now;
    // Nothing due and no upper-level slot begun: there is nothing to fire or cascade, and the
    // slots may keep their place until the next `Advance` that has.
    if (next_due_known_ && next_due_ > now && now < upper_slot_start_time_) {
      elapsed_behind_ = true;
      return 0;
    }
    elapsed_behind_ = false;
    // Nothing fires unless the earliest timer is due; cascading keeps every due instant.
    if (next_due_ <= now) next_due_known_ = false;
    now_instant_ = InstantOf(now_);
    if (now_instant_.ticks < 0) return 0;
    const uint64_t target = now_instant_.ticks == kTooFar
                                ? std::numeric_limits<uint64_t>::max()
                                : static_cast<uint64_t>(now_instant_.ticks);
    size_t fired = 0;
    while (true) {
      const Expiration next = NextExpiration();
      if (!next.found || next.tick > target) break;
      elapsed_ = next.tick;
      if (next.level > 0) {
        Cascade(next.level, next.slot);
        continue;
      }
      const bool last = next.tick == target;
      fired += FireSlot(next.slot, last, fire, ahead);
      if (last) break;
    }
    elapsed_ = std::max(elapsed_, target);
    SetUpperSlotStart(UpperSlotStart());
    if (!next_due_known_) RefreshNextDueIfCheap();
    return fired;
  }

  // The earliest due instant among pending timers; InfiniteFuture when none. O(1): kept up to
  // date by `Schedule`, and found again by `Advance` or `Cancel` when the earliest timer fires or
  // is cancelled (O(timers in the earliest occupied slot)).
  absl::Time NextDue() const { return next_due_known_ ? next_due_ : TimeOf(EarliestDue()); }

  // Where the next `Advance` should stop to make progress: NextDue() when it is known at no cost,
  // else the start of the earliest occupied slot, which is never after NextDue(). Advancing to it
  // fires what is due or moves that slot's timers down the wheel, so a caller stepping from stop
  // to stop reaches every due instant in order. InfiniteFuture when no timer is pending. O(1)
  // amortised, never a walk over timers.
  absl::Time NextStop() const {
    if (next_due_known_) return next_due_;
    const Expiration next = NextExpiration();
    if (!next.found) return absl::InfiniteFuture();
    // A one-tick slot may be the current one, which can hold timers not yet due: its start would
    // be no progress. Its few timers give the exact instant.
    if (next.level == 0) return TimeOf(EarliestDue());
    if (next.tick == upper_slot_start_ && upper_slot_start_time_ != absl::InfiniteFuture()) {
      return upper_slot_start_time_;
    }
    return origin_ + absl::Nanoseconds(tick_ns_) * static_cast<int64_t>(next.tick);
  }

  // The latest instant passed to `Advance` (the origin before any).
  absl::Time now() const { return now_; }
  absl::Time origin() const { return origin_; }
  absl::Duration tick() const { return tick_; }
  // Pending timers.
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Bytes held by the wheel (nodes, including cancelled ones not yet reclaimed, and slot heads),
  // for memory reports.
  size_t MemoryBytes() const {
    size_t bytes = sizeof(*this) + nodes_.capacity() * sizeof(Node) +
                   (scratch_.capacity() + later_.capacity()) * sizeof(Firing) +
                   taken_.capacity() * sizeof(Entry);
    if (slots_ == nullptr) return bytes;
    bytes += sizeof(Slots);
    for (const SlotList& list : slots_->lists) bytes += list.entries.capacity() * sizeof(Entry);
    return bytes;
  }

  // Writes the wheel's whole state (clock, counters, every timer node with its payload, the
  // slots' lists) to `out`, so that `LoadState` rebuilds a wheel that fires, schedules and hands
  // out handles exactly as this one would from here on. `out` offers the little-endian writer's
  // U8, Var (unsigned), Int (signed), Time and Duration; `save(out, payload)` writes a payload.
  // Not from inside an `Advance` callback. O(timers + slot entries).
  template <typename Writer, typename SavePayload>
  void SaveState(Writer& out, SavePayload&& save) const {
    out.Time(origin_);
    out.Duration(tick_);
    out.Time(now_);
    SaveInstant(out, now_instant_);
    out.Var(elapsed_);
    out.Var(next_sequence_);
    out.Var(size_);
    out.Var(stale_);
    out.Var(free_ == kNone ? 0 : uint64_t{free_} + 1);
    out.U8(static_cast<uint8_t>((next_due_known_ ? 1 : 0) | (elapsed_behind_ ? 2 : 0)));
    out.Time(next_due_);
    SaveInstant(out, next_due_instant_);
    out.Var(upper_slot_start_);
    out.Var(nodes_.size());
    for (const Node& node : nodes_) {
      out.U8(static_cast<uint8_t>(node.state));
      out.Var(node.generation);
      if (node.state == State::kFree) {
        out.Var(node.sequence == kNone ? 0 : node.sequence + 1);
        continue;
      }
      SaveInstant(out, node.due);
      out.Var(node.sequence);
      out.Var(node.slot);
      save(out, node.payload);
    }
    for (const uint64_t word : occupied_) out.Var(word);
    if (slots_ == nullptr) {
      out.U8(0);
      return;
    }
    out.U8(1);
    size_t lists = 0;
    for (const SlotList& list : slots_->lists)
      lists += list.entries.empty() && list.live == 0 ? 0 : 1;
    out.Var(lists);
    for (size_t key = 0; key < slots_->lists.size(); ++key) {
      const SlotList& list = slots_->lists[key];
      if (list.entries.empty() && list.live == 0) continue;
      out.Var(key);
      out.Var(list.live);
      out.Var(list.entries.size());
      for (const Entry& entry : list.entries) {
        out.Var(entry.index);
        out.Var(entry.generation);
      }
      if (key < kSlots) {
        const Order& order = slots_->order[key];
        out.U8(order.in_order ? 1 : 0);
        SaveInstant(out, order.last_due);
        out.Var(order.last_sequence);
      }
    }
  }

  // Replaces this wheel's state with what `SaveState` wrote, reading each payload with
  // `load(in, payload)` (an absl::Status). The wheel must have been built with the saved origin
  // and tick. `in` offers the bounds-checked reader's U8, Var, Int, Time and Duration, each an
  // absl::StatusOr. InvalidArgument, changing nothing, for truncated or inconsistent input (a
  // different origin or tick, a node in no slot, in two or in one its due instant is not in, a
  // broken free list, miscounted entries, a current tick off now, caches that disagree with the
  // timers): the loaded wheel's invariants are checked, so corrupt input cannot make it misfire.
  // O(timers + slot entries).
  template <typename Reader, typename LoadPayload>
  absl::Status LoadState(Reader& in, LoadPayload&& load) {
    TimerWheel loaded(origin_, tick_);
    absl::Status status = loaded.ReadState(in, load);
    if (!status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("timer wheel state: ", status.message()));
    }
    *this = std::move(loaded);
    return absl::OkStatus();
  }

 private:
  static constexpr int kLevelBits = 8;
  static constexpr int kSlots = 1 << kLevelBits;
  static constexpr int kLevels = (64 + kLevelBits - 1) / kLevelBits;
  static constexpr int kWordsPerLevel = (kSlots + 63) / 64;  // of the occupancy bitmap
  static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();
  static constexpr int64_t kTooFar = std::numeric_limits<int64_t>::max();
  // How far from the origin a timer may be, in ticks.
  static constexpr int64_t kFarTicks = 4'000'000'000'000'000'000;
  // The instants whose Unix nanoseconds fit an int64.
  static constexpr absl::Time kFirstNanosecond =
      absl::FromUnixNanos(std::numeric_limits<int64_t>::min());
  static constexpr absl::Time kLastNanosecond =
      absl::FromUnixNanos(std::numeric_limits<int64_t>::max());
  static constexpr size_t kCompactionFloor = 1024;
  // Slot walks are bound by memory latency and do little per entry: fetch far ahead.
  static constexpr size_t kPrefetchDistance = 64;
  // Firing runs a callback per timer, so a shorter reach suffices there.
  static constexpr size_t kFirePrefetchDistance = 16;
  static constexpr size_t kAheadDistance = 8;
  // kLinked: pending, in a slot's list. kFiring: pending, taken out of its list to fire.
  // kFree: on the free list.
  enum class State : uint8_t { kFree, kLinked, kFiring };

  // A slot's reference to a node; stale once the node's generation moved on.
  struct Entry {
    uint32_t index;
    uint32_t generation;
  };

  struct SlotList {
    std::vector<Entry> entries;  // stale ones included
    // Linked timers whose entry is in the list, or in `taken_` while the list fires in order.
    uint32_t live = 0;
  };

  // Of a level-0 slot (only those fire): whether its entries were appended in firing order, and
  // the last one's sort key. Timers rearmed in firing order keep a slot in order, and such a slot
  // fires without sorting.
  // An instant as whole ticks from the origin (floored; negative before it) and the nanoseconds
  // past that tick's start: exact, ordered as the instants are, and cheaper to compare than an
  // absl::Time. It also gives the tick a timer belongs to without a division.
  struct Instant {
    int64_t ticks = 0;
    int64_t offset_ns = 0;  // in [0, tick)
    friend auto operator<=>(const Instant&, const Instant&) = default;
  };
  static constexpr Instant kNever{kTooFar, 0};

  struct Order {
    bool in_order = true;
    Instant last_due;
    uint64_t last_sequence = 0;
  };

  struct Node {
    Instant due;
    // Scheduling order while pending; the next free node while on the free list.
    uint64_t sequence = kNone;
    uint32_t generation = 1;
    uint16_t slot = 0;  // level * kSlots + slot index, while linked
    State state = State::kFree;
    Payload payload{};
  };

  // A timer taken out to fire, with its sort key copied so that sorting stays in cache.
  struct Firing {
    Instant due;
    uint64_t sequence;
    uint32_t index;
    uint32_t generation;
  };

  struct Expiration {
    bool found = false;
    int level = 0;
    int slot = 0;
    uint64_t tick = 0;  // the start of the slot
  };

  template <typename Writer>
  static void SaveInstant(Writer& out, Instant instant) {
    out.Int(instant.ticks);
    out.Var(static_cast<uint64_t>(instant.offset_ns));
  }

  template <typename Reader>
  absl::StatusOr<Instant> ReadInstant(Reader& in) const {
    auto ticks = in.Int();
    if (!ticks.ok()) return ticks.status();
    auto offset = in.Var();
    if (!offset.ok()) return offset.status();
    const Instant instant{*ticks, static_cast<int64_t>(*offset)};
    if (instant == kNever) return instant;
    if (*offset >= static_cast<uint64_t>(tick_ns_) || *ticks > kFarTicks || *ticks < -kFarTicks) {
      return absl::InvalidArgumentError("an instant out of range");
    }
    return instant;
  }

  // Reads into this wheel, freshly built; see LoadState.
  template <typename Reader, typename LoadPayload>
  absl::Status ReadState(Reader& in, LoadPayload& load) {
#define OMNIROUTE_WHEEL_READ(lhs, expr)     \
  {                                         \
    auto value = (expr);                    \
    if (!value.ok()) return value.status(); \
    lhs = *value;                           \
  }
    absl::Time origin;
    absl::Duration tick;
    OMNIROUTE_WHEEL_READ(origin, in.Time());
    OMNIROUTE_WHEEL_READ(tick, in.Duration());
    if (origin != origin_ || tick != tick_) {
      return absl::InvalidArgumentError("saved with another origin or tick");
    }
    OMNIROUTE_WHEEL_READ(now_, in.Time());
    OMNIROUTE_WHEEL_READ(now_instant_, ReadInstant(in));
    OMNIROUTE_WHEEL_READ(elapsed_, in.Var());
    const int64_t now_ticks = InstantOf(now_).ticks;
    const uint64_t now_tick = static_cast<uint64_t>(std::max<int64_t>(now_ticks, 0));
    // Timers link relative to the current tick: one past now() would hold them beyond their due
    // instants, where Advance never reaches.
    if (now_ticks != kTooFar && elapsed_ > now_tick) {
      return absl::InvalidArgumentError("the current tick is past now");
    }
    OMNIROUTE_WHEEL_READ(next_sequence_, in.Var());
    uint64_t size, stale, free, flags, nodes;
    OMNIROUTE_WHEEL_READ(size, in.Var());
    OMNIROUTE_WHEEL_READ(stale, in.Var());
    OMNIROUTE_WHEEL_READ(free, in.Var());
    OMNIROUTE_WHEEL_READ(flags, in.U8());
    if (flags > 3) return absl::InvalidArgumentError("unknown flags");
    next_due_known_ = (flags & 1) != 0;
    elapsed_behind_ = (flags & 2) != 0;
    // Only an Advance that had nothing to do leaves the current tick behind now(), and says so:
    // Schedule then catches up first. Unflagged, a new timer would link into an upper slot that
    // begins before now(), a stop where Advance makes no progress.
    if (!elapsed_behind_ && now_ticks != kTooFar && elapsed_ != now_tick) {
      return absl::InvalidArgumentError("the current tick is behind now");
    }
    OMNIROUTE_WHEEL_READ(next_due_, in.Time());
    OMNIROUTE_WHEEL_READ(next_due_instant_, ReadInstant(in));
    OMNIROUTE_WHEEL_READ(upper_slot_start_, in.Var());
    SetUpperSlotStart(upper_slot_start_);
    OMNIROUTE_WHEEL_READ(nodes, in.Var());
    // Every node takes at least two bytes: a count beyond the input is corrupt, not a reason to
    // allocate.
    if (nodes >= kNone || nodes > in.remaining()) {
      return absl::InvalidArgumentError("too many nodes");
    }
    // Each node is written once, as it is read: nodes are most of what a wheel loads.
    nodes_.reserve(nodes);
    size_t linked = 0;
    Instant earliest = kNever;
    for (uint64_t n = 0; n < nodes; ++n) {
      Node& node = nodes_.emplace_back();
      uint64_t state, generation;
      OMNIROUTE_WHEEL_READ(state, in.U8());
      OMNIROUTE_WHEEL_READ(generation, in.Var());
      if (generation == 0 || generation > std::numeric_limits<uint32_t>::max()) {
        return absl::InvalidArgumentError("a node's generation out of range");
      }
      node.generation = static_cast<uint32_t>(generation);
      if (state == static_cast<uint64_t>(State::kFree)) {
        uint64_t next;
        OMNIROUTE_WHEEL_READ(next, in.Var());
        if (next > nodes) return absl::InvalidArgumentError("a free node's link out of range");
        node.sequence = next == 0 ? kNone : next - 1;
        continue;
      }
      if (state != static_cast<uint64_t>(State::kLinked)) {
        return absl::InvalidArgumentError("a node in an unknown state");
      }
      node.state = State::kLinked;
      uint64_t slot;
      OMNIROUTE_WHEEL_READ(node.due, ReadInstant(in));
      OMNIROUTE_WHEEL_READ(node.sequence, in.Var());
      OMNIROUTE_WHEEL_READ(slot, in.Var());
      if (node.due == kNever || node.sequence >= next_sequence_ || slot >= kLevels * kSlots) {
        return absl::InvalidArgumentError("a pending node out of range");
      }
      // Advance reaches a timer only through the slot its due instant falls in from the current
      // tick: in another it would fire early, or late behind a stop where nothing is due.
      if (slot != SlotFor(LinkTick(node.due))) {
        return absl::InvalidArgumentError("a timer in a slot its due instant is not in");
      }
      node.slot = static_cast<uint16_t>(slot);
      if (absl::Status status = load(in, node.payload); !status.ok()) return status;
      earliest = std::min(earliest, node.due);
      ++linked;
    }
    if (linked != size) return absl::InvalidArgumentError("the pending count is off");
    // A known earliest due instant is NextStop(): one before a pending timer's would stop a caller
    // stepping from stop to stop where Advance makes no progress, and a later one would hold timers
    // back. It may stay behind only when past now(), after its timer fired within its tick.
    if (next_due_known_ &&
        (InstantOf(next_due_) != next_due_instant_ || next_due_instant_ > earliest ||
         (next_due_instant_ != earliest && next_due_ <= now_))) {
      return absl::InvalidArgumentError("the earliest due instant is off");
    }
    size_ = linked;
    // The free list must run through every free node once.
    free_ = free == 0 ? kNone : static_cast<uint32_t>(free - 1);
    if (free > nodes) return absl::InvalidArgumentError("the free list's head out of range");
    std::vector<bool> seen(nodes_.size());
    size_t free_nodes = 0;
    for (uint32_t index = free_; index != kNone;
         index = static_cast<uint32_t>(nodes_[index].sequence)) {
      if (nodes_[index].state != State::kFree || seen[index]) {
        return absl::InvalidArgumentError("a broken free list");
      }
      seen[index] = true;
      ++free_nodes;
    }
    if (free_nodes + linked != nodes_.size()) {
      return absl::InvalidArgumentError("a free node off the free list");
    }
    for (uint64_t& word : occupied_) OMNIROUTE_WHEEL_READ(word, in.Var());
    uint64_t has_slots;
    OMNIROUTE_WHEEL_READ(has_slots, in.U8());
    if (has_slots > 1 || (has_slots == 0 && (linked > 0 || stale > 0))) {
      return absl::InvalidArgumentError("timers without slots");
    }
    if (has_slots == 0) {
      for (const uint64_t word : occupied_) {
        if (word != 0) return absl::InvalidArgumentError("an occupied slot without slots");
      }
      return absl::OkStatus();
    }
    slots_ = std::make_unique<Slots>();
    uint64_t lists;
    OMNIROUTE_WHEEL_READ(lists, in.Var());
    if (lists > slots_->lists.size()) return absl::InvalidArgumentError("too many slot lists");
    std::fill(seen.begin(), seen.end(), false);
    size_t previous_key = 0;
    size_t stale_entries = 0;
    for (uint64_t l = 0; l < lists; ++l) {
      uint64_t key, live, entries;
      OMNIROUTE_WHEEL_READ(key, in.Var());
      OMNIROUTE_WHEEL_READ(live, in.Var());
      OMNIROUTE_WHEEL_READ(entries, in.Var());
      if (key >= slots_->lists.size() || (l > 0 && key <= previous_key) ||
          entries > in.remaining()) {
        return absl::InvalidArgumentError("a slot list out of range");
      }
      previous_key = key;
      SlotList& list = slots_->lists[key];
      list.entries.resize(entries);
      size_t valid = 0;
      // The firing key of the slot's last pending timer, and whether they are listed in firing
      // order.
      std::pair<Instant, uint64_t> last{};
      bool sorted = true;
      for (Entry& entry : list.entries) {
        uint64_t index, generation;
        OMNIROUTE_WHEEL_READ(index, in.Var());
        OMNIROUTE_WHEEL_READ(generation, in.Var());
        if (index >= nodes_.size() || generation > std::numeric_limits<uint32_t>::max()) {
          return absl::InvalidArgumentError("a slot entry out of range");
        }
        entry = Entry{static_cast<uint32_t>(index), static_cast<uint32_t>(generation)};
        if (!Valid(entry)) {
          ++stale_entries;
          continue;
        }
        if (nodes_[index].slot != key || seen[index]) {
          return absl::InvalidArgumentError("a timer listed in the wrong slot, or twice");
        }
        seen[index] = true;
        const std::pair<Instant, uint64_t> firing(nodes_[index].due, nodes_[index].sequence);
        if (valid > 0 && firing < last) sorted = false;
        last = firing;
        ++valid;
      }
      if (valid != live) return absl::InvalidArgumentError("a slot's live count is off");
      list.live = static_cast<uint32_t>(live);
      if (key < kSlots) {
        Order& order = slots_->order[key];
        uint64_t in_order;
        OMNIROUTE_WHEEL_READ(in_order, in.U8());
        if (in_order > 1) return absl::InvalidArgumentError("a slot's order flag out of range");
        order.in_order = in_order == 1;
        OMNIROUTE_WHEEL_READ(order.last_due, ReadInstant(in));
        OMNIROUTE_WHEEL_READ(order.last_sequence, in.Var());
        // An in-order slot fires as listed, and Push keeps it so by comparing each new timer with
        // the last one listed. Flagged in order when it is not, or with a last key before its last
        // timer's, a slot fires out of order, and a timer not yet due held ahead of due ones holds
        // them back.
        if (order.in_order &&
            (!sorted || (valid > 0 && std::pair(order.last_due, order.last_sequence) < last))) {
          return absl::InvalidArgumentError("a slot's firing order is off");
        }
      }
    }
#undef OMNIROUTE_WHEEL_READ
    for (uint32_t i = 0; i < nodes_.size(); ++i) {
      if (nodes_[i].state == State::kLinked && !seen[i]) {
        return absl::InvalidArgumentError("a pending timer in no slot");
      }
    }
    if (stale_entries != stale) return absl::InvalidArgumentError("the stale count is off");
    stale_ = stale_entries;
    for (size_t key = 0; key < slots_->lists.size(); ++key) {
      const bool occupied = (occupied_[key / 64] >> (key % 64)) & 1;
      // An empty slot marked occupied would be a stop where nothing fires or cascades.
      if ((slots_->lists[key].live > 0) != occupied) {
        return absl::InvalidArgumentError("a slot's occupancy is off");
      }
    }
    // A bound on the upper slots' starts, before which Advance neither fires nor cascades: one too
    // high would let the current tick pass an upper slot that was never cascaded.
    if (upper_slot_start_ > UpperSlotStart()) {
      return absl::InvalidArgumentError("the first upper slot's start is off");
    }
    return absl::OkStatus();
  }

  static absl::Duration ValidTick(absl::Duration tick) {
    if (tick <= absl::ZeroDuration()) return kDefaultTick;
    return absl::Nanoseconds(std::max<int64_t>(1, absl::ToInt64Nanoseconds(tick)));
  }

  static bool FiresBefore(const Firing& x, const Firing& y) {
    return x.due != y.due ? x.due < y.due : x.sequence < y.sequence;
  }

  // `t` as ticks from the origin and nanoseconds past the tick; kNever more than 4e18 ticks from
  // the origin.
  Instant InstantOf(absl::Time t) const {
    int64_t since_ns;
    if (origin_has_ns_ && t >= kFirstNanosecond && t <= kLastNanosecond &&
        !__builtin_sub_overflow(absl::ToUnixNanos(t), origin_ns_, &since_ns)) {
      Instant instant{since_ns / tick_ns_, since_ns % tick_ns_};
      if (instant.offset_ns < 0) {
        --instant.ticks;
        instant.offset_ns += tick_ns_;
      }
      const bool too_far = instant.ticks > kFarTicks ||
                           (instant.ticks == kFarTicks && instant.offset_ns > 0) ||
                           instant.ticks < -kFarTicks;
      return too_far ? kNever : instant;
    }
    const absl::Duration since = t - origin_;
    if (since > too_far_ || since < -too_far_) return kNever;
    absl::Duration rest;
    Instant instant{absl::IDivDuration(since, tick_, &rest), 0};
    if (rest < absl::ZeroDuration()) {
      --instant.ticks;
      rest += tick_;
    }
    instant.offset_ns = absl::ToInt64Nanoseconds(rest);
    return instant;
  }

  // The inverse of InstantOf; InfiniteFuture for kNever.
  absl::Time TimeOf(Instant instant) const {
    if (instant == kNever) return absl::InfiniteFuture();
    int64_t ns;
    if (origin_has_ns_ && !__builtin_mul_overflow(instant.ticks, tick_ns_, &ns) &&
        !__builtin_add_overflow(ns, instant.offset_ns, &ns) &&
        !__builtin_add_overflow(ns, origin_ns_, &ns)) {
      return absl::FromUnixNanos(ns);
    }
    return origin_ + tick_ * instant.ticks + absl::Nanoseconds(instant.offset_ns);
  }

  void SetNextDue(Instant instant, absl::Time due) {
    next_due_instant_ = instant;
    next_due_ = due;
    next_due_known_ = true;
  }

  static int LevelFor(uint64_t elapsed, uint64_t tick) {
    const uint64_t differing = (elapsed ^ tick) | (kSlots - 1);
    return (63 - std::countl_zero(differing)) / kLevelBits;
  }

  void SetOccupied(uint16_t key) { occupied_[key / 64] |= uint64_t{1} << (key % 64); }
  void ClearOccupied(uint16_t key) { occupied_[key / 64] &= ~(uint64_t{1} << (key % 64)); }

  // Empties `list` (its live count aside), keeping its capacity.
  void ClearEntries(uint16_t key) {
    slots_->lists[key].entries.clear();
    if (key < kSlots) slots_->order[key].in_order = true;
  }

  void Push(uint16_t key, Entry entry, const Node& node) {
    SlotList& list = slots_->lists[key];
    if (key < kSlots) {
      Order& order = slots_->order[key];
      if (!list.entries.empty() &&
          (node.due != order.last_due ? node.due < order.last_due
                                      : node.sequence < order.last_sequence)) {
        order.in_order = false;
      }
      order.last_due = node.due;
      order.last_sequence = node.sequence;
    }
    list.entries.push_back(entry);
  }

  // The tick a timer due at `due` is linked at: its own, or the current one when that is past.
  uint64_t LinkTick(Instant due) const {
    return std::max(static_cast<uint64_t>(std::max<int64_t>(due.ticks, 0)), elapsed_);
  }

  // The slot (level * kSlots + slot index) that holds timers of `tick`, from the current tick.
  uint16_t SlotFor(uint64_t tick) const {
    const int level = LevelFor(elapsed_, tick);
    const int shift = level * kLevelBits;
    return static_cast<uint16_t>(level * kSlots + ((tick >> shift) & (kSlots - 1)));
  }

  void Link(uint32_t index) {
    Node& node = nodes_[index];
    const uint64_t tick = LinkTick(node.due);
    const uint16_t key = SlotFor(tick);
    const int level = key / kSlots;
    const int shift = level * kLevelBits;
    if (level > 0 && ((tick >> shift) << shift) < upper_slot_start_) {
      SetUpperSlotStart((tick >> shift) << shift);
    }
    node.slot = key;
    node.state = State::kLinked;
    SlotList& list = slots_->lists[key];
    Push(key, Entry{index, node.generation}, node);
    ++list.live;
    SetOccupied(key);
  }

  // Ends a pending timer: it no longer counts, and its handle goes stale.
  void Retire(uint32_t index) {
    Node& node = nodes_[index];
    node.payload = Payload{};
    if (++node.generation == 0) node.generation = 1;
    --size_;
  }

  void Free(uint32_t index) {
    Node& node = nodes_[index];
    node.state = State::kFree;
    node.sequence = free_;
    free_ = index;
  }

  // Takes the entries of slot `key` out of the wheel into `taken_`; the live ones must be
  // relinked or fired.
  void Detach(uint16_t key) {
    TakeEntries(key);
    slots_->lists[key].live = 0;
  }

  // Moves the entries of slot `key` into `taken_` and empties the list, leaving its live count.
  // The list gets the previous batch's buffer, so capacity circulates instead of growing anew.
  void TakeEntries(uint16_t key) {
    SlotList& list = slots_->lists[key];
    taken_.clear();
    taken_.swap(list.entries);
    if (key < kSlots) slots_->order[key].in_order = true;
    ClearOccupied(key);
  }

  // Slot lists are index arrays, so walking one issues independent loads; fetching ahead hides
  // their latency.
  void Prefetch(size_t position) const {
    if (position < taken_.size()) PrefetchNode(taken_[position].index);
  }

  // A node may straddle two cache lines: fetch both.
  void PrefetchNode(uint32_t index) const {
    const char* node = reinterpret_cast<const char*>(&nodes_[index]);
    __builtin_prefetch(node);
    __builtin_prefetch(node + sizeof(Node) - 1);
  }

  bool Valid(const Entry& entry) const {
    const Node& node = nodes_[entry.index];
    return node.generation == entry.generation && node.state == State::kLinked;
  }

  // Not while an in-order slot fires: its unvisited timers are linked but in no list, and a
  // rebuild would put them back.
  void CompactIfWorthIt() {
    if (!firing_in_order_ && stale_ > kCompactionFloor && stale_ > size_) Compact();
  }

  // Rebuilds every slot from the pending nodes, dropping stale entries, in one sequential pass.
  // Nodes being fired are in no slot and stay out.
  void Compact() {
    for (size_t key = 0; key < slots_->lists.size(); ++key) {
      ClearEntries(static_cast<uint16_t>(key));
    }
    stale_ = 0;
    for (uint32_t i = 0; i < nodes_.size(); ++i) {
      const Node& node = nodes_[i];
      if (node.state == State::kLinked) Push(node.slot, Entry{i, node.generation}, node);
    }
  }

  // The first occupied slot of `level` at or after `from`, wrapping around; -1 when none.
  int FirstOccupied(int level, int from) const {
    const uint64_t* words = &occupied_[level * kWordsPerLevel];
    for (int w = from / 64; w < kWordsPerLevel; ++w) {
      uint64_t bits = words[w];
      if (w == from / 64) bits &= ~uint64_t{0} << (from % 64);
      if (bits != 0) return w * 64 + std::countr_zero(bits);
    }
    for (int w = 0; w <= from / 64 && w < kWordsPerLevel; ++w) {
      if (words[w] != 0) return w * 64 + std::countr_zero(words[w]);
    }
    return -1;
  }

  // The earliest due instant, from the earliest occupied slot's timers; kNever when none.
  Instant EarliestDue() const {
    const Expiration next = NextExpiration();
    if (!next.found) return kNever;
    // An in-order slot's first live entry is its earliest.
    const bool in_order = next.level == 0 && slots_->order[next.slot].in_order;
    Instant earliest = kNever;
    for (const Entry& entry : slots_->lists[next.level * kSlots + next.slot].entries) {
      if (!Valid(entry)) continue;
      earliest = std::min(earliest, nodes_[entry.index].due);
      if (in_order) break;
    }
    return earliest;
  }

  // Finds the earliest due instant again when the earliest occupied slot is one tick wide (few
  // timers); upper-level slots wait until they cascade.
  void RefreshNextDueIfCheap() {
    const Expiration next = NextExpiration();
    if (next.found && next.level > 0) return;
    const Instant earliest = EarliestDue();
    SetNextDue(earliest, TimeOf(earliest));
  }

  // The start tick of the earliest occupied slot above level 0; the largest tick when none.
  uint64_t UpperSlotStart() const {
    const Expiration next = NextExpiration(1);
    return next.found ? next.tick : std::numeric_limits<uint64_t>::max();
  }

  // Moves the current tick up to now() after `Advance` calls that had nothing to do.
  void CatchUp() {
    elapsed_behind_ = false;
    const int64_t ticks = InstantOf(now_).ticks;
    if (ticks > 0 && ticks != kTooFar) elapsed_ = std::max(elapsed_, static_cast<uint64_t>(ticks));
  }

  void SetUpperSlotStart(uint64_t tick) {
    upper_slot_start_ = tick;
    upper_slot_start_time_ =
        tick >= static_cast<uint64_t>(std::numeric_limits<int64_t>::max() / tick_ns_)
            ? absl::InfiniteFuture()
            : origin_ + absl::Nanoseconds(static_cast<int64_t>(tick) * tick_ns_);
  }

  Expiration NextExpiration(int first_level = 0) const {
    for (int level = first_level; level < kLevels; ++level) {
      const int shift = level * kLevelBits;
      const int now_slot = static_cast<int>((elapsed_ >> shift) & (kSlots - 1));
      const int slot = FirstOccupied(level, now_slot);
      if (slot < 0) continue;
      const int range_bits = shift + kLevelBits;
      const uint64_t level_start =
          range_bits >= 64 ? 0 : elapsed_ & ~((uint64_t{1} << range_bits) - 1);
      return Expiration{true, level, slot, level_start + (static_cast<uint64_t>(slot) << shift)};
    }
    return Expiration{};
  }

  // Moves every timer of an upper-level slot whose time has come down to the lower levels.
  void Cascade(int level, int slot) {
    Detach(static_cast<uint16_t>(level * kSlots + slot));
    for (size_t i = 0; i < taken_.size(); ++i) {
      Prefetch(i + kPrefetchDistance);
      if (Valid(taken_[i])) {
        Link(taken_[i].index);
      } else {
        --stale_;
      }
    }
  }

  // Fires the level-0 slot of the current tick. In the `last` tick only timers due at or before
  // `now_` fire; the others stay. Repeats while callbacks add timers that are due.
  template <typename Fire, typename Ahead>
  size_t FireSlot(int slot, bool last, Fire& fire, Ahead& ahead) {
    size_t fired = 0;
    while (true) {
      if (slots_->order[slot].in_order) {
        const size_t in_order = FireInOrder(static_cast<uint16_t>(slot), last, fire, ahead);
        if (in_order == 0) return fired;
        fired += in_order;
        continue;
      }
      scratch_.clear();
      Detach(static_cast<uint16_t>(slot));
      scratch_.reserve(taken_.size());
      // Timers rearmed in firing order come back in order: then the sort can be skipped.
      bool ordered = true;
      for (size_t i = 0; i < taken_.size(); ++i) {
        Prefetch(i + kPrefetchDistance);
        const Entry entry = taken_[i];
        Node& node = nodes_[entry.index];
        if (!Valid(entry)) {
          --stale_;
        } else if (!last || node.due <= now_instant_) {
          node.state = State::kFiring;
          const Firing firing{node.due, node.sequence, entry.index, entry.generation};
          if (!scratch_.empty() && FiresBefore(firing, scratch_.back())) ordered = false;
          scratch_.push_back(firing);
        } else {
          later_.push_back({node.due, node.sequence, entry.index, entry.generation});
        }
      }
      // Relinked in firing order, the timers not yet due leave the slot in order: the next
      // `Advance` within this tick neither sorts nor visits them.
      if (!later_.empty()) {
        std::sort(later_.begin(), later_.end(), FiresBefore);
        for (const Firing& kept : later_) Link(kept.index);
        later_.clear();
      }
      if (scratch_.empty()) return fired;
      if (!ordered) std::sort(scratch_.begin(), scratch_.end(), FiresBefore);
      // A callback may cancel a later member of the batch, or schedule timers that reuse freed
      // nodes: the handle's generation tells.
      for (size_t i = 0; i < scratch_.size(); ++i) {
        if (i + kFirePrefetchDistance < scratch_.size()) {
          PrefetchNode(scratch_[i + kFirePrefetchDistance].index);
        }
        if (i + kAheadDistance < scratch_.size()) {
          const Firing& soon = scratch_[i + kAheadDistance];
          const Node& node = nodes_[soon.index];
          if (node.generation == soon.generation && node.state == State::kFiring) {
            ahead(std::as_const(node.payload));
          }
        }
        const TimerHandle handle(scratch_[i].index, scratch_[i].generation);
        if (!IsPending(handle)) continue;
        Node& node = nodes_[handle.index_];
        const absl::Time due = TimeOf(node.due);
        Payload payload = std::move(node.payload);
        Retire(handle.index_);
        Free(handle.index_);
        ++fired;
        fire(handle, due, std::move(payload));
      }
    }
  }

  // Fires level-0 slot `key`, whose entries are in firing order, in one pass: each timer's node is
  // visited once. In the `last` tick the timers not yet due are a suffix; they are relinked.
  // Until visited, a timer stays linked and counted in the slot's live count, so a callback may
  // cancel it as usual. Returns the number fired.
  template <typename Fire, typename Ahead>
  size_t FireInOrder(uint16_t key, bool last, Fire& fire, Ahead& ahead) {
    if (last) {
      // Nothing due yet: the slot stays as it is, however many timers it holds.
      for (const Entry& entry : slots_->lists[key].entries) {
        if (!Valid(entry)) continue;
        if (nodes_[entry.index].due > now_instant_) return 0;
        break;
      }
    }
    TakeEntries(key);
    firing_in_order_ = true;
    size_t fired = 0;
    size_t not_due = taken_.size();
    for (size_t i = 0; i < taken_.size(); ++i) {
      if (i + kFirePrefetchDistance < taken_.size()) {
        PrefetchNode(taken_[i + kFirePrefetchDistance].index);
      }
      if (i + kAheadDistance < taken_.size() && Valid(taken_[i + kAheadDistance])) {
        ahead(std::as_const(nodes_[taken_[i + kAheadDistance].index].payload));
      }
      const Entry entry = taken_[i];
      if (!Valid(entry)) {
        --stale_;
        continue;
      }
      Node& node = nodes_[entry.index];
      if (last && node.due > now_instant_) {
        not_due = i;
        break;
      }
      --slots_->lists[key].live;
      const absl::Time due = TimeOf(node.due);
      Payload payload = std::move(node.payload);
      Retire(entry.index);
      Free(entry.index);
      ++fired;
      fire(TimerHandle(entry.index, entry.generation), due, std::move(payload));
    }
    firing_in_order_ = false;
    if (not_due < taken_.size()) KeepNotDue(key, not_due);
    CompactIfWorthIt();
    return fired;
  }

  // Puts back the timers of level-0 slot `key` from `taken_[first]` on, which are not due yet and
  // still counted in its live count. The common case (no callback scheduled into this slot) keeps
  // their entries as they are, in order, without visiting their nodes.
  void KeepNotDue(uint16_t key, size_t first) {
    SlotList& list = slots_->lists[key];
    if (!list.entries.empty()) {
      for (size_t i = first; i < taken_.size(); ++i) {
        if (!Valid(taken_[i])) {
          --stale_;
          continue;
        }
        --list.live;
        Link(taken_[i].index);
      }
      return;
    }
    list.entries.assign(taken_.begin() + static_cast<std::ptrdiff_t>(first), taken_.end());
    // They were the list's tail: its order, and the key `Push` compares with next, still hold.
    SetOccupied(key);
  }

  absl::Time origin_;
  absl::Duration tick_;
  int64_t tick_ns_ = absl::ToInt64Nanoseconds(tick_);
  absl::Duration too_far_ = tick_ * static_cast<double>(kFarTicks);
  // The origin in Unix nanoseconds, when it has one: instants near it then convert in integers
  // (absl's Duration arithmetic is out of line).
  bool origin_has_ns_ = origin_ >= kFirstNanosecond && origin_ <= kLastNanosecond;
  int64_t origin_ns_ = origin_has_ns_ ? absl::ToUnixNanos(origin_) : 0;
  absl::Time now_;
  Instant now_instant_;   // now() as an Instant, set by `Advance`
  uint64_t elapsed_ = 0;  // the current tick
  uint64_t next_sequence_ = 0;
  size_t size_ = 0;
  size_t stale_ = 0;  // slot entries of cancelled timers not yet dropped
  uint32_t free_ = kNone;
  bool firing_in_order_ = false;
  // The earliest pending due instant, when `next_due_known_`.
  absl::Time next_due_ = absl::InfiniteFuture();
  Instant next_due_instant_ = kNever;
  bool next_due_known_ = true;
  // No occupied slot above level 0 starts before this tick (a bound: cancelling and cascading
  // leave it low), so `Advance` to an earlier tick with nothing due has nothing to cascade.
  uint64_t upper_slot_start_ = std::numeric_limits<uint64_t>::max();
  absl::Time upper_slot_start_time_ = absl::InfiniteFuture();  // the same, as an instant
  bool elapsed_behind_ = false;  // `elapsed_` may be short of now()'s tick
  std::vector<Node> nodes_;
  std::vector<Firing> scratch_;
  std::vector<Firing> later_;  // FireSlot's timers not yet due
  std::vector<Entry> taken_;
  // Allocated by the first `Schedule` (see the file comment).
  struct Slots {
    std::array<SlotList, kLevels * kSlots> lists{};
    std::array<Order, kSlots> order{};
  };
  std::unique_ptr<Slots> slots_;
  std::array<uint64_t, kLevels * kWordsPerLevel> occupied_{};
};

}  // namespace omniroute

#endif  // OMNIROUTE_TIMER_WHEEL_H_
