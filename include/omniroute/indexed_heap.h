// An indexed d-ary min-heap with stable handles: push, pop, change key and erase by handle, all
// O(log n), with no lazy-deletion garbage.
//
//   omniroute::IndexedHeap<int64_t> heap;
//   omniroute::HeapHandle a = heap.Push(30);
//   omniroute::HeapHandle b = heap.Push(10);
//   heap.Update(a, 5);        // a is now the top
//   heap.Erase(b);            // true; b is no longer in the heap
//   heap.Top();               // 5
//
// Design. Values live inline in one array in heap order, each with the index of its handle slot,
// so sifting compares adjacent memory and never chases pointers; a second array maps handle slots
// to heap positions (updated on every move). An erased element's slot is reused at once with its
// generation advanced, so a handle to an erased element is recognised as stale instead of naming a
// newcomer. Memory per element: `kBytesPerElement` (the value, two 32-bit indexes and a 32-bit
// generation), plus vector slack.
//
// Arity: 8 by default, chosen by measurement (benchmarks/work_queue_benchmark.cc compares 2, 4 and
// 8): the tree is a third as deep as a binary heap's, which pays off most in change-key and erase
// on large heaps, where each level is a cache miss; scanning 8 adjacent children costs less than
// the levels saved. Binary heaps win only below about 10^4 elements.
//
// Thread safety: thread-compatible (const methods may run concurrently; mutations need external
// synchronisation).
#ifndef OMNIROUTE_INDEXED_HEAP_H_
#define OMNIROUTE_INDEXED_HEAP_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <utility>
#include <vector>

namespace omniroute {

namespace internal {
class StateCodec;  // the engine's state snapshot (src/internal/state_codec.h)
}  // namespace internal

// Names one element of an `IndexedHeap`. Stays harmless after the element left the heap: the heap
// then reports it as absent. A default-constructed handle names nothing. A handle is only
// meaningful to the heap that issued it.
class HeapHandle {
 public:
  constexpr HeapHandle() = default;

  constexpr bool valid() const { return generation_ != 0; }

  friend constexpr bool operator==(HeapHandle, HeapHandle) = default;
  template <typename H>
  friend H AbslHashValue(H h, HeapHandle handle) {
    return H::combine(std::move(h), handle.slot_, handle.generation_);
  }

 private:
  template <typename, typename, int>
  friend class IndexedHeap;
  friend class internal::StateCodec;
  constexpr HeapHandle(uint32_t slot, uint32_t generation) : slot_(slot), generation_(generation) {}
  uint32_t slot_ = 0;
  uint32_t generation_ = 0;
};

// A min-heap of `T` ordered by `Less` (a strict weak order), `Arity` children per node. The top is
// a least element; among equal elements which one is on top is unspecified, so callers that need
// ties broken (e.g. by arrival) put the tie-breaker into `T`. At most 2^32 - 2 elements.
template <typename T, typename Less = std::less<T>, int Arity = 8>
class IndexedHeap {
  static_assert(Arity >= 2, "a heap node needs at least two children");

  struct Entry {
    T value;
    uint32_t slot;
  };
  // A live slot has an odd generation and holds its element's heap position; a free slot has an
  // even generation and holds the next free slot.
  struct Slot {
    uint32_t position_or_next;
    uint32_t generation;
  };

 public:
  static constexpr size_t kBytesPerElement = sizeof(Entry) + sizeof(Slot);

  explicit IndexedHeap(Less less = Less()) : less_(std::move(less)) {}

  // Adds `value`. O(log n).
  HeapHandle Push(T value) {
    uint32_t slot;
    if (free_ != kNone) {
      slot = free_;
      free_ = slots_[slot].position_or_next;
    } else {
      slot = static_cast<uint32_t>(slots_.size());
      slots_.push_back(Slot{0, 0});
    }
    const uint32_t generation = ++slots_[slot].generation;
    heap_.push_back(Entry{std::move(value), slot});
    SiftUp(heap_.size() - 1);
    return HeapHandle(slot, generation);
  }

  // A least element. Requires !empty(). O(1).
  const T& Top() const { return heap_.front().value; }
  // The handle of `Top()`. Requires !empty(). O(1).
  HeapHandle TopHandle() const {
    const uint32_t slot = heap_.front().slot;
    return HeapHandle(slot, slots_[slot].generation);
  }

  // Removes `Top()` and returns it. Requires !empty(). O(log n).
  T Pop() {
    T top = std::move(heap_.front().value);
    Release(heap_.front().slot);
    RemoveAt(0);
    return top;
  }

  // Removes the element `handle` names. Returns false, changing nothing, when it names none (never
  // issued, or already popped or erased). O(log n).
  bool Erase(HeapHandle handle) {
    if (!Contains(handle)) return false;
    const uint32_t position = slots_[handle.slot_].position_or_next;
    Release(handle.slot_);
    RemoveAt(position);
    return true;
  }

  // Replaces the value `handle` names by `value` (a smaller or larger key) and restores heap
  // order; the handle stays valid. Returns false, changing nothing, when it names no element.
  // O(log n).
  bool Update(HeapHandle handle, T value) {
    if (!Contains(handle)) return false;
    const size_t position = slots_[handle.slot_].position_or_next;
    // Deciding the direction from the parent rather than the old value: most elements are leaves,
    // and a leaf that does not rise is then written without its old value ever being read.
    const bool up = position > 0 && less_(value, heap_[(position - 1) / Arity].value);
    heap_[position].value = std::move(value);
    if (up) {
      SiftUp(position);
    } else if (FirstChild(position) < heap_.size()) {
      SiftDown(position);
    }
    return true;
  }

  // Whether `handle` names an element in the heap. O(1).
  bool Contains(HeapHandle handle) const {
    // Odd: only a live slot's generation, so a handle made up to match a free slot names nothing.
    return (handle.generation_ & 1) != 0 && handle.slot_ < slots_.size() &&
           slots_[handle.slot_].generation == handle.generation_;
  }

  // The value `handle` names; nullptr when it names none. O(1).
  const T* Find(HeapHandle handle) const {
    return Contains(handle) ? &heap_[slots_[handle.slot_].position_or_next].value : nullptr;
  }

  size_t size() const { return heap_.size(); }
  bool empty() const { return heap_.empty(); }

  static constexpr int kArity = Arity;
  // The value at heap position `position` (< size()): position 0 is the top, and the children of
  // position p are at FirstChild(p) .. FirstChild(p) + Arity - 1, each no less than p's value.
  // For walks in key order (e.g. the best element passing a filter) and sampling.
  const T& ValueAt(size_t position) const { return heap_[position].value; }
  static constexpr size_t FirstChild(size_t position) { return position * Arity + 1; }

  // Every value, in unspecified (heap) order.
  template <typename Visit>
  void ForEach(Visit&& visit) const {
    for (const Entry& entry : heap_) visit(entry.value);
  }

  // Removes every element; every handle becomes stale. O(n).
  void Clear() {
    for (const Entry& entry : heap_) Release(entry.slot);
    heap_.clear();
  }

  void Reserve(size_t n) {
    heap_.reserve(n);
    slots_.reserve(n);
  }

  // Bytes held (both arrays' capacity), for memory reports.
  size_t MemoryBytes() const {
    return sizeof(*this) + heap_.capacity() * sizeof(Entry) + slots_.capacity() * sizeof(Slot);
  }

  // Writes the heap's whole state (elements in heap order, handle slots, the free list) to `out`,
  // so that `LoadState` rebuilds a heap that pops, updates and hands out handles exactly as this
  // one would. `out` offers the little-endian writer's Var (unsigned); `save(out, value)` writes
  // a value. O(n + handle slots).
  template <typename Writer, typename SaveValue>
  void SaveState(Writer& out, SaveValue&& save) const {
    out.Var(slots_.size());
    for (const Slot& slot : slots_) {
      out.Var(slot.position_or_next == kNone ? 0 : uint64_t{slot.position_or_next} + 1);
      out.Var(slot.generation);
    }
    out.Var(free_ == kNone ? 0 : uint64_t{free_} + 1);
    out.Var(heap_.size());
    for (const Entry& entry : heap_) {
      out.Var(entry.slot);
      save(out, entry.value);
    }
  }

  // Replaces this heap's contents with what `SaveState` wrote, reading each value with
  // `load(in, value)` (an absl::Status-like result with ok()). `in` offers the bounds-checked
  // reader's Var and remaining(). Returns false, changing nothing, for truncated or inconsistent
  // input (a slot and its element not naming each other, a broken free list, values out of heap
  // order) or when `load` fails. O(n + handle slots).
  template <typename Reader, typename LoadValue>
  bool LoadState(Reader& in, LoadValue&& load) {
    IndexedHeap loaded(less_);
    if (!loaded.ReadState(in, load)) return false;
    *this = std::move(loaded);
    return true;
  }

 private:
  static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();

  template <typename Reader, typename LoadValue>
  bool ReadState(Reader& in, LoadValue& load) {
    const auto read = [&in](uint64_t& out) {
      auto value = in.Var();
      if (!value.ok()) return false;
      out = *value;
      return true;
    };
    uint64_t slots, free, size;
    // Each slot and element takes at least two bytes: a count beyond the input is corrupt.
    if (!read(slots) || slots >= kNone || slots > in.remaining()) return false;
    slots_.resize(slots);
    for (Slot& slot : slots_) {
      uint64_t link, generation;
      if (!read(link) || !read(generation) || link > kNone || generation > kNone) {
        return false;
      }
      slot = Slot{link == 0 ? kNone : static_cast<uint32_t>(link - 1),
                  static_cast<uint32_t>(generation)};
    }
    if (!read(free) || free > slots || !read(size) || size > slots) return false;
    free_ = free == 0 ? kNone : static_cast<uint32_t>(free - 1);
    heap_.resize(size);
    std::vector<bool> seen(slots_.size());
    for (size_t position = 0; position < heap_.size(); ++position) {
      uint64_t slot;
      if (!read(slot) || slot >= slots_.size() || seen[slot]) return false;
      const Slot& held = slots_[slot];
      if (held.generation % 2 == 0 || held.position_or_next != position) return false;
      seen[slot] = true;
      heap_[position].slot = static_cast<uint32_t>(slot);
      if (!load(in, heap_[position].value).ok()) return false;
      if (position > 0 && less_(heap_[position].value, heap_[(position - 1) / Arity].value)) {
        return false;
      }
    }
    // Every other slot is free, on the free list once.
    size_t free_slots = 0;
    for (uint32_t slot = free_; slot != kNone; slot = slots_[slot].position_or_next) {
      if (slot >= slots_.size() || seen[slot] || slots_[slot].generation % 2 != 0) return false;
      seen[slot] = true;
      ++free_slots;
    }
    return free_slots + heap_.size() == slots_.size();
  }

  void Release(uint32_t slot) {
    ++slots_[slot].generation;
    slots_[slot].position_or_next = free_;
    free_ = slot;
  }

  void Place(size_t position, Entry&& entry) {
    slots_[entry.slot].position_or_next = static_cast<uint32_t>(position);
    heap_[position] = std::move(entry);
  }

  // Fills the hole at `position` with the last element.
  void RemoveAt(size_t position) {
    const size_t last = heap_.size() - 1;
    if (position != last) {
      const bool up = position > 0 && less_(heap_[last].value, heap_[(position - 1) / Arity].value);
      heap_[position] = std::move(heap_[last]);
      heap_.pop_back();
      if (up) {
        SiftUp(position);
      } else {
        SiftDown(position);
      }
    } else {
      heap_.pop_back();
    }
  }

  void SiftUp(size_t position) {
    Entry moving = std::move(heap_[position]);
    while (position > 0) {
      const size_t parent = (position - 1) / Arity;
      if (!less_(moving.value, heap_[parent].value)) break;
      Place(position, std::move(heap_[parent]));
      position = parent;
    }
    Place(position, std::move(moving));
  }

  void SiftDown(size_t position) {
    const size_t n = heap_.size();
    Entry moving = std::move(heap_[position]);
    while (true) {
      const size_t first = position * Arity + 1;
      if (first >= n) break;
      const size_t end = first + Arity < n ? first + Arity : n;
      size_t best = first;
      for (size_t child = first + 1; child < end; ++child) {
        if (less_(heap_[child].value, heap_[best].value)) best = child;
      }
      if (!less_(heap_[best].value, moving.value)) break;
      Place(position, std::move(heap_[best]));
      position = best;
    }
    Place(position, std::move(moving));
  }

  [[no_unique_address]] Less less_;
  std::vector<Entry> heap_;
  std::vector<Slot> slots_;
  uint32_t free_ = kNone;
};

}  // namespace omniroute

#endif  // OMNIROUTE_INDEXED_HEAP_H_
