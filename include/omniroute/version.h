// The library's version: the single source that CMake reads as well.
#ifndef OMNIROUTE_VERSION_H_
#define OMNIROUTE_VERSION_H_

#define OMNIROUTE_VERSION_MAJOR 0
#define OMNIROUTE_VERSION_MINOR 1
#define OMNIROUTE_VERSION_PATCH 0

// "MAJOR.MINOR.PATCH", e.g. "0.1.0".
#define OMNIROUTE_VERSION_STRING "0.1.0"

namespace omniroute {

inline constexpr int kVersionMajor = OMNIROUTE_VERSION_MAJOR;
inline constexpr int kVersionMinor = OMNIROUTE_VERSION_MINOR;
inline constexpr int kVersionPatch = OMNIROUTE_VERSION_PATCH;
inline constexpr const char* kVersionString = OMNIROUTE_VERSION_STRING;

}  // namespace omniroute

#endif  // OMNIROUTE_VERSION_H_
