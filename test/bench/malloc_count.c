/* SPDX-License-Identifier: GPL-2.0-or-later */
/* l2fq_malloc_count: an LD_PRELOAD library that counts heap allocation calls
 * of a whole process, so a test can prove that the daemon's packet path
 * never allocates (test/netns/noalloc.sh: a run of 1000 packets and one of
 * 50000 must end with the same count).
 *
 *   L2FQ_MALLOC_COUNT_FILE=/tmp/x LD_PRELOAD=libl2fq_malloc_count.so prog
 *
 * Counts every call to malloc, calloc, realloc, aligned_alloc,
 * posix_memalign, memalign, valloc and pvalloc (and, for information, free),
 * with relaxed atomic counters: any thread, no locks. Each call is forwarded
 * to the next definition (glibc's) found with dlsym(RTLD_NEXT). glibc's own
 * internal allocations (fopen, strdup, pthread_create ...) go through these
 * symbols too, so they are counted.
 *
 * Only the exit report: when the process exits normally (return from main or
 * exit(), which is how l2fragq stops on SIGTERM) a destructor writes
 *   allocs=<sum of the allocation calls>
 *   malloc=<n> calloc=<n> ... free=<n>
 * to $L2FQ_MALLOC_COUNT_FILE. No signals (l2fragq uses SIGUSR1 and SIGUSR2
 * itself) and no helper thread (it would perturb what is measured).
 *
 * Not usable together with AddressSanitizer, which has its own interposer. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

enum kind { K_MALLOC, K_CALLOC, K_REALLOC, K_ALIGNED_ALLOC, K_POSIX_MEMALIGN, K_MEMALIGN,
	    K_VALLOC, K_PVALLOC, K_FREE, K_COUNT };

static const char *const kind_names[K_COUNT] = {
	"malloc", "calloc", "realloc", "aligned_alloc", "posix_memalign", "memalign",
	"valloc", "pvalloc", "free",
};

static _Atomic unsigned long counts[K_COUNT];

static void count(enum kind k)
{
	atomic_fetch_add_explicit(&counts[k], 1, memory_order_relaxed);
}

/* The real functions. Written once, by whichever thread resolves first; the
 * value is the same for every thread, so relaxed atomics suffice. One
 * function type per name (NAME_fn): dlsym's result is cast to NAME_fn *, as
 * a cast to the _Atomic type itself (typeof the variable) is an error in
 * clang. */
typedef void *malloc_fn(size_t);
typedef void *calloc_fn(size_t, size_t);
typedef void *realloc_fn(void *, size_t);
typedef void *aligned_alloc_fn(size_t, size_t);
typedef int posix_memalign_fn(void **, size_t, size_t);
typedef void *memalign_fn(size_t, size_t);
typedef void *valloc_fn(size_t);
typedef void *pvalloc_fn(size_t);
typedef void free_fn(void *);
static malloc_fn *_Atomic real_malloc;
static calloc_fn *_Atomic real_calloc;
static realloc_fn *_Atomic real_realloc;
static aligned_alloc_fn *_Atomic real_aligned_alloc;
static posix_memalign_fn *_Atomic real_posix_memalign;
static memalign_fn *_Atomic real_memalign;
static valloc_fn *_Atomic real_valloc;
static pvalloc_fn *_Atomic real_pvalloc;
static free_fn *_Atomic real_free;

/* dlsym may itself allocate (calloc for its error state): while it runs,
 * allocations come from this static buffer, and free() must recognise and
 * ignore them. Each block has its size in front so realloc can copy it. */
#define BOOT_SIZE (64 * 1024)
#define BOOT_ALIGN 16
static _Alignas(BOOT_ALIGN) unsigned char boot_buf[BOOT_SIZE];
static _Atomic size_t boot_used;
static atomic_int resolving;

static int is_boot(const void *p)
{
	return (const unsigned char *)p >= boot_buf && (const unsigned char *)p < boot_buf + BOOT_SIZE;
}

static void *boot_alloc(size_t size)
{
	size_t need = (size + BOOT_ALIGN - 1) / BOOT_ALIGN * BOOT_ALIGN + BOOT_ALIGN;
	size_t off = atomic_fetch_add(&boot_used, need);
	unsigned char *p;

	if (size > BOOT_SIZE || off + need > BOOT_SIZE) {
		errno = ENOMEM;
		return NULL;
	}
	p = boot_buf + off;
	memcpy(p, &size, sizeof(size));
	return p + BOOT_ALIGN; /* static storage: already zero, as calloc needs */
}

static size_t boot_size(const void *p)
{
	size_t size;

	memcpy(&size, (const unsigned char *)p - BOOT_ALIGN, sizeof(size));
	return size;
}

#define RESOLVE(name) \
	atomic_store_explicit(&real_##name, (name##_fn *)dlsym(RTLD_NEXT, #name), \
			      memory_order_relaxed)

static void resolve(void)
{
	atomic_store(&resolving, 1);
	RESOLVE(malloc);
	RESOLVE(calloc);
	RESOLVE(realloc);
	RESOLVE(aligned_alloc);
	RESOLVE(posix_memalign);
	RESOLVE(memalign);
	RESOLVE(valloc);
	RESOLVE(pvalloc);
	RESOLVE(free);
	atomic_store(&resolving, 0);
	if (!atomic_load_explicit(&real_malloc, memory_order_relaxed) ||
	    !atomic_load_explicit(&real_free, memory_order_relaxed)) {
		static const char msg[] = "l2fq_malloc_count: dlsym(RTLD_NEXT) found no malloc\n";

		if (write(2, msg, sizeof(msg) - 1) < 0)
			_exit(127);
		_exit(127);
	}
}

/* Loads the real function, resolving on first use (an allocation may come
 * before our constructor, from ld.so or another library's constructor). */
#define REAL(name) \
	(atomic_load_explicit(&real_##name, memory_order_relaxed) \
		 ? atomic_load_explicit(&real_##name, memory_order_relaxed) \
		 : (resolve(), atomic_load_explicit(&real_##name, memory_order_relaxed)))

EXPORT void *malloc(size_t size)
{
	if (atomic_load_explicit(&resolving, memory_order_relaxed))
		return boot_alloc(size);
	count(K_MALLOC);
	return REAL(malloc)(size);
}

EXPORT void *calloc(size_t n, size_t size)
{
	if (atomic_load_explicit(&resolving, memory_order_relaxed)) {
		if (size && n > SIZE_MAX / size) {
			errno = ENOMEM;
			return NULL;
		}
		return boot_alloc(n * size);
	}
	count(K_CALLOC);
	return REAL(calloc)(n, size);
}

EXPORT void *realloc(void *ptr, size_t size)
{
	int boot_new = !ptr && atomic_load_explicit(&resolving, memory_order_relaxed);

	if (boot_new || is_boot(ptr)) {
		/* A bootstrap block grows into a real one once dlsym is done. */
		void *q = atomic_load_explicit(&resolving, memory_order_relaxed) ? boot_alloc(size)
										   : malloc(size);

		if (q && ptr) {
			size_t old = boot_size(ptr);

			memcpy(q, ptr, old < size ? old : size);
		}
		return q;
	}
	count(K_REALLOC);
	return REAL(realloc)(ptr, size);
}

EXPORT void free(void *ptr)
{
	if (!ptr || is_boot(ptr))
		return;
	count(K_FREE);
	REAL(free)(ptr);
}

EXPORT void *aligned_alloc(size_t alignment, size_t size)
{
	count(K_ALIGNED_ALLOC);
	return REAL(aligned_alloc)(alignment, size);
}

EXPORT int posix_memalign(void **out, size_t alignment, size_t size)
{
	count(K_POSIX_MEMALIGN);
	return REAL(posix_memalign)(out, alignment, size);
}

EXPORT void *memalign(size_t alignment, size_t size)
{
	count(K_MEMALIGN);
	return REAL(memalign)(alignment, size);
}

EXPORT void *valloc(size_t size)
{
	count(K_VALLOC);
	return REAL(valloc)(size);
}

EXPORT void *pvalloc(size_t size)
{
	count(K_PVALLOC);
	return REAL(pvalloc)(size);
}

/* Copied at load: the report must not depend on the environment at exit. */
static char out_path[4096];

__attribute__((constructor)) static void malloc_count_init(void)
{
	const char *p = getenv("L2FQ_MALLOC_COUNT_FILE");

	if (!atomic_load(&real_malloc))
		resolve();
	if (p && strlen(p) < sizeof(out_path))
		memcpy(out_path, p, strlen(p) + 1);
}

__attribute__((destructor)) static void malloc_count_report(void)
{
	unsigned long snap[K_COUNT], allocs = 0;
	char text[512];
	size_t used;
	int fd, i;

	/* Snapshot first: nothing below is counted. */
	for (i = 0; i < K_COUNT; i++)
		snap[i] = atomic_load(&counts[i]);
	if (!out_path[0])
		return;
	for (i = 0; i < K_FREE; i++)
		allocs += snap[i];
	used = (size_t)snprintf(text, sizeof(text), "allocs=%lu\n", allocs);
	for (i = 0; i < K_COUNT && used < sizeof(text); i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used, "%s%s=%lu",
					 i ? " " : "", kind_names[i], snap[i]);
	if (used < sizeof(text))
		used += (size_t)snprintf(text + used, sizeof(text) - used, "\n");
	if (used >= sizeof(text))
		used = sizeof(text) - 1;
	fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, text, used) != (ssize_t)used) {
		/* A short report is detected by the reader (no allocs= line). */
	}
	close(fd);
}
