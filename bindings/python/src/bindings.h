// One registration function per concept of the C++ API.
#ifndef OMNIROUTE_BINDINGS_PYTHON_BINDINGS_H_
#define OMNIROUTE_BINDINGS_PYTHON_BINDINGS_H_

#include <pybind11/pybind11.h>

namespace omniroute::python {

void BindCalendar(pybind11::module_& module);
void BindSla(pybind11::module_& module);
void BindEnums(pybind11::module_& module);
void BindEngineViews(pybind11::module_& module);
void BindEngine(pybind11::module_& module);

}  // namespace omniroute::python

#endif  // OMNIROUTE_BINDINGS_PYTHON_BINDINGS_H_
