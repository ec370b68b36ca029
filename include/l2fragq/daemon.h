/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon: binds the queues, runs one worker thread per queue, handles
 * signals and prints counters. */
#ifndef L2FRAGQ_DAEMON_H
#define L2FRAGQ_DAEMON_H

#include "l2fragq/options.h"

/* Runs until SIGINT/SIGTERM or a fatal worker error. Returns an enum l2fq_exit. */
int l2fq_daemon_run(const struct l2fq_options *opts);

#endif
