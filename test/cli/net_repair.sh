#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# l2fragq-net after "nft flush ruleset" (Debian's nftables.conf, systemctl
# reload nftables), on the host kernel in a network namespace made for the
# test (veths stand for WireGuard and the gretaps; the host's nft has no
# bridge family, so a stand-in nft records what it is given):
#   - up with the same config makes the deleted nft tables again, both in
#     one nft transaction;
#   - up with a changed config (a live change that rewrites the tables) and
#     reload with one that does not: the tables written once, not twice;
#   - a refused reload still makes them again;
#   - queue-backend iptables (the real iptables-nft in the namespace): the
#     flush deletes iptables' tables; up and reload make l2fragq-net's chain,
#     its NFQUEUE rules and the jump from OUTPUT again, and never twice.
# Usage (root): test/cli/net_repair.sh L2FRAGQ_BINARY
# shellcheck disable=SC2016 # checks are eval'd later
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=test/lib.sh
. "$root/test/lib.sh"
t_binary_arg "$@"
bin=$(readlink -f "$T_BIN")
t_need_root "network namespaces"
t_need_tools nft iptables iptables-restore
ns=l2fq-rep-$$
t_workdir /tmp/l2fq-repair.XXXXXX
work=$WORK
chmod 755 "$work"
run=$work/run
mkdir -p "$run" "$work/bin" "$work/nftbin"
teardown() { ip netns del "$ns" 2>/dev/null; }
T_TEARDOWN=(teardown)
ip netns add "$ns" || t_fatal "cannot create a network namespace"
hv() { ip netns exec "$ns" "$@"; }

# A stand-in wg (its arguments to wg.log) and a stand-in nft: "list table"
# fails while the file FLUSHED exists (the tables are gone), "-f" records
# its input in nft.in (one "----" line after each) and clears FLUSHED.
printf '#!/bin/sh\necho "$*" >>"%s/wg.log"\n' "$work" >"$work/bin/wg"
{
	echo '#!/bin/sh'
	echo 'case "$1" in'
	echo "list) [ ! -e '$work/FLUSHED' ] ;;"
	echo "-f) cat >>'$work/nft.in'; echo ---- >>'$work/nft.in'; rm -f '$work/FLUSHED' ;;"
	echo '*) cat >/dev/null ;;'
	echo 'esac'
} >"$work/nftbin/nft"
chmod 755 "$work/bin/wg" "$work/nftbin/nft"
# net [stub] ARG...: l2fragq-net in the namespace (stub: with the stand-in nft)
net() {
	local path=$work/bin:$PATH
	[ "$1" != stub ] || { path=$work/nftbin:$path; shift; }
	hv env PATH="$path" L2FQ_NET_STATE_DIR="$run" "$root/scripts/l2fragq-net" "$@"
}
lib() { # SNIPPET [ARG...]: the library in the namespace, then SNIPPET
	hv env PATH="$work/bin:$PATH" L2FQ_NET_STATE_DIR="$run" bash -c '
		set -uo pipefail
		L2N_ME=l2fragq-net libdir=$1 snippet=$2
		shift 2
		for f in common config plan journal daemon preflight up reload status; do . "$libdir/$f.sh"; done
		eval "$snippet"' lib "$root/scripts/lib/net" "$@"
}
(umask 077 && { wg genkey 2>/dev/null || echo AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=; } >"$work/priv.key")
k2=BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA= k3=CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCA=
conf() { # NAME DF-STRATEGY [EXTRA LOCAL LINE...]: a config with peers a and b
	local n=$1 s=$2
	shift 2
	printf '[local]\nname = %s\nprivate-key-file = %s\naddress = 203.0.113.1\nbridge = br-%s\nwg-interface = wg-%s\n' "$n" "$work/priv.key" "$n" "$n"
	printf 'df-strategy = %s\nl2fragq = %s\nlog-file = %s\nsupervisor = spawn\nqueues = 24\n' "$s" "$bin" "$run/$n.log"
	[ $# -eq 0 ] || printf '%s\n' "$@"
	printf '[peer a]\npublic-key = %s\nendpoint = 198.51.100.2:51820\naddress = 203.0.113.2\n' "$k2"
	printf '[peer b]\npublic-key = %s\nendpoint = 198.51.100.3:51820\naddress = 203.0.113.3\n' "$k3"
}
# The journal up writes (veths for WireGuard and the gretaps), SNIPPET's
# records among them, and the snapshot of the config.
journal() { # CONF STRATEGY BACKEND SNIPPET
	lib 'l2fq_net_load "$1" || exit 1
		: >"$L2N_STATE_FILE"
		_l2n_rec info netns "$(_l2n_netns_id)"
		_l2n_rec info hash "$(_l2n_conf_hash)"
		_l2n_rec info bridge "${L2N_CFG[bridge]}"
		_l2n_rec info wg "${L2N_CFG[wg-interface]}"
		_l2n_rec info wg-kind "kernel WireGuard"
		_l2n_rec info strategy "$2"
		_l2n_rec info pmtud off
		_l2n_rec info queue-backend "$3"
		_l2n_rec link "${L2N_CFG[bridge]}"; ip link add "${L2N_CFG[bridge]}" type bridge || exit 1
		_l2n_rec link "${L2N_CFG[wg-interface]}"
		ip link add "${L2N_CFG[wg-interface]}" type veth peer name "${L2N_CFG[wg-interface]}p" || exit 1
		for p in a b; do
			_l2n_rec link "gt-$p"
			ip link add "gt-$p" type veth peer name "gt-$p-p" && ip link set "gt-$p" master "${L2N_CFG[bridge]}" || exit 1
		done
		eval "$4" || exit 1
		_l2n_rec up-done
		_l2n_snapshot_write "$(_l2n_applied_file)"' "$@"
}
writes() { if [ -f "$work/nft.in" ]; then grep -c '^----$' "$work/nft.in"; else echo 0; fi; }

# ------------------------------------------------------------ nft tables (df-strategy nft)
conf nft nft >"$work/nft.conf"
journal "$work/nft.conf" nft none '_l2n_rec nft bridge "$L2N_NFT_TABLE"; _l2n_rec nft ip "$L2N_NFT_TABLE"' ||
	t_fatal "the journal of nft"
touch "$work/FLUSHED"
out=$(net stub -c "$work/nft.conf" up 2>&1) && st=0 || st=$?
t_check "up, same config, tables gone: exit 0, one nft transaction ($st, $(writes); $out)" \
	eval '[ "$st" = 0 ] && [ "$(writes)" = 1 ] && [[ $out == *"restored nft table(s)"* ]]'
t_check "  with both tables, each added, deleted and made again, DF-clear in ip" eval '
	grep -qx "add table bridge l2fragq-nft" "$work/nft.in" && grep -qx "delete table ip l2fragq-nft" "$work/nft.in" &&
	grep -q "^table bridge l2fragq-nft {" "$work/nft.in" && grep -q "^table ip l2fragq-nft {" "$work/nft.in" &&
	grep -q "ip frag-off set ip frag-off & 0xbfff" "$work/nft.in"'
rm -f "$work/nft.in"
out=$(net stub -c "$work/nft.conf" up 2>&1) && st=0 || st=$?
t_check "up again, tables there: exit 0, nothing written ($st, $(writes); $out)" eval '[ "$st" = 0 ] && [ "$(writes)" = 0 ]'

conf nft nft "mss-clamp = 1300" >"$work/nft-mss.conf"
touch "$work/FLUSHED"
out=$(net stub -c "$work/nft-mss.conf" up 2>&1) && st=0 || st=$?
t_check "up, changed config that rewrites the tables (mss-clamp), tables gone: exit 0, written ONCE ($st, $(writes) writes; $out)" \
	eval '[ "$st" = 0 ] && [ "$(writes)" = 1 ]'
t_check "  with the new config's rules, both tables" eval '
	grep -q "maxseg size set 1300" "$work/nft.in" && grep -q "^table ip l2fragq-nft {" "$work/nft.in"'
rm -f "$work/nft.in"
conf nft nft "mss-clamp = 1300" "keepalive = 10" >"$work/nft-ka.conf"
touch "$work/FLUSHED"
out=$(net stub -c "$work/nft-ka.conf" reload 2>&1) && st=0 || st=$?
t_check "reload, a change that leaves the tables (keepalive), tables gone: exit 0, written once ($st, $(writes); $out)" \
	eval '[ "$st" = 0 ] && [ "$(writes)" = 1 ] && grep -q "^table bridge l2fragq-nft {" "$work/nft.in"'
rm -f "$work/nft.in"
sed 's/^bridge = .*/bridge = br-other/' "$work/nft-ka.conf" >"$work/nft-br.conf"
touch "$work/FLUSHED"
out=$(net stub -c "$work/nft-br.conf" reload 2>&1) && st=0 || st=$?
t_check "reload refused (bridge), tables gone: exit 1, the tables made again anyway, as applied ($st, $(writes); $out)" \
	eval '[ "$st" = 1 ] && [ "$(writes)" = 1 ] && grep -q "meta ibrname \"br-nft\" counter drop" "$work/nft.in" &&
		! grep -q br-other "$work/nft.in" && grep -q "maxseg size set 1300" "$work/nft.in"'
rm -f "$work/FLUSHED"
out=$(net stub down nft 2>&1) || t_fail "down nft: $out"

# ------------------------------------------------------------ iptables chain (queue-backend iptables)
conf ipt l2fragq "queue-backend = iptables" "pmtud = off" >"$work/ipt.conf"
journal "$work/ipt.conf" l2fragq iptables '_l2n_plan_strategy && _l2n_pick_backend && _l2n_up_iptables_queue' ||
	t_fatal "the journal of ipt"
nfq() { hv iptables -w -S L2FQ-ipt 2>/dev/null | grep -c NFQUEUE; }
jumps() { hv iptables -w -S OUTPUT 2>/dev/null | grep -c -- '-j L2FQ-ipt$'; }
t_check "up's chain: 2 NFQUEUE rules (one per peer), 1 jump from OUTPUT ($(nfq), $(jumps))" eval '[ "$(nfq)" = 2 ] && [ "$(jumps)" = 1 ]'
hv nft flush ruleset
t_check "nft flush ruleset deletes the chain (iptables-nft)" eval '! hv iptables -w -S L2FQ-ipt >/dev/null 2>&1'
out=$(net -c "$work/ipt.conf" up 2>&1) && st=0 || st=$?
t_check "up, same config, after the flush: exit 0, chain back with 2 rules and 1 jump ($st, $(nfq), $(jumps); $out)" \
	eval '[ "$st" = 0 ] && [ "$(nfq)" = 2 ] && [ "$(jumps)" = 1 ] && [[ $out == *"restored iptables chain L2FQ-ipt"* ]]'
out=$(net -c "$work/ipt.conf" up 2>&1) && st=0 || st=$?
t_check "up again: nothing restored, no rule twice ($st, $(nfq), $(jumps); $out)" \
	eval '[ "$st" = 0 ] && [ "$(nfq)" = 2 ] && [ "$(jumps)" = 1 ] && [[ $out != *restored* ]]'
hv iptables -w -D OUTPUT -j L2FQ-ipt
out=$(net -c "$work/ipt.conf" up 2>&1) && st=0 || st=$?
t_check "only the jump gone: up adds it, the rules not twice ($st, $(nfq), $(jumps))" \
	eval '[ "$st" = 0 ] && [ "$(nfq)" = 2 ] && [ "$(jumps)" = 1 ]'
conf ipt l2fragq "queue-backend = iptables" "pmtud = off" "keepalive = 10" >"$work/ipt-ka.conf"
hv nft flush ruleset
out=$(net -c "$work/ipt-ka.conf" reload 2>&1) && st=0 || st=$?
t_check "reload (keepalive) after the flush: exit 0, chain back, 2 rules, 1 jump ($st, $(nfq), $(jumps); $out)" \
	eval '[ "$st" = 0 ] && [ "$(nfq)" = 2 ] && [ "$(jumps)" = 1 ]'
out=$(net down ipt 2>&1) && st=0 || st=$?
t_check "down: exit 0, chain and jump gone ($st; $out)" \
	eval '[ "$st" = 0 ] && ! hv iptables -w -S L2FQ-ipt >/dev/null 2>&1 && [ "$(jumps)" = 0 ]'

t_summary
