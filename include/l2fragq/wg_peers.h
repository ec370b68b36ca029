/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A WireGuard device's listen port and peers (public key, endpoint, allowed
 * IPs, latest handshake), read from kernel WireGuard over generic netlink
 * (WG_CMD_GET_DEVICE, family "wireguard") or from wireguard-go over its UAPI
 * socket (/var/run/wireguard/IFNAME.sock, "get=1"). The parsers are pure
 * functions over bytes; the readers around them only move bytes. Private
 * and preshared keys are never kept, and the readers wipe the buffers that
 * held them. */
#ifndef L2FRAGQ_WG_PEERS_H
#define L2FRAGQ_WG_PEERS_H

#include <stddef.h>
#include <stdint.h>

struct nlmsghdr;

#define L2FQ_WG_KEY_LEN 32
#define L2FQ_WG_MAX_PEERS 256     /* more: the parse fails with -E2BIG, never truncates */
#define L2FQ_WG_MAX_ALLOWED 32    /* allowed IPs per peer, same rule */
#define L2FQ_WG_UAPI_DIR "/var/run/wireguard"

struct l2fq_wg_allowed {
	int family;        /* AF_INET or AF_INET6 */
	uint8_t addr[16];  /* network order, the first 4 bytes for IPv4 */
	uint8_t cidr;
};

struct l2fq_wg_peer {
	uint8_t public_key[L2FQ_WG_KEY_LEN];
	int endpoint_family;        /* AF_INET, AF_INET6, or 0: no endpoint */
	uint8_t endpoint_addr[16];  /* network order */
	uint16_t endpoint_port;     /* host order */
	int64_t last_handshake_sec; /* 0: never */
	unsigned n_allowed;
	struct l2fq_wg_allowed allowed[L2FQ_WG_MAX_ALLOWED];
};

struct l2fq_wg_device {
	uint16_t listen_port; /* host order */
	unsigned n_peers;
	struct l2fq_wg_peer peers[L2FQ_WG_MAX_PEERS];
};

void l2fq_wg_device_clear(struct l2fq_wg_device *d);

/* One WG_CMD_GET_DEVICE reply message (after the genlmsghdr come the
 * WGDEVICE_A_* attributes), added to d: a peer whose key equals the last
 * peer's continues it (the kernel splits a long peer across messages).
 * 0, or -EINVAL (malformed), -E2BIG (over a limit). */
int l2fq_wg_parse_genl_msg(const struct nlmsghdr *nlh, struct l2fq_wg_device *d);

/* A buffer of netlink messages as read from the socket: each message of
 * type family_id is parsed into d. 1 after NLMSG_DONE, 0 when more is to
 * come, -errno for an NLMSG_ERROR with an error or a malformed buffer. */
int l2fq_wg_parse_genl_buf(const void *buf, size_t len, uint16_t family_id,
			   struct l2fq_wg_device *d);

/* The reply to "get=1\n\n" (key=value lines, a blank line at the end). 0;
 * -EINVAL when malformed or without its final "errno=" line; -N when the
 * reply is "errno=N" with N != 0; -E2BIG over a limit. d is cleared first. */
int l2fq_wg_parse_uapi(const char *text, size_t len, struct l2fq_wg_device *d);

/* The length of the first complete UAPI reply in buf, through the blank
 * line that ends it ("...errno=0\n\n"); 0: no complete reply yet. */
size_t l2fq_wg_uapi_reply_len(const char *buf, size_t len);

/* A kept connection to wireguard-go's UAPI socket. The socket is root's
 * (mode 0700 directory): a daemon that drops privileges connects before the
 * drop and keeps the connection; wireguard-go serves any number of requests
 * on one connection (device/uapi.go IpcHandle loops until EOF). */
struct l2fq_wg_uapi {
	int fd;        /* -1: not connected */
	unsigned owed; /* replies to requests that timed out: skipped when they come */
	char *buf;     /* bytes read past the last reply taken (wiped when consumed) */
	size_t len, cap;
};

void l2fq_wg_uapi_init(struct l2fq_wg_uapi *u);
/* L2FQ_WG_UAPI_DIR/IFNAME.sock into path; -ENAMETOOLONG. */
int l2fq_wg_uapi_path(const char *ifname, char *path, size_t size);
/* Connects (closing any previous connection). 0, -ENOENT (no socket, or
 * nobody listens: ECONNREFUSED), -EACCES (not root), ... */
int l2fq_wg_uapi_connect(struct l2fq_wg_uapi *u, const char *socket_path);
/* Adopts a connected fd (tests: one end of a socketpair). */
void l2fq_wg_uapi_attach(struct l2fq_wg_uapi *u, int fd);
/* One "get=1" on the kept connection, its reply parsed into d. 0, or
 * -EPIPE: the connection is gone (wireguard-go exited; u is closed now),
 * -ETIMEDOUT (no reply within 2 s; the connection is kept and the late reply
 * skipped), or l2fq_wg_parse_uapi's errors. */
int l2fq_wg_uapi_get(struct l2fq_wg_uapi *u, struct l2fq_wg_device *d);
void l2fq_wg_uapi_close(struct l2fq_wg_uapi *u);

/* Readers. 0 or -errno; -ENODEV: no such device (kernel), -ENOENT: no such
 * socket (wireguard-go). */
int l2fq_wg_read_kernel(const char *ifname, struct l2fq_wg_device *d);
int l2fq_wg_read_uapi(const char *socket_path, struct l2fq_wg_device *d);
/* Kernel WireGuard's errors that mean "no kernel device of that name". */
int l2fq_wg_kernel_absent(int err);
/* Kernel first, then L2FQ_WG_UAPI_DIR/IFNAME.sock (a connection per call). */
int l2fq_wg_read(const char *ifname, struct l2fq_wg_device *d);

#endif
