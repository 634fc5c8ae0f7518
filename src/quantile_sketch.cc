#include "omniroute/quantile_sketch.h"

#include <algorithm>
#include <cmath>

namespace omniroute {

QuantileSketch::QuantileSketch(double relative_accuracy)
    : alpha_(relative_accuracy > 0 && relative_accuracy < 1 ? relative_accuracy
                                                            : kDefaultRelativeAccuracy),
      gamma_((1 + alpha_) / (1 - alpha_)),
      log_gamma_(std::log(gamma_)) {}

// Bucket i holds (gamma^(i-1), gamma^i]; its representative 2 gamma^i / (gamma + 1) is within
// alpha of every value in it.
int QuantileSketch::Index(double value) const {
  return static_cast<int>(std::ceil(std::log(value) / log_gamma_));
}

double QuantileSketch::Value(int index) const { return 2 * std::pow(gamma_, index) / (gamma_ + 1); }

void QuantileSketch::Add(double value) {
  if (std::isnan(value)) return;
  value = std::max(value, 0.0);
  min_ = count_ == 0 ? value : std::min(min_, value);
  max_ = count_ == 0 ? value : std::max(max_, value);
  ++count_;
  sum_ += value;
  if (value < kZeroThreshold) {
    ++zeros_;
    return;
  }
  ++Bin(Index(value));
}

uint64_t& QuantileSketch::Bin(int index) {
  if (bins_.empty()) {
    offset_ = index;
    bins_.assign(1, 0);
  } else if (index < offset_) {
    bins_.insert(bins_.begin(), static_cast<size_t>(offset_ - index), 0);
    offset_ = index;
  } else if (index - offset_ >= static_cast<int>(bins_.size())) {
    bins_.resize(static_cast<size_t>(index - offset_ + 1), 0);
  }
  return bins_[static_cast<size_t>(index - offset_)];
}

bool QuantileSketch::Merge(const QuantileSketch& other) {
  if (other.alpha_ != alpha_) return false;
  if (other.count_ == 0) return true;
  min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = count_ == 0 ? other.max_ : std::max(max_, other.max_);
  count_ += other.count_;
  sum_ += other.sum_;
  zeros_ += other.zeros_;
  for (size_t i = 0; i < other.bins_.size(); ++i) {
    if (other.bins_[i] == 0) continue;
    Bin(other.offset_ + static_cast<int>(i)) += other.bins_[i];
  }
  return true;
}

double QuantileSketch::Quantile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  const auto rank = static_cast<uint64_t>(q * static_cast<double>(count_ - 1));
  if (rank < zeros_) return min_;
  uint64_t seen = zeros_;
  for (size_t i = 0; i < bins_.size(); ++i) {
    seen += bins_[i];
    if (seen > rank) return std::clamp(Value(offset_ + static_cast<int>(i)), min_, max_);
  }
  return max_;
}

}  // namespace omniroute
