#include "omniroute/sla_tracker.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "fmt/format.h"
#include "internal/enum_names.h"
#include "internal/events.h"
#include "internal/memory_bytes.h"

namespace omniroute {
namespace {

constexpr std::array<std::string_view, 4> kEventKindNames = {"sla_warning", "sla_breached",
                                                             "sla_met", "sla_cancelled"};
constexpr int kMaxPauseReasons = 64;
// Events ahead of the next append whose cache line Emit claims (about 1 KiB).
constexpr size_t kEventPrefetchDistance = 16;

bool InNanosecondRange(absl::Time t) {
  return t > absl::FromUnixNanos(std::numeric_limits<int64_t>::min()) &&
         t < absl::FromUnixNanos(std::numeric_limits<int64_t>::max());
}

}  // namespace

std::string_view SlaEventKindName(SlaEvent::Kind kind) {
  return internal::EnumName(kEventKindNames, kind);
}

SlaTracker::SlaTracker(Options options)
    : now_(options.origin), wheel_(options.origin, options.tick) {}

absl::Status SlaTracker::AddPolicy(SlaPolicy policy) {
  if (absl::Status status = policy.Validate(); !status.ok()) return status;
  if (policy_ids_.contains(policy.name)) {
    return absl::AlreadyExistsError(fmt::format("SLA policy \"{}\" already exists", policy.name));
  }
  if (absl::Status status = CheckReasonCapacity(policy); !status.ok()) return status;
  Policy entry{std::move(policy), {}, {}, {}, {}};
  SetPauseMasks(entry);
  policy_ids_.emplace(entry.spec.name, static_cast<uint32_t>(policies_.size()));
  policies_.push_back(std::move(entry));
  return absl::OkStatus();
}

absl::Status SlaTracker::CanReplacePolicy(const SlaPolicy& policy) const {
  if (absl::Status status = policy.Validate(); !status.ok()) return status;
  auto found = policy_ids_.find(policy.name);
  if (found == policy_ids_.end()) {
    return absl::NotFoundError(fmt::format("no SLA policy \"{}\"", policy.name));
  }
  // Every item must have targets for its priority under the new policy, or nothing changes.
  for (const auto& [item_id, slot] : index_) {
    const Item& item = ItemAt(slot);
    if (item.policy != found->second || item.cancelled) continue;
    if (absl::StatusOr<absl::Duration> target =
            policy.Target(SlaMetric::kResolution, labels_[item.priority], labels_[item.tier]);
        !target.ok()) {
      return target.status();
    }
  }
  return CheckReasonCapacity(policy);
}

absl::Status SlaTracker::ReplacePolicy(SlaPolicy policy, absl::Time at) {
  if (absl::Status status = CanReplacePolicy(policy); !status.ok()) return status;
  if (absl::Status status = CheckTime(at); !status.ok()) return status;
  const uint32_t id = policy_ids_.find(policy.name)->second;
  std::vector<SlaItemId> affected;
  for (const auto& [item_id, slot] : index_) {
    if (ItemAt(slot).policy == id && !ItemAt(slot).cancelled) affected.push_back(item_id);
  }
  std::sort(affected.begin(), affected.end());
  AdvanceWheel(at);
  // Where a metric's calendar changes, the old calendar counts up to `at`, the new one from
  // there. Elsewhere clocks keep running as they are, so that a new target still finds the exact
  // instants its thresholds were reached at (a clock knows them only since it last resumed).
  std::array<bool, kSlaMetricCount> calendar_changes{};
  for (SlaMetric metric : kAllSlaMetrics) {
    calendar_changes[static_cast<int>(metric)] =
        !(policies_[id].spec.settings(metric).calendar == policy.settings(metric).calendar);
  }
  std::vector<std::pair<SlaItemId, SlaMetric>> running;
  for (SlaItemId item_id : affected) {
    Item& item = *Lookup(item_id);
    for (Tracked& tracked : item.clocks) {
      const SlaMetric metric = tracked.clock.metric();
      if (!tracked.clock.running() || !calendar_changes[static_cast<int>(metric)]) continue;
      Disarm(tracked);
      (void)tracked.clock.Pause(at, PolicyOf(item).spec.settings(metric).calendar);
      running.emplace_back(item_id, metric);
    }
  }
  Policy& entry = policies_[id];
  entry.spec = std::move(policy);
  entry.resolved.clear();
  entry.memos = {};
  entry.thresholds = {};
  SetPauseMasks(entry);
  for (const auto& [item_id, metric] : running) {
    Item& item = *Lookup(item_id);
    (void)FindClock(item, metric)->clock.Resume(at, PolicyOf(item).spec.settings(metric).calendar);
  }
  for (SlaItemId item_id : affected) {
    Item& item = *Lookup(item_id);
    ApplyPauses(item_id, item, at);
    RetargetItem(item_id, item, at);
  }
  return absl::OkStatus();
}

absl::Status SlaTracker::CheckReasonCapacity(const SlaPolicy& policy) const {
  std::vector<std::string_view> new_reasons;
  for (const SlaMetricSettings& settings : policy.metrics) {
    for (const std::string& reason : settings.paused_by) {
      if (!reason_ids_.contains(reason) &&
          std::find(new_reasons.begin(), new_reasons.end(), reason) == new_reasons.end()) {
        new_reasons.push_back(reason);
      }
    }
  }
  if (reason_ids_.size() + new_reasons.size() > kMaxPauseReasons) {
    return absl::ResourceExhaustedError(
        fmt::format("more than {} distinct pause reasons", kMaxPauseReasons));
  }
  return absl::OkStatus();
}

void SlaTracker::SetPauseMasks(Policy& policy) {
  policy.pause_masks = {};
  for (SlaMetric metric : kAllSlaMetrics) {
    for (const std::string& reason : policy.spec.settings(metric).paused_by) {
      policy.pause_masks[static_cast<int>(metric)] |= ReasonBit(reason);
    }
  }
}

const SlaPolicy* SlaTracker::FindPolicy(std::string_view name) const {
  auto found = policy_ids_.find(name);
  return found == policy_ids_.end() ? nullptr : &policies_[found->second].spec;
}

uint64_t SlaTracker::ReasonBit(std::string_view reason) {
  auto found = reason_ids_.find(reason);
  if (found == reason_ids_.end()) {
    found = reason_ids_.emplace(std::string(reason), static_cast<int>(reason_ids_.size())).first;
  }
  return uint64_t{1} << found->second;
}

uint32_t SlaTracker::LabelId(std::string_view label) {
  auto found = label_ids_.find(label);
  if (found == label_ids_.end()) {
    found = label_ids_.emplace(std::string(label), static_cast<uint32_t>(labels_.size())).first;
    labels_.emplace_back(label);
  }
  return found->second;
}

const SlaTracker::ResolvedTargets& SlaTracker::TargetsOf(const Item& item) {
  Policy& policy = policies_[item.policy];
  const uint64_t key = (uint64_t{item.priority} << 32) | item.tier;
  auto found = policy.resolved.find(key);
  if (found != policy.resolved.end()) return found->second;
  ResolvedTargets resolved;
  for (SlaMetric metric : kAllSlaMetrics) {
    const absl::StatusOr<absl::Duration> target =
        policy.spec.Target(metric, labels_[item.priority], labels_[item.tier]);
    resolved.found[static_cast<int>(metric)] = target.ok();
    if (target.ok()) resolved.targets[metric] = *target;
  }
  return policy.resolved.emplace(key, resolved).first->second;
}

absl::Status SlaTracker::CheckTime(absl::Time at) const {
  if (!InNanosecondRange(at)) {
    return absl::InvalidArgumentError(
        fmt::format("instant {} outside the SLA range (years 1678-2262)", absl::FormatTime(at)));
  }
  if (at < now_) {
    return absl::InvalidArgumentError(fmt::format("instant {} is before the tracker's time {}",
                                                  absl::FormatTime(at), absl::FormatTime(now_)));
  }
  return absl::OkStatus();
}

SlaTracker::Item* SlaTracker::Lookup(SlaItemId id) {
  auto found = index_.find(id);
  return found == index_.end() ? nullptr : &ItemAt(found->second);
}

const SlaTracker::Item* SlaTracker::Lookup(SlaItemId id) const {
  auto found = index_.find(id);
  return found == index_.end() ? nullptr : &ItemAt(found->second);
}

absl::StatusOr<SlaTracker::Item*> SlaTracker::Find(SlaItemId id) {
  Item* item = Lookup(id);
  if (item == nullptr) return absl::NotFoundError(fmt::format("item {} has no SLA", id));
  return item;
}

absl::StatusOr<SlaTracker::Item*> SlaTracker::FindOpen(SlaItemId id, absl::Time at) {
  absl::StatusOr<Item*> item = Find(id);
  if (!item.ok()) return item;
  if ((*item)->cancelled) {
    return absl::FailedPreconditionError(fmt::format("item {}'s SLA is cancelled", id));
  }
  if (absl::Status status = CheckTime(at); !status.ok()) return status;
  return item;
}

SlaTracker::Tracked* SlaTracker::FindClock(Item& item, SlaMetric metric) {
  for (Tracked& tracked : item.clocks) {
    if (tracked.clock.metric() == metric) return &tracked;
  }
  return nullptr;
}

uint32_t SlaTracker::GroupOf(const Item& item) {
  const uint64_t labels = (uint64_t{item.policy} << 32) | item.priority;
  if (auto found = group_by_labels_.find(labels); found != group_by_labels_.end()) {
    return found->second;
  }
  auto key = std::make_pair(PolicyOf(item).spec.name, labels_[item.priority]);
  auto found = group_ids_.find(key);
  uint32_t id;
  if (found != group_ids_.end()) {
    id = found->second;
  } else {
    id = static_cast<uint32_t>(groups_.size());
    groups_.emplace_back();
    group_ids_.emplace(std::move(key), id);
  }
  group_by_labels_.emplace(labels, id);
  return id;
}

uint16_t SlaTracker::NextCycle(const Item& item, SlaMetric metric) const {
  uint16_t cycle = 0;
  if (auto history = histories_.find(item.slot); history != histories_.end()) {
    for (const SlaCycleRecord& record : history->second) {
      if (record.metric == metric) cycle = std::max(cycle, record.cycle);
    }
  }
  for (const Tracked& tracked : item.clocks) {
    if (tracked.clock.metric() == metric) cycle = std::max(cycle, tracked.clock.cycle());
  }
  return static_cast<uint16_t>(cycle + 1);
}

void SlaTracker::AdvanceWheel(absl::Time at) {
  now_ = std::max(now_, at);
  wheel_.Advance(
      now_, [this](TimerHandle, absl::Time due, TimerKey key) { Fire(key, due); },
      [this](const TimerKey& key) {
        // The item's first line, and its clock's line when the clock is stored inline.
        const Item& item = ItemAt(key.slot);
        __builtin_prefetch(&item);
        __builtin_prefetch(reinterpret_cast<const char*>(&item) + 64 * (1 + key.clock));
      });
}

std::pair<int, absl::Time> SlaTracker::NextThreshold(Policy& entry,
                                                     const BusinessCalendar& calendar,
                                                     const Tracked& tracked, const Reached* reached,
                                                     CalendarMemo& memo) {
  const SlaClock& clock = tracked.clock;
  if (!clock.running()) return {kNone, absl::InfiniteFuture()};
  for (int i = 0; i < static_cast<int>(entry.spec.warn_at.size()); ++i) {
    if ((clock.warnings_fired() >> i) & 1) continue;
    return {i, InstantReaching(clock, WarningNanos(entry, clock, i), calendar, reached, memo)};
  }
  if (clock.breached()) return {kNone, absl::InfiniteFuture()};
  return {kBreach, clock.Deadline()};
}

int64_t SlaTracker::WarningNanos(Policy& entry, const SlaClock& clock, int index) {
  ThresholdMemo& memo = entry.thresholds[static_cast<int>(clock.metric())];
  if (memo.target_ns != clock.TargetNanos()) {
    memo.target_ns = clock.TargetNanos();
    for (size_t i = 0; i < entry.spec.warn_at.size(); ++i) {
      memo.business_ns[i] = clock.ThresholdNanos(entry.spec.warn_at[i]);
    }
  }
  return memo.business_ns[static_cast<size_t>(index)];
}

absl::Time SlaTracker::InstantReaching(const SlaClock& clock, int64_t business_ns,
                                       const BusinessCalendar& calendar, const Reached* reached,
                                       CalendarMemo& memo) {
  // From `reached` to the deadline the clock counts `target - reached->business`. When the wall
  // time between them is as long, all of it is open, and every amount of business time in
  // between is first reached exactly that long after `reached`: the calendar need not be asked.
  // Most thresholds of short targets fall in one open stretch with the deadline. (Both instants
  // are in nanosecond range, so only their difference can overflow; business amounts cannot.)
  if (reached != nullptr && business_ns >= reached->business_ns &&
      business_ns <= clock.TargetNanos()) {
    const int64_t deadline_ns = clock.DeadlineNanos();
    int64_t span_ns;
    if (deadline_ns != SlaClock::kNoDeadlineNanos &&
        !__builtin_sub_overflow(deadline_ns, reached->instant_ns, &span_ns) &&
        span_ns == clock.TargetNanos() - reached->business_ns) {
      return absl::FromUnixNanos(reached->instant_ns + (business_ns - reached->business_ns));
    }
  }
  // Past `reached`, `business` is first reached `amount` of open time after `reached->instant`:
  // the clock's own answer, unless that lies beyond the calendar's horizon from the start of the
  // clock's running stretch (at or after its start), where the clock's own query decides.
  if (reached != nullptr && business_ns > reached->business_ns) {
    const absl::Time from = absl::FromUnixNanos(reached->instant_ns);
    const absl::Duration amount = absl::Nanoseconds(business_ns - reached->business_ns);
    if (memo.from != from || memo.amount != amount) {
      const absl::StatusOr<absl::Time> instant = calendar.AddBusinessTime(from, amount);
      memo = CalendarMemo{from, amount, instant.ok() ? *instant : absl::InfiniteFuture()};
    }
    if (InNanosecondRange(memo.reached) &&
        memo.reached - clock.start() <= BusinessCalendar::kHorizon) {
      return memo.reached;
    }
  }
  return clock.InstantReaching(absl::Nanoseconds(business_ns), calendar);
}

void SlaTracker::Disarm(Tracked& tracked) {
  wheel_.Cancel(tracked.timer);
  tracked.timer = TimerHandle();
  tracked.armed = kNone;
}

void SlaTracker::FireThreshold(SlaItemId id, Item& item, Tracked& tracked, int threshold,
                               absl::Time due, absl::Time at) {
  if (threshold == kBreach) {
    tracked.clock.MarkBreached();
    ++AttainmentOf(tracked).breached;
    Emit(SlaEvent::Kind::kBreached, id, tracked, 1.0, due, at, due < at);
  } else {
    tracked.clock.MarkWarningFired(threshold);
    Emit(SlaEvent::Kind::kWarning, id, tracked, PolicyOf(item).spec.warn_at[threshold], due, at,
         due < at);
  }
}

void SlaTracker::Arm(SlaItemId id, Item& item, Tracked& tracked, absl::Time at,
                     const Reached* reached) {
  Disarm(tracked);
  // Where its running stretch began, a running clock had counted what it had accumulated: a point
  // of the stretch, from which most thresholds follow without asking the calendar.
  Reached mark;
  if (reached == nullptr && tracked.clock.running()) {
    mark = {tracked.clock.MarkNanos(), tracked.clock.AccumulatedNanos()};
    reached = &mark;
  }
  Policy& entry = policies_[item.policy];
  const SlaMetric metric = tracked.clock.metric();
  const BusinessCalendar& calendar = entry.spec.settings(metric).calendar;
  CalendarMemo& memo = entry.memos[static_cast<int>(metric)];
  while (true) {
    const auto [threshold, due] = NextThreshold(entry, calendar, tracked, reached, memo);
    if (threshold == kNone || due == absl::InfiniteFuture()) return;
    // The breach comes once the deadline has passed (meeting it exactly is on time), except for
    // a zero target, breached at its start, and a clock already beyond its target (retargeted
    // below the time it had used while paused), whose deadline is behind it: breached now.
    // Before its deadline a clock has counted less than its target (one already beyond it has
    // its deadline where it last started running, never after `at`), so only from the deadline
    // on is the remaining time worth asking the calendar for.
    const bool zero_target = tracked.clock.target() == absl::ZeroDuration();
    const bool overrun = threshold == kBreach && at >= due &&
                         tracked.clock.Remaining(at, calendar) < absl::ZeroDuration();
    const bool breach_timer = threshold == kBreach && !zero_target && !overrun;
    if (!overrun && (breach_timer ? due >= at : due > at)) {
      const auto position = static_cast<uint8_t>(&tracked - item.clocks.data());
      absl::StatusOr<TimerHandle> handle = wheel_.Schedule(
          breach_timer ? due + absl::Nanoseconds(1) : due, TimerKey{item.slot, position});
      if (handle.ok()) {
        tracked.timer = *handle;
        tracked.armed = static_cast<int8_t>(threshold);
      }
      return;
    }
    FireThreshold(id, item, tracked, threshold, due, at);
  }
}

void SlaTracker::Fire(TimerKey key, absl::Time due) {
  Item& item = ItemAt(key.slot);
  Tracked& tracked = item.clocks[key.clock];
  tracked.timer = TimerHandle();
  const int threshold = tracked.armed;
  tracked.armed = kNone;
  if (threshold == kNone) return;
  // A breach timer is set just past its deadline (see Arm).
  const absl::Time reached = threshold == kBreach && tracked.clock.target() != absl::ZeroDuration()
                                 ? due - absl::Nanoseconds(1)
                                 : due;
  FireThreshold(item.id, item, tracked, threshold, reached, reached);
  if (threshold == kBreach) {
    Arm(item.id, item, tracked, reached);
    return;
  }
  // A warning timer is due when the clock, running since it was armed, reaches the threshold.
  const Reached point{absl::ToUnixNanos(reached),
                      WarningNanos(policies_[item.policy], tracked.clock, threshold)};
  Arm(item.id, item, tracked, reached, &point);
}

void SlaTracker::Emit(SlaEvent::Kind kind, SlaItemId id, const Tracked& tracked, double fraction,
                      absl::Time due, absl::Time at, bool late, absl::Duration overrun) {
  SlaEvent event;
  event.kind = kind;
  event.item = id;
  event.metric = tracked.clock.metric();
  event.cycle = tracked.clock.cycle();
  event.fraction = fraction;
  event.due = due;
  event.at = late ? at : due;
  event.late = late;
  event.overrun = overrun;
  if (events_.size() == events_.capacity()) {
    // Every pending timer may fire in this advance: room for all of them at once spares a burst
    // of millions of events the copies of repeated doubling (large allocations are committed page
    // by page as they are written, so the room costs nothing until used).
    events_.reserve(std::max(2 * events_.capacity(), events_.size() + wheel_.size() + 1));
  }
  // A burst of events outgrows the caches: claiming the lines a few events ahead keeps the
  // appends from waiting on each line's read for ownership.
  if (events_.size() + kEventPrefetchDistance < events_.capacity()) {
    __builtin_prefetch(events_.data() + events_.size() + kEventPrefetchDistance, /*rw=*/1);
  }
  events_.push_back(event);
}

void SlaTracker::StartClock(SlaItemId id, Item& item, SlaMetric metric, absl::Time start,
                            uint16_t cycle, absl::Time at) {
  const ResolvedTargets& resolved = TargetsOf(item);
  const absl::Duration target = resolved.targets[metric];
  if (!resolved.found[static_cast<int>(metric)] || target == absl::InfiniteDuration()) return;
  const BusinessCalendar& calendar = PolicyOf(item).spec.settings(metric).calendar;
  absl::StatusOr<SlaClock> clock = SlaClock::Start(metric, start, target, calendar, cycle);
  if (!clock.ok()) return;
  Tracked* tracked = FindClock(item, metric);
  if (tracked == nullptr) {
    item.clocks.push_back(Tracked{*clock, TimerHandle(), GroupOf(item), kNone});
    tracked = &item.clocks.back();
  } else {
    Disarm(*tracked);
    tracked->clock = *clock;
    tracked->group = GroupOf(item);
  }
  ++open_clocks_;
  ++AttainmentOf(*tracked).started;
  if ((PolicyOf(item).pause_masks[static_cast<int>(metric)] & item.pause_reasons) != 0) {
    (void)tracked->clock.Pause(start, calendar);
    return;
  }
  Arm(id, item, *tracked, at);
}

void SlaTracker::StopClock(SlaItemId id, Item& item, Tracked& tracked, absl::Time at) {
  if (!tracked.clock.open()) return;
  Disarm(tracked);
  const SlaMetric metric = tracked.clock.metric();
  const BusinessCalendar& calendar = PolicyOf(item).spec.settings(metric).calendar;
  (void)tracked.clock.Stop(at, calendar);
  --open_clocks_;
  const absl::Duration business = tracked.clock.Elapsed(at, calendar);
  SlaAttainment& attainment = AttainmentOf(tracked);
  if (tracked.clock.met_late()) {
    ++attainment.met_late;
  } else {
    ++attainment.met;
  }
  attainment.business_seconds.Add(absl::ToDoubleSeconds(business));
  attainment.wall_seconds.Add(absl::ToDoubleSeconds(at - tracked.clock.start()));
  histories_[item.slot].push_back(SlaCycleRecord{metric, tracked.clock.cycle(), SlaState::kMet,
                                                 tracked.clock.met_late(), tracked.clock.start(),
                                                 at, tracked.clock.target(), business});
  Emit(SlaEvent::Kind::kMet, id, tracked, tracked.clock.Consumed(at, calendar), at, at, false,
       tracked.clock.met_late() ? business - tracked.clock.target() : absl::ZeroDuration());
  events_.back().late = tracked.clock.met_late();
}

void SlaTracker::CancelClock(SlaItemId id, Item& item, Tracked& tracked, absl::Time at) {
  if (!tracked.clock.open()) return;
  Disarm(tracked);
  const SlaMetric metric = tracked.clock.metric();
  const BusinessCalendar& calendar = PolicyOf(item).spec.settings(metric).calendar;
  const absl::Duration business = tracked.clock.Elapsed(at, calendar);
  (void)tracked.clock.Cancel(at);
  --open_clocks_;
  ++AttainmentOf(tracked).cancelled;
  histories_[item.slot].push_back(
      SlaCycleRecord{metric, tracked.clock.cycle(), SlaState::kCancelled, tracked.clock.breached(),
                     tracked.clock.start(), at, tracked.clock.target(), business});
  Emit(SlaEvent::Kind::kCancelled, id, tracked,
       tracked.clock.target() == absl::ZeroDuration()
           ? 1.0
           : absl::FDivDuration(business, tracked.clock.target()),
       at, at, false);
}

void SlaTracker::ApplyPauses(SlaItemId id, Item& item, absl::Time at) {
  const Policy& policy = PolicyOf(item);
  for (Tracked& tracked : item.clocks) {
    const SlaMetric metric = tracked.clock.metric();
    const bool paused_by_reason =
        (policy.pause_masks[static_cast<int>(metric)] & item.pause_reasons) != 0;
    const BusinessCalendar& calendar = policy.spec.settings(metric).calendar;
    if (tracked.clock.running() && paused_by_reason) {
      Disarm(tracked);
      (void)tracked.clock.Pause(at, calendar);
    } else if (tracked.clock.paused() && !paused_by_reason) {
      (void)tracked.clock.Resume(at, calendar);
      Arm(id, item, tracked, at);
    }
  }
}

void SlaTracker::RetargetItem(SlaItemId id, Item& item, absl::Time at) {
  const SlaPolicy& policy = PolicyOf(item).spec;
  const ResolvedTargets resolved = TargetsOf(item);
  for (SlaMetric metric : kAllSlaMetrics) {
    if (!resolved.found[static_cast<int>(metric)]) continue;
    const absl::Duration target = resolved.targets[metric];
    Tracked* tracked = FindClock(item, metric);
    if (tracked != nullptr && tracked->clock.open()) {
      if (target == absl::InfiniteDuration()) {
        CancelClock(id, item, *tracked, at);
        continue;
      }
      (void)tracked->clock.Retarget(target, policy.settings(metric).calendar);
      if (tracked->clock.running()) Arm(id, item, *tracked, at);
      continue;
    }
    if (tracked != nullptr || target == absl::InfiniteDuration() || item.resolved) continue;
    if (metric == SlaMetric::kResolution ||
        (metric == SlaMetric::kFirstResponse && !item.responded)) {
      StartClock(id, item, metric, item.start, 1, at);
    }
  }
}

absl::Status SlaTracker::Start(SlaItemId id, std::string_view policy_name,
                               std::string_view priority, std::string_view tier, absl::Time start,
                               absl::Time at) {
  if (index_.contains(id)) {
    return absl::AlreadyExistsError(fmt::format("item {} already has an SLA", id));
  }
  auto policy = policy_ids_.find(policy_name);
  if (policy == policy_ids_.end()) {
    return absl::NotFoundError(fmt::format("no SLA policy \"{}\"", policy_name));
  }
  if (absl::StatusOr<absl::Duration> target =
          policies_[policy->second].spec.Target(SlaMetric::kResolution, priority, tier);
      !target.ok()) {
    return target.status();
  }
  if (absl::Status status = CheckTime(at); !status.ok()) return status;
  if (!InNanosecondRange(start)) {
    return absl::InvalidArgumentError(
        fmt::format("start {} outside the SLA range (years 1678-2262)", absl::FormatTime(start)));
  }
  if (start > at) {
    return absl::InvalidArgumentError(fmt::format("item {} starts at {}, after the command at {}",
                                                  id, absl::FormatTime(start),
                                                  absl::FormatTime(at)));
  }
  AdvanceWheel(at);
  uint32_t slot;
  if (free_slots_.empty()) {
    slot = slab_size_++;
    if ((slot & (kChunkItems - 1)) == 0) slab_.emplace_back().reserve(kChunkItems);
    slab_.back().emplace_back();
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
  }
  index_.emplace(id, slot);
  Item& item = ItemAt(slot);
  item.id = id;
  item.slot = slot;
  item.policy = policy->second;
  item.priority = LabelId(priority);
  item.tier = LabelId(tier);
  item.start = start;
  for (SlaMetric metric :
       {SlaMetric::kFirstResponse, SlaMetric::kPeriodicUpdate, SlaMetric::kResolution}) {
    StartClock(id, item, metric, start, 1, at);
  }
  return absl::OkStatus();
}

absl::Status SlaTracker::AgentResponded(SlaItemId id, absl::Time at) {
  absl::StatusOr<Item*> found = FindOpen(id, at);
  if (!found.ok()) return found.status();
  AdvanceWheel(at);
  Item& item = **found;
  item.responded = true;
  for (SlaMetric metric : {SlaMetric::kFirstResponse, SlaMetric::kNextResponse}) {
    if (Tracked* tracked = FindClock(item, metric)) StopClock(id, item, *tracked, at);
  }
  if (!item.resolved) {
    if (Tracked* tracked = FindClock(item, SlaMetric::kPeriodicUpdate)) {
      StopClock(id, item, *tracked, at);
      StartClock(id, item, SlaMetric::kPeriodicUpdate, at,
                 NextCycle(item, SlaMetric::kPeriodicUpdate), at);
    }
  }
  return absl::OkStatus();
}

absl::Status SlaTracker::CustomerMessaged(SlaItemId id, absl::Time at) {
  absl::StatusOr<Item*> found = FindOpen(id, at);
  if (!found.ok()) return found.status();
  AdvanceWheel(at);
  Item& item = **found;
  if (!item.responded || item.resolved) return absl::OkStatus();
  const Tracked* next = FindClock(item, SlaMetric::kNextResponse);
  if (next != nullptr && next->clock.open()) return absl::OkStatus();
  StartClock(id, item, SlaMetric::kNextResponse, at, NextCycle(item, SlaMetric::kNextResponse), at);
  return absl::OkStatus();
}

absl::Status SlaTracker::Pause(SlaItemId id, std::string_view reason, absl::Time at) {
  absl::StatusOr<Item*> found = FindOpen(id, at);
  if (!found.ok()) return found.status();
  if (reason.empty()) return absl::InvalidArgumentError("empty pause reason");
  if (!reason_ids_.contains(reason) && reason_ids_.size() >= kMaxPauseReasons) {
    return absl::ResourceExhaustedError(
        fmt::format("more than {} distinct pause reasons", kMaxPauseReasons));
  }
  Item& item = **found;
  const uint64_t bit = ReasonBit(reason);
  if ((item.pause_reasons & bit) != 0) {
    return absl::FailedPreconditionError(
        fmt::format("item {} is already paused for \"{}\"", id, reason));
  }
  AdvanceWheel(at);
  item.pause_reasons |= bit;
  ApplyPauses(id, item, at);
  return absl::OkStatus();
}

absl::Status SlaTracker::Resume(SlaItemId id, std::string_view reason, absl::Time at) {
  absl::StatusOr<Item*> found = FindOpen(id, at);
  if (!found.ok()) return found.status();
  Item& item = **found;
  auto reason_id = reason_ids_.find(reason);
  if (reason_id == reason_ids_.end() ||
      (item.pause_reasons & (uint64_t{1} << reason_id->second)) == 0) {
    return absl::FailedPreconditionError(
        fmt::format("item {} is not paused for \"{}\"", id, reason));
  }
  AdvanceWheel(at);
  item.pause_reasons &= ~(uint64_t{1} << reason_id->second);
  ApplyPauses(id, item, at);
  return absl::OkStatus();
}

absl::Status SlaTracker::Resolve(SlaItemId id, absl::Time at) {
  absl::StatusOr<Item*> found = FindOpen(id, at);
  if (!found.ok()) return found.status();
  Item& item = **found;
  if (item.resolved) {
    return absl::FailedPreconditionError(fmt::format("item {} is already resolved", id));
  }
  AdvanceWheel(at);
  for (Tracked& tracked : item.clocks) StopClock(id, item, tracked, at);
  item.resolved = true;
  return absl::OkStatus();
}

absl::Status SlaTracker::Reopen(SlaItemId id, absl::Time at) {
  absl::StatusOr<Item*> found = FindOpen(id, at);
  if (!found.ok()) return found.status();
  Item& item = **found;
  if (!item.resolved) {
    return absl::FailedPreconditionError(fmt::format("item {} is not resolved", id));
  }
  AdvanceWheel(at);
  item.resolved = false;
  StartClock(id, item, SlaMetric::kResolution, at, NextCycle(item, SlaMetric::kResolution), at);
  StartClock(id, item, SlaMetric::kPeriodicUpdate, at, NextCycle(item, SlaMetric::kPeriodicUpdate),
             at);
  if (item.responded) {
    StartClock(id, item, SlaMetric::kNextResponse, at, NextCycle(item, SlaMetric::kNextResponse),
               at);
  }
  return absl::OkStatus();
}

absl::Status SlaTracker::Retarget(SlaItemId id, std::string_view priority, std::string_view tier,
                                  absl::Time at) {
  absl::StatusOr<Item*> found = FindOpen(id, at);
  if (!found.ok()) return found.status();
  Item& item = **found;
  if (absl::StatusOr<absl::Duration> target =
          PolicyOf(item).spec.Target(SlaMetric::kResolution, priority, tier);
      !target.ok()) {
    return target.status();
  }
  AdvanceWheel(at);
  item.priority = LabelId(priority);
  item.tier = LabelId(tier);
  RetargetItem(id, item, at);
  return absl::OkStatus();
}

absl::Status SlaTracker::Cancel(SlaItemId id, absl::Time at) {
  absl::StatusOr<Item*> found = FindOpen(id, at);
  if (!found.ok()) return found.status();
  AdvanceWheel(at);
  Item& item = **found;
  for (Tracked& tracked : item.clocks) CancelClock(id, item, tracked, at);
  item.cancelled = true;
  return absl::OkStatus();
}

absl::Status SlaTracker::Forget(SlaItemId id) {
  absl::StatusOr<Item*> found = Find(id);
  if (!found.ok()) return found.status();
  Item& item = **found;
  for (Tracked& tracked : item.clocks) CancelClock(id, item, tracked, now_);
  const uint32_t slot = item.slot;
  index_.erase(id);
  histories_.erase(slot);
  std::destroy_at(&item);
  std::construct_at(&item);
  free_slots_.push_back(slot);
  return absl::OkStatus();
}

absl::Status SlaTracker::AdvanceTo(absl::Time now) {
  if (absl::Status status = CheckTime(now); !status.ok()) return status;
  AdvanceWheel(now);
  return absl::OkStatus();
}

void SlaTracker::Reserve(size_t items) {
  index_.reserve(items);
  slab_.reserve((items + kChunkItems - 1) / kChunkItems);
}

size_t SlaTracker::MemoryBytes() const {
  using internal::FlatTableBytes;
  using internal::HeapBytes;
  size_t bytes = sizeof(*this) + wheel_.MemoryBytes() - sizeof(wheel_) + HeapBytes(policies_) +
                 HeapBytes(labels_) + FlatTableBytes(index_) + HeapBytes(slab_) +
                 HeapBytes(free_slots_) + FlatTableBytes(histories_) +
                 FlatTableBytes(group_by_labels_) + HeapBytes(groups_) + HeapBytes(events_);
  for (const std::vector<Item>& chunk : slab_) {
    bytes += HeapBytes(chunk);
    for (const Item& item : chunk) {
      // Two clocks live inline; more move the whole set to the heap.
      if (item.clocks.capacity() > 2) bytes += item.clocks.capacity() * sizeof(Tracked);
    }
  }
  for (const auto& [slot, history] : histories_) bytes += HeapBytes(history);
  return bytes;
}

std::vector<SlaEvent> SlaTracker::PollEvents() { return internal::TakeEvents(events_); }

void SlaTracker::PollEvents(std::vector<SlaEvent>& buffer) {
  internal::TakeEvents(events_, buffer);
}

const SlaClock* SlaTracker::Clock(SlaItemId id, SlaMetric metric) const {
  const Item* item = Lookup(id);
  if (item == nullptr) return nullptr;
  for (const Tracked& tracked : item->clocks) {
    if (tracked.clock.metric() == metric) return &tracked.clock;
  }
  return nullptr;
}

std::vector<SlaClock> SlaTracker::Clocks(SlaItemId id) const {
  std::vector<SlaClock> clocks;
  VisitClocks(
      id, [&clocks](const SlaClock& clock, const BusinessCalendar&) { clocks.push_back(clock); });
  return clocks;
}

void SlaTracker::VisitClocks(
    SlaItemId id, absl::FunctionRef<void(const SlaClock&, const BusinessCalendar&)> visit) const {
  const Item* item = Lookup(id);
  if (item == nullptr) return;
  const SlaPolicy& policy = PolicyOf(*item).spec;
  for (SlaMetric metric : kAllSlaMetrics) {
    for (const Tracked& tracked : item->clocks) {
      if (tracked.clock.metric() != metric) continue;
      visit(tracked.clock, policy.settings(metric).calendar);
      break;
    }
  }
}

std::span<const SlaCycleRecord> SlaTracker::History(SlaItemId id) const {
  const Item* item = Lookup(id);
  if (item == nullptr) return {};
  auto history = histories_.find(item->slot);
  if (history == histories_.end()) return {};
  return history->second;
}

const BusinessCalendar& SlaTracker::CalendarOf(SlaItemId id, SlaMetric metric) const {
  static const BusinessCalendar* const kAlwaysOpen = new BusinessCalendar();
  const Item* item = Lookup(id);
  if (item == nullptr) return *kAlwaysOpen;
  return PolicyOf(*item).spec.settings(metric).calendar;
}

const SlaAttainment* SlaTracker::Attainment(std::string_view policy, SlaMetric metric,
                                            std::string_view priority) const {
  auto found = group_ids_.find(std::make_pair(std::string(policy), std::string(priority)));
  if (found == group_ids_.end()) return nullptr;
  return &groups_[found->second][static_cast<int>(metric)];
}

std::vector<SlaTracker::AttainmentEntry> SlaTracker::AllAttainment() const {
  std::vector<AttainmentEntry> entries;
  for (const auto& [key, group] : group_ids_) {
    for (SlaMetric metric : kAllSlaMetrics) {
      const SlaAttainment& attainment = groups_[group][static_cast<int>(metric)];
      if (attainment.started == 0) continue;
      entries.push_back({key.first, metric, key.second, &attainment});
    }
  }
  std::stable_sort(
      entries.begin(), entries.end(), [](const AttainmentEntry& a, const AttainmentEntry& b) {
        return std::tie(a.policy, a.metric, a.priority) < std::tie(b.policy, b.metric, b.priority);
      });
  return entries;
}

}  // namespace omniroute
