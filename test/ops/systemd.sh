#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The systemd unit scripts/systemd/l2fragq@.service: static checks, then the
# unit run for real by a private systemd in a test namespace.
#
#   test/ops/systemd.sh L2FRAGQ_BINARY
#
# Static (on a copy whose ExecStart points at L2FRAGQ_BINARY: verify needs the
# binary to exist, and the shipped unit names /usr/sbin/l2fragq):
#   - systemd-analyze verify is silent and succeeds, with man:l2fragq(8)
#     resolved against doc/l2fragq.8;
#   - systemd-analyze security --offline=yes rates the exposure OK or better,
#     and the unit keeps the host network namespace and user namespace (the
#     queues live there, and CAP_NET_ADMIN must count there).
#
# Live: this machine's PID 1 need not be systemd (in CI and in the sandbox it
# is not), so the test boots its own systemd as PID 1 of fresh PID, mount and
# cgroup namespaces inside the sender network namespace of the netns pair.
# Private /run, /tmp, /var/tmp, /var/lib and /etc/default (tmpfs) keep it from
# touching the host; it starts only the units given here; the unit under test
# is the shipped one plus a drop-in that removes the default dependencies
# (which would start the host's boot services) and sends output to a file
# (there is no journald). Checks:
#   - start returns once READY=1 arrives (Type=notify), status text, queues
#     bound, options taken from /etc/default/l2fragq;
#   - every thread runs as the dynamic user, CAP_NET_ADMIN only (effective,
#     permitted, bounding, ambient), NoNewPrivs, seccomp filter on;
#   - oversized DF=1 GRE arrives at the receiver (the daemon works inside the
#     sandbox), and the metrics file is written to node_exporter's textfile
#     directory (ReadWritePaths under ProtectSystem=strict), mode 0644;
#   - Restart=on-failure brings it back after SIGKILL;
#   - stop: clean exit, totals logged, queues unbound;
#   - a bad option in /etc/default/l2fragq-INSTANCE fails the start with exit
#     status 2 and no restart loop (RestartPreventExitStatus=2).
#
# Prints PASS/FAIL per check, ends with "N passed, M failed", exits non-zero
# on any failure. Needs root, systemd (the package, not as PID 1), util-linux
# unshare/nsenter and a writable cgroup2 hierarchy; never skips.
set -euo pipefail

OPS_NAME=systemd
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"

ops_binary_arg "$@"
UNIT_SRC=$OPS_ROOT/scripts/systemd/l2fragq@.service
DEFAULT_SRC=$OPS_ROOT/scripts/systemd/l2fragq.default
QUEUE=14                # the instance is $QUEUE-$((QUEUE + 1))
QUEUE_BAD=20            # instance with a bad option
INSTANCE=$QUEUE-$((QUEUE + 1))
UNIT=l2fragq@$INSTANCE.service
UNIT_BAD=l2fragq@$QUEUE_BAD-$QUEUE_BAD.service
for t in systemd-analyze unshare nsenter; do
	command -v "$t" >/dev/null || t_fatal "$t not found (apt-get install systemd util-linux)"
done
[ -x /lib/systemd/systemd ] || t_fatal "/lib/systemd/systemd not found (apt-get install systemd)"
[ -f "$UNIT_SRC" ] || t_fatal "$UNIT_SRC missing"

ops_init

# ============================================================ static checks
echo "# static: $UNIT_SRC"
t_check "example environment file scripts/systemd/l2fragq.default exists" test -f "$DEFAULT_SRC"
t_check "ExecStart is /usr/sbin/l2fragq --queues %i \$L2FQ_OPTS (where the package installs it)" \
	grep -qx 'ExecStart=/usr/sbin/l2fragq --queues %i \$L2FQ_OPTS' "$UNIT_SRC"
mkdir -p "$WORK/units" "$WORK/man/man8"
# A copy in WORK: ExecStart splits at spaces, and the build folder may have one.
cp "$BIN" "$WORK/l2fragq"
sed "s|/usr/sbin/l2fragq|$WORK/l2fragq|" "$UNIT_SRC" >"$WORK/units/l2fragq@.service"
cp "$OPS_ROOT/doc/l2fragq.8" "$WORK/man/man8/"

for u in l2fragq@.service "$UNIT"; do
	out=$(cd "$WORK/units" && MANPATH=$WORK/man systemd-analyze verify "./$u" 2>&1) && st=0 || st=$?
	t_check "systemd-analyze verify $u: status $st, silent${out:+ (got: $(head -n 3 <<<"$out" | tr '\n' ' '))}" \
		eval '[ "$st" -eq 0 ] && [ -z "$out" ]'
done

sec=$(cd "$WORK/units" && systemd-analyze security --offline=yes "./$UNIT" 2>&1) || true
overall=$(grep -a 'Overall exposure level' <<<"$sec" | tail -n 1 || true)
level=$(sed -n 's/.*: *\([0-9][0-9]*\.[0-9]\) \([A-Z][A-Z]*\).*/\2/p' <<<"$overall")
score=$(sed -n 's/.*: *\([0-9][0-9]*\.[0-9]\) \([A-Z][A-Z]*\).*/\1/p' <<<"$overall")
echo "  $overall"
case $level in
SAFE | OK) t_pass "systemd-analyze security: exposure $score $level (OK or better)" ;;
*) t_fail "systemd-analyze security: exposure ${score:-?} ${level:-?}, want OK or better"; echo "$sec" | grep -a '✗' ;;
esac
t_check "unit keeps the host network namespace (PrivateNetwork= unset)" \
	grep -aq '✗ PrivateNetwork=' <<<"$sec"
t_check "unit keeps the host user namespace (PrivateUsers= unset)" grep -aq '✗ PrivateUsers=' <<<"$sec"
for want in 'User=/DynamicUser=' 'NoNewPrivileges=' 'ProtectSystem=' 'ProtectHome=' \
	'PrivateTmp=' 'MemoryDenyWriteExecute=' 'SystemCallArchitectures=' \
	'RestrictAddressFamilies=~AF_(INET|INET6)' 'CapabilityBoundingSet=~CAP_SYS_ADMIN'; do
	t_check "systemd-analyze security: ✓ $want" grep -aqF "✓ $want" <<<"$sec"
done

# ============================================================ live
echo "# live: a private systemd as PID 1 in the sender namespace"
ops_pair_up "$QUEUE"
ops_recv_start

SD=$WORK/sd
mkdir -p "$SD/units/l2fragq@.service.d" "$SD/default" "$SD/logs" "$SD/textfile"
chmod 777 "$SD/logs" "$SD/textfile" # written by the dynamic user
: >"$SD/console.log"
cp "$BIN" "$SD/l2fragq"
sed "s|/usr/sbin/l2fragq|/run/l2fq-test/l2fragq|" "$UNIT_SRC" >"$SD/units/l2fragq@.service"
cat >"$SD/units/l2fragq@.service.d/test.conf" <<'EOF'
[Unit]
# The default dependencies pull in sysinit.target: the host's boot services.
DefaultDependencies=no
[Service]
# No journald in here.
StandardOutput=append:/run/l2fq-test/logs/%i.log
StandardError=inherit
EOF
if ldd "$BIN" 2>/dev/null | grep -q libasan; then
	# LeakSanitizer stops the world with ptrace(), which the unit's system
	# call filter refuses: it would turn every clean exit into status 1.
	# The other tests check the daemon for leaks; this one checks the unit.
	printf 'Environment=ASAN_OPTIONS=detect_leaks=0\n' >>"$SD/units/l2fragq@.service.d/test.conf"
fi
cat >"$SD/units/l2fq-test.target" <<'EOF'
[Unit]
Description=l2fragq ops test: nothing but what the test starts
DefaultDependencies=no
EOF
PROM_IN=/var/lib/prometheus/node-exporter/l2fragq.prom
cat >"$SD/default/l2fragq" <<EOF
# as in scripts/systemd/l2fragq.default
L2FQ_OPTS="--peer $IP_R --stats-interval 1 --metrics-file $PROM_IN"
EOF
printf 'L2FQ_OPTS="--no-such-option"\n' >"$SD/default/l2fragq-$QUEUE_BAD-$QUEUE_BAD"
# The private systemd's own files and mounts (test/ops/sd-inner.sh sources it).
cat >"$SD/mounts.sh" <<'EOF'
mkdir -p /run/l2fq-test/logs
cp "$SD/l2fragq" /run/l2fq-test/l2fragq
mount --bind "$SD/logs" /run/l2fq-test/logs
mount --bind "$SD/console.log" /dev/console
mount -t tmpfs -o mode=755 tmpfs /etc/default
cp "$SD/default/." -r /etc/default/
mount -t tmpfs -o mode=755 tmpfs /var/lib
mkdir -p /var/lib/prometheus/node-exporter
mount --bind "$SD/textfile" /var/lib/prometheus/node-exporter
EOF
echo console >"$SD/log-target"

ops_sd_boot "$OPS_HERE/sd-inner.sh" "$SD"
booted=0
[ -n "$SD_PID" ] && t_wait 10 sd_up && booted=1
t_check "private systemd booted (PID 1 in its namespace; state $([ -z "$SD_PID" ] || sdctl is-system-running 2>/dev/null || true))" \
	[ "$booted" = 1 ]
if [ "$booted" != 1 ]; then
	cat "$WORK/unshare.log" "$SD/console.log" >&2
	t_summary
	exit 1
fi

# ------------------------------------------------------------ start
st=0
sdctl start "$UNIT" 2>"$WORK/start.err" || st=$?
t_check "systemctl start $UNIT returns 0 (Type=notify: after READY=1) (status $st)" [ "$st" -eq 0 ]
t_check "ActiveState=active SubState=running" \
	[ "$(prop "$UNIT" ActiveState)/$(prop "$UNIT" SubState)" = active/running ]
status=$(prop "$UNIT" StatusText)
t_check "status text from sd_notify: '$status'" [ "$status" = "bound queues $QUEUE..$((QUEUE + 1))" ]
bound=1
for q in $QUEUE $((QUEUE + 1)); do l2fq_queue_bound "$NS_S" "$q" || bound=0; done
t_check "queues $QUEUE and $((QUEUE + 1)) bound in the namespace (%i = $INSTANCE)" [ "$bound" = 1 ]
if [ "$(prop "$UNIT" ActiveState)" != active ]; then
	sed 's/^/  service: /' "$SD/logs/$INSTANCE.log" >&2 2>/dev/null || true
	sdctl status --no-pager "$UNIT" >&2 || true
	t_summary
	exit 1
fi
MAIN=$(prop "$UNIT" MainPID)
cmdline=$(sdx cat "/proc/$MAIN/cmdline" 2>/dev/null | tr '\0' ' ' | sed 's/ $//' || true)
t_check "options from /etc/default/l2fragq: '$cmdline'" \
	[ "$cmdline" = "/run/l2fq-test/l2fragq --queues $INSTANCE --peer $IP_R --stats-interval 1 --metrics-file $PROM_IN" ]

# ------------------------------------------------------------ credentials
field() { sed -n "s/^$2:[[:space:]]*//p" <<<"$1" | tr -s '[:space:]' ' ' | sed 's/ $//'; }
bad=()
ntasks=0
uid=
for task in $(sdx ls "/proc/$MAIN/task" || true); do
	s=$(sdx cat "/proc/$MAIN/task/$task/status" || true)
	ntasks=$((ntasks + 1))
	u=$(field "$s" Uid)
	uid=${u%% *}
	[ "$u" = "$uid $uid $uid $uid" ] && [ "$uid" -ne 0 ] || bad+=("task $task Uid '$u'")
	g=$(field "$s" Gid)
	[ "${g%% *}" -ne 0 ] || bad+=("task $task Gid '$g'")
	# CapBnd keeps CAP_NET_RAW (0x2000): dropping it needs CAP_SETPCAP, and
	# with NoNewPrivs and no file capabilities nothing can regain it.
	for kv in CapEff=0000000000001000 CapPrm=0000000000001000 CapBnd=0000000000003000 \
		CapAmb=0000000000001000 NoNewPrivs=1 Seccomp=2; do
		got=$(field "$s" "${kv%%=*}")
		[ "$got" = "${kv#*=}" ] || bad+=("task $task ${kv%%=*}='$got' (want '${kv#*=}')")
	done
done
t_check "$ntasks tasks: main thread and 2 workers" [ "$ntasks" -eq 3 ]
if [ ${#bad[@]} -eq 0 ]; then
	t_pass "every task: dynamic uid $uid, CapEff=CapPrm=CapAmb=0x1000 (CAP_NET_ADMIN; CAP_NET_RAW given up at start), CapBnd=0x3000, NoNewPrivs 1, seccomp on"
else
	for b in "${bad[@]}"; do t_fail "$b"; done
fi

# ------------------------------------------------------------ traffic, metrics
ops_send "S$$" "$WORK/s.json" f1538:1538:0 f4000:4000:0x2222 small:200:0x1111
ops_probe_check --label "systemd" --manifest "$WORK/s.json" --frag-checks \
	--expect f1538 f4000 small --wait 3
PROM=$SD/textfile/l2fragq.prom
rewritten3() {
	[ "$(python3 "$OPS_HERE/prom_check.py" get "$PROM" \
		"l2fragq_packets_total{queue=\"$QUEUE\",result=\"rewritten\"}")" = 3 ]
}
t_check "metrics file in node_exporter's directory (ReadWritePaths=) shows rewritten 3" t_wait 3 rewritten3
t_check "metrics file mode 0644 despite UMask=0077 ($(stat -c '%a, uid %u' "$PROM" 2>/dev/null))" \
	[ "$(stat -c '%a %u' "$PROM" 2>/dev/null)" = "644 $uid" ]
LOG=$SD/logs/$INSTANCE.log
t_check "service output: ready line and per-second stats" \
	t_wait 2 grep -q 'l2fragq: stats:' "$LOG"

# ------------------------------------------------------------ Restart=on-failure
sdctl kill -s KILL "$UNIT" || true
restarted() {
	[ "$(prop "$UNIT" ActiveState)" = active ] && [ "$(prop "$UNIT" NRestarts)" = 1 ] &&
		[ "$(prop "$UNIT" MainPID)" != "$MAIN" ] && l2fq_queue_bound "$NS_S" "$QUEUE"
}
ok=0
t_wait 6 restarted && ok=1
t_check "Restart=on-failure: back within 6 s of SIGKILL (NRestarts=$(prop "$UNIT" NRestarts), MainPID $MAIN -> $(prop "$UNIT" MainPID))" \
	[ "$ok" = 1 ]

# ------------------------------------------------------------ stop
st=0
sdctl stop "$UNIT" || st=$?
t_check "systemctl stop returns 0 (status $st)" [ "$st" -eq 0 ]
t_check "after stop: inactive, Result=success, exit status 0 ($(prop "$UNIT" ActiveState), $(prop "$UNIT" Result), $(prop "$UNIT" ExecMainStatus))" \
	[ "$(prop "$UNIT" ActiveState)/$(prop "$UNIT" Result)/$(prop "$UNIT" ExecMainStatus)" = inactive/success/0 ]
t_check "totals logged at stop" grep -q 'l2fragq: totals:' "$LOG"
unbound=1
for q in $QUEUE $((QUEUE + 1)); do ! l2fq_queue_bound "$NS_S" "$q" || unbound=0; done
t_check "queues unbound after stop" [ "$unbound" = 1 ]

# ------------------------------------------------------------ bad option
st=0
sdctl start "$UNIT_BAD" 2>/dev/null || st=$?
t_check "start with a bad option in /etc/default/l2fragq-$QUEUE_BAD-$QUEUE_BAD fails (status $st)" [ "$st" -ne 0 ]
sleep 3 # RestartSec=2: a restart would have happened by now
t_check "bad option: failed with exit status 2, not restarted ($(prop "$UNIT_BAD" ActiveState), status $(prop "$UNIT_BAD" ExecMainStatus), NRestarts=$(prop "$UNIT_BAD" NRestarts))" \
	[ "$(prop "$UNIT_BAD" ActiveState)/$(prop "$UNIT_BAD" ExecMainStatus)/$(prop "$UNIT_BAD" NRestarts)" = failed/2/0 ]
t_check "bad option: the error is in the service output" \
	grep -q 'no-such-option' "$SD/logs/$QUEUE_BAD-$QUEUE_BAD.log"

ops_summary
