#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# l2fragq-net's registry of settings shared by instances (scripts/lib/net/
# journal.sh: the reassembly sysctls and all.send_redirects are one per
# network namespace, not one per instance). Runs the library's own functions
# against the real /proc/sys of a network namespace made for the test, as up
# and down would call them, for two instances A and B:
#   - A up, B up, A down, B down and A up, B up, B down, A down: every value
#     is what the instance still up wants, and after the last down every
#     sysctl is as before the first up;
#   - a "keep" (send_redirects, which kernel WireGuard turns off) holds the
#     original until the last instance goes;
#   - two instances that want different values: a warning, the last up wins,
#     and the down of one restores the other's;
#   - the registry file is gone when no instance is left.
# Usage (root): test/cli/net_shared_sysctl.sh
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=test/lib.sh
. "$root/test/lib.sh"
t_need_root "a network namespace"
ns=l2fq-shsys-$$
t_workdir /tmp/l2fq-shsys.XXXXXX
work=$WORK
ns_del() { ip netns del "$ns" 2>/dev/null; }
T_TEARDOWN=(ns_del)
ip netns add "$ns" || t_fatal "cannot create a network namespace"

# One instance's action, in the namespace, with the library as up/down use it.
inst() { # NAME set PATH VALUE | NAME release PATH
	ip netns exec "$ns" env L2FQ_NET_STATE_DIR="$work/run" bash -c '
		set -uo pipefail
		lib=$1 name=$2 what=$3
		shift 3
		for f in common config plan journal; do . "$lib/$f.sh"; done
		L2N_NAME=$name L2N_STATE_DIR=$L2FQ_NET_STATE_DIR L2N_STATE_FILE=$L2FQ_NET_STATE_DIR/$name.state
		mkdir -p "$L2N_STATE_DIR"
		case $what in
		set) _l2n_shared_sysctl_set "$@" ;;
		release) _l2n_shared_sysctl_release "$@" ;;
		esac' inst "$root/scripts/lib/net" "$@"
}
get() { ip netns exec "$ns" cat "/proc/sys/$1"; }
put() { ip netns exec "$ns" sh -c "echo $2 >/proc/sys/$1"; }

T=net/ipv4/ipfrag_time R=net/ipv4/conf/all/send_redirects
put "$T" 30
put "$R" 1
reg=$work/run/shared-sysctl.$(ip netns exec "$ns" readlink /proc/self/ns/net | tr -dc 0-9)

# Order 1: A up, B up, A down, B down (the same value).
inst A set "$T" 5
inst A set "$R" -
put "$R" 0 # what opening kernel WireGuard does
t_check "A up: ipfrag_time 5" [ "$(get "$T")" = 5 ]
inst B set "$T" 5
inst B set "$R" -
inst A release "$R"
inst A release "$T"
t_check "A down while B is up: ipfrag_time still 5 (B's)" [ "$(get "$T")" = 5 ]
t_check "A down while B is up: send_redirects still 0 (B's WireGuard is up)" [ "$(get "$R")" = 0 ]
inst B release "$R"
inst B release "$T"
t_check "B down, the last: ipfrag_time back to 30" [ "$(get "$T")" = 30 ]
t_check "B down, the last: send_redirects back to 1" [ "$(get "$R")" = 1 ]
t_check "no instance left: the registry file is gone" [ ! -e "$reg" ]

# Order 2, different values: A up (5), B up (7), B down, A down.
inst A set "$T" 5
out=$(inst B set "$T" 7 2>&1)
t_check "B up with another value: ipfrag_time 7 (the last up wins)" [ "$(get "$T")" = 7 ]
t_check "B up with another value: a warning names A and its value ($out)" grep -q "A (5)" <<<"$out"
inst B release "$T"
t_check "B down while A is up: ipfrag_time back to A's 5" [ "$(get "$T")" = 5 ]
inst A release "$T"
t_check "A down, the last: ipfrag_time back to 30" [ "$(get "$T")" = 30 ]

# Order 3: A up (5), B up (7), A down, B down.
inst A set "$T" 5
inst B set "$T" 7 2>/dev/null
inst A release "$T"
t_check "A down while B is up: ipfrag_time stays at B's 7" [ "$(get "$T")" = 7 ]
inst B release "$T"
t_check "B down, the last: ipfrag_time back to 30" [ "$(get "$T")" = 30 ]
t_check "the registry file is gone again" [ ! -e "$reg" ]
t_check "each instance journaled 'shared-sysctl PATH' records" grep -qx "shared-sysctl $T" "$work/run/A.state"

t_summary
