// The command-journal decoder: the input is replayed as a journal on the fuzz configuration
// without queue-KPI triggers (fuzz_support.h). A journal that does not replay is refused with a
// documented error; one that replays is a history the engine accepts, so the engine's own journal
// of it must replay to the same state and be a fixed point, and its snapshot must restore to the
// same state; the restored and the replayed engines snapshot the same bytes as the engine.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "fuzz_support.h"
#include "omniroute/config_json.h"
#include "omniroute/engine.h"

namespace {

using omniroute::Engine;
using omniroute::fuzz::Fail;

absl::StatusOr<std::unique_ptr<Engine>> Replay(std::string_view journal) {
  return Engine::Replay(omniroute::fuzz::FuzzEngineConfig(omniroute::fuzz::QueueKpis::kOff),
                        journal, omniroute::ParseEngineConfigJson);
}

std::unique_ptr<Engine> MustReplay(std::string_view journal, std::string_view what) {
  absl::StatusOr<std::unique_ptr<Engine>> engine = Replay(journal);
  if (!engine.ok()) Fail(absl::StrCat(std::string(what), ": ", engine.status().ToString()));
  return *std::move(engine);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view journal(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::unique_ptr<Engine>> engine = Replay(journal);
  if (!engine.ok()) {
    omniroute::fuzz::CheckError(engine.status(), "Replay",
                                {absl::StatusCode::kInvalidArgument, absl::StatusCode::kNotFound,
                                 absl::StatusCode::kDataLoss});
    return 0;
  }
  const uint64_t digest = (*engine)->StateDigest();
  const std::string own_journal = (*engine)->Journal();
  const std::unique_ptr<Engine> again = MustReplay(own_journal, "the engine's own journal");
  if (again->StateDigest() != digest || again->now() != (*engine)->now()) {
    Fail("the engine's own journal replays to another state");
  }
  if (again->Journal() != own_journal) Fail("the engine's own journal is not a fixed point");
  absl::StatusOr<std::unique_ptr<Engine>> restored =
      omniroute::RestoreEngine((*engine)->Snapshot());
  if (!restored.ok()) Fail(absl::StrCat("the snapshot: ", restored.status().ToString()));
  if ((*restored)->StateDigest() != digest || (*restored)->now() != (*engine)->now()) {
    Fail("the snapshot restores to another state");
  }
  const std::string snapshot = (*engine)->Snapshot();
  if ((*restored)->Snapshot() != snapshot) Fail("the restored engine snapshots other bytes");
  if (again->Snapshot() != snapshot) Fail("the replayed engine snapshots other bytes");
  return 0;
}
