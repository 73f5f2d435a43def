#!/usr/bin/env bash
# Style gates of STYLE.md rule 15/20: banned functions and clang-format.
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h')
bad=$(grep -nE '(^|[^a-z_])(sprintf|vsprintf|strcat|strncat|gets)\(' $files || true)
if [ -n "$bad" ]; then
    echo "lint: banned functions (use snprintf and check truncation):"
    echo "$bad"
    exit 1
fi
# grep -q ending a pipeline in a test: it exits at its match, the writer dies
# of SIGPIPE and pipefail fails a check that held (tests/e2e/lib.sh: gq).
# test_sim_cli.sh runs without pipefail.
bad=$(git grep -nE '(^|[^\\|`])\|[[:space:]]*grep -[a-zA-Z]*q' -- 'tests/*.sh' ':!tests/e2e/test_sim_cli.sh' | grep -vE '^[^:]+:[0-9]+:[[:space:]]*#' || true)
if [ -n "$bad" ]; then
    echo "lint: 'cmd | grep -q' in a test can fail on SIGPIPE; use '| gq' or a here-string:"
    echo "$bad"
    exit 1
fi
unformatted=()
for f in $files; do
    if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
        unformatted+=("$f")
    fi
done
if [ "${#unformatted[@]}" -gt 0 ]; then
    echo "lint: not clang-formatted (run 'make format'): ${unformatted[*]}"
    exit 1
fi
echo "lint: ok ($(echo "$files" | wc -w) files)"
