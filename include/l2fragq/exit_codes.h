/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Process exit codes, documented in the README and the man page. */
#ifndef L2FRAGQ_EXIT_CODES_H
#define L2FRAGQ_EXIT_CODES_H

enum l2fq_exit {
	L2FQ_EXIT_OK = 0,
	L2FQ_EXIT_FAILURE = 1,    /* runtime error: I/O, netlink, capture file */
	L2FQ_EXIT_USAGE = 2,      /* bad option or argument */
	L2FQ_EXIT_PERMISSION = 3, /* missing CAP_NET_ADMIN */
	L2FQ_EXIT_NO_KERNEL = 4,  /* kernel lacks nfnetlink_queue */
	L2FQ_EXIT_QUEUE_BUSY = 5, /* a queue is bound by another process */
};

#endif
