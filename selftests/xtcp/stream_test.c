// SPDX-License-Identifier: GPL-2.0
/*
 * The byte stream against the scripted peer: data that arrives out of
 * order is kept and delivered once the gap fills, and three duplicate
 * ACKs bring a lost segment back before the retransmission timeout.
 *
 * Each test opens a connection from the module to the peer's port 4000.
 * Segment comments read "who flags seq ack", with seq and ack
 * as offsets from the module's ISN (isn) and the peer's (pisn).
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

#define PEER_PORT	4000
#define PISN		0x30000000u

FIXTURE(st) {
	struct xpeer p;
	struct xseg s;
	struct xconn c;
};

FIXTURE_SETUP(st)
{
	self->c.fd = -1;
	ASSERT_EQ(0, xtcp_ensure_loaded());
	ASSERT_EQ(0, xpeer_setup(&self->p));
	ASSERT_EQ(0, xtcp_sysctl_set("rto_initial_ms", 1000));
	xc_active_open(_metadata, &self->p, &self->c, PEER_PORT, PISN);
}

FIXTURE_TEARDOWN(st)
{
	xc_close_abort(self->c.fd);
	xpeer_teardown(&self->p);
}

/*
 *	peer    P.  seq pisn+5, "efgh"         past a gap
 *	module  .   seq isn+1, ack pisn+1      at once: a duplicate ACK
 *	peer    P.  seq pisn+1, "abcd"         fills the gap
 *	module  .   seq isn+1, ack pisn+9      at once, both parts taken
 *	recv() = "abcdefgh"
 */
TEST_F(st, data_past_a_gap_is_kept_and_delivered_when_the_gap_fills)
{
	struct xconn *c = &self->c;
	struct xseg *s = &self->s;
	char buf[16] = "";

	CONN_SEND(&self->p, c, PISN + 5, c->isn + 1, F_PSH | F_ACK, "efgh", 4);
	XSEG_EXPECT(&self->p, s, 1000, F_ACK, c->isn + 1, PISN + 1);
	CONN_SEND(&self->p, c, PISN + 1, c->isn + 1, F_PSH | F_ACK, "abcd", 4);
	XSEG_EXPECT(&self->p, s, 1000, F_ACK, c->isn + 1, PISN + 9);
	ASSERT_EQ(8, recv(c->fd, buf, 8, MSG_WAITALL));
	EXPECT_EQ(0, memcmp(buf, "abcdefgh", 8));
}

/* A repeated or overlapping segment past the gap changes nothing. */
TEST_F(st, duplicate_data_past_a_gap_is_delivered_once)
{
	struct xconn *c = &self->c;
	struct xseg *s = &self->s;
	char buf[16] = "";

	CONN_SEND(&self->p, c, PISN + 5, c->isn + 1, F_PSH | F_ACK, "efgh", 4);
	XSEG_EXPECT(&self->p, s, 1000, F_ACK, c->isn + 1, PISN + 1);
	CONN_SEND(&self->p, c, PISN + 5, c->isn + 1, F_PSH | F_ACK, "efgh", 4);
	XSEG_EXPECT(&self->p, s, 1000, F_ACK, c->isn + 1, PISN + 1);
	CONN_SEND(&self->p, c, PISN + 1, c->isn + 1, F_PSH | F_ACK, "abcdefgh", 8);
	XSEG_EXPECT(&self->p, s, 1000, F_ACK, c->isn + 1, PISN + 9);
	ASSERT_EQ(8, recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(0, memcmp(buf, "abcdefgh", 8));
	EXPECT_EQ(-1, recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
}

/*
 *	module  .   seq isn+1 + k*mss, k = 0..4      five segments (P. last)
 *	peer    .   ack isn+1+mss                    the second is "lost"
 *	peer    .   ack isn+1+mss   (three times)    duplicate ACKs
 *	module  .   seq isn+1+mss                    at once, not after 1 s
 */
TEST_F(st, three_duplicate_acks_bring_the_lost_segment_back_at_once)
{
	struct xconn *c = &self->c;
	struct xseg *s = &self->s;
	socklen_t len = sizeof(int);
	char data[5 * 1460];
	int k, mss = 0;
	uint64_t t0;

	/* The MSS the handshake settled on (the peer offered 1460). */
	ASSERT_EQ(0, getsockopt(c->fd, IPPROTO_TCP, TCP_MAXSEG, &mss, &len));
	ASSERT_EQ(1460, mss);
	memset(data, 'd', sizeof(data));
	ASSERT_EQ((ssize_t)sizeof(data), send(c->fd, data, sizeof(data), 0));
	for (k = 0; k < 5; k++)	/* PSH on the write's last only */
		XSEG_EXPECT(&self->p, s, 1000, k < 4 ? F_ACK : F_PSH | F_ACK,
			    c->isn + 1 + k * mss, PISN + 1);

	CONN_SEND(&self->p, c, PISN + 1, c->isn + 1 + mss, F_ACK, NULL, 0);
	for (k = 0; k < 2; k++)
		CONN_SEND(&self->p, c, PISN + 1, c->isn + 1 + mss, F_ACK, NULL, 0);
	XSEG_EXPECT_SILENCE(&self->p, 100);	/* two are not enough */
	t0 = xpeer_now_ns();
	CONN_SEND(&self->p, c, PISN + 1, c->isn + 1 + mss, F_ACK, NULL, 0);
	XSEG_EXPECT(&self->p, s, 1000, F_ACK, c->isn + 1 + mss, PISN + 1);
	TH_LOG("retransmitted %.0f ms after the third duplicate ACK",
	       ms_between(t0, s->when_ns));
	EXPECT_GT(500, ms_between(t0, s->when_ns));	/* the RTO is 1000 */
	EXPECT_EQ(1, xtcp_stat("RetransSegs"));

	/* Everything acknowledged: nothing more to send. */
	CONN_SEND(&self->p, c, PISN + 1, c->isn + 1 + 5 * mss, F_ACK, NULL, 0);
	XSEG_EXPECT_SILENCE(&self->p, 300);
}

TEST_HARNESS_MAIN
