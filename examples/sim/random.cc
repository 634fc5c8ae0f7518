#include "random.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace omniroute::sim {

uint64_t StreamSeed(uint64_t seed, uint64_t stream) {
  // SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number generators", 2014).
  uint64_t z = seed + (stream + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double Random::Exponential(double mean) { return -mean * std::log(UniformPositive()); }

double Random::Normal() {
  const double radius = std::sqrt(-2.0 * std::log(UniformPositive()));
  const double angle = 2.0 * std::numbers::pi * Uniform();
  return radius * std::cos(angle);
}

size_t Random::Pick(const std::vector<double>& cumulative) {
  const double target = Uniform() * cumulative.back();
  const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), target);
  return std::min<size_t>(it - cumulative.begin(), cumulative.size() - 1);
}

std::string_view DistributionKindName(DistributionKind kind) {
  switch (kind) {
    case DistributionKind::kExponential:
      return "exponential";
    case DistributionKind::kLogNormal:
      return "lognormal";
    case DistributionKind::kFixed:
      return "fixed";
    case DistributionKind::kEmpirical:
      return "empirical";
  }
  return "exponential";
}

absl::StatusOr<DistributionKind> ParseDistributionKind(std::string_view name) {
  if (name == "exponential") return DistributionKind::kExponential;
  if (name == "lognormal" || name == "log-normal" || name == "log_normal") {
    return DistributionKind::kLogNormal;
  }
  if (name == "fixed") return DistributionKind::kFixed;
  if (name == "empirical") return DistributionKind::kEmpirical;
  return absl::InvalidArgumentError(absl::StrCat("unknown distribution \"", std::string(name),
                                                 "\" (expected exponential, lognormal, fixed "
                                                 "or empirical)"));
}

double Distribution::Sample(Random& rng) const {
  switch (kind) {
    case DistributionKind::kExponential:
      return rng.Exponential(mean);
    case DistributionKind::kLogNormal: {
      if (sd <= 0) return mean;
      // The log-normal with this mean and standard deviation: sigma^2 = ln(1 + cv^2),
      // mu = ln(mean) - sigma^2 / 2.
      const double cv = sd / mean;
      const double sigma2 = std::log1p(cv * cv);
      return std::exp(std::log(mean) - sigma2 / 2 + std::sqrt(sigma2) * rng.Normal());
    }
    case DistributionKind::kFixed:
      return mean;
    case DistributionKind::kEmpirical:
      return values[rng.Pick(cumulative)];
  }
  return mean;
}

double Distribution::Mean() const {
  if (kind != DistributionKind::kEmpirical) return mean;
  double weighted = 0;
  double previous = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    weighted += values[i] * (cumulative[i] - previous);
    previous = cumulative[i];
  }
  return cumulative.empty() ? 0.0 : weighted / cumulative.back();
}

}  // namespace omniroute::sim
