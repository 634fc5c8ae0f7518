// The discrete-event simulator: runs the real omniroute::Engine on a manual clock through a
// scenario (scenario.h) and measures what customers and agents went through (report.h).
//
//   absl::StatusOr<omniroute::sim::Scenario> scenario =
//       omniroute::sim::LoadScenarioFile("examples/data/default_scenario.json");
//   absl::StatusOr<omniroute::sim::Report> report = omniroute::sim::Simulate(*scenario);
//
// How it drives the engine: agents are added and set available when their shift (or their
// calendar) opens, and set away at its end, then offline once their work is done; each arrival
// is Submitted (after the bot, if any); assignments the engine reports (through its event sink)
// start the handle time, and Respond marks the first response then when SLA policies exist;
// Resolve when it ends (the engine closes the item after its quiet period, which the scenario
// sets to 1 ns unless its engine section has a "lifecycle"; with "never", the simulator
// confirms); Abandon when the patience of a contact still waiting runs out. Queues answer at once
// (`auto_accept`) unless configured otherwise, in which case the simulated agent accepts every
// offer at once. Between events the engine is advanced to the instants where its own timers may
// assign work: requirement relaxation steps, queue delays, wrap-up ends, and every
// `tick_seconds` (escalations that move work). An escalation that moves an assigned item to
// another queue takes it from its agent: it waits again and is handled anew.
//
// Its own future-event list is a binary heap keyed by (time, sequence) (event_queue.h). Every
// random draw comes from one std::mt19937_64 per arrival stream, in arrival order: the same
// scenario and seed give the same arrivals, handle times and patience whatever the staffing or
// routing strategy (common random numbers for comparisons), and the same report.
//
// Thread safety: `Simulate` is thread-safe (each call owns its engine).
#ifndef OMNIROUTE_EXAMPLES_SIM_SIMULATOR_H_
#define OMNIROUTE_EXAMPLES_SIM_SIMULATOR_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "report.h"
#include "scenario.h"

namespace omniroute::sim {

struct SimulateOptions {
  // Called now and then with the share of the measured period simulated so far, in [0, 1].
  std::function<void(double)> progress{};
  // Copied into the report (a comparison's variant).
  std::string label{};
  // Estimate the time spent inside the engine (RunCost::engine_seconds) from every 16th engine
  // call, which costs two clock reads.
  bool time_engine = false;
};

// Runs `scenario`. Errors: what the engine refused (InvalidArgument / NotFound /
// FailedPrecondition, naming the arrival stream or agent group by its JSON path) — a scenario
// that passed ParseScenario does not normally meet any.
absl::StatusOr<Report> Simulate(const Scenario& scenario, const SimulateOptions& options = {});

}  // namespace omniroute::sim

#endif  // OMNIROUTE_EXAMPLES_SIM_SIMULATOR_H_
