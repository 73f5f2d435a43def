"""Shared by the runbook-003 wrapper scripts: find qte-engine and its
configuration, then exec it (the wrappers hold no logic of their own).

Binary: $QTE_BIN, else /opt/qte/bin/qte-engine, else build/bin/qte-engine
of the checkout these scripts sit in. Configuration: $QTE_CONFIG, else
/opt/qte/config/qte.env when it exists, else none (environment only).
Under deploy.sh's QTE_PREFIX (a staging root) both defaults move below it,
as does perf-test's baseline ($QTE_PERF_BASELINE, else
/opt/qte/perf_baseline.json).
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PREFIX = os.environ.get("QTE_PREFIX", "")


def find_binary():
    cands = [os.environ.get("QTE_BIN", ""),
             PREFIX + "/opt/qte/bin/qte-engine",
             os.path.join(HERE, "..", "..", "build", "bin", "qte-engine")]
    for c in cands:
        if c and os.access(c, os.X_OK):
            return c
    sys.exit("qte-engine not found (set QTE_BIN, or run deploy.sh deploy full)")


def exec_cli(args):
    argv = [find_binary()] + args
    # perf-test's baseline lives with the installation.
    os.environ.setdefault("QTE_PERF_BASELINE",
                          PREFIX + "/opt/qte/perf_baseline.json")
    conf = os.environ.get("QTE_CONFIG") or PREFIX + "/opt/qte/config/qte.env"
    if os.path.isfile(conf):
        argv += ["--config", conf]
    sys.stdout.flush()
    os.execv(argv[0], argv)
