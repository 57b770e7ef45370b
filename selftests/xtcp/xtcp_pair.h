/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For the selftests that hold XTCP next to Linux TCP (recv_test.c,
 * window_test.c, epoll_test.c): their fixture, a connected pair over
 * loopback in either family, a trace of what the calls returned, and a
 * blocking call in a thread.
 *
 * A scenario runs once on TCP (AF_INET) and once on XTCP (AF_XTCP) and
 * writes what it saw into a trace, one word per step: "5:'hello'" for 5
 * bytes, "-1:EAGAIN" for a failure, or anything the scenario appends.  The
 * test then expects the TCP trace to be what Linux TCP is known to give
 * and the XTCP trace to be the same.  Include after kselftest_harness.h.
 */
#ifndef XTCP_PAIR_H
#define XTCP_PAIR_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>

#include "xtcp_util.h"

#ifndef __KSELFTEST_HARNESS_H
#error "include kselftest_harness.h first"
#endif

/*
 * The fixture these tests share: each test in a fresh network namespace
 * of its own, loopback up, XTCP loaded.
 */
#define XTCP_NS_FIXTURE(name)					\
	FIXTURE(name) {						\
		int unused;					\
	};							\
	FIXTURE_SETUP(name)					\
	{							\
		ASSERT_EQ(0, xtcp_ensure_loaded());		\
		ASSERT_EQ(0, xtcp_netns_with_lo());		\
	}							\
	FIXTURE_TEARDOWN(name)					\
	{							\
	}

static inline const char *family_name(int family)
{
	return family == AF_XTCP ? "XTCP" : "TCP";
}

static inline uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

static inline void msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ---- traces ---- */

struct trace {
	char s[2048];
};

static inline void __attribute__((format(printf, 2, 3)))
tr_add(struct trace *t, const char *fmt, ...)
{
	size_t len = strlen(t->s);
	va_list ap;

	if (len && len < sizeof(t->s) - 1)
		t->s[len++] = ' ';
	va_start(ap, fmt);
	vsnprintf(t->s + len, sizeof(t->s) - len, fmt, ap);
	va_end(ap);
}

/* A call's result: its value, or -1 and the errno's name. */
static inline void tr_ret(struct trace *t, long ret)
{
	if (ret < 0)
		tr_add(t, "-1:%s", strerrorname_np(errno));
	else
		tr_add(t, "%ld", ret);
}

/* recv() into buf, traced with what it returned: "5:'hello'". */
static inline ssize_t tr_recv(struct trace *t, int fd, char *buf, size_t len,
			      int flags)
{
	ssize_t n = recv(fd, buf, len, flags);

	if (n < 0)
		tr_ret(t, n);
	else
		tr_add(t, "%zd:'%.*s'", n, (int)n, buf);
	return n;
}

/* Runs @scenario on TCP and on XTCP; both must give @expected. */
#define SAME_AS_TCP(scenario, expected) do {				\
	struct trace __tcp = { "" }, __xtcp = { "" };			\
	scenario(_metadata, AF_INET, &__tcp);				\
	scenario(_metadata, AF_XTCP, &__xtcp);				\
	TH_LOG("TCP:  %s", __tcp.s);					\
	TH_LOG("XTCP: %s", __xtcp.s);					\
	EXPECT_STREQ(expected, __tcp.s);				\
	EXPECT_STREQ(__tcp.s, __xtcp.s);				\
} while (0)

/* ---- a connected pair over 127.0.0.1 ---- */

struct xpair {
	int family;
	int a;		/* connect()ed */
	int b;		/* accept()ed */
};

static inline void xpair_open(struct __test_metadata *_metadata,
			      struct xpair *p, int family)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t len = sizeof(sin);
	int l;

	p->family = family;
	l = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, bind(l, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, listen(l, 1));
	ASSERT_EQ(0, getsockname(l, (struct sockaddr *)&sin, &len));
	p->a = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, p->a);
	ASSERT_EQ(0, connect(p->a, (struct sockaddr *)&sin, sizeof(sin)));
	p->b = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	ASSERT_LE(0, p->b);
	close(l);
}

/* Closes both ends with a RST, so that nothing lingers. */
static inline void xpair_close(struct xpair *p)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(p->a, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	setsockopt(p->b, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(p->a);
	close(p->b);
}

/* Polls SIOCINQ until @fd holds at least @n bytes; 0 or -1 on timeout. */
static inline int wait_inq(int fd, int n, int timeout_ms)
{
	uint64_t end = now_ms() + timeout_ms;
	int inq = 0;

	for (;;) {
		if (!ioctl(fd, SIOCINQ, &inq) && inq >= n)
			return 0;
		if (now_ms() >= end)
			return -1;
		msleep(2);
	}
}

/* Polls SIOCOUTQ until at most @n bytes are unacknowledged. */
static inline int wait_outq(int fd, int n, int timeout_ms)
{
	uint64_t end = now_ms() + timeout_ms;
	int outq = 0;

	for (;;) {
		if (!ioctl(fd, SIOCOUTQ, &outq) && outq <= n)
			return 0;
		if (now_ms() >= end)
			return -1;
		msleep(2);
	}
}

static inline int set_timeo(int fd, int opt, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	return setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv));
}

static inline int set_int(int fd, int level, int opt, int val)
{
	return setsockopt(fd, level, opt, &val, sizeof(val));
}

static inline int get_int(int fd, int level, int opt)
{
	socklen_t len = sizeof(int);
	int val = -1;

	getsockopt(fd, level, opt, &val, &len);
	return val;
}

static inline int set_nonblock(int fd)
{
	return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* ---- one blocking recv() in a thread ---- */

struct bg_recv {
	pthread_t th;
	int fd, flags;
	char *buf;
	size_t len;
	ssize_t ret;
	int err;
	uint64_t start_ms, end_ms;
	int done;
};

static void *bg_recv_fn(void *arg)
{
	struct bg_recv *b = arg;

	b->ret = recv(b->fd, b->buf, b->len, b->flags);
	b->err = b->ret < 0 ? errno : 0;
	b->end_ms = now_ms();
	__atomic_store_n(&b->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static inline int bg_recv_start(struct bg_recv *b, int fd, char *buf,
				size_t len, int flags)
{
	memset(b, 0, sizeof(*b));
	b->fd = fd;
	b->buf = buf;
	b->len = len;
	b->flags = flags;
	b->start_ms = now_ms();
	return pthread_create(&b->th, NULL, bg_recv_fn, b);
}

static inline int bg_recv_done(struct bg_recv *b)
{
	return __atomic_load_n(&b->done, __ATOMIC_ACQUIRE);
}

/* Joins once the call returned within @timeout_ms: 1, else 0. */
static inline int bg_recv_wait(struct bg_recv *b, int timeout_ms)
{
	uint64_t end = now_ms() + timeout_ms;

	while (!bg_recv_done(b)) {
		if (now_ms() >= end)
			return 0;
		msleep(2);
	}
	pthread_join(b->th, NULL);
	return 1;
}

#endif /* XTCP_PAIR_H */
