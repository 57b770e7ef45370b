// SPDX-License-Identifier: GPL-2.0
/*
 * The socket calls on an AF_XTCP socket that has never connected.  Where
 * Linux TCP defines the answer, the test asks a TCP socket the same
 * question and expects XTCP to answer the same way.  Connected sockets
 * are connect_test's, handshake_test's and close_test's.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#include "kselftest_harness.h"
#include "xtcp_util.h"

/* The result of one call: its return value and errno when it failed. */
struct outcome {
	int ret;
	int err;
};

static struct outcome outcome_of(int ret)
{
	struct outcome o = { ret, ret < 0 ? errno : 0 };

	return o;
}

#define EXPECT_SAME_OUTCOME(tcp, xtcp) do {				\
	struct outcome __t = (tcp), __x = (xtcp);			\
	EXPECT_EQ(__t.ret, __x.ret);					\
	EXPECT_EQ(__t.err, __x.err) {					\
		TH_LOG("TCP: %s, XTCP: %s", strerror(__t.err),		\
		       strerror(__x.err));				\
	}								\
} while (0)

static struct sockaddr_in loopback(unsigned short port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};

	return sin;
}

static int xtcp_sockets_in_use(void)
{
	FILE *f = fopen("/proc/net/protocols", "re");
	char line[512];
	int n = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "XTCP %*d %d", &n) == 1)
			break;
	fclose(f);
	return n;
}

/* A TCP socket and an XTCP socket side by side, both never connected. */
FIXTURE(pair) {
	int tcp;
	int xtcp;
};

FIXTURE_SETUP(pair)
{
	ASSERT_EQ(0, xtcp_ensure_loaded());
	self->tcp = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_LE(0, self->tcp);
	self->xtcp = socket(AF_XTCP, SOCK_STREAM, 0);
	ASSERT_LE(0, self->xtcp);
}

FIXTURE_TEARDOWN(pair)
{
	close(self->tcp);
	close(self->xtcp);
}

TEST(stream_socket_with_protocol_0_or_ipproto_xtcp)
{
	int protocols[] = { 0, IPPROTO_XTCP };
	int i, fd, val;
	socklen_t len;

	ASSERT_EQ(0, xtcp_ensure_loaded());
	for (i = 0; i < 2; i++) {
		fd = socket(AF_XTCP, SOCK_STREAM, protocols[i]);
		ASSERT_LE(0, fd);
		len = sizeof(val);
		EXPECT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &val, &len));
		EXPECT_EQ(AF_INET, val);
		EXPECT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &val, &len));
		EXPECT_EQ(IPPROTO_XTCP, val);
		EXPECT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_TYPE, &val, &len));
		EXPECT_EQ(SOCK_STREAM, val);
		EXPECT_EQ(0, close(fd));
	}
}

TEST(nonblock_and_cloexec_flags_are_honoured)
{
	int fd;

	ASSERT_EQ(0, xtcp_ensure_loaded());
	fd = socket(AF_XTCP, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, fd);
	EXPECT_TRUE(fcntl(fd, F_GETFL) & O_NONBLOCK);
	EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
}

TEST(other_socket_types_get_esocktnosupport)
{
	int types[] = { SOCK_DGRAM, SOCK_RAW, SOCK_SEQPACKET, SOCK_RDM };
	unsigned int i;

	ASSERT_EQ(0, xtcp_ensure_loaded());
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		EXPECT_EQ(-1, socket(AF_XTCP, types[i], 0));
		EXPECT_EQ(ESOCKTNOSUPPORT, errno) {
			TH_LOG("type %d: %s", types[i], strerror(errno));
		}
	}
}

TEST(other_protocols_get_eprotonosupport)
{
	int protocols[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_XTCP + 1 };
	unsigned int i;

	ASSERT_EQ(0, xtcp_ensure_loaded());
	for (i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++) {
		EXPECT_EQ(-1, socket(AF_XTCP, SOCK_STREAM, protocols[i]));
		EXPECT_EQ(EPROTONOSUPPORT, errno) {
			TH_LOG("protocol %d: %s", protocols[i], strerror(errno));
		}
	}
}

TEST(open_sockets_are_counted_in_proc_net_protocols)
{
	int before, fds[3], i;

	ASSERT_EQ(0, xtcp_ensure_loaded());
	before = xtcp_sockets_in_use();
	ASSERT_LE(0, before);
	for (i = 0; i < 3; i++) {
		fds[i] = socket(AF_XTCP, SOCK_STREAM, 0);
		ASSERT_LE(0, fds[i]);
	}
	EXPECT_EQ(before + 3, xtcp_sockets_in_use());
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, close(fds[i]));
	EXPECT_EQ(before, xtcp_sockets_in_use());
}

TEST_F(pair, close_of_unbound_socket_succeeds)
{
	EXPECT_SAME_OUTCOME(outcome_of(close(self->tcp)),
			    outcome_of(close(self->xtcp)));
	self->tcp = socket(AF_INET, SOCK_STREAM, 0);
	self->xtcp = socket(AF_XTCP, SOCK_STREAM, 0);
}

TEST_F(pair, bind_with_short_address_is_einval)
{
	struct sockaddr_in sin = loopback(0);
	socklen_t len = sizeof(sin) - 1;

	EXPECT_SAME_OUTCOME(
		outcome_of(bind(self->tcp, (struct sockaddr *)&sin, len)),
		outcome_of(bind(self->xtcp, (struct sockaddr *)&sin, len)));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(pair, bind_with_foreign_family_is_eafnosupport)
{
	struct sockaddr_in sin = loopback(0);

	sin.sin_family = AF_INET6;
	EXPECT_SAME_OUTCOME(
		outcome_of(bind(self->tcp, (struct sockaddr *)&sin, sizeof(sin))),
		outcome_of(bind(self->xtcp, (struct sockaddr *)&sin, sizeof(sin))));
	EXPECT_EQ(EAFNOSUPPORT, errno);
}

TEST_F(pair, connect_with_short_address_is_einval)
{
	struct sockaddr_in sin = loopback(9);
	socklen_t len = sizeof(sin) - 1;

	EXPECT_SAME_OUTCOME(
		outcome_of(connect(self->tcp, (struct sockaddr *)&sin, len)),
		outcome_of(connect(self->xtcp, (struct sockaddr *)&sin, len)));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(pair, connect_with_foreign_family_is_eafnosupport)
{
	struct sockaddr_in sin = loopback(9);

	sin.sin_family = AF_INET6;
	EXPECT_SAME_OUTCOME(
		outcome_of(connect(self->tcp, (struct sockaddr *)&sin, sizeof(sin))),
		outcome_of(connect(self->xtcp, (struct sockaddr *)&sin, sizeof(sin))));
	EXPECT_EQ(EAFNOSUPPORT, errno);
}

TEST_F(pair, accept_on_a_socket_that_is_not_listening_is_einval)
{
	EXPECT_SAME_OUTCOME(outcome_of(accept(self->tcp, NULL, NULL)),
			    outcome_of(accept(self->xtcp, NULL, NULL)));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(pair, shutdown_of_unconnected_socket_is_enotconn)
{
	EXPECT_SAME_OUTCOME(outcome_of(shutdown(self->tcp, SHUT_WR)),
			    outcome_of(shutdown(self->xtcp, SHUT_WR)));
	EXPECT_EQ(ENOTCONN, errno);
}

TEST_F(pair, shutdown_with_bad_how_is_einval)
{
	EXPECT_SAME_OUTCOME(outcome_of(shutdown(self->tcp, 7)),
			    outcome_of(shutdown(self->xtcp, 7)));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(pair, send_on_unconnected_socket_is_epipe_with_sigpipe)
{
	sigset_t block, pending;
	char byte = 'x';

	/* With MSG_NOSIGNAL: EPIPE and no signal. */
	EXPECT_SAME_OUTCOME(
		outcome_of(send(self->tcp, &byte, 1, MSG_NOSIGNAL)),
		outcome_of(send(self->xtcp, &byte, 1, MSG_NOSIGNAL)));
	EXPECT_EQ(EPIPE, errno);

	/* Without it, SIGPIPE too: block it and look for it pending. */
	sigemptyset(&block);
	sigaddset(&block, SIGPIPE);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &block, NULL));
	EXPECT_EQ(-1, send(self->xtcp, &byte, 1, 0));
	EXPECT_EQ(EPIPE, errno);
	ASSERT_EQ(0, sigpending(&pending));
	EXPECT_TRUE(sigismember(&pending, SIGPIPE));
}

TEST_F(pair, recv_on_unconnected_socket_is_enotconn)
{
	char byte;

	EXPECT_SAME_OUTCOME(
		outcome_of(recv(self->tcp, &byte, 1, MSG_DONTWAIT)),
		outcome_of(recv(self->xtcp, &byte, 1, MSG_DONTWAIT)));
	EXPECT_EQ(ENOTCONN, errno);
}

TEST_F(pair, recv_after_shut_rd_returns_end_of_file)
{
	char byte;

	shutdown(self->tcp, SHUT_RD);
	shutdown(self->xtcp, SHUT_RD);
	EXPECT_SAME_OUTCOME(outcome_of(recv(self->tcp, &byte, 1, 0)),
			    outcome_of(recv(self->xtcp, &byte, 1, 0)));
	EXPECT_EQ(0, recv(self->xtcp, &byte, 1, 0));
}

TEST_F(pair, poll_reports_the_same_events_as_tcp)
{
	struct pollfd p[2] = {
		{ .fd = self->tcp, .events = POLLIN | POLLOUT | POLLRDHUP },
		{ .fd = self->xtcp, .events = POLLIN | POLLOUT | POLLRDHUP },
	};

	ASSERT_EQ(2, poll(p, 2, 0));
	EXPECT_EQ(p[0].revents, p[1].revents);

	shutdown(self->tcp, SHUT_RD);
	shutdown(self->xtcp, SHUT_RD);
	ASSERT_EQ(2, poll(p, 2, 0));
	EXPECT_EQ(p[0].revents, p[1].revents);
	EXPECT_TRUE(p[1].revents & POLLRDHUP);
}

TEST_F(pair, getpeername_is_enotconn_and_getsockname_is_any)
{
	struct sockaddr_in t, x;
	socklen_t tl = sizeof(t), xl = sizeof(x);

	EXPECT_SAME_OUTCOME(
		outcome_of(getpeername(self->tcp, (struct sockaddr *)&t, &tl)),
		outcome_of(getpeername(self->xtcp, (struct sockaddr *)&x, &xl)));
	EXPECT_EQ(ENOTCONN, errno);

	tl = sizeof(t);
	xl = sizeof(x);
	ASSERT_EQ(0, getsockname(self->tcp, (struct sockaddr *)&t, &tl));
	ASSERT_EQ(0, getsockname(self->xtcp, (struct sockaddr *)&x, &xl));
	EXPECT_EQ(tl, xl);
	EXPECT_EQ(AF_INET, x.sin_family);
	EXPECT_EQ(t.sin_addr.s_addr, x.sin_addr.s_addr);
	EXPECT_EQ(t.sin_port, x.sin_port);
}

TEST_F(pair, unknown_tcp_level_options_are_enoprotoopt)
{
	int one = 1, val;
	socklen_t len = sizeof(val);

	EXPECT_SAME_OUTCOME(
		outcome_of(setsockopt(self->tcp, IPPROTO_TCP, 9999, &one, sizeof(one))),
		outcome_of(setsockopt(self->xtcp, IPPROTO_TCP, 9999, &one, sizeof(one))));
	EXPECT_EQ(ENOPROTOOPT, errno);
	EXPECT_EQ(-1, getsockopt(self->xtcp, SOL_XTCP, 9999, &val, &len));
	EXPECT_EQ(ENOPROTOOPT, errno);
}

TEST_F(pair, ip_level_options_reach_the_ip_layer)
{
	int tos = 0x10, ttl = 7, val;
	socklen_t len = sizeof(val);

	ASSERT_EQ(0, setsockopt(self->xtcp, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)));
	ASSERT_EQ(0, getsockopt(self->xtcp, IPPROTO_IP, IP_TOS, &val, &len));
	EXPECT_EQ(tos, val);
	ASSERT_EQ(0, setsockopt(self->xtcp, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)));
	ASSERT_EQ(0, getsockopt(self->xtcp, IPPROTO_IP, IP_TTL, &val, &len));
	EXPECT_EQ(ttl, val);
}

TEST_F(pair, joining_a_multicast_group_is_eproto_as_for_tcp)
{
	struct ip_mreqn mreq = {
		.imr_multiaddr.s_addr = htonl(0xe0000001),	/* 224.0.0.1 */
		.imr_ifindex = 1,
	};

	EXPECT_SAME_OUTCOME(
		outcome_of(setsockopt(self->tcp, IPPROTO_IP, IP_ADD_MEMBERSHIP,
				      &mreq, sizeof(mreq))),
		outcome_of(setsockopt(self->xtcp, IPPROTO_IP, IP_ADD_MEMBERSHIP,
				      &mreq, sizeof(mreq))));
	EXPECT_EQ(EPROTO, errno);
}

TEST_F(pair, tcp_nodelay_is_kept_at_both_option_levels)
{
	int one = 1, zero = 0, val = -1;
	socklen_t len = sizeof(val);

	ASSERT_EQ(0, setsockopt(self->xtcp, IPPROTO_TCP, TCP_NODELAY, &one,
				sizeof(one)));
	ASSERT_EQ(0, getsockopt(self->xtcp, SOL_XTCP, TCP_NODELAY, &val, &len));
	EXPECT_EQ(1, val);
	ASSERT_EQ(0, setsockopt(self->xtcp, SOL_XTCP, TCP_NODELAY, &zero,
				sizeof(zero)));
	ASSERT_EQ(0, getsockopt(self->xtcp, IPPROTO_TCP, TCP_NODELAY, &val, &len));
	EXPECT_EQ(0, val);
}

TEST_F(pair, tcp_maxseg_default_and_bounds_are_tcps)
{
	int t, x, bad[] = { 10, 87, 32768 }, good = 1000;
	socklen_t tl = sizeof(t), xl = sizeof(x);
	unsigned int i;

	ASSERT_EQ(0, getsockopt(self->tcp, IPPROTO_TCP, TCP_MAXSEG, &t, &tl));
	ASSERT_EQ(0, getsockopt(self->xtcp, IPPROTO_TCP, TCP_MAXSEG, &x, &xl));
	EXPECT_EQ(t, x);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_SAME_OUTCOME(
			outcome_of(setsockopt(self->tcp, IPPROTO_TCP, TCP_MAXSEG,
					      &bad[i], sizeof(int))),
			outcome_of(setsockopt(self->xtcp, IPPROTO_TCP, TCP_MAXSEG,
					      &bad[i], sizeof(int))));
	}
	ASSERT_EQ(0, setsockopt(self->tcp, IPPROTO_TCP, TCP_MAXSEG, &good, sizeof(good)));
	ASSERT_EQ(0, setsockopt(self->xtcp, IPPROTO_TCP, TCP_MAXSEG, &good, sizeof(good)));
	ASSERT_EQ(0, getsockopt(self->tcp, IPPROTO_TCP, TCP_MAXSEG, &t, &tl));
	ASSERT_EQ(0, getsockopt(self->xtcp, IPPROTO_TCP, TCP_MAXSEG, &x, &xl));
	EXPECT_EQ(t, x);
	EXPECT_EQ(good, x);
}

TEST_F(pair, tcp_info_of_an_unconnected_socket_says_closed)
{
	struct tcp_info t, x;
	socklen_t tl = sizeof(t), xl = sizeof(x);

	ASSERT_EQ(0, getsockopt(self->tcp, IPPROTO_TCP, TCP_INFO, &t, &tl));
	ASSERT_EQ(0, getsockopt(self->xtcp, IPPROTO_TCP, TCP_INFO, &x, &xl));
	EXPECT_EQ(tl, xl);
	EXPECT_EQ(t.tcpi_state, x.tcpi_state);
	EXPECT_EQ(TCP_CLOSE, x.tcpi_state);
}

TEST(socketpair_is_eopnotsupp)
{
	int sv[2];

	ASSERT_EQ(0, xtcp_ensure_loaded());
	EXPECT_EQ(-1, socketpair(AF_XTCP, SOCK_STREAM, 0, sv));
	EXPECT_EQ(EOPNOTSUPP, errno);
}

TEST_HARNESS_MAIN
