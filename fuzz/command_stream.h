// The command stream of engine_commands_fuzzer: how bytes become engine commands, and the
// invariants checked after each one. The seed generator writes its scenarios with the same layout,
// so that the checked-in seeds decode to the commands they were written as.
//
// Every command is a handful of bytes, each read as an index into a small pool (ids, queues,
// channels, skills, priorities, instants relative to the engine's now), so that mutations of the
// bytes stay meaningful: ids collide, offers get answered, time moves in steps of seconds to days.
// Past the end of the input every byte reads as zero.
#ifndef OMNIROUTE_FUZZ_COMMAND_STREAM_H_
#define OMNIROUTE_FUZZ_COMMAND_STREAM_H_

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "fuzz_support.h"
#include "omniroute/config_json.h"
#include "omniroute/engine.h"

namespace omniroute::fuzz {

// --- the pools ----------------------------------------------------------------------------------

inline constexpr std::array<std::string_view, 6> kAgentPool = {"a0", "a1", "a2", "a3", "", "ghost"};
inline constexpr std::array<std::string_view, 11> kItemPool = {
    "t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7", "t0/follow_up", "t1/follow_up", ""};
inline constexpr std::array<std::string_view, 5> kQueuePool = {"billing", "support", "followups",
                                                               "quietq", "nowhere"};
inline constexpr std::array<std::string_view, 4> kChannelPool = {"chat", "email", "voice", "fax"};
inline constexpr std::array<std::string_view, 4> kSkillPool = {"billing", "tech", "senior", "zh"};
inline constexpr std::array<int, 7> kSkillLevelPool = {1, 5, 10, 50, 100, 0, 101};
inline constexpr std::array<std::string_view, 5> kPriorityPool = {"A", "B", "C", "", "Z"};
inline constexpr std::array<std::string_view, 3> kTierPool = {"", "vip", "gold"};
inline constexpr std::array<std::string_view, 3> kTagPool = {"upset", "vip_line", "bot_failed"};
inline constexpr std::array<std::string_view, 3> kCustomerPool = {"", "c0", "c1"};
inline constexpr std::array<std::string_view, 4> kReasonPool = {"customer", "third_party", "",
                                                                "lunch"};
inline constexpr std::array<AgentState, 4> kAgentStatePool = {
    AgentState::kAvailable, AgentState::kAway, AgentState::kOffline, AgentState::kWrapUp};
// An agent's budget: omitted (index 0), or units.
inline constexpr std::array<int, 7> kBudgetPool = {-1, 0, 30, 60, 100, 130, 200};

// How a command's instant relates to the engine's now.
enum class Timing : uint8_t { kNow, kSeconds, kMinutes, kHours, kDays, kBeforeNow };
inline constexpr int kTimingCount = 6;

// --- the layout ---------------------------------------------------------------------------------

struct AgentChoice {
  int id = 0;
  int skills = 0;  // bitmask over kSkillPool
  std::array<int, 4> levels{};
  std::array<int, 3> capacity{};  // per channel of kChannelPool: 0-3, 4 = not listed
  int unknown_channel = 0;
  int budget = 0;
  int queues = 0;  // bitmask over kQueuePool
  int queue_priority = 0;
  int queue_delay = 0;  // 0: none, else that many tens of seconds
};

struct RequirementChoice {
  int must_skill = 0;  // 0: none, else 1 + index into kSkillPool
  int must_level = 0;
  int prefer_skill = 0;  // 0: none, else 1 + index
  int step = 0;          // 0: none, 1: drop, 2: lower_level, 3: widen
  int step_minutes = 0;
};

struct ItemChoice {
  int id = 0;
  int queue = 0;
  int channel = 0;
  int priority = 0;
  RequirementChoice requirement{};
  int tier = 0;
  int tags = 0;  // bitmask over kTagPool
  int customer = 0;
  int created = 0;   // 0: the command's instant, 1: earlier, 2: later (refused)
  int deadline = 0;  // 0: none, else that many tens of minutes ahead
};

struct UpdateChoice {
  int fields = 0;  // bitmask: priority, tier, tags, requirement, deadline
  int priority = 0;
  int tier = 0;
  int tags = 0;
  RequirementChoice requirement{};
  int deadline = 0;
};

struct CommandChoice {
  int kind = 0;           // EngineCommandKind
  int advance_first = 0;  // 1: move the clock to the instant first, then apply
  int timing = 0;         // Timing
  int amount = 0;
  int agent = 0;
  int item = 0;
  int text = 0;  // queue, reason or reconfiguration, by kind
  int state = 0;
  AgentChoice agent_spec{};
  ItemChoice item_spec{};
  UpdateChoice update{};
};

// The bytes of a command, read (`ChoiceReader`) or written (`ChoiceWriter`) in one order.
template <typename IO>
void RequirementLayout(IO& io, RequirementChoice& r) {
  io.Field(r.must_skill, 1 + static_cast<int>(kSkillPool.size()));
  io.Field(r.must_level, static_cast<int>(kSkillLevelPool.size()));
  io.Field(r.prefer_skill, 1 + static_cast<int>(kSkillPool.size()));
  io.Field(r.step, 4);
  io.Field(r.step_minutes, 60);
}

template <typename IO>
void CommandLayout(IO& io, CommandChoice& c) {
  io.Field(c.kind, kEngineCommandKindCount);
  io.Field(c.advance_first, 2);
  io.Field(c.timing, kTimingCount);
  io.Field(c.amount, 256);
  switch (static_cast<EngineCommandKind>(c.kind)) {
    case EngineCommandKind::kAddAgent:
    case EngineCommandKind::kUpdateAgent: {
      AgentChoice& a = c.agent_spec;
      io.Field(a.id, static_cast<int>(kAgentPool.size()));
      io.Field(a.skills, 1 << kSkillPool.size());
      for (int& level : a.levels) io.Field(level, static_cast<int>(kSkillLevelPool.size()));
      for (int& capacity : a.capacity) io.Field(capacity, 5);
      io.Field(a.unknown_channel, 2);
      io.Field(a.budget, static_cast<int>(kBudgetPool.size()));
      io.Field(a.queues, 1 << kQueuePool.size());
      io.Field(a.queue_priority, 3);
      io.Field(a.queue_delay, 13);
      return;
    }
    case EngineCommandKind::kRemoveAgent:
      io.Field(c.agent, static_cast<int>(kAgentPool.size()));
      return;
    case EngineCommandKind::kSetAgentState:
      io.Field(c.agent, static_cast<int>(kAgentPool.size()));
      io.Field(c.state, static_cast<int>(kAgentStatePool.size()));
      io.Field(c.text, static_cast<int>(kReasonPool.size()));
      return;
    case EngineCommandKind::kSubmit: {
      ItemChoice& i = c.item_spec;
      io.Field(i.id, static_cast<int>(kItemPool.size()));
      io.Field(i.queue, static_cast<int>(kQueuePool.size()));
      io.Field(i.channel, static_cast<int>(kChannelPool.size()));
      io.Field(i.priority, static_cast<int>(kPriorityPool.size()));
      RequirementLayout(io, i.requirement);
      io.Field(i.tier, static_cast<int>(kTierPool.size()));
      io.Field(i.tags, 1 << kTagPool.size());
      io.Field(i.customer, static_cast<int>(kCustomerPool.size()));
      io.Field(i.created, 3);
      io.Field(i.deadline, 64);
      return;
    }
    case EngineCommandKind::kUpdate: {
      UpdateChoice& u = c.update;
      io.Field(c.item, static_cast<int>(kItemPool.size()));
      io.Field(u.fields, 32);
      io.Field(u.priority, static_cast<int>(kPriorityPool.size()));
      io.Field(u.tier, static_cast<int>(kTierPool.size()));
      io.Field(u.tags, 1 << kTagPool.size());
      RequirementLayout(io, u.requirement);
      io.Field(u.deadline, 64);
      return;
    }
    case EngineCommandKind::kAccept:
    case EngineCommandKind::kReject:
      io.Field(c.item, static_cast<int>(kItemPool.size()));
      io.Field(c.agent, static_cast<int>(kAgentPool.size()));
      return;
    case EngineCommandKind::kPause:
    case EngineCommandKind::kResume:
      io.Field(c.item, static_cast<int>(kItemPool.size()));
      io.Field(c.text, static_cast<int>(kReasonPool.size()));
      return;
    case EngineCommandKind::kTransfer:
      io.Field(c.item, static_cast<int>(kItemPool.size()));
      io.Field(c.text, static_cast<int>(kQueuePool.size()));
      return;
    case EngineCommandKind::kReconfigure:
      io.Field(c.text, static_cast<int>(kReconfigurationCount));
      return;
    case EngineCommandKind::kAdvanceTo:
      return;
    default:
      io.Field(c.item, static_cast<int>(kItemPool.size()));
      return;
  }
}

// Reads fields front to back, each byte modulo its field's size; zeros past the end.
class ChoiceReader {
 public:
  explicit ChoiceReader(std::string_view bytes) : bytes_(bytes) {}
  bool done() const { return pos_ >= bytes_.size(); }
  void Field(int& value, int size) {
    const int byte = done() ? 0 : static_cast<unsigned char>(bytes_[pos_]);
    ++pos_;
    value = byte % size;
  }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
};

// Writes each field as one byte (the value itself, which the reader maps back unchanged).
class ChoiceWriter {
 public:
  void Field(int& value, int size) {
    if (value < 0 || value >= size || value > 255) {
      Fail(absl::StrCat("command layout: value ", value, " outside [0, ", size, ")"));
    }
    bytes_.push_back(static_cast<char>(value));
  }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

// --- choices to commands ------------------------------------------------------------------------

inline std::string Pooled(std::string_view name) { return std::string(name); }

inline NamedRequirement RequirementOf(const RequirementChoice& r) {
  NamedRequirement out;
  if (r.must_skill > 0) {
    const std::string skill = Pooled(kSkillPool[r.must_skill - 1]);
    out.must[skill] = kSkillLevelPool[r.must_level];
    switch (r.step) {
      case 1:
        out.steps.push_back({.after = absl::Minutes(r.step_minutes), .skill = skill});
        break;
      case 2:
        out.steps.push_back({.after = absl::Minutes(r.step_minutes),
                             .kind = RelaxationKind::kLowerLevel,
                             .skill = skill,
                             .level = 1});
        break;
      case 3:
        out.steps.push_back(
            {.after = absl::Minutes(r.step_minutes),
             .kind = RelaxationKind::kWiden,
             .skill = skill,
             .alternative = Pooled(kSkillPool[(r.must_skill) % kSkillPool.size()])});
        break;
      default:
        break;
    }
  }
  if (r.prefer_skill > 0) out.preferred[Pooled(kSkillPool[r.prefer_skill - 1])] = 1.0;
  return out;
}

inline std::vector<std::string> TagsOf(int mask) {
  std::vector<std::string> tags;
  for (size_t i = 0; i < kTagPool.size(); ++i) {
    if ((mask >> i) & 1) tags.push_back(Pooled(kTagPool[i]));
  }
  return tags;
}

inline absl::Time InstantOf(const CommandChoice& c, absl::Time now) {
  switch (static_cast<Timing>(c.timing)) {
    case Timing::kNow:
      return now;
    case Timing::kSeconds:
      return now + absl::Seconds(c.amount);
    case Timing::kMinutes:
      return now + absl::Minutes(c.amount);
    case Timing::kHours:
      return now + absl::Hours(c.amount % 48);
    case Timing::kDays:
      return now + absl::Hours(24 * (1 + c.amount % 3));
    case Timing::kBeforeNow:
      return now - absl::Minutes(1 + c.amount);
  }
  return now;
}

inline EngineCommand CommandOf(const CommandChoice& c, absl::Time now, QueueKpis kpis) {
  EngineCommand command{.kind = static_cast<EngineCommandKind>(c.kind), .at = InstantOf(c, now)};
  switch (command.kind) {
    case EngineCommandKind::kAddAgent:
    case EngineCommandKind::kUpdateAgent:
    case EngineCommandKind::kSubmit:
    case EngineCommandKind::kAdvanceTo:
    case EngineCommandKind::kReconfigure:
      break;
    case EngineCommandKind::kRemoveAgent:
    case EngineCommandKind::kSetAgentState:
      command.agent = Pooled(kAgentPool[c.agent]);
      command.state = kAgentStatePool[c.state];
      break;
    case EngineCommandKind::kAccept:
    case EngineCommandKind::kReject:
      command.agent = Pooled(kAgentPool[c.agent]);
      command.item = Pooled(kItemPool[c.item]);
      break;
    default:
      command.item = Pooled(kItemPool[c.item]);
      break;
  }
  switch (command.kind) {
    case EngineCommandKind::kAddAgent:
    case EngineCommandKind::kUpdateAgent: {
      const AgentChoice& a = c.agent_spec;
      EngineAgentSpec& spec = command.agent_spec;
      spec.id = Pooled(kAgentPool[a.id]);
      for (size_t i = 0; i < kSkillPool.size(); ++i) {
        if ((a.skills >> i) & 1) spec.skills[Pooled(kSkillPool[i])] = kSkillLevelPool[a.levels[i]];
      }
      for (size_t i = 0; i < a.capacity.size(); ++i) {
        if (a.capacity[i] < 4) spec.capacity[Pooled(kChannelPool[i])] = a.capacity[i];
      }
      if (a.unknown_channel != 0) spec.capacity[Pooled(kChannelPool.back())] = 1;
      if (kBudgetPool[a.budget] >= 0) spec.budget = kBudgetPool[a.budget];
      for (size_t i = 0; i < kQueuePool.size(); ++i) {
        if ((a.queues >> i) & 1) {
          spec.queues.push_back({.queue = Pooled(kQueuePool[i]),
                                 .priority = (a.queue_priority + static_cast<int>(i)) % 3,
                                 .delay = absl::Seconds(10 * a.queue_delay)});
        }
      }
      break;
    }
    case EngineCommandKind::kSetAgentState:
    case EngineCommandKind::kPause:
    case EngineCommandKind::kResume:
      command.text = Pooled(kReasonPool[c.text]);
      break;
    case EngineCommandKind::kSubmit: {
      const ItemChoice& i = c.item_spec;
      EngineItemSpec& spec = command.item_spec;
      spec.id = Pooled(kItemPool[i.id]);
      spec.queue = Pooled(kQueuePool[i.queue]);
      spec.channel = Pooled(kChannelPool[i.channel]);
      spec.priority = Pooled(kPriorityPool[i.priority]);
      spec.requirement = RequirementOf(i.requirement);
      spec.tier = Pooled(kTierPool[i.tier]);
      spec.tags = TagsOf(i.tags);
      spec.customer = Pooled(kCustomerPool[i.customer]);
      if (i.created == 1) spec.created = command.at - absl::Minutes(7 * c.amount);
      if (i.created == 2) spec.created = command.at + absl::Minutes(5);
      if (i.deadline > 0) spec.deadline = command.at + absl::Minutes(10 * i.deadline);
      break;
    }
    case EngineCommandKind::kUpdate: {
      const UpdateChoice& u = c.update;
      EngineItemUpdate& update = command.update;
      if (u.fields & 1) update.priority = Pooled(kPriorityPool[u.priority]);
      if (u.fields & 2) update.tier = Pooled(kTierPool[u.tier]);
      if (u.fields & 4) update.tags = TagsOf(u.tags);
      if (u.fields & 8) update.requirement = RequirementOf(u.requirement);
      if (u.fields & 16) update.deadline = command.at + absl::Minutes(10 * u.deadline);
      break;
    }
    case EngineCommandKind::kTransfer:
      command.text = Pooled(kQueuePool[c.text]);
      break;
    case EngineCommandKind::kReconfigure:
      command.text = Reconfigurations(kpis)[c.text];
      break;
    default:
      break;
  }
  return command;
}

// --- the checks ---------------------------------------------------------------------------------

inline bool Final(EngineEventKind kind) {
  return kind == EngineEventKind::kClosed || kind == EngineEventKind::kCancelled ||
         kind == EngineEventKind::kAbandoned;
}

// Applies commands to an engine on `EngineConfigJson()` (with or without queue-KPI triggers) and
// checks after each one:
// - an instant before now is refused (InvalidArgument) and changes nothing, time included;
// - a refused command, once the clock stands at its instant, changes nothing: the same state
//   digest, no events;
// - no item is lost: the engine holds exactly the items submitted or created as follow-ups and
//   not yet closed, cancelled or abandoned; every queued item has a place in its queue, every
//   offered or assigned one is held by its agent and the other way round;
// - no agent holds more than its capacity per channel or its budget, nor work while offline;
// - queue lengths agree with the items; KPI counters never decrease; events come in time order.
// `Finish` checks that the snapshot (the configuration and the journal) restores to the same
// state digest and snapshots to the same bytes.
class CommandStream {
 public:
  explicit CommandStream(QueueKpis queue_kpis = QueueKpis::kOn) : queue_kpis_(queue_kpis) {
    absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(FuzzEngineConfig(queue_kpis));
    if (!engine.ok()) Fail(absl::StrCat("the fuzz configuration: ", engine.status().ToString()));
    engine_ = *std::move(engine);
    last_event_ = engine_->now();
  }

  const Engine& engine() const { return *engine_; }
  // The last command applied, with its outcome.
  const std::string& last_command() const { return log_.back(); }

  absl::Status Step(const CommandChoice& choice) {
    const EngineCommand command = CommandOf(choice, engine_->now(), queue_kpis_);
    log_.push_back(Describe(command));
    const bool early = command.at < engine_->now();
    if (!early && choice.advance_first != 0 && command.kind != EngineCommandKind::kAdvanceTo) {
      const absl::Status advanced = engine_->AdvanceTo(command.at);
      if (!advanced.ok()) Fail(Context("advancing the clock", advanced));
      Learn(engine_->PollEvents());
      CheckState();
    }
    const bool at_instant = early || engine_->now() == command.at;
    const uint64_t digest_before = engine_->StateDigest();
    const absl::Time now_before = engine_->now();
    const size_t items_before = engine_->item_count();
    const size_t agents_before = engine_->agent_count();
    const absl::Status status = engine_->Apply(command, ParseEngineConfigJson);
    log_.back() += absl::StrCat(" -> ", status.ok() ? "OK" : status.ToString());
    const std::vector<EngineEvent> events = engine_->PollEvents();
    CheckError(status, log_.back(),
               {absl::StatusCode::kInvalidArgument, absl::StatusCode::kNotFound,
                absl::StatusCode::kAlreadyExists, absl::StatusCode::kFailedPrecondition});
    if (early) {
      if (status.code() != absl::StatusCode::kInvalidArgument) {
        Fail(Context("an instant before now was not refused as InvalidArgument", status));
      }
      if (engine_->now() != now_before) Fail(Context("a refused early command moved time", status));
    }
    if (!status.ok() && at_instant) {
      if (engine_->StateDigest() != digest_before) {
        Fail(Context("a refused command changed the state digest", status));
      }
      if (!events.empty()) Fail(Context("a refused command emitted events", status));
      if (engine_->item_count() != items_before || engine_->agent_count() != agents_before) {
        Fail(Context("a refused command changed the item or agent count", status));
      }
    }
    if (status.ok()) Record(command);
    Learn(events);
    CheckState();
    return status;
  }

  void Finish() {
    const std::string snapshot = engine_->Snapshot();
    absl::StatusOr<std::unique_ptr<Engine>> restored = RestoreEngine(snapshot);
    if (!restored.ok()) Fail(Context("the final snapshot does not restore", restored.status()));
    if ((*restored)->StateDigest() != engine_->StateDigest() ||
        (*restored)->now() != engine_->now()) {
      Fail(Context("the restored engine's state digest differs", absl::OkStatus()));
    }
    if ((*restored)->Snapshot() != snapshot) {
      Fail(Context("the restored engine snapshots differently", absl::OkStatus()));
    }
  }

 private:
  std::string Describe(const EngineCommand& c) const {
    std::string out = absl::StrCat(log_.size(), ": ", std::string(EngineCommandKindName(c.kind)),
                                   " at +", absl::FormatDuration(c.at - engine_->now()));
    if (!c.item.empty()) absl::StrAppend(&out, " item=", c.item);
    if (!c.agent.empty()) absl::StrAppend(&out, " agent=", c.agent);
    if (c.kind == EngineCommandKind::kSubmit) {
      absl::StrAppend(&out, " id=", c.item_spec.id, " queue=", c.item_spec.queue,
                      " channel=", c.item_spec.channel, " priority=", c.item_spec.priority);
    }
    if (c.kind == EngineCommandKind::kAddAgent || c.kind == EngineCommandKind::kUpdateAgent) {
      absl::StrAppend(&out, " id=", c.agent_spec.id, " capacity={",
                      absl::StrJoin(c.agent_spec.capacity, ",", absl::PairFormatter("=")), "}");
    }
    if (c.kind != EngineCommandKind::kReconfigure && !c.text.empty()) {
      absl::StrAppend(&out, " text=", c.text);
    }
    return out;
  }

  std::string Context(std::string_view what, const absl::Status& status) const {
    const size_t from = log_.size() > 30 ? log_.size() - 30 : 0;
    return absl::StrCat(
        std::string(what), status.ok() ? "" : ": ", status.ok() ? "" : status.ToString(),
        "\nlast commands:\n  ",
        absl::StrJoin(log_.begin() + static_cast<ptrdiff_t>(from), log_.end(), "\n  "));
  }

  void Record(const EngineCommand& c) {
    switch (c.kind) {
      case EngineCommandKind::kAddAgent:
      case EngineCommandKind::kUpdateAgent:
        capacity_[c.agent_spec.id] = c.agent_spec.capacity;
        break;
      case EngineCommandKind::kRemoveAgent:
        capacity_.erase(c.agent);
        break;
      case EngineCommandKind::kSubmit:
        live_.insert(c.item_spec.id);
        known_.insert(c.item_spec.id);
        break;
      default:
        break;
    }
  }

  void Learn(const std::vector<EngineEvent>& events) {
    for (const EngineEvent& e : events) {
      if (e.at < last_event_ || e.at > engine_->now()) {
        Fail(Context(
            absl::StrCat("event ", std::string(EngineEventKindName(e.kind)), " of ", e.item, " at ",
                         absl::FormatTime(e.at), " is out of time order: the previous one ",
                         last_event_text_, ", now ", absl::FormatTime(engine_->now())),
            absl::OkStatus()));
      }
      last_event_ = e.at;
      last_event_text_ = absl::StrCat(std::string(EngineEventKindName(e.kind)), " of ", e.item,
                                      " at ", absl::FormatTime(e.at));
      if (e.kind == EngineEventKind::kFollowUpCreated) {
        live_.insert(e.item);
        known_.insert(e.item);
      }
      if (Final(e.kind)) {
        if (live_.erase(e.item) == 0) {
          Fail(Context(absl::StrCat(std::string(EngineEventKindName(e.kind)), " of ", e.item,
                                    ", which is not live"),
                       absl::OkStatus()));
        }
      }
    }
  }

  void CheckState() {
    const Engine& e = *engine_;
    if (e.item_count() != live_.size()) {
      Fail(Context(absl::StrCat("the engine holds ", e.item_count(), " items, expected ",
                                live_.size(), ": ", absl::StrJoin(live_, ",")),
                   absl::OkStatus()));
    }
    std::map<std::string, EngineItemView> items;
    for (const std::string& id : known_) {
      absl::StatusOr<EngineItemView> view = e.Item(id);
      if (live_.contains(id) != view.ok()) {
        Fail(Context(absl::StrCat("item ", id, live_.contains(id) ? " was lost: " : " is back: ",
                                  view.status().ToString()),
                     absl::OkStatus()));
      }
      if (view.ok()) items.emplace(id, *std::move(view));
    }
    if (e.agent_count() != capacity_.size()) {
      Fail(Context(
          absl::StrCat("the engine has ", e.agent_count(), " agents, expected ", capacity_.size()),
          absl::OkStatus()));
    }
    std::map<std::string, EngineAgentView> agents;
    for (const auto& [id, capacity] : capacity_) {
      absl::StatusOr<EngineAgentView> view = e.Agent(id);
      if (!view.ok()) Fail(Context(absl::StrCat("agent ", id, " was lost"), view.status()));
      agents.emplace(id, *std::move(view));
    }
    for (const auto& [id, item] : items) CheckItem(item, agents);
    for (const auto& [id, agent] : agents) CheckAgent(agent, capacity_.at(id), items);
    std::map<std::string, size_t> queued;
    for (const auto& [id, item] : items) {
      if (item.state == ItemState::kQueued) ++queued[item.queue];
    }
    for (const std::string& name : e.QueueNames()) {
      absl::StatusOr<QueueStats> stats = e.Queue(name);
      if (!stats.ok()) Fail(Context(absl::StrCat("queue ", name), stats.status()));
      size_t by_priority = 0;
      for (const size_t n : stats->waiting_by_priority) by_priority += n;
      if (stats->waiting != queued[name] || by_priority != stats->waiting) {
        Fail(Context(absl::StrCat("queue ", name, " has ", stats->waiting, " waiting (",
                                  by_priority, " by priority), the items say ", queued[name]),
                     absl::OkStatus()));
      }
    }
    CheckKpis(e.Kpis());
  }

  void CheckItem(const EngineItemView& item,
                 const std::map<std::string, EngineAgentView>& agents) const {
    const std::string_view state = ItemStateName(item.state);
    switch (item.state) {
      case ItemState::kQueued:
        if (!item.agent.empty() || !item.position.has_value()) {
          Fail(Context(absl::StrCat("queued item ", item.id, " names agent '", item.agent,
                                    "' or has no place in its queue"),
                       absl::OkStatus()));
        }
        return;
      case ItemState::kOffered:
      case ItemState::kAssigned:
      case ItemState::kPendingCustomer: {
        const auto agent = agents.find(item.agent);
        if (agent == agents.end()) {
          Fail(Context(absl::StrCat(item.id, " is ", std::string(state), " to unknown agent '",
                                    item.agent, "'"),
                       absl::OkStatus()));
        }
        const std::vector<std::string>& held =
            item.state == ItemState::kOffered ? agent->second.offered : agent->second.assigned;
        if (std::find(held.begin(), held.end(), item.id) == held.end()) {
          Fail(Context(absl::StrCat(item.id, " is ", std::string(state), " to ", item.agent,
                                    ", who does not hold it"),
                       absl::OkStatus()));
        }
        return;
      }
      case ItemState::kResolved:
        return;
      default:
        Fail(Context(absl::StrCat(item.id, " is live in state ", std::string(state)),
                     absl::OkStatus()));
    }
  }

  void CheckAgent(const EngineAgentView& agent, const std::map<std::string, int>& capacity,
                  const std::map<std::string, EngineItemView>& items) const {
    std::map<std::string, int> held;
    const auto check_held = [&](const std::vector<std::string>& ids, bool offered) {
      for (const std::string& id : ids) {
        const auto item = items.find(id);
        const bool matches = item != items.end() && item->second.agent == agent.id &&
                             (offered ? item->second.state == ItemState::kOffered
                                      : item->second.state == ItemState::kAssigned ||
                                            item->second.state == ItemState::kPendingCustomer);
        if (!matches) {
          Fail(Context(absl::StrCat(agent.id, " holds ", id, offered ? " (offered)" : "",
                                    ", which is not its"),
                       absl::OkStatus()));
        }
        ++held[item->second.channel];
      }
    };
    check_held(agent.assigned, false);
    check_held(agent.offered, true);
    std::map<std::string, int> load;
    for (const auto& [channel, n] : agent.load) {
      if (n != 0) load[channel] = n;
    }
    if (load != held) {
      Fail(Context(absl::StrCat(agent.id, " reports load {",
                                absl::StrJoin(agent.load, ",", absl::PairFormatter("=")),
                                "}, its items say {",
                                absl::StrJoin(held, ",", absl::PairFormatter("=")), "}"),
                   absl::OkStatus()));
    }
    for (const auto& [channel, n] : load) {
      const auto limit = capacity.find(channel);
      if (limit == capacity.end() || n > limit->second) {
        Fail(Context(absl::StrCat(agent.id, " holds ", n, " on ", channel, ", capacity ",
                                  limit == capacity.end() ? 0 : limit->second),
                     absl::OkStatus()));
      }
    }
    if (agent.used_units > agent.budget) {
      Fail(Context(
          absl::StrCat(agent.id, " uses ", agent.used_units, " of ", agent.budget, " units"),
          absl::OkStatus()));
    }
    if (agent.state == AgentState::kOffline && !load.empty()) {
      Fail(Context(absl::StrCat(agent.id, " is offline holding work"), absl::OkStatus()));
    }
  }

  void CheckKpis(const EngineKpis& now) {
    if (kpis_.has_value()) {
      const EngineKpis& before = *kpis_;
      const std::array<std::pair<uint64_t, uint64_t>, 9> counters = {{
          {before.submitted, now.submitted},
          {before.answered, now.answered},
          {before.first_responses, now.first_responses},
          {before.resolved, now.resolved},
          {before.abandoned, now.abandoned},
          {before.transfers, now.transfers},
          {before.reopened, now.reopened},
          {before.closed, now.closed},
          {before.cancelled, now.cancelled},
      }};
      for (size_t i = 0; i < counters.size(); ++i) {
        if (counters[i].second < counters[i].first) {
          Fail(Context(absl::StrCat("KPI counter ", i, " went down from ", counters[i].first,
                                    " to ", counters[i].second),
                       absl::OkStatus()));
        }
      }
    }
    kpis_ = now;
  }

  QueueKpis queue_kpis_;
  std::unique_ptr<Engine> engine_;
  std::set<std::string> live_;   // items the engine must hold
  std::set<std::string> known_;  // every item id ever submitted or created
  std::map<std::string, std::map<std::string, int>> capacity_;  // per agent and channel
  std::optional<EngineKpis> kpis_;
  absl::Time last_event_;
  std::string last_event_text_;
  std::vector<std::string> log_;
};

// Decodes `bytes` into at most `max_commands` commands and runs them through `stream`.
inline void RunCommandBytes(std::string_view bytes, CommandStream& stream, size_t max_commands) {
  ChoiceReader reader(bytes);
  for (size_t n = 0; n < max_commands && !reader.done(); ++n) {
    CommandChoice choice;
    CommandLayout(reader, choice);
    (void)stream.Step(choice);
  }
  stream.Finish();
}

}  // namespace omniroute::fuzz

#endif  // OMNIROUTE_FUZZ_COMMAND_STREAM_H_
