// SPDX-License-Identifier: GPL-2.0
/*
 * TCP options a TCP program commonly sets, each case run twice with the
 * same script and the same expectations: on a Linux TCP socket and on an
 * XTCP socket.  The scripted peer stands in for the remote end (the same
 * TUN device carries IP protocol 6 for the TCP run).
 */
#include <netinet/tcp.h>

#include "kselftest_harness.h"
#include "xtcp_util.h"
#include "peer.h"
#include "xtcp_conn.h"

#define RPORT		43001
#define PISN		0x70000000u

FIXTURE(so) {
	struct xpeer p;
	struct xconn c;
};

XC_TCP_AND_XTCP(so);

FIXTURE_SETUP(so)
{
	self->c.fd = -1;
	ASSERT_EQ(0, xtcp_ensure_loaded());
	ASSERT_EQ(0, xpeer_setup(&self->p));
	self->p.proto = variant->proto;
}

FIXTURE_TEARDOWN(so)
{
	if (self->c.fd >= 0)
		xc_close_abort(self->c.fd);
	xpeer_teardown(&self->p);
}

/* The variant's sysctl @name (XTCP's names are TCP's less "tcp_"). */
static int set_knob(const FIXTURE_VARIANT(so) *variant, const char *name,
		    long val)
{
	char path[128];

	snprintf(path, sizeof(path), "%s%s", variant->knobs, name);
	return write_knob(path, val);
}

static int get_int(int fd, int optname)
{
	socklen_t len = sizeof(int);
	int val = -12345;

	if (getsockopt(fd, IPPROTO_TCP, optname, &val, &len))
		return -errno - 100000;
	return val;
}

static int set_int(int fd, int optname, int val)
{
	return setsockopt(fd, IPPROTO_TCP, optname, &val, sizeof(val)) ?
	       -errno : 0;
}

static int new_sock(const FIXTURE_VARIANT(so) *variant)
{
	return socket(variant->family, SOCK_STREAM | SOCK_CLOEXEC |
		      SOCK_NONBLOCK, 0);
}

static struct xseg so_syn;	/* the SYN of the latest so_open() */
static struct xseg so_ack;	/* ... and its last ACK */

/*
 * An active open to the peer's @rport, the peer's SYN-ACK offering MSS
 * 1460 only; the socket is left blocking.  A nonzero @optname is set at
 * @level to @val before connect().
 */
static void so_open_at(struct __test_metadata *_metadata, struct xpeer *p,
		       const FIXTURE_VARIANT(so) *variant, struct xconn *c,
		       uint16_t rport, int level, int optname, int val)
{
	struct sockaddr_in to = xc_addr(XPEER_REMOTE_ADDR, rport);
	struct xseg s;

	c->fd = new_sock(variant);
	ASSERT_LE(0, c->fd);
	if (optname)
		ASSERT_EQ(0, setsockopt(c->fd, level, optname, &val,
					sizeof(val)));
	ASSERT_EQ(-1, connect(c->fd, (struct sockaddr *)&to, sizeof(to)));
	ASSERT_EQ(EINPROGRESS, errno);
	XSEG_EXPECT(p, &s, 2000, F_SYN, XSEG_ANY, XSEG_ANY);
	so_syn = s;
	c->lport = s.sport;
	c->rport = rport;
	c->isn = s.seq;
	c->pisn = PISN;
	s = xc_seg(rport, c->lport, PISN, c->isn + 1, F_SYN | F_ACK);
	s.has_mss = 1;
	s.mss = 1460;
	ASSERT_EQ(0, xpeer_send(p, &s));
	XSEG_EXPECT(p, &s, 2000, F_ACK, c->isn + 1, PISN + 1);
	so_ack = s;
	ASSERT_EQ(0, xc_set_nonblock(c->fd, 0));
}

/* The same with a TCP option (@optname at IPPROTO_TCP), or none. */
static void so_open(struct __test_metadata *_metadata, struct xpeer *p,
		    const FIXTURE_VARIANT(so) *variant, struct xconn *c,
		    uint16_t rport, int optname, int val)
{
	so_open_at(_metadata, p, variant, c, rport, IPPROTO_TCP, optname, val);
}

/* shutdown(SHUT_WR), and the peer acknowledges the FIN: FIN_WAIT_2. */
static void so_fin_wait2(struct __test_metadata *_metadata, struct xpeer *p,
			 struct xconn *c)
{
	struct xseg s;

	ASSERT_EQ(0, shutdown(c->fd, SHUT_WR));
	XSEG_EXPECT(p, &s, 2000, F_FIN | F_ACK, c->isn + 1, c->pisn + 1);
	CONN_SEND(p, c, c->pisn + 1, c->isn + 2, F_ACK, NULL, 0);
}

/*
 * TCP_SYNCNT: 1..127, read back; unset it reads back the namespace's
 * syn_retries.  With 2, connect() gives up with ETIMEDOUT after the SYN
 * and two resends, each an RTO apart (1 s, then 2 s), and no fourth SYN.
 */
TEST_F_TIMEOUT(so, syncnt, 60)
{
	struct sockaddr_in to = xc_addr(XPEER_REMOTE_ADDR, RPORT);
	uint64_t start, first = 0, last = 0, end;
	int fd, syns = 0, err = 0;
	socklen_t len = sizeof(err);
	struct xseg s;

	ASSERT_EQ(0, set_knob(variant, "syn_retries", 4));
	/* Linux 6.5 on spaces its first SYN resends 1 s apart; XTCP backs
	 * off from the first, as 6.1 and tcp_syn_linear_timeouts 0.
	 */
	if (variant->proto == IPPROTO_TCP)
		set_knob(variant, "syn_linear_timeouts", 0);
	fd = self->c.fd = new_sock(variant);
	ASSERT_LE(0, fd);
	EXPECT_EQ(4, get_int(fd, TCP_SYNCNT));
	EXPECT_EQ(-EINVAL, set_int(fd, TCP_SYNCNT, 0));
	EXPECT_EQ(-EINVAL, set_int(fd, TCP_SYNCNT, 128));
	EXPECT_EQ(-EINVAL, set_int(fd, TCP_SYNCNT, -1));
	ASSERT_EQ(0, set_int(fd, TCP_SYNCNT, 127));
	EXPECT_EQ(127, get_int(fd, TCP_SYNCNT));
	ASSERT_EQ(0, set_int(fd, TCP_SYNCNT, 2));
	EXPECT_EQ(2, get_int(fd, TCP_SYNCNT));

	start = xpeer_now_ns();
	ASSERT_EQ(-1, connect(fd, (struct sockaddr *)&to, sizeof(to)));
	ASSERT_EQ(EINPROGRESS, errno);
	end = start + 20000 * MS;
	while (xpeer_now_ns() < end) {
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		int ret = xpeer_recv(&self->p, &s, 200);

		ASSERT_LE(0, ret);
		if (ret) {
			EXPECT_EQ(F_SYN, s.flags);
			if (!syns)
				first = s.when_ns;
			last = s.when_ns;
			syns++;
		}
		if (poll(&pfd, 1, 0) == 1)
			break;
	}
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len));
	EXPECT_EQ(ETIMEDOUT, err);
	EXPECT_EQ(3, syns);
	/* SYNs at 0, 1 and 3 s; the failure at 7 s: the last RTO waited. */
	EXPECT_LT(2000.0, ms_between(first, last));
	EXPECT_GT(6000.0, ms_between(first, last));
	EXPECT_LT(5000.0, ms_between(start, xpeer_now_ns()));
	EXPECT_EQ(1, xpeer_expect_silence(&self->p, 1500));
}

/*
 * TCP_LINGER2 reads back as Linux's: unset or 0, the namespace's
 * fin_timeout; below 0, -1; above 120 s, 120 (no error).
 */
TEST_F(so, linger2_readback)
{
	int fd;

	ASSERT_EQ(0, set_knob(variant, "fin_timeout", 30));
	fd = self->c.fd = new_sock(variant);
	ASSERT_LE(0, fd);
	EXPECT_EQ(30, get_int(fd, TCP_LINGER2));
	ASSERT_EQ(0, set_int(fd, TCP_LINGER2, 5));
	EXPECT_EQ(5, get_int(fd, TCP_LINGER2));
	ASSERT_EQ(0, set_int(fd, TCP_LINGER2, 1000));
	EXPECT_EQ(120, get_int(fd, TCP_LINGER2));
	ASSERT_EQ(0, set_int(fd, TCP_LINGER2, -5));
	EXPECT_EQ(-1, get_int(fd, TCP_LINGER2));
	ASSERT_EQ(0, set_int(fd, TCP_LINGER2, 0));
	EXPECT_EQ(30, get_int(fd, TCP_LINGER2));
}

/*
 * TCP_LINGER2 -1: close() in FIN_WAIT_2 does not wait for the peer's
 * FIN: a RST (with an ACK, seq past our FIN) ends the connection.
 */
TEST_F(so, linger2_negative_close)
{
	struct xseg s;

	so_open(_metadata, &self->p, variant, &self->c, RPORT, TCP_LINGER2,
		-1);
	so_fin_wait2(_metadata, &self->p, &self->c);
	EXPECT_EQ(1, xpeer_expect_silence(&self->p, 300));
	ASSERT_EQ(0, close(self->c.fd));
	self->c.fd = -1;
	XSEG_EXPECT(&self->p, &s, 2000, F_RST | F_ACK, self->c.isn + 2,
		    self->c.pisn + 1);
}

/*
 * TCP_LINGER2 -1, closed in ESTABLISHED: the peer's ACK of the FIN gets
 * a RST in reply (seq its ack), where the orphan would enter FIN_WAIT_2.
 */
TEST_F(so, linger2_negative_orphan)
{
	struct xconn *c = &self->c;
	struct xseg s;

	so_open(_metadata, &self->p, variant, c, RPORT, TCP_LINGER2, -1);
	ASSERT_EQ(0, close(c->fd));
	c->fd = -1;
	XSEG_EXPECT(&self->p, &s, 2000, F_FIN | F_ACK, c->isn + 1,
		    c->pisn + 1);
	CONN_SEND(&self->p, c, c->pisn + 1, c->isn + 2, F_ACK, NULL, 0);
	XSEG_EXPECT(&self->p, &s, 2000, F_RST, c->isn + 2, XSEG_ANY);
}

/*
 * TCP_LINGER2 2 with fin_timeout 60: 5 s after close() in FIN_WAIT_2
 * the orphan is gone, and the peer's FIN gets a RST; without the option
 * the same FIN gets the ACK that takes it to TIME_WAIT.
 */
TEST_F_TIMEOUT(so, linger2_time, 60)
{
	struct xconn c2 = { .fd = -1 };
	struct xconn *c = &self->c;
	struct xseg s;

	ASSERT_EQ(0, set_knob(variant, "fin_timeout", 60));
	so_open(_metadata, &self->p, variant, c, RPORT, TCP_LINGER2, 2);
	so_fin_wait2(_metadata, &self->p, c);
	so_open(_metadata, &self->p, variant, &c2, RPORT + 1, 0, 0);
	so_fin_wait2(_metadata, &self->p, &c2);
	ASSERT_EQ(0, close(c->fd));
	c->fd = -1;
	ASSERT_EQ(0, close(c2.fd));
	EXPECT_EQ(1, xpeer_expect_silence(&self->p, 5000));

	CONN_SEND(&self->p, &c2, c2.pisn + 1, c2.isn + 2, F_FIN | F_ACK,
		  NULL, 0);
	XSEG_EXPECT(&self->p, &s, 2000, F_ACK, c2.isn + 2, c2.pisn + 2);
	CONN_SEND(&self->p, c, c->pisn + 1, c->isn + 2, F_FIN | F_ACK,
		  NULL, 0);
	XSEG_EXPECT(&self->p, &s, 2000, F_RST, c->isn + 2, XSEG_ANY);
}

/*
 * TCP_WINDOW_CLAMP: read back as set; a tiny value is raised to half the
 * smallest receive buffer (under 2 KiB); 0 is taken only before a
 * connection.
 */
TEST_F(so, window_clamp_readback)
{
	int fd, v;

	fd = self->c.fd = new_sock(variant);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, get_int(fd, TCP_WINDOW_CLAMP));
	ASSERT_EQ(0, set_int(fd, TCP_WINDOW_CLAMP, 5000));
	EXPECT_EQ(5000, get_int(fd, TCP_WINDOW_CLAMP));
	ASSERT_EQ(0, set_int(fd, TCP_WINDOW_CLAMP, 100));
	v = get_int(fd, TCP_WINDOW_CLAMP);
	EXPECT_LT(100, v);
	EXPECT_GT(2048, v);
	ASSERT_EQ(0, set_int(fd, TCP_WINDOW_CLAMP, 0));
	EXPECT_EQ(0, get_int(fd, TCP_WINDOW_CLAMP));
}

/*
 * TCP_WINDOW_CLAMP 5000 set before connect(): the SYN offers at most
 * 5000 bytes and no window shift above 0, and the ACKs of two full
 * segments never offer more than the clamp read back; without it the SYN offers more.  Once connected 0 is
 * refused.
 */
TEST_F(so, window_clamp_wire)
{
	struct sockaddr_in to = xc_addr(XPEER_REMOTE_ADDR, RPORT + 1);
	struct xconn *c = &self->c;
	char data[1460] = { 0 };
	struct xseg s;
	int fd, i;

	fd = new_sock(variant);
	ASSERT_LE(0, fd);
	ASSERT_EQ(-1, connect(fd, (struct sockaddr *)&to, sizeof(to)));
	XSEG_EXPECT(&self->p, &s, 2000, F_SYN, XSEG_ANY, XSEG_ANY);
	EXPECT_LT(5000, s.win);
	xc_close_abort(fd);
	while (xpeer_recv(&self->p, &s, 300) == 1)
		;	/* XTCP's abort in SYN_SENT sends a RST, TCP's not */

	so_open(_metadata, &self->p, variant, c, RPORT, TCP_WINDOW_CLAMP,
		5000);
	EXPECT_GE(5000, so_syn.win);
	EXPECT_LT(0, so_syn.win);
	EXPECT_EQ(0, so_syn.has_wscale ? so_syn.wscale : 0);
	EXPECT_EQ(-EINVAL, set_int(c->fd, TCP_WINDOW_CLAMP, 0));
	EXPECT_EQ(5000, get_int(c->fd, TCP_WINDOW_CLAMP));
	for (i = 0; i < 2; i++) {
		CONN_SEND(&self->p, c, c->pisn + 1 + i * sizeof(data),
			  c->isn + 1, F_ACK | F_PSH, data, sizeof(data));
		XSEG_EXPECT(&self->p, &s, 2000, F_ACK, c->isn + 1,
			    c->pisn + 1 + (i + 1) * sizeof(data));
		EXPECT_GE(get_int(c->fd, TCP_WINDOW_CLAMP), s.win);
		/* Linux 6.12 drops the clamp for its own figure when the
		 * first full segment changes its scaling ratio
		 * (tcp_measure_rcv_mss()); 6.1 and XTCP keep it.
		 */
		if (variant->proto == IPPROTO_XTCP)
			EXPECT_EQ(5000, get_int(c->fd, TCP_WINDOW_CLAMP));
	}
}

/*
 * SO_RCVBUF 2048 set before connect(): the window the SYN offers, and all
 * the peer may send before the window closes with nothing read, fit in
 * the buffer (getsockopt's doubled figure), as tcp_select_initial_window()
 * makes them; not a 64 KiB window the buffer cannot hold.
 */
TEST_F(so, rcvbuf_bounds_the_first_window)
{
	struct xconn *c = &self->c;
	char data[1000] = { 0 };
	socklen_t len = sizeof(int);
	uint32_t taken = 0;
	struct xseg s;
	int buf, i;

	so_open_at(_metadata, &self->p, variant, c, RPORT + 2, SOL_SOCKET,
		   SO_RCVBUF, 2048);
	ASSERT_EQ(0, getsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &buf, &len));
	EXPECT_GE(buf, so_syn.win);
	EXPECT_LT(0, so_syn.win);
	s = so_ack;	/* the window the handshake's last ACK offers */
	for (i = 0; s.win && i < 80; i++) {
		uint32_t n = s.win < sizeof(data) ? s.win : sizeof(data);

		CONN_SEND(&self->p, c, PISN + 1 + taken, c->isn + 1, F_ACK,
			  data, n);
		XSEG_EXPECT(&self->p, &s, 1000, F_ACK, c->isn + 1, XSEG_ANY);
		taken = s.ack - PISN - 1;
	}
	EXPECT_EQ(0, s.win);
	EXPECT_GE((uint32_t)buf, taken);
	TH_LOG("SO_RCVBUF %d: %u bytes taken before the window closed",
	       buf, taken);
}

/* The same for a listener's SYN-ACK, and the child's window after it. */
TEST_F(so, rcvbuf_bounds_a_listeners_syn_ack)
{
	struct sockaddr_in sin = xc_addr(XPEER_LOCAL_ADDR, 6301);
	int l = new_sock(variant), buf = 2048;
	char data[1000] = { 0 };
	socklen_t len = sizeof(buf);
	struct xconn *c = &self->c;
	struct xseg s;

	ASSERT_LE(0, l);
	ASSERT_EQ(0, setsockopt(l, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf)));
	ASSERT_EQ(0, getsockopt(l, SOL_SOCKET, SO_RCVBUF, &buf, &len));
	ASSERT_EQ(0, bind(l, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, listen(l, 4));
	c->lport = 6301;
	c->rport = RPORT + 3;
	c->pisn = PISN;
	PEER_SEND(&self->p, c->rport, c->lport, PISN, 0, F_SYN, NULL, 0);
	XSEG_EXPECT(&self->p, &s, 2000, F_SYN | F_ACK, XSEG_ANY, PISN + 1);
	EXPECT_GE(buf, s.win);
	EXPECT_LT(0, s.win);
	c->isn = s.seq;
	CONN_SEND(&self->p, c, PISN + 1, c->isn + 1, F_ACK, NULL, 0);
	/* Twice what the SYN-ACK offered: the child takes only that. */
	CONN_SEND(&self->p, c, PISN + 1, c->isn + 1, F_ACK, data, s.win);
	XSEG_EXPECT(&self->p, &s, 1000, F_ACK, c->isn + 1, XSEG_ANY);
	EXPECT_GE((uint32_t)buf, s.ack - PISN - 1);
	EXPECT_EQ(0, s.win);
	close(l);
}

/* Reads data segments until @ms pass without one: the highest end seq. */
static uint32_t so_drain(struct __test_metadata *_metadata, struct xpeer *p,
			 uint32_t end, int ms)
{
	struct xseg s;
	int ret;

	while ((ret = xpeer_recv(p, &s, ms)) == 1)
		if ((int32_t)(s.seq + s.len - end) > 0)
			end = s.seq + s.len;
	EXPECT_EQ(0, ret);
	return end;
}

static int so_writable(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };

	return poll(&pfd, 1, ms) == 1 && (pfd.revents & POLLOUT);
}

/*
 * TCP_NOTSENT_LOWAT 4000: with a send buffer of room but some 15 KB
 * queued beyond the initial window, the socket is not writable; once the
 * peer's ACKs let the rest go, it is.
 */
TEST_F(so, notsent_lowat)
{
	static char data[30000];
	struct xconn *c = &self->c;
	int sndbuf = 1 << 20, i;
	uint32_t end;

	so_open(_metadata, &self->p, variant, c, RPORT, 0, 0);
	ASSERT_EQ(0, setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
				sizeof(sndbuf)));
	EXPECT_EQ(0, get_int(c->fd, TCP_NOTSENT_LOWAT));
	ASSERT_EQ(0, set_int(c->fd, TCP_NODELAY, 1));
	ASSERT_EQ((ssize_t)sizeof(data), send(c->fd, data, sizeof(data),
					      MSG_DONTWAIT));
	end = so_drain(_metadata, &self->p, c->isn + 1, 500);
	EXPECT_LT(4000, (int)(c->isn + 1 + sizeof(data) - end));
	EXPECT_EQ(1, so_writable(c->fd, 0));	/* the buffer has room */

	ASSERT_EQ(0, set_int(c->fd, TCP_NOTSENT_LOWAT, 4000));
	EXPECT_EQ(4000, get_int(c->fd, TCP_NOTSENT_LOWAT));
	EXPECT_EQ(0, so_writable(c->fd, 300));

	/* The peer takes all: once under half the mark, writable. */
	for (i = 0; i < 20 && end != c->isn + 1 + sizeof(data); i++) {
		CONN_SEND(&self->p, c, c->pisn + 1, end, F_ACK, NULL, 0);
		end = so_drain(_metadata, &self->p, end, 500);
	}
	EXPECT_EQ(c->isn + 1 + sizeof(data), end);
	EXPECT_EQ(1, so_writable(c->fd, 1000));
}

/*
 * TCP_CONGESTION reads back the algorithm in use: the default, then the
 * one set; an unknown name is refused with ENOENT and changes nothing.
 */
TEST_F(so, congestion_readback)
{
	char name[16];
	socklen_t len = sizeof(name);
	int fd;

	fd = self->c.fd = new_sock(variant);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &len));
	EXPECT_STREQ("cubic", name);
	ASSERT_EQ(0, setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "reno", 4));
	len = sizeof(name);
	ASSERT_EQ(0, getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &len));
	EXPECT_STREQ("reno", name);
	EXPECT_EQ(-1, setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "nosuch", 6));
	EXPECT_EQ(ENOENT, errno);
	len = sizeof(name);
	ASSERT_EQ(0, getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &len));
	EXPECT_STREQ("reno", name);
}

/*
 * An option number TCP does not know is refused with ENOPROTOOPT, both
 * ways; XTCP refuses so the TCP options it has no machinery for.
 */
TEST_F(so, unknown_options)
{
	static const int none[] = { TCP_FASTOPEN, TCP_MD5SIG, TCP_ULP,
				    TCP_REPAIR, TCP_ZEROCOPY_RECEIVE,
				    TCP_FASTOPEN_CONNECT, TCP_SAVE_SYN };
	char buf[256] = { 0 };
	socklen_t len = sizeof(buf);
	unsigned int i;
	int fd;

	fd = self->c.fd = new_sock(variant);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOPROTOOPT, set_int(fd, 1000, 1));
	EXPECT_EQ(-1, getsockopt(fd, IPPROTO_TCP, 1000, buf, &len));
	EXPECT_EQ(ENOPROTOOPT, errno);
	if (variant->proto != IPPROTO_XTCP)
		return;
	for (i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		EXPECT_EQ(-1, setsockopt(fd, IPPROTO_TCP, none[i], buf,
					 sizeof(buf)));
		EXPECT_EQ(ENOPROTOOPT, errno) TH_LOG("option %d", none[i]);
	}
}

/* connect() to the peer: 0 when its SYN came out, else the errno. */
static int so_try_connect(struct __test_metadata *_metadata,
			  struct xpeer *p, int fd)
{
	struct sockaddr_in to = xc_addr(XPEER_REMOTE_ADDR, RPORT);
	struct xseg s;

	if (!connect(fd, (struct sockaddr *)&to, sizeof(to)) ||
	    errno != EINPROGRESS)
		return errno;
	EXPECT_EQ(1, xpeer_recv(p, &s, 2000));
	EXPECT_EQ(F_SYN, s.flags);
	return 0;
}

/* Packets the tun device's prio qdisc sent in its class 1:@minor. */
static long prio_sent(int minor)
{
	char cmd[128], line[256];
	long n = -1;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "tc -s class show dev %s classid 1:%d",
		 XPEER_IFNAME, minor);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *pk = strstr(line, " bytes ");

		if (strstr(line, "Sent ") && pk)
			n = atol(pk + 7);
	}
	pclose(f);
	return n;
}

#define PRIO(minor)	(0x10000 | (minor))	/* class 1:minor, as tc writes it */

/*
 * SO_PRIORITY reaches every segment's skb, as for TCP: an active open's
 * SYN, ACK and data in class 1:4; a listener's SYN-ACK in its 1:5; but
 * its child starts at 0, as Linux's sk_clone_lock() leaves it, and sends
 * in class 1:1.  A prio qdisc on the tun device sorts them by
 * skb->priority and counts.
 */
TEST_F(so, priority_wire)
{
	struct sockaddr_in sin = xc_addr(XPEER_LOCAL_ADDR, 6302);
	int five = PRIO(5), l, a, val;
	socklen_t len = sizeof(val);
	struct xconn *c = &self->c;
	struct xseg s;

	ASSERT_EQ(0, system("tc qdisc add dev " XPEER_IFNAME " root handle 1: "
			    "prio bands 5 priomap 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0"));
	EXPECT_EQ(0, prio_sent(4));
	so_open_at(_metadata, &self->p, variant, c, RPORT + 4, SOL_SOCKET,
		   SO_PRIORITY, PRIO(4));
	ASSERT_EQ(1, send(c->fd, "x", 1, 0));
	XSEG_EXPECT(&self->p, &s, 2000, F_ACK | F_PSH, c->isn + 1, PISN + 1);
	CONN_SEND(&self->p, c, PISN + 1, c->isn + 2, F_ACK, NULL, 0);
	EXPECT_EQ(3, prio_sent(4));

	l = new_sock(variant);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, setsockopt(l, SOL_SOCKET, SO_PRIORITY, &five,
				sizeof(five)));
	ASSERT_EQ(0, bind(l, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, listen(l, 4));
	PEER_SEND(&self->p, RPORT + 5, 6302, PISN, 0, F_SYN, NULL, 0);
	XSEG_EXPECT(&self->p, &s, 2000, F_SYN | F_ACK, XSEG_ANY, PISN + 1);
	PEER_SEND(&self->p, RPORT + 5, 6302, PISN + 1, s.seq + 1, F_ACK,
		  NULL, 0);
	ASSERT_EQ(0, xc_set_nonblock(l, 0));
	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, getsockopt(a, SOL_SOCKET, SO_PRIORITY, &val, &len));
	EXPECT_EQ(0, val);
	ASSERT_EQ(1, send(a, "y", 1, 0));
	XSEG_EXPECT(&self->p, &s, 2000, F_ACK | F_PSH, XSEG_ANY, PISN + 1);
	EXPECT_EQ(1, prio_sent(5));
	EXPECT_EQ(3, prio_sent(4));
	xc_close_abort(a);
	close(l);
}

/*
 * SO_MARK selects the route, as for TCP: with a policy rule sending
 * fwmark 7 to a table where the peer is unreachable, a marked socket's
 * connect() fails with EHOSTUNREACH; an unmarked one sends its SYN.
 */
TEST_F(so, mark_route)
{
	int fd, mark = 7;

	ASSERT_EQ(0, system("ip rule add fwmark 7 lookup 100 && "
			    "ip route add unreachable 10.0.0.2 table 100"));
	fd = self->c.fd = new_sock(variant);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_MARK, &mark,
				sizeof(mark)));
	EXPECT_EQ(EHOSTUNREACH, so_try_connect(_metadata, &self->p, fd));
	close(fd);
	fd = self->c.fd = new_sock(variant);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, so_try_connect(_metadata, &self->p, fd));
}

/*
 * SO_BINDTODEVICE picks the output device, as for TCP: bound to a device
 * that is down, connect() fails with ENETUNREACH; bound to the peer's
 * device, the SYN goes.
 */
TEST_F(so, bindtodevice)
{
	int fd;

	ASSERT_EQ(0, system("ip link set lo down"));
	fd = self->c.fd = new_sock(variant);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3));
	EXPECT_EQ(ENETUNREACH, so_try_connect(_metadata, &self->p, fd));
	close(fd);
	fd = self->c.fd = new_sock(variant);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE,
				XPEER_IFNAME, sizeof(XPEER_IFNAME)));
	EXPECT_EQ(0, so_try_connect(_metadata, &self->p, fd));
}

TEST_HARNESS_MAIN
