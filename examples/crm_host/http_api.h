// The HTTP side of the host (cpp-httplib): the dashboard's static files, the JSON API over a
// CrmHost with bearer tokens and roles, and the server-sent-event stream. API.md is the contract.
//
//   ApiServer server(*host, tokens, {.threads = 48, .max_streams = 32});
//   absl::StatusOr<int> port = server.Bind("127.0.0.1", 0);
//   server.Listen();      // until Stop() from another thread
//
// Thread safety: Stop may be called from any thread; the rest from one.
#ifndef OMNIROUTE_EXAMPLES_CRM_HOST_HTTP_API_H_
#define OMNIROUTE_EXAMPLES_CRM_HOST_HTTP_API_H_

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "host.h"
#include "tokens.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace omniroute::crm {

// Request bodies above this are refused (413).
inline constexpr size_t kMaxBodyBytes = 64 * 1024;

struct ApiOptions {
  size_t threads = 48;
  size_t max_streams = 32;
  absl::Duration keep_alive_comment_every = absl::Seconds(15);
};

class ApiServer {
 public:
  ApiServer(CrmHost& host, const TokenStore& tokens, ApiOptions options);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds to `address`:`port` (0: a free port) and returns the port. Unavailable when the
  // address cannot be bound.
  absl::StatusOr<int> Bind(const std::string& address, int port);
  // Serves until Stop(); false when the server failed.
  bool Listen();
  // Ends Listen, also when called before Listen started (it then waits for it to start).
  void Stop();

 private:
  class Handler;
  std::unique_ptr<httplib::Server> server_;
  std::unique_ptr<Handler> handler_;
  std::atomic<bool> listen_returned_{false};
};

}  // namespace omniroute::crm

#endif  // OMNIROUTE_EXAMPLES_CRM_HOST_HTTP_API_H_
