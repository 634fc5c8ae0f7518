// SLA policies, their selection rules, and SLA clocks.
//
// An SLA policy says how long work may take per metric (first response, next response, periodic
// update, resolution), counted on which calendar, paused by which reasons, with warnings at which
// fractions of the target; targets are given per priority and optionally per customer tier. An
// `SlaClock` is one cycle of one metric for one work item: a small value type that counts business
// time, excludes paused spans, and knows its deadline.
//
//   omniroute::SlaPolicy policy;
//   policy.name = "tiered";
//   policy.warn_at = {0.5, 0.75};
//   policy.targets["A"][omniroute::SlaMetric::kFirstResponse] = absl::Minutes(5);
//   policy.targets["A"][omniroute::SlaMetric::kResolution] = absl::Minutes(30);
//   policy.tier_factors["vip"] = 0.5;                      // VIP halves the targets
//   absl::StatusOr<absl::Duration> target =
//       policy.Target(omniroute::SlaMetric::kResolution, "A", "vip");   // 15 min
//
//   absl::StatusOr<omniroute::SlaClock> clock = omniroute::SlaClock::Start(
//       omniroute::SlaMetric::kResolution, created, *target, calendar);
//   clock->Pause(waiting_since, calendar);   // pending customer
//   clock->Resume(replied_at, calendar);
//   clock->Deadline();                        // moved by the pause, on the calendar
//
// Time: instants are absl::Time between the years 1678 and 2262 (clocks store nanoseconds since
// the Unix epoch in 64 bits); a deadline beyond that range is `absl::InfiniteFuture()`. Elapsed
// time is business time on the metric's calendar, so a pause on a closed day costs nothing.
//
// Thread safety: the types here are values (thread-compatible); `SlaPolicy` and `SlaSelector` are
// safe to read from many threads once built.
#ifndef OMNIROUTE_SLA_H_
#define OMNIROUTE_SLA_H_

#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "omniroute/calendar.h"

namespace omniroute {

namespace internal {
class StateCodec;  // the engine's state snapshot (src/internal/state_codec.h)
}  // namespace internal

// What an SLA measures. Each metric runs in cycles:
// - kFirstResponse: from creation to the first agent response (one cycle).
// - kNextResponse: from a customer message that follows an agent response to the next agent
//   response (a cycle per such message).
// - kPeriodicUpdate: an agent must update at least every target while the item is open (a cycle
//   from creation and from each agent response, until resolution).
// - kResolution: from creation to resolution; a reopened item starts a new cycle.
enum class SlaMetric : uint8_t { kFirstResponse, kNextResponse, kPeriodicUpdate, kResolution };
inline constexpr int kSlaMetricCount = 4;
inline constexpr std::array<SlaMetric, kSlaMetricCount> kAllSlaMetrics = {
    SlaMetric::kFirstResponse, SlaMetric::kNextResponse, SlaMetric::kPeriodicUpdate,
    SlaMetric::kResolution};

// "first_response", "next_response", "periodic_update", "resolution".
std::string_view SlaMetricName(SlaMetric metric);
// The inverse of SlaMetricName; InvalidArgument naming the text otherwise.
absl::StatusOr<SlaMetric> ParseSlaMetric(std::string_view name);
inline std::ostream& operator<<(std::ostream& os, SlaMetric m) { return os << SlaMetricName(m); }

// The state of a clock. kBreached: past its target and not yet stopped (it keeps counting, and
// may be paused); kMet: stopped, on time or late (see `SlaClock::met_late()`).
enum class SlaState : uint8_t { kRunning, kPaused, kMet, kBreached, kCancelled };
// "running", "paused", "met", "breached", "cancelled".
std::string_view SlaStateName(SlaState state);
inline std::ostream& operator<<(std::ostream& os, SlaState s) { return os << SlaStateName(s); }

// Business-time targets per metric; `absl::InfiniteDuration()` means the metric is not tracked.
class SlaTargets {
 public:
  SlaTargets() { targets_.fill(absl::InfiniteDuration()); }
  absl::Duration& operator[](SlaMetric m) { return targets_[static_cast<int>(m)]; }
  absl::Duration operator[](SlaMetric m) const { return targets_[static_cast<int>(m)]; }
  bool tracks(SlaMetric m) const { return (*this)[m] != absl::InfiniteDuration(); }
  friend bool operator==(const SlaTargets&, const SlaTargets&) = default;

 private:
  std::array<absl::Duration, kSlaMetricCount> targets_;
};

// An average working day on `calendar`: its weekly open time divided by the number of weekdays
// that have open hours (8 h on a Mon-Fri 09:00-17:00 calendar, 24 h on the 24x7 one, zero on a
// calendar with no weekly hours). "Solved within 2 working days" is a target of 2 x WorkingDay.
absl::Duration WorkingDay(const BusinessCalendar& calendar);

// How one metric is counted under a policy.
struct SlaMetricSettings {
  // The calendar its business time runs on; 24x7 by default.
  BusinessCalendar calendar;
  // Pause reasons that stop this metric's clock while any of them is active on the item, e.g.
  // {"customer"} for requester wait, {"customer", "third_party"} for agent work time.
  std::vector<std::string> paused_by;

  friend bool operator==(const SlaMetricSettings&, const SlaMetricSettings&) = default;
};

// A named SLA policy. Build it, then `Validate()` (the tracker and the engine do).
struct SlaPolicy {
  // At most this many warning thresholds.
  static constexpr int kMaxWarnings = 7;

  std::string name;
  // Per metric, indexed by SlaMetric. By default every metric runs 24x7, and only resolution is
  // paused, by the reason "customer" (pending customer).
  std::array<SlaMetricSettings, kSlaMetricCount> metrics = DefaultMetricSettings();
  // Warning thresholds as fractions of the target, each in (0, 1], strictly ascending.
  std::vector<double> warn_at;
  // Targets per priority label ("A", "B", "C" ...).
  std::map<std::string, SlaTargets> targets;
  // Multipliers per customer tier applied to the priority targets (e.g. "vip": 0.5).
  std::map<std::string, double> tier_factors;
  // Explicit targets per tier and priority; they win over `targets` x `tier_factors`.
  std::map<std::string, std::map<std::string, SlaTargets>> tier_targets;

  static std::array<SlaMetricSettings, kSlaMetricCount> DefaultMetricSettings();

  SlaMetricSettings& settings(SlaMetric m) { return metrics[static_cast<int>(m)]; }
  const SlaMetricSettings& settings(SlaMetric m) const { return metrics[static_cast<int>(m)]; }

  // InvalidArgument naming the policy and the problem: empty name; a warning threshold outside
  // (0, 1], not ascending, or more than kMaxWarnings; a negative target; a tier factor that is not
  // positive and finite; an empty pause reason.
  absl::Status Validate() const;

  // The target for `metric` at `priority` and `tier` ("" = no tier): `tier_targets` when it names
  // this tier, priority and metric; else the priority's target times the tier's factor (1 without
  // one). `InfiniteDuration()` when the metric is not tracked for that priority. NotFound when
  // the policy has no targets for `priority` at all.
  absl::StatusOr<absl::Duration> Target(SlaMetric metric, std::string_view priority,
                                        std::string_view tier) const;

  // Whether `reason` pauses `metric`.
  bool Pauses(SlaMetric metric, std::string_view reason) const;

  friend bool operator==(const SlaPolicy&, const SlaPolicy&) = default;
};

// What the selection rules look at.
struct SlaContext {
  std::string_view channel;
  std::string_view queue;
  std::string_view priority;
  std::string_view tier;
  std::span<const std::string> tags;
};

// One selection rule: every non-empty condition must hold (a list means "any of these").
struct SlaRule {
  std::vector<std::string> channels;
  std::vector<std::string> queues;
  std::vector<std::string> priorities;
  std::vector<std::string> tiers;
  std::vector<std::string> tags_any;  // at least one of these tags
  std::vector<std::string> tags_all;  // every one of these tags
  std::string policy;                 // the policy chosen when the rule matches

  bool Matches(const SlaContext& context) const;
  friend bool operator==(const SlaRule&, const SlaRule&) = default;
};

// Chooses a policy for a work item: the first matching rule wins; when none matches, the default
// policy ("" when there is none: the item has no SLA). Never fails.
class SlaSelector {
 public:
  SlaSelector() = default;
  SlaSelector(std::vector<SlaRule> rules, std::string default_policy)
      : rules_(std::move(rules)), default_policy_(std::move(default_policy)) {}

  // O(rules x conditions).
  const std::string& Select(const SlaContext& context) const;

  const std::vector<SlaRule>& rules() const { return rules_; }
  const std::string& default_policy() const { return default_policy_; }

 private:
  std::vector<SlaRule> rules_;
  std::string default_policy_;
};

// One cycle of one metric: counts business time from its start, excluding paused spans.
//
// Fractions and thresholds: `Threshold(f)` is the business time f x target, rounded to the
// nearest nanosecond; a warning at f fires at the instant elapsed time reaches it. The deadline
// is the first instant elapsed time reaches the target. The target is met when the clock stops
// at or before its deadline; a clock still running after its deadline is breached, and the
// breach is dated at the deadline. So a deadline at closing time is missed by a stop in the
// closed hours after it, although no business time was added (a late stop with zero overrun).
// A zero target is breached at its start.
//
// The clock does not watch time by itself: `SlaTracker` fires its warnings and breach. A clock
// used alone learns it is late when stopped (`Stop` compares elapsed time with the target).
class SlaClock {
 public:
  // A running clock of `metric` from `start` with `target` business time (>= 0) on `calendar`.
  // InvalidArgument for a negative or infinite target, or an instant outside 1678-2262.
  static absl::StatusOr<SlaClock> Start(SlaMetric metric, absl::Time start, absl::Duration target,
                                        const BusinessCalendar& calendar, uint16_t cycle = 1);

  SlaMetric metric() const { return metric_; }
  uint16_t cycle() const { return cycle_; }
  SlaState state() const;
  bool running() const { return phase_ == Phase::kRunning; }
  bool paused() const { return phase_ == Phase::kPaused; }
  bool stopped() const { return phase_ == Phase::kStopped; }
  bool cancelled() const { return phase_ == Phase::kCancelled; }
  // Open: running or paused.
  bool open() const { return running() || paused(); }
  bool breached() const { return breached_; }
  // Stopped after being breached (or past the target when stopped).
  bool met_late() const { return stopped() && breached_; }

  absl::Time start() const;
  absl::Duration target() const { return absl::Nanoseconds(target_ns_); }
  // When the clock last stopped, paused or was cancelled; InfiniteFuture while running.
  absl::Time stopped_at() const;

  // Business time counted up to `now` (or up to the stop, pause or cancel when not running).
  absl::Duration Elapsed(absl::Time now, const BusinessCalendar& calendar) const;
  // Elapsed / target (may exceed 1). A zero target gives 1 at its start, infinity after.
  double Consumed(absl::Time now, const BusinessCalendar& calendar) const;
  // Target minus elapsed: negative once overdue.
  absl::Duration Remaining(absl::Time now, const BusinessCalendar& calendar) const;
  // The instant elapsed time reaches the target, given the pauses so far: exact, computed on the
  // calendar at each start, resume and retarget. InfiniteFuture while paused, stopped or
  // cancelled, or beyond 2262; for a clock that overran its target before a pause, the instant
  // it first did.
  absl::Time Deadline() const;
  // f x target, rounded to the nearest nanosecond.
  absl::Duration Threshold(double fraction) const;

  // The same in nanoseconds (of business time, or since the Unix epoch), for arithmetic on many
  // clocks without conversions. `DeadlineNanos()` is kNoDeadlineNanos where Deadline() is
  // InfiniteFuture.
  static constexpr int64_t kNoDeadlineNanos = std::numeric_limits<int64_t>::max();
  int64_t TargetNanos() const { return target_ns_; }
  int64_t DeadlineNanos() const { return running() ? deadline_ns_ : kNoDeadlineNanos; }
  int64_t ThresholdNanos(double fraction) const;
  // The clock had counted AccumulatedNanos() of business time at MarkNanos() (since the Unix
  // epoch): while it runs, the start of its current running stretch.
  int64_t MarkNanos() const { return mark_ns_; }
  int64_t AccumulatedNanos() const { return accumulated_ns_; }
  // The instant elapsed time reaches `business` if the clock keeps running from now on: exact for
  // a running clock; InfiniteFuture for a clock that is not running. For `business` already
  // reached, the instant it was reached when that happened in the current running stretch, else
  // the start of the stretch.
  absl::Time InstantReaching(absl::Duration business, const BusinessCalendar& calendar) const;

  // Stops counting at `at` (>= the last change); a pause after the deadline marks the clock
  // breached. FailedPrecondition when not running.
  absl::Status Pause(absl::Time at, const BusinessCalendar& calendar);
  // Resumes at `at` (>= the pause). FailedPrecondition when not paused.
  absl::Status Resume(absl::Time at, const BusinessCalendar& calendar);
  // Stops the cycle at `at`: met, late when already breached or after the deadline. A paused
  // clock stops where it paused. FailedPrecondition when already stopped or cancelled;
  // InvalidArgument when `at` is before the last change ("stop before start").
  absl::Status Stop(absl::Time at, const BusinessCalendar& calendar);
  // Cancels an open clock (it counts for no attainment). FailedPrecondition when not open.
  absl::Status Cancel(absl::Time at);
  // Sets a new target, counted from the clock's original start; the deadline moves. A clock now
  // past its new target is not marked breached here: the tracker fires the breach at once.
  // InvalidArgument for a negative or infinite target.
  absl::Status Retarget(absl::Duration target, const BusinessCalendar& calendar);

  // Marks the breach as fired (the tracker does this exactly once per cycle).
  void MarkBreached() { breached_ = true; }
  // Which warning thresholds (by index into the policy's warn_at) have fired, as bits.
  uint8_t warnings_fired() const { return warnings_fired_; }
  void MarkWarningFired(int index) { warnings_fired_ |= static_cast<uint8_t>(1u << index); }

  friend bool operator==(const SlaClock&, const SlaClock&) = default;

 private:
  enum class Phase : uint8_t { kRunning, kPaused, kStopped, kCancelled };
  friend class internal::StateCodec;

  SlaClock() = default;
  absl::Status CheckOrder(absl::Time at) const;
  // Whether a running clock at `at` is past its deadline (or the target is zero).
  bool PastDeadline(absl::Time at) const;
  void UpdateDeadline(const BusinessCalendar& calendar);

  // Nanoseconds since the Unix epoch / of business time.
  int64_t start_ns_ = 0;
  int64_t target_ns_ = 0;
  int64_t accumulated_ns_ = 0;  // business time counted before `mark_ns_`
  int64_t mark_ns_ = 0;         // running: since when; otherwise: when it paused, stopped, ended
  int64_t deadline_ns_ = 0;     // kNoInstant when none
  uint16_t cycle_ = 1;
  SlaMetric metric_ = SlaMetric::kFirstResponse;
  Phase phase_ = Phase::kRunning;
  bool breached_ = false;
  uint8_t warnings_fired_ = 0;
};

}  // namespace omniroute

#endif  // OMNIROUTE_SLA_H_
