// Little-endian binary writing and bounds-checked reading, for journals and snapshots.
#ifndef OMNIROUTE_SRC_INTERNAL_BYTE_CODEC_H_
#define OMNIROUTE_SRC_INTERNAL_BYTE_CODEC_H_

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <string_view>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace omniroute::internal {

// Asks the kernel to back the 2 MiB-aligned pages within [data, data + size) with huge pages
// (where transparent huge pages are enabled on request): a snapshot or journal of tens of megabytes
// then costs tens of page faults instead of thousands. Smaller buffers are left alone.
inline void AdviseHugePages([[maybe_unused]] void* data, [[maybe_unused]] size_t size) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr uintptr_t kHugePage = uintptr_t{2} << 20;
  if (size < 4 * kHugePage) return;
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(data) + kHugePage - 1) & ~(kHugePage - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(data) + size) & ~(kHugePage - 1);
  if (end > begin) (void)madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#endif
}

// absl::Time and absl::Duration resolve a quarter of a nanosecond.
inline const absl::Duration kQuarterNanosecond = absl::Nanoseconds(1) / 4;

// A stable 64-bit digest across runs and builds, fed eight bytes at a step: a multiply-rotate
// mix per word and a final avalanche (the finaliser of MurmurHash3).
class StableHash {
 public:
  StableHash() = default;
  // Continues the hash whose `state()` this was.
  explicit StableHash(uint64_t state) : state_(state) {}
  void Add(const void* data, size_t size) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    for (; size >= 8; bytes += 8, size -= 8) Word(LoadLittleEndian(bytes, 8));
    if (size > 0) Word(LoadLittleEndian(bytes, size) ^ (uint64_t{size} << 56));
  }
  void Add(std::string_view text) {
    AddInt(text.size());
    Add(text.data(), text.size());
  }
  void AddInt(uint64_t value) { Word(value); }
  void AddTime(absl::Time t) { AddInt(static_cast<uint64_t>(absl::ToUnixNanos(t))); }
  // What a snapshot keeps to continue the hash later.
  uint64_t state() const { return state_; }
  uint64_t value() const {
    uint64_t h = state_;
    h = (h ^ (h >> 33)) * 0xff51afd7ed558ccdull;
    h = (h ^ (h >> 33)) * 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
  }

 private:
  static uint64_t LoadLittleEndian(const unsigned char* bytes, size_t count) {
    uint64_t word = 0;
    for (size_t i = 0; i < count; ++i) word |= static_cast<uint64_t>(bytes[i]) << (8 * i);
    return word;
  }
  void Word(uint64_t word) {
    state_ = ((state_ ^ word) * 0x9e3779b97f4a7c15ull);
    state_ = (state_ << 29) | (state_ >> 35);
  }

  uint64_t state_ = 0xcbf29ce484222325ull;
};

// A checksum of `bytes` from sixteen StableHash chains side by side, each over every sixteenth
// 8-byte word, then hashed together with the size: StableHash::Add is one chain of
// multiplications, each waiting for the last, and runs at a fraction of this speed on long
// inputs. Stable across builds and platforms, as StableHash is. O(size).
inline uint64_t WideChecksum(std::string_view bytes) {
  constexpr size_t kLanes = 16;
  std::array<uint64_t, kLanes> lanes;
  for (size_t lane = 0; lane < kLanes; ++lane) lanes[lane] = lane + 1;
  const char* at = bytes.data();
  size_t size = bytes.size();
  for (; size >= 8 * kLanes; at += 8 * kLanes, size -= 8 * kLanes) {
#pragma GCC unroll 16
    for (size_t lane = 0; lane < kLanes; ++lane) {
      uint64_t word;
      std::memcpy(&word, at + 8 * lane, 8);
      if constexpr (std::endian::native == std::endian::big) word = __builtin_bswap64(word);
      StableHash chain(lanes[lane]);
      chain.AddInt(word);
      lanes[lane] = chain.state();
    }
  }
  StableHash tail(lanes[0]);
  tail.Add(at, size);
  lanes[0] = tail.state();
  StableHash out;
  for (const uint64_t lane : lanes) out.AddInt(lane);
  out.AddInt(bytes.size());
  return out.value();
}

class ByteWriter {
 public:
  void U8(uint8_t v) { *Extend(1) = static_cast<char>(v); }
  void U64(uint64_t v) {
    char* out = Extend(8);
    for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(v >> (8 * i));
  }
  void I64(int64_t v) { U64(static_cast<uint64_t>(v)); }
  // Unsigned LEB128.
  void Var(uint64_t v) {
    char bytes[10];
    size_t n = 0;
    while (v >= 0x80) {
      bytes[n++] = static_cast<char>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    bytes[n++] = static_cast<char>(v);
    std::memcpy(Extend(n), bytes, n);
  }
  void Int(int64_t v) { Var((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }
  void Str(std::string_view s) {
    Var(s.size());
    Raw(s);
  }
  // `s` as it is, without its length.
  void Raw(std::string_view s) {
    if (!s.empty()) std::memcpy(Extend(s.size()), s.data(), s.size());
  }
  // Infinite instants and durations are kept as such.
  // Finite values beyond what 64-bit nanoseconds hold (instants outside 1677-2262, durations
  // beyond 292 years) are written as seconds and nanoseconds, so that nothing saturates.
  void Time(absl::Time t) {
    if (t == absl::InfiniteFuture()) {
      U8(1);
    } else if (t == absl::InfinitePast()) {
      U8(2);
    } else if (t < absl::FromUnixNanos(std::numeric_limits<int64_t>::min()) ||
               t > absl::FromUnixNanos(std::numeric_limits<int64_t>::max())) {
      const int64_t seconds = absl::ToUnixSeconds(t);
      U8(3);
      I64(seconds);
      Var(static_cast<uint64_t>(absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(seconds))));
    } else {
      // absl::Time counts quarter nanoseconds: an instant between two nanoseconds keeps its
      // quarters, so that what is read back is the very instant written.
      const int64_t ns = absl::ToUnixNanos(t);
      const absl::Time whole = absl::FromUnixNanos(ns);
      U8(whole == t ? 0 : 4);
      I64(ns);
      if (whole != t) {
        absl::Duration none;
        U8(static_cast<uint8_t>(absl::IDivDuration(t - whole, kQuarterNanosecond, &none)));
      }
    }
  }
  void Duration(absl::Duration d) {
    if (d == absl::InfiniteDuration()) {
      U8(1);
    } else if (d < absl::Nanoseconds(std::numeric_limits<int64_t>::min()) ||
               d > absl::Nanoseconds(std::numeric_limits<int64_t>::max())) {
      const int64_t seconds = absl::ToInt64Seconds(d);
      U8(2);
      I64(seconds);
      Int(absl::ToInt64Nanoseconds(d - absl::Seconds(seconds)));
    } else {
      const int64_t ns = absl::ToInt64Nanoseconds(d);
      const absl::Duration whole = absl::Nanoseconds(ns);
      U8(whole == d ? 0 : 3);
      I64(ns);
      if (whole != d) {
        absl::Duration none;
        Int(absl::IDivDuration(d - whole, kQuarterNanosecond, &none));
      }
    }
  }
  std::string_view bytes() const { return std::string_view(buffer_.get(), size_); }
  size_t size() const { return size_; }
  // Drops what was written after the first `size` bytes (nothing when fewer were written).
  void Truncate(size_t size) { size_ = std::min(size_, size); }
  // Room for `n` bytes in all, so that writing that many never grows the buffer.
  void Reserve(size_t n) {
    if (capacity_ < n) Grow(n - size_);
  }
  std::string Take() {
    std::string out;
    out.reserve(size_);
    AdviseHugePages(out.data(), size_);
    out.append(bytes());
    size_ = 0;
    return out;
  }

 private:
  struct Free {
    void operator()(char* p) const { std::free(p); }
  };

  // Room for `n` more bytes at the end; the buffer at least doubles when it grows, so appending
  // is amortised O(1) and never byte by byte.
  char* Extend(size_t n) {
    if (capacity_ - size_ < n) [[unlikely]] {
      Grow(n);
    }
    char* at = buffer_.get() + size_;
    size_ += n;
    return at;
  }
  // realloc: a large buffer (a day's journal runs to a hundred megabytes) is moved by remapping
  // its pages rather than by zero-filling a new one and copying.
  [[gnu::noinline]] void Grow(size_t n) {
    const size_t capacity = std::max(capacity_ * 2, std::max<size_t>(size_ + n, 64));
    char* grown = static_cast<char*>(std::realloc(buffer_.get(), capacity));
    if (grown == nullptr) throw std::bad_alloc();
    (void)buffer_.release();
    buffer_.reset(grown);
    capacity_ = capacity;
    AdviseHugePages(grown + size_, capacity - size_);
  }

  std::unique_ptr<char, Free> buffer_;  // the first `size_` of `capacity_` bytes are written
  size_t size_ = 0;
  size_t capacity_ = 0;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}
  bool done() const { return pos_ == in_.size(); }
  size_t position() const { return pos_; }
  size_t remaining() const { return in_.size() - pos_; }

  absl::StatusOr<uint8_t> U8() {
    if (pos_ >= in_.size()) return Truncated();
    return static_cast<uint8_t>(in_[pos_++]);
  }
  absl::StatusOr<uint64_t> U64() {
    if (in_.size() - pos_ < 8) return Truncated();
    uint64_t v = 0;
    if constexpr (std::endian::native == std::endian::little) {
      std::memcpy(&v, in_.data() + pos_, 8);
    } else {
      for (int i = 0; i < 8; ++i) {
        v |= static_cast<uint64_t>(static_cast<unsigned char>(in_[pos_ + i])) << (8 * i);
      }
    }
    pos_ += 8;
    return v;
  }
  absl::StatusOr<uint64_t> Var() {
    // Most numbers (counts, indexes, small ids) take one byte.
    if (pos_ < in_.size() && static_cast<unsigned char>(in_[pos_]) < 0x80) [[likely]] {
      return static_cast<unsigned char>(in_[pos_++]);
    }
    return LongVar();
  }

 private:
  [[gnu::noinline]] absl::StatusOr<uint64_t> LongVar() {
    constexpr size_t kLongest = 10;  // bytes of a 64-bit number
    uint64_t v = 0;
    if (in_.size() - pos_ >= kLongest) {
      // Room for the longest number: no bound to check byte by byte.
      const auto* bytes = reinterpret_cast<const unsigned char*>(in_.data() + pos_);
      for (size_t i = 0; i < kLongest; ++i) {
        v |= static_cast<uint64_t>(bytes[i] & 0x7f) << (7 * i);
        if (bytes[i] < 0x80) {
          pos_ += i + 1;
          return v;
        }
      }
      pos_ += kLongest;
      return absl::InvalidArgumentError(absl::StrCat("malformed number at byte ", pos_));
    }
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) return Truncated();
      const auto byte = static_cast<unsigned char>(in_[pos_++]);
      v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return v;
    }
    return absl::InvalidArgumentError(absl::StrCat("malformed number at byte ", pos_));
  }

 public:
  absl::StatusOr<int64_t> Int() {
    absl::StatusOr<uint64_t> v = Var();
    if (!v.ok()) return v.status();
    return static_cast<int64_t>((*v >> 1) ^ (~(*v & 1) + 1));
  }
  absl::StatusOr<std::string> Str() {
    absl::StatusOr<std::string_view> s = StrView();
    if (!s.ok()) return s.status();
    return std::string(*s);
  }
  // As Str, viewing the input (valid while it is) instead of copying it.
  absl::StatusOr<std::string_view> StrView() {
    absl::StatusOr<uint64_t> size = Var();
    if (!size.ok()) return size.status();
    if (*size > in_.size() - pos_) return Truncated();
    const std::string_view s = in_.substr(pos_, *size);
    pos_ += *size;
    return s;
  }
  absl::StatusOr<absl::Time> Time() {
    absl::StatusOr<uint8_t> tag = U8();
    if (!tag.ok()) return tag.status();
    if (*tag == 1) return absl::InfiniteFuture();
    if (*tag == 2) return absl::InfinitePast();
    if (*tag == 3) {
      absl::StatusOr<uint64_t> seconds = U64();
      if (!seconds.ok()) return seconds.status();
      absl::StatusOr<uint64_t> ns = Var();
      if (!ns.ok()) return ns.status();
      if (*ns >= 1'000'000'000) return Malformed("instant");
      return absl::FromUnixSeconds(static_cast<int64_t>(*seconds)) +
             absl::Nanoseconds(static_cast<int64_t>(*ns));
    }
    if (*tag != 0 && *tag != 4) return Malformed("instant");
    absl::StatusOr<uint64_t> ns = U64();
    if (!ns.ok()) return ns.status();
    const absl::Time t = absl::FromUnixNanos(static_cast<int64_t>(*ns));
    if (*tag == 0) return t;
    absl::StatusOr<uint8_t> quarters = U8();
    if (!quarters.ok()) return quarters.status();
    if (*quarters == 0 || *quarters > 3) return Malformed("instant");
    return t + kQuarterNanosecond * *quarters;
  }
  absl::StatusOr<absl::Duration> Duration() {
    absl::StatusOr<uint8_t> tag = U8();
    if (!tag.ok()) return tag.status();
    if (*tag == 1) return absl::InfiniteDuration();
    if (*tag == 2) {
      absl::StatusOr<uint64_t> seconds = U64();
      if (!seconds.ok()) return seconds.status();
      absl::StatusOr<int64_t> ns = Int();
      if (!ns.ok()) return ns.status();
      if (*ns <= -1'000'000'000 || *ns >= 1'000'000'000) return Malformed("duration");
      return absl::Seconds(static_cast<int64_t>(*seconds)) + absl::Nanoseconds(*ns);
    }
    if (*tag != 0 && *tag != 3) return Malformed("duration");
    absl::StatusOr<uint64_t> ns = U64();
    if (!ns.ok()) return ns.status();
    const absl::Duration d = absl::Nanoseconds(static_cast<int64_t>(*ns));
    if (*tag == 0) return d;
    absl::StatusOr<int64_t> quarters = Int();
    if (!quarters.ok()) return quarters.status();
    if (*quarters == 0 || *quarters < -3 || *quarters > 3) return Malformed("duration");
    return d + kQuarterNanosecond * *quarters;
  }
  // A count of things each taking at least one byte: more than the input holds is corrupt.
  absl::StatusOr<uint64_t> Count(std::string_view what) {
    absl::StatusOr<uint64_t> count = Var();
    if (!count.ok()) return count.status();
    if (*count > remaining()) return Malformed(what);
    return count;
  }
  // A number below `bound`.
  absl::StatusOr<uint64_t> Below(uint64_t bound, std::string_view what) {
    absl::StatusOr<uint64_t> value = Var();
    if (!value.ok()) return value.status();
    if (*value >= bound) return Malformed(what);
    return value;
  }
  // A byte 0 or 1.
  absl::StatusOr<bool> Bool() {
    absl::StatusOr<uint8_t> value = U8();
    if (!value.ok()) return value.status();
    if (*value > 1) return Malformed("flag");
    return *value == 1;
  }
  absl::Status Malformed(std::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed ", std::string(what), " at byte ", pos_));
  }

 private:
  absl::Status Truncated() const {
    return absl::InvalidArgumentError(absl::StrCat("truncated at byte ", pos_));
  }

  std::string_view in_;
  size_t pos_ = 0;
};

}  // namespace omniroute::internal

#endif  // OMNIROUTE_SRC_INTERNAL_BYTE_CODEC_H_
