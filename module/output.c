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

#define XTCP_MAX_HEADER	L1_CACHE_ALIGN(128 + MAX_HEADER)

static struct sk_buff *xtcp_alloc_hdr_skb(unsigned int payload, gfp_t gfp)
{
	struct sk_buff *skb = alloc_skb(XTCP_MAX_HEADER + payload, gfp);

	if (skb)
		skb_reserve(skb, XTCP_MAX_HEADER);
	return skb;
}

/* Header fields of one segment, host order. */
struct xtcp_out {
	__be16 sport;
	__be16 dport;
	u32 seq;
	u32 ack;
	u8 flags;
	u16 window;
	u16 mss;	/* MSS option when nonzero */
};

static void xtcp_push_header(struct sk_buff *skb, const struct xtcp_out *o)
{
	unsigned int optlen = o->mss ? XTCPOLEN_MSS : 0;
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
	if (o->mss) {
		u8 *opt = (u8 *)(th + 1);

		opt[0] = XTCPOPT_MSS;
		opt[1] = XTCPOLEN_MSS;
		put_unaligned_be16(o->mss, opt + 2);
	}
}

/*
 * Only a device that checksums any protocol (NETIF_F_HW_CSUM) gets the
 * work: one that offers NETIF_F_IP_CSUM knows TCP and UDP, not XTCP.
 */
static void xtcp_set_checksum(struct sk_buff *skb, __be32 saddr, __be32 daddr,
			      netdev_features_t features)
{
	struct xtcphdr *th = (struct xtcphdr *)skb_transport_header(skb);
	unsigned int len = skb->len;
	__wsum csum;

	if (features & NETIF_F_HW_CSUM) {
		skb->ip_summed = CHECKSUM_PARTIAL;
		skb->csum_start = skb_transport_header(skb) - skb->head;
		skb->csum_offset = offsetof(struct xtcphdr, check);
		th->check = ~csum_tcpudp_magic(saddr, daddr, len, xtcp_ipproto, 0);
		return;
	}
	th->check = 0;
	csum = skb_checksum(skb, 0, len, 0);
	th->check = csum_tcpudp_magic(saddr, daddr, len, xtcp_ipproto, csum);
	skb->ip_summed = CHECKSUM_NONE;
}

/* What we may still take: half the free receive buffer, as one 16-bit
 * window until window scaling exists, but never less than we already
 * promised: a window that shrank would drop segments already in flight.
 */
static u16 xtcp_rcv_window(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	int room = READ_ONCE(sk->sk_rcvbuf) - atomic_read(&sk->sk_rmem_alloc);
	u32 wnd = clamp(room / 2, 0, (int)XTCP_RCV_WND);

	wnd = max(wnd, xtcp_rcv_wnd(xs));
	xs->rcv_edge = xs->rcv_nxt + wnd;
	return wnd;
}

/* What fits in the route's MTU. */
static u16 xtcp_mss_for_dst(const struct dst_entry *dst)
{
	unsigned int mtu = dst ? dst_mtu(dst) : 576;

	return max_t(int, mtu - sizeof(struct iphdr) - sizeof(struct xtcphdr), 64);
}

/* The MSS a SYN or SYN-ACK offers: the route's, or less with TCP_MAXSEG. */
static u16 xtcp_mss_to_offer(const struct sock *sk, const struct dst_entry *dst)
{
	u16 mss = xtcp_mss_for_dst(dst), user = xtcp_sk(sk)->user_mss;

	return user ? min(mss, user) : mss;
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
		.window = xtcp_rcv_window(sk),
	};
	int err;

	if (flags & XTCP_FLAG_ACK)
		o.ack = xs->rcv_nxt;
	if (flags & XTCP_FLAG_SYN)
		o.mss = xtcp_mss_to_offer(sk, __sk_dst_get(sk));

	xtcp_push_header(skb, &o);
	xtcp_set_checksum(skb, inet->inet_saddr, inet->inet_daddr,
			  sk->sk_route_caps);
	memset(&XTCP_SKB_CB(skb)->header, 0, sizeof(XTCP_SKB_CB(skb)->header));
	skb_set_owner_w(skb, sk);

	/* Sending an ACK, of any kind, settles the one we owed. */
	if (flags & XTCP_FLAG_ACK)
		xtcp_stop_delack(sk);

	err = ip_queue_xmit(sk, skb, &inet->cork.fl);
	if (!err)
		XTCP_INC_STATS(sock_net(sk), XTCP_MIB_OUTSEGS);
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

/* Sends a copy of a queued segment; the original stays for retransmission.
 * A clone still in flight shares the header room, so then copy instead.
 */
static int xtcp_transmit_queued(struct sock *sk, struct sk_buff *skb)
{
	struct sk_buff *c;

	if (skb_cloned(skb))
		c = pskb_copy(skb, GFP_ATOMIC);
	else
		c = skb_clone(skb, GFP_ATOMIC);
	if (!c) {
		/* Try again from the timer, even if nothing else is out. */
		xtcp_arm_rtx_if_idle(sk);
		return -ENOBUFS;
	}
	return xtcp_transmit_skb(sk, c, xtcp_queued_flags(sk, skb),
				 XTCP_SKB_CB(skb)->seq);
}

static void xtcp_queue_skb(struct sock *sk, struct sk_buff *skb)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	__skb_queue_tail(&sk->sk_write_queue, skb);
	sk_wmem_queued_add(sk, skb->truesize);
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

/* Sends whatever is queued and fits in the peer's window. */
void xtcp_push(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *skb;

	while ((skb = xs->send_head) && xtcp_window_allows(xs, skb)) {
		/* A segment IP refused counts as sent: the timer resends it. */
		if (xtcp_transmit_queued(sk, skb) == -ENOBUFS)
			break;
		xs->snd_nxt = XTCP_SKB_CB(skb)->end_seq;
		if (XTCP_SKB_CB(skb)->flags & XTCP_FLAG_FIN)
			xs->fin_sent = 1;
		xs->send_head = skb_queue_is_last(&sk->sk_write_queue, skb) ?
				NULL : skb->next;
		xtcp_arm_rtx_if_idle(sk);
	}
}

static struct sk_buff *xtcp_ctl_skb(struct sock *sk, u8 flags)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *skb;

	skb = xtcp_alloc_hdr_skb(0, sk->sk_allocation);
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
	struct sk_buff *skb = xtcp_ctl_skb(sk, XTCP_FLAG_SYN);

	if (!skb)
		return -ENOBUFS;
	xtcp_queue_skb(sk, skb);
	xtcp_push(sk);
	XTCP_INC_STATS(sock_net(sk), XTCP_MIB_ACTIVEOPENS);
	return 0;
}

/* Our FIN follows whatever data is still queued. */
void xtcp_send_fin(struct sock *sk)
{
	struct sk_buff *skb = xtcp_ctl_skb(sk, XTCP_FLAG_FIN);

	if (!skb) {
		/* No memory for a FIN: give up the connection loudly. */
		xtcp_send_active_reset(sk, GFP_ATOMIC);
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

/* RST from a connected socket that aborts (close with unread data,
 * SO_LINGER 0, a full accept queue's children): RFC 9293 section 3.10.4.
 */
void xtcp_send_active_reset(struct sock *sk, gfp_t gfp)
{
	struct sk_buff *skb = xtcp_alloc_hdr_skb(0, gfp);

	if (!skb)
		return;
	if (!xtcp_transmit_skb(sk, skb, XTCP_FLAG_RST | XTCP_FLAG_ACK,
			       xtcp_sk(sk)->snd_nxt))
		XTCP_INC_STATS(sock_net(sk), XTCP_MIB_OUTRSTS);
}

/* Sends the oldest unacknowledged segment again. */
int xtcp_resend_head(struct sock *sk)
{
	struct sk_buff *skb = skb_peek(&sk->sk_write_queue);

	if (!skb || skb == xtcp_sk(sk)->send_head)
		return -EAGAIN;
	return xtcp_transmit_queued(sk, skb);
}

/* The retransmission timer's resend, counted as one. */
int xtcp_retransmit_head(struct sock *sk)
{
	int err = xtcp_resend_head(sk);

	if (!err)
		XTCP_INC_STATS(sock_net(sk), XTCP_MIB_RETRANSSEGS);
	return err;
}

/* Frees queued segments that @ack covers entirely. */
void xtcp_clean_acked(struct sock *sk, u32 ack)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *skb;

	while ((skb = skb_peek(&sk->sk_write_queue)) && skb != xs->send_head &&
	       !xtcp_after(XTCP_SKB_CB(skb)->end_seq, ack)) {
		__skb_unlink(skb, &sk->sk_write_queue);
		sk_wmem_queued_add(sk, -skb->truesize);
		kfree_skb(skb);
	}
}

/* sendmsg: cut the user's bytes into MSS-sized segments and queue them. */
int xtcp_sendmsg_queue(struct sock *sk, struct msghdr *msg, size_t len)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	long timeo = sock_sndtimeo(sk, msg->msg_flags & MSG_DONTWAIT);
	size_t copied = 0;
	int err = 0;

	while (copied < len) {
		size_t size = min_t(size_t, xs->mss, len - copied);
		struct sk_buff *skb;

		if (sk->sk_err || (sk->sk_shutdown & SEND_SHUTDOWN)) {
			err = -EPIPE;
			break;
		}
		if (READ_ONCE(sk->sk_wmem_queued) >= READ_ONCE(sk->sk_sndbuf)) {
			set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
			xtcp_push(sk);
			err = sk_stream_wait_memory(sk, &timeo);
			if (err)
				break;
			continue;
		}
		skb = xtcp_alloc_hdr_skb(size, sk->sk_allocation);
		if (!skb) {
			err = -ENOBUFS;
			break;
		}
		if (copy_from_iter(skb_put(skb, size), size,
				   &msg->msg_iter) != size) {
			kfree_skb(skb);
			err = -EFAULT;
			break;
		}
		XTCP_SKB_CB(skb)->seq = xs->write_seq;
		XTCP_SKB_CB(skb)->end_seq = xs->write_seq + size;
		XTCP_SKB_CB(skb)->flags = XTCP_FLAG_PSH;
		xtcp_queue_skb(sk, skb);
		copied += size;
	}
	xtcp_push(sk);
	if (copied)
		return copied;
	return sk_stream_error(sk, msg->msg_flags, err);
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

/* Routes and sends a header-only segment through @via (a listener or the
 * namespace's control socket).
 */
static void xtcp_send_bare(struct net *net, struct sock *via,
			   const struct xtcp_out *o, __be32 saddr,
			   __be32 daddr, u8 tos)
{
	struct sk_buff *skb;
	struct rtable *rt;

	rt = xtcp_route_reply(net, via, saddr, daddr, o->sport, o->dport, tos);
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
	if (!ip_build_and_send_pkt(skb, via, saddr, daddr, NULL, tos))
		XTCP_INC_STATS(net, XTCP_MIB_OUTSEGS);
}

/* SYN-ACK for a SYN-queue entry, sent through its listener. */
int xtcp_send_request_synack(struct xtcp_request *req)
{
	struct xtcp_out o = {
		.sport = req->h.lport,
		.dport = req->h.rport,
		.seq = req->iss,
		.ack = req->irs + 1,
		.flags = XTCP_FLAG_SYN | XTCP_FLAG_ACK,
		.window = XTCP_RCV_WND,
	};
	struct net *net = sock_net(req->listener);
	struct rtable *rt;

	rt = xtcp_route_reply(net, req->listener, req->h.laddr, req->h.raddr,
			      o.sport, o.dport, req->tos);
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	o.mss = xtcp_mss_to_offer(req->listener, &rt->dst);
	ip_rt_put(rt);
	xtcp_send_bare(net, req->listener, &o, req->h.laddr, req->h.raddr,
		       req->tos);
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
		       iph->saddr, 0);
	XTCP_INC_STATS(net, XTCP_MIB_OUTRSTS);
}

/* A bare ACK in answer to @in, for whoever has no socket of its own
 * (TIME_WAIT entries, SYN-queue entries).
 */
void xtcp_send_ack_reply(struct net *net, struct sk_buff *in, u32 seq,
			 u32 ack, u16 win, u8 tos)
{
	const struct xtcphdr *th = xtcp_hdr(in);
	const struct iphdr *iph = ip_hdr(in);
	struct xtcp_out o = {
		.sport = th->dest,
		.dport = th->source,
		.seq = seq,
		.ack = ack,
		.flags = XTCP_FLAG_ACK,
		.window = win,
	};

	xtcp_send_bare(net, xtcp_pernet(net)->ctl_sk, &o, iph->daddr,
		       iph->saddr, tos);
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

/* Routes a socket whose four-tuple is set, and sizes its segments. */
int xtcp_route_connected(struct sock *sk)
{
	struct inet_sock *inet = inet_sk(sk);
	struct rtable *rt;

	rt = ip_route_output_ports(sock_net(sk), &inet->cork.fl.u.ip4, sk,
				   inet->inet_daddr, inet->inet_saddr,
				   inet->inet_dport, inet->inet_sport,
				   sk->sk_protocol, ip_sock_rt_tos(sk),
				   sk->sk_bound_dev_if);
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	sk_setup_caps(sk, &rt->dst);
	xtcp_set_mss(sk, &rt->dst);
	return 0;
}

/* The MSS for a route: what fits its MTU, or less with TCP_MAXSEG. */
void xtcp_set_mss(struct sock *sk, const struct dst_entry *dst)
{
	xtcp_sk(sk)->mss = xtcp_mss_to_offer(sk, dst);
}
