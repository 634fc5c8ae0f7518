// The last N committed engine events as server-sent-event messages, for the event stream and
// its `Last-Event-ID` resumption.
//
//   EventRing ring(10000, /*last_seq=*/restored_seq);
//   ring.Publish(events);                                  // the committer, in seq order
//   EventRing::Batch b = ring.WaitAfter(last_seen, absl::Seconds(15));   // a stream
//
// Thread safety: thread-safe.
#ifndef OMNIROUTE_EXAMPLES_CRM_HOST_EVENT_RING_H_
#define OMNIROUTE_EXAMPLES_CRM_HOST_EVENT_RING_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "host_state.h"

namespace omniroute::crm {

class EventRing {
 public:
  // Holds at most `capacity` events; `last_seq` is the seq of the last event before any
  // published here (events continue across restarts).
  EventRing(size_t capacity, int64_t last_seq);

  // Appends events, seqs ascending and after every earlier one, and wakes the waiters.
  void Publish(const std::vector<SequencedEvent>& events);

  struct Batch {
    bool closed = false;  // the host is stopping: end the stream
    // Events after the one asked for are no longer held: the stream continues from `after`.
    bool gap = false;
    int64_t after = 0;                    // the seq the messages follow
    std::vector<std::string> messages{};  // "id: N\nevent: K\ndata: {...}\n\n"
    int64_t last_seq = 0;                 // of the last message, else `after`
  };
  // The messages after event `after`, waiting up to `timeout` for one. When `after` is older than
  // the oldest event held (or newer than any), `gap` is set and the messages are those held.
  Batch WaitAfter(int64_t after, absl::Duration timeout);

  // The seq of the last event published (or of the restored journal).
  int64_t last_seq() const;

  // Wakes every waiter with `closed`.
  void Close();

 private:
  struct Entry {
    int64_t seq;
    std::string message;
  };
  Batch Collect(int64_t after) const;  // requires mu_

  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Entry> entries_;  // guarded by mu_
  int64_t last_seq_;           // guarded by mu_
  bool closed_ = false;        // guarded by mu_
};

}  // namespace omniroute::crm

#endif  // OMNIROUTE_EXAMPLES_CRM_HOST_EVENT_RING_H_
