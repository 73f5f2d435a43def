#!/usr/bin/env bash
# Runbook 002: manage storage: ClickHouse, hot-store (start hot), cold-store (start cold) on this host.
# Works from any directory; settings in config/marketprism.env at the
# repository root. Verbs: ./manage.sh --help; implementation in
# services/common/mp_svc.sh.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../../common/mp_lib.sh"
. "$here/../../common/mp_run.sh"
. "$here/../../common/mp_svc.sh"
mp_svc_main storage "$@"
