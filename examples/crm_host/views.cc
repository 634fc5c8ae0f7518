#include "views.h"

#include "omniroute/agents.h"
#include "omniroute/lifecycle.h"
#include "omniroute/sla.h"

namespace omniroute::crm {
namespace {

Json OptionalText(const std::string& text) {
  if (text.empty()) return nullptr;
  return text;
}

}  // namespace

Json EventJson(const SequencedEvent& sequenced) {
  const EngineEvent& e = sequenced.event;
  Json out = {{"seq", sequenced.seq},
              {"kind", std::string(EngineEventKindName(e.kind))},
              {"at", FormatInstant(e.at)}};
  if (!e.item.empty()) out["item"] = e.item;
  if (!e.agent.empty()) out["agent"] = e.agent;
  if (!e.queue.empty()) out["queue"] = e.queue;
  if (e.metric) {
    out["metric"] = std::string(SlaMetricName(*e.metric));
    out["fraction"] = e.fraction;
    out["late"] = e.late;
  }
  if (e.kind == EngineEventKind::kEscalated) {
    out["level"] = e.level;
    out["from_level"] = e.from_level;
  }
  if (!e.trigger.empty()) out["trigger"] = e.trigger;
  if (!e.target.empty()) out["target"] = e.target;
  if (!e.detail.empty()) out["detail"] = e.detail;
  return out;
}

Json ItemJson(const EngineItemView& item, const HostState& state) {
  Json sla = Json::array();
  for (const SlaClockView& clock : item.sla) {
    sla.push_back({{"metric", std::string(SlaMetricName(clock.metric))},
                   {"state", std::string(SlaStateName(clock.state))},
                   {"start", FormatInstant(clock.start)},
                   {"deadline", InstantOrNull(clock.deadline)},
                   {"target_seconds", SecondsOrNull(clock.target)},
                   {"elapsed_seconds", absl::ToDoubleSeconds(clock.elapsed)},
                   {"warned", state.Warned(item.id, clock.metric, clock.start)}});
  }
  return {{"id", item.id},
          {"state", std::string(ItemStateName(item.state))},
          {"queue", item.queue},
          {"channel", item.channel},
          {"priority", item.priority},
          {"routing_priority", item.routing_priority},
          {"tier", item.tier},
          {"tags", item.tags},
          {"customer", item.customer},
          {"agent", OptionalText(item.agent)},
          {"created", FormatInstant(item.created)},
          {"level", item.level},
          {"level_name", item.level_name},
          {"escalation_policy", item.escalation_policy},
          {"transfers", item.transfers},
          {"reopens", item.reopens},
          {"rejected_offers", item.rejected_offers},
          {"position", item.position ? Json(*item.position) : Json(nullptr)},
          {"sla", std::move(sla)}};
}

Json AgentJson(const EngineAgentView& agent, const HostState& state) {
  const Json* spec = state.AgentSpec(agent.id);
  Json load = Json::object();
  for (const auto& [channel, count] : agent.load) load[channel] = count;
  return {{"id", agent.id},
          {"state", std::string(AgentStateName(agent.state))},
          {"away_reason", agent.away_reason},
          {"load", std::move(load)},
          {"capacity", spec ? spec->value("capacity", Json::object()) : Json::object()},
          {"skills", spec ? spec->value("skills", Json::object()) : Json::object()},
          {"budget", agent.budget},
          {"used_units", agent.used_units},
          {"queues", agent.queues},
          {"assigned", agent.assigned},
          {"offered", agent.offered},
          {"handled", agent.handled},
          {"estimated_seconds_until_free", SecondsOrNull(agent.estimated_time_until_free)}};
}

Json QueueJson(const QueueStats& stats, const EngineConfig& config) {
  Json by_priority = Json::object();
  for (size_t p = 0; p < stats.waiting_by_priority.size() && p < config.priorities.size(); ++p) {
    by_priority[config.priorities[p]] = stats.waiting_by_priority[p];
  }
  Json threshold = nullptr;
  for (const EngineQueueSpec& queue : config.queues) {
    if (queue.name == stats.name) threshold = SecondsOrNull(queue.service_level_threshold);
  }
  return {{"name", stats.name},
          {"waiting", stats.waiting},
          {"longest_wait_seconds", absl::ToDoubleSeconds(stats.longest_wait)},
          {"waiting_by_priority", std::move(by_priority)},
          {"service_level", stats.service_level},
          {"service_level_threshold_seconds", std::move(threshold)},
          {"arrived", stats.arrived},
          {"answered", stats.answered},
          {"abandoned", stats.abandoned},
          {"answered_within_threshold", stats.answered_within_threshold},
          {"average_wait_answered_seconds", absl::ToDoubleSeconds(stats.average_wait_answered)},
          {"agents_staffed", stats.agents_staffed},
          {"agents_available", stats.agents_available},
          {"expected_wait_seconds", SecondsOrNull(stats.expected_wait)},
          {"service_rate_per_hour", stats.service_rate_per_hour}};
}

Json KpisJson(const EngineKpis& kpis) {
  Json escalations = Json::array();
  for (const auto& [key, count] : kpis.escalations) {
    escalations.push_back({{"policy", key.first}, {"level", key.second}, {"count", count}});
  }
  return {{"submitted", kpis.submitted},
          {"answered", kpis.answered},
          {"first_responses", kpis.first_responses},
          {"average_first_response_seconds", absl::ToDoubleSeconds(kpis.average_first_response)},
          {"resolved", kpis.resolved},
          {"average_resolution_seconds", absl::ToDoubleSeconds(kpis.average_resolution)},
          {"first_contact_resolution", kpis.first_contact_resolution},
          {"on_time", kpis.on_time},
          {"abandoned", kpis.abandoned},
          {"abandonment_rate", kpis.abandonment_rate},
          {"transfers", kpis.transfers},
          {"reopened", kpis.reopened},
          {"closed", kpis.closed},
          {"cancelled", kpis.cancelled},
          {"escalations", std::move(escalations)}};
}

Json CandidatesJson(const std::vector<std::pair<std::string, Candidate>>& candidates) {
  Json out = Json::array();
  for (const auto& [agent, candidate] : candidates) {
    out.push_back({{"agent", agent},
                   {"eligible", candidate.eligible},
                   {"chosen", candidate.chosen},
                   {"reason", candidate.reason}});
  }
  return out;
}

}  // namespace omniroute::crm
