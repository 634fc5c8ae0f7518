#include "erlang.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"

namespace omniroute::sim {
namespace {

// Erlang B by its defining sum, a^N/N! / sum_k a^k/k!, in long double: an independent check for
// small N.
double DirectErlangB(int servers, double load) {
  long double term = 1;
  long double sum = 1;
  for (int k = 1; k <= servers; ++k) {
    term *= static_cast<long double>(load) / k;
    sum += term;
  }
  return static_cast<double>(term / sum);
}

// Erlang C by its defining formula: (a^N/N! N/(N-a)) / (sum_{k<N} a^k/k! + a^N/N! N/(N-a)).
double DirectErlangC(int servers, double load) {
  long double term = 1;
  long double below = 0;
  for (int k = 0; k < servers; ++k) {
    below += term;
    term *= static_cast<long double>(load) / (k + 1);
  }
  const long double top = term * servers / (servers - load);
  return static_cast<double>(top / (below + top));
}

TEST(ErlangBTest, SmallCasesByHand) {
  EXPECT_DOUBLE_EQ(ErlangB(1, 1.0), 0.5);           // a / (1 + a)
  EXPECT_DOUBLE_EQ(ErlangB(2, 1.0), 0.2);           // (1/2) / (1 + 1 + 1/2)
  EXPECT_NEAR(ErlangB(3, 2.0), 4.0 / 19.0, 1e-15);  // (8/6) / (1 + 2 + 2 + 8/6)
  EXPECT_DOUBLE_EQ(ErlangB(0, 3.0), 1.0);
  EXPECT_DOUBLE_EQ(ErlangB(5, 0.0), 0.0);
}

// Published Erlang B tables: the traffic N lines carry at 1 % blocking, e.g. erlang.com's
// calculator manual ("15 lines, 1 % blocking: 8.108 Erlangs") and the usual engineering tables
// (10 lines 4.461, 20 lines 12.03, 50 lines 37.90, 100 lines 84.06 Erlangs), rounded as printed.
TEST(ErlangBTest, MatchesPublishedTables) {
  EXPECT_NEAR(ErlangB(15, 8.108), 0.01, 5e-6);
  EXPECT_NEAR(ErlangB(10, 4.461), 0.01, 5e-6);
  EXPECT_NEAR(ErlangB(20, 12.03), 0.01, 2e-5);
  EXPECT_NEAR(ErlangB(50, 37.90), 0.01, 2e-5);
  EXPECT_NEAR(ErlangB(100, 84.06), 0.01, 2e-5);
  EXPECT_NEAR(ErlangB(10, 5.0), 0.01838, 5e-6);
}

TEST(ErlangBTest, AgreesWithTheDefiningSum) {
  for (int servers : {1, 2, 5, 10, 30, 60}) {
    for (double load : {0.1, 1.0, 4.5, 10.0, 25.0, 70.0}) {
      EXPECT_NEAR(ErlangB(servers, load), DirectErlangB(servers, load), 1e-13)
          << servers << " servers, " << load << " Erlangs";
    }
  }
}

TEST(ErlangBTest, StaysFiniteForLargeCentres) {
  // a^N and N! overflow doubles long before this; the recursion does not.
  const double b = ErlangB(20000, 19500.0);
  EXPECT_GT(b, 0.0);
  EXPECT_LT(b, 0.01);
  EXPECT_GT(ErlangB(20000, 19500.0), ErlangB(20000, 19000.0));
  EXPECT_GT(ErlangB(19999, 19500.0), b);
}

TEST(ErlangCTest, SmallCasesByHand) {
  EXPECT_DOUBLE_EQ(ErlangC(1, 0.5), 0.5);  // M/M/1: rho
  EXPECT_DOUBLE_EQ(ErlangC(1, 0.9), 0.9);
  EXPECT_NEAR(ErlangC(2, 1.0), 1.0 / 3.0, 1e-15);
  EXPECT_DOUBLE_EQ(ErlangC(3, 3.0), 1.0);  // unstable
  EXPECT_DOUBLE_EQ(ErlangC(3, 4.0), 1.0);
  EXPECT_DOUBLE_EQ(ErlangC(3, 0.0), 0.0);
}

TEST(ErlangCTest, AgreesWithTheDefiningFormula) {
  for (int servers : {1, 2, 5, 11, 14, 30, 55}) {
    for (double rho : {0.1, 0.5, 0.8, 0.95, 0.99}) {
      const double load = rho * servers;
      EXPECT_NEAR(ErlangC(servers, load), DirectErlangC(servers, load), 1e-12)
          << servers << " servers, " << load << " Erlangs";
    }
  }
}

// The worked example of call-centre planning texts: 100 calls per 30 minutes, 180 s handling
// (10 Erlangs), a 20 s target. With 11 agents 68.21 % wait and 39.0 % are answered in 20 s; with
// 14 agents 17.41 % wait, 88.8 % are answered in 20 s and the ASA is 7.8 s.
TEST(ErlangCTest, MatchesTheWorkedExample) {
  const double lambda = 100.0 / 1800;
  const double mu = 1.0 / 180;
  EXPECT_NEAR(ErlangC(11, 10.0), 0.6821, 5e-5);
  EXPECT_NEAR(ErlangCServiceLevel(11, lambda, mu, 20), 0.390, 5e-4);
  EXPECT_NEAR(ErlangC(14, 10.0), 0.1741, 5e-5);
  EXPECT_NEAR(ErlangCServiceLevel(14, lambda, mu, 20), 0.888, 5e-4);
  EXPECT_NEAR(ErlangCAverageWait(14, lambda, mu), 7.8, 0.05);
}

TEST(ErlangCTest, ServiceLevelAndWaitFormulas) {
  // M/M/1: P(W <= t) = 1 - rho e^{-(mu - lambda) t}, E[W] = rho / (mu - lambda).
  const double lambda = 0.5;
  const double mu = 1.0;
  EXPECT_NEAR(ErlangCServiceLevel(1, lambda, mu, 0), 0.5, 1e-15);
  EXPECT_NEAR(ErlangCServiceLevel(1, lambda, mu, 2), 1 - 0.5 * std::exp(-1.0), 1e-15);
  EXPECT_NEAR(ErlangCAverageWait(1, lambda, mu), 1.0, 1e-15);
  EXPECT_EQ(ErlangCServiceLevel(2, 2.0, 1.0, 10), 0.0);
  EXPECT_EQ(ErlangCAverageWait(2, 2.0, 1.0), std::numeric_limits<double>::infinity());
}

TEST(ErlangCTest, StaysFiniteForLargeCentres) {
  const double c = ErlangC(5000, 4900.0);
  EXPECT_GT(c, 0.0);
  EXPECT_LT(c, 1.0);
  EXPECT_GT(ErlangC(5000, 4950.0), c);
}

// Poisson(a) probabilities, P(n >= servers) and E[(n - servers)+], for the theta = mu case.
struct PoissonTail {
  double at_least = 0;
  double excess = 0;
};
PoissonTail Poisson(double load, int servers) {
  PoissonTail tail;
  double p = std::exp(-load);
  for (int n = 0; n < 2000; ++n) {
    if (n >= servers) {
      tail.at_least += p;
      tail.excess += (n - servers) * p;
    }
    p *= load / (n + 1);
  }
  return tail;
}

TEST(ErlangATest, EqualPatienceAndServiceRatesGiveAnInfiniteServerQueue) {
  // With theta = mu every customer present leaves at rate mu, served or not: the number present
  // is Poisson(a) as in M/M/infinity.
  for (int servers : {1, 5, 20}) {
    for (double load : {0.5, 4.0, 18.0, 25.0}) {
      const ErlangAResult a = ErlangA(servers, load, 1.0, 1.0);
      const PoissonTail tail = Poisson(load, servers);
      EXPECT_NEAR(a.p_wait, tail.at_least, 1e-12) << servers << " " << load;
      EXPECT_NEAR(a.mean_queue_length, tail.excess, 1e-10) << servers << " " << load;
      EXPECT_NEAR(a.p_abandon, tail.excess / load, 1e-10) << servers << " " << load;
    }
  }
}

TEST(ErlangATest, VeryPatientCustomersGiveErlangC) {
  for (int servers : {1, 3, 10, 40}) {
    const double load = 0.8 * servers;
    const ErlangAResult a = ErlangA(servers, load, 1.0, 1e-9);
    EXPECT_NEAR(a.p_wait, ErlangC(servers, load), 1e-6);
    EXPECT_NEAR(a.mean_queue_time, ErlangCAverageWait(servers, load, 1.0), 1e-4);
    EXPECT_NEAR(a.occupancy, 0.8, 1e-6);
    EXPECT_LT(a.p_abandon, 1e-8);
  }
}

TEST(ErlangATest, ConservesFlow) {
  // Served throughput = arrivals that do not abandon: N occupancy mu = lambda (1 - P(ab)).
  for (double load : {5.0, 10.0, 15.0}) {
    const ErlangAResult a = ErlangA(10, load / 300, 1.0 / 300, 1.0 / 120);
    EXPECT_NEAR(10 * a.occupancy / 300, load / 300 * (1 - a.p_abandon), 1e-12);
    EXPECT_GT(a.p_abandon, 0.0);
    EXPECT_LT(a.p_abandon, 1.0);
  }
  // Overload is stable: a third of the offered load cannot be served.
  const ErlangAResult over = ErlangA(100, 150.0, 1.0, 1.0 / 3);
  EXPECT_NEAR(over.p_abandon, 1.0 / 3, 0.02);
}

TEST(ErlangATest, StaysFiniteForLargeCentres) {
  const ErlangAResult a = ErlangA(5000, 5100.0 / 300, 1.0 / 300, 1.0 / 200);
  EXPECT_TRUE(std::isfinite(a.p_abandon));
  EXPECT_GT(a.p_wait, 0.5);
  EXPECT_GT(a.p_abandon, 0.0);
  EXPECT_LT(a.p_abandon, 0.1);
}

}  // namespace
}  // namespace omniroute::sim
