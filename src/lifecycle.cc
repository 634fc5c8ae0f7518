#include "omniroute/lifecycle.h"

#include <array>
#include <initializer_list>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "internal/enum_names.h"

namespace omniroute {
namespace {

constexpr std::array<std::string_view, kItemStateCount> kStateNames = {
    "queued",   "offered", "assigned",  "pending_customer", "resolved",
    "reopened", "closed",  "abandoned", "cancelled"};

constexpr std::array<std::string_view, kItemEventCount> kEventNames = {
    "offer",   "offer_ended", "accept",     "await_customer", "customer_replied",
    "resolve", "confirm",     "auto_close", "reopen",         "requeue",
    "abandon", "transfer",    "cancel"};

}  // namespace

std::string_view ItemStateName(ItemState state) { return internal::EnumName(kStateNames, state); }

std::string_view ItemEventName(ItemEvent event) { return internal::EnumName(kEventNames, event); }

absl::StatusOr<ItemState> ParseItemState(std::string_view name) {
  return internal::ParseEnum<ItemState>(kStateNames, "item state", name);
}

absl::StatusOr<ItemEvent> ParseItemEvent(std::string_view name) {
  return internal::ParseEnum<ItemEvent>(kEventNames, "item event", name);
}

bool IsOpen(ItemState state) {
  return state != ItemState::kClosed && state != ItemState::kAbandoned &&
         state != ItemState::kCancelled;
}

absl::StatusOr<ItemState> NextItemState(ItemState state, ItemEvent event) {
  using S = ItemState;
  const auto from = [state](std::initializer_list<S> allowed) {
    for (S s : allowed) {
      if (s == state) return true;
    }
    return false;
  };
  std::optional<S> next;
  switch (event) {
    case ItemEvent::kOffer:
      if (from({S::kQueued})) next = S::kOffered;
      break;
    case ItemEvent::kOfferEnded:
      if (from({S::kOffered})) next = S::kQueued;
      break;
    case ItemEvent::kAccept:
      if (from({S::kOffered})) next = S::kAssigned;
      break;
    case ItemEvent::kAwaitCustomer:
      if (from({S::kAssigned})) next = S::kPendingCustomer;
      break;
    case ItemEvent::kCustomerReplied:
      if (from({S::kPendingCustomer})) next = S::kAssigned;
      break;
    case ItemEvent::kResolve:
      if (from({S::kAssigned, S::kPendingCustomer})) next = S::kResolved;
      break;
    case ItemEvent::kConfirm:
    case ItemEvent::kAutoClose:
      if (from({S::kResolved})) next = S::kClosed;
      break;
    case ItemEvent::kReopen:
      if (from({S::kResolved})) next = S::kReopened;
      break;
    case ItemEvent::kRequeue:
      if (from({S::kReopened})) next = S::kQueued;
      break;
    case ItemEvent::kAbandon:
      if (from({S::kQueued, S::kOffered})) next = S::kAbandoned;
      break;
    case ItemEvent::kTransfer:
      if (from({S::kAssigned, S::kPendingCustomer})) next = S::kQueued;
      break;
    case ItemEvent::kCancel:
      if (IsOpen(state)) next = S::kCancelled;
      break;
  }
  if (!next.has_value()) {
    return absl::FailedPreconditionError(absl::StrCat("an item that is ",
                                                      std::string(ItemStateName(state)), " cannot ",
                                                      std::string(ItemEventName(event))));
  }
  return *next;
}

absl::Status ItemLifecycle::Apply(ItemEvent event) {
  absl::StatusOr<ItemState> next = NextItemState(state_, event);
  if (!next.ok()) return next.status();
  state_ = *next;
  switch (event) {
    case ItemEvent::kOffer:
      ++offers_;
      break;
    case ItemEvent::kOfferEnded:
      ++offers_ended_;
      break;
    case ItemEvent::kReopen:
      ++reopens_;
      break;
    case ItemEvent::kTransfer:
      ++transfers_;
      break;
    default:
      break;
  }
  return absl::OkStatus();
}

}  // namespace omniroute
