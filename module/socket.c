// SPDX-License-Identifier: GPL-2.0
/*
 * The socket calls: what user space reaches through socket(2), bind(2),
 * connect(2), ... on an AF_XTCP socket.  Each call returns the errno Linux
 * TCP returns in the same situation; the selftests check that by making the
 * same call on a TCP socket.
 *
 * The connection state machine does not exist yet, so every socket stays in
 * TCP_CLOSE: bind, connect and listen answer EOPNOTSUPP after checking their
 * arguments, and the others give TCP's answers for an unconnected socket.
 */
#include <linux/in.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/poll.h>
#include <net/inet_common.h>
#include <net/ip.h>
#include <net/sock.h>
#include <net/xfrm.h>

#include "xtcp.h"

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
	sk->sk_protocol = xtcp_ipproto;
	sk->sk_destruct = inet_sock_destruct;
	xtcp_init_inet(sk);

	sock_prot_inuse_add(net, &xtcp_prot, 1);
	return 0;
}

static void xtcp_close(struct sock *sk, long timeout)
{
	lock_sock(sk);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	sock_orphan(sk);
	release_sock(sk);

	xfrm_sk_free_policy(sk);
	sock_prot_inuse_add(sock_net(sk), &xtcp_prot, -1);
	sock_put(sk);
}

static int xtcp_release(struct socket *sock)
{
	struct sock *sk = sock->sk;

	if (!sk)
		return 0;

	sock->sk = NULL;
	sk->sk_prot->close(sk, 0);
	return 0;
}

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

static int xtcp_bind(struct socket *sock, struct sockaddr *uaddr, int addr_len)
{
	int err = xtcp_check_sockaddr(uaddr, addr_len);

	return err ?: -EOPNOTSUPP;
}

static int xtcp_connect(struct socket *sock, struct sockaddr *uaddr,
			int addr_len, int flags)
{
	int err = xtcp_check_sockaddr(uaddr, addr_len);

	return err ?: -EOPNOTSUPP;
}

static int xtcp_listen(struct socket *sock, int backlog)
{
	return -EOPNOTSUPP;
}

/* Nothing listens yet, and accept(2) on a socket that is not listening is
 * EINVAL for TCP.
 */
static int xtcp_accept(struct socket *sock, struct socket *newsock,
		       XTCP_ACCEPT_ARGS)
{
	return -EINVAL;
}

static __poll_t xtcp_poll(struct file *file, struct socket *sock,
			  poll_table *wait)
{
	struct sock *sk = sock->sk;
	u8 shutdown = READ_ONCE(sk->sk_shutdown);
	__poll_t mask = 0;

	sock_poll_wait(file, sock, wait);

	/* A closed socket never makes a reader or writer wait: their calls
	 * fail at once, so report both directions and the hang-up.
	 */
	if (READ_ONCE(sk->sk_state) == TCP_CLOSE)
		mask |= EPOLLHUP | EPOLLOUT | EPOLLWRNORM;
	if (shutdown & RCV_SHUTDOWN)
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
	if (READ_ONCE(sk->sk_err))
		mask |= EPOLLERR;
	return mask;
}

static int xtcp_ioctl(struct socket *sock, unsigned int cmd, unsigned long arg)
{
	/* Lets the socket layer try the device ioctls, as it does for TCP. */
	return -ENOIOCTLCMD;
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
	if (sk->sk_state == TCP_CLOSE)
		err = -ENOTCONN;
	/* TCP records the shutdown even then, so poll(2) reports it. */
	WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | how);
	sk->sk_state_change(sk);
	release_sock(sk);
	return err;
}

static bool xtcp_level_is_ours(int level)
{
	return level == SOL_XTCP || level == IPPROTO_TCP;
}

static int xtcp_setsockopt(struct socket *sock, int level, int optname,
			   sockptr_t optval, unsigned int optlen)
{
	if (xtcp_level_is_ours(level))
		return -ENOPROTOOPT;
	if (level == SOL_IP && xtcp_ip_opt_joins_group(optname))
		return -EPROTO;
	return ip_setsockopt(sock->sk, level, optname, optval, optlen);
}

static int xtcp_getsockopt(struct socket *sock, int level, int optname,
			   char __user *optval, int __user *optlen)
{
	if (xtcp_level_is_ours(level))
		return -ENOPROTOOPT;
	return ip_getsockopt(sock->sk, level, optname, optval, optlen);
}

static int xtcp_sendmsg(struct socket *sock, struct msghdr *msg, size_t len)
{
	struct sock *sk = sock->sk;
	int err;

	/* Never connected: EPIPE, with SIGPIPE unless MSG_NOSIGNAL. */
	lock_sock(sk);
	err = sock_error(sk) ?: -EPIPE;
	err = sk_stream_error(sk, msg->msg_flags, err);
	release_sock(sk);
	return err;
}

static int xtcp_recvmsg(struct socket *sock, struct msghdr *msg, size_t len,
			int flags)
{
	struct sock *sk = sock->sk;
	int err;

	lock_sock(sk);
	err = sock_error(sk);
	if (!err && !(sk->sk_shutdown & RCV_SHUTDOWN))
		err = -ENOTCONN;
	release_sock(sk);
	return err;
}

struct proto xtcp_prot = {
	.name		= "XTCP",
	.owner		= THIS_MODULE,
	.close		= xtcp_close,
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
