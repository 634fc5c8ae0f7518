#!/usr/bin/env python3
"""Commands per second through the Python bindings, against the C++ engine on the same workload.

The workload (config, agents, a stream of submit / update / respond / pause / customer_message /
resolve / confirm / advance_to commands, events polled every 1,024 commands) is generated here by
the same rules and seed as benchmarks/engine_python_workload_benchmark.cc, whose file comment
describes it. The script

1. runs the C++ benchmark binary (``--benchmark_format=json``) for its commands per second;
2. applies the workload from Python one call at a time (``eng.submit(...)``, ``eng.respond(...)``
   ..., the way a script drives the engine) and in bulk (``eng.apply(chunk)`` per 1,024 commands,
   the commands given as dicts);
3. checks that every run ends in the C++ run's state (the engines' state digests agree), and
   prints the rates and the ratios C++ / Python. Goals: bulk within 3x of C++, one call at a time
   within 30x.

Rates are per CPU second of the process (the C++ side's default too); each Python mode takes the
best of ``--repeat`` runs. Build in Release or RelWithDebInfo, then:

    PYTHONPATH=build/release/python python3 benchmarks/python_engine_benchmark.py \\
        --binary build/release/benchmarks/engine_python_workload_benchmark
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import pathlib
import subprocess
import sys
import time
from typing import Any, Callable

import omniroute as om

CONFIG = """{
  "calendars": {"office": {"tz": "Europe/Berlin",
                           "week": {"mon": ["08:00-20:00"], "tue": ["08:00-20:00"],
                                    "wed": ["08:00-20:00"], "thu": ["08:00-20:00"],
                                    "fri": ["08:00-20:00"]}}},
  "skills": ["s0", "s1", "s2", "s3"],
  "sla_policies": [{"name": "tiered", "calendar": "office", "warn_at": [0.5, 0.8],
                    "targets": {"A": {"first_response": "1m", "resolution": "30m"},
                                "B": {"first_response": "5m", "resolution": "2h"},
                                "C": {"first_response": "1h", "resolution": "8h"}}}],
  "escalation": {"name": "support",
                 "levels": [{"name": "L1"},
                            {"name": "L2", "actions": [{"kind": "raise_priority_by", "amount": 1}]}],
                 "rules": [{"trigger": {"kind": "tag", "value": "upset"}, "from_level": "L1",
                            "to_level": "L2"}]},
  "queues": [{"name": "q0", "sla_policy": "tiered", "auto_accept": true, "preferred_agent_window": 0},
             {"name": "q1", "sla_policy": "tiered", "auto_accept": true, "preferred_agent_window": 0},
             {"name": "q2", "sla_policy": "tiered", "auto_accept": true, "preferred_agent_window": 0},
             {"name": "q3", "sla_policy": "tiered", "auto_accept": true, "preferred_agent_window": 0}],
  "origin": "2026-11-23T07:00:00Z"
}"""

SEED = 20261123
STEPS = 20000
AGENTS = 40
QUEUES = 4
POLL_EVERY = 1024
ORIGIN = dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.timezone.utc)
MASK64 = (1 << 64) - 1
LOW52 = (1 << 52) - 1


def splitmix64(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


def draw(step: int) -> int:
    return splitmix64(SEED + step)


def workload() -> list[dict[str, Any]]:
    """The commands, as dicts of the Engine methods' parameters plus "kind"."""
    commands: list[dict[str, Any]] = []
    for a in range(AGENTS):
        commands.append({
            "kind": "add_agent",
            "id": f"a{a}",
            "skills": {f"s{s}": 1 + (a + s) % 5 for s in range(QUEUES)},
            "capacity": {"chat": 4},
            "queues": [f"q{s}" for s in range(QUEUES)],
            "at": ORIGIN,
        })
        commands.append({"kind": "set_agent_state", "agent": f"a{a}", "state": "available", "at": ORIGIN})
    for i in range(STEPS):
        at = ORIGIN + dt.timedelta(seconds=60 + 2 * i)
        x = draw(i)
        submit = {
            "kind": "submit",
            "id": f"t{i}",
            "queue": f"q{i % QUEUES}",
            "channel": "chat",
            "priority": "ABC"[x % 3],
            "requires": {f"s{i % QUEUES}": 1},
            "at": at,
        }
        if (x >> 8) % 20 == 0:
            submit["tags"] = ["upset"]
        commands.append(submit)
        if i >= 10 and (draw(i - 10) >> 16) % 10 == 0:
            commands.append({"kind": "update", "item": f"t{i - 10}", "priority": "A", "at": at})
        if i >= 20:
            commands.append({"kind": "respond", "item": f"t{i - 20}", "at": at})
        if i >= 30 and (draw(i - 30) >> 24) % 10 == 0:
            commands.append({"kind": "pause", "item": f"t{i - 30}", "reason": "customer", "at": at})
        if i >= 40 and (draw(i - 40) >> 24) % 10 == 0:
            commands.append({"kind": "customer_message", "item": f"t{i - 40}", "at": at})
        if i >= 60:
            commands.append({"kind": "resolve", "item": f"t{i - 60}", "at": at})
        if i >= 80:
            commands.append({"kind": "confirm", "item": f"t{i - 80}", "at": at})
        if i % 4 == 3:
            commands.append({"kind": "advance_to", "at": at + dt.timedelta(seconds=1)})
    return commands


class Run:
    """One pass over the workload: CPU and wall seconds, the final digest and the events seen."""

    def __init__(self, cpu: float, wall: float, digest: int, events: int) -> None:
        self.cpu, self.wall, self.digest, self.events = cpu, wall, digest, events


def one_at_a_time(commands: list[dict[str, Any]]) -> Run:
    engine = om.Engine(CONFIG)
    calls = []
    for command in commands:
        arguments = dict(command)
        calls.append((getattr(engine, arguments.pop("kind")), arguments))
    events = 0
    cpu, wall = time.process_time(), time.perf_counter()
    for n, (method, arguments) in enumerate(calls, 1):
        method(**arguments)
        if n % POLL_EVERY == 0:
            events += len(engine.poll_events())
    events += len(engine.poll_events())
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return Run(cpu, wall, engine.state_digest(), events)


def bulk(commands: list[dict[str, Any]]) -> Run:
    engine = om.Engine(CONFIG)
    chunks = [commands[i : i + POLL_EVERY] for i in range(0, len(commands), POLL_EVERY)]
    events = 0
    cpu, wall = time.process_time(), time.perf_counter()
    for chunk in chunks:
        engine.apply(chunk)
        events += len(engine.poll_events())
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return Run(cpu, wall, engine.state_digest(), events)


def best(mode: Callable[[list[dict[str, Any]]], Run], commands: list[dict[str, Any]], repeat: int) -> Run:
    runs = [mode(commands) for _ in range(repeat)]
    if len({(r.digest, r.events) for r in runs}) != 1:
        sys.exit(f"{mode.__name__}: runs of the same commands ended in different states")
    return min(runs, key=lambda r: r.cpu)


def cxx_benchmark(binary: pathlib.Path) -> dict[str, Any]:
    output = subprocess.run(
        [str(binary), "--benchmark_format=json", "--benchmark_filter=BM_PythonWorkload"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output)["benchmarks"][0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_binary = pathlib.Path(__file__).resolve().parent.parent / "build/release/benchmarks/engine_python_workload_benchmark"
    parser.add_argument("--binary", type=pathlib.Path, default=default_binary, help="the C++ benchmark binary")
    parser.add_argument("--repeat", type=int, default=3, help="runs per Python mode (the best counts)")
    args = parser.parse_args()

    commands = workload()
    cxx = cxx_benchmark(args.binary)
    if int(cxx["commands"]) != len(commands):
        sys.exit(f"the C++ workload has {int(cxx['commands'])} commands, this one {len(commands)}")
    cxx_rate = cxx["commands_per_second"]
    rows = [("C++ Engine::Apply, one command at a time", cxx_rate, None, None)]
    for label, mode, goal in (
        ("Python, one call at a time", one_at_a_time, 30.0),
        ("Python, bulk apply() of dicts", bulk, 3.0),
    ):
        run = best(mode, commands, args.repeat)
        if run.digest & LOW52 != int(cxx["state_digest_low52"]) or run.events != int(cxx["events"]):
            sys.exit(f"{label}: the final state differs from the C++ run's")
        rows.append((label, len(commands) / run.cpu, cxx_rate * run.cpu / len(commands), goal))

    print(f"omniroute {om.__version__}: {len(commands):,} commands ({STEPS:,} steps), {int(cxx['events']):,} events;"
          " the same final state on every side")
    for label, rate, ratio, goal in rows:
        line = f"{label:<42} {rate:>12,.0f} commands/s"
        if ratio is not None:
            line += f"   C++/Python {ratio:5.2f}x (goal <= {goal:.0f}x)"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
