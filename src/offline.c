/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "l2fragq/offline.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

/* A stream for the capture writer in *f: stdout for "-", else the
 * temporary. The writer closes its own descriptor (a dup), so the temporary
 * stays ours. Returns an enum l2fq_exit value, msg set on failure. */
static int output_open(const char *path, FILE **f, char *msg, size_t msglen)
{
	mode_t mask = umask(0);
	int fd, rc;

	umask(mask);
	if (strcmp(path, "-") == 0) {
		fd = dup(STDOUT_FILENO);
	} else {
		/* The capture gets the usual umask-based mode. */
		rc = l2fq_atomic_open(&out_file, path, 0666 & ~mask);
		if (rc) {
			snprintf(msg, msglen, "%s: cannot create the output: %s", path,
				 strerror(-rc));
			return L2FQ_EXIT_FAILURE;
		}
		if (out_file.tmp_path) {
			pending_tmp = out_file.tmp_path;
			signal(SIGINT, remove_pending_and_exit);
			signal(SIGTERM, remove_pending_and_exit);
			signal(SIGHUP, remove_pending_and_exit);
		}
		fd = fcntl(out_file.fd, F_DUPFD_CLOEXEC, 0);
	}
	*f = fd >= 0 ? fdopen(fd, "wb") : NULL;
	if (!*f) {
		snprintf(msg, msglen, "%s: cannot open the output: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return L2FQ_EXIT_FAILURE;
	}
	return L2FQ_EXIT_OK;
}

/* Commits (success) or discards the temporary. Returns an enum l2fq_exit
 * value, msg set on failure (only a commit fails). */
static int output_done(const char *path, int success, char *msg, size_t msglen)
{
	int rc;

	pending_tmp = NULL;
	if (strcmp(path, "-") == 0)
		return L2FQ_EXIT_OK;
	if (!success) {
		l2fq_atomic_discard(&out_file);
		return L2FQ_EXIT_OK;
	}
	rc = l2fq_atomic_commit(&out_file);
	if (rc) {
		snprintf(msg, msglen, "%s: cannot move the output into place: %s", path,
			 strerror(-rc));
		return L2FQ_EXIT_FAILURE;
	}
	return L2FQ_EXIT_OK;
}

/* "NAME.pcap" asks for classic pcap even from a pcapng input. */
static int wants_pcap(const char *path)
{
	size_t n = strlen(path);

	return n > 5 && strcasecmp(path + n - 5, ".pcap") == 0;
}

/* The output format cannot hold the input (why): a usage error, one line
 * with the fix. */
static int cannot_hold(const char *out_path, const char *why, char *msg, size_t msglen)
{
	snprintf(msg, msglen, "%s: %s; name the output .pcapng to keep the input's format",
		 out_path, why);
	return L2FQ_EXIT_USAGE;
}

/* A failed capture write or finish as an exit code, msg set. */
static int write_failure(enum l2fq_capture_write_result r, const char *out_path,
			 const char *why, char *msg, size_t msglen)
{
	if (r == L2FQ_CAPTURE_CANNOT_HOLD)
		return cannot_hold(out_path, why, msg, msglen);
	snprintf(msg, msglen, "%s: %s", out_path, why);
	return L2FQ_EXIT_FAILURE;
}

/* Closes an output that got every record. Returns an enum l2fq_exit value,
 * msg set on failure. */
static int output_finish(struct l2fq_capture_out *out, const char *out_path, char *msg,
			 size_t msglen)
{
	char why[512];
	enum l2fq_capture_write_result r = l2fq_capture_finish(out, why, sizeof(why));

	if (r != L2FQ_CAPTURE_WRITTEN)
		return write_failure(r, out_path, why, msg, msglen);
	return L2FQ_EXIT_OK;
}

/* The writer for out_path in *out. Returns an enum l2fq_exit value, msg set
 * on failure (the temporary is gone then). */
static int output_create(const struct l2fq_capture_in *in, const char *out_path,
			 struct l2fq_capture_out **out, char *msg, size_t msglen)
{
	int to_pcap = l2fq_capture_format(in) == L2FQ_CAPTURE_PCAPNG && wants_pcap(out_path);
	FILE *f = NULL;
	char why[512];
	int rc = output_open(out_path, &f, msg, msglen);

	*out = NULL;
	if (rc == L2FQ_EXIT_OK) {
		*out = l2fq_capture_create(in, f, to_pcap, why, sizeof(why));
		if (!*out) {
			snprintf(msg, msglen, "%s: %s", out_path, why);
			rc = L2FQ_EXIT_FAILURE;
		}
	}
	if (rc != L2FQ_EXIT_OK)
		output_done(out_path, 0, msg, msglen); /* a discard: cannot fail */
	return rc;
}

/* Finishes out after the records (rc: how they went), then commits or
 * discards the temporary. Returns the enum l2fq_exit value of the run, msg
 * set on failure. */
static int output_close(struct l2fq_capture_out *out, const char *out_path, int rc, char *msg,
			size_t msglen)
{
	int done;

	if (rc == L2FQ_EXIT_OK)
		rc = output_finish(out, out_path, msg, msglen);
	else
		l2fq_capture_abandon(out);
	done = output_done(out_path, rc == L2FQ_EXIT_OK, msg, msglen);
	return rc == L2FQ_EXIT_OK ? done : rc;
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
 * enum l2fq_exit value, msg set on failure. */
static int process_records(const struct l2fq_options *opts, struct l2fq_capture_in *in,
			   struct l2fq_capture_out *out, struct l2fq_stats *stats, char *msg,
			   size_t msglen)
{
	static struct l2fq_idgen ids; /* 4 KiB: keep it off the stack */
	const char *in_path = opts->read_path, *out_path = opts->write_path;
	struct l2fq_record rec;
	enum l2fq_capture_read_result r;
	enum l2fq_capture_write_result w;
	char why[512];

	l2fq_idgen_init(&ids, 0);
	while ((r = l2fq_capture_read(in, &rec, why, sizeof(why))) == L2FQ_CAPTURE_RECORD) {
		if (rec.kind == L2FQ_RECORD_PACKET)
			judge(&rec, &opts->peers, &ids, stats);
		warn_interface_link(in_path, &rec);
		if (!out)
			continue;
		w = l2fq_capture_write(out, &rec, why, sizeof(why));
		if (w != L2FQ_CAPTURE_WRITTEN)
			return write_failure(w, out_path, why, msg, msglen);
	}
	if (r != L2FQ_CAPTURE_END) {
		snprintf(msg, msglen, "%s: %s (after %llu packets)", in_path, why,
			 (unsigned long long)l2fq_stats_get(stats, L2FQ_CNT_PACKETS));
		return L2FQ_EXIT_FAILURE;
	}
	return L2FQ_EXIT_OK;
}

/* The input, and the output if one is asked for. Returns an enum l2fq_exit
 * value, msg set on failure (then nothing is left open). */
static int open_files(const struct l2fq_options *opts, struct l2fq_capture_in **in,
		      struct l2fq_capture_out **out, char *msg, size_t msglen)
{
	int rc;

	*out = NULL;
	*in = l2fq_capture_open(opts->read_path, msg, msglen);
	if (!*in)
		return L2FQ_EXIT_FAILURE;
	if (!opts->write_path)
		return L2FQ_EXIT_OK;
	rc = output_create(*in, opts->write_path, out, msg, msglen);
	if (rc != L2FQ_EXIT_OK) {
		l2fq_capture_close(*in);
		*in = NULL;
	}
	return rc;
}

int l2fq_offline_run(const struct l2fq_options *opts, struct l2fq_stats *stats)
{
	const char *in_path = opts->read_path, *out_path = opts->write_path;
	struct l2fq_capture_out *out;
	struct l2fq_capture_in *in;
	/* Room for a path and the reason after it. */
	char msg[PATH_MAX + 1024] = "", line[512];
	int rc;

	rc = open_files(opts, &in, &out, msg, sizeof(msg));
	if (rc != L2FQ_EXIT_OK) {
		fprintf(stderr, "l2fragq: %s\n", msg);
		return rc;
	}
	warn_pcap_link(in_path, in);
	rc = process_records(opts, in, out, stats, msg, sizeof(msg));
	l2fq_capture_close(in);
	if (out)
		rc = output_close(out, out_path, rc, msg, sizeof(msg));
	if (rc != L2FQ_EXIT_OK)
		fprintf(stderr, "l2fragq: %s\n", msg);
	/* A usage error is one line; anything else ends with the counters. */
	if (rc != L2FQ_EXIT_USAGE) {
		l2fq_stats_format(stats, line, sizeof(line));
		fprintf(stderr, "l2fragq: %s%s: %s\n", in_path,
			rc == L2FQ_EXIT_OK ? "" : " (incomplete)", line);
	}
	return rc;
}
