// Bearer tokens and their roles.
//
// Token lines are `TOKEN ROLE [AGENT_ID]`; blank lines and `#` comments are skipped:
//
//   TokenStore tokens;
//   absl::Status s = tokens.AddLines("s3cr3t-0123456789abcdef supervisor\n", "OMNIROUTE_TOKENS");
//   const Principal* who = tokens.Authenticate(presented);   // nullptr: unknown
//
// A token is 16 to 256 printable ASCII characters without spaces. Errors name the source and the
// line number, never the token. `Authenticate` compares the presented token with every
// configured one in time that does not depend on where they differ, nor on which one matches.
//
// Thread safety: AddLines is thread-compatible; Authenticate is safe from many threads once the
// store is filled.
#ifndef OMNIROUTE_EXAMPLES_CRM_HOST_TOKENS_H_
#define OMNIROUTE_EXAMPLES_CRM_HOST_TOKENS_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace omniroute::crm {

enum class Role { kSupervisor, kAgent, kReadonly };
// "supervisor", "agent", "readonly".
std::string_view RoleName(Role role);

// Who a token speaks for: an agent token carries its agent id.
struct Principal {
  Role role = Role::kReadonly;
  std::string agent{};
};

class TokenStore {
 public:
  // Adds the tokens of `text`, whose lines end at '\n' or at `extra_separator` (0: none).
  // InvalidArgument naming `source` and the line: malformed line, unknown role, an agent token
  // without an agent id or another role with one, a short, long or duplicate token.
  absl::Status AddLines(std::string_view text, std::string_view source, char extra_separator = 0);

  // The principal of `presented`, or nullptr.
  const Principal* Authenticate(std::string_view presented) const;

  bool empty() const { return tokens_.empty(); }
  size_t size() const { return tokens_.size(); }

 private:
  std::vector<std::pair<std::string, Principal>> tokens_;
};

// Equal in time that depends only on the lengths.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// 64 hex characters from the kernel's random source.
absl::StatusOr<std::string> GenerateToken();

}  // namespace omniroute::crm

#endif  // OMNIROUTE_EXAMPLES_CRM_HOST_TOKENS_H_
