// SPDX-License-Identifier: GPL-2.0
/*
 * What a reader and a writer see of the byte stream: MSG_PEEK,
 * MSG_WAITALL, MSG_DONTWAIT and O_NONBLOCK, SO_RCVTIMEO, SO_RCVLOWAT,
 * SO_SNDTIMEO, and a writer that stops at its send buffer while the
 * reader does not read, whose buffer does not grow.  Each scenario runs on Linux TCP and on XTCP over
 * loopback, in a fresh namespace per test, and both must see the same
 * (xtcp_pair.h); timings are checked as wide ratios only.
 */
#include "kselftest_harness.h"
#include "xtcp_pair.h"

XTCP_NS_FIXTURE(ns)

/* The elapsed time of a call that should take @ms: half to five times. */
#define EXPECT_ABOUT_MS(ms, elapsed, who) do {				\
	EXPECT_LE((ms) / 2, (elapsed)) TH_LOG("%s: %lu ms", who,	\
					    (unsigned long)(elapsed));	\
	EXPECT_GE((ms) * 5, (elapsed)) TH_LOG("%s: %lu ms", who,	\
					    (unsigned long)(elapsed));	\
} while (0)

/*
 * Peeked bytes come again; a peek goes as far as the data does, across
 * what arrived in separate segments; a normal recv() then takes them.
 */
static void peek(struct __test_metadata *_metadata, int family,
		 struct trace *t)
{
	struct xpair p;
	char buf[64];

	xpair_open(_metadata, &p, family);
	tr_recv(t, p.a, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
	ASSERT_EQ(12, send(p.b, "hello, world", 12, 0));
	ASSERT_EQ(0, wait_inq(p.a, 12, 2000));
	tr_recv(t, p.a, buf, 5, MSG_PEEK);
	tr_recv(t, p.a, buf, 5, MSG_PEEK);
	tr_recv(t, p.a, buf, sizeof(buf), MSG_PEEK);
	tr_recv(t, p.a, buf, 7, 0);
	tr_recv(t, p.a, buf, sizeof(buf), MSG_PEEK);
	ASSERT_EQ(2, send(p.b, "!?", 2, 0));
	ASSERT_EQ(0, wait_inq(p.a, 7, 2000));
	tr_recv(t, p.a, buf, sizeof(buf), MSG_PEEK);
	tr_recv(t, p.a, buf, sizeof(buf), 0);
	tr_recv(t, p.a, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
	xpair_close(&p);
}

TEST_F(ns, msg_peek_returns_the_same_bytes_again)
{
	SAME_AS_TCP(peek, "-1:EAGAIN 5:'hello' 5:'hello' 12:'hello, world' "
		    "7:'hello, ' 5:'world' 7:'world!?' 7:'world!?' -1:EAGAIN");
}

/*
 * recv(3000, MSG_WAITALL) while 1000 bytes come three times, 150 ms
 * apart: it is still waiting after the first two and returns all 3000
 * after the third, in order.
 */
static void waitall(struct __test_metadata *_metadata, int family,
		    struct trace *t)
{
	static char buf[3000], part[1000];
	struct bg_recv b;
	struct xpair p;
	int i;

	xpair_open(_metadata, &p, family);
	ASSERT_EQ(0, bg_recv_start(&b, p.a, buf, sizeof(buf), MSG_WAITALL));
	for (i = 0; i < 3; i++) {
		msleep(150);
		xtcp_pattern((unsigned char *)part, sizeof(part), 7,
			     i * sizeof(part));
		ASSERT_EQ(sizeof(part), send(p.b, part, sizeof(part), 0));
		if (i < 2) {
			msleep(150);
			tr_add(t, bg_recv_done(&b) ? "returned" : "waiting");
		}
	}
	if (!bg_recv_wait(&b, 5000)) {
		tr_add(t, "stuck");
		return;
	}
	tr_add(t, "%zd", b.ret);
	tr_add(t, xtcp_pattern_check((unsigned char *)buf, sizeof(buf), 7, 0) < 0 ?
	       "in-order" : "garbled");
	xpair_close(&p);
}

TEST_F(ns, msg_waitall_waits_for_every_byte_across_sends)
{
	SAME_AS_TCP(waitall, "waiting waiting 3000 in-order");
}

/* MSG_WAITALL gives what there is at EOF, and at SO_RCVTIMEO. */
static void waitall_short(struct __test_metadata *_metadata, int family,
			  struct trace *t)
{
	char buf[3000];
	struct xpair p;
	uint64_t t0;

	xpair_open(_metadata, &p, family);
	ASSERT_EQ(0, set_timeo(p.a, SO_RCVTIMEO, 300));
	ASSERT_EQ(1000, send(p.b, buf, 1000, 0));
	t0 = now_ms();
	tr_ret(t, recv(p.a, buf, sizeof(buf), MSG_WAITALL));
	EXPECT_ABOUT_MS(300, now_ms() - t0, family_name(family));

	ASSERT_EQ(500, send(p.b, buf, 500, 0));
	ASSERT_EQ(0, shutdown(p.b, SHUT_WR));
	tr_ret(t, recv(p.a, buf, sizeof(buf), MSG_WAITALL));
	tr_ret(t, recv(p.a, buf, sizeof(buf), MSG_WAITALL));
	xpair_close(&p);
}

TEST_F(ns, msg_waitall_returns_short_at_timeout_and_at_eof)
{
	SAME_AS_TCP(waitall_short, "1000 500 0");
}

/*
 * Nothing to read: MSG_DONTWAIT and O_NONBLOCK say EAGAIN and poll() says
 * nothing; then the bytes there, EAGAIN again, and 0 at EOF.
 */
static void nonblocking(struct __test_metadata *_metadata, int family,
			struct trace *t)
{
	struct pollfd pfd;
	struct xpair p;
	char buf[16];

	xpair_open(_metadata, &p, family);
	tr_recv(t, p.a, buf, sizeof(buf), MSG_DONTWAIT);
	ASSERT_EQ(0, set_nonblock(p.a));
	tr_recv(t, p.a, buf, sizeof(buf), 0);
	pfd = (struct pollfd){ .fd = p.a, .events = POLLIN };
	tr_add(t, "poll:%d", poll(&pfd, 1, 0));
	ASSERT_EQ(3, send(p.b, "abc", 3, 0));
	pfd.revents = 0;
	tr_add(t, "poll:%d", poll(&pfd, 1, 2000));
	tr_recv(t, p.a, buf, sizeof(buf), 0);
	tr_recv(t, p.a, buf, sizeof(buf), 0);
	ASSERT_EQ(0, shutdown(p.b, SHUT_WR));
	tr_add(t, "poll:%d", poll(&pfd, 1, 2000));
	tr_recv(t, p.a, buf, sizeof(buf), 0);
	tr_recv(t, p.a, buf, sizeof(buf), MSG_DONTWAIT);
	xpair_close(&p);
}

TEST_F(ns, dontwait_and_nonblock_on_an_empty_queue_are_eagain)
{
	SAME_AS_TCP(nonblocking, "-1:EAGAIN -1:EAGAIN poll:0 poll:1 3:'abc' "
		    "-1:EAGAIN poll:1 0:'' 0:''");
}

/* SO_RCVTIMEO ends a recv() that gets nothing with EAGAIN, on time. */
static void rcvtimeo(struct __test_metadata *_metadata, int family,
		     struct trace *t)
{
	struct xpair p;
	char buf[16];
	uint64_t t0;

	xpair_open(_metadata, &p, family);
	ASSERT_EQ(0, set_timeo(p.a, SO_RCVTIMEO, 400));
	t0 = now_ms();
	tr_recv(t, p.a, buf, sizeof(buf), 0);
	EXPECT_ABOUT_MS(400, now_ms() - t0, family_name(family));
	/* and one that gets something returns it at once */
	ASSERT_EQ(2, send(p.b, "ok", 2, 0));
	t0 = now_ms();
	tr_recv(t, p.a, buf, sizeof(buf), 0);
	EXPECT_GT(200, now_ms() - t0);
	xpair_close(&p);
}

TEST_F(ns, so_rcvtimeo_ends_an_empty_recv_with_eagain)
{
	SAME_AS_TCP(rcvtimeo, "-1:EAGAIN 2:'ok'");
}

/*
 * SO_RCVLOWAT 100: a blocking recv() takes the 60 bytes that are there
 * and waits for more (Linux TCP wakes it once another 100 are unread, so
 * that much comes), and MSG_DONTWAIT takes what is there.
 */
static void rcvlowat_recv(struct __test_metadata *_metadata, int family,
			  struct trace *t)
{
	char buf[1000], data[100];
	struct bg_recv b;
	struct xpair p;

	xpair_open(_metadata, &p, family);
	ASSERT_EQ(0, set_int(p.a, SOL_SOCKET, SO_RCVLOWAT, 100));
	tr_add(t, "lowat:%d", get_int(p.a, SOL_SOCKET, SO_RCVLOWAT));
	memset(data, 'x', sizeof(data));
	ASSERT_EQ(60, send(p.b, data, 60, 0));
	ASSERT_EQ(0, wait_inq(p.a, 60, 2000));
	ASSERT_EQ(0, bg_recv_start(&b, p.a, buf, sizeof(buf), 0));
	msleep(300);
	tr_add(t, bg_recv_done(&b) ? "returned" : "waiting");
	ASSERT_EQ(100, send(p.b, data, 100, 0));
	if (!bg_recv_wait(&b, 5000)) {
		tr_add(t, "stuck");
		return;
	}
	tr_add(t, "%zd", b.ret);

	ASSERT_EQ(60, send(p.b, data, 60, 0));
	ASSERT_EQ(0, wait_inq(p.a, 60, 2000));
	tr_ret(t, recv(p.a, buf, sizeof(buf), MSG_DONTWAIT));
	xpair_close(&p);
}

TEST_F(ns, so_rcvlowat_holds_a_blocking_recv_until_lowat_bytes)
{
	SAME_AS_TCP(rcvlowat_recv, "lowat:100 waiting 160 60");
}

/*
 * Reads until @sent bytes came, EOF or the 5 s receive timeout, checking
 * each against xtcp_pattern(@seed); returns the bytes read, or -1 when a
 * byte was wrong.
 */
static int64_t read_pattern(int fd, uint64_t sent, int seed)
{
	static unsigned char got[65536];
	uint64_t rcvd = 0;
	bool bad = false;
	ssize_t n;

	if (set_timeo(fd, SO_RCVTIMEO, 5000))
		return -1;
	while (rcvd < sent) {
		n = recv(fd, got, sizeof(got), 0);
		if (n <= 0)
			break;
		bad |= xtcp_pattern_check(got, n, seed, rcvd) >= 0;
		rcvd += n;
	}
	return bad ? -1 : (int64_t)rcvd;
}

/*
 * A writer whose reader does not read: non-blocking sends fill the send
 * buffer and then fail with EAGAIN, a blocking send with SO_SNDTIMEO
 * fails with EAGAIN after its timeout, and what is unacknowledged
 * (SIOCOUTQ) is of the order of SO_SNDBUF: at least a quarter of it, at
 * most twice.  Then the reader reads: every byte
 * arrives in order and the writer's queue empties.  The reader's buffer
 * is TCP's default (SO_RCVBUF 64 KiB, doubled) for both: XTCP's own on
 * loopback is 40 of its 64 KiB segments, which this writer, its ACKs
 * delayed while the reader does not read (as TCP's are), fills only
 * after seconds.
 */
static void stalled_reader(struct __test_metadata *_metadata, int family,
			   struct trace *t)
{
	static unsigned char chunk[16384];
	uint64_t sent = 0, t0;
	int64_t rcvd;
	int sndbuf, outq = -1, eagain = 0;
	struct xpair p;
	ssize_t n;

	xpair_open(_metadata, &p, family);
	ASSERT_EQ(0, set_int(p.a, SOL_SOCKET, SO_SNDBUF, 65536));
	ASSERT_EQ(0, set_int(p.b, SOL_SOCKET, SO_RCVBUF, 65536));
	sndbuf = get_int(p.a, SOL_SOCKET, SO_SNDBUF);

	/* Fill, pause for the last ACKs, fill again. */
	while (eagain < 2) {
		xtcp_pattern(chunk, sizeof(chunk), 9, sent);
		n = send(p.a, chunk, sizeof(chunk), MSG_DONTWAIT);
		if (n < 0) {
			ASSERT_EQ(EAGAIN, errno);
			if (!eagain++)
				tr_ret(t, n);
			msleep(300);
			continue;
		}
		sent += n;
		ASSERT_GT(64 << 20, sent);	/* it must stop somewhere */
	}
	ASSERT_EQ(0, ioctl(p.a, SIOCOUTQ, &outq));
	TH_LOG("%s: SO_SNDBUF %d, sent %lu, SIOCOUTQ %d", family_name(family),
	       sndbuf, (unsigned long)sent, outq);
	/* TCP may overshoot by one skb of up to 64 KiB. */
	tr_add(t, outq >= sndbuf / 4 && outq <= 2 * sndbuf ?
	       "outq-within-sndbuf" : "outq-out-of-bounds");

	ASSERT_EQ(0, set_timeo(p.a, SO_SNDTIMEO, 300));
	xtcp_pattern(chunk, sizeof(chunk), 9, sent);
	t0 = now_ms();
	tr_ret(t, send(p.a, chunk, sizeof(chunk), 0));
	EXPECT_ABOUT_MS(300, now_ms() - t0, family_name(family));

	/* The reader wakes up and reads everything, checking each byte. */
	rcvd = read_pattern(p.b, sent, 9);
	TH_LOG("%s: received %ld of %lu bytes", family_name(family),
	       (long)rcvd, (unsigned long)sent);
	tr_add(t, rcvd == (int64_t)sent ? "all-arrived" : "lost-or-garbled");
	tr_add(t, wait_outq(p.a, 0, 2000) ? "outq-stuck" : "outq-empty");
	xpair_close(&p);
}

TEST_F(ns, a_writer_stops_at_its_send_buffer_and_resumes)
{
	SAME_AS_TCP(stalled_reader, "-1:EAGAIN outq-within-sndbuf -1:EAGAIN "
		    "all-arrived outq-empty");
}

/*
 * A reader that does not read keeps the buffer it had: its peer fills it
 * and stops, and the buffer does not grow to take more, as Linux's grows
 * only from what its reader copied (tcp_rcv_space_adjust()).  The writer
 * sends until its queue stops moving for half a second (the reader's
 * window shut); then the reader reads it all.
 */
static void idle_reader_buffer(struct __test_metadata *_metadata, int family,
			       struct trace *t)
{
	static unsigned char chunk[65536];
	uint64_t sent = 0, t0 = now_ms(), still = now_ms();
	int rcvbuf, outq, last = -1;
	struct xpair p;
	ssize_t n;

	xpair_open(_metadata, &p, family);
	rcvbuf = get_int(p.b, SOL_SOCKET, SO_RCVBUF);
	while (now_ms() - still < 500) {
		ASSERT_GT(t0 + 20000, now_ms()) TH_LOG("never stopped");
		xtcp_pattern(chunk, sizeof(chunk), 5, sent);
		n = send(p.a, chunk, sizeof(chunk), MSG_DONTWAIT);
		if (n > 0) {
			sent += n;
			still = now_ms();
			continue;
		}
		ASSERT_EQ(EAGAIN, errno);
		ASSERT_EQ(0, ioctl(p.a, SIOCOUTQ, &outq));
		if (outq != last)
			still = now_ms();
		last = outq;
		msleep(50);
	}
	TH_LOG("%s: SO_RCVBUF %d, then %d; %lu bytes taken, %d waiting",
	       family_name(family), rcvbuf, get_int(p.b, SOL_SOCKET, SO_RCVBUF),
	       (unsigned long)(sent - outq), outq);
	tr_add(t, get_int(p.b, SOL_SOCKET, SO_RCVBUF) == rcvbuf ?
	       "buffer-kept" : "buffer-grew");
	tr_add(t, outq > 0 && sent - outq <= (uint64_t)rcvbuf ?
	       "stopped-within-it" : "took-more");

	tr_add(t, read_pattern(p.b, sent, 5) == (int64_t)sent ?
	       "all-arrived" : "lost-or-garbled");
	xpair_close(&p);
}

TEST_F(ns, a_reader_that_does_not_read_keeps_its_buffer)
{
	SAME_AS_TCP(idle_reader_buffer,
		    "buffer-kept stopped-within-it all-arrived");
}

TEST_HARNESS_MAIN
