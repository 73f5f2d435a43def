#!/usr/bin/env python3
"""Runbook 003 `python3 deployment/scripts/healthcheck.py`: runs
`qte-engine healthcheck` (one line per check; exit 0 healthy, 1 not)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qte_cli import exec_cli  # noqa: E402

exec_cli(["healthcheck"] + sys.argv[1:])
