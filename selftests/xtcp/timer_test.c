// SPDX-License-Identifier: GPL-2.0
/*
 * The sender's timers where RFC 9293 sets a bound, each script run twice
 * in one namespace against the scripted peer: on a Linux TCP socket (the
 * peer speaks IP protocol 6 through the same TUN device), then on an
 * XTCP socket, with the same assertions for both, so that the test shows
 * what Linux does as well as that XTCP does it:
 * - TCP_USER_TIMEOUT (MUST-21): connect(), unacknowledged data, a
 *   zero-window stall and keep-alive end with ETIMEDOUT when it passes,
 *   near it rather than at the next backed-off expiry;
 * - a partial segment held by TCP_CORK or MSG_MORE (MUST-60);
 * - Karn's rule (MUST-18): an ACK of resent data keeps the backed-off
 *   RTO, unless it echoes the resend's timestamp, which is a sample;
 *   RFC 6298 section 5.7: data after a resent SYN or SYN-ACK starts
 *   with a 3 s RTO; and zero-window probes back off their own interval,
 *   not the data's RTO.
 *
 * The peer offers no SACK (Linux sends tail-loss probes only with SACK,
 * and they are not what these scripts are about), and timestamps only
 * where a script says so.
 * Timing under an emulator is loose: the asserts are orders and wide
 * ratios, never close absolute times.
 */
#include <netinet/tcp.h>

#include "kselftest_harness.h"
#include "xtcp_util.h"
#include "peer.h"
#include "xtcp_conn.h"

#define PISN		0x50000000u
#define MSS		1460
#define MAX_SEGS	64

static const char zeros[4 * MSS];

/* What the socket sent, in order. */
struct trace {
	struct xseg s[MAX_SEGS];
	int n;
};

FIXTURE(tm) {
	struct xpeer p;
	struct xconn c;
	int lfd;
	struct trace t;
};

FIXTURE_SETUP(tm)
{
	self->c.fd = self->lfd = -1;
	ASSERT_EQ(0, xtcp_ensure_loaded());
	ASSERT_EQ(0, xpeer_setup(&self->p));
}

FIXTURE_TEARDOWN(tm)
{
	xc_close_abort(self->c.fd);
	if (self->lfd >= 0)
		close(self->lfd);
	xpeer_teardown(&self->p);
}

static const char *fam_name(int family)
{
	return family == AF_XTCP ? "XTCP" : "TCP";
}

/* The peer speaks @family's protocol from now on; a fresh trace. */
static void use_family(FIXTURE_DATA(tm) *self, int family)
{
	xc_close_abort(self->c.fd);
	if (self->lfd >= 0)
		close(self->lfd);
	self->c.fd = self->lfd = -1;
	self->t.n = 0;
	self->p.proto = family == AF_XTCP ? IPPROTO_XTCP : IPPROTO_TCP;
}

static int set_int(int fd, int level, int name, int val)
{
	return setsockopt(fd, level, name, &val, sizeof(val));
}

static int get_int(int fd, int level, int name)
{
	int val = -1;
	socklen_t len = sizeof(val);

	if (getsockopt(fd, level, name, &val, &len))
		return -errno - 1000;
	return val;
}

/* Sends what the socket's connect() is waiting for: nothing yet. */
static int start_connect(struct __test_metadata *_metadata, int family,
			 uint16_t rport)
{
	struct sockaddr_in to = xc_addr(XPEER_REMOTE_ADDR, rport);
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	EXPECT_LE(0, fd);
	EXPECT_EQ(-1, connect(fd, (struct sockaddr *)&to, sizeof(to)));
	EXPECT_EQ(EINPROGRESS, errno);
	return fd;
}

/* The peer's SYN-ACK to the SYN in @syn, offering only an MSS, @win. */
static void synack(struct __test_metadata *_metadata, struct xpeer *p,
		   struct xconn *c, uint16_t win)
{
	struct xseg s = xc_seg(c->rport, c->lport, c->pisn, c->isn + 1,
			       F_SYN | F_ACK);

	s.win = win;
	ASSERT_EQ(0, xpeer_send(p, &s));
	XSEG_EXPECT(p, &s, 2000, F_ACK, c->isn + 1, c->pisn + 1);
}

/* Active open of a @family socket to the peer's @rport; its window @win. */
static void active_open(struct __test_metadata *_metadata, struct xpeer *p,
			struct xconn *c, int family, uint16_t rport,
			uint16_t win)
{
	struct xseg s;

	c->fd = start_connect(_metadata, family, rport);
	XSEG_EXPECT(p, &s, 2000, F_SYN, XSEG_ANY, XSEG_ANY);
	c->lport = s.sport;
	c->rport = rport;
	c->isn = s.seq;
	c->pisn = PISN;
	synack(_metadata, p, c, win);
	ASSERT_EQ(0, xc_set_nonblock(c->fd, 0));
	ASSERT_EQ(0, set_int(c->fd, IPPROTO_TCP, TCP_NODELAY, 1));
}

/* A listener of @family on 10.0.0.1:@port. */
static int listen_on(struct __test_metadata *_metadata, int family,
		     uint16_t port)
{
	struct sockaddr_in sin = xc_addr(XPEER_LOCAL_ADDR, port);
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	EXPECT_LE(0, fd);
	EXPECT_EQ(0, bind(fd, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_EQ(0, listen(fd, 8));
	return fd;
}

/* The peer acknowledges up to @ack (offset from the module's ISN). */
static void peer_ack(struct __test_metadata *_metadata, struct xpeer *p,
		     struct xconn *c, uint32_t ack, uint16_t win)
{
	struct xseg s = xc_seg(c->rport, c->lport, c->pisn + 1, c->isn + ack,
			       F_ACK);

	s.win = win;
	ASSERT_EQ(0, xpeer_send(p, &s));
}

/* A zero-window or keep-alive probe: no data, the byte before snd_una. */
static int is_probe(const struct xconn *c, const struct xseg *s)
{
	return s->flags == F_ACK && !s->len && s->seq == c->isn;
}

/*
 * Records what the socket sends for up to @ms, answering probes with a
 * zero window when @answer; stops once the socket reports an error, and
 * returns it (0: none came), its time in *@err_ns.
 */
static int watch(struct __test_metadata *_metadata, struct xpeer *p,
		 struct xconn *c, struct trace *t, int ms, int answer,
		 uint64_t *err_ns)
{
	uint64_t end = xpeer_now_ns() + ms * MS;
	struct pollfd pfd = { .fd = c->fd };
	int err = 0;
	socklen_t len = sizeof(err);
	struct xseg s;

	while (xpeer_now_ns() < end) {
		int ret = xpeer_recv(p, &s, 5);

		EXPECT_LE(0, ret);
		if (ret < 0)
			return 0;
		if (ret == 1 && t->n < MAX_SEGS) {
			s.data = NULL;
			t->s[t->n++] = s;
		}
		if (ret == 1 && answer && is_probe(c, &s))
			peer_ack(_metadata, p, c, 1, 0);
		if (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLERR)) {
			*err_ns = xpeer_now_ns();
			EXPECT_EQ(0, getsockopt(c->fd, SOL_SOCKET, SO_ERROR,
						&err, &len));
			return err;
		}
	}
	return 0;
}

static void trace_log(struct __test_metadata *_metadata, const char *name,
		      const struct trace *t, uint64_t t0)
{
	char f[16];
	int i;

	for (i = 0; i < t->n; i++)
		TH_LOG("%s: +%8.1f ms %-4s seq %u len %zu", name,
		       ms_between(t0, t->s[i].when_ns),
		       xseg_flags_str(t->s[i].flags, f), t->s[i].seq,
		       t->s[i].len);
}

/* How many segments of the trace have @flags and @seq. */
static int count_segs(const struct trace *t, uint8_t flags, uint32_t seq)
{
	int i, n = 0;

	for (i = 0; i < t->n; i++)
		n += t->s[i].flags == flags && t->s[i].seq == seq;
	return n;
}

/* ---- TCP_USER_TIMEOUT ---- */

static void option_semantics(struct __test_metadata *_metadata, int family,
			     int level)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ASSERT_LE(0, fd);
	EXPECT_EQ(0, get_int(fd, level, TCP_USER_TIMEOUT));
	EXPECT_EQ(0, set_int(fd, level, TCP_USER_TIMEOUT, 1234))
		TH_LOG("%s: %s", fam_name(family), strerror(errno));
	EXPECT_EQ(1234, get_int(fd, level, TCP_USER_TIMEOUT));
	EXPECT_EQ(-1, set_int(fd, level, TCP_USER_TIMEOUT, -1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(1234, get_int(fd, level, TCP_USER_TIMEOUT));
	EXPECT_EQ(0, set_int(fd, level, TCP_USER_TIMEOUT, 0));
	EXPECT_EQ(0, get_int(fd, level, TCP_USER_TIMEOUT));
	close(fd);
}

/* Milliseconds, read back; negative is EINVAL; SOL_XTCP as IPPROTO_TCP. */
TEST_F(tm, tcp_user_timeout_reads_back_and_refuses_negative)
{
	option_semantics(_metadata, AF_INET, IPPROTO_TCP);
	option_semantics(_metadata, AF_XTCP, IPPROTO_TCP);
	option_semantics(_metadata, AF_XTCP, SOL_XTCP);
}

/* A child takes its listener's user timeout. */
TEST_F(tm, tcp_user_timeout_is_inherited_from_the_listener)
{
	int family;

	for (family = AF_INET; family; family = family == AF_INET ? AF_XTCP : 0) {
		uint16_t port = 7001 + (family == AF_XTCP);

		use_family(self, family);
		self->lfd = listen_on(_metadata, family, port);
		ASSERT_EQ(0, set_int(self->lfd, IPPROTO_TCP, TCP_USER_TIMEOUT,
				     4321));
		xc_peer_handshake(_metadata, &self->p, &self->c, port, 42001,
				  PISN);
		self->c.fd = accept(self->lfd, NULL, NULL);
		ASSERT_LE(0, self->c.fd);
		EXPECT_EQ(4321, get_int(self->c.fd, IPPROTO_TCP,
					TCP_USER_TIMEOUT))
			TH_LOG("%s", fam_name(family));
	}
}

/*
 * connect() with a 1.5 s user timeout to a peer that never answers: the
 * SYN at 0, again at the 1 s initial RTO, and ETIMEDOUT at 1.5 s, where
 * the next backed-off expiry is at 3 s (and syn_retries at 127 s).
 */
static void connect_user_timeout(struct __test_metadata *_metadata,
				 FIXTURE_DATA(tm) *self, int family)
{
	struct xconn *c = &self->c;
	uint64_t t0, end = 0;
	struct xseg s;
	double ms;
	int fd, err;

	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, set_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, 1500));
	c->fd = fd;
	{
		struct sockaddr_in to = xc_addr(XPEER_REMOTE_ADDR, 42010);

		ASSERT_EQ(-1, connect(fd, (struct sockaddr *)&to, sizeof(to)));
	}
	XSEG_EXPECT(&self->p, &s, 2000, F_SYN, XSEG_ANY, XSEG_ANY);
	t0 = s.when_ns;
	c->isn = s.seq;
	err = watch(_metadata, &self->p, c, &self->t, 6000, 0, &end);
	ms = ms_between(t0, end);
	TH_LOG("%s: connect() failed %.0f ms after the SYN", fam_name(family),
	       ms);
	EXPECT_EQ(ETIMEDOUT, err) TH_LOG("%s: %s", fam_name(family),
					 strerror(err));
	EXPECT_LE(1400, ms) TH_LOG("%s: failed %.0f ms after the SYN",
				   fam_name(family), ms);
	EXPECT_GT(2500, ms) TH_LOG("%s: failed %.0f ms after the SYN",
				   fam_name(family), ms);
	EXPECT_EQ(1, count_segs(&self->t, F_SYN, c->isn))
		trace_log(_metadata, fam_name(family), &self->t, t0);
}

TEST_F(tm, tcp_user_timeout_ends_a_connect)
{
	use_family(self, AF_INET);
	connect_user_timeout(_metadata, self, AF_INET);
	use_family(self, AF_XTCP);
	connect_user_timeout(_metadata, self, AF_XTCP);
}

/*
 * Data the peer never acknowledges, with a 700 ms user timeout: resent
 * after one RTO (~200 ms) and after two more, then ETIMEDOUT 700 ms after
 * the first resend, which is long before the third resend is due (and
 * retries2 would take minutes).
 */
static void data_user_timeout(struct __test_metadata *_metadata,
			      FIXTURE_DATA(tm) *self, int family)
{
	struct xconn *c = &self->c;
	uint64_t t1 = 0, end = 0;
	double ms;
	int err, i;

	active_open(_metadata, &self->p, c, family, 42020, PEER_WIN);
	ASSERT_EQ(0, set_int(c->fd, IPPROTO_TCP, TCP_USER_TIMEOUT, 700));
	ASSERT_EQ(100, send(c->fd, zeros, 100, 0));
	err = watch(_metadata, &self->p, c, &self->t, 5000, 0, &end);
	EXPECT_EQ(ETIMEDOUT, err) TH_LOG("%s: %s", fam_name(family),
					 strerror(err));
	for (i = 1; i < self->t.n; i++) {
		if (self->t.s[i].seq == c->isn + 1 && self->t.s[i].len) {
			t1 = self->t.s[i].when_ns;
			break;
		}
	}
	ASSERT_NE(0, t1) trace_log(_metadata, fam_name(family), &self->t,
				   self->t.s[0].when_ns);
	ms = ms_between(t1, end);
	TH_LOG("%s: first resend after %.0f ms, ETIMEDOUT %.0f ms after it",
	       fam_name(family), ms_between(self->t.s[0].when_ns, t1), ms);
	EXPECT_LE(630, ms) TH_LOG("%s: %.0f ms after the first resend",
				  fam_name(family), ms);
	EXPECT_GT(1000, ms) TH_LOG("%s: %.0f ms after the first resend",
				   fam_name(family), ms);
}

TEST_F(tm, tcp_user_timeout_ends_unacknowledged_data)
{
	use_family(self, AF_INET);
	data_user_timeout(_metadata, self, AF_INET);
	use_family(self, AF_XTCP);
	data_user_timeout(_metadata, self, AF_XTCP);
}

/*
 * A peer that answers every zero-window probe with a zero window keeps a
 * connection open for ever (RFC 1122 4.2.2.17), except that a user
 * timeout ends it that long after the first probe.
 */
static void zero_window_user_timeout(struct __test_metadata *_metadata,
				     FIXTURE_DATA(tm) *self, int family)
{
	struct xconn *c = &self->c;
	uint64_t t1 = 0, end = 0;
	int err, i, probes = 0;
	double ms;

	active_open(_metadata, &self->p, c, family, 42030, 0);
	ASSERT_EQ(0, set_int(c->fd, IPPROTO_TCP, TCP_USER_TIMEOUT, 1500));
	ASSERT_EQ(100, send(c->fd, zeros, 100, 0));
	err = watch(_metadata, &self->p, c, &self->t, 6000, 1, &end);
	EXPECT_EQ(ETIMEDOUT, err) TH_LOG("%s: %s", fam_name(family),
					 strerror(err));
	for (i = 0; i < self->t.n; i++) {
		if (!is_probe(c, &self->t.s[i]))
			continue;
		if (!probes++)
			t1 = self->t.s[i].when_ns;
	}
	ASSERT_LE(2, probes) trace_log(_metadata, fam_name(family), &self->t,
				       self->t.s[0].when_ns);
	ms = ms_between(t1, end);
	TH_LOG("%s: %d probes answered, ETIMEDOUT %.0f ms after the first",
	       fam_name(family), probes, ms);
	EXPECT_LE(1350, ms) TH_LOG("%s: %.0f ms after the first probe",
				   fam_name(family), ms);
	EXPECT_GT(2100, ms) TH_LOG("%s: %.0f ms after the first probe",
				   fam_name(family), ms);
}

TEST_F(tm, tcp_user_timeout_ends_a_zero_window_stall)
{
	use_family(self, AF_INET);
	zero_window_user_timeout(_metadata, self, AF_INET);
	use_family(self, AF_XTCP);
	zero_window_user_timeout(_metadata, self, AF_XTCP);
}

/*
 * Keep-alive every second after a second of idleness, TCP_KEEPCNT 9
 * (ten seconds), but a 2.5 s user timeout: the probes at 1 s and 2 s go
 * unanswered, and at 3 s the connection ends with a RST and ETIMEDOUT.
 */
static void keepalive_user_timeout(struct __test_metadata *_metadata,
				   FIXTURE_DATA(tm) *self, int family)
{
	struct xconn *c = &self->c;
	uint64_t t0, end = 0;
	int err, i, probes = 0, rsts = 0;
	double ms;

	active_open(_metadata, &self->p, c, family, 42040, PEER_WIN);
	t0 = xpeer_now_ns();
	ASSERT_EQ(0, set_int(c->fd, IPPROTO_TCP, TCP_USER_TIMEOUT, 2500));
	ASSERT_EQ(0, set_int(c->fd, IPPROTO_TCP, TCP_KEEPINTVL, 1));
	ASSERT_EQ(0, set_int(c->fd, IPPROTO_TCP, TCP_KEEPCNT, 9));
	ASSERT_EQ(0, set_int(c->fd, IPPROTO_TCP, TCP_KEEPIDLE, 1));
	ASSERT_EQ(0, set_int(c->fd, SOL_SOCKET, SO_KEEPALIVE, 1));
	err = watch(_metadata, &self->p, c, &self->t, 8000, 0, &end);
	EXPECT_EQ(ETIMEDOUT, err) TH_LOG("%s: %s", fam_name(family),
					 strerror(err));
	for (i = 0; i < self->t.n; i++) {
		probes += is_probe(c, &self->t.s[i]);
		rsts += !!(self->t.s[i].flags & F_RST);
	}
	ms = ms_between(t0, end);
	TH_LOG("%s: %d probes, RST and ETIMEDOUT after %.0f ms",
	       fam_name(family), probes, ms);
	EXPECT_LE(2400, ms) TH_LOG("%s: %.0f ms", fam_name(family), ms);
	EXPECT_GT(5000, ms) TH_LOG("%s: %.0f ms", fam_name(family), ms);
	EXPECT_LE(1, probes);
	EXPECT_GE(3, probes) trace_log(_metadata, fam_name(family), &self->t,
				       t0);
	EXPECT_EQ(1, rsts);
}

TEST_F(tm, keepalive_gives_up_at_the_user_timeout)
{
	use_family(self, AF_INET);
	keepalive_user_timeout(_metadata, self, AF_INET);
	use_family(self, AF_XTCP);
	keepalive_user_timeout(_metadata, self, AF_XTCP);
}

/* ---- TCP_CORK and MSG_MORE ---- */

/* The first data segment at or after @from in the trace, or NULL. */
static const struct xseg *first_data(const struct trace *t, int from)
{
	for (; from < t->n; from++)
		if (t->s[from].len)
			return &t->s[from];
	return NULL;
}

/*
 * A partial segment held with nothing in flight goes one RTO later
 * (~200 ms here), as Linux's probe timer sends it: TCP_CORK's "200 ms
 * ceiling" of tcp(7), and MSG_MORE's likewise.
 */
static void held_alone(struct __test_metadata *_metadata,
		       FIXTURE_DATA(tm) *self, int family, int cork)
{
	struct xconn *c = &self->c;
	const struct xseg *s;
	uint64_t t0, end = 0;
	double ms;

	active_open(_metadata, &self->p, c, family, 42050 + cork, PEER_WIN);
	if (cork)
		ASSERT_EQ(0, set_int(c->fd, IPPROTO_TCP, TCP_CORK, 1));
	t0 = xpeer_now_ns();
	ASSERT_EQ(100, send(c->fd, zeros, 100, cork ? 0 : MSG_MORE));
	watch(_metadata, &self->p, c, &self->t, 1500, 0, &end);
	s = first_data(&self->t, 0);
	ASSERT_NE(NULL, s) TH_LOG("%s: held for good", fam_name(family));
	ms = ms_between(t0, s->when_ns);
	TH_LOG("%s: the held segment went after %.0f ms", fam_name(family),
	       ms);
	EXPECT_EQ(100, s->len);
	EXPECT_EQ(c->isn + 1, s->seq);
	/* Linux's probe timer pushes it, MSG_MORE or not. */
	EXPECT_EQ(F_ACK | F_PSH, s->flags);
	EXPECT_LE(150, ms) TH_LOG("%s: sent after %.0f ms", fam_name(family),
				  ms);
	EXPECT_GT(1000, ms) TH_LOG("%s: sent after %.0f ms", fam_name(family),
				   ms);
	/* Nothing before it: the rest are its resends, never acknowledged. */
	EXPECT_EQ(&self->t.s[0], s) trace_log(_metadata, fam_name(family),
					      &self->t, t0);
}

TEST_F(tm, tcp_cork_sends_a_held_segment_after_an_rto)
{
	use_family(self, AF_INET);
	held_alone(_metadata, self, AF_INET, 1);
	use_family(self, AF_XTCP);
	held_alone(_metadata, self, AF_XTCP, 1);
}

TEST_F(tm, msg_more_sends_a_held_segment_after_an_rto)
{
	use_family(self, AF_INET);
	held_alone(_metadata, self, AF_INET, 0);
	use_family(self, AF_XTCP);
	held_alone(_metadata, self, AF_XTCP, 0);
}

/*
 * Two full segments and a 100-byte tail, the peer's ACK of the two
 * 100 ms later.  TCP_CORK keeps holding the tail until one RTO after that
 * ACK (nothing is in flight then); MSG_MORE held it only for the write's
 * own push, and the ACK's push sends it at once (Nagle has nothing
 * in flight to wait for).
 */
static void held_behind_data(struct __test_metadata *_metadata,
			     FIXTURE_DATA(tm) *self, int family, int cork)
{
	struct xconn *c = &self->c;
	const struct xseg *s;
	uint64_t t_ack, end = 0;
	double ms;

	active_open(_metadata, &self->p, c, family, 42060 + cork, PEER_WIN);
	if (cork)
		ASSERT_EQ(0, set_int(c->fd, IPPROTO_TCP, TCP_CORK, 1));
	ASSERT_EQ(2 * MSS + 100, send(c->fd, zeros, 2 * MSS + 100,
				      cork ? 0 : MSG_MORE));
	watch(_metadata, &self->p, c, &self->t, 100, 0, &end);
	ASSERT_EQ(2, self->t.n) trace_log(_metadata, fam_name(family),
					  &self->t, xpeer_now_ns());
	EXPECT_EQ(MSS, self->t.s[0].len);
	EXPECT_EQ(MSS, self->t.s[1].len);
	peer_ack(_metadata, &self->p, c, 1 + 2 * MSS, PEER_WIN);
	t_ack = xpeer_now_ns();
	watch(_metadata, &self->p, c, &self->t, 1500, 0, &end);
	s = first_data(&self->t, 2);
	ASSERT_NE(NULL, s) TH_LOG("%s: held for good", fam_name(family));
	ms = ms_between(t_ack, s->when_ns);
	TH_LOG("%s: the tail went %.0f ms after the ACK", fam_name(family),
	       ms);
	EXPECT_EQ(100, s->len);
	EXPECT_EQ(c->isn + 1 + 2 * MSS, s->seq);
	if (cork) {
		EXPECT_LE(150, ms) TH_LOG("%s: sent %.0f ms after the ACK",
					  fam_name(family), ms);
		EXPECT_GT(1000, ms) TH_LOG("%s: sent %.0f ms after the ACK",
					   fam_name(family), ms);
	} else {
		EXPECT_GT(60, ms) TH_LOG("%s: sent %.0f ms after the ACK",
					 fam_name(family), ms);
	}
}

TEST_F(tm, tcp_cork_holds_a_tail_until_an_rto_after_the_last_ack)
{
	use_family(self, AF_INET);
	held_behind_data(_metadata, self, AF_INET, 1);
	use_family(self, AF_XTCP);
	held_behind_data(_metadata, self, AF_XTCP, 1);
}

TEST_F(tm, msg_more_tail_goes_with_the_ack_of_the_rest)
{
	use_family(self, AF_INET);
	held_behind_data(_metadata, self, AF_INET, 0);
	use_family(self, AF_XTCP);
	held_behind_data(_metadata, self, AF_XTCP, 0);
}

/* ---- the RTO: Karn's rule and the 3 s fallback ---- */

/*
 * The peer has just acknowledged the first of two segments (@r: the
 * first RTO, ms): the next segment the socket sends, after a 50 ms grace
 * for anything it sends at once, must be @seq's timeout.  Returns how
 * long after the ACK it came, in ms.
 */
static double timeout_after_ack(struct __test_metadata *_metadata,
				FIXTURE_DATA(tm) *self, int family, double r,
				uint32_t seq)
{
	uint64_t t_ack = xpeer_now_ns(), end = 0;
	double gap = 0;
	int i;

	watch(_metadata, &self->p, &self->c, &self->t, (int)(6 * r) + 500, 0,
	      &end);
	for (i = 0; i < self->t.n; i++) {
		gap = ms_between(t_ack, self->t.s[i].when_ns);
		if (gap > 50)
			break;
	}
	ASSERT_LT(i, self->t.n) trace_log(_metadata, fam_name(family),
					  &self->t, t_ack);
	TH_LOG("%s: RTO %.0f ms at first, the next timeout %.0f ms after the ACK",
	       fam_name(family), r, gap);
	EXPECT_EQ(seq, self->t.s[i].seq);
	return gap;
}

/*
 * Two segments, never acknowledged: the first is resent after one RTO
 * (r) and after two more (backoff 2: the RTO is now 4r); then the peer
 * acknowledges it, the resent segment, which gives no RTT sample.  The
 * RTO stays 4r: the second segment's timeout comes about 4r after that
 * ACK, not r.
 */
static void karn(struct __test_metadata *_metadata, FIXTURE_DATA(tm) *self,
		 int family)
{
	struct xconn *c = &self->c;
	double r, gap;
	struct xseg s;
	uint64_t t0;

	active_open(_metadata, &self->p, c, family, 42070, PEER_WIN);
	ASSERT_EQ(2 * MSS, send(c->fd, zeros, 2 * MSS, 0));
	XSEG_EXPECT_DATA(&self->p, &s, 1000, c->isn + 1, c->pisn + 1);
	t0 = s.when_ns;
	XSEG_EXPECT_DATA(&self->p, &s, 1000, c->isn + 1 + MSS, c->pisn + 1);
	XSEG_EXPECT_DATA(&self->p, &s, 3000, c->isn + 1, c->pisn + 1);
	r = ms_between(t0, s.when_ns);
	XSEG_EXPECT_DATA(&self->p, &s, 3000, c->isn + 1, c->pisn + 1);
	peer_ack(_metadata, &self->p, c, 1 + MSS, PEER_WIN);
	gap = timeout_after_ack(_metadata, self, family, r, c->isn + 1 + MSS);
	EXPECT_LE(2.5 * r, gap) TH_LOG("%s: RTO %.0f ms at first, %.0f ms after the ACK",
				       fam_name(family), r, gap);
	EXPECT_GT(6 * r, gap) TH_LOG("%s: RTO %.0f ms at first, %.0f ms after the ACK",
				     fam_name(family), r, gap);
}

TEST_F(tm, an_ack_of_resent_data_keeps_the_backed_off_rto)
{
	use_family(self, AF_INET);
	karn(_metadata, self, AF_INET);
	use_family(self, AF_XTCP);
	karn(_metadata, self, AF_XTCP);
}

/* A segment of the peer's with the timestamp option: @tsecr echoed. */
#define TS_MSS		(MSS - 12)	/* the option's 12 bytes come off */

static struct xseg ts_seg(struct xconn *c, uint32_t seq, uint32_t ack,
			  uint8_t flags, uint32_t tsecr)
{
	struct xseg s = xc_seg(c->rport, c->lport, seq, ack, flags);

	s.win = PEER_WIN;
	s.has_ts = 1;
	s.tsval = xpeer_now_ns() / MS;
	s.tsecr = tsecr;
	return s;
}

/*
 * Karn's script with timestamps: the peer's ACK of the twice-resent
 * segment echoes the last resend's TSval, which measures that resend's
 * round trip (RFC 7323 section 4.3), and Linux takes it as a sample
 * (tcp_ack_update_rtt()): the RTO is the RTT's again, and the second
 * segment's timeout comes about r after the ACK, where without the
 * sample it would be 4r.
 */
static void karn_ts(struct __test_metadata *_metadata, FIXTURE_DATA(tm) *self,
		    int family)
{
	struct xconn *c = &self->c;
	struct xseg s, a;
	double r, gap;
	uint64_t t0;

	c->fd = start_connect(_metadata, family, 42075);
	XSEG_EXPECT(&self->p, &s, 2000, F_SYN, XSEG_ANY, XSEG_ANY);
	ASSERT_EQ(1, s.has_ts);
	c->lport = s.sport;
	c->rport = 42075;
	c->isn = s.seq;
	c->pisn = PISN;
	a = ts_seg(c, PISN, c->isn + 1, F_SYN | F_ACK, s.tsval);
	ASSERT_EQ(0, xpeer_send(&self->p, &a));
	XSEG_EXPECT(&self->p, &s, 2000, F_ACK, c->isn + 1, PISN + 1);
	ASSERT_EQ(1, s.has_ts);
	ASSERT_EQ(0, xc_set_nonblock(c->fd, 0));
	ASSERT_EQ(0, set_int(c->fd, IPPROTO_TCP, TCP_NODELAY, 1));

	ASSERT_EQ(2 * TS_MSS, send(c->fd, zeros, 2 * TS_MSS, 0));
	XSEG_EXPECT_DATA(&self->p, &s, 1000, c->isn + 1, PISN + 1);
	t0 = s.when_ns;
	XSEG_EXPECT_DATA(&self->p, &s, 1000, c->isn + 1 + TS_MSS, PISN + 1);
	XSEG_EXPECT_DATA(&self->p, &s, 3000, c->isn + 1, PISN + 1);
	r = ms_between(t0, s.when_ns);
	XSEG_EXPECT_DATA(&self->p, &s, 3000, c->isn + 1, PISN + 1);
	ASSERT_EQ(1, s.has_ts);
	a = ts_seg(c, PISN + 1, c->isn + 1 + TS_MSS, F_ACK, s.tsval);
	ASSERT_EQ(0, xpeer_send(&self->p, &a));
	gap = timeout_after_ack(_metadata, self, family, r, c->isn + 1 + TS_MSS);
	EXPECT_LE(0.5 * r, gap) TH_LOG("%s: RTO %.0f ms at first, %.0f ms after the ACK",
				       fam_name(family), r, gap);
	EXPECT_GT(2.5 * r, gap) TH_LOG("%s: RTO %.0f ms at first, %.0f ms after the ACK",
				       fam_name(family), r, gap);
}

TEST_F(tm, an_echoed_timestamp_of_resent_data_resets_the_rto)
{
	use_family(self, AF_INET);
	karn_ts(_metadata, self, AF_INET);
	use_family(self, AF_XTCP);
	karn_ts(_metadata, self, AF_XTCP);
}

/* The first data segment's timeout: its resend's delay, in ms. */
static double first_data_rto(struct __test_metadata *_metadata,
			     FIXTURE_DATA(tm) *self)
{
	struct xconn *c = &self->c;
	struct xseg s, again;

	ASSERT_EQ(100, send(c->fd, zeros, 100, 0));
	XSEG_EXPECT_DATA(&self->p, &s, 1000, c->isn + 1, c->pisn + 1);
	XSEG_EXPECT_DATA(&self->p, &again, 6000, c->isn + 1, c->pisn + 1);
	return ms_between(s.when_ns, again.when_ns);
}

/*
 * RFC 6298 section 5.7: the SYN was resent (the first one is lost), so
 * the handshake gave no RTT sample, and the data's first RTO is 3 s
 * rather than the initial 1 s.
 */
static void after_resent_syn(struct __test_metadata *_metadata,
			     FIXTURE_DATA(tm) *self, int family)
{
	struct xconn *c = &self->c;
	struct xseg s;
	double ms;

	c->fd = start_connect(_metadata, family, 42080);
	XSEG_EXPECT(&self->p, &s, 2000, F_SYN, XSEG_ANY, XSEG_ANY);
	c->lport = s.sport;
	c->rport = 42080;
	c->isn = s.seq;
	c->pisn = PISN;
	XSEG_EXPECT(&self->p, &s, 3000, F_SYN, c->isn, XSEG_ANY);
	synack(_metadata, &self->p, c, PEER_WIN);
	ASSERT_EQ(0, xc_set_nonblock(c->fd, 0));
	ASSERT_EQ(0, set_int(c->fd, IPPROTO_TCP, TCP_NODELAY, 1));
	ms = first_data_rto(_metadata, self);
	TH_LOG("%s: the first data's RTO %.0f ms", fam_name(family), ms);
	EXPECT_LE(2500, ms) TH_LOG("%s: first RTO %.0f ms", fam_name(family),
				   ms);
	EXPECT_GT(4500, ms) TH_LOG("%s: first RTO %.0f ms", fam_name(family),
				   ms);
}

TEST_F(tm, data_after_a_resent_syn_starts_with_a_3s_rto)
{
	use_family(self, AF_INET);
	after_resent_syn(_metadata, self, AF_INET);
	use_family(self, AF_XTCP);
	after_resent_syn(_metadata, self, AF_XTCP);
}

/* The same on the passive side: the first SYN-ACK is lost. */
static void after_resent_synack(struct __test_metadata *_metadata,
				FIXTURE_DATA(tm) *self, int family)
{
	uint16_t port = 7011 + (family == AF_XTCP);
	struct xconn *c = &self->c;
	struct xseg s;
	double ms;

	self->lfd = listen_on(_metadata, family, port);
	xc_peer_syn(_metadata, &self->p, c, port, 42090, PISN);
	XSEG_EXPECT(&self->p, &s, 3000, F_SYN | F_ACK, c->isn, PISN + 1);
	CONN_SEND(&self->p, c, PISN + 1, c->isn + 1, F_ACK, NULL, 0);
	c->fd = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, c->fd);
	ASSERT_EQ(0, set_int(c->fd, IPPROTO_TCP, TCP_NODELAY, 1));
	ms = first_data_rto(_metadata, self);
	TH_LOG("%s: the first data's RTO %.0f ms", fam_name(family), ms);
	EXPECT_LE(2500, ms) TH_LOG("%s: first RTO %.0f ms", fam_name(family),
				   ms);
	EXPECT_GT(4500, ms) TH_LOG("%s: first RTO %.0f ms", fam_name(family),
				   ms);
}

TEST_F(tm, data_after_a_resent_synack_starts_with_a_3s_rto)
{
	use_family(self, AF_INET);
	after_resent_synack(_metadata, self, AF_INET);
	use_family(self, AF_XTCP);
	after_resent_synack(_metadata, self, AF_XTCP);
}

/*
 * Zero-window probes back off their own interval (about 200, 400,
 * 800 ms here), not the RTO: once the window opens, the data's timeout
 * is the RTT's RTO again, as Linux keeps icsk_rto apart from the probes'
 * backoff, not the 1.6 s or more the probes reached.
 */
static void after_zero_window(struct __test_metadata *_metadata,
			      FIXTURE_DATA(tm) *self, int family)
{
	struct xconn *c = &self->c;
	uint64_t end = 0;
	struct xseg s, again;
	int i, probes = 0;
	double ms;

	active_open(_metadata, &self->p, c, family, 42100, 0);
	ASSERT_EQ(100, send(c->fd, zeros, 100, 0));
	/* The third probe is due about 1.4 s after the write. */
	watch(_metadata, &self->p, c, &self->t, 2200, 0, &end);
	for (i = 0; i < self->t.n; i++)
		probes += is_probe(c, &self->t.s[i]);
	ASSERT_LE(3, probes) trace_log(_metadata, fam_name(family), &self->t,
				       self->t.s[0].when_ns);
	peer_ack(_metadata, &self->p, c, 1, PEER_WIN);
	XSEG_EXPECT_DATA(&self->p, &s, 1000, c->isn + 1, c->pisn + 1);
	XSEG_EXPECT_DATA(&self->p, &again, 4000, c->isn + 1, c->pisn + 1);
	ms = ms_between(s.when_ns, again.when_ns);
	TH_LOG("%s: %d probes, then the data's RTO %.0f ms", fam_name(family),
	       probes, ms);
	EXPECT_LE(150, ms);
	EXPECT_GT(700, ms);
}

TEST_F(tm, data_after_a_zero_window_stall_has_the_rtt_rto)
{
	use_family(self, AF_INET);
	after_zero_window(_metadata, self, AF_INET);
	use_family(self, AF_XTCP);
	after_zero_window(_metadata, self, AF_XTCP);
}

TEST_HARNESS_MAIN
