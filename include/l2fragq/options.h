/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Command-line options: parsed into one struct, validated, no side effects. */
#ifndef L2FRAGQ_OPTIONS_H
#define L2FRAGQ_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "l2fragq/peers.h"

#define L2FQ_MAX_THREADS 64
#define L2FQ_MAX_BATCH 64
#define L2FQ_DEFAULT_BATCH 16
/* Sized together: the queue holds what arrives while a worker is off the CPU
 * (4096 packets: ~25 ms at 160k packets/s; the kernel's 1024 overflowed in
 * scripts/bench.sh), and the socket must hold a full queue of 1538-byte
 * packets (~3 KB each in socket accounting). */
#define L2FQ_DEFAULT_QUEUE_MAXLEN 4096u
#define L2FQ_DEFAULT_RCVBUF (16u << 20)
/* --pmtud defaults, after the kernel's ICMP limits: net.ipv4.icmp_ratelimit
 * (1000 ms per destination) and icmp_msgs_per_sec / icmp_msgs_burst (1000 / 50). */
#define L2FQ_DEFAULT_PMTUD_MARK 0x6c32u /* "l2": what l2fragq-net's bridge rule lets through */
#define L2FQ_DEFAULT_PMTUD_FLOW_INTERVAL_MS 1000u
#define L2FQ_DEFAULT_PMTUD_RATE 1000u
#define L2FQ_PMTUD_RATE_BURST 50u
/* --underlay-probe: doc/underlay-pmtud.md's confirm and raise intervals, seconds. */
#define L2FQ_DEFAULT_UNDERLAY_CONFIRM_INTERVAL 10u
#define L2FQ_DEFAULT_UNDERLAY_RAISE_INTERVAL 600u
/* Metrics are rewritten every --stats-interval, or this often without one. */
#define L2FQ_DEFAULT_METRICS_INTERVAL 15

enum l2fq_mode { L2FQ_MODE_DAEMON, L2FQ_MODE_OFFLINE };

struct l2fq_options {
	enum l2fq_mode mode;
	uint16_t queue;          /* first queue number */
	unsigned threads;        /* one worker and one queue each */
	unsigned batch;          /* packets per receive and per verdict send */
	uint32_t rcvbuf;         /* socket receive buffer, bytes */
	uint32_t queue_maxlen;   /* kernel queue length, packets */
	int fail_open;           /* accept instead of drop when the queue is full */
	int gso;                 /* NFQA_CFG_F_GSO (experimental, --gso) */
	unsigned stats_interval; /* seconds; 0 = only on SIGUSR1 and at exit */
	const char *user;         /* drop to this user after binding, keep CAP_NET_ADMIN */
	const char *metrics_file; /* Prometheus textfile, rewritten every interval */
	int pmtud;               /* --pmtud: signal the path MTU into the VM bridge */
	unsigned pmtud_mtu;      /* fixed path MTU; 0 = learn it from the kernel */
	uint32_t pmtud_mark;     /* socket mark of the injected frames */
	unsigned pmtud_flow_interval_ms; /* per (inner source, destination); 0 = off */
	unsigned pmtud_rate;     /* global signals per second; 0 = no limit */
	const char *underlay_probe;       /* --underlay-probe WGIF; NULL = off */
	unsigned underlay_confirm_interval; /* seconds */
	unsigned underlay_raise_interval;   /* seconds */
	const char *underlay_status_file; /* per-peer state; NULL = none */
	const char *read_path;   /* offline input, "-" = stdin */
	const char *write_path;  /* offline output, "-" = stdout, NULL = judge only */
	struct l2fq_peers peers; /* --peer */
};

enum l2fq_parse_result {
	L2FQ_PARSE_OK,
	L2FQ_PARSE_HELP,
	L2FQ_PARSE_VERSION,
	L2FQ_PARSE_SETTINGS, /* --print-settings: options valid, print them and exit */
	L2FQ_PARSE_ERROR, /* msg holds one line naming the option */
};

/* Parses argv into opts (defaults first). Does not print; msg gets the reason. */
enum l2fq_parse_result l2fq_options_parse(int argc, char **argv, struct l2fq_options *opts,
					  char *msg, size_t msglen);

/* The daemon settings in opts as "key=value" lines (key = the long option
 * without "--"; defaults where not given): what --print-settings prints and
 * l2fragq-net reads, so neither side writes a default twice. Returns what
 * snprintf would (the length without the terminator). */
int l2fq_options_settings(const struct l2fq_options *opts, char *buf, size_t len);

/* The --help text. */
const char *l2fq_options_usage(void);

#endif
