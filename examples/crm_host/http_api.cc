#include "http_api.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "assets.h"
#include "commands.h"
#include "internal/status_macros.h"
#include "omniroute/lifecycle.h"
#include "views.h"

namespace omniroute::crm {
namespace {

constexpr char kJsonType[] = "application/json; charset=utf-8";
constexpr char kContentSecurityPolicy[] =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'none'";
constexpr int64_t kMaxAuditRows = 1000;

void SendJson(httplib::Response& res, int status, const Json& body) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  // Messages may quote a client's invalid UTF-8; it is replaced rather than refused.
  res.set_content(body.dump(-1, ' ', false, Json::error_handler_t::replace), kJsonType);
}

void SendError(httplib::Response& res, int status, std::string_view code, std::string_view message,
               const std::optional<std::string>& field = std::nullopt) {
  Json error = {{"code", code}, {"message", message}};
  if (field) error["field"] = *field;
  if (status == 401) res.set_header("WWW-Authenticate", "Bearer realm=\"omniroute\"");
  SendJson(res, status, {{"error", std::move(error)}});
}

void SendStatus(httplib::Response& res, const absl::Status& status) {
  int http = 500;
  std::string_view code = "internal";
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      http = 400;
      code = "invalid_argument";
      break;
    case absl::StatusCode::kOutOfRange:
      http = 400;
      code = "out_of_range";
      break;
    case absl::StatusCode::kNotFound:
      http = 404;
      code = "not_found";
      break;
    case absl::StatusCode::kAlreadyExists:
      http = 409;
      code = "already_exists";
      break;
    case absl::StatusCode::kFailedPrecondition:
      http = 409;
      code = "failed_precondition";
      break;
    case absl::StatusCode::kUnauthenticated:
      http = 401;
      code = "unauthenticated";
      break;
    case absl::StatusCode::kPermissionDenied:
      http = 403;
      code = "permission_denied";
      break;
    case absl::StatusCode::kUnavailable:
      http = 503;
      code = "unavailable";
      break;
    default:
      break;
  }
  SendError(res, http, code, std::string(status.message()), FieldOf(status));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// One path segment with its %XX escapes decoded.
absl::StatusOr<std::string> DecodeSegment(std::string_view segment) {
  std::string out;
  out.reserve(segment.size());
  for (size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] != '%') {
      out.push_back(segment[i]);
      continue;
    }
    const int high = i + 2 < segment.size() ? HexValue(segment[i + 1]) : -1;
    const int low = i + 2 < segment.size() ? HexValue(segment[i + 2]) : -1;
    if (high < 0 || low < 0) {
      return absl::InvalidArgumentError("malformed %-escape in the path");
    }
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return out;
}

using Query = std::map<std::string, std::string>;

// The query string of a request target ("a=1&b=x%20y"), decoded; a repeated key is an error.
absl::StatusOr<Query> ParseQuery(std::string_view query) {
  Query out;
  for (std::string_view pair : SplitAny(query, "&", /*skip_empty=*/true)) {
    const size_t eq = pair.find('=');
    std::string key_text(pair.substr(0, eq));
    std::string value_text(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    std::replace(key_text.begin(), key_text.end(), '+', ' ');
    std::replace(value_text.begin(), value_text.end(), '+', ' ');
    OMNIROUTE_ASSIGN_OR_RETURN(std::string key, DecodeSegment(key_text));
    OMNIROUTE_ASSIGN_OR_RETURN(std::string value, DecodeSegment(value_text));
    if (out.contains(key)) {
      return FieldError(key, absl::StrCat("query parameter \"", key, "\" is repeated"));
    }
    out.emplace(std::move(key), std::move(value));
  }
  return out;
}

std::string_view ContentTypeOf(std::string_view path) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
      {".woff2", "font/woff2"}};
  for (const auto& [extension, type] : kTypes) {
    if (path.ends_with(extension)) return type;
  }
  return "application/octet-stream";
}

absl::StatusOr<Json> ParseBody(const std::string& body) {
  if (StripWhitespace(body).empty()) return Json::object();
  Json parsed;
  try {
    parsed = Json::parse(body);
  } catch (const Json::exception& e) {
    std::string_view what = e.what();
    // nlohmann prefixes "[json.exception.parse_error.101] "; the rest says where and why.
    if (const size_t end = what.find("] "); end != std::string_view::npos) {
      what.remove_prefix(end + 2);
    }
    return absl::InvalidArgumentError(absl::StrCat("malformed JSON: ", std::string(what)));
  }
  OMNIROUTE_RETURN_IF_ERROR(RequireObject(parsed, ""));
  return parsed;
}

std::string DigestHex(uint64_t digest) {
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(digest));
  return buffer;
}

enum class Route {
  kHealth,
  kQueues,
  kQueue,
  kAgents,
  kAgent,
  kAgentState,
  kItems,
  kItem,
  kItemExplain,
  kItemAction,
  kKpis,
  kEvents,
  kAudit,
};

struct RouteMatch {
  Route route = Route::kHealth;
  std::string id{};
  EngineCommandKind action = EngineCommandKind::kRespond;
  std::vector<std::string> methods{};
};

constexpr EngineCommandKind kItemActions[] = {
    EngineCommandKind::kAccept,          EngineCommandKind::kReject,  EngineCommandKind::kRespond,
    EngineCommandKind::kCustomerMessage, EngineCommandKind::kPause,   EngineCommandKind::kResume,
    EngineCommandKind::kResolve,         EngineCommandKind::kConfirm, EngineCommandKind::kReopen,
    EngineCommandKind::kEscalate,        EngineCommandKind::kCancel,  EngineCommandKind::kAbandon,
    EngineCommandKind::kTransfer};

// What an agent token may do to an item that is its own.
bool AgentMayDo(EngineCommandKind action) {
  return action != EngineCommandKind::kCancel && action != EngineCommandKind::kAbandon;
}

// The route of the segments after "/api", or nullopt for an unknown path.
std::optional<RouteMatch> MatchRoute(const std::vector<std::string>& p) {
  const size_t n = p.size();
  if (n == 1 && p[0] == "health") return RouteMatch{.route = Route::kHealth, .methods = {"GET"}};
  if (n == 1 && p[0] == "kpis") return RouteMatch{.route = Route::kKpis, .methods = {"GET"}};
  if (n == 1 && p[0] == "events") return RouteMatch{.route = Route::kEvents, .methods = {"GET"}};
  if (n == 1 && p[0] == "audit") return RouteMatch{.route = Route::kAudit, .methods = {"GET"}};
  if (n == 1 && p[0] == "queues") return RouteMatch{.route = Route::kQueues, .methods = {"GET"}};
  if (n == 2 && p[0] == "queues") {
    return RouteMatch{.route = Route::kQueue, .id = p[1], .methods = {"GET"}};
  }
  if (n == 1 && p[0] == "agents") {
    return RouteMatch{.route = Route::kAgents, .methods = {"GET", "POST"}};
  }
  if (n == 2 && p[0] == "agents") {
    return RouteMatch{.route = Route::kAgent, .id = p[1], .methods = {"GET", "PUT", "DELETE"}};
  }
  if (n == 3 && p[0] == "agents" && p[2] == "state") {
    return RouteMatch{.route = Route::kAgentState, .id = p[1], .methods = {"POST"}};
  }
  if (n == 1 && p[0] == "items") {
    return RouteMatch{.route = Route::kItems, .methods = {"GET", "POST"}};
  }
  if (n == 2 && p[0] == "items") {
    return RouteMatch{.route = Route::kItem, .id = p[1], .methods = {"GET", "PATCH"}};
  }
  if (n == 3 && p[0] == "items" && p[2] == "explain") {
    return RouteMatch{.route = Route::kItemExplain, .id = p[1], .methods = {"GET"}};
  }
  if (n == 3 && p[0] == "items") {
    for (const EngineCommandKind action : kItemActions) {
      if (p[2] == EngineCommandKindName(action)) {
        return RouteMatch{
            .route = Route::kItemAction, .id = p[1], .action = action, .methods = {"POST"}};
      }
    }
  }
  return std::nullopt;
}

}  // namespace

class ApiServer::Handler {
 public:
  Handler(CrmHost& host, const TokenStore& tokens, ApiOptions options)
      : host_(host), tokens_(tokens), options_(options) {}

  void Serve(const httplib::Request& req, httplib::Response& res) {
    const std::string_view target = req.target;
    const size_t question = target.find('?');
    const std::string_view raw_path = target.substr(0, question);
    absl::StatusOr<Query> query = ParseQuery(
        question == std::string_view::npos ? std::string_view() : target.substr(question + 1));
    if (!query.ok()) return SendStatus(res, query.status());
    std::vector<std::string> segments;
    for (std::string_view piece : SplitAny(raw_path, "/", /*skip_empty=*/true)) {
      absl::StatusOr<std::string> segment = DecodeSegment(piece);
      if (!segment.ok()) return SendStatus(res, segment.status());
      segments.push_back(*std::move(segment));
    }
    const std::string method = req.method == "HEAD" ? "GET" : req.method;
    if (!segments.empty() && segments[0] == "api") {
      segments.erase(segments.begin());
      return ServeApi(req, *query, method, segments, res);
    }
    return ServeStatic(method, segments, res);
  }

 private:
  void ServeStatic(const std::string& method, const std::vector<std::string>& segments,
                   httplib::Response& res) {
    std::string path;
    if (segments.empty()) {
      path = "index.html";
    } else if (segments[0] == "static" && segments.size() > 1) {
      path = absl::StrJoin(segments.begin() + 1, segments.end(), "/");
    } else {
      return SendError(res, 404, "not_found", "no such page");
    }
    for (const EmbeddedFile& file : WebAssets()) {
      if (file.path != path) continue;
      if (method != "GET") {
        res.set_header("Allow", "GET, HEAD");
        return SendError(res, 405, "method_not_allowed", "static files are read with GET");
      }
      res.status = 200;
      res.set_header("Cache-Control", "no-cache");
      res.set_header("Content-Security-Policy", kContentSecurityPolicy);
      res.set_content(file.content.data(), file.content.size(), std::string(ContentTypeOf(path)));
      return;
    }
    SendError(res, 404, "not_found", absl::StrCat("no such file: ", path));
  }

  const Principal* Authenticate(const httplib::Request& req, httplib::Response& res) {
    if (!req.has_header("Authorization")) {
      SendError(res, 401, "unauthenticated", "missing Authorization: Bearer token");
      return nullptr;
    }
    const std::string value = req.get_header_value("Authorization");
    const std::string_view header = StripWhitespace(value);
    constexpr std::string_view kScheme = "bearer ";
    if (header.size() <= kScheme.size() ||
        !EqualsIgnoreCase(header.substr(0, kScheme.size()), kScheme)) {
      SendError(res, 401, "unauthenticated", "the Authorization header is not \"Bearer TOKEN\"");
      return nullptr;
    }
    const Principal* who = tokens_.Authenticate(StripWhitespace(header.substr(kScheme.size())));
    if (who == nullptr) SendError(res, 401, "unauthenticated", "unknown token");
    return who;
  }

  void ServeApi(const httplib::Request& req, const Query& query, const std::string& method,
                const std::vector<std::string>& segments, httplib::Response& res) {
    const Principal* who = Authenticate(req, res);
    if (who == nullptr) return;
    const std::optional<RouteMatch> match = MatchRoute(segments);
    if (!match) {
      return SendError(res, 404, "not_found",
                       absl::StrCat("no such endpoint: /api/", absl::StrJoin(segments, "/")));
    }
    if (std::find(match->methods.begin(), match->methods.end(), method) == match->methods.end()) {
      res.set_header("Allow", absl::StrJoin(match->methods, ", "));
      return SendError(res, 405, "method_not_allowed",
                       absl::StrCat(method, " is not allowed here (allowed: ",
                                    absl::StrJoin(match->methods, ", "), ")"));
    }
    if (!match->id.empty() || segments.size() > 1) {
      if (absl::Status status = ValidateId(match->id, "the id in the path"); !status.ok()) {
        return SendStatus(res, status);
      }
    }
    if (method == "GET") return ServeRead(req, query, *match, *who, res);
    if (who->role == Role::kReadonly) {
      return SendError(res, 403, "permission_denied", "a read-only token may only read");
    }
    if (!query.empty()) {
      return SendError(res, 400, "invalid_argument", "writes take no query parameters");
    }
    if (absl::Status status = RoleMayWrite(method, *match, *who); !status.ok()) {
      return SendStatus(res, status);
    }
    absl::StatusOr<Json> body = ParseBody(req.body);
    if (!body.ok()) return SendStatus(res, body.status());
    ServeWrite(method, *match, *who, *std::move(body), res);
  }

  // The query parameters of a read, refusing unknown ones.
  static absl::Status CheckParams(const Query& query,
                                  std::initializer_list<std::string_view> allowed) {
    for (const auto& [key, value] : query) {
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        return FieldError(key, absl::StrCat("unknown query parameter \"", key, "\""));
      }
    }
    return absl::OkStatus();
  }

  void ServeRead(const httplib::Request& req, const Query& query, const RouteMatch& match,
                 const Principal& who, httplib::Response& res) {
    if (match.route == Route::kItems) {
      if (absl::Status status = CheckParams(query, {"queue", "state", "agent"}); !status.ok()) {
        return SendStatus(res, status);
      }
    } else if (match.route == Route::kAudit) {
      if (absl::Status status = CheckParams(query, {"after_seq", "limit"}); !status.ok()) {
        return SendStatus(res, status);
      }
    } else if (absl::Status status = CheckParams(query, {}); !status.ok()) {
      return SendStatus(res, status);
    }
    switch (match.route) {
      case Route::kHealth: {
        const CrmHost::Health health = host_.GetHealth();
        return SendJson(res, 200,
                        {{"ok", true},
                         {"journal_seq", health.journal_seq},
                         {"state_digest", DigestHex(health.state_digest)},
                         {"now", FormatInstant(health.now)},
                         {"now_unix_ns", absl::ToUnixNanos(health.now)},
                         {"snapshot_seq", health.snapshot_seq},
                         {"items", health.items},
                         {"agents", health.agents}});
      }
      case Route::kQueues:
        return SendJson(res, 200, host_.Read([](const Engine& e, const HostState&) {
          Json queues = Json::array();
          for (const std::string& name : e.QueueNames()) {
            absl::StatusOr<QueueStats> stats = e.Queue(name);
            if (stats.ok()) queues.push_back(QueueJson(*stats, e.config()));
          }
          return Json{{"now", FormatInstant(e.now())}, {"queues", std::move(queues)}};
        }));
      case Route::kQueue:
        return ReadOne(res, [&](const Engine& e, const HostState&) -> absl::StatusOr<Json> {
          OMNIROUTE_ASSIGN_OR_RETURN(const QueueStats stats, e.Queue(match.id));
          return Json{{"now", FormatInstant(e.now())}, {"queue", QueueJson(stats, e.config())}};
        });
      case Route::kAgents:
        return SendJson(res, 200, host_.Read([](const Engine& e, const HostState& state) {
          Json agents = Json::array();
          for (const std::string& id : e.AgentIds()) {
            absl::StatusOr<EngineAgentView> agent = e.Agent(id);
            if (agent.ok()) agents.push_back(AgentJson(*agent, state));
          }
          return Json{{"now", FormatInstant(e.now())}, {"agents", std::move(agents)}};
        }));
      case Route::kAgent:
        return ReadOne(res, [&](const Engine& e, const HostState& state) -> absl::StatusOr<Json> {
          OMNIROUTE_ASSIGN_OR_RETURN(const EngineAgentView agent, e.Agent(match.id));
          return Json{{"now", FormatInstant(e.now())}, {"agent", AgentJson(agent, state)}};
        });
      case Route::kItems:
        return ReadItems(query, res);
      case Route::kItem:
        return ReadOne(res, [&](const Engine& e, const HostState& state) -> absl::StatusOr<Json> {
          OMNIROUTE_ASSIGN_OR_RETURN(const EngineItemView item, e.Item(match.id));
          return Json{{"now", FormatInstant(e.now())}, {"item", ItemJson(item, state)}};
        });
      case Route::kItemExplain:
        return ReadOne(res, [&](const Engine& e, const HostState&) -> absl::StatusOr<Json> {
          OMNIROUTE_ASSIGN_OR_RETURN(const auto candidates, e.Explain(match.id));
          return Json{{"now", FormatInstant(e.now())},
                      {"item", match.id},
                      {"candidates", CandidatesJson(candidates)}};
        });
      case Route::kKpis:
        return SendJson(res, 200, host_.Read([](const Engine& e, const HostState&) {
          return Json{{"now", FormatInstant(e.now())}, {"kpis", KpisJson(e.Kpis())}};
        }));
      case Route::kEvents:
        return ServeEvents(req, res);
      case Route::kAudit:
        if (who.role != Role::kSupervisor) {
          return SendError(res, 403, "permission_denied", "the audit trail is for supervisors");
        }
        return ReadAudit(query, res);
      case Route::kAgentState:
      case Route::kItemAction:
        break;
    }
    SendError(res, 405, "method_not_allowed", "not a read");
  }

  // A read that may fail (404 for an unknown id).
  void ReadOne(httplib::Response& res,
               const std::function<absl::StatusOr<Json>(const Engine&, const HostState&)>& view) {
    absl::Status status;
    Json out = host_.Read([&](const Engine& e, const HostState& state) {
      absl::StatusOr<Json> json = view(e, state);
      if (!json.ok()) {
        status = json.status();
        return Json();
      }
      return *std::move(json);
    });
    if (!status.ok()) return SendStatus(res, status);
    SendJson(res, 200, out);
  }

  void ReadItems(const Query& query, httplib::Response& res) {
    const auto queue = query.find("queue");
    const auto agent = query.find("agent");
    std::optional<ItemState> state_filter;
    if (const auto state = query.find("state"); state != query.end()) {
      absl::StatusOr<ItemState> parsed = ParseItemState(state->second);
      if (!parsed.ok())
        return SendStatus(res, FieldError("state", std::string(parsed.status().message())));
      state_filter = *parsed;
    }
    ReadOne(res, [&](const Engine& e, const HostState& state) -> absl::StatusOr<Json> {
      // A filter naming no queue or agent is a mistake, not an empty list.
      if (queue != query.end()) OMNIROUTE_RETURN_IF_ERROR(e.Queue(queue->second).status());
      if (agent != query.end()) OMNIROUTE_RETURN_IF_ERROR(e.Agent(agent->second).status());
      Json items = Json::array();
      for (const std::string& id : e.ItemIds()) {
        absl::StatusOr<EngineItemView> item = e.Item(id);
        if (!item.ok()) continue;
        if (queue != query.end() && item->queue != queue->second) continue;
        if (agent != query.end() && item->agent != agent->second) continue;
        if (state_filter && item->state != *state_filter) continue;
        items.push_back(ItemJson(*item, state));
      }
      return Json{{"now", FormatInstant(e.now())}, {"items", std::move(items)}};
    });
  }

  void ReadAudit(const Query& query, httplib::Response& res) {
    int64_t after = 0;
    int64_t limit = 100;
    if (query.contains("after_seq") &&
        (!absl::SimpleAtoi(query.at("after_seq"), &after) || after < 0)) {
      return SendError(res, 400, "invalid_argument", "after_seq: expected a whole number >= 0",
                       "after_seq");
    }
    if (query.contains("limit") &&
        (!absl::SimpleAtoi(query.at("limit"), &limit) || limit < 1 || limit > kMaxAuditRows)) {
      return SendError(res, 400, "invalid_argument",
                       absl::StrCat("limit: expected a whole number from 1 to ", kMaxAuditRows),
                       "limit");
    }
    absl::StatusOr<std::vector<JournalRow>> rows = host_.journal().Rows(after, limit);
    if (!rows.ok()) return SendStatus(res, rows.status());
    absl::StatusOr<int64_t> last = host_.journal().LastSeq();
    if (!last.ok()) return SendStatus(res, last.status());
    Json out = Json::array();
    for (const JournalRow& row : *rows) {
      out.push_back({{"seq", row.seq},
                     {"at", FormatInstant(row.at)},
                     {"role", row.role},
                     {"agent", row.agent},
                     {"command", Json::parse(row.command, nullptr, false)}});
    }
    SendJson(res, 200, {{"rows", std::move(out)}, {"journal_seq", *last}});
  }

  void ServeEvents(const httplib::Request& req, httplib::Response& res) {
    int64_t after = host_.events().last_seq();
    if (req.has_header("Last-Event-ID")) {
      const std::string value = req.get_header_value("Last-Event-ID");
      if (!absl::SimpleAtoi(value, &after) || after < 0) {
        return SendError(res, 400, "invalid_argument",
                         "Last-Event-ID: expected a whole number >= 0");
      }
    }
    if (streams_.fetch_add(1) >= options_.max_streams) {
      streams_.fetch_sub(1);
      return SendError(res, 503, "unavailable",
                       absl::StrCat("too many event streams (at most ", options_.max_streams, ")"));
    }
    struct Stream {
      int64_t after;
      bool opened = false;
    };
    auto stream = std::make_shared<Stream>(Stream{.after = after});
    res.status = 200;
    res.set_header("Cache-Control", "no-store");
    res.set_header("X-Accel-Buffering", "no");
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, stream](size_t, httplib::DataSink& sink) {
          std::string out;
          EventRing::Batch batch;
          if (!stream->opened) {
            out = ": connected\n\n";
            batch = host_.events().WaitAfter(stream->after, absl::ZeroDuration());
            stream->opened = true;
          } else {
            // Waits in short slices so that a client that went away frees its thread soon.
            const absl::Time keep_alive_due = absl::Now() + options_.keep_alive_comment_every;
            while (true) {
              const absl::Duration left = keep_alive_due - absl::Now();
              batch = host_.events().WaitAfter(
                  stream->after, std::max(absl::ZeroDuration(), std::min(left, absl::Seconds(1))));
              if (batch.closed || batch.gap || !batch.messages.empty() ||
                  left <= absl::ZeroDuration()) {
                break;
              }
              if (!sink.is_writable()) return false;
            }
          }
          if (batch.closed) {
            if (!out.empty()) sink.write(out.data(), out.size());
            sink.done();
            return true;
          }
          if (batch.gap) {
            absl::StrAppend(&out, "event: resync\ndata: ", Json{{"seq", batch.after + 1}}.dump(),
                            "\n\n");
          }
          for (const std::string& message : batch.messages) out += message;
          if (out.empty()) out = ": keep-alive\n\n";
          stream->after = batch.last_seq;
          return sink.write(out.data(), out.size());
        },
        [this](bool) { streams_.fetch_sub(1); });
  }

  // What a role may never do, whatever the target (ownership is checked with the command).
  static absl::Status RoleMayWrite(const std::string& method, const RouteMatch& match,
                                   const Principal& who) {
    if (who.role == Role::kSupervisor) return absl::OkStatus();
    switch (match.route) {
      case Route::kAgents:
        return absl::PermissionDeniedError("only supervisors add agents");
      case Route::kAgent:
        return absl::PermissionDeniedError(method == "DELETE" ? "only supervisors remove agents"
                                                              : "only supervisors change agents");
      case Route::kAgentState:
        if (match.id == who.agent) return absl::OkStatus();
        return absl::PermissionDeniedError("an agent token sets only its own agent's state");
      case Route::kItems:
        return absl::PermissionDeniedError("only supervisors create items");
      case Route::kItem:
        return absl::PermissionDeniedError("only supervisors update items");
      case Route::kItemAction:
        if (AgentMayDo(match.action)) return absl::OkStatus();
        return absl::PermissionDeniedError(absl::StrCat(
            "only supervisors may ", std::string(EngineCommandKindName(match.action)), " an item"));
      default:
        return absl::PermissionDeniedError("not a write");
    }
  }

  static CrmHost::View ItemView(const std::string& item) {
    return [item](const Engine& e, const HostState& state) {
      absl::StatusOr<EngineItemView> view = e.Item(item);
      return view.ok() ? ItemJson(*view, state) : Json(nullptr);
    };
  }

  static CrmHost::View AgentView(const std::string& agent) {
    return [agent](const Engine& e, const HostState& state) {
      absl::StatusOr<EngineAgentView> view = e.Agent(agent);
      return view.ok() ? AgentJson(*view, state) : Json(nullptr);
    };
  }

  // The body's "id" when it is a string (the command's parser reports anything else).
  static std::string BodyId(const Json& body) {
    const Json* id = OptionalMember(body, "id");
    return id != nullptr && id->is_string() ? id->get<std::string>() : std::string();
  }

  static CrmHost::Prepare Fixed(EngineCommandKind kind, const std::string& item,
                                const std::string& agent, Json body) {
    return [kind, item, agent, body = std::move(body)](const Engine&,
                                                       const HostState&) -> absl::StatusOr<Json> {
      return MakeCommand(kind, item, agent, body);
    };
  }

  void ServeWrite(const std::string& method, const RouteMatch& match, const Principal& who,
                  Json body, httplib::Response& res) {
    const std::string& id = match.id;
    CrmHost::Prepare prepare;
    CrmHost::View view;
    std::string view_key = "item";
    int success = 200;
    switch (match.route) {
      case Route::kAgents:
        view = AgentView(BodyId(body));
        prepare = Fixed(EngineCommandKind::kAddAgent, "", "", std::move(body));
        view_key = "agent";
        success = 201;
        break;
      case Route::kAgent:
        view = AgentView(id);
        view_key = "agent";
        if (method == "DELETE") {
          prepare = Fixed(EngineCommandKind::kRemoveAgent, "", id, std::move(body));
          break;
        }
        // PUT: fields left out keep their values, so the journal gets the whole new spec.
        prepare = [id, body = std::move(body)](const Engine&,
                                               const HostState& state) -> absl::StatusOr<Json> {
          const Json* current = state.AgentSpec(id);
          if (current == nullptr) {
            return absl::NotFoundError(absl::StrCat("unknown agent \"", id, "\""));
          }
          Json merged = *current;
          for (const auto& [key, value] : body.items()) merged[key] = value;
          return MakeCommand(EngineCommandKind::kUpdateAgent, "", id, std::move(merged));
        };
        break;
      case Route::kAgentState:
        prepare = Fixed(EngineCommandKind::kSetAgentState, "", id, std::move(body));
        view = AgentView(id);
        view_key = "agent";
        break;
      case Route::kItems:
        view = ItemView(BodyId(body));
        prepare = Fixed(EngineCommandKind::kSubmit, "", "", std::move(body));
        success = 201;
        break;
      case Route::kItem:
        prepare = Fixed(EngineCommandKind::kUpdate, id, "", std::move(body));
        view = ItemView(id);
        break;
      case Route::kItemAction: {
        const EngineCommandKind action = match.action;
        // The ownership check runs under the engine's lock with the command, so the item
        // cannot change hands in between.
        prepare = [id, action, who, body = std::move(body)](
                      const Engine& e, const HostState&) -> absl::StatusOr<Json> {
          Json completed = body;
          if (who.role == Role::kAgent) {
            OMNIROUTE_ASSIGN_OR_RETURN(const EngineItemView item, e.Item(id));
            if (item.agent != who.agent) {
              return absl::PermissionDeniedError(absl::StrCat(
                  "item \"", id, "\" is not offered to, assigned to or resolved by agent \"",
                  who.agent, "\""));
            }
            if (action == EngineCommandKind::kAccept || action == EngineCommandKind::kReject) {
              const Json* agent = OptionalMember(completed, "agent");
              if (agent == nullptr) {
                completed["agent"] = who.agent;
              } else if (agent->is_string() && agent->get<std::string>() != who.agent) {
                return absl::PermissionDeniedError(absl::StrCat(
                    "an agent token answers offers only for its own agent \"", who.agent, "\""));
              }
            }
          }
          return MakeCommand(action, id, "", std::move(completed));
        };
        view = ItemView(id);
        break;
      }
      default:
        return SendError(res, 405, "method_not_allowed", "not a write");
    }
    const Actor actor{.role = std::string(RoleName(who.role)), .agent = who.agent};
    absl::StatusOr<CrmHost::WriteResult> result = host_.Write(actor, prepare, view);
    if (!result.ok()) return SendStatus(res, result.status());
    SendJson(res, success,
             {{"seq", result->seq},
              {"at", FormatInstant(result->at)},
              {"events", std::move(result->events)},
              {view_key, std::move(result->view)}});
  }

  CrmHost& host_;
  const TokenStore& tokens_;
  const ApiOptions options_;
  std::atomic<size_t> streams_{0};
};

ApiServer::ApiServer(CrmHost& host, const TokenStore& tokens, ApiOptions options)
    : server_(std::make_unique<httplib::Server>()),
      handler_(std::make_unique<Handler>(host, tokens, options)) {
  const size_t threads = std::max<size_t>(options.threads, 2);
  server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server_->set_payload_max_length(kMaxBodyBytes);
  server_->set_keep_alive_max_count(10000);
  server_->set_tcp_nodelay(true);
  server_->set_default_headers({{"X-Content-Type-Options", "nosniff"},
                                {"Referrer-Policy", "no-referrer"},
                                {"X-Frame-Options", "DENY"}});
  const httplib::Server::Handler serve = [handler = handler_.get()](const httplib::Request& req,
                                                                    httplib::Response& res) {
    handler->Serve(req, res);
  };
  server_->Get(".*", serve);
  server_->Post(".*", serve);
  server_->Put(".*", serve);
  server_->Patch(".*", serve);
  server_->Delete(".*", serve);
  server_->Options(".*", serve);
  // Errors the library answers by itself (oversized body, malformed request) get the API's
  // error body too.
  const httplib::Server::HandlerWithResponse on_error = [](const httplib::Request&,
                                                           httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    switch (res.status) {
      case 413:
        SendError(res, 413, "payload_too_large",
                  absl::StrCat("the body is larger than ", kMaxBodyBytes, " bytes"));
        break;
      case 414:
        SendError(res, 414, "uri_too_long", "the request target is too long");
        break;
      case 404:
        SendError(res, 404, "not_found", "no such page");
        break;
      default:
        SendError(res, res.status, res.status < 500 ? "invalid_argument" : "internal",
                  "malformed HTTP request");
        break;
    }
    return httplib::Server::HandlerResponse::Handled;
  };
  server_->set_error_handler(on_error);
  server_->set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        SendError(res, 500, "internal", "internal error");
      });
}

ApiServer::~ApiServer() = default;

absl::StatusOr<int> ApiServer::Bind(const std::string& address, int port) {
  if (port == 0) {
    const int bound = server_->bind_to_any_port(address);
    if (bound < 0) return absl::UnavailableError(absl::StrCat("cannot listen on ", address));
    return bound;
  }
  if (!server_->bind_to_port(address, port)) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", address, ":", port));
  }
  return port;
}

bool ApiServer::Listen() {
  const bool served = server_->listen_after_bind();
  listen_returned_ = true;
  return served;
}

void ApiServer::Stop() {
  // The library ignores a stop that comes before its accept loop runs, so wait for that.
  while (!listen_returned_) {
    if (server_->is_running()) {
      server_->stop();
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace omniroute::crm
