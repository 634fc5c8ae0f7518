#include "internal/state_codec.h"

#include <bit>
#include <cstdint>
#include <limits>
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

// A count of things each taking at least one byte: more than the input holds is corrupt.
absl::StatusOr<uint64_t> ReadCount(ByteReader& in, std::string_view what) {
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t count, in.Var());
  if (count > in.remaining()) return in.Malformed(what);
  return count;
}

// A value below `bound`.
absl::StatusOr<uint64_t> ReadBelow(ByteReader& in, uint64_t bound, std::string_view what) {
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t value, in.Var());
  if (value >= bound) return in.Malformed(what);
  return value;
}

// A handle's two 32-bit parts (slot or index, generation).
absl::StatusOr<std::pair<uint32_t, uint32_t>> ReadHandle(ByteReader& in, std::string_view what) {
  constexpr uint64_t kBound = uint64_t{std::numeric_limits<uint32_t>::max()} + 1;
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t first, ReadBelow(in, kBound, what));
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t second, ReadBelow(in, kBound, what));
  return std::make_pair(static_cast<uint32_t>(first), static_cast<uint32_t>(second));
}

absl::StatusOr<bool> ReadBool(ByteReader& in) {
  OMNIROUTE_ASSIGN_OR_RETURN(const uint8_t value, in.U8());
  if (value > 1) return in.Malformed("flag");
  return value == 1;
}

absl::StatusOr<SlaMetric> ReadMetric(ByteReader& in) {
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t metric, ReadBelow(in, kSlaMetricCount, "SLA metric"));
  return static_cast<SlaMetric>(metric);
}

absl::StatusOr<uint16_t> ReadCycle(ByteReader& in) {
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t cycle,
                             ReadBelow(in, std::numeric_limits<uint16_t>::max() + 1, "cycle"));
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
  OMNIROUTE_ASSIGN_OR_RETURN(record.late, ReadBool(in));
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
  OMNIROUTE_ASSIGN_OR_RETURN(event.late, ReadBool(in));
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
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t bins, ReadCount(in, "sketch"));
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
  OMNIROUTE_ASSIGN_OR_RETURN(loaded.breached_, ReadBool(in));
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
  for (const uint32_t slot : tracker.free_slots_) out.Var(slot);
  for (uint32_t slot = 0; slot < tracker.slab_size_; ++slot) {
    const SlaTracker::Item& item = tracker.ItemAt(slot);
    const auto found = tracker.index_.find(item.id);
    const bool live = found != tracker.index_.end() && found->second == slot;
    out.U8(live ? 1 : 0);
    if (!live) continue;
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
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t policy_count, ReadCount(in, "policies"));
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
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t reason_count, ReadCount(in, "reasons"));
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
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t label_count, ReadCount(in, "labels"));
  for (uint64_t id = 0; id < label_count; ++id) {
    OMNIROUTE_ASSIGN_OR_RETURN(std::string label, in.Str());
    if (!tracker.label_ids_.emplace(label, static_cast<uint32_t>(id)).second) {
      return in.Malformed("labels");
    }
    tracker.labels_.push_back(std::move(label));
  }

  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t group_count, ReadCount(in, "attainment groups"));
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

  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t slab_size, ReadCount(in, "SLA items"));
  if (slab_size >= std::numeric_limits<uint32_t>::max()) return in.Malformed("SLA items");
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t free_count, ReadCount(in, "free slots"));
  if (free_count > slab_size) return in.Malformed("free slots");
  std::vector<bool> free(slab_size);
  tracker.free_slots_.resize(free_count);
  for (uint32_t& slot : tracker.free_slots_) {
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t value, ReadBelow(in, slab_size, "free slot"));
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
    OMNIROUTE_ASSIGN_OR_RETURN(const bool live, ReadBool(in));
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
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t policy, ReadBelow(in, policy_count, "policy"));
    item.policy = policy_of[policy];
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t priority, ReadBelow(in, label_count, "label"));
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t tier, ReadBelow(in, label_count, "label"));
    item.priority = static_cast<uint32_t>(priority);
    item.tier = static_cast<uint32_t>(tier);
    OMNIROUTE_ASSIGN_OR_RETURN(const uint8_t flags, in.U8());
    if (flags > 7) return in.Malformed("SLA item flags");
    item.responded = (flags & 1) != 0;
    item.resolved = (flags & 2) != 0;
    item.cancelled = (flags & 4) != 0;
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t clocks,
                               ReadBelow(in, kSlaMetricCount + 1, "clock count"));
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
      OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t group, ReadBelow(in, group_count, "group"));
      OMNIROUTE_ASSIGN_OR_RETURN(const int64_t armed, in.Int());
      if (armed < SlaTracker::kNone || armed >= warnings) return in.Malformed("armed threshold");
      item.clocks.push_back(SlaTracker::Tracked{.clock = clock,
                                                .timer = timer,
                                                .group = static_cast<uint32_t>(group),
                                                .armed = static_cast<int8_t>(armed)});
    }
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t records, ReadCount(in, "SLA history"));
    if (records > 0) {
      std::vector<SlaCycleRecord>& history = tracker.histories_[slot];
      history.resize(records);
      for (SlaCycleRecord& record : history) OMNIROUTE_RETURN_IF_ERROR(ReadRecord(in, record));
    }
  }
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t event_count, ReadCount(in, "SLA events"));
  tracker.events_.resize(event_count);
  for (SlaEvent& event : tracker.events_) OMNIROUTE_RETURN_IF_ERROR(ReadEvent(in, event));
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t saved_open, in.Var());
  if (saved_open != open_clocks) return in.Malformed("open clock count");
  tracker.open_clocks_ = open_clocks;

  OMNIROUTE_RETURN_IF_ERROR(tracker.wheel_.LoadState(
      in, [&tracker](ByteReader& r, SlaTracker::TimerKey& key) -> absl::Status {
        OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t slot,
                                   ReadBelow(r, tracker.slab_size_, "timer's item"));
        const SlaTracker::Item& item = tracker.ItemAt(static_cast<uint32_t>(slot));
        if (item.slot != slot || !tracker.index_.contains(item.id)) {
          return r.Malformed("timer's item");
        }
        OMNIROUTE_ASSIGN_OR_RETURN(const uint8_t clock, r.U8());
        if (clock >= item.clocks.size()) return r.Malformed("timer's clock");
        key = SlaTracker::TimerKey{static_cast<uint32_t>(slot), clock};
        return absl::OkStatus();
      }));
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
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t slots, ReadCount(in, "slab"));
  if (slots >= std::numeric_limits<uint32_t>::max()) return in.Malformed("slab");
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t free_count, ReadCount(in, "slab free list"));
  if (free_count > slots) return in.Malformed("slab free list");
  live.assign(slots, true);
  free.resize(free_count);
  for (uint32_t& slot : free) {
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t value, ReadBelow(in, slots, "slab free slot"));
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
  out.Time(queue.relaxation_.origin());
  out.Duration(queue.relaxation_.tick());
  queue.relaxation_.SaveState(out, [](ByteWriter& w, uint32_t slot) { w.Var(slot); });
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
                               ReadBelow(r, std::numeric_limits<uint32_t>::max(), "heap value"));
    ranked.slot = static_cast<uint32_t>(slot);
    return absl::OkStatus();
  };
  const auto read_heap = [&in, &read_ranked](Queue::Heap& heap) -> absl::Status {
    if (!heap.LoadState(in, read_ranked)) return in.Malformed("queue heap");
    return absl::OkStatus();
  };
  const auto read_class_id = [&in](uint64_t classes) -> absl::StatusOr<RequirementClassId> {
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t id, ReadBelow(in, classes, "requirement class"));
    return static_cast<RequirementClassId>(id);
  };

  OMNIROUTE_ASSIGN_OR_RETURN(queue.next_sequence_, in.Var());
  std::vector<bool> live;
  OMNIROUTE_RETURN_IF_ERROR((ReadSlabLayout<Queue::Item, 6>(
      queue.items_.chunks_, queue.items_.size_, queue.items_.free_, live, in)));
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
                               ReadBelow(in, std::numeric_limits<uint32_t>::max(), "class"));
    item.requirement_class = static_cast<RequirementClassId>(klass);
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t priority,
                               ReadBelow(in, static_cast<uint64_t>(levels), "priority"));
    item.priority = static_cast<int>(priority);
    const uint64_t steps = item.requirement == nullptr ? 0 : item.requirement->step_count();
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t applied, ReadBelow(in, steps + 1, "steps applied"));
    item.steps_applied = static_cast<int>(applied);
    OMNIROUTE_ASSIGN_OR_RETURN(
        const uint64_t channel,
        ReadBelow(in, uint64_t{std::numeric_limits<uint32_t>::max()} + 1, "channel"));
    item.channel = static_cast<uint32_t>(channel);
    ++queue.count_by_priority_[item.priority];
  }
  if (!queue.arrivals_.LoadState(
          in, [](ByteReader& r, Queue::ArrivalRanked& ranked) -> absl::Status {
            OMNIROUTE_ASSIGN_OR_RETURN(ranked.arrival_ns, r.Int());
            OMNIROUTE_ASSIGN_OR_RETURN(
                const uint64_t slot,
                ReadBelow(r, std::numeric_limits<uint32_t>::max(), "arrival slot"));
            ranked.slot = static_cast<uint32_t>(slot);
            return absl::OkStatus();
          })) {
    return in.Malformed("arrival order");
  }

  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t classes, ReadCount(in, "requirement classes"));
  if (classes >= std::numeric_limits<uint32_t>::max()) return in.Malformed("requirement classes");
  queue.classes_.resize(classes);
  for (RequirementClassId id = 0; id < classes; ++id) {
    Queue::Class& klass = queue.classes_[id];
    OMNIROUTE_ASSIGN_OR_RETURN(klass.live, ReadBool(in));
    OMNIROUTE_ASSIGN_OR_RETURN(
        const uint64_t generation,
        ReadBelow(in, uint64_t{std::numeric_limits<uint32_t>::max()} + 1, "class generation"));
    klass.generation = static_cast<uint32_t>(generation);
    if (klass.live) {
      OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t plan, in.Var());
      OMNIROUTE_ASSIGN_OR_RETURN(klass.owner, plans.PlanOf(plan));
      const uint64_t steps = klass.owner == nullptr ? 0 : klass.owner->step_count();
      OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t step, ReadBelow(in, steps + 1, "class step"));
      klass.requirement = klass.owner == nullptr ? &Queue::Anyone()
                                                 : &klass.owner->Effective(static_cast<int>(step));
      OMNIROUTE_ASSIGN_OR_RETURN(
          const uint64_t channel,
          ReadBelow(in, uint64_t{std::numeric_limits<uint32_t>::max()} + 1, "channel"));
      klass.channel = static_cast<uint32_t>(channel);
      OMNIROUTE_ASSIGN_OR_RETURN(
          const uint64_t position,
          ReadBelow(in, std::numeric_limits<uint32_t>::max(), "class position"));
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
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t count, ReadCount(in, "class list"));
    ids->resize(count);
    for (RequirementClassId& id : *ids) {
      OMNIROUTE_ASSIGN_OR_RETURN(id, read_class_id(classes));
    }
  }
  OMNIROUTE_RETURN_IF_ERROR(read_heap(queue.class_heads_));
  OMNIROUTE_RETURN_IF_ERROR(read_heap(queue.class_overdue_heads_));
  OMNIROUTE_ASSIGN_OR_RETURN(const absl::Time origin, in.Time());
  OMNIROUTE_ASSIGN_OR_RETURN(const absl::Duration tick, in.Duration());
  if (origin == absl::InfiniteFuture() || origin == absl::InfinitePast() ||
      tick <= absl::ZeroDuration()) {
    return in.Malformed("relaxation timers");
  }
  queue.relaxation_ = TimerWheel<uint32_t>(origin, tick);
  OMNIROUTE_RETURN_IF_ERROR(
      queue.relaxation_.LoadState(in, [&queue, &live](ByteReader& r, uint32_t& slot) {
        OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t value,
                                   ReadBelow(r, queue.items_.size_, "relaxation timer"));
        if (!live[value]) return r.Malformed("relaxation timer");
        slot = static_cast<uint32_t>(value);
        return absl::OkStatus();
      }));
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t events, ReadCount(in, "relaxation events"));
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
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t queues, ReadCount(in, "queues"));
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
    for (std::vector<QueueIndex>* indexes : {&loaded.pending_, &loaded.with_events_}) {
      OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t count, ReadCount(in, "queue list"));
      std::vector<bool> seen(queues);
      indexes->resize(count);
      for (QueueIndex& index : *indexes) {
        OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t value, ReadBelow(in, queues, "queue index"));
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

}  // namespace omniroute::internal
