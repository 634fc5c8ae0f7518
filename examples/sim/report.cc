#include "report.h"

#include <algorithm>
#include <functional>
#include <string>

#include "absl/time/time.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"

namespace omniroute::sim {
namespace {

using Json = nlohmann::ordered_json;

double Ratio(double part, double whole, double if_empty) {
  return whole > 0 ? part / whole : if_empty;
}

Json FiguresJson(const Figures& f) {
  Json j;
  j["offered"] = f.offered;
  j["answered"] = f.answered;
  j["abandoned"] = f.abandoned;
  j["unfinished"] = f.unfinished;
  j["service_level"] = f.ServiceLevel();
  j["p_wait"] = f.PWait();
  j["asa_seconds"] = f.AverageAnswerSeconds();
  j["wait_p90_seconds"] = f.waits.Quantile(0.9);
  j["max_wait_seconds"] = f.max_wait_seconds;
  j["abandon_rate"] = f.AbandonRate();
  j["average_queue_seconds"] = f.AverageQueueSeconds();
  j["average_handle_seconds"] = f.AverageHandleSeconds();
  j["answered_within"] = f.answered_within;
  j["abandoned_after"] = f.abandoned_after;
  return j;
}

Json SlicesJson(const std::vector<std::pair<std::string, Figures>>& slices) {
  Json j = Json::object();
  for (const auto& [name, figures] : slices) j[name] = FiguresJson(figures);
  return j;
}

Json ReportObject(const Report& r) {
  Json j;
  if (!r.label.empty()) j["label"] = r.label;
  j["scenario"] = {{"duration_hours", r.duration_hours},
                   {"warmup_hours", r.warmup_hours},
                   {"seed", r.seed},
                   {"measured_hours", r.measured_hours},
                   {"run_hours", r.run_hours}};
  j["total"] = FiguresJson(r.total);
  Json queues = Json::object();
  for (size_t q = 0; q < r.queues.size(); ++q) {
    Json figures = FiguresJson(r.queues[q].second);
    figures["service_level_seconds"] = r.queue_thresholds[q];
    queues[r.queues[q].first] = std::move(figures);
  }
  j["queues"] = std::move(queues);
  j["priorities"] = SlicesJson(r.priorities);
  j["tiers"] = SlicesJson(r.tiers);
  j["channels"] = SlicesJson(r.channels);
  Json groups = Json::object();
  for (const GroupFigures& g : r.groups) {
    groups[g.name] = {{"agents", g.agents},
                      {"occupancy", g.occupancy},
                      {"staffed_agent_hours", g.staffed_agent_hours},
                      {"average_logged_in", g.average_logged_in},
                      {"handled", g.handled}};
  }
  j["agent_groups"] = std::move(groups);
  Json streams = Json::array();
  for (const StreamFigures& s : r.streams) {
    streams.push_back({{"name", s.name},
                       {"arrived", s.arrived},
                       {"bot_contained", s.bot_contained},
                       {"handed_over", s.handed_over}});
  }
  j["arrivals"] = std::move(streams);
  const EngineKpis& k = r.engine;
  Json escalations = Json::object();
  for (const auto& [key, count] : k.escalations) {
    escalations[fmt::format("{}/{}", key.first, key.second)] = count;
  }
  j["engine"] = {
      {"submitted", k.submitted},
      {"answered", k.answered},
      {"average_first_response_seconds", absl::ToDoubleSeconds(k.average_first_response)},
      {"average_resolution_seconds", absl::ToDoubleSeconds(k.average_resolution)},
      {"first_contact_resolution", k.first_contact_resolution},
      {"sla_on_time", k.on_time},
      {"abandoned", k.abandoned},
      {"abandonment_rate", k.abandonment_rate},
      {"resolved", k.resolved},
      {"transfers", k.transfers},
      {"sla_warnings", r.sla_warnings},
      {"sla_breaches", r.sla_breaches},
      {"escalation_events", r.escalation_events},
      {"escalations", std::move(escalations)}};
  return j;
}

std::string Percent(double share) { return fmt::format("{:.1f} %", share * 100); }

void FiguresHeader(std::string& out, std::string_view title) {
  out += fmt::format("{:<16} {:>9} {:>9} {:>9} {:>8} {:>8} {:>8} {:>9} {:>8}\n", title, "offered",
                     "answered", "abandoned", "SL", "P(wait)", "ASA s", "p90 wait", "abandon");
}

void FiguresLine(std::string& out, std::string_view name, const Figures& f) {
  out +=
      fmt::format("{:<16} {:>9} {:>9} {:>9} {:>8} {:>8} {:>8.1f} {:>9.1f} {:>8}\n", name, f.offered,
                  f.answered, f.abandoned, Percent(f.ServiceLevel()), Percent(f.PWait()),
                  f.AverageAnswerSeconds(), f.waits.Quantile(0.9), Percent(f.AbandonRate()));
}

// A metric of a comparison row: its name and how to read it from a report.
struct Row {
  std::string name;
  std::function<std::string(const Report&)> value;
};

}  // namespace

void Figures::AddAnswered(double wait_seconds, double threshold_seconds, double handle) {
  ++answered;
  if (wait_seconds <= threshold_seconds) ++answered_within;
  if (wait_seconds > 0) ++answered_after_wait;
  answered_wait_seconds += wait_seconds;
  handle_seconds += handle;
  max_wait_seconds = std::max(max_wait_seconds, wait_seconds);
  waits.Add(wait_seconds);
}

void Figures::AddAbandoned(double wait_seconds, double threshold_seconds) {
  ++abandoned;
  if (wait_seconds > threshold_seconds) ++abandoned_after;
  abandoned_wait_seconds += wait_seconds;
  max_wait_seconds = std::max(max_wait_seconds, wait_seconds);
}

double Figures::ServiceLevel() const {
  return Ratio(static_cast<double>(answered_within),
               static_cast<double>(answered + abandoned_after), 1.0);
}

double Figures::PWait() const {
  return Ratio(static_cast<double>(answered_after_wait), static_cast<double>(answered), 0.0);
}

double Figures::AverageAnswerSeconds() const {
  return Ratio(answered_wait_seconds, static_cast<double>(answered), 0.0);
}

double Figures::AverageQueueSeconds() const {
  return Ratio(answered_wait_seconds + abandoned_wait_seconds,
               static_cast<double>(answered + abandoned), 0.0);
}

double Figures::AbandonRate() const {
  return Ratio(static_cast<double>(abandoned), static_cast<double>(answered + abandoned), 0.0);
}

double Figures::AverageHandleSeconds() const {
  return Ratio(handle_seconds, static_cast<double>(answered), 0.0);
}

std::string ReportJson(const Report& report) { return ReportObject(report).dump(2) + "\n"; }

std::string ComparisonJson(const std::string& dimension, const std::vector<Report>& reports) {
  Json j;
  j["compare"] = dimension;
  Json runs = Json::array();
  for (const Report& r : reports) runs.push_back(ReportObject(r));
  j["runs"] = std::move(runs);
  return j.dump(2) + "\n";
}

std::string ReportTable(const Report& r) {
  std::string out;
  out += fmt::format("{:.1f} h measured after a {:.1f} h warm-up (seed {}); {:.1f} h simulated\n\n",
                     r.measured_hours, r.warmup_hours, r.seed, r.run_hours);
  FiguresHeader(out, "queue");
  for (size_t q = 0; q < r.queues.size(); ++q) {
    FiguresLine(out, fmt::format("{} ({:g}s)", r.queues[q].first, r.queue_thresholds[q]),
                r.queues[q].second);
  }
  FiguresLine(out, "all", r.total);
  out += "\n";
  FiguresHeader(out, "priority");
  for (const auto& [name, f] : r.priorities) {
    if (f.offered > 0) FiguresLine(out, name, f);
  }
  for (const auto& [name, f] : r.tiers) {
    if (f.offered > 0) FiguresLine(out, "tier " + name, f);
  }
  for (const auto& [name, f] : r.channels) {
    if (f.offered > 0) FiguresLine(out, "channel " + name, f);
  }
  out += fmt::format("\n{:<16} {:>9} {:>10} {:>12} {:>12} {:>9}\n", "agent group", "roster",
                     "occupancy", "logged in", "agent hours", "handled");
  for (const GroupFigures& g : r.groups) {
    out += fmt::format("{:<16} {:>9} {:>10} {:>12.1f} {:>12.1f} {:>9}\n", g.name, g.agents,
                       Percent(g.occupancy), g.average_logged_in, g.staffed_agent_hours, g.handled);
  }
  bool bots = false;
  for (const StreamFigures& s : r.streams) bots = bots || s.bot_contained + s.handed_over > 0;
  if (bots) {
    out += fmt::format("\n{:<24} {:>9} {:>14} {:>12}\n", "bot stream", "arrived", "bot contained",
                       "handed over");
    for (const StreamFigures& s : r.streams) {
      if (s.bot_contained + s.handed_over == 0) continue;
      out += fmt::format("{:<24} {:>9} {:>14} {:>12}\n", s.name, s.arrived, s.bot_contained,
                         s.handed_over);
    }
  }
  const EngineKpis& k = r.engine;
  out += fmt::format(
      "\nengine (whole run): AFR {:.1f} s, ART {:.1f} s, FCR {}, SLA on time {}, "
      "abandonment {}, {} SLA warnings, {} breaches, {} escalations\n",
      absl::ToDoubleSeconds(k.average_first_response), absl::ToDoubleSeconds(k.average_resolution),
      Percent(k.first_contact_resolution), Percent(k.on_time), Percent(k.abandonment_rate),
      r.sla_warnings, r.sla_breaches, r.escalation_events);
  for (const auto& [key, count] : k.escalations) {
    out += fmt::format("  escalated into {}/{}: {}\n", key.first, key.second, count);
  }
  return out;
}

std::string ComparisonTable(const std::string& dimension, const std::vector<Report>& reports) {
  if (reports.empty()) return "";
  std::vector<Row> rows;
  const Report& first = reports.front();
  for (size_t q = 0; q < first.queues.size(); ++q) {
    const std::string& name = first.queues[q].first;
    auto figures = [q](const Report& r) -> const Figures& { return r.queues[q].second; };
    rows.push_back({name + " service level",
                    [figures](const Report& r) { return Percent(figures(r).ServiceLevel()); }});
    rows.push_back(
        {name + " P(wait)", [figures](const Report& r) { return Percent(figures(r).PWait()); }});
    rows.push_back({name + " ASA s", [figures](const Report& r) {
                      return fmt::format("{:.1f}", figures(r).AverageAnswerSeconds());
                    }});
    rows.push_back({name + " p90 wait s", [figures](const Report& r) {
                      return fmt::format("{:.1f}", figures(r).waits.Quantile(0.9));
                    }});
    rows.push_back({name + " abandon",
                    [figures](const Report& r) { return Percent(figures(r).AbandonRate()); }});
  }
  rows.push_back(
      {"all service level", [](const Report& r) { return Percent(r.total.ServiceLevel()); }});
  rows.push_back({"all ASA s", [](const Report& r) {
                    return fmt::format("{:.1f}", r.total.AverageAnswerSeconds());
                  }});
  rows.push_back({"all abandon", [](const Report& r) { return Percent(r.total.AbandonRate()); }});
  for (size_t g = 0; g < first.groups.size(); ++g) {
    rows.push_back({first.groups[g].name + " occupancy",
                    [g](const Report& r) { return Percent(r.groups[g].occupancy); }});
    rows.push_back({first.groups[g].name + " roster",
                    [g](const Report& r) { return fmt::format("{}", r.groups[g].agents); }});
  }
  rows.push_back({"SLA on time", [](const Report& r) { return Percent(r.engine.on_time); }});
  rows.push_back(
      {"escalations", [](const Report& r) { return fmt::format("{}", r.escalation_events); }});
  size_t name_width = dimension.size();
  for (const Row& row : rows) name_width = std::max(name_width, row.name.size());
  std::vector<size_t> widths;
  for (const Report& r : reports) widths.push_back(std::max<size_t>(r.label.size(), 10));
  std::string out = fmt::format("{:<{}}", dimension, name_width);
  for (size_t i = 0; i < reports.size(); ++i) {
    out += fmt::format("  {:>{}}", reports[i].label, widths[i]);
  }
  out += "\n";
  for (const Row& row : rows) {
    out += fmt::format("{:<{}}", row.name, name_width);
    for (size_t i = 0; i < reports.size(); ++i) {
      out += fmt::format("  {:>{}}", row.value(reports[i]), widths[i]);
    }
    out += "\n";
  }
  return out;
}

std::string TimelineCsv(const Report& r) {
  std::string out = "start_hours,end_hours";
  auto queue_columns = [&out](const std::string& prefix) {
    for (const char* metric :
         {"arrivals", "answered", "abandoned", "waiting", "service_level", "asa_seconds"}) {
      out += fmt::format(",{}.{}", prefix, metric);
    }
  };
  for (const auto& [name, unused] : r.queues) queue_columns("queue." + name);
  queue_columns("all");
  for (const GroupFigures& g : r.groups) {
    out += fmt::format(",group.{}.occupancy,group.{}.logged_in", g.name, g.name);
  }
  out += "\n";
  auto queue_values = [&out](const TimelineRow::Queue& q) {
    const double answered = static_cast<double>(q.answered);
    out += fmt::format(",{},{},{},{},{:.4f},{:.2f}", q.arrivals, q.answered, q.abandoned,
                       q.waiting_at_end,
                       Ratio(static_cast<double>(q.answered_within),
                             static_cast<double>(q.answered + q.abandoned_after), 1.0),
                       Ratio(q.answered_wait_seconds, answered, 0.0));
  };
  for (const TimelineRow& row : r.timeline) {
    out += fmt::format("{:.4f},{:.4f}", row.start_hours, row.end_hours);
    TimelineRow::Queue all;
    for (const TimelineRow::Queue& q : row.queues) {
      queue_values(q);
      all.arrivals += q.arrivals;
      all.answered += q.answered;
      all.abandoned += q.abandoned;
      all.answered_within += q.answered_within;
      all.abandoned_after += q.abandoned_after;
      all.answered_wait_seconds += q.answered_wait_seconds;
      all.waiting_at_end += q.waiting_at_end;
    }
    queue_values(all);
    for (const TimelineRow::Group& g : row.groups) {
      out += fmt::format(",{:.4f},{:.2f}", g.occupancy, g.average_logged_in);
    }
    out += "\n";
  }
  return out;
}

}  // namespace omniroute::sim
