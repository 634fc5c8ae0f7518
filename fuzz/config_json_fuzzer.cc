// The JSON configuration loaders: the input is given to each of them (engine configuration,
// calendar, SLA policy and selector, escalation policy, SLA duration). Each refuses with
// InvalidArgument or NotFound and a message, or returns what it documents:
// - an engine configuration keeps its text as `source`; `EngineFromJson` agrees with
//   `Engine::Create` on it; an engine built from it advances a day (its periodic checks within the
//   time limit) and snapshots and restores to the same state;
//   reconfiguring a running engine with it is accepted, or refused whole (state digest unchanged);
// - a calendar spec prints back to itself;
// - an SLA policy validates; an escalation policy builds again from its own spec;
// - an SLA duration is finite and not negative.
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "fuzz_support.h"
#include "omniroute/calendar.h"
#include "omniroute/config_json.h"
#include "omniroute/engine.h"
#include "omniroute/escalation.h"
#include "omniroute/sla.h"

namespace {

using omniroute::fuzz::CheckError;
using omniroute::fuzz::Fail;
using omniroute::fuzz::FuzzEngineConfig;
using omniroute::fuzz::QueueKpis;

constexpr std::initializer_list<absl::StatusCode> kLoaderCodes = {
    absl::StatusCode::kInvalidArgument, absl::StatusCode::kNotFound};

const omniroute::CalendarMap& Calendars() {
  static const auto* const calendars =
      new omniroute::CalendarMap(FuzzEngineConfig(QueueKpis::kOn).calendars);
  return *calendars;
}

void CheckEngineConfig(std::string_view text) {
  absl::StatusOr<omniroute::EngineConfig> config = omniroute::ParseEngineConfigJson(text);
  if (!config.ok()) {
    CheckError(config.status(), "ParseEngineConfigJson", kLoaderCodes);
    return;
  }
  if (config->source != text) Fail("the configuration does not keep its text");
  absl::StatusOr<std::unique_ptr<omniroute::Engine>> engine = omniroute::Engine::Create(*config);
  const absl::StatusOr<std::unique_ptr<omniroute::Engine>> from_json =
      omniroute::EngineFromJson(text);
  if (engine.ok() != from_json.ok()) Fail("EngineFromJson and Engine::Create disagree");
  if (!engine.ok()) {
    CheckError(engine.status(), "Engine::Create", kLoaderCodes);
    if (engine.status() != from_json.status()) {
      Fail(absl::StrCat("EngineFromJson and Engine::Create refuse differently: ",
                        engine.status().ToString(), " / ", from_json.status().ToString()));
    }
    return;
  }
  // A day of the engine's own timers (queue-KPI sweeps among them) must pass in bounded time.
  const absl::Status advanced = (*engine)->AdvanceTo((*engine)->now() + absl::Hours(24));
  if (!advanced.ok()) Fail(absl::StrCat("a new engine does not advance: ", advanced.ToString()));
  absl::StatusOr<std::unique_ptr<omniroute::Engine>> restored =
      omniroute::RestoreEngine((*engine)->Snapshot());
  if (!restored.ok()) Fail(absl::StrCat("the snapshot: ", restored.status().ToString()));
  if ((*restored)->StateDigest() != (*engine)->StateDigest() ||
      (*restored)->now() != (*engine)->now()) {
    Fail(absl::StrCat("the snapshot restores to another state, now ",
                      absl::FormatTime((*restored)->now()), " instead of ",
                      absl::FormatTime((*engine)->now())));
  }

  // The same text as a live reconfiguration of the fuzz engine, one hour in.
  absl::StatusOr<std::unique_ptr<omniroute::Engine>> running =
      omniroute::Engine::Create(FuzzEngineConfig(QueueKpis::kOn));
  if (!running.ok()) Fail(absl::StrCat("the fuzz configuration: ", running.status().ToString()));
  const absl::Time at = (*running)->now() + absl::Hours(1);
  if (!(*running)->AdvanceTo(at).ok()) Fail("the fuzz engine does not advance");
  const uint64_t digest = (*running)->StateDigest();
  const absl::Status reconfigured = omniroute::ReconfigureFromJson(**running, text, at);
  if (!reconfigured.ok()) {
    CheckError(reconfigured, "ReconfigureFromJson",
               {absl::StatusCode::kInvalidArgument, absl::StatusCode::kNotFound,
                absl::StatusCode::kFailedPrecondition});
    if ((*running)->StateDigest() != digest) Fail("a refused reconfiguration changed the state");
  }
}

void CheckCalendar(std::string_view text) {
  absl::StatusOr<omniroute::CalendarSpec> spec = omniroute::ParseCalendarSpecJson(text);
  if (!spec.ok()) {
    CheckError(spec.status(), "ParseCalendarSpecJson", kLoaderCodes);
    return;
  }
  const absl::StatusOr<omniroute::CalendarSpec> reread =
      omniroute::ParseCalendarSpecJson(omniroute::CalendarSpecToJson(*spec));
  if (!reread.ok() || *reread != *spec) Fail("the calendar spec does not print back to itself");
}

void CheckSla(std::string_view text) {
  absl::StatusOr<omniroute::SlaPolicy> policy = omniroute::ParseSlaPolicyJson(text, Calendars());
  if (!policy.ok()) {
    CheckError(policy.status(), "ParseSlaPolicyJson", kLoaderCodes);
  } else if (absl::Status valid = policy->Validate(); !valid.ok()) {
    Fail(absl::StrCat("a loaded SLA policy does not validate: ", valid.ToString()));
  }
  absl::StatusOr<omniroute::SlaSelector> selector = omniroute::ParseSlaSelectorJson(text);
  if (!selector.ok()) CheckError(selector.status(), "ParseSlaSelectorJson", kLoaderCodes);
  for (const auto& [name, calendar] : Calendars()) {
    absl::StatusOr<absl::Duration> d = omniroute::ParseSlaDuration(text, calendar);
    if (!d.ok()) {
      CheckError(d.status(), "ParseSlaDuration", kLoaderCodes);
    } else if (*d < absl::ZeroDuration() || *d == absl::InfiniteDuration()) {
      Fail(absl::StrCat("ParseSlaDuration gives ", absl::FormatDuration(*d)));
    }
  }
}

void CheckEscalation(std::string_view text) {
  absl::StatusOr<omniroute::EscalationPolicy> policy =
      omniroute::ParseEscalationPolicyJson(text, Calendars());
  if (!policy.ok()) {
    CheckError(policy.status(), "ParseEscalationPolicyJson", kLoaderCodes);
    return;
  }
  const absl::StatusOr<omniroute::EscalationPolicy> again =
      omniroute::EscalationPolicy::Create(policy->spec());
  if (!again.ok()) {
    Fail(absl::StrCat("a loaded escalation policy does not build again: ",
                      again.status().ToString()));
  }
  if (!(again->spec() == policy->spec())) Fail("rebuilding an escalation policy changed it");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  CheckEngineConfig(text);
  CheckCalendar(text);
  CheckSla(text);
  CheckEscalation(text);
  return 0;
}
