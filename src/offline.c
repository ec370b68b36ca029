#include "l2fragq/offline.h"

#include <errno.h>
#include <libgen.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "l2fragq/linklayer.h"
#include "l2fragq/rewrite.h"

#define PCAP_MAGIC_MICRO 0xa1b2c3d4u
#define PCAP_MAGIC_MICRO_SWAPPED 0xd4c3b2a1u

/* A classic microsecond pcap stays microsecond; anything else (nanosecond pcap,
 * pcapng with any resolution, stdin) is written with nanoseconds so no
 * timestamp loses precision. */
static int input_is_micro_pcap(const char *path)
{
	unsigned char m[4];
	struct stat st;
	uint32_t magic;
	FILE *f;
	size_t n;

	/* Peeking would consume a pipe's bytes: only regular files are peeked. */
	if (strcmp(path, "-") == 0 || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	f = fopen(path, "rb");
	if (!f)
		return 0;
	n = fread(m, 1, sizeof(m), f);
	fclose(f);
	if (n != sizeof(m))
		return 0;
	magic = (uint32_t)m[0] | (uint32_t)m[1] << 8 | (uint32_t)m[2] << 16 | (uint32_t)m[3] << 24;
	return magic == PCAP_MAGIC_MICRO || magic == PCAP_MAGIC_MICRO_SWAPPED;
}

static void judge_frame(int dlt, uint8_t *frame, const struct pcap_pkthdr *h,
			const struct l2fq_rule *rule, struct l2fq_idgen *ids,
			struct l2fq_stats *stats)
{
	size_t off = 0;
	enum l2fq_reason reason;

	l2fq_stats_add(stats, L2FQ_CNT_PACKETS, 1);
	switch (l2fq_link_find_ipv4(dlt, frame, h->caplen, &off)) {
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
	reason = l2fq_rewrite(frame + off, h->caplen - off, h->len > off ? h->len - off : 0,
			      rule, ids);
	l2fq_stats_add(stats, (enum l2fq_counter)reason, 1);
}

/* Output goes to a temporary file beside the target and is renamed into place
 * only when the whole input was read: an error never leaves a short file. */
struct output {
	pcap_t *dead;
	pcap_dumper_t *dumper;
	char *tmp_path;
	const char *final_path;
};

/* The temporary output, removed if a signal ends the run (see l2fq_offline_run). */
static const char *volatile pending_tmp;

static void remove_pending_and_exit(int sig)
{
	if (pending_tmp)
		unlink(pending_tmp);
	signal(sig, SIG_DFL);
	raise(sig);
}

static int output_open(struct output *out, const char *path, int dlt, int snaplen, int micro)
{
	struct stat st;
	FILE *f;
	int fd;

	memset(out, 0, sizeof(*out));
	out->final_path = path;
	out->dead = pcap_open_dead_with_tstamp_precision(
		dlt, snaplen, micro ? PCAP_TSTAMP_PRECISION_MICRO : PCAP_TSTAMP_PRECISION_NANO);
	if (!out->dead) {
		fprintf(stderr, "l2fragq: %s: cannot set up the pcap writer\n", path);
		return -1;
	}
	if (strcmp(path, "-") == 0) {
		out->dumper = pcap_dump_fopen(out->dead, stdout);
	} else if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		/* A device, FIFO or pipe is written in place, never replaced. */
		f = fopen(path, "wb");
		if (!f) {
			fprintf(stderr, "l2fragq: %s: cannot open the output: %s\n", path,
				strerror(errno));
			return -1;
		}
		out->dumper = pcap_dump_fopen(out->dead, f);
		if (!out->dumper)
			fclose(f);
	} else {
		char *dircopy = strdup(path);
		const char *dir;
		size_t len;

		if (!dircopy)
			return -1;
		/* dirname() may return a static "." instead of editing its argument. */
		dir = dirname(dircopy);
		len = strlen(dir) + strlen("/.l2fragq.XXXXXX") + 1;
		out->tmp_path = malloc(len);
		if (!out->tmp_path) {
			free(dircopy);
			return -1;
		}
		snprintf(out->tmp_path, len, "%s/.l2fragq.XXXXXX", dir);
		free(dircopy);
		fd = mkstemp(out->tmp_path);
		if (fd < 0) {
			fprintf(stderr, "l2fragq: %s: cannot create the output: %s\n", path,
				strerror(errno));
			free(out->tmp_path);
			out->tmp_path = NULL;
			return -1;
		}
		/* mkstemp makes 0600; give the capture the usual umask-based mode. */
		{
			mode_t mask = umask(0);

			umask(mask);
			(void)fchmod(fd, 0666 & ~mask);
		}
		pending_tmp = out->tmp_path;
		signal(SIGINT, remove_pending_and_exit);
		signal(SIGTERM, remove_pending_and_exit);
		signal(SIGHUP, remove_pending_and_exit);
		f = fdopen(fd, "wb");
		if (!f) {
			close(fd);
			return -1;
		}
		out->dumper = pcap_dump_fopen(out->dead, f);
		if (!out->dumper)
			fclose(f);
	}
	if (!out->dumper) {
		fprintf(stderr, "l2fragq: %s: %s\n", path, pcap_geterr(out->dead));
		return -1;
	}
	return 0;
}

static int output_close(struct output *out, int success)
{
	int rc = 0;

	if (out->dumper) {
		errno = 0;
		if (success && pcap_dump_flush(out->dumper) != 0) {
			fprintf(stderr, "l2fragq: %s: write failed: %s\n", out->final_path,
				strerror(errno));
			rc = -1;
		}
		/* pcap_dump_close cannot report an fclose error: check the stream first. */
		if (success && rc == 0 && ferror(pcap_dump_file(out->dumper))) {
			fprintf(stderr, "l2fragq: %s: write failed: %s\n", out->final_path,
				strerror(errno ? errno : EIO));
			rc = -1;
		}
		pcap_dump_close(out->dumper);
	}
	if (out->tmp_path) {
		if (success && rc == 0 && rename(out->tmp_path, out->final_path) != 0) {
			fprintf(stderr, "l2fragq: %s: cannot move the output into place: %s\n",
				out->final_path, strerror(errno));
			rc = -1;
		}
		if (!success || rc != 0)
			unlink(out->tmp_path);
		pending_tmp = NULL;
		free(out->tmp_path);
	}
	if (out->dead)
		pcap_close(out->dead);
	return rc;
}

int l2fq_offline_run(const struct l2fq_options *opts, struct l2fq_stats *stats)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	static struct l2fq_idgen ids; /* 4 KiB: keep it off the stack */
	struct output out = { 0 };
	struct pcap_pkthdr *h;
	const u_char *data;
	uint8_t *frame = NULL;
	size_t frame_cap = 0;
	int dlt, rc, micro, ok = 1;
	char line[512];
	pcap_t *in;

	l2fq_idgen_init(&ids, 0);
	/* Read timestamps in the precision they will be written with. */
	micro = input_is_micro_pcap(opts->read_path);
	in = pcap_open_offline_with_tstamp_precision(
		opts->read_path, micro ? PCAP_TSTAMP_PRECISION_MICRO : PCAP_TSTAMP_PRECISION_NANO,
		errbuf);
	if (!in) {
		/* libpcap names the file in some messages and not in others. */
		if (strncmp(errbuf, opts->read_path, strlen(opts->read_path)) == 0)
			fprintf(stderr, "l2fragq: %s\n", errbuf);
		else
			fprintf(stderr, "l2fragq: %s: %s\n", opts->read_path, errbuf);
		return L2FQ_EXIT_FAILURE;
	}
	dlt = pcap_datalink(in);
	if (opts->write_path &&
	    output_open(&out, opts->write_path, dlt, pcap_snapshot(in), micro) != 0) {
		output_close(&out, 0);
		pcap_close(in);
		return L2FQ_EXIT_FAILURE;
	}
	if (!l2fq_link_is_known(dlt))
		fprintf(stderr, "l2fragq: %s: link type %s (%d) is not decoded; packets are copied "
			"unchanged\n", opts->read_path,
			pcap_datalink_val_to_name(dlt) ? pcap_datalink_val_to_name(dlt) : "?", dlt);

	while ((rc = pcap_next_ex(in, &h, &data)) == 1) {
		/* The engine edits in place; libpcap's buffer is read-only to us. */
		/* Never NULL, even if the first records are empty: memcpy and the
		 * engine want a real buffer. */
		if (h->caplen > frame_cap || !frame) {
			uint8_t *bigger = realloc(frame, h->caplen ? h->caplen : 1);

			if (!bigger) {
				fprintf(stderr, "l2fragq: out of memory\n");
				ok = 0;
				break;
			}
			frame = bigger;
			frame_cap = h->caplen ? h->caplen : 1;
		}
		memcpy(frame, data, h->caplen);
		judge_frame(dlt, frame, h, &opts->rule, &ids, stats);
		if (out.dumper) {
			pcap_dump((u_char *)out.dumper, h, frame);
			/* Report the cause now: errno is gone by the time we close. */
			if (ferror(pcap_dump_file(out.dumper))) {
				fprintf(stderr, "l2fragq: %s: write failed: %s\n", opts->write_path,
					strerror(errno ? errno : EIO));
				ok = 0;
				break;
			}
		}
	}
	if (ok && rc == PCAP_ERROR) {
		fprintf(stderr, "l2fragq: %s: %s (after %llu packets)\n", opts->read_path,
			pcap_geterr(in),
			(unsigned long long)l2fq_stats_get(stats, L2FQ_CNT_PACKETS));
		ok = 0;
	}
	free(frame);
	pcap_close(in);
	if (opts->write_path && output_close(&out, ok) != 0)
		ok = 0;
	l2fq_stats_format(stats, line, sizeof(line));
	fprintf(stderr, "l2fragq: %s%s: %s\n", opts->read_path, ok ? "" : " (incomplete)", line);
	return ok ? L2FQ_EXIT_OK : L2FQ_EXIT_FAILURE;
}
