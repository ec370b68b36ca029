/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "l2fragq/tunnel_counts.h"

#include <string.h>

int l2fq_tunnel_counts_add(struct l2fq_tunnel_counts *t, const char *name, uint64_t n)
{
	size_t len = strnlen(name, IF_NAMESIZE);

	if (len == 0 || len >= IF_NAMESIZE) {
		t->untracked += n;
		return -1;
	}
	for (unsigned i = 0; i < t->n; i++)
		if (strcmp(t->t[i].name, name) == 0) {
			t->t[i].signals_sent += n;
			return 0;
		}
	if (t->n >= L2FQ_MAX_TUNNEL_COUNTS) {
		t->untracked += n;
		return -1;
	}
	memcpy(t->t[t->n].name, name, len + 1);
	t->t[t->n].signals_sent = n;
	t->n++;
	return 0;
}
