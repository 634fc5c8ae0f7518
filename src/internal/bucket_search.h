// Finding a key's place in a long sorted table in O(1) for evenly spread keys: the calendars ask
// their zone tables on every query, and a plain binary search walks the table's full depth each
// time.
#ifndef OMNIROUTE_SRC_INTERNAL_BUCKET_SEARCH_H_
#define OMNIROUTE_SRC_INTERNAL_BUCKET_SEARCH_H_

#include <algorithm>
#include <cstdint>
#include <vector>

namespace omniroute::internal {

// An index over an ascending table of keys (duplicates allowed), kept apart from the table: the
// range of the keys is cut into equal buckets, each knowing the last key at or before its start,
// so a search only looks at the keys of one bucket. There are about two buckets per key, so the
// index is at most twice the size of the table.
class BucketSearch {
 public:
  BucketSearch() = default;
  // `keys` ascending; the index is valid for these keys until they change.
  explicit BucketSearch(const std::vector<int64_t>& keys) {
    if (keys.empty()) return;
    origin_ = keys.front();
    const uint64_t range = static_cast<uint64_t>(keys.back()) - static_cast<uint64_t>(origin_);
    while ((range >> shift_) >= 2 * keys.size()) ++shift_;
    const uint64_t buckets = (range >> shift_) + 1;
    last_at_start_.reserve(buckets);
    size_t last = 0;
    for (uint64_t bucket = 0; bucket < buckets; ++bucket) {
      const auto start = static_cast<int64_t>(static_cast<uint64_t>(origin_) + (bucket << shift_));
      while (last + 1 < keys.size() && keys[last + 1] <= start) ++last;
      last_at_start_.push_back(static_cast<uint32_t>(last));
    }
  }

  // The index of the last of `keys` (those the index was built from) at or before `x`; -1 when
  // every key is after `x`. O(log of the keys in x's bucket).
  int64_t LastAtOrBefore(const std::vector<int64_t>& keys, int64_t x) const {
    if (keys.empty() || x < keys.front()) return -1;
    if (x >= keys.back()) return static_cast<int64_t>(keys.size()) - 1;
    const uint64_t bucket = (static_cast<uint64_t>(x) - static_cast<uint64_t>(origin_)) >> shift_;
    // x lies between the last key at or before its bucket's start and the first key after the
    // next bucket's start.
    const size_t low = last_at_start_[bucket];
    const size_t high =
        bucket + 1 < last_at_start_.size() ? last_at_start_[bucket + 1] + 1 : keys.size();
    return (std::upper_bound(keys.begin() + static_cast<std::ptrdiff_t>(low),
                             keys.begin() + static_cast<std::ptrdiff_t>(high), x) -
            keys.begin()) -
           1;
  }

 private:
  int64_t origin_ = 0;  // the first key
  int shift_ = 0;       // buckets span 2^shift_
  // Per bucket: the index of the last key at or before the bucket's start.
  std::vector<uint32_t> last_at_start_;
};

}  // namespace omniroute::internal

#endif  // OMNIROUTE_SRC_INTERNAL_BUCKET_SEARCH_H_
