// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp-demo: what `make demo` runs in the VM.  It opens an XTCP socket the
 * way any program would, and prints what the kernel says about it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <linux/xtcp.h>

static int sockopt(int fd, int name)
{
	int val = -1;
	socklen_t len = sizeof(val);

	getsockopt(fd, SOL_SOCKET, name, &val, &len);
	return val;
}

int main(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd;

	fd = socket(AF_XTCP, SOCK_STREAM, 0);
	if (fd < 0) {
		fprintf(stderr, "socket(AF_XTCP, SOCK_STREAM, 0): %s (is xtcp.ko loaded?)\n",
			strerror(errno));
		return 1;
	}
	printf("socket(AF_XTCP=%d, SOCK_STREAM, 0) = %d\n", AF_XTCP, fd);
	printf("  SO_DOMAIN   = %d (AF_INET: addresses are sockaddr_in)\n",
	       sockopt(fd, SO_DOMAIN));
	printf("  SO_PROTOCOL = %d (IPPROTO_XTCP)\n", sockopt(fd, SO_PROTOCOL));
	printf("  SO_TYPE     = %d (SOCK_STREAM)\n", sockopt(fd, SO_TYPE));
	if (!getsockname(fd, (struct sockaddr *)&sin, &len))
		printf("  getsockname = family %d, port %d\n", sin.sin_family,
		       ntohs(sin.sin_port));
	if (socket(AF_XTCP, SOCK_DGRAM, 0) < 0)
		printf("socket(AF_XTCP, SOCK_DGRAM, 0): %s, as expected\n",
		       strerror(errno));
	printf("close(%d) = %d\n", fd, close(fd));
	return 0;
}
