/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Least privilege: after the queues are bound the daemon needs only
 * CAP_NET_ADMIN (nfnetlink checks it on every verdict message). */
#ifndef L2FRAGQ_PRIVDROP_H
#define L2FRAGQ_PRIVDROP_H

#include <stddef.h>
#include <sys/types.h>

struct l2fq_user {
	uid_t uid;
	gid_t gid;
};

/* Looks USER up before anything is bound, so a typo changes nothing.
 * Returns an enum l2fq_exit value (2: unknown user or root) with msg set. */
int l2fq_resolve_user(const char *name, struct l2fq_user *user, char *msg, size_t msglen);

/* Switches to the user (its uid, primary gid, no supplementary groups), keeps
 * CAP_NET_ADMIN as the only capability (effective and permitted, none
 * inheritable, bounding set emptied of the rest) and sets no_new_privs.
 * Call before starting threads: capabilities are per thread.
 * Returns an enum l2fq_exit value (3: could not drop) with msg set. */
int l2fq_drop_privileges(const struct l2fq_user *user, char *msg, size_t msglen);

/* --pmtud: once its packet socket is open CAP_NET_RAW is not needed again;
 * removes it from this thread's sets (call before starting threads: they
 * inherit the caller's). Returns 0 or -errno. */
int l2fq_drop_net_raw(void);

#endif
