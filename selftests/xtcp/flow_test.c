// SPDX-License-Identifier: GPL-2.0
/*
 * Flow control, loss repair and the sender's timers against the scripted
 * peer: the SYN's options, a scaled window, SACK repairing two losses in
 * one round trip, zero-window probes, keep-alive, Nagle, TCP_CORK and
 * MSG_MORE.
 *
 * The module connects to the peer, whose SYN-ACK offers SACK and a window
 * shift of 7 (no timestamps, so a segment's payload is the full MSS of
 * 1460).  Comments read "who flags seq ack" with offsets from the ISNs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include "kselftest_harness.h"
#include "xtcp_util.h"
#include "peer.h"
#include "xtcp_conn.h"

#define PEER_PORT	4001
#define PISN		0x50000000u
#define MSS		1460
#define WSCALE		7

FIXTURE(fl) {
	struct xpeer p;
	struct xseg s;
	struct xseg syn;	/* the module's SYN */
	struct xconn c;
};

/* Our own active open: the SYN-ACK carries SACK-permitted and a shift. */
FIXTURE_SETUP(fl)
{
	self->c.fd = -1;
	ASSERT_EQ(0, xtcp_ensure_loaded());
	ASSERT_EQ(0, xpeer_setup(&self->p));
	/* These scripts expect silence where no ACK comes: duplicate-ACK
	 * recovery only (RACK-TLP has its scripts in conform_test.c).
	 */
	ASSERT_EQ(0, xtcp_sysctl_set("recovery", 0));
	xc_active_open_sack(_metadata, &self->p, &self->c, PEER_PORT, PISN,
			    WSCALE, &self->syn);
}

FIXTURE_TEARDOWN(fl)
{
	xc_close_abort(self->c.fd);
	xpeer_teardown(&self->p);
}

/* Writes a string sysctl under /proc/sys/net/xtcp: 0 or -errno. */
static int xtcp_sysctl_set_str(const char *name, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), "/proc/sys/net/xtcp/%s", name);
	return write_file(path, val);
}

/* An ACK from the peer with a window field and SACK blocks. */
static int peer_ack(struct xpeer *p, struct xconn *c, uint32_t ack,
		    uint16_t win, int nsack, const uint32_t *blocks)
{
	struct xseg a = xc_seg(c->rport, c->lport, PISN + 1, ack, F_ACK);
	int i;

	a.win = win;
	a.nsack = nsack;
	for (i = 0; i < nsack; i++) {
		a.sack[i].left = blocks[2 * i];
		a.sack[i].right = blocks[2 * i + 1];
	}
	return xpeer_send(p, &a);
}

TEST_F(fl, the_syn_offers_mss_sack_timestamps_and_a_window_scale)
{
	EXPECT_EQ(1, self->syn.has_mss);
	EXPECT_EQ(1, self->syn.has_sackperm);
	EXPECT_EQ(1, self->syn.has_ts);
	EXPECT_EQ(1, self->syn.has_wscale);
	EXPECT_EQ(7, self->syn.wscale);		/* rmem[2] = 6 MiB */
	EXPECT_EQ(0, self->syn.tsecr);
}

/*
 *	peer    .   win 100 (<< 7 = 12800 bytes)
 *	module  P.  eight full segments (11680 bytes), then nothing:
 *	            a ninth would pass the window's edge
 */
TEST_F(fl, a_scaled_window_bounds_what_is_sent)
{
	struct xconn *c = &self->c;
	static char data[12 * MSS];
	int k;

	ASSERT_EQ(0, peer_ack(&self->p, c, c->isn + 1, 100, 0, NULL));
	usleep(50 * 1000);
	/* More than the window takes (the send buffer may stop the rest). */
	ASSERT_LE(9 * MSS, send(c->fd, data, sizeof(data), MSG_DONTWAIT));
	for (k = 0; k < 8; k++) {
		XSEG_EXPECT_DATA(&self->p, &self->s, 1000,
			    c->isn + 1 + k * MSS, PISN + 1);
		EXPECT_EQ(MSS, self->s.len);
	}
	XSEG_EXPECT_SILENCE(&self->p, 150);
	/* A larger window lets the rest go. */
	ASSERT_EQ(0, peer_ack(&self->p, c, c->isn + 1 + 8 * MSS, 1000, 0, NULL));
	XSEG_EXPECT_DATA(&self->p, &self->s, 1000,
		    c->isn + 1 + 8 * MSS, PISN + 1);
}

/*
 * Segments 0 and 2 of eight are lost; one ACK with SACK blocks for 1 and
 * 3..7 brings both back at once, well before the 200 ms timeout.
 */
TEST_F(fl, sack_repairs_two_losses_in_one_round_trip)
{
	struct xconn *c = &self->c;
	static char data[8 * MSS];
	uint32_t b[4], base = c->isn + 1;
	struct tcp_info info;
	socklen_t len = sizeof(info);
	uint64_t t0;
	int k;

	ASSERT_EQ((ssize_t)sizeof(data), send(c->fd, data, sizeof(data), 0));
	for (k = 0; k < 8; k++)
		XSEG_EXPECT_DATA(&self->p, &self->s, 1000,
			    base + k * MSS, PISN + 1);
	b[0] = base + 1 * MSS;
	b[1] = base + 2 * MSS;
	b[2] = base + 3 * MSS;
	b[3] = base + 8 * MSS;
	t0 = xpeer_now_ns();
	ASSERT_EQ(0, peer_ack(&self->p, c, base, 1000, 2, b));
	XSEG_EXPECT_DATA(&self->p, &self->s, 1000, base, PISN + 1);
	XSEG_EXPECT_DATA(&self->p, &self->s, 1000, base + 2 * MSS,
		    PISN + 1);
	TH_LOG("both resent within %.1f ms", ms_between(t0, self->s.when_ns));
	EXPECT_GT(100, ms_between(t0, self->s.when_ns));
	EXPECT_EQ(2, xtcp_stat("RetransSegs"));
	EXPECT_EQ(1, xtcp_stat("Recoveries"));
	/* CUBIC, the default, keeps 0.7 of the window of 10. */
	ASSERT_EQ(0, getsockopt(c->fd, IPPROTO_TCP, TCP_INFO, &info, &len));
	EXPECT_EQ(TCP_CA_Recovery, info.tcpi_ca_state);
	EXPECT_EQ(7, info.tcpi_snd_ssthresh);
	EXPECT_EQ(2, info.tcpi_lost);
	EXPECT_EQ(6, info.tcpi_sacked);
	/* Everything acknowledged: nothing more to send. */
	ASSERT_EQ(0, peer_ack(&self->p, c, base + 8 * MSS, 1000, 0, NULL));
	XSEG_EXPECT_SILENCE(&self->p, 300);
}

/*
 *	peer    .   win 0
 *	send() of 100 bytes: nothing goes; probes "." seq isn (una - 1)
 *	come after growing pauses (the timeout doubles each time)
 *	peer    .   win 1000       the data follows at once
 */
TEST_F(fl, a_zero_window_is_probed_with_backoff_and_reopened_by_an_update)
{
	struct xconn *c = &self->c;
	char data[100] = "z";
	uint64_t t[4];
	double d1, d2;
	int k;

	ASSERT_EQ(0, peer_ack(&self->p, c, c->isn + 1, 0, 0, NULL));
	usleep(50 * 1000);
	ASSERT_EQ(100, send(c->fd, data, sizeof(data), 0));
	t[0] = xpeer_now_ns();
	for (k = 1; k < 4; k++) {
		XSEG_EXPECT(&self->p, &self->s, 3000, F_ACK, c->isn, PISN + 1);
		EXPECT_EQ(0, self->s.len);
		t[k] = self->s.when_ns;
	}
	d1 = ms_between(t[1], t[2]);
	d2 = ms_between(t[2], t[3]);
	TH_LOG("probes after %.0f, %.0f, %.0f ms", ms_between(t[0], t[1]),
	       d1, d2);
	EXPECT_LT(1.5 * d1, d2);
	EXPECT_GT(3.0 * d1, d2);
	ASSERT_EQ(0, peer_ack(&self->p, c, c->isn + 1, 1000, 0, NULL));
	XSEG_EXPECT(&self->p, &self->s, 1000, F_PSH | F_ACK, c->isn + 1,
		    PISN + 1);
	EXPECT_EQ(100, self->s.len);
}

/*
 * SO_KEEPALIVE with TCP_KEEPIDLE 1, TCP_KEEPINTVL 1, TCP_KEEPCNT 2: a
 * probe after a second of quiet; an answer starts the wait over; two
 * unanswered probes end the connection with ETIMEDOUT and a RST.
 */
TEST_F(fl, keepalive_probes_an_idle_peer_and_gives_up_with_etimedout)
{
	struct xconn *c = &self->c;
	int one = 1, two = 2, val = 0;
	socklen_t len = sizeof(val);
	uint64_t t0 = xpeer_now_ns(), t1;
	char buf[4];

	ASSERT_EQ(0, setsockopt(c->fd, IPPROTO_TCP, TCP_KEEPIDLE, &one, 4));
	ASSERT_EQ(0, setsockopt(c->fd, IPPROTO_TCP, TCP_KEEPINTVL, &one, 4));
	ASSERT_EQ(0, setsockopt(c->fd, SOL_XTCP, TCP_KEEPCNT, &two, 4));
	ASSERT_EQ(0, getsockopt(c->fd, IPPROTO_TCP, TCP_KEEPCNT, &val, &len));
	EXPECT_EQ(2, val);
	ASSERT_EQ(0, setsockopt(c->fd, SOL_SOCKET, SO_KEEPALIVE, &one, 4));

	XSEG_EXPECT(&self->p, &self->s, 3000, F_ACK, c->isn, PISN + 1);
	TH_LOG("first probe after %.0f ms", ms_between(t0, self->s.when_ns));
	EXPECT_LT(500, ms_between(t0, self->s.when_ns));
	/* The peer answers: quiet starts again. */
	t1 = xpeer_now_ns();
	ASSERT_EQ(0, peer_ack(&self->p, c, c->isn + 1, 1000, 0, NULL));
	XSEG_EXPECT(&self->p, &self->s, 3000, F_ACK, c->isn, PISN + 1);
	EXPECT_LT(500, ms_between(t1, self->s.when_ns));
	/* Now it stays silent: one more probe, then the RST. */
	XSEG_EXPECT(&self->p, &self->s, 3000, F_ACK, c->isn, PISN + 1);
	XSEG_EXPECT(&self->p, &self->s, 3000, F_RST | F_ACK, c->isn + 1,
		    PISN + 1);
	EXPECT_EQ(-1, recv(c->fd, buf, sizeof(buf), 0));
	EXPECT_EQ(ETIMEDOUT, errno);
}

/*
 * Nagle: "a" goes at once; "b" and "c" wait while "a" is unacknowledged
 * and then go together; with TCP_NODELAY "d" goes at once anyway.
 */
TEST_F(fl, nagle_holds_small_writes_until_the_ack_unless_nodelay)
{
	struct xconn *c = &self->c;
	int one = 1;

	ASSERT_EQ(1, send(c->fd, "a", 1, 0));
	XSEG_EXPECT(&self->p, &self->s, 1000, F_PSH | F_ACK, c->isn + 1,
		    PISN + 1);
	ASSERT_EQ(1, send(c->fd, "b", 1, 0));
	ASSERT_EQ(1, send(c->fd, "c", 1, 0));
	XSEG_EXPECT_SILENCE(&self->p, 150);
	ASSERT_EQ(0, peer_ack(&self->p, c, c->isn + 2, 1000, 0, NULL));
	XSEG_EXPECT(&self->p, &self->s, 1000, F_PSH | F_ACK, c->isn + 2,
		    PISN + 1);
	ASSERT_EQ(2, self->s.len);
	EXPECT_EQ(0, memcmp(self->s.data, "bc", 2));
	ASSERT_EQ(0, setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, 4));
	ASSERT_EQ(1, send(c->fd, "d", 1, 0));
	XSEG_EXPECT(&self->p, &self->s, 1000, F_PSH | F_ACK, c->isn + 4,
		    PISN + 1);
}

/* TCP_CORK holds a partial segment until uncorked; MSG_MORE until the
 * next write without it (or, with nothing in flight, an RTO later:
 * timer_test; the silences here stay well short of the 200 ms floor).
 */
TEST_F(fl, tcp_cork_and_msg_more_hold_a_partial_segment)
{
	struct xconn *c = &self->c;
	int one = 1, zero = 0;

	ASSERT_EQ(0, setsockopt(c->fd, IPPROTO_TCP, TCP_CORK, &one, 4));
	ASSERT_EQ(3, send(c->fd, "xyz", 3, 0));
	XSEG_EXPECT_SILENCE(&self->p, 100);
	ASSERT_EQ(0, setsockopt(c->fd, IPPROTO_TCP, TCP_CORK, &zero, 4));
	XSEG_EXPECT(&self->p, &self->s, 1000, F_PSH | F_ACK, c->isn + 1,
		    PISN + 1);
	ASSERT_EQ(3, self->s.len);
	ASSERT_EQ(0, peer_ack(&self->p, c, c->isn + 4, 1000, 0, NULL));

	ASSERT_EQ(2, send(c->fd, "ab", 2, MSG_MORE));
	XSEG_EXPECT_SILENCE(&self->p, 100);
	ASSERT_EQ(1, send(c->fd, "c", 1, 0));
	XSEG_EXPECT(&self->p, &self->s, 1000, F_PSH | F_ACK, c->isn + 4,
		    PISN + 1);
	ASSERT_EQ(3, self->s.len);
	EXPECT_EQ(0, memcmp(self->s.data, "abc", 3));
}

/*
 * A peer whose whole window is 1000 bytes: a 1460-byte segment never
 * fits, so the sender cuts it to the window (sender silly-window
 * avoidance sends a part when at least half the peer's largest window
 * is open), instead of waiting for a window that cannot come.
 *	module  P.  seq isn+1, 1000 bytes
 *	peer    .   ack isn+1001, win 1000
 *	module  P.  seq isn+1001, 460 bytes
 */
TEST(a_segment_larger_than_the_peers_whole_window_is_cut_to_fit)
{
	struct sockaddr_in to = xc_addr(XPEER_REMOTE_ADDR, PEER_PORT);
	static char data[MSS];
	struct xpeer p;
	struct xseg s, sa;
	struct xconn c = { .rport = PEER_PORT, .pisn = PISN };

	ASSERT_EQ(0, xtcp_ensure_loaded());
	ASSERT_EQ(0, xpeer_setup(&p));
	c.fd = socket(AF_XTCP, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ASSERT_LE(0, c.fd);
	ASSERT_EQ(-1, connect(c.fd, (struct sockaddr *)&to, sizeof(to)));
	XSEG_EXPECT(&p, &s, 2000, F_SYN, XSEG_ANY, XSEG_ANY);
	c.lport = s.sport;
	c.isn = s.seq;
	sa = xc_seg(PEER_PORT, c.lport, PISN, c.isn + 1, F_SYN | F_ACK);
	sa.win = 1000;
	ASSERT_EQ(0, xpeer_send(&p, &sa));
	XSEG_EXPECT(&p, &s, 2000, F_ACK, c.isn + 1, PISN + 1);

	ASSERT_EQ(MSS, send(c.fd, data, sizeof(data), 0));
	XSEG_EXPECT_DATA(&p, &s, 1000, c.isn + 1, PISN + 1);
	EXPECT_EQ(1000, s.len);
	ASSERT_EQ(0, peer_ack(&p, &c, c.isn + 1001, 1000, 0, NULL));
	XSEG_EXPECT(&p, &s, 1000, F_PSH | F_ACK, c.isn + 1001, PISN + 1);
	EXPECT_EQ(MSS - 1000, s.len);
	xc_close_abort(c.fd);
	xpeer_teardown(&p);
}

/*
 * RFC 6928: ten segments go before the first ACK; an ACK for all of them
 * lets twice as many follow (slow start).
 */
TEST_F(fl, the_initial_window_is_ten_segments_and_slow_start_doubles_it)
{
	struct xconn *c = &self->c;
	static char data[30 * MSS];
	ssize_t n;
	int k;

	/* More than ten segments: the send buffer may not take all. */
	n = send(c->fd, data, sizeof(data), MSG_DONTWAIT);
	ASSERT_LE(11 * MSS, n);
	for (k = 0; k < 10; k++)
		XSEG_EXPECT_DATA(&self->p, &self->s, 1000,
			    c->isn + 1 + k * MSS, PISN + 1);
	XSEG_EXPECT_SILENCE(&self->p, 150);
	ASSERT_EQ(0, peer_ack(&self->p, c, c->isn + 1 + 10 * MSS, 1000, 0,
			      NULL));
	/* The buffer grew with the window: the rest fits now. */
	ASSERT_EQ((ssize_t)sizeof(data) - n,
		  send(c->fd, data + n, sizeof(data) - n, MSG_DONTWAIT));
	for (k = 10; k < 30; k++)
		XSEG_EXPECT_DATA(&self->p, &self->s, 1000,
			    c->isn + 1 + k * MSS, PISN + 1);
	XSEG_EXPECT_SILENCE(&self->p, 150);
}

/* TCP_CONGESTION names the algorithm, as on TCP: "cubic" by default,
 * "reno" on request (half the window after a loss), ENOENT for a name
 * XTCP has no algorithm for; net.xtcp.congestion_control likewise.
 */
TEST_F(fl, tcp_congestion_chooses_the_algorithm)
{
	struct xconn *c = &self->c;
	char name[16] = "";
	socklen_t len = sizeof(name);
	uint32_t b[2], base = c->isn + 1;
	static char data[8 * MSS];
	struct tcp_info info;
	int k;

	ASSERT_EQ(0, getsockopt(c->fd, IPPROTO_TCP, TCP_CONGESTION, name, &len));
	EXPECT_STREQ("cubic", name);
	EXPECT_EQ(-1, setsockopt(c->fd, IPPROTO_TCP, TCP_CONGESTION, "vegas", 5));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(0, setsockopt(c->fd, SOL_XTCP, TCP_CONGESTION, "reno", 4));
	len = sizeof(name);
	ASSERT_EQ(0, getsockopt(c->fd, SOL_XTCP, TCP_CONGESTION, name, &len));
	EXPECT_STREQ("reno", name);

	ASSERT_EQ((ssize_t)sizeof(data), send(c->fd, data, sizeof(data), 0));
	for (k = 0; k < 8; k++)
		XSEG_EXPECT_DATA(&self->p, &self->s, 1000,
			    base + k * MSS, PISN + 1);
	b[0] = base + MSS;
	b[1] = base + 8 * MSS;
	ASSERT_EQ(0, peer_ack(&self->p, c, base, 1000, 1, b));
	XSEG_EXPECT_DATA(&self->p, &self->s, 1000, base, PISN + 1);
	len = sizeof(info);
	ASSERT_EQ(0, getsockopt(c->fd, IPPROTO_TCP, TCP_INFO, &info, &len));
	EXPECT_EQ(5, info.tcpi_snd_ssthresh);	/* half of 10 */

	EXPECT_EQ(-ENOENT, xtcp_sysctl_set_str("congestion_control", "bbr"));
	EXPECT_EQ(0, xtcp_sysctl_set_str("congestion_control", "reno"));
	EXPECT_EQ(0, xtcp_sysctl_set_str("congestion_control", "cubic"));
}

TEST_HARNESS_MAIN
