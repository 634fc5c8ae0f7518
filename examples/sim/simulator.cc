#include "simulator.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "event_queue.h"
#include "internal/status_macros.h"
#include "omniroute/calendar.h"
#include "omniroute/engine.h"
#include "random.h"

namespace omniroute::sim {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr int kTimedCallStride = 16;

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
constexpr int64_t kNanosPerSecond = 1'000'000'000;

int64_t Nanos(double seconds) { return std::llround(seconds * 1e9); }
double Seconds(int64_t nanos) { return static_cast<double>(nanos) / 1e9; }

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Decimal ids: items are their contact's index, agents "a" + their index, so events map back to
// the simulator's tables without a hash lookup (and the strings stay within the small-string
// buffer).
std::string DecimalId(uint32_t number, std::string_view prefix = "") {
  char buffer[16];
  std::copy(prefix.begin(), prefix.end(), buffer);
  char* end = std::to_chars(buffer + prefix.size(), buffer + sizeof buffer, number).ptr;
  return std::string(buffer, end - buffer);
}

bool ParseNumber(std::string_view text, uint32_t& number) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  return error == std::errc() && end == text.data() + text.size();
}

constexpr uint16_t kBotTag = uint16_t{1} << kMaxTagsPerStream;
static_assert(kMaxTagsPerStream < 16);

enum class ContactState : uint8_t {
  kInBot,
  kWaiting,
  kAnswered,
  kResolved,
  kAbandoned,
  kContained
};

struct Contact {
  int64_t arrival = 0;  // in the queue (after the bot)
  int64_t handle = 0;
  int64_t patience = kNever;  // relative to the arrival in the queue
  uint32_t agent = 0;
  // Counts assignments; a transfer away from the agent makes the pending resolution stale.
  uint32_t assignment = 0;
  uint16_t stream = 0;
  uint16_t queue = 0;  // where it waits now (escalation may move it)
  uint16_t tags = 0;   // bit i: the stream's tag i; kBotTag: the bot's
  uint8_t priority = 0;
  bool vip = false;
  bool counted = false;
  bool answered = false;  // once; a contact transferred after its answer waits again
  ContactState state = ContactState::kWaiting;
};

// A piecewise-constant quantity (units in use, agents logged in) integrated over the measured
// period and over the current timeline interval.
class Level {
 public:
  void Set(double value, int64_t now, int64_t measure_from, int64_t measure_to) {
    Advance(now, measure_from, measure_to);
    value_ = value;
  }
  void Add(double delta, int64_t now, int64_t measure_from, int64_t measure_to) {
    Set(value_ + delta, now, measure_from, measure_to);
  }
  void Advance(int64_t now, int64_t measure_from, int64_t measure_to) {
    if (now <= last_) return;
    const int64_t from = std::max(last_, measure_from);
    const int64_t to = std::min(now, measure_to);
    if (to > from) measured_ += value_ * Seconds(to - from);
    interval_ += value_ * Seconds(now - last_);
    last_ = now;
  }
  // The interval's integral so far, restarted.
  double TakeInterval() {
    const double taken = interval_;
    interval_ = 0;
    return taken;
  }
  double value() const { return value_; }
  double measured() const { return measured_; }

 private:
  double value_ = 0;
  int64_t last_ = 0;
  double measured_ = 0;
  double interval_ = 0;
};

struct ChannelInfo {
  std::string name;
  int cost = 1;
  int64_t wrap_up = 0;
};

struct Agent {
  uint32_t group = 0;
  int units = 0;     // capacity units of the work it holds
  int held = 0;      // items assigned
  int occupied = 0;  // units counted as in use: `units`, or the whole budget in wrap-up
  int64_t wrap_up_until = 0;
  bool added = false;
  bool logged_in = false;
  bool on_shift = false;
};

struct Group {
  const AgentGroupSpec* spec = nullptr;
  EngineAgentSpec agent{};  // the template; the id is set per agent
  int budget = 1;
  int roster = 0;
  Level occupied{};   // capacity units in use
  Level staffed{};    // budget units logged in
  Level logged_in{};  // agents
  uint64_t handled = 0;
};

// The agents of one shift of one group, and the stretches during which they work.
struct Block {
  uint32_t group = 0;
  uint32_t first_agent = 0;
  uint32_t count = 0;
  std::vector<std::pair<int64_t, int64_t>> stretches{};
};

struct Stream {
  const ArrivalSpec* spec = nullptr;
  Random rng{0};
  uint32_t queue = 0;
  uint32_t channel = 0;
  EngineItemSpec item{};  // the template; id, priority, tier and tags are set per contact
  std::vector<uint8_t> priority_index;  // per entry of spec->priorities
  uint8_t default_priority = 0;
  bool constant_rate = false;
  double constant_mean_gap_seconds = 0;
  int64_t interval_seconds = 1800;
  int64_t segment_start = 0;
  int64_t segment_end = -1;
  double segment_rate_per_second = 0;
  std::vector<int64_t> rechecks;  // after the arrival in the queue
  StreamFigures figures{};
};

class Run {
 public:
  Run(const Scenario& scenario, const SimulateOptions& options)
      : scenario_(scenario), options_(options) {}

  absl::StatusOr<Report> Execute();

 private:
  absl::Status Setup();
  void SetupGroups();
  void SetupStreams();
  std::vector<std::pair<int64_t, int64_t>> Stretches(const AgentGroupSpec& group,
                                                     const ShiftSpec* shift) const;

  absl::Time At(int64_t nanos) const { return origin_ + absl::Nanoseconds(nanos); }
  int64_t NanosOf(absl::Time t) const {
    if (t == absl::InfiniteFuture()) return kNever;
    return absl::ToInt64Nanoseconds(t - origin_);
  }

  // Runs one engine call (timed when the options ask), then handles the events it caused.
  template <typename Call>
  absl::Status Command(Call&& call);
  // Takes what the simulator needs of an engine event as it happens (the sink may not call the
  // engine: reactions wait in `happenings_` until the command returns).
  void OnEngineEvent(const EngineEvent& event);
  absl::Status HandleEvents();
  absl::Status OnAssigned(uint32_t contact, uint32_t agent, int64_t at);

  absl::Status OnArrival(uint32_t stream);
  absl::Status SubmitContact(uint32_t contact);
  absl::Status OnResolve(uint32_t contact, uint32_t assignment);
  absl::Status OnTransferred(uint32_t contact, uint16_t queue);
  // The contact's agent no longer holds it; `completed` starts the channel's wrap-up.
  absl::Status ReleaseAgent(uint32_t contact, bool completed);
  // `likely` (the contact's queue so far) is checked first: it is nearly always the answer.
  uint16_t QueueIndex(std::string_view queue, uint16_t likely) const;
  absl::Status OnPatienceEnds(uint32_t contact);
  absl::Status OnShiftOn(uint32_t block, uint32_t stretch);
  absl::Status OnShiftOff(uint32_t block);
  absl::Status LogOut(uint32_t agent);
  void OnIntervalEnds();
  int64_t NextArrival(Stream& stream, int64_t after);
  void UpdateSegment(Stream& stream, int64_t at);

  void SetAgentUnits(uint32_t agent_index);
  void SetLoggedIn(uint32_t agent_index, bool logged_in);
  template <typename F>
  void ForSlices(const Contact& contact, F&& f);

  const Scenario& scenario_;
  const SimulateOptions& options_;
  std::unique_ptr<omniroute::Engine> engine_;
  absl::Time origin_;
  int64_t now_ = 0;
  int64_t warmup_end_ = 0;
  int64_t measure_end_ = 0;
  int64_t run_end_ = 0;
  int64_t interval_ = 0;
  int64_t interval_start_ = 0;
  int64_t tick_ = 0;
  bool measuring_ = true;
  bool has_sla_ = false;
  // Whether resolved items are confirmed (else the engine closes them after its quiet period).
  bool confirm_ = true;
  // Whether the engine may assign work on its own timers (not only when a command arrives).
  bool timers_assign_ = false;

  std::vector<ChannelInfo> channels_;
  std::vector<std::string> priorities_;
  std::vector<int64_t> thresholds_;  // per queue
  std::vector<bool> auto_accept_;    // per queue
  std::vector<Group> groups_;
  std::vector<Block> blocks_;
  std::vector<Agent> agents_;
  std::vector<Stream> streams_;
  std::vector<Contact> contacts_;
  struct Happening {
    EngineEventKind kind = EngineEventKind::kQueued;
    uint32_t contact = 0;
    uint32_t agent = 0;
    uint16_t queue = 0;
    int64_t at = 0;
  };
  std::vector<Happening> happenings_;
  size_t next_happening_ = 0;
  absl::Status sink_error_;
  EventQueue events_;

  uint64_t open_counted_ = 0;      // counted contacts neither answered nor abandoned
  std::vector<uint64_t> waiting_;  // per queue, now
  Report report_;
  std::vector<TimelineRow::Queue> interval_queues_;
  RunCost cost_;
  std::chrono::nanoseconds engine_time_{0};
};

template <typename Call>
absl::Status Run::Command(Call&& call) {
  // The sink has seen every event; the engine's own copies are dropped in batches.
  if ((++cost_.engine_commands & 0x3ff) == 0) (void)engine_->PollEvents();
  absl::Status status;
  // Every kTimedCallStride-th call is timed and stands for its stride: reading the clock around
  // every call would cost a noticeable share of what it measures.
  if (options_.time_engine && cost_.engine_commands % kTimedCallStride == 0) {
    const SteadyClock::time_point start = SteadyClock::now();
    status = call(*engine_);
    engine_time_ += kTimedCallStride * (SteadyClock::now() - start);
  } else {
    status = call(*engine_);
  }
  if (!status.ok()) return status;
  return HandleEvents();
}

void Run::OnEngineEvent(const EngineEvent& e) {
  ++cost_.engine_events;
  Happening happening{.kind = e.kind};
  switch (e.kind) {
    case EngineEventKind::kAssigned:
    case EngineEventKind::kOffered:
      if (!ParseNumber(e.item, happening.contact) || happening.contact >= contacts_.size() ||
          e.agent.size() < 2 ||
          !ParseNumber(std::string_view(e.agent).substr(1), happening.agent) ||
          happening.agent >= agents_.size()) {
        if (sink_error_.ok()) {
          sink_error_ = absl::InternalError(
              absl::StrCat("the engine ", std::string(EngineEventKindName(e.kind)),
                           " an unknown item or agent: ", e.item, " to ", e.agent));
        }
        return;
      }
      happening.queue = QueueIndex(e.queue, contacts_[happening.contact].queue);
      happening.at = NanosOf(e.at);
      happenings_.push_back(happening);
      return;
    case EngineEventKind::kTransferred:
      if (ParseNumber(e.item, happening.contact) && happening.contact < contacts_.size()) {
        happening.queue = QueueIndex(e.queue, contacts_[happening.contact].queue);
        happenings_.push_back(happening);
      }
      return;
    case EngineEventKind::kSlaWarning:
      ++report_.sla_warnings;
      return;
    case EngineEventKind::kSlaBreached:
      ++report_.sla_breaches;
      return;
    case EngineEventKind::kEscalated:
      ++report_.escalation_events;
      return;
    default:
      return;
  }
}

absl::Status Run::HandleEvents() {
  OMNIROUTE_RETURN_IF_ERROR(sink_error_);
  // Reactions may run commands whose events join the list; one cursor serves them all in order.
  while (next_happening_ < happenings_.size()) {
    const Happening h = happenings_[next_happening_++];
    switch (h.kind) {
      case EngineEventKind::kAssigned:
        OMNIROUTE_RETURN_IF_ERROR(OnAssigned(h.contact, h.agent, h.at));
        break;
      case EngineEventKind::kOffered:
        if (!auto_accept_[h.queue]) {
          const std::string item = DecimalId(h.contact);
          const std::string agent = DecimalId(h.agent, "a");
          const absl::Time at = At(now_);
          OMNIROUTE_RETURN_IF_ERROR(
              Command([&](omniroute::Engine& engine) { return engine.Accept(item, agent, at); }));
        }
        break;
      case EngineEventKind::kTransferred:
        OMNIROUTE_RETURN_IF_ERROR(OnTransferred(h.contact, h.queue));
        break;
      default:
        break;
    }
  }
  happenings_.clear();
  next_happening_ = 0;
  return absl::OkStatus();
}

uint16_t Run::QueueIndex(std::string_view queue, uint16_t likely) const {
  if (likely < report_.queues.size() && report_.queues[likely].first == queue) return likely;
  for (size_t q = 0; q < report_.queues.size(); ++q) {
    if (report_.queues[q].first == queue) return static_cast<uint16_t>(q);
  }
  return 0;
}

template <typename F>
void Run::ForSlices(const Contact& contact, F&& f) {
  const Stream& stream = streams_[contact.stream];
  f(report_.total);
  f(report_.queues[stream.queue].second);
  f(report_.priorities[contact.priority].second);
  f(report_.tiers[contact.vip ? 1 : 0].second);
  f(report_.channels[stream.channel].second);
}

void Run::SetAgentUnits(uint32_t agent_index) {
  Agent& agent = agents_[agent_index];
  Group& group = groups_[agent.group];
  const int occupied = !agent.logged_in             ? 0
                       : agent.wrap_up_until > now_ ? group.budget
                                                    : std::min(agent.units, group.budget);
  if (occupied == agent.occupied) return;
  group.occupied.Add(occupied - agent.occupied, now_, warmup_end_, measure_end_);
  agent.occupied = occupied;
}

void Run::SetLoggedIn(uint32_t agent_index, bool logged_in) {
  Agent& agent = agents_[agent_index];
  if (agent.logged_in == logged_in) return;
  Group& group = groups_[agent.group];
  const double sign = logged_in ? 1.0 : -1.0;
  agent.logged_in = logged_in;
  if (!logged_in) agent.wrap_up_until = 0;
  group.staffed.Add(sign * group.budget, now_, warmup_end_, measure_end_);
  group.logged_in.Add(sign, now_, warmup_end_, measure_end_);
  SetAgentUnits(agent_index);
}

// --- setup --------------------------------------------------------------------------------------

absl::Status Run::Setup() {
  const Scenario& s = scenario_;
  origin_ = s.engine.origin;
  warmup_end_ = Nanos(s.warmup_hours * 3600);
  measure_end_ = Nanos(s.duration_hours * 3600);
  run_end_ = measure_end_ + Nanos(s.drain_hours * 3600);
  interval_ = std::max<int64_t>(Nanos(s.timeline_minutes * 60), 1);
  tick_ = Nanos(s.tick_seconds);
  has_sla_ = !s.engine.sla_policies.empty();
  confirm_ = s.engine.auto_close_after == absl::InfiniteDuration();
  timers_assign_ = tick_ > 0;

  absl::StatusOr<std::unique_ptr<omniroute::Engine>> engine = omniroute::Engine::Create(s.engine);
  if (!engine.ok()) return engine.status();
  engine_ = *std::move(engine);
  engine_->SetEventSink([this](const EngineEvent& event) { OnEngineEvent(event); });

  if (s.engine.channels.empty()) {
    for (const char* name : {"voice", "chat", "email"}) channels_.push_back({.name = name});
  } else {
    for (const ChannelSpec& c : s.engine.channels) {
      channels_.push_back(
          {.name = c.name, .cost = c.cost, .wrap_up = absl::ToInt64Nanoseconds(c.wrap_up)});
      if (c.wrap_up > absl::ZeroDuration()) timers_assign_ = true;
    }
  }
  priorities_ = s.engine.priorities;
  for (const EngineQueueSpec& q : s.engine.queues) {
    thresholds_.push_back(absl::ToInt64Nanoseconds(q.service_level_threshold));
    auto_accept_.push_back(q.auto_accept);
    if (!q.auto_accept) timers_assign_ = true;
    report_.queues.emplace_back(q.name, Figures{});
    report_.queue_thresholds.push_back(absl::ToDoubleSeconds(q.service_level_threshold));
  }
  waiting_.assign(thresholds_.size(), 0);
  interval_queues_.assign(thresholds_.size(), {});
  for (const std::string& label : priorities_) report_.priorities.emplace_back(label, Figures{});
  report_.tiers = {{"standard", Figures{}}, {"vip", Figures{}}};
  for (const ChannelInfo& c : channels_) report_.channels.emplace_back(c.name, Figures{});
  SetupGroups();
  SetupStreams();
  double expected_contacts = 0;
  for (const ArrivalSpec& arrival : s.arrivals) {
    double sum = 0;
    for (double rate : arrival.rates_per_hour) sum += rate;
    double factors = 0;
    for (double factor : arrival.day_factors) factors += factor;
    expected_contacts +=
        sum / static_cast<double>(arrival.rates_per_hour.size()) * factors / 7 * s.duration_hours;
  }
  contacts_.reserve(static_cast<size_t>(std::min(expected_contacts * 1.05 + 1024, 5e7)));
  return absl::OkStatus();
}

std::vector<std::pair<int64_t, int64_t>> Run::Stretches(const AgentGroupSpec& group,
                                                        const ShiftSpec* shift) const {
  std::vector<std::pair<int64_t, int64_t>> shifts;
  if (shift == nullptr) {
    shifts.emplace_back(0, run_end_);
  } else {
    const absl::TimeZone& zone = scenario_.zone;
    const absl::CivilDay first = absl::CivilDay(absl::ToCivilSecond(At(0), zone)) - 1;
    const absl::CivilDay last = absl::CivilDay(absl::ToCivilSecond(At(run_end_), zone));
    for (absl::CivilDay day = first; day <= last; ++day) {
      const int weekday = static_cast<int>(absl::GetWeekday(day));
      if ((shift->days & (1u << weekday)) == 0) continue;
      const absl::CivilSecond midnight(day);
      const int64_t begin = NanosOf(absl::FromCivil(midnight + shift->start_seconds, zone));
      const int end_offset = shift->end_seconds > shift->start_seconds ? shift->end_seconds
                                                                       : shift->end_seconds + 86400;
      const int64_t end = NanosOf(absl::FromCivil(midnight + end_offset, zone));
      const int64_t from = std::max<int64_t>(begin, 0);
      const int64_t to = std::min(end, run_end_);
      if (to > from) shifts.emplace_back(from, to);
    }
  }
  std::vector<std::pair<int64_t, int64_t>> stretches;
  if (group.calendar.empty()) {
    stretches = std::move(shifts);
  } else {
    const BusinessCalendar calendar = group.calendar == "24x7"
                                          ? BusinessCalendar::AlwaysOpen()
                                          : scenario_.engine.calendars.at(group.calendar);
    for (const auto& [from, to] : shifts) {
      int64_t t = from;
      while (t < to) {
        const int64_t open = NanosOf(calendar.NextOpen(At(t)));
        if (open >= to) break;
        const int64_t close = NanosOf(calendar.NextClose(At(open)));
        stretches.emplace_back(open, std::min(close, to));
        t = close;
      }
    }
  }
  std::sort(stretches.begin(), stretches.end());
  std::vector<std::pair<int64_t, int64_t>> merged;
  for (const auto& stretch : stretches) {
    if (!merged.empty() && stretch.first <= merged.back().second) {
      merged.back().second = std::max(merged.back().second, stretch.second);
    } else {
      merged.push_back(stretch);
    }
  }
  return merged;
}

void Run::SetupGroups() {
  std::vector<std::set<int64_t>> queue_delays(thresholds_.size());
  std::vector<std::string> queue_names;
  for (const auto& [name, unused] : report_.queues) queue_names.push_back(name);
  for (size_t g = 0; g < scenario_.agent_groups.size(); ++g) {
    const AgentGroupSpec& spec = scenario_.agent_groups[g];
    Group group;
    group.spec = &spec;
    group.agent = {.skills = spec.skills, .capacity = spec.capacity, .budget = spec.budget};
    for (const QueueRefSpec& q : spec.queues) {
      group.agent.queues.push_back(
          {.queue = q.queue, .priority = q.priority, .delay = absl::Seconds(q.delay_seconds)});
      if (q.delay_seconds > 0) {
        const size_t index =
            std::find(queue_names.begin(), queue_names.end(), q.queue) - queue_names.begin();
        if (index < queue_delays.size()) queue_delays[index].insert(Nanos(q.delay_seconds));
      }
    }
    int64_t units = 0;
    for (const auto& [name, limit] : spec.capacity) {
      for (const ChannelInfo& c : channels_) {
        if (c.name == name) units += int64_t{limit} * c.cost;
      }
    }
    group.budget =
        spec.budget ? *spec.budget : static_cast<int>(std::clamp<int64_t>(units, 1, 1'000'000));
    std::vector<const ShiftSpec*> shifts;
    for (const ShiftSpec& shift : spec.shifts) shifts.push_back(&shift);
    if (shifts.empty()) shifts.push_back(nullptr);
    for (const ShiftSpec* shift : shifts) {
      Block block{.group = static_cast<uint32_t>(g),
                  .first_agent = static_cast<uint32_t>(agents_.size()),
                  .count = static_cast<uint32_t>(shift == nullptr ? spec.count : shift->count)};
      block.stretches = Stretches(spec, shift);
      agents_.resize(agents_.size() + block.count, Agent{.group = static_cast<uint32_t>(g)});
      group.roster += static_cast<int>(block.count);
      blocks_.push_back(std::move(block));
    }
    groups_.push_back(std::move(group));
  }
  for (size_t b = 0; b < blocks_.size(); ++b) {
    for (size_t i = 0; i < blocks_[b].stretches.size(); ++i) {
      events_.Push(blocks_[b].stretches[i].first, {.kind = EventKind::kShiftOn,
                                                   .index = static_cast<uint32_t>(b),
                                                   .extra = static_cast<uint32_t>(i)});
    }
  }
  // Items wait a queue's delay before some agents may take them: look again then.
  for (size_t i = 0; i < scenario_.arrivals.size(); ++i) {
    const ArrivalSpec& spec = scenario_.arrivals[i];
    const size_t queue =
        std::find(queue_names.begin(), queue_names.end(), spec.queue) - queue_names.begin();
    std::set<int64_t> rechecks = queue_delays[queue];
    for (const NamedRelaxationStep& step : spec.requirement.steps) {
      if (step.after > absl::ZeroDuration()) rechecks.insert(absl::ToInt64Nanoseconds(step.after));
    }
    Stream stream;
    stream.rechecks.assign(rechecks.begin(), rechecks.end());
    if (!rechecks.empty()) timers_assign_ = true;
    streams_.push_back(std::move(stream));
  }
}

void Run::SetupStreams() {
  for (size_t i = 0; i < scenario_.arrivals.size(); ++i) {
    const ArrivalSpec& spec = scenario_.arrivals[i];
    Stream& stream = streams_[i];
    stream.spec = &spec;
    stream.rng = Random(StreamSeed(scenario_.seed, i));
    for (size_t q = 0; q < report_.queues.size(); ++q) {
      if (report_.queues[q].first == spec.queue) stream.queue = static_cast<uint32_t>(q);
    }
    for (size_t c = 0; c < channels_.size(); ++c) {
      if (channels_[c].name == spec.channel) stream.channel = static_cast<uint32_t>(c);
    }
    stream.item = {.queue = spec.queue, .channel = spec.channel, .requirement = spec.requirement};
    for (const std::string& label : spec.priorities) {
      stream.priority_index.push_back(static_cast<uint8_t>(
          std::find(priorities_.begin(), priorities_.end(), label) - priorities_.begin()));
    }
    stream.default_priority = static_cast<uint8_t>(priorities_.size() - 1);
    stream.interval_seconds = std::max<int64_t>(std::llround(spec.interval_minutes * 60), 1);
    const bool flat_week = std::all_of(spec.day_factors.begin(), spec.day_factors.end(),
                                       [&spec](double f) { return f == spec.day_factors[0]; });
    if (spec.rates_per_hour.size() == 1 && flat_week) {
      stream.constant_rate = true;
      const double rate = spec.rates_per_hour[0] * spec.day_factors[0];
      stream.constant_mean_gap_seconds = rate > 0 ? 3600.0 / rate : 0.0;
    }
    stream.figures.name = spec.name;
    const int64_t first = NextArrival(stream, 0);
    if (first < measure_end_) {
      events_.Push(first, {.kind = EventKind::kArrival, .index = static_cast<uint32_t>(i)});
    }
  }
}

// --- arrivals -----------------------------------------------------------------------------------

void Run::UpdateSegment(Stream& stream, int64_t at) {
  const absl::TimeZone& zone = scenario_.zone;
  const absl::CivilSecond base(absl::CivilDay(absl::ToCivilSecond(At(0), zone)));
  const absl::CivilSecond local = absl::ToCivilSecond(At(at), zone);
  const int64_t k = FloorDiv(local - base, stream.interval_seconds);
  const absl::CivilSecond start = base + k * stream.interval_seconds;
  const std::vector<double>& rates = stream.spec->rates_per_hour;
  const int64_t n = static_cast<int64_t>(rates.size());
  const int weekday = static_cast<int>(absl::GetWeekday(absl::CivilDay(start)));
  stream.segment_rate_per_second =
      rates[((k % n) + n) % n] * stream.spec->day_factors[weekday] / 3600.0;
  stream.segment_start = at;
  stream.segment_end = NanosOf(absl::FromCivil(start + stream.interval_seconds, zone));
  if (stream.segment_end <= at) stream.segment_end = at + stream.interval_seconds * kNanosPerSecond;
}

int64_t Run::NextArrival(Stream& stream, int64_t after) {
  if (stream.constant_rate) {
    if (stream.constant_mean_gap_seconds <= 0) return kNever;
    return after +
           std::max<int64_t>(Nanos(stream.rng.Exponential(stream.constant_mean_gap_seconds)), 1);
  }
  // Inversion of the integrated rate: the next arrival comes when the expected number of
  // arrivals since `after` reaches a unit-mean exponential draw.
  double need = stream.rng.Exponential(1.0);
  int64_t t = after;
  while (t < measure_end_) {
    if (t < stream.segment_start || t >= stream.segment_end) UpdateSegment(stream, t);
    const double rate = stream.segment_rate_per_second;
    const double span = Seconds(stream.segment_end - t);
    if (rate > 0 && need <= rate * span) {
      return std::min(t + std::max<int64_t>(Nanos(need / rate), 1), stream.segment_end);
    }
    need -= rate * span;
    t = stream.segment_end;
  }
  return kNever;
}

absl::Status Run::OnArrival(uint32_t stream_index) {
  Stream& stream = streams_[stream_index];
  const ArrivalSpec& spec = *stream.spec;
  Random& rng = stream.rng;
  const uint32_t index = static_cast<uint32_t>(contacts_.size());
  Contact& contact = contacts_.emplace_back();
  ++cost_.contacts;
  contact.stream = static_cast<uint16_t>(stream_index);
  contact.arrival = now_;
  // Always the same draws in the same order, so streams stay aligned across variants.
  contact.handle = Nanos(spec.handle_time.Sample(rng));
  if (spec.patience) contact.patience = Nanos(spec.patience->Sample(rng));
  contact.priority = spec.priorities.empty()
                         ? stream.default_priority
                         : stream.priority_index[rng.Pick(spec.priority_cumulative)];
  contact.vip = spec.vip_share > 0 && rng.Bernoulli(spec.vip_share);
  for (size_t t = 0; t < spec.tags.size(); ++t) {
    if (rng.Bernoulli(spec.tags[t].second)) contact.tags |= static_cast<uint16_t>(1u << t);
  }
  contact.counted = now_ >= warmup_end_ && now_ < measure_end_;
  if (contact.counted) {
    ++stream.figures.arrived;
    ++open_counted_;
  }
  const int64_t next = NextArrival(stream, now_);
  if (next < measure_end_) {
    events_.Push(next, {.kind = EventKind::kArrival, .index = stream_index});
  }
  if (spec.bot) {
    const bool handed_over = rng.Bernoulli(spec.bot->handover_share);
    const int64_t bot_time = Nanos(spec.bot->time.Sample(rng));
    if (!handed_over) {
      contact.state = ContactState::kContained;
      if (contact.counted) {
        ++stream.figures.bot_contained;
        --open_counted_;
      }
      return absl::OkStatus();
    }
    contact.state = ContactState::kInBot;
    contact.tags |= kBotTag;
    if (contact.counted) ++stream.figures.handed_over;
    events_.Push(now_ + bot_time, {.kind = EventKind::kHandover, .index = index});
    return absl::OkStatus();
  }
  return SubmitContact(index);
}

absl::Status Run::SubmitContact(uint32_t index) {
  Contact& contact = contacts_[index];
  Stream& stream = streams_[contact.stream];
  const ArrivalSpec& spec = *stream.spec;
  contact.arrival = now_;
  contact.state = ContactState::kWaiting;
  contact.queue = static_cast<uint16_t>(stream.queue);
  if (contact.counted) ForSlices(contact, [](Figures& f) { ++f.offered; });
  ++interval_queues_[stream.queue].arrivals;
  ++waiting_[stream.queue];
  EngineItemSpec& item = stream.item;
  item.id = DecimalId(index);
  item.priority = spec.priorities.empty() ? std::string() : priorities_[contact.priority];
  item.tier = contact.vip ? "vip" : "";
  item.tags.clear();
  for (size_t t = 0; t < spec.tags.size(); ++t) {
    if (contact.tags & (1u << t)) item.tags.push_back(spec.tags[t].first);
  }
  if (contact.tags & kBotTag) item.tags.push_back(spec.bot->tag);
  const absl::Time at = At(now_);
  absl::Status submitted =
      Command([&item, at](omniroute::Engine& engine) { return engine.Submit(item, at); });
  if (!submitted.ok()) {
    return absl::Status(submitted.code(), absl::StrCat("arrivals[", contact.stream,
                                                       "]: the engine refused a contact: ",
                                                       std::string(submitted.message())));
  }
  // Most contacts are answered within Submit: only those still waiting need their timers.
  const Contact& submitted_contact = contacts_[index];
  if (submitted_contact.state == ContactState::kWaiting) {
    if (submitted_contact.patience != kNever) {
      events_.Push(now_ + submitted_contact.patience,
                   {.kind = EventKind::kPatienceEnds, .index = index});
    }
    for (int64_t after : stream.rechecks) {
      events_.Push(now_ + after, {.kind = EventKind::kRecheck, .index = index});
    }
  }
  return absl::OkStatus();
}

// --- contacts -----------------------------------------------------------------------------------

absl::Status Run::OnAssigned(uint32_t index, uint32_t agent_index, int64_t at) {
  Contact& contact = contacts_[index];
  if (contact.state != ContactState::kWaiting) {
    return absl::InternalError(absl::StrCat("contact ", index, " assigned while not waiting"));
  }
  const Stream& stream = streams_[contact.stream];
  contact.state = ContactState::kAnswered;
  contact.agent = agent_index;
  ++contact.assignment;
  --waiting_[contact.queue];
  if (!contact.answered) {
    contact.answered = true;
    const int64_t wait = at - contact.arrival;
    const int64_t threshold = thresholds_[stream.queue];
    if (contact.counted) {
      --open_counted_;
      const double wait_seconds = Seconds(wait);
      const double threshold_seconds = Seconds(threshold);
      const double handle_seconds = Seconds(contact.handle);
      ForSlices(contact, [&](Figures& f) {
        f.AddAnswered(wait_seconds, threshold_seconds, handle_seconds);
      });
      ++groups_[agents_[agent_index].group].handled;
    }
    TimelineRow::Queue& row = interval_queues_[stream.queue];
    ++row.answered;
    if (wait <= threshold) ++row.answered_within;
    row.answered_wait_seconds += Seconds(wait);
  }
  Agent& agent = agents_[agent_index];
  agent.units += channels_[stream.channel].cost;
  ++agent.held;
  SetAgentUnits(agent_index);
  events_.Push(std::max(at + contact.handle, now_),
               {.kind = EventKind::kResolve, .index = index, .extra = contact.assignment});
  if (has_sla_ && stream.spec->respond_on_answer) {
    const std::string id = DecimalId(index);
    const absl::Time when = At(now_);
    OMNIROUTE_RETURN_IF_ERROR(
        Command([&id, when](omniroute::Engine& engine) { return engine.Respond(id, when); }));
  }
  return absl::OkStatus();
}

absl::Status Run::ReleaseAgent(uint32_t index, bool completed) {
  const Contact& contact = contacts_[index];
  const ChannelInfo& channel = channels_[streams_[contact.stream].channel];
  const uint32_t agent_index = contact.agent;
  Agent& agent = agents_[agent_index];
  agent.units -= channel.cost;
  --agent.held;
  if (completed && channel.wrap_up > 0 && agent.logged_in) {
    agent.wrap_up_until = std::max(agent.wrap_up_until, now_ + channel.wrap_up);
    events_.Push(agent.wrap_up_until, {.kind = EventKind::kWrapUpEnds, .index = agent_index});
  }
  SetAgentUnits(agent_index);
  if (!agent.on_shift && agent.held == 0 && agent.logged_in) return LogOut(agent_index);
  return absl::OkStatus();
}

absl::Status Run::OnResolve(uint32_t index, uint32_t assignment) {
  // Stale when an escalation took the contact from that agent meanwhile.
  auto current = [this, index, assignment] {
    const Contact& c = contacts_[index];
    return c.state == ContactState::kAnswered && c.assignment == assignment;
  };
  if (!current()) return absl::OkStatus();
  const absl::Time at = At(now_);
  if (timers_assign_) {
    // The engine's own timers due by now fire first: one may move this contact.
    OMNIROUTE_RETURN_IF_ERROR(
        Command([at](omniroute::Engine& engine) { return engine.AdvanceTo(at); }));
    if (!current()) return absl::OkStatus();
  }
  contacts_[index].state = ContactState::kResolved;
  const std::string id = DecimalId(index);
  OMNIROUTE_RETURN_IF_ERROR(
      Command([&id, at](omniroute::Engine& engine) { return engine.Resolve(id, at); }));
  if (confirm_) {
    // The customer confirms at once, so that the item leaves the engine's tables.
    OMNIROUTE_RETURN_IF_ERROR(
        Command([&id, at](omniroute::Engine& engine) { return engine.Confirm(id, at); }));
  }
  return ReleaseAgent(index, /*completed=*/true);
}

absl::Status Run::OnTransferred(uint32_t index, uint16_t queue) {
  Contact& contact = contacts_[index];
  if (contact.state == ContactState::kWaiting) {
    --waiting_[contact.queue];
  } else if (contact.state == ContactState::kAnswered) {
    // The engine took it from its agent: it waits again, its resolution is void.
    contact.state = ContactState::kWaiting;
    ++contact.assignment;
    OMNIROUTE_RETURN_IF_ERROR(ReleaseAgent(index, /*completed=*/false));
  } else {
    return absl::OkStatus();
  }
  contact.queue = queue;
  ++waiting_[queue];
  return absl::OkStatus();
}

absl::Status Run::OnPatienceEnds(uint32_t index) {
  auto abandons = [this, index] {
    const Contact& c = contacts_[index];
    return c.state == ContactState::kWaiting && !c.answered;
  };
  if (!abandons()) return absl::OkStatus();
  const absl::Time at = At(now_);
  if (timers_assign_) {
    // The engine's own timers may have assigned it just before: let them fire first.
    OMNIROUTE_RETURN_IF_ERROR(
        Command([at](omniroute::Engine& engine) { return engine.AdvanceTo(at); }));
    if (!abandons()) return absl::OkStatus();
  }
  const std::string id = DecimalId(index);
  OMNIROUTE_RETURN_IF_ERROR(
      Command([&id, at](omniroute::Engine& engine) { return engine.Abandon(id, at); }));
  Contact& contact = contacts_[index];
  contact.state = ContactState::kAbandoned;
  const Stream& stream = streams_[contact.stream];
  const int64_t wait = now_ - contact.arrival;
  const int64_t threshold = thresholds_[stream.queue];
  if (contact.counted) {
    --open_counted_;
    const double wait_seconds = Seconds(wait);
    const double threshold_seconds = Seconds(threshold);
    ForSlices(contact, [&](Figures& f) { f.AddAbandoned(wait_seconds, threshold_seconds); });
  }
  TimelineRow::Queue& row = interval_queues_[stream.queue];
  ++row.abandoned;
  if (wait > threshold) ++row.abandoned_after;
  --waiting_[contact.queue];
  return absl::OkStatus();
}

// --- agents -------------------------------------------------------------------------------------

absl::Status Run::OnShiftOn(uint32_t block_index, uint32_t stretch) {
  const Block& block = blocks_[block_index];
  Group& group = groups_[block.group];
  const absl::Time at = At(now_);
  for (uint32_t a = block.first_agent; a < block.first_agent + block.count; ++a) {
    Agent& agent = agents_[a];
    const std::string id = DecimalId(a, "a");
    if (!agent.added) {
      group.agent.id = id;
      const EngineAgentSpec& spec = group.agent;
      OMNIROUTE_RETURN_IF_ERROR(
          Command([&spec, at](omniroute::Engine& engine) { return engine.AddAgent(spec, at); }));
      agent.added = true;
    }
    agent.on_shift = true;
    SetLoggedIn(a, true);
    OMNIROUTE_RETURN_IF_ERROR(Command([&id, at](omniroute::Engine& engine) {
      return engine.SetAgentState(id, AgentState::kAvailable, at);
    }));
  }
  const int64_t end = block.stretches[stretch].second;
  if (end < run_end_) {
    events_.Push(end, {.kind = EventKind::kShiftOff, .index = block_index});
  }
  return absl::OkStatus();
}

absl::Status Run::OnShiftOff(uint32_t block_index) {
  const Block& block = blocks_[block_index];
  const absl::Time at = At(now_);
  for (uint32_t a = block.first_agent; a < block.first_agent + block.count; ++a) {
    Agent& agent = agents_[a];
    agent.on_shift = false;
    if (agent.held == 0) {
      OMNIROUTE_RETURN_IF_ERROR(LogOut(a));
    } else {
      // Finishes what it holds, then logs out.
      const std::string id = DecimalId(a, "a");
      OMNIROUTE_RETURN_IF_ERROR(Command([&id, at](omniroute::Engine& engine) {
        return engine.SetAgentState(id, AgentState::kAway, at, "shift_end");
      }));
    }
  }
  return absl::OkStatus();
}

absl::Status Run::LogOut(uint32_t agent_index) {
  const std::string id = DecimalId(agent_index, "a");
  const absl::Time at = At(now_);
  OMNIROUTE_RETURN_IF_ERROR(Command([&id, at](omniroute::Engine& engine) {
    return engine.SetAgentState(id, AgentState::kOffline, at);
  }));
  SetLoggedIn(agent_index, false);
  return absl::OkStatus();
}

// --- the timeline -------------------------------------------------------------------------------

void Run::OnIntervalEnds() {
  TimelineRow row;
  row.start_hours = Seconds(interval_start_) / 3600;
  row.end_hours = Seconds(now_) / 3600;
  const double length = Seconds(now_ - interval_start_);
  row.queues = interval_queues_;
  for (size_t q = 0; q < waiting_.size(); ++q) row.queues[q].waiting_at_end = waiting_[q];
  for (Group& group : groups_) {
    group.occupied.Advance(now_, warmup_end_, measure_end_);
    group.staffed.Advance(now_, warmup_end_, measure_end_);
    group.logged_in.Advance(now_, warmup_end_, measure_end_);
    const double occupied = group.occupied.TakeInterval();
    const double staffed = group.staffed.TakeInterval();
    const double logged_in = group.logged_in.TakeInterval();
    row.groups.push_back({.occupancy = staffed > 0 ? occupied / staffed : 0.0,
                          .average_logged_in = length > 0 ? logged_in / length : 0.0,
                          .logged_in_at_end = static_cast<int>(group.logged_in.value())});
  }
  report_.timeline.push_back(std::move(row));
  interval_queues_.assign(interval_queues_.size(), {});
  interval_start_ = now_;
  if (now_ < measure_end_) {
    events_.PushFirst(std::min(now_ + interval_, measure_end_), {.kind = EventKind::kIntervalEnds});
  }
}

// --- the run ------------------------------------------------------------------------------------

absl::StatusOr<Report> Run::Execute() {
  const SteadyClock::time_point started = SteadyClock::now();
  OMNIROUTE_RETURN_IF_ERROR(Setup());
  events_.PushFirst(std::min(interval_, measure_end_), {.kind = EventKind::kIntervalEnds});
  events_.PushFirst(measure_end_, {.kind = EventKind::kMeasureEnds});
  if (tick_ > 0) events_.Push(tick_, {.kind = EventKind::kTick});
  uint64_t handled = 0;
  while (!events_.empty()) {
    if (!measuring_ && open_counted_ == 0) break;
    const Event event = events_.Pop();
    if (event.time > run_end_) break;
    now_ = event.time;
    ++handled;
    if (options_.progress && (handled & 0x3fff) == 0) {
      options_.progress(std::min(1.0, Seconds(now_) / Seconds(measure_end_)));
    }
    absl::Status status;
    switch (event.kind) {
      case EventKind::kShiftOn:
        status = OnShiftOn(event.index, event.extra);
        break;
      case EventKind::kShiftOff:
        status = OnShiftOff(event.index);
        break;
      case EventKind::kArrival:
        status = OnArrival(event.index);
        break;
      case EventKind::kHandover:
        status = SubmitContact(event.index);
        break;
      case EventKind::kResolve:
        status = OnResolve(event.index, event.extra);
        break;
      case EventKind::kPatienceEnds:
        status = OnPatienceEnds(event.index);
        break;
      case EventKind::kRecheck:
        if (contacts_[event.index].state == ContactState::kWaiting) {
          const absl::Time at = At(now_);
          status = Command([at](omniroute::Engine& engine) { return engine.AdvanceTo(at); });
        }
        break;
      case EventKind::kWrapUpEnds: {
        Agent& agent = agents_[event.index];
        if (agent.wrap_up_until == now_) {
          const absl::Time at = At(now_);
          status = Command([at](omniroute::Engine& engine) { return engine.AdvanceTo(at); });
          SetAgentUnits(event.index);
        }
        break;
      }
      case EventKind::kTick: {
        const absl::Time at = At(now_);
        status = Command([at](omniroute::Engine& engine) { return engine.AdvanceTo(at); });
        if (now_ + tick_ <= run_end_) events_.Push(now_ + tick_, {.kind = EventKind::kTick});
        break;
      }
      case EventKind::kIntervalEnds:
        if (now_ > interval_start_) OnIntervalEnds();
        break;
      case EventKind::kMeasureEnds:
        // The last interval closes here, even when the run stops at once.
        if (now_ > interval_start_) OnIntervalEnds();
        measuring_ = false;
        break;
    }
    if (!status.ok()) return status;
  }
  if (options_.progress) options_.progress(1.0);

  for (const Contact& contact : contacts_) {
    // Contacts still in the bot never reached a queue.
    if (contact.counted && contact.state == ContactState::kWaiting && !contact.answered) {
      ForSlices(contact, [](Figures& f) { ++f.unfinished; });
    }
  }
  const Scenario& s = scenario_;
  report_.label = options_.label;
  report_.duration_hours = s.duration_hours;
  report_.warmup_hours = s.warmup_hours;
  report_.seed = s.seed;
  report_.measured_hours = s.duration_hours - s.warmup_hours;
  report_.run_hours = Seconds(now_) / 3600;
  report_.timeline_minutes = s.timeline_minutes;
  const double measured_seconds = Seconds(measure_end_ - warmup_end_);
  for (Group& group : groups_) {
    group.occupied.Advance(measure_end_, warmup_end_, measure_end_);
    group.staffed.Advance(measure_end_, warmup_end_, measure_end_);
    group.logged_in.Advance(measure_end_, warmup_end_, measure_end_);
    const double staffed = group.staffed.measured();
    report_.groups.push_back(
        {.name = group.spec->name,
         .agents = group.roster,
         .occupancy = staffed > 0 ? group.occupied.measured() / staffed : 0.0,
         .staffed_agent_hours = group.logged_in.measured() / 3600,
         .average_logged_in =
             measured_seconds > 0 ? group.logged_in.measured() / measured_seconds : 0.0,
         .handled = group.handled});
  }
  for (const Stream& stream : streams_) report_.streams.push_back(stream.figures);
  report_.engine = engine_->Kpis();
  cost_.engine_seconds = std::chrono::duration<double>(engine_time_).count();
  cost_.simulator_events = handled;
  cost_.wall_seconds = std::chrono::duration<double>(SteadyClock::now() - started).count();
  report_.cost = cost_;
  return std::move(report_);
}

}  // namespace

absl::StatusOr<Report> Simulate(const Scenario& scenario, const SimulateOptions& options) {
  Run run(scenario, options);
  return run.Execute();
}

}  // namespace omniroute::sim
