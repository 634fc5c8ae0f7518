// Joint assignment: a minimum-cost matching of largest size in a bipartite graph.
#ifndef OMNIROUTE_SRC_INTERNAL_ASSIGNMENT_H_
#define OMNIROUTE_SRC_INTERNAL_ASSIGNMENT_H_

#include <cstdint>
#include <utility>
#include <vector>

namespace omniroute::internal {

// An allowed pair: left node `left` may be matched with right node `right` at `cost` (>= 0).
struct AssignmentEdge {
  uint32_t left;
  uint32_t right;
  int64_t cost;
};

// Among the matchings with the most pairs, one of least total cost, as (left, right) pairs sorted
// by left. Successive shortest augmenting paths with Dijkstra and node potentials: each
// augmentation adds one pair and keeps the matching cheapest for its size. O(pairs × E log V).
// Deterministic: ties are broken by node and edge order.
std::vector<std::pair<uint32_t, uint32_t>> MinCostMaximumMatching(
    uint32_t left_count, uint32_t right_count, const std::vector<AssignmentEdge>& edges);

}  // namespace omniroute::internal

#endif  // OMNIROUTE_SRC_INTERNAL_ASSIGNMENT_H_
