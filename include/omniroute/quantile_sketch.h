// Quantiles of a stream of non-negative values with a guaranteed relative error, in bounded
// memory: a DDSketch (Masson, Rim & Lee, "DDSketch: A Fast and Fully-Mergeable Quantile Sketch
// with Relative-Error Guarantees", VLDB 2019).
//
//   omniroute::QuantileSketch waits;                  // 1 % relative accuracy
//   for (double seconds : samples) waits.Add(seconds);
//   double p90 = waits.Quantile(0.9);                 // within 1 % of the true 90th percentile
//
// Guarantee: for q in [0, 1], `Quantile(q)` is within a factor (1 ± alpha) of the sample of rank
// floor(q * (count - 1)) in sorted order (alpha = the relative accuracy). Values below 1e-9 count
// as zero and are reported exactly; negative values count as zero. Memory: one 64-bit counter per
// occupied bucket between the smallest and largest value, about ln(max/min) / (2 alpha) buckets
// (1,200 for nanoseconds to years at 1 %). Two sketches of the same accuracy merge exactly.
//
// Thread safety: thread-compatible.
#ifndef OMNIROUTE_QUANTILE_SKETCH_H_
#define OMNIROUTE_QUANTILE_SKETCH_H_

#include <cstdint>
#include <vector>

namespace omniroute {

namespace internal {
class StateCodec;  // the engine's state snapshot (src/internal/state_codec.h)
}  // namespace internal

class QuantileSketch {
 public:
  static constexpr double kDefaultRelativeAccuracy = 0.01;
  static constexpr double kZeroThreshold = 1e-9;

  // `relative_accuracy` in (0, 1); values outside are replaced by the default.
  explicit QuantileSketch(double relative_accuracy = kDefaultRelativeAccuracy);

  // Adds one value (NaN is ignored). O(1) amortised.
  void Add(double value);
  // Adds every value of `other`; `other` must have the same relative accuracy (else this is a
  // no-op returning false).
  bool Merge(const QuantileSketch& other);

  // The q-quantile (q clamped to [0, 1]) within the relative accuracy; 0 when empty.
  // O(buckets).
  double Quantile(double q) const;

  uint64_t count() const { return count_; }
  double sum() const { return sum_; }
  // Exact mean, minimum and maximum of the values as counted (negatives as zero; 0 when empty).
  double mean() const { return count_ == 0 ? 0.0 : sum_ / static_cast<double>(count_); }
  double min() const { return count_ == 0 ? 0.0 : min_; }
  double max() const { return count_ == 0 ? 0.0 : max_; }
  double relative_accuracy() const { return alpha_; }

 private:
  int Index(double value) const;
  friend class internal::StateCodec;
  double Value(int index) const;
  // The counter of bucket `index`, growing the range to hold it.
  uint64_t& Bin(int index);

  double alpha_;
  double gamma_;
  double log_gamma_;
  uint64_t count_ = 0;
  uint64_t zeros_ = 0;
  double sum_ = 0;
  double min_ = 0;
  double max_ = 0;
  int offset_ = 0;  // bucket index of bins_[0]
  std::vector<uint64_t> bins_;
};

}  // namespace omniroute

#endif  // OMNIROUTE_QUANTILE_SKETCH_H_
