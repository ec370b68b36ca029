#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Random captures against the Python model: test/offline/random.sh L2FRAGQ_BINARY
#
# Environment: L2FQ_RANDOM_SEED (default: the time; printed first, so a
# failure can be replayed), L2FQ_RANDOM_CASES (default 30), L2FQ_RANDOM_KEEP=DIR
# (keep the inputs of failing captures). See random_check.py. Ends with
# "N passed, M failed"; exits non-zero on any failure.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=test/lib.sh
. "$here/../lib.sh"
T_NAME=random
t_binary_arg "$@"
export PYTHONDONTWRITEBYTECODE=1
exec python3 "$here/random_check.py" "$T_BIN"
