#include "internal/assignment.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <queue>

namespace omniroute::internal {
namespace {

constexpr int64_t kUnreached = std::numeric_limits<int64_t>::max();

struct Arc {
  uint32_t to;
  uint32_t reverse;  // index of the opposite arc in `to`'s list
  int32_t capacity;
  int64_t cost;
};

}  // namespace

std::vector<std::pair<uint32_t, uint32_t>> MinCostMaximumMatching(
    uint32_t left_count, uint32_t right_count, const std::vector<AssignmentEdge>& edges) {
  const uint32_t source = 0;
  const uint32_t sink = left_count + right_count + 1;
  const uint32_t nodes = sink + 1;
  std::vector<std::vector<Arc>> graph(nodes);
  const auto add_arc = [&graph](uint32_t from, uint32_t to, int64_t cost) {
    graph[from].push_back(Arc{to, static_cast<uint32_t>(graph[to].size()), 1, cost});
    graph[to].push_back(Arc{from, static_cast<uint32_t>(graph[from].size() - 1), 0, -cost});
  };
  for (uint32_t l = 0; l < left_count; ++l) add_arc(source, 1 + l, 0);
  for (const AssignmentEdge& e : edges) add_arc(1 + e.left, 1 + left_count + e.right, e.cost);
  for (uint32_t r = 0; r < right_count; ++r) add_arc(1 + left_count + r, sink, 0);

  // Costs are non-negative, so zero potentials are feasible at the start.
  std::vector<int64_t> potential(nodes, 0);
  std::vector<int64_t> distance(nodes);
  std::vector<std::pair<uint32_t, uint32_t>> parent(nodes);  // (node, arc index)
  using Entry = std::pair<int64_t, uint32_t>;
  while (true) {
    std::fill(distance.begin(), distance.end(), kUnreached);
    distance[source] = 0;
    std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> frontier;
    frontier.push({0, source});
    while (!frontier.empty()) {
      const auto [d, node] = frontier.top();
      frontier.pop();
      if (d != distance[node]) continue;
      for (uint32_t a = 0; a < graph[node].size(); ++a) {
        const Arc& arc = graph[node][a];
        if (arc.capacity == 0) continue;
        const int64_t next = d + arc.cost + potential[node] - potential[arc.to];
        if (next < distance[arc.to]) {
          distance[arc.to] = next;
          parent[arc.to] = {node, a};
          frontier.push({next, arc.to});
        }
      }
    }
    if (distance[sink] == kUnreached) break;
    for (uint32_t n = 0; n < nodes; ++n) {
      if (distance[n] != kUnreached) potential[n] += distance[n];
    }
    for (uint32_t node = sink; node != source;) {
      const auto [from, a] = parent[node];
      Arc& arc = graph[from][a];
      --arc.capacity;
      ++graph[node][arc.reverse].capacity;
      node = from;
    }
  }

  std::vector<std::pair<uint32_t, uint32_t>> pairs;
  for (uint32_t l = 0; l < left_count; ++l) {
    for (const Arc& arc : graph[1 + l]) {
      if (arc.to > left_count && arc.to < sink && arc.capacity == 0 && arc.cost >= 0) {
        pairs.emplace_back(l, arc.to - 1 - left_count);
      }
    }
  }
  return pairs;
}

}  // namespace omniroute::internal
