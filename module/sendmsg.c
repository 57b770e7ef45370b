// SPDX-License-Identifier: GPL-2.0
/*
 * A write, from send() to the write queue: what the user hands over is
 * copied into segments of the size goal (xtcp_size_goal()), appended to
 * the unsent tail while it has room, charged to the socket's send buffer
 * (a writer waits for room as on TCP), and marked for PSH where Linux
 * marks it.  Sending them is output.c's (xtcp_push()).
 */
#include <linux/skbuff.h>
#include <net/sock.h>

#include "xtcp.h"

/* The last queued segment, when it is unsent data with room for more. */
static struct sk_buff *xtcp_tail_with_room(struct sock *sk)
{
	struct sk_buff *skb = skb_peek_tail(&sk->sk_write_queue);
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (!skb || !xs->send_head || !skb->len ||
	    (XTCP_SKB_CB(skb)->flags & (XTCP_FLAG_SYN | XTCP_FLAG_FIN)) ||
	    skb->len >= xtcp_size_goal(xs) || !skb_tailroom(skb))
		return NULL;
	return skb;
}

/* Adds to the unsent tail segment; returns bytes taken, or -EFAULT. */
static int xtcp_append(struct sock *sk, struct sk_buff *skb,
		       struct msghdr *msg, size_t len)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	size_t n = min3(len, (size_t)skb_tailroom(skb),
			(size_t)(xtcp_size_goal(xs) - skb->len));

	if (copy_from_iter(skb_put(skb, n), n, &msg->msg_iter) != n)
		return -EFAULT;
	XTCP_SKB_CB(skb)->end_seq += n;
	xs->write_seq += n;
	return n;
}

/* Room for a new segment: a full one, or for a small write enough that
 * the next small writes can join it (Nagle) without another skb each.
 */
static size_t xtcp_new_skb_room(const struct xtcp_sock *xs, size_t left)
{
	size_t small = SKB_WITH_OVERHEAD(2048) - XTCP_MAX_HEADER;

	return min_t(size_t, xtcp_size_goal(xs), max(left, small));
}

/*
 * A new skb for up to @size bytes of payload (@room with what small
 * writes may add), which may come out smaller.  An skb of several
 * segments takes a high-order page allocation, worth no reclaim or
 * warning: half the size will do, down to one segment.
 */
static struct sk_buff *xtcp_alloc_data_skb(struct sock *sk, size_t *size,
					   size_t room)
{
	size_t mss = xtcp_payload_mss(xtcp_sk(sk));
	struct sk_buff *skb;

	for (; room > mss; room = max(rounddown(room / 2, mss), mss)) {
		skb = xtcp_alloc_hdr_skb(room, sk->sk_allocation |
					 __GFP_NORETRY | __GFP_NOWARN);
		if (skb)
			goto out;
	}
	skb = xtcp_alloc_hdr_skb(room, sk->sk_allocation);
out:
	*size = min(*size, room);
	return skb;
}

/*
 * PSH (RFC 9293 section 3.9.1) marks where a write ends, as in Linux: on
 * the last queued segment when sendmsg() returns (unless MSG_MORE), when
 * it waits for memory, and every half window of a long write, so that a
 * receiver hands the data up at those points; never on each segment.
 */
static void xtcp_mark_push(struct sock *sk)
{
	struct sk_buff *skb = skb_peek_tail(&sk->sk_write_queue);
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (!skb || !xs->send_head || !skb->len)
		return;
	XTCP_SKB_CB(skb)->flags |= XTCP_FLAG_PSH;
	xs->pushed_seq = xs->write_seq;
}

static bool xtcp_forced_push(const struct xtcp_sock *xs)
{
	return xtcp_after(xs->write_seq, xs->pushed_seq + xs->max_snd_wnd / 2);
}

/* The send buffer, or net.xtcp.mem, is full: push what is queued and
 * wait for room (0) or the socket's end (-errno).
 */
static int xtcp_wait_for_space(struct sock *sk, long *timeo)
{
	set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
	xtcp_mark_push(sk);
	xtcp_push(sk);
	return sk_stream_wait_memory(sk, timeo);
}

/* sendmsg: cut the user's bytes into MSS-sized segments and queue them. */
int xtcp_sendmsg_queue(struct sock *sk, struct msghdr *msg, size_t len)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	long timeo = sock_sndtimeo(sk, msg->msg_flags & MSG_DONTWAIT);
	size_t copied = 0;
	int err = 0;

	xs->more = !!(msg->msg_flags & MSG_MORE);
	while (copied < len) {
		size_t size = min_t(size_t, xtcp_size_goal(xs), len - copied);
		struct sk_buff *skb = xtcp_tail_with_room(sk);
		int n;

		if (skb) {
			n = xtcp_append(sk, skb, msg, len - copied);
			if (n < 0) {
				err = n;
				break;
			}
			copied += n;
			continue;
		}

		if (sk->sk_err || (sk->sk_shutdown & SEND_SHUTDOWN)) {
			err = -EPIPE;
			break;
		}
		if (!sk_stream_memory_free(sk)) {	/* TCP_NOTSENT_LOWAT too */
			err = xtcp_wait_for_space(sk, &timeo);
			if (err)
				break;
			continue;
		}
		skb = xtcp_alloc_data_skb(sk, &size,
					  xtcp_new_skb_room(xs, size));
		if (!skb) {
			/* No memory: wait and try again, as TCP does, rather
			 * than fail a blocking send (sk_stream_wait_memory()
			 * sleeps a moment even when the buffer has room).
			 */
			err = xtcp_wait_for_space(sk, &timeo);
			if (err)
				break;
			continue;
		}
		if (!xtcp_wmem_schedule(sk, skb)) {
			kfree_skb(skb);
			err = xtcp_wait_for_space(sk, &timeo);
			if (err)
				break;
			continue;
		}
		if (copy_from_iter(skb_put(skb, size), size,
				   &msg->msg_iter) != size) {
			kfree_skb(skb);
			err = -EFAULT;
			break;
		}
		XTCP_SKB_CB(skb)->seq = xs->write_seq;
		XTCP_SKB_CB(skb)->end_seq = xs->write_seq + size;
		XTCP_SKB_CB(skb)->flags = 0;
		xtcp_queue_skb(sk, skb);
		copied += size;
		if (xtcp_forced_push(xs))
			xtcp_mark_push(sk);
	}
	if (copied && !xs->more)
		xtcp_mark_push(sk);
	if (copied && (msg->msg_flags & MSG_OOB))
		xtcp_urg_mark(xs);
	xtcp_push(sk);
	/* MSG_MORE holds back this write's push only, as in Linux: an ACK's
	 * push later applies Nagle's rules alone.
	 */
	xs->more = 0;
	if (copied)
		return copied;
	return sk_stream_error(sk, msg->msg_flags, err);
}
