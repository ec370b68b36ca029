/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "l2fragq/daemon.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "l2fragq/atomic_file.h"
#include "l2fragq/exit_codes.h"
#include "l2fragq/ipid.h"
#include "l2fragq/metrics.h"
#include "l2fragq/notify.h"
#include "l2fragq/pmtud_sender.h"
#include "l2fragq/privdrop.h"
#include "l2fragq/queue.h"
#include "l2fragq/stats.h"
#include "l2fragq/underlay_prober.h"

/* Wakes a worker out of its blocking receive; the handler itself does nothing. */
#define WAKE_SIGNAL SIGUSR2

struct worker {
	struct l2fq_queue queue; /* first: cache-line aligned counters */
	pthread_t thread;
	const atomic_int *stop;
	atomic_int done;
	int rc;        /* enum l2fq_exit from l2fq_queue_run */
	char msg[256]; /* why it stopped, when rc says it failed */
};

static void on_wake(int sig)
{
	(void)sig;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	w->rc = l2fq_queue_run(&w->queue, w->stop, w->msg, sizeof(w->msg));
	atomic_store(&w->done, 1);
	return NULL;
}

static uint64_t random_seed(void)
{
	uint64_t seed = 0;

	if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed)) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 20;
	}
	return seed ? seed : 1;
}

/* The kernel's counters of the workers' queues (consecutive numbers), read
 * once per stats or metrics tick. */
struct kernel_counters {
	struct l2fq_kernel_queue_info info[L2FQ_MAX_THREADS];
	int found[L2FQ_MAX_THREADS];
};

static void read_kernel_counters(struct worker *workers, unsigned n, struct kernel_counters *k)
{
	l2fq_kernel_queue_info_range(workers[0].queue.cfg.queue, n, k->info, k->found);
}

static void print_stats(const char *label, struct worker *workers, unsigned n)
{
	struct kernel_counters kernel;
	struct l2fq_stats total;
	char line[1024];
	size_t used;
	uint64_t kq = 0, ku = 0;
	unsigned i;

	read_kernel_counters(workers, n, &kernel);
	l2fq_stats_clear(&total);
	for (i = 0; i < n; i++) {
		l2fq_stats_sum(&total, &workers[i].queue.stats, 1);
		if (kernel.found[i]) {
			kq += kernel.info[i].queue_dropped;
			ku += kernel.info[i].user_dropped;
		}
	}
	used = l2fq_stats_format(&total, line, sizeof(line));
	/* Kernel-side losses: queue full (queue_dropped) or our socket buffer
	 * full (user_dropped), from /proc/net/netfilter/nfnetlink_queue. */
	used += (size_t)snprintf(line + used, sizeof(line) - used,
				 " kernel-queue-dropped=%llu kernel-user-dropped=%llu",
				 (unsigned long long)kq, (unsigned long long)ku);
	if (n > 1) {
		for (i = 0; i < n && used < sizeof(line); i++)
			used += (size_t)snprintf(line + used, sizeof(line) - used, "%s%u:%llu",
						 i ? "," : " per-queue-packets=",
						 (unsigned)workers[i].queue.cfg.queue,
						 (unsigned long long)l2fq_stats_get(
							 &workers[i].queue.stats, L2FQ_CNT_PACKETS));
	}
	fprintf(stderr, "l2fragq: %s: %s\n", label, line);
}

/* pmtud: the --pmtud sender (per-tunnel signal counts), NULL without;
 * uprober: the --underlay-probe prober (per-peer state), NULL without. */
static void write_metrics(const char *path, struct worker *workers, unsigned n,
			  struct l2fq_pmtud_sender *pmtud, struct l2fq_uprober *uprober)
{
	static char text[256 * 1024];
	struct l2fq_metrics_queue q[L2FQ_MAX_THREADS];
	struct kernel_counters kernel;
	static int warned;
	size_t len;
	int err;

	read_kernel_counters(workers, n, &kernel);
	for (unsigned i = 0; i < n; i++) {
		q[i].queue = workers[i].queue.cfg.queue;
		q[i].stats = &workers[i].queue.stats;
		q[i].have_kernel = kernel.found[i];
		q[i].queue_dropped = kernel.found[i] ? kernel.info[i].queue_dropped : 0;
		q[i].user_dropped = kernel.found[i] ? kernel.info[i].user_dropped : 0;
	}
	len = l2fq_metrics_format(text, sizeof(text), q, n);
	if (pmtud && len < sizeof(text)) {
		static struct l2fq_tunnel_counts counts; /* main thread only */

		l2fq_pmtud_sender_tunnel_counts(pmtud, &counts);
		len += l2fq_metrics_format_tunnels(text + len, sizeof(text) - len, &counts);
	}
	if (uprober && len < sizeof(text))
		len += l2fq_uprober_metrics(uprober, text + len, sizeof(text) - len);
	/* 0644: node_exporter reads it as another user. */
	err = len >= sizeof(text) ? -ENOSPC : l2fq_write_file_atomic(path, text, len, 0644);
	/* Say it once: a full disk must not flood the log every interval. */
	if (err && !warned) {
		fprintf(stderr, "l2fragq: --metrics-file %s: cannot write: %s\n", path, strerror(-err));
		warned = 1;
	} else if (!err) {
		warned = 0;
	}
}

static void stop_workers(struct worker *workers, unsigned started, atomic_int *stop)
{
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	unsigned i;

	atomic_store(stop, 1);
	for (i = 0; i < started; i++) {
		/* Repeat the wake-up: a signal that lands just before the worker
		 * enters recvmmsg would otherwise be lost. */
		while (!atomic_load(&workers[i].done)) {
			pthread_kill(workers[i].thread, WAKE_SIGNAL);
			nanosleep(&pause, NULL);
		}
		pthread_join(workers[i].thread, NULL);
	}
}

/* The first worker that stopped on an error, or NULL. */
static const struct worker *failed_worker(const struct worker *workers, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (atomic_load(&workers[i].done) && workers[i].rc != L2FQ_EXIT_OK)
			return &workers[i];
	return NULL;
}

/* Everything the daemon opens, so one function can close it all. */
struct daemon {
	const struct l2fq_options *opts;
	struct worker *workers;
	unsigned opened;  /* queues bound */
	unsigned started; /* threads running */
	struct l2fq_pmtud_sender *pmtud;
	struct l2fq_pmtud_worker *pmtud_workers;
	struct l2fq_uprober *uprober; /* --underlay-probe */
};

static int open_queues(struct daemon *d, struct l2fq_idgen *ids, char *msg, size_t msglen)
{
	const struct l2fq_options *opts = d->opts;
	int rc;

	d->workers = calloc(opts->threads, sizeof(*d->workers));
	if (!d->workers) {
		snprintf(msg, msglen, "out of memory");
		return L2FQ_EXIT_FAILURE;
	}
	for (unsigned i = 0; i < opts->threads; i++) {
		struct l2fq_queue_config cfg = {
			.queue = (uint16_t)(opts->queue + i),
			.batch = opts->batch,
			.rcvbuf = opts->rcvbuf,
			.queue_maxlen = opts->queue_maxlen,
			.fail_open = opts->fail_open,
			.gso = opts->gso,
		};

		rc = l2fq_queue_open(&d->workers[i].queue, &cfg, &opts->peers, ids, msg, msglen);
		d->opened = i + 1; /* a half-opened queue is closed too */
		if (rc != L2FQ_EXIT_OK)
			return rc;
	}
	return L2FQ_EXIT_OK;
}

/* --pmtud, part 1 (privileged): the packet socket into the bridges. */
static int open_pmtud(struct daemon *d, char *msg, size_t msglen)
{
	const struct l2fq_options *opts = d->opts;
	struct l2fq_pmtud_config cfg = {
		.fixed_mtu = opts->pmtud_mtu,
		.mark = opts->pmtud_mark,
		.flow_interval_ms = opts->pmtud_flow_interval_ms,
		.rate_per_sec = opts->pmtud_rate,
		.rate_burst = L2FQ_PMTUD_RATE_BURST,
	};

	return l2fq_pmtud_sender_open(&d->pmtud, &cfg, msg, msglen);
}

/* --pmtud, part 2 (unprivileged): follow the paths, give each worker its view. */
static int start_pmtud(struct daemon *d, char *msg, size_t msglen)
{
	int rc = l2fq_pmtud_sender_start(d->pmtud, msg, msglen);

	if (rc != L2FQ_EXIT_OK)
		return rc;
	d->pmtud_workers = calloc(d->opts->threads, sizeof(*d->pmtud_workers));
	if (!d->pmtud_workers) {
		snprintf(msg, msglen, "out of memory");
		return L2FQ_EXIT_FAILURE;
	}
	for (unsigned i = 0; i < d->opts->threads; i++) {
		int err = l2fq_fdb_open(&d->pmtud_workers[i].fdb);

		if (err) {
			snprintf(msg, msglen, "--pmtud: cannot open an rtnetlink socket: %s",
				 strerror(-err));
			return L2FQ_EXIT_FAILURE;
		}
		d->pmtud_workers[i].sender = d->pmtud;
		d->workers[i].queue.pmtud = &d->pmtud_workers[i];
	}
	l2fq_pmtud_print_paths(d->pmtud, "l2fragq: --pmtud: ");
	return L2FQ_EXIT_OK;
}

/* --underlay-probe, part 1 (privileged): the raw and packet sockets. The
 * thread starts with the workers (after the signal mask is set). */
static int open_uprober(struct daemon *d, char *msg, size_t msglen)
{
	const struct l2fq_options *opts = d->opts;
	struct l2fq_uprober_config cfg = {
		.wgif = opts->underlay_probe,
		.confirm_s = opts->underlay_confirm_interval,
		.raise_s = opts->underlay_raise_interval,
		.status_file = opts->underlay_status_file,
		.peers = &opts->peers,
	};

	return l2fq_uprober_open(&d->uprober, &cfg, msg, msglen);
}

/* Binds, drops privileges, starts the helpers. */
static int open_all(struct daemon *d, struct l2fq_idgen *ids, char *msg, size_t msglen)
{
	const struct l2fq_options *opts = d->opts;
	struct l2fq_user user = { 0, 0 };
	int rc;

	if (opts->user && (rc = l2fq_resolve_user(opts->user, &user, msg, msglen)) != L2FQ_EXIT_OK)
		return rc;
	if ((rc = open_queues(d, ids, msg, msglen)) != L2FQ_EXIT_OK)
		return rc;
	if (opts->pmtud && (rc = open_pmtud(d, msg, msglen)) != L2FQ_EXIT_OK)
		return rc;
	if (opts->underlay_probe && (rc = open_uprober(d, msg, msglen)) != L2FQ_EXIT_OK)
		return rc;
	if (opts->user) {
		if ((rc = l2fq_drop_privileges(&user, msg, msglen)) != L2FQ_EXIT_OK)
			return rc;
	} else if (l2fq_drop_net_raw() != 0 && (opts->pmtud || opts->underlay_probe)) {
		/* (The unit grants CAP_NET_RAW for --pmtud; without it, shed it too.) */
		fprintf(stderr, "l2fragq: %s: could not give up CAP_NET_RAW after opening the "
			"packet socket; continuing\n", opts->pmtud ? "--pmtud" : "--underlay-probe");
	}
	if (opts->pmtud && (rc = start_pmtud(d, msg, msglen)) != L2FQ_EXIT_OK)
		return rc;
	return L2FQ_EXIT_OK;
}

static void close_all(struct daemon *d)
{
	l2fq_uprober_close(d->uprober);
	for (unsigned i = 0; i < d->opened; i++)
		l2fq_queue_close(&d->workers[i].queue);
	l2fq_pmtud_sender_close(d->pmtud);
	if (d->pmtud_workers)
		for (unsigned i = 0; i < d->opts->threads; i++)
			l2fq_fdb_close(&d->pmtud_workers[i].fdb);
	free(d->pmtud_workers);
	free(d->workers);
}

static void print_totals(struct daemon *d)
{
	print_stats("totals", d->workers, d->opts->threads);
	if (d->opts->threads > 1)
		for (unsigned i = 0; i < d->opts->threads; i++) {
			char label[32];

			snprintf(label, sizeof(label), "queue %u", (unsigned)d->workers[i].queue.cfg.queue);
			print_stats(label, &d->workers[i], 1);
		}
}

/* Until SIGINT/SIGTERM or a failed worker; returns an enum l2fq_exit value
 * (msg: the failed worker's reason). */
static int supervise(struct daemon *d, sigset_t *wait_set, char *msg, size_t msglen)
{
	const struct l2fq_options *opts = d->opts;
	unsigned metrics_interval =
		opts->stats_interval ? opts->stats_interval : L2FQ_DEFAULT_METRICS_INTERVAL;
	time_t next_stats = opts->stats_interval ? time(NULL) + opts->stats_interval : 0;
	time_t next_metrics = opts->metrics_file ? time(NULL) + metrics_interval : 0;

	for (;;) {
		struct timespec timeout = { 1, 0 };
		int sig = sigtimedwait(wait_set, NULL, &timeout);
		const struct worker *failed;

		if (sig == SIGINT || sig == SIGTERM)
			return L2FQ_EXIT_OK;
		if (sig == SIGUSR1) {
			print_stats("stats", d->workers, opts->threads);
			if (d->pmtud)
				l2fq_pmtud_print_paths(d->pmtud, "l2fragq: --pmtud: ");
			l2fq_uprober_print(d->uprober, stderr, "l2fragq: underlay: ");
		}
		if (next_stats && time(NULL) >= next_stats) {
			print_stats("stats", d->workers, opts->threads);
			next_stats += opts->stats_interval;
		}
		if (next_metrics && time(NULL) >= next_metrics) {
			write_metrics(opts->metrics_file, d->workers, opts->threads, d->pmtud, d->uprober);
			next_metrics += metrics_interval;
		}
		if ((failed = failed_worker(d->workers, d->started)) != NULL) {
			snprintf(msg, msglen, "%s", failed->msg);
			return failed->rc;
		}
	}
}

static int start_workers(struct daemon *d, atomic_int *stop, char *msg, size_t msglen)
{
	for (unsigned i = 0; i < d->opts->threads; i++) {
		int err;

		d->workers[i].stop = stop;
		/* pthread_create returns the error number; errno is not set. */
		err = pthread_create(&d->workers[i].thread, NULL, worker_main, &d->workers[i]);
		if (err) {
			snprintf(msg, msglen, "cannot start worker thread %u: %s", i, strerror(err));
			return L2FQ_EXIT_FAILURE;
		}
		d->started++;
	}
	return L2FQ_EXIT_OK;
}

static void announce(const struct l2fq_options *opts)
{
	char msg[128];

	if ((long)opts->threads > sysconf(_SC_NPROCESSORS_ONLN))
		fprintf(stderr, "l2fragq: %u threads on %ld CPUs: with 'fanout' the kernel picks the "
			"queue by CPU, so queues past the CPU count stay idle\n", opts->threads,
			sysconf(_SC_NPROCESSORS_ONLN));
	fprintf(stderr, "l2fragq %s: bound queue%s %u..%u, %u peer%s, batch %u%s%s%s\n", L2FQ_VERSION,
		opts->threads > 1 ? "s" : "", (unsigned)opts->queue,
		(unsigned)(opts->queue + opts->threads - 1), opts->peers.count,
		opts->peers.count == 1 ? "" : "s", opts->batch, opts->pmtud ? ", pmtud on" : "",
		opts->underlay_probe ? ", underlay-probe " : "",
		opts->underlay_probe ? opts->underlay_probe : "");
	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=bound queues %u..%u", (unsigned)opts->queue,
		 (unsigned)(opts->queue + opts->threads - 1));
	l2fq_notify(msg);
}

int l2fq_daemon_run(const struct l2fq_options *opts)
{
	static struct l2fq_idgen ids;
	struct sigaction wake = { .sa_handler = on_wake }; /* no SA_RESTART: EINTR */
	struct daemon d = { .opts = opts };
	atomic_int stop = 0;
	sigset_t wait_set, old_set;
	char msg[512];
	int rc;

	l2fq_idgen_init(&ids, random_seed());
	rc = open_all(&d, &ids, msg, sizeof(msg));
	if (rc != L2FQ_EXIT_OK) {
		fprintf(stderr, "l2fragq: %s\n", msg);
		close_all(&d);
		return rc;
	}

	/* Signals for the process go to the main thread only (sigtimedwait);
	 * workers inherit this mask and get only the wake signal. */
	sigemptyset(&wait_set);
	sigaddset(&wait_set, SIGINT);
	sigaddset(&wait_set, SIGTERM);
	sigaddset(&wait_set, SIGUSR1);
	sigaddset(&wait_set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &wait_set, &old_set);
	sigaction(WAKE_SIGNAL, &wake, NULL);

	rc = start_workers(&d, &stop, msg, sizeof(msg));
	if (rc == L2FQ_EXIT_OK && d.uprober)
		rc = l2fq_uprober_start(d.uprober, msg, sizeof(msg));
	if (rc == L2FQ_EXIT_OK) {
		announce(opts);
		if (opts->metrics_file)
			write_metrics(opts->metrics_file, d.workers, opts->threads, d.pmtud, d.uprober);
		rc = supervise(&d, &wait_set, msg, sizeof(msg));
	}
	if (rc != L2FQ_EXIT_OK)
		fprintf(stderr, "l2fragq: %s\n", msg);

	l2fq_notify("STOPPING=1");
	stop_workers(d.workers, d.started, &stop);
	l2fq_uprober_stop(d.uprober);
	print_totals(&d);
	if (opts->metrics_file)
		write_metrics(opts->metrics_file, d.workers, opts->threads, d.pmtud, d.uprober);
	close_all(&d);
	pthread_sigmask(SIG_SETMASK, &old_set, NULL);
	return rc;
}
