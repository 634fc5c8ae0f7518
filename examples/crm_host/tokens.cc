#include "tokens.h"

#include <sys/random.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "fields.h"

namespace omniroute::crm {
namespace {

constexpr size_t kMinTokenLength = 16;
constexpr size_t kMaxTokenLength = 256;

bool IsTokenCharacter(char c) { return c > 0x20 && c < 0x7f; }

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kSupervisor:
      return "supervisor";
    case Role::kAgent:
      return "agent";
    case Role::kReadonly:
      return "readonly";
  }
  return "readonly";
}

absl::Status TokenStore::AddLines(std::string_view text, std::string_view source,
                                  char extra_separator) {
  std::vector<std::pair<std::string, Principal>> added;
  int line_number = 0;
  const std::string separators =
      extra_separator == 0 ? std::string("\n") : std::string{'\n', extra_separator};
  for (std::string_view line : SplitAny(text, separators, /*skip_empty=*/false)) {
    ++line_number;
    line = StripWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    const std::string where = absl::StrCat(std::string(source), " line ", line_number);
    const std::vector<std::string_view> words = SplitAny(line, " \t", /*skip_empty=*/true);
    if (words.size() < 2 || words.size() > 3) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": expected \"TOKEN ROLE [AGENT_ID]\""));
    }
    const std::string_view token = words[0];
    if (token.size() < kMinTokenLength || token.size() > kMaxTokenLength) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": a token has ", kMinTokenLength,
                                                     " to ", kMaxTokenLength, " characters"));
    }
    for (const char c : token) {
      if (!IsTokenCharacter(c)) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": a token is printable ASCII without spaces"));
      }
    }
    Principal principal;
    if (words[1] == "supervisor") {
      principal.role = Role::kSupervisor;
    } else if (words[1] == "agent") {
      principal.role = Role::kAgent;
    } else if (words[1] == "readonly") {
      principal.role = Role::kReadonly;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": unknown role \"", std::string(words[1]),
                       "\" (expected supervisor, agent or readonly)"));
    }
    if (principal.role == Role::kAgent) {
      if (words.size() != 3) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": an agent token names its agent"));
      }
      if (absl::Status status = ValidateId(words[2], "the agent id"); !status.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": ", status.message()));
      }
      principal.agent = std::string(words[2]);
    } else if (words.size() == 3) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": only agent tokens name an agent"));
    }
    for (const auto& [existing, unused] : tokens_) {
      if (existing == token) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": duplicate token"));
      }
    }
    for (const auto& [existing, unused] : added) {
      if (existing == token) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": duplicate token"));
      }
    }
    added.emplace_back(std::string(token), std::move(principal));
  }
  for (auto& entry : added) tokens_.push_back(std::move(entry));
  return absl::OkStatus();
}

const Principal* TokenStore::Authenticate(std::string_view presented) const {
  const Principal* found = nullptr;
  // Every token is compared, so the time taken does not tell which one matched.
  for (const auto& [token, principal] : tokens_) {
    const bool equal = ConstantTimeEquals(presented, token);
    found = equal ? &principal : found;
  }
  return found;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  // Runs over `b` (the configured token) whatever `a` is, so that neither the position of the
  // first difference nor the presented length shortens the loop.
  volatile unsigned char difference = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < b.size(); ++i) {
    const unsigned char from_a = a.empty() ? 0 : static_cast<unsigned char>(a[i % a.size()]);
    difference = difference | (from_a ^ static_cast<unsigned char>(b[i]));
  }
  return difference == 0;
}

absl::StatusOr<std::string> GenerateToken() {
  unsigned char bytes[32];
  size_t filled = 0;
  while (filled < sizeof bytes) {
    const ssize_t n = getrandom(bytes + filled, sizeof bytes - filled, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError(absl::StrCat("getrandom: ", std::strerror(errno)));
    }
    filled += static_cast<size_t>(n);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token;
  for (const unsigned char byte : bytes) {
    token.push_back(kHex[byte >> 4]);
    token.push_back(kHex[byte & 0xf]);
  }
  return token;
}

}  // namespace omniroute::crm
