// SPDX-License-Identifier: GPL-2.0
/*
 * libxtcp-preload.so: what tools/xtcp-run preloads into an unmodified
 * program so that its TCP sockets are XTCP sockets, as smc_run does for
 * AF_SMC.  XTCP takes struct sockaddr_in and TCP's socket options, so
 * changing the family at socket() is all an IPv4 TCP program needs; every
 * other socket (UDP, Unix, raw, netlink, socketpair) is left alone.
 *
 * XTCP has no IPv6.  An AF_INET6 TCP socket stays TCP, with one line on
 * stderr, unless XTCP_RUN_V4ONLY=1: then it is an XTCP socket too, and the
 * calls that take or return an address translate between sockaddr_in6
 * (:: or ::ffff:a.b.c.d) and sockaddr_in for it.  A real IPv6 address
 * fails with EAFNOSUPPORT.
 *
 * Environment: XTCP_RUN_VERBOSE=1 logs each conversion to stderr;
 * XTCP_RUN_V4ONLY=1 as above.  The family is the loaded module's (its
 * "family" parameter), AF_XTCP when that cannot be read.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/xtcp.h>

#define PREFIX		"xtcp-run: "
#define MAX_V6_FDS	65536	/* fds above this stay TCP under V4ONLY */

/* Which fds are XTCP sockets the program made as AF_INET6. */
static unsigned long v6_fds[MAX_V6_FDS / (8 * sizeof(long))];

/* One warning per process for each of these. */
static int warned_no_xtcp, warned_v6_tcp, warned_v6_addr;

/* The C library's NAME, the one this library stands in front of. */
#define REAL(name) ({						\
	static __typeof__(name) *next;				\
	if (!next)						\
		next = (__typeof__(name) *)dlsym(RTLD_NEXT, #name);	\
	next;							\
})

static void say(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int len, saved = errno;

	memcpy(buf, PREFIX, sizeof(PREFIX) - 1);
	va_start(ap, fmt);
	len = vsnprintf(buf + sizeof(PREFIX) - 1,
			sizeof(buf) - sizeof(PREFIX), fmt, ap);
	va_end(ap);
	if (len > 0) {
		len += sizeof(PREFIX) - 1;
		if (len > (int)sizeof(buf) - 2)
			len = sizeof(buf) - 2;
		buf[len++] = '\n';
		/* a program with no stderr left has nowhere to hear it */
		len = write(STDERR_FILENO, buf, len);
	}
	errno = saved;
}

static bool first_time(int *flag)
{
	return !__atomic_exchange_n(flag, 1, __ATOMIC_RELAXED);
}

static bool env_on(const char *name)
{
	const char *v = getenv(name);

	return v && *v && strcmp(v, "0") != 0;
}

/* The module may have been loaded with family=N: ask it. */
static int xtcp_family(void)
{
	static int family;
	FILE *f;
	int n;

	if (family)
		return family;
	n = AF_XTCP;
	f = fopen("/sys/module/xtcp/parameters/family", "re");
	if (f) {
		if (fscanf(f, "%d", &n) != 1 || n <= 0)
			n = AF_XTCP;
		fclose(f);
	}
	family = n;
	return n;
}

static bool v6_fd(int fd)
{
	const int bits = 8 * sizeof(long);

	if (fd < 0 || fd >= MAX_V6_FDS)
		return false;
	return __atomic_load_n(&v6_fds[fd / bits], __ATOMIC_RELAXED) &
	       (1UL << (fd % bits));
}

static void mark_v6_fd(int fd, bool v6)
{
	const int bits = 8 * sizeof(long);
	unsigned long bit;

	if (fd < 0 || fd >= MAX_V6_FDS)
		return;
	bit = 1UL << (fd % bits);
	if (v6)
		__atomic_fetch_or(&v6_fds[fd / bits], bit, __ATOMIC_RELAXED);
	else
		__atomic_fetch_and(&v6_fds[fd / bits], ~bit, __ATOMIC_RELAXED);
}

static bool is_tcp(int type, int protocol)
{
	return (type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) == SOCK_STREAM &&
	       (protocol == 0 || protocol == IPPROTO_TCP);
}

/* An XTCP socket in place of the TCP one asked for, or -1 (errno set). */
static int xtcp_socket(int domain, int type, int protocol)
{
	int fd;

	fd = REAL(socket)(xtcp_family(), type, 0);
	if (fd >= 0) {
		if (env_on("XTCP_RUN_VERBOSE"))
			say("socket(%s, SOCK_STREAM, %d): XTCP socket, fd %d",
			    domain == AF_INET ? "AF_INET" : "AF_INET6",
			    protocol, fd);
		return fd;
	}
	if ((errno == EAFNOSUPPORT || errno == EPROTONOSUPPORT) &&
	    first_time(&warned_no_xtcp))
		say("cannot make XTCP sockets (%s: is xtcp.ko loaded?): using TCP",
		    strerror(errno));
	return -1;
}

int socket(int domain, int type, int protocol)
{
	bool v4only = env_on("XTCP_RUN_V4ONLY");
	int fd;

	if (is_tcp(type, protocol) &&
	    (domain == AF_INET || (domain == AF_INET6 && v4only))) {
		fd = xtcp_socket(domain, type, protocol);
		if (fd >= MAX_V6_FDS && domain == AF_INET6) {
			close(fd);	/* cannot track it: TCP below */
		} else if (fd >= 0) {
			mark_v6_fd(fd, domain == AF_INET6);
			return fd;
		}
	} else if (domain == AF_INET6 && is_tcp(type, protocol) &&
		   first_time(&warned_v6_tcp)) {
		say("IPv6 TCP stays TCP: XTCP has no IPv6 (see XTCP_RUN_V4ONLY)");
	}
	fd = REAL(socket)(domain, type, protocol);
	mark_v6_fd(fd, false);
	return fd;
}

/*
 * The sockaddr_in for an IPv6 address an XTCP socket was given: :: is
 * INADDR_ANY, ::ffff:a.b.c.d is a.b.c.d; anything else is EAFNOSUPPORT.
 */
static int addr_to_v4(const struct sockaddr *addr, socklen_t len,
		      struct sockaddr_in *sin)
{
	const struct sockaddr_in6 *sin6 = (const void *)addr;
	char text[64];

	if (!addr || len < sizeof(*sin6) || addr->sa_family != AF_INET6) {
		errno = EINVAL;
		return -1;
	}
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = sin6->sin6_port;
	if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		memcpy(&sin->sin_addr, &sin6->sin6_addr.s6_addr[12], 4);
		return 0;
	}
	if (IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr))
		return 0;	/* INADDR_ANY */
	if (first_time(&warned_v6_addr) &&
	    inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof(text)))
		say("%s is not an IPv4 address and XTCP has no IPv6: EAFNOSUPPORT",
		    text);
	errno = EAFNOSUPPORT;
	return -1;
}

/* The sockaddr_in6 a program that made an AF_INET6 socket expects back. */
static void addr_to_v6(const struct sockaddr_in *sin, struct sockaddr *addr,
		       socklen_t *len)
{
	struct sockaddr_in6 sin6 = {
		.sin6_family = AF_INET6,
		.sin6_port = sin->sin_port,
	};

	if (sin->sin_addr.s_addr != htonl(INADDR_ANY)) {
		sin6.sin6_addr.s6_addr[10] = 0xff;
		sin6.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&sin6.sin6_addr.s6_addr[12], &sin->sin_addr, 4);
	}
	if (addr && len)
		memcpy(addr, &sin6, *len < sizeof(sin6) ? *len : sizeof(sin6));
	if (len)
		*len = sizeof(sin6);
}

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct sockaddr_in sin;

	if (!v6_fd(fd) || !addr || addr->sa_family != AF_INET6)
		return REAL(bind)(fd, addr, len);
	if (addr_to_v4(addr, len, &sin))
		return -1;
	return REAL(bind)(fd, (struct sockaddr *)&sin, sizeof(sin));
}

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct sockaddr_in sin;

	if (!v6_fd(fd) || !addr || addr->sa_family != AF_INET6)
		return REAL(connect)(fd, addr, len);
	if (addr_to_v4(addr, len, &sin))
		return -1;
	return REAL(connect)(fd, (struct sockaddr *)&sin, sizeof(sin));
}

/* getsockname() and getpeername() of an AF_INET6 XTCP socket. */
static int name_v6(int (*call)(int, struct sockaddr *, socklen_t *),
		   int fd, struct sockaddr *addr, socklen_t *len)
{
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);

	if (!v6_fd(fd) || !len)
		return call(fd, addr, len);
	if (call(fd, (struct sockaddr *)&sin, &slen))
		return -1;
	addr_to_v6(&sin, addr, len);
	return 0;
}

int getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	return name_v6(REAL(getsockname), fd, addr, len);
}

int getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	return name_v6(REAL(getpeername), fd, addr, len);
}

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	int nfd;

	if (!v6_fd(fd)) {
		nfd = REAL(accept4)(fd, addr, len, flags);
		mark_v6_fd(nfd, false);
		return nfd;
	}
	nfd = REAL(accept4)(fd, (struct sockaddr *)&sin, &slen, flags);
	if (nfd < 0)
		return nfd;
	mark_v6_fd(nfd, true);
	if (addr)
		addr_to_v6(&sin, addr, len);
	return nfd;
}

int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	return accept4(fd, addr, len, 0);
}

/*
 * IPv6-level options on an AF_INET6 XTCP socket: IPV6_V6ONLY is taken and
 * ignored (the socket takes IPv4 addresses whatever it says); IPV6_TCLASS
 * is IP_TOS.  The rest go to the kernel, which refuses them.
 */
int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	if (v6_fd(fd) && level == IPPROTO_IPV6) {
		if (name == IPV6_V6ONLY)
			return 0;
		if (name == IPV6_TCLASS)
			return REAL(setsockopt)(fd, IPPROTO_IP, IP_TOS, val, len);
	}
	return REAL(setsockopt)(fd, level, name, val, len);
}

int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	int v6 = v6_fd(fd);

	if (v6 && level == IPPROTO_IPV6 && name == IPV6_V6ONLY &&
	    val && len && *len >= sizeof(int)) {
		*(int *)val = 0;
		*len = sizeof(int);
		return 0;
	}
	if (v6 && level == IPPROTO_IPV6 && name == IPV6_TCLASS)
		return REAL(getsockopt)(fd, IPPROTO_IP, IP_TOS, val, len);
	if (REAL(getsockopt)(fd, level, name, val, len))
		return -1;
	if (v6 && level == SOL_SOCKET && name == SO_DOMAIN &&
	    val && len && *len >= sizeof(int))
		*(int *)val = AF_INET6;
	return 0;
}

/* An fd number reused after close() or dup2() must not look converted. */
int close(int fd)
{
	mark_v6_fd(fd, false);
	return REAL(close)(fd);
}

int dup(int fd)
{
	int nfd = REAL(dup)(fd);

	mark_v6_fd(nfd, v6_fd(fd));
	return nfd;
}

int dup2(int fd, int nfd)
{
	int r = REAL(dup2)(fd, nfd);

	if (r >= 0 && r != fd)
		mark_v6_fd(r, v6_fd(fd));
	return r;
}

int dup3(int fd, int nfd, int flags)
{
	int r = REAL(dup3)(fd, nfd, flags);

	if (r >= 0)
		mark_v6_fd(r, v6_fd(fd));
	return r;
}
