/* SPDX-License-Identifier: GPL-2.0-or-later */
/* l2fq_flood: load generator, latency probe and probe sink for the l2fragq
 * benchmark (scripts/bench.sh). Test code, not product.
 *
 * Packets are built the way Linux gretap emits them and leave through an
 * IPPROTO_RAW socket (IP_HDRINCL), so they cross the OUTPUT hook exactly as
 * tunnel traffic does:
 *
 *   outer IPv4  20  IHL 5, TTL 64, protocol 47, DF per --df, ID per --id
 *   GRE          4  flags 0, protocol 0x6558 (transparent Ethernet bridging)
 *   Ethernet    14  02:00:00:00:00:01 -> 02:00:00:00:00:02, type 0x0800
 *   inner IPv4  20  198.51.100.1 -> 198.51.100.2, DF, UDP, valid checksum
 *   UDP          8  port 40000 (+flow) -> 9, length N-20, checksum 0
 *   payload   N-28  fixed pattern; a probe starts it with "L2FQPROB", its
 *                   sequence number (u64) and send time (CLOCK_REALTIME ns,
 *                   i64), both big-endian
 *
 * N (--size) is the VM-side inner IPv4 packet (e.g. 1500); the outer packet
 * is N+38 bytes.
 *
 *   l2fq_flood send  --src A --dst B --size N [--df 1|0] [--rate PPS]
 *                    [--duration SEC] [--count N] [--batch 1..64]
 *                    [--sndbuf BYTES] [--id seq|zero] [--flows K]
 *   l2fq_flood probe --src A --dst B --size N --count N --rate PPS
 *                    [--df 1|0] [--id seq|zero]
 *   l2fq_flood sink  --listen ADDR --expect N --timeout SEC [--ready FILE]
 *
 * stdout: one summary line of key=value pairs; diagnostics go to stderr.
 *   send:  sent= errors= elapsed_ns= pps= size= outer=
 *   probe: sent= errors= elapsed_ns=
 *   sink:  received= lost= p50_us= p90_us= p99_us= max_us= min_us=
 * Exit 2 on bad usage (including non-RFC 5737 addresses), 1 on a runtime
 * failure (and for sink when nothing arrived), 0 otherwise. */
#include <errno.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kt_common.h"

#define TOOL "l2fq_flood"
#define NS 1000000000LL
#define MAX_BATCH 64
#define OUTER_EXTRA 38          /* outer IPv4 20 + GRE 4 + Ethernet 14 */
#define HDRS_LEN (OUTER_EXTRA + 28) /* ... + inner IPv4 20 + UDP 8 */
#define TAG_LEN 24              /* magic 8, seq 8, send time 8 */
#define HEAD_LEN (HDRS_LEN + TAG_LEN) /* per-packet part; the rest is shared */
#define PROBE_MAGIC "L2FQPROB"
#define UDP_SPORT 40000
#define MAX_FLOWS 16384
#define MAX_SECONDS 600.0

enum { M_SEND = 1, M_PROBE = 2, M_SINK = 4 };

struct opts {
	int mode;
	uint32_t src, dst, listen; /* network order */
	unsigned size, batch, flows;
	int df, id_zero;
	uint64_t rate, count, sndbuf, expect;
	double duration, timeout;
	const char *ready;
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void fatal(const char *fmt, ...) KT_PRINTF(1, 2) __attribute__((noreturn));
static void fatal(const char *fmt, ...)
{
	va_list ap;

	fputs(TOOL ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* ns from the start of a schedule to packet k at `rate` pps, without overflow. */
static int64_t ns_for(uint64_t k, uint64_t rate)
{
	return (int64_t)(k / rate) * NS + (int64_t)((k % rate) * (uint64_t)NS / rate);
}

/* Absolute schedule: packet k is due at t0 + (k - k0) / rate, so sleep
 * overshoot does not accumulate. A deficit after a stall (preemption, a slow
 * stretch; this VM sees several ms) is made up at no more than twice the
 * rate, so bursts stay one batch; a deficit above 100 ms means the CPU
 * cannot keep up, and the schedule restarts instead. */
struct pacer {
	uint64_t rate, k0;
	int64_t t0, last, gap; /* gap: half the interval between bursts */
};

static void pacer_init(struct pacer *p, uint64_t rate, unsigned burst, int64_t now)
{
	int64_t gap = rate ? ns_for(burst, rate) / 2 : 0;

	*p = (struct pacer){ .rate = rate, .t0 = now, .last = now - gap, .gap = gap };
}

static int64_t pacer_due(const struct pacer *p, uint64_t k)
{
	return p->rate ? p->t0 + ns_for(k - p->k0, p->rate) : 0;
}

/* Waits until packet k may go; 0 (no wait) if that is not before t_end. */
static int pacer_wait(struct pacer *p, uint64_t k, int64_t t_end)
{
	int64_t now = kt_mono_ns(), due = pacer_due(p, k);

	if (p->rate && now - due > NS / 10) {
		p->t0 = due = now;
		p->k0 = k;
	}
	if (p->rate && due < p->last + p->gap)
		due = p->last + p->gap;
	if (now >= t_end || due >= t_end)
		return 0;
	if (due > now) {
		struct timespec ts = { .tv_sec = due / NS, .tv_nsec = due % NS };

		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR &&
		       !stop_flag)
			;
	}
	p->last = due > now ? due : now;
	return 1;
}

/* ------------------------------------------------------------ options */

static int parse_seconds(const char *s, double max, double *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !(v > 0) || v > max) /* !(v > 0) also rejects NaN */
		return -1;
	*out = v;
	return 0;
}

/* 1 if option a is valid for the subcommand, else exit 2. */
static int mode_ok(const struct opts *o, const char *a, int modes, const char *cmd)
{
	if (!(o->mode & modes))
		kt_die(TOOL, "option %s is not valid for %s", a, cmd);
	return 1;
}

static void parse_args(struct opts *o, int argc, char **argv)
{
	uint64_t v;
	int have_count = 0, have_rate = 0;

	memset(o, 0, sizeof(*o));
	o->df = 1;
	o->batch = MAX_BATCH;
	o->flows = 1;
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		puts("usage: " TOOL " send  --src A --dst B --size N [--df 1|0] [--rate PPS]\n"
		     "                  [--duration SEC] [--count N] [--batch 1..64]\n"
		     "                  [--sndbuf BYTES] [--id seq|zero] [--flows K]\n"
		     "       " TOOL " probe --src A --dst B --size N --count N --rate PPS\n"
		     "                  [--df 1|0] [--id seq|zero]\n"
		     "       " TOOL " sink  --listen ADDR --expect N --timeout SEC [--ready FILE]\n"
		     "addresses: RFC 5737 only; N: inner IPv4 packet 64..9000 (outer N+38)");
		exit(0);
	}
	if (argc < 2)
		kt_die(TOOL, "missing subcommand: send, probe or sink (--help for usage)");
	if (!strcmp(argv[1], "send"))
		o->mode = M_SEND;
	else if (!strcmp(argv[1], "probe"))
		o->mode = M_PROBE;
	else if (!strcmp(argv[1], "sink"))
		o->mode = M_SINK;
	else
		kt_die(TOOL, "unknown subcommand '%s': send, probe or sink", argv[1]);

	for (int i = 2; i < argc; i += 2) {
		const char *a = argv[i], *arg = argv[i + 1];

#define OPT(name, modes) (!strcmp(a, name) && mode_ok(o, a, modes, argv[1]))
		if (OPT("--src", M_SEND | M_PROBE) || OPT("--dst", M_SEND | M_PROBE) ||
		    OPT("--listen", M_SINK)) {
			uint32_t *dst = a[2] == 's' ? &o->src : a[2] == 'd' ? &o->dst : &o->listen;

			if (!arg || kt_parse_addr(arg, dst))
				kt_die(TOOL, "bad address for %s", a);
			if (!kt_addr_is_doc(*dst))
				kt_die(TOOL, "refusing %s %s: only RFC 5737 documentation addresses "
					     "(192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24)", a, arg);
			continue;
		}
#define NUM(name, modes, lo, hi, stmt)                                             \
	else if (OPT(name, modes)) {                                                \
		if (!arg || kt_parse_u64(arg, lo, hi, &v))                          \
			kt_die(TOOL, "bad value for %s (%llu..%llu)", name,         \
			       (unsigned long long)(lo), (unsigned long long)(hi)); \
		stmt;                                                               \
	}
		NUM("--size", M_SEND | M_PROBE, 64, 9000, o->size = (unsigned)v)
		NUM("--df", M_SEND | M_PROBE, 0, 1, o->df = (int)v)
		NUM("--rate", M_SEND | M_PROBE, 0, 10000000, (o->rate = v, have_rate = 1))
		NUM("--count", M_SEND | M_PROBE, 1, 1000000000000ull, (o->count = v, have_count = 1))
		NUM("--batch", M_SEND, 1, MAX_BATCH, o->batch = (unsigned)v)
		NUM("--sndbuf", M_SEND, 4096, 1u << 30, o->sndbuf = v)
		NUM("--flows", M_SEND, 1, MAX_FLOWS, o->flows = (unsigned)v)
		NUM("--expect", M_SINK, 1, 10000000, o->expect = v)
#undef NUM
		else if (OPT("--duration", M_SEND) || OPT("--timeout", M_SINK)) {
			if (parse_seconds(arg, MAX_SECONDS, a[2] == 'd' ? &o->duration : &o->timeout))
				kt_die(TOOL, "bad value for %s (seconds, > 0, <= 600)", a);
		} else if (OPT("--id", M_SEND | M_PROBE)) {
			if (!arg || (strcmp(arg, "seq") && strcmp(arg, "zero")))
				kt_die(TOOL, "--id must be seq or zero");
			o->id_zero = !strcmp(arg, "zero");
		} else if (OPT("--ready", M_SINK)) {
			if (!arg || !*arg)
				kt_die(TOOL, "--ready needs a file name");
			o->ready = arg;
		} else {
			kt_die(TOOL, "unknown option '%s' for %s", a, argv[1]);
		}
#undef OPT
	}

	if (o->mode == M_SINK) {
		if (!o->listen || !o->expect || !(o->timeout > 0))
			kt_die(TOOL, "sink needs --listen, --expect and --timeout");
		return;
	}
	if (!o->src || !o->dst || !o->size)
		kt_die(TOOL, "%s needs --src, --dst and --size", argv[1]);
	if (o->mode == M_PROBE) {
		if (!have_count || !have_rate || !o->rate || o->rate > 1000000)
			kt_die(TOOL, "probe needs --count N and --rate PPS (1..1000000)");
		o->duration = MAX_SECONDS;
	} else if (!have_count && !(o->duration > 0)) {
		kt_die(TOOL, "send needs --count or --duration");
	}
	if (!(o->duration > 0))
		o->duration = MAX_SECONDS; /* --count alone: still a hard cap */
	if (!have_count)
		o->count = UINT64_MAX;
}

/* ------------------------------------------------------------ packets */

/* Payload byte at offset off after the UDP header. */
static uint8_t pattern(size_t off)
{
	return (uint8_t)(off * 7 + 0x5a);
}

/* Builds the per-packet head (all headers + first TAG_LEN payload bytes)
 * with outer ID and checksum 0; returns the ones' complement sum of the
 * outer header as built, so a packet only adds its ID (see stamp_outer). */
static uint32_t build_head(uint8_t *h, const struct opts *o)
{
	static const uint8_t inner_src[4] = { 198, 51, 100, 1 }, inner_dst[4] = { 198, 51, 100, 2 };
	static const uint8_t eth[14] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00 };
	uint8_t *in = h + OUTER_EXTRA, *udp = in + 20;
	uint32_t sum = 0;

	memset(h, 0, HEAD_LEN);
	h[0] = 0x45;
	kt_put16(h + 2, (uint16_t)(o->size + OUTER_EXTRA));
	kt_put16(h + 6, o->df ? KT_IP_DF : 0);
	h[8] = 64;
	h[9] = KT_PROTO_GRE;
	memcpy(h + 12, &o->src, 4);
	memcpy(h + 16, &o->dst, 4);
	kt_put16(h + 22, 0x6558);
	memcpy(h + 24, eth, sizeof(eth));
	in[0] = 0x45;
	kt_put16(in + 2, (uint16_t)o->size);
	kt_put16(in + 6, KT_IP_DF); /* the VM's own PMTU discovery sets DF */
	in[8] = 64;
	in[9] = KT_PROTO_UDP;
	memcpy(in + 12, inner_src, 4);
	memcpy(in + 16, inner_dst, 4);
	kt_put16(in + 10, kt_ip_checksum(in, 20));
	kt_put16(udp, UDP_SPORT);
	kt_put16(udp + 2, 9);
	kt_put16(udp + 4, (uint16_t)(o->size - 20));
	for (size_t i = 0; i < TAG_LEN; i++)
		udp[8 + i] = pattern(i);
	for (int i = 0; i < 20; i += 2)
		sum += kt_get16(h + i);
	return sum;
}

/* Shared rest of the payload (after the head): one buffer for all packets. */
static uint8_t *build_tail(const struct opts *o, size_t *len)
{
	uint8_t *t;

	*len = o->size - 28 - TAG_LEN;
	t = malloc(*len);
	if (!t)
		fatal("out of memory");
	for (size_t i = 0; i < *len; i++)
		t[i] = pattern(TAG_LEN + i);
	return t;
}

/* Sets the outer ID and its header checksum: base + ID, folded. The kernel
 * recomputes the checksum of IP_HDRINCL packets anyway; ours is for
 * captures taken before that and to send what gretap would. */
static inline void stamp_outer(uint8_t *h, uint32_t base, uint16_t id)
{
	uint32_t s = base + id;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	kt_put16(h + 4, id);
	kt_put16(h + 10, (uint16_t)~s);
}

/* --id seq: like Linux's per-destination counter, a random start, +1 per
 * packet, never 0. *ctr is the last ID used (0 for --id zero). */
static inline uint16_t next_id(const struct opts *o, uint16_t *ctr)
{
	if (o->id_zero)
		return 0;
	if (!++*ctr)
		++*ctr;
	return *ctr;
}

static uint16_t random_id(void)
{
	uint16_t v = 0;

	if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
		v = (uint16_t)kt_mono_ns();
	return v;
}

/* ------------------------------------------------------------ sending */

static int open_sender(const struct opts *o)
{
	int one = 1, fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	struct timeval tv = { 0, 200000 };

	if (fd < 0)
		fatal("raw socket: %s (needs CAP_NET_RAW)", strerror(errno));
	/* RECVERR: a packet longer than the device MTU then leaves an error
	 * with that MTU on the error queue (see check_emsgsize), and ENOBUFS
	 * is reported instead of silently counted as sent. */
	if (setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one)))
		fatal("IP_RECVERR: %s", strerror(errno));
	/* A full send buffer (e.g. packets held in an NFQUEUE) blocks the
	 * sender at most this long, so --duration holds. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (o->sndbuf) {
		int b = (int)o->sndbuf;

		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &b, sizeof(b)) &&
		    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &b, sizeof(b)))
			fatal("--sndbuf: %s", strerror(errno));
	}
	/* Sleeps end within ~1 us of the deadline, not the default 50 us. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	return fd;
}

/* EMSGSIZE means one of two things: the packet exceeds the outgoing
 * device's MTU (raw_send_hdrinc, which queues a local error carrying that
 * MTU: fatal, nothing can be sent), or a DF=1 packet exceeds the route MTU
 * and the kernel refused to fragment it (an expected drop: counted). */
static void check_emsgsize(int fd, const struct opts *o)
{
	uint8_t data[64];
	union {
		char buf[256];
		struct cmsghdr align;
	} c;

	for (;;) {
		struct iovec iov = { data, sizeof(data) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf,
				     .msg_controllen = sizeof(c.buf) };

		if (recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			return;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			struct sock_extended_err ee;

			if (cm->cmsg_level != IPPROTO_IP || cm->cmsg_type != IP_RECVERR)
				continue;
			memcpy(&ee, CMSG_DATA(cm), sizeof(ee));
			if (ee.ee_origin == SO_EE_ORIGIN_LOCAL && ee.ee_errno == EMSGSIZE)
				fatal("outer packets of %u bytes (--size %u + 38) exceed the MTU %u "
				      "of the outgoing device: raise the device (veth) MTU to at "
				      "least %u",
				      o->size + OUTER_EXTRA, o->size, (unsigned)ee.ee_info,
				      o->size + OUTER_EXTRA);
		}
	}
}

/* Counts a failed send (ENOBUFS, EAGAIN, EPERM from a dropping rule, ...);
 * each kind is reported once on stderr. */
static void send_error(int fd, const struct opts *o, int err, uint64_t *errors)
{
	static int seen[16];
	static unsigned nseen;
	unsigned i;

	(*errors)++;
	if (err == EMSGSIZE)
		check_emsgsize(fd, o);
	for (i = 0; i < nseen && seen[i] != err; i++)
		;
	if (i < nseen || nseen == 16)
		return;
	seen[nseen++] = err;
	fprintf(stderr, TOOL ": send: %s%s; counted in errors\n", strerror(err),
		err == EMSGSIZE ? " (DF=1 packets above the route MTU, dropped by the kernel)" : "");
}

static int cmd_send(const struct opts *o)
{
	static uint8_t head[MAX_BATCH][HEAD_LEN];
	static struct iovec iov[MAX_BATCH][2];
	static struct mmsghdr msgs[MAX_BATCH];
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = o->dst };
	int fd = open_sender(o);
	size_t tail_len;
	uint8_t *tail = build_tail(o, &tail_len);
	uint32_t base = build_head(head[0], o);
	uint64_t done = 0, sent = 0, errors = 0;
	int64_t t0 = kt_mono_ns(), t_end = t0 + (int64_t)(o->duration * 1e9), elapsed;
	unsigned flow = 0;
	uint16_t id = random_id();
	struct pacer pc;

	for (unsigned i = 0; i < MAX_BATCH; i++) {
		memcpy(head[i], head[0], HEAD_LEN);
		iov[i][0] = (struct iovec){ head[i], HEAD_LEN };
		iov[i][1] = (struct iovec){ tail, tail_len };
		msgs[i].msg_hdr = (struct msghdr){ .msg_name = &to, .msg_namelen = sizeof(to),
						   .msg_iov = iov[i], .msg_iovlen = 2 };
	}
	pacer_init(&pc, o->rate, o->batch, t0);
	while (done < o->count && !stop_flag && pacer_wait(&pc, done, t_end)) {
		unsigned n = o->batch, i = 0;

		if (o->count - done < n)
			n = (unsigned)(o->count - done);
		for (unsigned k = 0; k < n; k++) {
			stamp_outer(head[k], base, next_id(o, &id));
			if (o->flows > 1) {
				kt_put16(head[k] + HDRS_LEN - 8, (uint16_t)(UDP_SPORT + flow));
				if (++flow == o->flows)
					flow = 0;
			}
		}
		/* sendmmsg stops at the first failing message and reports the
		 * error on the call that starts with it: count it, skip it. */
		while (i < n) {
			int r = sendmmsg(fd, msgs + i, n - i, 0);

			if (r > 0) {
				sent += (unsigned)r;
				i += (unsigned)r;
			} else if (r < 0 && errno == EINTR && !stop_flag) {
				continue;
			} else {
				send_error(fd, o, r < 0 ? errno : EIO, &errors);
				i++;
			}
		}
		done += n;
	}
	elapsed = kt_mono_ns() - t0;
	/* Paced, the run lasts until the next batch would have been due: N
	 * packets sent on schedule at R pps report exactly R. */
	if (pacer_due(&pc, done) - t0 > elapsed)
		elapsed = pacer_due(&pc, done) - t0;
	if (elapsed <= 0)
		elapsed = 1;
	printf("sent=%llu errors=%llu elapsed_ns=%lld pps=%.0f size=%u outer=%u\n",
	       (unsigned long long)sent, (unsigned long long)errors, (long long)elapsed,
	       (double)sent * 1e9 / (double)elapsed, o->size, o->size + OUTER_EXTRA);
	free(tail);
	close(fd);
	return 0;
}

static int cmd_probe(const struct opts *o)
{
	static uint8_t head[HEAD_LEN];
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = o->dst };
	int fd = open_sender(o);
	size_t tail_len;
	uint8_t *tail = build_tail(o, &tail_len), *tag = head + HDRS_LEN;
	uint32_t base = build_head(head, o);
	struct iovec iov[2] = { { head, HEAD_LEN }, { tail, tail_len } };
	struct msghdr mh = { .msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = iov,
			     .msg_iovlen = 2 };
	uint64_t seq, sent = 0, errors = 0;
	int64_t t0 = kt_mono_ns(), t_end = t0 + (int64_t)(o->duration * 1e9);
	uint16_t id = random_id();
	struct pacer pc;

	memcpy(tag, PROBE_MAGIC, 8);
	pacer_init(&pc, o->rate, 1, t0);
	for (seq = 0; seq < o->count && !stop_flag && pacer_wait(&pc, seq, t_end); seq++) {
		stamp_outer(head, base, next_id(o, &id));
		put64(tag + 8, seq);
		for (;;) {
			put64(tag + 16, (uint64_t)kt_now_ns()); /* immediately before the send */
			if (sendmsg(fd, &mh, 0) >= 0) {
				sent++;
			} else if (errno == EINTR && !stop_flag) {
				continue;
			} else {
				send_error(fd, o, errno, &errors);
			}
			break;
		}
	}
	printf("sent=%llu errors=%llu elapsed_ns=%lld\n", (unsigned long long)sent,
	       (unsigned long long)errors, (long long)(kt_mono_ns() - t0));
	free(tail);
	close(fd);
	return 0;
}

/* ------------------------------------------------------------ sink */

/* Finds the probe tag in a received (reassembled) outer datagram addressed
 * to `listen`; 1 and its sequence number and send time if present. */
static int parse_probe(const uint8_t *p, size_t len, uint32_t listen, uint64_t *seq,
		       int64_t *sent_ns)
{
	size_t ihl, off, glen = 4;
	uint16_t gflags;

	if (len < 20 || p[0] >> 4 != 4 || (ihl = (size_t)(p[0] & 15) * 4) < 20 || len < ihl)
		return 0;
	if (kt_get32n(p + 16) != listen || p[9] != KT_PROTO_GRE ||
	    (kt_get16(p + 6) & (KT_IP_MF | KT_IP_OFFMASK)))
		return 0;
	if (len < ihl + 4)
		return 0;
	gflags = kt_get16(p + ihl);
	if (gflags & 0x0fff || kt_get16(p + ihl + 2) != 0x6558) /* version 0, no routing */
		return 0;
	glen += (gflags & 0x8000 ? 4 : 0) + (gflags & 0x2000 ? 4 : 0) + (gflags & 0x1000 ? 4 : 0);
	off = ihl + glen; /* Ethernet */
	if (len < off + 14 + 20 || kt_get16(p + off + 12) != 0x0800)
		return 0;
	off += 14; /* inner IPv4 */
	if (p[off] >> 4 != 4 || p[off + 9] != KT_PROTO_UDP)
		return 0;
	off += (size_t)(p[off] & 15) * 4 + 8; /* UDP payload */
	if (len < off + TAG_LEN || memcmp(p + off, PROBE_MAGIC, 8))
		return 0;
	*seq = get64(p + off + 8);
	*sent_ns = (int64_t)get64(p + off + 16);
	return 1;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest rank: the smallest sample with at least pct% at or below it. */
static double pct_us(const int64_t *s, uint64_t n, unsigned pct)
{
	uint64_t rank = (pct * n + 99) / 100;

	return (double)s[rank ? rank - 1 : 0] / 1e3;
}

static int cmd_sink(const struct opts *o)
{
	static uint8_t buf[65536];
	union {
		char buf[256];
		struct cmsghdr align;
	} c;
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_addr.s_addr = o->listen };
	int fd, one = 1, rcvbuf = 32 << 20;
	int64_t *lat = calloc(o->expect, sizeof(*lat));
	uint8_t *seen = calloc((o->expect + 7) / 8, 1);
	uint64_t got = 0;
	int64_t deadline;
	sigset_t block, orig;

	if (!lat || !seen)
		fatal("out of memory");
	/* Signals only interrupt ppoll: none is lost between a check and the wait. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &orig);
	/* A raw GRE socket sees datagrams after IP reassembly. */
	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_GRE);
	if (fd < 0)
		fatal("raw GRE socket: %s (needs CAP_NET_RAW)", strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)))
		fatal("SO_TIMESTAMPNS: %s", strerror(errno));
	/* Bound, the kernel keeps the flood to other addresses out of our
	 * receive buffer; the address check below is the filter of record. */
	if (bind(fd, (struct sockaddr *)&me, sizeof(me)))
		fprintf(stderr, TOOL ": bind %s: %s; filtering in userspace\n",
			kt_addr_str(o->listen, (char[16]){ 0 }), strerror(errno));
	if (o->ready) {
		int rfd = open(o->ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

		if (rfd < 0)
			fatal("--ready %s: %s", o->ready, strerror(errno));
		close(rfd);
	}
	deadline = kt_mono_ns() + (int64_t)(o->timeout * 1e9);
	while (got < o->expect && !stop_flag) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - kt_mono_ns();
		struct timespec ts = { .tv_sec = left / NS, .tv_nsec = left % NS };

		if (left <= 0)
			break;
		if (ppoll(&pfd, 1, &ts, &orig) < 0) {
			if (errno == EINTR)
				continue;
			fatal("ppoll: %s", strerror(errno));
		}
		while (got < o->expect) {
			struct iovec iov = { buf, sizeof(buf) };
			struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf,
					     .msg_controllen = sizeof(c.buf) };
			ssize_t n = recvmsg(fd, &mh, 0);
			int64_t rx_ns = -1, sent_ns;
			uint64_t seq;

			if (n < 0) {
				if (errno == EAGAIN || errno == EINTR)
					break;
				fatal("recvmsg: %s", strerror(errno));
			}
			for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
				if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
					struct timespec t;

					memcpy(&t, CMSG_DATA(cm), sizeof(t));
					rx_ns = (int64_t)t.tv_sec * NS + t.tv_nsec;
				}
			if (rx_ns < 0)
				rx_ns = kt_now_ns();
			if (!parse_probe(buf, (size_t)n, o->listen, &seq, &sent_ns) ||
			    seq >= o->expect || seen[seq / 8] & (1u << (seq % 8)))
				continue; /* not ours, out of range or a duplicate */
			seen[seq / 8] |= (uint8_t)(1u << (seq % 8));
			lat[got++] = rx_ns - sent_ns;
		}
	}
	if (!got) {
		printf("received=0 lost=%llu\n", (unsigned long long)o->expect);
		return 1;
	}
	qsort(lat, got, sizeof(*lat), cmp_i64);
	printf("received=%llu lost=%llu p50_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%.1f "
	       "min_us=%.1f\n",
	       (unsigned long long)got, (unsigned long long)(o->expect - got),
	       pct_us(lat, got, 50), pct_us(lat, got, 90), pct_us(lat, got, 99),
	       (double)lat[got - 1] / 1e3, (double)lat[0] / 1e3);
	free(lat);
	free(seen);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct sigaction sa;

	parse_args(&o, argc, argv);
	/* No SA_RESTART: a signal ends a blocking send or wait at once. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	switch (o.mode) {
	case M_SEND: return cmd_send(&o);
	case M_PROBE: return cmd_probe(&o);
	default: return cmd_sink(&o);
	}
}
