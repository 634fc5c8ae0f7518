// Records in fixed-size chunks, found by a 32-bit slot number, with freed slots reused: storage for
// tables that index their records from elsewhere (a hash map, heap entries, timers).
//
//   omniroute::Slab<Record> records;
//   uint32_t slot = records.Acquire();  // a default record
//   records[slot].value = 7;
//   records.Release(slot);              // reset; the next Acquire returns this slot
//
// Design. A chunk holds 2^kChunkBits records and never moves once allocated, so records stay put
// as the slab grows (a reference survives `Acquire`) and growth copies nothing. Unlike a doubling
// vector, a slab holds at most one partly used chunk: its spare room is below one chunk, not up to
// the size of the table. Lookup is a shift, a mask and one extra load.
//
// Thread safety: thread-compatible.
#ifndef OMNIROUTE_SLAB_H_
#define OMNIROUTE_SLAB_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace omniroute {

namespace internal {
class StateCodec;  // the engine's state snapshot (src/internal/state_codec.h)
}  // namespace internal

template <typename T, uint32_t kChunkBits = 8>
class Slab {
 public:
  static constexpr uint32_t kChunkRecords = uint32_t{1} << kChunkBits;

  // The slot of a default record: the last one released, else a new one. Amortised O(1).
  uint32_t Acquire() {
    if (!free_.empty()) {
      const uint32_t slot = free_.back();
      free_.pop_back();
      return slot;
    }
    if ((size_ & (kChunkRecords - 1)) == 0) chunks_.emplace_back().reserve(kChunkRecords);
    chunks_.back().emplace_back();
    return size_++;
  }
  // Resets the record (freeing what it holds) for reuse. `slot` must be in use.
  void Release(uint32_t slot) {
    (*this)[slot] = T();
    free_.push_back(slot);
  }
  T& operator[](uint32_t slot) { return chunks_[slot >> kChunkBits][slot & (kChunkRecords - 1)]; }
  const T& operator[](uint32_t slot) const {
    return chunks_[slot >> kChunkBits][slot & (kChunkRecords - 1)];
  }
  // Room in the chunk table for `records` (the chunks themselves are allocated as they fill).
  void Reserve(size_t records) { chunks_.reserve((records + kChunkRecords - 1) / kChunkRecords); }
  // Slots handed out, free ones included.
  uint32_t slots() const { return size_; }
  // Every record, free ones included (those hold nothing), in slot order.
  template <typename F>
  void ForEach(F&& f) const {
    for (const std::vector<T>& chunk : chunks_) {
      for (const T& record : chunk) f(record);
    }
  }
  // Every record in use with its slot, `f(slot, record)`, in slot order. O(slots).
  template <typename F>
  void ForEachInUse(F&& f) const {
    std::vector<bool> released(size_);
    for (const uint32_t slot : free_) released[slot] = true;
    for (uint32_t slot = 0; slot < size_; ++slot) {
      if (!released[slot]) f(slot, (*this)[slot]);
    }
  }
  // Heap bytes of the chunks and the free list, not counting what records hold.
  size_t MemoryBytes() const {
    return chunks_.capacity() * sizeof(std::vector<T>) +
           chunks_.size() * kChunkRecords * sizeof(T) + free_.capacity() * sizeof(uint32_t);
  }

 private:
  friend class internal::StateCodec;

  std::vector<std::vector<T>> chunks_;
  uint32_t size_ = 0;
  std::vector<uint32_t> free_;
};

}  // namespace omniroute

#endif  // OMNIROUTE_SLAB_H_
