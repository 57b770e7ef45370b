// SPDX-License-Identifier: GPL-2.0
/*
 * A write, from send() to the write queue: what the user hands over is
 * copied into the page fragments of skbs of up to the size goal
 * (xtcp_size_goal()), appended to the unsent tail while it has room,
 * charged to the socket's send buffer (a writer waits for room as on
 * TCP), and marked for PSH where Linux marks it.  Sending them is
 * output.c's (xtcp_push()).
 */
#include <linux/skbuff.h>
#include <net/sock.h>

#include "xtcp.h"

/*
 * The last queued segment, when it is unsent data with room for more:
 * below the size goal, and with a fragment slot left (the last fragment
 * may still grow in place, but a full skb is left as it is).  Unsent, it
 * has no clone in flight that shares its fragments.
 */
static struct sk_buff *xtcp_tail_with_room(struct sock *sk)
{
	struct sk_buff *skb = skb_peek_tail(&sk->sk_write_queue);
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (!skb || !xs->send_head || !skb->len ||
	    (XTCP_SKB_CB(skb)->flags & (XTCP_FLAG_SYN | XTCP_FLAG_FIN)) ||
	    skb->len >= xtcp_size_goal(xs) ||
	    skb_shinfo(skb)->nr_frags >= MAX_SKB_FRAGS)
		return NULL;
	return skb;
}

/* A new data skb: a head with room for the headers only, its payload to
 * come in page fragments.
 */
static struct sk_buff *xtcp_new_data_skb(struct sock *sk)
{
	struct sk_buff *skb = xtcp_alloc_hdr_skb(0, sk->sk_allocation);
	u32 seq = xtcp_sk(sk)->write_seq;

	if (skb) {
		XTCP_SKB_CB(skb)->seq = seq;
		XTCP_SKB_CB(skb)->end_seq = seq;
		XTCP_SKB_CB(skb)->flags = 0;
	}
	return skb;
}

static bool xtcp_copy_from_user(const struct sock *sk, void *to, size_t n,
				struct iov_iter *from)
{
	if (sk->sk_route_caps & NETIF_F_NOCACHE_COPY)
		return copy_from_iter_full_nocache(to, n, from);
	return copy_from_iter_full(to, n, from);
}

/*
 * Copies up to @len of the user's bytes into @skb's page fragments, by
 * way of the socket's page frag, as Linux's tcp_sendmsg_locked(): into
 * its last fragment when they follow on in the same page, else into a
 * new fragment holding a reference to the page.  The skb grows up to the
 * size goal (xtcp_tail_with_room() leaves one with no fragment slot
 * alone).  Its truesize grows by the bytes, charged to the socket at
 * once when it is @queued; a new skb is charged whole when it joins the
 * queue (xtcp_queue_skb()), its head included here in what must fit.
 * Returns the bytes taken, -ENOMEM when no page or no memory was to be
 * had (the writer waits), or -EFAULT.
 */
static int xtcp_append(struct sock *sk, struct sk_buff *skb,
		       struct msghdr *msg, size_t len, bool queued)
{
	struct page_frag *pfrag = sk_page_frag(sk);
	int i = skb_shinfo(skb)->nr_frags, head;
	struct xtcp_sock *xs = xtcp_sk(sk);
	bool merge;
	size_t n;

	if (!sk_page_frag_refill(sk, pfrag))
		return -ENOMEM;
	merge = skb_can_coalesce(skb, i, pfrag->page, pfrag->offset);
	n = min3(len, (size_t)(xtcp_size_goal(xs) - skb->len),
		 (size_t)(pfrag->size - pfrag->offset));
	/* Short of memory for all, as much as the socket has in hand. */
	head = queued ? 0 : skb->truesize;
	if (!xtcp_wmem_schedule(sk, skb, head + n)) {
		if (sk->sk_forward_alloc <= head)
			return -ENOMEM;
		n = min_t(size_t, n, sk->sk_forward_alloc - head);
	}
	if (!xtcp_copy_from_user(sk, page_address(pfrag->page) + pfrag->offset,
				 n, &msg->msg_iter))
		return -EFAULT;
	if (merge) {
		skb_frag_size_add(&skb_shinfo(skb)->frags[i - 1], n);
	} else {
		skb_fill_page_desc(skb, i, pfrag->page, pfrag->offset, n);
		get_page(pfrag->page);
	}
	pfrag->offset += n;
	skb->len += n;
	skb->data_len += n;
	skb->truesize += n;
	if (queued)
		xtcp_wmem_charge_bytes(sk, n);
	XTCP_SKB_CB(skb)->end_seq += n;
	xs->write_seq += n;
	return n;
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
		struct sk_buff *skb = xtcp_tail_with_room(sk);
		bool fresh = !skb;
		int n;

		if (fresh) {
			if (sk->sk_err || (sk->sk_shutdown & SEND_SHUTDOWN)) {
				err = -EPIPE;
				break;
			}
			/* TCP_NOTSENT_LOWAT too */
			if (!sk_stream_memory_free(sk))
				goto wait;
			skb = xtcp_new_data_skb(sk);
			if (!skb)
				goto wait;
		}
		n = xtcp_append(sk, skb, msg, len - copied, !fresh);
		if (n > 0) {
			/* Never queued empty: a push, or an ACK while the
			 * writer sleeps, would take it for a control segment.
			 */
			if (fresh)
				xtcp_queue_skb(sk, skb);
			copied += n;
			if (xtcp_forced_push(xs))
				xtcp_mark_push(sk);
			continue;
		}
		if (fresh)
			kfree_skb(skb);
		if (n == -EFAULT) {
			err = n;
			break;
		}
wait:
		/* No memory, or no room: wait and try again, as TCP does,
		 * rather than fail a blocking send (sk_stream_wait_memory()
		 * sleeps a moment even when the buffer has room).
		 */
		err = xtcp_wait_for_space(sk, &timeo);
		if (err)
			break;
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
