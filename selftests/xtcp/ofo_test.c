// SPDX-License-Identifier: GPL-2.0
/*
 * The out-of-order queue against a hostile peer, scripted: data past a
 * hole may not make a socket hold more than its receive buffer, however
 * the peer cuts and orders it, nor slow the module down as it piles up;
 * and once the hole is filled and the rest resent, the reader gets every
 * byte.  Linux TCP's rules (tcp_data_queue_ofo(), tcp_prune_ofo_queue()):
 * the queue is an rbtree, contiguous data is coalesced into one skb, and
 * over the buffer the data furthest from the hole goes first.
 *
 * The module connects with SO_RCVBUF at 64 KiB (the kernel doubles it);
 * the peer's SYN-ACK offers SACK and a window shift, no timestamps.  The
 * peer never sends byte 0 (offsets count from its ISN + 1), then floods
 * 1-byte segments at odd offsets, 16,000 of them inside the 64 KiB
 * window: kept one skb each, that is 12-15 MB.  The socket's memory is
 * read through SO_MEMINFO after every segment.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/sock_diag.h>

#include "kselftest_harness.h"
#include "xtcp_util.h"
#include "peer.h"
#include "xtcp_conn.h"

#define PEER_PORT	4101
#define PISN		0x60000000u
#define WSCALE		7
#define RCVBUF		65536		/* SO_RCVBUF asked for */
#define FLOOD		16000		/* segments, at offsets 1, 3, ... */
#define RUN		8000		/* segments, at offsets 1, 2, ... */
#define TIME_BOUND_MS	30000		/* for the whole flood: generous */
#define CHUNK		1000		/* the peer's resends */
#define SEGMAX		12000		/* the largest segment sent */
#define TAINT_WARN	(1u << 9)	/* /proc/sys/kernel/tainted: a WARN */

FIXTURE(of) {
	struct xpeer p;
	struct xconn c;
	int rcvbuf;		/* SO_RCVBUF read back */
	uint32_t offs[FLOOD];	/* the flood's offsets, in sending order */
};

/* The active open, with the small buffer set before connect(). */
FIXTURE_SETUP(of)
{
	struct sockaddr_in to = xc_addr(XPEER_REMOTE_ADDR, PEER_PORT);
	struct xconn *c = &self->c;
	socklen_t len = sizeof(int);
	int val = RCVBUF;
	struct xseg s;
	uint8_t shift;

	c->fd = -1;
	ASSERT_EQ(0, xtcp_ensure_loaded());
	ASSERT_EQ(0, xpeer_setup(&self->p));
	c->fd = socket(AF_XTCP, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, c->fd);
	ASSERT_EQ(0, setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &val,
				sizeof(val)));
	ASSERT_EQ(0, getsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &self->rcvbuf,
				&len));
	ASSERT_EQ(0, xc_set_nonblock(c->fd, 1));
	ASSERT_EQ(-1, connect(c->fd, (struct sockaddr *)&to, sizeof(to)));
	XSEG_EXPECT(&self->p, &s, 2000, F_SYN, XSEG_ANY, XSEG_ANY);
	c->lport = s.sport;
	c->rport = PEER_PORT;
	c->isn = s.seq;
	c->pisn = PISN;
	shift = s.wscale;
	s = xc_seg(PEER_PORT, c->lport, PISN, c->isn + 1, F_SYN | F_ACK);
	s.has_sackperm = 1;
	s.has_wscale = 1;
	s.wscale = WSCALE;
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	XSEG_EXPECT(&self->p, &s, 2000, F_ACK, c->isn + 1, PISN + 1);
	/* The window takes the whole flood. */
	ASSERT_LE(2 * FLOOD, (int)s.win << shift);
	ASSERT_EQ(0, xc_set_nonblock(c->fd, 0));
}

FIXTURE_TEARDOWN(of)
{
	xc_close_abort(self->c.fd);
	xpeer_teardown(&self->p);
}

/* The byte at offset @off of the peer's stream. */
static uint8_t pat(uint32_t off)
{
	return (uint8_t)(off * 131 + (off >> 8) + 7);
}

/* @len bytes of the stream from offset @off, ACKing our SYN only. */
static int peer_data(struct xpeer *p, struct xconn *c, uint32_t off,
		     uint32_t len)
{
	struct xseg s = xc_seg(c->rport, c->lport, PISN + 1 + off, c->isn + 1,
			       F_ACK | F_PSH);
	static uint8_t buf[SEGMAX];
	uint32_t i;

	if (len > sizeof(buf))
		return -EINVAL;
	for (i = 0; i < len; i++)
		buf[i] = pat(off + i);
	s.data = buf;
	s.len = len;
	return xpeer_send(p, &s);
}

/* The memory the socket's receive side holds now (sk_rmem_alloc). */
static unsigned int rmem_alloc(int fd)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);

	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len))
		return UINT_MAX;
	return mem[SK_MEMINFO_RMEM_ALLOC];
}

/*
 * Sends 1-byte segments at @n offsets, in their order, and returns the
 * most memory the socket held after any of them.  Each write to the TUN
 * device is processed before it returns (in softirq, on this CPU), so
 * the loop's time is the module's too.
 */
static unsigned int flood(struct __test_metadata *_metadata,
			  FIXTURE_DATA(of) *self, int n)
{
	unsigned int peak = 0, m;
	uint64_t t0 = xpeer_now_ns();
	double ms;
	int i;

	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, peer_data(&self->p, &self->c, self->offs[i], 1))
			TH_LOG("segment %d", i);
		m = rmem_alloc(self->c.fd);
		if (m > peak)
			peak = m;
	}
	ms = ms_between(t0, xpeer_now_ns());
	TH_LOG("%d segments in %.0f ms (%.0f/s); OfoDrop %ld, OfoPruned %ld",
	       n, ms, n * 1000.0 / ms, xtcp_stat("OfoDrop"),
	       xtcp_stat("OfoPruned"));
	TH_LOG("memory: peak %u bytes, now %u, SO_RCVBUF %d", peak,
	       rmem_alloc(self->c.fd), self->rcvbuf);
	EXPECT_GT(TIME_BOUND_MS, ms);
	EXPECT_GE(2 * (unsigned int)self->rcvbuf, peak);
	return peak;
}

/* Reads @total bytes and checks each against the peer's stream. */
static void read_all(struct __test_metadata *_metadata,
		     FIXTURE_DATA(of) *self, uint32_t total)
{
	struct timeval tv = { .tv_sec = 5 };
	static uint8_t buf[2 * FLOOD];
	uint32_t got = 0, i;
	ssize_t n;

	ASSERT_GE(sizeof(buf), total);
	ASSERT_EQ(0, setsockopt(self->c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
				sizeof(tv)));
	while (got < total) {
		n = recv(self->c.fd, buf + got, total - got, 0);
		ASSERT_LT(0, n) TH_LOG("%u of %u bytes, then %s", got, total,
				       n ? strerror(errno) : "EOF");
		got += n;
	}
	for (i = 0; i < total; i++)
		ASSERT_EQ(pat(i), buf[i]) TH_LOG("byte %u", i);
	/* Every skb, in order or not, is gone with its data. */
	EXPECT_EQ(0, rmem_alloc(self->c.fd));
}

/*
 * The peer fills the holes before offset 400, a byte at a time (what the
 * queue kept goes to the reader with them), then resends the whole
 * stream in order, as a sender that lost track would.
 */
static void refill_and_read(struct __test_metadata *_metadata,
			    FIXTURE_DATA(of) *self, uint32_t total)
{
	uint32_t off;

	for (off = 0; off < 400; off += 2)
		ASSERT_EQ(0, peer_data(&self->p, &self->c, off, 1));
	for (off = 1; off < total; off += CHUNK)
		ASSERT_EQ(0, peer_data(&self->p, &self->c, off,
				       total - off < CHUNK ? total - off : CHUNK));
	read_all(_metadata, self, total);
}

/*
 * Each new segment lies past all the others: the queue grows at its end,
 * and once full the newcomer is the data furthest from the hole, so it
 * is the one dropped; nothing queued is pruned.
 */
TEST_F_TIMEOUT(of, a_rising_flood_past_a_hole_keeps_to_the_buffer, 120)
{
	int i;

	for (i = 0; i < FLOOD; i++)
		self->offs[i] = 2 * i + 1;
	flood(_metadata, self, FLOOD);
	EXPECT_LT(0, xtcp_stat("OfoDrop"));
	EXPECT_EQ(0, xtcp_stat("OfoPruned"));
	refill_and_read(_metadata, self, 2 * FLOOD);
}

/*
 * Each new segment lies before all the others: once the buffer is full,
 * every one of them pushes the furthest out (OfoPruned).
 */
TEST_F_TIMEOUT(of, a_falling_flood_past_a_hole_prunes_the_far_end, 120)
{
	int i;

	for (i = 0; i < FLOOD; i++)
		self->offs[i] = 2 * (FLOOD - 1 - i) + 1;
	flood(_metadata, self, FLOOD);
	EXPECT_LT(FLOOD / 2, xtcp_stat("OfoPruned"));
	refill_and_read(_metadata, self, 2 * FLOOD);
}

/* In no order (a fixed shuffle): inserts all over the tree, prunes and
 * drops both.
 */
TEST_F_TIMEOUT(of, a_shuffled_flood_past_a_hole_keeps_to_the_buffer, 120)
{
	uint32_t seed = 12345, t;
	int i, j;

	for (i = 0; i < FLOOD; i++)
		self->offs[i] = 2 * i + 1;
	for (i = FLOOD - 1; i > 0; i--) {
		seed = seed * 1103515245 + 12345;
		j = (seed >> 8) % (i + 1);
		t = self->offs[i];
		self->offs[i] = self->offs[j];
		self->offs[j] = t;
	}
	flood(_metadata, self, FLOOD);
	EXPECT_LT(0, xtcp_stat("OfoDrop"));
	EXPECT_LT(0, xtcp_stat("OfoPruned"));
	refill_and_read(_metadata, self, 2 * FLOOD);
}

/*
 * 8,000 1-byte segments in a row after the hole: each is appended to the
 * skb before it, so all of them fit the buffer and none is dropped.  The
 * SACK block covers them all; filling the hole alone then delivers all.
 *	peer    P.  offsets 1, 2, ..., 8000, a byte each
 *	peer    P.  offset 1 again (a duplicate: answered at once)
 *	module  .   ack 0, SACK 1..2 (the D-SACK: offset 1 came twice), 1..8001
 *	peer    P.  offset 0
 */
TEST_F_TIMEOUT(of, tiny_segments_in_a_row_are_coalesced_and_all_kept, 120)
{
	uint32_t base = PISN + 1;
	struct xseg s;
	int i;

	for (i = 0; i < RUN; i++)
		self->offs[i] = i + 1;
	EXPECT_GE((unsigned int)self->rcvbuf, flood(_metadata, self, RUN));
	EXPECT_EQ(0, xtcp_stat("OfoDrop"));
	EXPECT_EQ(0, xtcp_stat("OfoPruned"));
	/* The ACKs the flood made (as many as the TUN queue kept). */
	while (xpeer_recv(&self->p, &s, 100) == 1)
		;
	ASSERT_EQ(0, peer_data(&self->p, &self->c, 1, 1));
	XSEG_EXPECT(&self->p, &s, 2000, F_ACK, self->c.isn + 1, base);
	ASSERT_LE(2, s.nsack);
	EXPECT_EQ(base + 1, s.sack[0].left);
	EXPECT_EQ(base + 2, s.sack[0].right);
	EXPECT_EQ(base + 1, s.sack[1].left);
	EXPECT_EQ(base + 1 + RUN, s.sack[1].right);
	ASSERT_EQ(0, peer_data(&self->p, &self->c, 0, 1));
	read_all(_metadata, self, RUN + 1);
}

/* The kernel's taint flags (a WARN sets TAINT_WARN). */
static unsigned long tainted(void)
{
	unsigned long t = ~0ul;
	FILE *f = fopen("/proc/sys/kernel/tainted", "r");

	if (f) {
		if (fscanf(f, "%lu", &t) != 1)
			t = ~0ul;
		fclose(f);
	}
	return t;
}

/*
 * A resend that reaches deep into data held past the hole.  The held
 * segment is larger than a page, so the TUN device gives it page slots
 * past its head; the resend makes it start in bytes the reader already
 * has.  Linux keeps such an skb whole and the reader skips what came
 * twice (tcp_data_queue()); cutting the old bytes off instead moves the
 * slots' data into a new, larger head that the socket's memory
 * accounting never saw, and the kernel warns when that skb joins the
 * receive queue (skb_try_coalesce()).
 *	peer    P.  offsets 0..10
 *	peer    P.  offsets 20..11792 (held: 3672 bytes in the head, 8100
 *		    in an 8 KiB page)
 *	peer    P.  offsets 10..11020: the hole, and 11000 held bytes again
 * The reader gets the 11792 bytes once each, and the kernel warns of
 * nothing.
 */
TEST_F_TIMEOUT(of, a_resend_deep_into_held_data_delivers_each_byte_once, 60)
{
	unsigned long taint = tainted();
	static uint8_t peek[12000];
	uint32_t i;

	ASSERT_NE(~0ul, taint);
	ASSERT_EQ(0, peer_data(&self->p, &self->c, 0, 10));
	ASSERT_EQ(0, peer_data(&self->p, &self->c, 20, 11772));
	ASSERT_EQ(0, peer_data(&self->p, &self->c, 10, 11010));
	/* A peek walks the same skbs, from the resent one into the held. */
	ASSERT_EQ(11792, recv(self->c.fd, peek, sizeof(peek), MSG_PEEK));
	for (i = 0; i < 11792; i++)
		ASSERT_EQ(pat(i), peek[i]) TH_LOG("byte %u", i);
	read_all(_metadata, self, 11792);
	EXPECT_EQ(0, (tainted() & ~taint) & TAINT_WARN);
}

TEST_HARNESS_MAIN
