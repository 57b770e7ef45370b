// SPDX-License-Identifier: GPL-2.0
/*
 * A full socket's timers, run in softirq context:
 * - retransmission: resends the oldest unacknowledged segment, doubling
 *   the timeout each time (RFC 6298 section 5), until the state's retry
 *   limit, or TCP_USER_TIMEOUT, ends the connection with ETIMEDOUT (or
 *   what an ICMP said);
 * - delayed ACK: an ACK owed for at most 40 ms, so that a reply or a FIN
 *   can carry it instead.
 *
 * (An orphan's wait in FIN_WAIT_2 is a TIME_WAIT-table entry's, in
 * minisocks.c, as in Linux.)
 *
 * - keep-alive.
 *
 * Each is a deadline on ktime_get()'s clock (0: not set), and one hrtimer
 * serves the three, armed for the earliest.  The hrtimer moves only when
 * a deadline comes before it: the retransmission timer, restarted by
 * every ACK (RFC 6298 section 5.3), only moves its deadline later, and a
 * timer stopped only clears its deadline, so neither costs an hrtimer
 * operation.  The hrtimer then fires early, finds nothing due, and is
 * armed again for what is set, at most once per timeout, where Linux
 * keeps icsk_timeout beside its timer for the same saving
 * (tcp_rearm_rto()).
 *
 * A pending hrtimer holds a socket reference.  When it fires while the
 * socket's owner holds its lock, the work is deferred to release_sock()
 * through xtcp_release_cb(), the way Linux's own protocols do it.
 */
#include <linux/hrtimer.h>
#include <net/sock.h>

#include "xtcp.h"

/*
 * (Re)starts the hrtimer for @when; a pending hrtimer holds one
 * reference.  One we take off the queue passes its reference on.  While
 * its callback runs (-1), it may be queued again already, by the callback
 * itself re-arming it twice say, or by us earlier under the same socket
 * lock: then it has its reference, and cannot expire before the callback
 * returns.  Bottom halves stay off so that this holds between the two
 * looks at the timer.
 */
static void xtcp_hrtimer_start(struct sock *sk, u64 when)
{
	struct hrtimer *t = &xtcp_sk(sk)->timer;
	int ret;

	local_bh_disable();
	ret = hrtimer_try_to_cancel(t);
	if (!ret || (ret < 0 && !hrtimer_is_queued(t)))
		sock_hold(sk);
	hrtimer_start(t, ns_to_ktime(when), HRTIMER_MODE_ABS_SOFT);
	local_bh_enable();
}

/* Something is due at @when: the hrtimer moves only if it comes later. */
static void xtcp_timer_due(struct sock *sk, u64 when)
{
	struct hrtimer *t = &xtcp_sk(sk)->timer;

	if (hrtimer_is_queued(t) && ktime_to_ns(hrtimer_get_expires(t)) <= when)
		return;
	xtcp_hrtimer_start(sk, when);
}

/* Sets the deadline @at to @ns after @now. */
static void xtcp_timer_set_from(struct sock *sk, u64 *at, u64 now, u64 ns)
{
	u64 when = now + max_t(u64, ns, 1);

	WRITE_ONCE(*at, when);
	xtcp_timer_due(sk, when);
}

/*
 * Sets the deadline @at to @ns after the clock the current event read
 * (xtcp_clock_refresh()): the retransmission and delayed-ACK timers are
 * armed only while a segment, a send or a timer is handled, each of
 * which reads the clock as it begins, as the send times it stamps need.
 * One read per event, as Linux's tcp_mstamp_refresh().
 */
static void xtcp_timer_set(struct sock *sk, u64 *at, u64 ns)
{
	xtcp_timer_set_from(sk, at, xtcp_sk(sk)->clock_ns, ns);
}

/* Keep-alive's deadlines: also set from a socket option, off any event. */
static void xtcp_keepalive_set(struct sock *sk, u64 ns)
{
	xtcp_timer_set_from(sk, &xtcp_sk(sk)->keepalive_at, ktime_get_ns(), ns);
}

/* Clears the deadline @at; the hrtimer, if set for it, fires for naught. */
static void xtcp_timer_clear(u64 *at)
{
	WRITE_ONCE(*at, 0);
}

/* How long until deadline @at (for /proc and sock_diag), 0 when due or
 * not set.
 */
u64 xtcp_timer_left_ns(const u64 *at)
{
	u64 when = READ_ONCE(*at), now = ktime_get_ns();

	return when > now ? when - now : 0;
}
EXPORT_SYMBOL_GPL(xtcp_timer_left_ns);

u64 xtcp_rto_initial_ns(const struct net *net)
{
	return (u64)READ_ONCE(xtcp_sysctl(net)->rto_initial_ms) * NSEC_PER_MSEC;
}

u64 xtcp_rto_max_ns(const struct net *net)
{
	return (u64)READ_ONCE(xtcp_sysctl(net)->rto_max_ms) * NSEC_PER_MSEC;
}

/* A timeout: the next waits twice as long (RFC 6298 section 5.5). */
static void xtcp_backoff_rto(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	xtcp_rto_set(xs, min(xtcp_rto_ns(xs) * 2,
			     xtcp_rto_max_ns(sock_net(sk))));
	if (xs->backoff < U8_MAX)
		xs->backoff++;
}

/*
 * The peer stopped answering: the connection ends with ETIMEDOUT, or
 * with the error an ICMP message reported meanwhile (sk_err_soft, RFC
 * 1122 section 4.2.3.9), which says more, as Linux's tcp_write_err().
 */
static void xtcp_write_err(struct sock *sk)
{
	xtcp_reset(sk, READ_ONCE(sk->sk_err_soft) ?: ETIMEDOUT);
}

static u32 xtcp_rto_min_us(const struct sock *sk)
{
	return READ_ONCE(xtcp_sysctl(sock_net(sk))->rto_min_ms) * USEC_PER_MSEC;
}

/*
 * RTO = SRTT + RTTVAR, where RTTVAR stands for RFC 6298's 4 * RTTVAR and
 * is never below net.xtcp.rto_min_ms (Linux's 200 ms, where the RFC says
 * an RTO of 1 s): as in Linux, the floor is on the variance term, so a
 * long path's RTO keeps 200 ms of slack above its SRTT.  At most
 * rto_max_ms; the initial RTO until the first sample.
 */
void xtcp_set_rto(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u64 rto;

	if (!xs->srtt_us) {
		xtcp_rto_set(xs, xtcp_rto_initial_ns(sock_net(sk)));
		return;
	}
	rto = ((u64)xs->srtt_us + xs->rttvar_us) * NSEC_PER_USEC;
	xtcp_rto_set(xs, min(rto, xtcp_rto_max_ns(sock_net(sk))));
}

/*
 * RFC 6298 section 5.7, as Linux's tcp_init_metrics(): a handshake that
 * gave no RTT sample (its SYN or SYN-ACK was resent, or it ended with a
 * syncookie) starts the data with a conservative RTO, so that the first
 * data segment is not resent as spuriously as the SYN may have been.
 * Linux's TCP_TIMEOUT_FALLBACK is 3 s, three times its initial RTO;
 * XTCP's initial RTO is a sysctl, so three times that (3 s by default).
 */
void xtcp_rto_established(struct sock *sk)
{
	const struct net *net = sock_net(sk);

	if (xtcp_sk(sk)->srtt_us)
		return;
	xtcp_rto_set(xtcp_sk(sk), min(3 * xtcp_rto_initial_ns(net),
				      xtcp_rto_max_ns(net)));
}

/*
 * The deviation of one sample @r from SRTT (RFC 6298 section 2.3, in
 * units of 4 * RTTVAR): a sample below SRTT by more than the deviation
 * counts an eighth as much, since a faster round trip is no reason for a
 * longer timeout.  RTTVAR follows the largest deviation of each round
 * trip: up at once, down by a quarter of the way once per round trip,
 * so that one quiet round trip does not shrink the timeout under the
 * next burst of queueing (Linux's mdev_max).
 */
static void xtcp_rtt_deviation(struct sock *sk, u32 r)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	s32 err = (s32)(r - xs->srtt_us);

	if (err < 0) {
		err = -err - (s32)(xs->mdev_us / 4);
		if (err > 0)
			err /= 8;
	} else {
		err -= xs->mdev_us / 4;
	}
	xs->mdev_us += err;
	if (xs->mdev_us > xs->mdev_max_us) {
		xs->mdev_max_us = xs->mdev_us;
		xs->rttvar_us = max(xs->rttvar_us, xs->mdev_max_us);
	}
	if (xtcp_after(xs->snd_una, xs->rtt_seq)) {
		if (xs->mdev_max_us < xs->rttvar_us)
			xs->rttvar_us -= (xs->rttvar_us - xs->mdev_max_us) / 4;
		xs->rtt_seq = xs->snd_nxt;
		xs->mdev_max_us = xtcp_rto_min_us(sk);
		xs->cwnd_limited = 0;	/* a new round trip's to show */
	}
}

/* One round-trip measurement, RFC 6298 section 2.2 and 2.3. */
void xtcp_rtt_sample(struct sock *sk, u64 rtt_ns)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 r = max_t(u32, div_u64(rtt_ns, NSEC_PER_USEC), 1);

	if (!xs->srtt_us) {
		xs->srtt_us = r;
		xs->mdev_us = 2 * r;
		xs->mdev_max_us = max(xs->mdev_us, xtcp_rto_min_us(sk));
		xs->rttvar_us = xs->mdev_max_us;
		xs->rtt_seq = xs->snd_nxt;
	} else {
		xtcp_rtt_deviation(sk, r);
		xs->srtt_us = max_t(s32, (s32)xs->srtt_us +
				    ((s32)(r - xs->srtt_us)) / 8, 1);
	}
	xtcp_stats_rtt(xs, r);
	xtcp_cong_rtt_sample(sk, r);
	xtcp_set_rto(sk);
	xs->backoff = 0;
}

/* Sets the retransmission timer @ns from now, for @event. */
static void xtcp_arm_rtx_for(struct sock *sk, u8 event, u64 ns)
{
	xtcp_sk(sk)->timer_event = event;
	xtcp_timer_set(sk, &xtcp_sk(sk)->rtx_at, ns);
}

void xtcp_arm_rtx(struct sock *sk)
{
	xtcp_arm_rtx_for(sk, XTCP_TIMER_RTO, xtcp_rto_ns(xtcp_sk(sk)));
}

/* RACK's reordering window for the segments still in doubt ends in @ns. */
void xtcp_arm_reo(struct sock *sk, u64 ns)
{
	xtcp_arm_rtx_for(sk, XTCP_TIMER_REO, ns);
}

/*
 * The tail-loss probe's timer (RFC 8985 section 7.2), as Linux sets it:
 * two SRTTs, plus the delayed-ACK allowance (rto_min_ms) when a single
 * segment is out, since its ACK may be one the peer delays, or 2 ms
 * otherwise; 1 s without an RTT sample; never later than the RTO would
 * fire (the RTO counts from now after an ACK, @after_ack, else from the
 * oldest segment's send).  Only in the open state, with SACK, while
 * segments are out and net.xtcp.recovery asks for RACK-TLP.  False
 * when no probe is due: the caller sets the RTO instead.
 */
bool xtcp_schedule_loss_probe(struct sock *sk, bool after_ack)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *head = skb_peek(&sk->sk_write_queue);
	u64 pto, rto_left = xtcp_rto_ns(xs);

	if (!xtcp_rack_on(sk) || !xs->packets_out || !head ||
	    xs->ca_state != XTCP_CA_OPEN)
		return false;
	if (!xs->srtt_us) {
		pto = NSEC_PER_SEC;
	} else {
		pto = 2ULL * xs->srtt_us * NSEC_PER_USEC;
		if (xs->packets_out == 1)
			pto += (u64)READ_ONCE(xtcp_sysctl(sock_net(sk))->rto_min_ms) *
			       NSEC_PER_MSEC;
		else
			pto += 2 * NSEC_PER_MSEC;
	}
	if (!after_ack) {
		s64 left = XTCP_SKB_CB(head)->header.out.sent_ns +
			   xtcp_rto_ns(xs) -
			   xs->clock_ns;

		rto_left = max_t(s64, left, 1);
	}
	xtcp_arm_rtx_for(sk, XTCP_TIMER_TLP, min(pto, rto_left));
	return true;
}

/* A newly sent segment starts the timer unless it already runs for an
 * older one (RFC 6298 section 5.1).
 */
void xtcp_arm_rtx_if_idle(struct sock *sk)
{
	if (!xtcp_sk(sk)->rtx_at)
		xtcp_arm_rtx(sk);
}

void xtcp_stop_rtx(struct sock *sk)
{
	xtcp_timer_clear(&xtcp_sk(sk)->rtx_at);
}

/* An ACK is owed: it goes within @ns unless data or a FIN carries it. */
void xtcp_arm_delack_for(struct sock *sk, u64 ns)
{
	xtcp_sk(sk)->ack_pending = 1;
	xtcp_timer_set(sk, &xtcp_sk(sk)->delack_at, ns);
}

/* The first ACK owed sets the delay; the next ones wait with it. */
void xtcp_arm_delack(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	xs->ack_pending = 1;
	if (!xs->delack_at)
		xtcp_timer_set(sk, &xs->delack_at, XTCP_DELACK_NS);
}

void xtcp_stop_delack(struct sock *sk)
{
	xtcp_sk(sk)->ack_pending = 0;
	xtcp_timer_clear(&xtcp_sk(sk)->delack_at);
}

/* The socket closes: nothing is due any more, and the hrtimer goes. */
void xtcp_timers_stop(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	xtcp_timer_clear(&xs->rtx_at);
	xtcp_timer_clear(&xs->delack_at);
	xtcp_timer_clear(&xs->keepalive_at);
	xs->ack_pending = 0;
	if (hrtimer_try_to_cancel(&xs->timer) == 1)
		__sock_put(sk);
}

/* How many retransmissions the state allows before giving up. */
static int xtcp_retry_limit(const struct sock *sk)
{
	const struct xtcp_sysctl *sc = xtcp_sysctl(sock_net(sk));

	if (sk->sk_state == TCP_SYN_SENT)
		return READ_ONCE(xtcp_sk(sk)->syn_retries) ?:
		       READ_ONCE(sc->syn_retries);
	if (sk->sk_state == TCP_SYN_RECV)
		return READ_ONCE(sc->synack_retries);
	if (sock_flag(sk, SOCK_DEAD))
		return READ_ONCE(sc->orphan_retries);
	return READ_ONCE(sc->retries2);
}

/*
 * An orphan's probes (Linux's tcp_orphan_retries()): orphan_retries, or 8
 * when that is 0 and the backed-off RTO has not reached rto_max_ms.
 */
static int xtcp_orphan_retries(const struct sock *sk, bool alive)
{
	int retries = READ_ONCE(xtcp_sysctl(sock_net(sk))->orphan_retries);

	return !retries && alive ? 8 : retries;
}

/* TCP_USER_TIMEOUT, in ns; 0 when unset. */
static u64 xtcp_user_timeout_ns(const struct sock *sk)
{
	return (u64)READ_ONCE(xtcp_sk(sk)->user_timeout) * NSEC_PER_MSEC;
}

/* Whether TCP_USER_TIMEOUT is set and has passed since @stamp (0: not
 * started).
 */
static bool xtcp_user_timeout_passed(const struct sock *sk, u32 stamp)
{
	u64 ut = xtcp_user_timeout_ns(sk);

	return ut && stamp &&
	       xtcp_ms_age_ns(xtcp_sk(sk)->clock_ns, stamp) >= (s64)ut;
}

/*
 * @ns, but no later than TCP_USER_TIMEOUT after @stamp, so that the
 * connection ends when the user asked rather than at the next backed-off
 * expiry (Linux's tcp_clamp_rto_to_user_timeout() and
 * tcp_clamp_probe0_to_user_timeout()).
 */
static u64 xtcp_clamp_to_user_timeout(const struct sock *sk, u32 stamp,
				      u64 ns)
{
	u64 ut = xtcp_user_timeout_ns(sk);
	s64 age = xtcp_ms_age_ns(xtcp_sk(sk)->clock_ns, stamp);

	if (!ut || !stamp || age < 0)
		return ns;
	if (age >= (s64)ut)
		return 1;	/* due already: at once */
	return min(ns, ut - age);
}

/*
 * Has the peer been silent for too long (Linux's tcp_write_timeout())?
 * While connecting: the state's retry count, or TCP_USER_TIMEOUT since
 * the first SYN, whichever ends first.  Once connected, a user timeout
 * since the first resend of what is outstanding replaces the retry
 * count (retries2, orphan_retries) altogether, as in Linux: a long one
 * keeps resending past retries2.
 */
static bool xtcp_write_timed_out(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	bool opening = (1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV);

	if ((opening || !xtcp_user_timeout_ns(sk)) &&
	    xs->retransmits >= xtcp_retry_limit(sk))
		return true;
	return xs->retransmits &&
	       xtcp_user_timeout_passed(sk, xs->retrans_stamp);
}

/*
 * The persist timer's interval: the RTO doubled for every unanswered
 * probe (backoff) up to rto_max_ms, as Linux's tcp_probe0_when(), the
 * RTO itself left as the RTT made it, for the data once the window opens
 * (an ACK of that data may not bring a sample to reset it: Karn).
 */
static u64 xtcp_probe_interval(const struct sock *sk)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);
	u64 max = xtcp_rto_max_ns(sock_net(sk));
	u64 rto = xtcp_rto_ns(xs);
	u8 shift = min_t(u8, xs->backoff, 32);

	return rto > (max >> shift) ? max : rto << shift;
}

/*
 * The persist timer (the retransmission timer while nothing is in flight
 * but data waits for the peer's window): probe for a window update, with
 * the same backoff.  A peer that answers resets probes_out; one that
 * stays silent for the retry limit's probes is gone.  An orphan whose
 * peer answers every probe with a zero window would live for ever: once
 * its interval has backed off to rto_max_ms, it ends after
 * orphan_retries backoffs, answered or not (tcp_probe_timer()); so does
 * any socket TCP_USER_TIMEOUT after its first probe.
 *
 * The same timer sends a partial segment that TCP_CORK or MSG_MORE held
 * back while nothing was in flight, one RTO after it was held, as
 * Linux's probe timer does (the "200 ms ceiling" of tcp(7)).
 */
static void xtcp_persist_expired(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	int limit = xtcp_retry_limit(sk);

	if (!xs->probe_stamp) {
		xs->probe_stamp = xtcp_ms_stamp(xs->clock_ns);
	} else if (xtcp_user_timeout_passed(sk, xs->probe_stamp)) {
		xtcp_write_err(sk);
		return;
	}
	if (sock_flag(sk, SOCK_DEAD)) {
		bool alive = xtcp_probe_interval(sk) <
			     xtcp_rto_max_ns(sock_net(sk));

		limit = xtcp_orphan_retries(sk, alive);
		if (!alive && xs->backoff >= limit) {
			xtcp_write_err(sk);
			return;
		}
		if (xtcp_orphan_out_of_resources(sk))
			return;
	}
	if (xs->probes_out >= limit) {
		xtcp_write_err(sk);
		return;
	}
	xtcp_send_window_probe(sk);
	if (xs->packets_out) {
		/* Data went: the retransmission timer watches it now
		 * (tcp_send_probe0()).
		 */
		xs->probes_out = 0;
		return;
	}
	xs->probes_out++;
	if (xs->backoff < U8_MAX)
		xs->backoff++;
	xtcp_arm_rtx_for(sk, XTCP_TIMER_RTO,
			 xtcp_clamp_to_user_timeout(sk, xs->probe_stamp,
						    xtcp_probe_interval(sk)));
}

/*
 * Has a window shrunk to zero under our data been probed for too long
 * (Linux's tcp_rtx_probe0_timed_out())?  Only when the peer has been
 * silent for twice rto_max_ms (Linux's 2 * TCP_RTO_MAX: 240 s by
 * default) and the first resend is that old too: a peer that answers
 * the probes keeps the connection (RFC 9293 MUST-37), however long its
 * window stays shut.  TCP_USER_TIMEOUT shortens both, and ends the
 * connection that long after the first resend even while the peer
 * answers, as Linux's: the user wants progress, not answers.  (6.1
 * compares that first-resend age in jiffies with the milliseconds of
 * TCP_USER_TIMEOUT, so at HZ=250 it waits four times as long; 6.12
 * compares milliseconds, as here.)
 */
static bool xtcp_rtx_probe0_timed_out(const struct sock *sk)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);
	const struct sk_buff *head = skb_peek(&sk->sk_write_queue);
	u64 limit = 2 * xtcp_rto_max_ns(sock_net(sk));
	u64 ut = xtcp_user_timeout_ns(sk);
	s64 rtx_age = 0, quiet;

	if (xs->retrans_stamp)
		rtx_age = xtcp_ms_age_ns(xs->clock_ns, xs->retrans_stamp);
	else if (head)
		rtx_age = xs->clock_ns - XTCP_SKB_CB(head)->header.out.sent_ns;
	if (ut) {
		if (rtx_age > (s64)ut)
			return true;
		limit = min(limit, ut);
	}
	/* The peer may have spoken after this clock was read. */
	quiet = xtcp_ms_age_ns(xs->clock_ns, xs->rcv_tstamp);
	if (quiet <= (s64)limit)
		return false;
	return rtx_age > (s64)limit;
}

/*
 * The peer shrank its window to zero with our data in flight: the
 * resends of the oldest segment are its zero-window probes (RFC 9293
 * section 3.8.6.1), and, as Linux's tcp_retransmit_timer(), they count
 * toward no retry limit (SHLD-17: data past the right edge is no reason
 * to give up), only the peer's silence does.  Not for an orphan, which
 * may not live for ever behind a shut window (it ends by
 * orphan_retries), nor while connecting.
 */
static bool xtcp_probing_shrunk_window(const struct sock *sk)
{
	return !xtcp_sk(sk)->snd_wnd && !sock_flag(sk, SOCK_DEAD) &&
	       !((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV));
}

/*
 * One probe of a window shrunk to zero: the oldest segment again, the
 * RTO doubled for the next, but neither the retransmission count nor
 * the backoff raised (Linux 6.1, which jumps past icsk_backoff++; 6.12
 * raises icsk_backoff here, and so tcpi_backoff).
 */
static void xtcp_probe_shrunk_window(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (xtcp_rtx_probe0_timed_out(sk)) {
		xtcp_write_err(sk);
		return;
	}
	xtcp_enter_loss(sk);
	xtcp_push(sk);
	xtcp_rto_set(xs, min(xtcp_rto_ns(xs) * 2,
			     xtcp_rto_max_ns(sock_net(sk))));
	xtcp_arm_rtx_for(sk, XTCP_TIMER_RTO,
			 xtcp_clamp_to_user_timeout(sk, xs->retrans_stamp,
						    xtcp_rto_ns(xs)));
}

/*
 * RFC 9293 MUST-20: at R1 the path may be at fault, and IP is told so
 * (negative advice), as Linux's tcp_write_timeout() does: from the
 * third timeout in a row on, and at every resend of a SYN.  IPv4 then
 * drops the socket's route if a redirect or a learned MTU made it; the
 * socket routes afresh before the resend (a SYN's MSS comes from it).
 */
static void xtcp_route_in_doubt(struct sock *sk)
{
	u8 n = xtcp_sk(sk)->retransmits;

	if (n < XTCP_RETRIES1 &&
	    !(n && (1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV)))
		return;
	__dst_negative_advice(sk);
	if (!__sk_dst_get(sk))
		xtcp_route_connected(sk);	/* if none, IP says so at xmit */
}

static void xtcp_rtx_expired(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (sk->sk_state == TCP_CLOSE || sk->sk_state == TCP_LISTEN)
		return;
	if (xs->snd_una == xs->snd_nxt) {
		if (xs->send_head)
			xtcp_persist_expired(sk);
		return;
	}

	if (xs->timer_event == XTCP_TIMER_TLP) {
		xtcp_send_loss_probe(sk);
		return;
	}
	if (xs->timer_event == XTCP_TIMER_REO) {
		xtcp_rack_timeout(sk);
		return;
	}
	if (xtcp_probing_shrunk_window(sk)) {
		xtcp_probe_shrunk_window(sk);
		return;
	}
	if (xtcp_write_timed_out(sk)) {
		xtcp_write_err(sk);
		return;
	}
	if (sock_flag(sk, SOCK_DEAD) && xtcp_orphan_out_of_resources(sk))
		return;
	XTCP_INC_STATS(sock_net(sk), XTCP_MIB_TIMEOUTS);
	xtcp_stats_rto(xs);
	xtcp_route_in_doubt(sk);
	xtcp_mtu_black_hole(sk);
	xtcp_enter_loss(sk);
	xtcp_push(sk);
	xs->retransmits++;
	xtcp_backoff_rto(sk);
	xtcp_arm_rtx_for(sk, XTCP_TIMER_RTO,
			 xtcp_clamp_to_user_timeout(sk, xs->retrans_stamp,
						    xtcp_rto_ns(xs)));
}

int xtcp_keepidle(const struct sock *sk)
{
	return xtcp_sk(sk)->keepidle ?:
	       READ_ONCE(xtcp_sysctl(sock_net(sk))->keepalive_time);
}

int xtcp_keepintvl(const struct sock *sk)
{
	return xtcp_sk(sk)->keepintvl ?:
	       READ_ONCE(xtcp_sysctl(sock_net(sk))->keepalive_intvl);
}

int xtcp_keepcnt(const struct sock *sk)
{
	return xtcp_sk(sk)->keepcnt ?:
	       READ_ONCE(xtcp_sysctl(sock_net(sk))->keepalive_probes);
}

/* Keep-alive matters while the connection is up and might idle. */
static bool xtcp_keepalive_state(const struct sock *sk)
{
	return (1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT |
				      TCPF_FIN_WAIT2);
}

/* (Re)starts keep-alive's idle wait, for SO_KEEPALIVE sockets. */
void xtcp_keepalive_reset(struct sock *sk)
{
	if (!sock_flag(sk, SOCK_KEEPOPEN) || !xtcp_keepalive_state(sk))
		return;
	xtcp_keepalive_set(sk, (u64)xtcp_keepidle(sk) * NSEC_PER_SEC);
}

/* SO_KEEPALIVE: the socket layer sets the flag; we run the timer. */
void xtcp_set_keepalive(struct sock *sk, int on)
{
	if (on) {
		sock_set_flag(sk, SOCK_KEEPOPEN);
		xtcp_keepalive_reset(sk);
	} else {
		xtcp_timer_clear(&xtcp_sk(sk)->keepalive_at);
	}
}

/*
 * Keep-alive gives up after keepcnt unanswered probes; with
 * TCP_USER_TIMEOUT, once that long passed without a word from the peer
 * and a probe is out, whatever keepcnt says (tcp_keepalive_timer()).
 */
static bool xtcp_keepalive_gave_up(const struct sock *sk, u64 quiet)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);
	u64 ut = xtcp_user_timeout_ns(sk);

	if (ut)
		return quiet >= ut && xs->probes_out;
	return xs->probes_out >= xtcp_keepcnt(sk);
}

/*
 * RFC 9293 section 3.8.4 (and RFC 1122 4.2.3.6): after keepidle seconds
 * with nothing from the peer and nothing of ours in flight, a probe every
 * keepintvl seconds; keepcnt unanswered probes end the connection with
 * ETIMEDOUT.  Anything from the peer counts as an answer.
 */
static void xtcp_keepalive_expired(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u64 idle_ns = (u64)xtcp_keepidle(sk) * NSEC_PER_SEC;
	u64 quiet = max_t(s64, xtcp_ms_age_ns(ktime_get_ns(), xs->rcv_tstamp),
			  0);

	if (!sock_flag(sk, SOCK_KEEPOPEN) || !xtcp_keepalive_state(sk))
		return;
	if (xs->packets_out || xs->send_head) {
		/* Data in flight: the retransmission timer watches. */
		xtcp_keepalive_set(sk, idle_ns);
		return;
	}
	if (quiet < idle_ns) {
		xtcp_keepalive_set(sk, idle_ns - quiet);
		return;
	}
	if (xtcp_keepalive_gave_up(sk, quiet)) {
		/* As Linux: the peer may yet hear that we gave up. */
		xtcp_send_active_reset(sk, GFP_ATOMIC);
		xtcp_write_err(sk);
		return;
	}
	xtcp_send_probe(sk);
	xs->probes_out++;
	xtcp_keepalive_set(sk, (u64)xtcp_keepintvl(sk) * NSEC_PER_SEC);
}

/* No reply carried the ACK in time: it goes alone, and an interactive
 * session's ACKs stop waiting for replies (as Linux leaves pingpong).
 */
static void xtcp_delack_expired(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (!xs->ack_pending)
		return;
	xs->pingpong = 0;
	xtcp_send_ack(sk);
}

/* Takes deadline @at if it has passed: its timer is due. */
static bool xtcp_timer_take(u64 *at, u64 now)
{
	if (!*at || *at > now)
		return false;
	WRITE_ONCE(*at, 0);
	return true;
}

/*
 * The hrtimer fired: whatever is due runs, and the hrtimer is armed again
 * for the earliest deadline left (a handler that set one armed it
 * already).  A due delayed ACK goes first, so that a resend it would
 * carry does not wait for it.
 */
static void xtcp_timers_expired(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u64 now = xs->clock_ns, next = U64_MAX;

	if (xtcp_timer_take(&xs->delack_at, now))
		xtcp_delack_expired(sk);
	if (xtcp_timer_take(&xs->rtx_at, now))
		xtcp_rtx_expired(sk);
	if (xtcp_timer_take(&xs->keepalive_at, now))
		xtcp_keepalive_expired(sk);
	if (xs->delack_at)
		next = xs->delack_at;
	if (xs->rtx_at)
		next = min(next, xs->rtx_at);
	if (xs->keepalive_at)
		next = min(next, xs->keepalive_at);
	if (next != U64_MAX)
		xtcp_timer_due(sk, next);
}

/* The work softirq context leaves for the lock's owner, by its bit of
 * sk->sk_tsq_flags (XTCP_DEFER_*); the clock is read just before each.
 */
static void (* const xtcp_deferred[])(struct sock *sk) = {
	[XTCP_DEFER_TIMER]	= xtcp_timers_expired,
	[XTCP_DEFER_MTU]	= xtcp_mtu_reduced,
	[XTCP_DEFER_TSQ]	= xtcp_tsq_write,
};

/*
 * Runs @bit's work now, or, if the owner holds the lock, at its
 * release_sock(), the socket held until then.  The caller holds the
 * socket's bh lock.
 */
void xtcp_run_or_defer(struct sock *sk, int bit)
{
	if (!sock_owned_by_user(sk)) {
		xtcp_clock_refresh(xtcp_sk(sk));
		xtcp_deferred[bit](sk);
	} else if (!test_and_set_bit(bit, &sk->sk_tsq_flags)) {
		sock_hold(sk);
	}
}

static enum hrtimer_restart xtcp_timer_fire(struct hrtimer *t)
{
	struct xtcp_sock *xs = container_of(t, struct xtcp_sock, timer);
	struct sock *sk = &xs->inet.sk;

	bh_lock_sock(sk);
	xtcp_run_or_defer(sk, XTCP_DEFER_TIMER);
	bh_unlock_sock(sk);
	sock_put(sk);
	return HRTIMER_NORESTART;
}

/* release_sock() calls this before giving up ownership. */
void xtcp_release_cb(struct sock *sk)
{
	int bit;

	for (bit = 0; bit < ARRAY_SIZE(xtcp_deferred); bit++) {
		if (!test_and_clear_bit(bit, &sk->sk_tsq_flags))
			continue;
		xtcp_clock_refresh(xtcp_sk(sk));
		xtcp_deferred[bit](sk);
		__sock_put(sk);
	}
}

void xtcp_timers_init(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	hrtimer_init(&xs->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_SOFT);
	xs->timer.function = xtcp_timer_fire;
}
