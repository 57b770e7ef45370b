// SPDX-License-Identifier: GPL-2.0
/*
 * TIME_WAIT with timestamps (RFC 7323), each case next to Linux TCP in
 * the same namespace, against the scripted peer (a TUN device, 10.0.0.2):
 * a TIME_WAIT entry's ACKs carry TSval (our clock, the connection's
 * offset) and TSecr (the peer's latest TSval), and PAWS drops what
 * arrives with an older TSval (a RST with one leaves the entry be).
 */
#include <netinet/in.h>
#include <sys/socket.h>

#include "kselftest_harness.h"
#include "xtcp_util.h"
#include "peer.h"
#include "xtcp_conn.h"

#define PISN		0x40000000u
#define PEER_TS0	1000000u	/* the peer's first TSval */

/* One protocol's run of a script. */
struct run {
	const char *name;
	int family;
	struct xpeer *p;
	struct xconn c;
	uint32_t pts;		/* the peer's TSval clock */
	uint32_t tsecr;		/* the socket's last TSval, to echo */
};

static int write_file(const char *path, const char *val)
{
	FILE *f = fopen(path, "we");
	int ret;

	if (!f)
		return -errno;
	ret = fputs(val, f) < 0 ? -EIO : 0;
	if (fclose(f))
		ret = -errno;
	return ret;
}

/*
 * The state of @proto's line (/proc/net/tcp or /proc/net/xtcp) for local
 * port @lport and remote port @rport, or -1.
 */
static int proc_state(int family, uint16_t lport, uint16_t rport)
{
	FILE *f = fopen(family == AF_XTCP ? "/proc/net/xtcp" : "/proc/net/tcp",
			"re");
	unsigned int lp, rp, st;
	char line[512];
	int ret = -1;

	if (!f)
		return -2;
	while (fgets(line, sizeof(line), f)) {
		/* TCP's lines begin with a slot number, XTCP's do not. */
		if (family == AF_XTCP ?
		    sscanf(line, "%*x:%x %*x:%x %x", &lp, &rp, &st) != 3 :
		    sscanf(line, " %*d: %*x:%x %*x:%x %x", &lp, &rp, &st) != 3)
			continue;
		if (lp == lport && rp == rport) {
			ret = st;
			break;
		}
	}
	fclose(f);
	return ret;
}

static int wait_proc_state(int family, uint16_t lport, uint16_t rport,
			   int want)
{
	int i, st = -1;

	for (i = 0; i < 400; i++) {
		st = proc_state(family, lport, rport);
		if (st == want)
			break;
		sleep_ms(5);
	}
	return st;
}

/* ---- against the scripted peer ---- */

FIXTURE(tw) {
	struct xpeer p;
	struct run tcp, xtcp;
};

FIXTURE_SETUP(tw)
{
	self->tcp.c.fd = self->xtcp.c.fd = -1;
	ASSERT_EQ(0, xtcp_ensure_loaded());
	ASSERT_EQ(0, xpeer_setup(&self->p));
	/* Every answer to a bad segment counts here: none rate-limited. */
	ASSERT_EQ(0, write_file("/proc/sys/net/ipv4/tcp_invalid_ratelimit",
				"0"));
	ASSERT_EQ(0, xtcp_sysctl_set("invalid_ratelimit_ms", 0));
	ASSERT_EQ(0, xtcp_sysctl_set("msl_ms", 30000));
	self->tcp = (struct run){ "TCP", AF_INET, &self->p, { .fd = -1 } };
	self->xtcp = (struct run){ "XTCP", AF_XTCP, &self->p, { .fd = -1 } };
}

FIXTURE_TEARDOWN(tw)
{
	xc_close_abort(self->tcp.c.fd);
	xc_close_abort(self->xtcp.c.fd);
	xpeer_teardown(&self->p);
}

/* A segment from the peer with its next timestamp. */
static struct xseg peer_seg(struct run *r, uint32_t seq, uint32_t ack,
			    uint8_t flags)
{
	struct xseg s = xc_seg(r->c.rport, r->c.lport, seq, ack, flags);

	s.has_ts = 1;
	s.tsval = ++r->pts;
	s.tsecr = r->tsecr;
	return s;
}

/* Receives a segment and checks it as XSEG_EXPECT, with a timestamp. */
#define EXPECT_TS_SEG(r, s, flags_, seq_, ack_) do {			\
	XSEG_EXPECT((r)->p, (s), 2000, (flags_), (seq_), (ack_));	\
	ASSERT_EQ(1, (s)->has_ts) TH_LOG("%s: no timestamp", (r)->name); \
} while (0)

/*
 * The socket connects to the peer's @rport, both offering timestamps;
 * with @port it binds that port first (SO_REUSEADDR).  *@syn gets its SYN.
 */
static int open_ts(struct __test_metadata *_metadata, struct run *r,
		   uint16_t rport, uint16_t port, struct xseg *syn)
{
	struct sockaddr_in to = xc_addr(XPEER_REMOTE_ADDR, rport);
	struct sockaddr_in me = xc_addr(XPEER_LOCAL_ADDR, port);
	struct xconn *c = &r->c;
	int one = 1, ret, err;
	struct pollfd pfd;
	struct xseg s;

	r->p->proto = r->family == AF_XTCP ? IPPROTO_XTCP : IPPROTO_TCP;
	c->fd = socket(r->family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		       0);
	if (c->fd < 0)
		return -errno;
	if (port) {
		setsockopt(c->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(c->fd, (struct sockaddr *)&me, sizeof(me)))
			return -errno;
	}
	ret = connect(c->fd, (struct sockaddr *)&to, sizeof(to));
	err = errno;
	if (ret != -1 || err != EINPROGRESS)
		return ret ? -err : -EINVAL;
	XSEG_EXPECT(r->p, syn, 2000, F_SYN, XSEG_ANY, XSEG_ANY);
	c->lport = syn->sport;
	c->rport = rport;
	c->isn = syn->seq;
	c->pisn = PISN;
	r->tsecr = syn->tsval;
	if (!r->pts)
		r->pts = PEER_TS0;
	s = peer_seg(r, PISN, c->isn + 1, F_SYN | F_ACK);
	ASSERT_EQ(0, xpeer_send(r->p, &s));
	EXPECT_TS_SEG(r, &s, F_ACK, c->isn + 1, PISN + 1);
	r->tsecr = s.tsval;
	pfd.fd = c->fd;
	pfd.events = POLLOUT;
	ASSERT_EQ(1, poll(&pfd, 1, 2000));
	return 0;
}

/*
 * The socket closes first; the peer's FIN (TSval returned) puts it in
 * TIME_WAIT.  *@ack gets the socket's last ACK.
 *	socket  F.  seq isn+1, ack pisn+1
 *	peer    F.  seq pisn+1, ack isn+2
 *	socket  .   seq isn+2, ack pisn+2     TIME_WAIT
 */
static uint32_t close_to_time_wait(struct __test_metadata *_metadata,
				   struct run *r, struct xseg *ack)
{
	struct xconn *c = &r->c;
	struct xseg s;

	close(c->fd);
	c->fd = -1;
	EXPECT_TS_SEG(r, &s, F_FIN | F_ACK, c->isn + 1, PISN + 1);
	r->tsecr = s.tsval;
	s = peer_seg(r, PISN + 1, c->isn + 2, F_FIN | F_ACK);
	EXPECT_EQ(0, xpeer_send(r->p, &s));
	EXPECT_TS_SEG(r, ack, F_ACK, c->isn + 2, PISN + 2);
	r->tsecr = ack->tsval;
	EXPECT_EQ(0x06, wait_proc_state(r->family, c->lport, c->rport, 0x06))
		TH_LOG("%s: not in TIME_WAIT", r->name);
	return s.tsval;
}

/* Sends @s from the peer and expects the entry's ACK with timestamps. */
static void expect_tw_ack(struct __test_metadata *_metadata, struct run *r,
			  struct xseg *s, uint32_t tsecr, uint32_t last_tsval,
			  const char *what)
{
	struct xconn *c = &r->c;
	struct xseg a;

	ASSERT_EQ(0, xpeer_send(r->p, s));
	XSEG_EXPECT(r->p, &a, 2000, F_ACK, c->isn + 2, PISN + 2);
	EXPECT_EQ(1, a.has_ts) TH_LOG("%s, %s: no timestamp", r->name, what);
	EXPECT_EQ(tsecr, a.tsecr) TH_LOG("%s, %s: TSecr", r->name, what);
	/* Our clock, at the connection's offset, went on. */
	EXPECT_LE(0, (int32_t)(a.tsval - last_tsval))
		TH_LOG("%s, %s: TSval %u after %u", r->name, what, a.tsval,
		       last_tsval);
	EXPECT_GT(10000, (int32_t)(a.tsval - last_tsval))
		TH_LOG("%s, %s: TSval %u after %u", r->name, what, a.tsval,
		       last_tsval);
}

/*
 *	(open, close to TIME_WAIT: the peer's FIN has TSval t1)
 *	peer    F.  seq pisn+1, TSval t1+1     again: our ACK was lost
 *	entry   .   ack pisn+2, TSecr t1       (the FIN was not new)
 *	peer    .   seq pisn+2, TSval t1+2     in the window: taken
 *	peer    .   seq pisn+2+100000          out of the window
 *	entry   .   ack pisn+2, TSecr t1+2
 */
static void time_wait_acks(struct __test_metadata *_metadata, struct run *r,
			   uint16_t rport)
{
	struct xconn *c = &r->c;
	struct xseg s, ack;
	uint32_t t1;

	ASSERT_EQ(0, open_ts(_metadata, r, rport, 0, &s));
	t1 = close_to_time_wait(_metadata, r, &ack);
	sleep_ms(50);
	s = peer_seg(r, PISN + 1, c->isn + 2, F_FIN | F_ACK);
	expect_tw_ack(_metadata, r, &s, t1, ack.tsval + 40, "FIN again");
	s = peer_seg(r, PISN + 2, c->isn + 2, F_ACK);
	ASSERT_EQ(0, xpeer_send(r->p, &s));
	XSEG_EXPECT_SILENCE(r->p, 100);
	s = peer_seg(r, PISN + 2 + 100000, c->isn + 2, F_ACK);
	expect_tw_ack(_metadata, r, &s, t1 + 2, ack.tsval + 40,
		      "out of the window");
}

TEST_F(tw, time_wait_acks_carry_timestamps)
{
	time_wait_acks(_metadata, &self->tcp, 4001);
	time_wait_acks(_metadata, &self->xtcp, 4002);
}

/*
 *	(open, close to TIME_WAIT: the peer's FIN has TSval t1)
 *	peer    .   seq pisn+2, TSval t1-1000  old: fails PAWS
 *	entry   .   ack pisn+2, TSecr t1       PAWSRejected
 *	peer    R   seq pisn+2, TSval t1-1000  old: ignored, still 06
 *	peer    R   seq pisn+2, TSval t1+1     the entry goes
 */
static void time_wait_paws(struct __test_metadata *_metadata, struct run *r,
			   uint16_t rport)
{
	struct xconn *c = &r->c;
	long paws = xtcp_stat("PAWSRejected");
	struct xseg s, ack;
	uint32_t t1;

	ASSERT_EQ(0, open_ts(_metadata, r, rport, 0, &s));
	t1 = close_to_time_wait(_metadata, r, &ack);
	s = peer_seg(r, PISN + 2, c->isn + 2, F_ACK);
	s.tsval = t1 - 1000;
	expect_tw_ack(_metadata, r, &s, t1, ack.tsval, "an old TSval");
	if (r->family == AF_XTCP)
		EXPECT_EQ(paws + 1, xtcp_stat("PAWSRejected"));

	s = peer_seg(r, PISN + 2, 0, F_RST);
	s.tsval = t1 - 1000;
	ASSERT_EQ(0, xpeer_send(r->p, &s));
	XSEG_EXPECT_SILENCE(r->p, 100);
	EXPECT_EQ(0x06, proc_state(r->family, c->lport, c->rport))
		TH_LOG("%s: a RST with an old TSval ended TIME_WAIT", r->name);

	s = peer_seg(r, PISN + 2, 0, F_RST);
	ASSERT_EQ(0, xpeer_send(r->p, &s));
	EXPECT_EQ(-1, wait_proc_state(r->family, c->lport, c->rport, -1))
		TH_LOG("%s: a RST with a new TSval left TIME_WAIT", r->name);
}

TEST_F(tw, paws_in_time_wait_answers_and_ignores_old_timestamps)
{
	time_wait_paws(_metadata, &self->tcp, 4011);
	time_wait_paws(_metadata, &self->xtcp, 4012);
}

TEST_HARNESS_MAIN
