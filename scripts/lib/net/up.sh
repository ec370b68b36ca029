# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# l2fragq-net library, up.sh: `up`. First everything is checked and planned
# (_l2n_preflight), then the setup is made step by step, each change recorded
# in the journal (journal.sh) right after it succeeded: the log and the plan
# as info records, the reassembly sysctls, the VM bridge made invisible, the
# nft tables, WireGuard, the queue rule and l2fragq, one gretap per peer. The
# order of the steps, and of the records within them, is the order `down`
# reverses. A failed step returns 1 and l2fq_net_up undoes the journal.
# On a running instance whose config changed, up is reload (reload.sh).

L2N_BRIDGE_DETAIL=  # "ip -d -o link show" of the bridge as found ("" while up has not made it)
L2N_GSO_OFF_HOW=    # how segmentation offload was turned off on the gretaps (pmtud with ignore-df)
declare -gA L2N_ENDPOINT=() # peer NAME -> its endpoint with the host name resolved (_l2n_resolve_endpoints)

l2fq_net_up() {
	local hash ns st rc
	[ "$EUID" -eq 0 ] || { _l2n_err "must run as root"; return 1; }
	_l2n_lock || return 1
	hash=$(_l2n_conf_hash)
	ns=$(_l2n_netns_id)
	if [ "$L2N_RELOAD_ONLY" = 1 ] && [ ! -f "$L2N_STATE_FILE" ]; then
		_l2n_err "$L2N_NAME is not up (no $L2N_STATE_FILE): nothing to reload (run up)"
		return 3
	fi
	if [ -f "$L2N_STATE_FILE" ]; then
		_l2n_read_info
		st=${L2N_STATE_INFO[netns]:-}
		if [ -n "$st" ] && [ "$st" != "$ns" ]; then
			_l2n_err "$L2N_NAME is up in another network namespace (state $L2N_STATE_FILE): run down there first"
			return 1
		fi
		if [ "${L2N_STATE_INFO[hash]:-}" = "$hash" ] && _l2n_healthy; then
			_l2n_restore_tables || return 1
			# (up by an older l2fragq-net: what is up is this config, the next reload's base)
			[ -f "$(_l2n_applied_file)" ] || _l2n_snapshot_write "$(_l2n_applied_file)"
			_l2n_say "$L2N_NAME is already up (nothing to do)"
			return 0
		fi
		if [ "${L2N_STATE_INFO[hash]:-}" != "$hash" ] && _l2n_healthy; then
			# Running, config changed: only the difference (reload.sh),
			# which writes the tables (once) when it changes them or they
			# are gone; when it did not (refused, failed), what is gone is
			# made again here, as up applied it (its snapshot).
			_l2n_reload
			rc=$?
			if [ $rc != 10 ]; then
				if [ $rc != 0 ] && { [ -n "$(_l2n_nft_missing)" ] || _l2n_ipt_missing; }; then
					_l2n_applied_plan_load || return 1
				fi
				_l2n_restore_tables || return 1
				return $rc
			fi
			_l2n_say "configuration changed since up: taking the old setup down first (--restart)"
		elif [ "${L2N_STATE_INFO[hash]:-}" != "$hash" ] && [ "$L2N_UP_DONE" = 1 ]; then
			_l2n_say "configuration changed since up: taking the old setup down first"
		else
			_l2n_say "an earlier up was incomplete or is broken: cleaning it up first"
		fi
		L2N_KEEP_SAY=0 _l2n_undo "$L2N_STATE_FILE" || { _l2n_err "could not undo the old setup (see above; state kept in $L2N_STATE_FILE)"; return 1; }
	fi
	_l2n_preflight up || return
	[ -z "$L2N_STRATEGY_WARN" ] || _l2n_warn "$L2N_STRATEGY_WARN"
	: >"$L2N_STATE_FILE" || { _l2n_err "cannot write $L2N_STATE_FILE"; return 1; }
	_l2n_rec info netns "$ns"
	_l2n_rec info hash "$hash"
	_l2n_rec info config "$L2N_CONF_FILE"
	_l2n_rec info since "$(_l2n_now)"
	_l2n_rec info bridge "${L2N_CFG[bridge]}"
	_l2n_rec info wg "${L2N_CFG[wg-interface]}"
	if ! _l2n_do_up; then
		_l2n_err "up failed: undoing what was done"
		_l2n_undo "$L2N_STATE_FILE" || _l2n_err "undo incomplete: state kept in $L2N_STATE_FILE; run down"
		return 1
	fi
	_l2n_rec up-done
	_l2n_snapshot_write "$(_l2n_applied_file)" || _l2n_warn "cannot write $(_l2n_applied_file): reload will need --restart"
	_l2n_say "$L2N_NAME is up: ${#L2N_PEERS[@]} peer(s), DF strategy $L2N_STRATEGY ($L2N_STRATEGY_WHY); pmtud $L2N_PMTUD"
}

# The setup, in the order down reverses.
_l2n_do_up() {
	_l2n_up_log || return 1
	_l2n_up_reassembly || return 1
	_l2n_up_bridge || return 1
	_l2n_up_nft_tables || return 1
	_l2n_up_bridge_link_up || return 1
	_l2n_up_wireguard_link || return 1
	_l2n_up_wireguard_config || return 1
	_l2n_up_queue_and_daemon || return 1
	_l2n_up_gretaps || return 1
	_l2n_up_gretaps_gso || return 1
	_l2n_up_gretaps_into_bridge || return 1
	return 0
}

# The log file, and what was decided (info records for status and wait).
_l2n_up_log() {
	local log
	log=$(_l2n_log_dest) # (daemon.sh: the file, or "journal")
	_l2n_log_open "$log" || return 1
	_l2n_rec info wg-kind "$L2N_WG_WHY"
	_l2n_rec info strategy "$L2N_STRATEGY"
	_l2n_rec info strategy-why "$L2N_STRATEGY_WHY"
	[ -z "$L2N_STRATEGY_WARN" ] || _l2n_rec info strategy-warn "$L2N_STRATEGY_WARN"
	_l2n_rec info kernel-verdict "$(_l2n_kernel_verdict)"
	_l2n_rec info pmtud "$L2N_PMTUD"
	_l2n_rec info pmtud-path-mtu "$L2N_PMTUD_PATH_MTU"
	_l2n_rec info pmtud-why "$L2N_PMTUD_WHY"
	_l2n_rec info underlay "${L2N_UNDERLAY:-off}"
	_l2n_rec info underlay-why "${L2N_UNDERLAY_WHY:-}"
	_l2n_rec info mss-clamp "${L2N_MSS_CLAMP4:+IPv4 $L2N_MSS_CLAMP4, IPv6 $L2N_MSS_CLAMP6}"
	_l2n_rec info log "$log"
}

# Receive side: reassembly of the outer fragments (doc/setup.md).
_l2n_up_reassembly() {
	_l2n_shared_sysctl_set net/ipv4/ipfrag_high_thresh "${L2N_CFG[ipfrag-high-thresh]}" || return 1
	_l2n_shared_sysctl_set net/ipv4/ipfrag_time "${L2N_CFG[ipfrag-time]}" || return 1
	_l2n_shared_sysctl_set net/ipv4/ipfrag_max_dist "${L2N_CFG[ipfrag-max-dist]}" || return 1
}

# The VM bridge, invisible: no IPv4, no IPv6 (not even link-local).
_l2n_up_bridge() {
	local br=${L2N_CFG[bridge]} mode
	if [ -z "$L2N_BRIDGE_DETAIL" ]; then
		_l2n_rec link "$br"
		_l2n_rec info bridge-created yes
		_l2n_run ip link add name "$br" mtu "${L2N_CFG[vm-mtu]}" type bridge || return 1
		L2N_BRIDGE_DETAIL=$(ip -d -o link show dev "$br")
	else
		_l2n_adopt_kept_bridge "$br"
	fi
	if [ -e "/proc/sys/net/ipv6/conf/$br/disable_ipv6" ]; then
		# Remember its link-local addresses: enabling IPv6 again would derive
		# a new one from the bridge's MAC, which follows its ports.
		# shellcheck disable=SC2046 # one word per address
		_l2n_rec ll6 "$br" $(ip -6 -o addr show dev "$br" scope link 2>/dev/null | awk '{ print $4 }')
		_l2n_sysctl_set "net/ipv6/conf/$br/disable_ipv6" 1 || return 1
	fi
	mode=
	[[ $L2N_BRIDGE_DETAIL =~ \ addrgenmode\ ([a-z_0-9]+) ]] && mode=${BASH_REMATCH[1]}
	if [ -n "$mode" ] && [ "$mode" != none ]; then
		_l2n_rec addrgenmode "$br" "$mode"
		_l2n_run ip link set dev "$br" addrgenmode none || return 1
	fi
	return 0
}

# The bridge an earlier down kept because VMs were on it (journal.sh): when
# BRIDGE is that very one (same ifindex), it is ours again, so that down
# deletes it once it is empty. The note is used up either way.
_l2n_adopt_kept_bridge() { # BRIDGE
	local br=$1 f=$L2N_STATE_DIR/$L2N_NAME.kept-bridge name idx now
	[ -f "$f" ] || return 0
	read -r name idx <"$f"
	rm -f "$f"
	now=$(cat "/sys/class/net/$br/ifindex" 2>/dev/null)
	[ "$name" = "$br" ] && [ -n "$idx" ] && [ "$idx" = "$now" ] || return 0
	_l2n_rec link "$br"
	_l2n_rec info bridge-created yes
	_l2n_say "adopting bridge $br: an earlier down kept it for the ports on it"
}

# nft tables, one transaction: invisibility, and the DF fixer on OUTPUT
# (RFC 6864 4.3: only the host that builds the packet may clear DF).
_l2n_up_nft_tables() {
	_l2n_rec nft bridge "$L2N_NFT_TABLE"
	if [ "$L2N_NFT_DFCLEAR" = on ] || { [ "$L2N_RUN_L2FRAGQ" = on ] && [ "$L2N_QUEUE_BACKEND" = nft ]; }; then
		_l2n_rec nft ip "$L2N_NFT_TABLE"
	fi
	_l2n_write_nft_tables
}

# The instance's nft tables (the journal's "nft FAMILY TABLE" records),
# written from the plan in one nft transaction: each table added, deleted
# and made again, so that the same text makes a missing table and replaces
# a present one with no moment without rules. The ip table is the DF-clear
# rule (L2N_NFT_DFCLEAR on: df-strategy nft) or the queue rules. up, reload
# and the repair after a "flush ruleset" (_l2n_restore_tables) all write
# the tables here.
_l2n_write_nft_tables() { # [WHAT: for the log line]
	local a b c nftin=''
	while read -r a b c; do
		[ "$a" = nft ] || continue
		nftin+="add table $b $L2N_NFT_TABLE"$'\n'"delete table $b $L2N_NFT_TABLE"$'\n'
		if [ "$b" = bridge ]; then nftin+=$(_l2n_nft_bridge_table)
		elif [ "$L2N_NFT_DFCLEAR" = on ]; then nftin+=$(_l2n_nft_out_table dfclear)
		else nftin+=$(_l2n_nft_out_table queue); fi
		nftin+=$'\n'
	done <"$L2N_STATE_FILE"
	[ -n "$nftin" ] || return 0
	_l2n_run_in "nft -f (tables $L2N_NFT_TABLE${1:+, $1})" nft -f - <<<"$nftin"
}

# The journal's nft tables that are gone, "FAMILY TABLE" a line.
_l2n_nft_missing() {
	local a b c
	while read -r a b c; do
		[ "$a" = nft ] && ! nft list table "$b" "$c" >/dev/null 2>&1 && echo "$b $c"
	done <"$L2N_STATE_FILE"
	return 0
}

# Is the journal's iptables chain (queue-backend iptables) gone, empty, or
# no longer jumped to from OUTPUT? (iptables-nft keeps it in nft's "table ip
# filter", which a "flush ruleset" deletes.)
_l2n_ipt_missing() {
	local chain
	chain=$(sed -n 's/^ipt //p' "$L2N_STATE_FILE" | head -n 1)
	[ -n "$chain" ] || return 1
	! iptables -w -C OUTPUT -j "$chain" 2>/dev/null ||
		! iptables -w -S "$chain" 2>/dev/null | grep -q NFQUEUE
}

# Our iptables chain filled with the queue rules by one iptables-restore (a
# chain declared with --noflush is made when missing and flushed when there,
# in the same commit), and the jump from OUTPUT added when it is not there:
# idempotent, no rule twice. up, reload and the repair write it here.
_l2n_write_ipt_queue() {
	local rules
	rules=$(_l2n_queue_rules iptables | sed "s/^/-A $L2N_IPT_CHAIN /")
	_l2n_run_in "iptables-restore (chain $L2N_IPT_CHAIN)" iptables-restore -w --noflush \
		<<<"*filter"$'\n'":$L2N_IPT_CHAIN - [0:0]"$'\n'"$rules"$'\n'"COMMIT" || return 1
	iptables -w -C OUTPUT -j "$L2N_IPT_CHAIN" 2>/dev/null || _l2n_run iptables -w -A OUTPUT -j "$L2N_IPT_CHAIN"
}

# The tables and the iptables chain of the journal that are gone, made again
# as up made them: a "flush ruleset" (Debian's /etc/nftables.conf starts
# with one, run by "systemctl reload nftables") deletes every nft table,
# ours and iptables-nft's too, and leaves the VMs seeing this host and GRE
# with DF unfixed. Called by up (and reload) on an instance that is up and
# otherwise healthy; writes nothing when all is there (a reload that just
# wrote them leaves nothing to do).
_l2n_restore_tables() {
	local missing ipt=0
	missing=$(_l2n_nft_missing)
	! _l2n_ipt_missing || ipt=1
	[ -n "$missing" ] || [ $ipt = 1 ] || return 0
	_l2n_restore_nft_plan || return 1
	if [ -n "$missing" ]; then
		_l2n_warn "nft table(s) ${missing//$'\n'/, } were deleted (nft flush ruleset?): making them again"
		_l2n_write_nft_tables restored || return 1
		_l2n_say "restored nft table(s) ${missing//$'\n'/, }"
	fi
	if [ $ipt = 1 ]; then
		_l2n_warn "iptables chain $L2N_IPT_CHAIN or its jump from OUTPUT is gone (nft flush ruleset?): making it again"
		_l2n_write_ipt_queue || return 1
		_l2n_say "restored iptables chain $L2N_IPT_CHAIN"
	fi
}
# What the tables are made of, as up planned it: the DF strategy and pmtud
# (the signals' mark, the queue rule's length) from the journal, the rest
# from the config.
_l2n_restore_nft_plan() {
	L2N_NFT_DFCLEAR=off
	[ "${L2N_STATE_INFO[strategy]:-}" != nft ] || L2N_NFT_DFCLEAR=on
	L2N_PMTUD=${L2N_STATE_INFO[pmtud]:-off}
	L2N_PMTUD_MARK=${L2N_L2FRAGQ_SETTINGS[pmtud-mark]:-}
	L2N_PMTUD_PATH_MTU=${L2N_STATE_INFO[pmtud-path-mtu]:-${L2N_CFG[wg-mtu]}}
	L2N_UNDERLAY=${L2N_STATE_INFO[underlay]:-off}
	# shellcheck disable=SC2034 # read by plan.sh's queue rules
	L2N_QUEUE_ROUTES=${L2N_STATE_INFO[queue-routes]:-off}
	[ "$L2N_PMTUD" = off ] || [ -n "$L2N_PMTUD_MARK" ] || { _l2n_err "cannot restore the nft tables: no pmtud-mark from l2fragq --print-settings"; return 1; }
}

# The bridge up, after its invisibility rules are in.
_l2n_up_bridge_link_up() {
	local br=${L2N_CFG[bridge]}
	if [[ $L2N_BRIDGE_DETAIL =~ \<([A-Z_,]*)\> ]] && [[ ,${BASH_REMATCH[1]}, != *,UP,* ]]; then
		_l2n_rec linkdown "$br" # it was down: down sets it down again
	fi
	_l2n_run ip link set dev "$br" up || return 1
}

# The WireGuard interface: kernel, else (or when the kernel refuses one and
# wireguard = auto) wireguard-go.
_l2n_up_wireguard_link() {
	local wg=${L2N_CFG[wg-interface]}
	# Opening a kernel WireGuard interface turns
	# net.ipv4.conf.all.send_redirects off (drivers/net/wireguard/device.c):
	# record it, so that down puts it back.
	_l2n_shared_sysctl_set net/ipv4/conf/all/send_redirects - || return 1
	if [ "$L2N_WG_KIND" = kernel ]; then
		[ -d /sys/module/wireguard ] || modprobe -q wireguard 2>/dev/null
		_l2n_rec link "$wg"
		if ! ip link add dev "$wg" type wireguard 2>/dev/null; then
			if [ "${L2N_CFG[wireguard]}" = auto ] && command -v wireguard-go >/dev/null 2>&1; then
				L2N_WG_KIND=userspace L2N_WG_WHY="wireguard-go: the kernel refused a wireguard interface"
				_l2n_rec info wg-kind "$L2N_WG_WHY"
			else
				_l2n_err "cannot create the WireGuard interface $wg (kernel module)"
				return 1
			fi
		fi
	fi
	if [ "$L2N_WG_KIND" = userspace ]; then
		_l2n_start_wireguard_go "$wg" || return 1
	fi
	return 0
}

# WireGuard's keys and peers, its address, and a route to every peer's address.
# A peer without an endpoint gets none: it roams to us (its first handshake
# tells WireGuard where it is).
_l2n_up_wireguard_config() {
	local wg=${L2N_CFG[wg-interface]} local_addr=${L2N_CFG[address]} p batch
	local wgargs=(private-key "${L2N_CFG[private-key-file]}" listen-port "${L2N_CFG[listen-port]}")
	_l2n_resolve_endpoints || return 1
	for p in "${L2N_PEERS[@]}"; do _l2n_wg_peer_args "$p"; wgargs+=("${L2N_WG_PEER_ARGS[@]}"); done
	_l2n_run wg set "$wg" "${wgargs[@]}" || return 1
	batch="link set dev $wg mtu ${L2N_CFG[wg-mtu]}"$'\n'"addr add $local_addr/32 dev $wg"$'\n'"link set dev $wg up"$'\n'
	for p in "${L2N_PEERS[@]}"; do batch+="$(_l2n_peer_route "${L2N_PEER_CFG[$p.address]}")"$'\n'; done
	_l2n_run_in "ip -batch (WireGuard $wg)" ip -batch - <<<"$batch" || return 1
}

# The route to a peer's tunnel address, as "route replace ..." for ip
# (-batch): on WireGuard, from this host's address, protocol 76, l2fragq's
# own (underlay probing sets a locked MTU on it and keeps src). A locked MTU
# already on a protocol-76 route there is kept: re-adding the route (up,
# reload) must not undo what the prober measured.
_l2n_peer_route() { # ADDR
	local wg=${L2N_CFG[wg-interface]} r mtu=''
	r=$(ip -o route show "$1/32" dev "$wg" proto 76 2>/dev/null)
	[[ $r =~ \ mtu\ lock\ ([0-9]+) ]] && mtu=" mtu lock ${BASH_REMATCH[1]}"
	echo "route replace $1/32 dev $wg src ${L2N_CFG[address]} proto 76$mtu"
}

# Every peer's endpoint into L2N_ENDPOINT, host names resolved (getent
# ahosts: the first address), so that a name that does not resolve yet (DNS
# not up at boot) is retried here, like wg-quick@'s
# WG_ENDPOINT_RESOLUTION_RETRIES=infinity: L2FQ_NET_RESOLVE_RETRIES retries
# (a number or "infinity"; the unit sets infinity; default 3), 1 s apart,
# then 2, 4 ... up to 20 s. Every failure is a warning naming the host.
_l2n_resolve_endpoints() {
	local retries=${L2FQ_NET_RESOLVE_RETRIES:-3} p ep host port addr try pause
	declare -gA L2N_ENDPOINT=()
	[[ $retries =~ ^([0-9]{1,6}|infinity)$ ]] ||
		{ _l2n_err "L2FQ_NET_RESOLVE_RETRIES '$retries': want a number of retries or infinity"; return 1; }
	for p in "${L2N_PEERS[@]}"; do
		ep=${L2N_PEER_CFG[$p.endpoint]:-}
		[ -n "$ep" ] || continue
		host=${ep%:*} port=${ep##*:}
		if [[ $host == \[* ]] || [[ $host =~ ^[0-9.]+$ ]]; then
			L2N_ENDPOINT[$p]=$ep
			continue
		fi
		try=1 pause=1
		while ! addr=$(getent ahosts "$host" 2>/dev/null | awk 'NR == 1 { print $1 }') || [ -z "$addr" ]; do
			if [ "$retries" != infinity ] && [ "$try" -gt "$retries" ]; then
				_l2n_err "[peer $p] endpoint host '$host' does not resolve ($try tries; L2FQ_NET_RESOLVE_RETRIES=$retries)"
				return 1
			fi
			_l2n_warn "[peer $p] endpoint host '$host' does not resolve (try $try); retrying in $pause s"
			sleep "$pause"
			try=$((try + 1)) pause=$((pause * 2))
			[ "$pause" -le 20 ] || pause=20
		done
		if [[ $addr == *:* ]]; then L2N_ENDPOINT[$p]="[$addr]:$port"; else L2N_ENDPOINT[$p]=$addr:$port; fi
	done
	return 0
}

# "peer KEY [endpoint E] [preshared-key FILE] allowed-ips A/32
# persistent-keepalive K" of one peer for wg set, into L2N_WG_PEER_ARGS
# (endpoints resolved first: _l2n_resolve_endpoints). up and reload use it.
L2N_WG_PEER_ARGS=()
_l2n_wg_peer_args() { # PEER
	local p=$1
	L2N_WG_PEER_ARGS=(peer "${L2N_PEER_CFG[$p.public-key]}")
	[ -z "${L2N_ENDPOINT[$p]:-}" ] || L2N_WG_PEER_ARGS+=(endpoint "${L2N_ENDPOINT[$p]}")
	[ -z "${L2N_PEER_PSK[$p]:-}" ] || L2N_WG_PEER_ARGS+=(preshared-key "${L2N_PEER_CFG[$p.preshared-key-file]}")
	L2N_WG_PEER_ARGS+=(allowed-ips "${L2N_PEER_CFG[$p.address]}/32" persistent-keepalive "${L2N_CFG[keepalive]}")
}

# The queue rule (iptables) and l2fragq.
_l2n_up_queue_and_daemon() {
	_l2n_rec info queue-backend "${L2N_QUEUE_BACKEND:-none}"
	_l2n_rec info queue-backend-why "${L2N_QUEUE_BACKEND_WHY:-}"
	_l2n_rec info queue-routes "$(_l2n_queue_follows_routes)"
	if [ "$L2N_RUN_L2FRAGQ" = on ]; then
		[ -d /sys/module/nfnetlink_queue ] || modprobe -q nfnetlink_queue 2>/dev/null
		if [ "$L2N_QUEUE_BACKEND" = iptables ]; then
			_l2n_up_iptables_queue || return 1
		fi
		_l2n_start_daemon || return 1
	fi
	return 0
}

# queue-backend iptables: our chain, hooked into OUTPUT, with the NFQUEUE
# rules (the same match as nft's: _l2n_queue_rules).
_l2n_up_iptables_queue() {
	if [[ $(iptables -V 2>/dev/null) == *nf_tables* ]] && ! nft list table ip filter >/dev/null 2>&1; then
		_l2n_rec ipt-table
	fi
	_l2n_rec ipt "$L2N_IPT_CHAIN"
	_l2n_write_ipt_queue
}

# One gretap per peer (ignore-df kept, checked, when the strategy has it).
_l2n_up_gretaps() {
	local local_addr=${L2N_CFG[address]} p flags csum batch='' detail
	if [ "${L2N_CFG[tunnel-pmtudisc]}" = on ]; then flags=(pmtudisc); else flags=(nopmtudisc); fi
	[ "$L2N_IGNORE_DF" = on ] && flags+=(ignore-df)
	if [ "${L2N_CFG[gre-csum]}" = on ]; then csum=csum; else csum=nocsum; fi
	for p in "${L2N_PEERS[@]}"; do
		_l2n_rec link "gt-$p"
		batch+="link add name gt-$p mtu ${L2N_CFG[vm-mtu]} type gretap local $local_addr remote ${L2N_PEER_CFG[$p.address]} ${flags[*]} $csum"$'\n'
	done
	_l2n_run_in "ip -batch (gretap ports)" ip -batch - <<<"$batch" || return 1
	if [ "$L2N_IGNORE_DF" = on ]; then
		detail=$(ip -d -o link show type gretap)
		for p in "${L2N_PEERS[@]}"; do
			[[ $detail =~ gt-$p@[^$'\n']*\ ignore-df ]] ||
				{ _l2n_err "the kernel did not keep ignore-df on gt-$p: use df-strategy l2fragq"; return 1; }
		done
	fi
	return 0
}

# pmtud with ignore-df: segmentation offload off on the gretaps.
_l2n_up_gretaps_gso() {
	local p
	if [ "$L2N_PMTUD" = on ] && [ "$L2N_IGNORE_DF" = on ]; then
		# A GSO frame (the VMs' virtio and veth send them) would reach
		# OUTPUT as one outer packet carrying its whole length, so the
		# length rule would queue TCP that already fits the path, segment by
		# segment. Without segmentation offload on the gretap the kernel
		# segments before encapsulation and only frames that are really too
		# big match. (The ports go with down: nothing to undo.) Only with
		# ignore-df: without it, TCP carries DF outside and is queued
		# anyway, and since 5.11 the tunnel drops oversized non-GSO DF
		# frames before OUTPUT, so segmenting first would hide every
		# full-size segment from l2fragq and stall TCP.
		for p in "${L2N_PEERS[@]}"; do _l2n_gso_off "gt-$p" || return 1; done
		_l2n_rec info gso-off "$L2N_GSO_OFF_HOW"
	fi
	return 0
}

# The gretaps into the bridge, isolated from the other tunnel ports (full
# mesh: a frame from one site never goes back out to another).
_l2n_up_gretaps_into_bridge() {
	local br=${L2N_CFG[bridge]} p gt batch=''
	for p in "${L2N_PEERS[@]}"; do
		gt=gt-$p
		[ ! -e "/proc/sys/net/ipv6/conf/$gt/disable_ipv6" ] || echo 1 >"/proc/sys/net/ipv6/conf/$gt/disable_ipv6"
		batch+="link set dev $gt addrgenmode none"$'\n'"link set dev $gt master $br"$'\n'
		batch+="link set dev $gt type bridge_slave isolated on"$'\n'"link set dev $gt up"$'\n'
	done
	_l2n_run_in "ip -batch (gretap ports into $br)" ip -batch - <<<"$batch" || return 1
	return 0
}

# Segmentation offload off on a gretap: ethtool, else at most one segment
# per GSO packet (gso_max_segs 1 makes the stack segment as well). Sets
# L2N_GSO_OFF_HOW.
_l2n_gso_off() { # DEV
	local out
	if command -v ethtool >/dev/null 2>&1 && out=$(ethtool -K "$1" tso off gso off 2>&1) &&
		[[ $(ethtool -k "$1" 2>/dev/null) == *"tcp-segmentation-offload: off"* ]]; then
		L2N_GSO_OFF_HOW="ethtool -K tso off gso off"
		return 0
	fi
	if ip link set dev "$1" gso_max_segs 1 2>/dev/null; then
		L2N_GSO_OFF_HOW="gso_max_segs 1${out:+ (ethtool: ${out//$'\n'/ })}"
		return 0
	fi
	_l2n_err "cannot turn segmentation offload off on $1 (apt-get install ethtool): ${out:-no ethtool}"
	return 1
}

