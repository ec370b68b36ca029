/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test helper: hex text to bytes, for the drivers and tools that read packets
 * as hex (test/unit/pmtud_driver.c, test/tools/kt_common.c). Header-only
 * (static inline), so that each user stays one translation unit. */
#ifndef L2FQ_TEST_HEX_H
#define L2FQ_TEST_HEX_H

#include <stddef.h>
#include <stdint.h>

/* The value of one hex digit, or -1. */
static inline int t_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* LEN bytes from the first 2 * LEN hex digits of IN (the caller checks that
 * there are that many): 0, or -1 at a character that is not a hex digit. */
static inline int t_unhex(const char *in, uint8_t *out, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		int hi = t_hexval(in[2 * i]), lo = t_hexval(in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

#endif
