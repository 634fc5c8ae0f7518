// The host's core: one engine, one lock, one journal, a clock and a committer.
//
//   absl::StatusOr<std::unique_ptr<CrmHost>> host = CrmHost::Open({.data_dir = "data"});
//   (*host)->Start();                                     // clock and committer threads
//   absl::StatusOr<CrmHost::WriteResult> r = (*host)->Write(actor, prepare, view);
//   Json queues = (*host)->Read([](const Engine& e, const HostState&) { ... });
//   (*host)->Stop();
//
// Every command runs under one lock: the engine is first advanced to the host's time (a move
// that fires events becomes an `advance_to` journal row), `prepare` checks and completes the
// command, the engine applies it, and an accepted command gets the next journal seq and joins
// the queue of rows to commit, in that order. A committer thread writes the queued rows in one
// SQLite transaction at a time (group commit) and then wakes the requests whose rows it wrote,
// publishes their events to the ring, and stores snapshots. `Write` and `Read` return only once
// every row applied before them is committed, so no answer shows state the journal lacks. A
// failed commit stops the process (exit code 70): the engine already holds the command.
//
// Time: `HostNow()` is max(wall clock, engine now); the clock thread advances the engine every
// tick. A move that fires nothing changes only the engine's `now` and is not journaled; replay
// reaches the same state because the engine fires every timer at its due instant however time
// is stepped.
//
// Thread safety: thread-safe.
#ifndef OMNIROUTE_EXAMPLES_CRM_HOST_HOST_H_
#define OMNIROUTE_EXAMPLES_CRM_HOST_HOST_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "event_ring.h"
#include "fields.h"
#include "host_state.h"
#include "journal.h"
#include "omniroute/engine.h"

namespace omniroute::crm {

// The exit code of a failed journal write.
inline constexpr int kJournalFailureExitCode = 70;

struct HostOptions {
  std::string data_dir = "omniroute-data";
  // The engine configuration given on the command line; nullopt: the one stored with the
  // journal, or the bundled default for a new journal.
  std::optional<std::string> config_text{};
  absl::Duration tick = absl::Milliseconds(250);
  int64_t snapshot_every = 10000;
  size_t event_ring_capacity = 10000;
};

// Who makes a write, as the journal records it.
struct Actor {
  std::string role{};   // supervisor, agent, clock
  std::string agent{};  // for agents
};

// What start-up restored.
struct RestoreSummary {
  int64_t snapshot_seq = 0;  // 0: none, a replay from the start
  int64_t rows_replayed = 0;
  int64_t journal_seq = 0;
  uint64_t state_digest = 0;
};

class CrmHost {
 public:
  // Opens (or creates) DATA_DIR/journal.sqlite and restores the engine: the latest snapshot that
  // loads, then the later rows. InvalidArgument for a bad configuration; FailedPrecondition when
  // `config_text` differs from the configuration stored with the journal; DataLoss when a row
  // is refused on replay.
  static absl::StatusOr<std::unique_ptr<CrmHost>> Open(const HostOptions& options);
  ~CrmHost();
  CrmHost(const CrmHost&) = delete;
  CrmHost& operator=(const CrmHost&) = delete;

  void Start();
  // Stops the clock, refuses new writes (Unavailable), commits what is queued, closes the ring.
  void Stop();

  // Checks and completes a command under the lock, after time has moved: returns its JSON form
  // (commands.h), or an error that refuses it.
  using Prepare = std::function<absl::StatusOr<Json>(const Engine&, const HostState&)>;
  // A view under the lock.
  using View = std::function<Json(const Engine&, const HostState&)>;

  struct WriteResult {
    int64_t seq = 0;
    absl::Time at{};
    Json events{};  // the events the command caused (views.h EventJson)
    Json view{};    // `view` after the command
  };
  // Applies the command `prepare` returns, journals it as `actor`'s and waits for its commit.
  // The engine's and `prepare`'s errors are returned as they are.
  absl::StatusOr<WriteResult> Write(const Actor& actor, const Prepare& prepare, const View& view);

  // Runs `view` under the lock and returns once the state it saw is committed.
  Json Read(const View& view);

  struct Health {
    int64_t journal_seq = 0;
    uint64_t state_digest = 0;
    absl::Time now{};
    int64_t snapshot_seq = 0;
    size_t items = 0;
    size_t agents = 0;
  };
  Health GetHealth();

  EventRing& events() { return ring_; }
  Journal& journal() { return *journal_; }
  const RestoreSummary& restore_summary() const { return restore_summary_; }

 private:
  CrmHost(const HostOptions& options, std::unique_ptr<Journal> journal,
          std::unique_ptr<Engine> engine, HostState state, RestoreSummary summary,
          const std::vector<SequencedEvent>& replayed_events);

  absl::Time HostNowLocked() const;
  // Advances the engine to `at`; journals the move when it fires events.
  void AdvanceLocked(absl::Time at);
  // Queues a row and its events for the committer; returns its seq.
  int64_t EnqueueLocked(absl::Time at, const Actor& actor, std::string command,
                        std::vector<SequencedEvent> events);
  void MaybeSnapshotLocked();
  void WaitCommitted(int64_t seq);
  void ClockLoop();
  void CommitLoop();

  const HostOptions options_;
  const std::unique_ptr<Journal> journal_;
  EventRing ring_;
  RestoreSummary restore_summary_;

  std::mutex engine_mu_;
  std::unique_ptr<Engine> engine_;  // guarded by engine_mu_
  HostState state_;                 // guarded by engine_mu_
  int64_t applied_seq_ = 0;         // guarded by engine_mu_
  int64_t last_snapshot_seq_ = 0;   // guarded by engine_mu_
  bool stopping_ = false;           // guarded by engine_mu_

  std::mutex queue_mu_;  // taken inside engine_mu_, never around it
  std::condition_variable queue_cv_;
  std::vector<JournalRow> pending_rows_;         // guarded by queue_mu_
  std::vector<SequencedEvent> pending_events_;   // guarded by queue_mu_
  std::optional<SnapshotRow> pending_snapshot_;  // guarded by queue_mu_
  bool commit_stop_ = false;                     // guarded by queue_mu_

  std::mutex commit_mu_;
  std::condition_variable commit_cv_;
  int64_t committed_seq_ = 0;  // guarded by commit_mu_

  std::mutex clock_mu_;
  std::condition_variable clock_cv_;
  bool clock_stop_ = false;  // guarded by clock_mu_

  std::thread clock_thread_;
  std::thread commit_thread_;
};

// What --verify-journal reports.
struct VerifyResult {
  int64_t journal_seq = 0;
  uint64_t fresh_digest = 0;     // every row replayed from the configuration
  uint64_t restored_digest = 0;  // the start-up path: latest snapshot, then later rows
  int64_t restored_from_snapshot = 0;
};
// Replays the journal in `data_dir` up to row `until_seq` (all when nullopt) twice — from
// scratch and from the latest snapshot at or before it — then advances both to `advance_to` when
// given. NotFound without a journal; DataLoss when a row is refused.
absl::StatusOr<VerifyResult> VerifyJournal(const std::string& data_dir,
                                           std::optional<int64_t> until_seq,
                                           std::optional<absl::Time> advance_to);

}  // namespace omniroute::crm

#endif  // OMNIROUTE_EXAMPLES_CRM_HOST_HOST_H_
