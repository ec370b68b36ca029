/* SPDX-License-Identifier: GPL-2.0-or-later */
/* l2fq_recv: receives (reassembled) IPv4 packets on raw sockets in the
 * receiving namespace and checks them against the senders' manifests.
 *
 *   l2fq_recv --manifest FILE [--manifest FILE...] [--proto P...] [--from A]
 *             [policy] [--deadline S] [--idle MS] [--linger MS] [--ready FILE]
 *             [--report FILE] [--label TEXT] [--progress FILE]
 *
 * It starts receiving at once; the manifests are read when they all exist
 * (senders write them when they finish). Every packet is matched by
 * (protocol, total length, SHA-256 of everything after the IP header). Per
 * flow it reports missing, duplicate, out-of-order, corrupt (a stream tag
 * whose pattern is broken), unexpected (arrived though the policy says it
 * cannot, e.g. DF=1 above the path MTU without a fixer), foreign (no match
 * and no tag of ours) and header mismatches (anything the fixer may not
 * change). Stops when every expected packet arrived (plus --linger), after
 * --idle without packets once the manifests are read, at --deadline, or on
 * SIGTERM/SIGINT. Exit 0 if nothing is wrong, 1 otherwise, 2 on usage. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kt_common.h"

#define TOOL "l2fq_recv"
#define MAX_MANIFESTS 16
#define MAX_SOCKS 8
#define MAX_SHOW 12

struct rx {
	uint16_t len;
	uint8_t proto;
	uint8_t hdr[60];
	uint8_t sha[32];
	uint8_t tagged, pattern_ok;
	uint32_t run, flow, seq;
	int64_t t_ns;
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

struct flowstate {
	uint32_t flow;
	uint32_t manifest;
	int64_t max_idx;
};

static struct {
	const char *manifests[MAX_MANIFESTS];
	unsigned nman;
	uint8_t protos[MAX_SOCKS];
	unsigned nprotos;
	uint32_t from;
	struct kt_policy pol;
	double deadline_s;
	int64_t idle_ms, linger_ms;
	const char *ready, *report, *label, *progress;
} opt;
static struct kt_progress *progress;

static struct kt_manifest man[MAX_MANIFESTS];
static struct kt_index ix;
static struct rx *rxs;
static size_t nrx, caprx, matched_upto;
static size_t expected, arrived_expected;
static unsigned long long n_dup, n_unexp, n_ooo, n_corrupt, n_foreign, n_hdr;
static struct flowstate flows[256];
static unsigned nflows;

static void usage(void)
{
	fprintf(stderr, "usage: " TOOL " --manifest FILE... [--proto P...] [--from ADDR]\n"
			KT_POLICY_USAGE
			"  --deadline S  --idle MS (2000)  --linger MS (300)\n"
			"  --ready FILE  --report FILE  --label TEXT\n"
			"  --progress FILE  shared counter for l2fq_send --window\n");
	exit(2);
}

static void show(unsigned long long count, const char *fmt, ...) KT_PRINTF(2, 3);
static void show(unsigned long long count, const char *fmt, ...)
{
	va_list ap;

	if (count > MAX_SHOW)
		return;
	fprintf(stderr, "  %s: ", opt.label);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int manifests_present(void)
{
	struct stat st;

	for (unsigned i = 0; i < opt.nman; i++)
		if (stat(opt.manifests[i], &st) != 0)
			return 0;
	return 1;
}

static void load_manifests(void)
{
	for (unsigned i = 0; i < opt.nman; i++) {
		int r = kt_manifest_read(&man[i], opt.manifests[i]);

		if (r)
			kt_die(TOOL, "%s: %s", opt.manifests[i],
			       r == -1 ? strerror(errno) : "malformed manifest");
		for (size_t j = 0; j < man[i].n; j++) {
			if (!kt_addr_is_doc(man[i].p[j].dst) || !kt_addr_is_doc(man[i].p[j].src))
				kt_die(TOOL, "%s: refusing addresses outside the documentation ranges",
				       opt.manifests[i]);
			kt_policy_apply(&opt.pol, &man[i].p[j]);
			expected += man[i].p[j].expect;
		}
	}
	kt_index_build(&ix, man, opt.nman);
}

static struct flowstate *flow_of(unsigned mi, uint32_t flow)
{
	for (unsigned i = 0; i < nflows; i++)
		if (flows[i].flow == flow && flows[i].manifest == mi)
			return &flows[i];
	if (nflows == 256)
		kt_die(TOOL, "too many flows");
	flows[nflows].flow = flow;
	flows[nflows].manifest = mi;
	flows[nflows].max_idx = -1;
	return &flows[nflows++];
}

static unsigned manifest_of(const struct kt_pkt *p)
{
	for (unsigned i = 0; i < opt.nman; i++)
		if (p >= man[i].p && p < man[i].p + man[i].n)
			return i;
	return 0;
}

static void match_one(struct rx *r, uint32_t order)
{
	struct kt_pkt *p = kt_index_find(&ix, r->proto, r->len, r->sha);
	const char *bad;
	struct flowstate *fs;
	unsigned mi;

	if (!p) {
		int ours = 0;

		for (unsigned i = 0; r->tagged && i < opt.nman; i++)
			ours |= man[i].run == r->run;
		if (ours) {
			n_corrupt++;
			show(n_corrupt, "CORRUPT flow %u seq %u (%u bytes): payload differs from what "
					"was sent%s", r->flow, r->seq, r->len,
			     r->pattern_ok ? "" : " (pattern broken)");
		} else {
			n_foreign++;
			show(n_foreign, "FOREIGN packet: protocol %u, %u bytes, matches nothing sent",
			     r->proto, r->len);
		}
		return;
	}
	mi = manifest_of(p);
	if (p->seen) {
		p->seen++;
		n_dup++;
		show(n_dup, "DUPLICATE flow %u seq %u (%u bytes) arrived %u times", p->flow, p->seq,
		     p->totlen, p->seen);
		return;
	}
	p->seen = 1;
	p->seen_order = order;
	p->got_id = kt_get16(r->hdr + 4);
	if (!p->expect) {
		n_unexp++;
		show(n_unexp, "UNEXPECTED flow %u seq %u (%u bytes, DF=%u%s) arrived", p->flow, p->seq,
		     p->totlen, p->df, p->err ? ", send failed" : "");
	} else {
		arrived_expected++;
	}
	fs = flow_of(mi, p->flow);
	if ((int64_t)p->idx < fs->max_idx) {
		n_ooo++;
		show(n_ooo, "OUT-OF-ORDER flow %u seq %u arrived after seq index %lld", p->flow, p->seq,
		     (long long)fs->max_idx);
	} else {
		fs->max_idx = p->idx;
	}
	bad = kt_header_check(&opt.pol, p, r->hdr, sizeof(r->hdr), 2);
	if (bad) {
		n_hdr++;
		snprintf(p->note, sizeof(p->note), "%s", bad);
		show(n_hdr, "HEADER flow %u seq %u (%u bytes): %s", p->flow, p->seq, p->totlen, bad);
	}
}

static void receive(int fd)
{
	static uint8_t buf[65536];

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		struct rx *r;
		size_t ihl;

		if (n < 0)
			return;
		if (n < 20 || buf[0] >> 4 != 4)
			continue;
		ihl = (size_t)(buf[0] & 15) * 4;
		if (ihl < 20 || (size_t)n < ihl)
			continue;
		if (opt.from && kt_get32n(buf + 12) != opt.from)
			continue;
		if (nrx == caprx) {
			caprx = caprx ? 2 * caprx : 4096;
			rxs = realloc(rxs, caprx * sizeof(*rxs));
			if (!rxs)
				kt_die(TOOL, "out of memory");
		}
		r = &rxs[nrx++];
		memset(r, 0, sizeof(*r));
		r->len = (uint16_t)n;
		r->proto = buf[9];
		memcpy(r->hdr, buf, ihl);
		kt_sha256(buf + ihl, (size_t)n - ihl, r->sha);
		r->t_ns = kt_now_ns();
		{
			uint32_t total;

			r->tagged = (uint8_t)kt_parse_tag(buf + ihl, (size_t)n - ihl, r->proto, &r->run,
							   &r->flow, &r->seq, &total);
			if (r->tagged)
				r->pattern_ok = (uint8_t)kt_check_pattern(buf + ihl, (size_t)n - ihl,
									  r->proto);
		}
		if (progress) {
			if (r->tagged) {
				uint64_t *fb = &progress->flow_bytes[r->flow % KT_PROGRESS_FLOWS];

				__atomic_store_n(fb, *fb + (uint64_t)n, __ATOMIC_RELEASE);
			}
			__atomic_store_n(&progress->bytes, progress->bytes + (uint64_t)n, __ATOMIC_RELEASE);
			__atomic_store_n(&progress->packets, progress->packets + 1, __ATOMIC_RELEASE);
		}
	}
}

/* Drops the kernel counted on our raw sockets (/proc/net/raw, last column,
 * matched by socket inode). */
static unsigned long long socket_drops(const int *fds, unsigned n)
{
	unsigned long long total = 0;
	char line[512];
	FILE *f = fopen("/proc/net/raw", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long inode = 0;
		unsigned long long drops = 0;
		char *tok, *save = NULL;
		int col = 0;

		for (tok = strtok_r(line, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
			if (col == 9)
				inode = strtoul(tok, NULL, 10);
			drops = strtoull(tok, NULL, 10);
			col++;
		}
		for (unsigned i = 0; i < n && col > 10; i++) {
			struct stat st;

			if (fstat(fds[i], &st) == 0 && st.st_ino == inode)
				total += drops;
		}
	}
	fclose(f);
	return total;
}

static void write_report(void)
{
	FILE *f = fopen(opt.report, "w");

	if (!f)
		kt_die(TOOL, "cannot write %s: %s", opt.report, strerror(errno));
	fprintf(f, "# manifest idx flow seq t_send_ns totlen df sent_id expect arrived got_id note\n");
	for (unsigned i = 0; i < opt.nman; i++)
		for (size_t j = 0; j < man[i].n; j++) {
			const struct kt_pkt *p = &man[i].p[j];

			fprintf(f, "%u %u %u %u %lld %u %u %u %d %u %u %s\n", i, (unsigned)p->idx,
				(unsigned)p->flow, (unsigned)p->seq, (long long)p->t_ns, p->totlen,
				p->df, p->id, p->expect, p->seen, p->seen ? p->got_id : 0,
				p->note[0] ? "header" : "-");
		}
	fclose(f);
}

int main(int argc, char **argv)
{
	int fds[MAX_SOCKS];
	struct pollfd pfd[MAX_SOCKS];
	int64_t start, last_rx, loaded_at = 0, linger_until = 0, deadline;
	int loaded = 0, bad;
	unsigned long long missing = 0, send_err = 0, sock_drops;
	struct sigaction sa;
	int bufsz = 64 << 20;

	opt.pol.mtu = 1420;
	opt.deadline_s = 60;
	opt.idle_ms = 2000;
	opt.linger_ms = 300;
	opt.label = "recv";
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *arg = i + 1 < argc ? argv[i + 1] : NULL;
		int r = kt_policy_option(&opt.pol, a, arg);
		uint64_t v;

		if (r < 0)
			kt_die(TOOL, "bad value for %s", a);
		if (r > 0) {
			i += r - 1;
			continue;
		}
		if (!arg && strcmp(a, "-h") && strcmp(a, "--help"))
			kt_die(TOOL, "%s needs a value", a);
		if (!strcmp(a, "--manifest")) {
			if (opt.nman == MAX_MANIFESTS)
				kt_die(TOOL, "too many manifests");
			opt.manifests[opt.nman++] = arg;
		} else if (!strcmp(a, "--proto")) {
			if (opt.nprotos == MAX_SOCKS || kt_parse_u64(arg, 1, 254, &v))
				kt_die(TOOL, "bad --proto");
			opt.protos[opt.nprotos++] = (uint8_t)v;
		} else if (!strcmp(a, "--from")) {
			if (kt_parse_addr(arg, &opt.from) || !kt_addr_is_doc(opt.from))
				kt_die(TOOL, "bad --from (documentation addresses only)");
		} else if (!strcmp(a, "--deadline")) {
			if (kt_parse_u64(arg, 1, 3600, &v))
				kt_die(TOOL, "bad --deadline");
			opt.deadline_s = (double)v;
		} else if (!strcmp(a, "--idle")) {
			if (kt_parse_u64(arg, 1, 600000, &v))
				kt_die(TOOL, "bad --idle");
			opt.idle_ms = (int64_t)v;
		} else if (!strcmp(a, "--linger")) {
			if (kt_parse_u64(arg, 0, 600000, &v))
				kt_die(TOOL, "bad --linger");
			opt.linger_ms = (int64_t)v;
		} else if (!strcmp(a, "--ready")) {
			opt.ready = arg;
		} else if (!strcmp(a, "--progress")) {
			opt.progress = arg;
		} else if (!strcmp(a, "--report")) {
			opt.report = arg;
		} else if (!strcmp(a, "--label")) {
			opt.label = arg;
		} else {
			usage();
		}
		i++;
	}
	if (!opt.nman)
		usage();
	if (!opt.nprotos)
		opt.protos[opt.nprotos++] = KT_PROTO_GRE;
	for (unsigned i = 0; i < opt.pol.npeers; i++)
		if (!kt_addr_is_doc(opt.pol.peers[i]))
			kt_die(TOOL, "refusing peer outside the documentation ranges");

	for (unsigned i = 0; i < opt.nprotos; i++) {
		fds[i] = socket(AF_INET, SOCK_RAW, opt.protos[i]);
		if (fds[i] < 0)
			kt_die(TOOL, "raw socket for protocol %u: %s", opt.protos[i], strerror(errno));
		if (setsockopt(fds[i], SOL_SOCKET, SO_RCVBUFFORCE, &bufsz, sizeof(bufsz)))
			setsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof(bufsz));
		pfd[i].fd = fds[i];
		pfd[i].events = POLLIN;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (opt.progress && !(progress = kt_progress_map(opt.progress, 1)))
		kt_die(TOOL, "cannot map %s: %s", opt.progress, strerror(errno));
	if (opt.ready) {
		FILE *f = fopen(opt.ready, "w");

		if (!f)
			kt_die(TOOL, "cannot write %s", opt.ready);
		fprintf(f, "%d\n", (int)getpid());
		fclose(f);
	}

	start = kt_mono_ns();
	last_rx = start;
	deadline = start + (int64_t)(opt.deadline_s * 1e9);
	while (!stop_flag) {
		int64_t now;
		size_t before = nrx;

		if (poll(pfd, opt.nprotos, 50) > 0)
			for (unsigned i = 0; i < opt.nprotos; i++)
				if (pfd[i].revents & POLLIN)
					receive(fds[i]);
		now = kt_mono_ns();
		if (nrx != before)
			last_rx = now;
		if (!loaded && manifests_present()) {
			load_manifests();
			loaded = 1;
			loaded_at = now;
		}
		if (loaded) {
			for (; matched_upto < nrx; matched_upto++)
				match_one(&rxs[matched_upto], (uint32_t)matched_upto);
			if (arrived_expected == expected && !linger_until)
				linger_until = now + opt.linger_ms * 1000000;
			if (linger_until && now >= linger_until)
				break;
			if (now - (last_rx > loaded_at ? last_rx : loaded_at) > opt.idle_ms * 1000000)
				break;
		}
		if (now > deadline)
			break;
	}
	/* Whatever is still queued in the sockets counts too. */
	for (unsigned i = 0; i < opt.nprotos; i++)
		receive(fds[i]);
	if (!loaded) {
		if (!manifests_present()) {
			fprintf(stderr, "%s: FAIL: manifests never appeared (sender did not finish)\n",
				opt.label);
			return 1;
		}
		load_manifests();
	}
	for (; matched_upto < nrx; matched_upto++)
		match_one(&rxs[matched_upto], (uint32_t)matched_upto);

	for (unsigned i = 0; i < opt.nman; i++)
		for (size_t j = 0; j < man[i].n; j++) {
			const struct kt_pkt *p = &man[i].p[j];

			if (p->err)
				send_err++;
			if (p->expect && !p->seen) {
				missing++;
				show(missing, "MISSING flow %u seq %u (%u bytes, DF=%u, ID %u%s%s)", p->flow,
				     p->seq, p->totlen, p->df, p->id, p->err ? ", send failed: " : "",
				     p->err ? strerror(p->err) : "");
			}
		}
	if (missing > MAX_SHOW)
		fprintf(stderr, "  %s: ... %llu missing in all\n", opt.label, missing);
	if (opt.report)
		write_report();
	sock_drops = socket_drops(fds, opt.nprotos);
	bad = missing || n_dup || n_unexp || n_ooo || n_corrupt || n_foreign || n_hdr;
	printf("%s: received=%zu expected=%zu arrived=%zu missing=%llu unexpected=%llu "
	       "duplicate=%llu out-of-order=%llu corrupt=%llu foreign=%llu header-bad=%llu "
	       "send-errors=%llu socket-drops=%llu flows=%u elapsed=%.2fs\n",
	       opt.label, nrx, expected, arrived_expected, missing, n_unexp, n_dup, n_ooo, n_corrupt,
	       n_foreign, n_hdr, send_err, sock_drops, nflows, (double)(kt_mono_ns() - start) / 1e9);
	return bad ? 1 : 0;
}
