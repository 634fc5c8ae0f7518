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
#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace omniroute::python {

// CPython's datetime C API lives in a pointer that is static to each translation unit, so it is
// imported by a macro in the function that uses it: an inline function would be merged across
// units by the linker and could set another unit's pointer.
#define OMNIROUTE_ENSURE_DATETIME_API()    \
  do {                                     \
    if (!PyDateTimeAPI) PyDateTime_IMPORT; \
  } while (false)

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
    OMNIROUTE_ENSURE_DATETIME_API();
    absl::Duration since_epoch;
    if (omniroute::python::NumberToDuration(src, since_epoch)) {
      value = absl::UnixEpoch() + since_epoch;
      return true;
    }
    if (!PyDateTime_Check(src.ptr())) return false;
    // UTC datetimes skip the utcoffset() call: bulk commands carry many instants.
    absl::Duration utc_offset = absl::ZeroDuration();
    if (PyDateTime_DATE_GET_TZINFO(src.ptr()) != PyDateTime_TimeZone_UTC) {
      object offset = reinterpret_borrow<object>(src).attr("utcoffset")();
      if (offset.is_none()) {
        throw value_error("naive datetime " + str(src).cast<std::string>() +
                          ": give it a tzinfo (e.g. datetime.timezone.utc) or pass epoch seconds");
      }
      utc_offset = omniroute::python::DeltaToDuration(offset);
    }
    const absl::CivilSecond wall(PyDateTime_GET_YEAR(src.ptr()), PyDateTime_GET_MONTH(src.ptr()),
                                 PyDateTime_GET_DAY(src.ptr()), PyDateTime_DATE_GET_HOUR(src.ptr()),
                                 PyDateTime_DATE_GET_MINUTE(src.ptr()),
                                 PyDateTime_DATE_GET_SECOND(src.ptr()));
    value = absl::UnixEpoch() + absl::Seconds(wall - absl::CivilSecond(1970, 1, 1, 0, 0, 0)) +
            absl::Microseconds(PyDateTime_DATE_GET_MICROSECOND(src.ptr())) - utc_offset;
    return true;
  }

  static handle cast(absl::Time t, return_value_policy, handle) {
    OMNIROUTE_ENSURE_DATETIME_API();
    if (t == absl::InfiniteFuture() || t == absl::InfinitePast()) return none().release();
    const absl::TimeZone utc = absl::UTCTimeZone();
    const absl::CivilSecond wall = absl::ToCivilSecond(t, utc);
    if (wall.year() < 1 || wall.year() > 9999) {
      throw value_error("instant " + absl::FormatTime(t, utc) +
                        " is outside the range of datetime");
    }
    const int64_t micros = (t - absl::FromCivil(wall, utc)) / absl::Microseconds(1);
    PyObject* result = PyDateTimeAPI->DateTime_FromDateAndTime(
        static_cast<int>(wall.year()), wall.month(), wall.day(), wall.hour(), wall.minute(),
        wall.second(), static_cast<int>(micros), PyDateTime_TimeZone_UTC,
        PyDateTimeAPI->DateTimeType);
    if (result == nullptr) throw error_already_set();
    return result;
  }
};

template <>
struct type_caster<absl::Duration> {
  PYBIND11_TYPE_CASTER(absl::Duration, const_name("timedelta | float"));

  bool load(handle src, bool) {
    OMNIROUTE_ENSURE_DATETIME_API();
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
