// SPDX-License-Identifier: GPL-2.0
/*
 * A segment arrives.  The walk:
 *
 *   xtcp_v4_rcv()            IP hands us the packet: header and checksum
 *                            checks, counters; the four-tuple lookup
 *     -> a socket            xtcp_sock_rcv(): lock, or queue on the backlog
 *          xtcp_do_rcv()     listener or connection
 *          xtcp_rcv_state_process()   RFC 9293 section 3.10.7, step by step
 *     -> a SYN-queue entry   its listener takes it (minisocks.c)
 *     -> a TIME_WAIT entry   minisocks.c answers it
 *     -> nothing             a listener (minisocks.c), or a RST
 *
 * Data in order lands on sk_receive_queue, where recvmsg() finds it.
 */
#include <linux/filter.h>
#include <linux/skbuff.h>
#include <net/ip.h>
#include <net/sock.h>

#include "xtcp.h"
#include "trace.h"

/* ---- checks before anything is trusted ---- */

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

/* One option whose kind and length are known to fit. */
static void xtcp_parse_option(const struct xtcphdr *th, const u8 *p, u8 olen,
			      struct xtcp_skb_cb *cb)
{
	struct xtcp_rcv_opts *ro = &cb->header.in;

	switch (p[0]) {
	case XTCPOPT_MSS:
		if (olen == XTCPOLEN_MSS && th->syn)
			cb->mss = get_unaligned_be16(p + 2);
		break;
	case XTCPOPT_WINDOW:
		if (olen == XTCPOLEN_WINDOW && th->syn) {
			ro->opts |= XTCP_OPT_WSCALE;
			/* RFC 7323 section 2.3: a larger shift means 14. */
			ro->wscale = min_t(u8, p[2], XTCP_MAX_WSCALE);
		}
		break;
	case XTCPOPT_SACK_PERM:
		if (olen == XTCPOLEN_SACK_PERM && th->syn)
			ro->opts |= XTCP_OPT_SACK;
		break;
	case XTCPOPT_TIMESTAMP:
		if (olen == XTCPOLEN_TIMESTAMP) {
			ro->opts |= XTCP_OPT_TS;
			ro->tsval = get_unaligned_be32(p + 2);
			ro->tsecr = get_unaligned_be32(p + 6);
		}
		break;
	case XTCPOPT_SACK:
		if (olen >= 10 && (olen - 2) % 8 == 0 && !th->syn)
			ro->sack_off = p - (const u8 *)th;
		break;
	}
}

/*
 * Options, RFC 9293 section 3.1 and RFC 7323/2018: those we know are
 * taken when their length is right, the others skipped by length.  A
 * truncated or malformed list makes the segment invalid.
 */
static bool xtcp_parse_options(const struct xtcphdr *th, struct xtcp_skb_cb *cb)
{
	const u8 *p = (const u8 *)(th + 1);
	int len = th->doff * 4 - sizeof(*th);

	while (len > 0) {
		u8 kind = p[0], olen;

		if (kind == XTCPOPT_EOL)
			break;
		if (kind == XTCPOPT_NOP) {
			p++;
			len--;
			continue;
		}
		if (len < 2)
			return false;
		olen = p[1];
		if (olen < 2 || olen > len)
			return false;
		xtcp_parse_option(th, p, olen, cb);
		p += olen;
		len -= olen;
	}
	return true;
}

/* Where a segment of @len payload bytes ends: SYN and FIN count one each. */
static u32 xtcp_cb_end_seq(const struct xtcp_skb_cb *cb, unsigned int len)
{
	return cb->seq + len + !!(cb->flags & XTCP_FLAG_SYN) +
	       !!(cb->flags & XTCP_FLAG_FIN);
}

static bool xtcp_fill_cb(struct sk_buff *skb)
{
	const struct xtcphdr *th = (const struct xtcphdr *)skb->data;
	struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	unsigned int hlen = th->doff * 4;
	struct xtcp_ip_seen seen;

	BUILD_BUG_ON(sizeof(*cb) > sizeof(skb->cb));
	/* IP's notes on its options share the room ours take. */
	xtcp_ip_opts_note(&seen, skb);
	cb->flags = ((const u8 *)th)[13] & 0x3f;
	cb->seq = ntohl(th->seq);
	cb->ack_seq = ntohl(th->ack_seq);
	cb->window = ntohs(th->window);
	cb->mss = 0;
	memset(&cb->header.in, 0, sizeof(cb->header.in));
	cb->header.in.ip = seen;
	cb->end_seq = xtcp_cb_end_seq(cb, skb->len - hlen);
	if (!xtcp_parse_options(th, cb))
		return false;
	skb_set_transport_header(skb, 0);
	__skb_pull(skb, hlen);
	return true;
}

/*
 * RFC 9293 section 3.10.7.4's acceptability test.  The segment occupies
 * [seq, end_seq); the window is [rcv_nxt, rcv_nxt + rcv_wnd).
 */
bool xtcp_seq_acceptable(u32 seq, u32 end_seq, u32 rcv_nxt, u32 rcv_wnd)
{
	u32 len = end_seq - seq;

	if (!rcv_wnd)
		return !len && seq == rcv_nxt;
	if (xtcp_between(rcv_nxt, seq, rcv_nxt + rcv_wnd - 1))
		return true;
	return len && xtcp_between(rcv_nxt, end_seq - 1, rcv_nxt + rcv_wnd - 1);
}

/* ---- a connection's segment, step by step ---- */

/*
 * With the window closed no segment with data is acceptable, but RFC 9293
 * section 3.4 (MUST-66) wants ACKs, URGs and RSTs taken all the same: one
 * at RCV.NXT goes on, and its data is dropped when it would be queued
 * (xtcp_rcv_data()), as Linux's tcp_sequence() and tcp_data_queue() do.
 * A bare FIN then closes, as Linux 6.12 takes it (6.1 drops it).
 */
static bool xtcp_zero_window_allows(const struct xtcp_sock *xs,
				    const struct xtcp_skb_cb *cb)
{
	return !xtcp_rcv_wnd(xs) && cb->seq == xs->rcv_nxt;
}

/*
 * [@start, @end) arrived twice (a resend, or a copy the network made):
 * the next segment reports it in its first SACK block, a D-SACK (RFC
 * 2883), where SACK was agreed, as Linux's tcp_dsack_set() does; a later
 * one replaces it.
 */
static void xtcp_dsack_set(struct xtcp_sock *xs, u32 start, u32 end)
{
	if ((xs->opts & XTCP_OPT_SACK) && xtcp_before(start, end)) {
		xs->dsack_start = start;
		xs->dsack_end = end;
	}
}

/* Payload [@seq, @seq + @len): what of it lies below rcv_nxt came twice. */
static void xtcp_dsack_old(struct xtcp_sock *xs, u32 seq, u32 len)
{
	u32 end = seq + len;

	if (!xtcp_before(seq, xs->rcv_nxt))
		return;
	if (xtcp_after(end, xs->rcv_nxt))
		end = xs->rcv_nxt;
	xtcp_dsack_set(xs, seq, end);
}

/*
 * At most one answer per net.xtcp.invalid_ratelimit_ms to the segments a
 * socket (or a TIME_WAIT or SYN-queue entry, each with its own @last)
 * cannot take, as Linux's tcp_oow_rate_limited(): neither a blind sender
 * nor two confused ends can turn it into an ACK reflector.  Data without
 * SYN (@cb, when given) is no ACK loop and is always answered.  True when
 * this answer must be skipped (counted in @mib).
 */
bool xtcp_oow_rate_limited(struct net *net, const struct xtcp_skb_cb *cb,
			   u32 *last, int mib)
{
	u32 gap = msecs_to_jiffies(READ_ONCE(xtcp_sysctl(net)->invalid_ratelimit_ms));
	u32 now = (u32)jiffies, then = READ_ONCE(*last);

	if (cb && cb->seq != cb->end_seq && !(cb->flags & XTCP_FLAG_SYN))
		return false;
	if (then && (s32)(now - then) >= 0 && now - then < gap) {
		__XTCP_INC_STATS(net, mib);
		return true;
	}
	WRITE_ONCE(*last, now ?: 1);	/* 0 means never */
	return false;
}

/* A duplicate ACK for a segment out of the window or failing PAWS. */
static void xtcp_send_oow_ack(struct sock *sk, const struct xtcp_skb_cb *cb,
			      int mib)
{
	if (!xtcp_oow_rate_limited(sock_net(sk), cb, &xtcp_sk(sk)->last_oow_ack,
				   mib))
		xtcp_send_ack(sk);
}

/*
 * The namespace's RFC 5961 section 7 allowance of challenge ACKs for this
 * second, drawn anew each second between half the limit and one and a
 * half times it, so that an off-path sender cannot count the answers of
 * other connections (CVE-2016-5696), as Linux does since 6.0.
 */
static bool xtcp_challenge_allowed(struct net *net)
{
	struct xtcp_net *xn = xtcp_pernet(net);
	int limit = READ_ONCE(xn->sysctl.challenge_ack_limit);
	unsigned long now = jiffies / HZ;

	if (limit == INT_MAX)
		return true;
	if (READ_ONCE(xn->challenge_second) != now) {
		u32 half = ((u32)limit + 1) / 2;

		WRITE_ONCE(xn->challenge_second, now);
		atomic_set(&xn->challenge_count,
			   half + get_random_u32_below(limit));
	}
	return atomic_dec_if_positive(&xn->challenge_count) >= 0;
}

/*
 * An ACK that says "this is where we are" without changing anything, in
 * answer to a RST, SYN or ACK that an off-path attacker could have forged
 * (RFC 5961): one per socket per invalid_ratelimit_ms, and within the
 * namespace's allowance when challenge_ack_limit sets one.
 */
static void xtcp_send_challenge_ack(struct sock *sk)
{
	struct net *net = sock_net(sk);

	if (xtcp_oow_rate_limited(net, NULL, &xtcp_sk(sk)->last_oow_ack,
				  XTCP_MIB_ACKSKIPPEDCHALLENGE))
		return;
	if (!xtcp_challenge_allowed(net)) {
		__XTCP_INC_STATS(net, XTCP_MIB_CHALLENGEACKSSKIPPED);
		return;
	}
	__XTCP_INC_STATS(net, XTCP_MIB_CHALLENGEACKS);
	xtcp_send_ack(sk);
}

/*
 * An acceptable RST: the connection ends with TCP's errno for the state.
 * Only SYN_SENT is refused: a simultaneous open's SYN_RECV is reset,
 * ECONNRESET, as Linux's tcp_reset() (RFC 9293 section 3.10.7.4 would
 * say "refused" there too).
 */
static void xtcp_rcv_reset(struct sock *sk)
{
	trace_receive_reset(sk);
	switch (sk->sk_state) {
	case TCP_SYN_SENT:
		xtcp_reset(sk, ECONNREFUSED);
		break;
	case TCP_CLOSE_WAIT:
		xtcp_reset(sk, EPIPE);
		break;
	case TCP_CLOSING:
	case TCP_LAST_ACK:
		xtcp_done(sk);
		break;
	default:
		xtcp_reset(sk, ECONNRESET);
	}
}

/* Our side is fully acknowledged, FIN included. */
static bool xtcp_fin_acked(const struct xtcp_sock *xs)
{
	return xs->fin_sent && xs->snd_una == xs->snd_nxt;
}

static void xtcp_established(struct sock *sk)
{
	xtcp_set_state(sk, TCP_ESTABLISHED);
	xtcp_buffers_established(sk);
	xtcp_rto_established(sk);
	xtcp_sk(sk)->rcv_tstamp = xtcp_ms_stamp(ktime_get_ns());
	xtcp_stats_established(xtcp_sk(sk), false);
	xtcp_keepalive_reset(sk);
	if (!sock_flag(sk, SOCK_DEAD)) {
		sk->sk_state_change(sk);
		sk_wake_async(sk, SOCK_WAKE_IO, POLL_OUT);
	}
}

/* The peer's window in a segment: scaled, but never in a SYN. */
static u32 xtcp_seg_window(const struct xtcp_sock *xs,
			   const struct xtcp_skb_cb *cb)
{
	if (cb->flags & XTCP_FLAG_SYN)
		return cb->window;
	return (u32)cb->window << xs->snd_wscale;
}

/* RFC 7323 section 4.3: remember the timestamp to echo, from a segment
 * that starts at or before what we acknowledged last.
 */
static void xtcp_take_ts(struct xtcp_sock *xs, const struct xtcp_skb_cb *cb)
{
	const struct xtcp_rcv_opts *ro = &cb->header.in;

	if (!(ro->opts & XTCP_OPT_TS) || xtcp_after(cb->seq, xs->rcv_wup) ||
	    (s32)(ro->tsval - xs->ts_recent) < 0)
		return;
	xs->ts_recent = ro->tsval;
	xs->ts_recent_stamp = ktime_get_seconds();
}

/*
 * A segment that passed every check, its ACK included: only now may it
 * change what we echo (a blind sender's in-window segment with a TSval
 * far ahead would otherwise make the real peer's next ones fail PAWS:
 * Linux takes it in tcp_ack() likewise), and the peer is alive, so
 * keep-alive and the persist timer start over, and an ICMP error held for
 * the timeout is forgotten (Linux's tcp_ack()).  Never from a RST or SYN,
 * which do not get this far.
 */
static void xtcp_peer_heard(struct xtcp_sock *xs, const struct xtcp_skb_cb *cb)
{
	xtcp_take_ts(xs, cb);
	xs->rcv_tstamp = xtcp_ms_stamp(xs->clock_ns);
	xs->probes_out = 0;
	WRITE_ONCE(xs->inet.sk.sk_err_soft, 0);
}

/*
 * An ACK of resent data gives no send-time sample (Karn), but its echoed
 * timestamp is one: the receiver echoes the segment that advanced its
 * left edge (RFC 7323 section 4.3), here the resend, as Linux's
 * tcp_ack_update_rtt() takes it.  Without it the RTO would stay backed
 * off through a whole recovery, each further loss doubling it again.
 * 0 when the ACK echoes nothing usable: an echo from the future or older
 * than the longest RTO is no round trip of ours.
 */
static u64 xtcp_echo_rtt(const struct xtcp_sock *xs,
			 const struct xtcp_skb_cb *cb)
{
	const struct xtcp_rcv_opts *ro = &cb->header.in;
	s32 ms;

	if (!(xs->opts & XTCP_OPT_TS) || !(ro->opts & XTCP_OPT_TS) ||
	    !ro->tsecr)
		return 0;
	ms = xtcp_ts_now(xs) - ro->tsecr;
	if (ms < 0 || (u64)ms * NSEC_PER_MSEC >
		      xtcp_rto_max_ns(sock_net(&xs->inet.sk)))
		return 0;
	return (u64)max(ms, 1) * NSEC_PER_MSEC;
}

/* New acknowledgments free what they cover and restart the clock.
 * Returns how many segments left the queue; XTCP_ACK_RTT joins @flag
 * when they gave a round-trip sample.
 */
static u32 xtcp_ack_advance(struct sock *sk, const struct xtcp_skb_cb *cb,
			    int *flag)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 ack = cb->ack_seq, acked = 0, prior_una = xs->snd_una;
	u64 rtt;

	xs->stats.bytes_acked += ack - xs->snd_una;
	xs->snd_una = ack;
	xtcp_urg_acked(xs, prior_una);
	/* Send times first: they are exact, and an echoed timestamp of
	 * data above a hole would be the receiver's oldest (RFC 7323
	 * section 4.3), counting the time the hole stayed open; but an ACK
	 * that moves SND.UNA echoes the segment that moved it.
	 */
	rtt = xtcp_clean_acked(sk, ack, &acked) ?: xtcp_echo_rtt(xs, cb);
	sk_mem_reclaim(sk);
	xs->retransmits = 0;
	/* Karn (RFC 6298 sections 3 and 5.5): an ACK with no valid sample
	 * keeps the backed-off RTO; only a sample resets it (tcp_ack()).
	 */
	if (rtt) {
		xtcp_rtt_sample(sk, rtt);
		*flag |= XTCP_ACK_RTT;
	}
	if (xs->snd_una == xs->snd_nxt)
		xtcp_stop_rtx(sk);
	else if (!xtcp_schedule_loss_probe(sk, true))
		xtcp_arm_rtx(sk);
	sk->sk_write_space(sk);
	return acked;
}

/*
 * Window update rule of RFC 9293 section 3.10.7.4 (SND.WL1/SND.WL2), and,
 * as Linux's tcp_may_update_window(), any ACK that acknowledged new data
 * (@advanced): a blind in-window segment that set SND.WL1 ahead of the
 * peer must not make every later window of the real peer stale.
 */
static void xtcp_update_window(struct sock *sk, const struct xtcp_skb_cb *cb,
			       bool advanced)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (advanced || xtcp_before(xs->snd_wl1, cb->seq) ||
	    (xs->snd_wl1 == cb->seq && !xtcp_before(cb->ack_seq, xs->snd_wl2))) {
		xs->snd_wnd = xtcp_seg_window(xs, cb);
		xs->max_snd_wnd = max(xs->max_snd_wnd, xs->snd_wnd);
		xs->snd_wl1 = cb->seq;
		xs->snd_wl2 = cb->ack_seq;
	}
}

/* RFC 5681's duplicate ACK: nothing new acknowledged, no data, the same
 * window, while something is outstanding.
 */
static bool xtcp_dupack(const struct xtcp_sock *xs, const struct xtcp_skb_cb *cb)
{
	return cb->ack_seq == xs->snd_una && xs->snd_una != xs->snd_nxt &&
	       cb->end_seq == cb->seq && xtcp_seg_window(xs, cb) == xs->snd_wnd;
}

/*
 * Step five, the ACK field.  Returns false when the segment must go no
 * further (dropped, answered, or the socket is done).
 */
static bool xtcp_rcv_ack(struct sock *sk, struct sk_buff *skb)
{
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 ack = cb->ack_seq, acked = 0, in_flight = xtcp_in_flight(xs);
	bool advanced;
	int flag = 0;

	if (sk->sk_state == TCP_SYN_RECV) {
		if (!xtcp_after(ack, xs->snd_una) || xtcp_after(ack, xs->snd_nxt))
			return false;	/* the caller answers with RST */
		xtcp_established(sk);
	}
	/* RFC 5961 section 5: an ACK for what we never sent, or for more
	 * than a window before what was acknowledged, is not the peer's.
	 */
	if (xtcp_after(ack, xs->snd_nxt) ||
	    xtcp_before(ack, xs->snd_una - xs->max_snd_wnd)) {
		xtcp_send_challenge_ack(sk);
		return false;
	}
	if (!xtcp_before(ack, xs->snd_una))
		xtcp_peer_heard(xs, cb);
	advanced = xtcp_after(ack, xs->snd_una);
	if (advanced) {
		xs->dupacks = 0;
		acked = xtcp_ack_advance(sk, cb, &flag);
		xtcp_mtu_probe_acked(sk);
	} else if (xtcp_dupack(xs, cb)) {
		xs->dupacks++;
		flag |= XTCP_ACK_DUP;
	}
	if (xs->tlp_high_seq)
		xtcp_tlp_ack(sk, cb, advanced);
	/* Losses first, then the window: RFC 5681 section 3.2 and 3.1. */
	if (xtcp_recovery_ack(sk, skb, acked, flag) && acked)
		xtcp_cong_on_ack(sk, acked, in_flight);
	xtcp_update_window(sk, cb, advanced);
	trace_probe(sk, skb);
	xtcp_push_on_input(sk);
	xtcp_notsent_check(sk);	/* what went may bring it under the mark */

	switch (sk->sk_state) {
	case TCP_FIN_WAIT1:
		if (!xtcp_fin_acked(xs))
			break;
		xtcp_set_state(sk, TCP_FIN_WAIT2);
		if (!sock_flag(sk, SOCK_DEAD))
			sk->sk_state_change(sk);
		break;
	case TCP_CLOSING:
		if (xtcp_fin_acked(xs)) {
			xtcp_time_wait(sk, TCP_TIME_WAIT);
			return false;
		}
		break;
	case TCP_LAST_ACK:
		if (xtcp_fin_acked(xs)) {
			xtcp_done(sk);
			return false;
		}
		break;
	}
	return true;
}

/*
 * Data past a gap waits on the out-of-order queue, an rbtree keyed by
 * sequence (segments reordered on the way, or sent after a lost one): a
 * peer may send thousands of tiny segments there, and each must find its
 * place in O(log n), most in O(1) after the last one.  One that repeats
 * or overlaps what is there already is dropped: the sender resends
 * whatever stays missing.
 */

/* Where a received skb's data ends, on either queue. */
static u32 xtcp_data_end(const struct sk_buff *skb)
{
	return XTCP_SKB_CB(skb)->seq + skb->len;
}

/* Frees every skb of the queue (the connection is over): children
 * before their parent, so that nothing is rebalanced on the way.
 */
void xtcp_ooo_purge(struct xtcp_sock *xs)
{
	struct sk_buff *skb, *tmp;

	rbtree_postorder_for_each_entry_safe(skb, tmp, &xs->ooo_root, rbnode)
		kfree_skb(skb);
	xs->ooo_root = RB_ROOT;
	xs->ooo_last = NULL;
}

/* The skb that ends the queue goes, counted: what the reader would get
 * last is what a gap keeps from it longest (tcp_prune_ofo_queue()'s
 * choice).  The sender resends it.
 */
static void xtcp_ooo_prune_last(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *last = xs->ooo_last;

	xs->ooo_last = skb_rb_prev(last);
	rb_erase(&last->rbnode, &xs->ooo_root);
	kfree_skb(last);
	__XTCP_INC_STATS(sock_net(sk), XTCP_MIB_OFOPRUNED);
}

/*
 * Past a gap a socket holds no more than its receive buffer: otherwise a
 * peer that never fills the gap makes it hold whatever it sends, an skb
 * of most of a kilobyte for a byte.  In-order data is not held to this
 * (xtcp_rmem_schedule()): the reader frees it.
 */
static bool xtcp_ooo_fits(const struct sock *sk, const struct sk_buff *skb)
{
	return atomic_read(&sk->sk_rmem_alloc) + (int)skb->truesize <=
	       READ_ONCE(sk->sk_rcvbuf);
}

/* Room for @skb is made at the far end of the queue; when @skb would be
 * the far end itself, it is the one dropped.  False when it does not fit.
 */
static bool xtcp_ooo_make_room(struct sock *sk, const struct sk_buff *skb)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	while (!xtcp_ooo_fits(sk, skb)) {
		if (!xs->ooo_last ||
		    !xtcp_after(XTCP_SKB_CB(xs->ooo_last)->seq,
				XTCP_SKB_CB(skb)->seq))
			return false;
		xtcp_ooo_prune_last(sk);
	}
	return true;
}

/*
 * Where @skb goes in the queue: returns the link to fill, with its
 * @parent and @left, the skb just before it (NULL: none); NULL when @skb
 * overlaps what is queued, with @left the skb it overlaps.  Data usually
 * arrives past the last skb (a hole, then a window of segments after
 * it): that costs no walk.
 */
static struct rb_node **xtcp_ooo_find(struct xtcp_sock *xs,
				      const struct sk_buff *skb,
				      struct rb_node **parent,
				      struct sk_buff **left)
{
	u32 seq = XTCP_SKB_CB(skb)->seq, end = xtcp_data_end(skb);
	struct rb_node **p = &xs->ooo_root.rb_node;
	struct sk_buff *n = xs->ooo_last;

	*parent = NULL;
	*left = NULL;
	if (n && !xtcp_before(seq, xtcp_data_end(n))) {
		*parent = &n->rbnode;
		*left = n;
		return &n->rbnode.rb_right;	/* the last has none */
	}
	while (*p) {
		*parent = *p;
		n = rb_to_skb(*p);
		if (!xtcp_after(end, XTCP_SKB_CB(n)->seq)) {
			p = &(*p)->rb_left;
		} else if (!xtcp_before(seq, xtcp_data_end(n))) {
			*left = n;
			p = &(*p)->rb_right;
		} else {
			*left = n;
			return NULL;
		}
	}
	return p;
}

/*
 * @skb's bytes follow @left's: appended to @left (into its tailroom, or
 * as its page), they cost no skb of their own, so a flood of tiny
 * segments in a row takes little memory (tcp_try_coalesce()'s idea).
 * True when @skb was merged, and freed.
 */
static bool xtcp_ooo_coalesce(struct sock *sk, struct sk_buff *left,
			      struct sk_buff *skb)
{
	bool stolen;
	int delta;

	if (xtcp_data_end(left) != XTCP_SKB_CB(skb)->seq ||
	    !skb_try_coalesce(left, skb, &stolen, &delta))
		return false;
	/* @left's truesize grew by @delta: charge it as skb_set_owner_r() */
	atomic_add(delta, &sk->sk_rmem_alloc);
	sk_mem_charge(sk, delta);
	XTCP_SKB_CB(left)->end_seq = xtcp_data_end(left);
	kfree_skb_partial(skb, stolen);
	return true;
}

/*
 * @skb overlaps @held, out of order: the D-SACK names the bytes that came
 * twice, and the block of SACKs that holds them goes second (RFC 2883
 * section 4: they are the latest out-of-order arrival).
 */
static void xtcp_dsack_ooo(struct xtcp_sock *xs, const struct sk_buff *skb,
			   const struct sk_buff *held)
{
	u32 start = XTCP_SKB_CB(skb)->seq, end = start + skb->len;

	if (xtcp_before(start, XTCP_SKB_CB(held)->seq))
		start = XTCP_SKB_CB(held)->seq;
	if (xtcp_after(end, xtcp_data_end(held)))
		end = xtcp_data_end(held);
	xtcp_dsack_set(xs, start, end);
	xs->sack_last = start;
}

/* Queues @skb past the gap; true when it was taken (queued, or merged
 * into the skb before it), false when the caller still owns it.
 */
static bool xtcp_ooo_insert(struct sock *sk, struct sk_buff *skb)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct rb_node **link, *parent;
	struct sk_buff *left;

	/* A FIN waits for its turn in the sender's retransmission instead. */
	if (XTCP_SKB_CB(skb)->flags & XTCP_FLAG_FIN)
		return false;
	link = xtcp_ooo_find(xs, skb, &parent, &left);
	if (!link) {
		xtcp_dsack_ooo(xs, skb, left);
		return false;
	}
	if (!xtcp_ooo_fits(sk, skb)) {
		if (!xtcp_ooo_make_room(sk, skb))
			return false;
		/* Pruning rebalanced the tree: look again. */
		link = xtcp_ooo_find(xs, skb, &parent, &left);
	}
	if (!xtcp_rmem_schedule(sk, skb, false))
		return false;
	xs->sack_last = XTCP_SKB_CB(skb)->seq;
	if (left && xtcp_ooo_coalesce(sk, left, skb))
		return true;
	skb_dst_drop(skb);
	skb_set_owner_r(skb, sk);
	rb_link_node(&skb->rbnode, parent, link);
	rb_insert_color(&skb->rbnode, &xs->ooo_root);
	if (left == xs->ooo_last)
		xs->ooo_last = skb;
	return true;
}

/*
 * How much of the memory queued data takes is payload, for the window
 * (output.c): @len bytes that cost the receive queue @cost bytes, the
 * skb's truesize or, merged into the last skb, what that one grew by.
 * (A sender's skb of page fragments, merged, leaves its head behind: a
 * small one then costs little more than its bytes.  Measured at its
 * truesize it made the window seem several times smaller than what the
 * buffer held, and then grow, unread, as larger segments followed.)
 * Segments differ (a sender's GSO skbs, its small ones), so the estimate
 * follows a worse one at once, half-way, and a better one slowly: a
 * window offered too large overflows the backlog.
 */
static void xtcp_measure_rcv_ratio(struct xtcp_sock *xs, u32 len, int cost)
{
	u32 r = clamp_t(u32, ((u64)len << 8) / max(cost, 1),
			XTCP_RCV_RATIO_MIN, XTCP_RCV_RATIO_INIT);

	if (r < xs->rcv_ratio)
		xs->rcv_ratio = (xs->rcv_ratio + r) / 2;
	else
		xs->rcv_ratio += (r - xs->rcv_ratio + 7) / 8;
}

/* The payload of the largest segment an skb that arrived stands for. */
static u32 xtcp_rcv_seg_size(const struct sk_buff *skb)
{
	return skb_is_gso(skb) ? xtcp_gso_rcv_mss(skb) : skb->len;
}

/*
 * In-order data joins the reader's last skb where it fits (that skb's
 * tailroom or page slots: skb_try_coalesce()), as Linux's
 * tcp_try_coalesce(): a reader walks fewer, fuller skbs, and a string of
 * small segments costs no skb each.  Only the last skb's growth is
 * charged (*@grew); @skb, freed here, gives back what it was charged, if
 * owned (it came from the out-of-order queue).  True when merged.
 */
static bool xtcp_rcv_coalesce(struct sock *sk, struct sk_buff *skb,
			      int *grew)
{
	struct sk_buff *tail = skb_peek_tail(&sk->sk_receive_queue);
	bool stolen;
	int delta;

	/* (An orphan's segment is still needed after: it may be answered.)
	 * A segment that starts in what the reader has stays whole.
	 */
	if (!tail || sock_flag(sk, SOCK_DEAD) ||
	    xtcp_data_end(tail) != XTCP_SKB_CB(skb)->seq ||
	    !skb_try_coalesce(tail, skb, &stolen, &delta))
		return false;
	atomic_add(delta, &sk->sk_rmem_alloc);
	sk_mem_charge(sk, delta);
	XTCP_SKB_CB(tail)->end_seq = XTCP_SKB_CB(skb)->end_seq;
	kfree_skb_partial(skb, stolen);
	*grew = delta;
	return true;
}

/*
 * Appends in-order data for the reader; false when it was not taken
 * (no memory), and the caller still owns @skb.  Once taken, @skb may be
 * gone (merged into the last one).
 *
 * A segment may start in data we have (a resend that reaches past what
 * it resends): it is queued whole and the reader skips the old bytes, as
 * Linux does.  Cutting them off could move an skb's page data into a
 * new, larger head, which for an skb already charged to the socket (out
 * of order) the memory accounting would never see.
 */
static bool xtcp_queue_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 len = xtcp_data_end(skb) - xs->rcv_nxt, seglen;
	int cost;

	if (!xtcp_rmem_schedule(sk, skb, true)) {
		/* Data past a gap must not starve the data that fills it
		 * (Linux prunes the same way): drop it, the peer resends.
		 */
		if (!xs->ooo_last)
			return false;
		while (xs->ooo_last)
			xtcp_ooo_prune_last(sk);
		sk_mem_reclaim(sk);
		if (!xtcp_rmem_schedule(sk, skb, true))
			return false;
	}
	seglen = skb->len;
	cost = skb->truesize;
	if (!xtcp_rcv_coalesce(sk, skb, &cost)) {
		if (!skb->sk) {
			skb_dst_drop(skb);
			skb_set_owner_r(skb, sk);
		}
		__skb_queue_tail(&sk->sk_receive_queue, skb);
	}
	xtcp_measure_rcv_ratio(xs, seglen, cost);
	xs->rcv_nxt += len;
	xs->stats.bytes_received += len;
	return true;
}

/* The gap is filled up to rcv_nxt: move what now follows on in order. */
static void xtcp_ooo_drain(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *skb;

	while ((skb = skb_rb_first(&xs->ooo_root)) &&
	       !xtcp_after(XTCP_SKB_CB(skb)->seq, xs->rcv_nxt)) {
		rb_erase(&skb->rbnode, &xs->ooo_root);
		if (skb == xs->ooo_last)
			xs->ooo_last = NULL;	/* that was all of it */
		if (!xtcp_after(xtcp_data_end(skb), xs->rcv_nxt) ||
		    !xtcp_queue_rcv(sk, skb))
			kfree_skb(skb);
	}
}

/*
 * Quick-ACK mode (Linux's): the next few segments are acknowledged one
 * by one, at once, however small, since a peer in slow start sends only
 * as fast as ACKs come back.  As many as half a window of segments, at
 * least two and at most 16.
 */
static void xtcp_incr_quickack(struct xtcp_sock *xs)
{
	u32 n = xtcp_rcv_wnd(xs) / (2 * xs->mss);

	xs->quick = max_t(u32, xs->quick, clamp_t(u32, n, 2, XTCP_MAX_QUICKACKS));
}

static bool xtcp_in_quickack(const struct xtcp_sock *xs)
{
	return xs->quick && !xs->pingpong;
}

/*
 * In-order data arrived (@first: the connection's first): the first, and
 * the first after the peer was silent for longer than an RTO (its window
 * restarts from slow start), begin quick-ACK mode, as
 * tcp_event_data_recv() does.  Its time is the last data's, from here on.
 */
static void xtcp_data_arrived(struct sock *sk, bool first, u32 seg)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (first || xtcp_ms_age_ns(xs->clock_ns, xs->stats.last_data_recv) >
		     (s64)xtcp_rto_ns(xs))
		xtcp_incr_quickack(xs);
	xtcp_stats_data_in(sk, seg);
}

/*
 * In-order data echoes a TSval we sent since the receive buffer's measure
 * began: a round trip of it has passed (buffer.c).
 */
static void xtcp_rcv_space_echo(struct xtcp_sock *xs,
				const struct xtcp_skb_cb *cb)
{
	if ((xs->opts & XTCP_OPT_TS) && (cb->header.in.opts & XTCP_OPT_TS) &&
	    (s32)(cb->header.in.tsecr - xs->rcvq_stamp) >= 0)
		xs->rcvq_rtt_done = 1;
}

/*
 * Does an ACK now move the window's right edge as far as the data since
 * the last ACK moved its left one?  When it would not, the reader is
 * behind, and the ACK waits for its read (xtcp_rcv_consumed()), which
 * frees the room the ACK then offers, as Linux's __tcp_ack_snd_check()
 * leaves it to tcp_recvmsg(): one ACK per read rather than one per
 * aggregate, each announcing room the sender can use.  A reader waiting
 * for SO_RCVLOWAT bytes reads nothing until they come: it gets its ACK.
 */
static bool xtcp_ack_moves_edge(const struct sock *sk)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);

	return xtcp_window_room(sk) >= (s64)(u32)(xs->rcv_edge - xs->rcv_wup) ||
	       xs->rcv_nxt - xs->copied_seq < (u32)READ_ONCE(sk->sk_rcvlowat);
}

/* Step seven: data in order goes to the reader, data past a gap waits
 * for it; anything out of order is answered at once, so the sender
 * learns where we are (duplicate ACKs).  Returns true when the skb now
 * belongs to one of the queues.
 */
static bool xtcp_rcv_data(struct sock *sk, struct sk_buff *skb)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	bool had_gap = !RB_EMPTY_ROOT(&xs->ooo_root);
	u32 len = skb->len, seg;
	bool first;

	if (!len)
		return false;
	xtcp_dsack_old(xs, cb->seq, len);
	if (xtcp_after(cb->seq, xs->rcv_nxt)) {
		u16 segs = max_t(u16, 1, skb_shinfo(skb)->gso_segs);
		bool kept = xtcp_ooo_insert(sk, skb);

		if (kept)
			xs->stats.rcv_ooopack += segs;
		else
			__XTCP_INC_STATS(sock_net(sk), XTCP_MIB_OFODROP);
		xtcp_send_ack(sk);
		return kept;
	}
	if (!xtcp_after(cb->seq + len, xs->rcv_nxt)) {
		/* Nothing new in it: our ACK was lost, or the peer's timer
		 * fired early; the next ones go at once (as Linux).
		 */
		xtcp_incr_quickack(xs);
		xs->pingpong = 0;
		xtcp_send_ack(sk);
		return false;
	}
	if (!xtcp_rcv_wnd(xs)) {
		/* Let in by xtcp_zero_window_allows(): no room for it. */
		__XTCP_INC_STATS(sock_net(sk), XTCP_MIB_ZEROWINDOWDROP);
		xtcp_incr_quickack(xs);
		xtcp_send_ack(sk);
		return false;
	}
	seg = xtcp_rcv_seg_size(skb);
	first = !xs->stats.bytes_received;
	/* Before it is queued: merged into the tail, the skb is freed. */
	xtcp_rcv_space_echo(xs, cb);
	if (!xtcp_queue_rcv(sk, skb)) {
		xtcp_send_ack(sk);	/* the peer resends it */
		return false;
	}
	xtcp_data_arrived(sk, first, seg);
	xtcp_ooo_drain(sk);
	if (!sock_flag(sk, SOCK_DEAD))
		sk->sk_data_ready(sk);

	/* Acknowledge every second segment at once, the others later (an
	 * skb of several, from GSO, at once), when the ACK offers the room
	 * the data took; a filled gap at once, so the sender's recovery ends
	 * quickly; in quick-ACK mode, each at once.
	 */
	if (had_gap || xtcp_in_quickack(xs) ||
	    ((xs->ack_pending || len > xtcp_payload_mss(xs)) &&
	     xtcp_ack_moves_edge(sk)))
		xtcp_send_ack(sk);
	else
		xtcp_arm_delack(sk);
	return true;
}

/* Step eight: the peer's FIN, once every byte before it has arrived. */
static void xtcp_rcv_fin(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	xs->rcv_nxt++;
	xs->stats.bytes_received++;	/* as TCP's, the FIN counts */
	WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | RCV_SHUTDOWN);
	sock_set_flag(sk, SOCK_DONE);

	switch (sk->sk_state) {
	case TCP_SYN_RECV:
	case TCP_ESTABLISHED:
		/* The ACK waits a little: a close() now sends FIN+ACK as one
		 * (Linux enters pingpong mode for it).
		 */
		xtcp_set_state(sk, TCP_CLOSE_WAIT);
		xs->pingpong = 1;
		xtcp_arm_delack(sk);
		break;
	case TCP_FIN_WAIT1:
		/* Both sides closed at once (RFC 9293 figure 13). */
		xtcp_set_state(sk, TCP_CLOSING);
		xtcp_send_ack(sk);
		break;
	case TCP_FIN_WAIT2:
		xtcp_send_ack(sk);
		xtcp_time_wait(sk, TCP_TIME_WAIT);
		return;
	}
	if (!sock_flag(sk, SOCK_DEAD)) {
		sk->sk_state_change(sk);
		sk_wake_async(sk, SOCK_WAKE_WAITD, POLL_HUP);
	}
}

/*
 * What a connection learns of its peer when the peer's SYN arrives: its
 * initial sequence number, window and MSS (@cb is the segment that
 * synchronizes us: the SYN-ACK, or the final ACK for a listener's child).
 */
void xtcp_sync_with_peer(struct xtcp_sock *xs, u32 irs,
			 const struct xtcp_skb_cb *cb, u16 peer_mss)
{
	xs->rcv_nxt = irs + 1;
	xs->rcv_wup = xs->rcv_nxt;
	xs->copied_seq = xs->rcv_nxt;
	xtcp_init_rcv_wnd(xs);
	xs->snd_wnd = xtcp_seg_window(xs, cb);
	xs->max_snd_wnd = xs->snd_wnd;
	xs->snd_wl1 = cb->seq;
	xs->snd_wl2 = cb->ack_seq;
	/* Both callers routed the socket first: pmtu_cookie is its MTU. */
	xs->mss_clamp = peer_mss ?: XTCP_MSS_DEFAULT;
	xtcp_mtup_init(&xs->inet.sk);
	xtcp_sync_mss(&xs->inet.sk, xs->pmtu_cookie);
}

/*
 * What both SYNs agreed on: @opts is what we offered and the peer too.
 * Window scaling counts only in both directions at once (RFC 7323
 * section 2.2); without it neither side scales.
 */
void xtcp_set_opts(struct xtcp_sock *xs, u8 opts, u8 snd_wscale, u32 ts_recent)
{
	xs->opts = opts;
	if (!(opts & XTCP_OPT_WSCALE)) {
		snd_wscale = 0;
		xs->rcv_wscale = 0;
	}
	xs->snd_wscale = snd_wscale;
	xs->ts_recent = ts_recent;
	xs->ts_recent_stamp = ktime_get_seconds();
}

/*
 * The handshake's last ACK.  A socket with TCP_DEFER_ACCEPT holds it up
 * to 200 ms (TCP_DELACK_MAX) for its first data to carry, as Linux's
 * tcp_rcv_synsent_state_process() does, then acknowledges quickly.
 */
static void xtcp_ack_synack(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (!READ_ONCE(xs->defer_accept)) {
		xtcp_send_ack(sk);
		return;
	}
	xs->pingpong = 0;
	xtcp_incr_quickack(xs);
	xtcp_arm_delack_for(sk, XTCP_DELACK_MAX_NS);
}

/*
 * SYN-SENT, RFC 9293 section 3.10.7.3.  An ACK that does not cover our SYN
 * (an old duplicate SYN-ACK of a previous connection) gets a RST and
 * changes nothing.  (SND.UNA is still the ISS here.)
 */
static void xtcp_rcv_synsent(struct sock *sk, struct sk_buff *skb)
{
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	struct xtcp_sock *xs = xtcp_sk(sk);
	bool ack = cb->flags & XTCP_FLAG_ACK;

	if (ack && (!xtcp_after(cb->ack_seq, xs->snd_una) ||
		    xtcp_after(cb->ack_seq, xs->snd_nxt))) {
		xtcp_send_reset_reply(sock_net(sk), skb);
		return;
	}
	if (cb->flags & XTCP_FLAG_RST) {
		if (ack)
			xtcp_rcv_reset(sk);	/* refused */
		return;
	}
	if (!(cb->flags & XTCP_FLAG_SYN))
		return;

	xtcp_set_opts(xs, xs->opts & cb->header.in.opts, cb->header.in.wscale,
		      cb->header.in.tsval);
	xtcp_sync_with_peer(xs, cb->seq, cb, cb->mss);

	if (ack) {
		int flag = 0;

		xs->recover = cb->ack_seq;
		xtcp_ack_advance(sk, cb, &flag);
		xtcp_established(sk);
		xtcp_ack_synack(sk);
		return;
	}
	/* Simultaneous open: their SYN crossed ours.  Our SYN goes again,
	 * now carrying the ACK of theirs.
	 */
	xtcp_set_state(sk, TCP_SYN_RECV);
	xs->retransmits = 0;
	xtcp_rto_set(xs, xtcp_rto_initial_ns(sock_net(sk)));
	xtcp_resend_skb(sk, skb_peek(&sk->sk_write_queue));
	xtcp_arm_rtx(sk);
}

/*
 * In a simultaneous open the peer's SYN-ACK repeats a SYN we already
 * acknowledged; its ACK part is what completes our side.  Strip the old
 * SYN so the rest of the rules see a plain ACK (as Linux does).
 */
static void xtcp_strip_old_syn(struct sock *sk, struct xtcp_skb_cb *cb)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (sk->sk_state == TCP_SYN_RECV &&
	    (cb->flags & (XTCP_FLAG_SYN | XTCP_FLAG_ACK)) ==
	    (XTCP_FLAG_SYN | XTCP_FLAG_ACK) &&
	    cb->seq + 1 == xs->rcv_nxt && cb->end_seq == xs->rcv_nxt) {
		cb->seq++;
		cb->flags &= ~XTCP_FLAG_SYN;
	}
}

/* New bytes for a socket that shut its receiving side (closed, say). */
static bool xtcp_data_after_close(const struct sock *sk,
				  const struct xtcp_skb_cb *cb)
{
	u32 data_end = cb->end_seq - !!(cb->flags & XTCP_FLAG_FIN);

	return (sk->sk_shutdown & RCV_SHUTDOWN) && cb->end_seq != cb->seq &&
	       xtcp_after(data_end, xtcp_sk(sk)->rcv_nxt);
}

/*
 * PAWS, RFC 7323 section 5: a segment whose timestamp is older than the
 * last one we took is an old duplicate from a wrapped sequence space.
 * A timestamp we last saw more than 24 days ago no longer counts.
 */
static bool xtcp_paws_reject(const struct xtcp_sock *xs,
			     const struct xtcp_skb_cb *cb)
{
	const struct xtcp_rcv_opts *ro = &cb->header.in;

	if (!(xs->opts & XTCP_OPT_TS) || !(ro->opts & XTCP_OPT_TS) ||
	    (cb->flags & XTCP_FLAG_RST))
		return false;
	if ((s32)(ro->tsval - xs->ts_recent) >= 0)
		return false;
	return ktime_get_seconds() - xs->ts_recent_stamp < 24 * 24 * 3600;
}

/* Every state but LISTEN, RFC 9293 section 3.10.7.4. */
static void xtcp_rcv_state_process(struct sock *sk, struct sk_buff *skb)
{
	struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	struct xtcp_sock *xs = xtcp_sk(sk);
	bool queued = false, fin;
	u32 end_seq;

	xtcp_clock_refresh(xs);
	xtcp_stats_seg_in(xs, skb);
	switch (sk->sk_state) {
	case TCP_CLOSE:
		goto drop;
	case TCP_SYN_SENT:
		xtcp_rcv_synsent(sk, skb);
		goto drop;
	}

	xtcp_strip_old_syn(sk, cb);

	if (xtcp_paws_reject(xs, cb)) {
		__XTCP_INC_STATS(sock_net(sk), XTCP_MIB_PAWSREJECTED);
		/* A pure ACK overtaken by a newer one (two CPUs, say) says
		 * nothing new: answering it would only look like a duplicate
		 * ACK to the peer.
		 */
		if (cb->end_seq != cb->seq)
			xtcp_send_oow_ack(sk, cb, XTCP_MIB_ACKSKIPPEDPAWS);
		goto drop;
	}
	/* First: is it in the window? */
	if (!xtcp_seq_acceptable(cb->seq, cb->end_seq, xs->rcv_nxt,
				 xtcp_rcv_wnd(xs)) &&
	    !xtcp_zero_window_allows(xs, cb)) {
		if (!(cb->flags & XTCP_FLAG_RST)) {
			xtcp_dsack_old(xs, cb->seq, skb->len);
			xtcp_send_oow_ack(sk, cb, XTCP_MIB_ACKSKIPPEDSEQ);
		}
		goto drop;
	}
	/* Second: RST.  Only an exact one resets (RFC 5961 section 3.2). */
	if (cb->flags & XTCP_FLAG_RST) {
		if (cb->seq == xs->rcv_nxt)
			xtcp_rcv_reset(sk);
		else
			xtcp_send_challenge_ack(sk);
		goto drop;
	}
	/* Fourth: a SYN here never resets anything (RFC 5961 section 4.2). */
	if (cb->flags & XTCP_FLAG_SYN) {
		xtcp_send_challenge_ack(sk);
		goto drop;
	}
	/* Fifth: the ACK. */
	if (!(cb->flags & XTCP_FLAG_ACK))
		goto drop;
	if (!xtcp_rcv_ack(sk, skb)) {
		if (sk->sk_state == TCP_SYN_RECV)
			xtcp_send_reset_reply(sock_net(sk), skb);
		goto drop;
	}
	/* Seventh and eighth: data, then FIN, only while the peer may send. */
	switch (sk->sk_state) {
	case TCP_FIN_WAIT1:
	case TCP_FIN_WAIT2:
		if (xtcp_data_after_close(sk, cb)) {
			/* Nobody will read it: tell the peer, as Linux does. */
			xtcp_send_reset_reply(sock_net(sk), skb);
			xtcp_reset(sk, ECONNRESET);
			goto drop;
		}
		fallthrough;
	case TCP_ESTABLISHED:
		xtcp_rcv_urg(sk, skb);	/* step six */
		fin = cb->flags & XTCP_FLAG_FIN;
		end_seq = cb->end_seq;
		queued = xtcp_rcv_data(sk, skb);	/* @skb may be gone */
		if (fin && end_seq - 1 == xs->rcv_nxt)
			xtcp_rcv_fin(sk);
		break;
	}
	/* An orphan waits for the peer's FIN as a small entry (Linux's way). */
	if (sk->sk_state == TCP_FIN_WAIT2 && sock_flag(sk, SOCK_DEAD))
		xtcp_fin_wait2_orphan(sk, skb);
drop:
	if (!queued)
		kfree_skb(skb);
}

/* A locked socket's segment, with bottom halves off. */
int xtcp_do_rcv(struct sock *sk, struct sk_buff *skb)
{
	if (sk->sk_state == TCP_LISTEN)
		return xtcp_listen_rcv(sk, skb);
	xtcp_rcv_state_process(sk, skb);
	return 0;
}

/*
 * release_sock() hands over what arrived while the owner held the lock,
 * in process context with bottom halves on.  The input path is written
 * for softirq context (per-CPU counters, child sockets' spinlocks), so it
 * runs with them off here too.
 */
int xtcp_backlog_rcv(struct sock *sk, struct sk_buff *skb)
{
	local_bh_disable();
	xtcp_do_rcv(sk, skb);
	local_bh_enable();
	return 0;
}

/*
 * The socket's own filter (SO_ATTACH_FILTER, SO_ATTACH_BPF) and the LSM's
 * per-packet hook (security_sock_rcv_skb(), inside sk_filter), shown the
 * segment from its header as TCP's are (tcp_filter()).  A filter may trim
 * the payload, never the header: the segment then ends where it was cut.
 * False: dropped, and counted in the socket's drops.
 */
static bool xtcp_filter(struct sock *sk, struct sk_buff *skb)
{
	struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	unsigned int hlen = xtcp_hdr(skb)->doff * 4;
	unsigned int len = skb->len;

	__skb_push(skb, hlen);
	if (sk_filter_trim_cap(sk, skb, hlen)) {
		sk_drops_add(sk, skb);
		kfree_skb(skb);
		return false;
	}
	__skb_pull(skb, hlen);
	if (skb->len != len)
		cb->end_seq = xtcp_cb_end_seq(cb, skb->len);
	return true;
}

/*
 * Can @skb's payload join the last one's on the owner's backlog, as
 * Linux's tcp_add_backlog() merges them?  Only plain in-order data with
 * ACK: no SYN, RST, URG or FIN, no SACK, no IP options, and the same
 * timestamps and TOS, so that the merged segment says what each did;
 * its ACK and window are the later segment's.
 */
static bool xtcp_backlog_can_merge(const struct sk_buff *tail,
				   const struct sk_buff *skb)
{
	const struct xtcp_skb_cb *t = XTCP_SKB_CB(tail), *s = XTCP_SKB_CB(skb);
	const u8 odd = XTCP_FLAG_SYN | XTCP_FLAG_RST | XTCP_FLAG_URG |
		       XTCP_FLAG_FIN;

	return t->end_seq == s->seq && tail->len && skb->len &&
	       !((t->flags | s->flags) & odd) &&
	       (t->flags & s->flags & XTCP_FLAG_ACK) &&
	       !t->header.in.sack_off && !s->header.in.sack_off &&
	       !t->header.in.ip.len && !s->header.in.ip.len &&
	       t->header.in.opts == s->header.in.opts &&
	       t->header.in.tsval == s->header.in.tsval &&
	       t->header.in.tsecr == s->header.in.tsecr &&
	       ip_hdr(tail)->tos == ip_hdr(skb)->tos &&
	       !xtcp_after(t->ack_seq, s->ack_seq);
}

/*
 * A segment for a busy owner joins the backlog's last one where it can:
 * a reader holding the lock through a burst then costs one skb per merge
 * instead of one per segment, and the backlog's limit is not reached by
 * truesize alone (TCP's BacklogCoalesce).  True when merged.
 */
static bool xtcp_backlog_coalesce(struct sock *sk, struct sk_buff *skb)
{
	struct sk_buff *tail = sk->sk_backlog.tail;
	struct skb_shared_info *ts;
	u32 segs, size;
	bool stolen;
	int delta;

	if (!tail || !xtcp_backlog_can_merge(tail, skb))
		return false;
	ts = skb_shinfo(tail);
	size = max(xtcp_rcv_seg_size(skb), xtcp_rcv_seg_size(tail));
	segs = max_t(u16, 1, skb_shinfo(skb)->gso_segs) +
	       max_t(u16, 1, ts->gso_segs);
	if (!skb_try_coalesce(tail, skb, &stolen, &delta))
		return false;
	/* What the receiver counts: segments in, and the largest, said as
	 * a GSO skb from a veth peer says it (xtcp_gso_rcv_mss()).
	 */
	ts->gso_size = size;
	xtcp_gso_fix_size(tail);
	ts->gso_segs = min_t(u32, segs, U16_MAX);
	XTCP_SKB_CB(tail)->end_seq = XTCP_SKB_CB(skb)->end_seq;
	XTCP_SKB_CB(tail)->ack_seq = XTCP_SKB_CB(skb)->ack_seq;
	XTCP_SKB_CB(tail)->window = XTCP_SKB_CB(skb)->window;
	XTCP_SKB_CB(tail)->flags |= XTCP_SKB_CB(skb)->flags;
	sk->sk_backlog.len += delta;
	__XTCP_INC_STATS(sock_net(sk), XTCP_MIB_BACKLOGCOALESCE);
	kfree_skb_partial(skb, stolen);
	return true;
}

/*
 * @new_peer: the four-tuple has no entry in the table (a listener's).
 * While the owner holds the socket, a new peer's SYN may be answered at
 * once (xtcp_listen_rcv_busy()) and a connection's data may join the
 * backlog's last segment; what is left waits in the backlog.
 */
static void xtcp_sock_rcv(struct sock *sk, struct sk_buff *skb, bool new_peer)
{
	if (!xtcp_filter(sk, skb))
		return;
	bh_lock_sock(sk);
	if (!sock_owned_by_user(sk)) {
		xtcp_do_rcv(sk, skb);
	} else if (new_peer ? !xtcp_listen_rcv_busy(sk, skb) :
		   !xtcp_backlog_coalesce(sk, skb)) {
		if (sk_add_backlog(sk, skb, xtcp_backlog_limit(sk))) {
			__XTCP_INC_STATS(sock_net(sk), XTCP_MIB_BACKLOGDROP);
			kfree_skb(skb);
		}
	}
	bh_unlock_sock(sk);
}

/* Nobody owns the four-tuple: a listener, or a RST. */
static void xtcp_rcv_unowned(struct net *net, struct sk_buff *skb)
{
	const struct xtcphdr *th = xtcp_hdr(skb);
	const struct iphdr *iph = ip_hdr(skb);
	struct sock *sk;

	sk = xtcp_lookup_listener(net, iph->saddr, th->source, iph->daddr,
				  th->dest);
	if (sk) {
		xtcp_sock_rcv(sk, skb, true);
		sock_put(sk);
		return;
	}
	__XTCP_INC_STATS(net, XTCP_MIB_NOSOCKET);
	/* No RST to a broadcast or multicast address (RFC 9293 MUST-57),
	 * as Linux's tcp_v4_send_reset() answers only local ones.
	 */
	if (skb_rtable(skb) && skb_rtable(skb)->rt_type == RTN_LOCAL)
		xtcp_send_reset_reply(net, skb);
	kfree_skb(skb);
}

static void xtcp_rcv_hnode(struct net *net, struct xtcp_hnode *h,
			   struct sk_buff *skb)
{
	struct xtcp_request *req;
	struct xtcp_tw *tw;
	struct sock *sk;

	switch (h->kind) {
	case XTCP_HK_SOCK:
		sk = xtcp_hnode_sk(h);
		xtcp_sock_rcv(sk, skb, false);
		sock_put(sk);
		return;
	case XTCP_HK_REQ:
		/* The listener owns its SYN queue: hand the segment to it. */
		req = container_of(h, struct xtcp_request, h);
		sk = req->listener;
		sock_hold(sk);
		xtcp_request_put(req);
		xtcp_sock_rcv(sk, skb, false);
		sock_put(sk);
		return;
	default:
		tw = container_of(h, struct xtcp_tw, h);
		if (xtcp_tw_rcv(tw, skb) == XTCP_TW_NEW_SYN) {
			xtcp_tw_put(tw);
			xtcp_rcv_unowned(net, skb);
			return;
		}
		xtcp_tw_put(tw);
		kfree_skb(skb);
	}
}

int xtcp_v4_rcv(struct sk_buff *skb)
{
	struct net *net = dev_net(skb->dev);
	const struct iphdr *iph;
	const struct xtcphdr *th;
	struct xtcp_hnode *h;

	if (skb->pkt_type != PACKET_HOST)
		goto drop;

	/* A GSO skb from a veth peer counts as the segments it carries. */
	XTCP_ADD_STATS(net, XTCP_MIB_INSEGS,
		       max_t(u16, 1, skb_shinfo(skb)->gso_segs));

	if (!xtcp_header_ok(skb))
		goto bad;
	if (!xtcp_checksum_ok(skb)) {
		__XTCP_INC_STATS(net, XTCP_MIB_INCSUMERRORS);
		goto bad;
	}
	if (!xtcp_fill_cb(skb))
		goto bad;
	th = xtcp_hdr(skb);
	iph = ip_hdr(skb);
	h = xtcp_lookup(net, iph->saddr, th->source, iph->daddr, th->dest);
	if (h)
		xtcp_rcv_hnode(net, h, skb);
	else
		xtcp_rcv_unowned(net, skb);
	return 0;

bad:
	__XTCP_INC_STATS(net, XTCP_MIB_INERRS);
drop:
	kfree_skb(skb);
	return 0;
}
