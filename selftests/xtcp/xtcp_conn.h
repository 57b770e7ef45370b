/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the selftests that open and close connections with the
 * scripted peer (handshake_test.c, close_test.c): segments from the peer,
 * /proc/net/xtcp states, a blocking connect() in a thread, and the two
 * handshakes.  Include after kselftest_harness.h, xtcp_util.h and peer.h.
 *
 * Sequence numbers in the tests are offsets from the two ISNs: "isn" is
 * the module's, "pisn" the peer's, as packetdrill writes them.
 */
#ifndef XTCP_CONN_H
#define XTCP_CONN_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>

#ifndef __KSELFTEST_HARNESS_H
#error "include kselftest_harness.h first"
#endif

#define MS		1000000ull

/* /proc/net/xtcp states (TCP's numbers). */
#define ST_ESTABLISHED	0x01
#define ST_SYN_SENT	0x02
#define ST_SYN_RECV	0x03
#define ST_FIN_WAIT1	0x04
#define ST_FIN_WAIT2	0x05
#define ST_TIME_WAIT	0x06
#define ST_CLOSE	0x07
#define ST_CLOSE_WAIT	0x08
#define ST_LAST_ACK	0x09
#define ST_LISTEN	0x0A
#define ST_CLOSING	0x0B

#define F_FIN	XTCP_FLAG_FIN
#define F_SYN	XTCP_FLAG_SYN
#define F_RST	XTCP_FLAG_RST
#define F_PSH	XTCP_FLAG_PSH
#define F_ACK	XTCP_FLAG_ACK

#define PEER_WIN	65535

/* One connection as the tests see it. */
struct xconn {
	int fd;
	uint16_t lport;		/* the module's port */
	uint16_t rport;		/* the peer's port */
	uint32_t isn;		/* the module's ISN */
	uint32_t pisn;		/* the peer's ISN */
};

static inline double ms_between(uint64_t a, uint64_t b)
{
	return ((double)b - (double)a) / MS;
}

/*
 * Resends at @when[0..@n) back off exponentially from @first_ms: the
 * i-th gap is the timeout then, @first_ms doubled i-1 times.  A timer
 * never fires early (0.8: the peer's own clock reads) and may fire late
 * when the guest is slow, by a delay, not a factor: so each gap is held
 * to its own timeout (at most half as much again and 100 ms later), not
 * to the gap before it, which one late firing would have stretched.
 */
static inline void xc_expect_backoff(struct __test_metadata *_metadata,
				     const uint64_t *when, int n,
				     double first_ms)
{
	double gap, rto = first_ms;
	int i;

	for (i = 1; i < n; i++, rto *= 2) {
		gap = ms_between(when[i - 1], when[i]);
		TH_LOG("gap %d: %.1f ms (timeout %.0f ms)", i, gap, rto);
		EXPECT_LE(rto * 0.8, gap);
		EXPECT_GE(rto * 1.5 + 100, gap);
	}
}

static inline void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static inline struct sockaddr_in xc_addr(const char *ip, uint16_t port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
	};

	inet_pton(AF_INET, ip, &sin.sin_addr);
	return sin;
}

static inline int xc_set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	return fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

/* Aborts with a RST when closed: the fixtures' teardown leaves no orphan. */
static inline void xc_close_abort(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

static inline int xc_local_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	if (getsockname(fd, (struct sockaddr *)&sin, &len))
		return -1;
	return ntohs(sin.sin_port);
}

/* ---- /proc/net/xtcp ---- */

/*
 * The state of the line for the module's lport and the peer's rport
 * (rport 0: the listener on lport), or -1 when there is none.
 */
static inline int xc_proc_state(uint16_t lport, uint16_t rport)
{
	FILE *f = fopen("/proc/net/xtcp", "re");
	unsigned int la, lp, ra, rp, st;
	char line[512];
	int ret = -1;

	if (!f)
		return -2;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%x:%x %x:%x %x", &la, &lp, &ra, &rp, &st) != 5)
			continue;
		if (lp == lport && rp == rport) {
			ret = st;
			break;
		}
	}
	fclose(f);
	return ret;
}

/* How many lines are in state st. */
static inline int xc_proc_count(int st)
{
	FILE *f = fopen("/proc/net/xtcp", "re");
	unsigned int la, lp, ra, rp, s;
	char line[512];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%x:%x %x:%x %x", &la, &lp, &ra, &rp, &s) == 5 &&
		    (int)s == st)
			n++;
	fclose(f);
	return n;
}

/* Polls until the line's state is want (-1: gone); returns the last seen. */
static inline int xc_wait_state(uint16_t lport, uint16_t rport, int want,
				int timeout_ms)
{
	uint64_t end = xpeer_now_ns() + timeout_ms * MS;
	int st;

	for (;;) {
		st = xc_proc_state(lport, rport);
		if (st == want || xpeer_now_ns() >= end)
			return st;
		sleep_ms(5);
	}
}

/* Polls a counter until it reaches want; returns the last value. */
static inline long xc_wait_stat(const char *name, long want, int timeout_ms)
{
	uint64_t end = xpeer_now_ns() + timeout_ms * MS;
	long v;

	for (;;) {
		v = xtcp_stat(name);
		if (v >= want || xpeer_now_ns() >= end)
			return v;
		sleep_ms(5);
	}
}

/* ---- segments from the peer ---- */

static inline struct xseg xc_seg(uint16_t sport, uint16_t dport, uint32_t seq,
				 uint32_t ack, uint8_t flags)
{
	struct xseg s = {
		.sport = sport, .dport = dport, .seq = seq, .ack = ack,
		.flags = flags, .win = PEER_WIN,
	};

	if (flags & F_SYN) {
		s.has_mss = 1;
		s.mss = 1460;
	}
	return s;
}

/* Sends one segment from the peer, with data when len > 0. */
#define PEER_SEND(p, sport_, dport_, seq_, ack_, flags_, data_, len_) do { \
	struct xseg __ps = xc_seg((sport_), (dport_), (seq_), (ack_),	\
				  (flags_));				\
	__ps.data = (const uint8_t *)(data_);				\
	__ps.len = (len_);						\
	ASSERT_EQ(0, xpeer_send((p), &__ps));				\
} while (0)

/* The same on an established connection c, peer to module. */
#define CONN_SEND(p, c, seq_, ack_, flags_, data_, len_) \
	PEER_SEND(p, (c)->rport, (c)->lport, seq_, ack_, flags_, data_, len_)

/* ---- connect() in a thread, for calls that block ---- */

struct bg_connect {
	pthread_t th;
	int fd;
	struct sockaddr_in to;
	int ret;
	int err;
	uint64_t done_ns;
	int done;
	int started;
};

static void *bg_connect_fn(void *arg)
{
	struct bg_connect *b = arg;

	b->ret = connect(b->fd, (struct sockaddr *)&b->to, sizeof(b->to));
	b->err = b->ret ? errno : 0;
	b->done_ns = xpeer_now_ns();
	__atomic_store_n(&b->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static inline int bg_connect_start(struct bg_connect *b, int fd,
				   uint16_t port)
{
	memset(b, 0, sizeof(*b));
	b->fd = fd;
	b->to = xc_addr(XPEER_REMOTE_ADDR, port);
	if (pthread_create(&b->th, NULL, bg_connect_fn, b))
		return -1;
	b->started = 1;
	return 0;
}

/* 1 when connect() returned within timeout_ms (then joined), else 0. */
static inline int bg_connect_wait(struct bg_connect *b, int timeout_ms)
{
	uint64_t end = xpeer_now_ns() + timeout_ms * MS;

	while (!__atomic_load_n(&b->done, __ATOMIC_ACQUIRE)) {
		if (xpeer_now_ns() >= end)
			return 0;
		sleep_ms(2);
	}
	if (b->started) {
		pthread_join(b->th, NULL);
		b->started = 0;
	}
	return 1;
}

/* ---- any other blocking call in a thread (accept, recv) ---- */

struct bg_call {
	pthread_t th;
	long (*fn)(struct bg_call *b);
	int fd;
	long ret;
	int err;
	char buf[64];
	uint64_t done_ns;
	int done;
	int started;
};

static void *bg_call_fn(void *arg)
{
	struct bg_call *b = arg;

	b->ret = b->fn(b);
	b->err = b->ret < 0 ? errno : 0;
	b->done_ns = xpeer_now_ns();
	__atomic_store_n(&b->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static inline int bg_call_start(struct bg_call *b,
				long (*fn)(struct bg_call *b), int fd)
{
	memset(b, 0, sizeof(*b));
	b->fn = fn;
	b->fd = fd;
	if (pthread_create(&b->th, NULL, bg_call_fn, b))
		return -1;
	b->started = 1;
	return 0;
}

static inline int bg_call_done(struct bg_call *b)
{
	return __atomic_load_n(&b->done, __ATOMIC_ACQUIRE);
}

/* 1 when the call returned within timeout_ms (then joined), else 0. */
static inline int bg_call_wait(struct bg_call *b, int timeout_ms)
{
	uint64_t end = xpeer_now_ns() + timeout_ms * MS;

	while (!bg_call_done(b)) {
		if (xpeer_now_ns() >= end)
			return 0;
		sleep_ms(2);
	}
	if (b->started) {
		pthread_join(b->th, NULL);
		b->started = 0;
	}
	return 1;
}

static inline long bg_accept(struct bg_call *b)
{
	return accept(b->fd, NULL, NULL);
}

static inline long bg_recv(struct bg_call *b)
{
	return recv(b->fd, b->buf, sizeof(b->buf) - 1, 0);
}

/* ---- the two handshakes ---- */

/*
 * Active open, the module connecting to the peer's rport from an
 * ephemeral port (non-blocking, then made blocking again):
 *	module  S   seq isn
 *	peer    S.  seq pisn, ack isn+1
 *	module  .   seq isn+1, ack pisn+1
 */
static inline void xc_active_open(struct __test_metadata *_metadata,
				  struct xpeer *p, struct xconn *c,
				  uint16_t rport, uint32_t pisn)
{
	struct sockaddr_in to = xc_addr(XPEER_REMOTE_ADDR, rport);
	struct pollfd pfd;
	struct xseg s;
	int err = -1;
	socklen_t len = sizeof(err);

	c->fd = socket(AF_XTCP, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ASSERT_LE(0, c->fd);
	ASSERT_EQ(-1, connect(c->fd, (struct sockaddr *)&to, sizeof(to)));
	ASSERT_EQ(EINPROGRESS, errno);
	XSEG_EXPECT(p, &s, 2000, F_SYN, XSEG_ANY, XSEG_ANY);
	c->lport = s.sport;
	c->rport = rport;
	c->isn = s.seq;
	c->pisn = pisn;
	ASSERT_EQ(rport, s.dport);

	PEER_SEND(p, rport, c->lport, pisn, c->isn + 1, F_SYN | F_ACK, NULL, 0);
	XSEG_EXPECT(p, &s, 2000, F_ACK, c->isn + 1, pisn + 1);

	pfd.fd = c->fd;
	pfd.events = POLLOUT;
	ASSERT_EQ(1, poll(&pfd, 1, 2000));
	ASSERT_EQ(0, getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len));
	ASSERT_EQ(0, err);
	ASSERT_EQ(0, xc_set_nonblock(c->fd, 0));
}

/*
 * The same, but the SYN-ACK offers SACK and window shift @wscale; the
 * module's SYN is left in *@syn when that is not NULL.
 */
static inline void xc_active_open_sack(struct __test_metadata *_metadata,
				       struct xpeer *p, struct xconn *c,
				       uint16_t rport, uint32_t pisn,
				       uint8_t wscale, struct xseg *syn)
{
	struct sockaddr_in to = xc_addr(XPEER_REMOTE_ADDR, rport);
	struct xseg s;

	c->fd = socket(AF_XTCP, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, c->fd);
	ASSERT_EQ(0, xc_set_nonblock(c->fd, 1));
	ASSERT_EQ(-1, connect(c->fd, (struct sockaddr *)&to, sizeof(to)));
	XSEG_EXPECT(p, &s, 2000, F_SYN, XSEG_ANY, XSEG_ANY);
	if (syn)
		*syn = s;
	c->lport = s.sport;
	c->rport = rport;
	c->isn = s.seq;
	c->pisn = pisn;
	s = xc_seg(rport, c->lport, pisn, c->isn + 1, F_SYN | F_ACK);
	s.has_sackperm = 1;
	s.has_wscale = 1;
	s.wscale = wscale;
	ASSERT_EQ(0, xpeer_send(p, &s));
	XSEG_EXPECT(p, &s, 2000, F_ACK, c->isn + 1, pisn + 1);
	ASSERT_EQ(0, xc_set_nonblock(c->fd, 0));
}

/* A listener on 10.0.0.1:port. */
static inline int xc_listen(struct __test_metadata *_metadata, uint16_t port,
			    int backlog, int nonblock)
{
	struct sockaddr_in sin = xc_addr(XPEER_LOCAL_ADDR, port);
	int fd = socket(AF_XTCP, SOCK_STREAM | SOCK_CLOEXEC |
			(nonblock ? SOCK_NONBLOCK : 0), 0);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, listen(fd, backlog));
	return fd;
}

/*
 * The peer's SYN from rport to the listener on lport, and the SYN-ACK it
 * gets back; fills c->isn from it.
 *	peer    S   seq pisn
 *	module  S.  seq isn, ack pisn+1
 */
static inline void xc_peer_syn(struct __test_metadata *_metadata,
			       struct xpeer *p, struct xconn *c,
			       uint16_t lport, uint16_t rport, uint32_t pisn)
{
	struct xseg s;

	c->fd = -1;
	c->lport = lport;
	c->rport = rport;
	c->pisn = pisn;
	PEER_SEND(p, rport, lport, pisn, 0, F_SYN, NULL, 0);
	XSEG_EXPECT(p, &s, 2000, F_SYN | F_ACK, XSEG_ANY, pisn + 1);
	ASSERT_EQ(lport, s.sport);
	ASSERT_EQ(rport, s.dport);
	c->isn = s.seq;
}

/* The whole passive open, up to the final ACK (accept() is the test's). */
static inline void xc_peer_handshake(struct __test_metadata *_metadata,
				     struct xpeer *p, struct xconn *c,
				     uint16_t lport, uint16_t rport,
				     uint32_t pisn)
{
	xc_peer_syn(_metadata, p, c, lport, rport, pisn);
	CONN_SEND(p, c, pisn + 1, c->isn + 1, F_ACK, NULL, 0);
}

/*
 * A comparison test's two runs: the fixture's variant says which stack,
 * Linux TCP or XTCP, with that stack's sysctl prefix (XTCP's names are
 * TCP's less "tcp_").  Each test runs the same script on both.
 */
#define XC_TCP_AND_XTCP(f)						\
	FIXTURE_VARIANT(f) {						\
		int family;						\
		int proto;						\
		const char *knobs;					\
	};								\
	FIXTURE_VARIANT_ADD(f, tcp) {					\
		.family = AF_INET,					\
		.proto = IPPROTO_TCP,					\
		.knobs = "/proc/sys/net/ipv4/tcp_",			\
	};								\
	FIXTURE_VARIANT_ADD(f, xtcp) {					\
		.family = AF_XTCP,					\
		.proto = IPPROTO_XTCP,					\
		.knobs = "/proc/sys/net/xtcp/",				\
	}

#endif /* XTCP_CONN_H */
