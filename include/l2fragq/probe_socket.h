/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The sockets of underlay path-MTU probing (issue 18): send a UDP datagram
 * of an exact underlay IP packet size that no host fragments, from
 * WireGuard's listen port to a peer's endpoint; receive the probes and acks
 * that arrive (on any interface, without a firewall rule) and answer them.
 * No policy here: what the payload says is the caller's business.
 *
 * Sending. IPv4: an IPPROTO_RAW socket (IP_HDRINCL) writes the whole packet,
 * so DF is set because we set it, and the UDP source port can be
 * WireGuard's own (bound by WireGuard: a UDP socket could not bind it). Its
 * IP_PMTUDISC_PROBE makes ip_skb_dst_mtu() use the device MTU instead of a
 * cached PMTU (an ICMP-learned PMTU exception would otherwise drop a DF
 * probe above it locally, before it could prove the path grew).
 * raw_send_hdrinc() refuses a packet above the device MTU with EMSGSIZE.
 * IPv6: a raw IPPROTO_UDP socket with IPV6_DONTFRAG (EMSGSIZE instead of
 * fragments), IPV6_PMTUDISC_PROBE (the device MTU, not a cached PMTU) and
 * IPV6_CHECKSUM at offset 6 (the kernel writes the UDP checksum over the
 * source address it chooses); a filter that drops everything keeps it from
 * queueing the host's UDP traffic.
 *
 * Receiving: one AF_PACKET SOCK_DGRAM socket on all interfaces with a
 * classic BPF filter that passes only incoming (not PACKET_OUTGOING),
 * unfragmented IPv4 UDP, or IPv6 whose next header is UDP (no extension
 * headers), whose payload starts with the 4-byte magic. WireGuard gets its
 * copy too (and drops it: the magic is no WireGuard message type). */
#ifndef L2FRAGQ_PROBE_SOCKET_H
#define L2FRAGQ_PROBE_SOCKET_H

#include <stddef.h>
#include <stdint.h>

#define L2FQ_PROBE_MAGIC_LEN 4
#define L2FQ_PROBE_TOO_BIG 1      /* l2fq_probe_send: bigger than the local link */
#define L2FQ_PROBE_RX_BUF 65536   /* a receive buffer that holds any packet */

struct l2fq_probe_addr {
	int family;        /* AF_INET or AF_INET6 */
	uint8_t addr[16];  /* network order; all zero: any (the kernel's choice) */
	uint16_t port;     /* host order */
};

struct l2fq_probe_tx {
	int fd4, fd6;      /* -1: that family could not be opened */
};

/* 0 when at least one family is open, else -errno. */
int l2fq_probe_tx_open(struct l2fq_probe_tx *tx);
void l2fq_probe_tx_close(struct l2fq_probe_tx *tx);

/* One datagram from src to dst (same family) whose IP packet is exactly
 * ip_size bytes (IP header + UDP header + payload, the path MTU's unit):
 * the payload, then zeros. 0; L2FQ_PROBE_TOO_BIG (EMSGSIZE: above the
 * outgoing device's MTU); -EINVAL (sizes), -errno. */
int l2fq_probe_send(const struct l2fq_probe_tx *tx, const struct l2fq_probe_addr *src,
		    const struct l2fq_probe_addr *dst, unsigned ip_size,
		    const void *payload, size_t payload_len);

struct l2fq_probe_rx {
	struct l2fq_probe_addr src, dst;
	unsigned ip_len;          /* the IP packet's total length */
	int ifindex;              /* where it arrived */
	const uint8_t *payload;   /* the UDP payload, inside the caller's buffer */
	size_t payload_len;
};

/* The receive socket, non-blocking, or -errno. */
int l2fq_probe_rx_open(const uint8_t magic[L2FQ_PROBE_MAGIC_LEN]);

/* The next valid packet (checksums right, lengths consistent) into buf:
 * 1, 0 when none is queued, -errno. Invalid packets are skipped. */
int l2fq_probe_recv(int fd, uint8_t *buf, size_t size, struct l2fq_probe_rx *rx);

/* Answers rx: from its destination address and port to its source. */
int l2fq_probe_reply(const struct l2fq_probe_tx *tx, const struct l2fq_probe_rx *rx,
		     unsigned ip_size, const void *payload, size_t payload_len);

#endif
