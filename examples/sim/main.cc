// omniroute-sim: a contact centre simulated through days on the real engine.
//
//   omniroute-sim [SCENARIO.json] [--seed N] [--json] [--timeline FILE.csv]
//                 [--compare strategy=longest_idle,least_occupied | staff=0.9,1.0,1.1] [--quiet]
//
// Prints the KPIs as a table (or JSON on stdout with --json); --timeline writes per-interval
// figures as CSV; --compare runs the same arrivals under several routing strategies or staffing
// factors and prints them side by side. Without a scenario it runs the bundled default centre.
// Exit status: 0 done, 1 failed while running or writing, 2 bad usage or a bad scenario.
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_split.h"
#include "fmt/format.h"
#include "report.h"
#include "scenario.h"
#include "simulator.h"

namespace {

constexpr const char* kDefaultScenario = OMNIROUTE_SIM_DATA_DIR "/default_scenario.json";
constexpr const char* kUsage =
    "usage: omniroute-sim [SCENARIO.json] [--seed N] [--json] [--timeline FILE.csv]\n"
    "                     [--compare strategy=NAME,NAME... | staff=FACTOR,FACTOR...] [--quiet]\n";

struct Options {
  std::string scenario = kDefaultScenario;
  std::optional<uint64_t> seed;
  bool json = false;
  bool quiet = false;
  std::string timeline;
  std::string compare_dimension;  // "strategy" or "staff"
  std::vector<std::string> compare_values;
};

int UsageError(const std::string& message) {
  std::fprintf(stderr, "omniroute-sim: %s\n%s", message.c_str(), kUsage);
  return 2;
}

// Draws a progress bar on stderr; only used when stderr is a terminal.
class ProgressBar {
 public:
  explicit ProgressBar(std::string title) : title_(std::move(title)) {}
  void Show(double fraction) {
    const int filled = static_cast<int>(fraction * kWidth);
    if (filled == last_) return;
    last_ = filled;
    std::fprintf(stderr, "\r%s [%s%s] %3d%%", title_.c_str(), std::string(filled, '#').c_str(),
                 std::string(kWidth - filled, ' ').c_str(), static_cast<int>(fraction * 100));
    std::fflush(stderr);
  }
  void Clear() {
    std::fprintf(stderr, "\r%s\r", std::string(title_.size() + kWidth + 8, ' ').c_str());
    std::fflush(stderr);
  }

 private:
  static constexpr int kWidth = 40;
  std::string title_;
  int last_ = -1;
};

bool ParseUint(std::string_view text, uint64_t& value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return !text.empty() && error == std::errc() && end == text.data() + text.size();
}

// Parses the command line; returns 0 when it is fine, else the exit status (after the message).
int ParseArgs(int argc, char** argv, Options& options) {
  bool have_scenario = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return -1;
    } else if (arg == "--json") {
      options.json = true;
    } else if (arg == "--quiet") {
      options.quiet = true;
    } else if (arg == "--seed") {
      std::string text;
      uint64_t seed = 0;
      if (!value(text) || !ParseUint(text, seed)) {
        return UsageError("--seed needs a non-negative integer");
      }
      options.seed = seed;
    } else if (arg == "--timeline") {
      if (!value(options.timeline) || options.timeline.empty()) {
        return UsageError("--timeline needs a file name");
      }
    } else if (arg == "--compare") {
      std::string text;
      if (!value(text)) return UsageError("--compare needs strategy=... or staff=...");
      const size_t equals = text.find('=');
      if (equals == std::string::npos) {
        return UsageError(fmt::format("--compare {}: expected strategy=A,B or staff=F,G", text));
      }
      options.compare_dimension = text.substr(0, equals);
      if (options.compare_dimension != "strategy" && options.compare_dimension != "staff") {
        return UsageError(fmt::format("--compare: unknown dimension \"{}\" (strategy or staff)",
                                      options.compare_dimension));
      }
      options.compare_values = absl::StrSplit(text.substr(equals + 1), ',', absl::SkipEmpty());
      if (options.compare_values.empty()) return UsageError("--compare: no values given");
    } else if (!arg.empty() && arg[0] == '-') {
      return UsageError(fmt::format("unknown option {}", arg));
    } else if (have_scenario) {
      return UsageError("more than one scenario given");
    } else {
      options.scenario = std::string(arg);
      have_scenario = true;
    }
  }
  if (!options.timeline.empty() && !options.compare_dimension.empty()) {
    return UsageError("--timeline and --compare exclude each other");
  }
  return 0;
}

// The variants a comparison runs, or the scenario alone.
int Variants(const Options& options, const omniroute::sim::Scenario& scenario,
             std::vector<std::pair<std::string, omniroute::sim::Scenario>>& variants) {
  if (options.compare_dimension.empty()) {
    variants.emplace_back("", scenario);
    return 0;
  }
  for (const std::string& value : options.compare_values) {
    absl::StatusOr<omniroute::sim::Scenario> varied;
    if (options.compare_dimension == "strategy") {
      varied = omniroute::sim::WithStrategy(scenario, value);
    } else {
      double factor = 0;
      const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), factor);
      if (error != std::errc() || end != value.data() + value.size()) {
        return UsageError(fmt::format("--compare staff: \"{}\" is not a number", value));
      }
      varied = omniroute::sim::WithStaffing(scenario, factor);
    }
    if (!varied.ok()) {
      return UsageError(fmt::format("--compare {}: {}", options.compare_dimension,
                                    std::string(varied.status().message())));
    }
    variants.emplace_back(value, *std::move(varied));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (const int status = ParseArgs(argc, argv, options); status != 0) {
    return status < 0 ? 0 : status;
  }
  absl::StatusOr<omniroute::sim::Scenario> scenario =
      omniroute::sim::LoadScenarioFile(options.scenario);
  if (!scenario.ok()) {
    std::fprintf(stderr, "omniroute-sim: %s: %s\n", options.scenario.c_str(),
                 std::string(scenario.status().message()).c_str());
    return 2;
  }
  if (options.seed) scenario->seed = *options.seed;
  std::vector<std::pair<std::string, omniroute::sim::Scenario>> variants;
  if (const int status = Variants(options, *scenario, variants); status != 0) return status;

  const bool terminal = isatty(STDERR_FILENO) != 0;
  std::vector<omniroute::sim::Report> reports;
  for (const auto& [label, variant] : variants) {
    ProgressBar bar(label.empty() ? "simulating" : fmt::format("simulating {}", label));
    omniroute::sim::SimulateOptions run_options{.label = label, .time_engine = !options.quiet};
    if (terminal && !options.quiet) run_options.progress = [&bar](double f) { bar.Show(f); };
    absl::StatusOr<omniroute::sim::Report> report = omniroute::sim::Simulate(variant, run_options);
    if (terminal && !options.quiet) bar.Clear();
    if (!report.ok()) {
      std::fprintf(stderr, "omniroute-sim: %s: %s\n", options.scenario.c_str(),
                   std::string(report.status().message()).c_str());
      const absl::StatusCode code = report.status().code();
      return code == absl::StatusCode::kInternal ? 1 : 2;
    }
    if (!options.quiet) {
      const omniroute::sim::RunCost& cost = report->cost;
      std::fprintf(stderr,
                   "omniroute-sim: %s%s%llu contacts, %llu engine commands, %llu engine events in "
                   "%.2f s (%.0f %% inside the engine)\n",
                   label.c_str(), label.empty() ? "" : ": ",
                   static_cast<unsigned long long>(cost.contacts),
                   static_cast<unsigned long long>(cost.engine_commands),
                   static_cast<unsigned long long>(cost.engine_events), cost.wall_seconds,
                   cost.wall_seconds > 0 ? 100 * cost.engine_seconds / cost.wall_seconds : 0.0);
    }
    reports.push_back(*std::move(report));
  }

  if (!options.timeline.empty()) {
    std::ofstream file(options.timeline, std::ios::binary | std::ios::trunc);
    file << omniroute::sim::TimelineCsv(reports.front());
    file.close();
    if (!file) {
      std::fprintf(stderr, "omniroute-sim: cannot write %s\n", options.timeline.c_str());
      return 1;
    }
  }
  std::string out;
  if (options.compare_dimension.empty()) {
    out = options.json ? omniroute::sim::ReportJson(reports.front())
                       : omniroute::sim::ReportTable(reports.front());
  } else {
    out = options.json ? omniroute::sim::ComparisonJson(options.compare_dimension, reports)
                       : omniroute::sim::ComparisonTable(options.compare_dimension, reports);
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}
