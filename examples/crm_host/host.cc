#include "host.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "assets.h"
#include "commands.h"
#include "internal/status_macros.h"
#include "omniroute/config_json.h"
#include "views.h"

namespace omniroute::crm {
namespace {

constexpr char kFormat[] = "omniroute-crm-journal 1";

std::string JournalPath(const std::string& data_dir) { return data_dir + "/journal.sqlite"; }

[[noreturn]] void FailStop(const absl::Status& status) {
  std::fprintf(stderr,
               "omniroute-crm-host: %s; stopping now so that nothing is served that the journal "
               "lacks\n",
               std::string(status.message()).c_str());
  std::fflush(stderr);
  std::_Exit(kJournalFailureExitCode);
}

absl::StatusOr<Json> ParseJsonText(std::string_view text, std::string_view what) {
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(what), ": ", e.what()));
  }
}

// The engine and host state after journal rows up to `until`.
struct Restored {
  std::unique_ptr<Engine> engine;
  HostState state;
  int64_t last_seq = 0;
  int64_t snapshot_seq = 0;
  int64_t rows_replayed = 0;
  std::vector<SequencedEvent> events;  // the last `keep_events` the replayed rows caused
};

absl::StatusOr<Restored> Restore(Journal& journal, const std::string& config_text, int64_t until,
                                 bool use_snapshots, size_t keep_events) {
  Restored restored;
  if (use_snapshots) {
    OMNIROUTE_ASSIGN_OR_RETURN(const std::vector<int64_t> seqs, journal.SnapshotSeqs());
    for (const int64_t seq : seqs) {
      if (seq > until) continue;
      absl::Status status = [&]() -> absl::Status {
        OMNIROUTE_ASSIGN_OR_RETURN(const SnapshotRow row, journal.LoadSnapshot(seq));
        OMNIROUTE_ASSIGN_OR_RETURN(std::unique_ptr<Engine> engine, RestoreEngine(row.engine));
        OMNIROUTE_ASSIGN_OR_RETURN(const Json host_json,
                                   ParseJsonText(row.host_state, "host state"));
        OMNIROUTE_ASSIGN_OR_RETURN(HostState state, HostState::FromJson(host_json));
        restored.engine = std::move(engine);
        restored.state = std::move(state);
        restored.snapshot_seq = seq;
        restored.last_seq = seq;
        return absl::OkStatus();
      }();
      if (status.ok()) break;
      std::fprintf(stderr,
                   "omniroute-crm-host: the snapshot at seq %lld does not load (%s); "
                   "trying an older one\n",
                   static_cast<long long>(seq), std::string(status.message()).c_str());
    }
  }
  if (restored.engine == nullptr) {
    OMNIROUTE_ASSIGN_OR_RETURN(restored.engine, EngineFromJson(config_text));
    (void)restored.engine->PollEvents();
  }
  OMNIROUTE_RETURN_IF_ERROR(
      journal.ForEachRow(restored.snapshot_seq, until, [&](const JournalRow& row) -> absl::Status {
        const std::string where = absl::StrCat("journal row ", row.seq);
        absl::StatusOr<Json> command_json = ParseJsonText(row.command, where);
        if (!command_json.ok()) return absl::DataLossError(command_json.status().message());
        absl::StatusOr<EngineCommand> command = ParseCommand(*command_json, row.at);
        if (!command.ok()) {
          return absl::DataLossError(absl::StrCat(where, ": ", command.status().message()));
        }
        if (absl::Status status = restored.engine->Apply(*command); !status.ok()) {
          return absl::DataLossError(
              absl::StrCat(where, " was refused on replay: ", status.message()));
        }
        std::vector<SequencedEvent> events =
            restored.state.Apply(*command_json, *command, restored.engine->PollEvents());
        for (SequencedEvent& e : events) restored.events.push_back(std::move(e));
        if (restored.events.size() > 2 * keep_events) {
          restored.events.erase(restored.events.begin(),
                                restored.events.end() - static_cast<ptrdiff_t>(keep_events));
        }
        restored.last_seq = row.seq;
        ++restored.rows_replayed;
        return absl::OkStatus();
      }));
  if (restored.events.size() > keep_events) {
    restored.events.erase(restored.events.begin(),
                          restored.events.end() - static_cast<ptrdiff_t>(keep_events));
  }
  return restored;
}

absl::Status MakeDataDir(const std::string& dir) {
  if (mkdir(dir.c_str(), 0700) == 0 || errno == EEXIST) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("cannot create the data directory ", dir, ": ", std::strerror(errno)));
}

// The configuration text the journal runs on: the stored one, or for a new journal the given
// (else bundled) one, which is then stored.
absl::StatusOr<std::string> JournalConfig(Journal& journal, const HostOptions& options) {
  OMNIROUTE_ASSIGN_OR_RETURN(const std::optional<std::string> format, journal.GetMeta("format"));
  if (format && *format != kFormat) {
    return absl::FailedPreconditionError(absl::StrCat("the journal in ", options.data_dir,
                                                      " has format \"", *format,
                                                      "\"; this host reads \"", kFormat, "\""));
  }
  if (options.config_text) {
    absl::StatusOr<std::unique_ptr<Engine>> engine = EngineFromJson(*options.config_text);
    if (!engine.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("engine configuration: ", engine.status().message()));
    }
  }
  OMNIROUTE_ASSIGN_OR_RETURN(const std::optional<std::string> stored,
                             journal.GetMeta("engine_config"));
  if (stored) {
    if (options.config_text) {
      OMNIROUTE_ASSIGN_OR_RETURN(const Json given, ParseJsonText(*options.config_text, "config"));
      OMNIROUTE_ASSIGN_OR_RETURN(const Json kept, ParseJsonText(*stored, "stored config"));
      if (given != kept) {
        return absl::FailedPreconditionError(absl::StrCat(
            "the journal in ", options.data_dir,
            " was recorded with another engine configuration; start without --config to use "
            "the stored one, or with a new --data directory"));
      }
    }
    return *stored;
  }
  const std::string text = options.config_text ? *options.config_text
                                               : std::string(DefaultConfigAssets().front().content);
  OMNIROUTE_RETURN_IF_ERROR(journal.SetMeta("format", kFormat));
  OMNIROUTE_RETURN_IF_ERROR(journal.SetMeta("engine_config", text));
  return text;
}

}  // namespace

absl::StatusOr<std::unique_ptr<CrmHost>> CrmHost::Open(const HostOptions& options) {
  OMNIROUTE_RETURN_IF_ERROR(MakeDataDir(options.data_dir));
  OMNIROUTE_ASSIGN_OR_RETURN(std::unique_ptr<Journal> journal,
                             Journal::Open(JournalPath(options.data_dir)));
  OMNIROUTE_ASSIGN_OR_RETURN(const std::string config_text, JournalConfig(*journal, options));
  OMNIROUTE_ASSIGN_OR_RETURN(Restored restored,
                             Restore(*journal, config_text, std::numeric_limits<int64_t>::max(),
                                     /*use_snapshots=*/true, options.event_ring_capacity));
  const RestoreSummary summary{.snapshot_seq = restored.snapshot_seq,
                               .rows_replayed = restored.rows_replayed,
                               .journal_seq = restored.last_seq,
                               .state_digest = restored.engine->StateDigest()};
  return std::unique_ptr<CrmHost>(new CrmHost(options, std::move(journal),
                                              std::move(restored.engine), std::move(restored.state),
                                              summary, restored.events));
}

CrmHost::CrmHost(const HostOptions& options, std::unique_ptr<Journal> journal,
                 std::unique_ptr<Engine> engine, HostState state, RestoreSummary summary,
                 const std::vector<SequencedEvent>& replayed_events)
    : options_(options),
      journal_(std::move(journal)),
      ring_(options.event_ring_capacity,
            replayed_events.empty() ? state.last_event_seq() : replayed_events.front().seq - 1),
      restore_summary_(summary),
      engine_(std::move(engine)),
      state_(std::move(state)),
      applied_seq_(summary.journal_seq),
      last_snapshot_seq_(summary.snapshot_seq),
      committed_seq_(summary.journal_seq) {
  ring_.Publish(replayed_events);
}

CrmHost::~CrmHost() { Stop(); }

void CrmHost::Start() {
  commit_thread_ = std::thread([this] { CommitLoop(); });
  {
    // The engine's clock joins the wall clock at once, not a tick later: views never show an
    // instant before the host started.
    std::lock_guard<std::mutex> lock(engine_mu_);
    AdvanceLocked(HostNowLocked());
  }
  clock_thread_ = std::thread([this] { ClockLoop(); });
}

void CrmHost::Stop() {
  {
    std::lock_guard<std::mutex> lock(clock_mu_);
    clock_stop_ = true;
  }
  clock_cv_.notify_all();
  if (clock_thread_.joinable()) clock_thread_.join();
  {
    std::lock_guard<std::mutex> lock(engine_mu_);
    stopping_ = true;
  }
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    commit_stop_ = true;
  }
  queue_cv_.notify_all();
  if (commit_thread_.joinable()) commit_thread_.join();
  ring_.Close();
}

absl::Time CrmHost::HostNowLocked() const { return std::max(absl::Now(), engine_->now()); }

void CrmHost::AdvanceLocked(absl::Time at) {
  if (at <= engine_->now()) return;
  if (absl::Status status = engine_->AdvanceTo(at); !status.ok()) FailStop(status);
  std::vector<EngineEvent> events = engine_->PollEvents();
  if (events.empty()) return;
  static const EngineCommand kAdvance{.kind = EngineCommandKind::kAdvanceTo};
  Json command = MakeCommand(EngineCommandKind::kAdvanceTo, "", "", Json::object());
  std::vector<SequencedEvent> sequenced = state_.Apply(command, kAdvance, std::move(events));
  EnqueueLocked(at, Actor{.role = "clock"}, command.dump(), std::move(sequenced));
}

int64_t CrmHost::EnqueueLocked(absl::Time at, const Actor& actor, std::string command,
                               std::vector<SequencedEvent> events) {
  const int64_t seq = ++applied_seq_;
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    pending_rows_.push_back(JournalRow{.seq = seq,
                                       .at = at,
                                       .role = actor.role,
                                       .agent = actor.agent,
                                       .command = std::move(command)});
    for (SequencedEvent& e : events) pending_events_.push_back(std::move(e));
  }
  queue_cv_.notify_one();
  return seq;
}

void CrmHost::MaybeSnapshotLocked() {
  if (options_.snapshot_every <= 0 || applied_seq_ - last_snapshot_seq_ < options_.snapshot_every) {
    return;
  }
  SnapshotRow snapshot{
      .seq = applied_seq_, .engine = engine_->Snapshot(), .host_state = state_.ToJson().dump()};
  last_snapshot_seq_ = applied_seq_;
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    pending_snapshot_ = std::move(snapshot);
  }
  queue_cv_.notify_one();
}

void CrmHost::WaitCommitted(int64_t seq) {
  std::unique_lock<std::mutex> lock(commit_mu_);
  commit_cv_.wait(lock, [&] { return committed_seq_ >= seq; });
}

absl::StatusOr<CrmHost::WriteResult> CrmHost::Write(const Actor& actor, const Prepare& prepare,
                                                    const View& view) {
  absl::StatusOr<WriteResult> result;
  int64_t wait_for = 0;
  {
    std::lock_guard<std::mutex> lock(engine_mu_);
    if (stopping_) return absl::UnavailableError("the host is stopping");
    result = [&]() -> absl::StatusOr<WriteResult> {
      const absl::Time at = HostNowLocked();
      AdvanceLocked(at);
      OMNIROUTE_ASSIGN_OR_RETURN(const Json command_json, prepare(*engine_, state_));
      OMNIROUTE_ASSIGN_OR_RETURN(const EngineCommand command, ParseCommand(command_json, at));
      OMNIROUTE_RETURN_IF_ERROR(engine_->Apply(command));
      std::vector<SequencedEvent> events =
          state_.Apply(command_json, command, engine_->PollEvents());
      Json events_json = Json::array();
      for (const SequencedEvent& e : events) events_json.push_back(EventJson(e));
      const int64_t seq = EnqueueLocked(at, actor, command_json.dump(), std::move(events));
      return WriteResult{
          .seq = seq, .at = at, .events = std::move(events_json), .view = view(*engine_, state_)};
    }();
    MaybeSnapshotLocked();
    wait_for = applied_seq_;
  }
  WaitCommitted(wait_for);
  return result;
}

Json CrmHost::Read(const View& view) {
  Json out;
  int64_t wait_for = 0;
  {
    std::lock_guard<std::mutex> lock(engine_mu_);
    out = view(*engine_, state_);
    wait_for = applied_seq_;
  }
  WaitCommitted(wait_for);
  return out;
}

CrmHost::Health CrmHost::GetHealth() {
  Health health;
  {
    std::lock_guard<std::mutex> lock(engine_mu_);
    health = Health{.journal_seq = applied_seq_,
                    .state_digest = engine_->StateDigest(),
                    .now = engine_->now(),
                    .snapshot_seq = last_snapshot_seq_,
                    .items = engine_->item_count(),
                    .agents = engine_->agent_count()};
  }
  WaitCommitted(health.journal_seq);
  return health;
}

void CrmHost::ClockLoop() {
  std::unique_lock<std::mutex> lock(clock_mu_);
  while (true) {
    clock_cv_.wait_for(lock, absl::ToChronoMilliseconds(options_.tick),
                       [&] { return clock_stop_; });
    if (clock_stop_) return;
    lock.unlock();
    {
      std::lock_guard<std::mutex> engine_lock(engine_mu_);
      if (!stopping_) {
        AdvanceLocked(HostNowLocked());
        MaybeSnapshotLocked();
      }
    }
    lock.lock();
  }
}

void CrmHost::CommitLoop() {
  while (true) {
    std::vector<JournalRow> rows;
    std::vector<SequencedEvent> events;
    std::optional<SnapshotRow> snapshot;
    {
      std::unique_lock<std::mutex> lock(queue_mu_);
      queue_cv_.wait(lock, [&] {
        return !pending_rows_.empty() || pending_snapshot_.has_value() || commit_stop_;
      });
      if (pending_rows_.empty() && !pending_snapshot_ && commit_stop_) return;
      rows.swap(pending_rows_);
      events.swap(pending_events_);
      snapshot.swap(pending_snapshot_);
    }
    if (absl::Status status = journal_->Commit(rows, snapshot ? &*snapshot : nullptr);
        !status.ok()) {
      FailStop(status);
    }
    if (!rows.empty()) {
      {
        std::lock_guard<std::mutex> lock(commit_mu_);
        committed_seq_ = rows.back().seq;
      }
      commit_cv_.notify_all();
    }
    ring_.Publish(events);
  }
}

absl::StatusOr<VerifyResult> VerifyJournal(const std::string& data_dir,
                                           std::optional<int64_t> until_seq,
                                           std::optional<absl::Time> advance_to) {
  const std::string path = JournalPath(data_dir);
  struct stat info;
  if (stat(path.c_str(), &info) != 0) {
    return absl::NotFoundError(absl::StrCat("no journal at ", path));
  }
  OMNIROUTE_ASSIGN_OR_RETURN(std::unique_ptr<Journal> journal, Journal::Open(path));
  OMNIROUTE_ASSIGN_OR_RETURN(const std::optional<std::string> config,
                             journal->GetMeta("engine_config"));
  if (!config) return absl::NotFoundError(absl::StrCat(path, " holds no engine configuration"));
  OMNIROUTE_ASSIGN_OR_RETURN(const int64_t last, journal->LastSeq());
  const int64_t until = until_seq ? std::min(*until_seq, last) : last;
  OMNIROUTE_ASSIGN_OR_RETURN(Restored fresh, Restore(*journal, *config, until,
                                                     /*use_snapshots=*/false, 0));
  OMNIROUTE_ASSIGN_OR_RETURN(Restored restored, Restore(*journal, *config, until,
                                                        /*use_snapshots=*/true, 0));
  if (advance_to) {
    OMNIROUTE_RETURN_IF_ERROR(fresh.engine->AdvanceTo(*advance_to));
    OMNIROUTE_RETURN_IF_ERROR(restored.engine->AdvanceTo(*advance_to));
  }
  return VerifyResult{.journal_seq = fresh.last_seq,
                      .fresh_digest = fresh.engine->StateDigest(),
                      .restored_digest = restored.engine->StateDigest(),
                      .restored_from_snapshot = restored.snapshot_seq};
}

}  // namespace omniroute::crm
