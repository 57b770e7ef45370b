// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp_diag.ko: XTCP's sockets through sock_diag (NETLINK_SOCK_DIAG), as
 * tcp_diag.ko shows TCP's to ss(8).  A SOCK_DIAG_BY_FAMILY request for
 * family AF_INET and protocol IPPROTO_XTCP dumps the requester's
 * namespace: listeners, connections, SYN-queue entries (SYN_RECV) and
 * TIME_WAIT entries (TIME_WAIT, or FIN_WAIT2 for an orphan's), each with
 * its state, four-tuple, queues, pending timer and retransmissions, uid
 * and inode, and on request struct tcp_info (INET_DIAG_INFO, what
 * getsockopt(TCP_INFO) gives) and the congestion control's name
 * (INET_DIAG_CONG).  idiag_states, the ports in the request and
 * inet_diag's bytecode filters select, as for TCP.  A request without
 * NLM_F_DUMP gets the one entry its four-tuple (and cookie) names;
 * SOCK_DESTROY ends it (xtcp_abort(): ECONNABORTED for its owner, a RST
 * for the peer).
 *
 * inet_diag.ko asks for this module by its alias when such a request
 * comes and nothing serves protocol 253; with another ipproto= it must be
 * loaded by hand.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/inet_diag.h>
#include <linux/module.h>
#include <linux/sock_diag.h>
#include <net/inet_timewait_sock.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "diag.h"

/* Entries held at once between walking the tables and filling messages. */
#define XTCP_DIAG_BATCH	16

/* A dump's progress, between the walk (no sleeping) and the filling. */
struct xtcp_diag_batch {
	const struct inet_diag_req_v2 *r;
	const struct nlattr *bc;	/* inet_diag's bytecode, or NULL */
	struct xtcp_walk_pos *pos;	/* where the walk stands */
	struct xtcp_hnode *h[XTCP_DIAG_BATCH];
	struct xtcp_walk_pos at[XTCP_DIAG_BATCH];
	int n;
};

/* The state a dump shows and selects by, as TCP's: a SYN-queue entry is
 * SYN_RECV, a TIME_WAIT-table entry its substate.
 */
static int xtcp_diag_state(struct xtcp_hnode *h)
{
	switch (h->kind) {
	case XTCP_HK_SOCK:
		return inet_sk_state_load(xtcp_hnode_sk(h));
	case XTCP_HK_REQ:
		return TCP_SYN_RECV;
	default:
		return container_of(h, struct xtcp_tw, h)->substate;
	}
}

/*
 * inet_diag_bc_sk() reads a mini socket's struct sock_common; an XTCP
 * SYN-queue or TIME_WAIT entry has none, so it sees a stand-in holding
 * the entry's addresses and ports.
 */
static bool xtcp_diag_bc_entry(const struct nlattr *bc,
			       const struct xtcp_hnode *h)
{
	struct inet_timewait_sock tw = {};

	tw.tw_family = AF_INET;
	tw.tw_state = TCP_TIME_WAIT;
	tw.tw_rcv_saddr = h->laddr;
	tw.tw_daddr = h->raddr;
	tw.tw_num = ntohs(h->lport);
	tw.tw_dport = h->rport;
	return inet_diag_bc_sk(bc, (struct sock *)&tw);
}

/* Does the request select @h?  Its states, ports and bytecode decide. */
static bool xtcp_diag_wanted(const struct xtcp_diag_batch *b,
			     struct xtcp_hnode *h)
{
	const struct inet_diag_req_v2 *r = b->r;
	u32 states = r->idiag_states;
	int state = xtcp_diag_state(h);
	bool listener = state == TCP_LISTEN;
	__be16 sport = listener ? inet_sk(xtcp_hnode_sk(h))->inet_sport :
				  h->lport;
	__be16 dport = listener ? 0 : h->rport;

	/* TCP's SYN-queue entries answer to either SYN_RECV bit. */
	if (states & (TCPF_SYN_RECV | TCPF_NEW_SYN_RECV))
		states |= TCPF_SYN_RECV;
	if (!(states & (1 << state)))
		return false;
	/* As inet_diag_dump_icsk(): a destination port rules listeners out. */
	if (listener && r->id.idiag_dport)
		return false;
	if ((r->id.idiag_sport && r->id.idiag_sport != sport) ||
	    (r->id.idiag_dport && r->id.idiag_dport != dport))
		return false;
	if (!b->bc)
		return true;
	if (h->kind == XTCP_HK_SOCK)
		return inet_diag_bc_sk(b->bc, xtcp_hnode_sk(h));
	return xtcp_diag_bc_entry(b->bc, h);
}

/* xtcp_walk()'s callback: selected entries join the batch, held; a full
 * batch stops the walk at the entry it could not take.
 */
static int xtcp_diag_collect(struct xtcp_hnode *h, void *arg)
{
	struct xtcp_diag_batch *b = arg;

	if (!xtcp_diag_wanted(b, h))
		return 0;
	if (b->n == XTCP_DIAG_BATCH)
		return 1;
	if (!xtcp_hnode_hold(h))
		return 0;
	b->h[b->n] = h;
	b->at[b->n] = *b->pos;
	b->n++;
	return 0;
}

/* ---- one message per entry ---- */

static void xtcp_diag_id(struct inet_diag_msg *m, const struct xtcp_hnode *h)
{
	m->idiag_family = AF_INET;
	m->id.idiag_sport = h->lport;
	m->id.idiag_dport = h->rport;
	m->id.idiag_src[0] = h->laddr;
	m->id.idiag_dst[0] = h->raddr;
	/* Not sockets: no cookie (sock_diag_check_cookie() takes any). */
	m->id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	m->id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
}

/* A socket's deadline (its one hrtimer serves several). */
static u32 xtcp_diag_left_ms(const u64 *at)
{
	return div_u64(xtcp_timer_left_ns(at), NSEC_PER_MSEC);
}

/* A SYN-queue entry: its SYN-ACK timer, as TCP's request sockets. */
static void xtcp_diag_req(struct inet_diag_msg *m, struct xtcp_hnode *h)
{
	struct xtcp_request *req = container_of(h, struct xtcp_request, h);

	xtcp_diag_id(m, h);
	m->idiag_state = TCP_SYN_RECV;
	m->idiag_timer = 1;
	m->idiag_retrans = READ_ONCE(req->timeouts);
	m->idiag_expires = div_u64(xtcp_request_remaining_ns(req),
				   NSEC_PER_MSEC);
}

/* A TIME_WAIT-table entry: timer 3, as ss names it "timewait". */
static void xtcp_diag_tw(struct inet_diag_msg *m, struct xtcp_hnode *h)
{
	struct xtcp_tw *tw = container_of(h, struct xtcp_tw, h);

	xtcp_diag_id(m, h);
	m->idiag_state = tw->substate;
	m->idiag_timer = 3;
	m->idiag_expires = div_u64(xtcp_tw_remaining_ns(tw), NSEC_PER_MSEC);
}

/*
 * A socket's pending timer in ss's terms: 1 retransmission (or tail-loss
 * probe), 4 zero-window probe (nothing in flight), 2 keep-alive; the
 * delayed ACK is not shown, as TCP's is not.
 */
static void xtcp_diag_sock_timer(struct inet_diag_msg *m, struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (READ_ONCE(xs->rtx_at)) {
		bool persist = !READ_ONCE(xs->packets_out);

		m->idiag_timer = persist ? 4 : 1;
		m->idiag_retrans = persist ? READ_ONCE(xs->probes_out) :
					     READ_ONCE(xs->retransmits);
		m->idiag_expires = xtcp_diag_left_ms(&xs->rtx_at);
	} else if (READ_ONCE(xs->keepalive_at)) {
		m->idiag_timer = 2;
		m->idiag_retrans = READ_ONCE(xs->probes_out);
		m->idiag_expires = xtcp_diag_left_ms(&xs->keepalive_at);
	}
}

/* Recv-Q and Send-Q as TCP's: a listener's accept queue and backlog. */
static void xtcp_diag_sock_queues(struct inet_diag_msg *m, struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (m->idiag_state == TCP_LISTEN) {
		m->idiag_rqueue = READ_ONCE(sk->sk_ack_backlog);
		m->idiag_wqueue = READ_ONCE(sk->sk_max_ack_backlog);
		return;
	}
	m->idiag_rqueue = max_t(int, READ_ONCE(xs->rcv_nxt) -
				     READ_ONCE(xs->copied_seq), 0);
	m->idiag_wqueue = READ_ONCE(xs->write_seq) - READ_ONCE(xs->snd_una);
}

/* The attributes a full socket adds when asked: memory, TCP_INFO, CC. */
static int xtcp_diag_sock_attrs(struct sock *sk, struct sk_buff *skb,
				int ext)
{
	struct nlattr *attr;

	if (ext & (1 << (INET_DIAG_MEMINFO - 1))) {
		struct inet_diag_meminfo minfo = {
			.idiag_rmem = sk_rmem_alloc_get(sk),
			.idiag_wmem = READ_ONCE(sk->sk_wmem_queued),
			.idiag_fmem = sk_forward_alloc_get(sk),
			.idiag_tmem = sk_wmem_alloc_get(sk),
		};

		if (nla_put(skb, INET_DIAG_MEMINFO, sizeof(minfo), &minfo))
			return -EMSGSIZE;
	}
	if ((ext & (1 << (INET_DIAG_SKMEMINFO - 1))) &&
	    sock_diag_put_meminfo(sk, skb, INET_DIAG_SKMEMINFO))
		return -EMSGSIZE;
	if (ext & (1 << (INET_DIAG_INFO - 1))) {
		attr = nla_reserve_64bit(skb, INET_DIAG_INFO,
					 sizeof(struct tcp_info), INET_DIAG_PAD);
		if (!attr)
			return -EMSGSIZE;
		xtcp_get_info(sk, nla_data(attr));
	}
	if ((ext & (1 << (INET_DIAG_CONG - 1))) &&
	    nla_put_string(skb, INET_DIAG_CONG, xtcp_cong_name(sk)))
		return -EMSGSIZE;
	return 0;
}

/* A listener or connection: what inet_sk_diag_fill() gives for TCP. */
static int xtcp_diag_sock(struct inet_diag_msg *m, struct sk_buff *skb,
			  struct sock *sk, struct netlink_callback *cb,
			  const struct inet_diag_req_v2 *r, bool net_admin)
{
	inet_diag_msg_common_fill(m, sk);
	m->idiag_state = inet_sk_state_load(sk);
	xtcp_diag_sock_timer(m, sk);
	xtcp_diag_sock_queues(m, sk);
	/* The uid and inode too. */
	if (inet_diag_msg_attrs_fill(sk, skb, m, r->idiag_ext,
				     sk_user_ns(NETLINK_CB(cb->skb).sk),
				     net_admin))
		return -EMSGSIZE;
	return xtcp_diag_sock_attrs(sk, skb, r->idiag_ext);
}

/* One message for @h into @skb; -EMSGSIZE when it does not fit.  May
 * sleep (TCP_INFO locks the socket): the caller holds a reference.
 */
static int xtcp_diag_fill(struct xtcp_hnode *h, struct sk_buff *skb,
			  struct netlink_callback *cb,
			  const struct inet_diag_req_v2 *r, u16 nlmsg_flags,
			  bool net_admin)
{
	struct inet_diag_msg *m;
	struct nlmsghdr *nlh;

	nlh = nlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			cb->nlh->nlmsg_type, sizeof(*m), nlmsg_flags);
	if (!nlh)
		return -EMSGSIZE;
	m = nlmsg_data(nlh);
	memset(m, 0, sizeof(*m));
	if (h->kind == XTCP_HK_REQ) {
		xtcp_diag_req(m, h);
	} else if (h->kind == XTCP_HK_TW) {
		xtcp_diag_tw(m, h);
	} else if (xtcp_diag_sock(m, skb, xtcp_hnode_sk(h), cb, r,
				  net_admin)) {
		nlmsg_cancel(skb, nlh);
		return -EMSGSIZE;
	}
	nlmsg_end(skb, nlh);
	return 0;
}

/* ---- the handler ---- */

/* Where a dump stands between calls: cb->args[0..2]. */
static void xtcp_diag_pos_load(struct xtcp_walk_pos *pos,
			       const struct netlink_callback *cb)
{
	pos->table = cb->args[0];
	pos->bucket = cb->args[1];
	pos->skip = cb->args[2];
}

static void xtcp_diag_pos_save(struct netlink_callback *cb,
			       const struct xtcp_walk_pos *pos)
{
	cb->args[0] = pos->table;
	cb->args[1] = pos->bucket;
	cb->args[2] = pos->skip;
}

/* Fills the batch's messages; false, with the dump's place at the first
 * one that did not fit, when the skb is full.  Every reference goes.
 */
static bool xtcp_diag_flush(struct xtcp_diag_batch *b, struct sk_buff *skb,
			    struct netlink_callback *cb, bool net_admin)
{
	bool room = true;
	int i;

	for (i = 0; i < b->n; i++) {
		if (room && xtcp_diag_fill(b->h[i], skb, cb, b->r, NLM_F_MULTI,
					   net_admin)) {
			room = false;
			*b->pos = b->at[i];
		}
		xtcp_hnode_put(b->h[i]);
	}
	b->n = 0;
	return room;
}

static void xtcp_diag_dump(struct sk_buff *skb, struct netlink_callback *cb,
			   const struct inet_diag_req_v2 *r)
{
	struct inet_diag_dump_data *data = cb->data;
	bool net_admin = netlink_net_capable(cb->skb, CAP_NET_ADMIN);
	struct net *net = sock_net(skb->sk);
	struct xtcp_walk_pos pos;
	struct xtcp_diag_batch b = {
		.r = r,
		.bc = data->inet_diag_nla_bc,
		.pos = &pos,
	};
	int more;

	/* XTCP is IPv4 only. */
	if (r->sdiag_family != AF_INET && r->sdiag_family != AF_UNSPEC)
		return;
	xtcp_diag_pos_load(&pos, cb);
	do {
		more = xtcp_walk(net, &pos, xtcp_diag_collect, &b);
		if (!xtcp_diag_flush(&b, skb, cb, net_admin))
			break;
	} while (more);
	xtcp_diag_pos_save(cb, &pos);
}

/*
 * The entry a request's four-tuple names, held, as
 * inet_diag_find_one_icsk() finds TCP's: a connection or entry, else a
 * listener; a socket's cookie must match unless the request gives none.
 */
static struct xtcp_hnode *xtcp_diag_find(struct net *net,
					 const struct inet_diag_req_v2 *r)
{
	const struct inet_diag_sockid *id = &r->id;
	struct xtcp_hnode *h;
	struct sock *sk;

	if (r->sdiag_family != AF_INET)
		return ERR_PTR(-EINVAL);
	h = xtcp_lookup(net, id->idiag_dst[0], id->idiag_dport,
			id->idiag_src[0], id->idiag_sport);
	if (!h) {
		sk = xtcp_lookup_listener(net, id->idiag_dst[0],
					  id->idiag_dport, id->idiag_src[0],
					  id->idiag_sport);
		if (!sk)
			return ERR_PTR(-ENOENT);
		h = &xtcp_sk(sk)->ehash;
	}
	if (h->kind == XTCP_HK_SOCK &&
	    sock_diag_check_cookie(xtcp_hnode_sk(h), id->idiag_cookie)) {
		xtcp_hnode_put(h);
		return ERR_PTR(-ENOENT);
	}
	return h;
}

/* A message's largest size: the header, inet_diag's socket attributes,
 * memory, TCP_INFO and the congestion control's name.
 */
static size_t xtcp_diag_msg_size(void)
{
	return NLMSG_ALIGN(sizeof(struct inet_diag_msg)) +
	       inet_diag_msg_attrs_size() +
	       nla_total_size(sizeof(struct inet_diag_meminfo)) +
	       nla_total_size(SK_MEMINFO_VARS * sizeof(u32)) +
	       nla_total_size_64bit(sizeof(struct tcp_info)) +
	       nla_total_size(XTCP_CC_NAME_MAX) + 64;
}

static int xtcp_diag_dump_one(struct netlink_callback *cb,
			      const struct inet_diag_req_v2 *r)
{
	struct sk_buff *in_skb = cb->skb;
	struct net *net = sock_net(in_skb->sk);
	struct xtcp_hnode *h;
	struct sk_buff *rep;
	int err;

	h = xtcp_diag_find(net, r);
	if (IS_ERR(h))
		return PTR_ERR(h);
	rep = nlmsg_new(xtcp_diag_msg_size(), GFP_KERNEL);
	if (!rep) {
		xtcp_hnode_put(h);
		return -ENOMEM;
	}
	err = xtcp_diag_fill(h, rep, cb, r, 0,
			     netlink_net_capable(in_skb, CAP_NET_ADMIN));
	xtcp_hnode_put(h);
	if (err) {
		kfree_skb(rep);
		return err;
	}
	return nlmsg_unicast(net->diag_nlsk, rep, NETLINK_CB(in_skb).portid);
}

/*
 * SOCK_DESTROY, for CAP_NET_ADMIN: a socket ends through
 * sock_diag_destroy() (xtcp_abort()), as TCP's through tcp_abort(); a
 * SYN-queue or TIME_WAIT entry is dropped, as tcp_abort() drops TCP's.
 */
static int xtcp_diag_destroy(struct sk_buff *in_skb,
			     const struct inet_diag_req_v2 *r)
{
	struct net *net = sock_net(in_skb->sk);
	struct xtcp_hnode *h;
	int err = 0;

	h = xtcp_diag_find(net, r);
	if (IS_ERR(h))
		return PTR_ERR(h);
	if (h->kind == XTCP_HK_SOCK)
		err = sock_diag_destroy(xtcp_hnode_sk(h), ECONNABORTED);
	else if (!ns_capable(net->user_ns, CAP_NET_ADMIN))
		err = -EPERM;
	else if (h->kind == XTCP_HK_REQ)
		xtcp_request_kill(container_of(h, struct xtcp_request, h));
	else
		xtcp_tw_kill(container_of(h, struct xtcp_tw, h));
	xtcp_hnode_put(h);
	return err;
}

/* inet_diag fills nothing for XTCP itself: dump and dump_one do it all. */
static void xtcp_diag_get_info(struct sock *sk, struct inet_diag_msg *m,
			       void *info)
{
}

/* Not const: it serves the protocol number xtcp.ko was loaded with. */
static struct inet_diag_handler xtcp_diag_handler = {
	.dump			= xtcp_diag_dump,
	.dump_one		= xtcp_diag_dump_one,
	.idiag_get_info		= xtcp_diag_get_info,
	.destroy		= xtcp_diag_destroy,
	.idiag_info_size	= sizeof(struct tcp_info),
};

static int __init xtcp_diag_init(void)
{
	xtcp_diag_handler.idiag_type = xtcp_ipproto;
	xtcp_diag_set_owner(&xtcp_diag_handler, THIS_MODULE);
	return inet_diag_register(&xtcp_diag_handler);
}

static void __exit xtcp_diag_exit(void)
{
	inet_diag_unregister(&xtcp_diag_handler);
}

module_init(xtcp_diag_init);
module_exit(xtcp_diag_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("XTCP socket monitoring via SOCK_DIAG");
MODULE_AUTHOR("The XTCP developers");
/* What inet_diag asks modprobe for: "-type-AF_INET-IPPROTO_XTCP" (its
 * default, 253), as tcp_diag's alias ends "-type-2-6".
 */
MODULE_ALIAS_NET_PF_PROTO_NAME(PF_NETLINK, NETLINK_SOCK_DIAG, "-type-2-253");
