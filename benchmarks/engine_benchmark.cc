// The engine facade (engine.h) under a contact centre's load: commands in, events out, on one core.
//
// Configuration (shared by every benchmark here): 100 queues "q0".."q99", the default channels
// (voice, chat, email), priorities A/B/C, a closed catalog of 32 skills "s0".."s31". Every queue
// names the SLA policy "tiered" (first response and resolution per priority, warnings at 50 and
// 80 %, both clocks on the "office" calendar: Europe/Berlin, Mon-Fri 08:00-20:00) and the
// escalation policy "support": L1 (time limit 2 h on the office calendar) -> L2 (raise priority by
// 1) -> L3 (notify "supervisors"); rules: L1's time limit, any SLA breach -> L3, tag "upset" from
// L1 to L2. The engine's clock starts on Monday 2026-11-23 08:00 Berlin time, as the office opens.
//
// Agents: 1,000 ("a0".."a999"), each serving 3-5 queues; skills: the "home" skill of each queue it
// serves (queue q's is s<q mod 32>) plus 1-2 others, levels 1-10. Two agents in five take one
// voice call, two in five three chats, one in five five emails.
//
// Arrivals are drawn up front (4,096, cycled): a channel (voice 50 %, chat 35 %, email 15 %), an
// anchor agent of that channel, one of the anchor's queues and 0-2 of the anchor's skills at levels
// up to the anchor's (so someone in the pool can take it), a priority (A 20 %, B 50 %, C 30 %), one
// in 20 tagged "upset", and a customer (4,096 distinct, so returning customers find their last
// agent preferred for the queue's preferred_agent_window).
//
// BM_EngineMixedWorkload: the steady state of a busy floor. Every agent is available; the engine is
// warmed up for 5,000 steps before timing. One iteration is one step of 200 ms of simulated time:
// the events since the last step are polled; offers are accepted (2 % rejected); one item arrives
// (when more than 300 wait, the oldest waiting customer abandons first); and work moves along
// first-in first-out pipelines: accepted work is responded to after 250 steps (2 % transferred to
// another queue of its agent instead, 4 % paused for the customer, resumed 100 steps later by
// Resume or by a CustomerMessage), responded work is resolved after 500 more steps (5 % get a
// customer message first and need another response), resolved work is confirmed after 200 steps
// (1 % reopened instead). Every 4th step also calls AdvanceTo. Each engine call is one command;
// items_per_second and commands_per_s count them, the driver's bookkeeping included. Refused
// commands (FailedPrecondition) are counted in `refused`; any other error stops the benchmark.
// Goal: 10^6 commands/s.
//
// BM_EngineMemoryPerWaitingItem/items: the same configuration with no agent; `items` arrivals are
// submitted 1 ms apart and all wait (the submissions are timed; events are polled and dropped
// every 1,024). bytes_per_waiting_item is the growth of Engine::MemoryBytes per item;
// rss_bytes_per_item the growth of the process's resident set (/proc/self/statm, after
// malloc_trim), which also counts what MemoryBytes leaves out (the journal, the allocator's own
// overhead).
// bytes_per_agent and rss_bytes_per_agent: the same for a separate engine to which the 1,000 agents
// are added. empty_engine_bytes: Engine::MemoryBytes of the configured engine (100 queues) before
// any agent or item. Goal: <= 256 bytes per waiting item.
//
// BM_EngineSnapshotRestore100k: an engine (config.source "bench") with the first 100 agents
// available and 100,000 arrivals submitted 1 ms apart, offers accepted every 100 submissions, so
// the agents' 260 slots fill up and the rest wait. Timed: Snapshot() plus Engine::Restore() of it
// (the loader returns a copy of the configuration; the state is loaded and its digest checked);
// destroying the restored engine is not timed. snapshot_bytes is the snapshot's size.
// Goal: < 100 ms per snapshot and restore.
// BM_EngineSnapshot100k and BM_EngineRestore100k time the two halves apart;
// BM_EngineStateDigest100k times Engine::StateDigest, which both compute.
// BM_EngineReplay100k, the baseline: the same engine rebuilt by Engine::Replay of its journal, as
// format-3 snapshots restore.
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "benchmark_data.h"
#include "omniroute/agents.h"
#include "omniroute/calendar.h"
#include "omniroute/engine.h"
#include "omniroute/escalation.h"
#include "omniroute/sla.h"

namespace {

using omniroute::benchmark_data::Check;
using omniroute::benchmark_data::Uniform;

using omniroute::Engine;
using omniroute::EngineConfig;
using omniroute::EngineEvent;
using omniroute::EngineEventKind;
using omniroute::EngineItemSpec;

constexpr int kQueues = 100;
constexpr int kSkills = 32;
constexpr int kAgents = 1000;
constexpr size_t kArrivals = 4096;
constexpr uint64_t kSeed = 20261123;

double Fraction(std::mt19937_64& rng) { return std::uniform_real_distribution<double>(0, 1)(rng); }

std::string Name(char prefix, uint64_t n) {
  char buffer[24];
  buffer[0] = prefix;
  const std::to_chars_result end = std::to_chars(buffer + 1, buffer + sizeof buffer, n);
  return std::string(buffer, end.ptr);
}

// The number after the one-letter prefix of "t123" or "a45".
uint32_t NumberOf(std::string_view id) {
  uint32_t n = 0;
  std::from_chars(id.data() + 1, id.data() + id.size(), n);
  return n;
}

std::string QueueName(int q) { return Name('q', static_cast<uint64_t>(q)); }
std::string SkillName(int s) { return Name('s', static_cast<uint64_t>(s)); }

// Europe/Berlin, Monday to Friday 08:00-20:00.
const omniroute::BusinessCalendar& Office() {
  static const omniroute::BusinessCalendar* const calendar = [] {
    omniroute::CalendarSpec spec;
    spec.time_zone = "Europe/Berlin";
    for (int day = 0; day < 5; ++day) {
      spec.week[day] = {{.open = omniroute::TimeOfDay::FromHms(8, 0),
                         .close = omniroute::TimeOfDay::FromHms(20, 0)}};
    }
    return new omniroute::BusinessCalendar(
        Check(omniroute::BusinessCalendar::Create(std::move(spec)), "calendar"));
  }();
  return *calendar;
}

// Monday 2026-11-23 08:00 in Berlin: the office opens.
absl::Time Start() {
  return absl::FromCivil(absl::CivilSecond(2026, 11, 23, 8, 0, 0), Office().time_zone());
}

omniroute::SlaPolicy TieredPolicy() {
  using omniroute::SlaMetric;
  omniroute::SlaPolicy policy;
  policy.name = "tiered";
  policy.warn_at = {0.5, 0.8};
  policy.targets["A"][SlaMetric::kFirstResponse] = absl::Minutes(2);
  policy.targets["A"][SlaMetric::kResolution] = absl::Minutes(30);
  policy.targets["B"][SlaMetric::kFirstResponse] = absl::Minutes(10);
  policy.targets["B"][SlaMetric::kResolution] = absl::Hours(2);
  policy.targets["C"][SlaMetric::kFirstResponse] = absl::Hours(1);
  policy.targets["C"][SlaMetric::kResolution] = absl::Hours(8);
  policy.settings(SlaMetric::kFirstResponse).calendar = Office();
  policy.settings(SlaMetric::kResolution).calendar = Office();
  return policy;
}

omniroute::EscalationPolicySpec SupportPolicy() {
  using omniroute::EscalationActionKind;
  using omniroute::EscalationTriggerKind;
  omniroute::EscalationPolicySpec spec;
  spec.name = "support";
  spec.levels = {
      {.name = "L1", .time_limit = absl::Hours(2), .calendar = "office"},
      {.name = "L2", .actions = {{.kind = EscalationActionKind::kRaisePriorityBy, .amount = 1}}},
      {.name = "L3",
       .actions = {{.kind = EscalationActionKind::kNotify, .target = "supervisors"}}}};
  spec.rules = {{.trigger = {.kind = EscalationTriggerKind::kLevelTimeLimit}, .from_level = 0},
                {.trigger = {.kind = EscalationTriggerKind::kSlaBreached}, .to_level = 2},
                {.trigger = {.kind = EscalationTriggerKind::kTag, .value = "upset"},
                 .from_level = 0,
                 .to_level = 1}};
  return spec;
}

EngineConfig Config() {
  EngineConfig config;
  config.calendars.emplace("office", Office());
  for (int s = 0; s < kSkills; ++s) config.skills.push_back(SkillName(s));
  config.sla_policies = {TieredPolicy()};
  config.escalation_policies = {SupportPolicy()};
  for (int q = 0; q < kQueues; ++q) {
    omniroute::EngineQueueSpec queue;
    queue.name = QueueName(q);
    queue.sla_policy = "tiered";
    queue.escalation_policy = "support";
    config.queues.push_back(std::move(queue));
  }
  config.origin = Start();
  config.source = "bench";
  return config;
}

enum Channel : uint8_t { kVoice, kChat, kEmail };
constexpr std::string_view kChannelNames[] = {"voice", "chat", "email"};
constexpr int kCapacity[] = {1, 3, 5};

Channel ChannelOfAgent(int agent) {
  const int slot = agent % 5;
  return slot < 2 ? kVoice : slot < 4 ? kChat : kEmail;
}

// The agents and the arrivals, drawn once from the fixed seed.
struct Population {
  std::vector<omniroute::EngineAgentSpec> agents;
  std::vector<std::vector<int>> agent_queues;  // by agent
  std::vector<EngineItemSpec> arrivals;        // ids unset
  std::vector<int> arrival_queue;              // by arrival
};

const Population& People() {
  static const Population* const population = [] {
    auto p = new Population;
    std::mt19937_64 rng(kSeed);
    std::vector<int> by_channel[3];
    for (int a = 0; a < kAgents; ++a) {
      const Channel channel = ChannelOfAgent(a);
      by_channel[channel].push_back(a);
      std::vector<int> queues;
      const int count = Uniform(rng, 3, 5);
      while (static_cast<int>(queues.size()) < count) {
        const int q = Uniform(rng, 0, kQueues - 1);
        if (std::find(queues.begin(), queues.end(), q) == queues.end()) queues.push_back(q);
      }
      omniroute::EngineAgentSpec spec{.id = Name('a', static_cast<uint64_t>(a))};
      for (int q : queues) {
        spec.skills[SkillName(q % kSkills)] = Uniform(rng, 1, 10);
        spec.queues.push_back({.queue = QueueName(q)});
      }
      for (int extra = Uniform(rng, 1, 2); extra > 0; --extra) {
        spec.skills[SkillName(Uniform(rng, 0, kSkills - 1))] = Uniform(rng, 1, 10);
      }
      spec.capacity[std::string(kChannelNames[channel])] = kCapacity[channel];
      p->agents.push_back(std::move(spec));
      p->agent_queues.push_back(std::move(queues));
    }
    for (size_t i = 0; i < kArrivals; ++i) {
      const double c = Fraction(rng);
      const Channel channel = c < 0.50 ? kVoice : c < 0.85 ? kChat : kEmail;
      const std::vector<int>& pool = by_channel[channel];
      const int anchor =
          pool[static_cast<size_t>(Uniform(rng, 0, static_cast<int>(pool.size()) - 1))];
      const std::vector<int>& queues = p->agent_queues[anchor];
      const int queue =
          queues[static_cast<size_t>(Uniform(rng, 0, static_cast<int>(queues.size()) - 1))];
      std::vector<std::pair<std::string, int>> skills(p->agents[anchor].skills.begin(),
                                                      p->agents[anchor].skills.end());
      std::shuffle(skills.begin(), skills.end(), rng);
      const double r = Fraction(rng);
      const size_t must = r < 0.3 ? 0 : r < 0.7 ? 1 : 2;
      EngineItemSpec item{.queue = QueueName(queue),
                          .channel = std::string(kChannelNames[channel])};
      for (size_t s = 0; s < must && s < skills.size(); ++s) {
        item.requirement.must[skills[s].first] = Uniform(rng, 1, skills[s].second);
      }
      const double pr = Fraction(rng);
      item.priority = std::string(1, pr < 0.2 ? 'A' : pr < 0.7 ? 'B' : 'C');
      if (Fraction(rng) < 0.05) item.tags = {"upset"};
      item.customer = Name('c', i);
      p->arrivals.push_back(std::move(item));
      p->arrival_queue.push_back(queue);
    }
    return p;
  }();
  return *population;
}

std::unique_ptr<Engine> NewEngine() { return Check(Engine::Create(Config()), "engine"); }

// ---------------------------------------------------------------------------------------------
// Mixed workload.

class MixedWorkload {
 public:
  static constexpr absl::Duration kStep = absl::Milliseconds(200);
  static constexpr int kAdvanceEvery = 4;
  static constexpr size_t kMaxWaiting = 300;
  static constexpr size_t kRespondLag = 250;
  static constexpr size_t kPauseLag = 100;
  static constexpr size_t kResolveLag = 400;
  static constexpr size_t kConfirmLag = 200;

  MixedWorkload() : people_(People()), engine_(NewEngine()), rng_(kSeed), now_(Start()) {
    for (const omniroute::EngineAgentSpec& agent : people_.agents) {
      Check(engine_->AddAgent(agent, now_), "add agent");
      Check(engine_->SetAgentState(agent.id, omniroute::AgentState::kAvailable, now_),
            "agent available");
    }
    (void)engine_->PollEvents();
    items_.reserve(1 << 20);
  }

  // One step; false (with `error()`) on an unexpected status.
  bool Step() {
    now_ += kStep;
    if (++step_ % kAdvanceEvery == 0) Run(engine_->AdvanceTo(now_));
    Poll();
    AnswerOffers();
    Arrive();
    MoveWork();
    return error_.empty();
  }

  const std::string& error() const { return error_; }
  uint64_t commands() const { return commands_; }
  uint64_t refused() const { return refused_; }
  uint64_t events() const { return events_; }
  uint64_t escalations() const { return escalations_; }
  uint64_t sla_breaches() const { return breaches_; }
  uint64_t abandoned() const { return abandoned_; }
  uint64_t submitted() const { return submitted_; }
  uint64_t waiting_sum() const { return waiting_sum_; }
  size_t waiting() const { return waiting_; }
  const Engine& engine() const { return *engine_; }

  void ResetCounts() {
    commands_ = refused_ = events_ = escalations_ = breaches_ = abandoned_ = submitted_ = 0;
    waiting_sum_ = 0;
  }

 private:
  // The driver's view of an item; `kInFlux` after a command whose outcome the events tell.
  enum class Phase : uint8_t {
    kWaiting,
    kOffered,
    kAssigned,
    kPaused,
    kResponded,
    kResolved,
    kInFlux,
    kDone
  };
  struct Tracked {
    Phase phase = Phase::kInFlux;
    uint16_t queue = 0;
    uint32_t agent = 0;
  };

  // Counts one command; true when it was applied.
  bool Run(const absl::Status& status) {
    ++commands_;
    if (status.ok()) return true;
    if (absl::IsFailedPrecondition(status)) {
      ++refused_;
    } else if (error_.empty()) {
      error_ = status.ToString();
    }
    return false;
  }

  void SetPhase(uint32_t n, Phase phase) {
    Phase& current = items_[n].phase;
    if (current == Phase::kWaiting) --waiting_;
    if (phase == Phase::kWaiting) {
      ++waiting_;
      waiting_fifo_.push_back(n);
    }
    current = phase;
  }

  void Poll() {
    engine_->PollEvents(polled_);
    for (const EngineEvent& e : polled_) {
      ++events_;
      if (e.item.empty() || NumberOf(e.item) >= items_.size()) continue;
      switch (e.kind) {
        case EngineEventKind::kQueued:
        case EngineEventKind::kRequeued: {
          const uint32_t n = NumberOf(e.item);
          if (items_[n].phase != Phase::kDone) SetPhase(n, Phase::kWaiting);
          break;
        }
        case EngineEventKind::kOffered: {
          const uint32_t n = NumberOf(e.item);
          if (items_[n].phase == Phase::kDone) break;
          SetPhase(n, Phase::kOffered);
          items_[n].agent = NumberOf(e.agent);
          offers_.push_back(n);
          break;
        }
        case EngineEventKind::kAssigned: {
          const uint32_t n = NumberOf(e.item);
          if (items_[n].phase == Phase::kDone) break;
          SetPhase(n, Phase::kAssigned);
          assigned_.push_back(n);
          break;
        }
        case EngineEventKind::kEscalated:
          ++escalations_;
          break;
        case EngineEventKind::kSlaBreached:
          ++breaches_;
          break;
        default:
          break;
      }
    }
  }

  void AnswerOffers() {
    for (const uint32_t n : offers_) {
      Tracked& item = items_[n];
      if (item.phase != Phase::kOffered) continue;
      const std::string id = Name('t', n);
      const std::string agent = Name('a', item.agent);
      if (Fraction(rng_) < 0.02) {
        if (Run(engine_->Reject(id, agent, now_))) SetPhase(n, Phase::kInFlux);
      } else {
        // kAssigned follows in the events.
        if (Run(engine_->Accept(id, agent, now_))) SetPhase(n, Phase::kInFlux);
      }
    }
    offers_.clear();
  }

  void Arrive() {
    waiting_sum_ += waiting_;
    // Stale entries (items no longer waiting) leave the front of the FIFO.
    while (!waiting_fifo_.empty() && items_[waiting_fifo_.front()].phase != Phase::kWaiting) {
      waiting_fifo_.pop_front();
    }
    if (waiting_ > kMaxWaiting && !waiting_fifo_.empty()) {
      const uint32_t n = waiting_fifo_.front();
      waiting_fifo_.pop_front();
      if (Run(engine_->Abandon(Name('t', n), now_))) {
        SetPhase(n, Phase::kDone);
        ++abandoned_;
      }
    }
    const uint32_t n = static_cast<uint32_t>(items_.size());
    const size_t a = n % kArrivals;
    EngineItemSpec& spec = arrival_;
    spec = people_.arrivals[a];
    spec.id = Name('t', n);
    items_.push_back({.queue = static_cast<uint16_t>(people_.arrival_queue[a])});
    if (Run(engine_->Submit(spec, now_))) {
      ++submitted_;
    } else {
      items_.back().phase = Phase::kDone;
    }
  }

  void MoveWork() {
    // Accepted work: respond (or transfer, or pause for the customer).
    for (int k = 0; k < 2 && assigned_.size() > kRespondLag; ++k) {
      const uint32_t n = assigned_.front();
      assigned_.pop_front();
      Tracked& item = items_[n];
      if (item.phase != Phase::kAssigned) continue;
      const std::string id = Name('t', n);
      const double r = Fraction(rng_);
      if (r < 0.02) {
        // Another queue its agent serves, so the item can be taken there.
        std::vector<int> others;
        for (int q : people_.agent_queues[item.agent]) {
          if (q != item.queue) others.push_back(q);
        }
        const int target =
            others[static_cast<size_t>(Uniform(rng_, 0, static_cast<int>(others.size()) - 1))];
        if (Run(engine_->Transfer(id, QueueName(target), now_))) {
          item.queue = static_cast<uint16_t>(target);
          SetPhase(n, Phase::kInFlux);
        }
      } else if (r < 0.06) {
        if (Run(engine_->Pause(id, now_))) {
          SetPhase(n, Phase::kPaused);
          paused_.push_back(n);
        }
      } else if (Run(engine_->Respond(id, now_))) {
        SetPhase(n, Phase::kResponded);
        responded_.push_back(n);
      }
    }
    // Pending the customer: resumed, or the customer writes (which resumes it); respond next.
    for (int k = 0; k < 2 && paused_.size() > kPauseLag; ++k) {
      const uint32_t n = paused_.front();
      paused_.pop_front();
      if (items_[n].phase != Phase::kPaused) continue;
      const std::string id = Name('t', n);
      const bool resumed = Fraction(rng_) < 0.5 ? Run(engine_->Resume(id, now_))
                                                : Run(engine_->CustomerMessage(id, now_));
      if (resumed) {
        SetPhase(n, Phase::kAssigned);
        assigned_.push_back(n);
      }
    }
    // Responded work: resolved (which frees the agent), or the customer writes back.
    for (int k = 0; k < 2 && responded_.size() > kResolveLag; ++k) {
      const uint32_t n = responded_.front();
      responded_.pop_front();
      if (items_[n].phase != Phase::kResponded) continue;
      const std::string id = Name('t', n);
      if (Fraction(rng_) < 0.05) {
        if (Run(engine_->CustomerMessage(id, now_))) {
          SetPhase(n, Phase::kAssigned);
          assigned_.push_back(n);
        }
      } else if (Run(engine_->Resolve(id, now_))) {
        SetPhase(n, Phase::kResolved);
        resolved_.push_back(n);
      }
    }
    // Resolved work: confirmed (closed), or reopened.
    for (int k = 0; k < 2 && resolved_.size() > kConfirmLag; ++k) {
      const uint32_t n = resolved_.front();
      resolved_.pop_front();
      if (items_[n].phase != Phase::kResolved) continue;
      const std::string id = Name('t', n);
      if (Fraction(rng_) < 0.01) {
        if (Run(engine_->Reopen(id, now_))) SetPhase(n, Phase::kInFlux);
      } else if (Run(engine_->Confirm(id, now_))) {
        SetPhase(n, Phase::kDone);
      }
    }
  }

  const Population& people_;
  std::unique_ptr<Engine> engine_;
  std::mt19937_64 rng_;
  absl::Time now_;
  uint64_t step_ = 0;
  std::vector<Tracked> items_;  // by item number
  EngineItemSpec arrival_;
  std::vector<uint32_t> offers_;
  std::vector<EngineEvent> polled_;  // the last poll's events, its storage reused
  std::deque<uint32_t> waiting_fifo_, assigned_, paused_, responded_, resolved_;
  size_t waiting_ = 0;
  std::string error_;
  uint64_t commands_ = 0, refused_ = 0, events_ = 0, escalations_ = 0, breaches_ = 0,
           abandoned_ = 0, submitted_ = 0, waiting_sum_ = 0;
};

void BM_EngineMixedWorkload(benchmark::State& state) {
  MixedWorkload workload;
  for (int i = 0; i < 5000; ++i) {
    if (!workload.Step()) {
      state.SkipWithError(workload.error().c_str());
      return;
    }
  }
  workload.ResetCounts();
  for (auto _ : state) {
    if (!workload.Step()) {
      state.SkipWithError(workload.error().c_str());
      return;
    }
  }
  const double steps = static_cast<double>(state.iterations());
  state.SetItemsProcessed(static_cast<int64_t>(workload.commands()));
  state.counters["commands_per_s"] =
      benchmark::Counter(static_cast<double>(workload.commands()), benchmark::Counter::kIsRate);
  state.counters["commands_per_step"] = static_cast<double>(workload.commands()) / steps;
  state.counters["events_per_step"] = static_cast<double>(workload.events()) / steps;
  state.counters["refused"] = static_cast<double>(workload.refused());
  state.counters["escalations"] = static_cast<double>(workload.escalations());
  state.counters["sla_breaches"] = static_cast<double>(workload.sla_breaches());
  state.counters["abandon_ratio"] =
      static_cast<double>(workload.abandoned()) /
      static_cast<double>(std::max<uint64_t>(workload.submitted(), 1));
  state.counters["avg_waiting"] = static_cast<double>(workload.waiting_sum()) / steps;
  state.counters["open_items"] = static_cast<double>(workload.engine().item_count());
  size_t waiting = 0;
  for (const std::string& queue : workload.engine().QueueNames()) {
    waiting += workload.engine().Queue(queue)->waiting;
  }
  state.counters["waiting_end"] = static_cast<double>(waiting);
  state.counters["driver_waiting_end"] = static_cast<double>(workload.waiting());
}
BENCHMARK(BM_EngineMixedWorkload);

// ---------------------------------------------------------------------------------------------
// Memory.

// The resident set of this process, in bytes, after returning free heap pages to the system.
double ResidentBytes() {
  malloc_trim(0);
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

struct AgentMemory {
  double engine_bytes = 0;
  double rss_bytes = 0;
};

// Per agent, for the 1,000 agents added to an empty engine.
AgentMemory MeasureAgents() {
  const Population& people = People();
  std::unique_ptr<Engine> engine = NewEngine();
  const double rss_before = ResidentBytes();
  const double bytes_before = static_cast<double>(engine->MemoryBytes());
  for (const omniroute::EngineAgentSpec& agent : people.agents) {
    Check(engine->AddAgent(agent, Start()), "add agent");
  }
  const double n = static_cast<double>(people.agents.size());
  return {.engine_bytes = (static_cast<double>(engine->MemoryBytes()) - bytes_before) / n,
          .rss_bytes = (ResidentBytes() - rss_before) / n};
}

void BM_EngineMemoryPerWaitingItem(benchmark::State& state) {
  const Population& people = People();
  const size_t items = static_cast<size_t>(state.range(0));
  const AgentMemory agents = MeasureAgents();
  double engine_bytes = 0, rss_bytes = 0;
  const double empty_engine_bytes = static_cast<double>(NewEngine()->MemoryBytes());
  for (auto _ : state) {
    state.PauseTiming();
    std::unique_ptr<Engine> engine = NewEngine();
    EngineItemSpec spec;
    absl::Time at = Start();
    const double rss_before = ResidentBytes();
    const double bytes_before = static_cast<double>(engine->MemoryBytes());
    state.ResumeTiming();
    for (size_t i = 0; i < items; ++i) {
      spec = people.arrivals[i % kArrivals];
      spec.id = Name('t', i);
      at += absl::Milliseconds(1);
      if (absl::Status s = engine->Submit(spec, at); !s.ok()) {
        state.SkipWithError(s.ToString().c_str());
        return;
      }
      // As an embedder does: events do not pile up in the engine.
      if (i % 1024 == 1023) benchmark::DoNotOptimize(engine->PollEvents());
    }
    benchmark::DoNotOptimize(engine->PollEvents());
    state.PauseTiming();
    if (engine->item_count() != items) {
      state.SkipWithError("not every item is in the engine");
      return;
    }
    engine_bytes = static_cast<double>(engine->MemoryBytes()) - bytes_before;
    rss_bytes = ResidentBytes() - rss_before;
    engine.reset();
    state.ResumeTiming();
  }
  const double n = static_cast<double>(items);
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["bytes_per_waiting_item"] = engine_bytes / n;
  state.counters["rss_bytes_per_item"] = rss_bytes / n;
  state.counters["bytes_per_agent"] = agents.engine_bytes;
  state.counters["rss_bytes_per_agent"] = agents.rss_bytes;
  state.counters["empty_engine_bytes"] = empty_engine_bytes;
}
BENCHMARK(BM_EngineMemoryPerWaitingItem)
    ->ArgName("items")
    ->Arg(10'000)
    ->Arg(100'000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// ---------------------------------------------------------------------------------------------
// Snapshot and restore.

std::unique_ptr<Engine> EngineWith100kItems() {
  const Population& people = People();
  std::unique_ptr<Engine> engine = NewEngine();
  absl::Time at = Start();
  for (int a = 0; a < 100; ++a) {
    Check(engine->AddAgent(people.agents[static_cast<size_t>(a)], at), "add agent");
    Check(engine->SetAgentState(people.agents[static_cast<size_t>(a)].id,
                                omniroute::AgentState::kAvailable, at),
          "agent available");
  }
  EngineItemSpec spec;
  for (size_t i = 0; i < 100'000; ++i) {
    spec = people.arrivals[i % kArrivals];
    spec.id = Name('t', i);
    at += absl::Milliseconds(1);
    Check(engine->Submit(spec, at), "submit");
    if (i % 100 == 99) {
      for (const EngineEvent& e : engine->PollEvents()) {
        if (e.kind == EngineEventKind::kOffered)
          Check(engine->Accept(e.item, e.agent, at), "accept");
      }
    }
  }
  (void)engine->PollEvents();
  return engine;
}

// Built once for the benchmarks that read it.
const Engine* SharedEngineWith100kItems() {
  static const Engine* const engine = EngineWith100kItems().release();
  return engine;
}

void BM_EngineSnapshotRestore100k(benchmark::State& state) {
  const Engine* const engine = SharedEngineWith100kItems();
  const EngineConfig config = Config();
  const omniroute::EngineConfigLoader load =
      [&config](std::string_view) -> absl::StatusOr<EngineConfig> { return config; };
  size_t snapshot_bytes = 0;
  for (auto _ : state) {
    const std::string snapshot = engine->Snapshot();
    absl::StatusOr<std::unique_ptr<Engine>> restored = Engine::Restore(snapshot, load);
    state.PauseTiming();
    if (!restored.ok()) {
      state.SkipWithError(restored.status().ToString().c_str());
      return;
    }
    // Restore itself checks the replayed state's digest against the snapshot's.
    if ((*restored)->item_count() != engine->item_count()) {
      state.SkipWithError("the restored engine has a different number of items");
      return;
    }
    snapshot_bytes = snapshot.size();
    restored->reset();
    state.ResumeTiming();
  }
  state.counters["snapshot_bytes"] = static_cast<double>(snapshot_bytes);
  state.counters["items"] = static_cast<double>(engine->item_count());
  size_t waiting = 0;
  for (const std::string& queue : engine->QueueNames()) waiting += engine->Queue(queue)->waiting;
  state.counters["waiting_items"] = static_cast<double>(waiting);
}
BENCHMARK(BM_EngineSnapshotRestore100k)->Unit(benchmark::kMillisecond);

// The two halves apart: a host snapshots often and restores once.
void BM_EngineSnapshot100k(benchmark::State& state) {
  const Engine* const engine = SharedEngineWith100kItems();
  for (auto _ : state) {
    std::string snapshot = engine->Snapshot();
    benchmark::DoNotOptimize(snapshot.data());
    state.PauseTiming();
    snapshot = std::string();
    state.ResumeTiming();
  }
}
BENCHMARK(BM_EngineSnapshot100k)->Unit(benchmark::kMillisecond);

void BM_EngineStateDigest100k(benchmark::State& state) {
  const Engine* const engine = SharedEngineWith100kItems();
  for (auto _ : state) benchmark::DoNotOptimize(engine->StateDigest());
}
BENCHMARK(BM_EngineStateDigest100k)->Unit(benchmark::kMillisecond);

void BM_EngineRestore100k(benchmark::State& state) {
  const Engine* const engine = SharedEngineWith100kItems();
  const std::string snapshot = engine->Snapshot();
  const EngineConfig config = Config();
  const omniroute::EngineConfigLoader load =
      [&config](std::string_view) -> absl::StatusOr<EngineConfig> { return config; };
  for (auto _ : state) {
    absl::StatusOr<std::unique_ptr<Engine>> restored = Engine::Restore(snapshot, load);
    state.PauseTiming();
    if (!restored.ok()) {
      state.SkipWithError(restored.status().ToString().c_str());
      return;
    }
    restored->reset();
    state.ResumeTiming();
  }
}
BENCHMARK(BM_EngineRestore100k)->Unit(benchmark::kMillisecond);

void BM_EngineReplay100k(benchmark::State& state) {
  const Engine* const engine = SharedEngineWith100kItems();
  const std::string journal = engine->Journal();
  const omniroute::EngineConfigLoader load = [](std::string_view) -> absl::StatusOr<EngineConfig> {
    return Config();
  };
  for (auto _ : state) {
    absl::StatusOr<std::unique_ptr<Engine>> replayed = Engine::Replay(Config(), journal, load);
    state.PauseTiming();
    if (!replayed.ok() || (*replayed)->StateDigest() != engine->StateDigest()) {
      state.SkipWithError("the replayed engine differs");
      return;
    }
    replayed->reset();
    state.ResumeTiming();
  }
  state.counters["journal_bytes"] = static_cast<double>(journal.size());
}
BENCHMARK(BM_EngineReplay100k)->Unit(benchmark::kMillisecond);

}  // namespace
