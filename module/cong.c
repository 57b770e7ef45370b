// SPDX-License-Identifier: GPL-2.0
/*
 * Congestion control: how the congestion window grows while ACKs come
 * back, and where it goes after a loss.  recovery.c decides when a loss
 * happened; this file only sizes the window.
 *
 * Every connection starts with ten segments (RFC 6928) and doubles the
 * window each round trip in slow start.  Past ssthresh, the algorithm
 * that net.xtcp.congestion_control (or TCP_CONGESTION) names grows it:
 * - "reno": one segment a round trip; half the window after a loss
 *   (RFC 5681);
 * - "cubic", the default as in Linux: the window follows a cubic curve of
 *   the time since the last loss, flat around the window where that loss
 *   happened, and drops to 0.7 of it (RFC 9438).  Its slow start ends
 *   before a loss when HyStart sees the path fill, as Linux's CUBIC's.
 */
#include <linux/math64.h>
#include <net/sock.h>

#include "xtcp.h"

#define XTCP_INIT_CWND	10

/* The algorithms, as xtcp_sock.cc numbers them. */
enum {
	XTCP_CC_CUBIC,
	XTCP_CC_RENO,
};

struct xtcp_cong_ops {
	const char *name;
	u32 (*ssthresh)(struct xtcp_sock *xs);
	void (*avoid)(struct xtcp_sock *xs, u32 acked);
};

/* ---- reno ---- */

static u32 xtcp_reno_ssthresh(struct xtcp_sock *xs)
{
	return max(xs->cwnd >> 1, 2U);
}

/* Grows the window by one once @per_segment ACKed segments arrived. */
static void xtcp_cwnd_step(struct xtcp_sock *xs, u32 acked, u32 per_segment)
{
	xs->cwnd_cnt += acked;
	if (xs->cwnd_cnt >= per_segment) {
		xs->cwnd += xs->cwnd_cnt / per_segment;
		xs->cwnd_cnt %= per_segment;
	}
}

static void xtcp_reno_avoid(struct xtcp_sock *xs, u32 acked)
{
	xtcp_cwnd_step(xs, acked, xs->cwnd);
}

/* ---- cubic (RFC 9438), in whole segments and milliseconds ---- */

#define CUBIC_BETA	717	/* 0.7, /1024 */
/* The TCP-friendly estimate grows alpha = 3(1-beta)/(1+beta) = 0.53 a
 * round trip.
 */
#define CUBIC_ALPHA	542	/* /1024 */

/* The cube root of @x, rounded down. */
static u64 xtcp_cbrt(u64 x)
{
	u64 r = 0;
	int s;

	for (s = 63 / 3 * 3; s >= 0; s -= 3) {
		u64 b = 3 * r * (r + 1) + 1;

		r <<= 1;
		if ((x >> s) >= b) {
			x -= b << s;
			r++;
		}
	}
	return r;
}

/* The epoch ends: slow start or a new epoch follows, and HyStart's next
 * round starts afresh (its words held the epoch's curve).
 */
static void xtcp_cubic_end_epoch(struct xtcp_cubic *c)
{
	c->epoch_ms = 0;
	c->hs.start_us = 0;
}

static u32 xtcp_cubic_ssthresh(struct xtcp_sock *xs)
{
	struct xtcp_cubic *c = &xs->cubic;

	/* Fast convergence (RFC 9438 section 4.7): a loss below the last
	 * one's window lets newer flows have room sooner.
	 */
	if (xs->cwnd < c->w_max)
		c->w_max = xs->cwnd * (1024 + CUBIC_BETA) / 2048;
	else
		c->w_max = xs->cwnd;
	xtcp_cubic_end_epoch(c);
	/* Each slow start after a loss may end by HyStart again (Linux
	 * resets it at an RTO, the only loss slow start follows there).
	 */
	xs->hs_done = 0;
	return max(xs->cwnd * CUBIC_BETA / 1024, 2U);
}

/* A new epoch of congestion avoidance starts at this ACK. */
static void xtcp_cubic_epoch(struct xtcp_sock *xs)
{
	struct xtcp_cubic *c = &xs->cubic;

	c->epoch_ms = xtcp_ms_stamp(xs->clock_ns);
	c->w_est = xs->cwnd;
	c->est_cnt = 0;
	if (xs->cwnd < c->w_max) {
		/* K = cbrt((W_max - cwnd) / C) s, C = 0.4 */
		c->k_ms = xtcp_cbrt((u64)(c->w_max - xs->cwnd) * 2500000000ULL);
		c->origin = c->w_max;
	} else {
		c->k_ms = 0;
		c->origin = xs->cwnd;
	}
}

/* W_cubic(t) = C (t - K)^3 + origin, t in ms from the epoch. */
static u32 xtcp_cubic_target(const struct xtcp_cubic *c, s64 t_ms)
{
	s64 d = clamp_t(s64, t_ms - c->k_ms, -100000, 100000);
	s64 w = c->origin + div64_s64(4 * d * d * d, 10000000000LL);

	return clamp_t(s64, w, 1, U32_MAX >> 1);
}

static void xtcp_cubic_avoid(struct xtcp_sock *xs, u32 acked)
{
	struct xtcp_cubic *c = &xs->cubic;
	u32 target, per_segment;
	s64 t;

	if (!c->epoch_ms)
		xtcp_cubic_epoch(xs);
	/* Where the curve will be one round trip from now. */
	t = (s32)(xtcp_ms_stamp(xs->clock_ns) - c->epoch_ms) +
	    xs->srtt_us / 1000;
	target = xtcp_cubic_target(c, t);
	if (target > xs->cwnd)
		per_segment = max(xs->cwnd / (target - xs->cwnd), 1U);
	else
		per_segment = 100 * xs->cwnd;	/* near the plateau: wait */
	/* No loss yet, so no plateau known (HyStart ended slow start): at
	 * least 5 % a round trip, as Linux's bictcp_update().
	 */
	if (!c->w_max)
		per_segment = min(per_segment, 20U);

	/* The TCP-friendly region (RFC 9438 section 4.3): never slower
	 * than Reno with the same loss rate would be.
	 */
	c->est_cnt += acked * CUBIC_ALPHA;
	if (c->est_cnt >= 1024 * xs->cwnd) {
		c->w_est += c->est_cnt / (1024 * xs->cwnd);
		c->est_cnt %= 1024 * xs->cwnd;
	}
	if (c->w_est > xs->cwnd)
		per_segment = min(per_segment,
				  max(xs->cwnd / (c->w_est - xs->cwnd), 1U));
	xtcp_cwnd_step(xs, acked, per_segment);
}

/*
 * HyStart (Ha and Rhee, 2011), as Linux's CUBIC has it: slow start ends
 * when the path starts to fill, not at the loss that overfilling it
 * would cause, by either of
 * - the ACK train: the ACKs of one round trip, each within 2 ms of the
 *   one before, already span half the least RTT (plus a cushion for
 *   what GSO and GRO bunch, at most 1 ms), so the window covers the
 *   path;
 * - the delay: the least of the round's first eight RTT samples is an
 *   eighth above the least RTT seen (at least 4 ms, at most 16 ms), so
 *   a queue has begun to build.
 * Either sets ssthresh to the window; net.xtcp.hystart_detect chooses
 * (as tcp_cubic's hystart_detect; 0 turns HyStart off).
 */
#define HYSTART_LOW_WINDOW	16	/* segments: below, never */
#define HYSTART_ACK_DELTA_US	2000
#define HYSTART_MIN_SAMPLES	8
#define HYSTART_DELAY_MIN_US	4000
#define HYSTART_DELAY_MAX_US	16000

/* What GSO and GRO may bunch: four 64 KiB skbs at the send rate, <= 1 ms. */
static u32 xtcp_hystart_ack_delay(const struct sock *sk)
{
	u64 rate = xtcp_pacing_rate(xtcp_sk(sk));

	if (!rate)
		return 0;
	return min_t(u64, USEC_PER_MSEC,
		     div64_u64((u64)sk->sk_gso_max_size * 4 * USEC_PER_SEC,
			       rate));
}

static void xtcp_hystart_exit(struct sock *sk, int mib)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	xs->hs_done = 1;
	xs->ssthresh = xs->cwnd;
	XTCP_INC_STATS(sock_net(sk), mib);
	XTCP_ADD_STATS(sock_net(sk), mib + 1, xs->cwnd);
}

static void xtcp_hystart_round(struct xtcp_sock *xs, u32 now_us)
{
	xs->cubic.hs.end_seq = xs->snd_nxt;
	xs->cubic.hs.start_us = now_us;
	xs->cubic.hs.train_us = now_us;
	xs->cubic.hs.min_us = U32_MAX;
	xs->hs_samples = 0;
}

/* An RTT sample of @rtt_us in slow start, from an ACK of new data; @detect
 * is net.xtcp.hystart_detect.
 */
static void xtcp_hystart_sample(struct sock *sk, u32 rtt_us, int detect)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct xtcp_cubic *c = &xs->cubic;
	u32 now_us = xtcp_us_stamp(xs->clock_ns);
	u32 min_rtt = xs->stats.min_rtt_us, threshold;

	if (!c->hs.start_us || xtcp_after(xs->snd_una, c->hs.end_seq))
		xtcp_hystart_round(xs, now_us);
	if (xs->cwnd < HYSTART_LOW_WINDOW)
		return;
	if ((detect & XTCP_HYSTART_ACK_TRAIN) &&
	    (s32)(now_us - c->hs.train_us) <= HYSTART_ACK_DELTA_US) {
		c->hs.train_us = now_us;
		threshold = (min_rtt + xtcp_hystart_ack_delay(sk)) / 2;
		if ((s32)(now_us - c->hs.start_us) > (s32)threshold) {
			xtcp_hystart_exit(sk, XTCP_MIB_HYSTARTTRAINDETECT);
			return;
		}
	}
	if (!(detect & XTCP_HYSTART_DELAY))
		return;
	c->hs.min_us = min(c->hs.min_us, rtt_us);
	if (xs->hs_samples < HYSTART_MIN_SAMPLES) {
		xs->hs_samples++;
		return;
	}
	if (c->hs.min_us > min_rtt + clamp(min_rtt / 8, HYSTART_DELAY_MIN_US,
					   HYSTART_DELAY_MAX_US))
		xtcp_hystart_exit(sk, XTCP_MIB_HYSTARTDELAYDETECT);
}

/*
 * A round-trip sample (after the least RTT took it).  Only CUBIC's slow
 * start wants it, before this ACK grows the window, and only with no
 * epoch: one that outlived an undone recovery keeps its words.
 */
void xtcp_cong_rtt_sample(struct sock *sk, u32 rtt_us)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	int detect;

	if (xs->cc != XTCP_CC_CUBIC || xs->cwnd >= xs->ssthresh ||
	    xs->hs_done || xs->cubic.epoch_ms)
		return;
	detect = READ_ONCE(xtcp_sysctl(sock_net(sk))->hystart_detect);
	if (detect)
		xtcp_hystart_sample(sk, rtt_us, detect);
}

static const struct xtcp_cong_ops xtcp_cong_algos[] = {
	[XTCP_CC_CUBIC] = { "cubic", xtcp_cubic_ssthresh, xtcp_cubic_avoid },
	[XTCP_CC_RENO] = { "reno", xtcp_reno_ssthresh, xtcp_reno_avoid },
};

/* The algorithm called @name, or NULL. */
static const struct xtcp_cong_ops *xtcp_cong_find(const char *name)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(xtcp_cong_algos); i++)
		if (!strcmp(xtcp_cong_algos[i].name, name))
			return &xtcp_cong_algos[i];
	return NULL;
}

bool xtcp_cong_known(const char *name)
{
	return xtcp_cong_find(name);
}

const char *xtcp_cong_name(const struct sock *sk)
{
	return xtcp_cong_algos[xtcp_sk(sk)->cc].name;
}
EXPORT_SYMBOL_GPL(xtcp_cong_name);

/* TCP_CONGESTION: ENOENT for a name XTCP has no algorithm for, as TCP. */
int xtcp_cong_set(struct sock *sk, const char *name)
{
	const struct xtcp_cong_ops *ops = xtcp_cong_find(name);

	if (!ops)
		return -ENOENT;
	xtcp_sk(sk)->cc = ops - xtcp_cong_algos;
	memset(&xtcp_sk(sk)->cubic, 0, sizeof(xtcp_sk(sk)->cubic));
	return 0;
}

/* A new connection's window; the algorithm the socket chose stays. */
void xtcp_cong_reset(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	xs->cwnd = XTCP_INIT_CWND;
	xs->ssthresh = U32_MAX >> 1;	/* no limit until the first loss */
	xs->cwnd_cnt = 0;
	xtcp_set_ca_state(sk, XTCP_CA_OPEN);
	memset(&xs->cubic, 0, sizeof(xs->cubic));
	xs->hs_done = 0;
}

void xtcp_cong_init(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	const struct xtcp_cong_ops *ops;

	xtcp_cong_reset(sk);
	ops = xtcp_cong_find(xtcp_sysctl(sock_net(sk))->congestion_control);
	xs->cc = ops ? ops - xtcp_cong_algos : 0;
}

/* The ssthresh after a loss, the algorithm's. */
u32 xtcp_cong_ssthresh(const struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	return xtcp_cong_algos[xs->cc].ssthresh(xs);
}

/*
 * @acked segments were newly acknowledged while @in_flight were out.  The
 * window grows only when it was what limited the sender: it was full at
 * this ACK, or a send this round trip found it full (as Linux's
 * is_cwnd_limited, which small queues' pauses between sends would
 * otherwise hide), or, in slow start, half of it was in use.  An
 * application that writes little would otherwise inflate it without any
 * evidence that the path can take it.
 */
void xtcp_cong_on_ack(struct sock *sk, u32 acked, u32 in_flight)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	bool slow_start = xs->cwnd < xs->ssthresh;

	if (in_flight < xs->cwnd && !xs->cwnd_limited &&
	    !(slow_start && 2 * in_flight >= xs->cwnd))
		return;
	if (slow_start) {
		u32 room = xs->ssthresh - xs->cwnd;

		xs->cwnd += min(acked, room);
		acked -= min(acked, room);
	}
	if (acked)
		xtcp_cong_algos[xs->cc].avoid(xs, acked);
	xtcp_sndbuf_follow_cwnd(sk, xs->cwnd);
}

/*
 * New data after the connection sat idle for longer than the RTO (RFC
 * 5681 section 4.1; net.xtcp.slow_start_after_idle, on by default as
 * Linux's): the ACK clock has stopped and the path may have changed, so
 * the window halves for every RTO of silence, down to the initial window,
 * and slow start climbs back to three quarters of the old one.
 */
void xtcp_cwnd_restart_after_idle(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 restart = min_t(u32, XTCP_INIT_CWND, xs->cwnd), cwnd = xs->cwnd;
	/* Never sent: idle since ever, as the socket clock's start was. */
	s64 idle = xs->stats.last_data_sent ?
		   xtcp_ms_age_ns(xs->clock_ns, xs->stats.last_data_sent) :
		   (s64)xs->clock_ns;

	if (xs->packets_out || idle <= (s64)xtcp_rto_ns(xs) ||
	    !READ_ONCE(xtcp_sysctl(sock_net(sk))->slow_start_after_idle))
		return;
	if (xs->ca_state == XTCP_CA_OPEN)
		xs->ssthresh = max(xs->ssthresh, cwnd / 2 + cwnd / 4);
	while ((idle -= xtcp_rto_ns(xs)) > 0 && cwnd > restart)
		cwnd >>= 1;
	xs->cwnd = max(cwnd, restart);
	xs->cwnd_cnt = 0;
	xtcp_cubic_end_epoch(&xs->cubic);
}

/*
 * The rate the window and RTT give, in bytes a second: twice it in slow
 * start, 1.2 times it after, as Linux's pacing rate (tcp_update_pacing_rate())
 * where nothing paces.
 */
u64 xtcp_pacing_rate(const struct xtcp_sock *xs)
{
	u64 rate = (u64)xs->cwnd * xtcp_payload_mss(xs) * USEC_PER_SEC;

	rate *= xs->cwnd < xs->ssthresh ? 10 : 6;
	return div_u64(rate, 5 * max(xs->srtt_us, 1U));
}
