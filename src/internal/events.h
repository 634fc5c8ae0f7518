// Handing out the events a component recorded: everything since the last poll, oldest first.
#ifndef OMNIROUTE_SRC_INTERNAL_EVENTS_H_
#define OMNIROUTE_SRC_INTERNAL_EVENTS_H_

#include <vector>

namespace omniroute::internal {

// The recorded events, leaving `recorded` empty.
template <typename Event>
std::vector<Event> TakeEvents(std::vector<Event>& recorded) {
  std::vector<Event> events;
  events.swap(recorded);
  return events;
}

// Same, into `buffer` (cleared first), whose storage `recorded` then reuses.
template <typename Event>
void TakeEvents(std::vector<Event>& recorded, std::vector<Event>& buffer) {
  buffer.clear();
  buffer.swap(recorded);
}

}  // namespace omniroute::internal

#endif  // OMNIROUTE_SRC_INTERNAL_EVENTS_H_
