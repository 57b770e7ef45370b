// SPDX-License-Identifier: GPL-2.0
/*
 * Congestion control: how the congestion window grows while ACKs come
 * back, and where it goes after a loss.  recovery.c decides when a loss
 * happened; this file only sizes the window.
 *
 * A connection starts with ten segments (RFC 6928), doubles the window
 * each round trip in slow start, and grows it by one segment a round trip
 * in congestion avoidance (RFC 5681, "reno").
 */
#include <net/sock.h>

#include "xtcp.h"

#define XTCP_INIT_CWND	10

void xtcp_cong_init(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	xs->cwnd = XTCP_INIT_CWND;
	xs->ssthresh = U32_MAX >> 1;	/* no limit until the first loss */
	xs->cwnd_cnt = 0;
	xs->ca_state = XTCP_CA_OPEN;
}

/* RFC 5681's ssthresh after a loss: half the window, at least two. */
u32 xtcp_cong_ssthresh(const struct sock *sk)
{
	return max(xtcp_sk(sk)->cwnd >> 1, 2U);
}

/* Congestion avoidance: one segment more per window acknowledged. */
static void xtcp_reno_avoid(struct xtcp_sock *xs, u32 acked)
{
	xs->cwnd_cnt += acked;
	if (xs->cwnd_cnt >= xs->cwnd) {
		xs->cwnd_cnt -= xs->cwnd;
		xs->cwnd++;
	}
}

/*
 * @acked segments were newly acknowledged while @in_flight were out.  The
 * window grows only when it was what limited the sender; an application
 * that writes little would otherwise inflate it without any evidence that
 * the path can take it.
 */
void xtcp_cong_on_ack(struct sock *sk, u32 acked, u32 in_flight)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	bool slow_start = xs->cwnd < xs->ssthresh;

	if (in_flight < xs->cwnd && !(slow_start && 2 * in_flight >= xs->cwnd))
		return;
	if (slow_start) {
		u32 room = xs->ssthresh - xs->cwnd;

		xs->cwnd += min(acked, room);
		acked -= min(acked, room);
		if (!acked)
			goto out;
	}
	xtcp_reno_avoid(xs, acked);
out:
	xtcp_sndbuf_follow_cwnd(sk, xs->cwnd);
}
