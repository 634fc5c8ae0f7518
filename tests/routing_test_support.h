// Shared fixtures of the routing tests: a centre's channels and an agent's usual capacity.
#ifndef OMNIROUTE_TESTS_ROUTING_TEST_SUPPORT_H_
#define OMNIROUTE_TESTS_ROUTING_TEST_SUPPORT_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "omniroute/agents.h"

namespace omniroute::routing_test {

inline const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);
inline constexpr ChannelId kVoice = 0, kChat = 1, kEmail = 2;

// Voice (the whole agent, blocks chat, 30 s wrap-up), chat (a third), email (a fifth, 10 s
// wrap-up).
inline ChannelModel Centre() {
  absl::StatusOr<ChannelModel> model = ChannelModel::Create(
      {{.name = "voice", .cost = 60, .blocks = {"chat"}, .wrap_up = absl::Seconds(30)},
       {.name = "chat", .cost = 20},
       {.name = "email", .cost = 12, .wrap_up = absl::Seconds(10)}});
  EXPECT_TRUE(model.ok()) << model.status();
  return *model;
}

// One call, or up to 3 chats, or up to 5 emails, within 60 units.
inline AgentCapacity Standard() { return {.budget = 60, .limits = {1, 3, 5}}; }

}  // namespace omniroute::routing_test

#endif  // OMNIROUTE_TESTS_ROUTING_TEST_SUPPORT_H_
