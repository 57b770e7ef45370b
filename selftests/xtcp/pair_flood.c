// SPDX-License-Identifier: GPL-2.0
/*
 * pair_flood: pair_test.sh's SYN flood over the wire between the two
 * guests of scripts/vm-pair.  Writes XTCP SYNs from spoofed addresses of
 * the wire's /24 (none of which answers) straight onto the NIC with a
 * packet socket (peer.c), as fast as it can, for a while:
 *
 *   pair_flood IFNAME DST_MAC DST_ADDR PORT SECONDS
 *
 * Prints how many it wrote; exit 0 when it wrote any.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peer.h"

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5]) != 6)
		return -1;
	for (i = 0; i < 6; i++)
		mac[i] = b[i];
	return 0;
}

int main(int argc, char **argv)
{
	static struct xpeer p;
	uint32_t daddr, net, rnd = 2718;
	uint64_t end;
	long sent = 0, failed = 0;
	uint8_t mac[6];
	struct xseg s;
	int ret;

	if (argc != 6 || parse_mac(argv[2], mac) ||
	    inet_pton(AF_INET, argv[3], &daddr) != 1) {
		fprintf(stderr, "usage: pair_flood IFNAME DST_MAC DST_ADDR PORT SECONDS\n");
		return 2;
	}
	ret = xpeer_attach_veth(&p, argv[1], mac);
	if (ret) {
		fprintf(stderr, "pair_flood: %s: %s\n", argv[1], strerror(-ret));
		return 1;
	}
	net = ntohl(daddr) & ~0xffu;
	end = xpeer_now_ns() + strtoull(argv[5], NULL, 10) * 1000000000ull;
	while (xpeer_now_ns() < end) {
		memset(&s, 0, sizeof(s));
		rnd = rnd * 1103515245 + 12345;
		/* .3 to .252: neither guest's address. */
		s.saddr = htonl(net | (3 + (rnd >> 8) % 250));
		s.daddr = daddr;
		s.sport = 1024 + (rnd >> 4) % 60000;
		s.dport = atoi(argv[4]);
		s.seq = rnd ^ 0x5a5a5a5a;
		s.flags = XTCP_FLAG_SYN;
		s.win = 65535;
		s.has_mss = 1;
		s.mss = 1460;
		if (xpeer_send(&p, &s))
			failed++;
		else
			sent++;
	}
	printf("pair_flood: %ld SYNs written, %ld refused\n", sent, failed);
	xpeer_teardown(&p);
	return sent ? 0 : 1;
}
