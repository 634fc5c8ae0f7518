// The host's durable journal: one SQLite database in WAL mode with synchronous=FULL, so a
// committed transaction survives a crash of the process or of the machine.
//
//   meta(key TEXT PRIMARY KEY, value TEXT)             -- format, the engine configuration
//   journal(seq INTEGER PRIMARY KEY, at_ns INTEGER,     -- one row per applied command, in
//           role TEXT, agent TEXT, command TEXT)        -- apply order (commands.h form)
//   snapshots(seq INTEGER PRIMARY KEY, engine BLOB,     -- Engine::Snapshot() after row `seq`,
//             host_state TEXT)                          -- and the host's own state then
//
//   absl::StatusOr<std::unique_ptr<Journal>> journal = Journal::Open("data/journal.sqlite");
//   absl::Status s = (*journal)->Commit(rows, /*snapshot=*/nullptr);   // one transaction
//
// Thread safety: thread-safe; each call takes the journal's lock (reads from the audit endpoint
// run beside the committer on their own connection).
#ifndef OMNIROUTE_EXAMPLES_CRM_HOST_JOURNAL_H_
#define OMNIROUTE_EXAMPLES_CRM_HOST_JOURNAL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

struct sqlite3;

namespace omniroute::crm {

struct JournalRow {
  int64_t seq = 0;
  absl::Time at{};
  std::string role{};   // supervisor, agent, clock
  std::string agent{};  // the acting agent's id for agent tokens
  std::string command{};
};

struct SnapshotRow {
  int64_t seq = 0;  // the last journal row it includes
  std::string engine{};
  std::string host_state{};
};

class Journal {
 public:
  // Opens or creates the database (and its tables). Unavailable when another process holds it
  // for too long; Internal / DataLoss with SQLite's message otherwise.
  static absl::StatusOr<std::unique_ptr<Journal>> Open(const std::string& path);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  absl::StatusOr<std::optional<std::string>> GetMeta(const std::string& key);
  absl::Status SetMeta(const std::string& key, const std::string& value);

  // Appends `rows` (seqs ascending, after the last one) and, when given, stores `snapshot` and
  // drops all but the two newest snapshots, in one transaction. On error nothing is stored.
  absl::Status Commit(const std::vector<JournalRow>& rows, const SnapshotRow* snapshot);

  // Calls `visit` for each row with after < seq <= until, in seq order; stops at its first error.
  absl::Status ForEachRow(int64_t after, int64_t until,
                          const std::function<absl::Status(const JournalRow&)>& visit);
  // At most `limit` rows after `after`, in seq order.
  absl::StatusOr<std::vector<JournalRow>> Rows(int64_t after, int64_t limit);
  // 0 for an empty journal.
  absl::StatusOr<int64_t> LastSeq();
  // The seqs of the stored snapshots, newest first.
  absl::StatusOr<std::vector<int64_t>> SnapshotSeqs();
  absl::StatusOr<SnapshotRow> LoadSnapshot(int64_t seq);

 private:
  Journal(sqlite3* writer, sqlite3* reader);
  std::mutex write_mu_;
  sqlite3* writer_;  // guarded by write_mu_
  std::mutex read_mu_;
  sqlite3* reader_;  // guarded by read_mu_
};

}  // namespace omniroute::crm

#endif  // OMNIROUTE_EXAMPLES_CRM_HOST_JOURNAL_H_
