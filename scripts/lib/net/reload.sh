# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash disable=SC2034 # its globals are set for the other files of the library
# l2fragq-net library, reload.sh: `reload` (and `up` on a running instance
# whose config changed) applies only the difference, like `wg syncconf`.
# up leaves a snapshot of the config it applied, STATE_DIR/NAME.applied
# (config.sh's normalized lines, the private key as a hash); reload diffs it
# against the edited config (_l2n_reload_classify, pure: test/cli/net_reload.sh)
# and, when every change can be made live, makes just those changes and edits
# the journal so that down still restores the host exactly:
#   peer added      WireGuard peer, route, gretap gt-P into the bridge (isolated)
#   peer removed    gretap, WireGuard peer and route go, and its journal records
#   peer changed    that peer only (a new address recreates only its gretap)
#   live keys       wg set / ip link / the shared sysctls (L2N_RELOAD_CLASS)
#   daemon keys     only l2fragq restarts, with the new arguments; the queue
#                   rule's bypass passes packets while none is bound
# Peers or queue settings changed: the nft tables are replaced in one
# transaction (iptables: one iptables-restore of our chain); l2fragq restarts.
# A change that cannot be made live ("fixed": what up built around it would
# go) is refused with one line per key, before anything changed; --restart
# (L2N_RELOAD_RESTART=1) takes the instance down and up again instead.

L2N_RELOAD_RESTART=0 # 1: --restart: a change that is not live takes the instance down and up
L2N_RELOAD_ONLY=0    # 1: the reload command: an instance that is not up is an error

# How each [local] key is applied: live (no restart of anything), daemon
# (l2fragq restarts) or fixed (refused without --restart; _l2n_reload_why).
declare -gA L2N_RELOAD_CLASS=(
	[listen-port]=live [keepalive]=live [wg-mtu]=live [private-key-file]=live [private-key]=live
	[mss-clamp]=live [ipfrag-time]=live [ipfrag-high-thresh]=live [ipfrag-max-dist]=live
	[stats-interval]=daemon [metrics-file]=daemon [log-file]=daemon [l2fragq-args]=daemon
	[queues]=daemon [pmtud-mtu]=daemon [pmtud-mark]=daemon [l2fragq]=daemon
	[daemon-user]=daemon [supervisor]=daemon
	[underlay-probe]=daemon [underlay-confirm-interval]=daemon [underlay-raise-interval]=daemon
	[create-bridge]=live
	[wg-interface]=fixed [bridge]=fixed [address]=fixed [df-strategy]=fixed [wireguard]=fixed
	[gre-csum]=fixed [tunnel-pmtudisc]=fixed [vm-mtu]=fixed [queue-backend]=fixed [pmtud]=fixed
	[name]=fixed
)

# Why a fixed key cannot change live (one line, after "KEY: ").
_l2n_reload_why() { # KEY
	case $1 in
	wg-interface) echo "a new WireGuard interface: every tunnel and session would be replaced" ;;
	wireguard) echo "another kind of WireGuard interface (kernel or wireguard-go): every tunnel would be replaced" ;;
	bridge) echo "another VM bridge: every tunnel port would move" ;;
	address) echo "this host's tunnel address is the local end of every gretap and WireGuard's address" ;;
	df-strategy | tunnel-pmtudisc | gre-csum | vm-mtu) echo "every gretap would be made again with other settings" ;;
	queue-backend) echo "the queue rules would move between nft and iptables" ;;
	pmtud) echo "pmtud changes the bridge rules, the queue rules and the gretaps' offload" ;;
	name) echo "another instance name is another instance" ;;
	*) echo "it is not applied live" ;;
	esac
}

_l2n_applied_file() { echo "$L2N_STATE_DIR/$L2N_NAME.applied"; }

# The snapshot of the loaded config: _l2n_conf_lines with the private key
# replaced by its hash (the state directory holds no secret).
_l2n_snapshot_write() { # FILE
	local kh
	kh=$(printf '%s' "$L2N_PRIVATE_KEY" | sha256sum | cut -c1-16)
	{ _l2n_conf_lines | grep -v '^K '; echo "K $kh"; } >"$1.tmp" && mv "$1.tmp" "$1"
}

# A peer's "PUBLIC-KEY ENDPOINT ADDRESS" in a snapshot.
_l2n_snapshot_peer() { # FILE NAME
	awk -v n="$2" '$1 == "P" && $2 == n { print $3, $4, $5; exit }' "$1"
}

# A snapshot into the caller's variables (names given): KEYS [local] key ->
# value, PEERS peer -> "PUBLIC-KEY ENDPOINT ADDRESS", PSKS peer -> "FILE
# KEYHASH", ORDER the peers in file order, KEYHASH the private key's hash.
_l2n_snapshot_read() { # FILE KEYS PEERS PSKS ORDER KEYHASH
	local -n _sr_l=$2 _sr_p=$3 _sr_s=$4 _sr_order=$5 _sr_k=$6
	local _sr_kind _sr_rest
	while read -r _sr_kind _sr_rest; do
		case $_sr_kind in
		L) _sr_l[${_sr_rest%%=*}]=${_sr_rest#*=} ;;
		P) _sr_p[${_sr_rest%% *}]=${_sr_rest#* }; _sr_order+=("${_sr_rest%% *}") ;;
		S) _sr_s[${_sr_rest%% *}]=${_sr_rest#* } ;;
		K) _sr_k=$_sr_rest ;;
		esac
	done <"$1"
}

# The plan up applied, from its snapshot (the config may have been edited
# since): L2N_CFG, the peers with their addresses, the queues and the MSS
# clamp, what the tables are made of. Used to make deleted tables again as
# they were when the edited config cannot be applied (a refused reload).
_l2n_applied_plan_load() {
	local -A l=() pp=() ps=()
	local order=() kh='' k p
	[ -f "$(_l2n_applied_file)" ] || return 0 # (up by an older l2fragq-net: the config it is)
	_l2n_snapshot_read "$(_l2n_applied_file)" l pp ps order kh
	for k in "${!l[@]}"; do L2N_CFG["$k"]=${l["$k"]}; done
	L2N_PEERS=("${order[@]}")
	for p in "${order[@]}"; do
		read -r "L2N_PEER_CFG[$p.public-key]" k "L2N_PEER_CFG[$p.address]" <<<"${pp[$p]}"
		if [ "$k" = - ]; then L2N_PEER_CFG[$p.endpoint]=''; else L2N_PEER_CFG[$p.endpoint]=$k; fi
	done
	_l2n_check_queues && _l2n_derive_mtus
}

# What changed from snapshot OLD to NEW, one line each, in the order reload
# applies them: "fixed KEY", "live KEY", "daemon KEY" ([local] keys, sorted;
# "live private-key" for a new key), then "peer-del NAME" (OLD's order),
# "peer-change NAME FIELD" (public-key, endpoint, address, preshared-key),
# "peer-add NAME" (NEW's order). Nothing for identical configs.
_l2n_reload_classify() { # OLD NEW
	local k p f i
	local -A ol=() nl=() op=() np=() os=() ns=()
	local oorder=() norder=() ok='' nk='' o n
	_l2n_snapshot_read "$1" ol op os oorder ok
	_l2n_snapshot_read "$2" nl np ns norder nk
	for k in $(printf '%s\n' "${!ol[@]}" "${!nl[@]}" | sort -u); do
		[ "${ol[$k]+x}" = "${nl[$k]+x}" ] && [ "${ol[$k]:-}" = "${nl[$k]:-}" ] && continue
		echo "${L2N_RELOAD_CLASS[$k]:-fixed} $k"
	done
	[ "$ok" = "$nk" ] || echo "live private-key"
	for p in "${oorder[@]}"; do [ -n "${np[$p]+x}" ] || echo "peer-del $p"; done
	for p in "${oorder[@]}"; do
		[ -n "${np[$p]+x}" ] || continue
		read -r -a o <<<"${op[$p]}"
		read -r -a n <<<"${np[$p]}"
		i=0
		for f in public-key endpoint address; do
			[ "${o[$i]}" = "${n[$i]}" ] || echo "peer-change $p $f"
			i=$((i + 1))
		done
		[ "${os[$p]:-}" = "${ns[$p]:-}" ] || echo "peer-change $p preshared-key"
	done
	for p in "${norder[@]}"; do [ -n "${op[$p]+x}" ] || echo "peer-add $p"; done
	return 0
}

# ---------------------------------------------------------------- applying

# The reload, from l2fq_net_up (lock held, config loaded, journal read, the
# recorded setup complete and healthy, its hash not the config's). Returns 0
# when applied, 1 when refused or failed, 10 when a change is not live and
# --restart asks for down and up.
_l2n_reload() {
	local old new changes='' cls subj fld refuse=() summary=()
	old=$(_l2n_applied_file) new=$(_l2n_applied_file).new
	_l2n_snapshot_write "$new" || { _l2n_err "cannot write $new"; return 1; }
	if [ ! -f "$old" ]; then
		refuse+=("the running setup has no snapshot $old (brought up by an older l2fragq-net), so the difference is unknown")
	else
		changes=$(_l2n_reload_classify "$old" "$new")
	fi
	_l2n_reload_plan refuse || return 1
	while read -r cls subj fld; do
		case $cls in
		fixed) refuse+=("$subj: $(_l2n_reload_why "$subj")") ;;
		peer-add)
			[ -z "${L2N_LINKS[gt-$subj]:-}" ] || refuse+=("[peer $subj]: interface gt-$subj already exists and was not made by this instance")
			;;
		esac
	done <<<"$changes"
	if [ ${#refuse[@]} -gt 0 ]; then
		rm -f "$new"
		[ "$L2N_RELOAD_RESTART" = 1 ] && { _l2n_say "not live (${refuse[0]}): --restart: taking $L2N_NAME down and up again"; return 10; }
		for subj in "${refuse[@]}"; do _l2n_err "cannot reload live: $subj"; done
		_l2n_err "nothing changed (--restart, with reload or up, takes $L2N_NAME down and up again, which interrupts every site)"
		return 1
	fi
	if [ -z "$changes" ]; then
		mv "$new" "$old" && _l2n_journal_set_info hash "$(_l2n_conf_hash)"
		_l2n_say "$L2N_NAME: nothing to reload"
		return 0
	fi
	_l2n_reload_resolve <<<"$changes" || { rm -f "$new"; return 1; }
	_l2n_say "configuration changed since up: applying the difference (reload, nothing else is touched)"
	if ! _l2n_reload_apply "$old" <<<"$changes"; then
		# What was done is journaled; without up-done the next up starts afresh.
		_l2n_journal_drop '^up-done$'
		rm -f "$new"
		_l2n_err "reload failed (see above): what it did is in the journal; down, or up again to rebuild $L2N_NAME"
		return 1
	fi
	mv "$new" "$old" || { _l2n_err "cannot write $old"; return 1; }
	_l2n_journal_set_info hash "$(_l2n_conf_hash)"
	_l2n_journal_set_info config "$L2N_CONF_FILE"
	while read -r cls subj fld; do
		case $cls in
		peer-add) summary+=("+peer $subj") ;;
		peer-del) summary+=("-peer $subj") ;;
		peer-change) summary+=("peer $subj $fld") ;;
		*) summary+=("$subj") ;;
		esac
	done <<<"$changes"
	_l2n_log_line "$(_l2n_log_dest)" "reload (config $L2N_CONF_FILE): ${summary[*]}"
	subj=$(printf '%s, ' "${summary[@]}")
	_l2n_say "$L2N_NAME reloaded: ${subj%, }"
}

# The endpoints of the peers that are added or changed, resolved as up
# resolves them (the unchanged peers' names are not looked up again).
_l2n_reload_resolve() { # < CHANGES
	local cls subj fld
	local -a L2N_PEERS=()
	while read -r cls subj fld; do
		case $cls in peer-add | peer-change) L2N_PEERS+=("$subj") ;; esac
	done
	_l2n_resolve_endpoints
}

# The plan for the new config (what check and up decide) must be the one up
# made, or it cannot be applied live: adds the reasons to the array REFUSE.
_l2n_reload_plan() { # REFUSE (name of an array)
	local -n _refuse=$1
	local was
	_l2n_links
	# WireGuard stays what up made (the key wireguard is fixed).
	was=${L2N_STATE_INFO[wg-kind]:-}
	if [[ $was == wireguard-go* ]]; then L2N_WG_KIND=userspace; else L2N_WG_KIND=kernel; fi
	L2N_WG_WHY=$was
	_l2n_plan_strategy || return 1
	was=${L2N_STATE_INFO[strategy]:-}
	[ "$L2N_STRATEGY" = "$was" ] ||
		_refuse+=("the effective DF strategy would change ($was -> $L2N_STRATEGY): every gretap and rule would be made again")
	was=${L2N_STATE_INFO[pmtud]:-}
	[ "$L2N_PMTUD" = "$was" ] || _refuse+=("pmtud would change ($was -> $L2N_PMTUD): $(_l2n_reload_why pmtud)")
	L2N_QUEUE_BACKEND='' L2N_QUEUE_BACKEND_WHY=''
	if [ "$L2N_RUN_L2FRAGQ" = on ]; then
		_l2n_pick_backend || { _l2n_err "no way to queue packets to l2fragq: $L2N_QUEUE_BACKEND_WHY"; return 1; }
	fi
	was=${L2N_STATE_INFO[queue-backend]:-none}
	[ "${L2N_QUEUE_BACKEND:-none}" = "$was" ] ||
		_refuse+=("the queue backend would change ($was -> ${L2N_QUEUE_BACKEND:-none}): $(_l2n_reload_why queue-backend)")
	if [ -n "${L2N_CFG[metrics-file]}" ] && [ "$L2N_RUN_L2FRAGQ" = on ] && [ ! -d "${L2N_CFG[metrics-file]%/*}" ]; then
		_refuse+=("metrics-file: directory ${L2N_CFG[metrics-file]%/*} does not exist")
	fi
	return 0
}

# Makes the changes read on stdin (_l2n_reload_classify's lines), removals
# first. OLD: the snapshot of what is up (the removed peers' keys and addresses).
_l2n_reload_apply() { # OLD < CHANGES
	local old=$1 cls subj fld wg=${L2N_CFG[wg-interface]} daemon=0 tables=0 p k line fields lines=()
	local -A peer_done=()
	mapfile -t lines
	for line in "${lines[@]}"; do
		read -r cls subj fld <<<"$line"
		case $cls in
		peer-del) _l2n_reload_peer_del "$old" "$subj" || return 1; daemon=1 tables=1 ;;
		peer-change)
			[ -z "${peer_done[$subj]:-}" ] || continue
			peer_done[$subj]=1
			fields=$(printf '%s\n' "${lines[@]}" | awk -v p="$subj" '$1 == "peer-change" && $2 == p { print $3 }' | tr '\n' ' ')
			_l2n_reload_peer_change "$old" "$subj" "$fields" || return 1
			[[ " $fields" != *" address "* ]] || daemon=1 tables=1
			;;
		live)
			case $subj in
			listen-port) _l2n_run wg set "$wg" listen-port "${L2N_CFG[listen-port]}" || return 1 ;;
			private-key | private-key-file) _l2n_run wg set "$wg" private-key "${L2N_CFG[private-key-file]}" || return 1 ;;
			keepalive)
				for p in "${L2N_PEERS[@]}"; do
					grep -qx "peer-add $p" <<<"$(printf '%s\n' "${lines[@]}")" && continue
					_l2n_run wg set "$wg" peer "${L2N_PEER_CFG[$p.public-key]}" persistent-keepalive "${L2N_CFG[keepalive]}" || return 1
				done
				;;
			wg-mtu) _l2n_run ip link set dev "$wg" mtu "${L2N_CFG[wg-mtu]}" || return 1; tables=1 ;;
			mss-clamp) tables=1 ;;
			ipfrag-*)
				# (the journal has its shared-sysctl record from up already)
				k=${subj//-/_}
				L2N_STATE_FILE=/dev/null _l2n_shared_sysctl_set "net/ipv4/$k" "${L2N_CFG[$subj]}" || return 1
				;;
			esac
			;;
		daemon)
			daemon=1
			case $subj in queues | pmtud-mtu | pmtud-mark | underlay-probe) tables=1 ;; esac
			;;
		esac
	done
	for line in "${lines[@]}"; do
		read -r cls subj fld <<<"$line"
		[ "$cls" = peer-add ] || continue
		_l2n_reload_peer_add "$subj" || return 1
		daemon=1 tables=1
	done
	_l2n_journal_set_info mss-clamp "${L2N_MSS_CLAMP4:+IPv4 $L2N_MSS_CLAMP4, IPv6 $L2N_MSS_CLAMP6}"
	_l2n_journal_set_info pmtud-path-mtu "$L2N_PMTUD_PATH_MTU"
	_l2n_journal_set_info underlay "${L2N_UNDERLAY:-off}"
	_l2n_journal_set_info underlay-why "${L2N_UNDERLAY_WHY:-}"
	_l2n_journal_set_info queue-routes "$(_l2n_queue_follows_routes)"
	_l2n_journal_set_info log "$(_l2n_log_dest)"
	# Tables deleted since up (nft flush ruleset): written with the rest, once.
	line=$(_l2n_nft_missing)
	if [ -n "$line" ] || _l2n_ipt_missing; then
		_l2n_warn "nft table(s) or iptables chain of $L2N_NAME were deleted (nft flush ruleset?): making them again"
		tables=1
	fi
	if [ $tables = 1 ]; then _l2n_reload_tables || return 1; fi
	if [ $daemon = 1 ] && [ "$L2N_RUN_L2FRAGQ" = on ]; then _l2n_reload_daemon || return 1; fi
	return 0
}

# A new peer: WireGuard peer and route, its gretap as up makes it.
_l2n_reload_peer_add() { # NAME
	local p=$1 wg=${L2N_CFG[wg-interface]}
	_l2n_wg_peer_args "$p"
	_l2n_run wg set "$wg" "${L2N_WG_PEER_ARGS[@]}" || return 1
	# shellcheck disable=SC2046 # (one word each)
	_l2n_run ip $(_l2n_peer_route "${L2N_PEER_CFG[$p.address]}") || return 1
	_l2n_reload_gretap "$p"
}

# gt-NAME as up makes it (its link record appended), GSO off as up did,
# into the bridge, isolated: up's own steps for this one peer.
_l2n_reload_gretap() { # NAME
	local -a L2N_PEERS=("$1")
	_l2n_up_gretaps && _l2n_up_gretaps_gso && _l2n_up_gretaps_into_bridge
}

# A removed peer: its gretap, WireGuard peer and route, and its journal records.
_l2n_reload_peer_del() { # OLD NAME
	local p=$2 wg=${L2N_CFG[wg-interface]} key ep addr
	read -r key ep addr <<<"$(_l2n_snapshot_peer "$1" "$p")"
	_l2n_undo_rec link "gt-$p" "" || return 1
	_l2n_journal_drop "^link gt-$p\$" || return 1
	_l2n_run wg set "$wg" peer "$key" remove || return 1
	ip route del "$addr/32" dev "$wg" 2>/dev/null
	return 0
}

# A changed peer: a new public key replaces its WireGuard peer (its session
# starts again), a new endpoint or address is set on it; a new address
# moves its route and makes its gretap again.
_l2n_reload_peer_change() { # OLD NAME "FIELD..."
	local p=$2 fields=" $3 " wg=${L2N_CFG[wg-interface]} key ep addr
	read -r key ep addr <<<"$(_l2n_snapshot_peer "$1" "$p")"
	_l2n_wg_peer_args "$p"
	if [[ $fields == *" public-key "* ]]; then
		_l2n_run wg set "$wg" peer "$key" remove || return 1
		_l2n_run wg set "$wg" "${L2N_WG_PEER_ARGS[@]}" || return 1
	else
		# (no endpoint now: WireGuard keeps the last one until the peer roams)
		_l2n_run wg set "$wg" "${L2N_WG_PEER_ARGS[@]}" || return 1
		if [[ $fields == *" preshared-key "* ]] && [ -z "${L2N_PEER_PSK[$p]:-}" ]; then
			_l2n_run wg set "$wg" peer "$key" preshared-key /dev/null || return 1
		fi
	fi
	[[ $fields == *" address "* ]] || return 0
	ip route del "$addr/32" dev "$wg" 2>/dev/null
	# shellcheck disable=SC2046 # (one word each)
	_l2n_run ip $(_l2n_peer_route "${L2N_PEER_CFG[$p.address]}") || return 1
	_l2n_undo_rec link "gt-$p" "" || return 1
	_l2n_journal_drop "^link gt-$p\$" || return 1
	_l2n_reload_gretap "$p"
}

# The nft tables up made, replaced by the new config's in one transaction
# (up.sh's _l2n_write_nft_tables: no moment without rules); with the
# iptables backend, our chain refilled by one iptables-restore and its jump
# from OUTPUT made when gone (_l2n_write_ipt_queue).
_l2n_reload_tables() {
	_l2n_write_nft_tables replaced || return 1
	! grep -qx "ipt $L2N_IPT_CHAIN" "$L2N_STATE_FILE" || _l2n_write_ipt_queue
}

# l2fragq again with the new command line: the old one stopped (its records
# dropped), a new one started as up starts it (its records appended).
_l2n_reload_daemon() {
	local a b c log
	if ! grep -qE '^(daemon|unit) ' "$L2N_STATE_FILE"; then
		_l2n_err "no l2fragq in the journal of $L2N_NAME"; return 1
	fi
	while read -r a b c; do
		case $a in daemon | unit) _l2n_undo_rec "$a" "$b" "$c" || return 1 ;; esac
	done <"$L2N_STATE_FILE"
	_l2n_journal_drop '^(daemon|unit) ' '^info (daemon-unit|queues|supervisor|underlay-status) ' || return 1
	rm -f "$L2N_STATE_DIR/$L2N_NAME.pid"
	log=$(_l2n_log_dest)
	[ "$log" = journal ] || mkdir -p "${log%/*}" # (a new log-file's directory, as up makes it)
	_l2n_start_daemon
}
