// SPDX-License-Identifier: GPL-2.0
/*
 * How big a connection's buffers are, as Linux TCP sizes them.
 *
 * A socket starts with net.xtcp.rmem[1] and wmem[1] bytes.  Unless the
 * application fixed a size with SO_RCVBUF or SO_SNDBUF, XTCP then grows
 * them, up to rmem[2] and wmem[2]:
 * - at the handshake's end, to hold the initial window of ten segments
 *   (twice over for the send side, which keeps what it sent until ACKed);
 * - the receive buffer doubles whenever the sender fills the window while
 *   the reader keeps up, since only then is the window the bottleneck; a
 *   reader that stalls never makes it grow;
 * - the send buffer follows the congestion window (congestion control).
 */
#include <net/sock.h>

#include "xtcp.h"

#define XTCP_INIT_SEGS	10	/* RFC 6928's initial window */

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
	u32 seg = xtcp_seg_truesize(xtcp_sk(sk));

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

/* In-order data arrived.  If it reached the edge of the window we offered
 * while the reader has taken at least half of what that window let in,
 * the window is what holds the sender back: double the buffer.
 */
void xtcp_rcvbuf_grow(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 unread = xs->rcv_nxt - xs->copied_seq;
	u32 max;

	if (sk->sk_userlocks & SOCK_RCVBUF_LOCK ||
	    xtcp_rcv_wnd(xs) >= xs->mss || unread > (u32)sk->sk_rcvbuf / 4)
		return;
	max = READ_ONCE(xtcp_sysctl(sock_net(sk))->rmem[2]);
	if (sk->sk_rcvbuf < max)
		WRITE_ONCE(sk->sk_rcvbuf, min_t(u32, 2 * sk->sk_rcvbuf, max));
}

/* Room for twice the congestion window's segments (RFC 5681 keeps up to a
 * window unacknowledged, and the next one is being written meanwhile).
 */
void xtcp_sndbuf_follow_cwnd(struct sock *sk, u32 cwnd)
{
	u32 want = 2 * max_t(u32, cwnd, XTCP_INIT_SEGS) *
		   xtcp_seg_truesize(xtcp_sk(sk));

	if (sk->sk_userlocks & SOCK_SNDBUF_LOCK || want <= (u32)sk->sk_sndbuf)
		return;
	WRITE_ONCE(sk->sk_sndbuf,
		   min_t(u32, want,
			 READ_ONCE(xtcp_sysctl(sock_net(sk))->wmem[2])));
}
