#!/usr/bin/env python3
"""Charts of an omniroute-sim timeline: contacts waiting, service level and occupancy per interval.

    omniroute-sim SCENARIO.json --timeline timeline.csv
    examples/sim/plot_timeline.py timeline.csv timeline.png [--title TEXT] [--queues a,b]
                                  [--from-hours H] [--to-hours H]

The CSV has one row per interval: start_hours, end_hours, then per queue
queue.<name>.{arrivals,answered,abandoned,waiting,service_level,asa_seconds}, the same for all
queues as all.*, and per agent group group.<name>.{occupancy,logged_in}. Needs matplotlib
(Debian's python3-matplotlib).
"""

import argparse
import csv
import sys

import matplotlib

matplotlib.use("Agg")  # files only, no display needed
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)


def read_timeline(path, from_hours=None, to_hours=None):
    """Returns (hours, queues, groups): interval midpoints, {queue: {metric: [..]}}, {group: ..}.

    Only intervals that start at or after `from_hours` and end at or before `to_hours` count.
    """
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rows = [r for r in rows
            if (from_hours is None or float(r["start_hours"]) >= from_hours)
            and (to_hours is None or float(r["end_hours"]) <= to_hours)]
    if not rows:
        raise ValueError(f"{path}: no intervals in the range")
    hours = [(float(r["start_hours"]) + float(r["end_hours"])) / 2 for r in rows]
    queues, groups = {}, {}
    for column in rows[0]:
        if column.startswith("queue."):
            name, metric = column[len("queue."):].rsplit(".", 1)
            target = queues.setdefault(name, {})
        elif column.startswith("all."):
            name, metric = "all", column[len("all."):]
            target = queues.setdefault(name, {})
        elif column.startswith("group."):
            name, metric = column[len("group."):].rsplit(".", 1)
            target = groups.setdefault(name, {})
        else:
            continue
        target[metric] = [float(r[column]) for r in rows]
    return hours, queues, groups


def plot(hours, queues, groups, output, title, only_queues):
    names = [q for q in queues if q != "all" and (not only_queues or q in only_queues)]
    figure, (waiting, level, occupancy) = plt.subplots(3, 1, figsize=(12, 10), sharex=True)
    for name in names:
        waiting.plot(hours, queues[name]["waiting"], label=name, linewidth=1)
        level.plot(hours, [100 * v for v in queues[name]["service_level"]], label=name,
                   linewidth=1)
    waiting.set_ylabel("contacts waiting\n(end of interval)")
    waiting.legend(loc="upper right", fontsize="small", ncol=3)
    level.set_ylabel("service level %\n(answered within target)")
    level.set_ylim(0, 105)
    level.legend(loc="lower right", fontsize="small", ncol=3)
    for name, metrics in groups.items():
        occupancy.plot(hours, [100 * v for v in metrics["occupancy"]], label=name, linewidth=1)
    occupancy.set_ylabel("occupancy %")
    occupancy.set_ylim(0, 105)
    occupancy.set_xlabel("hours since the start")
    occupancy.legend(loc="lower right", fontsize="small", ncol=3)
    first, last = hours[0], hours[-1]
    step = 24 if last - first > 72 else 4
    start = int(first) // step * step
    occupancy.set_xticks(list(range(start, int(last) + step, step)))
    for axis in (waiting, level, occupancy):
        axis.grid(True, alpha=0.3)
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(output, dpi=100)
    plt.close(figure)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("timeline", help="CSV written by omniroute-sim --timeline")
    parser.add_argument("output", help="PNG file to write")
    parser.add_argument("--title", default="omniroute-sim timeline")
    parser.add_argument("--queues", default="", help="comma-separated queues to draw (all)")
    parser.add_argument("--from-hours", type=float, default=None, help="first hour to draw")
    parser.add_argument("--to-hours", type=float, default=None, help="last hour to draw")
    args = parser.parse_args(argv)
    try:
        hours, queues, groups = read_timeline(args.timeline, args.from_hours, args.to_hours)
    except (OSError, ValueError, KeyError) as error:
        print(f"plot_timeline: {error}", file=sys.stderr)
        return 2
    only = {q for q in args.queues.split(",") if q}
    unknown = only - set(queues)
    if unknown:
        print(f"plot_timeline: unknown queues: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    plot(hours, queues, groups, args.output, args.title, only)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
