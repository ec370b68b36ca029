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
	OPT_PRINT_SETTINGS,
	OPT_UNDERLAY_PROBE,
	OPT_UNDERLAY_CONFIRM_INTERVAL,
	OPT_UNDERLAY_RAISE_INTERVAL,
	OPT_UNDERLAY_STATUS_FILE,
};

/* Every long option. A daemon-only option makes no sense with --read: the
 * first one given is named in the error. getopt_long() gets these without the
 * flag (getopt_table). */
enum { ANY_MODE, DAEMON_ONLY };

struct option_spec {
	const char *name;
	int has_arg;
	int val;
	int daemon_only;
};

static const struct option_spec long_options[] = {
	{ "queue", required_argument, 'q', DAEMON_ONLY },
	{ "threads", required_argument, 't', DAEMON_ONLY },
	{ "queues", required_argument, OPT_QUEUES, DAEMON_ONLY },
	{ "peer", required_argument, OPT_PEER, ANY_MODE },
	{ "rcvbuf", required_argument, OPT_RCVBUF, DAEMON_ONLY },
	{ "queue-maxlen", required_argument, OPT_QUEUE_MAXLEN, DAEMON_ONLY },
	{ "fail-open", no_argument, OPT_FAIL_OPEN, DAEMON_ONLY },
	{ "gso", no_argument, OPT_GSO, DAEMON_ONLY },
	{ "pmtud", no_argument, OPT_PMTUD, DAEMON_ONLY },
	{ "pmtud-mtu", required_argument, OPT_PMTUD_MTU, DAEMON_ONLY },
	{ "pmtud-mark", required_argument, OPT_PMTUD_MARK, DAEMON_ONLY },
	{ "pmtud-flow-interval", required_argument, OPT_PMTUD_FLOW_INTERVAL, DAEMON_ONLY },
	{ "pmtud-rate", required_argument, OPT_PMTUD_RATE, DAEMON_ONLY },
	{ "underlay-probe", required_argument, OPT_UNDERLAY_PROBE, DAEMON_ONLY },
	{ "underlay-confirm-interval", required_argument, OPT_UNDERLAY_CONFIRM_INTERVAL, DAEMON_ONLY },
	{ "underlay-raise-interval", required_argument, OPT_UNDERLAY_RAISE_INTERVAL, DAEMON_ONLY },
	{ "underlay-status-file", required_argument, OPT_UNDERLAY_STATUS_FILE, DAEMON_ONLY },
	{ "stats-interval", required_argument, OPT_STATS_INTERVAL, DAEMON_ONLY },
	{ "batch", required_argument, OPT_BATCH, DAEMON_ONLY },
	{ "user", required_argument, OPT_USER, DAEMON_ONLY },
	{ "metrics-file", required_argument, OPT_METRICS_FILE, DAEMON_ONLY },
	{ "read", required_argument, 'r', ANY_MODE },
	{ "write", required_argument, 'w', ANY_MODE },
	{ "print-settings", no_argument, OPT_PRINT_SETTINGS, ANY_MODE },
	{ "help", no_argument, 'h', ANY_MODE },
	{ "version", no_argument, 'V', ANY_MODE },
};

#define OPTION_COUNT (sizeof(long_options) / sizeof(long_options[0]))

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
	"Underlay path-MTU probing (daemon):\n"
	"      --underlay-probe WGIF  probe the path MTU to every peer of the WireGuard\n"
	"                          interface WGIF (UDP from its listen port, payload\n"
	"                          'L2FQ'), write it as 'mtu lock' host routes to the\n"
	"                          peers' tunnel addresses on WGIF (proto 76), and\n"
	"                          answer the peers' probes (needs CAP_NET_RAW at start)\n"
	"      --underlay-confirm-interval S  confirm each found path MTU every S\n"
	"                          seconds, 1..3600 (default 10); peers, link MTUs and\n"
	"                          routes are re-read as often\n"
	"      --underlay-raise-interval S  probe above it every S seconds, 10..86400\n"
	"                          (default 600)\n"
	"      --underlay-status-file PATH  write the per-peer state to PATH\n"
	"                          (atomically, on every change and every confirm interval)\n"
	"Offline:\n"
	"  -r, --read FILE         read pcap or pcapng FILE ('-' for stdin)\n"
	"  -w, --write FILE        write the result to FILE ('-' for stdout) in the\n"
	"                          input's format (a .pcap name: pcap from a pcapng of\n"
	"                          one link type); without -w only the summary is printed\n"
	"Both:\n"
	"      --peer ADDR[/LEN]   only rewrite (and with --pmtud, answer) GRE to this\n"
	"                          IPv4 peer or prefix; repeatable (default: any)\n"
	"      --print-settings    check the other options, print the daemon settings\n"
	"                          they give as key=value lines (defaults where not\n"
	"                          given) and exit; nothing else is done\n"
	"  -h, --help              show this help\n"
	"  -V, --version           show the version\n"
	"\n"
	"Exit status: 0 ok, 1 runtime error, 2 bad usage, 3 missing CAP_NET_ADMIN,\n"
	"4 kernel lacks nfnetlink_queue, 5 queue bound by another process.\n";

const char *l2fq_options_usage(void)
{
	return usage_text;
}

/* One run of l2fq_options_parse: where the results and the message go, and what
 * the checks after the last option need. */
struct parser {
	struct l2fq_options *o;
	char **argv;
	char *msg;
	size_t msglen;
	const char *daemon_only_name; /* the first daemon-only option given */
	const char *pmtud_detail;     /* the last --pmtud-* setting given */
	const char *underlay_detail;  /* the last --underlay-* setting given */
	int print_settings;           /* --print-settings given */
};

__attribute__((format(printf, 2, 3)))
static enum l2fq_parse_result fail(struct parser *p, const char *fmt, ...)
{
	char *msg = p->msg;
	size_t msglen = p->msglen;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
	/* Arguments are echoed: keep the message on one printable line. */
	for (char *c = msg; msglen && *c; c++)
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
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, base);
	if (errno || *end != '\0' || v < min || v > max)
		return -EINVAL;
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
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	default: break;
	}
	if (*end != '\0' || v > (max >> shift))
		return -EINVAL;
	v <<= shift;
	if (v < min)
		return -EINVAL;
	*out = (unsigned long)v;
	return 0;
}

/* The long name of c when it is a daemon-only option, else NULL. */
static const char *daemon_only_option(int c)
{
	for (size_t i = 0; i < OPTION_COUNT; i++)
		if (long_options[i].val == c)
			return long_options[i].daemon_only ? long_options[i].name : NULL;
	return NULL;
}

/* The table as getopt_long() wants it, with its terminating entry. */
static void getopt_table(struct option out[OPTION_COUNT + 1])
{
	for (size_t i = 0; i < OPTION_COUNT; i++)
		out[i] = (struct option){ long_options[i].name, long_options[i].has_arg, NULL,
					  long_options[i].val };
	out[OPTION_COUNT] = (struct option){ NULL, 0, NULL, 0 };
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
	o->underlay_confirm_interval = L2FQ_DEFAULT_UNDERLAY_CONFIRM_INTERVAL;
	o->underlay_raise_interval = L2FQ_DEFAULT_UNDERLAY_RAISE_INTERVAL;
}

/* The name of the option at argv[optind-1], as the user typed it. */
static const char *typed(char **argv, int index)
{
	return index > 0 ? argv[index - 1] : "?";
}

/* glibc reports "--flag=value" for a flag and an unknown option alike; the
 * message names what was typed either way. */
static enum l2fq_parse_result unknown_option(struct parser *p)
{
	const char *t = typed(p->argv, optind);
	size_t namelen = strcspn(t, "=");

	if (strncmp(t, "--", 2) == 0 && t[namelen] == '=') {
		for (size_t i = 0; i < OPTION_COUNT; i++) {
			const char *name = long_options[i].name;

			if (strlen(name) == namelen - 2 && strncmp(name, t + 2, namelen - 2) == 0)
				return fail(p, "--%s: takes no value", name);
		}
	}
	if (strncmp(t, "--", 2) == 0)
		return fail(p, "%.*s: unknown option (see --help)", (int)namelen, t);
	if (optopt > 0 && optopt < 128)
		return fail(p, "-%c: unknown option (see --help)", optopt);
	return fail(p, "%s: unknown option (see --help)", t);
}

/* --queues A-B: the first queue and the number of threads. */
static enum l2fq_parse_result queue_range(struct parser *p, const char *arg)
{
	const char *dash = strchr(arg, '-');
	unsigned long v, last;
	char first[8];

	if (!dash || (size_t)(dash - arg) >= sizeof(first))
		return fail(p, "--queues: '%s' is not a range A-B", arg);
	memcpy(first, arg, (size_t)(dash - arg));
	first[dash - arg] = '\0';
	if (parse_uint(first, 0, 65535, &v) || parse_uint(dash + 1, 0, 65535, &last) ||
	    last < v || last - v + 1 > L2FQ_MAX_THREADS)
		return fail(p, "--queues: '%s' is not a range A-B of 1..%d queues within 0..65535",
			    arg, L2FQ_MAX_THREADS);
	p->o->queue = (uint16_t)v;
	p->o->threads = (unsigned)(last - v + 1);
	return L2FQ_PARSE_OK;
}

/* The queues and how they are read: -q, -t, --queues, --batch, --rcvbuf,
 * --queue-maxlen. */
static enum l2fq_parse_result queue_option(struct parser *p, int c, const char *arg)
{
	struct l2fq_options *o = p->o;
	unsigned long v;

	switch (c) {
	case 'q':
		if (parse_uint(arg, 0, 65535, &v))
			return fail(p, "--queue: '%s' is not a queue number 0..65535", arg);
		o->queue = (uint16_t)v;
		break;
	case 't':
		if (parse_uint(arg, 1, L2FQ_MAX_THREADS, &v))
			return fail(p, "--threads: '%s' is not a number 1..%d", arg,
				    L2FQ_MAX_THREADS);
		o->threads = (unsigned)v;
		break;
	case OPT_QUEUES:
		return queue_range(p, arg);
	case OPT_BATCH:
		if (parse_uint(arg, 1, L2FQ_MAX_BATCH, &v))
			return fail(p, "--batch: '%s' is not a number 1..%d", arg, L2FQ_MAX_BATCH);
		o->batch = (unsigned)v;
		break;
	case OPT_RCVBUF:
		if (parse_size(arg, 64u << 10, 1ul << 30, &v))
			return fail(p, "--rcvbuf: '%s' is not a size 64K..1G (suffix K, M or G)",
				    arg);
		o->rcvbuf = (uint32_t)v;
		break;
	case OPT_QUEUE_MAXLEN:
		if (parse_uint(arg, 1, 1u << 24, &v))
			return fail(p, "--queue-maxlen: '%s' is not a number 1..16777216", arg);
		o->queue_maxlen = (uint32_t)v;
		break;
	}
	return L2FQ_PARSE_OK;
}

/* --pmtud and its settings; a setting is remembered for "needs --pmtud". */
static enum l2fq_parse_result pmtud_option(struct parser *p, int c, const char *arg)
{
	struct l2fq_options *o = p->o;
	unsigned long v;

	switch (c) {
	case OPT_PMTUD:
		o->pmtud = 1;
		break;
	case OPT_PMTUD_MTU:
		if (parse_uint(arg, 576, 65535, &v))
			return fail(p, "--pmtud-mtu: '%s' is not an MTU 576..65535", arg);
		o->pmtud_mtu = (unsigned)v;
		p->pmtud_detail = "--pmtud-mtu";
		break;
	case OPT_PMTUD_MARK:
		if (parse_number(arg, 0, 1, 0xffffffffu, &v))
			return fail(p,
				    "--pmtud-mark: '%s' is not a mark 1..0xffffffff (decimal or 0x hex)",
				    arg);
		o->pmtud_mark = (uint32_t)v;
		p->pmtud_detail = "--pmtud-mark";
		break;
	case OPT_PMTUD_FLOW_INTERVAL:
		if (parse_uint(arg, 0, 60000, &v))
			return fail(p, "--pmtud-flow-interval: '%s' is not milliseconds 0..60000",
				    arg);
		o->pmtud_flow_interval_ms = (unsigned)v;
		p->pmtud_detail = "--pmtud-flow-interval";
		break;
	case OPT_PMTUD_RATE:
		if (parse_uint(arg, 0, 1000000, &v))
			return fail(p, "--pmtud-rate: '%s' is not signals per second 0..1000000",
				    arg);
		o->pmtud_rate = (unsigned)v;
		p->pmtud_detail = "--pmtud-rate";
		break;
	}
	return L2FQ_PARSE_OK;
}

/* --underlay-probe and its settings; a setting is remembered for "needs
 * --underlay-probe". */
static enum l2fq_parse_result underlay_option(struct parser *p, int c, const char *arg)
{
	struct l2fq_options *o = p->o;
	unsigned long v;

	switch (c) {
	case OPT_UNDERLAY_PROBE:
		/* IFNAMSIZ 16 with its terminator; no '/' (the UAPI socket path). */
		if (*arg == '\0' || strlen(arg) > 15 || strchr(arg, '/') || strchr(arg, ' ') ||
		    !strcmp(arg, ".") || !strcmp(arg, ".."))
			return fail(p, "--underlay-probe: '%s' is not an interface name (1..15 "
				    "characters, no '/' or space)", arg);
		o->underlay_probe = arg;
		break;
	case OPT_UNDERLAY_CONFIRM_INTERVAL:
		if (parse_uint(arg, 1, 3600, &v))
			return fail(p, "--underlay-confirm-interval: '%s' is not seconds 1..3600",
				    arg);
		o->underlay_confirm_interval = (unsigned)v;
		p->underlay_detail = "--underlay-confirm-interval";
		break;
	case OPT_UNDERLAY_RAISE_INTERVAL:
		if (parse_uint(arg, 10, 86400, &v))
			return fail(p, "--underlay-raise-interval: '%s' is not seconds 10..86400",
				    arg);
		o->underlay_raise_interval = (unsigned)v;
		p->underlay_detail = "--underlay-raise-interval";
		break;
	case OPT_UNDERLAY_STATUS_FILE:
		if (*arg == '\0')
			return fail(p, "--underlay-status-file: needs a path");
		o->underlay_status_file = arg;
		p->underlay_detail = "--underlay-status-file";
		break;
	}
	return L2FQ_PARSE_OK;
}

/* The daemon's other settings: --fail-open, --gso, --stats-interval, --user,
 * --metrics-file. */
static enum l2fq_parse_result daemon_option(struct parser *p, int c, const char *arg)
{
	struct l2fq_options *o = p->o;
	unsigned long v;

	switch (c) {
	case OPT_FAIL_OPEN:
		o->fail_open = 1;
		break;
	case OPT_GSO:
		o->gso = 1;
		break;
	case OPT_STATS_INTERVAL:
		if (parse_uint(arg, 0, 86400, &v))
			return fail(p, "--stats-interval: '%s' is not seconds 0..86400", arg);
		o->stats_interval = (unsigned)v;
		break;
	case OPT_USER:
		if (*arg == '\0')
			return fail(p, "--user: needs a user name");
		o->user = arg;
		break;
	case OPT_METRICS_FILE:
		if (*arg == '\0')
			return fail(p, "--metrics-file: needs a path");
		o->metrics_file = arg;
		break;
	}
	return L2FQ_PARSE_OK;
}

/* What one getopt_long() result does to the options. */
static enum l2fq_parse_result apply_option(struct parser *p, int c, const char *arg)
{
	struct l2fq_options *o = p->o;

	switch (c) {
	case 'q': case 't': case OPT_QUEUES: case OPT_BATCH: case OPT_RCVBUF:
	case OPT_QUEUE_MAXLEN:
		return queue_option(p, c, arg);
	case OPT_PMTUD: case OPT_PMTUD_MTU: case OPT_PMTUD_MARK: case OPT_PMTUD_FLOW_INTERVAL:
	case OPT_PMTUD_RATE:
		return pmtud_option(p, c, arg);
	case OPT_UNDERLAY_PROBE: case OPT_UNDERLAY_CONFIRM_INTERVAL:
	case OPT_UNDERLAY_RAISE_INTERVAL: case OPT_UNDERLAY_STATUS_FILE:
		return underlay_option(p, c, arg);
	case OPT_FAIL_OPEN: case OPT_GSO: case OPT_STATS_INTERVAL: case OPT_USER:
	case OPT_METRICS_FILE:
		return daemon_option(p, c, arg);
	case OPT_PEER:
		if (o->peers.count == L2FQ_MAX_PEERS)
			return fail(p, "--peer: more than %d peers", L2FQ_MAX_PEERS);
		if (l2fq_peer_parse(arg, &o->peers.list[o->peers.count]))
			return fail(p, "--peer: '%s' is not an IPv4 address or ADDR/LEN (LEN 0..32)",
				    arg);
		o->peers.count++;
		return L2FQ_PARSE_OK;
	case 'r':
		o->read_path = arg;
		return L2FQ_PARSE_OK;
	case 'w':
		o->write_path = arg;
		return L2FQ_PARSE_OK;
	case OPT_PRINT_SETTINGS:
		p->print_settings = 1;
		return L2FQ_PARSE_OK;
	case 'h':
		return L2FQ_PARSE_HELP;
	case 'V':
		return L2FQ_PARSE_VERSION;
	case ':':
		return fail(p, "%s: needs an argument", typed(p->argv, optind));
	default:
		return unknown_option(p);
	}
}

/* After the last option: what no single option can tell, and the mode. */
static enum l2fq_parse_result check_combination(struct parser *p, int argc)
{
	struct l2fq_options *o = p->o;

	if (optind < argc)
		return fail(p, "'%s': unexpected argument (see --help)", p->argv[optind]);
	if (o->write_path && !o->read_path)
		return fail(p, "--write: needs --read FILE");
	if (o->read_path) {
		o->mode = L2FQ_MODE_OFFLINE;
		if (p->daemon_only_name)
			return fail(p, "--%s: only for the daemon, not with --read",
				    p->daemon_only_name);
		return L2FQ_PARSE_OK;
	}
	if (p->pmtud_detail && !o->pmtud)
		return fail(p, "%s: needs --pmtud", p->pmtud_detail);
	if (p->underlay_detail && !o->underlay_probe)
		return fail(p, "%s: needs --underlay-probe", p->underlay_detail);
	if ((unsigned long)o->queue + o->threads - 1 > 65535)
		return fail(p, "--threads: queues %u..%lu exceed 65535", (unsigned)o->queue,
			    (unsigned long)o->queue + o->threads - 1);
	return L2FQ_PARSE_OK;
}

enum l2fq_parse_result l2fq_options_parse(int argc, char **argv, struct l2fq_options *o,
					  char *msg, size_t msglen)
{
	struct parser p = { .o = o, .argv = argv, .msg = msg, .msglen = msglen };
	struct option getopt_options[OPTION_COUNT + 1];
	enum l2fq_parse_result r;
	int c;

	set_defaults(o);
	if (msglen)
		msg[0] = '\0';
	getopt_table(getopt_options);
	optind = 0; /* glibc: full re-initialisation, so parsing can run again */
	opterr = 0;
	while ((c = getopt_long(argc, argv, short_options, getopt_options, NULL)) != -1) {
		if (!p.daemon_only_name)
			p.daemon_only_name = daemon_only_option(c);
		r = apply_option(&p, c, optarg);
		if (r != L2FQ_PARSE_OK)
			return r;
	}
	r = check_combination(&p, argc);
	if (r == L2FQ_PARSE_OK && p.print_settings)
		return L2FQ_PARSE_SETTINGS;
	return r;
}

int l2fq_options_settings(const struct l2fq_options *o, char *buf, size_t len)
{
	return snprintf(buf, len,
			"queue=%u\nthreads=%u\nbatch=%u\nrcvbuf=%lu\nqueue-maxlen=%lu\n"
			"fail-open=%d\ngso=%d\nstats-interval=%u\n"
			"pmtud=%d\npmtud-mtu=%u\npmtud-mark=0x%lx\n"
			"pmtud-flow-interval=%u\npmtud-rate=%u\n"
			"underlay-probe=%s\nunderlay-confirm-interval=%u\n"
			"underlay-raise-interval=%u\nunderlay-status-file=%s\n",
			(unsigned)o->queue, o->threads, o->batch, (unsigned long)o->rcvbuf,
			(unsigned long)o->queue_maxlen, o->fail_open, o->gso, o->stats_interval,
			o->pmtud, o->pmtud_mtu, (unsigned long)o->pmtud_mark,
			o->pmtud_flow_interval_ms, o->pmtud_rate,
			o->underlay_probe ? o->underlay_probe : "", o->underlay_confirm_interval,
			o->underlay_raise_interval,
			o->underlay_status_file ? o->underlay_status_file : "");
}
