// SPDX-License-Identifier: GPL-2.0
/*
 * Receive offload (GRO): a device that aggregates (veth with GRO on,
 * virtio-net, a NIC's driver through napi_gro_receive()) hands XTCP one
 * skb for a run of segments of one flow, up to 64 KiB, as TCP's GRO does,
 * so IP and xtcp_v4_rcv() run once for many segments.  The result is what
 * a veth peer's GSO skb is (offload.c): gso_type XTCP_GSO_TYPE, gso_size
 * the MSS plus xtcp_gso_extra(), the checksum left to be filled in
 * (CHECKSUM_PARTIAL), so that the receive path, forwarding and software
 * segmentation take it as they take those.
 *
 * Only what a receiver would make the same of, segment by segment or
 * merged: segments of one flow (addresses, both ports), each starting
 * where the aggregate ends, with ACK alone or ACK and PSH, the same ACK
 * number, window, data offset and option bytes as the first, and no more
 * payload than the first (its size is the aggregate's MSS).  A shorter
 * one, or one with PSH, is merged and ends the aggregate; anything else
 * (SYN, FIN, RST, URG, ECE, CWR, a reserved bit, no payload, a larger
 * payload, IP options or fragments, a TTL, TOS or DF that differs, an IP
 * ID out of step) ends it and passes on alone.  A bad checksum passes on
 * alone too, to be counted and dropped by xtcp_v4_rcv() (InCsumErrors),
 * never merged into an aggregate whose checksum is then trusted.
 *
 * The kernel's skb_gro_receive() is not exported, so the merge is here:
 * a segment whose payload is all in page fragments gives them to the
 * aggregate, as long as its last skb has slots for them; any other joins
 * the aggregate's frag_list whole (its headers pulled off).  Each member
 * of the frag_list holds whole segments, as skb_segment() needs when a
 * router cuts the aggregate again; the receive path reads frag_list skbs
 * as any others (skb_copy_datagram_msg(), skb_copy_bits(); the coalescing
 * of skb_try_coalesce() declines them).
 *
 * Every length is checked before it is used: the header is pulled to its
 * data offset (at least 20 bytes) through the GRO helpers, nothing of a
 * GSO skb that arrives is trusted (it passes on alone), and an aggregate
 * never grows past 64 KiB less one byte, IPv4's limit.
 */
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <net/gro.h>
#include <net/ip.h>

#include "xtcp.h"

#define XTCP_GRO_MAX	65536U	/* an IPv4 packet is shorter */

/* Segments a receiver takes in one run: ACK, and PSH only at the end. */
static bool xtcp_gro_plain(u8 flags)
{
	return (flags & ~XTCP_FLAG_PSH) == XTCP_FLAG_ACK;
}

static u8 xtcp_gro_flags(const struct xtcphdr *th)
{
	return ((const u8 *)th)[13];
}

/*
 * The headers (@off bytes from skb->data) go; what is left is payload.
 * Headers that reach into the first page fragment (a driver's frag0)
 * come off it, which must then keep some payload.  False: it does not.
 */
static bool xtcp_gro_eat_headers(struct sk_buff *skb, unsigned int off)
{
	struct skb_shared_info *si = skb_shinfo(skb);
	unsigned int headlen = skb_headlen(skb);
	unsigned int eat;

	if (off <= headlen)
		return true;
	eat = off - headlen;
	if (!si->nr_frags || eat >= skb_frag_size(&si->frags[0]))
		return false;
	skb_frag_off_add(&si->frags[0], eat);
	skb_frag_size_sub(&si->frags[0], eat);
	skb->data_len -= eat;
	skb->len -= eat;
	return true;
}

/*
 * Appends @skb's payload (past skb_gro_offset()) to the aggregate @p.
 * False: it cannot be, and @skb is untouched.  On success the core frees
 * @skb (NAPI_GRO_FREE) when its page fragments moved, or @skb now belongs
 * to @p's frag_list.
 */
static bool xtcp_gro_merge(struct sk_buff *p, struct sk_buff *skb)
{
	struct skb_shared_info *si = skb_shinfo(skb), *li;
	unsigned int off = skb_gro_offset(skb);
	unsigned int len = skb_gro_len(skb);
	struct sk_buff *lp = NAPI_GRO_CB(p)->last;
	unsigned int delta;

	/* Page-pool pages must not mix with others, nor zero-copy data
	 * join; memory charged to a sender's socket (a packet socket on a
	 * veth) moves with the merge only between skbs of the same one.
	 */
	if (NAPI_GRO_CB(skb)->flush || p->pp_recycle != skb->pp_recycle ||
	    skb_zcopy(p) || skb_zcopy(skb) || p->sk != skb->sk ||
	    p->destructor != skb->destructor)
		return false;
	if (p->len + len >= min(xtcp_gro_max_size(p->dev), XTCP_GRO_MAX))
		return false;
	/*
	 * A clone (a local XTCP sender's, through a veth) shares its shared
	 * info and page fragments with the skb on that sender's write
	 * queue: none of that may change here.  Its fragments are not
	 * taken, nor headers eaten off them; an aggregate that is one
	 * takes a head of its own before it grows.
	 */
	if (skb_cloned(skb) && off > skb_headlen(skb))
		return false;
	if (skb_cloned(p) && pskb_expand_head(p, 0, 0, GFP_ATOMIC))
		return false;

	li = skb_shinfo(lp);
	if (skb_headlen(skb) <= off && si->nr_frags && !skb_cloned(skb) &&
	    !skb_cloned(lp) && li->nr_frags + si->nr_frags <= MAX_SKB_FRAGS) {
		/* All payload in page fragments: they move to @lp, the
		 * header goes with @skb, which the core frees.
		 */
		if (!xtcp_gro_eat_headers(skb, off))
			return false;
		memcpy(li->frags + li->nr_frags, si->frags,
		       si->nr_frags * sizeof(skb_frag_t));
		li->nr_frags += si->nr_frags;
		si->nr_frags = 0;
		delta = skb->truesize - SKB_TRUESIZE(skb_end_offset(skb));
		skb->truesize -= delta;
		skb->len -= skb->data_len;
		skb->data_len = 0;
		NAPI_GRO_CB(skb)->free = NAPI_GRO_FREE;
	} else {
		if (!xtcp_gro_eat_headers(skb, off))
			return false;
		__skb_pull(skb, min(off, skb_headlen(skb)));
		/* Its memory is counted in @p's truesize from now on. */
		skb->destructor = NULL;
		skb->sk = NULL;
		delta = skb->truesize;
		if (lp == p)
			skb_shinfo(p)->frag_list = skb;
		else
			lp->next = skb;
		NAPI_GRO_CB(p)->last = skb;
		__skb_header_release(skb);
		lp = p;
	}

	NAPI_GRO_CB(p)->count++;
	p->data_len += len;
	p->len += len;
	p->truesize += delta;
	skb_shinfo(p)->flags |= si->flags & SKBFL_SHARED_FRAG;
	if (lp != p) {
		lp->data_len += len;
		lp->len += len;
		lp->truesize += delta;
		skb_shinfo(lp)->flags |= si->flags & SKBFL_SHARED_FRAG;
	}
	NAPI_GRO_CB(skb)->same_flow = 1;
	return true;
}

/* Can the segment @th of @len payload bytes join @p (header @th2)? */
static bool xtcp_gro_can_merge(struct sk_buff *p, const struct sk_buff *skb,
			       const struct xtcphdr *th,
			       const struct xtcphdr *th2, unsigned int len)
{
	unsigned int thlen = th->doff * 4;

	return !xtcp_gro_ip_flush(p, th, th2) &&
	       !skb_is_gso(skb) && len && len <= skb_shinfo(p)->gso_size &&
	       ((const u8 *)th)[12] == ((const u8 *)th2)[12] &&
	       xtcp_gro_plain(xtcp_gro_flags(th)) &&
	       xtcp_gro_flags(th2) == XTCP_FLAG_ACK &&
	       th->ack_seq == th2->ack_seq && th->window == th2->window &&
	       !memcmp(th + 1, th2 + 1, thlen - sizeof(*th)) &&
	       ntohl(th2->seq) + skb_gro_len(p) == ntohl(th->seq);
}

/* The aggregate held for the segment's flow, if any (IP has matched the
 * addresses and the protocol).
 */
static struct sk_buff *xtcp_gro_lookup(struct list_head *head,
				       const struct xtcphdr *th)
{
	struct sk_buff *p;

	list_for_each_entry(p, head, list) {
		const struct xtcphdr *th2 = xtcp_hdr(p);

		if (!NAPI_GRO_CB(p)->same_flow)
			continue;
		if (th->source == th2->source && th->dest == th2->dest)
			return p;
		NAPI_GRO_CB(p)->same_flow = 0;
	}
	return NULL;
}

struct sk_buff *xtcp_gro_receive(struct list_head *head, struct sk_buff *skb)
{
	unsigned int off = skb_gro_offset(skb), thlen, len, mss = 1;
	struct sk_buff *p, *pp = NULL;
	const struct xtcphdr *th;
	int flush = 1;

	/* Not worth the sum when the segment passes on alone anyway; when
	 * it is bad, it passes on alone, to be counted where it is dropped.
	 */
	if (!NAPI_GRO_CB(skb)->flush &&
	    skb_gro_checksum_validate(skb, xtcp_ipproto,
				      inet_gro_compute_pseudo))
		goto out;

	th = skb_gro_header(skb, off + sizeof(*th), off);
	if (!th)
		goto out;
	thlen = th->doff * 4;
	if (thlen < sizeof(*th))
		goto out;
	th = skb_gro_header(skb, off + thlen, off);
	if (!th)
		goto out;
	skb_gro_pull(skb, thlen);
	len = skb_gro_len(skb);

	p = xtcp_gro_lookup(head, th);
	if (p && xtcp_gro_can_merge(p, skb, th, xtcp_hdr(p), len) &&
	    xtcp_gro_merge(p, skb)) {
		mss = skb_shinfo(p)->gso_size;
		if (xtcp_gro_flags(th) & XTCP_FLAG_PSH)
			skb_transport_header(p)[13] |= XTCP_FLAG_PSH;
		__XTCP_INC_STATS(dev_net(skb->dev), XTCP_MIB_GROAGGREGATED);
	}

	/* What ends an aggregate, or keeps a segment from starting one: a
	 * short segment (with none merged: no payload), any flag but ACK
	 * alone, a GSO skb.  A segment that was not merged ends the one
	 * held for its flow.
	 */
	flush = len < mss || xtcp_gro_flags(th) != XTCP_FLAG_ACK ||
		skb_is_gso(skb);
	if (p && (!NAPI_GRO_CB(skb)->same_flow || flush))
		pp = p;
out:
	NAPI_GRO_CB(skb)->flush |= flush;
	return pp;
}

/*
 * The aggregate is complete: make it what a veth peer's GSO skb is
 * (offload.c).  @thoff: where its header starts in skb->data; the IP
 * header, which had no options, is just before.
 */
int xtcp_gro_complete(struct sk_buff *skb, int thoff)
{
	const struct iphdr *iph = (const struct iphdr *)(skb->data + thoff -
							 sizeof(*iph));
	struct xtcphdr *th = (struct xtcphdr *)(skb->data + thoff);
	struct skb_shared_info *si = skb_shinfo(skb);

	if (skb->encapsulation)
		skb->inner_transport_header = skb->transport_header;
	th->check = ~csum_tcpudp_magic(iph->saddr, iph->daddr,
				       skb->len - thoff, xtcp_ipproto, 0);
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = (unsigned char *)th - skb->head;
	skb->csum_offset = offsetof(struct xtcphdr, check);
	/* The core set gso_size to the first segment's payload. */
	si->gso_size += xtcp_gso_extra(th->doff * 4);
	si->gso_segs = NAPI_GRO_CB(skb)->count;
	si->gso_type |= XTCP_GSO_TYPE;
	return 0;
}
