// SPDX-License-Identifier: GPL-2.0
/*
 * Segmentation offload (GSO): output.c hands IP one skb carrying several
 * MSS-sized segments' worth of data, under one XTCP header; whoever needs
 * real segments cuts it here, as late as possible.
 *
 * Which devices take such an skb whole?  No gso_type bit is free for a new
 * protocol, so XTCP marks its skbs with SCTP's (SKB_GSO_SCTP): only
 * software devices advertise NETIF_F_GSO_SCTP (loopback, veth, bridges,
 * bonds, tunnels), never a NIC's hardware, so an XTCP skb reaches a wire
 * only through the stack's software segmentation, which inet_gso_segment()
 * hands to this file by IP protocol number; a NIC never segments it as
 * something else.  A veth pair passes the large skb to the other
 * namespace whole, as loopback does: one trip through IP and XTCP's input
 * for many segments, as TCP's own GSO does.
 *
 * The core checks a GSO skb against an MTU (forwarding, ip_finish_output)
 * as segments of gso_size bytes behind the type's header, which for
 * SKB_GSO_SCTP it takes to be 12 bytes; XTCP's is 20 to 60.  So gso_size
 * holds the MSS plus the difference (xtcp_gso_fix_size()), and the
 * segmenter takes it off again: otherwise a router could pass segments up
 * to 48 bytes over its egress MTU to software segmentation and the wire.
 *
 * Each segment gets a copy of the header with its own sequence number and
 * checksum; only the last keeps FIN and PSH, as in Linux's TSO.  The
 * options (the timestamp) are the same in every segment, as in TSO.
 *
 * The other way, a device's GRO merges segments that arrive into such an
 * skb: gro.c, registered here with the segmenter.
 */
#include <net/protocol.h>
#include <net/ip.h>

#include "xtcp.h"

static bool xtcp_gso_registered;

/* Called once the header is in place: see the top of this file. */
void xtcp_gso_fix_size(struct sk_buff *skb)
{
	skb_shinfo(skb)->gso_size += xtcp_gso_extra(xtcp_hdr(skb)->doff * 4);
}

/* The payload per segment of a GSO skb that arrived (from a veth peer):
 * gso_size less what xtcp_gso_fix_size() added.
 */
unsigned int xtcp_gso_rcv_mss(const struct sk_buff *skb)
{
	return skb_shinfo(skb)->gso_size -
	       xtcp_gso_extra(xtcp_hdr(skb)->doff * 4);
}

/*
 * Each segment's urgent pointer counts from its own first byte, @off past
 * the skb's: one that starts at or past the urgent point has none.  The
 * pointer 0xFFFF ("later than this segment reaches") stays as it is.
 */
static void xtcp_gso_seg_urg(struct xtcphdr *th, u32 off, u16 urg)
{
	if (!(((u8 *)th)[13] & XTCP_FLAG_URG) || urg == 0xFFFF)
		return;
	if (urg > off) {
		th->urg_ptr = htons(urg - off);
		return;
	}
	((u8 *)th)[13] &= ~XTCP_FLAG_URG;
	th->urg_ptr = 0;
}

/*
 * A segment's checksum when the device sums no protocol of ours:
 * skb_segment() summed the payload as it cut it (copying it in the same
 * pass when the device takes no page fragments), so only the header is
 * added, with the pseudo-header in its check field as a device would
 * find it (TCP's tcp_gso_segment() does the same).  Summing the whole
 * segment again here would be a second pass over the data.
 */
static void xtcp_gso_seg_checksum(struct sk_buff *seg, struct xtcphdr *th)
{
	unsigned int len = seg->len - skb_transport_offset(seg);

	th->check = ~csum_tcpudp_magic(ip_hdr(seg)->saddr, ip_hdr(seg)->daddr,
				       len, xtcp_ipproto, 0);
	th->check = gso_make_checksum(seg, csum_unfold(~th->check));
}

/*
 * The segments take over the charge the skb had on its socket, so that
 * small queues (tsq.c) hear from the device as each is sent, not as the
 * skb is cut (Linux's tcp_gso_segment() does the same): all but the last
 * charged on their own, and the last taking the skb's destructor and the
 * difference.
 */
static void xtcp_gso_pass_owner(struct sk_buff *gso, struct sk_buff *segs)
{
	struct sock *sk = gso->sk;
	unsigned int sum = 0;
	struct sk_buff *seg;
	int delta;

	for (seg = segs; seg->next; seg = seg->next) {
		seg->sk = sk;
		seg->destructor = xtcp_wfree;
		sum += seg->truesize;
	}
	swap(gso->sk, seg->sk);
	swap(gso->destructor, seg->destructor);
	sum += seg->truesize;
	delta = sum - gso->truesize;
	if (delta >= 0)
		refcount_add(delta, &sk->sk_wmem_alloc);
	else
		WARN_ON_ONCE(refcount_sub_and_test(-delta,
						   &sk->sk_wmem_alloc));
}

static struct sk_buff *xtcp_gso_segment(struct sk_buff *skb,
					netdev_features_t features)
{
	/* A NIC that only knows TCP's and UDP's checksums would take XTCP's
	 * header for TCP's: only NETIF_F_HW_CSUM leaves the sum to it.
	 */
	bool hw = features & NETIF_F_HW_CSUM;
	struct skb_shared_info *si = skb_shinfo(skb);
	struct sk_buff *segs = ERR_PTR(-EINVAL), *seg;
	unsigned int thlen, size = si->gso_size;
	const struct xtcphdr *th;
	u32 seq, first;
	u16 urg;
	u8 flags;

	if (!(si->gso_type & XTCP_GSO_TYPE) || !pskb_may_pull(skb, sizeof(*th)))
		return segs;
	th = xtcp_hdr(skb);
	thlen = th->doff * 4;
	/* gso_size may come from a guest or a tun writer (SKB_GSO_DODGY). */
	if (thlen < sizeof(*th) || !pskb_may_pull(skb, thlen) ||
	    size <= xtcp_gso_extra(thlen) ||
	    skb->len - thlen <= size - xtcp_gso_extra(thlen))
		return segs;
	th = xtcp_hdr(skb);
	seq = ntohl(th->seq);
	first = seq;
	urg = ntohs(th->urg_ptr);
	flags = ((const u8 *)th)[13];

	__skb_pull(skb, thlen);
	si->gso_size = size - xtcp_gso_extra(thlen);
	/* Single segments only, which the loop below fills in: no GSO
	 * feature lets skb_segment() cut a GRO aggregate's frag_list into
	 * smaller GSO skbs instead (gro.c), whose gso_size would lack
	 * xtcp_gso_extra().  No checksum feature but HW_CSUM, so that
	 * skb_segment() sums the payload itself when the device will not.
	 */
	features &= ~(NETIF_F_GSO_MASK | NETIF_F_CSUM_MASK);
	segs = skb_segment(skb, hw ? features | NETIF_F_HW_CSUM : features);
	si->gso_size = size;
	if (IS_ERR(segs))
		return segs;
	if (skb->destructor == xtcp_wfree)
		xtcp_gso_pass_owner(skb, segs);

	for (seg = segs; seg; seg = seg->next) {
		struct xtcphdr *sth = (struct xtcphdr *)skb_transport_header(seg);

		sth->seq = htonl(seq);
		((u8 *)sth)[13] = seg->next ?
			flags & ~(XTCP_FLAG_FIN | XTCP_FLAG_PSH) : flags;
		xtcp_gso_seg_urg(sth, seq - first, urg);
		seq += seg->len - skb_transport_offset(seg) - thlen;
		if (hw)
			xtcp_fill_checksum(seg, ip_hdr(seg)->saddr,
					   ip_hdr(seg)->daddr, true);
		else
			xtcp_gso_seg_checksum(seg, sth);
	}
	return segs;
}

static const struct net_offload xtcp_offload = {
	.callbacks = {
		.gso_segment = xtcp_gso_segment,
		.gro_receive = xtcp_gro_receive,
		.gro_complete = xtcp_gro_complete,
	},
};

/* Without the offload (the protocol number has one already), XTCP sends
 * one segment per skb.
 */
void xtcp_offload_init(void)
{
	xtcp_gso_registered = !inet_add_offload(&xtcp_offload, xtcp_ipproto);
	if (!xtcp_gso_registered)
		pr_info("IP protocol %d has an offload already: no GSO\n",
			xtcp_ipproto);
}

/*
 * inet_del_offload() waits for every gro_receive running.  An aggregate a
 * device still holds (across NAPI polls, briefly: with gro_flush_timeout,
 * busy polling, or a poll that used its budget under HZ >= 1000) then
 * finds no gro_complete when flushed: the core warns and drops it, a loss
 * its sender repairs.
 */
void xtcp_offload_exit(void)
{
	if (xtcp_gso_registered)
		inet_del_offload(&xtcp_offload, xtcp_ipproto);
}

bool xtcp_gso_on(void)
{
	return xtcp_gso_registered;
}
