// The compiled module `omniroute._omniroute`: one function per concept registers its bindings.
#include <pybind11/pybind11.h>

#include <string_view>

#include "bindings.h"
#include "omniroute/version.h"
#include "status.h"

namespace omniroute::python {
namespace {

pybind11::object& StateErrorType() {
  static pybind11::object* type = new pybind11::object();
  return *type;
}

}  // namespace

void RegisterErrors(pybind11::module_& module) {
  StateErrorType() = pybind11::reinterpret_steal<pybind11::object>(
      PyErr_NewException("omniroute.StateError", PyExc_RuntimeError, nullptr));
  module.add_object("StateError", StateErrorType());
  StateErrorType().attr("__doc__") =
      "The command does not fit the current state (a failed precondition, or an id that already "
      "exists). A RuntimeError.";
}

pybind11::handle ExceptionType(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kDataLoss:
      return PyExc_ValueError;
    case absl::StatusCode::kNotFound:
      return PyExc_KeyError;
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAlreadyExists:
      return StateErrorType();
    default:
      return PyExc_RuntimeError;
  }
}

pybind11::str ErrorText(std::string_view message) {
  PyObject* text = PyUnicode_DecodeUTF8(message.data(), static_cast<Py_ssize_t>(message.size()),
                                        "backslashreplace");
  if (text == nullptr) throw pybind11::error_already_set();
  return pybind11::reinterpret_steal<pybind11::str>(text);
}

void ThrowIfError(const absl::Status& status) {
  if (status.ok()) return;
  const absl::string_view message = status.message();
  PyErr_SetObject(ExceptionType(status.code()).ptr(),
                  ErrorText(std::string_view(message.data(), message.size())).ptr());
  throw pybind11::error_already_set();
}

}  // namespace omniroute::python

PYBIND11_MODULE(_omniroute, module) {
  module.doc() = "omniroute's compiled core; use the `omniroute` package.";
  module.attr("__version__") = OMNIROUTE_VERSION_STRING;
  omniroute::python::RegisterErrors(module);
  omniroute::python::BindCalendar(module);
  omniroute::python::BindSla(module);
  omniroute::python::BindEnums(module);
  omniroute::python::BindEngineViews(module);
  omniroute::python::BindEngine(module);
}
