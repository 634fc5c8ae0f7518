// The engine's state snapshot, module by module: each module's whole state written to bytes and
// read back into a module configured as the saved one was, so that the loaded module behaves
// exactly as the saved one would from there on (same events, same order, same handles).
//
// Loading checks every count, index and cross-reference (an item in one slot, each pending timer
// pointing at the clock that holds it, a free list that runs through every free slot once), so
// that structurally corrupt input is an InvalidArgument error and never makes the load read or
// write out of bounds; a refused load changes nothing. Values within the structure (instants,
// counters) are taken as written: the snapshot's checksum guards them.
// Caches (resolved targets, calendar memos) are not saved: they refill as they are used.
#ifndef OMNIROUTE_SRC_INTERNAL_STATE_CODEC_H_
#define OMNIROUTE_SRC_INTERNAL_STATE_CODEC_H_

#include "absl/status/status.h"
#include "internal/byte_codec.h"
#include "omniroute/quantile_sketch.h"
#include "omniroute/sla.h"
#include "omniroute/sla_tracker.h"
#include "omniroute/timer_wheel.h"

namespace omniroute::internal {

class StateCodec {
 public:
  static void Save(const QuantileSketch& sketch, ByteWriter& out);
  static absl::Status Load(QuantileSketch& sketch, ByteReader& in);

  static void Save(const SlaClock& clock, ByteWriter& out);
  static absl::Status Load(SlaClock& clock, ByteReader& in);

  static void Save(TimerHandle handle, ByteWriter& out);
  static absl::Status Load(TimerHandle& handle, ByteReader& in);

  // The tracker's clock, interned labels and pause reasons, items (slab order, with their clocks,
  // timers and finished cycles), attainment, unpolled events and timer wheel. O(items).
  static void Save(const SlaTracker& tracker, ByteWriter& out);
  // Into `tracker`, which must have the saved origin and tick and hold every saved policy (by
  // name; in any order, and no items). O(items).
  static absl::Status Load(SlaTracker& tracker, ByteReader& in);

 private:
  static absl::Status ReadTracker(SlaTracker& tracker, ByteReader& in);
};

}  // namespace omniroute::internal

#endif  // OMNIROUTE_SRC_INTERNAL_STATE_CODEC_H_
