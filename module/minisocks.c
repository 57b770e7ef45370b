// SPDX-License-Identifier: GPL-2.0
/*
 * The small objects that stand in for a socket at both ends of a
 * connection's life:
 *
 * - A SYN-queue request entry remembers a peer between its SYN and the
 *   final ACK of the three-way handshake.  The ACK turns it into a full
 *   socket on the listener's accept queue.
 * - A TIME_WAIT entry keeps a closed connection's four-tuple for 2*MSL
 *   (RFC 9293 section 3.6.1) so that its last ACK can be repeated and an
 *   old duplicate segment cannot reach a new connection.
 *
 * Both live in the four-tuple table and are freed after an RCU grace
 * period.  Each holds one reference for the table and one for its timer:
 * its place on its namespace's queue of timeouts (expiry.c).
 */
#include <linux/slab.h>
#include <net/route.h>
#include <net/sock.h>

#include "xtcp.h"
#include "trace.h"

static struct kmem_cache *xtcp_request_cache __read_mostly;
static struct kmem_cache *xtcp_tw_cache __read_mostly;

int xtcp_minisocks_init(void)
{
	xtcp_request_cache = kmem_cache_create("xtcp_request",
					       sizeof(struct xtcp_request), 0,
					       SLAB_HWCACHE_ALIGN, NULL);
	xtcp_tw_cache = kmem_cache_create("xtcp_tw", sizeof(struct xtcp_tw), 0,
					  SLAB_HWCACHE_ALIGN, NULL);
	if (!xtcp_request_cache || !xtcp_tw_cache) {
		xtcp_minisocks_exit();
		return -ENOMEM;
	}
	return 0;
}

void xtcp_minisocks_exit(void)
{
	/* Entries are freed from RCU callbacks: let those finish first. */
	rcu_barrier();
	kmem_cache_destroy(xtcp_request_cache);
	kmem_cache_destroy(xtcp_tw_cache);
}

/* ---- SYN-queue request entries ---- */

static void xtcp_request_free(struct xtcp_request *req)
{
	kfree(req->ipopt);
	kmem_cache_free(xtcp_request_cache, req);
}

static void xtcp_request_free_rcu(struct rcu_head *head)
{
	xtcp_request_free(container_of(head, struct xtcp_request, rcu));
}

void xtcp_request_put(struct xtcp_request *req)
{
	if (!refcount_dec_and_test(&req->refcnt))
		return;
	sock_put(req->listener);
	call_rcu(&req->rcu, xtcp_request_free_rcu);
}

/* Takes the entry out of the table and its listener's SYN queue, once. */
static void xtcp_request_unhash(struct xtcp_request *req)
{
	if (!xtcp_ehash_remove(&req->h))
		return;
	atomic_dec(&xtcp_sk(req->listener)->syn_len);
	xtcp_request_put(req);
}

static struct xtcp_expiry_queue *xtcp_request_queue(const struct xtcp_request *req)
{
	return &xtcp_pernet(read_pnet(&req->h.net))->req_queue;
}

/*
 * Removes an entry for good.  Out of the table first: a timeout running
 * meanwhile queues the entry again only while it is hashed, under the
 * queue's lock (xtcp_request_requeue()), so one of the two takes it off.
 */
void xtcp_request_kill(struct xtcp_request *req)
{
	xtcp_request_unhash(req);
	if (xtcp_expiry_del(xtcp_request_queue(req), &req->node))
		xtcp_request_put(req);
}
EXPORT_SYMBOL_GPL(xtcp_request_kill);

/*
 * Is the entry done for?  After synack_retries timeouts, as a rule; but
 * one whose final ACK TCP_DEFER_ACCEPT held (@defer timeouts) waits out
 * that period too, as Linux's syn_ack_recalc().
 */
static bool xtcp_request_expired(const struct xtcp_request *req, int limit,
				 u8 defer)
{
	return req->timeouts >= limit &&
	       (!req->acked || req->timeouts >= defer);
}

/*
 * Does this timeout resend the SYN-ACK?  Not while the peer's ACK came
 * and TCP_DEFER_ACCEPT waits for its data; again from the period's last
 * timeout, so that the peer's answer, data or ACK, makes the connection
 * in time (syn_ack_recalc()).
 */
static bool xtcp_request_resends(const struct xtcp_request *req, u8 defer)
{
	return !defer || !req->acked || req->timeouts >= defer - 1;
}

/* The next timeout, unless the entry left the table meanwhile: then the
 * queue's reference goes.
 */
static void xtcp_request_requeue(struct xtcp_request *req)
{
	struct xtcp_expiry_queue *q = xtcp_request_queue(req);
	bool hashed;

	spin_lock_bh(&q->lock);
	hashed = xtcp_hnode_hashed(&req->h);
	if (hashed)
		__xtcp_expiry_add(q, &req->node, req->rto_ms);
	spin_unlock_bh(&q->lock);
	if (!hashed)
		xtcp_request_put(req);
}

/* A SYN-ACK timeout (the queue's reference is ours).  The listener is
 * gone, or the entry expired: forget it.  Otherwise resend, if it is to,
 * and double the timeout.
 */
static void xtcp_request_timeout(struct list_head *node)
{
	struct xtcp_request *req = list_entry(node, struct xtcp_request, node);
	struct sock *sk = req->listener;
	int limit = READ_ONCE(xtcp_sysctl(sock_net(sk))->synack_retries);
	u8 defer = READ_ONCE(xtcp_sk(sk)->defer_accept);

	if (!xtcp_hnode_hashed(&req->h) ||
	    READ_ONCE(sk->sk_state) != TCP_LISTEN ||
	    xtcp_request_expired(req, limit, defer)) {
		xtcp_request_unhash(req);
		xtcp_request_put(req);
		return;
	}
	if (xtcp_request_resends(req, defer)) {
		if (!xtcp_send_request_synack(req)) {
			XTCP_INC_STATS(sock_net(sk), XTCP_MIB_RETRANSSEGS);
			trace_retransmit_synack(req);
		}
		req->retransmits++;
	}
	if (req->timeouts < U8_MAX)
		req->timeouts++;
	req->rto_ms = min_t(u32, req->rto_ms * 2,
			    READ_ONCE(xtcp_sysctl(sock_net(sk))->rto_max_ms));
	xtcp_request_requeue(req);
}

/* When a SYN-ACK leaves, for the handshake's RTT sample; never 0, which
 * says there is none.
 */
static u32 xtcp_synack_stamp(void)
{
	return div_u64(ktime_get_ns(), NSEC_PER_USEC) ?: 1;
}

/* How long the entry waits for its next timeout, for /proc and sock_diag. */
u64 xtcp_request_remaining_ns(const struct xtcp_request *req)
{
	return xtcp_expiry_left_ns(&req->expires);
}
EXPORT_SYMBOL_GPL(xtcp_request_remaining_ns);

/* The four-tuple a segment belongs to, seen from our side. */
static void xtcp_hnode_from_skb(struct xtcp_hnode *h, struct net *net,
				const struct sk_buff *skb, u8 kind)
{
	write_pnet(&h->net, net);
	h->laddr = ip_hdr(skb)->daddr;
	h->raddr = ip_hdr(skb)->saddr;
	h->lport = xtcp_hdr(skb)->dest;
	h->rport = xtcp_hdr(skb)->source;
	h->kind = kind;
}

enum xtcp_syn_verdict {
	XTCP_SYN_QUEUE,		/* a request entry */
	XTCP_SYN_COOKIE,	/* a stateless SYN-ACK */
	XTCP_SYN_DROP,
};

/*
 * What a SYN gets, as in Linux: listen()'s backlog bounds the SYN queue;
 * when it is full a cookie answers (net.xtcp.syncookies = 1; = 2 always),
 * or, with cookies off, nothing.  Without cookies max_syn_backlog also
 * stops new peers at three quarters of it.
 */
static enum xtcp_syn_verdict xtcp_syn_verdict(struct sock *sk)
{
	const struct xtcp_sysctl *sc = xtcp_sysctl(sock_net(sk));
	struct xtcp_sock *lx = xtcp_sk(sk);
	int cookies = READ_ONCE(sc->syncookies);
	int max_syn = READ_ONCE(sc->max_syn_backlog);
	int len = atomic_read(&lx->syn_len);

	if (cookies == 2)
		return XTCP_SYN_COOKIE;
	if (len >= READ_ONCE(sk->sk_max_ack_backlog))
		return cookies ? XTCP_SYN_COOKIE : XTCP_SYN_DROP;
	if (!cookies && len >= max_syn - (max_syn >> 2))
		return XTCP_SYN_DROP;
	return XTCP_SYN_QUEUE;
}

/* What the SYN offered and we want too; our shift if we scale. */
static void xtcp_request_take_opts(struct xtcp_request *req,
				   const struct sock *sk,
				   const struct xtcp_skb_cb *cb)
{
	const struct xtcp_rcv_opts *ro = &cb->header.in;

	req->opts = ro->opts & xtcp_syn_opts_wanted(sock_net(sk));
	req->snd_wscale = ro->wscale;
	req->ts_recent = ro->tsval;
	req->rcv_wscale = req->opts & XTCP_OPT_WSCALE ?
			  xtcp_choose_wscale(sk) : 0;
}

/* A SYN-ACK whose sequence number remembers the SYN for us. */
static void xtcp_send_cookie_synack(struct sock *sk, struct sk_buff *skb)
{
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	struct net *net = sock_net(sk);
	struct xtcp_request r = {
		.listener = sk,
		.irs = cb->seq,
		.cookie = 1,
	};

	xtcp_hnode_from_skb(&r.h, net, skb, XTCP_HK_REQ);
	xtcp_request_take_opts(&r, sk, cb);
	r.iss = xtcp_cookie_make(net, &r.h, cb->seq,
				 cb->mss ?: XTCP_MSS_DEFAULT);
	/* Linux's cookie SYN-ACK answers the SYN's IP options too. */
	r.ipopt = xtcp_ip_opts_save(net, skb);
	xtcp_cookie_sent(sk);
	if (!xtcp_send_request_synack(&r))
		__XTCP_INC_STATS(net, XTCP_MIB_SYNCOOKIESSENT);
	kfree(r.ipopt);
}

/*
 * Never answer a SYN sent to a broadcast or multicast address (RFC 9293
 * MUST-57), in a unicast frame too, where only the route tells (Linux's
 * tcp_v4_conn_request()); xtcp_v4_rcv() dropped the other frames.
 */
static bool xtcp_syn_to_group(const struct sk_buff *skb)
{
	const struct rtable *rt = skb_rtable(skb);

	return rt && (rt->rt_flags & (RTCF_BROADCAST | RTCF_MULTICAST));
}

/* What a SYN gets, with a full accept queue counted as a drop. */
static enum xtcp_syn_verdict xtcp_syn_admit(struct sock *sk,
					    const struct sk_buff *skb)
{
	struct net *net = sock_net(sk);
	enum xtcp_syn_verdict v;

	if (xtcp_syn_to_group(skb)) {
		v = XTCP_SYN_DROP;
	} else if (xtcp_accept_queue_full(xtcp_sk(sk))) {
		__XTCP_INC_STATS(net, XTCP_MIB_LISTENOVERFLOWS);
		v = XTCP_SYN_DROP;
	} else {
		v = xtcp_syn_verdict(sk);
	}
	if (v == XTCP_SYN_DROP)
		__XTCP_INC_STATS(net, XTCP_MIB_LISTENDROPS);
	return v;
}

/* A SYN the SYN queue has no room for gets a cookie, or nothing; false
 * when it is to get an entry.
 */
static bool xtcp_syn_without_entry(struct sock *sk, struct sk_buff *skb)
{
	enum xtcp_syn_verdict v = xtcp_syn_admit(sk, skb);

	if (v == XTCP_SYN_COOKIE)
		xtcp_send_cookie_synack(sk, skb);
	return v != XTCP_SYN_QUEUE;
}

/* A SYN for a listener, RFC 9293 section 3.10.7.2. */
static void xtcp_conn_request(struct sock *sk, struct sk_buff *skb)
{
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	struct xtcp_sock *lx = xtcp_sk(sk);
	struct net *net = sock_net(sk);
	struct xtcp_request *req;

	if (xtcp_syn_without_entry(sk, skb))
		return;

	req = kmem_cache_zalloc(xtcp_request_cache, GFP_ATOMIC);
	if (!req)
		goto drop;
	xtcp_hnode_from_skb(&req->h, net, skb, XTCP_HK_REQ);
	refcount_set(&req->refcnt, 2);		/* the table's and the timer's */
	sock_hold(sk);
	req->listener = sk;
	req->irs = cb->seq;
	/* Past a TIME_WAIT entry's sequence space, if one let the SYN by. */
	req->iss = cb->header.in.tw_isn ?:
		   xtcp_isn(req->h.laddr, req->h.raddr, req->h.lport,
			    req->h.rport);
	req->mss = cb->mss ?: XTCP_MSS_DEFAULT;
	xtcp_request_take_opts(req, sk, cb);
	req->snd_wnd = cb->window;
	req->ipopt = xtcp_ip_opts_save(net, skb);
	req->rto_ms = READ_ONCE(xtcp_sysctl(net)->rto_initial_ms);
	INIT_LIST_HEAD(&req->node);

	if (xtcp_ehash_insert(&req->h)) {
		/* The four-tuple appeared meanwhile: that one answers. */
		sock_put(sk);
		xtcp_request_free(req);
		return;
	}
	atomic_inc(&lx->syn_len);
	xtcp_send_request_synack(req);
	req->synack_us = xtcp_synack_stamp();
	xtcp_expiry_add(xtcp_request_queue(req), &req->node, req->rto_ms);
	return;
drop:
	__XTCP_INC_STATS(net, XTCP_MIB_LISTENDROPS);
}

/*
 * A child that never made it to the accept queue.  Marked dead first:
 * inet_sock_destruct() refuses to free a live socket, and would leave
 * its route and options behind.
 */
static void xtcp_drop_unborn_child(struct sock *child)
{
	sock_set_flag(child, SOCK_DEAD);
	xtcp_destroy_sock(child);
}

/*
 * The final ACK: a full socket, ESTABLISHED, on the accept queue.  It
 * takes its request entry's place in the table, or, made from a cookie
 * (@req on the stack, never hashed), a place of its own.
 */
static struct sock *xtcp_create_child(struct sock *sk,
				      struct xtcp_request *req,
				      struct sk_buff *skb, bool from_cookie)
{
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	struct xtcp_sock *lx = xtcp_sk(sk), *xs;
	struct inet_sock *inet;
	struct sock *child;

	child = sk_alloc(sock_net(sk), PF_INET, GFP_ATOMIC, &xtcp_prot, 0);
	if (!child)
		return NULL;
	sock_init_data(NULL, child);
	child->sk_type = SOCK_STREAM;
	xtcp_init_sock(child);
	xtcp_inherit(child, sk);

	inet = inet_sk(child);
	inet->inet_saddr = req->h.laddr;
	inet->inet_rcv_saddr = req->h.laddr;
	inet->inet_daddr = req->h.raddr;
	inet->inet_sport = req->h.lport;
	inet->inet_dport = req->h.rport;
	inet->inet_num = ntohs(req->h.lport);
	/* The SYN's IP options turned around, a copy: the entry may still
	 * answer with its own (Linux: tcp_v4_syn_recv_sock()).
	 */
	if (xtcp_ip_opts_give(child, req->ipopt) ||
	    xtcp_route_connected(child)) {
		/* No memory, or no route back to the peer. */
		xtcp_drop_unborn_child(child);
		return NULL;
	}

	xs = xtcp_sk(child);
	xs->snd_una = req->iss + 1;
	xs->snd_sml = req->iss + 1;
	xs->snd_nxt = req->iss + 1;
	xs->recover = req->iss + 1;
	xs->write_seq = req->iss + 1;
	xs->pushed_seq = req->iss + 1;
	xs->snd_up = req->iss + 1;
	xs->rcv_wscale = req->rcv_wscale;
	xs->ts_off = xtcp_ts_offset(req->h.laddr, req->h.raddr, req->h.lport,
				    req->h.rport);
	xtcp_set_opts(xs, req->opts, req->snd_wscale,
		      cb->header.in.opts & XTCP_OPT_TS ? cb->header.in.tsval :
		      req->ts_recent);
	xtcp_sync_with_peer(xs, req->irs, cb, req->mss);
	/* The child's clock, which its first measures start from. */
	xtcp_clock_refresh(xs);
	/* The handshake's round trip, from a SYN-ACK sent once (Karn). */
	if (!from_cookie && !req->retransmits && req->synack_us)
		xtcp_rtt_sample(child,
				(u64)(xtcp_us_stamp(xs->clock_ns) -
				      req->synack_us) * NSEC_PER_USEC);
	xtcp_rto_established(child);

	xs->ehash = req->h;
	xs->ehash.kind = XTCP_HK_SOCK;
	xtcp_hnode_init(&xs->ehash);
	if (from_cookie ? xtcp_ehash_insert(&xs->ehash) != 0 :
	    !xtcp_ehash_replace(&req->h, &xs->ehash)) {
		/* The four-tuple is someone else's already, or the entry's
		 * last SYN-ACK timeout took it out while this ACK was on its
		 * way here.
		 */
		xtcp_drop_unborn_child(child);
		return NULL;
	}
	xtcp_set_state(child, TCP_ESTABLISHED);
	xtcp_buffers_established(child);
	xs->rcv_tstamp = xtcp_ms_stamp(ktime_get_ns());
	xtcp_stats_established(xs, true);
	xtcp_keepalive_reset(child);
	xs->bind = lx->bind;
	xs->bind.laddr_any = 0;		/* inet_rcv_saddr: the SYN's */
	INIT_HLIST_NODE(&xs->bind.node);
	xtcp_bind_add(&xs->bind);

	list_add_tail(&xs->accept_node, &lx->accept_queue);
	sk_acceptq_added(sk);
	__XTCP_INC_STATS(sock_net(sk), XTCP_MIB_PASSIVEOPENS);
	return child;
}

/*
 * A segment the listener found to be a child's: what else the final ACK
 * carried (data, FIN), or a segment queued on the listener before the
 * child existed.  Called with the listener locked; the child's lock nests
 * inside it.
 */
static void xtcp_child_rcv(struct sock *child, struct sk_buff *skb)
{
	bh_lock_sock_nested(child);
	if (!sock_owned_by_user(child))
		xtcp_do_rcv(child, skb);
	else if (sk_add_backlog(child, skb, xtcp_backlog_limit(child)))
		kfree_skb(skb);
	bh_unlock_sock(child);
}

/*
 * TCP_DEFER_ACCEPT: a final ACK with neither data nor FIN makes no
 * connection until the listener's period is over (counted in the entry's
 * SYN-ACK timeouts); the peer's data will.  The entry remembers it came,
 * which holds back SYN-ACK resends (xtcp_request_resends()).  Linux's
 * tcp_check_req() does this after the checks an ACK must pass and before
 * the accept queue's, as here.  A cookie's ACK is not held (xtcp_cookie_ack()),
 * as Linux's cookie_v4_check() does not either: there is no entry to wait in.
 */
static bool xtcp_defer_bare_ack(struct sock *sk, struct xtcp_request *req,
				const struct xtcp_skb_cb *cb)
{
	if (req->timeouts >= READ_ONCE(xtcp_sk(sk)->defer_accept) ||
	    cb->end_seq != req->irs + 1)
		return false;
	req->acked = 1;
	__XTCP_INC_STATS(sock_net(sk), XTCP_MIB_DEFERACCEPTDROP);
	return true;
}

/* A segment for a SYN-queue entry, RFC 9293 section 3.10.7.4 for
 * SYN-RECEIVED.  Called with the listener locked.
 */
static void xtcp_request_rcv(struct sock *sk, struct xtcp_request *req,
			     struct sk_buff *skb)
{
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	struct net *net = sock_net(sk);
	struct sock *child;

	if (cb->flags & XTCP_FLAG_RST) {
		if (cb->seq == req->irs + 1)	/* RFC 5961: exact only */
			xtcp_request_kill(req);
		goto drop;
	}
	if (cb->flags & XTCP_FLAG_SYN) {
		/* Our SYN-ACK was lost; but resent at most once an interval,
		 * or the entry reflects a SYN flood at the peer.
		 */
		if (cb->seq == req->irs &&
		    !xtcp_oow_rate_limited(net, cb, &req->last_oow_ack,
					   XTCP_MIB_ACKSKIPPEDSYNRECV)) {
			xtcp_send_request_synack(req);
			req->synack_us = 0;	/* sent twice: no RTT */
		}
		goto drop;
	}
	if (!(cb->flags & XTCP_FLAG_ACK))
		goto drop;
	if (cb->ack_seq != req->iss + 1) {
		xtcp_send_reset_reply(net, skb);
		goto drop;
	}
	if (!xtcp_seq_acceptable(cb->seq, cb->end_seq, req->irs + 1,
				 xtcp_syn_window(sk))) {
		if (!xtcp_oow_rate_limited(net, cb, &req->last_oow_ack,
					   XTCP_MIB_ACKSKIPPEDSYNRECV)) {
			struct xtcp_reply r = {
				.seq = req->iss + 1,
				.ack = req->irs + 1,
				.win = xtcp_syn_window(sk),
			};

			xtcp_send_ack_reply(net, skb, &r);
		}
		goto drop;
	}
	if (xtcp_defer_bare_ack(sk, req, cb))
		goto drop;
	if (xtcp_accept_queue_full(xtcp_sk(sk))) {
		__XTCP_INC_STATS(net, XTCP_MIB_LISTENOVERFLOWS);
		__XTCP_INC_STATS(net, XTCP_MIB_LISTENDROPS);
		if (READ_ONCE(xtcp_sysctl(net)->abort_on_overflow)) {
			xtcp_send_reset_reply(net, skb);
			xtcp_request_kill(req);
		} else {
			req->acked = 1;	/* as Linux: see xtcp_request_resends() */
		}
		goto drop;
	}

	child = xtcp_create_child(sk, req, skb, false);
	if (!child) {
		__XTCP_INC_STATS(net, XTCP_MIB_LISTENDROPS);
		goto drop;
	}
	/* The child took the request's place in the table. */
	atomic_dec(&xtcp_sk(sk)->syn_len);
	if (xtcp_expiry_del(xtcp_request_queue(req), &req->node))
		xtcp_request_put(req);
	xtcp_request_put(req);

	xtcp_child_rcv(child, skb);
	sk->sk_data_ready(sk);
	return;
drop:
	kfree_skb(skb);
}

/* A cookie's connection gets the options our SYN-ACK's timestamp kept,
 * if the peer echoes one.
 */
static void xtcp_cookie_take_opts(struct xtcp_request *r, const struct sock *sk,
				  const struct xtcp_skb_cb *cb)
{
	const struct xtcp_rcv_opts *ro = &cb->header.in;

	if (!(ro->opts & XTCP_OPT_TS) ||
	    !xtcp_cookie_ts_opts(ro->tsecr, &r->opts, &r->snd_wscale)) {
		r->opts = 0;
		return;
	}
	r->opts &= xtcp_syn_opts_wanted(sock_net(sk));
	r->ts_recent = ro->tsval;
	r->rcv_wscale = r->opts & XTCP_OPT_WSCALE ? xtcp_choose_wscale(sk) : 0;
}

/*
 * An ACK that finds no SYN-queue entry may complete a handshake whose
 * SYN-ACK carried a cookie.  True when the segment was taken (and is the
 * child's, or dropped); false when it is not a cookie's.
 */
static bool xtcp_cookie_ack(struct sock *sk, struct sk_buff *skb)
{
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	struct net *net = sock_net(sk);
	struct xtcp_request r = {
		.listener = sk,
		.irs = cb->seq - 1,
		.iss = cb->ack_seq - 1,
	};
	struct sock *child;

	if (!READ_ONCE(xtcp_sysctl(net)->syncookies) ||
	    (cb->flags & (XTCP_FLAG_SYN | XTCP_FLAG_RST)) ||
	    !xtcp_cookie_recent(sk))
		return false;
	xtcp_hnode_from_skb(&r.h, net, skb, XTCP_HK_REQ);
	r.mss = xtcp_cookie_check(net, &r.h, r.irs, r.iss);
	if (!r.mss) {
		__XTCP_INC_STATS(net, XTCP_MIB_SYNCOOKIESFAILED);
		return false;
	}
	xtcp_cookie_take_opts(&r, sk, cb);
	__XTCP_INC_STATS(net, XTCP_MIB_SYNCOOKIESRECV);

	child = NULL;
	if (xtcp_accept_queue_full(xtcp_sk(sk))) {
		__XTCP_INC_STATS(net, XTCP_MIB_LISTENOVERFLOWS);
	} else {
		/* No SYN was kept: Linux takes the ACK's IP options. */
		r.ipopt = xtcp_ip_opts_save(net, skb);
		child = xtcp_create_child(sk, &r, skb, true);
		kfree(r.ipopt);
	}
	if (!child) {
		__XTCP_INC_STATS(net, XTCP_MIB_LISTENDROPS);
		kfree_skb(skb);
		return true;
	}
	xtcp_child_rcv(child, skb);
	sk->sk_data_ready(sk);
	return true;
}

/*
 * A new peer's SYN while the listener's owner is in a system call
 * (accept(), setsockopt()).  If the SYN queue has no room, the answer
 * is a cookie or nothing, neither of which needs the listener's state, so
 * it goes at once instead of to the backlog: under a SYN flood the
 * backlog would fill with SYNs and drop the ACKs that complete real
 * handshakes, and the owner would spend its release_sock() answering
 * the flood (Linux's listeners take every SYN without the owner's lock).
 * True when @skb was taken.
 */
bool xtcp_listen_rcv_busy(struct sock *sk, struct sk_buff *skb)
{
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);

	if (sk->sk_state != TCP_LISTEN ||
	    (cb->flags & (XTCP_FLAG_SYN | XTCP_FLAG_ACK | XTCP_FLAG_RST)) !=
	    XTCP_FLAG_SYN)
		return false;
	if (!xtcp_syn_without_entry(sk, skb))
		return false;
	kfree_skb(skb);
	return true;
}

/*
 * A segment for a listening socket (locked): for one of its SYN-queue
 * entries, a SYN that opens a connection, or anything else, which has no
 * connection to belong to (RFC 9293 section 3.10.7.2).
 */
int xtcp_listen_rcv(struct sock *sk, struct sk_buff *skb)
{
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	const struct iphdr *iph = ip_hdr(skb);
	const struct xtcphdr *th = xtcp_hdr(skb);
	struct xtcp_hnode *h;

	h = xtcp_lookup(sock_net(sk), iph->saddr, th->source, iph->daddr,
			th->dest);
	if (h && h->kind == XTCP_HK_REQ) {
		struct xtcp_request *req = container_of(h, struct xtcp_request, h);

		xtcp_request_rcv(sk, req, skb);
		xtcp_request_put(req);
		return 0;
	}
	if (h && h->kind == XTCP_HK_SOCK) {
		/* The handshake completed while this segment waited on the
		 * listener's backlog (data right after the final ACK): it is
		 * the new connection's.
		 */
		xtcp_child_rcv(xtcp_hnode_sk(h), skb);
		sock_put(xtcp_hnode_sk(h));
		return 0;
	}
	if (h) {
		/* A TIME_WAIT entry since: it answers a retransmission. */
		xtcp_tw_put(container_of(h, struct xtcp_tw, h));
		goto drop;
	}

	if (cb->flags & XTCP_FLAG_RST)
		goto drop;
	if (cb->flags & XTCP_FLAG_ACK) {
		if (xtcp_cookie_ack(sk, skb))
			return 0;
		xtcp_send_reset_reply(sock_net(sk), skb);
		goto drop;
	}
	if (cb->flags & XTCP_FLAG_SYN)
		xtcp_conn_request(sk, skb);
drop:
	kfree_skb(skb);
	return 0;
}

/* ---- TIME_WAIT entries ---- */

static void xtcp_tw_free_rcu(struct rcu_head *head)
{
	kmem_cache_free(xtcp_tw_cache, container_of(head, struct xtcp_tw, rcu));
}

void xtcp_tw_put(struct xtcp_tw *tw)
{
	if (refcount_dec_and_test(&tw->refcnt))
		call_rcu(&tw->rcu, xtcp_tw_free_rcu);
}

/* An entry out of the four-tuple table gives up its port, its count and
 * the table's reference.
 */
static void xtcp_tw_unhashed(struct xtcp_tw *tw)
{
	struct xtcp_net *xn = xtcp_pernet(read_pnet(&tw->h.net));

	xtcp_bind_del(&tw->bind);
	atomic_dec(&xn->tw_count);
	xtcp_tw_put(tw);
}

static void xtcp_tw_unhash(struct xtcp_tw *tw)
{
	if (xtcp_ehash_remove(&tw->h))
		xtcp_tw_unhashed(tw);
}

static struct xtcp_expiry_queue *xtcp_tw_queue(const struct xtcp_tw *tw)
{
	return &xtcp_pernet(read_pnet(&tw->h.net))->tw_queue;
}

/* Its time came: the queue's reference is ours. */
static void xtcp_tw_expire(struct list_head *node)
{
	struct xtcp_tw *tw = list_entry(node, struct xtcp_tw, node);

	xtcp_tw_unhash(tw);
	xtcp_tw_put(tw);
}

/* How long the entry has left, for /proc and sock_diag. */
u64 xtcp_tw_remaining_ns(const struct xtcp_tw *tw)
{
	return xtcp_expiry_left_ns(&tw->expires);
}
EXPORT_SYMBOL_GPL(xtcp_tw_remaining_ns);

void xtcp_tw_kill(struct xtcp_tw *tw)
{
	if (xtcp_expiry_del(xtcp_tw_queue(tw), &tw->node))
		xtcp_tw_put(tw);
	xtcp_tw_unhash(tw);
}
EXPORT_SYMBOL_GPL(xtcp_tw_kill);

/* TIME_WAIT's length: 2*MSL. */
static u32 xtcp_tw_2msl_ms(const struct net *net)
{
	return 2 * READ_ONCE(xtcp_sysctl(net)->msl_ms);
}

/* A retransmitted FIN, or the peer's FIN in FIN_WAIT_2: 2*MSL from now,
 * unless the entry is already on its way out.
 */
static void xtcp_tw_restart(struct xtcp_tw *tw)
{
	xtcp_expiry_restart(xtcp_tw_queue(tw), &tw->node,
			    xtcp_tw_2msl_ms(read_pnet(&tw->h.net)));
}

/*
 * A socket becomes a TIME_WAIT-table entry (called locked): the active
 * closer in TIME_WAIT, or an orphan in FIN_WAIT_2 (@substate), which waits
 * its TCP_LINGER2 or fin_timeout (sockopt.c).  Beyond max_tw_buckets no
 * entry is kept, as in Linux, and TWOverflow says so.
 */
void xtcp_time_wait(struct sock *sk, int substate)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct net *net = sock_net(sk);
	struct xtcp_net *xn = xtcp_pernet(net);
	struct xtcp_tw *tw = NULL;
	u32 life_ms;

	if (atomic_read(&xn->tw_count) < READ_ONCE(xn->sysctl.max_tw_buckets))
		tw = kmem_cache_zalloc(xtcp_tw_cache, GFP_ATOMIC);
	if (!tw) {
		XTCP_INC_STATS(net, XTCP_MIB_TWOVERFLOW);
		xtcp_done(sk);
		return;
	}
	life_ms = substate == TCP_FIN_WAIT2 ?
		  DIV_ROUND_UP_ULL(xtcp_fin_time_ns(sk), NSEC_PER_MSEC) :
		  xtcp_tw_2msl_ms(net);
	tw->h = xs->ehash;
	tw->h.kind = XTCP_HK_TW;
	tw->substate = substate;
	xtcp_hnode_init(&tw->h);
	/* Its address and port are the four-tuple's; a wildcard bind()
	 * stays one (laddr_any).
	 */
	tw->bind = xs->bind;
	tw->bind.kind = XTCP_HK_TW;
	INIT_HLIST_NODE(&tw->bind.node);
	tw->snd_nxt = xs->snd_nxt;
	tw->rcv_nxt = xs->rcv_nxt;
	tw->rcv_wnd = xtcp_rcv_wnd(xs);
	tw->rcv_wscale = xs->rcv_wscale;
	tw->tos = inet_sk(sk)->tos;
	/* A stamp of 0 says the connection had no timestamps (Linux's too). */
	tw->ts_recent_stamp = xs->opts & XTCP_OPT_TS ? xs->ts_recent_stamp : 0;
	tw->ts_recent = xs->ts_recent;
	tw->ts_off = xs->ts_off;
	refcount_set(&tw->refcnt, 2);		/* the table's and the queue's */
	INIT_LIST_HEAD(&tw->node);

	xtcp_bind_add(&tw->bind);
	if (!xtcp_ehash_replace(&xs->ehash, &tw->h)) {
		/* Never hashed (or gone): nothing to stand in for. */
		xtcp_bind_del(&tw->bind);
		kmem_cache_free(xtcp_tw_cache, tw);
		xtcp_done(sk);
		return;
	}
	atomic_inc(&xn->tw_count);
	if (substate == TCP_TIME_WAIT)
		XTCP_INC_STATS(net, XTCP_MIB_TIMEWAITENTRIES);
	xtcp_expiry_add(xtcp_tw_queue(tw), &tw->node, life_ms);
	/* The socket passes through the entry's state on its way out, so
	 * that xtcp:state_change shows where the connection went on.
	 */
	xtcp_set_state(sk, substate);
	xtcp_done(sk);
}

/*
 * May connect() take @tw's four-tuple over?  Linux's tcp_twsk_unique():
 * only if the connection had timestamps, whose PAWS keeps the old one's
 * duplicates out of the new.  A socket bound to its port always may; one
 * picking an ephemeral port may with net.xtcp.tw_reuse 1 (2: over
 * loopback only), not from FIN_WAIT_2, once the peer's last timestamp is
 * from an earlier second.
 */
bool xtcp_tw_reusable(const struct sock *sk, const struct xtcp_tw *tw,
		      bool port_bound)
{
	int reuse = READ_ONCE(xtcp_sysctl(sock_net(sk))->timewait_reuse);
	u32 stamp = READ_ONCE(tw->ts_recent_stamp);

	if (!stamp)
		return false;
	if (port_bound)
		return true;
	if (READ_ONCE(tw->substate) == TCP_FIN_WAIT2)
		return false;
	if (reuse == 2 && !ipv4_is_loopback(tw->h.laddr) &&
	    !ipv4_is_loopback(tw->h.raddr))
		return false;
	return reuse && (s32)((u32)ktime_get_seconds() - stamp) > 0;
}

/*
 * connect() took @tw's four-tuple (table.c swapped @sk in, and the
 * table's reference to @tw is ours): the new connection starts past all
 * the old one may have sent, a window beyond its snd_nxt as in Linux, and
 * echoes the peer's latest timestamp; the entry goes.
 */
void xtcp_tw_reuse(struct sock *sk, struct xtcp_tw *tw)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	xs->write_seq = tw->snd_nxt + XTCP_RCV_WND + 2 ?: 1;
	xs->ts_recent = READ_ONCE(tw->ts_recent);
	xs->ts_recent_stamp = READ_ONCE(tw->ts_recent_stamp);
	XTCP_INC_STATS(sock_net(sk), XTCP_MIB_TWRECYCLED);
	if (xtcp_expiry_del(xtcp_tw_queue(tw), &tw->node))
		xtcp_tw_put(tw);
	xtcp_tw_unhashed(tw);
}

#define XTCP_PAWS_24DAYS	(24 * 24 * 3600)	/* seconds */
#define XTCP_PAWS_MSL		60	/* a RST's timestamp counts this long */

/*
 * PAWS for an entry (RFC 7323 section 5), as Linux's tcp_paws_reject():
 * a segment whose TSval is older than the last one taken is an old
 * duplicate, unless that one is 24 days old, or, for a RST, a minute.
 */
static bool xtcp_tw_paws_reject(const struct xtcp_tw *tw,
				const struct xtcp_skb_cb *cb)
{
	const struct xtcp_rcv_opts *ro = &cb->header.in;
	u32 stamp = READ_ONCE(tw->ts_recent_stamp), age;

	if (!stamp || !(ro->opts & XTCP_OPT_TS) ||
	    (s32)(ro->tsval - READ_ONCE(tw->ts_recent)) >= 0)
		return false;
	age = (u32)ktime_get_seconds() - stamp;
	if (age >= XTCP_PAWS_24DAYS)
		return false;
	return !(cb->flags & XTCP_FLAG_RST) || age < XTCP_PAWS_MSL;
}

/* The peer's TSval, from a segment the entry accepted. */
static void xtcp_tw_take_ts(struct xtcp_tw *tw, const struct xtcp_skb_cb *cb)
{
	if (!tw->ts_recent_stamp || !(cb->header.in.opts & XTCP_OPT_TS))
		return;
	WRITE_ONCE(tw->ts_recent, cb->header.in.tsval);
	WRITE_ONCE(tw->ts_recent_stamp, (u32)ktime_get_seconds());
}

/* The window field of an entry's ACK, in the connection's scale. */
static u16 xtcp_tw_window(const struct xtcp_tw *tw)
{
	return min_t(u32, tw->rcv_wnd >> tw->rcv_wscale, 0xffff);
}

/*
 * The entry's ACK, with the connection's timestamps if it had them (RFC
 * 7323): our clock with its offset, and the peer's latest TSval, as
 * Linux's tcp_v4_timewait_ack().
 */
static void xtcp_tw_send_ack(struct xtcp_tw *tw, struct sk_buff *skb)
{
	struct xtcp_reply r = {
		.seq = tw->snd_nxt,
		.ack = tw->rcv_nxt,
		.win = xtcp_tw_window(tw),
		.tos = tw->tos,
		.ts = !!READ_ONCE(tw->ts_recent_stamp),
		.tsval = xtcp_ts_clock() + tw->ts_off,
		.tsecr = READ_ONCE(tw->ts_recent),
	};

	xtcp_send_ack_reply(read_pnet(&tw->h.net), skb, &r);
}

/* An answer to a segment the entry cannot take, at most one an interval. */
static void xtcp_tw_send_oow_ack(struct xtcp_tw *tw, struct sk_buff *skb)
{
	if (!xtcp_oow_rate_limited(read_pnet(&tw->h.net), XTCP_SKB_CB(skb),
				   &tw->last_oow_ack,
				   XTCP_MIB_ACKSKIPPEDTIMEWAIT))
		xtcp_tw_send_ack(tw, skb);
}

/*
 * A segment for an orphan's FIN_WAIT_2 entry, Linux's rules: one failing
 * PAWS gets an ACK; the peer's FIN moves it to TIME_WAIT (acknowledged,
 * 2*MSL from now); new data for a socket nobody reads gets a RST;
 * anything else is dropped.
 */
static void xtcp_tw_fin_wait2_rcv(struct xtcp_tw *tw, struct sk_buff *skb,
				  bool paws_reject)
{
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	struct net *net = read_pnet(&tw->h.net);

	if (paws_reject) {
		xtcp_tw_send_oow_ack(tw, skb);
		return;
	}
	if (cb->flags & XTCP_FLAG_RST) {
		if (xtcp_seq_acceptable(cb->seq, cb->end_seq, tw->rcv_nxt,
					tw->rcv_wnd))
			xtcp_tw_kill(tw);
		return;
	}
	if (!(cb->flags & XTCP_FLAG_ACK) || cb->end_seq == cb->seq ||
	    !xtcp_after(cb->end_seq, tw->rcv_nxt))
		return;
	if (!(cb->flags & XTCP_FLAG_FIN) || cb->end_seq != tw->rcv_nxt + 1) {
		xtcp_send_reset_reply(net, skb);
		xtcp_tw_kill(tw);
		return;
	}
	tw->substate = TCP_TIME_WAIT;
	tw->rcv_nxt = cb->end_seq;
	xtcp_tw_take_ts(tw, cb);
	__XTCP_INC_STATS(net, XTCP_MIB_TIMEWAITENTRIES);
	xtcp_tw_restart(tw);
	xtcp_tw_send_ack(tw, skb);
}

/*
 * A SYN that may open a new incarnation of the four-tuple (RFC 9293
 * section 3.10.7.4, RFC 6191): above everything the old connection
 * received, or with a newer timestamp.  It gets an ISN a window past
 * ours, as in Linux's tcp_timewait_state_process().
 */
static bool xtcp_tw_new_syn(struct xtcp_tw *tw, struct sk_buff *skb)
{
	struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	const struct xtcp_rcv_opts *ro = &cb->header.in;

	if ((cb->flags & (XTCP_FLAG_SYN | XTCP_FLAG_ACK | XTCP_FLAG_RST)) !=
	    XTCP_FLAG_SYN)
		return false;
	if (!xtcp_after(cb->seq, tw->rcv_nxt) &&
	    !(tw->ts_recent_stamp && (ro->opts & XTCP_OPT_TS) &&
	      (s32)(ro->tsval - tw->ts_recent) > 0))
		return false;
	cb->header.in.tw_isn = tw->snd_nxt + XTCP_RCV_WND + 2 ?: 1;
	return true;
}

/*
 * A segment for a TIME_WAIT entry, RFC 9293 section 3.10.7.4:
 * - one failing PAWS (RFC 7323 section 5) is dropped, and answered
 *   unless it is a RST;
 * - a retransmitted FIN is acknowledged again and restarts 2*MSL;
 * - a RST ends the entry (Linux's default; RFC 1337 discusses the hazard);
 * - a SYN above everything the old connection used, or with a newer
 *   timestamp, may start a new one; an older one gets an ACK;
 * - anything else unacceptable gets an ACK.
 * Every ACK carries the connection's timestamps, if it had them.
 */
enum xtcp_tw_verdict xtcp_tw_rcv(struct xtcp_tw *tw, struct sk_buff *skb)
{
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	bool paws_reject = xtcp_tw_paws_reject(tw, cb);

	if (tw->substate == TCP_FIN_WAIT2) {
		xtcp_tw_fin_wait2_rcv(tw, skb, paws_reject);
		return XTCP_TW_DONE;
	}

	if (paws_reject) {
		__XTCP_INC_STATS(read_pnet(&tw->h.net), XTCP_MIB_PAWSREJECTED);
		if (!(cb->flags & XTCP_FLAG_RST))
			xtcp_tw_send_oow_ack(tw, skb);
		return XTCP_TW_DONE;
	}
	if (cb->flags & XTCP_FLAG_RST) {
		if (xtcp_seq_acceptable(cb->seq, cb->end_seq, tw->rcv_nxt,
					tw->rcv_wnd))
			xtcp_tw_kill(tw);
		return XTCP_TW_DONE;
	}
	if (xtcp_tw_new_syn(tw, skb)) {
		xtcp_tw_kill(tw);
		return XTCP_TW_NEW_SYN;
	}
	if ((cb->flags & XTCP_FLAG_FIN) && cb->end_seq == tw->rcv_nxt) {
		xtcp_tw_restart(tw);	/* a lost last ACK: always answered */
		xtcp_tw_send_ack(tw, skb);
	} else if (cb->seq == tw->rcv_nxt && cb->end_seq == cb->seq &&
		   !(cb->flags & XTCP_FLAG_SYN)) {
		xtcp_tw_take_ts(tw, cb);	/* a duplicate ACK: no answer */
	} else {
		xtcp_tw_send_oow_ack(tw, skb);
	}
	return XTCP_TW_DONE;
}

/* A namespace's queues of SYN-ACK and TIME_WAIT timeouts. */
void xtcp_minisocks_init_net(struct xtcp_net *xn)
{
	xtcp_expiry_init(&xn->req_queue,
			 (int)offsetof(struct xtcp_request, expires) -
			 (int)offsetof(struct xtcp_request, node),
			 xtcp_request_timeout);
	xtcp_expiry_init(&xn->tw_queue,
			 (int)offsetof(struct xtcp_tw, expires) -
			 (int)offsetof(struct xtcp_tw, node),
			 xtcp_tw_expire);
}

/* After xtcp_table_purge_net() killed every entry. */
void xtcp_minisocks_exit_net(struct xtcp_net *xn)
{
	xtcp_expiry_exit(&xn->req_queue);
	xtcp_expiry_exit(&xn->tw_queue);
}
