#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <initializer_list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bindings.h"
#include "casters.h"
#include "engine_commands.h"
#include "engine_views.h"
#include "omniroute/config_json.h"
#include "omniroute/engine.h"
#include "status.h"

namespace omniroute::python {
namespace {

namespace py = pybind11;

// An engine shared with Python threads. Calls that release the GIL may run while another thread
// uses the same engine, so every call takes `mu`.
struct PyEngine {
  explicit PyEngine(std::unique_ptr<Engine> e) : engine(std::move(e)) {}

  std::unique_ptr<Engine> engine;  // guarded by mu
  std::mutex mu;
};

// Runs `f(Engine&)` under the engine's lock, never waiting for the lock with the GIL held (that
// would stall every Python thread behind another thread's bulk call): a free lock is taken at
// once and a short call runs with the GIL held; otherwise, and always for long calls, the GIL is
// released first.
template <typename F>
auto Locked(PyEngine& self, bool long_call, F&& f) {
  if (!long_call && self.mu.try_lock()) {
    std::lock_guard<std::mutex> lock(self.mu, std::adopt_lock);
    return f(*self.engine);
  }
  py::gil_scoped_release released;
  std::lock_guard<std::mutex> lock(self.mu);
  return f(*self.engine);
}

const EngineConfigLoader& ConfigLoader() {
  static const EngineConfigLoader* const loader =
      new EngineConfigLoader([](std::string_view text) { return ParseEngineConfigJson(text); });
  return *loader;
}

// Applies one command; an omitted instant is the engine's now() at that moment, and the profile
// fields an update_agent omits are the agent's at that moment (an unknown agent is refused by the
// command itself).
absl::Status ApplyPending(Engine& engine, PendingCommand& pending) {
  if (!pending.at_given) pending.command.at = engine.now();
  const PendingCommand::KeptProfile& kept = pending.kept;
  if (kept.skills || kept.capacity || kept.budget || kept.queues) {
    EngineAgentSpec& spec = pending.command.agent_spec;
    if (absl::StatusOr<EngineAgentSpec> current = engine.AgentSpec(spec.id); current.ok()) {
      if (kept.skills) spec.skills = std::move(current->skills);
      if (kept.capacity) spec.capacity = std::move(current->capacity);
      if (kept.budget) spec.budget = current->budget;
      if (kept.queues) spec.queues = std::move(current->queues);
    }
  }
  return engine.Apply(pending.command, ConfigLoader());
}

void Run(PyEngine& self, EngineCommandKind kind, std::initializer_list<py::handle> args) {
  PendingCommand pending = BuildCommand(kind, std::span(args.begin(), args.size()));
  const bool long_call =
      kind == EngineCommandKind::kAdvanceTo || kind == EngineCommandKind::kReconfigure;
  ThrowIfError(
      Locked(self, long_call, [&](Engine& engine) { return ApplyPending(engine, pending); }));
}

// Applies `commands` in order, with the GIL released, up to the first refusal.
size_t ApplyAll(PyEngine& self, std::vector<PendingCommand> commands, std::string_view what) {
  size_t applied = 0;
  absl::Status status;
  Locked(self, /*long_call=*/true, [&](Engine& engine) {
    for (PendingCommand& pending : commands) {
      status = ApplyPending(engine, pending);
      if (!status.ok()) return;
      ++applied;
    }
  });
  if (!status.ok()) {
    ThrowIndexed(ExceptionType(status.code()), what, applied,
                 std::string(EngineCommandKindName(commands[applied].command.kind)) + ": " +
                     std::string(status.message()));
  }
  return applied;
}

std::string BytesOf(py::handle value, std::string_view what) {
  if (PyBytes_Check(value.ptr())) {
    char* data = nullptr;
    Py_ssize_t size = 0;
    if (PyBytes_AsStringAndSize(value.ptr(), &data, &size) != 0) throw py::error_already_set();
    return std::string(data, static_cast<size_t>(size));
  }
  if (!PyObject_CheckBuffer(value.ptr())) {
    throw py::type_error(std::string(what) + ": expected bytes, got " +
                         std::string(Py_TYPE(value.ptr())->tp_name));
  }
  Py_buffer view;
  if (PyObject_GetBuffer(value.ptr(), &view, PyBUF_SIMPLE) != 0) throw py::error_already_set();
  std::string bytes(static_cast<const char*>(view.buf), static_cast<size_t>(view.len));
  PyBuffer_Release(&view);
  return bytes;
}

std::unique_ptr<PyEngine> Restore(py::handle snapshot) {
  const std::string bytes = BytesOf(snapshot, "snapshot");
  absl::StatusOr<std::unique_ptr<Engine>> engine;
  {
    py::gil_scoped_release released;
    engine = RestoreEngine(bytes);
  }
  return std::make_unique<PyEngine>(ValueOrThrow(std::move(engine)));
}

std::unique_ptr<PyEngine> Create(py::handle config) {
  const std::string text = ConfigText(config);
  absl::StatusOr<std::unique_ptr<Engine>> engine;
  {
    py::gil_scoped_release released;
    engine = EngineFromJson(text);
  }
  return std::make_unique<PyEngine>(ValueOrThrow(std::move(engine)));
}

std::unique_ptr<PyEngine> Replay(py::handle config, py::handle journal) {
  const std::string text = ConfigText(config);
  const std::string commands = BytesOf(journal, "journal");
  absl::StatusOr<std::unique_ptr<Engine>> engine;
  {
    py::gil_scoped_release released;
    absl::StatusOr<EngineConfig> parsed = ParseEngineConfigJson(text);
    engine = parsed.ok() ? Engine::Replay(*std::move(parsed), commands, ConfigLoader())
                         : parsed.status();
  }
  return std::make_unique<PyEngine>(ValueOrThrow(std::move(engine)));
}

std::string EngineRepr(PyEngine& self) {
  return Locked(self, false, [](Engine& engine) {
    std::string queues;
    for (const std::string& name : engine.QueueNames()) {
      queues += (queues.empty() ? "'" : ", '") + name + "'";
    }
    return "Engine(now=" +
           absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", engine.now(), absl::UTCTimeZone()) +
           ", items=" + std::to_string(engine.item_count()) +
           ", agents=" + std::to_string(engine.agent_count()) + ", queues=[" + queues + "])";
  });
}

constexpr char kEngineDoc[] = R"(The routing and SLA engine (C++ Engine): commands in, events out.

Engine(config) takes the configuration as a dict, as JSON object text, or as a path (str or
pathlib.Path) to a JSON file; the shape is the README's "Engine configuration". ValueError or
KeyError naming the JSON path on bad configuration.

Every command takes its instant `at` (an aware datetime or epoch seconds; a naive datetime is a
ValueError). When `at` is omitted the command runs at the engine's current time, `now`. A command
first advances the engine to `at`, then applies; `at` before `now` is a ValueError.

Errors: ValueError (invalid argument), KeyError (unknown item, agent, queue ...), StateError (the
command does not fit the item's or agent's state, or the id exists), always with the engine's
message. A refused command changes nothing but time: what was due by `at` has fired.

Bulk: `apply(commands)` and `submit_many(items)` read every command first (nothing is applied when
one cannot be read), then apply them in order with the GIL released and stop at the first
refusal: the commands before it stay applied, the refused one changes nothing but time, and the
exception's message and its `index` attribute give the position. `advance_to`, `reconfigure`,
`snapshot`, `journal`, `restore` and `replay` release the GIL too.

Threads: each engine has its own lock, so one thread may read views or poll events while another
drives the engine; commands from several threads apply one at a time.)";

constexpr char kApplyDoc[] = R"(Applies commands in order; returns how many were applied.

`commands` is any iterable of commands, each a mapping or a tuple:
  {"kind": "submit", "id": "t1", "queue": "billing", "channel": "chat", "at": t}
  {"kind": "accept", "item": "t1", "agent": "a1"}
  ("accept", "t1", "a1", t)                       # the kind, then the positional parameters
  ("submit", "t1", "billing", "chat", {"priority": "A", "at": t})   # then other keywords
The keys are the parameter names of the method of the same name (kind: add_agent,
remove_agent, update_agent, set_agent_state, submit, update, accept, reject, respond,
customer_message, pause, resume, resolve, confirm, reopen, transfer, escalate, cancel, abandon,
advance_to, reconfigure); an omitted "at" is the engine's now() when the command runs.

Every command is read before any is applied: a command that cannot be read raises TypeError or
ValueError ("commands[k]: ...", attribute `index` = k) and nothing is applied. Then the commands
run in order with the GIL released; the first refused one stops the run and raises its error
(ValueError, KeyError or StateError, "commands[k]: <kind>: <message>", `index` = k): commands 0
to k-1 stay applied (their events wait in poll_events), command k changes nothing but time.)";

constexpr char kSubmitManyDoc[] = R"(Submits many items; returns how many were submitted.

Each item is a mapping of submit()'s parameters ({"id": "t1", "queue": "billing", "channel":
"chat", "priority": "A", "requires": {"billing": 3}, "at": t}) or a tuple (id, queue, channel)
optionally followed by a mapping of the others. `at` is the instant of items that give none
(omitted: the engine's now() as each is submitted). Same semantics as apply(): everything is read
first, then applied with the GIL released, stopping at the first refusal ("items[k]: ...",
attribute `index`).)";

}  // namespace

void BindEngine(py::module_& module) {
  py::class_<PyEngine> cls(module, "Engine", kEngineDoc);
  const py::object none = py::none();
  cls.def(py::init(&Create), py::arg("config") = py::none(),
          "An engine from a configuration dict, JSON object text or a path to a JSON file "
          "(None: the defaults).")
      .def_static("restore", &Restore, py::arg("snapshot"),
                  "The engine a snapshot() describes: its state loaded (snapshots of earlier "
                  "builds: its journal replayed) and the state digest checked. ValueError for a "
                  "truncated, corrupt or foreign snapshot, including one whose restored state "
                  "misses the digest.")
      .def_static("replay", &Replay, py::arg("config"), py::arg("journal"),
                  "An engine built from `config` (dict, JSON text or path) with `journal` (from "
                  "journal()) replayed; ValueError for a malformed journal or a command refused "
                  "on replay (a journal of another configuration).")
      .def(
          "add_agent",
          [](PyEngine& self, py::handle id, py::handle skills, py::handle capacity,
             py::handle queues, py::handle budget, py::handle at) {
            Run(self, EngineCommandKind::kAddAgent, {id, skills, capacity, queues, budget, at});
          },
          py::arg("id"), py::kw_only(), py::arg("skills") = none, py::arg("capacity") = none,
          py::arg("queues") = none, py::arg("budget") = none, py::arg("at") = none,
          "Adds an agent, offline until set available. skills: {name: level 1-100}; capacity: "
          "{channel: concurrent items} (channels not listed are not taken); queues: queue names "
          "or {\"queue\": name, \"priority\": 0, \"delay\": seconds} (priority 0 is served "
          "first; delay: how long an item must have waited); budget: capacity units (default: "
          "every listed channel at its limit at once). StateError for an existing id.")
      .def(
          "update_agent",
          [](PyEngine& self, py::handle id, py::handle skills, py::handle capacity,
             py::handle queues, py::handle budget, py::handle at) {
            Run(self, EngineCommandKind::kUpdateAgent, {id, skills, capacity, queues, budget, at});
          },
          py::arg("id"), py::kw_only(), py::arg("skills") = none, py::arg("capacity") = none,
          py::arg("queues") = none, py::arg("budget") = none, py::arg("at") = none,
          "Changes an agent's skills, capacity, queues or budget (as add_agent): a keyword left "
          "out keeps the agent's value when the command runs; skills={} or queues=[] clear. A "
          "budget left out stays when it was given, and follows a changed capacity when it was "
          "the default. KeyError for an unknown agent.")
      .def(
          "remove_agent",
          [](PyEngine& self, py::handle agent, py::handle at) {
            Run(self, EngineCommandKind::kRemoveAgent, {agent, at});
          },
          py::arg("agent"), py::arg("at") = none,
          "Removes an agent; its offers are withdrawn (requeued). StateError while it holds "
          "assigned work.")
      .def(
          "set_agent_state",
          [](PyEngine& self, py::handle agent, py::handle state, py::handle at, py::handle reason) {
            Run(self, EngineCommandKind::kSetAgentState, {agent, state, at, reason});
          },
          py::arg("agent"), py::arg("state"), py::arg("at") = none, py::arg("reason") = "",
          "Sets an agent's state: an AgentState or its name (available, away, offline, "
          "wrap_up), with an optional reason (e.g. why away).")
      .def(
          "submit",
          [](PyEngine& self, py::handle id, py::handle queue, py::handle channel,
             py::handle priority, py::handle must, py::handle prefers, py::handle excludes,
             py::handle relax, py::handle tier, py::handle tags, py::handle customer,
             py::handle created, py::handle deadline, py::handle at) {
            Run(self, EngineCommandKind::kSubmit,
                {id, queue, channel, priority, must, prefers, excludes, relax, tier, tags, customer,
                 created, deadline, at});
          },
          py::arg("id"), py::arg("queue"), py::arg("channel"), py::kw_only(),
          py::arg("priority") = none, py::arg("requires") = none, py::arg("prefers") = none,
          py::arg("excludes") = none, py::arg("relax") = none, py::arg("tier") = none,
          py::arg("tags") = none, py::arg("customer") = none, py::arg("created") = none,
          py::arg("deadline") = none, py::arg("at") = none,
          "Submits a work item to a queue on a channel; it is routed at once. priority: a "
          "label (default the least urgent); requires: {skill: minimum level} (empty matches "
          "every agent); prefers: {skill: weight}; excludes: skills an agent must not have; "
          "relax: steps [{\"after\": seconds, \"kind\": \"lower_level\" | \"drop\" | \"widen\", "
          "\"skill\": name, \"level\": n, \"alternative\": name}]; tier and tags (e.g. \"vip\", "
          "[\"upset\"]) feed SLA targets and escalation; customer: returning customers get "
          "their last agent first; created: when the work began (a retroactive SLA start); "
          "deadline: for deadline_first queues. StateError for an open item's id.")
      .def(
          "update",
          [](PyEngine& self, py::handle item, py::handle priority, py::handle tier, py::handle tags,
             py::handle must, py::handle prefers, py::handle excludes, py::handle relax,
             py::handle deadline, py::handle at) {
            Run(self, EngineCommandKind::kUpdate,
                {item, priority, tier, tags, must, prefers, excludes, relax, deadline, at});
          },
          py::arg("item"), py::kw_only(), py::arg("priority") = none, py::arg("tier") = none,
          py::arg("tags") = none, py::arg("requires") = none, py::arg("prefers") = none,
          py::arg("excludes") = none, py::arg("relax") = none, py::arg("deadline") = none,
          py::arg("at") = none,
          "Changes an item; parameters left None stay. tags replace the tags; any of requires, "
          "prefers, excludes and relax replaces the whole requirement with the parts given. A "
          "priority or tier change re-targets the SLA clocks.")
      .def(
          "accept",
          [](PyEngine& self, py::handle item, py::handle agent, py::handle at) {
            Run(self, EngineCommandKind::kAccept, {item, agent, at});
          },
          py::arg("item"), py::arg("agent"), py::arg("at") = none,
          "The agent accepts the item offered to it: assigned. StateError when the item is "
          "not offered to that agent.")
      .def(
          "reject",
          [](PyEngine& self, py::handle item, py::handle agent, py::handle at) {
            Run(self, EngineCommandKind::kReject, {item, agent, at});
          },
          py::arg("item"), py::arg("agent"), py::arg("at") = none,
          "The agent declines the offer: the item goes back to its place and is routed to "
          "someone else.")
      .def(
          "respond",
          [](PyEngine& self, py::handle item, py::handle at) {
            Run(self, EngineCommandKind::kRespond, {item, at});
          },
          py::arg("item"), py::arg("at") = none,
          "An agent response: meets the first (and next) response clocks.")
      .def(
          "customer_message",
          [](PyEngine& self, py::handle item, py::handle at) {
            Run(self, EngineCommandKind::kCustomerMessage, {item, at});
          },
          py::arg("item"), py::arg("at") = none,
          "The customer wrote: starts a next-response cycle and ends a \"customer\" pause.")
      .def(
          "pause",
          [](PyEngine& self, py::handle item, py::handle at, py::handle reason) {
            Run(self, EngineCommandKind::kPause, {item, at, reason});
          },
          py::arg("item"), py::arg("at") = none, py::arg("reason") = "customer",
          "pending_customer: the SLA clocks this reason pauses stop counting.")
      .def(
          "resume",
          [](PyEngine& self, py::handle item, py::handle at, py::handle reason) {
            Run(self, EngineCommandKind::kResume, {item, at, reason});
          },
          py::arg("item"), py::arg("at") = none, py::arg("reason") = "customer",
          "Ends a pause with this reason.")
      .def(
          "resolve",
          [](PyEngine& self, py::handle item, py::handle at) {
            Run(self, EngineCommandKind::kResolve, {item, at});
          },
          py::arg("item"), py::arg("at") = none,
          "Resolved: frees the agent and stops the resolution clock.")
      .def(
          "confirm",
          [](PyEngine& self, py::handle item, py::handle at) {
            Run(self, EngineCommandKind::kConfirm, {item, at});
          },
          py::arg("item"), py::arg("at") = none,
          "The customer confirms a resolved item: closed (it leaves the item table).")
      .def(
          "reopen",
          [](PyEngine& self, py::handle item, py::handle at) {
            Run(self, EngineCommandKind::kReopen, {item, at});
          },
          py::arg("item"), py::arg("at") = none,
          "Reopens a resolved item: queued again with its last agent preferred; a new "
          "resolution cycle.")
      .def(
          "transfer",
          [](PyEngine& self, py::handle item, py::handle queue, py::handle at) {
            Run(self, EngineCommandKind::kTransfer, {item, queue, at});
          },
          py::arg("item"), py::arg("queue"), py::arg("at") = none,
          "Moves an item to another queue, keeping its arrival (counted when it was assigned).")
      .def(
          "escalate",
          [](PyEngine& self, py::handle item, py::handle at) {
            Run(self, EngineCommandKind::kEscalate, {item, at});
          },
          py::arg("item"), py::arg("at") = none,
          "A manual escalation request (the policy's \"manual\" rule decides).")
      .def(
          "cancel",
          [](PyEngine& self, py::handle item, py::handle at) {
            Run(self, EngineCommandKind::kCancel, {item, at});
          },
          py::arg("item"), py::arg("at") = none, "Cancels an open item.")
      .def(
          "abandon",
          [](PyEngine& self, py::handle item, py::handle at) {
            Run(self, EngineCommandKind::kAbandon, {item, at});
          },
          py::arg("item"), py::arg("at") = none, "The customer left a queued or offered item.")
      .def(
          "advance_to",
          [](PyEngine& self, py::handle at) { Run(self, EngineCommandKind::kAdvanceTo, {at}); },
          py::arg("at"),
          "Moves time to `at`, firing offer timeouts, SLA warnings and breaches, escalations, "
          "auto-closes and follow-ups in time order (GIL released).")
      .def(
          "reconfigure",
          [](PyEngine& self, py::handle config, py::handle at) {
            Run(self, EngineCommandKind::kReconfigure, {config, at});
          },
          py::arg("config"), py::arg("at") = none,
          "Applies a new whole configuration (dict, JSON text or path), checked first and "
          "refused whole on any error. StateError for a change that is not allowed live "
          "(removing a queue in use, changing priorities or channels ...).")
      .def(
          "apply",
          [](PyEngine& self, py::handle commands) {
            return ApplyAll(self, ReadCommands(commands, std::nullopt, py::handle()), "commands");
          },
          py::arg("commands"), kApplyDoc)
      .def(
          "submit_many",
          [](PyEngine& self, py::handle items, py::handle at) {
            return ApplyAll(self, ReadCommands(items, EngineCommandKind::kSubmit, at), "items");
          },
          py::arg("items"), py::arg("at") = none, kSubmitManyDoc)
      .def(
          "poll_events",
          [](PyEngine& self) {
            return Locked(self, false, [](Engine& engine) { return engine.PollEvents(); });
          },
          "The events since the last call, oldest first (a list of EngineEvent).")
      .def(
          "item",
          [](PyEngine& self, const std::string& id) {
            return ValueOrThrow(
                Locked(self, false, [&](Engine& engine) { return engine.Item(id); }));
          },
          py::arg("id"), "An open item's view (EngineItemView). KeyError for an unknown item.")
      .def(
          "agent",
          [](PyEngine& self, const std::string& id) {
            return ValueOrThrow(
                Locked(self, false, [&](Engine& engine) { return engine.Agent(id); }));
          },
          py::arg("id"), "An agent's view (EngineAgentView). KeyError for an unknown agent.")
      .def(
          "queue_stats",
          [](PyEngine& self, const std::string& name) {
            return ValueOrThrow(
                Locked(self, false, [&](Engine& engine) { return engine.Queue(name); }));
          },
          py::arg("name"), "A queue's live view and counters (QueueStats). KeyError if unknown.")
      .def(
          "queue_names",
          [](PyEngine& self) {
            return Locked(self, false, [](Engine& engine) { return engine.QueueNames(); });
          },
          "The queues, in configuration order.")
      .def(
          "agent_ids",
          [](PyEngine& self) {
            return Locked(self, false, [](Engine& engine) { return engine.AgentIds(); });
          },
          "The agents the engine holds (removed ones left out).")
      .def(
          "item_ids",
          [](PyEngine& self) {
            return Locked(self, false, [](Engine& engine) { return engine.ItemIds(); });
          },
          "The items the engine holds (open, or resolved and not yet closed), sorted.")
      .def(
          "kpis",
          [](PyEngine& self) {
            return Locked(self, false, [](Engine& engine) { return engine.Kpis(); });
          },
          "The KPIs since the engine started (EngineKpis).")
      .def(
          "explain",
          [](PyEngine& self, const std::string& id) {
            auto candidates = ValueOrThrow(
                Locked(self, false, [&](Engine& engine) { return engine.Explain(id); }));
            std::vector<ExplainedCandidate> explained;
            explained.reserve(candidates.size());
            for (auto& [agent, candidate] : candidates) {
              explained.push_back({.agent = std::move(agent),
                                   .eligible = candidate.eligible,
                                   .chosen = candidate.chosen,
                                   .reason = std::move(candidate.reason)});
            }
            return explained;
          },
          py::arg("id"),
          "Every agent's standing for a queued or offered item (a list of Candidate). KeyError "
          "for an unknown item.")
      .def_property_readonly(
          "now",
          [](PyEngine& self) { return Locked(self, false, [](Engine& e) { return e.now(); }); },
          "The engine's current time (aware UTC datetime): the default `at` of commands.")
      .def_property_readonly(
          "item_count",
          [](PyEngine& self) {
            return Locked(self, false, [](Engine& e) { return e.item_count(); });
          },
          "Items in the item table (closed, cancelled and abandoned ones leave it).")
      .def_property_readonly(
          "agent_count",
          [](PyEngine& self) {
            return Locked(self, false, [](Engine& e) { return e.agent_count(); });
          },
          "Agents not removed.")
      .def_property_readonly(
          "memory_bytes",
          [](PyEngine& self) {
            return Locked(self, false, [](Engine& e) { return e.MemoryBytes(); });
          },
          "Estimated memory of the engine's tables, in bytes.")
      .def_property_readonly(
          "priorities",
          [](PyEngine& self) {
            return Locked(self, false, [](Engine& e) { return e.config().priorities; });
          },
          "The priority labels, most urgent first.")
      .def_property_readonly(
          "config_json",
          [](PyEngine& self) {
            return Locked(self, false, [](Engine& e) { return e.config().source; });
          },
          "The configuration text in force (the last reconfiguration's).")
      .def(
          "state_digest",
          [](PyEngine& self) {
            return Locked(self, false, [](Engine& e) { return e.StateDigest(); });
          },
          "A digest of the whole observable state and of every event so far: equal engines "
          "have equal digests.")
      .def(
          "snapshot",
          [](PyEngine& self) {
            return py::bytes(Locked(self, true, [](Engine& e) { return e.Snapshot(); }));
          },
          "The versioned snapshot (bytes): configuration, journal and digests. "
          "Engine.restore(blob) rebuilds the engine.")
      .def(
          "journal",
          [](PyEngine& self) {
            return py::bytes(Locked(self, true, [](Engine& e) { return e.Journal(); }));
          },
          "The commands applied so far, serialised (bytes; see Engine.replay).")
      .def(py::pickle(
          [](PyEngine& self) {
            return py::bytes(Locked(self, true, [](Engine& e) { return e.Snapshot(); }));
          },
          [](const py::bytes& snapshot) { return Restore(snapshot); }))
      .def("__repr__", &EngineRepr);
}

}  // namespace omniroute::python
