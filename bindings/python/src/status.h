// absl::Status -> Python exceptions, always with the message:
// InvalidArgument, OutOfRange -> ValueError; NotFound -> KeyError;
// FailedPrecondition, AlreadyExists -> omniroute.StateError (a RuntimeError); others RuntimeError.
#ifndef OMNIROUTE_BINDINGS_PYTHON_STATUS_H_
#define OMNIROUTE_BINDINGS_PYTHON_STATUS_H_

#include <pybind11/pybind11.h>

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace omniroute::python {

// Registers omniroute.StateError on `module`.
void RegisterErrors(pybind11::module_& module);

// The Python exception type for a non-OK status code.
pybind11::handle ExceptionType(absl::StatusCode code);

// Throws the Python exception for a non-OK status.
void ThrowIfError(const absl::Status& status);

template <typename T>
T ValueOrThrow(absl::StatusOr<T> value) {
  ThrowIfError(value.status());
  return *std::move(value);
}

}  // namespace omniroute::python

#endif  // OMNIROUTE_BINDINGS_PYTHON_STATUS_H_
