#include "engine_views.h"

#include <pybind11/operators.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "bindings.h"
#include "casters.h"
#include "enums.h"
#include "omniroute/engine.h"

namespace omniroute::python {
namespace {

namespace py = pybind11;

std::string InstantText(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

// `Name(field=value, ...)` over the given attributes of `self`; enum members print as their
// names, instants in RFC 3339.
std::string Repr(py::handle self, std::string_view name, const std::vector<const char*>& fields) {
  std::string text = std::string(name) + "(";
  for (size_t i = 0; i < fields.size(); ++i) {
    py::object value = self.attr(fields[i]);
    text += (i == 0 ? "" : ", ") + std::string(fields[i]) + "=";
    if (PyUnicode_Check(value.ptr()) && !PyUnicode_CheckExact(value.ptr())) {
      text += py::str(value).cast<std::string>();
    } else if (py::isinstance(value, py::module_::import("datetime").attr("datetime"))) {
      text += InstantText(value.cast<absl::Time>());
    } else {
      text += py::repr(value).cast<std::string>();
    }
  }
  return text + ")";
}

py::object Plain(py::handle value) {
  if (py::hasattr(value, "to_dict")) return value.attr("to_dict")();
  if (PyList_Check(value.ptr())) {
    py::list items;
    for (py::handle element : value) items.append(Plain(element));
    return items;
  }
  return py::reinterpret_borrow<py::object>(value);
}

// Adds `to_dict()` (every field, nested views as dicts) and `__repr__` (the `shown` fields).
template <typename T>
void AddDictAndRepr(py::class_<T>& cls, const char* name, std::vector<const char*> fields,
                    std::vector<const char*> shown) {
  cls.def(
      "to_dict",
      [fields](py::handle self) {
        py::dict values;
        for (const char* field : fields) values[field] = Plain(self.attr(field));
        return values;
      },
      "The fields as a dict (nested views as dicts).");
  cls.def("__repr__", [name, shown](py::handle self) { return Repr(self, name, shown); });
}

py::object OptionalMetric(const std::optional<SlaMetric>& metric) {
  return metric ? EnumMember(*metric) : py::none();
}

// The fields an event of its kind carries: the others are empty.
py::dict EventDict(const EngineEvent& e) {
  py::dict values;
  values["kind"] = EnumMember(e.kind);
  values["at"] = py::cast(e.at);
  if (!e.item.empty()) values["item"] = e.item;
  if (!e.agent.empty()) values["agent"] = e.agent;
  if (!e.queue.empty()) values["queue"] = e.queue;
  if (e.metric) {
    values["metric"] = EnumMember(*e.metric);
    values["fraction"] = e.fraction;
    values["late"] = e.late;
  }
  if (e.kind == EngineEventKind::kEscalated) {
    values["from_level"] = e.from_level;
    values["level"] = e.level;
  }
  if (!e.trigger.empty()) values["trigger"] = e.trigger;
  if (!e.target.empty()) values["target"] = e.target;
  if (!e.detail.empty()) values["detail"] = e.detail;
  return values;
}

std::string EventRepr(const EngineEvent& e) {
  std::string text =
      "EngineEvent(" + std::string(EngineEventKindName(e.kind)) + " at " + InstantText(e.at);
  for (const auto& [key, value] : EventDict(e)) {
    const std::string name = py::str(key);
    if (name == "kind" || name == "at") continue;
    text += ", " + name + "=";
    text += PyUnicode_CheckExact(value.ptr()) ? py::repr(value).cast<std::string>()
                                              : py::str(value).cast<std::string>();
  }
  return text + ")";
}

void BindEvent(py::module_& module) {
  py::class_<EngineEvent>(module, "EngineEvent",
                          "Something that happened in the engine (C++ EngineEvent). `kind` is an "
                          "EventKind, equal to its lower-case name (ev.kind == \"offered\"); "
                          "fields the kind does not use are empty.")
      .def_property_readonly(
          "kind", [](const EngineEvent& e) { return EnumMember(e.kind); },
          "What happened: queued, offered, assigned, rejected, offer_expired, requeued, "
          "requirement_relaxed, sla_warning, sla_breached, sla_met, escalated, transferred, "
          "pending_customer, resumed, resolved, closed, reopened, abandoned, cancelled, "
          "follow_up_created or agent_state.")
      .def_readonly("at", &EngineEvent::at, "When it happened (aware UTC datetime).")
      .def_readonly("item", &EngineEvent::item, "The work item; empty for agent_state.")
      .def_readonly("agent", &EngineEvent::agent, "Offers, assignments, agent_state: the agent.")
      .def_readonly("queue", &EngineEvent::queue, "The item's queue (transferred: the new one).")
      .def_property_readonly(
          "metric", [](const EngineEvent& e) { return OptionalMetric(e.metric); },
          "SLA events: the SlaMetric; None otherwise.")
      .def_readonly("fraction", &EngineEvent::fraction,
                    "SLA events: the threshold reached (warning), 1 (breach) or the share of "
                    "the target used (met).")
      .def_readonly("late", &EngineEvent::late,
                    "SLA events: fired after its due instant (a retroactive start or a "
                    "re-target), or met after the breach.")
      .def_readonly("from_level", &EngineEvent::from_level, "escalated: the level left.")
      .def_readonly("level", &EngineEvent::level, "escalated: the level entered.")
      .def_readonly("trigger", &EngineEvent::trigger, "escalated: the trigger kind's name.")
      .def_readonly("target", &EngineEvent::target, "escalated: the notified role.")
      .def_readonly("detail", &EngineEvent::detail,
                    "agent_state: the new state and reason; closed: \"confirmed\" or "
                    "\"quiet_period\"; transferred: the old queue; follow_up_created: the "
                    "resolved item.")
      .def("to_dict", &EventDict,
           "kind, at and the fields meaningful for the kind (non-empty strings; metric, "
           "fraction and late for SLA events; from_level and level for escalated).")
      .def("__repr__", &EventRepr)
      .def(py::self == py::self);
}

void BindItem(py::module_& module) {
  py::class_<SlaClockView> clock(module, "SlaClockView", "One SLA clock of an item.");
  clock
      .def_property_readonly(
          "metric", [](const SlaClockView& c) { return EnumMember(c.metric); }, "An SlaMetric.")
      .def_property_readonly(
          "state", [](const SlaClockView& c) { return EnumMember(c.state); },
          "An SlaState: running, paused, met, breached or cancelled.")
      .def_readonly("start", &SlaClockView::start, "When the cycle started.")
      .def_readonly("deadline", &SlaClockView::deadline,
                    "When the target is reached if it keeps running; None while paused or "
                    "stopped.")
      .def_readonly("target", &SlaClockView::target, "Business seconds allowed.")
      .def_readonly("elapsed", &SlaClockView::elapsed, "Business seconds counted so far.");
  AddDictAndRepr(clock, "SlaClockView",
                 {"metric", "state", "start", "deadline", "target", "elapsed"},
                 {"metric", "state", "deadline"});

  py::class_<EngineItemView> item(module, "EngineItemView",
                                  "A work item's live view (C++ EngineItemView).");
  item.def_readonly("id", &EngineItemView::id, "The item id.")
      .def_property_readonly(
          "state", [](const EngineItemView& v) { return EnumMember(v.state); },
          "An ItemState: queued, offered, assigned, pending_customer, resolved, reopened ...")
      .def_readonly("queue", &EngineItemView::queue, "The queue it is in (or was last in).")
      .def_readonly("channel", &EngineItemView::channel, "The channel it arrived on.")
      .def_readonly("priority", &EngineItemView::priority, "The SLA priority label.")
      .def_readonly("routing_priority", &EngineItemView::routing_priority,
                    "0 is the most urgent; escalation may raise it above the label's.")
      .def_readonly("tier", &EngineItemView::tier,
                    "The customer tier (e.g. \"vip\"); empty when none.")
      .def_readonly("tags", &EngineItemView::tags, "Its tags (e.g. [\"upset\"]).")
      .def_readonly("customer", &EngineItemView::customer, "The customer id; empty when none.")
      .def_readonly("agent", &EngineItemView::agent,
                    "Offered to, assigned to or resolved by; empty when none.")
      .def_readonly("created", &EngineItemView::created,
                    "When the work began (the SLA clocks' start).")
      .def_readonly("escalation_policy", &EngineItemView::escalation_policy,
                    "The escalation policy's name; empty when none.")
      .def_readonly("level", &EngineItemView::level, "The escalation level, 0 first.")
      .def_readonly("level_name", &EngineItemView::level_name, "The escalation level's name.")
      .def_readonly("transfers", &EngineItemView::transfers, "Transfers of assigned work so far.")
      .def_readonly("reopens", &EngineItemView::reopens, "Reopenings so far.")
      .def_readonly("rejected_offers", &EngineItemView::rejected_offers,
                    "Offers of it rejected or expired so far.")
      .def_readonly("position", &EngineItemView::position,
                    "Queued: the 0-based place in its queue; None otherwise.")
      .def_readonly("sla", &EngineItemView::sla, "The SLA clocks (SlaClockView), metric order.");
  AddDictAndRepr(item, "EngineItemView",
                 {"id", "state", "queue", "channel", "priority", "routing_priority", "tier", "tags",
                  "customer", "agent", "created", "escalation_policy", "level", "level_name",
                  "transfers", "reopens", "rejected_offers", "position", "sla"},
                 {"id", "state", "queue", "priority", "agent", "level"});
}

void BindAgent(py::module_& module) {
  py::class_<EngineAgentView> agent(module, "EngineAgentView",
                                    "An agent's live view (C++ EngineAgentView).");
  agent.def_readonly("id", &EngineAgentView::id, "The agent id.")
      .def_property_readonly(
          "state", [](const EngineAgentView& v) { return EnumMember(v.state); },
          "An AgentState: offline, available, away or wrap_up.")
      .def_readonly("away_reason", &EngineAgentView::away_reason,
                    "Why away (set_agent_state's reason); empty otherwise.")
      .def_readonly("load", &EngineAgentView::load, "Items per channel, offers included.")
      .def_readonly("used_units", &EngineAgentView::used_units,
                    "Capacity units in use, offers included.")
      .def_readonly("budget", &EngineAgentView::budget, "Capacity units.")
      .def_readonly("assigned", &EngineAgentView::assigned, "Assigned item ids.")
      .def_readonly("offered", &EngineAgentView::offered, "Item ids offered to the agent.")
      .def_readonly("handled", &EngineAgentView::handled, "Items completed.")
      .def_readonly("estimated_time_until_free", &EngineAgentView::estimated_time_until_free,
                    "Seconds, from the mean handle time per channel.")
      .def_readonly("queues", &EngineAgentView::queues, "The queues it serves, in profile order.");
  AddDictAndRepr(agent, "EngineAgentView",
                 {"id", "state", "away_reason", "load", "used_units", "budget", "assigned",
                  "offered", "handled", "estimated_time_until_free", "queues"},
                 {"id", "state", "load", "assigned", "offered"});
}

void BindQueue(py::module_& module) {
  py::class_<QueueStats> queue(module, "QueueStats",
                               "A queue's live view and counters since the engine started.");
  queue.def_readonly("name", &QueueStats::name, "The queue name.")
      .def_readonly("waiting", &QueueStats::waiting, "Items waiting now.")
      .def_readonly("longest_wait", &QueueStats::longest_wait, "Seconds.")
      .def_readonly("waiting_by_priority", &QueueStats::waiting_by_priority,
                    "Waiting items per priority label, most urgent first.")
      .def_readonly("arrived", &QueueStats::arrived, "Submitted, reopened or transferred in.")
      .def_readonly("answered", &QueueStats::answered, "Assigned from it.")
      .def_readonly("abandoned", &QueueStats::abandoned, "Items abandoned while waiting in it.")
      .def_readonly("abandoned_after_threshold", &QueueStats::abandoned_after_threshold,
                    "Abandoned after waiting longer than the service-level threshold.")
      .def_readonly("answered_within_threshold", &QueueStats::answered_within_threshold,
                    "Answered within the service-level threshold.")
      .def_readonly("service_level", &QueueStats::service_level,
                    "Answered within the threshold / (answered + abandoned after it); 1 before "
                    "any.")
      .def_readonly("answered_within", &QueueStats::answered_within,
                    "(threshold seconds, answered within it) per service-level split.")
      .def_readonly("average_wait_answered", &QueueStats::average_wait_answered, "Seconds.")
      .def_readonly("agents_staffed", &QueueStats::agents_staffed,
                    "Agents logged in (not offline) serving it.")
      .def_readonly("agents_available", &QueueStats::agents_available,
                    "Agents available with room for some channel.")
      .def_readonly("expected_wait", &QueueStats::expected_wait,
                    "Seconds a new arrival is expected to wait; inf without recent service.")
      .def_readonly("service_rate_per_hour", &QueueStats::service_rate_per_hour,
                    "Answers per hour over the expected-wait window.");
  AddDictAndRepr(queue, "QueueStats",
                 {"name", "waiting", "longest_wait", "waiting_by_priority", "arrived", "answered",
                  "abandoned", "abandoned_after_threshold", "answered_within_threshold",
                  "service_level", "answered_within", "average_wait_answered", "agents_staffed",
                  "agents_available", "expected_wait", "service_rate_per_hour"},
                 {"name", "waiting", "answered", "abandoned", "service_level"});
}

void BindKpis(py::module_& module) {
  py::class_<EngineKpis> kpis(module, "EngineKpis", "The engine's KPIs since it started.");
  kpis.def_readonly("submitted", &EngineKpis::submitted, "Items submitted.")
      .def_readonly("answered", &EngineKpis::answered, "Items assigned to an agent.")
      .def_readonly("first_responses", &EngineKpis::first_responses, "First agent responses.")
      .def_readonly("average_first_response", &EngineKpis::average_first_response,
                    "AFR: seconds of wall time from creation.")
      .def_readonly("resolved", &EngineKpis::resolved, "Resolutions, reopened ones again.")
      .def_readonly("average_resolution", &EngineKpis::average_resolution,
                    "ART: seconds of wall time from creation, first resolutions.")
      .def_readonly("first_contact_resolution", &EngineKpis::first_contact_resolution,
                    "First resolutions without transfer and not reopened, over first "
                    "resolutions.")
      .def_readonly("on_time", &EngineKpis::on_time,
                    "SLA cycles met on time over cycles with a verdict.")
      .def_readonly("abandoned", &EngineKpis::abandoned, "Items the customer abandoned.")
      .def_readonly("abandonment_rate", &EngineKpis::abandonment_rate,
                    "abandoned / (abandoned + answered).")
      .def_readonly("transfers", &EngineKpis::transfers, "Transfers of assigned work.")
      .def_readonly("reopened", &EngineKpis::reopened, "Reopenings.")
      .def_readonly("closed", &EngineKpis::closed,
                    "Items closed (confirmed or after the quiet period).")
      .def_readonly("cancelled", &EngineKpis::cancelled, "Items cancelled.")
      .def_readonly("escalations", &EngineKpis::escalations,
                    "{(policy, level name): escalations into it}.");
  AddDictAndRepr(
      kpis, "EngineKpis",
      {"submitted", "answered", "first_responses", "average_first_response", "resolved",
       "average_resolution", "first_contact_resolution", "on_time", "abandoned", "abandonment_rate",
       "transfers", "reopened", "closed", "cancelled", "escalations"},
      {"submitted", "answered", "resolved", "on_time", "abandonment_rate"});

  py::class_<ExplainedCandidate> candidate(
      module, "Candidate", "One agent's standing for an item, from Engine.explain().");
  candidate.def_readonly("agent", &ExplainedCandidate::agent, "The agent id.")
      .def_readonly("eligible", &ExplainedCandidate::eligible,
                    "Whether the agent may take the item now.")
      .def_readonly("chosen", &ExplainedCandidate::chosen,
                    "The agent the item would be offered to now (or who holds it).")
      .def_readonly("reason", &ExplainedCandidate::reason,
                    "Why not eligible or not chosen: offline, away, wrap_up, cooldown, no "
                    "capacity on channel, does not serve queue, missing skill <name>, level too "
                    "low <name>, lower rank ...; for an offered or assigned item: holds it, "
                    "item is not waiting.");
  AddDictAndRepr(candidate, "Candidate", {"agent", "eligible", "chosen", "reason"},
                 {"agent", "eligible", "chosen", "reason"});
}

}  // namespace

void BindEngineViews(py::module_& module) {
  BindEvent(module);
  BindItem(module);
  BindAgent(module);
  BindQueue(module);
  BindKpis(module);
}

}  // namespace omniroute::python
