/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the one write-to-a-temporary-then-rename (src/atomic_file.c),
 * in a fresh directory under $TMPDIR. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "l2fragq/atomic_file.h"

static char dir[256];

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");

	(void)state;
	snprintf(dir, sizeof(dir), "%s/l2fq-atomic.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *path_of(const char *name)
{
	static char p[512];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

/* Names in the directory, sorted, joined with spaces. */
static const char *listing(void)
{
	static char out[1024];
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);

	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, "..")) {
			if (out[0])
				strcat(out, " ");
			strcat(out, names[i]->d_name);
		}
		free(names[i]);
	}
	free(names);
	return out;
}

static const char *content(const char *name)
{
	static char buf[256];
	FILE *f = fopen(path_of(name), "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void write_replaces_with_mode(void **state)
{
	struct stat st;
	ino_t old;

	(void)state;
	assert_int_equal(l2fq_write_file_atomic(path_of("m.prom"), "old\n", 4, 0600), 0);
	assert_string_equal(content("m.prom"), "old\n");
	assert_int_equal(stat(path_of("m.prom"), &st), 0);
	old = st.st_ino;
	assert_int_equal(l2fq_write_file_atomic(path_of("m.prom"), "new text\n", 9, 0644), 0);
	assert_string_equal(content("m.prom"), "new text\n");
	assert_int_equal(stat(path_of("m.prom"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_true(st.st_ino != old); /* replaced, not rewritten in place */
	assert_string_equal(listing(), "m.prom");
}

static void temporary_is_beside_the_target_until_commit(void **state)
{
	struct l2fq_atomic_file af;

	(void)state;
	assert_int_equal(l2fq_atomic_open(&af, path_of("out.pcap"), 0644), 0);
	assert_non_null(af.tmp_path);
	assert_int_equal(strncmp(af.tmp_path, dir, strlen(dir)), 0);
	assert_int_equal(write(af.fd, "abc", 3), 3);
	assert_null(content("out.pcap")); /* nothing under the target's name yet */
	assert_int_equal(strncmp(listing(), ".l2fragq.", 9), 0);
	assert_int_equal(l2fq_atomic_commit(&af), 0);
	assert_int_equal(af.fd, -1);
	assert_null(af.tmp_path);
	assert_string_equal(content("out.pcap"), "abc");
	assert_string_equal(listing(), "out.pcap");
}

static void discard_leaves_the_old_file(void **state)
{
	struct l2fq_atomic_file af;

	(void)state;
	assert_int_equal(l2fq_write_file_atomic(path_of("keep"), "old", 3, 0644), 0);
	assert_int_equal(l2fq_atomic_open(&af, path_of("keep"), 0644), 0);
	assert_int_equal(write(af.fd, "half", 4), 4);
	l2fq_atomic_discard(&af);
	l2fq_atomic_discard(&af); /* a second call does nothing */
	assert_string_equal(content("keep"), "old");
	assert_string_equal(listing(), "keep");
}

static void refused_targets_leave_nothing(void **state)
{
	struct l2fq_atomic_file af;

	(void)state;
	assert_int_equal(mkdir(path_of("adir"), 0755), 0);
	assert_int_equal(l2fq_atomic_open(&af, path_of("adir"), 0644), -EISDIR);
	assert_int_equal(l2fq_atomic_open(&af, path_of("nodir/x"), 0644), -ENOENT);
	assert_int_equal(l2fq_write_file_atomic(path_of("nodir/x"), "x", 1, 0644), -ENOENT);
	assert_string_equal(listing(), "adir");
	/* A rename that fails (the target became a directory) removes the temporary. */
	assert_int_equal(l2fq_atomic_open(&af, path_of("late"), 0644), 0);
	assert_int_equal(mkdir(path_of("late"), 0755), 0);
	assert_int_equal(mkdir(path_of("late/x"), 0755), 0);
	assert_true(l2fq_atomic_commit(&af) < 0);
	assert_string_equal(listing(), "adir late");
}

static void fifo_is_written_in_place(void **state)
{
	struct l2fq_atomic_file af;
	struct stat st;
	char buf[8] = "";
	int rd;

	(void)state;
	assert_int_equal(mkfifo(path_of("fifo"), 0600), 0);
	rd = open(path_of("fifo"), O_RDONLY | O_NONBLOCK);
	assert_true(rd >= 0);
	assert_int_equal(l2fq_atomic_open(&af, path_of("fifo"), 0644), 0);
	assert_null(af.tmp_path);
	assert_int_equal(write(af.fd, "via", 3), 3);
	assert_int_equal(l2fq_atomic_commit(&af), 0);
	assert_int_equal(read(rd, buf, sizeof(buf) - 1), 3);
	assert_string_equal(buf, "via");
	close(rd);
	assert_int_equal(stat(path_of("fifo"), &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_string_equal(listing(), "fifo");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(write_replaces_with_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(temporary_is_beside_the_target_until_commit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(discard_leaves_the_old_file, setup, teardown),
		cmocka_unit_test_setup_teardown(refused_targets_leave_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(fifo_is_written_in_place, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
