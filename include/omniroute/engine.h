// The engine: the one facade a CRM embeds. Commands in, events out, deterministic.
//
//   absl::StatusOr<std::unique_ptr<omniroute::Engine>> engine =
//       omniroute::EngineFromJson(config_text);                  // config_json.h
//   (*engine)->AddAgent({.id = "a1", .skills = {{"billing", 5}}, .capacity = {{"chat", 3}},
//                        .queues = {{.queue = "billing"}}}, t);
//   (*engine)->SetAgentState("a1", omniroute::AgentState::kAvailable, t);
//   (*engine)->Submit({.id = "t1", .queue = "billing", .channel = "chat", .priority = "A",
//                      .requirement = {.must = {{"billing", 3}}}, .tier = "vip"}, t);
//   for (const omniroute::EngineEvent& e : (*engine)->PollEvents()) ...   // offered t1 to a1
//   (*engine)->Accept("t1", "a1", t);     // assigned
//   (*engine)->Respond("t1", t + absl::Minutes(2));
//   (*engine)->Resolve("t1", t + absl::Minutes(20));
//   (*engine)->Confirm("t1", t + absl::Hours(1));                              // closed
//
// The engine ties together the router (queues, agents, offers; router.h), the SLA tracker
// (sla_tracker.h), the work-item lifecycle (lifecycle.h) and escalation policies
// (escalation.h). Every command carries its instant `at`, which must not be before `now()`; the
// command first advances the engine to `at` (firing what is due), then applies. A refused
// command returns an error and changes nothing but time: what was due by `at` has fired.
//
// Work items.
// - Submit: the item is `queued` in its queue with its SLA clocks started (policy from the SLA
//   selector when configured, else the queue's `sla_policy`; none: no SLA) and its escalation
//   policy from the queue (or the default policy). It is routed at once (router.h): `offered`,
//   and with `auto_accept` `assigned`. A customer's next item gives the agent who last worked
//   for that customer first refusal for the queue's `preferred_agent_window`, while that agent
//   is logged in and serves the queue (an agent who logs out, is removed or leaves the queue
//   closes the window at once).
// - Accept / Reject answer an offer; an offer not answered within the queue's `offer_timeout`
//   (none unless configured) expires (`offer_expired`, then `requeued`).
// - Respond (agent response: first and next response met), CustomerMessage (starts a
//   next-response cycle; ends a "customer" pause), Pause / Resume (`pending_customer`; the SLA
//   clocks the reason pauses stop counting), Resolve (frees the agent, stops resolution),
//   Confirm (`closed`), Reopen (`reopened`, queued again with its last agent preferred),
//   Transfer (to another queue, keeping its arrival for its place in the order; counted when it
//   was assigned, and then its wait in the new queue, for that queue's answer times and service
//   level, counts from the transfer, and its pauses end, each with a `resumed`), Cancel, Abandon
//   (the customer left a queued or offered item), Escalate (manual), Update (priority, tier,
//   tags, requirement, deadline).
// - A resolved item closes by itself after `auto_close_after` (event `closed`, detail
//   "quiet_period"); a queue's `follow_up` creates a new item `<id>/follow_up` in the named queue
//   that long after resolution (event `follow_up_created`).
// - Closed, cancelled and abandoned items are final: they leave the engine's item table (their
//   history stays in the KPIs), so their ids may be used again.
//
// Escalation: each item starts at level 0 of its policy. The policy is evaluated on submission,
// after each SLA warning or breach of the item, after a rejected or expired offer, a transfer, an
// update, a manual escalation, when the level's time limit passes or an SLA clock reaches what a
// `sla_remaining_below` rule or a `sla_warning` fraction the SLA policy does not warn at waits for
// (business time, so a pause moves that instant), and every `escalation_check_interval` for
// queue-KPI triggers (counted from the origin or the last reconfiguration; the checks pause while
// no item under such a policy is held, so that empty time costs nothing). Entering a level
// applies its actions atomically (priority — for routing; the SLA keeps the item's own priority —,
// queue, required skill, preferred agent, follow-up): the item is routed once, under all of them,
// whatever their order. Escalations at one instant take effect one after another, each seeing
// what the ones before it routed. Each emits `escalated` with the level, the trigger and the
// notified role.
//
// Determinism: the same configuration and command sequence give the same events and the same
// state, byte for byte. `Snapshot()` carries the configuration and the command journal with a
// digest of the state and of every event so far; `Engine::Restore` replays it and checks both.
//
// Errors: NotFound (unknown item, agent, queue, channel, skill in a closed catalog, priority
// label), AlreadyExists (duplicate ids), FailedPrecondition (the lifecycle or the router forbids
// the command, e.g. resolve a queued item, accept an offer made to another agent),
// InvalidArgument (bad arguments, `at` before now()).
//
// Thread safety: thread-compatible; see `ConcurrentEngine` for a locked wrapper.
#ifndef OMNIROUTE_ENGINE_H_
#define OMNIROUTE_ENGINE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "omniroute/agents.h"
#include "omniroute/calendar.h"
#include "omniroute/escalation.h"
#include "omniroute/lifecycle.h"
#include "omniroute/router.h"
#include "omniroute/skills.h"
#include "omniroute/sla.h"
#include "omniroute/work_queue.h"

namespace omniroute {

// A follow-up item created after resolution.
struct FollowUpSpec {
  absl::Duration after = absl::Hours(48);  // > 0
  std::string queue{};                     // the follow-up's queue
  std::string channel{};                   // empty: the resolved item's channel
};

// One queue of the engine.
struct EngineQueueSpec {
  std::string name{};
  Strategy strategy = Strategy::kLongestIdle;
  // The ordering; `priority_levels` is set from the engine's priorities.
  WorkQueueOptions order{};
  bool auto_accept = false;
  // How long an offer waits for Accept or Reject before it expires; by default it waits.
  absl::Duration offer_timeout = absl::InfiniteDuration();
  absl::Duration preferred_agent_window = absl::Seconds(60);
  // The SLA policy of its items when no selector is configured; empty: none.
  std::string sla_policy{};
  // Its items' escalation policy; empty: the engine's default policy (if any).
  std::string escalation_policy{};
  // The service-level threshold: answered within it counts as "in service level".
  absl::Duration service_level_threshold = absl::Seconds(20);
  std::optional<FollowUpSpec> follow_up{};
};

// The engine's whole configuration (config_json.h reads it from JSON; `source` keeps that text,
// which snapshots carry).
struct EngineConfig {
  // Priority labels, most urgent first; routing priority 0 is the first.
  std::vector<std::string> priorities = {"A", "B", "C"};
  std::map<std::string, BusinessCalendar, std::less<>> calendars{};
  // Skill names; empty: names are interned as agents and items use them.
  std::vector<std::string> skills{};
  // Empty: voice, chat and email, each of cost 1.
  std::vector<ChannelSpec> channels{};
  std::vector<SlaPolicy> sla_policies{};
  std::optional<SlaSelector> sla_selector{};
  std::vector<EscalationPolicySpec> escalation_policies{};
  // The policy of queues that name none; empty: none.
  std::string default_escalation_policy{};
  std::vector<EngineQueueSpec> queues{};
  AgentPoolOptions agent_options{};
  bool away_on_missed_offer = true;
  // A resolved item closes by itself after this long; InfiniteDuration: only on confirmation.
  absl::Duration auto_close_after = absl::InfiniteDuration();
  // The answered-within thresholds of `QueueStats::answered_within`, ascending.
  std::vector<absl::Duration> service_level_splits = {absl::Seconds(10),  absl::Seconds(20),
                                                      absl::Seconds(30),  absl::Seconds(60),
                                                      absl::Seconds(120), absl::Seconds(300)};
  // The window of the recent service rate behind the expected wait.
  absl::Duration expected_wait_window = absl::Minutes(15);
  // How often queue-KPI escalation triggers are checked; at least 1 second (InvalidArgument).
  absl::Duration escalation_check_interval = absl::Seconds(60);
  // The engine's clock starts here.
  absl::Time origin = absl::UnixEpoch();
  // The text this configuration was read from; snapshots and the journal carry it.
  std::string source{};
};

// A queue in an agent's routing profile, by name.
struct EngineQueueRef {
  std::string queue{};
  int priority = 0;
  absl::Duration delay = absl::ZeroDuration();

  friend bool operator==(const EngineQueueRef&, const EngineQueueRef&) = default;
};

struct EngineAgentSpec {
  std::string id{};
  std::map<std::string, int> skills{};  // name -> level 1-100
  // Concurrent items per channel name; channels not listed are not taken.
  std::map<std::string, int> capacity{};
  // Capacity units; omitted: every listed channel at its limit at once.
  std::optional<int> budget{};
  std::vector<EngineQueueRef> queues{};

  friend bool operator==(const EngineAgentSpec&, const EngineAgentSpec&) = default;
};

struct EngineItemSpec {
  std::string id{};
  std::string queue{};
  std::string channel{};
  std::string priority{};  // a label; empty: the least urgent
  NamedRequirement requirement{};
  std::string tier{};
  std::vector<std::string> tags{};
  std::string customer{};
  // When the work began, for its SLA clocks (a retroactive start); omitted: the command time.
  std::optional<absl::Time> created{};
  // For deadline_first queues.
  absl::Time deadline = absl::InfiniteFuture();

  friend bool operator==(const EngineItemSpec&, const EngineItemSpec&) = default;
};

// What `Update` changes; omitted fields stay.
struct EngineItemUpdate {
  std::optional<std::string> priority{};
  std::optional<std::string> tier{};
  std::optional<std::vector<std::string>> tags{};  // replaces the tags
  std::optional<NamedRequirement> requirement{};
  std::optional<absl::Time> deadline{};

  friend bool operator==(const EngineItemUpdate&, const EngineItemUpdate&) = default;
};

enum class EngineEventKind : uint8_t {
  kQueued,
  kOffered,
  kAssigned,
  kRejected,
  kOfferExpired,
  kRequeued,
  kRequirementRelaxed,
  kSlaWarning,
  kSlaBreached,
  kSlaMet,
  kEscalated,
  kTransferred,
  kPendingCustomer,
  kResumed,
  kResolved,
  kClosed,
  kReopened,
  kAbandoned,
  kCancelled,
  kFollowUpCreated,
  kAgentState,
};
// "queued", "offered", "assigned", "rejected", "offer_expired", "requeued",
// "requirement_relaxed", "sla_warning", "sla_breached", "sla_met", "escalated", "transferred",
// "pending_customer", "resumed", "resolved", "closed", "reopened", "abandoned", "cancelled",
// "follow_up_created", "agent_state".
std::string_view EngineEventKindName(EngineEventKind kind);
inline std::ostream& operator<<(std::ostream& os, EngineEventKind k) {
  return os << EngineEventKindName(k);
}

// Something that happened. Fields a kind does not use are empty.
struct EngineEvent {
  EngineEventKind kind = EngineEventKind::kQueued;
  absl::Time at;
  std::string item{};
  std::string agent{};  // offers, assignments, agent_state
  std::string queue{};  // the item's queue (transferred: the new one)
  // SLA events.
  std::optional<SlaMetric> metric{};
  double fraction = 0;
  bool late = false;
  // escalated: the levels, the trigger kind's name and the notified role.
  int from_level = 0;
  int level = 0;
  std::string trigger{};
  std::string target{};
  // agent_state: the new state and reason ("away:lunch"), for every change: by SetAgentState,
  // RemoveAgent ("offline:removed"), and those the engine makes itself ("away:missed_offer",
  // "away:missed_offers", "wrap_up" when resolved work starts one, "available" when it ends);
  // closed: "confirmed" or "quiet_period"; transferred: the old queue; follow_up_created: the
  // resolved item.
  std::string detail{};

  friend bool operator==(const EngineEvent&, const EngineEvent&) = default;
};

struct SlaClockView {
  SlaMetric metric = SlaMetric::kFirstResponse;
  SlaState state = SlaState::kRunning;
  absl::Time start{};
  absl::Time deadline{};  // InfiniteFuture while paused or stopped
  absl::Duration target{};
  absl::Duration elapsed{};  // business time so far
};

struct EngineItemView {
  std::string id{};
  ItemState state = ItemState::kQueued;
  std::string queue{};
  std::string channel{};
  std::string priority{};  // the SLA priority label
  int routing_priority = 0;
  std::string tier{};
  std::vector<std::string> tags{};
  std::string customer{};
  std::string agent{};  // offered to / assigned to / resolved by
  absl::Time created{};
  std::string escalation_policy{};
  int level = 0;
  std::string level_name{};
  int transfers = 0;
  int reopens = 0;
  int rejected_offers = 0;
  // Queued: 0-based place in its queue.
  std::optional<size_t> position{};
  std::vector<SlaClockView> sla{};
};

struct EngineAgentView {
  std::string id{};
  AgentState state = AgentState::kOffline;
  std::string away_reason{};
  std::map<std::string, int> load{};  // items per channel, offers included
  int used_units = 0;
  int budget = 0;
  std::vector<std::string> assigned{};
  std::vector<std::string> offered{};
  uint64_t handled = 0;
  absl::Duration estimated_time_until_free{};
  std::vector<std::string> queues{};
};

// A queue's live view and counters since the engine started.
struct QueueStats {
  std::string name{};
  size_t waiting = 0;
  absl::Duration longest_wait{};
  std::vector<size_t> waiting_by_priority{};  // per priority label, most urgent first
  uint64_t arrived = 0;                       // submitted, reopened or transferred into it
  uint64_t answered = 0;                      // assigned from it
  uint64_t abandoned = 0;
  uint64_t abandoned_after_threshold = 0;
  uint64_t answered_within_threshold = 0;
  // Answered within / (answered + abandoned after the threshold); 1 before any.
  double service_level = 1.0;
  // Per `EngineConfig::service_level_splits`: (threshold, answered within it).
  std::vector<std::pair<absl::Duration, uint64_t>> answered_within{};
  absl::Duration average_wait_answered{};
  size_t agents_staffed = 0;    // logged in (not offline) and serving it
  size_t agents_available = 0;  // available with room for some channel
  // The expected wait of a new arrival: zero when nobody waits and an agent of the queue is
  // available with room (as `agents_available` counts); (waiting + 1) / recent service rate
  // otherwise; InfiniteDuration without recent service.
  absl::Duration expected_wait{};
  double service_rate_per_hour = 0;
};

struct EngineKpis {
  uint64_t submitted = 0;
  uint64_t answered = 0;
  uint64_t first_responses = 0;
  absl::Duration average_first_response{};  // AFR: wall time from creation
  uint64_t resolved = 0;                    // resolutions, reopened ones again
  absl::Duration average_resolution{};      // ART: wall time from creation, first resolutions
  // First resolutions with no transfer and not reopened since, over first resolutions.
  double first_contact_resolution = 1.0;
  // SLA cycles met on time over cycles with a verdict, all policies and metrics.
  double on_time = 1.0;
  uint64_t abandoned = 0;
  double abandonment_rate = 0;  // abandoned / (abandoned + answered)
  // Assigned or pending work moved to another queue, by Transfer or an escalation's move.
  uint64_t transfers = 0;
  uint64_t reopened = 0;
  uint64_t closed = 0;
  uint64_t cancelled = 0;
  // (policy, level name) -> escalations into it.
  std::map<std::pair<std::string, std::string>, uint64_t> escalations;
};

// Parses a configuration's `source` back into a config (config_json.h provides one).
using EngineConfigLoader = std::function<absl::StatusOr<EngineConfig>(std::string_view)>;

enum class EngineCommandKind : uint8_t {
  kAddAgent,
  kRemoveAgent,
  kUpdateAgent,
  kSetAgentState,
  kSubmit,
  kUpdate,
  kAccept,
  kReject,
  kRespond,
  kCustomerMessage,
  kPause,
  kResume,
  kResolve,
  kConfirm,
  kReopen,
  kTransfer,
  kEscalate,
  kCancel,
  kAbandon,
  kAdvanceTo,
  kReconfigure,
};
inline constexpr int kEngineCommandKindCount = 21;
// "add_agent", "remove_agent", "update_agent", "set_agent_state", "submit", "update", "accept",
// "reject", "respond", "customer_message", "pause", "resume", "resolve", "confirm", "reopen",
// "transfer", "escalate", "cancel", "abandon", "advance_to", "reconfigure".
std::string_view EngineCommandKindName(EngineCommandKind kind);
absl::StatusOr<EngineCommandKind> ParseEngineCommandKind(std::string_view name);
inline std::ostream& operator<<(std::ostream& os, EngineCommandKind k) {
  return os << EngineCommandKindName(k);
}

// A command as a value: what the journal records, and what a host may queue, log or forward
// before applying it with `Engine::Apply`. Fields the kind does not use are ignored.
struct EngineCommand {
  EngineCommandKind kind = EngineCommandKind::kAdvanceTo;
  absl::Time at{};
  std::string item{};   // item commands
  std::string agent{};  // remove_agent, set_agent_state, accept, reject
  // set_agent_state, pause, resume: the reason; transfer: the queue; reconfigure: the
  // configuration text.
  std::string text{};
  AgentState state = AgentState::kAvailable;  // set_agent_state
  EngineAgentSpec agent_spec{};               // add_agent, update_agent
  EngineItemSpec item_spec{};                 // submit
  EngineItemUpdate update{};                  // update

  friend bool operator==(const EngineCommand&, const EngineCommand&) = default;
};

class Engine {
 public:
  // Validates the whole configuration: unknown calendars, policies, queues, skills (in a closed
  // catalog), channels, priorities (also those `sla_selector` rules name, which could never
  // match otherwise); duplicate names (skills too); invalid options. InvalidArgument / NotFound,
  // the message starting with the path of the offending value (`channels[1].cost: ...`).
  static absl::StatusOr<std::unique_ptr<Engine>> Create(EngineConfig config);
  // The engine a snapshot describes, behaving exactly as the snapshotted one from there on: its
  // current configuration read by `load`, its state loaded and checked (every part naming the
  // others consistently) and its state and event digest compared; the journal is carried on.
  // Snapshots of earlier builds restore too: formats 5 (the same parts, with a slower checksum)
  // and 4 (with a digest in item order as well) load their state, format 3 replays its journal.
  // InvalidArgument for a truncated, corrupt or foreign snapshot, an unsupported version, or a
  // state that does not fit the configuration `load` gives; DataLoss when the loaded or replayed
  // state misses the digest. O(state) for formats 4 to 6, O(journal) for format 3.
  static absl::StatusOr<std::unique_ptr<Engine>> Restore(std::string_view snapshot,
                                                         const EngineConfigLoader& load);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Agents.
  absl::Status AddAgent(const EngineAgentSpec& agent, absl::Time at);
  // Withdraws its offers: each item enters its queue again (`queued`) and is routed, and windows
  // the agent held for customers' items close. FailedPrecondition while it holds assigned work.
  absl::Status RemoveAgent(std::string_view agent, absl::Time at);
  // Replaces skills, capacity, budget and queues, all of them: what `agent` leaves empty is empty
  // after (and an omitted budget is the default of the new capacity). To change some, start from
  // `AgentSpec`.
  absl::Status UpdateAgent(const EngineAgentSpec& agent, absl::Time at);
  absl::Status SetAgentState(std::string_view agent, AgentState state, absl::Time at,
                             std::string_view reason = "");

  // Work items (see the file comment).
  absl::Status Submit(const EngineItemSpec& item, absl::Time at);
  absl::Status Update(std::string_view item, const EngineItemUpdate& update, absl::Time at);
  absl::Status Accept(std::string_view item, std::string_view agent, absl::Time at);
  absl::Status Reject(std::string_view item, std::string_view agent, absl::Time at);
  absl::Status Respond(std::string_view item, absl::Time at);
  absl::Status CustomerMessage(std::string_view item, absl::Time at);
  absl::Status Pause(std::string_view item, absl::Time at, std::string_view reason = "customer");
  absl::Status Resume(std::string_view item, absl::Time at, std::string_view reason = "customer");
  absl::Status Resolve(std::string_view item, absl::Time at);
  absl::Status Confirm(std::string_view item, absl::Time at);
  absl::Status Reopen(std::string_view item, absl::Time at);
  absl::Status Transfer(std::string_view item, std::string_view queue, absl::Time at);
  absl::Status Escalate(std::string_view item, absl::Time at);
  absl::Status Cancel(std::string_view item, absl::Time at);
  absl::Status Abandon(std::string_view item, absl::Time at);
  // Moves time to `now`, firing offers' timeouts, SLA warnings and breaches, escalations,
  // auto-closes and follow-ups in time order.
  absl::Status AdvanceTo(absl::Time now);

  // Applies `command` exactly as the method of its kind; a reconfiguration reads `text` with
  // `load` (InvalidArgument without one).
  absl::Status Apply(const EngineCommand& command, const EngineConfigLoader& load = nullptr);

  // Live reconfiguration (see the README for what changes mean for work in flight): queues may be
  // added and their strategy, timeouts, policies, service level and follow-up changed; SLA
  // policies (re-targeted from each item's original start), calendars, escalation policies (items
  // keep their level, clamped to the new last one), the selector and the lifecycle options may
  // change (a new `auto_close_after` applies to items resolved from then on; those resolved
  // before close when their quiet period, as it was, ends). A queue or an SLA policy may not be
  // removed (used or not), nor a queue's order, priorities or channels changed
  // (FailedPrecondition); the engine keeps its origin, whatever `config.origin` says. Invalid new
  // configuration is refused whole.
  absl::Status Reconfigure(EngineConfig config, absl::Time at);

  // The events since the last call, oldest first.
  std::vector<EngineEvent> PollEvents();
  // Same, into `buffer` (cleared first), whose storage the engine then reuses: the loop form for
  // hosts that poll after every few commands.
  void PollEvents(std::vector<EngineEvent>& buffer);
  // Every event goes to `sink` as it happens instead of waiting for `PollEvents` (nullptr: back
  // to `PollEvents`). Events already waiting stay there. The sink runs inside the command that
  // caused the event: it must not call the engine (record what to do, and do it afterwards).
  void SetEventSink(std::function<void(const EngineEvent&)> sink);

  absl::Time now() const;
  absl::StatusOr<EngineItemView> Item(std::string_view item) const;
  absl::StatusOr<EngineAgentView> Agent(std::string_view agent) const;
  // The agent's profile as the spec that gives it: skills, the channels it takes, queues in its
  // order with their priorities and delays, and the budget when it is not its capacity's default
  // (so that a spec changed in its capacity alone gets the new default). `UpdateAgent` of it
  // changes nothing. NotFound for an unknown agent. O(skills + channels + queues).
  absl::StatusOr<EngineAgentSpec> AgentSpec(std::string_view agent) const;
  absl::StatusOr<QueueStats> Queue(std::string_view queue) const;
  std::vector<std::string> QueueNames() const;
  EngineKpis Kpis() const;
  // Every agent's standing for an open item (router.h `Candidate`, by agent id): who would be
  // offered a queued one and why the others would not; who holds an offered or assigned one.
  // NotFound for an unknown item, FailedPrecondition for one not in a queue (paused, resolved).
  absl::StatusOr<std::vector<std::pair<std::string, Candidate>>> Explain(
      std::string_view item) const;
  size_t item_count() const;
  size_t agent_count() const;
  // The agents the engine holds (removed ones left out), in its stable internal order (a removed
  // agent's place may go to an agent added later). O(agents).
  std::vector<std::string> AgentIds() const;
  // The items the engine holds: every open item and resolved ones not yet closed (closed,
  // abandoned and cancelled items are forgotten), sorted by id. O(n log n).
  std::vector<std::string> ItemIds() const;
  const EngineConfig& config() const;

  // The versioned snapshot (format 6): the configuration the engine started from, the journal,
  // the state and event digest, the current configuration and the engine's whole state (records,
  // queues, agents, SLA clocks, timers, counters). Events not yet polled are not included.
  // O(state + journal).
  std::string Snapshot() const;
  // The commands applied so far, serialised (what `Snapshot` carries). A refused command adds an
  // `AdvanceTo` of its instant when it moved time (or fired or drained anything), else nothing.
  std::string Journal() const;
  // A digest of the whole observable state and of every event emitted: equal engines give equal
  // digests. Items are hashed one by one and their hashes summed, so the digest walks records,
  // queues and clocks in storage order. Builds that wrote formats 3 and 4 computed it otherwise:
  // compare digests of one build. O(items + agents + queues).
  uint64_t StateDigest() const;
  // Replays `journal` on an engine built from `config` (commands refused on replay are errors).
  static absl::StatusOr<std::unique_ptr<Engine>> Replay(EngineConfig config,
                                                        std::string_view journal,
                                                        const EngineConfigLoader& load);

  // Estimated memory of the engine's tables, in bytes: item records and their id index, the
  // requirement plans items share, each customer's last agent, the router's item records, the
  // queues, the agents, the SLA clocks and the timers. Leaves out events not yet polled and the
  // journal, which the process's resident set shows. O(items + agents + queues + customers).
  size_t MemoryBytes() const;

 private:
  class Impl;
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A thread-safe wrapper: every call takes one lock, so commands from many threads are applied
// one at a time in the order they acquire it.
class ConcurrentEngine {
 public:
  explicit ConcurrentEngine(std::unique_ptr<Engine> engine) : engine_(std::move(engine)) {}

  // Runs `f(Engine&)` under the lock and returns its result: any command or view.
  template <typename F>
  auto With(F&& f) {
    std::lock_guard<std::mutex> lock(mu_);
    return f(*engine_);
  }
  absl::Status Submit(const EngineItemSpec& item, absl::Time at) {
    return With([&](Engine& e) { return e.Submit(item, at); });
  }
  absl::Status Accept(std::string_view item, std::string_view agent, absl::Time at) {
    return With([&](Engine& e) { return e.Accept(item, agent, at); });
  }
  absl::Status Resolve(std::string_view item, absl::Time at) {
    return With([&](Engine& e) { return e.Resolve(item, at); });
  }
  absl::Status AdvanceTo(absl::Time now) {
    return With([&](Engine& e) { return e.AdvanceTo(now); });
  }
  std::vector<EngineEvent> PollEvents() {
    return With([](Engine& e) { return e.PollEvents(); });
  }

 private:
  // A standard mutex, which ThreadSanitizer sees through whatever the build of the libraries.
  std::mutex mu_;
  std::unique_ptr<Engine> engine_;  // guarded by mu_
};

}  // namespace omniroute

#endif  // OMNIROUTE_ENGINE_H_
