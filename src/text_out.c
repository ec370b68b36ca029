/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "l2fragq/text_out.h"

#include <stdarg.h>
#include <stdio.h>

void l2fq_text_emit(struct l2fq_text_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->used < o->len ? o->buf + o->used : NULL,
		      o->used < o->len ? o->len - o->used : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->used += (size_t)n;
}
