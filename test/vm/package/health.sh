# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash disable=SC2154,SC2016,SC2034 # work: guest.sh's; checks are eval'd (and read what they name)
# Per-peer health in the package test (sourced by test/vm/package/guest.sh,
# after the traffic): on both sites, under their private systemds,
#   - l2fragq-net status --json is valid against doc/status.schema.json, with
#     a real handshake age, the 16 MiB of TCP in the byte counts (hyp1 sent
#     it), a path MTU, and l2fragq's transient unit, pid and bound queues;
#   - l2fragq-net-metrics@siteN.timer (as shipped) writes
#     l2fragq-net-siteN.prom beside metrics-file with the site's peer up, and
#     rewrites it 15 s later; promtool accepts it and l2fragq's own file;
#   - l2fragq's per-tunnel signal counter adds up to its sent-v4 + sent-v6.
# Needs: HEALTH_TEXTFILE (the metrics-file directory of both configs), and
# guest.sh's sdx, sdctl, work.

HEALTH_TEXTFILE=/var/lib/l2fq-pkg-textfile

health_validate() { # FILE: valid against the schema (prints why not; status 1)
	python3 - "$L2VM_ROOT/doc/status.schema.json" "$1" 2>&1 <<'PY'
import json, sys
try:
    import jsonschema
except ImportError:
    print("python3-jsonschema is not installed (scripts/lib/setup.sh)"); sys.exit(1)
try:
    jsonschema.Draft202012Validator(json.load(open(sys.argv[1]))).validate(json.load(open(sys.argv[2])))
except Exception as e:  # a parse error or a schema violation
    print(str(e).splitlines()[0]); sys.exit(1)
PY
}

check_health() {
	local n m j f out st why valid promtool t0 t1 i
	l2vm_section "per-peer health: status --json, l2fragq-net-metrics@ timer"
	for n in 1 2; do
		m=$((3 - n)) j=$work/status$n.json
		sdx "$n" l2fragq-net -c "/etc/l2fragq/site$n.conf" status --json >"$j" 2>"$work/status$n.err" && st=0 || st=$?
		why=$(health_validate "$j") && valid=1 || valid=0
		t_check "hyp$n: status --json exits 0 ($st) and is valid against the schema${why:+: $why}" \
			eval '[ "$st" -eq 0 ] && [ "$valid" = 1 ]'
		# hyp1 sent the 16 MiB (16777216 bytes) of TCP, hyp2 received it.
		out=$(python3 - "$j" "site$m" "$n" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); p = d["peers"][0]; sender = sys.argv[3] == "1"
big = p["tx_bytes"] if sender else p["rx_bytes"]
ok = (p["name"] == sys.argv[2] and p["up"] and isinstance(p["latest_handshake_age_s"], int)
      and 0 <= p["latest_handshake_age_s"] <= 180 and big > 16777216 and p["path_mtu"] >= 1280
      and p["problems"] == [] and d["daemon"]["unit"] == "l2fragq-net-%s.service" % d["instance"]
      and d["daemon"]["pid"] and d["daemon"]["queues_bound"])
print("%s handshake %s s ago, rx %s tx %s bytes, path MTU %s (%s), unit %s pid %s" % (
    "OK" if ok else "BAD", p["latest_handshake_age_s"], p["rx_bytes"], p["tx_bytes"], p["path_mtu"],
    p["path_mtu_source"], d["daemon"]["unit"], d["daemon"]["pid"]))
PY
)
		t_check "hyp$n: peer site$m: $out" [ "${out%% *}" = OK ]
	done
	# One peer each: every signal l2fragq sent went through its one gretap, so
	# the per-tunnel counter equals the sent-v4 + sent-v6 of all queues (one
	# write of the file: a consistent snapshot).
	for n in 1 2; do
		m=$((3 - n)) f=$HEALTH_TEXTFILE/l2fragq-site$n.prom
		out=$(awk -v t="gt-site$m" '
			/^l2fragq_pmtud_total\{.*result="sent-v[46]"\} / { sent += $2 }
			index($0, "l2fragq_pmtud_signals_sent_total{tunnel=\"" t "\"} ") == 1 { tun = $2 }
			/^# TYPE l2fragq_pmtud_signals_sent_total / { fam = 1 }
			END { printf "%s %d %d", (fam && tun + 0 == sent + 0) ? "OK" : "BAD", sent, tun }' "$f")
		t_check "hyp$n: l2fragq's file: signals sent through gt-site$m = all sent-v4 + sent-v6 ($out)" [ "${out%% *}" = OK ]
	done
	for n in 1 2; do
		out=$(sdctl "$n" start "l2fragq-net-metrics@site$n.timer" 2>&1) && st=0 || st=$?
		t_check "hyp$n: systemctl start l2fragq-net-metrics@site$n.timer (status $st${out:+: $out})" [ "$st" -eq 0 ]
	done
	for n in 1 2; do
		m=$((3 - n)) f=$HEALTH_TEXTFILE/l2fragq-net-site$n.prom
		for ((i = 0; i < 300; i++)); do [ -s "$f" ] && break; sleep 0.1; done
		t_check "hyp$n: the timer wrote $f with peer site$m up" \
			grep -qx "l2fragq_net_peer_up{l2fragq_instance=\"site$n\",peer=\"site$m\"} 1" "$f"
	done
	f=$HEALTH_TEXTFILE/l2fragq-net-site1.prom
	t0=$(sed -n 's/^l2fragq_net_metrics_timestamp_seconds{[^}]*} //p' "$f")
	for ((i = 0; i < 300; i++)); do
		t1=$(sed -n 's/^l2fragq_net_metrics_timestamp_seconds{[^}]*} //p' "$f")
		[ "${t1:-0}" -gt "${t0:-0}" ] && break
		sleep 0.1
	done
	t_check "hyp1: the timer wrote it again $((${t1:-0} - ${t0:-0})) s later (every 15 s)" \
		eval '[ "${t1:-0}" -gt "${t0:-0}" ] && [ $((t1 - t0)) -le 20 ]'
	promtool=$(command -v promtool || echo /var/cache/l2fragq-test/promtool/usr/bin/promtool)
	if [ -x "$promtool" ]; then
		for f in "$HEALTH_TEXTFILE"/*.prom; do
			out=$("$promtool" check metrics <"$f" 2>&1) && st=0 || st=$?
			t_check "promtool check metrics ${f##*/} (status $st${out:+: $out})" [ "$st" -eq 0 ]
		done
	else
		t_skip "promtool not here (scripts/lib/setup.sh unpacks it): metrics files not checked by promtool"
	fi
	for n in 1 2; do sdctl "$n" stop "l2fragq-net-metrics@site$n.timer" >/dev/null 2>&1; done
}
