// Python values -> engine commands, for the single commands and for the bulk API alike.
//
// Each command kind has the parameters of its `Engine` method, by the Python names (see
// `CommandParameters`); a command is built from their values (a null handle or None where one is
// omitted). The bulk API reads commands as mappings `{"kind": "accept", "item": "t1", "agent":
// "a1", "at": t}` or tuples `("accept", "t1", "a1")` — the kind, then the positional parameters in
// order, then optionally a mapping of the others: `("submit", "t1", "billing", "chat",
// {"priority": "A", "at": t})`. Conversion needs the GIL; the result is plain C++.
#ifndef OMNIROUTE_BINDINGS_PYTHON_ENGINE_COMMANDS_H_
#define OMNIROUTE_BINDINGS_PYTHON_ENGINE_COMMANDS_H_

#include <pybind11/pybind11.h>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "omniroute/engine.h"

namespace omniroute::python {

// A command read from Python. `at_given` is false when the instant was omitted: the command then
// runs at the engine's now() when it is applied. An update_agent's `kept` fields were omitted:
// they take the agent's values (Engine::AgentSpec) when it is applied, so that a command of a batch
// sees the ones before it.
struct PendingCommand {
  struct KeptProfile {
    bool skills = false;
    bool capacity = false;
    bool budget = false;
    bool queues = false;
  };
  EngineCommand command{};
  bool at_given = false;
  KeptProfile kept{};
};

// The parameter names of a command kind, in the order of the method's signature.
struct CommandParameters {
  std::span<const std::string_view> names;
  size_t positional = 0;  // how many may be given by position
  size_t required = 0;    // the first `required` must be given
};
CommandParameters ParametersOf(EngineCommandKind kind);

// Builds a command from its parameters' values, in the order of `ParametersOf(kind)` (`args` has
// that many handles; null or None: omitted). TypeError / ValueError naming the parameter.
PendingCommand BuildCommand(EngineCommandKind kind, std::span<const pybind11::handle> args);

// Reads every command of `commands` (an iterable of mappings or tuples, see the file comment).
// When `only` is set, the kind may be left out and must be `*only` when given; `default_at` (null
// or None: none) stands for an omitted "at". TypeError / ValueError naming the command's index
// (attribute `index`); nothing is returned then.
std::vector<PendingCommand> ReadCommands(pybind11::handle commands,
                                         std::optional<EngineCommandKind> only,
                                         pybind11::handle default_at);

// Raises `type` (ValueError, ...) with "<what>[<index>]: <message>" and the attribute `index`.
[[noreturn]] void ThrowIndexed(pybind11::handle type, std::string_view what, size_t index,
                               const std::string& message);

// The configuration text of a dict (serialised as JSON: timedeltas as seconds, aware datetimes
// and dates in ISO 8601, objects with `to_dict()` such as omniroute.Calendar as that dict), of
// JSON object text, or of a path (str or os.PathLike) to a file holding it. TypeError for other
// types; ValueError for a str that is neither JSON object text nor an existing file; OSError when a
// path cannot be read.
std::string ConfigText(pybind11::handle config);

}  // namespace omniroute::python

#endif  // OMNIROUTE_BINDINGS_PYTHON_ENGINE_COMMANDS_H_
