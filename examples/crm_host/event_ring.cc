#include "event_ring.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "omniroute/engine.h"
#include "views.h"

namespace omniroute::crm {

EventRing::EventRing(size_t capacity, int64_t last_seq)
    : capacity_(std::max<size_t>(capacity, 1)), last_seq_(last_seq) {}

void EventRing::Publish(const std::vector<SequencedEvent>& events) {
  if (events.empty()) return;
  std::vector<Entry> fresh;
  fresh.reserve(events.size());
  for (const SequencedEvent& e : events) {
    fresh.push_back({.seq = e.seq,
                     .message = absl::StrCat(
                         "id: ", e.seq, "\nevent: ", std::string(EngineEventKindName(e.event.kind)),
                         "\ndata: ", EventJson(e).dump(), "\n\n")});
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (Entry& entry : fresh) {
      last_seq_ = entry.seq;
      entries_.push_back(std::move(entry));
      if (entries_.size() > capacity_) entries_.pop_front();
    }
  }
  cv_.notify_all();
}

EventRing::Batch EventRing::Collect(int64_t after) const {
  Batch batch{.closed = closed_, .after = after, .last_seq = after};
  const int64_t oldest_held = entries_.empty() ? last_seq_ + 1 : entries_.front().seq;
  if (after < oldest_held - 1 || after > last_seq_) {
    batch.gap = true;
    batch.after = oldest_held - 1;
    batch.last_seq = batch.after;
  }
  // Seqs are consecutive within the ring, so the first one wanted is found by arithmetic.
  const int64_t first = batch.after + 1;
  if (!entries_.empty() && first <= last_seq_) {
    for (size_t i = static_cast<size_t>(first - entries_.front().seq); i < entries_.size(); ++i) {
      batch.messages.push_back(entries_[i].message);
      batch.last_seq = entries_[i].seq;
    }
  }
  return batch;
}

EventRing::Batch EventRing::WaitAfter(int64_t after, absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  Batch batch = Collect(after);
  if (batch.closed || !batch.messages.empty() || batch.gap) return batch;
  cv_.wait_for(lock, absl::ToChronoMilliseconds(timeout),
               [&] { return closed_ || last_seq_ > after; });
  return Collect(after);
}

int64_t EventRing::last_seq() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_seq_;
}

void EventRing::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

}  // namespace omniroute::crm
