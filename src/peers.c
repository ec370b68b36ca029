/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "l2fragq/peers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int l2fq_peer_parse(const char *text, struct l2fq_peer *peer)
{
	char addr[INET_ADDRSTRLEN];
	const char *slash = strchr(text, '/');
	size_t addrlen = slash ? (size_t)(slash - text) : strlen(text);
	unsigned long prefix = 32;
	struct in_addr in;

	if (addrlen == 0 || addrlen >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, text, addrlen);
	addr[addrlen] = '\0';
	if (inet_pton(AF_INET, addr, &in) != 1)
		return -EINVAL;
	if (slash) {
		char *end;

		if (slash[1] < '0' || slash[1] > '9')
			return -EINVAL;
		prefix = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || prefix > 32)
			return -EINVAL;
	}
	peer->mask = prefix == 0 ? 0 : htonl(0xffffffffu << (32 - prefix));
	peer->addr = in.s_addr & peer->mask;
	return 0;
}
