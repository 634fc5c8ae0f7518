#include "omniroute/quantile_sketch.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace omniroute {
namespace {

// The sample of rank floor(q * (n - 1)) in sorted order: what the sketch promises to approximate.
double ExactQuantile(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  return values[static_cast<size_t>(std::floor(q * static_cast<double>(values.size() - 1)))];
}

void ExpectWithinRelativeError(const QuantileSketch& sketch, const std::vector<double>& values,
                               double alpha) {
  for (double q : {0.0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0}) {
    const double exact = ExactQuantile(values, q);
    EXPECT_NEAR(sketch.Quantile(q), exact, alpha * exact + 1e-12) << "q = " << q;
  }
}

TEST(QuantileSketchTest, EmptySketchReportsZero) {
  const QuantileSketch sketch;
  EXPECT_EQ(sketch.count(), 0u);
  EXPECT_EQ(sketch.Quantile(0.5), 0.0);
  EXPECT_EQ(sketch.mean(), 0.0);
}

TEST(QuantileSketchTest, QuantilesStayWithinTheRelativeAccuracyOnSkewedData) {
  std::mt19937_64 rng(3);
  std::lognormal_distribution<double> handle_time(5.0, 1.5);
  std::exponential_distribution<double> wait(1.0 / 90.0);
  for (double alpha : {0.01, 0.05}) {
    QuantileSketch lognormal(alpha), exponential(alpha);
    std::vector<double> a, b;
    for (int i = 0; i < 50000; ++i) {
      a.push_back(handle_time(rng));
      b.push_back(wait(rng));
      lognormal.Add(a.back());
      exponential.Add(b.back());
    }
    ExpectWithinRelativeError(lognormal, a, alpha);
    ExpectWithinRelativeError(exponential, b, alpha);
    EXPECT_EQ(lognormal.relative_accuracy(), alpha);
  }
}

TEST(QuantileSketchTest, MeanMinMaxAreExactAndZerosAreExact) {
  QuantileSketch sketch;
  for (double v : {0.0, 0.0, 0.0, 2.0, 4.0, -1.0}) sketch.Add(v);
  sketch.Add(std::nan(""));
  EXPECT_EQ(sketch.count(), 6u);
  // Negative values count as zero: four zeros out of six.
  EXPECT_DOUBLE_EQ(sketch.mean(), 1.0);
  EXPECT_EQ(sketch.min(), 0.0);
  EXPECT_EQ(sketch.max(), 4.0);
  EXPECT_EQ(sketch.Quantile(0.5), 0.0);
  EXPECT_NEAR(sketch.Quantile(1.0), 4.0, 0.04);
}

TEST(QuantileSketchTest, MergeEqualsAddingEverything) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> value(1e-3, 1e6);
  QuantileSketch left, right, all;
  std::vector<double> values;
  for (int i = 0; i < 20000; ++i) {
    const double v = std::exp(std::log(value(rng)));
    values.push_back(v);
    (i % 3 == 0 ? left : right).Add(v);
    all.Add(v);
  }
  ASSERT_TRUE(left.Merge(right));
  EXPECT_EQ(left.count(), all.count());
  for (double q : {0.1, 0.5, 0.9, 0.99}) EXPECT_EQ(left.Quantile(q), all.Quantile(q));
  ExpectWithinRelativeError(left, values, 0.01);
  QuantileSketch coarse(0.05);
  EXPECT_FALSE(left.Merge(coarse));
}

TEST(QuantileSketchTest, SpansNanosecondsToYears) {
  QuantileSketch sketch;
  std::vector<double> values;
  for (double v = 1e-9; v < 3e9; v *= 1.7) {
    values.push_back(v);
    sketch.Add(v);
  }
  ExpectWithinRelativeError(sketch, values, 0.01);
}

}  // namespace
}  // namespace omniroute
