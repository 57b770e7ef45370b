// SPDX-License-Identifier: GPL-2.0
/*
 * XTCP's defences against off-path attackers, against the scripted peer:
 * syncookies (a SYN-ACK that keeps no state when the SYN queue is full,
 * as Linux TCP's), keyed initial sequence numbers (RFC 6528), and RFC
 * 5961's challenge ACKs for unacceptable ACKs, with their rate limit.
 *
 * The cookie is the SYN-ACK's sequence number: bits 31..8 a keyed hash of
 * the four-tuple, the peer's ISN and the time slot; bits 7..3 the slot
 * modulo 32; bits 2..0 the MSS as an index into cookie_mss[] below.  A
 * cookie is good while its slot is the current or the previous one
 * (net.xtcp.syncookie_period_ms each).  The tests read the slot and MSS
 * bits to know where they stand, never the hash.
 *
 * Every test runs in a fresh network namespace.  Segment comments read
 * "who flags seq ack", with seq and ack as offsets from the module's ISN
 * (isn, or the cookie c) and the peer's (pisn), like packetdrill.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "kselftest_harness.h"
#include "xtcp_util.h"
#include "peer.h"
#include "xtcp_conn.h"

/*
 * Long enough that no SYN-ACK or data is retransmitted while a test looks
 * (none counts retransmissions; the one that relies on no timer running
 * lowers it), short enough that a socket left to exit()'s graceful close
 * is gone within seconds: the kselftest harness (6.12's) skips
 * FIXTURE_TEARDOWN after a failed ASSERT, so exit() closes the sockets
 * gracefully, and an orphan's FIN is resent orphan_retries times.
 */
#define RTO_MS		1000
#define LPORT		5000	/* the module's listener */
#define PEER_PORT	4000	/* the peer's port when the module connects */
#define PISN		0x30000000u

/* The MSS values a cookie can carry, by index (bits 2..0). */
static const uint16_t cookie_mss[8] = {
	536, 1220, 1300, 1440, 1460, 4312, 8960, 65483,
};

#define ROUTE_MSS	1460	/* xtun0's MTU 1500 - 40 */

static unsigned int cookie_slot(uint32_t c)
{
	return (c >> 3) & 31;
}

/* How many slots lie between a cookie's and a later one's. */
static unsigned int slot_age(uint32_t older, uint32_t newer)
{
	return (cookie_slot(newer) - cookie_slot(older)) & 31;
}

FIXTURE(sc) {
	struct xpeer p;
	struct xseg s;
	int fds[16];
	int nfds;
};

FIXTURE_SETUP(sc)
{
	ASSERT_EQ(0, xtcp_ensure_loaded());
	ASSERT_EQ(0, xpeer_setup(&self->p));
	/* The namespace is new: its knobs are ours alone. */
	ASSERT_EQ(0, xtcp_sysctl_set("rto_initial_ms", RTO_MS));
	ASSERT_EQ(0, xtcp_sysctl_set("syn_retries", 3));
	ASSERT_EQ(0, xtcp_sysctl_set("synack_retries", 2));
	ASSERT_EQ(0, xtcp_sysctl_set("msl_ms", 300));
	ASSERT_EQ(0, xtcp_sysctl_set("fin_timeout", 1));
	ASSERT_EQ(0, xtcp_sysctl_set("orphan_retries", 1));
	ASSERT_EQ(0, xtcp_sysctl_set("retries2", 3));
	ASSERT_EQ(0, xtcp_sysctl_set("abort_on_overflow", 0));
	self->nfds = 0;
}

FIXTURE_TEARDOWN(sc)
{
	int i;

	for (i = 0; i < self->nfds; i++)
		xc_close_abort(self->fds[i]);
	xpeer_teardown(&self->p);
}

/* Keeps fd for the teardown to close. */
static int track(FIXTURE_DATA(sc) *self, int fd)
{
	if (fd >= 0 && self->nfds < (int)ARRAY_SIZE(self->fds))
		self->fds[self->nfds++] = fd;
	return fd;
}

/*
 * The peer's SYN from rport to the listener, with an MSS option unless
 * mss is 0, and the SYN-ACK it gets; returns the SYN-ACK's seq (an ISN or
 * a cookie).
 *	peer    S   seq pisn [<mss>]
 *	module  S.  seq c, ack pisn+1, <mss 1460>
 */
static uint32_t syn_for_synack(struct __test_metadata *_metadata,
			       FIXTURE_DATA(sc) *self, uint16_t rport,
			       uint32_t pisn, uint16_t mss)
{
	struct xseg syn = xc_seg(rport, LPORT, pisn, 0, F_SYN);
	struct xseg *s = &self->s;

	syn.has_mss = mss != 0;
	syn.mss = mss;
	ASSERT_EQ(0, xpeer_send(&self->p, &syn));
	XSEG_EXPECT(&self->p, s, 2000, F_SYN | F_ACK, XSEG_ANY, pisn + 1);
	EXPECT_EQ(LPORT, s->sport);
	EXPECT_EQ(rport, s->dport);
	EXPECT_EQ(0, s->len);
	EXPECT_EQ(1, s->has_mss);
	EXPECT_EQ(ROUTE_MSS, s->mss);
	return s->seq;
}

/* accept() on a non-blocking listener once it is readable, or -1. */
static int accept_within(FIXTURE_DATA(sc) *self, int lfd, int ms)
{
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };

	if (poll(&pfd, 1, ms) != 1)
		return -1;
	return track(self, accept4(lfd, NULL, NULL, SOCK_CLOEXEC));
}

/* The port of the peer an accepted socket talks to. */
static int peer_port_of(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	if (getpeername(fd, (struct sockaddr *)&sin, &len))
		return -1;
	return ntohs(sin.sin_port);
}

/*
 * A cookie's final ACK from rport, answered by a child on the accept
 * queue: returns the accepted socket.
 *	peer    .   seq pisn+1, ack c+1
 */
static int cookie_ack_accept(struct __test_metadata *_metadata,
			     FIXTURE_DATA(sc) *self, int lfd, uint16_t rport,
			     uint32_t pisn, uint32_t c)
{
	int fd;

	PEER_SEND(&self->p, rport, LPORT, pisn + 1, c + 1, F_ACK, NULL, 0);
	fd = accept_within(self, lfd, 2000);
	ASSERT_LE(0, fd) TH_LOG("no child for the cookie of port %u: %s",
				rport, strerror(errno));
	EXPECT_EQ(rport, peer_port_of(fd));
	EXPECT_EQ(ST_ESTABLISHED, xc_proc_state(LPORT, rport));
	return fd;
}

/*
 * A cookie's final ACK that must be refused (seq and ack the caller's):
 *	peer    .   seq S, ack A
 *	module  R   seq A
 * and no child is made.  Failures do not stop the test, so that the log
 * shows what became of the ACK (a child, say).
 */
static void cookie_ack_refused(struct __test_metadata *_metadata,
			       FIXTURE_DATA(sc) *self, int lfd, uint16_t rport,
			       uint32_t seq, uint32_t ack)
{
	struct xseg *s = &self->s;
	char line[256];
	int ret, fd;

	PEER_SEND(&self->p, rport, LPORT, seq, ack, F_ACK, NULL, 0);
	ret = xpeer_recv(&self->p, s, 1000);
	EXPECT_EQ(1, ret) TH_LOG("no RST for . seq %08x ack %08x from %u",
				 seq, ack, rport);
	if (ret == 1) {
		xseg_snprint(line, sizeof(line), s);
		EXPECT_EQ(F_RST, s->flags) TH_LOG("%s", line);
		EXPECT_EQ(ack, s->seq) TH_LOG("%s", line);
		EXPECT_EQ(LPORT, s->sport) TH_LOG("%s", line);
		EXPECT_EQ(rport, s->dport) TH_LOG("%s", line);
		EXPECT_EQ(0, s->len) TH_LOG("%s", line);
	}
	EXPECT_EQ(-1, xc_proc_state(LPORT, rport))
		TH_LOG("the ACK made a connection (state %d)",
		       xc_proc_state(LPORT, rport));
	fd = track(self, accept(lfd, NULL, NULL));
	EXPECT_EQ(-1, fd) TH_LOG("accept() returned the ACK's child");
	if (fd < 0)
		EXPECT_EQ(EAGAIN, errno);
}

/*
 * SYNs from the probe port until the cookie's slot is at least age slots
 * after ref's (within timeout_ms); returns the last probe's cookie.
 * Cookies keep no state, so probing costs nothing but SyncookiesSent.
 */
static uint32_t probe_until_slot_age(struct __test_metadata *_metadata,
				     FIXTURE_DATA(sc) *self, uint32_t ref,
				     unsigned int age, int timeout_ms)
{
	uint64_t end = xpeer_now_ns() + timeout_ms * MS;
	uint32_t q;

	for (;;) {
		q = syn_for_synack(_metadata, self, 4999, 0x12345678, 1460);
		if (slot_age(ref, q) >= age && slot_age(ref, q) < 16)
			return q;
		ASSERT_GT(end, xpeer_now_ns())
			TH_LOG("slot still %u, %u slots after %u, after %d ms",
			       cookie_slot(q), slot_age(ref, q),
			       cookie_slot(ref), timeout_ms);
		sleep_ms(5);
	}
}

/*
 * Reads the module's data to rport until total bytes of data came:
 * segments of exactly mss bytes but the last, in order from seq; bare
 * ACKs are skipped.  The peer acknowledges them all.
 */
static void expect_segments(struct __test_metadata *_metadata,
			    FIXTURE_DATA(sc) *self, uint16_t rport,
			    uint32_t seq, uint32_t ack, const char *data,
			    size_t total, unsigned int mss)
{
	struct xseg *s = &self->s;
	size_t got = 0, want;
	char line[256];
	int nseg = 0;

	while (got < total) {
		ASSERT_EQ(1, xpeer_recv(&self->p, s, 2000))
			TH_LOG("%zu of %zu bytes came", got, total);
		xseg_snprint(line, sizeof(line), s);
		if (s->dport != rport || (!s->len && s->flags == F_ACK))
			continue;
		want = total - got < mss ? total - got : mss;
		EXPECT_EQ(F_ACK, s->flags & ~F_PSH) TH_LOG("%s", line);
		EXPECT_EQ(seq + got, s->seq) TH_LOG("%s", line);
		EXPECT_EQ(ack, s->ack) TH_LOG("%s", line);
		EXPECT_EQ(want, s->len)
			TH_LOG("segment %d: %zu bytes, MSS %u: %s", nseg,
			       s->len, mss, line);
		ASSERT_LT(0, s->len);
		ASSERT_GE(total - got, s->len) TH_LOG("%s", line);
		EXPECT_EQ(0, memcmp(s->data, data + got, s->len))
			TH_LOG("segment %d: wrong bytes", nseg);
		got += s->len;
		nseg++;
	}
	EXPECT_EQ(total, got);
	PEER_SEND(&self->p, rport, LPORT, ack, seq + total, F_ACK, NULL, 0);
}

/* ---- knobs ---- */

TEST_F(sc, syncookie_and_challenge_ack_knobs_have_defaults_and_ranges)
{
	EXPECT_EQ(1, xtcp_sysctl_get("syncookies"));
	EXPECT_EQ(64000, xtcp_sysctl_get("syncookie_period_ms"));
	/* Off (INT_MAX) as in Linux since 6.0; one answer a socket per
	 * invalid_ratelimit_ms does the work.
	 */
	EXPECT_EQ(2147483647, xtcp_sysctl_get("challenge_ack_limit"));
	EXPECT_EQ(500, xtcp_sysctl_get("invalid_ratelimit_ms"));
	EXPECT_EQ(-EINVAL, xtcp_sysctl_set("invalid_ratelimit_ms", -1));
	EXPECT_EQ(0, xtcp_sysctl_set("invalid_ratelimit_ms", 0));

	EXPECT_EQ(-EINVAL, xtcp_sysctl_set("syncookies", 3));
	EXPECT_EQ(-EINVAL, xtcp_sysctl_set("syncookies", -1));
	EXPECT_EQ(-EINVAL, xtcp_sysctl_set("syncookie_period_ms", 9));
	EXPECT_EQ(-EINVAL, xtcp_sysctl_set("challenge_ack_limit", -1));
	EXPECT_EQ(1, xtcp_sysctl_get("syncookies"));

	EXPECT_EQ(0, xtcp_sysctl_set("syncookies", 0));
	EXPECT_EQ(0, xtcp_sysctl_set("syncookies", 2));
	EXPECT_EQ(0, xtcp_sysctl_set("syncookie_period_ms", 10));
	EXPECT_EQ(0, xtcp_sysctl_set("challenge_ack_limit", 0));
	EXPECT_EQ(0, xtcp_stat("SyncookiesSent"));
	EXPECT_EQ(0, xtcp_stat("SyncookiesRecv"));
	EXPECT_EQ(0, xtcp_stat("SyncookiesFailed"));
	EXPECT_EQ(0, xtcp_stat("ChallengeACKsSkipped"));
}

/* ---- when cookies are sent ---- */

/*
 * net.xtcp.syncookies = 1 (the default), listen(backlog = 2):
 *	peer 4001  S   -> S.  (03 SYN_RECV)
 *	peer 4002  S   -> S.  (03 SYN_RECV: the SYN queue is now full)
 *	peer 4003  S   -> S.  seq c, no entry      SyncookiesSent 1
 *	peer 4003  .   seq pisn+1, ack c+1          accept() returns it
 */
TEST_F(sc, cookie_is_sent_only_when_the_syn_queue_is_full)
{
	uint32_t c;
	int lfd;

	lfd = track(self, xc_listen(_metadata, LPORT, 2, 1));
	syn_for_synack(_metadata, self, 4001, PISN, 1460);
	syn_for_synack(_metadata, self, 4002, PISN, 1460);
	EXPECT_EQ(2, xc_proc_count(ST_SYN_RECV));
	EXPECT_EQ(0, xtcp_stat("SyncookiesSent"));

	c = syn_for_synack(_metadata, self, 4003, PISN, 1460);
	EXPECT_EQ(1, xtcp_stat("SyncookiesSent"));
	EXPECT_EQ(2, xc_proc_count(ST_SYN_RECV));
	EXPECT_EQ(-1, xc_proc_state(LPORT, 4003));
	EXPECT_EQ(ST_SYN_RECV, xc_proc_state(LPORT, 4001));
	EXPECT_EQ(ST_SYN_RECV, xc_proc_state(LPORT, 4002));
	EXPECT_EQ(0, xtcp_stat("ListenDrops"));

	/* The cookie alone completes the handshake. */
	cookie_ack_accept(_metadata, self, lfd, 4003, PISN, c);
	EXPECT_EQ(1, xtcp_stat("SyncookiesRecv"));
	EXPECT_EQ(2, xc_proc_count(ST_SYN_RECV));
}

/*
 * net.xtcp.syncookies = 2: every SYN gets a cookie and leaves nothing
 * behind, not even a retransmission timer (rto 100 ms here).  The same
 * SYN again gets the same cookie.
 *	peer 4001  S   seq pisn      -> S. seq c
 *	peer 4002  S   seq pisn+7    -> S. seq c2
 *	(nothing for 500 ms)
 *	peer 4001  S   seq pisn      -> S. seq c
 */
TEST_F(sc, syncookies_2_answers_every_syn_with_a_cookie)
{
	uint32_t c, c2;

	ASSERT_EQ(0, xtcp_sysctl_set("syncookies", 2));
	ASSERT_EQ(0, xtcp_sysctl_set("rto_initial_ms", 100));
	track(self, xc_listen(_metadata, LPORT, 8, 1));

	c = syn_for_synack(_metadata, self, 4001, PISN, 1460);
	EXPECT_EQ(0, xc_proc_count(ST_SYN_RECV));
	EXPECT_EQ(-1, xc_proc_state(LPORT, 4001));
	EXPECT_EQ(1, xtcp_stat("SyncookiesSent"));

	c2 = syn_for_synack(_metadata, self, 4002, PISN + 7, 1460);
	EXPECT_NE(c, c2);
	EXPECT_EQ(0, xc_proc_count(ST_SYN_RECV));
	EXPECT_EQ(2, xtcp_stat("SyncookiesSent"));

	/* No entry, so no timer: no SYN-ACK is ever sent again. */
	XSEG_EXPECT_SILENCE(&self->p, 500);
	EXPECT_EQ(0, xtcp_stat("RetransSegs"));

	/* Stateless but deterministic: the peer's retransmitted SYN. */
	EXPECT_EQ(c, syn_for_synack(_metadata, self, 4001, PISN, 1460));
	EXPECT_EQ(3, xtcp_stat("SyncookiesSent"));
	EXPECT_EQ(0, xc_proc_count(ST_SYN_RECV));
}

/* ---- the cookie's ACK ---- */

/*
 *	peer    S   seq pisn, <mss 1460>
 *	module  S.  seq c, ack pisn+1                  (no entry)
 *	peer    P.  seq pisn+1, ack c+1, "hello"
 *	                  accept() returns, recv() gets "hello"
 *	module  .   seq c+1, ack pisn+6
 *	module  P.  seq c+1, ack pisn+6, "world"       (send() on the child)
 *	peer    P.  seq pisn+6, ack c+6, "again"
 *	module  .   seq c+6, ack pisn+11
 */
TEST_F(sc, cookie_ack_completes_the_handshake_and_data_flows_both_ways)
{
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	struct pollfd pfd;
	struct xseg *s = &self->s;
	char buf[16] = { 0 };
	int lfd, fd;
	uint32_t c;

	ASSERT_EQ(0, xtcp_sysctl_set("syncookies", 2));
	lfd = track(self, xc_listen(_metadata, LPORT, 8, 1));
	c = syn_for_synack(_metadata, self, 4001, PISN, 1460);
	EXPECT_EQ(0, xc_proc_count(ST_SYN_RECV));
	EXPECT_EQ(-1, accept(lfd, NULL, NULL));
	EXPECT_EQ(EAGAIN, errno);

	PEER_SEND(&self->p, 4001, LPORT, PISN + 1, c + 1, F_PSH | F_ACK,
		  "hello", 5);
	pfd.fd = lfd;
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, 2000)) TH_LOG("no child for the cookie");
	fd = track(self, accept(lfd, (struct sockaddr *)&peer, &plen));
	ASSERT_LE(0, fd) TH_LOG("accept: %s", strerror(errno));
	EXPECT_EQ(htonl(0x0a000002), peer.sin_addr.s_addr);
	EXPECT_EQ(4001, ntohs(peer.sin_port));
	EXPECT_EQ(LPORT, xc_local_port(fd));
	EXPECT_EQ(ST_ESTABLISHED, xc_proc_state(LPORT, 4001));
	EXPECT_EQ(1, xtcp_stat("SyncookiesRecv"));
	EXPECT_EQ(0, xtcp_stat("SyncookiesFailed"));
	EXPECT_EQ(1, xtcp_stat("PassiveOpens"));
	EXPECT_EQ(1, xtcp_stat("CurrEstab"));

	/* The data in the cookie's ACK is the child's. */
	EXPECT_EQ(5, recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT));
	EXPECT_STREQ("hello", buf);
	XSEG_EXPECT(&self->p, s, 1000, F_ACK, c + 1, PISN + 6);

	/* The child's sequence space starts at the cookie. */
	ASSERT_EQ(5, send(fd, "world", 5, MSG_NOSIGNAL));
	XSEG_EXPECT(&self->p, s, 1000, F_PSH | F_ACK, c + 1, PISN + 6);
	EXPECT_EQ(LPORT, s->sport);
	EXPECT_EQ(4001, s->dport);
	EXPECT_EQ(5, s->len);
	EXPECT_EQ(0, memcmp(s->data, "world", 5));

	PEER_SEND(&self->p, 4001, LPORT, PISN + 6, c + 6, F_PSH | F_ACK,
		  "again", 5);
	XSEG_EXPECT(&self->p, s, 1000, F_ACK, c + 6, PISN + 11);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(5, recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT));
	EXPECT_STREQ("again", buf);
	/* Everything is acknowledged: nothing more comes. */
	XSEG_EXPECT_SILENCE(&self->p, 300);
}

/*
 * Every bit of the cookie counts: the hash, the slot and the MSS index.
 *	module  S.  seq c, ack pisn+1, <mss 1460>      (c & 7 = 4: 1460)
 *	peer    .   seq pisn+1, ack c+1+0x100  -> R seq c+1+0x100  (hash)
 *	peer    .   seq pisn+1, ack c+1+8      -> R seq c+1+8      (slot)
 *	peer    .   seq pisn+1, ack c+2        -> R seq c+2        (MSS 4312)
 *	                   no child; SyncookiesFailed 3
 *	peer    .   seq pisn+1, ack c+1        the cookie still holds
 */
TEST_F(sc, ack_with_a_wrong_cookie_is_refused)
{
	uint32_t c;
	int lfd;

	ASSERT_EQ(0, xtcp_sysctl_set("syncookies", 2));
	lfd = track(self, xc_listen(_metadata, LPORT, 8, 1));
	c = syn_for_synack(_metadata, self, 4001, PISN, 1460);
	EXPECT_EQ(4, c & 7);

	cookie_ack_refused(_metadata, self, lfd, 4001, PISN + 1, c + 1 + 0x100);
	cookie_ack_refused(_metadata, self, lfd, 4001, PISN + 1, c + 1 + 8);
	EXPECT_EQ(2, xtcp_stat("SyncookiesFailed"));
	cookie_ack_refused(_metadata, self, lfd, 4001, PISN + 1, c + 2);
	EXPECT_EQ(3, xtcp_stat("SyncookiesFailed"));
	EXPECT_EQ(0, xtcp_stat("SyncookiesRecv"));
	EXPECT_EQ(0, xtcp_stat("PassiveOpens"));
	if (xc_proc_state(LPORT, 4001) != -1)
		return;		/* a forged cookie made the connection */

	/* Nothing was kept, so nothing was spoilt. */
	cookie_ack_accept(_metadata, self, lfd, 4001, PISN, c);
	EXPECT_EQ(1, xtcp_stat("SyncookiesRecv"));
}

/*
 * The cookie answers a SYN from port 4001; the same numbers from 4002:
 *	peer 4002  .   seq pisn+1, ack c+1
 *	module     R   seq c+1 (to 4002)
 *	peer 4001  .   seq pisn+1, ack c+1   accepted
 */
TEST_F(sc, cookie_for_another_four_tuple_is_refused)
{
	uint32_t c;
	int lfd;

	ASSERT_EQ(0, xtcp_sysctl_set("syncookies", 2));
	lfd = track(self, xc_listen(_metadata, LPORT, 8, 1));
	c = syn_for_synack(_metadata, self, 4001, PISN, 1460);

	cookie_ack_refused(_metadata, self, lfd, 4002, PISN + 1, c + 1);
	EXPECT_EQ(1, xtcp_stat("SyncookiesFailed"));
	EXPECT_EQ(-1, xc_proc_state(LPORT, 4001));

	cookie_ack_accept(_metadata, self, lfd, 4001, PISN, c);
	EXPECT_EQ(1, xtcp_stat("SyncookiesRecv"));
}

/*
 * The cookie remembers the peer's ISN too: an ACK whose seq is not
 * pisn+1 is another SYN's.
 *	peer    .   seq pisn+2, ack c+1
 *	module  R   seq c+1
 */
TEST_F(sc, cookie_for_another_peer_isn_is_refused)
{
	uint32_t c;
	int lfd;

	ASSERT_EQ(0, xtcp_sysctl_set("syncookies", 2));
	lfd = track(self, xc_listen(_metadata, LPORT, 8, 1));
	c = syn_for_synack(_metadata, self, 4001, PISN, 1460);

	cookie_ack_refused(_metadata, self, lfd, 4001, PISN + 2, c + 1);
	EXPECT_EQ(1, xtcp_stat("SyncookiesFailed"));
	cookie_ack_accept(_metadata, self, lfd, 4001, PISN, c);
}

/*
 * syncookie_period_ms = 200.  Probing SYNs watch the slot bits; right
 * after the slot changed, the cookie from the previous slot is still
 * good (it may be only a few ms old, or almost two periods).
 *	peer 4001  S   -> S. seq c            (slot n)
 *	peer 4999  S   -> S.                  ... until slot n+1
 *	peer 4001  .   seq pisn+1, ack c+1    accepted
 */
TEST_F(sc, cookie_from_the_previous_period_is_accepted)
{
	uint32_t c, q;
	int lfd;

	ASSERT_EQ(0, xtcp_sysctl_set("syncookies", 2));
	ASSERT_EQ(0, xtcp_sysctl_set("syncookie_period_ms", 200));
	lfd = track(self, xc_listen(_metadata, LPORT, 8, 1));
	c = syn_for_synack(_metadata, self, 4001, PISN, 1460);

	q = probe_until_slot_age(_metadata, self, c, 1, 2000);
	EXPECT_EQ(1, slot_age(c, q));
	cookie_ack_accept(_metadata, self, lfd, 4001, PISN, c);
	EXPECT_EQ(1, xtcp_stat("SyncookiesRecv"));
	EXPECT_EQ(0, xtcp_stat("SyncookiesFailed"));
}

/*
 * syncookie_period_ms = 100.  Once the slot is two after the cookie's
 * the cookie is dead, however little time that took; and a cookie 400 ms
 * (four periods) old is dead too.
 *	peer 4001  S   -> S. seq c1           (slot n)
 *	peer 4002  S   -> S. seq c2
 *	peer 4999  S   -> S.                  ... until slot n+2
 *	peer 4001  .   seq pisn+1, ack c1+1   -> R seq c1+1
 *	(until 400 ms after c2)
 *	peer 4998  S   -> S.                  (a cookie went out lately)
 *	peer 4002  .   seq pisn+1, ack c2+1   -> R seq c2+1
 */
TEST_F(sc, cookie_older_than_two_periods_is_refused)
{
	uint32_t c1, c2, q;
	uint64_t t2;
	int lfd;

	ASSERT_EQ(0, xtcp_sysctl_set("syncookies", 2));
	ASSERT_EQ(0, xtcp_sysctl_set("syncookie_period_ms", 100));
	lfd = track(self, xc_listen(_metadata, LPORT, 8, 1));
	c1 = syn_for_synack(_metadata, self, 4001, PISN, 1460);
	c2 = syn_for_synack(_metadata, self, 4002, PISN, 1460);
	t2 = self->s.when_ns;

	q = probe_until_slot_age(_metadata, self, c1, 2, 2000);
	TH_LOG("slot %u -> %u after %.0f ms", cookie_slot(c1), cookie_slot(q),
	       ms_between(t2, xpeer_now_ns()));
	cookie_ack_refused(_metadata, self, lfd, 4001, PISN + 1, c1 + 1);
	EXPECT_EQ(1, xtcp_stat("SyncookiesFailed"));

	while (ms_between(t2, xpeer_now_ns()) < 400)
		sleep_ms(10);
	/* A fresh cookie goes out, so that stray ACKs are checked as
	 * cookies again (only while one may be good are they): c2 is
	 * checked, and refused for its age.
	 */
	syn_for_synack(_metadata, self, 4998, PISN, 1460);
	cookie_ack_refused(_metadata, self, lfd, 4002, PISN + 1, c2 + 1);
	EXPECT_EQ(2, xtcp_stat("SyncookiesFailed"));
	EXPECT_EQ(0, xtcp_stat("SyncookiesRecv"));
}

/*
 * The cookie keeps the largest MSS of its table not above the peer's
 * (536 without an option); the child sends segments of that size, or of
 * the route's 1460 when smaller.  For each case, from its own port:
 *	peer    S   seq pisn, <mss m>
 *	module  S.  seq c (c & 7 = the table index)
 *	peer    .   seq pisn+1, ack c+1
 *	send(2 * mss + 100 bytes) on the child
 *	module  .   seq c+1, mss bytes; c+1+mss, mss bytes; c+1+2*mss, 100
 */
TEST_F(sc, mss_from_a_cookie_is_the_tables_nearest_value_below_the_peers)
{
	static const struct {
		uint16_t peer_mss;	/* 0: no MSS option */
		unsigned int index;	/* into cookie_mss[] */
		unsigned int seg;	/* the child's segments */
	} cases[] = {
		{ 1400, 2, 1300 },
		{ 0, 0, 536 },
		{ 1220, 1, 1220 },
		{ 1219, 0, 536 },
		{ 1460, 4, 1460 },
		{ 9000, 6, ROUTE_MSS },	/* 8960 in the cookie */
	};
	static char data[2 * ROUTE_MSS + 100];
	unsigned int i;
	uint16_t rport;
	uint32_t c, pisn;
	size_t len;
	int lfd, fd;

	ASSERT_EQ(0, xtcp_sysctl_set("syncookies", 2));
	lfd = track(self, xc_listen(_metadata, LPORT, 8, 1));
	for (i = 0; i < sizeof(data); i++)
		data[i] = 'a' + i % 26;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		rport = 4001 + i;
		pisn = PISN + i * 0x100000;
		c = syn_for_synack(_metadata, self, rport, pisn,
				   cases[i].peer_mss);
		EXPECT_EQ(cases[i].index, c & 7)
			TH_LOG("peer MSS %u: cookie carries %u, not %u",
			       cases[i].peer_mss, cookie_mss[c & 7],
			       cookie_mss[cases[i].index]);
		fd = cookie_ack_accept(_metadata, self, lfd, rport, pisn, c);
		len = 2 * cases[i].seg + 100;
		ASSERT_EQ((ssize_t)len, send(fd, data, len, MSG_NOSIGNAL));
		expect_segments(_metadata, self, rport, c + 1, pisn + 1, data,
				len, cases[i].seg);
	}
	EXPECT_EQ((int)ARRAY_SIZE(cases), xtcp_stat("SyncookiesRecv"));
}

/* ---- full queues ---- */

/*
 * net.xtcp.syncookies = 0, listen(backlog = 2): a third SYN finds the SYN
 * queue full and is dropped, and an ACK for no entry is a plain RST.
 *	peer 4001  S -> S.;  peer 4002  S -> S.
 *	peer 4003  S                          (nothing)   ListenDrops 1
 *	peer 4004  .   seq 1000, ack 7777     -> R seq 7777
 */
TEST_F(sc, with_syncookies_off_a_full_syn_queue_drops_syns)
{
	struct xseg *s = &self->s;

	ASSERT_EQ(0, xtcp_sysctl_set("syncookies", 0));
	track(self, xc_listen(_metadata, LPORT, 2, 1));
	syn_for_synack(_metadata, self, 4001, PISN, 1460);
	syn_for_synack(_metadata, self, 4002, PISN, 1460);
	EXPECT_EQ(2, xc_proc_count(ST_SYN_RECV));

	PEER_SEND(&self->p, 4003, LPORT, PISN, 0, F_SYN, NULL, 0);
	XSEG_EXPECT_SILENCE(&self->p, 300);
	EXPECT_EQ(1, xtcp_stat("ListenDrops"));
	EXPECT_EQ(0, xtcp_stat("ListenOverflows"));
	EXPECT_EQ(0, xtcp_stat("SyncookiesSent"));
	EXPECT_EQ(-1, xc_proc_state(LPORT, 4003));
	EXPECT_EQ(2, xc_proc_count(ST_SYN_RECV));

	PEER_SEND(&self->p, 4004, LPORT, 1000, 7777, F_ACK, NULL, 0);
	XSEG_EXPECT(&self->p, s, 1000, F_RST, 7777, XSEG_ANY);
	EXPECT_EQ(0, xtcp_stat("SyncookiesFailed"));
}

/*
 * Cookies are checked only while syncookies is on: a good cookie's ACK
 * after it was turned off is a stray ACK, answered with RST.
 */
TEST_F(sc, cookie_ack_after_syncookies_are_turned_off_is_refused)
{
	uint32_t c;
	int lfd;

	ASSERT_EQ(0, xtcp_sysctl_set("syncookies", 2));
	lfd = track(self, xc_listen(_metadata, LPORT, 8, 1));
	c = syn_for_synack(_metadata, self, 4001, PISN, 1460);
	ASSERT_EQ(0, xtcp_sysctl_set("syncookies", 0));

	cookie_ack_refused(_metadata, self, lfd, 4001, PISN + 1, c + 1);
	EXPECT_EQ(0, xtcp_stat("SyncookiesRecv"));
	EXPECT_EQ(0, xtcp_stat("SyncookiesFailed"));
}

/*
 * syncookies = 2, listen(backlog = 1): the accept queue holds two.  A
 * full accept queue drops SYNs without a cookie, and drops a good
 * cookie's ACK without a RST; the same ACK is taken once there is room.
 *	4001  S -> S. c1;  . ack c1+1   child 1
 *	4002  S -> S. c2;  4003  S -> S. c3
 *	4002  . ack c2+1                 child 2 (the queue is full)
 *	4004  S                          (nothing)    ListenOverflows 1
 *	4003  . ack c3+1                 (nothing)    ListenOverflows 2
 *	accept() x 2
 *	4003  . ack c3+1                 child 3
 */
TEST_F(sc, full_accept_queue_drops_syns_and_cookie_acks)
{
	uint32_t c1, c2, c3;
	int lfd, i;

	ASSERT_EQ(0, xtcp_sysctl_set("syncookies", 2));
	lfd = track(self, xc_listen(_metadata, LPORT, 1, 1));
	c1 = syn_for_synack(_metadata, self, 4001, PISN, 1460);
	PEER_SEND(&self->p, 4001, LPORT, PISN + 1, c1 + 1, F_ACK, NULL, 0);
	EXPECT_EQ(ST_ESTABLISHED, xc_wait_state(LPORT, 4001, ST_ESTABLISHED,
						1000));
	c2 = syn_for_synack(_metadata, self, 4002, PISN, 1460);
	c3 = syn_for_synack(_metadata, self, 4003, PISN, 1460);
	PEER_SEND(&self->p, 4002, LPORT, PISN + 1, c2 + 1, F_ACK, NULL, 0);
	EXPECT_EQ(ST_ESTABLISHED, xc_wait_state(LPORT, 4002, ST_ESTABLISHED,
						1000));
	EXPECT_EQ(0, xtcp_stat("ListenOverflows"));
	EXPECT_EQ(3, xtcp_stat("SyncookiesSent"));

	PEER_SEND(&self->p, 4004, LPORT, PISN, 0, F_SYN, NULL, 0);
	XSEG_EXPECT_SILENCE(&self->p, 300);
	EXPECT_EQ(1, xtcp_stat("ListenOverflows"));
	EXPECT_EQ(3, xtcp_stat("SyncookiesSent"));

	PEER_SEND(&self->p, 4003, LPORT, PISN + 1, c3 + 1, F_ACK, NULL, 0);
	XSEG_EXPECT_SILENCE(&self->p, 300);
	EXPECT_EQ(2, xtcp_stat("ListenOverflows"));
	EXPECT_EQ(-1, xc_proc_state(LPORT, 4003));

	for (i = 0; i < 2; i++) {
		EXPECT_LE(0, track(self, accept(lfd, NULL, NULL)))
			TH_LOG("accept %d: %s", i, strerror(errno));
	}
	EXPECT_EQ(-1, accept(lfd, NULL, NULL));
	EXPECT_EQ(EAGAIN, errno);

	cookie_ack_accept(_metadata, self, lfd, 4003, PISN, c3);
	EXPECT_EQ(4, xtcp_stat("SyncookiesRecv"));
	EXPECT_EQ(0, xtcp_stat("SyncookiesFailed"));
}

/* ---- initial sequence numbers ---- */

/*
 * A connect() from 10.0.0.1:lport to the peer's rport, refused:
 *	module  S   seq isn
 *	peer    R.  seq 0, ack isn+1
 * Returns the ISN, and when connect() chose it in *t (CLOCK_MONOTONIC).
 * Nothing is left behind: the four-tuple can be used again at once.
 */
static uint32_t refused_connect_isn(struct __test_metadata *_metadata,
				    FIXTURE_DATA(sc) *self, uint16_t lport,
				    uint16_t rport, uint64_t *t)
{
	struct sockaddr_in me = xc_addr(XPEER_LOCAL_ADDR, lport);
	struct sockaddr_in to = xc_addr(XPEER_REMOTE_ADDR, rport);
	struct pollfd pfd = { .events = POLLOUT };
	struct xseg *s = &self->s;
	socklen_t len = sizeof(int);
	uint64_t t0, t1;
	int fd, one = 1, err = 0;
	uint32_t isn;

	fd = socket(AF_XTCP, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
				sizeof(one)));
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&me, sizeof(me)))
		TH_LOG("bind %u: %s", lport, strerror(errno));
	t0 = xpeer_now_ns();
	ASSERT_EQ(-1, connect(fd, (struct sockaddr *)&to, sizeof(to)));
	t1 = xpeer_now_ns();
	ASSERT_EQ(EINPROGRESS, errno);
	XSEG_EXPECT(&self->p, s, 2000, F_SYN, XSEG_ANY, XSEG_ANY);
	ASSERT_EQ(lport, s->sport);
	ASSERT_EQ(rport, s->dport);
	isn = s->seq;
	*t = t0 + (t1 - t0) / 2;

	PEER_SEND(&self->p, rport, lport, 0, isn + 1, F_RST | F_ACK, NULL, 0);
	pfd.fd = fd;
	EXPECT_EQ(1, poll(&pfd, 1, 2000));
	EXPECT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len));
	EXPECT_EQ(ECONNREFUSED, err);
	close(fd);
	EXPECT_EQ(-1, xc_proc_state(lport, rport));
	return isn;
}

/*
 * RFC 6528: ISN = F(four-tuple, key) + a clock ticking every 64 ns.
 * The same four-tuple, five times 50 ms apart: each ISN is the one before
 * plus about elapsed/64.  Five four-tuples at about the same time: their
 * ISNs are nowhere near each other plus the time between them (more than
 * 2^20 off; one pair in ten may be unlucky).
 */
TEST_F(sc, isn_of_one_four_tuple_advances_with_time_and_differs_across_four_tuples)
{
	static const uint16_t tuples[5][2] = {
		{ 7001, PEER_PORT }, { 7002, PEER_PORT }, { 7003, PEER_PORT },
		{ 7000, PEER_PORT + 1 }, { 7000, PEER_PORT + 2 },
	};
	uint32_t isn[5];
	uint64_t t[5];
	double expect, ratio;
	int i, j, near = 0;
	int64_t got, off;

	for (i = 0; i < 5; i++) {
		if (i)
			sleep_ms(50);
		isn[i] = refused_connect_isn(_metadata, self, 7000, PEER_PORT,
					     &t[i]);
	}
	for (i = 1; i < 5; i++) {
		expect = (double)(t[i] - t[i - 1]) / 64;
		got = (int32_t)(isn[i] - isn[i - 1]);
		ratio = got / expect;
		TH_LOG("same tuple: +%.1f ms, ISN +%lld, expected +%.0f (x%.3f)",
		       (t[i] - t[i - 1]) / 1e6, (long long)got, expect, ratio);
		EXPECT_LE(0.5, ratio);
		EXPECT_GE(2.0, ratio);
	}

	for (i = 0; i < 5; i++)
		isn[i] = refused_connect_isn(_metadata, self, tuples[i][0],
					     tuples[i][1], &t[i]);
	for (i = 0; i < 5; i++) {
		for (j = i + 1; j < 5; j++) {
			expect = (double)(t[j] - t[i]) / 64;
			got = (int32_t)(isn[j] - isn[i]);
			off = got - (int64_t)expect;
			if (llabs(off) <= (1 << 20)) {
				near++;
				TH_LOG("tuples %d and %d: ISNs %08x %08x only %lld off the clock",
				       i, j, isn[i], isn[j], (long long)off);
			}
		}
	}
	EXPECT_GE(1, near);
}

/* ---- RFC 5961 challenge ACKs ---- */

/* The module connects to the peer's port 4000 (see xc_active_open()). */
static void open_conn(struct __test_metadata *_metadata,
		      FIXTURE_DATA(sc) *self, struct xconn *c)
{
	xc_active_open(_metadata, &self->p, c, PEER_PORT, PISN);
	track(self, c->fd);
	ASSERT_EQ(ST_ESTABLISHED, xc_proc_state(c->lport, PEER_PORT));
}

/*
 * The connection still carries data both ways, the module having sent
 * *out bytes and received *in:
 *	module  P.  seq isn+1+out, ack pisn+1+in, "ab"
 *	peer    .   seq pisn+1+in, ack isn+3+out
 *	peer    P.  seq pisn+1+in, ack isn+3+out, "cd"
 *	module  .   seq isn+3+out, ack pisn+3+in
 * and recv() reads "cd", nothing else.
 */
static void expect_data_both_ways(struct __test_metadata *_metadata,
				  FIXTURE_DATA(sc) *self, struct xconn *c,
				  uint32_t *out, uint32_t *in)
{
	uint32_t snd = c->isn + 1 + *out, rcv = c->pisn + 1 + *in;
	struct xseg *s = &self->s;
	char buf[16] = { 0 };

	ASSERT_EQ(2, send(c->fd, "ab", 2, MSG_NOSIGNAL));
	XSEG_EXPECT(&self->p, s, 1000, F_PSH | F_ACK, snd, rcv);
	EXPECT_EQ(2, s->len);
	CONN_SEND(&self->p, c, rcv, snd + 2, F_ACK, NULL, 0);
	CONN_SEND(&self->p, c, rcv, snd + 2, F_PSH | F_ACK, "cd", 2);
	XSEG_EXPECT(&self->p, s, 1000, F_ACK, snd + 2, rcv + 2);
	EXPECT_EQ(2, recv(c->fd, buf, sizeof(buf) - 1, MSG_DONTWAIT));
	EXPECT_STREQ("cd", buf);
	EXPECT_EQ(ST_ESTABLISHED, xc_proc_state(c->lport, PEER_PORT));
	*out += 2;
	*in += 2;
}

/* Nothing for the reader: the forged segment's data was dropped. */
static void expect_nothing_to_read(struct __test_metadata *_metadata, int fd)
{
	char buf[16];

	EXPECT_EQ(-1, recv(fd, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
}

/*
 *	peer    P.  seq pisn+1, ack isn+1+1000, "evil"    (ack > snd_nxt)
 *	module  .   seq isn+1, ack pisn+1                 challenge ACK
 *	                     "evil" is not delivered
 *	(data both ways, numbers unchanged)
 *	peer    .   seq pisn+3, ack isn+3+1000            (no data)
 *	module  .   seq isn+3, ack pisn+3                 challenge ACK
 */
TEST_F(sc, ack_above_snd_nxt_gets_a_challenge_ack_and_the_connection_survives)
{
	struct xseg *s = &self->s;
	uint32_t out = 0, in = 0;
	struct xconn c;

	open_conn(_metadata, self, &c);
	CONN_SEND(&self->p, &c, PISN + 1, c.isn + 1 + 1000, F_PSH | F_ACK,
		  "evil", 4);
	XSEG_EXPECT(&self->p, s, 1000, F_ACK, c.isn + 1, PISN + 1);
	EXPECT_EQ(0, s->len);
	EXPECT_EQ(1, xtcp_stat("ChallengeACKs"));
	XSEG_EXPECT_SILENCE(&self->p, 100);
	expect_nothing_to_read(_metadata, c.fd);
	EXPECT_EQ(ST_ESTABLISHED, xc_proc_state(c.lport, PEER_PORT));

	expect_data_both_ways(_metadata, self, &c, &out, &in);

	/* A bare ACK for the unsent is challenged the same way, once the
	 * socket's one answer per invalid_ratelimit_ms (500) is due again.
	 */
	sleep_ms(600);
	CONN_SEND(&self->p, &c, PISN + 1 + in, c.isn + 1 + out + 1000, F_ACK,
		  NULL, 0);
	XSEG_EXPECT(&self->p, s, 1000, F_ACK, c.isn + 1 + out, PISN + 1 + in);
	EXPECT_EQ(2, xtcp_stat("ChallengeACKs"));
	expect_data_both_ways(_metadata, self, &c, &out, &in);
	EXPECT_EQ(0, xtcp_stat("EstabResets"));
}

/*
 * The module sends 100 bytes and the peer acknowledges them (snd_una =
 * isn+101; the peer's window, and so max window, is 65535):
 *	peer    P.  seq pisn+1, ack isn+101-65536, "evil"  (one byte too old)
 *	module  .   seq isn+101, ack pisn+1                challenge ACK
 *	                     "evil" is not delivered
 *	(data both ways, numbers unchanged)
 */
TEST_F(sc, ack_before_the_window_gets_a_challenge_ack)
{
	struct xseg *s = &self->s;
	uint32_t out = 0, in = 0;
	char data[100];
	struct xconn c;

	memset(data, 'x', sizeof(data));
	open_conn(_metadata, self, &c);
	ASSERT_EQ(100, send(c.fd, data, sizeof(data), MSG_NOSIGNAL));
	XSEG_EXPECT(&self->p, s, 1000, F_PSH | F_ACK, c.isn + 1, PISN + 1);
	EXPECT_EQ(100, s->len);
	CONN_SEND(&self->p, &c, PISN + 1, c.isn + 101, F_ACK, NULL, 0);
	out = 100;

	CONN_SEND(&self->p, &c, PISN + 1, c.isn + 101 - PEER_WIN - 1,
		  F_PSH | F_ACK, "evil", 4);
	XSEG_EXPECT(&self->p, s, 1000, F_ACK, c.isn + 101, PISN + 1);
	EXPECT_EQ(0, s->len);
	EXPECT_EQ(1, xtcp_stat("ChallengeACKs"));
	XSEG_EXPECT_SILENCE(&self->p, 100);
	expect_nothing_to_read(_metadata, c.fd);

	expect_data_both_ways(_metadata, self, &c, &out, &in);
	EXPECT_EQ(0, xtcp_stat("EstabResets"));
}

/*
 * Sends n forged segments back to back and counts the answers, each a
 * challenge ACK (seq isn+1+out, ack pisn+1+in), until 300 ms of silence.
 * The limit counts per second of jiffies: a burst that straddles a
 * second's end gets more answers, so it is tried again a second later,
 * at most twice, until the answers are exactly what the limit allows.
 */
static void challenge_burst(struct __test_metadata *_metadata,
			    FIXTURE_DATA(sc) *self, struct xconn *c,
			    const struct xseg *segs, int n, int limit,
			    uint32_t out, uint32_t in)
{
	int want = n < limit ? n : limit, answered = 0, attempt, i;
	long sent0, skipped0, sent = 0, skipped = 0;
	struct xseg *s = &self->s;

	for (attempt = 0; attempt < 3; attempt++) {
		if (attempt) {
			TH_LOG("%d answers to %d: the burst crossed a second; again",
			       answered, n);
			sleep_ms(1100);
		}
		sent0 = xtcp_stat("ChallengeACKs");
		skipped0 = xtcp_stat("ChallengeACKsSkipped");
		for (i = 0; i < n; i++)
			ASSERT_EQ(0, xpeer_send(&self->p, &segs[i]));
		answered = 0;
		while (xpeer_recv(&self->p, s, 300) == 1) {
			EXPECT_EQ(F_ACK, s->flags);
			EXPECT_EQ(c->isn + 1 + out, s->seq);
			EXPECT_EQ(c->pisn + 1 + in, s->ack);
			EXPECT_EQ(0, s->len);
			answered++;
		}
		sent = xtcp_stat("ChallengeACKs") - sent0;
		skipped = xtcp_stat("ChallengeACKsSkipped") - skipped0;
		/* Only a straddling burst gets more, and never all. */
		if (answered <= want || answered >= n)
			break;
	}
	EXPECT_EQ(want, answered);
	EXPECT_EQ(want, sent);
	EXPECT_EQ(n - want, skipped);
}

/*
 * challenge_ack_limit = 1 (an allowance drawn each second between half
 * the limit and one and a half times it: exactly 1), and no per-socket
 * limit (invalid_ratelimit_ms = 0), so only the namespace's counts:
 *	peer    R   seq pisn+101, +201, +301, +401, +501   (in window, inexact)
 *	module  .   seq isn+1, ack pisn+1      once, then nothing
 *	                          ChallengeACKsSkipped 4
 * A second later the allowance is back, for every kind of challenge:
 *	peer    S   seq pisn+1;  .  ack isn+1001;  R seq pisn+601
 *	module  .   seq isn+1, ack pisn+1      once
 * and the connection still works.
 */
TEST_F(sc, challenge_acks_are_rate_limited)
{
	struct xseg segs[5];
	uint32_t out = 0, in = 0;
	struct xconn c;
	int i;

	ASSERT_EQ(0, xtcp_sysctl_set("challenge_ack_limit", 1));
	ASSERT_EQ(0, xtcp_sysctl_set("invalid_ratelimit_ms", 0));
	open_conn(_metadata, self, &c);

	for (i = 0; i < 5; i++)
		segs[i] = xc_seg(PEER_PORT, c.lport, PISN + 101 + 100 * i, 0,
				 F_RST);
	challenge_burst(_metadata, self, &c, segs, 5, 1, out, in);
	EXPECT_EQ(ST_ESTABLISHED, xc_proc_state(c.lport, PEER_PORT));
	EXPECT_EQ(0, xtcp_stat("EstabResets"));

	sleep_ms(1100);
	segs[0] = xc_seg(PEER_PORT, c.lport, PISN + 1, 0, F_SYN);
	segs[1] = xc_seg(PEER_PORT, c.lport, PISN + 1, c.isn + 1001, F_ACK);
	segs[2] = xc_seg(PEER_PORT, c.lport, PISN + 601, 0, F_RST);
	challenge_burst(_metadata, self, &c, segs, 3, 1, out, in);

	expect_data_both_ways(_metadata, self, &c, &out, &in);
	EXPECT_EQ(0, xtcp_stat("EstabResets"));
}

TEST_HARNESS_MAIN
