// SPDX-License-Identifier: GPL-2.0
/*
 * Urgent data (RFC 9293 section 3.8.5), as Linux TCP gives it to programs.
 *
 * Sending: send(MSG_OOB) makes the end of the data written so far the
 * urgent point (snd_up); every segment sent before it carries URG and
 * the urgent pointer, until the peer has acknowledged it.  The pointer
 * points just past the last urgent byte (RFC 9293 section 3.8.5, RFC
 * 6093; BSD's and Linux's reading).
 *
 * Receiving: a new urgent pointer signals SIGURG to the socket's owner.
 * The byte before it is taken out of the stream (unless SO_OOBINLINE)
 * as one byte of out-of-band data that recv(MSG_OOB) returns once; a
 * later pointer replaces an unread one.  A read stops at the mark, so
 * SIOCATMARK tells when the next byte is the urgent one's successor.
 * EPOLLPRI says an urgent byte waits.
 */
#include <linux/sockios.h>
#include <net/sock.h>

#include "xtcp.h"

/*
 * The URG flag and pointer for a segment starting at @seq: in urgent
 * mode, on every segment before the urgent point.  A point more than
 * 64 KiB ahead is not reachable by a 16-bit pointer: 0xFFFF says "later"
 * while the segment is far enough ahead (Linux's rule).  Returns the
 * pointer, 0 for none.
 */
u16 xtcp_urg_ptr(const struct xtcp_sock *xs, u32 seq)
{
	if (!xtcp_urg_mode(xs) || !xtcp_before(seq, xs->snd_up))
		return 0;
	if (xtcp_before(xs->snd_up, seq + 0x10000))
		return xs->snd_up - seq;
	if (xtcp_after(seq + 0xFFFF, xs->snd_nxt))
		return 0xFFFF;
	return 0;
}

/* send(MSG_OOB): what was just queued ends with the urgent byte. */
void xtcp_urg_mark(struct xtcp_sock *xs)
{
	xs->snd_up = xs->write_seq;
}

/* An ACK past the urgent point ends urgent mode (snd_up follows snd_una). */
void xtcp_urg_acked(struct xtcp_sock *xs, u32 prior_una)
{
	if (xtcp_between(prior_una, xs->snd_up, xs->snd_una))
		xs->snd_up = xs->snd_una;
}

/*
 * The byte the reader was about to skip (it stood at an unread urgent
 * mark) is passed over now that a new mark replaces it.
 */
static void xtcp_urg_skip_old(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *skb;

	if (xs->urg_seq != xs->copied_seq || !xs->urg_data ||
	    sock_flag(sk, SOCK_URGINLINE) || xs->copied_seq == xs->rcv_nxt)
		return;
	xs->copied_seq++;
	skb = skb_peek(&sk->sk_receive_queue);
	if (skb && !xtcp_before(xs->copied_seq,
				XTCP_SKB_CB(skb)->seq + skb->len)) {
		__skb_unlink(skb, &sk->sk_receive_queue);
		kfree_skb(skb);
	}
}

/* A segment's urgent pointer @ptr: a new mark, if it is one. */
static void xtcp_check_urg(struct sock *sk, u32 seq, u16 ptr)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 mark = seq + ptr - !!ptr;	/* the urgent byte itself */

	/* Read already; a replay of one in the stream; or not newer. */
	if (xtcp_after(xs->copied_seq, mark) ||
	    xtcp_before(mark, xs->rcv_nxt) ||
	    (xs->urg_data && !xtcp_after(mark, xs->urg_seq)))
		return;
	sk_send_sigurg(sk);
	xtcp_urg_skip_old(sk);
	WRITE_ONCE(xs->urg_data, XTCP_URG_NOTYET);
	WRITE_ONCE(xs->urg_seq, mark);
}

/*
 * Step six of RFC 9293 section 3.10.7.4: the URG bit, before the text.
 * Once the urgent byte itself arrives it is set aside for recv(MSG_OOB).
 */
void xtcp_rcv_urg(struct sock *sk, const struct sk_buff *skb)
{
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 off;
	u8 byte;

	if (cb->flags & XTCP_FLAG_URG)
		xtcp_check_urg(sk, cb->seq, ntohs(xtcp_hdr(skb)->urg_ptr));
	if (xs->urg_data != XTCP_URG_NOTYET)
		return;
	off = xs->urg_seq - cb->seq;
	if (off >= skb->len || skb_copy_bits(skb, off, &byte, 1))
		return;
	WRITE_ONCE(xs->urg_data, XTCP_URG_VALID | byte);
	if (!sock_flag(sk, SOCK_DEAD))
		sk->sk_data_ready(sk);
}

/*
 * How much of @avail bytes at @seq a read may take, given the mark: it
 * stops before the mark, and at the mark (@copied already) it stops
 * altogether (-1).  At the mark, the urgent byte is skipped unless
 * SO_OOBINLINE (*@skip).
 */
int xtcp_urg_limit(const struct sock *sk, u32 seq, u32 avail, size_t copied,
		   bool *skip)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);
	u32 off = xs->urg_seq - seq;

	*skip = false;
	if (likely(!xs->urg_data) || off >= avail)
		return avail;
	if (off)
		return off;
	if (copied)
		return -1;
	*skip = !sock_flag(sk, SOCK_URGINLINE);
	return avail - *skip;
}

/* The reader went past the mark: it is forgotten. */
void xtcp_urg_passed(struct xtcp_sock *xs)
{
	if (unlikely(xs->urg_data) && xtcp_after(xs->copied_seq, xs->urg_seq))
		WRITE_ONCE(xs->urg_data, 0);
}

/*
 * recv(MSG_OOB): the urgent byte, once (tcp_recv_urg()'s answers).  Never
 * blocks: EINVAL without one to read (or with SO_OOBINLINE), EAGAIN while
 * its pointer has come and the byte not yet.
 */
int xtcp_recv_urg(struct sock *sk, struct msghdr *msg, size_t len, int flags)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	char c;

	if (sock_flag(sk, SOCK_URGINLINE) || !xs->urg_data ||
	    xs->urg_data == XTCP_URG_READ)
		return -EINVAL;
	if (sk->sk_state == TCP_CLOSE && !sock_flag(sk, SOCK_DONE))
		return -ENOTCONN;
	if (xs->urg_data & XTCP_URG_VALID) {
		c = xs->urg_data;
		if (!(flags & MSG_PEEK))
			WRITE_ONCE(xs->urg_data, XTCP_URG_READ);
		msg->msg_flags |= MSG_OOB;
		if (!len) {
			msg->msg_flags |= MSG_TRUNC;
			return 0;
		}
		if (!(flags & MSG_TRUNC) && memcpy_to_msg(msg, &c, 1))
			return -EFAULT;
		return 1;
	}
	if (sk->sk_state == TCP_CLOSE || (sk->sk_shutdown & RCV_SHUTDOWN))
		return 0;
	return -EAGAIN;
}

/*
 * SIOCINQ: what a read may take now, the FIN not counted; with an urgent
 * byte ahead out of band, what comes before it (Linux's tcp_inq()).
 */
int xtcp_inq(const struct sock *sk)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);

	if (sock_flag(sk, SOCK_URGINLINE) || !xs->urg_data ||
	    xtcp_before(xs->urg_seq, xs->copied_seq) ||
	    !xtcp_before(xs->urg_seq, xs->rcv_nxt))
		return xs->rcv_nxt - xs->copied_seq - !!sock_flag(sk, SOCK_DONE);
	return xs->urg_seq - xs->copied_seq;
}

/* SIOCATMARK: is the next byte to read the urgent mark's? */
bool xtcp_at_mark(const struct sock *sk)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);

	return READ_ONCE(xs->urg_data) &&
	       READ_ONCE(xs->urg_seq) == READ_ONCE(xs->copied_seq);
}
