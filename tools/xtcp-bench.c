// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp-bench: XTCP's throughput and latency next to Linux TCP's.
 *
 * Every test runs on every path twice, once over XTCP (AF_XTCP) and once
 * over TCP (AF_INET), with the same code; a table row gives both values
 * and XTCP/TCP, always in the columns "test path unit xtcp tcp xtcp/tcp".
 * With -n RUNS each test runs RUNS times on each path, XTCP and TCP by
 * turns (XTCP, TCP, XTCP, TCP, ...), a row each; after the last, a summary
 * in the same columns gives each row's median (unit "Mbit/s:median", say),
 * its least (":min") and its greatest (":max") run, the ratio's extremes
 * being those of the runs' pairs (XTCP's k-th run over TCP's k-th):
 *
 *   stream-N  N connections write 128 KiB at a time, client to server:
 *             Mbit/s of bytes the server received during the phase
 *   rr        1-byte request, 1-byte response, on one connection (netperf's
 *             TCP_RR): transactions/s, and the mean latency in us
 *   crr       connect, 1-byte request, 1-byte response, close (TCP_CRR):
 *             transactions/s
 *
 * A path is an address and, optionally, the network namespaces that the
 * server and the client run in (/run/netns/NAME, as `ip netns add` makes
 * them).  Threads enter their side's namespace with setns(), so one process
 * drives both ends.  Or the server is another machine's (server "@remote"):
 * `xtcp-bench --serve` there answers every test, XTCP and TCP, on fixed
 * ports (--port and the two after it: stream, rr, crr), until killed; a
 * stream then counts the bytes the clients' send() calls took during the
 * phase, not those the servers received (the same for XTCP and TCP; the
 * socket buffers' fill at the start is small against a phase).
 *
 * Every phase (test, path, protocol) runs in a child process under alarm()
 * and a deadline the parent enforces, and every socket has SO_RCVTIMEO and
 * SO_SNDTIMEO.  A socket call that times out, no progress in a phase, or a
 * child that has to be killed shows "stall" in the table; any other failure
 * shows "error".  The details go to stderr.
 *
 * Exit status: 0 with every cell a number, 3 when a cell is "stall" or
 * "error", 1 when AF_XTCP is missing, 2 for a bad command line.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/xtcp.h>

#define STREAM_WRITE	(128 * 1024)
#define MAX_PATHS	8
#define MAX_TESTS	16
#define MAX_STREAMS	64
#define MAX_RUNS	99
#define NS_NAME_MAX	64

enum kind { STREAM, RR, CRR };
enum status { OK, STALL, ERROR };

struct path {
	char name[16];
	char addr_str[INET_ADDRSTRLEN];
	struct in_addr addr;
	char server_ns[NS_NAME_MAX];	/* "": stay where we are */
	char client_ns[NS_NAME_MAX];
	int remote;			/* the server is --serve elsewhere */
};

struct test {
	enum kind kind;
	int streams;
	char name[16];
};

struct opts {
	int secs;
	int runs;
	int timeout;
	int port;
	int xtcp_family;
	int serve;		/* --serve: the far end of a remote path */
	int npaths;
	int ntests;
	struct path paths[MAX_PATHS];
	struct test tests[MAX_TESTS];
};

/* What a phase's child hands its parent. */
struct result {
	int status;
	double val[2];
};

/* A protocol's runs of one test on one path (-n): the worst status, and
 * the median and range of each value; in XTCP's, also the range of the
 * ratio XTCP/TCP over the runs' pairs (run k of XTCP over run k of TCP).
 */
struct summary {
	int status;
	double med[2], min[2], max[2];
	double rmin[2], rmax[2];
};

/* Everything the threads of one phase share. */
struct phase {
	const struct opts *o;
	const struct path *path;
	const struct test *test;
	const char *proto;
	int family;
	struct sockaddr_in sin;
	int lfd;
	int nclients;
	atomic_int stop;		/* clients: start nothing new */
	atomic_int done;		/* servers: no client is left */
	atomic_int ready;		/* clients under way */
	atomic_int status;		/* the first failure's enum status */
	atomic_ulong bytes;		/* stream: received by the servers
					 * (remote: taken by the clients)
					 */
	atomic_ulong trans;		/* rr, crr: completed by the client */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ---- failures ---- */

/* A timed-out socket call: SO_RCVTIMEO/SO_SNDTIMEO give EAGAIN, connect()
 * EINPROGRESS; ETIMEDOUT is the protocol giving up on retransmissions.
 */
static int errno_status(int err)
{
	switch (err) {
	case EAGAIN:
	case EINPROGRESS:
	case ETIMEDOUT:
		return STALL;
	}
	return ERROR;
}

static void phase_note(struct phase *ph, int status, const char *what,
		       const char *why)
{
	int ok = OK;

	fprintf(stderr, "xtcp-bench: %s %s %s: %s: %s%s\n", ph->path->name,
		ph->test->name, ph->proto, what, why,
		atomic_load(&ph->stop) ? " (while stopping)" : "");
	atomic_compare_exchange_strong(&ph->status, &ok, status);
	atomic_store(&ph->stop, 1);
}

static void phase_fail(struct phase *ph, const char *what, int err)
{
	char why[96];

	if (err == EAGAIN)
		snprintf(why, sizeof(why), "timed out after %d s",
			 ph->o->timeout);
	else
		snprintf(why, sizeof(why), "%s", strerror(err));
	phase_note(ph, errno_status(err), what, why);
}

/* ---- sockets ---- */

static int enter_netns(const char *name)
{
	char file[sizeof("/run/netns/") + NS_NAME_MAX];
	int fd, err;

	if (!*name)
		return 0;
	snprintf(file, sizeof(file), "/run/netns/%s", name);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "xtcp-bench: %s: %s\n", file, strerror(errno));
		return -1;
	}
	err = setns(fd, CLONE_NEWNET);
	if (err)
		fprintf(stderr, "xtcp-bench: setns(%s): %s\n", file,
			strerror(errno));
	close(fd);
	return err;
}

static int set_timeouts(int fd, int secs)
{
	struct timeval tv = { .tv_sec = secs };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return -1;
	return 0;
}

static int new_socket(struct phase *ph)
{
	int fd = socket(ph->family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		phase_fail(ph, "socket", errno);
		return -1;
	}
	if (set_timeouts(fd, ph->o->timeout)) {
		phase_fail(ph, "setsockopt(SO_RCVTIMEO/SO_SNDTIMEO)", errno);
		close(fd);
		return -1;
	}
	return fd;
}

static int listen_on(struct phase *ph)
{
	int one = 1, fd = new_socket(ph);

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&ph->sin, sizeof(ph->sin)) ||
	    listen(fd, 128)) {
		phase_fail(ph, "bind/listen", errno);
		close(fd);
		return -1;
	}
	return fd;
}

static int connect_to(struct phase *ph)
{
	int fd = new_socket(ph);

	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&ph->sin, sizeof(ph->sin))) {
		phase_fail(ph, "connect", errno);
		close(fd);
		return -1;
	}
	return fd;
}

/* accept(), polling so that the wait ends when the clients are gone: their
 * own timeouts catch a connection that never arrives.
 */
static int accept_one(struct phase *ph)
{
	struct pollfd pfd = { .fd = ph->lfd, .events = POLLIN };
	int fd;

	while (!atomic_load(&ph->done)) {
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		fd = accept4(ph->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0 && errno == EAGAIN)
			continue;
		if (fd < 0) {
			phase_fail(ph, "accept", errno);
			return -1;
		}
		if (set_timeouts(fd, ph->o->timeout)) {
			phase_fail(ph, "setsockopt on accepted", errno);
			close(fd);
			return -1;
		}
		return fd;
	}
	return -1;
}

/* One byte each way; 0 on success. */
static int send_byte(struct phase *ph, int fd, const char *what)
{
	char c = 'x';
	ssize_t n = send(fd, &c, 1, MSG_NOSIGNAL);

	if (n == 1)
		return 0;
	phase_fail(ph, what, n < 0 ? errno : EIO);
	return -1;
}

static int recv_byte(struct phase *ph, int fd, const char *what)
{
	char c;
	ssize_t n = recv(fd, &c, 1, 0);

	if (n == 1)
		return 0;
	if (n == 0)
		phase_note(ph, ERROR, what, "unexpected EOF");
	else
		phase_fail(ph, what, errno);
	return -1;
}

/* ---- stream ---- */

static void *stream_server(void *arg)
{
	struct phase *ph = arg;
	char *buf = malloc(STREAM_WRITE);
	ssize_t n;
	int fd;

	fd = buf ? accept_one(ph) : -1;
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	/* Read to EOF: the client closes when the phase stops. */
	while ((n = recv(fd, buf, STREAM_WRITE, 0)) > 0)
		atomic_fetch_add(&ph->bytes, n);
	if (n < 0)
		phase_fail(ph, "server recv", errno);
	close(fd);
	free(buf);
	return NULL;
}

static void *stream_client(void *arg)
{
	struct phase *ph = arg;
	char *buf = malloc(STREAM_WRITE);
	int fd;

	fd = buf ? connect_to(ph) : -1;
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	memset(buf, 0x5a, STREAM_WRITE);
	atomic_fetch_add(&ph->ready, 1);
	while (!atomic_load(&ph->stop)) {
		ssize_t n = send(fd, buf, STREAM_WRITE, MSG_NOSIGNAL);

		if (n < 0) {
			phase_fail(ph, "client send", errno);
			break;
		}
		if (ph->path->remote)
			atomic_fetch_add(&ph->bytes, n);
	}
	close(fd);
	free(buf);
	return NULL;
}

/* ---- rr ---- */

/* Neither side sets TCP_NODELAY (XTCP has no TCP-level options yet): with
 * one byte outstanding at a time, Nagle never holds a segment back.
 */
static void *rr_server(void *arg)
{
	struct phase *ph = arg;
	ssize_t n;
	char c;
	int fd;

	fd = accept_one(ph);
	if (fd < 0)
		return NULL;
	while ((n = recv(fd, &c, 1, 0)) == 1)
		if (send_byte(ph, fd, "server send"))
			break;
	if (n < 0)
		phase_fail(ph, "server recv", errno);
	close(fd);
	return NULL;
}

static void *rr_client(void *arg)
{
	struct phase *ph = arg;
	int fd;

	fd = connect_to(ph);
	if (fd < 0)
		return NULL;
	atomic_fetch_add(&ph->ready, 1);
	while (!atomic_load(&ph->stop)) {
		if (send_byte(ph, fd, "client send") ||
		    recv_byte(ph, fd, "client recv"))
			break;
		atomic_fetch_add(&ph->trans, 1);
	}
	close(fd);
	return NULL;
}

/* ---- crr ---- */

/*
 * Who closes first: the server, right after its response.  TIME_WAIT then
 * falls on the server's side, keyed by the server's fixed port and the
 * client's port, where it takes nothing from the client's ephemeral range;
 * the client reads the server's FIN (EOF), closes from CLOSE_WAIT and is
 * gone after LAST_ACK.  No SO_LINGER 0 (RST) either: the normal four-way
 * close is part of what a connection costs, and worth measuring.
 */
static void *crr_server(void *arg)
{
	struct phase *ph = arg;
	int fd;

	while ((fd = accept_one(ph)) >= 0) {
		int err = recv_byte(ph, fd, "server recv") ||
			  send_byte(ph, fd, "server send");

		close(fd);
		if (err)
			break;
	}
	return NULL;
}

/* One transaction: 0 when it completed. */
static int crr_once(struct phase *ph)
{
	char c;
	ssize_t n;
	int fd;

	fd = connect_to(ph);
	if (fd < 0)
		return -1;
	if (send_byte(ph, fd, "client send") ||
	    recv_byte(ph, fd, "client recv"))
		goto fail;
	n = recv(fd, &c, 1, 0);
	if (n != 0) {
		if (n < 0)
			phase_fail(ph, "client recv (server's FIN)", errno);
		else
			phase_note(ph, ERROR, "client recv", "data after the response");
		goto fail;
	}
	close(fd);
	return 0;
fail:
	close(fd);
	return -1;
}

static void *crr_client(void *arg)
{
	struct phase *ph = arg;

	atomic_fetch_add(&ph->ready, 1);
	while (!atomic_load(&ph->stop)) {
		if (crr_once(ph))
			break;
		atomic_fetch_add(&ph->trans, 1);
	}
	return NULL;
}

/* ---- one phase, in a child process ---- */

typedef void *(*thread_fn)(void *);

static const thread_fn server_fn[] = { stream_server, rr_server, crr_server };
static const thread_fn client_fn[] = { stream_client, rr_client, crr_client };

static int start_threads(struct phase *ph, pthread_t *tids, int n, thread_fn fn)
{
	int i, err;

	for (i = 0; i < n; i++) {
		err = pthread_create(&tids[i], NULL, fn, ph);
		if (err) {
			phase_fail(ph, "pthread_create", err);
			return i;
		}
	}
	return n;
}

/* Joins threads until @deadline; 0 when all are done.  A thread still
 * running then dies with the process.
 */
static int join_threads(pthread_t *tids, int n, double deadline)
{
	struct timespec ts;
	double t;
	int i;

	for (i = 0; i < n; i++) {
		clock_gettime(CLOCK_REALTIME, &ts);
		t = ts.tv_sec + ts.tv_nsec / 1e9 + (deadline - now());
		ts.tv_sec = (time_t)t;
		ts.tv_nsec = (long)((t - ts.tv_sec) * 1e9);
		if (pthread_timedjoin_np(tids[i], NULL, &ts))
			return -1;
	}
	return 0;
}

static int wait_ready(struct phase *ph)
{
	double deadline = now() + ph->o->timeout + 1;

	while (atomic_load(&ph->ready) < ph->nclients) {
		if (atomic_load(&ph->stop))
			return -1;
		if (now() > deadline) {
			phase_note(ph, STALL, "setup", "clients not connected");
			return -1;
		}
		sleep_ms(5);
	}
	return 0;
}

static void compute(struct phase *ph, struct result *r, double dt,
		    unsigned long bytes, unsigned long trans)
{
	if (ph->test->kind == STREAM) {
		r->val[0] = bytes * 8 / dt / 1e6;
		if (!bytes)
			phase_note(ph, STALL, "stream", "no bytes arrived");
		return;
	}
	r->val[0] = trans / dt;
	r->val[1] = trans ? dt * 1e6 / trans : 0;
	if (!trans)
		phase_note(ph, STALL, ph->test->name, "no transaction completed");
}

/* The measurement window: from all clients under way for o->secs. */
static void measure(struct phase *ph, struct result *r)
{
	unsigned long b0, n0;
	double t0, t1;

	if (wait_ready(ph))
		return;
	t0 = now();
	b0 = atomic_load(&ph->bytes);
	n0 = atomic_load(&ph->trans);
	while (!atomic_load(&ph->stop) && now() < t0 + ph->o->secs)
		sleep_ms(10);
	t1 = now();
	compute(ph, r, t1 - t0, atomic_load(&ph->bytes) - b0,
		atomic_load(&ph->trans) - n0);
}

static struct result phase_main(struct phase *ph)
{
	pthread_t srv[MAX_STREAMS], cli[MAX_STREAMS];
	struct result r = { .status = ERROR };
	int k = ph->test->kind, ns = 0, nc = 0;
	double deadline;

	if (!ph->path->remote) {
		if (enter_netns(ph->path->server_ns))
			return r;
		ph->lfd = listen_on(ph);
		if (ph->lfd < 0)
			return r;
		ns = start_threads(ph, srv, ph->nclients, server_fn[k]);
	}
	if (!enter_netns(ph->path->client_ns))
		nc = start_threads(ph, cli, ph->nclients, client_fn[k]);
	else
		phase_note(ph, ERROR, "setns", "client namespace");
	if (nc == ph->nclients)
		measure(ph, &r);
	atomic_store(&ph->stop, 1);
	/* A client's blocked call ends within one socket timeout: a client
	 * still running after that ignores its timeouts, a stall.  Servers
	 * may still be draining what the clients queued before they closed:
	 * slow, but progress, which the measurement has already counted.
	 */
	deadline = now() + ph->o->timeout + 1;
	if (join_threads(cli, nc, deadline))
		phase_note(ph, STALL, "client", "thread did not finish");
	atomic_store(&ph->done, 1);
	if (join_threads(srv, ns, deadline + ph->o->timeout))
		fprintf(stderr,
			"xtcp-bench: %s %s %s: servers still receiving; not waited for\n",
			ph->path->name, ph->test->name, ph->proto);
	r.status = atomic_load(&ph->status);
	return r;
}

static void phase_init(struct phase *ph, const struct opts *o,
		       const struct path *p, const struct test *t, int xtcp,
		       int port)
{
	memset(ph, 0, sizeof(*ph));
	ph->o = o;
	ph->path = p;
	ph->test = t;
	ph->family = xtcp ? o->xtcp_family : AF_INET;
	ph->proto = xtcp ? "xtcp" : "tcp";
	ph->sin.sin_family = AF_INET;
	ph->sin.sin_addr = p->addr;
	/* A remote server listens on one port per test. */
	ph->sin.sin_port = htons(p->remote ? o->port + t->kind : port);
	ph->lfd = -1;
	ph->nclients = t->kind == STREAM ? t->streams : 1;
}

/* How long a phase may take in all before it counts as a stall. */
static int phase_limit(const struct opts *o)
{
	return o->secs + 3 * o->timeout + 5;
}

static int read_result(int fd, struct result *r, int secs)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (poll(&pfd, 1, secs * 1000) <= 0)
		return -1;
	return read(fd, r, sizeof(*r)) == sizeof(*r) ? 0 : -1;
}

static void reap(pid_t pid)
{
	int i;

	for (i = 0; i < 200; i++) {
		if (waitpid(pid, NULL, WNOHANG) != 0)
			return;
		sleep_ms(10);
	}
	fprintf(stderr, "xtcp-bench: child %d would not die; left behind\n",
		(int)pid);
}

static struct result run_phase(const struct opts *o, const struct path *p,
			       const struct test *t, int xtcp, int port)
{
	struct result r = { .status = ERROR };
	struct phase ph;
	int fds[2];
	pid_t pid;

	phase_init(&ph, o, p, t, xtcp, port);
	if (pipe2(fds, O_CLOEXEC)) {
		perror("xtcp-bench: pipe");
		return r;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		alarm(phase_limit(o));
		r = phase_main(&ph);
		if (write(fds[1], &r, sizeof(r)) != sizeof(r))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	if (pid < 0) {
		perror("xtcp-bench: fork");
	} else if (read_result(fds[0], &r, phase_limit(o) + 2)) {
		phase_note(&ph, STALL, "phase",
			   "no result: killed by its alarm or our deadline");
		r.status = STALL;
		kill(pid, SIGKILL);
	}
	close(fds[0]);
	if (pid > 0)
		reap(pid);
	return r;
}

/* ---- the table ---- */

#define ROW_FMT		"%-10s %-10s %-14s %12s %12s %9s"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* ERROR beats STALL beats OK: a cell is a number only when every run is. */
static void summarize(const struct result *r, int n, struct summary *s)
{
	double v[MAX_RUNS];
	int i, k;

	memset(s, 0, sizeof(*s));
	for (k = 0; k < n; k++)
		if (r[k].status > s->status)
			s->status = r[k].status;
	for (i = 0; i < 2; i++) {
		for (k = 0; k < n; k++)
			v[k] = r[k].val[i];
		qsort(v, n, sizeof(v[0]), cmp_double);
		s->med[i] = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
		s->min[i] = v[0];
		s->max[i] = v[n - 1];
	}
}

/* The least and greatest XTCP/TCP of the @n pairs of runs, into @x. */
static void ratio_range(const struct result *xr, const struct result *tr,
			int n, struct summary *x)
{
	int i, k, seen;
	double q;

	for (i = 0; i < 2; i++) {
		x->rmin[i] = 0;
		x->rmax[i] = 0;
		for (k = 0, seen = 0; k < n; k++) {
			if (tr[k].val[i] <= 0)
				continue;
			q = xr[k].val[i] / tr[k].val[i];
			if (!seen++ || q < x->rmin[i])
				x->rmin[i] = q;
			if (seen == 1 || q > x->rmax[i])
				x->rmax[i] = q;
		}
	}
}

/* One row: "test path unit xtcp tcp xtcp/tcp", the ratio last. */
static void print_row(const char *test, const char *path, const char *unit,
		      const struct summary s[2], const double xv[2],
		      const double tv[2], const double *ratio, int i)
{
	char x[16], y[16], q[16] = "-";
	int ok = s[0].status == OK && s[1].status == OK;

	snprintf(x, sizeof(x), "%.1f", xv[i]);
	snprintf(y, sizeof(y), "%.1f", tv[i]);
	if (s[0].status != OK)
		snprintf(x, sizeof(x), "%s", s[0].status == STALL ? "stall" : "error");
	if (s[1].status != OK)
		snprintf(y, sizeof(y), "%s", s[1].status == STALL ? "stall" : "error");
	if (ok && ratio[i] > 0)
		snprintf(q, sizeof(q), "%.3f", ratio[i]);
	printf(ROW_FMT "\n", test, path, unit, x, y, q);
}

/* What a row's values are: one run's, or a statistic of all of them. */
enum row_stat { ONE_RUN, MEDIAN, LEAST, GREATEST };

/*
 * A test's rows on a path: one for stream and crr, two for rr (its
 * latency too).  A statistic is appended to the unit: "Mbit/s:median".
 */
static void print_rows(const struct test *t, const struct path *p,
		       const struct summary s[2], enum row_stat stat)
{
	static const char *const units[][2] = {
		[STREAM] = { "Mbit/s" }, [RR] = { "trans/s", "lat-us" },
		[CRR] = { "trans/s" },
	};
	static const char *const suffix[] = {
		[ONE_RUN] = "", [MEDIAN] = ":median", [LEAST] = ":min",
		[GREATEST] = ":max",
	};
	const double *xv = s[0].med, *tv = s[1].med;
	double ratio[2];
	char unit[32];
	int i;

	for (i = 0; i < 2; i++)
		ratio[i] = s[1].med[i] > 0 ? s[0].med[i] / s[1].med[i] : 0;
	if (stat == LEAST) {
		xv = s[0].min;
		tv = s[1].min;
		memcpy(ratio, s[0].rmin, sizeof(ratio));
	} else if (stat == GREATEST) {
		xv = s[0].max;
		tv = s[1].max;
		memcpy(ratio, s[0].rmax, sizeof(ratio));
	}
	for (i = 0; i < 2 && units[t->kind][i]; i++) {
		snprintf(unit, sizeof(unit), "%s%s", units[t->kind][i],
			 suffix[stat]);
		print_row(t->name, p->name, unit, s, xv, tv, ratio, i);
	}
	fflush(stdout);
}

static void print_table_header(void)
{
	printf(ROW_FMT "\n", "test", "path", "unit", "xtcp", "tcp", "xtcp/tcp");
}

/* After every row's runs: each row's median, and the least and greatest of
 * its runs, in the rows' own columns.
 */
static void print_summary(const struct opts *o,
			  struct summary (*sums)[MAX_TESTS][2])
{
	int i, j, k;

	printf("# summary of %d runs per row, XTCP and TCP by turns: the median, then\n"
	       "# the least and the greatest run (xtcp/tcp: of the runs' pairs)\n",
	       o->runs);
	print_table_header();
	for (i = 0; i < o->npaths; i++)
		for (j = 0; j < o->ntests; j++)
			for (k = MEDIAN; k <= GREATEST; k++)
				print_rows(&o->tests[j], &o->paths[i], sums[i][j],
					   k);
}

static void print_header(const struct opts *o, int argc, char **argv)
{
	struct utsname u;
	int i;

	uname(&u);
	printf("# xtcp-bench: kernel %s\n# command:", u.release);
	for (i = 0; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\n# %d s per phase, socket timeouts %d s, AF_XTCP=%d\n",
	       o->secs, o->timeout, o->xtcp_family);
	if (o->runs > 1)
		printf("# %d runs per row, XTCP and TCP by turns: a row per run, then a summary\n",
		       o->runs);
	for (i = 0; i < o->npaths; i++)
		printf("# path %s: %s, server netns %s, client netns %s\n",
		       o->paths[i].name, o->paths[i].addr_str,
		       o->paths[i].remote ? "@remote (xtcp-bench --serve there)" :
		       *o->paths[i].server_ns ? o->paths[i].server_ns : "-",
		       *o->paths[i].client_ns ? o->paths[i].client_ns : "-");
	print_table_header();
	fflush(stdout);
}

/* ---- --serve: the far end of a remote path ---- */

struct serve_conn {
	int fd;
	enum kind kind;
};

/* One connection: stream read to EOF; rr each byte echoed; crr one byte
 * echoed, then closed from this side, as crr_server() does.
 */
static void *serve_conn(void *arg)
{
	struct serve_conn *c = arg;
	char *buf = malloc(STREAM_WRITE), b;

	if (c->kind == STREAM) {
		while (buf && recv(c->fd, buf, STREAM_WRITE, 0) > 0)
			;
	} else {
		while (recv(c->fd, &b, 1, 0) == 1 &&
		       send(c->fd, &b, 1, MSG_NOSIGNAL) == 1 && c->kind == RR)
			;
	}
	close(c->fd);
	free(buf);
	free(c);
	return NULL;
}

static void *serve_accept(void *arg)
{
	struct serve_conn *l = arg, *c;
	pthread_attr_t attr;
	pthread_t tid;
	int fd;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (;;) {
		fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			sleep_ms(errno == EINTR || errno == ECONNABORTED ? 0 : 10);
			continue;
		}
		/* A client gone without a close frees its thread in time. */
		set_timeouts(fd, 60);
		c = malloc(sizeof(*c));
		if (c) {
			c->fd = fd;
			c->kind = l->kind;
		}
		if (!c || pthread_create(&tid, &attr, serve_conn, c)) {
			free(c);
			close(fd);
		}
	}
	return NULL;
}

/* Listens for every test, XTCP's and TCP's, then serves until killed. */
static int serve(const struct opts *o)
{
	static struct serve_conn ls[2][3];
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fam, k, one = 1;
	pthread_t tid;

	for (fam = 0; fam < 2; fam++) {
		for (k = STREAM; k <= CRR; k++) {
			struct serve_conn *l = &ls[fam][k];

			l->kind = k;
			l->fd = socket(fam ? AF_INET : o->xtcp_family,
				       SOCK_STREAM | SOCK_CLOEXEC, 0);
			sin.sin_port = htons(o->port + k);
			if (l->fd < 0 ||
			    setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one,
				       sizeof(one)) ||
			    bind(l->fd, (struct sockaddr *)&sin, sizeof(sin)) ||
			    listen(l->fd, 128) ||
			    pthread_create(&tid, NULL, serve_accept, l)) {
				fprintf(stderr, "xtcp-bench: --serve on port %d: %s\n",
					o->port + k, strerror(errno));
				return 1;
			}
		}
	}
	printf("xtcp-bench: serving stream, rr, crr on ports %d-%d, XTCP and TCP\n",
	       o->port, o->port + CRR);
	fflush(stdout);
	for (;;)
		pause();
}

/* ---- command line ---- */

static void usage_exit(void)
{
	fputs("usage: xtcp-bench [OPTIONS]\n"
	      "  -t, --time S          seconds per phase (default 3)\n"
	      "  -n, --runs N          runs of each test on each path, XTCP and TCP by\n"
	      "                        turns, a row each, then a summary: median, min, max (1)\n"
	      "  -T, --tests LIST      of stream,rr,crr (default all three)\n"
	      "  -P, --streams LIST    parallel streams, a stream-N row each (default 1)\n"
	      "  -p, --path SPEC       NAME:ADDR[:SERVER_NETNS[:CLIENT_NETNS]], repeatable\n"
	      "                        (default loopback:127.0.0.1); ip-netns names, or\n"
	      "                        SERVER_NETNS @remote: ADDR runs xtcp-bench --serve\n"
	      "      --serve           answer a remote path's tests on --port and the two\n"
	      "                        ports after it, XTCP and TCP, until killed\n"
	      "  -w, --timeout S       socket timeouts; a call waiting longer is a stall\n"
	      "                        (default 4)\n"
	      "      --port N          first server port; each phase takes the next (5201)\n"
	      "      --xtcp-family N   AF_XTCP when xtcp.ko was loaded with family=N (22)\n",
	      stderr);
	exit(2);
}

static void die(const char *msg, const char *arg)
{
	fprintf(stderr, "xtcp-bench: %s '%s'\n", msg, arg);
	exit(2);
}

static int parse_int(const char *s, int min, int max)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < min || v > max)
		die("bad number", s);
	return (int)v;
}

static void copy_field(char *dst, size_t len, const char *src, const char *spec)
{
	if ((size_t)snprintf(dst, len, "%s", src) >= len)
		die("name too long in", spec);
}

static void parse_path(struct opts *o, const char *spec)
{
	char buf[256], *f[4] = { NULL }, *save = NULL, *s;
	struct path *p;
	int n = 0;

	if (o->npaths == MAX_PATHS)
		die("too many paths at", spec);
	copy_field(buf, sizeof(buf), spec, spec);
	p = &o->paths[o->npaths++];
	memset(p, 0, sizeof(*p));
	for (s = strtok_r(buf, ":", &save); s && n < 4;
	     s = strtok_r(NULL, ":", &save))
		f[n++] = s;
	if (n < 2 || s || inet_pton(AF_INET, f[1], &p->addr) != 1)
		die("bad --path", spec);
	copy_field(p->name, sizeof(p->name), f[0], spec);
	copy_field(p->addr_str, sizeof(p->addr_str), f[1], spec);
	if (f[2] && !strcmp(f[2], "@remote"))
		p->remote = 1;
	else if (f[2])
		copy_field(p->server_ns, sizeof(p->server_ns), f[2], spec);
	if (f[3])
		copy_field(p->client_ns, sizeof(p->client_ns), f[3], spec);
}

static void add_test(struct opts *o, enum kind k, int streams)
{
	static const char *const names[] = { "stream", "rr", "crr" };
	struct test *t;

	if (o->ntests == MAX_TESTS)
		die("too many tests at", names[k]);
	t = &o->tests[o->ntests++];
	t->kind = k;
	t->streams = streams;
	if (k == STREAM)
		snprintf(t->name, sizeof(t->name), "stream-%d", streams);
	else
		snprintf(t->name, sizeof(t->name), "%s", names[k]);
}

/* Tests in the order given; each stream count makes one stream test. */
static void make_tests(struct opts *o, const char *tests, const char *streams)
{
	char tb[128], sb[128], *t, *s, *st, *ss;

	copy_field(tb, sizeof(tb), tests, tests);
	for (t = strtok_r(tb, ",", &st); t; t = strtok_r(NULL, ",", &st)) {
		if (!strcmp(t, "rr")) {
			add_test(o, RR, 1);
		} else if (!strcmp(t, "crr")) {
			add_test(o, CRR, 1);
		} else if (!strcmp(t, "stream")) {
			copy_field(sb, sizeof(sb), streams, streams);
			for (s = strtok_r(sb, ",", &ss); s;
			     s = strtok_r(NULL, ",", &ss))
				add_test(o, STREAM, parse_int(s, 1, MAX_STREAMS));
		} else {
			die("unknown test", t);
		}
	}
	if (!o->ntests)
		die("no tests in", tests);
}

static void parse_opts(struct opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "time", required_argument, NULL, 't' },
		{ "runs", required_argument, NULL, 'n' },
		{ "tests", required_argument, NULL, 'T' },
		{ "streams", required_argument, NULL, 'P' },
		{ "path", required_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 'w' },
		{ "port", required_argument, NULL, 'o' },
		{ "xtcp-family", required_argument, NULL, 'f' },
		{ "serve", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *tests = "stream,rr,crr", *streams = "1";
	int c;

	*o = (struct opts){ .secs = 3, .runs = 1, .timeout = 4, .port = 5201,
			    .xtcp_family = AF_XTCP };
	while ((c = getopt_long(argc, argv, "t:n:T:P:p:w:h", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			o->secs = parse_int(optarg, 1, 3600);
			break;
		case 'n':
			o->runs = parse_int(optarg, 1, MAX_RUNS);
			break;
		case 'T':
			tests = optarg;
			break;
		case 'P':
			streams = optarg;
			break;
		case 'p':
			parse_path(o, optarg);
			break;
		case 'w':
			o->timeout = parse_int(optarg, 1, 3600);
			break;
		case 'o':
			o->port = parse_int(optarg, 1, 65535 - 256);
			break;
		case 'f':
			o->xtcp_family = parse_int(optarg, 1, 45);
			break;
		case 'S':
			o->serve = 1;
			break;
		default:
			usage_exit();
		}
	}
	if (optind != argc)
		usage_exit();
	if (!o->npaths)
		parse_path(o, "loopback:127.0.0.1");
	make_tests(o, tests, streams);
	/* Each phase takes the next port. */
	if (o->port + 2L * o->runs * o->npaths * o->ntests > 65536)
		die("too many phases for the ports from", "--port");
}

/* Refuses to start without XTCP, or without a namespace a path names. */
static void check_setup(const struct opts *o)
{
	char file[sizeof("/run/netns/") + NS_NAME_MAX];
	int fd, i, j;

	fd = socket(o->xtcp_family, SOCK_STREAM, 0);
	if (fd < 0) {
		fprintf(stderr,
			"xtcp-bench: socket(AF_XTCP=%d, SOCK_STREAM, 0): %s: is xtcp.ko loaded?\n",
			o->xtcp_family, strerror(errno));
		exit(1);
	}
	close(fd);
	for (i = 0; i < o->npaths; i++) {
		const char *ns[2] = { o->paths[i].server_ns, o->paths[i].client_ns };

		for (j = 0; j < 2; j++) {
			snprintf(file, sizeof(file), "/run/netns/%s", ns[j]);
			if (*ns[j] && access(file, R_OK))
				die("no network namespace", ns[j]);
		}
	}
}

int main(int argc, char **argv)
{
	static struct summary sums[MAX_PATHS][MAX_TESTS][2];
	struct result xr[MAX_RUNS], tr[MAX_RUNS];
	struct summary one[2], *s;
	struct opts o;
	int i, j, k, port, bad = 0;

	parse_opts(&o, argc, argv);
	check_setup(&o);
	if (o.serve)
		return serve(&o);
	print_header(&o, argc, argv);
	port = o.port;
	for (i = 0; i < o.npaths; i++) {
		for (j = 0; j < o.ntests; j++) {
			const struct path *p = &o.paths[i];
			const struct test *t = &o.tests[j];

			for (k = 0; k < o.runs; k++) {
				xr[k] = run_phase(&o, p, t, 1, port++);
				tr[k] = run_phase(&o, p, t, 0, port++);
				summarize(&xr[k], 1, &one[0]);
				summarize(&tr[k], 1, &one[1]);
				print_rows(t, p, one, ONE_RUN);
			}
			s = sums[i][j];
			summarize(xr, o.runs, &s[0]);
			summarize(tr, o.runs, &s[1]);
			ratio_range(xr, tr, o.runs, &s[0]);
			bad |= s[0].status != OK || s[1].status != OK;
		}
	}
	if (o.runs > 1)
		print_summary(&o, sums);
	return bad ? 3 : 0;
}
