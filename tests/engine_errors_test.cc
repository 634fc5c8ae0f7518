// Every refusal of the engine facade: the exact status code, a distinctive part of the message, and
// that the refused command changed nothing (state digest and views, after first advancing the
// engine to the command's instant). Configuration errors name their JSON path.
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "engine_test_support.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "omniroute/config_json.h"
#include "omniroute/engine.h"

namespace omniroute {
namespace {

using engine_test::AgentText;
using engine_test::ItemText;
using engine_test::KpiText;
using engine_test::MustEngine;
using engine_test::QueueText;

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Code = absl::StatusCode;

// Monday 2 March 2026, 09:00 in Berlin. Priority D exists but the SLA policy has no targets for
// it; "quietq" uses an escalation policy without a manual rule.
std::string Config(const std::string& a_first = "30m",
                   const std::string& billing_strategy = "longest_idle",
                   const std::string& extra_queue = "") {
  return engine_test::ConfigJson({.origin = "2026-03-02T08:00:00Z",
                                  .priorities = R"(["A", "B", "C", "D"])",
                                  .a_first = a_first,
                                  .billing_strategy = billing_strategy,
                                  .offer_timeout = "5m",
                                  .extra_queue = extra_queue});
}

std::string Msg(const absl::Status& status) { return std::string(status.message()); }

// Every view of the engine that a refused command could have touched.
std::string Dump(const Engine& e) {
  std::string out = absl::StrCat("now=", absl::FormatTime(e.now()), " items=", e.item_count(),
                                 " agents=", e.agent_count(), "\n");
  for (const char* id : {"t1", "t2", "t3", "t4", "t5", "t6", "t1/follow_up", "nope", ""}) {
    if (absl::StatusOr<EngineItemView> v = e.Item(id); v.ok()) {
      absl::StrAppend(&out, ItemText(*v), "\n");
    }
  }
  for (const char* id : {"a1", "a2", "a3", "a4", "ghost", ""}) {
    if (absl::StatusOr<EngineAgentView> v = e.Agent(id); v.ok()) {
      absl::StrAppend(&out, AgentText(*v), "\n");
    }
  }
  for (const std::string& name : e.QueueNames()) {
    absl::StrAppend(&out, QueueText(*e.Queue(name)), "\n");
  }
  absl::StrAppend(&out, KpiText(e.Kpis()), "\n");
  return out;
}

using Command = std::function<absl::Status(absl::Time)>;

// Advances `engine` to `at`, then issues `command` at `at`: it must be refused with `code` and a
// message containing `fragment`, and leave the digest, every view and the event stream as they
// were.
::testing::AssertionResult RefusedAt(Engine& engine, absl::Time at, const Command& command,
                                     Code code, std::string_view fragment) {
  if (absl::Status advanced = engine.AdvanceTo(at); !advanced.ok()) {
    return ::testing::AssertionFailure() << "AdvanceTo: " << advanced;
  }
  (void)engine.PollEvents();
  const uint64_t digest = engine.StateDigest();
  const std::string views = Dump(engine);
  const absl::Status status = command(at);
  if (status.code() != code) {
    return ::testing::AssertionFailure()
           << "expected " << absl::StatusCodeToString(code) << ", got " << status;
  }
  if (Msg(status).find(fragment) == std::string::npos) {
    return ::testing::AssertionFailure()
           << "message \"" << Msg(status) << "\" lacks \"" << fragment << "\"";
  }
  if (engine.StateDigest() != digest) {
    return ::testing::AssertionFailure() << "the state digest changed (" << status << ")";
  }
  if (const std::string after = Dump(engine); after != views) {
    return ::testing::AssertionFailure() << "views changed (" << status << ")\nbefore:\n"
                                         << views << "after:\n"
                                         << after;
  }
  if (const std::vector<EngineEvent> events = engine.PollEvents(); !events.empty()) {
    return ::testing::AssertionFailure()
           << events.size() << " event(s), the first " << EngineEventKindName(events[0].kind)
           << " (" << status << ")";
  }
  if (engine.now() != at) return ::testing::AssertionFailure() << "now() moved";
  return ::testing::AssertionSuccess();
}

class EngineErrorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = MustEngine(Config());
    ASSERT_NE(engine_, nullptr);
    start_ = t_ = engine_->now();
    for (const char* id : {"a1", "a2"}) {
      ASSERT_TRUE(engine_
                      ->AddAgent({.id = id,
                                  .skills = {{"billing", 50}},
                                  .capacity = {{"chat", 2}, {"email", 1}},
                                  .queues = {{.queue = "billing"}, {.queue = "quietq"}}},
                                 t_)
                      .ok());
    }
    ASSERT_TRUE(
        engine_
            ->AddAgent({.id = "a3", .capacity = {{"chat", 1}}, .queues = {{.queue = "support"}}},
                       t_)
            .ok());
    for (const char* id : {"a1", "a2", "a3"}) {
      ASSERT_TRUE(engine_->SetAgentState(id, AgentState::kAvailable, t_).ok());
    }
    (void)engine_->PollEvents();
  }

  absl::Time Tick(absl::Duration d = absl::Seconds(1)) {
    t_ = std::max(t_, engine_->now()) + d;
    return t_;
  }

  ::testing::AssertionResult Refused(const Command& command, Code code, std::string_view fragment) {
    return RefusedAt(*engine_, Tick(), command, code, fragment);
  }

  EngineItemView View(std::string_view id) {
    absl::StatusOr<EngineItemView> view = engine_->Item(id);
    EXPECT_TRUE(view.ok()) << view.status();
    return view.ok() ? *view : EngineItemView{};
  }

  // Submits a chat to `queue`; returns the agent it was offered to ("" when queued).
  std::string Submit(const std::string& id, const std::string& queue = "billing",
                     const std::string& priority = "A") {
    const absl::Status status = engine_->Submit(
        {.id = id, .queue = queue, .channel = "chat", .priority = priority, .customer = "c1"},
        Tick());
    EXPECT_TRUE(status.ok()) << status;
    return View(id).agent;
  }

  // Submits and accepts: `id` is assigned; returns the agent.
  std::string Assign(const std::string& id, const std::string& queue = "billing") {
    const std::string agent = Submit(id, queue);
    EXPECT_EQ(View(id).state, ItemState::kOffered);
    const absl::Status accepted = engine_->Accept(id, agent, Tick());
    EXPECT_TRUE(accepted.ok()) << accepted;
    EXPECT_EQ(View(id).state, ItemState::kAssigned);
    return agent;
  }

  void Resolve(const std::string& id) {
    const std::string agent = Assign(id);
    const absl::Status resolved = engine_->Resolve(id, Tick());
    EXPECT_TRUE(resolved.ok()) << resolved;
    EXPECT_EQ(View(id).state, ItemState::kResolved);
  }

  std::unique_ptr<Engine> engine_;
  absl::Time start_;
  absl::Time t_;
};

// --- time ---------------------------------------------------------------------------------------

TEST_F(EngineErrorsTest, EveryCommandBeforeNowIsInvalidArgumentAndChangesNothingNotEvenTime) {
  const std::string agent = Assign("t1");
  ASSERT_TRUE(engine_->AdvanceTo(Tick(absl::Minutes(10))).ok());
  (void)engine_->PollEvents();
  const absl::Time now = engine_->now();
  const uint64_t digest = engine_->StateDigest();
  const std::string views = Dump(*engine_);
  const std::string journal = engine_->Journal();
  const std::vector<std::pair<std::string, Command>> commands = {
      {"AddAgent", [&](absl::Time at) { return engine_->AddAgent({.id = "a4"}, at); }},
      {"RemoveAgent", [&](absl::Time at) { return engine_->RemoveAgent("a2", at); }},
      {"UpdateAgent", [&](absl::Time at) { return engine_->UpdateAgent({.id = "a2"}, at); }},
      {"SetAgentState",
       [&](absl::Time at) { return engine_->SetAgentState("a2", AgentState::kAway, at); }},
      {"Submit",
       [&](absl::Time at) {
         return engine_->Submit({.id = "t2", .queue = "billing", .channel = "chat"}, at);
       }},
      {"Update", [&](absl::Time at) { return engine_->Update("t1", {.tier = "vip"}, at); }},
      {"Accept", [&](absl::Time at) { return engine_->Accept("t1", agent, at); }},
      {"Reject", [&](absl::Time at) { return engine_->Reject("t1", agent, at); }},
      {"Respond", [&](absl::Time at) { return engine_->Respond("t1", at); }},
      {"CustomerMessage", [&](absl::Time at) { return engine_->CustomerMessage("t1", at); }},
      {"Pause", [&](absl::Time at) { return engine_->Pause("t1", at); }},
      {"Resume", [&](absl::Time at) { return engine_->Resume("t1", at); }},
      {"Resolve", [&](absl::Time at) { return engine_->Resolve("t1", at); }},
      {"Confirm", [&](absl::Time at) { return engine_->Confirm("t1", at); }},
      {"Reopen", [&](absl::Time at) { return engine_->Reopen("t1", at); }},
      {"Transfer", [&](absl::Time at) { return engine_->Transfer("t1", "support", at); }},
      {"Escalate", [&](absl::Time at) { return engine_->Escalate("t1", at); }},
      {"Cancel", [&](absl::Time at) { return engine_->Cancel("t1", at); }},
      {"Abandon", [&](absl::Time at) { return engine_->Abandon("t1", at); }},
      {"AdvanceTo", [&](absl::Time at) { return engine_->AdvanceTo(at); }},
      {"Reconfigure",
       [&](absl::Time at) { return ReconfigureFromJson(*engine_, Config("1h"), at); }},
  };
  for (const auto& [name, command] : commands) {
    for (const absl::Time at :
         {now - absl::Nanoseconds(1), now - absl::Hours(1), absl::InfinitePast()}) {
      const absl::Status status = command(at);
      EXPECT_EQ(status.code(), Code::kInvalidArgument) << name << ": " << status;
      EXPECT_THAT(Msg(status), HasSubstr("before the engine's now")) << name;
    }
    const absl::Status infinite = command(absl::InfiniteFuture());
    EXPECT_EQ(infinite.code(), Code::kInvalidArgument) << name << ": " << infinite;
    EXPECT_THAT(Msg(infinite), HasSubstr("infinite")) << name;
    EXPECT_EQ(engine_->now(), now) << name;
    EXPECT_EQ(engine_->StateDigest(), digest) << name;
    EXPECT_EQ(Dump(*engine_), views) << name;
    EXPECT_THAT(engine_->PollEvents(), IsEmpty()) << name;
  }
  // Nothing was journaled either: not even a move of time.
  EXPECT_TRUE(engine_->Journal() == journal);
}

// The engine's contract for refusals at a later instant: time moves exactly as AdvanceTo would
// have moved it (what fell due fires), and nothing else changes.
TEST_F(EngineErrorsTest, ARefusalAtALaterInstantOnlyMovesTime) {
  Submit("t1", "followups");  // nobody serves followups: it waits, its SLA warnings fall due
  const absl::Time later = Tick(absl::Hours(3));
  std::unique_ptr<Engine> twin = MustEngine(Config());
  ASSERT_NE(twin, nullptr);
  absl::StatusOr<std::unique_ptr<Engine>> copy = RestoreEngine(engine_->Snapshot());
  ASSERT_TRUE(copy.ok()) << copy.status();
  twin = *std::move(copy);
  (void)engine_->PollEvents();
  const absl::Status refused = engine_->Resolve("t1", later);
  EXPECT_EQ(refused.code(), Code::kFailedPrecondition) << refused;
  ASSERT_TRUE(twin->AdvanceTo(later).ok());
  EXPECT_EQ(engine_->now(), later);
  EXPECT_EQ(engine_->StateDigest(), twin->StateDigest());
  const std::vector<EngineEvent> events = engine_->PollEvents();
  EXPECT_FALSE(events.empty()) << "the SLA warnings of t1 fell due";
  EXPECT_EQ(events, twin->PollEvents());
  EXPECT_EQ(Dump(*engine_), Dump(*twin));
}

// The journal keeps a refusal's move of time, so that a replay fires what fell due, and nothing
// for a refusal at the current instant: a host retrying a refused call does not grow it.
TEST_F(EngineErrorsTest, TheJournalKeepsARefusalsMoveOfTimeAndNothingElse) {
  Submit("t1", "followups");
  const absl::Time now = engine_->now();
  const std::string journal = engine_->Journal();
  for (int retry = 0; retry < 3; ++retry) {
    EXPECT_EQ(engine_->Resolve("t1", now).code(), Code::kFailedPrecondition);
    EXPECT_EQ(engine_->Resolve("ghost", now).code(), Code::kNotFound);
  }
  EXPECT_TRUE(engine_->Journal() == journal) << "refusals at the current instant journal nothing";

  // A later refusal moves time: the journal grows by exactly an AdvanceTo to its instant.
  const absl::Time later = Tick(absl::Hours(3));
  EXPECT_EQ(engine_->Resolve("t1", later).code(), Code::kFailedPrecondition);
  const std::string moved = engine_->Journal();
  absl::StatusOr<std::unique_ptr<Engine>> replayed =
      Engine::Replay(engine_->config(), journal, ParseEngineConfigJson);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  ASSERT_TRUE((*replayed)->AdvanceTo(later).ok());
  EXPECT_TRUE(moved == (*replayed)->Journal());
  EXPECT_EQ((*replayed)->StateDigest(), engine_->StateDigest());

  // A refusal at that instant again, with the SLA warnings fired and drained, journals nothing.
  EXPECT_EQ(engine_->Resolve("t1", later).code(), Code::kFailedPrecondition);
  EXPECT_TRUE(engine_->Journal() == moved);
  absl::StatusOr<std::unique_ptr<Engine>> from_journal =
      Engine::Replay(engine_->config(), engine_->Journal(), ParseEngineConfigJson);
  ASSERT_TRUE(from_journal.ok()) << from_journal.status();
  EXPECT_TRUE((*from_journal)->Snapshot() == engine_->Snapshot());
}

// --- unknown names ------------------------------------------------------------------------------

TEST_F(EngineErrorsTest, UnknownItemIsNotFoundForEveryItemCommand) {
  Assign("t1");
  const std::vector<std::pair<std::string, Command>> commands = {
      {"Update", [&](absl::Time at) { return engine_->Update("nope", {.tier = "vip"}, at); }},
      {"Accept", [&](absl::Time at) { return engine_->Accept("nope", "a1", at); }},
      {"Reject", [&](absl::Time at) { return engine_->Reject("nope", "a1", at); }},
      {"Respond", [&](absl::Time at) { return engine_->Respond("nope", at); }},
      {"CustomerMessage", [&](absl::Time at) { return engine_->CustomerMessage("nope", at); }},
      {"Pause", [&](absl::Time at) { return engine_->Pause("nope", at); }},
      {"Resume", [&](absl::Time at) { return engine_->Resume("nope", at); }},
      {"Resolve", [&](absl::Time at) { return engine_->Resolve("nope", at); }},
      {"Confirm", [&](absl::Time at) { return engine_->Confirm("nope", at); }},
      {"Reopen", [&](absl::Time at) { return engine_->Reopen("nope", at); }},
      {"Transfer", [&](absl::Time at) { return engine_->Transfer("nope", "support", at); }},
      {"Escalate", [&](absl::Time at) { return engine_->Escalate("nope", at); }},
      {"Cancel", [&](absl::Time at) { return engine_->Cancel("nope", at); }},
      {"Abandon", [&](absl::Time at) { return engine_->Abandon("nope", at); }},
  };
  for (const auto& [name, command] : commands) {
    EXPECT_TRUE(Refused(command, Code::kNotFound, "unknown item \"nope\"")) << name;
  }
  // Item lookups name the item even when the other arguments are bad too.
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Accept("nope", "ghost", at); },
                      Code::kNotFound, "unknown item \"nope\""));
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Transfer("nope", "nowhere", at); },
                      Code::kNotFound, "unknown item \"nope\""));
  EXPECT_EQ(engine_->Item("nope").status().code(), Code::kNotFound);
  EXPECT_EQ(engine_->Explain("nope").status().code(), Code::kNotFound);
}

// A command refused after naming new skills takes them back: they were once left in the catalog
// and the journal (outside the state digest), where a reconfiguration closing the catalog found
// them in use.
TEST_F(EngineErrorsTest, ARefusedCommandLeavesNoSkillNamesBehind) {
  Submit("t1");
  const absl::Time at = engine_->now();
  const std::string snapshot = engine_->Snapshot();
  EXPECT_EQ(engine_
                ->Submit({.id = "n1",
                          .queue = "billing",
                          .channel = "chat",
                          .priority = "A",
                          .requirement = {.must = {{"ghost", 1}}, .excluded = {"ghost"}}},
                         at)
                .code(),
            Code::kInvalidArgument);
  EXPECT_EQ(
      engine_->Update("t1", {.requirement = NamedRequirement{.preferred = {{"ghost2", -1}}}}, at)
          .code(),
      Code::kInvalidArgument);
  EXPECT_EQ(engine_->AddAgent({.id = "a9", .skills = {{"ghost3", 2}}, .budget = -1}, at).code(),
            Code::kInvalidArgument);
  // The snapshot holds the catalog and the journal.
  EXPECT_TRUE(engine_->Snapshot() == snapshot) << "a refused command changed the snapshot";
}

// A resolved item waits for its customer, not for an agent: explaining it is refused by its state
// (it was once refused as an unknown item, by its internal number).
TEST_F(EngineErrorsTest, ExplainingAResolvedItemIsFailedPrecondition) {
  Resolve("t1");
  const absl::StatusOr<std::vector<std::pair<std::string, Candidate>>> explained =
      engine_->Explain("t1");
  EXPECT_EQ(explained.status().code(), Code::kFailedPrecondition);
  EXPECT_THAT(Msg(explained.status()), HasSubstr("item \"t1\" is resolved"));
}

TEST_F(EngineErrorsTest, FinalItemsLeaveTheTableAndBecomeUnknown) {
  Resolve("t1");
  ASSERT_TRUE(engine_->Confirm("t1", Tick()).ok());
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Reopen("t1", at); }, Code::kNotFound,
                      "unknown item \"t1\""));
  Submit("t2", "followups");
  ASSERT_TRUE(engine_->Cancel("t2", Tick()).ok());
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Cancel("t2", at); }, Code::kNotFound,
                      "unknown item \"t2\""));
  Submit("t3", "followups");
  ASSERT_TRUE(engine_->Abandon("t3", Tick()).ok());
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Abandon("t3", at); }, Code::kNotFound,
                      "unknown item \"t3\""));
}

TEST_F(EngineErrorsTest, UnknownAgentIsNotFound) {
  const std::string agent = Submit("t1");
  ASSERT_FALSE(agent.empty());
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->RemoveAgent("ghost", at); },
                      Code::kNotFound, "unknown agent \"ghost\""));
  EXPECT_TRUE(Refused(
      [&](absl::Time at) {
        return engine_->UpdateAgent({.id = "ghost", .queues = {{.queue = "billing"}}}, at);
      },
      Code::kNotFound, "unknown agent \"ghost\""));
  EXPECT_TRUE(Refused(
      [&](absl::Time at) { return engine_->SetAgentState("ghost", AgentState::kAvailable, at); },
      Code::kNotFound, "unknown agent \"ghost\""));
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Accept("t1", "ghost", at); },
                      Code::kNotFound, "unknown agent \"ghost\""));
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Reject("t1", "ghost", at); },
                      Code::kNotFound, "unknown agent \"ghost\""));
  EXPECT_EQ(engine_->Agent("ghost").status().code(), Code::kNotFound);
  // A removed agent is unknown from then on.
  ASSERT_TRUE(engine_->RemoveAgent("a3", Tick()).ok());
  EXPECT_TRUE(Refused(
      [&](absl::Time at) { return engine_->SetAgentState("a3", AgentState::kAvailable, at); },
      Code::kNotFound, "unknown agent \"a3\""));
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->RemoveAgent("a3", at); },
                      Code::kNotFound, "unknown agent \"a3\""));
}

TEST_F(EngineErrorsTest, UnknownQueueIsNotFound) {
  Assign("t1");
  EXPECT_TRUE(Refused(
      [&](absl::Time at) {
        return engine_->Submit({.id = "t2", .queue = "nowhere", .channel = "chat"}, at);
      },
      Code::kNotFound, "unknown queue \"nowhere\""));
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Transfer("t1", "nowhere", at); },
                      Code::kNotFound, "unknown queue \"nowhere\""));
  EXPECT_TRUE(Refused(
      [&](absl::Time at) {
        return engine_->AddAgent({.id = "a4", .queues = {{.queue = "nowhere"}}}, at);
      },
      Code::kNotFound, "unknown queue \"nowhere\""));
  EXPECT_TRUE(Refused(
      [&](absl::Time at) {
        return engine_->UpdateAgent(
            {.id = "a2", .capacity = {{"chat", 2}}, .queues = {{.queue = "nowhere"}}}, at);
      },
      Code::kNotFound, "unknown queue \"nowhere\""));
  EXPECT_EQ(engine_->Queue("nowhere").status().code(), Code::kNotFound);
}

TEST_F(EngineErrorsTest, UnknownChannelIsNotFound) {
  EXPECT_TRUE(Refused(
      [&](absl::Time at) {
        return engine_->Submit({.id = "t1", .queue = "billing", .channel = "fax"}, at);
      },
      Code::kNotFound, "unknown channel \"fax\""));
  EXPECT_TRUE(Refused(
      [&](absl::Time at) {
        return engine_->AddAgent({.id = "a4", .capacity = {{"fax", 1}}}, at);
      },
      Code::kNotFound, "unknown channel \"fax\""));
  EXPECT_TRUE(Refused(
      [&](absl::Time at) {
        return engine_->UpdateAgent({.id = "a1", .capacity = {{"chat", 2}, {"fax", 1}}}, at);
      },
      Code::kNotFound, "unknown channel \"fax\""));
}

TEST_F(EngineErrorsTest, UnknownPriorityLabelIsNotFound) {
  Submit("t1");
  EXPECT_TRUE(Refused(
      [&](absl::Time at) {
        return engine_->Submit({.id = "t2", .queue = "billing", .channel = "chat", .priority = "Z"},
                               at);
      },
      Code::kNotFound, "unknown priority \"Z\""));
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Update("t1", {.priority = "Z"}, at); },
                      Code::kNotFound, "unknown priority \"Z\""));
  // Labels are case-sensitive.
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Update("t1", {.priority = "a"}, at); },
                      Code::kNotFound, "unknown priority \"a\""));
}

// --- duplicates and empty ids -------------------------------------------------------------------

TEST_F(EngineErrorsTest, DuplicateIdsAreAlreadyExists) {
  Submit("t1");
  EXPECT_TRUE(Refused(
      [&](absl::Time at) {
        return engine_->Submit({.id = "t1", .queue = "support", .channel = "email"}, at);
      },
      Code::kAlreadyExists, "item \"t1\" exists"));
  EXPECT_TRUE(Refused(
      [&](absl::Time at) {
        return engine_->AddAgent({.id = "a1", .capacity = {{"chat", 1}}}, at);
      },
      Code::kAlreadyExists, "agent \"a1\" exists"));
  // A duplicate id wins over the other errors of the spec.
  EXPECT_TRUE(Refused(
      [&](absl::Time at) {
        return engine_->Submit({.id = "t1", .queue = "nowhere", .channel = "fax"}, at);
      },
      Code::kAlreadyExists, "item \"t1\" exists"));
}

TEST_F(EngineErrorsTest, EmptyIdsAreInvalidArgument) {
  EXPECT_TRUE(Refused(
      [&](absl::Time at) {
        return engine_->Submit({.id = "", .queue = "billing", .channel = "chat"}, at);
      },
      Code::kInvalidArgument, "an item needs an id"));
  EXPECT_TRUE(Refused(
      [&](absl::Time at) {
        return engine_->AddAgent({.id = "", .capacity = {{"chat", 1}}}, at);
      },
      Code::kInvalidArgument, "an agent needs an id"));
  // An empty pause reason is a bad argument as well.
  Assign("t1");
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Pause("t1", at, ""); },
                      Code::kInvalidArgument, "a pause needs a reason"));
  // Looking up an empty id names no existing item or agent: NotFound, like any unknown id.
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Resolve("", at); }, Code::kNotFound,
                      "unknown item \"\""));
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->RemoveAgent("", at); }, Code::kNotFound,
                      "unknown agent \"\""));
}

// --- offers -------------------------------------------------------------------------------------

TEST_F(EngineErrorsTest, AnswersFromAgentsTheItemWasNotOfferedToAreRefused) {
  const std::string agent = Submit("t1");
  ASSERT_TRUE(agent == "a1" || agent == "a2") << agent;
  const std::string other = agent == "a1" ? "a2" : "a1";
  // The message names the item and both agents by their ids.
  const std::string offered_to = absl::StrCat("item \"t1\" is offered to agent \"", agent, "\"");
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Accept("t1", other, at); },
                      Code::kFailedPrecondition,
                      absl::StrCat(offered_to, ", not to \"", other, "\": cannot accept")));
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Reject("t1", other, at); },
                      Code::kFailedPrecondition,
                      absl::StrCat(offered_to, ", not to \"", other, "\": cannot reject")));
  // a3 does not even serve billing.
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Accept("t1", "a3", at); },
                      Code::kFailedPrecondition, absl::StrCat(offered_to, ", not to \"a3\"")));
  EXPECT_EQ(View("t1").state, ItemState::kOffered);
  EXPECT_EQ(View("t1").agent, agent);
}

TEST_F(EngineErrorsTest, AnswersToItemsThatAreNotOfferedAreRefused) {
  // Nobody serves followups: t1 waits.
  EXPECT_EQ(Submit("t1", "followups"), "");
  ASSERT_EQ(View("t1").state, ItemState::kQueued);
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Accept("t1", "a1", at); },
                      Code::kFailedPrecondition, "item \"t1\" is queued: cannot accept"));
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Reject("t1", "a1", at); },
                      Code::kFailedPrecondition, "item \"t1\" is queued: cannot reject"));
  // Accepted already.
  const std::string agent = Assign("t2");
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Accept("t2", agent, at); },
                      Code::kFailedPrecondition, "item \"t2\" is assigned: cannot accept"));
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Reject("t2", agent, at); },
                      Code::kFailedPrecondition, "item \"t2\" is assigned: cannot reject"));
  // Auto-accepted: never offered.
  EXPECT_EQ(Submit("t3", "support"), "a3");
  ASSERT_EQ(View("t3").state, ItemState::kAssigned);
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Accept("t3", "a3", at); },
                      Code::kFailedPrecondition, "item \"t3\" is assigned: cannot accept"));
}

// --- the lifecycle ------------------------------------------------------------------------------

TEST_F(EngineErrorsTest, WorkOnQueuedItemsIsRefused) {
  Submit("t1", "followups");
  ASSERT_EQ(View("t1").state, ItemState::kQueued);
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Resolve("t1", at); },
                      Code::kFailedPrecondition, "item \"t1\" is queued: cannot resolve"));
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Respond("t1", at); },
                      Code::kFailedPrecondition, "item \"t1\" is queued: cannot respond"));
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Pause("t1", at); },
                      Code::kFailedPrecondition, "item \"t1\" is queued: cannot pause"));
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Confirm("t1", at); },
                      Code::kFailedPrecondition, "item \"t1\" is queued: cannot confirm"));
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Reopen("t1", at); },
                      Code::kFailedPrecondition, "item \"t1\" is queued: cannot reopen"));
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Resume("t1", at); },
                      Code::kFailedPrecondition, "item \"t1\" is not paused for \"customer\""));
  // Offered is not assigned either.
  const std::string agent = Submit("t2");
  ASSERT_EQ(View("t2").state, ItemState::kOffered);
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Resolve("t2", at); },
                      Code::kFailedPrecondition, "item \"t2\" is offered: cannot resolve"));
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Respond("t2", at); },
                      Code::kFailedPrecondition, "item \"t2\" is offered: cannot respond"));
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Pause("t2", at); },
                      Code::kFailedPrecondition, "item \"t2\" is offered: cannot pause"));
}

TEST_F(EngineErrorsTest, ConfirmAndReopenNeedAResolvedItem) {
  Assign("t1");
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Confirm("t1", at); },
                      Code::kFailedPrecondition, "item \"t1\" is assigned: cannot confirm"));
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Reopen("t1", at); },
                      Code::kFailedPrecondition, "item \"t1\" is assigned: cannot reopen"));
  ASSERT_TRUE(engine_->Pause("t1", Tick()).ok());
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Confirm("t1", at); },
                      Code::kFailedPrecondition,
                      "item \"t1\" is pending_customer: cannot confirm"));
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Reopen("t1", at); },
                      Code::kFailedPrecondition, "item \"t1\" is pending_customer: cannot reopen"));
}

TEST_F(EngineErrorsTest, ResolvedItemsRefuseWork) {
  Resolve("t1");
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Resolve("t1", at); },
                      Code::kFailedPrecondition, "item \"t1\" is resolved: cannot resolve"));
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Respond("t1", at); },
                      Code::kFailedPrecondition, "item \"t1\" is resolved: cannot respond"));
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Pause("t1", at); },
                      Code::kFailedPrecondition, "item \"t1\" is resolved: cannot pause"));
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->CustomerMessage("t1", at); },
                      Code::kFailedPrecondition,
                      "item \"t1\" is resolved: cannot take a customer message"));
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Transfer("t1", "support", at); },
                      Code::kFailedPrecondition, "item \"t1\" is resolved: cannot transfer"));
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Escalate("t1", at); },
                      Code::kFailedPrecondition, "item \"t1\" is resolved: cannot escalate"));
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Abandon("t1", at); },
                      Code::kFailedPrecondition, "item \"t1\" is resolved: cannot abandon"));
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Accept("t1", "a1", at); },
                      Code::kFailedPrecondition, "item \"t1\" is resolved: cannot accept"));
}

TEST_F(EngineErrorsTest, PausesNeedDistinctReasonsAndResumesAMatchingPause) {
  Assign("t1");
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Resume("t1", at); },
                      Code::kFailedPrecondition, "item \"t1\" is not paused for \"customer\""));
  ASSERT_TRUE(engine_->Pause("t1", Tick(), "customer").ok());
  EXPECT_EQ(View("t1").state, ItemState::kPendingCustomer);
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Pause("t1", at, "customer"); },
                      Code::kFailedPrecondition, "item \"t1\" is already paused for \"customer\""));
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Resume("t1", at, "third_party"); },
                      Code::kFailedPrecondition, "item \"t1\" is not paused for \"third_party\""));
  // A second, different reason is fine; resuming both ends the pause.
  ASSERT_TRUE(engine_->Pause("t1", Tick(), "third_party").ok());
  ASSERT_TRUE(engine_->Resume("t1", Tick(), "customer").ok());
  EXPECT_EQ(View("t1").state, ItemState::kPendingCustomer);
  ASSERT_TRUE(engine_->Resume("t1", Tick(), "third_party").ok());
  EXPECT_EQ(View("t1").state, ItemState::kAssigned);
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Resume("t1", at, "third_party"); },
                      Code::kFailedPrecondition, "item \"t1\" is not paused for \"third_party\""));
}

TEST_F(EngineErrorsTest, TransferToTheSameQueueIsInvalidArgument) {
  Assign("t1");
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Transfer("t1", "billing", at); },
                      Code::kInvalidArgument, "item \"t1\" is already in queue \"billing\""));
  Submit("t2", "followups");
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Transfer("t2", "followups", at); },
                      Code::kInvalidArgument, "item \"t2\" is already in queue \"followups\""));
}

TEST_F(EngineErrorsTest, AbandonIsForWaitingWorkOnly) {
  const std::string agent = Assign("t1");
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Abandon("t1", at); },
                      Code::kFailedPrecondition, "item \"t1\" is assigned: cannot abandon"));
  ASSERT_TRUE(engine_->Pause("t1", Tick()).ok());
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Abandon("t1", at); },
                      Code::kFailedPrecondition,
                      "item \"t1\" is pending_customer: cannot abandon"));
  // Waiting and offered work may be abandoned.
  Submit("t2", "followups");
  EXPECT_TRUE(engine_->Abandon("t2", Tick()).ok());
  Submit("t3");
  EXPECT_EQ(View("t3").state, ItemState::kOffered);
  EXPECT_TRUE(engine_->Abandon("t3", Tick()).ok());
}

// --- escalation ---------------------------------------------------------------------------------

TEST_F(EngineErrorsTest, EscalatingWithoutAnApplicableManualRuleIsFailedPrecondition) {
  // quietq's policy has no manual rule.
  Submit("t1", "quietq");
  EXPECT_EQ(View("t1").escalation_policy, "quiet");
  EXPECT_TRUE(
      Refused([&](absl::Time at) { return engine_->Escalate("t1", at); }, Code::kFailedPrecondition,
              "no escalation rule of policy \"quiet\" applies to item \"t1\" at level \"Q1\""));
  // The default policy's manual rule climbs one level at a time, not past the last one.
  Submit("t2", "followups");
  ASSERT_EQ(View("t2").escalation_policy, "support");
  ASSERT_TRUE(engine_->Escalate("t2", Tick()).ok());
  ASSERT_TRUE(engine_->Escalate("t2", Tick()).ok());
  EXPECT_EQ(View("t2").level_name, "L3");
  EXPECT_TRUE(
      Refused([&](absl::Time at) { return engine_->Escalate("t2", at); }, Code::kFailedPrecondition,
              "no escalation rule of policy \"support\" applies to item \"t2\" at level \"L3\""));
}

TEST(EngineErrorsNoPolicyTest, EscalatingAnItemWithoutAPolicyIsFailedPrecondition) {
  std::unique_ptr<Engine> engine =
      MustEngine(R"({"queues": [{"name": "plain"}], "origin": "2026-03-02T08:00:00Z"})");
  ASSERT_NE(engine, nullptr);
  const absl::Time t = engine->now() + absl::Seconds(1);
  ASSERT_TRUE(engine->Submit({.id = "t1", .queue = "plain", .channel = "email"}, t).ok());
  EXPECT_EQ(engine->Item("t1")->escalation_policy, "");
  EXPECT_TRUE(RefusedAt(
      *engine, t + absl::Seconds(1), [&](absl::Time at) { return engine->Escalate("t1", at); },
      Code::kFailedPrecondition, "item \"t1\" has no escalation policy"));
}

TEST(EngineConfigErrorsTest, EscalationChecksAtLeastASecondApart) {
  // Each check is a timer the clock stops at: a nanosecond interval would make advancing an hour
  // 3.6e12 sweeps.
  EngineConfig config;
  config.queues.push_back({.name = "plain"});
  config.escalation_check_interval = absl::Milliseconds(999);
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(config);
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(engine.status().message(), HasSubstr("escalation_check_interval"));
  config.escalation_check_interval = absl::Seconds(1);
  EXPECT_TRUE(Engine::Create(config).ok());
}

// --- agents -------------------------------------------------------------------------------------

TEST_F(EngineErrorsTest, AgentsHoldingAssignedWorkCannotBeRemovedNorLogOut) {
  const std::string agent = Assign("t1");
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->RemoveAgent(agent, at); },
                      Code::kFailedPrecondition, "holds assigned work: t1"));
  EXPECT_TRUE(Refused(
      [&](absl::Time at) { return engine_->SetAgentState(agent, AgentState::kOffline, at); },
      Code::kFailedPrecondition, "cannot log out"));
  // Paused work is still held.
  ASSERT_TRUE(engine_->Pause("t1", Tick()).ok());
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->RemoveAgent(agent, at); },
                      Code::kFailedPrecondition, "holds assigned work"));
  // A pending offer blocks logging out too (RemoveAgent withdraws offers instead).
  const std::string offered = Submit("t2");
  ASSERT_FALSE(offered.empty());
  ASSERT_EQ(View("t2").state, ItemState::kOffered);
  EXPECT_TRUE(Refused(
      [&](absl::Time at) { return engine_->SetAgentState(offered, AgentState::kOffline, at); },
      Code::kFailedPrecondition, "cannot log out"));
  // Once resolved, the agent may go.
  ASSERT_TRUE(engine_->Resolve("t1", Tick()).ok());
  ASSERT_TRUE(engine_->Cancel("t2", Tick()).ok());
  EXPECT_TRUE(engine_->SetAgentState(agent, AgentState::kOffline, Tick()).ok());
  EXPECT_TRUE(engine_->RemoveAgent(agent, Tick()).ok());
}

TEST_F(EngineErrorsTest, WrapUpCannotBeSetByHand) {
  EXPECT_TRUE(
      Refused([&](absl::Time at) { return engine_->SetAgentState("a1", AgentState::kWrapUp, at); },
              Code::kInvalidArgument, "cannot be set"));
}

TEST_F(EngineErrorsTest, BadAgentSpecsAreRefused) {
  for (const int level : {0, -1, 101}) {
    EXPECT_TRUE(Refused(
        [&](absl::Time at) {
          return engine_->AddAgent(
              {.id = "a4", .skills = {{"billing", level}}, .capacity = {{"chat", 1}}}, at);
        },
        Code::kInvalidArgument, "skill \"billing\" level must be 1 to 100"))
        << level;
    EXPECT_TRUE(Refused(
        [&](absl::Time at) {
          return engine_->UpdateAgent(
              {.id = "a1", .skills = {{"billing", level}}, .capacity = {{"chat", 2}}}, at);
        },
        Code::kInvalidArgument, "skill \"billing\" level must be 1 to 100"))
        << level;
  }
  EXPECT_TRUE(Refused(
      [&](absl::Time at) {
        return engine_->AddAgent({.id = "a4", .capacity = {{"chat", -1}}}, at);
      },
      Code::kInvalidArgument, "capacity for \"chat\" must be 0 to 1000000"));
  EXPECT_TRUE(Refused(
      [&](absl::Time at) {
        return engine_->AddAgent({.id = "a4", .capacity = {{"chat", 1}}, .budget = 0}, at);
      },
      Code::kInvalidArgument, "agent \"a4\": budget 0 must be 1 to 1000000"));
  EXPECT_TRUE(Refused(
      [&](absl::Time at) {
        return engine_->AddAgent(
            {.id = "a4",
             .capacity = {{"chat", 1}},
             .queues = {{.queue = "billing"}, {.queue = "billing", .priority = 1}}},
            at);
      },
      Code::kInvalidArgument, "listed twice"));
  EXPECT_TRUE(Refused(
      [&](absl::Time at) {
        return engine_->AddAgent({.id = "a4",
                                  .capacity = {{"chat", 1}},
                                  .queues = {{.queue = "billing", .delay = absl::Seconds(-1)}}},
                                 at);
      },
      Code::kInvalidArgument, "delay"));
}

TEST_F(EngineErrorsTest, UpdateAgentCannotShrinkCapacityBelowTheWorkHeld) {
  const std::string agent = Assign("t1");
  EXPECT_TRUE(Refused(
      [&](absl::Time at) {
        return engine_->UpdateAgent(
            {.id = agent, .capacity = {{"email", 1}}, .queues = {{.queue = "billing"}}}, at);
      },
      Code::kFailedPrecondition, "more than the new limit"));
}

// A routing profile that lists a queue twice (or has a negative delay) is refused whole by
// UpdateAgent and by AddAgent of a removed id, as AddAgent refuses it for a new agent.
TEST_F(EngineErrorsTest, UpdateAgentWithAnInvalidRoutingProfileIsRefusedWhole) {
  EXPECT_TRUE(Refused(
      [&](absl::Time at) {
        return engine_->UpdateAgent({.id = "a1",
                                     .skills = {{"tech", 70}},
                                     .capacity = {{"email", 3}},
                                     .queues = {{.queue = "support"}, {.queue = "support"}}},
                                    at);
      },
      Code::kInvalidArgument, "listed twice"));
  ASSERT_TRUE(engine_->SetAgentState("a3", AgentState::kOffline, Tick()).ok());
  ASSERT_TRUE(engine_->RemoveAgent("a3", Tick()).ok());
  EXPECT_TRUE(Refused(
      [&](absl::Time at) {
        return engine_->AddAgent({.id = "a3",
                                  .capacity = {{"chat", 1}},
                                  .queues = {{.queue = "support"}, {.queue = "support"}}},
                                 at);
      },
      Code::kInvalidArgument, "listed twice"));
}

// --- submissions --------------------------------------------------------------------------------

TEST_F(EngineErrorsTest, SubmitCreatedAfterItsInstantIsInvalidArgument) {
  EXPECT_TRUE(Refused(
      [&](absl::Time at) {
        return engine_->Submit({.id = "t1",
                                .queue = "billing",
                                .channel = "chat",
                                .priority = "A",
                                .created = at + absl::Seconds(1)},
                               at);
      },
      Code::kInvalidArgument, "item \"t1\": created after the command's instant"));
  // Created before (a retroactive start) is fine.
  EXPECT_TRUE(engine_
                  ->Submit({.id = "t1",
                            .queue = "billing",
                            .channel = "chat",
                            .priority = "A",
                            .created = t_ - absl::Minutes(10)},
                           Tick())
                  .ok());
}

TEST_F(EngineErrorsTest, PrioritiesWithoutSlaTargetsAreRefused) {
  EXPECT_TRUE(Refused(
      [&](absl::Time at) {
        return engine_->Submit({.id = "t1", .queue = "billing", .channel = "chat", .priority = "D"},
                               at);
      },
      Code::kNotFound, "SLA policy \"standard\" has no targets for priority \"D\""));
  // No priority means the least urgent label, D, here too.
  EXPECT_TRUE(Refused(
      [&](absl::Time at) {
        return engine_->Submit({.id = "t1", .queue = "billing", .channel = "chat"}, at);
      },
      Code::kNotFound, "has no targets for priority \"D\""));
  // Re-prioritising an SLA item to D is refused the same way.
  Submit("t2");
  EXPECT_TRUE(Refused([&](absl::Time at) { return engine_->Update("t2", {.priority = "D"}, at); },
                      Code::kNotFound, "has no targets for priority \"D\""));
  EXPECT_EQ(View("t2").priority, "A");
}

// Resolving ends every pause, in the SLA tracker too: after a reopen the new resolution cycle
// runs, and the item may be paused again for the same reason.
TEST_F(EngineErrorsTest, PausesDoNotSurviveResolveAndReopen) {
  Assign("t1");
  ASSERT_TRUE(engine_->Pause("t1", Tick(), "customer").ok());
  ASSERT_TRUE(engine_->Resolve("t1", Tick()).ok());
  ASSERT_TRUE(engine_->Reopen("t1", Tick()).ok());
  EngineItemView view = View("t1");
  ASSERT_EQ(view.state, ItemState::kOffered) << ItemText(view);
  ASSERT_TRUE(engine_->Accept("t1", view.agent, Tick()).ok());
  view = View("t1");
  ASSERT_EQ(view.state, ItemState::kAssigned);
  for (const SlaClockView& clock : view.sla) {
    if (clock.metric == SlaMetric::kResolution) {
      EXPECT_NE(clock.state, SlaState::kPaused) << ItemText(view);
    }
  }
  const absl::Status paused = engine_->Pause("t1", Tick(), "customer");
  EXPECT_TRUE(paused.ok()) << paused;
}

// --- configuration ------------------------------------------------------------------------------

void ExpectConfigError(const std::string& json, Code code, std::string_view path,
                       std::string_view detail) {
  absl::StatusOr<std::unique_ptr<Engine>> engine = EngineFromJson(json);
  ASSERT_FALSE(engine.ok()) << "accepted:\n" << json;
  EXPECT_EQ(engine.status().code(), code) << engine.status();
  EXPECT_THAT(Msg(engine.status()), HasSubstr(path));
  EXPECT_THAT(Msg(engine.status()), HasSubstr(detail));
}

std::string Replace(std::string text, std::string_view from, std::string_view to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(EngineConfigErrorsTest, TheBaseConfigurationIsValid) {
  absl::StatusOr<EngineConfig> config = ParseEngineConfigJson(Config());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->queues.size(), 4u);
  EXPECT_EQ(config->default_escalation_policy, "support");
  EXPECT_NE(MustEngine(Config()), nullptr);
}

// An origin in epoch seconds beyond 64-bit nanoseconds is an error, not an overflow.
TEST(EngineConfigErrorsTest, AnOriginOutOfRangeIsRefused) {
  for (const char* origin : {"3.3e129", "-1e12", "1e300"}) {
    absl::StatusOr<EngineConfig> config =
        ParseEngineConfigJson(absl::StrCat(R"({"origin": )", origin, "}"));
    ASSERT_FALSE(config.ok()) << origin;
    EXPECT_THAT(Msg(config.status()), HasSubstr("instant out of range")) << origin;
  }
  EXPECT_TRUE(ParseEngineConfigJson(R"({"origin": 1795000000.5})").ok());
}

TEST(EngineConfigErrorsTest, UnknownKeysNameTheirPath) {
  absl::StatusOr<EngineConfig> top = ParseEngineConfigJson(R"({"queuez": []})");
  ASSERT_FALSE(top.ok());
  EXPECT_EQ(top.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(Msg(top.status()), HasSubstr("unknown key \"queuez\""));
  ExpectConfigError(Replace(Config(), R"("name": "followups")", R"("nmae": "followups")"),
                    Code::kInvalidArgument, "queues[2]: unknown key \"nmae\"", "expected one of");
  ExpectConfigError(
      Replace(Config(), R"("auto_close_after": "2d")", R"("auto_close_after": "2d", "x": 1)"),
      Code::kInvalidArgument, "lifecycle: unknown key \"x\"", "auto_close_after");
  ExpectConfigError(Replace(Config(), R"("kind": "manual")", R"("kind": "manual", "why": 1)"),
                    Code::kInvalidArgument, "escalation.rules[4].trigger: unknown key \"why\"",
                    "expected one of");
}

TEST(EngineConfigErrorsTest, UnknownStrategyNamesItsQueue) {
  ExpectConfigError(
      Replace(Config(), R"("strategy": "least_occupied")", R"("strategy": "fastest")"),
      Code::kInvalidArgument, "queues[1].strategy", "\"fastest\"");
}

TEST(EngineConfigErrorsTest, BadDurationsNameTheirPath) {
  ExpectConfigError(
      Replace(Config(), R"("offer_timeout": "5m")", R"("offer_timeout": "5 parsecs")"),
      Code::kInvalidArgument, "queues[0].offer_timeout", "5 parsecs");
  ExpectConfigError(Replace(Config(), R"("offer_timeout": "5m")", R"("offer_timeout": -3)"),
                    Code::kInvalidArgument, "queues[0].offer_timeout", "negative");
  ExpectConfigError(
      Replace(Config(), R"("auto_close_after": "2d")", R"("auto_close_after": "soonish")"),
      Code::kInvalidArgument, "lifecycle.auto_close_after", "soonish");
  ExpectConfigError(Replace(Config(), R"("after": "1d")", R"("after": true)"),
                    Code::kInvalidArgument, "queues[0].follow_up.after", "expected a duration");
  // Well-formed but not allowed by the engine.
  ExpectConfigError(Replace(Config(), R"("offer_timeout": "5m")", R"("offer_timeout": 0)"),
                    Code::kInvalidArgument, "queues[0].offer_timeout", "must be positive");
}

TEST(EngineConfigErrorsTest, UnknownSlaPolicyOfAQueueIsNotFound) {
  const std::string json =
      Replace(Config(), R"("followups", "strategy": "round_robin", "sla_policy": "standard")",
              R"("followups", "strategy": "round_robin", "sla_policy": "gold")");
  // The parser reads it; the engine checks the reference.
  EXPECT_TRUE(ParseEngineConfigJson(json).ok());
  ExpectConfigError(json, Code::kNotFound, "queues[2].sla_policy", "unknown SLA policy \"gold\"");
}

TEST(EngineConfigErrorsTest, UnknownEscalationLevelNamesTheRule) {
  ExpectConfigError(Replace(Config(), R"("to_level": "L3")", R"("to_level": "L9")"),
                    Code::kInvalidArgument, "escalation.rules[1].to_level", "unknown level \"L9\"");
  ExpectConfigError(Replace(Config(), R"("from_level": "L1", "to_level": "L2")",
                            R"("from_level": "L0", "to_level": "L2")"),
                    Code::kInvalidArgument, "escalation.rules[2].from_level",
                    "unknown level \"L0\"");
}

TEST(EngineConfigErrorsTest, InvalidLevelTimeLimitNamesTheLevel) {
  ExpectConfigError(Replace(Config(), R"("time_limit": "4h")", R"("time_limit": "soon")"),
                    Code::kInvalidArgument, "escalation.levels[1].time_limit", "soon");
  ExpectConfigError(Replace(Config(), R"("time_limit": "4h")", R"("time_limit": -60)"),
                    Code::kInvalidArgument, "escalation.levels[1].time_limit", "negative");
  ExpectConfigError(Replace(Config(), R"("time_limit": "4h")", R"("time_limit": [1])"),
                    Code::kInvalidArgument, "escalation.levels[1].time_limit", "expected a");
}

TEST(EngineConfigErrorsTest, DuplicateQueueNamesAreRefused) {
  const std::string json = Replace(Config(), R"({"name": "quietq")", R"({"name": "support")");
  ExpectConfigError(json, Code::kInvalidArgument, "queues[3].name", "duplicate queue \"support\"");
}

TEST(EngineConfigErrorsTest, OtherBrokenReferencesNameTheirPath) {
  ExpectConfigError(Replace(Config(), R"("queue": "followups")", R"("queue": "later")"),
                    Code::kNotFound, "queues[0].follow_up.queue", "unknown queue \"later\"");
  ExpectConfigError(
      Replace(Config(), R"("escalation_policy": "quiet")", R"("escalation_policy": "loud")"),
      Code::kNotFound, "queues[3].escalation_policy", "unknown escalation policy \"loud\"");
  ExpectConfigError(
      Replace(Config(), R"("calendar": "office", "warn_at")", R"("calendar": "home", "warn_at")"),
      Code::kNotFound, "sla_policies[0].calendar", "home");
  ExpectConfigError("{\"queues\": [", Code::kInvalidArgument, "", "malformed JSON");
}

TEST(EngineConfigErrorsTest, DuplicateNamesNameTheSecondOne) {
  ExpectConfigError(Replace(Config(), R"("name": "quiet")", R"("name": "support")"),
                    Code::kInvalidArgument, "escalation.name",
                    "duplicate escalation policy \"support\"");
  ExpectConfigError(
      Replace(Config(), R"("escalation_policies": [)",
              R"("escalation_policies": [{"name": "quiet", "levels": [{"name": "Q1"}]},)"),
      Code::kInvalidArgument, "escalation_policies[1].name",
      "duplicate escalation policy \"quiet\"");
  ExpectConfigError(Replace(Config(), R"("origin")", R"("skills": ["senior", "senior"], "origin")"),
                    Code::kInvalidArgument, "skills[1]", "duplicate skill \"senior\"");
}

TEST(EngineConfigErrorsTest, ChannelErrorsNameTheirPath) {
  const auto with_channels = [](const std::string& channels) {
    return Replace(Config(), R"("origin")",
                   absl::StrCat(R"("channels": )", channels, R"(, "origin")"));
  };
  ExpectConfigError(with_channels(R"([{"name": "voice"}, {"name": "chat", "cost": 0}])"),
                    Code::kInvalidArgument, "channels[1].cost", "cost 0 is not in");
  ExpectConfigError(with_channels(R"([{"name": "voice"}, {"name": "voice"}])"),
                    Code::kInvalidArgument, "channels[1].name", "listed twice");
  ExpectConfigError(
      with_channels(R"([{"name": "voice", "blocks": ["chat", "fax"]}, {"name": "chat"}])"),
      Code::kInvalidArgument, "channels[0].blocks[1]", "blocks unknown channel \"fax\"");
  ExpectConfigError(with_channels(R"([{"name": "voice", "blocks": ["voice"]}])"),
                    Code::kInvalidArgument, "channels[0].blocks[0]", "blocks itself");
  ExpectConfigError(with_channels(R"([{"name": "bad name"}])"), Code::kInvalidArgument,
                    "channels[0].name", "\"bad name\" is not 1 to 64 characters");
}

// Rules that could never fire, and selector rules that could never match, are refused.
TEST(EngineConfigErrorsTest, RulesThatCanNeverApplyAreRefused) {
  const std::string quiet_rules = R"("rules": [{"trigger": {"kind": "tag", "value": "upset"}}])";
  ExpectConfigError(Replace(Config(), quiet_rules,
                            R"("rules": [{"trigger": {"kind": "tag", "value": "upset"}},
                           {"trigger": {"kind": "manual"}, "from_level": "Q2"}])"),
                    Code::kInvalidArgument, "escalation_policies[0].rules[1]", "never fires");
  ExpectConfigError(Replace(Config(), quiet_rules,
                            R"("rules": [{"trigger": {"kind": "tag", "value": "upset"}},
                           {"trigger": {"kind": "manual"}, "to_level": "Q1"}])"),
                    Code::kInvalidArgument, "escalation_policies[0].rules[1]", "never fires");
  ExpectConfigError(Replace(Config(), R"([{"name": "Q1"}, {"name": "Q2"}])", R"([{"name": "Q1"}])"),
                    Code::kInvalidArgument, "escalation_policies[0].rules[0]", "never fires");
  const auto with_rule = [](const std::string& rule) {
    return Replace(Config(), R"("queues": [)",
                   absl::StrCat(R"("sla_selector": {"rules": [)", rule,
                                R"(], "default": "standard"}, "queues": [)"));
  };
  EXPECT_NE(MustEngine(with_rule(R"({"queues": ["support"], "channels": ["chat"],
                                     "priorities": ["A"], "policy": "standard"})")),
            nullptr);
  ExpectConfigError(with_rule(R"({"queues": ["support", "sales"], "policy": "standard"})"),
                    Code::kNotFound, "sla_selector.rules[0].queues[1]", "unknown queue \"sales\"");
  ExpectConfigError(with_rule(R"({"channels": ["fax"], "policy": "standard"})"), Code::kNotFound,
                    "sla_selector.rules[0].channels[0]", "unknown channel \"fax\"");
  ExpectConfigError(with_rule(R"({"priorities": ["Z"], "policy": "standard"})"), Code::kNotFound,
                    "sla_selector.rules[0].priorities[0]", "unknown priority \"Z\"");
}

TEST(EngineConfigErrorsTest, ANegativeMissLimitIsRefused) {
  ExpectConfigError(
      Replace(Config(), R"("origin")", R"("agents": {"auto_away_after_misses": -1}, "origin")"),
      Code::kInvalidArgument, "agents.auto_away_after_misses", "negative");
}

// --- reconfiguration ----------------------------------------------------------------------------

TEST_F(EngineErrorsTest, RefusedReconfigurationsLeaveTheEngineUnchanged) {
  Assign("t1");
  Submit("t2", "followups");
  const std::string source = engine_->config().source;
  // Removing a queue.
  EXPECT_TRUE(Refused(
      [&](absl::Time at) {
        return ReconfigureFromJson(*engine_,
                                   Replace(Config(), R"(,
    {"name": "quietq", "sla_policy": "standard", "escalation_policy": "quiet"})",
                                           ""),
                                   at);
      },
      Code::kFailedPrecondition, "queues: \"quietq\" cannot be removed"));
  // Changing a queue's order.
  EXPECT_TRUE(Refused(
      [&](absl::Time at) {
        return ReconfigureFromJson(
            *engine_,
            Replace(Config(), R"("order": "weighted_aging")", R"("order": "priority_fifo")"), at);
      },
      Code::kFailedPrecondition, "the ordering of \"support\" cannot change"));
  // Changing the priorities.
  EXPECT_TRUE(Refused(
      [&](absl::Time at) {
        return ReconfigureFromJson(
            *engine_, Replace(Config(), R"(["A", "B", "C", "D"])", R"(["A", "B", "C"])"), at);
      },
      Code::kFailedPrecondition, "priorities cannot change"));
  // Channels.
  EXPECT_TRUE(Refused(
      [&](absl::Time at) {
        return ReconfigureFromJson(
            *engine_,
            Replace(Config(), R"("origin")",
                    R"("channels": [{"name": "chat"}, {"name": "email"}], "origin")"),
            at);
      },
      Code::kFailedPrecondition, "channels cannot change"));
  // An invalid new configuration is refused whole.
  EXPECT_TRUE(Refused(
      [&](absl::Time at) {
        return ReconfigureFromJson(
            *engine_,
            Replace(Config("2h"), R"("escalation_policy": "quiet")", R"("escalation_policy": "x")"),
            at);
      },
      Code::kNotFound, "queues[3].escalation_policy"));
  EXPECT_TRUE(
      Refused([&](absl::Time at) { return ReconfigureFromJson(*engine_, "{\"queues\": [", at); },
              Code::kInvalidArgument, "malformed JSON"));
  EXPECT_TRUE(engine_->config().source == source);
  // Everything still runs on the old configuration: A's first response is due after 30 minutes.
  for (const SlaClockView& clock : View("t2").sla) {
    if (clock.metric == SlaMetric::kFirstResponse) {
      EXPECT_EQ(clock.target, absl::Minutes(30));
    }
  }
}

TEST_F(EngineErrorsTest, AValidReconfigurationChangesBehaviour) {
  Submit("t1", "followups");  // A, created on Monday at 09:00:0x Berlin time
  const EngineItemView before = View("t1");
  absl::Time deadline_before = absl::InfinitePast();
  for (const SlaClockView& clock : before.sla) {
    if (clock.metric == SlaMetric::kFirstResponse) deadline_before = clock.deadline;
  }
  ASSERT_EQ(deadline_before, before.created + absl::Minutes(30)) << ItemText(before);
  // A's first response target becomes 2h (re-targeted from the original start); billing routes
  // round-robin and a new queue appears.
  ASSERT_TRUE(ReconfigureFromJson(
                  *engine_,
                  Config("2h", "round_robin", R"(, {"name": "vip", "sla_policy": "standard"})"),
                  Tick())
                  .ok());
  const EngineItemView after = View("t1");
  absl::Time deadline_after = absl::InfinitePast();
  for (const SlaClockView& clock : after.sla) {
    if (clock.metric == SlaMetric::kFirstResponse) {
      deadline_after = clock.deadline;
      EXPECT_EQ(clock.target, absl::Hours(2));
    }
  }
  EXPECT_EQ(deadline_after, before.created + absl::Hours(2)) << ItemText(after);
  EXPECT_EQ(engine_->QueueNames().back(), "vip");
  EXPECT_TRUE(
      engine_->Submit({.id = "t2", .queue = "vip", .channel = "chat", .priority = "B"}, Tick())
          .ok());
  EXPECT_EQ(engine_->config().queues[0].strategy, Strategy::kRoundRobin);
  // Going back to the old configuration would remove "vip": refused.
  EXPECT_TRUE(Refused([&](absl::Time at) { return ReconfigureFromJson(*engine_, Config(), at); },
                      Code::kFailedPrecondition, "queues: \"vip\" cannot be removed"));
}

}  // namespace
}  // namespace omniroute
