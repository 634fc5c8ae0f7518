#include "omniroute/sla.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/status/status.h"
#include "fmt/format.h"
#include "internal/enum_names.h"

namespace omniroute {
namespace {

constexpr int64_t kNoInstant = SlaClock::kNoDeadlineNanos;
constexpr std::array<std::string_view, kSlaMetricCount> kMetricNames = {
    "first_response", "next_response", "periodic_update", "resolution"};
constexpr std::array<std::string_view, 5> kStateNames = {"running", "paused", "met", "breached",
                                                         "cancelled"};

bool InNanosecondRange(absl::Time t) {
  return t > absl::FromUnixNanos(std::numeric_limits<int64_t>::min()) &&
         t < absl::FromUnixNanos(kNoInstant);
}

absl::StatusOr<int64_t> ToNanos(absl::Time t) {
  if (!InNanosecondRange(t)) {
    return absl::InvalidArgumentError(
        fmt::format("instant {} outside the SLA range (years 1678-2262)", absl::FormatTime(t)));
  }
  return absl::ToUnixNanos(t);
}

absl::Time FromNanos(int64_t ns) {
  return ns == kNoInstant ? absl::InfiniteFuture() : absl::FromUnixNanos(ns);
}

absl::Status CheckTarget(absl::Duration target) {
  if (target < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        fmt::format("negative target {}", absl::FormatDuration(target)));
  }
  if (target >= absl::Hours(24 * 365 * 290)) {
    return absl::InvalidArgumentError(
        fmt::format("target {} is not finite (at most 290 years)", absl::FormatDuration(target)));
  }
  return absl::OkStatus();
}

bool Contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

std::string_view SlaMetricName(SlaMetric metric) {
  return internal::EnumName(kMetricNames, metric);
}

absl::StatusOr<SlaMetric> ParseSlaMetric(std::string_view name) {
  return internal::ParseEnum<SlaMetric>(kMetricNames, "SLA metric", name);
}

std::string_view SlaStateName(SlaState state) { return internal::EnumName(kStateNames, state); }

absl::Duration WorkingDay(const BusinessCalendar& calendar) {
  if (calendar.IsAlwaysOpen()) return absl::Hours(24);
  const auto& week = calendar.spec().week;
  const auto open_days = std::count_if(week.begin(), week.end(),
                                       [](const auto& intervals) { return !intervals.empty(); });
  return open_days == 0 ? absl::ZeroDuration() : calendar.weekly_open_time() / open_days;
}

std::array<SlaMetricSettings, kSlaMetricCount> SlaPolicy::DefaultMetricSettings() {
  std::array<SlaMetricSettings, kSlaMetricCount> settings;
  settings[static_cast<int>(SlaMetric::kResolution)].paused_by = {"customer"};
  return settings;
}

absl::Status SlaPolicy::Validate() const {
  const auto error = [&](std::string message) {
    return absl::InvalidArgumentError(fmt::format("SLA policy \"{}\": {}", name, message));
  };
  if (name.empty()) return absl::InvalidArgumentError("SLA policy without a name");
  if (warn_at.size() > kMaxWarnings) {
    return error(fmt::format("{} warning thresholds (at most {})", warn_at.size(), kMaxWarnings));
  }
  for (size_t i = 0; i < warn_at.size(); ++i) {
    if (!(warn_at[i] > 0 && warn_at[i] <= 1)) {
      return error(fmt::format("warning threshold {} outside (0, 1]", warn_at[i]));
    }
    if (i > 0 && warn_at[i] <= warn_at[i - 1]) {
      return error(
          fmt::format("warning thresholds must ascend ({} after {})", warn_at[i], warn_at[i - 1]));
    }
  }
  const auto check_targets = [&](const SlaTargets& targets,
                                 std::string_view where) -> absl::Status {
    for (SlaMetric metric : kAllSlaMetrics) {
      if (!targets.tracks(metric)) continue;
      if (absl::Status status = CheckTarget(targets[metric]); !status.ok()) {
        return error(
            fmt::format("{} {}: {}", where, SlaMetricName(metric), std::string(status.message())));
      }
    }
    return absl::OkStatus();
  };
  for (const auto& [priority, targets] : this->targets) {
    if (absl::Status s = check_targets(targets, fmt::format("priority {}", priority)); !s.ok()) {
      return s;
    }
  }
  for (const auto& [tier, by_priority] : tier_targets) {
    for (const auto& [priority, targets] : by_priority) {
      if (absl::Status s =
              check_targets(targets, fmt::format("tier {} priority {}", tier, priority));
          !s.ok()) {
        return s;
      }
    }
  }
  for (const auto& [tier, factor] : tier_factors) {
    if (!(factor > 0) || !std::isfinite(factor)) {
      return error(fmt::format("tier {} factor {} must be positive and finite", tier, factor));
    }
  }
  for (SlaMetric metric : kAllSlaMetrics) {
    if (Contains(settings(metric).paused_by, "")) {
      return error(fmt::format("{}: empty pause reason", SlaMetricName(metric)));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::Duration> SlaPolicy::Target(SlaMetric metric, std::string_view priority,
                                                 std::string_view tier) const {
  const std::string priority_key(priority), tier_key(tier);
  if (!tier.empty()) {
    if (auto by_tier = tier_targets.find(tier_key); by_tier != tier_targets.end()) {
      if (auto targets = by_tier->second.find(priority_key);
          targets != by_tier->second.end() && targets->second.tracks(metric)) {
        return targets->second[metric];
      }
    }
  }
  auto targets = this->targets.find(priority_key);
  if (targets == this->targets.end()) {
    return absl::NotFoundError(
        fmt::format("SLA policy \"{}\" has no targets for priority \"{}\"", name, priority));
  }
  const absl::Duration base = targets->second[metric];
  if (base == absl::InfiniteDuration()) return base;
  auto factor = tier_factors.find(tier_key);
  if (tier.empty() || factor == tier_factors.end()) return base;
  return absl::Nanoseconds(static_cast<int64_t>(
      std::llround(static_cast<long double>(absl::ToInt64Nanoseconds(base)) * factor->second)));
}

bool SlaPolicy::Pauses(SlaMetric metric, std::string_view reason) const {
  return Contains(settings(metric).paused_by, reason);
}

bool SlaRule::Matches(const SlaContext& context) const {
  const auto any_of = [](const std::vector<std::string>& allowed, std::string_view value) {
    return allowed.empty() || Contains(allowed, value);
  };
  const auto has_tag = [&](const std::string& tag) {
    return std::find(context.tags.begin(), context.tags.end(), tag) != context.tags.end();
  };
  return any_of(channels, context.channel) && any_of(queues, context.queue) &&
         any_of(priorities, context.priority) && any_of(tiers, context.tier) &&
         (tags_any.empty() || std::any_of(tags_any.begin(), tags_any.end(), has_tag)) &&
         std::all_of(tags_all.begin(), tags_all.end(), has_tag);
}

const std::string& SlaSelector::Select(const SlaContext& context) const {
  for (const SlaRule& rule : rules_) {
    if (rule.Matches(context)) return rule.policy;
  }
  return default_policy_;
}

absl::StatusOr<SlaClock> SlaClock::Start(SlaMetric metric, absl::Time start, absl::Duration target,
                                         const BusinessCalendar& calendar, uint16_t cycle) {
  if (absl::Status status = CheckTarget(target); !status.ok()) return status;
  absl::StatusOr<int64_t> start_ns = ToNanos(start);
  if (!start_ns.ok()) return start_ns.status();
  SlaClock clock;
  clock.metric_ = metric;
  clock.cycle_ = cycle;
  clock.start_ns_ = clock.mark_ns_ = *start_ns;
  clock.target_ns_ = absl::ToInt64Nanoseconds(target);
  clock.UpdateDeadline(calendar);
  return clock;
}

SlaState SlaClock::state() const {
  switch (phase_) {
    case Phase::kCancelled:
      return SlaState::kCancelled;
    case Phase::kStopped:
      return SlaState::kMet;
    case Phase::kPaused:
      return breached_ ? SlaState::kBreached : SlaState::kPaused;
    case Phase::kRunning:
      break;
  }
  return breached_ ? SlaState::kBreached : SlaState::kRunning;
}

absl::Time SlaClock::start() const { return FromNanos(start_ns_); }
absl::Time SlaClock::stopped_at() const {
  return running() ? absl::InfiniteFuture() : FromNanos(mark_ns_);
}

absl::Duration SlaClock::Elapsed(absl::Time now, const BusinessCalendar& calendar) const {
  absl::Duration elapsed = absl::Nanoseconds(accumulated_ns_);
  if (running()) {
    const absl::Time mark = FromNanos(mark_ns_);
    if (now > mark) elapsed += calendar.BusinessTimeBetween(mark, now);
  }
  return elapsed;
}

double SlaClock::Consumed(absl::Time now, const BusinessCalendar& calendar) const {
  const absl::Duration elapsed = Elapsed(now, calendar);
  if (target_ns_ == 0) {
    return elapsed == absl::ZeroDuration() ? 1.0 : std::numeric_limits<double>::infinity();
  }
  return absl::FDivDuration(elapsed, target());
}

absl::Duration SlaClock::Remaining(absl::Time now, const BusinessCalendar& calendar) const {
  return target() - Elapsed(now, calendar);
}

absl::Time SlaClock::Deadline() const {
  return running() ? FromNanos(deadline_ns_) : absl::InfiniteFuture();
}

absl::Duration SlaClock::Threshold(double fraction) const {
  return absl::Nanoseconds(ThresholdNanos(fraction));
}

int64_t SlaClock::ThresholdNanos(double fraction) const {
  const long double product = static_cast<long double>(target_ns_) * fraction;
  // Below 2^62 the fraction of the product is exact in a long double, so rounding half away from
  // zero here gives what llroundl gives, without the library call (a tracker asks for a threshold
  // at every warning).
  if (product >= 0 && product < 0x1p62L) {
    auto whole = static_cast<int64_t>(product);
    if (product - static_cast<long double>(whole) >= 0.5L) ++whole;
    return whole;
  }
  return static_cast<int64_t>(std::llround(product));
}

absl::Time SlaClock::InstantReaching(absl::Duration business,
                                     const BusinessCalendar& calendar) const {
  if (!running()) return absl::InfiniteFuture();
  const absl::Time mark = FromNanos(mark_ns_);
  const absl::Duration left = business - absl::Nanoseconds(accumulated_ns_);
  if (left <= absl::ZeroDuration()) return mark;
  absl::StatusOr<absl::Time> reached = calendar.AddBusinessTime(mark, left);
  if (!reached.ok() || !InNanosecondRange(*reached)) return absl::InfiniteFuture();
  return *reached;
}

void SlaClock::UpdateDeadline(const BusinessCalendar& calendar) {
  const absl::Time deadline = InstantReaching(target(), calendar);
  deadline_ns_ = deadline == absl::InfiniteFuture() ? kNoInstant : absl::ToUnixNanos(deadline);
}

absl::Status SlaClock::CheckOrder(absl::Time at) const {
  if (!InNanosecondRange(at)) return ToNanos(at).status();
  if (absl::ToUnixNanos(at) < mark_ns_) {
    return absl::InvalidArgumentError(fmt::format("{} clock: {} is before its last change at {}",
                                                  SlaMetricName(metric_), absl::FormatTime(at),
                                                  absl::FormatTime(FromNanos(mark_ns_))));
  }
  return absl::OkStatus();
}

bool SlaClock::PastDeadline(absl::Time at) const {
  return target_ns_ == 0 || absl::ToUnixNanos(at) > deadline_ns_ || accumulated_ns_ > target_ns_;
}

absl::Status SlaClock::Pause(absl::Time at, const BusinessCalendar& calendar) {
  if (!running()) {
    return absl::FailedPreconditionError(fmt::format("{} clock is {}, not running: cannot pause",
                                                     SlaMetricName(metric_),
                                                     SlaStateName(state())));
  }
  if (absl::Status status = CheckOrder(at); !status.ok()) return status;
  accumulated_ns_ = absl::ToInt64Nanoseconds(Elapsed(at, calendar));
  if (PastDeadline(at)) breached_ = true;
  mark_ns_ = absl::ToUnixNanos(at);
  phase_ = Phase::kPaused;
  return absl::OkStatus();
}

absl::Status SlaClock::Resume(absl::Time at, const BusinessCalendar& calendar) {
  if (!paused()) {
    return absl::FailedPreconditionError(fmt::format("{} clock is {}, not paused: cannot resume",
                                                     SlaMetricName(metric_),
                                                     SlaStateName(state())));
  }
  if (absl::Status status = CheckOrder(at); !status.ok()) return status;
  mark_ns_ = absl::ToUnixNanos(at);
  phase_ = Phase::kRunning;
  // A clock that passed its target before the pause keeps the instant it first reached it.
  if (!breached_ || accumulated_ns_ < target_ns_ || deadline_ns_ == kNoInstant) {
    UpdateDeadline(calendar);
  }
  return absl::OkStatus();
}

absl::Status SlaClock::Stop(absl::Time at, const BusinessCalendar& calendar) {
  if (!open()) {
    return absl::FailedPreconditionError(fmt::format(
        "{} clock is {}: cannot stop it", SlaMetricName(metric_), SlaStateName(state())));
  }
  if (absl::Status status = CheckOrder(at); !status.ok()) return status;
  accumulated_ns_ = absl::ToInt64Nanoseconds(Elapsed(at, calendar));
  if (running() && PastDeadline(at)) breached_ = true;
  mark_ns_ = absl::ToUnixNanos(at);
  phase_ = Phase::kStopped;
  return absl::OkStatus();
}

absl::Status SlaClock::Cancel(absl::Time at) {
  if (!open()) {
    return absl::FailedPreconditionError(fmt::format(
        "{} clock is {}: cannot cancel it", SlaMetricName(metric_), SlaStateName(state())));
  }
  if (absl::Status status = CheckOrder(at); !status.ok()) return status;
  mark_ns_ = absl::ToUnixNanos(at);
  phase_ = Phase::kCancelled;
  return absl::OkStatus();
}

absl::Status SlaClock::Retarget(absl::Duration target, const BusinessCalendar& calendar) {
  if (absl::Status status = CheckTarget(target); !status.ok()) return status;
  target_ns_ = absl::ToInt64Nanoseconds(target);
  UpdateDeadline(calendar);
  return absl::OkStatus();
}

}  // namespace omniroute
