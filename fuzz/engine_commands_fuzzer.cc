// Drives the engine with a stream of commands decoded from the input (command_stream.h: every
// command kind, ids from small pools, time moving forward in steps and sometimes backwards) and
// checks the engine's invariants after each command and snapshot, restore and replay at the end.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "command_stream.h"

namespace {

// Enough for every lifecycle path many times over, few enough to keep an execution short.
constexpr size_t kMaxCommands = 300;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  omniroute::fuzz::CommandStream stream;
  omniroute::fuzz::RunCommandBytes(std::string_view(reinterpret_cast<const char*>(data), size),
                                   stream, kMaxCommands);
  return 0;
}
