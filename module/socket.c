// SPDX-License-Identifier: GPL-2.0
/*
 * The socket calls: what user space reaches through socket(2), bind(2),
 * listen(2), accept(2), connect(2), send/recv, shutdown(2) and close(2) on
 * an AF_XTCP socket, and the state changes they start.  Each call returns
 * the errno Linux TCP returns in the same situation.
 *
 * A socket's life: socket() makes it CLOSED; connect() sends a SYN
 * (SYN_SENT) or listen() hashes it as a listener; input.c moves the state
 * machine on; close() sends our FIN or, with unread data, a RST, and leaves
 * an orphan behind that finishes the close by itself.
 */
#include <linux/in.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/sockios.h>
#include <linux/termios.h>
#include <linux/tcp.h>
#include <net/inet_common.h>
#include <net/ip.h>
#include <net/route.h>
#include <net/sock.h>
#include <net/xfrm.h>

#include "xtcp.h"
#include "trace.h"

/* ---- states ---- */

void xtcp_set_state(struct sock *sk, int state)
{
	struct xtcp_net *xn = xtcp_pernet(sock_net(sk));
	int old = sk->sk_state;

	if (old == state)
		return;
	trace_state_change(sk, old, state);
	if (state == TCP_ESTABLISHED)
		atomic_inc(&xn->curr_estab);
	else if (old == TCP_ESTABLISHED)
		atomic_dec(&xn->curr_estab);

	if (state == TCP_CLOSE) {
		/* Linux's meanings: a failed open, or a reset connection. */
		if (old == TCP_SYN_SENT || old == TCP_SYN_RECV)
			XTCP_INC_STATS(sock_net(sk), XTCP_MIB_ATTEMPTFAILS);
		else if (old == TCP_ESTABLISHED || old == TCP_CLOSE_WAIT)
			XTCP_INC_STATS(sock_net(sk), XTCP_MIB_ESTABRESETS);
	}
	/* Pairs with inet_sk_state_load() in poll and /proc. */
	smp_store_release(&sk->sk_state, state);
}

static void xtcp_purge_write_queue(struct sock *sk)
{
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(&sk->sk_write_queue)))
		xtcp_wmem_free(sk, skb);
	sk_mem_reclaim(sk);
	xtcp_sk(sk)->send_head = NULL;
	xtcp_sk(sk)->packets_out = 0;
	xtcp_sk(sk)->sacked_out = 0;
	xtcp_sk(sk)->lost_out = 0;
	xtcp_sk(sk)->retrans_out = 0;
	xtcp_sk(sk)->rtx_hint = NULL;
	/* Nothing left to send: TCP_INFO's busy time ends. */
	xtcp_clock_refresh(xtcp_sk(sk));
	xtcp_chrono_update(sk, false);
}

/*
 * The end of a socket nobody will use again (its owner closed it and the
 * protocol is done with it): it leaves the tables and the count in
 * /proc/net/protocols, and the owner's reference goes.
 */
void xtcp_destroy_sock(struct sock *sk)
{
	if (xtcp_sk(sk)->orphan_counted)
		atomic_dec(&xtcp_pernet(sock_net(sk))->orphans);
	xtcp_ooo_purge(xtcp_sk(sk));
	xtcp_sock_unhash(sk);
	sock_prot_inuse_add(sock_net(sk), &xtcp_prot, -1);
	sk_sockets_allocated_dec(sk);
	sock_put(sk);
}

/*
 * The connection is over: out of every table, timers stopped.  An orphan
 * (closed by its owner) is then destroyed.  Callers hold a reference of
 * their own across this.
 */
void xtcp_done(struct sock *sk)
{
	xtcp_set_state(sk, TCP_CLOSE);
	xtcp_timers_stop(sk);
	xtcp_sock_unhash(sk);
	xtcp_purge_write_queue(sk);
	xtcp_ooo_purge(xtcp_sk(sk));
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	if (!sock_flag(sk, SOCK_DEAD))
		sk->sk_state_change(sk);
	else
		xtcp_destroy_sock(sk);
}

/* The connection fails with @err, reported to the owner. */
void xtcp_reset(struct sock *sk, int err)
{
	WRITE_ONCE(sk->sk_err, err);
	if (!sock_flag(sk, SOCK_DEAD))
		sk_error_report(sk);
	xtcp_done(sk);
}

/* ---- creation ---- */

static void xtcp_init_inet(struct sock *sk)
{
	struct inet_sock *inet = inet_sk(sk);

	inet->uc_ttl = -1;
	inet->mc_ttl = 1;
	xtcp_inet_set_mc_all(sk);
	if (READ_ONCE(sock_net(sk)->ipv4.sysctl_ip_no_pmtu_disc))
		inet->pmtudisc = IP_PMTUDISC_DONT;
	else
		inet->pmtudisc = IP_PMTUDISC_WANT;
}

/* The write queue shrank: wake a writer that found the buffer full, once
 * half of it is free (edge-triggered epoll sees one EPOLLOUT, as TCP's).
 */
static void xtcp_write_space(struct sock *sk)
{
	struct socket *sock = sk->sk_socket;

	if (!sock || !test_bit(SOCK_NOSPACE, &sock->flags) ||
	    sk->sk_wmem_queued > READ_ONCE(sk->sk_sndbuf) / 2 ||
	    !__sk_stream_memory_free(sk, 1))
		return;
	clear_bit(SOCK_NOSPACE, &sock->flags);
	sk_wake_async(sk, SOCK_WAKE_SPACE, POLL_OUT);
	rcu_read_lock();
	if (skwq_has_sleeper(rcu_dereference(sk->sk_wq)))
		wake_up_interruptible_poll(&rcu_dereference(sk->sk_wq)->wait,
					   EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND);
	rcu_read_unlock();
}

/* What every XTCP socket needs, whether socket() or a listener made it. */
void xtcp_init_sock(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	sk->sk_protocol = xtcp_ipproto;
	sk->sk_destruct = inet_sock_destruct;
	sk->sk_backlog_rcv = xtcp_backlog_rcv;
	sk->sk_write_space = xtcp_write_space;
	xtcp_hnode_init(&xs->ehash);
	INIT_HLIST_NODE(&xs->bind.node);
	sk_node_init(&sk->sk_node);
	INIT_LIST_HEAD(&xs->accept_queue);	/* and accept_node */
	xs->ooo_root = RB_ROOT;
	xs->ooo_last = NULL;
	xtcp_timers_init(sk);
	xtcp_init_buffers(sk);
	xtcp_cong_init(sk);
	xs->rcv_ratio = XTCP_RCV_RATIO_INIT;
	sk_sockets_allocated_inc(sk);
	xs->mss = XTCP_MSS_DEFAULT;
	xtcp_rto_set(xs, xtcp_rto_initial_ns(sock_net(sk)));
	xtcp_init_inet(sk);
	sock_prot_inuse_add(sock_net(sk), &xtcp_prot, 1);
}

/* A listener's child takes over its settings. */
void xtcp_inherit(struct sock *child, const struct sock *parent)
{
	struct inet_sock *ci = inet_sk(child);
	const struct inet_sock *pi = inet_sk(parent);

	child->sk_reuse = parent->sk_reuse;
	child->sk_reuseport = parent->sk_reuseport;
	child->sk_bound_dev_if = parent->sk_bound_dev_if;
	child->sk_mark = parent->sk_mark;
	/* Not SO_PRIORITY: Linux's sk_clone_lock() starts a child at 0. */
	child->sk_rcvbuf = parent->sk_rcvbuf;
	child->sk_sndbuf = parent->sk_sndbuf;
	child->sk_uid = parent->sk_uid;
	child->sk_userlocks = parent->sk_userlocks;
	child->sk_flags |= parent->sk_flags & (BIT(SOCK_KEEPOPEN) |
					      BIT(SOCK_LINGER) |
					      BIT(SOCK_URGINLINE));
	child->sk_lingertime = parent->sk_lingertime;
	xtcp_sk(child)->user_mss = xtcp_sk(parent)->user_mss;
	xtcp_sk(child)->nodelay = xtcp_sk(parent)->nodelay;
	xtcp_sk(child)->keepidle = xtcp_sk(parent)->keepidle;
	xtcp_sk(child)->keepintvl = xtcp_sk(parent)->keepintvl;
	xtcp_sk(child)->keepcnt = xtcp_sk(parent)->keepcnt;
	xtcp_sk(child)->user_timeout = READ_ONCE(xtcp_sk(parent)->user_timeout);
	xtcp_sk(child)->cc = xtcp_sk(parent)->cc;
	xtcp_sk(child)->recvmsg_inq = xtcp_sk(parent)->recvmsg_inq;
	xtcp_sockopt_inherit(child, parent);
	ci->tos = pi->tos;
	ci->uc_ttl = pi->uc_ttl;
	ci->pmtudisc = pi->pmtudisc;
}

int xtcp_create_socket(struct net *net, struct socket *sock, int protocol,
		       int kern)
{
	struct sock *sk;

	if (sock->type != SOCK_STREAM)
		return -ESOCKTNOSUPPORT;
	if (protocol && protocol != xtcp_ipproto)
		return -EPROTONOSUPPORT;

	/* An inet socket inside, so the IP layer's helpers work on it. */
	sk = sk_alloc(net, PF_INET, GFP_KERNEL, &xtcp_prot, kern);
	if (!sk)
		return -ENOBUFS;

	sock->state = SS_UNCONNECTED;
	sock->ops = &xtcp_stream_ops;
	sock_init_data(sock, sk);
	xtcp_init_sock(sk);
	xtcp_leave_memcg(sk);
	return 0;
}

/* ---- bind and listen ---- */

/* The address checks of TCP's bind(2) and connect(2). */
static int xtcp_check_sockaddr(const struct sockaddr *uaddr, int addr_len)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)uaddr;

	if (addr_len < (int)sizeof(*sin))
		return -EINVAL;
	if (sin->sin_family == AF_INET)
		return 0;
	/* Like TCP, accept AF_UNSPEC with INADDR_ANY for old programs. */
	if (sin->sin_family == AF_UNSPEC &&
	    sin->sin_addr.s_addr == htonl(INADDR_ANY))
		return 0;
	return -EAFNOSUPPORT;
}

/* An address we may bind: ours, or any, as for TCP (no freebind yet). */
static int xtcp_check_local_addr(struct sock *sk, __be32 addr)
{
	unsigned int type = inet_addr_type(sock_net(sk), addr);

	if (addr == htonl(INADDR_ANY) || type == RTN_LOCAL ||
	    type == RTN_MULTICAST || type == RTN_BROADCAST)
		return 0;
	return -EADDRNOTAVAIL;
}

static int xtcp_bind(struct socket *sock, struct sockaddr *uaddr, int addr_len)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)uaddr;
	struct sock *sk = sock->sk;
	struct inet_sock *inet = inet_sk(sk);
	u16 port;
	int err;

	err = xtcp_check_sockaddr(uaddr, addr_len);
	if (err)
		return err;
	err = xtcp_check_local_addr(sk, sin->sin_addr.s_addr);
	if (err)
		return err;
	port = ntohs(sin->sin_port);
	if (port && inet_port_requires_bind_service(sock_net(sk), port) &&
	    !ns_capable(sock_net(sk)->user_ns, CAP_NET_BIND_SERVICE))
		return -EACCES;

	lock_sock(sk);
	err = -EINVAL;
	if (sk->sk_state != TCP_CLOSE || inet->inet_num)
		goto out;
	err = xtcp_bind_port(sk, sin->sin_addr.s_addr, port);
	if (err)
		goto out;
	inet->inet_rcv_saddr = sin->sin_addr.s_addr;
	inet->inet_saddr = sin->sin_addr.s_addr;
	inet->inet_sport = htons(inet->inet_num);	/* xtcp_bind_port() */
	inet->inet_daddr = 0;
	inet->inet_dport = 0;
	if (sin->sin_addr.s_addr)
		sk->sk_userlocks |= SOCK_BINDADDR_LOCK;
	if (port)
		sk->sk_userlocks |= SOCK_BINDPORT_LOCK;
	sk_dst_reset(sk);
out:
	release_sock(sk);
	return err;
}

static int xtcp_listen(struct socket *sock, int backlog)
{
	struct sock *sk = sock->sk;
	struct inet_sock *inet = inet_sk(sk);
	int somaxconn = READ_ONCE(sock_net(sk)->core.sysctl_somaxconn);
	int err = -EINVAL;

	lock_sock(sk);
	if (sock->state != SS_UNCONNECTED)
		goto out;
	/* Linux caps the backlog by somaxconn and admits one more than it. */
	backlog = clamp(backlog, 0, somaxconn);
	if (sk->sk_state == TCP_LISTEN) {
		WRITE_ONCE(sk->sk_max_ack_backlog, backlog);
		err = 0;
		goto out;
	}
	if (sk->sk_state != TCP_CLOSE)
		goto out;

	if (!inet->inet_num) {
		err = xtcp_bind_port(sk, htonl(INADDR_ANY), 0);
		if (err)
			goto out;
		inet->inet_sport = htons(inet->inet_num);
	}
	WRITE_ONCE(sk->sk_max_ack_backlog, backlog);
	xtcp_set_state(sk, TCP_LISTEN);
	err = xtcp_listen_check_port(sk);
	if (err) {
		xtcp_set_state(sk, TCP_CLOSE);
		goto out;
	}
	xtcp_listen_hash(sk);
out:
	release_sock(sk);
	return err;
}

/* Stops listening: SYN-queue entries are forgotten, connections nobody
 * accepted are reset, as Linux does.
 */
static void xtcp_listen_stop(struct sock *sk)
{
	struct xtcp_sock *lx = xtcp_sk(sk), *xs, *tmp;
	struct sock *child;

	xtcp_listen_unhash(sk);
	xtcp_set_state(sk, TCP_CLOSE);
	/* Request timers see the state and end their entries. */
	list_for_each_entry_safe(xs, tmp, &lx->accept_queue, accept_node) {
		child = &xs->inet.sk;
		list_del_init(&xs->accept_node);
		sk_acceptq_removed(sk);
		local_bh_disable();
		bh_lock_sock_nested(child);
		sock_hold(child);
		sock_orphan(child);
		if (child->sk_state != TCP_CLOSE) {
			xtcp_send_active_reset(child, GFP_ATOMIC);
			xtcp_done(child);	/* drops the queue's reference */
		} else {
			xtcp_destroy_sock(child);
		}
		bh_unlock_sock(child);
		local_bh_enable();
		sock_put(child);
	}
	xtcp_sock_unhash(sk);
}

/* ---- accept ---- */

static int xtcp_wait_for_child(struct sock *sk, long *timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct xtcp_sock *lx = xtcp_sk(sk);
	int err;

	add_wait_queue(sk_sleep(sk), &wait);
	for (;;) {
		err = 0;
		if (!list_empty(&lx->accept_queue))
			break;
		err = -EINVAL;
		if (sk->sk_state != TCP_LISTEN)
			break;
		err = -EAGAIN;
		if (!*timeo)
			break;
		err = sock_intr_errno(*timeo);
		if (signal_pending(current))
			break;
		release_sock(sk);
		*timeo = wait_woken(&wait, TASK_INTERRUPTIBLE, *timeo);
		lock_sock(sk);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	return err;
}

static int xtcp_accept(struct socket *sock, struct socket *newsock,
		       XTCP_ACCEPT_ARGS)
{
	struct sock *sk = sock->sk, *child;
	struct xtcp_sock *lx = xtcp_sk(sk), *xs;
	long timeo;
	int err;

	lock_sock(sk);
	err = -EINVAL;
	if (sk->sk_state != TCP_LISTEN)
		goto out;
	timeo = sock_rcvtimeo(sk, XTCP_ACCEPT_FLAGS & O_NONBLOCK);
	err = xtcp_wait_for_child(sk, &timeo);
	if (err)
		goto out;
	xs = list_first_entry(&lx->accept_queue, struct xtcp_sock, accept_node);
	list_del_init(&xs->accept_node);
	sk_acceptq_removed(sk);
	release_sock(sk);

	child = &xs->inet.sk;
	lock_sock(child);
	sock_graft(child, newsock);
	newsock->state = SS_CONNECTED;
	release_sock(child);
	return 0;
out:
	release_sock(sk);
	return err;
}

/* ---- connect ---- */

/*
 * Where a connection's segments go first: to the first hop of a source
 * route set with IP_OPTIONS (RFC 9293 MUST-51), the destination staying
 * the final one, as tcp_v4_connect(), which refuses a source route to
 * 0.0.0.0 with EINVAL.
 */
static int xtcp_connect_nexthop(const struct sock *sk, __be32 daddr,
				__be32 *nexthop)
{
	const struct ip_options_rcu *opt;

	opt = rcu_dereference_protected(inet_sk(sk)->inet_opt,
					lockdep_sock_is_held(sk));
	if (opt && opt->opt.srr && !daddr)
		return -EINVAL;
	*nexthop = xtcp_ip_opts_nexthop(opt, daddr);
	return 0;
}

static int xtcp_v4_connect(struct sock *sk, const struct sockaddr_in *usin)
{
	struct inet_sock *inet = inet_sk(sk);
	struct xtcp_sock *xs = xtcp_sk(sk);
	__be16 orig_sport = inet->inet_sport;
	struct flowi4 *fl4 = &inet->cork.fl.u.ip4;
	struct rtable *rt;
	__be32 nexthop;
	bool took_tw;
	int err;

	err = xtcp_connect_nexthop(sk, usin->sin_addr.s_addr, &nexthop);
	if (err)
		return err;
	rt = ip_route_connect(fl4, nexthop, inet->inet_saddr,
			      sk->sk_bound_dev_if, sk->sk_protocol, orig_sport,
			      usin->sin_port, sk);
	if (IS_ERR(rt))
		return PTR_ERR(rt) == -ENETUNREACH ? -ENETUNREACH : PTR_ERR(rt);
	if (rt->rt_flags & (RTCF_MULTICAST | RTCF_BROADCAST)) {
		ip_rt_put(rt);
		return -ENETUNREACH;
	}
	if (!inet->inet_saddr) {
		inet->inet_saddr = fl4->saddr;
		inet->inet_rcv_saddr = fl4->saddr;
	}
	inet->inet_daddr = usin->sin_addr.s_addr;
	inet->inet_dport = usin->sin_port;

	err = xtcp_connect_port(sk);
	if (err < 0)
		goto fail;
	took_tw = err;
	rt = ip_route_newports(fl4, rt, orig_sport, inet->inet_sport,
			       inet->inet_dport, inet->inet_sport, sk);
	if (IS_ERR(rt)) {
		err = PTR_ERR(rt);
		rt = NULL;
		xtcp_sock_unhash(sk);
		goto fail;
	}
	sk_setup_caps(sk, &rt->dst);
	xtcp_set_mss(sk, &rt->dst);

	/* Taking a TIME_WAIT entry's four-tuple over set these already
	 * (the initial sequence number in write_seq, as Linux).
	 */
	if (!took_tw) {
		xs->write_seq = xtcp_isn(inet->inet_saddr, inet->inet_daddr,
					 inet->inet_sport, inet->inet_dport);
		xs->ts_recent = 0;
	}
	xs->snd_una = xs->write_seq;
	xs->snd_sml = xs->write_seq;
	xs->snd_nxt = xs->write_seq;
	xs->pushed_seq = xs->write_seq;
	xs->snd_up = xs->write_seq;
	xs->retransmits = 0;
	xs->srtt_us = 0;
	xs->rttvar_us = 0;
	xtcp_cong_reset(sk);	/* TCP_CONGESTION, if set, stays */
	xtcp_rto_set(xs, xtcp_rto_initial_ns(sock_net(sk)));
	/* The SYN offers what net.xtcp.* allows; the SYN-ACK narrows it. */
	xs->opts = xtcp_syn_opts_wanted(sock_net(sk));
	xs->rcv_wscale = xtcp_choose_wscale(sk);
	xs->ts_off = xtcp_ts_offset(inet->inet_saddr, inet->inet_daddr,
				    inet->inet_sport, inet->inet_dport);
	/* An error the last connection left is not this one's. */
	WRITE_ONCE(sk->sk_err, 0);
	WRITE_ONCE(sk->sk_err_soft, 0);
	sock_reset_flag(sk, SOCK_DONE);
	xtcp_set_state(sk, TCP_SYN_SENT);
	err = xtcp_send_syn(sk);
	if (err) {
		xtcp_set_state(sk, TCP_CLOSE);
		xtcp_sock_unhash(sk);
		goto undo;
	}
	return 0;
fail:
	if (rt)
		ip_rt_put(rt);
undo:
	if (!(sk->sk_userlocks & SOCK_BINDPORT_LOCK)) {
		/* Out of the bind table before its port goes: the port
		 * says where it is (xtcp_bhead_where()).
		 */
		xtcp_bind_del(&xs->bind);
		inet->inet_num = 0;
		inet->inet_sport = 0;
	}
	inet->inet_daddr = 0;
	inet->inet_dport = 0;
	return err;
}

/* A closed socket gives up a port connect() picked; one bind() chose
 * stays, as for TCP.
 */
static void xtcp_forget_port(struct sock *sk)
{
	struct inet_sock *inet = inet_sk(sk);

	if (sk->sk_userlocks & SOCK_BINDPORT_LOCK) {
		xtcp_bind_add(&xtcp_sk(sk)->bind);
		return;
	}
	/* Still in the table if it never connected: it leaves before its
	 * port, which says where it is (xtcp_bhead_where()).
	 */
	xtcp_bind_del(&xtcp_sk(sk)->bind);
	inet->inet_num = 0;
	inet->inet_sport = 0;
	if (!(sk->sk_userlocks & SOCK_BINDADDR_LOCK)) {
		inet->inet_saddr = 0;
		inet->inet_rcv_saddr = 0;
	}
}

/*
 * What a connection left in the socket, cleared so that connect() may
 * start another, as tcp_disconnect() does: the shutdown and end-of-data
 * marks, unread data, what the SYNs agreed on, RTT and recovery state.
 * The socket's own settings (options, buffers, TCP_MAXSEG, TCP_CONGESTION)
 * stay.
 */
static void xtcp_clear_conn(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	__skb_queue_purge(&sk->sk_receive_queue);
	sk_mem_reclaim(sk);
	WRITE_ONCE(sk->sk_shutdown, 0);
	sock_reset_flag(sk, SOCK_DONE);
	__sk_dst_reset(sk);
	xs->fin_sent = 0;
	xs->more = 0;
	xs->probes_out = 0;
	xs->opts = 0;
	xs->snd_wscale = 0;
	xs->rcv_wscale = 0;
	xs->ts_recent = 0;
	xs->ts_recent_stamp = 0;
	xs->srtt_us = 0;
	xs->rttvar_us = 0;
	xs->quick = 0;
	xs->pingpong = 0;
	xs->total_retrans = 0;
	xs->dupacks = 0;
	xs->retransmits = 0;
	xs->backoff = 0;
	xs->retrans_ts = 0;
	xs->retrans_stamp = 0;
	xs->probe_stamp = 0;
	xs->rack_ns = 0;
	xs->rack_rtt_us = 0;
	xs->rack_rtt_at = 0;
	xs->rack_end_seq = 0;
	xs->tlp_high_seq = 0;
	xs->reord_now = 0;
	xs->reo_wnd_steps = 0;
	xs->reo_wnd_persist = 0;
	memset(&xs->stats, 0, sizeof(xs->stats));
	xs->sack_last = 0;
	xs->mss = XTCP_MSS_DEFAULT;
	xs->mss_clamp = 0;
	xs->pmtu_cookie = 0;
	xs->urg_data = 0;
	xs->mtup_on = 0;
	xs->mtup_probe = 0;
	xs->rcv_ratio = XTCP_RCV_RATIO_INIT;
	xtcp_rto_set(xs, xtcp_rto_initial_ns(sock_net(sk)));
	xtcp_cong_reset(sk);
}

/* Aborts whatever the socket was doing: connect(AF_UNSPEC), shutdown of a
 * connecting socket or a listener, a connect() that failed.
 */
static void xtcp_disconnect(struct sock *sk)
{
	switch (sk->sk_state) {
	case TCP_LISTEN:
		xtcp_listen_stop(sk);
		break;
	case TCP_CLOSE:
		break;
	case TCP_SYN_SENT:
		WRITE_ONCE(sk->sk_err, ECONNRESET);
		xtcp_done(sk);
		break;
	default:
		xtcp_send_active_reset(sk, sk->sk_allocation);
		WRITE_ONCE(sk->sk_err, ECONNRESET);
		xtcp_done(sk);
	}
	/* xtcp_done() took the socket out of the bind table: a port bind()
	 * chose is taken again, one connect() or listen() chose is freed.
	 */
	if (inet_sk(sk)->inet_num)
		xtcp_forget_port(sk);
	inet_sk(sk)->inet_daddr = 0;
	inet_sk(sk)->inet_dport = 0;
	xtcp_clear_conn(sk);
}

static int xtcp_wait_connected(struct sock *sk, long *timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	int err = 0;

	add_wait_queue(sk_sleep(sk), &wait);
	while ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV)) {
		err = -EINPROGRESS;
		if (!*timeo)
			break;
		err = sock_intr_errno(*timeo);
		if (signal_pending(current))
			break;
		err = 0;
		release_sock(sk);
		*timeo = wait_woken(&wait, TASK_INTERRUPTIBLE, *timeo);
		lock_sock(sk);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	return err;
}

static int xtcp_connect(struct socket *sock, struct sockaddr *uaddr,
			int addr_len, int flags)
{
	struct sock *sk = sock->sk;
	long timeo;
	int err;

	if (addr_len < (int)sizeof(uaddr->sa_family))
		return -EINVAL;

	lock_sock(sk);
	if (uaddr->sa_family == AF_UNSPEC) {
		xtcp_disconnect(sk);
		sock->state = SS_UNCONNECTED;
		err = 0;
		goto out;
	}
	switch (sock->state) {
	case SS_CONNECTED:
		err = -EISCONN;
		goto out;
	case SS_CONNECTING:
		err = -EALREADY;
		break;
	default:
		err = xtcp_check_sockaddr(uaddr, addr_len);
		if (err)
			goto out;
		err = -EISCONN;
		if (sk->sk_state != TCP_CLOSE)
			goto out;
		err = xtcp_v4_connect(sk, (struct sockaddr_in *)uaddr);
		if (err)
			goto out;
		sock->state = SS_CONNECTING;
		err = -EINPROGRESS;
	}

	/* As TCP: a non-blocking caller learns the outcome from poll(2) and
	 * SO_ERROR; a blocking one waits here for it.
	 */
	if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV)) {
		timeo = sock_sndtimeo(sk, flags & O_NONBLOCK);
		if (!timeo)
			goto out;
		err = xtcp_wait_connected(sk, &timeo);
		if (err)
			goto out;
	}
	if (sk->sk_state == TCP_CLOSE) {
		/* As Linux: the error once, and a socket ready to connect
		 * again.
		 */
		err = sock_error(sk) ?: -ECONNABORTED;
		sock->state = SS_UNCONNECTED;
		xtcp_disconnect(sk);
		goto out;
	}
	sock->state = SS_CONNECTED;
	err = 0;
out:
	release_sock(sk);
	return err;
}

/* ---- close and shutdown ---- */

/*
 * The state a close moves to, and whether a FIN must go (RFC 9293 section
 * 3.10.4): ESTABLISHED and SYN_RCVD to FIN_WAIT_1, CLOSE_WAIT to LAST_ACK.
 */
static bool xtcp_close_state(struct sock *sk)
{
	switch (sk->sk_state) {
	case TCP_ESTABLISHED:
	case TCP_SYN_RECV:
		xtcp_set_state(sk, TCP_FIN_WAIT1);
		return true;
	case TCP_CLOSE_WAIT:
		xtcp_set_state(sk, TCP_LAST_ACK);
		return true;
	case TCP_SYN_SENT:
		xtcp_done(sk);
		return false;
	}
	return false;
}

/*
 * Linux's tcp_check_oom(): more orphans in the namespace than max_orphans
 * (counted 2^@shift times over for one that is failing anyway), or XTCP
 * over net.xtcp.mem[2] while this socket holds send memory.
 */
static bool xtcp_orphans_oom(struct sock *sk, int shift)
{
	struct net *net = sock_net(sk);
	int orphans = atomic_read(&xtcp_pernet(net)->orphans);

	if ((orphans << shift) > READ_ONCE(xtcp_sysctl(net)->max_orphans)) {
		net_info_ratelimited("xtcp: too many orphaned sockets\n");
		return true;
	}
	if (sk->sk_wmem_queued > SOCK_MIN_SNDBUF &&
	    sk_memory_allocated(sk) > sk_prot_mem_limits(sk, 2)) {
		net_info_ratelimited("xtcp: out of memory -- consider tuning net.xtcp.mem\n");
		return true;
	}
	return false;
}

/* Kills an orphan the namespace cannot afford, telling the peer. */
static void xtcp_orphan_kill(struct sock *sk)
{
	xtcp_send_active_reset(sk, GFP_ATOMIC);
	XTCP_INC_STATS(sock_net(sk), XTCP_MIB_ABORTONMEMORY);
	xtcp_done(sk);
}

/* A closed socket with work left (a FIN or data to deliver) is counted
 * as an orphan, and killed at once when there are too many.
 */
static void xtcp_orphan_add(struct sock *sk)
{
	atomic_inc(&xtcp_pernet(sock_net(sk))->orphans);
	xtcp_sk(sk)->orphan_counted = 1;
	if (xtcp_orphans_oom(sk, 0))
		xtcp_orphan_kill(sk);
}

/*
 * An orphan's retransmission or persist timer: short of orphan slots or
 * memory, it dies (tcp_out_of_resources()).  One whose RTO has backed off
 * to the ceiling is failing anyway and counts double.
 */
bool xtcp_orphan_out_of_resources(struct sock *sk)
{
	int shift = xtcp_rto_ns(xtcp_sk(sk)) >= xtcp_rto_max_ns(sock_net(sk));

	if (!xtcp_orphans_oom(sk, shift))
		return false;
	xtcp_orphan_kill(sk);
	return true;
}

static void xtcp_close(struct sock *sk, long timeout)
{
	bool unread;

	sock_hold(sk);
	lock_sock(sk);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);

	if (sk->sk_state == TCP_LISTEN)
		xtcp_listen_stop(sk);

	/* Unread data means the peer's bytes were lost: say so with a RST
	 * rather than a FIN (RFC 2525 section 2.17), as TCP does.
	 */
	unread = !skb_queue_empty(&sk->sk_receive_queue);
	__skb_queue_purge(&sk->sk_receive_queue);

	if (sk->sk_state == TCP_CLOSE) {
		/* nothing to tell anyone */
	} else if (unread || (sock_flag(sk, SOCK_LINGER) && !sk->sk_lingertime)) {
		xtcp_send_active_reset(sk, sk->sk_allocation);
		xtcp_done(sk);
	} else if (xtcp_close_state(sk)) {
		xtcp_send_fin(sk);
	}
	if (timeout)
		sk_stream_wait_close(sk, timeout);

	sock_orphan(sk);
	xfrm_sk_free_policy(sk);
	/* Nothing outlives a close in CLOSED; an orphan finishes the rest,
	 * waiting for the peer's FIN as a small entry, not a socket.
	 */
	if (sk->sk_state == TCP_CLOSE)
		xtcp_destroy_sock(sk);
	else if (sk->sk_state == TCP_FIN_WAIT2)
		xtcp_fin_wait2_orphan(sk, NULL);
	else
		xtcp_orphan_add(sk);
	release_sock(sk);
	sock_put(sk);
}

static int xtcp_release(struct socket *sock)
{
	struct sock *sk = sock->sk;
	long timeout = 0;

	if (!sk)
		return 0;
	if (sock_flag(sk, SOCK_LINGER) && !(current->flags & PF_EXITING))
		timeout = sk->sk_lingertime;
	sock->sk = NULL;
	sk->sk_prot->close(sk, timeout);
	return 0;
}

static int xtcp_shutdown(struct socket *sock, int how)
{
	struct sock *sk = sock->sk;
	int err = 0;

	/* SHUT_RD, SHUT_WR, SHUT_RDWR are 0, 1, 2; the masks are 1, 2, 3. */
	how++;
	if ((how & ~SHUTDOWN_MASK) || !how)
		return -EINVAL;

	lock_sock(sk);
	if (sock->state == SS_CONNECTING) {
		if ((1 << sk->sk_state) &
		    (TCPF_SYN_SENT | TCPF_SYN_RECV | TCPF_CLOSE))
			sock->state = SS_DISCONNECTING;
		else
			sock->state = SS_CONNECTED;
	}
	switch (sk->sk_state) {
	case TCP_CLOSE:
		err = -ENOTCONN;
		/* TCP records the shutdown even then, so poll(2) reports it. */
		WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | how);
		break;
	case TCP_LISTEN:
		if (!(how & RCV_SHUTDOWN))
			break;
		fallthrough;
	case TCP_SYN_SENT:
		xtcp_disconnect(sk);
		sock->state = SS_UNCONNECTED;
		break;
	default:
		WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | how);
		if ((how & SEND_SHUTDOWN) && xtcp_close_state(sk))
			xtcp_send_fin(sk);
	}
	sk->sk_state_change(sk);
	release_sock(sk);
	return err;
}

/* ---- poll ---- */

/* At least SO_RCVLOWAT bytes wait for recv(), as TCP counts them. */
static bool xtcp_readable(const struct sock *sk)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);
	int avail = READ_ONCE(xs->rcv_nxt) - READ_ONCE(xs->copied_seq);

	if (sock_flag(sk, SOCK_DONE))
		avail--;	/* the FIN is no byte */
	if (xtcp_at_mark(sk) && !sock_flag(sk, SOCK_URGINLINE))
		avail--;	/* nor is an urgent byte out of band */
	return avail > 0 && avail >= max(READ_ONCE(sk->sk_rcvlowat), 1);
}

static __poll_t xtcp_poll(struct file *file, struct socket *sock,
			  poll_table *wait)
{
	struct sock *sk = sock->sk;
	int state = inet_sk_state_load(sk);
	u8 shutdown;
	__poll_t mask = 0;

	sock_poll_wait(file, sock, wait);

	if (state == TCP_LISTEN)
		return list_empty_careful(&xtcp_sk(sk)->accept_queue) ?
		       0 : EPOLLIN | EPOLLRDNORM;

	shutdown = READ_ONCE(sk->sk_shutdown);
	if (shutdown == SHUTDOWN_MASK || state == TCP_CLOSE)
		mask |= EPOLLHUP;
	if (shutdown & RCV_SHUTDOWN)
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;

	/* A connecting socket is neither readable nor writable yet. */
	if (state != TCP_SYN_SENT && state != TCP_SYN_RECV) {
		if (xtcp_readable(sk))
			mask |= EPOLLIN | EPOLLRDNORM;
		if (!(shutdown & SEND_SHUTDOWN)) {
			if (__sk_stream_memory_free(sk, 1))	/* sockopt.c */
				mask |= EPOLLOUT | EPOLLWRNORM;
			else
				set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
		} else {
			/* Writes fail at once: report it as writable. */
			mask |= EPOLLOUT | EPOLLWRNORM;
		}
	}
	if (READ_ONCE(xtcp_sk(sk)->urg_data) & XTCP_URG_VALID)
		mask |= EPOLLPRI;
	if (READ_ONCE(sk->sk_err) ||
	    !skb_queue_empty_lockless(&sk->sk_error_queue))
		mask |= EPOLLERR;
	return mask;
}

/* ---- data ---- */

static int xtcp_sendmsg(struct socket *sock, struct msghdr *msg, size_t len)
{
	struct sock *sk = sock->sk;
	long timeo;
	int err;

	lock_sock(sk);
	if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV)) {
		timeo = sock_sndtimeo(sk, msg->msg_flags & MSG_DONTWAIT);
		err = sk_stream_wait_connect(sk, &timeo);
		if (err)
			goto error;
	}
	if (!((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT))) {
		err = sock_error(sk) ?: -EPIPE;
		goto error;
	}
	err = xtcp_sendmsg_queue(sk, msg, len);
	release_sock(sk);
	return err;
error:
	err = sk_stream_error(sk, msg->msg_flags, err);
	release_sock(sk);
	return err;
}

/*
 * Frees what the reader consumed, and tells the peer when that matters,
 * as tcp_cleanup_rbuf() does: a window that at least doubled (and grew by
 * a segment) is announced, so a sender stopped by a full buffer goes on;
 * an ACK still owed goes at once when more than a segment waits for it
 * (input.c left it to this read, which made the room it offers), or when
 * the window left cannot take a full segment, since the sender is then
 * waiting for exactly that ACK (the delayed ACK would stall it 40 ms).
 */
static void xtcp_rcv_consumed(struct sock *sk, size_t copied)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *skb;
	u32 old_wnd = xtcp_rcv_wnd(xs);
	s64 new_wnd;

	while ((skb = skb_peek(&sk->sk_receive_queue)) &&
	       !xtcp_after(XTCP_SKB_CB(skb)->seq + skb->len, xs->copied_seq)) {
		__skb_unlink(skb, &sk->sk_receive_queue);
		kfree_skb(skb);
	}
	sk_mem_reclaim(sk);
	/* Only a read that took something, and only while the peer may still
	 * send (half-closed on our side too).
	 */
	if (!copied || !((1 << sk->sk_state) &
			 (TCPF_ESTABLISHED | TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2)))
		return;
	xtcp_rcv_space_adjust(sk);
	new_wnd = xtcp_free_window(sk);
	if ((xs->ack_pending &&
	     (old_wnd < xs->mss ||
	      xs->rcv_nxt - xs->rcv_wup > xtcp_payload_mss(xs))) ||
	    (old_wnd < (XTCP_RCV_WND << xs->rcv_wscale) &&
	     new_wnd >= old_wnd + xs->mss && new_wnd >= 2 * (s64)old_wnd))
		xtcp_send_ack_now(sk);
}

/*
 * Copies from the receive queue; returns bytes, 0 or -errno.  Whenever
 * segments wait in the backlog (they do while we own the socket), the
 * skbs read to their end are freed and the backlog let in, so a long read
 * never leaves the peer's data piling up behind the lock, as
 * tcp_recvmsg() does it.
 */
static int xtcp_copy_out(struct sock *sk, struct msghdr *msg, size_t len,
			 int flags, size_t done, bool *at_mark)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	bool peek = flags & MSG_PEEK;
	u32 seq = xs->copied_seq;
	struct sk_buff *skb = skb_peek(&sk->sk_receive_queue);
	size_t copied = 0;

	while (skb && copied < len) {
		u32 off = seq - XTCP_SKB_CB(skb)->seq;
		size_t chunk = 0;

		if (off < skb->len) {
			/* An urgent mark ends a read that took anything. */
			bool skip;
			int n = xtcp_urg_limit(sk, seq, skb->len - off,
					       done + copied, &skip);

			if (n < 0) {
				*at_mark = true;
				break;
			}
			seq += skip;
			off += skip;
			chunk = min_t(size_t, n, len - copied);
			if (chunk && skb_copy_datagram_msg(skb, off, msg, chunk))
				return copied ? copied : -EFAULT;
			copied += chunk;
			seq += chunk;
		}
		if (peek) {
			skb = skb_peek_next(skb, &sk->sk_receive_queue);
			continue;
		}
		xs->copied_seq = seq;
		xtcp_urg_passed(xs);
		if (off + chunk < skb->len)
			break;
		if (READ_ONCE(sk->sk_backlog.tail)) {
			xtcp_rcv_consumed(sk, copied);
			__sk_flush_backlog(sk);
			skb = skb_peek(&sk->sk_receive_queue);
		} else {
			skb = skb_peek_next(skb, &sk->sk_receive_queue);
		}
	}
	if (!peek)
		xtcp_rcv_consumed(sk, copied);
	return copied;
}

/* MSG_ERRQUEUE: an ICMP error, with the address of the host it was
 * about in msg_name (msg_namelen says whether there is one).
 */
static int xtcp_recv_error(struct sock *sk, struct msghdr *msg, size_t len)
{
	int addr_len = 0, err;

	err = inet_recv_error(sk, msg, len, &addr_len);
	if (err >= 0)
		msg->msg_namelen = addr_len;
	return err;
}

static int xtcp_recvmsg(struct socket *sock, struct msghdr *msg, size_t len,
			int flags)
{
	struct sock *sk = sock->sk;
	size_t copied = 0;
	int target, err = 0;
	long timeo;

	if (flags & MSG_ERRQUEUE)
		return xtcp_recv_error(sk, msg, len);

	lock_sock(sk);
	if (sk->sk_state == TCP_LISTEN) {
		err = -ENOTCONN;
		goto out;
	}
	if (flags & MSG_OOB) {
		err = xtcp_recv_urg(sk, msg, len, flags);
		goto out;
	}
	timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	target = sock_rcvlowat(sk, flags & MSG_WAITALL, len);

	while (copied < len) {
		bool at_mark = false;
		int n = xtcp_copy_out(sk, msg, len - copied, flags, copied,
				      &at_mark);

		if (n < 0) {
			err = n;
			break;
		}
		copied += n;
		if (at_mark)
			break;
		if (copied >= target || (flags & MSG_PEEK && copied))
			break;
		/* TCP's order: the peer's FIN, then an error, then shutdown. */
		if (sock_flag(sk, SOCK_DONE))
			break;
		if (sk->sk_err) {
			err = sock_error(sk);
			break;
		}
		if (sk->sk_shutdown & RCV_SHUTDOWN)
			break;
		if (sk->sk_state == TCP_CLOSE) {
			err = -ENOTCONN;
			break;
		}
		if (!timeo) {
			err = -EAGAIN;
			break;
		}
		if (signal_pending(current)) {
			err = sock_intr_errno(timeo);
			break;
		}
		sk_wait_data(sk, &timeo, NULL);
	}
out:
	release_sock(sk);
	if (copied)
		err = copied;
	/* TCP's TCP_INQ: after the backlog went in, as TCP counts it. */
	if (err >= 0 && (xtcp_sk(sk)->recvmsg_inq || msg->msg_get_inq))
		xtcp_recv_inq(sk, msg);
	return err;
}

/* ---- sock_diag ---- */

/* The states in which ending a connection owes the peer a RST (Linux's
 * tcp_need_reset()).
 */
#define XTCPF_NEED_RESET	(TCPF_ESTABLISHED | TCPF_CLOSE_WAIT | \
				 TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2 | \
				 TCPF_SYN_RECV)

/*
 * SOCK_DESTROY (ss -K, through xtcp_diag.ko and sock_diag_destroy()):
 * the connection ends now with @err, as tcp_abort() ends TCP's: a RST to
 * the peer where one is owed, the owner's calls failing with @err
 * (ECONNABORTED), a listener's queues emptied; an orphan goes too.
 * -ENOENT when it had ended already.  The caller holds a reference.
 */
static int xtcp_abort(struct sock *sk, int err)
{
	lock_sock(sk);
	if (sk->sk_state == TCP_CLOSE) {
		release_sock(sk);
		return -ENOENT;
	}
	if (sk->sk_state == TCP_LISTEN)
		xtcp_listen_stop(sk);
	else if ((1 << sk->sk_state) & XTCPF_NEED_RESET)
		xtcp_send_active_reset(sk, sk->sk_allocation);
	xtcp_reset(sk, err);
	release_sock(sk);
	return 0;
}

/* ---- options and the rest ---- */

/*
 * TCP's queue ioctls: SIOCINQ (FIONREAD) counts the bytes ready for
 * recv(), SIOCOUTQ (TIOCOUTQ) those not yet acknowledged, SIOCOUTQNSD
 * those not yet sent; SIOCATMARK says whether the next byte to read
 * follows the urgent mark.  A listener has no queues (EINVAL).  Anything else
 * goes to the socket layer's device ioctls, as for TCP.
 */
static int xtcp_ioctl(struct socket *sock, unsigned int cmd, unsigned long arg)
{
	struct sock *sk = sock->sk;
	struct xtcp_sock *xs = xtcp_sk(sk);
	int answ;

	switch (cmd) {
	case SIOCATMARK:
		return put_user(xtcp_at_mark(sk), (int __user *)arg);
	case SIOCINQ:
	case SIOCOUTQ:
	case SIOCOUTQNSD:
		break;
	default:
		return -ENOIOCTLCMD;
	}
	lock_sock(sk);
	if (sk->sk_state == TCP_LISTEN) {
		release_sock(sk);
		return -EINVAL;
	}
	if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV | TCPF_CLOSE))
		answ = 0;
	else if (cmd == SIOCINQ)
		answ = xtcp_inq(sk);
	else if (cmd == SIOCOUTQ)
		answ = xs->write_seq - xs->snd_una;	/* a FIN counts, as TCP's */
	else
		answ = xs->write_seq - xs->snd_nxt;
	release_sock(sk);
	return put_user(max(answ, 0), (int __user *)arg);
}

struct proto xtcp_prot = {
	.name		= "XTCP",
	.owner		= THIS_MODULE,
	.close		= xtcp_close,
	.backlog_rcv	= xtcp_backlog_rcv,
	.release_cb	= xtcp_release_cb,
	.enter_memory_pressure	= xtcp_enter_memory_pressure,
	.leave_memory_pressure	= xtcp_leave_memory_pressure,
	.memory_allocated	= &xtcp_memory_allocated,
	.per_cpu_fw_alloc	= &xtcp_fw_alloc,
	.sockets_allocated	= &xtcp_sockets_allocated,
	.memory_pressure	= &xtcp_memory_pressure,
	.sysctl_mem	= xtcp_mem,
	.sysctl_rmem	= xtcp_rmem_floor,
	.sysctl_wmem	= xtcp_wmem_floor,
	.keepalive	= xtcp_set_keepalive,
	.stream_memory_free	= xtcp_stream_memory_free,
	.diag_destroy	= xtcp_abort,
	.obj_size	= sizeof(struct xtcp_sock),
};

/* .family is informational only: the socket core reads the number from
 * struct net_proto_family, which takes the module parameter.
 */
const struct proto_ops xtcp_stream_ops = {
	.family		= PF_XTCP,
	.owner		= THIS_MODULE,
	.release	= xtcp_release,
	.bind		= xtcp_bind,
	.connect	= xtcp_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= xtcp_accept,
	.getname	= inet_getname,
	.poll		= xtcp_poll,
	.ioctl		= xtcp_ioctl,
	.gettstamp	= sock_gettstamp,
	.listen		= xtcp_listen,
	.shutdown	= xtcp_shutdown,
	.setsockopt	= xtcp_setsockopt,
	.getsockopt	= xtcp_getsockopt,
	.sendmsg	= xtcp_sendmsg,
	.recvmsg	= xtcp_recvmsg,
	.mmap		= sock_no_mmap,
};
