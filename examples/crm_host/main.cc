// omniroute-crm-host: the engine behind an HTTP/JSON API with a durable journal, bearer tokens and
// a live dashboard. API.md describes the program, its flags and the API.
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "host.h"
#include "http_api.h"
#include "internal/status_macros.h"
#include "tokens.h"

namespace omniroute::crm {
namespace {

constexpr char kUsage[] =
    "usage: omniroute-crm-host [--config ENGINE.json] [--data DIR] [--bind 127.0.0.1]\n"
    "                          [--port 8080] [--tokens-file FILE] [--tick-ms 250]\n"
    "                          [--snapshot-every 10000] [--threads 48] [--max-streams 32]\n"
    "       omniroute-crm-host --verify-journal [--data DIR] [--until-seq N]\n"
    "                          [--advance-to-ns NS]\n"
    "Tokens come from OMNIROUTE_TOKENS and/or --tokens-file, one per line: TOKEN ROLE "
    "[AGENT_ID].\n";

struct Flags {
  std::optional<std::string> config_path;
  std::string data_dir = "omniroute-data";
  std::string bind = "127.0.0.1";
  int port = 8080;
  std::optional<std::string> tokens_file;
  int64_t tick_ms = 250;
  int64_t snapshot_every = 10000;
  int64_t threads = 48;
  int64_t max_streams = 32;
  bool verify = false;
  std::optional<int64_t> until_seq;
  std::optional<int64_t> advance_to_ns;
  bool help = false;
};

absl::StatusOr<int64_t> ParseNumber(std::string_view flag, const std::string& text, int64_t low,
                                    int64_t high) {
  int64_t value = 0;
  if (!absl::SimpleAtoi(text, &value) || value < low || value > high) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(flag),
                                                   ": expected a whole number from ", low, " to ",
                                                   high, ", got \"", text, "\""));
  }
  return value;
}

absl::StatusOr<Flags> ParseFlags(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::optional<std::string> inline_value;
    if (const size_t eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      inline_value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    auto value = [&]() -> absl::StatusOr<std::string> {
      if (inline_value) return *inline_value;
      if (i + 1 >= argc) return absl::InvalidArgumentError(absl::StrCat(arg, " needs a value"));
      return std::string(argv[++i]);
    };
    constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
    if (arg == "--help" || arg == "-h") {
      flags.help = true;
    } else if (arg == "--verify-journal") {
      flags.verify = true;
    } else if (arg == "--config") {
      OMNIROUTE_ASSIGN_OR_RETURN(flags.config_path, value());
    } else if (arg == "--data") {
      OMNIROUTE_ASSIGN_OR_RETURN(flags.data_dir, value());
    } else if (arg == "--bind") {
      OMNIROUTE_ASSIGN_OR_RETURN(flags.bind, value());
    } else if (arg == "--tokens-file") {
      OMNIROUTE_ASSIGN_OR_RETURN(flags.tokens_file, value());
    } else if (arg == "--port") {
      OMNIROUTE_ASSIGN_OR_RETURN(const std::string text, value());
      OMNIROUTE_ASSIGN_OR_RETURN(const int64_t port, ParseNumber(arg, text, 0, 65535));
      flags.port = static_cast<int>(port);
    } else if (arg == "--tick-ms") {
      OMNIROUTE_ASSIGN_OR_RETURN(const std::string text, value());
      OMNIROUTE_ASSIGN_OR_RETURN(flags.tick_ms, ParseNumber(arg, text, 1, 60000));
    } else if (arg == "--snapshot-every") {
      OMNIROUTE_ASSIGN_OR_RETURN(const std::string text, value());
      OMNIROUTE_ASSIGN_OR_RETURN(flags.snapshot_every, ParseNumber(arg, text, 1, kMax));
    } else if (arg == "--threads") {
      OMNIROUTE_ASSIGN_OR_RETURN(const std::string text, value());
      OMNIROUTE_ASSIGN_OR_RETURN(flags.threads, ParseNumber(arg, text, 2, 1024));
    } else if (arg == "--max-streams") {
      OMNIROUTE_ASSIGN_OR_RETURN(const std::string text, value());
      OMNIROUTE_ASSIGN_OR_RETURN(flags.max_streams, ParseNumber(arg, text, 0, 1024));
    } else if (arg == "--until-seq") {
      OMNIROUTE_ASSIGN_OR_RETURN(const std::string text, value());
      OMNIROUTE_ASSIGN_OR_RETURN(flags.until_seq, ParseNumber(arg, text, 0, kMax));
    } else if (arg == "--advance-to-ns") {
      OMNIROUTE_ASSIGN_OR_RETURN(const std::string text, value());
      OMNIROUTE_ASSIGN_OR_RETURN(flags.advance_to_ns, ParseNumber(arg, text, 0, kMax));
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown argument \"", arg, "\""));
    }
  }
  if (!flags.verify && (flags.until_seq || flags.advance_to_ns)) {
    return absl::InvalidArgumentError("--until-seq and --advance-to-ns go with --verify-journal");
  }
  if (flags.threads <= flags.max_streams) {
    return absl::InvalidArgumentError(
        "--threads must exceed --max-streams: each event stream holds a thread");
  }
  return flags;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void WarnIfOthersMayRead(const std::string& path) {
  struct stat info;
  if (stat(path.c_str(), &info) == 0 && (info.st_mode & 077) != 0) {
    std::fprintf(stderr,
                 "omniroute-crm-host: warning: %s is readable by other users (chmod 600 it)\n",
                 path.c_str());
  }
}

// The tokens from OMNIROUTE_TOKENS and --tokens-file; with none, those of DATA_DIR/tokens,
// which is created with a random supervisor token when missing.
absl::StatusOr<TokenStore> LoadTokens(const Flags& flags) {
  TokenStore tokens;
  if (const char* env = std::getenv("OMNIROUTE_TOKENS"); env != nullptr) {
    OMNIROUTE_RETURN_IF_ERROR(tokens.AddLines(env, "OMNIROUTE_TOKENS", ';'));
  }
  if (flags.tokens_file) {
    OMNIROUTE_ASSIGN_OR_RETURN(const std::string text, ReadFile(*flags.tokens_file));
    WarnIfOthersMayRead(*flags.tokens_file);
    OMNIROUTE_RETURN_IF_ERROR(tokens.AddLines(text, *flags.tokens_file));
  }
  if (!tokens.empty()) return tokens;

  const std::string path = flags.data_dir + "/tokens";
  if (mkdir(flags.data_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create ", flags.data_dir, ": ", std::strerror(errno)));
  }
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    OMNIROUTE_ASSIGN_OR_RETURN(const std::string token, GenerateToken());
    const std::string line = absl::StrCat(token, " supervisor\n");
    const bool written = write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
    const bool synced = fsync(fd) == 0;
    close(fd);
    if (!written || !synced) {
      unlink(path.c_str());
      return absl::InternalError(absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
    }
  } else if (errno != EEXIST) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create ", path, ": ", std::strerror(errno)));
  }
  OMNIROUTE_ASSIGN_OR_RETURN(const std::string text, ReadFile(path));
  WarnIfOthersMayRead(path);
  OMNIROUTE_RETURN_IF_ERROR(tokens.AddLines(text, path));
  if (tokens.empty()) return absl::InvalidArgumentError(absl::StrCat(path, " holds no token"));
  std::fprintf(stderr, "omniroute-crm-host: no token configured; the supervisor token is in %s\n",
               path.c_str());
  return tokens;
}

std::string Hex(uint64_t value) {
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(value));
  return buffer;
}

int Verify(const Flags& flags) {
  std::optional<absl::Time> advance_to;
  if (flags.advance_to_ns) advance_to = absl::FromUnixNanos(*flags.advance_to_ns);
  absl::StatusOr<VerifyResult> result = VerifyJournal(flags.data_dir, flags.until_seq, advance_to);
  if (!result.ok()) {
    std::fprintf(stderr, "omniroute-crm-host: %s\n",
                 std::string(result.status().message()).c_str());
    return EXIT_FAILURE;
  }
  std::printf(
      "{\"journal_seq\": %lld, \"state_digest\": \"%s\", \"restored_digest\": \"%s\", "
      "\"restored_from_snapshot\": %lld}\n",
      static_cast<long long>(result->journal_seq), Hex(result->fresh_digest).c_str(),
      Hex(result->restored_digest).c_str(), static_cast<long long>(result->restored_from_snapshot));
  return result->fresh_digest == result->restored_digest ? EXIT_SUCCESS : EXIT_FAILURE;
}

int Serve(const Flags& flags) {
  HostOptions options{.data_dir = flags.data_dir,
                      .tick = absl::Milliseconds(flags.tick_ms),
                      .snapshot_every = flags.snapshot_every};
  if (flags.config_path) {
    absl::StatusOr<std::string> text = ReadFile(*flags.config_path);
    if (!text.ok()) {
      std::fprintf(stderr, "omniroute-crm-host: %s\n",
                   std::string(text.status().message()).c_str());
      return EXIT_FAILURE;
    }
    options.config_text = *std::move(text);
  }
  absl::StatusOr<TokenStore> tokens = LoadTokens(flags);
  if (!tokens.ok()) {
    std::fprintf(stderr, "omniroute-crm-host: tokens: %s\n",
                 std::string(tokens.status().message()).c_str());
    return EXIT_FAILURE;
  }

  // Signals are taken by one thread with sigwait; every other thread inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  absl::StatusOr<std::unique_ptr<CrmHost>> host = CrmHost::Open(options);
  if (!host.ok()) {
    std::fprintf(stderr, "omniroute-crm-host: %s\n", std::string(host.status().message()).c_str());
    return EXIT_FAILURE;
  }
  const RestoreSummary& restored = (*host)->restore_summary();
  std::fprintf(stderr,
               "omniroute-crm-host: journal %s/journal.sqlite at seq %lld (%s, then %lld rows "
               "replayed); state digest %s\n",
               flags.data_dir.c_str(), static_cast<long long>(restored.journal_seq),
               restored.snapshot_seq > 0
                   ? absl::StrCat("snapshot at seq ", restored.snapshot_seq).c_str()
                   : "no snapshot",
               static_cast<long long>(restored.rows_replayed), Hex(restored.state_digest).c_str());

  ApiServer server(**host, *tokens,
                   {.threads = static_cast<size_t>(flags.threads),
                    .max_streams = static_cast<size_t>(flags.max_streams)});
  absl::StatusOr<int> port = server.Bind(flags.bind, flags.port);
  if (!port.ok()) {
    std::fprintf(stderr, "omniroute-crm-host: %s\n", std::string(port.status().message()).c_str());
    return EXIT_FAILURE;
  }
  if (flags.bind != "127.0.0.1" && flags.bind != "::1" && flags.bind != "localhost") {
    std::fprintf(stderr,
                 "omniroute-crm-host: warning: listening on %s, beyond this machine; tokens "
                 "travel in clear text (put a TLS proxy in front)\n",
                 flags.bind.c_str());
  }
  (*host)->Start();
  std::thread signal_waiter([&server, &host, stop_signals] {
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    // Event streams wait on the ring: close it so that the server's workers can finish.
    (*host)->events().Close();
    server.Stop();
  });

  const std::string shown_host =
      flags.bind.find(':') != std::string::npos ? absl::StrCat("[", flags.bind, "]") : flags.bind;
  std::printf("listening on http://%s:%d\n", shown_host.c_str(), *port);
  std::fflush(stdout);
  const bool served = server.Listen();
  // Wakes the waiter when the server ended by itself; after a signal it has already returned.
  pthread_kill(signal_waiter.native_handle(), SIGTERM);
  signal_waiter.join();
  (*host)->Stop();
  return served ? EXIT_SUCCESS : EXIT_FAILURE;
}

}  // namespace
}  // namespace omniroute::crm

int main(int argc, char** argv) {
  absl::StatusOr<omniroute::crm::Flags> flags = omniroute::crm::ParseFlags(argc, argv);
  if (!flags.ok()) {
    std::fprintf(stderr, "omniroute-crm-host: %s\n%s",
                 std::string(flags.status().message()).c_str(), omniroute::crm::kUsage);
    return EXIT_FAILURE;
  }
  if (flags->help) {
    std::printf("%s", omniroute::crm::kUsage);
    return EXIT_SUCCESS;
  }
  return flags->verify ? omniroute::crm::Verify(*flags) : omniroute::crm::Serve(*flags);
}
