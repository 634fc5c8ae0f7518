// The engine's events and live views as Python classes (read-only, with `to_dict()`).
#ifndef OMNIROUTE_BINDINGS_PYTHON_ENGINE_VIEWS_H_
#define OMNIROUTE_BINDINGS_PYTHON_ENGINE_VIEWS_H_

#include <string>

namespace omniroute::python {

// One agent's standing for an item (`Engine::Explain`), by agent id.
struct ExplainedCandidate {
  std::string agent{};
  bool eligible = false;
  bool chosen = false;
  std::string reason{};
};

}  // namespace omniroute::python

#endif  // OMNIROUTE_BINDINGS_PYTHON_ENGINE_VIEWS_H_
