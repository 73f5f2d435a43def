#!/usr/bin/env python3
"""Runbook 003 `performance_monitor.py --test-only`: runs
`qte-engine perf-test --test-only` (replays a fixed synthetic day and
compares its throughput with the stored baseline; exit 1 on a regression
of more than 20 %). Other options pass through (--baseline PATH,
--update-baseline, --rows N, --threshold F)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qte_cli import exec_cli  # noqa: E402

exec_cli(["perf-test"] + sys.argv[1:])
