// Conversions between Python values and the library's vocabulary types.
//
// absl::Time <-> datetime goes through UTC arithmetic only (never local time, which is what
// pybind11's chrono support does): an aware datetime or epoch seconds (int or float) in; an aware
// UTC datetime out, None for an infinite instant. A naive datetime is a ValueError.
// absl::Duration <-> seconds: a timedelta or a number of seconds in; float seconds out.
#ifndef OMNIROUTE_BINDINGS_PYTHON_CASTERS_H_
#define OMNIROUTE_BINDINGS_PYTHON_CASTERS_H_

#include <datetime.h>
#include <pybind11/pybind11.h>

#include <cmath>
#include <cstdint>

#include "absl/time/time.h"

namespace omniroute::python {

// The Unix epoch as an aware UTC datetime; created once, never freed (it outlives the module).
inline pybind11::handle UtcEpoch() {
  static pybind11::handle epoch = [] {
    pybind11::module_ datetime = pybind11::module_::import("datetime");
    pybind11::object utc = datetime.attr("timezone").attr("utc");
    return datetime.attr("datetime")(1970, 1, 1, pybind11::arg("tzinfo") = utc).release();
  }();
  return epoch;
}

inline void EnsureDateTimeApi() {
  if (!PyDateTimeAPI) PyDateTime_IMPORT;
}

// Seconds as a Python number (int or float, not bool) to a duration; false when `src` is not one.
inline bool NumberToDuration(pybind11::handle src, absl::Duration& out) {
  if (PyBool_Check(src.ptr())) return false;
  if (PyLong_Check(src.ptr())) {
    int overflow = 0;
    const long long seconds = PyLong_AsLongLongAndOverflow(src.ptr(), &overflow);
    if (overflow != 0) throw pybind11::value_error("number of seconds out of range");
    out = absl::Seconds(seconds);
    return true;
  }
  if (PyFloat_Check(src.ptr())) {
    const double seconds = PyFloat_AsDouble(src.ptr());
    if (std::isnan(seconds)) throw pybind11::value_error("number of seconds is NaN");
    if (std::isinf(seconds)) {
      out = seconds > 0 ? absl::InfiniteDuration() : -absl::InfiniteDuration();
    } else if (std::fabs(seconds) > 9.2e12) {
      throw pybind11::value_error("number of seconds out of range");
    } else {
      out = absl::Microseconds(std::llround(seconds * 1e6));
    }
    return true;
  }
  return false;
}

inline absl::Duration DeltaToDuration(pybind11::handle delta) {
  return absl::Hours(24 * static_cast<int64_t>(PyDateTime_DELTA_GET_DAYS(delta.ptr()))) +
         absl::Seconds(PyDateTime_DELTA_GET_SECONDS(delta.ptr())) +
         absl::Microseconds(PyDateTime_DELTA_GET_MICROSECONDS(delta.ptr()));
}

}  // namespace omniroute::python

namespace pybind11::detail {

template <>
struct type_caster<absl::Time> {
  PYBIND11_TYPE_CASTER(absl::Time, const_name("datetime | float"));

  bool load(handle src, bool) {
    omniroute::python::EnsureDateTimeApi();
    absl::Duration since_epoch;
    if (omniroute::python::NumberToDuration(src, since_epoch)) {
      value = absl::UnixEpoch() + since_epoch;
      return true;
    }
    if (!PyDateTime_Check(src.ptr())) return false;
    if (reinterpret_borrow<object>(src).attr("utcoffset")().is_none()) {
      throw value_error("naive datetime " + str(src).cast<std::string>() +
                        ": give it a tzinfo (e.g. datetime.timezone.utc) or pass epoch seconds");
    }
    object delta = reinterpret_borrow<object>(src) - omniroute::python::UtcEpoch();
    value = absl::UnixEpoch() + omniroute::python::DeltaToDuration(delta);
    return true;
  }

  static handle cast(absl::Time t, return_value_policy, handle) {
    omniroute::python::EnsureDateTimeApi();
    if (t == absl::InfiniteFuture() || t == absl::InfinitePast()) return none().release();
    const int64_t micros = absl::ToUnixMicros(t);
    constexpr int64_t kMicrosPerDay = int64_t{86400} * 1000000;
    int64_t days = micros / kMicrosPerDay;
    int64_t rest = micros % kMicrosPerDay;
    if (rest < 0) {
      rest += kMicrosPerDay;
      --days;
    }
    object delta = reinterpret_steal<object>(PyDelta_FromDSU(static_cast<int>(days),
                                                             static_cast<int>(rest / 1000000),
                                                             static_cast<int>(rest % 1000000)));
    if (!delta) throw error_already_set();
    return (omniroute::python::UtcEpoch() + delta).release();
  }
};

template <>
struct type_caster<absl::Duration> {
  PYBIND11_TYPE_CASTER(absl::Duration, const_name("timedelta | float"));

  bool load(handle src, bool) {
    omniroute::python::EnsureDateTimeApi();
    if (omniroute::python::NumberToDuration(src, value)) return true;
    if (!PyDelta_Check(src.ptr())) return false;
    value = omniroute::python::DeltaToDuration(src);
    return true;
  }

  static handle cast(absl::Duration d, return_value_policy, handle) {
    return PyFloat_FromDouble(absl::ToDoubleSeconds(d));
  }
};

}  // namespace pybind11::detail

#endif  // OMNIROUTE_BINDINGS_PYTHON_CASTERS_H_
