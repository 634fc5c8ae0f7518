// The C++ enums the engine returns, as members of the package's Python enums.
//
// The enums are defined in Python (omniroute/_enums.py, `enum.StrEnum`, so each member compares
// equal to its lower-case name) and registered with `_register_enum` when the package is
// imported; registration checks that the Python members are exactly the C++ names, in order.
// Before registration (the compiled module used on its own) the plain names are returned.
#ifndef OMNIROUTE_BINDINGS_PYTHON_ENUMS_H_
#define OMNIROUTE_BINDINGS_PYTHON_ENUMS_H_

#include <pybind11/pybind11.h>

#include <cstdint>

#include "omniroute/agents.h"
#include "omniroute/engine.h"
#include "omniroute/lifecycle.h"
#include "omniroute/skills.h"
#include "omniroute/sla.h"

namespace omniroute::python {

enum class PythonEnum : uint8_t {
  kEventKind,
  kCommandKind,
  kAgentState,
  kItemState,
  kSlaMetric,
  kSlaState,
  kRelaxationKind,
};

// The member (or name) of enumerator `index` of `which`; a new reference.
pybind11::object EnumMember(PythonEnum which, int index);

inline pybind11::object EnumMember(EngineEventKind value) {
  return EnumMember(PythonEnum::kEventKind, static_cast<int>(value));
}
inline pybind11::object EnumMember(EngineCommandKind value) {
  return EnumMember(PythonEnum::kCommandKind, static_cast<int>(value));
}
inline pybind11::object EnumMember(AgentState value) {
  return EnumMember(PythonEnum::kAgentState, static_cast<int>(value));
}
inline pybind11::object EnumMember(ItemState value) {
  return EnumMember(PythonEnum::kItemState, static_cast<int>(value));
}
inline pybind11::object EnumMember(SlaMetric value) {
  return EnumMember(PythonEnum::kSlaMetric, static_cast<int>(value));
}
inline pybind11::object EnumMember(SlaState value) {
  return EnumMember(PythonEnum::kSlaState, static_cast<int>(value));
}

}  // namespace omniroute::python

#endif  // OMNIROUTE_BINDINGS_PYTHON_ENUMS_H_
