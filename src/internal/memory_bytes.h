// Estimates of heap bytes held by standard and Abseil containers, for the MemoryBytes() figures.
#ifndef OMNIROUTE_SRC_INTERNAL_MEMORY_BYTES_H_
#define OMNIROUTE_SRC_INTERNAL_MEMORY_BYTES_H_

#include <cstddef>
#include <string>
#include <vector>

namespace omniroute::internal {

// A string's heap buffer; none while it fits the inline one.
inline size_t HeapBytes(const std::string& s) {
  return s.capacity() > std::string().capacity() ? s.capacity() + 1 : 0;
}

template <typename T>
size_t HeapBytes(const std::vector<T>& v) {
  return v.capacity() * sizeof(T);
}

// An open-addressing Abseil table storing its values in place: a value and a control byte per
// slot of capacity.
template <typename FlatTable>
size_t FlatTableBytes(const FlatTable& table) {
  return table.capacity() * (sizeof(typename FlatTable::value_type) + 1);
}

}  // namespace omniroute::internal

#endif  // OMNIROUTE_SRC_INTERNAL_MEMORY_BYTES_H_
