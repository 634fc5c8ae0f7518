// What the host knows beside the engine, derived from the journal like the engine itself: the
// agent specs the API was given (the engine's views carry no capacity or skills), which SLA
// clocks have warned in their current cycle, and the sequence number of the last event.
//
//   HostState state;
//   std::vector<SequencedEvent> events = state.Apply(command_json, command, engine_events);
//   Json saved = state.ToJson();                          // stored with each snapshot
//   absl::StatusOr<HostState> again = HostState::FromJson(saved);
//
// Applying the same commands and events in the same order gives the same state, so a snapshot
// plus the later rows gives what the live host had.
//
// Thread safety: thread-compatible (the host guards it with the engine's lock).
#ifndef OMNIROUTE_EXAMPLES_CRM_HOST_HOST_STATE_H_
#define OMNIROUTE_EXAMPLES_CRM_HOST_HOST_STATE_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "fields.h"
#include "omniroute/engine.h"
#include "omniroute/sla.h"

namespace omniroute::crm {

struct SequencedEvent {
  int64_t seq = 0;
  EngineEvent event{};
};

class HostState {
 public:
  // Records `command` (its JSON form `command_json`, commands.h), which the engine accepted and
  // which emitted `events`, and numbers the events.
  std::vector<SequencedEvent> Apply(const Json& command_json, const EngineCommand& command,
                                    std::vector<EngineEvent> events);

  // The agent's spec as the API was given it (the body of its add_agent / update_agent,
  // without "id"), or nullptr for an unknown agent.
  const Json* AgentSpec(const std::string& agent) const;
  // True when an SLA warning for (item, metric) fired after `cycle_start`, i.e. in the clock's
  // current cycle (a warning fires strictly after its cycle starts).
  bool Warned(const std::string& item, SlaMetric metric, absl::Time cycle_start) const;
  int64_t last_event_seq() const { return last_event_seq_; }

  Json ToJson() const;
  // InvalidArgument for a malformed document.
  static absl::StatusOr<HostState> FromJson(const Json& json);

 private:
  std::map<std::string, Json> agent_specs_;
  // (item, metric) -> the instant of the last warning.
  std::map<std::pair<std::string, int>, absl::Time> warnings_;
  int64_t last_event_seq_ = 0;
};

}  // namespace omniroute::crm

#endif  // OMNIROUTE_EXAMPLES_CRM_HOST_HOST_STATE_H_
