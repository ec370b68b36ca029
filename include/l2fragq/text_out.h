/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Appending formatted text to a fixed buffer: the metrics file and the
 * underlay status file are built this way. Once the buffer is full, used
 * keeps counting, so the caller sees how much it would have needed
 * (used >= len: truncated). */
#ifndef L2FRAGQ_TEXT_OUT_H
#define L2FRAGQ_TEXT_OUT_H

#include <stddef.h>

struct l2fq_text_out {
	char *buf;
	size_t len, used;
};

__attribute__((format(printf, 2, 3)))
void l2fq_text_emit(struct l2fq_text_out *o, const char *fmt, ...);

#endif
