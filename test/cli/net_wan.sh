#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# l2fragq-net's WAN basics (issue 19 item 5) on the host kernel, no QEMU:
#   - preshared-key-file: every bad file exits 2 naming FILE:LINE; a good
#     one is accepted; a world-accessible one is warned of (as wg-quick does);
#   - a peer without endpoint is accepted, and check says it must connect to us;
#   - COMMAND NAME finds L2FQ_NET_CONF_DIR/NAME.conf (the same as -c), and
#     down NAME works from the journal when the config is gone;
#   - --version: the CMake project's in the source tree (the same as
#     l2fragq's), the package's written into the installed copy;
#   - bash completion for l2fragq-net (commands, options, NAMEs) and l2fragq
#     (every long option of its --help), driven through COMP_WORDS;
#   - endpoint resolution retries: a name that never resolves is tried
#     exactly L2FQ_NET_RESOLVE_RETRIES + 1 times, each failure named; one that
#     resolves on the second try is used;
#   - the nft tables a "flush ruleset" deleted are made again
#     (_l2n_restore_tables, up's health path), in a network namespace.
# Usage (root for the last part): test/cli/net_wan.sh L2FRAGQ_BINARY
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=test/lib.sh
. "$root/test/lib.sh"
t_binary_arg "$@"
bin=$(readlink -f "$T_BIN")
net=$root/scripts/l2fragq-net
t_need_tools wg getent
t_workdir /tmp/l2fq-wan.XXXXXX
work=$WORK

(umask 077 && wg genkey >"$work/key" && wg genkey >"$work/key2" && wg genpsk >"$work/psk") ||
	t_fatal "wg genkey failed"
pub2=$(wg pubkey <"$work/key2")
mkdir -p "$work/etc" "$work/run" "$work/open"
chmod 755 "$work/open"

# A config with one peer; LINES... are added at its end (line 11 on).
conf() { # FILE LINES...
	local f=$1
	shift
	printf '%s\n' "# net_wan.sh" "[local]" "private-key-file = $work/key" "address = 203.0.113.1" \
		"bridge = br-vm" "l2fragq = $bin" "" "[peer b]" "public-key = $pub2" "address = 203.0.113.2" "$@" >"$f"
}
# exit status, stdout and stderr of one l2fragq-net run
run() { "$net" "$@" >"$work/out" 2>"$work/err"; rc=$?; }
out_has() { grep -qF -- "$1" "$work/out"; }
err_has() { grep -qF -- "$1" "$work/err"; }
rc=0

# ---------------------------------------------------------------- preshared key
c=$work/c.conf
bad_psk() { # LABEL TEXT: the config in c.conf names a bad psk file on line 12
	run -c "$c" check
	if [ $rc -eq 2 ] && [ "$(wc -l <"$work/err")" -eq 1 ] && err_has "l2fragq-net: $c:12: [peer b] preshared-key-file" && err_has "$2"; then
		t_pass "psk: $1: exit 2, $c:12"
	else
		t_fail "psk: $1: exit $rc: $(cat "$work/err")"
	fi
}
conf "$c" "endpoint = 198.51.100.2:51820" "preshared-key-file = $work/nosuch"
bad_psk "missing file" "does not exist"
conf "$c" "endpoint = 198.51.100.2:51820" "preshared-key-file = $work"
bad_psk "a directory" "is not a readable file"
echo "not a key" >"$work/notakey"
conf "$c" "endpoint = 198.51.100.2:51820" "preshared-key-file = $work/notakey"
bad_psk "not a key" "does not hold a preshared key"
head -c 43 "$work/psk" >"$work/shortkey"
conf "$c" "endpoint = 198.51.100.2:51820" "preshared-key-file = $work/shortkey"
bad_psk "43 characters" "does not hold a preshared key"
conf "$c" "endpoint = 198.51.100.2:51820" "preshared-key-file = $work/psk" "preshared-key-file = $work/psk"
run -c "$c" check
t_check "psk: given twice: exit 2 at line 13" [ $rc -eq 2 ] && err_has "$c:13: 'preshared-key-file' given twice"

conf "$c" "endpoint = 198.51.100.2:51820" "preshared-key-file = $work/psk"
run -c "$c" check
if out_has "config $c: OK" && out_has "peer b: endpoint 198.51.100.2:51820; preshared key" && ! err_has "world accessible"; then
	t_pass "psk: a 0600 key is accepted, check names it, no warning"
else
	t_fail "psk: good key: exit $rc: $(cat "$work/out" "$work/err")"
fi
install -m 644 "$work/psk" "$work/open/psk"
conf "$c" "endpoint = 198.51.100.2:51820" "preshared-key-file = $work/open/psk"
run -c "$c" check
t_check "psk: a world-readable key in a world-readable directory is warned of, with FILE:LINE" \
	grep -qF "l2fragq-net: warning: $c:12: [peer b] preshared-key-file '$work/open/psk' is world accessible" "$work/err"
if grep -qF "$(cat "$work/psk")" "$work/out" "$work/err"; then t_fail "psk: the key itself was printed"; else t_pass "psk: the key itself is never printed"; fi

# ---------------------------------------------------------------- no endpoint
conf "$c"
run -c "$c" check
if out_has "config $c: OK" && out_has "peer b: no endpoint: it must connect to us"; then
	t_pass "endpointless peer: accepted, check says it must connect to us"
else
	t_fail "endpointless peer: exit $rc: $(cat "$work/out" "$work/err")"
fi
conf "$c" "endpoint ="
run -c "$c" check
t_check "empty endpoint: exit 2 at line 11" [ $rc -eq 2 ] && err_has "$c:11: [peer b] endpoint ''"

# ---------------------------------------------------------------- NAME
export L2FQ_NET_CONF_DIR=$work/etc L2FQ_NET_STATE_DIR=$work/run
conf "$work/etc/site1.conf" "endpoint = 198.51.100.2:51820"
conf "$work/etc/site2.conf"
run check site1
t_check "check NAME reads L2FQ_NET_CONF_DIR/NAME.conf" out_has "config $work/etc/site1.conf: OK (instance site1,"
run -c "$work/etc/site1.conf" check
cp "$work/out" "$work/out-c"
run check site1
t_check "check NAME says what check -c NAME.conf says" cmp -s "$work/out" "$work/out-c"
(cd "$work" && "$net" -c site1 check >"$work/out" 2>"$work/err")
t_check "-c NAME (no such file here) reads L2FQ_NET_CONF_DIR/NAME.conf, as wg-quick does" out_has "config $work/etc/site1.conf: OK"
run status nosuch
t_check "status NAME without its config: exit 2 naming the file" \
	[ $rc -eq 2 ] && err_has "l2fragq-net: $work/etc/nosuch.conf: no such file"
run -c "$work/etc/site1.conf" status site1
t_check "-c and a NAME: exit 2" [ $rc -eq 2 ] && err_has "-c and a NAME (site1): give one"
run wait 'a/b'
t_check "a NAME with a slash: exit 2" [ $rc -eq 2 ] && err_has "'a/b' is not an instance name"
run check site1 site2
t_check "two NAMEs: exit 2" [ $rc -eq 2 ] && err_has "unknown argument 'site2'"
if [ "$EUID" -eq 0 ]; then
	run down gone
	t_check "down NAME without a config works from the journal (none: nothing to do)" \
		[ $rc -eq 0 ] && out_has "gone is not up (no $work/run/gone.state): nothing to do"
fi

# ---------------------------------------------------------------- --version
want=$(sed -n 's/^project(l2fragq VERSION \([^ )]*\).*/\1/p' "$root/CMakeLists.txt")
run --version
t_check "--version: l2fragq-net $want (the CMake project version)" [ "$(cat "$work/out")" = "l2fragq-net $want" ]
run -V
t_check "-V: the same" [ "$(cat "$work/out")" = "l2fragq-net $want" ]
t_check "l2fragq --version says the same version" [ "$("$bin" --version)" = "l2fragq $want" ]
builddir=${bin%/*}
if [ -f "$builddir/cmake_install.cmake" ] && DESTDIR=$work/dest cmake --install "$builddir" --prefix /usr >"$work/install.log" 2>&1; then
	# (its library from DESTDIR, as prerm's copy does)
	sed "s|^libdir=.*|libdir=$work/dest/usr/lib/l2fragq/net|" "$work/dest/usr/sbin/l2fragq-net" >"$work/installed-net"
	t_check "installed l2fragq-net --version: l2fragq-net $want" \
		[ "$(bash "$work/installed-net" --version 2>&1)" = "l2fragq-net $want" ]
	t_check "installed: version= written in" grep -qx "version=$want" "$work/dest/usr/sbin/l2fragq-net"
	t_check "installed: bash completion for both tools" \
		[ -f "$work/dest/usr/share/bash-completion/completions/l2fragq-net" ] && [ -f "$work/dest/usr/share/bash-completion/completions/l2fragq" ]
else
	t_fail "cmake --install into $work/dest: $(tail -n 3 "$work/install.log" 2>/dev/null)"
fi

# ---------------------------------------------------------------- completion
# COMPREPLY for the words given (the last one is completed), one per line, sorted.
complete_words() { # SCRIPT WORD...
	local script=$1
	shift
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); "$(complete -p "$1" | awk "{ print \$3 }")"; printf "%s\n" "${COMPREPLY[@]}" | sort' \
		_ "$script" "$@"
}
cnet=$root/scripts/completion/l2fragq-net cq=$root/scripts/completion/l2fragq
t_check "completion: complete -p l2fragq-net" [ "$(bash -c '. "$1"; complete -p l2fragq-net' _ "$cnet")" = "complete -F _l2fragq_net l2fragq-net" ]
t_check "completion: complete -p l2fragq" [ "$(bash -c '. "$1"; complete -p l2fragq' _ "$cq")" = "complete -F _l2fragq l2fragq" ]
t_check "completion: l2fragq-net st -> status" [ "$(complete_words "$cnet" l2fragq-net st)" = status ]
t_check "completion: l2fragq-net r -> reload restart-daemon" [ "$(complete_words "$cnet" l2fragq-net r | tr '\n' ' ')" = "reload restart-daemon " ]
t_check "completion: l2fragq-net -q '' -> every command" \
	[ "$(complete_words "$cnet" l2fragq-net -q '' | tr '\n' ' ')" = "check down reload restart-daemon status up wait " ]
t_check "completion: l2fragq-net up '' -> the NAMEs of L2FQ_NET_CONF_DIR" [ "$(complete_words "$cnet" l2fragq-net up '' | tr '\n' ' ')" = "site1 site2 " ]
t_check "completion: l2fragq-net -w 5 status s -> site1 site2" [ "$(complete_words "$cnet" l2fragq-net -w 5 status s | tr '\n' ' ')" = "site1 site2 " ]
t_check "completion: l2fragq-net --ver -> --version" [ "$(complete_words "$cnet" l2fragq-net --ver)" = --version ]
t_check "completion: l2fragq-net -c ETC/site1 -> the file" [ "$(complete_words "$cnet" l2fragq-net -c "$work/etc/site1")" = "$work/etc/site1.conf" ]
t_check "completion: l2fragq --pmtud-m -> --pmtud-mark --pmtud-mtu" [ "$(complete_words "$cq" l2fragq --pmtud-m | tr '\n' ' ')" = "--pmtud-mark --pmtud-mtu " ]
missing=
for o in $("$bin" --help 2>&1 | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
	complete_words "$cq" l2fragq "$o" | grep -qx -- "$o" || missing+=" $o"
done
t_check "completion: l2fragq completes every long option of its --help${missing:+ (missing:$missing)}" [ -z "$missing" ]

# ---------------------------------------------------------------- resolution retries
# A getent that counts the host look-ups: NAME never resolves; LATE from
# the second look-up on (192.0.2.7); the rest goes to the real getent.
real_getent=$(command -v getent)
mkdir -p "$work/bin"
cat >"$work/bin/getent" <<EOF
#!/bin/sh
case \$1 in ahosts*) echo "\$2" >>"$work/lookups" ;; *) exec "$real_getent" "\$@" ;; esac
case \$2 in
late.example) [ "\$(grep -c late.example "$work/lookups")" -ge 2 ] || exit 2; echo "192.0.2.7       STREAM late.example" ;;
*) exit 2 ;;
esac
EOF
chmod 755 "$work/bin/getent"
conf "$c" "endpoint = never.example:51820"
sed -i 's/^bridge = br-vm$/&\ncreate-bridge = yes/' "$c" # (a missing bridge would be a config error, exit 2)
: >"$work/lookups"
start=$(date +%s)
PATH=$work/bin:$PATH L2FQ_NET_RESOLVE_RETRIES=2 run -c "$c" check
took=$(($(date +%s) - start))
n=$(grep -c never.example "$work/lookups")
if [ "$n" -eq 3 ] && [ "$(grep -c "\[peer b\] endpoint host 'never.example' does not resolve" "$work/err")" -eq 3 ] &&
	err_has "(3 tries; L2FQ_NET_RESOLVE_RETRIES=2)" && [ $rc -eq 1 ] && [ "$took" -ge 3 ]; then
	t_pass "resolution: retries 2 -> exactly 3 look-ups, each failure named, exit 1, 1 + 2 s apart ($took s)"
else
	t_fail "resolution: retries 2: $n look-ups, exit $rc, $took s: $(cat "$work/err")"
fi
: >"$work/lookups"
PATH=$work/bin:$PATH run -c "$c" check
t_check "resolution: check alone tries once ($(grep -c never.example "$work/lookups") look-up)" [ "$(grep -c never.example "$work/lookups")" -eq 1 ]
PATH=$work/bin:$PATH L2FQ_NET_RESOLVE_RETRIES=often run -c "$c" check
t_check "resolution: L2FQ_NET_RESOLVE_RETRIES=often is refused" err_has "L2FQ_NET_RESOLVE_RETRIES 'often': want a number of retries or infinity"
conf "$c" "endpoint = late.example:51820"
: >"$work/lookups"
PATH=$work/bin:$PATH L2FQ_NET_RESOLVE_RETRIES=infinity run -c "$c" check
if out_has "peer b: endpoint late.example:51820 (resolves to 192.0.2.7:51820)" && [ "$(grep -c late.example "$work/lookups")" -eq 2 ] &&
	[ "$(grep -c "does not resolve (try 1)" "$work/err")" -eq 1 ]; then
	t_pass "resolution: a name that resolves on the second try is used (infinity)"
else
	t_fail "resolution: late name: $(cat "$work/out" "$work/err")"
fi

# ---------------------------------------------------------------- nft tables after flush ruleset
if [ "$EUID" -ne 0 ] || ! command -v nft >/dev/null 2>&1 || ! command -v unshare >/dev/null 2>&1; then
	t_skip "nft restore: needs root, nft and unshare"
else
	conf "$work/etc/flush.conf" "endpoint = 198.51.100.2:51820" && sed -i 's/^l2fragq = .*/df-strategy = nft/' "$work/etc/flush.conf"
	# In a new network namespace: up's table (df-strategy nft: the DF-clear
	# rule), journaled; flush ruleset; the restore, twice.
	# shellcheck disable=SC2016 # expanded by the inner bash
	unshare -n bash -c '
		set -uo pipefail
		for f in common config plan journal daemon up status; do . "$1/scripts/lib/net/$f.sh"; done
		l2fq_net_load "$2" || exit 9
		_l2n_plan_strategy || exit 9
		mkdir -p "$L2N_STATE_DIR"
		printf "info strategy nft\nnft ip %s\nup-done\n" "$L2N_NFT_TABLE" >"$L2N_STATE_FILE"
		_l2n_read_info
		_l2n_nft_out_table dfclear | nft -f - || exit 9
		nft list table ip "$L2N_NFT_TABLE" >"$3/before"
		nft flush ruleset
		nft list table ip "$L2N_NFT_TABLE" >/dev/null 2>&1 && exit 8
		_l2n_restore_tables || exit 7
		nft list table ip "$L2N_NFT_TABLE" >"$3/after" || exit 6
		_l2n_restore_tables >"$3/again" 2>&1 || exit 5
	' _ "$root" "$work/etc/flush.conf" "$work" >"$work/out" 2>"$work/err"
	rc=$?
	if [ $rc -eq 0 ] && grep -q "frag-off set" "$work/after" && cmp -s "$work/before" "$work/after" &&
		err_has "nft table(s) ip l2fragq-flush were deleted" && out_has "restored nft table(s) ip l2fragq-flush" && [ ! -s "$work/again" ]; then
		t_pass "nft restore: the table deleted by flush ruleset is made again, the same; a second run changes nothing"
	else
		t_fail "nft restore: exit $rc: $(cat "$work/out" "$work/err" "$work/again" 2>/dev/null)"
	fi
fi

t_summary
