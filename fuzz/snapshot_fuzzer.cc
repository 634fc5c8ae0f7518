// Snapshot restore: the input is restored with the JSON configuration loader. A snapshot that does
// not restore is refused with a documented error (InvalidArgument for a corrupt, truncated or
// foreign one, NotFound from its configuration, DataLoss when the replay misses the digest); one
// that restores snapshots again into a snapshot that restores to the same state and is a fixed
// point.
//
// Random bytes rarely get past the trailing checksum, so a custom mutator usually mutates one part
// of a well-formed snapshot (the configuration text, the journal, the capacity hints, the digest,
// the version) and frames and checksums the result again; sometimes it mutates the bytes as they
// are.
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
#include "fuzz_support.h"
#include "internal/byte_codec.h"
#include "omniroute/config_json.h"
#include "omniroute/engine.h"
#include "omniroute/escalation.h"

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

namespace {

using omniroute::Engine;
using omniroute::fuzz::Fail;

// The fields of a snapshot (Engine::Snapshot): magic, version, configuration text, journal,
// capacity hints (kept as their bytes) and state digest, then a checksum of them.
struct SnapshotParts {
  std::string magic;
  uint64_t version = 0;
  std::string source;
  std::string journal;
  std::string hints;
  uint64_t digest = 0;
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
  const size_t hints_at = r.position();
  const absl::Status hints = journal.ok() ? SkipHints(r) : journal.status();
  const size_t hints_end = r.position();
  absl::StatusOr<uint64_t> digest = hints.ok() ? r.U64() : hints;
  if (!digest.ok() || !r.done()) return std::nullopt;
  return SnapshotParts{.magic = *std::move(magic),
                       .version = *version,
                       .source = *std::move(source),
                       .journal = *std::move(journal),
                       .hints = std::string(body.substr(hints_at, hints_end - hints_at)),
                       .digest = *digest};
}

// `body` followed by its checksum, as Engine::Snapshot writes it.
std::string Sealed(std::string body) {
  omniroute::internal::StableHash checksum;
  checksum.Add(body.data(), body.size());
  omniroute::internal::ByteWriter w;
  w.U64(checksum.value());
  return body + w.Take();
}

std::string Join(const SnapshotParts& parts) {
  omniroute::internal::ByteWriter w;
  w.Str(parts.magic);
  w.U64(parts.version);
  w.Str(parts.source);
  w.Str(parts.journal);
  std::string body = w.Take() + parts.hints;
  w.U64(parts.digest);
  return Sealed(body + w.Take());
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
// centuries ahead would stall the run. Such snapshots are left out; engine_commands_fuzzer covers
// the sweeps on bounded spans.
bool HasQueueKpiTriggers(std::string_view snapshot) {
  const std::optional<SnapshotParts> parts = Split(snapshot);
  if (!parts.has_value() || (parts->source.find("expected_wait_above") == std::string::npos &&
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
      parts->version = rng() % 4;
      break;
    case 2:
      MutateField(parts->hints, parts->hints.size() + room, rng);
      break;
    case 3:
    case 4:
      MutateField(parts->source, parts->source.size() + room, rng);
      break;
    default:
      MutateField(parts->journal, parts->journal.size() + room, rng);
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
  return 0;
}
