/* Replace a file so that readers see the old or the new content, never half. */
#ifndef L2FRAGQ_ATOMIC_FILE_H
#define L2FRAGQ_ATOMIC_FILE_H

#include <stddef.h>
#include <sys/types.h>

/* Writes text to a temporary file beside path, then renames it over path.
 * Returns 0 or -errno; on error path is untouched and no temporary is left. */
int l2fq_write_file_atomic(const char *path, const char *text, size_t len, mode_t mode);

#endif
