#include "simulator.h"

#include <cmath>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "report.h"
#include "scenario.h"

namespace omniroute::sim {
namespace {

using ::testing::HasSubstr;

// One queue "q", one group "g" of `agents` voice agents, Poisson arrivals, exponential handling.
nlohmann::json Base(int agents, double rate_per_hour, double handle_seconds, double hours) {
  nlohmann::json j;
  j["duration_hours"] = hours;
  j["warmup_hours"] = 0;
  j["seed"] = 3;
  j["agent_groups"] = {{{"name", "g"},
                        {"count", agents},
                        {"skills", {{"s", 5}}},
                        {"capacity", {{"voice", 1}}},
                        {"queues", {"q"}}}};
  j["queues"] = {{{"name", "q"}, {"service_level_seconds", 20}}};
  j["arrivals"] = {{{"queue", "q"},
                    {"channel", "voice"},
                    {"rate_per_hour", rate_per_hour},
                    {"requires", {{"s", 1}}},
                    {"handle_time", {{"dist", "exponential"}, {"mean_seconds", handle_seconds}}}}};
  return j;
}

Report Simulated(const nlohmann::json& j) {
  absl::StatusOr<Scenario> scenario = ParseScenario(j.dump());
  EXPECT_TRUE(scenario.ok()) << scenario.status();
  if (!scenario.ok()) return {};
  absl::StatusOr<Report> report = Simulate(*scenario);
  EXPECT_TRUE(report.ok()) << report.status();
  return report.ok() ? *std::move(report) : Report{};
}

const Figures& Queue(const Report& r, size_t index = 0) { return r.queues.at(index).second; }

void ExpectAccounted(const Figures& f) {
  EXPECT_EQ(f.offered, f.answered + f.abandoned + f.unfinished);
}

// |x - expected| within `sds` binomial standard deviations of a share `p` over `n` trials.
void ExpectShare(double x, double p, uint64_t n, double sds = 5) {
  EXPECT_NEAR(x, p, sds * std::sqrt(p * (1 - p) / static_cast<double>(n))) << "n = " << n;
}

TEST(SimulatorTest, SameSeedSameReportOtherSeedOtherReport) {
  nlohmann::json j = Base(5, 50, 300, 50);
  j["arrivals"][0]["patience"] = {{"dist", "exponential"}, {"mean_seconds", 120}};
  const std::string first = ReportJson(Simulated(j));
  EXPECT_EQ(first, ReportJson(Simulated(j)));
  j["seed"] = 4;
  EXPECT_NE(first, ReportJson(Simulated(j)));
}

TEST(SimulatorTest, EveryMeasuredContactIsAccountedFor) {
  nlohmann::json j = Base(5, 55, 300, 100);
  j["warmup_hours"] = 10;
  j["arrivals"][0]["patience"] = {{"dist", "exponential"}, {"mean_seconds", 120}};
  const Report r = Simulated(j);
  const Figures& q = Queue(r);
  ExpectAccounted(q);
  EXPECT_EQ(q.unfinished, 0u);  // the run drains until every measured contact is done
  EXPECT_GT(q.abandoned, 0u);
  // Only arrivals after the warm-up count: Poisson(55 x 90).
  EXPECT_NEAR(static_cast<double>(q.offered), 55 * 90, 5 * std::sqrt(55 * 90));
  EXPECT_EQ(r.total.offered, q.offered);
  EXPECT_EQ(r.priorities.back().second.offered, q.offered);  // no priority: the least urgent
  EXPECT_EQ(r.engine.submitted, r.cost.contacts);            // the engine saw the warm-up too
  EXPECT_GE(r.run_hours, 100);
}

TEST(SimulatorTest, WithoutPatienceNobodyAbandons) {
  const Report r = Simulated(Base(3, 40, 300, 50));  // rho 1.11: overloaded
  EXPECT_EQ(Queue(r).abandoned, 0u);
  EXPECT_GT(Queue(r).AverageAnswerSeconds(), 600);
}

TEST(SimulatorTest, UnstaffedQueuesLeaveContactsUnfinished) {
  nlohmann::json j = Base(0, 20, 300, 10);
  j["drain_hours"] = 1;
  const Report r = Simulated(j);
  EXPECT_GT(Queue(r).offered, 100u);
  EXPECT_EQ(Queue(r).unfinished, Queue(r).offered);
  EXPECT_EQ(Queue(r).answered, 0u);
}

TEST(SimulatorTest, ShiftsLogAgentsInAndOut) {
  nlohmann::json j = Base(0, 0, 300, 48);
  j["agent_groups"][0].erase("count");
  j["agent_groups"][0]["shifts"] = {{{"start", "08:00"}, {"end", "16:00"}, {"count", 4}},
                                    {{"start", "22:00"}, {"end", "02:00"}, {"count", 2}}};
  j["timeline_minutes"] = 60;
  const Report r = Simulated(j);
  ASSERT_EQ(r.groups.size(), 1u);
  EXPECT_EQ(r.groups[0].agents, 6);
  // Two days of 8 h x 4 agents, plus the night shift: 00:00-02:00 of day one (started the day
  // before), 22:00-02:00 overnight, 22:00-24:00 of day two.
  EXPECT_NEAR(r.groups[0].staffed_agent_hours, 2 * 8 * 4 + (2 + 4 + 2) * 2, 1e-9);
  ASSERT_EQ(r.timeline.size(), 48u);
  // An interval closes before what happens at its end: 08:00 still has nobody on the day shift.
  EXPECT_EQ(r.timeline[7].groups[0].logged_in_at_end, 0);    // 07:00-08:00
  EXPECT_EQ(r.timeline[8].groups[0].logged_in_at_end, 4);    // 08:00-09:00
  EXPECT_EQ(r.timeline[15].groups[0].logged_in_at_end, 4);   // 15:00-16:00
  EXPECT_EQ(r.timeline[16].groups[0].logged_in_at_end, 0);   // 16:00-17:00
  EXPECT_EQ(r.timeline[0].groups[0].logged_in_at_end, 2);    // 00:00-01:00
  EXPECT_EQ(r.timeline[22].groups[0].logged_in_at_end, 2);   // 22:00-23:00
  EXPECT_EQ(r.timeline[10].groups[0].average_logged_in, 4);  // 10:00-11:00
}

TEST(SimulatorTest, ShiftsKeepTheirDaysAndCalendarsGateThem) {
  // Monday 2026-03-02 in UTC, a week long.
  nlohmann::json j = Base(0, 0, 300, 168);
  j["engine"] = nlohmann::json::parse(R"({"calendars": {"office": {"week": {
      "mon": ["09:00-17:00"], "tue": ["09:00-17:00"], "wed": ["09:00-12:00", "13:00-17:00"]}}}})");
  j["agent_groups"][0]["count"] = 3;
  j["agent_groups"][0]["calendar"] = "office";
  j["agent_groups"].push_back(
      {{"name", "weekend"},
       {"skills", {{"s", 1}}},
       {"capacity", {{"voice", 1}}},
       {"queues", {"q"}},
       {"shifts",
        {{{"start", "10:00"}, {"end", "14:00"}, {"count", 5}, {"days", {"sat", "sun"}}}}}});
  const Report r = Simulated(j);
  EXPECT_NEAR(r.groups[0].staffed_agent_hours, 3 * (8 + 8 + 7), 1e-9);
  EXPECT_NEAR(r.groups[1].staffed_agent_hours, 5 * 4 * 2, 1e-9);
}

TEST(SimulatorTest, AgentsFinishTheirWorkAfterTheShift) {
  nlohmann::json j = Base(0, 30, 1800, 24);
  j["agent_groups"][0].erase("count");
  j["agent_groups"][0]["shifts"] = {{{"start", "08:00"}, {"end", "16:00"}, {"count", 10}}};
  j["arrivals"][0]["handle_time"] = {{"dist", "empirical"}, {"values_seconds", {900, 1800}}};
  const Report r = Simulated(j);
  // Overloaded: every agent is on a call at 16:00 and finishes it, at most 30 minutes later.
  EXPECT_GT(r.groups[0].staffed_agent_hours, 80 + 10 * 0.1);
  EXPECT_LE(r.groups[0].staffed_agent_hours, 80 + 10 * 0.5 + 1e-9);
  EXPECT_NEAR(r.groups[0].occupancy, 1.0, 1e-9);
}

TEST(SimulatorTest, ChatAgentsHoldSeveralContacts) {
  nlohmann::json j = Base(1, 20, 300, 200);
  j["agent_groups"][0]["capacity"] = {{"chat", 3}};
  j["arrivals"][0]["channel"] = "chat";
  j["arrivals"][0]["handle_time"] = {{"dist", "fixed"}, {"mean_seconds", 300}};
  const Report three = Simulated(j);
  j["agent_groups"][0]["capacity"] = {{"chat", 1}};
  const Report one = Simulated(j);
  // The same contacts: 1.67 sessions on average fit three slots, not one.
  EXPECT_EQ(Queue(three).offered, Queue(one).offered);
  EXPECT_LT(Queue(three).AverageAnswerSeconds(), 60);
  EXPECT_GT(Queue(one).AverageAnswerSeconds(), 3600);
  // Occupancy is units in use over the budget: 1.67 / 3.
  EXPECT_NEAR(three.groups[0].occupancy, 20.0 * 300 / 3600 / 3, 0.03);
  EXPECT_NEAR(one.groups[0].occupancy, 1.0, 0.01);
}

TEST(SimulatorTest, RequirementsRelaxWhileContactsWait) {
  // One expert (s 5) and four generalists (s 3); contacts require s 5.
  nlohmann::json j = Base(1, 30, 300, 50);
  j["agent_groups"].push_back({{"name", "generalists"},
                               {"count", 4},
                               {"skills", {{"s", 3}}},
                               {"capacity", {{"voice", 1}}},
                               {"queues", {"q"}}});
  j["arrivals"][0]["requires"] = {{"s", 5}};
  j["drain_hours"] = 2;
  const Report strict = Simulated(j);
  EXPECT_EQ(strict.groups[1].handled, 0u);
  EXPECT_GT(Queue(strict).unfinished, 0u);  // the expert alone is overloaded

  j["arrivals"][0]["relax"] = {
      {{"after_seconds", 60}, {"kind", "lower_level"}, {"skill", "s"}, {"level", 3}}};
  const Report relaxed = Simulated(j);
  const Figures& q = Queue(relaxed);
  EXPECT_EQ(q.answered, q.offered);
  EXPECT_GT(relaxed.groups[1].handled, q.answered / 4);
  // Generalists take a contact only after its 60 s: within 20 s only the expert answers.
  EXPECT_LE(q.answered_within, relaxed.groups[0].handled);
  EXPECT_GT(q.waits.Quantile(0.5), 59);
}

TEST(SimulatorTest, QueueDelaysHoldContactsBackFromAGroup) {
  nlohmann::json j = Base(5, 20, 300, 50);
  j["agent_groups"][0]["queues"] = {{{"queue", "q"}, {"delay_seconds", 45}}};
  const Figures q = Queue(Simulated(j));
  EXPECT_EQ(q.answered, q.offered);
  EXPECT_GE(q.waits.Quantile(0.0), 45 * 0.99);
}

TEST(SimulatorTest, WrapUpOccupiesTheAgent) {
  nlohmann::json j = Base(10, 60, 240, 200);
  j["arrivals"][0]["handle_time"] = {{"dist", "fixed"}, {"mean_seconds", 240}};
  j["engine"] = {{"channels", {{{"name", "voice"}, {"wrap_up", 60}}}}};
  const Report r = Simulated(j);
  EXPECT_NEAR(r.groups[0].occupancy, 60.0 * 300 / 3600 / 10, 0.02);
  EXPECT_NEAR(Queue(r).AverageHandleSeconds(), 240, 1e-9);
}

TEST(SimulatorTest, BotsHandOverTheirShare) {
  nlohmann::json j = Base(20, 300, 300, 50);
  j["arrivals"][0]["channel"] = "chat";
  j["agent_groups"][0]["capacity"] = {{"chat", 2}};
  j["arrivals"][0]["bot"] = {{"handover_share", 0.3},
                             {"time", {{"dist", "fixed"}, {"mean_seconds", 90}}}};
  const Report r = Simulated(j);
  ASSERT_EQ(r.streams.size(), 1u);
  const StreamFigures& s = r.streams[0];
  EXPECT_EQ(s.arrived, s.bot_contained + s.handed_over);
  ExpectShare(static_cast<double>(s.handed_over) / s.arrived, 0.3, s.arrived);
  EXPECT_EQ(Queue(r).offered, s.handed_over);
}

TEST(SimulatorTest, PriorityMixAndVipShare) {
  nlohmann::json j = Base(10, 115, 300, 200);  // rho 0.96
  j["arrivals"][0]["priorities"] = {{"A", 0.2}, {"C", 0.8}};
  j["arrivals"][0]["vip_share"] = 0.1;
  const Report r = Simulated(j);
  const Figures& a = r.priorities[0].second;
  const Figures& b = r.priorities[1].second;
  const Figures& c = r.priorities[2].second;
  EXPECT_EQ(b.offered, 0u);
  ExpectShare(static_cast<double>(a.offered) / r.total.offered, 0.2, r.total.offered);
  ExpectShare(static_cast<double>(r.tiers[1].second.offered) / r.total.offered, 0.1,
              r.total.offered);
  // priority_fifo serves A first.
  EXPECT_LT(a.AverageAnswerSeconds() * 4, c.AverageAnswerSeconds());
}

TEST(SimulatorTest, RatesFollowTheIntervalsAndWeekdays) {
  nlohmann::json j = Base(5, 0, 60, 168);
  j["arrivals"][0].erase("rate_per_hour");
  j["arrivals"][0]["rates_per_hour"] = {0, 120};  // nights quiet, afternoons busy
  j["arrivals"][0]["interval_minutes"] = 720;
  j["arrivals"][0]["day_factors"] = {{"sun", 0}, {"sat", 0.5}};
  const Report r = Simulated(j);
  ASSERT_EQ(r.timeline.size(), 336u);
  uint64_t total = 0;
  for (size_t i = 0; i < r.timeline.size(); ++i) {
    const uint64_t arrivals = r.timeline[i].queues[0].arrivals;
    total += arrivals;
    const bool morning = i % 48 < 24;
    const bool sunday = i >= 6 * 48;
    if (morning || sunday) {
      EXPECT_EQ(arrivals, 0u) << "interval " << i;
    }
  }
  EXPECT_EQ(total, Queue(r).offered);
  const double expected = 120 * 12 * 5.5;  // five weekdays and half a Saturday
  EXPECT_NEAR(static_cast<double>(total), expected, 5 * std::sqrt(expected));
}

TEST(SimulatorTest, HandleTimesFollowTheirDistributions) {
  nlohmann::json j = Base(50, 300, 300, 100);
  j["arrivals"][0]["handle_time"] = {
      {"dist", "lognormal"}, {"mean_seconds", 300}, {"sd_seconds", 150}};
  double n = static_cast<double>(Queue(Simulated(j)).answered);
  EXPECT_NEAR(Queue(Simulated(j)).AverageHandleSeconds(), 300, 5 * 150 / std::sqrt(n));
  j["arrivals"][0]["handle_time"] = {
      {"dist", "empirical"}, {"values_seconds", {100, 400}}, {"weights", {3, 1}}};
  const Report empirical = Simulated(j);
  n = static_cast<double>(Queue(empirical).answered);
  EXPECT_NEAR(Queue(empirical).AverageHandleSeconds(), 175,
              5 * std::sqrt(3.0 / 16) * 300 / std::sqrt(n));
  j["arrivals"][0]["handle_time"] = {{"dist", "fixed"}, {"mean_seconds", 123}};
  EXPECT_NEAR(Queue(Simulated(j)).AverageHandleSeconds(), 123, 1e-9);
}

TEST(SimulatorTest, VariantsShareTheirArrivals) {
  nlohmann::json j = Base(10, 110, 300, 100);
  j["arrivals"][0]["patience"] = {{"dist", "exponential"}, {"mean_seconds", 120}};
  absl::StatusOr<Scenario> scenario = ParseScenario(j.dump());
  ASSERT_TRUE(scenario.ok());
  absl::StatusOr<Report> fewer = Simulate(*WithStaffing(*scenario, 0.8));
  absl::StatusOr<Report> more = Simulate(*WithStaffing(*scenario, 1.2));
  absl::StatusOr<Report> robin = Simulate(*WithStrategy(*scenario, "round_robin"));
  ASSERT_TRUE(fewer.ok() && more.ok() && robin.ok());
  EXPECT_EQ(Queue(*fewer).offered, Queue(*more).offered);
  EXPECT_EQ(Queue(*robin).offered, Queue(*more).offered);
  EXPECT_EQ(fewer->groups[0].agents, 8);
  EXPECT_EQ(more->groups[0].agents, 12);
  EXPECT_GT(Queue(*more).ServiceLevel(), Queue(*fewer).ServiceLevel() + 0.2);
  EXPECT_LT(Queue(*more).AbandonRate(), Queue(*fewer).AbandonRate());
}

TEST(SimulatorTest, SlaPoliciesAndEscalationComeFromTheEngine) {
  nlohmann::json j = Base(9, 115, 300, 50);  // rho 1.06
  j["arrivals"][0]["patience"] = {{"dist", "exponential"}, {"mean_seconds", 900}};
  j["arrivals"][0]["priority"] = "B";
  j["engine"] = nlohmann::json::parse(R"({
    "sla_policies": [{"name": "p", "targets": {"B": {"first_response": 120, "resolution": 900}}}],
    "escalation": {"levels": [{"name": "L1"},
                              {"name": "L2", "actions": [{"kind": "raise_priority_by", "amount": 1}]}],
                   "rules": [{"trigger": {"kind": "sla_breached", "metric": "first_response"}}]}})");
  j["queues"][0]["sla_policy"] = "p";
  const Report r = Simulated(j);
  EXPECT_GT(r.sla_breaches, 100u);
  EXPECT_GT(r.escalation_events, 100u);
  EXPECT_EQ(r.engine.escalations.at({"default", "L2"}), r.escalation_events);
  EXPECT_LT(r.engine.on_time, 0.9);
  EXPECT_GT(r.engine.on_time, 0.0);
  // Answering is the first response: the engine's AFR is the mean wait of the answered.
  EXPECT_GT(absl::ToDoubleSeconds(r.engine.average_first_response), 60);
}

TEST(SimulatorTest, EscalationsMayMoveWorkToAnotherQueue) {
  // A level time limit of 60 s from arrival moves every contact still open then to "overflow",
  // even one already on a call: its agent loses it and a backup agent handles it anew.
  nlohmann::json j = Base(4, 60, 300, 50);
  j["queues"].push_back({{"name", "overflow"}});
  j["agent_groups"].push_back({{"name", "backup"},
                               {"count", 6},
                               {"skills", {{"s", 5}}},
                               {"capacity", {{"voice", 1}}},
                               {"queues", {"overflow"}}});
  j["engine"] = nlohmann::json::parse(R"({
    "escalation": {"levels": [{"name": "L1", "time_limit": 60},
                              {"name": "L2", "actions": [{"kind": "move_to_queue",
                                                          "target": "overflow"}]}],
                   "rules": [{"trigger": {"kind": "level_time_limit"}}]}})");
  const Report r = Simulated(j);
  const Figures& q = Queue(r);
  EXPECT_EQ(q.answered, q.offered);
  EXPECT_EQ(q.unfinished, 0u);
  EXPECT_EQ(Queue(r, 1).offered, 0u);  // arrivals count where they arrived
  // Calls shorter than a minute stay with their first agent, the others move.
  const double moved = static_cast<double>(r.escalation_events);
  const double expected_moved = q.offered * std::exp(-60.0 / 300);
  EXPECT_NEAR(moved, expected_moved, 5 * std::sqrt(expected_moved));
  EXPECT_NEAR(r.groups[0].occupancy,
              q.answered * 300 * (1 - std::exp(-60.0 / 300)) / (4 * 50 * 3600.0), 0.03);
  EXPECT_GT(r.groups[1].occupancy, 0.5);
  EXPECT_EQ(r.groups[1].handled, 0u);  // handled counts first answers only
  // Every contact is resolved but for the calls still running when the run stops (one per agent).
  EXPECT_LE(r.cost.contacts - r.engine.resolved, 10u);
}

TEST(SimulatorTest, OffersAreAcceptedWhenQueuesDoNotAutoAccept) {
  nlohmann::json j = Base(5, 40, 300, 50);
  j["queues"][0]["auto_accept"] = false;
  const Report r = Simulated(j);
  EXPECT_EQ(Queue(r).answered, Queue(r).offered);
  // The answered calls' handle time over the agents' time (calls still running at the end of
  // the measured period make up the small difference).
  EXPECT_NEAR(r.groups[0].occupancy, Queue(r).handle_seconds / (5 * 50 * 3600.0), 0.01);
}

TEST(SimulatorTest, TimelineCoversTheMeasuredPeriod) {
  nlohmann::json j = Base(5, 40, 300, 10);
  j["warmup_hours"] = 1;
  j["timeline_minutes"] = 45;
  const Report r = Simulated(j);
  ASSERT_EQ(r.timeline.size(), 14u);  // 13 whole intervals and a 15-minute one
  EXPECT_NEAR(r.timeline.back().end_hours - r.timeline.back().start_hours, 0.25, 1e-9);
  uint64_t answered = 0;
  for (const TimelineRow& row : r.timeline) answered += row.queues[0].answered;
  EXPECT_GE(answered, Queue(r).answered * 9 / 10);
  const std::string csv = TimelineCsv(r);
  EXPECT_THAT(csv, HasSubstr("start_hours,end_hours,queue.q.arrivals,queue.q.answered,"
                             "queue.q.abandoned,queue.q.waiting,queue.q.service_level,"
                             "queue.q.asa_seconds,all.arrivals"));
  EXPECT_THAT(csv, HasSubstr(",group.g.occupancy,group.g.logged_in\n"));
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 15);
}

TEST(SimulatorTest, ReportsRenderEveryFigure) {
  const Report r = Simulated(Base(5, 40, 300, 10));
  const nlohmann::json j = nlohmann::json::parse(ReportJson(r));
  for (const char* key : {"offered", "answered", "abandoned", "service_level", "p_wait",
                          "asa_seconds", "abandon_rate", "wait_p90_seconds", "unfinished"}) {
    EXPECT_TRUE(j["queues"]["q"].contains(key)) << key;
  }
  EXPECT_TRUE(j["agent_groups"]["g"].contains("occupancy"));
  EXPECT_EQ(j["queues"]["q"]["offered"], Queue(r).offered);
  EXPECT_THAT(ReportTable(r), HasSubstr("q (20s)"));
  const nlohmann::json compared = nlohmann::json::parse(ComparisonJson("staff", {r, r}));
  EXPECT_EQ(compared["compare"], "staff");
  EXPECT_EQ(compared["runs"].size(), 2u);
  EXPECT_THAT(ComparisonTable("staff", {r, r}), HasSubstr("q service level"));
}

}  // namespace
}  // namespace omniroute::sim
