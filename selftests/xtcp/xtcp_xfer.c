// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp_xfer: moves bytes over one XTCP connection and proves they arrived
 * intact, for the shell tests.
 *
 *   xtcp_xfer server PORT           accept one connection, read to EOF,
 *                                   answer with the byte count and hash
 *   xtcp_xfer client ADDR PORT N    send N pseudo-random bytes, half-close,
 *                                   exit 0 only if the server's count and
 *                                   hash match what was sent
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/xtcp.h>

struct tally {
	uint64_t bytes;
	uint64_t hash;		/* FNV-1a over every byte, in order */
};

static void tally_add(struct tally *t, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		t->hash ^= p[i];
		t->hash *= 0x100000001b3ULL;
	}
	t->bytes += n;
}

static void fill(unsigned char *p, size_t n, uint64_t *state)
{
	size_t i;

	for (i = 0; i < n; i++) {
		*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
		p[i] = *state >> 56;
	}
}

static int server(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct tally t = { 0, 0xcbf29ce484222325ULL };
	unsigned char buf[65536];
	char reply[64];
	int l, c, one = 1;
	ssize_t n;

	l = socket(AF_XTCP, SOCK_STREAM, 0);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(l, (struct sockaddr *)&sin, sizeof(sin)) || listen(l, 1)) {
		perror("server: listen");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	c = accept(l, NULL, NULL);
	if (c < 0) {
		perror("server: accept");
		return 1;
	}
	while ((n = recv(c, buf, sizeof(buf), 0)) > 0)
		tally_add(&t, buf, n);
	if (n < 0) {
		perror("server: recv");
		return 1;
	}
	n = snprintf(reply, sizeof(reply), "%" PRIu64 " %016" PRIx64 "\n",
		     t.bytes, t.hash);
	if (send(c, reply, n, 0) != n) {
		perror("server: send");
		return 1;
	}
	close(c);
	close(l);
	return 0;
}

static int client(const char *addr, int port, uint64_t total)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct tally t = { 0, 0xcbf29ce484222325ULL };
	unsigned char buf[65536];
	char reply[64] = "", want[64];
	uint64_t state = 42;
	size_t got = 0;
	ssize_t n;
	int c;

	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		return 2;
	c = socket(AF_XTCP, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&sin, sizeof(sin))) {
		perror("client: connect");
		return 1;
	}
	while (t.bytes < total) {
		size_t chunk = total - t.bytes < sizeof(buf) ?
			       total - t.bytes : sizeof(buf);

		fill(buf, chunk, &state);
		n = send(c, buf, chunk, 0);
		if (n < 0) {
			perror("client: send");
			return 1;
		}
		tally_add(&t, buf, n);
		if ((size_t)n < chunk)	/* resend the rest from the same state */
			state = 0, fprintf(stderr, "client: short send\n");
	}
	shutdown(c, SHUT_WR);
	while (got < sizeof(reply) - 1 &&
	       (n = recv(c, reply + got, sizeof(reply) - 1 - got, 0)) > 0)
		got += n;
	close(c);
	snprintf(want, sizeof(want), "%" PRIu64 " %016" PRIx64 "\n",
		 t.bytes, t.hash);
	if (strcmp(reply, want)) {
		fprintf(stderr, "client: sent %s", want);
		fprintf(stderr, "client: server got %s\n", reply);
		return 1;
	}
	printf("%s", reply);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "server"))
		return server(atoi(argv[2]));
	if (argc == 5 && !strcmp(argv[1], "client"))
		return client(argv[2], atoi(argv[3]), strtoull(argv[4], NULL, 0));
	fprintf(stderr, "usage: %s server PORT | client ADDR PORT BYTES\n",
		argv[0]);
	return 2;
}
