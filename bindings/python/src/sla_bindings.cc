#include <pybind11/operators.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bindings.h"
#include "casters.h"
#include "omniroute/config_json.h"
#include "omniroute/sla.h"
#include "omniroute/sla_tracker.h"
#include "status.h"

namespace omniroute::python {
namespace {

namespace py = pybind11;

SlaMetric Metric(const std::string& name) { return ValueOrThrow(ParseSlaMetric(name)); }

// A compiled BusinessCalendar, or the package's `Calendar` (which wraps one).
BusinessCalendar CalendarArg(py::handle value) {
  if (py::isinstance<BusinessCalendar>(value)) return value.cast<BusinessCalendar>();
  if (py::hasattr(value, "_impl") && py::isinstance<BusinessCalendar>(value.attr("_impl"))) {
    return value.attr("_impl").cast<BusinessCalendar>();
  }
  throw py::type_error("expected an omniroute.Calendar, got " +
                       py::repr(value).cast<std::string>());
}

// A clock together with the calendar it counts on, so that Python can ask it for elapsed time.
struct PyClock {
  SlaClock clock;
  BusinessCalendar calendar;
};

std::optional<double> Seconds(absl::Duration d) {
  if (d == absl::InfiniteDuration()) return std::nullopt;
  return absl::ToDoubleSeconds(d);
}

std::string EventRepr(const SlaEvent& e) {
  return "SlaEvent(" + std::string(SlaEventKindName(e.kind)) + ", item=" + std::to_string(e.item) +
         ", metric=" + std::string(SlaMetricName(e.metric)) + ", cycle=" + std::to_string(e.cycle) +
         ", fraction=" + py::repr(py::float_(e.fraction)).cast<std::string>() +
         ", due=" + absl::FormatTime(e.due, absl::UTCTimeZone()) + (e.late ? ", late" : "") + ")";
}

void BindPolicy(py::module_& module) {
  py::class_<SlaPolicy>(module, "SlaPolicy",
                        "A named SLA policy (C++ SlaPolicy): targets per priority and tier, a "
                        "calendar and pause reasons per metric, warning thresholds.")
      .def_static(
          "from_json",
          [](const std::string& text, const py::dict& calendars) {
            CalendarMap named;
            for (const auto& [name, calendar] : calendars) {
              named.emplace(py::str(name).cast<std::string>(), CalendarArg(calendar));
            }
            return ValueOrThrow(ParseSlaPolicyJson(text, named));
          },
          py::arg("text"), py::arg("calendars") = py::dict(),
          "Parses and validates a policy object (name, calendar, warn_at, targets, tiers, "
          "tier_targets, metrics); calendar names refer to `calendars` or \"24x7\". ValueError "
          "naming the JSON path; KeyError for an unknown calendar.")
      .def_readonly("name", &SlaPolicy::name)
      .def_readonly("warn_at", &SlaPolicy::warn_at, "Warning thresholds, fractions of the target.")
      .def_property_readonly(
          "priorities",
          [](const SlaPolicy& p) {
            std::vector<std::string> names;
            for (const auto& [priority, unused] : p.targets) names.push_back(priority);
            return names;
          },
          "The priorities with targets.")
      .def_readonly("tier_factors", &SlaPolicy::tier_factors)
      .def(
          "target",
          [](const SlaPolicy& p, const std::string& metric, const std::string& priority,
             const std::string& tier) {
            return Seconds(ValueOrThrow(p.Target(Metric(metric), priority, tier)));
          },
          py::arg("metric"), py::arg("priority"), py::arg("tier") = "",
          "Business seconds allowed for `metric` at `priority` and `tier`; None when the metric "
          "is not tracked. KeyError for an unknown priority, ValueError for an unknown metric.")
      .def(
          "calendar",
          [](const SlaPolicy& p, const std::string& metric) {
            return p.settings(Metric(metric)).calendar;
          },
          py::arg("metric"), "The calendar the metric's business time runs on.")
      .def(
          "paused_by",
          [](const SlaPolicy& p, const std::string& metric) {
            return p.settings(Metric(metric)).paused_by;
          },
          py::arg("metric"), "The pause reasons that stop the metric's clock.")
      .def(py::self == py::self)
      .def("__repr__", [](const SlaPolicy& p) { return "SlaPolicy(" + p.name + ")"; });
}

void BindClock(py::module_& module) {
  py::class_<PyClock>(module, "SlaClock",
                      "One cycle of one SLA metric: counts business time on its calendar from "
                      "its start, excluding paused spans.")
      .def(py::init([](const std::string& metric, absl::Time start, absl::Duration target,
                       const py::object& calendar_arg) {
             const BusinessCalendar calendar =
                 calendar_arg.is_none() ? BusinessCalendar() : CalendarArg(calendar_arg);
             return PyClock{ValueOrThrow(SlaClock::Start(Metric(metric), start, target, calendar)),
                            calendar};
           }),
           py::arg("metric"), py::arg("start"), py::arg("target"), py::arg("calendar") = py::none(),
           "A running clock from `start` with `target` business seconds (>= 0) on `calendar` "
           "(24x7 by default).")
      .def_property_readonly("metric",
                             [](const PyClock& c) { return SlaMetricName(c.clock.metric()); })
      .def_property_readonly("cycle", [](const PyClock& c) { return c.clock.cycle(); })
      .def_property_readonly(
          "state", [](const PyClock& c) { return SlaStateName(c.clock.state()); },
          "running, paused, met, breached or cancelled.")
      .def_property_readonly("start", [](const PyClock& c) { return c.clock.start(); })
      .def_property_readonly("target", [](const PyClock& c) { return c.clock.target(); })
      .def_property_readonly(
          "deadline", [](const PyClock& c) { return c.clock.Deadline(); },
          "When the target is reached if the clock keeps running; None while paused or stopped.")
      .def_property_readonly("breached", [](const PyClock& c) { return c.clock.breached(); })
      .def_property_readonly("met_late", [](const PyClock& c) { return c.clock.met_late(); })
      .def_property_readonly("is_open", [](const PyClock& c) { return c.clock.open(); })
      .def_property_readonly("calendar", [](const PyClock& c) { return c.calendar; })
      .def(
          "elapsed",
          [](const PyClock& c, absl::Time now) { return c.clock.Elapsed(now, c.calendar); },
          py::arg("now"), "Business seconds counted up to `now` (pauses excluded).")
      .def(
          "consumed",
          [](const PyClock& c, absl::Time now) { return c.clock.Consumed(now, c.calendar); },
          py::arg("now"), "Elapsed / target (may exceed 1).")
      .def(
          "remaining",
          [](const PyClock& c, absl::Time now) { return c.clock.Remaining(now, c.calendar); },
          py::arg("now"), "Target minus elapsed; negative once overdue.")
      .def(
          "pause", [](PyClock& c, absl::Time at) { ThrowIfError(c.clock.Pause(at, c.calendar)); },
          py::arg("at"), "Stops counting. StateError when not running.")
      .def(
          "resume", [](PyClock& c, absl::Time at) { ThrowIfError(c.clock.Resume(at, c.calendar)); },
          py::arg("at"), "Counts again. StateError when not paused.")
      .def(
          "stop", [](PyClock& c, absl::Time at) { ThrowIfError(c.clock.Stop(at, c.calendar)); },
          py::arg("at"),
          "Stops the cycle: met, late when past the target. StateError when already stopped; "
          "ValueError when `at` is before the last change.")
      .def(
          "cancel", [](PyClock& c, absl::Time at) { ThrowIfError(c.clock.Cancel(at)); },
          py::arg("at"), "Cancels an open clock. StateError when not open.")
      .def(
          "retarget",
          [](PyClock& c, absl::Duration target) {
            ThrowIfError(c.clock.Retarget(target, c.calendar));
          },
          py::arg("target"), "A new target counted from the original start.")
      .def("__eq__", [](const PyClock& a, const PyClock& b) { return a.clock == b.clock; })
      .def("__repr__", [](const PyClock& c) {
        return "SlaClock(" + std::string(SlaMetricName(c.clock.metric())) + ", " +
               std::string(SlaStateName(c.clock.state())) +
               ", cycle=" + std::to_string(c.clock.cycle()) + ")";
      });
}

void BindEvents(py::module_& module) {
  py::class_<SlaEvent>(module, "SlaEvent", "Something that happened to an SLA clock.")
      .def_property_readonly(
          "kind", [](const SlaEvent& e) { return SlaEventKindName(e.kind); },
          "sla_warning, sla_breached, sla_met or sla_cancelled.")
      .def_readonly("item", &SlaEvent::item)
      .def_property_readonly("metric", [](const SlaEvent& e) { return SlaMetricName(e.metric); })
      .def_readonly("cycle", &SlaEvent::cycle)
      .def_readonly("fraction", &SlaEvent::fraction,
                    "Warning: the threshold; breach: 1; met / cancelled: the fraction consumed.")
      .def_readonly("due", &SlaEvent::due, "When the threshold was reached or the clock stopped.")
      .def_readonly("at", &SlaEvent::at, "When the event was emitted.")
      .def_readonly("late", &SlaEvent::late)
      .def_readonly("overrun", &SlaEvent::overrun, "Met late: business seconds beyond target.")
      .def(py::self == py::self)
      .def("__repr__", &EventRepr);

  py::class_<SlaCycleRecord>(module, "SlaCycle", "A finished cycle of one metric.")
      .def_property_readonly("metric",
                             [](const SlaCycleRecord& r) { return SlaMetricName(r.metric); })
      .def_readonly("cycle", &SlaCycleRecord::cycle)
      .def_property_readonly(
          "outcome", [](const SlaCycleRecord& r) { return SlaStateName(r.outcome); },
          "met or cancelled.")
      .def_readonly("late", &SlaCycleRecord::late)
      .def_readonly("start", &SlaCycleRecord::start)
      .def_readonly("stop", &SlaCycleRecord::stop)
      .def_readonly("target", &SlaCycleRecord::target)
      .def_readonly("business_time", &SlaCycleRecord::business_time)
      .def("__repr__", [](const SlaCycleRecord& r) {
        return "SlaCycle(" + std::string(SlaMetricName(r.metric)) +
               ", cycle=" + std::to_string(r.cycle) + ", " + std::string(SlaStateName(r.outcome)) +
               (r.late ? ", late" : "") + ")";
      });

  py::class_<SlaAttainment>(module, "SlaAttainment",
                            "Attainment of one policy x metric x priority. Quantiles are within "
                            "1 % of the true value.")
      .def_readonly("started", &SlaAttainment::started)
      .def_readonly("met", &SlaAttainment::met, "Stopped on time.")
      .def_readonly("met_late", &SlaAttainment::met_late, "Stopped after the breach.")
      .def_readonly("breached", &SlaAttainment::breached)
      .def_readonly("cancelled", &SlaAttainment::cancelled)
      .def_property_readonly("open", &SlaAttainment::open)
      .def_property_readonly("met_ratio", &SlaAttainment::met_ratio,
                             "Met on time / (met on time + breached); 1 without a verdict.")
      .def_property_readonly("mean_business_seconds",
                             [](const SlaAttainment& a) { return a.business_seconds.mean(); })
      .def_property_readonly("mean_wall_seconds",
                             [](const SlaAttainment& a) { return a.wall_seconds.mean(); })
      .def(
          "business_seconds_quantile",
          [](const SlaAttainment& a, double q) { return a.business_seconds.Quantile(q); },
          py::arg("q"), "The q-quantile of business time to stop, in seconds.")
      .def(
          "wall_seconds_quantile",
          [](const SlaAttainment& a, double q) { return a.wall_seconds.Quantile(q); }, py::arg("q"),
          "The q-quantile of wall time to stop, in seconds.");
}

void BindTracker(py::module_& module) {
  py::class_<SlaTracker>(module, "SlaTracker",
                         "Owns many items' SLA clocks and fires their warnings and breaches "
                         "exactly once (C++ SlaTracker). Items are integers; every command "
                         "carries its instant `at` and first advances time to it.")
      .def(py::init([](absl::Time origin, absl::Duration tick) {
             return SlaTracker(SlaTracker::Options{origin, tick});
           }),
           py::arg("origin") = absl::UnixEpoch(), py::arg("tick") = absl::Milliseconds(1),
           "A tracker whose clock starts at `origin`; `tick` buckets the timer wheel.")
      .def(
          "add_policy", [](SlaTracker& t, SlaPolicy p) { ThrowIfError(t.AddPolicy(std::move(p))); },
          py::arg("policy"), "Registers a policy. StateError when the name exists.")
      .def(
          "replace_policy",
          [](SlaTracker& t, SlaPolicy p, absl::Time at) {
            ThrowIfError(t.ReplacePolicy(std::move(p), at));
          },
          py::arg("policy"), py::arg("at"),
          "Replaces the policy of the same name; open clocks are re-targeted.")
      .def(
          "start",
          [](SlaTracker& t, SlaItemId item, const std::string& policy, const std::string& priority,
             const std::string& tier, absl::Time start, std::optional<absl::Time> at) {
            ThrowIfError(t.Start(item, policy, priority, tier, start, at.value_or(start)));
          },
          py::arg("item"), py::arg("policy"), py::arg("priority"), py::arg("tier") = "",
          py::kw_only(), py::arg("start"), py::arg("at") = py::none(),
          "Starts the item's clocks at `start` (command time `at`, default `start`; an earlier "
          "start is retroactive). KeyError for an unknown policy or priority.")
      .def(
          "respond",
          [](SlaTracker& t, SlaItemId item, absl::Time at) {
            ThrowIfError(t.AgentResponded(item, at));
          },
          py::arg("item"), py::kw_only(), py::arg("at"), "An agent responded.")
      .def(
          "customer_message",
          [](SlaTracker& t, SlaItemId item, absl::Time at) {
            ThrowIfError(t.CustomerMessaged(item, at));
          },
          py::arg("item"), py::kw_only(), py::arg("at"), "The customer wrote.")
      .def(
          "pause",
          [](SlaTracker& t, SlaItemId item, absl::Time at, const std::string& reason) {
            ThrowIfError(t.Pause(item, reason, at));
          },
          py::arg("item"), py::kw_only(), py::arg("at"), py::arg("reason") = "customer",
          "Activates a pause reason. StateError when already active.")
      .def(
          "resume",
          [](SlaTracker& t, SlaItemId item, absl::Time at, const std::string& reason) {
            ThrowIfError(t.Resume(item, reason, at));
          },
          py::arg("item"), py::kw_only(), py::arg("at"), py::arg("reason") = "customer",
          "Ends a pause reason. StateError when not active.")
      .def(
          "resolve",
          [](SlaTracker& t, SlaItemId item, absl::Time at) { ThrowIfError(t.Resolve(item, at)); },
          py::arg("item"), py::kw_only(), py::arg("at"))
      .def(
          "reopen",
          [](SlaTracker& t, SlaItemId item, absl::Time at) { ThrowIfError(t.Reopen(item, at)); },
          py::arg("item"), py::kw_only(), py::arg("at"),
          "A new resolution cycle; earlier cycles stay in history.")
      .def(
          "retarget",
          [](SlaTracker& t, SlaItemId item, const std::string& priority, const std::string& tier,
             absl::Time at) { ThrowIfError(t.Retarget(item, priority, tier, at)); },
          py::arg("item"), py::arg("priority"), py::arg("tier") = "", py::kw_only(), py::arg("at"),
          "New priority or tier: open clocks re-targeted from their original start.")
      .def(
          "cancel",
          [](SlaTracker& t, SlaItemId item, absl::Time at) { ThrowIfError(t.Cancel(item, at)); },
          py::arg("item"), py::kw_only(), py::arg("at"))
      .def(
          "forget", [](SlaTracker& t, SlaItemId item) { ThrowIfError(t.Forget(item)); },
          py::arg("item"))
      .def(
          "advance_to", [](SlaTracker& t, absl::Time now) { ThrowIfError(t.AdvanceTo(now)); },
          py::arg("now"), "Fires every warning and breach due at or before `now`.")
      .def(
          "poll_events", [](SlaTracker& tracker) { return tracker.PollEvents(); },
          "The events since the last call, in order.")
      .def_property_readonly("now", &SlaTracker::now)
      .def(
          "clock",
          [](const SlaTracker& t, SlaItemId item, const std::string& metric) {
            const SlaMetric m = Metric(metric);
            const SlaClock* clock = t.Clock(item, m);
            return clock == nullptr
                       ? std::nullopt
                       : std::optional<PyClock>(PyClock{*clock, t.CalendarOf(item, m)});
          },
          py::arg("item"), py::arg("metric"), "The current cycle's clock (a copy), or None.")
      .def(
          "clocks",
          [](const SlaTracker& t, SlaItemId item) {
            std::vector<PyClock> clocks;
            for (const SlaClock& clock : t.Clocks(item)) {
              clocks.push_back(PyClock{clock, t.CalendarOf(item, clock.metric())});
            }
            return clocks;
          },
          py::arg("item"), "The item's current clocks (copies), in metric order.")
      .def(
          "history",
          [](const SlaTracker& t, SlaItemId item) {
            const auto history = t.History(item);
            return std::vector<SlaCycleRecord>(history.begin(), history.end());
          },
          py::arg("item"), "Finished cycles, oldest first.")
      .def(
          "attainment",
          [](const SlaTracker& t, const std::string& policy, const std::string& metric,
             const std::string& priority) {
            const SlaAttainment* a = t.Attainment(policy, Metric(metric), priority);
            return a == nullptr ? std::nullopt : std::optional<SlaAttainment>(*a);
          },
          py::arg("policy"), py::arg("metric"), py::arg("priority"),
          "Attainment of policy x metric x priority, or None when nothing started there.")
      .def("tracks", &SlaTracker::Tracks, py::arg("item"))
      .def_property_readonly("item_count", &SlaTracker::item_count)
      .def_property_readonly("open_clock_count", &SlaTracker::open_clock_count);
}

}  // namespace

void BindSla(py::module_& module) {
  BindPolicy(module);
  BindClock(module);
  BindEvents(module);
  BindTracker(module);
}

}  // namespace omniroute::python
