#include "fields.h"

#include <cmath>
#include <limits>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "internal/status_macros.h"

namespace omniroute::crm {

absl::Status FieldError(std::string_view path, std::string_view message) {
  absl::Status status = absl::InvalidArgumentError(
      path.empty() ? std::string(message)
                   : absl::StrCat(std::string(path), ": ", std::string(message)));
  if (!path.empty()) status.SetPayload(kFieldPayload, absl::Cord(std::string(path)));
  return status;
}

std::optional<std::string> FieldOf(const absl::Status& status) {
  const auto payload = status.GetPayload(kFieldPayload);
  if (!payload) return std::nullopt;
  return std::string(*payload);
}

std::string JoinPath(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return absl::StrCat(std::string(parent), ".", std::string(key));
}

std::string IndexPath(std::string_view parent, size_t index) {
  return absl::StrCat(std::string(parent), "[", index, "]");
}

absl::Status RequireObject(const Json& value, std::string_view path) {
  if (value.is_object()) return absl::OkStatus();
  return FieldError(path, path.empty() ? "the body must be a JSON object" : "expected an object");
}

absl::Status AllowOnlyFields(const Json& object, std::string_view path,
                             std::initializer_list<std::string_view> fields) {
  OMNIROUTE_RETURN_IF_ERROR(RequireObject(object, path));
  for (const auto& [key, value] : object.items()) {
    bool known = false;
    for (std::string_view field : fields) known = known || key == field;
    if (!known) {
      return FieldError(JoinPath(path, key), absl::StrCat("unknown field \"", key, "\""));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<const Json*> RequiredMember(const Json& object, std::string_view path,
                                           std::string_view key) {
  const Json* member = OptionalMember(object, key);
  if (member == nullptr) {
    const std::string field = JoinPath(path, key);
    return FieldError(field, absl::StrCat("\"", field, "\" is required"));
  }
  return member;
}

const Json* OptionalMember(const Json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

absl::StatusOr<std::string> ReadString(const Json& value, std::string_view path) {
  if (!value.is_string()) return FieldError(path, "expected a string");
  return value.get<std::string>();
}

absl::StatusOr<std::string> ReadId(const Json& value, std::string_view path) {
  OMNIROUTE_ASSIGN_OR_RETURN(std::string id, ReadString(value, path));
  if (absl::Status status = ValidateId(id, "id"); !status.ok()) {
    return FieldError(path, std::string(status.message()));
  }
  return id;
}

absl::StatusOr<int> ReadInt(const Json& value, std::string_view path) {
  if (value.is_number_unsigned()) {
    const auto n = value.get<uint64_t>();
    if (n > static_cast<uint64_t>(std::numeric_limits<int>::max())) {
      return FieldError(path, "out of range");
    }
    return static_cast<int>(n);
  }
  if (value.is_number_integer()) {
    const auto n = value.get<int64_t>();
    if (n < std::numeric_limits<int>::min() || n > std::numeric_limits<int>::max()) {
      return FieldError(path, "out of range");
    }
    return static_cast<int>(n);
  }
  return FieldError(path, "expected a whole number");
}

absl::StatusOr<double> ReadNumber(const Json& value, std::string_view path) {
  if (!value.is_number()) return FieldError(path, "expected a number");
  const double number = value.get<double>();
  if (!std::isfinite(number)) return FieldError(path, "expected a finite number");
  return number;
}

absl::StatusOr<std::vector<std::string>> ReadStringList(const Json& value, std::string_view path) {
  if (!value.is_array()) return FieldError(path, "expected an array of strings");
  std::vector<std::string> out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    OMNIROUTE_ASSIGN_OR_RETURN(std::string text, ReadString(value[i], IndexPath(path, i)));
    out.push_back(std::move(text));
  }
  return out;
}

absl::StatusOr<std::map<std::string, int>> ReadIntMap(const Json& value, std::string_view path) {
  OMNIROUTE_RETURN_IF_ERROR(RequireObject(value, path));
  std::map<std::string, int> out;
  for (const auto& [key, member] : value.items()) {
    OMNIROUTE_ASSIGN_OR_RETURN(out[key], ReadInt(member, JoinPath(path, key)));
  }
  return out;
}

absl::StatusOr<std::map<std::string, double>> ReadNumberMap(const Json& value,
                                                            std::string_view path) {
  OMNIROUTE_RETURN_IF_ERROR(RequireObject(value, path));
  std::map<std::string, double> out;
  for (const auto& [key, member] : value.items()) {
    OMNIROUTE_ASSIGN_OR_RETURN(out[key], ReadNumber(member, JoinPath(path, key)));
  }
  return out;
}

absl::StatusOr<absl::Time> ReadInstant(const Json& value, std::string_view path) {
  OMNIROUTE_ASSIGN_OR_RETURN(const std::string text, ReadString(value, path));
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &error)) {
    return FieldError(path, absl::StrCat("malformed instant \"", text,
                                         "\" (expected e.g. 2026-11-23T10:05:00Z): ", error));
  }
  return t;
}

absl::StatusOr<absl::Duration> ReadSeconds(const Json& value, std::string_view path) {
  OMNIROUTE_ASSIGN_OR_RETURN(const double seconds, ReadNumber(value, path));
  if (seconds < 0) return FieldError(path, "expected a non-negative number of seconds");
  if (seconds > 1e9) return FieldError(path, "out of range");
  return absl::Seconds(seconds);
}

bool IsValidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    size_t length = 0;
    uint32_t code = 0;
    if (byte < 0x80) {
      ++i;
      continue;
    } else if ((byte & 0xe0) == 0xc0) {
      length = 2;
      code = byte & 0x1f;
    } else if ((byte & 0xf0) == 0xe0) {
      length = 3;
      code = byte & 0x0f;
    } else if ((byte & 0xf8) == 0xf0) {
      length = 4;
      code = byte & 0x07;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) return false;
      code = (code << 6) | (next & 0x3f);
    }
    // Overlong forms, surrogates and values beyond Unicode are not UTF-8.
    static constexpr uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kMinimum[length] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
      return false;
    }
    i += length;
  }
  return true;
}

absl::Status ValidateId(std::string_view id, std::string_view what) {
  if (id.empty()) return absl::InvalidArgumentError(absl::StrCat(std::string(what), " is empty"));
  if (id.size() > kMaxIdBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(what), " is longer than ", kMaxIdBytes, " bytes"));
  }
  if (!IsValidUtf8(id)) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(what), " is not valid UTF-8"));
  }
  for (const char c : id) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      return absl::InvalidArgumentError(
          absl::StrCat(std::string(what), " contains a control character"));
    }
  }
  return absl::OkStatus();
}

std::string_view StripWhitespace(std::string_view text) {
  constexpr std::string_view kWhitespace = " \t\r\n\f\v";
  const size_t begin = text.find_first_not_of(kWhitespace);
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(kWhitespace) - begin + 1);
}

std::vector<std::string_view> SplitAny(std::string_view text, std::string_view separators,
                                       bool skip_empty) {
  std::vector<std::string_view> pieces;
  size_t start = 0;
  while (true) {
    const size_t end = text.find_first_of(separators, start);
    const std::string_view piece =
        text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (!piece.empty() || !skip_empty) pieces.push_back(piece);
    if (end == std::string_view::npos) return pieces;
    start = end + 1;
  }
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string FormatInstant(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

Json InstantOrNull(absl::Time t) {
  if (t == absl::InfiniteFuture() || t == absl::InfinitePast()) return nullptr;
  return FormatInstant(t);
}

Json SecondsOrNull(absl::Duration d) {
  if (d == absl::InfiniteDuration() || d == -absl::InfiniteDuration()) return nullptr;
  return absl::ToDoubleSeconds(d);
}

}  // namespace omniroute::crm
