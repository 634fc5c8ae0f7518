// A deliberately simple reference implementation of the engine's routing, lifecycle and SLA rules
// for one family of configurations, to check the engine against (tests/reference_model_test.cc).
//
// Everything here is a plain struct, a std::vector and a linear scan: which agent an arriving
// item is offered to is the minimum over every agent, which item a freed agent takes is the
// minimum over every waiting item, and timers are found by scanning every item and agent for the
// earliest instant. It never calls the library's router, queues, agent pool, SLA clocks or
// tracker; it uses `BusinessCalendar` for business-time arithmetic only.
//
// The configuration family (`ModelConfig`): three priority-FIFO queues ("sales" with a 24x7 SLA
// policy and an optional preferred-agent window, "support" auto-accepting with an SLA policy on
// office hours, "backoffice" without SLA), deterministic strategies chosen per seed, the default
// channels or costed channels where a call blocks chat and has wrap-up, a manual three-level
// escalation whose second level raises the priority, and auto-close.
//
// The rules the model follows are the documented ones (engine.h, router.h, agents.h,
// work_queue.h, sla.h, sla_tracker.h, lifecycle.h and the README). Where an event order inside
// one instant is not a matter of the rules (an SLA event against a routing event), the harness
// compares SLA and other events as two separate sequences.
#ifndef OMNIROUTE_TESTS_REFERENCE_MODEL_H_
#define OMNIROUTE_TESTS_REFERENCE_MODEL_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "internal/status_macros.h"
#include "omniroute/agents.h"
#include "omniroute/calendar.h"
#include "omniroute/config_json.h"
#include "omniroute/engine.h"
#include "omniroute/lifecycle.h"
#include "omniroute/sla.h"

namespace omniroute::reference_model {

// --- the configuration family -------------------------------------------------------------------

inline const std::vector<std::string>& PriorityLabels() {
  static const auto* const labels = new std::vector<std::string>{"A", "B", "C"};
  return *labels;
}

struct ChannelConfig {
  std::string name{};
  int cost = 1;
  std::vector<std::string> blocks{};
  absl::Duration wrap_up = absl::ZeroDuration();
};

struct QueueConfig {
  std::string name{};
  Strategy strategy = Strategy::kLongestIdle;
  bool auto_accept = false;
  absl::Duration offer_timeout = absl::Seconds(30);
  absl::Duration preferred_window = absl::ZeroDuration();
  std::string sla_policy{};  // empty: none
};

struct PolicyConfig {
  std::string name{};
  std::string calendar{};  // "24x7" or "office"
  std::vector<double> warn_at{};
  // Per priority label; a metric not listed is not tracked.
  std::map<std::string, std::map<SlaMetric, absl::Duration>> targets{};
  double vip_factor = 1.0;
  std::map<SlaMetric, std::vector<std::string>> paused_by{};
};

struct LevelConfig {
  std::string name{};
  int raise_priority_by = 0;
  std::vector<std::string> roles{};
};

struct ModelConfig {
  absl::Time origin{};
  std::string office_json{};  // the "office" calendar
  std::vector<ChannelConfig> channels{};
  std::vector<QueueConfig> queues{};
  std::vector<PolicyConfig> policies{};
  std::vector<LevelConfig> levels{};
  absl::Duration auto_close_after = absl::Hours(6);
};

inline const Strategy kModelStrategies[] = {Strategy::kLongestIdle,   Strategy::kLeastOccupied,
                                            Strategy::kRoundRobin,    Strategy::kMostSkilled,
                                            Strategy::kFewestHandled, Strategy::kWeightedFair};

// The family member of `variant`: strategies, channels, timeouts and the preferred-agent window
// vary with it.
inline ModelConfig ConfigFamily(uint64_t variant) {
  ModelConfig c;
  c.origin = absl::FromUnixSeconds(1772431200);  // Monday 2026-03-02 06:00 UTC
  c.office_json = R"({"tz": "Europe/Berlin",
    "week": {"mon": ["09:00-12:00", "13:00-17:30"], "tue": ["09:00-12:00", "13:00-17:30"],
             "wed": ["09:00-12:00", "13:00-17:30"], "thu": ["09:00-12:00", "13:00-17:30"],
             "fri": ["09:00-15:00"]},
    "holidays": ["2026-03-04"]})";
  const auto pick = [&variant](uint64_t n) {
    const uint64_t r = variant % n;
    variant /= n;
    return r;
  };
  const Strategy s0 = kModelStrategies[pick(6)];
  const Strategy s1 = kModelStrategies[pick(6)];
  const Strategy s2 = kModelStrategies[pick(6)];
  if (pick(2) == 1) {
    c.channels = {{.name = "voice", .cost = 2, .blocks = {"chat"}, .wrap_up = absl::Seconds(45)},
                  {.name = "chat", .cost = 1},
                  {.name = "email", .cost = 1}};
  } else {
    c.channels = {{.name = "voice"}, {.name = "chat"}, {.name = "email"}};
  }
  const absl::Duration window = pick(2) == 1 ? absl::Seconds(90) : absl::ZeroDuration();
  c.queues = {{.name = "sales",
               .strategy = s0,
               .offer_timeout = absl::Seconds(30 + 15 * static_cast<int64_t>(pick(3))),
               .preferred_window = window,
               .sla_policy = "fast"},
              {.name = "support", .strategy = s1, .auto_accept = true, .sla_policy = "office"},
              {.name = "backoffice", .strategy = s2, .offer_timeout = absl::Minutes(2)}};
  PolicyConfig fast{.name = "fast", .calendar = "24x7", .warn_at = {0.5, 0.8}, .vip_factor = 0.5};
  fast.targets["A"] = {{SlaMetric::kFirstResponse, absl::Minutes(5)},
                       {SlaMetric::kNextResponse, absl::Minutes(10)},
                       {SlaMetric::kPeriodicUpdate, absl::Minutes(30)},
                       {SlaMetric::kResolution, absl::Hours(1)}};
  fast.targets["B"] = {{SlaMetric::kFirstResponse, absl::Minutes(30)},
                       {SlaMetric::kNextResponse, absl::Hours(1)},
                       {SlaMetric::kPeriodicUpdate, absl::Hours(2)},
                       {SlaMetric::kResolution, absl::Hours(4)}};
  fast.targets["C"] = {{SlaMetric::kFirstResponse, absl::Hours(2)},
                       {SlaMetric::kPeriodicUpdate, absl::Hours(8)},
                       {SlaMetric::kResolution, absl::Hours(24)}};
  fast.paused_by[SlaMetric::kResolution] = {"customer"};
  fast.paused_by[SlaMetric::kNextResponse] = {"third_party"};
  PolicyConfig office{.name = "office", .calendar = "office", .warn_at = {0.75}};
  office.targets["A"] = {{SlaMetric::kFirstResponse, absl::Minutes(30)},
                         {SlaMetric::kResolution, absl::Hours(4)}};
  office.targets["B"] = {{SlaMetric::kFirstResponse, absl::Hours(2)},
                         {SlaMetric::kResolution, absl::Hours(8)}};
  office.targets["C"] = {{SlaMetric::kFirstResponse, absl::Hours(4)},
                         {SlaMetric::kResolution, absl::Hours(16)}};
  office.paused_by[SlaMetric::kResolution] = {"customer", "third_party"};
  office.paused_by[SlaMetric::kFirstResponse] = {"third_party"};
  c.policies = {fast, office};
  c.levels = {{.name = "L1"},
              {.name = "L2", .raise_priority_by = 1, .roles = {"leads"}},
              {.name = "L3", .roles = {"managers", "duty"}}};
  return c;
}

inline std::string JsonSeconds(absl::Duration d) { return absl::StrCat(absl::ToInt64Seconds(d)); }

inline std::string JsonStrings(const std::vector<std::string>& list) {
  std::vector<std::string> quoted;
  for (const std::string& s : list) quoted.push_back(absl::StrCat("\"", s, "\""));
  return absl::StrCat("[", absl::StrJoin(quoted, ", "), "]");
}

// The engine configuration `c` describes.
inline std::string ConfigJson(const ModelConfig& c) {
  std::vector<std::string> channels;
  for (const ChannelConfig& ch : c.channels) {
    channels.push_back(absl::StrCat(R"({"name": ")", ch.name, R"(", "cost": )", ch.cost,
                                    R"(, "blocks": )", JsonStrings(ch.blocks), R"(, "wrap_up": )",
                                    JsonSeconds(ch.wrap_up), "}"));
  }
  std::vector<std::string> policies;
  for (const PolicyConfig& p : c.policies) {
    std::vector<std::string> warn;
    for (double f : p.warn_at) warn.push_back(absl::StrCat(f));
    std::vector<std::string> targets;
    for (const auto& [label, metrics] : p.targets) {
      std::vector<std::string> entries;
      for (const auto& [metric, target] : metrics) {
        entries.push_back(
            absl::StrCat("\"", std::string(SlaMetricName(metric)), "\": ", JsonSeconds(target)));
      }
      targets.push_back(absl::StrCat("\"", label, "\": {", absl::StrJoin(entries, ", "), "}"));
    }
    std::vector<std::string> metrics;
    for (const auto& [metric, reasons] : p.paused_by) {
      metrics.push_back(absl::StrCat("\"", std::string(SlaMetricName(metric)),
                                     R"(": {"paused_by": )", JsonStrings(reasons), "}"));
    }
    policies.push_back(absl::StrCat(R"({"name": ")", p.name, R"(", "calendar": ")", p.calendar,
                                    R"(", "warn_at": [)", absl::StrJoin(warn, ", "),
                                    R"(], "targets": {)", absl::StrJoin(targets, ", "),
                                    R"(}, "tiers": {"vip": )", p.vip_factor, R"(}, "metrics": {)",
                                    absl::StrJoin(metrics, ", "), "}}"));
  }
  std::vector<std::string> levels;
  for (const LevelConfig& level : c.levels) {
    std::vector<std::string> actions;
    if (level.raise_priority_by > 0) {
      actions.push_back(absl::StrCat(R"({"kind": "raise_priority_by", "amount": )",
                                     level.raise_priority_by, "}"));
    }
    for (const std::string& role : level.roles) {
      actions.push_back(absl::StrCat(R"({"kind": "notify", "target": ")", role, "\"}"));
    }
    levels.push_back(absl::StrCat(R"({"name": ")", level.name, R"(", "actions": [)",
                                  absl::StrJoin(actions, ", "), "]}"));
  }
  std::vector<std::string> queues;
  for (const QueueConfig& q : c.queues) {
    std::string queue = absl::StrCat(
        R"({"name": ")", q.name, R"(", "strategy": ")", std::string(StrategyName(q.strategy)),
        R"(", "order": "priority_fifo", "auto_accept": )", q.auto_accept ? "true" : "false",
        R"(, "offer_timeout": )", JsonSeconds(q.offer_timeout), R"(, "preferred_agent_window": )",
        JsonSeconds(q.preferred_window));
    if (!q.sla_policy.empty()) absl::StrAppend(&queue, R"(, "sla_policy": ")", q.sla_policy, "\"");
    queues.push_back(queue + "}");
  }
  return absl::StrCat(
      R"({"origin": ")", absl::FormatTime(absl::RFC3339_full, c.origin, absl::UTCTimeZone()),
      R"(", "priorities": )", JsonStrings(PriorityLabels()), R"(, "calendars": {"office": )",
      c.office_json, R"(}, "channels": [)", absl::StrJoin(channels, ", "),
      R"(], "sla_policies": [)", absl::StrJoin(policies, ", "),
      R"(], "escalation": {"name": "esc", "levels": [)", absl::StrJoin(levels, ", "),
      R"(], "rules": [{"trigger": {"kind": "manual"}}]}, "queues": [)", absl::StrJoin(queues, ", "),
      R"(], "lifecycle": {"auto_close_after": )", JsonSeconds(c.auto_close_after), "}}");
}

// --- the model ----------------------------------------------------------------------------------

// Threshold indexes of a clock: warnings 0, 1, ..., then these.
inline constexpr int kBreach = -1;
inline constexpr int kNone = -2;

// Timers carry the order they were set in (`*_seq`): timers due at the same instant fire in that
// order, as the engine's timing wheels document.
struct ModelClock {
  enum class Phase { kRunning, kPaused, kStopped, kCancelled };
  SlaMetric metric = SlaMetric::kFirstResponse;
  absl::Duration target{};
  absl::Time start{};
  Phase phase = Phase::kRunning;
  absl::Duration accumulated{};  // business time before `mark`
  absl::Time mark{};             // running: since when; else when it paused or stopped
  std::vector<bool> warned{};
  bool breached = false;
  // The deadline it had passed when it paused: its deadline again once it resumes (until a new
  // target).
  absl::Time overran_at = absl::InfiniteFuture();
  // The pending threshold timer: a warning index, kBreach, or kNone.
  int armed = kNone;
  absl::Time timer_at{};
  uint64_t timer_seq = 0;

  bool open() const { return phase == Phase::kRunning || phase == Phase::kPaused; }
};

struct ModelItem {
  std::string id{};
  ItemState state = ItemState::kQueued;
  int queue = 0;
  int channel = 0;
  int sla_priority = 0;
  int routing_priority = 0;
  std::string tier{};
  std::vector<std::string> tags{};
  std::string customer{};
  NamedRequirement requirement{};
  absl::Time created{};
  int agent = -1;  // offered to, assigned to, resolved by
  // Waiting: since when (its arrival in the current queue) and its place among equal keys.
  absl::Time wait_since{};
  uint64_t place = 0;
  bool has_place = false;  // it waited in its queue before its current offer
  std::vector<int> refused{};
  std::optional<int> preferred{};  // the agent given first refusal when it enters a queue
  int window_agent = -1;
  absl::Time window_until = absl::InfinitePast();
  std::optional<uint64_t> wake_seq{};
  absl::Time offer_expires = absl::InfiniteFuture();
  uint64_t offer_seq = 0;
  int level = 0;
  int rejected = 0;
  int transfers = 0;
  int reopens = 0;
  std::vector<std::string> pauses{};
  bool responded = false;
  int policy = -1;
  std::vector<ModelClock> clocks{};  // in the order their metrics first started
  bool sla_resolved = false;
  absl::Time close_at = absl::InfiniteFuture();
  uint64_t close_seq = 0;
};

struct ModelHeld {
  std::string item{};
  int channel = 0;
  bool pending = true;
};

struct ModelAgent {
  std::string id{};
  bool removed = false;
  std::map<std::string, int> skills{};
  std::vector<int> limits{};  // per channel
  int budget = 1;
  std::vector<EngineQueueRef> profile{};  // queue names resolved to indexes in `queues`
  std::vector<int> queues{};
  AgentState state = AgentState::kOffline;
  std::string away_reason{};
  absl::Time last_activity{};
  uint64_t last_offer = 0;
  uint64_t handled = 0;
  uint64_t accepted = 0;
  absl::Time wrap_up_until = absl::InfinitePast();
  std::optional<uint64_t> wrap_seq{};
  std::vector<ModelHeld> held{};  // in the order offered
};

struct ModelQueueCounts {
  uint64_t arrived = 0;
  uint64_t answered = 0;
  uint64_t abandoned = 0;
  uint64_t next_place = 0;
};

class Model {
 public:
  explicit Model(ModelConfig config) : config_(std::move(config)), now_(config_.origin) {
    office_ = *ParseCalendarJson(config_.office_json);
    queue_counts_.resize(config_.queues.size());
  }

  const ModelConfig& config() const { return config_; }
  absl::Time now() const { return now_; }
  const std::vector<ModelItem>& items() const { return items_; }
  const std::vector<ModelAgent>& agents() const { return agents_; }
  const std::vector<ModelQueueCounts>& queue_counts() const { return queue_counts_; }

  std::vector<EngineEvent> TakeEvents() { return std::exchange(events_, {}); }

  const ModelItem* FindItem(std::string_view id) const {
    for (const ModelItem& item : items_) {
      if (item.id == id) return &item;
    }
    return nullptr;
  }
  const ModelAgent* FindAgent(std::string_view id) const {
    for (const ModelAgent& agent : agents_) {
      if (agent.id == id && !agent.removed) return &agent;
    }
    return nullptr;
  }

  // The waiting items of queue `q`, in serving order.
  std::vector<const ModelItem*> QueueOrder(int q) const {
    std::vector<const ModelItem*> order;
    for (const ModelItem& item : items_) {
      if (item.state == ItemState::kQueued && item.queue == q) order.push_back(&item);
    }
    std::sort(order.begin(), order.end(),
              [](const ModelItem* a, const ModelItem* b) { return WaitKey(*a) < WaitKey(*b); });
    return order;
  }

  int Load(const ModelAgent& agent, int channel) const {
    int n = 0;
    for (const ModelHeld& held : agent.held) n += held.channel == channel ? 1 : 0;
    return n;
  }
  int UsedUnits(const ModelAgent& agent) const {
    int units = 0;
    for (const ModelHeld& held : agent.held) units += config_.channels[held.channel].cost;
    return units;
  }
  bool Blocks(int a, int b) const {
    const auto names = [&](int from, int to) {
      const std::vector<std::string>& list = config_.channels[from].blocks;
      return std::find(list.begin(), list.end(), config_.channels[to].name) != list.end();
    };
    return names(a, b) || names(b, a);
  }
  static bool Matches(const NamedRequirement& r, const std::map<std::string, int>& skills) {
    for (const auto& [skill, level] : r.must) {
      const auto has = skills.find(skill);
      if (has == skills.end() || has->second < level) return false;
    }
    for (const std::string& skill : r.excluded) {
      if (skills.contains(skill)) return false;
    }
    return true;
  }

  // The SLA views the engine reports, by metric.
  absl::Duration Elapsed(const ModelItem& item, const ModelClock& clock, absl::Time at) const {
    absl::Duration elapsed = clock.accumulated;
    if (clock.phase == ModelClock::Phase::kRunning && at > clock.mark) {
      elapsed += CalendarOf(item).BusinessTimeBetween(clock.mark, at);
    }
    return elapsed;
  }
  absl::Time Deadline(const ModelItem& item, const ModelClock& clock) const {
    if (clock.phase != ModelClock::Phase::kRunning) return absl::InfiniteFuture();
    if (clock.breached && clock.accumulated >= clock.target &&
        clock.overran_at != absl::InfiniteFuture()) {
      return clock.overran_at;
    }
    return Reaching(item, clock, clock.target);
  }
  static SlaState StateOf(const ModelClock& clock) {
    switch (clock.phase) {
      case ModelClock::Phase::kCancelled:
        return SlaState::kCancelled;
      case ModelClock::Phase::kStopped:
        return SlaState::kMet;
      case ModelClock::Phase::kPaused:
        return clock.breached ? SlaState::kBreached : SlaState::kPaused;
      case ModelClock::Phase::kRunning:
        break;
    }
    return clock.breached ? SlaState::kBreached : SlaState::kRunning;
  }
  static absl::Duration Threshold(const ModelClock& clock, double fraction) {
    return absl::Nanoseconds(static_cast<int64_t>(
        std::llround(static_cast<long double>(absl::ToInt64Nanoseconds(clock.target)) * fraction)));
  }
  const PolicyConfig& PolicyOf(const ModelItem& item) const {
    return config_.policies[item.policy];
  }

  // Applies one command as the engine documents it.
  absl::Status Apply(const EngineCommand& c) {
    if (c.at < now_ || c.at == absl::InfiniteFuture()) {
      return absl::InvalidArgumentError("instant before now");
    }
    AdvanceTo(c.at);
    switch (c.kind) {
      case EngineCommandKind::kAddAgent:
        return AddAgent(c.agent_spec);
      case EngineCommandKind::kRemoveAgent:
        return RemoveAgent(c.agent);
      case EngineCommandKind::kUpdateAgent:
        return UpdateAgent(c.agent_spec);
      case EngineCommandKind::kSetAgentState:
        return SetAgentState(c.agent, c.state, c.text);
      case EngineCommandKind::kSubmit:
        return Submit(c.item_spec);
      case EngineCommandKind::kUpdate:
        return Update(c.item, c.update);
      case EngineCommandKind::kAccept:
      case EngineCommandKind::kReject:
        return Answer(c.item, c.agent, c.kind == EngineCommandKind::kAccept);
      case EngineCommandKind::kRespond:
        return Respond(c.item);
      case EngineCommandKind::kCustomerMessage:
        return CustomerMessage(c.item);
      case EngineCommandKind::kPause:
        return Pause(c.item, c.text);
      case EngineCommandKind::kResume:
        return Resume(c.item, c.text);
      case EngineCommandKind::kResolve:
        return Resolve(c.item);
      case EngineCommandKind::kConfirm:
        return Confirm(c.item);
      case EngineCommandKind::kReopen:
        return Reopen(c.item);
      case EngineCommandKind::kTransfer:
        return Transfer(c.item, c.text);
      case EngineCommandKind::kEscalate:
        return Escalate(c.item);
      case EngineCommandKind::kCancel:
      case EngineCommandKind::kAbandon:
        return End(c.item, c.kind == EngineCommandKind::kAbandon);
      case EngineCommandKind::kAdvanceTo:
        return absl::OkStatus();
      case EngineCommandKind::kReconfigure:
        break;
    }
    return absl::UnimplementedError("reconfiguration is outside the model");
  }

 private:
  using WaitKeyT = std::tuple<int, absl::Time, uint64_t>;
  static WaitKeyT WaitKey(const ModelItem& item) {
    return {item.routing_priority, item.wait_since, item.place};
  }

  ModelItem* Item(std::string_view id) { return const_cast<ModelItem*>(FindItem(id)); }
  int AgentIndex(std::string_view id) const {
    for (size_t a = 0; a < agents_.size(); ++a) {
      if (agents_[a].id == id && !agents_[a].removed) return static_cast<int>(a);
    }
    return -1;
  }
  int QueueIndex(std::string_view name) const {
    for (size_t q = 0; q < config_.queues.size(); ++q) {
      if (config_.queues[q].name == name) return static_cast<int>(q);
    }
    return -1;
  }
  int ChannelIndex(std::string_view name) const {
    for (size_t ch = 0; ch < config_.channels.size(); ++ch) {
      if (config_.channels[ch].name == name) return static_cast<int>(ch);
    }
    return -1;
  }
  int PriorityIndex(std::string_view label) const {
    if (label.empty()) return static_cast<int>(PriorityLabels().size()) - 1;
    for (size_t p = 0; p < PriorityLabels().size(); ++p) {
      if (PriorityLabels()[p] == label) return static_cast<int>(p);
    }
    return -1;
  }
  const BusinessCalendar& CalendarOf(const ModelItem& item) const {
    return PolicyOf(item).calendar == "office" ? office_ : always_open_;
  }

  void EmitItem(EngineEventKind kind, const ModelItem& item, std::string detail = "") {
    EngineEvent e{.kind = kind,
                  .at = now_,
                  .item = item.id,
                  .queue = config_.queues[item.queue].name,
                  .detail = std::move(detail)};
    if (item.agent >= 0) e.agent = agents_[item.agent].id;
    events_.push_back(std::move(e));
  }
  void EmitRouting(EngineEventKind kind, const ModelItem& item, int agent) {
    EngineEvent e{
        .kind = kind, .at = now_, .item = item.id, .queue = config_.queues[item.queue].name};
    if (agent >= 0) e.agent = agents_[agent].id;
    events_.push_back(std::move(e));
  }

  // --- agents and eligibility -------------------------------------------------------------------

  bool Serves(const ModelAgent& agent, int queue) const {
    return !agent.removed &&
           std::find(agent.queues.begin(), agent.queues.end(), queue) != agent.queues.end();
  }
  bool CanTake(const ModelAgent& agent, int channel) const {
    if (agent.state != AgentState::kAvailable) return false;
    if (Load(agent, channel) >= agent.limits[channel]) return false;
    if (UsedUnits(agent) + config_.channels[channel].cost > agent.budget) return false;
    for (const ModelHeld& held : agent.held) {
      if (Blocks(held.channel, channel)) return false;
    }
    return true;
  }
  bool Refused(const ModelItem& item, int agent) const {
    return std::find(item.refused.begin(), item.refused.end(), agent) != item.refused.end();
  }
  bool PreferredOnly(const ModelItem& item) const {
    return item.window_agent >= 0 && now_ < item.window_until;
  }
  bool Eligible(int a, const ModelItem& item) const {
    const ModelAgent& agent = agents_[a];
    return Serves(agent, item.queue) && CanTake(agent, item.channel) && !Refused(item, a) &&
           Matches(item.requirement, agent.skills);
  }
  double Score(const NamedRequirement& r, const ModelAgent& agent) const {
    double score = 0;
    for (const auto& [skill, level] : r.must) {
      const auto has = agent.skills.find(skill);
      score += has == agent.skills.end() ? 0 : has->second;
    }
    for (const auto& [skill, weight] : r.preferred) {
      const auto has = agent.skills.find(skill);
      score += has == agent.skills.end() ? 0 : weight * has->second;
    }
    return score;
  }
  // The strategy's order: smaller first. Fractions are compared exactly, as cross products.
  bool RanksBefore(Strategy strategy, int a, int b, const NamedRequirement& r) const {
    const ModelAgent& x = agents_[a];
    const ModelAgent& y = agents_[b];
    const auto idle = [&] {
      const bool x_loaded = UsedUnits(x) > 0, y_loaded = UsedUnits(y) > 0;
      if (x_loaded != y_loaded) return !x_loaded;
      if (x.last_activity != y.last_activity) return x.last_activity < y.last_activity;
      return a < b;
    };
    switch (strategy) {
      case Strategy::kLongestIdle:
        return idle();
      case Strategy::kMostSkilled: {
        const double sx = Score(r, x), sy = Score(r, y);
        if (sx != sy) return sx > sy;
        return idle();
      }
      case Strategy::kLeastOccupied: {
        const int64_t lhs = int64_t{UsedUnits(x)} * y.budget;
        const int64_t rhs = int64_t{UsedUnits(y)} * x.budget;
        if (lhs != rhs) return lhs < rhs;
        if (x.last_activity != y.last_activity) return x.last_activity < y.last_activity;
        return a < b;
      }
      case Strategy::kRoundRobin:
        if (x.last_offer != y.last_offer) return x.last_offer < y.last_offer;
        return a < b;
      case Strategy::kFewestHandled:
        if (x.handled != y.handled) return x.handled < y.handled;
        if (x.last_activity != y.last_activity) return x.last_activity < y.last_activity;
        return a < b;
      case Strategy::kWeightedFair: {
        const auto lhs = static_cast<int64_t>(x.accepted + 1) * y.budget;
        const auto rhs = static_cast<int64_t>(y.accepted + 1) * x.budget;
        if (lhs != rhs) return lhs < rhs;
        if (x.last_activity != y.last_activity) return x.last_activity < y.last_activity;
        return a < b;
      }
      case Strategy::kRandom:
        break;
    }
    return a < b;
  }

  int BestAgentFor(const ModelItem& item) const {
    if (PreferredOnly(item)) {
      return Eligible(item.window_agent, item) ? item.window_agent : -1;
    }
    const Strategy strategy = config_.queues[item.queue].strategy;
    int best = -1;
    for (size_t a = 0; a < agents_.size(); ++a) {
      const int candidate = static_cast<int>(a);
      if (!Eligible(candidate, item)) continue;
      if (best < 0 || RanksBefore(strategy, candidate, best, item.requirement)) best = candidate;
    }
    return best;
  }

  // The item agent `a` takes next: its profile's tiers by priority; within a tier, each queue's
  // best item it may take, the earliest waiting first, then the queue listed first.
  ModelItem* BestItemFor(int a) {
    const ModelAgent& agent = agents_[a];
    std::vector<EngineQueueRef> tiers = agent.profile;
    std::stable_sort(
        tiers.begin(), tiers.end(),
        [](const EngineQueueRef& x, const EngineQueueRef& y) { return x.priority < y.priority; });
    for (size_t begin = 0; begin < tiers.size();) {
      size_t end = begin;
      while (end < tiers.size() && tiers[end].priority == tiers[begin].priority) ++end;
      ModelItem* chosen = nullptr;
      std::pair<absl::Time, size_t> chosen_key;
      for (size_t t = begin; t < end; ++t) {
        const int q = QueueIndex(tiers[t].queue);
        ModelItem* queue_best = nullptr;
        for (ModelItem& item : items_) {
          if (item.state != ItemState::kQueued || item.queue != q) continue;
          if (!CanTake(agent, item.channel) || !Matches(item.requirement, agent.skills)) continue;
          if (Refused(item, a) || (PreferredOnly(item) && item.window_agent != a)) continue;
          if (queue_best == nullptr || WaitKey(item) < WaitKey(*queue_best)) queue_best = &item;
        }
        if (queue_best == nullptr) continue;
        const std::pair<absl::Time, size_t> key{queue_best->wait_since, t};
        if (chosen == nullptr || key < chosen_key) {
          chosen = queue_best;
          chosen_key = key;
        }
      }
      if (chosen != nullptr) return chosen;
      begin = end;
    }
    return nullptr;
  }

  void RouteAgent(int a) {
    while (agents_[a].state == AgentState::kAvailable) {
      ModelItem* item = BestItemFor(a);
      if (item == nullptr) return;
      OfferFromQueue(*item, a);
    }
  }

  void RouteItem(ModelItem& item) {
    if (item.state != ItemState::kQueued) return;
    const int agent = BestAgentFor(item);
    if (agent >= 0) OfferFromQueue(item, agent);
  }

  void OfferFromQueue(ModelItem& item, int a) {
    item.has_place = true;
    item.wake_seq.reset();
    MakeOffer(item, a);
  }

  void MakeOffer(ModelItem& item, int a) {
    ModelAgent& agent = agents_[a];
    agent.held.push_back({.item = item.id, .channel = item.channel, .pending = true});
    agent.last_activity = now_;
    agent.last_offer = ++offer_count_;
    item.state = ItemState::kOffered;
    item.agent = a;
    EmitRouting(EngineEventKind::kOffered, item, a);
    if (config_.queues[item.queue].auto_accept) {
      AcceptOffer(item, a);
      return;
    }
    item.offer_expires = now_ + config_.queues[item.queue].offer_timeout;
    item.offer_seq = ++router_timers_;
  }

  void AcceptOffer(ModelItem& item, int a) {
    ModelAgent& agent = agents_[a];
    for (ModelHeld& held : agent.held) {
      if (held.item == item.id) held.pending = false;
    }
    ++agent.accepted;
    item.state = ItemState::kAssigned;
    item.offer_expires = absl::InfiniteFuture();
    EmitRouting(EngineEventKind::kAssigned, item, a);
    ++queue_counts_[item.queue].answered;
    if (!item.customer.empty()) customer_agent_[item.customer] = a;
  }

  // An agent state change the engine makes on its own.
  void EmitAgentState(int a, std::string detail) {
    events_.push_back({.kind = EngineEventKind::kAgentState,
                       .at = now_,
                       .agent = agents_[a].id,
                       .detail = std::move(detail)});
  }

  bool CanHoldWindow(int a, int queue) const {
    return agents_[a].state != AgentState::kOffline && Serves(agents_[a], queue);
  }

  // Windows held by `a` that it can no longer hold close now; their items are routed, in item
  // order.
  void CloseWindows(int a) {
    for (ModelItem& item : items_) {
      if (item.state != ItemState::kQueued || !PreferredOnly(item) || item.window_agent != a ||
          CanHoldWindow(a, item.queue)) {
        continue;
      }
      item.window_until = now_;
      RouteItem(item);
    }
  }

  // Takes `item` back from its agent (an offer or assigned work); `completed` counts it handled.
  // True when that started the agent's wrap-up.
  bool Release(ModelItem& item, bool completed) {
    ModelAgent& agent = agents_[item.agent];
    const auto held = std::find_if(agent.held.begin(), agent.held.end(),
                                   [&](const ModelHeld& h) { return h.item == item.id; });
    const int channel = held->channel;
    agent.held.erase(held);
    if (agent.held.empty()) agent.last_activity = now_;
    if (!completed) return false;
    ++agent.handled;
    const absl::Duration wrap_up = config_.channels[channel].wrap_up;
    if (wrap_up <= absl::ZeroDuration() ||
        (agent.state != AgentState::kAvailable && agent.state != AgentState::kWrapUp)) {
      return false;
    }
    const bool started = agent.state == AgentState::kAvailable;
    agent.state = AgentState::kWrapUp;
    agent.wrap_up_until = std::max(agent.wrap_up_until, now_ + wrap_up);
    agent.wrap_seq = ++pool_timers_;
    return started;
  }

  // Back to its queue after an offer ended: its place when it had one, its current priority and
  // requirement.
  void Requeue(ModelItem& item) {
    if (!item.has_place) item.place = queue_counts_[item.queue].next_place++;
    item.state = ItemState::kQueued;
    item.agent = -1;
    item.offer_expires = absl::InfiniteFuture();
    EmitRouting(EngineEventKind::kRequeued, item, -1);
    ArmWake(item);
    RouteItem(item);
  }

  void Push(ModelItem& item) {
    item.place = queue_counts_[item.queue].next_place++;
    item.has_place = false;
    item.state = ItemState::kQueued;
  }

  void ArmWake(ModelItem& item) {
    item.wake_seq.reset();
    if (PreferredOnly(item)) item.wake_seq = ++router_timers_;
  }

  // A new or reopened item enters its queue.
  void Enter(ModelItem& item) {
    ++queue_counts_[item.queue].arrived;
    item.refused.clear();
    item.window_agent = -1;
    item.window_until = absl::InfinitePast();
    item.wait_since = now_;
    const QueueConfig& queue = config_.queues[item.queue];
    if (item.preferred && CanHoldWindow(*item.preferred, item.queue) &&
        queue.preferred_window > absl::ZeroDuration()) {
      item.window_agent = *item.preferred;
      item.window_until = now_ + queue.preferred_window;
      Push(item);
      ArmWake(item);
      RouteItem(item);
      if (item.state == ItemState::kQueued) EmitRouting(EngineEventKind::kQueued, item, -1);
      return;
    }
    const int agent = BestAgentFor(item);
    if (agent >= 0) {
      item.has_place = false;
      MakeOffer(item, agent);
      return;
    }
    Push(item);
    EmitRouting(EngineEventKind::kQueued, item, -1);
  }

  // Moves an open item to `queue`, from wherever it is.
  void MoveToQueue(ModelItem& item, int queue) {
    const int released = item.state == ItemState::kQueued ? -1 : item.agent;
    if (released >= 0) Release(item, /*completed=*/false);
    item.queue = queue;
    item.agent = -1;
    item.offer_expires = absl::InfiniteFuture();
    Push(item);
    ArmWake(item);
    RouteItem(item);
    if (item.state == ItemState::kQueued) EmitRouting(EngineEventKind::kQueued, item, -1);
    if (released >= 0) RouteAgent(released);
  }

  // --- SLA clocks -------------------------------------------------------------------------------

  absl::Time Reaching(const ModelItem& item, const ModelClock& clock,
                      absl::Duration business) const {
    const absl::Duration left = business - clock.accumulated;
    if (left <= absl::ZeroDuration()) return clock.mark;
    absl::StatusOr<absl::Time> reached = CalendarOf(item).AddBusinessTime(clock.mark, left);
    return reached.ok() ? *reached : absl::InfiniteFuture();
  }

  absl::Duration TargetOf(const ModelItem& item, SlaMetric metric) const {
    const PolicyConfig& policy = PolicyOf(item);
    const auto& targets = policy.targets.at(PriorityLabels()[item.sla_priority]);
    const auto found = targets.find(metric);
    if (found == targets.end()) return absl::InfiniteDuration();
    if (item.tier != "vip") return found->second;
    return absl::Nanoseconds(static_cast<int64_t>(std::llround(
        static_cast<long double>(absl::ToInt64Nanoseconds(found->second)) * policy.vip_factor)));
  }

  bool PausedByReason(const ModelItem& item, SlaMetric metric) const {
    const auto found = PolicyOf(item).paused_by.find(metric);
    if (found == PolicyOf(item).paused_by.end()) return false;
    for (const std::string& reason : item.pauses) {
      if (std::find(found->second.begin(), found->second.end(), reason) != found->second.end()) {
        return true;
      }
    }
    return false;
  }

  ModelClock* ClockOf(ModelItem& item, SlaMetric metric) {
    for (ModelClock& clock : item.clocks) {
      if (clock.metric == metric) return &clock;
    }
    return nullptr;
  }

  void EmitSla(EngineEventKind kind, const ModelItem& item, const ModelClock& clock,
               double fraction, absl::Time at, bool late) {
    events_.push_back({.kind = kind,
                       .at = at,
                       .item = item.id,
                       .queue = config_.queues[item.queue].name,
                       .metric = clock.metric,
                       .fraction = fraction,
                       .late = late});
  }

  void FireThreshold(const ModelItem& item, ModelClock& clock, int threshold, absl::Time due,
                     absl::Time at) {
    if (threshold == kBreach) {
      clock.breached = true;
      EmitSla(EngineEventKind::kSlaBreached, item, clock, 1.0, due < at ? at : due, due < at);
    } else {
      clock.warned[threshold] = true;
      EmitSla(EngineEventKind::kSlaWarning, item, clock, PolicyOf(item).warn_at[threshold],
              due < at ? at : due, due < at);
    }
  }

  // Fires the thresholds already reached at `at` and schedules the next one of a running clock.
  void Arm(const ModelItem& item, ModelClock& clock, absl::Time at) {
    clock.armed = kNone;
    while (clock.phase == ModelClock::Phase::kRunning) {
      int threshold = kNone;
      absl::Time due = absl::InfiniteFuture();
      for (size_t w = 0; w < clock.warned.size(); ++w) {
        if (clock.warned[w]) continue;
        threshold = static_cast<int>(w);
        due = Reaching(item, clock, Threshold(clock, PolicyOf(item).warn_at[w]));
        break;
      }
      if (threshold == kNone && !clock.breached) {
        threshold = kBreach;
        due = Reaching(item, clock, clock.target);
      }
      if (threshold == kNone || due == absl::InfiniteFuture()) return;
      // Meeting the deadline exactly is on time: the breach comes just after it; a clock that
      // resumes beyond its target (lowered while it was paused) is breached at once.
      const bool overrun = threshold == kBreach && Elapsed(item, clock, at) > clock.target;
      if (!overrun && (threshold == kBreach ? due >= at : due > at)) {
        clock.armed = threshold;
        clock.timer_at = threshold == kBreach ? due + absl::Nanoseconds(1) : due;
        clock.timer_seq = ++sla_timers_;
        return;
      }
      FireThreshold(item, clock, threshold, due, at);
    }
  }

  void StartClock(ModelItem& item, SlaMetric metric, absl::Time start) {
    const absl::Duration target = TargetOf(item, metric);
    if (target == absl::InfiniteDuration()) return;
    ModelClock fresh{.metric = metric,
                     .target = target,
                     .start = start,
                     .accumulated = absl::ZeroDuration(),
                     .mark = start,
                     .warned = std::vector<bool>(PolicyOf(item).warn_at.size(), false)};
    ModelClock* clock = ClockOf(item, metric);
    if (clock == nullptr) {
      item.clocks.push_back(fresh);
      clock = &item.clocks.back();
    } else {
      *clock = fresh;
    }
    if (PausedByReason(item, metric)) {
      clock->phase = ModelClock::Phase::kPaused;
      return;
    }
    Arm(item, *clock, now_);
  }

  void PauseClock(const ModelItem& item, ModelClock& clock) {
    const absl::Time deadline = Deadline(item, clock);
    clock.accumulated = Elapsed(item, clock, now_);
    if (now_ > deadline || clock.accumulated > clock.target) clock.breached = true;
    if (clock.breached && clock.accumulated >= clock.target) clock.overran_at = deadline;
    clock.mark = now_;
    clock.phase = ModelClock::Phase::kPaused;
    clock.armed = kNone;
  }

  void StopClock(const ModelItem& item, ModelClock& clock) {
    if (!clock.open()) return;
    if (clock.phase == ModelClock::Phase::kRunning) {
      const absl::Time deadline = Deadline(item, clock);
      clock.accumulated = Elapsed(item, clock, now_);
      if (now_ > deadline || clock.accumulated > clock.target) clock.breached = true;
    }
    clock.mark = now_;
    clock.phase = ModelClock::Phase::kStopped;
    clock.armed = kNone;
    EmitSla(EngineEventKind::kSlaMet, item, clock,
            absl::FDivDuration(clock.accumulated, clock.target), now_, clock.breached);
  }

  void ApplyPauses(ModelItem& item) {
    if (item.policy < 0) return;
    for (ModelClock& clock : item.clocks) {
      const bool paused = PausedByReason(item, clock.metric);
      if (clock.phase == ModelClock::Phase::kRunning && paused) {
        PauseClock(item, clock);
      } else if (clock.phase == ModelClock::Phase::kPaused && !paused) {
        clock.mark = now_;
        clock.phase = ModelClock::Phase::kRunning;
        Arm(item, clock, now_);
      }
    }
  }

  void FireSlaTimer(ModelItem& item, ModelClock& clock) {
    const int threshold = clock.armed;
    clock.armed = kNone;
    const absl::Time reached =
        threshold == kBreach ? clock.timer_at - absl::Nanoseconds(1) : clock.timer_at;
    FireThreshold(item, clock, threshold, reached, reached);
    Arm(item, clock, reached);
  }

  void RetargetClocks(ModelItem& item) {
    for (SlaMetric metric : kAllSlaMetrics) {
      const absl::Duration target = TargetOf(item, metric);
      ModelClock* clock = ClockOf(item, metric);
      if (clock != nullptr && clock->open()) {
        if (target == absl::InfiniteDuration()) {
          clock->phase = ModelClock::Phase::kCancelled;
          clock->armed = kNone;
          continue;
        }
        clock->target = target;
        clock->overran_at = absl::InfiniteFuture();
        if (clock->phase == ModelClock::Phase::kRunning) Arm(item, *clock, now_);
        continue;
      }
      if (clock != nullptr || target == absl::InfiniteDuration() || item.sla_resolved) continue;
      if (metric == SlaMetric::kResolution ||
          (metric == SlaMetric::kFirstResponse && !item.responded)) {
        StartClock(item, metric, item.created);
      }
    }
  }

  // --- time -------------------------------------------------------------------------------------

  void AdvanceTo(absl::Time at) {
    while (true) {
      absl::Time next = absl::InfiniteFuture();
      for (const ModelAgent& agent : agents_) {
        if (agent.wrap_seq) next = std::min(next, agent.wrap_up_until);
      }
      for (const ModelItem& item : items_) {
        if (item.state == ItemState::kOffered) next = std::min(next, item.offer_expires);
        if (item.wake_seq) next = std::min(next, item.window_until);
        for (const ModelClock& clock : item.clocks) {
          if (clock.armed != kNone) next = std::min(next, clock.timer_at);
        }
        next = std::min(next, item.close_at);
      }
      if (next > at) break;
      now_ = next;
      Step();
    }
    now_ = at;
  }

  // Everything due at now_: wrap-ups ending, then offers expiring and preferred windows closing,
  // then SLA thresholds, then auto-closes; each group in the order its timers were set.
  void Step() {
    std::vector<std::pair<uint64_t, int>> wrap_ups;
    for (size_t a = 0; a < agents_.size(); ++a) {
      if (agents_[a].wrap_seq && agents_[a].wrap_up_until <= now_) {
        wrap_ups.emplace_back(*agents_[a].wrap_seq, static_cast<int>(a));
      }
    }
    std::sort(wrap_ups.begin(), wrap_ups.end());
    std::vector<int> freed;
    for (const auto& [seq, a] : wrap_ups) {
      ModelAgent& agent = agents_[a];
      agent.wrap_seq.reset();
      if (agent.state != AgentState::kWrapUp) continue;
      agent.state = AgentState::kAvailable;
      agent.wrap_up_until = absl::InfinitePast();
      agent.last_activity = now_;
      freed.push_back(a);
    }
    for (int a : freed) {
      EmitAgentState(a, "available");
      RouteAgent(a);
    }

    struct RouterTimer {
      uint64_t seq = 0;
      std::string item{};
      bool expiry = false;
    };
    std::vector<RouterTimer> router;
    for (const ModelItem& item : items_) {
      if (item.state == ItemState::kOffered && item.offer_expires <= now_) {
        router.push_back({item.offer_seq, item.id, true});
      }
      if (item.wake_seq && item.window_until <= now_)
        router.push_back({*item.wake_seq, item.id, false});
    }
    std::sort(router.begin(), router.end(),
              [](const RouterTimer& x, const RouterTimer& y) { return x.seq < y.seq; });
    for (const RouterTimer& timer : router) {
      ModelItem* item = Item(timer.item);
      if (item == nullptr) continue;
      if (timer.expiry) {
        if (item->state != ItemState::kOffered || item->offer_seq != timer.seq) continue;
        ExpireOffer(*item);
      } else {
        if (item->wake_seq != timer.seq) continue;
        item->wake_seq.reset();
        RouteItem(*item);
      }
    }

    while (true) {
      ModelItem* due_item = nullptr;
      ModelClock* due_clock = nullptr;
      for (ModelItem& item : items_) {
        for (ModelClock& clock : item.clocks) {
          if (clock.armed == kNone || clock.timer_at > now_) continue;
          if (due_clock == nullptr || std::pair(clock.timer_at, clock.timer_seq) <
                                          std::pair(due_clock->timer_at, due_clock->timer_seq)) {
            due_item = &item;
            due_clock = &clock;
          }
        }
      }
      if (due_clock == nullptr) break;
      FireSlaTimer(*due_item, *due_clock);
    }

    std::vector<std::pair<uint64_t, std::string>> closes;
    for (const ModelItem& item : items_) {
      if (item.close_at <= now_) closes.emplace_back(item.close_seq, item.id);
    }
    std::sort(closes.begin(), closes.end());
    for (const auto& [seq, id] : closes) {
      ModelItem* item = Item(id);
      item->close_at = absl::InfiniteFuture();
      EmitItem(EngineEventKind::kClosed, *item, "quiet_period");
      Forget(id);
    }
  }

  void ExpireOffer(ModelItem& item) {
    const int a = item.agent;
    Release(item, /*completed=*/false);
    item.refused.push_back(a);
    if (item.window_agent == a) item.window_until = std::min(item.window_until, now_);
    ++item.rejected;
    item.offer_expires = absl::InfiniteFuture();
    EmitRouting(EngineEventKind::kOfferExpired, item, a);
    ModelAgent& agent = agents_[a];
    if (agent.state != AgentState::kOffline && agent.state != AgentState::kAway) {
      agent.state = AgentState::kAway;
      agent.away_reason = "missed_offer";
      agent.wrap_up_until = absl::InfinitePast();
      agent.wrap_seq.reset();
      EmitAgentState(a, "away:missed_offer");
    }
    Requeue(item);
    RouteAgent(a);
  }

  void Forget(const std::string& id) {
    items_.erase(std::remove_if(items_.begin(), items_.end(),
                                [&](const ModelItem& item) { return item.id == id; }),
                 items_.end());
  }

  // --- agent commands ---------------------------------------------------------------------------

  static bool ValidName(const std::string& name) {
    if (name.empty() || name.size() > 64) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '_' || c == '.' || c == ':' || c == '-';
    });
  }

  // Checks a profile and fills `agent`'s skills, limits, budget and queues from it.
  absl::Status ReadProfile(const EngineAgentSpec& spec, ModelAgent& agent) const {
    if (spec.id.empty()) return absl::InvalidArgumentError("an agent needs an id");
    agent.limits.assign(config_.channels.size(), 0);
    int64_t units = 0;
    for (const auto& [name, limit] : spec.capacity) {
      const int channel = ChannelIndex(name);
      if (channel < 0) return absl::NotFoundError("unknown channel");
      if (limit < 0 || limit > 1'000'000) return absl::InvalidArgumentError("limit");
      agent.limits[channel] = limit;
      units += int64_t{limit} * config_.channels[channel].cost;
    }
    agent.budget =
        spec.budget ? *spec.budget : static_cast<int>(std::clamp<int64_t>(units, 1, 1'000'000));
    agent.profile.clear();
    agent.queues.clear();
    for (size_t i = 0; i < spec.queues.size(); ++i) {
      const EngineQueueRef& ref = spec.queues[i];
      for (size_t j = 0; j < i; ++j) {
        if (spec.queues[j].queue == ref.queue) return absl::InvalidArgumentError("listed twice");
      }
      if (ref.delay < absl::ZeroDuration() || ref.delay == absl::InfiniteDuration()) {
        return absl::InvalidArgumentError("delay");
      }
      if (QueueIndex(ref.queue) < 0) return absl::NotFoundError("unknown queue");
      agent.profile.push_back(ref);
      agent.queues.push_back(QueueIndex(ref.queue));
    }
    for (const auto& [name, level] : spec.skills) {
      if (level < 1 || level > 100) return absl::InvalidArgumentError("skill level");
    }
    for (const auto& [name, level] : spec.skills) {
      if (!ValidName(name)) return absl::InvalidArgumentError("skill name");
    }
    if (agent.budget < 1 || agent.budget > 1'000'000) return absl::InvalidArgumentError("budget");
    agent.skills = spec.skills;
    return absl::OkStatus();
  }

  absl::Status AddAgent(const EngineAgentSpec& spec) {
    if (AgentIndex(spec.id) >= 0) return absl::AlreadyExistsError("agent exists");
    ModelAgent profile;
    OMNIROUTE_RETURN_IF_ERROR(ReadProfile(spec, profile));
    for (ModelAgent& agent : agents_) {
      if (agent.id != spec.id) continue;
      agent.removed = false;
      agent.skills = profile.skills;
      agent.limits = profile.limits;
      agent.budget = profile.budget;
      agent.profile = profile.profile;
      agent.queues = profile.queues;
      return absl::OkStatus();
    }
    profile.id = spec.id;
    profile.last_activity = now_;
    agents_.push_back(std::move(profile));
    return absl::OkStatus();
  }

  absl::Status UpdateAgent(const EngineAgentSpec& spec) {
    const int a = AgentIndex(spec.id);
    if (a < 0) return absl::NotFoundError("unknown agent");
    ModelAgent profile;
    OMNIROUTE_RETURN_IF_ERROR(ReadProfile(spec, profile));
    ModelAgent& agent = agents_[a];
    if (UsedUnits(agent) > profile.budget) return absl::FailedPreconditionError("budget");
    for (size_t ch = 0; ch < config_.channels.size(); ++ch) {
      if (Load(agent, static_cast<int>(ch)) > profile.limits[ch]) {
        return absl::FailedPreconditionError("limit");
      }
    }
    agent.skills = profile.skills;
    agent.limits = profile.limits;
    agent.budget = profile.budget;
    agent.profile = profile.profile;
    agent.queues = profile.queues;
    CloseWindows(a);
    RouteAgent(a);
    return absl::OkStatus();
  }

  absl::Status RemoveAgent(const std::string& id) {
    const int a = AgentIndex(id);
    if (a < 0) return absl::NotFoundError("unknown agent");
    ModelAgent& agent = agents_[a];
    for (const ModelHeld& held : agent.held) {
      if (!held.pending) return absl::FailedPreconditionError("holds assigned work");
    }
    agent.profile.clear();
    agent.queues.clear();
    std::vector<std::string> offers;
    for (const ModelHeld& held : agent.held) offers.push_back(held.item);
    events_.push_back({.kind = EngineEventKind::kAgentState,
                       .at = now_,
                       .agent = id,
                       .detail = "offline:removed"});
    CloseWindows(a);
    for (const std::string& offer : offers) {
      ModelItem& item = *Item(offer);
      MoveToQueue(item, item.queue);
    }
    agent.state = AgentState::kOffline;
    agent.away_reason.clear();
    agent.wrap_up_until = absl::InfinitePast();
    agent.wrap_seq.reset();
    agent.removed = true;
    return absl::OkStatus();
  }

  absl::Status SetAgentState(const std::string& id, AgentState state, const std::string& reason) {
    const int a = AgentIndex(id);
    if (a < 0) return absl::NotFoundError("unknown agent");
    ModelAgent& agent = agents_[a];
    if (state == AgentState::kWrapUp) return absl::InvalidArgumentError("wrap_up");
    if (state == AgentState::kOffline && !agent.held.empty()) {
      return absl::FailedPreconditionError("holds work");
    }
    agent.wrap_up_until = absl::InfinitePast();
    agent.wrap_seq.reset();
    if (state == AgentState::kAvailable && agent.state != AgentState::kAvailable) {
      agent.last_activity = now_;
    }
    agent.state = state;
    agent.away_reason = state == AgentState::kAway ? reason : "";
    std::string detail(AgentStateName(state));
    if (!reason.empty()) absl::StrAppend(&detail, ":", reason);
    events_.push_back(
        {.kind = EngineEventKind::kAgentState, .at = now_, .agent = id, .detail = detail});
    if (state == AgentState::kOffline) CloseWindows(a);
    RouteAgent(a);
    return absl::OkStatus();
  }

  // --- item commands ----------------------------------------------------------------------------

  static absl::Status CheckRequirement(const NamedRequirement& r) {
    std::vector<std::string> names;
    for (const auto& [name, level] : r.must) {
      if (level < 1 || level > 100) return absl::InvalidArgumentError("level");
      names.push_back(name);
    }
    for (const auto& [name, weight] : r.preferred) {
      if (!std::isfinite(weight) || weight < 0) return absl::InvalidArgumentError("weight");
      names.push_back(name);
    }
    for (size_t i = 0; i < r.excluded.size(); ++i) {
      names.push_back(r.excluded[i]);
      if (r.must.contains(r.excluded[i]) || r.preferred.contains(r.excluded[i])) {
        return absl::InvalidArgumentError("excluded and wanted");
      }
      for (size_t j = 0; j < i; ++j) {
        if (r.excluded[j] == r.excluded[i]) return absl::InvalidArgumentError("excluded twice");
      }
    }
    for (const std::string& name : names) {
      if (!ValidName(name)) return absl::InvalidArgumentError("skill name");
    }
    if (!r.steps.empty()) return absl::UnimplementedError("relaxation is outside the model");
    return absl::OkStatus();
  }

  absl::Status Submit(const EngineItemSpec& spec) {
    if (spec.id.empty()) return absl::InvalidArgumentError("an item needs an id");
    if (FindItem(spec.id) != nullptr) return absl::AlreadyExistsError("item exists");
    const int queue = QueueIndex(spec.queue);
    if (queue < 0) return absl::NotFoundError("unknown queue");
    const int channel = ChannelIndex(spec.channel);
    if (channel < 0) return absl::NotFoundError("unknown channel");
    const int priority = PriorityIndex(spec.priority);
    if (priority < 0) return absl::NotFoundError("unknown priority");
    const absl::Time created = spec.created.value_or(now_);
    if (created > now_) return absl::InvalidArgumentError("created after now");
    OMNIROUTE_RETURN_IF_ERROR(CheckRequirement(spec.requirement));
    ModelItem item{.id = spec.id,
                   .queue = queue,
                   .channel = channel,
                   .sla_priority = priority,
                   .routing_priority = priority,
                   .tier = spec.tier,
                   .tags = spec.tags,
                   .customer = spec.customer,
                   .requirement = spec.requirement,
                   .created = created};
    if (!spec.customer.empty()) {
      if (const auto last = customer_agent_.find(spec.customer); last != customer_agent_.end()) {
        item.preferred = last->second;
      }
    }
    for (size_t p = 0; p < config_.policies.size(); ++p) {
      if (config_.policies[p].name == config_.queues[queue].sla_policy) {
        item.policy = static_cast<int>(p);
      }
    }
    items_.push_back(std::move(item));
    ModelItem& stored = items_.back();
    if (stored.policy >= 0) {
      for (SlaMetric metric :
           {SlaMetric::kFirstResponse, SlaMetric::kPeriodicUpdate, SlaMetric::kResolution}) {
        StartClock(stored, metric, created);
      }
    }
    Enter(stored);
    return absl::OkStatus();
  }

  absl::Status Update(const std::string& id, const EngineItemUpdate& update) {
    ModelItem* item = Item(id);
    if (item == nullptr) return absl::NotFoundError("unknown item");
    int priority = item->sla_priority;
    if (update.priority) {
      priority = PriorityIndex(*update.priority);
      if (priority < 0) return absl::NotFoundError("unknown priority");
    }
    if (update.requirement) {
      OMNIROUTE_RETURN_IF_ERROR(CheckRequirement(*update.requirement));
    }
    const std::string tier = update.tier.value_or(item->tier);
    const bool retarget =
        item->policy >= 0 && (priority != item->sla_priority || tier != item->tier);
    if (update.priority) {
      item->sla_priority = priority;
      item->routing_priority = priority;
    }
    item->tier = tier;
    if (retarget) RetargetClocks(*item);
    if (update.tags) item->tags = *update.tags;
    if (update.requirement) {
      item->requirement = *update.requirement;
      RouteItem(*item);
    }
    return absl::OkStatus();
  }

  absl::Status Answer(const std::string& id, const std::string& agent_id, bool accept) {
    ModelItem* item = Item(id);
    if (item == nullptr) return absl::NotFoundError("unknown item");
    const int a = AgentIndex(agent_id);
    if (a < 0) return absl::NotFoundError("unknown agent");
    if (item->state != ItemState::kOffered || item->agent != a) {
      return absl::FailedPreconditionError("not offered to this agent");
    }
    if (accept) {
      AcceptOffer(*item, a);
      return absl::OkStatus();
    }
    Release(*item, /*completed=*/false);
    item->refused.push_back(a);
    if (item->window_agent == a) item->window_until = std::min(item->window_until, now_);
    ++item->rejected;
    item->offer_expires = absl::InfiniteFuture();
    EmitRouting(EngineEventKind::kRejected, *item, a);
    Requeue(*item);
    RouteAgent(a);
    return absl::OkStatus();
  }

  static bool Working(ItemState s) {
    return s == ItemState::kAssigned || s == ItemState::kPendingCustomer;
  }
  static bool WorkOpen(ItemState s) {
    return s == ItemState::kQueued || s == ItemState::kOffered || Working(s);
  }

  absl::Status Respond(const std::string& id) {
    ModelItem* item = Item(id);
    if (item == nullptr) return absl::NotFoundError("unknown item");
    if (!Working(item->state)) return absl::FailedPreconditionError("not assigned");
    item->responded = true;
    if (item->policy < 0) return absl::OkStatus();
    for (SlaMetric metric : {SlaMetric::kFirstResponse, SlaMetric::kNextResponse}) {
      if (ModelClock* clock = ClockOf(*item, metric)) StopClock(*item, *clock);
    }
    if (!item->sla_resolved) {
      if (ModelClock* clock = ClockOf(*item, SlaMetric::kPeriodicUpdate)) {
        StopClock(*item, *clock);
        StartClock(*item, SlaMetric::kPeriodicUpdate, now_);
      }
    }
    return absl::OkStatus();
  }

  absl::Status CustomerMessage(const std::string& id) {
    ModelItem* item = Item(id);
    if (item == nullptr) return absl::NotFoundError("unknown item");
    if (!WorkOpen(item->state)) return absl::FailedPreconditionError("not open work");
    if (item->policy >= 0 && item->responded && !item->sla_resolved) {
      const ModelClock* next = ClockOf(*item, SlaMetric::kNextResponse);
      if (next == nullptr || !next->open()) StartClock(*item, SlaMetric::kNextResponse, now_);
    }
    if (std::find(item->pauses.begin(), item->pauses.end(), "customer") != item->pauses.end()) {
      return Resume(id, "customer");
    }
    return absl::OkStatus();
  }

  absl::Status Pause(const std::string& id, const std::string& reason) {
    ModelItem* item = Item(id);
    if (item == nullptr) return absl::NotFoundError("unknown item");
    if (!Working(item->state)) return absl::FailedPreconditionError("not assigned");
    if (reason.empty()) return absl::InvalidArgumentError("a pause needs a reason");
    if (std::find(item->pauses.begin(), item->pauses.end(), reason) != item->pauses.end()) {
      return absl::FailedPreconditionError("already paused");
    }
    item->pauses.push_back(reason);
    ApplyPauses(*item);
    item->state = ItemState::kPendingCustomer;
    EmitItem(EngineEventKind::kPendingCustomer, *item, reason);
    return absl::OkStatus();
  }

  absl::Status Resume(const std::string& id, const std::string& reason) {
    ModelItem* item = Item(id);
    if (item == nullptr) return absl::NotFoundError("unknown item");
    const auto found = std::find(item->pauses.begin(), item->pauses.end(), reason);
    if (found == item->pauses.end()) return absl::FailedPreconditionError("not paused");
    item->pauses.erase(found);
    ApplyPauses(*item);
    if (item->pauses.empty()) item->state = ItemState::kAssigned;
    EmitItem(EngineEventKind::kResumed, *item, reason);
    return absl::OkStatus();
  }

  void ClearPauses(ModelItem& item) {
    while (!item.pauses.empty()) {
      item.pauses.erase(item.pauses.begin());
      ApplyPauses(item);
    }
  }

  absl::Status Resolve(const std::string& id) {
    ModelItem* item = Item(id);
    if (item == nullptr) return absl::NotFoundError("unknown item");
    if (!Working(item->state)) return absl::FailedPreconditionError("not assigned");
    const int a = item->agent;
    const bool wrap_up_started = Release(*item, /*completed=*/true);
    ClearPauses(*item);
    if (item->policy >= 0) {
      for (ModelClock& clock : item->clocks) StopClock(*item, clock);
      item->sla_resolved = true;
    }
    item->state = ItemState::kResolved;
    if (!item->customer.empty()) customer_agent_[item->customer] = a;
    item->close_at = now_ + config_.auto_close_after;
    item->close_seq = ++engine_timers_;
    EmitItem(EngineEventKind::kResolved, *item);
    if (wrap_up_started) EmitAgentState(a, "wrap_up");
    RouteAgent(a);
    return absl::OkStatus();
  }

  absl::Status Confirm(const std::string& id) {
    ModelItem* item = Item(id);
    if (item == nullptr) return absl::NotFoundError("unknown item");
    if (item->state != ItemState::kResolved) return absl::FailedPreconditionError("not resolved");
    EmitItem(EngineEventKind::kClosed, *item, "confirmed");
    Forget(id);
    return absl::OkStatus();
  }

  absl::Status Reopen(const std::string& id) {
    ModelItem* item = Item(id);
    if (item == nullptr) return absl::NotFoundError("unknown item");
    if (item->state != ItemState::kResolved) return absl::FailedPreconditionError("not resolved");
    if (item->policy >= 0) {
      item->sla_resolved = false;
      StartClock(*item, SlaMetric::kResolution, now_);
      StartClock(*item, SlaMetric::kPeriodicUpdate, now_);
      if (item->responded) StartClock(*item, SlaMetric::kNextResponse, now_);
    }
    ++item->reopens;
    if (item->agent >= 0) item->preferred = item->agent;
    item->close_at = absl::InfiniteFuture();
    EmitItem(EngineEventKind::kReopened, *item);
    item->agent = -1;
    Enter(*item);
    return absl::OkStatus();
  }

  absl::Status Transfer(const std::string& id, const std::string& queue_name) {
    ModelItem* item = Item(id);
    if (item == nullptr) return absl::NotFoundError("unknown item");
    if (!WorkOpen(item->state)) return absl::FailedPreconditionError("not open work");
    const int queue = QueueIndex(queue_name);
    if (queue < 0) return absl::NotFoundError("unknown queue");
    if (queue == item->queue) return absl::InvalidArgumentError("already in that queue");
    const std::string from = config_.queues[item->queue].name;
    if (Working(item->state)) {
      // The pauses end with the work, each announced.
      for (const std::string& reason : item->pauses) {
        EmitItem(EngineEventKind::kResumed, *item, reason);
      }
    }
    item->queue = queue;
    if (Working(item->state)) {
      ++item->transfers;
      ClearPauses(*item);
    }
    ++queue_counts_[queue].arrived;
    // The event names the agent who held it (offered or assigned), whose offer or work it ends.
    EmitItem(EngineEventKind::kTransferred, *item, from);
    MoveToQueue(*item, queue);
    return absl::OkStatus();
  }

  absl::Status Escalate(const std::string& id) {
    ModelItem* item = Item(id);
    if (item == nullptr) return absl::NotFoundError("unknown item");
    if (!WorkOpen(item->state)) return absl::FailedPreconditionError("not open work");
    if (item->level + 1 >= static_cast<int>(config_.levels.size())) {
      return absl::FailedPreconditionError("no rule applies");
    }
    const LevelConfig& level = config_.levels[item->level + 1];
    EmitItem(EngineEventKind::kEscalated, *item, level.name);
    events_.back().from_level = item->level;
    events_.back().level = item->level + 1;
    events_.back().trigger = "manual";
    events_.back().target = absl::StrJoin(level.roles, ",");
    ++item->level;
    item->routing_priority = std::max(item->routing_priority - level.raise_priority_by, 0);
    return absl::OkStatus();
  }

  absl::Status End(const std::string& id, bool abandoned) {
    ModelItem* item = Item(id);
    if (item == nullptr) return absl::NotFoundError("unknown item");
    const bool allowed =
        abandoned ? (item->state == ItemState::kQueued || item->state == ItemState::kOffered)
                  : IsOpen(item->state);
    if (!allowed) return absl::FailedPreconditionError("not allowed in this state");
    const int released =
        WorkOpen(item->state) && item->state != ItemState::kQueued ? item->agent : -1;
    if (released >= 0) Release(*item, /*completed=*/false);
    if (abandoned) ++queue_counts_[item->queue].abandoned;
    EmitItem(abandoned ? EngineEventKind::kAbandoned : EngineEventKind::kCancelled, *item);
    Forget(id);
    if (released >= 0) RouteAgent(released);
    return absl::OkStatus();
  }

  ModelConfig config_;
  BusinessCalendar office_;
  BusinessCalendar always_open_;
  absl::Time now_;
  std::vector<ModelItem> items_;
  std::vector<ModelAgent> agents_;
  std::vector<ModelQueueCounts> queue_counts_;
  std::map<std::string, int> customer_agent_;
  std::vector<EngineEvent> events_;
  uint64_t offer_count_ = 0;
  uint64_t router_timers_ = 0;
  uint64_t pool_timers_ = 0;
  uint64_t sla_timers_ = 0;
  uint64_t engine_timers_ = 0;
};

}  // namespace omniroute::reference_model

#endif  // OMNIROUTE_TESTS_REFERENCE_MODEL_H_
