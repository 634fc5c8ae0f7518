// Requirement matching against agents' skills, compared with name-keyed maps.
//
// A population of 10^4 agents is drawn over a catalog of 64 or 256 skills (the argument): each
// agent has each of 8 "common" skills (spread over the whole id range, so a 256-skill requirement
// touches several bitset words) with probability 1/2 and 6 random others, at levels 1-10; one
// agent in ten carries the "trainee" tag. A requirement asks for 3 common skills at levels 3-5 and
// excludes trainees, so a few percent of the agents match. Each iteration checks every agent
// against one of 16 such requirements in turn; items processed are agent checks.
//
// Baselines: the same agents as std::map<std::string, int> and as
// absl::flat_hash_map<std::string, int>, the requirement as a list of (name, level) pairs plus a
// list of excluded names, matched the way a CRM typically does it. Each baseline's match count is
// checked against `Requirement::Matches` before timing. Goal: >= 10^8 agent checks per second.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "benchmark/benchmark.h"
#include "omniroute/skills.h"

namespace {

constexpr int kAgents = 10000;
constexpr int kRequirements = 16;
constexpr int kCommonSkills = 8;
constexpr int kOtherSkillsPerAgent = 6;

// A requirement as a CRM writes it.
struct NamedRule {
  std::vector<std::pair<std::string, int>> must;
  std::vector<std::string> excluded;
};

struct Population {
  omniroute::SkillCatalog catalog;
  std::vector<omniroute::SkillSet> agents;
  std::vector<std::map<std::string, int>> map_agents;
  std::vector<absl::flat_hash_map<std::string, int>> hash_agents;
  std::vector<omniroute::Requirement> requirements;
  std::vector<omniroute::Requirement> widened;  // each must-have also accepts one other skill
  std::vector<NamedRule> rules;
};

void Die(const absl::Status& status) {
  std::fprintf(stderr, "skills benchmark setup: %s\n", std::string(status.message()).c_str());
  std::abort();
}

Population MakePopulation(int skills) {
  Population p;
  std::mt19937_64 rng(20260406 + skills);
  const auto uniform = [&rng](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  for (int i = 0; i < skills; ++i) {
    if (absl::Status s = p.catalog.Add("skill_" + std::to_string(i)).status(); !s.ok()) Die(s);
  }
  // Common skills spread over the id range; the trainee tag is the last id.
  std::vector<omniroute::SkillId> common;
  for (int i = 0; i < kCommonSkills; ++i) common.push_back(i * (skills / kCommonSkills) + 3);
  const omniroute::SkillId trainee = skills - 1;

  for (int a = 0; a < kAgents; ++a) {
    std::map<omniroute::SkillId, int> levels;
    for (omniroute::SkillId id : common) {
      if (uniform(0, 1) == 0) levels[id] = uniform(1, 10);
    }
    for (int i = 0; i < kOtherSkillsPerAgent; ++i) levels[uniform(0, skills - 2)] = uniform(1, 10);
    if (uniform(0, 9) == 0) levels[trainee] = 1;
    omniroute::SkillSet set;
    std::map<std::string, int> by_name;
    for (const auto& [id, level] : levels) {
      if (absl::Status s = set.Set(id, level); !s.ok()) Die(s);
      by_name[std::string(p.catalog.Name(id))] = level;
    }
    p.agents.push_back(std::move(set));
    p.hash_agents.emplace_back(by_name.begin(), by_name.end());
    p.map_agents.push_back(std::move(by_name));
  }

  for (int r = 0; r < kRequirements; ++r) {
    omniroute::RequirementSpec spec;
    NamedRule rule;
    std::vector<omniroute::SkillId> pool = common;
    std::shuffle(pool.begin(), pool.end(), rng);
    for (int i = 0; i < 3; ++i) {
      const int level = uniform(3, 5);
      spec.must.push_back({pool[i], level, {}});
      rule.must.emplace_back(p.catalog.Name(pool[i]), level);
    }
    spec.excluded = {trainee};
    rule.excluded = {std::string(p.catalog.Name(trainee))};
    absl::StatusOr<omniroute::Requirement> requirement =
        omniroute::Requirement::Create(spec, p.catalog);
    if (!requirement.ok()) Die(requirement.status());
    p.requirements.push_back(*std::move(requirement));
    for (int i = 0; i < 3; ++i) spec.must[i].alternatives = {{pool[3 + i], 6}};
    absl::StatusOr<omniroute::Requirement> widened =
        omniroute::Requirement::Create(spec, p.catalog);
    if (!widened.ok()) Die(widened.status());
    p.widened.push_back(*std::move(widened));
    p.rules.push_back(std::move(rule));
  }
  return p;
}

const Population& PopulationOf(const benchmark::State& state) {
  static const Population* const small = new Population(MakePopulation(64));
  static const Population* const large = new Population(MakePopulation(256));
  return state.range(0) == 64 ? *small : *large;
}

template <typename Agent>
bool NaiveMatches(const NamedRule& rule, const Agent& agent) {
  for (const auto& [name, level] : rule.must) {
    auto it = agent.find(name);
    if (it == agent.end() || it->second < level) return false;
  }
  for (const std::string& name : rule.excluded) {
    if (agent.find(name) != agent.end()) return false;
  }
  return true;
}

// Checks the baseline against `Requirement::Matches` for every requirement and agent.
template <typename Agent>
bool BaselineAgrees(benchmark::State& state, const std::vector<Agent>& agents) {
  const Population& p = PopulationOf(state);
  for (int r = 0; r < kRequirements; ++r) {
    for (int a = 0; a < kAgents; ++a) {
      if (p.requirements[r].Matches(p.agents[a]) != NaiveMatches(p.rules[r], agents[a])) {
        state.SkipWithError("baseline disagrees with Requirement::Matches");
        return false;
      }
    }
  }
  return true;
}

void Finish(benchmark::State& state, int64_t matched) {
  state.SetItemsProcessed(state.iterations() * kAgents);
  state.counters["match_rate"] = benchmark::Counter(
      static_cast<double>(matched) / static_cast<double>(state.iterations() * kAgents));
  state.SetLabel(std::to_string(state.range(0)) + " skills");
}

void BM_Matches(benchmark::State& state) {
  const Population& p = PopulationOf(state);
  int64_t matched = 0;
  size_t r = 0;
  for (auto _ : state) {
    const omniroute::Requirement& requirement = p.requirements[r];
    int count = 0;
    for (const omniroute::SkillSet& agent : p.agents) count += requirement.Matches(agent);
    benchmark::DoNotOptimize(count);
    matched += count;
    r = (r + 1) % kRequirements;
  }
  Finish(state, matched);
}

void BM_Matches_Widened(benchmark::State& state) {
  const Population& p = PopulationOf(state);
  int64_t matched = 0;
  size_t r = 0;
  for (auto _ : state) {
    const omniroute::Requirement& requirement = p.widened[r];
    int count = 0;
    for (const omniroute::SkillSet& agent : p.agents) count += requirement.Matches(agent);
    benchmark::DoNotOptimize(count);
    matched += count;
    r = (r + 1) % kRequirements;
  }
  Finish(state, matched);
}

void BM_Score(benchmark::State& state) {
  const Population& p = PopulationOf(state);
  size_t r = 0;
  for (auto _ : state) {
    const omniroute::Requirement& requirement = p.requirements[r];
    double total = 0;
    for (const omniroute::SkillSet& agent : p.agents) total += requirement.Score(agent);
    benchmark::DoNotOptimize(total);
    r = (r + 1) % kRequirements;
  }
  Finish(state, 0);
}

template <typename Agent>
void RunNaive(benchmark::State& state, const std::vector<Agent>& agents) {
  if (!BaselineAgrees(state, agents)) return;
  const Population& p = PopulationOf(state);
  int64_t matched = 0;
  size_t r = 0;
  for (auto _ : state) {
    const NamedRule& rule = p.rules[r];
    int count = 0;
    for (const Agent& agent : agents) count += NaiveMatches(rule, agent);
    benchmark::DoNotOptimize(count);
    matched += count;
    r = (r + 1) % kRequirements;
  }
  Finish(state, matched);
}

void BM_NaiveStdMap_Matches(benchmark::State& state) {
  RunNaive(state, PopulationOf(state).map_agents);
}

void BM_NaiveFlatHashMap_Matches(benchmark::State& state) {
  RunNaive(state, PopulationOf(state).hash_agents);
}

BENCHMARK(BM_Matches)->Arg(64)->Arg(256);
BENCHMARK(BM_Matches_Widened)->Arg(64)->Arg(256);
BENCHMARK(BM_Score)->Arg(64)->Arg(256);
BENCHMARK(BM_NaiveStdMap_Matches)->Arg(64)->Arg(256);
BENCHMARK(BM_NaiveFlatHashMap_Matches)->Arg(64)->Arg(256);

}  // namespace
