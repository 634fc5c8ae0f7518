#include "omniroute/agents.h"

#include <algorithm>
#include <array>
#include <limits>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "internal/enum_names.h"
#include "internal/events.h"
#include "internal/memory_bytes.h"

namespace omniroute {
namespace {

constexpr std::array<std::string_view, 4> kAgentStateNames = {"offline", "available", "away",
                                                              "wrap_up"};
constexpr std::array<std::string_view, kStrategyCount> kStrategyNames = {
    "longest_idle",   "least_occupied", "round_robin", "most_skilled",
    "fewest_handled", "weighted_fair",  "random"};

constexpr int kMaxUnits = 1'000'000;
constexpr int64_t kFractionScale = int64_t{1} << 30;

bool ValidChannelName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == ':' || c == '-';
  });
}

int64_t Nanos(absl::Time t) {
  if (t == absl::InfinitePast()) return std::numeric_limits<int64_t>::min();
  if (t == absl::InfiniteFuture()) return std::numeric_limits<int64_t>::max();
  return absl::ToUnixNanos(t);
}

absl::string_view AbslView(std::string_view s) { return absl::string_view(s.data(), s.size()); }

}  // namespace

std::string_view AgentStateName(AgentState state) {
  return internal::EnumName(kAgentStateNames, state);
}

absl::StatusOr<AgentState> ParseAgentState(std::string_view name) {
  return internal::ParseEnum<AgentState>(kAgentStateNames, "agent state", name);
}

std::string_view StrategyName(Strategy strategy) {
  return internal::EnumName(kStrategyNames, strategy);
}

absl::StatusOr<Strategy> ParseStrategy(std::string_view name) {
  return internal::ParseEnum<Strategy>(kStrategyNames, "strategy", name);
}

absl::StatusOr<ChannelModel> ChannelModel::Create(std::vector<ChannelSpec> channels) {
  if (channels.size() > kMaxChannels) {
    return absl::InvalidArgumentError(
        absl::StrCat(channels.size(), " channels; at most ", kMaxChannels));
  }
  ChannelModel model;
  absl::flat_hash_map<std::string, ChannelId> ids;
  // Errors name the offending value as a path into the list ("channels[1].cost: ...").
  const auto invalid = [](size_t c, std::string_view field, std::string_view message) {
    return absl::InvalidArgumentError(
        absl::StrCat("channels[", c, "].", std::string(field), ": ", std::string(message)));
  };
  for (size_t c = 0; c < channels.size(); ++c) {
    const ChannelSpec& spec = channels[c];
    if (!ValidChannelName(spec.name)) {
      return invalid(c, "name",
                     absl::StrCat("channel name \"", spec.name,
                                  "\" is not 1 to 64 characters from [A-Za-z0-9_.:-]"));
    }
    if (!ids.emplace(spec.name, static_cast<ChannelId>(c)).second) {
      return invalid(c, "name", absl::StrCat("channel \"", spec.name, "\" listed twice"));
    }
    if (spec.cost < 1 || spec.cost > kMaxUnits) {
      return invalid(c, "cost",
                     absl::StrCat("channel \"", spec.name, "\": cost ", spec.cost,
                                  " is not in [1, ", kMaxUnits, "]"));
    }
    if (spec.wrap_up < absl::ZeroDuration() || spec.wrap_up == absl::InfiniteDuration()) {
      return invalid(c, "wrap_up",
                     absl::StrCat("channel \"", spec.name, "\": wrap_up must be finite and >= 0"));
    }
  }
  model.blocked_.assign(channels.size(), 0);
  for (size_t c = 0; c < channels.size(); ++c) {
    for (size_t b = 0; b < channels[c].blocks.size(); ++b) {
      const std::string& name = channels[c].blocks[b];
      const std::string field = absl::StrCat("blocks[", b, "]");
      const auto it = ids.find(name);
      if (it == ids.end()) {
        return invalid(c, field,
                       absl::StrCat("channel \"", channels[c].name, "\" blocks unknown channel \"",
                                    name, "\""));
      }
      if (it->second == c) {
        return invalid(c, field, absl::StrCat("channel \"", channels[c].name, "\" blocks itself"));
      }
      model.blocked_[c] |= uint32_t{1} << it->second;
      model.blocked_[it->second] |= uint32_t{1} << c;
    }
  }
  model.channels_ = std::move(channels);
  return model;
}

absl::StatusOr<ChannelId> ChannelModel::Find(std::string_view name) const {
  for (ChannelId c = 0; c < channels_.size(); ++c) {
    if (channels_[c].name == name) return c;
  }
  return absl::NotFoundError(absl::StrCat("unknown channel \"", std::string(name), "\""));
}

AgentPool::AgentPool(ChannelModel channels, AgentPoolOptions options, absl::Time now)
    : channels_(std::move(channels)),
      options_(options),
      now_(now),
      timers_(now, absl::Milliseconds(1)),
      pool_handle_time_sum_(channels_.size()),
      pool_handle_count_(channels_.size()),
      random_(options.seed) {}

absl::Status AgentPool::ValidateCapacity(const AgentCapacity& capacity, size_t channels) {
  if (capacity.budget < 1 || capacity.budget > kMaxUnits) {
    return absl::InvalidArgumentError(
        absl::StrCat("capacity budget ", capacity.budget, " is not in [1, ", kMaxUnits, "]"));
  }
  if (capacity.limits.size() > channels) {
    return absl::InvalidArgumentError(absl::StrCat("capacity lists ", capacity.limits.size(),
                                                   " channel limits for ", channels, " channels"));
  }
  for (size_t c = 0; c < capacity.limits.size(); ++c) {
    if (capacity.limits[c] < 0 || capacity.limits[c] > kMaxUnits) {
      return absl::InvalidArgumentError(absl::StrCat("capacity limit ", capacity.limits[c],
                                                     " of channel ", c, " is not in [0, ",
                                                     kMaxUnits, "]"));
    }
  }
  return absl::OkStatus();
}

absl::Status AgentPool::ValidateQueues(const std::vector<QueueAssignment>& queues) {
  absl::flat_hash_set<QueueIndex> seen;
  for (const QueueAssignment& q : queues) {
    if (!seen.insert(q.queue).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("queue ", q.queue, " is listed twice in the routing profile"));
    }
    if (q.delay < absl::ZeroDuration() || q.delay == absl::InfiniteDuration()) {
      return absl::InvalidArgumentError(
          absl::StrCat("queue ", q.queue, ": delay must be finite and >= 0"));
    }
  }
  return absl::OkStatus();
}

absl::Status AgentPool::CheckAgent(AgentIndex agent) const {
  if (agent >= agents_.size()) {
    return absl::NotFoundError(absl::StrCat("unknown agent index ", agent));
  }
  return absl::OkStatus();
}

void AgentPool::EnableStrategy(Strategy strategy) {
  if (enabled_[static_cast<int>(strategy)]) return;
  enabled_[static_cast<int>(strategy)] = true;
  enabled_list_.push_back(static_cast<int>(strategy));
  for (AgentIndex a = 0; a < agents_.size(); ++a) Reindex(a);
}

BucketIndex AgentPool::AcquireBucket(const SkillSet& skills,
                                     const std::vector<QueueAssignment>& queues) {
  auto key = std::make_pair(skills, queues);
  if (const auto it = bucket_by_profile_.find(key); it != bucket_by_profile_.end()) {
    return it->second;
  }
  const auto index = static_cast<BucketIndex>(buckets_.size());
  Bucket bucket;
  bucket.skills = skills;
  bucket.queues = queues;
  bucket.ready.resize(channels_.size() * kStrategyCount);
  buckets_.push_back(std::move(bucket));
  bucket_by_profile_.emplace(std::move(key), index);
  return index;
}

absl::StatusOr<AgentIndex> AgentPool::AddAgent(AgentConfig config) {
  if (config.id.empty()) return absl::InvalidArgumentError("an agent needs an id");
  if (by_id_.contains(config.id)) {
    return absl::AlreadyExistsError(absl::StrCat("agent \"", config.id, "\" exists"));
  }
  if (absl::Status s = ValidateQueues(config.queues); !s.ok()) return s;
  if (absl::Status s = ValidateCapacity(config.capacity, channels_.size()); !s.ok()) return s;
  const auto index = static_cast<AgentIndex>(agents_.size());
  Agent agent;
  agent.id = config.id;
  agent.skills = std::move(config.skills);
  agent.capacity = std::move(config.capacity);
  agent.capacity.limits.resize(channels_.size(), 0);
  agent.load.assign(channels_.size(), 0);
  agent.last_activity = now_;
  agent.handle_time_sum.assign(channels_.size(), absl::ZeroDuration());
  agent.handle_count.assign(channels_.size(), 0);
  agent.handles.resize(channels_.size() * kStrategyCount);
  agent.bucket = AcquireBucket(agent.skills, config.queues);
  ++buckets_[agent.bucket].members;
  agents_.push_back(std::move(agent));
  by_id_.emplace(std::move(config.id), index);
  return index;
}

size_t AgentPool::MemoryBytes() const {
  using internal::FlatTableBytes;
  using internal::HeapBytes;
  size_t bytes = sizeof(*this) + HeapBytes(agents_) + HeapBytes(enabled_list_) +
                 FlatTableBytes(by_id_) + HeapBytes(buckets_) + FlatTableBytes(bucket_by_profile_) +
                 timers_.MemoryBytes() - sizeof(timers_) + HeapBytes(events_) +
                 HeapBytes(pool_handle_time_sum_) + HeapBytes(pool_handle_count_);
  for (const Agent& agent : agents_) {
    // The id twice: the agent's own and the index's key.
    bytes += 2 * HeapBytes(agent.id) + HeapBytes(agent.away_reason) +
             HeapBytes(agent.capacity.limits) + HeapBytes(agent.held) + HeapBytes(agent.load) +
             HeapBytes(agent.handle_time_sum) + HeapBytes(agent.handle_count) +
             HeapBytes(agent.handles);
  }
  for (const Bucket& bucket : buckets_) {
    bytes += HeapBytes(bucket.queues) + HeapBytes(bucket.ready);
    for (const IndexedHeap<Ranked>& heap : bucket.ready) bytes += heap.MemoryBytes() - sizeof(heap);
  }
  return bytes;
}

absl::StatusOr<AgentIndex> AgentPool::Find(std::string_view id) const {
  const auto it = by_id_.find(AbslView(id));
  if (it == by_id_.end()) {
    return absl::NotFoundError(absl::StrCat("unknown agent \"", std::string(id), "\""));
  }
  return it->second;
}

bool AgentPool::Ready(const Agent& agent) const {
  return agent.state == AgentState::kAvailable && agent.cooldown_until <= now_;
}

bool AgentPool::HasRoom(const Agent& agent, ChannelId channel) const {
  return agent.load[channel] < agent.capacity.limits[channel] &&
         agent.used_units + channels_.cost(channel) <= agent.capacity.budget &&
         (agent.active_channels & channels_.blocked(channel)) == 0;
}

bool AgentPool::CanTake(AgentIndex agent, ChannelId channel) const {
  if (agent >= agents_.size() || channel >= channels_.size()) return false;
  return Ready(agents_[agent]) && HasRoom(agents_[agent], channel);
}

std::string_view AgentPool::WhyNot(AgentIndex agent, ChannelId channel) const {
  if (agent >= agents_.size()) return "unknown agent";
  if (channel >= channels_.size()) return "unknown channel";
  const Agent& a = agents_[agent];
  switch (a.state) {
    case AgentState::kOffline:
      return "offline";
    case AgentState::kAway:
      return "away";
    case AgentState::kWrapUp:
      return "wrap_up";
    case AgentState::kAvailable:
      break;
  }
  if (a.cooldown_until > now_) return "cooldown";
  if (a.capacity.limits[channel] == 0) return "does not take channel";
  if ((a.active_channels & channels_.blocked(channel)) != 0) return "channel blocked";
  if (!HasRoom(a, channel)) return "no capacity on channel";
  return "";
}

AgentPool::RankKey AgentPool::KeyOf(AgentIndex index, Strategy strategy) const {
  const Agent& agent = agents_[index];
  const int64_t idle = Nanos(agent.last_activity);
  const int64_t loaded = agent.used_units > 0 ? 1 : 0;
  switch (strategy) {
    case Strategy::kLongestIdle:
    case Strategy::kMostSkilled:
      return {loaded, idle, index};
    case Strategy::kLeastOccupied:
      return {agent.used_units * kFractionScale / agent.capacity.budget, idle, index};
    case Strategy::kRoundRobin:
      return {static_cast<int64_t>(agent.last_offer_sequence), 0, index};
    case Strategy::kFewestHandled:
      return {static_cast<int64_t>(agent.handled), idle, index};
    case Strategy::kWeightedFair:
      return {static_cast<int64_t>(agent.accepted + 1) * (int64_t{1} << 20) / agent.capacity.budget,
              idle, index};
    case Strategy::kRandom:
      return {0, 0, index};
  }
  return {0, 0, index};
}

void AgentPool::Reindex(AgentIndex index) {
  Agent& agent = agents_[index];
  Bucket& bucket = buckets_[agent.bucket];
  const bool ready = Ready(agent);
  for (ChannelId c = 0; c < channels_.size(); ++c) {
    const bool can = ready && agent.capacity.limits[c] > 0 && HasRoom(agent, c);
    for (int s : enabled_list_) {
      const size_t slot = c * kStrategyCount + s;
      HeapHandle& handle = agent.handles[slot];
      IndexedHeap<Ranked>& heap = bucket.ready[slot];
      if (can) {
        const Ranked ranked{KeyOf(index, static_cast<Strategy>(s))};
        if (!heap.Update(handle, ranked)) handle = heap.Push(ranked);
      } else if (handle.valid()) {
        heap.Erase(handle);
        handle = HeapHandle();
      }
    }
  }
}

void AgentPool::Unindex(AgentIndex index) {
  Agent& agent = agents_[index];
  Bucket& bucket = buckets_[agent.bucket];
  for (size_t slot = 0; slot < agent.handles.size(); ++slot) {
    if (agent.handles[slot].valid()) bucket.ready[slot].Erase(agent.handles[slot]);
    agent.handles[slot] = HeapHandle();
  }
}

size_t AgentPool::ReadyCount(BucketIndex bucket, ChannelId channel) const {
  for (int s = 0; s < kStrategyCount; ++s) {
    if (enabled_[s]) return buckets_[bucket].ready[channel * kStrategyCount + s].size();
  }
  size_t ready = 0;
  for (const Agent& agent : agents_) {
    if (agent.bucket == bucket && Ready(agent) && HasRoom(agent, channel)) ++ready;
  }
  return ready;
}

void AgentPool::ScheduleTimer(AgentIndex agent, TimerKind kind, absl::Time due) {
  TimerHandle& handle =
      kind == TimerKind::kWrapUp ? agents_[agent].wrap_up_timer : agents_[agent].cooldown_timer;
  timers_.Cancel(handle);
  absl::StatusOr<TimerHandle> scheduled = timers_.Schedule(due, Timer{agent, kind});
  handle = scheduled.ok() ? *scheduled : TimerHandle();
}

absl::Status AgentPool::SetState(AgentIndex index, AgentState state, std::string_view reason) {
  if (absl::Status s = CheckAgent(index); !s.ok()) return s;
  Agent& agent = agents_[index];
  if (static_cast<int>(state) > static_cast<int>(AgentState::kWrapUp)) {
    return absl::InvalidArgumentError("not an agent state");
  }
  if (state == AgentState::kWrapUp) {
    return absl::InvalidArgumentError("wrap_up follows completed work; it cannot be set");
  }
  if (state == AgentState::kOffline && !agent.held.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "agent \"", agent.id, "\" holds ", agent.held.size(), " item(s) and cannot log out"));
  }
  timers_.Cancel(agent.wrap_up_timer);
  agent.wrap_up_timer = TimerHandle();
  agent.wrap_up_until = absl::InfinitePast();
  if (state == AgentState::kAvailable && agent.state != AgentState::kAvailable) {
    agent.last_activity = now_;
    agent.missed_in_a_row = 0;
  }
  const bool was_logged_in = agent.state != AgentState::kOffline;
  const bool is_logged_in = state != AgentState::kOffline;
  if (was_logged_in && !is_logged_in) --buckets_[agent.bucket].logged_in;
  if (!was_logged_in && is_logged_in) ++buckets_[agent.bucket].logged_in;
  agent.state = state;
  agent.away_reason = state == AgentState::kAway ? std::string(reason) : std::string();
  if (state == AgentState::kOffline) {
    timers_.Cancel(agent.cooldown_timer);
    agent.cooldown_timer = TimerHandle();
    agent.cooldown_until = absl::InfinitePast();
  }
  Reindex(index);
  return absl::OkStatus();
}

absl::Status AgentPool::SetSkills(AgentIndex index, SkillSet skills) {
  if (absl::Status s = CheckAgent(index); !s.ok()) return s;
  const std::vector<QueueAssignment> queues = buckets_[agents_[index].bucket].queues;
  agents_[index].skills = std::move(skills);
  MoveToBucket(index, AcquireBucket(agents_[index].skills, queues));
  return absl::OkStatus();
}

absl::Status AgentPool::SetQueues(AgentIndex index, std::vector<QueueAssignment> queues) {
  if (absl::Status s = CheckAgent(index); !s.ok()) return s;
  if (absl::Status s = ValidateQueues(queues); !s.ok()) return s;
  MoveToBucket(index, AcquireBucket(agents_[index].skills, queues));
  return absl::OkStatus();
}

void AgentPool::MoveToBucket(AgentIndex index, BucketIndex bucket) {
  Unindex(index);
  Agent& agent = agents_[index];
  const size_t logged_in = agent.state != AgentState::kOffline ? 1 : 0;
  --buckets_[agent.bucket].members;
  buckets_[agent.bucket].logged_in -= logged_in;
  agent.bucket = bucket;
  ++buckets_[agent.bucket].members;
  buckets_[agent.bucket].logged_in += logged_in;
  Reindex(index);
}

absl::Status AgentPool::CanSetCapacity(AgentIndex index, const AgentCapacity& capacity) const {
  if (absl::Status s = CheckAgent(index); !s.ok()) return s;
  if (absl::Status s = ValidateCapacity(capacity, channels_.size()); !s.ok()) return s;
  const Agent& agent = agents_[index];
  if (agent.used_units > capacity.budget) {
    return absl::FailedPreconditionError(
        absl::StrCat("agent \"", agent.id, "\" uses ", agent.used_units,
                     " units, more than the new budget ", capacity.budget));
  }
  for (ChannelId c = 0; c < channels_.size(); ++c) {
    const int limit = c < capacity.limits.size() ? capacity.limits[c] : 0;
    if (agent.load[c] > limit) {
      return absl::FailedPreconditionError(
          absl::StrCat("agent \"", agent.id, "\" holds ", agent.load[c], " item(s) of channel \"",
                       channels_.spec(c).name, "\", more than the new limit ", limit));
    }
  }
  return absl::OkStatus();
}

absl::Status AgentPool::SetCapacity(AgentIndex index, AgentCapacity capacity) {
  if (absl::Status s = CanSetCapacity(index, capacity); !s.ok()) return s;
  capacity.limits.resize(channels_.size(), 0);
  agents_[index].capacity = std::move(capacity);
  Reindex(index);
  return absl::OkStatus();
}

void AgentPool::AddLoad(Agent& agent, ChannelId channel, int delta) {
  if (agent.used_units == 0 && delta > 0) agent.busy_since = now_;
  agent.load[channel] += delta;
  agent.used_units += delta * channels_.cost(channel);
  if (agent.load[channel] > 0) {
    agent.active_channels |= uint32_t{1} << channel;
  } else {
    agent.active_channels &= ~(uint32_t{1} << channel);
  }
  if (agent.used_units == 0 && delta < 0) {
    agent.busy_time += now_ - agent.busy_since;
    agent.busy_since = absl::InfinitePast();
    agent.last_activity = now_;
  }
}

absl::Status AgentPool::Reserve(AgentIndex index, WorkItemId item, ChannelId channel) {
  if (absl::Status s = CheckAgent(index); !s.ok()) return s;
  if (channel >= channels_.size()) {
    return absl::NotFoundError(absl::StrCat("unknown channel ", channel));
  }
  Agent& agent = agents_[index];
  for (const HeldWork& held : agent.held) {
    if (held.item == item) {
      return absl::FailedPreconditionError(
          absl::StrCat("agent \"", agent.id, "\" already holds item ", item));
    }
  }
  if (!CanTake(index, channel)) {
    return absl::FailedPreconditionError(
        absl::StrCat("agent \"", agent.id, "\" cannot take a ", channels_.spec(channel).name,
                     " item: ", std::string(WhyNot(index, channel))));
  }
  agent.held.push_back(HeldWork{item, channel, now_, true});
  AddLoad(agent, channel, +1);
  agent.last_activity = now_;
  agent.last_offer_sequence = next_offer_sequence_++;
  Reindex(index);
  return absl::OkStatus();
}

absl::Status AgentPool::Accept(AgentIndex index, WorkItemId item) {
  if (absl::Status s = CheckAgent(index); !s.ok()) return s;
  Agent& agent = agents_[index];
  for (HeldWork& held : agent.held) {
    if (held.item != item) continue;
    if (!held.pending) {
      return absl::FailedPreconditionError(
          absl::StrCat("agent \"", agent.id, "\" has already accepted item ", item));
    }
    held.pending = false;
    held.since = now_;
    ++agent.accepted;
    agent.missed_in_a_row = 0;
    Reindex(index);
    return absl::OkStatus();
  }
  return absl::NotFoundError(
      absl::StrCat("agent \"", agent.id, "\" holds no offer of item ", item));
}

void AgentPool::StartCooldown(AgentIndex index, absl::Duration duration) {
  if (duration <= absl::ZeroDuration()) return;
  Agent& agent = agents_[index];
  agent.cooldown_until = std::max(agent.cooldown_until, now_ + duration);
  ScheduleTimer(index, TimerKind::kCooldown, agent.cooldown_until);
}

absl::Status AgentPool::Finish(AgentIndex index, WorkItemId item, WorkOutcome outcome) {
  if (absl::Status s = CheckAgent(index); !s.ok()) return s;
  Agent& agent = agents_[index];
  const auto it = std::find_if(agent.held.begin(), agent.held.end(),
                               [item](const HeldWork& held) { return held.item == item; });
  if (it == agent.held.end()) {
    return absl::NotFoundError(absl::StrCat("agent \"", agent.id, "\" holds no item ", item));
  }
  const bool pending = it->pending;
  if (pending && outcome == WorkOutcome::kCompleted) {
    return absl::FailedPreconditionError(
        absl::StrCat("item ", item, " was offered to agent \"", agent.id,
                     "\" but not accepted; it cannot be completed"));
  }
  if (!pending && (outcome == WorkOutcome::kRejected || outcome == WorkOutcome::kMissed)) {
    return absl::FailedPreconditionError(absl::StrCat("item ", item, " is assigned to agent \"",
                                                      agent.id, "\"; it is no longer an offer"));
  }
  const HeldWork held = *it;
  agent.held.erase(it);
  AddLoad(agent, held.channel, -1);
  switch (outcome) {
    case WorkOutcome::kCompleted: {
      ++agent.handled;
      const absl::Duration handle_time = now_ - held.since;
      agent.handle_time_sum[held.channel] += handle_time;
      ++agent.handle_count[held.channel];
      pool_handle_time_sum_[held.channel] += handle_time;
      ++pool_handle_count_[held.channel];
      const absl::Duration wrap_up = channels_.spec(held.channel).wrap_up;
      if (wrap_up > absl::ZeroDuration() &&
          (agent.state == AgentState::kAvailable || agent.state == AgentState::kWrapUp)) {
        if (agent.state == AgentState::kAvailable) {
          events_.push_back(AgentEvent{AgentEvent::Kind::kWrapUpStarted, index, now_});
        }
        agent.state = AgentState::kWrapUp;
        agent.wrap_up_until = std::max(agent.wrap_up_until, now_ + wrap_up);
        ScheduleTimer(index, TimerKind::kWrapUp, agent.wrap_up_until);
      }
      break;
    }
    case WorkOutcome::kRejected:
      agent.missed_in_a_row = 0;
      StartCooldown(index, options_.reject_cooldown);
      break;
    case WorkOutcome::kMissed:
      ++agent.missed_in_a_row;
      if (options_.auto_away_after_misses > 0 &&
          agent.missed_in_a_row >= options_.auto_away_after_misses &&
          agent.state != AgentState::kOffline) {
        timers_.Cancel(agent.wrap_up_timer);
        agent.wrap_up_timer = TimerHandle();
        agent.wrap_up_until = absl::InfinitePast();
        agent.state = AgentState::kAway;
        agent.away_reason = "missed_offers";
        events_.push_back(AgentEvent{AgentEvent::Kind::kAutoAway, index, now_});
      } else {
        StartCooldown(index, options_.missed_cooldown);
      }
      break;
    case WorkOutcome::kWithdrawn:
      break;
  }
  Reindex(index);
  return absl::OkStatus();
}

absl::Status AgentPool::AdvanceTo(absl::Time now) {
  if (now < now_ || now == absl::InfiniteFuture()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "now ", absl::FormatTime(now, absl::UTCTimeZone()), " is infinite or before the pool's ",
        absl::FormatTime(now_, absl::UTCTimeZone())));
  }
  timers_.Advance(now, [this](TimerHandle, absl::Time due, Timer timer) {
    now_ = due;
    Agent& agent = agents_[timer.agent];
    if (timer.kind == TimerKind::kWrapUp) {
      agent.wrap_up_timer = TimerHandle();
      if (agent.state != AgentState::kWrapUp) return;
      agent.state = AgentState::kAvailable;
      agent.wrap_up_until = absl::InfinitePast();
      agent.last_activity = due;
      events_.push_back(AgentEvent{AgentEvent::Kind::kWrapUpEnded, timer.agent, due});
    } else {
      agent.cooldown_timer = TimerHandle();
      agent.cooldown_until = absl::InfinitePast();
      events_.push_back(AgentEvent{AgentEvent::Kind::kCooldownEnded, timer.agent, due});
    }
    Reindex(timer.agent);
  });
  now_ = now;
  return absl::OkStatus();
}

std::vector<AgentEvent> AgentPool::PollEvents() { return internal::TakeEvents(events_); }

AgentView AgentPool::View(AgentIndex index) const {
  const Agent& agent = agents_[index];
  AgentView view;
  view.id = agent.id;
  view.state = agent.state;
  view.away_reason = agent.away_reason;
  view.wrap_up_until = agent.wrap_up_until;
  view.cooldown_until = agent.cooldown_until > now_ ? agent.cooldown_until : absl::InfinitePast();
  view.bucket = agent.bucket;
  view.used_units = agent.used_units;
  view.budget = agent.capacity.budget;
  view.load = agent.load;
  view.last_activity = agent.last_activity;
  view.handled = agent.handled;
  view.accepted = agent.accepted;
  view.missed_in_a_row = agent.missed_in_a_row;
  view.busy_time =
      agent.busy_time + (agent.used_units > 0 ? now_ - agent.busy_since : absl::ZeroDuration());
  absl::Duration until_free = absl::ZeroDuration();
  for (const HeldWork& held : agent.held) {
    absl::Duration mean = absl::ZeroDuration();
    if (agent.handle_count[held.channel] > 0) {
      mean = agent.handle_time_sum[held.channel] /
             static_cast<int64_t>(agent.handle_count[held.channel]);
    } else if (pool_handle_count_[held.channel] > 0) {
      mean = pool_handle_time_sum_[held.channel] /
             static_cast<int64_t>(pool_handle_count_[held.channel]);
    }
    const absl::Duration elapsed = held.pending ? absl::ZeroDuration() : now_ - held.since;
    until_free = std::max(until_free, mean - elapsed);
  }
  view.estimated_time_until_free = until_free;
  return view;
}

}  // namespace omniroute
