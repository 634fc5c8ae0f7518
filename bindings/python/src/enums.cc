#include "enums.h"

#include <pybind11/pybind11.h>

#include <string>
#include <string_view>
#include <vector>

#include "bindings.h"

namespace omniroute::python {
namespace {

namespace py = pybind11;

struct EnumInfo {
  std::string python_name;
  std::vector<std::string> names;  // by enumerator value
  // The registered Python members, or the names as str until the package registers its enum.
  std::vector<py::object> members;
};

template <typename Enum, typename NameFn>
EnumInfo Info(std::string python_name, Enum last, NameFn name_of) {
  EnumInfo info{.python_name = std::move(python_name), .names = {}, .members = {}};
  for (int i = 0; i <= static_cast<int>(last); ++i) {
    info.names.emplace_back(name_of(static_cast<Enum>(i)));
    info.members.push_back(py::str(info.names.back()));
  }
  return info;
}

// Never destroyed: the members must not be released after the interpreter has shut down.
std::vector<EnumInfo>& Enums() {
  static std::vector<EnumInfo>* const enums = new std::vector<EnumInfo>{
      Info("EventKind", EngineEventKind::kAgentState, EngineEventKindName),
      Info("CommandKind", EngineCommandKind::kReconfigure, EngineCommandKindName),
      Info("AgentState", AgentState::kWrapUp, AgentStateName),
      Info("ItemState", ItemState::kCancelled, ItemStateName),
      Info("SlaMetric", SlaMetric::kResolution, SlaMetricName),
      Info("SlaState", SlaState::kCancelled, SlaStateName),
      Info("RelaxationKind", RelaxationKind::kWiden, RelaxationKindName),
  };
  return *enums;
}

void RegisterEnum(const std::string& name, const py::object& enum_type) {
  for (EnumInfo& info : Enums()) {
    if (info.python_name != name) continue;
    std::vector<std::string> values;
    for (py::handle member : enum_type) values.push_back(py::str(member.attr("value")));
    if (values != info.names) {
      std::string expected;
      for (const std::string& n : info.names) expected += (expected.empty() ? "" : ", ") + n;
      throw py::value_error("enum " + name + " must have the values " + expected + ", in order");
    }
    for (size_t i = 0; i < values.size(); ++i) info.members[i] = enum_type(values[i]);
    return;
  }
  throw py::value_error("no C++ enum is named " + name);
}

}  // namespace

py::object EnumMember(PythonEnum which, int index) {
  return Enums()[static_cast<size_t>(which)].members[static_cast<size_t>(index)];
}

void BindEnums(py::module_& module) {
  Enums();
  module.def("_register_enum", &RegisterEnum, py::arg("name"), py::arg("enum_type"),
             "Makes the engine return members of `enum_type` (a str enum whose values are the C++ "
             "names, in order) for the C++ enum `name`.");
}

}  // namespace omniroute::python
