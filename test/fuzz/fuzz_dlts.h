/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The link types fuzz_linklayer picks from with its control byte; shared with
 * fuzz_seedgen so seeds made from captures select their own link type. */
#ifndef L2FQ_FUZZ_DLTS_H
#define L2FQ_FUZZ_DLTS_H

#include <limits.h>
#include <pcap/dlt.h>

/* tcpdump.org LINKTYPE_ values, spelled out: the harness's model must not
 * share the implementation's constants. DLT_RAW is 12 on Linux (14 on
 * OpenBSD); libpcap maps LINKTYPE_RAW (101) in files to it. */
enum { M_NULL = 0, M_EN10MB = 1, M_RAW_DLT = DLT_RAW, M_RAW = 101, M_LOOP = 108,
       M_SLL = 113, M_IPV4 = 228, M_SLL2 = 276 };

static const int fuzz_dlts[] = {
	M_EN10MB, M_RAW_DLT, M_RAW, M_IPV4, M_SLL, M_SLL2, M_NULL, M_LOOP,
	/* not decoded */
	2, 9, 105, 127, 147, 229, 277, 65535, 65536, -1, INT_MIN, INT_MAX,
};
#define FUZZ_NDLTS (sizeof(fuzz_dlts) / sizeof(fuzz_dlts[0]))

/* The control byte that selects dlt, or -1. */
static inline int fuzz_dlt_byte(int dlt)
{
	for (unsigned i = 0; i < FUZZ_NDLTS; i++)
		if (fuzz_dlts[i] == dlt)
			return (int)i;
	return dlt >= (int)FUZZ_NDLTS && dlt < 256 ? dlt : -1;
}

#endif
