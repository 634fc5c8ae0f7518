// Writes the binary seeds of the fuzz targets: scripted command streams (engine_commands), the
// journals and snapshots the engine makes of them (journal, snapshot), and calendar specs followed
// by instant-choosing bytes (calendar). The JSON seeds are written by hand.
//
//   make_seeds OUT_DIR      # writes OUT_DIR/<target>/<name>; fails if a scenario misbehaves
//
// Every scenario runs through the same checks as engine_commands_fuzzer, and must have most of
// its commands accepted, so that the seeds reach deep into the engine.
#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "command_stream.h"
#include "fuzz_support.h"
#include "omniroute/config_json.h"
#include "omniroute/engine.h"

namespace omniroute::fuzz {
namespace {

template <size_t N>
int IndexOf(const std::array<std::string_view, N>& pool, std::string_view name) {
  for (size_t i = 0; i < N; ++i) {
    if (pool[i] == name) return static_cast<int>(i);
  }
  Fail(absl::StrCat("make_seeds: \"", std::string(name), "\" is in no pool"));
}

int Kind(EngineCommandKind kind) { return static_cast<int>(kind); }
int Agent(std::string_view id) { return IndexOf(kAgentPool, id); }
int Item(std::string_view id) { return IndexOf(kItemPool, id); }
int Queue(std::string_view name) { return IndexOf(kQueuePool, name); }
int Channel(std::string_view name) { return IndexOf(kChannelPool, name); }
int Priority(std::string_view label) { return IndexOf(kPriorityPool, label); }
int Reason(std::string_view reason) { return IndexOf(kReasonPool, reason); }
int Tier(std::string_view tier) { return IndexOf(kTierPool, tier); }
int Customer(std::string_view customer) { return IndexOf(kCustomerPool, customer); }
int Queues(std::initializer_list<std::string_view> names) {
  int mask = 0;
  for (std::string_view name : names) mask |= 1 << Queue(name);
  return mask;
}
int Tags(std::initializer_list<std::string_view> tags) {
  int mask = 0;
  for (std::string_view tag : tags) mask |= 1 << IndexOf(kTagPool, tag);
  return mask;
}

// The instant of a command, relative to the engine's now.
struct When {
  Timing timing = Timing::kNow;
  int amount = 0;
};
constexpr When kNow{};
When Seconds(int n) { return {Timing::kSeconds, n}; }
When Minutes(int n) { return {Timing::kMinutes, n}; }
When Hours(int n) { return {Timing::kHours, n}; }
When Days(int n) { return {Timing::kDays, n - 1}; }
When MinutesAgo(int n) { return {Timing::kBeforeNow, n - 1}; }

// A scenario as a list of command choices, written with the engine's vocabulary.
class Script {
 public:
  explicit Script(std::string name) : name_(std::move(name)) {}

  const std::string& name() const { return name_; }
  const std::vector<CommandChoice>& choices() const { return choices_; }

  // Skills billing 10, tech 5, senior 50 (as `skills` says), chat 3, email 2, voice 1.
  Script& AddAgent(std::string_view id, int queues, When when = kNow, int skills = 0b111,
                   std::array<int, 3> capacity = {3, 2, 1}) {
    return Push(EngineCommandKind::kAddAgent, when,
                {.agent_spec = {.id = Agent(id),
                                .skills = skills,
                                .levels = {2, 1, 3, 0},
                                .capacity = capacity,
                                .queues = queues}});
  }
  Script& UpdateAgent(std::string_view id, int queues, std::array<int, 3> capacity, int budget,
                      When when = kNow) {
    return Push(EngineCommandKind::kUpdateAgent, when,
                {.agent_spec = {.id = Agent(id),
                                .skills = 0b1011,
                                .levels = {2, 1, 4, 0},
                                .capacity = capacity,
                                .budget = budget,
                                .queues = queues,
                                .queue_priority = 1,
                                .queue_delay = 1}});
  }
  Script& RemoveAgent(std::string_view id, When when = kNow) {
    return Push(EngineCommandKind::kRemoveAgent, when, {.agent = Agent(id)});
  }
  Script& State(std::string_view id, AgentState state, When when = kNow,
                std::string_view reason = "customer") {
    int index = 0;
    while (kAgentStatePool[index] != state) ++index;
    return Push(EngineCommandKind::kSetAgentState, when,
                {.agent = Agent(id), .text = Reason(reason), .state = index});
  }
  Script& Submit(std::string_view id, std::string_view queue, std::string_view channel,
                 std::string_view priority, When when = kNow, ItemChoice extra = {}) {
    extra.id = Item(id);
    extra.queue = Queue(queue);
    extra.channel = Channel(channel);
    extra.priority = Priority(priority);
    return Push(EngineCommandKind::kSubmit, when, {.item_spec = extra});
  }
  Script& Update(std::string_view id, UpdateChoice update, When when = kNow) {
    return Push(EngineCommandKind::kUpdate, when, {.item = Item(id), .update = update});
  }
  Script& Answer(EngineCommandKind kind, std::string_view id, std::string_view agent,
                 When when = kNow) {
    return Push(kind, when, {.agent = Agent(agent), .item = Item(id)});
  }
  Script& Accept(std::string_view id, std::string_view agent, When when = kNow) {
    return Answer(EngineCommandKind::kAccept, id, agent, when);
  }
  Script& Reject(std::string_view id, std::string_view agent, When when = kNow) {
    return Answer(EngineCommandKind::kReject, id, agent, when);
  }
  Script& On(EngineCommandKind kind, std::string_view id, When when = kNow) {
    return Push(kind, when, {.item = Item(id)});
  }
  Script& Pause(EngineCommandKind kind, std::string_view id, std::string_view reason,
                When when = kNow) {
    return Push(kind, when, {.item = Item(id), .text = Reason(reason)});
  }
  Script& Transfer(std::string_view id, std::string_view queue, When when = kNow) {
    return Push(EngineCommandKind::kTransfer, when, {.item = Item(id), .text = Queue(queue)});
  }
  Script& Advance(When when) { return Push(EngineCommandKind::kAdvanceTo, when, {}); }
  Script& Reconfigure(int variant, When when = kNow) {
    return Push(EngineCommandKind::kReconfigure, when, {.text = variant});
  }

 private:
  Script& Push(EngineCommandKind kind, When when, CommandChoice choice) {
    choice.kind = Kind(kind);
    choice.timing = static_cast<int>(when.timing);
    choice.amount = when.amount;
    // Half of the commands move the clock first, so that refusals are checked at their instant.
    choice.advance_first = static_cast<int>(choices_.size() % 2);
    choices_.push_back(choice);
    return *this;
  }

  std::string name_;
  std::vector<CommandChoice> choices_;
};

using K = EngineCommandKind;

// An item through its whole life on each path: offers accepted and rejected, responses, pauses,
// resolution, confirmation and the quiet-period close, reopening, and the billing follow-up.
Script Lifecycle() {
  Script s("lifecycle");
  s.AddAgent("a0", Queues({"billing", "support", "followups"}))
      .AddAgent("a1", Queues({"billing", "support"}))
      .State("a0", AgentState::kAvailable)
      .State("a1", AgentState::kAvailable, Seconds(5))
      .Submit("t0", "billing", "chat", "A", Minutes(2), {.tags = Tags({"vip_line"})})
      .Accept("t0", "a0", Seconds(10))
      .On(K::kRespond, "t0", Minutes(3))
      .Pause(K::kPause, "t0", "customer", Minutes(1))
      .On(K::kCustomerMessage, "t0", Minutes(40))
      .On(K::kRespond, "t0", Minutes(5))
      .On(K::kResolve, "t0", Minutes(20))
      .On(K::kConfirm, "t0", Hours(1))
      .Submit("t1", "support", "email", "B", Minutes(1), {.customer = Customer("c0")})
      .On(K::kRespond, "t1", Minutes(30))
      .On(K::kResolve, "t1", Hours(1))
      .On(K::kReopen, "t1", Hours(2))
      .Submit("t2", "billing", "voice", "C", kNow,
              {.tier = Tier("vip"), .customer = Customer("c1")})
      .Reject("t2", "a0", Seconds(3))
      .Accept("t2", "a1", Seconds(3))
      .On(K::kResolve, "t2", Minutes(12))
      .Advance(Days(2))
      .On(K::kCancel, "t0/follow_up")
      .Advance(Days(3));
  return s;
}

// Offers that expire (the agent goes away), rejections up to an escalation, tags and manual
// escalation, transfers, abandonment and cancellation, updates of every field.
Script OffersAndEscalation() {
  Script s("offers_escalation");
  s.AddAgent("a0", Queues({"billing", "quietq"}))
      .AddAgent("a2", Queues({"billing", "support", "quietq"}), kNow, 0b1111)
      .State("a0", AgentState::kAvailable)
      .Submit("t3", "billing", "chat", "B")
      .Advance(Minutes(2))
      .State("a2", AgentState::kAvailable)
      .Reject("t3", "a2", Seconds(2))
      .AddAgent("a1", Queues({"billing", "support"}), Minutes(1))
      .State("a1", AgentState::kAvailable)
      .Accept("t3", "a1", Seconds(5))
      .Submit("t4", "quietq", "email", "A", kNow, {.tags = Tags({"upset"})})
      .On(K::kEscalate, "t3", Seconds(30))
      .Submit("t5", "billing", "chat", "C", kNow,
              {.requirement = {.must_skill = 3, .must_level = 3, .step = 1, .step_minutes = 5},
               .deadline = 12})
      .Update("t5",
              {.fields = 0b11111,
               .priority = Priority("A"),
               .tier = Tier("gold"),
               .tags = Tags({"upset", "bot_failed"}),
               .requirement = {.must_skill = 1, .must_level = 1, .prefer_skill = 2},
               .deadline = 3},
              Minutes(1))
      .Transfer("t3", "support", Minutes(4))
      .Submit("t6", "support", "voice", "A", Minutes(1))
      .On(K::kAbandon, "t6", Seconds(40))
      .Submit("t7", "followups", "email", "B")
      .On(K::kCancel, "t7", Minutes(10))
      .Advance(Hours(3))
      .On(K::kEscalate, "t5")
      .Advance(Hours(30));
  return s;
}

// Time across the weekend, the spring daylight-saving change and the Easter holidays: SLA
// warnings and breaches on office hours, level time limits, the periodic queue-KPI sweep, relaxed
// requirements, overdue low-priority work.
Script SlaAndTime() {
  Script s("sla_time");
  s.Submit("t0", "billing", "email", "C", Hours(9),
           {.requirement = {.must_skill = 2, .must_level = 2, .step = 2, .step_minutes = 30}})
      .Submit("t1", "support", "chat", "A", Minutes(5), {.created = 1})
      .Submit("t2", "quietq", "chat", "B", Minutes(5), {.tier = Tier("vip")})
      .Submit("t3", "billing", "voice", "A", Minutes(1))
      .Advance(Hours(20))
      .Advance(Days(1))
      .AddAgent("a3", Queues({"billing", "support", "quietq"}), kNow, 0b0111, {4, 4, 1})
      .State("a3", AgentState::kAvailable)
      .Accept("t3", "a3", Seconds(1))
      .Advance(Days(3))
      .Advance(Days(2))
      .On(K::kResolve, "t3")
      .Advance(Days(3));
  return s;
}

// The agents' side: updates of skills, capacity, budget and routing profile, wrap-up, away and
// offline with work in hand, removal, and the refusals of each.
Script Agents() {
  Script s("agents");
  s.AddAgent("a0", Queues({"billing", "support"}))
      .AddAgent("a0", Queues({"billing"}))
      .AddAgent("a1", Queues({"support", "nowhere"}))
      .State("a0", AgentState::kAvailable)
      .Submit("t0", "support", "voice", "A")
      .Submit("t1", "support", "chat", "B", Seconds(30))
      .UpdateAgent("a0", Queues({"support", "billing"}), {3, 4, 1}, 6, Minutes(1))
      .On(K::kResolve, "t0", Minutes(4))
      .State("a0", AgentState::kWrapUp)
      .State("a0", AgentState::kAway, Minutes(1), "lunch")
      .Submit("t2", "support", "chat", "C", Seconds(1))
      .State("a0", AgentState::kOffline, Minutes(1))
      .RemoveAgent("a0")
      .On(K::kResolve, "t1")
      .RemoveAgent("a0", Seconds(1))
      .RemoveAgent("ghost")
      .State("a0", AgentState::kAvailable, MinutesAgo(3))
      .AddAgent("a1", Queues({"support"}), Minutes(1), 0b1, {1, 1, 1})
      .AddAgent("a2", Queues({"support", "followups"}), kNow, 0b110, {2, 1, 4})
      .State("a2", AgentState::kAvailable, Minutes(2))
      .Advance(Hours(2));
  return s;
}

// Live reconfiguration between commands: accepted changes (targets, strategies, a new queue) and
// refused ones (priorities, a queue's ordering, malformed JSON) with work in flight.
Script Reconfiguration() {
  Script s("reconfigure");
  s.AddAgent("a1", Queues({"billing", "support", "quietq"}))
      .State("a1", AgentState::kAvailable)
      .Submit("t0", "billing", "chat", "A")
      .Accept("t0", "a1", Seconds(5))
      .Submit("t1", "support", "email", "B", Seconds(20))
      .Reconfigure(1, Minutes(10))
      .Submit("t2", "quietq", "chat", "A", Minutes(1))
      .Reconfigure(3, Minutes(1))
      .Reconfigure(4)
      .Reconfigure(5, Seconds(5))
      .Reconfigure(2, Minutes(1))
      .On(K::kResolve, "t0", Hours(1))
      .Reconfigure(1, Minutes(1))
      .Advance(Days(1));
  return s;
}

// Refusals of every kind: unknown ids, wrong states, duplicate ids, bad arguments, instants
// before now; each must change nothing.
Script Refusals() {
  Script s("refusals");
  s.Submit("t0", "billing", "chat", "A")
      .Submit("t0", "billing", "chat", "A", Seconds(1))
      .Submit("", "billing", "chat", "A")
      .Submit("t1", "nowhere", "chat", "A")
      .Submit("t1", "billing", "fax", "A")
      .Submit("t1", "billing", "chat", "Z")
      .Submit("t1", "billing", "chat", "A", kNow, {.created = 2})
      .On(K::kResolve, "t0", Seconds(1))
      .On(K::kConfirm, "t0")
      .On(K::kReopen, "t0")
      .Accept("t0", "a0")
      .Reject("t2", "a0")
      .On(K::kRespond, "t3")
      .Pause(K::kResume, "t0", "customer")
      .Transfer("t0", "nowhere")
      .On(K::kAbandon, "t0", MinutesAgo(1))
      .AddAgent("ghost", Queues({"billing"}))
      .AddAgent("a3", Queues({"billing"}), kNow, 0b1, {1, 1, 1})
      .State("a3", AgentState::kAvailable, Seconds(1))
      .Accept("t0", "a3", Seconds(1))
      .Pause(K::kPause, "t0", "customer", Minutes(1))
      .Pause(K::kPause, "t0", "customer", Seconds(1))
      .Pause(K::kResume, "t0", "third_party")
      .Pause(K::kResume, "t0", "customer")
      .On(K::kCancel, "t0", Minutes(1))
      .On(K::kCancel, "t0")
      .Advance(MinutesAgo(5));
  return s;
}

void WriteFile(const std::filesystem::path& path, std::string_view bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) Fail(absl::StrCat("make_seeds: cannot write ", path.string()));
}

// Decodes `bytes` (the layout of `script`) and applies them, checking every step.
CommandStream Run(const Script& script, std::string_view bytes, QueueKpis kpis) {
  CommandStream stream(kpis);
  ChoiceReader reader(bytes);
  int accepted = 0;
  int refused = 0;
  while (!reader.done()) {
    CommandChoice choice;
    CommandLayout(reader, choice);
    if (stream.Step(choice).ok()) {
      ++accepted;
    } else {
      ++refused;
      if (kpis == QueueKpis::kOn) {
        std::printf("  %s: %s\n", script.name().c_str(), stream.last_command().c_str());
      }
    }
  }
  stream.Finish();
  if (script.name() != "refusals" && accepted < 2 * refused) {
    Fail(absl::StrCat("make_seeds: scenario ", script.name(), " has ", refused, " refusals for ",
                      accepted, " accepted commands"));
  }
  std::printf("%-18s %s queue KPIs: %3d accepted, %2d refused, %3llu submitted, %zu items left\n",
              script.name().c_str(), kpis == QueueKpis::kOn ? "with   " : "without", accepted,
              refused, static_cast<unsigned long long>(stream.engine().Kpis().submitted),
              stream.engine().item_count());
  return stream;
}

// Runs `script` through the fuzz checks on the configuration with queue-KPI triggers and writes
// its command stream; runs it again without them and writes that engine's journal and snapshot
// (fuzz_support.h says why).
void WriteScenario(const Script& script, const std::filesystem::path& out) {
  ChoiceWriter writer;
  for (CommandChoice choice : script.choices()) CommandLayout(writer, choice);
  WriteFile(out / "engine_commands" / (script.name() + ".bin"), writer.bytes());
  for (const QueueKpis kpis : {QueueKpis::kOn, QueueKpis::kOff}) {
    const CommandStream stream = Run(script, writer.bytes(), kpis);
    if (kpis == QueueKpis::kOff) {
      WriteFile(out / "journal" / (script.name() + ".bin"), stream.engine().Journal());
      WriteFile(out / "snapshot" / (script.name() + ".bin"), stream.engine().Snapshot());
    }
  }
}

// A calendar's JSON, a NUL, and bytes that choose instants and durations (calendar_fuzzer.cc).
void WriteCalendarQueries(std::string_view name, std::string_view json, uint64_t seed,
                          const std::filesystem::path& out) {
  std::mt19937_64 rng(seed);
  std::string bytes(json);
  bytes.push_back('\0');
  for (int i = 0; i < 400; ++i) bytes.push_back(static_cast<char>(rng()));
  WriteFile(out / "calendar" / absl::StrCat(std::string(name), "_queries.bin"), bytes);
}

int Main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path out = argv[1];
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // the report survives a failed check's abort
  for (const Script& script : {Lifecycle(), OffersAndEscalation(), SlaAndTime(), Agents(),
                               Reconfiguration(), Refusals()}) {
    WriteScenario(script, out);
  }
  // A fresh engine: the smallest snapshot, the empty journal.
  absl::StatusOr<std::unique_ptr<Engine>> fresh = Engine::Create(FuzzEngineConfig(QueueKpis::kOff));
  if (!fresh.ok()) Fail(fresh.status().ToString());
  WriteFile(out / "snapshot" / "fresh.bin", (*fresh)->Snapshot());
  WriteFile(out / "config_json" / "fuzz_engine.json", EngineConfigJson());
  WriteCalendarQueries(
      "berlin_office",
      CalendarSpecToJson(FuzzEngineConfig(QueueKpis::kOff).calendars.at("office").spec()), 1, out);
  WriteCalendarQueries("new_york",
                       R"({"tz": "America/New_York", "week": {"mon": ["09:00-17:00"],
                           "fri": ["09:00-17:00"], "sun": [["22:00", "02:00"]]},
                           "holidays": ["2026-11-26"],
                           "special_days": {"2026-03-08": [["01:30", "03:30"]]}})",
                       2, out);
  return 0;
}

}  // namespace
}  // namespace omniroute::fuzz

int main(int argc, char** argv) { return omniroute::fuzz::Main(argc, argv); }
