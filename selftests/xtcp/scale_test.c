// SPDX-License-Identifier: GPL-2.0
/*
 * Many connections at once over loopback, in a fresh namespace: every one
 * is established, the tables hold them all, and after closing nothing is
 * left behind in /proc/net/xtcp.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include "kselftest_harness.h"
#include "xtcp_util.h"

#define BASE_PORT	6000

static int listen_on(unsigned short port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int fd = socket(AF_XTCP, SOCK_STREAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(fd, 4096))
		return -1;
	return fd;
}

/* Lines of /proc/net/xtcp, the header not counted. */
static long proc_lines(void)
{
	FILE *f = fopen("/proc/net/xtcp", "re");
	long n = -1;
	int c;

	if (!f)
		return -1;
	while ((c = fgetc(f)) != EOF)
		if (c == '\n')
			n++;
	fclose(f);
	return n;
}

static long wait_proc_lines(long want, int ms)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	long n = -1;

	for (; ms > 0; ms -= 20) {
		n = proc_lines();
		if (n == want)
			break;
		nanosleep(&ts, NULL);
	}
	return n;
}

FIXTURE(many) {
	int *client;
	int *server;
	int lfd[4];
	int nlisten;
};

FIXTURE_SETUP(many)
{
	struct rlimit rl = { 300000, 300000 };

	ASSERT_EQ(0, xtcp_ensure_loaded());
	ASSERT_EQ(0, xtcp_netns_with_lo());
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	ASSERT_EQ(0, write_file("/proc/sys/net/ipv4/ip_local_port_range",
				"1024 65000"));
	ASSERT_EQ(0, write_file("/proc/sys/net/xtcp/msl_ms", "200"));
	self->client = NULL;
	self->server = NULL;
	self->nlisten = 0;
}

FIXTURE_TEARDOWN(many)
{
	free(self->client);
	free(self->server);
}

/*
 * Opens @n connections spread over @ports listeners, accepting each as it
 * completes, so that both ends of every connection are in the table.
 */
static int open_many(FIXTURE_DATA(many) *self, int n, int ports)
{
	int i;

	self->client = calloc(n, sizeof(int));
	self->server = calloc(n, sizeof(int));
	if (!self->client || !self->server)
		return -ENOMEM;
	for (i = 0; i < ports; i++) {
		self->lfd[i] = listen_on(BASE_PORT + i);
		if (self->lfd[i] < 0)
			return -errno;
		self->nlisten++;
	}
	for (i = 0; i < n; i++) {
		struct sockaddr_in sin = {
			.sin_family = AF_INET,
			.sin_port = htons(BASE_PORT + i % ports),
			.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
		};

		self->client[i] = socket(AF_XTCP, SOCK_STREAM, 0);
		if (self->client[i] < 0 ||
		    connect(self->client[i], (struct sockaddr *)&sin, sizeof(sin)))
			return -errno;
		self->server[i] = accept(self->lfd[i % ports], NULL, NULL);
		if (self->server[i] < 0)
			return -errno;
	}
	return 0;
}

static void close_all(FIXTURE_DATA(many) *self, int n, bool abort_clients)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int i;

	for (i = 0; i < n; i++) {
		if (abort_clients)
			setsockopt(self->client[i], SOL_SOCKET, SO_LINGER,
				   &lg, sizeof(lg));
		close(self->client[i]);
	}
	for (i = 0; i < n; i++)
		close(self->server[i]);
	for (i = 0; i < self->nlisten; i++)
		close(self->lfd[i]);
}

TEST_F_TIMEOUT(many, ten_thousand_connections_open_and_close_leaving_nothing, 180)
{
	const int n = 10000;

	ASSERT_EQ(0, open_many(self, n, 1));
	EXPECT_EQ(2 * n, xtcp_stat("CurrEstab"));
	EXPECT_EQ(2 * n + 1, proc_lines());

	/* Clients close first: they keep TIME_WAIT for 2*MSL, then nothing. */
	close_all(self, n, false);
	EXPECT_EQ(0, wait_proc_lines(0, 60000));
	EXPECT_EQ(0, xtcp_stat("CurrEstab"));
	EXPECT_EQ(0, xtcp_stat("CurrTimeWait"));
}

/* 50,000 connections with both ends in one namespace: 100,000 entries in
 * the four-tuple table at once.
 */
TEST_F_TIMEOUT(many, table_holds_one_hundred_thousand_entries, 300)
{
	const int n = 50000;
	struct timespec t0, t1;
	double secs;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(0, open_many(self, n, 2));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	TH_LOG("%d connections in %.1f s", n, secs);
	EXPECT_EQ(2 * n, xtcp_stat("CurrEstab"));
	EXPECT_EQ(2 * n + 2, proc_lines());

	close_all(self, n, true);
	EXPECT_EQ(0, wait_proc_lines(0, 60000));
	EXPECT_EQ(0, xtcp_stat("CurrEstab"));
}

TEST_HARNESS_MAIN
