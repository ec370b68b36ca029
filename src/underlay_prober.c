/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The underlay prober thread (include/l2fragq/underlay_prober.h). It only
 * moves bytes between the state machines (plpmtud.c), the wire format
 * (underlay_probe.c), the texts (underlay_peers.c) and the adapters
 * (probe_socket.c, route_mtu.c, wg_peers.c). */
#include "l2fragq/underlay_prober.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <linux/rtnetlink.h>

#include "l2fragq/atomic_file.h"
#include "l2fragq/bytes.h"
#include "l2fragq/exit_codes.h"
#include "l2fragq/metrics.h"
#include "l2fragq/plpmtud.h"
#include "l2fragq/probe_socket.h"
#include "l2fragq/ratelimit.h"
#include "l2fragq/route_mtu.h"
#include "l2fragq/underlay_peers.h"
#include "l2fragq/underlay_probe.h"
#include "l2fragq/wg_peers.h"

#define UP_POLL_CAP_MS 1000   /* the stop flag is seen at least this often */
#define UP_ACKS_PER_SEC 20    /* responder: per source address */
#define UP_SENDS_PER_WAKE 8   /* next() SENDs handled per peer per wake (bounded loop) */
#define UP_RECV_PER_WAKE 256  /* packets taken per wake before the peers run */
#define UP_STATUS_BUF (256 * 1024)
#define UP_LOG "l2fragq: underlay: "

struct up_tunnel {
	struct l2fq_uaddr a;
	bool created;        /* no host route was there when this daemon wrote one */
	bool foreign_logged; /* said once */
	bool error_logged;
	enum l2fq_underlay_route route;
	unsigned written;    /* the MTU written or adopted; 0: none */
};

struct up_peer {
	bool live;     /* in the latest peer list */
	uint8_t key[L2FQ_WG_KEY_LEN];
	int ep_family; /* 0: no endpoint */
	uint8_t ep_addr[16];
	uint16_t ep_port;
	bool active;   /* m runs */
	struct l2fq_plpmtud m;
	struct l2fq_probe_addr src; /* the preferred source toward the endpoint (zero: the kernel's) */
	unsigned max, wg_mtu;
	unsigned n_tunnel;
	struct up_tunnel tunnel[L2FQ_UNDERLAY_MAX_TUNNEL];
	uint64_t probes_sent, acks_received;
	bool logged;   /* logged_state is set */
	bool send_error_logged;
	enum l2fq_plpmtud_state logged_state;
};

struct l2fq_uprober {
	struct l2fq_uprober_config cfg;
	struct l2fq_probe_tx tx;
	int rx_fd;
	pthread_t thread;
	bool started;
	atomic_int stop;
	struct l2fq_ratelimit *rl;
	struct l2fq_wg_device *dev; /* scratch for each read */
	/* wireguard-go: the UAPI connection opened before the drop, kept. */
	struct l2fq_wg_uapi uapi;
	char uapi_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	bool uapi_lost;         /* it was open and broke (wireguard-go exited) */
	bool uapi_said_lost, uapi_said_denied, uapi_said_absent;
	int ifindex;
	uint16_t listen_port;
	unsigned n_peers;
	struct up_peer *peers; /* L2FQ_WG_MAX_PEERS */
	uint64_t acks_sent, probes_refused;
	bool status_dirty;
	bool wg_error_logged, status_error_logged;
	uint8_t *rxbuf, *txbuf;
	char *status_text;
	/* The snapshot the main thread reads (SIGUSR1, metrics). */
	pthread_mutex_t lock;
	struct l2fq_underlay_header snap_h;
	struct l2fq_underlay_view *snap;
	size_t n_snap;
};

static uint64_t up_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static bool up_same_addr(int fa, const uint8_t *a, int fb, const uint8_t *b)
{
	return fa == fb && (fa == AF_INET || fa == AF_INET6) && !memcmp(a, b, l2fq_addr_len(fa));
}

/* ---- views and logs ---- */

static void up_view(const struct up_peer *pe, uint64_t now, struct l2fq_underlay_view *v)
{
	uint64_t at;

	memset(v, 0, sizeof(*v));
	memcpy(v->key, pe->key, sizeof(v->key));
	v->ep_family = pe->ep_family;
	memcpy(v->ep_addr, pe->ep_addr, sizeof(v->ep_addr));
	v->ep_port = pe->ep_port;
	v->confirmed_age_ms = -1;
	if (pe->active) {
		v->state = l2fq_plpmtud_state_name(l2fq_plpmtud_state(&pe->m));
		v->pmtu = l2fq_plpmtud_pmtu(&pe->m);
		v->usable = l2fq_plpmtud_usable(&pe->m);
		v->overhead = pe->m.cfg.overhead;
		if (l2fq_plpmtud_confirmed_at(&pe->m, &at))
			v->confirmed_age_ms = now > at ? (int64_t)(now - at) : 0;
	} else {
		v->state = "no_endpoint";
		v->usable = pe->wg_mtu;
		v->overhead = pe->ep_family == AF_INET6 ? L2FQ_PLPMTUD_OVERHEAD_V6
							: L2FQ_PLPMTUD_OVERHEAD_V4;
	}
	v->max = pe->max;
	v->probes_sent = pe->probes_sent;
	v->acks_received = pe->acks_received;
	v->n_tunnel = pe->n_tunnel;
	v->route = L2FQ_UROUTE_NONE;
	for (unsigned i = 0; i < pe->n_tunnel; i++) {
		v->tunnel[i] = pe->tunnel[i].a;
		/* The worst of the tunnels' routes is the peer's. */
		if (pe->tunnel[i].route > v->route)
			v->route = pe->tunnel[i].route;
	}
}

static void up_log(const struct up_peer *pe, uint64_t now, enum l2fq_underlay_line what)
{
	struct l2fq_underlay_view v;
	char line[512];

	up_view(pe, now, &v);
	l2fq_underlay_format_line(line, sizeof(line), &v, what);
	fprintf(stderr, UP_LOG "%s\n", line);
}

/* ---- routes ---- */

/* The host route to a, if any: 1, 0 (none), -errno. */
static int up_host_route(const struct l2fq_uaddr *a, struct l2fq_route_mtu_entry *e)
{
	return l2fq_route_mtu_host(a->family, a->addr, e);
}

/* Another's: any table but main, any protocol but 76, any device but WGIF. */
static bool up_foreign(const struct l2fq_uprober *p, const struct l2fq_route_mtu_entry *e)
{
	return e->table != RT_TABLE_MAIN || e->protocol != L2FQ_RTPROT_L2FRAGQ ||
	       e->ifindex != p->ifindex;
}

/* Makes tunnel t's route carry usable, unless another protocol owns it. */
static void up_sync_tunnel(struct l2fq_uprober *p, struct up_peer *pe, struct up_tunnel *t,
			   unsigned usable)
{
	struct l2fq_route_mtu_entry found, *e = &found;
	char a[INET6_ADDRSTRLEN];
	int err = up_host_route(&t->a, &found);

	if (err < 0)
		return; /* what is there is unknown: write nothing, try again later */
	if (err == 0)
		e = NULL;
	inet_ntop(t->a.family, t->a.addr, a, sizeof(a));
	if (e && up_foreign(p, e)) {
		if (!t->foreign_logged) {
			char key[L2FQ_UNDERLAY_KEY_B64];

			l2fq_underlay_key_b64(pe->key, key);
			fprintf(stderr, UP_LOG "peer %s: the host route to %s is another's "
				"(protocol %u, device %d; %s is %d): left alone, its MTU is not "
				"the probed one\n", key, a, (unsigned)e->protocol, e->ifindex,
				p->cfg.wgif, p->ifindex);
			t->foreign_logged = true;
		}
		t->route = L2FQ_UROUTE_FOREIGN;
		return;
	}
	t->foreign_logged = false;
	if (e && e->locked && e->mtu == usable) {
		t->route = L2FQ_UROUTE_SET;
		t->written = usable;
		return;
	}
	err = l2fq_route_mtu_set_src(t->a.family, t->a.addr, p->ifindex, usable,
				     L2FQ_RTPROT_L2FRAGQ, e && e->have_prefsrc ? e->prefsrc : NULL);
	if (err) {
		if (!t->error_logged)
			fprintf(stderr, UP_LOG "cannot write route %s dev %s mtu lock %u: %s\n", a,
				p->cfg.wgif, usable, strerror(-err));
		t->error_logged = true;
		t->route = L2FQ_UROUTE_ERROR;
		return;
	}
	t->error_logged = false;
	if (!e)
		t->created = true;
	t->route = L2FQ_UROUTE_SET;
	t->written = usable;
}

/* Writes (or re-checks) the peer's routes when there is something to say:
 * a PMTU is known, or a route was written or adopted before. */
static void up_sync_peer(struct l2fq_uprober *p, struct up_peer *pe)
{
	bool any = false;

	if (!pe->active)
		return;
	for (unsigned i = 0; i < pe->n_tunnel; i++)
		any |= pe->tunnel[i].written != 0;
	if (!any && !l2fq_plpmtud_pmtu(&pe->m))
		return;
	for (unsigned i = 0; i < pe->n_tunnel; i++)
		up_sync_tunnel(p, pe, &pe->tunnel[i], l2fq_plpmtud_usable(&pe->m));
}

static void up_forget_tunnel(struct l2fq_uprober *p, const struct up_tunnel *t)
{
	if (t->created && t->written && p->ifindex > 0)
		l2fq_route_mtu_del(t->a.family, t->a.addr, p->ifindex, L2FQ_RTPROT_L2FRAGQ);
}

/* ---- the peer list ---- */

static unsigned up_wg_mtu(struct l2fq_uprober *p)
{
	struct ifreq ifr;
	int fd = p->tx.fd4 >= 0 ? p->tx.fd4 : p->tx.fd6;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", p->cfg.wgif);
	if (ioctl(fd, SIOCGIFMTU, &ifr) < 0 || ifr.ifr_mtu <= 0)
		return 1420; /* WireGuard's default */
	return (unsigned)ifr.ifr_mtu;
}

static uint64_t up_token(void)
{
	uint64_t t = 0;

	if (getrandom(&t, sizeof(t), 0) != (ssize_t)sizeof(t)) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		t = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)ts.tv_sec;
	}
	return t;
}

/* The link MTU and the preferred source toward the peer's endpoint. */
static void up_path(struct up_peer *pe)
{
	struct l2fq_route_mtu r;

	memset(&pe->src, 0, sizeof(pe->src));
	pe->src.family = pe->ep_family;
	if (l2fq_route_mtu_get(pe->ep_family, pe->ep_addr, &r) < 0) {
		pe->max = 0;
		return;
	}
	pe->max = r.mtu;
	if (r.have_prefsrc)
		memcpy(pe->src.addr, r.prefsrc, l2fq_addr_len(pe->ep_family));
}

/* A fresh state machine for a new peer or a new endpoint. */
static void up_restart(struct l2fq_uprober *p, struct up_peer *pe, unsigned start_usable,
		       uint64_t now)
{
	struct l2fq_plpmtud_config c;

	pe->active = false;
	pe->logged = false;
	if (!pe->ep_family)
		return;
	up_path(pe);
	l2fq_plpmtud_defaults(&c, pe->max, pe->ep_family == AF_INET6, pe->wg_mtu);
	c.confirm_ms = p->cfg.confirm_s * 1000u;
	c.raise_ms = p->cfg.raise_s * 1000u;
	c.start_usable = start_usable;
	pe->active = l2fq_plpmtud_init(&pe->m, &c, up_token(), now) == 0;
}

/* The tunnel addresses now, keeping what is known of those that stay;
 * routes this daemon created for the others are deleted. */
static void up_set_tunnels(struct l2fq_uprober *p, struct up_peer *pe, const struct l2fq_wg_peer *w)
{
	struct l2fq_uaddr now[L2FQ_UNDERLAY_MAX_TUNNEL];
	struct up_tunnel next[L2FQ_UNDERLAY_MAX_TUNNEL];
	size_t n = l2fq_underlay_tunnel_addrs(w, p->cfg.peers, now, L2FQ_UNDERLAY_MAX_TUNNEL);

	for (size_t i = 0; i < n; i++) {
		memset(&next[i], 0, sizeof(next[i]));
		next[i].a = now[i];
		for (unsigned k = 0; k < pe->n_tunnel; k++)
			if (up_same_addr(pe->tunnel[k].a.family, pe->tunnel[k].a.addr, now[i].family,
					 now[i].addr))
				next[i] = pe->tunnel[k];
	}
	for (unsigned k = 0; k < pe->n_tunnel; k++) {
		bool kept = false;

		for (size_t i = 0; i < n; i++)
			kept |= up_same_addr(pe->tunnel[k].a.family, pe->tunnel[k].a.addr,
					     now[i].family, now[i].addr);
		if (!kept)
			up_forget_tunnel(p, &pe->tunnel[k]);
	}
	memcpy(pe->tunnel, next, n * sizeof(next[0]));
	pe->n_tunnel = (unsigned)n;
}

/* A proto-76 route already there (the previous daemon's): its locked MTU
 * is where this one starts. */
static unsigned up_adopt(struct l2fq_uprober *p, struct up_peer *pe)
{
	unsigned start = 0;

	for (unsigned i = 0; i < pe->n_tunnel; i++) {
		struct up_tunnel *t = &pe->tunnel[i];
		struct l2fq_route_mtu_entry e;

		if (up_host_route(&t->a, &e) == 1 && !up_foreign(p, &e) && e.locked && e.mtu >= 68) {
			t->written = e.mtu;
			t->route = L2FQ_UROUTE_SET;
			if (!start)
				start = e.mtu;
		}
	}
	return start;
}

static struct up_peer *up_find_peer(struct l2fq_uprober *p, const uint8_t *key)
{
	for (unsigned i = 0; i < p->n_peers; i++)
		if (!memcmp(p->peers[i].key, key, L2FQ_WG_KEY_LEN))
			return &p->peers[i];
	return NULL;
}

/* Who the daemon runs as, for the logs: --user, else the uid's name. */
static void up_whoami(const struct l2fq_uprober *p, char *who, size_t len)
{
	struct passwd pw, *found = NULL;
	char buf[1024];

	if (p->cfg.user)
		snprintf(who, len, "%s", p->cfg.user);
	else if (getpwuid_r(geteuid(), &pw, buf, sizeof(buf), &found) == 0 && found)
		snprintf(who, len, "%s", found->pw_name);
	else
		snprintf(who, len, "uid %u", (unsigned)geteuid());
}

/* Why wireguard-go's socket cannot be opened, said once per kind. */
static void up_uapi_unreachable(struct l2fq_uprober *p, int err)
{
	char who[64];

	up_whoami(p, who, sizeof(who));
	if ((err == -EACCES || err == -EPERM) && p->uapi_lost) {
		if (!p->uapi_said_lost)
			fprintf(stderr, UP_LOG "lost wireguard-go's control socket %s and cannot "
				"reopen it as %s: restart l2fragq (l2fragq-net restart-daemon NAME); "
				"the routes stay as they are\n", p->uapi_path, who);
		p->uapi_said_lost = true;
	} else if (err == -EACCES || err == -EPERM) {
		if (!p->uapi_said_denied)
			fprintf(stderr, UP_LOG "cannot open wireguard-go's control socket %s as %s "
				"(it is root's only; l2fragq opens it before dropping privileges, so "
				"wireguard-go must be up when l2fragq starts): restart l2fragq "
				"(l2fragq-net restart-daemon NAME); a daemon that never runs as root "
				"(systemd DynamicUser) cannot read wireguard-go's peers\n",
				p->uapi_path, who);
		p->uapi_said_denied = true;
	} else if (err == -ENOENT && !p->uapi_said_absent) {
		fprintf(stderr, UP_LOG "%s: no kernel WireGuard device and no wireguard-go socket "
			"%s%s: trying again every %u s\n", p->cfg.wgif, p->uapi_path,
			p->uapi_lost ? " (wireguard-go exited; the routes stay as they are)" : "",
			p->cfg.confirm_s);
		p->uapi_said_absent = true;
	} else {
		return; /* the caller's general line */
	}
	p->wg_error_logged = true;
}

/* The peers: over the kept wireguard-go connection, else kernel WireGuard,
 * else a new connection to wireguard-go's socket (root's only: after the
 * drop that fails; said once). 0 or -errno; d is then not the peer list. */
static int up_read_wg(struct l2fq_uprober *p)
{
	int err;

	if (p->uapi.fd >= 0) {
		err = l2fq_wg_uapi_get(&p->uapi, p->dev);
		if (p->uapi.fd >= 0)
			return err; /* read, or a timeout (the connection is kept) */
		p->uapi_lost = true; /* closed: wireguard-go exited (restarted, or gone) */
		fprintf(stderr, UP_LOG "%s: the connection to wireguard-go's control socket %s "
			"is gone (%s)\n", p->cfg.wgif, p->uapi_path,
			err == -EPIPE ? "wireguard-go closed it" : strerror(-err));
		if (err != -EPIPE)
			return err; /* out of step: a new connection next time */
	}
	err = l2fq_wg_read_kernel(p->cfg.wgif, p->dev);
	if (!l2fq_wg_kernel_absent(err) || !p->uapi_path[0])
		return err;
	if ((err = l2fq_wg_uapi_connect(&p->uapi, p->uapi_path)) < 0) {
		up_uapi_unreachable(p, err);
		return err;
	}
	if (p->uapi_lost)
		fprintf(stderr, UP_LOG "%s: reopened wireguard-go's control socket %s\n",
			p->cfg.wgif, p->uapi_path);
	p->uapi_lost = p->uapi_said_lost = p->uapi_said_denied = p->uapi_said_absent = false;
	return l2fq_wg_uapi_get(&p->uapi, p->dev);
}

/* A failed read changes nothing: the peers, their searches and routes stay
 * as they are until a read succeeds (a failed read is never "no peers"). */
static void up_reconcile(struct l2fq_uprober *p, uint64_t now)
{
	unsigned wg_mtu;
	int err;

	p->status_dirty = true;
	p->ifindex = (int)if_nametoindex(p->cfg.wgif);
	err = p->ifindex > 0 ? up_read_wg(p) : -ENODEV;
	if (err) {
		if (!p->wg_error_logged)
			fprintf(stderr, UP_LOG "cannot read the peers of %s: %s (retrying every %u s)\n",
				p->cfg.wgif, strerror(-err), p->cfg.confirm_s);
		p->wg_error_logged = true;
		return;
	}
	p->wg_error_logged = false;
	p->listen_port = p->dev->listen_port;
	wg_mtu = up_wg_mtu(p);
	for (unsigned i = 0; i < p->n_peers; i++)
		p->peers[i].live = false;
	for (unsigned i = 0; i < p->dev->n_peers; i++) {
		const struct l2fq_wg_peer *w = &p->dev->peers[i];
		struct up_peer *pe = up_find_peer(p, w->public_key);
		bool fresh = !pe;

		if (fresh) {
			if (p->n_peers >= L2FQ_WG_MAX_PEERS)
				continue;
			pe = &p->peers[p->n_peers++];
			memset(pe, 0, sizeof(*pe));
			memcpy(pe->key, w->public_key, L2FQ_WG_KEY_LEN);
			pe->wg_mtu = wg_mtu;
		}
		pe->live = true;
		up_set_tunnels(p, pe, w);
		if (pe->wg_mtu != wg_mtu) {
			/* The interface MTU changed: a new search under the new ceiling. */
			pe->wg_mtu = wg_mtu;
			pe->ep_family = 0; /* forces the restart below */
		}
		if (fresh || pe->ep_family != w->endpoint_family || pe->ep_port != w->endpoint_port ||
		    !up_same_addr(pe->ep_family, pe->ep_addr, w->endpoint_family, w->endpoint_addr)) {
			/* New peer or a roamed endpoint: a new search with a new token,
			 * starting from the MTU in force. */
			unsigned start = fresh ? up_adopt(p, pe)
					       : pe->active ? l2fq_plpmtud_usable(&pe->m) : 0;

			if (start > wg_mtu)
				start = wg_mtu;

			pe->ep_family = w->endpoint_family;
			memcpy(pe->ep_addr, w->endpoint_addr, sizeof(pe->ep_addr));
			pe->ep_port = w->endpoint_port;
			up_restart(p, pe, start, now);
		} else if (pe->active) {
			unsigned old = pe->max;

			up_path(pe);
			if (pe->max != old)
				l2fq_plpmtud_set_max(&pe->m, pe->max, now);
		}
		up_sync_peer(p, pe);
	}
	/* Gone peers: forgotten, with the routes this daemon created. */
	for (unsigned i = 0; i < p->n_peers;) {
		struct up_peer *pe = &p->peers[i];

		if (pe->live) {
			i++;
			continue;
		}
		for (unsigned k = 0; k < pe->n_tunnel; k++)
			up_forget_tunnel(p, &pe->tunnel[k]);
		*pe = p->peers[--p->n_peers];
	}
}

/* ---- receiving: acks and the responder ---- */

static bool up_is_endpoint(const struct l2fq_uprober *p, const struct l2fq_probe_addr *a)
{
	for (unsigned i = 0; i < p->n_peers; i++)
		if (up_same_addr(p->peers[i].ep_family, p->peers[i].ep_addr, a->family, a->addr))
			return true;
	return false;
}

static void up_respond(struct l2fq_uprober *p, const struct l2fq_probe_rx *rx,
		       const struct l2fq_uprobe_msg *probe)
{
	uint8_t ack[L2FQ_UPROBE_ACK_LEN], who[17];
	struct timespec ts;
	unsigned hdr = rx->src.family == AF_INET ? L2FQ_UPROBE_IPV4_HLEN : L2FQ_UPROBE_IPV6_HLEN;

	if (!up_is_endpoint(p, &rx->src)) {
		p->probes_refused++;
		return;
	}
	who[0] = (uint8_t)rx->src.family;
	memcpy(who + 1, rx->src.addr, 16);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (l2fq_ratelimit_allow(p->rl, who, sizeof(who), who, sizeof(who),
				 (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) !=
	    L2FQ_RL_ALLOW) {
		p->probes_refused++;
		return;
	}
	if (l2fq_uprobe_encode_ack(ack, sizeof(ack), probe, rx->ip_len) != sizeof(ack) ||
	    l2fq_probe_reply(&p->tx, rx, hdr + L2FQ_UPROBE_UDP_HLEN + sizeof(ack), ack,
			     sizeof(ack)) != 0) {
		p->probes_refused++;
		return;
	}
	p->acks_sent++;
}

static void up_on_ack(struct l2fq_uprober *p, const struct l2fq_probe_rx *rx,
		      const struct l2fq_uprobe_msg *ack, uint64_t now)
{
	for (unsigned i = 0; i < p->n_peers; i++) {
		struct up_peer *pe = &p->peers[i];

		if (!pe->active || pe->ep_port != rx->src.port || pe->m.token != ack->token ||
		    !up_same_addr(pe->ep_family, pe->ep_addr, rx->src.family, rx->src.addr))
			continue;
		if (l2fq_plpmtud_on_ack(&pe->m, ack->token, ack->seq, ack->size, now) ==
		    L2FQ_PLPMTUD_ACK_ACCEPTED)
			pe->acks_received++;
		return;
	}
}

static void up_receive(struct l2fq_uprober *p, uint64_t now)
{
	for (int i = 0; i < UP_RECV_PER_WAKE; i++) {
		struct l2fq_probe_rx rx;
		struct l2fq_uprobe_msg msg;

		if (l2fq_probe_recv(p->rx_fd, p->rxbuf, L2FQ_PROBE_RX_BUF, &rx) <= 0)
			return;
		if (l2fq_uprobe_parse(rx.payload, rx.payload_len, &msg) != L2FQ_UPROBE_OK)
			continue;
		if (msg.kind == L2FQ_UPROBE_PROBE)
			up_respond(p, &rx, &msg);
		else
			up_on_ack(p, &rx, &msg, now);
	}
}

/* ---- probing ---- */

static void up_send(struct l2fq_uprober *p, struct up_peer *pe, const struct l2fq_plpmtud_action *a)
{
	unsigned ipver = pe->ep_family == AF_INET6 ? 6 : 4;
	size_t n = l2fq_uprobe_encode_probe(p->txbuf, L2FQ_PROBE_RX_BUF, ipver, a->size,
					    pe->m.token, a->seq);
	struct l2fq_probe_addr src = pe->src, dst = { .family = pe->ep_family };
	int r;

	if (!n)
		return;
	memcpy(dst.addr, pe->ep_addr, sizeof(dst.addr));
	dst.port = pe->ep_port;
	src.port = p->listen_port;
	/* L2FQ_PROBE_TOO_BIG (above the local link) is a lost probe: no ack
	 * is fed, the state machine times it out. */
	r = l2fq_probe_send(&p->tx, &src, &dst, a->size, p->txbuf, n);
	if (r >= 0)
		pe->probes_sent++;
	else if (!pe->send_error_logged) {
		char key[L2FQ_UNDERLAY_KEY_B64];

		l2fq_underlay_key_b64(pe->key, key);
		fprintf(stderr, UP_LOG "peer %s: cannot send a probe: %s (counted as lost)\n", key,
			strerror(-r));
	}
	pe->send_error_logged = r < 0;
}

/* Runs every peer's machine; *wake: when the next one wants to run. */
static void up_drive(struct l2fq_uprober *p, uint64_t now, uint64_t *wake)
{
	for (unsigned i = 0; i < p->n_peers; i++) {
		struct up_peer *pe = &p->peers[i];
		struct l2fq_plpmtud_action a;
		enum l2fq_plpmtud_state st;
		unsigned usable;

		if (!pe->active)
			continue;
		for (int k = 0; k < UP_SENDS_PER_WAKE; k++) {
			l2fq_plpmtud_next(&pe->m, now, &a);
			if (a.what == L2FQ_PLPMTUD_WAIT) {
				if (a.at_ms < *wake)
					*wake = a.at_ms;
				break;
			}
			up_send(p, pe, &a);
		}
		if (l2fq_plpmtud_take_change(&pe->m, &usable)) {
			up_sync_peer(p, pe);
			up_log(pe, now, L2FQ_ULINE_CHANGE);
			p->status_dirty = true;
		}
		st = l2fq_plpmtud_state(&pe->m);
		if (!pe->logged || st != pe->logged_state) {
			if (st == L2FQ_PLPMTUD_NO_RESPONDER || st == L2FQ_PLPMTUD_ERROR ||
			    st == L2FQ_PLPMTUD_SEARCH_COMPLETE)
				up_log(pe, now, L2FQ_ULINE_STATE);
			pe->logged = true;
			pe->logged_state = st;
			p->status_dirty = true;
		}
	}
}

/* ---- snapshot and status file ---- */

static void up_header(const struct l2fq_uprober *p, struct l2fq_underlay_header *h)
{
	memset(h, 0, sizeof(*h));
	h->wg = p->cfg.wgif;
	h->listen_port = p->listen_port;
	h->time = (int64_t)time(NULL);
	h->confirm_interval = p->cfg.confirm_s;
	h->raise_interval = p->cfg.raise_s;
	h->acks_sent = p->acks_sent;
	h->probes_refused = p->probes_refused;
}

static void up_snapshot(struct l2fq_uprober *p, uint64_t now)
{
	pthread_mutex_lock(&p->lock);
	up_header(p, &p->snap_h);
	for (unsigned i = 0; i < p->n_peers; i++)
		up_view(&p->peers[i], now, &p->snap[i]);
	p->n_snap = p->n_peers;
	pthread_mutex_unlock(&p->lock);
}

static void up_write_status(struct l2fq_uprober *p)
{
	size_t len;
	int err;

	pthread_mutex_lock(&p->lock);
	len = l2fq_underlay_format_status(p->status_text, UP_STATUS_BUF, &p->snap_h, p->snap,
					  p->n_snap);
	pthread_mutex_unlock(&p->lock);
	err = len >= UP_STATUS_BUF ? -ENOSPC
				   : l2fq_write_file_atomic(p->cfg.status_file, p->status_text, len, 0644);
	if (err && !p->status_error_logged)
		fprintf(stderr, UP_LOG "--underlay-status-file %s: cannot write: %s\n",
			p->cfg.status_file, strerror(-err));
	p->status_error_logged = err != 0;
}

static void *up_main(void *arg)
{
	struct l2fq_uprober *p = arg;
	uint64_t next_reconcile = 0;

	while (!atomic_load(&p->stop)) {
		uint64_t now = up_now_ms(), wake;
		struct pollfd pfd = { .fd = p->rx_fd, .events = POLLIN };

		if (now >= next_reconcile) {
			up_reconcile(p, now);
			next_reconcile = now + p->cfg.confirm_s * 1000u;
		}
		up_receive(p, now);
		wake = now + UP_POLL_CAP_MS;
		if (next_reconcile < wake)
			wake = next_reconcile;
		up_drive(p, now, &wake);
		up_snapshot(p, now);
		if (p->status_dirty && p->cfg.status_file) {
			up_write_status(p);
			p->status_dirty = false;
		}
		poll(&pfd, 1, wake > now ? (int)(wake - now) : 0);
	}
	return NULL;
}

/* ---- the API ---- */

/* While privileged: when WGIF is wireguard-go's (no kernel WireGuard device
 * of that name, its socket there), connect now and keep the connection: the
 * socket is root's (0700), the thread runs after the drop. */
static void up_open_uapi(struct l2fq_uprober *p)
{
	int err;

	if (l2fq_wg_uapi_path(p->cfg.wgif, p->uapi_path, sizeof(p->uapi_path)) < 0) {
		p->uapi_path[0] = 0; /* kernel WireGuard only */
		return;
	}
	if (!l2fq_wg_kernel_absent(l2fq_wg_read_kernel(p->cfg.wgif, p->dev)))
		return;
	err = l2fq_wg_uapi_connect(&p->uapi, p->uapi_path);
	if (err == -ENOENT && p->cfg.user)
		fprintf(stderr, UP_LOG "%s is not up yet (no kernel WireGuard device, no "
			"wireguard-go socket %s): if it becomes wireguard-go's, l2fragq cannot open "
			"its root-only socket as %s: start wireguard-go before l2fragq, or restart "
			"l2fragq (l2fragq-net restart-daemon NAME) once it is up\n", p->cfg.wgif,
			p->uapi_path, p->cfg.user);
}

int l2fq_uprober_open(struct l2fq_uprober **out, const struct l2fq_uprober_config *cfg,
		      char *msg, size_t msglen)
{
	struct l2fq_rl_config rl = { .source_per_sec = UP_ACKS_PER_SEC,
				     .source_burst = UP_ACKS_PER_SEC };
	uint8_t key[16];
	struct l2fq_uprober *p;
	int err;

	*out = p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(msg, msglen, "out of memory");
		return L2FQ_EXIT_FAILURE;
	}
	p->cfg = *cfg;
	l2fq_wg_uapi_init(&p->uapi);
	p->tx.fd4 = p->tx.fd6 = -1;
	p->rx_fd = -1;
	pthread_mutex_init(&p->lock, NULL);
	p->rl = calloc(1, sizeof(*p->rl));
	p->dev = calloc(1, sizeof(*p->dev));
	p->peers = calloc(L2FQ_WG_MAX_PEERS, sizeof(*p->peers));
	p->snap = calloc(L2FQ_WG_MAX_PEERS, sizeof(*p->snap));
	p->rxbuf = malloc(L2FQ_PROBE_RX_BUF);
	p->txbuf = malloc(L2FQ_PROBE_RX_BUF);
	p->status_text = malloc(UP_STATUS_BUF);
	if (!p->rl || !p->dev || !p->peers || !p->snap || !p->rxbuf ||
	    !p->txbuf || !p->status_text) {
		snprintf(msg, msglen, "out of memory");
		return L2FQ_EXIT_FAILURE;
	}
	if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key)) {
		snprintf(msg, msglen, "--underlay-probe: getrandom: %s", strerror(errno));
		return L2FQ_EXIT_FAILURE;
	}
	l2fq_ratelimit_init(p->rl, &rl, key);
	up_header(p, &p->snap_h); /* read before the thread's first snapshot */
	if ((err = l2fq_probe_tx_open(&p->tx)) < 0) {
		snprintf(msg, msglen, "--underlay-probe: cannot open the raw probe sockets: %s%s",
			 strerror(-err), err == -EPERM ? " (needs CAP_NET_RAW)" : "");
		return err == -EPERM ? L2FQ_EXIT_PERMISSION : L2FQ_EXIT_FAILURE;
	}
	if ((p->rx_fd = l2fq_probe_rx_open((const uint8_t *)L2FQ_UPROBE_MAGIC)) < 0) {
		err = p->rx_fd;
		snprintf(msg, msglen, "--underlay-probe: cannot open the packet socket: %s%s",
			 strerror(-err), err == -EPERM ? " (needs CAP_NET_RAW)" : "");
		return err == -EPERM ? L2FQ_EXIT_PERMISSION : L2FQ_EXIT_FAILURE;
	}
	up_open_uapi(p);
	return L2FQ_EXIT_OK;
}

int l2fq_uprober_start(struct l2fq_uprober *p, char *msg, size_t msglen)
{
	int err = pthread_create(&p->thread, NULL, up_main, p);

	if (err) {
		snprintf(msg, msglen, "--underlay-probe: cannot start the prober thread: %s",
			 strerror(err));
		return L2FQ_EXIT_FAILURE;
	}
	p->started = true;
	fprintf(stderr, UP_LOG "probing the peers of %s (confirm every %u s, raise every %u s)\n",
		p->cfg.wgif, p->cfg.confirm_s, p->cfg.raise_s);
	return L2FQ_EXIT_OK;
}

void l2fq_uprober_stop(struct l2fq_uprober *p)
{
	if (!p || !p->started)
		return;
	atomic_store(&p->stop, 1);
	pthread_join(p->thread, NULL);
	p->started = false;
	/* The last state, for status readers (the file stays). */
	if (p->cfg.status_file)
		up_write_status(p);
}

void l2fq_uprober_close(struct l2fq_uprober *p)
{
	if (!p)
		return;
	l2fq_uprober_stop(p);
	l2fq_probe_tx_close(&p->tx);
	l2fq_wg_uapi_close(&p->uapi);
	if (p->rx_fd >= 0)
		close(p->rx_fd);
	pthread_mutex_destroy(&p->lock);
	free(p->rl);
	free(p->dev);
	free(p->peers);
	free(p->snap);
	free(p->rxbuf);
	free(p->txbuf);
	free(p->status_text);
	free(p);
}

void l2fq_uprober_print(struct l2fq_uprober *p, FILE *f, const char *prefix)
{
	char line[512];

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	fprintf(f, "%s%s listen-port %u, %zu peer%s, acks sent %llu, probes refused %llu\n", prefix,
		p->cfg.wgif, (unsigned)p->snap_h.listen_port, p->n_snap, p->n_snap == 1 ? "" : "s",
		(unsigned long long)p->snap_h.acks_sent,
		(unsigned long long)p->snap_h.probes_refused);
	for (size_t i = 0; i < p->n_snap; i++) {
		l2fq_underlay_format_line(line, sizeof(line), &p->snap[i], L2FQ_ULINE_SUMMARY);
		fprintf(f, "%s%s\n", prefix, line);
	}
	pthread_mutex_unlock(&p->lock);
}

size_t l2fq_uprober_metrics(struct l2fq_uprober *p, char *buf, size_t len)
{
	size_t n;

	pthread_mutex_lock(&p->lock);
	n = l2fq_metrics_format_underlay(buf, len, &p->snap_h, p->snap, p->n_snap);
	pthread_mutex_unlock(&p->lock);
	return n;
}
