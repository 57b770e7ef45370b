// SPDX-License-Identifier: GPL-2.0
/*
 * Loss recovery: what the peer's ACKs say was lost, and what to resend.
 *
 * Every segment on sk_write_queue between snd_una and snd_nxt counts in
 * packets_out (a queued skb that GSO cuts into several counts as many:
 * its pcount; it is marked as a whole).  The peer's SACK blocks (RFC
 * 2018) mark segments SACKED when they cover them entirely;
 * a segment with at least three SACKED ones above it, or the first one
 * after three duplicate ACKs, is LOST (RFC 6675's IsLost, simplified);
 * a LOST segment resent counts in retrans_out until it is acknowledged.
 * What is in the network is then RFC 6675's "pipe":
 *
 *	in_flight = packets_out - sacked_out - lost_out + retrans_out
 *
 * and xtcp_push() sends, resends first, while in_flight < cwnd.
 *
 * The states, as Linux names them: OPEN; RECOVERY after three duplicate
 * ACKs (RFC 5681 fast retransmit and RFC 6675 recovery, or NewReno's
 * RFC 6582 when the peer has no SACK: then each duplicate ACK stands for
 * one SACKed segment); LOSS after a retransmission timeout, where every
 * unSACKed segment is LOST and slow start resends them.  Both last until
 * everything sent before they began (recover) is acknowledged.
 */
#include <net/sock.h>

#include "xtcp.h"
#include "trace.h"

/* Every move between the states above goes through here, for the
 * xtcp:cong_state event.
 */
void xtcp_set_ca_state(struct sock *sk, u8 state)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (xs->ca_state == state)
		return;
	trace_cong_state(sk, xs->ca_state, state);
	xs->ca_state = state;
}

static bool xtcp_sack_on(const struct xtcp_sock *xs)
{
	return xs->opts & XTCP_OPT_SACK;
}

static struct xtcp_snd_state *xtcp_st(struct sk_buff *skb)
{
	return &XTCP_SKB_CB(skb)->header.out;
}

/* The segments sent and not yet cumulatively acknowledged, in order. */
static struct sk_buff *xtcp_first_sent(const struct sock *sk)
{
	struct sk_buff *skb = skb_peek(&sk->sk_write_queue);

	return skb == xtcp_sk(sk)->send_head ? NULL : skb;
}

static struct sk_buff *xtcp_next_sent(const struct sock *sk,
				      struct sk_buff *skb)
{
	if (skb_queue_is_last(&sk->sk_write_queue, skb) ||
	    skb->next == xtcp_sk(sk)->send_head)
		return NULL;
	return skb->next;
}

static void xtcp_mark_skb_lost(struct xtcp_sock *xs, struct sk_buff *skb)
{
	struct xtcp_snd_state *st = xtcp_st(skb);

	if (st->state & (XTCP_SKB_SACKED | XTCP_SKB_LOST))
		return;
	st->state |= XTCP_SKB_LOST;
	xs->lost_out += st->pcount;
	/* The resend walk must see it, even behind where it stopped. */
	if (xs->rtx_hint &&
	    xtcp_before(XTCP_SKB_CB(skb)->seq, XTCP_SKB_CB(xs->rtx_hint)->seq))
		xs->rtx_hint = NULL;
}

/* Was a segment sent at @t1 ending at @seq1 sent after (@t2, @seq2)?  A
 * burst goes out at one clock reading: sequence order breaks the tie.
 */
static bool xtcp_rack_sent_after(u64 t1, u32 seq1, u64 t2, u32 seq2)
{
	return t1 > t2 || (t1 == t2 && xtcp_after(seq1, seq2));
}

/*
 * A segment reached the peer (SACKed, or acknowledged): RACK (RFC 8985
 * section 6.2) takes the round trip of the newest segment each ACK
 * delivers, and moves its clock to that segment's send time if it is the
 * latest yet.  A segment delivered late, overtaken on the way, thus
 * lengthens the round trip the others are judged by, as in Linux's
 * tcp_rack_advance().  A resent segment counts only when the ACK cannot
 * be for its first copy: not sooner than the smallest round trip of the
 * last five minutes (info.c keeps it).
 */
static void xtcp_rack_advance(struct xtcp_sock *xs, struct sk_buff *skb)
{
	const struct xtcp_snd_state *st = xtcp_st(skb);
	u32 end = XTCP_SKB_CB(skb)->end_seq;
	u64 rtt = xs->clock_ns - st->sent_ns;
	u32 rtt_us = min_t(u64, div_u64(rtt, NSEC_PER_USEC), U32_MAX);

	if ((st->state & XTCP_SKB_RETRANS) &&
	    rtt < (u64)xs->stats.min_rtt_us * NSEC_PER_USEC)
		return;
	/* The newest segment of this ACK has the shortest round trip. */
	if (xs->rack_rtt_at != (u32)xs->clock_ns || rtt_us < xs->rack_rtt_us) {
		xs->rack_rtt_us = rtt_us;
		xs->rack_rtt_at = (u32)xs->clock_ns;
	}
	if (!xtcp_rack_sent_after(st->sent_ns, end, xs->rack_ns,
				  xs->rack_end_seq))
		return;
	xs->rack_ns = st->sent_ns;
	xs->rack_end_seq = end;
}

/*
 * Data sent once that reaches the peer below data an earlier ACK already
 * SACKed was overtaken on the way, not lost: reordering (as Linux's
 * tcp_check_sack_reordering()).  xtcp_recovery_ack() counts it once per
 * ACK, and from then on RACK keeps its reordering window.
 */
static void xtcp_check_reordering(struct xtcp_sock *xs, struct sk_buff *skb)
{
	if (!(xtcp_st(skb)->state & XTCP_SKB_RETRANS) &&
	    xtcp_before(XTCP_SKB_CB(skb)->end_seq, xs->sack_high))
		xs->reord_now = 1;
}

/* Marks @skb SACKed.  Returns its send time when that is newly known to
 * have arrived and was never resent (a valid round trip, by Karn), else 0.
 */
static u64 xtcp_mark_skb_sacked(struct xtcp_sock *xs, struct sk_buff *skb)
{
	struct xtcp_snd_state *st = xtcp_st(skb);

	if (st->state & XTCP_SKB_SACKED)
		return 0;
	xtcp_check_reordering(xs, skb);
	if (st->state & XTCP_SKB_LOST)
		xs->lost_out -= st->pcount;
	if (st->state & XTCP_SKB_RTX_OUT)
		xs->retrans_out -= st->pcount;
	st->state = (st->state & ~(XTCP_SKB_LOST | XTCP_SKB_RTX_OUT)) |
		    XTCP_SKB_SACKED;
	xs->sacked_out += st->pcount;
	xtcp_stats_delivered(xs, st->pcount, skb->len);
	xtcp_rack_advance(xs, skb);
	return st->state & XTCP_SKB_RETRANS ? 0 : st->sent_ns;
}

/* The earlier of two send times, 0 meaning none. */
static u64 xtcp_earliest(u64 a, u64 b)
{
	return !a || (b && b < a) ? b : a;
}

/* A sent skb now makes @delta more segments (split, or trimmed when
 * negative): every count it is in follows.
 */
void xtcp_account_resize(struct xtcp_sock *xs, u8 state, int delta)
{
	xs->packets_out += delta;
	if (state & XTCP_SKB_SACKED)
		xs->sacked_out += delta;
	if (state & XTCP_SKB_LOST)
		xs->lost_out += delta;
	if (state & XTCP_SKB_RTX_OUT)
		xs->retrans_out += delta;
}

/* A segment leaves the write queue, acknowledged: forget its marks. */
void xtcp_unaccount_skb(struct xtcp_sock *xs, struct sk_buff *skb)
{
	const struct xtcp_snd_state *st = xtcp_st(skb);

	if (xs->rtx_hint == skb)
		xs->rtx_hint = NULL;
	if (!(st->state & XTCP_SKB_SACKED)) {
		xtcp_stats_delivered(xs, st->pcount, skb->len);
		/* A hole filled by its first copy. */
		if (xs->sacked_out && xtcp_sack_on(xs))
			xtcp_check_reordering(xs, skb);
	}
	xtcp_rack_advance(xs, skb);
	xtcp_account_resize(xs, st->state, -st->pcount);
}

/* The newest segment sent, or NULL. */
struct sk_buff *xtcp_last_sent(const struct sock *sk)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *skb = xs->send_head ? xs->send_head->prev :
			      skb_peek_tail(&sk->sk_write_queue);

	if (!skb || skb == (struct sk_buff *)&sk->sk_write_queue)
		return NULL;
	return skb;
}

static struct sk_buff *xtcp_prev_sent(const struct sock *sk,
				      struct sk_buff *skb)
{
	return skb == skb_peek(&sk->sk_write_queue) ? NULL : skb->prev;
}

/*
 * One SACK block [start, end) marks the segments wholly inside it.  An
 * skb of several segments that the block covers in part is cut first
 * (the peer got its segments one by one), as Linux fragments TSO skbs,
 * but only between whole segments: a segment the block covers in part
 * stays unmarked.  A peer that SACKs every other byte thus cuts nothing
 * (CVE-2019-11478), and one that SACKs every other segment makes at
 * most one skb per segment, within xtcp_split_skb()'s bound.  New blocks
 * sit near the newest data, so the walk starts there.  Returns the
 * earliest send time of what it newly marked (xtcp_mark_skb_sacked()).
 */
static u64 xtcp_sack_block(struct sock *sk, u32 start, u32 end)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 mss = xtcp_payload_mss(xs);
	struct sk_buff *skb, *head;
	u64 first = 0, sent;

	for (skb = xtcp_last_sent(sk); skb; skb = xtcp_prev_sent(sk, skb)) {
		const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
		u32 len;

		if (!xtcp_after(cb->end_seq, start))
			break;
		if (xtcp_after(cb->end_seq, end)) {
			/* The whole segments before the block's end. */
			len = xtcp_before(cb->seq, end) ?
			      rounddown(end - cb->seq, mss) : 0;
			if (!len)
				continue;
			head = xtcp_split_skb(sk, skb, len);
			if (!head)
				continue;
			skb = head;
			cb = XTCP_SKB_CB(skb);
		}
		if (xtcp_before(cb->seq, start)) {
			/* The whole segments from the block's start. */
			len = roundup(start - cb->seq, mss);
			if (len >= skb->len)
				break;
			head = xtcp_split_skb(sk, skb, len);
			sent = head ? xtcp_mark_skb_sacked(xs, head->next) : 0;
			first = xtcp_earliest(first, sent);
			break;
		}
		first = xtcp_earliest(first, xtcp_mark_skb_sacked(xs, skb));
	}
	return first;
}

#define XTCP_REO_WND_PERSIST	16	/* recoveries, as Linux's */

/* RACK's reordering window widens a quarter min RTT, for 16 recoveries. */
static void xtcp_reo_wnd_widen(struct xtcp_sock *xs)
{
	if (xs->reo_wnd_steps < U8_MAX)
		xs->reo_wnd_steps++;
	xs->reo_wnd_persist = XTCP_REO_WND_PERSIST;
}

/*
 * The first block says data arrived twice (a D-SACK, RFC 2883 section 4):
 * it lies below the cumulative ACK, or inside the second block.  Counted
 * as Linux's tcp_check_dsack() and tcp_dsack_seen() count it; one that
 * covers more than the peer's largest window is not believed.  If we had
 * resent that much, the resend was needless; when reordering has been
 * seen, RACK's window widens by a quarter of the least RTT, at most once
 * a round trip, for the next 16 recoveries (tcp_rack_update_reo_wnd()).
 */
static void xtcp_check_dsack(struct sock *sk, u32 ack, const u8 *p, int n)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 start = get_unaligned_be32(p), end = get_unaligned_be32(p + 4);
	u32 len = end - start, dups = 1, now_us;

	if (!xtcp_before(start, ack) &&
	    (n < 2 || xtcp_before(start, get_unaligned_be32(p + 8)) ||
	     xtcp_after(end, get_unaligned_be32(p + 12))))
		return;
	__XTCP_INC_STATS(sock_net(sk), XTCP_MIB_DSACKRECV);
	if (!xtcp_before(start, end) || len > xs->max_snd_wnd)
		return;
	if (len > xtcp_payload_mss(xs))
		dups = DIV_ROUND_UP(len, xtcp_payload_mss(xs));
	xs->stats.dsack_dups += dups;
	if (xs->stats.dsack_dups > xs->total_retrans)
		return;		/* not only copies we resent */
	now_us = div_u64(xs->clock_ns, NSEC_PER_USEC) ?: 1;
	if (!xs->stats.reord_seen ||
	    (xs->reo_wnd_at_us && now_us - xs->reo_wnd_at_us < xs->srtt_us))
		return;
	xtcp_reo_wnd_widen(xs);
	xs->reo_wnd_at_us = now_us;
}

/* The SACK option of an ACK: blocks outside what is outstanding (old
 * ones, D-SACKs, which xtcp_check_dsack() has read, forgeries) are
 * ignored.  Returns the earliest send time of the segments it newly
 * marks that were sent once, 0 if none.
 * sack_high moves up to the highest block only after the walk, so that
 * what one ACK SACKs is judged against the ACKs before it.
 */
static u64 xtcp_sacktag(struct sock *sk, struct sk_buff *skb)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u16 off = xtcp_rcv_opts(skb)->sack_off;
	u32 high;
	u64 first = 0;
	const u8 *p;
	int n, i;

	if (!off || !xtcp_sack_on(xs))
		return 0;
	if (!xs->sacked_out)
		xs->sack_high = xs->snd_una;
	high = xs->sack_high;
	p = skb_transport_header(skb) + off;
	n = (p[1] - 2) / 8;
	if (n)
		xtcp_check_dsack(sk, XTCP_SKB_CB(skb)->ack_seq, p + 2, n);
	for (i = 0; i < n; i++) {
		u32 start = get_unaligned_be32(p + 2 + 8 * i);
		u32 end = get_unaligned_be32(p + 6 + 8 * i);

		if (!xtcp_before(start, end) ||
		    !xtcp_after(start, xs->snd_una) ||
		    xtcp_after(end, xs->snd_nxt))
			continue;
		first = xtcp_earliest(first, xtcp_sack_block(sk, start, end));
		if (xtcp_after(end, high))
			high = end;
	}
	xs->sack_high = high;
	return first;
}

/* A SACK is a round trip too when the cumulative ACK gave none (Linux's
 * sack_rtt), from the earliest segment it newly covers (@sent): RACK's
 * window, a quarter of the least RTT, must not wait for the next ACK.
 */
static void xtcp_sack_rtt(struct sock *sk, u64 sent, int flag)
{
	if (sent && !(flag & XTCP_ACK_RTT))
		xtcp_rtt_sample(sk, xtcp_sk(sk)->clock_ns - sent);
}

/* RFC 6675's IsLost: three SACKed segments above a hole mark it lost.
 * SACK marks only accumulate, so below a segment already marked lost
 * every hole was marked too: the walk stops there.
 */
static void xtcp_mark_lost_by_sack(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *skb;
	u32 above = 0;

	for (skb = xtcp_last_sent(sk); skb; skb = xtcp_prev_sent(sk, skb)) {
		u8 state = xtcp_st(skb)->state;

		if (state & XTCP_SKB_SACKED) {
			above += xtcp_st(skb)->pcount;
			continue;
		}
		if (above < XTCP_DUPTHRESH)
			continue;
		if (state & XTCP_SKB_LOST)
			break;
		xtcp_mark_skb_lost(xs, skb);
	}
}

/*
 * A resent segment can be lost again, and RFC 6675 alone would wait for
 * the timeout.  RACK's idea (RFC 8985), for resends only: once the peer
 * confirms a segment sent more than a quarter round trip after a resend,
 * that resend is lost; it goes again.
 */
static void xtcp_detect_lost_resends(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u64 reo = max_t(u64, xs->srtt_us / 4, 1000) * NSEC_PER_USEC;
	u32 left = xs->retrans_out;
	struct sk_buff *skb;

	for (skb = xtcp_first_sent(sk); skb && left;
	     skb = xtcp_next_sent(sk, skb)) {
		struct xtcp_snd_state *st = xtcp_st(skb);

		if (!(st->state & XTCP_SKB_RTX_OUT))
			continue;
		left -= min_t(u32, left, st->pcount);
		if (st->sent_ns + reo >= xs->rack_ns)
			continue;
		st->state &= ~XTCP_SKB_RTX_OUT;
		xs->retrans_out -= st->pcount;
		xs->rtx_hint = NULL;
	}
}

/* RACK-TLP needs SACK, which only the handshake's end settles: a SYN
 * or SYN-ACK is resent by its own timer alone (as in Linux).
 */
bool xtcp_rack_on(const struct sock *sk)
{
	return !((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV)) &&
	       xtcp_sack_on(xtcp_sk(sk)) &&
	       READ_ONCE(xtcp_sysctl(sock_net(sk))->recovery);
}

/*
 * RACK's reordering window (RFC 8985 section 6.2, as Linux sizes it): a
 * quarter of the smallest RTT, at most SRTT, so that segments merely
 * overtaken on the way are not resent.  Until the connection has seen
 * reordering, none once recovery has begun or three segments were
 * SACKed: loss is then the likelier cause.  Each recovery found
 * spurious (Eifel) and each D-SACK of a resend widens it by another
 * quarter for the next 16 recoveries.
 */
static u64 xtcp_rack_reo_wnd(const struct xtcp_sock *xs)
{
	u64 wnd = (u64)xs->stats.min_rtt_us / 4 * (1 + xs->reo_wnd_steps);

	if (!xs->stats.reord_seen &&
	    (xs->ca_state != XTCP_CA_OPEN || xs->sacked_out >= XTCP_DUPTHRESH))
		return 0;
	return min_t(u64, wnd, xs->srtt_us) * NSEC_PER_USEC;
}

static void xtcp_reordering_seen(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	xs->reord_now = 0;
	xs->stats.reord_seen++;
	__XTCP_INC_STATS(sock_net(sk), XTCP_MIB_SACKREORDER);
}

/* A resend RACK found lost goes again: it no longer counts in flight. */
static void xtcp_rack_mark_lost(struct sock *sk, struct sk_buff *skb)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct xtcp_snd_state *st = xtcp_st(skb);

	if (st->state & XTCP_SKB_RTX_OUT) {
		st->state &= ~XTCP_SKB_RTX_OUT;
		xs->retrans_out -= st->pcount;
		xs->rtx_hint = NULL;
	}
	xtcp_mark_skb_lost(xs, skb);
	XTCP_ADD_STATS(sock_net(sk), XTCP_MIB_RACKLOST, st->pcount);
}

/*
 * RACK loss detection (RFC 8985 section 6.2): a segment (or its resend)
 * sent before the latest one the peer confirmed is lost once it has been
 * out for RACK's round trip plus the reordering window.  Those still
 * inside it are judged again when the last of their windows ends (the
 * RFC's and Linux's choice: ACKs in between judge them anyway): returns
 * the time until then, 0 if none.  The walk is over the whole
 * flight, since resends make send order differ from sequence order.
 */
static u64 xtcp_rack_detect_loss(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u64 reo = xtcp_rack_reo_wnd(xs), wait = 0;
	struct sk_buff *skb;

	for (skb = xtcp_first_sent(sk); skb; skb = xtcp_next_sent(sk, skb)) {
		const struct xtcp_snd_state *st = xtcp_st(skb);
		s64 left;

		if ((st->state & XTCP_SKB_SACKED) ||
		    (st->state & (XTCP_SKB_LOST | XTCP_SKB_RTX_OUT)) ==
		    XTCP_SKB_LOST ||
		    !xtcp_rack_sent_after(xs->rack_ns, xs->rack_end_seq,
					  st->sent_ns, XTCP_SKB_CB(skb)->end_seq))
			continue;
		left = st->sent_ns + (u64)xs->rack_rtt_us * NSEC_PER_USEC +
		       reo - xs->clock_ns;
		if (left <= 0)
			xtcp_rack_mark_lost(sk, skb);
		else
			wait = max_t(u64, wait, left);
	}
	return wait;
}

/*
 * An ACK that reaches the end of a tail-loss probe's flight settles it
 * (RFC 8985 section 7.4, as Linux): a probe of new data, or a resend
 * answered by a pure duplicate ACK (both copies arrived), showed no
 * loss; an ACK past the end of a resent probe's flight shows that the
 * probe repaired one, and the window is reduced once, as for a loss.
 * Linux tells a needless resend by the peer's D-SACK, which XTCP counts
 * but does not settle probes by; the timestamp tells it here (Eifel, RFC
 * 3522): an ACK that echoes a TSval older than the probe's answers the
 * first copy.
 */
void xtcp_tlp_ack(struct sock *sk, const struct xtcp_skb_cb *cb,
		  bool advanced)
{
	const struct xtcp_rcv_opts *ro = &cb->header.in;
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (xtcp_before(cb->ack_seq, xs->tlp_high_seq))
		return;
	if (xs->tlp_retrans && (ro->opts & XTCP_OPT_TS) && ro->tsecr &&
	    xtcp_before(ro->tsecr, xs->tlp_tsval)) {
		xs->tlp_high_seq = 0;
		return;
	}
	if (xs->tlp_retrans && xtcp_after(cb->ack_seq, xs->tlp_high_seq)) {
		xs->ssthresh = xtcp_cong_ssthresh(sk);
		xs->cwnd = max(xs->ssthresh, 2U);
		xs->cwnd_cnt = 0;
		__XTCP_INC_STATS(sock_net(sk), XTCP_MIB_LOSSPROBERECOVERY);
	} else if (xs->tlp_retrans && advanced) {
		return;
	}
	xs->tlp_high_seq = 0;
}

/* The first segment outstanding is lost: of an skb of several, only
 * its first (the others may have arrived), as Linux marks them.
 */
static void xtcp_mark_head_lost(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *skb = skb_peek(&sk->sk_write_queue);

	if (!skb || skb == xs->send_head)
		return;
	if (xtcp_skb_pcount(skb) > 1)
		skb = xtcp_split_skb(sk, skb, xtcp_payload_mss(xs)) ?: skb;
	xtcp_mark_skb_lost(xs, skb);
}

static void xtcp_enter_recovery(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	xs->undo_cwnd = xs->cwnd;
	xs->undo_ssthresh = xs->ssthresh;
	xs->retrans_ts = 0;
	xs->ssthresh = xtcp_cong_ssthresh(sk);
	xs->cwnd = xs->ssthresh;
	xs->cwnd_cnt = 0;
	xtcp_set_ca_state(sk, XTCP_CA_RECOVERY);
	xs->recover = xs->snd_nxt;
	xs->tlp_high_seq = 0;
	__XTCP_INC_STATS(sock_net(sk), XTCP_MIB_RECOVERIES);
	/* RACK marks what is lost itself (its window is now closed). */
	if (!xtcp_rack_on(sk))
		xtcp_mark_head_lost(sk);
}

/* RACK's reordering window ended: judge again, and resend what is lost. */
void xtcp_rack_timeout(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u64 wait = xtcp_rack_detect_loss(sk);

	if (xs->lost_out && xs->ca_state == XTCP_CA_OPEN) {
		xtcp_enter_recovery(sk);
		wait = xtcp_rack_detect_loss(sk);
	}
	xtcp_push(sk);
	if (wait)
		xtcp_arm_reo(sk, wait);
	else
		xtcp_arm_rtx(sk);
}

/*
 * At a timeout, a SACKed segment at snd_una means the receiver dropped
 * what it had SACKed (it would have ACKed it otherwise): RFC 2018 section
 * 8 reneging.  Every SACK mark goes then, so that everything is resent
 * from snd_una, as Linux's tcp_timeout_mark_lost() does; otherwise that
 * segment would never be resent and the connection would die of retries2.
 */
static void xtcp_forget_sacks_if_reneged(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *skb = xtcp_first_sent(sk);

	if (!skb || !(xtcp_st(skb)->state & XTCP_SKB_SACKED))
		return;
	XTCP_INC_STATS(sock_net(sk), XTCP_MIB_SACKRENEGING);
	for (; skb; skb = xtcp_next_sent(sk, skb))
		xtcp_st(skb)->state &= ~XTCP_SKB_SACKED;
	xs->sacked_out = 0;
}

/* The retransmission timer fired: everything unSACKed is presumed lost
 * and slow start begins again from one segment (RFC 5681 section 3.1).
 */
void xtcp_enter_loss(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *skb;

	/* Repeated timeouts of one loss halve nothing more. */
	if (!xs->retransmits)
		xs->ssthresh = xtcp_cong_ssthresh(sk);
	xs->cwnd = 1;
	xs->cwnd_cnt = 0;
	xtcp_set_ca_state(sk, XTCP_CA_LOSS);
	xs->recover = xs->snd_nxt;
	xs->tlp_high_seq = 0;
	xs->dupacks = 0;
	xs->retrans_ts = 0;
	if (!xtcp_sack_on(xs))
		xs->sacked_out = 0;
	else
		xtcp_forget_sacks_if_reneged(sk);
	xs->retrans_out = 0;
	xs->rtx_hint = NULL;
	for (skb = xtcp_first_sent(sk); skb; skb = xtcp_next_sent(sk, skb)) {
		xtcp_st(skb)->state &= ~XTCP_SKB_RTX_OUT;
		xtcp_mark_skb_lost(xs, skb);
	}
}

/*
 * The path MTU shrank (icmp.c): segments sent larger than the new MSS
 * were dropped on the way, so they are lost, and go again at once at the
 * new size rather than at the RTO (Linux's tcp_simple_retransmit()); a
 * resend still in flight at the old size is lost again.  Their counts
 * change to the new, smaller unit.  The congestion window stays: no data
 * was lost to congestion, only the unit shrank; the loss state keeps
 * RACK and duplicate ACKs from counting the resends as a new loss.
 */
void xtcp_mark_oversized_lost(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 mss = xtcp_payload_mss(xs);
	struct sk_buff *skb;

	for (skb = xtcp_first_sent(sk); skb; skb = xtcp_next_sent(sk, skb)) {
		struct xtcp_snd_state *st = xtcp_st(skb);
		u16 pcount = xtcp_pcount(xs, skb->len);

		if (skb->len <= mss || (st->state & XTCP_SKB_SACKED))
			continue;
		/* A path MTU probe too big for the path: it goes again in
		 * segments of the MSS, and the search stops below it.
		 */
		if (st->state & XTCP_SKB_MTU_PROBE)
			xtcp_mtu_probe_unmark(sk, skb);
		xtcp_account_resize(xs, st->state, pcount - st->pcount);
		st->pcount = pcount;
		if (st->state & XTCP_SKB_RTX_OUT) {
			st->state &= ~XTCP_SKB_RTX_OUT;
			xs->retrans_out -= pcount;
		}
		xtcp_mark_skb_lost(xs, skb);
	}
	xs->rtx_hint = NULL;
}

/* ... and what was lost so goes again in the loss state, without a
 * congestion response.
 */
void xtcp_mtu_loss(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	xtcp_mark_oversized_lost(sk);
	if (!xs->lost_out)
		return;
	if (xs->ca_state != XTCP_CA_LOSS) {
		if (xs->ca_state == XTCP_CA_OPEN)
			xs->ssthresh = max(xs->ssthresh,
					   xs->cwnd / 2 + xs->cwnd / 4);
		xtcp_set_ca_state(sk, XTCP_CA_LOSS);
		xs->recover = xs->snd_nxt;
		xs->retrans_ts = 0;	/* nothing to undo */
		xs->tlp_high_seq = 0;
	}
}

/* Without SACK a duplicate ACK stands for one segment that left the
 * network; never for the last one outstanding.
 */
static void xtcp_reno_dupack(struct xtcp_sock *xs)
{
	if (xs->sacked_out + xs->lost_out + 1 < xs->packets_out)
		xs->sacked_out++;
}

/*
 * Eifel (RFC 3522), as Linux undoes a recovery: if the ACK that moves past
 * the first resent segment echoes a timestamp older than that resend, the
 * original arrived after all (reordered, not lost): the window comes back
 * and nothing is presumed lost any more.
 */
static bool xtcp_recovery_was_spurious(struct sock *sk, struct sk_buff *skb,
				       u32 acked)
{
	const struct xtcp_rcv_opts *ro = xtcp_rcv_opts(skb);
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *s;

	if (xs->ca_state != XTCP_CA_RECOVERY || !acked || !xs->retrans_ts ||
	    !(ro->opts & XTCP_OPT_TS) || !ro->tsecr ||
	    !xtcp_before(ro->tsecr, xs->retrans_ts))
		return false;
	xs->cwnd = max(xs->cwnd, xs->undo_cwnd);
	xs->ssthresh = max(xs->ssthresh, xs->undo_ssthresh);
	xtcp_set_ca_state(sk, XTCP_CA_OPEN);
	xs->dupacks = 0;
	for (s = xtcp_first_sent(sk); s; s = xtcp_next_sent(sk, s))
		xtcp_st(s)->state &= ~(XTCP_SKB_LOST | XTCP_SKB_RTX_OUT);
	xs->lost_out = 0;
	xs->retrans_out = 0;
	xs->rtx_hint = NULL;
	xs->stats.reord_seen++;
	xtcp_reo_wnd_widen(xs);
	__XTCP_INC_STATS(sock_net(sk), XTCP_MIB_RECOVERYUNDO);
	return true;
}

/*
 * What an ACK changes in the recovery state: @acked segments newly
 * acknowledged, @flag what else it was (XTCP_ACK_*).  Returns true when the
 * congestion window may grow.
 */
bool xtcp_recovery_ack(struct sock *sk, struct sk_buff *skb, u32 acked,
		       int flag)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	bool sack = xtcp_sack_on(xs), rack = xtcp_rack_on(sk);
	u64 wait = 0;

	if (sack)
		xtcp_sack_rtt(sk, xtcp_sacktag(sk, skb), flag);
	else if (flag & XTCP_ACK_DUP)
		xtcp_reno_dupack(xs);
	else if (acked)
		xs->sacked_out -= min(xs->sacked_out, acked);
	if (xs->reord_now)
		xtcp_reordering_seen(sk);

	if (xtcp_recovery_was_spurious(sk, skb, acked))
		return true;
	if (xs->ca_state != XTCP_CA_OPEN &&
	    !xtcp_before(xs->snd_una, xs->recover)) {
		/* Everything sent before the loss is acknowledged. */
		if (xs->ca_state == XTCP_CA_RECOVERY)
			xs->cwnd = max(xs->ssthresh, 2U);
		else
			xtcp_stats_loss_over(xs);
		if (xs->reo_wnd_persist)
			xs->reo_wnd_persist--;
		else
			xs->reo_wnd_steps = 0;
		xtcp_set_ca_state(sk, XTCP_CA_OPEN);
		xs->dupacks = 0;
		if (!sack)
			xs->sacked_out = 0;
	}

	if (rack && (xs->sacked_out || xs->retrans_out))
		wait = xtcp_rack_detect_loss(sk);
	/* RACK alone says what is lost, as in Linux: three SACKed segments
	 * close its window (above) unless the path has shown reordering.
	 */
	if (xs->ca_state == XTCP_CA_OPEN &&
	    (rack ? xs->lost_out : xs->dupacks >= XTCP_DUPTHRESH ||
	     (sack && xs->sacked_out >= XTCP_DUPTHRESH))) {
		/* A lost MTU probe says nothing of congestion. */
		if (xtcp_mtu_probe_lost(sk))
			return true;
		xtcp_enter_recovery(sk);
		if (rack)
			wait = xtcp_rack_detect_loss(sk);
	}
	if (wait)
		xtcp_arm_reo(sk, wait);

	if (xs->ca_state == XTCP_CA_OPEN)
		return true;
	if (sack && xs->sacked_out && !rack)
		xtcp_mark_lost_by_sack(sk);
	if (xs->retrans_out && !rack)
		xtcp_detect_lost_resends(sk);
	/* A partial ACK (RFC 6582): the next hole is lost too. */
	if (acked && !sack && xs->ca_state == XTCP_CA_RECOVERY)
		xtcp_mark_head_lost(sk);
	return xs->ca_state == XTCP_CA_LOSS;
}

/* Resends LOST segments, oldest first, while the window has room.  The
 * walk goes on from where the last one stopped (rtx_hint).
 */
void xtcp_retransmit_lost(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *skb;

	if (xs->lost_out <= xs->retrans_out)
		return;
	skb = xs->rtx_hint ?: xtcp_first_sent(sk);
	for (; skb; skb = xtcp_next_sent(sk, skb)) {
		struct xtcp_snd_state *st = xtcp_st(skb);

		xs->rtx_hint = skb;

		if ((st->state & (XTCP_SKB_LOST | XTCP_SKB_RTX_OUT)) !=
		    XTCP_SKB_LOST)
			continue;
		if (xtcp_in_flight(xs) >= xs->cwnd)
			break;
		/* The rest of a cut skb stays lost, for the next ACK's room,
		 * and what lies past a shrunk window waits for it to open.
		 */
		skb = xtcp_fit_rwnd_resend(sk, skb);
		if (!skb)
			break;
		xs->rtx_hint = skb;
		skb = xtcp_fit_cwnd(sk, skb, false);
		xs->rtx_hint = skb;
		st = xtcp_st(skb);
		if (xtcp_resend_skb(sk, skb))
			break;
		if (!xs->retrans_ts && (xs->opts & XTCP_OPT_TS))
			xs->retrans_ts = xtcp_ts_now(xs) ?: 1;
		st->state |= XTCP_SKB_RTX_OUT;
		xs->retrans_out += st->pcount;
	}
}
