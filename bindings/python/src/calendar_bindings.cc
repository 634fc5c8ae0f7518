#include <pybind11/operators.h>
#include <pybind11/pybind11.h>

#include <string>

#include "bindings.h"
#include "casters.h"
#include "omniroute/calendar.h"
#include "omniroute/config_json.h"
#include "status.h"

namespace omniroute::python {

namespace py = pybind11;

void BindCalendar(py::module_& module) {
  py::class_<BusinessCalendar>(module, "BusinessCalendar",
                               "An immutable business-hours calendar (C++ BusinessCalendar). "
                               "Instants are aware datetimes or epoch seconds.")
      .def(py::init<>(), "The always-open (24x7) calendar.")
      .def_static(
          "from_json",
          [](const std::string& text) { return ValueOrThrow(ParseCalendarJson(text)); },
          py::arg("text"),
          "Builds a calendar from its JSON object (tz, week, holidays, special_days). "
          "ValueError naming the JSON path on bad input.")
      .def_static("always_open", &BusinessCalendar::AlwaysOpen, "The always-open (24x7) calendar.")
      .def("is_open", &BusinessCalendar::IsOpen, py::arg("t"), "Whether instant t is open.")
      .def("next_open", &BusinessCalendar::NextOpen, py::arg("t"),
           "t itself when open, else the first open instant after t; None when the calendar "
           "never opens again.")
      .def("next_close", &BusinessCalendar::NextClose, py::arg("t"),
           "The end of the open stretch containing t (or of the next one when t is closed); "
           "None when it never ends.")
      .def(
          "add_business_time",
          [](const BusinessCalendar& calendar, absl::Time t, absl::Duration d) {
            return ValueOrThrow(calendar.AddBusinessTime(t, d));
          },
          py::arg("t"), py::arg("d"),
          "The earliest instant e >= t with exactly d of open time in [t, e) (d >= 0), or the "
          "latest e <= t with -d of open time in [e, t) (d < 0). ValueError when out of range.")
      .def("business_time_between", &BusinessCalendar::BusinessTimeBetween, py::arg("a"),
           py::arg("b"), "Seconds of open time in [a, b); negative when b < a.")
      .def_property_readonly(
          "time_zone", [](const BusinessCalendar& c) { return c.spec().time_zone; },
          "The IANA zone name.")
      .def_property_readonly("weekly_open_time", &BusinessCalendar::weekly_open_time,
                             "Seconds of open time in a regular week.")
      .def("is_always_open", &BusinessCalendar::IsAlwaysOpen,
           "True when open around the clock on every date.")
      .def(
          "spec_json", [](const BusinessCalendar& c) { return CalendarSpecToJson(c.spec()); },
          "The normalised spec as a JSON object (round-trips through from_json).")
      .def(py::self == py::self)
      .def(
          "__hash__",
          [](const BusinessCalendar& c) { return py::hash(py::str(CalendarSpecToJson(c.spec()))); })
      .def("__repr__", &BusinessCalendar::ToString);
}

}  // namespace omniroute::python
