/* SPDX-License-Identifier: GPL-2.0-or-later */
/* l2fq_send: puts outer IPv4 packets through an IPPROTO_RAW (IP_HDRINCL)
 * socket, so they cross the OUTPUT hook exactly as a gretap packet does, and
 * writes a manifest of what it sent for l2fq_recv and l2fq_wire.
 *
 *   l2fq_send replay [common] [--max-len N] PCAP...
 *       every record's outer IPv4 GRE packet, addresses rewritten to
 *       --src/--dst, checksum fixed, every other byte kept. Records that a raw
 *       socket cannot send faithfully are skipped and reported with the reason.
 *   l2fq_send stream [common] --count N [--sizes A-B|A,B,..] [--seed S]
 *       [--df 1|0|mix] [--id zero|seq|const:V|random] [--proto P]
 *       generated packets with a tag (run, flow, sequence) and a pattern.
 *
 * common: --src A --dst B --manifest FILE [--flow F] [--rate PPS] [--batch N]
 *         [--sndbuf BYTES] [--deadline S] [--run R] [--quiet]
 *         [--window BYTES --progress FILE]   flow control: at most BYTES sent
 *         and not yet counted by l2fq_recv --progress FILE; when the count
 *         stalls for --stall MS (default 500) what is outstanding is written
 *         off as lost and sending goes on (for traffic dropped on purpose;
 *         too short a stall defeats the flow control when the receiving side
 *         is starved of CPU; after 8 write-offs 10 ms)
 *
 * Refuses addresses outside the RFC 5737 documentation ranges. Exit 0 when
 * the manifest was written (send errors are recorded in it, not fatal). */
#include <errno.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kt_common.h"
#include "l2fragq/linklayer.h"

#define TOOL "l2fq_send"
#define MAX_BATCH 64

struct out_pkt {
	uint8_t *data;
	size_t len;
};

struct opts {
	const char *mode;
	uint32_t src, dst;
	const char *manifest;
	uint32_t flow, run;
	uint64_t rate, batch, sndbuf, deadline_s, count, seed, max_len;
	int quiet;
	uint64_t window, stall_ms;
	const char *progress;
	/* stream */
	unsigned nsizes;
	unsigned sizes[64];
	unsigned smin, smax;
	int df_mode; /* 0, 1, 2 = mix */
	int id_mode; /* 0 zero, 1 seq, 2 const, 3 random */
	uint16_t id_const;
	uint8_t proto;
	/* replay */
	char **pcaps;
	int npcaps;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: " TOOL " replay|stream --src A --dst B --manifest FILE [options] [PCAP...]\n"
		"  --flow F        flow number (replay: of the first capture; then +1 each)\n"
		"  --run R         run id written into stream tags (default random)\n"
		"  --rate PPS      packets per second (default 0: as fast as the socket takes)\n"
		"  --batch N       packets per sendmmsg call, 1..64 (default 8)\n"
		"  --sndbuf BYTES  socket send buffer (SO_SNDBUFFORCE)\n"
		"  --deadline S    stop sending after S seconds (default 60)\n"
		"  --quiet         no per-record lines\n"
		"  --window BYTES --progress FILE [--stall MS]   flow control by l2fq_recv's count\n"
		"replay: --max-len N   skip packets longer than N (device MTU, default 9000)\n"
		"stream: --count N --sizes A-B|A,B,... --seed S --df 1|0|mix\n"
		"        --id zero|seq|const:V|random --proto P (47 GRE, 17 UDP, other)\n");
	exit(2);
}

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static void finish_header(uint8_t *ip, size_t ihl)
{
	kt_put16(ip + 10, 0);
	kt_put16(ip + 10, kt_ip_checksum(ip, ihl));
}

/* ------------------------------------------------------------ stream */

static struct out_pkt make_stream_packet(const struct opts *o, uint32_t seq)
{
	uint64_t r = mix64(o->seed * 0x100000001b3ull ^ (uint64_t)o->flow << 40 ^ seq);
	size_t len, prefix = kt_proto_prefix_len(o->proto);
	struct out_pkt p;
	uint8_t *ip, *t;
	uint16_t id = 0;
	int df;

	if (o->nsizes)
		len = o->sizes[seq % o->nsizes];
	else
		len = o->smin + (size_t)(r % (o->smax - o->smin + 1));
	df = o->df_mode == 2 ? (int)(mix64(r) & 1) : o->df_mode;
	switch (o->id_mode) {
	case 1: id = (uint16_t)(seq % 65535 + 1); break;
	case 2: id = o->id_const; break;
	case 3: id = (uint16_t)(mix64(r + 7) % 65535 + 1); break;
	default: id = 0;
	}
	ip = calloc(1, len);
	if (!ip)
		kt_die(TOOL, "out of memory");
	ip[0] = 0x45;
	kt_put16(ip + 2, (uint16_t)len);
	kt_put16(ip + 4, id);
	kt_put16(ip + 6, df ? KT_IP_DF : 0);
	ip[8] = 64;
	ip[9] = o->proto;
	memcpy(ip + 12, &o->src, 4);
	memcpy(ip + 16, &o->dst, 4);
	if (o->proto == KT_PROTO_GRE) {
		kt_put16(ip + 22, 0x6558); /* transparent Ethernet bridging, as gretap */
	} else if (o->proto == KT_PROTO_UDP) {
		kt_put16(ip + 20, 40000);
		kt_put16(ip + 22, 9); /* discard */
		kt_put16(ip + 24, (uint16_t)(len - 20));
	}
	t = ip + 20 + prefix;
	memcpy(t, KT_MAGIC, 8);
	kt_put16(t + 8, (uint16_t)(o->run >> 16));
	kt_put16(t + 10, (uint16_t)o->run);
	kt_put16(t + 12, (uint16_t)(o->flow >> 16));
	kt_put16(t + 14, (uint16_t)o->flow);
	kt_put16(t + 16, (uint16_t)(seq >> 16));
	kt_put16(t + 18, (uint16_t)seq);
	kt_put16(t + 20, 0);
	kt_put16(t + 22, (uint16_t)len);
	kt_fill_pattern(t + KT_TAG_LEN, len - 20 - prefix - KT_TAG_LEN, o->run, o->flow, seq);
	finish_header(ip, 20);
	p.data = ip;
	p.len = len;
	return p;
}

/* ------------------------------------------------------------ replay */

struct skip_count {
	char reason[64];
	unsigned n;
};

/* Returns NULL and fills *out when the record can be replayed faithfully,
 * else the reason it cannot. */
static const char *replay_packet(const struct opts *o, int dlt, const struct pcap_pkthdr *h,
				 const uint8_t *frame, struct out_pkt *out, char *detail,
				 size_t dlen)
{
	size_t off = 0, avail, orig, ihl, tot;
	const uint8_t *ip;
	uint16_t frag;
	uint8_t *copy;

	detail[0] = '\0';
	switch (l2fq_link_find_ipv4(dlt, frame, h->caplen, &off)) {
	case L2FQ_LINK_IPV4: break;
	case L2FQ_LINK_NOT_IPV4: return "link layer carries no IPv4";
	case L2FQ_LINK_TRUNCATED: return "link-layer header cut short";
	default:
		snprintf(detail, dlen, "link type %d", dlt);
		return "unknown link type: no IP header to find";
	}
	ip = frame + off;
	avail = h->caplen - off;
	orig = h->len >= off ? h->len - off : 0;
	if (avail < 1 || ip[0] >> 4 != 4) {
		snprintf(detail, dlen, "version %d", avail ? ip[0] >> 4 : -1);
		return "not IPv4";
	}
	ihl = (size_t)(ip[0] & 15) * 4;
	if (ihl < 20)
		return "IHL below 5";
	if (avail < ihl)
		return "IP header cut short in the capture";
	if (kt_ip_checksum(ip, ihl) != 0)
		return "bad header checksum (the kernel rewrites it: not faithful)";
	if (ip[9] != KT_PROTO_GRE) {
		snprintf(detail, dlen, "protocol %u", ip[9]);
		return "not GRE";
	}
	tot = kt_get16(ip + 2);
	if (tot < ihl + 4) {
		snprintf(detail, dlen, "total length %zu", tot);
		return "total length below IHL*4+4 (the kernel rewrites it)";
	}
	if (tot > orig) {
		snprintf(detail, dlen, "total length %zu, packet %zu", tot, orig);
		return "total length exceeds the packet (the kernel rewrites it)";
	}
	if (tot > avail) {
		snprintf(detail, dlen, "captured %zu of %zu", avail, tot);
		return "cut by the capture's snaplen";
	}
	frag = kt_get16(ip + 6);
	if (frag & (KT_IP_MF | KT_IP_OFFMASK))
		return "a fragment (would never reassemble alone)";
	if (tot > o->max_len) {
		snprintf(detail, dlen, "%zu > %llu", tot, (unsigned long long)o->max_len);
		return "longer than --max-len (device MTU)";
	}
	copy = malloc(tot);
	if (!copy)
		kt_die(TOOL, "out of memory");
	/* Bytes after tot_len (Ethernet padding) are not part of the datagram. */
	memcpy(copy, ip, tot);
	memcpy(copy + 12, &o->src, 4);
	memcpy(copy + 16, &o->dst, 4);
	finish_header(copy, ihl);
	out->data = copy;
	out->len = tot;
	return NULL;
}

static void count_skip(struct skip_count *sk, unsigned *nsk, const char *reason)
{
	unsigned i;

	for (i = 0; i < *nsk; i++)
		if (!strcmp(sk[i].reason, reason)) {
			sk[i].n++;
			return;
		}
	if (*nsk < 32) {
		snprintf(sk[*nsk].reason, sizeof(sk[0].reason), "%s", reason);
		sk[(*nsk)++].n = 1;
	}
}

/* ------------------------------------------------------------ sending */

struct sender {
	int fd;
	const struct opts *o;
	struct kt_manifest man;
	int64_t start_mono, deadline_mono;
	uint64_t sent, errors, emsgsize, timeouts, other;
	struct out_pkt pending[MAX_BATCH];
	struct kt_pkt *pending_m[MAX_BATCH];
	unsigned npending;
	uint64_t batches;
	int stopped;
	struct kt_progress *progress;
	uint64_t sent_bytes, written_off, stalls, base;
};

/* Streams are counted per flow (several senders may share a receiver);
 * replayed packets carry no tag: all bytes. */
static uint64_t *progress_counter(struct sender *s)
{
	if (!strcmp(s->o->mode, "stream"))
		return &s->progress->flow_bytes[s->o->flow % KT_PROGRESS_FLOWS];
	return &s->progress->bytes;
}

/* After a few write-offs the losses are systematic (e.g. nothing fixes DF):
 * stop waiting long for packets that will never arrive. */
static int64_t stall_ns(const struct sender *s)
{
	int64_t ms = (int64_t)s->o->stall_ms;

	if (s->stalls >= 8 && ms > 10)
		ms = 10;
	return ms * 1000000;
}

/* Waits until the next packet fits the window (at most --window bytes in
 * flight towards the receiver), then returns how many of the next n packets
 * (lengths len[0..n-1]) fit, at least 1. */
static unsigned window_fit(struct sender *s, const struct out_pkt *p, unsigned n)
{
	uint64_t last = UINT64_MAX;
	int64_t since = 0;
	struct timespec nap = { 0, 50000 };

	if (!s->progress)
		return n;
	for (;;) {
		uint64_t got = __atomic_load_n(progress_counter(s), __ATOMIC_ACQUIRE) - s->base;
		uint64_t done = got + s->written_off;
		uint64_t inflight = s->sent_bytes > done ? s->sent_bytes - done : 0;
		int64_t now;
		unsigned k = 0;

		while (k < n && inflight + p[k].len <= s->o->window)
			inflight += p[k++].len;
		if (k > 0 || inflight == 0)
			return k ? k : 1;
		now = kt_mono_ns();
		if (got != last) {
			last = got;
			since = now;
		} else if (now - since > stall_ns(s)) {
			/* Nothing arrives: count what is in flight as lost. */
			s->written_off = s->sent_bytes - got;
			s->stalls++;
			continue;
		}
		if (now > s->deadline_mono)
			return 1;
		nanosleep(&nap, NULL);
	}
}

static void pace(struct sender *s)
{
	int64_t due;
	struct timespec ts;

	if (!s->o->rate)
		return;
	due = s->start_mono + (int64_t)(s->sent + s->errors) * 1000000000 / (int64_t)s->o->rate;
	if (due <= kt_mono_ns())
		return;
	ts.tv_sec = due / 1000000000;
	ts.tv_nsec = due % 1000000000;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void flush(struct sender *s)
{
	struct mmsghdr msgs[MAX_BATCH];
	struct iovec iov[MAX_BATCH];
	struct sockaddr_in to[MAX_BATCH];
	unsigned i = 0, n = s->npending;
	int64_t t;

	if (!n)
		return;
	pace(s);
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < n; i++) {
		iov[i].iov_base = s->pending[i].data;
		iov[i].iov_len = s->pending[i].len;
		memset(&to[i], 0, sizeof(to[i]));
		to[i].sin_family = AF_INET;
		memcpy(&to[i].sin_addr, s->pending[i].data + 16, 4);
		msgs[i].msg_hdr.msg_name = &to[i];
		msgs[i].msg_hdr.msg_namelen = sizeof(to[i]);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	i = 0;
	while (i < n) {
		int r;

		t = kt_now_ns();
		if (kt_mono_ns() > s->deadline_mono) {
			for (; i < n; i++) {
				s->pending_m[i]->t_ns = t;
				s->pending_m[i]->err = ETIME;
				s->errors++, s->other++;
			}
			s->stopped = 1;
			break;
		}
		r = sendmmsg(s->fd, msgs + i, window_fit(s, s->pending + i, n - i), 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			s->pending_m[i]->t_ns = t;
			s->pending_m[i]->err = errno;
			s->errors++;
			if (errno == EMSGSIZE)
				s->emsgsize++;
			else if (errno == EAGAIN)
				s->timeouts++;
			else
				s->other++;
			i++;
			continue;
		}
		for (unsigned j = 0; j < (unsigned)r; j++) {
			s->pending_m[i + j]->t_ns = t;
			s->sent_bytes += s->pending[i + j].len;
		}
		s->sent += (unsigned)r;
		i += (unsigned)r;
	}
	s->batches++;
	for (i = 0; i < n; i++)
		free(s->pending[i].data);
	s->npending = 0;
}

static void queue_packet(struct sender *s, struct out_pkt p, uint32_t flow, uint32_t seq)
{
	struct kt_pkt *m = kt_manifest_add(&s->man);

	if (!m)
		kt_die(TOOL, "out of memory");
	m->idx = (uint32_t)(s->man.n - 1);
	m->flow = flow;
	m->seq = seq;
	m->totlen = (uint16_t)p.len;
	memcpy(m->hdr, p.data, (size_t)(p.data[0] & 15) * 4);
	kt_pkt_derive(m);
	kt_sha256(p.data + m->ihl, p.len - m->ihl, m->sha);
	/* Pointers into man.p are refreshed at flush (realloc may move it). */
	s->pending[s->npending] = p;
	s->pending_m[s->npending] = NULL;
	s->npending++;
	if (s->npending == s->o->batch) {
		for (unsigned i = 0; i < s->npending; i++)
			s->pending_m[i] = &s->man.p[s->man.n - s->npending + i];
		flush(s);
	}
}

static void final_flush(struct sender *s)
{
	for (unsigned i = 0; i < s->npending; i++)
		s->pending_m[i] = &s->man.p[s->man.n - s->npending + i];
	flush(s);
}

static void parse_sizes(struct opts *o, const char *arg)
{
	uint64_t a, b;
	char buf[512], *tok, *save = NULL, *dash;

	snprintf(buf, sizeof(buf), "%s", arg);
	dash = strchr(buf, '-');
	if (dash && !strchr(buf, ',')) {
		*dash = '\0';
		if (kt_parse_u64(buf, 1, 65535, &a) || kt_parse_u64(dash + 1, a, 65535, &b))
			kt_die(TOOL, "bad --sizes range '%s'", arg);
		o->smin = (unsigned)a;
		o->smax = (unsigned)b;
		o->nsizes = 0;
		return;
	}
	o->nsizes = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (o->nsizes == 64 || kt_parse_u64(tok, 1, 65535, &a))
			kt_die(TOOL, "bad --sizes list '%s'", arg);
		o->sizes[o->nsizes++] = (unsigned)a;
	}
	if (!o->nsizes)
		kt_die(TOOL, "empty --sizes");
}

static void parse_args(struct opts *o, int argc, char **argv)
{
	int i;
	uint64_t v;

	memset(o, 0, sizeof(*o));
	o->batch = 8;
	o->deadline_s = 60;
	o->max_len = 9000;
	o->smin = o->smax = 1538;
	o->df_mode = 1;
	o->proto = KT_PROTO_GRE;
	o->flow = 1;
	o->stall_ms = 500;
	if (argc < 2)
		usage();
	o->mode = argv[1];
	if (strcmp(o->mode, "replay") && strcmp(o->mode, "stream"))
		usage();
	o->pcaps = calloc((size_t)argc, sizeof(char *));
	for (i = 2; i < argc; i++) {
		const char *a = argv[i], *arg = i + 1 < argc ? argv[i + 1] : NULL;
		int takes = 1;

#define NUM(name, lo, hi, dst)                                                   \
	else if (!strcmp(a, name)) {                                             \
		if (!arg || kt_parse_u64(arg, lo, hi, &v))                       \
			kt_die(TOOL, "bad value for %s", name);                  \
		dst = v;                                                         \
		takes = 2;                                                       \
	}
		if (!strcmp(a, "--src") || !strcmp(a, "--dst")) {
			uint32_t *dst = a[2] == 's' ? &o->src : &o->dst;

			if (!arg || kt_parse_addr(arg, dst))
				kt_die(TOOL, "bad address for %s", a);
			if (!kt_addr_is_doc(*dst))
				kt_die(TOOL, "refusing %s %s: only RFC 5737 documentation addresses "
					     "(192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24)", a, arg);
			takes = 2;
		} else if (!strcmp(a, "--manifest")) {
			if (!arg)
				usage();
			o->manifest = arg;
			takes = 2;
		}
		NUM("--flow", 0, 0xffffffffu, o->flow)
		NUM("--run", 0, 0xffffffffu, o->run)
		NUM("--rate", 0, 100000000, o->rate)
		NUM("--batch", 1, MAX_BATCH, o->batch)
		NUM("--sndbuf", 4096, 1u << 30, o->sndbuf)
		NUM("--deadline", 1, 3600, o->deadline_s)
		NUM("--count", 0, 10000000, o->count)
		NUM("--seed", 0, UINT64_MAX, o->seed)
		NUM("--max-len", 20, 65535, o->max_len)
		NUM("--window", 1500, 1u << 30, o->window)
		NUM("--stall", 1, 10000, o->stall_ms)
		else if (!strcmp(a, "--quiet")) o->quiet = 1;
		else if (!strcmp(a, "--progress")) {
			if (!arg)
				usage();
			o->progress = arg;
			takes = 2;
		}
		else if (!strcmp(a, "--sizes")) {
			if (!arg)
				usage();
			parse_sizes(o, arg);
			takes = 2;
		} else if (!strcmp(a, "--df")) {
			if (!arg)
				usage();
			o->df_mode = !strcmp(arg, "1") ? 1 : !strcmp(arg, "0") ? 0 :
				     !strcmp(arg, "mix") ? 2 : -1;
			if (o->df_mode < 0)
				kt_die(TOOL, "--df must be 1, 0 or mix");
			takes = 2;
		} else if (!strcmp(a, "--id")) {
			if (!arg)
				usage();
			if (!strcmp(arg, "zero"))
				o->id_mode = 0;
			else if (!strcmp(arg, "seq"))
				o->id_mode = 1;
			else if (!strcmp(arg, "random"))
				o->id_mode = 3;
			else if (!strncmp(arg, "const:", 6) && !kt_parse_u64(arg + 6, 0, 65535, &v)) {
				o->id_mode = 2;
				o->id_const = (uint16_t)v;
			} else
				kt_die(TOOL, "--id must be zero, seq, const:V or random");
			takes = 2;
		} else if (!strcmp(a, "--proto")) {
			if (!arg || kt_parse_u64(arg, 0, 255, &v) || v == 255 || v == 6)
				kt_die(TOOL, "bad --proto");
			o->proto = (uint8_t)v;
			takes = 2;
		} else if (a[0] == '-' && a[1]) {
			kt_die(TOOL, "unknown option %s", a);
		} else {
			o->pcaps[o->npcaps++] = argv[i];
		}
#undef NUM
		i += takes - 1;
	}
	if (!o->window != !o->progress)
		kt_die(TOOL, "--window and --progress go together");
	if (!o->src || !o->dst || !o->manifest)
		kt_die(TOOL, "--src, --dst and --manifest are required");
	if (!strcmp(o->mode, "stream")) {
		size_t need = 20 + kt_proto_prefix_len(o->proto) + KT_TAG_LEN;
		unsigned lo = o->nsizes ? 65535 : o->smin, k;

		for (k = 0; k < o->nsizes; k++)
			if (o->sizes[k] < lo)
				lo = o->sizes[k];
		if (lo < need)
			kt_die(TOOL, "stream packets must be at least %zu bytes", need);
		if (o->npcaps)
			kt_die(TOOL, "stream takes no capture files");
	} else if (!o->npcaps) {
		kt_die(TOOL, "replay needs capture files");
	}
	if (!o->run && getrandom(&o->run, sizeof(o->run), 0) != (ssize_t)sizeof(o->run))
		o->run = (uint32_t)time(NULL);
}

int main(int argc, char **argv)
{
	struct opts o;
	struct sender s;
	int one = 1;
	struct timeval tv = { 2, 0 };
	int64_t t0;
	char errbuf[PCAP_ERRBUF_SIZE];

	parse_args(&o, argc, argv);
	memset(&s, 0, sizeof(s));
	s.o = &o;
	snprintf(s.man.mode, sizeof(s.man.mode), "%s", o.mode);
	s.man.run = o.run;
	s.fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (s.fd < 0)
		kt_die(TOOL, "raw socket: %s (needs CAP_NET_RAW)", strerror(errno));
	setsockopt(s.fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one));
	/* A send never blocks for more than 2 s: nothing can hang the sender. */
	setsockopt(s.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (o.sndbuf) {
		int b = (int)o.sndbuf;

		if (setsockopt(s.fd, SOL_SOCKET, SO_SNDBUFFORCE, &b, sizeof(b)))
			setsockopt(s.fd, SOL_SOCKET, SO_SNDBUF, &b, sizeof(b));
	}
	if (o.progress && !(s.progress = kt_progress_map(o.progress, 0)))
		kt_die(TOOL, "cannot map %s (start l2fq_recv --progress first): %s", o.progress,
		       strerror(errno));
	if (s.progress)
		s.base = __atomic_load_n(progress_counter(&s), __ATOMIC_ACQUIRE);
	t0 = kt_mono_ns();
	s.start_mono = t0;
	s.deadline_mono = t0 + (int64_t)o.deadline_s * 1000000000;

	if (!strcmp(o.mode, "stream")) {
		for (uint64_t k = 0; k < o.count && !s.stopped; k++)
			queue_packet(&s, make_stream_packet(&o, (uint32_t)k), o.flow, (uint32_t)k);
		final_flush(&s);
	} else {
		for (int f = 0; f < o.npcaps && !s.stopped; f++) {
			struct skip_count sk[32];
			unsigned nsk = 0, rec = 0, replayed = 0, skipped = 0;
			struct pcap_pkthdr *h;
			const u_char *data;
			pcap_t *pc = pcap_open_offline(o.pcaps[f], errbuf);
			uint32_t flow = o.flow + (uint32_t)f;
			int r, dlt;

			if (!pc)
				kt_die(TOOL, "%s: %s", o.pcaps[f], errbuf);
			dlt = pcap_datalink(pc);
			while ((r = pcap_next_ex(pc, &h, &data)) == 1) {
				struct out_pkt p;
				char detail[96];
				const char *why;

				rec++;
				why = replay_packet(&o, dlt, h, data, &p, detail, sizeof(detail));
				if (why) {
					skipped++;
					count_skip(sk, &nsk, why);
					if (!o.quiet)
						fprintf(stderr, "skip %s#%u: %s%s%s%s\n", o.pcaps[f], rec,
							why, detail[0] ? " (" : "", detail,
							detail[0] ? ")" : "");
					continue;
				}
				replayed++;
				queue_packet(&s, p, flow, rec);
			}
			if (r == PCAP_ERROR)
				fprintf(stderr, "%s: read error after %u records: %s (replayed what "
						"was read)\n", o.pcaps[f], rec, pcap_geterr(pc));
			pcap_close(pc);
			final_flush(&s);
			fprintf(stderr, "replay %s: flow=%u records=%u replayed=%u skipped=%u", o.pcaps[f],
				flow, rec, replayed, skipped);
			for (unsigned k = 0; k < nsk; k++)
				fprintf(stderr, "%s%s=%u", k ? ", " : " (", sk[k].reason, sk[k].n);
			fprintf(stderr, "%s\n", nsk ? ")" : "");
		}
	}
	if (kt_manifest_write(&s.man, o.manifest))
		kt_die(TOOL, "cannot write %s: %s", o.manifest, strerror(errno));
	fprintf(stderr,
		TOOL ": %s: run=%u packets=%zu sent=%llu errors=%llu (EMSGSIZE=%llu EAGAIN=%llu "
		     "other=%llu) batches=%llu window-stalls=%llu elapsed=%.3fs%s\n",
		o.mode, (unsigned)o.run, s.man.n, (unsigned long long)s.sent,
		(unsigned long long)s.errors, (unsigned long long)s.emsgsize,
		(unsigned long long)s.timeouts, (unsigned long long)s.other,
		(unsigned long long)s.batches, (unsigned long long)s.stalls, (double)(kt_mono_ns() - t0) / 1e9,
		s.stopped ? " (deadline reached)" : "");
	kt_manifest_free(&s.man);
	close(s.fd);
	return 0;
}
