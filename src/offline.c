/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "l2fragq/offline.h"

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "l2fragq/atomic_file.h"
#include "l2fragq/capture.h"
#include "l2fragq/exit_codes.h"
#include "l2fragq/linklayer.h"
#include "l2fragq/rewrite.h"

static void judge(const struct l2fq_record *rec, const struct l2fq_peers *peers,
		  struct l2fq_idgen *ids, struct l2fq_stats *stats)
{
	size_t off = 0;
	enum l2fq_reason reason;

	l2fq_stats_add(stats, L2FQ_CNT_PACKETS, 1);
	switch (l2fq_link_find_ipv4(rec->linktype, rec->data, rec->caplen, &off)) {
	case L2FQ_LINK_IPV4:
		break;
	case L2FQ_LINK_NOT_IPV4:
		l2fq_stats_add(stats, L2FQ_CNT_LINK_NOT_IPV4, 1);
		return;
	case L2FQ_LINK_TRUNCATED:
		l2fq_stats_add(stats, L2FQ_CNT_LINK_TRUNCATED, 1);
		return;
	case L2FQ_LINK_UNKNOWN_TYPE:
	default:
		l2fq_stats_add(stats, L2FQ_CNT_LINK_UNKNOWN, 1);
		return;
	}
	/* The original length may be below caplen in a broken file: the engine
	 * then judges by what it has. */
	reason = l2fq_rewrite(rec->data + off, rec->caplen - off,
			      rec->origlen > off ? rec->origlen - off : 0, peers, ids);
	l2fq_stats_add(stats, (enum l2fq_counter)reason, 1);
}

static const char *link_name(int linktype)
{
	const char *name = pcap_datalink_val_to_name(linktype);

	return name ? name : "?";
}

/* The output, written to a temporary file beside the target and renamed into
 * place only when the whole input was read: an error never leaves a short
 * file. The temporary is removed if a signal ends the run. */
static struct l2fq_atomic_file out_file = { .fd = -1 };
static const char *volatile pending_tmp;

static void remove_pending_and_exit(int sig)
{
	if (pending_tmp)
		unlink(pending_tmp);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* A stream for the capture writer: stdout for "-", else the temporary. The
 * writer closes its own descriptor (a dup), so the temporary stays ours. */
static FILE *output_open(const char *path)
{
	mode_t mask = umask(0);
	FILE *f;
	int fd, err;

	umask(mask);
	if (strcmp(path, "-") == 0) {
		fd = dup(STDOUT_FILENO);
	} else {
		/* The capture gets the usual umask-based mode. */
		err = l2fq_atomic_open(&out_file, path, 0666 & ~mask);
		if (err) {
			fprintf(stderr, "l2fragq: %s: cannot create the output: %s\n", path,
				strerror(-err));
			return NULL;
		}
		if (out_file.tmp_path) {
			pending_tmp = out_file.tmp_path;
			signal(SIGINT, remove_pending_and_exit);
			signal(SIGTERM, remove_pending_and_exit);
			signal(SIGHUP, remove_pending_and_exit);
		}
		fd = fcntl(out_file.fd, F_DUPFD_CLOEXEC, 0);
	}
	f = fd >= 0 ? fdopen(fd, "wb") : NULL;
	if (!f) {
		fprintf(stderr, "l2fragq: %s: cannot open the output: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	return f;
}

/* Commits (success) or discards the temporary. Returns 0 or -1 (reported). */
static int output_done(const char *path, int success)
{
	int err;

	pending_tmp = NULL;
	if (strcmp(path, "-") == 0)
		return 0;
	if (!success) {
		l2fq_atomic_discard(&out_file);
		return 0;
	}
	err = l2fq_atomic_commit(&out_file);
	if (err) {
		fprintf(stderr, "l2fragq: %s: cannot move the output into place: %s\n", path,
			strerror(-err));
		return -1;
	}
	return 0;
}

/* "NAME.pcap" asks for classic pcap even from a pcapng input. */
static int wants_pcap(const char *path)
{
	size_t n = strlen(path);

	return n > 5 && strcasecmp(path + n - 5, ".pcap") == 0;
}

/* The output format cannot hold the input: a usage error, one line with the fix. */
static int cannot_hold(const char *out_path, const char *err)
{
	fprintf(stderr, "l2fragq: %s: %s; name the output .pcapng to keep the input's format\n",
		out_path, err);
	return L2FQ_EXIT_USAGE;
}

/* Closes an output that got every record: L2FQ_EXIT_OK, or what went wrong
 * (reported). */
static int output_finish(struct l2fq_capture_out *out, const char *out_path)
{
	char err[512];
	int r = l2fq_capture_finish(out, err, sizeof(err));

	if (r == L2FQ_CAPTURE_CANNOT_HOLD)
		return cannot_hold(out_path, err);
	if (r != 0) {
		fprintf(stderr, "l2fragq: %s: %s\n", out_path, err);
		return L2FQ_EXIT_FAILURE;
	}
	return L2FQ_EXIT_OK;
}

/* The writer for out_path, or NULL after reporting why (the temporary is
 * gone then). */
static struct l2fq_capture_out *output_create(const struct l2fq_capture_in *in,
					      const char *out_path)
{
	int to_pcap = l2fq_capture_format(in) == L2FQ_CAPTURE_PCAPNG && wants_pcap(out_path);
	struct l2fq_capture_out *out = NULL;
	FILE *f = output_open(out_path);
	char err[512];

	if (f)
		out = l2fq_capture_create(in, f, to_pcap, err, sizeof(err));
	if (f && !out)
		fprintf(stderr, "l2fragq: %s: %s\n", out_path, err);
	if (!out)
		output_done(out_path, 0);
	return out;
}

/* A link type the engine does not decode: said once, for the file (pcap) or
 * for the interface (pcapng). */
static void warn_pcap_link(const char *in_path, const struct l2fq_capture_in *in)
{
	int linktype = l2fq_capture_pcap_linktype(in);

	if (l2fq_capture_format(in) == L2FQ_CAPTURE_PCAP && !l2fq_link_is_known(linktype))
		fprintf(stderr, "l2fragq: %s: link type %s (%d) is not decoded; packets are copied "
			"unchanged\n", in_path, link_name(linktype), linktype);
}

static void warn_interface_link(const char *in_path, const struct l2fq_record *rec)
{
	if (rec->kind == L2FQ_RECORD_INTERFACE && !l2fq_link_is_known(rec->linktype))
		fprintf(stderr, "l2fragq: %s: interface %llu has link type %s (%d), which "
			"is not decoded; its packets are copied unchanged\n", in_path,
			(unsigned long long)rec->iface, link_name(rec->linktype), rec->linktype);
}

/* Every record: judged if a packet, then written to out (if any). Returns an
 * enum l2fq_exit value; every error is reported. */
static int process_records(const struct l2fq_options *opts, struct l2fq_capture_in *in,
			   struct l2fq_capture_out *out, struct l2fq_stats *stats)
{
	static struct l2fq_idgen ids; /* 4 KiB: keep it off the stack */
	const char *in_path = opts->read_path, *out_path = opts->write_path;
	struct l2fq_record rec;
	char err[512];
	int r;

	l2fq_idgen_init(&ids, 0);
	while ((r = l2fq_capture_read(in, &rec, err, sizeof(err))) == L2FQ_CAPTURE_RECORD) {
		if (rec.kind == L2FQ_RECORD_PACKET)
			judge(&rec, &opts->peers, &ids, stats);
		warn_interface_link(in_path, &rec);
		if (!out)
			continue;
		r = l2fq_capture_write(out, &rec, err, sizeof(err));
		if (r == L2FQ_CAPTURE_CANNOT_HOLD)
			return cannot_hold(out_path, err);
		if (r != 0) {
			fprintf(stderr, "l2fragq: %s: %s\n", out_path, err);
			return L2FQ_EXIT_FAILURE;
		}
	}
	if (r != L2FQ_CAPTURE_END) {
		fprintf(stderr, "l2fragq: %s: %s (after %llu packets)\n", in_path, err,
			(unsigned long long)l2fq_stats_get(stats, L2FQ_CNT_PACKETS));
		return L2FQ_EXIT_FAILURE;
	}
	return L2FQ_EXIT_OK;
}

int l2fq_offline_run(const struct l2fq_options *opts, struct l2fq_stats *stats)
{
	const char *in_path = opts->read_path, *out_path = opts->write_path;
	struct l2fq_capture_out *out = NULL;
	struct l2fq_capture_in *in;
	char err[512], line[512];
	int rc;

	in = l2fq_capture_open(in_path, err, sizeof(err));
	if (!in) {
		fprintf(stderr, "l2fragq: %s\n", err);
		return L2FQ_EXIT_FAILURE;
	}
	if (out_path && !(out = output_create(in, out_path))) {
		l2fq_capture_close(in);
		return L2FQ_EXIT_FAILURE;
	}
	warn_pcap_link(in_path, in);
	rc = process_records(opts, in, out, stats);
	l2fq_capture_close(in);
	if (out) {
		if (rc == L2FQ_EXIT_OK)
			rc = output_finish(out, out_path);
		else
			l2fq_capture_abandon(out);
		if (output_done(out_path, rc == L2FQ_EXIT_OK) != 0)
			rc = L2FQ_EXIT_FAILURE;
	}
	/* A usage error is one line; anything else ends with the counters. */
	if (rc != L2FQ_EXIT_USAGE) {
		l2fq_stats_format(stats, line, sizeof(line));
		fprintf(stderr, "l2fragq: %s%s: %s\n", in_path,
			rc == L2FQ_EXIT_OK ? "" : " (incomplete)", line);
	}
	return rc;
}
