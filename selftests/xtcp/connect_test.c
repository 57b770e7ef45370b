// SPDX-License-Identifier: GPL-2.0
/*
 * Connections over loopback through the socket calls alone, in a fresh
 * namespace per test: what an application sees (return values, errno,
 * bytes) and what /proc/net/xtcp says about the states in between.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>

#include "kselftest_harness.h"
#include "xtcp_util.h"

static struct sockaddr_in lo_addr(unsigned short port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};

	return sin;
}

static int listener(unsigned short port, int backlog)
{
	struct sockaddr_in sin = lo_addr(port);
	int fd = socket(AF_XTCP, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(fd, backlog)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int connect_to(unsigned short port, int flags)
{
	struct sockaddr_in sin = lo_addr(port);
	int fd = socket(AF_XTCP, SOCK_STREAM | flags, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) &&
	    errno != EINPROGRESS) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/*
 * How many /proc/net/xtcp lines have state @st (hex, as /proc/net/tcp)
 * and local or remote port @port (0: any).
 */
static int count_state(int st, unsigned short port)
{
	FILE *f = fopen("/proc/net/xtcp", "re");
	unsigned int lport, rport, state;
	char line[256];
	int n = 0;

	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*x:%x %*x:%x %x", &lport, &rport, &state) != 3)
			continue;
		if (state == (unsigned int)st &&
		    (!port || lport == port || rport == port))
			n++;
	}
	fclose(f);
	return n;
}

/* Polls /proc/net/xtcp until @want lines match or @ms pass. */
static int wait_state(int st, unsigned short port, int want, int ms)
{
	struct timespec ts = { 0, 5 * 1000 * 1000 };
	int n = -1;

	for (; ms > 0; ms -= 5) {
		n = count_state(st, port);
		if (n == want)
			return n;
		nanosleep(&ts, NULL);
	}
	return n;
}

enum {
	ST_ESTABLISHED = 0x01, ST_SYN_SENT, ST_SYN_RECV, ST_FIN_WAIT1,
	ST_FIN_WAIT2, ST_TIME_WAIT, ST_CLOSE, ST_CLOSE_WAIT, ST_LAST_ACK,
	ST_LISTEN, ST_CLOSING,
};

FIXTURE(lo) {
	int lfd;
};

FIXTURE_SETUP(lo)
{
	ASSERT_EQ(0, xtcp_ensure_loaded());
	ASSERT_EQ(0, xtcp_netns_with_lo());
	ASSERT_EQ(0, xtcp_sysctl_set("rto_initial_ms", 100));
	ASSERT_EQ(0, xtcp_sysctl_set("msl_ms", 200));
	self->lfd = listener(5000, 16);
	ASSERT_LE(0, self->lfd);
}

FIXTURE_TEARDOWN(lo)
{
	close(self->lfd);
}

TEST_F(lo, connect_accept_and_exchange_bytes)
{
	char buf[8192], big[6000];
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	int c, a, i;
	ssize_t n, got = 0;

	for (i = 0; i < (int)sizeof(big); i++)
		big[i] = i * 7;
	c = connect_to(5000, 0);
	ASSERT_LE(0, c);
	a = accept(self->lfd, (struct sockaddr *)&peer, &plen);
	ASSERT_LE(0, a);
	EXPECT_EQ(AF_INET, peer.sin_family);
	EXPECT_EQ(htonl(INADDR_LOOPBACK), peer.sin_addr.s_addr);
	EXPECT_EQ(2, count_state(ST_ESTABLISHED, 5000));

	ASSERT_EQ((ssize_t)sizeof(big), send(c, big, sizeof(big), 0));
	while (got < (ssize_t)sizeof(big)) {
		n = recv(a, buf + got, sizeof(buf) - got, 0);
		ASSERT_LT(0, n);
		got += n;
	}
	EXPECT_EQ(0, memcmp(buf, big, sizeof(big)));
	ASSERT_EQ(5, send(a, "world", 5, 0));
	ASSERT_EQ(5, recv(c, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "world", 5));
	close(c);
	close(a);
}

TEST_F(lo, four_way_close_leaves_time_wait_on_the_active_side_for_2msl)
{
	char buf[8];
	int c, a;

	c = connect_to(5000, 0);
	ASSERT_LE(0, c);
	a = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, a);

	ASSERT_EQ(0, close(c));
	/* Active side FIN_WAIT_2, passive side CLOSE_WAIT, reads EOF. */
	EXPECT_EQ(1, wait_state(ST_FIN_WAIT2, 5000, 1, 1000));
	EXPECT_EQ(1, wait_state(ST_CLOSE_WAIT, 5000, 1, 1000));
	EXPECT_EQ(0, recv(a, buf, sizeof(buf), 0));

	close(a);
	/* Only the side that closed first keeps the four-tuple. */
	EXPECT_EQ(1, wait_state(ST_TIME_WAIT, 5000, 1, 1000));
	EXPECT_EQ(0, count_state(ST_LAST_ACK, 5000));
	EXPECT_EQ(0, count_state(ST_ESTABLISHED, 5000));
	/* Gone after 2*MSL (400 ms here). */
	EXPECT_EQ(0, wait_state(ST_TIME_WAIT, 5000, 0, 3000));
}

TEST_F(lo, half_close_keeps_the_other_direction_open)
{
	char buf[16];
	int c, a;

	c = connect_to(5000, 0);
	ASSERT_LE(0, c);
	a = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, a);

	ASSERT_EQ(0, shutdown(c, SHUT_WR));
	EXPECT_EQ(0, recv(a, buf, sizeof(buf), 0));
	EXPECT_EQ(-1, send(c, "x", 1, MSG_NOSIGNAL));
	EXPECT_EQ(EPIPE, errno);
	ASSERT_EQ(4, send(a, "more", 4, 0));
	ASSERT_EQ(4, recv(c, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "more", 4));
	close(a);
	EXPECT_EQ(0, recv(c, buf, sizeof(buf), 0));
	close(c);
}

TEST_F(lo, connect_to_a_port_without_listener_is_econnrefused)
{
	EXPECT_EQ(-1, connect_to(5001, 0));
	EXPECT_EQ(ECONNREFUSED, errno);
	EXPECT_LE(1, xtcp_stat("OutRsts"));
	EXPECT_LE(1, xtcp_stat("AttemptFails"));
}

TEST_F(lo, nonblocking_connect_is_einprogress_then_pollout)
{
	struct pollfd p = { .events = POLLOUT };
	int err = -1, c;
	socklen_t len = sizeof(err);
	struct sockaddr_in sin = lo_addr(5000);

	c = socket(AF_XTCP, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ASSERT_LE(0, c);
	/* Loopback may finish the handshake within the call itself. */
	if (connect(c, (struct sockaddr *)&sin, sizeof(sin)))
		EXPECT_EQ(EINPROGRESS, errno);
	p.fd = c;
	ASSERT_EQ(1, poll(&p, 1, 2000));
	EXPECT_TRUE(p.revents & POLLOUT);
	ASSERT_EQ(0, getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len));
	EXPECT_EQ(0, err);
	/* As Linux TCP: the next connect() reports success, then EISCONN. */
	EXPECT_EQ(0, connect(c, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_EQ(-1, connect(c, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_EQ(EISCONN, errno);
	close(c);
}

TEST_F(lo, nonblocking_accept_on_empty_queue_is_eagain)
{
	int fd, a;

	ASSERT_EQ(0, fcntl(self->lfd, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, accept(self->lfd, NULL, NULL));
	EXPECT_EQ(EAGAIN, errno);
	fd = connect_to(5000, 0);
	ASSERT_LE(0, fd);
	a = accept4(self->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	ASSERT_LE(0, a);
	EXPECT_TRUE(fcntl(a, F_GETFL) & O_NONBLOCK);
	EXPECT_TRUE(fcntl(a, F_GETFD) & FD_CLOEXEC);
	close(a);
	close(fd);
}

TEST_F(lo, close_with_unread_data_sends_rst_and_peer_gets_econnreset)
{
	char buf[8];
	int c, a;

	c = connect_to(5000, 0);
	ASSERT_LE(0, c);
	a = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, a);
	ASSERT_EQ(3, send(c, "abc", 3, 0));
	ASSERT_EQ(1, recv(a, buf, 1, 0));	/* the rest stays unread */
	close(a);
	EXPECT_EQ(-1, recv(c, buf, sizeof(buf), 0));
	EXPECT_EQ(ECONNRESET, errno);
	EXPECT_EQ(0, count_state(ST_TIME_WAIT, 5000));
	close(c);
}

TEST_F(lo, bind_to_a_port_in_use_is_eaddrinuse_unless_reuseaddr_allows)
{
	struct sockaddr_in sin = lo_addr(5000);
	int one = 1, fd, fd2;

	fd = socket(AF_XTCP, SOCK_STREAM, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, bind(fd, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_EQ(EADDRINUSE, errno);
	/* Not even with SO_REUSEADDR while a listener holds it. */
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	EXPECT_EQ(-1, bind(fd, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_EQ(EADDRINUSE, errno);
	close(fd);

	/* Two non-listening sockets with SO_REUSEADDR may share a port. */
	sin = lo_addr(5002);
	fd = socket(AF_XTCP, SOCK_STREAM, 0);
	fd2 = socket(AF_XTCP, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd2, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	EXPECT_EQ(0, bind(fd, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_EQ(0, bind(fd2, (struct sockaddr *)&sin, sizeof(sin)));
	/* ... but only one of them may listen. */
	EXPECT_EQ(0, listen(fd, 1));
	EXPECT_EQ(-1, listen(fd2, 1));
	EXPECT_EQ(EADDRINUSE, errno);
	close(fd);
	close(fd2);
}

static void failed_connect_gives_back_port(struct __test_metadata *_metadata,
					   int family)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct sockaddr_in me, to = lo_addr(5000);
	socklen_t len = sizeof(me);
	int one = 1, a, b, c;

	a = socket(family, SOCK_STREAM, 0);
	b = socket(family, SOCK_STREAM, 0);
	c = socket(family, SOCK_STREAM, 0);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, setsockopt(a, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	ASSERT_EQ(0, setsockopt(b, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	me = lo_addr(0);
	ASSERT_EQ(0, bind(a, (struct sockaddr *)&me, sizeof(me)));
	ASSERT_EQ(0, getsockname(a, (struct sockaddr *)&me, &len));
	ASSERT_NE(0, me.sin_port);
	ASSERT_EQ(0, bind(b, (struct sockaddr *)&me, sizeof(me)));
	ASSERT_EQ(0, connect(b, (struct sockaddr *)&to, sizeof(to)));

	EXPECT_EQ(-1, connect(a, (struct sockaddr *)&to, sizeof(to)));
	EXPECT_EQ(EADDRNOTAVAIL, errno);
	ASSERT_EQ(0, setsockopt(b, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	close(b);
	EXPECT_EQ(0, bind(c, (struct sockaddr *)&me, sizeof(me)))
		TH_LOG("family %d, port %u: %s", family, ntohs(me.sin_port),
		       strerror(errno));
	/* The failed socket may bind and connect again. */
	me.sin_port = 0;
	EXPECT_EQ(0, bind(a, (struct sockaddr *)&me, sizeof(me)));
	EXPECT_EQ(0, connect(a, (struct sockaddr *)&to, sizeof(to)));
	close(a);
	close(c);
}

/*
 * A connect() that fails after bind(addr, 0) gives the port back, as
 * Linux's tcp_set_state(TCP_CLOSE) puts a port no bind() locked: another
 * socket on the same address and port holds the four-tuple already
 * (EADDRNOTAVAIL); once that one is gone (reset, no TIME_WAIT) the port
 * binds without SO_REUSEADDR while the failed socket is still open.
 * (getsockname() on the failed socket differs: Linux's still shows the
 * port it gave back, XTCP's port 0.)  Linux TCP first, against a TCP
 * listener on the same port, then XTCP; before 30a1f50 XTCP kept the
 * port, on the bind table with no socket owning it.
 */
TEST_F(lo, a_failed_connect_gives_back_a_port_bind_chose)
{
	struct sockaddr_in sin = lo_addr(5000);
	int tl = socket(AF_INET, SOCK_STREAM, 0);

	ASSERT_LE(0, tl);
	ASSERT_EQ(0, bind(tl, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, listen(tl, 16));
	failed_connect_gives_back_port(_metadata, AF_INET);
	close(tl);
	failed_connect_gives_back_port(_metadata, AF_XTCP);
}

TEST_F(lo, reuseport_listeners_share_the_connections)
{
	struct sockaddr_in sin = lo_addr(5003);
	int one = 1, l[2], i, c[32], got[2] = { 0, 0 };

	for (i = 0; i < 2; i++) {
		l[i] = socket(AF_XTCP, SOCK_STREAM | SOCK_NONBLOCK, 0);
		ASSERT_LE(0, l[i]);
		ASSERT_EQ(0, setsockopt(l[i], SOL_SOCKET, SO_REUSEPORT, &one,
					sizeof(one)));
		ASSERT_EQ(0, bind(l[i], (struct sockaddr *)&sin, sizeof(sin)));
		ASSERT_EQ(0, listen(l[i], 64));
	}
	for (i = 0; i < 32; i++) {
		c[i] = connect_to(5003, 0);
		ASSERT_LE(0, c[i]);
	}
	for (i = 0; i < 2; i++) {
		int a;

		while ((a = accept(l[i], NULL, NULL)) >= 0) {
			got[i]++;
			close(a);
		}
	}
	EXPECT_EQ(32, got[0] + got[1]);
	EXPECT_LT(0, got[0]);
	EXPECT_LT(0, got[1]);
	for (i = 0; i < 32; i++)
		close(c[i]);
	close(l[0]);
	close(l[1]);
}

TEST_F(lo, connect_without_bind_picks_an_ephemeral_port_in_range)
{
	struct sockaddr_in me;
	socklen_t len = sizeof(me);
	int c[8], i, l2, lo_port = 40000, hi_port = 40003;

	/* A range of four ports: the fifth connection to one destination
	 * finds none, while another destination reuses the same ports.
	 */
	ASSERT_EQ(0, write_file("/proc/sys/net/ipv4/ip_local_port_range",
				"40000 40003"));
	for (i = 0; i < 4; i++) {
		c[i] = connect_to(5000, 0);
		ASSERT_LE(0, c[i]);
		ASSERT_EQ(0, getsockname(c[i], (struct sockaddr *)&me, &len));
		EXPECT_LE(lo_port, ntohs(me.sin_port));
		EXPECT_GE(hi_port, ntohs(me.sin_port));
	}
	EXPECT_EQ(-1, connect_to(5000, 0));
	EXPECT_EQ(EADDRNOTAVAIL, errno);
	l2 = listener(5004, 16);
	ASSERT_LE(0, l2);
	for (i = 4; i < 8; i++) {
		c[i] = connect_to(5004, 0);
		EXPECT_LE(0, c[i]);
	}
	close(l2);
	for (i = 0; i < 8; i++)
		close(c[i]);
}

TEST_F(lo, accept_queue_is_bounded_by_the_backlog)
{
	int l, c[4], i, a, accepted = 0;
	long before = xtcp_stat("ListenOverflows");

	/* No SYN retransmission may slip in while the queue is drained. */
	ASSERT_EQ(0, xtcp_sysctl_set("rto_initial_ms", 10000));
	l = listener(5005, 1);
	ASSERT_LE(0, l);
	for (i = 0; i < 4; i++) {
		c[i] = connect_to(5005, SOCK_NONBLOCK);
		ASSERT_LE(0, c[i]);
	}
	usleep(300 * 1000);
	ASSERT_EQ(0, fcntl(l, F_SETFL, O_NONBLOCK));
	while ((a = accept(l, NULL, NULL)) >= 0) {
		accepted++;
		close(a);
	}
	/* Linux admits backlog + 1. */
	EXPECT_EQ(2, accepted);
	EXPECT_LT(before, xtcp_stat("ListenOverflows"));
	for (i = 0; i < 4; i++)
		close(c[i]);
	close(l);
}

/* Beyond max_tw_buckets no TIME_WAIT entry is kept, as in Linux. */
TEST_F(lo, time_wait_entries_beyond_max_tw_buckets_are_not_kept)
{
	long overflow = xtcp_stat("TWOverflow");
	int c[4], a[4], i;

	ASSERT_EQ(0, xtcp_sysctl_set("max_tw_buckets", 2));
	ASSERT_EQ(0, xtcp_sysctl_set("msl_ms", 5000));
	for (i = 0; i < 4; i++) {
		c[i] = connect_to(5000, 0);
		ASSERT_LE(0, c[i]);
		a[i] = accept(self->lfd, NULL, NULL);
		ASSERT_LE(0, a[i]);
	}
	/* Half-close keeps each client a socket in FIN_WAIT_2 (an orphan's
	 * wait would take an entry too); the server's FIN then asks for
	 * TIME_WAIT four times.
	 */
	for (i = 0; i < 4; i++) {
		shutdown(c[i], SHUT_WR);
		EXPECT_EQ(1, wait_state(ST_FIN_WAIT2, 5000, 1, 1000));
		close(a[i]);
		EXPECT_EQ(0, wait_state(ST_FIN_WAIT2, 5000, 0, 1000));
	}
	EXPECT_EQ(2, wait_state(ST_TIME_WAIT, 5000, 2, 1000));
	EXPECT_EQ(2, xtcp_stat("CurrTimeWait"));
	EXPECT_EQ(overflow + 2, xtcp_stat("TWOverflow"));
	for (i = 0; i < 4; i++)
		close(c[i]);
}

/*
 * A four-tuple in TIME_WAIT is not reused by connect() with tw_reuse 0:
 * with two ports in the range, the next connection takes the other one,
 * and the one after that finds none (timewait_test has tw_reuse's cases).
 */
TEST_F(lo, connect_skips_a_four_tuple_in_time_wait)
{
	struct sockaddr_in me;
	socklen_t len = sizeof(me);
	int c, a, c2, first;

	ASSERT_EQ(0, xtcp_sysctl_set("msl_ms", 5000));
	ASSERT_EQ(0, xtcp_sysctl_set("tw_reuse", 0));
	ASSERT_EQ(0, write_file("/proc/sys/net/ipv4/ip_local_port_range",
				"40000 40001"));

	c = connect_to(5000, 0);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, getsockname(c, (struct sockaddr *)&me, &len));
	first = ntohs(me.sin_port);
	a = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, a);
	close(c);
	EXPECT_EQ(1, wait_state(ST_FIN_WAIT2, 5000, 1, 1000));
	close(a);
	ASSERT_EQ(1, wait_state(ST_TIME_WAIT, first, 1, 1000));

	c2 = connect_to(5000, 0);
	ASSERT_LE(0, c2);
	ASSERT_EQ(0, getsockname(c2, (struct sockaddr *)&me, &len));
	EXPECT_NE(first, ntohs(me.sin_port));
	EXPECT_EQ(-1, connect_to(5000, 0));
	EXPECT_EQ(EADDRNOTAVAIL, errno);
	close(c2);
}

/* A namespace that goes away with TIME_WAIT entries and connections in
 * it takes them along (the kernel log is watched for any complaint).
 */
TEST_F(lo, namespace_exit_takes_its_time_wait_entries_along)
{
	int c[8], a[8], i;

	ASSERT_EQ(0, xtcp_sysctl_set("msl_ms", 60000));
	for (i = 0; i < 8; i++) {
		c[i] = connect_to(5000, 0);
		ASSERT_LE(0, c[i]);
		a[i] = accept(self->lfd, NULL, NULL);
		ASSERT_LE(0, a[i]);
	}
	for (i = 0; i < 4; i++) {
		close(c[i]);
		EXPECT_EQ(1, wait_state(ST_FIN_WAIT2, 5000, 1, 1000));
		close(a[i]);
		EXPECT_EQ(0, wait_state(ST_FIN_WAIT2, 5000, 0, 1000));
	}
	EXPECT_EQ(4, count_state(ST_TIME_WAIT, 5000));
	EXPECT_EQ(8, count_state(ST_ESTABLISHED, 5000));
	/* The test process exits with all of it in place. */
}

/* TCP_MAXSEG set before connect() caps the segment size, and TCP_INFO
 * tells the connection's state, MSS, options and timeout.  As in TCP, the
 * MSS reported is what a segment's payload may be: the timestamp option
 * every segment carries takes 12 bytes of it.
 */
TEST_F(lo, tcp_maxseg_caps_the_segment_size_and_tcp_info_reports_it)
{
	struct sockaddr_in sin = lo_addr(5000);
	struct tcp_info info;
	socklen_t len = sizeof(info);
	int c, a, mss = 1000, val;

	c = socket(AF_XTCP, SOCK_STREAM, 0);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, setsockopt(c, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof(mss)));
	ASSERT_EQ(0, connect(c, (struct sockaddr *)&sin, sizeof(sin)));
	a = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, a);

	len = sizeof(val);
	ASSERT_EQ(0, getsockopt(c, IPPROTO_TCP, TCP_MAXSEG, &val, &len));
	EXPECT_EQ(mss - 12, val);
	len = sizeof(info);
	ASSERT_EQ(0, getsockopt(c, SOL_XTCP, TCP_INFO, &info, &len));
	EXPECT_EQ(ST_ESTABLISHED, info.tcpi_state);
	EXPECT_EQ(mss - 12, info.tcpi_snd_mss);
	EXPECT_EQ(TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE,
		  info.tcpi_options);
	EXPECT_EQ(7, (int)info.tcpi_rcv_wscale);	/* rmem[2] = 6 MiB */
	EXPECT_EQ(7, (int)info.tcpi_snd_wscale);
	/* The handshake measured a loopback RTT, far below rto_min_ms
	 * (200 ms), instead of the initial 100 ms the test set: the RTO is
	 * SRTT + 200 ms, the floor on the variance term as in Linux.
	 */
	EXPECT_LT(0, info.tcpi_rtt);
	EXPECT_GT(100 * 1000, info.tcpi_rtt);
	EXPECT_EQ(200 * 1000 + info.tcpi_rtt, info.tcpi_rto);
	EXPECT_EQ(0, info.tcpi_unacked);
	EXPECT_LT(0, info.tcpi_snd_wnd);
	/* The listener side learnt the MSS from the SYN's option. */
	len = sizeof(val);
	ASSERT_EQ(0, getsockopt(a, IPPROTO_TCP, TCP_MAXSEG, &val, &len));
	EXPECT_EQ(mss - 12, val);
	close(c);
	close(a);
}

/* FIONREAD/SIOCINQ and SIOCOUTQ count as TCP's do; a listener has none. */
TEST_F(lo, queue_ioctls_count_bytes_and_refuse_a_listener)
{
	int c, a, n = -1, i;

	c = connect_to(5000, 0);
	ASSERT_LE(0, c);
	a = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, a);
	ASSERT_EQ(5, send(c, "hello", 5, 0));
	for (i = 0; i < 100 && n != 5; i++) {
		ASSERT_EQ(0, ioctl(a, FIONREAD, &n));
		usleep(10 * 1000);
	}
	EXPECT_EQ(5, n);
	/* The FIN is not a byte to read. */
	ASSERT_EQ(0, shutdown(c, SHUT_WR));
	usleep(100 * 1000);
	ASSERT_EQ(0, ioctl(a, SIOCINQ, &n));
	EXPECT_EQ(5, n);
	/* All acknowledged, FIN included: nothing left to send. */
	ASSERT_EQ(0, ioctl(c, SIOCOUTQ, &n));
	EXPECT_EQ(0, n);
	EXPECT_EQ(-1, ioctl(self->lfd, SIOCINQ, &n));
	EXPECT_EQ(EINVAL, errno);
	close(c);
	close(a);
}

TEST_F(lo, sysctls_refuse_values_out_of_range)
{
	EXPECT_EQ(-EINVAL, xtcp_sysctl_set("syn_retries", 0));
	EXPECT_EQ(-EINVAL, xtcp_sysctl_set("syn_retries", 128));
	EXPECT_EQ(-EINVAL, xtcp_sysctl_set("abort_on_overflow", 2));
	EXPECT_EQ(-EINVAL, xtcp_sysctl_set("rto_initial_ms", 1));
	EXPECT_EQ(-EINVAL, xtcp_sysctl_set("msl_ms", -1));
	EXPECT_EQ(0, xtcp_sysctl_set("syn_retries", 3));
}

/* XTCP's memory in pages, from /proc/net/protocols' "memory" column. */
static long xtcp_memory_pages(void)
{
	FILE *f = fopen("/proc/net/protocols", "re");
	char line[512], name[32];
	long size, socks, mem = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%31s %ld %ld %ld", name, &size, &socks,
			   &mem) == 4 && !strcmp(name, "XTCP"))
			break;
	fclose(f);
	return mem;
}

/* The byte at stream position @pos: blocks moved or repeated show. */
static unsigned char pattern(size_t pos)
{
	return (unsigned char)(pos * 7 ^ (pos >> 8) ^ (pos >> 16) * 31);
}

/* Sends 64 KiB blocks of the pattern until the socket would block. */
static size_t fill_until_eagain(int fd, size_t off)
{
	static unsigned char buf[65536];
	size_t sent = 0, i;
	ssize_t n;

	for (;;) {
		for (i = 0; i < sizeof(buf); i++)
			buf[i] = pattern(off + sent + i);
		n = send(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n <= 0)
			return sent;
		sent += n;
	}
}

/* Reads @len bytes and checks the pattern. */
static int drain_and_check(int fd, size_t len)
{
	static unsigned char buf[65536];
	size_t got = 0, i;
	ssize_t n;

	while (got < len) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			return -1;
		for (i = 0; i < (size_t)n; i++)
			if (buf[i] != pattern(got + i))
				return -1;
		got += n;
	}
	return 0;
}

/*
 * A sender that outruns a reader who stopped: it stops at its buffers
 * (EAGAIN, SIOCOUTQ within SO_SNDBUF and a size goal, SIOCINQ within
 * SO_RCVBUF).  With
 * net.xtcp.mem's hard limit set to 64 pages the receiver keeps no more
 * than that (it drops the rest, counted in RcvQDrop; the sender's queue
 * stays bounded by its send buffer, as on TCP).  When the reader comes
 * back every byte arrives, in order.  No ASSERT runs while the limit is
 * low, so that the old value always comes back.
 */
TEST(a_stalled_reader_bounds_the_senders_memory)
{
	int memfd, lfd, c, a, outq = 0, inq = 0, sndbuf, rcvbuf;
	struct timeval tv = { .tv_sec = 10 };
	socklen_t len = sizeof(int);
	char old[128] = "";
	size_t sent, more;
	long pages;
	ssize_t n;

	ASSERT_EQ(0, xtcp_ensure_loaded());
	memfd = open("/proc/sys/net/xtcp/mem", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, memfd);
	n = read(memfd, old, sizeof(old) - 1);
	ASSERT_LT(0, n);
	ASSERT_EQ(0, xtcp_netns_with_lo());
	ASSERT_EQ(0, xtcp_sysctl_set("rto_initial_ms", 100));
	lfd = listener(5001, 4);
	ASSERT_LE(0, lfd);
	c = connect_to(5001, 0);
	ASSERT_LE(0, c);
	a = accept(lfd, NULL, NULL);
	ASSERT_LE(0, a);
	/* A reader that gets nothing fails instead of hanging the test. */
	ASSERT_EQ(0, setsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));

	sent = fill_until_eagain(c, 0);
	usleep(200 * 1000);
	sent += fill_until_eagain(c, sent);
	ASSERT_EQ(0, ioctl(c, SIOCOUTQ, &outq));
	ASSERT_EQ(0, ioctl(a, SIOCINQ, &inq));
	ASSERT_EQ(0, getsockopt(c, SOL_SOCKET, SO_SNDBUF, &sndbuf, &len));
	ASSERT_EQ(0, getsockopt(a, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len));
	pages = xtcp_memory_pages();
	TH_LOG("sent %zu: %d unacked (sndbuf %d), %d unread (rcvbuf %d), %ld pages",
	       sent, outq, sndbuf, inq, rcvbuf, pages);
	EXPECT_LE(sent, (size_t)outq + inq);	/* none unaccounted for */
	/* As Linux TCP: the buffer is checked before each new skb, which a
	 * write then fills up to the size goal (64 KiB at most), so the
	 * queue may pass SO_SNDBUF by that much; with the bytes in page
	 * fragments, each costing about its size, it does.
	 */
	EXPECT_GE(sndbuf + 65536, outq);
	EXPECT_GE(rcvbuf, inq);
	EXPECT_GE((sndbuf + 2L * rcvbuf) / 4096 + 64, pages);
	ASSERT_EQ(0, drain_and_check(a, sent));

	/* Now the machine-wide limit: 64 pages at most. */
	EXPECT_EQ(9, pwrite(memfd, "16 32 64\n", 9, 0));
	more = fill_until_eagain(c, 0);
	usleep(300 * 1000);
	more += fill_until_eagain(c, more);
	inq = -1;
	EXPECT_EQ(0, ioctl(a, SIOCINQ, &inq));
	TH_LOG("with mem 16 32 64: sent %zu more, %d unread, %ld pages, %ld RcvQDrop",
	       more, inq, xtcp_memory_pages(), xtcp_stat("RcvQDrop"));
	/* 64 pages, plus the few loopback segments (64 KiB each) that
	 * memory already charged to the socket or an empty queue admits;
	 * without the limit the reader held several MiB above.
	 */
	EXPECT_GE(64 * 4096 + 12 * 65536, inq);
	EXPECT_LT(0, xtcp_stat("RcvQDrop"));
	EXPECT_EQ(0, drain_and_check(a, more));
	EXPECT_LT(0, pwrite(memfd, old, strlen(old), 0));
	close(memfd);
	close(c);
	close(a);
	close(lfd);
}

TEST_HARNESS_MAIN
