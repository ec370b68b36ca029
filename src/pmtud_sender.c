/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "l2fragq/pmtud_sender.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "l2fragq/bytes.h"
#include "l2fragq/exit_codes.h"
#include "l2fragq/frame.h"
#include "l2fragq/inject.h"
#include "l2fragq/pmtud_policy.h"
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
	atomic_int ambiguous_reported;
	atomic_int fdb_error_reported;
	/* Signals sent per tunnel: taken once per signal sent, and by the
	 * metrics and status ticks. */
	pthread_mutex_t counts_lock;
	struct l2fq_tunnel_counts counts;
};

/* The limits, keyed with a secret so that no VM can choose flows that
 * share a bucket. One VM (a source) gets a quarter of the global rate: a
 * flood from it leaves the rest to the others. */
static int init_limits(struct l2fq_pmtud_sender *s, char *msg, size_t msglen)
{
	const struct l2fq_pmtud_config *cfg = &s->cfg;
	struct l2fq_rl_config rl = {
		.flow_interval_ms = cfg->flow_interval_ms,
		.per_sec = cfg->rate_per_sec,
		.burst = cfg->rate_burst,
		.source_per_sec = cfg->rate_per_sec ? (cfg->rate_per_sec + 3) / 4 : 0,
		.source_burst = cfg->rate_burst ? (cfg->rate_burst + 3) / 4 : 1,
	};
	uint8_t key[16];

	if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key)) {
		snprintf(msg, msglen, "--pmtud: getrandom: %s", strerror(errno));
		return L2FQ_EXIT_FAILURE;
	}
	l2fq_ratelimit_init(&s->rl, &rl, key);
	return L2FQ_EXIT_OK;
}

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
	pthread_mutex_init(&s->counts_lock, NULL);
	if (init_limits(s, msg, msglen) != L2FQ_EXIT_OK) {
		l2fq_inject_close(&s->inj);
		pthread_mutex_destroy(&s->rl_lock);
		pthread_mutex_destroy(&s->counts_lock);
		free(s);
		return L2FQ_EXIT_FAILURE;
	}
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
	pthread_mutex_destroy(&s->counts_lock);
	free(s);
}

void l2fq_pmtud_sender_tunnel_counts(struct l2fq_pmtud_sender *s, struct l2fq_tunnel_counts *out)
{
	pthread_mutex_lock(&s->counts_lock);
	*out = s->counts;
	pthread_mutex_unlock(&s->counts_lock);
}

static void count_sent(struct l2fq_pmtud_sender *s, const char *gretap)
{
	pthread_mutex_lock(&s->counts_lock);
	l2fq_tunnel_counts_add(&s->counts, gretap, 1);
	pthread_mutex_unlock(&s->counts_lock);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void report_no_path(struct l2fq_pmtud_sender *s, const struct l2fq_tunnel_id *id,
			   enum l2fq_pmtud_verdict v)
{
	atomic_int *reported = v == L2FQ_PMTUD_AMBIGUOUS ? &s->ambiguous_reported : &s->no_path_reported;
	char from[INET_ADDRSTRLEN], to[INET_ADDRSTRLEN], key[24] = "";

	if (atomic_exchange(reported, 1))
		return;
	inet_ntop(AF_INET, &id->saddr, from, sizeof(from));
	inet_ntop(AF_INET, &id->daddr, to, sizeof(to));
	if (id->has_key)
		snprintf(key, sizeof(key), " key %u", id->key);
	if (v == L2FQ_PMTUD_AMBIGUOUS)
		fprintf(stderr,
			"l2fragq: --pmtud: GRE %s -> %s%s fits more than one gretap (same addresses "
			"and key, no device to tell them apart): no signal for it, never a guess "
			"(counted as pmtud-ambiguous; reported once)\n", from, to, key);
	else
		fprintf(stderr,
			"l2fragq: --pmtud: GRE %s -> %s%s is carried by no gretap that is a bridge "
			"port here: no signal for it (counted as pmtud-no-path; reported once)\n",
			from, to, key);
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

/* A candidate: the limits are charged first, and only what they let
 * through costs an FDB question (rtnetlink, under the kernel's rtnl lock). */
static enum l2fq_pmtud_verdict admit_and_send(struct l2fq_pmtud_worker *w,
					      const struct l2fq_pmtud_candidate *c,
					      struct l2fq_stats *stats)
{
	struct l2fq_pmtud_sender *s = w->sender;
	enum l2fq_pmtud_verdict v;
	enum l2fq_rl_result limit;
	int port = 0;

	pthread_mutex_lock(&s->rl_lock);
	limit = l2fq_ratelimit_allow(&s->rl, c->flow, c->flow_len, c->source, sizeof(c->source),
				     now_ns());
	pthread_mutex_unlock(&s->rl_lock);
	if (limit == L2FQ_RL_ALLOW) {
		l2fq_stats_add(stats, L2FQ_CNT_PMTUD_FDB_QUERIES, 1);
		port = l2fq_fdb_port(&w->fdb, c->bridge_ifindex, c->far_mac, c->fdb_vid);
		if (port < 0)
			report_fdb_error(s, port);
	}
	v = l2fq_pmtud_admit(c, limit, port);
	if (v != L2FQ_PMTUD_SIGNAL)
		return v;
	return l2fq_pmtud_sent(c, l2fq_inject_send(&s->inj, c->bridge_ifindex, w->frame, c->sig.len));
}

void l2fq_pmtud_check(struct l2fq_pmtud_worker *w, const uint8_t *pkt, size_t len,
		      int outer_checked, int outdev, struct l2fq_stats *stats)
{
	struct l2fq_pmtud_sender *s = w->sender;
	struct l2fq_tunnel_id id = {.outdev = outdev};
	struct l2fq_pmtud_candidate c;
	struct l2fq_gre_frame f;
	struct l2fq_path path;
	struct l2fq_pmtud_input in = {.pkt = pkt, .len = len, .path = &path,
				      .fixed_mtu = s->cfg.fixed_mtu};
	enum l2fq_frame_result parsed;
	enum l2fq_pmtud_verdict v;
	size_t tot;

	if (outer_checked && (tot = l2fq_get16(pkt + 2)) <= len) {
		/* The rewrite checked the outer header: on from GRE. */
		parsed = l2fq_frame_parse_gre(pkt, (size_t)(pkt[0] & 0x0f) * 4, tot, &f);
	} else {
		if (len < 20 || (pkt[0] >> 4) != 4)
			return; /* rewrite.c counts it */
		parsed = l2fq_frame_parse(pkt, len, &f);
	}
	memcpy(&id.saddr, pkt + 12, 4);
	memcpy(&id.daddr, pkt + 16, 4);
	/* The key is part of the tunnel's identity (ip_tunnel_find()). */
	if (parsed == L2FQ_FRAME_OK) {
		id.has_key = f.has_key;
		id.key = f.key;
		in.frame = &f; /* parsed once, for the key and the decision */
	}
	in.match = l2fq_pathtable_lookup(s->paths, &w->paths, &id, &path);
	v = l2fq_pmtud_decide(&in, w->frame, &c);
	if (v == L2FQ_PMTUD_FITS)
		return; /* the common case: one parse, one lookup, one compare */
	l2fq_stats_add(stats, L2FQ_CNT_PMTUD_OVERSIZE, 1);
	if (v == L2FQ_PMTUD_SIGNAL)
		v = admit_and_send(w, &c, stats);
	if (v == L2FQ_PMTUD_SENT_V4 || v == L2FQ_PMTUD_SENT_V6)
		count_sent(s, path.gretap);
	if (v == L2FQ_PMTUD_NO_PATH || v == L2FQ_PMTUD_AMBIGUOUS)
		report_no_path(s, &id, v);
	if (l2fq_pmtud_verdict_counted(v))
		l2fq_stats_add(stats, l2fq_pmtud_counter(v), 1);
}

void l2fq_pmtud_print_paths(struct l2fq_pmtud_sender *s, const char *prefix)
{
	static struct l2fq_path_snapshot snap; /* main thread only */
	static struct l2fq_tunnel_counts counts;
	char local[INET_ADDRSTRLEN], remote[INET_ADDRSTRLEN];

	l2fq_pathtable_snapshot(s->paths, &snap);
	l2fq_pmtud_sender_tunnel_counts(s, &counts);
	if (snap.n == 0)
		fprintf(stderr, "%sno gretap found yet (signals wait for one)\n", prefix);
	for (unsigned i = 0; i < snap.n; i++) {
		const struct l2fq_path *p = &snap.paths[i];
		unsigned mtu = s->cfg.fixed_mtu ? s->cfg.fixed_mtu : p->mtu;
		unsigned long long sent = 0;
		char key[16] = "", vlan[32] = "";

		for (unsigned j = 0; j < counts.n; j++)
			if (strcmp(counts.t[j].name, p->gretap) == 0)
				sent = counts.t[j].signals_sent;

		inet_ntop(AF_INET, &p->local, local, sizeof(local));
		inet_ntop(AF_INET, &p->remote, remote, sizeof(remote));
		if (p->oflags & L2FQ_GRE_KEY)
			snprintf(key, sizeof(key), " key %u", p->okey);
		if (p->vlan_filtering)
			snprintf(vlan, sizeof(vlan), " vlan-filtering pvid %u", p->pvid);
		fprintf(stderr, "%s%s %s -> %s%s bridge %s%s path-mtu %u%s signals-sent %llu\n", prefix,
			p->gretap, local, remote, key,
			p->bridge_ifindex ? p->bridge : "(none: no signals)", vlan, mtu,
			s->cfg.fixed_mtu ? " (--pmtud-mtu)" : p->mtu_locked ? " (locked)" : "", sent);
	}
}
