#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What the docs say the systemd units grant is what they grant: the
# capabilities (CapabilityBoundingSet=, AmbientCapabilities=) and socket
# families (RestrictAddressFamilies=) of the units that run the daemon
# (scripts/systemd/*.service whose ExecStart= is l2fragq) and of
# l2fragq-net's transient unit (the properties scripts/lib/net/daemon.sh
# passes to systemd-run: l2fragq@.service's sandbox, _l2n_unit_sandbox, and
# its own -p). Every line of README.md, doc/*.md and doc/*.8 that names one
# of those settings must list exactly the units' set; README.md and
# doc/operations.md must have such lines for both.
# Usage: test/cli/docs_units.sh   (from the repository root)
set -uo pipefail
# shellcheck source=test/lib.sh
. "$(cd "$(dirname "$0")" && pwd)/../lib.sh"
[ -r scripts/systemd/l2fragq@.service ] || t_fatal "run from the repository root"

words() { tr ' ' '\n' | sed '/^$/d' | sort -u | tr '\n' ' '; } # a set, as one sorted line
# The values of KEY= in unit-file lines on stdin (several lines add up).
unit_set() { # KEY
	sed -n "s/^$1=//p" | tr -d '~' | words
}

# The transient unit: daemon.sh's systemd-run properties, one per line.
transient=$(bash -c '
	libdir=scripts/lib/net
	. "$libdir/common.sh" && . "$libdir/daemon.sh" && _l2n_unit_sandbox' | grep -v '^-p$')
transient+=$'\n'$(grep -v '# (underlay probing only)$' scripts/lib/net/daemon.sh | grep -oE -- '-p "?[A-Za-z]+=[^"]*' | sed -E 's/^-p "?//')
[ -n "$transient" ] || t_fail "no properties from daemon.sh's _l2n_unit_sandbox"
# With underlay probing on (l2fragq-net's underlay-probe) the transient unit
# also gets AF_INET and AF_INET6 for the probe sockets, as l2fragq-net(8) says.
ul=$(grep '# (underlay probing only)$' scripts/lib/net/daemon.sh | grep -oE -- '-p "?[A-Za-z]+=[^"]*' | sed -E 's/^-p "?//')
t_check "underlay probing adds the socket families AF_INET AF_INET6 ($(unit_set RestrictAddressFamilies <<<"$ul"))" \
	[ "$(unit_set RestrictAddressFamilies <<<"$ul")" = "AF_INET AF_INET6 " ]
t_check "  and l2fragq-net(8) says so" grep -q '^\.B AF_INET AF_INET6$' doc/l2fragq-net.8

declare -A caps=() fams=()
for u in scripts/systemd/*.service transient; do
	if [ "$u" = transient ]; then text=$transient; else text=$(cat "$u"); fi
	# (l2fragq-net's own units, root with a bounding set, are not the daemon's sandbox)
	[ "$u" = transient ] || grep -qE '^ExecStart=[^ ]*/l2fragq( |$)' <<<"$text" || continue
	b=$(unit_set CapabilityBoundingSet <<<"$text")
	a=$(unit_set AmbientCapabilities <<<"$text")
	f=$(unit_set RestrictAddressFamilies <<<"$text")
	t_check "$u: AmbientCapabilities= ($a) is CapabilityBoundingSet= ($b)" [ "$a" = "$b" ]
	[ -z "$b" ] || caps[$b]+="$u "
	[ -z "$f" ] || fams[$f]+="$u "
done
# One set for every unit that sets them (else the docs would have to say which).
t_check "one capability set in every unit that grants one (${!caps[*]})" [ "${#caps[@]}" -eq 1 ]
t_check "one socket family set in every unit that restricts them (${!fams[*]})" [ "${#fams[@]}" -eq 1 ]
want_caps=${!caps[*]} want_fams=${!fams[*]}
t_check "the transient unit grants $want_caps, as l2fragq@.service" \
	eval '[[ ${caps[$want_caps]} == *transient* && ${caps[$want_caps]} == *l2fragq@.service* ]]'

# The docs: every line naming a setting lists its set, exactly.
doc_lines() { # FILE REGEX: its lines matching REGEX, man-page escapes undone
	sed 's/\\-/-/g; s/\\(em/-/g' "$1" | grep -nE -- "$2"
}
for doc in README.md doc/*.md doc/*.8; do
	ncap=0 nfam=0
	while IFS= read -r line; do
		got=$(grep -oE 'CAP_[A-Z_]+' <<<"${line#*:}" | words)
		t_check "$doc:${line%%:*}: capabilities '$got' are the units' '$want_caps'" [ "$got" = "$want_caps" ]
		ncap=$((ncap + 1))
	done < <(doc_lines "$doc" '(CapabilityBoundingSet|AmbientCapabilities)=')
	while IFS= read -r line; do
		got=$(grep -oE 'AF_[A-Z0-9]+' <<<"${line#*:}" | words)
		t_check "$doc:${line%%:*}: socket families '$got' are the units' '$want_fams'" [ "$got" = "$want_fams" ]
		nfam=$((nfam + 1))
	done < <(doc_lines "$doc" 'RestrictAddressFamilies=')
	case $doc in
	README.md | doc/operations.md)
		t_check "$doc states the units' capabilities (a line with CapabilityBoundingSet= or AmbientCapabilities=)" [ $ncap -gt 0 ]
		t_check "$doc states the units' socket families (a line with RestrictAddressFamilies=)" [ $nfam -gt 0 ]
		;;
	esac
done
t_summary
