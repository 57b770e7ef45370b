// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile peer, scripted: what it sends must never crash XTCP, make it
 * hold memory without bound, or let it break a connection it does not
 * own.  Each case is one of Linux TCP's CVEs, replayed.
 *
 * The peer's MSS (CVE-2019-11479): a SYN or SYN-ACK may offer any MSS,
 * down to 1 byte, or 12 with timestamps (12 bytes of option each segment,
 * so nothing left for data).  As Linux, the MSS in use never goes below
 * net.xtcp.min_snd_mss (48, options included): 36 bytes of payload with
 * timestamps, 48 without.
 *
 * Timestamps (RFC 7323, Linux's tcp_replace_ts_recent()): the TSval to
 * echo, and to hold later segments to by PAWS, is taken only from a
 * segment that passed every check.  A blind sender that guesses a
 * sequence number in the window but not the ACK (or sends a SYN, or a RST
 * that is not exact) with a TSval far ahead must not make the real peer's
 * next segments fail PAWS.
 *
 * A socket whose connection failed or was dissolved (a refused
 * connect(), connect(AF_UNSPEC)) connects again and carries data both
 * ways, as on Linux (tcp_disconnect()): nothing of the old connection's
 * end (its shutdown, its error, its FIN) may stick to the new one.
 *
 * Comments read "who flags seq ack" with offsets from the ISNs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "kselftest_harness.h"
#include "xtcp_util.h"
#include "peer.h"
#include "xtcp_conn.h"

#define LPORT		5001
#define RPORT		40001
#define PISN		0x70000000u
#define TSVAL		1000

FIXTURE(hp) {
	struct xpeer p;
	struct xconn c;
	int lfd;
	uint32_t tsecr;		/* the module's last TSval, to echo */
};

FIXTURE_SETUP(hp)
{
	self->c.fd = -1;
	self->lfd = -1;
	ASSERT_EQ(0, xtcp_ensure_loaded());
	ASSERT_EQ(0, xpeer_setup(&self->p));
}

FIXTURE_TEARDOWN(hp)
{
	xc_close_abort(self->c.fd);
	if (self->lfd >= 0)
		close(self->lfd);
	xpeer_teardown(&self->p);
}

/* A segment from the peer, with timestamps when @ts. */
static struct xseg peer_seg(struct xconn *c, uint32_t seq, uint32_t ack,
			    uint8_t flags, int ts, uint32_t tsecr)
{
	struct xseg s = xc_seg(c->rport, c->lport, seq, ack, flags);

	if (ts) {
		s.has_ts = 1;
		s.tsval = TSVAL;
		s.tsecr = tsecr;
	}
	return s;
}

/*
 * The passive open with the peer's SYN offering @mss (timestamps too
 * when @ts):
 *	peer    S   seq 0, mss @mss
 *	module  S.  seq 0, ack 1
 *	peer    .   seq 1, ack 1
 * then accept().
 */
static void passive_open(struct __test_metadata *_metadata,
			 FIXTURE_DATA(hp) *self, uint16_t mss, int ts)
{
	struct xconn *c = &self->c;
	struct xseg s;

	self->lfd = xc_listen(_metadata, LPORT, 8, 0);
	c->lport = LPORT;
	c->rport = RPORT;
	c->pisn = PISN;
	s = peer_seg(c, PISN, 0, F_SYN, ts, 0);
	s.mss = mss;
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	XSEG_EXPECT(&self->p, &s, 2000, F_SYN | F_ACK, XSEG_ANY, PISN + 1);
	ASSERT_EQ(ts, s.has_ts);
	c->isn = s.seq;
	self->tsecr = s.tsval;
	s = peer_seg(c, PISN + 1, c->isn + 1, F_ACK, ts, self->tsecr);
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	c->fd = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, c->fd);
}

/* The active open, the peer's SYN-ACK offering @mss (and timestamps),
 * on a new socket or on self->c.fd when it is open already.
 */
static void active_open(struct __test_metadata *_metadata,
			FIXTURE_DATA(hp) *self, uint16_t mss, int ts)
{
	struct sockaddr_in to = xc_addr(XPEER_REMOTE_ADDR, RPORT);
	struct xconn *c = &self->c;
	struct xseg s;

	if (c->fd < 0)
		c->fd = socket(AF_XTCP, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, c->fd);
	ASSERT_EQ(0, xc_set_nonblock(c->fd, 1));
	ASSERT_EQ(-1, connect(c->fd, (struct sockaddr *)&to, sizeof(to)));
	ASSERT_EQ(EINPROGRESS, errno);
	XSEG_EXPECT(&self->p, &s, 2000, F_SYN, XSEG_ANY, XSEG_ANY);
	ASSERT_EQ(1, s.has_ts);
	c->lport = s.sport;
	c->rport = RPORT;
	c->isn = s.seq;
	c->pisn = PISN;
	self->tsecr = s.tsval;
	s = peer_seg(c, PISN, c->isn + 1, F_SYN | F_ACK, ts, self->tsecr);
	s.mss = mss;
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	XSEG_EXPECT(&self->p, &s, 2000, F_ACK, c->isn + 1, PISN + 1);
	ASSERT_EQ(0, xc_set_nonblock(c->fd, 0));
}

static int maxseg(int fd)
{
	socklen_t len = sizeof(int);
	int val = -1;

	if (getsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &val, &len))
		return -errno;
	return val;
}

/*
 * Writes @total bytes, then half-closes: the data must leave in segments
 * of exactly @seg bytes (the last one shorter), then the FIN, all within
 * the initial congestion window (10 segments).
 *	module  P.  1 .. @seg, @seg+1 .. 2*@seg, ...
 *	module  F.  seq @total+1
 */
static void sends_in_segments_of(struct __test_metadata *_metadata,
				 FIXTURE_DATA(hp) *self, size_t total,
				 size_t seg)
{
	struct xconn *c = &self->c;
	char data[512] = { 0 };
	size_t got = 0;
	struct xseg s;

	ASSERT_GE(sizeof(data), total);
	ASSERT_EQ((ssize_t)total, send(c->fd, data, total, 0));
	ASSERT_EQ(0, shutdown(c->fd, SHUT_WR));
	while (got < total) {
		ASSERT_EQ(1, xpeer_recv(&self->p, &s, 2000))
			TH_LOG("%zu of %zu bytes arrived", got, total);
		ASSERT_EQ((uint32_t)(c->isn + 1 + got), s.seq);
		if (s.flags & F_FIN)
			break;
		ASSERT_EQ(total - got < seg ? total - got : seg, s.len);
		got += s.len;
	}
	ASSERT_EQ(total, got);
	/* The FIN, alone or on the last data segment. */
	if (!(s.flags & F_FIN))
		XSEG_EXPECT(&self->p, &s, 2000, F_FIN | F_ACK,
			    (uint32_t)(c->isn + 1 + total), PISN + 1);
}

/* MSS 12 with timestamps left 0 bytes of payload: a division by zero at
 * the first send() (and MSS 1-11 wrapped to about 4 G).
 */
TEST_F(hp, passive_side_floors_mss_12_with_timestamps_at_36_bytes)
{
	passive_open(_metadata, self, 12, 1);
	EXPECT_EQ(36, maxseg(self->c.fd));
	sends_in_segments_of(_metadata, self, 200, 36);
}

TEST_F(hp, active_side_floors_mss_12_with_timestamps_at_36_bytes)
{
	active_open(_metadata, self, 12, 1);
	EXPECT_EQ(36, maxseg(self->c.fd));
	sends_in_segments_of(_metadata, self, 200, 36);
}

TEST_F(hp, passive_side_floors_mss_1_with_timestamps_at_36_bytes)
{
	passive_open(_metadata, self, 1, 1);
	EXPECT_EQ(36, maxseg(self->c.fd));
	sends_in_segments_of(_metadata, self, 100, 36);
}

/* Without timestamps: 1-byte segments before, 48 now. */
TEST_F(hp, passive_side_floors_mss_1_without_timestamps_at_48_bytes)
{
	passive_open(_metadata, self, 1, 0);
	EXPECT_EQ(48, maxseg(self->c.fd));
	sends_in_segments_of(_metadata, self, 200, 48);
}

TEST_F(hp, active_side_floors_mss_1_without_timestamps_at_48_bytes)
{
	active_open(_metadata, self, 1, 0);
	EXPECT_EQ(48, maxseg(self->c.fd));
	sends_in_segments_of(_metadata, self, 200, 48);
}

/* net.xtcp.min_snd_mss: TCP's range (48 up), and it moves the floor. */
TEST_F(hp, min_snd_mss_sysctl_has_tcps_range_and_sets_the_floor)
{
	EXPECT_EQ(48, xtcp_sysctl_get("min_snd_mss"));
	EXPECT_EQ(-EINVAL, xtcp_sysctl_set("min_snd_mss", 47));
	EXPECT_EQ(-EINVAL, xtcp_sysctl_set("min_snd_mss", 65536));
	ASSERT_EQ(0, xtcp_sysctl_set("min_snd_mss", 100));
	passive_open(_metadata, self, 1, 0);
	EXPECT_EQ(100, maxseg(self->c.fd));
	sends_in_segments_of(_metadata, self, 300, 100);
}

/* A sane MSS under the route's is taken as it is. */
TEST_F(hp, an_ordinary_small_mss_is_used_as_offered)
{
	passive_open(_metadata, self, 536, 1);
	EXPECT_EQ(524, maxseg(self->c.fd));
}

/*
 * The forged segments start at or before rcv_nxt, where a TSval may be
 * taken (RFC 7323 section 4.3), and lie in the window.
 *
 * After @forged, the real peer's next segment (10 bytes, its TSval one
 * tick on) must be taken: ACKed, and readable.
 *	attacker  @forged            TSval 2^30 ahead
 *	peer      P.  seq 1, ack 1   10 bytes, TSval +1
 *	module    .   ack 11         (perhaps after a challenge ACK)
 */
static void real_peer_survives(struct __test_metadata *_metadata,
			       FIXTURE_DATA(hp) *self, struct xseg *forged)
{
	struct xconn *c = &self->c;
	const char data[10] = "0123456789";
	char buf[16];
	struct xseg s;
	int i;

	forged->has_ts = 1;
	forged->tsval = TSVAL + (1u << 30);
	forged->tsecr = self->tsecr;
	ASSERT_EQ(0, xpeer_send(&self->p, forged));
	s = peer_seg(c, PISN + 1, c->isn + 1, F_PSH | F_ACK, 1, self->tsecr);
	s.tsval = TSVAL + 1;
	s.data = (const uint8_t *)data;
	s.len = sizeof(data);
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(1, xpeer_recv(&self->p, &s, 1000))
			TH_LOG("the peer's data was never acknowledged");
		if (s.ack == PISN + 1 + sizeof(data))
			break;
	}
	ASSERT_EQ(PISN + 1 + sizeof(data), s.ack);
	EXPECT_EQ(TSVAL + 1, s.tsecr);
	ASSERT_EQ((ssize_t)sizeof(data), recv(c->fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, data, sizeof(data)));
}

TEST_F(hp, in_window_segment_without_ack_does_not_move_ts_recent)
{
	struct xseg f;

	passive_open(_metadata, self, 1460, 1);
	f = peer_seg(&self->c, PISN + 1, 0, F_PSH, 1, 0);
	f.data = (const uint8_t *)"x";
	f.len = 1;
	real_peer_survives(_metadata, self, &f);
}

TEST_F(hp, in_window_syn_does_not_move_ts_recent)
{
	struct xseg f;

	passive_open(_metadata, self, 1460, 1);
	f = peer_seg(&self->c, PISN + 1, 0, F_SYN, 1, 0);
	real_peer_survives(_metadata, self, &f);
}

TEST_F(hp, rst_across_rcv_nxt_does_not_move_ts_recent)
{
	struct xseg f;

	passive_open(_metadata, self, 1460, 1);
	f = peer_seg(&self->c, PISN, 0, F_RST, 1, 0);
	f.data = (const uint8_t *)"xy";	/* across rcv_nxt: not exact */
	f.len = 2;
	real_peer_survives(_metadata, self, &f);
}

/* An ACK for data never sent is no ACK: its TSval is not taken either. */
TEST_F(hp, ack_of_unsent_data_does_not_move_ts_recent)
{
	struct xseg f;

	passive_open(_metadata, self, 1460, 1);
	f = peer_seg(&self->c, PISN + 1, self->c.isn + 100000, F_ACK, 1, 0);
	real_peer_survives(_metadata, self, &f);
}

/*
 * Data both ways on the connection the last active_open() made:
 *	module  P.  seq 1, ack 1   "hello"
 *	peer    P.  seq 1, ack 6   "world"
 */
static void data_both_ways(struct __test_metadata *_metadata,
			   FIXTURE_DATA(hp) *self)
{
	struct xconn *c = &self->c;
	char buf[8] = { 0 };
	struct xseg s;

	ASSERT_EQ(5, send(c->fd, "hello", 5, 0));
	XSEG_EXPECT(&self->p, &s, 2000, F_PSH | F_ACK, c->isn + 1, PISN + 1);
	ASSERT_EQ(5, s.len);
	s = peer_seg(c, PISN + 1, c->isn + 6, F_PSH | F_ACK, 1, s.tsval);
	s.data = (const uint8_t *)"world";
	s.len = 5;
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	ASSERT_EQ(5, recv(c->fd, buf, sizeof(buf), 0));
	EXPECT_STREQ("world", buf);
}

/*
 *	module  S          blocking connect()
 *	peer    R.  ack 1  connect() fails ECONNREFUSED
 * then a new handshake on the same socket, and data both ways.
 */
TEST_F(hp, socket_connects_again_after_econnrefused)
{
	struct xconn *c = &self->c;
	struct bg_connect b;
	struct xseg s;

	c->fd = socket(AF_XTCP, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, c->fd);
	ASSERT_EQ(0, bg_connect_start(&b, c->fd, RPORT));
	XSEG_EXPECT(&self->p, &s, 2000, F_SYN, XSEG_ANY, XSEG_ANY);
	c->lport = s.sport;
	c->rport = RPORT;
	PEER_SEND(&self->p, RPORT, c->lport, 0, s.seq + 1, F_RST | F_ACK,
		  NULL, 0);
	ASSERT_EQ(1, bg_connect_wait(&b, 2000));
	ASSERT_EQ(-1, b.ret);
	ASSERT_EQ(ECONNREFUSED, b.err);
	active_open(_metadata, self, 1460, 1);
	data_both_ways(_metadata, self);
}

/* connect(AF_UNSPEC) resets the connection (a RST goes); a new connect()
 * on the socket works as on a fresh one.
 */
TEST_F(hp, socket_connects_again_after_connect_af_unspec)
{
	struct sockaddr sa = { .sa_family = AF_UNSPEC };
	struct xconn *c = &self->c;
	struct xseg s;

	active_open(_metadata, self, 1460, 1);
	ASSERT_EQ(0, connect(c->fd, &sa, sizeof(sa)));
	XSEG_EXPECT(&self->p, &s, 2000, F_RST | F_ACK, c->isn + 1, PISN + 1);
	active_open(_metadata, self, 1460, 1);
	data_both_ways(_metadata, self);
}

/* A listener dissolved by connect(AF_UNSPEC) keeps the port bind() gave
 * it, as TCP's does: nobody else can bind it, and it can listen again.
 */
TEST_F(hp, dissolved_listener_keeps_its_bound_port)
{
	struct sockaddr sa = { .sa_family = AF_UNSPEC };
	struct sockaddr_in sin = xc_addr(XPEER_LOCAL_ADDR, LPORT);
	int other;

	self->lfd = xc_listen(_metadata, LPORT, 8, 0);
	ASSERT_EQ(0, connect(self->lfd, &sa, sizeof(sa)));
	other = socket(AF_XTCP, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, other);
	EXPECT_EQ(-1, bind(other, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_EQ(EADDRINUSE, errno);
	close(other);
	EXPECT_EQ(0, listen(self->lfd, 8));
}

/* TCP_CONGESTION chosen before connect() is the connection's. */
TEST_F(hp, congestion_control_set_before_connect_stays)
{
	char name[16] = "";
	socklen_t len = sizeof(name);

	self->c.fd = socket(AF_XTCP, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, self->c.fd);
	ASSERT_EQ(0, setsockopt(self->c.fd, IPPROTO_TCP, TCP_CONGESTION,
				"reno", 4));
	active_open(_metadata, self, 1460, 1);
	ASSERT_EQ(0, getsockopt(self->c.fd, IPPROTO_TCP, TCP_CONGESTION,
				name, &len));
	EXPECT_STREQ("reno", name);
}

TEST_HARNESS_MAIN
