// Snapshot restore: the input is restored with the JSON configuration loader. A snapshot that does
// not restore is refused with a documented error (InvalidArgument for a corrupt, truncated or
// foreign one, NotFound from its configuration, DataLoss when the replay misses the digest); one
// that restores snapshots again into a snapshot that restores to the same state and is a fixed
// point.
//
// Random bytes rarely get past the trailing checksum, so a custom mutator usually mutates one part
// of a well-formed snapshot (the configuration text, the journal, the capacity hints of format 3,
// the state of formats 4 to 6, the digest, the version) and frames and checksums the result again;
// sometimes it mutates the bytes as they are. A restored engine then advances an hour, so a state
// that loads but does not hold together shows.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "fuzz_support.h"
#include "internal/byte_codec.h"
#include "internal/snapshot_checksum.h"
#include "omniroute/config_json.h"
#include "omniroute/engine.h"
#include "omniroute/escalation.h"

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

namespace {

using omniroute::Engine;
using omniroute::fuzz::Fail;

// The fields of a snapshot (Engine::Snapshot): magic, version, configuration text, journal, then
// in format 3 the capacity hints (kept as their bytes) and state digest, in formats 4 to 6 the
// state digest and the state (the current configuration, the origin and the engine's state, kept as
// their bytes), then a checksum of them.
struct SnapshotParts {
  std::string magic;
  uint64_t version = 0;
  std::string source;
  std::string journal;
  bool replayed = false;  // format 3's layout
  std::string hints;
  uint64_t digest = 0;
  std::string state;
};

// Reads past the capacity hints: four sizes, then (queue name, size) pairs.
absl::Status SkipHints(omniroute::internal::ByteReader& r) {
  for (int size = 0; size < 4; ++size) {
    if (absl::StatusOr<uint64_t> value = r.Var(); !value.ok()) return value.status();
  }
  absl::StatusOr<uint64_t> queues = r.Var();
  if (!queues.ok()) return queues.status();
  for (uint64_t i = 0; i < *queues; ++i) {
    if (absl::StatusOr<std::string_view> name = r.StrView(); !name.ok()) return name.status();
    if (absl::StatusOr<uint64_t> waiting = r.Var(); !waiting.ok()) return waiting.status();
  }
  return absl::OkStatus();
}

std::optional<SnapshotParts> Split(std::string_view snapshot) {
  if (snapshot.size() < 8) return std::nullopt;
  const std::string_view body = snapshot.substr(0, snapshot.size() - 8);
  omniroute::internal::ByteReader r(body);
  absl::StatusOr<std::string> magic = r.Str();
  absl::StatusOr<uint64_t> version = magic.ok() ? r.U64() : magic.status();
  absl::StatusOr<std::string> source = version.ok() ? r.Str() : version.status();
  absl::StatusOr<std::string> journal = source.ok() ? r.Str() : source.status();
  if (!journal.ok()) return std::nullopt;
  SnapshotParts parts{.magic = *std::move(magic),
                      .version = *version,
                      .source = *std::move(source),
                      .journal = *std::move(journal),
                      .replayed = *version == 3};
  if (parts.replayed) {
    const size_t hints_at = r.position();
    if (!SkipHints(r).ok()) return std::nullopt;
    parts.hints = std::string(body.substr(hints_at, r.position() - hints_at));
  }
  absl::StatusOr<uint64_t> digest = r.U64();
  if (!digest.ok()) return std::nullopt;
  parts.digest = *digest;
  if (parts.replayed && !r.done()) return std::nullopt;
  parts.state = std::string(body.substr(r.position()));
  return parts;
}

// `body` followed by its checksum, as Engine::Snapshot writes it.
std::string Sealed(std::string body) {
  omniroute::internal::ByteWriter w;
  w.U64(omniroute::internal::SnapshotChecksum(body));
  return body + w.Take();
}

std::string Join(const SnapshotParts& parts) {
  omniroute::internal::ByteWriter w;
  w.Str(parts.magic);
  w.U64(parts.version);
  w.Str(parts.source);
  w.Str(parts.journal);
  w.Raw(parts.hints);
  w.U64(parts.digest);
  w.Raw(parts.state);
  return Sealed(w.Take());
}

// Mutates `field` in place with libFuzzer's own mutations, within `max_size` bytes; an empty
// field gets a first byte.
void MutateField(std::string& field, size_t max_size, std::minstd_rand& rng) {
  if (field.empty()) {
    field.push_back(static_cast<char>(rng()));
    return;
  }
  const size_t size = field.size();
  field.resize(std::max(max_size, size + 1));
  field.resize(LLVMFuzzerMutate(reinterpret_cast<uint8_t*>(field.data()), size, field.size()));
}

// With queue-KPI triggers the engine sweeps every `escalation_check_interval`, so a replay costs
// time in proportion to the span its journal covers over that interval: a mutated instant
// centuries ahead would stall the run. Such format-3 snapshots are left out; engine_commands_fuzzer
// covers the sweeps on bounded spans.
bool HasQueueKpiTriggers(std::string_view snapshot) {
  const std::optional<SnapshotParts> parts = Split(snapshot);
  if (!parts.has_value() || !parts->replayed ||
      (parts->source.find("expected_wait_above") == std::string::npos &&
       parts->source.find("service_level_below") == std::string::npos)) {
    return false;
  }
  const absl::StatusOr<omniroute::EngineConfig> config =
      omniroute::ParseEngineConfigJson(parts->source);
  if (!config.ok()) return false;
  for (const omniroute::EscalationPolicySpec& policy : config->escalation_policies) {
    for (const omniroute::EscalationRule& rule : policy.rules) {
      if (rule.trigger.kind == omniroute::EscalationTriggerKind::kExpectedWaitAbove ||
          rule.trigger.kind == omniroute::EscalationTriggerKind::kServiceLevelBelow) {
        return true;
      }
    }
  }
  return false;
}

std::unique_ptr<Engine> MustRestore(const std::string& snapshot, std::string_view what) {
  absl::StatusOr<std::unique_ptr<Engine>> engine = omniroute::RestoreEngine(snapshot);
  if (!engine.ok()) Fail(absl::StrCat(std::string(what), ": ", engine.status().ToString()));
  return *std::move(engine);
}

}  // namespace

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int seed) {
  std::minstd_rand rng(seed);
  std::optional<SnapshotParts> parts = Split(std::string_view(reinterpret_cast<char*>(data), size));
  if (!parts.has_value() || rng() % 10 == 0) return LLVMFuzzerMutate(data, size, max_size);
  const size_t room = max_size > size ? max_size - size : 0;
  switch (rng() % 10) {
    case 0:
      parts->digest ^= uint64_t{1} << (rng() % 64);
      break;
    case 1:
      parts->version = rng() % 8;
      break;
    case 2:
      MutateField(parts->replayed ? parts->hints : parts->state,
                  (parts->replayed ? parts->hints : parts->state).size() + room, rng);
      break;
    case 3:
    case 4:
      MutateField(parts->source, parts->source.size() + room, rng);
      break;
    default:
      // Format 3 replays its journal; formats 4 to 6 load their state and only carry the journal.
      MutateField(parts->replayed ? parts->journal : parts->state,
                  (parts->replayed ? parts->journal : parts->state).size() + room, rng);
      break;
  }
  const std::string joined = Join(*parts);
  if (joined.size() > max_size) return LLVMFuzzerMutate(data, size, max_size);
  std::memcpy(data, joined.data(), joined.size());
  return joined.size();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view snapshot(reinterpret_cast<const char*>(data), size);
  if (HasQueueKpiTriggers(snapshot)) return 0;
  absl::StatusOr<std::unique_ptr<Engine>> restored = omniroute::RestoreEngine(snapshot);
  if (!restored.ok()) {
    omniroute::fuzz::CheckError(restored.status(), "Restore",
                                {absl::StatusCode::kInvalidArgument, absl::StatusCode::kNotFound,
                                 absl::StatusCode::kDataLoss});
    return 0;
  }
  // The input may spell its journal differently (e.g. a skill interned twice); the engine's own
  // snapshot is canonical.
  const uint64_t digest = (*restored)->StateDigest();
  const std::string own = (*restored)->Snapshot();
  const std::unique_ptr<Engine> again = MustRestore(own, "the restored engine's snapshot");
  if (again->StateDigest() != digest || again->now() != (*restored)->now()) {
    Fail("the restored engine's snapshot has another state");
  }
  if (again->Snapshot() != own) Fail("the restored engine's snapshot is not a fixed point");
  for (const std::string& queue : again->QueueNames()) {
    if (!again->Queue(queue).ok()) Fail(absl::StrCat("queue ", queue, " has no view"));
  }
  for (const std::string& item : again->ItemIds()) {
    if (!again->Item(item).ok()) Fail(absl::StrCat("item ", item, " has no view"));
  }
  // Far-future clocks are the journal fuzzer's ground; an hour from a plausible now is this one's.
  if (again->now() < absl::FromUnixSeconds(int64_t{1} << 40)) {
    const absl::Status advanced = again->AdvanceTo(again->now() + absl::Hours(1));
    if (!advanced.ok()) Fail(absl::StrCat("advancing the restored engine: ", advanced.ToString()));
  }
  return 0;
}
