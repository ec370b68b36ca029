/* SPDX-License-Identifier: GPL-2.0-or-later */
/* l2fragq: parses options and hands over to the daemon or the offline mode. */
#include <stdio.h>

#include "l2fragq/daemon.h"
#include "l2fragq/exit_codes.h"
#include "l2fragq/offline.h"
#include "l2fragq/options.h"
#include "l2fragq/stats.h"

int main(int argc, char **argv)
{
	static struct l2fq_options opts; /* holds the peer table: not on the stack */
	static struct l2fq_stats stats;
	char msg[256];

	switch (l2fq_options_parse(argc, argv, &opts, msg, sizeof(msg))) {
	case L2FQ_PARSE_HELP:
		fputs(l2fq_options_usage(), stdout);
		return L2FQ_EXIT_OK;
	case L2FQ_PARSE_VERSION:
		printf("l2fragq %s\n", L2FQ_VERSION);
		return L2FQ_EXIT_OK;
	case L2FQ_PARSE_SETTINGS: {
		char settings[512];

		l2fq_options_settings(&opts, settings, sizeof(settings));
		fputs(settings, stdout);
		return L2FQ_EXIT_OK;
	}
	case L2FQ_PARSE_ERROR:
		fprintf(stderr, "l2fragq: %s\n", msg);
		return L2FQ_EXIT_USAGE;
	case L2FQ_PARSE_OK:
		break;
	}
	setvbuf(stderr, NULL, _IOLBF, 0);
	if (opts.mode == L2FQ_MODE_OFFLINE)
		return l2fq_offline_run(&opts, &stats);
	return l2fq_daemon_run(&opts);
}
