#include "scenario.h"

#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace omniroute::sim {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// The smallest scenario of the design document, as a JSON value tests change one key of.
nlohmann::json Smallest() {
  return nlohmann::json::parse(R"({
    "duration_hours": 200, "warmup_hours": 2, "seed": 1,
    "agent_groups": [{"name": "g", "count": 10, "skills": {"s": 1}, "capacity": {"voice": 1},
                      "queues": ["q"]}],
    "queues": [{"name": "q", "strategy": "longest_idle", "order": "priority_fifo",
                "service_level_seconds": 20}],
    "arrivals": [{"queue": "q", "channel": "voice", "rate_per_hour": 100, "requires": {"s": 1},
                  "handle_time": {"dist": "exponential", "mean_seconds": 300},
                  "patience": {"dist": "exponential", "mean_seconds": 600}}]})");
}

std::string ErrorOf(const nlohmann::json& scenario) {
  absl::StatusOr<Scenario> parsed = ParseScenario(scenario.dump());
  EXPECT_FALSE(parsed.ok()) << scenario.dump();
  return parsed.ok() ? "" : std::string(parsed.status().message());
}

TEST(ScenarioTest, ReadsTheSmallestForm) {
  absl::StatusOr<Scenario> s = ParseScenario(Smallest().dump());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->duration_hours, 200);
  EXPECT_EQ(s->warmup_hours, 2);
  EXPECT_EQ(s->seed, 1u);
  ASSERT_EQ(s->agent_groups.size(), 1u);
  EXPECT_EQ(s->agent_groups[0].count, 10);
  EXPECT_EQ(s->agent_groups[0].skills.at("s"), 1);
  EXPECT_EQ(s->agent_groups[0].capacity.at("voice"), 1);
  ASSERT_EQ(s->queues.size(), 1u);
  EXPECT_EQ(s->queues[0].service_level_seconds, 20);
  ASSERT_EQ(s->arrivals.size(), 1u);
  const ArrivalSpec& a = s->arrivals[0];
  EXPECT_EQ(a.name, "q/voice");
  EXPECT_EQ(a.rates_per_hour, std::vector<double>{100});
  EXPECT_EQ(a.requirement.must.at("s"), 1);
  EXPECT_EQ(a.handle_time.kind, DistributionKind::kExponential);
  EXPECT_EQ(a.handle_time.mean, 300);
  ASSERT_TRUE(a.patience.has_value());
  EXPECT_EQ(a.patience->mean, 600);
  // The engine gets the queue (answered at once) and starts at the scenario's start.
  ASSERT_EQ(s->engine.queues.size(), 1u);
  EXPECT_TRUE(s->engine.queues[0].auto_accept);
  EXPECT_EQ(s->engine.queues[0].strategy, Strategy::kLongestIdle);
  EXPECT_EQ(s->engine.origin, s->start);
  EXPECT_EQ(s->tick_seconds, 0);
}

TEST(ScenarioTest, NoPatienceMeansNone) {
  nlohmann::json j = Smallest();
  j["arrivals"][0].erase("patience");
  absl::StatusOr<Scenario> s = ParseScenario(j.dump());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_FALSE(s->arrivals[0].patience.has_value());
}

TEST(ScenarioTest, ReadsTheDefaultScenario) {
  absl::StatusOr<Scenario> s = LoadScenarioFile(OMNIROUTE_SIM_DATA_DIR "/default_scenario.json");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->queues.size(), 6u);
  EXPECT_EQ(s->agent_groups.size(), 5u);
  EXPECT_EQ(s->arrivals.size(), 6u);
  EXPECT_EQ(s->engine.sla_policies.size(), 2u);
  EXPECT_EQ(s->time_zone, "Asia/Shanghai");
  EXPECT_EQ(s->arrivals[0].rates_per_hour.size(), 48u);
  EXPECT_TRUE(s->arrivals[3].bot.has_value());
  EXPECT_EQ(s->arrivals[3].bot->tag, "bot_failed");
  EXPECT_EQ(s->arrivals[5].handle_time.kind, DistributionKind::kEmpirical);
  EXPECT_FALSE(s->arrivals[5].respond_on_answer);
}

TEST(ScenarioTest, ErrorsNameTheJsonPath) {
  nlohmann::json j = Smallest();
  j["arrivals"][0]["handle_time"]["dist"] = "foo";
  EXPECT_THAT(ErrorOf(j), StartsWith("arrivals[0].handle_time.dist: unknown distribution \"foo\""));

  j = Smallest();
  j["arrivals"][0]["handle_time"]["mean_seconds"] = -3;
  EXPECT_THAT(ErrorOf(j), StartsWith("arrivals[0].handle_time.mean_seconds: expected a positive"));

  j = Smallest();
  j["arrivals"][0]["patience"]["sd_seconds"] = 3;
  EXPECT_THAT(ErrorOf(j), StartsWith("arrivals[0].patience.sd_seconds: applies to the lognormal"));

  j = Smallest();
  j["agent_groups"][0]["queues"] = {"q", "nowhere"};
  EXPECT_THAT(ErrorOf(j), StartsWith("agent_groups[0].queues[1]: unknown queue \"nowhere\""));

  j = Smallest();
  j["agent_groups"][0]["capacity"] = {{"fax", 1}};
  EXPECT_THAT(ErrorOf(j), StartsWith("agent_groups[0].capacity.fax: unknown channel \"fax\""));

  j = Smallest();
  j["agent_groups"][0]["skills"]["s"] = 0;
  EXPECT_THAT(ErrorOf(j), StartsWith("agent_groups[0].skills.s: expected an integer in [1, 100]"));

  j = Smallest();
  j["agent_groups"][0].erase("count");
  j["agent_groups"][0]["shifts"] = {{{"start", "8:00"}, {"end", "16:00"}, {"count", 3}}};
  EXPECT_THAT(ErrorOf(j), StartsWith("agent_groups[0].shifts[0].start: malformed time \"8:00\""));

  j = Smallest();
  j["agent_groups"][0]["shifts"] = {{{"start", "08:00"}, {"end", "16:00"}, {"count", 3}}};
  EXPECT_THAT(ErrorOf(j), StartsWith("agent_groups[0]: \"count\" and \"shifts\" exclude"));

  j = Smallest();
  j["arrivals"][0]["queue"] = "nowhere";
  EXPECT_THAT(ErrorOf(j), StartsWith("arrivals[0].queue: unknown queue \"nowhere\""));

  j = Smallest();
  j["arrivals"][0]["priorities"] = {{"A", 1}, {"Z", 1}};
  EXPECT_THAT(ErrorOf(j), StartsWith("arrivals[0].priorities.Z: unknown priority \"Z\""));

  j = Smallest();
  j["arrivals"][0]["rates_per_hour"] = {10, 20};
  EXPECT_THAT(ErrorOf(j), StartsWith("arrivals[0]: give exactly one of \"rate_per_hour\""));

  j = Smallest();
  j["arrivals"][0]["relax"] = {{{"after_seconds", 30}, {"kind", "shrink"}, {"skill", "s"}}};
  EXPECT_THAT(ErrorOf(j), StartsWith("arrivals[0].relax[0].kind: "));

  j = Smallest();
  j["arrivals"][0]["vip_share"] = 1.5;
  EXPECT_THAT(ErrorOf(j), StartsWith("arrivals[0].vip_share: expected a share in [0, 1]"));

  j = Smallest();
  j["arrivals"][0]["handle_time"] = {
      {"dist", "empirical"}, {"values_seconds", {60, 120}}, {"weights", {1}}};
  EXPECT_THAT(ErrorOf(j), StartsWith("arrivals[0].handle_time.weights: expected a list of 2"));

  j = Smallest();
  j["warmup_hours"] = 300;
  EXPECT_THAT(ErrorOf(j), StartsWith("warmup_hours: must be shorter than duration_hours"));

  j = Smallest();
  j["duration"] = 5;
  EXPECT_THAT(ErrorOf(j), StartsWith("unknown key \"duration\""));

  j = Smallest();
  j["time_zone"] = "Mars/Olympus";
  EXPECT_THAT(ErrorOf(j), StartsWith("time_zone: unknown time zone \"Mars/Olympus\""));

  j = Smallest();
  j.erase("arrivals");
  EXPECT_THAT(ErrorOf(j), StartsWith("a scenario needs \"arrivals\""));

  EXPECT_THAT(std::string(ParseScenario("{\"duration_hours\": ").status().message()),
              StartsWith("malformed JSON"));
}

// Rates no contact centre sees would keep a run busy for hours: the total they allow is bounded,
// each stream counted at its highest rate and day factor.
TEST(ScenarioTest, RatesAllowingTooManyArrivalsAreRefused) {
  nlohmann::json j = Smallest();
  j["arrivals"][0]["rate_per_hour"] = 1e12;
  EXPECT_THAT(ErrorOf(j), StartsWith("arrivals: the rates allow up to "));
  j = Smallest();
  j["arrivals"][0].erase("rate_per_hour");
  j["arrivals"][0]["rates_per_hour"] = {100, 600000};  // 1.2e8 in 200 hours
  EXPECT_THAT(ErrorOf(j), HasSubstr("a run draws at most 100000000"));
  j["arrivals"][0]["rates_per_hour"] = {100, 400000};  // 8e7
  EXPECT_TRUE(ParseScenario(j.dump()).ok());
  j["arrivals"][0]["day_factors"] = {{"sat", 2}};
  EXPECT_THAT(ErrorOf(j), HasSubstr("a run draws at most"));
}

TEST(ScenarioTest, EngineErrorsCarryTheirPath) {
  nlohmann::json j = Smallest();
  j["queues"][0]["strategy"] = "fastest";
  EXPECT_THAT(ErrorOf(j), StartsWith("queues[0].strategy: "));

  j = Smallest();
  j["engine"] = {{"sla_policies", {{{"name", "p"}, {"warn_at", {2}}}}}};
  EXPECT_THAT(ErrorOf(j), StartsWith("engine.sla_policies[0]"));

  j = Smallest();
  j["engine"] = {{"queues", nlohmann::json::array()}};
  EXPECT_THAT(ErrorOf(j), StartsWith("engine.queues: the engine's queues are the scenario's"));

  j = Smallest();
  j["engine"] = {{"colour", "red"}};
  EXPECT_THAT(ErrorOf(j), StartsWith("engine: unknown key \"colour\""));

  j = Smallest();
  j["queues"][0]["follow_up"] = {{"queue", "q"}};
  EXPECT_THAT(ErrorOf(j), StartsWith("queues[0].follow_up: follow-up items are not simulated"));

  j = Smallest();
  j["engine"] = {
      {"escalation",
       {{"levels",
         {{{"name", "L1"}},
          {{"name", "L2"},
           {"actions", {{{"kind", "schedule_follow_up"}, {"after", 60}, {"target", "q"}}}}}}},
        {"rules", {{{"trigger", {{"kind", "manual"}}}}}}}}};
  EXPECT_THAT(ErrorOf(j),
              StartsWith("engine.escalation.levels[1].actions[0].kind: schedule_follow_up"));

  // A priority the SLA policy has no target for is refused by the engine; the dry run reports
  // it before the simulation, with the arrival stream's path.
  j = Smallest();
  j["engine"] = {
      {"sla_policies", {{{"name", "p"}, {"targets", {{"A", {{"first_response", 60}}}}}}}}};
  j["queues"][0]["sla_policy"] = "p";
  j["arrivals"][0]["priority"] = "B";
  EXPECT_THAT(ErrorOf(j), StartsWith("arrivals[0]: "));
}

TEST(ScenarioTest, EscalationsThatMoveWorkTurnTicksOn) {
  nlohmann::json j = Smallest();
  j["queues"].push_back({{"name", "overflow"}});
  j["engine"] = {
      {"escalation",
       {{"levels",
         {{{"name", "L1"}, {"time_limit", 60}},
          {{"name", "L2"}, {"actions", {{{"kind", "move_to_queue"}, {"target", "overflow"}}}}}}},
        {"rules", {{{"trigger", {{"kind", "level_time_limit"}}}}}}}}};
  absl::StatusOr<Scenario> s = ParseScenario(j.dump());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->tick_seconds, 1);
  j["tick_seconds"] = 0;
  s = ParseScenario(j.dump());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->tick_seconds, 0);
}

TEST(ScenarioTest, StrategyAndStaffingVariants) {
  absl::StatusOr<Scenario> s = ParseScenario(Smallest().dump());
  ASSERT_TRUE(s.ok());
  absl::StatusOr<Scenario> least = WithStrategy(*s, "least_occupied");
  ASSERT_TRUE(least.ok()) << least.status();
  EXPECT_EQ(least->engine.queues[0].strategy, Strategy::kLeastOccupied);
  EXPECT_THAT(least->engine_json, HasSubstr("least_occupied"));
  EXPECT_FALSE(WithStrategy(*s, "fastest").ok());

  absl::StatusOr<Scenario> more = WithStaffing(*s, 1.26);
  ASSERT_TRUE(more.ok());
  EXPECT_EQ(more->agent_groups[0].count, 13);
  EXPECT_FALSE(WithStaffing(*s, 0).ok());
  EXPECT_FALSE(WithStaffing(*s, -1).ok());
}

}  // namespace
}  // namespace omniroute::sim
