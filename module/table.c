// SPDX-License-Identifier: GPL-2.0
/*
 * XTCP's tables: where a segment finds its socket, and who owns a port.
 *
 * - The four-tuple table ("ehash") holds every connected socket, SYN-queue
 *   request entry and TIME_WAIT entry, keyed on namespace, addresses and
 *   ports.  Readers walk a bucket under RCU and take a reference; writers
 *   hold the bucket's spinlock.  Everything in it is freed after an RCU
 *   grace period (SOCK_RCU_FREE, call_rcu), so a reader never sees memory
 *   reused under it.  But a socket can leave one chain and join another
 *   (disconnect, connect again) while a reader stands on it, so chains end
 *   in a "nulls" marker naming their bucket, as Linux's ehash does: a
 *   walk that ends in another bucket's marker starts again.
 * - The listener table, keyed on namespace and port.
 * - The bind table, keyed on namespace and port: every owner of a local
 *   port, to refuse conflicting binds and to pick ephemeral ports.
 *
 * The tables know nothing of states: callers say what to insert or remove.
 */
#include <linux/jhash.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <net/netns/hash.h>
#include <net/sock.h>

#include "xtcp.h"
#include "diag.h"

struct xtcp_bucket {
	spinlock_t lock;		/* writers; readers use RCU */
	struct hlist_head chain;
};

struct xtcp_ebucket {
	spinlock_t lock;		/* writers; readers use RCU */
	struct hlist_nulls_head chain;	/* ends in the bucket's number */
};

#define XTCP_LHASH_SIZE	256
/*
 * One bind bucket per port number: a namespace's ports map one to one
 * onto buckets (see xtcp_bbucket()), so a chain holds the owners of one
 * port, and an ephemeral-port probe walks only those, whatever the
 * namespace's range and however many ports are taken.  With fewer
 * buckets than ports, 100,000 owners made every probe walk dozens of
 * others' entries, and a listener's children thousands.
 */
#define XTCP_BHASH_SIZE	BIT(16)
/* Where connect()'s port search starts, per destination (see
 * xtcp_port_counter()): enough counters that destinations seldom share
 * one.
 */
#define XTCP_PERTURB_SIZE	BIT(16)

static struct xtcp_ebucket *ehash;
static unsigned int ehash_mask;
static struct xtcp_bucket lhash[XTCP_LHASH_SIZE];
static struct xtcp_bucket *bhash;
static u32 xtcp_hash_seed __read_mostly;
static u32 xtcp_port_seed __read_mostly;
static u32 *xtcp_port_perturb;

unsigned int xtcp_ehash_size(void)
{
	return ehash_mask + 1;
}

static void xtcp_buckets_init(struct xtcp_bucket *b, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		spin_lock_init(&b[i].lock);
		INIT_HLIST_HEAD(&b[i].chain);
	}
}

int xtcp_table_init(unsigned int entries)
{
	unsigned int i;

	entries = roundup_pow_of_two(clamp(entries, 256U, 1U << 24));
	ehash = kvmalloc_array(entries, sizeof(*ehash), GFP_KERNEL);
	bhash = kvmalloc_array(XTCP_BHASH_SIZE, sizeof(*bhash), GFP_KERNEL);
	xtcp_port_perturb = kvcalloc(XTCP_PERTURB_SIZE,
				     sizeof(*xtcp_port_perturb), GFP_KERNEL);
	if (!ehash || !bhash || !xtcp_port_perturb) {
		xtcp_table_exit();
		return -ENOMEM;
	}
	ehash_mask = entries - 1;
	for (i = 0; i < entries; i++) {
		spin_lock_init(&ehash[i].lock);
		INIT_HLIST_NULLS_HEAD(&ehash[i].chain, i);
	}
	xtcp_buckets_init(lhash, XTCP_LHASH_SIZE);
	xtcp_buckets_init(bhash, XTCP_BHASH_SIZE);
	xtcp_hash_seed = get_random_u32();
	xtcp_port_seed = get_random_u32();
	return 0;
}

void xtcp_table_exit(void)
{
	kvfree(ehash);
	ehash = NULL;
	kvfree(bhash);
	bhash = NULL;
	kvfree(xtcp_port_perturb);
	xtcp_port_perturb = NULL;
}

/* ---- the four-tuple table ---- */

/*
 * A socket RCU readers can find must outlive their grace period; one they
 * never could (never hashed) is freed at once, which lets rmmod follow
 * the close of an unconnected socket without waiting.
 */
static void xtcp_sock_hold_hashed(struct sock *sk)
{
	sock_set_flag(sk, SOCK_RCU_FREE);
	sock_hold(sk);
}

static u32 xtcp_ehashfn(const struct net *net, __be32 laddr, __be16 lport,
			__be32 raddr, __be16 rport)
{
	return jhash_3words((__force u32)laddr, (__force u32)raddr,
			    ((u32)ntohs(lport) << 16) | ntohs(rport),
			    xtcp_hash_seed ^ net_hash_mix(net));
}

static struct xtcp_ebucket *xtcp_ebucket(const struct xtcp_hnode *h)
{
	u32 hash = xtcp_ehashfn(read_pnet(&h->net), h->laddr, h->lport,
				h->raddr, h->rport);

	return &ehash[hash & ehash_mask];
}

static bool xtcp_hnode_match(const struct xtcp_hnode *h, const struct net *net,
			     __be32 raddr, __be16 rport, __be32 laddr,
			     __be16 lport)
{
	return h->raddr == raddr && h->laddr == laddr && h->rport == rport &&
	       h->lport == lport && net_eq(read_pnet(&h->net), net);
}

/* A reference on any kind of entry, unless it is on its way out. */
bool xtcp_hnode_hold(struct xtcp_hnode *h)
{
	switch (h->kind) {
	case XTCP_HK_SOCK:
		return refcount_inc_not_zero(&xtcp_hnode_sk(h)->sk_refcnt);
	case XTCP_HK_REQ:
		return refcount_inc_not_zero(&container_of(h, struct xtcp_request, h)->refcnt);
	default:
		return refcount_inc_not_zero(&container_of(h, struct xtcp_tw, h)->refcnt);
	}
}
EXPORT_SYMBOL_GPL(xtcp_hnode_hold);

void xtcp_hnode_put(struct xtcp_hnode *h)
{
	switch (h->kind) {
	case XTCP_HK_SOCK:
		sock_put(xtcp_hnode_sk(h));
		break;
	case XTCP_HK_REQ:
		xtcp_request_put(container_of(h, struct xtcp_request, h));
		break;
	default:
		xtcp_tw_put(container_of(h, struct xtcp_tw, h));
	}
}
EXPORT_SYMBOL_GPL(xtcp_hnode_put);

/* The entry for a four-tuple, with a reference the caller drops, or NULL. */
struct xtcp_hnode *xtcp_lookup(struct net *net, __be32 raddr, __be16 rport,
			       __be32 laddr, __be16 lport)
{
	u32 slot = xtcp_ehashfn(net, laddr, lport, raddr, rport) & ehash_mask;
	struct xtcp_ebucket *b = &ehash[slot];
	struct hlist_nulls_node *n;
	struct xtcp_hnode *h;

	rcu_read_lock();
begin:
	hlist_nulls_for_each_entry_rcu(h, n, &b->chain, node) {
		if (!xtcp_hnode_match(h, net, raddr, rport, laddr, lport) ||
		    !xtcp_hnode_hold(h))
			continue;
		/* It may have moved between the match and the hold. */
		if (unlikely(!xtcp_hnode_match(h, net, raddr, rport, laddr,
					       lport))) {
			xtcp_hnode_put(h);
			goto begin;
		}
		rcu_read_unlock();
		return h;
	}
	/* The walk was led into another chain: this one may hold it. */
	if (get_nulls_value(n) != slot)
		goto begin;
	rcu_read_unlock();
	return NULL;
}
EXPORT_SYMBOL_GPL(xtcp_lookup);

/* The entry holding @h's four-tuple; called with the bucket locked. */
static struct xtcp_hnode *xtcp_ebucket_find(struct xtcp_ebucket *b,
					    const struct xtcp_hnode *h)
{
	struct hlist_nulls_node *n;
	struct xtcp_hnode *o;

	hlist_nulls_for_each_entry(o, n, &b->chain, node)
		if (xtcp_hnode_match(o, read_pnet(&h->net), h->raddr, h->rport,
				     h->laddr, h->lport))
			return o;
	return NULL;
}

/* Adds @h unless its four-tuple is taken (-EADDRINUSE).  A socket gains a
 * reference while hashed; request and TIME_WAIT entries are created with
 * the table's reference already counted.
 */
int xtcp_ehash_insert(struct xtcp_hnode *h)
{
	struct xtcp_ebucket *b = xtcp_ebucket(h);
	int err = 0;

	spin_lock_bh(&b->lock);
	if (xtcp_ebucket_find(b, h)) {
		err = -EADDRINUSE;
	} else {
		if (h->kind == XTCP_HK_SOCK)
			xtcp_sock_hold_hashed(xtcp_hnode_sk(h));
		hlist_nulls_add_head_rcu(&h->node, &b->chain);
	}
	spin_unlock_bh(&b->lock);
	return err;
}

/* True when @h was hashed and is now removed: the caller then owns the
 * table's reference (for a socket, it is dropped here).
 */
bool xtcp_ehash_remove(struct xtcp_hnode *h)
{
	struct xtcp_ebucket *b;
	bool removed = false;

	/* Never hashed: its fields (the namespace too) may be unset. */
	if (!xtcp_hnode_hashed(h))
		return false;
	b = xtcp_ebucket(h);
	spin_lock_bh(&b->lock);
	if (!hlist_nulls_unhashed(&h->node)) {
		/* Keeps ->next: a reader standing here walks on. */
		hlist_nulls_del_init_rcu(&h->node);
		removed = true;
	}
	spin_unlock_bh(&b->lock);
	if (removed && h->kind == XTCP_HK_SOCK)
		__sock_put(xtcp_hnode_sk(h));
	return removed;
}

/*
 * Swaps @old for @new (same four-tuple) so that no lookup misses both: a
 * request entry becoming a socket, a socket becoming a TIME_WAIT entry.
 * @new goes in first, at the head, so a lookup finds it first; @old then
 * leaves with its ->next intact for readers standing on it.  False, and
 * nothing done, when @old had already left: a request entry's last expiry
 * won the race with its final ACK.
 */
bool xtcp_ehash_replace(struct xtcp_hnode *old, struct xtcp_hnode *new)
{
	struct xtcp_ebucket *b = xtcp_ebucket(old);
	bool hashed;

	spin_lock_bh(&b->lock);
	hashed = !hlist_nulls_unhashed(&old->node);
	if (hashed) {
		if (new->kind == XTCP_HK_SOCK)
			xtcp_sock_hold_hashed(xtcp_hnode_sk(new));
		hlist_nulls_add_head_rcu(&new->node, &b->chain);
		hlist_nulls_del_init_rcu(&old->node);
	}
	spin_unlock_bh(&b->lock);
	if (hashed && old->kind == XTCP_HK_SOCK)
		__sock_put(xtcp_hnode_sk(old));
	return hashed;
}

/* Calls @fn on every entry of @net, bucket by bucket under RCU (for /proc
 * and namespace exit).  @fn must not sleep.
 */
void xtcp_table_walk(struct net *net,
		     void (*fn)(struct xtcp_hnode *h, void *arg), void *arg)
{
	struct hlist_nulls_node *n;
	struct xtcp_hnode *h;
	unsigned int i;

	for (i = 0; i <= ehash_mask; i++) {
		if (hlist_nulls_empty(&ehash[i].chain))
			continue;
		rcu_read_lock();
		hlist_nulls_for_each_entry_rcu(h, n, &ehash[i].chain, node)
			if (net_eq(read_pnet(&h->net), net))
				fn(h, arg);
		rcu_read_unlock();
	}
}

/* Namespace exit: no socket of @net is left (each holds the namespace),
 * but request and TIME_WAIT entries may be.
 */
void xtcp_table_purge_net(struct net *net)
{
	struct hlist_nulls_node *n;
	struct xtcp_hnode *h;
	unsigned int i;

	for (i = 0; i <= ehash_mask; i++) {
again:
		rcu_read_lock();
		hlist_nulls_for_each_entry_rcu(h, n, &ehash[i].chain, node) {
			if (!net_eq(read_pnet(&h->net), net) ||
			    h->kind == XTCP_HK_SOCK || !xtcp_hnode_hold(h))
				continue;
			rcu_read_unlock();
			if (h->kind == XTCP_HK_TW) {
				struct xtcp_tw *tw = container_of(h, struct xtcp_tw, h);

				xtcp_tw_kill(tw);
				xtcp_tw_put(tw);
			} else {
				struct xtcp_request *req =
					container_of(h, struct xtcp_request, h);

				xtcp_request_kill(req);
				xtcp_request_put(req);
			}
			goto again;
		}
		rcu_read_unlock();
	}
}

/* ---- the listener table ---- */

static struct xtcp_bucket *xtcp_lbucket(const struct net *net, u16 port)
{
	return &lhash[(port ^ net_hash_mix(net)) & (XTCP_LHASH_SIZE - 1)];
}

void xtcp_listen_hash(struct sock *sk)
{
	struct xtcp_bucket *b = xtcp_lbucket(sock_net(sk), inet_sk(sk)->inet_num);

	sock_set_flag(sk, SOCK_RCU_FREE);
	spin_lock_bh(&b->lock);
	hlist_add_head_rcu(&sk->sk_node, &b->chain);
	spin_unlock_bh(&b->lock);
}

void xtcp_listen_unhash(struct sock *sk)
{
	struct xtcp_bucket *b = xtcp_lbucket(sock_net(sk), inet_sk(sk)->inet_num);

	spin_lock_bh(&b->lock);
	hlist_del_init_rcu(&sk->sk_node);
	spin_unlock_bh(&b->lock);
}

/* How well a listener fits: an exact address beats INADDR_ANY. */
static int xtcp_listen_score(struct sock *sk, const struct net *net,
			     __be32 laddr, u16 lport)
{
	const struct inet_sock *inet = inet_sk(sk);

	if (!net_eq(sock_net(sk), net) || inet->inet_num != lport)
		return -1;
	if (inet->inet_rcv_saddr == laddr)
		return 2;
	return inet->inet_rcv_saddr == htonl(INADDR_ANY) ? 1 : -1;
}

/*
 * The listener for a segment to laddr:lport, with a reference.  Among
 * equally good SO_REUSEPORT listeners one is picked by a hash of the
 * four-tuple, so a connection always lands on the same one.
 */
struct sock *xtcp_lookup_listener(struct net *net, __be32 raddr, __be16 rport,
				  __be32 laddr, __be16 lport)
{
	u16 port = ntohs(lport);
	struct xtcp_bucket *b = xtcp_lbucket(net, port);
	u32 hash = xtcp_ehashfn(net, laddr, lport, raddr, rport);
	struct sock *sk, *best = NULL;
	int best_score = 0, matches = 0, score;

	rcu_read_lock();
	sk_for_each_rcu(sk, &b->chain) {
		score = xtcp_listen_score(sk, net, laddr, port);
		if (score > best_score) {
			best = sk;
			best_score = score;
			matches = 1;
		} else if (score == best_score && score > 0 &&
			   sk->sk_reuseport) {
			/* Reservoir choice keyed on the hash: uniform and stable. */
			matches++;
			if (reciprocal_scale(hash, matches) == 0)
				best = sk;
		}
	}
	if (best && !refcount_inc_not_zero(&best->sk_refcnt))
		best = NULL;
	rcu_read_unlock();
	return best;
}
EXPORT_SYMBOL_GPL(xtcp_lookup_listener);

/* ---- the bind table ---- */

/* A permutation of the port numbers for each namespace: two ports of one
 * namespace never share a bucket.
 */
static struct xtcp_bucket *xtcp_bbucket(const struct net *net, u16 port)
{
	return &bhash[(port ^ net_hash_mix(net)) & (XTCP_BHASH_SIZE - 1)];
}

/*
 * Where an owner of a port is: a socket's inet_sock says, and a TIME_WAIT
 * entry's four-tuple, each with the wildcard address it bound.  A
 * socket's inet_num and inet_rcv_saddr change only while its head is off
 * the chain, or under the chain's lock as it goes on (xtcp_try_bind(),
 * xtcp_connect_port()), so a walk under that lock reads them steady; a
 * wildcard socket's inet_rcv_saddr, which connect() sets, is not read.
 */
struct xtcp_bwhere {
	const struct net *net;
	__be32 laddr;
	u16 port;
};

static struct xtcp_bwhere xtcp_bhead_where(const struct xtcp_bhead *bh)
{
	const struct inet_sock *inet;
	const struct xtcp_tw *tw;

	if (bh->kind == XTCP_HK_TW) {
		tw = container_of(bh, struct xtcp_tw, bind);
		return (struct xtcp_bwhere){
			.net = read_pnet(&tw->h.net),
			.laddr = bh->laddr_any ? 0 : tw->h.laddr,
			.port = ntohs(tw->h.lport),
		};
	}
	inet = &container_of(bh, struct xtcp_sock, bind)->inet;
	return (struct xtcp_bwhere){
		.net = sock_net(&inet->sk),
		.laddr = bh->laddr_any ? 0 : inet->inet_rcv_saddr,
		.port = inet->inet_num,
	};
}

static bool xtcp_bnode_listening(const struct xtcp_bhead *b)
{
	const struct xtcp_sock *xs;

	if (b->kind != XTCP_HK_SOCK)
		return false;
	xs = container_of(b, struct xtcp_sock, bind);
	return READ_ONCE(xs->inet.sk.sk_state) == TCP_LISTEN;
}

/*
 * TCP's rules for sharing a port: different specific addresses never
 * clash; SO_REUSEADDR on both lets them share unless the one already
 * there listens; SO_REUSEPORT on both, for the same user, always does.
 */
static bool xtcp_bind_conflict(const struct xtcp_bhead *new, __be32 laddr,
			       const struct xtcp_bhead *old, __be32 old_laddr)
{
	if (old_laddr && laddr && old_laddr != laddr)
		return false;
	if (new->reuseaddr && old->reuseaddr && !xtcp_bnode_listening(old))
		return false;
	if (new->reuseport && old->reuseport && uid_eq(new->uid, old->uid))
		return false;
	return true;
}

/* Does any owner of port clash with @new, which would be @nw?  Called
 * with the bucket locked.
 */
static bool xtcp_port_conflicts(struct xtcp_bucket *b,
				const struct xtcp_bhead *new,
				const struct xtcp_bwhere *nw)
{
	struct xtcp_bwhere at;
	struct xtcp_bhead *old;

	hlist_for_each_entry(old, &b->chain, node) {
		if (old == new)
			continue;
		at = xtcp_bhead_where(old);
		if (at.port != nw->port || !net_eq(at.net, nw->net))
			continue;
		if (xtcp_bind_conflict(new, nw->laddr, old, at.laddr))
			return true;
	}
	return false;
}

static void xtcp_bhead_fill(struct sock *sk, __be32 laddr)
{
	struct xtcp_bhead *b = &xtcp_sk(sk)->bind;

	b->kind = XTCP_HK_SOCK;
	b->laddr_any = !laddr;
	b->reuseaddr = sk->sk_reuse != SK_NO_REUSE;
	b->reuseport = sk->sk_reuseport;
	b->uid = sock_i_uid(sk);
}

/* On success inet_num is @port, and inet_rcv_saddr @laddr unless that is
 * INADDR_ANY (bind() sets it then, listen() leaves it).
 */
static int xtcp_try_bind(struct sock *sk, __be32 laddr, u16 port)
{
	struct xtcp_bwhere nw = {
		.net = sock_net(sk), .laddr = laddr, .port = port,
	};
	struct xtcp_bucket *b = xtcp_bbucket(nw.net, port);
	struct xtcp_bhead *bh = &xtcp_sk(sk)->bind;
	struct inet_sock *inet = inet_sk(sk);
	int err = 0;

	spin_lock_bh(&b->lock);
	xtcp_bhead_fill(sk, laddr);
	if (xtcp_port_conflicts(b, bh, &nw)) {
		err = -EADDRINUSE;
	} else if (hlist_unhashed(&bh->node)) {
		/* What walks of the chain read (xtcp_bhead_where()). */
		if (laddr)
			inet->inet_rcv_saddr = laddr;
		inet->inet_num = port;
		hlist_add_head(&bh->node, &b->chain);
	}
	spin_unlock_bh(&b->lock);
	return err;
}

static void xtcp_port_range(struct sock *sk, int *low, int *high)
{
	inet_sk_get_local_port_range(sk, low, high);
}

/*
 * bind(2)'s port: @port itself, or with 0 the first free one of the
 * namespace's ephemeral range from a random start, as TCP does.
 */
int xtcp_bind_port(struct sock *sk, __be32 laddr, u16 port)
{
	int low, high, n, i;
	u32 start;

	if (port)
		return xtcp_try_bind(sk, laddr, port);

	xtcp_port_range(sk, &low, &high);
	n = high - low + 1;
	start = get_random_u32_below(n);
	for (i = 0; i < n; i++) {
		port = low + (start + i) % n;
		if (inet_is_local_reserved_port(sock_net(sk), port))
			continue;
		if (!xtcp_try_bind(sk, laddr, port))
			return 0;
	}
	return -EADDRINUSE;
}

/* listen(2) checks again: of two SO_REUSEADDR sockets sharing a port,
 * only the first may listen.
 */
int xtcp_listen_check_port(struct sock *sk)
{
	struct xtcp_bhead *bh = &xtcp_sk(sk)->bind;
	struct xtcp_bwhere nw = xtcp_bhead_where(bh);
	struct xtcp_bucket *b = xtcp_bbucket(nw.net, nw.port);
	bool clash;

	spin_lock_bh(&b->lock);
	clash = xtcp_port_conflicts(b, bh, &nw);
	spin_unlock_bh(&b->lock);
	return clash ? -EADDRINUSE : 0;
}

/* Adds an owner that inherits its port (a child socket, a TIME_WAIT
 * entry): no conflict check, the port is already its family's.
 */
void xtcp_bind_add(struct xtcp_bhead *bn)
{
	struct xtcp_bwhere at = xtcp_bhead_where(bn);
	struct xtcp_bucket *b = xtcp_bbucket(at.net, at.port);

	spin_lock_bh(&b->lock);
	if (hlist_unhashed(&bn->node))	/* once, however often it is asked */
		hlist_add_head(&bn->node, &b->chain);
	spin_unlock_bh(&b->lock);
}

void xtcp_bind_del(struct xtcp_bhead *bn)
{
	struct xtcp_bwhere at;
	struct xtcp_bucket *b;

	if (hlist_unhashed_lockless(&bn->node))
		return;
	at = xtcp_bhead_where(bn);
	b = xtcp_bbucket(at.net, at.port);
	spin_lock_bh(&b->lock);
	hlist_del_init(&bn->node);
	spin_unlock_bh(&b->lock);
}

/* A port connect(2) may share: nobody bound it with bind(2). */
static bool xtcp_port_connect_only(struct xtcp_bucket *b, const struct net *net,
				   u16 port)
{
	struct xtcp_bwhere at;
	struct xtcp_bhead *o;

	hlist_for_each_entry(o, &b->chain, node) {
		at = xtcp_bhead_where(o);
		if (at.port == port && net_eq(at.net, net) && !o->by_connect)
			return false;
	}
	return true;
}

/*
 * Hashes a connecting socket whose port is set, if its four-tuple is free
 * or held by a TIME_WAIT entry it may take over (xtcp_tw_reusable()).
 * That entry leaves the table in the same step, and *@twp gets it (with
 * the table's reference) for the caller to finish once it holds no lock.
 */
static int xtcp_connect_hash(struct sock *sk, bool port_bound,
			     struct xtcp_tw **twp)
{
	struct xtcp_hnode *h = &xtcp_sk(sk)->ehash, *o;
	const struct inet_sock *inet = inet_sk(sk);
	struct xtcp_ebucket *b;
	int err = 0;

	write_pnet(&h->net, sock_net(sk));
	h->laddr = inet->inet_saddr;
	h->raddr = inet->inet_daddr;
	h->lport = inet->inet_sport;
	h->rport = inet->inet_dport;
	h->kind = XTCP_HK_SOCK;
	b = xtcp_ebucket(h);

	spin_lock_bh(&b->lock);
	o = xtcp_ebucket_find(b, h);
	if (o && (o->kind != XTCP_HK_TW ||
		  !xtcp_tw_reusable(sk, container_of(o, struct xtcp_tw, h),
				    port_bound))) {
		err = -EADDRINUSE;
	} else {
		xtcp_sock_hold_hashed(sk);
		hlist_nulls_add_head_rcu(&h->node, &b->chain);
		if (o) {
			hlist_nulls_del_init_rcu(&o->node);
			*twp = container_of(o, struct xtcp_tw, h);
		}
	}
	spin_unlock_bh(&b->lock);
	return err;
}

/* A TIME_WAIT entry connect() took the four-tuple of goes, and the new
 * connection learns what it needs of it: 1 then, else 0.
 */
static int xtcp_connect_took(struct sock *sk, struct xtcp_tw *tw)
{
	if (!tw)
		return 0;
	xtcp_tw_reuse(sk, tw);
	return 1;
}

/* RFC 6056's algorithm 4 ("double-hash"): the search for a destination
 * starts at a keyed hash of it plus a counter that a second hash picks
 * among XTCP_PERTURB_SIZE; the counter moves past every port the last
 * search probed, so connections to one destination take consecutive ports
 * without walking again over those the earlier ones took.
 */
static u32 *xtcp_port_counter(const struct inet_sock *inet, u32 *start)
{
	u32 h = jhash_3words((__force u32)inet->inet_daddr,
			     (__force u32)inet->inet_dport,
			     (__force u32)inet->inet_saddr, xtcp_port_seed);

	*start = jhash_3words((__force u32)inet->inet_daddr,
			      (__force u32)inet->inet_dport,
			      (__force u32)inet->inet_saddr, xtcp_hash_seed);
	return &xtcp_port_perturb[h & (XTCP_PERTURB_SIZE - 1)];
}

/*
 * connect(2): a bound socket keeps its port; otherwise a port is picked
 * from the ephemeral range, checking the whole four-tuple so that one
 * local port can serve many destinations (see xtcp_port_counter() for
 * where the search starts).  Returns 1 when the four-tuple was a
 * TIME_WAIT entry's (the socket's ISN and ts_recent are then set), 0
 * otherwise, or -EADDRNOTAVAIL.
 */
int xtcp_connect_port(struct sock *sk)
{
	struct inet_sock *inet = inet_sk(sk);
	struct net *net = sock_net(sk);
	struct xtcp_tw *tw = NULL;
	struct xtcp_bucket *b;
	int low, high, n, i, err;
	u32 *counter;
	u32 start;
	u16 port;

	if (inet->inet_num) {
		if (xtcp_connect_hash(sk, true, &tw))
			return -EADDRNOTAVAIL;
		return xtcp_connect_took(sk, tw);
	}

	xtcp_port_range(sk, &low, &high);
	n = high - low + 1;
	counter = xtcp_port_counter(inet, &start);
	/* Racing searches may start at one port: the bucket lock settles it. */
	start += READ_ONCE(*counter);
	for (i = 0; i < n; i++) {
		port = low + (start + i) % n;
		if (inet_is_local_reserved_port(net, port))
			continue;
		b = xtcp_bbucket(net, port);
		spin_lock_bh(&b->lock);
		if (!xtcp_port_connect_only(b, net, port)) {
			spin_unlock_bh(&b->lock);
			continue;
		}
		inet->inet_num = port;
		inet->inet_sport = htons(port);
		err = xtcp_connect_hash(sk, false, &tw);
		if (!err) {
			xtcp_bhead_fill(sk, inet->inet_rcv_saddr);
			xtcp_sk(sk)->bind.by_connect = 1;
			hlist_add_head(&xtcp_sk(sk)->bind.node, &b->chain);
		}
		spin_unlock_bh(&b->lock);
		if (!err) {
			WRITE_ONCE(*counter, READ_ONCE(*counter) + i + 1);
			return xtcp_connect_took(sk, tw);
		}
	}
	inet->inet_num = 0;
	inet->inet_sport = 0;
	return -EADDRNOTAVAIL;
}

/* Takes a socket out of every table it is in. */
void xtcp_sock_unhash(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (!hlist_unhashed_lockless(&sk->sk_node))
		xtcp_listen_unhash(sk);
	xtcp_ehash_remove(&xs->ehash);
	xtcp_bind_del(&xs->bind);
}

/* Calls @fn on every listener of @net (for /proc), under RCU. */
void xtcp_listen_walk(struct net *net,
		      void (*fn)(struct sock *sk, void *arg), void *arg)
{
	struct sock *sk;
	unsigned int i;

	rcu_read_lock();
	for (i = 0; i < XTCP_LHASH_SIZE; i++)
		sk_for_each_rcu(sk, &lhash[i].chain)
			if (net_eq(sock_net(sk), net))
				fn(sk, arg);
	rcu_read_unlock();
}

/* One listener bucket's share of a walk (see xtcp_walk()). */
static int xtcp_walk_lbucket(struct net *net, struct xtcp_walk_pos *pos,
			     int (*fn)(struct xtcp_hnode *h, void *arg),
			     void *arg)
{
	struct xtcp_bucket *b = &lhash[pos->bucket];
	unsigned int num = 0;
	struct sock *sk;
	int ret = 0;

	if (hlist_empty(&b->chain))
		return 0;
	spin_lock_bh(&b->lock);
	sk_for_each(sk, &b->chain) {
		if (!net_eq(sock_net(sk), net) || num++ < pos->skip)
			continue;
		ret = fn(&xtcp_sk(sk)->ehash, arg);
		if (ret) {
			pos->skip = num - 1;
			break;
		}
	}
	spin_unlock_bh(&b->lock);
	return ret;
}

/* One four-tuple bucket's share of a walk. */
static int xtcp_walk_ebucket(struct net *net, struct xtcp_walk_pos *pos,
			     int (*fn)(struct xtcp_hnode *h, void *arg),
			     void *arg)
{
	struct xtcp_ebucket *b = &ehash[pos->bucket];
	struct hlist_nulls_node *n;
	struct xtcp_hnode *h;
	unsigned int num = 0;
	int ret = 0;

	if (hlist_nulls_empty(&b->chain))
		return 0;
	spin_lock_bh(&b->lock);
	hlist_nulls_for_each_entry(h, n, &b->chain, node) {
		if (!net_eq(read_pnet(&h->net), net) || num++ < pos->skip)
			continue;
		ret = fn(h, arg);
		if (ret) {
			pos->skip = num - 1;
			break;
		}
	}
	spin_unlock_bh(&b->lock);
	return ret;
}

/*
 * Calls @fn on @net's listeners, then on its four-tuple table's entries,
 * from @pos on, until @fn returns non-zero: @pos then names the entry it
 * stopped at, for a later call to start from, and that value is
 * returned; 0 once the walk is over.  A listener is passed as its
 * socket's node (kind XTCP_HK_SOCK, not in the four-tuple table).  Each
 * bucket is walked under its lock, as Linux's inet_diag walks its ehash,
 * so no entry moves under the walk; one that comes or goes between two
 * calls may make the next skip or repeat one, as Linux's sock_diag dumps
 * may.  @fn must not sleep; it may take a reference with
 * xtcp_hnode_hold() to use the entry after.  For sock_diag (diag.c).
 */
int xtcp_walk(struct net *net, struct xtcp_walk_pos *pos,
	      int (*fn)(struct xtcp_hnode *h, void *arg), void *arg)
{
	int ret;

	for (; pos->table == XTCP_WALK_LISTENERS; pos->skip = 0) {
		ret = xtcp_walk_lbucket(net, pos, fn, arg);
		if (ret)
			return ret;
		if (++pos->bucket == XTCP_LHASH_SIZE) {
			pos->table = XTCP_WALK_EHASH;
			pos->bucket = 0;
		}
	}
	for (; pos->table == XTCP_WALK_EHASH; pos->skip = 0) {
		ret = xtcp_walk_ebucket(net, pos, fn, arg);
		if (ret)
			return ret;
		if (++pos->bucket > ehash_mask)
			pos->table = XTCP_WALK_DONE;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(xtcp_walk);
