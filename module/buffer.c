// SPDX-License-Identifier: GPL-2.0
/*
 * How big a connection's buffers are, as Linux TCP sizes them, and the
 * memory all of XTCP's queues take together.
 *
 * Every skb on a socket's queues, sent or received, is charged to the
 * socket (sk_mem_charge()) and, a page at a time, to XTCP's total in
 * /proc/net/protocols.  The socket layer compares that total with
 * net.xtcp.mem (pages, as tcp_mem): above mem[1] XTCP is under memory
 * pressure and no buffer grows; above mem[2] a sender waits and data that
 * arrives is dropped (RcvQDrop), except what a socket needs to hold its
 * minimum buffers.  What must be queued whatever the limits (a control
 * segment, part of a segment cut in two, the first data of an empty
 * queue, in-order data for an empty receive queue) is charged by force,
 * as Linux's sk_forced_mem_schedule(), so no connection is stuck for
 * want of memory held elsewhere.
 *
 * Memory cgroups do not see these buffers: forcing a charge on a cgroup
 * takes functions the kernel does not export, and a charge XTCP could not
 * make would be uncharged all the same (a page_counter underflow).  So a
 * socket leaves its cgroup's socket accounting when it is created
 * (xtcp_leave_memcg()), and children, made in softirq, never join one.
 *
 * A socket starts with net.xtcp.rmem[1] and wmem[1] bytes.  Unless the
 * application fixed a size with SO_RCVBUF or SO_SNDBUF, XTCP then grows
 * them, up to rmem[2] and wmem[2]:
 * - at the handshake's end, to hold the initial window of ten segments
 *   (twice over for the send side, which keeps what it sent until ACKed);
 * - the receive buffer follows what the reader copies each round trip
 *   (xtcp_rcv_space_adjust()), so a reader that stalls never makes it
 *   grow;
 * - the send buffer follows the congestion window (congestion control).
 */
#include <linux/memcontrol.h>
#include <net/sock.h>

#include "xtcp.h"

#define XTCP_INIT_SEGS	10	/* RFC 6928's initial window */

atomic_long_t xtcp_memory_allocated;
DEFINE_PER_CPU(int, xtcp_fw_alloc);
struct percpu_counter xtcp_sockets_allocated;
unsigned long xtcp_memory_pressure;
long xtcp_mem[3];
/* The minimums the socket layer lets a socket keep under pressure. */
int xtcp_rmem_floor[3] = { 4096, 131072, 6 << 20 };
int xtcp_wmem_floor[3] = { 4096, 16384, 4 << 20 };

void xtcp_enter_memory_pressure(struct sock *sk)
{
	WRITE_ONCE(xtcp_memory_pressure, 1);
}

void xtcp_leave_memory_pressure(struct sock *sk)
{
	WRITE_ONCE(xtcp_memory_pressure, 0);
}

/* tcp_mem's defaults: pressure at 1/16 of the memory buffers may use. */
int xtcp_mem_init(void)
{
	unsigned long limit = max(nr_free_buffer_pages() / 16, 128UL);

	xtcp_mem[0] = limit / 4 * 3;
	xtcp_mem[1] = limit;
	xtcp_mem[2] = xtcp_mem[0] * 2;
	return percpu_counter_init(&xtcp_sockets_allocated, 0, GFP_KERNEL);
}

void xtcp_mem_exit(void)
{
	percpu_counter_destroy(&xtcp_sockets_allocated);
}

/* See the top of this file: net.xtcp.mem, not the cgroup, bounds us. */
void xtcp_leave_memcg(struct sock *sk)
{
#ifdef CONFIG_MEMCG
	if (sk->sk_memcg) {
		css_put(&sk->sk_memcg->css);
		sk->sk_memcg = NULL;
	}
#endif
}

/* Charges @size to the socket whatever the limits say. */
static void xtcp_forced_mem_schedule(struct sock *sk, int size)
{
	int delta = size - sk->sk_forward_alloc, amt;

	if (delta <= 0)
		return;
	amt = sk_mem_pages(delta);
	sk_forward_alloc_add(sk, amt << PAGE_SHIFT);
	atomic_long_add(amt, &xtcp_memory_allocated);
}

/*
 * May @size bytes of new data, for @skb, be charged to the write queue
 * (net.xtcp.mem allowing)?  Into an empty queue, or the one unsent skb
 * it holds, they always may: a sender must be able to start.
 */
bool xtcp_wmem_schedule(struct sock *sk, const struct sk_buff *skb, int size)
{
	const struct sk_buff *head = skb_peek(&sk->sk_write_queue);

	if (!head ||
	    (head == skb && skb_queue_is_last(&sk->sk_write_queue, skb))) {
		xtcp_forced_mem_schedule(sk, size);
		return true;
	}
	return sk_wmem_schedule(sk, size);
}

/* @size bytes join the write queue (an skb, or data added to a queued
 * one): charged to the socket, by force if xtcp_wmem_schedule() did not
 * already make room.
 */
void xtcp_wmem_charge_bytes(struct sock *sk, int size)
{
	xtcp_forced_mem_schedule(sk, size);
	sk_wmem_queued_add(sk, size);
	sk_mem_charge(sk, size);
}

/* ... and leave it (acknowledged data trimmed off a queued skb). */
void xtcp_wmem_uncharge_bytes(struct sock *sk, int size)
{
	sk_wmem_queued_add(sk, -size);
	sk_mem_uncharge(sk, size);
}

/* A segment joins the write queue. */
void xtcp_wmem_charge(struct sock *sk, struct sk_buff *skb)
{
	xtcp_wmem_charge_bytes(sk, skb->truesize);
}

/* ... and leaves it. */
void xtcp_wmem_free(struct sock *sk, struct sk_buff *skb)
{
	xtcp_wmem_uncharge_bytes(sk, skb->truesize);
	kfree_skb(skb);
}

/*
 * May @skb join the receive or out-of-order queue?  In-order data for an
 * empty receive queue always may, as in Linux: otherwise memory held
 * elsewhere (a sender's queue, say) could stop the connection for good.
 */
bool xtcp_rmem_schedule(struct sock *sk, struct sk_buff *skb, bool in_order)
{
	if (skb->sk == sk)
		return true;
	if (in_order && skb_queue_empty(&sk->sk_receive_queue)) {
		xtcp_forced_mem_schedule(sk, skb->truesize);
		return true;
	}
	if (sk_rmem_schedule(sk, skb, skb->truesize))
		return true;
	__XTCP_INC_STATS(sock_net(sk), XTCP_MIB_RCVQDROP);
	return false;
}

/* The memory one full segment takes on a queue, header room included. */
static u32 xtcp_seg_truesize(const struct xtcp_sock *xs)
{
	return SKB_TRUESIZE(xs->mss + XTCP_MAX_HEADER);
}

void xtcp_init_buffers(struct sock *sk)
{
	const struct xtcp_sysctl *sc = xtcp_sysctl(sock_net(sk));

	WRITE_ONCE(sk->sk_rcvbuf, READ_ONCE(sc->rmem[1]));
	WRITE_ONCE(sk->sk_sndbuf, READ_ONCE(sc->wmem[1]));
}

/* The largest receive buffer the socket may grow to. */
u32 xtcp_rcvbuf_max(const struct sock *sk)
{
	if (sk->sk_userlocks & SOCK_RCVBUF_LOCK)
		return READ_ONCE(sk->sk_rcvbuf);
	return max(READ_ONCE(sk->sk_rcvbuf),
		   READ_ONCE(xtcp_sysctl(sock_net(sk))->rmem[2]));
}

void xtcp_buffers_established(struct sock *sk)
{
	const struct xtcp_sysctl *sc = xtcp_sysctl(sock_net(sk));
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 seg = xtcp_seg_truesize(xs);

	/* Right-sizing measures from here, from the initial window's worth
	 * (as tcp_init_buffer_space()).
	 */
	xs->rcvq_space = min(xtcp_rcv_wnd(xs), XTCP_INIT_SEGS * (u32)xs->mss);
	xtcp_rcv_space_restart(xs);
	/* The window is half the buffer: four times the initial window. */
	if (!(sk->sk_userlocks & SOCK_RCVBUF_LOCK))
		WRITE_ONCE(sk->sk_rcvbuf,
			   clamp_t(u32, 4 * XTCP_INIT_SEGS * xtcp_sk(sk)->mss,
				   sk->sk_rcvbuf, READ_ONCE(sc->rmem[2])));
	if (!(sk->sk_userlocks & SOCK_SNDBUF_LOCK))
		WRITE_ONCE(sk->sk_sndbuf,
			   clamp_t(u32, 2 * XTCP_INIT_SEGS * seg,
				   sk->sk_sndbuf, READ_ONCE(sc->wmem[2])));
}

/* A measure of what the reader copies begins at the socket's clock. */
void xtcp_rcv_space_restart(struct xtcp_sock *xs)
{
	xs->rcvq_seq = xs->copied_seq;
	xs->rcvq_stamp = xs->opts & XTCP_OPT_TS ? xtcp_ts_now(xs) :
			 xtcp_us_stamp(xs->clock_ns);
	xs->rcvq_rtt_done = 0;
}

/*
 * How much of a round trip's copying the measure saw: @copied, once a
 * round trip has passed, else 0 (not yet).  With timestamps the round
 * trip is over when the peer echoes a TSval we sent since the measure
 * began (input.c sets rcvq_rtt_done), as Linux's receiver measures its
 * RTT from TSecr: queueing included, which a sender filling the path
 * adds.  Without, it is SRTT (the handshake's for a pure receiver), at
 * least 1 ms, and a measure that lasted longer counts what a round trip
 * of it copied.
 */
static u32 xtcp_rcv_space_copied(struct xtcp_sock *xs, u32 copied)
{
	u32 rtt_us = max_t(u32, xs->srtt_us, USEC_PER_MSEC), elapsed;

	if (xs->opts & XTCP_OPT_TS) {
		if (!xs->rcvq_rtt_done)
			return 0;
		xtcp_clock_refresh(xs);	/* the next measure's start */
		return copied;
	}
	xtcp_clock_refresh(xs);
	elapsed = xtcp_us_stamp(xs->clock_ns) - xs->rcvq_stamp;
	if (elapsed < rtt_us)
		return 0;
	return div_u64((u64)copied * rtt_us, elapsed);
}

/*
 * Dynamic right-sizing, as Linux's tcp_rcv_space_adjust(): once a round
 * trip, what the reader copied in it is what the path delivers.  The
 * window must hold twice that (a loss costs a round trip of data), plus
 * twice its growth over the round trip before, since the window offered
 * now is the one the sender fills a round trip later, while slow start
 * doubles its rate.  The buffer holds that window at the payload share
 * rcv_ratio measured.  A reader that does not read copies nothing, and
 * its buffer stays as it is.  A round trip that copied no more than the
 * last one starts the next measure; the clock is read only when it
 * copied more (a reader of small messages reads often).
 */
void xtcp_rcv_space_adjust(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 copied = xs->copied_seq - xs->rcvq_seq, space = xs->rcvq_space;
	u64 rcvwin;

	if (copied <= space) {
		if (xs->rcvq_rtt_done)
			xtcp_rcv_space_restart(xs);
		return;
	}
	copied = xtcp_rcv_space_copied(xs, copied);
	if (!copied)
		return;
	xtcp_rcv_space_restart(xs);
	if (copied <= space)
		return;
	xs->rcvq_space = copied;
	if (sk->sk_userlocks & SOCK_RCVBUF_LOCK || sk_under_memory_pressure(sk))
		return;
	rcvwin = 2ULL * copied + 16ULL * xs->mss;
	rcvwin += 2 * div_u64(rcvwin * (copied - space), max(space, 1U));
	/* The buffer that window takes: payload over rcv_ratio. */
	rcvwin = div_u64(rcvwin << 8, xs->rcv_ratio);
	rcvwin = min_t(u64, rcvwin,
		       READ_ONCE(xtcp_sysctl(sock_net(sk))->rmem[2]));
	if (rcvwin > (u32)sk->sk_rcvbuf)
		WRITE_ONCE(sk->sk_rcvbuf, (int)rcvwin);
}

/* Room for twice the congestion window's segments (RFC 5681 keeps up to a
 * window unacknowledged, and the next one is being written meanwhile).
 */
void xtcp_sndbuf_follow_cwnd(struct sock *sk, u32 cwnd)
{
	u32 want = 2 * max_t(u32, cwnd, XTCP_INIT_SEGS) *
		   xtcp_seg_truesize(xtcp_sk(sk));

	if (sk->sk_userlocks & SOCK_SNDBUF_LOCK || want <= (u32)sk->sk_sndbuf ||
	    sk_under_memory_pressure(sk))
		return;
	WRITE_ONCE(sk->sk_sndbuf,
		   min_t(u32, want,
			 READ_ONCE(xtcp_sysctl(sock_net(sk))->wmem[2])));
}
