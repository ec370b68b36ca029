# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# l2fragq-net library, journal.sh: the state file of an instance and `down`.
# Every change `up` makes is appended to a journal, the state file
# L2N_STATE_FILE ($L2FQ_NET_STATE_DIR/NAME.state, default
# /run/l2fragq/NAME.state), right after it succeeds; `down` undoes the
# journal backwards, so it removes exactly what `up` made and restores what
# `up` changed, and nothing else. A failed `up` undoes its own journal before
# it exits. One record a line, first word the kind:
#   link DEV                  delete interface DEV
#   linkdown DEV              set DEV down (it was down before up)
#   daemon|wggo PID PROGRAM   stop PID if it still runs PROGRAM
#   unit UNIT PROGRAM         stop the transient systemd unit UNIT (l2fragq)
#   nft FAMILY TABLE          delete that nft table
#   ipt CHAIN                 unhook and delete that iptables chain
#   ipt-table                 delete nft "table ip filter" (iptables-nft made it) once empty
#   sysctl PATH VALUE         write VALUE back to /proc/sys/PATH
#   shared-sysctl PATH        release PATH in the shared-sysctl registry (below)
#   ll6 BRIDGE ADDR...        give BRIDGE back exactly these IPv6 link-local addresses
#   addrgenmode DEV MODE      set DEV's addrgenmode back to MODE
#   dir PATH                  remove the directory PATH up made and the files in it (the underlay status)
#   info KEY VALUE            no undo: what status, wait and up read back
#   up-done                   no undo: up finished
# The lock (_l2n_lock) keeps two l2fragq-net runs off one instance.
#
# Never cut a VM off: a bridge that up made is deleted by the undo only while
# it holds no ports but ours (the gretaps, "link" records). Once VMs are
# plugged into it (libvirt's vnetN), the undo leaves it up and as up made it
# (invisible), skips every record of it, says so in one line and writes
# STATE_DIR/NAME.kept-bridge "BRIDGE IFINDEX": the next up adopts that very
# bridge as its own again (_l2n_adopt_kept_bridge), so a later down deletes it
# once it is empty, or keeps it again.

declare -gA L2N_STATE_INFO=()  # info KEY VALUE records of the state file: KEY -> VALUE (_l2n_read_info)
L2N_UP_DONE=0                  # 1: the state file has up-done (up finished)

# An instance by its name alone (down NAME, restart-daemon NAME: the journal
# is all they need), with the state directory as l2fq_net_load sets it.
_l2n_use_name() { # NAME
	[[ $1 =~ ^[A-Za-z0-9_-]{1,20}$ ]] || { _l2n_err "'$1' is not an instance name (1-20 letters, digits, '-' or '_')"; return 1; }
	L2N_NAME=$1
	L2N_STATE_DIR=${L2FQ_NET_STATE_DIR:-/run/l2fragq}
	L2N_STATE_FILE=$L2N_STATE_DIR/$L2N_NAME.state
}

_l2n_rec() { printf '%s\n' "$*" >>"$L2N_STATE_FILE"; }

# reload (reload.sh) keeps the journal exact by editing it: the records of
# what it removed go, the records of what it adds are appended (so down
# undoes those first), and the info records it changed are rewritten.
_l2n_journal_drop() { # ERE...: removes every record that matches one of them
	local e args=() tmp=$L2N_STATE_FILE.tmp
	for e in "$@"; do args+=(-e "$e"); done
	{ grep -v -E "${args[@]}" "$L2N_STATE_FILE" >"$tmp" || [ $? -eq 1 ]; } && mv "$tmp" "$L2N_STATE_FILE" ||
		{ _l2n_err "cannot rewrite $L2N_STATE_FILE"; return 1; }
}
_l2n_journal_set_info() { # KEY VALUE: info KEY VALUE replaces the old one (in place), or is appended
	local tmp=$L2N_STATE_FILE.tmp
	if grep -q "^info $1 " "$L2N_STATE_FILE"; then
		awk -v k="$1" -v v="$2" '$1 == "info" && $2 == k { print "info " k " " v; next } { print }' \
			"$L2N_STATE_FILE" >"$tmp" && mv "$tmp" "$L2N_STATE_FILE" || { _l2n_err "cannot rewrite $L2N_STATE_FILE"; return 1; }
	else
		_l2n_rec info "$1" "$2"
	fi
}

# A sysctl's value as one line (multi-value ones, e.g. ip_local_port_range,
# separated by spaces, not tabs), or an error naming the file.
_l2n_sysctl_get() { # PATH-UNDER-/proc/sys [VAR]: the value (tabs as spaces), into VAR or printed
	local _v
	read -r _v <"/proc/sys/$1" 2>/dev/null || { _l2n_err "cannot read /proc/sys/$1"; return 1; }
	_v=${_v//$'\t'/ }
	if [ -n "${2:-}" ]; then printf -v "$2" '%s' "$_v"; else echo "$_v"; fi
}

_l2n_sysctl_set() { # PATH-UNDER-/proc/sys VALUE: record the old value, then set
	local f=/proc/sys/$1 old
	old=$(_l2n_sysctl_get "$1") || return 1
	[ "$old" = "$2" ] && return 0
	_l2n_rec sysctl "$1" "$old"
	echo "$2" >"$f" 2>/dev/null || { _l2n_err "cannot write $2 to $f"; return 1; }
}

# Settings that every instance in a network namespace shares (the
# reassembly sysctls, all.send_redirects that kernel WireGuard turns off):
# an instance's own journal cannot restore them, or the down of one instance
# would reset them under another that is still up. A registry per network
# namespace, STATE_DIR/shared-sysctl.NETNS, holds under its own lock
#   orig PATH VALUE           the value before the first instance touched PATH
#   hold NAME PATH VALUE      instance NAME wants VALUE ("-": only keeps it)
# The last up sets the value; when the last holder goes, orig comes back;
# when an instance goes and others stay, the most recent remaining wish holds.
# (builtins where they do: under emulation every process start counts, and
# up and down pass here once per shared sysctl)
L2N_NETNS_ID=  # this network namespace's id, once read (_l2n_shared_lock)
_l2n_shared_file() { echo "$L2N_STATE_DIR/shared-sysctl.${L2N_NETNS_ID:-$(_l2n_netns_id)}"; }
_l2n_shared_lock() { # runs CMD... holding the registry lock (fd 8)
	local rc
	[ -d "$L2N_STATE_DIR" ] || mkdir -p "$L2N_STATE_DIR" || return 1
	[ -n "$L2N_NETNS_ID" ] || L2N_NETNS_ID=$(_l2n_netns_id)
	exec 8>"$L2N_STATE_DIR/shared-sysctl.lock"
	flock -w 60 8 || { _l2n_err "cannot lock $L2N_STATE_DIR/shared-sysctl.lock"; exec 8>&-; return 1; }
	"$@"
	rc=$?
	exec 8>&-
	return $rc
}
# The registry's lines (none empty) into L2N_SHARED_REG; and back into FILE,
# replaced whole (a new file renamed over it), or removed when none is left.
L2N_SHARED_REG=()
_l2n_shared_read() { # FILE
	local line
	L2N_SHARED_REG=()
	[ -f "$1" ] || return 0
	while IFS= read -r line || [ -n "$line" ]; do [ -z "$line" ] || L2N_SHARED_REG+=("$line"); done <"$1"
}
_l2n_shared_write() { # FILE
	if [ ${#L2N_SHARED_REG[@]} -eq 0 ]; then
		rm -f "$1"
	else
		printf '%s\n' "${L2N_SHARED_REG[@]}" >"$1.tmp" && mv "$1.tmp" "$1" || { _l2n_err "cannot write $1"; return 1; }
	fi
}

# Shared PATH: this instance wants VALUE there ("-" = leave it as it is, but
# put it back when the last instance goes). Journals "shared-sysctl PATH".
_l2n_shared_sysctl_set() { _l2n_shared_lock _l2n_shared_sysctl_set_locked "$@"; }
_l2n_shared_sysctl_set_locked() { # PATH VALUE|-
	local path=$1 want=$2 f cur line a n p v others="" orig=0 keep=()
	f=$L2N_STATE_DIR/shared-sysctl.$L2N_NETNS_ID
	_l2n_sysctl_get "$path" cur || return 1
	_l2n_shared_read "$f"
	for line in "${L2N_SHARED_REG[@]}"; do [[ $line != "orig $path "* ]] || orig=1; done
	[ $orig = 1 ] || L2N_SHARED_REG+=("orig $path $cur")
	for line in "${L2N_SHARED_REG[@]}"; do
		read -r a n p v <<<"$line"
		[ "$a" = hold ] && [ "$p" = "$path" ] && [ "$n" != "$L2N_NAME" ] && [ "$v" != - ] && [ "$v" != "$want" ] && others+=" $n ($v)"
		[[ $line == "hold $L2N_NAME $path "* ]] || keep+=("$line")
	done
	L2N_SHARED_REG=("${keep[@]}" "hold $L2N_NAME $path $want")
	_l2n_shared_write "$f" || return 1
	_l2n_rec shared-sysctl "$path"
	[ "$want" != - ] || return 0
	[ -z "$others" ] || _l2n_warn "/proc/sys/$path: instance(s)$others wanted another value; now $want (the last up sets it)"
	[ "$cur" != "$want" ] || return 0
	echo "$want" >"/proc/sys/$path" 2>/dev/null || { _l2n_err "cannot write $want to /proc/sys/$path"; return 1; }
}

# Undo of "shared-sysctl PATH": drop this instance's wish; the value goes back
# to the most recent remaining wish, or to orig when no instance holds PATH.
_l2n_shared_sysctl_release() { _l2n_shared_lock _l2n_shared_sysctl_release_locked "$@"; }
_l2n_shared_sysctl_release_locked() { # PATH
	local path=$1 f line a n p v back="" orig="" held=0 keep=()
	f=$L2N_STATE_DIR/shared-sysctl.$L2N_NETNS_ID
	[ -f "$f" ] || return 0
	_l2n_shared_read "$f"
	for line in "${L2N_SHARED_REG[@]}"; do
		[[ $line != "hold $L2N_NAME $path "* ]] || continue
		keep+=("$line")
		read -r a n p v <<<"$line"
		[ "$a" = orig ] && [ "$n" = "$path" ] && orig="$p${v:+ $v}"
		[ "$a" = hold ] && [ "$p" = "$path" ] && { held=1; [ "$v" = - ] || back=$v; }
	done
	L2N_SHARED_REG=("${keep[@]}")
	if [ $held = 0 ]; then
		back=$orig
		keep=()
		for line in "${L2N_SHARED_REG[@]}"; do [[ $line == "orig $path "* ]] || keep+=("$line"); done
		L2N_SHARED_REG=("${keep[@]}")
	fi
	if [ -n "$back" ] && [ -e "/proc/sys/$path" ]; then
		echo "$back" >"/proc/sys/$path" 2>/dev/null || { _l2n_err "cannot restore /proc/sys/$path to $back"; return 1; }
	fi
	_l2n_shared_write "$f"
}

_l2n_lock() {
	local f=$L2N_STATE_DIR/$L2N_NAME.lock i
	[ -d "$L2N_STATE_DIR" ] || mkdir -p "$L2N_STATE_DIR" || { _l2n_err "cannot create $L2N_STATE_DIR"; return 1; }
	# down removes the file while it holds the lock (_l2n_unlock_remove): a
	# lock won on a file that is no longer (or not) there is tried again
	# (-ef: the same device and inode as the file open on fd 9).
	for ((i = 0; i < 10; i++)); do
		exec 9>"$f"
		flock -w 60 9 || { _l2n_err "another l2fragq-net is working on $L2N_NAME"; return 1; }
		[ ! "$f" -ef /proc/self/fd/9 ] || return 0
		exec 9>&-
	done
	_l2n_err "cannot lock $f"
	return 1
}

# down, once nothing of the instance is left: the lock file goes too (still
# held, so that a run waiting for it tries again on a new one).
_l2n_unlock_remove() {
	[ -f "$L2N_STATE_FILE" ] || rm -f "$L2N_STATE_DIR/$L2N_NAME.lock"
}

# Reads the info records of the state file into L2N_STATE_INFO[key].
_l2n_read_info() {
	local a k v
	declare -gA L2N_STATE_INFO=()
	L2N_UP_DONE=0
	[ -f "$L2N_STATE_FILE" ] || return 0
	while read -r a k v; do
		case $a in
		info) L2N_STATE_INFO[$k]=$v ;;
		up-done) L2N_UP_DONE=1 ;;
		esac
	done <"$L2N_STATE_FILE"
}

# Is the recorded setup complete and alive?
_l2n_healthy() {
	local a b c
	[ "$L2N_UP_DONE" = 1 ] || return 1
	_l2n_links
	while read -r a b c; do
		case $a in
		link) [ -n "${L2N_LINKS[$b]:-}" ] || return 1 ;;
		daemon | wggo) _l2n_pid_is "$b" "$c" || return 1 ;;
		unit) [ "$(systemctl is-active "$b" 2>/dev/null)" = active ] || return 1 ;;
		esac
	done <"$L2N_STATE_FILE"
}

# ---------------------------------------------------------------- undo

# The ports of BRIDGE that STATE's link records do not name (not ours), in
# one line separated by ", "; empty when it has none (or does not exist).
_l2n_foreign_ports() { # BRIDGE STATE
	local br=$1 p a b c out=
	local -A ours=()
	while read -r a b c; do [ "$a" != link ] || ours[$b]=1; done <"$2"
	for p in "/sys/class/net/$br/brif/"*; do
		[ -e "$p" ] || continue
		p=${p##*/}
		[ -n "${ours[$p]:-}" ] || out+="${out:+, }$p"
	done
	echo "$out"
}

# Which records of the journal STATE the undo must skip so that no VM is cut
# off (see the top of this file). Sets L2N_KEEP_BRIDGE (a bridge up made, to
# keep) and L2N_KEEP_UP (a bridge to leave up), "" when none.
L2N_KEEP_BRIDGE=
L2N_KEEP_UP=
L2N_KEEP_SAY=1  # 0: no line about a kept bridge (up re-applying a changed config adopts it at once)
_l2n_keep_plan() { # STATE
	local state=$1 br a b c made=0 foreign
	L2N_KEEP_BRIDGE='' L2N_KEEP_UP=''
	br=
	while read -r a b c; do [ "$a $b" != "info bridge" ] || br=$c; done <"$state"
	[ -n "$br" ] && [ -d "/sys/class/net/$br/brif" ] || return 0
	while read -r a b c; do [ "$a $b" != "link $br" ] || made=1; done <"$state"
	foreign=$(_l2n_foreign_ports "$br" "$state")
	[ -n "$foreign" ] || return 0
	L2N_KEEP_UP=$br
	[ $made = 1 ] || return 0
	L2N_KEEP_BRIDGE=$br
	[ "$L2N_KEEP_SAY" = 0 ] || _l2n_err "kept bridge $br: it has other ports ($foreign): delete it yourself when they are gone"
}

# Is the record KIND B C one of the kept bridge's (see _l2n_keep_plan)?
_l2n_keep_skips() { # KIND B C
	[ -n "$L2N_KEEP_UP" ] || return 1
	case $1 in
	linkdown) [ "$2" = "$L2N_KEEP_UP" ] ;;
	link | ll6 | addrgenmode) [ -n "$L2N_KEEP_BRIDGE" ] && [ "$2" = "$L2N_KEEP_BRIDGE" ] ;;
	sysctl) [ -n "$L2N_KEEP_BRIDGE" ] && [[ $2 == net/ipv6/conf/"$L2N_KEEP_BRIDGE"/* ]] ;;
	*) return 1 ;;
	esac
}

# Undoes the journal in STATE backwards. Records that cannot be undone stay in
# the file (and make it return 1); the file goes when everything is undone.
# A bridge with VMs on it stays (_l2n_keep_plan).
_l2n_undo() {
	local state=$1 rec f=0 left=() a b c recs=() kept i
	[ -f "$state" ] || return 0
	kept=${state%.state}.kept-bridge
	_l2n_keep_plan "$state"
	# (backwards, in bash: no tac)
	mapfile -t recs <"$state"
	for ((i = ${#recs[@]} - 1; i >= 0; i--)); do
		rec=${recs[$i]}
		read -r a b c <<<"$rec"
		_l2n_keep_skips "$a" "$b" "$c" && continue
		if ! _l2n_undo_rec "$a" "$b" "$c"; then
			left+=("$rec")
			f=1
		fi
	done
	if [ -n "$L2N_KEEP_BRIDGE" ]; then
		echo "$L2N_KEEP_BRIDGE $(cat "/sys/class/net/$L2N_KEEP_BRIDGE/ifindex" 2>/dev/null)" >"$kept"
	fi
	if [ $f -eq 0 ]; then
		rm -f "$state"
	else
		printf '%s\n' "${left[@]}" | tac >"$state.tmp" && mv "$state.tmp" "$state"
	fi
	return $f
}

# Undoes one record (KIND B C: its words, C the rest of the line); says why
# and returns 1 when it cannot. What is already gone counts as undone.
_l2n_undo_rec() { # KIND B C
	local a=$1 b=$2 c=$3 out=
	case $a in
	link)
		out=$(ip link del dev "$b" 2>&1) || [[ $out == *"Cannot find device"* ]] || out="cannot delete interface $b: $out"
		[[ $out == *"Cannot find device"* ]] && out=
		;;
	linkdown)
		out=$(ip link set dev "$b" down 2>&1) || [[ $out == *"Cannot find device"* ]] || out="cannot set $b down: $out"
		[[ $out == *"Cannot find device"* ]] && out=
		;;
	wggo | daemon)
		_l2n_stop_pid "$b" "$c" || out="cannot stop pid $b ($c)"
		;;
	unit)
		if systemctl is-active -q "$b" 2>/dev/null || systemctl is-failed -q "$b" 2>/dev/null; then
			systemctl stop "$b" >/dev/null 2>&1 || out="cannot stop unit $b (systemctl stop $b)"
			systemctl reset-failed "$b" >/dev/null 2>&1
		fi
		;;
	nft)
		out=$(nft delete table "$b" "$c" 2>&1) || [[ $out == *"No such file or directory"* ]] || out="cannot delete nft table $b $c: $out"
		[[ $out == *"No such file or directory"* ]] && out=
		;;
	ipt)
		while iptables -w -D OUTPUT -j "$b" 2>/dev/null; do :; done
		if iptables -w -S "$b" >/dev/null 2>&1; then
			iptables -w -F "$b" && iptables -w -X "$b" || out="cannot remove iptables chain $b"
		fi
		;;
	ipt-table) # iptables-nft made "table ip filter" for us: drop it once empty again
		if nft list table ip filter >/dev/null 2>&1 &&
			! nft list table ip filter | grep -qvE '^[[:space:]]*(table|chain|type|policy|\}|$)'; then
			nft delete table ip filter 2>/dev/null
		fi
		;;
	sysctl)
		if [ -e "/proc/sys/$b" ]; then
			echo "$c" >"/proc/sys/$b" 2>/dev/null || out="cannot restore /proc/sys/$b to $c"
		fi
		;;
	shared-sysctl) _l2n_shared_sysctl_release "$b"; return ;; # (says why itself)
	ll6) _l2n_undo_ll6 "$b" "$c"; return ;; # (says why itself)
	dir)
		if [ -d "$b" ]; then
			find "$b" -maxdepth 1 -type f -delete 2>/dev/null
			rmdir "$b" 2>/dev/null || out="cannot remove directory $b"
		fi
		;;
	addrgenmode)
		out=$(ip link set dev "$b" addrgenmode "$c" 2>&1) || [[ $out == *"Cannot find device"* ]] || out="cannot restore addrgenmode $c on $b: $out"
		[[ $out == *"Cannot find device"* ]] && out=
		;;
	esac
	[ -n "$out" ] || return 0
	_l2n_err "${out//$'\n'/ }"
	return 1
}

# The ll6 record, after IPv6 is back on the bridge: exactly its old link-local
# addresses. Like _l2n_undo_rec, says why (the last address that failed) and
# returns 1 when it could not.
_l2n_undo_ll6() { # BRIDGE "ADDR..."
	local b=$1 c=$2 want=" $2 " cur=" " x out=
	read -r x <"/proc/sys/net/ipv6/conf/$b/disable_ipv6" 2>/dev/null || x=1
	if [ "$x" = 0 ]; then
		for x in $(ip -6 -o addr show dev "$b" scope link 2>/dev/null | while read -r _ _ _ x _; do echo "$x"; done); do
			cur+="$x "
			[[ $want == *" $x "* ]] || ip addr del "$x" dev "$b" 2>/dev/null
		done
		for x in $c; do
			[[ $cur == *" $x "* ]] || ip addr add "$x" dev "$b" scope link 2>/dev/null ||
				out="cannot restore link-local address $x on $b"
		done
	fi
	[ -n "$out" ] || return 0
	_l2n_err "$out"
	return 1
}

# ---------------------------------------------------------------- down

l2fq_net_down() {
	local ns st log
	[ "$EUID" -eq 0 ] || { _l2n_err "must run as root"; return 1; }
	_l2n_lock || return 1
	if [ ! -f "$L2N_STATE_FILE" ]; then
		_l2n_unlock_remove
		_l2n_say "$L2N_NAME is not up (no $L2N_STATE_FILE): nothing to do"
		return 0
	fi
	_l2n_read_info
	ns=$(_l2n_netns_id) st=${L2N_STATE_INFO[netns]:-}
	if [ -n "$st" ] && [ "$st" != "$ns" ]; then
		_l2n_err "$L2N_NAME was brought up in another network namespace: run down there"
		return 1
	fi
	log=${L2N_STATE_INFO[log]:-}
	if _l2n_undo "$L2N_STATE_FILE"; then
		[ -z "$log" ] || _l2n_log_line "$log" down
		rm -f "$L2N_STATE_DIR/$L2N_NAME.pid" "$L2N_STATE_DIR/$L2N_NAME.wg.pid" "$L2N_STATE_DIR/$L2N_NAME.applied"
		_l2n_unlock_remove
		_l2n_say "$L2N_NAME is down"
		return 0
	fi
	_l2n_err "down incomplete: what could not be undone stays in $L2N_STATE_FILE"
	return 1
}
