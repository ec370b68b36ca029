/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Replace a file so that readers see the old content or the new, never half:
 * write a temporary file beside it, then rename it over the target. The one
 * implementation of that in l2fragq (the offline output, --metrics-file). */
#ifndef L2FRAGQ_ATOMIC_FILE_H
#define L2FRAGQ_ATOMIC_FILE_H

#include <stddef.h>
#include <sys/types.h>

struct l2fq_atomic_file {
	int fd;         /* open for writing; -1 once committed or discarded */
	char *tmp_path; /* the temporary (".l2fragq.XXXXXX" in the target's
			 * directory); NULL when the target is written in place */
	char *path;     /* the target */
};

/* Creates the temporary with exactly this mode (no umask applied) and opens it
 * for writing. A target that exists and is neither a regular file nor a
 * directory (a device, a FIFO) is never replaced: it is opened in place
 * instead. A directory is refused (-EISDIR). Returns 0 or -errno; on error
 * nothing is left behind. */
int l2fq_atomic_open(struct l2fq_atomic_file *af, const char *path, mode_t mode);

/* Closes the file and renames the temporary over the target. Returns 0 or
 * -errno; on error the temporary is removed and the target is untouched.
 * Either way af is released. */
int l2fq_atomic_commit(struct l2fq_atomic_file *af);

/* Closes and removes the temporary; the target is untouched. af is released
 * (a second call does nothing). */
void l2fq_atomic_discard(struct l2fq_atomic_file *af);

/* All of text to path, atomically, with this mode. Returns 0 or -errno; on
 * error path is untouched and no temporary is left. */
int l2fq_write_file_atomic(const char *path, const char *text, size_t len, mode_t mode);

#endif
