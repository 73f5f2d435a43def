"""exec bin/hk-tick-collector in place of this Python process.

The binary is looked up, in order: $HK_TICK_COLLECTOR_BIN,
<repo>/bin/hk-tick-collector, <repo>/build/bin/hk-tick-collector.
os.execv keeps the PID (systemd's MainPID), the environment (systemd's
EnvironmentFile= values) and signal delivery; nothing Python stays running.
"""
import os
import sys

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def find_binary():
    env = os.environ.get("HK_TICK_COLLECTOR_BIN", "")
    candidates = [env] if env else []
    candidates += [
        os.path.join(_REPO, "bin", "hk-tick-collector"),
        os.path.join(_REPO, "build", "bin", "hk-tick-collector"),
    ]
    for path in candidates:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def main(argv=None):
    args = list(sys.argv[1:] if argv is None else argv)
    binary = find_binary()
    if binary is None:
        sys.stderr.write(
            "[FAIL] hk-tick-collector binary not found (looked in %s/bin and "
            "%s/build/bin); build it with `make build`\n" % (_REPO, _REPO))
        return 1
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(binary, [binary] + args)
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main())
