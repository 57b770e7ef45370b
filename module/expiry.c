// SPDX-License-Identifier: GPL-2.0
/*
 * Expiry queues: many small entries' timeouts on one timer.
 *
 * TIME_WAIT and SYN-queue entries are many and small, and an hrtimer
 * each (64 bytes) was most of their size.  Instead each namespace keeps
 * one queue of each kind: an entry links itself in by a list node (which
 * may share storage with its rcu_head: it leaves the queue before its
 * last reference goes) and a u32 expiry, and one soft hrtimer is set for
 * the earliest.  Entries of one lifetime (2*MSL; a SYN-ACK's n-th
 * timeout) join their lane's tail, already in expiry order, so adding
 * one costs no search.
 *
 * Time is in milliseconds of ktime_get(), modulo 2^32: lifetimes are at
 * most a day (fin_timeout's limit), far below the 24 days the
 * comparisons allow.  An entry never goes early: its expiry is rounded
 * up, and at most about a millisecond late.
 */
#include <linux/slab.h>

#include "xtcp.h"

static u64 xtcp_expiry_now_ms(void)
{
	return div_u64(ktime_get_ns(), NSEC_PER_MSEC);
}

static u32 *xtcp_expiry_of(const struct xtcp_expiry_queue *q,
			   struct list_head *node)
{
	return (u32 *)((char *)node + q->expires_off);
}

/*
 * The lane for entries living @life_ms: their own, else a free one.  With
 * none free (more lifetimes at once than lanes), the lane of the longest
 * lifetime below @life_ms: its own entries all go before the new one,
 * which joins near the tail.
 */
static struct xtcp_expiry_lane *xtcp_expiry_lane(struct xtcp_expiry_queue *q,
						 u32 life_ms)
{
	struct xtcp_expiry_lane *l, *free = NULL, *below = NULL;

	for (l = q->lane; l < q->lane + XTCP_EXPIRY_LANES; l++) {
		if (list_empty(&l->head)) {
			free = free ?: l;
		} else if (l->life_ms == life_ms) {
			return l;
		} else if (l->life_ms < life_ms &&
			   (!below || l->life_ms > below->life_ms)) {
			below = l;
		}
	}
	if (free) {
		free->life_ms = life_ms;
		return free;
	}
	return below ?: &q->lane[0];
}

/* Sets the timer for @expires, unless it is set for earlier already. */
static void xtcp_expiry_arm(struct xtcp_expiry_queue *q, u32 expires,
			    u64 now_ms)
{
	u64 at = (now_ms + (s32)(expires - (u32)now_ms)) * NSEC_PER_MSEC;

	if (q->armed_ns && q->armed_ns <= at)
		return;
	q->armed_ns = at;
	hrtimer_start(&q->timer, ns_to_ktime(at), HRTIMER_MODE_ABS_SOFT);
}

/*
 * Queues @node to go @life_ms from now, in expiry order: at its lane's
 * tail, unless entries there go later.  Called with the queue locked.
 */
void __xtcp_expiry_add(struct xtcp_expiry_queue *q, struct list_head *node,
		       u32 life_ms)
{
	struct xtcp_expiry_lane *l = xtcp_expiry_lane(q, life_ms);
	u64 now_ms = xtcp_expiry_now_ms();
	u32 expires = (u32)now_ms + 1 + life_ms;
	struct list_head *pos = l->head.prev;

	while (pos != &l->head &&
	       (s32)(*xtcp_expiry_of(q, pos) - expires) > 0)
		pos = pos->prev;
	WRITE_ONCE(*xtcp_expiry_of(q, node), expires);
	list_add(node, pos);
	xtcp_expiry_arm(q, expires, now_ms);
}

void xtcp_expiry_add(struct xtcp_expiry_queue *q, struct list_head *node,
		     u32 life_ms)
{
	spin_lock_bh(&q->lock);
	__xtcp_expiry_add(q, node, life_ms);
	spin_unlock_bh(&q->lock);
}

/* Takes @node off the queue: true when it was on it, and the queue's
 * reference is then the caller's.
 */
bool xtcp_expiry_del(struct xtcp_expiry_queue *q, struct list_head *node)
{
	bool queued;

	spin_lock_bh(&q->lock);
	queued = !list_empty(node);
	if (queued)
		list_del_init(node);
	spin_unlock_bh(&q->lock);
	return queued;
}

/* Requeues @node to go @life_ms from now, unless it already left. */
void xtcp_expiry_restart(struct xtcp_expiry_queue *q, struct list_head *node,
			 u32 life_ms)
{
	spin_lock_bh(&q->lock);
	if (!list_empty(node)) {
		list_del(node);
		__xtcp_expiry_add(q, node, life_ms);
	}
	spin_unlock_bh(&q->lock);
}

/* The entry that goes first, or NULL; called with the queue locked. */
static struct list_head *xtcp_expiry_first(struct xtcp_expiry_queue *q)
{
	struct list_head *first = NULL;
	int i;

	for (i = 0; i < XTCP_EXPIRY_LANES; i++) {
		struct list_head *n = q->lane[i].head.next;

		if (n != &q->lane[i].head &&
		    (!first || (s32)(*xtcp_expiry_of(q, n) -
				     *xtcp_expiry_of(q, first)) < 0))
			first = n;
	}
	return first;
}

/* The timer: every entry whose time came goes to ->expire() (the queue
 * unlocked), and the timer is set for the next.
 */
static enum hrtimer_restart xtcp_expiry_fire(struct hrtimer *t)
{
	struct xtcp_expiry_queue *q = container_of(t, struct xtcp_expiry_queue,
						   timer);
	u64 now_ms = xtcp_expiry_now_ms();
	struct list_head *n;

	spin_lock(&q->lock);
	q->armed_ns = 0;
	while ((n = xtcp_expiry_first(q)) &&
	       (s32)((u32)now_ms - *xtcp_expiry_of(q, n)) >= 0) {
		list_del_init(n);
		spin_unlock(&q->lock);
		q->expire(n);
		spin_lock(&q->lock);
	}
	if (n)
		xtcp_expiry_arm(q, *xtcp_expiry_of(q, n), now_ms);
	spin_unlock(&q->lock);
	return HRTIMER_NORESTART;
}

/* How long an entry that goes at @expires has left. */
u64 xtcp_expiry_left_ns(const u32 *expires)
{
	s32 left = READ_ONCE(*expires) - (u32)xtcp_expiry_now_ms();

	return left > 0 ? (u64)left * NSEC_PER_MSEC : 0;
}
EXPORT_SYMBOL_GPL(xtcp_expiry_left_ns);

/* @expires_off: where an entry's u32 expiry is, from its list node. */
void xtcp_expiry_init(struct xtcp_expiry_queue *q, int expires_off,
		      void (*expire)(struct list_head *node))
{
	int i;

	spin_lock_init(&q->lock);
	for (i = 0; i < XTCP_EXPIRY_LANES; i++)
		INIT_LIST_HEAD(&q->lane[i].head);
	hrtimer_init(&q->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_SOFT);
	q->timer.function = xtcp_expiry_fire;
	q->armed_ns = 0;
	q->expires_off = expires_off;
	q->expire = expire;
}

/*
 * Namespace exit, after xtcp_table_purge_net() took every entry out of
 * the table.  One killed between joining the table and joining the
 * queue may still wait here, out of the table: it goes now, as its own
 * timer would have let it go later.
 */
void xtcp_expiry_exit(struct xtcp_expiry_queue *q)
{
	struct list_head *n;

	hrtimer_cancel(&q->timer);
	spin_lock_bh(&q->lock);
	while ((n = xtcp_expiry_first(q))) {
		list_del_init(n);
		spin_unlock_bh(&q->lock);
		q->expire(n);
		spin_lock_bh(&q->lock);
	}
	spin_unlock_bh(&q->lock);
	/* ->expire() queues nothing again once no entry is in the table. */
	WARN_ON_ONCE(hrtimer_active(&q->timer));
}
