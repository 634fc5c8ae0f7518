#include "internal/json_reader.h"

#include <algorithm>
#include <cmath>

#include "fmt/format.h"
#include "fmt/ranges.h"

namespace omniroute::internal {
namespace {

std::string_view TypeName(const nlohmann::json& value) {
  if (value.is_null()) return "null";
  if (value.is_boolean()) return "a boolean";
  if (value.is_number()) return "a number";
  if (value.is_string()) return "a string";
  if (value.is_array()) return "a list";
  return "an object";
}

// The length of the well-formed UTF-8 sequence at the start of `text` (non-empty), or 0.
size_t Utf8SequenceLength(std::string_view text) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  size_t length = 0;
  // The range of the second byte, narrower after some leads (no overlong forms, no surrogates,
  // nothing above U+10FFFF).
  unsigned char low = 0x80, high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) low = 0xa0;
    if (lead == 0xed) high = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) low = 0x90;
    if (lead == 0xf4) high = 0x8f;
  } else {
    return 0;
  }
  if (text.size() < length || byte(1) < low || byte(1) > high) return 0;
  for (size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xbf) return 0;
  }
  return length;
}

// `text` with each byte that is not part of well-formed UTF-8 written as "\xNN". nlohmann's
// parse errors quote the last bytes read, which may stop inside a multi-byte character.
std::string EscapeInvalidUtf8(std::string_view text) {
  std::string escaped;
  for (size_t i = 0; i < text.size();) {
    const size_t length = Utf8SequenceLength(text.substr(i));
    if (length == 0) {
      escaped += fmt::format("\\x{:02x}", static_cast<unsigned char>(text[i]));
      ++i;
    } else {
      escaped.append(text.substr(i, length));
      i += length;
    }
  }
  return escaped;
}

}  // namespace

JsonPath JsonPath::Key(std::string_view key) const {
  return JsonPath(path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key));
}

JsonPath JsonPath::Index(size_t index) const {
  return JsonPath(fmt::format("{}[{}]", path_, index));
}

absl::Status JsonPath::Error(std::string_view message) const {
  return absl::InvalidArgumentError(path_.empty() ? std::string(message)
                                                  : fmt::format("{}: {}", path_, message));
}

absl::Status JsonPath::Wrap(const absl::Status& status) const {
  if (path_.empty()) return status;
  return absl::Status(status.code(), fmt::format("{}: {}", path_,
                                                 std::string_view(status.message().data(),
                                                                  status.message().size())));
}

absl::Status JsonPath::CheckObject(const nlohmann::json& value,
                                   std::initializer_list<std::string_view> allowed) const {
  if (!value.is_object()) {
    return Error(fmt::format("expected an object, got {}", TypeName(value)));
  }
  for (const auto& [key, unused] : value.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return Error(
          fmt::format("unknown key \"{}\" (expected one of: {})", key, fmt::join(allowed, ", ")));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> JsonPath::String(const nlohmann::json& value) const {
  if (!value.is_string()) return Error(fmt::format("expected a string, got {}", TypeName(value)));
  return value.get<std::string>();
}

absl::StatusOr<double> JsonPath::Number(const nlohmann::json& value) const {
  if (!value.is_number()) return Error(fmt::format("expected a number, got {}", TypeName(value)));
  const double number = value.get<double>();
  if (!std::isfinite(number)) return Error("expected a finite number");
  return number;
}

absl::StatusOr<absl::Duration> JsonPath::Duration(const nlohmann::json& value,
                                                  const BusinessCalendar& calendar,
                                                  std::string_view what) const {
  absl::StatusOr<absl::Duration> duration;
  if (value.is_number()) {
    absl::StatusOr<double> seconds = Number(value);
    if (!seconds.ok()) return seconds.status();
    if (*seconds < 0) return Error(fmt::format("negative {} {}", what, *seconds));
    duration = absl::Seconds(*seconds);
    // absl::Seconds saturates to InfiniteDuration() beyond 2^63 seconds, which means "not
    // tracked" or "never" to the core.
    if (*duration == absl::InfiniteDuration()) {
      return Error(fmt::format("{} {}s is not finite", what, *seconds));
    }
  } else if (value.is_string()) {
    duration = ParseSlaDuration(value.get_ref<const std::string&>(), calendar);
  } else {
    return Error(
        fmt::format("expected a {}: seconds or a duration such as \"5m\" or \"2wd\"", what));
  }
  if (!duration.ok()) return Wrap(duration.status());
  return duration;
}

absl::StatusOr<std::vector<std::string>> JsonPath::StringList(const nlohmann::json& value) const {
  if (!value.is_array()) {
    return Error(fmt::format("expected a list of strings, got {}", TypeName(value)));
  }
  std::vector<std::string> strings;
  for (size_t i = 0; i < value.size(); ++i) {
    absl::StatusOr<std::string> text = Index(i).String(value[i]);
    if (!text.ok()) return text.status();
    strings.push_back(*std::move(text));
  }
  return strings;
}

absl::StatusOr<nlohmann::json> ParseJsonText(std::string_view text) {
  nlohmann::json value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    // Parse again with exceptions only to recover the parser's description of the error: a
    // syntax error (parse_error) or a number too large for a double (out_of_range).
    try {
      nlohmann::json ignored = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& error) {
      return absl::InvalidArgumentError(
          fmt::format("malformed JSON: {}", EscapeInvalidUtf8(error.what())));
    }
    return absl::InvalidArgumentError("malformed JSON");
  }
  return value;
}

}  // namespace omniroute::internal
