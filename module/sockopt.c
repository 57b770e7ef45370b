// SPDX-License-Identifier: GPL-2.0
/*
 * Socket options: TCP's, at IPPROTO_TCP or SOL_XTCP, each with Linux
 * TCP's number, bounds, default and read-back, so that a program written
 * for TCP sets it on XTCP unchanged; the IP level's and the socket
 * level's go to the inet and socket code, as TCP's do.
 */
#include <linux/tcp.h>

#include "xtcp.h"

#define XTCP_MAX_SYNCNT		127	/* MAX_TCP_SYNCNT */
#define XTCP_MAX_LINGER2	120	/* TCP_FIN_TIMEOUT_MAX, seconds */
/* What TCP_DEFER_ACCEPT's seconds are counted in: Linux's fixed initial
 * and largest RTOs, whatever net.xtcp.rto_initial_ms says, so that a
 * value reads back as it does on TCP.
 */
#define XTCP_DEFER_RTO_INIT	1	/* TCP_TIMEOUT_INIT, seconds */
#define XTCP_DEFER_RTO_MAX	120	/* TCP_RTO_MAX, seconds */

/* The options this file serves (socket.c asks before copying a value). */
bool xtcp_sockopt_known(int optname)
{
	switch (optname) {
	case TCP_SYNCNT:
	case TCP_LINGER2:
	case TCP_WINDOW_CLAMP:
	case TCP_NOTSENT_LOWAT:
	case TCP_DEFER_ACCEPT:
		return true;
	}
	return false;
}

/*
 * TCP_DEFER_ACCEPT's seconds as the SYN-ACK timeouts that cover them
 * (Linux's secs_to_retrans()): the timeouts double from 1 s up to 120 s,
 * so 1 s is one, 2 or 3 s two, 4 to 7 s three; at most 255.
 */
static u8 xtcp_defer_secs_to_timeouts(int secs)
{
	int timeout = XTCP_DEFER_RTO_INIT, period = timeout;
	u8 n;

	if (secs <= 0)
		return 0;
	for (n = 1; secs > period && n < U8_MAX; n++) {
		timeout = min(timeout << 1, XTCP_DEFER_RTO_MAX);
		period += timeout;
	}
	return n;
}

/* And back (retrans_to_secs()): the whole time those timeouts take. */
static int xtcp_defer_timeouts_to_secs(u8 n)
{
	int timeout = XTCP_DEFER_RTO_INIT, period;

	if (!n)
		return 0;
	for (period = timeout; --n; period += timeout)
		timeout = min(timeout << 1, XTCP_DEFER_RTO_MAX);
	return period;
}

/*
 * TCP_WINDOW_CLAMP, as Linux: the advertised window stays at or below it
 * (output.c), though what was already offered is not taken back; a tiny
 * one is raised to half the smallest receive buffer.  0 clears it, only
 * before a connection.
 */
static int xtcp_set_window_clamp(struct sock *sk, int val)
{
	if (!val) {
		if (sk->sk_state != TCP_CLOSE)
			return -EINVAL;
		WRITE_ONCE(xtcp_sk(sk)->window_clamp, 0);
		return 0;
	}
	WRITE_ONCE(xtcp_sk(sk)->window_clamp,
		   max_t(int, val, SOCK_MIN_RCVBUF / 2));
	return 0;
}

/* Called locked; -ENOPROTOOPT for an option not ours. */
int xtcp_sockopt_set(struct sock *sk, int optname, int val)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	switch (optname) {
	case TCP_SYNCNT:
		/* SYN resends before connect() gives up (timer.c). */
		if (val < 1 || val > XTCP_MAX_SYNCNT)
			return -EINVAL;
		WRITE_ONCE(xs->syn_retries, val);
		return 0;
	case TCP_LINGER2:
		/* Seconds an orphan waits in FIN_WAIT_2; below 0 it does not
		 * (a RST ends it).  Linux caps it and takes no error.
		 */
		WRITE_ONCE(xs->linger2, val < 0 ? -1 :
			   min_t(int, val, XTCP_MAX_LINGER2));
		return 0;
	case TCP_WINDOW_CLAMP:
		return xtcp_set_window_clamp(sk, val);
	case TCP_NOTSENT_LOWAT:
		/* Unsigned, as Linux's: -1 is as good as none. */
		WRITE_ONCE(xs->notsent_lowat, val);
		sk->sk_write_space(sk);
		return 0;
	case TCP_DEFER_ACCEPT:
		/* Any socket takes it, a listener uses it (minisocks.c);
		 * below 0 is 0, as Linux, which takes no error either.
		 */
		WRITE_ONCE(xs->defer_accept, xtcp_defer_secs_to_timeouts(val));
		return 0;
	}
	return -ENOPROTOOPT;
}

/* TCP_WINDOW_CLAMP read back: the one set, or once connected the most
 * the receive buffer and window shift let us offer (Linux's figure then).
 */
static int xtcp_window_clamp_now(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 clamp = READ_ONCE(xs->window_clamp);

	if (clamp || (1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN))
		return clamp;
	clamp = clamp_t(s64, xtcp_room_to_payload(xs, READ_ONCE(sk->sk_rcvbuf)),
			0, XTCP_RCV_WND << xs->rcv_wscale);
	return min_t(u32, clamp, INT_MAX);
}

/* The value getsockopt() reads back, as Linux's; -ENOPROTOOPT if unknown. */
int xtcp_sockopt_get(struct sock *sk, int optname, int *val)
{
	const struct xtcp_sysctl *sc = xtcp_sysctl(sock_net(sk));
	struct xtcp_sock *xs = xtcp_sk(sk);

	switch (optname) {
	case TCP_SYNCNT:
		*val = READ_ONCE(xs->syn_retries) ?: READ_ONCE(sc->syn_retries);
		return 0;
	case TCP_LINGER2:
		*val = READ_ONCE(xs->linger2);
		if (*val >= 0)
			*val = *val ?: READ_ONCE(sc->fin_timeout);
		return 0;
	case TCP_WINDOW_CLAMP:
		*val = xtcp_window_clamp_now(sk);
		return 0;
	case TCP_NOTSENT_LOWAT:
		*val = READ_ONCE(xs->notsent_lowat);
		return 0;
	case TCP_DEFER_ACCEPT:
		*val = xtcp_defer_timeouts_to_secs(READ_ONCE(xs->defer_accept));
		return 0;
	}
	return -ENOPROTOOPT;
}

/* A listener's child takes these over, as a clone of it does in Linux;
 * not TCP_DEFER_ACCEPT, which Linux's clone starts without (its accept
 * queue is zeroed).
 */
void xtcp_sockopt_inherit(struct sock *child, const struct sock *parent)
{
	xtcp_sk(child)->syn_retries = READ_ONCE(xtcp_sk(parent)->syn_retries);
	xtcp_sk(child)->linger2 = READ_ONCE(xtcp_sk(parent)->linger2);
	xtcp_sk(child)->window_clamp = READ_ONCE(xtcp_sk(parent)->window_clamp);
	xtcp_sk(child)->notsent_lowat = READ_ONCE(xtcp_sk(parent)->notsent_lowat);
}

/*
 * How long an orphan waits for the peer's FIN in FIN_WAIT_2: TCP_LINGER2,
 * or net.xtcp.fin_timeout; never under three and a half RTOs, so that the
 * peer's resent FIN still finds it (Linux's tcp_fin_time()).
 */
u64 xtcp_fin_time_ns(const struct sock *sk)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);
	int secs = READ_ONCE(xs->linger2);
	u64 ns, floor = (xtcp_rto_ns(xs) << 2) - (xtcp_rto_ns(xs) >> 1);

	if (secs <= 0)
		secs = READ_ONCE(xtcp_sysctl(sock_net(sk))->fin_timeout);
	ns = (u64)secs * NSEC_PER_SEC;
	return max(ns, floor);
}

/*
 * An orphan reaches FIN_WAIT_2 (@in: the ACK that took it there; NULL:
 * close() in FIN_WAIT_2).  It waits for the peer's FIN as a small entry,
 * or with TCP_LINGER2 below 0 ends now with a RST, as Linux: a reply to
 * that ACK, or an active reset.
 */
void xtcp_fin_wait2_orphan(struct sock *sk, struct sk_buff *in)
{
	if (READ_ONCE(xtcp_sk(sk)->linger2) >= 0) {
		xtcp_time_wait(sk, TCP_FIN_WAIT2);
		return;
	}
	if (in)
		xtcp_send_reset_reply(sock_net(sk), in);
	else
		xtcp_send_active_reset(sk, GFP_ATOMIC);
	xtcp_done(sk);
}

/*
 * Is there room for another write?  The send buffer's test is the socket
 * core's; with TCP_NOTSENT_LOWAT the bytes queued but not yet sent must
 * also be under the mark, or under half of it (@wake) for poll() and a
 * writer's wake-up, so that one wakes to room for a good write (Linux's
 * tcp_stream_memory_free()).
 */
bool xtcp_stream_memory_free(const struct sock *sk, int wake)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);
	u32 lowat = READ_ONCE(xs->notsent_lowat) ?: UINT_MAX;
	u32 notsent = READ_ONCE(xs->write_seq) - READ_ONCE(xs->snd_nxt);

	return ((u64)notsent << wake) < lowat;
}

/* Sending brought the unsent bytes down: a writer waiting on
 * TCP_NOTSENT_LOWAT may go on.
 */
void xtcp_notsent_check(struct sock *sk)
{
	if (READ_ONCE(xtcp_sk(sk)->notsent_lowat))
		sk->sk_write_space(sk);
}

/*
 * Group membership needs ip_mc_drop_socket() on close, which the kernel
 * does not export to modules; a byte stream has no use for multicast
 * groups, so XTCP refuses to join one (TCP does the same for
 * IP_ADD_MEMBERSHIP).
 */
static bool xtcp_ip_opt_joins_group(int optname)
{
	switch (optname) {
	case IP_ADD_MEMBERSHIP:
	case IP_DROP_MEMBERSHIP:
	case IP_ADD_SOURCE_MEMBERSHIP:
	case IP_DROP_SOURCE_MEMBERSHIP:
	case IP_BLOCK_SOURCE:
	case IP_UNBLOCK_SOURCE:
	case IP_MSFILTER:
	case MCAST_JOIN_GROUP:
	case MCAST_LEAVE_GROUP:
	case MCAST_JOIN_SOURCE_GROUP:
	case MCAST_LEAVE_SOURCE_GROUP:
	case MCAST_BLOCK_SOURCE:
	case MCAST_UNBLOCK_SOURCE:
	case MCAST_MSFILTER:
		return true;
	}
	return false;
}

/*
 * TCP's options, with TCP's numbers and meanings, at level SOL_XTCP or
 * IPPROTO_TCP.  Those XTCP has no machinery for yet answer ENOPROTOOPT, as
 * TCP does for an option it does not know.
 */
static bool xtcp_level_is_ours(int level)
{
	return level == SOL_XTCP || level == IPPROTO_TCP;
}

/*
 * TCP_QUICKACK, as Linux: 0 makes ACKs wait for replies (pingpong); any
 * other value stops that, and sends an ACK still owed if the reader has
 * taken everything or a segment's worth waits for it; an even value then
 * makes them wait again (a one-off ACK).
 */
static void xtcp_set_quickack(struct sock *sk, int val)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	xs->pingpong = !val;
	if (!val)
		return;
	if (((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT)) &&
	    xs->ack_pending &&
	    (skb_queue_empty(&sk->sk_receive_queue) ||
	     xs->rcv_nxt - xs->rcv_wup > xs->mss))
		xtcp_send_ack_now(sk);
	if (!(val & 1))
		xs->pingpong = 1;
}

static int xtcp_set_tcp_option(struct sock *sk, int optname, int val)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	switch (optname) {
	case TCP_NODELAY:
		/* As TCP: turning Nagle off sends what it held back. */
		xs->nodelay = !!val;
		if (val)
			xtcp_push_partial(sk);
		return 0;
	case TCP_CORK:
		xs->corked = !!val;
		if (!val)
			xtcp_push_partial(sk);
		return 0;
	case TCP_KEEPIDLE:
	case TCP_KEEPINTVL:
		if (val < 1 || val > XTCP_MAX_KEEPIDLE)
			return -EINVAL;
		if (optname == TCP_KEEPINTVL) {
			xs->keepintvl = val;
			return 0;
		}
		xs->keepidle = val;
		xtcp_keepalive_reset(sk);
		return 0;
	case TCP_KEEPCNT:
		if (val < 1 || val > XTCP_MAX_KEEPCNT)
			return -EINVAL;
		xs->keepcnt = val;
		return 0;
	case TCP_MAXSEG:
		/* TCP's bounds; it applies from the next connection on. */
		if (val && (val < XTCP_MIN_MSS || val > XTCP_MAX_USER_MSS))
			return -EINVAL;
		xs->user_mss = val;
		return 0;
	case TCP_QUICKACK:
		xtcp_set_quickack(sk, val);
		return 0;
	case TCP_INQ:
		if (val < 0 || val > 1)
			return -EINVAL;
		xs->recvmsg_inq = val;
		return 0;
	case TCP_USER_TIMEOUT:
		/* ms; the timers read it as they fire (timer.c). */
		if (val < 0)
			return -EINVAL;
		WRITE_ONCE(xs->user_timeout, val);
		return 0;
	}
	return xtcp_sockopt_set(sk, optname, val);	/* sockopt.c */
}

static int xtcp_set_congestion(struct sock *sk, sockptr_t optval,
			       unsigned int optlen)
{
	char name[XTCP_CC_NAME_MAX];
	int err;

	if (optlen < 1)
		return -EINVAL;
	optlen = min_t(unsigned int, optlen, sizeof(name) - 1);
	if (copy_from_sockptr(name, optval, optlen))
		return -EFAULT;
	name[optlen] = 0;
	lock_sock(sk);
	err = xtcp_cong_set(sk, name);
	release_sock(sk);
	return err;
}

int xtcp_setsockopt(struct socket *sock, int level, int optname,
		    sockptr_t optval, unsigned int optlen)
{
	struct sock *sk = sock->sk;
	int val, err;

	if (level == SOL_IP && xtcp_ip_opt_joins_group(optname))
		return -EPROTO;
	if (!xtcp_level_is_ours(level))
		return ip_setsockopt(sk, level, optname, optval, optlen);
	if (optname == TCP_CONGESTION)
		return xtcp_set_congestion(sk, optval, optlen);
	switch (optname) {
	case TCP_NODELAY:
	case TCP_MAXSEG:
	case TCP_CORK:
	case TCP_KEEPIDLE:
	case TCP_KEEPINTVL:
	case TCP_KEEPCNT:
	case TCP_QUICKACK:
	case TCP_INQ:
	case TCP_USER_TIMEOUT:
		break;
	default:
		if (!xtcp_sockopt_known(optname))
			return -ENOPROTOOPT;
	}
	if (optlen < sizeof(int))
		return -EINVAL;
	if (copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;
	lock_sock(sk);
	err = xtcp_set_tcp_option(sk, optname, val);
	release_sock(sk);
	return err;
}

int xtcp_getsockopt(struct socket *sock, int level, int optname,
		    char __user *optval, int __user *optlen)
{
	struct sock *sk = sock->sk;
	struct xtcp_sock *xs = xtcp_sk(sk);
	int len, val;

	if (!xtcp_level_is_ours(level))
		return ip_getsockopt(sk, level, optname, optval, optlen);
	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;

	switch (optname) {
	case TCP_NODELAY:
		val = xs->nodelay;
		break;
	case TCP_CORK:
		val = xs->corked;
		break;
	case TCP_KEEPIDLE:
		val = xtcp_keepidle(sk);
		break;
	case TCP_KEEPINTVL:
		val = xtcp_keepintvl(sk);
		break;
	case TCP_KEEPCNT:
		val = xtcp_keepcnt(sk);
		break;
	case TCP_QUICKACK:
		val = !xs->pingpong;
		break;
	case TCP_MAXSEG:
		/* As TCP: the payload size in use, or before a connection
		 * the one asked for, or the default.
		 */
		if ((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN))
			val = xs->user_mss ?: XTCP_MSS_DEFAULT;
		else
			val = xtcp_payload_mss(xs);	/* less the timestamp */
		break;
	case TCP_CONGESTION: {
		char name[XTCP_CC_NAME_MAX] = "";

		strscpy(name, xtcp_cong_name(sk), sizeof(name));
		len = min_t(unsigned int, len, sizeof(name));
		if (put_user(len, optlen) || copy_to_user(optval, name, len))
			return -EFAULT;
		return 0;
	}
	case TCP_INQ:
		val = xs->recvmsg_inq;
		break;
	case TCP_USER_TIMEOUT:
		val = READ_ONCE(xs->user_timeout);
		break;
	case TCP_INFO:
	case TCP_CC_INFO:
		return xtcp_info_getsockopt(sk, optname, optval, optlen, len);
	default:
		if (xtcp_sockopt_get(sk, optname, &val))
			return -ENOPROTOOPT;
	}
	len = min_t(unsigned int, len, sizeof(int));
	if (put_user(len, optlen) || copy_to_user(optval, &val, len))
		return -EFAULT;
	return 0;
}
