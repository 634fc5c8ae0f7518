// The timer wheel against the ordered structures a scheduler is usually built on: std::set and
// absl::btree_set keyed by (due, scheduling order) with cancel-by-erase, and a std::priority_queue
// with lazy cancellation (cancelled entries are skipped when they reach the top, and the heap is
// rebuilt once they outnumber the live ones, so its size stays bounded).
//
// Every structure runs the same workload in the same binary, with 10^4, 10^5 and 10^6 live
// timers whose due instants are spread uniformly like SLA deadlines:
// - ScheduleCancel: timers due within 30 days; cancel a random live one and schedule a new one,
//   so the population stays put. An item is one operation (two per iteration).
// - Advance: timers due within a day; step time by one minute, firing what is due and re-arming
//   each fired timer up to a day ahead. An item is one timer fired.
// The wheel uses its default 1 ms tick and converts nanoseconds to absl::Time at its boundary;
// the baselines compare plain int64 nanoseconds, which can only flatter them.
// Before timing, each baseline replays a mixed schedule / cancel / advance script and must fire
// the same timers in the same (due, scheduling order) as the wheel.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "omniroute/timer_wheel.h"

namespace {

constexpr int64_t kNanosPerMinute = 60'000'000'000;
constexpr int64_t kNanosPerDay = 24 * 60 * kNanosPerMinute;

// 2026-11-23 13:00 UTC, in nanoseconds since the Unix epoch.
constexpr int64_t kOriginNs = 1'795'438'800'000'000'000;

// The wheel behind the interface the baselines share: due instants in nanoseconds since the Unix
// epoch, a uint64 payload, fire(due, payload).
class WheelTimers {
 public:
  using Key = omniroute::TimerHandle;

  WheelTimers() : wheel_(absl::FromUnixNanos(kOriginNs)) {}

  Key Schedule(int64_t due_ns, uint64_t payload) {
    absl::StatusOr<omniroute::TimerHandle> handle =
        wheel_.Schedule(absl::FromUnixNanos(due_ns), payload);
    if (!handle.ok()) {
      std::fprintf(stderr, "TimerWheel::Schedule: %s\n",
                   std::string(handle.status().message()).c_str());
      std::abort();
    }
    return *handle;
  }

  bool Cancel(Key key) { return wheel_.Cancel(key); }

  template <typename Fire>
  size_t Advance(int64_t now_ns, Fire&& fire) {
    return wheel_.Advance(absl::FromUnixNanos(now_ns),
                          [&fire](omniroute::TimerHandle, absl::Time due, uint64_t payload) {
                            fire(absl::ToUnixNanos(due), payload);
                          });
  }

  size_t size() const { return wheel_.size(); }
  size_t MemoryBytes() const { return wheel_.MemoryBytes(); }

 private:
  omniroute::TimerWheel<uint64_t> wheel_;
};

struct Entry {
  int64_t due_ns;
  uint64_t sequence;
  uint64_t payload;

  // The payload does not take part: (due, sequence) is unique.
  friend bool operator<(const Entry& a, const Entry& b) {
    return a.due_ns != b.due_ns ? a.due_ns < b.due_ns : a.sequence < b.sequence;
  }
  friend bool operator>(const Entry& a, const Entry& b) { return b < a; }
};

// An ordered set of (due, sequence): schedule inserts, cancel erases, advance pops the front.
template <typename Set>
class OrderedTimers {
 public:
  using Key = Entry;

  Key Schedule(int64_t due_ns, uint64_t payload) {
    const Entry entry{due_ns, next_sequence_++, payload};
    set_.insert(entry);
    return entry;
  }

  bool Cancel(const Key& key) { return set_.erase(key) == 1; }

  template <typename Fire>
  size_t Advance(int64_t now_ns, Fire&& fire) {
    size_t fired = 0;
    while (!set_.empty() && set_.begin()->due_ns <= now_ns) {
      const Entry entry = *set_.begin();
      set_.erase(set_.begin());
      ++fired;
      fire(entry.due_ns, entry.payload);
    }
    return fired;
  }

  size_t size() const { return set_.size(); }

 private:
  Set set_;
  uint64_t next_sequence_ = 0;
};

using StdSetTimers = OrderedTimers<std::set<Entry>>;
using BtreeSetTimers = OrderedTimers<absl::btree_set<Entry>>;

// A binary heap with lazy cancellation: a cancelled entry stays in the heap, remembered by its
// sequence number, until it reaches the top or the heap is rebuilt without the dead entries.
class HeapTimers {
 public:
  using Key = Entry;

  Key Schedule(int64_t due_ns, uint64_t payload) {
    const Entry entry{due_ns, next_sequence_++, payload};
    heap_.push(entry);
    ++live_;
    return entry;
  }

  // The caller cancels only live timers: telling a fired one apart would need one more set.
  bool Cancel(const Key& key) {
    if (!cancelled_.insert(key.sequence).second) return false;
    --live_;
    if (cancelled_.size() > live_) Compact();
    return true;
  }

  template <typename Fire>
  size_t Advance(int64_t now_ns, Fire&& fire) {
    size_t fired = 0;
    while (!heap_.empty() && heap_.top().due_ns <= now_ns) {
      const Entry entry = heap_.top();
      heap_.pop();
      if (cancelled_.erase(entry.sequence) == 1) continue;
      --live_;
      ++fired;
      fire(entry.due_ns, entry.payload);
    }
    return fired;
  }

  size_t size() const { return live_; }

 private:
  // std::priority_queue hands its container only to derived classes.
  class Heap : public std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> {
   public:
    void RemoveIf(const absl::flat_hash_set<uint64_t>& dead) {
      std::erase_if(c, [&dead](const Entry& e) { return dead.contains(e.sequence); });
      std::make_heap(c.begin(), c.end(), comp);
    }
  };

  void Compact() {
    heap_.RemoveIf(cancelled_);
    cancelled_.clear();
  }

  Heap heap_;
  absl::flat_hash_set<uint64_t> cancelled_;
  size_t live_ = 0;
  uint64_t next_sequence_ = 0;
};

// Live timer i carries payload i and is known by keys[i]; replacing or re-arming it in place keeps
// the population constant without bookkeeping that would differ between structures.
template <typename Timers>
struct Population {
  Timers timers;
  std::vector<typename Timers::Key> keys;
  std::mt19937_64 rng{20261123};
};

template <typename Timers>
void Fill(Population<Timers>& population, size_t n, int64_t from_ns, int64_t span_ns) {
  std::uniform_int_distribution<int64_t> offset(1, span_ns);
  population.keys.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    population.keys.push_back(population.timers.Schedule(from_ns + offset(population.rng), i));
  }
}

// Fires what is due at `now_ns` and re-arms each fired timer strictly after `now_ns`, so no
// structure has to decide where a timer armed for an already passed instant goes in the order.
template <typename Timers, typename Record>
size_t AdvanceAndRearm(Population<Timers>& population, int64_t now_ns, int64_t rearm_span_ns,
                       Record&& record) {
  std::uniform_int_distribution<int64_t> offset(1, rearm_span_ns);
  return population.timers.Advance(now_ns, [&](int64_t due_ns, uint64_t payload) {
    record(due_ns, payload);
    population.keys[payload] = population.timers.Schedule(now_ns + offset(population.rng), payload);
  });
}

// A mixed script: per minute, replace a few random timers, then advance. Returns what fired.
template <typename Timers>
std::vector<std::pair<int64_t, uint64_t>> Replay() {
  constexpr size_t kTimers = 5000;
  constexpr int kMinutes = 3000;
  Population<Timers> population;
  Fill(population, kTimers, kOriginNs, kNanosPerDay);
  std::vector<std::pair<int64_t, uint64_t>> fired;
  std::uniform_int_distribution<size_t> slot(0, kTimers - 1);
  std::uniform_int_distribution<int64_t> offset(1, kNanosPerDay);
  int64_t now_ns = kOriginNs;
  for (int minute = 0; minute < kMinutes; ++minute) {
    for (int k = 0; k < 3; ++k) {
      const size_t i = slot(population.rng);
      if (!population.timers.Cancel(population.keys[i])) std::abort();
      population.keys[i] = population.timers.Schedule(now_ns + offset(population.rng), i);
    }
    now_ns += kNanosPerMinute;
    AdvanceAndRearm(population, now_ns, kNanosPerDay, [&fired](int64_t due_ns, uint64_t payload) {
      fired.emplace_back(due_ns, payload);
    });
  }
  return fired;
}

template <typename Timers>
bool AgreesWithWheel(benchmark::State& state) {
  static const bool agrees = [] {
    const std::vector<std::pair<int64_t, uint64_t>> expected = Replay<WheelTimers>();
    return !expected.empty() && Replay<Timers>() == expected;
  }();
  if (!agrees) state.SkipWithError("baseline fires differently from the timer wheel");
  return agrees;
}

template <typename Timers>
void ReportMemory(benchmark::State&, const Timers&) {}

void ReportMemory(benchmark::State& state, const WheelTimers& timers) {
  state.counters["bytes_per_timer"] =
      static_cast<double>(timers.MemoryBytes()) / static_cast<double>(timers.size());
}

template <typename Timers>
void BM_ScheduleCancel(benchmark::State& state) {
  if (!AgreesWithWheel<Timers>(state)) return;
  const size_t n = static_cast<size_t>(state.range(0));
  constexpr int64_t kHorizonNs = 30 * kNanosPerDay;
  Population<Timers> population;
  Fill(population, n, kOriginNs, kHorizonNs);
  std::uniform_int_distribution<size_t> slot(0, n - 1);
  std::uniform_int_distribution<int64_t> offset(1, kHorizonNs);
  for (auto _ : state) {
    const size_t i = slot(population.rng);
    benchmark::DoNotOptimize(population.timers.Cancel(population.keys[i]));
    population.keys[i] = population.timers.Schedule(kOriginNs + offset(population.rng), i);
  }
  if (population.timers.size() != n) state.SkipWithError("population changed");
  state.SetItemsProcessed(2 * state.iterations());
  ReportMemory(state, population.timers);
}

template <typename Timers>
void BM_Advance(benchmark::State& state) {
  if (!AgreesWithWheel<Timers>(state)) return;
  const size_t n = static_cast<size_t>(state.range(0));
  Population<Timers> population;
  Fill(population, n, kOriginNs, kNanosPerDay);
  int64_t now_ns = kOriginNs;
  int64_t fired = 0;
  uint64_t checksum = 0;
  for (auto _ : state) {
    now_ns += kNanosPerMinute;
    fired += static_cast<int64_t>(
        AdvanceAndRearm(population, now_ns, kNanosPerDay,
                        [&checksum](int64_t, uint64_t payload) { checksum += payload; }));
  }
  benchmark::DoNotOptimize(checksum);
  if (population.timers.size() != n) state.SkipWithError("population changed");
  state.SetItemsProcessed(fired);
  ReportMemory(state, population.timers);
}

void Populations(benchmark::internal::Benchmark* b) {
  b->RangeMultiplier(10)->Range(10'000, 1'000'000);
}

BENCHMARK_TEMPLATE(BM_ScheduleCancel, WheelTimers)
    ->Name("ScheduleCancel/TimerWheel")
    ->Apply(Populations);
BENCHMARK_TEMPLATE(BM_ScheduleCancel, StdSetTimers)
    ->Name("ScheduleCancel/StdSet")
    ->Apply(Populations);
BENCHMARK_TEMPLATE(BM_ScheduleCancel, BtreeSetTimers)
    ->Name("ScheduleCancel/BtreeSet")
    ->Apply(Populations);
BENCHMARK_TEMPLATE(BM_ScheduleCancel, HeapTimers)
    ->Name("ScheduleCancel/PriorityQueue")
    ->Apply(Populations);
BENCHMARK_TEMPLATE(BM_Advance, WheelTimers)->Name("Advance/TimerWheel")->Apply(Populations);
BENCHMARK_TEMPLATE(BM_Advance, StdSetTimers)->Name("Advance/StdSet")->Apply(Populations);
BENCHMARK_TEMPLATE(BM_Advance, BtreeSetTimers)->Name("Advance/BtreeSet")->Apply(Populations);
BENCHMARK_TEMPLATE(BM_Advance, HeapTimers)->Name("Advance/PriorityQueue")->Apply(Populations);

}  // namespace
