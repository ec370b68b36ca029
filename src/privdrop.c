/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "l2fragq/privdrop.h"

#include "l2fragq/exit_codes.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* capset/capget through the raw syscall: no libcap dependency for 3 calls.
 * Returns 0 or -errno (errno stays set for the caller's message). */
static int caps_set_only_net_admin(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	data[CAP_NET_ADMIN / 32].effective = 1u << (CAP_NET_ADMIN % 32);
	data[CAP_NET_ADMIN / 32].permitted = 1u << (CAP_NET_ADMIN % 32);
	return syscall(SYS_capset, &hdr, data) == 0 ? 0 : -errno;
}

static int caps_are_only_net_admin(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];
	uint32_t want = 1u << (CAP_NET_ADMIN % 32);

	if (syscall(SYS_capget, &hdr, data) != 0)
		return 0;
	return data[0].effective == want && data[0].permitted == want &&
	       data[0].inheritable == 0 && data[1].effective == 0 && data[1].permitted == 0 &&
	       data[1].inheritable == 0;
}

int l2fq_resolve_user(const char *name, struct l2fq_user *user, char *msg, size_t msglen)
{
	struct passwd pw, *found = NULL;
	char buf[4096];
	int err;

	err = getpwnam_r(name, &pw, buf, sizeof(buf), &found);
	if (err || !found) {
		snprintf(msg, msglen, "--user: no such user '%s'", name);
		return L2FQ_EXIT_USAGE;
	}
	if (pw.pw_uid == 0) {
		snprintf(msg, msglen, "--user: '%s' is root; name an unprivileged user", name);
		return L2FQ_EXIT_USAGE;
	}
	user->uid = pw.pw_uid;
	user->gid = pw.pw_gid;
	return L2FQ_EXIT_OK;
}

int l2fq_drop_privileges(const struct l2fq_user *user, char *msg, size_t msglen)
{
	int cap;

	/* Empty the bounding set first: it needs CAP_SETPCAP, gone after setuid. */
	for (cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (cap != CAP_NET_ADMIN && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
			snprintf(msg, msglen, "--user: cannot drop capability %d: %s", cap,
				 strerror(errno));
			return L2FQ_EXIT_PERMISSION;
		}
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0 || setgroups(0, NULL) != 0 ||
	    setgid(user->gid) != 0 || setuid(user->uid) != 0) {
		snprintf(msg, msglen, "--user: cannot switch to uid %u: %s", (unsigned)user->uid,
			 strerror(errno));
		return L2FQ_EXIT_PERMISSION;
	}
	if (caps_set_only_net_admin() != 0 || prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		snprintf(msg, msglen, "--user: cannot keep CAP_NET_ADMIN: %s", strerror(errno));
		return L2FQ_EXIT_PERMISSION;
	}
	/* Paranoia: a setuid that silently failed must not leave us as root. */
	if (getuid() == 0 || geteuid() == 0 || setuid(0) == 0 || !caps_are_only_net_admin()) {
		snprintf(msg, msglen, "--user: privileges were not dropped as expected");
		return L2FQ_EXIT_PERMISSION;
	}
	return L2FQ_EXIT_OK;
}

int l2fq_drop_net_raw(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];
	uint32_t bit = 1u << (CAP_NET_RAW % 32);

	if (syscall(SYS_capget, &hdr, data) != 0)
		return -errno;
	data[CAP_NET_RAW / 32].effective &= ~bit;
	data[CAP_NET_RAW / 32].permitted &= ~bit;
	data[CAP_NET_RAW / 32].inheritable &= ~bit;
	if (syscall(SYS_capset, &hdr, data) != 0)
		return -errno;
	/* Ambient capabilities must be permitted: lowering is implied, but say so
	 * explicitly for kernels that keep the set until the next execve. */
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, CAP_NET_RAW, 0, 0);
	/* Needs CAP_SETPCAP, which a unit rarely grants: best effort. */
	prctl(PR_CAPBSET_DROP, CAP_NET_RAW, 0, 0, 0);
	return 0;
}
