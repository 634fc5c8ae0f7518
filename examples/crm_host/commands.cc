#include "commands.h"

#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "internal/status_macros.h"
#include "omniroute/agents.h"
#include "omniroute/skills.h"

namespace omniroute::crm {
namespace {

absl::StatusOr<std::vector<EngineQueueRef>> ReadQueueRefs(const Json& value,
                                                          std::string_view path) {
  if (!value.is_array()) return FieldError(path, "expected an array of queues");
  std::vector<EngineQueueRef> refs;
  for (size_t i = 0; i < value.size(); ++i) {
    const std::string at = IndexPath(path, i);
    const Json& entry = value[i];
    EngineQueueRef ref;
    if (entry.is_string()) {
      ref.queue = entry.get<std::string>();
    } else {
      OMNIROUTE_RETURN_IF_ERROR(AllowOnlyFields(entry, at, {"queue", "priority", "delay_seconds"}));
      OMNIROUTE_ASSIGN_OR_RETURN(const Json* queue, RequiredMember(entry, at, "queue"));
      OMNIROUTE_ASSIGN_OR_RETURN(ref.queue, ReadString(*queue, JoinPath(at, "queue")));
      if (const Json* priority = OptionalMember(entry, "priority")) {
        OMNIROUTE_ASSIGN_OR_RETURN(ref.priority, ReadInt(*priority, JoinPath(at, "priority")));
      }
      if (const Json* delay = OptionalMember(entry, "delay_seconds")) {
        OMNIROUTE_ASSIGN_OR_RETURN(ref.delay, ReadSeconds(*delay, JoinPath(at, "delay_seconds")));
      }
    }
    refs.push_back(std::move(ref));
  }
  return refs;
}

// The agent fields of POST /api/agents and PUT /api/agents/{id}; the id is set by the caller.
absl::Status ReadAgentFields(const Json& body, EngineAgentSpec& spec) {
  if (const Json* skills = OptionalMember(body, "skills")) {
    OMNIROUTE_ASSIGN_OR_RETURN(spec.skills, ReadIntMap(*skills, "skills"));
  }
  if (const Json* capacity = OptionalMember(body, "capacity")) {
    OMNIROUTE_ASSIGN_OR_RETURN(spec.capacity, ReadIntMap(*capacity, "capacity"));
  }
  if (const Json* budget = OptionalMember(body, "budget"); budget && !budget->is_null()) {
    OMNIROUTE_ASSIGN_OR_RETURN(spec.budget, ReadInt(*budget, "budget"));
  }
  if (const Json* queues = OptionalMember(body, "queues")) {
    OMNIROUTE_ASSIGN_OR_RETURN(spec.queues, ReadQueueRefs(*queues, "queues"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<NamedRelaxationStep>> ReadRelaxation(const Json& value,
                                                                std::string_view path) {
  if (!value.is_array()) return FieldError(path, "expected an array of steps");
  std::vector<NamedRelaxationStep> steps;
  for (size_t i = 0; i < value.size(); ++i) {
    const std::string at = IndexPath(path, i);
    const Json& entry = value[i];
    OMNIROUTE_RETURN_IF_ERROR(
        AllowOnlyFields(entry, at, {"after_seconds", "kind", "skill", "alternative", "level"}));
    NamedRelaxationStep step;
    OMNIROUTE_ASSIGN_OR_RETURN(const Json* after, RequiredMember(entry, at, "after_seconds"));
    OMNIROUTE_ASSIGN_OR_RETURN(step.after, ReadSeconds(*after, JoinPath(at, "after_seconds")));
    OMNIROUTE_ASSIGN_OR_RETURN(const Json* kind, RequiredMember(entry, at, "kind"));
    OMNIROUTE_ASSIGN_OR_RETURN(const std::string kind_name,
                               ReadString(*kind, JoinPath(at, "kind")));
    absl::StatusOr<RelaxationKind> parsed_kind = ParseRelaxationKind(kind_name);
    if (!parsed_kind.ok())
      return FieldError(JoinPath(at, "kind"), std::string(parsed_kind.status().message()));
    step.kind = *parsed_kind;
    OMNIROUTE_ASSIGN_OR_RETURN(const Json* skill, RequiredMember(entry, at, "skill"));
    OMNIROUTE_ASSIGN_OR_RETURN(step.skill, ReadString(*skill, JoinPath(at, "skill")));
    if (const Json* alternative = OptionalMember(entry, "alternative")) {
      OMNIROUTE_ASSIGN_OR_RETURN(step.alternative,
                                 ReadString(*alternative, JoinPath(at, "alternative")));
    }
    if (const Json* level = OptionalMember(entry, "level")) {
      OMNIROUTE_ASSIGN_OR_RETURN(step.level, ReadInt(*level, JoinPath(at, "level")));
    }
    steps.push_back(std::move(step));
  }
  return steps;
}

// The requirement fields (requires, preferred, excluded, relax); nullopt when none is given.
absl::StatusOr<std::optional<NamedRequirement>> ReadRequirement(const Json& body) {
  const Json* must = OptionalMember(body, "requires");
  const Json* preferred = OptionalMember(body, "preferred");
  const Json* excluded = OptionalMember(body, "excluded");
  const Json* relax = OptionalMember(body, "relax");
  if (!must && !preferred && !excluded && !relax) return std::nullopt;
  NamedRequirement requirement;
  if (must) {
    OMNIROUTE_ASSIGN_OR_RETURN(requirement.must, ReadIntMap(*must, "requires"));
  }
  if (preferred) {
    OMNIROUTE_ASSIGN_OR_RETURN(requirement.preferred, ReadNumberMap(*preferred, "preferred"));
  }
  if (excluded) {
    OMNIROUTE_ASSIGN_OR_RETURN(requirement.excluded, ReadStringList(*excluded, "excluded"));
  }
  if (relax) {
    OMNIROUTE_ASSIGN_OR_RETURN(requirement.steps, ReadRelaxation(*relax, "relax"));
  }
  return requirement;
}

absl::Status ReadSubmit(const Json& body, EngineItemSpec& spec) {
  OMNIROUTE_RETURN_IF_ERROR(
      AllowOnlyFields(body, "",
                      {"id", "queue", "channel", "priority", "requires", "preferred", "excluded",
                       "relax", "tier", "tags", "customer", "created", "deadline"}));
  OMNIROUTE_ASSIGN_OR_RETURN(const Json* id, RequiredMember(body, "", "id"));
  OMNIROUTE_ASSIGN_OR_RETURN(spec.id, ReadId(*id, "id"));
  OMNIROUTE_ASSIGN_OR_RETURN(const Json* queue, RequiredMember(body, "", "queue"));
  OMNIROUTE_ASSIGN_OR_RETURN(spec.queue, ReadString(*queue, "queue"));
  OMNIROUTE_ASSIGN_OR_RETURN(const Json* channel, RequiredMember(body, "", "channel"));
  OMNIROUTE_ASSIGN_OR_RETURN(spec.channel, ReadString(*channel, "channel"));
  if (const Json* priority = OptionalMember(body, "priority")) {
    OMNIROUTE_ASSIGN_OR_RETURN(spec.priority, ReadString(*priority, "priority"));
  }
  OMNIROUTE_ASSIGN_OR_RETURN(std::optional<NamedRequirement> requirement, ReadRequirement(body));
  if (requirement) spec.requirement = *std::move(requirement);
  if (const Json* tier = OptionalMember(body, "tier")) {
    OMNIROUTE_ASSIGN_OR_RETURN(spec.tier, ReadString(*tier, "tier"));
  }
  if (const Json* tags = OptionalMember(body, "tags")) {
    OMNIROUTE_ASSIGN_OR_RETURN(spec.tags, ReadStringList(*tags, "tags"));
  }
  if (const Json* customer = OptionalMember(body, "customer")) {
    OMNIROUTE_ASSIGN_OR_RETURN(spec.customer, ReadString(*customer, "customer"));
  }
  if (const Json* created = OptionalMember(body, "created")) {
    OMNIROUTE_ASSIGN_OR_RETURN(spec.created, ReadInstant(*created, "created"));
  }
  if (const Json* deadline = OptionalMember(body, "deadline")) {
    OMNIROUTE_ASSIGN_OR_RETURN(spec.deadline, ReadInstant(*deadline, "deadline"));
  }
  return absl::OkStatus();
}

absl::Status ReadUpdate(const Json& body, EngineItemUpdate& update) {
  OMNIROUTE_RETURN_IF_ERROR(AllowOnlyFields(
      body, "",
      {"priority", "tier", "tags", "deadline", "requires", "preferred", "excluded", "relax"}));
  if (body.empty()) return FieldError("", "the body names nothing to update");
  if (const Json* priority = OptionalMember(body, "priority")) {
    OMNIROUTE_ASSIGN_OR_RETURN(update.priority, ReadString(*priority, "priority"));
  }
  if (const Json* tier = OptionalMember(body, "tier")) {
    OMNIROUTE_ASSIGN_OR_RETURN(update.tier, ReadString(*tier, "tier"));
  }
  if (const Json* tags = OptionalMember(body, "tags")) {
    OMNIROUTE_ASSIGN_OR_RETURN(update.tags, ReadStringList(*tags, "tags"));
  }
  if (const Json* deadline = OptionalMember(body, "deadline")) {
    OMNIROUTE_ASSIGN_OR_RETURN(update.deadline, ReadInstant(*deadline, "deadline"));
  }
  OMNIROUTE_ASSIGN_OR_RETURN(update.requirement, ReadRequirement(body));
  return absl::OkStatus();
}

// A required id from the command's envelope.
absl::StatusOr<std::string> EnvelopeId(const Json& command, std::string_view key) {
  const Json* value = OptionalMember(command, key);
  if (value == nullptr)
    return FieldError(key, absl::StrCat("\"", std::string(key), "\" is required"));
  return ReadId(*value, key);
}

// An optional text field ("reason") of an otherwise empty body.
absl::StatusOr<std::string> OptionalText(const Json& body, std::string_view key,
                                         std::string fallback) {
  OMNIROUTE_RETURN_IF_ERROR(AllowOnlyFields(body, "", {key}));
  const Json* value = OptionalMember(body, key);
  if (value == nullptr) return fallback;
  return ReadString(*value, key);
}

}  // namespace

Json MakeCommand(EngineCommandKind kind, const std::string& item, const std::string& agent,
                 Json body) {
  Json command = {{"kind", std::string(EngineCommandKindName(kind))}};
  if (!item.empty()) command["item"] = item;
  if (!agent.empty()) command["agent"] = agent;
  command["body"] = std::move(body);
  return command;
}

absl::StatusOr<EngineCommand> ParseCommand(const Json& command, absl::Time at) {
  OMNIROUTE_RETURN_IF_ERROR(AllowOnlyFields(command, "", {"kind", "item", "agent", "body"}));
  OMNIROUTE_ASSIGN_OR_RETURN(const Json* kind_value, RequiredMember(command, "", "kind"));
  OMNIROUTE_ASSIGN_OR_RETURN(const std::string kind_name, ReadString(*kind_value, "kind"));
  absl::StatusOr<EngineCommandKind> kind = ParseEngineCommandKind(kind_name);
  if (!kind.ok()) return FieldError("kind", std::string(kind.status().message()));
  static const Json kEmptyBody = Json::object();
  const Json* body_value = OptionalMember(command, "body");
  const Json& body = body_value ? *body_value : kEmptyBody;
  OMNIROUTE_RETURN_IF_ERROR(RequireObject(body, ""));

  EngineCommand out{.kind = *kind, .at = at};
  switch (*kind) {
    case EngineCommandKind::kAddAgent: {
      OMNIROUTE_RETURN_IF_ERROR(
          AllowOnlyFields(body, "", {"id", "skills", "capacity", "budget", "queues"}));
      OMNIROUTE_ASSIGN_OR_RETURN(const Json* id, RequiredMember(body, "", "id"));
      OMNIROUTE_ASSIGN_OR_RETURN(out.agent_spec.id, ReadId(*id, "id"));
      OMNIROUTE_RETURN_IF_ERROR(ReadAgentFields(body, out.agent_spec));
      out.agent = out.agent_spec.id;
      break;
    }
    case EngineCommandKind::kUpdateAgent: {
      OMNIROUTE_ASSIGN_OR_RETURN(out.agent, EnvelopeId(command, "agent"));
      OMNIROUTE_RETURN_IF_ERROR(
          AllowOnlyFields(body, "", {"id", "skills", "capacity", "budget", "queues"}));
      if (const Json* id = OptionalMember(body, "id")) {
        OMNIROUTE_ASSIGN_OR_RETURN(const std::string body_id, ReadId(*id, "id"));
        if (body_id != out.agent) {
          return FieldError("id", absl::StrCat("\"", body_id, "\" differs from the agent \"",
                                               out.agent, "\" of the path"));
        }
      }
      out.agent_spec.id = out.agent;
      OMNIROUTE_RETURN_IF_ERROR(ReadAgentFields(body, out.agent_spec));
      break;
    }
    case EngineCommandKind::kRemoveAgent: {
      OMNIROUTE_ASSIGN_OR_RETURN(out.agent, EnvelopeId(command, "agent"));
      OMNIROUTE_RETURN_IF_ERROR(AllowOnlyFields(body, "", {}));
      break;
    }
    case EngineCommandKind::kSetAgentState: {
      OMNIROUTE_ASSIGN_OR_RETURN(out.agent, EnvelopeId(command, "agent"));
      OMNIROUTE_RETURN_IF_ERROR(AllowOnlyFields(body, "", {"state", "reason"}));
      OMNIROUTE_ASSIGN_OR_RETURN(const Json* state, RequiredMember(body, "", "state"));
      OMNIROUTE_ASSIGN_OR_RETURN(const std::string state_name, ReadString(*state, "state"));
      absl::StatusOr<AgentState> parsed = ParseAgentState(state_name);
      if (!parsed.ok()) return FieldError("state", std::string(parsed.status().message()));
      out.state = *parsed;
      if (const Json* reason = OptionalMember(body, "reason")) {
        OMNIROUTE_ASSIGN_OR_RETURN(out.text, ReadString(*reason, "reason"));
      }
      break;
    }
    case EngineCommandKind::kSubmit:
      OMNIROUTE_RETURN_IF_ERROR(ReadSubmit(body, out.item_spec));
      out.item = out.item_spec.id;
      break;
    case EngineCommandKind::kUpdate: {
      OMNIROUTE_ASSIGN_OR_RETURN(out.item, EnvelopeId(command, "item"));
      OMNIROUTE_RETURN_IF_ERROR(ReadUpdate(body, out.update));
      break;
    }
    case EngineCommandKind::kAccept:
    case EngineCommandKind::kReject: {
      OMNIROUTE_ASSIGN_OR_RETURN(out.item, EnvelopeId(command, "item"));
      OMNIROUTE_RETURN_IF_ERROR(AllowOnlyFields(body, "", {"agent"}));
      OMNIROUTE_ASSIGN_OR_RETURN(const Json* agent, RequiredMember(body, "", "agent"));
      OMNIROUTE_ASSIGN_OR_RETURN(out.agent, ReadId(*agent, "agent"));
      break;
    }
    case EngineCommandKind::kPause:
    case EngineCommandKind::kResume: {
      OMNIROUTE_ASSIGN_OR_RETURN(out.item, EnvelopeId(command, "item"));
      OMNIROUTE_ASSIGN_OR_RETURN(out.text, OptionalText(body, "reason", "customer"));
      break;
    }
    case EngineCommandKind::kTransfer: {
      OMNIROUTE_ASSIGN_OR_RETURN(out.item, EnvelopeId(command, "item"));
      OMNIROUTE_RETURN_IF_ERROR(AllowOnlyFields(body, "", {"queue"}));
      OMNIROUTE_ASSIGN_OR_RETURN(const Json* queue, RequiredMember(body, "", "queue"));
      OMNIROUTE_ASSIGN_OR_RETURN(out.text, ReadString(*queue, "queue"));
      break;
    }
    case EngineCommandKind::kRespond:
    case EngineCommandKind::kCustomerMessage:
    case EngineCommandKind::kResolve:
    case EngineCommandKind::kConfirm:
    case EngineCommandKind::kReopen:
    case EngineCommandKind::kEscalate:
    case EngineCommandKind::kCancel:
    case EngineCommandKind::kAbandon: {
      OMNIROUTE_ASSIGN_OR_RETURN(out.item, EnvelopeId(command, "item"));
      OMNIROUTE_RETURN_IF_ERROR(AllowOnlyFields(body, "", {}));
      break;
    }
    case EngineCommandKind::kAdvanceTo:
      OMNIROUTE_RETURN_IF_ERROR(AllowOnlyFields(body, "", {}));
      break;
    case EngineCommandKind::kReconfigure:
      return FieldError("kind", "reconfigure is not a command of the host");
  }
  return out;
}

}  // namespace omniroute::crm
