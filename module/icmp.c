// SPDX-License-Identifier: GPL-2.0
/*
 * ICMP errors about segments we sent (RFC 9293 section 3.9.4, RFC 1122
 * section 4.2.3.9), as Linux's tcp_v4_err() takes them.  IP hands us the
 * ICMP message with the start of the packet it quotes: an IP header and
 * at least eight bytes of ours, which name the four-tuple and the
 * sequence number.
 *
 *   xtcp_v4_err()        a TIME_WAIT entry ignores it; a SYN-queue entry
 *                        ends at an unreachable that quotes its SYN-ACK
 *     -> a socket        only if the quoted segment may be in flight
 *                        (RFC 5927 section 4.1): a blind attacker has to
 *                        guess the window, as for a RST
 *          Fragmentation Needed   path MTU discovery (RFC 1191), below
 *          an unreachable         ends a connection attempt; later it is
 *                                 a soft error, the one a timeout then
 *                                 reports (at once with IP_RECVERR)
 *
 * Path MTU discovery: the route learns the smaller MTU (a per-destination
 * exception, which the route code floors at ip_rt_min_pmtu and forgets
 * after ip_rt_mtu_expires), the connection's MSS follows it, and what was
 * sent in larger segments is resent at once at the new size
 * (xtcp_mtu_retransmit()).  ICMP messages never get an answer, so there
 * is nothing here to rate-limit; each can only lower the MSS, never raise
 * it.
 */
#include <linux/icmp.h>
#include <net/icmp.h>
#include <net/ip.h>
#include <net/route.h>
#include <net/sock.h>

#include "xtcp.h"

/* The error an ICMP message stands for, -errno; 0: none (ignored). */
static int xtcp_icmp_errno(int type, int code)
{
	switch (type) {
	case ICMP_PARAMETERPROB:
		return -EPROTO;
	case ICMP_DEST_UNREACH:
		return code <= NR_ICMP_UNREACH ? -icmp_err_convert[code].errno : 0;
	case ICMP_TIME_EXCEEDED:
		return -EHOSTUNREACH;
	}
	return 0;		/* source quench, and anything unknown */
}

/*
 * An ICMP error about a SYN-ACK of a SYN-queue entry.  The errors that
 * say the peer cannot be reached end the entry silently, as in Linux:
 * there is no socket to tell, and accept() does not report network
 * errors (POSIX).
 */
static void xtcp_request_err(struct net *net, struct xtcp_request *req,
			     u32 seq, int type, int code)
{
	bool unreachable = type == ICMP_PARAMETERPROB ||
			   type == ICMP_TIME_EXCEEDED ||
			   (type == ICMP_DEST_UNREACH &&
			    (code == ICMP_NET_UNREACH ||
			     code == ICMP_HOST_UNREACH));

	if (seq != req->iss) {
		__XTCP_INC_STATS(net, XTCP_MIB_OUTOFWINDOWICMPS);
	} else if (unreachable) {
		xtcp_request_kill(req);
		__XTCP_INC_STATS(net, XTCP_MIB_LISTENDROPS);
	}
	xtcp_request_put(req);
}

/* The socket's route, routed again if it went stale. */
static struct dst_entry *xtcp_current_dst(struct sock *sk)
{
	struct dst_entry *dst = __sk_dst_check(sk, 0);

	if (dst)
		return dst;
	if (xtcp_route_connected(sk))
		return NULL;
	return __sk_dst_get(sk);
}

/*
 * The path MTU is lower than the MSS was sized for: the route learns it,
 * and if that lowers the route's MTU the MSS follows and what is in
 * flight at the old size goes again.  Runs with the socket locked, from
 * the ICMP or from release_sock().
 */
void xtcp_mtu_reduced(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 mtu = READ_ONCE(xs->mtu_info), old = xs->pmtu_cookie;
	struct dst_entry *dst;

	if ((1 << sk->sk_state) & (TCPF_LISTEN | TCPF_CLOSE))
		return;
	dst = xtcp_current_dst(sk);
	if (!dst)
		return;
	dst->ops->update_pmtu(dst, sk, NULL, mtu, true);
	/* A new exception made the old route stale: take the new one. */
	dst = xtcp_current_dst(sk);
	if (!dst)
		return;
	/* It asked for less than the route takes (ip_rt_min_pmtu): if the
	 * connection still fails, a timeout says EMSGSIZE.
	 */
	if (mtu < dst_mtu(dst) && ip_dont_fragment(sk, dst))
		WRITE_ONCE(sk->sk_err_soft, EMSGSIZE);
	mtu = dst_mtu(dst);
	if (READ_ONCE(inet_sk(sk)->pmtudisc) == IP_PMTUDISC_DONT ||
	    !ip_sk_accept_pmtu(sk) || old <= mtu)
		return;
	xtcp_sync_mss(sk, mtu);
	__XTCP_INC_STATS(sock_net(sk), XTCP_MIB_PMTUREDUCED);
	xtcp_mtu_loss(sk);
	xtcp_push(sk);
}

static void xtcp_frag_needed(struct sock *sk, u32 mtu)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	WRITE_ONCE(xs->mtu_info, mtu);
	xtcp_run_or_defer(sk, XTCP_DEFER_MTU);
}

/* A router knows a better first hop (RFC 1122 section 3.2.2.2). */
static void xtcp_redirect(struct sock *sk, struct sk_buff *skb)
{
	struct dst_entry *dst = __sk_dst_check(sk, 0);

	if (dst)
		dst->ops->redirect(dst, sk, skb);
}

/*
 * An ICMP error about a segment of @sk, which is locked (bottom half).
 * A hard error ends a connection attempt, and the extended error goes on
 * the error queue for MSG_ERRQUEUE, as Linux does for TCP whether or not
 * IP_RECVERR is set; a synchronized connection keeps trying (RFC 1122
 * section 4.2.3.9: routes come back), unless IP_RECVERR asks to hear of
 * it at once.  While the owner holds the socket only sk_err_soft is set.
 */
static void xtcp_sock_err(struct sock *sk, struct sk_buff *skb,
			  const struct xtcphdr *th, u32 info)
{
	int type = icmp_hdr(skb)->type, code = icmp_hdr(skb)->code;
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 seq = ntohl(th->seq);
	bool owned = sock_owned_by_user(sk);
	int err;

	if (sk->sk_state == TCP_CLOSE)
		return;
	if (!xtcp_between(xs->snd_una, seq, xs->snd_nxt)) {
		__XTCP_INC_STATS(sock_net(sk), XTCP_MIB_OUTOFWINDOWICMPS);
		return;
	}
	if (type == ICMP_REDIRECT) {
		if (!owned)
			xtcp_redirect(sk, skb);
		return;
	}
	if (type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED) {
		xtcp_frag_needed(sk, info);
		return;
	}
	err = -xtcp_icmp_errno(type, code);
	if (!err)
		return;
	if (sk->sk_state == TCP_SYN_SENT || sk->sk_state == TCP_SYN_RECV) {
		xtcp_ip_icmp_error(sk, skb, err, th->dest, info, (u8 *)th);
		if (!owned)
			xtcp_reset(sk, err);
		else
			WRITE_ONCE(sk->sk_err_soft, err);
		return;
	}
	if (!owned && xtcp_inet_recverr(sk)) {
		WRITE_ONCE(sk->sk_err, err);
		sk_error_report(sk);
	} else {
		WRITE_ONCE(sk->sk_err_soft, err);
	}
}

int xtcp_v4_err(struct sk_buff *skb, u32 info)
{
	const struct iphdr *iph = (const struct iphdr *)skb->data;
	const struct xtcphdr *th = (const void *)(skb->data + iph->ihl * 4);
	struct net *net = dev_net(skb->dev);
	struct xtcp_hnode *h;
	struct sock *sk;

	/* The quoted packet is one we sent: we are its source. */
	h = xtcp_lookup(net, iph->daddr, th->dest, iph->saddr, th->source);
	if (!h) {
		__ICMP_INC_STATS(net, ICMP_MIB_INERRORS);
		return -ENOENT;
	}
	switch (h->kind) {
	case XTCP_HK_TW:
		xtcp_tw_put(container_of(h, struct xtcp_tw, h));
		return 0;
	case XTCP_HK_REQ:
		xtcp_request_err(net, container_of(h, struct xtcp_request, h),
				 ntohl(th->seq), icmp_hdr(skb)->type,
				 icmp_hdr(skb)->code);
		return 0;
	}
	sk = xtcp_hnode_sk(h);
	bh_lock_sock(sk);
	xtcp_sock_err(sk, skb, th, info);
	bh_unlock_sock(sk);
	sock_put(sk);
	return 0;
}
