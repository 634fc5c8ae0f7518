#include "omniroute/router.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "internal/assignment.h"
#include "internal/enum_names.h"
#include "internal/events.h"
#include "internal/memory_bytes.h"

namespace omniroute {
namespace {

constexpr std::array<std::string_view, 8> kEventKindNames = {
    "queued",
    "offered",
    "assigned",
    "rejected",
    "offer_expired",
    "requeued",
    "requirement_relaxed",
    "agent_state",
};

absl::Status ItemNotFound(WorkItemId id) {
  return absl::NotFoundError(absl::StrCat("unknown item ", id));
}

absl::Status CheckQueueOptions(std::string_view name, const RouterQueueOptions& options) {
  if (options.offer_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "queue \"", std::string(name), "\": offer_timeout must be positive (or infinite)"));
  }
  if (options.preferred_agent_window < absl::ZeroDuration() ||
      options.preferred_agent_window == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "queue \"", std::string(name), "\": preferred_agent_window must be finite and >= 0"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string_view RoutingEventKindName(RoutingEventKind kind) {
  return internal::EnumName(kEventKindNames, kind);
}

Router::Router(ChannelModel channels, RouterOptions options, absl::Time now)
    : now_(now),
      options_(options),
      queues_(now),
      pool_(std::move(channels), options.agents, now),
      timers_(now, absl::Milliseconds(1)) {}

absl::Status Router::SetQueueOptions(QueueIndex queue, const RouterQueueOptions& options) {
  if (queue >= queue_options_.size()) {
    return absl::NotFoundError(absl::StrCat("unknown queue ", queue));
  }
  const std::string& name = queues_.name(queue);
  if (absl::Status status = CheckQueueOptions(name, options); !status.ok()) return status;
  if (!(options.order == queue_options_[queue].order)) {
    return absl::FailedPreconditionError(
        absl::StrCat("queue \"", name, "\": its ordering cannot change while it runs"));
  }
  queue_options_[queue] = options;
  pool_.EnableStrategy(options.strategy);
  return absl::OkStatus();
}

absl::StatusOr<QueueIndex> Router::AddQueue(std::string_view name,
                                            const RouterQueueOptions& options) {
  if (absl::Status status = CheckQueueOptions(name, options); !status.ok()) return status;
  absl::StatusOr<QueueIndex> index = queues_.AddQueue(name, options.order);
  if (!index.ok()) return index.status();
  queue_options_.push_back(options);
  servers_.emplace_back();
  class_compatibility_.emplace_back();
  delays_.emplace_back();
  pool_.EnableStrategy(options.strategy);
  return *index;
}

absl::StatusOr<AgentIndex> Router::AddAgent(AgentConfig config) {
  for (const QueueAssignment& q : config.queues) {
    if (q.queue >= queues_.queue_count()) {
      return absl::NotFoundError(
          absl::StrCat("agent \"", config.id, "\" serves unknown queue ", q.queue));
    }
  }
  absl::StatusOr<AgentIndex> agent = pool_.AddAgent(std::move(config));
  if (agent.ok()) SyncBuckets();
  return agent;
}

void Router::SyncBuckets() {
  // Queues that gained a delay their waiting items have no wake for.
  std::vector<QueueIndex> new_delays;
  for (; synced_buckets_ < pool_.bucket_count(); ++synced_buckets_) {
    const auto bucket = static_cast<BucketIndex>(synced_buckets_);
    std::vector<QueueAssignment> tiers = pool_.BucketQueues(bucket);
    for (const QueueAssignment& q : tiers) {
      servers_[q.queue].push_back({bucket, q.delay});
      if (q.delay == absl::ZeroDuration()) continue;
      std::vector<absl::Duration>& delays = delays_[q.queue];
      const auto at = std::lower_bound(delays.begin(), delays.end(), q.delay);
      if (at != delays.end() && *at == q.delay) continue;
      delays.insert(at, q.delay);
      if (std::find(new_delays.begin(), new_delays.end(), q.queue) == new_delays.end()) {
        new_delays.push_back(q.queue);
      }
    }
    std::stable_sort(
        tiers.begin(), tiers.end(),
        [](const QueueAssignment& a, const QueueAssignment& b) { return a.priority < b.priority; });
    tiers_.push_back(std::move(tiers));
  }
  // Items already waiting become eligible for the new delay's agents when it runs out: they need
  // a wake then (in queue order, so that timers tie deterministically).
  for (QueueIndex queue : new_delays) {
    for (WorkItemId id : queues_.queue(queue).InOrder()) ArmWakeTimers(id, items_.find(id)->second);
  }
}

bool Router::Compatible(QueueIndex queue, RequirementClassId klass, BucketIndex bucket) const {
  std::vector<ClassCompatibility>& row = class_compatibility_[queue];
  if (row.size() <= klass) row.resize(klass + 1);
  ClassCompatibility& compatibility = row[klass];
  const uint32_t generation = queues_.queue(queue).ClassGeneration(klass);
  if (compatibility.generation != generation) {
    compatibility.generation = generation;
    compatibility.buckets.assign(pool_.bucket_count(), 0);
  }
  if (compatibility.buckets.size() <= bucket) compatibility.buckets.resize(pool_.bucket_count(), 0);
  uint8_t& known = compatibility.buckets[bucket];
  if (known == 0) {
    known =
        queues_.queue(queue).ClassRequirement(klass)->Matches(pool_.BucketSkills(bucket)) ? 1 : 2;
  }
  return known == 1;
}

bool Router::Refused(const Item& item, AgentIndex agent) const {
  if (item.extras == kNoSlot) return false;
  const std::vector<AgentIndex>& refused = extras_[item.extras].refused;
  return std::find(refused.begin(), refused.end(), agent) != refused.end();
}

bool Router::PreferredOnly(const Item& item) const {
  if (item.extras == kNoSlot) return false;
  const Extras& extras = extras_[item.extras];
  return extras.preferred.has_value() && now_ < extras.preferred_until;
}

bool Router::CanHoldWindow(AgentIndex agent, QueueIndex queue) const {
  return pool_.State(agent) != AgentState::kOffline &&
         DelayFor(pool_.BucketOf(agent), queue).has_value();
}

void Router::ClosePreferredWindows(AgentIndex agent) {
  std::vector<WorkItemId> closed;
  for (const WorkItemId id : restricted_) {
    Item& item = items_.find(id)->second;
    if (!PreferredOnly(item) || Preferred(item) != agent || CanHoldWindow(agent, item.queue)) {
      continue;
    }
    extras_[item.extras].preferred_until = now_;
    closed.push_back(id);
  }
  // The set's order is not the same from run to run.
  std::sort(closed.begin(), closed.end());
  for (const WorkItemId id : closed) RouteItem(id);
}

Router::Extras& Router::ExtrasOf(Item& item) {
  if (item.extras == kNoSlot) item.extras = extras_.Acquire();
  return extras_[item.extras];
}

Router::Held& Router::Hold(Item& item) {
  item.held = held_.Acquire();
  return held_[item.held];
}

void Router::Unhold(Item& item) {
  held_.Release(item.held);
  item.held = kNoSlot;
  item.state = RoutedState::kQueued;
  item.agent = kNoAgent;
}

std::optional<absl::Duration> Router::DelayFor(BucketIndex bucket, QueueIndex queue) const {
  for (const QueueAssignment& q : pool_.BucketQueues(bucket)) {
    if (q.queue == queue) return q.delay;
  }
  return std::nullopt;
}

const Requirement& Router::CurrentRequirement(WorkItemId id, const Item& item) const {
  static const Requirement* const kAnyone = new Requirement();
  if (item.state == RoutedState::kQueued) {
    const WorkQueue& queue = queues_.queue(item.queue);
    return *queue.ClassRequirement(queue.Find(id)->requirement_class);
  }
  const QueuedItem& entry = held_[item.held].entry;
  if (entry.requirement == nullptr) return *kAnyone;
  return entry.requirement->Effective(*entry.steps_applied);
}

bool Router::Eligible(AgentIndex agent, WorkItemId id) const {
  const auto it = items_.find(id);
  if (it == items_.end() || it->second.state != RoutedState::kQueued) return false;
  const Item& item = it->second;
  if (agent >= pool_.size() || !pool_.CanTake(agent, item.channel)) return false;
  const std::optional<absl::Duration> delay = DelayFor(pool_.BucketOf(agent), item.queue);
  if (!delay.has_value()) return false;
  if (now_ - queues_.queue(item.queue).Find(id)->arrival < *delay) return false;
  if (Refused(item, agent)) return false;
  if (PreferredOnly(item) && Preferred(item) != agent) return false;
  return CurrentRequirement(id, item).Matches(pool_.Skills(agent));
}

void Router::Emit(RoutingEventKind kind, WorkItemId id, AgentIndex agent, QueueIndex queue,
                  int steps) {
  events_.push_back(RoutingEvent{kind, id, agent, queue, now_, steps});
}

void Router::CancelTimers(Item& item) {
  if (item.held != kNoSlot) {
    Held& held = held_[item.held];
    timers_.Cancel(held.offer_timer);
    held.offer_timer = TimerHandle();
  }
  CancelWakeTimers(item);
}

void Router::CancelWakeTimers(Item& item) {
  if (item.extras == kNoSlot) return;
  std::vector<TimerHandle>& wake_timers = extras_[item.extras].wake_timers;
  for (TimerHandle handle : wake_timers) timers_.Cancel(handle);
  wake_timers.clear();
}

void Router::ArmWakeTimers(WorkItemId id, Item& item) {
  CancelWakeTimers(item);
  const std::vector<absl::Duration>& delays = delays_[item.queue];
  std::optional<absl::Time> preferred_until;
  if (PreferredOnly(item)) preferred_until = extras_[item.extras].preferred_until;
  if (delays.empty() && !preferred_until.has_value()) return;
  const absl::Time arrival = queues_.queue(item.queue).Find(id)->arrival;
  // In time order, each instant once, so that timers due together tie deterministically.
  const auto schedule = [&](absl::Time wake) {
    absl::StatusOr<TimerHandle> timer = timers_.Schedule(wake, Timer{id, TimerKind::kWake});
    if (timer.ok()) ExtrasOf(item).wake_timers.push_back(*timer);
  };
  for (absl::Duration delay : delays) {
    const absl::Time wake = arrival + delay;
    if (wake <= now_) continue;
    if (preferred_until.has_value() && *preferred_until <= wake) {
      if (*preferred_until < wake) schedule(*preferred_until);
      preferred_until.reset();
    }
    schedule(wake);
  }
  if (preferred_until.has_value()) schedule(*preferred_until);
}

void Router::RouteItem(WorkItemId id, bool searched) {
  if (batch_depth_ > 0) return;
  for (;; searched = false) {
    const auto it = items_.find(id);
    if (it == items_.end() || it->second.state != RoutedState::kQueued) return;
    const Item& item = it->second;
    if (!searched) {
      if (const std::optional<AgentIndex> agent = BestAgentFor(id, item); agent.has_value()) {
        Offer(id, *agent);
        return;
      }
    }
    if (!queue_options_[item.queue].relax_when_nobody_qualifies || PreferredOnly(item) ||
        !NobodyLoggedInQualifies(id, item) || !queues_.RelaxNow(id).ok()) {
      return;
    }
    for (const QueuedRequirementRelaxed& relaxed : queues_.PollEvents()) EmitRelaxed(relaxed);
  }
}

bool Router::NobodyLoggedInQualifies(WorkItemId id, const Item& item) const {
  const RequirementClassId klass = queues_.queue(item.queue).Find(id)->requirement_class;
  for (const Server& server : servers_[item.queue]) {
    if (pool_.LoggedInCount(server.bucket) > 0 && Compatible(item.queue, klass, server.bucket)) {
      return false;
    }
  }
  return true;
}

std::optional<AgentIndex> Router::BestAgentFor(WorkItemId id, const Item& item) {
  if (PreferredOnly(item)) {
    if (Eligible(Preferred(item), id)) return Preferred(item);
    return std::nullopt;
  }
  const WorkQueue& queue = queues_.queue(item.queue);
  const QueuedItemView view = *queue.Find(id);
  const RequirementClassId klass = view.requirement_class;
  return BestAgentAmong(item, now_ - view.arrival, *queue.ClassRequirement(klass),
                        [&](BucketIndex bucket) { return Compatible(item.queue, klass, bucket); });
}

template <typename IsCompatible>
std::optional<AgentIndex> Router::BestAgentAmong(const Item& item, absl::Duration waited,
                                                 const Requirement& requirement,
                                                 IsCompatible&& compatible) {
  const Strategy strategy = queue_options_[item.queue].strategy;
  const auto refused = [&item, this](AgentIndex agent) { return Refused(item, agent); };

  // Most buckets of a busy floor have nobody ready: that is known before the skill match.
  const auto candidate_bucket = [&](const Server& server) {
    return waited >= server.delay && pool_.HasReady(server.bucket, item.channel, strategy) &&
           compatible(server.bucket);
  };
  if (strategy == Strategy::kRandom) {
    std::vector<BucketIndex> buckets;
    for (const Server& server : servers_[item.queue]) {
      if (candidate_bucket(server)) buckets.push_back(server.bucket);
    }
    return pool_.RandomAmong(buckets, item.channel, refused);
  }

  std::optional<AgentIndex> best;
  double best_score = 0;
  AgentPool::RankKey best_key;
  for (const Server& server : servers_[item.queue]) {
    if (!candidate_bucket(server)) continue;
    const std::optional<AgentIndex> candidate =
        pool_.BestInBucket(server.bucket, item.channel, strategy, refused);
    if (!candidate.has_value()) continue;
    const AgentPool::RankKey key = pool_.KeyOf(*candidate, strategy);
    const double score = strategy == Strategy::kMostSkilled
                             ? requirement.Score(pool_.BucketSkills(server.bucket))
                             : 0.0;
    if (!best.has_value() || score > best_score || (score == best_score && key < best_key)) {
      best = candidate;
      best_score = score;
      best_key = key;
    }
  }
  return best;
}

template <typename Skip>
std::optional<WorkItemId> Router::BestItemFor(AgentIndex agent, Skip&& skip) const {
  const BucketIndex bucket = pool_.BucketOf(agent);
  uint32_t takeable = 0;  // bit c: the agent can take an item of channel c now
  for (ChannelId c = 0; c < pool_.channels().size(); ++c) {
    if (pool_.CanTake(agent, c)) takeable |= uint32_t{1} << c;
  }
  if (takeable == 0) return std::nullopt;
  const std::vector<QueueAssignment>& tiers = tiers_[bucket];
  for (size_t begin = 0; begin < tiers.size();) {
    size_t end = begin;
    while (end < tiers.size() && tiers[end].priority == tiers[begin].priority) ++end;
    // Across the tier's queues: overdue first, then the earliest arrival (or overdue instant),
    // then the queue listed first.
    std::optional<WorkItemId> chosen;
    std::tuple<bool, int64_t, size_t> best_key;
    for (size_t t = begin; t < end; ++t) {
      const QueueAssignment& assignment = tiers[t];
      const WorkQueue& queue = queues_.queue(assignment.queue);
      std::optional<WorkItemId> queue_best;
      QueueRank queue_best_rank;
      queue.ForEachClass([&](RequirementClassId klass, const Requirement&, size_t) {
        if ((takeable >> queue.ClassChannel(klass) & 1) == 0) return;
        if (!Compatible(assignment.queue, klass, bucket)) return;
        // No member of a class ranks before its head.
        if (queue_best.has_value() && !(queue.HeadRank(klass) < queue_best_rank)) return;
        const std::optional<WorkQueue::ClassCandidate> candidate =
            queue.BestInClass(klass, [&](WorkItemId id, absl::Time arrival) {
              if (now_ - arrival < assignment.delay || skip(id)) return false;
              if (restricted_.empty() || !restricted_.contains(id)) return true;
              const Item& item = items_.find(id)->second;
              return !Refused(item, agent) && (!PreferredOnly(item) || Preferred(item) == agent);
            });
        if (!candidate.has_value()) return;
        if (!queue_best.has_value() || candidate->rank < queue_best_rank) {
          queue_best = candidate->item;
          queue_best_rank = candidate->rank;
        }
      });
      if (!queue_best.has_value()) continue;
      const std::tuple<bool, int64_t, size_t> key{
          !queue_best_rank.overdue,
          queue_best_rank.overdue ? queue_best_rank.key : queue_best_rank.arrival_ns, t};
      if (!chosen.has_value() || key < best_key) {
        chosen = queue_best;
        best_key = key;
      }
    }
    if (chosen.has_value()) return chosen;
    begin = end;
  }
  return std::nullopt;
}

void Router::RouteAgent(AgentIndex agent) {
  if (batch_depth_ > 0) return;
  while (pool_.State(agent) == AgentState::kAvailable) {
    const std::optional<WorkItemId> chosen = BestItemFor(agent, [](WorkItemId) { return false; });
    if (!chosen.has_value()) return;
    Offer(*chosen, agent);
  }
}

void Router::Offer(WorkItemId id, AgentIndex agent) {
  Item& item = items_.find(id)->second;
  Hold(item).entry = *queues_.queue(item.queue).Reinstatement(id);
  (void)queues_.Erase(id);
  CancelWakeTimers(item);
  MakeOffer(id, item, agent);
}

void Router::MakeOffer(WorkItemId id, Item& item, AgentIndex agent) {
  (void)pool_.Reserve(agent, id, item.channel);
  item.state = RoutedState::kOffered;
  item.agent = agent;
  Emit(RoutingEventKind::kOffered, id, agent, item.queue);
  const RouterQueueOptions& options = queue_options_[item.queue];
  if (options.auto_accept) {
    (void)pool_.Accept(agent, id);
    item.state = RoutedState::kAssigned;
    Emit(RoutingEventKind::kAssigned, id, agent, item.queue);
    return;
  }
  Held& held = held_[item.held];
  held.offer_expires = options.offer_timeout == absl::InfiniteDuration()
                           ? absl::InfiniteFuture()
                           : now_ + options.offer_timeout;
  if (held.offer_expires != absl::InfiniteFuture()) {
    absl::StatusOr<TimerHandle> timer =
        timers_.Schedule(held.offer_expires, Timer{id, TimerKind::kOfferExpiry});
    if (timer.ok()) held.offer_timer = *timer;
  }
}

void Router::Requeue(WorkItemId id, Item& item) {
  (void)queues_.Push(queues_.name(item.queue), id, std::move(held_[item.held].entry));
  Unhold(item);
  Emit(RoutingEventKind::kRequeued, id, kNoAgent, item.queue);
  ArmWakeTimers(id, item);
  RouteItem(id);
}

absl::StatusOr<Router::Item*> Router::FindItem(WorkItemId id) {
  const auto it = items_.find(id);
  if (it == items_.end()) return ItemNotFound(id);
  return &it->second;
}

absl::StatusOr<Router::Item*> Router::FindOffer(WorkItemId id, AgentIndex agent) {
  absl::StatusOr<Item*> found = FindItem(id);
  if (found.ok() && ((*found)->state != RoutedState::kOffered || (*found)->agent != agent)) {
    return absl::FailedPreconditionError(
        absl::StrCat("item ", id, " is not offered to agent ", agent));
  }
  return found;
}

void Router::Forget(WorkItemId id) {
  const auto it = items_.find(id);
  if (it->second.held != kNoSlot) held_.Release(it->second.held);
  if (it->second.extras != kNoSlot) extras_.Release(it->second.extras);
  items_.erase(it);
  restricted_.erase(id);
}

void Router::RouteAgentAndSettle(AgentIndex agent) {
  RouteAgent(agent);
  HandleAgentEvents();
}

absl::Status Router::SetAgentState(AgentIndex agent, AgentState state, std::string_view reason) {
  if (absl::Status s = pool_.SetState(agent, state, reason); !s.ok()) return s;
  if (state == AgentState::kOffline) ClosePreferredWindows(agent);
  RouteAgentAndSettle(agent);
  return absl::OkStatus();
}

absl::Status Router::SetAgentSkills(AgentIndex agent, SkillSet skills) {
  if (absl::Status s = pool_.SetSkills(agent, std::move(skills)); !s.ok()) return s;
  SyncBuckets();
  RouteAgentAndSettle(agent);
  return absl::OkStatus();
}

absl::Status Router::SetAgentQueues(AgentIndex agent, std::vector<QueueAssignment> queues) {
  for (const QueueAssignment& q : queues) {
    if (q.queue >= queues_.queue_count()) {
      return absl::NotFoundError(absl::StrCat("unknown queue ", q.queue));
    }
  }
  if (absl::Status s = pool_.SetQueues(agent, std::move(queues)); !s.ok()) return s;
  SyncBuckets();
  ClosePreferredWindows(agent);
  RouteAgentAndSettle(agent);
  return absl::OkStatus();
}

absl::Status Router::SetAgentCapacity(AgentIndex agent, AgentCapacity capacity) {
  if (absl::Status s = pool_.SetCapacity(agent, std::move(capacity)); !s.ok()) return s;
  RouteAgentAndSettle(agent);
  return absl::OkStatus();
}

absl::Status Router::SetAgentProfile(AgentIndex agent, SkillSet skills,
                                     std::vector<QueueAssignment> queues, AgentCapacity capacity) {
  for (const QueueAssignment& q : queues) {
    if (q.queue >= queues_.queue_count()) {
      return absl::NotFoundError(absl::StrCat("unknown queue ", q.queue));
    }
  }
  if (agent >= pool_.size()) return absl::NotFoundError(absl::StrCat("unknown agent ", agent));
  // Checked before anything changes: a refused profile leaves no trace, not even a bucket.
  if (absl::Status s = pool_.CanSetCapacity(agent, capacity); !s.ok()) return s;
  if (absl::Status s = pool_.SetQueues(agent, std::move(queues)); !s.ok()) return s;
  (void)pool_.SetCapacity(agent, std::move(capacity));
  (void)pool_.SetSkills(agent, std::move(skills));
  SyncBuckets();
  ClosePreferredWindows(agent);
  RouteAgentAndSettle(agent);
  return absl::OkStatus();
}

absl::Status Router::Submit(WorkItemId id, QueueIndex queue, RoutedItem routed) {
  if (items_.contains(id)) {
    return absl::AlreadyExistsError(absl::StrCat("item ", id, " is already routed"));
  }
  if (queue >= queues_.queue_count()) {
    return absl::NotFoundError(absl::StrCat("unknown queue ", queue));
  }
  if (routed.channel >= pool_.channels().size()) {
    return absl::InvalidArgumentError(absl::StrCat("unknown channel ", routed.channel));
  }
  if (routed.preferred_agent.has_value() && *routed.preferred_agent >= pool_.size()) {
    return absl::NotFoundError(absl::StrCat("unknown preferred agent ", *routed.preferred_agent));
  }
  QueuedItem queued{routed.priority, routed.arrival, routed.deadline, std::move(routed.requirement),
                    routed.channel};
  if (absl::Status s = queues_.queue(queue).Validate(queued); !s.ok()) return s;
  Item item;
  item.queue = queue;
  item.channel = routed.channel;
  const absl::Duration window = queue_options_[queue].preferred_agent_window;
  const bool preferred = routed.preferred_agent.has_value() && window > absl::ZeroDuration() &&
                         CanHoldWindow(*routed.preferred_agent, queue);
  if (!preferred && batch_depth_ == 0 && TryOfferOnArrival(id, item, queued)) {
    HandleAgentEvents();
    return absl::OkStatus();
  }
  if (absl::Status s = queues_.Push(queues_.name(queue), id, std::move(queued)); !s.ok()) {
    return s;
  }
  Item& stored = items_.emplace(id, item).first->second;
  if (preferred) {
    restricted_.insert(id);
    Extras& extras = ExtrasOf(stored);
    extras.preferred = routed.preferred_agent;
    extras.preferred_until = now_ + window;
  }
  ArmWakeTimers(id, stored);
  RouteItem(id, /*searched=*/!preferred);
  if (items_.find(id)->second.state == RoutedState::kQueued) {
    Emit(RoutingEventKind::kQueued, id, kNoAgent, queue);
  }
  HandleAgentEvents();
  return absl::OkStatus();
}

bool Router::TryOfferOnArrival(WorkItemId id, Item& item, const QueuedItem& queued) {
  static const Requirement* const kAnyone = new Requirement();
  const absl::Duration waited = now_ - queued.arrival;
  const int steps = queued.requirement == nullptr ? 0 : queued.requirement->StepsDueAfter(waited);
  const Requirement& requirement =
      queued.requirement == nullptr ? *kAnyone : queued.requirement->Effective(steps);
  const std::optional<AgentIndex> agent = BestAgentAmong(
      item, waited, requirement,
      [&](BucketIndex bucket) { return requirement.Matches(pool_.BucketSkills(bucket)); });
  if (!agent.has_value()) return false;
  QueuedItem& entry = Hold(item).entry;
  entry = queued;
  entry.steps_applied = steps;
  entry.relaxation_origin = queued.arrival;
  Item& stored = items_.emplace(id, item).first->second;
  MakeOffer(id, stored, *agent);
  return true;
}

absl::Status Router::Accept(AgentIndex agent, WorkItemId id) {
  absl::StatusOr<Item*> found = FindOffer(id, agent);
  if (!found.ok()) return found.status();
  Item& item = **found;
  if (absl::Status s = pool_.Accept(agent, id); !s.ok()) return s;
  Held& held = held_[item.held];
  timers_.Cancel(held.offer_timer);
  held.offer_timer = TimerHandle();
  held.offer_expires = absl::InfiniteFuture();
  item.state = RoutedState::kAssigned;
  Emit(RoutingEventKind::kAssigned, id, agent, item.queue);
  return absl::OkStatus();
}

absl::Status Router::TakeBack(WorkItemId id, Item& item, WorkOutcome outcome) {
  const AgentIndex agent = item.agent;
  if (absl::Status s = pool_.Finish(agent, id, outcome); !s.ok()) return s;
  Held& held = held_[item.held];
  timers_.Cancel(held.offer_timer);
  held.offer_timer = TimerHandle();
  if (outcome == WorkOutcome::kRejected || outcome == WorkOutcome::kMissed) {
    Extras& extras = ExtrasOf(item);
    extras.refused.push_back(agent);
    restricted_.insert(id);
    if (extras.preferred == agent) extras.preferred_until = now_;
  }
  return absl::OkStatus();
}

absl::Status Router::Reject(AgentIndex agent, WorkItemId id) {
  absl::StatusOr<Item*> found = FindOffer(id, agent);
  if (!found.ok()) return found.status();
  Item& item = **found;
  if (absl::Status s = TakeBack(id, item, WorkOutcome::kRejected); !s.ok()) return s;
  Emit(RoutingEventKind::kRejected, id, agent, item.queue);
  Requeue(id, item);
  RouteAgentAndSettle(agent);
  return absl::OkStatus();
}

absl::Status Router::Complete(WorkItemId id) {
  absl::StatusOr<Item*> found = FindItem(id);
  if (!found.ok()) return found.status();
  Item& item = **found;
  if (item.state != RoutedState::kAssigned) {
    return absl::FailedPreconditionError(absl::StrCat("item ", id, " is not assigned"));
  }
  const AgentIndex agent = item.agent;
  if (absl::Status s = pool_.Finish(agent, id, WorkOutcome::kCompleted); !s.ok()) return s;
  Forget(id);
  RouteAgentAndSettle(agent);
  return absl::OkStatus();
}

absl::Status Router::Remove(WorkItemId id) {
  absl::StatusOr<Item*> found = FindItem(id);
  if (!found.ok()) return found.status();
  Item& item = **found;
  const AgentIndex agent = item.agent;
  if (item.state == RoutedState::kQueued) {
    if (absl::Status s = queues_.Erase(id); !s.ok()) return s;
  } else if (absl::Status s = TakeBack(id, item, WorkOutcome::kWithdrawn); !s.ok()) {
    return s;
  }
  CancelTimers(item);
  Forget(id);
  if (agent != kNoAgent) RouteAgent(agent);
  HandleAgentEvents();
  return absl::OkStatus();
}

absl::Status Router::Transfer(WorkItemId id, QueueIndex queue, TransferChanges changes) {
  absl::StatusOr<Item*> found = FindItem(id);
  if (!found.ok()) return found.status();
  Item& item = **found;
  if (queue >= queues_.queue_count()) {
    return absl::NotFoundError(absl::StrCat("unknown queue ", queue));
  }
  if (changes.preferred_agent.has_value() && *changes.preferred_agent >= pool_.size()) {
    return absl::NotFoundError(absl::StrCat("unknown preferred agent ", *changes.preferred_agent));
  }
  const int levels = queues_.queue(queue).options().priority_levels;
  AgentIndex released = kNoAgent;
  if (item.state == RoutedState::kQueued) {
    if (absl::Status s = queues_.Move(id, queues_.name(queue), changes.priority); !s.ok()) {
      return s;
    }
  } else {
    const int new_priority = changes.priority.value_or(held_[item.held].entry.priority);
    if (new_priority < 0 || new_priority >= levels) {
      return absl::InvalidArgumentError(
          absl::StrCat("priority ", new_priority, " is not in [0, ", levels, ")"));
    }
    const AgentIndex agent = item.agent;
    if (absl::Status s = TakeBack(id, item, WorkOutcome::kWithdrawn); !s.ok()) return s;
    (void)queues_.Push(queues_.name(queue), id,
                       std::move(held_[item.held].entry).ForOtherQueue(new_priority));
    Unhold(item);
    released = agent;
  }
  item.queue = queue;
  if (changes.requirement.has_value()) {
    (void)queues_.SetRequirement(id, *std::move(changes.requirement));
  }
  const absl::Duration window = queue_options_[queue].preferred_agent_window;
  if (changes.preferred_agent.has_value() && window > absl::ZeroDuration() &&
      CanHoldWindow(*changes.preferred_agent, queue)) {
    restricted_.insert(id);
    Extras& extras = ExtrasOf(item);
    extras.preferred = changes.preferred_agent;
    extras.preferred_until = now_ + window;
  }
  ArmWakeTimers(id, item);
  RouteItem(id);
  if (items_.find(id)->second.state == RoutedState::kQueued) {
    Emit(RoutingEventKind::kQueued, id, kNoAgent, queue);
  }
  if (released != kNoAgent) RouteAgent(released);
  HandleAgentEvents();
  return absl::OkStatus();
}

absl::Status Router::SetPriority(WorkItemId id, int priority) {
  absl::StatusOr<Item*> found = FindItem(id);
  if (!found.ok()) return found.status();
  Item& item = **found;
  if (item.state == RoutedState::kQueued) return queues_.SetPriority(id, priority);
  const int levels = queues_.queue(item.queue).options().priority_levels;
  if (priority < 0 || priority >= levels) {
    return absl::InvalidArgumentError(
        absl::StrCat("priority ", priority, " is not in [0, ", levels, ")"));
  }
  held_[item.held].entry.priority = priority;
  return absl::OkStatus();
}

absl::Status Router::SetDeadline(WorkItemId id, absl::Time deadline) {
  absl::StatusOr<Item*> found = FindItem(id);
  if (!found.ok()) return found.status();
  Item& item = **found;
  if (item.state == RoutedState::kQueued) return queues_.SetDeadline(id, deadline);
  if (deadline == absl::InfinitePast()) {
    return absl::InvalidArgumentError("a deadline must be finite or InfiniteFuture");
  }
  held_[item.held].entry.deadline = deadline;
  return absl::OkStatus();
}

absl::Status Router::SetRequirement(WorkItemId id,
                                    std::shared_ptr<const RequirementPlan> requirement) {
  absl::StatusOr<Item*> found = FindItem(id);
  if (!found.ok()) return found.status();
  if (Item& item = **found; item.state != RoutedState::kQueued) {
    // As WorkQueue::SetRequirement: its steps count from now.
    QueuedItem& entry = held_[item.held].entry;
    entry.steps_applied =
        requirement == nullptr ? 0 : requirement->StepsDueAfter(absl::ZeroDuration());
    entry.relaxation_origin = now_;
    entry.requirement = std::move(requirement);
    return absl::OkStatus();
  }
  if (absl::Status s = queues_.SetRequirement(id, std::move(requirement)); !s.ok()) return s;
  RouteItem(id);
  HandleAgentEvents();
  return absl::OkStatus();
}

absl::Status Router::EndBatch() {
  if (batch_depth_ == 0) return absl::FailedPreconditionError("no batch is open");
  if (--batch_depth_ > 0) return absl::OkStatus();
  AssignJointly();
  HandleAgentEvents();
  return absl::OkStatus();
}

void Router::AssignJointly() {
  constexpr size_t kItemsPerAgent = 32;
  constexpr int64_t kScoreCap = 10'000;
  while (true) {
    std::vector<AgentIndex> free;
    for (AgentIndex agent = 0; agent < pool_.size(); ++agent) {
      for (ChannelId c = 0; c < pool_.channels().size(); ++c) {
        if (pool_.CanTake(agent, c)) {
          free.push_back(agent);
          break;
        }
      }
    }
    // Each free agent's best items, in its own order.
    std::vector<std::vector<WorkItemId>> wanted(free.size());
    std::vector<WorkItemId> items;
    absl::flat_hash_map<WorkItemId, uint32_t> item_index;
    for (size_t a = 0; a < free.size(); ++a) {
      std::vector<WorkItemId>& mine = wanted[a];
      while (mine.size() < kItemsPerAgent) {
        const std::optional<WorkItemId> next = BestItemFor(free[a], [&mine](WorkItemId id) {
          return std::find(mine.begin(), mine.end(), id) != mine.end();
        });
        if (!next.has_value()) break;
        mine.push_back(*next);
        if (item_index.try_emplace(*next, static_cast<uint32_t>(items.size())).second) {
          items.push_back(*next);
        }
      }
    }
    if (items.empty()) return;
    // Items by serving position across queues: overdue first, then the earliest arrival (or
    // overdue instant), then queue, then place.
    std::vector<std::tuple<bool, int64_t, QueueIndex, uint64_t, WorkItemId>> order;
    for (WorkItemId id : items) {
      const QueueIndex q = items_.find(id)->second.queue;
      const QueueRank rank = *queues_.queue(q).RankOf(id);
      order.emplace_back(!rank.overdue, rank.overdue ? rank.key : rank.arrival_ns, q, rank.sequence,
                         id);
    }
    std::sort(order.begin(), order.end());
    std::vector<int64_t> position(items.size());
    for (size_t p = 0; p < order.size(); ++p) position[item_index[std::get<4>(order[p])]] = p;
    // Agents by each strategy's key, for the agent part of the cost.
    const auto agent_count = static_cast<int64_t>(free.size());
    std::vector<std::vector<int64_t>> agent_rank(kStrategyCount);
    const auto rank_of = [&](Strategy strategy, size_t a) {
      std::vector<int64_t>& ranks = agent_rank[static_cast<int>(strategy)];
      if (ranks.empty()) {
        std::vector<size_t> sorted(free.size());
        for (size_t i = 0; i < sorted.size(); ++i) sorted[i] = i;
        const Strategy keyed = strategy == Strategy::kRandom ? Strategy::kLongestIdle : strategy;
        std::sort(sorted.begin(), sorted.end(), [&](size_t x, size_t y) {
          return pool_.KeyOf(free[x], keyed) < pool_.KeyOf(free[y], keyed);
        });
        ranks.resize(free.size());
        for (size_t i = 0; i < sorted.size(); ++i) ranks[sorted[i]] = static_cast<int64_t>(i);
      }
      return ranks[a];
    };
    const int64_t agent_span = (kScoreCap * 1000 + 1) * agent_count;
    std::vector<internal::AssignmentEdge> edges;
    for (size_t a = 0; a < free.size(); ++a) {
      for (WorkItemId id : wanted[a]) {
        const Item& item = items_.find(id)->second;
        const Strategy strategy = queue_options_[item.queue].strategy;
        int64_t agent_cost = rank_of(strategy, a);
        if (strategy == Strategy::kMostSkilled) {
          const double score = std::min<double>(
              CurrentRequirement(id, item).Score(pool_.Skills(free[a])), kScoreCap);
          agent_cost += std::llround((kScoreCap - score) * 1000) * agent_count;
        }
        const uint32_t i = item_index[id];
        edges.push_back({static_cast<uint32_t>(a), i, position[i] * agent_span + agent_cost});
      }
    }
    std::vector<std::pair<uint32_t, uint32_t>> pairs = internal::MinCostMaximumMatching(
        static_cast<uint32_t>(free.size()), static_cast<uint32_t>(items.size()), edges);
    std::sort(pairs.begin(), pairs.end(), [&position](const auto& x, const auto& y) {
      return position[x.second] < position[y.second];
    });
    for (const auto& [a, i] : pairs) Offer(items[i], free[a]);
  }
}

void Router::EmitAgentState(AgentIndex agent, AgentState state, std::string_view reason) {
  events_.push_back(RoutingEvent{.kind = RoutingEventKind::kAgentState,
                                 .agent = agent,
                                 .at = now_,
                                 .agent_state = state,
                                 .reason = reason});
}

void Router::EmitRelaxed(const QueuedRequirementRelaxed& relaxed) {
  Emit(RoutingEventKind::kRequirementRelaxed, relaxed.relaxed.item, kNoAgent, relaxed.queue,
       relaxed.relaxed.steps_applied);
}

void Router::HandleRelaxations() {
  for (const QueuedRequirementRelaxed& relaxed : queues_.PollEvents()) {
    EmitRelaxed(relaxed);
    RouteItem(relaxed.relaxed.item);
  }
}

void Router::HandleAgentEvents() {
  for (std::vector<AgentEvent> events = pool_.PollEvents(); !events.empty();
       events = pool_.PollEvents()) {
    for (const AgentEvent& event : events) {
      switch (event.kind) {
        case AgentEvent::Kind::kAutoAway:
          EmitAgentState(event.agent, AgentState::kAway, kAgentStateReasons[2]);
          break;
        case AgentEvent::Kind::kWrapUpStarted:
          EmitAgentState(event.agent, AgentState::kWrapUp, kAgentStateReasons[0]);
          break;
        case AgentEvent::Kind::kWrapUpEnded:
          EmitAgentState(event.agent, AgentState::kAvailable, kAgentStateReasons[0]);
          RouteAgent(event.agent);
          break;
        case AgentEvent::Kind::kCooldownEnded:
          RouteAgent(event.agent);
          break;
      }
    }
  }
}

absl::Time Router::NextDue() const {
  return std::min({queues_.NextRelaxationDue(), pool_.NextTimerDue(), timers_.NextDue()});
}

absl::Time Router::NextStop() const {
  return std::min({queues_.NextRelaxationStop(), pool_.NextTimerStop(), timers_.NextStop()});
}

absl::Status Router::AdvanceTo(absl::Time now) {
  if (now < now_ || now == absl::InfiniteFuture()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "now ", absl::FormatTime(now, absl::UTCTimeZone()), " is infinite or before the router's ",
        absl::FormatTime(now_, absl::UTCTimeZone())));
  }
  std::vector<std::pair<TimerHandle, Timer>> fired;
  for (absl::Time due = NextStop(); due <= now; due = NextStop()) {
    (void)queues_.AdvanceTo(due);
    (void)pool_.AdvanceTo(due);
    now_ = due;
    HandleRelaxations();
    HandleAgentEvents();
    fired.clear();
    timers_.Advance(due, [&fired](TimerHandle handle, absl::Time, Timer timer) {
      fired.emplace_back(handle, timer);
    });
    for (const auto& [handle, timer] : fired) {
      const auto it = items_.find(timer.item);
      if (it == items_.end()) continue;
      Item& item = it->second;
      if (timer.kind == TimerKind::kOfferExpiry) {
        if (item.state != RoutedState::kOffered || held_[item.held].offer_timer != handle) {
          continue;
        }
        const AgentIndex agent = item.agent;
        held_[item.held].offer_timer = TimerHandle();
        (void)TakeBack(timer.item, item, WorkOutcome::kMissed);
        Emit(RoutingEventKind::kOfferExpired, timer.item, agent, item.queue);
        if (options_.away_on_missed_offer && pool_.State(agent) != AgentState::kOffline &&
            pool_.State(agent) != AgentState::kAway) {
          (void)pool_.SetState(agent, AgentState::kAway, kAgentStateReasons[1]);
          EmitAgentState(agent, AgentState::kAway, kAgentStateReasons[1]);
        }
        Requeue(timer.item, item);
        RouteAgent(agent);
      } else {
        if (item.extras == kNoSlot) continue;
        std::vector<TimerHandle>& wake_timers = extras_[item.extras].wake_timers;
        const auto wake = std::find(wake_timers.begin(), wake_timers.end(), handle);
        if (wake == wake_timers.end()) continue;
        wake_timers.erase(wake);
        RouteItem(timer.item);
      }
    }
    HandleAgentEvents();
  }
  (void)queues_.AdvanceTo(now);
  (void)pool_.AdvanceTo(now);
  timers_.Advance(now, [](TimerHandle, absl::Time, Timer) {});
  now_ = now;
  return absl::OkStatus();
}

std::vector<RoutingEvent> Router::PollEvents() { return internal::TakeEvents(events_); }

void Router::PollEvents(std::vector<RoutingEvent>& buffer) {
  internal::TakeEvents(events_, buffer);
}

void Router::Reserve(size_t items) {
  items_.reserve(items);
  held_.Reserve(items);
  extras_.Reserve(items);
  queues_.Reserve(items);
}

absl::Status Router::ReserveQueue(QueueIndex queue, size_t items) {
  if (queue >= queues_.queue_count()) {
    return absl::NotFoundError(absl::StrCat("unknown queue ", queue));
  }
  queues_.ReserveQueue(queue, items);
  return absl::OkStatus();
}

size_t Router::MemoryBytes() const {
  using internal::FlatTableBytes;
  using internal::HeapBytes;
  size_t bytes = sizeof(*this) - sizeof(pool_) + pool_.MemoryBytes() + FlatTableBytes(items_) +
                 held_.MemoryBytes() + extras_.MemoryBytes() + FlatTableBytes(restricted_) +
                 timers_.MemoryBytes() - sizeof(timers_) + HeapBytes(events_);
  extras_.ForEach([&bytes](const Extras& extras) {
    bytes += HeapBytes(extras.refused) + HeapBytes(extras.wake_timers);
  });
  for (QueueIndex q = 0; q < queues_.queue_count(); ++q) bytes += queues_.queue(q).MemoryBytes();
  return bytes;
}

std::optional<RoutedItemView> Router::Find(WorkItemId id) const {
  const auto it = items_.find(id);
  if (it == items_.end()) return std::nullopt;
  const Item& item = it->second;
  RoutedItemView view;
  view.id = id;
  view.state = item.state;
  view.queue = item.queue;
  view.channel = item.channel;
  if (item.state == RoutedState::kQueued) {
    const QueuedItemView queued = *queues_.queue(item.queue).Find(id);
    view.priority = queued.priority;
    view.arrival = queued.arrival;
  } else {
    view.priority = held_[item.held].entry.priority;
    view.arrival = held_[item.held].entry.arrival;
  }
  view.agent = item.agent;
  view.offer_expires =
      item.state == RoutedState::kOffered ? held_[item.held].offer_expires : absl::InfiniteFuture();
  if (item.extras != kNoSlot) view.refused = extras_[item.extras].refused;
  view.requirement = &CurrentRequirement(id, item);
  return view;
}

absl::StatusOr<std::vector<Candidate>> Router::Explain(WorkItemId id) const {
  const auto it = items_.find(id);
  if (it == items_.end()) return ItemNotFound(id);
  const Item& item = it->second;
  const Requirement& requirement = CurrentRequirement(id, item);
  const absl::Time arrival = item.state == RoutedState::kQueued
                                 ? queues_.queue(item.queue).Find(id)->arrival
                                 : held_[item.held].entry.arrival;
  const Strategy strategy = queue_options_[item.queue].strategy;
  std::vector<Candidate> candidates;
  for (AgentIndex agent = 0; agent < pool_.size(); ++agent) {
    Candidate candidate{agent, false, false, ""};
    const std::optional<absl::Duration> delay = DelayFor(pool_.BucketOf(agent), item.queue);
    const Requirement::Mismatch mismatch = requirement.Explain(pool_.Skills(agent));
    if (item.state != RoutedState::kQueued && item.agent == agent) {
      candidate.chosen = true;
      candidate.reason = "holds it";
    } else if (std::string_view why = pool_.WhyNot(agent, item.channel); !why.empty()) {
      candidate.reason = std::string(why);
    } else if (!delay.has_value()) {
      candidate.reason = "does not serve queue";
    } else if (now_ - arrival < *delay) {
      candidate.reason = "queue delay not reached";
    } else if (Refused(item, agent)) {
      candidate.reason = "rejected it";
    } else if (PreferredOnly(item) && Preferred(item) != agent) {
      candidate.reason = "preferred agent's window";
    } else if (mismatch.kind == Requirement::Mismatch::Kind::kExcludedTag) {
      candidate.reason = absl::StrCat("excluded tag #", mismatch.skill);
    } else if (mismatch.kind == Requirement::Mismatch::Kind::kMissingSkill) {
      candidate.reason = absl::StrCat("missing skill #", mismatch.skill);
    } else if (mismatch.kind == Requirement::Mismatch::Kind::kLevelTooLow) {
      candidate.reason = absl::StrCat("level too low #", mismatch.skill, " (", mismatch.has, " < ",
                                      mismatch.needed, ")");
    } else {
      candidate.eligible = item.state == RoutedState::kQueued;
      candidate.reason = candidate.eligible ? "lower rank" : "item is not waiting";
    }
    candidates.push_back(std::move(candidate));
  }
  const auto rank = [&](AgentIndex agent) {
    const double score =
        strategy == Strategy::kMostSkilled ? requirement.Score(pool_.Skills(agent)) : 0.0;
    return std::make_pair(-score, pool_.KeyOf(agent, strategy));
  };
  std::stable_sort(candidates.begin(), candidates.end(),
                   [&](const Candidate& a, const Candidate& b) {
                     if (a.chosen != b.chosen) return a.chosen;
                     if (a.eligible != b.eligible) return a.eligible;
                     if (!a.eligible) return false;
                     return rank(a.agent) < rank(b.agent);
                   });
  if (!candidates.empty() && candidates.front().eligible && strategy != Strategy::kRandom) {
    candidates.front().chosen = true;
    candidates.front().reason = "best by " + std::string(StrategyName(strategy));
  }
  return candidates;
}

}  // namespace omniroute
