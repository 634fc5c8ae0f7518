// Property tests of the engine facade over random command sequences: determinism (events, state
// digest, snapshot bytes), snapshot/restore and journal replay, "a refused command changes
// nothing", lifecycle invariants after every command, and corrupt snapshots.
#include <algorithm>
#include <cstdint>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "engine_test_support.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "internal/byte_codec.h"
#include "internal/snapshot_checksum.h"
#include "omniroute/config_json.h"
#include "omniroute/engine.h"
#include "omniroute/timer_wheel.h"

namespace omniroute {
namespace {

using engine_test::AgentText;
using engine_test::ConfigJson;
using engine_test::ItemText;
using engine_test::KpiText;
using engine_test::MapText;
using engine_test::MustEngine;
using engine_test::QueueText;

// --- configuration ------------------------------------------------------------------------------

// What `Reconfigure` commands of the random sequences pick from: valid changes and refusals.
const std::vector<std::string>& Reconfigurations() {
  static const auto* const configs = new std::vector<std::string>{
      ConfigJson(),
      ConfigJson({.a_first = "1h", .billing_strategy = "most_skilled"}),
      ConfigJson({.billing_strategy = "fewest_handled",
                  .extra_queue = R"(, {"name": "vip", "sla_policy": "standard"})"}),
      // Refused: priorities change; an ordering changes; malformed JSON.
      ConfigJson({.priorities = R"(["A", "B", "C", "D"])"}),
      ConfigJson({.support_order = "priority_fifo"}),
      "{\"queues\": [",
  };
  return *configs;
}

// --- commands -----------------------------------------------------------------------------------

using Op = EngineCommandKind;
using Cmd = EngineCommand;

absl::Status Apply(Engine& e, const Cmd& c) { return e.Apply(c, ParseEngineConfigJson); }

std::string Describe(const Cmd& c, absl::Time origin) {
  std::string out = absl::StrCat(std::string(EngineCommandKindName(c.kind)), " @+",
                                 absl::FormatDuration(c.at - origin));
  switch (c.kind) {
    case Op::kAddAgent:
    case Op::kUpdateAgent: {
      std::vector<std::string> queues;
      for (const EngineQueueRef& q : c.agent_spec.queues) {
        queues.push_back(
            absl::StrCat(q.queue, "/", q.priority, "/", absl::FormatDuration(q.delay)));
      }
      absl::StrAppend(&out, " id=", c.agent_spec.id, " skills={", MapText(c.agent_spec.skills),
                      "} capacity={", MapText(c.agent_spec.capacity),
                      "} budget=", c.agent_spec.budget ? absl::StrCat(*c.agent_spec.budget) : "-",
                      " queues=[", absl::StrJoin(queues, ","), "]");
      break;
    }
    case Op::kSubmit: {
      const EngineItemSpec& s = c.item_spec;
      absl::StrAppend(&out, " id=", s.id, " queue=", s.queue, " channel=", s.channel,
                      " priority=", s.priority, " must={", MapText(s.requirement.must),
                      "} steps=", s.requirement.steps.size(), " tier=", s.tier, " tags=[",
                      absl::StrJoin(s.tags, ","), "] customer=", s.customer);
      if (s.created) absl::StrAppend(&out, " created=+", absl::FormatDuration(*s.created - origin));
      if (s.deadline != absl::InfiniteFuture()) {
        absl::StrAppend(&out, " deadline=+", absl::FormatDuration(s.deadline - origin));
      }
      break;
    }
    case Op::kUpdate: {
      const EngineItemUpdate& u = c.update;
      absl::StrAppend(&out, " item=", c.item);
      if (u.priority) absl::StrAppend(&out, " priority=", *u.priority);
      if (u.tier) absl::StrAppend(&out, " tier=", *u.tier);
      if (u.tags) absl::StrAppend(&out, " tags=[", absl::StrJoin(*u.tags, ","), "]");
      if (u.requirement) absl::StrAppend(&out, " must={", MapText(u.requirement->must), "}");
      if (u.deadline)
        absl::StrAppend(&out, " deadline=+", absl::FormatDuration(*u.deadline - origin));
      break;
    }
    case Op::kSetAgentState:
      absl::StrAppend(&out, " agent=", c.agent, " state=", std::string(AgentStateName(c.state)),
                      " reason=", c.text);
      break;
    case Op::kReconfigure: {
      const auto& configs = Reconfigurations();
      const auto found = std::find(configs.begin(), configs.end(), c.text);
      absl::StrAppend(&out, " config#", found - configs.begin());
      break;
    }
    default:
      if (!c.item.empty()) absl::StrAppend(&out, " item=", c.item);
      if (!c.agent.empty()) absl::StrAppend(&out, " agent=", c.agent);
      if (!c.text.empty()) absl::StrAppend(&out, " text=", c.text);
  }
  return out;
}

// --- the random sequences -----------------------------------------------------------------------

const std::vector<std::string> kAgents = {"a0", "a1", "a2", "a3", "a4", "a5"};
const std::vector<std::string> kQueues = {"billing", "support", "followups"};
const std::vector<std::string> kChannels = {"chat", "email", "voice"};
const std::vector<std::string> kSkills = {"billing", "tech", "senior"};

std::vector<std::string> ItemIds() {
  std::vector<std::string> ids;
  for (int i = 0; i <= 30; ++i) ids.push_back(absl::StrCat("t", i));
  return ids;
}

class Gen {
 public:
  explicit Gen(uint64_t seed) : rng_(seed) {}
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(Int(0, static_cast<int>(v.size()) - 1))];
  }
  absl::Duration Minutes(int lo, int hi) { return absl::Minutes(Int(lo, hi)); }

 private:
  std::mt19937_64 rng_;
};

// What the generator knows of the engine: the views of the ids that exist now.
struct Model {
  std::map<std::string, EngineItemView> items;
  std::map<std::string, EngineAgentView> agents;

  std::vector<std::string> ItemsIn(std::initializer_list<ItemState> states) const {
    std::vector<std::string> out;
    for (const auto& [id, v] : items) {
      if (std::find(states.begin(), states.end(), v.state) != states.end()) out.push_back(id);
    }
    return out;
  }
};

class Sequence {
 public:
  explicit Sequence(uint64_t seed) : g_(seed) {}

  Cmd Next(const Model& m, absl::Time now, absl::Time origin) {
    Cmd c;
    static constexpr std::pair<Op, int> kWeights[] = {
        {Op::kAddAgent, 7},        {Op::kRemoveAgent, 2}, {Op::kUpdateAgent, 3},
        {Op::kSetAgentState, 8},   {Op::kSubmit, 16},     {Op::kUpdate, 4},
        {Op::kAccept, 12},         {Op::kReject, 4},      {Op::kRespond, 6},
        {Op::kCustomerMessage, 3}, {Op::kPause, 4},       {Op::kResume, 4},
        {Op::kResolve, 9},         {Op::kConfirm, 3},     {Op::kReopen, 3},
        {Op::kTransfer, 3},        {Op::kEscalate, 3},    {Op::kCancel, 2},
        {Op::kAbandon, 3},         {Op::kAdvanceTo, 6},   {Op::kReconfigure, 1}};
    int total = 0;
    for (const auto& [op, w] : kWeights) total += w;
    int roll = g_.Int(0, total - 1);
    for (const auto& [op, w] : kWeights) {
      if (roll < w) {
        c.kind = op;
        break;
      }
      roll -= w;
    }
    // Offers expire after 30-45 s: answers mostly come quickly.
    c.at = (c.kind == Op::kAccept || c.kind == Op::kReject) && g_.Chance(0.8)
               ? now + absl::Seconds(g_.Int(0, 20))
               : NextInstant(now, origin);
    switch (c.kind) {
      case Op::kAddAgent:
      case Op::kUpdateAgent:
        c.agent_spec = AgentSpec(m, c.kind == Op::kAddAgent);
        break;
      case Op::kRemoveAgent:
        c.agent = AgentId(m);
        break;
      case Op::kSetAgentState: {
        c.agent = AgentId(m);
        const int r = g_.Int(0, 99);
        c.state = r < 60   ? AgentState::kAvailable
                  : r < 78 ? AgentState::kAway
                  : r < 96 ? AgentState::kOffline
                           : AgentState::kWrapUp;
        if (c.state == AgentState::kAway) c.text = g_.Chance(0.5) ? "lunch" : "training";
        break;
      }
      case Op::kSubmit:
        c.item_spec = ItemSpec(m, c.at);
        break;
      case Op::kUpdate:
        c.item = ItemId(m, {});
        if (g_.Chance(0.4)) c.update.priority = Priority();
        if (g_.Chance(0.2)) c.update.tier = g_.Chance(0.5) ? "vip" : "";
        if (g_.Chance(0.4)) c.update.tags = Tags();
        if (g_.Chance(0.3)) c.update.requirement = Requirement();
        if (g_.Chance(0.2)) c.update.deadline = c.at + g_.Minutes(0, 600);
        break;
      case Op::kAccept:
      case Op::kReject: {
        const std::vector<std::string> offered = m.ItemsIn({ItemState::kOffered});
        if (!offered.empty() && g_.Chance(0.85)) {
          c.item = g_.Pick(offered);
          c.agent = m.items.at(c.item).agent;
          if (g_.Chance(0.1)) c.agent = g_.Pick(kAgents);  // perhaps not the one offered to
        } else {
          c.item = ItemId(m, {});
          c.agent = AgentId(m);
        }
        break;
      }
      case Op::kRespond:
      case Op::kPause:
      case Op::kResolve:
        c.item = ItemId(m, {ItemState::kAssigned, ItemState::kPendingCustomer});
        if (c.kind == Op::kPause) c.text = PauseReason();
        break;
      case Op::kResume:
      case Op::kCustomerMessage:
        c.item = ItemId(m, {ItemState::kPendingCustomer, ItemState::kAssigned});
        if (c.kind == Op::kResume) c.text = PauseReason();
        break;
      case Op::kConfirm:
      case Op::kReopen:
        c.item = ItemId(m, {ItemState::kResolved});
        break;
      case Op::kTransfer:
        c.item = ItemId(m, {ItemState::kAssigned, ItemState::kPendingCustomer, ItemState::kQueued,
                            ItemState::kOffered});
        c.text = g_.Chance(0.05) ? "nowhere" : g_.Pick(kQueues);
        break;
      case Op::kEscalate:
        c.item = ItemId(m, {});
        break;
      case Op::kCancel:
        c.item = ItemId(m, {});
        break;
      case Op::kAbandon:
        c.item = ItemId(m, {ItemState::kQueued, ItemState::kOffered});
        break;
      case Op::kAdvanceTo:
        break;
      case Op::kReconfigure:
        c.text = g_.Pick(Reconfigurations());
        break;
    }
    return c;
  }

  Gen& gen() { return g_; }

 private:
  absl::Time NextInstant(absl::Time now, absl::Time origin) {
    const int r = g_.Int(0, 999);
    if (r < 25 && now > origin) return now - g_.Minutes(1, 120);  // before now(): refused
    if (r < 300) return now;
    if (r < 700) return now + absl::Seconds(g_.Int(1, 600));
    if (r < 900) return now + g_.Minutes(10, 180);
    if (r < 980) return now + g_.Minutes(180, 720);
    return now + absl::Hours(g_.Int(24, 96));
  }

  std::string AgentId(const Model& m) {
    if (!m.agents.empty() && g_.Chance(0.85)) {
      auto it = m.agents.begin();
      std::advance(it, g_.Int(0, static_cast<int>(m.agents.size()) - 1));
      return it->first;
    }
    if (g_.Chance(0.05)) return g_.Chance(0.5) ? "" : "ghost";
    return g_.Pick(kAgents);
  }

  // An item in one of `states` most of the time (any existing one when empty), else any id.
  std::string ItemId(const Model& m, std::initializer_list<ItemState> states) {
    std::vector<std::string> pool;
    for (const auto& [id, v] : m.items) {
      if (states.size() == 0 || std::find(states.begin(), states.end(), v.state) != states.end()) {
        pool.push_back(id);
      }
    }
    if (!pool.empty() && g_.Chance(0.85)) return g_.Pick(pool);
    if (!m.items.empty() && g_.Chance(0.5)) {
      auto it = m.items.begin();
      std::advance(it, g_.Int(0, static_cast<int>(m.items.size()) - 1));
      return it->first;
    }
    if (g_.Chance(0.03)) return "";
    return g_.Pick(item_ids_);
  }

  std::string Priority() {
    const int r = g_.Int(0, 99);
    if (r < 3) return "Z";
    if (r < 10) return "";
    return std::string(1, static_cast<char>('A' + g_.Int(0, 2)));
  }

  std::string PauseReason() {
    const int r = g_.Int(0, 99);
    if (r < 75) return "customer";
    if (r < 95) return "third_party";
    return "";
  }

  std::vector<std::string> Tags() {
    std::vector<std::string> tags;
    if (g_.Chance(0.3)) tags.push_back("upset");
    if (g_.Chance(0.3)) tags.push_back("vip_line");
    return tags;
  }

  NamedRequirement Requirement() {
    NamedRequirement r;
    if (g_.Chance(0.5)) return r;
    r.must[g_.Pick(kSkills)] = g_.Int(1, 60);
    if (g_.Chance(0.3)) r.preferred[g_.Pick(kSkills)] = 1.0;
    if (g_.Chance(0.2)) {
      const std::string skill = r.must.begin()->first;
      r.steps.push_back(
          {.after = g_.Minutes(1, 30), .kind = RelaxationKind::kDrop, .skill = skill});
    }
    return r;
  }

  EngineAgentSpec AgentSpec(const Model& m, bool add) {
    EngineAgentSpec spec;
    if (add) {
      spec.id = g_.Chance(0.03) ? "" : g_.Pick(kAgents);
    } else {
      spec.id = AgentId(m);
    }
    for (const std::string& skill : kSkills) {
      if (g_.Chance(0.5)) spec.skills[skill] = g_.Int(1, 100);
    }
    if (g_.Chance(0.03)) spec.skills["tech"] = g_.Chance(0.5) ? 0 : 101;
    for (const std::string& channel : kChannels) {
      if (g_.Chance(0.7)) spec.capacity[channel] = g_.Int(0, 3);
    }
    if (g_.Chance(0.03)) spec.capacity["fax"] = 1;
    if (g_.Chance(0.1)) spec.budget = g_.Int(0, 4);
    for (const std::string& queue : kQueues) {
      if (g_.Chance(0.6)) {
        spec.queues.push_back(
            {.queue = queue,
             .priority = g_.Int(0, 2),
             .delay = g_.Chance(0.2) ? absl::Seconds(g_.Int(1, 120)) : absl::ZeroDuration()});
      }
    }
    if (g_.Chance(0.03)) spec.queues.push_back({.queue = "nowhere"});
    return spec;
  }

  EngineItemSpec ItemSpec(const Model& m, absl::Time at) {
    EngineItemSpec spec;
    // Mostly a free id; sometimes one in use (AlreadyExists) or empty.
    std::vector<std::string> free;
    for (const std::string& id : item_ids_) {
      if (!m.items.contains(id)) free.push_back(id);
    }
    if (!free.empty() && g_.Chance(0.9)) {
      spec.id = g_.Pick(free);
    } else {
      spec.id = g_.Chance(0.1) ? "" : g_.Pick(item_ids_);
    }
    spec.queue = g_.Chance(0.03) ? "nowhere" : g_.Pick(kQueues);
    const int ch = g_.Int(0, 99);
    spec.channel = ch < 3 ? "fax" : ch < 60 ? "chat" : ch < 85 ? "email" : "voice";
    spec.priority = Priority();
    spec.requirement = Requirement();
    if (g_.Chance(0.2)) spec.tier = "vip";
    spec.tags = Tags();
    if (g_.Chance(0.6)) spec.customer = absl::StrCat("c", g_.Int(0, 3));
    const int created = g_.Int(0, 99);
    if (created < 10) spec.created = at - g_.Minutes(0, 180);
    if (created == 10) spec.created = at + absl::Minutes(5);  // refused
    if (g_.Chance(0.15)) spec.deadline = at + g_.Minutes(5, 600);
    return spec;
  }

  Gen g_;
  std::vector<std::string> item_ids_ = ItemIds();
};

// --- the harness --------------------------------------------------------------------------------

// Everything observable about the ids the sequence may have touched.
struct Observer {
  std::set<std::string> items;  // every item id ever seen (t*, follow-ups)

  Observer() {
    for (const std::string& id : ItemIds()) items.insert(id);
  }

  void Learn(const std::vector<EngineEvent>& events) {
    for (const EngineEvent& e : events) {
      if (!e.item.empty()) items.insert(e.item);
    }
  }

  Model Read(const Engine& e) const {
    Model m;
    for (const std::string& id : items) {
      if (absl::StatusOr<EngineItemView> v = e.Item(id); v.ok()) m.items.emplace(id, *v);
    }
    for (const std::string& id : kAgents) {
      if (absl::StatusOr<EngineAgentView> v = e.Agent(id); v.ok()) m.agents.emplace(id, *v);
    }
    return m;
  }

  // Every view as text; `m` is `Read(e)` when the caller has it.
  std::string Dump(const Engine& e, const Model* m = nullptr) const {
    Model read;
    if (m == nullptr) {
      read = Read(e);
      m = &read;
    }
    std::string out = absl::StrCat("now=", absl::FormatTime(e.now()), " items=", e.item_count(),
                                   " agents=", e.agent_count(), "\n");
    for (const auto& [id, v] : m->items) absl::StrAppend(&out, ItemText(v), "\n");
    for (const auto& [id, v] : m->agents) absl::StrAppend(&out, AgentText(v), "\n");
    for (const std::string& name : e.QueueNames()) {
      absl::StrAppend(&out, QueueText(*e.Queue(name)), "\n");
    }
    absl::StrAppend(&out, KpiText(e.Kpis()), "\n");
    return out;
  }
};

std::string EventText(const EngineEvent& e) {
  return absl::StrCat(std::string(EngineEventKindName(e.kind)), " ", absl::FormatTime(e.at), " ",
                      e.item, " ", e.agent, " ", e.queue, " ",
                      e.metric ? std::string(SlaMetricName(*e.metric)) : "", " ", e.fraction, " ",
                      e.late ? "late" : "-", " ", e.from_level, "->", e.level, " ", e.trigger, " ",
                      e.target, " ", e.detail);
}

std::string EventsText(const std::vector<EngineEvent>& events) {
  std::string out;
  for (const EngineEvent& e : events) absl::StrAppend(&out, EventText(e), "\n");
  return out;
}

const std::set<ItemState> kLiveStates = {ItemState::kQueued, ItemState::kOffered,
                                         ItemState::kAssigned, ItemState::kPendingCustomer,
                                         ItemState::kResolved};

// The lifecycle invariants of one engine state.
void CheckInvariants(const Model& m, const std::vector<QueueStats>& queues, size_t item_count,
                     const std::map<std::string, std::map<std::string, int>>& caps,
                     const std::optional<EngineKpis>& before, const EngineKpis& now,
                     bool check_paused_clocks) {
  for (const auto& [id, v] : m.items) {
    EXPECT_TRUE(kLiveStates.contains(v.state)) << id << " is " << v.state;
    // SLA clocks stop counting only while the item waits for someone else (pending_customer).
    // Also after pause → resolve → reopen (PausesDoNotSurviveResolveAndReopen).
    if (check_paused_clocks && v.state != ItemState::kPendingCustomer) {
      for (const SlaClockView& clock : v.sla) {
        EXPECT_NE(clock.state, SlaState::kPaused) << "not pending_customer: " << ItemText(v);
      }
    }
    switch (v.state) {
      case ItemState::kAssigned:
      case ItemState::kPendingCustomer:
      case ItemState::kOffered: {
        ASSERT_FALSE(v.agent.empty()) << id << " is " << v.state << " without an agent";
        const auto agent = m.agents.find(v.agent);
        ASSERT_NE(agent, m.agents.end()) << id << " is held by unknown agent " << v.agent;
        const std::vector<std::string>& held =
            v.state == ItemState::kOffered ? agent->second.offered : agent->second.assigned;
        EXPECT_THAT(held, ::testing::Contains(id))
            << id << " is " << v.state << " to " << v.agent << ": " << AgentText(agent->second);
        break;
      }
      case ItemState::kQueued:
        EXPECT_TRUE(v.agent.empty()) << id << " is queued but names agent " << v.agent;
        EXPECT_TRUE(v.position.has_value()) << id << " is queued without a place in its queue";
        break;
      default:
        break;
    }
  }
  for (const auto& [id, a] : m.agents) {
    for (const std::string& item : a.assigned) {
      const auto found = m.items.find(item);
      ASSERT_NE(found, m.items.end()) << id << " holds unknown item " << item;
      EXPECT_TRUE(found->second.state == ItemState::kAssigned ||
                  found->second.state == ItemState::kPendingCustomer)
          << ItemText(found->second);
      EXPECT_EQ(found->second.agent, id) << ItemText(found->second);
    }
    for (const std::string& item : a.offered) {
      const auto found = m.items.find(item);
      ASSERT_NE(found, m.items.end()) << id << " is offered unknown item " << item;
      EXPECT_EQ(found->second.state, ItemState::kOffered) << ItemText(found->second);
      EXPECT_EQ(found->second.agent, id) << ItemText(found->second);
    }
    const auto cap = caps.find(id);
    ASSERT_NE(cap, caps.end()) << "no capacity recorded for " << id;
    for (const auto& [channel, load] : a.load) {
      const auto limit = cap->second.find(channel);
      const int max = limit == cap->second.end() ? 0 : limit->second;
      EXPECT_LE(load, max) << AgentText(a) << " capacity {" << MapText(cap->second) << "}";
    }
    EXPECT_LE(a.used_units, a.budget) << AgentText(a);
    if (a.state == AgentState::kOffline) {
      EXPECT_TRUE(a.load.empty()) << "an offline agent holds work: " << AgentText(a);
    }
  }
  // Loads and queue lengths agree with the items' own views.
  for (const auto& [id, a] : m.agents) {
    std::map<std::string, int> held;
    for (const std::string& item : a.assigned) {
      if (m.items.contains(item)) ++held[m.items.at(item).channel];
    }
    for (const std::string& item : a.offered) {
      if (m.items.contains(item)) ++held[m.items.at(item).channel];
    }
    EXPECT_EQ(MapText(a.load), MapText(held)) << AgentText(a);
  }
  for (const QueueStats& q : queues) {
    size_t queued = 0;
    for (const auto& [id, v] : m.items) {
      if (v.state == ItemState::kQueued && v.queue == q.name) ++queued;
    }
    EXPECT_EQ(q.waiting, queued) << QueueText(q);
    size_t by_priority = 0;
    for (const size_t n : q.waiting_by_priority) by_priority += n;
    EXPECT_EQ(by_priority, q.waiting) << QueueText(q);
  }
  EXPECT_EQ(item_count, m.items.size());
  if (before) {
    const EngineKpis& b = *before;
    EXPECT_GE(now.submitted, b.submitted);
    EXPECT_GE(now.answered, b.answered);
    EXPECT_GE(now.first_responses, b.first_responses);
    EXPECT_GE(now.resolved, b.resolved);
    EXPECT_GE(now.abandoned, b.abandoned);
    EXPECT_GE(now.transfers, b.transfers);
    EXPECT_GE(now.reopened, b.reopened);
    EXPECT_GE(now.closed, b.closed);
    EXPECT_GE(now.cancelled, b.cancelled);
    for (const auto& [key, count] : b.escalations) {
      const auto found = now.escalations.find(key);
      ASSERT_NE(found, now.escalations.end()) << key.first << "/" << key.second;
      EXPECT_GE(found->second, count) << key.first << "/" << key.second;
    }
  }
}

struct Options {
  int min_commands = 50;
  int max_commands = 110;
  // Whether Reconfigure commands may come before the snapshot (see the restore test below).
  bool reconfigure_before_snapshot = false;
  // Whether to check that only pending_customer items have paused SLA clocks (see the
  // PausesDoNotSurviveResolveAndReopen bug in engine_errors_test.cc).
  bool check_paused_clocks = true;
};

struct Outcome {
  std::string snapshot;  // the primary's final snapshot
  uint64_t digest = 0;
};

// Runs one random sequence on a primary engine and a twin, restores a mid-sequence snapshot and
// feeds it the continuation, replays the journal at the end; checks every property on the way.
Outcome RunSequence(uint64_t seed, const Options& options) {
  Outcome outcome;
  const std::string json = ConfigJson();
  std::unique_ptr<Engine> primary = MustEngine(json);
  std::unique_ptr<Engine> twin = MustEngine(json);
  if (primary == nullptr || twin == nullptr) return outcome;
  std::unique_ptr<Engine> restored;
  const absl::Time origin = primary->now();
  Sequence seq(seed);
  const int n = seq.gen().Int(options.min_commands, options.max_commands);
  const int snapshot_step = seq.gen().Int(n / 3, 2 * n / 3);
  Observer observer;
  std::map<std::string, std::map<std::string, int>> caps;
  std::optional<EngineKpis> kpis;
  std::vector<std::string> log;
  const auto history = [&log] {
    const size_t from = log.size() > 25 ? log.size() - 25 : 0;
    return absl::StrCat(
        "last commands:\n  ",
        absl::StrJoin(log.begin() + static_cast<ptrdiff_t>(from), log.end(), "\n  "));
  };
  // Applies `cmd` to every engine; the statuses and events must agree. Returns the primary's.
  const auto apply_all = [&](const Cmd& cmd, std::vector<EngineEvent>& events) {
    const absl::Status status = Apply(*primary, cmd);
    events = primary->PollEvents();
    const absl::Status twin_status = Apply(*twin, cmd);
    EXPECT_EQ(status, twin_status) << history();
    EXPECT_EQ(events, twin->PollEvents()) << history() << "\nprimary events:\n"
                                          << EventsText(events);
    if (restored != nullptr) {
      EXPECT_EQ(status, Apply(*restored, cmd)) << "restored engine, " << history();
      const std::vector<EngineEvent> restored_events = restored->PollEvents();
      EXPECT_EQ(events, restored_events) << "restored engine, " << history() << "\nprimary:\n"
                                         << EventsText(events) << "restored:\n"
                                         << EventsText(restored_events);
    }
    observer.Learn(events);
    return status;
  };
  Model model = observer.Read(*primary);
  for (int step = 0; step < n; ++step) {
    if (step == snapshot_step) {
      const std::string snapshot = primary->Snapshot();
      absl::StatusOr<std::unique_ptr<Engine>> r = RestoreEngine(snapshot);
      EXPECT_TRUE(r.ok()) << r.status() << "\n" << history();
      if (!r.ok()) return outcome;
      restored = *std::move(r);
      EXPECT_EQ(restored->StateDigest(), primary->StateDigest()) << history();
      EXPECT_EQ(restored->now(), primary->now());
      EXPECT_TRUE(restored->Snapshot() == snapshot) << "a restored engine snapshots differently";
      EXPECT_EQ(observer.Dump(*restored), observer.Dump(*primary));
    }
    Cmd cmd = seq.Next(model, primary->now(), origin);
    if (!options.reconfigure_before_snapshot && step < snapshot_step &&
        cmd.kind == Op::kReconfigure) {
      cmd.kind = Op::kAdvanceTo;
    }
    log.push_back(absl::StrCat(step, ": ", Describe(cmd, origin)));
    std::vector<EngineEvent> events;
    const bool early = cmd.at < primary->now();
    // Half of the time the clock moves first, so that a refusal must leave everything as it was.
    const bool advanced_first = !early && cmd.kind != Op::kAdvanceTo && seq.gen().Chance(0.5);
    if (advanced_first) {
      Cmd advance{.kind = Op::kAdvanceTo, .at = cmd.at};
      EXPECT_TRUE(apply_all(advance, events).ok());
      log.back() += " (advanced first)";
    }
    const bool check_refusal = early || advanced_first;
    const uint64_t digest_before = check_refusal ? primary->StateDigest() : 0;
    // The snapshot also holds what the digest leaves out: the skill catalog and the journal.
    const std::string snapshot_before = check_refusal ? primary->Snapshot() : "";
    if (advanced_first) model = observer.Read(*primary);
    const std::string dump_before = check_refusal ? observer.Dump(*primary, &model) : "";
    const absl::Status status = apply_all(cmd, events);
    log.back() += absl::StrCat(" -> ", status.ok() ? "OK" : status.ToString());
    if (early) {
      EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << history();
    }
    model = observer.Read(*primary);
    const uint64_t digest = primary->StateDigest();
    if (!status.ok() && check_refusal) {
      EXPECT_EQ(digest, digest_before) << "a refused command changed state\n" << history();
      EXPECT_TRUE(primary->Snapshot() == snapshot_before)
          << "a refused command changed the snapshot\n"
          << history();
      EXPECT_EQ(observer.Dump(*primary, &model), dump_before) << "a refused command changed views\n"
                                                              << history();
      EXPECT_THAT(events, ::testing::IsEmpty()) << "a refused command emitted events\n"
                                                << EventsText(events) << history();
    }
    if (status.ok() && (cmd.kind == Op::kAddAgent || cmd.kind == Op::kUpdateAgent)) {
      caps[cmd.agent_spec.id] = cmd.agent_spec.capacity;
    }
    EXPECT_EQ(digest, twin->StateDigest()) << history();
    if (restored != nullptr) {
      EXPECT_EQ(digest, restored->StateDigest()) << history();
    }
    const EngineKpis now_kpis = primary->Kpis();
    std::vector<QueueStats> queues;
    for (const std::string& name : primary->QueueNames()) queues.push_back(*primary->Queue(name));
    CheckInvariants(model, queues, primary->item_count(), caps, kpis, now_kpis,
                    options.check_paused_clocks);
    kpis = now_kpis;
    if (::testing::Test::HasFailure()) {
      ADD_FAILURE() << "seed " << seed << " failed at step " << step << "\n"
                    << history() << "\nstate:\n"
                    << observer.Dump(*primary) << "events:\n"
                    << EventsText(events);
      return outcome;
    }
  }
  outcome.snapshot = primary->Snapshot();
  outcome.digest = primary->StateDigest();
  EXPECT_TRUE(outcome.snapshot == twin->Snapshot()) << "the twins' snapshots differ";
  EXPECT_TRUE(primary->Journal() == twin->Journal()) << "the twins' journals differ";
  if (restored != nullptr) {
    EXPECT_TRUE(restored->Snapshot() == outcome.snapshot)
        << "the restored engine's final snapshot differs";
  }
  absl::StatusOr<EngineConfig> config = ParseEngineConfigJson(json);
  EXPECT_TRUE(config.ok()) << config.status();
  if (!config.ok()) return outcome;
  absl::StatusOr<std::unique_ptr<Engine>> replayed =
      Engine::Replay(*std::move(config), primary->Journal(), ParseEngineConfigJson);
  EXPECT_TRUE(replayed.ok()) << replayed.status() << "\n" << history();
  if (replayed.ok()) {
    EXPECT_EQ((*replayed)->StateDigest(), outcome.digest) << history();
    EXPECT_TRUE((*replayed)->Snapshot() == outcome.snapshot)
        << "the replayed engine's snapshot differs\n"
        << history();
    EXPECT_EQ(observer.Dump(**replayed), observer.Dump(*primary));
  }
  return outcome;
}

// --- tests --------------------------------------------------------------------------------------

class EngineDeterminismTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(EngineDeterminismTest, RandomSequencesAreDeterministicRestorableAndKeepInvariants) {
  RunSequence(GetParam(), {});
}

INSTANTIATE_TEST_SUITE_P(Seeds, EngineDeterminismTest, ::testing::Range<uint64_t>(1, 301),
                         [](const ::testing::TestParamInfo<uint64_t>& p) {
                           return absl::StrCat("seed_", p.param);
                         });

// Thousands of sequences in all: the seeds above, a test each, and two thousand more in one run
// (which stops at the first that fails; its seed is in the trace).
TEST(EngineDeterminismManySeedsTest, TwoThousandMoreSequencesAreDeterministicToo) {
  for (uint64_t seed = 301; seed <= 2300 && !::testing::Test::HasFailure(); ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    RunSequence(seed, {});
  }
}

// The configuration is valid and the harness sees a busy centre: most commands succeed, items go
// through the whole lifecycle, escalations and follow-ups happen.
TEST(EngineDeterminismCoverageTest, SequencesExerciseTheWholeLifecycle) {
  std::map<EngineEventKind, int> kinds;
  int ok = 0, refused = 0;
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    std::unique_ptr<Engine> engine = MustEngine(ConfigJson());
    ASSERT_NE(engine, nullptr);
    Sequence seq(seed);
    Observer observer;
    const absl::Time origin = engine->now();
    for (int step = 0; step < 150; ++step) {
      const Cmd cmd = seq.Next(observer.Read(*engine), engine->now(), origin);
      (Apply(*engine, cmd).ok() ? ok : refused)++;
      const std::vector<EngineEvent> events = engine->PollEvents();
      observer.Learn(events);
      for (const EngineEvent& e : events) ++kinds[e.kind];
    }
  }
  EXPECT_GT(ok, refused / 2) << ok << " succeeded, " << refused << " refused";
  EXPECT_GT(refused, 0);
  for (EngineEventKind kind : {EngineEventKind::kQueued,          EngineEventKind::kOffered,
                               EngineEventKind::kAssigned,        EngineEventKind::kRejected,
                               EngineEventKind::kOfferExpired,    EngineEventKind::kRequeued,
                               EngineEventKind::kSlaWarning,      EngineEventKind::kSlaBreached,
                               EngineEventKind::kSlaMet,          EngineEventKind::kEscalated,
                               EngineEventKind::kTransferred,     EngineEventKind::kPendingCustomer,
                               EngineEventKind::kResumed,         EngineEventKind::kResolved,
                               EngineEventKind::kClosed,          EngineEventKind::kReopened,
                               EngineEventKind::kAbandoned,       EngineEventKind::kCancelled,
                               EngineEventKind::kFollowUpCreated, EngineEventKind::kAgentState}) {
    EXPECT_GT(kinds[kind], 0) << "no " << kind << " event in the sampled sequences";
  }
}

// A snapshot taken after a live reconfiguration restores: it carries the configuration the
// journal starts from, and the reconfigurations are in the journal.
TEST(EngineSnapshotTest, SnapshotTakenAfterAReconfigurationRestores) {
  std::unique_ptr<Engine> engine = MustEngine(ConfigJson());
  ASSERT_NE(engine, nullptr);
  const absl::Time t0 = engine->now() + absl::Hours(2);  // Monday 10:30 Berlin
  ASSERT_TRUE(
      engine->Submit({.id = "t1", .queue = "billing", .channel = "chat", .priority = "A"}, t0)
          .ok());
  // 20 minutes in, half of A's 30-minute first-response target is used: a warning fired.
  ASSERT_TRUE(engine->AdvanceTo(t0 + absl::Minutes(20)).ok());
  // A's first-response target becomes 1h (t1's clock is re-targeted).
  ASSERT_TRUE(
      ReconfigureFromJson(*engine, ConfigJson({.a_first = "1h"}), t0 + absl::Minutes(20)).ok());
  const std::string snapshot = engine->Snapshot();
  absl::StatusOr<std::unique_ptr<Engine>> restored = RestoreEngine(snapshot);
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ((*restored)->StateDigest(), engine->StateDigest());
}

// Instants and durations keep their quarter nanoseconds through the journal: a command between
// two nanoseconds is restored at its very instant, and the next command may follow a quarter
// nanosecond later.
TEST(EngineSnapshotTest, InstantsBetweenNanosecondsRestoreExactly) {
  std::unique_ptr<Engine> engine = MustEngine(ConfigJson());
  ASSERT_NE(engine, nullptr);
  const absl::Time t0 = engine->now() + absl::Hours(2) + absl::Seconds(1) / 3;
  ASSERT_TRUE(
      engine->Submit({.id = "t1", .queue = "billing", .channel = "chat", .priority = "A"}, t0)
          .ok());
  const absl::Time t1 = t0 + absl::Nanoseconds(1) / 4;
  ASSERT_TRUE(engine->AdvanceTo(t1).ok());
  absl::StatusOr<std::unique_ptr<Engine>> restored = RestoreEngine(engine->Snapshot());
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ((*restored)->now(), t1);
  EXPECT_TRUE((*restored)->AdvanceTo(t1).ok());

  for (const absl::Time t : {t0, t1, absl::UnixEpoch() - absl::Seconds(1) / 3,
                             absl::FromUnixNanos(-5) - absl::Nanoseconds(3) / 4}) {
    internal::ByteWriter w;
    w.Time(t);
    internal::ByteReader r(w.bytes());
    absl::StatusOr<absl::Time> back = r.Time();
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, t);
  }
  for (const absl::Duration d : {absl::Seconds(1) / 3, -absl::Seconds(1) / 3,
                                 -absl::Nanoseconds(1) / 4, absl::Nanoseconds(7)}) {
    internal::ByteWriter w;
    w.Duration(d);
    internal::ByteReader r(w.bytes());
    absl::StatusOr<absl::Duration> back = r.Duration();
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, d);
  }
}

// A reconfiguration that lists a new queue first appends it to the running engine's queues, whose
// indexes the state refers to: a restore keeps them in that order, not in the configuration's,
// and the restored engine goes on as the original does.
TEST(EngineSnapshotTest, AQueueAddedFirstByAReconfigurationRestoresInItsPlace) {
  std::unique_ptr<Engine> engine = MustEngine(ConfigJson());
  ASSERT_NE(engine, nullptr);
  const absl::Time t0 = engine->now() + absl::Hours(2);
  ASSERT_TRUE(
      engine->Submit({.id = "t1", .queue = "billing", .channel = "chat", .priority = "A"}, t0)
          .ok());
  const std::string vip_first = absl::StrReplaceAll(
      ConfigJson(),
      {{R"("queues": [)", R"("queues": [{"name": "vip", "sla_policy": "standard"},)"}});
  ASSERT_TRUE(ReconfigureFromJson(*engine, vip_first, t0).ok());
  ASSERT_TRUE(
      engine->Submit({.id = "t2", .queue = "vip", .channel = "chat", .priority = "B"}, t0).ok());
  ASSERT_TRUE(
      engine->Submit({.id = "t3", .queue = "support", .channel = "chat", .priority = "A"}, t0)
          .ok());
  ASSERT_EQ(engine->config().queues.front().name, "vip");
  (void)engine->PollEvents();

  absl::StatusOr<std::unique_ptr<Engine>> restored = RestoreEngine(engine->Snapshot());
  ASSERT_TRUE(restored.ok()) << restored.status();
  Engine& copy = **restored;
  EXPECT_EQ(copy.QueueNames(), engine->QueueNames());
  EXPECT_EQ(copy.config().queues.front().name, "vip");
  EXPECT_TRUE(copy.Snapshot() == engine->Snapshot());

  for (Engine* e : {engine.get(), &copy}) {
    const absl::Time t1 = t0 + absl::Minutes(5);
    ASSERT_TRUE(e->AddAgent({.id = "a1",
                             .capacity = {{"chat", 2}},
                             .queues = {{.queue = "vip"}, {.queue = "support"}}},
                            t1)
                    .ok());
    ASSERT_TRUE(e->SetAgentState("a1", AgentState::kAvailable, t1).ok());
    ASSERT_TRUE(e->AdvanceTo(t1 + absl::Hours(3)).ok());
  }
  EXPECT_EQ(copy.PollEvents(), engine->PollEvents());
  EXPECT_EQ(copy.StateDigest(), engine->StateDigest());
  EXPECT_TRUE(copy.Snapshot() == engine->Snapshot());
}

// Random sequences whose reconfigurations come before the snapshot, restored. A few seeds,
// stopping at the first failure to keep the report short.
TEST(EngineSnapshotTest, RandomSequencesWithReconfigurationsBeforeTheSnapshotRestore) {
  for (uint64_t seed = 1001; seed <= 1010; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    RunSequence(seed, {.reconfigure_before_snapshot = true, .check_paused_clocks = true});
    if (HasFailure()) break;
  }
}

// --- corrupt snapshots --------------------------------------------------------------------------

// A snapshot with its trailing checksum recomputed, so that corruption reaches the parser.
std::string Reseal(std::string body_and_checksum) {
  std::string body = body_and_checksum.substr(0, body_and_checksum.size() - 8);
  internal::ByteWriter w;
  w.U64(internal::SnapshotChecksum(body));
  return body + std::string(w.bytes());
}

// Whether `restored` was refused with `code` and a message that contains `part`.
::testing::AssertionResult Refused(const absl::StatusOr<std::unique_ptr<Engine>>& restored,
                                   absl::StatusCode code, std::string_view part) {
  if (restored.ok()) return ::testing::AssertionFailure() << "the restore succeeded";
  if (restored.status().code() != code ||
      std::string(restored.status().message()).find(part) == std::string::npos) {
    return ::testing::AssertionFailure()
           << "refused with " << restored.status() << ", not with "
           << absl::StatusCodeToString(code) << " and \"" << part << "\"";
  }
  return ::testing::AssertionSuccess();
}

std::unique_ptr<Engine> SampleEngine() {
  std::unique_ptr<Engine> engine = MustEngine(ConfigJson());
  if (engine == nullptr) return nullptr;
  Sequence seq(7);
  Observer observer;
  const absl::Time origin = engine->now();
  for (int step = 0; step < 60; ++step) {
    Cmd cmd = seq.Next(observer.Read(*engine), engine->now(), origin);
    if (cmd.kind == Op::kReconfigure) cmd.kind = Op::kAdvanceTo;
    (void)Apply(*engine, cmd);
    observer.Learn(engine->PollEvents());
  }
  return engine;
}

std::string SampleSnapshot() {
  const std::unique_ptr<Engine> engine = SampleEngine();
  return engine == nullptr ? "" : engine->Snapshot();
}

// Snapshots of SampleEngine() that earlier builds wrote: "sample-format3.bin" (the journal,
// replayed on restore), "sample-format4.bin" (the state, with the digest in item number order) and
// "sample-format5.bin" (the state, ending with a StableHash checksum).
// They stand for snapshots users keep, so they are never rewritten: a change that breaks them
// breaks those.
std::string EarlierSnapshot(std::string_view name) {
  std::ifstream file(std::string(OMNIROUTE_TEST_DATA_DIR) + "/" + std::string(name),
                     std::ios::binary);
  std::stringstream bytes;
  bytes << file.rdbuf();
  return bytes.str();
}

// The state digest a format-3 snapshot records: the U64 before the checksum.
uint64_t FormatThreeDigest(std::string_view snapshot) {
  internal::ByteReader r(snapshot.substr(snapshot.size() - 16, 8));
  return *r.U64();
}

// The format-3 snapshot of `engine` (started from ConfigJson()), as earlier builds wrote it:
// magic, version, configuration, journal, capacity hints, state digest, checksum. `items` and the
// waiting counts are the hints' sizes; `digest` is the digest earlier builds computed for it.
std::string FormatThreeSnapshot(const Engine& engine, uint64_t items,
                                const std::vector<std::pair<std::string, uint64_t>>& waiting,
                                uint64_t digest) {
  internal::ByteWriter w;
  w.Str("OMNIROUTE-SNAPSHOT");
  w.U64(3);
  w.Str(ConfigJson());
  w.Str(engine.Journal());
  for (int size = 0; size < 4; ++size) w.Var(items);
  w.Var(waiting.size());
  for (const auto& [queue, count] : waiting) {
    w.Str(queue);
    w.Var(count);
  }
  w.U64(digest);
  return Reseal(std::string(w.bytes()) + std::string(8, '\0'));
}

TEST(EngineCorruptSnapshotTest, TheSampleRestores) {
  const std::string snapshot = SampleSnapshot();
  ASSERT_GT(snapshot.size(), 100u);
  absl::StatusOr<std::unique_ptr<Engine>> restored = RestoreEngine(snapshot);
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_TRUE((*restored)->Snapshot() == snapshot);
}

TEST(EngineCorruptSnapshotTest, EmptyAndForeignInputsAreRefused) {
  for (const std::string& input :
       {std::string(), std::string("x"), std::string(7, '\0'), std::string(8, '\0'),
        std::string(64, '\xff'), std::string("OMNIROUTE-SNAPSHOT"), ConfigJson()}) {
    absl::StatusOr<std::unique_ptr<Engine>> restored = RestoreEngine(input);
    EXPECT_FALSE(restored.ok()) << "input of " << input.size() << " bytes";
    EXPECT_EQ(restored.status().code(), absl::StatusCode::kInvalidArgument) << restored.status();
  }
}

TEST(EngineCorruptSnapshotTest, WrongMagicIsRefusedEvenWithAValidChecksum) {
  const std::string snapshot = SampleSnapshot();
  ASSERT_FALSE(snapshot.empty());
  // Byte 0 is the magic's length, then the magic itself.
  std::string wrong = snapshot;
  wrong[1] = 'X';
  for (const std::string& input : {wrong, Reseal(wrong)}) {
    absl::StatusOr<std::unique_ptr<Engine>> restored = RestoreEngine(input);
    EXPECT_TRUE(Refused(restored, absl::StatusCode::kInvalidArgument, "not an omniroute snapshot"));
  }
}

TEST(EngineCorruptSnapshotTest, EveryTruncationIsRefused) {
  const std::string snapshot = SampleSnapshot();
  ASSERT_FALSE(snapshot.empty());
  for (size_t length = 0; length < snapshot.size(); ++length) {
    absl::StatusOr<std::unique_ptr<Engine>> restored =
        RestoreEngine(std::string_view(snapshot).substr(0, length));
    EXPECT_FALSE(restored.ok()) << "truncated to " << length << " of " << snapshot.size();
    if (restored.ok()) break;
  }
  // Truncated and resealed: the checksum holds, the content does not parse or replay.
  for (size_t length = 9; length < snapshot.size(); length += 7) {
    const std::string resealed = Reseal(snapshot.substr(0, length));
    absl::StatusOr<std::unique_ptr<Engine>> restored = RestoreEngine(resealed);
    EXPECT_FALSE(restored.ok()) << "truncated to " << length << " and resealed";
    if (restored.ok()) break;
  }
}

TEST(EngineCorruptSnapshotTest, EverySingleByteFlipIsRefused) {
  const std::string snapshot = SampleSnapshot();
  ASSERT_FALSE(snapshot.empty());
  for (size_t pos = 0; pos < snapshot.size(); ++pos) {
    for (const unsigned char mask : {0x01, 0x10, 0x80, 0xff}) {
      std::string flipped = snapshot;
      flipped[pos] = static_cast<char>(static_cast<unsigned char>(flipped[pos]) ^ mask);
      absl::StatusOr<std::unique_ptr<Engine>> restored = RestoreEngine(flipped);
      EXPECT_FALSE(restored.ok()) << "byte " << pos << " ^ " << static_cast<int>(mask);
    }
  }
}

// Corruption behind a valid checksum (a flipped byte anywhere, resealed) reaches the version
// check, the configuration loader and the journal replay: refused or, if the bytes still replay,
// the state digest must match; never a crash.
TEST(EngineCorruptSnapshotTest, ResealedFlipsNeverCrash) {
  const std::string snapshot = SampleSnapshot();
  ASSERT_FALSE(snapshot.empty());
  const uint64_t digest = (*RestoreEngine(snapshot))->StateDigest();
  std::mt19937_64 rng(42);
  int refused = 0;
  for (int trial = 0; trial < 600; ++trial) {
    std::string flipped = snapshot;
    const size_t pos = std::uniform_int_distribution<size_t>(0, snapshot.size() - 9)(rng);
    const auto mask = static_cast<unsigned char>(std::uniform_int_distribution<int>(1, 255)(rng));
    flipped[pos] = static_cast<char>(static_cast<unsigned char>(flipped[pos]) ^ mask);
    absl::StatusOr<std::unique_ptr<Engine>> restored = RestoreEngine(Reseal(flipped));
    if (restored.ok()) {
      EXPECT_EQ((*restored)->StateDigest(), digest) << "byte " << pos << " ^ " << int{mask};
    } else {
      ++refused;
    }
  }
  EXPECT_GT(refused, 300);
}

// Snapshots of earlier builds restore into the engine a current snapshot restores: format 3 (the
// journal without the state) by replaying the journal, formats 4 and 5 by loading their state.
// Each checks the digest it recorded. Their journals keep an `advance_to` for each refusal at the
// current instant, which builds since then do not write, so the first two are compared with each
// other and with a replay of that journal, and with today's engine by digest.
TEST(EngineCorruptSnapshotTest, EarlierFormatsRestore) {
  const std::unique_ptr<Engine> engine = SampleEngine();
  ASSERT_NE(engine, nullptr);
  std::vector<std::string> snapshots;
  for (const std::string_view name :
       {"sample-format3.bin", "sample-format4.bin", "sample-format5.bin"}) {
    SCOPED_TRACE(name);
    const std::string earlier = EarlierSnapshot(name);
    ASSERT_GT(earlier.size(), 100u);
    absl::StatusOr<std::unique_ptr<Engine>> restored = RestoreEngine(earlier);
    ASSERT_TRUE(restored.ok()) << restored.status();
    EXPECT_EQ((*restored)->StateDigest(), engine->StateDigest());
    absl::StatusOr<std::unique_ptr<Engine>> replayed =
        Engine::Replay(engine->config(), (*restored)->Journal(), ParseEngineConfigJson);
    ASSERT_TRUE(replayed.ok()) << replayed.status();
    snapshots.push_back((*restored)->Snapshot());
    EXPECT_TRUE((*replayed)->Snapshot() == snapshots.back());
  }
  EXPECT_TRUE(snapshots[0] == snapshots[1]);
  EXPECT_TRUE(snapshots[2] == engine->Snapshot());

  // Formats 5 and 6 differ in the version and the checksum alone: the configuration, the journal,
  // the digest and the state are written as they were.
  const std::string format5 = EarlierSnapshot("sample-format5.bin");
  const std::string format6 = engine->Snapshot();
  ASSERT_EQ(format5.size(), format6.size());
  const size_t version_at = 1 + std::string_view("OMNIROUTE-SNAPSHOT").size();
  EXPECT_EQ(format5.compare(0, version_at, format6, 0, version_at), 0);
  EXPECT_EQ(format5[version_at], 5);
  EXPECT_EQ(format6[version_at], 6);
  EXPECT_EQ(format5.compare(version_at + 8, format5.size() - version_at - 16, format6,
                            version_at + 8, format6.size() - version_at - 16),
            0)
      << "format 6 does not write the state as format 5 did";

  // Format 4's digest is checked against the loaded state.
  std::string format4 = EarlierSnapshot("sample-format4.bin");
  internal::ByteReader r(format4);
  ASSERT_TRUE(r.Str().ok());  // magic
  ASSERT_EQ(*r.U64(), 4u);    // version
  ASSERT_TRUE(r.Str().ok());  // initial configuration
  ASSERT_TRUE(r.Str().ok());  // journal
  format4[r.position()] = static_cast<char>(format4[r.position()] ^ 1);
  absl::StatusOr<std::unique_ptr<Engine>> restored = RestoreEngine(Reseal(format4));
  EXPECT_TRUE(Refused(restored, absl::StatusCode::kDataLoss, "loaded state differs"));
}

// Each format is checked with its own checksum: a format-6 snapshot sealed as format 5 was, or a
// format-5 one sealed as format 6 is, is corrupt.
TEST(EngineCorruptSnapshotTest, AChecksumOfTheOtherFormatIsRefused) {
  const auto sealed = [](std::string_view body, bool wide) {
    internal::StableHash narrow;
    narrow.Add(body.data(), body.size());
    internal::ByteWriter w;
    w.U64(wide ? internal::WideChecksum(body) : narrow.value());
    return std::string(body) + std::string(w.bytes());
  };
  for (const auto& [snapshot, wide] : {std::pair(SampleSnapshot(), false),
                                       std::pair(EarlierSnapshot("sample-format5.bin"), true)}) {
    ASSERT_GT(snapshot.size(), 100u);
    const std::string_view body = std::string_view(snapshot).substr(0, snapshot.size() - 8);
    ASSERT_TRUE(RestoreEngine(sealed(body, !wide)).ok());
    EXPECT_TRUE(Refused(RestoreEngine(sealed(body, wide)), absl::StatusCode::kInvalidArgument,
                        "checksum mismatch"));
  }
}

TEST(EngineCorruptSnapshotTest, FormatThreeSnapshotsRestoreByReplay) {
  const std::unique_ptr<Engine> engine = SampleEngine();
  ASSERT_NE(engine, nullptr);
  const uint64_t recorded = FormatThreeDigest(EarlierSnapshot("sample-format3.bin"));
  absl::StatusOr<std::unique_ptr<Engine>> restored =
      RestoreEngine(FormatThreeSnapshot(*engine, engine->item_count(), {{"billing", 3}}, recorded));
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ((*restored)->StateDigest(), engine->StateDigest());
  EXPECT_TRUE((*restored)->Snapshot() == engine->Snapshot());

  // Its digest (the last field) is checked after the replay.
  std::string digest = FormatThreeSnapshot(*engine, 0, {}, recorded);
  digest[digest.size() - 16] = static_cast<char>(digest[digest.size() - 16] ^ 1);
  restored = RestoreEngine(Reseal(digest));
  EXPECT_TRUE(Refused(restored, absl::StatusCode::kDataLoss, "replayed state differs"));
}

// Capacity hints only size what a format-3 restore reserves: absurd ones (behind a valid
// checksum) are capped by the journal's length and change nothing in the restored engine.
TEST(EngineCorruptSnapshotTest, AbsurdCapacityHintsRestoreTheSameState) {
  const std::unique_ptr<Engine> engine = SampleEngine();
  ASSERT_NE(engine, nullptr);
  const std::string absurd =
      FormatThreeSnapshot(*engine, ~uint64_t{0}, {{"billing", ~uint64_t{0}}, {"no such queue", 7}},
                          FormatThreeDigest(EarlierSnapshot("sample-format3.bin")));
  absl::StatusOr<std::unique_ptr<Engine>> restored = RestoreEngine(absurd);
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ((*restored)->StateDigest(), engine->StateDigest());
  EXPECT_TRUE((*restored)->Snapshot() == engine->Snapshot());
}

// A snapshot's state is loaded into its configuration: one that no longer matches it (read by
// another loader) is refused, not loaded half.
TEST(EngineCorruptSnapshotTest, AStateOutsideItsConfigurationIsRefused) {
  const std::string snapshot = SampleSnapshot();
  ASSERT_FALSE(snapshot.empty());
  const auto without_queue = [](std::string_view source) -> absl::StatusOr<EngineConfig> {
    absl::StatusOr<EngineConfig> config = ParseEngineConfigJson(source);
    if (config.ok()) {
      for (EngineQueueSpec& queue : config->queues) {
        if (queue.follow_up.has_value()) queue.follow_up.reset();
      }
      config->queues.pop_back();
    }
    return config;
  };
  absl::StatusOr<std::unique_ptr<Engine>> restored = Engine::Restore(snapshot, without_queue);
  EXPECT_TRUE(Refused(restored, absl::StatusCode::kInvalidArgument, "snapshot: state: "));

  const auto fewer_priorities = [](std::string_view source) -> absl::StatusOr<EngineConfig> {
    absl::StatusOr<EngineConfig> config = ParseEngineConfigJson(source);
    if (config.ok()) config->priorities.resize(1);
    return config;
  };
  restored = Engine::Restore(snapshot, fewer_priorities);
  EXPECT_TRUE(Refused(restored, absl::StatusCode::kInvalidArgument, "snapshot: state: "));
}

TEST(EngineCorruptSnapshotTest, UnsupportedVersionTrailingBytesAndWrongDigestAreRefused) {
  const std::string snapshot = SampleSnapshot();
  ASSERT_FALSE(snapshot.empty());
  // Layout: Str(magic) U64(version) Str(initial config) Str(journal) U64(digest) Str(config)
  // Time(origin) state U64(checksum).
  const size_t version_at = 1 + std::string_view("OMNIROUTE-SNAPSHOT").size();
  EXPECT_EQ(snapshot[version_at], 6);
  for (const int old_version : {1, 2, 7}) {
    // 1: before event digests were hashed word by word; 2: before the capacity hints; 7: a later
    // format.
    std::string version = snapshot;
    version[version_at] = static_cast<char>(old_version);
    absl::StatusOr<std::unique_ptr<Engine>> restored = RestoreEngine(Reseal(version));
    EXPECT_TRUE(Refused(restored, absl::StatusCode::kInvalidArgument,
                        absl::StrCat("version ", old_version, " is not supported")));
  }

  std::string trailing = snapshot.substr(0, snapshot.size() - 8) + "!" + std::string(8, '\0');
  absl::StatusOr<std::unique_ptr<Engine>> restored = RestoreEngine(Reseal(trailing));
  EXPECT_TRUE(Refused(restored, absl::StatusCode::kInvalidArgument, "trailing bytes"));

  internal::ByteReader r(snapshot);
  ASSERT_TRUE(r.Str().ok());  // magic
  ASSERT_TRUE(r.U64().ok());  // version
  ASSERT_TRUE(r.Str().ok());  // initial configuration
  ASSERT_TRUE(r.Str().ok());  // journal
  std::string digest = snapshot;
  digest[r.position()] = static_cast<char>(digest[r.position()] ^ 1);
  restored = RestoreEngine(Reseal(digest));
  EXPECT_TRUE(Refused(restored, absl::StatusCode::kDataLoss, "loaded state differs"));
}

// An engine a day past its origin that never scheduled a timer, and its snapshot. Its timers
// (1 ms ticks, saved last of its wheels) and its SLA tracker's (1 s ticks) save as wheels that
// never held a timer, advanced to now.
struct IdleEngine {
  static constexpr absl::Duration kEngineTick = absl::Milliseconds(1);
  static constexpr absl::Duration kTrackerTick = absl::Seconds(1);

  std::unique_ptr<Engine> engine = MustEngine(ConfigJson());
  absl::Time origin = engine->now();
  absl::Time now = origin + absl::Hours(24);
  std::string snapshot = engine->AdvanceTo(now).ok() ? engine->Snapshot() : "";

  // The engine's timer kinds, as its state writes them.
  enum TimerKind : uint8_t { kEscalation, kAutoClose, kFollowUp, kSweep };

  // The saved state of a wheel of `tick` that never held a timer, advanced to `at`, and then
  // given a timer due at `due` if any: an engine's timer of `kind` for item or follow-up `key`.
  std::string Wheel(absl::Duration tick, absl::Time at,
                    std::optional<absl::Time> due = std::nullopt, TimerKind kind = kFollowUp,
                    uint64_t key = 1) const {
    TimerWheel<uint64_t> wheel(origin, tick);
    wheel.Advance(at, [](TimerHandle, absl::Time, uint64_t) {});
    if (due) {
      EXPECT_TRUE(wheel.Schedule(*due, key).ok());
    }
    internal::ByteWriter w;
    wheel.SaveState(w, [kind](internal::ByteWriter& out, uint64_t timer_key) {
      out.U8(kind);
      out.Var(timer_key);
    });
    return std::string(w.bytes());
  }

  // The snapshot, resealed, with the wheel of `tick` saved as `replacement`.
  std::string With(absl::Duration tick, std::string_view replacement) const {
    const std::string idle = Wheel(tick, now);
    const size_t at = snapshot.rfind(idle);
    EXPECT_NE(at, std::string::npos) << "no idle wheel of " << tick;
    if (at == std::string::npos) return "";
    std::string out = snapshot;
    out.replace(at, idle.size(), replacement);
    return Reseal(out);
  }
};

// The engine and its SLA tracker advance their timer wheels with them, and a timer due before a
// wheel's clock fires only when the wheel is advanced: a wheel ahead of the engine held the timers
// scheduled before its clock, and the engine stopped at the first of them forever.
TEST(EngineCorruptSnapshotTest, TimerWheelsAheadOfTheEngineAreRefused) {
  const IdleEngine idle;
  const absl::Duration tick = IdleEngine::kEngineTick;
  ASSERT_TRUE(RestoreEngine(idle.With(tick, idle.Wheel(tick, idle.now))).ok());
  for (const absl::Duration wheel_tick : {IdleEngine::kEngineTick, IdleEngine::kTrackerTick}) {
    SCOPED_TRACE(wheel_tick);
    absl::StatusOr<std::unique_ptr<Engine>> restored =
        RestoreEngine(idle.With(wheel_tick, idle.Wheel(wheel_tick, idle.now + absl::Hours(1))));
    EXPECT_TRUE(Refused(restored, absl::StatusCode::kInvalidArgument, "clock"));
  }
}

// The engine steps from stop to stop, and a module advanced to an instant before its clock does
// nothing: a timer due before now (legal in a wheel, which fires it when next advanced) was a stop
// where the engine stayed forever once the wheel had passed it, and moved the engine's clock back
// when not.
TEST(EngineCorruptSnapshotTest, ATimerDueBeforeNowIsRefused) {
  const IdleEngine idle;
  const absl::Duration tick = IdleEngine::kEngineTick;
  for (const absl::Duration wheel_behind : {absl::Minutes(10), absl::Minutes(40)}) {
    SCOPED_TRACE(wheel_behind);
    const std::string wheel =
        idle.Wheel(tick, idle.now - wheel_behind, idle.now - absl::Minutes(30));
    absl::StatusOr<std::unique_ptr<Engine>> restored = RestoreEngine(idle.With(tick, wheel));
    EXPECT_TRUE(Refused(restored, absl::StatusCode::kInvalidArgument, "timers"));
  }
}

// Each engine timer is an item's escalation check or quiet period, a follow-up's or the sweep's,
// and the one its holder names. One that none held fired into whatever held its key by then: a
// follow-up timer without its task created nothing, and a task without its timer never came.
TEST(EngineCorruptSnapshotTest, AnEngineTimerNothingHoldsIsRefused) {
  const IdleEngine idle;
  const absl::Duration tick = IdleEngine::kEngineTick;
  const absl::Time due = idle.now + absl::Hours(1);
  for (const auto& [kind, key, why] :
       {std::tuple(IdleEngine::kEscalation, 1, "inconsistent timers"),
        std::tuple(IdleEngine::kAutoClose, 1, "inconsistent timers"),
        std::tuple(IdleEngine::kSweep, 0, "inconsistent timers"),
        std::tuple(IdleEngine::kFollowUp, 1, "inconsistent follow-ups")}) {
    SCOPED_TRACE(why);
    absl::StatusOr<std::unique_ptr<Engine>> restored =
        RestoreEngine(idle.With(tick, idle.Wheel(tick, idle.now, due, kind, key)));
    EXPECT_TRUE(Refused(restored, absl::StatusCode::kInvalidArgument, why));
  }
}

// Agents a1 and a2 (indexes 0 and 1), available for chats in "support" from `at`.
void AddTwoSupportAgents(Engine& engine, absl::Time at) {
  for (const std::string_view id : {"a1", "a2"}) {
    const EngineAgentSpec agent{
        .id = std::string(id), .capacity = {{"chat", 1}}, .queues = {{.queue = "support"}}};
    ASSERT_TRUE(engine.AddAgent(agent, at).ok());
    ASSERT_TRUE(engine.SetAgentState(id, AgentState::kAvailable, at).ok());
  }
}

// A removed agent is logged out of every queue and holds nothing. One flagged removed while
// logged in took offers that no command could answer: the engine knows no such agent.
TEST(EngineCorruptSnapshotTest, ARemovedAgentLoggedInIsRefused) {
  const std::unique_ptr<Engine> engine = MustEngine(ConfigJson());
  ASSERT_NE(engine, nullptr);
  const absl::Time now = engine->now() + absl::Hours(2);
  AddTwoSupportAgents(*engine, now);
  ASSERT_TRUE(engine->RemoveAgent("a2", now).ok());
  const std::string snapshot = engine->Snapshot();
  ASSERT_TRUE(RestoreEngine(snapshot).ok());
  // The agents' removed flags, then no customer, no follow-up, the next follow-up's number and
  // the counters, all zero.
  const auto flags = [](bool a1_removed) {
    internal::ByteWriter w;
    w.U8(a1_removed ? 1 : 0);
    w.U8(1);
    w.Var(0);
    w.Var(0);
    w.Var(1);
    for (int counter = 0; counter < 11; ++counter) w.Var(0);
    return std::string(w.bytes());
  };
  const size_t at = snapshot.find(flags(false));
  ASSERT_NE(at, std::string::npos);
  ASSERT_EQ(snapshot.rfind(flags(false)), at);
  std::string forged = snapshot;
  forged.replace(at, flags(false).size(), flags(true));
  absl::StatusOr<std::unique_ptr<Engine>> restored = RestoreEngine(Reseal(forged));
  EXPECT_TRUE(Refused(restored, absl::StatusCode::kInvalidArgument, "inconsistent removed agents"));
}

// An item's record and the router agree on where it is: a record naming another agent than the
// one the router assigned it to would let that agent resolve work it does not hold.
TEST(EngineCorruptSnapshotTest, AnItemTheRouterHoldsOtherwiseIsRefused) {
  const std::unique_ptr<Engine> engine = MustEngine(ConfigJson());
  ASSERT_NE(engine, nullptr);
  const absl::Time now = engine->now() + absl::Hours(2);
  AddTwoSupportAgents(*engine, now);
  ASSERT_TRUE(engine->Submit({.id = "x", .queue = "support", .channel = "chat"}, now).ok());
  absl::StatusOr<EngineItemView> x = engine->Item("x");
  ASSERT_TRUE(x.ok());
  ASSERT_EQ(x->state, ItemState::kAssigned);
  const uint64_t holder = x->agent == "a1" ? 0 : 1;
  const std::string snapshot = engine->Snapshot();
  ASSERT_TRUE(RestoreEngine(snapshot).ok());
  // The record's arrival, its agent and no preferred agent: the first match, as the records come
  // first in the state (the router's and the tracker's parts hold the instant too).
  const auto placed = [now](uint64_t agent) {
    internal::ByteWriter w;
    w.Time(now);
    w.Var(agent);
    w.U8(0);
    return std::string(w.bytes());
  };
  const size_t at = snapshot.find(placed(holder));
  ASSERT_NE(at, std::string::npos);
  std::string forged = snapshot;
  forged.replace(at, placed(holder).size(), placed(1 - holder));
  absl::StatusOr<std::unique_ptr<Engine>> restored = RestoreEngine(Reseal(forged));
  EXPECT_TRUE(Refused(restored, absl::StatusCode::kInvalidArgument, "inconsistent routed items"));
}

// The router moves its queues with it. A queue clock off the router's (one behind refuses the
// arrivals the router hands it at its own time) left items the engine routed in no queue: the
// engine then wrote snapshots it refused.
TEST(EngineCorruptSnapshotTest, AQueueClockOffTheRoutersIsRefused) {
  const std::unique_ptr<Engine> engine = SampleEngine();
  ASSERT_NE(engine, nullptr);
  const std::string snapshot = engine->Snapshot();
  const std::vector<std::string> names = engine->QueueNames();
  size_t waiting = 0;
  for (const std::string& name : names) waiting += engine->Queue(name)->waiting;
  // The queues' state begins with their clock, the queued items, the queues and the first name.
  const auto queues = [&](absl::Time clock) {
    internal::ByteWriter w;
    w.Time(clock);
    w.Var(waiting);
    w.Var(names.size());
    w.Str(names.front());
    return std::string(w.bytes());
  };
  const std::string saved = queues(engine->now());
  const size_t at = snapshot.find(saved);
  ASSERT_NE(at, std::string::npos);
  ASSERT_EQ(snapshot.rfind(saved), at);
  for (const absl::Duration off : {absl::Seconds(-1), absl::Seconds(1)}) {
    SCOPED_TRACE(off);
    std::string forged = snapshot;
    forged.replace(at, saved.size(), queues(engine->now() + off));
    absl::StatusOr<std::unique_ptr<Engine>> restored = RestoreEngine(Reseal(forged));
    EXPECT_TRUE(Refused(restored, absl::StatusCode::kInvalidArgument, "clocks"));
  }
}

// A queue's recent answers are instants of the past, in order. One after now stayed ahead of the
// answers recorded after it, and the engine then wrote snapshots it refused.
TEST(EngineCorruptSnapshotTest, ARecentAnswerAfterNowIsRefused) {
  const std::unique_ptr<Engine> engine = MustEngine(ConfigJson());
  ASSERT_NE(engine, nullptr);
  const absl::Time now = engine->now() + absl::Hours(2);
  const EngineAgentSpec agent{
      .id = "a1", .capacity = {{"chat", 1}}, .queues = {{.queue = "support"}}};
  ASSERT_TRUE(engine->AddAgent(agent, now).ok());
  ASSERT_TRUE(engine->SetAgentState("a1", AgentState::kAvailable, now).ok());
  // Support auto-accepts: answered at once, without a wait.
  ASSERT_TRUE(engine->Submit({.id = "t1", .queue = "support", .channel = "chat"}, now).ok());
  ASSERT_EQ(engine->Item("t1")->state, ItemState::kAssigned);
  const std::string snapshot = engine->Snapshot();
  // The support queue's total wait, its one recent answer and when it came.
  const auto recent = [](absl::Time answered) {
    internal::ByteWriter w;
    w.Duration(absl::ZeroDuration());
    w.Var(1);
    w.Time(answered);
    return std::string(w.bytes());
  };
  const size_t at = snapshot.find(recent(now));
  ASSERT_NE(at, std::string::npos);
  ASSERT_EQ(snapshot.rfind(recent(now)), at);
  std::string forged = snapshot;
  forged.replace(at, recent(now).size(), recent(now + absl::Hours(1)));
  absl::StatusOr<std::unique_ptr<Engine>> restored = RestoreEngine(Reseal(forged));
  EXPECT_TRUE(Refused(restored, absl::StatusCode::kInvalidArgument, "recent answers"));
}

// An agent holding an assigned chat (t1, item 1: support auto-accepts) and an offered email
// (t2, item 2, of billing), and the engine's snapshot.
struct BusyAgent {
  std::unique_ptr<Engine> engine = MustEngine(ConfigJson());
  absl::Time now = engine->now() + absl::Hours(2);
  std::string snapshot;

  BusyAgent() {
    const EngineAgentSpec agent{.id = "a1",
                                .capacity = {{"chat", 1}, {"email", 1}},
                                .queues = {{.queue = "support"}, {.queue = "billing"}}};
    EXPECT_TRUE(engine->AddAgent(agent, now).ok());
    EXPECT_TRUE(engine->SetAgentState("a1", AgentState::kAvailable, now).ok());
    EXPECT_TRUE(engine->Submit({.id = "t1", .queue = "support", .channel = "chat"}, now).ok());
    EXPECT_TRUE(engine->Submit({.id = "t2", .queue = "billing", .channel = "email"}, now).ok());
    EXPECT_EQ(engine->Item("t1")->state, ItemState::kAssigned);
    EXPECT_EQ(engine->Item("t2")->state, ItemState::kOffered);
    snapshot = engine->Snapshot();
  }

  // The agent's held work in the pool's state (item, channel, since, offer), then its load per
  // channel (voice, chat, email), units and active channels.
  std::string Held(bool t1_offered, const std::vector<int>& load, int units,
                   uint32_t active) const {
    internal::ByteWriter w;
    w.Var(2);
    for (const auto& [item, channel, offered] :
         {std::tuple(1, 1, t1_offered), std::tuple(2, 2, true)}) {
      w.Var(item);
      w.Var(channel);
      w.Time(now);
      w.U8(offered ? 1 : 0);
    }
    for (const int count : load) w.Int(count);
    w.Int(units);
    w.Var(active);
    return std::string(w.bytes());
  }

  // The snapshot with the first `saved` replaced by `forged`, resealed; the restore refused for
  // `why`.
  void ExpectRefused(std::string_view saved, std::string_view forged, std::string_view why) const {
    const size_t at = snapshot.find(saved);
    ASSERT_NE(at, std::string::npos);
    std::string out = snapshot;
    out.replace(at, saved.size(), forged);
    absl::StatusOr<std::unique_ptr<Engine>> restored = RestoreEngine(Reseal(out));
    EXPECT_TRUE(Refused(restored, absl::StatusCode::kInvalidArgument, why));
  }
};

// An agent's load per channel and active channels count its held work (its units are part of the
// state digest). Loaded as written, an agent counted idle in a channel took work beyond its
// capacity there, and one counted busy never took any.
TEST(EngineCorruptSnapshotTest, AnAgentsLoadOffItsHeldWorkIsRefused) {
  const BusyAgent busy;
  ASSERT_TRUE(RestoreEngine(busy.snapshot).ok());
  busy.ExpectRefused(busy.Held(false, {0, 1, 1}, 2, 0b110), busy.Held(false, {0, 0, 1}, 2, 0b100),
                     "an agent's load");
  busy.ExpectRefused(busy.Held(false, {0, 1, 1}, 2, 0b110), busy.Held(false, {0, 1, 1}, 2, 0b010),
                     "an agent's load");
}

// The pool holds what the router's items say its agents hold, offers as offers. An assigned item
// held as an offer could not be resolved: the agent's capacity was never freed.
TEST(EngineCorruptSnapshotTest, HeldWorkOffTheRoutersItemsIsRefused) {
  const BusyAgent busy;
  busy.ExpectRefused(busy.Held(false, {0, 1, 1}, 2, 0b110), busy.Held(true, {0, 1, 1}, 2, 0b110),
                     "held work");
}

// Each router timer is one its item's records hold. An offer whose record named no timer (its
// timer orphaned) never expired.
TEST(EngineCorruptSnapshotTest, ARouterTimerNoItemHoldsIsRefused) {
  const BusyAgent busy;
  // t2's held record ends with its offer's timer (the router's first: node 0, generation 1) and
  // when the offer expires (billing's offer timeout is 45 s). The router's wheel repeats these
  // bytes later: no free node, a known earliest due instant and that instant.
  const auto offer = [&busy](uint64_t generation) {
    internal::ByteWriter w;
    w.Var(0);
    w.Var(generation);
    w.Time(busy.now + absl::Seconds(45));
    return std::string(w.bytes());
  };
  busy.ExpectRefused(offer(1), offer(3), "a timer no item holds");
}

// An item waiting for agents whose queue delays run out wakes at each delay's end, once: the
// same timer named twice stayed named once it fired, and the engine then wrote snapshots it
// refused.
TEST(EngineCorruptSnapshotTest, AWakeUpTimerNamedTwiceIsRefused) {
  const std::unique_ptr<Engine> engine = MustEngine(ConfigJson());
  ASSERT_NE(engine, nullptr);
  const absl::Time now = engine->now();
  for (const auto& [id, delay] : {std::pair("a1", 60), std::pair("a2", 120)}) {
    const EngineAgentSpec agent{.id = id,
                                .capacity = {{"chat", 1}},
                                .queues = {{.queue = "billing", .delay = absl::Seconds(delay)}}};
    ASSERT_TRUE(engine->AddAgent(agent, now).ok());
  }
  ASSERT_TRUE(engine->Submit({.id = "t1", .queue = "billing", .channel = "chat"}, now).ok());
  const std::string snapshot = engine->Snapshot();
  // t1's extra record ends with its refusals (none) and its wake-up timers: the router's first
  // two (nodes 0 and 1, each of generation 1). It comes last of the states holding these bytes.
  const auto wake_ups = [](uint64_t first_node) {
    internal::ByteWriter w;
    w.Var(0);
    w.Var(2);
    for (const uint64_t node : {first_node, uint64_t{1}}) {
      w.Var(node);
      w.Var(1);
    }
    return std::string(w.bytes());
  };
  const size_t at = snapshot.rfind(wake_ups(0));
  ASSERT_NE(at, std::string::npos);
  std::string forged = snapshot;
  forged.replace(at, wake_ups(0).size(), wake_ups(1));
  absl::StatusOr<std::unique_ptr<Engine>> restored = RestoreEngine(Reseal(forged));
  EXPECT_TRUE(Refused(restored, absl::StatusCode::kInvalidArgument, "a wake-up timer"));
}

// One byte of the state flipped behind a valid checksum (the low bit of every third byte, all bits
// of every twenty-first): refused, or an engine that takes an item, advances three days and
// snapshots into a snapshot that restores.
TEST(EngineCorruptSnapshotTest, ResealedStateFlipsRefuseOrRunOn) {
  const std::string snapshot = SampleSnapshot();
  ASSERT_FALSE(snapshot.empty());
  internal::ByteReader r(snapshot);
  ASSERT_TRUE(r.Str().ok());   // magic
  ASSERT_TRUE(r.U64().ok());   // version
  ASSERT_TRUE(r.Str().ok());   // initial configuration
  ASSERT_TRUE(r.Str().ok());   // journal
  ASSERT_TRUE(r.U64().ok());   // digest
  ASSERT_TRUE(r.Str().ok());   // configuration
  ASSERT_TRUE(r.Time().ok());  // origin
  const size_t state = r.position();
  int restored_count = 0;
  for (size_t pos = state; pos < snapshot.size() - 8; ++pos) {
    const size_t offset = pos - state;
    if (offset % 3 != 0 && offset % 21 != 1) continue;
    const unsigned char mask = offset % 3 == 0 ? 0x01 : 0xff;
    std::string flipped = snapshot;
    flipped[pos] = static_cast<char>(static_cast<unsigned char>(flipped[pos]) ^ mask);
    absl::StatusOr<std::unique_ptr<Engine>> restored = RestoreEngine(Reseal(flipped));
    if (!restored.ok()) continue;
    ++restored_count;
    Engine& e = **restored;
    const std::string where = absl::StrCat("byte ", pos, " ^ ", mask);
    EXPECT_TRUE(e.Submit({.id = "flip", .queue = "billing", .channel = "chat"}, e.now()).ok())
        << where;
    ASSERT_TRUE(e.AdvanceTo(e.now() + absl::Hours(72)).ok()) << where;
    absl::StatusOr<std::unique_ptr<Engine>> again = RestoreEngine(e.Snapshot());
    ASSERT_TRUE(again.ok()) << where << ": " << again.status();
    EXPECT_EQ((*again)->StateDigest(), e.StateDigest()) << where;
  }
  EXPECT_GT(restored_count, 0);
}

}  // namespace
}  // namespace omniroute
