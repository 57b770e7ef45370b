// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp_xfer: moves bytes over one XTCP connection and proves they arrived
 * intact, for the shell tests.
 *
 *   xtcp_xfer server PORT [RCVBUF]  accept one connection, read to EOF,
 *                                   answer with the byte count and hash
 *                                   (RCVBUF: its SO_RCVBUFFORCE)
 *   xtcp_xfer client ADDR PORT N    send N bytes of stream 1, half-close,
 *                                   exit 0 only if the server's count and
 *                                   hash match what was sent; with
 *                                   XTCP_XFER_BELOW in the environment it
 *                                   also prints "below-max BYTES", the
 *                                   most of its data that waited below the
 *                                   socket (SO_MEMINFO) after a send();
 *                                   with XTCP_XFER_INFO, once the server
 *                                   answered, "info ssthresh N cwnd N
 *                                   retrans N" from TCP_INFO
 *   xtcp_xfer duplex-server PORT N [halfclose]
 *   xtcp_xfer duplex-client ADDR PORT N [halfclose]
 *                                   both ends send N bytes at once (the
 *                                   client stream 1, the server stream 2);
 *                                   each half-closes once it has sent and
 *                                   got N bytes (with "halfclose": once it
 *                                   has sent them) and reads to EOF; each
 *                                   exits 0 only when it got exactly the
 *                                   peer's N bytes
 *   xtcp_xfer hold PORT             accept one connection and never read
 *                                   from it (until killed)
 *   xtcp_xfer abort ADDR PORT       connect, then close with SO_LINGER 0:
 *                                   the connection ends with a RST
 *   xtcp_xfer flood ADDR PORT       send stream 1 until send() fails; exit
 *                                   0 when it fails as a dead peer's
 *                                   connection does (below)
 *   xtcp_xfer sendwait ADDR PORT N GO    connect, wait until the file GO
 *                                   exists, send N bytes, then wait in
 *                                   recv(); exit 0 when recv() fails as a
 *                                   dead peer's connection does (below)
 *   xtcp_xfer backlog PORT N        listen with backlog N, never accept
 *   xtcp_xfer storm ADDR PORT THREADS SECONDS N
 *                                   THREADS threads, each until SECONDS
 *                                   have passed: connect, send N bytes of
 *                                   stream 1, read the one-byte answer,
 *                                   close (after a failure, wait 10 ms
 *                                   first); prints how many connections
 *                                   ended each way ("ok", or the errno);
 *                                   exit 0 when each ended "ok" or with
 *                                   a TCP errno (ECONNREFUSED, ECONNRESET,
 *                                   ETIMEDOUT, EPIPE) and no call waited
 *                                   longer than the bound
 *   xtcp_xfer accepter PORT SECONDS N [UP_MS DOWN_MS]
 *                                   listen and accept for SECONDS; every
 *                                   accepted socket (a thread each) must
 *                                   carry N bytes of stream 1 byte-exact
 *                                   within the bound, and gets a one-byte
 *                                   answer; with UP_MS the listener closes
 *                                   every UP_MS and listens again DOWN_MS
 *                                   later; exit 0 when every accepted
 *                                   socket did; with XTCP_XFER_STOP=FILE
 *                                   in the environment it also stops
 *                                   once FILE exists
 *
 * N is a byte count with an optional K, M or G suffix (binary), or "mss",
 * "mss-K", "mss+K": the TCP_MAXSEG of the connected socket plus K.  The
 * streams are xtcp_pattern()'s, so every receiver checks each byte where
 * it lands as well as the FNV-1a hash of the whole.  Servers print
 * "listening" once they listen; clients print "connected" once connected.
 * With XTCP_XFER_TCP=1 in the environment the sockets are Linux TCP's:
 * the same transfer over TCP, for comparison.  The bound of storm's and
 * accepter's calls (SO_SNDTIMEO, SO_RCVTIMEO) is XTCP_XFER_BOUND_S
 * seconds, default 30.  With XTCP_XFER_TIMES=FILE, storm appends a line
 * "START END OUTCOME" for each connection and accepter "open T" and
 * "close T" around each listen: CLOCK_MONOTONIC us, so that a test can
 * tell a refusal from a listening port (a bug) from one while it was
 * closed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "xtcp_util.h"

#define CHUNK		65536
#define CLIENT_SEED	1
#define SERVER_SEED	2

/* What one direction of a connection carried. */
struct tally {
	uint64_t bytes;
	uint64_t hash;
	int64_t bad;		/* first byte off the pattern, or -1 */
	uint32_t below_max;	/* a sender's: the most of its data that
				 * waited below it (SO_MEMINFO's
				 * SK_MEMINFO_WMEM_ALLOC) after a send()
				 */
};

static void tally_init(struct tally *t)
{
	t->bytes = 0;
	t->below_max = 0;
	t->hash = XTCP_FNV_INIT;
	t->bad = -1;
}

static void tally_add(struct tally *t, const unsigned char *p, size_t n,
		      uint64_t seed)
{
	long off;

	if (t->bad < 0) {
		off = xtcp_pattern_check(p, n, seed, t->bytes);
		if (off >= 0)
			t->bad = t->bytes + off;
	}
	t->hash = xtcp_fnv(t->hash, p, n);
	t->bytes += n;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ull + ts.tv_nsec / 1000;
}

static uint64_t now_ms(void)
{
	return now_us() / 1000;
}

static void say(const char *what)
{
	printf("%s\n", what);
	fflush(stdout);
}

/* XTCP_XFER_TIMES's file, if set; one line per call, from any thread. */
static FILE *times;
static pthread_mutex_t times_lock = PTHREAD_MUTEX_INITIALIZER;

static void open_times(void)
{
	const char *path = getenv("XTCP_XFER_TIMES");

	if (path && *path) {
		times = fopen(path, "a");
		if (!times)
			perror(path);
	}
}

static void __attribute__((format(printf, 1, 2))) mark(const char *fmt, ...)
{
	va_list ap;

	if (!times)
		return;
	va_start(ap, fmt);
	pthread_mutex_lock(&times_lock);
	vfprintf(times, fmt, ap);
	fflush(times);
	pthread_mutex_unlock(&times_lock);
	va_end(ap);
}

/* N as the usage says; -1 when it makes no sense. */
static int64_t parse_size(const char *s, int fd)
{
	socklen_t len = sizeof(int);
	char *end;
	int64_t n;
	int mss;

	if (!strncmp(s, "mss", 3)) {
		if (getsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, &len)) {
			perror("getsockopt(TCP_MAXSEG)");
			return -1;
		}
		n = s[3] ? strtoll(s + 3, &end, 0) : 0;
		if (s[3] && *end)
			return -1;
		return mss + n;
	}
	n = strtoll(s, &end, 0);
	switch (*end) {
	case 'G':
		n <<= 10;	/* fall through */
	case 'M':
		n <<= 10;	/* fall through */
	case 'K':
		n <<= 10;
		end++;
	}
	return *end || n < 0 ? -1 : n;
}

/* TCP_MAXSEG now: read it while the connection is up. */
static int mss_of(int fd)
{
	socklen_t len = sizeof(int);
	int mss = -1;

	getsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, &len);
	return mss;
}

/* AF_XTCP, or AF_INET with XTCP_XFER_TCP=1. */
static int xfer_family(void)
{
	const char *tcp = getenv("XTCP_XFER_TCP");

	return tcp && *tcp == '1' ? AF_INET : AF_XTCP;
}

/* @rcvbuf: SO_RCVBUFFORCE for the connection, when not 0. */
static int listen_accept(int port, int rcvbuf)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int l, c, one = 1;

	l = socket(xfer_family(), SOCK_STREAM, 0);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (rcvbuf && setsockopt(l, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
				  sizeof(rcvbuf))) ||
	    bind(l, (struct sockaddr *)&sin, sizeof(sin)) || listen(l, 1)) {
		perror("server: listen");
		return -1;
	}
	say("listening");
	c = accept(l, NULL, NULL);
	if (c < 0)
		perror("server: accept");
	close(l);
	return c;
}

static int dial(const char *addr, int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int c;

	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		fprintf(stderr, "bad address %s\n", addr);
		return -1;
	}
	c = socket(xfer_family(), SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&sin, sizeof(sin))) {
		perror("client: connect");
		return -1;
	}
	say("connected");
	return c;
}

/* What of the sender's data waits below it, in the qdisc and device. */
static void note_below(int fd, struct tally *t)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);

	if (!getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) &&
	    len > SK_MEMINFO_WMEM_ALLOC * sizeof(mem[0]) &&
	    mem[SK_MEMINFO_WMEM_ALLOC] > t->below_max)
		t->below_max = mem[SK_MEMINFO_WMEM_ALLOC];
}

/* The sender's window when it is done (TCP_INFO, at TCP's level). */
static void print_info(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len)) {
		perror("client: TCP_INFO");
		return;
	}
	printf("info ssthresh %u cwnd %u retrans %u\n", ti.tcpi_snd_ssthresh,
	       ti.tcpi_snd_cwnd, ti.tcpi_total_retrans);
}

/* Sends @total bytes of stream @seed; 0, or -errno of the failed send. */
static int send_stream(int fd, uint64_t seed, uint64_t total, struct tally *t)
{
	static __thread unsigned char buf[CHUNK];
	ssize_t n;

	while (t->bytes < total) {
		size_t chunk = total - t->bytes < CHUNK ? total - t->bytes : CHUNK;

		xtcp_pattern(buf, chunk, seed, t->bytes);
		n = send(fd, buf, chunk, MSG_NOSIGNAL);
		if (n < 0)
			return -errno;
		note_below(fd, t);
		t->hash = xtcp_fnv(t->hash, buf, n);
		t->bytes += n;
	}
	return 0;
}

/*
 * Reads to EOF, or until @t holds @upto bytes, checking stream @seed; 0,
 * or -errno of the failed recv.
 */
static int recv_stream(int fd, uint64_t seed, struct tally *t, uint64_t upto)
{
	static __thread unsigned char buf[CHUNK];
	ssize_t n;

	while (t->bytes < upto) {
		n = recv(fd, buf, upto - t->bytes < CHUNK ? upto - t->bytes : CHUNK,
			 0);
		if (n <= 0)
			return n < 0 ? -errno : 0;
		tally_add(t, buf, n, seed);
	}
	return 0;
}

static int server(int port, int rcvbuf)
{
	struct tally t;
	char reply[64];
	int c, n, err;

	tally_init(&t);
	c = listen_accept(port, rcvbuf);
	if (c < 0)
		return 1;
	err = recv_stream(c, CLIENT_SEED, &t, UINT64_MAX);
	if (err) {
		fprintf(stderr, "server: recv: %s after %" PRIu64 " bytes\n",
			strerror(-err), t.bytes);
		return 1;
	}
	/* Off the pattern: say so, and the client's comparison fails. */
	if (t.bad >= 0)
		n = snprintf(reply, sizeof(reply), "%" PRIu64 " %016" PRIx64
			     " bad@%" PRId64 "\n", t.bytes, t.hash, t.bad);
	else
		n = snprintf(reply, sizeof(reply), "%" PRIu64 " %016" PRIx64 "\n",
			     t.bytes, t.hash);
	if (send(c, reply, n, MSG_NOSIGNAL) != n) {
		perror("server: send");
		return 1;
	}
	close(c);
	return t.bad >= 0;
}

static int client(const char *addr, int port, const char *size)
{
	char reply[64] = "", want[64];
	struct tally t;
	int64_t total;
	size_t got = 0;
	ssize_t n;
	int c, err, mss;

	tally_init(&t);
	c = dial(addr, port);
	if (c < 0)
		return 1;
	mss = mss_of(c);
	total = parse_size(size, c);
	if (total < 0) {
		fprintf(stderr, "client: bad size %s\n", size);
		return 2;
	}
	err = send_stream(c, CLIENT_SEED, total, &t);
	if (err) {
		fprintf(stderr, "client: send: %s after %" PRIu64 " bytes\n",
			strerror(-err), t.bytes);
		return 1;
	}
	shutdown(c, SHUT_WR);
	while (got < sizeof(reply) - 1 &&
	       (n = recv(c, reply + got, sizeof(reply) - 1 - got, 0)) > 0)
		got += n;
	snprintf(want, sizeof(want), "%" PRIu64 " %016" PRIx64 "\n",
		 t.bytes, t.hash);
	printf("mss %d, sent %s", mss, want);
	if (getenv("XTCP_XFER_BELOW"))
		printf("below-max %" PRIu32 "\n", t.below_max);
	if (getenv("XTCP_XFER_INFO"))
		print_info(c);
	close(c);
	if (strcmp(reply, want)) {
		fprintf(stderr, "client: server got %s\n", reply);
		return 1;
	}
	return 0;
}

struct sender {
	int fd;
	uint64_t seed, total;
	int halfclose;
	struct tally t;
	int err;
};

static void *sender_fn(void *arg)
{
	struct sender *s = arg;

	s->err = send_stream(s->fd, s->seed, s->total, &s->t);
	if (!s->err && s->halfclose && shutdown(s->fd, SHUT_WR))
		s->err = -errno;
	return NULL;
}

/*
 * Both directions at once: a thread sends, this one receives.  Each end
 * half-closes once it has sent and received everything, so that both stay
 * ESTABLISHED while data moves; with @halfclose each end half-closes as
 * soon as it has sent everything, and the other end's data then flows
 * into a FIN_WAIT receiver.
 */
static int duplex(int fd, const char *who, uint64_t mine, uint64_t theirs,
		  const char *size, int halfclose)
{
	struct sender s = { .fd = fd, .seed = mine, .halfclose = halfclose };
	struct tally got;
	int mss = mss_of(fd);
	pthread_t th;
	int64_t total;
	int err, ok;

	tally_init(&s.t);
	tally_init(&got);
	total = parse_size(size, fd);
	if (total < 0) {
		fprintf(stderr, "%s: bad size %s\n", who, size);
		return 2;
	}
	s.total = total;
	if (pthread_create(&th, NULL, sender_fn, &s)) {
		fprintf(stderr, "%s: pthread_create failed\n", who);
		return 1;
	}
	err = recv_stream(fd, theirs, &got, halfclose ? UINT64_MAX : total);
	pthread_join(th, NULL);
	if (!halfclose && !err && !s.err) {
		/* Now the FINs; nothing more may come before the peer's. */
		if (shutdown(fd, SHUT_WR))
			s.err = -errno;
		err = recv_stream(fd, theirs, &got, UINT64_MAX);
	}
	printf("%s: mss %d, sent %" PRIu64 " %016" PRIx64 ", got %" PRIu64
	       " %016" PRIx64 "\n", who, mss, s.t.bytes, s.t.hash,
	       got.bytes, got.hash);
	ok = 1;
	if (s.err) {
		fprintf(stderr, "%s: send: %s after %" PRIu64 " bytes\n", who,
			strerror(-s.err), s.t.bytes);
		ok = 0;
	}
	if (err) {
		fprintf(stderr, "%s: recv: %s after %" PRIu64 " bytes\n", who,
			strerror(-err), got.bytes);
		ok = 0;
	}
	if (got.bytes != (uint64_t)total) {
		fprintf(stderr, "%s: got %" PRIu64 " bytes, the peer sent %"
			PRId64 "\n", who, got.bytes, total);
		ok = 0;
	}
	if (got.bad >= 0) {
		fprintf(stderr, "%s: byte %" PRId64 " is not the peer's\n", who,
			got.bad);
		ok = 0;
	}
	close(fd);
	return !ok;
}

/*
 * The error of a connection that failed; exit 0 for a dead peer's.  A
 * connection that timed out reports ETIMEDOUT, or the ICMP error it got
 * on the way (the soft error: a dead link's failed ARP comes back as
 * host unreachable), as Linux TCP's tcp_write_err() does.
 */
static int report_failure(const char *who, const char *call, int err,
			  uint64_t bytes, uint64_t since_ms)
{
	printf("%s: %s failed with %s after %" PRIu64 " bytes, %" PRIu64
	       " ms after the last progress\n", who, call, strerrorname_np(err),
	       bytes, now_ms() - since_ms);
	return err != ETIMEDOUT && err != EHOSTUNREACH;
}

static int flood(const char *addr, int port)
{
	static unsigned char buf[CHUNK];
	uint64_t sent = 0, last;
	ssize_t n;
	int c;

	c = dial(addr, port);
	if (c < 0)
		return 1;
	last = now_ms();
	for (;;) {
		xtcp_pattern(buf, sizeof(buf), CLIENT_SEED, sent);
		n = send(c, buf, sizeof(buf), MSG_NOSIGNAL);
		if (n < 0)
			break;
		sent += n;
		last = now_ms();
	}
	return report_failure("flood", "send()", errno, sent, last);
}

/* A connection aborted at once: close() with a zero linger sends RST. */
static int abort_conn(const char *addr, int port)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int c = dial(addr, port);

	if (c < 0)
		return 1;
	if (setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg))) {
		perror("abort: SO_LINGER");
		return 1;
	}
	if (close(c)) {
		perror("abort: close");
		return 1;
	}
	return 0;
}

/* Waits up to 30 s for the file @go to appear: the test's signal. */
static int wait_for_file(const char *go)
{
	int i;

	for (i = 0; i < 3000; i++) {
		if (!access(go, F_OK))
			return 0;
		usleep(10000);
	}
	fprintf(stderr, "sendwait: %s never appeared\n", go);
	return -1;
}

static int sendwait(const char *addr, int port, const char *size,
		    const char *go)
{
	struct tally t;
	int64_t total;
	uint64_t last;
	char byte;
	int c, err;

	tally_init(&t);
	c = dial(addr, port);
	if (c < 0)
		return 1;
	total = parse_size(size, c);
	if (total < 0 || total > CHUNK) {
		fprintf(stderr, "sendwait: bad size %s\n", size);
		return 2;
	}
	if (wait_for_file(go))
		return 2;
	err = send_stream(c, CLIENT_SEED, total, &t);
	if (err)
		return report_failure("sendwait", "send()", -err, t.bytes,
				      now_ms());
	last = now_ms();
	if (recv(c, &byte, 1, 0) >= 0) {
		printf("sendwait: recv() returned instead of failing\n");
		return 1;
	}
	return report_failure("sendwait", "recv()", errno, t.bytes, last);
}

/* A listener that never accepts: its queue fills and stays full. */
static int backlog(int port, int n)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int l = socket(xfer_family(), SOCK_STREAM, 0), one = 1;

	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(l, (struct sockaddr *)&sin, sizeof(sin)) || listen(l, n)) {
		perror("backlog: listen");
		return 1;
	}
	say("listening");
	for (;;)
		pause();
}

/* The bound of one call in storm and accepter: XTCP_XFER_BOUND_S. */
static void set_bound(int fd)
{
	const char *e = getenv("XTCP_XFER_BOUND_S");
	struct timeval tv = { .tv_sec = e && *e ? atoi(e) : 30 };

	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

enum { OUT_OK, OUT_REFUSED, OUT_RESET, OUT_TIMEDOUT, OUT_PIPE, OUT_HANG,
       OUT_OTHER, OUT_N };
static const char * const out_name[OUT_N] = {
	"ok", "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "hang",
	"other",
};

struct storm {
	struct sockaddr_in sin;
	uint64_t end_ms, bytes;
	atomic_long count[OUT_N];
};

/* How a call that failed with @err ended the connection. */
static int outcome(const char *call, int err)
{
	switch (err) {
	case ECONNREFUSED:
		return OUT_REFUSED;
	case ECONNRESET:
		return OUT_RESET;
	case ETIMEDOUT:
		return OUT_TIMEDOUT;
	case EPIPE:
		return OUT_PIPE;
	case EAGAIN:		/* SO_RCVTIMEO or SO_SNDTIMEO ran out */
	case EINPROGRESS:
		fprintf(stderr, "storm: %s waited past the bound\n", call);
		return OUT_HANG;
	}
	fprintf(stderr, "storm: %s failed with %s\n", call,
		err ? strerrorname_np(err) : "end of data");
	return OUT_OTHER;
}

static int storm_once(struct storm *st)
{
	uint64_t start = now_us();
	struct tally t;
	char answer;
	ssize_t n;
	int c, err, o;

	c = socket(xfer_family(), SOCK_STREAM, 0);
	if (c < 0) {
		perror("storm: socket");
		return OUT_OTHER;
	}
	set_bound(c);
	tally_init(&t);
	if (connect(c, (struct sockaddr *)&st->sin, sizeof(st->sin))) {
		o = outcome("connect()", errno);
	} else if ((err = send_stream(c, CLIENT_SEED, st->bytes, &t))) {
		o = outcome("send()", -err);
	} else {
		n = recv(c, &answer, 1, 0);
		o = n == 1 && answer == 'k' ? OUT_OK :
		    outcome("recv()", n < 0 ? errno : 0);
	}
	close(c);
	mark("%" PRIu64 " %" PRIu64 " %s\n", start, now_us(), out_name[o]);
	return o;
}

static void *storm_fn(void *arg)
{
	struct storm *st = arg;

	int o;

	/* A failed connection waits 10 ms: no spinning on a closed port. */
	while (now_ms() < st->end_ms) {
		o = storm_once(st);
		atomic_fetch_add(&st->count[o], 1);
		if (o != OUT_OK)
			usleep(10000);
	}
	return NULL;
}

static int storm(const char *addr, int port, int threads, int secs,
		 const char *size)
{
	static struct storm st;
	pthread_t th[256];
	int i, bad;

	st.sin.sin_family = AF_INET;
	st.sin.sin_port = htons(port);
	if (inet_pton(AF_INET, addr, &st.sin.sin_addr) != 1 || threads < 1 ||
	    threads > 256 || parse_size(size, -1) < 0) {
		fprintf(stderr, "storm: bad arguments\n");
		return 2;
	}
	st.bytes = parse_size(size, -1);
	st.end_ms = now_ms() + secs * 1000ull;
	for (i = 0; i < threads; i++)
		if (pthread_create(&th[i], NULL, storm_fn, &st)) {
			fprintf(stderr, "storm: pthread_create failed\n");
			return 1;
		}
	for (i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	printf("storm:");
	for (i = 0; i < OUT_N; i++)
		printf(" %s %ld", out_name[i], atomic_load(&st.count[i]));
	printf("\n");
	bad = atomic_load(&st.count[OUT_HANG]) + atomic_load(&st.count[OUT_OTHER]);
	return bad != 0;
}

struct accepter {
	uint64_t bytes;
	atomic_long accepted, good, bad;
	atomic_int live;
};

static struct accepter acc;

/* One accepted socket: the client's N bytes, byte-exact, then 'k'. */
static void *accepted_fn(void *arg)
{
	int c = (int)(long)arg, err;
	struct tally t;

	tally_init(&t);
	set_bound(c);
	err = recv_stream(c, CLIENT_SEED, &t, acc.bytes);
	if (err || t.bytes != acc.bytes || t.bad >= 0 ||
	    send(c, "k", 1, MSG_NOSIGNAL) != 1) {
		if (!err && t.bytes == acc.bytes && t.bad < 0)
			err = -errno;
		fprintf(stderr, "accepter: an accepted socket got %" PRIu64
			" of %" PRIu64 " bytes (%s, first bad byte %" PRId64 ")\n",
			t.bytes, acc.bytes, err ? strerrorname_np(-err) :
			"end of data", t.bad);
		atomic_fetch_add(&acc.bad, 1);
	} else {
		atomic_fetch_add(&acc.good, 1);
	}
	close(c);
	atomic_fetch_sub(&acc.live, 1);
	return NULL;
}

static int open_listener(int port, int n)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int l = socket(xfer_family(), SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;

	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(l, (struct sockaddr *)&sin, sizeof(sin)) || listen(l, n)) {
		perror("accepter: listen");
		if (l >= 0)
			close(l);
		return -1;
	}
	return l;
}

/* Past @end, or XTCP_XFER_STOP's file exists. */
static bool accepter_done(uint64_t end)
{
	const char *stop = getenv("XTCP_XFER_STOP");

	return now_ms() >= end || (stop && *stop && !access(stop, F_OK));
}

static int accepter(int port, int secs, const char *size, int up_ms,
		    int down_ms)
{
	uint64_t end = now_ms() + secs * 1000ull, flip;
	struct pollfd pfd = { .events = POLLIN };
	long rounds = 0;
	pthread_t th;
	int l, c;

	acc.bytes = parse_size(size, -1);
	if ((int64_t)acc.bytes < 0) {
		fprintf(stderr, "accepter: bad size %s\n", size);
		return 2;
	}
	while (!accepter_done(end)) {
		l = open_listener(port, 64);
		if (l < 0)
			return 1;
		mark("open %" PRIu64 "\n", now_us());
		if (!rounds++)
			say("listening");
		flip = up_ms ? now_ms() + up_ms : end;
		pfd.fd = l;
		while (now_ms() < flip && !accepter_done(end)) {
			if (poll(&pfd, 1, 10) <= 0)
				continue;
			c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
			if (c < 0)
				continue;
			atomic_fetch_add(&acc.accepted, 1);
			atomic_fetch_add(&acc.live, 1);
			if (pthread_create(&th, NULL, accepted_fn, (void *)(long)c)) {
				fprintf(stderr, "accepter: pthread_create failed\n");
				return 1;
			}
			pthread_detach(th);
		}
		mark("close %" PRIu64 "\n", now_us());
		close(l);	/* the connections nobody accepted are reset */
		if (up_ms && !accepter_done(end))
			usleep(down_ms * 1000);
	}
	while (atomic_load(&acc.live))
		usleep(10000);
	printf("accepter: %ld listens, %ld accepted, %ld carried the bytes, %ld did not\n",
	       rounds, atomic_load(&acc.accepted), atomic_load(&acc.good),
	       atomic_load(&acc.bad));
	return atomic_load(&acc.bad) != 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	open_times();
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "server"))
		return server(atoi(argv[2]), argc == 4 ? parse_size(argv[3], -1) : 0);
	if (argc == 5 && !strcmp(argv[1], "client"))
		return client(argv[2], atoi(argv[3]), argv[4]);
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "duplex-server")) {
		int c = listen_accept(atoi(argv[2]), 0);

		return c < 0 ? 1 : duplex(c, "duplex-server", SERVER_SEED,
					  CLIENT_SEED, argv[3], argc == 5 &&
					  !strcmp(argv[4], "halfclose"));
	}
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "duplex-client")) {
		int c = dial(argv[2], atoi(argv[3]));

		return c < 0 ? 1 : duplex(c, "duplex-client", CLIENT_SEED,
					  SERVER_SEED, argv[4], argc == 6 &&
					  !strcmp(argv[5], "halfclose"));
	}
	if (argc == 3 && !strcmp(argv[1], "hold")) {
		if (listen_accept(atoi(argv[2]), 0) < 0)
			return 1;
		for (;;)
			pause();
	}
	if (argc == 4 && !strcmp(argv[1], "abort"))
		return abort_conn(argv[2], atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "flood"))
		return flood(argv[2], atoi(argv[3]));
	if (argc == 6 && !strcmp(argv[1], "sendwait"))
		return sendwait(argv[2], atoi(argv[3]), argv[4], argv[5]);
	if (argc == 4 && !strcmp(argv[1], "backlog"))
		return backlog(atoi(argv[2]), atoi(argv[3]));
	if (argc == 7 && !strcmp(argv[1], "storm"))
		return storm(argv[2], atoi(argv[3]), atoi(argv[4]),
			     atoi(argv[5]), argv[6]);
	if ((argc == 5 || argc == 7) && !strcmp(argv[1], "accepter"))
		return accepter(atoi(argv[2]), atoi(argv[3]), argv[4],
				argc == 7 ? atoi(argv[5]) : 0,
				argc == 7 ? atoi(argv[6]) : 0);
	fprintf(stderr,
		"usage: %s server PORT [RCVBUF] | client ADDR PORT N |\n"
		"       duplex-server PORT N [halfclose] |\n"
		"       duplex-client ADDR PORT N [halfclose] |\n"
		"       hold PORT | abort ADDR PORT | flood ADDR PORT |\n"
		"       sendwait ADDR PORT N GO | backlog PORT N |\n"
		"       storm ADDR PORT THREADS SECONDS N |\n"
		"       accepter PORT SECONDS N [UP_MS DOWN_MS]\n",
		argv[0]);
	return 2;
}
