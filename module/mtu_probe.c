// SPDX-License-Identifier: GPL-2.0
/*
 * Path MTU discovery by probing (RFC 4821), for paths that drop ICMP: a
 * router that cannot forward a segment with DF set, and whose "too big"
 * never arrives, is a black hole, which ICMP-based discovery (icmp.c)
 * cannot see.  Linux's tcp_mtu_probing knobs, net.xtcp.mtu_probing:
 *   0  off (the default, as Linux's);
 *   1  on once timeouts suggest a black hole;
 *   2  always: connections start at base_mss and probe upward.
 *
 * The search keeps two MTUs: low, known to work, which the MSS follows,
 * and high, not known to.  A probe is one segment of the MTU between
 * them, sent while enough data follows it that its loss shows up as
 * SACKs or duplicate ACKs rather than a timeout.  Its ACK raises low;
 * its loss lowers high, and it goes again in segments of the MSS,
 * without a congestion response.  The search ends within
 * probe_threshold bytes, and starts again after probe_interval seconds.
 * A black hole, three timeouts in a row, turns the search on (mode 1),
 * and each timeout after that halves low.
 */
#include <linux/jiffies.h>
#include <net/sock.h>

#include "xtcp.h"

/* Timeouts in a row that suggest a black hole: RFC 1122's R1. */

/* The headers an MTU holds besides xs->mss (which counts our options). */

static const struct xtcp_sysctl *xtcp_knobs(const struct sock *sk)
{
	return xtcp_sysctl(sock_net(sk));
}

/* A connection's search begins when it knows the peer's MSS (its SYN). */
void xtcp_mtup_init(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	int base = READ_ONCE(xtcp_knobs(sk)->base_mss);

	xs->mtup_on = READ_ONCE(xtcp_knobs(sk)->mtu_probing) > 1;
	xs->mtup_high = xs->mss_clamp + XTCP_HDRS;
	xs->mtup_low = base + XTCP_HDRS;
	xs->mtup_probe = 0;
	xs->mtup_stamp = jiffies;
}

/* While the search is on, the MSS (@mss) is what the MTU known to work
 * allows.
 */
int xtcp_mss_limit_by_probing(const struct sock *sk, int mss)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);

	if (!xs->mtup_on)
		return mss;
	return min_t(int, mss, xs->mtup_low - XTCP_HDRS);
}

/* The search ended long enough ago: it starts again, from the MSS now. */
static void xtcp_mtu_check_reprobe(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 interval = READ_ONCE(xtcp_knobs(sk)->probe_interval);

	if ((u32)jiffies - xs->mtup_stamp < (u64)interval * HZ)
		return;
	xs->mtup_high = min_t(u32, xs->pmtu_cookie, xs->mss_clamp + XTCP_HDRS);
	xs->mtup_low = xs->mss + XTCP_HDRS;
	xs->mtup_stamp = jiffies;
}

/* May a probe of @len payload bytes go now?  Enough data must follow it,
 * in the peer's window and the congestion window, for a loss to be seen.
 */
static bool xtcp_mtu_probe_fits(const struct sock *sk, u32 len)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);
	u32 need = len + (XTCP_DUPTHRESH + 1) * xtcp_payload_mss(xs);
	const struct sk_buff *skb = xs->send_head;

	return skb && skb->len >= len &&
	       xs->write_seq - xs->snd_nxt >= need &&
	       !xtcp_after(xs->snd_nxt + need, xs->snd_una + xs->snd_wnd) &&
	       xtcp_in_flight(xs) + 2 <= xs->cwnd;
}

/*
 * Sends the next probe, if the search wants one and it may go: the
 * first bytes of the send head as one segment of the MTU halfway between
 * low and high.  Called before new data goes out.
 */
void xtcp_mtu_probe(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 threshold = READ_ONCE(xtcp_knobs(sk)->probe_threshold);
	struct sk_buff *skb;
	int mtu, len;

	if (likely(!xs->mtup_on) || xs->mtup_probe ||
	    xs->ca_state != XTCP_CA_OPEN || xs->cwnd < 11 || xs->sacked_out)
		return;
	if (xs->mtup_high - xs->mtup_low < threshold) {
		xtcp_mtu_check_reprobe(sk);
		return;
	}
	mtu = (xs->mtup_low + xs->mtup_high) / 2;
	len = mtu - XTCP_HDRS - (xs->mss - xtcp_payload_mss(xs));
	if (len <= (int)xtcp_payload_mss(xs) || !xtcp_mtu_probe_fits(sk, len))
		return;
	skb = xs->send_head;
	if (skb->len > len)
		skb = xtcp_split_skb(sk, skb, len);
	if (!skb)
		return;
	XTCP_SKB_CB(skb)->header.out.state |= XTCP_SKB_MTU_PROBE;
	if (!xtcp_send_new(sk, skb)) {
		XTCP_SKB_CB(skb)->header.out.state &= ~XTCP_SKB_MTU_PROBE;
		return;
	}
	/* It is two segments' worth of the window (Linux's accounting). */
	xs->cwnd--;
	xs->mtup_probe = mtu;
	xs->mtup_end = XTCP_SKB_CB(skb)->end_seq;
}

/* The probe arrived: the path takes its MTU, and the MSS follows; the
 * window keeps its size in bytes.
 */
void xtcp_mtu_probe_acked(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u64 cwnd;

	if (!xs->mtup_probe || xtcp_before(xs->snd_una, xs->mtup_end))
		return;
	xs->ssthresh = max(xs->ssthresh, xs->cwnd / 2 + xs->cwnd / 4);
	cwnd = (u64)xs->cwnd * (xs->mss + XTCP_HDRS);
	xs->cwnd = max_t(u32, 1, div_u64(cwnd, xs->mtup_probe));
	xs->cwnd_cnt = 0;
	xs->mtup_low = xs->mtup_probe;
	xs->mtup_probe = 0;
	xtcp_sync_mss(sk, xs->pmtu_cookie);
	__XTCP_INC_STATS(sock_net(sk), XTCP_MIB_MTUPSUCCESS);
}

/*
 * The probe @skb did not arrive (it is resent, or found too big): the
 * search goes on below it, and it goes again in segments of the MSS,
 * counted as such.
 */
void xtcp_mtu_probe_unmark(struct sock *sk, struct sk_buff *skb)
{
	struct xtcp_snd_state *st = &XTCP_SKB_CB(skb)->header.out;
	struct xtcp_sock *xs = xtcp_sk(sk);
	u16 pcount = xtcp_pcount(xs, skb->len);

	st->state &= ~XTCP_SKB_MTU_PROBE;
	xtcp_account_resize(xs, st->state, pcount - st->pcount);
	st->pcount = pcount;
	if (!xs->mtup_probe)
		return;
	xs->mtup_high = min_t(u32, xs->mtup_high, xs->mtup_probe - 1);
	xs->mtup_probe = 0;
	xs->cwnd++;		/* what sending it took */
	__XTCP_INC_STATS(sock_net(sk), XTCP_MIB_MTUPFAIL);
}

/*
 * Is the loss the ACKs show the probe's, at the head of the flight?  Then
 * the path does not take its MTU, which is no reason to reduce the
 * window: the probe goes again at the MSS (xtcp_mtu_loss() finds it too
 * big), as Linux's tcp_fastretrans_alert() does.
 */
bool xtcp_mtu_probe_lost(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	const struct sk_buff *head = skb_peek(&sk->sk_write_queue);

	if (!xs->mtup_probe || !head || head == xs->send_head ||
	    !(XTCP_SKB_CB(head)->header.out.state & XTCP_SKB_MTU_PROBE))
		return false;
	xtcp_mtu_loss(sk);
	return true;
}

/*
 * A retransmission timeout, the XTCP_RETRIES1'th in a row or
 * later: with mtu_probing, the path may drop large segments without a
 * word.  The first such timeout turns the search on (the MSS drops to
 * base_mss), each later one halves what is known to work, down to
 * mtu_probe_floor.  A probe still out was too big.
 */
void xtcp_mtu_black_hole(struct sock *sk)
{
	const struct xtcp_sysctl *knobs = xtcp_knobs(sk);
	struct xtcp_sock *xs = xtcp_sk(sk);
	int mss;

	if (xs->mtup_probe)
		xtcp_mark_oversized_lost(sk);
	if (xs->retransmits < XTCP_RETRIES1 ||
	    !READ_ONCE(knobs->mtu_probing) || !xs->mss_clamp)
		return;
	if (!xs->mtup_on) {
		xs->mtup_on = 1;
		xs->mtup_stamp = jiffies;
	} else {
		mss = (xs->mtup_low - XTCP_HDRS) / 2;
		mss = min(mss, READ_ONCE(knobs->base_mss));
		mss = max(mss, READ_ONCE(knobs->mtu_probe_floor));
		mss = max(mss, READ_ONCE(knobs->min_snd_mss));
		xs->mtup_low = mss + XTCP_HDRS;
	}
	xtcp_sync_mss(sk, xs->pmtu_cookie);
	xtcp_mark_oversized_lost(sk);
	__XTCP_INC_STATS(sock_net(sk), XTCP_MIB_MTUBLACKHOLE);
}
