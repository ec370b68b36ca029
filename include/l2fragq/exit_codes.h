/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Process exit codes, documented in the README and the man page, and the one
 * way l2fragq's C code reports failure:
 *
 * 1. An operation whose failure the user must hear about (bind a queue, open
 *    a socket, resolve --user, run a mode or a worker) returns an int holding
 *    an enum l2fq_exit value, L2FQ_EXIT_OK on success. On failure it writes
 *    into the caller's `char *msg, size_t msglen` one line saying what failed
 *    and, where known, the fix (no "l2fragq: " prefix, no newline). It does
 *    not print it: the function that hands the code to main() does
 *    (l2fq_daemon_run, l2fq_offline_run, main). Why: the cause (EPERM, a
 *    queue bound by someone else, an unknown user) is known only deep down,
 *    so the exit code is chosen there, and its line travels up with it to be
 *    printed once. Most of the daemon already worked this way.
 * 2. A thin wrapper around system calls (a file, a socket, a capability)
 *    returns 0, or a non-negative result, or -errno, and writes no text: its
 *    caller knows which option or file was meant and words the message.
 * 3. Pure code (parsers, the rewrite, the signal builder) returns its own
 *    result enum naming what it found, or 0 / -EINVAL when the only answer
 *    is "valid or not". A parser that explains a rejection takes the same
 *    `char *msg, size_t msglen` (l2fq_options_parse).
 *
 * Not used: returning -1 with the cause left in errno, returning a positive
 * errno, a message buffer called anything but msg/msglen, printing a failure
 * below the top (a warning that stops nothing is printed where it arises). */
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
