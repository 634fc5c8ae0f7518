#include "internal/assignment.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <random>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace omniroute::internal {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

TEST(AssignmentTest, PrefersMorePairsOverCheaperOnes) {
  // Left 0 may take right 0 (cheap) or 1; left 1 only right 0. Greedy by cost would pair 0-0 and
  // leave left 1 alone.
  EXPECT_THAT(MinCostMaximumMatching(2, 2, {{0, 0, 1}, {0, 1, 100}, {1, 0, 5}}),
              ElementsAre(Pair(0, 1), Pair(1, 0)));
}

TEST(AssignmentTest, CheapestAmongLargest) {
  EXPECT_THAT(MinCostMaximumMatching(2, 2, {{0, 0, 1}, {0, 1, 2}, {1, 0, 2}, {1, 1, 10}}),
              ElementsAre(Pair(0, 1), Pair(1, 0)));
  EXPECT_TRUE(MinCostMaximumMatching(3, 0, {}).empty());
}

// Every matching of small random graphs, enumerated: the solver's size is the largest and its cost
// the least among matchings of that size.
TEST(AssignmentTest, AgreesWithExhaustiveSearch) {
  std::mt19937_64 rng(17);
  for (int round = 0; round < 400; ++round) {
    const uint32_t left = std::uniform_int_distribution<uint32_t>(0, 5)(rng);
    const uint32_t right = std::uniform_int_distribution<uint32_t>(0, 5)(rng);
    std::vector<AssignmentEdge> edges;
    std::vector<std::vector<int64_t>> cost(left, std::vector<int64_t>(right, -1));
    for (uint32_t l = 0; l < left; ++l) {
      for (uint32_t r = 0; r < right; ++r) {
        if (std::uniform_int_distribution<int>(0, 2)(rng) == 0) continue;
        cost[l][r] = std::uniform_int_distribution<int64_t>(0, 20)(rng);
        edges.push_back({l, r, cost[l][r]});
      }
    }
    size_t best_size = 0;
    int64_t best_cost = 0;
    std::vector<bool> used(right, false);
    std::function<void(uint32_t, size_t, int64_t)> search = [&](uint32_t l, size_t size,
                                                                int64_t total) {
      if (l == left) {
        if (size > best_size || (size == best_size && total < best_cost)) {
          best_size = size;
          best_cost = total;
        }
        return;
      }
      search(l + 1, size, total);
      for (uint32_t r = 0; r < right; ++r) {
        if (cost[l][r] < 0 || used[r]) continue;
        used[r] = true;
        search(l + 1, size + 1, total + cost[l][r]);
        used[r] = false;
      }
    };
    search(0, 0, 0);
    const auto pairs = MinCostMaximumMatching(left, right, edges);
    int64_t total = 0;
    std::vector<bool> right_used(right, false);
    for (size_t i = 0; i < pairs.size(); ++i) {
      ASSERT_GE(cost[pairs[i].first][pairs[i].second], 0);
      ASSERT_FALSE(right_used[pairs[i].second]);
      right_used[pairs[i].second] = true;
      if (i > 0) {
        ASSERT_LT(pairs[i - 1].first, pairs[i].first);
      }
      total += cost[pairs[i].first][pairs[i].second];
    }
    ASSERT_EQ(pairs.size(), best_size) << "round " << round;
    ASSERT_EQ(total, best_cost) << "round " << round;
  }
}

}  // namespace
}  // namespace omniroute::internal
