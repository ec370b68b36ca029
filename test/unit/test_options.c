/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for command-line parsing (src/options.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "l2fragq/options.h"

/* struct l2fq_options holds the 256-entry peer table: keep it off the stack. */
static struct l2fq_options opts;
static char err[256];

/* Parses a NULL-terminated list of arguments (argv[0] is added). */
#define PARSE(...) parse_args((const char *[]){ __VA_ARGS__, NULL })

static enum l2fq_parse_result parse_args(const char **args)
{
	char *argv[1200];
	int argc = 0;

	argv[argc++] = (char *)"l2fragq";
	while (*args) {
		assert_true(argc < (int)(sizeof(argv) / sizeof(argv[0])) - 1);
		argv[argc++] = (char *)*args++;
	}
	argv[argc] = NULL;
	memset(err, 'X', sizeof(err));
	err[sizeof(err) - 1] = '\0';
	return l2fq_options_parse(argc, argv, &opts, err, sizeof(err));
}

static enum l2fq_parse_result parse_none(void)
{
	return parse_args((const char *[]){ NULL });
}

/* The parse failed with a one-line message that contains `name`. */
static void assert_error_naming(enum l2fq_parse_result r, const char *name)
{
	if (r != L2FQ_PARSE_ERROR)
		fail_msg("result %d, want L2FQ_PARSE_ERROR (naming %s)", (int)r, name);
	if (strstr(err, name) == NULL)
		fail_msg("error '%s' does not name '%s'", err, name);
	assert_null(strchr(err, '\n'));
}

static void assert_ok(enum l2fq_parse_result r)
{
	if (r != L2FQ_PARSE_OK)
		fail_msg("result %d, want OK; error '%s'", (int)r, err);
}

/* ---- defaults ----------------------------------------------------------- */

static void defaults_without_arguments(void **state)
{
	(void)state;
	memset(&opts, 0xa5, sizeof(opts));
	assert_ok(parse_none());
	assert_int_equal(opts.mode, L2FQ_MODE_DAEMON);
	assert_int_equal(opts.queue, 0);
	assert_int_equal(opts.threads, 1);
	assert_int_equal(opts.batch, L2FQ_DEFAULT_BATCH);
	assert_int_equal(opts.batch, 16);
	assert_int_equal(opts.rcvbuf, L2FQ_DEFAULT_RCVBUF);
	assert_int_equal(opts.rcvbuf, 16u << 20);
	assert_int_equal(opts.queue_maxlen, 4096);
	assert_int_equal(opts.fail_open, 0);
	assert_int_equal(opts.stats_interval, 0);
	assert_null(opts.read_path);
	assert_null(opts.write_path);
	assert_int_equal(opts.peers.count, 0);
	assert_string_equal(err, "");
}

/* A second parse starts from defaults, not from the previous values. */
static void defaults_reset_between_parses(void **state)
{
	(void)state;
	assert_ok(PARSE("-q", "7", "-t", "3", "--batch", "4", "--fail-open", "--peer", "10.0.0.1"));
	assert_ok(parse_none());
	assert_int_equal(opts.queue, 0);
	assert_int_equal(opts.threads, 1);
	assert_int_equal(opts.batch, 16);
	assert_int_equal(opts.fail_open, 0);
	assert_int_equal(opts.peers.count, 0);
}

/* ---- every option, long and short -------------------------------------- */

static void queue_long_short_and_attached(void **state)
{
	(void)state;
	assert_ok(PARSE("--queue", "5"));
	assert_int_equal(opts.queue, 5);
	assert_ok(PARSE("--queue=6"));
	assert_int_equal(opts.queue, 6);
	assert_ok(PARSE("-q", "7"));
	assert_int_equal(opts.queue, 7);
	assert_ok(PARSE("-q8"));
	assert_int_equal(opts.queue, 8);
	assert_int_equal(opts.mode, L2FQ_MODE_DAEMON);
}

static void threads_long_and_short(void **state)
{
	(void)state;
	assert_ok(PARSE("--threads", "4"));
	assert_int_equal(opts.threads, 4);
	assert_ok(PARSE("--threads=5"));
	assert_int_equal(opts.threads, 5);
	assert_ok(PARSE("-t", "6"));
	assert_int_equal(opts.threads, 6);
	assert_ok(PARSE("-t2"));
	assert_int_equal(opts.threads, 2);
}

static void batch_sets_value(void **state)
{
	(void)state;
	assert_ok(PARSE("--batch", "32"));
	assert_int_equal(opts.batch, 32);
	assert_ok(PARSE("--batch=1"));
	assert_int_equal(opts.batch, 1);
}

static void rcvbuf_sets_value(void **state)
{
	(void)state;
	assert_ok(PARSE("--rcvbuf", "100000"));
	assert_int_equal(opts.rcvbuf, 100000);
}

static void queue_maxlen_sets_value(void **state)
{
	(void)state;
	assert_ok(PARSE("--queue-maxlen", "4096"));
	assert_int_equal(opts.queue_maxlen, 4096);
	/* "--queue" must not swallow "--queue-maxlen" or the reverse */
	assert_ok(PARSE("--queue", "3", "--queue-maxlen=10"));
	assert_int_equal(opts.queue, 3);
	assert_int_equal(opts.queue_maxlen, 10);
}

static void fail_open_sets_flag(void **state)
{
	(void)state;
	assert_ok(PARSE("--fail-open"));
	assert_int_equal(opts.fail_open, 1);
}

static void stats_interval_sets_value(void **state)
{
	(void)state;
	assert_ok(PARSE("--stats-interval", "10"));
	assert_int_equal(opts.stats_interval, 10);
}

static void read_long_and_short_selects_offline(void **state)
{
	(void)state;
	assert_ok(PARSE("--read", "in.pcap"));
	assert_int_equal(opts.mode, L2FQ_MODE_OFFLINE);
	assert_string_equal(opts.read_path, "in.pcap");
	assert_null(opts.write_path);
	assert_ok(PARSE("-r", "-"));
	assert_int_equal(opts.mode, L2FQ_MODE_OFFLINE);
	assert_string_equal(opts.read_path, "-");
	assert_ok(PARSE("-rx.pcap"));
	assert_string_equal(opts.read_path, "x.pcap");
}

static void write_long_and_short_with_read(void **state)
{
	(void)state;
	assert_ok(PARSE("--read", "in.pcap", "--write", "out.pcap"));
	assert_string_equal(opts.read_path, "in.pcap");
	assert_string_equal(opts.write_path, "out.pcap");
	assert_ok(PARSE("-w", "-", "-r", "-"));
	assert_int_equal(opts.mode, L2FQ_MODE_OFFLINE);
	assert_string_equal(opts.write_path, "-");
	assert_string_equal(opts.read_path, "-");
}

static void help_long_and_short(void **state)
{
	(void)state;
	assert_int_equal(PARSE("--help"), L2FQ_PARSE_HELP);
	assert_int_equal(PARSE("-h"), L2FQ_PARSE_HELP);
	assert_int_equal(PARSE("-t", "2", "-h"), L2FQ_PARSE_HELP);
}

static void version_long_and_short(void **state)
{
	(void)state;
	assert_int_equal(PARSE("--version"), L2FQ_PARSE_VERSION);
	assert_int_equal(PARSE("-V"), L2FQ_PARSE_VERSION);
}

static void usage_mentions_every_long_option(void **state)
{
	static const char *const names[] = {
		"--queue",  "--threads",	"--peer", "--rcvbuf", "--queue-maxlen", "--fail-open",
		"--stats-interval", "--batch", "--read", "--write",	   "--help",	   "--version",
		"--pmtud", "--pmtud-mtu", "--pmtud-mark", "--pmtud-flow-interval", "--pmtud-rate",
		"--print-settings", "--underlay-probe", "--underlay-confirm-interval",
		"--underlay-raise-interval", "--underlay-status-file",
	};
	const char *u = l2fq_options_usage();

	(void)state;
	assert_non_null(u);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strstr(u, names[i]) == NULL)
			fail_msg("usage text lacks %s", names[i]);
}

static void daemon_options_combined(void **state)
{
	(void)state;
	assert_ok(PARSE("-q", "100", "-t", "8", "--batch", "64", "--rcvbuf", "16M",
			"--queue-maxlen", "8192", "--fail-open", "--stats-interval", "60",
			"--peer", "192.0.2.1"));
	assert_int_equal(opts.mode, L2FQ_MODE_DAEMON);
	assert_int_equal(opts.queue, 100);
	assert_int_equal(opts.threads, 8);
	assert_int_equal(opts.batch, 64);
	assert_int_equal(opts.rcvbuf, 16u << 20);
	assert_int_equal(opts.queue_maxlen, 8192);
	assert_int_equal(opts.fail_open, 1);
	assert_int_equal(opts.stats_interval, 60);
	assert_int_equal(opts.peers.count, 1);
}

/* ---- --peer ------------------------------------------------------------- */

static void peer_single_address_is_host_mask(void **state)
{
	(void)state;
	assert_ok(PARSE("--peer", "192.0.2.9"));
	assert_int_equal(opts.peers.count, 1);
	assert_int_equal(ntohl(opts.peers.list[0].addr), 0xc0000209u);
	assert_int_equal(ntohl(opts.peers.list[0].mask), 0xffffffffu);
}

static void peer_prefix_is_stored_masked(void **state)
{
	(void)state;
	assert_ok(PARSE("--peer", "198.51.100.77/24"));
	assert_int_equal(opts.peers.count, 1);
	assert_int_equal(ntohl(opts.peers.list[0].addr), 0xc6336400u); /* 198.51.100.0 */
	assert_int_equal(ntohl(opts.peers.list[0].mask), 0xffffff00u);
}

static void peer_prefix_0_and_32(void **state)
{
	(void)state;
	assert_ok(PARSE("--peer", "203.0.113.5/0", "--peer", "203.0.113.5/32", "--peer",
			"10.255.1.1/9"));
	assert_int_equal(opts.peers.count, 3);
	assert_int_equal(opts.peers.list[0].addr, 0);
	assert_int_equal(opts.peers.list[0].mask, 0);
	assert_int_equal(ntohl(opts.peers.list[1].addr), 0xcb007105u);
	assert_int_equal(ntohl(opts.peers.list[1].mask), 0xffffffffu);
	assert_int_equal(ntohl(opts.peers.list[2].addr), 0x0a800000u); /* 10.128.0.0 */
	assert_int_equal(ntohl(opts.peers.list[2].mask), 0xff800000u);
}

static void peer_repeats_in_order(void **state)
{
	(void)state;
	assert_ok(PARSE("--peer", "10.0.0.1", "--peer=10.0.0.2", "--peer", "172.16.0.0/12"));
	assert_int_equal(opts.peers.count, 3);
	assert_int_equal(ntohl(opts.peers.list[0].addr), 0x0a000001u);
	assert_int_equal(ntohl(opts.peers.list[1].addr), 0x0a000002u);
	assert_int_equal(ntohl(opts.peers.list[2].addr), 0xac100000u);
	assert_int_equal(ntohl(opts.peers.list[2].mask), 0xfff00000u);
}

static void peer_allowed_with_read(void **state)
{
	(void)state;
	assert_ok(PARSE("-r", "in.pcap", "--peer", "10.0.0.0/8"));
	assert_int_equal(opts.mode, L2FQ_MODE_OFFLINE);
	assert_int_equal(opts.peers.count, 1);
}

static void peer_bad_values_rejected(void **state)
{
	static const char *const bad[] = {
		"300.1.1.1", "1.2.3.4/33", "1.2.3.4/", "/24",	      "x",	  "",
		"1.2.3",     "1.2.3.4/-1", "1.2.3.4/8x", "1.2.3.4/ 8", "::1", "1.2.3.4/24/8",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum l2fq_parse_result r = PARSE("--peer", bad[i]);

		if (r != L2FQ_PARSE_ERROR)
			fail_msg("--peer '%s' accepted", bad[i]);
		assert_error_naming(r, "--peer");
		if (bad[i][0] && strstr(err, bad[i]) == NULL)
			fail_msg("error '%s' does not quote '%s'", err, bad[i]);
	}
}

static void peer_table_holds_256_and_rejects_257th(void **state)
{
	static char addrs[L2FQ_MAX_PEERS + 1][20];
	const char *args[2 * (L2FQ_MAX_PEERS + 1) + 1];
	size_t n = 0;

	(void)state;
	for (int i = 0; i <= L2FQ_MAX_PEERS; i++) {
		snprintf(addrs[i], sizeof(addrs[i]), "10.0.%d.%d", i / 256, i % 256);
		args[n++] = "--peer";
		args[n++] = addrs[i];
	}
	args[n - 2] = NULL; /* first only L2FQ_MAX_PEERS peers */
	assert_ok(parse_args(args));
	assert_int_equal(opts.peers.count, L2FQ_MAX_PEERS);
	assert_int_equal(ntohl(opts.peers.list[L2FQ_MAX_PEERS - 1].addr), 0x0a0000ffu);
	args[n - 2] = "--peer";
	args[n] = NULL;
	assert_error_naming(parse_args(args), "--peer");
}

/* ---- ranges ------------------------------------------------------------- */

static void queue_bounds(void **state)
{
	(void)state;
	assert_ok(PARSE("--queue", "0"));
	assert_int_equal(opts.queue, 0);
	assert_ok(PARSE("--queue", "65535"));
	assert_int_equal(opts.queue, 65535);
	assert_error_naming(PARSE("--queue", "65536"), "--queue");
	assert_error_naming(PARSE("--queue", "70000"), "--queue");
	assert_error_naming(PARSE("--queue", "-1"), "--queue");
	assert_error_naming(PARSE("--queue", ""), "--queue");
	assert_error_naming(PARSE("--queue", "1x"), "--queue");
	assert_error_naming(PARSE("--queue", " 1"), "--queue");
	assert_error_naming(PARSE("--queue", "+1"), "--queue");
	assert_error_naming(PARSE("--queue", "99999999999999999999999"), "--queue");
	assert_error_naming(PARSE("-q", "abc"), "--queue");
}

static void threads_bounds(void **state)
{
	(void)state;
	assert_ok(PARSE("--threads", "1"));
	assert_int_equal(opts.threads, 1);
	assert_ok(PARSE("--threads", "64"));
	assert_int_equal(opts.threads, L2FQ_MAX_THREADS);
	assert_error_naming(PARSE("--threads", "0"), "--threads");
	assert_error_naming(PARSE("--threads", "65"), "--threads");
	assert_error_naming(PARSE("--threads", "-2"), "--threads");
	assert_error_naming(PARSE("--threads", "two"), "--threads");
	assert_error_naming(PARSE("-t", "0"), "--threads");
}

static void threads_past_last_queue_rejected(void **state)
{
	(void)state;
	assert_ok(PARSE("--queue", "65535", "--threads", "1"));
	assert_ok(PARSE("--queue", "65534", "--threads", "2"));
	assert_int_equal(opts.queue, 65534);
	assert_int_equal(opts.threads, 2);
	assert_ok(PARSE("--queue", "65472", "--threads", "64"));
	assert_error_naming(PARSE("--queue", "65535", "--threads", "2"), "--threads");
	assert_error_naming(PARSE("--threads", "64", "--queue", "65473"), "--threads");
}

static void batch_bounds(void **state)
{
	(void)state;
	assert_ok(PARSE("--batch", "1"));
	assert_int_equal(opts.batch, 1);
	assert_ok(PARSE("--batch", "64"));
	assert_int_equal(opts.batch, L2FQ_MAX_BATCH);
	assert_error_naming(PARSE("--batch", "0"), "--batch");
	assert_error_naming(PARSE("--batch", "65"), "--batch");
	assert_error_naming(PARSE("--batch", "8k"), "--batch");
}

static void rcvbuf_suffixes(void **state)
{
	(void)state;
	assert_ok(PARSE("--rcvbuf", "64K"));
	assert_int_equal(opts.rcvbuf, 64u << 10);
	assert_ok(PARSE("--rcvbuf", "512k"));
	assert_int_equal(opts.rcvbuf, 512u << 10);
	assert_ok(PARSE("--rcvbuf", "4M"));
	assert_int_equal(opts.rcvbuf, 4u << 20);
	assert_ok(PARSE("--rcvbuf", "32m"));
	assert_int_equal(opts.rcvbuf, 32u << 20);
	assert_ok(PARSE("--rcvbuf", "1G"));
	assert_int_equal(opts.rcvbuf, 1u << 30);
	assert_ok(PARSE("--rcvbuf", "1g"));
	assert_int_equal(opts.rcvbuf, 1u << 30);
}

static void rcvbuf_bounds(void **state)
{
	(void)state;
	assert_ok(PARSE("--rcvbuf", "65536"));
	assert_int_equal(opts.rcvbuf, 65536);
	assert_ok(PARSE("--rcvbuf", "1073741824"));
	assert_int_equal(opts.rcvbuf, 1073741824u);
	assert_ok(PARSE("--rcvbuf", "1024M"));
	assert_int_equal(opts.rcvbuf, 1u << 30);
	assert_error_naming(PARSE("--rcvbuf", "65535"), "--rcvbuf");
	assert_error_naming(PARSE("--rcvbuf", "63K"), "--rcvbuf");
	assert_error_naming(PARSE("--rcvbuf", "0"), "--rcvbuf");
	assert_error_naming(PARSE("--rcvbuf", "0K"), "--rcvbuf");
	assert_error_naming(PARSE("--rcvbuf", "1073741825"), "--rcvbuf");
	assert_error_naming(PARSE("--rcvbuf", "1025M"), "--rcvbuf");
	assert_error_naming(PARSE("--rcvbuf", "2G"), "--rcvbuf");
	assert_error_naming(PARSE("--rcvbuf", "4294967296"), "--rcvbuf");
	assert_error_naming(PARSE("--rcvbuf", "18446744073709551616K"), "--rcvbuf");
	assert_error_naming(PARSE("--rcvbuf", "16777216G"), "--rcvbuf");
}

static void rcvbuf_bad_syntax(void **state)
{
	(void)state;
	assert_error_naming(PARSE("--rcvbuf", "1T"), "--rcvbuf");
	assert_error_naming(PARSE("--rcvbuf", "1MB"), "--rcvbuf");
	assert_error_naming(PARSE("--rcvbuf", "M"), "--rcvbuf");
	assert_error_naming(PARSE("--rcvbuf", ""), "--rcvbuf");
	assert_error_naming(PARSE("--rcvbuf", "-1M"), "--rcvbuf");
	assert_error_naming(PARSE("--rcvbuf", "1.5M"), "--rcvbuf");
}

static void queue_maxlen_bounds(void **state)
{
	(void)state;
	assert_ok(PARSE("--queue-maxlen", "1"));
	assert_int_equal(opts.queue_maxlen, 1);
	assert_ok(PARSE("--queue-maxlen", "16777216"));
	assert_int_equal(opts.queue_maxlen, 16777216u);
	assert_error_naming(PARSE("--queue-maxlen", "0"), "--queue-maxlen");
	assert_error_naming(PARSE("--queue-maxlen", "16777217"), "--queue-maxlen");
	assert_error_naming(PARSE("--queue-maxlen", "1K"), "--queue-maxlen");
}

static void stats_interval_bounds(void **state)
{
	(void)state;
	assert_ok(PARSE("--stats-interval", "0"));
	assert_int_equal(opts.stats_interval, 0);
	assert_ok(PARSE("--stats-interval", "86400"));
	assert_int_equal(opts.stats_interval, 86400);
	assert_error_naming(PARSE("--stats-interval", "86401"), "--stats-interval");
	assert_error_naming(PARSE("--stats-interval", "-5"), "--stats-interval");
	assert_error_naming(PARSE("--stats-interval", "5s"), "--stats-interval");
}

/* ---- usage errors ------------------------------------------------------- */

static void unknown_long_option(void **state)
{
	(void)state;
	assert_error_naming(PARSE("--bogus"), "--bogus");
}

static void unknown_short_option(void **state)
{
	(void)state;
	assert_error_naming(PARSE("-x"), "-x");
}

/* A no-argument option given "=value" is an error that names the option.
 * (glibc sets optopt to the option's val here, not to 0.) */
static void no_argument_option_with_value_names_option(void **state)
{
	(void)state;
	assert_error_naming(PARSE("--fail-open=1"), "--fail-open");
	assert_error_naming(PARSE("--help=1"), "--help");
	assert_error_naming(PARSE("--version=yes"), "--version");
}

static void missing_argument_long(void **state)
{
	(void)state;
	assert_error_naming(PARSE("--threads"), "--threads");
	assert_error_naming(PARSE("--peer"), "--peer");
	assert_error_naming(PARSE("--read"), "--read");
	assert_error_naming(PARSE("--rcvbuf"), "--rcvbuf");
}

static void missing_argument_short(void **state)
{
	(void)state;
	assert_error_naming(PARSE("-r"), "-r");
	assert_error_naming(PARSE("-q"), "-q");
	assert_error_naming(PARSE("-t", "2", "-w"), "-w");
}

static void stray_positional_argument(void **state)
{
	(void)state;
	assert_error_naming(PARSE("stray"), "stray");
	assert_error_naming(PARSE("-t", "2", "stray"), "stray");
	/* GNU getopt permutes: a stray argument before options is found too */
	assert_error_naming(PARSE("stray", "-t", "2"), "stray");
	assert_error_naming(PARSE("-r", "in.pcap", "out.pcap"), "out.pcap");
	assert_error_naming(PARSE("--", "-t"), "-t");
}

static void write_without_read(void **state)
{
	(void)state;
	assert_error_naming(PARSE("--write", "out.pcap"), "--write");
	assert_error_naming(PARSE("-w", "-"), "--write");
}

static void daemon_only_options_rejected_with_read(void **state)
{
	static const char *const cases[][3] = {
		{ "--queue", "1", "--queue" },
		{ "-q", "1", "--queue" },
		{ "--threads", "2", "--threads" },
		{ "-t", "2", "--threads" },
		{ "--batch", "8", "--batch" },
		{ "--rcvbuf", "1M", "--rcvbuf" },
		{ "--queue-maxlen", "100", "--queue-maxlen" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_error_naming(PARSE("-r", "in.pcap", cases[i][0], cases[i][1]), cases[i][2]);
		assert_error_naming(PARSE(cases[i][0], cases[i][1], "--read", "in.pcap"),
				    cases[i][2]);
	}
	assert_error_naming(PARSE("--fail-open", "-r", "in.pcap", "-w", "o"), "--fail-open");
	/* even the default value is a daemon-only option */
	assert_error_naming(PARSE("-r", "in.pcap", "--threads", "1"), "--threads");
}

static void error_message_fits_small_buffer(void **state)
{
	char small[8];
	char *argv[] = { (char *)"l2fragq", (char *)"--threads", (char *)"0", NULL };

	(void)state;
	memset(small, 'X', sizeof(small));
	assert_int_equal(l2fq_options_parse(3, argv, &opts, small, 6), L2FQ_PARSE_ERROR);
	assert_int_equal(strlen(small), 5);
	assert_memory_equal(small, "--thr", 5);
	assert_int_equal(small[6], 'X');
	assert_int_equal(small[7], 'X');
}

static void success_leaves_error_empty(void **state)
{
	(void)state;
	assert_ok(PARSE("-t", "2"));
	assert_string_equal(err, "");
}

/* ---- getopt state ------------------------------------------------------- */

static void parse_twice_same_arguments(void **state)
{
	(void)state;
	assert_ok(PARSE("-q", "3", "-t", "2"));
	assert_int_equal(opts.queue, 3);
	assert_ok(PARSE("-q", "3", "-t", "2"));
	assert_int_equal(opts.queue, 3);
	assert_int_equal(opts.threads, 2);
}

/* An earlier parse that stopped inside a cluster of short options ("-hq")
 * or on an error must not disturb the next one. */
static void parse_after_early_stop_starts_fresh(void **state)
{
	(void)state;
	assert_int_equal(PARSE("-hq5"), L2FQ_PARSE_HELP);
	assert_ok(PARSE("-t", "3"));
	assert_int_equal(opts.threads, 3);
	assert_int_equal(opts.queue, 0);

	assert_error_naming(PARSE("-t", "0", "-q", "9"), "--threads");
	assert_ok(PARSE("-q", "9"));
	assert_int_equal(opts.queue, 9);

	assert_error_naming(PARSE("-x"), "-x");
	assert_error_naming(PARSE("--bogus"), "--bogus");

	assert_error_naming(PARSE("a", "b"), "'a'");
	assert_ok(PARSE("--batch", "2"));
	assert_int_equal(opts.batch, 2);
	assert_int_equal(PARSE("-V"), L2FQ_PARSE_VERSION);
	assert_ok(parse_none());
}

/* ---- operations options --------------------------------------------------- */

static void queues_range_sets_queue_and_threads(void **state)
{
	(void)state;
	assert_ok(PARSE("--queues", "0-3"));
	assert_int_equal(opts.queue, 0);
	assert_int_equal(opts.threads, 4);
	assert_ok(PARSE("--queues", "100-100"));
	assert_int_equal(opts.queue, 100);
	assert_int_equal(opts.threads, 1);
	assert_ok(PARSE("--queues", "65472-65535"));
	assert_int_equal(opts.threads, 64);
}

static void queues_bad_ranges_rejected(void **state)
{
	const char *bad[] = { "3-1", "0-64", "5", "x-1", "1-", "-1", "0-65536", "1--2", "" };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_error_naming(PARSE("--queues", bad[i]), "--queues");
}

static void user_and_metrics_file_are_daemon_options(void **state)
{
	(void)state;
	assert_ok(PARSE("--user", "nobody", "--metrics-file", "/run/l2fragq.prom"));
	assert_string_equal(opts.user, "nobody");
	assert_string_equal(opts.metrics_file, "/run/l2fragq.prom");
	assert_error_naming(PARSE("--user", ""), "--user");
	assert_error_naming(PARSE("--metrics-file", ""), "--metrics-file");
	assert_error_naming(PARSE("-r", "in.pcap", "--user", "nobody"), "--user");
	assert_error_naming(PARSE("-r", "in.pcap", "--metrics-file", "m"), "--metrics-file");
	assert_error_naming(PARSE("-r", "in.pcap", "--queues", "0-1"), "--queues");
}


/* ---- --pmtud ------------------------------------------------------------ */

static void pmtud_defaults(void **state)
{
	(void)state;
	assert_ok(parse_none());
	assert_int_equal(opts.pmtud, 0);
	assert_ok(PARSE("--pmtud"));
	assert_int_equal(opts.pmtud, 1);
	assert_int_equal(opts.pmtud_mtu, 0);
	assert_int_equal(opts.pmtud_mark, 0x6c32);
	assert_int_equal(opts.pmtud_flow_interval_ms, 1000);
	assert_int_equal(opts.pmtud_rate, 1000);
}

static void pmtud_values(void **state)
{
	(void)state;
	assert_ok(PARSE("--pmtud", "--pmtud-mtu", "1420", "--pmtud-mark", "0xff00",
			"--pmtud-flow-interval", "0", "--pmtud-rate", "20"));
	assert_int_equal(opts.pmtud_mtu, 1420);
	assert_int_equal(opts.pmtud_mark, 0xff00);
	assert_int_equal(opts.pmtud_flow_interval_ms, 0);
	assert_int_equal(opts.pmtud_rate, 20);
	assert_ok(PARSE("--pmtud", "--pmtud-mtu", "576", "--pmtud-mark", "4294967295"));
	assert_int_equal(opts.pmtud_mtu, 576);
	assert_int_equal(opts.pmtud_mark, 0xffffffffu);
	assert_ok(PARSE("--pmtud", "--pmtud-mtu", "65535", "--pmtud-flow-interval", "60000",
			"--pmtud-rate", "1000000"));
	assert_int_equal(opts.pmtud_mtu, 65535);
}

static void pmtud_bad_values_rejected(void **state)
{
	(void)state;
	assert_error_naming(PARSE("--pmtud", "--pmtud-mtu", "575"), "--pmtud-mtu");
	assert_error_naming(PARSE("--pmtud", "--pmtud-mtu", "65536"), "--pmtud-mtu");
	assert_error_naming(PARSE("--pmtud", "--pmtud-mtu", "1420x"), "--pmtud-mtu");
	assert_error_naming(PARSE("--pmtud", "--pmtud-mark", "0"), "--pmtud-mark");
	assert_error_naming(PARSE("--pmtud", "--pmtud-mark", "0x100000000"), "--pmtud-mark");
	assert_error_naming(PARSE("--pmtud", "--pmtud-mark", "mark"), "--pmtud-mark");
	assert_error_naming(PARSE("--pmtud", "--pmtud-mark", "-1"), "--pmtud-mark");
	assert_error_naming(PARSE("--pmtud", "--pmtud-flow-interval", "60001"),
			    "--pmtud-flow-interval");
	assert_error_naming(PARSE("--pmtud", "--pmtud-rate", "1000001"), "--pmtud-rate");
	assert_error_naming(PARSE("--pmtud", "--pmtud-rate", ""), "--pmtud-rate");
}

static void pmtud_details_need_pmtud(void **state)
{
	(void)state;
	assert_error_naming(PARSE("--pmtud-mtu", "1420"), "--pmtud-mtu: needs --pmtud");
	assert_error_naming(PARSE("--pmtud-mark", "1"), "--pmtud-mark: needs --pmtud");
	assert_error_naming(PARSE("--pmtud-rate", "1"), "--pmtud-rate: needs --pmtud");
	assert_error_naming(PARSE("--pmtud-flow-interval", "1"), "--pmtud-flow-interval");
	/* order does not matter */
	assert_ok(PARSE("--pmtud-mtu", "1420", "--pmtud"));
}

/* ---- --print-settings --------------------------------------------------- */

/* The defaults l2fragq-net reads: from the same constants set_defaults uses. */
static void print_settings_defaults(void **state)
{
	char want[512], got[512];
	int n;

	(void)state;
	assert_int_equal(PARSE("--print-settings"), L2FQ_PARSE_SETTINGS);
	snprintf(want, sizeof(want),
		 "queue=0\nthreads=1\nbatch=%u\nrcvbuf=%lu\nqueue-maxlen=%lu\n"
		 "fail-open=0\ngso=0\nstats-interval=0\npmtud=0\npmtud-mtu=0\n"
		 "pmtud-mark=0x%lx\npmtud-flow-interval=%u\npmtud-rate=%u\n"
		 "underlay-probe=\nunderlay-confirm-interval=%u\nunderlay-raise-interval=%u\n"
		 "underlay-status-file=\n",
		 L2FQ_DEFAULT_BATCH, (unsigned long)L2FQ_DEFAULT_RCVBUF,
		 (unsigned long)L2FQ_DEFAULT_QUEUE_MAXLEN, (unsigned long)L2FQ_DEFAULT_PMTUD_MARK,
		 L2FQ_DEFAULT_PMTUD_FLOW_INTERVAL_MS, L2FQ_DEFAULT_PMTUD_RATE,
		 L2FQ_DEFAULT_UNDERLAY_CONFIRM_INTERVAL, L2FQ_DEFAULT_UNDERLAY_RAISE_INTERVAL);
	n = l2fq_options_settings(&opts, got, sizeof(got));
	assert_int_equal(n, (int)strlen(want));
	assert_string_equal(got, want);
	assert_non_null(strstr(got, "\npmtud-mark=0x6c32\n"));
	assert_non_null(strstr(got, "\nunderlay-confirm-interval=10\nunderlay-raise-interval=600\n"));
}

/* The values given, checked as the daemon checks them, in place of the defaults. */
static void print_settings_after_options(void **state)
{
	char got[512];

	(void)state;
	assert_int_equal(PARSE("--queues", "2-5", "--pmtud", "--pmtud-mtu", "1400",
			       "--pmtud-mark", "256", "--print-settings", "--rcvbuf", "32M"),
			 L2FQ_PARSE_SETTINGS);
	l2fq_options_settings(&opts, got, sizeof(got));
	assert_non_null(strstr(got, "queue=2\nthreads=4\n"));
	assert_non_null(strstr(got, "\nrcvbuf=33554432\n"));
	assert_non_null(strstr(got, "\npmtud=1\npmtud-mtu=1400\npmtud-mark=0x100\n"));
}

/* A bad option or combination is the usual error, not a settings list. */
static void print_settings_checks_options(void **state)
{
	char small[16];
	int n;

	(void)state;
	assert_error_naming(PARSE("--print-settings", "--pmtud", "--pmtud-mtu", "100"),
			    "--pmtud-mtu");
	assert_error_naming(PARSE("--pmtud-mark", "1", "--print-settings"),
			    "--pmtud-mark: needs --pmtud");
	assert_error_naming(PARSE("--print-settings", "--queue-maxlen", "0"), "--queue-maxlen");
	/* A short buffer is cut, terminated, and the length says so. */
	assert_int_equal(PARSE("--print-settings"), L2FQ_PARSE_SETTINGS);
	n = l2fq_options_settings(&opts, small, sizeof(small));
	assert_true(n > (int)sizeof(small));
	assert_int_equal(strlen(small), sizeof(small) - 1);
}

/* ---- --underlay-probe -------------------------------------------------- */

static void underlay_defaults_and_values(void **state)
{
	char got[1024];

	(void)state;
	assert_ok(parse_none());
	assert_null(opts.underlay_probe);
	assert_null(opts.underlay_status_file);
	assert_int_equal(opts.underlay_confirm_interval, 10);
	assert_int_equal(opts.underlay_raise_interval, 600);
	assert_ok(PARSE("--underlay-probe", "l2fq-wg"));
	assert_string_equal(opts.underlay_probe, "l2fq-wg");
	assert_ok(PARSE("--underlay-probe", "wg0", "--underlay-confirm-interval", "1",
			"--underlay-raise-interval", "10", "--underlay-status-file", "/run/x"));
	assert_int_equal(opts.underlay_confirm_interval, 1);
	assert_int_equal(opts.underlay_raise_interval, 10);
	assert_string_equal(opts.underlay_status_file, "/run/x");
	assert_ok(PARSE("--underlay-confirm-interval", "3600", "--underlay-raise-interval", "86400",
			"--underlay-probe", "a23456789012345"));
	assert_int_equal(opts.underlay_confirm_interval, 3600);
	assert_int_equal(opts.underlay_raise_interval, 86400);
	assert_int_equal(PARSE("--underlay-probe", "wg0", "--underlay-status-file", "/run/s",
			       "--print-settings"), L2FQ_PARSE_SETTINGS);
	l2fq_options_settings(&opts, got, sizeof(got));
	assert_non_null(strstr(got, "\nunderlay-probe=wg0\nunderlay-confirm-interval=10\n"
				    "underlay-raise-interval=600\nunderlay-status-file=/run/s\n"));
}

static void underlay_bad_values_rejected(void **state)
{
	(void)state;
	assert_error_naming(PARSE("--underlay-probe", ""), "--underlay-probe");
	assert_error_naming(PARSE("--underlay-probe", "a234567890123456"), "--underlay-probe");
	assert_error_naming(PARSE("--underlay-probe", "../wg"), "--underlay-probe");
	assert_error_naming(PARSE("--underlay-probe", "wg0", "--underlay-confirm-interval", "0"),
			    "--underlay-confirm-interval");
	assert_error_naming(PARSE("--underlay-probe", "wg0", "--underlay-confirm-interval", "3601"),
			    "--underlay-confirm-interval");
	assert_error_naming(PARSE("--underlay-probe", "wg0", "--underlay-raise-interval", "9"),
			    "--underlay-raise-interval");
	assert_error_naming(PARSE("--underlay-probe", "wg0", "--underlay-raise-interval", "86401"),
			    "--underlay-raise-interval");
	assert_error_naming(PARSE("--underlay-probe", "wg0", "--underlay-raise-interval", "1e3"),
			    "--underlay-raise-interval");
	assert_error_naming(PARSE("--underlay-probe", "wg0", "--underlay-status-file", ""),
			    "--underlay-status-file");
}

static void underlay_details_need_underlay_probe(void **state)
{
	(void)state;
	assert_error_naming(PARSE("--underlay-confirm-interval", "5"),
			    "--underlay-confirm-interval: needs --underlay-probe");
	assert_error_naming(PARSE("--underlay-raise-interval", "60"),
			    "--underlay-raise-interval: needs --underlay-probe");
	assert_error_naming(PARSE("--underlay-status-file", "/run/s"),
			    "--underlay-status-file: needs --underlay-probe");
	assert_error_naming(PARSE("-r", "x.pcap", "--underlay-probe", "wg0"),
			    "--underlay-probe: only for the daemon");
	/* order does not matter; works without --pmtud and with it */
	assert_ok(PARSE("--underlay-status-file", "/run/s", "--underlay-probe", "wg0"));
	assert_ok(PARSE("--underlay-probe", "wg0", "--pmtud"));
}

static void pmtud_is_a_daemon_option(void **state)
{
	(void)state;
	assert_error_naming(PARSE("-r", "x.pcap", "--pmtud"), "--pmtud: only for the daemon");
	assert_error_naming(PARSE("--pmtud-rate", "5", "-r", "x.pcap"),
			    "--pmtud-rate: only for the daemon");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_without_arguments),
		cmocka_unit_test(defaults_reset_between_parses),
		cmocka_unit_test(queue_long_short_and_attached),
		cmocka_unit_test(threads_long_and_short),
		cmocka_unit_test(batch_sets_value),
		cmocka_unit_test(rcvbuf_sets_value),
		cmocka_unit_test(queue_maxlen_sets_value),
		cmocka_unit_test(fail_open_sets_flag),
		cmocka_unit_test(stats_interval_sets_value),
		cmocka_unit_test(read_long_and_short_selects_offline),
		cmocka_unit_test(write_long_and_short_with_read),
		cmocka_unit_test(help_long_and_short),
		cmocka_unit_test(version_long_and_short),
		cmocka_unit_test(usage_mentions_every_long_option),
		cmocka_unit_test(daemon_options_combined),
		cmocka_unit_test(peer_single_address_is_host_mask),
		cmocka_unit_test(peer_prefix_is_stored_masked),
		cmocka_unit_test(peer_prefix_0_and_32),
		cmocka_unit_test(peer_repeats_in_order),
		cmocka_unit_test(peer_allowed_with_read),
		cmocka_unit_test(peer_bad_values_rejected),
		cmocka_unit_test(peer_table_holds_256_and_rejects_257th),
		cmocka_unit_test(queue_bounds),
		cmocka_unit_test(threads_bounds),
		cmocka_unit_test(threads_past_last_queue_rejected),
		cmocka_unit_test(batch_bounds),
		cmocka_unit_test(rcvbuf_suffixes),
		cmocka_unit_test(rcvbuf_bounds),
		cmocka_unit_test(rcvbuf_bad_syntax),
		cmocka_unit_test(queue_maxlen_bounds),
		cmocka_unit_test(stats_interval_bounds),
		cmocka_unit_test(unknown_long_option),
		cmocka_unit_test(unknown_short_option),
		cmocka_unit_test(no_argument_option_with_value_names_option),
		cmocka_unit_test(missing_argument_long),
		cmocka_unit_test(missing_argument_short),
		cmocka_unit_test(stray_positional_argument),
		cmocka_unit_test(write_without_read),
		cmocka_unit_test(daemon_only_options_rejected_with_read),
		cmocka_unit_test(error_message_fits_small_buffer),
		cmocka_unit_test(success_leaves_error_empty),
		cmocka_unit_test(parse_twice_same_arguments),
		cmocka_unit_test(parse_after_early_stop_starts_fresh),
		cmocka_unit_test(queues_range_sets_queue_and_threads),
		cmocka_unit_test(queues_bad_ranges_rejected),
		cmocka_unit_test(user_and_metrics_file_are_daemon_options),
		cmocka_unit_test(pmtud_defaults),
		cmocka_unit_test(pmtud_values),
		cmocka_unit_test(pmtud_bad_values_rejected),
		cmocka_unit_test(pmtud_details_need_pmtud),
		cmocka_unit_test(pmtud_is_a_daemon_option),
		cmocka_unit_test(print_settings_defaults),
		cmocka_unit_test(print_settings_after_options),
		cmocka_unit_test(print_settings_checks_options),
		cmocka_unit_test(underlay_defaults_and_values),
		cmocka_unit_test(underlay_bad_values_rejected),
		cmocka_unit_test(underlay_details_need_underlay_probe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
