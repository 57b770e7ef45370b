// SPDX-License-Identifier: GPL-2.0
/*
 * A segment arrives: IP hands every IPv4 packet carrying IPPROTO_XTCP to
 * xtcp_v4_rcv().  It checks what must hold before any field is trusted
 * (header length, data offset, checksum), counting each drop.
 *
 * No socket can receive yet, so every valid segment ends as NoSocket; the
 * connection-lifecycle work adds the lookup and RFC 9293's per-state rules.
 */
#include <linux/skbuff.h>
#include <net/ip.h>

#include "xtcp.h"

/* Header checks, RFC 9293 section 3.10.7: a segment we cannot parse is
 * dropped, never answered.
 */
static bool xtcp_header_ok(struct sk_buff *skb)
{
	const struct xtcphdr *th;
	unsigned int hlen;

	if (!pskb_may_pull(skb, sizeof(*th)))
		return false;
	th = (const struct xtcphdr *)skb->data;
	hlen = th->doff * 4;
	if (hlen < sizeof(*th) || hlen > skb->len)
		return false;
	return pskb_may_pull(skb, hlen);
}

static bool xtcp_checksum_ok(struct sk_buff *skb)
{
	if (skb_checksum_init(skb, xtcp_ipproto, inet_compute_pseudo))
		return false;
	return !skb_checksum_complete(skb);
}

int xtcp_v4_rcv(struct sk_buff *skb)
{
	struct net *net = dev_net(skb->dev);

	if (skb->pkt_type != PACKET_HOST)
		goto drop;

	__XTCP_INC_STATS(net, XTCP_MIB_INSEGS);

	if (!xtcp_header_ok(skb)) {
		__XTCP_INC_STATS(net, XTCP_MIB_INERRS);
		goto drop;
	}
	if (!xtcp_checksum_ok(skb)) {
		__XTCP_INC_STATS(net, XTCP_MIB_INCSUMERRORS);
		__XTCP_INC_STATS(net, XTCP_MIB_INERRS);
		goto drop;
	}

	__XTCP_INC_STATS(net, XTCP_MIB_NOSOCKET);
drop:
	kfree_skb(skb);
	return 0;
}

/* ICMP errors about our segments: nothing to tell until sockets connect. */
int xtcp_v4_err(struct sk_buff *skb, u32 info)
{
	return 0;
}
