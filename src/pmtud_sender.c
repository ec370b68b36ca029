/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "l2fragq/pmtud_sender.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "l2fragq/bytes.h"
#include "l2fragq/frame.h"
#include "l2fragq/exit_codes.h"
#include "l2fragq/inject.h"
#include "l2fragq/ratelimit.h"

/* PMTU exceptions change without a netlink message: re-read this often. */
#define PATH_REFRESH_S 5

struct l2fq_pmtud_sender {
	struct l2fq_pmtud_config cfg;
	struct l2fq_injector inj;
	struct l2fq_pathtable *paths;
	/* Signals are rare (a few per flow): one lock on that path is cheaper
	 * than per-worker buckets that would multiply the limits. */
	pthread_mutex_t rl_lock;
	struct l2fq_ratelimit rl;
	atomic_int no_path_reported;
	atomic_int fdb_error_reported;
};

int l2fq_pmtud_sender_open(struct l2fq_pmtud_sender **out, const struct l2fq_pmtud_config *cfg,
			   char *msg, size_t msglen)
{
	struct l2fq_pmtud_sender *s = calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (!s) {
		snprintf(msg, msglen, "--pmtud: out of memory");
		return L2FQ_EXIT_FAILURE;
	}
	s->cfg = *cfg;
	rc = l2fq_inject_open(&s->inj, cfg->mark, msg, msglen);
	if (rc != L2FQ_EXIT_OK) {
		free(s);
		return rc;
	}
	pthread_mutex_init(&s->rl_lock, NULL);
	l2fq_ratelimit_init(&s->rl, cfg->flow_interval_ms, cfg->rate_per_sec, cfg->rate_burst);
	*out = s;
	return L2FQ_EXIT_OK;
}

int l2fq_pmtud_sender_start(struct l2fq_pmtud_sender *s, char *msg, size_t msglen)
{
	return l2fq_pathtable_start(&s->paths, PATH_REFRESH_S, msg, msglen);
}

void l2fq_pmtud_sender_close(struct l2fq_pmtud_sender *s)
{
	if (!s)
		return;
	if (s->paths)
		l2fq_pathtable_stop(s->paths);
	l2fq_inject_close(&s->inj);
	pthread_mutex_destroy(&s->rl_lock);
	free(s);
}

static const enum l2fq_counter skip_counter[L2FQ_PMTUD_VERDICT_COUNT] = {
	[L2FQ_PMTUD_NOT_ETHERNET] = L2FQ_CNT_PMTUD_NOT_ETHERNET,
	[L2FQ_PMTUD_NOT_IP] = L2FQ_CNT_PMTUD_NOT_IP,
	[L2FQ_PMTUD_MALFORMED] = L2FQ_CNT_PMTUD_MALFORMED,
	[L2FQ_PMTUD_NO_DF] = L2FQ_CNT_PMTUD_NO_DF,
	[L2FQ_PMTUD_FRAGMENT] = L2FQ_CNT_PMTUD_FRAGMENT,
	[L2FQ_PMTUD_ICMP_ERROR] = L2FQ_CNT_PMTUD_ICMP_ERROR,
	[L2FQ_PMTUD_MULTICAST] = L2FQ_CNT_PMTUD_MULTICAST,
	[L2FQ_PMTUD_MTU_TOO_SMALL] = L2FQ_CNT_PMTUD_MTU_TOO_SMALL,
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void report_no_path(struct l2fq_pmtud_sender *s, uint32_t saddr, uint32_t daddr)
{
	char from[INET_ADDRSTRLEN], to[INET_ADDRSTRLEN];

	if (atomic_exchange(&s->no_path_reported, 1))
		return;
	inet_ntop(AF_INET, &saddr, from, sizeof(from));
	inet_ntop(AF_INET, &daddr, to, sizeof(to));
	fprintf(stderr,
		"l2fragq: --pmtud: GRE %s -> %s is carried by no gretap that is a bridge port here: "
		"no signal for it (counted as pmtud-no-path; reported once)\n", from, to);
}

static void report_fdb_error(struct l2fq_pmtud_sender *s, int err)
{
	if (atomic_exchange(&s->fdb_error_reported, 1))
		return;
	fprintf(stderr,
		"l2fragq: --pmtud: cannot ask the bridge's forwarding database (%s; needs Linux 5.3 "
		"or later): no signals (counted as pmtud-fdb-errors; reported once)\n",
		strerror(-err));
}

/* The VLAN of the signal (its tags are the original frame's): the first tag. */
static uint16_t signal_vid(const uint8_t *frame)
{
	if (!l2fq_is_vlan_tpid(l2fq_get16(frame + 12)))
		return 0;
	return l2fq_get16(frame + 14) & 0x0fff;
}

void l2fq_pmtud_check(struct l2fq_pmtud_worker *w, const uint8_t *pkt, size_t len,
		      struct l2fq_stats *stats)
{
	struct l2fq_pmtud_sender *s = w->sender;
	struct l2fq_pmtud_signal sig;
	enum l2fq_pmtud_verdict v;
	enum l2fq_rl_result allowed;
	struct l2fq_path path;
	uint32_t saddr, daddr;
	unsigned mtu;
	int have_path, port;

	if (len < 20 || (pkt[0] >> 4) != 4)
		return; /* rewrite.c counts it */
	if (s->cfg.fixed_mtu && l2fq_get16(pkt + 2) <= s->cfg.fixed_mtu)
		return;
	memcpy(&saddr, pkt + 12, 4);
	memcpy(&daddr, pkt + 16, 4);
	{ /* Interim (pathtable branch): no key, no outdev; the lead replaces it. */
		struct l2fq_tunnel_id id = {.saddr = saddr, .daddr = daddr};

		have_path = l2fq_pathtable_lookup(s->paths, &w->paths, &id, &path) == L2FQ_PATH_FOUND;
	}
	mtu = s->cfg.fixed_mtu ? s->cfg.fixed_mtu : have_path ? path.mtu : 0;
	if (mtu && l2fq_get16(pkt + 2) <= mtu)
		return; /* fits: the common case, one lookup and one compare */
	if (!have_path || !path.bridge_ifindex) {
		l2fq_stats_add(stats, L2FQ_CNT_PMTUD_NO_PATH, 1);
		report_no_path(s, saddr, daddr);
		return;
	}
	if (!mtu) {
		l2fq_stats_add(stats, L2FQ_CNT_PMTUD_NO_MTU, 1);
		return;
	}
	l2fq_stats_add(stats, L2FQ_CNT_PMTUD_OVERSIZE, 1);
	v = l2fq_pmtud_build(pkt, len, mtu, w->frame, &sig);
	if (v != L2FQ_PMTUD_SIGNAL) {
		if (v < L2FQ_PMTUD_VERDICT_COUNT && skip_counter[v])
			l2fq_stats_add(stats, skip_counter[v], 1);
		return;
	}
	/* Only a frame the bridge sent here because its destination lives
	 * behind this tunnel says something about that destination's path: a
	 * flooded one (destination unknown or local) must not be answered. */
	port = l2fq_fdb_port(&w->fdb, path.bridge_ifindex, w->frame + 6, signal_vid(w->frame));
	if (port < 0) {
		l2fq_stats_add(stats, L2FQ_CNT_PMTUD_FDB_ERRORS, 1);
		report_fdb_error(s, port);
		return;
	}
	if (port != path.gretap_ifindex) {
		l2fq_stats_add(stats, L2FQ_CNT_PMTUD_FLOODED, 1);
		return;
	}
	pthread_mutex_lock(&s->rl_lock);
	allowed = l2fq_ratelimit_allow(&s->rl, sig.flow_key, now_ns());
	pthread_mutex_unlock(&s->rl_lock);
	if (allowed == L2FQ_RL_FLOW_LIMITED) {
		l2fq_stats_add(stats, L2FQ_CNT_PMTUD_RATE_FLOW, 1);
		return;
	}
	if (allowed == L2FQ_RL_GLOBAL_LIMITED) {
		l2fq_stats_add(stats, L2FQ_CNT_PMTUD_RATE_GLOBAL, 1);
		return;
	}
	if (l2fq_inject_send(&s->inj, path.bridge_ifindex, w->frame, sig.len) != 0)
		l2fq_stats_add(stats, L2FQ_CNT_PMTUD_SEND_ERRORS, 1);
	else
		l2fq_stats_add(stats, sig.version == 6 ? L2FQ_CNT_PMTUD_SENT_V6 : L2FQ_CNT_PMTUD_SENT_V4, 1);
}

void l2fq_pmtud_print_paths(struct l2fq_pmtud_sender *s, const char *prefix)
{
	static struct l2fq_path_snapshot snap; /* main thread only */
	char local[INET_ADDRSTRLEN], remote[INET_ADDRSTRLEN];

	l2fq_pathtable_snapshot(s->paths, &snap);
	if (snap.n == 0)
		fprintf(stderr, "%sno gretap found yet (signals wait for one)\n", prefix);
	for (unsigned i = 0; i < snap.n; i++) {
		const struct l2fq_path *p = &snap.paths[i];
		unsigned mtu = s->cfg.fixed_mtu ? s->cfg.fixed_mtu : p->mtu;

		inet_ntop(AF_INET, &p->local, local, sizeof(local));
		inet_ntop(AF_INET, &p->remote, remote, sizeof(remote));
		fprintf(stderr, "%s%s %s -> %s bridge %s path-mtu %u%s\n", prefix, p->gretap, local,
			remote, p->bridge_ifindex ? p->bridge : "(none: no signals)", mtu,
			s->cfg.fixed_mtu ? " (--pmtud-mtu)" : p->mtu_locked ? " (locked)" : "");
	}
}
