#include "erlang.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace omniroute::sim {

double ErlangB(int servers, double load) {
  double b = 1.0;
  for (int n = 1; n <= servers; ++n) b = load * b / (n + load * b);
  return b;
}

double ErlangC(int servers, double load) {
  if (load >= servers) return 1.0;
  if (load <= 0) return 0.0;
  const double b = ErlangB(servers, load);
  return servers * b / (servers - load * (1.0 - b));
}

double ErlangCServiceLevel(int servers, double arrival_rate, double service_rate,
                           double threshold) {
  const double drain_rate = servers * service_rate - arrival_rate;
  if (drain_rate <= 0) return 0.0;
  const double c = ErlangC(servers, arrival_rate / service_rate);
  return 1.0 - c * std::exp(-drain_rate * threshold);
}

double ErlangCAverageWait(int servers, double arrival_rate, double service_rate) {
  const double drain_rate = servers * service_rate - arrival_rate;
  if (drain_rate <= 0) return std::numeric_limits<double>::infinity();
  return ErlangC(servers, arrival_rate / service_rate) / drain_rate;
}

ErlangAResult ErlangA(int servers, double arrival_rate, double service_rate, double abandon_rate) {
  // log pi_n relative to pi_N, for n = 0 .. N and then upwards until negligible.
  std::vector<double> log_terms(static_cast<size_t>(servers) + 1);
  log_terms[servers] = 0.0;
  for (int n = servers; n > 0; --n) {
    log_terms[n - 1] = log_terms[n] + std::log(n * service_rate / arrival_rate);
  }
  double log_max = *std::max_element(log_terms.begin(), log_terms.end());
  constexpr double kNegligible = -41.5;  // ln(1e-18)
  for (int waiting = 1;; ++waiting) {
    const double ratio = arrival_rate / (servers * service_rate + waiting * abandon_rate);
    const double next = log_terms.back() + std::log(ratio);
    log_terms.push_back(next);
    log_max = std::max(log_max, next);
    if (ratio < 1.0 && next - log_max < kNegligible) break;
  }
  double total = 0;
  double waiting_mass = 0;
  double queue_length = 0;
  double busy = 0;
  for (size_t n = 0; n < log_terms.size(); ++n) {
    const double p = std::exp(log_terms[n] - log_max);
    total += p;
    const int in_queue = static_cast<int>(n) - servers;
    if (in_queue >= 0) waiting_mass += p;
    if (in_queue > 0) queue_length += in_queue * p;
    busy += std::min<double>(static_cast<double>(n), servers) * p;
  }
  ErlangAResult result;
  result.p_wait = waiting_mass / total;
  result.mean_queue_length = queue_length / total;
  result.p_abandon = abandon_rate * result.mean_queue_length / arrival_rate;
  result.mean_queue_time = result.mean_queue_length / arrival_rate;
  result.occupancy = busy / total / servers;
  return result;
}

}  // namespace omniroute::sim
