#include "host_state.h"

#include "absl/strings/str_cat.h"
#include "internal/status_macros.h"

namespace omniroute::crm {

std::vector<SequencedEvent> HostState::Apply(const Json& command_json, const EngineCommand& command,
                                             std::vector<EngineEvent> events) {
  switch (command.kind) {
    case EngineCommandKind::kAddAgent:
    case EngineCommandKind::kUpdateAgent: {
      Json spec = command_json.value("body", Json::object());
      spec.erase("id");
      agent_specs_[command.agent_spec.id] = std::move(spec);
      break;
    }
    case EngineCommandKind::kRemoveAgent:
      agent_specs_.erase(command.agent);
      break;
    default:
      break;
  }
  std::vector<SequencedEvent> sequenced;
  sequenced.reserve(events.size());
  for (EngineEvent& event : events) {
    switch (event.kind) {
      case EngineEventKind::kSlaWarning:
        if (event.metric) {
          warnings_[{event.item, static_cast<int>(*event.metric)}] = event.at;
        }
        break;
      case EngineEventKind::kClosed:
      case EngineEventKind::kCancelled:
      case EngineEventKind::kAbandoned: {
        // The item leaves the engine; its id may come back as a new item.
        auto it = warnings_.lower_bound({event.item, 0});
        while (it != warnings_.end() && it->first.first == event.item) it = warnings_.erase(it);
        break;
      }
      default:
        break;
    }
    sequenced.push_back({.seq = ++last_event_seq_, .event = std::move(event)});
  }
  return sequenced;
}

const Json* HostState::AgentSpec(const std::string& agent) const {
  const auto it = agent_specs_.find(agent);
  return it == agent_specs_.end() ? nullptr : &it->second;
}

bool HostState::Warned(const std::string& item, SlaMetric metric, absl::Time cycle_start) const {
  const auto it = warnings_.find({item, static_cast<int>(metric)});
  return it != warnings_.end() && it->second > cycle_start;
}

Json HostState::ToJson() const {
  Json agents = Json::object();
  for (const auto& [id, spec] : agent_specs_) agents[id] = spec;
  Json warnings = Json::array();
  for (const auto& [key, at] : warnings_) {
    warnings.push_back({key.first, key.second, absl::ToUnixNanos(at)});
  }
  return {{"last_event_seq", last_event_seq_}, {"agents", agents}, {"warnings", warnings}};
}

absl::StatusOr<HostState> HostState::FromJson(const Json& json) {
  OMNIROUTE_RETURN_IF_ERROR(AllowOnlyFields(json, "", {"last_event_seq", "agents", "warnings"}));
  HostState state;
  const Json* seq = OptionalMember(json, "last_event_seq");
  const Json* agents = OptionalMember(json, "agents");
  const Json* warnings = OptionalMember(json, "warnings");
  if (seq == nullptr || !seq->is_number_integer() || agents == nullptr || !agents->is_object() ||
      warnings == nullptr || !warnings->is_array()) {
    return absl::InvalidArgumentError("host state: malformed");
  }
  state.last_event_seq_ = seq->get<int64_t>();
  for (const auto& [id, spec] : agents->items()) state.agent_specs_[id] = spec;
  for (const Json& entry : *warnings) {
    if (!entry.is_array() || entry.size() != 3 || !entry[0].is_string() ||
        !entry[1].is_number_integer() || !entry[2].is_number_integer()) {
      return absl::InvalidArgumentError(
          absl::StrCat("host state: malformed warning ", entry.dump()));
    }
    state.warnings_[{entry[0].get<std::string>(), entry[1].get<int>()}] =
        absl::FromUnixNanos(entry[2].get<int64_t>());
  }
  return state;
}

}  // namespace omniroute::crm
