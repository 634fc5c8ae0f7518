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
#include "internal/byte_codec.h"
#include "internal/state_codec.h"

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

// Saving and loading the state.

using TieHeap = IndexedHeap<int64_t>;

std::string SaveHeap(const TieHeap& heap) {
  internal::ByteWriter out;
  heap.SaveState(out, [](internal::ByteWriter& w, int64_t value) { w.Int(value); });
  return std::string(out.bytes());
}

bool LoadHeap(TieHeap& heap, std::string_view bytes) {
  internal::ByteReader in(bytes);
  const bool loaded = heap.LoadState(in, [](internal::ByteReader& r, int64_t& value) {
    absl::StatusOr<int64_t> read = r.Int();
    if (read.ok()) value = *read;
    return read.status();
  });
  return loaded && in.done();
}

// One random operation, the same on every heap given the same draws; `handles` are those issued.
void HeapStep(TieHeap& heap, std::vector<HeapHandle>& handles, std::vector<int64_t>& popped,
              uint64_t draw, uint64_t amount) {
  const int64_t key = static_cast<int64_t>(amount % 40);  // many ties
  switch (draw % 8) {
    case 0:
    case 1:
    case 2:
      handles.push_back(heap.Push(key));
      break;
    case 3:
      if (!heap.empty()) {
        handles.push_back(heap.TopHandle());
        popped.push_back(heap.Pop());
      }
      break;
    case 4:
    case 5:
      if (!handles.empty()) heap.Update(handles[amount % handles.size()], key);
      break;
    default:
      if (!handles.empty()) heap.Erase(handles[amount % handles.size()]);
  }
}

// A heap loaded from another's state pops the same elements (ties included) through the same
// handles, and hands out the same new handles.
TEST(IndexedHeapStateTest, ALoadedHeapBehavesAsTheOriginal) {
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    SCOPED_TRACE(seed);
    std::mt19937_64 rng(seed);
    TieHeap original;
    std::vector<HeapHandle> handles;
    std::vector<int64_t> popped;
    const uint64_t before = rng() % 4000;
    for (uint64_t i = 0; i < before; ++i) HeapStep(original, handles, popped, rng(), rng());
    const std::string saved = SaveHeap(original);
    TieHeap loaded;
    loaded.Push(99);  // replaced by the load
    ASSERT_TRUE(LoadHeap(loaded, saved));
    EXPECT_EQ(SaveHeap(loaded), saved);
    for (const HeapHandle handle : handles) {
      ASSERT_EQ(loaded.Contains(handle), original.Contains(handle));
    }
    std::vector<HeapHandle> loaded_handles = handles;
    std::vector<int64_t> loaded_popped;
    popped.clear();
    for (int i = 0; i < 4000; ++i) {
      const uint64_t draw = rng();
      const uint64_t amount = rng();
      HeapStep(original, handles, popped, draw, amount);
      HeapStep(loaded, loaded_handles, loaded_popped, draw, amount);
      if (!original.empty()) {
        ASSERT_EQ(loaded.TopHandle(), original.TopHandle()) << i;
      }
    }
    EXPECT_EQ(loaded_handles, handles);
    EXPECT_EQ(loaded_popped, popped);
    EXPECT_EQ(SaveHeap(loaded), SaveHeap(original));
  }
}

// A handle read from a snapshot may name a free slot with that slot's current generation: the
// heap takes it for no element (before, Find read past the heap).
TEST(IndexedHeapStateTest, AHandleMadeUpForAFreeSlotNamesNothing) {
  TieHeap heap;
  const HeapHandle kept = heap.Push(1);
  const HeapHandle erased = heap.Push(2);
  ASSERT_TRUE(heap.Erase(erased));
  internal::ByteWriter saved;
  internal::StateCodec::Save(erased, saved);
  internal::ByteReader parts(saved.bytes());
  const absl::StatusOr<uint64_t> slot = parts.Var();
  const absl::StatusOr<uint64_t> generation = parts.Var();
  ASSERT_TRUE(slot.ok() && generation.ok());
  internal::ByteWriter made_up;
  made_up.Var(*slot);
  made_up.Var(*generation + 1);  // the free slot's generation
  internal::ByteReader in(made_up.bytes());
  HeapHandle forged;
  ASSERT_TRUE(internal::StateCodec::Load(forged, in).ok());
  EXPECT_FALSE(heap.Contains(forged));
  EXPECT_EQ(heap.Find(forged), nullptr);
  EXPECT_FALSE(heap.Erase(forged));
  EXPECT_FALSE(heap.Update(forged, 5));
  ASSERT_TRUE(heap.Contains(kept));
  EXPECT_EQ(heap.size(), 1u);
  const HeapHandle reused = heap.Push(3);
  EXPECT_TRUE(heap.Contains(reused));
  EXPECT_FALSE(heap.Contains(erased));
}

// Every truncation is refused and changes nothing; a corrupt state that loads is a valid heap
// (it pops in order and every handle it reports names its element).
TEST(IndexedHeapStateTest, CorruptStateIsRefusedOrAValidHeap) {
  std::mt19937_64 rng(8);
  TieHeap original;
  std::vector<HeapHandle> handles;
  std::vector<int64_t> popped;
  for (int i = 0; i < 300; ++i) HeapStep(original, handles, popped, rng(), rng());
  ASSERT_FALSE(original.empty());
  const std::string saved = SaveHeap(original);
  TieHeap target;
  target.Push(7);
  const std::string before = SaveHeap(target);
  for (size_t length = 0; length < saved.size(); ++length) {
    ASSERT_FALSE(LoadHeap(target, saved.substr(0, length))) << length;
  }
  EXPECT_EQ(SaveHeap(target), before);
  int refused = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::string corrupt = saved;
    corrupt[rng() % corrupt.size()] ^= static_cast<char>(1 + rng() % 255);
    TieHeap loaded;
    if (!LoadHeap(loaded, corrupt)) {
      ++refused;
      continue;
    }
    for (const HeapHandle handle : handles) {
      if (loaded.Contains(handle)) {
        ASSERT_NE(loaded.Find(handle), nullptr);
      }
    }
    std::vector<int64_t> all = Drain(loaded);
    ASSERT_TRUE(std::is_sorted(all.begin(), all.end()));
    loaded.Push(3);
    ASSERT_EQ(loaded.Pop(), 3);
  }
  EXPECT_GT(refused, 1000);
}

}  // namespace
}  // namespace omniroute
