/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers shared by XTCP's selftests: loading the module, reading
 * its counters and the kernel log.  Paths come from the environment the
 * runner sets: XTCP_KO (default module/xtcp.ko) and XTCP_SQUATTER_KO.
 */
#ifndef XTCP_UTIL_H
#define XTCP_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/xtcp.h>

static inline const char *xtcp_ko_path(void)
{
	const char *p = getenv("XTCP_KO");

	return p ? p : "module/xtcp.ko";
}

static inline const char *xtcp_squatter_ko_path(void)
{
	const char *p = getenv("XTCP_SQUATTER_KO");

	return p ? p : "build/squatter/xtcp_squatter.ko";
}

/* insmod: 0 or -errno from finit_module(2). */
static inline int xtcp_insmod(const char *path, const char *params)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params ? params : "", 0);
	ret = ret ? -errno : 0;
	close(fd);
	return ret;
}

/* rmmod without waiting: 0 or -errno from delete_module(2). */
static inline int xtcp_rmmod(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

static inline int xtcp_module_loaded(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return access(path, F_OK) == 0;
}

/* Loads xtcp.ko with default parameters unless it is already there. */
static inline int xtcp_ensure_loaded(void)
{
	int ret;

	if (xtcp_module_loaded("xtcp"))
		return 0;
	ret = xtcp_insmod(xtcp_ko_path(), NULL);
	return ret == -EEXIST ? 0 : ret;
}

/* One counter from /proc/net/xtcp_stat, or -1 when absent. */
static inline long xtcp_stat(const char *name)
{
	FILE *f = fopen("/proc/net/xtcp_stat", "re");
	char key[64];
	long val, ret = -1;

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", key, &val) == 2) {
		if (!strcmp(key, name)) {
			ret = val;
			break;
		}
	}
	fclose(f);
	return ret;
}

/* Counters move in softirq context: polls up to a second for @want. */
static inline long xtcp_wait_stat(const char *name, long want)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	long v = -1;
	int i;

	for (i = 0; i < 100; i++) {
		v = xtcp_stat(name);
		if (v >= want)
			break;
		nanosleep(&ts, NULL);
	}
	return v;
}

/*
 * The kernel log from a mark on: xtcp_kmsg_open() positions at the end,
 * xtcp_kmsg_find() reads what came after and looks for a substring.
 */
static inline int xtcp_kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

static inline int xtcp_kmsg_find(int fd, const char *needle)
{
	char rec[1024];
	ssize_t n;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)	/* overwritten records */
			continue;
		if (n <= 0)
			return 0;
		rec[n] = '\0';
		if (strstr(rec, needle))
			return 1;
	}
}

/* Moves the caller into a new network namespace with loopback up. */
static inline int xtcp_netns_with_lo(void)
{
	struct ifreq ifr = { .ifr_name = "lo", .ifr_flags = IFF_UP };
	int fd, ret;

	if (unshare(CLONE_NEWNET))
		return -errno;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -errno;
	ret = ioctl(fd, SIOCSIFFLAGS, &ifr) ? -errno : 0;
	close(fd);
	return ret;
}

/*
 * The test byte stream: byte @off of stream @seed is a function of the
 * two alone, so a sender fills and a receiver checks any chunk wherever
 * it lands in the stream (splitmix64's finaliser over 8-byte blocks).
 */
static inline uint64_t xtcp_mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static inline void xtcp_pattern(unsigned char *p, size_t n, uint64_t seed,
				uint64_t off)
{
	uint64_t key = seed << 40;

	while (n) {
		uint64_t w = xtcp_mix64(key + (off >> 3));
		unsigned int k = off & 7, i, m = 8 - k;

		if (m > n)
			m = n;
		for (i = 0; i < m; i++)
			p[i] = w >> (8 * (k + i));
		p += m;
		off += m;
		n -= m;
	}
}

/* -1 when @p holds stream @seed's bytes from @off on, else the index of
 * the first byte that differs.
 */
static inline long xtcp_pattern_check(const unsigned char *p, size_t n,
				      uint64_t seed, uint64_t off)
{
	unsigned char want[4096];
	size_t done = 0, m, i;

	while (done < n) {
		m = n - done < sizeof(want) ? n - done : sizeof(want);
		xtcp_pattern(want, m, seed, off + done);
		if (memcmp(want, p + done, m)) {
			for (i = 0; want[i] == p[done + i]; i++)
				;
			return done + i;
		}
		done += m;
	}
	return -1;
}

/* FNV-1a, 64 bits, over a stream that arrives in pieces. */
#define XTCP_FNV_INIT	0xcbf29ce484222325ULL

static inline uint64_t xtcp_fnv(uint64_t h, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/*
 * XTCP_TIMEOUT_SCALE (scripts/check-debug sets it: the debug kernel runs
 * several times slower), at least 1: for time bounds that guard against a
 * hang or cut a run short, never for bounds on protocol timing.
 */
static inline int xtcp_timeout_scale(void)
{
	const char *env = getenv("XTCP_TIMEOUT_SCALE");
	int scale = env ? atoi(env) : 1;

	return scale > 1 ? scale : 1;
}

/* Knobs, by path or by name (peer.c): 0 or -errno when written. */
int write_file(const char *path, const char *text);
int write_knob(const char *path, long value);
/* /proc/sys/net/xtcp/<name>; get gives LONG_MIN with errno set on error. */
int xtcp_sysctl_set(const char *name, long value);
long xtcp_sysctl_get(const char *name);

/*
 * Active objects of slab cache @name in /proc/slabinfo, or -1.  The cache
 * is shrunk first (best effort): under KASAN a freed object waits in its
 * quarantine and still counts as active until a shrink (or the
 * quarantine's turnover) releases it.
 */
static inline long xtcp_slab_active(const char *name)
{
	char path[128], line[512], cache[64];
	long active = -1, n;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", name);
	write_file(path, "1");
	f = fopen("/proc/slabinfo", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %ld", cache, &n) == 2 &&
		    !strcmp(cache, name)) {
			active = n;
			break;
		}
	fclose(f);
	return active;
}

/*
 * XTCP_TIMEOUT_SCALE=N multiplies every case's time limit (the harness's
 * 30 s default and each TEST_F_TIMEOUT) by N: scripts/check-debug sets it,
 * because its kernel (KASAN, lockdep, debug objects) runs several times
 * slower under TCG than Debian's.  Only the harness's limit, which guards
 * against a hang, is scaled: a test's own bounds on protocol timing are not.
 */
#ifdef TEST_HARNESS_MAIN
static inline void xtcp_scale_timeouts(void)
{
	int scale = xtcp_timeout_scale();
	struct __fixture_metadata *f;
	struct __test_metadata *t;

	if (scale == 1)
		return;
	for (f = __fixture_list; f; f = f->next)
		for (t = f->tests; t; t = t->next)
			t->timeout *= scale;
}

#undef TEST_HARNESS_MAIN
#define TEST_HARNESS_MAIN \
	int main(int argc, char **argv) \
	{ \
		xtcp_scale_timeouts(); \
		return test_harness_run(argc, argv); \
	}
#endif

#endif /* XTCP_UTIL_H */
