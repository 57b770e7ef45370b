// SPDX-License-Identifier: GPL-2.0
/*
 * What a socket tells about itself: TCP_INFO, TCP_CC_INFO and TCP_INQ's
 * control message, with TCP's layouts and meanings, and the few counts
 * and times TCP_INFO needs that the protocol itself does not keep
 * (struct xtcp_stats, updated by the input and output paths as they go).
 *
 * Every struct tcp_info field XTCP can know is filled.  These stay 0,
 * because XTCP has nothing honest to put there:
 *   tcpi_fackets, tcpi_last_ack_sent  Linux itself never fills them
 *   tcpi_delivery_rate_app_limited    samples are not marked app-limited
 *   tcpi_fastopen_client_fail         no TCP Fast Open
 *   tcpi_rcv_rtt                      the receive buffer's right-sizing
 *                                     times its round trips by SRTT, not
 *                                     a receiver-side estimate (buffer.c)
 *   tcpi_delivered_ce                 no ECN
 *   tcpi_rehash                       a connection never changes its path
 * and tcpi_ca_state is never TCP_CA_CWR: XTCP reduces its window only in
 * recovery and after a timeout (no ECN, no local congestion signal).
 *
 * The pacing rates are the socket layer's own (sk_pacing_rate, which an
 * fq qdisc honours): unlimited, ~0, unless SO_MAX_PACING_RATE lowered
 * them.  XTCP does not pace, so it reports no rate of its own, where Linux
 * TCP reports one it derives from cwnd and srtt even when nothing paces.
 */
#include <linux/tcp.h>
#include <net/sock.h>

#include "xtcp.h"
#include "diag.h"

#define XTCP_MIN_RTT_WIN	(300 * HZ)	/* tcp_min_rtt_wlen's default */

/* ---- what the input and output paths record ---- */

/*
 * The connection is up: the "last data" clocks start here, as Linux's
 * do, and the peer's segment size is first guessed as small (RFC 9293's
 * default) until segments show it.  A passive open's SYN arrived, and
 * its SYN-ACK was acknowledged, before the socket existed: both count.
 */
void xtcp_stats_established(struct xtcp_sock *xs, bool passive)
{
	struct xtcp_stats *st = &xs->stats;
	u64 now = ktime_get_ns();

	st->last_data_sent = xtcp_ms_stamp(now);
	st->last_data_recv = st->last_data_sent;
	st->rcv_mss = min_t(u32, XTCP_MSS_DEFAULT, xtcp_payload_mss(xs));
	if (passive) {
		st->segs_in = 1;
		st->delivered = 1;
	}
}

/*
 * In-order data arrived in segments of @seg bytes.  The largest segment
 * seen (capped at what we offered) is the peer's MSS as far as we can
 * tell: Linux's rcv_mss estimate.
 */
void xtcp_stats_data_in(struct sock *sk, u32 seg)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	xs->stats.last_data_recv = xtcp_ms_stamp(xs->clock_ns);
	if (seg > xs->stats.rcv_mss)
		xs->stats.rcv_mss = min_t(u32, seg, xtcp_advmss(sk) ?: seg);
}

/* The least RTT of the last five minutes, as Linux's windowed min_rtt
 * (coarser: a sample older than the window is replaced by the next).
 */
void xtcp_stats_rtt(struct xtcp_sock *xs, u32 rtt_us)
{
	struct xtcp_stats *st = &xs->stats;
	u32 now = jiffies;

	if (!st->min_rtt_us || rtt_us <= st->min_rtt_us ||
	    now - st->min_rtt_stamp > XTCP_MIN_RTT_WIN) {
		st->min_rtt_us = rtt_us;
		st->min_rtt_stamp = now;
	}
}

/*
 * A delivery-rate sample, taken with each RTT sample: the bytes the peer
 * got between the sending of the segment just acknowledged (@tx_bytes,
 * the count then) and its ACK, over that time.
 */
void xtcp_stats_rate(struct xtcp_sock *xs, u32 tx_bytes, u64 rtt_ns)
{
	u32 bytes = xs->stats.delivered_bytes - tx_bytes;

	if (!bytes)
		return;
	xs->stats.rate_bytes = bytes;
	xs->stats.rate_us = max_t(u64, div_u64(rtt_ns, NSEC_PER_USEC), 1);
}

/* The ms from the stamp @then (0: never, as before a connection) to the
 * clock reading @now.
 */
static u32 xtcp_ms_since(u64 now, u32 then)
{
	s64 age = xtcp_ms_age_ns(now, then);

	if (!then || age <= 0)
		return 0;
	return div_u64(age, NSEC_PER_MSEC);
}

/* A retransmission timeout; the first of a run begins a timeout recovery. */
void xtcp_stats_rto(struct xtcp_sock *xs)
{
	struct xtcp_stats *st = &xs->stats;

	if (st->total_rto < U16_MAX)
		st->total_rto++;
	if (xs->loss_start)
		return;
	xs->loss_start = xtcp_ms_stamp(xs->clock_ns);
	if (st->total_rto_recoveries < U16_MAX)
		st->total_rto_recoveries++;
}

/* The timeout recovery ended: its time counts. */
void xtcp_stats_loss_over(struct xtcp_sock *xs)
{
	struct xtcp_stats *st = &xs->stats;

	if (!xs->loss_start)
		return;
	st->total_rto_ms += xtcp_ms_since(xs->clock_ns, xs->loss_start);
	xs->loss_start = 0;
}

/*
 * The chronograph behind tcpi_busy_time, tcpi_rwnd_limited and
 * tcpi_sndbuf_limited: the time so far goes to the old state, and @type
 * starts now.
 */
static void xtcp_chrono_set(struct xtcp_sock *xs, u8 type)
{
	struct xtcp_stats *st = &xs->stats;

	if (st->chrono == type)
		return;
	if (st->chrono != XTCP_CHRONO_IDLE)
		st->chrono_ms[st->chrono - 1] +=
			xtcp_ms_since(xs->clock_ns, st->chrono_start);
	st->chrono = type;
	st->chrono_start = xtcp_ms_stamp(xs->clock_ns);
}

/*
 * After each push, with the clock fresh: what holds the sender back now.
 * Nothing queued or unacknowledged (or no connection) is idle; data that
 * the peer's window keeps back (@rwnd_limited) is RWND; everything queued
 * already sent while the writer waits for room (SOCK_NOSPACE) means the
 * send buffer is what limits, SNDBUF; otherwise the congestion window or
 * the ACKs pace it, BUSY.
 */
void xtcp_chrono_update(struct sock *sk, bool rwnd_limited)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u8 type = XTCP_CHRONO_BUSY;

	if (xs->snd_una == xs->write_seq ||
	    !((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT |
				     TCPF_FIN_WAIT1 | TCPF_CLOSING |
				     TCPF_LAST_ACK)))
		type = XTCP_CHRONO_IDLE;
	else if (rwnd_limited)
		type = XTCP_CHRONO_RWND;
	else if (!xs->send_head && sk->sk_socket &&
		 test_bit(SOCK_NOSPACE, &sk->sk_socket->flags))
		type = XTCP_CHRONO_SNDBUF;
	xtcp_chrono_set(xs, type);
}

/* ---- TCP_INFO ---- */

/* Linux reports an unlimited pacing rate (~0UL) as ~0ULL. */
static u64 xtcp_rate64(unsigned long rate)
{
	return rate == ~0UL ? ~0ULL : rate;
}

/*
 * Linux's states.  OPEN is DISORDER while the peer has shown something
 * out of order: SACKed (or, without SACK, duplicate-ACKed) segments,
 * segments presumed lost or resent, or a resent one still unacknowledged
 * after a recovery was undone.
 */
static u8 xtcp_info_ca_state(const struct sock *sk)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *head;

	if (xs->ca_state == XTCP_CA_LOSS)
		return TCP_CA_Loss;
	if (xs->ca_state == XTCP_CA_RECOVERY)
		return TCP_CA_Recovery;
	if (xs->sacked_out || xs->lost_out || xs->retrans_out)
		return TCP_CA_Disorder;
	head = skb_peek(&sk->sk_write_queue);
	if (head && head != xs->send_head &&
	    (XTCP_SKB_CB(head)->header.out.state & XTCP_SKB_RETRANS))
		return TCP_CA_Disorder;
	return TCP_CA_Open;
}

/* What both SYNs agreed on, the timers, the segment sizes. */
static void xtcp_info_conn(struct sock *sk, struct tcp_info *info)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	info->tcpi_ca_state = xtcp_info_ca_state(sk);
	info->tcpi_retransmits = xs->retransmits;
	info->tcpi_probes = xs->probes_out;
	info->tcpi_backoff = xs->backoff;
	if (xs->opts & XTCP_OPT_TS)
		info->tcpi_options |= TCPI_OPT_TIMESTAMPS;
	if (xs->opts & XTCP_OPT_SACK)
		info->tcpi_options |= TCPI_OPT_SACK;
	if (xs->opts & XTCP_OPT_WSCALE) {
		info->tcpi_options |= TCPI_OPT_WSCALE;
		info->tcpi_snd_wscale = xs->snd_wscale;
		info->tcpi_rcv_wscale = xs->rcv_wscale;
	}
	info->tcpi_rto = xs->rto_us;
	/* The delayed-ACK timeout is fixed (Linux's starting value). */
	info->tcpi_ato = div_u64(XTCP_DELACK_NS, NSEC_PER_USEC);
	info->tcpi_snd_mss = xtcp_payload_mss(xs);
	info->tcpi_rcv_mss = xs->stats.rcv_mss;
	info->tcpi_advmss = xtcp_advmss(sk);
	if (__sk_dst_get(sk))
		info->tcpi_pmtu = dst_mtu(__sk_dst_get(sk));
}

/* The scoreboard, the windows and the RTT. */
static void xtcp_info_windows(struct sock *sk, struct tcp_info *info)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 min_rtt = xs->stats.min_rtt_us;

	info->tcpi_unacked = xs->packets_out;
	info->tcpi_sacked = xs->sacked_out;
	info->tcpi_lost = xs->lost_out;
	info->tcpi_retrans = xs->retrans_out;
	info->tcpi_rtt = xs->srtt_us;
	info->tcpi_rttvar = xs->mdev_us / 4;	/* Linux's mdev_us >> 2 */
	info->tcpi_min_rtt = min_rtt ?: ~0U;	/* no sample yet, as Linux */
	info->tcpi_snd_ssthresh = xs->ssthresh;
	info->tcpi_snd_wnd = xs->snd_wnd;
	/* The most the window may offer with the receive buffer as it is:
	 * what bounds it, as Linux's window clamp does.
	 */
	info->tcpi_rcv_ssthresh =
		clamp_t(s64, xtcp_room_to_payload(xs, READ_ONCE(sk->sk_rcvbuf)),
			0, XTCP_RCV_WND << xs->rcv_wscale);
	info->tcpi_rcv_space = xs->rcvq_space;
	info->tcpi_notsent_bytes = max_t(int, 0, xs->write_seq - xs->snd_nxt);
	info->tcpi_total_retrans = xs->total_retrans;
}

/* The counts the paths kept, and the times since the last data. */
static void xtcp_info_counts(struct xtcp_sock *xs, struct tcp_info *info,
			     u64 now)
{
	const struct xtcp_stats *st = &xs->stats;

	info->tcpi_last_data_sent = xtcp_ms_since(now, st->last_data_sent);
	info->tcpi_last_data_recv = xtcp_ms_since(now, st->last_data_recv);
	info->tcpi_last_ack_recv = xtcp_ms_since(now, xs->rcv_tstamp);
	info->tcpi_bytes_acked = st->bytes_acked;
	info->tcpi_bytes_received = st->bytes_received;
	info->tcpi_bytes_sent = st->bytes_sent;
	info->tcpi_bytes_retrans = st->bytes_retrans;
	info->tcpi_segs_out = st->segs_out;
	info->tcpi_segs_in = st->segs_in;
	info->tcpi_data_segs_out = st->data_segs_out;
	info->tcpi_data_segs_in = st->data_segs_in;
	info->tcpi_delivered = st->delivered;
	info->tcpi_reord_seen = st->reord_seen;
	info->tcpi_dsack_dups = st->dsack_dups;
	info->tcpi_rcv_ooopack = st->rcv_ooopack;
	if (st->rate_us)
		info->tcpi_delivery_rate = div_u64((u64)st->rate_bytes *
						   USEC_PER_SEC, st->rate_us);
}

/* Busy time is all time with something to send or to have acknowledged,
 * the two limited times part of it; the current state's time counts.
 */
static void xtcp_info_chrono(struct xtcp_sock *xs, struct tcp_info *info,
			     u64 now)
{
	const struct xtcp_stats *st = &xs->stats;
	u64 ms[XTCP_CHRONO_MAX] = { 0 };
	int i;

	for (i = XTCP_CHRONO_BUSY; i < XTCP_CHRONO_MAX; i++)
		ms[i] = st->chrono_ms[i - 1];
	ms[st->chrono] += xtcp_ms_since(now, st->chrono_start);
	info->tcpi_busy_time = (ms[XTCP_CHRONO_BUSY] + ms[XTCP_CHRONO_RWND] +
				ms[XTCP_CHRONO_SNDBUF]) * USEC_PER_MSEC;
	info->tcpi_rwnd_limited = ms[XTCP_CHRONO_RWND] * USEC_PER_MSEC;
	info->tcpi_sndbuf_limited = ms[XTCP_CHRONO_SNDBUF] * USEC_PER_MSEC;
}

/* The fields only newer kernels' struct tcp_info has (compat.h). */
static void xtcp_info_tail(struct xtcp_sock *xs, struct tcp_info *info,
			   u64 now)
{
	const struct xtcp_stats *st = &xs->stats;
	u32 rto_ms = st->total_rto_ms;

	rto_ms += xtcp_ms_since(now, xs->loss_start);
	xtcp_info_set_rcv_wnd(info, xs->rcv_edge - xs->rcv_wup);
	xtcp_info_set_rto_stats(info, st->total_rto, st->total_rto_recoveries,
				rto_ms);
}

/*
 * TCP_INFO.  A listener reports, as Linux's, its state, window and
 * pacing defaults, and in tcpi_unacked and tcpi_sacked its accept
 * queue's length and limit.  Also sock_diag's INET_DIAG_INFO (diag.c).
 */
void xtcp_get_info(struct sock *sk, struct tcp_info *info)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u64 now;

	memset(info, 0, sizeof(*info));
	info->tcpi_state = inet_sk_state_load(sk);
	info->tcpi_pacing_rate = xtcp_rate64(READ_ONCE(sk->sk_pacing_rate));
	info->tcpi_max_pacing_rate =
		xtcp_rate64(READ_ONCE(sk->sk_max_pacing_rate));
	info->tcpi_reordering = XTCP_DUPTHRESH;	/* fixed, never adapted */
	info->tcpi_snd_cwnd = READ_ONCE(xs->cwnd);
	if (info->tcpi_state == TCP_LISTEN) {
		info->tcpi_unacked = READ_ONCE(sk->sk_ack_backlog);
		info->tcpi_sacked = READ_ONCE(sk->sk_max_ack_backlog);
		return;
	}
	lock_sock(sk);
	now = ktime_get_ns();
	xtcp_info_conn(sk, info);
	xtcp_info_windows(sk, info);
	xtcp_info_counts(xs, info, now);
	xtcp_info_chrono(xs, info, now);
	xtcp_info_tail(xs, info, now);
	info->tcpi_snd_cwnd = xs->cwnd;
	release_sock(sk);
}
EXPORT_SYMBOL_GPL(xtcp_get_info);

/*
 * getsockopt(TCP_INFO) and getsockopt(TCP_CC_INFO); @len is the caller's
 * buffer, known not negative.  TCP_CC_INFO answers with what the
 * algorithm's get_info would give: neither of XTCP's has one, as Linux's
 * cubic and reno have none, so the answer is empty (length 0), not an
 * error.
 */
int xtcp_info_getsockopt(struct sock *sk, int optname, char __user *optval,
			 int __user *optlen, int len)
{
	struct tcp_info info;

	if (optname == TCP_CC_INFO)
		return put_user(0, optlen) ? -EFAULT : 0;
	xtcp_get_info(sk, &info);
	len = min_t(unsigned int, len, sizeof(info));
	if (put_user(len, optlen) || copy_to_user(optval, &info, len))
		return -EFAULT;
	return 0;
}

/* ---- TCP_INQ ---- */

/*
 * After a recvmsg() that did not fail: the bytes still to read, for
 * io_uring (msg_inq) and, with TCP_INQ, as a TCP_CM_INQ control message.
 * As Linux counts it, after the peer's FIN it is one more than the data
 * (never 0), so that a reader knows to come back for the end of file.
 */
void xtcp_recv_inq(struct sock *sk, struct msghdr *msg)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	int inq;

	lock_sock(sk);
	inq = xs->rcv_nxt - xs->copied_seq;
	if (!inq && sock_flag(sk, SOCK_DONE))
		inq = 1;
	release_sock(sk);
	msg->msg_inq = inq;
	if (xs->recvmsg_inq)
		put_cmsg(msg, SOL_TCP, TCP_CM_INQ, sizeof(inq), &inq);
}
