// SPDX-License-Identifier: GPL-2.0
/*
 * Every segment XTCP sends is built here.
 *
 * A connected socket sends through ip_queue_xmit() with its own route.
 * Segments that carry sequence space (SYN, data, FIN) wait on
 * sk_write_queue until acknowledged, and go out as clones so that the
 * retransmission timer can send them again.  Segments sent on behalf of
 * something smaller than a socket (a SYN-queue entry's SYN-ACK, a
 * TIME_WAIT entry's ACK, a RST for a segment with no socket) are routed
 * here and sent with ip_build_and_send_pkt(), through the listener or the
 * namespace's control socket.
 *
 * output.c never calls back into input.c.
 */
#include <linux/skbuff.h>
#include <linux/netdevice.h>
#include <net/checksum.h>
#include <net/inet_common.h>
#include <net/ip.h>
#include <net/route.h>
#include <net/sock.h>

#include "xtcp.h"
#include "trace.h"

struct sk_buff *xtcp_alloc_hdr_skb(unsigned int payload, gfp_t gfp)
{
	struct sk_buff *skb = alloc_skb(XTCP_MAX_HEADER + payload, gfp);

	if (skb)
		skb_reserve(skb, XTCP_MAX_HEADER);
	return skb;
}

#define XTCP_MAX_SACK_BLOCKS	4

struct xtcp_sack_block {
	u32 start;
	u32 end;
};

/* Header fields of one segment, host order, and its options. */
struct xtcp_out {
	__be16 sport;
	__be16 dport;
	u32 seq;
	u32 ack;
	u8 flags;
	u16 window;
	u16 urg;	/* the urgent pointer, with XTCP_FLAG_URG */
	u16 mss;	/* SYN: MSS option when nonzero */
	u8 syn_opts;	/* SYN: XTCP_OPT_* offered */
	u8 wscale;	/* SYN: our shift, with XTCP_OPT_WSCALE */
	u8 ts;		/* a timestamp option */
	u8 nsack;
	u32 tsval;
	u32 tsecr;
	struct xtcp_sack_block sack[XTCP_MAX_SACK_BLOCKS];
};

/* Options in Linux's order and alignment, so that a trace reads alike. */
static unsigned int xtcp_options_len(const struct xtcp_out *o)
{
	unsigned int len = o->mss ? XTCPOLEN_MSS : 0;

	if (o->ts || (o->syn_opts & XTCP_OPT_SACK))
		len += o->ts ? XTCPOLEN_TS_ALIGNED : 4;
	if (o->syn_opts & XTCP_OPT_WSCALE)
		len += 4;
	if (o->nsack)
		len += 4 + 8 * o->nsack;
	return len;
}

static u8 *xtcp_put_ts(u8 *p, const struct xtcp_out *o)
{
	*p++ = XTCPOPT_TIMESTAMP;
	*p++ = XTCPOLEN_TIMESTAMP;
	put_unaligned_be32(o->tsval, p);
	put_unaligned_be32(o->tsecr, p + 4);
	return p + 8;
}

static void xtcp_write_options(u8 *p, const struct xtcp_out *o)
{
	int i;

	if (o->mss) {
		*p++ = XTCPOPT_MSS;
		*p++ = XTCPOLEN_MSS;
		put_unaligned_be16(o->mss, p);
		p += 2;
	}
	if (o->syn_opts & XTCP_OPT_SACK) {
		if (!o->ts) {
			*p++ = XTCPOPT_NOP;
			*p++ = XTCPOPT_NOP;
		}
		*p++ = XTCPOPT_SACK_PERM;
		*p++ = XTCPOLEN_SACK_PERM;
		if (o->ts)
			p = xtcp_put_ts(p, o);
	} else if (o->ts) {
		*p++ = XTCPOPT_NOP;
		*p++ = XTCPOPT_NOP;
		p = xtcp_put_ts(p, o);
	}
	if (o->syn_opts & XTCP_OPT_WSCALE) {
		*p++ = XTCPOPT_NOP;
		*p++ = XTCPOPT_WINDOW;
		*p++ = XTCPOLEN_WINDOW;
		*p++ = o->wscale;
	}
	if (o->nsack) {
		*p++ = XTCPOPT_NOP;
		*p++ = XTCPOPT_NOP;
		*p++ = XTCPOPT_SACK;
		*p++ = 2 + 8 * o->nsack;
		for (i = 0; i < o->nsack; i++) {
			put_unaligned_be32(o->sack[i].start, p);
			put_unaligned_be32(o->sack[i].end, p + 4);
			p += 8;
		}
	}
}

static void xtcp_push_header(struct sk_buff *skb, const struct xtcp_out *o)
{
	unsigned int optlen = xtcp_options_len(o);
	struct xtcphdr *th;

	th = skb_push(skb, sizeof(*th) + optlen);
	skb_reset_transport_header(skb);
	memset(th, 0, sizeof(*th));
	th->source = o->sport;
	th->dest = o->dport;
	th->seq = htonl(o->seq);
	th->ack_seq = htonl(o->ack);
	th->doff = (sizeof(*th) + optlen) / 4;
	((u8 *)th)[13] = o->flags;
	th->window = htons(o->window);
	th->urg_ptr = htons(o->urg);
	xtcp_write_options((u8 *)(th + 1), o);
}

/*
 * Fills in the checksum of the XTCP segment in @skb (its transport header
 * to the end): left to the device when @hw (CHECKSUM_PARTIAL, with the
 * pseudo-header's sum in the field), computed here otherwise.  Also used
 * by offload.c for each segment it cuts.
 */
void xtcp_fill_checksum(struct sk_buff *skb, __be32 saddr, __be32 daddr,
			bool hw)
{
	struct xtcphdr *th = (struct xtcphdr *)skb_transport_header(skb);
	unsigned int off = skb_transport_offset(skb);
	unsigned int len = skb->len - off;

	if (hw) {
		skb->ip_summed = CHECKSUM_PARTIAL;
		skb->csum_start = skb_transport_header(skb) - skb->head;
		skb->csum_offset = offsetof(struct xtcphdr, check);
		th->check = ~csum_tcpudp_magic(saddr, daddr, len, xtcp_ipproto, 0);
		return;
	}
	th->check = 0;
	th->check = csum_tcpudp_magic(saddr, daddr, len, xtcp_ipproto,
				      skb_checksum(skb, off, len, 0));
	skb->ip_summed = CHECKSUM_NONE;
}

/*
 * Only a device that checksums any protocol (NETIF_F_HW_CSUM) gets the
 * work: one that offers NETIF_F_IP_CSUM knows TCP and UDP, not XTCP.
 * GSO skbs always: offload.c sums each segment if the device won't.
 */
static void xtcp_set_checksum(struct sk_buff *skb, __be32 saddr, __be32 daddr,
			      netdev_features_t features)
{
	xtcp_fill_checksum(skb, saddr, daddr,
			   (features & NETIF_F_HW_CSUM) || skb_is_gso(skb));
}

/* What fits in the route's MTU. */
static u16 xtcp_mss_for_dst(const struct dst_entry *dst)
{
	unsigned int mtu = dst ? dst_mtu(dst) : 576;

	return max_t(int, (int)mtu - XTCP_HDRS, 64);
}

/* The MSS a SYN or SYN-ACK offers: the route's, or less with TCP_MAXSEG. */
static u16 xtcp_mss_to_offer(const struct sock *sk, const struct dst_entry *dst)
{
	u16 mss = xtcp_mss_for_dst(dst), user = xtcp_sk(sk)->user_mss;

	return user ? min(mss, user) : mss;
}

/* IP options set with IP_OPTIONS travel in every segment too. */
static int xtcp_ip_opt_len(const struct sock *sk)
{
	const struct ip_options_rcu *opt;
	int len = 0;

	rcu_read_lock();
	opt = rcu_dereference(inet_sk(sk)->inet_opt);
	if (opt)
		len = opt->opt.optlen;
	rcu_read_unlock();
	return len;
}

/*
 * The MSS for a path MTU of @mtu: what fits in it, never more than the
 * peer's MSS or TCP_MAXSEG allow.  A peer's MSS of a few bytes (or less
 * than the timestamp option), or an ICMP's tiny MTU, would make every
 * write a flood of tiny segments, or divide by zero: as Linux
 * (CVE-2019-11479), never below net.xtcp.min_snd_mss, header options
 * included.
 */
void xtcp_sync_mss(struct sock *sk, u32 mtu)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	int floor = READ_ONCE(xtcp_sysctl(sock_net(sk))->min_snd_mss);
	int mss = (int)mtu - XTCP_HDRS;

	/* A probe never searches past what the path is known to take. */
	if (xs->mtup_high > mtu)
		xs->mtup_high = mtu;
	mss = xtcp_mss_limit_by_probing(sk, mss);
	if (xs->user_mss)
		mss = min_t(int, mss, xs->user_mss);
	if (xs->mss_clamp)
		mss = min_t(int, mss, xs->mss_clamp);
	/* IP options come out of the segment, whatever limited it (RFC 9293
	 * section 3.7.1: the peer's MSS counts no options of ours).
	 */
	mss -= xtcp_ip_opt_len(sk);
	xs->mss = max(mss, floor);
	xs->pmtu_cookie = mtu;
}

/* The MSS for a route: what fits its MTU, or less with TCP_MAXSEG. */
void xtcp_set_mss(struct sock *sk, const struct dst_entry *dst)
{
	xtcp_sync_mss(sk, dst_mtu(dst));
}

/*
 * The route's MTU moved since the MSS was sized (a device's MTU changed,
 * a learned path MTU expired): the MSS follows before anything is sent,
 * as Linux's tcp_current_mss().  The socket's route is the current one:
 * an ICMP that lowers the path MTU replaces it (icmp.c).
 */
static void xtcp_check_pmtu(struct sock *sk)
{
	const struct dst_entry *dst = __sk_dst_get(sk);

	if (dst && dst_mtu(dst) != xtcp_sk(sk)->pmtu_cookie)
		xtcp_sync_mss(sk, dst_mtu(dst));
}

/*
 * TCP_INFO's advmss: the payload a segment of the MSS we offer carries,
 * less the timestamp option when the connection has it (as Linux's);
 * 0 before a route says what we offer.
 */
u16 xtcp_advmss(struct sock *sk)
{
	const struct dst_entry *dst = __sk_dst_get(sk);

	if (!dst)
		return 0;
	return xtcp_mss_to_offer(sk, dst) -
	       (xtcp_sk(sk)->opts & XTCP_OPT_TS ? XTCPOLEN_TS_ALIGNED : 0);
}

/*
 * The window field: the payload the free receive buffer holds, at the
 * payload-to-memory ratio of what arrived so far (a 1448-byte segment may
 * take 4 KiB), but never less than we already promised, since a window
 * that shrank would drop segments already in flight.  Scaled by our
 * shift, and rounded up so that the scaled edge never moves left; a SYN
 * offers xtcp_syn_window(), unscaled.
 */
static u16 xtcp_rcv_window(struct sock *sk, bool syn)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u8 shift = xs->rcv_wscale;
	u32 wnd = max_t(s64, xtcp_window_room(sk), 0);
	u32 cur = xtcp_rcv_wnd(xs), step;
	u32 field;
	s64 full;

	if (syn) {
		field = xtcp_syn_window(sk);
		xs->rcv_edge = xs->rcv_nxt + field;
		return field;
	}

	/* Receiver silly-window avoidance (RFC 1122 section 4.2.3.3): the
	 * edge moves right by a segment, or half the buffer, at a time.  And
	 * not at all while less than a sixteenth of the buffer is free, as
	 * Linux's __tcp_select_window(): a large buffer a reader has stopped
	 * emptying (the window it can offer follows free memory only as
	 * closely as rcv_ratio does) would otherwise reopen by what each of
	 * the sender's persist probes left, and the sender trickle on for
	 * several probe periods instead of stopping.
	 */
	full = xtcp_room_to_payload(xs, READ_ONCE(sk->sk_rcvbuf));
	step = min_t(u32, xs->mss, full / 2);
	if (wnd < cur + step || wnd < full / 16)
		wnd = cur;
	field = min_t(u32, DIV_ROUND_UP(wnd, 1U << shift), XTCP_RCV_WND);
	xs->rcv_edge = xs->rcv_nxt + (field << shift);
	return field;
}

/* SACK blocks for the data past a gap (RFC 2018 section 4): ranges of the
 * out-of-order queue, the one the latest segment went into first.
 */
static unsigned int xtcp_sack_blocks(const struct xtcp_sock *xs,
				     struct xtcp_sack_block *out,
				     unsigned int max)
{
	struct xtcp_sack_block b[XTCP_MAX_SACK_BLOCKS];
	struct sk_buff *skb;
	unsigned int n = 0, i;

	if (!max)
		return 0;
	/* In sequence order; the walk stops at the fifth range. */
	skb_rbtree_walk(skb, &xs->ooo_root) {
		u32 seq = XTCP_SKB_CB(skb)->seq, end = seq + skb->len;

		if (n && b[n - 1].end == seq) {
			b[n - 1].end = end;
			continue;
		}
		if (n == XTCP_MAX_SACK_BLOCKS)
			break;
		b[n].start = seq;
		b[n++].end = end;
	}
	for (i = 1; i < n; i++) {
		if (xtcp_between(b[i].start, xs->sack_last, b[i].end - 1)) {
			swap(b[0], b[i]);
			break;
		}
	}
	n = min(n, max);
	memcpy(out, b, n * sizeof(*b));
	return n;
}

/* A D-SACK waits (input.c's xtcp_dsack_set()). */
static bool xtcp_dsack_pending(const struct xtcp_sock *xs)
{
	return xs->dsack_start != xs->dsack_end;
}

/* ... and goes first, once (RFC 2883). */
static unsigned int xtcp_dsack_block(struct sock *sk,
				     struct xtcp_sack_block *b)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (!xtcp_dsack_pending(xs))
		return 0;
	b->start = xs->dsack_start;
	b->end = xs->dsack_end;
	xs->dsack_end = xs->dsack_start;
	XTCP_INC_STATS(sock_net(sk), XTCP_MIB_DSACKSENT);
	return 1;
}

/* The options a connected socket's segment carries. */
static void xtcp_set_out_options(struct sock *sk, struct xtcp_out *o,
				 unsigned int payload)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	int room;

	if (o->flags & XTCP_FLAG_SYN) {
		o->mss = xtcp_mss_to_offer(sk, __sk_dst_get(sk));
		o->syn_opts = xs->opts & (XTCP_OPT_WSCALE | XTCP_OPT_SACK);
		o->wscale = xs->rcv_wscale;
	}
	if (xs->opts & XTCP_OPT_TS) {
		o->ts = 1;
		o->tsval = xtcp_ts_now(xs);
		o->tsecr = xs->ts_recent;
	}
	if (!(xs->opts & XTCP_OPT_SACK) || (o->flags & XTCP_FLAG_SYN) ||
	    (RB_EMPTY_ROOT(&xs->ooo_root) && !xtcp_dsack_pending(xs)))
		return;
	/* SACK blocks only where they fit: in a full-sized segment, none.
	 * Signed, because a segment queued before the MSS shrank is larger
	 * than the MSS now allows.
	 */
	room = XTCP_MAX_OPT_SPACE - (int)xtcp_options_len(o);
	if (payload)
		room = min(room, (int)xs->mss - (int)payload -
			   (int)xtcp_options_len(o));
	if (room < 12)
		return;
	o->nsack = xtcp_dsack_block(sk, o->sack);
	o->nsack += xtcp_sack_blocks(xs, o->sack + o->nsack,
				     (room - 4) / 8 - o->nsack);
}

/* Our window shift: the smallest that lets the window cover the largest
 * receive buffer this socket may have, or its TCP_WINDOW_CLAMP (RFC 7323
 * section 2.3).
 */
u8 xtcp_choose_wscale(const struct sock *sk)
{
	u32 space = min(xtcp_rcvbuf_max(sk), xtcp_window_clamp(xtcp_sk(sk)));
	u8 shift = 0;

	while (shift < XTCP_MAX_WSCALE && (XTCP_RCV_WND << shift) < space)
		shift++;
	return shift;
}

/* What a new connection offers in its SYN, from net.xtcp.*. */
u8 xtcp_syn_opts_wanted(const struct net *net)
{
	const struct xtcp_sysctl *sc = xtcp_sysctl(net);
	u8 opts = 0;

	if (READ_ONCE(sc->window_scaling))
		opts |= XTCP_OPT_WSCALE;
	if (READ_ONCE(sc->sack))
		opts |= XTCP_OPT_SACK;
	if (READ_ONCE(sc->timestamps))
		opts |= XTCP_OPT_TS;
	return opts;
}

/* TCP_INFO's counts of what a connected socket sends: @segs segments
 * carrying @len bytes of payload.
 */
static void xtcp_count_out(struct xtcp_sock *xs, u32 segs, u32 len)
{
	xs->stats.segs_out += segs;
	if (!len)
		return;
	xs->stats.data_segs_out += segs;
	xs->stats.bytes_sent += len;
	xs->stats.last_data_sent = xtcp_ms_stamp(xs->clock_ns);
}

/* Sends @skb (header not yet pushed) for a connected socket. */
static int xtcp_transmit_skb(struct sock *sk, struct sk_buff *skb, u8 flags,
			     u32 seq)
{
	struct inet_sock *inet = inet_sk(sk);
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct xtcp_out o = {
		.sport = inet->inet_sport,
		.dport = inet->inet_dport,
		.seq = seq,
		.flags = flags,
		.window = xtcp_rcv_window(sk, flags & XTCP_FLAG_SYN),
	};
	u32 len = skb->len;
	int err, segs;

	if (flags & XTCP_FLAG_ACK) {
		o.ack = xs->rcv_nxt;
		/* An ACK of new data uses up one of quick-ACK mode's. */
		if (xs->quick && xs->rcv_wup != xs->rcv_nxt)
			xs->quick--;
		xs->rcv_wup = xs->rcv_nxt;
	}
	xtcp_set_out_options(sk, &o, skb->len);
	o.urg = xtcp_urg_ptr(xs, seq);
	if (o.urg)
		o.flags |= XTCP_FLAG_URG;
	xtcp_push_header(skb, &o);
	if (skb_is_gso(skb))
		xtcp_gso_fix_size(skb);
	xtcp_set_checksum(skb, inet->inet_saddr, inet->inet_daddr,
			  sk->sk_route_caps);
	memset(&XTCP_SKB_CB(skb)->header, 0, sizeof(XTCP_SKB_CB(skb)->header));
	xtcp_set_owner(skb, sk);

	/* Sending an ACK, of any kind, settles the one we owed. */
	if (flags & XTCP_FLAG_ACK)
		xtcp_stop_delack(sk);

	segs = skb_shinfo(skb)->gso_segs ?: 1;
	xtcp_count_out(xs, segs, len);
	err = ip_queue_xmit(sk, skb, &inet->cork.fl);
	if (!err)
		XTCP_ADD_STATS(sock_net(sk), XTCP_MIB_OUTSEGS, segs);
	return net_xmit_eval(err);
}

/* The flags a queued segment goes out with: ACK once we know the peer. */
static u8 xtcp_queued_flags(const struct sock *sk, const struct sk_buff *skb)
{
	u8 flags = XTCP_SKB_CB(skb)->flags;

	if (sk->sk_state != TCP_SYN_SENT)
		flags |= XTCP_FLAG_ACK;
	return flags;
}

/* Marks @skb for segmentation (offload.c) when it holds more than one
 * segment of @mss bytes.
 */
static void xtcp_set_gso(struct sk_buff *skb, unsigned int mss)
{
	struct skb_shared_info *si = skb_shinfo(skb);

	if (skb->len <= mss) {
		si->gso_size = 0;
		si->gso_segs = 0;
		si->gso_type = 0;
		return;
	}
	si->gso_size = mss;
	si->gso_segs = DIV_ROUND_UP(skb->len, mss);
	si->gso_type = XTCP_GSO_TYPE;
}

/* Sends a copy of a queued segment; the original stays for retransmission.
 * A clone still in flight shares the header room (and the GSO fields), so
 * then copy instead: the head only, the page fragments shared.
 */
static int xtcp_transmit_queued(struct sock *sk, struct sk_buff *skb)
{
	struct sk_buff *c;

	XTCP_SKB_CB(skb)->header.out.sent_ns = xtcp_sk(sk)->clock_ns;
	XTCP_SKB_CB(skb)->header.out.delivered_bytes =
		xtcp_sk(sk)->stats.delivered_bytes;
	if (skb_cloned(skb))
		c = pskb_copy(skb, GFP_ATOMIC);
	else
		c = skb_clone(skb, GFP_ATOMIC);
	if (!c) {
		/* Try again from the timer, even if nothing else is out. */
		xtcp_arm_rtx_if_idle(sk);
		return -ENOBUFS;
	}
	c->tstamp = 0;		/* our send time, not a departure time for IP */
	xtcp_set_gso(c, XTCP_SKB_CB(skb)->header.out.state & XTCP_SKB_MTU_PROBE ?
		     c->len : xtcp_payload_mss(xtcp_sk(sk)));
	return xtcp_transmit_skb(sk, c, xtcp_queued_flags(sk, skb),
				 XTCP_SKB_CB(skb)->seq);
}

void xtcp_queue_skb(struct sock *sk, struct sk_buff *skb)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	__skb_queue_tail(&sk->sk_write_queue, skb);
	xtcp_wmem_charge(sk, skb);
	xs->write_seq = XTCP_SKB_CB(skb)->end_seq;
	if (!xs->send_head)
		xs->send_head = skb;
}

/* May this queued segment go out?  The peer's window bounds data; SYN
 * and FIN need no room.
 */
static bool xtcp_window_allows(const struct xtcp_sock *xs,
			       const struct sk_buff *skb)
{
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);

	if (!skb->len)
		return true;
	return !xtcp_after(cb->seq + skb->len, xs->snd_una + xs->snd_wnd);
}

/*
 * A queued skb's fragments are about to change (a split, a trim): a
 * clone of it still in flight shares them (skb_shinfo()), so the skb
 * takes a head of its own first, the pages shared (pskb_expand_head()).
 * Its truesize stays what was charged, as Linux's
 * skb_unclone_keeptruesize() (not exported).
 */
static int xtcp_unclone(struct sk_buff *skb)
{
	unsigned int truesize = skb->truesize;
	int err;

	if (!skb_cloned(skb))
		return 0;
	err = pskb_expand_head(skb, 0, 0, GFP_ATOMIC);
	skb->truesize = truesize;
	return err;
}

/*
 * Cuts a queued skb after @len bytes: the rest moves to a new skb queued
 * after it, the references to its page fragments moving along
 * (skb_split()), no byte copied; the payload's memory goes with it
 * (truesize), as Linux's tcp_fragment(), so that each part counts what
 * it holds when it reaches a veth peer's window arithmetic.  A sent
 * skb's parts keep its send state, each counting its own segments.
 * Returns the skb that now holds the first @len bytes (@skb), or NULL.
 */
struct sk_buff *xtcp_split_skb(struct sock *sk, struct sk_buff *skb, u32 len)
{
	struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb), *pcb;
	int nsize = max_t(int, (int)skb_headlen(skb) - (int)len, 0);
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *part;
	u32 nlen;

	/* Sent data is cut for the peer's SACKs: however it SACKs, the
	 * queue may not grow past twice the send buffer (tcp_fragment()'s
	 * bound); the marks then stay coarser, never wrong.
	 */
	if (cb->header.out.pcount && sk->sk_wmem_queued / 2 > sk->sk_sndbuf) {
		__XTCP_INC_STATS(sock_net(sk), XTCP_MIB_WQUEUETOOBIG);
		return NULL;
	}
	/* Nothing to cut (a segment count from before the MSS grew). */
	if (!len || len >= skb->len)
		return NULL;
	if (xtcp_unclone(skb))
		return NULL;
	/* Room for linear data past @len, which skb_split() copies (none
	 * in what sendmsg.c builds).
	 */
	part = xtcp_alloc_hdr_skb(nsize, GFP_ATOMIC);
	if (!part)
		return NULL;
	pcb = XTCP_SKB_CB(part);
	pcb->header.out = cb->header.out;
	xtcp_wmem_charge(sk, part);
	nlen = skb->len - len - nsize;
	part->truesize += nlen;
	skb->truesize -= nlen;
	skb_split(skb, part, len);
	pcb->flags = cb->flags;
	cb->flags &= ~XTCP_FLAG_PSH;	/* PSH ends the data */
	pcb->seq = cb->seq + len;
	pcb->end_seq = cb->end_seq;
	cb->end_seq = cb->seq + len;
	__skb_queue_after(&sk->sk_write_queue, skb, part);
	if (cb->header.out.pcount) {
		u16 old = cb->header.out.pcount;

		cb->header.out.pcount = xtcp_pcount(xs, skb->len);
		pcb->header.out.pcount = xtcp_pcount(xs, part->len);
		xtcp_account_resize(xs, cb->header.out.state,
				    cb->header.out.pcount +
				    pcb->header.out.pcount - old);
		xs->rtx_hint = NULL;	/* the resend walk must see both */
	}
	return skb;
}

/*
 * Only @limit bytes of a multi-segment skb may go now.  May they wait
 * for the ACK about to come, so that a window's worth leaves as one
 * large skb rather than a string of small ones?  Linux's TSO deferral,
 * within its bounds, which keep it from ever holding data for long:
 * never in recovery or loss, never unless something went out in the
 * millisecond before this push (@may_defer: ACKs that come more sparsely
 * are not worth waiting for), never when a third of the window may go,
 * and only while the oldest segment's ACK is due within min(1 ms,
 * SRTT / 2).
 */
static bool xtcp_defer_part(const struct sock *sk, u32 limit, bool may_defer)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);
	u32 mss = xtcp_payload_mss(xs);
	struct sk_buff *head = skb_peek(&sk->sk_write_queue);
	u64 srtt_ns = (u64)xs->srtt_us * NSEC_PER_USEC;
	s64 ack_due;

	if (!may_defer || xs->ca_state != XTCP_CA_OPEN || !xs->packets_out ||
	    !head || limit >= xtcp_size_goal(xs) ||
	    limit >= min(xs->snd_wnd, xs->cwnd * mss) / 3)
		return false;
	ack_due = XTCP_SKB_CB(head)->header.out.sent_ns + srtt_ns -
		  xs->clock_ns;
	return ack_due <= (s64)min_t(u64, srtt_ns / 2, NSEC_PER_MSEC);
}

/*
 * May the next new segment go as far as the peer's window goes?  If it
 * does not fit, the full segments that fit go, or, with less than a
 * segment's room, a part of one when the window left is at least half
 * the largest the peer ever offered (RFC 1122 section 4.2.3.4: a small
 * buffer's window is never used up in slivers, nor left unused).
 * Returns what may go now, or NULL.
 */
static struct sk_buff *xtcp_fit_window(struct sock *sk, struct sk_buff *skb,
				       bool may_defer)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 mss = xtcp_payload_mss(xs);
	s32 usable;

	if (xtcp_window_allows(xs, skb))
		return skb;
	usable = xs->snd_una + xs->snd_wnd - XTCP_SKB_CB(skb)->seq;
	if (usable <= 0)
		return NULL;
	if ((u32)usable >= mss)
		usable = rounddown(usable, mss);
	else if ((u32)usable < xs->max_snd_wnd / 2)
		return NULL;
	if (xtcp_defer_part(sk, usable, may_defer))
		return NULL;
	return xtcp_split_skb(sk, skb, usable);
}

/*
 * How much new data one skb carries, as Linux's tcp_tso_autosize(): about
 * 1 ms at the pacing rate (xtcp_pacing_rate()), at least two segments,
 * and, the shorter the least RTT (the more a burst is worth), more: half
 * of the largest GSO size per doubling below 512 us.  A slow path so gets
 * its segments, and gives back its ACKs, spread over the round trip, not
 * in bursts of 64 KiB; a fast one still gets the largest skbs.
 */
static struct sk_buff *xtcp_fit_autosize(struct sock *sk, struct sk_buff *skb)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);
	u32 mss = xtcp_payload_mss(xs), shift = xs->stats.min_rtt_us >> 9;
	u64 bytes = xtcp_pacing_rate(xs) >> 10;

	if (shift < 32)
		bytes += sk->sk_gso_max_size >> shift;
	bytes = max_t(u64, min_t(u64, bytes, sk->sk_gso_max_size), 2 * mss);
	if (skb->len <= bytes)
		return skb;
	return xtcp_split_skb(sk, skb, rounddown((u32)bytes, mss)) ?: skb;
}

/*
 * An skb of several segments, new or lost, goes only as far as the
 * congestion window allows (the caller saw room for one at least): the
 * rest waits in an skb of its own.  (Should that split fail for memory,
 * the whole skb goes: one window's overshoot, not a stall.)  New data
 * may wait for the next ACK (xtcp_defer_part()); a resend never does.
 * Returns what may go now, or NULL.
 */
struct sk_buff *xtcp_fit_cwnd(struct sock *sk, struct sk_buff *skb,
			      bool may_defer)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 len = (xs->cwnd - xtcp_in_flight(xs)) * xtcp_payload_mss(xs);

	if (skb->len <= len)
		return skb;
	if (xtcp_defer_part(sk, len, may_defer))
		return NULL;
	return xtcp_split_skb(sk, skb, len) ?: skb;
}

/*
 * How much of a lost @skb the peer's window takes now, as Linux's
 * __tcp_retransmit_skb(): a window that shrank (RFC 9293 section 3.8.6)
 * leaves sent data past its right edge; that waits, and a resend goes
 * only as far as the window does, in whole segments, or as the sliver
 * left when less than one fits (SHLD-16).  The oldest segment is the
 * exception: it goes, one segment of it, whatever the window says, as
 * the probe of a window shrunk to zero (MUST-35).  SYN and FIN need no
 * room.  Returns what may go, or NULL.
 */
struct sk_buff *xtcp_fit_rwnd_resend(struct sock *sk, struct sk_buff *skb)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 mss = xtcp_payload_mss(xs);
	s32 avail = xs->snd_una + xs->snd_wnd - XTCP_SKB_CB(skb)->seq;

	if (!skb->len)
		return skb;
	if (avail <= 0) {
		if (XTCP_SKB_CB(skb)->seq != xs->snd_una)
			return NULL;
		avail = mss;
	}
	if (skb->len <= (u32)avail)
		return skb;
	if ((u32)avail >= mss)
		avail = rounddown(avail, mss);
	/* Past the window even for memory: it waits for the next turn. */
	return xtcp_split_skb(sk, skb, avail);
}

/*
 * Nagle's algorithm (RFC 1122 section 4.2.3.4), with Minshall's change as
 * in Linux: the last, partly filled segment waits while an earlier small
 * segment is unacknowledged, so that small writes travel together but a
 * write's short tail does not wait behind its own full segments;
 * TCP_NODELAY sends it at once.  TCP_CORK and MSG_MORE hold it until the
 * application says it is complete, or, with nothing in flight, until the
 * persist timer's RTO (timer.c) sends it as Linux's probe timer does.
 * The partial segment is the end of the last queued skb, which may hold
 * full segments before it.
 */
static bool xtcp_hold_partial(const struct sock *sk, const struct sk_buff *skb,
			      bool partial_ok)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);

	if (!(skb->len % xtcp_payload_mss(xs)) || partial_ok ||
	    !skb_queue_is_last(&sk->sk_write_queue, skb) ||
	    (XTCP_SKB_CB(skb)->flags & XTCP_FLAG_FIN))
		return false;
	/* Urgent data waits for nothing (Linux's tcp_nagle_test()). */
	if (xtcp_urg_mode(xs))
		return false;
	if (xs->corked || xs->more)
		return true;
	return !xs->nodelay && xtcp_after(xs->snd_sml, xs->snd_una);
}

/*
 * What of the send head @skb may go now: all of it, or, when its partial
 * tail is held back, nothing if that is all there is, else its full
 * segments on their own (Linux's tcp_mss_split_point()); the tail is
 * then held at the next turn.
 */
static struct sk_buff *xtcp_unheld_part(struct sock *sk, struct sk_buff *skb,
					bool partial_ok)
{
	u32 mss = xtcp_payload_mss(xtcp_sk(sk));

	if (!xtcp_hold_partial(sk, skb, partial_ok))
		return skb;
	if (skb->len < mss)
		return NULL;
	return xtcp_split_skb(sk, skb, rounddown(skb->len, mss)) ?: skb;
}

/* Sends the send head @skb for the first time: false if there was no
 * memory for its copy (it stays the send head: the timer tries again).
 */
bool xtcp_send_new(struct sock *sk, struct sk_buff *skb)
{
	struct xtcp_snd_state *st = &XTCP_SKB_CB(skb)->header.out;
	struct xtcp_sock *xs = xtcp_sk(sk);
	bool idle = !xs->packets_out;

	if (xtcp_transmit_queued(sk, skb) == -ENOBUFS)
		return false;
	st->pcount = st->state & XTCP_SKB_MTU_PROBE ? 1 :
		     xtcp_pcount(xs, skb->len);
	xs->packets_out += st->pcount;
	/* A reply within the delayed-ACK time: the session is interactive,
	 * and its ACKs may as well wait for the next reply (Linux's
	 * pingpong mode).
	 */
	if (skb->len && xs->stats.last_data_recv &&
	    xtcp_ms_age_ns(xs->clock_ns, xs->stats.last_data_recv) <
	    (s64)XTCP_DELACK_NS)
		xs->pingpong = 1;
	xs->snd_nxt = XTCP_SKB_CB(skb)->end_seq;
	if (skb->len < xtcp_payload_mss(xs))
		xs->snd_sml = xs->snd_nxt;
	if (XTCP_SKB_CB(skb)->flags & XTCP_FLAG_FIN)
		xs->fin_sent = 1;
	xs->send_head = skb_queue_is_last(&sk->sk_write_queue, skb) ?
			NULL : skb->next;
	/* The first segment in flight starts a full RTO, whatever the
	 * persist timer had left (tcp_event_new_data_sent()); a window
	 * stall is over, and its probes' backoff with it (tcp_ack_probe()).
	 */
	if (xs->probe_stamp)
		xs->backoff = 0;
	xs->probe_stamp = 0;
	if (idle)
		xtcp_arm_rtx(sk);
	else
		xtcp_arm_rtx_if_idle(sk);
	return true;
}

static bool xtcp_is_fin(const struct sk_buff *skb)
{
	return XTCP_SKB_CB(skb)->flags & XTCP_FLAG_FIN;
}

/*
 * Sends what the windows allow: segments presumed lost first, then new
 * ones, while fewer than cwnd are in flight and the peer's window has
 * room.  Data the peer's window has no room for waits for a window
 * update, which the persist timer asks for (RFC 9293 section 3.8.6.1).
 */
static void __xtcp_push(struct sock *sk, bool partial_ok)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	bool rwnd_limited = false;
	struct sk_buff *skb;
	u32 sent = xs->packets_out;
	bool recent;

	xtcp_check_pmtu(sk);
	recent = xs->stats.last_data_sent &&
		 xtcp_ms_age_ns(xs->clock_ns, xs->stats.last_data_sent) <=
		 NSEC_PER_MSEC;
	if (xs->send_head && xs->send_head->len)
		xtcp_cwnd_restart_after_idle(sk);
	xtcp_retransmit_lost(sk);
	xtcp_mtu_probe(sk);
	while ((skb = xs->send_head)) {
		struct sk_buff *go;

		if (xtcp_is_fin(skb)) {
			/* A lone FIN passes a full cwnd, as in Linux. */
			if (!xtcp_send_new(sk, skb))
				break;
			continue;
		}
		if (xtcp_in_flight(xs) >= xs->cwnd ||
		    xtcp_small_queue_full(sk, skb))
			break;
		go = xtcp_fit_window(sk, skb, recent);
		rwnd_limited = !go;
		if (!go)
			break;
		go = xtcp_unheld_part(sk, go, partial_ok);
		if (!go)
			break;
		go = xtcp_fit_autosize(sk, go);
		go = xtcp_fit_cwnd(sk, go, recent);
		if (!go) {
			xs->cwnd_limited = 1;	/* waits for cwnd room */
			break;
		}
		if (!xtcp_send_new(sk, go))
			break;
	}
	if (xtcp_in_flight(xs) >= xs->cwnd)
		xs->cwnd_limited = 1;
	/* Something waits and nothing is in flight, so no ACK will come to
	 * send it: the persist timer, for a window update, for what TCP_CORK
	 * or MSG_MORE holds back, or for a segment whose send found no
	 * memory, a SYN or a FIN among them (Linux's tcp_check_probe_timer()
	 * after tcp_write_xmit()).  Without it such a connection waits for
	 * ever.
	 */
	if (skb && !xs->packets_out)
		xtcp_arm_rtx_if_idle(sk);
	/* New data out: a probe follows it if no ACK does (RFC 8985).  One
	 * already set stays (the ACK that comes re-arms it): a deadline
	 * moved earlier moves the hrtimer, for every send.
	 */
	if (xs->packets_out > sent && (xs->timer_event == XTCP_TIMER_RTO ||
				       !xs->rtx_at))
		xtcp_schedule_loss_probe(sk, false);
	xtcp_chrono_update(sk, rwnd_limited);
}

/* The send times, and the timers armed, count from the clock read here. */
void xtcp_push(struct sock *sk)
{
	xtcp_clock_refresh(xtcp_sk(sk));
	__xtcp_push(sk, false);
}

/* From a segment's handling, which read the clock as it began (reading
 * it, an HPET access in a TCG guest, costs more than the rest of a push).
 */
void xtcp_push_on_input(struct sock *sk)
{
	__xtcp_push(sk, false);
}

/* Sends a held partial segment too: TCP_CORK was removed. */
void xtcp_push_partial(struct sock *sk)
{
	xtcp_clock_refresh(xtcp_sk(sk));
	__xtcp_push(sk, true);
}

/*
 * The persist timer's probe, as Linux's tcp_write_wakeup(): when the
 * peer's window has any room for the send head, up to a segment of it
 * goes, however small (the rules above would leave a window of a few
 * bytes unused for good, and the ACK of new data is one whose window is
 * always taken, even when a blind segment moved SND.WL1 ahead of the
 * peer); with no room, the zero-window probe.
 */
void xtcp_send_window_probe(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *skb = xs->send_head;
	s32 usable;

	/* A SYN or a lone FIN whose first send found no memory (it stayed
	 * the send head): it goes now, as neither waits for a window.  A
	 * probe instead would leave it unsent until the retries ran out.
	 */
	if (skb && !skb->len &&
	    (XTCP_SKB_CB(skb)->flags & (XTCP_FLAG_SYN | XTCP_FLAG_FIN))) {
		xtcp_send_new(sk, skb);
		return;
	}
	if (skb) {
		usable = xs->snd_una + xs->snd_wnd - XTCP_SKB_CB(skb)->seq;
		if (usable > 0) {
			usable = min_t(u32, usable, xtcp_payload_mss(xs));
			if (skb->len > usable)
				skb = xtcp_split_skb(sk, skb, usable);
			/* Pushed, as Linux's: however small, it goes now. */
			if (skb)
				XTCP_SKB_CB(skb)->flags |= XTCP_FLAG_PSH;
			if (skb && xtcp_send_new(sk, skb))
				return;
		}
	}
	xtcp_send_probe(sk);
}

/*
 * The tail-loss probe (RFC 8985 section 7.3): no ACK came for two round
 * trips, so the tail of the flight may be lost, which no duplicate ACK
 * would ever reveal.  A segment of new data goes if the peer's window
 * takes it (cwnd notwithstanding), else the newest segment again (its
 * last MSS), so that the peer's ACK or SACK shows what is missing and
 * recovery starts without the RTO.  One probe per tail: tlp_high_seq
 * marks it until an ACK settles it.  The RTO follows.
 */
void xtcp_send_loss_probe(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *skb = xs->send_head;
	u32 mss = xtcp_payload_mss(xs);

	/* Recovery began since the timer was set: it resends by itself. */
	if (xs->tlp_high_seq || xs->ca_state != XTCP_CA_OPEN)
		goto rearm;
	xs->tlp_retrans = 0;
	if (skb && skb->len &&
	    !xtcp_after(XTCP_SKB_CB(skb)->seq + min(skb->len, mss),
			xs->snd_una + xs->snd_wnd)) {
		if (skb->len > mss)
			skb = xtcp_split_skb(sk, skb, mss);
		if (skb && xtcp_send_new(sk, skb))
			goto sent;
		goto rearm;
	}
	skb = xtcp_last_sent(sk);
	if (!skb)
		goto rearm;
	if (xtcp_skb_pcount(skb) > 1) {
		struct sk_buff *head = xtcp_split_skb(sk, skb,
						      rounddown(skb->len - 1,
								mss));

		if (!head)
			goto rearm;
		skb = head->next;
	}
	/* Past a shrunk window's edge it may not go again, nor be probed. */
	skb = xtcp_fit_rwnd_resend(sk, skb);
	if (!skb || xtcp_resend_skb(sk, skb))
		goto rearm;
	xs->tlp_retrans = 1;
	xs->tlp_tsval = xtcp_ts_now(xs);
sent:
	xs->tlp_high_seq = xs->snd_nxt;
	__XTCP_INC_STATS(sock_net(sk), XTCP_MIB_LOSSPROBES);
rearm:
	xtcp_arm_rtx(sk);
}

/*
 * A zero-window or keep-alive probe: an ACK for the byte before snd_una,
 * which the peer must answer with an ACK that shows its window (RFC 9293
 * section 3.8.4 and 3.8.6.1, as Linux sends them).
 */
void xtcp_send_probe(struct sock *sk)
{
	struct sk_buff *skb = xtcp_alloc_hdr_skb(0, GFP_ATOMIC);

	if (skb)
		xtcp_transmit_skb(sk, skb, XTCP_FLAG_ACK,
				  xtcp_sk(sk)->snd_una - 1);
}

static struct sk_buff *xtcp_ctl_skb(struct sock *sk, u8 flags, gfp_t gfp)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *skb;

	skb = xtcp_alloc_hdr_skb(0, gfp);
	if (!skb)
		return NULL;
	XTCP_SKB_CB(skb)->seq = xs->write_seq;
	XTCP_SKB_CB(skb)->end_seq = xs->write_seq +
		((flags & (XTCP_FLAG_SYN | XTCP_FLAG_FIN)) ? 1 : 0);
	XTCP_SKB_CB(skb)->flags = flags;
	return skb;
}

/* SYN, RFC 9293 section 3.10.4: one sequence number, no data, MSS option. */
int xtcp_send_syn(struct sock *sk)
{
	struct sk_buff *skb = xtcp_ctl_skb(sk, XTCP_FLAG_SYN, sk->sk_allocation);

	if (!skb)
		return -ENOBUFS;
	xtcp_queue_skb(sk, skb);
	xtcp_push(sk);
	/* TCP_USER_TIMEOUT counts from the first SYN (tcp_connect()). */
	xtcp_sk(sk)->retrans_stamp = xtcp_ms_stamp(xtcp_sk(sk)->clock_ns);
	XTCP_INC_STATS(sock_net(sk), XTCP_MIB_ACTIVEOPENS);
	return 0;
}

/*
 * Our FIN follows whatever data is still queued.  It must exist: the
 * state has already moved on (FIN_WAIT_1, LAST_ACK), and without a FIN in
 * the queue nothing would time out to end the connection, an orphan
 * after close() least of all.  Both callers, close() and shutdown(), may
 * sleep, so the allocation waits for memory rather than fail (as Linux's
 * tcp_send_fin() once did, looping); a kernel socket that may not sleep
 * gives the connection up with a RST instead.
 */
void xtcp_send_fin(struct sock *sk)
{
	gfp_t gfp = sk->sk_allocation;
	struct sk_buff *skb;

	if (gfpflags_allow_blocking(gfp))
		gfp |= __GFP_NOFAIL;
	skb = xtcp_ctl_skb(sk, XTCP_FLAG_FIN, gfp);
	if (!skb) {
		xtcp_send_active_reset(sk, GFP_ATOMIC);
		xtcp_done(sk);
		return;
	}
	xtcp_queue_skb(sk, skb);
	xtcp_push(sk);
}

/* A bare ACK: never queued, never retransmitted. */
void xtcp_send_ack(struct sock *sk)
{
	struct sk_buff *skb;

	if (sk->sk_state == TCP_CLOSE || sk->sk_state == TCP_LISTEN)
		return;
	skb = xtcp_alloc_hdr_skb(0, GFP_ATOMIC);
	if (!skb)
		return;
	xtcp_transmit_skb(sk, skb, XTCP_FLAG_ACK, xtcp_sk(sk)->snd_nxt);
}

/* A bare ACK from process context (a read, a socket option): the clock
 * is read first, so that its timestamp is now.
 */
void xtcp_send_ack_now(struct sock *sk)
{
	xtcp_clock_refresh(xtcp_sk(sk));
	xtcp_send_ack(sk);
}

/* RST from a connected socket that aborts (close with unread data,
 * SO_LINGER 0, a full accept queue's children): RFC 9293 section 3.10.4.
 */
void xtcp_send_active_reset(struct sock *sk, gfp_t gfp)
{
	struct sk_buff *skb = xtcp_alloc_hdr_skb(0, gfp);

	if (!skb)
		return;
	/* From close() or a timer: its timestamp is now, not the last event's. */
	xtcp_clock_refresh(xtcp_sk(sk));
	if (xtcp_transmit_skb(sk, skb, XTCP_FLAG_RST | XTCP_FLAG_ACK,
			      xtcp_sk(sk)->snd_nxt))
		return;
	XTCP_INC_STATS(sock_net(sk), XTCP_MIB_OUTRSTS);
	trace_send_reset(sk, NULL, xtcp_sk(sk)->snd_nxt, xtcp_sk(sk)->rcv_nxt);
}

/* Sends a segment already sent once again, counted as a retransmission. */
int xtcp_resend_skb(struct sock *sk, struct sk_buff *skb)
{
	int err;

	/* A probe resent did not make it: it goes at the MSS now. */
	if (XTCP_SKB_CB(skb)->header.out.state & XTCP_SKB_MTU_PROBE)
		xtcp_mtu_probe_unmark(sk, skb);

	XTCP_SKB_CB(skb)->header.out.state |= XTCP_SKB_RETRANS;
	/* TCP_USER_TIMEOUT counts from the first (attempted) resend. */
	if (!xtcp_sk(sk)->retrans_stamp)
		xtcp_sk(sk)->retrans_stamp =
			xtcp_ms_stamp(xtcp_sk(sk)->clock_ns);
	err = xtcp_transmit_queued(sk, skb);
	if (!err) {
		XTCP_ADD_STATS(sock_net(sk), XTCP_MIB_RETRANSSEGS,
			       xtcp_skb_pcount(skb));
		trace_retransmit_skb(sk, skb, xtcp_skb_pcount(skb));
		xtcp_sk(sk)->total_retrans += xtcp_skb_pcount(skb);
		xtcp_sk(sk)->stats.bytes_retrans += skb->len;
	}
	return err;
}

/*
 * Drops the first @len bytes of the queued @skb, acknowledged: from its
 * linear part, if it has data there, then from its page fragments, those
 * wholly acknowledged released, the first partly acknowledged starting
 * later (Linux's __pskb_trim_head()).  What the fragments gave up leaves
 * its truesize and the socket's charge.  -ENOMEM: not trimmed.
 */
static int xtcp_trim_head(struct sock *sk, struct sk_buff *skb, u32 len)
{
	u32 eat = min(len, skb_headlen(skb));
	struct skb_shared_info *si;
	int i, k = 0;

	if (xtcp_unclone(skb))
		return -ENOMEM;
	__skb_pull(skb, eat);
	len -= eat;
	if (!len)
		return 0;
	si = skb_shinfo(skb);
	eat = len;
	for (i = 0; i < si->nr_frags; i++) {
		u32 size = skb_frag_size(&si->frags[i]);

		if (size <= eat) {
			skb_frag_unref(skb, i);
			eat -= size;
			continue;
		}
		si->frags[k] = si->frags[i];
		if (eat) {
			skb_frag_off_add(&si->frags[k], eat);
			skb_frag_size_sub(&si->frags[k], eat);
			eat = 0;
		}
		k++;
	}
	si->nr_frags = k;
	skb->data_len -= len;
	skb->len -= len;
	skb->truesize -= len;
	xtcp_wmem_uncharge_bytes(sk, len);
	return 0;
}

/*
 * An ACK inside a sent skb of several segments (from a peer that got
 * them one by one): the acknowledged ones leave it, so that a resend
 * starts at snd_una, as Linux trims a TSO skb's head.  Returns the skb
 * when it was trimmed.
 */
static struct sk_buff *xtcp_trim_acked_head(struct sock *sk, u32 ack,
					    u32 *acked)
{
	struct sk_buff *skb = skb_peek(&sk->sk_write_queue);
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct xtcp_snd_state *st;
	u32 seq;
	u16 old;

	if (!skb || skb == xs->send_head)
		return NULL;
	seq = XTCP_SKB_CB(skb)->seq;
	if (!xtcp_after(ack, seq) || !skb->len ||
	    !xtcp_before(ack, seq + skb->len))
		return NULL;
	/* No memory for a head of its own: the skb stays whole until the
	 * next ACK (a resend then repeats what the peer has).
	 */
	if (xtcp_trim_head(sk, skb, ack - seq))
		return NULL;
	st = &XTCP_SKB_CB(skb)->header.out;
	old = st->pcount;
	XTCP_SKB_CB(skb)->seq = ack;
	st->pcount = xtcp_pcount(xs, skb->len);
	xtcp_account_resize(xs, st->state, st->pcount - old);
	*acked += old - st->pcount;
	if (!(st->state & XTCP_SKB_SACKED))
		xtcp_stats_delivered(xs, old - st->pcount, ack - seq);
	return skb;
}

/*
 * Once no resend is outstanding, the next loss's user timeout counts
 * from its own first resend (Linux's tcp_any_retrans_done()).
 */
static void xtcp_forget_retrans_stamp(struct sock *sk)
{
	struct sk_buff *skb = skb_peek(&sk->sk_write_queue);
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (xs->retrans_out ||
	    (skb && skb != xs->send_head &&
	     (XTCP_SKB_CB(skb)->header.out.state & XTCP_SKB_RETRANS)))
		return;
	xs->retrans_stamp = 0;
}

/*
 * Frees queued segments that @ack covers entirely, and trims one it
 * covers in part.  Returns the round trip time the newest of them
 * measured, or 0 when one of them was sent twice (which copy the ACK
 * answers is unknown: Karn's rule) or the newest was SACKed earlier (it
 * arrived long before this ACK said so).
 */
u64 xtcp_clean_acked(struct sock *sk, u32 ack, u32 *acked)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	const struct xtcp_snd_state *st;
	u32 tx_delivered = 0;
	struct sk_buff *skb;
	u64 sent = 0, rtt;
	bool retrans = false;

	while ((skb = skb_peek(&sk->sk_write_queue)) && skb != xs->send_head &&
	       !xtcp_after(XTCP_SKB_CB(skb)->end_seq, ack)) {
		st = &XTCP_SKB_CB(skb)->header.out;
		retrans |= st->state & XTCP_SKB_RETRANS;
		sent = st->state & XTCP_SKB_SACKED ? 0 : st->sent_ns;
		tx_delivered = st->delivered_bytes;
		*acked += xtcp_skb_pcount(skb);
		xtcp_unaccount_skb(xs, skb);
		__skb_unlink(skb, &sk->sk_write_queue);
		xtcp_wmem_free(sk, skb);
	}
	skb = xtcp_trim_acked_head(sk, ack, acked);
	if (skb) {
		st = &XTCP_SKB_CB(skb)->header.out;
		retrans |= st->state & XTCP_SKB_RETRANS;
		sent = st->state & XTCP_SKB_SACKED ? 0 : st->sent_ns;
		tx_delivered = st->delivered_bytes;
	}
	xtcp_forget_retrans_stamp(sk);
	if (retrans || !sent)
		return 0;
	rtt = max_t(s64, xs->clock_ns - sent, 1);
	xtcp_stats_rate(xs, tx_delivered, rtt);
	return rtt;
}

/* ---- segments for something smaller than a socket ---- */

static struct rtable *xtcp_route_reply(struct net *net, const struct sock *sk,
				       __be32 saddr, __be32 daddr,
				       __be16 sport, __be16 dport, u8 tos)
{
	struct flowi4 fl4;

	flowi4_init_output(&fl4, sk ? sk->sk_bound_dev_if : 0,
			   sk ? sk->sk_mark : 0, tos, RT_SCOPE_UNIVERSE,
			   xtcp_ipproto, 0, daddr, saddr, dport, sport,
			   sock_net_uid(net, sk));
	return ip_route_output_flow(net, &fl4, sk);
}

/* The route for an answer to @daddr carrying @opt: to a source route's
 * next hop, as Linux's inet_csk_route_req().
 */
static struct rtable *xtcp_route_answer(struct net *net, const struct sock *sk,
					const struct xtcp_out *o,
					__be32 saddr, __be32 daddr,
					const struct ip_options_rcu *opt,
					u8 tos)
{
	struct rtable *rt;

	rt = xtcp_route_reply(net, sk, saddr,
			      xtcp_ip_opts_nexthop(opt, daddr),
			      o->sport, o->dport, tos);
	if (!IS_ERR(rt) && !xtcp_ip_opts_route_ok(opt, rt)) {
		ip_rt_put(rt);
		rt = ERR_PTR(-EHOSTUNREACH);
	}
	return rt;
}

/* Routes and sends a header-only segment through @via (a listener or the
 * namespace's control socket), with IP options @opt if not NULL.
 */
static void xtcp_send_bare(struct net *net, struct sock *via,
			   const struct xtcp_out *o, __be32 saddr,
			   __be32 daddr, struct ip_options_rcu *opt, u8 tos)
{
	struct sk_buff *skb;
	struct rtable *rt;

	rt = xtcp_route_answer(net, via, o, saddr, daddr, opt, tos);
	if (IS_ERR(rt))
		return;
	skb = xtcp_alloc_hdr_skb(0, GFP_ATOMIC);
	if (!skb) {
		ip_rt_put(rt);
		return;
	}
	xtcp_push_header(skb, o);
	xtcp_set_checksum(skb, saddr, daddr, rt->dst.dev->features);
	skb_dst_set(skb, &rt->dst);
	if (!ip_build_and_send_pkt(skb, via, saddr, daddr, opt, tos))
		XTCP_INC_STATS(net, XTCP_MIB_OUTSEGS);
}

/*
 * SYN-ACK for a SYN-queue entry, sent through its listener: with the
 * listener's TTL (ip_build_and_send_pkt() takes it from the socket) and
 * its IP_TOS as it is now, as Linux's tcp_v4_send_synack() (which
 * reflects the SYN's TOS only with tcp_reflect_tos, off by default).
 */
int xtcp_send_request_synack(struct xtcp_request *req)
{
	u8 tos = READ_ONCE(inet_sk(req->listener)->tos);
	struct xtcp_out o = {
		.sport = req->h.lport,
		.dport = req->h.rport,
		.seq = req->iss,
		.ack = req->irs + 1,
		.flags = XTCP_FLAG_SYN | XTCP_FLAG_ACK,
		.window = xtcp_syn_window(req->listener),
	};
	struct net *net = sock_net(req->listener);
	struct rtable *rt;

	rt = xtcp_route_answer(net, req->listener, &o, req->h.laddr,
			       req->h.raddr, req->ipopt, tos);
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	o.mss = xtcp_mss_to_offer(req->listener, &rt->dst);
	o.syn_opts = req->opts & (XTCP_OPT_WSCALE | XTCP_OPT_SACK);
	o.wscale = req->rcv_wscale;
	if (req->opts & XTCP_OPT_TS) {
		o.ts = 1;
		o.tsval = xtcp_ts_clock() +
			  xtcp_ts_offset(req->h.laddr, req->h.raddr,
					 req->h.lport, req->h.rport);
		if (req->cookie)
			o.tsval = xtcp_cookie_ts(o.tsval, req->opts,
						 req->snd_wscale);
		o.tsecr = req->ts_recent;
	}
	ip_rt_put(rt);
	xtcp_send_bare(net, req->listener, &o, req->h.laddr, req->h.raddr,
		       req->ipopt, tos);
	return 0;
}

/*
 * RST in answer to @in, RFC 9293 section 3.10.7.1: if it carried an ACK,
 * the RST takes that number as its sequence number; otherwise it has
 * sequence 0 and acknowledges everything @in occupied.  Never for a RST.
 */
void xtcp_send_reset_reply(struct net *net, struct sk_buff *in)
{
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(in);
	const struct xtcphdr *th = xtcp_hdr(in);
	const struct iphdr *iph = ip_hdr(in);
	struct xtcp_out o = {
		.sport = th->dest,
		.dport = th->source,
		.flags = XTCP_FLAG_RST,
	};

	if (cb->flags & XTCP_FLAG_RST)
		return;
	if (cb->flags & XTCP_FLAG_ACK) {
		o.seq = cb->ack_seq;
	} else {
		o.ack = cb->end_seq;
		o.flags |= XTCP_FLAG_ACK;
	}
	xtcp_send_bare(net, xtcp_pernet(net)->ctl_sk, &o, iph->daddr,
		       iph->saddr, NULL, 0);
	XTCP_INC_STATS(net, XTCP_MIB_OUTRSTS);
	trace_send_reset(NULL, in, o.seq, o.ack);
}

/* A bare ACK in answer to @in, for whoever has no socket of its own
 * (TIME_WAIT entries, SYN-queue entries).  It leaves through the
 * namespace's control socket, with the namespace's default TTL, as
 * Linux's TIME_WAIT ACKs leave through its control sockets.
 */
void xtcp_send_ack_reply(struct net *net, struct sk_buff *in,
			 const struct xtcp_reply *r)
{
	const struct xtcphdr *th = xtcp_hdr(in);
	const struct iphdr *iph = ip_hdr(in);
	struct xtcp_out o = {
		.sport = th->dest,
		.dport = th->source,
		.seq = r->seq,
		.ack = r->ack,
		.flags = XTCP_FLAG_ACK,
		.window = r->win,
		.ts = r->ts,
		.tsval = r->tsval,
		.tsecr = r->tsecr,
	};

	xtcp_send_bare(net, xtcp_pernet(net)->ctl_sk, &o, iph->daddr,
		       iph->saddr, NULL, r->tos);
}

int xtcp_ctl_init_net(struct net *net)
{
	return inet_ctl_sock_create(&xtcp_pernet(net)->ctl_sk, PF_INET,
				    SOCK_RAW, xtcp_ipproto, net);
}

void xtcp_ctl_exit_net(struct net *net)
{
	inet_ctl_sock_destroy(xtcp_pernet(net)->ctl_sk);
}

/*
 * Routes a socket whose four-tuple is set, and sizes its segments.  A
 * source route in its IP options (a passive open's, turned around) goes
 * to its next hop, as Linux's inet_csk_route_child_sock() and
 * ip_queue_xmit() route.
 */
int xtcp_route_connected(struct sock *sk)
{
	struct inet_sock *inet = inet_sk(sk);
	const struct ip_options_rcu *opt;
	struct rtable *rt;
	__be32 nexthop;
	bool ok;

	rcu_read_lock();
	opt = rcu_dereference(inet->inet_opt);
	nexthop = xtcp_ip_opts_nexthop(opt, inet->inet_daddr);
	rt = ip_route_output_ports(sock_net(sk), &inet->cork.fl.u.ip4, sk,
				   nexthop, inet->inet_saddr,
				   inet->inet_dport, inet->inet_sport,
				   sk->sk_protocol, ip_sock_rt_tos(sk),
				   sk->sk_bound_dev_if);
	ok = IS_ERR(rt) || xtcp_ip_opts_route_ok(opt, rt);
	rcu_read_unlock();
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	if (!ok) {
		ip_rt_put(rt);
		return -EHOSTUNREACH;
	}
	sk_setup_caps(sk, &rt->dst);
	xtcp_set_mss(sk, &rt->dst);
	return 0;
}
