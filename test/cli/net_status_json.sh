#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# l2fragq-net status --json and metrics (scripts/lib/net/status_json.sh,
# metrics.sh), the monitoring files (scripts/monitoring/), on the host kernel
# in network namespaces made for the test. The host has no gretap or kernel
# WireGuard: site a and site b talk over wireguard-go (real handshakes and
# byte counts), and "up" on a is the journal up writes, with a dummy as the
# gretap of peer b (a veth: no dummy or gretap here), a bridge, and a real l2fragq --pmtud spawned by the
# library on queue 24 with a metrics file. Peer c never answers and has no
# gretap. Peer d has no endpoint (it roams to us) and never connected: it
# is waited for, no problem (its gretap is there). The config lives under a directory named with '"' and '\', so the
# JSON must escape it.
#   - status --json before up: exit 3, valid against doc/status.schema.json;
#   - after: valid, and what it says is true (handshake age, bytes, MTU, pid,
#     queues bound, signals 0, the problems of peer c, none for peer d, the
#     config path); the text status says peer d is waited for;
#   - metrics: the file beside metrics-file, 0644, both peers, promtool
#     check metrics passes on it and on l2fragq's own file;
#   - promtool check rules on scripts/monitoring/l2fragq.rules.yml, and every
#     metric name the rules and the dashboard use is one that l2fragq or
#     l2fragq-net writes.
# promtool: on PATH, or where scripts/lib/setup.sh unpacks it, else unpacked
# here from Debian's prometheus package; SKIP (never FAIL) only when that
# download is impossible.
# Usage (root): test/cli/net_status_json.sh L2FRAGQ_BINARY
# shellcheck disable=SC2016,SC2012 # checks are eval'd later; ls of a directory of our own
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=test/lib.sh
. "$root/test/lib.sh"
t_binary_arg "$@"
bin=$(readlink -f "$T_BIN")
t_need_root "network namespaces"
t_need_tools wg wireguard-go python3
python3 -c 'import jsonschema' 2>/dev/null || t_fatal "python3-jsonschema is not installed (scripts/lib/setup.sh)"
p=l2fq-json-$$
t_workdir /tmp/l2fq-json.XXXXXX
work=$WORK
chmod 755 "$work"
run=$work/run
confdir=$work/we\"ird\\dir
conf=$confdir/site-a.conf
textdir=$work/textfile
schema=$root/doc/status.schema.json
mkdir -p "$run" "$confdir" "$textdir"
chown nobody "$textdir" # l2fragq writes there as daemon-user nobody
teardown() {
	local n
	[ ! -f "$run/jsontest.pid" ] || kill "$(cat "$run/jsontest.pid")" 2>/dev/null
	for n in a b; do [ ! -f "$work/wg-$n.pid" ] || kill "$(cat "$work/wg-$n.pid")" 2>/dev/null; done
	for n in a b; do ip netns del "$p-$n" 2>/dev/null; done
}
T_TEARDOWN=(teardown)
for n in a b; do ip netns add "$p-$n" || t_fatal "cannot create network namespaces"; done
in_a() { ip netns exec "$p-a" "$@"; }
in_b() { ip netns exec "$p-b" "$@"; }
net() { in_a env L2FQ_NET_STATE_DIR="$run" "$root/scripts/l2fragq-net" "$@"; }
# wireguard-go's control socket is /var/run/wireguard/NAME.sock, shared by
# every namespace: names of our own.
wga=wj$$a wgb=wj$$b

# ------------------------------------------------------------ two sites over wireguard-go
(umask 077 && for n in a b c d; do wg genkey >"$work/key-$n"; done) || t_fatal "wg genkey failed"
pub_a=$(wg pubkey <"$work/key-a") pub_b=$(wg pubkey <"$work/key-b") pub_c=$(wg pubkey <"$work/key-c") pub_d=$(wg pubkey <"$work/key-d")
ip link add ua netns "$p-a" type veth peer name ub netns "$p-b" || t_fatal "veth"
in_a ip addr add 198.51.100.1/24 dev ua && in_a ip link set ua up && in_a ip link set lo up
in_b ip addr add 198.51.100.2/24 dev ub && in_b ip link set ub up && in_b ip link set lo up
[ -c /dev/net/tun ] || modprobe -q tun
for n in a b; do
	w=wj$$$n
	ip netns exec "$p-$n" env WG_PROCESS_FOREGROUND=1 setsid wireguard-go -f "$w" </dev/null >"$work/wg-$n.log" 2>&1 &
	echo $! >"$work/wg-$n.pid"
done
{ t_wait 10 in_a test -e "/sys/class/net/$wga" && t_wait 10 in_b test -e "/sys/class/net/$wgb"; } ||
	t_fatal "wireguard-go made no interface: $(cat "$work"/wg-*.log)"
in_a wg set "$wga" private-key "$work/key-a" listen-port 51820 \
	peer "$pub_b" endpoint 198.51.100.2:51820 allowed-ips 203.0.113.2/32 \
	peer "$pub_c" endpoint 198.51.100.3:51820 allowed-ips 203.0.113.3/32 \
	peer "$pub_d" allowed-ips 203.0.113.4/32
in_b wg set "$wgb" private-key "$work/key-b" listen-port 51820 \
	peer "$pub_a" endpoint 198.51.100.1:51820 allowed-ips 203.0.113.1/32
in_a ip addr add 203.0.113.1/24 dev "$wga" && in_a ip link set "$wga" mtu 1420 up
in_b ip addr add 203.0.113.2/24 dev "$wgb" && in_b ip link set "$wgb" mtu 1420 up
t_check "site a reaches site b over WireGuard" t_wait 15 in_a ping -c 1 -W 1 203.0.113.2

cat >"$conf" <<EOF
[local]
name = jsontest
private-key-file = $work/key-a
address = 203.0.113.1
bridge = br-json
wg-interface = $wga
l2fragq = $bin
pmtud = on
queues = 24-24
metrics-file = $textdir/l2fragq-jsontest.prom
log-file = $run/l2fragq.log
supervisor = spawn

[peer b]
public-key = $pub_b
endpoint = 198.51.100.2:51820
address = 203.0.113.2

[peer c]
public-key = $pub_c
endpoint = 198.51.100.3:51820
address = 203.0.113.3

[peer d]
public-key = $pub_d
address = 203.0.113.4
EOF

validate() { # FILE: valid against the schema (prints why not)
	python3 - "$schema" "$1" <<'PY'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
try:
    jsonschema.Draft202012Validator(schema).validate(json.load(open(sys.argv[2])))
except Exception as e:  # a parse error or a schema violation
    print(str(e).splitlines()[0]); sys.exit(1)
PY
}
jget() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(json.dumps(eval(sys.argv[2], {"d": d})))' "$@"; }

# ------------------------------------------------------------ down
net -c "$conf" status --json >"$work/down.json" 2>"$work/down.err"
st=$?
t_check "status --json before up: exit 3 (was $st; $(head -c 200 "$work/down.err"))" [ "$st" -eq 3 ]
t_check "  valid against the schema $(validate "$work/down.json")" validate "$work/down.json"
t_check "  up false, daemon null, every peer with no handshake age" \
	[ "$(jget "$work/down.json" '[d["up"], d["daemon"], [q["latest_handshake_age_s"] for q in d["peers"]]]')" = '[false, null, [null, null, null]]' ]
out=$(net -c "$conf" up --json 2>&1) && st=0 || st=$?
t_check "--json with up: exit 2 ($st: $out)" [ "$st" -eq 2 ]

# ------------------------------------------------------------ up (the journal up writes)
# shellcheck disable=SC2016 # the script is for the inner bash
in_a env L2FQ_NET_STATE_DIR="$run" bash -c '
	set -uo pipefail
	lib=$1 conf=$2
	for f in common config plan journal daemon up; do . "$lib/$f.sh"; done
	l2fq_net_load "$conf" || exit 1
	mkdir -p "$L2N_STATE_DIR" && : >"$L2N_STATE_FILE"
	_l2n_rec info netns "$(_l2n_netns_id)"
	_l2n_rec info hash "$(_l2n_conf_hash)"
	_l2n_rec info config "$L2N_CONF_FILE"
	_l2n_rec info since "$(_l2n_now)"
	_l2n_rec info bridge br-json
	_l2n_rec info wg "${L2N_CFG[wg-interface]}"
	_l2n_rec info wg-kind "wireguard-go, started by the test"
	_l2n_rec info strategy l2fragq
	_l2n_rec info strategy-why "a \"quoted\" reason with a back\\slash and a	tab"
	_l2n_rec info pmtud on
	_l2n_rec info pmtud-path-mtu 1420
	_l2n_rec info pmtud-why "on (the test)"
	_l2n_rec info log "${L2N_CFG[log-file]}"
	_l2n_rec info queue-backend nft
	ip link add br-json type bridge && _l2n_rec link br-json
	ip link add gt-b type veth peer name gt-b-peer && ip link set gt-b master br-json && _l2n_rec link gt-b
	ip link add gt-d type veth peer name gt-d-peer && ip link set gt-d master br-json && _l2n_rec link gt-d
	ip link set br-json up && ip link set gt-b up && ip link set gt-d up
	L2N_PMTUD=on _l2n_start_daemon || exit 1
	_l2n_rec up-done' up "$root/scripts/lib/net" "$conf" >"$work/up.out" 2>&1 ||
	t_fatal "the test's up failed: $(cat "$work/up.out")"
read -r _ dpid _ <<<"$(grep '^daemon ' "$run/jsontest.state")"
t_wait 10 test -s "$textdir/l2fragq-jsontest.prom" || t_fatal "l2fragq wrote no metrics file"
in_a ping -c 3 -i 0.2 -W 1 203.0.113.2 >/dev/null

net -c "$conf" status --json >"$work/up.json" 2>"$work/up.err"
st=$?
t_check "status --json when up: exit 1, peer c is a problem (was $st; $(head -c 200 "$work/up.err"))" [ "$st" -eq 1 ]
t_check "  valid against the schema $(validate "$work/up.json")" validate "$work/up.json"
t_check "  one line of JSON" [ "$(wc -l <"$work/up.json")" -eq 1 ]
t_check "  config path with '\"' and '\\' intact" [ "$(jget "$work/up.json" 'd["config"]')" = "$(python3 -c 'import json, sys; print(json.dumps(sys.argv[1]))' "$conf")" ]
t_check "  strategy why with quote, backslash, tab intact ($(jget "$work/up.json" 'd["strategy"]["why"]'))" \
	[ "$(jget "$work/up.json" 'd["strategy"]["why"]')" = '"a \"quoted\" reason with a back\\slash and a\ttab"' ]
t_check "  instance jsontest, up, pmtud on" [ "$(jget "$work/up.json" '[d["instance"], d["up"], d["pmtud"]["enabled"]]')" = '["jsontest", true, true]' ]
t_check "  daemon: pid $dpid, queues 24-24 bound, counters read ($(jget "$work/up.json" 'd["daemon"]'))" \
	[ "$(jget "$work/up.json" '[d["daemon"]["pid"], d["daemon"]["queues"], d["daemon"]["queues_bound"], "packets" in d["daemon"]["counters"]]')" = "[$dpid, {\"first\": 24, \"last\": 24}, true, true]" ]
b='d["peers"][0]' c='d["peers"][1]'
t_check "  peer b: handshake 0-60 s ago, bytes both ways ($(jget "$work/up.json" "$b"))" \
	[ "$(jget "$work/up.json" "[${b}['name'], 0 <= ${b}['latest_handshake_age_s'] <= 60, ${b}['rx_bytes'] > 0, ${b}['tx_bytes'] > 0, ${b}['up']]")" = '["b", true, true, true, true]' ]
t_check "  peer b: path MTU 1420 ($wga), 0 signals sent, no problem" \
	[ "$(jget "$work/up.json" "[${b}['path_mtu'], ${b}['path_mtu_source'], ${b}['pmtud_signals_sent'], ${b}['problems'], ${b}['endpoint_now']]")" = '[1420, "device", 0, [], "198.51.100.2:51820"]' ]
t_check "  peer c: no handshake, not up, its two problems ($(jget "$work/up.json" "${c}['problems']"))" \
	[ "$(jget "$work/up.json" "[${c}['latest_handshake_age_s'], ${c}['up'], ${c}['problems']]")" = '[null, false, ["no WireGuard handshake yet", "gretap gt-c is missing"]]' ]
t_check "  instance problems name gt-c" grep -q 'gretap gt-c is missing' "$work/up.json"
dd='d["peers"][2]'
t_check "  peer d (no endpoint, never connected): waiting for it, no problem, not up ($(jget "$work/up.json" "$dd"))" \
	[ "$(jget "$work/up.json" "[${dd}['name'], ${dd}['waiting_for_connect'], ${dd}['problems'], ${dd}['up'], ${dd}['latest_handshake_age_s'], ${dd}['endpoint']]")" = '["d", true, [], false, null, null]' ]
t_check "  peers b and c (endpoints) not waiting" \
	[ "$(jget "$work/up.json" "[${b}['waiting_for_connect'], ${c}['waiting_for_connect']]")" = '[false, false]' ]
t_check "  no instance problem about peer d or handshakes in general, one naming c ($(jget "$work/up.json" 'd["problems"]'))" \
	eval '[ "$(jget "$work/up.json" "[q for q in d[\"problems\"] if \"handshake\" in q]")" = "[\"a WireGuard peer with an endpoint has never completed a handshake: c (just up? l2fragq-net wait)\"]" ]'
net -c "$conf" status >"$work/up.txt" 2>&1
t_check "text status: peer d is waited for, not a PROBLEM ($(grep -E "peer d|PROBLEM.*handshake" "$work/up.txt" | tr '\n' ' '))" \
	eval 'grep -q "^  peer d (203.0.113.4/32) endpoint (none) handshake never: waiting for it to connect" "$work/up.txt" &&
		grep -q "^  peer c (203.0.113.3/32) endpoint 198.51.100.3:51820 handshake never rx" "$work/up.txt" &&
		[ "$(grep -c "^PROBLEM: .*handshake" "$work/up.txt")" = 1 ] &&
		grep -q "^PROBLEM: a WireGuard peer with an endpoint has never completed a handshake: c (just" "$work/up.txt"'

# ------------------------------------------------------------ metrics
PROMTOOL=$(command -v promtool || true)
[ -n "$PROMTOOL" ] || [ ! -x /var/cache/l2fragq-test/promtool/usr/bin/promtool ] || PROMTOOL=/var/cache/l2fragq-test/promtool/usr/bin/promtool
if [ -z "$PROMTOOL" ]; then
	echo "# promtool not found: unpacking it from Debian's prometheus package (not installing it)"
	(cd "$work" && chmod 777 . && { apt-get download prometheus >/dev/null 2>&1 ||
		{ apt-get update -qq >/dev/null 2>&1 && apt-get download prometheus >/dev/null 2>&1; }; })
	deb=$(ls "$work"/prometheus_*.deb 2>/dev/null | head -n 1)
	[ -z "$deb" ] || { mkdir -p "$work/pt" && dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work/pt" ./usr/bin/promtool &&
		PROMTOOL=$work/pt/usr/bin/promtool; rm -f "$deb"; }
fi
promcheck() { # TEXT-FILE: promtool check metrics (lint included)
	local out
	out=$("$PROMTOOL" check metrics <"$1" 2>&1) || { echo "$out" | head -n 5; return 1; }
}

out=$(net -c "$conf" metrics 2>&1) && st=0 || st=$?
pf=$textdir/l2fragq-net-jsontest.prom
t_check "metrics: exit 0, writes $pf ($out)" eval '[ "$st" -eq 0 ] && [ -s "$pf" ]'
t_check "  mode 0644, no temporary file left ($(ls "$textdir" | tr '\n' ' '))" \
	eval '[ "$(stat -c %a "$pf")" = 644 ] && [ "$(ls "$textdir" | wc -l)" -eq 2 ]'
t_check "  peer b up, handshake time, bytes, MTU 1420" eval '
	grep -qx "l2fragq_net_peer_up{l2fragq_instance=\"jsontest\",peer=\"b\"} 1" "$pf" &&
	grep -Eq "^l2fragq_net_peer_latest_handshake_seconds\{l2fragq_instance=\"jsontest\",peer=\"b\"\} [1-9][0-9]{9}$" "$pf" &&
	grep -Eq "^l2fragq_net_peer_rx_bytes_total\{l2fragq_instance=\"jsontest\",peer=\"b\"\} [1-9][0-9]*$" "$pf" &&
	grep -qx "l2fragq_net_peer_path_mtu_bytes{l2fragq_instance=\"jsontest\",peer=\"b\"} 1420" "$pf"'
t_check "  peer c down, handshake 0 (never)" eval '
	grep -qx "l2fragq_net_peer_up{l2fragq_instance=\"jsontest\",peer=\"c\"} 0" "$pf" &&
	grep -qx "l2fragq_net_peer_latest_handshake_seconds{l2fragq_instance=\"jsontest\",peer=\"c\"} 0" "$pf"'
t_check "  peer d waiting for it to connect (1), peers b and c not (0)" eval '
	grep -qx "l2fragq_net_peer_waiting_for_connect{l2fragq_instance=\"jsontest\",peer=\"d\"} 1" "$pf" &&
	grep -qx "l2fragq_net_peer_waiting_for_connect{l2fragq_instance=\"jsontest\",peer=\"c\"} 0" "$pf" &&
	grep -qx "l2fragq_net_peer_waiting_for_connect{l2fragq_instance=\"jsontest\",peer=\"b\"} 0" "$pf"'
t_check "  the daemon's metrics file is fresh (age <= 30 s)" \
	grep -Eqx 'l2fragq_net_daemon_metrics_age_seconds\{l2fragq_instance="jsontest"\} ([0-9]|[12][0-9]|30)' "$pf"
out=$(net metrics jsontest 2>&1) && st=0 || st=$?
t_check "metrics jsontest (by name, the config from the journal): exit 0 ($out)" [ "$st" -eq 0 ]
out=$(net metrics 'bad/name' 2>&1) && st=0 || st=$?
t_check "metrics with a bad name: exit 2 ($out)" [ "$st" -eq 2 ]
t_check "l2fragq's file has the per-tunnel family (--pmtud)" grep -q '^# TYPE l2fragq_pmtud_signals_sent_total counter$' "$textdir/l2fragq-jsontest.prom"

rules=$root/scripts/monitoring/l2fragq.rules.yml
dash=$root/scripts/monitoring/l2fragq-grafana.json
if [ -n "$PROMTOOL" ] && [ -x "$PROMTOOL" ]; then
	t_check "promtool check metrics: l2fragq-net's file $(promcheck "$pf")" promcheck "$pf"
	t_check "promtool check metrics: l2fragq's file $(promcheck "$textdir/l2fragq-jsontest.prom")" promcheck "$textdir/l2fragq-jsontest.prom"
	out=$("$PROMTOOL" check rules "$rules" 2>&1) && st=0 || st=$?
	t_check "promtool check rules $rules ($(tail -n 1 <<<"$out"))" [ "$st" -eq 0 ]
	out=$("$PROMTOOL" test rules "$root/test/cli/l2fragq.rules.test.yml" 2>&1) && st=0 || st=$?
	t_check "promtool test rules: every alert fires on its case and not on a healthy host ($(tail -n 3 <<<"$out" | tr '\n' ' '))" [ "$st" -eq 0 ]
else
	t_skip "promtool: neither installed nor downloadable (apt-get download prometheus failed): metrics and rules not checked by promtool"
fi

# Every metric name in the rules and the dashboard is written by l2fragq
# (its file here, the tunnel family now included) or l2fragq-net metrics.
written=$(cat "$pf" "$textdir/l2fragq-jsontest.prom" | sed -n 's/^# TYPE \([a-z0-9_]*\) .*/\1/p' | sort -u)
used=$(cat "$rules" "$dash" | grep -o '\bl2fragq_[a-z0-9_]*' | grep -vx l2fragq_instance | sort -u) # (a label, not a metric)
unknown=$(comm -13 <(echo "$written") <(echo "$used") | tr '\n' ' ')
t_check "rules and dashboard use only names l2fragq and l2fragq-net write (unknown: ${unknown:-none}; $(wc -w <<<"$used") used)" \
	eval '[ -z "$unknown" ] && [ "$(wc -w <<<"$used")" -ge 8 ]'
t_check "the dashboard is JSON with panels" python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert len(d["panels"]) >= 5' "$dash"

t_summary
