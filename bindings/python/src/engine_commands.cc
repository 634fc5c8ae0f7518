#include "engine_commands.h"

#include <pybind11/pybind11.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "casters.h"
#include "omniroute/agents.h"
#include "omniroute/engine.h"
#include "omniroute/skills.h"
#include "status.h"

namespace omniroute::python {
namespace {

namespace py = pybind11;

constexpr std::string_view kAgentParameters[] = {"id",     "skills", "capacity",
                                                 "queues", "budget", "at"};
constexpr std::string_view kAgentIdParameters[] = {"agent", "at"};
constexpr std::string_view kAgentStateParameters[] = {"agent", "state", "at", "reason"};
constexpr std::string_view kSubmitParameters[] = {
    "id",    "queue", "channel", "priority", "requires", "prefers",  "excludes",
    "relax", "tier",  "tags",    "customer", "created",  "deadline", "at"};
constexpr std::string_view kUpdateParameters[] = {"item",     "priority", "tier",     "tags",
                                                  "requires", "prefers",  "excludes", "relax",
                                                  "deadline", "at"};
constexpr std::string_view kAnswerParameters[] = {"item", "agent", "at"};
constexpr std::string_view kItemParameters[] = {"item", "at"};
constexpr std::string_view kReasonParameters[] = {"item", "at", "reason"};
constexpr std::string_view kTransferParameters[] = {"item", "queue", "at"};
constexpr std::string_view kAdvanceParameters[] = {"at"};
constexpr std::string_view kReconfigureParameters[] = {"config", "at"};
constexpr std::string_view kRelaxKeys[] = {"after", "kind", "skill", "alternative", "level"};
constexpr std::string_view kQueueKeys[] = {"queue", "priority", "delay"};

constexpr size_t kMaxParameters = std::size(kSubmitParameters);

// The position of `name` in `names`; a compile-time error when it is not there.
consteval size_t Index(std::span<const std::string_view> names, std::string_view name) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return i;
  }
  throw "no such parameter";
}

std::optional<size_t> Find(std::span<const std::string_view> names, std::string_view name) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return i;
  }
  return std::nullopt;
}

std::string Joined(std::span<const std::string_view> names) {
  std::string text;
  for (std::string_view name : names) {
    if (!text.empty()) text += ", ";
    text += name;
  }
  return text;
}

std::string Describe(py::handle value) {
  std::string text = py::repr(value);
  if (text.size() > 60) {
    // Cut between characters: a message that is not UTF-8 reaches Python empty.
    size_t cut = 57;
    while ((static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) --cut;
    text = text.substr(0, cut) + "...";
  }
  return std::string(Py_TYPE(value.ptr())->tp_name) + " " + text;
}

bool Given(py::handle value) { return value && !value.is_none(); }

template <typename T>
T ValueOrValueError(absl::StatusOr<T> value) {
  if (!value.ok()) throw py::value_error(std::string(value.status().message()));
  return *std::move(value);
}

std::string TextOf(py::handle value, std::string_view what) {
  if (!PyUnicode_Check(value.ptr())) {
    throw py::type_error(std::string(what) + ": expected a str, got " + Describe(value));
  }
  Py_ssize_t size = 0;
  const char* data = PyUnicode_AsUTF8AndSize(value.ptr(), &size);
  if (data == nullptr) throw py::error_already_set();
  return std::string(data, static_cast<size_t>(size));
}

int IntOf(py::handle value, std::string_view what) {
  if (!PyLong_Check(value.ptr()) || PyBool_Check(value.ptr())) {
    throw py::type_error(std::string(what) + ": expected an int, got " + Describe(value));
  }
  int overflow = 0;
  const long n = PyLong_AsLongAndOverflow(value.ptr(), &overflow);
  if (overflow != 0 || n < INT32_MIN || n > INT32_MAX) {
    throw py::value_error(std::string(what) + ": " + std::string(py::repr(value)) +
                          " is out of range");
  }
  return static_cast<int>(n);
}

double NumberOf(py::handle value, std::string_view what) {
  if (PyFloat_Check(value.ptr())) return PyFloat_AsDouble(value.ptr());
  return IntOf(value, what);
}

absl::Time InstantOf(py::handle value, std::string_view what) {
  py::detail::make_caster<absl::Time> caster;
  if (!caster.load(value, true)) {
    throw py::type_error(std::string(what) + ": expected an aware datetime or epoch seconds, got " +
                         Describe(value));
  }
  return py::detail::cast_op<absl::Time>(caster);
}

absl::Duration DurationOf(py::handle value, std::string_view what) {
  py::detail::make_caster<absl::Duration> caster;
  if (!caster.load(value, true)) {
    throw py::type_error(std::string(what) + ": expected seconds or a timedelta, got " +
                         Describe(value));
  }
  return py::detail::cast_op<absl::Duration>(caster);
}

// Calls `f(key, value)` for each entry of a dict or of another mapping. A dict is iterated in
// place: `f` must not run Python code.
template <typename F>
void ForEachEntry(py::handle mapping, std::string_view what, F&& f) {
  if (PyDict_Check(mapping.ptr())) {
    PyObject* key = nullptr;
    PyObject* value = nullptr;
    Py_ssize_t position = 0;
    while (PyDict_Next(mapping.ptr(), &position, &key, &value)) f(key, value);
    return;
  }
  if (!py::hasattr(mapping, "items") || PyUnicode_Check(mapping.ptr())) {
    throw py::type_error(std::string(what) + ": expected a mapping, got " + Describe(mapping));
  }
  for (py::handle entry : mapping.attr("items")()) {
    py::tuple pair = py::reinterpret_borrow<py::tuple>(entry);
    f(pair[0], pair[1]);
  }
}

// Calls `f(element)` for each element of a list, tuple or other iterable (a str is refused:
// it is a single name, not a list of them).
template <typename F>
void ForEachElement(py::handle sequence, std::string_view what, F&& f) {
  if (PyUnicode_Check(sequence.ptr()) || PyBytes_Check(sequence.ptr()) ||
      PyDict_Check(sequence.ptr())) {
    throw py::type_error(std::string(what) + ": expected a list, got " + Describe(sequence));
  }
  if (PyTuple_Check(sequence.ptr())) {
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(sequence.ptr()); ++i) {
      f(py::handle(PyTuple_GET_ITEM(sequence.ptr(), i)));
    }
    return;
  }
  if (PyList_Check(sequence.ptr())) {
    // Owned and re-bounded on each step: `f` may run Python code that changes the list.
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(sequence.ptr()); ++i) {
      f(py::reinterpret_borrow<py::object>(PyList_GET_ITEM(sequence.ptr(), i)));
    }
    return;
  }
  if (!py::isinstance<py::iterable>(sequence)) {
    throw py::type_error(std::string(what) + ": expected a list, got " + Describe(sequence));
  }
  for (py::handle element : sequence) f(element);
}

std::map<std::string, int> LevelsOf(py::handle value, std::string_view what) {
  std::map<std::string, int> levels;
  ForEachEntry(value, what, [&](py::handle key, py::handle level) {
    std::string name = TextOf(key, std::string(what) + " key");
    const int n = IntOf(level, std::string(what) + "[" + name + "]");
    levels.emplace(std::move(name), n);
  });
  return levels;
}

std::map<std::string, double> WeightsOf(py::handle value, std::string_view what) {
  std::map<std::string, double> weights;
  ForEachEntry(value, what, [&](py::handle key, py::handle weight) {
    std::string name = TextOf(key, std::string(what) + " key");
    const double w = NumberOf(weight, std::string(what) + "[" + name + "]");
    weights.emplace(std::move(name), w);
  });
  return weights;
}

std::vector<std::string> StringsOf(py::handle value, std::string_view what) {
  std::vector<std::string> strings;
  ForEachElement(value, what, [&](py::handle element) {
    strings.push_back(TextOf(element, std::string(what) + " element"));
  });
  return strings;
}

// Reads a mapping whose keys must be among `keys` into `values` (in the order of `keys`).
void KeyedValues(py::handle mapping, std::span<const std::string_view> keys, std::string_view what,
                 std::span<py::object> values) {
  ForEachEntry(mapping, what, [&](py::handle key, py::handle value) {
    const std::string name = TextOf(key, std::string(what) + " key");
    const std::optional<size_t> index = Find(keys, name);
    if (!index) {
      throw py::value_error(std::string(what) + ": unknown key \"" + name + "\" (expected " +
                            Joined(keys) + ")");
    }
    values[*index] = py::reinterpret_borrow<py::object>(value);
  });
}

std::vector<EngineQueueRef> QueuesOf(py::handle value) {
  std::vector<EngineQueueRef> queues;
  ForEachElement(value, "queues", [&](py::handle element) {
    if (PyUnicode_Check(element.ptr())) {
      queues.push_back({.queue = TextOf(element, "queues"), .priority = 0, .delay = {}});
      return;
    }
    std::array<py::object, std::size(kQueueKeys)> fields;
    KeyedValues(element, kQueueKeys, "queues element", fields);
    EngineQueueRef ref;
    if (!Given(fields[Index(kQueueKeys, "queue")])) {
      throw py::value_error("queues element: \"queue\" is required");
    }
    ref.queue = TextOf(fields[Index(kQueueKeys, "queue")], "queues.queue");
    if (Given(fields[Index(kQueueKeys, "priority")])) {
      ref.priority = IntOf(fields[Index(kQueueKeys, "priority")], "queues.priority");
    }
    if (Given(fields[Index(kQueueKeys, "delay")])) {
      ref.delay = DurationOf(fields[Index(kQueueKeys, "delay")], "queues.delay");
    }
    queues.push_back(std::move(ref));
  });
  return queues;
}

std::vector<NamedRelaxationStep> StepsOf(py::handle value) {
  std::vector<NamedRelaxationStep> steps;
  ForEachElement(value, "relax", [&](py::handle element) {
    std::array<py::object, std::size(kRelaxKeys)> fields;
    KeyedValues(element, kRelaxKeys, "relax element", fields);
    NamedRelaxationStep step;
    if (!Given(fields[Index(kRelaxKeys, "kind")]) || !Given(fields[Index(kRelaxKeys, "skill")])) {
      throw py::value_error("relax element: \"kind\" and \"skill\" are required");
    }
    step.kind = ValueOrValueError(
        ParseRelaxationKind(TextOf(fields[Index(kRelaxKeys, "kind")], "relax.kind")));
    step.skill = TextOf(fields[Index(kRelaxKeys, "skill")], "relax.skill");
    if (Given(fields[Index(kRelaxKeys, "after")])) {
      step.after = DurationOf(fields[Index(kRelaxKeys, "after")], "relax.after");
    }
    if (Given(fields[Index(kRelaxKeys, "alternative")])) {
      step.alternative = TextOf(fields[Index(kRelaxKeys, "alternative")], "relax.alternative");
    }
    if (Given(fields[Index(kRelaxKeys, "level")])) {
      step.level = IntOf(fields[Index(kRelaxKeys, "level")], "relax.level");
    }
    steps.push_back(std::move(step));
  });
  return steps;
}

// The values of one command's parameters, by position in its parameter list.
class Arguments {
 public:
  Arguments(std::span<const std::string_view> names, std::span<const py::handle> values)
      : names_(names), values_(values) {}

  bool Has(size_t i) const { return Given(values_[i]); }
  py::handle operator[](size_t i) const { return values_[i]; }
  std::string Text(size_t i) const { return TextOf(values_[i], names_[i]); }
  std::string TextOr(size_t i, std::string_view fallback) const {
    return Has(i) ? Text(i) : std::string(fallback);
  }
  absl::Time Instant(size_t i) const { return InstantOf(values_[i], names_[i]); }
  std::map<std::string, int> Levels(size_t i) const {
    return Has(i) ? LevelsOf(values_[i], names_[i]) : std::map<std::string, int>{};
  }
  std::vector<std::string> Strings(size_t i) const {
    return Has(i) ? StringsOf(values_[i], names_[i]) : std::vector<std::string>{};
  }

  // The requirement from requires / prefers / excludes / relax at positions `first` ...
  // `first + 3`; nullopt when none of them is given.
  std::optional<NamedRequirement> Requirement(size_t first) const {
    if (!Has(first) && !Has(first + 1) && !Has(first + 2) && !Has(first + 3)) return std::nullopt;
    NamedRequirement requirement;
    requirement.must = Levels(first);
    if (Has(first + 1)) requirement.preferred = WeightsOf(values_[first + 1], names_[first + 1]);
    requirement.excluded = Strings(first + 2);
    if (Has(first + 3)) requirement.steps = StepsOf(values_[first + 3]);
    return requirement;
  }

 private:
  std::span<const std::string_view> names_;
  std::span<const py::handle> values_;
};

void BuildAgent(const Arguments& a, EngineCommand& c) {
  constexpr std::span<const std::string_view> p = kAgentParameters;
  EngineAgentSpec& agent = c.agent_spec;
  agent.id = a.Text(Index(p, "id"));
  agent.skills = a.Levels(Index(p, "skills"));
  agent.capacity = a.Levels(Index(p, "capacity"));
  if (a.Has(Index(p, "queues"))) agent.queues = QueuesOf(a[Index(p, "queues")]);
  if (a.Has(Index(p, "budget"))) agent.budget = IntOf(a[Index(p, "budget")], "budget");
}

void BuildSubmit(const Arguments& a, EngineCommand& c) {
  constexpr std::span<const std::string_view> p = kSubmitParameters;
  static_assert(Index(p, "prefers") == Index(p, "requires") + 1 &&
                Index(p, "excludes") == Index(p, "requires") + 2 &&
                Index(p, "relax") == Index(p, "requires") + 3);
  EngineItemSpec& item = c.item_spec;
  item.id = a.Text(Index(p, "id"));
  item.queue = a.Text(Index(p, "queue"));
  item.channel = a.Text(Index(p, "channel"));
  item.priority = a.TextOr(Index(p, "priority"), "");
  item.requirement = a.Requirement(Index(p, "requires")).value_or(NamedRequirement{});
  item.tier = a.TextOr(Index(p, "tier"), "");
  item.tags = a.Strings(Index(p, "tags"));
  item.customer = a.TextOr(Index(p, "customer"), "");
  if (a.Has(Index(p, "created"))) item.created = a.Instant(Index(p, "created"));
  if (a.Has(Index(p, "deadline"))) item.deadline = a.Instant(Index(p, "deadline"));
}

void BuildUpdate(const Arguments& a, EngineCommand& c) {
  constexpr std::span<const std::string_view> p = kUpdateParameters;
  static_assert(Index(p, "prefers") == Index(p, "requires") + 1 &&
                Index(p, "excludes") == Index(p, "requires") + 2 &&
                Index(p, "relax") == Index(p, "requires") + 3);
  c.item = a.Text(Index(p, "item"));
  EngineItemUpdate& update = c.update;
  if (a.Has(Index(p, "priority"))) update.priority = a.Text(Index(p, "priority"));
  if (a.Has(Index(p, "tier"))) update.tier = a.Text(Index(p, "tier"));
  if (a.Has(Index(p, "tags"))) update.tags = a.Strings(Index(p, "tags"));
  update.requirement = a.Requirement(Index(p, "requires"));
  if (a.Has(Index(p, "deadline"))) update.deadline = a.Instant(Index(p, "deadline"));
}

EngineCommandKind KindOf(py::handle value) {
  return ValueOrValueError(ParseEngineCommandKind(TextOf(value, "kind")));
}

bool IsMapping(py::handle value) {
  return PyDict_Check(value.ptr()) ||
         (!PyUnicode_Check(value.ptr()) && py::hasattr(value, "items"));
}

// Reads one command in mapping or tuple form (see the file comment); `values` holds its
// parameters' values meanwhile (owned: reading them may run Python code, e.g. a tzinfo's).
PendingCommand ReadCommand(py::handle command, std::optional<EngineCommandKind> only,
                           std::span<py::object> values) {
  const bool is_sequence = PyTuple_Check(command.ptr()) || PyList_Check(command.ptr());
  if (!is_sequence && !IsMapping(command)) {
    throw py::type_error("expected a mapping or a tuple, got " + Describe(command));
  }
  // A list is copied to a tuple so that its elements cannot change while they are read.
  py::object frozen;
  std::array<py::handle, kMaxParameters + 2> items{};
  std::span<const py::handle> elements;
  py::object kind_value;
  if (is_sequence) {
    frozen = PyTuple_Check(command.ptr())
                 ? py::reinterpret_borrow<py::object>(command)
                 : py::reinterpret_steal<py::object>(PySequence_Tuple(command.ptr()));
    if (!frozen) throw py::error_already_set();
    const auto size = static_cast<size_t>(PyTuple_GET_SIZE(frozen.ptr()));
    if (size > items.size()) {
      throw py::type_error("a command of " + std::to_string(size) + " values");
    }
    for (size_t i = 0; i < size; ++i) {
      items[i] = PyTuple_GET_ITEM(frozen.ptr(), static_cast<Py_ssize_t>(i));
    }
    elements = std::span<const py::handle>(items.data(), size);
    if (!only) {
      if (elements.empty()) throw py::type_error("an empty command");
      kind_value = py::reinterpret_borrow<py::object>(elements.front());
      elements = elements.subspan(1);
    }
  } else if (PyDict_Check(command.ptr())) {
    kind_value = py::reinterpret_borrow<py::object>(PyDict_GetItemString(command.ptr(), "kind"));
  } else {
    kind_value = command.attr("get")("kind");
    if (kind_value.is_none()) kind_value = py::object();
  }

  std::optional<EngineCommandKind> kind = only;
  if (kind_value) {
    const EngineCommandKind given = KindOf(kind_value);
    if (only && given != *only) {
      throw py::value_error("kind \"" + std::string(EngineCommandKindName(given)) +
                            "\" where only \"" + std::string(EngineCommandKindName(*only)) +
                            "\" is accepted");
    }
    kind = given;
  }
  if (!kind) throw py::type_error("the command has no \"kind\"");
  const CommandParameters parameters = ParametersOf(*kind);
  const std::string_view kind_name = EngineCommandKindName(*kind);

  // A tuple may end with a mapping of keyword values, unless that mapping is the configuration
  // of a reconfiguration given alone.
  py::handle keywords = is_sequence ? py::handle() : command;
  if (is_sequence && !elements.empty() && IsMapping(elements.back()) &&
      !(parameters.names.front() == "config" && elements.size() == 1)) {
    keywords = elements.back();
    elements = elements.first(elements.size() - 1);
  }
  if (elements.size() > parameters.positional) {
    throw py::type_error(std::string(kind_name) + " takes at most " +
                         std::to_string(parameters.positional) + " positional values, got " +
                         std::to_string(elements.size()));
  }
  std::fill(values.begin(), values.end(), py::object());
  for (size_t i = 0; i < elements.size(); ++i) {
    values[i] = py::reinterpret_borrow<py::object>(elements[i]);
  }
  if (keywords) {
    ForEachEntry(keywords, kind_name, [&](py::handle key, py::handle value) {
      const std::string name = TextOf(key, std::string(kind_name) + " key");
      if (name == "kind" && !is_sequence) return;
      const std::optional<size_t> index = Find(parameters.names, name);
      if (!index) {
        throw py::type_error(std::string(kind_name) + ": unknown parameter \"" + name +
                             "\" (expected " + Joined(parameters.names) + ")");
      }
      if (values[*index]) {
        throw py::type_error(std::string(kind_name) + ": \"" + name + "\" given twice");
      }
      values[*index] = py::reinterpret_borrow<py::object>(value);
    });
  }
  for (size_t i = 0; i < parameters.required; ++i) {
    if (!values[i]) {
      throw py::type_error(std::string(kind_name) + ": missing \"" +
                           std::string(parameters.names[i]) + "\"");
    }
  }
  std::array<py::handle, kMaxParameters> handles;
  std::copy(values.begin(), values.end(), handles.begin());
  return BuildCommand(*kind, std::span(handles).first(parameters.names.size()));
}

py::object JsonDefault(py::handle value) {
  OMNIROUTE_ENSURE_DATETIME_API();
  if (PyDelta_Check(value.ptr())) return value.attr("total_seconds")();
  if (PyDateTime_Check(value.ptr())) {
    if (value.attr("utcoffset")().is_none()) {
      throw py::value_error("naive datetime " + std::string(py::str(value)) +
                            " in the configuration: give it a tzinfo");
    }
    return value.attr("isoformat")();
  }
  if (PyDate_Check(value.ptr())) return value.attr("isoformat")();
  // An omniroute.Calendar in "calendars".
  if (py::hasattr(value, "to_dict")) return value.attr("to_dict")();
  throw py::type_error(Describe(value) + " is not a JSON value");
}

std::string ReadText(py::handle path) {
  return py::str(path.attr("read_text")(py::arg("encoding") = "utf-8"));
}

}  // namespace

[[noreturn]] void ThrowIndexed(py::handle type, std::string_view what, size_t index,
                               const std::string& message) {
  py::object error = py::reinterpret_borrow<py::object>(type)(
      ErrorText(std::string(what) + "[" + std::to_string(index) + "]: " + message));
  error.attr("index") = index;
  PyErr_SetObject(type.ptr(), error.ptr());
  throw py::error_already_set();
}

CommandParameters ParametersOf(EngineCommandKind kind) {
  switch (kind) {
    case EngineCommandKind::kAddAgent:
    case EngineCommandKind::kUpdateAgent:
      return {.names = kAgentParameters, .positional = 1, .required = 1};
    case EngineCommandKind::kRemoveAgent:
      return {.names = kAgentIdParameters, .positional = 2, .required = 1};
    case EngineCommandKind::kSetAgentState:
      return {.names = kAgentStateParameters, .positional = 4, .required = 2};
    case EngineCommandKind::kSubmit:
      return {.names = kSubmitParameters, .positional = 3, .required = 3};
    case EngineCommandKind::kUpdate:
      return {.names = kUpdateParameters, .positional = 1, .required = 1};
    case EngineCommandKind::kAccept:
    case EngineCommandKind::kReject:
      return {.names = kAnswerParameters, .positional = 3, .required = 2};
    case EngineCommandKind::kPause:
    case EngineCommandKind::kResume:
      return {.names = kReasonParameters, .positional = 3, .required = 1};
    case EngineCommandKind::kTransfer:
      return {.names = kTransferParameters, .positional = 3, .required = 2};
    case EngineCommandKind::kAdvanceTo:
      return {.names = kAdvanceParameters, .positional = 1, .required = 1};
    case EngineCommandKind::kReconfigure:
      return {.names = kReconfigureParameters, .positional = 2, .required = 1};
    case EngineCommandKind::kRespond:
    case EngineCommandKind::kCustomerMessage:
    case EngineCommandKind::kResolve:
    case EngineCommandKind::kConfirm:
    case EngineCommandKind::kReopen:
    case EngineCommandKind::kEscalate:
    case EngineCommandKind::kCancel:
    case EngineCommandKind::kAbandon:
      break;
  }
  return {.names = kItemParameters, .positional = 2, .required = 1};
}

PendingCommand BuildCommand(EngineCommandKind kind, std::span<const py::handle> args) {
  const CommandParameters parameters = ParametersOf(kind);
  const Arguments a(parameters.names, args);
  PendingCommand pending;
  EngineCommand& c = pending.command;
  c.kind = kind;
  switch (kind) {
    case EngineCommandKind::kAddAgent:
      BuildAgent(a, c);
      break;
    case EngineCommandKind::kUpdateAgent: {
      BuildAgent(a, c);
      constexpr std::span<const std::string_view> p = kAgentParameters;
      pending.kept = {.skills = !a.Has(Index(p, "skills")),
                      .capacity = !a.Has(Index(p, "capacity")),
                      .budget = !a.Has(Index(p, "budget")),
                      .queues = !a.Has(Index(p, "queues"))};
      break;
    }
    case EngineCommandKind::kRemoveAgent:
      c.agent = a.Text(0);
      break;
    case EngineCommandKind::kSetAgentState:
      c.agent = a.Text(Index(kAgentStateParameters, "agent"));
      c.state = ValueOrValueError(ParseAgentState(a.Text(Index(kAgentStateParameters, "state"))));
      c.text = a.TextOr(Index(kAgentStateParameters, "reason"), "");
      break;
    case EngineCommandKind::kSubmit:
      BuildSubmit(a, c);
      break;
    case EngineCommandKind::kUpdate:
      BuildUpdate(a, c);
      break;
    case EngineCommandKind::kAccept:
    case EngineCommandKind::kReject:
      c.item = a.Text(Index(kAnswerParameters, "item"));
      c.agent = a.Text(Index(kAnswerParameters, "agent"));
      break;
    case EngineCommandKind::kPause:
    case EngineCommandKind::kResume:
      c.item = a.Text(Index(kReasonParameters, "item"));
      c.text = a.TextOr(Index(kReasonParameters, "reason"), "customer");
      break;
    case EngineCommandKind::kTransfer:
      c.item = a.Text(Index(kTransferParameters, "item"));
      c.text = a.Text(Index(kTransferParameters, "queue"));
      break;
    case EngineCommandKind::kAdvanceTo:
      break;
    case EngineCommandKind::kReconfigure:
      c.text = ConfigText(args[Index(kReconfigureParameters, "config")]);
      break;
    case EngineCommandKind::kRespond:
    case EngineCommandKind::kCustomerMessage:
    case EngineCommandKind::kResolve:
    case EngineCommandKind::kConfirm:
    case EngineCommandKind::kReopen:
    case EngineCommandKind::kEscalate:
    case EngineCommandKind::kCancel:
    case EngineCommandKind::kAbandon:
      c.item = a.Text(Index(kItemParameters, "item"));
      break;
  }
  const size_t at = *Find(parameters.names, "at");
  if (a.Has(at)) {
    c.at = a.Instant(at);
    pending.at_given = true;
  }
  return pending;
}

std::vector<PendingCommand> ReadCommands(py::handle commands, std::optional<EngineCommandKind> only,
                                         py::handle default_at) {
  const char* what = only ? "items" : "commands";
  if (PyUnicode_Check(commands.ptr()) || PyBytes_Check(commands.ptr()) ||
      PyDict_Check(commands.ptr()) || !py::isinstance<py::iterable>(commands)) {
    throw py::type_error(std::string(what) + ": expected an iterable of commands, got " +
                         Describe(commands));
  }
  std::optional<absl::Time> default_instant;
  if (Given(default_at)) default_instant = InstantOf(default_at, "at");
  std::vector<PendingCommand> pending;
  if (PyList_Check(commands.ptr()) || PyTuple_Check(commands.ptr())) {
    pending.reserve(static_cast<size_t>(PySequence_Fast_GET_SIZE(commands.ptr())));
  }
  std::array<py::object, kMaxParameters> values;
  size_t index = 0;
  for (py::handle command : commands) {
    try {
      pending.push_back(ReadCommand(command, only, values));
    } catch (const py::type_error& e) {
      ThrowIndexed(PyExc_TypeError, what, index, e.what());
    } catch (const py::value_error& e) {
      ThrowIndexed(PyExc_ValueError, what, index, e.what());
    }
    PendingCommand& last = pending.back();
    if (!last.at_given && default_instant) {
      last.command.at = *default_instant;
      last.at_given = true;
    }
    ++index;
  }
  return pending;
}

std::string ConfigText(py::handle config) {
  if (!Given(config)) return "{}";
  if (PyUnicode_Check(config.ptr())) {
    std::string text = TextOf(config, "config");
    const size_t first = text.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && text[first] == '{') return text;
    py::object path = py::module_::import("pathlib").attr("Path")(config);
    if (!py::bool_(path.attr("is_file")())) {
      throw py::value_error("config " + std::string(py::repr(config)) +
                            " is neither JSON object text nor the path of an existing file");
    }
    return ReadText(path);
  }
  if (py::hasattr(config, "__fspath__")) {
    return ReadText(py::module_::import("pathlib").attr("Path")(config));
  }
  if (PyDict_Check(config.ptr()) || py::hasattr(config, "items")) {
    // json.dumps would write infinities and NaNs as literals the loader cannot parse.
    py::module_::import("omniroute._sla").attr("_check_finite")(config, "");
    py::object json_default = py::cpp_function(&JsonDefault);
    return py::str(
        py::module_::import("json").attr("dumps")(config, py::arg("default") = json_default));
  }
  throw py::type_error("config: expected a dict, JSON object text or a path, got " +
                       Describe(config));
}

}  // namespace omniroute::python
