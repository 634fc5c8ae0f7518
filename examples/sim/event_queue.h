// The simulator's future-event list: a binary min-heap keyed by (time, sequence), so events at
// the same instant come out in the order they were scheduled (deterministic ties), except that
// PushFirst puts bookkeeping ahead of them.
//
//   omniroute::sim::EventQueue events;
//   events.Push(/*time=*/30, {.kind = omniroute::sim::EventKind::kArrival, .index = 0});
//   while (!events.empty()) { omniroute::sim::Event e = events.Pop(); ... }
//
// Push and Pop are O(log n); events are 32-byte values in one vector.
//
// Thread safety: thread-compatible.
#ifndef OMNIROUTE_EXAMPLES_SIM_EVENT_QUEUE_H_
#define OMNIROUTE_EXAMPLES_SIM_EVENT_QUEUE_H_

#include <cstdint>
#include <vector>

namespace omniroute::sim {

enum class EventKind : uint8_t {
  kShiftOn,       // index: the shift block; extra: its on-stretch
  kShiftOff,      // index: the shift block
  kArrival,       // index: the arrival stream
  kHandover,      // index: the contact, out of the bot into its queue
  kResolve,       // index: the contact
  kPatienceEnds,  // index: the contact
  kRecheck,       // advance the engine: a requirement relaxes or a queue delay ends
  kWrapUpEnds,    // index: the agent
  kTick,          // advance the engine for its own timers (escalation)
  kIntervalEnds,  // a timeline interval closes
  kMeasureEnds,   // the measured period ends: arrivals stop
};

struct Event {
  int64_t time = 0;      // nanoseconds since the scenario's start
  int64_t sequence = 0;  // scheduling order, set by Push (PushFirst: negative)
  EventKind kind = EventKind::kTick;
  uint32_t index = 0;
  uint32_t extra = 0;
};

class EventQueue {
 public:
  void Push(int64_t time, Event event) {
    event.sequence = next_sequence_++;
    Insert(time, event);
  }

  // Like Push, but ahead of every event already scheduled for the same instant (and of those
  // pushed later): for bookkeeping that closes a period before anything happens at its end.
  void PushFirst(int64_t time, Event event) {
    event.sequence = next_first_sequence_--;
    Insert(time, event);
  }

  // The earliest event; the queue must not be empty.
  const Event& Top() const { return heap_.front(); }

  Event Pop() {
    const Event top = heap_.front();
    const Event last = heap_.back();
    heap_.pop_back();
    const size_t n = heap_.size();
    if (n == 0) return top;
    // Floyd's bottom-up sift: walk the hole down along the smaller children to a leaf (one
    // comparison per level), then sift the last element up from there; it rarely climbs far,
    // since it came from the bottom.
    size_t hole = 0;
    while (true) {
      const size_t left = 2 * hole + 1;
      if (left >= n) break;
      const size_t best = left + 1 < n && Before(heap_[left + 1], heap_[left]) ? left + 1 : left;
      heap_[hole] = heap_[best];
      hole = best;
    }
    while (hole > 0) {
      const size_t parent = (hole - 1) / 2;
      if (!Before(last, heap_[parent])) break;
      heap_[hole] = heap_[parent];
      hole = parent;
    }
    heap_[hole] = last;
    return top;
  }

  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }

 private:
  void Insert(int64_t time, Event event) {
    event.time = time;
    size_t hole = heap_.size();
    heap_.push_back(event);
    while (hole > 0) {
      const size_t parent = (hole - 1) / 2;
      if (!Before(event, heap_[parent])) break;
      heap_[hole] = heap_[parent];
      hole = parent;
    }
    heap_[hole] = event;
  }

  static bool Before(const Event& a, const Event& b) {
    return a.time != b.time ? a.time < b.time : a.sequence < b.sequence;
  }

  std::vector<Event> heap_;
  int64_t next_sequence_ = 0;
  int64_t next_first_sequence_ = -1;
};

}  // namespace omniroute::sim

#endif  // OMNIROUTE_EXAMPLES_SIM_EVENT_QUEUE_H_
