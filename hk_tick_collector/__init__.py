"""Compatibility launcher for the C hk-tick-collector (compat.md §10.1).

Runbook step 4.3 uses ``ExecStart=…/.venv/bin/python -m hk_tick_collector.main``;
``main`` replaces the Python process with ``bin/hk-tick-collector`` via
``os.execv`` so PID, environment and signals stay the collector's.
"""
