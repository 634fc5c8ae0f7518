// The work-item lifecycle: a checked state machine.
//
//   queued → offered → assigned ⇄ pending_customer → resolved → closed
//                 ↘ queued (offer rejected or expired)       ↘ reopened → queued
//   queued | offered → abandoned (the customer left)
//   assigned | pending_customer → queued (transfer, counted)
//   any open state → cancelled
//
//   omniroute::ItemLifecycle item;                      // queued
//   item.Apply(omniroute::ItemEvent::kOffer);          // offered
//   item.Apply(omniroute::ItemEvent::kAccept);         // assigned
//   item.Apply(omniroute::ItemEvent::kResolve);        // resolved
//   item.Apply(omniroute::ItemEvent::kConfirm);        // closed
//   item.Apply(omniroute::ItemEvent::kReopen);         // FailedPrecondition: closed is final
//
// Closing is a closed loop: `resolved` becomes `closed` on the customer's confirmation or, after
// a quiet period the host chooses, by `kAutoClose`; until then `kReopen` sends it back to work
// (`reopened`, then `kRequeue` to `queued`). `closed`, `abandoned` and `cancelled` are final.
//
// Thread safety: thread-compatible.
#ifndef OMNIROUTE_LIFECYCLE_H_
#define OMNIROUTE_LIFECYCLE_H_

#include <cstdint>
#include <ostream>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace omniroute {
namespace internal {
class StateCodec;  // the engine's state snapshot (src/internal/state_codec.h)
}  // namespace internal

enum class ItemState : uint8_t {
  kQueued,
  kOffered,
  kAssigned,
  kPendingCustomer,
  kResolved,
  kReopened,
  kClosed,
  kAbandoned,
  kCancelled,
};
inline constexpr int kItemStateCount = 9;

enum class ItemEvent : uint8_t {
  kOffer,            // queued → offered
  kOfferEnded,       // offered → queued (rejected or expired)
  kAccept,           // offered → assigned
  kAwaitCustomer,    // assigned → pending_customer
  kCustomerReplied,  // pending_customer → assigned
  kResolve,          // assigned | pending_customer → resolved
  kConfirm,          // resolved → closed (the customer confirmed)
  kAutoClose,        // resolved → closed (quiet period over)
  kReopen,           // resolved → reopened
  kRequeue,          // reopened → queued
  kAbandon,          // queued | offered → abandoned
  kTransfer,         // assigned | pending_customer → queued (in another queue)
  kCancel,           // any open state → cancelled
};
inline constexpr int kItemEventCount = 13;

// "queued", "offered", "assigned", "pending_customer", "resolved", "reopened", "closed",
// "abandoned", "cancelled".
std::string_view ItemStateName(ItemState state);
absl::StatusOr<ItemState> ParseItemState(std::string_view name);
// "offer", "offer_ended", "accept", "await_customer", "customer_replied", "resolve", "confirm",
// "auto_close", "reopen", "requeue", "abandon", "transfer", "cancel".
std::string_view ItemEventName(ItemEvent event);
absl::StatusOr<ItemEvent> ParseItemEvent(std::string_view name);
inline std::ostream& operator<<(std::ostream& os, ItemState s) { return os << ItemStateName(s); }
inline std::ostream& operator<<(std::ostream& os, ItemEvent e) { return os << ItemEventName(e); }

// Whether work on the item may still happen: not closed, abandoned or cancelled.
bool IsOpen(ItemState state);

// The state `event` leads to from `state`; FailedPrecondition naming both when the event is not
// allowed there. O(1).
absl::StatusOr<ItemState> NextItemState(ItemState state, ItemEvent event);

// One item's place in its lifecycle, with the counts KPIs need (first-contact resolution is
// "resolved with no transfer and no reopen").
class ItemLifecycle {
 public:
  ItemLifecycle() = default;

  ItemState state() const { return state_; }
  int transfers() const { return transfers_; }
  int reopens() const { return reopens_; }
  int offers() const { return offers_; }
  // Offers that ended without acceptance (rejected or expired).
  int offers_ended() const { return offers_ended_; }

  // Moves to NextItemState(state(), event) and counts it; a refused event changes nothing.
  absl::Status Apply(ItemEvent event);

  friend bool operator==(const ItemLifecycle&, const ItemLifecycle&) = default;

 private:
  friend class internal::StateCodec;
  ItemState state_ = ItemState::kQueued;
  int transfers_ = 0;
  int reopens_ = 0;
  int offers_ = 0;
  int offers_ended_ = 0;
};

}  // namespace omniroute

#endif  // OMNIROUTE_LIFECYCLE_H_
