#include "omniroute/indexed_heap.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace omniroute {
namespace {

using ::testing::ElementsAre;

template <typename Heap>
std::vector<int64_t> Drain(Heap& heap) {
  std::vector<int64_t> out;
  while (!heap.empty()) out.push_back(heap.Pop());
  return out;
}

TEST(IndexedHeapTest, PopsInAscendingOrder) {
  IndexedHeap<int64_t> heap;
  for (int64_t v : {5, 3, 9, 1, 7, 3}) heap.Push(v);
  EXPECT_EQ(heap.size(), 6u);
  EXPECT_EQ(heap.Top(), 1);
  EXPECT_THAT(Drain(heap), ElementsAre(1, 3, 3, 5, 7, 9));
  EXPECT_TRUE(heap.empty());
}

TEST(IndexedHeapTest, UpdateMovesBothWays) {
  IndexedHeap<int64_t> heap;
  HeapHandle a = heap.Push(10);
  HeapHandle b = heap.Push(20);
  HeapHandle c = heap.Push(30);
  EXPECT_TRUE(heap.Update(c, 5));
  EXPECT_EQ(heap.Top(), 5);
  EXPECT_EQ(heap.TopHandle(), c);
  EXPECT_TRUE(heap.Update(c, 40));
  EXPECT_EQ(heap.TopHandle(), a);
  EXPECT_EQ(*heap.Find(b), 20);
  EXPECT_EQ(*heap.Find(c), 40);
  EXPECT_THAT(Drain(heap), ElementsAre(10, 20, 40));
}

TEST(IndexedHeapTest, StaleHandlesAreRefusedAndNeverNameANewcomer) {
  IndexedHeap<int64_t> heap;
  HeapHandle a = heap.Push(1);
  HeapHandle b = heap.Push(2);
  EXPECT_TRUE(heap.Erase(a));
  EXPECT_FALSE(heap.Erase(a));
  EXPECT_FALSE(heap.Contains(a));
  EXPECT_EQ(heap.Find(a), nullptr);
  EXPECT_FALSE(heap.Update(a, 0));
  // The freed slot is reused; the old handle still names nothing.
  HeapHandle c = heap.Push(3);
  EXPECT_FALSE(heap.Contains(a));
  EXPECT_TRUE(heap.Contains(c));
  EXPECT_NE(a, c);
  EXPECT_EQ(heap.Pop(), 2);
  EXPECT_FALSE(heap.Contains(b));
  EXPECT_FALSE(heap.Erase(HeapHandle()));
  EXPECT_EQ(heap.size(), 1u);
}

TEST(IndexedHeapTest, ClearMakesEveryHandleStale) {
  IndexedHeap<int64_t> heap;
  std::vector<HeapHandle> handles;
  for (int i = 0; i < 10; ++i) handles.push_back(heap.Push(i));
  heap.Clear();
  EXPECT_TRUE(heap.empty());
  for (HeapHandle h : handles) EXPECT_FALSE(heap.Contains(h));
  HeapHandle fresh = heap.Push(4);
  EXPECT_TRUE(heap.Contains(fresh));
  EXPECT_EQ(heap.Top(), 4);
}

TEST(IndexedHeapTest, CustomOrderMakesAMaxHeap) {
  IndexedHeap<int64_t, std::greater<int64_t>> heap;
  for (int64_t v : {4, 8, 1}) heap.Push(v);
  EXPECT_THAT(Drain(heap), ElementsAre(8, 4, 1));
}

TEST(IndexedHeapTest, MemoryIsBoundedUnderChurn) {
  IndexedHeap<int64_t> heap;
  std::vector<HeapHandle> live;
  for (int i = 0; i < 1000; ++i) live.push_back(heap.Push(i));
  const size_t before = heap.MemoryBytes();
  for (int round = 0; round < 100000; ++round) {
    const size_t k = static_cast<size_t>(round * 7919) % live.size();
    ASSERT_TRUE(heap.Erase(live[k]));
    live[k] = heap.Push(round);
  }
  EXPECT_EQ(heap.size(), 1000u);
  EXPECT_EQ(heap.MemoryBytes(), before);
  EXPECT_GE(heap.MemoryBytes(), 1000 * decltype(heap)::kBytesPerElement);
}

// Random push / pop / update / erase against a std::multimap reference, for several arities.
template <int Arity>
void RunAgainstReference(uint64_t seed) {
  IndexedHeap<std::pair<int64_t, int>, std::less<std::pair<int64_t, int>>, Arity> heap;
  std::map<int, std::pair<HeapHandle, int64_t>> live;  // element id -> handle, key
  std::mt19937_64 rng(seed);
  int next_id = 0;
  for (int step = 0; step < 20000; ++step) {
    const int op = std::uniform_int_distribution<int>(0, 9)(rng);
    const int64_t key = std::uniform_int_distribution<int64_t>(0, 200)(rng);
    if (op < 4 || live.empty()) {
      const int id = next_id++;
      live[id] = {heap.Push({key, id}), key};
    } else if (op < 6) {
      const auto expected = std::min_element(live.begin(), live.end(), [](auto& a, auto& b) {
        return std::make_pair(a.second.second, a.first) < std::make_pair(b.second.second, b.first);
      });
      ASSERT_EQ(heap.TopHandle(), expected->second.first);
      const auto popped = heap.Pop();
      ASSERT_EQ(popped, std::make_pair(expected->second.second, expected->first));
      live.erase(expected);
    } else {
      auto it = live.begin();
      std::advance(it, std::uniform_int_distribution<size_t>(0, live.size() - 1)(rng));
      if (op < 8) {
        ASSERT_TRUE(heap.Update(it->second.first, {key, it->first}));
        it->second.second = key;
      } else {
        const HeapHandle gone = it->second.first;
        ASSERT_TRUE(heap.Erase(gone));
        ASSERT_FALSE(heap.Erase(gone));
        live.erase(it);
      }
    }
    ASSERT_EQ(heap.size(), live.size());
    for (const auto& [id, entry] : live) {
      const auto* value = heap.Find(entry.first);
      ASSERT_NE(value, nullptr);
      ASSERT_EQ(*value, std::make_pair(entry.second, id));
    }
  }
  std::vector<std::pair<int64_t, int>> expected;
  for (const auto& [id, entry] : live) expected.push_back({entry.second, id});
  std::sort(expected.begin(), expected.end());
  std::vector<std::pair<int64_t, int>> drained;
  while (!heap.empty()) drained.push_back(heap.Pop());
  EXPECT_EQ(drained, expected);
}

TEST(IndexedHeapTest, RandomOperationsMatchAReferenceBinary) { RunAgainstReference<2>(1); }
TEST(IndexedHeapTest, RandomOperationsMatchAReferenceQuaternary) { RunAgainstReference<4>(2); }
TEST(IndexedHeapTest, RandomOperationsMatchAReferenceOctonary) { RunAgainstReference<8>(3); }
TEST(IndexedHeapTest, RandomOperationsMatchAReferenceTernary) { RunAgainstReference<3>(4); }

}  // namespace
}  // namespace omniroute
