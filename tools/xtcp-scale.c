// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp-scale: how XTCP holds up with many connections, next to Linux TCP.
 * scripts/bench runs it (XTCP_BENCH_ONLY=scale); the rows are
 * xtcp-bench's: "test path unit xtcp tcp xtcp/tcp", the ratio always
 * XTCP's figure over TCP's, whichever way is better ("s", "us" and
 * "KiB/pair": lower; "pairs", "conn/s", "tw/s": higher).
 *
 * Every phase runs in a child process of its own, in a fresh network
 * namespace (unshare), over loopback, with the ephemeral range at
 * 1024-65535 and RLIMIT_NOFILE raised; LISTENERS listeners on 127.0.0.1
 * ports 1000 and up spread the connections, so that no destination needs
 * more than the range; on CPU 0 alone.  The phases, each for XTCP and
 * then TCP:
 *
 *   open-N      open N connection pairs (connect, accept), one at a time:
 *               seconds; then, with the N pairs still open, rr-N and
 *               connect-N below
 *   rr-0, rr-N  ping-pong of one byte on one more connection, an echo
 *               thread at the far end: mean microseconds per round trip
 *   connect-0, connect-N
 *               CONNECTS more connect() calls, each timed alone (the
 *               accept and the socket() outside the timing): mean us
 *   bound-N     N sockets bind() to ports 10000-59999 of 127.0.1.x (50,000
 *               a address), which the ephemeral-port search of a connect()
 *               must skip; then CONNECTS connect() calls as above: mean us
 *   max-pairs   open pairs until connect() or accept() fails, MemFree
 *               falls below MEM_FLOOR MiB, MAX_PAIRS pairs or MAX_SECS s:
 *               the pairs, and MemAvailable's fall per pair in KiB
 *   tw          connections closed by the client (which keeps TIME_WAIT),
 *               until TW entries or TW_SECS s: TIME_WAIT entries created
 *               per second, and the entries the namespace then holds (those
 *               of the last 60 s, TIME_WAIT's length in both; its
 *               tw_reuse off, max_tw_buckets raised; the ehash sizes are
 *               the caller's: xtcp.ko's ehash_entries, TCP's
 *               net.ipv4.tcp_child_ehash_entries in the parent namespace)
 *
 * Exit status: 0 when every cell is a number, 3 otherwise, 2 for a bad
 * command line.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/xtcp.h>

#define LISTENERS	32
#define BASE_PORT	1000
#define BOUND_PER_ADDR	50000
#define BOUND_PORT	10000
#define NVALS		3

struct opts {
	int pairs;		/* -n: N */
	int max_pairs;		/* -m */
	int max_secs;		/* -M */
	int mem_floor;		/* -f, MiB */
	int tw;			/* -w */
	int tw_secs;		/* -W */
	int rr_secs;		/* -r */
	int connects;		/* -c */
	int xtcp_family;
	const char *tests;	/* -T */
};

/* What a phase's child hands its parent: 0 when every value is set. */
struct result {
	int status;
	double val[NVALS];
};

static const struct opts *o;
static int family;		/* the phase's */
static int listeners[LISTENERS];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fail(const char *what)
{
	fprintf(stderr, "xtcp-scale: %s %s: %s\n",
		family == AF_INET ? "tcp" : "xtcp", what, strerror(errno));
}

/* ---- the namespace ---- */

static int write_file(const char *file, const char *val)
{
	int fd = open(file, O_WRONLY | O_CLOEXEC), ok;

	if (fd < 0) {
		fprintf(stderr, "xtcp-scale: %s: %s\n", file, strerror(errno));
		return -1;
	}
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	if (!ok)
		fprintf(stderr, "xtcp-scale: %s <- %s: %s\n", file, val,
			strerror(errno));
	close(fd);
	return ok ? 0 : -1;
}

/* A line of /proc/meminfo, "MemAvailable" say, in KiB. */
static long meminfo_kib(const char *name)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	size_t len = strlen(name);
	long kib = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ':') {
			kib = atol(line + len + 1);
			break;
		}
	fclose(f);
	return kib;
}

static long mem_available_kib(void)
{
	return meminfo_kib("MemAvailable");
}

static int loopback_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err;

	if (fd < 0)
		return -1;
	err = ioctl(fd, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	err = err ?: ioctl(fd, SIOCSIFFLAGS, &ifr);
	close(fd);
	return err;
}

/* A fresh namespace, loopback up, and the knobs every phase wants. */
static int netns_setup(int tw_phase)
{
	struct rlimit rl = { 1 << 20, 1 << 20 };
	cpu_set_t cpus;

	if (unshare(CLONE_NEWNET) || loopback_up()) {
		fail("unshare/loopback");
		return -1;
	}
	/* One CPU: rr's two threads hand over without waking another vCPU,
	 * whose wake-up under TCG costs milliseconds.
	 */
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus)) {
		fail("sched_setaffinity");
		return -1;
	}
	if (setrlimit(RLIMIT_NOFILE, &rl)) {
		fail("setrlimit(RLIMIT_NOFILE)");
		return -1;
	}
	if (write_file("/proc/sys/net/ipv4/ip_local_port_range", "1024 65535") ||
	    write_file("/proc/sys/net/core/somaxconn", "4096"))
		return -1;
	if (!tw_phase)
		return 0;
	if (family == AF_INET)
		return write_file("/proc/sys/net/ipv4/tcp_tw_reuse", "0") ?:
		       write_file("/proc/sys/net/ipv4/tcp_max_tw_buckets", "4000000");
	return write_file("/proc/sys/net/xtcp/tw_reuse", "0") ?:
	       write_file("/proc/sys/net/xtcp/max_tw_buckets", "4000000");
}

/* ---- sockets ---- */

static struct sockaddr_in sin_of(const char *addr, int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port) };

	inet_pton(AF_INET, addr, &sin.sin_addr);
	return sin;
}

static int listen_all(void)
{
	int i, one = 1;

	for (i = 0; i < LISTENERS; i++) {
		struct sockaddr_in sin = sin_of("127.0.0.1", BASE_PORT + i);
		int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0 ||
		    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
		    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
		    listen(fd, 4096)) {
			fail("listener");
			return -1;
		}
		listeners[i] = fd;
	}
	return 0;
}

/*
 * One pair on listener @k: the client's fd in *@c, the server's in *@s.
 * *@took gets connect()'s time alone when not NULL.  -1 and errno on
 * failure.
 */
static int open_pair(int k, int *c, int *s, double *took)
{
	struct sockaddr_in sin = sin_of("127.0.0.1", BASE_PORT + k % LISTENERS);
	double t = 0;

	*c = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*c < 0)
		return -1;
	if (took)
		t = now();
	if (connect(*c, (struct sockaddr *)&sin, sizeof(sin)))
		goto fail;
	if (took)
		*took += now() - t;
	*s = accept4(listeners[k % LISTENERS], NULL, NULL, SOCK_CLOEXEC);
	if (*s >= 0)
		return 0;
fail:
	t = errno;
	close(*c);
	errno = t;
	return -1;
}

/* An end of the pairs that leaves no TIME_WAIT behind: the clients reset. */
static void close_pairs(int *fds, int n)
{
	struct linger lg = { 1, 0 };
	int i;

	for (i = 0; i < n; i += 2)
		setsockopt(fds[i], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	for (i = 0; i < n; i++)
		close(fds[i]);
}

/* Opens @n pairs into @fds (two each); the number opened. */
static int open_pairs(int *fds, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (open_pair(i, &fds[2 * i], &fds[2 * i + 1], NULL)) {
			fail("open_pair");
			break;
		}
	return i;
}

/* ---- the measures ---- */

static void *echo(void *arg)
{
	int fd = *(int *)arg;
	char c;

	while (recv(fd, &c, 1, 0) == 1 && send(fd, &c, 1, MSG_NOSIGNAL) == 1)
		;
	return NULL;
}

/* Mean us per one-byte round trip over rr_secs on a new pair. */
static double rr_us(void)
{
	double t0, end;
	long n = 0;
	pthread_t th;
	int c, s;
	char b = 'x';

	if (open_pair(LISTENERS - 1, &c, &s, NULL)) {
		fail("rr pair");
		return -1;
	}
	if (pthread_create(&th, NULL, echo, &s))
		return -1;
	t0 = now();
	end = t0 + o->rr_secs;
	do {
		if (send(c, &b, 1, MSG_NOSIGNAL) != 1 || recv(c, &b, 1, 0) != 1) {
			fail("rr");
			return -1;
		}
	} while (++n % 64 || now() < end);
	t0 = now() - t0;
	close(c);
	pthread_join(th, NULL);
	close(s);
	return t0 / n * 1e6;
}

/* Mean us of one connect() over @o->connects new pairs. */
static double connect_us(void)
{
	int *fds = calloc(2 * o->connects, sizeof(int));
	double took = 0;
	int i;

	if (!fds)
		return -1;
	for (i = 0; i < o->connects; i++)
		if (open_pair(i, &fds[2 * i], &fds[2 * i + 1], &took)) {
			fail("connect");
			close_pairs(fds, 2 * i);
			free(fds);
			return -1;
		}
	close_pairs(fds, 2 * o->connects);
	free(fds);
	return took / o->connects * 1e6;
}

/* ---- the phases: each fills a result's values, -1 for one it lacks ---- */

static void phase_open(struct result *r)
{
	int *fds = calloc(2 * (size_t)o->pairs, sizeof(int));
	double t;

	if (!fds)
		return;
	t = now();
	if (open_pairs(fds, o->pairs) < o->pairs)
		return;
	r->val[0] = now() - t;
	r->val[1] = rr_us();
	r->val[2] = connect_us();
	close_pairs(fds, 2 * o->pairs);
}

static void phase_idle(struct result *r)
{
	r->val[0] = 0;
	r->val[1] = rr_us();
	r->val[2] = connect_us();
}

/* @n sockets bound to ports of 127.0.1.x that connect() must skip. */
static int bind_many(int n)
{
	int i;

	for (i = 0; i < n; i++) {
		char addr[16];
		struct sockaddr_in sin;
		int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

		snprintf(addr, sizeof(addr), "127.0.1.%d", 1 + i / BOUND_PER_ADDR);
		sin = sin_of(addr, BOUND_PORT + i % BOUND_PER_ADDR);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin))) {
			fail("bind");
			return -1;
		}
	}
	return 0;
}

static void phase_bound(struct result *r)
{
	if (bind_many(o->pairs))
		return;
	r->val[0] = 0;
	r->val[1] = 0;
	r->val[2] = connect_us();
}

static void phase_max(struct result *r)
{
	size_t cap = 2 * (size_t)o->max_pairs;
	int *fds = calloc(cap, sizeof(int));
	long mem0 = mem_available_kib(), mem = mem0;
	double end = now() + o->max_secs;
	int n;

	if (!fds)
		return;
	for (n = 0; n < o->max_pairs; n++) {
		/* MemFree, not MemAvailable: the latter counts half the
		 * sockets' inodes and dentries (reclaimable slab) as free,
		 * and the OOM killer came first.
		 */
		if (n % 1000 == 0) {
			mem = meminfo_kib("MemFree");
			if (mem < o->mem_floor * 1024L) {
				fprintf(stderr, "xtcp-scale: max-pairs: MemFree %ld MiB at %d pairs\n",
					mem / 1024, n);
				break;
			}
			if (now() > end) {
				fprintf(stderr, "xtcp-scale: max-pairs: %d s at %d pairs\n",
					o->max_secs, n);
				break;
			}
		}
		if (open_pair(n, &fds[2 * n], &fds[2 * n + 1], NULL)) {
			fprintf(stderr, "xtcp-scale: max-pairs: %s at %d pairs\n",
				strerror(errno), n);
			break;
		}
	}
	mem = mem_available_kib();
	r->val[0] = n;
	r->val[1] = n ? (double)(mem0 - mem) / n : -1;
	r->val[2] = 0;
	/* Resets: a FIN and a TIME_WAIT entry for each would take memory
	 * before the sockets' own came back, and with little left the
	 * guest panicked ("no killable processes") as this process exited.
	 */
	close_pairs(fds, 2 * n);
}

/* TIME_WAIT entries the namespace holds. */
static long tw_held(void)
{
	const char *file = family == AF_INET ? "/proc/net/sockstat" :
			   "/proc/net/xtcp_stat";
	FILE *f = fopen(file, "r");
	char line[256], *p;
	long tw = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (family == AF_INET && !strncmp(line, "TCP:", 4)) {
			p = strstr(line, " tw ");
			if (p)
				tw = atol(p + 4);
		} else if (family != AF_INET) {
			sscanf(line, "CurrTimeWait %ld", &tw);
		}
	}
	fclose(f);
	return tw;
}

static void phase_tw(struct result *r)
{
	double t0 = now(), end = t0 + o->tw_secs;
	int n, c, s;

	for (n = 0; n < o->tw; n++) {
		if (n % 256 == 0 && now() > end)
			break;
		if (open_pair(n, &c, &s, NULL)) {
			fail("tw connect");
			break;
		}
		/* The client closes first and keeps TIME_WAIT. */
		close(c);
		close(s);
	}
	r->val[0] = n / (now() - t0);
	r->val[1] = tw_held();
	r->val[2] = 0;
}

/* ---- running the phases ---- */

struct phase_desc {
	const char *test;	/* in -T */
	int tw;			/* the namespace's TIME_WAIT knobs */
	void (*run)(struct result *r);
};

/* In a child: the phase's values, or status 1 with a failure. */
static struct result run_phase(const struct phase_desc *d, int fam)
{
	struct result r = { .status = 1, .val = { -1, -1, -1 } };
	int p[2], i;
	pid_t pid;

	fflush(NULL);
	if (pipe(p))
		return r;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		family = fam;
		if (!netns_setup(d->tw) && !listen_all())
			d->run(&r);
		r.status = 0;
		for (i = 0; i < NVALS; i++)
			if (r.val[i] < 0)
				r.status = 1;
		if (write(p[1], &r, sizeof(r)) != sizeof(r))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	if (pid < 0 || read(p[0], &r, sizeof(r)) != sizeof(r))
		r.status = 1;
	close(p[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return r;
}

/* After a phase its namespace goes away in the background: wait (up to a
 * minute) until MemAvailable is back near @base, so that the next phase
 * starts on the same memory.
 */
static void settle(long base)
{
	int i;

	for (i = 0; i < 600 && mem_available_kib() < base - 32 * 1024; i++)
		usleep(100000);
}

static int row(const char *test, const char *unit, double x, double t,
	       int ok, const char *fmt)
{
	char xs[32], ts[32], q[16];

	snprintf(xs, sizeof(xs), fmt, x);
	snprintf(ts, sizeof(ts), fmt, t);
	if (!ok || x < 0 || t < 0) {
		printf("%-10s %-10s %-14s %12s %12s %9s\n", test, "loopback",
		       unit, x < 0 ? "error" : xs, t < 0 ? "error" : ts, "-");
		return 3;
	}
	snprintf(q, sizeof(q), t > 0 ? "%.3f" : "-", x / t);
	printf("%-10s %-10s %-14s %12s %12s %9s\n", test, "loopback", unit,
	       xs, ts, q);
	return 0;
}

struct row_desc {
	const char *test;
	const char *unit;
	const char *fmt;
	int val;
};

static int phase_rows(const struct phase_desc *d, const struct row_desc *rows,
		      int nrows)
{
	struct result x, t;
	long base = mem_available_kib();
	int i, rc = 0;

	if (!strstr(o->tests, d->test))
		return 0;
	x = run_phase(d, o->xtcp_family);
	settle(base);
	t = run_phase(d, AF_INET);
	settle(base);
	for (i = 0; i < nrows; i++)
		rc |= row(rows[i].test, rows[i].unit, x.val[rows[i].val],
			  t.val[rows[i].val], !x.status && !t.status,
			  rows[i].fmt);
	fflush(stdout);
	return rc;
}

static const char *count_name(int n)
{
	static char buf[16];

	if (n % 1000 == 0)
		snprintf(buf, sizeof(buf), "%dk", n / 1000);
	else
		snprintf(buf, sizeof(buf), "%d", n);
	return buf;
}

static int run_all(void)
{
	char n[16], open_n[24], rr_n[24], conn_n[24], bound_n[24];
	int rc = 0;

	snprintf(n, sizeof(n), "%s", count_name(o->pairs));
	snprintf(open_n, sizeof(open_n), "open-%s", n);
	snprintf(rr_n, sizeof(rr_n), "rr-%s", n);
	snprintf(conn_n, sizeof(conn_n), "connect-%s", n);
	snprintf(bound_n, sizeof(bound_n), "bound-%s", n);
	{
		const struct phase_desc d = { "idle", 0, phase_idle };
		const struct row_desc r[] = {
			{ "rr-0", "us", "%.1f", 1 },
			{ "connect-0", "us", "%.1f", 2 } };

		rc |= phase_rows(&d, r, 2);
	}
	{
		const struct phase_desc d = { "open", 0, phase_open };
		const struct row_desc r[] = {
			{ open_n, "s", "%.2f", 0 },
			{ rr_n, "us", "%.1f", 1 },
			{ conn_n, "us", "%.1f", 2 } };

		rc |= phase_rows(&d, r, 3);
	}
	{
		const struct phase_desc d = { "bound", 0, phase_bound };
		const struct row_desc r[] = { { bound_n, "connect-us", "%.1f", 2 } };

		rc |= phase_rows(&d, r, 1);
	}
	{
		const struct phase_desc d = { "max", 0, phase_max };
		const struct row_desc r[] = {
			{ "max-pairs", "pairs", "%.0f", 0 },
			{ "max-pairs", "KiB/pair", "%.2f", 1 } };

		rc |= phase_rows(&d, r, 2);
	}
	{
		const struct phase_desc d = { "tw", 1, phase_tw };
		const struct row_desc r[] = {
			{ "tw", "tw/s", "%.0f", 0 },
			{ "tw", "tw-held", "%.0f", 1 } };

		rc |= phase_rows(&d, r, 2);
	}
	return rc;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: xtcp-scale [options]\n"
		"  -n N        pairs open for open-N, rr-N, connect-N; bound sockets for bound-N (100000)\n"
		"  -c N        connect() calls a connect row times (2000)\n"
		"  -r S        seconds of each rr (3)\n"
		"  -m N, -M S  max-pairs stops at N pairs or S seconds (400000, 300)\n"
		"  -f MIB      max-pairs stops when MemFree falls below MIB (256)\n"
		"  -w N, -W S  tw stops at N entries or S seconds (1000000, 90)\n"
		"  -T LIST     phases: idle,open,bound,max,tw (all)\n"
		"  --xtcp-family N  AF_XTCP when xtcp.ko was loaded with family=N (22)\n");
	exit(2);
}

static int parse_int(const char *s, int min, int max)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < min || v > max)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "xtcp-family", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 } };
	static struct opts opts = {
		.pairs = 100000, .connects = 2000, .rr_secs = 3,
		.max_pairs = 400000, .max_secs = 300, .mem_floor = 256,
		.tw = 1000000, .tw_secs = 90, .xtcp_family = AF_XTCP,
		.tests = "idle,open,bound,max,tw" };
	int c, rc;

	while ((c = getopt_long(argc, argv, "n:c:r:m:M:f:w:W:T:", longs,
				NULL)) != -1) {
		switch (c) {
		case 'n': opts.pairs = parse_int(optarg, 1, 250000); break;
		case 'c': opts.connects = parse_int(optarg, 1, 30000); break;
		case 'r': opts.rr_secs = parse_int(optarg, 1, 600); break;
		case 'm': opts.max_pairs = parse_int(optarg, 1, 500000); break;
		case 'M': opts.max_secs = parse_int(optarg, 1, 3600); break;
		case 'f': opts.mem_floor = parse_int(optarg, 16, 1 << 20); break;
		case 'w': opts.tw = parse_int(optarg, 1, 4000000); break;
		case 'W': opts.tw_secs = parse_int(optarg, 1, 3600); break;
		case 'T': opts.tests = optarg; break;
		case 'F': opts.xtcp_family = parse_int(optarg, 1, 45); break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	o = &opts;
	signal(SIGPIPE, SIG_IGN);
	printf("# xtcp-scale: loopback, a fresh namespace per phase, %d listeners; N=%d, %d connects a row, rr %d s\n",
	       LISTENERS, o->pairs, o->connects, o->rr_secs);
	printf("# ratio xtcp/tcp for every unit: s, us, KiB/pair lower is better; pairs, tw/s higher\n");
	printf("%-10s %-10s %-14s %12s %12s %9s\n", "test", "path", "unit",
	       "xtcp", "tcp", "xtcp/tcp");
	rc = run_all();
	return rc;
}
