#include "internal/zone_offsets.h"

#include <algorithm>

#include "absl/time/civil_time.h"

namespace omniroute::internal {
namespace {

int64_t CivilSeconds(absl::CivilSecond c) { return c - absl::CivilSecond(1970, 1, 1, 0, 0, 0); }

}  // namespace

ZoneOffsets::ZoneOffsets(const absl::TimeZone& zone, int64_t min_cycle_start) {
  absl::Time cursor = absl::InfinitePast();
  absl::TimeZone::CivilTransition transition;
  while (zone.NextTransition(cursor, &transition)) {
    const absl::Time instant = zone.At(transition.to).trans;
    if (instant <= cursor) break;  // No progress: the zone has nothing further to report.
    const int64_t at = absl::ToUnixSeconds(instant);
    if (at_.empty()) initial_offset_ = CivilSeconds(transition.from) - at;
    at_.push_back(at);
    offset_after_.push_back(CivilSeconds(transition.to) - at);
    cursor = instant;
  }
  if (at_.empty()) {
    initial_offset_ = zone.At(absl::UnixEpoch()).offset;
    cycle_start_ = min_cycle_start;
    first_in_cycle_ = 0;
    return;
  }
  // The zone database lists transitions up to some instant L. A zone with a recurring rule
  // (daylight saving time) repeats after L the way it was in the 400 years up to L; any other zone
  // keeps its last offset.
  const int64_t last = at_.back();
  bool recurring = false;
  for (int month = 1; month <= 13 && !recurring; ++month) {
    const absl::Time probe = absl::FromUnixSeconds(last + month * 30 * kSecondsPerDay);
    recurring = zone.At(probe).offset != offset_after_.back();
  }
  cycle_start_ = recurring ? std::max(min_cycle_start, last - kCycleSeconds) : min_cycle_start;
  if (recurring) {
    // Each further transition is the one a cycle earlier, shifted by a cycle.
    for (size_t earlier = static_cast<size_t>(
             std::upper_bound(at_.begin(), at_.end(), last - kCycleSeconds) - at_.begin());
         at_[earlier] + kCycleSeconds <= cycle_end(); ++earlier) {
      at_.push_back(at_[earlier] + kCycleSeconds);
      offset_after_.push_back(offset_after_[earlier]);
    }
  }
  first_in_cycle_ =
      static_cast<size_t>(std::upper_bound(at_.begin(), at_.end(), cycle_start_) - at_.begin());
  search_ = BucketSearch(at_);
}

int64_t ZoneOffsets::OffsetAt(int64_t s) const {
  return offset_after(IndexAt(s - CyclesAfterEnd(s) * kCycleSeconds));
}

ZoneOffsets::Segment ZoneOffsets::SegmentAt(int64_t s) const {
  const int64_t shift = CyclesAfterEnd(s) * kCycleSeconds;
  const int64_t index = IndexAt(s - shift);
  int64_t next = kPlusInfinity;
  if (static_cast<size_t>(index + 1) < at_.size()) {
    next = at_[index + 1];
  } else if (first_in_cycle_ < at_.size()) {
    next = at_[first_in_cycle_] + kCycleSeconds;
  }
  return Segment{offset_after(index), next == kPlusInfinity ? next : next + shift};
}

}  // namespace omniroute::internal
