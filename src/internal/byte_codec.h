// Little-endian binary writing and bounds-checked reading, for journals and snapshots.
#ifndef OMNIROUTE_SRC_INTERNAL_BYTE_CODEC_H_
#define OMNIROUTE_SRC_INTERNAL_BYTE_CODEC_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace omniroute::internal {

// FNV-1a, 64 bits: a stable digest across runs and builds.
class Fnv64 {
 public:
  void Add(const void* data, size_t size) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < size; ++i) {
      hash_ = (hash_ ^ bytes[i]) * 0x100000001b3ull;
    }
  }
  void Add(std::string_view text) {
    AddInt(text.size());
    Add(text.data(), text.size());
  }
  void AddInt(uint64_t value) {
    unsigned char bytes[8];
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<unsigned char>(value >> (8 * i));
    Add(bytes, 8);
  }
  void AddTime(absl::Time t) { AddInt(static_cast<uint64_t>(absl::ToUnixNanos(t))); }
  uint64_t value() const { return hash_; }

 private:
  uint64_t hash_ = 0xcbf29ce484222325ull;
};

class ByteWriter {
 public:
  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U64(uint64_t v) {
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>(v >> (8 * i)));
  }
  void I64(int64_t v) { U64(static_cast<uint64_t>(v)); }
  // Unsigned LEB128.
  void Var(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void Int(int64_t v) { Var((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }
  void Str(std::string_view s) {
    Var(s.size());
    out_.append(s.data(), s.size());
  }
  // Infinite instants and durations are kept as such.
  void Time(absl::Time t) {
    if (t == absl::InfiniteFuture()) {
      U8(1);
    } else if (t == absl::InfinitePast()) {
      U8(2);
    } else {
      U8(0);
      I64(absl::ToUnixNanos(t));
    }
  }
  void Duration(absl::Duration d) {
    if (d == absl::InfiniteDuration()) {
      U8(1);
    } else {
      U8(0);
      I64(absl::ToInt64Nanoseconds(d));
    }
  }
  const std::string& bytes() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}
  bool done() const { return pos_ == in_.size(); }
  size_t position() const { return pos_; }

  absl::StatusOr<uint8_t> U8() {
    if (pos_ >= in_.size()) return Truncated();
    return static_cast<uint8_t>(in_[pos_++]);
  }
  absl::StatusOr<uint64_t> U64() {
    if (in_.size() - pos_ < 8) return Truncated();
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) {
      v |= static_cast<uint64_t>(static_cast<unsigned char>(in_[pos_ + i])) << (8 * i);
    }
    pos_ += 8;
    return v;
  }
  absl::StatusOr<uint64_t> Var() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) return Truncated();
      const auto byte = static_cast<unsigned char>(in_[pos_++]);
      v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return v;
    }
    return absl::InvalidArgumentError(absl::StrCat("malformed number at byte ", pos_));
  }
  absl::StatusOr<int64_t> Int() {
    absl::StatusOr<uint64_t> v = Var();
    if (!v.ok()) return v.status();
    return static_cast<int64_t>((*v >> 1) ^ (~(*v & 1) + 1));
  }
  absl::StatusOr<std::string> Str() {
    absl::StatusOr<uint64_t> size = Var();
    if (!size.ok()) return size.status();
    if (*size > in_.size() - pos_) return Truncated();
    std::string s(in_.substr(pos_, *size));
    pos_ += *size;
    return s;
  }
  absl::StatusOr<absl::Time> Time() {
    absl::StatusOr<uint8_t> tag = U8();
    if (!tag.ok()) return tag.status();
    if (*tag == 1) return absl::InfiniteFuture();
    if (*tag == 2) return absl::InfinitePast();
    if (*tag != 0) return Malformed("instant");
    absl::StatusOr<uint64_t> ns = U64();
    if (!ns.ok()) return ns.status();
    return absl::FromUnixNanos(static_cast<int64_t>(*ns));
  }
  absl::StatusOr<absl::Duration> Duration() {
    absl::StatusOr<uint8_t> tag = U8();
    if (!tag.ok()) return tag.status();
    if (*tag == 1) return absl::InfiniteDuration();
    if (*tag != 0) return Malformed("duration");
    absl::StatusOr<uint64_t> ns = U64();
    if (!ns.ok()) return ns.status();
    return absl::Nanoseconds(static_cast<int64_t>(*ns));
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
