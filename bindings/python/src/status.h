// absl::Status -> Python exceptions, always with the message:
// InvalidArgument, OutOfRange, DataLoss (a corrupt snapshot or journal) -> ValueError;
// NotFound -> KeyError; FailedPrecondition, AlreadyExists -> omniroute.StateError (a
// RuntimeError); others RuntimeError.
#ifndef OMNIROUTE_BINDINGS_PYTHON_STATUS_H_
#define OMNIROUTE_BINDINGS_PYTHON_STATUS_H_

#include <pybind11/pybind11.h>

#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace omniroute::python {

// Registers omniroute.StateError on `module`.
void RegisterErrors(pybind11::module_& module);

// The Python exception type for a non-OK status code.
pybind11::handle ExceptionType(absl::StatusCode code);

// An error message as Python text. Messages quote what they were given (ids, bytes of a journal),
// which need not be UTF-8: each byte that is not part of valid UTF-8 becomes "\xNN".
pybind11::str ErrorText(std::string_view message);

// Throws the Python exception for a non-OK status.
void ThrowIfError(const absl::Status& status);

template <typename T>
T ValueOrThrow(absl::StatusOr<T> value) {
  ThrowIfError(value.status());
  return *std::move(value);
}

}  // namespace omniroute::python

#endif  // OMNIROUTE_BINDINGS_PYTHON_STATUS_H_
