/* SPDX-License-Identifier: GPL-2.0-or-later */
/* WireGuard device and peers (include/l2fragq/wg_peers.h): the genetlink
 * and UAPI parsers, and the two thin readers. The genetlink layout is
 * include/uapi/linux/wireguard.h's: WGDEVICE_A_PEERS holds one nested
 * attribute per peer, WGPEER_A_ALLOWEDIPS one per allowed IP; a dump that
 * does not fit one message continues in the next one, whose first peer may
 * be the previous message's last one again (only key and allowed IPs). */
#include "l2fragq/wg_peers.h"
#include "l2fragq/nlattr_table.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/wireguard.h>
#include <net/if.h>
#include <netinet/in.h>

#define WG_BUF_SIZE 32768          /* MNL_SOCKET_DUMP_SIZE */
#define WG_TIMEOUT_MS 2000         /* one reply, either transport */
#define WG_UAPI_MAX (1024 * 1024)  /* a get reply: ~300 bytes per peer and IP */

void l2fq_wg_device_clear(struct l2fq_wg_device *d)
{
	memset(d, 0, sizeof(*d));
}

/* ---- generic netlink ---- */

static int wg_parse_nested(const struct nlattr *nest, const struct nlattr **tb, unsigned max)
{
	struct l2fq_nlattr_table t = { tb, max };

	memset(tb, 0, (max + 1) * sizeof(*tb));
	if (mnl_attr_validate(nest, MNL_TYPE_NESTED) < 0 ||
	    mnl_attr_parse_nested(nest, l2fq_nlattr_table_cb, &t) < 0)
		return -EINVAL;
	return 0;
}

static int wg_parse_allowed(const struct nlattr *nest, struct l2fq_wg_peer *p)
{
	const struct nlattr *tb[WGALLOWEDIP_A_MAX + 1];
	struct l2fq_wg_allowed *a;
	size_t alen;
	uint16_t fam;

	if (wg_parse_nested(nest, tb, WGALLOWEDIP_A_MAX) < 0 ||
	    !tb[WGALLOWEDIP_A_FAMILY] || !tb[WGALLOWEDIP_A_IPADDR] || !tb[WGALLOWEDIP_A_CIDR_MASK] ||
	    mnl_attr_validate(tb[WGALLOWEDIP_A_FAMILY], MNL_TYPE_U16) < 0 ||
	    mnl_attr_validate(tb[WGALLOWEDIP_A_CIDR_MASK], MNL_TYPE_U8) < 0)
		return -EINVAL;
	fam = mnl_attr_get_u16(tb[WGALLOWEDIP_A_FAMILY]);
	alen = fam == AF_INET ? 4 : fam == AF_INET6 ? 16 : 0;
	if (!alen || mnl_attr_get_payload_len(tb[WGALLOWEDIP_A_IPADDR]) != alen ||
	    mnl_attr_get_u8(tb[WGALLOWEDIP_A_CIDR_MASK]) > alen * 8)
		return -EINVAL;
	if (p->n_allowed >= L2FQ_WG_MAX_ALLOWED)
		return -E2BIG;
	a = &p->allowed[p->n_allowed++];
	memset(a, 0, sizeof(*a));
	a->family = fam;
	memcpy(a->addr, mnl_attr_get_payload(tb[WGALLOWEDIP_A_IPADDR]), alen);
	a->cidr = mnl_attr_get_u8(tb[WGALLOWEDIP_A_CIDR_MASK]);
	return 0;
}

static int wg_parse_endpoint(const struct nlattr *attr, struct l2fq_wg_peer *p)
{
	const void *v = mnl_attr_get_payload(attr);
	size_t len = mnl_attr_get_payload_len(attr);
	sa_family_t fam;

	if (len < sizeof(fam))
		return -EINVAL;
	memcpy(&fam, v, sizeof(fam));
	if (fam == AF_INET && len >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in sin;

		memcpy(&sin, v, sizeof(sin));
		memcpy(p->endpoint_addr, &sin.sin_addr, 4);
		p->endpoint_port = ntohs(sin.sin_port);
	} else if (fam == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 sin6;

		memcpy(&sin6, v, sizeof(sin6));
		memcpy(p->endpoint_addr, &sin6.sin6_addr, 16);
		p->endpoint_port = ntohs(sin6.sin6_port);
	} else {
		return -EINVAL;
	}
	p->endpoint_family = fam;
	return 0;
}

static int wg_parse_peer(const struct nlattr *nest, struct l2fq_wg_device *d)
{
	const struct nlattr *tb[WGPEER_A_MAX + 1];
	const struct nlattr *a;
	struct l2fq_wg_peer *p;
	int ret;

	if (wg_parse_nested(nest, tb, WGPEER_A_MAX) < 0 || !tb[WGPEER_A_PUBLIC_KEY] ||
	    mnl_attr_get_payload_len(tb[WGPEER_A_PUBLIC_KEY]) != L2FQ_WG_KEY_LEN)
		return -EINVAL;
	p = d->n_peers ? &d->peers[d->n_peers - 1] : NULL;
	if (!p || memcmp(p->public_key, mnl_attr_get_payload(tb[WGPEER_A_PUBLIC_KEY]),
			 L2FQ_WG_KEY_LEN) != 0) {
		if (d->n_peers >= L2FQ_WG_MAX_PEERS)
			return -E2BIG;
		p = &d->peers[d->n_peers++];
		memset(p, 0, sizeof(*p));
		memcpy(p->public_key, mnl_attr_get_payload(tb[WGPEER_A_PUBLIC_KEY]), L2FQ_WG_KEY_LEN);
	}
	if (tb[WGPEER_A_ENDPOINT] && (ret = wg_parse_endpoint(tb[WGPEER_A_ENDPOINT], p)) < 0)
		return ret;
	if (tb[WGPEER_A_LAST_HANDSHAKE_TIME]) {
		struct { int64_t sec, nsec; } ts; /* struct __kernel_timespec */

		if (mnl_attr_get_payload_len(tb[WGPEER_A_LAST_HANDSHAKE_TIME]) != sizeof(ts))
			return -EINVAL;
		memcpy(&ts, mnl_attr_get_payload(tb[WGPEER_A_LAST_HANDSHAKE_TIME]), sizeof(ts));
		p->last_handshake_sec = ts.sec;
	}
	if (tb[WGPEER_A_ALLOWEDIPS]) {
		if (mnl_attr_validate(tb[WGPEER_A_ALLOWEDIPS], MNL_TYPE_NESTED) < 0)
			return -EINVAL;
		mnl_attr_for_each_nested(a, tb[WGPEER_A_ALLOWEDIPS]) {
			if ((ret = wg_parse_allowed(a, p)) < 0)
				return ret;
		}
	}
	return 0;
}

int l2fq_wg_parse_genl_msg(const struct nlmsghdr *nlh, struct l2fq_wg_device *d)
{
	const struct nlattr *tb[WGDEVICE_A_MAX + 1] = { 0 };
	struct l2fq_nlattr_table t = { tb, WGDEVICE_A_MAX };
	const struct nlattr *a;
	int ret;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct genlmsghdr) ||
	    mnl_attr_parse(nlh, sizeof(struct genlmsghdr), l2fq_nlattr_table_cb, &t) < 0)
		return -EINVAL;
	if (tb[WGDEVICE_A_LISTEN_PORT]) {
		if (mnl_attr_validate(tb[WGDEVICE_A_LISTEN_PORT], MNL_TYPE_U16) < 0)
			return -EINVAL;
		d->listen_port = mnl_attr_get_u16(tb[WGDEVICE_A_LISTEN_PORT]);
	}
	if (tb[WGDEVICE_A_PEERS]) {
		if (mnl_attr_validate(tb[WGDEVICE_A_PEERS], MNL_TYPE_NESTED) < 0)
			return -EINVAL;
		mnl_attr_for_each_nested(a, tb[WGDEVICE_A_PEERS]) {
			if ((ret = wg_parse_peer(a, d)) < 0)
				return ret;
		}
	}
	return 0;
}

int l2fq_wg_parse_genl_buf(const void *buf, size_t len, uint16_t family_id,
			   struct l2fq_wg_device *d)
{
	const struct nlmsghdr *nlh = buf;
	int n = (int)len;
	int ret;

	if (len > (size_t)INT32_MAX)
		return -EINVAL;
	/* mnl_nlmsg_ok() casts nlmsg_len to int: a length >= 2^31 would pass. */
	while (mnl_nlmsg_ok(nlh, n) && nlh->nlmsg_len <= (uint32_t)n) {
		if (nlh->nlmsg_type == NLMSG_DONE)
			return 1;
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);

			if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err)))
				return -EINVAL;
			if (err->error < 0)
				return err->error;
			return 1; /* an ack */
		}
		if (nlh->nlmsg_type == family_id && (ret = l2fq_wg_parse_genl_msg(nlh, d)) < 0)
			return ret;
		nlh = mnl_nlmsg_next(nlh, &n);
	}
	return n == 0 ? 0 : -EINVAL;
}

/* CTRL_CMD_GETFAMILY "wireguard": its id, or -errno (-ENOENT: not loaded). */
static int wg_family_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1] = { 0 };
	struct l2fq_nlattr_table t = { tb, CTRL_ATTR_MAX };

	if (mnl_attr_parse(nlh, sizeof(struct genlmsghdr), l2fq_nlattr_table_cb, &t) < 0 ||
	    !tb[CTRL_ATTR_FAMILY_ID] || mnl_attr_validate(tb[CTRL_ATTR_FAMILY_ID], MNL_TYPE_U16) < 0)
		return MNL_CB_ERROR;
	*(uint16_t *)data = mnl_attr_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	return MNL_CB_OK;
}

static int wg_recv(struct mnl_socket *nl, void *buf, size_t size)
{
	struct pollfd pfd = { .fd = mnl_socket_get_fd(nl), .events = POLLIN };
	int r = poll(&pfd, 1, WG_TIMEOUT_MS);
	ssize_t n;

	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	n = mnl_socket_recvfrom(nl, buf, size);
	return n < 0 ? -errno : (int)n;
}

static int wg_family_id(struct mnl_socket *nl, char *buf, uint16_t *id)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;
	unsigned seq = (unsigned)time(NULL);
	int n, ret;

	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	*id = 0;
	do {
		if ((n = wg_recv(nl, buf, WG_BUF_SIZE)) < 0)
			return n;
		ret = mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(nl), wg_family_cb, id);
	} while (ret > 0);
	if (ret < 0)
		return -errno;
	return *id ? 0 : -ENOENT;
}

int l2fq_wg_read_kernel(const char *ifname, struct l2fq_wg_device *d)
{
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	char *buf;
	uint16_t id;
	unsigned seq = (unsigned)time(NULL) + 1;
	int n, ret;

	l2fq_wg_device_clear(d);
	if (strlen(ifname) >= IFNAMSIZ)
		return -ENODEV;
	if (!(buf = malloc(WG_BUF_SIZE)))
		return -ENOMEM;
	if (!(nl = mnl_socket_open(NETLINK_GENERIC))) {
		ret = -errno;
		goto out_free;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out;
	}
	if ((ret = wg_family_id(nl, buf, &id)) < 0)
		goto out;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = id;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = WG_CMD_GET_DEVICE;
	g->version = WG_GENL_VERSION;
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, ifname);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	do {
		if ((n = wg_recv(nl, buf, WG_BUF_SIZE)) < 0) {
			ret = n;
			break;
		}
		ret = l2fq_wg_parse_genl_buf(buf, (size_t)n, id, d);
		explicit_bzero(buf, (size_t)n); /* WGDEVICE_A_PRIVATE_KEY */
	} while (ret == 0);
	if (ret > 0)
		ret = 0;
out:
	mnl_socket_close(nl);
out_free:
	free(buf);
	if (ret < 0)
		l2fq_wg_device_clear(d);
	return ret;
}

/* ---- wireguard-go UAPI ---- */

static int wg_hex_key(const char *v, size_t n, uint8_t key[L2FQ_WG_KEY_LEN])
{
	if (n != 2 * L2FQ_WG_KEY_LEN)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int c = v[i], x;

		if (c >= '0' && c <= '9')
			x = c - '0';
		else if (c >= 'a' && c <= 'f')
			x = c - 'a' + 10;
		else
			return -EINVAL;
		if (i % 2 == 0)
			key[i / 2] = (uint8_t)(x << 4);
		else
			key[i / 2] |= (uint8_t)x;
	}
	return 0;
}

/* A decimal number 0..max, the whole string. */
static int wg_number(const char *v, size_t n, unsigned long long max, unsigned long long *out)
{
	unsigned long long x = 0;

	if (n == 0 || n > 20)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -EINVAL;
		if (x > (max - (unsigned)(v[i] - '0')) / 10)
			return -EINVAL;
		x = x * 10 + (unsigned)(v[i] - '0');
	}
	*out = x;
	return 0;
}

/* "192.0.2.1:51820" or "[2001:db8::1]:51820". */
static int wg_uapi_endpoint(const char *v, size_t n, struct l2fq_wg_peer *p)
{
	char host[INET6_ADDRSTRLEN];
	const char *colon, *hs;
	size_t hl;
	unsigned long long port;
	int fam;

	if (n && v[0] == '[') {
		const char *close = memchr(v, ']', n);

		if (!close || close + 1 >= v + n || close[1] != ':')
			return -EINVAL;
		hs = v + 1;
		hl = (size_t)(close - hs);
		colon = close + 1;
		fam = AF_INET6;
	} else {
		colon = memchr(v, ':', n);
		if (!colon)
			return -EINVAL;
		hs = v;
		hl = (size_t)(colon - v);
		fam = AF_INET;
	}
	if (hl == 0 || hl >= sizeof(host) ||
	    wg_number(colon + 1, (size_t)(v + n - colon - 1), 65535, &port) < 0)
		return -EINVAL;
	memcpy(host, hs, hl);
	host[hl] = 0;
	if (inet_pton(fam, host, p->endpoint_addr) != 1)
		return -EINVAL;
	p->endpoint_family = fam;
	p->endpoint_port = (uint16_t)port;
	return 0;
}

/* "10.0.0.2/32" or "2001:db8::2/128". */
static int wg_uapi_allowed(const char *v, size_t n, struct l2fq_wg_peer *p)
{
	char host[INET6_ADDRSTRLEN];
	const char *slash = memchr(v, '/', n);
	struct l2fq_wg_allowed a = { 0 };
	unsigned long long cidr;
	size_t hl;

	if (!slash)
		return -EINVAL;
	hl = (size_t)(slash - v);
	if (hl == 0 || hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, v, hl);
	host[hl] = 0;
	a.family = memchr(host, ':', hl) ? AF_INET6 : AF_INET;
	if (inet_pton(a.family, host, a.addr) != 1 ||
	    wg_number(slash + 1, (size_t)(v + n - slash - 1), a.family == AF_INET ? 32 : 128,
		      &cidr) < 0)
		return -EINVAL;
	a.cidr = (uint8_t)cidr;
	if (p->n_allowed >= L2FQ_WG_MAX_ALLOWED)
		return -E2BIG;
	p->allowed[p->n_allowed++] = a;
	return 0;
}

static int wg_is(const char *k, size_t kl, const char *name)
{
	return kl == strlen(name) && memcmp(k, name, kl) == 0;
}

int l2fq_wg_parse_uapi(const char *text, size_t len, struct l2fq_wg_device *d)
{
	const char *p = text, *end = text + len;
	struct l2fq_wg_peer *peer = NULL;
	unsigned long long num = 0;
	int have_errno = 0;

	l2fq_wg_device_clear(d);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eq, *v;
		size_t kl, vl;
		int ret = 0;

		if (!nl)
			goto bad; /* a reply ends every line, and with a blank one */
		if (nl == p) { /* the blank line: the end */
			if (!have_errno || nl + 1 != end)
				goto bad;
			return 0;
		}
		if (have_errno || !(eq = memchr(p, '=', (size_t)(nl - p))) || eq == p)
			goto bad;
		kl = (size_t)(eq - p);
		v = eq + 1;
		vl = (size_t)(nl - v);
		if (wg_is(p, kl, "errno")) {
			if (wg_number(v, vl, 0x7fffffff, &num) < 0)
				goto bad;
			if (num) {
				l2fq_wg_device_clear(d);
				return -(int)num;
			}
			have_errno = 1;
		} else if (wg_is(p, kl, "public_key")) {
			if (d->n_peers >= L2FQ_WG_MAX_PEERS) {
				l2fq_wg_device_clear(d);
				return -E2BIG;
			}
			peer = &d->peers[d->n_peers++];
			ret = wg_hex_key(v, vl, peer->public_key);
		} else if (wg_is(p, kl, "listen_port") && !peer) {
			ret = wg_number(v, vl, 65535, &num);
			d->listen_port = (uint16_t)num;
		} else if (wg_is(p, kl, "endpoint") && peer) {
			ret = wg_uapi_endpoint(v, vl, peer);
		} else if (wg_is(p, kl, "allowed_ip") && peer) {
			ret = wg_uapi_allowed(v, vl, peer);
		} else if (wg_is(p, kl, "last_handshake_time_sec") && peer) {
			ret = wg_number(v, vl, INT64_MAX, &num);
			peer->last_handshake_sec = (int64_t)num;
		} else if (!peer && (wg_is(p, kl, "endpoint") || wg_is(p, kl, "allowed_ip") ||
				     wg_is(p, kl, "last_handshake_time_sec"))) {
			goto bad; /* a peer's key before any public_key */
		} /* else: a key we do not need (other keys, counters, keepalive, version) */
		if (ret == -E2BIG) {
			l2fq_wg_device_clear(d);
			return ret;
		}
		if (ret < 0)
			goto bad;
		p = nl + 1;
	}
bad:
	l2fq_wg_device_clear(d);
	return -EINVAL;
}

size_t l2fq_wg_uapi_reply_len(const char *buf, size_t len)
{
	/* A blank line: a '\n' where a line starts. No value holds one. */
	for (size_t i = 0; i < len; i++)
		if (buf[i] == '\n' && (i == 0 || buf[i - 1] == '\n'))
			return i + 1;
	return 0;
}

void l2fq_wg_uapi_init(struct l2fq_wg_uapi *u)
{
	memset(u, 0, sizeof(*u));
	u->fd = -1;
}

int l2fq_wg_uapi_path(const char *ifname, char *path, size_t size)
{
	int n = snprintf(path, size, "%s/%s.sock", L2FQ_WG_UAPI_DIR, ifname);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

void l2fq_wg_uapi_close(struct l2fq_wg_uapi *u)
{
	if (u->fd >= 0)
		close(u->fd);
	if (u->buf) {
		explicit_bzero(u->buf, u->cap); /* private_key= */
		free(u->buf);
	}
	l2fq_wg_uapi_init(u);
}

void l2fq_wg_uapi_attach(struct l2fq_wg_uapi *u, int fd)
{
	l2fq_wg_uapi_close(u);
	u->fd = fd;
}

int l2fq_wg_uapi_connect(struct l2fq_wg_uapi *u, const char *socket_path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, err;

	l2fq_wg_uapi_close(u);
	if (strlen(socket_path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, socket_path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		err = errno == ECONNREFUSED ? ENOENT : errno;
		close(fd);
		return -err;
	}
	u->fd = fd;
	return 0;
}

/* Drops the first n buffered bytes (one reply), wiping them. */
static void wg_uapi_consume(struct l2fq_wg_uapi *u, size_t n)
{
	memmove(u->buf, u->buf + n, u->len - n);
	explicit_bzero(u->buf + u->len - n, n);
	u->len -= n;
}

static int wg_uapi_lost(struct l2fq_wg_uapi *u, int err)
{
	l2fq_wg_uapi_close(u);
	return err;
}

int l2fq_wg_uapi_get(struct l2fq_wg_uapi *u, struct l2fq_wg_device *d)
{
	static const char req[] = "get=1\n\n";
	uint64_t deadline;
	struct timespec ts;

	l2fq_wg_device_clear(d);
	if (u->fd < 0)
		return -EPIPE;
	if (send(u->fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof(req) - 1))
		return wg_uapi_lost(u, -EPIPE);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	deadline = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u + WG_TIMEOUT_MS;
	/* Bounded: each pass takes a reply or reads at least one byte of at
	 * most WG_UAPI_MAX, until the deadline. */
	for (;;) {
		size_t r = u->buf ? l2fq_wg_uapi_reply_len(u->buf, u->len) : 0;
		struct pollfd pfd = { .fd = u->fd, .events = POLLIN };
		uint64_t now;
		ssize_t n;
		int ret;

		if (r && u->owed) {
			u->owed--; /* a timed-out request's late reply */
			wg_uapi_consume(u, r);
			continue;
		}
		if (r) {
			ret = l2fq_wg_parse_uapi(u->buf, r, d);
			wg_uapi_consume(u, r);
			return ret;
		}
		if (!u->buf || u->len + 1 >= u->cap) {
			size_t cap = u->buf ? u->cap * 2 : 4096;
			char *nb;

			if (cap > WG_UAPI_MAX)
				return wg_uapi_lost(u, -E2BIG); /* no end in sight: out of step */
			if (!(nb = malloc(cap)))
				return -ENOMEM;
			if (u->buf) {
				memcpy(nb, u->buf, u->len);
				explicit_bzero(u->buf, u->cap);
				free(u->buf);
			}
			u->buf = nb;
			u->cap = cap;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
		ret = now < deadline ? poll(&pfd, 1, (int)(deadline - now)) : 0;
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0)
			return wg_uapi_lost(u, -EPIPE);
		if (ret == 0) {
			u->owed++; /* its reply, if it comes, is not the next request's */
			return -ETIMEDOUT;
		}
		n = recv(u->fd, u->buf + u->len, u->cap - u->len - 1, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return wg_uapi_lost(u, -EPIPE); /* EOF: wireguard-go exited */
		u->len += (size_t)n;
	}
}

int l2fq_wg_read_uapi(const char *socket_path, struct l2fq_wg_device *d)
{
	struct l2fq_wg_uapi u;
	int ret;

	l2fq_wg_device_clear(d);
	l2fq_wg_uapi_init(&u);
	if ((ret = l2fq_wg_uapi_connect(&u, socket_path)) == 0)
		ret = l2fq_wg_uapi_get(&u, d);
	l2fq_wg_uapi_close(&u);
	return ret;
}

int l2fq_wg_kernel_absent(int err)
{
	return err == -ENODEV || err == -ENOENT || err == -EOPNOTSUPP;
}

int l2fq_wg_read(const char *ifname, struct l2fq_wg_device *d)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int ret = l2fq_wg_read_kernel(ifname, d);

	if (!l2fq_wg_kernel_absent(ret))
		return ret;
	if ((ret = l2fq_wg_uapi_path(ifname, path, sizeof(path))) < 0)
		return ret;
	return l2fq_wg_read_uapi(path, d);
}
