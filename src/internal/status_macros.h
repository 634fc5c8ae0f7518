// Early-return helpers for absl::Status / absl::StatusOr, which this Abseil does not ship.
#ifndef OMNIROUTE_SRC_INTERNAL_STATUS_MACROS_H_
#define OMNIROUTE_SRC_INTERNAL_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define OMNIROUTE_STATUS_CONCAT_INNER_(a, b) a##b
#define OMNIROUTE_STATUS_CONCAT_(a, b) OMNIROUTE_STATUS_CONCAT_INNER_(a, b)

// Returns the status of `expr` from the enclosing function when it is not OK.
#define OMNIROUTE_RETURN_IF_ERROR(expr)                                     \
  do {                                                                      \
    if (absl::Status omniroute_status_ = (expr); !omniroute_status_.ok()) { \
      return omniroute_status_;                                             \
    }                                                                       \
  } while (false)

// `lhs = *rexpr` when `rexpr` (a StatusOr) is OK, else returns its status.
#define OMNIROUTE_ASSIGN_OR_RETURN(lhs, rexpr)                                                   \
  OMNIROUTE_ASSIGN_OR_RETURN_IMPL_(OMNIROUTE_STATUS_CONCAT_(omniroute_statusor_, __LINE__), lhs, \
                                   rexpr)

#define OMNIROUTE_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                     \
  if (!statusor.ok()) return std::move(statusor).status();     \
  lhs = *std::move(statusor)

#endif  // OMNIROUTE_SRC_INTERNAL_STATUS_MACROS_H_
