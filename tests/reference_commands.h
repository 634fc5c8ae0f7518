// Random command sequences over the reference model's configuration family (reference_model.h):
// every engine command but reconfiguration, with invalid ones mixed in (unknown ids, wrong
// states, bad values, instants before now). Shared by the reference-model test and the
// determinism-at-scale test.
#ifndef OMNIROUTE_TESTS_REFERENCE_COMMANDS_H_
#define OMNIROUTE_TESTS_REFERENCE_COMMANDS_H_

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "omniroute/engine.h"
#include "omniroute/lifecycle.h"
#include "reference_model.h"

namespace omniroute::reference_model {

inline const std::vector<std::string>& AgentIds() {
  static const auto* const ids = new std::vector<std::string>{"a0", "a1", "a2", "a3", "a4", "a5"};
  return *ids;
}

inline const std::vector<std::string>& ItemIds() {
  static const auto* const ids = [] {
    auto* list = new std::vector<std::string>;
    for (int i = 0; i < 20; ++i) list->push_back(absl::StrCat("t", i));
    return list;
  }();
  return *ids;
}

inline const std::vector<std::string>& SkillNames() {
  static const auto* const names =
      new std::vector<std::string>{"billing", "tech", "senior", "french"};
  return *names;
}

// What the generator needs to know of the current state to aim its commands.
struct Population {
  struct ItemInfo {
    ItemState state = ItemState::kQueued;
    std::string agent;
    std::string queue;
  };
  std::map<std::string, ItemInfo> items;
  std::vector<std::string> agents;

  std::vector<std::string> ItemsIn(std::initializer_list<ItemState> states) const {
    std::vector<std::string> out;
    for (const auto& [id, info] : items) {
      if (states.size() == 0 ||
          std::find(states.begin(), states.end(), info.state) != states.end()) {
        out.push_back(id);
      }
    }
    return out;
  }
};

inline Population PopulationOf(const Model& model) {
  Population p;
  for (const ModelItem& item : model.items()) {
    p.items[item.id] = {.state = item.state,
                        .agent = item.agent >= 0 ? model.agents()[item.agent].id : "",
                        .queue = model.config().queues[item.queue].name};
  }
  for (const ModelAgent& agent : model.agents()) {
    if (!agent.removed) p.agents.push_back(agent.id);
  }
  return p;
}

inline Population PopulationOf(const Engine& engine) {
  Population p;
  for (const std::string& id : ItemIds()) {
    if (absl::StatusOr<EngineItemView> v = engine.Item(id); v.ok()) {
      p.items[id] = {.state = v->state, .agent = v->agent, .queue = v->queue};
    }
  }
  for (const std::string& id : AgentIds()) {
    if (engine.Agent(id).ok()) p.agents.push_back(id);
  }
  return p;
}

class Random {
 public:
  explicit Random(uint64_t seed) : rng_(seed) {}
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(Int(0, static_cast<int>(v.size()) - 1))];
  }

 private:
  std::mt19937_64 rng_;
};

class CommandSource {
 public:
  CommandSource(uint64_t seed, const ModelConfig& config) : random_(seed) {
    for (const QueueConfig& q : config.queues) queues_.push_back(q.name);
    for (const ChannelConfig& ch : config.channels) channels_.push_back(ch.name);
  }

  Random& random() { return random_; }

  EngineCommand Next(const Population& p, absl::Time now, absl::Time origin) {
    using Op = EngineCommandKind;
    static constexpr std::pair<Op, int> kWeights[] = {
        {Op::kAddAgent, 6},        {Op::kRemoveAgent, 2}, {Op::kUpdateAgent, 4},
        {Op::kSetAgentState, 9},   {Op::kSubmit, 16},     {Op::kUpdate, 4},
        {Op::kAccept, 12},         {Op::kReject, 4},      {Op::kRespond, 6},
        {Op::kCustomerMessage, 3}, {Op::kPause, 4},       {Op::kResume, 4},
        {Op::kResolve, 9},         {Op::kConfirm, 3},     {Op::kReopen, 3},
        {Op::kTransfer, 3},        {Op::kEscalate, 3},    {Op::kCancel, 2},
        {Op::kAbandon, 3},         {Op::kAdvanceTo, 6}};
    int total = 0;
    for (const auto& [op, weight] : kWeights) total += weight;
    int roll = random_.Int(0, total - 1);
    EngineCommand c;
    for (const auto& [op, weight] : kWeights) {
      if (roll < weight) {
        c.kind = op;
        break;
      }
      roll -= weight;
    }
    // Offers expire after 30 s to 2 min: answers mostly come quickly.
    c.at = (c.kind == Op::kAccept || c.kind == Op::kReject) && random_.Chance(0.8)
               ? now + absl::Seconds(random_.Int(0, 25))
               : NextInstant(now, origin);
    switch (c.kind) {
      case Op::kAddAgent:
      case Op::kUpdateAgent:
        c.agent_spec = AgentSpec(p, c.kind == Op::kAddAgent);
        break;
      case Op::kRemoveAgent:
        c.agent = AgentId(p);
        break;
      case Op::kSetAgentState: {
        c.agent = AgentId(p);
        const int r = random_.Int(0, 99);
        c.state = r < 62   ? AgentState::kAvailable
                  : r < 80 ? AgentState::kAway
                  : r < 97 ? AgentState::kOffline
                           : AgentState::kWrapUp;
        if (c.state == AgentState::kAway) c.text = random_.Chance(0.5) ? "lunch" : "training";
        if (c.state == AgentState::kAvailable && random_.Chance(0.05)) c.text = "back";
        break;
      }
      case Op::kSubmit:
        c.item_spec = ItemSpec(p, c.at);
        break;
      case Op::kUpdate:
        c.item = ItemId(p, {});
        if (random_.Chance(0.4)) c.update.priority = Priority();
        if (random_.Chance(0.2)) c.update.tier = random_.Chance(0.5) ? "vip" : "";
        if (random_.Chance(0.3)) c.update.tags = Tags();
        if (random_.Chance(0.3)) c.update.requirement = Requirement();
        if (random_.Chance(0.1)) c.update.deadline = c.at + absl::Minutes(random_.Int(0, 600));
        break;
      case Op::kAccept:
      case Op::kReject: {
        const std::vector<std::string> offered = p.ItemsIn({ItemState::kOffered});
        if (!offered.empty() && random_.Chance(0.85)) {
          c.item = random_.Pick(offered);
          c.agent = p.items.at(c.item).agent;
          if (random_.Chance(0.1)) c.agent = random_.Pick(AgentIds());
        } else {
          c.item = ItemId(p, {});
          c.agent = AgentId(p);
        }
        break;
      }
      case Op::kRespond:
      case Op::kPause:
      case Op::kResolve:
        c.item = ItemId(p, {ItemState::kAssigned, ItemState::kPendingCustomer});
        if (c.kind == Op::kPause) c.text = PauseReason();
        break;
      case Op::kResume:
      case Op::kCustomerMessage:
        c.item = ItemId(p, {ItemState::kPendingCustomer, ItemState::kAssigned});
        if (c.kind == Op::kResume) c.text = PauseReason();
        break;
      case Op::kConfirm:
      case Op::kReopen:
        c.item = ItemId(p, {ItemState::kResolved});
        break;
      case Op::kTransfer:
        c.item = ItemId(p, {ItemState::kAssigned, ItemState::kPendingCustomer, ItemState::kQueued,
                            ItemState::kOffered});
        c.text = random_.Chance(0.05) ? "nowhere" : random_.Pick(queues_);
        break;
      case Op::kEscalate:
      case Op::kCancel:
        c.item = ItemId(p, {});
        break;
      case Op::kAbandon:
        c.item = ItemId(p, {ItemState::kQueued, ItemState::kOffered});
        break;
      default:
        break;
    }
    return c;
  }

 private:
  absl::Time NextInstant(absl::Time now, absl::Time origin) {
    const int r = random_.Int(0, 999);
    if (r < 25 && now > origin) return now - absl::Minutes(random_.Int(1, 120));  // refused
    if (r < 300) return now;
    if (r < 700) return now + absl::Seconds(random_.Int(1, 600));
    if (r < 900) return now + absl::Minutes(random_.Int(10, 180));
    if (r < 990) return now + absl::Minutes(random_.Int(180, 720));
    return now + absl::Hours(random_.Int(24, 72));
  }

  std::string AgentId(const Population& p) {
    if (!p.agents.empty() && random_.Chance(0.85)) return random_.Pick(p.agents);
    if (random_.Chance(0.05)) return random_.Chance(0.5) ? "" : "ghost";
    return random_.Pick(AgentIds());
  }

  // An item in one of `states` most of the time (any existing one when empty), else any id.
  std::string ItemId(const Population& p, std::initializer_list<ItemState> states) {
    const std::vector<std::string> pool = p.ItemsIn(states);
    if (!pool.empty() && random_.Chance(0.85)) return random_.Pick(pool);
    const std::vector<std::string> any = p.ItemsIn({});
    if (!any.empty() && random_.Chance(0.5)) return random_.Pick(any);
    if (random_.Chance(0.03)) return "";
    return random_.Pick(ItemIds());
  }

  std::string Priority() {
    const int r = random_.Int(0, 99);
    if (r < 3) return "Z";
    if (r < 10) return "";
    return std::string(1, static_cast<char>('A' + random_.Int(0, 2)));
  }

  std::string PauseReason() {
    const int r = random_.Int(0, 99);
    if (r < 60) return "customer";
    if (r < 85) return "third_party";
    if (r < 96) return "internal";
    return "";
  }

  std::vector<std::string> Tags() {
    std::vector<std::string> tags;
    if (random_.Chance(0.3)) tags.push_back("upset");
    if (random_.Chance(0.3)) tags.push_back("vip_line");
    return tags;
  }

  NamedRequirement Requirement() {
    NamedRequirement r;
    if (random_.Chance(0.4)) return r;
    r.must[random_.Pick(SkillNames())] = random_.Int(1, 60);
    if (random_.Chance(0.3)) r.must[random_.Pick(SkillNames())] = random_.Int(1, 40);
    if (random_.Chance(0.15)) r.preferred[random_.Pick(SkillNames())] = random_.Chance(0.5) ? 1 : 2;
    if (random_.Chance(0.1)) {
      const std::string& skill = random_.Pick(SkillNames());
      // Mostly one that is neither required nor preferred; otherwise the requirement is refused.
      if (random_.Chance(0.2) || (!r.must.contains(skill) && !r.preferred.contains(skill))) {
        r.excluded.push_back(skill);
      }
    }
    if (random_.Chance(0.02)) r.must.begin()->second = random_.Chance(0.5) ? 0 : 101;
    if (random_.Chance(0.01)) r.must["no such skill"] = 1;
    return r;
  }

  EngineAgentSpec AgentSpec(const Population& p, bool add) {
    EngineAgentSpec spec;
    spec.id = add ? (random_.Chance(0.03) ? "" : random_.Pick(AgentIds())) : AgentId(p);
    for (const std::string& skill : SkillNames()) {
      if (random_.Chance(0.6)) spec.skills[skill] = random_.Int(1, 100);
    }
    if (random_.Chance(0.02)) spec.skills["tech"] = random_.Chance(0.5) ? 0 : 101;
    for (const std::string& channel : channels_) {
      if (random_.Chance(0.7)) spec.capacity[channel] = random_.Int(0, 3);
    }
    if (random_.Chance(0.02)) spec.capacity["fax"] = 1;
    if (random_.Chance(0.01)) spec.capacity["chat"] = -1;
    if (random_.Chance(0.15)) spec.budget = random_.Int(0, 5);
    for (const std::string& queue : queues_) {
      if (random_.Chance(0.6)) {
        spec.queues.push_back({.queue = queue, .priority = random_.Int(0, 2)});
      }
    }
    if (random_.Chance(0.02)) spec.queues.push_back({.queue = "nowhere"});
    if (random_.Chance(0.02) && !spec.queues.empty()) spec.queues.push_back(spec.queues.front());
    return spec;
  }

  EngineItemSpec ItemSpec(const Population& p, absl::Time at) {
    EngineItemSpec spec;
    std::vector<std::string> free;
    for (const std::string& id : ItemIds()) {
      if (!p.items.contains(id)) free.push_back(id);
    }
    if (!free.empty() && random_.Chance(0.92)) {
      spec.id = random_.Pick(free);
    } else {
      spec.id = random_.Chance(0.1) ? "" : random_.Pick(ItemIds());
    }
    spec.queue = random_.Chance(0.03) ? "nowhere" : random_.Pick(queues_);
    const int ch = random_.Int(0, 99);
    spec.channel = ch < 3 ? "fax" : ch < 55 ? "chat" : ch < 80 ? "email" : "voice";
    spec.priority = Priority();
    spec.requirement = Requirement();
    if (random_.Chance(0.2)) spec.tier = "vip";
    spec.tags = Tags();
    if (random_.Chance(0.6)) spec.customer = absl::StrCat("c", random_.Int(0, 3));
    const int created = random_.Int(0, 99);
    if (created < 10) spec.created = at - absl::Minutes(random_.Int(0, 300));
    if (created == 10) spec.created = at + absl::Minutes(5);  // refused
    if (random_.Chance(0.1)) spec.deadline = at + absl::Minutes(random_.Int(5, 600));
    return spec;
  }

  Random random_;
  std::vector<std::string> queues_;
  std::vector<std::string> channels_;
};

inline std::string MapText(const std::map<std::string, int>& m) {
  return absl::StrJoin(m, ",", absl::PairFormatter("="));
}

// A command in one line, with its instant relative to `origin`.
inline std::string Describe(const EngineCommand& c, absl::Time origin) {
  std::string out = absl::StrCat(std::string(EngineCommandKindName(c.kind)), " @+",
                                 absl::FormatDuration(c.at - origin));
  switch (c.kind) {
    case EngineCommandKind::kAddAgent:
    case EngineCommandKind::kUpdateAgent: {
      std::vector<std::string> queues;
      for (const EngineQueueRef& q : c.agent_spec.queues) {
        queues.push_back(absl::StrCat(q.queue, "/", q.priority));
      }
      absl::StrAppend(&out, " id=", c.agent_spec.id, " skills={", MapText(c.agent_spec.skills),
                      "} capacity={", MapText(c.agent_spec.capacity),
                      "} budget=", c.agent_spec.budget ? absl::StrCat(*c.agent_spec.budget) : "-",
                      " queues=[", absl::StrJoin(queues, ","), "]");
      break;
    }
    case EngineCommandKind::kSubmit: {
      const EngineItemSpec& s = c.item_spec;
      absl::StrAppend(&out, " id=", s.id, " queue=", s.queue, " channel=", s.channel,
                      " priority=", s.priority, " must={", MapText(s.requirement.must),
                      "} excluded=[", absl::StrJoin(s.requirement.excluded, ","),
                      "] preferred=", s.requirement.preferred.size(), " tier=", s.tier, " tags=[",
                      absl::StrJoin(s.tags, ","), "] customer=", s.customer);
      if (s.created) absl::StrAppend(&out, " created=+", absl::FormatDuration(*s.created - origin));
      break;
    }
    case EngineCommandKind::kUpdate: {
      const EngineItemUpdate& u = c.update;
      absl::StrAppend(&out, " item=", c.item);
      if (u.priority) absl::StrAppend(&out, " priority=", *u.priority);
      if (u.tier) absl::StrAppend(&out, " tier=", *u.tier);
      if (u.tags) absl::StrAppend(&out, " tags=[", absl::StrJoin(*u.tags, ","), "]");
      if (u.requirement) {
        absl::StrAppend(&out, " must={", MapText(u.requirement->must), "} excluded=[",
                        absl::StrJoin(u.requirement->excluded, ","), "]");
      }
      if (u.deadline) absl::StrAppend(&out, " deadline");
      break;
    }
    case EngineCommandKind::kSetAgentState:
      absl::StrAppend(&out, " agent=", c.agent, " state=", std::string(AgentStateName(c.state)),
                      " reason=", c.text);
      break;
    default:
      if (!c.item.empty()) absl::StrAppend(&out, " item=", c.item);
      if (!c.agent.empty()) absl::StrAppend(&out, " agent=", c.agent);
      if (!c.text.empty()) absl::StrAppend(&out, " text=", c.text);
  }
  return out;
}

}  // namespace omniroute::reference_model

#endif  // OMNIROUTE_TESTS_REFERENCE_COMMANDS_H_
