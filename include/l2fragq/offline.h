/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Offline mode: the rewrite engine over capture files (pcap or pcapng,
 * src/capture.c), the output written atomically in the input's format. */
#ifndef L2FRAGQ_OFFLINE_H
#define L2FRAGQ_OFFLINE_H

#include "l2fragq/options.h"
#include "l2fragq/stats.h"

/* Reads opts->read_path, writes opts->write_path (if set), fills stats and
 * prints the summary line. Returns an enum l2fq_exit value. */
int l2fq_offline_run(const struct l2fq_options *opts, struct l2fq_stats *stats);

#endif
