// Reproducible random numbers for the simulator: std::mt19937_64 (whose output the C++ standard
// fixes) and sampling written here, so that a scenario and a seed give the same draws with every
// standard library (std::*_distribution algorithms are implementation-defined).
//
//   omniroute::sim::Random rng(omniroute::sim::StreamSeed(/*seed=*/1, /*stream=*/3));
//   double u = rng.Uniform();                        // [0, 1)
//   double e = rng.Exponential(300.0);               // mean 300
//   omniroute::sim::Distribution handle{.kind = omniroute::sim::DistributionKind::kLogNormal,
//                                       .mean = 300, .sd = 150};
//   double seconds = handle.Sample(rng);
//
// Thread safety: thread-compatible.
#ifndef OMNIROUTE_EXAMPLES_SIM_RANDOM_H_
#define OMNIROUTE_EXAMPLES_SIM_RANDOM_H_

#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace omniroute::sim {

// A seed for stream `stream` of a run seeded with `seed`: SplitMix64 of both, so that streams are
// independent of each other and of the order in which they are drawn from.
uint64_t StreamSeed(uint64_t seed, uint64_t stream);

class Random {
 public:
  explicit Random(uint64_t seed) : engine_(seed) {}

  // Uniform on [0, 1) with 53 random bits.
  double Uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  // Uniform on (0, 1]: safe for logarithms.
  double UniformPositive() { return 1.0 - Uniform(); }
  // Exponential with the given mean (>= 0), by inversion.
  double Exponential(double mean);
  // Standard normal, by the Box-Muller transform (one of the pair; the other is dropped so that
  // each call consumes exactly two uniforms).
  double Normal();
  // True with probability p.
  bool Bernoulli(double p) { return Uniform() < p; }
  // An index in [0, cumulative.size()) drawn with the weights whose running sums `cumulative`
  // holds (ascending, the last one > 0).
  size_t Pick(const std::vector<double>& cumulative);

 private:
  std::mt19937_64 engine_;
};

enum class DistributionKind : uint8_t { kExponential, kLogNormal, kFixed, kEmpirical };
// "exponential", "lognormal", "fixed", "empirical".
std::string_view DistributionKindName(DistributionKind kind);
// Also accepts "log-normal" and "log_normal"; InvalidArgument `unknown distribution "x"`.
absl::StatusOr<DistributionKind> ParseDistributionKind(std::string_view name);

// A distribution of non-negative durations in seconds.
struct Distribution {
  DistributionKind kind = DistributionKind::kExponential;
  double mean = 0;  // exponential, log-normal, fixed (the value itself)
  double sd = 0;    // log-normal
  // Empirical: draws one of `values` with the weights whose running sums are `cumulative`.
  std::vector<double> values{};
  std::vector<double> cumulative{};

  double Sample(Random& rng) const;
  // The distribution's mean (empirical: weighted mean of the values).
  double Mean() const;
};

}  // namespace omniroute::sim

#endif  // OMNIROUTE_EXAMPLES_SIM_RANDOM_H_
