#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Command-line behaviour of the l2fragq binary: usage errors, --help, --version
# and a runtime error. Usage: errors.sh PATH/TO/l2fragq
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=test/lib.sh
. "$here/../lib.sh"
options_c=$here/../../src/options.c
t_binary_arg "$@"
bin=$T_BIN
t_workdir "${TMPDIR:-/tmp}/l2fq-errors.XXXXXX"
tmp=$WORK

# run ARGS...: sets rc, out (stdout) and err (stderr) of one invocation.
run() {
	timeout 20 "$bin" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

# line_count FILE: number of lines, counting an unterminated last line.
line_count() {
	awk 'END { print NR }' "$1"
}

# usage_error NAME ARGS...: exit 2, nothing on stdout, one stderr line naming NAME.
usage_error() {
	local name=$1 what
	shift
	what="usage error: $*"
	run "$@"
	if [ "$rc" -ne 2 ]; then
		t_fail "$what: exit $rc, want 2 (stderr: $err)"
	elif [ -n "$out" ]; then
		t_fail "$what: wrote to stdout: $out"
	elif [ "$(line_count "$tmp/err")" -ne 1 ]; then
		t_fail "$what: $(line_count "$tmp/err") lines on stderr, want 1: $err"
	elif [[ "$err" != *"$name"* ]]; then
		t_fail "$what: stderr does not name '$name': $err"
	else
		t_pass "$what -> $err"
	fi
}

usage_error --threads --threads 0
usage_error --threads -t 65
usage_error --queue --queue 70000
usage_error --peer --peer 1.2.3.4/40
usage_error --peer --peer 300.1.1.1
usage_error --rcvbuf --rcvbuf 1T
usage_error --batch --batch 0
usage_error --bogus --bogus
usage_error -r -r
usage_error --read --read
usage_error stray stray
usage_error stray --threads 2 stray
usage_error --write --write "$tmp/out.pcap"
usage_error --threads --threads 2 --read /nonexistent.pcap
usage_error --threads -r /nonexistent.pcap -t 2
usage_error --fail-open -r /nonexistent.pcap --fail-open
usage_error --threads --queue 65535 --threads 2
usage_error --pmtud-mtu --pmtud --pmtud-mtu 100
usage_error --pmtud-mtu --pmtud-mtu 1400
usage_error --pmtud-mark --pmtud --pmtud-mark 0
usage_error --pmtud-rate --pmtud --pmtud-rate lots
usage_error --pmtud -r /nonexistent.pcap --pmtud

# --help: exit 0 and every long option of the long_options table.
run --help
if [ "$rc" -ne 0 ]; then
	t_fail "--help: exit $rc, want 0"
elif [ -z "$out" ]; then
	t_fail "--help: nothing on stdout"
else
	t_pass "--help exits 0"
fi
longs=$(sed -n '/long_options\[\] *= *{/,/^};/p' "$options_c" |
	grep -o '{ *"[a-z][a-z0-9-]*"' | grep -o '[a-z][a-z0-9-]*')
if [ "$(echo "$longs" | grep -c .)" -lt 10 ]; then
	t_fail "could not read the long_options table from $options_c"
fi
for name in $longs; do
	if grep -Eq -- "--$name([^a-z0-9-]|$)" "$tmp/out"; then
		t_pass "--help lists --$name"
	else
		t_fail "--help does not list --$name"
	fi
done
run -h
if [ "$rc" -eq 0 ] && [ "$out" = "$(timeout 20 "$bin" --help)" ]; then
	t_pass "-h prints the same as --help"
else
	t_fail "-h: exit $rc or output differs from --help"
fi

# --version: exit 0, one line "l2fragq X.Y.Z".
for v in --version -V; do
	run "$v"
	if [ "$rc" -eq 0 ] && [ "$(line_count "$tmp/out")" -eq 1 ] &&
		[[ "$out" =~ ^l2fragq\ [0-9]+\.[0-9]+\.[0-9]+$ ]]; then
		t_pass "$v -> $out"
	else
		t_fail "$v: exit $rc, stdout '$out', want 'l2fragq X.Y.Z'"
	fi
done

# Runtime error: a missing input file is exit 1 and one line naming it.
run -r /nonexistent.pcap -w "$tmp/x.pcap"
if [ "$rc" -ne 1 ]; then
	t_fail "missing input: exit $rc, want 1 (stderr: $err)"
elif [ "$(line_count "$tmp/err")" -ne 1 ]; then
	t_fail "missing input: $(line_count "$tmp/err") lines on stderr, want 1: $err"
elif [[ "$err" != *"/nonexistent.pcap"* ]]; then
	t_fail "missing input: stderr does not name the file: $err"
else
	t_pass "missing input -> $err"
fi

# A .pcap output for a pcapng input of mixed link types (pcaps/README.md),
# or of no interface (no link type for a pcap header): a pcap file holds one, so exit
# 2, one line naming the output and the fix (.pcapng), and nothing written.
pcap_refused() { # WHAT INPUT OUTPUT
	local left
	run -r "$2" -w "$3"
	left=$(ls -A "$(dirname "$3")")
	if [ "$rc" -ne 2 ]; then
		t_fail "$1 to a .pcap name: exit $rc, want 2 (stderr: $err)"
	elif [ "$(line_count "$tmp/err")" -ne 1 ]; then
		t_fail "$1 to a .pcap name: $(line_count "$tmp/err") lines on stderr, want 1: $err"
	elif [[ "$err" != *"$3"* ]] || [[ "$err" != *".pcapng"* ]]; then
		t_fail "$1 to a .pcap name: the error does not name the output and .pcapng: $err"
	elif [ -n "$left" ]; then
		t_fail "$1 to a .pcap name: left behind: $left"
	else
		t_pass "$1 to a .pcap name -> exit 2: $err"
	fi
}
mkdir "$tmp/conv"
multi=$here/../../pcaps/in/pcapng_multi.pcapng
pcap_refused "pcapng of mixed link types" "$multi" "$tmp/conv/multi.pcap"
# (a lone Section Header Block, little-endian)
printf '\x0a\x0d\x0d\x0a\x1c\0\0\0\x4d\x3c\x2b\x1a\x01\0\0\0\xff\xff\xff\xff\xff\xff\xff\xff\x1c\0\0\0' \
	>"$tmp/noif.pcapng"
pcap_refused "pcapng of no interface" "$tmp/noif.pcapng" "$tmp/conv/noif.pcap"
run -r "$tmp/noif.pcapng" -w "$tmp/conv/noif.pcapng"
if [ "$rc" -eq 0 ] && cmp -s "$tmp/noif.pcapng" "$tmp/conv/noif.pcapng"; then
	t_pass "pcapng of no interface to a .pcapng name -> copied, exit 0"
else
	t_fail "pcapng of no interface to a .pcapng name: exit $rc or output differs (stderr: $err)"
fi
# The same input to any other name (stdout included) is pcapng, exit 0.
timeout 20 "$bin" -r "$multi" -w - >"$tmp/stdout.bin" 2>"$tmp/err" </dev/null
rc=$?
if [ "$rc" -eq 0 ] && [ "$(head -c 4 "$tmp/stdout.bin" | od -An -tx1 | tr -d ' ')" = 0a0d0d0a ]; then
	t_pass "pcapng input to -w - -> pcapng on stdout"
else
	t_fail "pcapng input to -w -: exit $rc or stdout is not pcapng (stderr: $(cat "$tmp/err"))"
fi

# Kernel-side refusals, each in a private network namespace (nothing on the
# host is bound): exit code and one line that says what to do.
if [ "$(id -u)" -ne 0 ]; then
	t_fail "queue refusals: must run as root to create network namespaces"
else
	# No CAP_NET_ADMIN: exit 3 naming the capability.
	timeout 20 unshare -n setpriv --reuid=nobody --regid=nogroup --clear-groups \
		--inh-caps=-all --bounding-set=-all "$bin" --queue 1 >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	err=$(cat "$tmp/err")
	if [ "$rc" -eq 3 ] && [ "$(line_count "$tmp/err")" -eq 1 ] && [[ "$err" == *CAP_NET_ADMIN* ]]; then
		t_pass "no CAP_NET_ADMIN -> exit 3: $err"
	else
		t_fail "no CAP_NET_ADMIN: exit $rc, want 3 and one line naming CAP_NET_ADMIN: $err"
	fi
	# A queue bound by another process: exit 5 naming the queue and its owner.
	timeout 20 unshare -n bash -c '
		"$1" --queue 4 2>/dev/null & holder=$!
		for _ in $(seq 50); do
			awk "\$1 == 4 { f = 1 } END { exit !f }" /proc/net/netfilter/nfnetlink_queue && break
			sleep 0.1
		done
		"$1" --queue 3 --threads 2; rc=$?
		kill $holder; wait $holder
		exit $rc' _ "$bin" >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	err=$(cat "$tmp/err")
	if [ "$rc" -eq 5 ] && [ "$(line_count "$tmp/err")" -eq 1 ] &&
		[[ "$err" == *"queue 4 is already bound by another process"* ]]; then
		t_pass "busy queue -> exit 5: $err"
	else
		t_fail "busy queue: exit $rc, want 5 and one line naming queue 4: $err"
	fi
fi

t_summary
