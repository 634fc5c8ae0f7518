// The UTC offsets of a time zone as a table of transitions, for O(log n) lookups in both
// directions without calling into the zone database on every query.
#ifndef OMNIROUTE_SRC_INTERNAL_ZONE_OFFSETS_H_
#define OMNIROUTE_SRC_INTERNAL_ZONE_OFFSETS_H_

#include <cstdint>
#include <limits>
#include <vector>

#include "absl/time/time.h"
#include "internal/bucket_search.h"

namespace omniroute::internal {

inline constexpr int64_t kSecondsPerDay = 86400;
inline constexpr int64_t kPlusInfinity = std::numeric_limits<int64_t>::max();
inline constexpr int64_t kMinusInfinity = std::numeric_limits<int64_t>::min();

// floor(a / b) and ceil(a / b) for b > 0.
constexpr int64_t FloorDiv(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}
constexpr int64_t CeilDiv(int64_t a, int64_t b) { return -FloorDiv(-a, b); }

// Every change of a zone's UTC offset up to `cycle_end`, in Unix seconds. From `cycle_start` on the
// zone repeats with the 400-year Gregorian cycle (146097 days, a whole number of weeks), as the
// zone database itself extends a recurring rule; instants after `cycle_end` are folded back into
// (cycle_start, cycle_end] by whole cycles.
class ZoneOffsets {
 public:
  static constexpr int64_t kCycleSeconds = 146097 * kSecondsPerDay;

  // The offset that holds from `at` on, until the next transition.
  struct Segment {
    int64_t offset;           // seconds east of UTC
    int64_t next_transition;  // Unix seconds, kPlusInfinity when there is none
  };

  ZoneOffsets() = default;
  // Reads `zone`'s transitions; `cycle_start()` is at least `min_cycle_start`.
  ZoneOffsets(const absl::TimeZone& zone, int64_t min_cycle_start);

  int64_t cycle_start() const { return cycle_start_; }
  int64_t cycle_end() const { return cycle_start_ + kCycleSeconds; }
  int64_t initial_offset() const { return initial_offset_; }

  // Transitions in the table (all at or before `cycle_end()`), ascending.
  const std::vector<int64_t>& transitions() const { return at_; }
  // The offset after transition `i`; `i == -1` gives the offset before the first one.
  int64_t offset_after(int64_t i) const { return i < 0 ? initial_offset_ : offset_after_[i]; }

  // Index of the last transition at or before `s` (-1 when none); `s <= cycle_end()`. O(1) for
  // the evenly spread transitions of real zones.
  int64_t IndexAt(int64_t s) const { return search_.LastAtOrBefore(at_, s); }
  // Whole cycles to subtract from `s` to bring it to or before `cycle_end()`.
  int64_t CyclesAfterEnd(int64_t s) const {
    return s > cycle_end() ? CeilDiv(s - cycle_end(), kCycleSeconds) : 0;
  }
  // The UTC offset in force at Unix second `s` (any `s`).
  int64_t OffsetAt(int64_t s) const;
  // The offset in force at `s` and the first transition after `s` (any `s`).
  Segment SegmentAt(int64_t s) const;

 private:
  int64_t cycle_start_ = 0;
  int64_t initial_offset_ = 0;
  std::vector<int64_t> at_;
  std::vector<int64_t> offset_after_;
  BucketSearch search_;  // over at_
  // Index of the first transition after `cycle_start_`; at_.size() when none.
  size_t first_in_cycle_ = 0;
};

}  // namespace omniroute::internal

#endif  // OMNIROUTE_SRC_INTERNAL_ZONE_OFFSETS_H_
