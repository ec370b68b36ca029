/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "l2fragq/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TMP_NAME "/.l2fragq.XXXXXX"

static void release(struct l2fq_atomic_file *af)
{
	free(af->tmp_path);
	free(af->path);
	af->tmp_path = NULL;
	af->path = NULL;
	af->fd = -1;
}

int l2fq_atomic_open(struct l2fq_atomic_file *af, const char *path, mode_t mode)
{
	struct stat st;
	char *dircopy;
	const char *dir;
	size_t len;
	int err, exists;

	af->fd = -1;
	af->tmp_path = NULL;
	af->path = strdup(path);
	if (!af->path)
		return -ENOMEM;
	exists = stat(path, &st) == 0;
	if (exists && S_ISDIR(st.st_mode)) {
		release(af);
		return -EISDIR;
	}
	if (exists && !S_ISREG(st.st_mode)) {
		/* A device or FIFO: written in place, never replaced. */
		af->fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
		if (af->fd < 0) {
			err = -errno;
			release(af);
			return err;
		}
		return 0;
	}
	/* dirname() may return a static "." instead of editing its argument. */
	dircopy = strdup(path);
	if (!dircopy) {
		release(af);
		return -ENOMEM;
	}
	dir = dirname(dircopy);
	len = strlen(dir) + sizeof(TMP_NAME);
	af->tmp_path = malloc(len);
	if (af->tmp_path)
		snprintf(af->tmp_path, len, "%s" TMP_NAME, dir);
	free(dircopy);
	if (!af->tmp_path) {
		release(af);
		return -ENOMEM;
	}
	af->fd = mkostemp(af->tmp_path, O_CLOEXEC);
	if (af->fd < 0) {
		err = -errno;
		release(af);
		return err;
	}
	if (fchmod(af->fd, mode) != 0) {
		err = -errno;
		l2fq_atomic_discard(af);
		return err;
	}
	return 0;
}

int l2fq_atomic_commit(struct l2fq_atomic_file *af)
{
	int err = 0;

	if (af->fd >= 0 && close(af->fd) != 0)
		err = -errno;
	af->fd = -1;
	if (af->tmp_path) {
		if (!err && rename(af->tmp_path, af->path) != 0)
			err = -errno;
		if (err)
			unlink(af->tmp_path);
	}
	release(af);
	return err;
}

void l2fq_atomic_discard(struct l2fq_atomic_file *af)
{
	if (af->fd >= 0)
		close(af->fd);
	if (af->tmp_path)
		unlink(af->tmp_path);
	release(af);
}

int l2fq_write_file_atomic(const char *path, const char *text, size_t len, mode_t mode)
{
	struct l2fq_atomic_file af;
	int err = l2fq_atomic_open(&af, path, mode);

	if (err)
		return err;
	while (len > 0) {
		ssize_t n = write(af.fd, text, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			l2fq_atomic_discard(&af);
			return err;
		}
		text += n;
		len -= (size_t)n;
	}
	return l2fq_atomic_commit(&af);
}
