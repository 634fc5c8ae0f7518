// Queueing formulas of the contact centre: Erlang B (M/M/N/N), Erlang C (M/M/N) and Erlang A
// (M/M/N+M, exponential patience). The simulator's theory tests check it against them.
//
//   double b = omniroute::sim::ErlangB(15, 8.108);            // about 0.01
//   double c = omniroute::sim::ErlangC(11, 10.0);             // P(an arrival waits)
//   double sl = omniroute::sim::ErlangCServiceLevel(11, 10.0, /*service_rate=*/1.0 / 180,
//                                                   /*threshold=*/20);
//   omniroute::sim::ErlangAResult a =
//       omniroute::sim::ErlangA(10, /*arrival_rate=*/1.0 / 30, /*service_rate=*/1.0 / 300,
//                               /*abandon_rate=*/1.0 / 600);
//   a.p_abandon; a.p_wait; a.mean_queue_time;
//
// Units: rates are per any time unit, times in the same unit (seconds above); the offered load is
// arrival_rate / service_rate in Erlangs. Every function is O(N) and numerically stable for large N
// (tens of thousands of servers): none forms a^N or N!.
//
// Sources:
// - Erlang B by the recursion B(0) = 1, B(n) = a B(n-1) / (n + a B(n-1)), e.g. D. L. Jagerman,
//   "Some properties of the Erlang loss function", Bell System Technical Journal 53(3), 1974;
//   every step stays in (0, 1].
// - Erlang C from Erlang B, C = N B / (N - a (1 - B)); the waiting time of M/M/N under FIFO is
//   zero with probability 1 - C and else exponential with rate N mu - lambda, so
//   P(W <= t) = 1 - C exp(-(N mu - lambda) t) and E[W] = C / (N mu - lambda). L. Kleinrock,
//   "Queueing Systems, Volume 1: Theory", Wiley 1975, section 3.5 (eq. 3.40 ff.); N. Gans,
//   G. Koole & A. Mandelbaum, "Telephone call centers: tutorial, review, and research prospects",
//   Manufacturing & Service Operations Management 5(2), 2003, section 4.1.
// - Erlang A: the stationary distribution of the birth-death process of M/M/N+M (birth rate
//   lambda; death rate min(n, N) mu + max(n - N, 0) theta), as in O. Garnett, A. Mandelbaum &
//   M. Reiman, "Designing a call center with impatient customers", Manufacturing & Service
//   Operations Management 4(3), 2002, section 3. By PASTA an arrival waits with probability
//   P(n >= N); the abandonment rate is theta E[Lq] / lambda (customers in queue abandon at rate
//   theta each); the mean time in queue of all arrivals is E[Lq] / lambda (Little). The terms are
//   summed in log space from the mode, until they drop below 1e-18 of it.
//
// Thread safety: pure functions, thread-safe.
#ifndef OMNIROUTE_EXAMPLES_SIM_ERLANG_H_
#define OMNIROUTE_EXAMPLES_SIM_ERLANG_H_

namespace omniroute::sim {

// Erlang B: the blocking probability of `servers` (>= 0) servers offered `load` (>= 0) Erlangs.
// 1 for zero servers with a positive load; 0 for zero load and some servers.
double ErlangB(int servers, double load);

// Erlang C: the probability that an arrival waits in M/M/`servers` with `load` Erlangs. 1 when
// load >= servers (the queue is unstable).
double ErlangC(int servers, double load);

// P(wait <= threshold) in M/M/N under FIFO; 0 when unstable. Rates per time unit, threshold in
// the same unit.
double ErlangCServiceLevel(int servers, double arrival_rate, double service_rate, double threshold);

// The mean wait of all arrivals (ASA) in M/M/N; +infinity when unstable.
double ErlangCAverageWait(int servers, double arrival_rate, double service_rate);

// The figures of M/M/N+M in steady state.
struct ErlangAResult {
  double p_wait = 0;           // an arrival finds all servers busy
  double p_abandon = 0;        // an arrival abandons
  double mean_queue_time = 0;  // mean time in queue of all arrivals (served or not)
  double mean_queue_length = 0;
  double occupancy = 0;  // mean busy servers / servers
};

// Erlang A with `servers` >= 1 and positive rates; `abandon_rate` is 1 / mean patience (> 0; it
// is stable for every load).
ErlangAResult ErlangA(int servers, double arrival_rate, double service_rate, double abandon_rate);

}  // namespace omniroute::sim

#endif  // OMNIROUTE_EXAMPLES_SIM_ERLANG_H_
