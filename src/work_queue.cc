#include "omniroute/work_queue.h"

#include <algorithm>
#include <array>
#include <limits>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "internal/enum_names.h"
#include "internal/events.h"

namespace omniroute {
namespace {

constexpr std::array<std::string_view, 3> kOrderNames = {"priority_fifo", "deadline_first",
                                                         "weighted_aging"};

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();

// A freed slot of `slots` if any, else a new one at the end.
template <typename T>
uint32_t TakeSlot(std::vector<T>& slots, std::vector<uint32_t>& free) {
  if (free.empty()) {
    slots.emplace_back();
    return static_cast<uint32_t>(slots.size() - 1);
  }
  const uint32_t slot = free.back();
  free.pop_back();
  return slot;
}

int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t sum;
  if (__builtin_add_overflow(a, b, &sum)) return b > 0 ? kInt64Max : kInt64Min;
  return sum;
}

int64_t DurationNanos(absl::Duration d) {
  if (d >= absl::Nanoseconds(kInt64Max)) return kInt64Max;
  return absl::ToInt64Nanoseconds(d);
}

std::string DurationText(absl::Duration d) { return absl::FormatDuration(d); }

}  // namespace

std::string_view QueueOrderName(QueueOrder order) { return internal::EnumName(kOrderNames, order); }

absl::StatusOr<QueueOrder> ParseQueueOrder(std::string_view name) {
  return internal::ParseEnum<QueueOrder>(kOrderNames, "queue order", name);
}

absl::Status ValidateWorkQueueOptions(const WorkQueueOptions& options) {
  if (options.order != QueueOrder::kPriorityFifo && options.order != QueueOrder::kDeadlineFirst &&
      options.order != QueueOrder::kWeightedAging) {
    return absl::InvalidArgumentError("order: not a queue order");
  }
  if (options.priority_levels < 1 || options.priority_levels > kMaxPriorityLevels) {
    return absl::InvalidArgumentError(absl::StrCat("priority_levels: ", options.priority_levels,
                                                   " is not in [1, ", kMaxPriorityLevels, "]"));
  }
  if (options.aging_weight < absl::ZeroDuration() || options.aging_weight > absl::Hours(24 * 365)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "aging_weight: ", DurationText(options.aging_weight), " is not in [0, 365 days]"));
  }
  if (options.max_wait < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_wait: ", DurationText(options.max_wait), " is negative"));
  }
  if (!options.max_wait_by_priority.empty()) {
    if (static_cast<int>(options.max_wait_by_priority.size()) != options.priority_levels) {
      return absl::InvalidArgumentError(
          absl::StrCat("max_wait_by_priority: ", options.max_wait_by_priority.size(),
                       " entries for ", options.priority_levels, " priority levels"));
    }
    for (size_t p = 0; p < options.max_wait_by_priority.size(); ++p) {
      if (options.max_wait_by_priority[p] < absl::ZeroDuration()) {
        return absl::InvalidArgumentError(
            absl::StrCat("max_wait_by_priority[", p,
                         "]: ", DurationText(options.max_wait_by_priority[p]), " is negative"));
      }
    }
  }
  return absl::OkStatus();
}

WorkQueue::WorkQueue(const WorkQueueOptions& options, absl::Time now)
    : options_(options),
      own_clock_(std::make_unique<Clock>(Clock{now, Nanos(now)})),
      clock_(own_clock_.get()),
      count_by_priority_(options.priority_levels, 0),
      relaxation_(now, absl::Milliseconds(1)) {
  for (int p = 0; p < options_.priority_levels; ++p) {
    const int64_t levels_above_lowest = options_.priority_levels - 1 - p;
    aging_bonus_ns_.push_back(options_.order == QueueOrder::kWeightedAging
                                  ? absl::ToInt64Nanoseconds(options_.aging_weight) *
                                        levels_above_lowest
                                  : 0);
    max_wait_.push_back(options_.max_wait_by_priority.empty() ? options_.max_wait
                                                              : options_.max_wait_by_priority[p]);
  }
}

absl::StatusOr<WorkQueue> WorkQueue::Create(const WorkQueueOptions& options, absl::Time now) {
  if (absl::Status status = ValidateWorkQueueOptions(options); !status.ok()) return status;
  if (now == absl::InfiniteFuture() || now == absl::InfinitePast()) {
    return absl::InvalidArgumentError("a queue's now must be finite");
  }
  return WorkQueue(options, now);
}

int64_t WorkQueue::Nanos(absl::Time t) {
  if (t == absl::InfiniteFuture()) return kInt64Max;
  if (t == absl::InfinitePast()) return kInt64Min;
  return absl::ToUnixNanos(t);
}

absl::Duration WorkQueue::MaxWait(int priority) const { return max_wait_[priority]; }

WorkQueue::Key WorkQueue::OrderKey(const Item& item) const {
  const int64_t arrival = Nanos(item.arrival);
  int64_t primary = 0;
  switch (options_.order) {
    case QueueOrder::kPriorityFifo:
      primary = item.priority;
      break;
    case QueueOrder::kDeadlineFirst:
      primary = Nanos(item.deadline);
      break;
    case QueueOrder::kWeightedAging:
      primary = SaturatingAdd(arrival, -aging_bonus_ns_[item.priority]);
      break;
  }
  return Key{primary, arrival, item.sequence};
}

WorkQueue::Key WorkQueue::OverdueKey(const Item& item) const {
  const int64_t arrival = Nanos(item.arrival);
  return Key{SaturatingAdd(arrival, DurationNanos(MaxWait(item.priority))), arrival, item.sequence};
}

const Requirement& WorkQueue::Anyone() {
  static const Requirement* const kAnyone = new Requirement();
  return *kAnyone;
}

const Requirement& WorkQueue::CurrentRequirement(const Item& item) const {
  if (item.requirement == nullptr) return Anyone();
  return item.requirement->Effective(item.steps_applied);
}

RequirementClassId WorkQueue::AcquireClass(const Item& item) {
  const Requirement& requirement = CurrentRequirement(item);
  if (const auto it = classes_by_key_.find(ClassKey{item.channel, &requirement});
      it != classes_by_key_.end()) {
    return it->second;
  }
  const RequirementClassId id = TakeSlot(classes_, free_classes_);
  Class& klass = classes_[id];
  klass.requirement = &requirement;
  klass.owner = item.requirement;
  klass.channel = item.channel;
  klass.live = true;
  ++klass.generation;
  classes_by_key_.emplace(ClassKey{item.channel, &requirement}, id);
  return id;
}

void WorkQueue::NoteClassEmptied(RequirementClassId id) {
  const uint32_t position = classes_[id].nonempty_position;
  nonempty_classes_[position] = nonempty_classes_.back();
  classes_[nonempty_classes_[position]].nonempty_position = position;
  nonempty_classes_.pop_back();
  idle_classes_.push_back(id);
  if (idle_classes_.size() > std::max<size_t>(64, 2 * nonempty_classes_.size())) {
    ReleaseIdleClasses();
  }
}

void WorkQueue::ReleaseIdleClasses() {
  for (RequirementClassId id : idle_classes_) {
    Class& klass = classes_[id];
    if (!klass.live || !klass.main.empty()) continue;
    classes_by_key_.erase(ClassKey{klass.channel, klass.requirement});
    klass.requirement = nullptr;
    klass.owner = nullptr;
    klass.live = false;
    free_classes_.push_back(id);
  }
  idle_classes_.clear();
}

void WorkQueue::RefreshHeads(RequirementClassId id) {
  Class& klass = classes_[id];
  const auto refresh = [id](const Heap& members, Heap& heads, HeapHandle& handle) {
    if (members.empty()) {
      heads.Erase(handle);
      handle = HeapHandle();
      return;
    }
    const Key& key = members.Top().key;
    const Ranked* current = heads.Find(handle);
    if (current == nullptr) {
      handle = heads.Push(Ranked{key, id});
    } else if (!(current->key == key)) {
      heads.Update(handle, Ranked{key, id});
    }
  };
  refresh(klass.main, class_heads_, klass.head);
  refresh(klass.overdue, class_overdue_heads_, klass.overdue_head);
}

void WorkQueue::LinkToClass(uint32_t slot, RequirementClassId id) {
  Item& item = items_[slot];
  Class& klass = classes_[id];
  item.requirement_class = id;
  if (klass.main.empty()) {
    klass.nonempty_position = static_cast<uint32_t>(nonempty_classes_.size());
    nonempty_classes_.push_back(id);
  }
  item.in_class = klass.main.Push(Ranked{OrderKey(item), slot});
  if (MaxWait(item.priority) != absl::InfiniteDuration()) {
    item.in_overdue = klass.overdue.Push(Ranked{OverdueKey(item), slot});
  }
  RefreshHeads(id);
}

void WorkQueue::UnlinkFromClass(uint32_t slot) {
  Item& item = items_[slot];
  Class& klass = classes_[item.requirement_class];
  klass.main.Erase(item.in_class);
  klass.overdue.Erase(item.in_overdue);
  item.in_class = HeapHandle();
  item.in_overdue = HeapHandle();
  RefreshHeads(item.requirement_class);
  if (klass.main.empty()) NoteClassEmptied(item.requirement_class);
}

void WorkQueue::ArmRelaxation(uint32_t slot) {
  Item& item = items_[slot];
  relaxation_.Cancel(item.relax_timer);
  item.relax_timer = TimerHandle();
  if (item.requirement == nullptr || item.steps_applied >= item.requirement->step_count()) return;
  // An empty wheel may lag the clock (a set does not advance idle queues); catching up is O(1).
  if (relaxation_.empty()) relaxation_.Advance(now(), [](TimerHandle, absl::Time, uint32_t) {});
  // The next step not yet applied (steps may also be applied early, by RelaxNow).
  const absl::Duration next = item.requirement->spec().steps[item.steps_applied].after;
  absl::StatusOr<TimerHandle> timer =
      relaxation_.Schedule(std::max(item.relax_origin + next, now()), slot);
  // A step too far in the future to schedule never comes due.
  if (timer.ok()) item.relax_timer = *timer;
}

void WorkQueue::Relax(uint32_t slot, absl::Time due) {
  Item& item = items_[slot];
  item.relax_timer = TimerHandle();
  const int due_steps = item.requirement->StepsDueAfter(due - item.relax_origin);
  while (items_[slot].steps_applied < due_steps) {
    const Item& current = items_[slot];
    ApplyStep(slot, current.relax_origin +
                        current.requirement->spec().steps[current.steps_applied].after);
  }
  ArmRelaxation(slot);
}

void WorkQueue::ApplyStep(uint32_t slot, absl::Time at) {
  const RequirementClassId from = items_[slot].requirement_class;
  ++items_[slot].steps_applied;
  const Requirement& requirement = CurrentRequirement(items_[slot]);
  if (!(*classes_[from].requirement == requirement)) {
    UnlinkFromClass(slot);
    LinkToClass(slot, AcquireClass(items_[slot]));
  }
  const Item& moved = items_[slot];
  events_.push_back(
      RequirementRelaxed{moved.id, at, moved.steps_applied, from, moved.requirement_class});
}

absl::Status WorkQueue::RelaxNow(WorkItemId id) {
  const auto it = items_by_id_.find(id);
  if (it == items_by_id_.end()) {
    return absl::NotFoundError(absl::StrCat("item ", id, " is not queued"));
  }
  const Item& item = items_[it->second];
  if (item.requirement == nullptr || item.steps_applied >= item.requirement->step_count()) {
    return absl::FailedPreconditionError(absl::StrCat("item ", id, " has no relaxation step left"));
  }
  ApplyStep(it->second, now());
  ArmRelaxation(it->second);
  return absl::OkStatus();
}

absl::Status WorkQueue::Validate(const QueuedItem& queued) const {
  if (queued.priority < 0 || queued.priority >= options_.priority_levels) {
    return absl::InvalidArgumentError(absl::StrCat("priority ", queued.priority, " is not in [0, ",
                                                   options_.priority_levels, ")"));
  }
  if (queued.arrival == absl::InfiniteFuture() || queued.arrival == absl::InfinitePast()) {
    return absl::InvalidArgumentError("an item's arrival must be finite");
  }
  if (queued.arrival > now()) {
    return absl::InvalidArgumentError(
        absl::StrCat("arrival ", absl::FormatTime(queued.arrival, absl::UTCTimeZone()),
                     " is after the queue's now ", absl::FormatTime(now(), absl::UTCTimeZone())));
  }
  if (queued.deadline == absl::InfinitePast()) {
    return absl::InvalidArgumentError("a deadline must be finite or InfiniteFuture");
  }
  if (queued.place.has_value() && *queued.place >= next_sequence_) {
    return absl::InvalidArgumentError(
        absl::StrCat("place ", *queued.place, " was never handed out by this queue"));
  }
  return absl::OkStatus();
}

absl::Status WorkQueue::Push(WorkItemId id, QueuedItem queued) {
  if (items_by_id_.contains(id)) {
    return absl::AlreadyExistsError(absl::StrCat("item ", id, " is already queued"));
  }
  if (absl::Status status = Validate(queued); !status.ok()) return status;

  const uint32_t slot = items_.Acquire();
  Item& item = items_[slot];
  item.id = id;
  item.arrival = queued.arrival;
  item.deadline = queued.deadline;
  item.relax_origin = queued.relaxation_origin.value_or(queued.arrival);
  item.sequence = queued.place.has_value() ? *queued.place : next_sequence_++;
  item.channel = queued.channel;
  item.requirement = std::move(queued.requirement);
  item.priority = queued.priority;
  item.steps_applied =
      item.requirement == nullptr
          ? 0
          : std::clamp(std::max(queued.steps_applied.value_or(0),
                                item.requirement->StepsDueAfter(now() - item.relax_origin)),
                       0, item.requirement->step_count());
  item.in_arrivals = arrivals_.Push(ArrivalRanked{Nanos(item.arrival), slot});
  LinkToClass(slot, AcquireClass(item));
  ArmRelaxation(slot);
  ++count_by_priority_[item.priority];
  items_by_id_.emplace(id, slot);
  return absl::OkStatus();
}

void WorkQueue::RemoveSlot(uint32_t slot) {
  Item& item = items_[slot];
  UnlinkFromClass(slot);
  arrivals_.Erase(item.in_arrivals);
  relaxation_.Cancel(item.relax_timer);
  --count_by_priority_[item.priority];
  items_by_id_.erase(item.id);
  items_.Release(slot);
}

absl::Status WorkQueue::Erase(WorkItemId id) {
  const auto it = items_by_id_.find(id);
  if (it == items_by_id_.end()) {
    return absl::NotFoundError(absl::StrCat("item ", id, " is not queued"));
  }
  RemoveSlot(it->second);
  return absl::OkStatus();
}

uint32_t WorkQueue::HeadSlot(const Class& klass) const {
  if (!klass.overdue.empty() && IsOverdueNow(klass.overdue.Top())) return klass.overdue.Top().slot;
  return klass.main.Top().slot;
}

std::optional<WorkItemId> WorkQueue::Top() const {
  if (class_heads_.empty()) return std::nullopt;
  if (!class_overdue_heads_.empty() && IsOverdueNow(class_overdue_heads_.Top())) {
    return items_[classes_[class_overdue_heads_.Top().slot].overdue.Top().slot].id;
  }
  return items_[classes_[class_heads_.Top().slot].main.Top().slot].id;
}

absl::StatusOr<WorkItemId> WorkQueue::Pop() {
  const std::optional<WorkItemId> top = Top();
  if (!top.has_value()) return absl::NotFoundError("the queue is empty");
  RemoveSlot(items_by_id_.at(*top));
  return *top;
}

absl::Status WorkQueue::SetPriority(WorkItemId id, int priority) {
  const auto it = items_by_id_.find(id);
  if (it == items_by_id_.end()) {
    return absl::NotFoundError(absl::StrCat("item ", id, " is not queued"));
  }
  if (priority < 0 || priority >= options_.priority_levels) {
    return absl::InvalidArgumentError(
        absl::StrCat("priority ", priority, " is not in [0, ", options_.priority_levels, ")"));
  }
  const uint32_t slot = it->second;
  const RequirementClassId klass = items_[slot].requirement_class;
  --count_by_priority_[items_[slot].priority];
  ++count_by_priority_[priority];
  // Re-keyed inside its class rather than unlinked and linked: an unlink could release the class
  // and give it another id.
  Class& members = classes_[klass];
  members.main.Erase(items_[slot].in_class);
  members.overdue.Erase(items_[slot].in_overdue);
  items_[slot].in_overdue = HeapHandle();
  items_[slot].priority = priority;
  items_[slot].in_class = members.main.Push(Ranked{OrderKey(items_[slot]), slot});
  if (MaxWait(priority) != absl::InfiniteDuration()) {
    items_[slot].in_overdue = members.overdue.Push(Ranked{OverdueKey(items_[slot]), slot});
  }
  RefreshHeads(klass);
  return absl::OkStatus();
}

absl::Status WorkQueue::SetDeadline(WorkItemId id, absl::Time deadline) {
  const auto it = items_by_id_.find(id);
  if (it == items_by_id_.end()) {
    return absl::NotFoundError(absl::StrCat("item ", id, " is not queued"));
  }
  if (deadline == absl::InfinitePast()) {
    return absl::InvalidArgumentError("a deadline must be finite or InfiniteFuture");
  }
  Item& item = items_[it->second];
  item.deadline = deadline;
  if (options_.order == QueueOrder::kDeadlineFirst) {
    classes_[item.requirement_class].main.Update(item.in_class, Ranked{OrderKey(item), it->second});
    RefreshHeads(item.requirement_class);
  }
  return absl::OkStatus();
}

absl::Status WorkQueue::SetRequirement(WorkItemId id,
                                       std::shared_ptr<const RequirementPlan> requirement) {
  const auto it = items_by_id_.find(id);
  if (it == items_by_id_.end()) {
    return absl::NotFoundError(absl::StrCat("item ", id, " is not queued"));
  }
  const uint32_t slot = it->second;
  UnlinkFromClass(slot);
  Item& item = items_[slot];
  item.requirement = std::move(requirement);
  item.relax_origin = now();
  item.steps_applied =
      item.requirement == nullptr ? 0 : item.requirement->StepsDueAfter(absl::ZeroDuration());
  LinkToClass(slot, AcquireClass(item));
  ArmRelaxation(slot);
  return absl::OkStatus();
}

absl::Status WorkQueue::AdvanceTo(absl::Time now) {
  if (now == absl::InfiniteFuture() || now == absl::InfinitePast()) {
    return absl::InvalidArgumentError("now must be finite");
  }
  if (now < this->now()) {
    return absl::InvalidArgumentError(
        absl::StrCat("now ", absl::FormatTime(now, absl::UTCTimeZone()), " is before the queue's ",
                     absl::FormatTime(this->now(), absl::UTCTimeZone())));
  }
  relaxation_.Advance(now, [this](TimerHandle, absl::Time due, uint32_t slot) {
    SetNow(due);
    Relax(slot, due);
  });
  SetNow(now);
  return absl::OkStatus();
}

void WorkQueue::SetNow(absl::Time now) {
  if (clock_->now == now) return;
  clock_->now = now;
  clock_->now_ns = Nanos(now);
}

std::vector<RequirementRelaxed> WorkQueue::PollEvents() { return internal::TakeEvents(events_); }

void WorkQueue::PollEvents(std::vector<RequirementRelaxed>& buffer) {
  internal::TakeEvents(events_, buffer);
}

std::optional<QueuedItem> WorkQueue::Reinstatement(WorkItemId id) const {
  const auto it = items_by_id_.find(id);
  if (it == items_by_id_.end()) return std::nullopt;
  const Item& item = items_[it->second];
  return QueuedItem{item.priority, item.arrival,  item.deadline,      item.requirement,
                    item.channel,  item.sequence, item.steps_applied, item.relax_origin};
}

std::optional<QueuedItemView> WorkQueue::Find(WorkItemId id) const {
  const auto it = items_by_id_.find(id);
  if (it == items_by_id_.end()) return std::nullopt;
  const Item& item = items_[it->second];
  const absl::Duration max_wait = MaxWait(item.priority);
  return QueuedItemView{
      item.id,
      item.priority,
      item.arrival,
      item.deadline,
      max_wait == absl::InfiniteDuration() ? absl::InfiniteFuture() : item.arrival + max_wait,
      item.requirement_class,
      item.steps_applied,
      item.requirement.get(),
      item.channel,
      item.sequence,
      item.relax_origin};
}

size_t WorkQueue::CountWithPriority(int priority) const {
  if (priority < 0 || priority >= options_.priority_levels) return 0;
  return count_by_priority_[priority];
}

absl::Time WorkQueue::OldestArrival() const {
  if (arrivals_.empty()) return absl::InfiniteFuture();
  return items_[arrivals_.Top().slot].arrival;
}

absl::Duration WorkQueue::LongestWait() const {
  if (arrivals_.empty()) return absl::ZeroDuration();
  return now() - OldestArrival();
}

size_t WorkQueue::OverdueCount() const {
  if (class_overdue_heads_.empty() || !IsOverdueNow(class_overdue_heads_.Top())) return 0;
  size_t overdue = 0;
  class_overdue_heads_.ForEach([&](const Ranked& head) {
    if (!IsOverdueNow(head)) return;
    classes_[head.slot].overdue.ForEach([&](const Ranked& entry) {
      if (IsOverdueNow(entry)) ++overdue;
    });
  });
  return overdue;
}

const Requirement* WorkQueue::ClassRequirement(RequirementClassId id) const {
  if (!ClassHasItems(id)) return nullptr;
  return classes_[id].requirement;
}

size_t WorkQueue::ClassSize(RequirementClassId id) const {
  if (!ClassHasItems(id)) return 0;
  return classes_[id].main.size();
}

std::optional<WorkItemId> WorkQueue::ClassHead(RequirementClassId id) const {
  if (!ClassHasItems(id)) return std::nullopt;
  return items_[HeadSlot(classes_[id])].id;
}

QueueRank WorkQueue::HeadRank(RequirementClassId id) const {
  const Class& klass = classes_[id];
  if (!klass.overdue.empty() && IsOverdueNow(klass.overdue.Top())) {
    const Key& key = klass.overdue.Top().key;
    return QueueRank{true, key.primary, key.arrival_ns, key.sequence};
  }
  const Key& key = klass.main.Top().key;
  return QueueRank{false, key.primary, key.arrival_ns, key.sequence};
}

std::optional<QueueRank> WorkQueue::RankOf(WorkItemId id) const {
  const auto it = items_by_id_.find(id);
  if (it == items_by_id_.end()) return std::nullopt;
  return RankOfSlot(it->second);
}

QueueRank WorkQueue::RankOfSlot(uint32_t slot) const {
  const Item& item = items_[slot];
  const Key overdue = OverdueKey(item);
  const bool is_overdue =
      MaxWait(item.priority) != absl::InfiniteDuration() && overdue.primary <= clock_->now_ns;
  const Key key = is_overdue ? overdue : OrderKey(item);
  return QueueRank{is_overdue, key.primary, key.arrival_ns, key.sequence};
}

std::optional<RequirementClassId> WorkQueue::FindClass(const Requirement& requirement,
                                                       uint32_t channel) const {
  const auto it = classes_by_key_.find(ClassKey{channel, &requirement});
  if (it == classes_by_key_.end() || classes_[it->second].main.empty()) return std::nullopt;
  return it->second;
}

std::vector<WorkItemId> WorkQueue::InOrder() const {
  std::vector<std::pair<QueueRank, WorkItemId>> ranked;
  ranked.reserve(size());
  for (const auto& entry : items_by_id_) ranked.emplace_back(*RankOf(entry.first), entry.first);
  std::sort(ranked.begin(), ranked.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<WorkItemId> order;
  order.reserve(ranked.size());
  for (const auto& entry : ranked) order.push_back(entry.second);
  return order;
}

std::optional<size_t> WorkQueue::PositionOf(WorkItemId id) const {
  const std::optional<QueueRank> rank = RankOf(id);
  if (!rank) return std::nullopt;
  size_t ahead = 0;
  for (const auto& [other, slot] : items_by_id_) {
    if (RankOfSlot(slot) < *rank) ++ahead;
  }
  return ahead;
}

void WorkQueue::Reserve(size_t items) {
  items_.Reserve(items);
  items_by_id_.reserve(items);
  arrivals_.Reserve(items);
}

size_t WorkQueue::MemoryBytes() const {
  size_t bytes = sizeof(*this) + items_.MemoryBytes() +
                 items_by_id_.capacity() * (sizeof(WorkItemId) + sizeof(uint32_t) + 1) +
                 count_by_priority_.capacity() * sizeof(size_t) + arrivals_.MemoryBytes() +
                 classes_.capacity() * sizeof(Class) +
                 free_classes_.capacity() * sizeof(RequirementClassId) +
                 class_heads_.MemoryBytes() + class_overdue_heads_.MemoryBytes() +
                 relaxation_.MemoryBytes() + events_.capacity() * sizeof(RequirementRelaxed);
  // Those members' own sizes are already in sizeof(*this).
  bytes -=
      sizeof(arrivals_) + sizeof(class_heads_) + sizeof(class_overdue_heads_) + sizeof(relaxation_);
  for (const Class& klass : classes_) {
    bytes += klass.main.MemoryBytes() + klass.overdue.MemoryBytes() - 2 * sizeof(Heap);
  }
  return bytes;
}

absl::StatusOr<QueueIndex> WorkQueueSet::AddQueue(std::string_view name,
                                                  const WorkQueueOptions& options) {
  if (name.empty()) return absl::InvalidArgumentError("a queue needs a name");
  if (by_name_.contains(absl::string_view(name.data(), name.size()))) {
    return absl::AlreadyExistsError(absl::StrCat("queue \"", std::string(name), "\" exists"));
  }
  absl::StatusOr<WorkQueue> queue = WorkQueue::Create(options, now());
  if (!queue.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("queue \"", std::string(name), "\": ", queue.status().message()));
  }
  const auto index = static_cast<QueueIndex>(queues_.size());
  queue->own_clock_.reset();
  queue->clock_ = clock_.get();
  queues_.push_back(Named{std::string(name), *std::move(queue)});
  tracked_.push_back(false);
  by_name_.emplace(std::string(name), index);
  return index;
}

WorkQueueSet::WorkQueueSet(absl::Time now)
    : clock_(std::make_unique<WorkQueue::Clock>(WorkQueue::Clock{now, WorkQueue::Nanos(now)})) {}

absl::StatusOr<QueueIndex> WorkQueueSet::FindQueue(std::string_view name) const {
  const auto it = by_name_.find(absl::string_view(name.data(), name.size()));
  if (it == by_name_.end()) {
    return absl::NotFoundError(absl::StrCat("unknown queue \"", std::string(name), "\""));
  }
  return it->second;
}

std::optional<QueueIndex> WorkQueueSet::QueueOf(WorkItemId id) const {
  const auto it = queue_of_.find(id);
  if (it == queue_of_.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<QueueIndex> WorkQueueSet::QueueOfOrError(WorkItemId id) const {
  const auto it = queue_of_.find(id);
  if (it == queue_of_.end()) {
    return absl::NotFoundError(absl::StrCat("item ", id, " is not queued"));
  }
  return it->second;
}

absl::Status WorkQueueSet::Push(std::string_view queue, WorkItemId id, QueuedItem item) {
  absl::StatusOr<QueueIndex> index = FindQueue(queue);
  if (!index.ok()) return index.status();
  if (const auto it = queue_of_.find(id); it != queue_of_.end()) {
    return absl::AlreadyExistsError(
        absl::StrCat("item ", id, " is already queued in \"", queues_[it->second].name, "\""));
  }
  if (absl::Status status = queues_[*index].queue.Push(id, std::move(item)); !status.ok()) {
    return status;
  }
  queue_of_.emplace(id, *index);
  Track(*index);
  return absl::OkStatus();
}

absl::Status WorkQueueSet::Erase(WorkItemId id) {
  absl::StatusOr<QueueIndex> index = QueueOfOrError(id);
  if (!index.ok()) return index.status();
  if (absl::Status status = queues_[*index].queue.Erase(id); !status.ok()) return status;
  queue_of_.erase(id);
  return absl::OkStatus();
}

absl::Status WorkQueueSet::Move(WorkItemId id, std::string_view to_queue,
                                std::optional<int> priority) {
  absl::StatusOr<QueueIndex> from = QueueOfOrError(id);
  if (!from.ok()) return from.status();
  absl::StatusOr<QueueIndex> to = FindQueue(to_queue);
  if (!to.ok()) return to.status();
  WorkQueue& source = queues_[*from].queue;
  WorkQueue& target = queues_[*to].queue;
  if (*from == *to) {
    return priority.has_value() ? source.SetPriority(id, *priority) : absl::OkStatus();
  }
  QueuedItem entry = *source.Reinstatement(id);
  const int new_priority = priority.value_or(entry.priority);
  if (new_priority < 0 || new_priority >= target.options().priority_levels) {
    return absl::InvalidArgumentError(absl::StrCat("priority ", new_priority, " is not in [0, ",
                                                   target.options().priority_levels,
                                                   ") of queue \"", queues_[*to].name, "\""));
  }
  // Pushed before the source lets go: only the push can be refused, and then nothing changed.
  if (absl::Status status = target.Push(id, std::move(entry).ForOtherQueue(new_priority));
      !status.ok()) {
    return status;
  }
  if (absl::Status status = source.Erase(id); !status.ok()) return status;
  queue_of_[id] = *to;
  Track(*to);
  return absl::OkStatus();
}

absl::Status WorkQueueSet::SetPriority(WorkItemId id, int priority) {
  absl::StatusOr<QueueIndex> index = QueueOfOrError(id);
  if (!index.ok()) return index.status();
  return queues_[*index].queue.SetPriority(id, priority);
}

absl::Status WorkQueueSet::RelaxNow(WorkItemId id) {
  absl::StatusOr<QueueIndex> index = QueueOfOrError(id);
  if (!index.ok()) return index.status();
  WorkQueue& queue = queues_[*index].queue;
  const bool had_events = queue.HasEvents();
  absl::Status status = queue.RelaxNow(id);
  NoteEvents(*index, had_events);
  Track(*index);
  return status;
}

absl::Status WorkQueueSet::SetDeadline(WorkItemId id, absl::Time deadline) {
  absl::StatusOr<QueueIndex> index = QueueOfOrError(id);
  if (!index.ok()) return index.status();
  return queues_[*index].queue.SetDeadline(id, deadline);
}

absl::Status WorkQueueSet::SetRequirement(WorkItemId id,
                                          std::shared_ptr<const RequirementPlan> requirement) {
  absl::StatusOr<QueueIndex> index = QueueOfOrError(id);
  if (!index.ok()) return index.status();
  absl::Status status = queues_[*index].queue.SetRequirement(id, std::move(requirement));
  Track(*index);
  return status;
}

absl::Status WorkQueueSet::AdvanceTo(absl::Time now) {
  if (now == absl::InfiniteFuture() || now == absl::InfinitePast() || now < this->now()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "now ", absl::FormatTime(now, absl::UTCTimeZone()), " is infinite or before the queues' ",
        absl::FormatTime(this->now(), absl::UTCTimeZone())));
  }
  size_t kept = 0;
  for (const QueueIndex index : pending_) {
    WorkQueue& queue = queues_[index].queue;
    const bool had_events = queue.HasEvents();
    // Cannot fail: `now` is finite and not before the shared clock.
    (void)queue.AdvanceTo(now);
    NoteEvents(index, had_events);
    if (queue.HasPendingRelaxation()) {
      pending_[kept++] = index;
    } else {
      tracked_[index] = false;
    }
  }
  pending_.resize(kept);
  clock_->now = now;
  clock_->now_ns = WorkQueue::Nanos(now);
  return absl::OkStatus();
}

absl::Time WorkQueueSet::NextRelaxationDue() const {
  absl::Time next = absl::InfiniteFuture();
  for (const QueueIndex index : pending_) {
    next = std::min(next, queues_[index].queue.NextRelaxationDue());
  }
  return next;
}

absl::Time WorkQueueSet::NextRelaxationStop() const {
  absl::Time next = absl::InfiniteFuture();
  for (const QueueIndex index : pending_) {
    next = std::min(next, queues_[index].queue.NextRelaxationStop());
  }
  return next;
}

void WorkQueueSet::Track(QueueIndex index) {
  if (tracked_[index] || !queues_[index].queue.HasPendingRelaxation()) return;
  tracked_[index] = true;
  pending_.push_back(index);
}

void WorkQueueSet::NoteEvents(QueueIndex index, bool had_events) {
  if (!had_events && queues_[index].queue.HasEvents()) with_events_.push_back(index);
}

void WorkQueueSet::Reserve(size_t items) { queue_of_.reserve(items); }

std::vector<QueuedRequirementRelaxed> WorkQueueSet::PollEvents() {
  std::vector<QueuedRequirementRelaxed> events;
  std::vector<RequirementRelaxed> buffer;
  if (with_events_.empty()) return events;
  std::sort(with_events_.begin(), with_events_.end());
  for (QueueIndex index : with_events_) {
    queues_[index].queue.PollEvents(buffer);
    for (const RequirementRelaxed& relaxed : buffer) events.push_back({index, relaxed});
  }
  with_events_.clear();
  return events;
}

}  // namespace omniroute
