// The heap under the work queue (`IndexedHeap`) against the usual alternatives, and the work queue
// itself.
//
// Workload. Every heap holds n live elements (n = 10^3 .. 10^6, the argument), prefilled before
// timing with random keys. An element is a 64-bit key and a 64-bit tie-breaking sequence compared
// lexicographically, so the serving order is total and every heap pops the same elements in the
// same order. Keys behave like instants: a pushed key is the last popped key plus a random offset
// below 2^32, so the population stays statistically the same instead of drifting towards keys
// that every push undercuts. Each iteration is one operation of a mix and leaves n unchanged:
// - push_pop: push a key, pop the top.
// - change_key: give a random live element a new key, half the time larger, half smaller.
// - erase: erase a random live element, push a replacement.
// - mixed: 40 % push_pop, 30 % change_key, 30 % erase.
// The random draws (which element, which key, which operation) come from one table precomputed by
// a seeded std::mt19937_64, read in the same order by every heap. items_per_second counts
// iterations; bytes_per_element is the heap's memory at the end of the run over n (ours:
// `MemoryBytes()`; the others: bytes requested through a counting allocator, malloc's per-node
// header left out, which the node-based boost heaps pay on top).
//
// Baselines: std::priority_queue with lazy deletion (a per-element generation marks superseded
// entries dead; pop skips them; the queue is rebuilt once dead entries outnumber live ones),
// boost::heap::d_ary_heap (arity 4, mutable) and boost::heap::pairing_heap. Our heap runs at arity
// 2, 4 and 8, which is how its default arity was chosen.
//
// Goal: our heap within 1.2x of the best boost heap on every mix and ahead of both on erase.
//
// The work queue runs push_pop and erase at the same sizes, ordered by priority_fifo and by
// weighted_aging with no requirement (one class), and by priority_fifo with items spread over 8
// requirement classes; bytes_per_element is `MemoryBytes()` over n.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <queue>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "boost/heap/d_ary_heap.hpp"
#include "boost/heap/pairing_heap.hpp"
#include "omniroute/indexed_heap.h"
#include "omniroute/skills.h"
#include "omniroute/work_queue.h"

namespace {

struct Element {
  uint64_t key;
  uint64_t sequence;

  friend bool operator<(const Element& a, const Element& b) {
    return a.key != b.key ? a.key < b.key : a.sequence < b.sequence;
  }
};

// boost heaps and std::priority_queue put their greatest element on top; under this order that is
// the least element.
struct ServedLater {
  bool operator()(const Element& a, const Element& b) const { return b < a; }
};

// Bytes the baselines hold. The boost heaps default-construct their allocators, so the count
// cannot live in the allocator object.
int64_t allocated_bytes = 0;

template <typename T>
struct CountingAllocator {
  using value_type = T;

  CountingAllocator() = default;
  template <typename U>
  CountingAllocator(const CountingAllocator<U>&) {}

  T* allocate(size_t count) {
    allocated_bytes += static_cast<int64_t>(count * sizeof(T));
    return std::allocator<T>().allocate(count);
  }
  void deallocate(T* p, size_t count) {
    allocated_bytes -= static_cast<int64_t>(count * sizeof(T));
    std::allocator<T>().deallocate(p, count);
  }

  friend bool operator==(const CountingAllocator&, const CountingAllocator&) { return true; }
};

// Elements are numbered by slot: n live slots plus one spare that the next push takes. The
// sequence's low bits carry the slot, so a popped element tells which slot it frees while the
// sequence stays unique and ordered by push.
constexpr int kSlotBits = 21;
constexpr uint64_t kSlotMask = (uint64_t{1} << kSlotBits) - 1;

uint32_t SlotOf(const Element& element) {
  return static_cast<uint32_t>(element.sequence & kSlotMask);
}

const std::vector<uint64_t>& Draws() {
  static const std::vector<uint64_t>* const draws = [] {
    std::mt19937_64 rng(20260410);
    auto* table = new std::vector<uint64_t>(size_t{1} << 22);
    for (uint64_t& draw : *table) draw = rng();
    return table;
  }();
  return *draws;
}

// A uniform pick in [0, bound) from a 64-bit draw, without a division.
uint64_t Scale(uint64_t draw, uint64_t bound) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(draw) * bound) >> 64);
}

template <int Arity>
class Indexed {
 public:
  explicit Indexed(size_t slots) : handles_(slots) {}
  void Push(uint32_t slot, Element element) { handles_[slot] = heap_.Push(element); }
  Element Pop() { return heap_.Pop(); }
  void Change(uint32_t slot, Element element, bool /*smaller*/) {
    heap_.Update(handles_[slot], element);
  }
  void Erase(uint32_t slot) { heap_.Erase(handles_[slot]); }
  int64_t Bytes() const { return static_cast<int64_t>(heap_.MemoryBytes()); }

 private:
  omniroute::IndexedHeap<Element, std::less<Element>, Arity> heap_;
  std::vector<omniroute::HeapHandle> handles_;
};

class LazyStdPq {
 public:
  explicit LazyStdPq(size_t slots) : generation_(slots) {}
  void Push(uint32_t slot, Element element) { queue_.push({element, ++generation_[slot]}); }
  Element Pop() {
    while (!Live(queue_.top())) queue_.pop();
    const Element top = queue_.top().value;
    queue_.pop();
    return top;
  }
  void Change(uint32_t slot, Element element, bool /*smaller*/) {
    queue_.push({element, ++generation_[slot]});
    CompactIfMostlyDead();
  }
  void Erase(uint32_t slot) {
    ++generation_[slot];
    CompactIfMostlyDead();
  }
  int64_t Bytes() const { return allocated_bytes - bytes_before_; }

 private:
  struct Entry {
    Element value;
    uint32_t generation;
  };
  struct EntryServedLater {
    bool operator()(const Entry& a, const Entry& b) const { return b.value < a.value; }
  };
  // Rebuilding without the dead entries needs std::priority_queue's protected container.
  class Queue : public std::priority_queue<Entry, std::vector<Entry, CountingAllocator<Entry>>,
                                           EntryServedLater> {
   public:
    template <typename Dead>
    void RemoveIf(Dead dead) {
      std::erase_if(c, dead);
      std::make_heap(c.begin(), c.end(), comp);
    }
  };

  bool Live(const Entry& entry) const {
    return generation_[SlotOf(entry.value)] == entry.generation;
  }
  // Without pops nothing else ever drops dead entries; rebuilding once they outnumber the live
  // ones costs O(1) amortised per operation.
  void CompactIfMostlyDead() {
    if (queue_.size() <= 2 * generation_.size()) return;
    queue_.RemoveIf([this](const Entry& entry) { return !Live(entry); });
  }

  int64_t bytes_before_ = allocated_bytes;
  Queue queue_;
  std::vector<uint32_t, CountingAllocator<uint32_t>> generation_;
};

template <typename BoostHeap>
class BoostAdapter {
 public:
  explicit BoostAdapter(size_t slots) : handles_(slots) {}
  void Push(uint32_t slot, Element element) { handles_[slot] = heap_.push(element); }
  Element Pop() {
    const Element top = heap_.top();
    heap_.pop();
    return top;
  }
  // In boost's terms a smaller key is an increase (towards the top).
  void Change(uint32_t slot, Element element, bool smaller) {
    if (smaller) {
      heap_.increase(handles_[slot], element);
    } else {
      heap_.decrease(handles_[slot], element);
    }
  }
  void Erase(uint32_t slot) { heap_.erase(handles_[slot]); }
  int64_t Bytes() const { return allocated_bytes - bytes_before_; }

 private:
  int64_t bytes_before_ = allocated_bytes;
  BoostHeap heap_;
  std::vector<typename BoostHeap::handle_type> handles_;
};

using BoostDary4 = BoostAdapter<boost::heap::d_ary_heap<
    Element, boost::heap::arity<4>, boost::heap::mutable_<true>, boost::heap::compare<ServedLater>,
    boost::heap::allocator<CountingAllocator<Element>>>>;
using BoostPairing =
    BoostAdapter<boost::heap::pairing_heap<Element, boost::heap::compare<ServedLater>,
                                           boost::heap::allocator<CountingAllocator<Element>>>>;

// Runs the mixes on one heap, holding each slot's current element and the last popped key (no
// live key is below it).
template <typename Heap>
class HeapWorkload {
 public:
  explicit HeapWorkload(size_t n)
      : n_(n), spare_(static_cast<uint32_t>(n)), heap_(n + 1), current_(n + 1) {
    std::mt19937_64 rng(n);
    for (uint32_t slot = 0; slot < n; ++slot) PushAt(slot, rng() >> 32);
  }

  void PushPop() {
    PushAt(spare_, floor_ + (Next() >> 32));
    const Element top = heap_.Pop();
    floor_ = top.key;
    spare_ = SlotOf(top);
  }

  void ChangeKey() {
    const uint32_t slot = PickLive();
    const uint64_t draw = Next();
    const bool smaller = (draw & 1) != 0;
    Element& element = current_[slot];
    element.key =
        smaller ? floor_ + Scale(draw, element.key - floor_) : element.key + 1 + (draw >> 32);
    heap_.Change(slot, element, smaller);
  }

  void EraseReplace() {
    const uint32_t slot = PickLive();
    heap_.Erase(slot);
    PushAt(slot, floor_ + (Next() >> 32));
  }

  void Mixed() {
    const uint64_t choice = Scale(Next(), 10);
    if (choice < 4) {
      PushPop();
    } else if (choice < 7) {
      ChangeKey();
    } else {
      EraseReplace();
    }
  }

  const Heap& heap() const { return heap_; }

 private:
  uint64_t Next() { return draws_[cursor_++ & (draws_.size() - 1)]; }

  // A uniform live slot: [0, n) mapped onto every slot but the spare.
  uint32_t PickLive() {
    const auto pick = static_cast<uint32_t>(Scale(Next(), n_));
    return pick + (pick >= spare_ ? 1 : 0);
  }

  void PushAt(uint32_t slot, uint64_t key) {
    current_[slot] = Element{key, (next_sequence_++ << kSlotBits) | slot};
    heap_.Push(slot, current_[slot]);
  }

  const std::vector<uint64_t>& draws_ = Draws();
  size_t cursor_ = 0;
  size_t n_;
  uint32_t spare_;
  uint64_t floor_ = 0;
  uint64_t next_sequence_ = 0;
  Heap heap_;
  std::vector<Element> current_;
};

template <typename Heap, void (HeapWorkload<Heap>::*kOperation)()>
void RunHeap(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  HeapWorkload<Heap> workload(n);
  for (auto _ : state) (workload.*kOperation)();
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes_per_element"] =
      static_cast<double>(workload.heap().Bytes()) / static_cast<double>(n);
}

template <typename Heap>
void BM_PushPop(benchmark::State& state) {
  RunHeap<Heap, &HeapWorkload<Heap>::PushPop>(state);
}
template <typename Heap>
void BM_ChangeKey(benchmark::State& state) {
  RunHeap<Heap, &HeapWorkload<Heap>::ChangeKey>(state);
}
template <typename Heap>
void BM_Erase(benchmark::State& state) {
  RunHeap<Heap, &HeapWorkload<Heap>::EraseReplace>(state);
}
template <typename Heap>
void BM_Mixed(benchmark::State& state) {
  RunHeap<Heap, &HeapWorkload<Heap>::Mixed>(state);
}

// The minimum over repetitions is the statistic least disturbed by other jobs on a shared machine.
double Min(const std::vector<double>& values) {
  return *std::min_element(values.begin(), values.end());
}

void Sizes(benchmark::internal::Benchmark* benchmark) {
  benchmark->RangeMultiplier(10)->Range(1000, 1000000)->ComputeStatistics("min", Min);
}

#define HEAP_BENCHMARKS(Heap)                           \
  BENCHMARK_TEMPLATE(BM_PushPop, Heap)->Apply(Sizes);   \
  BENCHMARK_TEMPLATE(BM_ChangeKey, Heap)->Apply(Sizes); \
  BENCHMARK_TEMPLATE(BM_Erase, Heap)->Apply(Sizes);     \
  BENCHMARK_TEMPLATE(BM_Mixed, Heap)->Apply(Sizes)

HEAP_BENCHMARKS(Indexed<2>);
HEAP_BENCHMARKS(Indexed<4>);
HEAP_BENCHMARKS(Indexed<8>);
HEAP_BENCHMARKS(LazyStdPq);
HEAP_BENCHMARKS(BoostDary4);
HEAP_BENCHMARKS(BoostPairing);

void Die(const absl::Status& status) {
  std::fprintf(stderr, "work queue benchmark: %s\n", std::string(status.message()).c_str());
  std::abort();
}

constexpr int kRequirementClasses = 8;

// Eight small requirements, each a must-have skill of its own plus one of four shared ones.
const std::vector<std::shared_ptr<const omniroute::RequirementPlan>>& Plans() {
  static const auto* const plans = [] {
    omniroute::SkillCatalog catalog;
    for (int i = 0; i < 2 * kRequirementClasses; ++i) {
      if (absl::Status s = catalog.Add("skill_" + std::to_string(i)).status(); !s.ok()) Die(s);
    }
    auto* made = new std::vector<std::shared_ptr<const omniroute::RequirementPlan>>();
    for (int k = 0; k < kRequirementClasses; ++k) {
      omniroute::RequirementSpec spec;
      spec.must.push_back({static_cast<omniroute::SkillId>(k), 3, {}});
      spec.must.push_back({static_cast<omniroute::SkillId>(kRequirementClasses + k % 4), 2, {}});
      absl::StatusOr<omniroute::RequirementPlan> plan =
          omniroute::RequirementPlan::Create(spec, catalog);
      if (!plan.ok()) Die(plan.status());
      made->push_back(std::make_shared<const omniroute::RequirementPlan>(*std::move(plan)));
    }
    return made;
  }();
  return *plans;
}

// Items arrive at the queue's clock less a jitter below 10 s; the clock moves 1 ms per iteration,
// in steps of kClockStep iterations. The prefilled items arrived over the hour before the start.
constexpr int kClockStep = 256;
constexpr uint64_t kJitterNanos = 10'000'000'000;
constexpr uint64_t kPrefillSpreadNanos = 3'600'000'000'000;

class QueueWorkload {
 public:
  QueueWorkload(size_t n, omniroute::QueueOrder order, bool with_requirements)
      : n_(n),
        spare_(static_cast<uint32_t>(n)),
        ids_(n + 1),
        with_requirements_(with_requirements) {
    omniroute::WorkQueueOptions options;
    options.order = order;
    absl::StatusOr<omniroute::WorkQueue> queue = omniroute::WorkQueue::Create(options, now_);
    if (!queue.ok()) Die(queue.status());
    queue_ = std::make_unique<omniroute::WorkQueue>(*std::move(queue));
    std::mt19937_64 rng(n);
    for (uint32_t slot = 0; slot < n; ++slot) {
      PushAt(slot, rng(), now_ - absl::Nanoseconds(Scale(rng(), kPrefillSpreadNanos)));
    }
  }

  void PushPop() {
    Tick();
    const uint64_t draw = Next();
    PushAt(spare_, draw, now_ - absl::Nanoseconds(Scale(draw, kJitterNanos)));
    absl::StatusOr<omniroute::WorkItemId> top = queue_->Pop();
    if (!top.ok()) Die(top.status());
    spare_ = static_cast<uint32_t>(*top & kSlotMask);
  }

  void EraseReplace() {
    Tick();
    const auto pick = static_cast<uint32_t>(Scale(Next(), n_));
    const uint32_t slot = pick + (pick >= spare_ ? 1 : 0);
    if (absl::Status s = queue_->Erase(ids_[slot]); !s.ok()) Die(s);
    const uint64_t draw = Next();
    PushAt(slot, draw, now_ - absl::Nanoseconds(Scale(draw, kJitterNanos)));
  }

  const omniroute::WorkQueue& queue() const { return *queue_; }

 private:
  uint64_t Next() { return draws_[cursor_++ & (draws_.size() - 1)]; }

  void Tick() {
    if (++iterations_ % kClockStep != 0) return;
    now_ += absl::Milliseconds(kClockStep);
    if (absl::Status s = queue_->AdvanceTo(now_); !s.ok()) Die(s);
  }

  // The draw picks the priority (its high bits) and the requirement class (bits 40-42).
  void PushAt(uint32_t slot, uint64_t draw, absl::Time arrival) {
    ids_[slot] = (next_id_++ << kSlotBits) | slot;
    omniroute::QueuedItem item{.priority = static_cast<int>(Scale(draw, 3)), .arrival = arrival};
    if (with_requirements_) item.requirement = Plans()[(draw >> 40) % kRequirementClasses];
    if (absl::Status s = queue_->Push(ids_[slot], std::move(item)); !s.ok()) Die(s);
  }

  const std::vector<uint64_t>& draws_ = Draws();
  size_t cursor_ = 0;
  size_t n_;
  uint32_t spare_;
  std::vector<omniroute::WorkItemId> ids_;
  bool with_requirements_;
  uint64_t next_id_ = 0;
  uint64_t iterations_ = 0;
  absl::Time now_ = absl::FromUnixSeconds(1'775'000'000);
  std::unique_ptr<omniroute::WorkQueue> queue_;
};

template <omniroute::QueueOrder kOrder, bool kWithRequirements, void (QueueWorkload::*kOperation)()>
void RunQueue(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  QueueWorkload workload(n, kOrder, kWithRequirements);
  for (auto _ : state) (workload.*kOperation)();
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes_per_element"] = static_cast<double>(workload.queue().MemoryBytes()) /
                                        static_cast<double>(workload.queue().size());
}

void BM_WorkQueue_PushPop_PriorityFifo(benchmark::State& state) {
  RunQueue<omniroute::QueueOrder::kPriorityFifo, false, &QueueWorkload::PushPop>(state);
}
void BM_WorkQueue_Erase_PriorityFifo(benchmark::State& state) {
  RunQueue<omniroute::QueueOrder::kPriorityFifo, false, &QueueWorkload::EraseReplace>(state);
}
void BM_WorkQueue_PushPop_WeightedAging(benchmark::State& state) {
  RunQueue<omniroute::QueueOrder::kWeightedAging, false, &QueueWorkload::PushPop>(state);
}
void BM_WorkQueue_Erase_WeightedAging(benchmark::State& state) {
  RunQueue<omniroute::QueueOrder::kWeightedAging, false, &QueueWorkload::EraseReplace>(state);
}
void BM_WorkQueue_PushPop_PriorityFifo_8Classes(benchmark::State& state) {
  RunQueue<omniroute::QueueOrder::kPriorityFifo, true, &QueueWorkload::PushPop>(state);
}
void BM_WorkQueue_Erase_PriorityFifo_8Classes(benchmark::State& state) {
  RunQueue<omniroute::QueueOrder::kPriorityFifo, true, &QueueWorkload::EraseReplace>(state);
}

BENCHMARK(BM_WorkQueue_PushPop_PriorityFifo)->Apply(Sizes);
BENCHMARK(BM_WorkQueue_Erase_PriorityFifo)->Apply(Sizes);
BENCHMARK(BM_WorkQueue_PushPop_WeightedAging)->Apply(Sizes);
BENCHMARK(BM_WorkQueue_Erase_WeightedAging)->Apply(Sizes);
BENCHMARK(BM_WorkQueue_PushPop_PriorityFifo_8Classes)->Apply(Sizes);
BENCHMARK(BM_WorkQueue_Erase_PriorityFifo_8Classes)->Apply(Sizes);

}  // namespace
