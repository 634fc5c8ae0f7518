#include "journal.h"

#include <sqlite3.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "internal/status_macros.h"

namespace omniroute::crm {
namespace {

constexpr int kBusyTimeoutMs = 2000;
constexpr int kSnapshotsKept = 2;

absl::Status SqliteError(sqlite3* db, int code, std::string_view what) {
  const std::string message =
      absl::StrCat("journal: ", std::string(what), ": ",
                   db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code));
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError(message);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(message);
    default:
      return absl::InternalError(message);
  }
}

// A prepared statement, finalized on destruction.
class Statement {
 public:
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() { sqlite3_finalize(stmt_); }

  static absl::StatusOr<Statement> Prepare(sqlite3* db, std::string_view sql) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
    if (rc != SQLITE_OK) return SqliteError(db, rc, "prepare");
    return Statement(db, stmt);
  }
  Statement(Statement&& other) noexcept
      : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)) {}

  void BindInt(int index, int64_t value) { sqlite3_bind_int64(stmt_, index, value); }
  void BindText(int index, std::string_view text) {
    sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  }
  void BindBlob(int index, std::string_view bytes) {
    sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
  }
  // True while a row is available.
  absl::StatusOr<bool> Step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return SqliteError(db_, rc, "step");
  }
  absl::Status Run() {
    OMNIROUTE_ASSIGN_OR_RETURN(const bool unused_row, Step());
    (void)unused_row;
    return absl::OkStatus();
  }
  // Ready to run again with new bindings.
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  int64_t Int(int column) { return sqlite3_column_int64(stmt_, column); }
  std::string Text(int column) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_blob(stmt_, column));
    return text == nullptr
               ? std::string()
               : std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
  }

 private:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

absl::Status Exec(sqlite3* db, const char* sql) {
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &error);
  if (rc == SQLITE_OK) return absl::OkStatus();
  absl::Status status = SqliteError(db, rc, sql);
  sqlite3_free(error);
  return status;
}

absl::StatusOr<sqlite3*> OpenConnection(const std::string& path, int flags) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status status = SqliteError(db, rc, absl::StrCat("open ", path));
    sqlite3_close(db);
    return status;
  }
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  return db;
}

JournalRow ReadRow(Statement& stmt) {
  return JournalRow{.seq = stmt.Int(0),
                    .at = absl::FromUnixNanos(stmt.Int(1)),
                    .role = stmt.Text(2),
                    .agent = stmt.Text(3),
                    .command = stmt.Text(4)};
}

}  // namespace

Journal::Journal(sqlite3* writer, sqlite3* reader) : writer_(writer), reader_(reader) {}

Journal::~Journal() {
  sqlite3_close(reader_);
  sqlite3_close(writer_);
}

absl::StatusOr<std::unique_ptr<Journal>> Journal::Open(const std::string& path) {
  OMNIROUTE_ASSIGN_OR_RETURN(sqlite3 * writer,
                             OpenConnection(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  auto fail = [writer](absl::Status status) {
    sqlite3_close(writer);
    return status;
  };
  {
    absl::StatusOr<Statement> mode = Statement::Prepare(writer, "PRAGMA journal_mode=WAL");
    if (!mode.ok()) return fail(mode.status());
    absl::StatusOr<bool> row = mode->Step();
    if (!row.ok()) return fail(row.status());
    if (!*row || mode->Text(0) != "wal") {
      return fail(absl::InternalError("journal: the database refuses WAL mode"));
    }
  }
  for (const char* sql : {"PRAGMA synchronous=FULL",
                          "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT "
                          "NOT NULL)",
                          "CREATE TABLE IF NOT EXISTS journal(seq INTEGER PRIMARY KEY, at_ns "
                          "INTEGER NOT NULL, role TEXT NOT NULL, agent TEXT NOT NULL, command "
                          "TEXT NOT NULL)",
                          "CREATE TABLE IF NOT EXISTS snapshots(seq INTEGER PRIMARY KEY, engine "
                          "BLOB NOT NULL, host_state TEXT NOT NULL)"}) {
    if (absl::Status status = Exec(writer, sql); !status.ok()) return fail(status);
  }
  absl::StatusOr<sqlite3*> reader = OpenConnection(path, SQLITE_OPEN_READONLY);
  if (!reader.ok()) return fail(reader.status());
  return std::unique_ptr<Journal>(new Journal(writer, *reader));
}

absl::StatusOr<std::optional<std::string>> Journal::GetMeta(const std::string& key) {
  std::lock_guard<std::mutex> lock(read_mu_);
  OMNIROUTE_ASSIGN_OR_RETURN(Statement stmt,
                             Statement::Prepare(reader_, "SELECT value FROM meta WHERE key = ?"));
  stmt.BindText(1, key);
  OMNIROUTE_ASSIGN_OR_RETURN(const bool found, stmt.Step());
  if (!found) return std::nullopt;
  return stmt.Text(0);
}

absl::Status Journal::SetMeta(const std::string& key, const std::string& value) {
  std::lock_guard<std::mutex> lock(write_mu_);
  OMNIROUTE_ASSIGN_OR_RETURN(
      Statement stmt,
      Statement::Prepare(writer_, "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)"));
  stmt.BindText(1, key);
  stmt.BindText(2, value);
  return stmt.Run();
}

absl::Status Journal::Commit(const std::vector<JournalRow>& rows, const SnapshotRow* snapshot) {
  std::lock_guard<std::mutex> lock(write_mu_);
  OMNIROUTE_RETURN_IF_ERROR(Exec(writer_, "BEGIN IMMEDIATE"));
  absl::Status status = [&]() -> absl::Status {
    OMNIROUTE_ASSIGN_OR_RETURN(
        Statement insert,
        Statement::Prepare(writer_,
                           "INSERT INTO journal(seq, at_ns, role, agent, command) VALUES (?, ?, "
                           "?, ?, ?)"));
    for (const JournalRow& row : rows) {
      insert.BindInt(1, row.seq);
      insert.BindInt(2, absl::ToUnixNanos(row.at));
      insert.BindText(3, row.role);
      insert.BindText(4, row.agent);
      insert.BindText(5, row.command);
      OMNIROUTE_RETURN_IF_ERROR(insert.Run());
      insert.Reset();
    }
    if (snapshot != nullptr) {
      OMNIROUTE_ASSIGN_OR_RETURN(
          Statement store,
          Statement::Prepare(writer_,
                             "INSERT OR REPLACE INTO snapshots(seq, engine, host_state) VALUES "
                             "(?, ?, ?)"));
      store.BindInt(1, snapshot->seq);
      store.BindBlob(2, snapshot->engine);
      store.BindText(3, snapshot->host_state);
      OMNIROUTE_RETURN_IF_ERROR(store.Run());
      OMNIROUTE_ASSIGN_OR_RETURN(
          Statement prune,
          Statement::Prepare(writer_,
                             "DELETE FROM snapshots WHERE seq NOT IN (SELECT seq FROM snapshots "
                             "ORDER BY seq DESC LIMIT ?)"));
      prune.BindInt(1, kSnapshotsKept);
      OMNIROUTE_RETURN_IF_ERROR(prune.Run());
    }
    return Exec(writer_, "COMMIT");
  }();
  if (!status.ok()) (void)Exec(writer_, "ROLLBACK");
  return status;
}

absl::Status Journal::ForEachRow(int64_t after, int64_t until,
                                 const std::function<absl::Status(const JournalRow&)>& visit) {
  std::lock_guard<std::mutex> lock(read_mu_);
  OMNIROUTE_ASSIGN_OR_RETURN(
      Statement stmt,
      Statement::Prepare(reader_,
                         "SELECT seq, at_ns, role, agent, command FROM journal WHERE seq > ? AND "
                         "seq <= ? ORDER BY seq"));
  stmt.BindInt(1, after);
  stmt.BindInt(2, until);
  while (true) {
    OMNIROUTE_ASSIGN_OR_RETURN(const bool row, stmt.Step());
    if (!row) return absl::OkStatus();
    OMNIROUTE_RETURN_IF_ERROR(visit(ReadRow(stmt)));
  }
}

absl::StatusOr<std::vector<JournalRow>> Journal::Rows(int64_t after, int64_t limit) {
  std::lock_guard<std::mutex> lock(read_mu_);
  OMNIROUTE_ASSIGN_OR_RETURN(
      Statement stmt,
      Statement::Prepare(reader_,
                         "SELECT seq, at_ns, role, agent, command FROM journal WHERE seq > ? "
                         "ORDER BY seq LIMIT ?"));
  stmt.BindInt(1, after);
  stmt.BindInt(2, limit);
  std::vector<JournalRow> rows;
  while (true) {
    OMNIROUTE_ASSIGN_OR_RETURN(const bool row, stmt.Step());
    if (!row) return rows;
    rows.push_back(ReadRow(stmt));
  }
}

absl::StatusOr<int64_t> Journal::LastSeq() {
  std::lock_guard<std::mutex> lock(read_mu_);
  OMNIROUTE_ASSIGN_OR_RETURN(
      Statement stmt, Statement::Prepare(reader_, "SELECT COALESCE(MAX(seq), 0) FROM journal"));
  OMNIROUTE_ASSIGN_OR_RETURN(const bool row, stmt.Step());
  return row ? stmt.Int(0) : 0;
}

absl::StatusOr<std::vector<int64_t>> Journal::SnapshotSeqs() {
  std::lock_guard<std::mutex> lock(read_mu_);
  OMNIROUTE_ASSIGN_OR_RETURN(
      Statement stmt, Statement::Prepare(reader_, "SELECT seq FROM snapshots ORDER BY seq DESC"));
  std::vector<int64_t> seqs;
  while (true) {
    OMNIROUTE_ASSIGN_OR_RETURN(const bool row, stmt.Step());
    if (!row) return seqs;
    seqs.push_back(stmt.Int(0));
  }
}

absl::StatusOr<SnapshotRow> Journal::LoadSnapshot(int64_t seq) {
  std::lock_guard<std::mutex> lock(read_mu_);
  OMNIROUTE_ASSIGN_OR_RETURN(
      Statement stmt,
      Statement::Prepare(reader_, "SELECT seq, engine, host_state FROM snapshots WHERE seq = ?"));
  stmt.BindInt(1, seq);
  OMNIROUTE_ASSIGN_OR_RETURN(const bool row, stmt.Step());
  if (!row) return absl::NotFoundError(absl::StrCat("journal: no snapshot at seq ", seq));
  return SnapshotRow{.seq = stmt.Int(0), .engine = stmt.Text(1), .host_state = stmt.Text(2)};
}

}  // namespace omniroute::crm
