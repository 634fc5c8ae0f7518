// The engine's views and events as the API's JSON (API.md has every shape).
//
// Thread safety: pure functions; the caller holds whatever lock guards the engine.
#ifndef OMNIROUTE_EXAMPLES_CRM_HOST_VIEWS_H_
#define OMNIROUTE_EXAMPLES_CRM_HOST_VIEWS_H_

#include <string>
#include <utility>
#include <vector>

#include "fields.h"
#include "host_state.h"
#include "omniroute/engine.h"
#include "omniroute/router.h"

namespace omniroute::crm {

// {"seq", "kind", "at", and the fields the event sets}.
Json EventJson(const SequencedEvent& event);
Json ItemJson(const EngineItemView& item, const HostState& state);
Json AgentJson(const EngineAgentView& agent, const HostState& state);
Json QueueJson(const QueueStats& stats, const EngineConfig& config);
Json KpisJson(const EngineKpis& kpis);
Json CandidatesJson(const std::vector<std::pair<std::string, Candidate>>& candidates);

}  // namespace omniroute::crm

#endif  // OMNIROUTE_EXAMPLES_CRM_HOST_VIEWS_H_
