#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# How l2fragq-net runs l2fragq where systemd is PID 1 (scripts/lib/net/
# daemon.sh, supervisor = auto): a transient unit l2fragq-net-NAME.service
# with l2fragq@.service's sandbox, restarted when it dies, stopped by down.
# The library's own functions run under a private systemd (PID 1 of fresh
# PID, mount and cgroup namespaces in the sender namespace of the netns
# pair), as up and down call them. Checks:
#   - up's start: the unit is active, l2fragq bound the queue, every task has
#     a dynamic uid and CAP_NET_ADMIN only, NoNewPrivs; the journal names the
#     unit; systemd-analyze security rates the live unit OK or better;
#   - logs (log-file left at its default, journald running): l2fragq's
#     output is in the unit's journal, status's counter line is read from
#     there after SIGUSR1, and no log file is written;
#   - oversized DF=1 GRE arrives fixed;
#   - kill -9 of l2fragq: small packets keep flowing (the queue rule's
#     bypass), systemd restarts it and the queue is bound again within 2 s,
#     and oversized GRE arrives fixed again;
#   - restart-daemon (what a package upgrade runs): a new MainPID, the queue
#     bound again, the journal unchanged;
#   - down (the journal undone): the unit is gone, the queue unbound.
#
#   test/ops/net_supervise.sh L2FRAGQ_BINARY
set -euo pipefail

OPS_NAME=net-supervise
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"

t_binary_arg "$@"
BIN=$T_BIN
for t in systemd-run unshare nsenter; do
	command -v "$t" >/dev/null || t_fatal "$t not found (apt-get install systemd util-linux)"
done
[ -x /lib/systemd/systemd ] || t_fatal "/lib/systemd/systemd not found (apt-get install systemd)"
QUEUE=17
NAME=sup$$
UNIT=l2fragq-net-$NAME.service
ops_init
ops_pair_up "$QUEUE"
ops_recv_start

SD=$WORK/sd
mkdir -p "$SD/units/$UNIT.d" "$SD/work"
chmod 755 "$SD/work"
cp "$BIN" "$SD/l2fragq"
cat >"$SD/units/l2fq-test.target" <<'EOF'
[Unit]
Description=l2fragq ops test: nothing but what the test starts
DefaultDependencies=no
EOF
# The transient unit's default dependencies would pull in sysinit.target:
# the host's boot services (systemd-tmpfiles-setup empties /tmp). A real host
# has reached it long before; here a drop-in (applied to transient units
# too) keeps to what the test starts, and /tmp is a private tmpfs anyway.
cat >"$SD/units/$UNIT.d/test.conf" <<'EOF'
[Unit]
DefaultDependencies=no
EOF
if ldd "$BIN" 2>/dev/null | grep -q libasan; then
	# LeakSanitizer stops the world with ptrace(), which the sandbox's system
	# call filter refuses (as in test/ops/systemd.sh).
	printf '[Service]\nEnvironment=ASAN_OPTIONS=detect_leaks=0\n' >>"$SD/units/$UNIT.d/test.conf"
fi
# (and should anything still pull it in, it is masked: the start fails)
ln -s /dev/null "$SD/units/sysinit.target"
# l2fragq-net's library and the unit it takes the sandbox from, laid out as
# in the source tree (daemon.sh looks for $libdir/../../systemd). Copied:
# the private systemd's /tmp is its own tmpfs, which hides a checkout under
# /tmp, and this test must pass from any checkout path.
mkdir -p "$SD/scripts/lib" "$SD/scripts/systemd"
cp -r "$OPS_ROOT/scripts/lib/net" "$SD/scripts/lib/net"
cp "$OPS_ROOT/scripts/systemd/l2fragq@.service" "$SD/scripts/systemd/"
# The private systemd's own files and mounts (test/ops/sd-inner.sh sources it
# before it mounts its own /tmp).
cat >"$SD/mounts.sh" <<'EOF'
mkdir -p /run/l2fq-test/work
cp "$SD/l2fragq" /run/l2fq-test/l2fragq
cp -r "$SD/scripts" /run/l2fq-test/scripts
mount --bind "$SD/work" /run/l2fq-test/work
EOF

# up's and down's calls, with the globals the config would give them.
cat >"$SD/work/net.sh" <<EOF
#!/bin/bash
set -uo pipefail
libdir=/run/l2fq-test/scripts/lib/net
for f in common config plan journal daemon; do . "\$libdir/\$f.sh"; done
L2N_NAME=$NAME L2N_STATE_DIR=/run/l2fq-test/work L2N_STATE_FILE=/run/l2fq-test/work/$NAME.state
L2N_CFG[l2fragq]=/run/l2fq-test/l2fragq L2N_CFG[log-file]=/run/l2fq-test/work/l2fragq.log
L2N_CFG[stats-interval]=0 L2N_CFG[metrics-file]='' L2N_CFG[l2fragq-args]='' L2N_CFG[supervisor]=auto
L2N_LOG_DEFAULT=1 # (log-file not in the config: the journal under systemd)
L2N_QUEUE_FIRST=$QUEUE L2N_QUEUE_LAST=$QUEUE L2N_PMTUD=off
L2N_PEERS=(r) L2N_PEER_CFG[r.address]=$IP_R
case \$1 in
start) _l2n_start_daemon ;;
restart) l2fq_net_restart_daemon ;;
now) _l2n_daemon_now && echo "\$L2N_DAEMON_PID \$L2N_DAEMON_UNIT" ;;
logdest) _l2n_log_dest ;;
counters) _l2n_daemon_now && _l2n_daemon_counters "\$L2N_DAEMON_PID" journal ;;
down) _l2n_undo "\$L2N_STATE_FILE" ;;
esac
EOF
chmod 755 "$SD/work/net.sh"
net() { sdx /run/l2fq-test/work/net.sh "$@"; }

echo "# a private systemd as PID 1 in the sender namespace"
ops_sd_boot "$OPS_HERE/sd-inner.sh" "$SD"
booted=0
[ -n "$SD_PID" ] && t_wait 10 sd_up && booted=1
t_check "private systemd booted" [ "$booted" = 1 ]
[ "$booted" = 1 ] || { cat "$WORK/unshare.log" >&2; t_summary; exit 1; }

# journald, as on any host with systemd: l2fragq-net logs there.
sdx systemctl start systemd-journald.socket systemd-journald.service >/dev/null 2>&1 || true
t_check "journald runs in the private systemd; l2fragq-net logs to the journal ($(net logdest))" \
	eval 'sdx test -S /run/systemd/journal/stdout && [ "$(net logdest)" = journal ]'

# ------------------------------------------------------------ start
out=$(net start 2>&1) && st=0 || st=$?
t_check "up's start of l2fragq returns 0 under systemd (status $st: $out)" [ "$st" -eq 0 ]
t_check "the journal names the unit ($(grep '^unit ' "$SD/work/$NAME.state" 2>/dev/null))" \
	grep -qx "unit $UNIT /run/l2fq-test/l2fragq" "$SD/work/$NAME.state"
t_check "$UNIT active/running" [ "$(prop "$UNIT" ActiveState)/$(prop "$UNIT" SubState)" = active/running ]
t_check "queue $QUEUE bound" l2fq_queue_bound "$NS_S" "$QUEUE"
MAIN=$(prop "$UNIT" MainPID)
now=$(net now)
t_check "_l2n_daemon_now finds MainPID $MAIN ($now)" [ "$now" = "$MAIN $UNIT" ]
field() { sed -n "s/^$2:[[:space:]]*//p" <<<"$1" | tr -s '[:space:]' ' ' | sed 's/ $//'; }
bad=()
for task in $(sdx ls "/proc/$MAIN/task" || true); do
	s=$(sdx cat "/proc/$MAIN/task/$task/status" || true)
	u=$(field "$s" Uid)
	[ "${u%% *}" -ne 0 ] || bad+=("task $task Uid '$u'")
	for kv in CapEff=0000000000001000 CapPrm=0000000000001000 NoNewPrivs=1; do
		got=$(field "$s" "${kv%%=*}")
		[ "$got" = "${kv#*=}" ] || bad+=("task $task ${kv%%=*}='$got'")
	done
done
t_check "every task: dynamic uid, CapEff=CapPrm=CAP_NET_ADMIN, NoNewPrivs${bad[*]:+ (${bad[*]})}" [ ${#bad[@]} -eq 0 ]
sec=$(sdx systemd-analyze security "$UNIT" 2>&1 || true)
overall=$(grep -a 'Overall exposure level' <<<"$sec" | tail -n 1 || true)
level=$(sed -n 's/.*: *\([0-9][0-9]*\.[0-9]\) \([A-Z][A-Z]*\).*/\2/p' <<<"$overall")
t_check "systemd-analyze security $UNIT (live): ${overall:-no rating} (OK or better)" \
	eval '[ "$level" = OK ] || [ "$level" = SAFE ]'

j=$(sdx journalctl -q -o cat -u "$UNIT" 2>&1 || true)
t_check "l2fragq's start line is in the journal of $UNIT ($(head -n 1 <<<"$j"))" grep -q '^l2fragq .*: bound queue' <<<"$j"
c=$(net counters 2>&1 || true)
t_check "status's counter line read from the journal after SIGUSR1 ($c)" grep -q '^packets=[0-9]* rewritten=' <<<"$c"
t_check "no log file written ($(ls "$SD/work" | tr '\n' ' '))" \
	eval '[ -z "$(find "$SD/work" -name "*.log")" ] && [ ! -e /run/l2fq-test/work/l2fragq.log ]'

ops_send "A$$" "$WORK/a.json" f1538:1538:0 small:200:0x1111
ops_probe_check --label "unit" --manifest "$WORK/a.json" --frag-checks --expect f1538 small --wait 3

# ------------------------------------------------------------ kill -9
sdx kill -KILL "$MAIN"
t0=$(date +%s%N)
ops_send "B$$" "$WORK/b.json" small:200:0x2222
ops_probe_check --label "l2fragq dead, bypass" --manifest "$WORK/b.json" --expect small --wait 3
back() {
	local m
	m=$(prop "$UNIT" MainPID)
	[ "$m" != 0 ] && [ "$m" != "$MAIN" ] && l2fq_queue_bound "$NS_S" "$QUEUE"
}
ok=0
t_wait 5 back && ok=1
dt=$((($(date +%s%N) - t0) / 1000000))
t_check "restarted by systemd and queue bound again ${dt} ms after kill -9 (<= 2000; NRestarts=$(prop "$UNIT" NRestarts))" \
	eval '[ "$ok" = 1 ] && [ "$dt" -le 2000 ]'
ops_send "C$$" "$WORK/c.json" f1538:1538:0
ops_probe_check --label "after the restart" --manifest "$WORK/c.json" --frag-checks --expect f1538 --wait 3

# ------------------------------------------------------------ restart-daemon
# What a package upgrade runs for each instance: systemctl restart of the unit.
echo up-done >>"$SD/work/$NAME.state"
M1=$(prop "$UNIT" MainPID)
out=$(net restart 2>&1) && st=0 || st=$?
M2=$(prop "$UNIT" MainPID)
t_check "restart-daemon (status $st: $out): MainPID $M1 -> $M2, queue $QUEUE bound" \
	eval '[ "$st" -eq 0 ] && [ "$M2" != "$M1" ] && [ "$M2" != 0 ] && l2fq_queue_bound "$NS_S" "$QUEUE"'
t_check "restart-daemon: the journal names $UNIT once, as before" [ "$(grep -c "^unit $UNIT " "$SD/work/$NAME.state")" = 1 ]

# ------------------------------------------------------------ down
out=$(net down 2>&1) && st=0 || st=$?
t_check "down (the journal undone) returns 0 (status $st${out:+: $out})" [ "$st" -eq 0 ]
state=$(sdctl is-active "$UNIT" 2>/dev/null || true)
t_check "after down: $UNIT inactive ($state), queue $QUEUE unbound" \
	eval '[ "$state" = inactive ] && ! l2fq_queue_bound "$NS_S" "$QUEUE"'
t_check "after down: the state file is gone" [ ! -e "$SD/work/$NAME.state" ]
t_summary
