#include "omniroute/timer_wheel.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "internal/byte_codec.h"

namespace omniroute {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const absl::Time kOrigin = absl::FromUnixSeconds(1'795'000'000);

absl::Time At(double seconds) { return kOrigin + absl::Seconds(seconds); }

TimerHandle MustSchedule(TimerWheel<int>& wheel, absl::Time due, int payload) {
  absl::StatusOr<TimerHandle> handle = wheel.Schedule(due, payload);
  EXPECT_TRUE(handle.ok()) << handle.status();
  return handle.ok() ? *handle : TimerHandle();
}

// Advances and returns the payloads fired, in firing order.
std::vector<int> AdvanceCollect(TimerWheel<int>& wheel, absl::Time now) {
  std::vector<int> fired;
  wheel.Advance(now, [&](TimerHandle, absl::Time, int payload) { fired.push_back(payload); });
  return fired;
}

TEST(TimerWheelTest, AWheelThatNeverHeldATimerIsSmallAndWorks) {
  TimerWheel<int> wheel(kOrigin);
  EXPECT_LT(wheel.MemoryBytes(), 1024u);
  EXPECT_FALSE(wheel.Cancel(TimerHandle()));
  EXPECT_EQ(wheel.NextDue(), absl::InfiniteFuture());
  EXPECT_EQ(wheel.NextStop(), absl::InfiniteFuture());
  EXPECT_THAT(AdvanceCollect(wheel, At(3600)), IsEmpty());
  EXPECT_EQ(wheel.now(), At(3600));

  // Moved before and after its first timer, it keeps what it holds.
  TimerWheel<int> moved = std::move(wheel);
  MustSchedule(moved, At(7200), 1);
  const TimerHandle cancelled = MustSchedule(moved, At(4000), 2);
  EXPECT_GE(moved.MemoryBytes(), size_t{72} * 1024);
  TimerWheel<int> again = std::move(moved);
  EXPECT_TRUE(again.Cancel(cancelled));
  EXPECT_EQ(again.NextDue(), At(7200));
  EXPECT_THAT(AdvanceCollect(again, At(8000)), ElementsAre(1));
}

TEST(TimerWheelTest, FiresInDueOrderThenSchedulingOrder) {
  TimerWheel<int> wheel(kOrigin);
  MustSchedule(wheel, At(30), 1);
  MustSchedule(wheel, At(10), 2);
  MustSchedule(wheel, At(20), 3);
  MustSchedule(wheel, At(10), 4);
  MustSchedule(wheel, At(10), 5);
  EXPECT_EQ(wheel.size(), 5u);
  EXPECT_THAT(AdvanceCollect(wheel, At(60)), ElementsAre(2, 4, 5, 3, 1));
  EXPECT_TRUE(wheel.empty());
}

TEST(TimerWheelTest, OrderIsExactInsideOneCoarseTick) {
  TimerWheel<int> wheel(kOrigin, absl::Minutes(1));
  MustSchedule(wheel, At(50.000000003), 1);
  MustSchedule(wheel, At(50.000000001), 2);
  MustSchedule(wheel, At(0.5), 3);
  MustSchedule(wheel, At(50.000000002), 4);
  EXPECT_THAT(AdvanceCollect(wheel, At(59)), ElementsAre(3, 2, 4, 1));
}

TEST(TimerWheelTest, FiresOnlyWhatIsDueAtTheInstantAdvancedTo) {
  TimerWheel<int> wheel(kOrigin, absl::Seconds(1));
  MustSchedule(wheel, At(1.5), 1);
  MustSchedule(wheel, At(1.2), 2);
  EXPECT_THAT(AdvanceCollect(wheel, At(1.2)), ElementsAre(2));
  EXPECT_EQ(wheel.now(), At(1.2));
  EXPECT_THAT(AdvanceCollect(wheel, At(1.4999)), IsEmpty());
  EXPECT_THAT(AdvanceCollect(wheel, At(1.5)), ElementsAre(1));
}

TEST(TimerWheelTest, CallbackReceivesHandleAndDueInstant) {
  TimerWheel<int> wheel(kOrigin);
  const TimerHandle handle = MustSchedule(wheel, At(7.25), 9);
  TimerHandle seen;
  absl::Time seen_due;
  bool pending_in_callback = true;
  EXPECT_EQ(wheel.Advance(At(100),
                          [&](TimerHandle h, absl::Time due, int) {
                            seen = h;
                            seen_due = due;
                            pending_in_callback = wheel.IsPending(h);
                          }),
            1u);
  EXPECT_EQ(seen, handle);
  EXPECT_EQ(seen_due, At(7.25));
  EXPECT_FALSE(pending_in_callback);
}

TEST(TimerWheelTest, PastDueAndPreOriginTimersFireOnTheNextAdvance) {
  TimerWheel<int> wheel(kOrigin);
  EXPECT_THAT(AdvanceCollect(wheel, At(100)), IsEmpty());
  MustSchedule(wheel, At(50), 1);
  MustSchedule(wheel, kOrigin - absl::Hours(1), 2);
  MustSchedule(wheel, At(100), 3);
  // Order stays by due instant even for timers scheduled late.
  EXPECT_THAT(AdvanceCollect(wheel, At(100)), ElementsAre(2, 1, 3));
}

TEST(TimerWheelTest, DueInstantsStayExactToTheNanosecondAtAnyDistanceFromTheOrigin) {
  // 7 ms ticks: instants are kept as whole ticks and nanoseconds past the tick, and a thousand
  // years from the origin no longer fit in int64 nanoseconds.
  TimerWheel<int> wheel(kOrigin, absl::Milliseconds(7));
  const absl::Duration millennium = absl::Hours(24 * 365 * 1000);
  const std::vector<absl::Time> dues = {kOrigin + millennium + absl::Nanoseconds(3),
                                        kOrigin - millennium + absl::Nanoseconds(5),
                                        kOrigin - absl::Nanoseconds(1),
                                        kOrigin + absl::Milliseconds(7),
                                        kOrigin + absl::Milliseconds(7) - absl::Nanoseconds(1),
                                        kOrigin + absl::Nanoseconds(6'999'999)};
  std::vector<TimerHandle> handles;
  for (size_t i = 0; i < dues.size(); ++i) {
    handles.push_back(MustSchedule(wheel, dues[i], static_cast<int>(i)));
    EXPECT_EQ(wheel.Due(handles.back()), dues[i]) << i;
  }
  EXPECT_EQ(wheel.NextDue(), kOrigin - millennium + absl::Nanoseconds(5));
  std::vector<std::pair<int, absl::Time>> fired;
  wheel.Advance(kOrigin + 2 * millennium, [&](TimerHandle, absl::Time due, int payload) {
    fired.emplace_back(payload, due);
  });
  ASSERT_EQ(fired.size(), dues.size());
  EXPECT_EQ(fired[0].first, 1);
  EXPECT_EQ(fired[1].first, 2);
  EXPECT_EQ(fired[2].first, 4);  // the same instant as 5, scheduled first
  EXPECT_EQ(fired[3].first, 5);
  EXPECT_EQ(fired[4].first, 3);
  EXPECT_EQ(fired[5].first, 0);
  for (const auto& [payload, due] : fired) EXPECT_EQ(due, dues[static_cast<size_t>(payload)]);
}

TEST(TimerWheelTest, AdvancingBackwardsFiresNothingAndKeepsNow) {
  TimerWheel<int> wheel(kOrigin);
  MustSchedule(wheel, At(5), 1);
  EXPECT_THAT(AdvanceCollect(wheel, At(3)), IsEmpty());
  EXPECT_THAT(AdvanceCollect(wheel, At(1)), IsEmpty());
  EXPECT_EQ(wheel.now(), At(3));
  EXPECT_EQ(wheel.size(), 1u);
}

TEST(TimerWheelTest, CancelIsSafeForFiredCancelledAndUnknownHandles) {
  TimerWheel<int> wheel(kOrigin);
  const TimerHandle a = MustSchedule(wheel, At(10), 1);
  const TimerHandle b = MustSchedule(wheel, At(20), 2);
  EXPECT_TRUE(wheel.IsPending(a));
  EXPECT_TRUE(wheel.Cancel(a));
  EXPECT_FALSE(wheel.IsPending(a));
  EXPECT_FALSE(wheel.Cancel(a));
  EXPECT_EQ(wheel.size(), 1u);
  EXPECT_FALSE(wheel.Cancel(TimerHandle()));
  EXPECT_FALSE(TimerHandle().valid());
  EXPECT_THAT(AdvanceCollect(wheel, At(30)), ElementsAre(2));
  EXPECT_FALSE(wheel.Cancel(b));
  EXPECT_EQ(wheel.Due(b), absl::InfiniteFuture());
  EXPECT_EQ(wheel.Find(b), nullptr);
}

TEST(TimerWheelTest, StaleHandleDoesNotTouchTheTimerThatReusedItsSlot) {
  TimerWheel<int> wheel(kOrigin);
  const TimerHandle old_handle = MustSchedule(wheel, At(10), 1);
  ASSERT_TRUE(wheel.Cancel(old_handle));
  const TimerHandle new_handle = MustSchedule(wheel, At(10), 2);
  EXPECT_NE(old_handle, new_handle);
  EXPECT_FALSE(wheel.Cancel(old_handle));
  EXPECT_TRUE(wheel.IsPending(new_handle));
  EXPECT_THAT(AdvanceCollect(wheel, At(10)), ElementsAre(2));
}

TEST(TimerWheelTest, DueAndFindReportPendingTimers) {
  TimerWheel<int> wheel(kOrigin);
  const TimerHandle handle = MustSchedule(wheel, At(42), 7);
  EXPECT_EQ(wheel.Due(handle), At(42));
  ASSERT_NE(wheel.Find(handle), nullptr);
  EXPECT_EQ(*wheel.Find(handle), 7);
  EXPECT_EQ(wheel.NextDue(), At(42));
  MustSchedule(wheel, At(41.5), 8);
  EXPECT_EQ(wheel.NextDue(), At(41.5));
  const size_t bytes = wheel.MemoryBytes();
  for (int i = 0; i < 1000; ++i) MustSchedule(wheel, At(100 + i), i);
  EXPECT_GT(wheel.MemoryBytes(), bytes);
}

TEST(TimerWheelTest, NextDueIsInfiniteWhenEmpty) {
  TimerWheel<int> wheel(kOrigin);
  EXPECT_EQ(wheel.NextDue(), absl::InfiniteFuture());
}

TEST(TimerWheelTest, RejectsInfiniteAndTooFarInstantsChangingNothing) {
  TimerWheel<int> wheel(kOrigin, absl::Seconds(1));
  EXPECT_EQ(wheel.Schedule(absl::InfiniteFuture(), 1).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(wheel.Schedule(absl::InfinitePast(), 1).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(wheel.Schedule(kOrigin + absl::Seconds(5e18), 1).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(wheel.Schedule(kOrigin - absl::Seconds(5e18), 1).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(wheel.empty());
  EXPECT_THAT(AdvanceCollect(wheel, At(1e9)), IsEmpty());
}

TEST(TimerWheelTest, FarFutureTimersCascadeIntoPlace) {
  TimerWheel<int> wheel(kOrigin);
  const absl::Duration month = absl::Hours(24 * 30);
  MustSchedule(wheel, kOrigin + 6 * month, 1);
  MustSchedule(wheel, kOrigin + 6 * month - absl::Milliseconds(1), 2);
  MustSchedule(wheel, kOrigin + 40 * month, 3);
  MustSchedule(wheel, kOrigin + absl::Hours(24 * 365 * 100), 4);
  MustSchedule(wheel, kOrigin + absl::Seconds(1), 5);
  EXPECT_THAT(AdvanceCollect(wheel, kOrigin + month), ElementsAre(5));
  EXPECT_THAT(AdvanceCollect(wheel, kOrigin + 6 * month - absl::Milliseconds(2)), IsEmpty());
  EXPECT_THAT(AdvanceCollect(wheel, kOrigin + 6 * month), ElementsAre(2, 1));
  EXPECT_THAT(AdvanceCollect(wheel, kOrigin + 40 * month - absl::Nanoseconds(1)), IsEmpty());
  EXPECT_THAT(AdvanceCollect(wheel, kOrigin + absl::Hours(24 * 365 * 200)), ElementsAre(3, 4));
}

TEST(TimerWheelTest, CallbackMayScheduleTimersThatFireInTheSameAdvance) {
  TimerWheel<int> wheel(kOrigin);
  MustSchedule(wheel, At(10), 1);
  MustSchedule(wheel, At(10), 2);
  MustSchedule(wheel, At(50), 3);
  std::vector<int> fired;
  wheel.Advance(At(60), [&](TimerHandle, absl::Time, int payload) {
    fired.push_back(payload);
    if (payload == 1) {
      // Due now: fires after the timers already due at this instant.
      MustSchedule(wheel, At(10), 10);
      // Due later inside the step, before timer 3.
      MustSchedule(wheel, At(20), 11);
      // Due after the step: stays.
      MustSchedule(wheel, At(70), 12);
    }
  });
  EXPECT_THAT(fired, ElementsAre(1, 2, 10, 11, 3));
  EXPECT_EQ(wheel.size(), 1u);
  EXPECT_THAT(AdvanceCollect(wheel, At(70)), ElementsAre(12));
}

TEST(TimerWheelTest, CallbackMayCancelATimerDueAtTheSameInstant) {
  TimerWheel<int> wheel(kOrigin);
  MustSchedule(wheel, At(10), 1);
  const TimerHandle second = MustSchedule(wheel, At(10), 2);
  MustSchedule(wheel, At(10), 3);
  std::vector<int> fired;
  bool cancelled = false;
  wheel.Advance(At(10), [&](TimerHandle, absl::Time, int payload) {
    fired.push_back(payload);
    if (payload == 1) cancelled = wheel.Cancel(second);
  });
  EXPECT_TRUE(cancelled);
  EXPECT_THAT(fired, ElementsAre(1, 3));
}

TEST(TimerWheelTest, CarriesMoveOnlyPayloads) {
  TimerWheel<std::unique_ptr<std::string>> wheel(kOrigin);
  ASSERT_TRUE(wheel.Schedule(At(1), std::make_unique<std::string>("breach")).ok());
  std::string seen;
  wheel.Advance(At(2), [&](TimerHandle, absl::Time, std::unique_ptr<std::string> payload) {
    seen = *payload;
  });
  EXPECT_EQ(seen, "breach");
}

TEST(TimerWheelTest, CancelledTimersAreReclaimedUnderChurn) {
  TimerWheel<int> wheel(kOrigin);
  std::mt19937_64 rng(13);
  std::uniform_int_distribution<int64_t> due_s(1, 90 * 86400);
  std::vector<TimerHandle> live;
  std::map<int, absl::Time> expected;
  int next = 0;
  for (int i = 0; i < 2000; ++i) {
    const absl::Time due = kOrigin + absl::Seconds(due_s(rng));
    live.push_back(MustSchedule(wheel, due, next));
    expected[next++] = due;
  }
  const size_t bytes_after_fill = wheel.MemoryBytes();
  // A million schedule + cancel pairs at a steady 2000 pending timers: memory stays bounded.
  for (int i = 0; i < 1'000'000; ++i) {
    std::uniform_int_distribution<size_t> pick(0, live.size() - 1);
    const size_t victim = pick(rng);
    const int payload = *wheel.Find(live[victim]);
    ASSERT_TRUE(wheel.Cancel(live[victim]));
    expected.erase(payload);
    const absl::Time due = kOrigin + absl::Seconds(due_s(rng));
    live[victim] = MustSchedule(wheel, due, next);
    expected[next++] = due;
  }
  EXPECT_EQ(wheel.size(), 2000u);
  EXPECT_LT(wheel.MemoryBytes(), 4 * bytes_after_fill + 4096 * 64);
  std::vector<std::pair<absl::Time, int>> order;
  for (const auto& [payload, due] : expected) order.push_back({due, payload});
  std::sort(order.begin(), order.end());
  std::vector<int> fired;
  wheel.Advance(kOrigin + absl::Hours(24 * 91),
                [&](TimerHandle, absl::Time, int payload) { fired.push_back(payload); });
  ASSERT_EQ(fired.size(), order.size());
  for (size_t i = 0; i < order.size(); ++i) ASSERT_EQ(fired[i], order[i].second) << i;
}

TEST(TimerWheelTest, MassCancelFromACallbackKeepsTheBatchIntact) {
  TimerWheel<int> wheel(kOrigin);
  std::vector<TimerHandle> later;
  for (int i = 0; i < 5000; ++i) later.push_back(MustSchedule(wheel, At(100 + i), 1000 + i));
  MustSchedule(wheel, At(10), 1);
  MustSchedule(wheel, At(10), 2);
  std::vector<int> fired;
  wheel.Advance(At(10), [&](TimerHandle, absl::Time, int payload) {
    fired.push_back(payload);
    // Cancelling thousands of timers compacts the wheel while this batch is firing.
    if (payload == 1) {
      for (size_t i = 0; i + 1 < later.size(); ++i) ASSERT_TRUE(wheel.Cancel(later[i]));
    }
  });
  EXPECT_THAT(fired, ElementsAre(1, 2));
  EXPECT_EQ(wheel.size(), 1u);
  EXPECT_EQ(wheel.NextDue(), At(100 + 4999));
  EXPECT_THAT(AdvanceCollect(wheel, At(1e5)), ElementsAre(1000 + 4999));
}

// The reference: a sorted set of (due, scheduling sequence).
struct ReferenceTimers {
  std::set<std::pair<absl::Time, uint64_t>> pending;
  std::map<uint64_t, absl::Time> due_of;
  uint64_t next = 0;
};

struct Fired {
  absl::Time due;
  int payload;
  friend bool operator==(const Fired&, const Fired&) = default;
};

// Random schedules, cancels (some of them stale) and advances of random size, on random tick
// sizes; every advance must fire exactly what the reference fires, in the same order.
TEST(TimerWheelTest, MatchesASortedSetUnderRandomOperations) {
  std::mt19937_64 rng(7);
  const std::vector<absl::Duration> ticks = {absl::Nanoseconds(1), absl::Milliseconds(1),
                                             absl::Seconds(1), absl::Minutes(5)};
  for (int round = 0; round < 40; ++round) {
    const absl::Duration tick = ticks[round % ticks.size()];
    TimerWheel<int> wheel(kOrigin, tick);
    ReferenceTimers reference;
    std::vector<std::pair<TimerHandle, uint64_t>> handles;
    absl::Time now = kOrigin;
    std::uniform_int_distribution<int> op(0, 9);
    std::uniform_int_distribution<int> scale(0, 4);  // up to 200 days
    for (int step = 0; step < 3000; ++step) {
      const int choice = op(rng);
      if (choice < 5) {
        // Spans from nanoseconds to months, sometimes in the past.
        const int64_t range_ns = int64_t{1000} << (scale(rng) * 11);
        std::uniform_int_distribution<int64_t> offset(-range_ns / 20, range_ns);
        const absl::Time due = now + absl::Nanoseconds(offset(rng));
        const uint64_t sequence = reference.next++;
        absl::StatusOr<TimerHandle> handle = wheel.Schedule(due, static_cast<int>(sequence));
        ASSERT_TRUE(handle.ok());
        reference.pending.insert({due, sequence});
        reference.due_of[sequence] = due;
        handles.push_back({*handle, sequence});
      } else if (choice < 7 && !handles.empty()) {
        std::uniform_int_distribution<size_t> pick(0, handles.size() - 1);
        const auto [handle, sequence] = handles[pick(rng)];
        const bool expected = reference.pending.erase({reference.due_of[sequence], sequence}) == 1;
        ASSERT_EQ(wheel.Cancel(handle), expected);
      } else {
        const int64_t range_ns = int64_t{1000} << (scale(rng) * 11);
        std::uniform_int_distribution<int64_t> step_ns(0, range_ns);
        now += absl::Nanoseconds(step_ns(rng));
        std::vector<Fired> expected;
        while (!reference.pending.empty() && reference.pending.begin()->first <= now) {
          expected.push_back({reference.pending.begin()->first,
                              static_cast<int>(reference.pending.begin()->second)});
          reference.pending.erase(reference.pending.begin());
        }
        std::vector<Fired> actual;
        const size_t count = wheel.Advance(now, [&](TimerHandle, absl::Time due, int payload) {
          actual.push_back({due, payload});
        });
        ASSERT_EQ(actual, expected) << "round " << round << " step " << step;
        ASSERT_EQ(count, expected.size());
      }
      ASSERT_EQ(wheel.size(), reference.pending.size());
      if (!reference.pending.empty()) {
        ASSERT_EQ(wheel.NextDue(), reference.pending.begin()->first);
        ASSERT_LE(wheel.NextStop(), wheel.NextDue());
      } else {
        ASSERT_EQ(wheel.NextStop(), absl::InfiniteFuture());
      }
    }
  }
}

// Many timers inside one coarse tick, advanced through it in small steps: each step fires the
// due ones and keeps the rest in place. Callbacks schedule into the same tick (in and out of
// order) and cancel timers still waiting there; the reference decides what fires, and when.
TEST(TimerWheelTest, SubTickStepsThroughACrowdedTickMatchASortedSet) {
  std::mt19937_64 rng(11);
  for (int round = 0; round < 20; ++round) {
    TimerWheel<int> wheel(kOrigin, absl::Seconds(1));
    ReferenceTimers reference;
    std::map<uint64_t, TimerHandle> handle_of;
    std::uniform_int_distribution<int64_t> within_ms(0, 2999);
    const auto schedule = [&](absl::Time due) {
      const uint64_t sequence = reference.next++;
      absl::StatusOr<TimerHandle> handle = wheel.Schedule(due, static_cast<int>(sequence));
      ASSERT_TRUE(handle.ok());
      reference.pending.insert({due, sequence});
      reference.due_of[sequence] = due;
      handle_of[sequence] = *handle;
    };
    // Scheduled in random order, so some ticks start out of order; some rounds in order.
    std::vector<int64_t> offsets(400);
    for (int64_t& offset : offsets) offset = within_ms(rng);
    if (round % 2 == 1) std::sort(offsets.begin(), offsets.end());
    for (int64_t offset : offsets) schedule(kOrigin + absl::Milliseconds(offset));
    absl::Time now = kOrigin;
    std::uniform_int_distribution<int> step_ms(1, 7);
    std::uniform_int_distribution<int> action(0, 9);
    while (now < kOrigin + absl::Seconds(4)) {
      now += absl::Milliseconds(step_ms(rng));
      std::vector<Fired> expected;
      std::vector<Fired> actual;
      std::vector<uint64_t> fired_sequences;
      wheel.Advance(now, [&](TimerHandle, absl::Time due, int payload) {
        actual.push_back({due, payload});
        fired_sequences.push_back(static_cast<uint64_t>(payload));
        reference.pending.erase({due, static_cast<uint64_t>(payload)});
        const int what = action(rng);
        if (what < 3) {
          // Later in the same tick (or the next), not due in this advance.
          schedule(now + absl::Microseconds(1 + within_ms(rng) % 900 * 1000));
        } else if (what < 5 && !reference.pending.empty()) {
          const auto victim =
              std::next(reference.pending.begin(),
                        static_cast<std::ptrdiff_t>(within_ms(rng) % reference.pending.size()));
          const uint64_t sequence = victim->second;
          reference.pending.erase(victim);
          ASSERT_TRUE(wheel.Cancel(handle_of[sequence]));
        }
      });
      for (uint64_t sequence : fired_sequences) {
        expected.push_back({reference.due_of[sequence], static_cast<int>(sequence)});
        ASSERT_LE(reference.due_of[sequence], now);
      }
      // Everything due fired, and in (due, scheduling) order.
      ASSERT_TRUE(reference.pending.empty() || reference.pending.begin()->first > now)
          << "round " << round;
      ASSERT_TRUE(std::is_sorted(expected.begin(), expected.end(),
                                 [](const Fired& a, const Fired& b) {
                                   return a.due != b.due ? a.due < b.due : a.payload < b.payload;
                                 }))
          << "round " << round;
      ASSERT_EQ(actual, expected);
      ASSERT_EQ(wheel.size(), reference.pending.size());
      ASSERT_EQ(wheel.NextDue(), reference.pending.empty() ? absl::InfiniteFuture()
                                                           : reference.pending.begin()->first);
    }
  }
}

// Stepping from stop to stop (what an event loop does) fires every timer at its due instant, in
// order, and each stop makes progress: it fires something or lies beyond the previous one.
TEST(TimerWheelTest, SteppingFromStopToStopReachesEveryTimerInOrder) {
  std::mt19937_64 rng(13);
  std::uniform_int_distribution<int64_t> due_ms(0, int64_t{40} * 24 * 3600 * 1000);
  TimerWheel<int> wheel(kOrigin);
  std::vector<std::pair<absl::Time, int>> expected;
  std::vector<TimerHandle> handles;
  for (int i = 0; i < 5000; ++i) {
    const absl::Time due = kOrigin + absl::Milliseconds(due_ms(rng));
    handles.push_back(MustSchedule(wheel, due, i));
    expected.push_back({due, i});
  }
  for (int i = 0; i < 5000; i += 3) ASSERT_TRUE(wheel.Cancel(handles[i]));
  std::erase_if(expected, [](const std::pair<absl::Time, int>& e) { return e.second % 3 == 0; });
  std::stable_sort(expected.begin(), expected.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::pair<absl::Time, int>> fired;
  absl::Time previous = kOrigin;
  int stops = 0;
  for (absl::Time stop = wheel.NextStop(); stop != absl::InfiniteFuture();
       stop = wheel.NextStop()) {
    ASSERT_LT(++stops, 100000);
    ASSERT_LE(stop, wheel.NextDue());
    const size_t count = wheel.Advance(stop, [&](TimerHandle, absl::Time due, int payload) {
      EXPECT_EQ(due, stop);
      fired.push_back({due, payload});
    });
    ASSERT_TRUE(count > 0 || stop > previous) << "no progress at stop " << stops;
    previous = stop;
  }
  EXPECT_EQ(fired, expected);
  EXPECT_EQ(wheel.size(), 0u);
}

// One big step and many small steps fire the same timers in the same order.
TEST(TimerWheelTest, StepSizeDoesNotChangeWhatFires) {
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<int64_t> due_ms(0, int64_t{90} * 24 * 3600 * 1000);
  std::vector<absl::Time> dues;
  for (int i = 0; i < 20000; ++i) dues.push_back(kOrigin + absl::Milliseconds(due_ms(rng)));
  auto run = [&](absl::Duration step) {
    TimerWheel<int> wheel(kOrigin);
    for (size_t i = 0; i < dues.size(); ++i) MustSchedule(wheel, dues[i], static_cast<int>(i));
    std::vector<int> fired;
    const absl::Time end = kOrigin + absl::Hours(24 * 91);
    for (absl::Time t = kOrigin; t < end; t += step) {
      wheel.Advance(t, [&](TimerHandle, absl::Time, int payload) { fired.push_back(payload); });
    }
    wheel.Advance(end, [&](TimerHandle, absl::Time, int payload) { fired.push_back(payload); });
    return fired;
  };
  const std::vector<int> one_step = run(absl::Hours(24 * 365));
  ASSERT_EQ(one_step.size(), dues.size());
  EXPECT_EQ(run(absl::Minutes(7)), one_step);
  EXPECT_EQ(run(absl::Hours(13)), one_step);
}

// Saving and loading the state.

std::string SaveWheel(const TimerWheel<int>& wheel) {
  internal::ByteWriter out;
  wheel.SaveState(out, [](internal::ByteWriter& w, int payload) { w.Int(payload); });
  return std::string(out.bytes());
}

absl::Status LoadWheel(TimerWheel<int>& wheel, std::string_view bytes) {
  internal::ByteReader in(bytes);
  absl::Status status = wheel.LoadState(in, [](internal::ByteReader& r, int& payload) {
    absl::StatusOr<int64_t> value = r.Int();
    if (!value.ok()) return value.status();
    payload = static_cast<int>(*value);
    return absl::OkStatus();
  });
  if (status.ok() && !in.done()) return absl::InvalidArgumentError("trailing bytes");
  return status;
}

struct Firing {
  TimerHandle handle;
  absl::Time due;
  int payload;
  friend bool operator==(const Firing&, const Firing&) = default;
};

// Random schedules (near, far, past, on the same instant), cancels (some stale), advances of
// every size, and timers scheduled and cancelled from inside callbacks.
class WheelDriver {
 public:
  explicit WheelDriver(uint64_t seed) : rng_(seed) {}

  // Applies the next random step to `wheel`, recording what fired in `fired`; `handles` are the
  // handles issued so far (shared by the wheels driven in lockstep).
  void Step(TimerWheel<int>& wheel, std::vector<TimerHandle>& handles, std::vector<Firing>& fired,
            uint64_t draw, uint64_t amount) {
    const absl::Time now = wheel.now();
    switch (draw % 10) {
      case 0:
      case 1:
      case 2:
      case 3: {
        static constexpr int64_t kSpans[] = {0, 5, 999, 60'000, 3'600'000, 86'400'000 * 40LL};
        const int64_t span = kSpans[amount % 6];
        const absl::Time due = now + absl::Milliseconds(span == 0 ? 0 : (amount / 7) % span) -
                               absl::Milliseconds(amount % 11 == 0 ? 3 : 0);
        handles.push_back(MustSchedule(wheel, due, static_cast<int>(handles.size())));
        break;
      }
      case 4:
      case 5:
        if (!handles.empty()) wheel.Cancel(handles[amount % handles.size()]);
        break;
      default: {
        static constexpr int64_t kSteps[] = {0, 1, 700, 90'000, 7'200'000, 86'400'000 * 3LL};
        const absl::Time to = now + absl::Milliseconds((amount / 5) % (kSteps[amount % 6] + 1));
        wheel.Advance(to, [&](TimerHandle handle, absl::Time due, int payload) {
          fired.push_back({handle, due, payload});
          // Some callbacks schedule a timer due at once, or cancel one.
          if (payload % 17 == 0) {
            handles.push_back(MustSchedule(wheel, due, static_cast<int>(handles.size())));
          } else if (payload % 19 == 0 && !handles.empty()) {
            wheel.Cancel(handles[static_cast<size_t>(payload) % handles.size()]);
          }
        });
      }
    }
  }

  std::mt19937_64& rng() { return rng_; }

 private:
  std::mt19937_64 rng_;
};

void Step(WheelDriver& driver, TimerWheel<int>& wheel, std::vector<TimerHandle>& handles,
          std::vector<Firing>& fired, uint64_t draw, uint64_t amount) {
  driver.Step(wheel, handles, fired, draw, amount);
}

// A wheel loaded from another's saved state behaves exactly as the original from there on: the
// same timers fire in the same order with the same handles, new timers get the same handles, and
// the saved bytes of both stay equal.
TEST(TimerWheelStateTest, ALoadedWheelBehavesAsTheOriginal) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE(seed);
    WheelDriver driver(seed);
    TimerWheel<int> original(kOrigin, absl::Milliseconds(seed % 3 == 0 ? 250 : 1));
    std::vector<TimerHandle> handles;
    std::vector<Firing> fired;
    const int before = static_cast<int>(driver.rng()() % 3000);
    for (int i = 0; i < before; ++i) {
      Step(driver, original, handles, fired, driver.rng()(), driver.rng()());
    }
    const std::string saved = SaveWheel(original);
    TimerWheel<int> loaded(kOrigin, original.tick());
    ASSERT_TRUE(LoadWheel(loaded, saved).ok()) << LoadWheel(loaded, saved);
    EXPECT_EQ(SaveWheel(loaded), saved);
    EXPECT_EQ(loaded.size(), original.size());
    EXPECT_EQ(loaded.now(), original.now());
    EXPECT_EQ(loaded.NextDue(), original.NextDue());
    for (const TimerHandle handle : handles) {
      ASSERT_EQ(loaded.IsPending(handle), original.IsPending(handle));
      ASSERT_EQ(loaded.Due(handle), original.Due(handle));
    }

    std::vector<TimerHandle> loaded_handles = handles;
    std::vector<Firing> loaded_fired;
    fired.clear();
    for (int i = 0; i < 3000; ++i) {
      const uint64_t draw = driver.rng()();
      const uint64_t amount = driver.rng()();
      Step(driver, original, handles, fired, draw, amount);
      Step(driver, loaded, loaded_handles, loaded_fired, draw, amount);
      ASSERT_EQ(loaded.NextStop(), original.NextStop()) << i;
    }
    EXPECT_EQ(loaded_fired, fired);
    EXPECT_EQ(loaded_handles, handles);
    EXPECT_EQ(SaveWheel(loaded), SaveWheel(original));
    EXPECT_FALSE(fired.empty());
  }
}

TEST(TimerWheelStateTest, AnEmptyWheelRoundTrips) {
  TimerWheel<int> wheel(kOrigin);
  TimerWheel<int> loaded(kOrigin);
  ASSERT_TRUE(LoadWheel(loaded, SaveWheel(wheel)).ok());
  EXPECT_EQ(SaveWheel(loaded), SaveWheel(wheel));
  EXPECT_LT(loaded.MemoryBytes(), 1024u);
  MustSchedule(loaded, At(5), 7);
  EXPECT_THAT(AdvanceCollect(loaded, At(10)), ElementsAre(7));
}

// A wheel with another origin or tick refuses the state and keeps its own.
TEST(TimerWheelStateTest, AnotherOriginOrTickIsRefused) {
  TimerWheel<int> wheel(kOrigin);
  MustSchedule(wheel, At(5), 1);
  const std::string saved = SaveWheel(wheel);
  TimerWheel<int> other_origin(At(1));
  MustSchedule(other_origin, At(7), 2);
  absl::Status status = LoadWheel(other_origin, saved);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("origin or tick"));
  EXPECT_THAT(AdvanceCollect(other_origin, At(10)), ElementsAre(2));
  TimerWheel<int> other_tick(kOrigin, absl::Seconds(1));
  EXPECT_EQ(LoadWheel(other_tick, saved).code(), absl::StatusCode::kInvalidArgument);
}

// Every truncation is refused and changes nothing; no corruption of a byte crashes, and what
// loads keeps its invariants (it can fire everything it holds).
TEST(TimerWheelStateTest, CorruptStateIsRefusedOrConsistent) {
  WheelDriver driver(99);
  TimerWheel<int> wheel(kOrigin);
  std::vector<TimerHandle> handles;
  std::vector<Firing> fired;
  for (int i = 0; i < 400; ++i) Step(driver, wheel, handles, fired, driver.rng()(), driver.rng()());
  ASSERT_GT(wheel.size(), 0u);
  const std::string saved = SaveWheel(wheel);
  TimerWheel<int> target(kOrigin);
  MustSchedule(target, At(1), -1);
  const std::string target_before = SaveWheel(target);
  for (size_t length = 0; length < saved.size(); ++length) {
    ASSERT_FALSE(LoadWheel(target, saved.substr(0, length)).ok()) << length;
  }
  EXPECT_EQ(SaveWheel(target), target_before);
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 3000; ++trial) {
    std::string corrupt = saved;
    corrupt[rng() % corrupt.size()] ^= static_cast<char>(1 + rng() % 255);
    TimerWheel<int> loaded(kOrigin);
    if (!LoadWheel(loaded, corrupt).ok()) continue;
    const size_t pending = loaded.size();
    size_t count = 0;
    loaded.Advance(absl::InfiniteFuture(), [&](TimerHandle, absl::Time, int) { ++count; });
    EXPECT_EQ(count + loaded.size(), pending);
  }
}

// A known earliest due instant turned finite and past (one bit of its tag) made NextStop() a stop
// where Advance does nothing: a caller stepping from stop to stop spun forever.
TEST(TimerWheelStateTest, AnEarliestDueBeforeNowIsRefused) {
  TimerWheel<int> wheel(kOrigin);
  MustSchedule(wheel, At(5), 1);
  wheel.Advance(At(10), [](TimerHandle, absl::Time, int) {});
  std::string saved = SaveWheel(wheel);
  // The infinite next due instant, then kNever's ticks: zigzag INT64_MAX as LEB128.
  const size_t tag = saved.find("\x01\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x01");
  ASSERT_NE(tag, std::string::npos);
  saved[tag] = 0;
  TimerWheel<int> loaded(kOrigin);
  EXPECT_EQ(LoadWheel(loaded, saved).code(), absl::StatusCode::kInvalidArgument);
}

// Where field number `fields` of a saved state begins. The fields: origin, tick, now, now's
// instant (ticks and nanoseconds), current tick, next sequence, size, stale entries, free head,
// flags, earliest due instant (an instant, then its ticks and nanoseconds), upper slots' start.
size_t FieldAt(std::string_view saved, int fields) {
  internal::ByteReader r(saved);
  const auto skip = [&r](int field) -> bool {
    switch (field) {
      case 0:
      case 2:
      case 11:
        return r.Time().ok();
      case 1:
        return r.Duration().ok();
      case 3:
      case 12:
        return r.Int().ok();
      case 10:
        return r.U8().ok();
      default:
        return r.Var().ok();
    }
  };
  for (int field = 0; field < fields; ++field) {
    if (!skip(field)) return std::string_view::npos;
  }
  return r.position();
}

// `saved` with the unsigned field at `at` replaced by `value`.
std::string WithVar(std::string_view saved, size_t at, uint64_t value) {
  internal::ByteReader r(saved.substr(at));
  const size_t length = r.Var().ok() ? r.position() : 0;
  internal::ByteWriter w;
  w.Var(value);
  std::string out(saved);
  out.replace(at, length, w.bytes());
  return out;
}

// Between calls the current tick is now()'s, unless an Advance that had nothing to do left it
// behind, flagged (Schedule then catches up first). One behind unflagged linked new timers into
// upper slots that begin before now(): stops where Advance makes no progress.
TEST(TimerWheelStateTest, ACurrentTickBehindNowIsRefusedUnlessFlagged) {
  TimerWheel<int> wheel(kOrigin);
  MustSchedule(wheel, At(5), 1);
  EXPECT_THAT(AdvanceCollect(wheel, At(10)), ElementsAre(1));
  const std::string saved = SaveWheel(wheel);
  const size_t current_tick = FieldAt(saved, 5);
  ASSERT_NE(current_tick, std::string::npos);
  TimerWheel<int> loaded(kOrigin);
  ASSERT_TRUE(LoadWheel(loaded, WithVar(saved, current_tick, 10'000)).ok());
  const absl::Status status = LoadWheel(loaded, WithVar(saved, current_tick, 9'999));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("behind now"));
}

// Advance reaches a timer through the slot its due instant falls in. One listed in a later slot
// (its due instant moved earlier) was not fired at its due instant: NextStop() then stayed there
// while Advance did nothing, and a caller stepping from stop to stop spun forever.
TEST(TimerWheelStateTest, ATimerInASlotItsDueInstantIsNotInIsRefused) {
  TimerWheel<int> wheel(kOrigin);
  EXPECT_THAT(AdvanceCollect(wheel, At(100)), IsEmpty());  // a few ticks ahead: one-tick slots
  const TimerHandle first = MustSchedule(wheel, At(100.005), 1);
  MustSchedule(wheel, At(100.008), 2);
  ASSERT_TRUE(wheel.Cancel(first));  // the earliest due instant is then found again
  const std::string saved = SaveWheel(wheel);
  // The second timer's due instant (ticks of 1 ms, no nanoseconds past) and sequence: first in
  // its node, then as its slot's last.
  const auto node = [](int64_t ticks) {
    internal::ByteWriter w;
    w.Int(ticks);
    w.Var(0);
    w.Var(1);
    return std::string(w.bytes());
  };
  const size_t at = saved.find(node(100'008));
  ASSERT_NE(at, std::string::npos);
  std::string moved = saved;
  moved.replace(at, node(100'008).size(), node(100'003));
  TimerWheel<int> loaded(kOrigin);
  const absl::Status status = LoadWheel(loaded, moved);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("slot"));
}

// Advance skips cascading before the bound on the upper slots' starts. A bound above the first
// upper slot let the current tick pass that slot uncascaded, and its timers then went to ticks
// they do not belong to.
TEST(TimerWheelStateTest, AnUpperSlotBoundAboveTheFirstUpperSlotIsRefused) {
  TimerWheel<int> wheel(kOrigin);
  MustSchedule(wheel, At(3600), 1);
  EXPECT_THAT(AdvanceCollect(wheel, At(10)), IsEmpty());
  const std::string saved = SaveWheel(wheel);
  const size_t bound = FieldAt(saved, 14);
  ASSERT_NE(bound, std::string::npos);
  TimerWheel<int> loaded(kOrigin);
  ASSERT_TRUE(LoadWheel(loaded, WithVar(saved, bound, 0)).ok());
  const absl::Status status =
      LoadWheel(loaded, WithVar(saved, bound, std::numeric_limits<uint64_t>::max()));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("upper slot"));
}

// A slot flagged as listed in firing order fires as listed. Flagged so while it is not, its
// timers fired out of order, and one not yet due listed ahead of due ones held them back.
TEST(TimerWheelStateTest, ASlotWronglyFlaggedInFiringOrderIsRefused) {
  TimerWheel<int> wheel(kOrigin, absl::Milliseconds(250));
  MustSchedule(wheel, At(1.2), 1);
  MustSchedule(wheel, At(1.1), 2);  // the same tick, due first
  std::string saved = SaveWheel(wheel);
  // The state ends with that slot's order: the flag, the last timer's due instant (tick 4 and
  // 100 ms past it) and sequence.
  internal::ByteWriter order;
  order.U8(0);
  order.Int(4);
  order.Var(100'000'000);
  order.Var(1);
  ASSERT_TRUE(saved.ends_with(order.bytes()));
  saved[saved.size() - order.bytes().size()] = 1;
  TimerWheel<int> loaded(kOrigin, absl::Milliseconds(250));
  const absl::Status status = LoadWheel(loaded, saved);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("firing order"));
}

}  // namespace
}  // namespace omniroute
