#include "omniroute/work_queue.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "internal/byte_codec.h"
#include "internal/state_codec.h"
#include "omniroute/skills.h"

namespace omniroute {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

absl::Time At(absl::Duration offset) { return kStart + offset; }

WorkQueue MustQueue(const WorkQueueOptions& options, absl::Time now = kStart) {
  absl::StatusOr<WorkQueue> queue = WorkQueue::Create(options, now);
  EXPECT_TRUE(queue.ok()) << queue.status();
  return *std::move(queue);
}

void MustPush(WorkQueue& queue, WorkItemId id, int priority, absl::Time arrival,
              absl::Time deadline = absl::InfiniteFuture(),
              std::shared_ptr<const RequirementPlan> plan = nullptr) {
  absl::Status status = queue.Push(id, {priority, arrival, deadline, std::move(plan)});
  ASSERT_TRUE(status.ok()) << status;
}

std::vector<WorkItemId> PopAll(WorkQueue& queue) {
  std::vector<WorkItemId> order;
  while (!queue.empty()) {
    absl::StatusOr<WorkItemId> id = queue.Pop();
    EXPECT_TRUE(id.ok());
    order.push_back(*id);
  }
  return order;
}

TEST(QueueOrderTest, NamesRoundTripAndUnknownNamesAreRefused) {
  for (QueueOrder order :
       {QueueOrder::kPriorityFifo, QueueOrder::kDeadlineFirst, QueueOrder::kWeightedAging}) {
    EXPECT_EQ(*ParseQueueOrder(QueueOrderName(order)), order);
  }
  absl::StatusOr<QueueOrder> bad = ParseQueueOrder("fifo");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("\"fifo\""));
  EXPECT_THAT(bad.status().message(), HasSubstr("weighted_aging"));
}

TEST(WorkQueueOptionsTest, RejectsInvalidOptions) {
  const auto rejected = [](auto mutate, const std::string& field) {
    WorkQueueOptions options;
    mutate(options);
    absl::Status status = ValidateWorkQueueOptions(options);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << field;
    EXPECT_THAT(status.message(), HasSubstr(field));
    EXPECT_FALSE(WorkQueue::Create(options, kStart).ok());
  };
  rejected([](WorkQueueOptions& o) { o.priority_levels = 0; }, "priority_levels");
  rejected([](WorkQueueOptions& o) { o.priority_levels = kMaxPriorityLevels + 1; },
           "priority_levels");
  rejected([](WorkQueueOptions& o) { o.aging_weight = absl::Seconds(-1); }, "aging_weight");
  rejected([](WorkQueueOptions& o) { o.aging_weight = absl::InfiniteDuration(); }, "aging_weight");
  rejected([](WorkQueueOptions& o) { o.max_wait = absl::Seconds(-1); }, "max_wait");
  rejected([](WorkQueueOptions& o) { o.max_wait_by_priority = {absl::Minutes(1)}; },
           "max_wait_by_priority");
  rejected(
      [](WorkQueueOptions& o) {
        o.max_wait_by_priority = {absl::Minutes(1), absl::Seconds(-1), absl::Minutes(1)};
      },
      "max_wait_by_priority[1]");
  rejected([](WorkQueueOptions& o) { o.order = static_cast<QueueOrder>(7); }, "order");
  EXPECT_TRUE(ValidateWorkQueueOptions(WorkQueueOptions{}).ok());
  EXPECT_FALSE(WorkQueue::Create(WorkQueueOptions{}, absl::InfiniteFuture()).ok());
}

TEST(WorkQueueTest, PriorityFifoServesStrictPriorityThenArrivalThenPushOrder) {
  WorkQueue queue = MustQueue({});
  ASSERT_TRUE(queue.AdvanceTo(At(absl::Minutes(10))).ok());
  MustPush(queue, 1, 2, At(absl::Minutes(1)));
  MustPush(queue, 2, 0, At(absl::Minutes(5)));
  MustPush(queue, 3, 1, At(absl::Minutes(2)));
  MustPush(queue, 4, 0, At(absl::Minutes(3)));
  MustPush(queue, 5, 0, At(absl::Minutes(3)));  // same arrival as 4: push order
  MustPush(queue, 6, 2, At(absl::Minutes(0)));  // requeued with an older arrival
  EXPECT_EQ(queue.Top(), 4u);
  EXPECT_THAT(queue.InOrder(), ElementsAre(4, 5, 2, 3, 6, 1));
  EXPECT_THAT(PopAll(queue), ElementsAre(4, 5, 2, 3, 6, 1));
  EXPECT_FALSE(queue.Top().has_value());
  EXPECT_EQ(queue.Pop().status().code(), absl::StatusCode::kNotFound);
}

// VisitRanks gives every queued item once with the rank RankOf gives it, overdue ones included,
// and skips removed items whose slots are free.
TEST(WorkQueueTest, VisitRanksVisitsEveryQueuedItemWithItsRank) {
  WorkQueue queue = MustQueue({.max_wait_by_priority = {absl::Minutes(5), absl::InfiniteDuration(),
                                                        absl::InfiniteDuration()}});
  ASSERT_TRUE(queue.AdvanceTo(At(absl::Minutes(10))).ok());
  for (WorkItemId id = 1; id <= 8; ++id) {
    MustPush(queue, id, static_cast<int>(id % 3), At(absl::Minutes(static_cast<int64_t>(id))));
  }
  ASSERT_TRUE(queue.Erase(2).ok());
  ASSERT_TRUE(queue.Erase(5).ok());
  ASSERT_TRUE(queue.Pop().ok());                             // item 3, overdue since minute 8
  ASSERT_TRUE(queue.AdvanceTo(At(absl::Minutes(12))).ok());  // item 6 overdue since minute 11
  std::map<WorkItemId, QueueRank> visited;
  queue.VisitRanks([&](WorkItemId id, const QueueRank& rank) {
    EXPECT_TRUE(visited.emplace(id, rank).second) << "item " << id << " visited twice";
  });
  ASSERT_EQ(visited.size(), queue.size());
  size_t overdue = 0;
  for (const WorkItemId id : queue.InOrder()) {
    ASSERT_TRUE(visited.contains(id)) << id;
    EXPECT_EQ(visited[id], *queue.RankOf(id)) << id;
    overdue += visited[id].overdue ? 1 : 0;
  }
  EXPECT_GT(overdue, 0u);
}

TEST(WorkQueueTest, DeadlineFirstWithItemsWithoutDeadlinesLast) {
  WorkQueue queue = MustQueue({.order = QueueOrder::kDeadlineFirst});
  ASSERT_TRUE(queue.AdvanceTo(At(absl::Minutes(10))).ok());
  MustPush(queue, 1, 0, At(absl::Minutes(1)), At(absl::Minutes(40)));
  MustPush(queue, 2, 2, At(absl::Minutes(2)), At(absl::Minutes(20)));
  MustPush(queue, 3, 0, At(absl::Minutes(3)));
  MustPush(queue, 4, 1, At(absl::Minutes(0)), At(absl::Minutes(40)));  // tie: earlier arrival
  MustPush(queue, 5, 1, At(absl::Minutes(0)));
  EXPECT_THAT(queue.InOrder(), ElementsAre(2, 4, 1, 5, 3));
  // An SLA clock paused: item 2's deadline moves out; item 3 gets one.
  ASSERT_TRUE(queue.SetDeadline(2, At(absl::Minutes(50))).ok());
  ASSERT_TRUE(queue.SetDeadline(3, At(absl::Minutes(15))).ok());
  EXPECT_THAT(queue.InOrder(), ElementsAre(3, 4, 1, 2, 5));
  EXPECT_EQ(queue.Find(3)->deadline, At(absl::Minutes(15)));
  EXPECT_THAT(PopAll(queue), ElementsAre(3, 4, 1, 2, 5));
}

TEST(WorkQueueTest, WeightedAgingTradesPriorityForWaitingTime) {
  // Three levels, one level = 10 virtual minutes: an A item counts 20 minutes more waiting than a
  // C item, a B item 10 more.
  WorkQueue queue = MustQueue({.order = QueueOrder::kWeightedAging,
                               .priority_levels = 3,
                               .aging_weight = absl::Minutes(10)});
  ASSERT_TRUE(queue.AdvanceTo(At(absl::Minutes(60))).ok());
  MustPush(queue, 1, 2, At(absl::Minutes(0)));   // C, waited 60: virtual 60
  MustPush(queue, 2, 0, At(absl::Minutes(15)));  // A, waited 45: virtual 65
  MustPush(queue, 3, 0, At(absl::Minutes(25)));  // A, waited 35: virtual 55
  MustPush(queue, 4, 1, At(absl::Minutes(10)));  // B, waited 50: virtual 60, arrived after 1
  MustPush(queue, 5, 1, At(absl::Minutes(5)));   // B, waited 55: virtual 65, arrived before 2
  EXPECT_THAT(queue.InOrder(), ElementsAre(5, 2, 1, 4, 3));
  const std::vector<WorkItemId> order = queue.InOrder();
  for (size_t place = 0; place < order.size(); ++place) {
    EXPECT_EQ(queue.PositionOf(order[place]), place);
  }
  EXPECT_FALSE(queue.PositionOf(99).has_value());
  // The order does not change as time passes (every virtual wait grows alike).
  ASSERT_TRUE(queue.AdvanceTo(At(absl::Hours(30))).ok());
  EXPECT_THAT(PopAll(queue), ElementsAre(5, 2, 1, 4, 3));
}

TEST(WorkQueueTest, WeightedAgingWithZeroWeightIsFirstComeFirstServed) {
  WorkQueue queue =
      MustQueue({.order = QueueOrder::kWeightedAging, .aging_weight = absl::ZeroDuration()});
  ASSERT_TRUE(queue.AdvanceTo(At(absl::Minutes(10))).ok());
  MustPush(queue, 1, 2, At(absl::Minutes(1)));
  MustPush(queue, 2, 0, At(absl::Minutes(2)));
  MustPush(queue, 3, 1, At(absl::Minutes(1)));
  EXPECT_THAT(PopAll(queue), ElementsAre(1, 3, 2));
}

// One new A item a minute and one item served a minute: under strict priority the C item never
// leaves; under weighted aging it leaves once its virtual wait beats a fresh A item's.
int MinutesUntilServed(const WorkQueueOptions& options, int minutes) {
  WorkQueue queue = MustQueue(options);
  MustPush(queue, 1000000, 2, kStart);
  for (int minute = 0; minute < minutes; ++minute) {
    const absl::Time now = At(absl::Minutes(minute));
    EXPECT_TRUE(queue.AdvanceTo(now).ok());
    MustPush(queue, minute, 0, now);
    absl::StatusOr<WorkItemId> served = queue.Pop();
    EXPECT_TRUE(served.ok());
    if (*served == 1000000) return minute;
  }
  return -1;
}

TEST(WorkQueueTest, WeightedAgingIsStarvationFree) {
  EXPECT_EQ(MinutesUntilServed({.order = QueueOrder::kPriorityFifo}, 500), -1);
  // Bonus of a fresh A item over C: 2 levels x 30 min = 60 min. At minute 60 both have virtual
  // wait 60, and C arrived first.
  EXPECT_EQ(MinutesUntilServed({.order = QueueOrder::kWeightedAging,
                                .priority_levels = 3,
                                .aging_weight = absl::Minutes(30)},
                               500),
            60);
}

TEST(WorkQueueTest, MaximumWaitStopsStarvationUnderStrictPriority) {
  WorkQueueOptions options{.order = QueueOrder::kPriorityFifo};
  options.max_wait_by_priority = {absl::InfiniteDuration(), absl::InfiniteDuration(),
                                  absl::Minutes(45)};
  EXPECT_EQ(MinutesUntilServed(options, 500), 45);
  options.max_wait_by_priority.clear();
  options.max_wait = absl::Minutes(20);
  // Every A item waits 0 minutes when served, so the C item is the only one to become overdue.
  EXPECT_EQ(MinutesUntilServed(options, 500), 20);
}

TEST(WorkQueueTest, OverdueItemsGoFirstInTheOrderTheyBecameOverdue) {
  WorkQueueOptions options{.order = QueueOrder::kPriorityFifo};
  options.max_wait_by_priority = {absl::Minutes(5), absl::Minutes(30), absl::Minutes(60)};
  WorkQueue queue = MustQueue(options);
  ASSERT_TRUE(queue.AdvanceTo(At(absl::Minutes(10))).ok());
  MustPush(queue, 1, 2, At(absl::Minutes(0)));   // overdue at 60
  MustPush(queue, 2, 1, At(absl::Minutes(1)));   // overdue at 31
  MustPush(queue, 3, 0, At(absl::Minutes(9)));   // overdue at 14
  MustPush(queue, 4, 0, At(absl::Minutes(10)));  // overdue at 15
  EXPECT_EQ(queue.OverdueCount(), 0u);
  EXPECT_THAT(queue.InOrder(), ElementsAre(3, 4, 2, 1));
  EXPECT_EQ(queue.Find(2)->overdue_at, At(absl::Minutes(31)));
  ASSERT_TRUE(queue.AdvanceTo(At(absl::Minutes(31))).ok());
  // 3 (14), 4 (15) and 2 (31) are overdue; 1 is not yet.
  EXPECT_EQ(queue.OverdueCount(), 3u);
  EXPECT_THAT(queue.InOrder(), ElementsAre(3, 4, 2, 1));
  MustPush(queue, 5, 0, At(absl::Minutes(31)));
  EXPECT_THAT(queue.InOrder(), ElementsAre(3, 4, 2, 5, 1));
  ASSERT_TRUE(queue.AdvanceTo(At(absl::Minutes(60))).ok());
  // 5 became overdue at 36, 1 at 60.
  EXPECT_THAT(queue.InOrder(), ElementsAre(3, 4, 2, 5, 1));
  EXPECT_EQ(queue.Top(), 3u);
  ASSERT_TRUE(queue.Erase(3).ok());
  ASSERT_TRUE(queue.Erase(4).ok());
  EXPECT_EQ(queue.Top(), 2u);
  EXPECT_THAT(PopAll(queue), ElementsAre(2, 5, 1));
}

TEST(WorkQueueTest, ViewsCountsAndLongestWait) {
  WorkQueue queue = MustQueue({});
  EXPECT_EQ(queue.OldestArrival(), absl::InfiniteFuture());
  EXPECT_EQ(queue.LongestWait(), absl::ZeroDuration());
  ASSERT_TRUE(queue.AdvanceTo(At(absl::Minutes(10))).ok());
  MustPush(queue, 1, 2, At(absl::Minutes(2)));
  MustPush(queue, 2, 0, At(absl::Minutes(4)));
  MustPush(queue, 3, 0, At(absl::Minutes(6)));
  EXPECT_EQ(queue.size(), 3u);
  EXPECT_EQ(queue.CountWithPriority(0), 2u);
  EXPECT_EQ(queue.CountWithPriority(1), 0u);
  EXPECT_EQ(queue.CountWithPriority(2), 1u);
  EXPECT_EQ(queue.CountWithPriority(3), 0u);
  EXPECT_EQ(queue.CountWithPriority(-1), 0u);
  EXPECT_EQ(queue.OldestArrival(), At(absl::Minutes(2)));
  EXPECT_EQ(queue.LongestWait(), absl::Minutes(8));
  // The oldest item is last in priority order; removing it moves the longest wait.
  ASSERT_TRUE(queue.Erase(1).ok());
  EXPECT_EQ(queue.LongestWait(), absl::Minutes(6));
  ASSERT_TRUE(queue.SetPriority(3, 1).ok());
  EXPECT_EQ(queue.CountWithPriority(0), 1u);
  EXPECT_EQ(queue.CountWithPriority(1), 1u);
  EXPECT_GE(queue.MemoryBytes(), 2 * IndexedHeap<int64_t>::kBytesPerElement);
}

TEST(WorkQueueTest, SetPriorityReordersAndMovesTheMaximumWait) {
  WorkQueueOptions options{.order = QueueOrder::kPriorityFifo};
  options.max_wait_by_priority = {absl::Minutes(5), absl::InfiniteDuration(),
                                  absl::InfiniteDuration()};
  WorkQueue queue = MustQueue(options);
  ASSERT_TRUE(queue.AdvanceTo(At(absl::Minutes(10))).ok());
  MustPush(queue, 1, 0, At(absl::Minutes(9)));
  MustPush(queue, 2, 2, At(absl::Minutes(0)));
  EXPECT_THAT(queue.InOrder(), ElementsAre(1, 2));
  // Escalated to A: its 5 minute maximum has passed, so it is overdue at once.
  ASSERT_TRUE(queue.SetPriority(2, 0).ok());
  EXPECT_EQ(queue.Find(2)->overdue_at, At(absl::Minutes(5)));
  EXPECT_EQ(queue.OverdueCount(), 1u);
  EXPECT_THAT(queue.InOrder(), ElementsAre(2, 1));
  ASSERT_TRUE(queue.SetPriority(2, 1).ok());
  EXPECT_EQ(queue.Find(2)->overdue_at, absl::InfiniteFuture());
  EXPECT_THAT(queue.InOrder(), ElementsAre(1, 2));
}

TEST(WorkQueueTest, RefusedCallsChangeNothing) {
  WorkQueue queue = MustQueue({.order = QueueOrder::kDeadlineFirst});
  ASSERT_TRUE(queue.AdvanceTo(At(absl::Minutes(10))).ok());
  MustPush(queue, 1, 1, At(absl::Minutes(1)), At(absl::Minutes(30)));
  MustPush(queue, 2, 0, At(absl::Minutes(2)));
  const std::vector<WorkItemId> before = queue.InOrder();
  const std::optional<QueuedItemView> item1 = queue.Find(1);

  absl::Status duplicate = queue.Push(1, {0, At(absl::Minutes(3))});
  EXPECT_EQ(duplicate.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(duplicate.message(), HasSubstr("1"));
  EXPECT_EQ(queue.Push(3, {3, At(absl::Minutes(3))}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(queue.Push(3, {-1, At(absl::Minutes(3))}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(queue.Push(3, {0, At(absl::Minutes(11))}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(queue.Push(3, {0, absl::InfinitePast()}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(queue.Push(3, {0, At(absl::Minutes(3)), absl::InfinitePast()}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(queue.Erase(3).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(queue.SetPriority(3, 0).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(queue.SetPriority(1, 5).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(queue.SetDeadline(3, kStart).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(queue.SetDeadline(1, absl::InfinitePast()).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(queue.SetRequirement(3, nullptr).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(queue.AdvanceTo(At(absl::Minutes(9))).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(queue.AdvanceTo(absl::InfiniteFuture()).code(), absl::StatusCode::kInvalidArgument);

  EXPECT_EQ(queue.InOrder(), before);
  EXPECT_EQ(queue.size(), 2u);
  EXPECT_FALSE(queue.Contains(3));
  EXPECT_EQ(queue.now(), At(absl::Minutes(10)));
  EXPECT_EQ(queue.Find(1)->deadline, item1->deadline);
  EXPECT_EQ(queue.Find(1)->priority, item1->priority);
  EXPECT_EQ(queue.CountWithPriority(1), 1u);
}

// Skills for the relaxation tests: billing at levels, a second-line billing tag, Chinese, trainee.
struct Skills {
  SkillCatalog catalog;
  SkillId billing, billing_l1, zh, trainee;
};

Skills MakeSkills() {
  Skills s;
  s.billing = *s.catalog.Add("billing");
  s.billing_l1 = *s.catalog.Add("billing_l1");
  s.zh = *s.catalog.Add("zh");
  s.trainee = *s.catalog.Add("trainee");
  return s;
}

std::shared_ptr<const RequirementPlan> MustPlan(const SkillCatalog& catalog,
                                                const RequirementSpec& spec) {
  absl::StatusOr<RequirementPlan> plan = RequirementPlan::Create(spec, catalog);
  EXPECT_TRUE(plan.ok()) << plan.status();
  return std::make_shared<const RequirementPlan>(*std::move(plan));
}

// Billing at level 6, lowered to 3 after 2 minutes and, as the second of `steps`, to 1 after 5.
std::shared_ptr<const RequirementPlan> BillingPlan(const Skills& s, int steps) {
  RequirementSpec spec{.must = {{s.billing, 6}},
                       .steps = {RelaxationStep::LowerLevel(absl::Minutes(2), s.billing, 3),
                                 RelaxationStep::LowerLevel(absl::Minutes(5), s.billing, 1)}};
  spec.steps.resize(static_cast<size_t>(steps));
  return MustPlan(s.catalog, spec);
}

TEST(WorkQueueTest, RelaxationMovesItemsBetweenClassesAndRecordsEvents) {
  const Skills s = MakeSkills();
  // billing 6 and zh 3, no trainees; after 2 min billing 3; after 5 min billing_l1 will do too;
  // after 8 min trainees are welcome.
  const auto plan = MustPlan(
      s.catalog, {.must = {{s.billing, 6}, {s.zh, 3}},
                  .excluded = {s.trainee},
                  .steps = {RelaxationStep::LowerLevel(absl::Minutes(2), s.billing, 3),
                            RelaxationStep::Widen(absl::Minutes(5), s.billing, s.billing_l1, 1),
                            RelaxationStep::Drop(absl::Minutes(8), s.trainee)}});
  const auto plain =
      MustPlan(s.catalog, {.must = {{s.billing, 3}, {s.zh, 3}}, .excluded = {s.trainee}});
  WorkQueue queue = MustQueue({});
  MustPush(queue, 1, 1, kStart, absl::InfiniteFuture(), plan);
  MustPush(queue, 2, 1, kStart, absl::InfiniteFuture(), plain);
  MustPush(queue, 3, 0, kStart);  // anyone
  EXPECT_EQ(queue.class_count(), 3u);
  const RequirementClassId start_class = queue.Find(1)->requirement_class;
  const RequirementClassId plain_class = queue.Find(2)->requirement_class;
  EXPECT_EQ(*queue.ClassRequirement(start_class), plan->Effective(0));
  EXPECT_EQ(queue.ClassHead(start_class), 1u);
  EXPECT_EQ(queue.NextRelaxationDue(), At(absl::Minutes(2)));

  ASSERT_TRUE(queue.AdvanceTo(At(absl::Minutes(3))).ok());
  // After the first step item 1 needs what item 2 needs: they share a class, in arrival order.
  EXPECT_EQ(queue.Find(1)->requirement_class, plain_class);
  EXPECT_EQ(queue.Find(1)->steps_applied, 1);
  EXPECT_EQ(queue.class_count(), 2u);
  EXPECT_EQ(queue.ClassSize(plain_class), 2u);
  EXPECT_EQ(queue.ClassHead(plain_class), 1u);
  EXPECT_EQ(queue.ClassRequirement(start_class), nullptr);
  EXPECT_THAT(queue.PollEvents(), ElementsAre(RequirementRelaxed{1, At(absl::Minutes(2)), 1,
                                                                 start_class, plain_class}));
  EXPECT_TRUE(queue.PollEvents().empty());

  // Both remaining steps come due within one advance, each an event, in order.
  ASSERT_TRUE(queue.AdvanceTo(At(absl::Minutes(9))).ok());
  std::vector<RequirementRelaxed> events = queue.PollEvents();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].at, At(absl::Minutes(5)));
  EXPECT_EQ(events[0].steps_applied, 2);
  EXPECT_EQ(events[0].from_class, plain_class);
  EXPECT_EQ(events[1].at, At(absl::Minutes(8)));
  EXPECT_EQ(events[1].steps_applied, 3);
  EXPECT_EQ(events[1].from_class, events[0].to_class);
  const RequirementClassId final_class = queue.Find(1)->requirement_class;
  EXPECT_EQ(events[1].to_class, final_class);
  EXPECT_EQ(*queue.ClassRequirement(final_class), plan->Effective(3));
  EXPECT_EQ(queue.FindClass(plan->Effective(3)), final_class);
  EXPECT_EQ(queue.NextRelaxationDue(), absl::InfiniteFuture());
  // The queue's order ignores classes.
  EXPECT_THAT(queue.InOrder(), ElementsAre(3, 1, 2));
}

TEST(WorkQueueTest, ItemsThatAlreadyWaitedStartRelaxedAndNewRequirementsCountFromNow) {
  const Skills s = MakeSkills();
  const auto plan = BillingPlan(s, /*steps=*/2);
  WorkQueue queue = MustQueue({}, At(absl::Minutes(3)));
  // Transferred in with its original arrival: one step is already due, silently.
  MustPush(queue, 1, 1, kStart, absl::InfiniteFuture(), plan);
  EXPECT_EQ(queue.Find(1)->steps_applied, 1);
  EXPECT_EQ(*queue.ClassRequirement(queue.Find(1)->requirement_class), plan->Effective(1));
  EXPECT_TRUE(queue.PollEvents().empty());
  EXPECT_EQ(queue.NextRelaxationDue(), At(absl::Minutes(5)));

  // Escalation replaces the plan at minute 4; its steps count from then.
  ASSERT_TRUE(queue.AdvanceTo(At(absl::Minutes(4))).ok());
  ASSERT_TRUE(queue.SetRequirement(1, plan).ok());
  EXPECT_EQ(queue.Find(1)->steps_applied, 0);
  EXPECT_EQ(queue.NextRelaxationDue(), At(absl::Minutes(6)));
  ASSERT_TRUE(queue.AdvanceTo(At(absl::Minutes(9))).ok());
  std::vector<RequirementRelaxed> events = queue.PollEvents();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].at, At(absl::Minutes(6)));
  EXPECT_EQ(events[1].at, At(absl::Minutes(9)));
  // Dropping the requirement: anyone.
  ASSERT_TRUE(queue.SetRequirement(1, nullptr).ok());
  EXPECT_TRUE(queue.ClassRequirement(queue.Find(1)->requirement_class)->matches_all());
  // Erasing a relaxing item cancels its timers.
  MustPush(queue, 2, 1, At(absl::Minutes(9)), absl::InfiniteFuture(), plan);
  ASSERT_TRUE(queue.Erase(2).ok());
  ASSERT_TRUE(queue.AdvanceTo(At(absl::Hours(1))).ok());
  EXPECT_TRUE(queue.PollEvents().empty());
}

// 320 skills: requirements on ids above 256; an agent looking for work takes the best head among
// the classes it matches, which must be the first item in queue order it may take.
TEST(WorkQueueTest, AgentsFindTheirBestItemThroughClassHeadsOverThreeHundredSkills) {
  SkillCatalog catalog;
  for (int i = 0; i < 320; ++i) ASSERT_TRUE(catalog.Add(absl::StrCat("skill_", i)).ok());
  std::mt19937_64 rng(99);
  const auto random_skill = [&rng] { return std::uniform_int_distribution<SkillId>(0, 319)(rng); };
  std::vector<std::shared_ptr<const RequirementPlan>> plans;
  for (int r = 0; r < 12; ++r) {
    RequirementSpec spec;
    const SkillId a = 250 + r;
    const SkillId b = random_skill();
    spec.must.push_back({a, 1 + r % 5});
    if (b != a && b != 300) spec.must.push_back({b, 2});
    if (r % 3 == 0 && a != 300 && b != 300) spec.excluded.push_back(300);  // trainee
    plans.push_back(MustPlan(catalog, spec));
  }
  WorkQueue queue = MustQueue({.order = QueueOrder::kWeightedAging}, At(absl::Hours(2)));
  for (WorkItemId id = 0; id < 400; ++id) {
    MustPush(queue, id, static_cast<int>(id % 3),
             At(absl::Seconds(std::uniform_int_distribution<int>(0, 7200)(rng))),
             absl::InfiniteFuture(), plans[id % plans.size()]);
  }
  EXPECT_LE(queue.class_count(), plans.size());
  for (int agent_index = 0; agent_index < 200; ++agent_index) {
    SkillSet agent;
    for (int k = 0; k < 40; ++k) {
      ASSERT_TRUE(agent.Set(random_skill(), std::uniform_int_distribution<int>(1, 10)(rng)).ok());
    }
    std::optional<WorkItemId> expected;
    for (WorkItemId id : queue.InOrder()) {
      if (queue.ClassRequirement(queue.Find(id)->requirement_class)->Matches(agent)) {
        expected = id;
        break;
      }
    }
    std::optional<RequirementClassId> best;
    queue.ForEachClass([&](RequirementClassId id, const Requirement& requirement, size_t items) {
      EXPECT_GT(items, 0u);
      if (!requirement.Matches(agent)) return;
      if (!best.has_value() || queue.HeadRank(id) < queue.HeadRank(*best)) best = id;
    });
    ASSERT_EQ(expected.has_value(), best.has_value());
    if (best.has_value()) {
      EXPECT_EQ(queue.ClassHead(*best), expected);
      ASSERT_TRUE(queue.Erase(*expected).ok());
    }
  }
}

// The reference: every item in a vector; the order computed from the rules as stated, with
// durations rather than constant keys.
struct ReferenceItem {
  WorkItemId id;
  int priority;
  absl::Time arrival;
  absl::Time deadline;
  uint64_t sequence;
  std::shared_ptr<const RequirementPlan> plan;
  absl::Time relax_origin;
  uint32_t channel;
};

class ReferenceQueue {
 public:
  explicit ReferenceQueue(WorkQueueOptions options) : options_(std::move(options)) {}

  absl::Duration MaxWait(int priority) const {
    return options_.max_wait_by_priority.empty() ? options_.max_wait
                                                 : options_.max_wait_by_priority[priority];
  }
  bool Overdue(const ReferenceItem& item, absl::Time now) const {
    return MaxWait(item.priority) != absl::InfiniteDuration() &&
           now - item.arrival >= MaxWait(item.priority);
  }
  // Whether a is served before b at `now`.
  bool Before(const ReferenceItem& a, const ReferenceItem& b, absl::Time now) const {
    const bool a_overdue = Overdue(a, now), b_overdue = Overdue(b, now);
    if (a_overdue != b_overdue) return a_overdue;
    const auto tie = [&] {
      return std::tie(a.arrival, a.sequence) < std::tie(b.arrival, b.sequence);
    };
    if (a_overdue) {
      const absl::Time a_due = a.arrival + MaxWait(a.priority);
      const absl::Time b_due = b.arrival + MaxWait(b.priority);
      if (a_due != b_due) return a_due < b_due;
      return tie();
    }
    switch (options_.order) {
      case QueueOrder::kPriorityFifo:
        if (a.priority != b.priority) return a.priority < b.priority;
        return tie();
      case QueueOrder::kDeadlineFirst:
        if (a.deadline != b.deadline) return a.deadline < b.deadline;
        return tie();
      case QueueOrder::kWeightedAging: {
        const int top = options_.priority_levels - 1;
        const absl::Duration a_virtual =
            (now - a.arrival) + options_.aging_weight * (top - a.priority);
        const absl::Duration b_virtual =
            (now - b.arrival) + options_.aging_weight * (top - b.priority);
        if (a_virtual != b_virtual) return a_virtual > b_virtual;
        return tie();
      }
    }
    return false;
  }
  std::vector<WorkItemId> InOrder(absl::Time now) const {
    std::vector<ReferenceItem> sorted = items;
    std::sort(sorted.begin(), sorted.end(),
              [&](const ReferenceItem& a, const ReferenceItem& b) { return Before(a, b, now); });
    std::vector<WorkItemId> ids;
    for (const ReferenceItem& item : sorted) ids.push_back(item.id);
    return ids;
  }
  ReferenceItem* Find(WorkItemId id) {
    for (ReferenceItem& item : items) {
      if (item.id == id) return &item;
    }
    return nullptr;
  }

  std::vector<ReferenceItem> items;

 private:
  WorkQueueOptions options_;
};

// No plan; billing 5; billing 8 and zh 2, relaxed twice; zh 2 without trainees, relaxed twice.
std::vector<std::shared_ptr<const RequirementPlan>> RandomTestPlans(const Skills& s) {
  return {nullptr, MustPlan(s.catalog, {.must = {{s.billing, 5}}}),
          MustPlan(s.catalog, {.must = {{s.billing, 8}, {s.zh, 2}},
                               .steps = {RelaxationStep::LowerLevel(absl::Minutes(3), s.billing, 5),
                                         RelaxationStep::Drop(absl::Minutes(7), s.zh)}}),
          MustPlan(s.catalog, {.must = {{s.zh, 2}},
                               .excluded = {s.trainee},
                               .steps = {RelaxationStep::Drop(absl::Minutes(1), s.trainee),
                                         RelaxationStep::Drop(absl::Minutes(4), s.zh)}})};
}

void RunRandomOperations(const WorkQueueOptions& options, uint64_t seed) {
  SCOPED_TRACE(absl::StrCat(std::string(QueueOrderName(options.order)), " seed ", seed));
  const Skills s = MakeSkills();
  const std::vector<std::shared_ptr<const RequirementPlan>> plans = RandomTestPlans(s);
  WorkQueue queue = MustQueue(options);
  ReferenceQueue reference(options);
  std::mt19937_64 rng(seed);
  const auto uniform = [&rng](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  absl::Time now = kStart;
  uint64_t sequence = 0;
  WorkItemId next_id = 0;
  size_t relaxations = 0;
  for (int step = 0; step < 3000; ++step) {
    const int op = uniform(0, 99);
    if (op < 35 || reference.items.empty()) {
      // Mostly fresh arrivals, some requeued with an older arrival, some duplicates.
      const bool duplicate = !reference.items.empty() && uniform(0, 19) == 0;
      const WorkItemId id =
          duplicate ? reference.items[uniform(0, reference.items.size() - 1)].id : next_id++;
      const int priority = uniform(0, options.priority_levels - 1);
      const absl::Time arrival = now - absl::Seconds(uniform(0, 3) == 0 ? uniform(0, 900) : 0);
      const absl::Time deadline =
          uniform(0, 4) == 0 ? absl::InfiniteFuture() : now + absl::Seconds(uniform(0, 3600));
      const auto& plan = plans[uniform(0, plans.size() - 1)];
      const auto channel = static_cast<uint32_t>(uniform(0, 1));
      const absl::Status status = queue.Push(id, {priority, arrival, deadline, plan, channel});
      if (duplicate) {
        ASSERT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
      } else {
        ASSERT_TRUE(status.ok()) << status;
        reference.items.push_back(
            {id, priority, arrival, deadline, sequence++, plan, arrival, channel});
      }
    } else if (op < 50) {
      const std::vector<WorkItemId> expected = reference.InOrder(now);
      absl::StatusOr<WorkItemId> popped = queue.Pop();
      ASSERT_TRUE(popped.ok());
      ASSERT_EQ(*popped, expected.front());
      std::erase_if(reference.items, [&](const ReferenceItem& item) { return item.id == *popped; });
    } else if (op < 62) {
      const WorkItemId id = uniform(0, 9) == 0
                                ? next_id + 1000
                                : reference.items[uniform(0, reference.items.size() - 1)].id;
      const absl::Status status = queue.Erase(id);
      if (reference.Find(id) == nullptr) {
        ASSERT_EQ(status.code(), absl::StatusCode::kNotFound);
      } else {
        ASSERT_TRUE(status.ok());
        std::erase_if(reference.items, [&](const ReferenceItem& item) { return item.id == id; });
      }
    } else if (op < 72) {
      ReferenceItem& item = reference.items[uniform(0, reference.items.size() - 1)];
      const int priority = uniform(0, options.priority_levels);  // sometimes out of range
      const absl::Status status = queue.SetPriority(item.id, priority);
      if (priority == options.priority_levels) {
        ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
      } else {
        ASSERT_TRUE(status.ok());
        item.priority = priority;
      }
    } else if (op < 80) {
      ReferenceItem& item = reference.items[uniform(0, reference.items.size() - 1)];
      item.deadline = now + absl::Seconds(uniform(-600, 3600));
      ASSERT_TRUE(queue.SetDeadline(item.id, item.deadline).ok());
    } else if (op < 85) {
      ReferenceItem& item = reference.items[uniform(0, reference.items.size() - 1)];
      item.plan = plans[uniform(0, plans.size() - 1)];
      item.relax_origin = now;
      ASSERT_TRUE(queue.SetRequirement(item.id, item.plan).ok());
    } else {
      now += absl::Seconds(uniform(0, 120));
      ASSERT_TRUE(queue.AdvanceTo(now).ok());
      relaxations += queue.PollEvents().size();
    }

    ASSERT_EQ(queue.size(), reference.items.size());
    const std::vector<WorkItemId> expected = reference.InOrder(now);
    ASSERT_EQ(queue.InOrder(), expected);
    if (!expected.empty()) {
      ASSERT_EQ(queue.Top(), expected.front());
    }
    absl::Time oldest = absl::InfiniteFuture();
    std::vector<size_t> counts(options.priority_levels, 0);
    for (const ReferenceItem& item : reference.items) {
      oldest = std::min(oldest, item.arrival);
      ++counts[item.priority];
      const std::optional<QueuedItemView> view = queue.Find(item.id);
      ASSERT_TRUE(view.has_value());
      const Requirement expected_requirement =
          item.plan == nullptr ? Requirement() : item.plan->EffectiveAfter(now - item.relax_origin);
      ASSERT_EQ(*queue.ClassRequirement(view->requirement_class), expected_requirement);
      ASSERT_EQ(view->priority, item.priority);
      ASSERT_EQ(queue.ClassChannel(view->requirement_class), item.channel);
    }
    ASSERT_EQ(queue.OldestArrival(), oldest);
    for (int p = 0; p < options.priority_levels; ++p) {
      ASSERT_EQ(queue.CountWithPriority(p), counts[p]);
    }
    size_t class_items = 0;
    queue.ForEachClass([&](RequirementClassId id, const Requirement&, size_t items) {
      class_items += items;
      // A class's head is the first of its members in queue order; the best member passing a
      // filter is the first member in queue order that passes it.
      const WorkItemId head = *queue.ClassHead(id);
      const auto filter = [](WorkItemId item, absl::Time) { return item % 3 != 0; };
      std::optional<WorkItemId> first, first_passing;
      for (WorkItemId candidate : expected) {
        if (queue.Find(candidate)->requirement_class != id) continue;
        if (!first) first = candidate;
        if (!first_passing && filter(candidate, absl::Time())) first_passing = candidate;
      }
      ASSERT_EQ(head, first);
      const auto best = queue.BestInClass(id, filter);
      ASSERT_EQ(best.has_value(), first_passing.has_value());
      if (best.has_value()) {
        ASSERT_EQ(best->item, *first_passing);
        ASSERT_EQ(best->rank, *queue.RankOf(best->item));
      }
      ASSERT_EQ(queue.HeadRank(id), *queue.RankOf(head));
    });
    ASSERT_EQ(class_items, queue.size());
  }
  EXPECT_GT(relaxations, 0u);
}

TEST(WorkQueueRandomTest, PriorityFifoAgreesWithReference) {
  RunRandomOperations({.order = QueueOrder::kPriorityFifo}, 11);
}

TEST(WorkQueueRandomTest, PriorityFifoWithMaximumWaitsAgreesWithReference) {
  WorkQueueOptions options{.order = QueueOrder::kPriorityFifo, .priority_levels = 4};
  options.max_wait_by_priority = {absl::Minutes(2), absl::Minutes(10), absl::InfiniteDuration(),
                                  absl::Minutes(15)};
  RunRandomOperations(options, 12);
}

TEST(WorkQueueRandomTest, DeadlineFirstWithMaximumWaitAgreesWithReference) {
  RunRandomOperations({.order = QueueOrder::kDeadlineFirst, .max_wait = absl::Minutes(8)}, 13);
}

TEST(WorkQueueRandomTest, WeightedAgingAgreesWithReference) {
  RunRandomOperations({.order = QueueOrder::kWeightedAging,
                       .priority_levels = 5,
                       .aging_weight = absl::Seconds(90)},
                      14);
}

TEST(WorkQueueRandomTest, WeightedAgingWithMaximumWaitAgreesWithReference) {
  RunRandomOperations({.order = QueueOrder::kWeightedAging,
                       .priority_levels = 3,
                       .aging_weight = absl::Minutes(4),
                       .max_wait = absl::Minutes(6)},
                      15);
}

TEST(WorkQueueTest, ChannelsSplitClassesAndPlacesReinstateItems) {
  WorkQueue queue = MustQueue({});
  ASSERT_TRUE(queue.Push(1, {.priority = 1, .arrival = kStart, .channel = 2}).ok());
  ASSERT_TRUE(queue.Push(2, {.priority = 1, .arrival = kStart, .channel = 3}).ok());
  ASSERT_TRUE(queue.Push(3, {.priority = 1, .arrival = kStart, .channel = 2}).ok());
  EXPECT_EQ(queue.class_count(), 2u);
  const RequirementClassId chat = *queue.FindClass(Requirement(), 2);
  const RequirementClassId email = *queue.FindClass(Requirement(), 3);
  EXPECT_NE(chat, email);
  EXPECT_FALSE(queue.FindClass(Requirement(), 0).has_value());
  EXPECT_EQ(queue.ClassChannel(email), 3u);
  EXPECT_EQ(queue.ClassSize(chat), 2u);
  EXPECT_EQ(queue.ClassHead(email), 2u);

  // Item 1 leaves (offered) and comes back (rejected): it returns to the front.
  const QueuedItemView first = *queue.Find(1);
  EXPECT_EQ(first.channel, 2u);
  ASSERT_TRUE(queue.Erase(1).ok());
  ASSERT_TRUE(queue.Push(4, {.priority = 1, .arrival = kStart, .channel = 2}).ok());
  ASSERT_TRUE(queue
                  .Push(1, {.priority = first.priority,
                            .arrival = first.arrival,
                            .channel = first.channel,
                            .place = first.place})
                  .ok());
  EXPECT_THAT(queue.InOrder(), ElementsAre(1, 2, 3, 4));
  EXPECT_EQ(queue.ClassHead(chat), 1u);
  EXPECT_EQ(queue.Push(5, {.arrival = kStart, .place = 99}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(queue.Contains(5));
}

// An offered item leaves its queue and, rejected, returns as it was: at its place, with the
// relaxation progress of its current plan (counted from the plan's start, not its arrival).
TEST(WorkQueueTest, ReinstatementPutsAnItemBackAsItWas) {
  const Skills s = MakeSkills();
  const auto plan = BillingPlan(s, /*steps=*/2);
  WorkQueue queue = MustQueue({});
  MustPush(queue, 1, 1, kStart, At(absl::Hours(2)), plan);
  MustPush(queue, 2, 1, kStart, absl::InfiniteFuture(), nullptr);
  ASSERT_TRUE(queue.AdvanceTo(At(absl::Minutes(4))).ok());
  ASSERT_TRUE(queue.SetRequirement(1, plan).ok());
  ASSERT_TRUE(queue.AdvanceTo(At(absl::Minutes(7))).ok());
  const QueuedItemView before = *queue.Find(1);
  ASSERT_EQ(before.steps_applied, 1);
  EXPECT_FALSE(queue.Reinstatement(3).has_value());

  std::optional<QueuedItem> entry = queue.Reinstatement(1);
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->requirement, plan);
  ASSERT_TRUE(queue.Erase(1).ok());
  ASSERT_TRUE(queue.AdvanceTo(At(absl::Minutes(8))).ok());
  MustPush(queue, 3, 1, kStart, absl::InfiniteFuture(), nullptr);
  ASSERT_TRUE(queue.Push(1, *entry).ok());
  const QueuedItemView after = *queue.Find(1);
  EXPECT_EQ(after.priority, before.priority);
  EXPECT_EQ(after.arrival, before.arrival);
  EXPECT_EQ(after.deadline, before.deadline);
  EXPECT_EQ(after.place, before.place);
  EXPECT_EQ(after.steps_applied, 1);
  EXPECT_EQ(after.relaxation_origin, At(absl::Minutes(4)));
  EXPECT_EQ(after.requirement_class, before.requirement_class);
  EXPECT_THAT(queue.InOrder(), ElementsAre(1, 2, 3));
  // The second step is due 5 minutes after the plan's start at minute 4.
  EXPECT_EQ(queue.NextRelaxationDue(), At(absl::Minutes(9)));

  // Elsewhere it keeps its wait and requirement, but neither its place nor its progress.
  const QueuedItem moved = std::move(*entry).ForOtherQueue(0);
  EXPECT_EQ(moved.priority, 0);
  EXPECT_EQ(moved.arrival, kStart);
  EXPECT_EQ(moved.deadline, At(absl::Hours(2)));
  EXPECT_EQ(moved.requirement, plan);
  EXPECT_FALSE(moved.place.has_value());
  EXPECT_FALSE(moved.steps_applied.has_value());
  EXPECT_FALSE(moved.relaxation_origin.has_value());
}

TEST(WorkQueueSetTest, NamedQueuesWithUniqueItemsAcrossThem) {
  WorkQueueSet set(kStart);
  ASSERT_TRUE(set.AddQueue("billing", {}).ok());
  WorkQueueOptions two_levels{.priority_levels = 2};
  absl::StatusOr<QueueIndex> tech = set.AddQueue("tech", two_levels);
  ASSERT_TRUE(tech.ok());
  EXPECT_EQ(*tech, 1u);
  EXPECT_EQ(set.AddQueue("tech", {}).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(set.AddQueue("", {}).status().code(), absl::StatusCode::kInvalidArgument);
  absl::Status bad_options = set.AddQueue("x", {.priority_levels = 0}).status();
  EXPECT_EQ(bad_options.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_options.message(), HasSubstr("\"x\""));
  EXPECT_EQ(set.queue_count(), 2u);
  absl::Status unknown = set.Push("sales", 1, {0, kStart});
  EXPECT_EQ(unknown.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(unknown.message(), HasSubstr("unknown queue \"sales\""));
  EXPECT_EQ(set.FindQueue("sales").status().code(), absl::StatusCode::kNotFound);

  ASSERT_TRUE(set.Push("billing", 1, {2, kStart}).ok());
  ASSERT_TRUE(set.Push("billing", 2, {0, kStart}).ok());
  ASSERT_TRUE(set.Push("tech", 3, {1, kStart}).ok());
  absl::Status duplicate = set.Push("tech", 1, {0, kStart});
  EXPECT_EQ(duplicate.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(duplicate.message(), HasSubstr("billing"));
  EXPECT_EQ(set.size(), 3u);
  EXPECT_EQ(set.QueueOf(3), *tech);
  EXPECT_EQ(set.name(*set.QueueOf(1)), "billing");

  // A transfer keeps the arrival; a priority out of the target's range is refused.
  ASSERT_TRUE(set.AdvanceTo(At(absl::Minutes(5))).ok());
  EXPECT_EQ(set.Move(1, "tech").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(set.QueueOf(1), 0u);
  EXPECT_EQ(set.Move(1, "nowhere").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(set.Move(9, "tech").code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(set.Move(1, "tech", 1).ok());
  EXPECT_EQ(set.QueueOf(1), *tech);
  EXPECT_EQ(set.queue(*tech).Find(1)->arrival, kStart);
  EXPECT_FALSE(set.queue(0).Contains(1));
  // Item 1 arrived with item 3 but was pushed into tech later.
  EXPECT_THAT(set.queue(*tech).InOrder(), ElementsAre(3, 1));
  ASSERT_TRUE(set.Move(1, "tech", 0).ok());
  EXPECT_THAT(set.queue(*tech).InOrder(), ElementsAre(1, 3));
  ASSERT_TRUE(set.SetPriority(3, 0).ok());
  ASSERT_TRUE(set.SetDeadline(3, At(absl::Hours(1))).ok());
  EXPECT_EQ(set.SetPriority(4, 0).code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(set.Erase(2).ok());
  EXPECT_EQ(set.Erase(2).code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(set.QueueOf(2).has_value());
  // The id is free again.
  ASSERT_TRUE(set.Push("tech", 2, {0, At(absl::Minutes(5))}).ok());
  EXPECT_EQ(set.AdvanceTo(kStart).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(set.now(), At(absl::Minutes(5)));
}

TEST(WorkQueueSetTest, RelaxationEventsNameTheirQueue) {
  const Skills s = MakeSkills();
  const auto plan = BillingPlan(s, /*steps=*/1);
  WorkQueueSet set(kStart);
  ASSERT_TRUE(set.AddQueue("a", {}).ok());
  ASSERT_TRUE(set.AddQueue("b", {}).ok());
  ASSERT_TRUE(set.Push("b", 7, {1, kStart, absl::InfiniteFuture(), plan}).ok());
  ASSERT_TRUE(set.AdvanceTo(At(absl::Minutes(1))).ok());
  ASSERT_TRUE(set.Push("a", 8, {1, kStart + absl::Minutes(1), absl::InfiniteFuture(), plan}).ok());
  ASSERT_TRUE(set.SetRequirement(8, plan).ok());
  ASSERT_TRUE(set.AdvanceTo(At(absl::Minutes(10))).ok());
  const std::vector<QueuedRequirementRelaxed> events = set.PollEvents();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].queue, 0u);
  EXPECT_EQ(events[0].relaxed.item, 8u);
  EXPECT_EQ(events[0].relaxed.at, At(absl::Minutes(3)));  // its plan restarted at minute 1
  EXPECT_EQ(events[1].queue, 1u);
  EXPECT_EQ(events[1].relaxed.at, At(absl::Minutes(2)));
  EXPECT_EQ(events[1].relaxed.item, 7u);
  EXPECT_TRUE(set.PollEvents().empty());
}

// Events recorded by RelaxNow and by advancing reach the next poll, each once, queue by queue.
TEST(WorkQueueSetTest, RelaxNowAndAdvancingEventsArePolledOnce) {
  const Skills s = MakeSkills();
  const auto plan =
      MustPlan(s.catalog, {.must = {{s.billing, 6}},
                           .steps = {RelaxationStep::LowerLevel(absl::Minutes(2), s.billing, 4),
                                     RelaxationStep::LowerLevel(absl::Minutes(4), s.billing, 2)}});
  WorkQueueSet set(kStart);
  ASSERT_TRUE(set.AddQueue("a", {}).ok());
  ASSERT_TRUE(set.AddQueue("b", {}).ok());
  ASSERT_TRUE(set.Push("b", 1, {1, kStart, absl::InfiniteFuture(), plan}).ok());
  ASSERT_TRUE(set.Push("a", 2, {1, kStart, absl::InfiniteFuture(), plan}).ok());
  ASSERT_TRUE(set.RelaxNow(1).ok());
  std::vector<QueuedRequirementRelaxed> events = set.PollEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].queue, 1u);
  EXPECT_EQ(events[0].relaxed.item, 1u);
  EXPECT_EQ(events[0].relaxed.steps_applied, 1);
  EXPECT_TRUE(set.PollEvents().empty());
  // Item 1 relaxes again at minute 4, item 2 at minutes 2 and 4; then RelaxNow has nothing left.
  ASSERT_TRUE(set.AdvanceTo(At(absl::Minutes(3))).ok());
  ASSERT_TRUE(set.RelaxNow(1).ok());
  ASSERT_TRUE(set.AdvanceTo(At(absl::Minutes(5))).ok());
  EXPECT_EQ(set.RelaxNow(1).code(), absl::StatusCode::kFailedPrecondition);
  events = set.PollEvents();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].queue, 0u);
  EXPECT_EQ(events[0].relaxed.at, At(absl::Minutes(2)));
  EXPECT_EQ(events[1].queue, 0u);
  EXPECT_EQ(events[1].relaxed.at, At(absl::Minutes(4)));
  EXPECT_EQ(events[2].queue, 1u);
  EXPECT_EQ(events[2].relaxed.item, 1u);
  EXPECT_EQ(events[2].relaxed.steps_applied, 2);
  EXPECT_TRUE(set.PollEvents().empty());
}

// Queues with no relaxation step pending are not visited when the set advances, yet they keep
// the set's time: waits, overdue items and later relaxations all count from the set's clock.
TEST(WorkQueueSetTest, IdleQueuesKeepTheSetsClock) {
  const Skills s = MakeSkills();
  const auto plan = BillingPlan(s, /*steps=*/1);
  WorkQueueSet set(kStart);
  WorkQueueOptions capped{.priority_levels = 2,
                          .max_wait_by_priority = {absl::InfiniteDuration(), absl::Minutes(5)}};
  ASSERT_TRUE(set.AddQueue("plain", capped).ok());
  ASSERT_TRUE(set.AddQueue("relaxing", {}).ok());
  ASSERT_TRUE(set.Push("plain", 1, {0, kStart}).ok());
  ASSERT_TRUE(set.Push("plain", 2, {1, kStart}).ok());
  ASSERT_TRUE(set.Push("relaxing", 3, {1, kStart, absl::InfiniteFuture(), plan}).ok());
  EXPECT_EQ(set.NextRelaxationDue(), At(absl::Minutes(2)));
  ASSERT_TRUE(set.AdvanceTo(At(absl::Minutes(4))).ok());
  EXPECT_EQ(set.NextRelaxationDue(), absl::InfiniteFuture());
  const WorkQueue& plain = set.queue(0);
  EXPECT_EQ(plain.now(), At(absl::Minutes(4)));
  EXPECT_EQ(plain.LongestWait(), absl::Minutes(4));
  EXPECT_EQ(plain.Top(), 1u);  // item 2 is not overdue yet
  ASSERT_TRUE(set.AdvanceTo(At(absl::Minutes(6))).ok());
  EXPECT_EQ(plain.Top(), 2u);  // overdue after 5 minutes: served first
  EXPECT_EQ(set.queue(1).now(), At(absl::Minutes(6)));
  // A plan pushed into the drained queue later counts from the set's clock.
  ASSERT_TRUE(
      set.Push("relaxing", 4, {1, At(absl::Minutes(6)), absl::InfiniteFuture(), plan}).ok());
  EXPECT_EQ(set.NextRelaxationDue(), At(absl::Minutes(8)));
  ASSERT_TRUE(set.AdvanceTo(At(absl::Hours(3))).ok());
  const std::vector<QueuedRequirementRelaxed> events = set.PollEvents();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].relaxed.item, 3u);
  EXPECT_EQ(events[0].relaxed.at, At(absl::Minutes(2)));
  EXPECT_EQ(events[1].relaxed.item, 4u);
  EXPECT_EQ(events[1].relaxed.at, At(absl::Minutes(8)));
  EXPECT_EQ(plain.LongestWait(), absl::Hours(3));
}

// ---------------------------------------------------------------------------------------------
// Saved state: a set loaded from another's state behaves exactly as the original from there on.

struct SetFixture {
  Skills skills = MakeSkills();
  std::vector<std::shared_ptr<const RequirementPlan>> plans;

  SetFixture() : plans(RandomTestPlans(skills)) {}

  static WorkQueueSet NewSet(std::string_view second = "deadline") {
    WorkQueueSet set(kStart);
    EXPECT_TRUE(set.AddQueue("fifo", {.max_wait_by_priority = {absl::Minutes(2), absl::Minutes(9),
                                                               absl::InfiniteDuration()}})
                    .ok());
    EXPECT_TRUE(set.AddQueue(second, {.order = QueueOrder::kDeadlineFirst,
                                      .priority_levels = 2,
                                      .max_wait = absl::Minutes(6)})
                    .ok());
    EXPECT_TRUE(set.AddQueue("aging", {.order = QueueOrder::kWeightedAging}).ok());
    return set;
  }
};

constexpr std::string_view kSetQueues[] = {"fifo", "deadline", "aging"};

// One random command on `set`; returns a line describing what it did and saw.
std::string SetStep(WorkQueueSet& set, const SetFixture& fixture, uint64_t draw, uint64_t amount,
                    WorkItemId& next_id) {
  const WorkItemId known = amount % (next_id + 1);
  const std::string_view queue = kSetQueues[amount % 3];
  const int priority = static_cast<int>((amount / 3) % 2);
  const auto& plan = fixture.plans[(amount / 7) % fixture.plans.size()];
  switch (draw % 10) {
    case 0:
    case 1:
    case 2: {
      const absl::Time arrival =
          set.now() - absl::Seconds((amount / 11) % 4 == 0 ? amount % 600 : 0);
      const absl::Time deadline = (amount / 13) % 4 == 0 ? absl::InfiniteFuture()
                                                         : set.now() + absl::Seconds(amount % 3600);
      const absl::Status status =
          set.Push(queue, next_id, {priority, arrival, deadline, plan, uint32_t(amount % 2)});
      return absl::StrCat("push ", next_id++, " ", status.ToString());
    }
    case 3:
      return absl::StrCat("erase ", set.Erase(known).ToString());
    case 4:
      return absl::StrCat("move ", set.Move(known, queue, priority).ToString());
    case 5:
      return absl::StrCat("priority ", set.SetPriority(known, priority).ToString());
    case 6:
      return absl::StrCat("relax ", set.RelaxNow(known).ToString(), " ",
                          set.SetRequirement(known + 1, plan).ToString());
    default: {
      const absl::Time to = set.now() + absl::Seconds(amount % 400);
      std::string line = absl::StrCat("advance ", set.AdvanceTo(to).ToString());
      for (const QueuedRequirementRelaxed& e : set.PollEvents()) {
        absl::StrAppend(&line, " ", e.queue, ":", e.relaxed.item, "/", e.relaxed.steps_applied, "/",
                        e.relaxed.from_class, ">", e.relaxed.to_class);
      }
      return line;
    }
  }
}

// Every queue's serving order and each item's view, rank and class.
std::string DescribeSet(const WorkQueueSet& set) {
  std::string out = absl::StrCat(absl::FormatTime(set.now()), " ",
                                 absl::FormatTime(set.NextRelaxationDue()), "\n");
  for (QueueIndex q = 0; q < set.queue_count(); ++q) {
    const WorkQueue& queue = set.queue(q);
    for (const WorkItemId id : queue.InOrder()) {
      const QueuedItemView view = *queue.Find(id);
      const QueueRank rank = *queue.RankOf(id);
      absl::StrAppend(&out, q, ":", id, " p", view.priority, " c", view.requirement_class, " s",
                      view.steps_applied, " @", view.place, " ", rank.overdue, "/", rank.key, " ",
                      absl::FormatTime(view.overdue_at), "\n");
    }
  }
  return out;
}

std::string SaveSet(const WorkQueueSet& set, internal::PlanTable& plans) {
  internal::ByteWriter out;
  internal::StateCodec::Save(set, plans, out);
  return std::string(out.bytes());
}

absl::Status LoadSet(WorkQueueSet& set, const internal::PlanTable& plans, std::string_view bytes) {
  internal::ByteReader in(bytes);
  absl::Status status = internal::StateCodec::Load(set, plans, in);
  if (status.ok() && !in.done()) return absl::InvalidArgumentError("trailing bytes");
  return status;
}

// The plans the saved table numbered, as new objects equal to them: loading must not depend on
// sharing the saver's plans.
internal::PlanTable CopiedPlans(const internal::PlanTable& saved) {
  std::vector<std::shared_ptr<const RequirementPlan>> copies;
  for (const auto& plan : saved.plans()) {
    copies.push_back(std::make_shared<const RequirementPlan>(*plan));
  }
  return internal::PlanTable(std::move(copies));
}

TEST(WorkQueueSetStateTest, ALoadedSetBehavesAsTheOriginal) {
  const SetFixture fixture;
  for (uint64_t seed = 1; seed <= 24; ++seed) {
    SCOPED_TRACE(seed);
    std::mt19937_64 rng(seed);
    WorkQueueSet original = SetFixture::NewSet();
    WorkItemId next_id = 0;
    const uint64_t before = rng() % 1500;
    for (uint64_t i = 0; i < before; ++i) SetStep(original, fixture, rng(), rng(), next_id);
    internal::PlanTable saved_plans;
    const std::string saved = SaveSet(original, saved_plans);
    const internal::PlanTable loaded_plans = CopiedPlans(saved_plans);
    WorkQueueSet loaded = SetFixture::NewSet();
    ASSERT_TRUE(LoadSet(loaded, loaded_plans, saved).ok()) << LoadSet(loaded, loaded_plans, saved);
    internal::PlanTable again;
    EXPECT_EQ(SaveSet(loaded, again), saved);
    ASSERT_EQ(DescribeSet(loaded), DescribeSet(original));
    WorkItemId loaded_next = next_id;
    for (int i = 0; i < 1500; ++i) {
      const uint64_t draw = rng();
      const uint64_t amount = rng();
      const std::string a = SetStep(original, fixture, draw, amount, next_id);
      const std::string b = SetStep(loaded, fixture, draw, amount, loaded_next);
      ASSERT_EQ(b, a) << i;
      if (i % 50 == 0) {
        ASSERT_EQ(DescribeSet(loaded), DescribeSet(original)) << i;
      }
    }
    ASSERT_EQ(DescribeSet(loaded), DescribeSet(original));
    EXPECT_GT(original.size(), 0u);
  }
}

TEST(WorkQueueSetStateTest, QueuesMustMatchByName) {
  const SetFixture fixture;
  WorkQueueSet original = SetFixture::NewSet();
  WorkItemId next_id = 0;
  std::mt19937_64 rng(3);
  for (int i = 0; i < 50; ++i) SetStep(original, fixture, rng() % 3, rng(), next_id);
  internal::PlanTable plans;
  const std::string saved = SaveSet(original, plans);
  WorkQueueSet other = SetFixture::NewSet("tech");
  const absl::Status status = LoadSet(other, CopiedPlans(plans), saved);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("queue \"deadline\" where \"tech\" is"));
  EXPECT_EQ(other.size(), 0u);
  // Without the plans the items name, the load is refused too.
  WorkQueueSet same = SetFixture::NewSet();
  EXPECT_EQ(LoadSet(same, internal::PlanTable(), saved).code(), absl::StatusCode::kInvalidArgument);
}

// Truncations are refused and change nothing; flipped bytes are refused or load a set whose
// structure holds (it serves, relaxes and empties without fault).
TEST(WorkQueueSetStateTest, CorruptStateIsRefusedOrConsistent) {
  const SetFixture fixture;
  std::mt19937_64 rng(17);
  WorkQueueSet original = SetFixture::NewSet();
  WorkItemId next_id = 0;
  for (int i = 0; i < 150; ++i) SetStep(original, fixture, rng(), rng(), next_id);
  internal::PlanTable plans;
  const std::string saved = SaveSet(original, plans);
  const internal::PlanTable loaded_plans = CopiedPlans(plans);
  WorkQueueSet target = SetFixture::NewSet();
  ASSERT_TRUE(target.Push("fifo", 999, {}).ok());
  for (size_t length = 0; length < saved.size(); ++length) {
    ASSERT_FALSE(LoadSet(target, loaded_plans, saved.substr(0, length)).ok()) << length;
  }
  EXPECT_EQ(target.size(), 1u);
  EXPECT_EQ(target.QueueOf(999), QueueIndex{0});
  int refused = 0;
  for (int trial = 0; trial < 1500; ++trial) {
    std::string corrupt = saved;
    corrupt[rng() % corrupt.size()] ^= static_cast<char>(1 + rng() % 255);
    WorkQueueSet loaded = SetFixture::NewSet();
    if (!LoadSet(loaded, loaded_plans, corrupt).ok()) {
      ++refused;
      continue;
    }
    WorkItemId id = next_id;
    for (int i = 0; i < 40; ++i) SetStep(loaded, fixture, rng(), rng(), id);
    (void)DescribeSet(loaded);
    for (QueueIndex q = 0; q < loaded.queue_count(); ++q) {
      for (const WorkItemId item : loaded.queue(q).InOrder()) ASSERT_TRUE(loaded.Erase(item).ok());
    }
    EXPECT_EQ(loaded.size(), 0u);
  }
  EXPECT_GT(refused, 500);
}

}  // namespace
}  // namespace omniroute
