// Names of enumerators: one array per enum, in enumerator order, serves both directions.
#ifndef OMNIROUTE_SRC_INTERNAL_ENUM_NAMES_H_
#define OMNIROUTE_SRC_INTERNAL_ENUM_NAMES_H_

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace omniroute::internal {

// The name of `value`; "unknown" for a value outside `names`.
template <typename Enum, size_t N>
std::string_view EnumName(const std::array<std::string_view, N>& names, Enum value) {
  const auto index = static_cast<size_t>(value);
  return index < N ? names[index] : "unknown";
}

// The enumerator named `text`. InvalidArgument otherwise:
// `unknown <what> "<text>" (expected a, b or c)`.
template <typename Enum, size_t N>
absl::StatusOr<Enum> ParseEnum(const std::array<std::string_view, N>& names, std::string_view what,
                               std::string_view text) {
  std::string expected;
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == text) return static_cast<Enum>(i);
    if (i > 0) expected += i + 1 == N ? " or " : ", ";
    expected += names[i];
  }
  return absl::InvalidArgumentError(std::string("unknown ") + std::string(what) + " \"" +
                                    std::string(text) + "\" (expected " + expected + ")");
}

}  // namespace omniroute::internal

#endif  // OMNIROUTE_SRC_INTERNAL_ENUM_NAMES_H_
