#include "omniroute/engine.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <deque>
#include <numeric>
#include <set>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "internal/byte_codec.h"
#include "internal/enum_names.h"
#include "internal/events.h"
#include "internal/memory_bytes.h"
#include "internal/snapshot_checksum.h"
#include "internal/state_codec.h"
#include "internal/status_macros.h"
#include "omniroute/sla_tracker.h"
#include "omniroute/timer_wheel.h"

namespace omniroute {
namespace {

using internal::ByteReader;
using internal::ByteWriter;
using internal::StableHash;

constexpr std::array<std::string_view, 21> kEventKindNames = {"queued",
                                                              "offered",
                                                              "assigned",
                                                              "rejected",
                                                              "offer_expired",
                                                              "requeued",
                                                              "requirement_relaxed",
                                                              "sla_warning",
                                                              "sla_breached",
                                                              "sla_met",
                                                              "escalated",
                                                              "transferred",
                                                              "pending_customer",
                                                              "resumed",
                                                              "resolved",
                                                              "closed",
                                                              "reopened",
                                                              "abandoned",
                                                              "cancelled",
                                                              "follow_up_created",
                                                              "agent_state"};

constexpr std::string_view kSnapshotMagic = "OMNIROUTE-SNAPSHOT";
// Format 6 carries the engine's state, which a restore loads, and its StateDigest. Format 5 had the
// same layout and another checksum (internal::SnapshotChecksum); format 4 had that of 5 with the
// digest of OrderedStateDigest; format 3 carried only the journal, which a restore replays, and
// that same digest.
constexpr uint32_t kSnapshotVersion = 6;
constexpr uint32_t kOrderedDigestSnapshotVersion = 4;
constexpr uint32_t kReplayedSnapshotVersion = 3;

constexpr std::array<std::string_view, kEngineCommandKindCount> kCommandKindNames = {
    "add_agent", "remove_agent", "update_agent", "set_agent_state",  "submit",   "update",
    "accept",    "reject",       "respond",      "customer_message", "pause",    "resume",
    "resolve",   "confirm",      "reopen",       "transfer",         "escalate", "cancel",
    "abandon",   "advance_to",   "reconfigure"};

// Journal records start with a code: a command's kind + 1 (never renumbered), or this one for a
// skill name the catalog interned.
constexpr uint8_t kInternSkillCode = 0x40;

absl::Status UnknownItem(std::string_view id) {
  return absl::NotFoundError(absl::StrCat("unknown item \"", std::string(id), "\""));
}
absl::Status UnknownAgent(std::string_view id) {
  return absl::NotFoundError(absl::StrCat("unknown agent \"", std::string(id), "\""));
}
absl::Status UnknownQueue(std::string_view id) {
  return absl::NotFoundError(absl::StrCat("unknown queue \"", std::string(id), "\""));
}

void WriteRequirement(ByteWriter& w, const NamedRequirement& r) {
  w.Var(r.must.size());
  for (const auto& [name, level] : r.must) {
    w.Str(name);
    w.Int(level);
  }
  w.Var(r.preferred.size());
  for (const auto& [name, weight] : r.preferred) {
    w.Str(name);
    uint64_t bits;
    static_assert(sizeof bits == sizeof weight);
    std::memcpy(&bits, &weight, sizeof bits);
    w.U64(bits);
  }
  w.Var(r.excluded.size());
  for (const std::string& name : r.excluded) w.Str(name);
  w.Var(r.steps.size());
  for (const NamedRelaxationStep& s : r.steps) {
    w.Duration(s.after);
    w.U8(static_cast<uint8_t>(s.kind));
    w.Str(s.skill);
    w.Str(s.alternative);
    w.Int(s.level);
  }
}

void WriteStrings(ByteWriter& w, const std::vector<std::string>& list) {
  w.Var(list.size());
  for (const std::string& s : list) w.Str(s);
}

// Reads a string into `field`, reusing its storage: a replay decodes every command into one
// record.
absl::Status ReadInto(ByteReader& r, std::string& field) {
  OMNIROUTE_ASSIGN_OR_RETURN(const std::string_view text, r.StrView());
  field.assign(text);
  return absl::OkStatus();
}

absl::Status ReadStrings(ByteReader& r, std::vector<std::string>& list) {
  OMNIROUTE_ASSIGN_OR_RETURN(uint64_t n, r.Var());
  // Each string takes at least its length byte: a corrupt count cannot make this reserve more
  // than the journal's size.
  if (n > r.remaining()) return r.Malformed("string list");
  list.resize(n);
  for (std::string& s : list) OMNIROUTE_RETURN_IF_ERROR(ReadInto(r, s));
  return absl::OkStatus();
}

absl::Status ReadRequirement(ByteReader& r, NamedRequirement& req) {
  req.must.clear();
  req.preferred.clear();
  OMNIROUTE_ASSIGN_OR_RETURN(uint64_t must, r.Var());
  for (uint64_t i = 0; i < must; ++i) {
    OMNIROUTE_ASSIGN_OR_RETURN(const std::string_view name, r.StrView());
    OMNIROUTE_ASSIGN_OR_RETURN(int64_t level, r.Int());
    req.must[std::string(name)] = static_cast<int>(level);
  }
  OMNIROUTE_ASSIGN_OR_RETURN(uint64_t preferred, r.Var());
  for (uint64_t i = 0; i < preferred; ++i) {
    OMNIROUTE_ASSIGN_OR_RETURN(const std::string_view name, r.StrView());
    OMNIROUTE_ASSIGN_OR_RETURN(uint64_t bits, r.U64());
    double weight;
    std::memcpy(&weight, &bits, sizeof weight);
    req.preferred[std::string(name)] = weight;
  }
  OMNIROUTE_RETURN_IF_ERROR(ReadStrings(r, req.excluded));
  OMNIROUTE_ASSIGN_OR_RETURN(uint64_t steps, r.Var());
  req.steps.clear();
  for (uint64_t i = 0; i < steps; ++i) {
    NamedRelaxationStep step;
    OMNIROUTE_ASSIGN_OR_RETURN(step.after, r.Duration());
    OMNIROUTE_ASSIGN_OR_RETURN(uint8_t kind, r.U8());
    if (kind > static_cast<uint8_t>(RelaxationKind::kWiden)) return r.Malformed("relaxation");
    step.kind = static_cast<RelaxationKind>(kind);
    OMNIROUTE_ASSIGN_OR_RETURN(step.skill, r.Str());
    OMNIROUTE_ASSIGN_OR_RETURN(step.alternative, r.Str());
    OMNIROUTE_ASSIGN_OR_RETURN(int64_t level, r.Int());
    step.level = static_cast<int>(level);
    req.steps.push_back(std::move(step));
  }
  return absl::OkStatus();
}

void WriteAgent(ByteWriter& w, const EngineAgentSpec& a) {
  w.Str(a.id);
  w.Var(a.skills.size());
  for (const auto& [name, level] : a.skills) {
    w.Str(name);
    w.Int(level);
  }
  w.Var(a.capacity.size());
  for (const auto& [name, limit] : a.capacity) {
    w.Str(name);
    w.Int(limit);
  }
  w.U8(a.budget.has_value());
  if (a.budget) w.Int(*a.budget);
  w.Var(a.queues.size());
  for (const EngineQueueRef& q : a.queues) {
    w.Str(q.queue);
    w.Int(q.priority);
    w.Duration(q.delay);
  }
}

absl::StatusOr<EngineAgentSpec> ReadAgent(ByteReader& r) {
  EngineAgentSpec a;
  OMNIROUTE_ASSIGN_OR_RETURN(a.id, r.Str());
  OMNIROUTE_ASSIGN_OR_RETURN(uint64_t skills, r.Var());
  for (uint64_t i = 0; i < skills; ++i) {
    OMNIROUTE_ASSIGN_OR_RETURN(std::string name, r.Str());
    OMNIROUTE_ASSIGN_OR_RETURN(int64_t level, r.Int());
    a.skills[name] = static_cast<int>(level);
  }
  OMNIROUTE_ASSIGN_OR_RETURN(uint64_t capacity, r.Var());
  for (uint64_t i = 0; i < capacity; ++i) {
    OMNIROUTE_ASSIGN_OR_RETURN(std::string name, r.Str());
    OMNIROUTE_ASSIGN_OR_RETURN(int64_t limit, r.Int());
    a.capacity[name] = static_cast<int>(limit);
  }
  OMNIROUTE_ASSIGN_OR_RETURN(uint8_t has_budget, r.U8());
  if (has_budget) {
    OMNIROUTE_ASSIGN_OR_RETURN(int64_t budget, r.Int());
    a.budget = static_cast<int>(budget);
  }
  OMNIROUTE_ASSIGN_OR_RETURN(uint64_t queues, r.Var());
  for (uint64_t i = 0; i < queues; ++i) {
    EngineQueueRef q;
    OMNIROUTE_ASSIGN_OR_RETURN(q.queue, r.Str());
    OMNIROUTE_ASSIGN_OR_RETURN(int64_t priority, r.Int());
    q.priority = static_cast<int>(priority);
    OMNIROUTE_ASSIGN_OR_RETURN(q.delay, r.Duration());
    a.queues.push_back(std::move(q));
  }
  return a;
}

void WriteItem(ByteWriter& w, const EngineItemSpec& item) {
  w.Str(item.id);
  w.Str(item.queue);
  w.Str(item.channel);
  w.Str(item.priority);
  WriteRequirement(w, item.requirement);
  w.Str(item.tier);
  WriteStrings(w, item.tags);
  w.Str(item.customer);
  w.U8(item.created.has_value());
  if (item.created) w.Time(*item.created);
  w.Time(item.deadline);
}

// Overwrites every field of `item`.
absl::Status ReadItem(ByteReader& r, EngineItemSpec& item) {
  OMNIROUTE_RETURN_IF_ERROR(ReadInto(r, item.id));
  OMNIROUTE_RETURN_IF_ERROR(ReadInto(r, item.queue));
  OMNIROUTE_RETURN_IF_ERROR(ReadInto(r, item.channel));
  OMNIROUTE_RETURN_IF_ERROR(ReadInto(r, item.priority));
  OMNIROUTE_RETURN_IF_ERROR(ReadRequirement(r, item.requirement));
  OMNIROUTE_RETURN_IF_ERROR(ReadInto(r, item.tier));
  OMNIROUTE_RETURN_IF_ERROR(ReadStrings(r, item.tags));
  OMNIROUTE_RETURN_IF_ERROR(ReadInto(r, item.customer));
  OMNIROUTE_ASSIGN_OR_RETURN(uint8_t has_created, r.U8());
  item.created.reset();
  if (has_created) {
    OMNIROUTE_ASSIGN_OR_RETURN(absl::Time created, r.Time());
    item.created = created;
  }
  OMNIROUTE_ASSIGN_OR_RETURN(item.deadline, r.Time());
  return absl::OkStatus();
}

void WriteUpdate(ByteWriter& w, const EngineItemUpdate& u) {
  w.U8(u.priority.has_value());
  if (u.priority) w.Str(*u.priority);
  w.U8(u.tier.has_value());
  if (u.tier) w.Str(*u.tier);
  w.U8(u.tags.has_value());
  if (u.tags) WriteStrings(w, *u.tags);
  w.U8(u.requirement.has_value());
  if (u.requirement) WriteRequirement(w, *u.requirement);
  w.U8(u.deadline.has_value());
  if (u.deadline) w.Time(*u.deadline);
}

absl::StatusOr<EngineItemUpdate> ReadUpdate(ByteReader& r) {
  EngineItemUpdate u;
  OMNIROUTE_ASSIGN_OR_RETURN(uint8_t has, r.U8());
  if (has) {
    OMNIROUTE_ASSIGN_OR_RETURN(std::string priority, r.Str());
    u.priority = std::move(priority);
  }
  OMNIROUTE_ASSIGN_OR_RETURN(has, r.U8());
  if (has) {
    OMNIROUTE_ASSIGN_OR_RETURN(std::string tier, r.Str());
    u.tier = std::move(tier);
  }
  OMNIROUTE_ASSIGN_OR_RETURN(has, r.U8());
  if (has) {
    OMNIROUTE_RETURN_IF_ERROR(ReadStrings(r, u.tags.emplace()));
  }
  OMNIROUTE_ASSIGN_OR_RETURN(has, r.U8());
  if (has) {
    OMNIROUTE_RETURN_IF_ERROR(ReadRequirement(r, u.requirement.emplace()));
  }
  OMNIROUTE_ASSIGN_OR_RETURN(has, r.U8());
  if (has) {
    OMNIROUTE_ASSIGN_OR_RETURN(absl::Time deadline, r.Time());
    u.deadline = deadline;
  }
  return u;
}

// The fields of `c` its kind uses (the kind and instant are written before).
void WriteCommand(ByteWriter& w, const EngineCommand& c) {
  switch (c.kind) {
    case EngineCommandKind::kAddAgent:
    case EngineCommandKind::kUpdateAgent:
      WriteAgent(w, c.agent_spec);
      return;
    case EngineCommandKind::kRemoveAgent:
      w.Str(c.agent);
      return;
    case EngineCommandKind::kSetAgentState:
      w.Str(c.agent);
      w.U8(static_cast<uint8_t>(c.state));
      w.Str(c.text);
      return;
    case EngineCommandKind::kSubmit:
      WriteItem(w, c.item_spec);
      return;
    case EngineCommandKind::kUpdate:
      w.Str(c.item);
      WriteUpdate(w, c.update);
      return;
    case EngineCommandKind::kAccept:
    case EngineCommandKind::kReject:
      w.Str(c.item);
      w.Str(c.agent);
      return;
    case EngineCommandKind::kPause:
    case EngineCommandKind::kResume:
    case EngineCommandKind::kTransfer:
      w.Str(c.item);
      w.Str(c.text);
      return;
    case EngineCommandKind::kReconfigure:
      w.Str(c.text);
      return;
    case EngineCommandKind::kAdvanceTo:
      return;
    default:
      w.Str(c.item);
      return;
  }
}

// The inverse of WriteCommand for `c.kind`: sets the fields that kind uses, reusing their storage.
absl::Status ReadCommand(ByteReader& r, EngineCommand& c) {
  const auto read = [&r](std::string& field) { return ReadInto(r, field); };
  switch (c.kind) {
    case EngineCommandKind::kAddAgent:
    case EngineCommandKind::kUpdateAgent: {
      OMNIROUTE_ASSIGN_OR_RETURN(c.agent_spec, ReadAgent(r));
      return absl::OkStatus();
    }
    case EngineCommandKind::kRemoveAgent:
      return read(c.agent);
    case EngineCommandKind::kSetAgentState: {
      OMNIROUTE_RETURN_IF_ERROR(read(c.agent));
      OMNIROUTE_ASSIGN_OR_RETURN(const uint8_t state, r.U8());
      if (state > static_cast<uint8_t>(AgentState::kWrapUp)) return r.Malformed("agent state");
      c.state = static_cast<AgentState>(state);
      return read(c.text);
    }
    case EngineCommandKind::kSubmit:
      return ReadItem(r, c.item_spec);
    case EngineCommandKind::kUpdate: {
      OMNIROUTE_RETURN_IF_ERROR(read(c.item));
      OMNIROUTE_ASSIGN_OR_RETURN(c.update, ReadUpdate(r));
      return absl::OkStatus();
    }
    case EngineCommandKind::kAccept:
    case EngineCommandKind::kReject:
      OMNIROUTE_RETURN_IF_ERROR(read(c.item));
      return read(c.agent);
    case EngineCommandKind::kPause:
    case EngineCommandKind::kResume:
    case EngineCommandKind::kTransfer:
      OMNIROUTE_RETURN_IF_ERROR(read(c.item));
      return read(c.text);
    case EngineCommandKind::kReconfigure:
      return read(c.text);
    case EngineCommandKind::kAdvanceTo:
      return absl::OkStatus();
    default:
      return read(c.item);
  }
}

bool WorkOpen(ItemState s) {
  return s == ItemState::kQueued || s == ItemState::kOffered || s == ItemState::kAssigned ||
         s == ItemState::kPendingCustomer;
}

// The skill names a requirement names: must-haves, preferences, exclusions and relaxation steps.
std::vector<std::string_view> SkillNames(const NamedRequirement& r) {
  std::vector<std::string_view> names;
  for (const auto& [name, level] : r.must) names.push_back(name);
  for (const auto& [name, weight] : r.preferred) names.push_back(name);
  for (const std::string& name : r.excluded) names.push_back(name);
  for (const NamedRelaxationStep& s : r.steps) {
    names.push_back(s.skill);
    if (s.kind == RelaxationKind::kWiden) names.push_back(s.alternative);
  }
  return names;
}

struct FollowUpTask {
  EngineItemSpec item;
  std::string parent;
};

// The sizes of an engine's large tables, which a format-3 snapshot records so that a restore
// reserves them before replaying: the replay then neither rehashes nor moves what it builds.
struct CapacityHints {
  uint64_t items = 0;    // records held
  uint64_t routed = 0;   // items the router holds
  uint64_t tracked = 0;  // items with SLA clocks
  uint64_t agents = 0;
  std::vector<std::pair<std::string, uint64_t>> waiting{};  // by queue name, queues with items
};

// Every size is capped at `limit`: a hint that no journal of that length could have produced
// (a corrupt snapshot) must not make the restore reserve without bound.
absl::StatusOr<CapacityHints> ReadCapacityHints(ByteReader& r, uint64_t limit) {
  CapacityHints hints;
  for (uint64_t* size : {&hints.items, &hints.routed, &hints.tracked, &hints.agents}) {
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t value, r.Var());
    *size = std::min(value, limit);
  }
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t queues, r.Var());
  for (uint64_t i = 0; i < queues; ++i) {
    OMNIROUTE_ASSIGN_OR_RETURN(std::string queue, r.Str());
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t waiting, r.Var());
    hints.waiting.emplace_back(std::move(queue), std::min(waiting, limit));
  }
  return hints;
}

}  // namespace

class Engine::Impl {
 public:
  // One work item.
  // A requirement as written (escalation may add to it) and its plan, one object that equal
  // requirements share; null for no requirement, as for most items.
  struct PlannedRequirement {
    NamedRequirement named;
    RequirementPlan plan;
  };
  using Planned = std::shared_ptr<const PlannedRequirement>;
  // The plan the router and the queues hold, sharing the requirement's ownership.
  static std::shared_ptr<const RequirementPlan> PlanOf(const Planned& planned) {
    if (planned == nullptr) return nullptr;
    return std::shared_ptr<const RequirementPlan>(planned, &planned->plan);
  }

  // What few items carry, kept out of line.
  struct Labels {
    std::string tier{};
    std::vector<std::string> tags{};
    std::vector<std::string> pauses{};  // reasons, in the order given
    bool empty() const { return tier.empty() && tags.empty() && pauses.empty(); }
  };

  struct Rec {
    std::string id{};
    WorkItemId num = 0;
    ItemLifecycle life{};
    QueueIndex queue = 0;
    ChannelId channel = 0;
    int sla_priority = 0;  // index into the priority labels
    int routing_priority = 0;
    int rejected = 0;
    std::string customer{};
    Planned requirement{};
    absl::Time created{};
    absl::Time deadline = absl::InfiniteFuture();
    absl::Time arrival{};  // when its wait in the current queue began
    AgentIndex agent = kNoAgent;
    std::optional<AgentIndex> preferred{};
    int policy = -1;  // escalation policy
    int level = 0;
    bool has_sla = false;
    bool responded = false;
    bool resolved_once = false;
    bool clean_first_resolution = false;
    absl::Time level_entered{};
    TimerHandle escalation_timer{};
    TimerHandle close_timer{};
    std::unique_ptr<Labels> labels{};  // null while every label is empty, as for most items

    const std::string& tier() const { return LabelsOrNone().tier; }
    const std::vector<std::string>& tags() const { return LabelsOrNone().tags; }
    const std::vector<std::string>& pauses() const { return LabelsOrNone().pauses; }
    Labels& MutableLabels() {
      if (labels == nullptr) labels = std::make_unique<Labels>();
      return *labels;
    }
    void DropEmptyLabels() {
      if (labels != nullptr && labels->empty()) labels.reset();
    }
    const Labels& LabelsOrNone() const {
      static const Labels none;
      return labels != nullptr ? *labels : none;
    }
  };

  struct QueueInfo {
    EngineQueueSpec spec{};
    int policy = -1;
    uint64_t arrived = 0;
    uint64_t answered = 0;
    uint64_t abandoned = 0;
    uint64_t abandoned_after = 0;
    uint64_t answered_within = 0;
    std::vector<uint64_t> splits{};
    absl::Duration total_wait{};
    std::deque<absl::Time> recent{};  // assignment instants within the window
  };

  enum class TimerKind : uint8_t { kEscalation, kAutoClose, kFollowUp, kSweep };
  // Eight bytes, so that a wheel node is 40.
  struct Timer {
    TimerKind kind : 8 = TimerKind::kSweep;
    uint64_t key : 56 = 0;  // item number or follow-up number
  };
  static_assert(sizeof(Timer) == 8);

  explicit Impl(EngineConfig config)
      : initial_source_(config.source),
        config_(std::move(config)),
        tracker_(SlaTracker::Options{.origin = config_.origin, .tick = absl::Seconds(1)}),
        timers_(config_.origin, absl::Milliseconds(1)),
        now_(config_.origin) {}

  // Builds the configured modules; `queue_order` names the queues in index order when a state
  // snapshot fixes it (a reconfiguration appends queues, so it may differ from the
  // configuration's order), else they follow the configuration.
  absl::Status Init(const std::vector<std::string>& queue_order = {});

  // --- commands -------------------------------------------------------------------------------
  absl::Status AddAgent(const EngineAgentSpec& spec, absl::Time at);
  absl::Status RemoveAgent(std::string_view id, absl::Time at);
  absl::Status UpdateAgent(const EngineAgentSpec& spec, absl::Time at);
  absl::Status SetAgentState(std::string_view id, AgentState state, absl::Time at,
                             std::string_view reason);
  // `follow_up_of`: the item whose follow-up this is, announced (`follow_up_created`) before the
  // item is first routed.
  absl::Status Submit(const EngineItemSpec& spec, absl::Time at,
                      std::string_view follow_up_of = "");
  absl::Status Update(std::string_view id, const EngineItemUpdate& update, absl::Time at);
  absl::Status Answer(std::string_view id, std::string_view agent, absl::Time at, bool accept);
  absl::Status Respond(std::string_view id, absl::Time at);
  absl::Status CustomerMessage(std::string_view id, absl::Time at);
  absl::Status Pause(std::string_view id, absl::Time at, std::string_view reason);
  absl::Status Resume(std::string_view id, absl::Time at, std::string_view reason);
  absl::Status Resolve(std::string_view id, absl::Time at);
  absl::Status Confirm(std::string_view id, absl::Time at);
  absl::Status Reopen(std::string_view id, absl::Time at);
  absl::Status Transfer(std::string_view id, std::string_view queue, absl::Time at);
  absl::Status Escalate(std::string_view id, absl::Time at);
  absl::Status End(std::string_view id, absl::Time at, bool abandoned);
  // Moves time to `at`, firing what is due; false when that changed nothing (`at` is now, nothing
  // is due and nothing waits to be drained).
  absl::StatusOr<bool> Advance(absl::Time at);
  // The earliest instant at which the router, the SLA clocks or the engine's timers may fire.
  absl::Time NextStop() const {
    return std::min({router_->NextStop(), tracker_.NextStop(), timers_.NextStop()});
  }
  absl::Status Reconfigure(EngineConfig config, absl::Time at);

  // --- views ----------------------------------------------------------------------------------
  absl::StatusOr<EngineItemView> ItemView(std::string_view id) const;
  absl::StatusOr<EngineAgentView> AgentView(std::string_view id) const;
  absl::StatusOr<EngineAgentSpec> AgentSpec(std::string_view id) const;
  absl::StatusOr<QueueStats> Stats(std::string_view name) const;
  QueueStats StatsOf(QueueIndex q) const;
  EngineKpis Kpis() const;
  absl::StatusOr<std::vector<std::pair<std::string, Candidate>>> Explain(std::string_view id) const;
  // `reason` with the skill ids the router writes ("#3") replaced by their names.
  std::string NameSkills(std::string reason) const;
  uint64_t StateDigest() const;
  // The digest snapshots of formats 3 and 4 record: the same parts as StateDigest, hashed in item
  // number order, with a lookup of each item's queue rank and clocks.
  uint64_t OrderedStateDigest() const;
  // A record's own part of both digests.
  static void DigestRecord(StableHash& h, WorkItemId num, const Rec& rec);
  // The agents' and the queues' part of both digests.
  void DigestAgentsAndQueues(StableHash& h) const;
  size_t MemoryBytes() const;
  // The records sorted by number.
  std::vector<std::pair<WorkItemId, const Rec*>> SortedRecords() const;
  // Reserves the tables `hints` sizes and `journal_bytes` of journal, before a replay.
  void Reserve(const CapacityHints& hints, size_t journal_bytes);

  // Runs one command: checks and moves time to its instant, applies `apply`, and journals the
  // command on success (a refusal journals the move of time alone).
  template <typename ApplyFn>
  absl::Status Run(const EngineCommand& command, ApplyFn&& apply);
  // The same for a command given as its parts: `write_payload` journals its arguments as
  // WriteCommand would (the typed commands need no EngineCommand built and copied).
  template <typename ApplyFn, typename WriteFn>
  absl::Status Run(EngineCommandKind kind, absl::Time at, ApplyFn&& apply, WriteFn&& write_payload);
  // Applies a command of any kind but reconfigure.
  absl::Status Execute(const EngineCommand& c);
  absl::Status Apply(const EngineCommand& c, const EngineConfigLoader& load);
  absl::Status Replay(std::string_view journal, const EngineConfigLoader& load);
  // The whole state a restore continues from: the skill catalog, the queues' order, the
  // requirement plans (as named requirements), the records, the router, the SLA tracker, the
  // timers, the queues' counters, customers' last agents, follow-ups, KPIs and the event digest.
  // Events not yet polled are left out: a restored engine starts with none.
  void SaveState(internal::ByteWriter& out) const;
  // Into an engine constructed with the saved configuration and not initialised: initialises it
  // as the saved one was, then reads the state and checks that its parts name each other.
  // InvalidArgument for malformed or inconsistent input.
  absl::Status LoadState(internal::ByteReader& in);
  // After LoadState: the records, the router, the SLA tracker and the timers name each other.
  // `follow_up_timers`: the keys of the follow-up timers loaded.
  absl::Status CheckLoadedState(std::vector<uint64_t> follow_up_timers) const;
  // Whether the router holds the item as its record says: same queue, state and agent.
  static bool Agrees(const Rec& rec, const Router::Placement& placement);

  // The configuration the journal starts from (later ones are in the journal).
  std::string initial_source_;
  EngineConfig config_;
  SkillCatalog catalog_;
  bool closed_catalog_ = false;
  ChannelModel channels_;
  std::unique_ptr<Router> router_;
  SlaTracker tracker_;
  TimerWheel<Timer> timers_;
  absl::Time now_;
  absl::flat_hash_map<std::string, BusinessCalendar> calendars_;
  std::vector<EscalationPolicy> policies_;
  std::map<std::string, int, std::less<>> policy_ids_;
  bool queue_kpi_triggers_ = false;
  TimerHandle sweep_timer_;
  absl::Time sweep_origin_;  // queue-KPI checks come every escalation_check_interval from here
  std::vector<QueueInfo> queues_;
  std::map<std::string, int, std::less<>> priority_ids_;
  // Keys view the records' own ids; a record stays put while it is in `items_`.
  absl::flat_hash_map<absl::string_view, Rec*> item_ids_;
  // Node-based: records are large, and a rehash then moves pointers, not records.
  absl::node_hash_map<WorkItemId, Rec> items_;
  WorkItemId next_item_ = 1;
  // The item being submitted or reopened: escalation at entry changes it before it is routed.
  WorkItemId entering_ = 0;
  std::vector<std::string> agent_ids_;  // by AgentIndex
  std::vector<bool> removed_;
  absl::flat_hash_map<std::string, AgentIndex> customer_agent_;
  // Equal requirements share one plan. Entries that nothing else holds any more are dropped once
  // the table has doubled since the last sweep, so it stays in proportion to the live items.
  absl::flat_hash_map<NamedRequirement, Planned> plans_;
  size_t plans_sweep_at_ = kFirstPlanSweep;
  std::map<uint64_t, FollowUpTask> follow_ups_;
  uint64_t next_follow_up_ = 1;

  std::vector<EngineEvent> events_;
  EngineEvent unkept_event_;
  // Off while a journal is replayed: its events only feed the digest, and a long journal's
  // events would be stored only to be dropped.
  bool keep_events_ = true;
  std::function<void(const EngineEvent&)> sink_;
  StableHash event_digest_;
  ByteWriter journal_;
  // False while a replay runs: it takes the replayed journal as it is instead of writing it again.
  bool journaling_ = true;
  // Drain's batches, one pair per nesting level (a handler may drain again), kept for their
  // storage. A deque: a nested level's arrival moves no outer batch.
  struct DrainBatch {
    std::vector<RoutingEvent> routing;
    std::vector<SlaEvent> sla;
    std::vector<WorkItemId> evaluate;  // items whose routing events call for an evaluation
  };
  std::deque<DrainBatch> drain_batches_;
  size_t drain_depth_ = 0;

  // KPIs.
  uint64_t submitted_ = 0, answered_ = 0, first_responses_ = 0, resolved_ = 0, first_resolved_ = 0,
           clean_first_ = 0, abandoned_ = 0, transfers_ = 0, reopened_ = 0, closed_ = 0,
           cancelled_ = 0;
  absl::Duration first_response_total_, resolution_total_;
  std::map<std::pair<std::string, std::string>, uint64_t> escalations_;

  EscalationFacts facts_;
  // The last level deadline computed: an item is evaluated and armed more than once at one
  // instant, and each time its deadline takes calendar arithmetic. Cleared by ApplyConfig.
  struct LevelDeadlineMemo {
    int policy = -1;
    int level = 0;
    absl::Time entered;
    absl::StatusOr<absl::Time> deadline;
  };
  LevelDeadlineMemo level_deadline_memo_;

 private:
  absl::StatusOr<Rec*> Find(std::string_view id);
  absl::StatusOr<const Rec*> Find(std::string_view id) const;
  absl::StatusOr<AgentIndex> FindAgent(std::string_view id) const;
  absl::StatusOr<QueueIndex> FindQueue(std::string_view name) const;
  absl::StatusOr<int> FindPriority(std::string_view label) const;
  // Interns the names `skills` needs (open catalog), journaling each new one.
  absl::Status Intern(const std::vector<std::string_view>& names);
  absl::StatusOr<Planned> PlanFor(const NamedRequirement& r);
  // What a refused command interned, taken back: the catalog's names after its first `skills`,
  // their journal records (what the journal held beyond `journaled` bytes) and the plans that
  // name them.
  void ForgetSkills(size_t skills, size_t journaled);
  static constexpr size_t kFirstPlanSweep = 1024;
  void SweepPlans();
  absl::StatusOr<AgentConfig> AgentConfigFor(const EngineAgentSpec& spec);
  // The budget of an agent whose spec gives none: every channel at its limit at once.
  int DefaultBudget(const std::vector<int>& limits) const;
  absl::StatusOr<std::string> SlaPolicyFor(const EngineItemSpec& spec, QueueIndex queue) const;
  // Checks that `policy` has targets for `priority`.
  absl::Status CheckSlaPriority(std::string_view policy, std::string_view priority,
                                std::string_view tier) const;
  absl::Status CheckTime(absl::Time at) const;

  // A new event, filled in place and then passed to `Publish` (with no other event in between):
  // it is made where it is kept, or in `unkept_event_` when a sink or a replay takes it.
  EngineEvent& NewEvent(EngineEventKind kind, absl::Time at);
  // An event about `rec` now: its id, queue and agent.
  EngineEvent& NewItemEvent(EngineEventKind kind, const Rec& rec);
  void Publish(const EngineEvent& event);
  void Emit(EngineEvent&& event);
  void EmitItem(EngineEventKind kind, const Rec& rec, std::string detail = "");
  // Handles what the router and the tracker reported, until neither has more.
  void Drain();
  // Publishes the event; true when it calls for the item's escalation to be evaluated.
  bool OnRouting(const RoutingEvent& e);
  void OnSla(const SlaEvent& e);
  void OnTimer(const Timer& timer);
  void Sweep();
  // Schedules the next queue-KPI check unless one is pending or running (or no policy needs
  // them).
  void ArmSweep();

  // Enters levels while a rule holds, then arms the item's escalation timer. False when it stopped
  // at the step limit with a rule still holding (`deescalate` rules in a cycle).
  bool Evaluate(WorkItemId num, bool manual = false);
  // The facts `rec`'s policy reads, in `facts_` (reused: its vectors keep their storage).
  const EscalationFacts& FactsOf(const Rec& rec, bool manual);
  // `rec`'s current level deadline (EscalationPolicy::LevelDeadline).
  absl::StatusOr<absl::Time> LevelDeadlineOf(const Rec& rec);
  // What `rec`'s policy calls for now.
  absl::StatusOr<std::optional<EscalationStep>> EvaluatePolicy(const Rec& rec, bool manual);
  void EnterLevel(WorkItemId num, Rec& rec, const EscalationStep& step);
  void ArmEscalation(WorkItemId num, Rec& rec);
  // The business time `clock` has counted when an SLA-progress trigger (`sla_warning`,
  // `sla_remaining_below`) starts to hold.
  // A pause or resume moved the instants SLA-progress triggers wait for.
  void RearmSlaProgress(WorkItemId num, Rec& rec) {
    if (rec.policy >= 0 && policies_[rec.policy].ReadsSlaProgress()) ArmEscalation(num, rec);
  }
  static absl::Duration BusinessTimeTriggering(const EscalationTrigger& trigger,
                                               const SlaClock& clock);
  // Moves the item to `queue` (by Transfer or an escalation): taking work off its agent counts
  // as a transfer, for the item and the KPIs alike.
  void MoveTo(WorkItemId num, Rec& rec, QueueIndex queue, TransferChanges changes);
  void ResumeAllPauses(WorkItemId num, Rec& rec, absl::Time at);
  void ScheduleFollowUp(const Rec& rec, const FollowUpSpec& spec, absl::Time at);
  void CreateFollowUp(uint64_t key);
  void Finish(WorkItemId num);
  // Routes a new or reopened item, after escalation at entry.
  void Enter(WorkItemId num, Rec& rec, absl::Time at);
  RoutedItem RoutedFor(const Rec& rec, absl::Time arrival) const;
  bool Serves(AgentIndex agent, QueueIndex queue) const;
  // Available with room for an item of some channel now: `QueueStats::agents_available`.
  bool FreeNow(AgentIndex agent) const;
  // Assignments from the queue within the last `expected_wait_window`. O(log answers).
  size_t RecentAnswers(const QueueInfo& info) const;
  absl::Duration ExpectedWait(QueueIndex q, size_t ahead) const;
  double ServiceLevel(QueueIndex q) const;
  void TrimRecent(QueueInfo& info) const;
  absl::Status ApplyConfig(const EngineConfig& config, bool initial);
};

std::string_view EngineEventKindName(EngineEventKind kind) {
  return internal::EnumName(kEventKindNames, kind);
}

std::string_view EngineCommandKindName(EngineCommandKind kind) {
  return internal::EnumName(kCommandKindNames, kind);
}

absl::StatusOr<EngineCommandKind> ParseEngineCommandKind(std::string_view name) {
  return internal::ParseEnum<EngineCommandKind>(kCommandKindNames, "command kind", name);
}

}  // namespace omniroute

namespace omniroute {
namespace {

std::vector<ChannelSpec> ChannelsOf(const EngineConfig& config) {
  if (!config.channels.empty()) return config.channels;
  return {{.name = "voice"}, {.name = "chat"}, {.name = "email"}};
}

RouterQueueOptions RouterOptionsOf(const EngineQueueSpec& q, int priority_levels) {
  RouterQueueOptions options{.order = q.order,
                             .strategy = q.strategy,
                             .auto_accept = q.auto_accept,
                             .offer_timeout = q.offer_timeout,
                             .preferred_agent_window = q.preferred_agent_window};
  options.order.priority_levels = priority_levels;
  return options;
}

bool SameChannels(const std::vector<ChannelSpec>& a, const std::vector<ChannelSpec>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || a[i].cost != b[i].cost || a[i].blocks != b[i].blocks ||
        a[i].wrap_up != b[i].wrap_up) {
      return false;
    }
  }
  return true;
}

// What a configuration becomes once checked: everything that can fail is built here.
struct PreparedConfig {
  ChannelModel channels;
  std::vector<EscalationPolicy> policies;
  std::map<std::string, int, std::less<>> policy_ids;
  std::vector<int> queue_policies;  // per config queue
};

absl::StatusOr<PreparedConfig> Prepare(const EngineConfig& c) {
  PreparedConfig out;
  if (c.priorities.empty() || c.priorities.size() > static_cast<size_t>(kMaxPriorityLevels)) {
    return absl::InvalidArgumentError(
        absl::StrCat("priorities: between 1 and ", kMaxPriorityLevels, " labels"));
  }
  for (size_t i = 0; i < c.priorities.size(); ++i) {
    if (c.priorities[i].empty()) {
      return absl::InvalidArgumentError(absl::StrCat("priorities[", i, "]: empty label"));
    }
    for (size_t j = 0; j < i; ++j) {
      if (c.priorities[j] == c.priorities[i]) {
        return absl::InvalidArgumentError(
            absl::StrCat("priorities[", i, "]: duplicate label \"", c.priorities[i], "\""));
      }
    }
  }
  OMNIROUTE_ASSIGN_OR_RETURN(out.channels, ChannelModel::Create(ChannelsOf(c)));
  SkillCatalog catalog;
  for (size_t i = 0; i < c.skills.size(); ++i) {
    if (catalog.Contains(c.skills[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("skills[", i, "]: duplicate skill \"", c.skills[i], "\""));
    }
    if (absl::StatusOr<SkillId> id = catalog.Add(c.skills[i]); !id.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("skills[", i, "]: ", id.status().message()));
    }
  }
  if (c.agent_options.auto_away_after_misses < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("agents.auto_away_after_misses: ", c.agent_options.auto_away_after_misses,
                     " is negative (0: never)"));
  }
  std::set<std::string, std::less<>> sla_names;
  for (size_t i = 0; i < c.sla_policies.size(); ++i) {
    if (absl::Status valid = c.sla_policies[i].Validate(); !valid.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("sla_policies[", i, "]: ", valid.message()));
    }
    if (!sla_names.insert(c.sla_policies[i].name).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "sla_policies[", i, "]: duplicate SLA policy \"", c.sla_policies[i].name, "\""));
    }
  }
  if (c.sla_selector) {
    const auto check = [&sla_names](const std::string& name, const std::string& path) {
      return name.empty() || sla_names.contains(name)
                 ? absl::OkStatus()
                 : absl::NotFoundError(absl::StrCat(path, ": unknown SLA policy \"", name, "\""));
    };
    // A rule naming what does not exist could never match.
    const auto check_names = [](const std::vector<std::string>& listed, const std::string& path,
                                std::string_view what, const auto& exists) {
      for (size_t j = 0; j < listed.size(); ++j) {
        if (!exists(listed[j])) {
          return absl::NotFoundError(
              absl::StrCat(path, "[", j, "]: unknown ", std::string(what), " \"", listed[j], "\""));
        }
      }
      return absl::OkStatus();
    };
    for (size_t i = 0; i < c.sla_selector->rules().size(); ++i) {
      const SlaRule& rule = c.sla_selector->rules()[i];
      const std::string path = absl::StrCat("sla_selector.rules[", i, "]");
      OMNIROUTE_RETURN_IF_ERROR(check(rule.policy, path + ".policy"));
      OMNIROUTE_RETURN_IF_ERROR(
          check_names(rule.queues, path + ".queues", "queue", [&c](const std::string& name) {
            return std::any_of(c.queues.begin(), c.queues.end(),
                               [&name](const EngineQueueSpec& q) { return q.name == name; });
          }));
      OMNIROUTE_RETURN_IF_ERROR(
          check_names(rule.channels, path + ".channels", "channel",
                      [&out](const std::string& name) { return out.channels.Find(name).ok(); }));
      OMNIROUTE_RETURN_IF_ERROR(check_names(
          rule.priorities, path + ".priorities", "priority", [&c](const std::string& name) {
            return std::find(c.priorities.begin(), c.priorities.end(), name) != c.priorities.end();
          }));
    }
    OMNIROUTE_RETURN_IF_ERROR(check(c.sla_selector->default_policy(), "sla_selector.default"));
  }
  std::set<std::string, std::less<>> queue_names;
  for (const EngineQueueSpec& q : c.queues) queue_names.insert(q.name);
  EscalationNames names;
  names.queue_exists = [&queue_names](std::string_view n) { return queue_names.contains(n); };
  if (!c.skills.empty()) {
    names.skill_exists = [&catalog](std::string_view n) { return catalog.Contains(n); };
  }
  names.calendar_exists = [&c](std::string_view n) {
    return n == "24x7" || c.calendars.find(n) != c.calendars.end();
  };
  for (size_t i = 0; i < c.escalation_policies.size(); ++i) {
    absl::StatusOr<EscalationPolicy> policy =
        EscalationPolicy::Create(c.escalation_policies[i], names);
    if (!policy.ok()) {
      return absl::Status(policy.status().code(),
                          absl::StrCat("escalation_policies[", i, "].", policy.status().message()));
    }
    if (!out.policy_ids.emplace(policy->name(), static_cast<int>(i)).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "escalation_policies[", i, "]: duplicate escalation policy \"", policy->name(), "\""));
    }
    out.policies.push_back(*std::move(policy));
  }
  int default_policy = -1;
  if (!c.default_escalation_policy.empty()) {
    auto found = out.policy_ids.find(c.default_escalation_policy);
    if (found == out.policy_ids.end()) {
      return absl::NotFoundError(absl::StrCat("escalation: unknown escalation policy \"",
                                              c.default_escalation_policy, "\""));
    }
    default_policy = found->second;
  }
  std::set<std::string, std::less<>> seen;
  for (size_t i = 0; i < c.queues.size(); ++i) {
    const EngineQueueSpec& q = c.queues[i];
    const std::string path = absl::StrCat("queues[", i, "]");
    if (q.name.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ".name: empty"));
    if (!seen.insert(q.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ".name: duplicate queue \"", q.name, "\""));
    }
    WorkQueueOptions order = q.order;
    order.priority_levels = static_cast<int>(c.priorities.size());
    if (absl::Status valid = ValidateWorkQueueOptions(order); !valid.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", valid.message()));
    }
    if (q.offer_timeout <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ".offer_timeout: must be positive"));
    }
    if (q.preferred_agent_window < absl::ZeroDuration() ||
        q.preferred_agent_window == absl::InfiniteDuration()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ".preferred_agent_window: must be finite and >= 0"));
    }
    if (q.service_level_threshold < absl::ZeroDuration() ||
        q.service_level_threshold == absl::InfiniteDuration()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ".service_level: must be finite and >= 0"));
    }
    if (!q.sla_policy.empty() && !sla_names.contains(q.sla_policy)) {
      return absl::NotFoundError(
          absl::StrCat(path, ".sla_policy: unknown SLA policy \"", q.sla_policy, "\""));
    }
    int policy = default_policy;
    if (!q.escalation_policy.empty()) {
      auto found = out.policy_ids.find(q.escalation_policy);
      if (found == out.policy_ids.end()) {
        return absl::NotFoundError(absl::StrCat(path,
                                                ".escalation_policy: unknown escalation "
                                                "policy \"",
                                                q.escalation_policy, "\""));
      }
      policy = found->second;
    }
    out.queue_policies.push_back(policy);
    if (q.follow_up) {
      if (q.follow_up->after <= absl::ZeroDuration() ||
          q.follow_up->after == absl::InfiniteDuration()) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ".follow_up.after: must be positive and finite"));
      }
      if (!queue_names.contains(q.follow_up->queue)) {
        return absl::NotFoundError(
            absl::StrCat(path, ".follow_up.queue: unknown queue \"", q.follow_up->queue, "\""));
      }
      if (!q.follow_up->channel.empty() && !out.channels.Find(q.follow_up->channel).ok()) {
        return absl::NotFoundError(absl::StrCat(path, ".follow_up.channel: unknown channel \"",
                                                q.follow_up->channel, "\""));
      }
    }
  }
  if (c.auto_close_after <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("lifecycle.auto_close_after: must be positive");
  }
  for (size_t i = 0; i < c.service_level_splits.size(); ++i) {
    const absl::Duration d = c.service_level_splits[i];
    if (d < absl::ZeroDuration() || d == absl::InfiniteDuration() ||
        (i > 0 && d <= c.service_level_splits[i - 1])) {
      return absl::InvalidArgumentError(
          absl::StrCat("service_level_splits[", i, "]: finite, >= 0 and ascending thresholds"));
    }
  }
  if (c.expected_wait_window <= absl::ZeroDuration() ||
      c.expected_wait_window == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError("expected_wait_window: must be positive and finite");
  }
  // Each check is a timer the clock stops at: a shorter interval makes advancing time (and so
  // replaying a journal or restoring a snapshot) cost a sweep per interval of the span covered.
  if (c.escalation_check_interval < absl::Seconds(1) ||
      c.escalation_check_interval == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        "escalation_check_interval: must be at least 1 second and finite");
  }
  return out;
}

}  // namespace

absl::Status Engine::Impl::Init(const std::vector<std::string>& queue_order) {
  OMNIROUTE_ASSIGN_OR_RETURN(PreparedConfig prepared, Prepare(config_));
  channels_ = prepared.channels;
  router_ =
      std::make_unique<Router>(channels_,
                               RouterOptions{.agents = config_.agent_options,
                                             .away_on_missed_offer = config_.away_on_missed_offer},
                               config_.origin);
  for (const std::string& skill : config_.skills) (void)catalog_.Add(skill);
  closed_catalog_ = !config_.skills.empty();
  for (const SlaPolicy& policy : config_.sla_policies) {
    OMNIROUTE_RETURN_IF_ERROR(tracker_.AddPolicy(policy));
  }
  for (size_t i = 0; i < config_.priorities.size(); ++i) {
    priority_ids_.emplace(config_.priorities[i], static_cast<int>(i));
  }
  const int levels = static_cast<int>(config_.priorities.size());
  std::vector<size_t> order(config_.queues.size());
  std::iota(order.begin(), order.end(), 0);
  if (!queue_order.empty()) {
    if (queue_order.size() != order.size()) {
      return absl::InvalidArgumentError("the state's queues are not the configuration's");
    }
    std::vector<bool> placed(order.size());
    for (size_t q = 0; q < order.size(); ++q) {
      const auto found =
          std::find_if(config_.queues.begin(), config_.queues.end(),
                       [&](const EngineQueueSpec& spec) { return spec.name == queue_order[q]; });
      const auto index = static_cast<size_t>(found - config_.queues.begin());
      if (found == config_.queues.end() || placed[index]) {
        return absl::InvalidArgumentError(
            absl::StrCat("the state's queue \"", queue_order[q], "\" is not the configuration's"));
      }
      placed[index] = true;
      order[q] = index;
    }
  }
  for (const size_t i : order) {
    const EngineQueueSpec& q = config_.queues[i];
    OMNIROUTE_RETURN_IF_ERROR(router_->AddQueue(q.name, RouterOptionsOf(q, levels)).status());
    QueueInfo info{.spec = q, .policy = prepared.queue_policies[i]};
    info.splits.assign(config_.service_level_splits.size(), 0);
    queues_.push_back(std::move(info));
  }
  policies_ = std::move(prepared.policies);
  policy_ids_ = std::move(prepared.policy_ids);
  return ApplyConfig(config_, /*initial=*/true);
}

// The parts of a configuration that live reconfiguration replaces as well.
absl::Status Engine::Impl::ApplyConfig(const EngineConfig& config, bool initial) {
  calendars_.clear();
  calendars_.emplace("24x7", BusinessCalendar());
  for (const auto& [name, calendar] : config.calendars) calendars_.insert_or_assign(name, calendar);
  queue_kpi_triggers_ = std::any_of(policies_.begin(), policies_.end(),
                                    [](const EscalationPolicy& p) { return p.ReadsQueueKpis(); });
  level_deadline_memo_ = LevelDeadlineMemo();
  timers_.Cancel(sweep_timer_);
  sweep_timer_ = TimerHandle();
  sweep_origin_ = now_;
  if (queue_kpi_triggers_) {
    OMNIROUTE_ASSIGN_OR_RETURN(
        sweep_timer_,
        timers_.Schedule(now_ + config.escalation_check_interval, {.kind = TimerKind::kSweep}));
  }
  (void)initial;
  return absl::OkStatus();
}

absl::Status Engine::Impl::Reconfigure(EngineConfig config, absl::Time at) {
  OMNIROUTE_RETURN_IF_ERROR(CheckTime(at));
  OMNIROUTE_ASSIGN_OR_RETURN(PreparedConfig prepared, Prepare(config));
  config.origin = config_.origin;
  if (config.priorities != config_.priorities) {
    return absl::FailedPreconditionError("priorities cannot change while the engine runs");
  }
  if (!SameChannels(ChannelsOf(config), ChannelsOf(config_))) {
    return absl::FailedPreconditionError("channels cannot change while the engine runs");
  }
  if (closed_catalog_ || !config.skills.empty()) {
    for (size_t s = 0; s < catalog_.size(); ++s) {
      const std::string_view name = catalog_.Name(static_cast<SkillId>(s));
      if (std::find(config.skills.begin(), config.skills.end(), name) == config.skills.end()) {
        return absl::FailedPreconditionError(
            absl::StrCat("skills: \"", std::string(name), "\" is in use and cannot be removed"));
      }
    }
  }
  const int levels = static_cast<int>(config.priorities.size());
  for (size_t q = 0; q < queues_.size(); ++q) {
    const auto found =
        std::find_if(config.queues.begin(), config.queues.end(),
                     [&](const EngineQueueSpec& s) { return s.name == queues_[q].spec.name; });
    if (found == config.queues.end()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "queues: \"", queues_[q].spec.name, "\" cannot be removed while the engine runs"));
    }
    if (!(RouterOptionsOf(*found, levels).order ==
          router_->queue_options(static_cast<QueueIndex>(q)).order)) {
      return absl::FailedPreconditionError(
          absl::StrCat("queues: the ordering of \"", found->name, "\" cannot change"));
    }
  }
  for (const SlaPolicy& current : config_.sla_policies) {
    const auto found = std::find_if(config.sla_policies.begin(), config.sla_policies.end(),
                                    [&](const SlaPolicy& p) { return p.name == current.name; });
    if (found == config.sla_policies.end()) {
      return absl::FailedPreconditionError(
          absl::StrCat("sla_policies: \"", current.name, "\" cannot be removed"));
    }
    if (!(*found == current)) OMNIROUTE_RETURN_IF_ERROR(tracker_.CanReplacePolicy(*found));
  }
  // Checked: from here on nothing fails.
  OMNIROUTE_RETURN_IF_ERROR(Advance(at).status());
  for (const std::string& skill : config.skills) (void)catalog_.Add(skill);
  closed_catalog_ = closed_catalog_ || !config.skills.empty();
  for (const SlaPolicy& policy : config.sla_policies) {
    if (tracker_.FindPolicy(policy.name) == nullptr) {
      (void)tracker_.AddPolicy(policy);
    } else if (!(*tracker_.FindPolicy(policy.name) == policy)) {
      (void)tracker_.ReplacePolicy(policy, at);
    }
  }
  for (size_t i = 0; i < config.queues.size(); ++i) {
    const EngineQueueSpec& q = config.queues[i];
    absl::StatusOr<QueueIndex> index = router_->queues().FindQueue(q.name);
    if (index.ok()) {
      (void)router_->SetQueueOptions(*index, RouterOptionsOf(q, levels));
      queues_[*index].spec = q;
      queues_[*index].policy = prepared.queue_policies[i];
    } else {
      (void)router_->AddQueue(q.name, RouterOptionsOf(q, levels));
      QueueInfo info{.spec = q, .policy = prepared.queue_policies[i]};
      info.splits.assign(config.service_level_splits.size(), 0);
      queues_.push_back(std::move(info));
    }
  }
  if (config.service_level_splits != config_.service_level_splits) {
    for (QueueInfo& info : queues_) info.splits.assign(config.service_level_splits.size(), 0);
  }
  // Items keep their policy by name when it still exists, else the queue's, and their level,
  // clamped to the new last level.
  std::vector<std::string> old_names;
  for (const EscalationPolicy& p : policies_) old_names.push_back(p.name());
  policies_ = std::move(prepared.policies);
  policy_ids_ = std::move(prepared.policy_ids);
  config_ = std::move(config);
  std::vector<WorkItemId> nums;
  for (const auto& [num, rec] : items_) nums.push_back(num);
  std::sort(nums.begin(), nums.end());
  for (WorkItemId num : nums) {
    Rec& rec = items_.at(num);
    if (rec.policy >= 0) {
      const auto found = policy_ids_.find(old_names[rec.policy]);
      rec.policy = found != policy_ids_.end() ? found->second : queues_[rec.queue].policy;
    } else {
      rec.policy = queues_[rec.queue].policy;
    }
    if (rec.policy >= 0) {
      rec.level = std::min(rec.level, policies_[rec.policy].level_count() - 1);
    } else {
      rec.level = 0;
    }
  }
  OMNIROUTE_RETURN_IF_ERROR(ApplyConfig(config_, /*initial=*/false));
  Drain();
  for (WorkItemId num : nums) {
    if (items_.contains(num)) Evaluate(num);
  }
  Drain();
  return absl::OkStatus();
}

// --- lookups ------------------------------------------------------------------------------------

absl::StatusOr<Engine::Impl::Rec*> Engine::Impl::Find(std::string_view id) {
  const auto it = item_ids_.find(absl::string_view(id.data(), id.size()));
  if (it == item_ids_.end()) return UnknownItem(id);
  return it->second;
}

absl::StatusOr<const Engine::Impl::Rec*> Engine::Impl::Find(std::string_view id) const {
  const auto it = item_ids_.find(absl::string_view(id.data(), id.size()));
  if (it == item_ids_.end()) return UnknownItem(id);
  return it->second;
}

absl::StatusOr<AgentIndex> Engine::Impl::FindAgent(std::string_view id) const {
  absl::StatusOr<AgentIndex> agent = router_->agents().Find(id);
  if (!agent.ok() || removed_[*agent]) return UnknownAgent(id);
  return agent;
}

absl::StatusOr<QueueIndex> Engine::Impl::FindQueue(std::string_view name) const {
  absl::StatusOr<QueueIndex> queue = router_->queues().FindQueue(name);
  if (!queue.ok()) return UnknownQueue(name);
  return queue;
}

absl::StatusOr<int> Engine::Impl::FindPriority(std::string_view label) const {
  if (label.empty()) return static_cast<int>(config_.priorities.size()) - 1;
  const auto found = priority_ids_.find(label);
  if (found == priority_ids_.end()) {
    return absl::NotFoundError(absl::StrCat("unknown priority \"", std::string(label), "\""));
  }
  return found->second;
}

absl::Status Engine::Impl::CheckTime(absl::Time at) const {
  if (at < now_ || at == absl::InfiniteFuture()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "instant ", absl::FormatTime(at, absl::UTCTimeZone()),
        " is infinite or before the engine's now ", absl::FormatTime(now_, absl::UTCTimeZone())));
  }
  return absl::OkStatus();
}

absl::Status Engine::Impl::Intern(const std::vector<std::string_view>& names) {
  for (std::string_view name : names) {
    if (catalog_.Contains(name)) continue;
    if (closed_catalog_) {
      return absl::NotFoundError(absl::StrCat("unknown skill \"", std::string(name), "\""));
    }
  }
  for (std::string_view name : names) {
    if (catalog_.Contains(name)) continue;
    OMNIROUTE_RETURN_IF_ERROR(catalog_.Add(name).status());
    if (!journaling_) continue;
    journal_.U8(kInternSkillCode);
    journal_.Str(name);
  }
  return absl::OkStatus();
}

absl::StatusOr<Engine::Impl::Planned> Engine::Impl::PlanFor(const NamedRequirement& r) {
  if (r == NamedRequirement{}) return Planned{};
  if (const auto found = plans_.find(r); found != plans_.end()) return found->second;
  OMNIROUTE_RETURN_IF_ERROR(Intern(SkillNames(r)));
  OMNIROUTE_ASSIGN_OR_RETURN(RequirementSpec spec, RequirementSpecFromNames(catalog_, r));
  OMNIROUTE_ASSIGN_OR_RETURN(RequirementPlan plan, RequirementPlan::Create(spec, catalog_));
  Planned planned =
      std::make_shared<const PlannedRequirement>(PlannedRequirement{r, std::move(plan)});
  if (plans_.size() >= plans_sweep_at_) SweepPlans();
  plans_.emplace(r, planned);
  return planned;
}

void Engine::Impl::ForgetSkills(size_t skills, size_t journaled) {
  catalog_.TruncateTo(skills);
  if (journaling_) journal_.Truncate(journaled);
  for (auto it = plans_.begin(); it != plans_.end();) {
    const std::vector<std::string_view> names = SkillNames(it->first);
    const bool forgotten = std::any_of(names.begin(), names.end(), [this](std::string_view name) {
      return !catalog_.Contains(name);
    });
    if (forgotten) {
      plans_.erase(it++);
    } else {
      ++it;
    }
  }
}

void Engine::Impl::SweepPlans() {
  for (auto it = plans_.begin(); it != plans_.end();) {
    // The router's and the queues' plans share the requirement's count.
    if (it->second.use_count() == 1) {
      plans_.erase(it++);
    } else {
      ++it;
    }
  }
  plans_sweep_at_ = std::max(kFirstPlanSweep, 2 * plans_.size());
}

absl::StatusOr<AgentConfig> Engine::Impl::AgentConfigFor(const EngineAgentSpec& spec) {
  if (spec.id.empty()) return absl::InvalidArgumentError("an agent needs an id");
  AgentConfig config{.id = spec.id};
  AgentCapacity capacity;
  capacity.limits.assign(channels_.size(), 0);
  for (const auto& [name, limit] : spec.capacity) {
    absl::StatusOr<ChannelId> channel = channels_.Find(name);
    if (!channel.ok()) {
      return absl::NotFoundError(
          absl::StrCat("agent \"", spec.id, "\": unknown channel \"", name, "\""));
    }
    if (limit < 0 || limit > 1'000'000) {
      return absl::InvalidArgumentError(absl::StrCat("agent \"", spec.id, "\": capacity for \"",
                                                     name, "\" must be 0 to 1000000"));
    }
    capacity.limits[*channel] = limit;
  }
  capacity.budget = spec.budget ? *spec.budget : DefaultBudget(capacity.limits);
  config.capacity = std::move(capacity);
  for (size_t i = 0; i < spec.queues.size(); ++i) {
    const EngineQueueRef& ref = spec.queues[i];
    for (size_t j = 0; j < i; ++j) {
      if (spec.queues[j].queue == ref.queue) {
        return absl::InvalidArgumentError(
            absl::StrCat("agent \"", spec.id, "\": queue \"", ref.queue, "\" listed twice"));
      }
    }
    if (ref.delay < absl::ZeroDuration() || ref.delay == absl::InfiniteDuration()) {
      return absl::InvalidArgumentError(absl::StrCat("agent \"", spec.id, "\": queue \"", ref.queue,
                                                     "\" delay must be finite and >= 0"));
    }
    absl::StatusOr<QueueIndex> queue = FindQueue(ref.queue);
    if (!queue.ok()) {
      return absl::NotFoundError(
          absl::StrCat("agent \"", spec.id, "\": ", queue.status().message()));
    }
    config.queues.push_back({.queue = *queue, .priority = ref.priority, .delay = ref.delay});
  }
  for (const auto& [name, level] : spec.skills) {
    if (level < kMinSkillLevel || level > kMaxSkillLevel) {
      return absl::InvalidArgumentError(
          absl::StrCat("agent \"", spec.id, "\": skill \"", name, "\" level must be 1 to 100"));
    }
  }
  if (spec.budget && (*spec.budget < 1 || *spec.budget > 1'000'000)) {
    return absl::InvalidArgumentError(
        absl::StrCat("agent \"", spec.id, "\": budget ", *spec.budget, " must be 1 to 1000000"));
  }
  std::vector<std::string_view> names;
  for (const auto& [name, level] : spec.skills) names.push_back(name);
  OMNIROUTE_RETURN_IF_ERROR(Intern(names));
  OMNIROUTE_ASSIGN_OR_RETURN(config.skills, SkillSetFromNames(catalog_, spec.skills));
  return config;
}

int Engine::Impl::DefaultBudget(const std::vector<int>& limits) const {
  int64_t units = 0;
  for (size_t channel = 0; channel < limits.size(); ++channel) {
    units += int64_t{limits[channel]} * channels_.cost(static_cast<ChannelId>(channel));
  }
  return static_cast<int>(std::clamp<int64_t>(units, 1, 1'000'000));
}

absl::StatusOr<std::string> Engine::Impl::SlaPolicyFor(const EngineItemSpec& spec,
                                                       QueueIndex queue) const {
  if (!config_.sla_selector) return queues_[queue].spec.sla_policy;
  const SlaContext context{
      .channel = spec.channel,
      .queue = queues_[queue].spec.name,
      .priority = spec.priority.empty() ? config_.priorities.back() : spec.priority,
      .tier = spec.tier,
      .tags = spec.tags};
  return config_.sla_selector->Select(context);
}

absl::Status Engine::Impl::CheckSlaPriority(std::string_view policy, std::string_view priority,
                                            std::string_view tier) const {
  const SlaPolicy* found = tracker_.FindPolicy(policy);
  if (found == nullptr) {
    return absl::NotFoundError(absl::StrCat("unknown SLA policy \"", std::string(policy), "\""));
  }
  return found->Target(SlaMetric::kResolution, priority, tier).status();
}

bool Engine::Impl::Serves(AgentIndex agent, QueueIndex queue) const {
  if (removed_[agent]) return false;
  const std::vector<QueueAssignment>& profile = router_->agents().Queues(agent);
  return std::any_of(profile.begin(), profile.end(),
                     [queue](const QueueAssignment& q) { return q.queue == queue; });
}

RoutedItem Engine::Impl::RoutedFor(const Rec& rec, absl::Time arrival) const {
  RoutedItem routed{.priority = rec.routing_priority,
                    .arrival = arrival,
                    .deadline = rec.deadline,
                    .requirement = PlanOf(rec.requirement),
                    .channel = rec.channel};
  if (rec.preferred && queues_[rec.queue].spec.preferred_agent_window > absl::ZeroDuration() &&
      Serves(*rec.preferred, rec.queue)) {
    routed.preferred_agent = rec.preferred;
  }
  return routed;
}

}  // namespace omniroute

namespace omniroute {

// --- events -------------------------------------------------------------------------------------

EngineEvent& Engine::Impl::NewEvent(EngineEventKind kind, absl::Time at) {
  if (sink_ || !keep_events_) {
    unkept_event_ = EngineEvent{.kind = kind, .at = at};
    return unkept_event_;
  }
  EngineEvent& event = events_.emplace_back();
  event.kind = kind;
  event.at = at;
  return event;
}

EngineEvent& Engine::Impl::NewItemEvent(EngineEventKind kind, const Rec& rec) {
  EngineEvent& event = NewEvent(kind, now_);
  event.item = rec.id;
  event.queue = router_->queues().name(rec.queue);
  if (rec.agent != kNoAgent) event.agent = agent_ids_[rec.agent];
  return event;
}

void Engine::Impl::Publish(const EngineEvent& event) {
  event_digest_.AddInt(static_cast<uint64_t>(event.kind));
  event_digest_.AddTime(event.at);
  event_digest_.Add(event.item);
  event_digest_.Add(event.agent);
  event_digest_.Add(event.queue);
  event_digest_.AddInt(event.metric ? static_cast<uint64_t>(*event.metric) + 1 : 0);
  uint64_t fraction_bits;
  std::memcpy(&fraction_bits, &event.fraction, sizeof fraction_bits);
  event_digest_.AddInt(fraction_bits);
  event_digest_.AddInt(event.late);
  event_digest_.AddInt(static_cast<uint64_t>(event.from_level));
  event_digest_.AddInt(static_cast<uint64_t>(event.level));
  event_digest_.Add(event.trigger);
  event_digest_.Add(event.target);
  event_digest_.Add(event.detail);
  if (sink_) sink_(event);
}

void Engine::Impl::Emit(EngineEvent&& event) {
  EngineEvent& kept = NewEvent(event.kind, event.at);
  kept = std::move(event);
  Publish(kept);
}

void Engine::Impl::EmitItem(EngineEventKind kind, const Rec& rec, std::string detail) {
  EngineEvent& event = NewItemEvent(kind, rec);
  event.detail = std::move(detail);
  Publish(event);
}

void Engine::Impl::Drain() {
  // Most calls find nothing to handle.
  if (!router_->has_events() && !tracker_.has_events()) return;
  if (drain_depth_ == drain_batches_.size()) drain_batches_.emplace_back();
  DrainBatch& batch = drain_batches_[drain_depth_++];
  std::vector<RoutingEvent>& routing = batch.routing;
  std::vector<SlaEvent>& sla = batch.sla;
  while (true) {
    router_->PollEvents(routing);
    tracker_.PollEvents(sla);
    if (routing.empty() && sla.empty()) break;
    // The batch's events happened by now (an SLA event carries the instant its threshold was
    // reached, a breach its deadline), so they all go out before the escalations they cause, which
    // happen now: events stay in time order, and a rejection's requeue comes before an escalation
    // that moves the item.
    std::vector<WorkItemId>& evaluate = batch.evaluate;
    evaluate.clear();
    for (const RoutingEvent& e : routing) {
      if (OnRouting(e)) evaluate.push_back(e.item);
    }
    for (const SlaEvent& e : sla) OnSla(e);
    for (const WorkItemId item : evaluate) Evaluate(item);
    for (const SlaEvent& e : sla) {
      if (e.kind == SlaEvent::Kind::kWarning || e.kind == SlaEvent::Kind::kBreached) {
        Evaluate(e.item);
      }
    }
  }
  --drain_depth_;
}

bool Engine::Impl::OnRouting(const RoutingEvent& e) {
  if (e.kind == RoutingEventKind::kAgentState) {
    std::string detail(AgentStateName(e.agent_state));
    if (!e.reason.empty()) absl::StrAppend(&detail, ":", std::string(e.reason));
    EngineEvent& event = NewEvent(EngineEventKind::kAgentState, e.at);
    event.agent = agent_ids_[e.agent];
    event.detail = std::move(detail);
    Publish(event);
    return false;
  }
  const auto it = items_.find(e.item);
  if (it == items_.end()) return false;
  Rec& rec = it->second;
  const absl::Time saved_now = now_;
  now_ = e.at;
  EngineEventKind kind = EngineEventKind::kQueued;
  std::string detail;
  bool evaluate = false;
  switch (e.kind) {
    case RoutingEventKind::kQueued:
      kind = EngineEventKind::kQueued;
      break;
    case RoutingEventKind::kOffered:
      kind = EngineEventKind::kOffered;
      rec.agent = e.agent;
      (void)rec.life.Apply(ItemEvent::kOffer);
      break;
    case RoutingEventKind::kAssigned: {
      kind = EngineEventKind::kAssigned;
      rec.agent = e.agent;
      (void)rec.life.Apply(ItemEvent::kAccept);
      QueueInfo& info = queues_[rec.queue];
      const absl::Duration wait = e.at - rec.arrival;
      ++info.answered;
      ++answered_;
      info.total_wait += wait;
      if (wait <= info.spec.service_level_threshold) ++info.answered_within;
      for (size_t s = 0; s < config_.service_level_splits.size(); ++s) {
        if (wait <= config_.service_level_splits[s]) ++info.splits[s];
      }
      info.recent.push_back(e.at);
      TrimRecent(info);
      if (!rec.customer.empty()) customer_agent_.insert_or_assign(rec.customer, e.agent);
      break;
    }
    case RoutingEventKind::kRejected:
    case RoutingEventKind::kOfferExpired:
      kind = e.kind == RoutingEventKind::kRejected ? EngineEventKind::kRejected
                                                   : EngineEventKind::kOfferExpired;
      rec.agent = e.agent;
      ++rec.rejected;
      (void)rec.life.Apply(ItemEvent::kOfferEnded);
      evaluate = true;
      break;
    case RoutingEventKind::kRequeued:
      kind = EngineEventKind::kRequeued;
      rec.agent = kNoAgent;
      break;
    case RoutingEventKind::kRequirementRelaxed:
      kind = EngineEventKind::kRequirementRelaxed;
      detail = absl::StrCat(e.steps_applied);
      break;
    case RoutingEventKind::kAgentState:  // published above: it names no item
      return false;
  }
  EngineEvent& event = NewEvent(kind, e.at);
  event.item = rec.id;
  event.queue = router_->queues().name(e.queue);
  event.detail = std::move(detail);
  if (e.agent != kNoAgent) event.agent = agent_ids_[e.agent];
  Publish(event);
  now_ = saved_now;
  return evaluate;
}

void Engine::Impl::OnSla(const SlaEvent& e) {
  if (e.kind == SlaEvent::Kind::kCancelled) return;
  const auto it = items_.find(e.item);
  if (it == items_.end()) return;
  const Rec& rec = it->second;
  static constexpr EngineEventKind kKinds[] = {
      EngineEventKind::kSlaWarning, EngineEventKind::kSlaBreached, EngineEventKind::kSlaMet};
  EngineEvent& event = NewEvent(kKinds[static_cast<int>(e.kind)], e.at);
  event.item = rec.id;
  event.queue = router_->queues().name(rec.queue);
  event.metric = e.metric;
  event.fraction = e.fraction;
  event.late = e.late;
  if (rec.agent != kNoAgent) event.agent = agent_ids_[rec.agent];
  Publish(event);
}

void Engine::Impl::TrimRecent(QueueInfo& info) const {
  while (!info.recent.empty() && info.recent.front() <= now_ - config_.expected_wait_window) {
    info.recent.pop_front();
  }
}

// --- time ---------------------------------------------------------------------------------------

absl::StatusOr<bool> Engine::Impl::Advance(absl::Time at) {
  OMNIROUTE_RETURN_IF_ERROR(CheckTime(at));
  absl::Time due = NextStop();
  // Most commands of a busy floor come at the instant of the one before: with nothing due, the
  // clocks are already there.
  if (at == now_ && due > at) {
    const bool pending = router_->has_events() || tracker_.has_events();
    Drain();
    return pending;
  }
  std::vector<Timer> fired;
  for (; due <= at; due = NextStop()) {
    (void)router_->AdvanceTo(due);
    (void)tracker_.AdvanceTo(due);
    now_ = due;
    Drain();
    fired.clear();
    timers_.Advance(due,
                    [&fired](TimerHandle, absl::Time, Timer timer) { fired.push_back(timer); });
    for (const Timer& timer : fired) {
      OnTimer(timer);
      Drain();
    }
  }
  (void)router_->AdvanceTo(at);
  (void)tracker_.AdvanceTo(at);
  timers_.Advance(at, [](TimerHandle, absl::Time, Timer) {});
  now_ = at;
  Drain();
  return true;
}

void Engine::Impl::OnTimer(const Timer& timer) {
  switch (timer.kind) {
    case TimerKind::kEscalation: {
      const auto it = items_.find(timer.key);
      if (it == items_.end()) return;
      it->second.escalation_timer = TimerHandle();
      Evaluate(timer.key);
      return;
    }
    case TimerKind::kAutoClose: {
      const auto it = items_.find(timer.key);
      if (it == items_.end() || it->second.life.state() != ItemState::kResolved) return;
      it->second.close_timer = TimerHandle();
      (void)it->second.life.Apply(ItemEvent::kAutoClose);
      ++closed_;
      EmitItem(EngineEventKind::kClosed, it->second, "quiet_period");
      Finish(timer.key);
      return;
    }
    case TimerKind::kFollowUp:
      CreateFollowUp(timer.key);
      return;
    case TimerKind::kSweep:
      Sweep();
      return;
  }
}

void Engine::Impl::Sweep() {
  std::vector<WorkItemId> nums;
  for (const auto& [num, rec] : items_) {
    if (rec.policy >= 0 && policies_[rec.policy].ReadsQueueKpis()) nums.push_back(num);
  }
  std::sort(nums.begin(), nums.end());
  for (WorkItemId num : nums) {
    if (items_.contains(num)) Evaluate(num);
  }
  // With no item to check, the checks pause until one arrives (ArmSweep): an idle engine, or one
  // whose first command comes long after its origin, does not tick through the empty time.
  sweep_timer_ = TimerHandle();
  if (!nums.empty()) ArmSweep();
}

void Engine::Impl::ArmSweep() {
  // A valid handle is a pending check, or the one running (it schedules the next when done).
  if (!queue_kpi_triggers_ || sweep_timer_.valid()) return;
  // The checks keep their cadence from `sweep_origin_`: the next is the first after now.
  absl::Duration since_last;
  const int64_t checks =
      absl::IDivDuration(now_ - sweep_origin_, config_.escalation_check_interval, &since_last);
  const absl::StatusOr<TimerHandle> timer =
      timers_.Schedule(sweep_origin_ + config_.escalation_check_interval * (checks + 1),
                       {.kind = TimerKind::kSweep});
  if (timer.ok()) sweep_timer_ = *timer;
}

// --- escalation ---------------------------------------------------------------------------------

const EscalationFacts& Engine::Impl::FactsOf(const Rec& rec, bool manual) {
  const EscalationPolicy& policy = policies_[rec.policy];
  EscalationFacts& facts = facts_;
  facts.level = rec.level;
  facts.level_entered = rec.level_entered;
  facts.rejected_offers = rec.rejected;
  facts.transfers = rec.life.transfers();
  facts.manual = manual;
  if (policy.ReadsTags()) {
    facts.tags = rec.tags();
  } else {
    facts.tags.clear();
  }
  if (policy.ReadsTier()) {
    facts.tier = rec.tier();
  } else {
    facts.tier.clear();
  }
  facts.sla.clear();
  if (rec.has_sla && policy.ReadsSla()) {
    const WorkItemId num = rec.num;
    const SlaPolicy* sla_policy = policy.ReadsSlaProgress() ? tracker_.PolicyOf(num) : nullptr;
    tracker_.VisitClocks(num, [&](const SlaClock& clock, const BusinessCalendar& calendar) {
      if (clock.cancelled() || clock.stopped()) return;
      EscalationSlaFact fact{.metric = clock.metric(), .breached = clock.breached()};
      if (policy.ReadsSlaProgress()) {
        fact.consumed = clock.Consumed(now_, calendar);
        fact.remaining = clock.Remaining(now_, calendar);
        // A fired warning counts in full, whatever the rounding of the consumed fraction.
        if (sla_policy != nullptr) {
          for (size_t w = 0; w < sla_policy->warn_at.size(); ++w) {
            if ((clock.warnings_fired() >> w) & 1) {
              fact.consumed = std::max(fact.consumed, sla_policy->warn_at[w]);
            }
          }
        }
      }
      facts.sla.push_back(fact);
    });
  }
  if (policy.ReadsQueueKpis()) {
    facts.queue_expected_wait = ExpectedWait(rec.queue, router_->queues().queue(rec.queue).size());
    facts.queue_service_level = ServiceLevel(rec.queue);
  } else {
    facts.queue_expected_wait = absl::ZeroDuration();
    facts.queue_service_level = 1.0;
  }
  return facts;
}

absl::StatusOr<absl::Time> Engine::Impl::LevelDeadlineOf(const Rec& rec) {
  LevelDeadlineMemo& memo = level_deadline_memo_;
  if (memo.policy != rec.policy || memo.level != rec.level || memo.entered != rec.level_entered) {
    memo = {
        .policy = rec.policy,
        .level = rec.level,
        .entered = rec.level_entered,
        .deadline = policies_[rec.policy].LevelDeadline(rec.level, rec.level_entered, calendars_)};
  }
  return memo.deadline;
}

absl::StatusOr<std::optional<EscalationStep>> Engine::Impl::EvaluatePolicy(const Rec& rec,
                                                                           bool manual) {
  absl::StatusOr<absl::Time> deadline = LevelDeadlineOf(rec);
  if (!deadline.ok()) return deadline.status();
  return policies_[rec.policy].EvaluateWithDeadline(FactsOf(rec, manual), now_, *deadline);
}

}  // namespace omniroute

namespace omniroute {

bool Engine::Impl::Evaluate(WorkItemId num, bool manual) {
  auto it = items_.find(num);
  if (it == items_.end() || it->second.policy < 0 || !WorkOpen(it->second.life.state())) {
    return true;
  }
  const EscalationPolicy& policy = policies_[it->second.policy];
  // Each step enters a level; a policy cannot climb (or come down) more often than it has levels
  // without a cycle, which `deescalate` rules could make.
  bool settled = false;
  for (int steps = 0; steps < policy.level_count(); ++steps) {
    it = items_.find(num);
    if (it == items_.end() || !WorkOpen(it->second.life.state())) return true;
    absl::StatusOr<std::optional<EscalationStep>> step = EvaluatePolicy(it->second, manual);
    if (!step.ok() || !step->has_value()) {
      settled = true;
      break;
    }
    EnterLevel(num, it->second, **step);
    manual = false;
    // What routing did (offers, assignments) reaches the records before the next step or the
    // next item's evaluation reads them.
    if (num != entering_) Drain();
  }
  // Enter arms an entering item's timer once it is routed: a timer armed now would be cancelled
  // before it could fire.
  if (num == entering_) return settled;
  it = items_.find(num);
  if (it != items_.end()) ArmEscalation(num, it->second);
  return settled;
}

void Engine::Impl::EnterLevel(WorkItemId num, Rec& rec, const EscalationStep& step) {
  const EscalationPolicy& policy = policies_[rec.policy];
  const EscalationLevel& level = policy.spec().levels[step.to_level];
  rec.level = step.to_level;
  rec.level_entered = now_;
  ++escalations_[{policy.name(), level.name}];
  std::vector<std::string> roles;
  for (const EscalationAction& action : level.actions) {
    if (action.kind == EscalationActionKind::kNotify) roles.push_back(action.target);
  }
  EngineEvent& event = NewItemEvent(EngineEventKind::kEscalated, rec);
  event.detail = level.name;
  event.from_level = step.from_level;
  event.level = step.to_level;
  event.trigger = std::string(EscalationTriggerKindName(step.trigger));
  event.target = absl::StrJoin(roles, ",");
  Publish(event);
  if (step.to_level < step.from_level) return;  // coming down applies no actions
  // Every action changes the record first; the item is then routed once under all of them, so
  // that the level's actions apply together, whatever their order.
  std::optional<QueueIndex> destination;
  bool new_priority = false;
  bool new_requirement = false;
  bool new_preferred = false;
  for (const EscalationAction& action : level.actions) {
    switch (action.kind) {
      case EscalationActionKind::kRaisePriorityBy:
      case EscalationActionKind::kSetPriority: {
        const int last = static_cast<int>(config_.priorities.size()) - 1;
        rec.routing_priority = action.kind == EscalationActionKind::kSetPriority
                                   ? std::clamp(action.amount, 0, last)
                                   : std::clamp(rec.routing_priority - action.amount, 0, last);
        new_priority = true;
        break;
      }
      case EscalationActionKind::kMoveToQueue:
        if (absl::StatusOr<QueueIndex> queue = FindQueue(action.target); queue.ok()) {
          destination = *queue;
        }
        break;
      case EscalationActionKind::kRequireSkill: {
        NamedRequirement requirement =
            rec.requirement == nullptr ? NamedRequirement{} : rec.requirement->named;
        int& min_level = requirement.must[action.target];
        min_level = std::max({min_level, action.amount, kMinSkillLevel});
        absl::StatusOr<Planned> planned = PlanFor(requirement);
        if (!planned.ok()) break;
        rec.requirement = *std::move(planned);
        new_requirement = true;
        break;
      }
      case EscalationActionKind::kSetPreferredAgent:
        if (absl::StatusOr<AgentIndex> agent = FindAgent(action.target); agent.ok()) {
          rec.preferred = *agent;
          new_preferred = true;
        }
        break;
      case EscalationActionKind::kNotify:
        break;
      case EscalationActionKind::kScheduleFollowUp:
        ScheduleFollowUp(rec, {.after = action.after, .queue = action.target}, now_);
        break;
    }
  }
  if (destination == rec.queue) destination.reset();
  // An entering item is routed with its record once it is in place.
  if (num == entering_) {
    if (destination) rec.queue = *destination;
    return;
  }
  if (!WorkOpen(rec.life.state())) return;
  if (destination) {
    TransferChanges changes{.priority = rec.routing_priority};
    if (new_requirement) changes.requirement = PlanOf(rec.requirement);
    if (new_preferred) changes.preferred_agent = rec.preferred;
    MoveTo(num, rec, *destination, std::move(changes));
    return;
  }
  if (rec.life.state() == ItemState::kQueued && new_preferred &&
      Serves(*rec.preferred, rec.queue)) {
    const std::optional<RoutedItemView> view = router_->Find(num);
    (void)router_->Remove(num);
    (void)router_->Submit(num, rec.queue, RoutedFor(rec, view ? view->arrival : now_));
    return;
  }
  // An offered or assigned item keeps its agent and carries the change back to a queue; a
  // queued one is routed by the requirement's change, after its priority's.
  if (new_priority) (void)router_->SetPriority(num, rec.routing_priority);
  if (new_requirement) (void)router_->SetRequirement(num, PlanOf(rec.requirement));
}

absl::Duration Engine::Impl::BusinessTimeTriggering(const EscalationTrigger& trigger,
                                                    const SlaClock& clock) {
  const absl::Duration target = clock.target();
  if (trigger.kind == EscalationTriggerKind::kSlaRemainingBelow) {
    // Less than `duration` is left once one nanosecond more than `target - duration` is counted.
    return target - trigger.duration + absl::Nanoseconds(1);
  }
  // The least whole nanoseconds whose consumed fraction (as SlaClock::Consumed) is `fraction`.
  absl::Duration business = clock.Threshold(trigger.fraction);
  if (target == absl::ZeroDuration()) return business;
  while (absl::FDivDuration(business, target) < trigger.fraction) business += absl::Nanoseconds(1);
  return business;
}

void Engine::Impl::ArmEscalation(WorkItemId num, Rec& rec) {
  timers_.Cancel(rec.escalation_timer);
  rec.escalation_timer = TimerHandle();
  if (rec.policy < 0 || !WorkOpen(rec.life.state())) return;
  const EscalationPolicy& policy = policies_[rec.policy];
  if (policy.ReadsQueueKpis()) ArmSweep();
  absl::Time next = absl::InfiniteFuture();
  if (absl::StatusOr<absl::Time> limit = LevelDeadlineOf(rec); limit.ok()) {
    next = *limit;
  }
  if (rec.has_sla && policy.ReadsSlaProgress()) {
    const SlaPolicy* sla_policy = tracker_.PolicyOf(num);
    for (const EscalationRule& rule : policy.spec().rules) {
      const EscalationTrigger& trigger = rule.trigger;
      if (trigger.kind != EscalationTriggerKind::kSlaRemainingBelow &&
          trigger.kind != EscalationTriggerKind::kSlaWarning) {
        continue;
      }
      if (rule.from_level && *rule.from_level != rec.level) continue;
      // A fraction the SLA policy warns at is evaluated when that warning fires.
      if (trigger.kind == EscalationTriggerKind::kSlaWarning && sla_policy != nullptr &&
          std::find(sla_policy->warn_at.begin(), sla_policy->warn_at.end(), trigger.fraction) !=
              sla_policy->warn_at.end()) {
        continue;
      }
      for (SlaMetric metric : kAllSlaMetrics) {
        if (trigger.metric && *trigger.metric != metric) continue;
        const SlaClock* clock = tracker_.Clock(num, metric);
        if (clock == nullptr || !clock->running() || clock->breached()) continue;
        const absl::Time instant = clock->InstantReaching(
            std::max(BusinessTimeTriggering(trigger, *clock), absl::ZeroDuration()),
            tracker_.CalendarOf(num, metric));
        if (instant > now_) next = std::min(next, instant);
      }
    }
  }
  if (next == absl::InfiniteFuture() || next <= now_) return;
  absl::StatusOr<TimerHandle> handle =
      timers_.Schedule(next, {.kind = TimerKind::kEscalation, .key = num});
  if (handle.ok()) rec.escalation_timer = *handle;
}

void Engine::Impl::MoveTo(WorkItemId num, Rec& rec, QueueIndex queue, TransferChanges changes) {
  const std::string from = router_->queues().name(rec.queue);
  const ItemState state = rec.life.state();
  if (state == ItemState::kAssigned || state == ItemState::kPendingCustomer) {
    (void)rec.life.Apply(ItemEvent::kTransfer);
    // The pauses end with the work, each announced.
    for (const std::string& reason : rec.pauses()) {
      EmitItem(EngineEventKind::kResumed, rec, reason);
    }
    ResumeAllPauses(num, rec, now_);
    ++transfers_;
    // Answered work waits in its new queue from now, for that queue's answer times; its place in
    // the order keeps its arrival.
    rec.arrival = now_;
  } else if (state == ItemState::kOffered) {
    (void)rec.life.Apply(ItemEvent::kOfferEnded);
  }
  rec.queue = queue;
  ++queues_[queue].arrived;
  // The event names the agent who held it (offered or assigned), whose offer or work it ends.
  EmitItem(EngineEventKind::kTransferred, rec, from);
  rec.agent = kNoAgent;
  (void)router_->Transfer(num, queue, std::move(changes));
}

void Engine::Impl::ResumeAllPauses(WorkItemId num, Rec& rec, absl::Time at) {
  if (rec.has_sla) {
    for (const std::string& reason : rec.pauses()) (void)tracker_.Resume(num, reason, at);
  }
  if (rec.labels != nullptr) {
    rec.labels->pauses.clear();
    rec.DropEmptyLabels();
  }
}

void Engine::Impl::ScheduleFollowUp(const Rec& rec, const FollowUpSpec& spec, absl::Time at) {
  FollowUpTask task{
      .item = {.id = absl::StrCat(rec.id, "/follow_up"),
               .queue = spec.queue,
               .channel = spec.channel.empty() ? channels_.spec(rec.channel).name : spec.channel,
               .priority = config_.priorities[rec.sla_priority],
               .tier = rec.tier(),
               .tags = {},
               .customer = rec.customer},
      .parent = rec.id};
  const uint64_t key = next_follow_up_++;
  if (timers_.Schedule(at + spec.after, {.kind = TimerKind::kFollowUp, .key = key}).ok()) {
    follow_ups_.emplace(key, std::move(task));
  }
}

void Engine::Impl::CreateFollowUp(uint64_t key) {
  const auto found = follow_ups_.find(key);
  if (found == follow_ups_.end()) return;
  FollowUpTask task = std::move(found->second);
  follow_ups_.erase(found);
  // A follow-up of a follow-up, or one whose id is taken, gets a numbered id.
  for (int n = 2; item_ids_.contains(task.item.id); ++n) {
    task.item.id = absl::StrCat(task.parent, "/follow_up_", n);
  }
  // The id is free, the queue and channel were checked with the configuration; a priority or
  // tier without targets in the follow-up queue's SLA policy drops the follow-up.
  (void)Submit(task.item, now_, task.parent);
}

void Engine::Impl::Finish(WorkItemId num) {
  const auto it = items_.find(num);
  if (it == items_.end()) return;
  timers_.Cancel(it->second.escalation_timer);
  timers_.Cancel(it->second.close_timer);
  if (it->second.has_sla) (void)tracker_.Forget(num);
  item_ids_.erase(absl::string_view(it->second.id));
  items_.erase(it);
}

absl::Duration Engine::Impl::ExpectedWait(QueueIndex q, size_t ahead) const {
  // Nobody ahead and an agent free to take it: no wait. Only then do the agents matter.
  if (ahead == 0) {
    for (AgentIndex a = 0; a < agent_ids_.size(); ++a) {
      if (Serves(a, q) && FreeNow(a)) return absl::ZeroDuration();
    }
  }
  const size_t recent = RecentAnswers(queues_[q]);
  if (recent == 0) return absl::InfiniteDuration();
  const absl::Duration window = std::min(config_.expected_wait_window, now_ - config_.origin);
  // Answers at the origin itself: a rate without bound, whose wait is none.
  if (window <= absl::ZeroDuration()) return absl::ZeroDuration();
  return window * static_cast<double>(ahead + 1) / static_cast<double>(recent);
}

bool Engine::Impl::FreeNow(AgentIndex agent) const {
  if (router_->agents().State(agent) != AgentState::kAvailable) return false;
  for (ChannelId c = 0; c < channels_.size(); ++c) {
    if (router_->agents().CanTake(agent, c)) return true;
  }
  return false;
}

size_t Engine::Impl::RecentAnswers(const QueueInfo& info) const {
  const absl::Time since = now_ - config_.expected_wait_window;
  // Assignments are recorded in time order.
  return static_cast<size_t>(info.recent.end() -
                             std::partition_point(info.recent.begin(), info.recent.end(),
                                                  [since](absl::Time t) { return t <= since; }));
}

double Engine::Impl::ServiceLevel(QueueIndex q) const {
  const QueueInfo& info = queues_[q];
  const uint64_t total = info.answered + info.abandoned_after;
  return total == 0 ? 1.0 : static_cast<double>(info.answered_within) / static_cast<double>(total);
}

}  // namespace omniroute

namespace omniroute {
namespace {

absl::Status NotAllowed(std::string_view id, ItemState state, std::string_view what) {
  return absl::FailedPreconditionError(absl::StrCat("item \"", std::string(id), "\" is ",
                                                    std::string(ItemStateName(state)), ": cannot ",
                                                    std::string(what)));
}

}  // namespace

// --- agent commands -----------------------------------------------------------------------------

absl::Status Engine::Impl::AddAgent(const EngineAgentSpec& spec, absl::Time) {
  const absl::StatusOr<AgentIndex> existing = router_->agents().Find(spec.id);
  if (existing.ok() && !removed_[*existing]) {
    return absl::AlreadyExistsError(absl::StrCat("agent \"", spec.id, "\" exists"));
  }
  OMNIROUTE_ASSIGN_OR_RETURN(AgentConfig config, AgentConfigFor(spec));
  if (existing.ok()) {
    // A removed agent comes back with its new profile, offline.
    const AgentIndex agent = *existing;
    OMNIROUTE_RETURN_IF_ERROR(router_->SetAgentProfile(
        agent, std::move(config.skills), std::move(config.queues), std::move(config.capacity)));
    removed_[agent] = false;
  } else {
    OMNIROUTE_ASSIGN_OR_RETURN(const AgentIndex agent, router_->AddAgent(std::move(config)));
    agent_ids_.resize(std::max<size_t>(agent_ids_.size(), agent + 1));
    removed_.resize(agent_ids_.size(), false);
    agent_ids_[agent] = spec.id;
  }
  Drain();
  return absl::OkStatus();
}

absl::Status Engine::Impl::RemoveAgent(std::string_view id, absl::Time) {
  OMNIROUTE_ASSIGN_OR_RETURN(const AgentIndex agent, FindAgent(id));
  std::vector<WorkItemId> offers;
  std::vector<std::string> assigned;
  for (const HeldWork& held : router_->agents().Held(agent)) {
    if (held.pending) {
      offers.push_back(held.item);
    } else {
      assigned.push_back(items_.at(held.item).id);
    }
  }
  if (!assigned.empty()) {
    std::sort(assigned.begin(), assigned.end());
    return absl::FailedPreconditionError(absl::StrCat(
        "agent \"", std::string(id), "\" holds assigned work: ", absl::StrJoin(assigned, ", ")));
  }
  (void)router_->SetAgentQueues(agent, {});
  for (WorkItemId num : offers) {
    Rec& rec = items_.at(num);
    (void)rec.life.Apply(ItemEvent::kOfferEnded);
    rec.agent = kNoAgent;
    (void)router_->Transfer(num, rec.queue);
  }
  (void)router_->SetAgentState(agent, AgentState::kOffline, "removed");
  removed_[agent] = true;
  Emit({.kind = EngineEventKind::kAgentState,
        .at = now_,
        .agent = std::string(id),
        .detail = "offline:removed"});
  Drain();
  return absl::OkStatus();
}

absl::Status Engine::Impl::UpdateAgent(const EngineAgentSpec& spec, absl::Time) {
  OMNIROUTE_ASSIGN_OR_RETURN(const AgentIndex agent, FindAgent(spec.id));
  OMNIROUTE_ASSIGN_OR_RETURN(AgentConfig config, AgentConfigFor(spec));
  // One change, one routing decision: never an offer under half the new profile.
  OMNIROUTE_RETURN_IF_ERROR(router_->SetAgentProfile(
      agent, std::move(config.skills), std::move(config.queues), std::move(config.capacity)));
  Drain();
  return absl::OkStatus();
}

absl::Status Engine::Impl::SetAgentState(std::string_view id, AgentState state, absl::Time,
                                         std::string_view reason) {
  OMNIROUTE_ASSIGN_OR_RETURN(const AgentIndex agent, FindAgent(id));
  OMNIROUTE_RETURN_IF_ERROR(router_->SetAgentState(agent, state, reason));
  std::string detail(AgentStateName(state));
  if (!reason.empty()) absl::StrAppend(&detail, ":", std::string(reason));
  Emit({.kind = EngineEventKind::kAgentState,
        .at = now_,
        .agent = std::string(id),
        .detail = std::move(detail)});
  Drain();
  return absl::OkStatus();
}

// --- item commands ------------------------------------------------------------------------------

absl::Status Engine::Impl::Submit(const EngineItemSpec& spec, absl::Time at,
                                  std::string_view follow_up_of) {
  if (spec.id.empty()) return absl::InvalidArgumentError("an item needs an id");
  if (item_ids_.contains(spec.id)) {
    return absl::AlreadyExistsError(absl::StrCat("item \"", spec.id, "\" exists"));
  }
  OMNIROUTE_ASSIGN_OR_RETURN(const QueueIndex queue, FindQueue(spec.queue));
  OMNIROUTE_ASSIGN_OR_RETURN(const ChannelId channel, channels_.Find(spec.channel));
  OMNIROUTE_ASSIGN_OR_RETURN(const int priority, FindPriority(spec.priority));
  const absl::Time created = spec.created.value_or(at);
  if (created > at) {
    return absl::InvalidArgumentError(
        absl::StrCat("item \"", spec.id, "\": created after the command's instant"));
  }
  OMNIROUTE_ASSIGN_OR_RETURN(const std::string sla_policy, SlaPolicyFor(spec, queue));
  const std::string& label = config_.priorities[priority];
  if (!sla_policy.empty()) {
    OMNIROUTE_RETURN_IF_ERROR(CheckSlaPriority(sla_policy, label, spec.tier));
  }
  OMNIROUTE_ASSIGN_OR_RETURN(Planned planned, PlanFor(spec.requirement));
  const WorkItemId num = next_item_++;
  Rec rec{.id = spec.id,
          .num = num,
          .queue = queue,
          .channel = channel,
          .sla_priority = priority,
          .routing_priority = priority,
          .customer = spec.customer,
          .requirement = std::move(planned),
          .created = created,
          .deadline = spec.deadline,
          .arrival = at,
          .policy = queues_[queue].policy,
          .level_entered = at};
  if (!spec.tier.empty() || !spec.tags.empty()) {
    rec.labels = std::make_unique<Labels>(Labels{.tier = spec.tier, .tags = spec.tags});
  }
  if (!spec.customer.empty()) {
    if (const auto last = customer_agent_.find(spec.customer); last != customer_agent_.end()) {
      rec.preferred = last->second;
    }
  }
  Rec& stored = items_.emplace(num, std::move(rec)).first->second;
  item_ids_.emplace(stored.id, &stored);
  if (!sla_policy.empty()) {
    if (absl::Status started = tracker_.Start(num, sla_policy, label, spec.tier, created, at);
        !started.ok()) {
      item_ids_.erase(absl::string_view(stored.id));
      items_.erase(num);
      return started;
    }
    stored.has_sla = true;
  }
  ++submitted_;
  if (!follow_up_of.empty()) {
    EmitItem(EngineEventKind::kFollowUpCreated, stored, std::string(follow_up_of));
  }
  Enter(num, stored, at);
  return absl::OkStatus();
}

void Engine::Impl::Enter(WorkItemId num, Rec& rec, absl::Time at) {
  // Late SLA events of a retroactive start and escalation at entry (a VIP tier, an upset tag)
  // apply before the item is first routed.
  entering_ = num;
  Drain();
  const bool settled = Evaluate(num);
  entering_ = 0;
  ++queues_[rec.queue].arrived;
  (void)router_->Submit(num, rec.queue, RoutedFor(rec, at));
  Drain();
  // Routing changes no fact a rule reads but the queue's KPIs: a settled item only needs its
  // timer.
  const auto it = items_.find(num);
  if (settled && it != items_.end() &&
      (it->second.policy < 0 || !policies_[it->second.policy].ReadsQueueKpis())) {
    ArmEscalation(num, it->second);
  } else {
    Evaluate(num);
  }
  Drain();
}

absl::Status Engine::Impl::Update(std::string_view id, const EngineItemUpdate& update,
                                  absl::Time at) {
  OMNIROUTE_ASSIGN_OR_RETURN(Rec * rec, Find(id));
  const WorkItemId num = rec->num;
  int priority = rec->sla_priority;
  if (update.priority) {
    OMNIROUTE_ASSIGN_OR_RETURN(priority, FindPriority(*update.priority));
  }
  const std::string tier = update.tier.value_or(rec->tier());
  const bool retarget = rec->has_sla && (priority != rec->sla_priority || tier != rec->tier());
  if (retarget) {
    OMNIROUTE_RETURN_IF_ERROR(
        CheckSlaPriority(tracker_.PolicyOf(num)->name, config_.priorities[priority], tier));
  }
  Planned planned = rec->requirement;
  if (update.requirement) {
    OMNIROUTE_ASSIGN_OR_RETURN(planned, PlanFor(*update.requirement));
  }
  if (retarget) {
    OMNIROUTE_RETURN_IF_ERROR(tracker_.Retarget(num, config_.priorities[priority], tier, at));
  }
  // An offered or assigned item keeps its agent; it carries the change back to a queue.
  const bool routed = WorkOpen(rec->life.state());
  if (update.priority) {
    rec->sla_priority = priority;
    rec->routing_priority = priority;
    if (routed) (void)router_->SetPriority(num, priority);
  }
  if (tier != rec->tier()) rec->MutableLabels().tier = tier;
  if (update.tags) rec->MutableLabels().tags = *update.tags;
  rec->DropEmptyLabels();
  if (update.requirement) {
    rec->requirement = std::move(planned);
    if (routed) (void)router_->SetRequirement(num, PlanOf(rec->requirement));
  }
  if (update.deadline) {
    rec->deadline = *update.deadline;
    if (routed) (void)router_->SetDeadline(num, *update.deadline);
  }
  Drain();
  Evaluate(num);
  Drain();
  return absl::OkStatus();
}

absl::Status Engine::Impl::Answer(std::string_view id, std::string_view agent_id, absl::Time,
                                  bool accept) {
  OMNIROUTE_ASSIGN_OR_RETURN(Rec * rec, Find(id));
  OMNIROUTE_ASSIGN_OR_RETURN(const AgentIndex agent, FindAgent(agent_id));
  const WorkItemId num = rec->num;
  if (rec->life.state() != ItemState::kOffered) {
    return NotAllowed(id, rec->life.state(), accept ? "accept" : "reject");
  }
  if (rec->agent != kNoAgent && rec->agent != agent) {
    return absl::FailedPreconditionError(absl::StrCat(
        "item \"", std::string(id), "\" is offered to agent \"", agent_ids_[rec->agent],
        "\", not to \"", std::string(agent_id), "\": cannot ", accept ? "accept" : "reject"));
  }
  OMNIROUTE_RETURN_IF_ERROR(accept ? router_->Accept(agent, num) : router_->Reject(agent, num));
  Drain();
  return absl::OkStatus();
}

absl::Status Engine::Impl::Respond(std::string_view id, absl::Time at) {
  OMNIROUTE_ASSIGN_OR_RETURN(Rec * rec, Find(id));
  const ItemState state = rec->life.state();
  if (state != ItemState::kAssigned && state != ItemState::kPendingCustomer) {
    return NotAllowed(id, state, "respond (only assigned work can)");
  }
  const WorkItemId num = rec->num;
  if (rec->has_sla) OMNIROUTE_RETURN_IF_ERROR(tracker_.AgentResponded(num, at));
  if (!rec->responded) {
    rec->responded = true;
    ++first_responses_;
    first_response_total_ += at - rec->created;
  }
  Drain();
  return absl::OkStatus();
}

absl::Status Engine::Impl::CustomerMessage(std::string_view id, absl::Time at) {
  OMNIROUTE_ASSIGN_OR_RETURN(Rec * rec, Find(id));
  if (!WorkOpen(rec->life.state())) {
    return NotAllowed(id, rec->life.state(), "take a customer message (reopen it first)");
  }
  const WorkItemId num = rec->num;
  if (rec->has_sla) OMNIROUTE_RETURN_IF_ERROR(tracker_.CustomerMessaged(num, at));
  Drain();
  const std::vector<std::string>& pauses = rec->pauses();
  if (std::find(pauses.begin(), pauses.end(), "customer") != pauses.end()) {
    return Resume(id, at, "customer");
  }
  return absl::OkStatus();
}

absl::Status Engine::Impl::Pause(std::string_view id, absl::Time at, std::string_view reason) {
  OMNIROUTE_ASSIGN_OR_RETURN(Rec * rec, Find(id));
  const ItemState state = rec->life.state();
  if (state != ItemState::kAssigned && state != ItemState::kPendingCustomer) {
    return NotAllowed(id, state, "pause (only assigned work can)");
  }
  if (reason.empty()) return absl::InvalidArgumentError("a pause needs a reason");
  const std::vector<std::string>& pauses = rec->pauses();
  if (std::find(pauses.begin(), pauses.end(), reason) != pauses.end()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "item \"", std::string(id), "\" is already paused for \"", std::string(reason), "\""));
  }
  const WorkItemId num = rec->num;
  if (rec->has_sla) OMNIROUTE_RETURN_IF_ERROR(tracker_.Pause(num, reason, at));
  rec->MutableLabels().pauses.emplace_back(reason);
  if (state == ItemState::kAssigned) (void)rec->life.Apply(ItemEvent::kAwaitCustomer);
  RearmSlaProgress(num, *rec);
  EmitItem(EngineEventKind::kPendingCustomer, *rec, std::string(reason));
  Drain();
  return absl::OkStatus();
}

absl::Status Engine::Impl::Resume(std::string_view id, absl::Time at, std::string_view reason) {
  OMNIROUTE_ASSIGN_OR_RETURN(Rec * rec, Find(id));
  const std::vector<std::string>& pauses = rec->pauses();
  const auto found = std::find(pauses.begin(), pauses.end(), reason);
  if (found == pauses.end()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "item \"", std::string(id), "\" is not paused for \"", std::string(reason), "\""));
  }
  const WorkItemId num = rec->num;
  if (rec->has_sla) OMNIROUTE_RETURN_IF_ERROR(tracker_.Resume(num, reason, at));
  rec->labels->pauses.erase(found);
  if (rec->labels->pauses.empty()) {
    rec->DropEmptyLabels();
    (void)rec->life.Apply(ItemEvent::kCustomerReplied);
  }
  RearmSlaProgress(num, *rec);
  EmitItem(EngineEventKind::kResumed, *rec, std::string(reason));
  Drain();
  return absl::OkStatus();
}

absl::Status Engine::Impl::Resolve(std::string_view id, absl::Time at) {
  OMNIROUTE_ASSIGN_OR_RETURN(Rec * rec, Find(id));
  if (!NextItemState(rec->life.state(), ItemEvent::kResolve).ok()) {
    return NotAllowed(id, rec->life.state(), "resolve (only assigned work can)");
  }
  const WorkItemId num = rec->num;
  OMNIROUTE_RETURN_IF_ERROR(router_->Complete(num));
  ResumeAllPauses(num, *rec, at);
  if (rec->has_sla) (void)tracker_.Resolve(num, at);
  (void)rec->life.Apply(ItemEvent::kResolve);
  ++resolved_;
  if (!rec->resolved_once) {
    rec->resolved_once = true;
    ++first_resolved_;
    resolution_total_ += at - rec->created;
    if (rec->life.transfers() == 0) {
      rec->clean_first_resolution = true;
      ++clean_first_;
    }
  }
  if (!rec->customer.empty() && rec->agent != kNoAgent) {
    customer_agent_.insert_or_assign(rec->customer, rec->agent);
  }
  ArmEscalation(num, *rec);
  if (config_.auto_close_after != absl::InfiniteDuration()) {
    absl::StatusOr<TimerHandle> timer = timers_.Schedule(
        at + config_.auto_close_after, {.kind = TimerKind::kAutoClose, .key = num});
    if (timer.ok()) rec->close_timer = *timer;
  }
  if (const std::optional<FollowUpSpec>& follow_up = queues_[rec->queue].spec.follow_up) {
    ScheduleFollowUp(*rec, *follow_up, at);
  }
  EmitItem(EngineEventKind::kResolved, *rec);
  Drain();
  return absl::OkStatus();
}

absl::Status Engine::Impl::Confirm(std::string_view id, absl::Time) {
  OMNIROUTE_ASSIGN_OR_RETURN(Rec * rec, Find(id));
  if (!NextItemState(rec->life.state(), ItemEvent::kConfirm).ok()) {
    return NotAllowed(id, rec->life.state(), "confirm (only resolved work can be)");
  }
  (void)rec->life.Apply(ItemEvent::kConfirm);
  ++closed_;
  EmitItem(EngineEventKind::kClosed, *rec, "confirmed");
  Finish(rec->num);
  return absl::OkStatus();
}

absl::Status Engine::Impl::Reopen(std::string_view id, absl::Time at) {
  OMNIROUTE_ASSIGN_OR_RETURN(Rec * rec, Find(id));
  if (!NextItemState(rec->life.state(), ItemEvent::kReopen).ok()) {
    return NotAllowed(id, rec->life.state(), "reopen (only resolved work can be)");
  }
  const WorkItemId num = rec->num;
  if (rec->has_sla) OMNIROUTE_RETURN_IF_ERROR(tracker_.Reopen(num, at));
  (void)rec->life.Apply(ItemEvent::kReopen);
  ++reopened_;
  if (rec->clean_first_resolution) {
    rec->clean_first_resolution = false;
    --clean_first_;
  }
  timers_.Cancel(rec->close_timer);
  rec->close_timer = TimerHandle();
  if (rec->agent != kNoAgent) rec->preferred = rec->agent;
  EmitItem(EngineEventKind::kReopened, *rec);
  (void)rec->life.Apply(ItemEvent::kRequeue);
  rec->agent = kNoAgent;
  rec->arrival = at;
  rec->level_entered = at;
  Enter(num, *rec, at);
  return absl::OkStatus();
}

absl::Status Engine::Impl::Transfer(std::string_view id, std::string_view queue_name, absl::Time) {
  OMNIROUTE_ASSIGN_OR_RETURN(Rec * rec, Find(id));
  if (!WorkOpen(rec->life.state())) return NotAllowed(id, rec->life.state(), "transfer");
  OMNIROUTE_ASSIGN_OR_RETURN(const QueueIndex queue, FindQueue(queue_name));
  if (queue == rec->queue) {
    return absl::InvalidArgumentError(absl::StrCat(
        "item \"", std::string(id), "\" is already in queue \"", std::string(queue_name), "\""));
  }
  const WorkItemId num = rec->num;
  MoveTo(num, *rec, queue, {.priority = rec->routing_priority});
  Drain();
  Evaluate(num);
  Drain();
  return absl::OkStatus();
}

absl::Status Engine::Impl::Escalate(std::string_view id, absl::Time) {
  OMNIROUTE_ASSIGN_OR_RETURN(Rec * rec, Find(id));
  if (!WorkOpen(rec->life.state())) return NotAllowed(id, rec->life.state(), "escalate");
  if (rec->policy < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("item \"", std::string(id), "\" has no escalation policy"));
  }
  absl::StatusOr<std::optional<EscalationStep>> step = EvaluatePolicy(*rec, /*manual=*/true);
  if (!step.ok()) return step.status();
  if (!step->has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("no escalation rule of policy \"", policies_[rec->policy].name(),
                     "\" applies to item \"", std::string(id), "\" at level \"",
                     policies_[rec->policy].spec().levels[rec->level].name, "\""));
  }
  Evaluate(rec->num, /*manual=*/true);
  Drain();
  return absl::OkStatus();
}

absl::Status Engine::Impl::End(std::string_view id, absl::Time at, bool abandoned) {
  OMNIROUTE_ASSIGN_OR_RETURN(Rec * rec, Find(id));
  const ItemEvent event = abandoned ? ItemEvent::kAbandon : ItemEvent::kCancel;
  if (!NextItemState(rec->life.state(), event).ok()) {
    return NotAllowed(id, rec->life.state(), abandoned ? "abandon" : "cancel");
  }
  const WorkItemId num = rec->num;
  if (WorkOpen(rec->life.state())) OMNIROUTE_RETURN_IF_ERROR(router_->Remove(num));
  if (rec->has_sla) (void)tracker_.Cancel(num, at);
  (void)rec->life.Apply(event);
  if (abandoned) {
    QueueInfo& info = queues_[rec->queue];
    ++info.abandoned;
    ++abandoned_;
    if (at - rec->arrival > info.spec.service_level_threshold) ++info.abandoned_after;
  } else {
    ++cancelled_;
  }
  EmitItem(abandoned ? EngineEventKind::kAbandoned : EngineEventKind::kCancelled, *rec);
  Finish(num);
  Drain();
  return absl::OkStatus();
}

}  // namespace omniroute

namespace omniroute {

// --- views --------------------------------------------------------------------------------------

absl::StatusOr<EngineItemView> Engine::Impl::ItemView(std::string_view id) const {
  OMNIROUTE_ASSIGN_OR_RETURN(const Rec* rec, Find(id));
  const WorkItemId num = rec->num;
  EngineItemView view{.id = rec->id,
                      .state = rec->life.state(),
                      .queue = router_->queues().name(rec->queue),
                      .channel = channels_.spec(rec->channel).name,
                      .priority = config_.priorities[rec->sla_priority],
                      .routing_priority = rec->routing_priority,
                      .tier = rec->tier(),
                      .tags = rec->tags(),
                      .customer = rec->customer,
                      .created = rec->created,
                      .level = rec->level,
                      .transfers = rec->life.transfers(),
                      .reopens = rec->life.reopens(),
                      .rejected_offers = rec->rejected};
  if (rec->agent != kNoAgent) view.agent = agent_ids_[rec->agent];
  if (rec->policy >= 0) {
    const EscalationPolicy& policy = policies_[rec->policy];
    view.escalation_policy = policy.name();
    view.level_name = policy.spec().levels[rec->level].name;
  }
  if (rec->life.state() == ItemState::kQueued) {
    view.position = router_->queues().queue(rec->queue).PositionOf(num);
  }
  if (rec->has_sla) {
    for (const SlaClock& clock : tracker_.Clocks(num)) {
      view.sla.push_back(
          {.metric = clock.metric(),
           .state = clock.state(),
           .start = clock.start(),
           .deadline = clock.Deadline(),
           .target = clock.target(),
           .elapsed = clock.Elapsed(now_, tracker_.CalendarOf(num, clock.metric()))});
    }
  }
  return view;
}

absl::StatusOr<EngineAgentView> Engine::Impl::AgentView(std::string_view id) const {
  OMNIROUTE_ASSIGN_OR_RETURN(const AgentIndex agent, FindAgent(id));
  const omniroute::AgentView pool = router_->agents().View(agent);
  EngineAgentView view{.id = std::string(id),
                       .state = pool.state,
                       .away_reason = std::string(pool.away_reason),
                       .used_units = pool.used_units,
                       .budget = pool.budget,
                       .handled = pool.handled,
                       .estimated_time_until_free = pool.estimated_time_until_free};
  for (size_t c = 0; c < pool.load.size(); ++c) {
    if (pool.load[c] > 0) view.load[channels_.spec(static_cast<ChannelId>(c)).name] = pool.load[c];
  }
  for (const HeldWork& held : router_->agents().Held(agent)) {
    const auto it = items_.find(held.item);
    if (it == items_.end()) continue;
    (held.pending ? view.offered : view.assigned).push_back(it->second.id);
  }
  for (const QueueAssignment& q : router_->agents().Queues(agent)) {
    view.queues.push_back(router_->queues().name(q.queue));
  }
  return view;
}

absl::StatusOr<EngineAgentSpec> Engine::Impl::AgentSpec(std::string_view id) const {
  OMNIROUTE_ASSIGN_OR_RETURN(const AgentIndex agent, FindAgent(id));
  const AgentPool& pool = router_->agents();
  EngineAgentSpec spec{.id = std::string(id)};
  for (const SkillLevel& skill : pool.Skills(agent)) {
    spec.skills.emplace(std::string(catalog_.Name(skill.skill)), skill.level);
  }
  const AgentCapacity& capacity = pool.Capacity(agent);
  for (size_t channel = 0; channel < capacity.limits.size(); ++channel) {
    if (capacity.limits[channel] == 0) continue;
    spec.capacity.emplace(channels_.spec(static_cast<ChannelId>(channel)).name,
                          capacity.limits[channel]);
  }
  if (capacity.budget != DefaultBudget(capacity.limits)) spec.budget = capacity.budget;
  for (const QueueAssignment& q : pool.Queues(agent)) {
    spec.queues.push_back(
        {.queue = router_->queues().name(q.queue), .priority = q.priority, .delay = q.delay});
  }
  return spec;
}

QueueStats Engine::Impl::StatsOf(QueueIndex q) const {
  const QueueInfo& info = queues_[q];
  const WorkQueue& queue = router_->queues().queue(q);
  QueueStats stats{.name = info.spec.name,
                   .waiting = queue.size(),
                   .longest_wait = queue.LongestWait(),
                   .arrived = info.arrived,
                   .answered = info.answered,
                   .abandoned = info.abandoned,
                   .abandoned_after_threshold = info.abandoned_after,
                   .answered_within_threshold = info.answered_within,
                   .service_level = ServiceLevel(q)};
  for (size_t p = 0; p < config_.priorities.size(); ++p) {
    stats.waiting_by_priority.push_back(queue.CountWithPriority(static_cast<int>(p)));
  }
  for (size_t s = 0; s < config_.service_level_splits.size() && s < info.splits.size(); ++s) {
    stats.answered_within.emplace_back(config_.service_level_splits[s], info.splits[s]);
  }
  if (info.answered > 0) {
    stats.average_wait_answered = info.total_wait / static_cast<int64_t>(info.answered);
  }
  for (AgentIndex a = 0; a < agent_ids_.size(); ++a) {
    if (!Serves(a, q)) continue;
    const AgentState state = router_->agents().State(a);
    if (state != AgentState::kOffline) ++stats.agents_staffed;
    if (FreeNow(a)) ++stats.agents_available;
  }
  stats.expected_wait = ExpectedWait(q, stats.waiting);
  const size_t recent = RecentAnswers(info);
  const absl::Duration window = std::min(config_.expected_wait_window, now_ - config_.origin);
  if (window > absl::ZeroDuration()) {
    stats.service_rate_per_hour = static_cast<double>(recent) / absl::ToDoubleHours(window);
  }
  return stats;
}

absl::StatusOr<QueueStats> Engine::Impl::Stats(std::string_view name) const {
  OMNIROUTE_ASSIGN_OR_RETURN(const QueueIndex q, FindQueue(name));
  return StatsOf(q);
}

EngineKpis Engine::Impl::Kpis() const {
  EngineKpis k{.submitted = submitted_,
               .answered = answered_,
               .first_responses = first_responses_,
               .resolved = resolved_,
               .abandoned = abandoned_,
               .transfers = transfers_,
               .reopened = reopened_,
               .closed = closed_,
               .cancelled = cancelled_,
               .escalations = escalations_};
  if (first_responses_ > 0) {
    k.average_first_response = first_response_total_ / static_cast<int64_t>(first_responses_);
  }
  if (first_resolved_ > 0) {
    k.average_resolution = resolution_total_ / static_cast<int64_t>(first_resolved_);
    k.first_contact_resolution =
        static_cast<double>(clean_first_) / static_cast<double>(first_resolved_);
  }
  uint64_t met = 0, verdicts = 0;
  for (const SlaTracker::AttainmentEntry& entry : tracker_.AllAttainment()) {
    met += entry.attainment->met;
    verdicts += entry.attainment->met + entry.attainment->breached;
  }
  if (verdicts > 0) k.on_time = static_cast<double>(met) / static_cast<double>(verdicts);
  if (abandoned_ + answered_ > 0) {
    k.abandonment_rate =
        static_cast<double>(abandoned_) / static_cast<double>(abandoned_ + answered_);
  }
  return k;
}

absl::StatusOr<std::vector<std::pair<std::string, Candidate>>> Engine::Impl::Explain(
    std::string_view id) const {
  OMNIROUTE_ASSIGN_OR_RETURN(const Rec* rec, Find(id));
  if (!WorkOpen(rec->life.state())) {
    return absl::FailedPreconditionError(absl::StrCat("item \"", std::string(id), "\" is ",
                                                      std::string(ItemStateName(rec->life.state())),
                                                      ": no agent is to take it"));
  }
  OMNIROUTE_ASSIGN_OR_RETURN(std::vector<Candidate> candidates, router_->Explain(rec->num));
  std::vector<std::pair<std::string, Candidate>> out;
  for (Candidate& c : candidates) {
    if (removed_[c.agent]) continue;
    c.reason = NameSkills(std::move(c.reason));
    out.emplace_back(agent_ids_[c.agent], std::move(c));
  }
  return out;
}

std::string Engine::Impl::NameSkills(std::string reason) const {
  // The router knows skills by id ("missing skill #3"); the engine's catalog has their names.
  const size_t hash = reason.find('#');
  if (hash == std::string::npos) return reason;
  size_t end = hash + 1;
  while (end < reason.size() && reason[end] >= '0' && reason[end] <= '9') ++end;
  uint64_t id = 0;
  const auto [last, error] = std::from_chars(reason.data() + hash + 1, reason.data() + end, id);
  if (error != std::errc() || last != reason.data() + end || id >= catalog_.size()) return reason;
  reason.replace(hash, end - hash, std::string(catalog_.Name(static_cast<SkillId>(id))));
  return reason;
}

uint64_t Engine::Impl::StateDigest() const {
  // Each part is a sum of per-item hashes, so that records, queues and clocks are each walked in
  // their own storage order with no lookup between them: a digest of a large engine then costs a
  // pass over memory rather than a cache miss per item and part.
  uint64_t records = 0;
  for (const auto& [num, rec] : items_) {
    StableHash r;
    DigestRecord(r, num, rec);
    r.AddInt(rec.has_sla);
    records += r.value();
  }
  uint64_t ranks = 0;
  for (QueueIndex q = 0; q < router_->queues().queue_count(); ++q) {
    router_->queues().queue(q).VisitRanks([&ranks, q](WorkItemId num, const QueueRank& rank) {
      StableHash r;
      r.AddInt(num);
      r.AddInt(q);
      r.AddInt(rank.overdue);
      r.AddInt(static_cast<uint64_t>(rank.key));
      r.AddInt(static_cast<uint64_t>(rank.arrival_ns));
      r.AddInt(rank.sequence);
      ranks += r.value();
    });
  }
  uint64_t clocks = 0;
  tracker_.VisitAllClocks([&clocks](SlaItemId num, const SlaClock& clock) {
    StableHash c;
    c.AddInt(num);
    c.AddInt(static_cast<uint64_t>(clock.metric()));
    c.AddInt(static_cast<uint64_t>(clock.state()));
    c.AddTime(clock.Deadline());
    clocks += c.value();
  });
  StableHash h;
  h.AddTime(now_);
  h.AddInt(event_digest_.value());
  h.AddInt(items_.size());
  h.AddInt(records);
  h.AddInt(ranks);
  h.AddInt(clocks);
  DigestAgentsAndQueues(h);
  return h.value();
}

uint64_t Engine::Impl::OrderedStateDigest() const {
  StableHash h;
  h.AddTime(now_);
  h.AddInt(event_digest_.value());
  for (const auto& [num, record] : SortedRecords()) {
    const Rec& rec = *record;
    DigestRecord(h, num, rec);
    if (const std::optional<QueueRank> rank = router_->queues().queue(rec.queue).RankOf(num)) {
      h.AddInt(rank->overdue);
      h.AddInt(static_cast<uint64_t>(rank->key));
      h.AddInt(static_cast<uint64_t>(rank->arrival_ns));
      h.AddInt(rank->sequence);
    }
    if (rec.has_sla) {
      tracker_.VisitClocks(num, [&h](const SlaClock& clock, const BusinessCalendar&) {
        h.AddInt(static_cast<uint64_t>(clock.state()));
        h.AddTime(clock.Deadline());
      });
    }
  }
  DigestAgentsAndQueues(h);
  return h.value();
}

void Engine::Impl::DigestRecord(StableHash& h, WorkItemId num, const Rec& rec) {
  h.AddInt(num);
  h.Add(rec.id);
  h.AddInt(static_cast<uint64_t>(rec.life.state()));
  h.AddInt(rec.queue);
  h.AddInt(static_cast<uint64_t>(rec.routing_priority));
  h.AddInt(static_cast<uint64_t>(rec.sla_priority));
  h.AddInt(static_cast<uint64_t>(rec.level));
  h.AddInt(rec.agent);
  h.AddInt(static_cast<uint64_t>(rec.rejected));
  h.AddInt(static_cast<uint64_t>(rec.life.transfers()));
}

void Engine::Impl::DigestAgentsAndQueues(StableHash& h) const {
  for (AgentIndex a = 0; a < agent_ids_.size(); ++a) {
    const omniroute::AgentView v = router_->agents().View(a);
    h.Add(agent_ids_[a]);
    h.AddInt(static_cast<uint64_t>(v.state));
    h.AddInt(static_cast<uint64_t>(v.used_units));
    h.AddInt(v.handled);
    h.AddTime(v.last_activity);
  }
  for (QueueIndex q = 0; q < queues_.size(); ++q) {
    const QueueInfo& info = queues_[q];
    h.AddInt(info.arrived);
    h.AddInt(info.answered);
    h.AddInt(info.abandoned);
  }
}

size_t Engine::Impl::MemoryBytes() const {
  using internal::FlatTableBytes;
  using internal::HeapBytes;
  // `items_` is node-based: a pointer and a control byte per slot, and a node per record.
  size_t bytes = sizeof(*this) + items_.capacity() * (sizeof(void*) + 1) +
                 items_.size() * sizeof(std::pair<const WorkItemId, Rec>) +
                 FlatTableBytes(item_ids_) + FlatTableBytes(customer_agent_) +
                 FlatTableBytes(plans_) + plans_.size() * sizeof(PlannedRequirement) +
                 timers_.MemoryBytes() - sizeof(timers_) + router_->MemoryBytes() +
                 tracker_.MemoryBytes() - sizeof(tracker_);
  for (const auto& [num, rec] : items_) {
    bytes += HeapBytes(rec.id) + HeapBytes(rec.customer);
    if (rec.labels == nullptr) continue;
    bytes += sizeof(Labels) + HeapBytes(rec.labels->tier) + HeapBytes(rec.labels->tags) +
             HeapBytes(rec.labels->pauses);
    for (const std::string& tag : rec.labels->tags) bytes += HeapBytes(tag);
    for (const std::string& reason : rec.labels->pauses) bytes += HeapBytes(reason);
  }
  for (const auto& [customer, agent] : customer_agent_) bytes += HeapBytes(customer);
  return bytes;
}

std::vector<std::pair<WorkItemId, const Engine::Impl::Rec*>> Engine::Impl::SortedRecords() const {
  return internal::SortedByKey(items_);
}

void Engine::Impl::Reserve(const CapacityHints& hints, size_t journal_bytes) {
  items_.reserve(hints.items);
  item_ids_.reserve(hints.items);
  router_->Reserve(hints.routed);
  tracker_.Reserve(hints.tracked);
  agent_ids_.reserve(hints.agents);
  removed_.reserve(hints.agents);
  for (const auto& [name, waiting] : hints.waiting) {
    // A queue the replay adds later (a reconfiguration) grows as it fills.
    if (const absl::StatusOr<QueueIndex> queue = router_->queues().FindQueue(name); queue.ok()) {
      (void)router_->ReserveQueue(*queue, waiting);
    }
  }
  journal_.Reserve(journal_bytes);
}

// --- state snapshot -----------------------------------------------------------------------------

namespace {

// A record's flags, one byte.
constexpr uint8_t kHasSla = 1, kResponded = 2, kResolvedOnce = 4, kCleanFirstResolution = 8;

}  // namespace

void Engine::Impl::SaveState(ByteWriter& out) const {
  using internal::StateCodec;
  out.Var(catalog_.size());
  for (size_t skill = 0; skill < catalog_.size(); ++skill) {
    out.Str(catalog_.Name(static_cast<SkillId>(skill)));
  }
  out.U8(closed_catalog_ ? 1 : 0);
  const WorkQueueSet& set = router_->queues();
  out.Var(set.queue_count());
  for (QueueIndex q = 0; q < set.queue_count(); ++q) out.Str(set.name(q));
  out.Time(now_);

  // The plans something holds besides `plans_` (which drops only plans nothing else holds),
  // numbered in the order of their bytes so that the numbering does not depend on hashing.
  std::vector<std::pair<std::string, Planned>> held;
  for (const auto& [requirement, planned] : plans_) {
    if (planned.use_count() == 1) continue;
    ByteWriter bytes;
    WriteRequirement(bytes, requirement);
    held.emplace_back(std::string(bytes.bytes()), planned);
  }
  std::sort(held.begin(), held.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  internal::PlanTable plans;
  out.Var(held.size());
  for (const auto& [bytes, planned] : held) {
    out.Raw(bytes);
    (void)plans.NumberOf(PlanOf(planned));
  }

  const std::vector<std::pair<WorkItemId, const Rec*>> records = SortedRecords();
  out.Var(records.size());
  for (const auto& [num, rec] : records) {
    out.Var(num);
    out.Str(rec->id);
    StateCodec::Save(rec->life, out);
    out.Var(rec->queue);
    out.Var(rec->channel);
    out.Var(static_cast<uint64_t>(rec->sla_priority));
    out.Int(rec->routing_priority);
    out.Var(static_cast<uint64_t>(rec->rejected));
    out.Str(rec->customer);
    out.Var(plans.NumberOf(PlanOf(rec->requirement)));
    out.Time(rec->created);
    out.Time(rec->deadline);
    out.Time(rec->arrival);
    out.Var(rec->agent);
    out.U8(rec->preferred.has_value() ? 1 : 0);
    if (rec->preferred) out.Var(*rec->preferred);
    out.Int(rec->policy);
    out.Var(static_cast<uint64_t>(rec->level));
    out.U8((rec->has_sla ? kHasSla : 0) | (rec->responded ? kResponded : 0) |
           (rec->resolved_once ? kResolvedOnce : 0) |
           (rec->clean_first_resolution ? kCleanFirstResolution : 0));
    out.Time(rec->level_entered);
    StateCodec::Save(rec->escalation_timer, out);
    StateCodec::Save(rec->close_timer, out);
    out.U8(rec->labels != nullptr ? 1 : 0);
    if (rec->labels != nullptr) {
      out.Str(rec->labels->tier);
      WriteStrings(out, rec->labels->tags);
      WriteStrings(out, rec->labels->pauses);
    }
  }
  out.Var(next_item_);
  StateCodec::Save(*router_, plans, out);
  StateCodec::Save(tracker_, out);
  timers_.SaveState(out, [](ByteWriter& w, const Timer& timer) {
    w.U8(static_cast<uint8_t>(timer.kind));
    w.Var(timer.key);
  });
  StateCodec::Save(sweep_timer_, out);
  out.Time(sweep_origin_);
  for (const QueueInfo& info : queues_) {
    for (const uint64_t count : {info.arrived, info.answered, info.abandoned, info.abandoned_after,
                                 info.answered_within}) {
      out.Var(count);
    }
    out.Var(info.splits.size());
    for (const uint64_t split : info.splits) out.Var(split);
    out.Duration(info.total_wait);
    out.Var(info.recent.size());
    for (const absl::Time at : info.recent) out.Time(at);
  }
  for (const bool removed : removed_) out.U8(removed ? 1 : 0);
  std::vector<std::pair<std::string_view, AgentIndex>> customers(customer_agent_.begin(),
                                                                 customer_agent_.end());
  std::sort(customers.begin(), customers.end());
  out.Var(customers.size());
  for (const auto& [customer, agent] : customers) {
    out.Str(customer);
    out.Var(agent);
  }
  out.Var(follow_ups_.size());
  for (const auto& [key, task] : follow_ups_) {
    out.Var(key);
    WriteItem(out, task.item);
    out.Str(task.parent);
  }
  out.Var(next_follow_up_);
  for (const uint64_t count :
       {submitted_, answered_, first_responses_, resolved_, first_resolved_, clean_first_,
        abandoned_, transfers_, reopened_, closed_, cancelled_}) {
    out.Var(count);
  }
  out.Duration(first_response_total_);
  out.Duration(resolution_total_);
  out.Var(escalations_.size());
  for (const auto& [key, count] : escalations_) {
    out.Str(key.first);
    out.Str(key.second);
    out.Var(count);
  }
  out.U64(event_digest_.state());
}

absl::Status Engine::Impl::LoadState(ByteReader& in) {
  using internal::StateCodec;
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t skills, in.Count("skill catalog"));
  for (uint64_t skill = 0; skill < skills; ++skill) {
    OMNIROUTE_ASSIGN_OR_RETURN(const std::string_view name, in.StrView());
    const absl::StatusOr<SkillId> id = catalog_.Add(name);
    if (!id.ok() || *id != skill) return in.Malformed("skill catalog");
  }
  OMNIROUTE_ASSIGN_OR_RETURN(const bool closed_catalog, in.Bool());
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t queue_count, in.Count("queues"));
  std::vector<std::string> queue_order(queue_count);
  for (std::string& name : queue_order) {
    OMNIROUTE_ASSIGN_OR_RETURN(name, in.Str());
  }
  if (queue_order.empty() != config_.queues.empty()) return in.Malformed("queues");
  OMNIROUTE_RETURN_IF_ERROR(Init(queue_order));
  if (catalog_.size() != skills) {
    return absl::InvalidArgumentError("the configuration's skills are not the state's catalog");
  }
  OMNIROUTE_ASSIGN_OR_RETURN(now_, in.Time());
  if (now_ < config_.origin || now_ == absl::InfiniteFuture()) return in.Malformed("now");

  // Plans name only skills of the catalog just read.
  closed_catalog_ = true;
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t plan_count, in.Count("plans"));
  std::vector<Planned> planned(plan_count);
  std::vector<std::shared_ptr<const RequirementPlan>> plan_pointers;
  plan_pointers.reserve(plan_count);
  NamedRequirement named;
  for (Planned& plan : planned) {
    OMNIROUTE_RETURN_IF_ERROR(ReadRequirement(in, named));
    OMNIROUTE_ASSIGN_OR_RETURN(plan, PlanFor(named));
    if (plan == nullptr) return in.Malformed("plan");
    plan_pointers.push_back(PlanOf(plan));
  }
  closed_catalog_ = closed_catalog;
  const internal::PlanTable plans(std::move(plan_pointers));

  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t record_count, in.Count("records"));
  items_.reserve(record_count);
  item_ids_.reserve(record_count);
  for (uint64_t i = 0; i < record_count; ++i) {
    OMNIROUTE_ASSIGN_OR_RETURN(const WorkItemId num, in.Var());
    const auto [it, fresh] = items_.try_emplace(num);
    if (!fresh || num == 0) return in.Malformed("record number");
    Rec& rec = it->second;
    rec.num = num;
    OMNIROUTE_ASSIGN_OR_RETURN(rec.id, in.Str());
    if (rec.id.empty() || !item_ids_.emplace(rec.id, &rec).second) return in.Malformed("item id");
    OMNIROUTE_RETURN_IF_ERROR(StateCodec::Load(rec.life, in));
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t queue, in.Below(queues_.size(), "record queue"));
    rec.queue = static_cast<QueueIndex>(queue);
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t channel, in.Below(channels_.size(), "channel"));
    rec.channel = static_cast<ChannelId>(channel);
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t sla_priority,
                               in.Below(config_.priorities.size(), "priority"));
    rec.sla_priority = static_cast<int>(sla_priority);
    OMNIROUTE_ASSIGN_OR_RETURN(const int64_t routing_priority, in.Int());
    if (routing_priority < 0 || routing_priority >= kMaxPriorityLevels) {
      return in.Malformed("routing priority");
    }
    rec.routing_priority = static_cast<int>(routing_priority);
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t rejected,
                               in.Below(std::numeric_limits<int>::max(), "rejections"));
    rec.rejected = static_cast<int>(rejected);
    OMNIROUTE_ASSIGN_OR_RETURN(rec.customer, in.Str());
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t plan, in.Below(plan_count + 1, "plan number"));
    if (plan > 0) rec.requirement = planned[plan - 1];
    OMNIROUTE_ASSIGN_OR_RETURN(rec.created, in.Time());
    OMNIROUTE_ASSIGN_OR_RETURN(rec.deadline, in.Time());
    OMNIROUTE_ASSIGN_OR_RETURN(rec.arrival, in.Time());
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t agent, in.Below(uint64_t{kNoAgent} + 1, "agent"));
    rec.agent = static_cast<AgentIndex>(agent);
    OMNIROUTE_ASSIGN_OR_RETURN(const bool preferred, in.Bool());
    if (preferred) {
      OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t preferred_agent,
                                 in.Below(kNoAgent, "preferred agent"));
      rec.preferred = static_cast<AgentIndex>(preferred_agent);
    }
    OMNIROUTE_ASSIGN_OR_RETURN(const int64_t policy, in.Int());
    if (policy < -1 || policy >= static_cast<int64_t>(policies_.size())) {
      return in.Malformed("escalation policy");
    }
    rec.policy = static_cast<int>(policy);
    OMNIROUTE_ASSIGN_OR_RETURN(
        const uint64_t level,
        in.Below(policy < 0 ? 1 : policies_[rec.policy].level_count(), "escalation level"));
    rec.level = static_cast<int>(level);
    OMNIROUTE_ASSIGN_OR_RETURN(const uint8_t flags, in.U8());
    if (flags > (kHasSla | kResponded | kResolvedOnce | kCleanFirstResolution)) {
      return in.Malformed("record flags");
    }
    rec.has_sla = (flags & kHasSla) != 0;
    rec.responded = (flags & kResponded) != 0;
    rec.resolved_once = (flags & kResolvedOnce) != 0;
    rec.clean_first_resolution = (flags & kCleanFirstResolution) != 0;
    OMNIROUTE_ASSIGN_OR_RETURN(rec.level_entered, in.Time());
    OMNIROUTE_RETURN_IF_ERROR(StateCodec::Load(rec.escalation_timer, in));
    OMNIROUTE_RETURN_IF_ERROR(StateCodec::Load(rec.close_timer, in));
    OMNIROUTE_ASSIGN_OR_RETURN(const bool has_labels, in.Bool());
    if (has_labels) {
      Labels& labels = rec.MutableLabels();
      OMNIROUTE_RETURN_IF_ERROR(ReadInto(in, labels.tier));
      OMNIROUTE_RETURN_IF_ERROR(ReadStrings(in, labels.tags));
      OMNIROUTE_RETURN_IF_ERROR(ReadStrings(in, labels.pauses));
      if (labels.empty()) return in.Malformed("labels");
    }
  }
  OMNIROUTE_ASSIGN_OR_RETURN(next_item_, in.Var());
  OMNIROUTE_RETURN_IF_ERROR(StateCodec::Load(*router_, plans, in));
  OMNIROUTE_RETURN_IF_ERROR(StateCodec::Load(tracker_, in));
  // Advance moves the router and the tracker to each stop: one ahead of the engine refuses them,
  // and the engine would stop there forever.
  if (router_->now() > now_ || tracker_.now() > now_) return in.Malformed("clocks");
  // A follow-up is its task and its timer: CheckLoadedState pairs them.
  std::vector<uint64_t> follow_up_timers;
  OMNIROUTE_RETURN_IF_ERROR(
      timers_.LoadState(in, [&follow_up_timers](ByteReader& r, Timer& timer) -> absl::Status {
        OMNIROUTE_ASSIGN_OR_RETURN(const uint8_t kind, r.U8());
        if (kind > static_cast<uint8_t>(TimerKind::kSweep)) return r.Malformed("timer kind");
        OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t key, r.Below(uint64_t{1} << 56, "timer key"));
        timer = Timer{.kind = static_cast<TimerKind>(kind), .key = key};
        if (timer.kind == TimerKind::kFollowUp) follow_up_timers.push_back(key);
        return absl::OkStatus();
      }));
  // The same for the engine's own timers, which Advance moves with it; and it steps from stop to
  // stop, so a timer due before now (whichever module holds it) is a stop where nothing moves.
  if (timers_.now() > now_) return in.Malformed("clocks");
  if (NextStop() < now_) return in.Malformed("timers");
  OMNIROUTE_RETURN_IF_ERROR(StateCodec::Load(sweep_timer_, in));
  OMNIROUTE_ASSIGN_OR_RETURN(sweep_origin_, in.Time());
  for (QueueInfo& info : queues_) {
    for (uint64_t* count : {&info.arrived, &info.answered, &info.abandoned, &info.abandoned_after,
                            &info.answered_within}) {
      OMNIROUTE_ASSIGN_OR_RETURN(*count, in.Var());
    }
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t splits, in.Var());
    if (splits != info.splits.size()) return in.Malformed("service-level splits");
    for (uint64_t& split : info.splits) {
      OMNIROUTE_ASSIGN_OR_RETURN(split, in.Var());
    }
    OMNIROUTE_ASSIGN_OR_RETURN(info.total_wait, in.Duration());
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t recent, in.Count("recent answers"));
    for (uint64_t i = 0; i < recent; ++i) {
      OMNIROUTE_ASSIGN_OR_RETURN(const absl::Time at, in.Time());
      // Answers recorded later come later, none after now.
      if (at > now_ || (!info.recent.empty() && at < info.recent.back())) {
        return in.Malformed("recent answers");
      }
      info.recent.push_back(at);
    }
  }
  const AgentPool& pool = router_->agents();
  agent_ids_.resize(pool.size());
  removed_.resize(pool.size());
  for (AgentIndex a = 0; a < pool.size(); ++a) {
    agent_ids_[a] = std::string(pool.View(a).id);
    OMNIROUTE_ASSIGN_OR_RETURN(const bool removed, in.Bool());
    removed_[a] = removed;
  }
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t customers, in.Count("customers"));
  customer_agent_.reserve(customers);
  for (uint64_t i = 0; i < customers; ++i) {
    OMNIROUTE_ASSIGN_OR_RETURN(std::string customer, in.Str());
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t agent, in.Below(pool.size(), "customer's agent"));
    if (!customer_agent_.emplace(std::move(customer), static_cast<AgentIndex>(agent)).second) {
      return in.Malformed("customers");
    }
  }
  // Plans nothing holds were not saved: the next sweep is due as after a sweep.
  plans_sweep_at_ = std::max(kFirstPlanSweep, 2 * plans_.size());
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t follow_ups, in.Count("follow-ups"));
  for (uint64_t i = 0; i < follow_ups; ++i) {
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t key, in.Var());
    FollowUpTask task;
    OMNIROUTE_RETURN_IF_ERROR(ReadItem(in, task.item));
    OMNIROUTE_ASSIGN_OR_RETURN(task.parent, in.Str());
    if (!follow_ups_.emplace(key, std::move(task)).second) return in.Malformed("follow-ups");
  }
  OMNIROUTE_ASSIGN_OR_RETURN(next_follow_up_, in.Var());
  for (uint64_t* count :
       {&submitted_, &answered_, &first_responses_, &resolved_, &first_resolved_, &clean_first_,
        &abandoned_, &transfers_, &reopened_, &closed_, &cancelled_}) {
    OMNIROUTE_ASSIGN_OR_RETURN(*count, in.Var());
  }
  OMNIROUTE_ASSIGN_OR_RETURN(first_response_total_, in.Duration());
  OMNIROUTE_ASSIGN_OR_RETURN(resolution_total_, in.Duration());
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t escalations, in.Count("escalations"));
  for (uint64_t i = 0; i < escalations; ++i) {
    std::pair<std::string, std::string> key;
    OMNIROUTE_ASSIGN_OR_RETURN(key.first, in.Str());
    OMNIROUTE_ASSIGN_OR_RETURN(key.second, in.Str());
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t count, in.Var());
    if (!escalations_.emplace(std::move(key), count).second) return in.Malformed("escalations");
  }
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t event_digest, in.U64());
  event_digest_ = StableHash(event_digest);
  return CheckLoadedState(std::move(follow_up_timers));
}

bool Engine::Impl::Agrees(const Rec& rec, const Router::Placement& placement) {
  if (placement.queue != rec.queue) return false;
  switch (rec.life.state()) {
    case ItemState::kQueued:
      return placement.state == RoutedState::kQueued && rec.agent == kNoAgent;
    case ItemState::kOffered:
      return placement.state == RoutedState::kOffered && placement.agent == rec.agent;
    case ItemState::kAssigned:
    case ItemState::kPendingCustomer:
      return placement.state == RoutedState::kAssigned && placement.agent == rec.agent;
    default:
      return false;
  }
}

absl::Status Engine::Impl::CheckLoadedState(std::vector<uint64_t> follow_up_timers) const {
  const auto inconsistent = [](std::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat("inconsistent ", std::string(what)));
  };
  const size_t agents = agent_ids_.size();
  const auto pending = [this](TimerHandle handle, TimerKind kind, uint64_t key) {
    const Timer* timer = timers_.Find(handle);
    return timer == nullptr || (timer->kind == kind && timer->key == key);
  };
  size_t routed = 0, tracked = 0, timers = 0;
  for (const auto& [num, rec] : items_) {
    if (num >= next_item_ || num >= (uint64_t{1} << 56)) return inconsistent("item numbers");
    if ((rec.agent != kNoAgent && rec.agent >= agents) ||
        (rec.preferred && *rec.preferred >= agents)) {
      return inconsistent("item agents");
    }
    if (!pending(rec.escalation_timer, TimerKind::kEscalation, num) ||
        !pending(rec.close_timer, TimerKind::kAutoClose, num)) {
      return inconsistent("item timers");
    }
    timers += (timers_.IsPending(rec.escalation_timer) ? 1 : 0) +
              (timers_.IsPending(rec.close_timer) ? 1 : 0);
    if (rec.has_sla != tracker_.Tracks(num)) return inconsistent("SLA items");
    tracked += rec.has_sla ? 1 : 0;
    const std::optional<Router::Placement> placement = router_->PlacementOf(num);
    if (placement.has_value() != WorkOpen(rec.life.state()) ||
        (placement && !Agrees(rec, *placement))) {
      return inconsistent("routed items");
    }
    routed += placement.has_value() ? 1 : 0;
  }
  if (routed != router_->size() || tracked != tracker_.item_count()) {
    return inconsistent("item tables");
  }
  std::sort(follow_up_timers.begin(), follow_up_timers.end());
  if (follow_up_timers.size() != follow_ups_.size()) return inconsistent("follow-ups");
  auto timer_key = follow_up_timers.begin();
  for (const auto& [key, task] : follow_ups_) {
    if (key == 0 || key >= next_follow_up_ || *timer_key++ != key) {
      return inconsistent("follow-ups");
    }
  }
  if (!pending(sweep_timer_, TimerKind::kSweep, 0)) return inconsistent("sweep timer");
  // Every timer is an item's, a follow-up's or the sweep: one that none holds would fire into
  // whatever holds its key then.
  timers += follow_ups_.size() + (timers_.IsPending(sweep_timer_) ? 1 : 0);
  if (timers != timers_.size()) return inconsistent("timers");
  // A removed agent is logged out of every queue and holds nothing, so nothing routes to it.
  const AgentPool& pool = router_->agents();
  for (AgentIndex agent = 0; agent < agents; ++agent) {
    if (removed_[agent] && (pool.State(agent) != AgentState::kOffline ||
                            !pool.Queues(agent).empty() || !pool.Held(agent).empty())) {
      return inconsistent("removed agents");
    }
  }
  return absl::OkStatus();
}
}  // namespace omniroute

namespace omniroute {

// --- journal, replay, snapshots -----------------------------------------------------------------

template <typename ApplyFn, typename WriteFn>
absl::Status Engine::Impl::Run(EngineCommandKind kind, absl::Time at, ApplyFn&& apply,
                               WriteFn&& write_payload) {
  OMNIROUTE_RETURN_IF_ERROR(CheckTime(at));
  OMNIROUTE_ASSIGN_OR_RETURN(const bool time_moves, Advance(at));
  const size_t skills = catalog_.size();
  const size_t journaled = journal_.size();
  absl::Status status = apply();
  if (!status.ok() && catalog_.size() > skills) ForgetSkills(skills, journaled);
  if (!journaling_) return status;
  // A refused command that moved time journals the move alone; one that did not, nothing, so that
  // a host retrying a refused call does not grow the journal.
  if (!status.ok() && !time_moves) return status;
  journal_.U8(static_cast<uint8_t>(status.ok() ? kind : EngineCommandKind::kAdvanceTo) + 1);
  journal_.Time(at);
  if (status.ok()) write_payload(journal_);
  return status;
}

template <typename ApplyFn>
absl::Status Engine::Impl::Run(const EngineCommand& command, ApplyFn&& apply) {
  return Run(command.kind, command.at, std::forward<ApplyFn>(apply),
             [&command](ByteWriter& w) { WriteCommand(w, command); });
}

absl::Status Engine::Impl::Execute(const EngineCommand& c) {
  switch (c.kind) {
    case EngineCommandKind::kAddAgent:
      return AddAgent(c.agent_spec, c.at);
    case EngineCommandKind::kRemoveAgent:
      return RemoveAgent(c.agent, c.at);
    case EngineCommandKind::kUpdateAgent:
      return UpdateAgent(c.agent_spec, c.at);
    case EngineCommandKind::kSetAgentState:
      return SetAgentState(c.agent, c.state, c.at, c.text);
    case EngineCommandKind::kSubmit:
      return Submit(c.item_spec, c.at);
    case EngineCommandKind::kUpdate:
      return Update(c.item, c.update, c.at);
    case EngineCommandKind::kAccept:
      return Answer(c.item, c.agent, c.at, /*accept=*/true);
    case EngineCommandKind::kReject:
      return Answer(c.item, c.agent, c.at, /*accept=*/false);
    case EngineCommandKind::kRespond:
      return Respond(c.item, c.at);
    case EngineCommandKind::kCustomerMessage:
      return CustomerMessage(c.item, c.at);
    case EngineCommandKind::kPause:
      return Pause(c.item, c.at, c.text);
    case EngineCommandKind::kResume:
      return Resume(c.item, c.at, c.text);
    case EngineCommandKind::kResolve:
      return Resolve(c.item, c.at);
    case EngineCommandKind::kConfirm:
      return Confirm(c.item, c.at);
    case EngineCommandKind::kReopen:
      return Reopen(c.item, c.at);
    case EngineCommandKind::kTransfer:
      return Transfer(c.item, c.text, c.at);
    case EngineCommandKind::kEscalate:
      return Escalate(c.item, c.at);
    case EngineCommandKind::kCancel:
      return End(c.item, c.at, /*abandoned=*/false);
    case EngineCommandKind::kAbandon:
      return End(c.item, c.at, /*abandoned=*/true);
    case EngineCommandKind::kAdvanceTo:
      return absl::OkStatus();
    case EngineCommandKind::kReconfigure:
      break;
  }
  return absl::InvalidArgumentError(absl::StrCat("not a command kind: ", static_cast<int>(c.kind)));
}

absl::Status Engine::Impl::Apply(const EngineCommand& c, const EngineConfigLoader& load) {
  if (c.kind != EngineCommandKind::kReconfigure) return Run(c, [&] { return Execute(c); });
  if (!load) return absl::InvalidArgumentError("a reconfiguration needs a config loader");
  OMNIROUTE_RETURN_IF_ERROR(CheckTime(c.at));
  absl::StatusOr<EngineConfig> config = load(c.text);
  return Run(c, [&]() -> absl::Status {
    if (!config.ok()) return config.status();
    config->source = c.text;
    return Reconfigure(*std::move(config), c.at);
  });
}

absl::Status Engine::Impl::Replay(std::string_view journal, const EngineConfigLoader& load) {
  keep_events_ = false;
  journaling_ = false;
  absl::Cleanup restore_modes = [this] {
    keep_events_ = true;
    journaling_ = true;
  };
  ByteReader r(journal);
  // One record for every command: decoding reuses its strings' storage.
  EngineCommand command;
  while (!r.done()) {
    const size_t offset = r.position();
    OMNIROUTE_ASSIGN_OR_RETURN(const uint8_t code, r.U8());
    if (code == kInternSkillCode) {
      OMNIROUTE_ASSIGN_OR_RETURN(std::string name, r.Str());
      OMNIROUTE_RETURN_IF_ERROR(Intern({name}));
      continue;
    }
    if (code == 0 || code > kEngineCommandKindCount) {
      return absl::InvalidArgumentError(
          absl::StrCat("journal: unknown command ", code, " at byte ", offset));
    }
    command.kind = static_cast<EngineCommandKind>(code - 1);
    OMNIROUTE_ASSIGN_OR_RETURN(command.at, r.Time());
    OMNIROUTE_RETURN_IF_ERROR(ReadCommand(r, command));
    if (absl::Status status = Apply(command, load); !status.ok()) {
      return absl::DataLossError(absl::StrCat("journal: the command at byte ", offset,
                                              " was refused on replay: ", status.message()));
    }
  }
  journal_.Raw(journal);
  return absl::OkStatus();
}

// --- Engine -------------------------------------------------------------------------------------

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

absl::StatusOr<std::unique_ptr<Engine>> Engine::Create(EngineConfig config) {
  auto impl = std::make_unique<Impl>(std::move(config));
  OMNIROUTE_RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

absl::StatusOr<std::unique_ptr<Engine>> Engine::Replay(EngineConfig config,
                                                       std::string_view journal,
                                                       const EngineConfigLoader& load) {
  OMNIROUTE_ASSIGN_OR_RETURN(std::unique_ptr<Engine> engine, Create(std::move(config)));
  OMNIROUTE_RETURN_IF_ERROR(engine->impl_->Replay(journal, load));
  engine->impl_->events_.clear();
  return engine;
}

std::string Engine::Snapshot() const {
  ByteWriter w;
  // Room for the state at a generous size per item and agent, so that the writer never moves
  // what it wrote; pages it does not write are never touched.
  w.Reserve(impl_->journal_.size() + impl_->initial_source_.size() + impl_->config_.source.size() +
            1024 * (impl_->items_.size() + impl_->agent_ids_.size()) + (64 << 10));
  w.Str(kSnapshotMagic);
  w.U64(kSnapshotVersion);
  w.Str(impl_->initial_source_);
  w.Str(impl_->journal_.bytes());
  w.U64(impl_->StateDigest());
  w.Str(impl_->config_.source);
  w.Time(impl_->config_.origin);
  impl_->SaveState(w);
  w.U64(internal::SnapshotChecksum(w.bytes()));
  return w.Take();
}

absl::StatusOr<std::unique_ptr<Engine>> Engine::Restore(std::string_view snapshot,
                                                        const EngineConfigLoader& load) {
  if (snapshot.size() < 8) return absl::InvalidArgumentError("snapshot: truncated");
  const std::string_view body = snapshot.substr(0, snapshot.size() - 8);
  ByteReader tail(snapshot.substr(snapshot.size() - 8));
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t stored_checksum, tail.U64());
  ByteReader r(body);
  absl::StatusOr<std::string> magic = r.Str();
  if (!magic.ok() || *magic != kSnapshotMagic) {
    return absl::InvalidArgumentError("snapshot: not an omniroute snapshot");
  }
  if (internal::SnapshotChecksum(body) != stored_checksum) {
    return absl::InvalidArgumentError("snapshot: checksum mismatch (corrupt or truncated)");
  }
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t version, r.U64());
  if (version < kReplayedSnapshotVersion || version > kSnapshotVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat("snapshot: version ", version, " is not supported (this build reads ",
                     kReplayedSnapshotVersion, " to ", kSnapshotVersion, ")"));
  }
  OMNIROUTE_ASSIGN_OR_RETURN(std::string initial_source, r.Str());
  OMNIROUTE_ASSIGN_OR_RETURN(const std::string_view journal, r.StrView());
  if (!load) return absl::InvalidArgumentError("snapshot: a config loader is needed");
  if (version == kReplayedSnapshotVersion) {
    OMNIROUTE_ASSIGN_OR_RETURN(const CapacityHints hints, ReadCapacityHints(r, journal.size()));
    OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t digest, r.U64());
    if (!r.done()) return absl::InvalidArgumentError("snapshot: trailing bytes");
    OMNIROUTE_ASSIGN_OR_RETURN(EngineConfig config, load(initial_source));
    config.source = std::move(initial_source);
    OMNIROUTE_ASSIGN_OR_RETURN(std::unique_ptr<Engine> engine, Create(std::move(config)));
    engine->impl_->Reserve(hints, journal.size());
    OMNIROUTE_RETURN_IF_ERROR(engine->impl_->Replay(journal, load));
    engine->impl_->events_.clear();
    if (engine->impl_->OrderedStateDigest() != digest) {
      return absl::DataLossError("snapshot: the replayed state differs from the recorded one");
    }
    return engine;
  }
  OMNIROUTE_ASSIGN_OR_RETURN(const uint64_t digest, r.U64());
  OMNIROUTE_ASSIGN_OR_RETURN(std::string source, r.Str());
  OMNIROUTE_ASSIGN_OR_RETURN(const absl::Time origin, r.Time());
  OMNIROUTE_ASSIGN_OR_RETURN(EngineConfig config, load(source));
  config.source = std::move(source);
  config.origin = origin;
  auto impl = std::make_unique<Impl>(std::move(config));
  impl->initial_source_ = std::move(initial_source);
  // Whatever the state's parts report (a queue named twice is AlreadyExists to the router), the
  // snapshot is malformed.
  if (absl::Status loaded = impl->LoadState(r); !loaded.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("snapshot: state: ", loaded.message()));
  }
  if (!r.done()) return absl::InvalidArgumentError("snapshot: trailing bytes");
  impl->journal_.Reserve(journal.size());
  impl->journal_.Raw(journal);
  const uint64_t loaded_digest =
      version == kOrderedDigestSnapshotVersion ? impl->OrderedStateDigest() : impl->StateDigest();
  if (loaded_digest != digest) {
    return absl::DataLossError("snapshot: the loaded state differs from the recorded one");
  }
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

std::string Engine::Journal() const { return std::string(impl_->journal_.bytes()); }
uint64_t Engine::StateDigest() const { return impl_->StateDigest(); }
size_t Engine::MemoryBytes() const { return impl_->MemoryBytes(); }

absl::Status Engine::Apply(const EngineCommand& command, const EngineConfigLoader& load) {
  return impl_->Apply(command, load);
}

absl::Status Engine::AddAgent(const EngineAgentSpec& agent, absl::Time at) {
  return impl_->Run(
      EngineCommandKind::kAddAgent, at, [&] { return impl_->AddAgent(agent, at); },
      [&](ByteWriter& w) { WriteAgent(w, agent); });
}

absl::Status Engine::RemoveAgent(std::string_view agent, absl::Time at) {
  return impl_->Run(
      EngineCommandKind::kRemoveAgent, at, [&] { return impl_->RemoveAgent(agent, at); },
      [&](ByteWriter& w) { w.Str(agent); });
}

absl::Status Engine::UpdateAgent(const EngineAgentSpec& agent, absl::Time at) {
  return impl_->Run(
      EngineCommandKind::kUpdateAgent, at, [&] { return impl_->UpdateAgent(agent, at); },
      [&](ByteWriter& w) { WriteAgent(w, agent); });
}

absl::Status Engine::SetAgentState(std::string_view agent, AgentState state, absl::Time at,
                                   std::string_view reason) {
  return impl_->Run(
      EngineCommandKind::kSetAgentState, at,
      [&] { return impl_->SetAgentState(agent, state, at, reason); },
      [&](ByteWriter& w) {
        w.Str(agent);
        w.U8(static_cast<uint8_t>(state));
        w.Str(reason);
      });
}

absl::Status Engine::Submit(const EngineItemSpec& item, absl::Time at) {
  return impl_->Run(
      EngineCommandKind::kSubmit, at, [&] { return impl_->Submit(item, at); },
      [&](ByteWriter& w) { WriteItem(w, item); });
}

absl::Status Engine::Update(std::string_view item, const EngineItemUpdate& update, absl::Time at) {
  return impl_->Run(
      EngineCommandKind::kUpdate, at, [&] { return impl_->Update(item, update, at); },
      [&](ByteWriter& w) {
        w.Str(item);
        WriteUpdate(w, update);
      });
}

// Accept, Reject, Pause, Resume and Transfer journal two strings.
#define OMNIROUTE_TWO_STRING_COMMAND(Name, Kind, Second, call)                               \
  absl::Status Engine::Name(std::string_view item, std::string_view Second, absl::Time at) { \
    return impl_->Run(                                                                       \
        EngineCommandKind::Kind, at, [&] { return impl_->call; },                            \
        [&](ByteWriter& w) {                                                                 \
          w.Str(item);                                                                       \
          w.Str(Second);                                                                     \
        });                                                                                  \
  }
OMNIROUTE_TWO_STRING_COMMAND(Accept, kAccept, agent, Answer(item, agent, at, /*accept=*/true))
OMNIROUTE_TWO_STRING_COMMAND(Reject, kReject, agent, Answer(item, agent, at, /*accept=*/false))
OMNIROUTE_TWO_STRING_COMMAND(Transfer, kTransfer, queue, Transfer(item, queue, at))
#undef OMNIROUTE_TWO_STRING_COMMAND

absl::Status Engine::Pause(std::string_view item, absl::Time at, std::string_view reason) {
  return impl_->Run(
      EngineCommandKind::kPause, at, [&] { return impl_->Pause(item, at, reason); },
      [&](ByteWriter& w) {
        w.Str(item);
        w.Str(reason);
      });
}

absl::Status Engine::Resume(std::string_view item, absl::Time at, std::string_view reason) {
  return impl_->Run(
      EngineCommandKind::kResume, at, [&] { return impl_->Resume(item, at, reason); },
      [&](ByteWriter& w) {
        w.Str(item);
        w.Str(reason);
      });
}

#define OMNIROUTE_ITEM_COMMAND(Name, Kind, call)                    \
  absl::Status Engine::Name(std::string_view item, absl::Time at) { \
    return impl_->Run(                                              \
        EngineCommandKind::Kind, at, [&] { return impl_->call; },   \
        [&](ByteWriter& w) { w.Str(item); });                       \
  }
OMNIROUTE_ITEM_COMMAND(Respond, kRespond, Respond(item, at))
OMNIROUTE_ITEM_COMMAND(CustomerMessage, kCustomerMessage, CustomerMessage(item, at))
OMNIROUTE_ITEM_COMMAND(Resolve, kResolve, Resolve(item, at))
OMNIROUTE_ITEM_COMMAND(Confirm, kConfirm, Confirm(item, at))
OMNIROUTE_ITEM_COMMAND(Reopen, kReopen, Reopen(item, at))
OMNIROUTE_ITEM_COMMAND(Escalate, kEscalate, Escalate(item, at))
OMNIROUTE_ITEM_COMMAND(Cancel, kCancel, End(item, at, /*abandoned=*/false))
OMNIROUTE_ITEM_COMMAND(Abandon, kAbandon, End(item, at, /*abandoned=*/true))
#undef OMNIROUTE_ITEM_COMMAND

absl::Status Engine::AdvanceTo(absl::Time now) {
  return impl_->Run(
      EngineCommandKind::kAdvanceTo, now, [] { return absl::OkStatus(); }, [](ByteWriter&) {});
}

absl::Status Engine::Reconfigure(EngineConfig config, absl::Time at) {
  const EngineCommand command{
      .kind = EngineCommandKind::kReconfigure, .at = at, .text = config.source};
  return impl_->Run(command, [&] { return impl_->Reconfigure(std::move(config), at); });
}

std::vector<EngineEvent> Engine::PollEvents() {
  std::vector<EngineEvent> events = internal::TakeEvents(impl_->events_);
  // The next poll likely takes about as many; growing to them would move each event repeatedly.
  impl_->events_.reserve(std::max<size_t>(events.size(), 16));
  return events;
}

void Engine::PollEvents(std::vector<EngineEvent>& buffer) {
  internal::TakeEvents(impl_->events_, buffer);
}

void Engine::SetEventSink(std::function<void(const EngineEvent&)> sink) {
  impl_->sink_ = std::move(sink);
}

absl::Time Engine::now() const { return impl_->now_; }
absl::StatusOr<EngineItemView> Engine::Item(std::string_view item) const {
  return impl_->ItemView(item);
}
absl::StatusOr<EngineAgentView> Engine::Agent(std::string_view agent) const {
  return impl_->AgentView(agent);
}
absl::StatusOr<EngineAgentSpec> Engine::AgentSpec(std::string_view agent) const {
  return impl_->AgentSpec(agent);
}
absl::StatusOr<QueueStats> Engine::Queue(std::string_view queue) const {
  return impl_->Stats(queue);
}
std::vector<std::string> Engine::QueueNames() const {
  std::vector<std::string> names;
  for (const Impl::QueueInfo& q : impl_->queues_) names.push_back(q.spec.name);
  return names;
}
EngineKpis Engine::Kpis() const { return impl_->Kpis(); }
absl::StatusOr<std::vector<std::pair<std::string, Candidate>>> Engine::Explain(
    std::string_view item) const {
  return impl_->Explain(item);
}
size_t Engine::item_count() const { return impl_->items_.size(); }
size_t Engine::agent_count() const {
  return static_cast<size_t>(std::count(impl_->removed_.begin(), impl_->removed_.end(), false));
}
std::vector<std::string> Engine::AgentIds() const {
  std::vector<std::string> ids;
  for (AgentIndex a = 0; a < impl_->agent_ids_.size(); ++a) {
    if (!impl_->removed_[a]) ids.push_back(impl_->agent_ids_[a]);
  }
  return ids;
}
std::vector<std::string> Engine::ItemIds() const {
  std::vector<std::string> ids;
  ids.reserve(impl_->item_ids_.size());
  for (const auto& [id, rec] : impl_->item_ids_) ids.emplace_back(id);
  std::sort(ids.begin(), ids.end());
  return ids;
}
const EngineConfig& Engine::config() const { return impl_->config_; }

}  // namespace omniroute
