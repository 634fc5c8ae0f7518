// The router: matches waiting work and free agents in both directions, with offers, timeouts and
// explanations.
//
//   omniroute::Router router(channels, {}, now);
//   omniroute::QueueIndex billing = *router.AddQueue("billing", {.strategy = kLongestIdle});
//   omniroute::AgentIndex ann = *router.AddAgent({.id = "ann", .skills = skills,
//                                                 .queues = {{.queue = billing}},
//                                                 .capacity = {.budget = 60, .limits = {1, 3}}});
//   router.SetAgentState(ann, omniroute::AgentState::kAvailable);
//   router.Submit(42, billing, {.priority = 0, .arrival = now, .requirement = plan, .channel = 1});
//   for (const omniroute::RoutingEvent& e : router.PollEvents()) ...   // offered 42 to ann
//   router.Accept(ann, 42);                                            // assigned
//   router.Complete(42);                                               // ann takes the next one
//
// Decisions.
// - Item arrives (Submit, requeue after a rejected or expired offer, a relaxation step, a queue
//   delay or preferred-agent window running out): the best agent among those eligible, by the
//   queue's strategy, gets an offer; else the item waits in its queue.
// - Agent frees capacity (available, work completed or withdrawn, wrap-up or cool-down over,
//   capacity, skills or profile changed): the tiers of its routing profile are tried in priority
//   order; within a tier the best item it is eligible for across the tier's queues (overdue items
//   first, then the earliest arrival, then the queue listed first) gets an offer. Repeated while
//   the agent has room, so a chat agent fills all its slots.
// Eligible: the agent serves the item's queue and the item has waited at least the profile's
// delay for it; the agent can take the item's channel now (state, cool-down, capacity); its
// skills match the item's current requirement; it has not rejected or missed this item; and
// while a preferred-agent window is open, it is the preferred agent.
// After every command, no ready agent and eligible waiting item are left unmatched.
//
// Cost: agents with equal skills and profiles share a bucket, items with equal requirements and
// channels share a class; a decision looks at buckets (item arrives) or classes (agent frees),
// with a cache of which bucket satisfies which requirement, never at every agent or item.
//
// Offers hold capacity. Accept turns an offer into an assignment; Reject excludes the agent for
// this item, which goes back to its place in its queue and is routed again; an offer not
// answered within the queue's `offer_timeout` expires the same way (`offer_expired`), and the
// agent goes away (reason "missed_offer") unless `RouterOptions::away_on_missed_offer` is off.
// With `auto_accept` an offer is accepted at once.
//
// Errors: unknown item, agent or queue (NotFound), duplicate ids (AlreadyExists), a command the
// item's or agent's state forbids — accept by the wrong agent, accept of an expired offer,
// complete of an offer — (FailedPrecondition), bad arguments (InvalidArgument); a refused call
// changes nothing.
//
// Thread safety: thread-compatible.
#ifndef OMNIROUTE_ROUTER_H_
#define OMNIROUTE_ROUTER_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "omniroute/agents.h"
#include "omniroute/skills.h"
#include "omniroute/slab.h"
#include "omniroute/timer_wheel.h"
#include "omniroute/work_queue.h"

namespace omniroute {

// How a queue orders and distributes its work.
struct RouterQueueOptions {
  WorkQueueOptions order{};
  Strategy strategy = Strategy::kLongestIdle;
  // Offers are accepted at once (hosts that push work without asking).
  bool auto_accept = false;
  // How long an offer waits for an answer; positive, InfiniteDuration for ever.
  absl::Duration offer_timeout = absl::Seconds(30);
  // How long a preferred agent has first refusal; zero or more.
  absl::Duration preferred_agent_window = absl::Seconds(60);
  // When an item finds no agent and no logged-in agent serving the queue could ever take it as
  // its requirement stands, its next relaxation step applies at once instead of on its timer.
  bool relax_when_nobody_qualifies = true;
};

struct RouterOptions {
  AgentPoolOptions agents{};
  // An expired offer sends the agent away (reason "missed_offer").
  bool away_on_missed_offer = true;
};

// What `Submit` takes about an item.
struct RoutedItem {
  int priority = 0;
  absl::Time arrival = absl::UnixEpoch();
  absl::Time deadline = absl::InfiniteFuture();
  std::shared_ptr<const RequirementPlan> requirement{};
  ChannelId channel = 0;
  // First refusal for the queue's preferred_agent_window from submission (e.g. the agent who
  // last served this customer); only while it is logged in (not offline) and serves the queue:
  // none when it is not at submission, and the window closes at once when it logs out, is
  // removed or stops serving the queue.
  std::optional<AgentIndex> preferred_agent{};
};

// What `Transfer` changes besides the queue; what is not given is kept.
struct TransferChanges {
  // The item's priority in the new queue.
  std::optional<int> priority{};
  // Its requirement plan, whose relaxation steps count from now (as `SetRequirement`).
  std::optional<std::shared_ptr<const RequirementPlan>> requirement{};
  // First refusal in the new queue for its preferred_agent_window from now, on the terms of
  // `RoutedItem::preferred_agent`.
  std::optional<AgentIndex> preferred_agent{};
};

enum class RoutingEventKind : uint8_t {
  kQueued,        // waiting in its queue (no eligible agent when it arrived)
  kOffered,       // agent holds an offer
  kAssigned,      // agent accepted (or auto-accept)
  kRejected,      // agent declined the offer
  kOfferExpired,  // agent did not answer in time
  kRequeued,      // back at its place in its queue after a rejected or expired offer
  kRequirementRelaxed,
  // The router changed an agent's state on its own (not through SetAgentState): a missed offer
  // or `auto_away_after_misses` sent it away, completed work started its wrap-up, or the wrap-up
  // ended. `item` is 0.
  kAgentState,
};
// "queued", "offered", "assigned", "rejected", "offer_expired", "requeued",
// "requirement_relaxed", "agent_state".
std::string_view RoutingEventKindName(RoutingEventKind kind);
inline std::ostream& operator<<(std::ostream& os, RoutingEventKind k) {
  return os << RoutingEventKindName(k);
}

inline constexpr AgentIndex kNoAgent = ~AgentIndex{0};

struct RoutingEvent {
  RoutingEventKind kind = RoutingEventKind::kQueued;
  WorkItemId item = 0;
  AgentIndex agent = kNoAgent;  // offers and assignments
  QueueIndex queue = 0;
  absl::Time at;
  int steps_applied = 0;  // requirement_relaxed
  // agent_state: the new state and, for `away`, its reason ("missed_offer", "missed_offers").
  AgentState agent_state = AgentState::kOffline;
  std::string_view reason{};

  friend bool operator==(const RoutingEvent&, const RoutingEvent&) = default;
};

// Where an item is.
enum class RoutedState : uint8_t { kQueued, kOffered, kAssigned };

struct RoutedItemView {
  WorkItemId id = 0;
  RoutedState state = RoutedState::kQueued;
  QueueIndex queue = 0;
  ChannelId channel = 0;
  int priority = 0;
  absl::Time arrival;
  AgentIndex agent = kNoAgent;      // offered to / assigned to
  absl::Time offer_expires;         // offers: when it expires (InfiniteFuture: never)
  std::vector<AgentIndex> refused;  // agents that rejected or missed it
  // Its current requirement (after relaxation); valid until the next command.
  const Requirement* requirement = nullptr;
};

// One agent's standing for an item, from `Explain`.
struct Candidate {
  AgentIndex agent = 0;
  bool eligible = false;
  bool chosen = false;  // the agent the router would offer it to now (or holds it)
  // Why not eligible, or why not chosen: "holds it", "offline", "away", "wrap_up", "cooldown",
  // "does not take channel", "no capacity on channel", "channel blocked", "does not serve queue",
  // "queue delay not reached", "rejected it", "preferred agent's window", "missing skill <name>",
  // "level too low <name>", "excluded tag <name>", "lower rank" (eligible, not best); for an
  // offered or assigned item, "item is not waiting" where the agent could have taken it.
  std::string reason;
};

class Router {
 public:
  Router(ChannelModel channels, RouterOptions options, absl::Time now = absl::UnixEpoch());

  // Queues and agents.
  absl::StatusOr<QueueIndex> AddQueue(std::string_view name, const RouterQueueOptions& options);
  absl::StatusOr<AgentIndex> AddAgent(AgentConfig config);
  const WorkQueueSet& queues() const { return queues_; }
  const AgentPool& agents() const { return pool_; }
  const RouterQueueOptions& queue_options(QueueIndex queue) const { return queue_options_[queue]; }
  // New options for a queue, from the next decision on (offers already made keep their expiry).
  // NotFound for an unknown queue; InvalidArgument as AddQueue; FailedPrecondition when the
  // ordering (`order`) differs: items already waiting are ordered by it.
  absl::Status SetQueueOptions(QueueIndex queue, const RouterQueueOptions& options);

  // Agent commands; each may route work to the agent. As the `AgentPool` methods, plus NotFound
  // for a profile naming an unknown queue.
  absl::Status SetAgentState(AgentIndex agent, AgentState state, std::string_view reason = "");
  absl::Status SetAgentSkills(AgentIndex agent, SkillSet skills);
  absl::Status SetAgentQueues(AgentIndex agent, std::vector<QueueAssignment> queues);
  absl::Status SetAgentCapacity(AgentIndex agent, AgentCapacity capacity);
  // Replaces skills, routing profile and capacity together, then routes the agent once, so that
  // no offer is made under a mix of the old and the new profile. Errors as the three above; a
  // refused call changes nothing.
  absl::Status SetAgentProfile(AgentIndex agent, SkillSet skills,
                               std::vector<QueueAssignment> queues, AgentCapacity capacity);

  // Item commands.
  // AlreadyExists (id known to the router), NotFound (queue, preferred agent), InvalidArgument
  // (channel, priority, arrival after now ...).
  absl::Status Submit(WorkItemId id, QueueIndex queue, RoutedItem item);
  // The offered agent accepts. NotFound (item), FailedPrecondition (not offered, or offered to
  // another agent — including an offer that expired).
  absl::Status Accept(AgentIndex agent, WorkItemId id);
  absl::Status Reject(AgentIndex agent, WorkItemId id);
  // Assigned work done: the agent frees capacity (and may wrap up). FailedPrecondition unless
  // assigned.
  absl::Status Complete(WorkItemId id);
  // Takes an item out wherever it is (cancelled, abandoned, resolved elsewhere).
  absl::Status Remove(WorkItemId id);
  // Moves an item to another queue, from wherever it is (an assignment or offer is withdrawn),
  // keeping its arrival, then routes it once under all of `changes`. NotFound (item, queue,
  // preferred agent), InvalidArgument (priority out of the new queue's range); a refused call
  // changes nothing.
  absl::Status Transfer(WorkItemId id, QueueIndex queue, TransferChanges changes = {});
  // As `WorkQueue::SetPriority` / `SetDeadline` / `SetRequirement` for a queued item. An offered
  // or assigned item keeps its agent and takes the new value with it: it waits with it when it
  // goes back to a queue (a rejected or expired offer, a transfer). InvalidArgument for a
  // priority out of range.
  absl::Status SetPriority(WorkItemId id, int priority);
  absl::Status SetDeadline(WorkItemId id, absl::Time deadline);
  absl::Status SetRequirement(WorkItemId id, std::shared_ptr<const RequirementPlan> requirement);

  // Batch assignment. Between BeginBatch and EndBatch (nestable) commands change state but make
  // no offers; EndBatch then assigns jointly: in rounds, each agent with room taking at most one
  // item per round, a matching of free agents to the items they are eligible for (each agent's
  // best 32 in its highest tier with any) that serves as many items as possible, then the
  // best-placed items (overdue, then earliest arrival), then each item's best agents by its
  // queue's strategy (most_skilled: highest score). So at shift start or after a burst, a
  // generalist does not take the one item only a specialist could serve while the specialist
  // stays idle. When no two items compete for an agent and each agent takes one item, the
  // result is what one-by-one routing gives. FailedPrecondition from EndBatch without a batch
  // open.
  void BeginBatch() { ++batch_depth_; }
  absl::Status EndBatch();
  bool batching() const { return batch_depth_ > 0; }

  // Moves time to `now`, handling relaxation steps, wrap-ups, cool-downs, offer timeouts and
  // queue delays in time order. InvalidArgument when `now` is before now() or infinite.
  absl::Status AdvanceTo(absl::Time now);
  absl::Time now() const { return now_; }
  // The earliest instant at which something is due; InfiniteFuture when nothing is.
  absl::Time NextDue() const;
  // Where the next `AdvanceTo` should stop to make progress: never after NextDue(); stepping from
  // stop to stop reaches every due instant in order (TimerWheel::NextStop). O(1) amortised.
  absl::Time NextStop() const;

  // The events since the last call, oldest first.
  std::vector<RoutingEvent> PollEvents();
  // Same, into `buffer` (cleared first), reusing its storage.
  void PollEvents(std::vector<RoutingEvent>& buffer);
  // Whether PollEvents would return any event. O(1).
  bool has_events() const { return !events_.empty(); }

  std::optional<RoutedItemView> Find(WorkItemId id) const;
  // Where a routed item is: its queue (waiting, offered or assigned from it), its state and its
  // agent (kNoAgent while queued); nullopt for an item the router does not hold. O(1).
  struct Placement {
    QueueIndex queue;
    RoutedState state;
    AgentIndex agent;
  };
  std::optional<Placement> PlacementOf(WorkItemId id) const {
    const auto it = items_.find(id);
    if (it == items_.end()) return std::nullopt;
    return Placement{it->second.queue, it->second.state, it->second.agent};
  }
  size_t size() const { return items_.size(); }
  // Makes room for `items` routed items (the router's records and the queue set's index), so
  // that routing that many moves and rehashes nothing (e.g. before a replay); changes no
  // behaviour. O(items).
  void Reserve(size_t items);
  // The same for `items` waiting in `queue` (WorkQueue::Reserve); NotFound for an unknown queue.
  // O(items).
  absl::Status ReserveQueue(QueueIndex queue, size_t items);
  // Estimated bytes of the router: its item records, the queues and the agent pool
  // (AgentPool::MemoryBytes). O(items + agents + queues).
  size_t MemoryBytes() const;
  // Every agent's standing for a queued item, best first for the eligible ones; for an offered or
  // assigned item, the agent holding it first ("holds it") and none eligible. NotFound when the
  // item is unknown. O(agents).
  absl::StatusOr<std::vector<Candidate>> Explain(WorkItemId id) const;
  // Whether `agent` may be offered queued item `id` now (the eligibility rule above).
  bool Eligible(AgentIndex agent, WorkItemId id) const;

 private:
  friend class internal::StateCodec;

  static constexpr uint32_t kNoSlot = ~uint32_t{0};
  // A waiting item is only this record (its order, arrival and requirement are the queue's), so
  // that many waiting items cost little.
  struct Item {
    RoutedState state = RoutedState::kQueued;
    QueueIndex queue = 0;
    ChannelId channel = 0;
    AgentIndex agent = kNoAgent;
    uint32_t held = kNoSlot;    // offered or assigned: its slot in held_
    uint32_t extras = kNoSlot;  // its slot in extras_, once it needs one
  };
  // While offered or assigned: the entry that puts it back at its place in its queue (no place:
  // offered on arrival, never queued), and the offer.
  struct Held {
    QueuedItem entry;
    TimerHandle offer_timer;
    absl::Time offer_expires = absl::InfiniteFuture();
  };
  // Only items with a preferred agent, refusals or wake timers have one.
  struct Extras {
    std::optional<AgentIndex> preferred;
    absl::Time preferred_until = absl::InfinitePast();
    std::vector<AgentIndex> refused;
    std::vector<TimerHandle> wake_timers;  // delays and the preferred window
  };
  enum class TimerKind : uint8_t { kOfferExpiry, kWake };
  struct Timer {
    WorkItemId item;
    TimerKind kind;
  };
  // A bucket serving a queue, with the profile entry that says how.
  struct Server {
    BucketIndex bucket;
    absl::Duration delay;
  };

  void SyncBuckets();
  // Whether the bucket's skills match the requirement of a queue's class, cached per (class,
  // generation, bucket).
  bool Compatible(QueueIndex queue, RequirementClassId klass, BucketIndex bucket) const;
  bool Refused(const Item& item, AgentIndex agent) const;
  // Whether the item's preferred-agent window is open: only Preferred(item) may take it.
  bool PreferredOnly(const Item& item) const;
  AgentIndex Preferred(const Item& item) const { return *extras_[item.extras].preferred; }
  // Whether `agent` can hold an item's preferred-agent window in `queue`: logged in and serving it.
  bool CanHoldWindow(AgentIndex agent, QueueIndex queue) const;
  // Closes the open windows `agent` can no longer hold (it logged out or stopped serving their
  // queues) and routes those items, in item order.
  void ClosePreferredWindows(AgentIndex agent);
  Extras& ExtrasOf(Item& item);
  // A fresh held record for an item leaving its queue for an agent.
  Held& Hold(Item& item);
  // Frees the item's held record as it goes back to a queue: queued, with no agent.
  void Unhold(Item& item);
  const Requirement& CurrentRequirement(WorkItemId id, const Item& item) const;
  std::optional<absl::Duration> DelayFor(BucketIndex bucket, QueueIndex queue) const;

  // Offers a queued item to its best agent, else applies relaxation steps early when nobody
  // logged in qualifies. `searched`: the first search was just made and found nobody.
  void RouteItem(WorkItemId id, bool searched = false);
  std::optional<AgentIndex> BestAgentFor(WorkItemId id, const Item& item);
  // The best agent for an item of `item.queue` and `item.channel` that has waited `waited` and
  // needs `requirement`; `compatible(BucketIndex)` says whether a bucket's skills match it.
  template <typename IsCompatible>
  std::optional<AgentIndex> BestAgentAmong(const Item& item, absl::Duration waited,
                                           const Requirement& requirement,
                                           IsCompatible&& compatible);
  // Arrival with an agent free for it: the offer is made without queueing the item first.
  bool TryOfferOnArrival(WorkItemId id, Item& item, const QueuedItem& queued);
  void MakeOffer(WorkItemId id, Item& item, AgentIndex agent);
  bool NobodyLoggedInQualifies(WorkItemId id, const Item& item) const;
  void RouteAgent(AgentIndex agent);
  // The best item `agent` may take now, from the first tier of its profile that has one,
  // skipping `skip(WorkItemId)`; also its position key across queues.
  template <typename Skip>
  std::optional<WorkItemId> BestItemFor(AgentIndex agent, Skip&& skip) const;
  void AssignJointly();
  void Offer(WorkItemId id, AgentIndex agent);
  void Requeue(WorkItemId id, Item& item);
  void ArmWakeTimers(WorkItemId id, Item& item);
  void CancelTimers(Item& item);
  void CancelWakeTimers(Item& item);
  void Emit(RoutingEventKind kind, WorkItemId id, AgentIndex agent, QueueIndex queue,
            int steps = 0);
  absl::Status TakeBack(WorkItemId id, Item& item, WorkOutcome outcome);
  // The reasons of the agent_state events the router makes; events point at these literals.
  static constexpr std::array<std::string_view, 3> kAgentStateReasons = {"", "missed_offer",
                                                                         "missed_offers"};
  void EmitAgentState(AgentIndex agent, AgentState state, std::string_view reason);
  void EmitRelaxed(const QueuedRequirementRelaxed& relaxed);
  void HandleRelaxations();
  void HandleAgentEvents();
  absl::StatusOr<Item*> FindItem(WorkItemId id);
  // The item if it is offered to `agent`: NotFound, or FailedPrecondition when it is not.
  absl::StatusOr<Item*> FindOffer(WorkItemId id, AgentIndex agent);
  // Drops the router's record of an item that left it (completed or removed).
  void Forget(WorkItemId id);
  // Routes work to the agent, then to whoever the pool's own state changes freed.
  void RouteAgentAndSettle(AgentIndex agent);

  absl::Time now_;
  RouterOptions options_;
  WorkQueueSet queues_;
  AgentPool pool_;
  std::vector<RouterQueueOptions> queue_options_;
  std::vector<std::vector<Server>> servers_;  // per queue
  std::vector<std::vector<absl::Duration>>
      delays_;  // per queue: its servers' nonzero delays, sorted
  size_t synced_buckets_ = 0;
  // Per bucket: its queues sorted by (profile priority, listing order).
  std::vector<std::vector<QueueAssignment>> tiers_;
  absl::flat_hash_map<WorkItemId, Item> items_;
  // Records only some items need: a slot in Item finds them.
  Slab<Held> held_;
  Slab<Extras> extras_;
  struct ClassCompatibility {
    uint32_t generation = 0;       // WorkQueue generations start at 1
    std::vector<uint8_t> buckets;  // 0 unknown, 1 matches, 2 does not
  };
  mutable std::vector<std::vector<ClassCompatibility>> class_compatibility_;  // [queue][class]
  // Items with refusals or a preferred agent: only these need their record checked when an
  // agent looks for work.
  absl::flat_hash_set<WorkItemId> restricted_;
  // compatible_[requirement][bucket]: 0 unknown, 1 yes, 2 no.
  mutable std::vector<std::vector<uint8_t>> compatible_;
  TimerWheel<Timer> timers_;
  std::vector<RoutingEvent> events_;
  int batch_depth_ = 0;
};

}  // namespace omniroute

#endif  // OMNIROUTE_ROUTER_H_
