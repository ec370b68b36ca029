#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# l2fragq-net reload (scripts/lib/net/reload.sh) on the host kernel:
#   - the diff of two config snapshots, for every kind of change: a peer
#     added, removed, changed (each field), live keys, daemon-only keys, keys
#     that cannot change live; every [local] key has a class; the snapshot
#     holds no private key;
#   - the journal edits (a record dropped, an info record rewritten);
#   - in a network namespace made for the test (no gretap or WireGuard on
#     the host: veths stand for the gretaps, a stand-in wg records its
#     arguments): a removed peer's port, WireGuard peer and journal record
#     go, and down then restores the host as before up; l2fragq restarted
#     with new arguments (new pid, one journal record, down stops it);
#   - the reload command: refused with exit 1 naming the key and changing
#     nothing for wg-interface and bridge; exit 3 when not up.
# Usage (root): test/cli/net_reload.sh L2FRAGQ_BINARY
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=test/lib.sh
. "$root/test/lib.sh"
t_binary_arg "$@"
bin=$(readlink -f "$T_BIN")
t_need_root "network namespaces"
ns=l2fq-rel-$$
t_workdir /tmp/l2fq-reload.XXXXXX
work=$WORK
chmod 755 "$work"
run=$work/run
mkdir -p "$run" "$work/bin"
teardown() {
	[ ! -f "$run/rel.pid" ] || kill "$(cat "$run/rel.pid")" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
}
T_TEARDOWN=(teardown)
ip netns add "$ns" || t_fatal "cannot create a network namespace"
hv() { ip netns exec "$ns" "$@"; }
alive() { local s; read -r s <"/proc/$1/stat" 2>/dev/null || return 1; s=${s##*) }; [ "${s%% *}" != Z ]; }

# A stand-in wg: appends its arguments to wg.log.
cat >"$work/bin/wg" <<EOF
#!/bin/sh
echo "\$*" >>"$work/wg.log"
EOF
chmod 755 "$work/bin/wg"

# lib SNIPPET [ARG...]: the library (as l2fragq-net sources it) in the namespace, then SNIPPET.
lib() {
	hv env PATH="$work/bin:$PATH" L2FQ_NET_STATE_DIR="$run" L2N_BIN="$bin" bash -c '
		set -uo pipefail
		L2N_ME=l2fragq-net libdir=$1 snippet=$2
		shift 2
		for f in common config plan journal daemon preflight up reload status; do . "$libdir/$f.sh"; done
		eval "$snippet"' lib "$root/scripts/lib/net" "$@"
}

# ------------------------------------------------------------ the diff
k1=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= k2=BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA= k3=CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCA=
snap() { # FILE LINES...: a snapshot from a base with some lines replaced (KEY=VALUE) or added
	local f=$1 l
	shift
	{
		printf 'L %s\n' bridge=br-vm wg-interface=l2fq-wg listen-port=51820 stats-interval=0 l2fragq-args= keepalive=25
		echo "P site2 $k2 198.51.100.2:51820 203.0.113.2"
		echo "P site3 $k3 198.51.100.3:51820 203.0.113.3"
		echo "K 0123456789abcdef"
	} >"$f"
	for l in "$@"; do
		case $l in
		L\ *) l=${l#L }; sed -i "s|^L ${l%%=*}=.*|L $l|" "$f" ;;
		-P\ *) sed -i "/^P ${l#-P } /d" "$f" ;;
		P\ * | S\ *) echo "$l" >>"$f" ;;
		-S\ *) sed -i "/^S ${l#-S } /d" "$f" ;;
		K\ *) sed -i "s|^K .*|$l|" "$f" ;;
		esac
	done
}
diff_of() { # LINES...: the classification of base -> base with LINES
	snap "$work/old"
	snap "$work/new" "$@"
	lib "_l2n_reload_classify $work/old $work/new" 2>&1 | tr '\n' ';'
}
expect_diff() { # WANT TEXT LINES...
	local want=$1 text=$2 got
	shift 2
	got=$(diff_of "$@")
	[ "$got" = "$want" ] && t_pass "diff: $text ($got)" || t_fail "diff: $text: got '$got', want '$want'"
}
expect_diff "" "identical configs: nothing"
expect_diff "daemon stats-interval;" "stats-interval: daemon only" "L stats-interval=10"
expect_diff "daemon l2fragq-args;" "l2fragq-args: daemon only" "L l2fragq-args=--verbose"
expect_diff "live listen-port;" "listen-port: live" "L listen-port=51821"
expect_diff "live keepalive;" "keepalive: live" "L keepalive=10"
expect_diff "live private-key;" "a new private key: live" "K fedcba9876543210"
expect_diff "fixed wg-interface;" "wg-interface: not live" "L wg-interface=l2fq-wg9"
expect_diff "fixed bridge;" "bridge: not live" "L bridge=br-other"
expect_diff "peer-add site4;" "a peer added" "P site4 $k1 198.51.100.4:51820 203.0.113.4"
expect_diff "peer-del site3;" "a peer removed" "-P site3"
expect_diff "peer-change site2 endpoint;" "a peer's endpoint" "-P site2" "P site2 $k2 198.51.100.9:51820 203.0.113.2"
expect_diff "peer-change site2 public-key;" "a peer's public key" "-P site2" "P site2 $k1 198.51.100.2:51820 203.0.113.2"
expect_diff "peer-change site2 address;" "a peer's address" "-P site2" "P site2 $k2 198.51.100.2:51820 203.0.113.9"
expect_diff "peer-change site2 preshared-key;" "a preshared key added" "S site2 /etc/l2fragq/psk2 0123456789abcdef"
snap "$work/old" "S site2 /etc/l2fragq/psk2 0123456789abcdef"
snap "$work/new" "S site2 /etc/l2fragq/psk2 fedcba9876543210"
got=$(lib "_l2n_reload_classify $work/old $work/new" | tr '\n' ';')
t_check "diff: a preshared key changed ($got)" [ "$got" = "peer-change site2 preshared-key;" ]
snap "$work/new"
got=$(lib "_l2n_reload_classify $work/old $work/new" | tr '\n' ';')
t_check "diff: a preshared key removed ($got)" [ "$got" = "peer-change site2 preshared-key;" ]
expect_diff "daemon stats-interval;fixed wg-interface;peer-del site2;peer-add site4;" "several at once, in the order applied" \
	"L stats-interval=5" "L wg-interface=x" "-P site2" "P site4 $k1 198.51.100.4:51820 203.0.113.4"
printf 'L newkey=1\n' >>"$work/new"
got=$(lib "_l2n_reload_classify $work/old $work/new" | tr '\n' ';')
t_check "a key the snapshot of up lacks is not live ($got)" [ "$got" = "fixed newkey;daemon stats-interval;fixed wg-interface;peer-del site2;peer-add site4;" ]
# shellcheck disable=SC2016 # expanded by lib's bash
missing=$(lib 'for k in "${!L2N_LOCAL_KEYS[@]}"; do [ -n "${L2N_RELOAD_CLASS[$k]:-}" ] || echo "$k"; done' | tr '\n' ' ')
t_check "every [local] key has a reload class (missing: ${missing:-none})" [ -z "$missing" ]
# shellcheck disable=SC2016
t_check "every fixed key has a reason of its own" lib 'for k in "${!L2N_RELOAD_CLASS[@]}"; do
	[ "${L2N_RELOAD_CLASS[$k]}" != fixed ] || [ "$(_l2n_reload_why "$k")" != "it is not applied live" ] || exit 1; done'

# The snapshot of a loaded config: every key, the peers, no private key.
wg_key=$(wg genkey 2>/dev/null || echo "$k1")
umask 077
echo "$wg_key" >"$work/priv.key"
umask 022
cat >"$work/rel.conf" <<EOF
[local]
name = rel
private-key-file = $work/priv.key
address = 203.0.113.1
bridge = br-rel
df-strategy = none
l2fragq = $bin
log-file = $run/rel.log
supervisor = spawn
queues = 24
[peer a]
public-key = $k2
endpoint = 198.51.100.2:51820
address = 203.0.113.2
[peer b]
public-key = $k3
endpoint = 198.51.100.3:51820
address = 203.0.113.3
EOF
lib "l2fq_net_load $work/rel.conf && _l2n_snapshot_write $work/snap" || t_fail "loading rel.conf"
t_check "snapshot: the private key is not in it" bash -c "! grep -qF '$wg_key' $work/snap"
t_check "snapshot: both peers, in file order, and the bridge" \
	eval '[ "$(grep -c "^P " "$work/snap")" = 2 ] && grep -q "^P a $k2 " "$work/snap" && grep -qx "L bridge=br-rel" "$work/snap"'

# ------------------------------------------------------------ journal edits
printf 'info hash x\nlink gt-a\nlink gt-ab\ninfo log /a b\nup-done\n' >"$work/j"
lib "L2N_STATE_FILE=$work/j; _l2n_journal_drop '^link gt-a\$' && _l2n_journal_set_info log '/c d' && _l2n_journal_set_info new 1"
t_check "journal: only the exact record dropped, info rewritten in place, a new one appended" \
	[ "$(tr '\n' ';' <"$work/j")" = "info hash x;link gt-ab;info log /c d;up-done;info new 1;" ]

# ------------------------------------------------------------ a peer removed, in a namespace
# shellcheck disable=SC2034 # read by the eval'd check at the end
before=$(hv ip -o link show | awk '{ print $2 }' | sort | tr '\n' ' ')
# The journal up writes for rel.conf, with veths as the WireGuard
# interface and the gretaps (made as up records them).
# shellcheck disable=SC2016
lib 'l2fq_net_load "$1" || exit 1
	: >"$L2N_STATE_FILE"
	_l2n_rec info netns "$(_l2n_netns_id)"
	_l2n_rec info hash "$(_l2n_conf_hash)"
	_l2n_rec info bridge br-rel
	_l2n_rec info wg l2fq-wg
	_l2n_rec info wg-kind "kernel WireGuard"
	_l2n_rec info strategy none
	_l2n_rec info pmtud off
	_l2n_rec info queue-backend none
	_l2n_rec info log "$L2N_STATE_DIR/rel.log"
	_l2n_rec link br-rel; ip link add br-rel type bridge
	_l2n_rec link l2fq-wg; ip link add l2fq-wg type veth peer name l2fq-wg-p
	for p in a b; do _l2n_rec link gt-$p; ip link add gt-$p type veth peer name gt-$p-p; ip link set gt-$p master br-rel; done
	_l2n_rec up-done
	_l2n_snapshot_write "$(_l2n_applied_file)"' "$work/rel.conf" || t_fail "the journal of rel"
cp "$run/rel.state" "$work/state.before"
cp "$run/rel.applied" "$work/applied.before"
net() { hv env PATH="$work/bin:$PATH" L2FQ_NET_STATE_DIR="$run" "$root/scripts/l2fragq-net" "$@"; }

sed 's/^bridge = br-rel/bridge = br-other/' "$work/rel.conf" >"$work/rel-br.conf"
sed 's/^bridge = br-rel/bridge = br-rel\nwg-interface = l2fq-wg9/' "$work/rel.conf" >"$work/rel-wg.conf"
for c in rel-br:bridge rel-wg:wg-interface; do
	: >"$work/wg.log"
	out=$(net -c "$work/${c%%:*}.conf" reload 2>&1) && st=0 || st=$?
	t_check "reload changing ${c#*:}: exit 1, says which key ($(head -n 1 <<<"$out"))" \
		eval '[ "$st" = 1 ] && [[ $out == *"cannot reload live: ${c#*:}: "* ]]'
	t_check "  and changed nothing (journal, snapshot, links, no wg call)" \
		eval 'cmp -s "$run/rel.state" "$work/state.before" && cmp -s "$run/rel.applied" "$work/applied.before" &&
			[ "$(hv ls /sys/class/net/br-rel/brif | tr "\n" " ")" = "gt-a gt-b " ] && [ ! -s "$work/wg.log" ]'
done
out=$(net -c "$work/rel.conf" --restart status 2>&1) && st=0 || st=$?
t_check "--restart with status: exit 2 ($out)" [ "$st" = 2 ]
sed 's/^name = .*//; /^\[local\]/a name = nosuch' "$work/rel.conf" >"$work/nosuch.conf"
out=$(net -c "$work/nosuch.conf" reload 2>&1) && st=0 || st=$?
t_check "reload of an instance that is not up: exit 3 ($out)" [ "$st" = 3 ]

# Peer b removed: the library's step (the nft tables that reload replaces
# next need the bridge family of nft, which this host lacks).
sed '/^\[peer b\]/,$d' "$work/rel.conf" >"$work/rel-a.conf"
: >"$work/wg.log"
# shellcheck disable=SC2016
lib 'l2fq_net_load "$1" || exit 1
	_l2n_reload_peer_del "$(_l2n_applied_file)" b' "$work/rel-a.conf" 2>"$work/del.err" || t_fail "peer removal: $(cat "$work/del.err")"
t_check "peer b removed: gt-b deleted, gt-a kept ($(hv ls /sys/class/net/br-rel/brif | tr '\n' ' '))" \
	[ "$(hv ls /sys/class/net/br-rel/brif | tr '\n' ' ')" = "gt-a " ]
t_check "  its WireGuard peer removed ($(cat "$work/wg.log"))" [ "$(cat "$work/wg.log")" = "set l2fq-wg peer $k3 remove" ]
t_check "  its journal record gone, the rest unchanged" \
	eval '[ "$(diff "$work/state.before" "$run/rel.state" | grep "^[<>]" | tr "\n" ";")" = "< link gt-b;" ]'

# l2fragq restarted with new arguments (stats-interval) by reload's step.
lib 'l2fq_net_load "$1" && _l2n_plan_strategy && L2N_RUN_L2FRAGQ=on _l2n_start_daemon' "$work/rel-a.conf" >/dev/null 2>&1 ||
	t_fail "starting l2fragq on queue 24"
read -r _ old _ <<<"$(grep '^daemon ' "$run/rel.state")"
sed 's/^queues = 24/queues = 24\nstats-interval = 7/' "$work/rel-a.conf" >"$work/rel-s.conf"
# shellcheck disable=SC2016
out=$(lib 'l2fq_net_load "$1" && _l2n_plan_strategy && L2N_RUN_L2FRAGQ=on _l2n_reload_daemon' "$work/rel-s.conf" 2>&1) && st=0 || st=$?
read -r _ new _ <<<"$(grep '^daemon ' "$run/rel.state")"
t_check "daemon restart: status $st, a new pid ($old -> $new), one daemon record" \
	eval '[ "$st" = 0 ] && [ -n "$new" ] && [ "$new" != "$old" ] && [ "$(grep -c "^daemon " "$run/rel.state")" = 1 ] && ! alive "$old"'
t_check "  with the new arguments ($(tr '\0' ' ' <"/proc/$new/cmdline" 2>/dev/null))" \
	eval '[[ $(tr "\0" " " <"/proc/$new/cmdline") == *"--stats-interval 7 "* ]]'
t_check "  queue 24 bound" hv awk '$1 == 24 { f = 1 } END { exit !f }' /proc/net/netfilter/nfnetlink_queue

# down after the reload steps: the host as before up.
out=$(net down rel 2>&1) && st=0 || st=$?
after=$(hv ip -o link show | awk '{ print $2 }' | sort | tr '\n' ' ')
t_check "down: status $st, links as before up ($after), l2fragq stopped, no journal or snapshot" \
	eval '[ "$st" = 0 ] && [ "$after" = "$before" ] && ! alive "$new" && [ ! -e "$run/rel.state" ] && [ ! -e "$run/rel.applied" ]'

t_summary
