// Routing decisions in both directions, against what a contact centre would otherwise run.
//
// Item arrives (BM_*_ItemArrival/agents/skills): {100, 1k, 10k, 50k} agents over catalogs of
// {16, 64, 256} skills and 100 queues. Agents come from round(3 * sqrt(agents)) skill profiles
// (30 at 100 agents, 95 at 1k, 300 at 10k, 671 at 50k), the team templates a centre assigns:
// each profile serves 2-4 queues and has 6-10 skills at levels 1-10, among them the "home" skill
// of each queue it serves (queue q's is skill q mod catalog size); agents are spread uniformly over
// the profiles, so a profile is one router bucket. Every agent is available with room for 3 chats
// (none taken); they became available 1 ms apart in a shuffled order, so idle-since instants
// differ. Items cycle through 4096 arrivals drawn up front: an anchor agent at random, one of its
// queues, that queue's home skill plus 1-2 other skills of the anchor at levels up to the
// anchor's (2-3 must-haves); one arrival in 20 wants level 10 in the home skill, which may find
// nobody. Timed: the item arrives and is offered to an agent (or waits), then is removed, which
// frees the agent (who finds no waiting work in its queues), so the state stays steady.
// items_per_second counts decisions; hit_ratio is the share of items offered at once.
//
// Baselines, each checked to offer the same agent as the router for the first 256 arrivals from
// the same state before timing. Eligible: available, a free chat slot, serves the queue, skills
// match; best: longest idle (no load first, then the earliest idle-since instant, then the agent
// index). The offer marks the agent busy and the removal idle again.
// - LinearScan: a std::vector of agent structs (skills as std::map<std::string, int>, a list of
//   queues), every agent scanned per decision, the cheap tests first.
// - Sqlite: an in-memory database shaped like FreeSWITCH mod_callcenter's (agents; tiers, one row
//   per agent and queue) plus agent_skills, integer keys; per decision one prepared
//   `SELECT ... FROM tiers JOIN agents ... WHERE queue AND status AND room AND EXISTS (skill at
//   level) per must-have ORDER BY loaded, last_idle, id LIMIT 1`, then the UPDATE that marks the
//   agent busy and the one that marks it idle. Indexes: tiers (queue, agent), agents (status,
//   loaded, last_idle), agent_skills (skill, agent, level); ANALYZE run; no journal.
// Goals at 10k agents / 64 skills: the router makes >= 10^6 decisions/s, >= 50x the linear scan
// and >= 200x SQLite.
//
// Agent frees capacity (BM_*_AgentFree/items): 1k or 100k waiting voice items spread uniformly
// over 100 queues (priority_fifo; priorities 0-2; arrivals over the past hour), each queue with 8
// requirements (2-3 must-haves over 64 skills) of which 4 are drawn from the agent's skills so
// the agent may take some of the items. One agent, with a single voice slot, serves 8 of the
// queues. Timed: the item the agent was offered is removed, so the agent takes the best item it
// may take across its queues (an offer); then a replacement for the removed item (same queue,
// requirement and priority, arriving now) is submitted and waits, since the only agent is busy,
// so the number of waiting items stays constant. Goal: < 2 us per decision at 100k items.
// Baseline LinearScan: a std::vector of waiting items, all scanned per decision with the router's
// rule (per queue: priority, arrival, submission order; across queues: earliest arrival, then the
// queue listed first), checked against the router for 256 decisions before timing.
//
// Shift start (BM_Router_ShiftStart/agents/batch): {100, 1000} offline agents (20 skill profiles
// over 16 skills, one chat slot each, serving 2 of 10 queues) and twice as many waiting chats
// (1-2 must-haves each). Timed: every agent logs in, one by one (batch:0) or inside one
// BeginBatch/EndBatch (batch:1, a minimum-cost maximum matching per round). items_per_second
// counts agents logged in; `assigned` is the number of items offered, so the two modes compare
// in cost and in how much work they place.
#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "benchmark_data.h"
#include "omniroute/agents.h"
#include "omniroute/router.h"
#include "omniroute/skills.h"
#include "omniroute/work_queue.h"

namespace {

using omniroute::benchmark_data::Check;
using omniroute::benchmark_data::Die;
using omniroute::benchmark_data::Uniform;

using omniroute::AgentIndex;
using omniroute::ChannelId;
using omniroute::QueueIndex;
using omniroute::SkillId;
using omniroute::SkillLevel;
using omniroute::WorkItemId;

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);
constexpr ChannelId kVoice = 0;
constexpr ChannelId kChat = 1;
constexpr int kQueues = 100;
constexpr int kChatsPerAgent = 3;
constexpr size_t kArrivals = 4096;
constexpr int kVerifiedDecisions = 256;

int64_t Nanos(absl::Time t) { return absl::ToUnixNanos(t); }

// The last value built, shared by the runs Google Benchmark makes of one benchmark and its
// arguments, so a costly setup happens once, not once per run.
template <typename T>
class LastBuilt {
 public:
  template <typename Build>
  std::shared_ptr<T> Get(int64_t key, Build&& build) {
    if (value_ == nullptr || key != key_) {
      // Two fixtures of 50k agents or 100k items need not be alive at once.
      value_.reset();
      value_ = build();
      key_ = key;
    }
    return value_;
  }

 private:
  int64_t key_ = -1;
  std::shared_ptr<T> value_;
};

omniroute::ChannelModel Channels() {
  return Check(omniroute::ChannelModel::Create({{.name = "voice", .cost = 60, .blocks = {"chat"}},
                                                {.name = "chat", .cost = 20}}),
               "channels");
}

omniroute::SkillCatalog Catalog(int skills) {
  omniroute::SkillCatalog catalog;
  for (int i = 0; i < skills; ++i) Check(catalog.Add("skill_" + std::to_string(i)), "catalog");
  return catalog;
}

omniroute::SkillSet SkillSetOf(const std::vector<SkillLevel>& levels) {
  omniroute::SkillSet skills;
  for (const SkillLevel& s : levels) Check(skills.Set(s.skill, s.level), "skill set");
  return skills;
}

std::map<std::string, int> NamedSkills(const omniroute::SkillCatalog& catalog,
                                       const std::vector<SkillLevel>& levels) {
  std::map<std::string, int> named;
  for (const SkillLevel& s : levels) named[std::string(catalog.Name(s.skill))] = s.level;
  return named;
}

// A requirement as a CRM writes it: skill names with minimum levels.
using NamedMust = std::vector<std::pair<std::string, int>>;

// 2-3 distinct skills of `levels` (the first one always, when `first_fixed`), each at a level up
// to the holder's.
std::vector<SkillLevel> MustHavesFrom(std::mt19937_64& rng, std::vector<SkillLevel> levels,
                                      bool first_fixed) {
  const size_t fixed = first_fixed ? 1 : 0;
  std::shuffle(levels.begin() + static_cast<ptrdiff_t>(fixed), levels.end(), rng);
  levels.resize(static_cast<size_t>(Uniform(rng, 2, 3)));
  for (SkillLevel& s : levels) s.level = Uniform(rng, 1, s.level);
  return levels;
}

struct Requirement {
  std::vector<SkillLevel> must;
  NamedMust named;
  std::shared_ptr<const omniroute::RequirementPlan> plan;
};

Requirement MakeRequirement(const omniroute::SkillCatalog& catalog, std::vector<SkillLevel> must) {
  omniroute::RequirementSpec spec;
  NamedMust named;
  for (const SkillLevel& s : must) {
    spec.must.push_back({s.skill, s.level, {}});
    named.emplace_back(catalog.Name(s.skill), s.level);
  }
  auto plan = std::make_shared<const omniroute::RequirementPlan>(
      Check(omniroute::RequirementPlan::Create(spec, catalog), "requirement"));
  return {std::move(must), std::move(named), std::move(plan)};
}

bool MatchesByName(const std::map<std::string, int>& skills, const NamedMust& must) {
  for (const auto& [name, level] : must) {
    const auto it = skills.find(name);
    if (it == skills.end() || it->second < level) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Item arrives.

struct Profile {
  std::vector<SkillLevel> skills;  // ascending id
  std::vector<QueueIndex> queues;
};

struct Arrival {
  QueueIndex queue = 0;
  Requirement requirement;
};

struct ArrivalScenario {
  omniroute::SkillCatalog catalog;
  std::vector<Profile> profiles;
  std::vector<uint32_t> profile_of;  // per agent
  // Agents in the order they became available, 1 ms apart from kStart.
  std::vector<AgentIndex> availability_order;
  std::vector<int64_t> idle_since_ns;  // per agent
  std::vector<Arrival> arrivals;
  absl::Time now;
};

ArrivalScenario MakeArrivalScenario(int agents, int skills) {
  ArrivalScenario s;
  std::mt19937_64 rng(20260501 + agents * 1000 + skills);
  s.catalog = Catalog(skills);
  const auto home_skill = [skills](QueueIndex queue) {
    return static_cast<SkillId>(static_cast<int>(queue) % skills);
  };
  const int profiles = static_cast<int>(std::lround(3 * std::sqrt(agents)));
  for (int p = 0; p < profiles; ++p) {
    Profile profile;
    std::map<SkillId, int> levels;
    const auto queues = static_cast<size_t>(Uniform(rng, 2, 4));
    while (profile.queues.size() < queues) {
      const auto queue = static_cast<QueueIndex>(Uniform(rng, 0, kQueues - 1));
      if (std::find(profile.queues.begin(), profile.queues.end(), queue) != profile.queues.end()) {
        continue;
      }
      profile.queues.push_back(queue);
      levels[home_skill(queue)] = Uniform(rng, 1, 10);
    }
    const size_t wanted = std::max(levels.size(), static_cast<size_t>(Uniform(rng, 6, 10)));
    while (levels.size() < wanted) {
      levels.try_emplace(static_cast<SkillId>(Uniform(rng, 0, skills - 1)), Uniform(rng, 1, 10));
    }
    for (const auto& [skill, level] : levels) profile.skills.push_back({skill, level});
    s.profiles.push_back(std::move(profile));
  }
  for (int a = 0; a < agents; ++a) {
    s.profile_of.push_back(static_cast<uint32_t>(Uniform(rng, 0, profiles - 1)));
    s.availability_order.push_back(static_cast<AgentIndex>(a));
  }
  std::shuffle(s.availability_order.begin(), s.availability_order.end(), rng);
  s.idle_since_ns.resize(agents);
  for (size_t position = 0; position < s.availability_order.size(); ++position) {
    s.idle_since_ns[s.availability_order[position]] =
        Nanos(kStart + absl::Milliseconds(static_cast<int64_t>(position)));
  }
  s.now = kStart + absl::Milliseconds(agents);

  for (size_t i = 0; i < kArrivals; ++i) {
    const Profile& anchor = s.profiles[s.profile_of[Uniform(rng, 0, agents - 1)]];
    const QueueIndex queue =
        anchor.queues[Uniform(rng, 0, static_cast<int>(anchor.queues.size()) - 1)];
    std::vector<SkillLevel> levels = anchor.skills;
    const auto home = std::find_if(levels.begin(), levels.end(), [&](const SkillLevel& l) {
      return l.skill == home_skill(queue);
    });
    std::iter_swap(levels.begin(), home);
    std::vector<SkillLevel> must = MustHavesFrom(rng, std::move(levels), /*first_fixed=*/true);
    if (Uniform(rng, 0, 19) == 0) must.front().level = 10;
    s.arrivals.push_back({queue, MakeRequirement(s.catalog, std::move(must))});
  }
  return s;
}

int64_t ArrivalKey(const benchmark::State& state) { return state.range(0) * 1000 + state.range(1); }

// The scenario of the benchmark's arguments (agents, skills).
std::shared_ptr<const ArrivalScenario> ArrivalScenarioFor(const benchmark::State& state) {
  static LastBuilt<const ArrivalScenario> scenarios;
  return scenarios.Get(ArrivalKey(state), [&state] {
    return std::make_shared<const ArrivalScenario>(
        MakeArrivalScenario(static_cast<int>(state.range(0)), static_cast<int>(state.range(1))));
  });
}

std::unique_ptr<omniroute::Router> BuildArrivalRouter(const ArrivalScenario& s) {
  auto router = std::make_unique<omniroute::Router>(Channels(), omniroute::RouterOptions{}, kStart);
  for (int q = 0; q < kQueues; ++q) {
    Check(router->AddQueue("queue_" + std::to_string(q), {}), "queue");
  }
  std::vector<omniroute::SkillSet> profile_skills;
  for (const Profile& profile : s.profiles) profile_skills.push_back(SkillSetOf(profile.skills));
  for (size_t a = 0; a < s.profile_of.size(); ++a) {
    const Profile& profile = s.profiles[s.profile_of[a]];
    omniroute::AgentConfig config{.id = "agent_" + std::to_string(a),
                                  .skills = profile_skills[s.profile_of[a]],
                                  .capacity = {.budget = 60, .limits = {1, kChatsPerAgent}}};
    for (QueueIndex queue : profile.queues) config.queues.push_back({.queue = queue});
    Check(router->AddAgent(std::move(config)), "agent");
  }
  for (size_t position = 0; position < s.availability_order.size(); ++position) {
    Check(router->AdvanceTo(kStart + absl::Milliseconds(static_cast<int64_t>(position))),
          "advance");
    Check(router->SetAgentState(s.availability_order[position], omniroute::AgentState::kAvailable),
          "available");
  }
  Check(router->AdvanceTo(s.now), "advance");
  (void)router->PollEvents();
  return router;
}

// The item arrives and is removed again; returns the agent it was offered to, kNoAgent if none.
AgentIndex RouterArrival(omniroute::Router& router, WorkItemId id, const Arrival& arrival) {
  Check(router.Submit(id, arrival.queue,
                      {.priority = 0,
                       .arrival = router.now(),
                       .requirement = arrival.requirement.plan,
                       .channel = kChat}),
        "submit");
  const std::vector<omniroute::RoutingEvent> events = router.PollEvents();
  const AgentIndex agent =
      !events.empty() && events.front().kind == omniroute::RoutingEventKind::kOffered
          ? events.front().agent
          : omniroute::kNoAgent;
  Check(router.Remove(id), "remove");
  return agent;
}

// The agents as a CRM keeps them in memory.
class LinearScanAgents {
 public:
  explicit LinearScanAgents(const ArrivalScenario& s) {
    for (size_t a = 0; a < s.profile_of.size(); ++a) {
      const Profile& profile = s.profiles[s.profile_of[a]];
      agents_.push_back({.skills = NamedSkills(s.catalog, profile.skills),
                         .queues = profile.queues,
                         .idle_since_ns = s.idle_since_ns[a]});
    }
  }

  // Offers the arrival to the best eligible agent, then takes it back; returns the agent.
  AgentIndex Decide(const Arrival& arrival, int64_t now_ns) {
    AgentIndex best = omniroute::kNoAgent;
    for (AgentIndex a = 0; a < agents_.size(); ++a) {
      const Agent& agent = agents_[a];
      if (!agent.available || agent.chats >= agent.max_chats) continue;
      if (std::find(agent.queues.begin(), agent.queues.end(), arrival.queue) ==
          agent.queues.end()) {
        continue;
      }
      if (!MatchesByName(agent.skills, arrival.requirement.named)) continue;
      if (best == omniroute::kNoAgent || RanksBefore(agent, agents_[best])) best = a;
    }
    if (best == omniroute::kNoAgent) return best;
    Offer(agents_[best], now_ns);
    Release(agents_[best], now_ns);
    return best;
  }

 private:
  struct Agent {
    std::map<std::string, int> skills;
    std::vector<QueueIndex> queues;
    bool available = true;
    int chats = 0;
    int max_chats = kChatsPerAgent;
    int64_t idle_since_ns = 0;
  };

  static void Offer(Agent& agent, int64_t now_ns) {
    ++agent.chats;
    agent.idle_since_ns = now_ns;
  }
  static void Release(Agent& agent, int64_t now_ns) {
    --agent.chats;
    if (agent.chats == 0) agent.idle_since_ns = now_ns;
  }

  // Scanning in index order, a tie keeps the earlier agent.
  static bool RanksBefore(const Agent& a, const Agent& b) {
    if ((a.chats > 0) != (b.chats > 0)) return a.chats == 0;
    return a.idle_since_ns < b.idle_since_ns;
  }

  std::vector<Agent> agents_;
};

class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement_, nullptr) != SQLITE_OK) {
      Die("prepare", sqlite3_errmsg(db));
    }
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() { sqlite3_finalize(statement_); }

  sqlite3_stmt* get() const { return statement_; }
  void Bind(int index, int64_t value) const { sqlite3_bind_int64(statement_, index, value); }
  // Steps once; true when a row came back.
  bool Step() const {
    const int result = sqlite3_step(statement_);
    if (result != SQLITE_ROW && result != SQLITE_DONE) {
      Die("step", sqlite3_errmsg(sqlite3_db_handle(statement_)));
    }
    return result == SQLITE_ROW;
  }
  void Reset() const { sqlite3_reset(statement_); }

 private:
  sqlite3_stmt* statement_ = nullptr;
};

void Execute(sqlite3* db, const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    Die(sql, error == nullptr ? "?" : error);
  }
}

// The agents in an in-memory SQLite database, queried as FreeSWITCH mod_callcenter does.
class SqliteAgents {
 public:
  static constexpr int kAvailable = 1;

  explicit SqliteAgents(const ArrivalScenario& s) : db_(Open()) {
    Execute(db_.get(),
            "PRAGMA journal_mode = OFF;"
            "CREATE TABLE agents (id INTEGER PRIMARY KEY, name TEXT NOT NULL, status INTEGER NOT "
            "NULL, chats INTEGER NOT NULL, max_chats INTEGER NOT NULL, loaded INTEGER NOT NULL, "
            "last_idle INTEGER NOT NULL);"
            "CREATE TABLE tiers (queue INTEGER NOT NULL, agent INTEGER NOT NULL, level INTEGER "
            "NOT NULL, position INTEGER NOT NULL);"
            "CREATE TABLE agent_skills (agent INTEGER NOT NULL, skill INTEGER NOT NULL, level "
            "INTEGER NOT NULL);"
            "BEGIN;");
    {
      const Statement agent(db_.get(), "INSERT INTO agents VALUES (?1, ?2, ?3, 0, ?4, 0, ?5)");
      const Statement tier(db_.get(), "INSERT INTO tiers VALUES (?1, ?2, 1, 1)");
      const Statement skill(db_.get(), "INSERT INTO agent_skills VALUES (?1, ?2, ?3)");
      for (size_t a = 0; a < s.profile_of.size(); ++a) {
        const std::string name = "agent_" + std::to_string(a);
        agent.Bind(1, static_cast<int64_t>(a));
        sqlite3_bind_text(agent.get(), 2, name.c_str(), -1, SQLITE_TRANSIENT);
        agent.Bind(3, kAvailable);
        agent.Bind(4, kChatsPerAgent);
        agent.Bind(5, s.idle_since_ns[a]);
        agent.Step();
        agent.Reset();
        const Profile& profile = s.profiles[s.profile_of[a]];
        for (QueueIndex queue : profile.queues) {
          tier.Bind(1, queue);
          tier.Bind(2, static_cast<int64_t>(a));
          tier.Step();
          tier.Reset();
        }
        for (const SkillLevel& level : profile.skills) {
          skill.Bind(1, static_cast<int64_t>(a));
          skill.Bind(2, level.skill);
          skill.Bind(3, level.level);
          skill.Step();
          skill.Reset();
        }
      }
    }
    Execute(db_.get(),
            "COMMIT;"
            "CREATE INDEX tiers_by_queue ON tiers (queue, agent);"
            "CREATE INDEX agents_by_idle ON agents (status, loaded, last_idle);"
            "CREATE INDEX skills_by_skill ON agent_skills (skill, agent, level);"
            "ANALYZE;");
    for (int musts = 2; musts <= 3; ++musts) {
      std::string sql =
          "SELECT agents.id FROM tiers JOIN agents ON agents.id = tiers.agent"
          " WHERE tiers.queue = ?1 AND agents.status = " +
          std::to_string(kAvailable) + " AND agents.chats < agents.max_chats";
      for (int m = 0; m < musts; ++m) {
        sql += " AND EXISTS (SELECT 1 FROM agent_skills WHERE agent_skills.skill = ?" +
               std::to_string(2 + 2 * m) + " AND agent_skills.agent = agents.id" +
               " AND agent_skills.level >= ?" + std::to_string(3 + 2 * m) + ")";
      }
      sql += " ORDER BY agents.loaded, agents.last_idle, agents.id LIMIT 1";
      select_by_musts_.push_back(std::make_unique<Statement>(db_.get(), sql));
    }
    offer_ = std::make_unique<Statement>(
        db_.get(), "UPDATE agents SET chats = chats + 1, loaded = 1, last_idle = ?2 WHERE id = ?1");
    release_ = std::make_unique<Statement>(
        db_.get(),
        "UPDATE agents SET chats = chats - 1, loaded = chats > 1, last_idle = CASE WHEN chats = 1 "
        "THEN ?2 ELSE last_idle END WHERE id = ?1");
  }

  AgentIndex Decide(const Arrival& arrival, int64_t now_ns) {
    const std::vector<SkillLevel>& must = arrival.requirement.must;
    const Statement& select = *select_by_musts_[must.size() - 2];
    select.Bind(1, arrival.queue);
    for (size_t m = 0; m < must.size(); ++m) {
      select.Bind(static_cast<int>(2 + 2 * m), must[m].skill);
      select.Bind(static_cast<int>(3 + 2 * m), must[m].level);
    }
    const bool found = select.Step();
    const int64_t agent = found ? sqlite3_column_int64(select.get(), 0) : -1;
    select.Reset();
    if (!found) return omniroute::kNoAgent;
    for (const Statement* update : {offer_.get(), release_.get()}) {
      update->Bind(1, agent);
      update->Bind(2, now_ns);
      update->Step();
      update->Reset();
    }
    return static_cast<AgentIndex>(agent);
  }

  // The plan SQLite chose for the 3-must-have query, for the record.
  std::string Plan() const {
    std::string plan;
    const Statement explain(
        db_.get(), "EXPLAIN QUERY PLAN " + std::string(sqlite3_sql(select_by_musts_[1]->get())));
    while (explain.Step()) {
      plan += reinterpret_cast<const char*>(sqlite3_column_text(explain.get(), 3));
      plan += "; ";
    }
    return plan;
  }

 private:
  struct Closer {
    void operator()(sqlite3* db) const { sqlite3_close(db); }
  };

  static sqlite3* Open() {
    sqlite3* db = nullptr;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) Die("sqlite", "cannot open a database");
    return db;
  }

  std::unique_ptr<sqlite3, Closer> db_;
  std::vector<std::unique_ptr<Statement>> select_by_musts_;  // by must-haves - 2
  std::unique_ptr<Statement> offer_;
  std::unique_ptr<Statement> release_;
};

// The first arrival (of the scenario's first ones, from its initial state) that `decide` offers
// to another agent than the router does, described; empty when they agree.
template <typename Decide>
std::string DisagreementWithRouter(const ArrivalScenario& s, Decide&& decide) {
  const std::unique_ptr<omniroute::Router> router = BuildArrivalRouter(s);
  for (int i = 0; i < kVerifiedDecisions; ++i) {
    const Arrival& arrival = s.arrivals[i];
    const AgentIndex expected = RouterArrival(*router, static_cast<WorkItemId>(i + 1), arrival);
    const AgentIndex got = decide(arrival);
    if (got != expected) {
      return "arrival " + std::to_string(i) + ": the baseline chose agent " + std::to_string(got) +
             ", the router " + std::to_string(expected);
    }
  }
  return "";
}

// A baseline with its scenario, checked against the router once built.
template <typename Agents>
struct CheckedBaseline {
  explicit CheckedBaseline(std::shared_ptr<const ArrivalScenario> s)
      : scenario(std::move(s)), now_ns(Nanos(scenario->now)), agents(*scenario) {
    disagreement = DisagreementWithRouter(
        *scenario, [this](const Arrival& arrival) { return agents.Decide(arrival, now_ns); });
  }

  std::shared_ptr<const ArrivalScenario> scenario;
  int64_t now_ns;
  Agents agents;
  std::string disagreement;
};

void ReportArrivals(benchmark::State& state, int64_t offered) {
  state.SetItemsProcessed(state.iterations());
  state.counters["hit_ratio"] =
      static_cast<double>(offered) / static_cast<double>(state.iterations());
}

struct ArrivalRouter {
  std::shared_ptr<const ArrivalScenario> scenario;
  std::unique_ptr<omniroute::Router> router;
};

void BM_Router_ItemArrival(benchmark::State& state) {
  static LastBuilt<ArrivalRouter> routers;
  const std::shared_ptr<ArrivalRouter> built = routers.Get(ArrivalKey(state), [&state] {
    std::shared_ptr<const ArrivalScenario> scenario = ArrivalScenarioFor(state);
    std::unique_ptr<omniroute::Router> router = BuildArrivalRouter(*scenario);
    return std::make_shared<ArrivalRouter>(ArrivalRouter{std::move(scenario), std::move(router)});
  });
  const std::vector<Arrival>& arrivals = built->scenario->arrivals;
  int64_t offered = 0;
  WorkItemId id = 0;
  for (auto _ : state) {
    ++id;
    offered += RouterArrival(*built->router, id, arrivals[id % kArrivals]) != omniroute::kNoAgent;
  }
  ReportArrivals(state, offered);
}

template <typename Agents>
void RunBaseline(benchmark::State& state, CheckedBaseline<Agents>& baseline) {
  if (!baseline.disagreement.empty()) {
    state.SkipWithError(baseline.disagreement.c_str());
    return;
  }
  const std::vector<Arrival>& arrivals = baseline.scenario->arrivals;
  int64_t offered = 0;
  size_t next = 0;
  for (auto _ : state) {
    offered += baseline.agents.Decide(arrivals[next++ % kArrivals], baseline.now_ns) !=
               omniroute::kNoAgent;
  }
  ReportArrivals(state, offered);
}

void BM_LinearScan_ItemArrival(benchmark::State& state) {
  static LastBuilt<CheckedBaseline<LinearScanAgents>> baselines;
  RunBaseline(state, *baselines.Get(ArrivalKey(state), [&state] {
    return std::make_shared<CheckedBaseline<LinearScanAgents>>(ArrivalScenarioFor(state));
  }));
}

void BM_Sqlite_ItemArrival(benchmark::State& state) {
  static LastBuilt<CheckedBaseline<SqliteAgents>> baselines;
  const std::shared_ptr<CheckedBaseline<SqliteAgents>> baseline =
      baselines.Get(ArrivalKey(state), [&state] {
        return std::make_shared<CheckedBaseline<SqliteAgents>>(ArrivalScenarioFor(state));
      });
  RunBaseline(state, *baseline);
  state.SetLabel(baseline->agents.Plan());
}

void ArrivalArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"agents", "skills"});
  for (int64_t agents : {100, 1000, 10000, 50000}) {
    for (int64_t skills : {16, 64, 256}) b->Args({agents, skills});
  }
}

BENCHMARK(BM_Router_ItemArrival)->Apply(ArrivalArgs);
BENCHMARK(BM_LinearScan_ItemArrival)->Apply(ArrivalArgs);
BENCHMARK(BM_Sqlite_ItemArrival)->Apply(ArrivalArgs);

// ---------------------------------------------------------------------------------------------
// Agent frees capacity.

constexpr int kFreeSkills = 64;
constexpr size_t kFreeAgentQueues = 8;
constexpr size_t kRequirementsPerQueue = 8;
// An item id carries its slot in the scenario's item table in its low bits.
constexpr int kSlotBits = 20;

struct WaitingItem {
  QueueIndex queue = 0;
  int priority = 0;
  int64_t arrival_ns = 0;
  size_t requirement = 0;  // index into its queue's requirements
};

struct AgentFreeScenario {
  omniroute::SkillCatalog catalog;
  std::vector<SkillLevel> agent_skills;
  std::vector<QueueIndex> agent_queues;            // in the agent's listing order
  std::vector<std::vector<Requirement>> required;  // per queue
  std::vector<WaitingItem> items;                  // by slot
  absl::Time now;
};

AgentFreeScenario MakeAgentFreeScenario(int items) {
  AgentFreeScenario s;
  std::mt19937_64 rng(20260502 + items);
  s.catalog = Catalog(kFreeSkills);
  std::map<SkillId, int> levels;
  while (levels.size() < 8) {
    levels.try_emplace(static_cast<SkillId>(Uniform(rng, 0, kFreeSkills - 1)), Uniform(rng, 4, 10));
  }
  for (const auto& [skill, level] : levels) s.agent_skills.push_back({skill, level});
  while (s.agent_queues.size() < kFreeAgentQueues) {
    const auto queue = static_cast<QueueIndex>(Uniform(rng, 0, kQueues - 1));
    if (std::find(s.agent_queues.begin(), s.agent_queues.end(), queue) == s.agent_queues.end()) {
      s.agent_queues.push_back(queue);
    }
  }
  // Half of each queue's requirements are drawn from the agent's skills, half from any skills.
  s.required.resize(kQueues);
  for (std::vector<Requirement>& required : s.required) {
    while (required.size() < kRequirementsPerQueue) {
      std::vector<SkillLevel> pool = s.agent_skills;
      if (required.size() >= kRequirementsPerQueue / 2) {
        std::map<SkillId, int> any;
        while (any.size() < 3) {
          any.try_emplace(static_cast<SkillId>(Uniform(rng, 0, kFreeSkills - 1)), 10);
        }
        pool.clear();
        for (const auto& [skill, level] : any) pool.push_back({skill, level});
      }
      required.push_back(
          MakeRequirement(s.catalog, MustHavesFrom(rng, std::move(pool), /*first_fixed=*/false)));
    }
  }
  s.now = kStart + absl::Hours(1);
  for (int i = 0; i < items; ++i) {
    s.items.push_back({static_cast<QueueIndex>(Uniform(rng, 0, kQueues - 1)), Uniform(rng, 0, 2),
                       Nanos(kStart + absl::Milliseconds(Uniform(rng, 0, 3'600'000))),
                       static_cast<size_t>(Uniform(rng, 0, kRequirementsPerQueue - 1))});
  }
  return s;
}

std::shared_ptr<const AgentFreeScenario> AgentFreeScenarioFor(const benchmark::State& state) {
  static LastBuilt<const AgentFreeScenario> scenarios;
  return scenarios.Get(state.range(0), [&state] {
    return std::make_shared<const AgentFreeScenario>(
        MakeAgentFreeScenario(static_cast<int>(state.range(0))));
  });
}

size_t SlotOf(WorkItemId id) {
  return static_cast<size_t>(id & ((WorkItemId{1} << kSlotBits) - 1));
}

// The router with every item of the scenario waiting but the one the agent holds an offer for.
class AgentFreeRouter {
 public:
  explicit AgentFreeRouter(std::shared_ptr<const AgentFreeScenario> s)
      : scenario_(std::move(s)), router_(Channels(), omniroute::RouterOptions{}, scenario_->now) {
    for (int q = 0; q < kQueues; ++q) {
      Check(router_.AddQueue("queue_" + std::to_string(q), {}), "queue");
    }
    omniroute::AgentConfig config{.id = "agent",
                                  .skills = SkillSetOf(scenario_->agent_skills),
                                  .capacity = {.budget = 60, .limits = {1, 0}}};
    for (QueueIndex queue : scenario_->agent_queues) config.queues.push_back({.queue = queue});
    const AgentIndex agent = Check(router_.AddAgent(std::move(config)), "agent");
    for (size_t slot = 0; slot < scenario_->items.size(); ++slot) {
      Submit(slot, scenario_->items[slot].arrival_ns);
    }
    (void)router_.PollEvents();
    Check(router_.SetAgentState(agent, omniroute::AgentState::kAvailable), "available");
    offered_ = TakeOffer();
  }

  WorkItemId offered() const { return offered_; }

  // Removes the offered item, so the agent takes the best waiting one, then submits a
  // replacement for the removed item; returns the item now offered.
  WorkItemId Decide() {
    const size_t slot = SlotOf(offered_);
    Check(router_.Remove(offered_), "remove");
    Submit(slot, Nanos(router_.now()));
    offered_ = TakeOffer();
    return offered_;
  }

 private:
  void Submit(size_t slot, int64_t arrival_ns) {
    const WaitingItem& item = scenario_->items[slot];
    Check(router_.Submit((++serial_ << kSlotBits) | slot, item.queue,
                         {.priority = item.priority,
                          .arrival = absl::FromUnixNanos(arrival_ns),
                          .requirement = scenario_->required[item.queue][item.requirement].plan,
                          .channel = kVoice}),
          "submit");
  }

  WorkItemId TakeOffer() {
    for (const omniroute::RoutingEvent& event : router_.PollEvents()) {
      if (event.kind == omniroute::RoutingEventKind::kOffered) return event.item;
    }
    Die("agent free", "the agent was offered nothing");
    return 0;
  }

  std::shared_ptr<const AgentFreeScenario> scenario_;
  omniroute::Router router_;
  WorkItemId serial_ = 0;
  WorkItemId offered_ = 0;
};

// The waiting items as a CRM keeps them in memory.
class LinearScanItems {
 public:
  explicit LinearScanItems(std::shared_ptr<const AgentFreeScenario> s)
      : scenario_(std::move(s)),
        agent_skills_(NamedSkills(scenario_->catalog, scenario_->agent_skills)),
        agent_queues_(scenario_->agent_queues) {
    for (size_t slot = 0; slot < scenario_->items.size(); ++slot) {
      Add(slot, scenario_->items[slot].arrival_ns);
    }
    offered_slot_ = TakeBest();
  }

  size_t offered_slot() const { return offered_slot_; }

  // As `AgentFreeRouter::Decide`, with the replacement arriving at `now_ns`; returns the slot of
  // the item now offered.
  size_t Decide(int64_t now_ns) {
    const size_t removed = offered_slot_;
    offered_slot_ = TakeBest();
    Add(removed, now_ns);
    return offered_slot_;
  }

 private:
  struct Item {
    size_t slot;
    QueueIndex queue;
    int priority;
    int64_t arrival_ns;
    uint64_t sequence;
    const NamedMust* must;
  };

  void Add(size_t slot, int64_t arrival_ns) {
    const WaitingItem& item = scenario_->items[slot];
    waiting_.push_back({slot, item.queue, item.priority, arrival_ns, next_sequence_++,
                        &scenario_->required[item.queue][item.requirement].named});
  }

  // Takes the best item the agent may take off the waiting list; returns its slot.
  size_t TakeBest() {
    std::vector<ptrdiff_t> best_in_queue(agent_queues_.size(), -1);
    for (size_t i = 0; i < waiting_.size(); ++i) {
      const Item& item = waiting_[i];
      const auto listed = std::find(agent_queues_.begin(), agent_queues_.end(), item.queue);
      if (listed == agent_queues_.end()) continue;
      if (!MatchesByName(agent_skills_, *item.must)) continue;
      ptrdiff_t& best = best_in_queue[listed - agent_queues_.begin()];
      if (best < 0 || InQueueBefore(item, waiting_[best])) best = static_cast<ptrdiff_t>(i);
    }
    ptrdiff_t chosen = -1;
    for (ptrdiff_t best : best_in_queue) {
      if (best >= 0 && (chosen < 0 || waiting_[best].arrival_ns < waiting_[chosen].arrival_ns)) {
        chosen = best;
      }
    }
    if (chosen < 0) Die("linear scan", "the agent may take no item");
    const size_t slot = waiting_[chosen].slot;
    waiting_[chosen] = waiting_.back();
    waiting_.pop_back();
    return slot;
  }

  static bool InQueueBefore(const Item& a, const Item& b) {
    if (a.priority != b.priority) return a.priority < b.priority;
    if (a.arrival_ns != b.arrival_ns) return a.arrival_ns < b.arrival_ns;
    return a.sequence < b.sequence;
  }

  std::shared_ptr<const AgentFreeScenario> scenario_;
  std::map<std::string, int> agent_skills_;
  std::vector<QueueIndex> agent_queues_;
  std::vector<Item> waiting_;
  uint64_t next_sequence_ = 0;
  size_t offered_slot_ = 0;
};

void BM_Router_AgentFree(benchmark::State& state) {
  static LastBuilt<AgentFreeRouter> routers;
  const std::shared_ptr<AgentFreeRouter> router = routers.Get(state.range(0), [&state] {
    return std::make_shared<AgentFreeRouter>(AgentFreeScenarioFor(state));
  });
  for (auto _ : state) benchmark::DoNotOptimize(router->Decide());
  state.SetItemsProcessed(state.iterations());
}

// The linear scan, checked to offer the same items as the router from the same state.
struct CheckedItems {
  explicit CheckedItems(std::shared_ptr<const AgentFreeScenario> s)
      : now_ns(Nanos(s->now)), items(s) {
    AgentFreeRouter router(std::move(s));
    agrees = SlotOf(router.offered()) == items.offered_slot();
    for (int i = 0; agrees && i < kVerifiedDecisions; ++i) {
      agrees = SlotOf(router.Decide()) == items.Decide(now_ns);
    }
  }

  int64_t now_ns;
  LinearScanItems items;
  bool agrees = false;
};

void BM_LinearScan_AgentFree(benchmark::State& state) {
  static LastBuilt<CheckedItems> baselines;
  const std::shared_ptr<CheckedItems> baseline = baselines.Get(state.range(0), [&state] {
    return std::make_shared<CheckedItems>(AgentFreeScenarioFor(state));
  });
  if (!baseline->agrees) {
    state.SkipWithError("the linear scan and the router offer different items");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(baseline->items.Decide(baseline->now_ns));
  state.SetItemsProcessed(state.iterations());
}

void BM_Router_ShiftStart(benchmark::State& state) {
  const int agents = static_cast<int>(state.range(0));
  const bool batch = state.range(1) != 0;
  constexpr int kShiftQueues = 10;
  constexpr int kSkills = 16;
  constexpr int kProfiles = 20;
  int64_t assigned = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::mt19937_64 rng(20261123);
    omniroute::SkillCatalog catalog = Catalog(kSkills);
    omniroute::Router router(Channels(), omniroute::RouterOptions{}, kStart);
    for (int q = 0; q < kShiftQueues; ++q) {
      Check(router.AddQueue("shift_" + std::to_string(q), {}), "queue");
    }
    std::vector<omniroute::SkillSet> profiles(kProfiles);
    std::vector<std::vector<omniroute::QueueAssignment>> profile_queues(kProfiles);
    for (int p = 0; p < kProfiles; ++p) {
      for (int k = 0; k < 5; ++k) {
        (void)profiles[p].Set(static_cast<SkillId>(Uniform(rng, 0, kSkills - 1)),
                              Uniform(rng, 1, 10));
      }
      const int first = Uniform(rng, 0, kShiftQueues - 1);
      profile_queues[p] = {{.queue = static_cast<QueueIndex>(first)},
                           {.queue = static_cast<QueueIndex>((first + 1) % kShiftQueues)}};
    }
    std::vector<AgentIndex> staff;
    for (int a = 0; a < agents; ++a) {
      const int p = Uniform(rng, 0, kProfiles - 1);
      staff.push_back(Check(router.AddAgent({.id = "shift_agent_" + std::to_string(a),
                                             .skills = profiles[p],
                                             .queues = profile_queues[p],
                                             .capacity = {.budget = 60, .limits = {0, 1}}}),
                            "agent"));
    }
    for (int i = 0; i < 2 * agents; ++i) {
      omniroute::RequirementSpec spec;
      const int musts = Uniform(rng, 1, 2);
      for (int m = 0; m < musts; ++m) {
        const auto skill = static_cast<SkillId>(Uniform(rng, 0, kSkills - 1));
        if (std::none_of(spec.must.begin(), spec.must.end(),
                         [skill](const omniroute::MustHave& h) { return h.skill == skill; })) {
          spec.must.push_back({skill, Uniform(rng, 1, 5)});
        }
      }
      Check(router.Submit(static_cast<WorkItemId>(i + 1),
                          static_cast<QueueIndex>(Uniform(rng, 0, kShiftQueues - 1)),
                          {.priority = Uniform(rng, 0, 2),
                           .arrival = kStart,
                           .requirement = std::make_shared<const omniroute::RequirementPlan>(
                               Check(omniroute::RequirementPlan::Create(spec, catalog), "plan")),
                           .channel = kChat}),
            "submit");
    }
    (void)router.PollEvents();
    state.ResumeTiming();
    if (batch) router.BeginBatch();
    for (AgentIndex agent : staff) {
      Check(router.SetAgentState(agent, omniroute::AgentState::kAvailable), "available");
    }
    if (batch) Check(router.EndBatch(), "batch");
    state.PauseTiming();
    for (const omniroute::RoutingEvent& event : router.PollEvents()) {
      assigned += event.kind == omniroute::RoutingEventKind::kOffered;
    }
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * agents);
  state.counters["assigned"] =
      benchmark::Counter(static_cast<double>(assigned) / static_cast<double>(state.iterations()));
}

BENCHMARK(BM_Router_AgentFree)->ArgName("items")->Arg(1000)->Arg(100000);
BENCHMARK(BM_LinearScan_AgentFree)->ArgName("items")->Arg(1000)->Arg(100000);
BENCHMARK(BM_Router_ShiftStart)
    ->ArgNames({"agents", "batch"})
    ->ArgsProduct({{100, 1000}, {0, 1}})
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);

}  // namespace
