// The simulator against queueing theory: M/M/N (Erlang C) and M/M/N+M (Erlang A), with the real
// engine doing the routing (one skill, voice capacity 1, longest_idle, FIFO, no SLA).
//
// Method: R = 20 independent replications (seeds differing between models), each with a warm-up
// that is not measured (a tenth of the measured period) and a measured period of 10,000 to 80,000
// contacts. Replication means are independent and close to normal, so the 99.9 % confidence
// interval of the mean of a figure is mean ± t(0.9995, 19) s / sqrt(R), t(0.9995, 19) = 3.883. Each
// test asserts
//   |simulated - theory| <= half_width + tolerance,
// with a small absolute tolerance for what the interval does not cover: the bias left after the
// warm-up (the measured periods are 50+ relaxation times of the queue) and the end of the run
// (contacts of the measured period are followed until answered, so none is censored). It also
// asserts that the interval is narrow (half_width <= max_half_width), so a test cannot pass
// because the simulation is noisy. With 44 such checks, a correct simulator fails one with
// probability about 4 % for an unlucky choice of seeds; the seeds are fixed, so the outcome is
// reproducible.
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "erlang.h"
#include "fmt/format.h"
#include "gtest/gtest.h"
#include "report.h"
#include "scenario.h"
#include "simulator.h"

namespace omniroute::sim {
namespace {

constexpr int kReplications = 20;
constexpr double kStudentT = 3.883;  // t(0.9995, 19): two-sided 99.9 %

struct Model {
  int servers = 1;
  double load = 0;  // Erlangs
  double handle_seconds = 300;
  std::optional<double> patience_seconds{};
  double contacts = 100'000;  // expected, measured, over all replications
};

struct Sample {
  std::vector<double> values;
  double Mean() const {
    double sum = 0;
    for (double v : values) sum += v;
    return sum / static_cast<double>(values.size());
  }
  double HalfWidth() const {
    const double mean = Mean();
    double squares = 0;
    for (double v : values) squares += (v - mean) * (v - mean);
    const double sd = std::sqrt(squares / static_cast<double>(values.size() - 1));
    return kStudentT * sd / std::sqrt(static_cast<double>(values.size()));
  }
};

struct Replicated {
  Sample p_wait;         // answered contacts that waited
  Sample p_wait_all;     // offered contacts that waited (answered after a wait, or abandoned)
  Sample service_level;  // answered within 20 s / (answered + abandoned after 20 s)
  Sample asa;
  Sample abandon;
  Sample queue_time;  // mean time in queue of all contacts
  Sample occupancy;
  uint64_t contacts = 0;
};

constexpr double kThreshold = 20;

std::string ScenarioJson(const Model& m, uint64_t seed) {
  const double rate = m.load / m.handle_seconds * 3600;
  const double hours = m.contacts / kReplications / rate;
  const double warmup = std::max(1.0, hours / 10);
  std::string patience;
  if (m.patience_seconds) {
    patience = fmt::format(R"(, "patience": {{"dist": "exponential", "mean_seconds": {}}})",
                           *m.patience_seconds);
  }
  return fmt::format(
      R"({{"duration_hours": {}, "warmup_hours": {}, "seed": {},
  "agent_groups": [{{"name": "g", "count": {}, "skills": {{"s": 1}}, "capacity": {{"voice": 1}},
                     "queues": ["q"]}}],
  "queues": [{{"name": "q", "strategy": "longest_idle", "order": "priority_fifo",
               "service_level_seconds": {}}}],
  "arrivals": [{{"queue": "q", "channel": "voice", "rate_per_hour": {}, "requires": {{"s": 1}},
                 "handle_time": {{"dist": "exponential", "mean_seconds": {}}}{}}}]}})",
      hours + warmup, warmup, seed, m.servers, kThreshold, rate, m.handle_seconds, patience);
}

Replicated Replicate(const Model& m) {
  Replicated r;
  // Seeds differ between models, so that their results are independent of each other.
  for (uint64_t replication = 1; replication <= kReplications; ++replication) {
    const uint64_t seed = static_cast<uint64_t>(m.servers) * 1000 + replication;
    absl::StatusOr<Scenario> scenario = ParseScenario(ScenarioJson(m, seed));
    EXPECT_TRUE(scenario.ok()) << scenario.status();
    if (!scenario.ok()) return r;
    absl::StatusOr<Report> report = Simulate(*scenario);
    EXPECT_TRUE(report.ok()) << report.status();
    if (!report.ok()) return r;
    const Figures& f = report->queues.at(0).second;
    EXPECT_EQ(f.unfinished, 0u);
    EXPECT_EQ(f.offered, f.answered + f.abandoned);
    r.contacts += f.offered;
    r.p_wait.values.push_back(f.PWait());
    r.p_wait_all.values.push_back(static_cast<double>(f.answered_after_wait + f.abandoned) /
                                  static_cast<double>(f.offered));
    r.service_level.values.push_back(f.ServiceLevel());
    r.asa.values.push_back(f.AverageAnswerSeconds());
    r.abandon.values.push_back(f.AbandonRate());
    r.queue_time.values.push_back(f.AverageQueueSeconds());
    r.occupancy.values.push_back(report->groups.at(0).occupancy);
  }
  return r;
}

// |mean - theory| <= half width + tolerance, and the half width itself is small.
void ExpectMatches(const char* what, const Sample& sample, double theory, double tolerance,
                   double max_half_width) {
  const double mean = sample.Mean();
  const double half_width = sample.HalfWidth();
  EXPECT_LE(std::abs(mean - theory), half_width + tolerance)
      << what << ": simulated " << mean << " ± " << half_width << ", theory " << theory;
  EXPECT_LE(half_width, max_half_width) << what << ": the confidence interval is too wide";
  std::printf("  %-14s sim %10.5f ± %8.5f  theory %10.5f\n", what, mean, half_width, theory);
}

class ErlangCTest : public testing::TestWithParam<Model> {};

TEST_P(ErlangCTest, MatchesErlangC) {
  const Model& m = GetParam();
  const double lambda = m.load / m.handle_seconds;
  const double mu = 1.0 / m.handle_seconds;
  const Replicated r = Replicate(m);
  std::printf("M/M/%d, load %.2f (rho %.3f): %llu contacts\n", m.servers, m.load,
              m.load / m.servers, static_cast<unsigned long long>(r.contacts));
  const double asa = ErlangCAverageWait(m.servers, lambda, mu);
  ExpectMatches("P(wait > 0)", r.p_wait, ErlangC(m.servers, m.load), 0.005, 0.03);
  ExpectMatches("P(wait <= 20)", r.service_level,
                ErlangCServiceLevel(m.servers, lambda, mu, kThreshold), 0.005, 0.03);
  ExpectMatches("ASA seconds", r.asa, asa, 0.02 * asa, 0.2 * asa + 1.0);
  ExpectMatches("occupancy", r.occupancy, m.load / m.servers, 0.002, 0.01);
}

// Loads from 50 % to 95 %; four of them above 90 %, with 10 to 100 agents.
INSTANTIATE_TEST_SUITE_P(
    Loads, ErlangCTest,
    testing::Values(
        Model{.servers = 1, .load = 0.5, .handle_seconds = 300, .contacts = 200'000},
        Model{.servers = 2, .load = 1.5, .handle_seconds = 300, .contacts = 300'000},
        Model{.servers = 5, .load = 4.0, .handle_seconds = 300, .contacts = 400'000},
        Model{.servers = 10, .load = 9.2, .handle_seconds = 180, .contacts = 1'000'000},
        Model{.servers = 20, .load = 19.0, .handle_seconds = 240, .contacts = 1'600'000},
        Model{.servers = 50, .load = 46.0, .handle_seconds = 300, .contacts = 1'500'000},
        Model{.servers = 100, .load = 92.0, .handle_seconds = 300, .contacts = 1'200'000}));

class ErlangATest : public testing::TestWithParam<Model> {};

TEST_P(ErlangATest, MatchesErlangA) {
  const Model& m = GetParam();
  const double lambda = m.load / m.handle_seconds;
  const double mu = 1.0 / m.handle_seconds;
  const double theta = 1.0 / *m.patience_seconds;
  const Replicated r = Replicate(m);
  std::printf("M/M/%d+M, load %.2f, patience %.0f s: %llu contacts\n", m.servers, m.load,
              *m.patience_seconds, static_cast<unsigned long long>(r.contacts));
  const ErlangAResult theory = ErlangA(m.servers, lambda, mu, theta);
  ExpectMatches("P(abandon)", r.abandon, theory.p_abandon, 0.002, 0.01);
  ExpectMatches("P(wait > 0)", r.p_wait_all, theory.p_wait, 0.005, 0.03);
  ExpectMatches("queue seconds", r.queue_time, theory.mean_queue_time,
                0.02 * theory.mean_queue_time, 0.1 * theory.mean_queue_time + 1.0);
  ExpectMatches("occupancy", r.occupancy, theory.occupancy, 0.002, 0.01);
}

// Under, at and over capacity (Erlang A is stable at every load).
INSTANTIATE_TEST_SUITE_P(Loads, ErlangATest,
                         testing::Values(Model{.servers = 5,
                                               .load = 4.5,
                                               .handle_seconds = 300,
                                               .patience_seconds = 900,
                                               .contacts = 300'000},
                                         Model{.servers = 10,
                                               .load = 8.333,
                                               .handle_seconds = 300,
                                               .patience_seconds = 600,
                                               .contacts = 300'000},
                                         Model{.servers = 20,
                                               .load = 20.0,
                                               .handle_seconds = 240,
                                               .patience_seconds = 120,
                                               .contacts = 400'000},
                                         Model{.servers = 50,
                                               .load = 55.0,
                                               .handle_seconds = 300,
                                               .patience_seconds = 300,
                                               .contacts = 500'000}));

}  // namespace
}  // namespace omniroute::sim
