#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The logrotate file the package ships (scripts/logrotate/l2fragq, installed
# as /etc/logrotate.d/l2fragq), on a copy pointed at a scratch directory:
#   - logrotate -d reads it without an error;
#   - a forced rotation while a writer appends as l2fragq and wireguard-go do
#     (the log opened with >>, kept open, never reopened): the old lines are
#     in NAME.log.1, the writer's next lines go to the start of the
#     truncated NAME.log (no hole of zero bytes), nothing else is touched.
# Usage: test/cli/logrotate.sh   (from the repository root; needs logrotate)
set -uo pipefail
# shellcheck source=test/lib.sh
. "$(cd "$(dirname "$0")" && pwd)/../lib.sh"
t_need_tools logrotate
t_workdir /tmp/l2fq-logrotate.XXXXXX
conf=$WORK/l2fragq.conf
src=scripts/logrotate/l2fragq
[ -r "$src" ] || t_fatal "$src not found (run from the repository root)"
grep -q '^/var/log/l2fragq-\*\.log {$' "$src" && t_pass "$src rotates /var/log/l2fragq-*.log (log-file's default)" ||
	t_fail "$src does not name /var/log/l2fragq-*.log"
sed "s|^/var/log/|$WORK/|" "$src" >"$conf"
echo keep >"$WORK/other.log"

out=$(logrotate -d -s "$WORK/status" "$conf" 2>&1) && st=0 || st=$?
t_check "logrotate -d accepts it (status $st)" eval '[ "$st" -eq 0 ] && ! grep -qi "^error" <<<"$out"'

log=$WORK/l2fragq-site1.log
# The writer: a line every 20 ms, at most 500, to a log opened once with >>.
bash -c 'exec >>"$1"; for ((i = 0; i < 500; i++)); do echo "line $i"; sleep 0.02; done' w "$log" &
writer=$!
t_track "$writer"
t_wait 5 grep -q '^line 20$' "$log" || t_fail "the writer wrote nothing"
out=$(logrotate -f -s "$WORK/status" "$conf" 2>&1) && st=0 || st=$?
t_check "forced rotation: status $st${out:+ ($out)}" [ "$st" -eq 0 ]
t_check "the old lines are in l2fragq-site1.log.1 (copytruncate, delaycompress)" grep -q '^line 20$' "$log.1"
sleep 0.3
first=$(head -c 4 "$log")
t_check "the writer goes on at the start of the truncated log ('$first', no hole), and not into .1" \
	eval '[ "$first" = line ] && [ "$(wc -c <"$log")" -lt "$(wc -c <"$log.1")" ] && ! grep -q "^line 20$" "$log"'
t_check "files that are not l2fragq-*.log untouched" eval '[ "$(cat "$WORK/other.log")" = keep ] && [ ! -e "$WORK/other.log.1" ]'
t_stop "$writer" 2
t_summary
