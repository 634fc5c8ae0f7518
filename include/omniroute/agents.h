// Agents: who can work, on what, how much, and in which order they get work.
//
//   absl::StatusOr<omniroute::ChannelModel> channels = omniroute::ChannelModel::Create(
//       {{.name = "voice", .cost = 60, .blocks = {"chat"}, .wrap_up = absl::Seconds(30)},
//        {.name = "chat", .cost = 20},
//        {.name = "email", .cost = 12}});
//   omniroute::AgentPool pool(*channels, {}, now);
//   pool.EnableStrategy(omniroute::Strategy::kLongestIdle);
//   omniroute::AgentConfig ann{.id = "ann", .skills = skills, .queues = {{.queue = 0}}};
//   ann.capacity = {.budget = 60, .limits = {1, 3, 5}};   // one call, or 3 chats + emails
//   omniroute::AgentIndex a = *pool.AddAgent(ann);
//   pool.SetState(a, omniroute::AgentState::kAvailable);
//   pool.Reserve(a, 1001, /*chat=*/1);       // an offer holds capacity
//   pool.Accept(a, 1001);                    // assigned
//   pool.Finish(a, 1001, omniroute::WorkOutcome::kCompleted);
//
// Capacity. One model for the usual dialects: each channel has a cost in units, each agent a
// budget of units and a limit of concurrent items per channel (0: the agent does not take that
// channel). An agent can take an item of channel c when it is `available` (not in wrap-up or a
// cool-down), count(c) < limit(c), used units + cost(c) <= budget, and no active channel blocks c
// nor c an active one (a call blocking chat: no chat is offered during a call, no call during a
// chat). Pending offers count as load. A call costing the whole budget takes the whole agent.
//
// States: `offline`, `available`, `away` (with a reason), `wrap_up` (after an item whose channel
// has wrap-up time, until it ends; then `available` again on a timer). Busy is derived from load.
// Wrap-up applies once per agent whatever the queues it serves; a second wrap-up extends the
// first. Cool-downs after a rejected or missed offer hold back new offers for a set time without
// changing the state; `auto_away_after_misses` missed offers in a row send the agent `away`.
//
// Strategies (`Strategy`) order the agents that can take an item; each key is compared in the
// order listed, and the agent index (the order agents were added) breaks every remaining tie:
// - `longest_idle`: agents without load first; then the earliest `last_activity` (when the agent
//   last became available, last became free of all work, or was last offered work).
// - `least_occupied`: the lowest used/budget fraction; then as longest_idle.
// - `round_robin`: the agent offered work least recently (never-offered agents first).
// - `most_skilled`: the highest `Requirement::Score` of the item's requirement (decided per
//   bucket, since agents of a bucket share their skills); then as longest_idle.
// - `fewest_handled`: the fewest completed items; then as longest_idle.
// - `weighted_fair`: the lowest (offers accepted + 1) / budget, so assignments follow capacity
//   (a deficit counter per agent); then as longest_idle.
// - `random`: uniform among the agents that can take the item, from the pool's seeded generator
//   (deterministic: same seed and commands, same choices).
//
// Eligibility index. Agents with the same skills and routing profile share a bucket. Each bucket
// keeps, per channel and enabled strategy, the agents that can take an item of that channel now,
// ordered by the strategy's key (an `IndexedHeap`), so choosing an agent costs O(buckets) and a
// load change O(channels × strategies × log agents).
//
// Errors: unknown agent or channel (NotFound), duplicate agent id (AlreadyExists), a command the
// agent's state or load forbids (FailedPrecondition), bad configuration (InvalidArgument); a
// refused call changes nothing.
//
// Thread safety: thread-compatible.
#ifndef OMNIROUTE_AGENTS_H_
#define OMNIROUTE_AGENTS_H_

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "omniroute/indexed_heap.h"
#include "omniroute/skills.h"
#include "omniroute/timer_wheel.h"
#include "omniroute/work_queue.h"

namespace omniroute {

// A channel's index in its `ChannelModel`; also the `QueuedItem::channel` of its items.
using ChannelId = uint32_t;
// At most this many channels.
inline constexpr size_t kMaxChannels = 32;

// One channel of work (voice, chat, email, social ...).
struct ChannelSpec {
  // 1 to 64 characters from [A-Za-z0-9_.:-], unique.
  std::string name;
  // Units of an agent's budget one item of this channel takes: 1 to 1,000,000.
  int cost = 1;
  // Channels that may not run at the same time as this one (both ways); names of other channels.
  std::vector<std::string> blocks{};
  // After-work time after each item of this channel; zero or more, finite.
  absl::Duration wrap_up = absl::ZeroDuration();
};

// The channels of a centre. A small value type.
class ChannelModel {
 public:
  ChannelModel() = default;
  // InvalidArgument naming the channel for a bad name, cost, blocked name or wrap-up, or more
  // than kMaxChannels channels.
  static absl::StatusOr<ChannelModel> Create(std::vector<ChannelSpec> channels);

  size_t size() const { return channels_.size(); }
  // NotFound ("unknown channel") for a name not in the model.
  absl::StatusOr<ChannelId> Find(std::string_view name) const;
  const ChannelSpec& spec(ChannelId channel) const { return channels_[channel]; }
  int cost(ChannelId channel) const { return channels_[channel].cost; }
  // Bit c set: channel c may not run alongside `channel` (symmetric).
  uint32_t blocked(ChannelId channel) const { return blocked_[channel]; }

 private:
  std::vector<ChannelSpec> channels_;
  std::vector<uint32_t> blocked_;
};

// A queue an agent serves, from its routing profile.
struct QueueAssignment {
  QueueIndex queue = 0;
  // 0 first: work from a queue comes only when the queues of smaller numbers have none this agent
  // may take.
  int priority = 0;
  // An item must have waited this long before this agent may take it; zero or more.
  absl::Duration delay = absl::ZeroDuration();

  friend bool operator==(const QueueAssignment&, const QueueAssignment&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const QueueAssignment& q) {
    return H::combine(std::move(h), q.queue, q.priority, q.delay);
  }
};

// How much an agent takes at once.
struct AgentCapacity {
  // Units, 1 to 1,000,000.
  int budget = 1;
  // Concurrent items per channel (by ChannelId; missing entries: 0, the channel is not taken).
  std::vector<int> limits{};

  friend bool operator==(const AgentCapacity&, const AgentCapacity&) = default;
};

struct AgentConfig {
  // Unique, non-empty.
  std::string id;
  SkillSet skills{};
  // The routing profile: each queue at most once.
  std::vector<QueueAssignment> queues{};
  AgentCapacity capacity{};
};

enum class AgentState : uint8_t { kOffline, kAvailable, kAway, kWrapUp };
// "offline", "available", "away", "wrap_up".
std::string_view AgentStateName(AgentState state);
absl::StatusOr<AgentState> ParseAgentState(std::string_view name);
inline std::ostream& operator<<(std::ostream& os, AgentState s) { return os << AgentStateName(s); }

enum class Strategy : uint8_t {
  kLongestIdle,
  kLeastOccupied,
  kRoundRobin,
  kMostSkilled,
  kFewestHandled,
  kWeightedFair,
  kRandom,
};
inline constexpr int kStrategyCount = 7;
// "longest_idle", "least_occupied", "round_robin", "most_skilled", "fewest_handled",
// "weighted_fair", "random".
std::string_view StrategyName(Strategy strategy);
absl::StatusOr<Strategy> ParseStrategy(std::string_view name);
inline std::ostream& operator<<(std::ostream& os, Strategy s) { return os << StrategyName(s); }

// How an item left an agent.
enum class WorkOutcome : uint8_t {
  kCompleted,  // handled: counts, and starts the channel's wrap-up
  kRejected,   // an offer declined: reject cool-down
  kMissed,     // an offer expired: missed cool-down, counts towards auto-away
  kWithdrawn,  // taken back without blame (cancelled, transferred, customer left)
};

struct AgentPoolOptions {
  // Offer-free time after a rejected / missed offer; zero or more.
  absl::Duration reject_cooldown = absl::ZeroDuration();
  absl::Duration missed_cooldown = absl::ZeroDuration();
  // Missed offers in a row that send an agent away (reason "missed_offers"); 0: never.
  int auto_away_after_misses = 0;
  // Seeds the random strategy.
  uint64_t seed = 1;
};

// An agent's dense index in its pool: 0, 1, 2, ... in the order added; never reused.
using AgentIndex = uint32_t;
// A bucket: agents with equal skills and routing profiles.
using BucketIndex = uint32_t;

// A piece of work an agent holds.
struct HeldWork {
  WorkItemId item = 0;
  ChannelId channel = 0;
  absl::Time since;      // offered at, then accepted at
  bool pending = false;  // an offer not yet accepted
};

// What the pool says about an agent.
struct AgentView {
  std::string_view id;
  AgentState state = AgentState::kOffline;
  std::string_view away_reason;
  absl::Time wrap_up_until = absl::InfinitePast();
  absl::Time cooldown_until = absl::InfinitePast();
  BucketIndex bucket = 0;
  int used_units = 0;
  int budget = 0;
  std::vector<int> load;  // items per channel, pending offers included
  absl::Time last_activity;
  uint64_t handled = 0;
  uint64_t accepted = 0;
  int missed_in_a_row = 0;
  absl::Duration busy_time;  // time with load, up to now
  // The longest remaining expected handle time of its work (the agent's mean per channel, else
  // the pool's, else nothing), zero when idle.
  absl::Duration estimated_time_until_free;
};

// A change the pool made on its own: wrap-up ended (the agent is available), a cool-down ended,
// `auto_away_after_misses` sent the agent away, completed work started a wrap-up.
struct AgentEvent {
  enum class Kind : uint8_t { kWrapUpEnded, kCooldownEnded, kAutoAway, kWrapUpStarted };
  Kind kind = Kind::kWrapUpEnded;
  AgentIndex agent = 0;
  absl::Time at;
  friend bool operator==(const AgentEvent&, const AgentEvent&) = default;
};

// The agents of a centre with their eligibility index. See the file comment.
class AgentPool {
 public:
  AgentPool(ChannelModel channels, AgentPoolOptions options, absl::Time now = absl::UnixEpoch());

  const ChannelModel& channels() const { return channels_; }
  absl::Time now() const { return now_; }

  // Keeps an ordering for `strategy` from now on (all are off at first). O(agents × channels).
  void EnableStrategy(Strategy strategy);
  bool StrategyEnabled(Strategy strategy) const { return enabled_[static_cast<int>(strategy)]; }

  // Adds an offline agent. AlreadyExists (id), InvalidArgument (empty id, a queue listed twice, a
  // negative delay, a budget or limit out of range, more limits than channels).
  absl::StatusOr<AgentIndex> AddAgent(AgentConfig config);
  absl::StatusOr<AgentIndex> Find(std::string_view id) const;
  size_t size() const { return agents_.size(); }
  // Estimated bytes of the pool: its agents with their per-channel records and held work, the id
  // index, the buckets' ready heaps and the timers. O(agents + buckets).
  size_t MemoryBytes() const;

  // Changes the state: `offline` needs no held work (FailedPrecondition); `wrap_up` cannot be set
  // (it follows completed work); `away` records `reason` (else ignored). Going available ends a
  // wrap-up early.
  absl::Status SetState(AgentIndex agent, AgentState state, std::string_view reason = "");
  // Replaces the skills / routing profile (the agent changes bucket) or capacity
  // (FailedPrecondition when below the current load).
  absl::Status SetSkills(AgentIndex agent, SkillSet skills);
  absl::Status SetQueues(AgentIndex agent, std::vector<QueueAssignment> queues);
  absl::Status SetCapacity(AgentIndex agent, AgentCapacity capacity);
  // What SetCapacity would refuse (the same errors), changing nothing.
  absl::Status CanSetCapacity(AgentIndex agent, const AgentCapacity& capacity) const;

  // Whether the agent may be offered an item of `channel` now (state, cool-down, capacity).
  bool CanTake(AgentIndex agent, ChannelId channel) const;
  // Why not, for `Explain`: "offline", "away", "wrap_up", "cooldown", "no capacity on channel",
  // "channel blocked", "does not take channel"; empty when it can.
  std::string_view WhyNot(AgentIndex agent, ChannelId channel) const;

  // Holds capacity for an offer of `item`. FailedPrecondition when !CanTake or the agent holds
  // `item` already; NotFound (agent, channel).
  absl::Status Reserve(AgentIndex agent, WorkItemId item, ChannelId channel);
  // Turns the pending offer of `item` into assigned work. NotFound when the agent holds no such
  // offer, FailedPrecondition when it is already accepted.
  absl::Status Accept(AgentIndex agent, WorkItemId item);
  // Releases `item` (pending or accepted; a pending offer may end only as rejected, missed or
  // withdrawn, accepted work only as completed or withdrawn: FailedPrecondition otherwise).
  absl::Status Finish(AgentIndex agent, WorkItemId item, WorkOutcome outcome);

  // Ends wrap-ups and cool-downs due by `now`. InvalidArgument when `now` is before now().
  absl::Status AdvanceTo(absl::Time now);
  absl::Time NextTimerDue() const { return timers_.NextDue(); }
  // Never after NextTimerDue(); stepping `AdvanceTo` from stop to stop reaches every timer in
  // order (TimerWheel::NextStop). O(1) amortised.
  absl::Time NextTimerStop() const { return timers_.NextStop(); }
  std::vector<AgentEvent> PollEvents();

  // The agent's state and live figures at now().
  AgentView View(AgentIndex agent) const;
  const std::vector<HeldWork>& Held(AgentIndex agent) const { return agents_[agent].held; }
  const SkillSet& Skills(AgentIndex agent) const { return agents_[agent].skills; }
  const AgentCapacity& Capacity(AgentIndex agent) const { return agents_[agent].capacity; }
  const std::vector<QueueAssignment>& Queues(AgentIndex agent) const {
    return buckets_[agents_[agent].bucket].queues;
  }
  AgentState State(AgentIndex agent) const { return agents_[agent].state; }
  BucketIndex BucketOf(AgentIndex agent) const { return agents_[agent].bucket; }

  // Buckets (some may have no agents left).
  size_t bucket_count() const { return buckets_.size(); }
  const SkillSet& BucketSkills(BucketIndex bucket) const { return buckets_[bucket].skills; }
  const std::vector<QueueAssignment>& BucketQueues(BucketIndex bucket) const {
    return buckets_[bucket].queues;
  }
  size_t BucketSize(BucketIndex bucket) const { return buckets_[bucket].members; }
  // The bucket's agents that are not offline.
  size_t LoggedInCount(BucketIndex bucket) const { return buckets_[bucket].logged_in; }
  // The bucket's agents that can take an item of `channel` now.
  size_t ReadyCount(BucketIndex bucket, ChannelId channel) const;
  // Whether any agent of `bucket` can take an item of `channel` now, by the index of `strategy`
  // (enabled). O(1).
  bool HasReady(BucketIndex bucket, ChannelId channel, Strategy strategy) const {
    return !buckets_[bucket].ready[channel * kStrategyCount + static_cast<int>(strategy)].empty();
  }

  // The best agent of `bucket` for `channel` by `strategy` (enabled; not kRandom), skipping
  // agents for which `skip(AgentIndex)` is true; nullopt when none can take it. O(1) without
  // skips, O(skipped × log) with.
  template <typename Skip>
  std::optional<AgentIndex> BestInBucket(BucketIndex bucket, ChannelId channel, Strategy strategy,
                                         Skip&& skip) const;
  // The strategy key of a ready agent, for comparing agents of different buckets (smaller first).
  struct RankKey {
    int64_t primary = 0;
    int64_t secondary = 0;
    AgentIndex agent = 0;
    friend bool operator<(const RankKey& a, const RankKey& b) {
      if (a.primary != b.primary) return a.primary < b.primary;
      if (a.secondary != b.secondary) return a.secondary < b.secondary;
      return a.agent < b.agent;
    }
    friend bool operator==(const RankKey&, const RankKey&) = default;
  };
  RankKey KeyOf(AgentIndex agent, Strategy strategy) const;
  // A uniformly chosen agent among the ready agents of `buckets` for `channel`, skipping those
  // for which `skip` is true; one draw from the pool's generator. O(r log r) for r ready agents
  // in those buckets (requires kRandom enabled).
  template <typename Skip>
  std::optional<AgentIndex> RandomAmong(const std::vector<BucketIndex>& buckets, ChannelId channel,
                                        Skip&& skip);

 private:
  friend class internal::StateCodec;

  struct Agent {
    std::string id;
    SkillSet skills;
    AgentCapacity capacity;
    BucketIndex bucket = 0;
    AgentState state = AgentState::kOffline;
    std::string away_reason;
    absl::Time wrap_up_until = absl::InfinitePast();
    absl::Time cooldown_until = absl::InfinitePast();
    TimerHandle wrap_up_timer;
    TimerHandle cooldown_timer;
    std::vector<HeldWork> held;
    std::vector<int> load;  // per channel
    int used_units = 0;
    uint32_t active_channels = 0;  // bit c: load[c] > 0
    absl::Time last_activity;
    uint64_t last_offer_sequence = 0;
    uint64_t handled = 0;
    uint64_t accepted = 0;
    int missed_in_a_row = 0;
    absl::Duration busy_time;
    absl::Time busy_since = absl::InfinitePast();
    std::vector<absl::Duration> handle_time_sum;  // per channel, completed items
    std::vector<uint64_t> handle_count;
    // handles[channel * kStrategyCount + strategy]
    std::vector<HeapHandle> handles;
  };
  struct Ranked {
    RankKey key;
    friend bool operator<(const Ranked& a, const Ranked& b) { return a.key < b.key; }
  };
  struct Bucket {
    SkillSet skills;
    std::vector<QueueAssignment> queues;
    size_t members = 0;
    size_t logged_in = 0;
    // ready[channel * kStrategyCount + strategy]
    std::vector<IndexedHeap<Ranked>> ready;
  };
  enum class TimerKind : uint8_t { kWrapUp, kCooldown };
  struct Timer {
    AgentIndex agent;
    TimerKind kind;
  };

  static absl::Status ValidateCapacity(const AgentCapacity& capacity, size_t channels);
  static absl::Status ValidateQueues(const std::vector<QueueAssignment>& queues);
  absl::Status CheckAgent(AgentIndex agent) const;
  BucketIndex AcquireBucket(const SkillSet& skills, const std::vector<QueueAssignment>& queues);
  bool Ready(const Agent& agent) const;
  bool HasRoom(const Agent& agent, ChannelId channel) const;
  void Reindex(AgentIndex agent);
  void Unindex(AgentIndex agent);
  void AddLoad(Agent& agent, ChannelId channel, int delta);
  void MoveToBucket(AgentIndex agent, BucketIndex bucket);
  void StartCooldown(AgentIndex agent, absl::Duration duration);
  void ScheduleTimer(AgentIndex agent, TimerKind kind, absl::Time due);

  ChannelModel channels_;
  AgentPoolOptions options_;
  absl::Time now_;
  std::array<bool, kStrategyCount> enabled_{};
  std::vector<int> enabled_list_;
  std::vector<Agent> agents_;
  absl::flat_hash_map<std::string, AgentIndex> by_id_;
  std::vector<Bucket> buckets_;
  absl::flat_hash_map<std::pair<SkillSet, std::vector<QueueAssignment>>, BucketIndex>
      bucket_by_profile_;
  TimerWheel<Timer> timers_;
  std::vector<AgentEvent> events_;
  uint64_t next_offer_sequence_ = 1;
  std::vector<absl::Duration> pool_handle_time_sum_;
  std::vector<uint64_t> pool_handle_count_;
  std::mt19937_64 random_;
};

template <typename Skip>
std::optional<AgentIndex> AgentPool::BestInBucket(BucketIndex bucket, ChannelId channel,
                                                  Strategy strategy, Skip&& skip) const {
  const IndexedHeap<Ranked>& heap =
      buckets_[bucket].ready[channel * kStrategyCount + static_cast<int>(strategy)];
  if (heap.empty()) return std::nullopt;
  if (!skip(heap.Top().key.agent)) return heap.Top().key.agent;
  // Best-first walk of the heap's tree: values come out in key order, so the first one not
  // skipped is the best; only skipped values and their children are visited.
  std::vector<size_t> frontier = {0};
  const auto worse = [&heap](size_t a, size_t b) { return heap.ValueAt(b) < heap.ValueAt(a); };
  while (!frontier.empty()) {
    std::pop_heap(frontier.begin(), frontier.end(), worse);
    const size_t position = frontier.back();
    frontier.pop_back();
    const AgentIndex candidate = heap.ValueAt(position).key.agent;
    if (!skip(candidate)) return candidate;
    for (size_t child = heap.FirstChild(position);
         child < heap.size() && child < heap.FirstChild(position) + heap.kArity; ++child) {
      frontier.push_back(child);
      std::push_heap(frontier.begin(), frontier.end(), worse);
    }
  }
  return std::nullopt;
}

template <typename Skip>
std::optional<AgentIndex> AgentPool::RandomAmong(const std::vector<BucketIndex>& buckets,
                                                 ChannelId channel, Skip&& skip) {
  const int slot = channel * kStrategyCount + static_cast<int>(Strategy::kRandom);
  std::vector<AgentIndex> candidates;
  for (BucketIndex bucket : buckets) {
    buckets_[bucket].ready[slot].ForEach([&](const Ranked& ranked) {
      if (!skip(ranked.key.agent)) candidates.push_back(ranked.key.agent);
    });
  }
  if (candidates.empty()) return std::nullopt;
  // Heap order depends on history; sorting makes the draw depend only on the set.
  std::sort(candidates.begin(), candidates.end());
  const uint64_t draw = random_();
  return candidates[static_cast<size_t>(
      (static_cast<unsigned __int128>(draw) * candidates.size()) >> 64)];
}

}  // namespace omniroute

#endif  // OMNIROUTE_AGENTS_H_
