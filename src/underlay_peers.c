/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The underlay prober's pure decisions and texts (include/l2fragq/underlay_peers.h). */
#include "l2fragq/underlay_peers.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "l2fragq/bytes.h"
#include "l2fragq/text_out.h"

static bool uaddr_listed(const struct l2fq_uaddr *list, size_t n, int family, const uint8_t *addr)
{
	for (size_t i = 0; i < n; i++)
		if (list[i].family == family &&
		    !memcmp(list[i].addr, addr, l2fq_addr_len(family)))
			return true;
	return false;
}

static size_t uaddr_add(struct l2fq_uaddr *out, size_t n, size_t max, int family,
			const uint8_t *addr)
{
	if (n >= max || uaddr_listed(out, n, family, addr))
		return n;
	memset(&out[n], 0, sizeof(out[n]));
	out[n].family = family;
	memcpy(out[n].addr, addr, l2fq_addr_len(family));
	return n + 1;
}

/* IPv4 address a (network order) inside the allowed IP w. */
static bool inside4(const struct l2fq_wg_allowed *w, uint32_t a)
{
	uint32_t net, mask;

	if (w->family != AF_INET || w->cidr > 32)
		return false;
	memcpy(&net, w->addr, 4);
	mask = w->cidr ? htonl(~0u << (32 - w->cidr)) : 0;
	return (a & mask) == (net & mask);
}

size_t l2fq_underlay_tunnel_addrs(const struct l2fq_wg_peer *p, const struct l2fq_peers *peers,
				  struct l2fq_uaddr *out, size_t max)
{
	bool filter = peers && peers->count;
	size_t n = 0;

	for (unsigned i = 0; i < p->n_allowed; i++) {
		const struct l2fq_wg_allowed *w = &p->allowed[i];
		uint32_t a;

		if (w->family == AF_INET && w->cidr == 32) {
			memcpy(&a, w->addr, 4);
			if (!filter || l2fq_peers_contain(peers, a))
				n = uaddr_add(out, n, max, AF_INET, w->addr);
		} else if (w->family == AF_INET6 && w->cidr == 128 && !filter) {
			n = uaddr_add(out, n, max, AF_INET6, w->addr);
		} else if (filter && w->family == AF_INET) {
			for (unsigned k = 0; k < peers->count; k++)
				if (peers->list[k].mask == 0xffffffffu &&
				    inside4(w, peers->list[k].addr))
					n = uaddr_add(out, n, max, AF_INET,
						      (const uint8_t *)&peers->list[k].addr);
		}
	}
	return n;
}

const char *l2fq_underlay_route_name(enum l2fq_underlay_route r)
{
	switch (r) {
	case L2FQ_UROUTE_NONE: return "none";
	case L2FQ_UROUTE_SET: return "set";
	case L2FQ_UROUTE_FOREIGN: return "foreign";
	case L2FQ_UROUTE_ERROR: return "error";
	}
	return "?";
}

void l2fq_underlay_key_b64(const uint8_t key[L2FQ_WG_KEY_LEN], char out[L2FQ_UNDERLAY_KEY_B64])
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0;

	for (i = 0; i + 2 < L2FQ_WG_KEY_LEN; i += 3) {
		uint32_t v = (uint32_t)key[i] << 16 | (uint32_t)key[i + 1] << 8 | key[i + 2];

		out[o++] = t[v >> 18];
		out[o++] = t[(v >> 12) & 63];
		out[o++] = t[(v >> 6) & 63];
		out[o++] = t[v & 63];
	}
	/* 32 = 30 + 2: one '=' of padding. */
	{
		uint32_t v = (uint32_t)key[i] << 16 | (uint32_t)key[i + 1] << 8;

		out[o++] = t[v >> 18];
		out[o++] = t[(v >> 12) & 63];
		out[o++] = t[(v >> 6) & 63];
		out[o++] = '=';
	}
	out[o] = '\0';
}

static void emit_endpoint(struct l2fq_text_out *o, const struct l2fq_underlay_view *v)
{
	char a[INET6_ADDRSTRLEN];

	if (!v->ep_family || !inet_ntop(v->ep_family, v->ep_addr, a, sizeof(a)))
		l2fq_text_emit(o, "none");
	else if (v->ep_family == AF_INET6)
		l2fq_text_emit(o, "[%s]:%u", a, (unsigned)v->ep_port);
	else
		l2fq_text_emit(o, "%s:%u", a, (unsigned)v->ep_port);
}

static void emit_tunnels(struct l2fq_text_out *o, const struct l2fq_underlay_view *v)
{
	char a[INET6_ADDRSTRLEN];

	if (!v->n_tunnel)
		l2fq_text_emit(o, "none");
	for (unsigned i = 0; i < v->n_tunnel && i < L2FQ_UNDERLAY_MAX_TUNNEL; i++)
		l2fq_text_emit(o, "%s%s", i ? "," : "",
		     inet_ntop(v->tunnel[i].family, v->tunnel[i].addr, a, sizeof(a)) ? a : "?");
}

size_t l2fq_underlay_format_status(char *buf, size_t len, const struct l2fq_underlay_header *h,
				   const struct l2fq_underlay_view *v, size_t n)
{
	struct l2fq_text_out o = { buf, len, 0 };

	if (len)
		buf[0] = '\0';
	l2fq_text_emit(&o, "underlay wg=%s listen-port=%u time=%" PRId64 " confirm-interval=%u "
		 "raise-interval=%u acks-sent=%" PRIu64 " probes-refused=%" PRIu64 "\n",
	     h->wg, (unsigned)h->listen_port, h->time, h->confirm_interval, h->raise_interval,
	     h->acks_sent, h->probes_refused);
	for (size_t i = 0; i < n; i++) {
		char key[L2FQ_UNDERLAY_KEY_B64];

		l2fq_underlay_key_b64(v[i].key, key);
		l2fq_text_emit(&o, "peer key=%s endpoint=", key);
		emit_endpoint(&o, &v[i]);
		l2fq_text_emit(&o, " state=%s pmtu=%u usable=%u max=%u overhead=%u confirmed-age-ms=%" PRId64
			 " probes-sent=%" PRIu64 " acks-received=%" PRIu64 " tunnel=",
		     v[i].state, v[i].pmtu, v[i].usable, v[i].max, v[i].overhead,
		     v[i].confirmed_age_ms < 0 ? (int64_t)-1 : v[i].confirmed_age_ms,
		     v[i].probes_sent, v[i].acks_received);
		emit_tunnels(&o, &v[i]);
		l2fq_text_emit(&o, " route=%s\n", l2fq_underlay_route_name(v[i].route));
	}
	return o.used;
}

size_t l2fq_underlay_format_line(char *buf, size_t len, const struct l2fq_underlay_view *v,
				 enum l2fq_underlay_line what)
{
	struct l2fq_text_out o = { buf, len, 0 };
	char key[L2FQ_UNDERLAY_KEY_B64];

	if (len)
		buf[0] = '\0';
	l2fq_underlay_key_b64(v->key, key);
	l2fq_text_emit(&o, "peer %s (", key);
	emit_endpoint(&o, v);
	l2fq_text_emit(&o, "): ");
	switch (what) {
	case L2FQ_ULINE_CHANGE:
		l2fq_text_emit(&o, "path MTU %u, usable %u (route ", v->pmtu, v->usable);
		emit_tunnels(&o, v);
		l2fq_text_emit(&o, " mtu lock %u%s%s)", v->usable,
		     v->route == L2FQ_UROUTE_SET ? "" : ": ",
		     v->route == L2FQ_UROUTE_SET ? "" : l2fq_underlay_route_name(v->route));
		break;
	case L2FQ_ULINE_STATE:
		if (!strcmp(v->state, "no_responder"))
			l2fq_text_emit(&o, "no responder (the peer runs no l2fragq probing): MTU stays %u",
			     v->usable);
		else if (!strcmp(v->state, "error"))
			l2fq_text_emit(&o, "error: the peer stopped answering (path MTU %u kept, usable %u)",
			     v->pmtu, v->usable);
		else if (!strcmp(v->state, "search_complete"))
			l2fq_text_emit(&o, "search complete: path MTU %u, usable %u", v->pmtu, v->usable);
		else
			l2fq_text_emit(&o, "%s", v->state);
		break;
	case L2FQ_ULINE_SUMMARY:
		l2fq_text_emit(&o, "state %s, path MTU %u, usable %u, max %u, ", v->state, v->pmtu, v->usable,
		     v->max);
		if (v->confirmed_age_ms >= 0)
			l2fq_text_emit(&o, "confirmed %" PRId64 ".%01" PRId64 " s ago, ",
			     v->confirmed_age_ms / 1000, v->confirmed_age_ms % 1000 / 100);
		else
			l2fq_text_emit(&o, "never confirmed, ");
		l2fq_text_emit(&o, "probes %" PRIu64 ", acks %" PRIu64 ", tunnel ", v->probes_sent,
		     v->acks_received);
		emit_tunnels(&o, v);
		l2fq_text_emit(&o, " route %s", l2fq_underlay_route_name(v->route));
		break;
	}
	return o.used;
}
