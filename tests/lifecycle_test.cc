#include "omniroute/lifecycle.h"

#include <map>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace omniroute {
namespace {

using ::testing::HasSubstr;

// Every allowed (state, event) pair, written out from the lifecycle's specification; every other
// pair must be refused.
const std::map<std::pair<std::string, std::string>, std::string>& Allowed() {
  static const auto* const allowed = new std::map<std::pair<std::string, std::string>, std::string>{
      {{"queued", "offer"}, "offered"},
      {{"queued", "abandon"}, "abandoned"},
      {{"queued", "cancel"}, "cancelled"},
      {{"offered", "offer_ended"}, "queued"},
      {{"offered", "accept"}, "assigned"},
      {{"offered", "abandon"}, "abandoned"},
      {{"offered", "cancel"}, "cancelled"},
      {{"assigned", "await_customer"}, "pending_customer"},
      {{"assigned", "resolve"}, "resolved"},
      {{"assigned", "transfer"}, "queued"},
      {{"assigned", "cancel"}, "cancelled"},
      {{"pending_customer", "customer_replied"}, "assigned"},
      {{"pending_customer", "resolve"}, "resolved"},
      {{"pending_customer", "transfer"}, "queued"},
      {{"pending_customer", "cancel"}, "cancelled"},
      {{"resolved", "confirm"}, "closed"},
      {{"resolved", "auto_close"}, "closed"},
      {{"resolved", "reopen"}, "reopened"},
      {{"resolved", "cancel"}, "cancelled"},
      {{"reopened", "requeue"}, "queued"},
      {{"reopened", "cancel"}, "cancelled"},
  };
  return *allowed;
}

TEST(LifecycleTest, EveryStateAndEventPairFollowsTheSpecification) {
  int allowed = 0;
  for (int s = 0; s < kItemStateCount; ++s) {
    for (int e = 0; e < kItemEventCount; ++e) {
      const auto state = static_cast<ItemState>(s);
      const auto event = static_cast<ItemEvent>(e);
      const absl::StatusOr<ItemState> next = NextItemState(state, event);
      const auto it =
          Allowed().find({std::string(ItemStateName(state)), std::string(ItemEventName(event))});
      if (it == Allowed().end()) {
        EXPECT_EQ(next.status().code(), absl::StatusCode::kFailedPrecondition)
            << state << " + " << event;
        EXPECT_THAT(next.status().message(), HasSubstr(std::string(ItemStateName(state))));
        EXPECT_THAT(next.status().message(), HasSubstr(std::string(ItemEventName(event))));
      } else {
        ++allowed;
        ASSERT_TRUE(next.ok()) << state << " + " << event << ": " << next.status();
        EXPECT_EQ(ItemStateName(*next), it->second) << state << " + " << event;
      }
    }
  }
  EXPECT_EQ(allowed, static_cast<int>(Allowed().size()));
}

TEST(LifecycleTest, NamesRoundTripAndOpenStates) {
  for (int s = 0; s < kItemStateCount; ++s) {
    const auto state = static_cast<ItemState>(s);
    EXPECT_EQ(*ParseItemState(ItemStateName(state)), state);
  }
  for (int e = 0; e < kItemEventCount; ++e) {
    const auto event = static_cast<ItemEvent>(e);
    EXPECT_EQ(*ParseItemEvent(ItemEventName(event)), event);
  }
  EXPECT_EQ(ParseItemState("done").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseItemEvent("escalate").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(IsOpen(ItemState::kResolved));
  EXPECT_TRUE(IsOpen(ItemState::kReopened));
  EXPECT_FALSE(IsOpen(ItemState::kClosed));
  EXPECT_FALSE(IsOpen(ItemState::kAbandoned));
  EXPECT_FALSE(IsOpen(ItemState::kCancelled));
}

TEST(LifecycleTest, CountsTransfersReopensAndOffers) {
  ItemLifecycle item;
  for (ItemEvent event :
       {ItemEvent::kOffer, ItemEvent::kOfferEnded, ItemEvent::kOffer, ItemEvent::kAccept,
        ItemEvent::kTransfer, ItemEvent::kOffer, ItemEvent::kAccept, ItemEvent::kAwaitCustomer,
        ItemEvent::kCustomerReplied, ItemEvent::kResolve, ItemEvent::kReopen, ItemEvent::kRequeue,
        ItemEvent::kOffer, ItemEvent::kAccept, ItemEvent::kResolve, ItemEvent::kConfirm}) {
    ASSERT_TRUE(item.Apply(event).ok()) << event;
  }
  EXPECT_EQ(item.state(), ItemState::kClosed);
  EXPECT_EQ(item.offers(), 4);
  EXPECT_EQ(item.offers_ended(), 1);
  EXPECT_EQ(item.transfers(), 1);
  EXPECT_EQ(item.reopens(), 1);
  // Closed is final; a refused event changes nothing.
  const ItemLifecycle before = item;
  EXPECT_EQ(item.Apply(ItemEvent::kReopen).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(item.Apply(ItemEvent::kCancel).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(item, before);
}

}  // namespace
}  // namespace omniroute
