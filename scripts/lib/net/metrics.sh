# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# l2fragq-net library, metrics.sh: the metrics command. Per-peer series for
# node_exporter's textfile collector (what _l2n_peer_health, status_json.sh,
# gathers), written atomically (a temporary file in the same directory,
# renamed) so that the collector never reads half a file. Run by
# l2fragq-net-metrics@NAME.timer every 15 s, or by cron.
#
# The instance is the label l2fragq_instance, not "instance": Prometheus
# owns "instance" (the scraped target, node_exporter's host) and renames a
# scraped "instance" label to exported_instance.

# Where metrics writes: l2fragq-net-NAME.prom beside metrics-file (the
# directory the collector reads), else "" (stdout). No key of its own: a new
# key would change every running instance's config hash.
_l2n_peer_metrics_path() {
	local mf=${L2N_CFG[metrics-file]:-}
	[ -z "$mf" ] || echo "${mf%/*}/l2fragq-net-$L2N_NAME.prom"
}

# A label value in the text format: backslash, double quote, newline escaped.
_l2n_prom_label() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '%s' "${s//$'\n'/\\n}"; }

# One family: HELP, TYPE, then one sample per peer whose L2N_PH field is set.
_l2n_prom_peer_family() { # NAME TYPE HELP FIELD
	local p v
	printf '# HELP %s %s\n# TYPE %s %s\n' "$1" "$3" "$1" "$2"
	for p in "${L2N_PEERS[@]}"; do
		v=${L2N_PH[$p.$4]:-}
		[[ $v =~ ^[0-9]+$ ]] || continue
		printf '%s{l2fragq_instance="%s",peer="%s"} %s\n' "$1" "$(_l2n_prom_label "$L2N_NAME")" "$(_l2n_prom_label "$p")" "$v"
	done
}

# The whole text, on stdout.
_l2n_prom_text() { # UP
	local inst mf=${L2N_CFG[metrics-file]:-} mtime now
	inst=$(_l2n_prom_label "$L2N_NAME")
	now=$(printf '%(%s)T' -1)
	printf '# HELP l2fragq_net_up Whether the l2fragq-net instance is up (up finished).\n# TYPE l2fragq_net_up gauge\n'
	printf 'l2fragq_net_up{l2fragq_instance="%s"} %d\n' "$inst" "$1"
	printf '# HELP l2fragq_net_metrics_timestamp_seconds When l2fragq-net metrics wrote this file (Unix time).\n'
	printf '# TYPE l2fragq_net_metrics_timestamp_seconds gauge\n'
	printf 'l2fragq_net_metrics_timestamp_seconds{l2fragq_instance="%s"} %s\n' "$inst" "$now"
	# The daemon's own file goes stale when l2fragq hangs or is gone.
	if [ -n "$mf" ] && mtime=$(stat -c %Y "$mf" 2>/dev/null); then
		printf '# HELP l2fragq_net_daemon_metrics_age_seconds Seconds since l2fragq last wrote its metrics file (metrics-file).\n'
		printf '# TYPE l2fragq_net_daemon_metrics_age_seconds gauge\n'
		printf 'l2fragq_net_daemon_metrics_age_seconds{l2fragq_instance="%s"} %d\n' "$inst" $((now > mtime ? now - mtime : 0))
	fi
	_l2n_prom_peer_family l2fragq_net_peer_up gauge \
		"Whether the peer is reachable: a WireGuard handshake within 180 s and its gretap present." up
	_l2n_prom_peer_family l2fragq_net_peer_waiting_for_connect gauge \
		"1: no WireGuard handshake yet and no endpoint configured: the peer roams to us and only it can connect (not a problem)." waiting
	_l2n_prom_peer_family l2fragq_net_peer_latest_handshake_seconds gauge \
		"Unix time of the latest WireGuard handshake with the peer (0: never)." handshake
	_l2n_prom_peer_family l2fragq_net_peer_rx_bytes_total counter \
		"Bytes received from the peer over WireGuard." rx
	_l2n_prom_peer_family l2fragq_net_peer_tx_bytes_total counter \
		"Bytes sent to the peer over WireGuard." tx
	_l2n_prom_peer_family l2fragq_net_peer_path_mtu_bytes gauge \
		"Path MTU toward the peer's tunnel address, as --pmtud uses it (route, device or pmtud-mtu)." mtu
}

# metrics: write the file (or print the text when no file is configured).
l2fq_net_metrics() {
	local out inst_up=0 tmp
	_l2n_read_info
	[ -f "$L2N_STATE_FILE" ] && [ "$L2N_UP_DONE" = 1 ] && inst_up=1
	_l2n_peer_health "$inst_up"
	out=$(_l2n_peer_metrics_path)
	if [ -z "$out" ]; then
		_l2n_prom_text "$inst_up"
		return 0
	fi
	tmp=$(mktemp "$out.XXXXXX") || { _l2n_err "metrics: cannot write in ${out%/*}"; return 1; }
	if _l2n_prom_text "$inst_up" >"$tmp" && chmod 0644 "$tmp" && mv -f "$tmp" "$out"; then
		return 0
	fi
	rm -f "$tmp"
	_l2n_err "metrics: cannot write $out"
	return 1
}
