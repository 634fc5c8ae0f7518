// The checksum an engine snapshot ends with, which depends on the snapshot's format.
#ifndef OMNIROUTE_SRC_INTERNAL_SNAPSHOT_CHECKSUM_H_
#define OMNIROUTE_SRC_INTERNAL_SNAPSHOT_CHECKSUM_H_

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"
#include "internal/byte_codec.h"

namespace omniroute::internal {

// The last snapshot format that ends with a StableHash; later ones end with a WideChecksum.
inline constexpr uint64_t kLastStableHashSnapshotFormat = 5;

// The checksum of `body`, a snapshot without its trailing checksum, as its format computes it.
// The format is read from the body (a length-prefixed magic, then the format as a U64); a body too
// short to hold one is checked as the latest format. O(body).
inline uint64_t SnapshotChecksum(std::string_view body) {
  ByteReader r(body);
  const absl::StatusOr<std::string_view> magic = r.StrView();
  const absl::StatusOr<uint64_t> format = magic.ok() ? r.U64() : magic.status();
  if (format.ok() && *format <= kLastStableHashSnapshotFormat) {
    StableHash checksum;
    checksum.Add(body.data(), body.size());
    return checksum.value();
  }
  return WideChecksum(body);
}

}  // namespace omniroute::internal

#endif  // OMNIROUTE_SRC_INTERNAL_SNAPSHOT_CHECKSUM_H_
