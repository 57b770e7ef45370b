// SPDX-License-Identifier: GPL-2.0
/*
 * Small queues: how much of a socket's data may wait below it, in the
 * qdisc and the device's ring, before the socket stops sending more
 * (Linux's TCP Small Queues).
 *
 * Every skb XTCP hands to IP is charged to the socket's sk_wmem_alloc
 * until the device is done with it (xtcp_wfree(); the segmenter in
 * offload.c passes the charge on to the segments it cuts, so a NIC that
 * takes XTCP's segments one by one still holds them charged).  When
 * more than about a millisecond's worth of data is below the socket,
 * __xtcp_push() stops and marks the socket throttled.  The device
 * freeing one of its skbs then queues the socket on this CPU's list, and
 * a tasklet sends what the windows allow.
 *
 * Why: without it, a sender faster than its NIC fills the qdisc and the
 * ring until the device refuses segments and the qdisc requeues them:
 * work for nothing, a queue that delays the ACKs' effect, and skbs that
 * were cut small because they left before data gathered behind them.
 */
#include <linux/interrupt.h>
#include <linux/llist.h>
#include <net/sock.h>

#include "xtcp.h"

struct xtcp_tsq {
	struct tasklet_struct tasklet;
	struct llist_head head;		/* sockets to push, each holding a
					 * reference on sk_wmem_alloc
					 */
};

static DEFINE_PER_CPU(struct xtcp_tsq, xtcp_tsq);

/*
 * What the socket may keep below it: about a millisecond at the rate
 * its window and RTT give (xtcp_pacing_rate()), at most
 * net.xtcp.limit_output_bytes however fast the path, and never less
 * than two skbs like @skb, so that one can be sent while another
 * completes.
 */
static unsigned long xtcp_tsq_limit(const struct sock *sk,
				    const struct sk_buff *skb)
{
	unsigned long limit;

	limit = min_t(u64, xtcp_pacing_rate(xtcp_sk(sk)) >> 10,
		      READ_ONCE(xtcp_sysctl(sock_net(sk))->limit_output_bytes));
	return max_t(unsigned long, limit, 2 * skb->truesize);
}

/* No more than one skb sent and not acknowledged: send regardless, as
 * Linux does, so that a late TX completion cannot stall the flow.
 */
static bool xtcp_tsq_few_out(const struct sock *sk)
{
	const struct sk_buff *head = skb_peek(&sk->sk_write_queue);
	const struct sk_buff *unsent = xtcp_sk(sk)->send_head;

	if (!head || head == unsent)
		return true;
	return skb_queue_is_last(&sk->sk_write_queue, head) ?
	       !unsent : head->next == unsent;
}

/*
 * May __xtcp_push() send @skb now?  False when too much of the socket's
 * data waits below it; then a device freeing one of its skbs calls the
 * socket back.
 */
bool xtcp_small_queue_full(struct sock *sk, const struct sk_buff *skb)
{
	unsigned long below = refcount_read(&sk->sk_wmem_alloc), limit;

	/* The usual case, and the floor of any limit. */
	if (below <= 2 * skb->truesize)
		return false;
	limit = xtcp_tsq_limit(sk, skb);
	if (below <= limit || xtcp_tsq_few_out(sk))
		return false;
	set_bit(XTCP_TSQ_THROTTLED, &sk->sk_tsq_flags);
	/* The last skb below may have been freed before the bit was set:
	 * look again, or nobody calls back.
	 */
	smp_mb__after_atomic();
	return refcount_read(&sk->sk_wmem_alloc) > limit;
}

/* Sends what waits, in the states that send data (through
 * xtcp_run_or_defer(), which read the clock).
 */
void xtcp_tsq_write(struct sock *sk)
{
	if ((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_FIN_WAIT1 |
				   TCPF_CLOSING | TCPF_CLOSE_WAIT |
				   TCPF_LAST_ACK))
		xtcp_push_on_input(sk);
}

static void xtcp_tsq_run(struct tasklet_struct *t)
{
	struct xtcp_tsq *q = from_tasklet(q, t, tasklet);
	struct llist_node *list = llist_reverse_order(llist_del_all(&q->head));
	struct xtcp_sock *xs, *next;

	llist_for_each_entry_safe(xs, next, list, tsq_node) {
		struct sock *sk = &xs->inet.sk;

		/* From here another free may queue the socket again. */
		smp_mb__before_atomic();
		clear_bit(XTCP_TSQ_QUEUED, &sk->sk_tsq_flags);
		bh_lock_sock(sk);
		xtcp_run_or_defer(sk, XTCP_DEFER_TSQ);
		bh_unlock_sock(sk);
		sk_free(sk);
	}
}

/*
 * The destructor of every skb XTCP sends (sock_wfree()'s part, without
 * its sk_write_space() call: room in the send buffer is made by ACKs,
 * not by devices).  A throttled socket is queued for the tasklet with
 * the last unit of this skb's charge, which keeps it from being freed;
 * the tasklet's sk_free() drops that unit.
 */
void xtcp_wfree(struct sk_buff *skb)
{
	struct sock *sk = skb->sk;
	unsigned long old, new;
	struct xtcp_tsq *q;

	WARN_ON(refcount_sub_and_test(skb->truesize - 1, &sk->sk_wmem_alloc));
	for (old = READ_ONCE(sk->sk_tsq_flags);; old = new) {
		if (!(old & BIT(XTCP_TSQ_THROTTLED)) ||
		    (old & BIT(XTCP_TSQ_QUEUED)))
			break;
		new = (old & ~BIT(XTCP_TSQ_THROTTLED)) | BIT(XTCP_TSQ_QUEUED);
		new = cmpxchg(&sk->sk_tsq_flags, old, new);
		if (new != old)
			continue;
		q = get_cpu_ptr(&xtcp_tsq);
		if (llist_add(&xtcp_sk(sk)->tsq_node, &q->head))
			tasklet_schedule(&q->tasklet);
		put_cpu_ptr(&xtcp_tsq);
		return;
	}
	sk_free(sk);
}

/* Charges @skb to @sk until the device frees it (skb_set_owner_w()). */
void xtcp_set_owner(struct sk_buff *skb, struct sock *sk)
{
	skb_orphan(skb);
	skb->sk = sk;
	skb->destructor = xtcp_wfree;
	skb_set_hash_from_sk(skb, sk);
	refcount_add(skb->truesize, &sk->sk_wmem_alloc);
}

void xtcp_tsq_init(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct xtcp_tsq *q = per_cpu_ptr(&xtcp_tsq, cpu);

		init_llist_head(&q->head);
		tasklet_setup(&q->tasklet, xtcp_tsq_run);
	}
}

/* After the last socket is gone: a queued socket holds its memory, and
 * so the module, so only a tasklet's end may still be running.
 */
void xtcp_tsq_exit(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		tasklet_kill(&per_cpu_ptr(&xtcp_tsq, cpu)->tasklet);
}
