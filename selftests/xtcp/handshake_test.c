// SPDX-License-Identifier: GPL-2.0
/*
 * XTCP's three-way handshake against the scripted peer (RFC 9293 sections
 * 3.5 and 3.10, RFC 5961, and Linux TCP where the RFC leaves a choice):
 * the module as client and as server, lost SYNs and SYN-ACKs, RSTs for
 * closed ports, old duplicates, simultaneous open, and the accept queue.
 *
 * Every test runs in a fresh network namespace with its own short timers.
 * Segment comments read "who flags seq ack", with seq and ack as offsets
 * from the module's ISN (isn) and the peer's (pisn), like packetdrill.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include "kselftest_harness.h"
#include "xtcp_util.h"
#include "peer.h"
#include "xtcp_conn.h"

#define RTO_MS		100	/* rto_initial_ms unless a test says otherwise */
#define SYN_RETRIES	3
#define SYNACK_RETRIES	2
#define PEER_PORT	4000
#define SERVER_PORT	5000
#define PISN		0x10000000u

FIXTURE(hs) {
	struct xpeer p;
	struct xseg s;
	struct bg_connect bg;
	int fds[8];
	int nfds;
};

FIXTURE_SETUP(hs)
{
	ASSERT_EQ(0, xtcp_ensure_loaded());
	ASSERT_EQ(0, xpeer_setup(&self->p));
	/* The namespace is new: its knobs are ours alone. */
	ASSERT_EQ(0, xtcp_sysctl_set("rto_initial_ms", RTO_MS));
	ASSERT_EQ(0, xtcp_sysctl_set("syn_retries", SYN_RETRIES));
	ASSERT_EQ(0, xtcp_sysctl_set("synack_retries", SYNACK_RETRIES));
	ASSERT_EQ(0, xtcp_sysctl_set("msl_ms", 300));
	ASSERT_EQ(0, xtcp_sysctl_set("fin_timeout", 1));
	ASSERT_EQ(0, xtcp_sysctl_set("orphan_retries", 2));
	ASSERT_EQ(0, xtcp_sysctl_set("retries2", 3));
	ASSERT_EQ(0, xtcp_sysctl_set("abort_on_overflow", 0));
	self->nfds = 0;
}

FIXTURE_TEARDOWN(hs)
{
	int i;

	for (i = 0; i < self->nfds; i++)
		xc_close_abort(self->fds[i]);
	xpeer_teardown(&self->p);
}

/* Keeps fd for the teardown to close. */
static int track(FIXTURE_DATA(hs) *self, int fd)
{
	if (fd >= 0 && self->nfds < (int)ARRAY_SIZE(self->fds))
		self->fds[self->nfds++] = fd;
	return fd;
}

static int xtcp_socket(FIXTURE_DATA(hs) *self, int flags)
{
	return track(self, socket(AF_XTCP, SOCK_STREAM | SOCK_CLOEXEC | flags,
				  0));
}

/* ---- the module as client ---- */

/*
 *	module  S   seq isn, <mss 1460>, no data      (SYN_SENT)
 *	peer    S.  seq pisn, ack isn+1
 *	module  .   seq isn+1, ack pisn+1             (ESTABLISHED)
 * and a blocking connect() returns 0.
 */
TEST_F(hs, client_syn_carries_mss_and_synack_completes_connect)
{
	struct xseg *s = &self->s;
	int fd = xtcp_socket(self, 0);
	uint32_t isn;
	uint16_t lport;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bg_connect_start(&self->bg, fd, PEER_PORT));

	XSEG_EXPECT(&self->p, s, 2000, F_SYN, XSEG_ANY, XSEG_ANY);
	isn = s->seq;
	lport = s->sport;
	EXPECT_EQ(PEER_PORT, s->dport);
	EXPECT_EQ(1, s->has_mss);
	EXPECT_EQ(1460, s->mss);	/* xtun0's MTU 1500 - 40 */
	EXPECT_EQ(0, s->len);
	EXPECT_NE(0, s->win);
	EXPECT_EQ(ST_SYN_SENT, xc_proc_state(lport, PEER_PORT));
	EXPECT_EQ(0, __atomic_load_n(&self->bg.done, __ATOMIC_ACQUIRE));

	PEER_SEND(&self->p, PEER_PORT, lport, PISN, isn + 1, F_SYN | F_ACK,
		  NULL, 0);
	XSEG_EXPECT(&self->p, s, 2000, F_ACK, isn + 1, PISN + 1);
	EXPECT_EQ(0, s->len);
	EXPECT_EQ(0, s->has_mss);

	ASSERT_EQ(1, bg_connect_wait(&self->bg, 2000));
	EXPECT_EQ(0, self->bg.ret) TH_LOG("connect: %s", strerror(self->bg.err));
	EXPECT_EQ(ST_ESTABLISHED, xc_proc_state(lport, PEER_PORT));
	EXPECT_EQ(1, xtcp_stat("ActiveOpens"));
	EXPECT_EQ(1, xtcp_stat("CurrEstab"));
	EXPECT_EQ(lport, xc_local_port(fd));
	/* Nothing is retransmitted once the SYN is acknowledged. */
	XSEG_EXPECT_SILENCE(&self->p, 3 * RTO_MS);
}

/*
 *	module  S   seq isn
 *	module  S   seq isn        after rto
 *	module  S   seq isn        after 2*rto
 *	module  S   seq isn        after 4*rto
 *	(syn_retries = 3 retransmissions, then one more doubled timeout)
 * connect() fails ETIMEDOUT; nothing more is sent.
 */
TEST_F_TIMEOUT(hs, client_lost_syn_backs_off_then_connect_times_out, 20)
{
	uint64_t when[SYN_RETRIES + 3], start = xpeer_now_ns();
	struct xseg *s = &self->s;
	int fd = xtcp_socket(self, 0);
	uint32_t isn = 0;
	uint16_t lport = 0;
	double last_gap, fail_gap;
	int n = 0;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bg_connect_start(&self->bg, fd, PEER_PORT));

	/* Read SYNs until connect() gives up (the whole schedule is
	 * (1 + 2 + 4 + 8) * rto = 1.5 s; allow far more).
	 */
	while (n < (int)ARRAY_SIZE(when)) {
		int ret = xpeer_recv(&self->p, s, 500);

		ASSERT_LE(0, ret);
		if (ret == 0) {
			if (__atomic_load_n(&self->bg.done, __ATOMIC_ACQUIRE))
				break;
			ASSERT_GT(10000, ms_between(start, xpeer_now_ns()))
				TH_LOG("connect() still pending after 10 s");
			continue;
		}
		EXPECT_EQ(F_SYN, s->flags);
		EXPECT_EQ(0, s->len);
		EXPECT_EQ(1, s->has_mss);
		if (n == 0) {
			isn = s->seq;
			lport = s->sport;
		}
		EXPECT_EQ(isn, s->seq) TH_LOG("SYN %d changed its seq", n);
		EXPECT_EQ(lport, s->sport);
		when[n++] = s->when_ns;
	}
	ASSERT_EQ(1, bg_connect_wait(&self->bg, 5000));
	EXPECT_EQ(-1, self->bg.ret);
	EXPECT_EQ(ETIMEDOUT, self->bg.err) TH_LOG("connect: %s",
						  strerror(self->bg.err));
	ASSERT_EQ(1 + SYN_RETRIES, n);
	xc_expect_backoff(_metadata, when, n, RTO_MS);

	/* It gives up one more doubled timeout after the last SYN. */
	last_gap = ms_between(when[n - 2], when[n - 1]);
	fail_gap = ms_between(when[n - 1], self->bg.done_ns);
	TH_LOG("connect() failed %.1f ms after the last SYN", fail_gap);
	EXPECT_LE(1.5, fail_gap / last_gap);
	EXPECT_GE(3.0, fail_gap / last_gap);

	EXPECT_EQ(-1, xc_proc_state(lport, PEER_PORT));
	EXPECT_EQ(SYN_RETRIES, xtcp_stat("RetransSegs"));
	EXPECT_EQ(1, xtcp_stat("AttemptFails"));
	XSEG_EXPECT_SILENCE(&self->p, 300);
}

/*
 *	module  S   seq isn
 *	peer    R.  seq 0, ack isn+1
 * connect() fails ECONNREFUSED; the module answers nothing.
 */
TEST_F(hs, client_rst_ack_for_syn_refuses_connect)
{
	struct xseg *s = &self->s;
	int fd = xtcp_socket(self, 0);
	uint32_t isn;
	uint16_t lport;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bg_connect_start(&self->bg, fd, PEER_PORT));
	XSEG_EXPECT(&self->p, s, 2000, F_SYN, XSEG_ANY, XSEG_ANY);
	isn = s->seq;
	lport = s->sport;

	PEER_SEND(&self->p, PEER_PORT, lport, 0, isn + 1, F_RST | F_ACK,
		  NULL, 0);
	ASSERT_EQ(1, bg_connect_wait(&self->bg, 2000));
	EXPECT_EQ(-1, self->bg.ret);
	EXPECT_EQ(ECONNREFUSED, self->bg.err) TH_LOG("connect: %s",
						     strerror(self->bg.err));
	EXPECT_EQ(-1, xc_proc_state(lport, PEER_PORT));
	EXPECT_EQ(1, xtcp_stat("AttemptFails"));
	EXPECT_EQ(0, xtcp_stat("OutRsts"));
	/* No answer to the RST and no SYN retransmission. */
	XSEG_EXPECT_SILENCE(&self->p, 3 * RTO_MS);
}

/*
 * RFC 9293 section 3.10.7.3, SYN-SENT: a RST without ACK, or with an ACK
 * that does not cover our SYN, is dropped.
 *	module  S   seq isn
 *	peer    R   seq 0                 (no ACK: ignored)
 *	peer    R.  seq 0, ack isn+5      (unacceptable ACK: ignored)
 *	peer    S.  seq pisn, ack isn+1
 *	module  .   seq isn+1, ack pisn+1
 */
TEST_F(hs, client_ignores_rst_without_acceptable_ack_in_syn_sent)
{
	struct xseg *s = &self->s;
	int fd = xtcp_socket(self, 0);
	uint32_t isn;
	uint16_t lport;

	ASSERT_EQ(0, xtcp_sysctl_set("rto_initial_ms", 1000));
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bg_connect_start(&self->bg, fd, PEER_PORT));
	XSEG_EXPECT(&self->p, s, 2000, F_SYN, XSEG_ANY, XSEG_ANY);
	isn = s->seq;
	lport = s->sport;

	PEER_SEND(&self->p, PEER_PORT, lport, 0, 0, F_RST, NULL, 0);
	PEER_SEND(&self->p, PEER_PORT, lport, 0, isn + 5, F_RST | F_ACK,
		  NULL, 0);
	XSEG_EXPECT_SILENCE(&self->p, 200);
	EXPECT_EQ(ST_SYN_SENT, xc_proc_state(lport, PEER_PORT));
	EXPECT_EQ(0, __atomic_load_n(&self->bg.done, __ATOMIC_ACQUIRE));

	PEER_SEND(&self->p, PEER_PORT, lport, PISN, isn + 1, F_SYN | F_ACK,
		  NULL, 0);
	XSEG_EXPECT(&self->p, s, 2000, F_ACK, isn + 1, PISN + 1);
	ASSERT_EQ(1, bg_connect_wait(&self->bg, 2000));
	EXPECT_EQ(0, self->bg.ret) TH_LOG("connect: %s", strerror(self->bg.err));
}

/*
 * An old duplicate SYN-ACK whose ACK is not isn+1 (RFC 9293 figure 9):
 *	module  S   seq isn
 *	peer    S.  seq 9999, ack isn+1000
 *	module  R   seq isn+1000          (connect() still pending)
 *	peer    S.  seq pisn, ack isn+1
 *	module  .   seq isn+1, ack pisn+1
 */
TEST_F(hs, client_answers_old_duplicate_synack_with_rst_and_still_connects)
{
	struct xseg *s = &self->s;
	int fd = xtcp_socket(self, 0);
	uint32_t isn;
	uint16_t lport;

	ASSERT_EQ(0, xtcp_sysctl_set("rto_initial_ms", 1000));
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bg_connect_start(&self->bg, fd, PEER_PORT));
	XSEG_EXPECT(&self->p, s, 2000, F_SYN, XSEG_ANY, XSEG_ANY);
	isn = s->seq;
	lport = s->sport;

	PEER_SEND(&self->p, PEER_PORT, lport, 9999, isn + 1000,
		  F_SYN | F_ACK, NULL, 0);
	XSEG_EXPECT(&self->p, s, 1000, F_RST, isn + 1000, XSEG_ANY);
	EXPECT_EQ(PEER_PORT, s->dport);
	EXPECT_EQ(ST_SYN_SENT, xc_proc_state(lport, PEER_PORT));
	EXPECT_EQ(0, __atomic_load_n(&self->bg.done, __ATOMIC_ACQUIRE));

	PEER_SEND(&self->p, PEER_PORT, lport, PISN, isn + 1, F_SYN | F_ACK,
		  NULL, 0);
	XSEG_EXPECT(&self->p, s, 2000, F_ACK, isn + 1, PISN + 1);
	ASSERT_EQ(1, bg_connect_wait(&self->bg, 2000));
	EXPECT_EQ(0, self->bg.ret) TH_LOG("connect: %s", strerror(self->bg.err));
	EXPECT_EQ(ST_ESTABLISHED, xc_proc_state(lport, PEER_PORT));
}

/*
 * Simultaneous open (RFC 9293 figure 8), the module bound to 6000:
 *	module  S   seq isn                        (SYN_SENT)
 *	peer    S   seq pisn                       (crossing SYN)
 *	module  S.  seq isn, ack pisn+1, <mss>     (SYN_RECV)
 *	peer    S.  seq pisn, ack isn+1
 *	                                           (ESTABLISHED, nothing sent)
 * The non-blocking connect completes: POLLOUT, SO_ERROR 0.
 */
TEST_F(hs, simultaneous_open_completes_with_two_segments_from_the_module)
{
	struct sockaddr_in me = xc_addr(XPEER_LOCAL_ADDR, 6000);
	struct sockaddr_in to = xc_addr(XPEER_REMOTE_ADDR, PEER_PORT);
	struct pollfd pfd = { .events = POLLOUT };
	struct xseg *s = &self->s;
	int fd = xtcp_socket(self, SOCK_NONBLOCK);
	socklen_t len = sizeof(int);
	int err = -1, sent = 0;
	uint32_t isn;
	char buf[8];

	ASSERT_EQ(0, xtcp_sysctl_set("rto_initial_ms", 1000));
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&me, sizeof(me)));
	ASSERT_EQ(-1, connect(fd, (struct sockaddr *)&to, sizeof(to)));
	ASSERT_EQ(EINPROGRESS, errno);
	XSEG_EXPECT(&self->p, s, 2000, F_SYN, XSEG_ANY, XSEG_ANY);
	sent++;
	isn = s->seq;
	EXPECT_EQ(6000, s->sport);

	PEER_SEND(&self->p, PEER_PORT, 6000, PISN, 0, F_SYN, NULL, 0);
	XSEG_EXPECT(&self->p, s, 1000, F_SYN | F_ACK, isn, PISN + 1);
	sent++;
	EXPECT_EQ(1, s->has_mss);
	EXPECT_EQ(ST_SYN_RECV, xc_proc_state(6000, PEER_PORT));
	pfd.fd = fd;
	EXPECT_EQ(0, poll(&pfd, 1, 0)) TH_LOG("writable in SYN_RECV");

	PEER_SEND(&self->p, PEER_PORT, 6000, PISN, isn + 1, F_SYN | F_ACK,
		  NULL, 0);
	ASSERT_EQ(1, poll(&pfd, 1, 2000));
	EXPECT_TRUE(pfd.revents & POLLOUT);
	EXPECT_FALSE(pfd.revents & (POLLERR | POLLHUP));
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len));
	EXPECT_EQ(0, err);
	EXPECT_EQ(ST_ESTABLISHED, xc_proc_state(6000, PEER_PORT));
	/* As for TCP, connect() on the now connected socket returns 0. */
	EXPECT_EQ(0, connect(fd, (struct sockaddr *)&to, sizeof(to)))
		TH_LOG("connect: %s", strerror(errno));
	/* RFC 9293 figure 8: the SYN-ACK needs no answer. */
	if (xpeer_expect_silence(&self->p, 300) != 1) {
		sent++;
		xseg_print(&self->p.last, stderr);
	}
	EXPECT_EQ(2, sent);

	/* The connection carries data both ways. */
	ASSERT_EQ(2, send(fd, "hi", 2, MSG_NOSIGNAL));
	XSEG_EXPECT(&self->p, s, 1000, F_PSH | F_ACK, isn + 1, PISN + 1);
	EXPECT_EQ(2, s->len);
	PEER_SEND(&self->p, PEER_PORT, 6000, PISN + 1, isn + 3, F_PSH | F_ACK,
		  "yo", 2);
	EXPECT_EQ(2, recv(fd, buf, sizeof(buf), MSG_DONTWAIT));
}

/* ---- segments to ports nobody listens on ---- */

/*
 *	peer    S   seq 1000 -> 10.0.0.1:5555 (closed)
 *	module  R.  seq 0, ack 1001
 */
TEST_F(hs, syn_to_closed_port_gets_rst_ack_with_seq_zero)
{
	struct xseg *s = &self->s;

	PEER_SEND(&self->p, PEER_PORT, 5555, 1000, 0, F_SYN, NULL, 0);
	XSEG_EXPECT(&self->p, s, 1000, F_RST | F_ACK, 0, 1001);
	EXPECT_EQ(5555, s->sport);
	EXPECT_EQ(PEER_PORT, s->dport);
	EXPECT_EQ(0, s->len);
	EXPECT_EQ(1, xtcp_stat("NoSocket"));
	EXPECT_EQ(1, xtcp_stat("OutRsts"));
	XSEG_EXPECT_SILENCE(&self->p, 200);
}

/*
 * Without ACK, the RST acknowledges all the segment occupied:
 *	peer    P   seq 2000, 3 bytes      -> module R. seq 0, ack 2003
 *	peer    F   seq 3000               -> module R. seq 0, ack 3001
 *	peer    SF  seq 4000, 2 bytes      -> module R. seq 0, ack 4004
 */
TEST_F(hs, segment_without_ack_to_closed_port_is_acked_to_its_end)
{
	struct xseg *s = &self->s;

	PEER_SEND(&self->p, PEER_PORT, 5555, 2000, 0, F_PSH, "abc", 3);
	XSEG_EXPECT(&self->p, s, 1000, F_RST | F_ACK, 0, 2003);
	PEER_SEND(&self->p, PEER_PORT, 5555, 3000, 0, F_FIN, NULL, 0);
	XSEG_EXPECT(&self->p, s, 1000, F_RST | F_ACK, 0, 3001);
	PEER_SEND(&self->p, PEER_PORT, 5555, 4000, 0, F_SYN | F_FIN, "xy", 2);
	XSEG_EXPECT(&self->p, s, 1000, F_RST | F_ACK, 0, 4004);
}

/*
 *	peer    .   seq 1000, ack 7777     -> module R seq 7777 (no ACK)
 *	peer    P.  seq 1000, ack 8888, 5 bytes -> module R seq 8888
 */
TEST_F(hs, ack_to_closed_port_gets_rst_with_seq_of_its_ack)
{
	struct xseg *s = &self->s;

	PEER_SEND(&self->p, PEER_PORT, 5555, 1000, 7777, F_ACK, NULL, 0);
	XSEG_EXPECT(&self->p, s, 1000, F_RST, 7777, XSEG_ANY);
	EXPECT_EQ(0, s->len);
	PEER_SEND(&self->p, PEER_PORT, 5555, 1000, 8888, F_PSH | F_ACK,
		  "hello", 5);
	XSEG_EXPECT(&self->p, s, 1000, F_RST, 8888, XSEG_ANY);
	EXPECT_EQ(2, xtcp_stat("OutRsts"));
}

/* A RST is never answered (RFC 9293 section 3.10.7.1). */
TEST_F(hs, rst_to_closed_port_gets_no_answer)
{
	PEER_SEND(&self->p, PEER_PORT, 5555, 1000, 0, F_RST, NULL, 0);
	PEER_SEND(&self->p, PEER_PORT, 5555, 1000, 7777, F_RST | F_ACK,
		  NULL, 0);
	XSEG_EXPECT_SILENCE(&self->p, 300);
	EXPECT_EQ(2, xc_wait_stat("NoSocket", 2, 1000));
	EXPECT_EQ(0, xtcp_stat("OutRsts"));
}

/* ---- the module as server ---- */

/*
 *	peer    S   seq pisn, <mss 1460>
 *	module  S.  seq isn, ack pisn+1, <mss 1460>   (03 SYN_RECV in /proc)
 *	peer    .   seq pisn+1, ack isn+1
 *	                                     accept() returns, 01 in /proc
 */
TEST_F(hs, server_synack_then_final_ack_makes_accept_return)
{
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	struct xseg *s = &self->s;
	struct xconn c;
	int lfd, fd;

	lfd = track(self, xc_listen(_metadata, SERVER_PORT, 8, 1));
	EXPECT_EQ(ST_LISTEN, xc_proc_state(SERVER_PORT, 0));

	PEER_SEND(&self->p, PEER_PORT, SERVER_PORT, PISN, 0, F_SYN, NULL, 0);
	XSEG_EXPECT(&self->p, s, 1000, F_SYN | F_ACK, XSEG_ANY, PISN + 1);
	c.isn = s->seq;
	EXPECT_EQ(SERVER_PORT, s->sport);
	EXPECT_EQ(PEER_PORT, s->dport);
	EXPECT_EQ(1, s->has_mss);
	EXPECT_EQ(1460, s->mss);
	EXPECT_EQ(0, s->len);
	EXPECT_NE(0, s->win);
	EXPECT_EQ(ST_SYN_RECV, xc_proc_state(SERVER_PORT, PEER_PORT));
	EXPECT_EQ(-1, accept(lfd, NULL, NULL));
	EXPECT_EQ(EAGAIN, errno);

	PEER_SEND(&self->p, PEER_PORT, SERVER_PORT, PISN + 1, c.isn + 1, F_ACK,
		  NULL, 0);
	fd = track(self, accept(lfd, (struct sockaddr *)&peer, &plen));
	ASSERT_LE(0, fd) TH_LOG("accept: %s", strerror(errno));
	EXPECT_EQ(htonl(0x0a000002), peer.sin_addr.s_addr);
	EXPECT_EQ(PEER_PORT, ntohs(peer.sin_port));
	EXPECT_EQ(ST_ESTABLISHED, xc_proc_state(SERVER_PORT, PEER_PORT));
	EXPECT_EQ(0, xc_proc_count(ST_SYN_RECV));
	EXPECT_EQ(1, xtcp_stat("PassiveOpens"));
	EXPECT_EQ(1, xtcp_stat("CurrEstab"));
	/* The SYN-ACK was acknowledged: no retransmission, no answer. */
	XSEG_EXPECT_SILENCE(&self->p, 3 * RTO_MS);

	/* The child speaks from the listener's port with isn+1. */
	ASSERT_EQ(3, send(fd, "abc", 3, MSG_NOSIGNAL));
	XSEG_EXPECT(&self->p, s, 1000, F_PSH | F_ACK, c.isn + 1, PISN + 1);
	EXPECT_EQ(SERVER_PORT, s->sport);
}

/* A blocking accept() sleeps through the SYN and wakes on the final ACK. */
TEST_F(hs, server_blocking_accept_wakes_on_final_ack)
{
	struct bg_call acc;
	struct xconn c;
	int lfd;

	ASSERT_EQ(0, xtcp_sysctl_set("rto_initial_ms", 1000));
	lfd = track(self, xc_listen(_metadata, SERVER_PORT, 8, 0));
	ASSERT_EQ(0, bg_call_start(&acc, bg_accept, lfd));
	xc_peer_syn(_metadata, &self->p, &c, SERVER_PORT, PEER_PORT, PISN);
	sleep_ms(100);
	EXPECT_EQ(0, bg_call_done(&acc)) TH_LOG("accept() returned on a SYN");

	CONN_SEND(&self->p, &c, PISN + 1, c.isn + 1, F_ACK, NULL, 0);
	ASSERT_EQ(1, bg_call_wait(&acc, 2000)) TH_LOG("accept() still asleep");
	EXPECT_LE(0, track(self, acc.ret)) TH_LOG("accept: %s",
						  strerror(acc.err));
}

/*
 * The peer never answers the SYN-ACK:
 *	peer    S   seq pisn
 *	module  S.  seq isn, ack pisn+1
 *	module  S.  seq isn, ack pisn+1     after rto
 *	module  S.  seq isn, ack pisn+1     after 2*rto   (synack_retries = 2)
 *	                                    entry gone after 4*rto more
 *	peer    P.  seq pisn+1, ack isn+1, data   (too late)
 *	module  R   seq isn+1
 */
TEST_F_TIMEOUT(hs, server_lost_synack_backs_off_then_entry_is_dropped, 20)
{
	uint64_t when[SYNACK_RETRIES + 3], gone;
	struct xseg *s = &self->s;
	int lfd, n = 0, ret;
	uint32_t isn = 0;
	double last_gap;

	lfd = track(self, xc_listen(_metadata, SERVER_PORT, 8, 1));
	PEER_SEND(&self->p, PEER_PORT, SERVER_PORT, PISN, 0, F_SYN, NULL, 0);

	for (n = 0; n < 1 + SYNACK_RETRIES; n++) {
		ret = xpeer_recv(&self->p, s, 2000);
		ASSERT_EQ(1, ret) TH_LOG("SYN-ACK %d did not come", n);
		EXPECT_EQ(F_SYN | F_ACK, s->flags);
		if (n == 0)
			isn = s->seq;
		EXPECT_EQ(isn, s->seq) TH_LOG("SYN-ACK %d changed its seq", n);
		EXPECT_EQ(PISN + 1, s->ack);
		when[n] = s->when_ns;
		if (n == 0) {
			EXPECT_EQ(ST_SYN_RECV,
				  xc_proc_state(SERVER_PORT, PEER_PORT));
		}
	}
	xc_expect_backoff(_metadata, when, n, RTO_MS);
	last_gap = ms_between(when[n - 2], when[n - 1]);

	/* The entry goes one doubled timeout after the last SYN-ACK. */
	EXPECT_EQ(-1, xc_wait_state(SERVER_PORT, PEER_PORT, -1, 5000));
	gone = xpeer_now_ns();
	TH_LOG("entry gone %.1f ms after the last SYN-ACK (last gap %.1f)",
	       ms_between(when[n - 1], gone), last_gap);
	EXPECT_LE(1.5, ms_between(when[n - 1], gone) / last_gap);
	EXPECT_GE(3.0, ms_between(when[n - 1], gone) / last_gap);
	XSEG_EXPECT_SILENCE(&self->p, 500);
	EXPECT_EQ(SYNACK_RETRIES, xtcp_stat("RetransSegs"));

	PEER_SEND(&self->p, PEER_PORT, SERVER_PORT, PISN + 1, isn + 1,
		  F_PSH | F_ACK, "late", 4);
	XSEG_EXPECT(&self->p, s, 1000, F_RST, isn + 1, XSEG_ANY);
	EXPECT_EQ(-1, accept(lfd, NULL, NULL));
	EXPECT_EQ(EAGAIN, errno);
}

/*
 * The entry gives up within its schedule: with a 1 s rto and
 * synack_retries = 0, one SYN-ACK, gone after about 1 s.  (Checks the
 * timer's "gone" point, which the test above measures only loosely.)
 */
TEST_F(hs, server_with_synack_retries_zero_sends_one_synack)
{
	struct xseg *s = &self->s;
	uint64_t t0;
	double gone_ms;

	ASSERT_EQ(0, xtcp_sysctl_set("synack_retries", 0));
	ASSERT_EQ(0, xtcp_sysctl_set("rto_initial_ms", 300));
	track(self, xc_listen(_metadata, SERVER_PORT, 8, 1));
	PEER_SEND(&self->p, PEER_PORT, SERVER_PORT, PISN, 0, F_SYN, NULL, 0);
	XSEG_EXPECT(&self->p, s, 1000, F_SYN | F_ACK, XSEG_ANY, PISN + 1);
	t0 = s->when_ns;
	EXPECT_EQ(-1, xc_wait_state(SERVER_PORT, PEER_PORT, -1, 3000));
	gone_ms = ms_between(t0, xpeer_now_ns());
	TH_LOG("entry gone after %.1f ms", gone_ms);
	EXPECT_LE(300 * 0.8, gone_ms);
	EXPECT_GE(300 * 4, gone_ms);
	XSEG_EXPECT_SILENCE(&self->p, 300);
}

/*
 * A retransmitted SYN means our SYN-ACK was lost: it is sent again at
 * once, the same (the timer, 1 s here, has not fired yet).
 *	peer    S   seq pisn
 *	module  S.  seq isn, ack pisn+1
 *	peer    S   seq pisn
 *	module  S.  seq isn, ack pisn+1
 */
TEST_F(hs, server_answers_retransmitted_syn_with_same_synack)
{
	struct xseg *s = &self->s;
	struct xconn c;
	uint64_t t0;

	ASSERT_EQ(0, xtcp_sysctl_set("rto_initial_ms", 1000));
	track(self, xc_listen(_metadata, SERVER_PORT, 8, 1));
	xc_peer_syn(_metadata, &self->p, &c, SERVER_PORT, PEER_PORT, PISN);
	t0 = xpeer_now_ns();
	PEER_SEND(&self->p, PEER_PORT, SERVER_PORT, PISN, 0, F_SYN, NULL, 0);
	XSEG_EXPECT(&self->p, s, 2000, F_SYN | F_ACK, c.isn, PISN + 1);
	EXPECT_GT(500, ms_between(t0, s->when_ns))
		TH_LOG("the answer came from the timer, not the SYN");
	EXPECT_EQ(1, xc_proc_count(ST_SYN_RECV));
}

/*
 * The final ACK is lost but the first data segment carries the same ACK:
 *	peer    S   seq pisn
 *	module  S.  seq isn, ack pisn+1
 *	peer    P.  seq pisn+1, ack isn+1, "hello"
 *	                    accept() returns, recv() gets "hello"
 *	module  .   seq isn+1, ack pisn+6
 */
TEST_F(hs, server_data_segment_completes_handshake_when_final_ack_is_lost)
{
	struct xseg *s = &self->s;
	struct xconn c;
	char buf[16] = { 0 };
	int lfd, fd;

	ASSERT_EQ(0, xtcp_sysctl_set("rto_initial_ms", 1000));
	lfd = track(self, xc_listen(_metadata, SERVER_PORT, 8, 1));
	xc_peer_syn(_metadata, &self->p, &c, SERVER_PORT, PEER_PORT, PISN);
	CONN_SEND(&self->p, &c, PISN + 1, c.isn + 1, F_PSH | F_ACK, "hello", 5);

	fd = track(self, accept(lfd, NULL, NULL));
	ASSERT_LE(0, fd) TH_LOG("accept: %s", strerror(errno));
	EXPECT_EQ(5, recv(fd, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_STREQ("hello", buf);
	XSEG_EXPECT(&self->p, s, 1000, F_ACK, c.isn + 1, PISN + 6);
	EXPECT_EQ(ST_ESTABLISHED, xc_proc_state(SERVER_PORT, PEER_PORT));
	EXPECT_EQ(0, xc_proc_count(ST_SYN_RECV));
}

/*
 * A final ACK that acknowledges something else gets a RST, and the
 * entry stays for the right one (RFC 9293 section 3.10.7.4, SYN-RECEIVED).
 *	peer    .   seq pisn+1, ack isn+100
 *	module  R   seq isn+100
 *	peer    .   seq pisn+1, ack isn+1      accept() returns
 */
TEST_F(hs, server_rejects_final_ack_with_wrong_ack_number)
{
	struct xseg *s = &self->s;
	struct xconn c;
	int lfd;

	ASSERT_EQ(0, xtcp_sysctl_set("rto_initial_ms", 1000));
	lfd = track(self, xc_listen(_metadata, SERVER_PORT, 8, 1));
	xc_peer_syn(_metadata, &self->p, &c, SERVER_PORT, PEER_PORT, PISN);
	CONN_SEND(&self->p, &c, PISN + 1, c.isn + 100, F_ACK, NULL, 0);
	XSEG_EXPECT(&self->p, s, 1000, F_RST, c.isn + 100, XSEG_ANY);
	EXPECT_EQ(ST_SYN_RECV, xc_proc_state(SERVER_PORT, PEER_PORT));
	EXPECT_EQ(-1, accept(lfd, NULL, NULL));

	CONN_SEND(&self->p, &c, PISN + 1, c.isn + 1, F_ACK, NULL, 0);
	EXPECT_LE(0, track(self, accept(lfd, NULL, NULL)))
		TH_LOG("accept: %s", strerror(errno));
}

/*
 * The peer gives up on the handshake with a RST at exactly pisn+1:
 * the entry goes without an answer, and a late ACK finds no one.
 *	peer    R   seq pisn+1
 *	peer    .   seq pisn+1, ack isn+1
 *	module  R   seq isn+1
 */
TEST_F(hs, server_rst_at_rcv_nxt_removes_syn_recv_entry)
{
	struct xseg *s = &self->s;
	struct xconn c;
	int lfd;

	ASSERT_EQ(0, xtcp_sysctl_set("rto_initial_ms", 1000));
	lfd = track(self, xc_listen(_metadata, SERVER_PORT, 8, 1));
	xc_peer_syn(_metadata, &self->p, &c, SERVER_PORT, PEER_PORT, PISN);
	CONN_SEND(&self->p, &c, PISN + 1, 0, F_RST, NULL, 0);
	EXPECT_EQ(-1, xc_wait_state(SERVER_PORT, PEER_PORT, -1, 1000));
	XSEG_EXPECT_SILENCE(&self->p, 200);

	CONN_SEND(&self->p, &c, PISN + 1, c.isn + 1, F_ACK, NULL, 0);
	XSEG_EXPECT(&self->p, s, 1000, F_RST, c.isn + 1, XSEG_ANY);
	EXPECT_EQ(-1, accept(lfd, NULL, NULL));
	EXPECT_EQ(EAGAIN, errno);
}

/* The peer's ISN just below 2^32: everything after the SYN wraps. */
TEST_F(hs, server_handshake_and_data_across_sequence_wrap)
{
	const uint32_t pisn = 0xffffffffu;
	struct xseg *s = &self->s;
	struct xconn c;
	char buf[8] = { 0 };
	int lfd, fd;

	ASSERT_EQ(0, xtcp_sysctl_set("rto_initial_ms", 1000));
	lfd = track(self, xc_listen(_metadata, SERVER_PORT, 8, 1));
	/* The SYN-ACK acknowledges pisn + 1 = 0. */
	xc_peer_syn(_metadata, &self->p, &c, SERVER_PORT, PEER_PORT, pisn);
	CONN_SEND(&self->p, &c, 0, c.isn + 1, F_ACK, NULL, 0);
	fd = track(self, accept(lfd, NULL, NULL));
	ASSERT_LE(0, fd);
	CONN_SEND(&self->p, &c, 0, c.isn + 1, F_PSH | F_ACK, "wrap", 4);
	EXPECT_EQ(4, recv(fd, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_STREQ("wrap", buf);
	XSEG_EXPECT(&self->p, s, 1000, F_ACK, c.isn + 1, 4);
}

/* ---- the accept queue ---- */

/*
 * listen(backlog = 1): Linux admits backlog + 1 connections, so two
 * complete handshakes land; with both queued a third SYN is dropped
 * (ListenOverflows), and answered once accept() made room.
 */
TEST_F(hs, accept_queue_admits_backlog_plus_one)
{
	struct xconn c1, c2, c3;
	int lfd;

	ASSERT_EQ(0, xtcp_sysctl_set("rto_initial_ms", 1000));
	lfd = track(self, xc_listen(_metadata, SERVER_PORT, 1, 1));
	xc_peer_handshake(_metadata, &self->p, &c1, SERVER_PORT, 4001, PISN);
	xc_peer_handshake(_metadata, &self->p, &c2, SERVER_PORT, 4002,
			  PISN + 1000);
	EXPECT_EQ(ST_ESTABLISHED, xc_wait_state(SERVER_PORT, 4001,
						ST_ESTABLISHED, 1000));
	EXPECT_EQ(ST_ESTABLISHED, xc_wait_state(SERVER_PORT, 4002,
						ST_ESTABLISHED, 1000));
	EXPECT_EQ(0, xtcp_stat("ListenOverflows"));

	/* Full: the third SYN finds no room and gets no SYN-ACK. */
	PEER_SEND(&self->p, 4003, SERVER_PORT, PISN + 2000, 0, F_SYN, NULL, 0);
	XSEG_EXPECT_SILENCE(&self->p, 300);
	EXPECT_EQ(1, xtcp_stat("ListenOverflows"));
	EXPECT_EQ(-1, xc_proc_state(SERVER_PORT, 4003));

	EXPECT_LE(0, track(self, accept(lfd, NULL, NULL)));
	EXPECT_LE(0, track(self, accept(lfd, NULL, NULL)));
	EXPECT_EQ(-1, accept(lfd, NULL, NULL));
	EXPECT_EQ(EAGAIN, errno);

	/* Room again: the peer's retransmitted SYN is answered. */
	xc_peer_syn(_metadata, &self->p, &c3, SERVER_PORT, 4003, PISN + 2000);
	EXPECT_EQ(ST_SYN_RECV, xc_proc_state(SERVER_PORT, 4003));
}

/*
 * listen(backlog = 2): three connections land (backlog + 1).  A fourth
 * handshake whose SYN came while there was room has its final ACK
 * dropped when the queue is full: ListenOverflows, no socket, no RST; the
 * entry stays, and the same ACK is taken once accept() made room.
 *	H1, H2 complete; H3 S, H4 S answered; H3 . lands; H4 . dropped
 */
TEST_F(hs, final_ack_on_full_accept_queue_is_dropped)
{
	struct xconn c1, c2, c3, c4;
	int lfd, i;

	ASSERT_EQ(0, xtcp_sysctl_set("rto_initial_ms", 1000));
	lfd = track(self, xc_listen(_metadata, SERVER_PORT, 2, 1));
	xc_peer_handshake(_metadata, &self->p, &c1, SERVER_PORT, 4001, PISN);
	xc_peer_handshake(_metadata, &self->p, &c2, SERVER_PORT, 4002, PISN);
	xc_peer_syn(_metadata, &self->p, &c3, SERVER_PORT, 4003, PISN);
	xc_peer_syn(_metadata, &self->p, &c4, SERVER_PORT, 4004, PISN);
	CONN_SEND(&self->p, &c3, PISN + 1, c3.isn + 1, F_ACK, NULL, 0);
	EXPECT_EQ(ST_ESTABLISHED, xc_wait_state(SERVER_PORT, 4003,
						ST_ESTABLISHED, 1000));
	EXPECT_EQ(0, xtcp_stat("ListenOverflows"));

	CONN_SEND(&self->p, &c4, PISN + 1, c4.isn + 1, F_ACK, NULL, 0);
	EXPECT_EQ(1, xc_wait_stat("ListenOverflows", 1, 1000));
	XSEG_EXPECT_SILENCE(&self->p, 300);
	EXPECT_EQ(ST_SYN_RECV, xc_proc_state(SERVER_PORT, 4004));

	for (i = 0; i < 3; i++) {
		EXPECT_LE(0, track(self, accept(lfd, NULL, NULL)))
			TH_LOG("accept %d: %s", i, strerror(errno));
	}
	EXPECT_EQ(-1, accept(lfd, NULL, NULL));
	EXPECT_EQ(EAGAIN, errno);

	CONN_SEND(&self->p, &c4, PISN + 1, c4.isn + 1, F_ACK, NULL, 0);
	EXPECT_EQ(ST_ESTABLISHED, xc_wait_state(SERVER_PORT, 4004,
						ST_ESTABLISHED, 1000));
	EXPECT_LE(0, track(self, accept(lfd, NULL, NULL)))
		TH_LOG("accept: %s", strerror(errno));
}

/* As above with abort_on_overflow = 1: the dropped final ACK gets
 * R seq isn4+1, and the entry is gone.
 */
TEST_F(hs, abort_on_overflow_resets_final_ack_on_full_queue)
{
	struct xseg *s = &self->s;
	struct xconn c1, c2, c3, c4;
	int lfd;

	ASSERT_EQ(0, xtcp_sysctl_set("rto_initial_ms", 1000));
	ASSERT_EQ(0, xtcp_sysctl_set("abort_on_overflow", 1));
	lfd = track(self, xc_listen(_metadata, SERVER_PORT, 2, 1));
	xc_peer_handshake(_metadata, &self->p, &c1, SERVER_PORT, 4001, PISN);
	xc_peer_handshake(_metadata, &self->p, &c2, SERVER_PORT, 4002, PISN);
	xc_peer_syn(_metadata, &self->p, &c3, SERVER_PORT, 4003, PISN);
	xc_peer_syn(_metadata, &self->p, &c4, SERVER_PORT, 4004, PISN);
	CONN_SEND(&self->p, &c3, PISN + 1, c3.isn + 1, F_ACK, NULL, 0);
	EXPECT_EQ(ST_ESTABLISHED, xc_wait_state(SERVER_PORT, 4003,
						ST_ESTABLISHED, 1000));

	CONN_SEND(&self->p, &c4, PISN + 1, c4.isn + 1, F_ACK, NULL, 0);
	XSEG_EXPECT(&self->p, s, 1000, F_RST, c4.isn + 1, XSEG_ANY);
	EXPECT_EQ(4004, s->dport);
	EXPECT_EQ(1, xtcp_stat("ListenOverflows"));
	EXPECT_EQ(-1, xc_proc_state(SERVER_PORT, 4004));
	/* The three that landed are unharmed. */
	EXPECT_EQ(3, xc_proc_count(ST_ESTABLISHED));
	EXPECT_LE(0, track(self, accept(lfd, NULL, NULL)));
}

/* accept() on an empty queue: EAGAIN when non-blocking; accept4() sets
 * SOCK_NONBLOCK and SOCK_CLOEXEC on the new descriptor, accept() neither.
 */
TEST_F(hs, nonblocking_accept_and_accept4_flags)
{
	struct xconn c1, c2;
	char buf[4];
	int lfd, fd;

	ASSERT_EQ(0, xtcp_sysctl_set("rto_initial_ms", 1000));
	lfd = track(self, xc_listen(_metadata, SERVER_PORT, 8, 1));
	EXPECT_EQ(-1, accept(lfd, NULL, NULL));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(-1, accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC));
	EXPECT_EQ(EAGAIN, errno);

	xc_peer_handshake(_metadata, &self->p, &c1, SERVER_PORT, 4001, PISN);
	fd = track(self, accept4(lfd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC));
	ASSERT_LE(0, fd) TH_LOG("accept4: %s", strerror(errno));
	EXPECT_TRUE(fcntl(fd, F_GETFL) & O_NONBLOCK);
	EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(-1, recv(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(EAGAIN, errno);

	xc_peer_handshake(_metadata, &self->p, &c2, SERVER_PORT, 4002, PISN);
	fd = track(self, accept(lfd, NULL, NULL));
	ASSERT_LE(0, fd) TH_LOG("accept: %s", strerror(errno));
	EXPECT_FALSE(fcntl(fd, F_GETFL) & O_NONBLOCK);
	EXPECT_FALSE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
}

TEST_HARNESS_MAIN
