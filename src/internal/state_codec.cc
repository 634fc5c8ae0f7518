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
  constexpr uint64_t kBound = uint64_t{std::numeric_limits<uint32_t>::max()} + 1;
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t index, ReadBelow(in, kBound, "timer handle"));
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t generation, ReadBelow(in, kBound, "timer handle"));
  handle = TimerHandle(static_cast<uint32_t>(index), static_cast<uint32_t>(generation));
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

}  // namespace omniroute::internal
