#include "internal/state_codec.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "internal/status_macros.h"

namespace omniroute::internal {
namespace {

// Pause reasons are bits of a 64-bit mask.
constexpr uint64_t kMaxPauseReasons = 64;

void SaveDouble(double value, ByteWriter& out) { out.U64(std::bit_cast<uint64_t>(value)); }

absl::StatusOr<double> ReadDouble(ByteReader& in) {
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t bits, in.U64());
  return std::bit_cast<double>(bits);
}

// A handle's two 32-bit parts (slot or index, generation).
absl::StatusOr<std::pair<uint32_t, uint32_t>> ReadHandle(ByteReader& in, std::string_view what) {
  constexpr uint64_t kBound = uint64_t{std::numeric_limits<uint32_t>::max()} + 1;
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t first, in.Below(kBound, what));
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t second, in.Below(kBound, what));
  return std::make_pair(static_cast<uint32_t>(first), static_cast<uint32_t>(second));
}

absl::StatusOr<SlaMetric> ReadMetric(ByteReader& in) {
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t metric, in.Below(kSlaMetricCount, "SLA metric"));
  return static_cast<SlaMetric>(metric);
}

absl::StatusOr<uint16_t> ReadCycle(ByteReader& in) {
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t cycle,
                             in.Below(std::numeric_limits<uint16_t>::max() + 1, "cycle"));
  return static_cast<uint16_t>(cycle);
}

void SaveRecord(const SlaCycleRecord& record, ByteWriter& out) {
  out.U8(static_cast<uint8_t>(record.metric));
  out.Var(record.cycle);
  out.U8(static_cast<uint8_t>(record.outcome));
  out.U8(record.late ? 1 : 0);
  out.Time(record.start);
  out.Time(record.stop);
  out.Duration(record.target);
  out.Duration(record.business_time);
}

absl::Status ReadRecord(ByteReader& in, SlaCycleRecord& record) {
  OMNIROUTE_ASSIGN_OR_RETURN(record.metric, ReadMetric(in));
  OMNIROUTE_ASSIGN_OR_RETURN(record.cycle, ReadCycle(in));
  OMNIROUTE_ASSIGN_OR_RETURN(const uint8_t outcome, in.U8());
  if (outcome > static_cast<uint8_t>(SlaState::kCancelled)) return in.Malformed("SLA outcome");
  record.outcome = static_cast<SlaState>(outcome);
  OMNIROUTE_ASSIGN_OR_RETURN(record.late, in.Bool());
  OMNIROUTE_ASSIGN_OR_RETURN(record.start, in.Time());
  OMNIROUTE_ASSIGN_OR_RETURN(record.stop, in.Time());
  OMNIROUTE_ASSIGN_OR_RETURN(record.target, in.Duration());
  OMNIROUTE_ASSIGN_OR_RETURN(record.business_time, in.Duration());
  return absl::OkStatus();
}

void SaveEvent(const SlaEvent& event, ByteWriter& out) {
  out.Var(event.item);
  out.U8(static_cast<uint8_t>(event.kind));
  out.U8(static_cast<uint8_t>(event.metric));
  out.Var(event.cycle);
  out.U8(event.late ? 1 : 0);
  SaveDouble(event.fraction, out);
  out.Time(event.due);
  out.Time(event.at);
  out.Duration(event.overrun);
}

absl::Status ReadEvent(ByteReader& in, SlaEvent& event) {
  OMNIROUTE_ASSIGN_OR_RETURN(event.item, in.Var());
  OMNIROUTE_ASSIGN_OR_RETURN(const uint8_t kind, in.U8());
  if (kind > static_cast<uint8_t>(SlaEvent::Kind::kCancelled)) return in.Malformed("SLA event");
  event.kind = static_cast<SlaEvent::Kind>(kind);
  OMNIROUTE_ASSIGN_OR_RETURN(event.metric, ReadMetric(in));
  OMNIROUTE_ASSIGN_OR_RETURN(event.cycle, ReadCycle(in));
  OMNIROUTE_ASSIGN_OR_RETURN(event.late, in.Bool());
  OMNIROUTE_ASSIGN_OR_RETURN(event.fraction, ReadDouble(in));
  OMNIROUTE_ASSIGN_OR_RETURN(event.due, in.Time());
  OMNIROUTE_ASSIGN_OR_RETURN(event.at, in.Time());
  OMNIROUTE_ASSIGN_OR_RETURN(event.overrun, in.Duration());
  return absl::OkStatus();
}

}  // namespace

void StateCodec::Save(const QuantileSketch& sketch, ByteWriter& out) {
  SaveDouble(sketch.alpha_, out);
  out.Var(sketch.count_);
  out.Var(sketch.zeros_);
  SaveDouble(sketch.sum_, out);
  SaveDouble(sketch.min_, out);
  SaveDouble(sketch.max_, out);
  out.Int(sketch.offset_);
  out.Var(sketch.bins_.size());
  for (const uint64_t bin : sketch.bins_) out.Var(bin);
}

absl::Status StateCodec::Load(QuantileSketch& sketch, ByteReader& in) {
  OMNIROUTE_ASSIGN_OR_RETURN(const double alpha, ReadDouble(in));
  if (!(alpha > 0 && alpha < 1)) return in.Malformed("sketch accuracy");
  QuantileSketch loaded(alpha);
  OMNIROUTE_ASSIGN_OR_RETURN(loaded.count_, in.Var());
  OMNIROUTE_ASSIGN_OR_RETURN(loaded.zeros_, in.Var());
  OMNIROUTE_ASSIGN_OR_RETURN(loaded.sum_, ReadDouble(in));
  OMNIROUTE_ASSIGN_OR_RETURN(loaded.min_, ReadDouble(in));
  OMNIROUTE_ASSIGN_OR_RETURN(loaded.max_, ReadDouble(in));
  OMNIROUTE_ASSIGN_OR_RETURN(const int64_t offset, in.Int());
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t bins, in.Count("sketch"));
  // Bucket indexes of finite doubles stay within a few hundred thousand at any accuracy the
  // sketch allows; these bounds keep index arithmetic far from overflow.
  constexpr int64_t kIndexBound = int64_t{1} << 30;
  if (offset < -kIndexBound || offset > kIndexBound || bins > uint64_t{kIndexBound}) {
    return in.Malformed("sketch range");
  }
  loaded.offset_ = static_cast<int>(offset);
  loaded.bins_.resize(bins);
  uint64_t counted = loaded.zeros_;
  for (uint64_t& bin : loaded.bins_) {
    OMNIROUTE_ASSIGN_OR_RETURN(bin, in.Var());
    counted += bin;
  }
  if (counted != loaded.count_) return in.Malformed("sketch count");
  sketch = std::move(loaded);
  return absl::OkStatus();
}

void StateCodec::Save(const ItemLifecycle& life, ByteWriter& out) {
  out.U8(static_cast<uint8_t>(life.state_));
  for (const int count : {life.transfers_, life.reopens_, life.offers_, life.offers_ended_}) {
    out.Var(static_cast<uint64_t>(count));
  }
}

absl::Status StateCodec::Load(ItemLifecycle& life, ByteReader& in) {
  ItemLifecycle read;
  OMNIROUTE_ASSIGN_OR_RETURN(const uint8_t state, in.U8());
  if (state > static_cast<uint8_t>(ItemState::kCancelled)) return in.Malformed("item state");
  read.state_ = static_cast<ItemState>(state);
  for (int* count : {&read.transfers_, &read.reopens_, &read.offers_, &read.offers_ended_}) {
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t value,
                               in.Below(std::numeric_limits<int>::max(), "item count"));
    *count = static_cast<int>(value);
  }
  life = read;
  return absl::OkStatus();
}

void StateCodec::Save(const SlaClock& clock, ByteWriter& out) {
  out.I64(clock.start_ns_);
  out.I64(clock.target_ns_);
  out.I64(clock.accumulated_ns_);
  out.I64(clock.mark_ns_);
  out.I64(clock.deadline_ns_);
  out.Var(clock.cycle_);
  out.U8(static_cast<uint8_t>(clock.metric_));
  out.U8(static_cast<uint8_t>(clock.phase_));
  out.U8(clock.breached_ ? 1 : 0);
  out.U8(clock.warnings_fired_);
}

absl::Status StateCodec::Load(SlaClock& clock, ByteReader& in) {
  SlaClock loaded;
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t start, in.U64());
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t target, in.U64());
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t accumulated, in.U64());
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t mark, in.U64());
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t deadline, in.U64());
  loaded.start_ns_ = static_cast<int64_t>(start);
  loaded.target_ns_ = static_cast<int64_t>(target);
  loaded.accumulated_ns_ = static_cast<int64_t>(accumulated);
  loaded.mark_ns_ = static_cast<int64_t>(mark);
  loaded.deadline_ns_ = static_cast<int64_t>(deadline);
  if (loaded.target_ns_ < 0 || loaded.accumulated_ns_ < 0) return in.Malformed("SLA clock");
  OMNIROUTE_ASSIGN_OR_RETURN(loaded.cycle_, ReadCycle(in));
  if (loaded.cycle_ == 0) return in.Malformed("cycle");
  OMNIROUTE_ASSIGN_OR_RETURN(loaded.metric_, ReadMetric(in));
  OMNIROUTE_ASSIGN_OR_RETURN(const uint8_t phase, in.U8());
  if (phase > static_cast<uint8_t>(SlaClock::Phase::kCancelled)) return in.Malformed("SLA clock");
  loaded.phase_ = static_cast<SlaClock::Phase>(phase);
  OMNIROUTE_ASSIGN_OR_RETURN(loaded.breached_, in.Bool());
  OMNIROUTE_ASSIGN_OR_RETURN(loaded.warnings_fired_, in.U8());
  // A bit per warning threshold fired.
  if ((loaded.warnings_fired_ >> SlaPolicy::kMaxWarnings) != 0) return in.Malformed("SLA clock");
  clock = loaded;
  return absl::OkStatus();
}

void StateCodec::Save(TimerHandle handle, ByteWriter& out) {
  out.Var(handle.index_);
  out.Var(handle.generation_);
}

absl::Status StateCodec::Load(TimerHandle& handle, ByteReader& in) {
  OMNIROUTE_ASSIGN_OR_RETURN(const auto parts, ReadHandle(in, "timer handle"));
  handle = TimerHandle(parts.first, parts.second);
  return absl::OkStatus();
}

void StateCodec::Save(const SlaTracker& tracker, ByteWriter& out) {
  out.Time(tracker.now_);
  out.Var(tracker.policies_.size());
  for (const SlaTracker::Policy& policy : tracker.policies_) out.Str(policy.spec.name);
  std::vector<std::string_view> reasons(tracker.reason_ids_.size());
  for (const auto& [reason, id] : tracker.reason_ids_) reasons[static_cast<size_t>(id)] = reason;
  out.Var(reasons.size());
  for (const std::string_view reason : reasons) out.Str(reason);
  out.Var(tracker.labels_.size());
  for (const std::string& label : tracker.labels_) out.Str(label);

  std::vector<std::pair<std::string_view, std::string_view>> group_keys(tracker.groups_.size());
  for (const auto& [key, id] : tracker.group_ids_) group_keys[id] = {key.first, key.second};
  out.Var(tracker.groups_.size());
  for (size_t group = 0; group < tracker.groups_.size(); ++group) {
    out.Str(group_keys[group].first);
    out.Str(group_keys[group].second);
    for (const SlaAttainment& attainment : tracker.groups_[group]) {
      out.Var(attainment.started);
      out.Var(attainment.met);
      out.Var(attainment.met_late);
      out.Var(attainment.breached);
      out.Var(attainment.cancelled);
      Save(attainment.business_seconds, out);
      Save(attainment.wall_seconds, out);
    }
  }

  out.Var(tracker.slab_size_);
  out.Var(tracker.free_slots_.size());
  std::vector<bool> free(tracker.slab_size_);
  for (const uint32_t slot : tracker.free_slots_) {
    out.Var(slot);
    free[slot] = true;
  }
  for (uint32_t slot = 0; slot < tracker.slab_size_; ++slot) {
    out.U8(free[slot] ? 0 : 1);
    if (free[slot]) continue;
    const SlaTracker::Item& item = tracker.ItemAt(slot);
    out.Var(item.id);
    out.Time(item.start);
    out.Var(item.pause_reasons);
    out.Var(item.policy);
    out.Var(item.priority);
    out.Var(item.tier);
    out.U8(static_cast<uint8_t>((item.responded ? 1 : 0) | (item.resolved ? 2 : 0) |
                                (item.cancelled ? 4 : 0)));
    out.Var(item.clocks.size());
    for (const SlaTracker::Tracked& tracked : item.clocks) {
      Save(tracked.clock, out);
      Save(tracked.timer, out);
      out.Var(tracked.group);
      out.Int(tracked.armed);
    }
    const auto history = tracker.histories_.find(slot);
    if (history == tracker.histories_.end()) {
      out.Var(0);
    } else {
      out.Var(history->second.size());
      for (const SlaCycleRecord& record : history->second) SaveRecord(record, out);
    }
  }
  out.Var(tracker.events_.size());
  for (const SlaEvent& event : tracker.events_) SaveEvent(event, out);
  out.Var(tracker.open_clocks_);
  tracker.wheel_.SaveState(out, [](ByteWriter& w, const SlaTracker::TimerKey& key) {
    w.Var(key.slot);
    w.U8(key.clock);
  });
}

absl::Status StateCodec::Load(SlaTracker& tracker, ByteReader& in) {
  SlaTracker loaded(
      SlaTracker::Options{.origin = tracker.wheel_.origin(), .tick = tracker.wheel_.tick()});
  for (const SlaTracker::Policy& policy : tracker.policies_) {
    OMNIROUTE_RETURN_IF_ERROR(loaded.AddPolicy(policy.spec));
  }
  if (absl::Status status = ReadTracker(loaded, in); !status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("SLA tracker state: ", status.message()));
  }
  tracker = std::move(loaded);
  return absl::OkStatus();
}

absl::Status StateCodec::ReadTracker(SlaTracker& tracker, ByteReader& in) {
  OMNIROUTE_ASSIGN_OR_RETURN(tracker.now_, in.Time());
  // Saved policy numbers, mapped to this tracker's by name.
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t policy_count, in.Count("policies"));
  std::vector<uint32_t> policy_of(policy_count);
  for (uint32_t& policy : policy_of) {
    OMNIROUTE_ASSIGN_OR_RETURN(const std::string_view name, in.StrView());
    const auto found = tracker.policy_ids_.find(name);
    if (found == tracker.policy_ids_.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("no SLA policy \"", std::string(name), "\" to load"));
    }
    policy = found->second;
  }
  // Pause reasons keep their saved bits; reasons only this tracker's policies name come after.
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t reason_count, in.Count("reasons"));
  if (reason_count > kMaxPauseReasons) return in.Malformed("reasons");
  tracker.reason_ids_.clear();
  for (uint64_t id = 0; id < reason_count; ++id) {
    OMNIROUTE_ASSIGN_OR_RETURN(std::string reason, in.Str());
    if (!tracker.reason_ids_.emplace(std::move(reason), static_cast<int>(id)).second) {
      return in.Malformed("reasons");
    }
  }
  for (SlaTracker::Policy& policy : tracker.policies_) {
    OMNIROUTE_RETURN_IF_ERROR(tracker.CheckReasonCapacity(policy.spec));
    tracker.SetPauseMasks(policy);
  }
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t label_count, in.Count("labels"));
  for (uint64_t id = 0; id < label_count; ++id) {
    OMNIROUTE_ASSIGN_OR_RETURN(std::string label, in.Str());
    if (!tracker.label_ids_.emplace(label, static_cast<uint32_t>(id)).second) {
      return in.Malformed("labels");
    }
    tracker.labels_.push_back(std::move(label));
  }

  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t group_count, in.Count("attainment groups"));
  tracker.groups_.resize(group_count);
  for (uint32_t group = 0; group < group_count; ++group) {
    OMNIROUTE_ASSIGN_OR_RETURN(std::string policy, in.Str());
    OMNIROUTE_ASSIGN_OR_RETURN(std::string priority, in.Str());
    if (!tracker.group_ids_.emplace(std::make_pair(std::move(policy), std::move(priority)), group)
             .second) {
      return in.Malformed("attainment groups");
    }
    for (SlaAttainment& attainment : tracker.groups_[group]) {
      OMNIROUTE_ASSIGN_OR_RETURN(attainment.started, in.Var());
      OMNIROUTE_ASSIGN_OR_RETURN(attainment.met, in.Var());
      OMNIROUTE_ASSIGN_OR_RETURN(attainment.met_late, in.Var());
      OMNIROUTE_ASSIGN_OR_RETURN(attainment.breached, in.Var());
      OMNIROUTE_ASSIGN_OR_RETURN(attainment.cancelled, in.Var());
      OMNIROUTE_RETURN_IF_ERROR(Load(attainment.business_seconds, in));
      OMNIROUTE_RETURN_IF_ERROR(Load(attainment.wall_seconds, in));
    }
  }

  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t slab_size, in.Count("SLA items"));
  if (slab_size >= std::numeric_limits<uint32_t>::max()) return in.Malformed("SLA items");
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t free_count, in.Count("free slots"));
  if (free_count > slab_size) return in.Malformed("free slots");
  std::vector<bool> free(slab_size);
  tracker.free_slots_.resize(free_count);
  for (uint32_t& slot : tracker.free_slots_) {
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t value, in.Below(slab_size, "free slot"));
    if (free[value]) return in.Malformed("free slots");
    free[value] = true;
    slot = static_cast<uint32_t>(value);
  }
  tracker.Reserve(slab_size - free_count);
  size_t open_clocks = 0;
  for (uint32_t slot = 0; slot < slab_size; ++slot) {
    if ((slot & (SlaTracker::kChunkItems - 1)) == 0) {
      tracker.slab_.emplace_back().reserve(SlaTracker::kChunkItems);
    }
    SlaTracker::Item& item = tracker.slab_.back().emplace_back();
    tracker.slab_size_ = slot + 1;
    OMNIROUTE_ASSIGN_OR_RETURN(const bool live, in.Bool());
    if (live == free[slot]) return in.Malformed("free slots");
    if (!live) continue;
    item.slot = slot;
    OMNIROUTE_ASSIGN_OR_RETURN(item.id, in.Var());
    if (!tracker.index_.emplace(item.id, slot).second) return in.Malformed("SLA item id");
    OMNIROUTE_ASSIGN_OR_RETURN(item.start, in.Time());
    OMNIROUTE_ASSIGN_OR_RETURN(item.pause_reasons, in.Var());
    if (reason_count < 64 && (item.pause_reasons >> reason_count) != 0) {
      return in.Malformed("pause reasons");
    }
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t policy, in.Below(policy_count, "policy"));
    item.policy = policy_of[policy];
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t priority, in.Below(label_count, "label"));
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t tier, in.Below(label_count, "label"));
    item.priority = static_cast<uint32_t>(priority);
    item.tier = static_cast<uint32_t>(tier);
    OMNIROUTE_ASSIGN_OR_RETURN(const uint8_t flags, in.U8());
    if (flags > 7) return in.Malformed("SLA item flags");
    item.responded = (flags & 1) != 0;
    item.resolved = (flags & 2) != 0;
    item.cancelled = (flags & 4) != 0;
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t clocks, in.Below(kSlaMetricCount + 1, "clock count"));
    const int warnings = static_cast<int>(tracker.policies_[item.policy].spec.warn_at.size());
    for (uint64_t c = 0; c < clocks; ++c) {
      SlaClock clock;
      OMNIROUTE_RETURN_IF_ERROR(Load(clock, in));
      for (const SlaTracker::Tracked& earlier : item.clocks) {
        if (earlier.clock.metric() == clock.metric()) return in.Malformed("SLA clocks");
      }
      open_clocks += clock.open() ? 1 : 0;
      TimerHandle timer;
      OMNIROUTE_RETURN_IF_ERROR(Load(timer, in));
      OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t group, in.Below(group_count, "group"));
      OMNIROUTE_ASSIGN_OR_RETURN(const int64_t armed, in.Int());
      if (armed < SlaTracker::kNone || armed >= warnings) return in.Malformed("armed threshold");
      item.clocks.push_back(SlaTracker::Tracked{.clock = clock,
                                                .timer = timer,
                                                .group = static_cast<uint32_t>(group),
                                                .armed = static_cast<int8_t>(armed)});
    }
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t records, in.Count("SLA history"));
    if (records > 0) {
      std::vector<SlaCycleRecord>& history = tracker.histories_[slot];
      history.resize(records);
      for (SlaCycleRecord& record : history) OMNIROUTE_RETURN_IF_ERROR(ReadRecord(in, record));
    }
  }
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t event_count, in.Count("SLA events"));
  tracker.events_.resize(event_count);
  for (SlaEvent& event : tracker.events_) OMNIROUTE_RETURN_IF_ERROR(ReadEvent(in, event));
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t saved_open, in.Var());
  if (saved_open != open_clocks) return in.Malformed("open clock count");
  tracker.open_clocks_ = open_clocks;

  OMNIROUTE_RETURN_IF_ERROR(tracker.wheel_.LoadState(
      in, [&tracker, &free](ByteReader& r, SlaTracker::TimerKey& key) -> absl::Status {
        OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t slot,
                                   r.Below(tracker.slab_size_, "timer's item"));
        if (free[slot]) return r.Malformed("timer's item");
        const SlaTracker::Item& item = tracker.ItemAt(static_cast<uint32_t>(slot));
        OMNIROUTE_ASSIGN_OR_RETURN(const uint8_t clock, r.U8());
        if (clock >= item.clocks.size()) return r.Malformed("timer's clock");
        key = SlaTracker::TimerKey{static_cast<uint32_t>(slot), clock};
        return absl::OkStatus();
      }));
  // The tracker advances its timers with it: a wheel ahead would never fire what it schedules.
  if (tracker.wheel_.now() > tracker.now_) return in.Malformed("timer clock");
  // Each pending timer is the one its clock holds.
  size_t held = 0;
  for (uint32_t slot = 0; slot < tracker.slab_size_; ++slot) {
    if (free[slot]) continue;
    const SlaTracker::Item& item = tracker.ItemAt(slot);
    for (size_t c = 0; c < item.clocks.size(); ++c) {
      const SlaTracker::TimerKey* key = tracker.wheel_.Find(item.clocks[c].timer);
      if (key == nullptr) continue;
      if (key->slot != slot || key->clock != c) return in.Malformed("a clock's timer");
      ++held;
    }
  }
  if (held != tracker.wheel_.size()) return in.Malformed("a timer no clock holds");
  return absl::OkStatus();
}

PlanTable::PlanTable(std::vector<std::shared_ptr<const RequirementPlan>> plans)
    : plans_(std::move(plans)) {}

uint64_t PlanTable::NumberOf(const std::shared_ptr<const RequirementPlan>& plan) {
  if (plan == nullptr) return 0;
  const auto [it, added] = numbers_.emplace(plan.get(), plans_.size() + 1);
  if (added) plans_.push_back(plan);
  return it->second;
}

absl::StatusOr<std::shared_ptr<const RequirementPlan>> PlanTable::PlanOf(uint64_t number) const {
  if (number == 0) return nullptr;
  if (number > plans_.size()) {
    return absl::InvalidArgumentError(absl::StrCat("requirement plan ", number, " is unknown"));
  }
  return plans_[number - 1];
}

void StateCodec::Save(HeapHandle handle, ByteWriter& out) {
  out.Var(handle.slot_);
  out.Var(handle.generation_);
}

absl::Status StateCodec::Load(HeapHandle& handle, ByteReader& in) {
  OMNIROUTE_ASSIGN_OR_RETURN(const auto parts, ReadHandle(in, "heap handle"));
  handle = HeapHandle(parts.first, parts.second);
  return absl::OkStatus();
}

namespace {

// A wheel saved with its origin and tick ahead of its state, so that it loads into a wheel of
// any origin (one that was reconfigured, or built later than the saved one).
template <typename Payload, typename SavePayload>
void SaveWheel(const TimerWheel<Payload>& wheel, ByteWriter& out, SavePayload&& save) {
  out.Time(wheel.origin());
  out.Duration(wheel.tick());
  wheel.SaveState(out, save);
}

template <typename Payload, typename LoadPayload>
absl::Status ReadWheel(TimerWheel<Payload>& wheel, ByteReader& in, LoadPayload&& load) {
  OMNIROUTE_ASSIGN_OR_RETURN(const absl::Time origin, in.Time());
  OMNIROUTE_ASSIGN_OR_RETURN(const absl::Duration tick, in.Duration());
  if (origin == absl::InfiniteFuture() || origin == absl::InfinitePast() ||
      tick <= absl::ZeroDuration()) {
    return in.Malformed("timer wheel");
  }
  TimerWheel<Payload> loaded(origin, tick);
  OMNIROUTE_RETURN_IF_ERROR(loaded.LoadState(in, load));
  wheel = std::move(loaded);
  return absl::OkStatus();
}

// A slab's layout: its slot count and free list (in reuse order). Live records are the others.
template <typename T, uint32_t kBits>
void SaveSlabLayout(const std::vector<uint32_t>& free, uint32_t size, ByteWriter& out) {
  out.Var(size);
  out.Var(free.size());
  for (const uint32_t slot : free) out.Var(slot);
}

// Reads a layout into empty slab storage, default records throughout; `live` gets which slots
// hold records.
template <typename T, uint32_t kBits>
absl::Status ReadSlabLayout(std::vector<std::vector<T>>& chunks, uint32_t& size,
                            std::vector<uint32_t>& free, std::vector<bool>& live, ByteReader& in) {
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t slots, in.Count("slab"));
  if (slots >= std::numeric_limits<uint32_t>::max()) return in.Malformed("slab");
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t free_count, in.Count("slab free list"));
  if (free_count > slots) return in.Malformed("slab free list");
  live.assign(slots, true);
  free.resize(free_count);
  for (uint32_t& slot : free) {
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t value, in.Below(slots, "slab free slot"));
    if (!live[value]) return in.Malformed("slab free list");
    live[value] = false;
    slot = static_cast<uint32_t>(value);
  }
  constexpr uint32_t kChunk = uint32_t{1} << kBits;
  chunks.reserve((slots + kChunk - 1) / kChunk);
  for (uint64_t slot = 0; slot < slots; ++slot) {
    if ((slot & (kChunk - 1)) == 0) chunks.emplace_back().reserve(kChunk);
    chunks.back().emplace_back();
  }
  size = static_cast<uint32_t>(slots);
  return absl::OkStatus();
}

}  // namespace

void StateCodec::SaveQueue(const WorkQueue& queue, PlanTable& plans, ByteWriter& out) {
  using Queue = WorkQueue;
  const auto save_ranked = [](ByteWriter& w, const Queue::Ranked& ranked) {
    w.Int(ranked.key.primary);
    w.Int(ranked.key.arrival_ns);
    w.Var(ranked.key.sequence);
    w.Var(ranked.slot);
  };
  out.Var(queue.next_sequence_);
  SaveSlabLayout<Queue::Item, 6>(queue.items_.free_, queue.items_.size_, out);
  std::vector<bool> free(queue.items_.size_);
  for (const uint32_t slot : queue.items_.free_) free[slot] = true;
  for (uint32_t slot = 0; slot < queue.items_.size_; ++slot) {
    if (free[slot]) continue;
    const Queue::Item& item = queue.items_[slot];
    out.Var(item.id);
    out.Time(item.arrival);
    out.Time(item.deadline);
    out.Time(item.relax_origin);
    out.Var(item.sequence);
    out.Var(plans.NumberOf(item.requirement));
    Save(item.in_class, out);
    Save(item.in_overdue, out);
    Save(item.in_arrivals, out);
    Save(item.relax_timer, out);
    out.Var(item.requirement_class);
    out.Var(static_cast<uint64_t>(item.priority));
    out.Var(static_cast<uint64_t>(item.steps_applied));
    out.Var(item.channel);
  }
  queue.arrivals_.SaveState(out, [](ByteWriter& w, const Queue::ArrivalRanked& ranked) {
    w.Int(ranked.arrival_ns);
    w.Var(ranked.slot);
  });
  out.Var(queue.classes_.size());
  for (const Queue::Class& klass : queue.classes_) {
    out.U8(klass.live ? 1 : 0);
    out.Var(klass.generation);
    if (klass.live) {
      out.Var(plans.NumberOf(klass.owner));
      int step = 0;
      if (klass.owner != nullptr) {
        while (step < klass.owner->step_count() &&
               &klass.owner->Effective(step) != klass.requirement) {
          ++step;
        }
      }
      out.Var(static_cast<uint64_t>(step));
      out.Var(klass.channel);
      out.Var(klass.nonempty_position);
      Save(klass.head, out);
      Save(klass.overdue_head, out);
    }
    klass.main.SaveState(out, save_ranked);
    klass.overdue.SaveState(out, save_ranked);
  }
  for (const std::vector<RequirementClassId>* ids :
       {&queue.free_classes_, &queue.idle_classes_, &queue.nonempty_classes_}) {
    out.Var(ids->size());
    for (const RequirementClassId id : *ids) out.Var(id);
  }
  queue.class_heads_.SaveState(out, save_ranked);
  queue.class_overdue_heads_.SaveState(out, save_ranked);
  SaveWheel(queue.relaxation_, out, [](ByteWriter& w, uint32_t slot) { w.Var(slot); });
  out.Var(queue.events_.size());
  for (const RequirementRelaxed& event : queue.events_) {
    out.Var(event.item);
    out.Time(event.at);
    out.Int(event.steps_applied);
    out.Var(event.from_class);
    out.Var(event.to_class);
  }
}

absl::Status StateCodec::ReadQueue(WorkQueue& queue, const PlanTable& plans, ByteReader& in) {
  using Queue = WorkQueue;
  const auto read_ranked = [](ByteReader& r, Queue::Ranked& ranked) -> absl::Status {
    OMNIROUTE_ASSIGN_OR_RETURN(ranked.key.primary, r.Int());
    OMNIROUTE_ASSIGN_OR_RETURN(ranked.key.arrival_ns, r.Int());
    OMNIROUTE_ASSIGN_OR_RETURN(ranked.key.sequence, r.Var());
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t slot,
                               r.Below(std::numeric_limits<uint32_t>::max(), "heap value"));
    ranked.slot = static_cast<uint32_t>(slot);
    return absl::OkStatus();
  };
  const auto read_heap = [&in, &read_ranked](Queue::Heap& heap) -> absl::Status {
    if (!heap.LoadState(in, read_ranked)) return in.Malformed("queue heap");
    return absl::OkStatus();
  };
  const auto read_class_id = [&in](uint64_t classes) -> absl::StatusOr<RequirementClassId> {
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t id, in.Below(classes, "requirement class"));
    return static_cast<RequirementClassId>(id);
  };

  OMNIROUTE_ASSIGN_OR_RETURN(queue.next_sequence_, in.Var());
  std::vector<bool> live;
  OMNIROUTE_RETURN_IF_ERROR((ReadSlabLayout<Queue::Item, 6>(
      queue.items_.chunks_, queue.items_.size_, queue.items_.free_, live, in)));
  queue.items_by_id_.reserve(queue.items_.size_ - queue.items_.free_.size());
  const int levels = queue.options_.priority_levels;
  for (uint32_t slot = 0; slot < queue.items_.size_; ++slot) {
    if (!live[slot]) continue;
    Queue::Item& item = queue.items_[slot];
    OMNIROUTE_ASSIGN_OR_RETURN(item.id, in.Var());
    if (!queue.items_by_id_.emplace(item.id, slot).second) return in.Malformed("queued item id");
    OMNIROUTE_ASSIGN_OR_RETURN(item.arrival, in.Time());
    OMNIROUTE_ASSIGN_OR_RETURN(item.deadline, in.Time());
    OMNIROUTE_ASSIGN_OR_RETURN(item.relax_origin, in.Time());
    if (item.arrival == absl::InfiniteFuture() || item.arrival == absl::InfinitePast()) {
      return in.Malformed("arrival");
    }
    OMNIROUTE_ASSIGN_OR_RETURN(item.sequence, in.Var());
    if (item.sequence >= queue.next_sequence_) return in.Malformed("queue sequence");
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t plan, in.Var());
    OMNIROUTE_ASSIGN_OR_RETURN(item.requirement, plans.PlanOf(plan));
    OMNIROUTE_RETURN_IF_ERROR(Load(item.in_class, in));
    OMNIROUTE_RETURN_IF_ERROR(Load(item.in_overdue, in));
    OMNIROUTE_RETURN_IF_ERROR(Load(item.in_arrivals, in));
    OMNIROUTE_RETURN_IF_ERROR(Load(item.relax_timer, in));
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t klass,
                               in.Below(std::numeric_limits<uint32_t>::max(), "class"));
    item.requirement_class = static_cast<RequirementClassId>(klass);
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t priority,
                               in.Below(static_cast<uint64_t>(levels), "priority"));
    item.priority = static_cast<int>(priority);
    const uint64_t steps = item.requirement == nullptr ? 0 : item.requirement->step_count();
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t applied, in.Below(steps + 1, "steps applied"));
    item.steps_applied = static_cast<int>(applied);
    OMNIROUTE_ASSIGN_OR_RETURN(
        const uint64_t channel,
        in.Below(uint64_t{std::numeric_limits<uint32_t>::max()} + 1, "channel"));
    item.channel = static_cast<uint32_t>(channel);
    ++queue.count_by_priority_[item.priority];
  }
  if (!queue.arrivals_.LoadState(
          in, [](ByteReader& r, Queue::ArrivalRanked& ranked) -> absl::Status {
            OMNIROUTE_ASSIGN_OR_RETURN(ranked.arrival_ns, r.Int());
            OMNIROUTE_ASSIGN_OR_RETURN(
                const uint64_t slot, r.Below(std::numeric_limits<uint32_t>::max(), "arrival slot"));
            ranked.slot = static_cast<uint32_t>(slot);
            return absl::OkStatus();
          })) {
    return in.Malformed("arrival order");
  }

  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t classes, in.Count("requirement classes"));
  if (classes >= std::numeric_limits<uint32_t>::max()) return in.Malformed("requirement classes");
  queue.classes_.resize(classes);
  for (RequirementClassId id = 0; id < classes; ++id) {
    Queue::Class& klass = queue.classes_[id];
    OMNIROUTE_ASSIGN_OR_RETURN(klass.live, in.Bool());
    OMNIROUTE_ASSIGN_OR_RETURN(
        const uint64_t generation,
        in.Below(uint64_t{std::numeric_limits<uint32_t>::max()} + 1, "class generation"));
    klass.generation = static_cast<uint32_t>(generation);
    if (klass.live) {
      OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t plan, in.Var());
      OMNIROUTE_ASSIGN_OR_RETURN(klass.owner, plans.PlanOf(plan));
      const uint64_t steps = klass.owner == nullptr ? 0 : klass.owner->step_count();
      OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t step, in.Below(steps + 1, "class step"));
      klass.requirement = klass.owner == nullptr ? &Queue::Anyone()
                                                 : &klass.owner->Effective(static_cast<int>(step));
      OMNIROUTE_ASSIGN_OR_RETURN(
          const uint64_t channel,
          in.Below(uint64_t{std::numeric_limits<uint32_t>::max()} + 1, "channel"));
      klass.channel = static_cast<uint32_t>(channel);
      OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t position,
                                 in.Below(std::numeric_limits<uint32_t>::max(), "class position"));
      klass.nonempty_position = static_cast<uint32_t>(position);
      OMNIROUTE_RETURN_IF_ERROR(Load(klass.head, in));
      OMNIROUTE_RETURN_IF_ERROR(Load(klass.overdue_head, in));
      if (!queue.classes_by_key_.emplace(Queue::ClassKey{klass.channel, klass.requirement}, id)
               .second) {
        return in.Malformed("requirement classes");
      }
    }
    OMNIROUTE_RETURN_IF_ERROR(read_heap(klass.main));
    OMNIROUTE_RETURN_IF_ERROR(read_heap(klass.overdue));
    if (!klass.live && (!klass.main.empty() || !klass.overdue.empty())) {
      return in.Malformed("requirement classes");
    }
  }
  for (std::vector<RequirementClassId>* ids :
       {&queue.free_classes_, &queue.idle_classes_, &queue.nonempty_classes_}) {
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t count, in.Count("class list"));
    ids->resize(count);
    for (RequirementClassId& id : *ids) {
      OMNIROUTE_ASSIGN_OR_RETURN(id, read_class_id(classes));
    }
  }
  OMNIROUTE_RETURN_IF_ERROR(read_heap(queue.class_heads_));
  OMNIROUTE_RETURN_IF_ERROR(read_heap(queue.class_overdue_heads_));
  OMNIROUTE_RETURN_IF_ERROR(
      ReadWheel(queue.relaxation_, in, [&queue, &live](ByteReader& r, uint32_t& slot) {
        OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t value,
                                   r.Below(queue.items_.size_, "relaxation timer"));
        if (!live[value]) return r.Malformed("relaxation timer");
        slot = static_cast<uint32_t>(value);
        return absl::OkStatus();
      }));
  // The queue advances its timers with its clock (an empty wheel may lag it): a wheel ahead would
  // never fire what it schedules.
  if (queue.relaxation_.now() > queue.now()) return in.Malformed("relaxation clock");
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t events, in.Count("relaxation events"));
  queue.events_.resize(events);
  for (RequirementRelaxed& event : queue.events_) {
    OMNIROUTE_ASSIGN_OR_RETURN(event.item, in.Var());
    OMNIROUTE_ASSIGN_OR_RETURN(event.at, in.Time());
    OMNIROUTE_ASSIGN_OR_RETURN(const int64_t steps, in.Int());
    if (steps < 0 || steps > std::numeric_limits<int>::max()) return in.Malformed("event steps");
    event.steps_applied = static_cast<int>(steps);
    OMNIROUTE_ASSIGN_OR_RETURN(event.from_class, read_class_id(classes));
    OMNIROUTE_ASSIGN_OR_RETURN(event.to_class, read_class_id(classes));
  }
  return CheckQueue(queue, live);
}

absl::Status StateCodec::CheckQueue(const WorkQueue& queue, const std::vector<bool>& live) {
  using Queue = WorkQueue;
  const auto malformed = [](std::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat("inconsistent queue: ", std::string(what)));
  };
  size_t items = 0, overdue = 0, timers = 0;
  for (uint32_t slot = 0; slot < queue.items_.size_; ++slot) {
    if (!live[slot]) continue;
    ++items;
    const Queue::Item& item = queue.items_[slot];
    if (item.requirement_class >= queue.classes_.size()) return malformed("an item's class");
    const Queue::Class& klass = queue.classes_[item.requirement_class];
    if (!klass.live || klass.channel != item.channel ||
        !(*klass.requirement == queue.CurrentRequirement(item))) {
      return malformed("an item's class");
    }
    const Queue::Ranked* ranked = klass.main.Find(item.in_class);
    if (ranked == nullptr || ranked->slot != slot || !(ranked->key == queue.OrderKey(item))) {
      return malformed("an item's place in its class");
    }
    if (queue.MaxWait(item.priority) != absl::InfiniteDuration()) {
      const Queue::Ranked* due = klass.overdue.Find(item.in_overdue);
      if (due == nullptr || due->slot != slot || !(due->key == queue.OverdueKey(item))) {
        return malformed("an item's overdue place");
      }
      ++overdue;
    } else if (klass.overdue.Contains(item.in_overdue)) {
      return malformed("an item's overdue place");
    }
    const Queue::ArrivalRanked* arrival = queue.arrivals_.Find(item.in_arrivals);
    if (arrival == nullptr || arrival->slot != slot ||
        arrival->arrival_ns != Queue::Nanos(item.arrival)) {
      return malformed("an item's arrival");
    }
    if (const uint32_t* timer = queue.relaxation_.Find(item.relax_timer); timer != nullptr) {
      if (*timer != slot) return malformed("an item's relaxation timer");
      ++timers;
    }
  }
  size_t in_classes = 0, in_overdue = 0, nonempty = 0, with_overdue = 0;
  std::vector<bool> listed(queue.classes_.size());
  for (const RequirementClassId id : queue.free_classes_) {
    if (queue.classes_[id].live || listed[id]) return malformed("the free classes");
    listed[id] = true;
  }
  for (RequirementClassId id = 0; id < queue.classes_.size(); ++id) {
    const Queue::Class& klass = queue.classes_[id];
    if (!klass.live && !listed[id]) return malformed("a class neither live nor free");
    in_classes += klass.main.size();
    in_overdue += klass.overdue.size();
    const Queue::Ranked* head = queue.class_heads_.Find(klass.head);
    if (klass.main.empty() != (head == nullptr) ||
        (head != nullptr && (head->slot != id || !(head->key == klass.main.Top().key)))) {
      return malformed("a class's head");
    }
    const Queue::Ranked* overdue_head = queue.class_overdue_heads_.Find(klass.overdue_head);
    if (klass.overdue.empty() != (overdue_head == nullptr) ||
        (overdue_head != nullptr &&
         (overdue_head->slot != id || !(overdue_head->key == klass.overdue.Top().key)))) {
      return malformed("a class's overdue head");
    }
    if (!klass.main.empty()) {
      ++nonempty;
      if (klass.nonempty_position >= queue.nonempty_classes_.size() ||
          queue.nonempty_classes_[klass.nonempty_position] != id) {
        return malformed("the non-empty classes");
      }
    }
    with_overdue += klass.overdue.empty() ? 0 : 1;
  }
  if (in_classes != items || in_overdue != overdue || queue.arrivals_.size() != items ||
      queue.relaxation_.size() != timers) {
    return malformed("heaps or timers hold what no item does");
  }
  if (queue.nonempty_classes_.size() != nonempty || queue.class_heads_.size() != nonempty ||
      queue.class_overdue_heads_.size() != with_overdue) {
    return malformed("the class heads");
  }
  return absl::OkStatus();
}

void StateCodec::Save(const WorkQueueSet& set, PlanTable& plans, ByteWriter& out) {
  out.Time(set.clock_->now);
  out.Var(set.queue_of_.size());
  out.Var(set.queues_.size());
  for (const WorkQueueSet::Named& named : set.queues_) {
    out.Str(named.name);
    SaveQueue(named.queue, plans, out);
  }
  for (const std::vector<QueueIndex>* indexes : {&set.pending_, &set.with_events_}) {
    out.Var(indexes->size());
    for (const QueueIndex index : *indexes) out.Var(index);
  }
}

absl::Status StateCodec::Load(WorkQueueSet& set, const PlanTable& plans, ByteReader& in) {
  absl::Status status = [&]() -> absl::Status {
    OMNIROUTE_ASSIGN_OR_RETURN(const absl::Time now, in.Time());
    if (now == absl::InfiniteFuture() || now == absl::InfinitePast()) {
      return in.Malformed("queue clock");
    }
    WorkQueueSet loaded(now);
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t items, in.Count("queued items"));
    loaded.queue_of_.reserve(items);
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t queues, in.Count("queues"));
    if (queues != set.queues_.size()) return in.Malformed("queue count");
    for (const WorkQueueSet::Named& named : set.queues_) {
      OMNIROUTE_ASSIGN_OR_RETURN(const std::string_view name, in.StrView());
      if (name != named.name) {
        return absl::InvalidArgumentError(
            absl::StrCat("queue \"", std::string(name), "\" where \"", named.name, "\" is"));
      }
      OMNIROUTE_ASSIGN_OR_RETURN(const QueueIndex index,
                                 loaded.AddQueue(named.name, named.queue.options_));
      WorkQueue& queue = loaded.queues_[index].queue;
      OMNIROUTE_RETURN_IF_ERROR(ReadQueue(queue, plans, in));
      for (const auto& [id, slot] : queue.items_by_id_) {
        if (!loaded.queue_of_.emplace(id, index).second) return in.Malformed("item in two queues");
      }
    }
    if (loaded.queue_of_.size() != items) return in.Malformed("queued item count");
    for (std::vector<QueueIndex>* indexes : {&loaded.pending_, &loaded.with_events_}) {
      OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t count, in.Count("queue list"));
      std::vector<bool> seen(queues);
      indexes->resize(count);
      for (QueueIndex& index : *indexes) {
        OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t value, in.Below(queues, "queue index"));
        if (seen[value]) return in.Malformed("queue list");
        seen[value] = true;
        index = static_cast<QueueIndex>(value);
      }
    }
    for (const QueueIndex index : loaded.pending_) loaded.tracked_[index] = true;
    // Every queue with relaxation steps pending is tracked, and every one with events listed.
    std::vector<bool> listed(queues);
    for (const QueueIndex index : loaded.with_events_) listed[index] = true;
    for (QueueIndex index = 0; index < queues; ++index) {
      const WorkQueue& queue = loaded.queues_[index].queue;
      if ((queue.HasPendingRelaxation() && !loaded.tracked_[index]) ||
          (queue.HasEvents() != listed[index])) {
        return in.Malformed("queue lists");
      }
    }
    set = std::move(loaded);
    return absl::OkStatus();
  }();
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("queue state: ", status.message()));
  }
  return absl::OkStatus();
}

namespace {

void SaveSkills(const SkillSet& skills, ByteWriter& out) {
  out.Var(skills.size());
  for (const SkillLevel skill : skills) {
    out.Var(skill.skill);
    out.Int(skill.level);
  }
}

absl::StatusOr<SkillSet> ReadSkills(ByteReader& in) {
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t count, in.Count("skills"));
  SkillSet skills;
  for (uint64_t i = 0; i < count; ++i) {
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t skill, in.Below(kMaxSkills, "skill"));
    OMNIROUTE_ASSIGN_OR_RETURN(const int64_t level, in.Int());
    if (level < kMinSkillLevel || level > kMaxSkillLevel ||
        !skills.Set(static_cast<SkillId>(skill), static_cast<int>(level)).ok()) {
      return in.Malformed("skill level");
    }
  }
  if (skills.size() != count) return in.Malformed("skills");
  return skills;
}

void SaveAssignment(const QueueAssignment& queue, ByteWriter& out) {
  out.Var(queue.queue);
  out.Int(queue.priority);
  out.Duration(queue.delay);
}

absl::StatusOr<QueueAssignment> ReadAssignment(ByteReader& in, uint64_t queues) {
  QueueAssignment queue;
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t index, in.Below(queues, "queue"));
  queue.queue = static_cast<QueueIndex>(index);
  OMNIROUTE_ASSIGN_OR_RETURN(const int64_t priority, in.Int());
  if (priority < std::numeric_limits<int>::min() || priority > std::numeric_limits<int>::max()) {
    return in.Malformed("queue priority");
  }
  queue.priority = static_cast<int>(priority);
  OMNIROUTE_ASSIGN_OR_RETURN(queue.delay, in.Duration());
  return queue;
}

absl::StatusOr<int> ReadInt(ByteReader& in, std::string_view what) {
  OMNIROUTE_ASSIGN_OR_RETURN(const int64_t value, in.Int());
  if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max()) {
    return in.Malformed(what);
  }
  return static_cast<int>(value);
}

}  // namespace

void StateCodec::Save(const AgentPool& pool, ByteWriter& out) {
  out.Time(pool.now_);
  out.Var(pool.enabled_list_.size());
  for (const int strategy : pool.enabled_list_) out.Var(static_cast<uint64_t>(strategy));
  out.Var(pool.agents_.size());
  for (const AgentPool::Agent& agent : pool.agents_) {
    out.Str(agent.id);
    SaveSkills(agent.skills, out);
    out.Int(agent.capacity.budget);
    for (const int limit : agent.capacity.limits) out.Int(limit);
    out.Var(agent.bucket);
    out.U8(static_cast<uint8_t>(agent.state));
    out.Str(agent.away_reason);
    out.Time(agent.wrap_up_until);
    out.Time(agent.cooldown_until);
    Save(agent.wrap_up_timer, out);
    Save(agent.cooldown_timer, out);
    out.Var(agent.held.size());
    for (const HeldWork& work : agent.held) {
      out.Var(work.item);
      out.Var(work.channel);
      out.Time(work.since);
      out.U8(work.pending ? 1 : 0);
    }
    for (const int load : agent.load) out.Int(load);
    out.Int(agent.used_units);
    out.Var(agent.active_channels);
    out.Time(agent.last_activity);
    out.Var(agent.last_offer_sequence);
    out.Var(agent.handled);
    out.Var(agent.accepted);
    out.Int(agent.missed_in_a_row);
    out.Duration(agent.busy_time);
    out.Time(agent.busy_since);
    for (const absl::Duration sum : agent.handle_time_sum) out.Duration(sum);
    for (const uint64_t count : agent.handle_count) out.Var(count);
    for (const HeapHandle handle : agent.handles) Save(handle, out);
  }
  out.Var(pool.buckets_.size());
  for (const AgentPool::Bucket& bucket : pool.buckets_) {
    SaveSkills(bucket.skills, out);
    out.Var(bucket.queues.size());
    for (const QueueAssignment& queue : bucket.queues) SaveAssignment(queue, out);
    for (const IndexedHeap<AgentPool::Ranked>& heap : bucket.ready) {
      heap.SaveState(out, [](ByteWriter& w, const AgentPool::Ranked& ranked) {
        w.Int(ranked.key.primary);
        w.Int(ranked.key.secondary);
        w.Var(ranked.key.agent);
      });
    }
  }
  SaveWheel(pool.timers_, out, [](ByteWriter& w, const AgentPool::Timer& timer) {
    w.Var(timer.agent);
    w.U8(static_cast<uint8_t>(timer.kind));
  });
  out.Var(pool.events_.size());
  for (const AgentEvent& event : pool.events_) {
    out.U8(static_cast<uint8_t>(event.kind));
    out.Var(event.agent);
    out.Time(event.at);
  }
  out.Var(pool.next_offer_sequence_);
  for (const absl::Duration sum : pool.pool_handle_time_sum_) out.Duration(sum);
  for (const uint64_t count : pool.pool_handle_count_) out.Var(count);
  std::ostringstream random;
  random << pool.random_;
  out.Str(random.str());
}

absl::Status StateCodec::Load(AgentPool& pool, ByteReader& in) {
  AgentPool loaded(pool.channels_, pool.options_, pool.now_);
  if (absl::Status status = ReadPool(loaded, in); !status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("agent pool state: ", status.message()));
  }
  pool = std::move(loaded);
  return absl::OkStatus();
}

absl::Status StateCodec::ReadPool(AgentPool& pool, ByteReader& in) {
  const size_t channels = pool.channels_.size();
  const size_t slots = channels * kStrategyCount;
  OMNIROUTE_ASSIGN_OR_RETURN(pool.now_, in.Time());
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t strategies, in.Count("strategies"));
  for (uint64_t i = 0; i < strategies; ++i) {
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t strategy, in.Below(kStrategyCount, "strategy"));
    if (pool.enabled_[strategy]) return in.Malformed("strategies");
    pool.EnableStrategy(static_cast<Strategy>(strategy));
  }
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t agents, in.Count("agents"));
  if (agents >= kNoAgent) return in.Malformed("agents");
  pool.agents_.resize(agents);
  std::vector<int> counted(channels);  // an agent's held work by channel
  for (AgentIndex index = 0; index < agents; ++index) {
    AgentPool::Agent& agent = pool.agents_[index];
    OMNIROUTE_ASSIGN_OR_RETURN(agent.id, in.Str());
    if (!pool.by_id_.emplace(agent.id, index).second) return in.Malformed("agent id");
    OMNIROUTE_ASSIGN_OR_RETURN(agent.skills, ReadSkills(in));
    OMNIROUTE_ASSIGN_OR_RETURN(agent.capacity.budget, ReadInt(in, "budget"));
    if (agent.capacity.budget <= 0) return in.Malformed("budget");
    agent.capacity.limits.resize(channels);
    for (int& limit : agent.capacity.limits) {
      OMNIROUTE_ASSIGN_OR_RETURN(limit, ReadInt(in, "channel limit"));
    }
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t bucket,
                               in.Below(std::numeric_limits<uint32_t>::max(), "bucket"));
    agent.bucket = static_cast<BucketIndex>(bucket);
    OMNIROUTE_ASSIGN_OR_RETURN(const uint8_t state, in.U8());
    if (state > static_cast<uint8_t>(AgentState::kWrapUp)) return in.Malformed("agent state");
    agent.state = static_cast<AgentState>(state);
    OMNIROUTE_ASSIGN_OR_RETURN(agent.away_reason, in.Str());
    OMNIROUTE_ASSIGN_OR_RETURN(agent.wrap_up_until, in.Time());
    OMNIROUTE_ASSIGN_OR_RETURN(agent.cooldown_until, in.Time());
    OMNIROUTE_RETURN_IF_ERROR(Load(agent.wrap_up_timer, in));
    OMNIROUTE_RETURN_IF_ERROR(Load(agent.cooldown_timer, in));
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t held, in.Count("held work"));
    agent.held.resize(held);
    for (HeldWork& work : agent.held) {
      OMNIROUTE_ASSIGN_OR_RETURN(work.item, in.Var());
      OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t channel, in.Below(channels, "channel"));
      work.channel = static_cast<ChannelId>(channel);
      OMNIROUTE_ASSIGN_OR_RETURN(work.since, in.Time());
      OMNIROUTE_ASSIGN_OR_RETURN(work.pending, in.Bool());
    }
    agent.load.resize(channels);
    for (int& load : agent.load) {
      OMNIROUTE_ASSIGN_OR_RETURN(load, ReadInt(in, "load"));
    }
    OMNIROUTE_ASSIGN_OR_RETURN(agent.used_units, ReadInt(in, "used units"));
    OMNIROUTE_ASSIGN_OR_RETURN(
        const uint64_t active,
        in.Below(uint64_t{std::numeric_limits<uint32_t>::max()} + 1, "active channels"));
    agent.active_channels = static_cast<uint32_t>(active);
    // Loads, units and active channels count the held work: off, they let an agent take more than
    // its capacity, or keep it from taking work ever again.
    std::fill(counted.begin(), counted.end(), 0);
    for (const HeldWork& work : agent.held) ++counted[work.channel];
    int64_t units = 0;
    uint32_t active_channels = 0;
    for (ChannelId channel = 0; channel < channels; ++channel) {
      units += int64_t{counted[channel]} * pool.channels_.cost(channel);
      if (counted[channel] > 0) active_channels |= uint32_t{1} << channel;
    }
    if (counted != agent.load || units != agent.used_units ||
        active_channels != agent.active_channels) {
      return in.Malformed("an agent's load");
    }
    OMNIROUTE_ASSIGN_OR_RETURN(agent.last_activity, in.Time());
    OMNIROUTE_ASSIGN_OR_RETURN(agent.last_offer_sequence, in.Var());
    OMNIROUTE_ASSIGN_OR_RETURN(agent.handled, in.Var());
    OMNIROUTE_ASSIGN_OR_RETURN(agent.accepted, in.Var());
    OMNIROUTE_ASSIGN_OR_RETURN(agent.missed_in_a_row, ReadInt(in, "missed offers"));
    OMNIROUTE_ASSIGN_OR_RETURN(agent.busy_time, in.Duration());
    OMNIROUTE_ASSIGN_OR_RETURN(agent.busy_since, in.Time());
    agent.handle_time_sum.resize(channels);
    for (absl::Duration& sum : agent.handle_time_sum) {
      OMNIROUTE_ASSIGN_OR_RETURN(sum, in.Duration());
    }
    agent.handle_count.resize(channels);
    for (uint64_t& count : agent.handle_count) {
      OMNIROUTE_ASSIGN_OR_RETURN(count, in.Var());
    }
    agent.handles.resize(slots);
    for (HeapHandle& handle : agent.handles) OMNIROUTE_RETURN_IF_ERROR(Load(handle, in));
  }
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t buckets, in.Count("buckets"));
  pool.buckets_.resize(buckets);
  size_t ranked = 0;
  for (BucketIndex index = 0; index < buckets; ++index) {
    AgentPool::Bucket& bucket = pool.buckets_[index];
    OMNIROUTE_ASSIGN_OR_RETURN(bucket.skills, ReadSkills(in));
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t queues, in.Count("bucket queues"));
    bucket.queues.resize(queues);
    for (QueueAssignment& queue : bucket.queues) {
      OMNIROUTE_ASSIGN_OR_RETURN(queue, ReadAssignment(in, std::numeric_limits<uint32_t>::max()));
    }
    if (!pool.bucket_by_profile_.emplace(std::make_pair(bucket.skills, bucket.queues), index)
             .second) {
      return in.Malformed("buckets");
    }
    bucket.ready.resize(slots);
    for (IndexedHeap<AgentPool::Ranked>& heap : bucket.ready) {
      const bool loaded = heap.LoadState(in, [agents](ByteReader& r, AgentPool::Ranked& value) {
        OMNIROUTE_ASSIGN_OR_RETURN(value.key.primary, r.Int());
        OMNIROUTE_ASSIGN_OR_RETURN(value.key.secondary, r.Int());
        OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t agent, r.Below(agents, "ready agent"));
        value.key.agent = static_cast<AgentIndex>(agent);
        return absl::OkStatus();
      });
      if (!loaded) return in.Malformed("ready agents");
      ranked += heap.size();
    }
  }
  // Each agent in its bucket, holding the handles of its ready entries and nothing else.
  size_t handles = 0;
  for (AgentIndex index = 0; index < agents; ++index) {
    AgentPool::Agent& agent = pool.agents_[index];
    if (agent.bucket >= buckets) return in.Malformed("an agent's bucket");
    AgentPool::Bucket& bucket = pool.buckets_[agent.bucket];
    ++bucket.members;
    bucket.logged_in += agent.state != AgentState::kOffline ? 1 : 0;
    for (size_t slot = 0; slot < slots; ++slot) {
      if (!agent.handles[slot].valid()) continue;
      const AgentPool::Ranked* value = bucket.ready[slot].Find(agent.handles[slot]);
      if (value == nullptr || value->key.agent != index) return in.Malformed("a ready entry");
      ++handles;
    }
  }
  if (handles != ranked) return in.Malformed("a ready entry no agent holds");
  OMNIROUTE_RETURN_IF_ERROR(
      ReadWheel(pool.timers_, in, [agents](ByteReader& r, AgentPool::Timer& timer) {
        OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t agent, r.Below(agents, "timer's agent"));
        OMNIROUTE_ASSIGN_OR_RETURN(const uint8_t kind, r.U8());
        if (kind > static_cast<uint8_t>(AgentPool::TimerKind::kCooldown)) {
          return r.Malformed("agent timer");
        }
        timer = AgentPool::Timer{static_cast<AgentIndex>(agent),
                                 static_cast<AgentPool::TimerKind>(kind)};
        return absl::OkStatus();
      }));
  // The pool advances its timers with it: a wheel ahead would never fire what it schedules.
  if (pool.timers_.now() > pool.now_) return in.Malformed("timer clock");
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t events, in.Count("agent events"));
  pool.events_.resize(events);
  for (AgentEvent& event : pool.events_) {
    OMNIROUTE_ASSIGN_OR_RETURN(const uint8_t kind, in.U8());
    if (kind > static_cast<uint8_t>(AgentEvent::Kind::kWrapUpStarted)) {
      return in.Malformed("event");
    }
    event.kind = static_cast<AgentEvent::Kind>(kind);
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t agent, in.Below(agents, "event's agent"));
    event.agent = static_cast<AgentIndex>(agent);
    OMNIROUTE_ASSIGN_OR_RETURN(event.at, in.Time());
  }
  OMNIROUTE_ASSIGN_OR_RETURN(pool.next_offer_sequence_, in.Var());
  pool.pool_handle_time_sum_.resize(channels);
  for (absl::Duration& sum : pool.pool_handle_time_sum_) {
    OMNIROUTE_ASSIGN_OR_RETURN(sum, in.Duration());
  }
  pool.pool_handle_count_.resize(channels);
  for (uint64_t& count : pool.pool_handle_count_) {
    OMNIROUTE_ASSIGN_OR_RETURN(count, in.Var());
  }
  OMNIROUTE_ASSIGN_OR_RETURN(const std::string_view random, in.StrView());
  std::istringstream stream{std::string(random)};
  stream >> pool.random_;
  if (stream.fail()) return in.Malformed("random state");
  return absl::OkStatus();
}

void StateCodec::Save(const Router& router, PlanTable& plans, ByteWriter& out) {
  out.Time(router.now_);
  Save(router.pool_, out);
  Save(router.queues_, plans, out);
  out.Var(router.synced_buckets_);
  for (size_t queue = 0; queue < router.servers_.size(); ++queue) {
    out.Var(router.servers_[queue].size());
    for (const Router::Server& server : router.servers_[queue]) {
      out.Var(server.bucket);
      out.Duration(server.delay);
    }
    out.Var(router.delays_[queue].size());
    for (const absl::Duration delay : router.delays_[queue]) out.Duration(delay);
  }
  out.Var(router.tiers_.size());
  for (const std::vector<QueueAssignment>& tiers : router.tiers_) {
    out.Var(tiers.size());
    for (const QueueAssignment& queue : tiers) SaveAssignment(queue, out);
  }
  const std::vector<std::pair<WorkItemId, const Router::Item*>> items = SortedByKey(router.items_);
  out.Var(items.size());
  for (const auto& [id, item] : items) {
    out.Var(id);
    out.U8(static_cast<uint8_t>(item->state));
    out.Var(item->queue);
    out.Var(item->channel);
    out.Var(item->agent);
    out.Var(item->held == Router::kNoSlot ? 0 : uint64_t{item->held} + 1);
    out.Var(item->extras == Router::kNoSlot ? 0 : uint64_t{item->extras} + 1);
  }
  SaveSlabLayout<Router::Held, 8>(router.held_.free_, router.held_.size_, out);
  std::vector<bool> free(router.held_.size_);
  for (const uint32_t slot : router.held_.free_) free[slot] = true;
  for (uint32_t slot = 0; slot < router.held_.size_; ++slot) {
    if (free[slot]) continue;
    const Router::Held& held = router.held_[slot];
    const QueuedItem& entry = held.entry;
    out.Int(entry.priority);
    out.Time(entry.arrival);
    out.Time(entry.deadline);
    out.Var(plans.NumberOf(entry.requirement));
    out.Var(entry.channel);
    out.U8(static_cast<uint8_t>((entry.place ? 1 : 0) | (entry.steps_applied ? 2 : 0) |
                                (entry.relaxation_origin ? 4 : 0)));
    if (entry.place) out.Var(*entry.place);
    if (entry.steps_applied) out.Int(*entry.steps_applied);
    if (entry.relaxation_origin) out.Time(*entry.relaxation_origin);
    Save(held.offer_timer, out);
    out.Time(held.offer_expires);
  }
  SaveSlabLayout<Router::Extras, 8>(router.extras_.free_, router.extras_.size_, out);
  free.assign(router.extras_.size_, false);
  for (const uint32_t slot : router.extras_.free_) free[slot] = true;
  for (uint32_t slot = 0; slot < router.extras_.size_; ++slot) {
    if (free[slot]) continue;
    const Router::Extras& extras = router.extras_[slot];
    out.Var(extras.preferred ? uint64_t{*extras.preferred} + 1 : 0);
    out.Time(extras.preferred_until);
    out.Var(extras.refused.size());
    for (const AgentIndex agent : extras.refused) out.Var(agent);
    out.Var(extras.wake_timers.size());
    for (const TimerHandle timer : extras.wake_timers) Save(timer, out);
  }
  std::vector<WorkItemId> restricted(router.restricted_.begin(), router.restricted_.end());
  std::sort(restricted.begin(), restricted.end());
  out.Var(restricted.size());
  for (const WorkItemId id : restricted) out.Var(id);
  SaveWheel(router.timers_, out, [](ByteWriter& w, const Router::Timer& timer) {
    w.Var(timer.item);
    w.U8(static_cast<uint8_t>(timer.kind));
  });
  out.Var(router.events_.size());
  for (const RoutingEvent& event : router.events_) {
    out.U8(static_cast<uint8_t>(event.kind));
    out.Var(event.item);
    out.Var(event.agent);
    out.Var(event.queue);
    out.Time(event.at);
    out.Int(event.steps_applied);
    if (event.kind != RoutingEventKind::kAgentState) continue;
    out.U8(static_cast<uint8_t>(event.agent_state));
    const auto& reasons = Router::kAgentStateReasons;
    out.U8(static_cast<uint8_t>(std::find(reasons.begin(), reasons.end(), event.reason) -
                                reasons.begin()));
  }
}

absl::Status StateCodec::Load(Router& router, const PlanTable& plans, ByteReader& in) {
  Router loaded(router.pool_.channels_, router.options_, router.now_);
  for (QueueIndex queue = 0; queue < router.queue_options_.size(); ++queue) {
    OMNIROUTE_RETURN_IF_ERROR(
        loaded.AddQueue(router.queues_.name(queue), router.queue_options_[queue]).status());
  }
  if (absl::Status status = ReadRouter(loaded, plans, in); !status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("router state: ", status.message()));
  }
  router = std::move(loaded);
  return absl::OkStatus();
}

absl::Status StateCodec::ReadRouter(Router& router, const PlanTable& plans, ByteReader& in) {
  OMNIROUTE_ASSIGN_OR_RETURN(router.now_, in.Time());
  OMNIROUTE_RETURN_IF_ERROR(Load(router.pool_, in));
  OMNIROUTE_RETURN_IF_ERROR(Load(router.queues_, plans, in));
  // The router moves its queues and its pool with it. A queue behind would refuse the arrivals
  // the router hands it at the router's time, leaving the router and its queues at odds.
  if (router.queues_.now() != router.now_ || router.pool_.now_ != router.now_) {
    return in.Malformed("clocks");
  }
  const uint64_t queues = router.queues_.queue_count();
  const uint64_t buckets = router.pool_.bucket_count();
  const uint64_t agents = router.pool_.size();
  OMNIROUTE_ASSIGN_OR_RETURN(router.synced_buckets_, in.Var());
  if (router.synced_buckets_ > buckets) return in.Malformed("synced buckets");
  for (QueueIndex queue = 0; queue < queues; ++queue) {
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t servers, in.Count("queue servers"));
    router.servers_[queue].resize(servers);
    for (Router::Server& server : router.servers_[queue]) {
      OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t bucket, in.Below(buckets, "server bucket"));
      server.bucket = static_cast<BucketIndex>(bucket);
      OMNIROUTE_ASSIGN_OR_RETURN(server.delay, in.Duration());
    }
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t delays, in.Count("queue delays"));
    router.delays_[queue].resize(delays);
    for (absl::Duration& delay : router.delays_[queue]) {
      OMNIROUTE_ASSIGN_OR_RETURN(delay, in.Duration());
    }
  }
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t tiers, in.Count("bucket tiers"));
  if (tiers != router.synced_buckets_) return in.Malformed("bucket tiers");
  router.tiers_.resize(tiers);
  for (std::vector<QueueAssignment>& tier : router.tiers_) {
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t count, in.Count("bucket tiers"));
    tier.resize(count);
    for (QueueAssignment& queue : tier) {
      OMNIROUTE_ASSIGN_OR_RETURN(queue, ReadAssignment(in, queues));
    }
  }

  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t items, in.Count("routed items"));
  router.items_.reserve(items);
  std::vector<WorkItemId> held_by, extras_by;  // the item holding each slot
  std::vector<std::pair<uint32_t, uint32_t>> slots_used;
  size_t queued = 0;
  WorkItemId previous = 0;
  for (uint64_t i = 0; i < items; ++i) {
    OMNIROUTE_ASSIGN_OR_RETURN(const WorkItemId id, in.Var());
    if (i > 0 && id <= previous) return in.Malformed("routed item order");
    previous = id;
    Router::Item& item = router.items_[id];
    OMNIROUTE_ASSIGN_OR_RETURN(const uint8_t state, in.U8());
    if (state > static_cast<uint8_t>(RoutedState::kAssigned)) return in.Malformed("item state");
    item.state = static_cast<RoutedState>(state);
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t queue, in.Below(queues, "item queue"));
    item.queue = static_cast<QueueIndex>(queue);
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t channel,
                               in.Below(router.pool_.channels_.size(), "item channel"));
    item.channel = static_cast<ChannelId>(channel);
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t agent, in.Var());
    if (agent != kNoAgent && agent >= agents) return in.Malformed("item agent");
    item.agent = static_cast<AgentIndex>(agent);
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t held, in.Var());
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t extras, in.Var());
    if (held > Router::kNoSlot || extras > Router::kNoSlot) return in.Malformed("item records");
    item.held = held == 0 ? Router::kNoSlot : static_cast<uint32_t>(held - 1);
    item.extras = extras == 0 ? Router::kNoSlot : static_cast<uint32_t>(extras - 1);
    // Queued items wait in their queue and hold nothing; the others are out of it, with an agent.
    const std::optional<QueueIndex> waits_in = router.queues_.QueueOf(id);
    if (item.state == RoutedState::kQueued) {
      if (waits_in != item.queue || item.held != Router::kNoSlot || item.agent != kNoAgent) {
        return in.Malformed("a queued item");
      }
      ++queued;
    } else if (waits_in || item.held == Router::kNoSlot || item.agent == kNoAgent) {
      return in.Malformed("an offered or assigned item");
    }
  }
  if (queued != router.queues_.size()) return in.Malformed("an item no router record holds");

  std::vector<bool> live;
  OMNIROUTE_RETURN_IF_ERROR((ReadSlabLayout<Router::Held, 8>(
      router.held_.chunks_, router.held_.size_, router.held_.free_, live, in)));
  for (uint32_t slot = 0; slot < router.held_.size_; ++slot) {
    if (!live[slot]) continue;
    Router::Held& held = router.held_[slot];
    QueuedItem& entry = held.entry;
    OMNIROUTE_ASSIGN_OR_RETURN(entry.priority, ReadInt(in, "held priority"));
    OMNIROUTE_ASSIGN_OR_RETURN(entry.arrival, in.Time());
    OMNIROUTE_ASSIGN_OR_RETURN(entry.deadline, in.Time());
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t plan, in.Var());
    OMNIROUTE_ASSIGN_OR_RETURN(entry.requirement, plans.PlanOf(plan));
    OMNIROUTE_ASSIGN_OR_RETURN(
        const uint64_t channel,
        in.Below(uint64_t{std::numeric_limits<uint32_t>::max()} + 1, "held channel"));
    entry.channel = static_cast<uint32_t>(channel);
    OMNIROUTE_ASSIGN_OR_RETURN(const uint8_t present, in.U8());
    if (present > 7) return in.Malformed("held entry");
    if (present & 1) {
      OMNIROUTE_ASSIGN_OR_RETURN(entry.place, in.Var());
    }
    if (present & 2) {
      OMNIROUTE_ASSIGN_OR_RETURN(entry.steps_applied, ReadInt(in, "held steps"));
    }
    if (present & 4) {
      OMNIROUTE_ASSIGN_OR_RETURN(entry.relaxation_origin, in.Time());
    }
    OMNIROUTE_RETURN_IF_ERROR(Load(held.offer_timer, in));
    OMNIROUTE_ASSIGN_OR_RETURN(held.offer_expires, in.Time());
  }
  std::vector<bool> extras_live;
  OMNIROUTE_RETURN_IF_ERROR((ReadSlabLayout<Router::Extras, 8>(
      router.extras_.chunks_, router.extras_.size_, router.extras_.free_, extras_live, in)));
  for (uint32_t slot = 0; slot < router.extras_.size_; ++slot) {
    if (!extras_live[slot]) continue;
    Router::Extras& extras = router.extras_[slot];
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t preferred, in.Var());
    if (preferred > agents) return in.Malformed("preferred agent");
    if (preferred > 0) extras.preferred = static_cast<AgentIndex>(preferred - 1);
    OMNIROUTE_ASSIGN_OR_RETURN(extras.preferred_until, in.Time());
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t refused, in.Count("refusals"));
    extras.refused.resize(refused);
    for (AgentIndex& agent : extras.refused) {
      OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t value, in.Below(agents, "refusal"));
      agent = static_cast<AgentIndex>(value);
    }
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t timers, in.Count("wake timers"));
    extras.wake_timers.resize(timers);
    for (TimerHandle& timer : extras.wake_timers) OMNIROUTE_RETURN_IF_ERROR(Load(timer, in));
  }
  // Each live record is held by one item, and each item's record is live.
  std::vector<bool> held_claimed(router.held_.size_), extras_claimed(router.extras_.size_);
  for (const auto& [id, item] : router.items_) {
    if (item.held != Router::kNoSlot) {
      if (item.held >= live.size() || !live[item.held] || held_claimed[item.held]) {
        return in.Malformed("an item's held record");
      }
      held_claimed[item.held] = true;
    }
    if (item.extras != Router::kNoSlot) {
      if (item.extras >= extras_live.size() || !extras_live[item.extras] ||
          extras_claimed[item.extras]) {
        return in.Malformed("an item's extra record");
      }
      extras_claimed[item.extras] = true;
    }
  }
  if (held_claimed != live || extras_claimed != extras_live) {
    return in.Malformed("a record no item holds");
  }
  // The pool holds the offered and assigned items at their agents, offers as offers, and nothing
  // else: an agent holding another item, or an offer as accepted, could neither answer the offer
  // nor ever free its capacity.
  std::vector<bool> held_by_agent(router.held_.size_);
  size_t held_work = 0;
  for (AgentIndex agent = 0; agent < agents; ++agent) {
    for (const HeldWork& work : router.pool_.agents_[agent].held) {
      const auto it = router.items_.find(work.item);
      if (it == router.items_.end() || it->second.agent != agent ||
          it->second.channel != work.channel ||
          (it->second.state == RoutedState::kOffered) != work.pending ||
          held_by_agent[it->second.held]) {
        return in.Malformed("an agent's held work");
      }
      held_by_agent[it->second.held] = true;
      ++held_work;
    }
  }
  if (held_work != router.items_.size() - queued) return in.Malformed("work no agent holds");
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t restricted, in.Count("restricted items"));
  // Ascending, as written: one set, one way to write it.
  WorkItemId last_restricted = 0;
  for (uint64_t i = 0; i < restricted; ++i) {
    OMNIROUTE_ASSIGN_OR_RETURN(const WorkItemId id, in.Var());
    if (!router.items_.contains(id) || (i > 0 && id <= last_restricted)) {
      return in.Malformed("restricted items");
    }
    router.restricted_.insert(id);
    last_restricted = id;
  }
  OMNIROUTE_RETURN_IF_ERROR(
      ReadWheel(router.timers_, in, [&router](ByteReader& r, Router::Timer& timer) {
        OMNIROUTE_ASSIGN_OR_RETURN(timer.item, r.Var());
        if (!router.items_.contains(timer.item)) return r.Malformed("timer's item");
        OMNIROUTE_ASSIGN_OR_RETURN(const uint8_t kind, r.U8());
        if (kind > static_cast<uint8_t>(Router::TimerKind::kWake)) return r.Malformed("timer");
        timer.kind = static_cast<Router::TimerKind>(kind);
        return absl::OkStatus();
      }));
  // The router advances its timers with it: a wheel ahead would never fire what it schedules.
  if (router.timers_.now() > router.now_) return in.Malformed("timer clock");
  // Each timer is one its item's records hold: an offer whose record names another timer, or
  // none, would never expire, and a wake-up so named would never come.
  size_t holders = 0;
  for (const auto& [id, item] : router.items_) {
    if (item.held != Router::kNoSlot) {
      const Router::Timer* timer = router.timers_.Find(router.held_[item.held].offer_timer);
      if (timer != nullptr) {
        if (timer->item != id || timer->kind != Router::TimerKind::kOfferExpiry) {
          return in.Malformed("an offer's timer");
        }
        ++holders;
      }
    }
    if (item.extras == Router::kNoSlot) continue;
    // An item's wake-ups come in time order, each instant once: a timer named twice would stay
    // named once it fired.
    absl::Time last_wake = absl::InfinitePast();
    for (const TimerHandle handle : router.extras_[item.extras].wake_timers) {
      const Router::Timer* timer = router.timers_.Find(handle);
      if (timer == nullptr || timer->item != id || timer->kind != Router::TimerKind::kWake ||
          router.timers_.Due(handle) <= last_wake) {
        return in.Malformed("a wake-up timer");
      }
      last_wake = router.timers_.Due(handle);
      ++holders;
    }
  }
  if (holders != router.timers_.size()) return in.Malformed("a timer no item holds");
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t events, in.Count("routing events"));
  router.events_.resize(events);
  for (RoutingEvent& event : router.events_) {
    OMNIROUTE_ASSIGN_OR_RETURN(const uint8_t kind, in.U8());
    if (kind > static_cast<uint8_t>(RoutingEventKind::kAgentState)) {
      return in.Malformed("routing event");
    }
    event.kind = static_cast<RoutingEventKind>(kind);
    OMNIROUTE_ASSIGN_OR_RETURN(event.item, in.Var());
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t agent, in.Var());
    if (agent != kNoAgent && agent >= agents) return in.Malformed("event agent");
    event.agent = static_cast<AgentIndex>(agent);
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t queue, in.Below(queues, "event queue"));
    event.queue = static_cast<QueueIndex>(queue);
    OMNIROUTE_ASSIGN_OR_RETURN(event.at, in.Time());
    OMNIROUTE_ASSIGN_OR_RETURN(event.steps_applied, ReadInt(in, "event steps"));
    if (event.kind != RoutingEventKind::kAgentState) continue;
    if (event.agent == kNoAgent) return in.Malformed("event agent");
    OMNIROUTE_ASSIGN_OR_RETURN(const uint8_t state, in.U8());
    OMNIROUTE_ASSIGN_OR_RETURN(const uint8_t reason, in.U8());
    if (state > static_cast<uint8_t>(AgentState::kWrapUp) ||
        reason >= Router::kAgentStateReasons.size()) {
      return in.Malformed("agent state event");
    }
    event.agent_state = static_cast<AgentState>(state);
    event.reason = Router::kAgentStateReasons[reason];
  }
  return absl::OkStatus();
}

}  // namespace omniroute::internal
