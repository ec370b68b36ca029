/* SPDX-License-Identifier: GPL-2.0-or-later */
/* REQUIRE(cond): an invariant of a fuzz harness; a failure prints where and
 * aborts, which libFuzzer saves as a crash (scripts/fuzz.sh greps for
 * "invariant failed"). Shared by every harness in test/fuzz. */
#ifndef L2FQ_FUZZ_REQUIRE_H
#define L2FQ_FUZZ_REQUIRE_H

#include <stdio.h>
#include <stdlib.h>

#define REQUIRE(cond)                                                                   \
	do {                                                                            \
		if (!(cond)) {                                                          \
			fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, \
				__LINE__);                                              \
			abort();                                                        \
		}                                                                       \
	} while (0)

#endif
