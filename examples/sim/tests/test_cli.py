"""The omniroute-sim program as a user runs it: options, output, exit codes, the plot script.

Needs OMNIROUTE_SIM (the program's path); ctest sets it.
"""

import csv
import json
import os
import pathlib
import subprocess
import sys

import pytest

SIM = os.environ.get("OMNIROUTE_SIM", "")
PLOT = pathlib.Path(__file__).resolve().parent.parent / "plot_timeline.py"

SMALLEST = {
    "duration_hours": 30, "warmup_hours": 2, "seed": 1,
    "agent_groups": [{"name": "g", "count": 10, "skills": {"s": 1}, "capacity": {"voice": 1},
                      "queues": ["q"]}],
    "queues": [{"name": "q", "strategy": "longest_idle", "order": "priority_fifo",
                "service_level_seconds": 20}],
    "arrivals": [{"queue": "q", "channel": "voice", "rate_per_hour": 100, "requires": {"s": 1},
                  "handle_time": {"dist": "exponential", "mean_seconds": 300},
                  "patience": {"dist": "exponential", "mean_seconds": 600}}],
}

pytestmark = pytest.mark.skipif(not SIM, reason="OMNIROUTE_SIM is not set")


def run(*args):
    return subprocess.run([SIM, *map(str, args)], capture_output=True, text=True, timeout=300,
                          check=False)


@pytest.fixture(name="scenario")
def fixture_scenario(tmp_path):
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(SMALLEST))
    return path


def write(tmp_path, scenario):
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(scenario))
    return path


def test_json_has_the_documented_keys(scenario):
    result = run(scenario, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)  # stdout holds the JSON and nothing else
    queue = report["queues"]["q"]
    for key in ("offered", "answered", "abandoned", "service_level", "p_wait", "asa_seconds",
                "abandon_rate", "wait_p90_seconds"):
        assert key in queue, key
    assert queue["offered"] == queue["answered"] + queue["abandoned"] + queue["unfinished"]
    assert queue["abandon_rate"] == pytest.approx(
        queue["abandoned"] / (queue["answered"] + queue["abandoned"]))
    assert 0 < report["agent_groups"]["g"]["occupancy"] < 1
    assert report["scenario"]["seed"] == 1
    for key in ("sla_on_time", "escalations", "average_resolution_seconds"):
        assert key in report["engine"], key
    # Poisson(100 x 28) arrivals after the warm-up.
    assert abs(queue["offered"] - 2800) < 5 * 2800 ** 0.5


def test_same_seed_same_report_and_seed_override(scenario):
    first = run(scenario, "--json")
    again = run(scenario, "--json")
    assert first.stdout == again.stdout
    other = run(scenario, "--json", "--seed", 2)
    assert other.returncode == 0, other.stderr
    assert other.stdout != first.stdout
    assert json.loads(other.stdout)["scenario"]["seed"] == 2


def test_table_on_the_terminal(scenario):
    result = run(scenario)
    assert result.returncode == 0, result.stderr
    assert "q (20s)" in result.stdout
    assert "occupancy" in result.stdout
    # Not a terminal: no progress bar, only the one-line summary.
    assert "\r" not in result.stderr
    assert result.stderr.count("\n") == 1


def test_bad_scenarios_name_the_json_path(tmp_path):
    scenario = json.loads(json.dumps(SMALLEST))
    scenario["arrivals"][0]["handle_time"]["dist"] = "foo"
    result = run(write(tmp_path, scenario))
    assert result.returncode == 2
    assert 'arrivals[0].handle_time.dist: unknown distribution "foo"' in result.stderr
    assert result.stdout == ""

    scenario = json.loads(json.dumps(SMALLEST))
    scenario["queues"][0]["strategy"] = "fastest"
    result = run(write(tmp_path, scenario), "--json")
    assert result.returncode == 2
    assert "queues[0].strategy" in result.stderr

    result = run(tmp_path / "missing.json")
    assert result.returncode == 2
    assert "missing.json" in result.stderr


@pytest.mark.parametrize("args", [
    ["--bogus"],
    ["--seed"],
    ["--seed", "abc"],
    ["--compare", "colour=red"],
    ["--compare", "strategy=fastest"],
    ["--compare", "staff=0.9,lots"],
    ["--compare", "staff=1", "--timeline", "t.csv"],
    ["a.json", "b.json"],
])
def test_usage_errors(scenario, args):
    result = run(scenario, *args) if args[0] != "a.json" else run(*args)
    assert result.returncode == 2
    assert "usage: omniroute-sim" in result.stderr


def test_timeline_and_plot(scenario, tmp_path):
    timeline = tmp_path / "timeline.csv"
    result = run(scenario, "--timeline", timeline, "--quiet")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    with open(timeline, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 60  # 30 hours of 30 minutes
    for column in ("queue.q.arrivals", "queue.q.waiting", "queue.q.service_level",
                   "all.asa_seconds", "group.g.occupancy"):
        assert column in rows[0], column
    assert sum(int(r["queue.q.arrivals"]) for r in rows) > 2800
    pytest.importorskip("matplotlib")
    png = tmp_path / "timeline.png"
    plotted = subprocess.run([sys.executable, PLOT, timeline, png], capture_output=True,
                             text=True, timeout=120, check=False)
    assert plotted.returncode == 0, plotted.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    refused = subprocess.run([sys.executable, PLOT, timeline, png, "--queues", "nowhere"],
                             capture_output=True, text=True, timeout=120, check=False)
    assert refused.returncode == 2


def test_compare_strategies_and_staffing(scenario):
    result = run(scenario, "--compare", "strategy=longest_idle,least_occupied", "--json")
    assert result.returncode == 0, result.stderr
    compared = json.loads(result.stdout)
    assert compared["compare"] == "strategy"
    assert [r["label"] for r in compared["runs"]] == ["longest_idle", "least_occupied"]
    offered = {r["queues"]["q"]["offered"] for r in compared["runs"]}
    assert len(offered) == 1  # the same arrivals

    result = run(scenario, "--compare", "staff=0.8,1.2")
    assert result.returncode == 0, result.stderr
    header = result.stdout.splitlines()[0]
    assert "0.8" in header and "1.2" in header
    assert "q service level" in result.stdout
    rows = {line.split("  ")[0].strip(): line.split() for line in result.stdout.splitlines()}
    roster = rows["g roster"]
    assert roster[-2:] == ["8", "12"]
