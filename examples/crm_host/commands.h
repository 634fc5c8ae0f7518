// Engine commands in the JSON form the API builds and the journal stores.
//
//   {"kind": "submit", "body": {"id": "t1", "queue": "support", "channel": "chat"}}
//   {"kind": "accept", "item": "t1", "body": {"agent": "a1"}}
//   {"kind": "set_agent_state", "agent": "a1", "body": {"state": "away", "reason": "lunch"}}
//   {"kind": "advance_to", "body": {}}
//
// `kind` is an engine command name (engine.h); `item` and `agent` are the ids the API took from
// the path; `body` is the request body as API.md describes it. The instant is not part of the
// object: the journal keeps it in its own column and passes it to ParseCommand. Parsing is strict
// (unknown fields, wrong types and bad ids are InvalidArgument naming the field, see fields.h)
// and deterministic, so a journal row replays to exactly the command that was applied.
// Reconfiguration is not a command of the host.
//
// Thread safety: pure functions.
#ifndef OMNIROUTE_EXAMPLES_CRM_HOST_COMMANDS_H_
#define OMNIROUTE_EXAMPLES_CRM_HOST_COMMANDS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "fields.h"
#include "omniroute/engine.h"

namespace omniroute::crm {

// {"kind": ..., "item": ..., "agent": ..., "body": ...}, leaving out empty ids.
Json MakeCommand(EngineCommandKind kind, const std::string& item, const std::string& agent,
                 Json body);

// The engine command `command` describes, at `at`. Errors in the body name the field by its path
// within the body ("queues[1].queue"); errors in the envelope by "kind", "item" or "agent".
absl::StatusOr<EngineCommand> ParseCommand(const Json& command, absl::Time at);

}  // namespace omniroute::crm

#endif  // OMNIROUTE_EXAMPLES_CRM_HOST_COMMANDS_H_
