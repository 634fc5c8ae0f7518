// What a simulation run measured, and its three renderings: a table for the terminal, JSON for
// machines, and a CSV timeline per interval.
//
//   absl::StatusOr<omniroute::sim::Report> report = omniroute::sim::Simulate(scenario);
//   std::cout << omniroute::sim::ReportTable(*report);
//   std::cout << omniroute::sim::ReportJson(*report);
//   std::ofstream("timeline.csv") << omniroute::sim::TimelineCsv(*report);
//
// Definitions (contacts count when the customer arrived in the measured period, after the
// warm-up; the run goes on after it until they are answered or abandoned, up to drain_hours):
// - offered: contacts that reached the queue (a bot's contained contacts never do);
//   offered = answered + abandoned + unfinished.
// - wait: assignment instant - arrival in the queue; abandoned contacts waited their patience.
// - service_level: answered within the queue's threshold / (answered + abandoned after it);
//   1 when there is neither.
// - p_wait: the share of answered contacts that waited more than zero.
// - asa_seconds: the mean wait of answered contacts; wait_p90_seconds its 90th percentile
//   (DDSketch, 1 % relative accuracy).
// - abandon_rate: abandoned / (answered + abandoned).
// - occupancy (agent groups): capacity units in use (a channel's cost per item; the whole budget
//   during wrap-up) / the budget of logged-in agents, integrated over the measured period.
//
// Thread safety: plain values; the functions are pure and thread-safe.
#ifndef OMNIROUTE_EXAMPLES_SIM_REPORT_H_
#define OMNIROUTE_EXAMPLES_SIM_REPORT_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "omniroute/engine.h"
#include "omniroute/quantile_sketch.h"

namespace omniroute::sim {

// Contact figures of one slice (a queue, a priority, a tier, a channel, or all).
struct Figures {
  uint64_t offered = 0;
  uint64_t answered = 0;
  uint64_t abandoned = 0;
  uint64_t unfinished = 0;  // neither answered nor abandoned when the run ended
  uint64_t answered_within = 0;
  uint64_t abandoned_after = 0;
  uint64_t answered_after_wait = 0;  // answered with a wait > 0
  double answered_wait_seconds = 0;  // sum
  double abandoned_wait_seconds = 0;
  double handle_seconds = 0;  // sum over answered
  double max_wait_seconds = 0;
  QuantileSketch waits{};  // answered

  void AddAnswered(double wait_seconds, double threshold_seconds, double handle);
  void AddAbandoned(double wait_seconds, double threshold_seconds);

  double ServiceLevel() const;
  double PWait() const;
  double AverageAnswerSeconds() const;
  // The mean time in queue of every answered or abandoned contact.
  double AverageQueueSeconds() const;
  double AbandonRate() const;
  double AverageHandleSeconds() const;
};

struct GroupFigures {
  std::string name{};
  int agents = 0;  // on its roster (all shifts)
  double occupancy = 0;
  double staffed_agent_hours = 0;  // logged in, measured period
  double average_logged_in = 0;
  uint64_t handled = 0;  // assignments of counted contacts
};

struct StreamFigures {
  std::string name{};
  uint64_t arrived = 0;  // customers (before the bot)
  uint64_t bot_contained = 0;
  uint64_t handed_over = 0;
};

// One timeline interval: per queue and per agent group.
struct TimelineRow {
  double start_hours = 0;
  double end_hours = 0;
  struct Queue {
    uint64_t arrivals = 0;
    uint64_t answered = 0;
    uint64_t abandoned = 0;
    uint64_t answered_within = 0;
    uint64_t abandoned_after = 0;
    double answered_wait_seconds = 0;
    uint64_t waiting_at_end = 0;
  };
  struct Group {
    double occupancy = 0;
    double average_logged_in = 0;
    int logged_in_at_end = 0;
  };
  std::vector<Queue> queues{};  // in the scenario's queue order
  std::vector<Group> groups{};  // in the scenario's group order
};

// Where the time of a run went (not part of the JSON report, which is a pure function of the
// scenario and seed).
struct RunCost {
  double wall_seconds = 0;
  double engine_seconds = 0;  // inside engine commands, estimated from a sample, when timed
  uint64_t engine_commands = 0;
  uint64_t engine_events = 0;
  uint64_t simulator_events = 0;
  uint64_t contacts = 0;  // every contact created, warm-up and drain included
};

struct Report {
  std::string label{};  // the variant of a comparison; empty otherwise
  double duration_hours = 0;
  double warmup_hours = 0;
  uint64_t seed = 0;
  double measured_hours = 0;
  double run_hours = 0;  // simulated, drain included
  Figures total{};
  std::vector<std::pair<std::string, Figures>> queues{};
  std::vector<double> queue_thresholds{};  // service-level seconds, per queue
  std::vector<std::pair<std::string, Figures>> priorities{};
  std::vector<std::pair<std::string, Figures>> tiers{};
  std::vector<std::pair<std::string, Figures>> channels{};
  std::vector<GroupFigures> groups{};
  std::vector<StreamFigures> streams{};
  // The engine's own KPIs since its start (warm-up included).
  EngineKpis engine{};
  uint64_t sla_warnings = 0;
  uint64_t sla_breaches = 0;
  uint64_t escalation_events = 0;
  double timeline_minutes = 30;
  std::vector<TimelineRow> timeline{};
  RunCost cost{};
};

// The report as JSON (see the README for the keys), ending with a newline.
std::string ReportJson(const Report& report);
// Several runs of one comparison: {"compare": dimension, "runs": [report, ...]}.
std::string ComparisonJson(const std::string& dimension, const std::vector<Report>& reports);
// A readable table.
std::string ReportTable(const Report& report);
// The runs side by side, one column each.
std::string ComparisonTable(const std::string& dimension, const std::vector<Report>& reports);
// One row per interval: interval start and end (hours), then per queue
// `queue.<name>.{arrivals,answered,abandoned,waiting,service_level,asa_seconds}`, then for all
// queues `all.…`, then per group `group.<name>.{occupancy,logged_in}`.
std::string TimelineCsv(const Report& report);

}  // namespace omniroute::sim

#endif  // OMNIROUTE_EXAMPLES_SIM_REPORT_H_
