// SPDX-License-Identifier: GPL-2.0
/*
 * How XTCP connections end, against the scripted peer (RFC 9293 sections
 * 3.6 and 3.10.7, RFC 5961, and Linux TCP where the RFC leaves a choice):
 * active, passive and simultaneous close, half-close, TIME_WAIT, lost FINs,
 * orphans in FIN_WAIT_2, RSTs and SYNs on an established connection, and
 * close() with unread data.
 *
 * Each test first opens a connection from the module (an ephemeral port)
 * to the peer's port 4000, in a fresh network namespace with short timers.
 * Segment comments read "who flags seq ack", with seq and ack as offsets
 * from the module's ISN (isn) and the peer's (pisn), like packetdrill.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include "kselftest_harness.h"
#include "xtcp_util.h"
#include "peer.h"
#include "xtcp_conn.h"

#define PEER_PORT	4000
#define PISN		0x20000000u
#define MSL_MS		300
#define FAST_RTO_MS	100	/* for the tests that count retransmissions */

FIXTURE(cl) {
	struct xpeer p;
	struct xseg s;
	struct xconn c;
};

FIXTURE_SETUP(cl)
{
	self->c.fd = -1;
	ASSERT_EQ(0, xtcp_ensure_loaded());
	ASSERT_EQ(0, xpeer_setup(&self->p));
	/*
	 * The namespace is new: its knobs are ours alone.  A long rto keeps
	 * retransmissions out of the tests that do not count them; those
	 * that do lower it before they connect.
	 */
	ASSERT_EQ(0, xtcp_sysctl_set("rto_initial_ms", 1000));
	ASSERT_EQ(0, xtcp_sysctl_set("syn_retries", 3));
	ASSERT_EQ(0, xtcp_sysctl_set("msl_ms", MSL_MS));
	ASSERT_EQ(0, xtcp_sysctl_set("fin_timeout", 1));
	ASSERT_EQ(0, xtcp_sysctl_set("orphan_retries", 2));
	ASSERT_EQ(0, xtcp_sysctl_set("retries2", 2));
}

FIXTURE_TEARDOWN(cl)
{
	xc_close_abort(self->c.fd);
	xpeer_teardown(&self->p);
}

/* The module connects to the peer (see xc_active_open()). */
static void open_conn(struct __test_metadata *_metadata,
		      FIXTURE_DATA(cl) *self)
{
	xc_active_open(_metadata, &self->p, &self->c, PEER_PORT, PISN);
	ASSERT_EQ(ST_ESTABLISHED, xc_proc_state(self->c.lport, PEER_PORT));
}

/* close() on the test's connection; the teardown then leaves it alone. */
static void close_conn(FIXTURE_DATA(cl) *self)
{
	close(self->c.fd);
	self->c.fd = -1;
}

static int state(FIXTURE_DATA(cl) *self)
{
	return xc_proc_state(self->c.lport, PEER_PORT);
}

static int wait_state(FIXTURE_DATA(cl) *self, int want)
{
	return xc_wait_state(self->c.lport, PEER_PORT, want, 2000);
}

/* Sleeps until ms after t0 (CLOCK_MONOTONIC ns). */
static void sleep_until(uint64_t t0, unsigned int ms)
{
	uint64_t now = xpeer_now_ns(), end = t0 + ms * MS;

	if (now < end)
		sleep_ms((end - now + MS - 1) / MS);
}

/*
 * Reads the module's FIN and its retransmissions until 1.5 s of silence
 * or a RST: each must be the same FIN.  Returns how many came.
 */
static int collect_fins(struct __test_metadata *_metadata,
			FIXTURE_DATA(cl) *self, uint32_t seq, uint32_t ack,
			uint64_t *when, int max, int *saw_rst)
{
	struct xseg *s = &self->s;
	char line[256];
	int n = 0, ret;

	*saw_rst = 0;
	for (;;) {
		ret = xpeer_recv(&self->p, s, 1500);
		if (ret <= 0)
			break;
		xseg_snprint(line, sizeof(line), s);
		if (s->flags & F_RST) {
			TH_LOG("after %d FINs: %s", n, line);
			*saw_rst = 1;
			break;
		}
		EXPECT_EQ(F_FIN | F_ACK, s->flags) TH_LOG("%s", line);
		EXPECT_EQ(seq, s->seq) TH_LOG("%s", line);
		EXPECT_EQ(ack, s->ack) TH_LOG("%s", line);
		if (n < max)
			when[n] = s->when_ns;
		n++;
		ASSERT_GE(max, n) TH_LOG("more FINs than expected");
	}
	return n;
}

/* The socket's retransmission timeout now, in ms (TCP_INFO's tcpi_rto):
 * the first FIN's, which the handshake's RTT sample set (SRTT + 200 ms),
 * not rto_initial_ms.
 */
static double rto_now_ms(struct __test_metadata *_metadata, int fd)
{
	struct tcp_info info;
	socklen_t len = sizeof(info);

	EXPECT_EQ(0, getsockopt(fd, SOL_XTCP, TCP_INFO, &info, &len));
	return info.tcpi_rto / 1000.0;
}

/* ---- orderly close ---- */

/*
 *	module  P.  seq isn+1, ack pisn+1, "hello"
 *	peer    .   seq pisn+1, ack isn+6
 *	close()
 *	module  F.  seq isn+6, ack pisn+1              04 FIN_WAIT_1
 *	peer    .   seq pisn+1, ack isn+7              05 FIN_WAIT_2
 *	peer    F.  seq pisn+1, ack isn+7
 *	module  .   seq isn+7, ack pisn+2              06 TIME_WAIT
 *	                          still there at msl, gone by 3*msl
 */
TEST_F(cl, active_close_goes_through_fin_waits_to_time_wait_for_2msl)
{
	struct xconn *c = &self->c;
	struct xseg *s = &self->s;
	uint64_t t0;

	open_conn(_metadata, self);
	ASSERT_EQ(5, send(c->fd, "hello", 5, MSG_NOSIGNAL));
	XSEG_EXPECT(&self->p, s, 1000, F_PSH | F_ACK, c->isn + 1, PISN + 1);
	EXPECT_EQ(5, s->len);
	CONN_SEND(&self->p, c, PISN + 1, c->isn + 6, F_ACK, NULL, 0);

	close_conn(self);
	XSEG_EXPECT(&self->p, s, 1000, F_FIN | F_ACK, c->isn + 6, PISN + 1);
	EXPECT_EQ(0, s->len);
	EXPECT_EQ(ST_FIN_WAIT1, state(self));

	CONN_SEND(&self->p, c, PISN + 1, c->isn + 7, F_ACK, NULL, 0);
	EXPECT_EQ(ST_FIN_WAIT2, wait_state(self, ST_FIN_WAIT2));

	CONN_SEND(&self->p, c, PISN + 1, c->isn + 7, F_FIN | F_ACK, NULL, 0);
	XSEG_EXPECT(&self->p, s, 1000, F_ACK, c->isn + 7, PISN + 2);
	t0 = s->when_ns;
	EXPECT_EQ(ST_TIME_WAIT, state(self));
	EXPECT_EQ(1, xtcp_stat("CurrTimeWait"));
	EXPECT_EQ(1, xtcp_stat("TimeWaitEntries"));
	EXPECT_EQ(0, xtcp_stat("CurrEstab"));

	sleep_until(t0, MSL_MS);
	EXPECT_EQ(ST_TIME_WAIT, state(self)) TH_LOG("gone before 2*msl");
	sleep_until(t0, 3 * MSL_MS);
	EXPECT_EQ(-1, state(self)) TH_LOG("still there at 3*msl");
	EXPECT_EQ(0, xtcp_stat("CurrTimeWait"));
	XSEG_EXPECT_SILENCE(&self->p, 100);
}

/*
 * The peer's FIN comes again (our ACK was lost): TIME_WAIT repeats the
 * ACK and starts 2*msl over (msl = 500 ms here).
 *	module  F.  seq isn+1, ack pisn+1
 *	peer    F.  seq pisn+1, ack isn+2        (ACK and FIN at once)
 *	module  .   seq isn+2, ack pisn+2        06 at t0
 *	peer    F.  seq pisn+1, ack isn+2        at t0 + 600 ms
 *	module  .   seq isn+2, ack pisn+2
 *	                 still 06 at t0 + 1300 ms, past the first 2*msl
 */
TEST_F(cl, time_wait_reacks_retransmitted_fin_and_restarts_2msl)
{
	struct xconn *c = &self->c;
	struct xseg *s = &self->s;
	uint64_t t0, t1;

	ASSERT_EQ(0, xtcp_sysctl_set("msl_ms", 500));
	open_conn(_metadata, self);
	close_conn(self);
	XSEG_EXPECT(&self->p, s, 1000, F_FIN | F_ACK, c->isn + 1, PISN + 1);
	CONN_SEND(&self->p, c, PISN + 1, c->isn + 2, F_FIN | F_ACK, NULL, 0);
	XSEG_EXPECT(&self->p, s, 1000, F_ACK, c->isn + 2, PISN + 2);
	t0 = s->when_ns;
	EXPECT_EQ(ST_TIME_WAIT, state(self));

	sleep_until(t0, 600);
	CONN_SEND(&self->p, c, PISN + 1, c->isn + 2, F_FIN | F_ACK, NULL, 0);
	XSEG_EXPECT(&self->p, s, 1000, F_ACK, c->isn + 2, PISN + 2);
	t1 = s->when_ns;

	sleep_until(t0, 1300);
	EXPECT_EQ(ST_TIME_WAIT, state(self)) TH_LOG("2*msl was not restarted");
	EXPECT_EQ(-1, xc_wait_state(c->lport, PEER_PORT, -1, 3000));
	TH_LOG("gone %.0f ms after the second ACK",
	       ms_between(t1, xpeer_now_ns()));
	EXPECT_LE(1000 * 0.8, ms_between(t1, xpeer_now_ns()));
	EXPECT_EQ(0, xtcp_stat("CurrTimeWait"));
}

/*
 *	peer    F.  seq pisn+1, ack isn+1          08 CLOSE_WAIT, ACK delayed
 *	close() at once
 *	module  F.  seq isn+1, ack pisn+2          one segment: FIN and ACK
 *	                                           09 LAST_ACK
 *	peer    .   seq pisn+2, ack isn+2          gone, no TIME_WAIT
 */
TEST_F(cl, passive_close_merges_fin_with_delayed_ack_and_skips_time_wait)
{
	struct xconn *c = &self->c;
	struct xseg *s = &self->s;
	uint64_t t_fin, t_close;

	open_conn(_metadata, self);
	t_fin = xpeer_now_ns();
	CONN_SEND(&self->p, c, PISN + 1, c->isn + 1, F_FIN | F_ACK, NULL, 0);
	EXPECT_EQ(ST_CLOSE_WAIT, state(self));
	t_close = xpeer_now_ns();
	close_conn(self);
	TH_LOG("close() %.1f ms after the peer's FIN (delayed ACK: 40 ms)",
	       ms_between(t_fin, t_close));

	XSEG_EXPECT(&self->p, s, 1000, F_FIN | F_ACK, c->isn + 1, PISN + 2);
	EXPECT_EQ(ST_LAST_ACK, state(self));
	/* No bare ACK follows: the FIN carried it. */
	XSEG_EXPECT_SILENCE(&self->p, 100);

	CONN_SEND(&self->p, c, PISN + 2, c->isn + 2, F_ACK, NULL, 0);
	EXPECT_EQ(-1, wait_state(self, -1));
	EXPECT_EQ(0, xc_proc_count(ST_TIME_WAIT));
	EXPECT_EQ(0, xtcp_stat("CurrTimeWait"));
	EXPECT_EQ(0, xtcp_stat("TimeWaitEntries"));
	XSEG_EXPECT_SILENCE(&self->p, 200);
}

/*
 *	peer    F.  seq pisn+1, ack isn+1          08 CLOSE_WAIT
 *	module  .   seq isn+1, ack pisn+2          after the 40 ms delay
 *	recv() returns 0; send() still works:
 *	module  P.  seq isn+1, ack pisn+2, "bye"
 *	peer    .   seq pisn+2, ack isn+4
 *	close()
 *	module  F.  seq isn+4, ack pisn+2          09 LAST_ACK
 *	peer    .   seq pisn+2, ack isn+5          gone, no TIME_WAIT
 */
TEST_F(cl, close_wait_acks_fin_late_reads_eof_and_still_sends)
{
	struct pollfd pfd = { .events = POLLIN | POLLRDHUP };
	struct xconn *c = &self->c;
	struct xseg *s = &self->s;
	uint64_t t_fin;
	char buf[8];
	double delay;

	open_conn(_metadata, self);
	t_fin = xpeer_now_ns();
	CONN_SEND(&self->p, c, PISN + 1, c->isn + 1, F_FIN | F_ACK, NULL, 0);
	XSEG_EXPECT(&self->p, s, 1000, F_ACK, c->isn + 1, PISN + 2);
	delay = ms_between(t_fin, s->when_ns);
	TH_LOG("FIN acknowledged after %.1f ms", delay);
	EXPECT_LE(30, delay) TH_LOG("the ACK was not delayed");
	EXPECT_EQ(ST_CLOSE_WAIT, state(self));

	pfd.fd = c->fd;
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_TRUE(pfd.revents & POLLRDHUP);
	EXPECT_EQ(0, recv(c->fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT));

	ASSERT_EQ(3, send(c->fd, "bye", 3, MSG_NOSIGNAL))
		TH_LOG("send: %s", strerror(errno));
	XSEG_EXPECT(&self->p, s, 1000, F_PSH | F_ACK, c->isn + 1, PISN + 2);
	EXPECT_EQ(3, s->len);
	EXPECT_EQ(0, memcmp("bye", s->data, 3));
	CONN_SEND(&self->p, c, PISN + 2, c->isn + 4, F_ACK, NULL, 0);

	close_conn(self);
	XSEG_EXPECT(&self->p, s, 1000, F_FIN | F_ACK, c->isn + 4, PISN + 2);
	EXPECT_EQ(ST_LAST_ACK, state(self));
	CONN_SEND(&self->p, c, PISN + 2, c->isn + 5, F_ACK, NULL, 0);
	EXPECT_EQ(-1, wait_state(self, -1));
	EXPECT_EQ(0, xc_proc_count(ST_TIME_WAIT));
	XSEG_EXPECT_SILENCE(&self->p, 200);
}

/*
 * Our ACK of the peer's FIN was lost and the FIN comes again: it is now
 * old (below rcv_nxt) and is answered at once with the same ACK.
 *	peer    F.  seq pisn+1, ack isn+1
 *	module  .   seq isn+1, ack pisn+2          (delayed)
 *	peer    F.  seq pisn+1, ack isn+1          (again)
 *	module  .   seq isn+1, ack pisn+2          08 CLOSE_WAIT still
 */
TEST_F(cl, close_wait_reacks_retransmitted_fin)
{
	struct xconn *c = &self->c;
	struct xseg *s = &self->s;

	open_conn(_metadata, self);
	CONN_SEND(&self->p, c, PISN + 1, c->isn + 1, F_FIN | F_ACK, NULL, 0);
	XSEG_EXPECT(&self->p, s, 1000, F_ACK, c->isn + 1, PISN + 2);
	CONN_SEND(&self->p, c, PISN + 1, c->isn + 1, F_FIN | F_ACK, NULL, 0);
	XSEG_EXPECT(&self->p, s, 1000, F_ACK, c->isn + 1, PISN + 2);
	EXPECT_EQ(ST_CLOSE_WAIT, state(self));
	XSEG_EXPECT_SILENCE(&self->p, 100);
}

/*
 * The FIN sent from LAST_ACK is lost (rto 100 ms): it goes again, the
 * same, and the late ACK ends the connection.
 *	peer    F.  seq pisn+1, ack isn+1
 *	module  F.  seq isn+1, ack pisn+2          09 LAST_ACK
 *	module  F.  seq isn+1, ack pisn+2          after about rto
 *	peer    .   seq pisn+2, ack isn+2          gone
 */
TEST_F(cl, last_ack_retransmits_fin_until_acked)
{
	struct xconn *c = &self->c;
	struct xseg *s = &self->s;
	uint64_t t0;
	double gap;

	ASSERT_EQ(0, xtcp_sysctl_set("rto_initial_ms", FAST_RTO_MS));
	open_conn(_metadata, self);
	CONN_SEND(&self->p, c, PISN + 1, c->isn + 1, F_FIN | F_ACK, NULL, 0);
	close_conn(self);
	XSEG_EXPECT(&self->p, s, 1000, F_FIN | F_ACK, c->isn + 1, PISN + 2);
	t0 = s->when_ns;
	XSEG_EXPECT(&self->p, s, 1000, F_FIN | F_ACK, c->isn + 1, PISN + 2);
	gap = ms_between(t0, s->when_ns);
	EXPECT_LE(FAST_RTO_MS * 0.8, gap);
	EXPECT_GE(FAST_RTO_MS * 4, gap);
	EXPECT_EQ(ST_LAST_ACK, state(self));

	CONN_SEND(&self->p, c, PISN + 2, c->isn + 2, F_ACK, NULL, 0);
	EXPECT_EQ(-1, wait_state(self, -1));
	XSEG_EXPECT_SILENCE(&self->p, 4 * FAST_RTO_MS);
}

/* A recv() blocked on an idle connection wakes with 0 on the peer's FIN. */
TEST_F(cl, blocked_recv_wakes_with_eof_on_fin)
{
	struct xconn *c = &self->c;
	struct bg_call rd;

	open_conn(_metadata, self);
	ASSERT_EQ(0, bg_call_start(&rd, bg_recv, c->fd));
	sleep_ms(100);
	ASSERT_EQ(0, bg_call_done(&rd)) TH_LOG("recv() did not block");
	CONN_SEND(&self->p, c, PISN + 1, c->isn + 1, F_FIN | F_ACK, NULL, 0);
	ASSERT_EQ(1, bg_call_wait(&rd, 2000)) TH_LOG("recv() still asleep");
	EXPECT_EQ(0, rd.ret) TH_LOG("recv: %s", strerror(rd.err));
}

/* A recv() blocked on an idle connection fails ECONNRESET on a RST. */
TEST_F(cl, blocked_recv_wakes_with_econnreset_on_rst)
{
	struct xconn *c = &self->c;
	struct bg_call rd;

	open_conn(_metadata, self);
	ASSERT_EQ(0, bg_call_start(&rd, bg_recv, c->fd));
	sleep_ms(100);
	ASSERT_EQ(0, bg_call_done(&rd)) TH_LOG("recv() did not block");
	CONN_SEND(&self->p, c, PISN + 1, 0, F_RST, NULL, 0);
	ASSERT_EQ(1, bg_call_wait(&rd, 2000)) TH_LOG("recv() still asleep");
	EXPECT_EQ(-1, rd.ret);
	EXPECT_EQ(ECONNRESET, rd.err) TH_LOG("recv: %s", strerror(rd.err));
}

/*
 * Both FINs cross (RFC 9293 figure 13):
 *	module  F.  seq isn+1, ack pisn+1          04 FIN_WAIT_1
 *	peer    F.  seq pisn+1, ack isn+1          (does not ACK our FIN)
 *	module  .   seq isn+2, ack pisn+2          0B CLOSING
 *	peer    .   seq pisn+2, ack isn+2          06 TIME_WAIT
 */
TEST_F(cl, simultaneous_close_goes_through_closing_to_time_wait)
{
	struct xconn *c = &self->c;
	struct xseg *s = &self->s;

	open_conn(_metadata, self);
	close_conn(self);
	XSEG_EXPECT(&self->p, s, 1000, F_FIN | F_ACK, c->isn + 1, PISN + 1);
	EXPECT_EQ(ST_FIN_WAIT1, state(self));

	CONN_SEND(&self->p, c, PISN + 1, c->isn + 1, F_FIN | F_ACK, NULL, 0);
	XSEG_EXPECT(&self->p, s, 1000, F_ACK, c->isn + 2, PISN + 2);
	EXPECT_EQ(ST_CLOSING, state(self));

	CONN_SEND(&self->p, c, PISN + 2, c->isn + 2, F_ACK, NULL, 0);
	EXPECT_EQ(ST_TIME_WAIT, wait_state(self, ST_TIME_WAIT));
	EXPECT_EQ(1, xtcp_stat("TimeWaitEntries"));
	XSEG_EXPECT_SILENCE(&self->p, 200);
}

/*
 * Half-close:
 *	shutdown(SHUT_WR)
 *	module  F.  seq isn+1, ack pisn+1          04; send() fails EPIPE
 *	peer    .   seq pisn+1, ack isn+2          05
 *	peer    P.  seq pisn+1, ack isn+2, "abc"
 *	module  .   seq isn+2, ack pisn+4          recv() gets "abc"
 *	peer    F.  seq pisn+4, ack isn+2
 *	module  .   seq isn+2, ack pisn+5          06; recv() returns 0
 */
TEST_F(cl, shutdown_wr_sends_fin_and_still_receives)
{
	struct xconn *c = &self->c;
	struct xseg *s = &self->s;
	char buf[8] = { 0 };

	open_conn(_metadata, self);
	ASSERT_EQ(0, shutdown(c->fd, SHUT_WR));
	XSEG_EXPECT(&self->p, s, 1000, F_FIN | F_ACK, c->isn + 1, PISN + 1);
	EXPECT_EQ(ST_FIN_WAIT1, state(self));
	EXPECT_EQ(-1, send(c->fd, "x", 1, MSG_NOSIGNAL));
	EXPECT_EQ(EPIPE, errno);

	CONN_SEND(&self->p, c, PISN + 1, c->isn + 2, F_ACK, NULL, 0);
	EXPECT_EQ(ST_FIN_WAIT2, wait_state(self, ST_FIN_WAIT2));

	CONN_SEND(&self->p, c, PISN + 1, c->isn + 2, F_PSH | F_ACK, "abc", 3);
	XSEG_EXPECT(&self->p, s, 1000, F_ACK, c->isn + 2, PISN + 4);
	EXPECT_EQ(3, recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_STREQ("abc", buf);

	CONN_SEND(&self->p, c, PISN + 4, c->isn + 2, F_FIN | F_ACK, NULL, 0);
	XSEG_EXPECT(&self->p, s, 1000, F_ACK, c->isn + 2, PISN + 5);
	EXPECT_EQ(ST_TIME_WAIT, state(self));
	EXPECT_EQ(0, recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT));
}

/* ---- lost FINs and orphans ---- */

/*
 * An orphan's FIN is never acknowledged (orphan_retries = 2, rto 100 ms):
 *	module  F.  seq isn+1, ack pisn+1
 *	module  F.  same, after rto
 *	module  F.  same, after 2*rto
 *	then no more FINs, and the socket is gone.  (Linux sends nothing
 *	when it gives up; a RST is tolerated here.)
 */
TEST_F_TIMEOUT(cl, orphan_fin_backs_off_then_socket_is_dropped, 20)
{
	struct xconn *c = &self->c;
	uint64_t when[8];
	double rto;
	int n, rst;

	ASSERT_EQ(0, xtcp_sysctl_set("rto_initial_ms", FAST_RTO_MS));
	open_conn(_metadata, self);
	rto = rto_now_ms(_metadata, c->fd);
	close_conn(self);
	n = collect_fins(_metadata, self, c->isn + 1, PISN + 1, when,
			 ARRAY_SIZE(when), &rst);
	EXPECT_EQ(1 + 2, n);
	xc_expect_backoff(_metadata, when, n < 8 ? n : 8, rto);
	EXPECT_EQ(-1, wait_state(self, -1));
	EXPECT_EQ(2, xtcp_stat("RetransSegs"));
	XSEG_EXPECT_SILENCE(&self->p, 300);
}

/*
 * The same FIN from a socket still open (shutdown(SHUT_WR), retries2 = 2):
 * three FINs, then the connection fails with ETIMEDOUT.
 */
TEST_F_TIMEOUT(cl, unacked_fin_of_open_socket_times_out_with_etimedout, 20)
{
	struct pollfd pfd = { .events = POLLIN };
	struct xconn *c = &self->c;
	socklen_t len = sizeof(int);
	uint64_t when[8];
	int n, rst, err = 0;
	double rto;

	ASSERT_EQ(0, xtcp_sysctl_set("rto_initial_ms", FAST_RTO_MS));
	open_conn(_metadata, self);
	rto = rto_now_ms(_metadata, c->fd);
	ASSERT_EQ(0, shutdown(c->fd, SHUT_WR));
	n = collect_fins(_metadata, self, c->isn + 1, PISN + 1, when,
			 ARRAY_SIZE(when), &rst);
	EXPECT_EQ(1 + 2, n);
	xc_expect_backoff(_metadata, when, n < 8 ? n : 8, rto);

	pfd.fd = c->fd;
	ASSERT_EQ(1, poll(&pfd, 1, 3000));
	EXPECT_TRUE(pfd.revents & POLLERR);
	ASSERT_EQ(0, getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len));
	EXPECT_EQ(ETIMEDOUT, err) TH_LOG("SO_ERROR: %s", strerror(err));
	EXPECT_EQ(-1, state(self));
}

/*
 * An orphan whose FIN was acknowledged waits fin_timeout (1 s) for the
 * peer's FIN as a small entry, then goes silently, as Linux's does:
 *	module  F.  seq isn+1, ack pisn+1
 *	peer    .   seq pisn+1, ack isn+2          05 FIN_WAIT_2
 *	                 nothing sent; gone after about 1 s
 */
TEST_F(cl, orphan_in_fin_wait2_goes_silently_after_fin_timeout)
{
	struct xconn *c = &self->c;
	struct xseg *s = &self->s;
	uint64_t t0;
	double waited;

	open_conn(_metadata, self);
	close_conn(self);
	XSEG_EXPECT(&self->p, s, 1000, F_FIN | F_ACK, c->isn + 1, PISN + 1);
	t0 = xpeer_now_ns();
	CONN_SEND(&self->p, c, PISN + 1, c->isn + 2, F_ACK, NULL, 0);
	EXPECT_EQ(ST_FIN_WAIT2, wait_state(self, ST_FIN_WAIT2));
	EXPECT_EQ(1, xtcp_stat("CurrTimeWait"));	/* an entry, not a socket */

	EXPECT_EQ(-1, wait_state(self, -1));
	waited = ms_between(t0, xpeer_now_ns());
	TH_LOG("entry gone %.0f ms after the ACK of our FIN", waited);
	EXPECT_LE(1000 * 0.8, waited);
	EXPECT_GE(1000 * 3, waited);
	XSEG_EXPECT_SILENCE(&self->p, 200);
}

/*
 * The peer's FIN reaches an orphan in FIN_WAIT_2: it is acknowledged and
 * the entry stays for 2*MSL as TIME_WAIT.
 *	module  F.  seq isn+1, ack pisn+1
 *	peer    .   seq pisn+1, ack isn+2          05 FIN_WAIT_2
 *	peer    F.  seq pisn+1, ack isn+2
 *	module  .   seq isn+2, ack pisn+2          06 TIME_WAIT
 */
TEST_F(cl, orphan_in_fin_wait2_acks_the_peer_fin_and_enters_time_wait)
{
	struct xconn *c = &self->c;
	struct xseg *s = &self->s;

	open_conn(_metadata, self);
	close_conn(self);
	XSEG_EXPECT(&self->p, s, 1000, F_FIN | F_ACK, c->isn + 1, PISN + 1);
	CONN_SEND(&self->p, c, PISN + 1, c->isn + 2, F_ACK, NULL, 0);
	EXPECT_EQ(ST_FIN_WAIT2, wait_state(self, ST_FIN_WAIT2));
	CONN_SEND(&self->p, c, PISN + 1, c->isn + 2, F_FIN | F_ACK, NULL, 0);
	XSEG_EXPECT(&self->p, s, 1000, F_ACK, c->isn + 2, PISN + 2);
	EXPECT_EQ(ST_TIME_WAIT, wait_state(self, ST_TIME_WAIT));
}

/*
 * New data for an orphan nobody will read gets a RST, as in Linux:
 *	peer    P.  seq pisn+1, ack isn+2, 4 bytes  05 FIN_WAIT_2
 *	module  R   seq isn+2                      gone
 */
TEST_F(cl, data_for_an_orphan_in_fin_wait2_gets_rst)
{
	struct xconn *c = &self->c;
	struct xseg *s = &self->s;

	open_conn(_metadata, self);
	close_conn(self);
	XSEG_EXPECT(&self->p, s, 1000, F_FIN | F_ACK, c->isn + 1, PISN + 1);
	CONN_SEND(&self->p, c, PISN + 1, c->isn + 2, F_ACK, NULL, 0);
	EXPECT_EQ(ST_FIN_WAIT2, wait_state(self, ST_FIN_WAIT2));
	CONN_SEND(&self->p, c, PISN + 1, c->isn + 2, F_PSH | F_ACK, "late", 4);
	XSEG_EXPECT(&self->p, s, 1000, F_RST, c->isn + 2, XSEG_ANY);
	EXPECT_EQ(-1, wait_state(self, -1));
}

/* ---- RST and SYN on an established connection (RFC 5961) ---- */

/*
 *	peer    R   seq pisn+1 (= rcv_nxt)
 *	                 no answer; recv() fails ECONNRESET, then send() EPIPE
 */
TEST_F(cl, rst_at_rcv_nxt_resets_connection)
{
	struct pollfd pfd = { .events = POLLIN | POLLOUT };
	struct xconn *c = &self->c;
	char buf[8];

	open_conn(_metadata, self);
	CONN_SEND(&self->p, c, PISN + 1, 0, F_RST, NULL, 0);
	XSEG_EXPECT_SILENCE(&self->p, 200);
	EXPECT_EQ(-1, state(self));
	EXPECT_EQ(1, xtcp_stat("EstabResets"));
	EXPECT_EQ(0, xtcp_stat("CurrEstab"));

	pfd.fd = c->fd;
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_TRUE(pfd.revents & POLLERR);
	EXPECT_TRUE(pfd.revents & POLLHUP);
	EXPECT_EQ(-1, recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(ECONNRESET, errno) TH_LOG("recv: %s", strerror(errno));
	EXPECT_EQ(-1, send(c->fd, "x", 1, MSG_NOSIGNAL));
	EXPECT_EQ(EPIPE, errno) TH_LOG("send: %s", strerror(errno));
}

/*
 *	peer    R   seq pisn+101 (in the window, not rcv_nxt)
 *	module  .   seq isn+1, ack pisn+1          challenge ACK
 *	peer    P.  seq pisn+1, ack isn+1, "ping"
 *	module  .   seq isn+1, ack pisn+5          (delayed ACK)
 *	module  P.  seq isn+1, ack pisn+5, "pong"
 */
TEST_F(cl, rst_in_window_but_not_exact_gets_challenge_ack)
{
	struct xconn *c = &self->c;
	struct xseg *s = &self->s;
	char buf[8] = { 0 };

	open_conn(_metadata, self);
	CONN_SEND(&self->p, c, PISN + 101, 0, F_RST, NULL, 0);
	XSEG_EXPECT(&self->p, s, 1000, F_ACK, c->isn + 1, PISN + 1);
	EXPECT_EQ(1, xtcp_stat("ChallengeACKs"));
	EXPECT_EQ(ST_ESTABLISHED, state(self));

	CONN_SEND(&self->p, c, PISN + 1, c->isn + 1, F_PSH | F_ACK, "ping", 4);
	XSEG_EXPECT(&self->p, s, 1000, F_ACK, c->isn + 1, PISN + 5);
	EXPECT_EQ(4, recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_STREQ("ping", buf);
	ASSERT_EQ(4, send(c->fd, "pong", 4, MSG_NOSIGNAL));
	XSEG_EXPECT(&self->p, s, 1000, F_PSH | F_ACK, c->isn + 1, PISN + 5);
	EXPECT_EQ(0, xtcp_stat("EstabResets"));
}

/* A RST outside the window is dropped without a word (RFC 5961 3.2). */
TEST_F(cl, rst_outside_window_is_ignored)
{
	struct xconn *c = &self->c;

	open_conn(_metadata, self);
	CONN_SEND(&self->p, c, PISN + 1 + 200000, 0, F_RST, NULL, 0);
	CONN_SEND(&self->p, c, PISN, 0, F_RST, NULL, 0);
	XSEG_EXPECT_SILENCE(&self->p, 300);
	EXPECT_EQ(ST_ESTABLISHED, state(self));
	EXPECT_EQ(0, xtcp_stat("EstabResets"));
}

/*
 *	peer    S   seq pisn+1 (a SYN on an established connection)
 *	module  .   seq isn+1, ack pisn+1          challenge ACK, no reset
 *	module  P.  seq isn+1, ack pisn+1, "x"     (the connection works)
 */
TEST_F(cl, syn_in_established_gets_challenge_ack)
{
	struct xconn *c = &self->c;
	struct xseg *s = &self->s;

	open_conn(_metadata, self);
	CONN_SEND(&self->p, c, PISN + 1, 0, F_SYN, NULL, 0);
	XSEG_EXPECT(&self->p, s, 1000, F_ACK, c->isn + 1, PISN + 1);
	EXPECT_EQ(1, xtcp_stat("ChallengeACKs"));
	EXPECT_EQ(ST_ESTABLISHED, state(self));
	EXPECT_EQ(0, xtcp_stat("EstabResets"));

	ASSERT_EQ(1, send(c->fd, "x", 1, MSG_NOSIGNAL));
	XSEG_EXPECT(&self->p, s, 1000, F_PSH | F_ACK, c->isn + 1, PISN + 1);
}

/* ---- abortive close ---- */

/*
 *	peer    P.  seq pisn+1, ack isn+1, "unread"
 *	module  .   seq isn+1, ack pisn+7
 *	close() without reading
 *	module  R.  seq isn+1, ack pisn+7          no FIN; gone
 */
TEST_F(cl, close_with_unread_data_sends_rst_not_fin)
{
	struct xconn *c = &self->c;
	struct xseg *s = &self->s;

	open_conn(_metadata, self);
	CONN_SEND(&self->p, c, PISN + 1, c->isn + 1, F_PSH | F_ACK,
		  "unread", 6);
	XSEG_EXPECT(&self->p, s, 1000, F_ACK, c->isn + 1, PISN + 7);

	close_conn(self);
	XSEG_EXPECT(&self->p, s, 1000, F_RST | F_ACK, c->isn + 1, PISN + 7);
	EXPECT_EQ(-1, state(self));
	EXPECT_EQ(1, xtcp_stat("OutRsts"));
	XSEG_EXPECT_SILENCE(&self->p, 300);
}

/*
 * A SYN for a four-tuple in TIME_WAIT (the module was the server and
 * closed first).  One whose sequence number is above everything the old
 * connection used opens a new connection (RFC 9293 3.10.7.4, RFC 6191);
 * an older one only gets the TIME_WAIT entry's ACK.
 *	peer    S   seq pisn                      (handshake, accept)
 *	module  F.  seq isn+1, ack pisn+1         close()
 *	peer    F.  seq pisn+1, ack isn+2
 *	module  .   seq isn+2, ack pisn+2          06 TIME_WAIT
 *	peer    S   seq pisn                      old: answered by an ACK
 *	module  .   seq isn+2, ack pisn+2
 *	peer    S   seq pisn+100000               new: a SYN-ACK, SYN_RECV
 *	module  S.  ack pisn+100001
 */
TEST_F(cl, syn_above_the_old_sequence_reopens_a_four_tuple_in_time_wait)
{
	struct xconn *c = &self->c;
	struct xseg *s = &self->s;
	int l, a;

	ASSERT_EQ(0, xtcp_sysctl_set("msl_ms", 5000));
	l = xc_listen(_metadata, 5600, 8, 0);
	xc_peer_handshake(_metadata, &self->p, c, 5600, PEER_PORT, PISN);
	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	close(a);
	XSEG_EXPECT(&self->p, s, 1000, F_FIN | F_ACK, c->isn + 1, PISN + 1);
	CONN_SEND(&self->p, c, PISN + 1, c->isn + 2, F_FIN | F_ACK, NULL, 0);
	XSEG_EXPECT(&self->p, s, 1000, F_ACK, c->isn + 2, PISN + 2);
	ASSERT_EQ(ST_TIME_WAIT, xc_wait_state(5600, PEER_PORT, ST_TIME_WAIT, 1000));

	CONN_SEND(&self->p, c, PISN, 0, F_SYN, NULL, 0);
	XSEG_EXPECT(&self->p, s, 1000, F_ACK, c->isn + 2, PISN + 2);
	EXPECT_EQ(ST_TIME_WAIT, xc_proc_state(5600, PEER_PORT));

	CONN_SEND(&self->p, c, PISN + 100000, 0, F_SYN, NULL, 0);
	XSEG_EXPECT(&self->p, s, 1000, F_SYN | F_ACK, XSEG_ANY, PISN + 100001);
	EXPECT_EQ(ST_SYN_RECV, xc_proc_state(5600, PEER_PORT));
	close(l);
}

TEST_HARNESS_MAIN
