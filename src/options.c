/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "l2fragq/options.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	OPT_PEER = 256,
	OPT_RCVBUF,
	OPT_QUEUE_MAXLEN,
	OPT_FAIL_OPEN,
	OPT_STATS_INTERVAL,
	OPT_BATCH,
	OPT_USER,
	OPT_METRICS_FILE,
	OPT_QUEUES,
	OPT_GSO,
	OPT_PMTUD,
	OPT_PMTUD_MTU,
	OPT_PMTUD_MARK,
	OPT_PMTUD_FLOW_INTERVAL,
	OPT_PMTUD_RATE,
};

static const struct option long_options[] = {
	{ "queue", required_argument, NULL, 'q' },
	{ "threads", required_argument, NULL, 't' },
	{ "queues", required_argument, NULL, OPT_QUEUES },
	{ "peer", required_argument, NULL, OPT_PEER },
	{ "rcvbuf", required_argument, NULL, OPT_RCVBUF },
	{ "queue-maxlen", required_argument, NULL, OPT_QUEUE_MAXLEN },
	{ "fail-open", no_argument, NULL, OPT_FAIL_OPEN },
	{ "gso", no_argument, NULL, OPT_GSO },
	{ "pmtud", no_argument, NULL, OPT_PMTUD },
	{ "pmtud-mtu", required_argument, NULL, OPT_PMTUD_MTU },
	{ "pmtud-mark", required_argument, NULL, OPT_PMTUD_MARK },
	{ "pmtud-flow-interval", required_argument, NULL, OPT_PMTUD_FLOW_INTERVAL },
	{ "pmtud-rate", required_argument, NULL, OPT_PMTUD_RATE },
	{ "stats-interval", required_argument, NULL, OPT_STATS_INTERVAL },
	{ "batch", required_argument, NULL, OPT_BATCH },
	{ "user", required_argument, NULL, OPT_USER },
	{ "metrics-file", required_argument, NULL, OPT_METRICS_FILE },
	{ "read", required_argument, NULL, 'r' },
	{ "write", required_argument, NULL, 'w' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static const char short_options[] = ":q:t:r:w:hV";

static const char usage_text[] =
	"Usage: l2fragq [OPTIONS]                 run as NFQUEUE daemon\n"
	"       l2fragq -r IN [-w OUT] [OPTIONS]   rewrite a capture file\n"
	"\n"
	"Clears DF on outer IPv4 GRE packets (gretap over a smaller-MTU path) so the\n"
	"kernel can fragment them; gives an ID to those with ID 0. Everything else is\n"
	"passed unchanged and counted.\n"
	"\n"
	"Daemon:\n"
	"  -q, --queue N           first queue number (default 0)\n"
	"  -t, --threads N         worker threads; binds queues N..N+threads-1 (default 1)\n"
	"      --queues A-B        same as --queue A --threads B-A+1 (nft 'fanout to A-B')\n"
	"      --batch N           packets per receive/verdict call, 1..64 (default 16;\n"
	"                          1 is the one-packet-per-syscall naive mode)\n"
	"      --rcvbuf BYTES      netlink receive buffer, K/M/G suffix (default 16M)\n"
	"      --queue-maxlen N    kernel queue length, packets (default 4096; the\n"
	"                          kernel's own default is 1024)\n"
	"      --fail-open         when a queue is full, kernel accepts packets unchanged\n"
	"                          instead of dropping them\n"
	"      --gso               experimental: one queue round trip per GSO packet\n"
	"                          (NFQA_CFG_F_GSO); finishes partial inner TCP/UDP\n"
	"                          checksums before returning a packet\n"
	"      --stats-interval S  print counters every S seconds (default 0: only on\n"
	"                          SIGUSR1 and at exit)\n"
	"      --metrics-file PATH write Prometheus metrics to PATH (atomically) every\n"
	"                          stats interval, or every 15 s without one\n"
	"      --user NAME         after binding, run as NAME keeping only CAP_NET_ADMIN\n"
	"Bridged path-MTU discovery (daemon):\n"
	"      --pmtud             answer an outer GRE packet too big for its path with\n"
	"                          ICMP frag-needed / ICMPv6 packet-too-big into the VM\n"
	"                          bridge, as if from the inner destination; the packet\n"
	"                          itself still goes (needs CAP_NET_RAW at start)\n"
	"      --pmtud-mtu BYTES   path MTU 576..65535 (default: the kernel's route MTU\n"
	"                          to each gretap remote, followed as it changes)\n"
	"      --pmtud-mark MARK   socket mark of the signal frames (default 0x6c32)\n"
	"      --pmtud-flow-interval MS  at most one signal per inner source and\n"
	"                          destination per MS, burst 6 (default 1000, 0 = off)\n"
	"      --pmtud-rate N      at most N signals per second in all, burst 50\n"
	"                          (default 1000, 0 = no limit)\n"
	"Offline:\n"
	"  -r, --read FILE         read pcap or pcapng FILE ('-' for stdin)\n"
	"  -w, --write FILE        write the result to FILE ('-' for stdout) in the\n"
	"                          input's format (a .pcap name: pcap from a pcapng of\n"
	"                          one interface); without -w only the summary is printed\n"
	"Both:\n"
	"      --peer ADDR[/LEN]   only rewrite GRE to this IPv4 peer or prefix;\n"
	"                          repeatable (default: any destination)\n"
	"  -h, --help              show this help\n"
	"  -V, --version           show the version\n"
	"\n"
	"Exit status: 0 ok, 1 runtime error, 2 bad usage, 3 missing CAP_NET_ADMIN,\n"
	"4 kernel lacks nfnetlink_queue, 5 queue bound by another process.\n";

const char *l2fq_options_usage(void)
{
	return usage_text;
}

__attribute__((format(printf, 3, 4)))
static enum l2fq_parse_result fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	/* Arguments are echoed: keep the message on one printable line. */
	for (char *c = err; errlen && *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return L2FQ_PARSE_ERROR;
}

/* Whole-string unsigned number within [min, max]; base 10, or 0 to allow 0x. */
static int parse_number(const char *s, int base, unsigned long min, unsigned long max,
			unsigned long *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, base);
	if (errno || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	return parse_number(s, 10, min, max, out);
}

/* Decimal with an optional K, M or G (powers of 1024). */
static int parse_size(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	default: break;
	}
	if (*end != '\0' || v > (max >> shift))
		return -1;
	v <<= shift;
	if (v < min)
		return -1;
	*out = (unsigned long)v;
	return 0;
}

/* Options that make no sense with --read: named in the error. */
static const int daemon_only[] = {
	'q', 't', OPT_QUEUES, OPT_BATCH, OPT_RCVBUF, OPT_QUEUE_MAXLEN, OPT_FAIL_OPEN, OPT_GSO,
	OPT_STATS_INTERVAL, OPT_USER, OPT_METRICS_FILE, OPT_PMTUD, OPT_PMTUD_MTU, OPT_PMTUD_MARK,
	OPT_PMTUD_FLOW_INTERVAL, OPT_PMTUD_RATE,
};

static const char *daemon_only_option(int c)
{
	for (size_t i = 0; i < sizeof(daemon_only) / sizeof(daemon_only[0]); i++)
		if (daemon_only[i] == c)
			for (const struct option *o = long_options; o->name; o++)
				if (o->val == c)
					return o->name;
	return NULL;
}

static void set_defaults(struct l2fq_options *o)
{
	memset(o, 0, sizeof(*o));
	o->mode = L2FQ_MODE_DAEMON;
	o->queue = 0;
	o->threads = 1;
	o->batch = L2FQ_DEFAULT_BATCH;
	o->rcvbuf = L2FQ_DEFAULT_RCVBUF;
	o->queue_maxlen = L2FQ_DEFAULT_QUEUE_MAXLEN;
	o->pmtud_mark = L2FQ_DEFAULT_PMTUD_MARK;
	o->pmtud_flow_interval_ms = L2FQ_DEFAULT_PMTUD_FLOW_INTERVAL_MS;
	o->pmtud_rate = L2FQ_DEFAULT_PMTUD_RATE;
}

/* The name of the option at argv[optind-1], as the user typed it. */
static const char *typed(char **argv, int index)
{
	return index > 0 ? argv[index - 1] : "?";
}

/* glibc reports "--flag=value" for a flag and an unknown option alike; the
 * message names what was typed either way. */
static enum l2fq_parse_result unknown_option(char **argv, int index, char *err, size_t errlen)
{
	const char *t = typed(argv, index);
	size_t namelen = strcspn(t, "=");

	if (strncmp(t, "--", 2) == 0 && t[namelen] == '=') {
		for (const struct option *o = long_options; o->name; o++)
			if (strlen(o->name) == namelen - 2 && strncmp(o->name, t + 2, namelen - 2) == 0)
				return fail(err, errlen, "--%s: takes no value", o->name);
	}
	if (strncmp(t, "--", 2) == 0)
		return fail(err, errlen, "%.*s: unknown option (see --help)", (int)namelen, t);
	if (optopt > 0 && optopt < 128)
		return fail(err, errlen, "-%c: unknown option (see --help)", optopt);
	return fail(err, errlen, "%s: unknown option (see --help)", t);
}

enum l2fq_parse_result l2fq_options_parse(int argc, char **argv, struct l2fq_options *o,
					  char *err, size_t errlen)
{
	const char *daemon_only_name = NULL, *pmtud_detail = NULL;
	unsigned long v;
	int c;

	set_defaults(o);
	if (errlen)
		err[0] = '\0';
	optind = 0; /* glibc: full re-initialisation, so parsing can run again */
	opterr = 0;
	while ((c = getopt_long(argc, argv, short_options, long_options, NULL)) != -1) {
		const char *arg = optarg;

		if (!daemon_only_name)
			daemon_only_name = daemon_only_option(c);
		switch (c) {
		case 'q':
			if (parse_uint(arg, 0, 65535, &v))
				return fail(err, errlen, "--queue: '%s' is not a queue number 0..65535", arg);
			o->queue = (uint16_t)v;
			break;
		case 't':
			if (parse_uint(arg, 1, L2FQ_MAX_THREADS, &v))
				return fail(err, errlen, "--threads: '%s' is not a number 1..%d", arg,
					    L2FQ_MAX_THREADS);
			o->threads = (unsigned)v;
			break;
		case OPT_QUEUES: {
			const char *dash = strchr(arg, '-');
			unsigned long last;
			char first[8];

			if (!dash || (size_t)(dash - arg) >= sizeof(first))
				return fail(err, errlen, "--queues: '%s' is not a range A-B", arg);
			memcpy(first, arg, (size_t)(dash - arg));
			first[dash - arg] = '\0';
			if (parse_uint(first, 0, 65535, &v) || parse_uint(dash + 1, 0, 65535, &last) ||
			    last < v || last - v + 1 > L2FQ_MAX_THREADS)
				return fail(err, errlen,
					    "--queues: '%s' is not a range A-B of 1..%d queues within 0..65535",
					    arg, L2FQ_MAX_THREADS);
			o->queue = (uint16_t)v;
			o->threads = (unsigned)(last - v + 1);
			break;
		}
		case OPT_BATCH:
			if (parse_uint(arg, 1, L2FQ_MAX_BATCH, &v))
				return fail(err, errlen, "--batch: '%s' is not a number 1..%d", arg,
					    L2FQ_MAX_BATCH);
			o->batch = (unsigned)v;
			break;
		case OPT_RCVBUF:
			if (parse_size(arg, 64u << 10, 1ul << 30, &v))
				return fail(err, errlen,
					    "--rcvbuf: '%s' is not a size 64K..1G (suffix K, M or G)", arg);
			o->rcvbuf = (uint32_t)v;
			break;
		case OPT_QUEUE_MAXLEN:
			if (parse_uint(arg, 1, 1u << 24, &v))
				return fail(err, errlen, "--queue-maxlen: '%s' is not a number 1..16777216",
					    arg);
			o->queue_maxlen = (uint32_t)v;
			break;
		case OPT_FAIL_OPEN:
			o->fail_open = 1;
			break;
		case OPT_GSO:
			o->gso = 1;
			break;
		case OPT_PMTUD:
			o->pmtud = 1;
			break;
		case OPT_PMTUD_MTU:
			if (parse_uint(arg, 576, 65535, &v))
				return fail(err, errlen, "--pmtud-mtu: '%s' is not an MTU 576..65535", arg);
			o->pmtud_mtu = (unsigned)v;
			pmtud_detail = "--pmtud-mtu";
			break;
		case OPT_PMTUD_MARK:
			if (parse_number(arg, 0, 1, 0xffffffffu, &v))
				return fail(err, errlen,
					    "--pmtud-mark: '%s' is not a mark 1..0xffffffff (decimal or 0x hex)",
					    arg);
			o->pmtud_mark = (uint32_t)v;
			pmtud_detail = "--pmtud-mark";
			break;
		case OPT_PMTUD_FLOW_INTERVAL:
			if (parse_uint(arg, 0, 60000, &v))
				return fail(err, errlen,
					    "--pmtud-flow-interval: '%s' is not milliseconds 0..60000", arg);
			o->pmtud_flow_interval_ms = (unsigned)v;
			pmtud_detail = "--pmtud-flow-interval";
			break;
		case OPT_PMTUD_RATE:
			if (parse_uint(arg, 0, 1000000, &v))
				return fail(err, errlen, "--pmtud-rate: '%s' is not signals per second 0..1000000",
					    arg);
			o->pmtud_rate = (unsigned)v;
			pmtud_detail = "--pmtud-rate";
			break;
		case OPT_STATS_INTERVAL:
			if (parse_uint(arg, 0, 86400, &v))
				return fail(err, errlen, "--stats-interval: '%s' is not seconds 0..86400",
					    arg);
			o->stats_interval = (unsigned)v;
			break;
		case OPT_USER:
			if (*arg == '\0')
				return fail(err, errlen, "--user: needs a user name");
			o->user = arg;
			break;
		case OPT_METRICS_FILE:
			if (*arg == '\0')
				return fail(err, errlen, "--metrics-file: needs a path");
			o->metrics_file = arg;
			break;
		case OPT_PEER:
			if (o->peers.count == L2FQ_MAX_PEERS)
				return fail(err, errlen, "--peer: more than %d peers", L2FQ_MAX_PEERS);
			if (l2fq_peer_parse(arg, &o->peers.list[o->peers.count]))
				return fail(err, errlen,
					    "--peer: '%s' is not an IPv4 address or ADDR/LEN (LEN 0..32)",
					    arg);
			o->peers.count++;
			break;
		case 'r':
			o->read_path = arg;
			break;
		case 'w':
			o->write_path = arg;
			break;
		case 'h':
			return L2FQ_PARSE_HELP;
		case 'V':
			return L2FQ_PARSE_VERSION;
		case ':':
			return fail(err, errlen, "%s: needs an argument", typed(argv, optind));
		default:
			return unknown_option(argv, optind, err, errlen);
		}
	}
	if (optind < argc)
		return fail(err, errlen, "'%s': unexpected argument (see --help)", argv[optind]);
	if (o->write_path && !o->read_path)
		return fail(err, errlen, "--write: needs --read FILE");
	if (o->read_path) {
		o->mode = L2FQ_MODE_OFFLINE;
		if (daemon_only_name)
			return fail(err, errlen, "--%s: only for the daemon, not with --read",
				    daemon_only_name);
		return L2FQ_PARSE_OK;
	}
	if (pmtud_detail && !o->pmtud)
		return fail(err, errlen, "%s: needs --pmtud", pmtud_detail);
	if ((unsigned long)o->queue + o->threads - 1 > 65535)
		return fail(err, errlen, "--threads: queues %u..%lu exceed 65535", (unsigned)o->queue,
			    (unsigned long)o->queue + o->threads - 1);
	return L2FQ_PARSE_OK;
}
