/* SPDX-License-Identifier: GPL-2.0-or-later */
/* systemd readiness (Type=notify) without libsystemd: one datagram to
 * $NOTIFY_SOCKET. A no-op when not started by systemd. */
#ifndef L2FRAGQ_NOTIFY_H
#define L2FRAGQ_NOTIFY_H

/* state: e.g. "READY=1\nSTATUS=...". Returns 1 if sent, 0 if there is no
 * socket, or -errno. */
int l2fq_notify(const char *state);

#endif
