// SPDX-License-Identifier: GPL-2.0
/*
 * Segments from the wire: a raw IPv4 socket sends IPPROTO_XTCP packets to
 * 127.0.0.1, and /proc/net/xtcp_stat must show each one taken in, and each
 * malformed one dropped and counted.
 */
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "xtcp_util.h"
#include "peer.h"

/* The checksum the header needs (peer.c's, for the loopback addresses). */
static uint16_t xtcp_csum(const void *seg, size_t len)
{
	return xseg_csum(htonl(INADDR_LOOPBACK), htonl(INADDR_LOOPBACK), seg, len);
}

/* A SYN from 127.0.0.1:4000 to 127.0.0.1:5000 with a right checksum. */
static size_t build_syn(uint8_t *buf)
{
	struct xtcphdr *th = (struct xtcphdr *)buf;

	memset(buf, 0, XTCP_HDR_MIN_LEN);
	th->source = htons(4000);
	th->dest = htons(5000);
	th->seq = htonl(1000);
	th->doff = 5;
	th->syn = 1;
	th->window = htons(65535);
	th->check = xtcp_csum(buf, XTCP_HDR_MIN_LEN);
	return XTCP_HDR_MIN_LEN;
}

/* 0 when the whole segment went out; usable in a forked child too. */
static int send_raw(const void *seg, size_t len)
{
	struct sockaddr_in dst = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_XTCP);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = sendto(fd, seg, len, 0, (struct sockaddr *)&dst, sizeof(dst));
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

FIXTURE(wire) {
	long insegs, inerrs, csum, nosock;
	uint8_t seg[64];
};

FIXTURE_SETUP(wire)
{
	ASSERT_EQ(0, xtcp_ensure_loaded());
	self->insegs = xtcp_stat("InSegs");
	self->inerrs = xtcp_stat("InErrs");
	self->csum = xtcp_stat("InCsumErrors");
	self->nosock = xtcp_stat("NoSocket");
	ASSERT_LE(0, self->insegs);
	ASSERT_LE(0, self->inerrs);
	ASSERT_LE(0, self->csum);
	ASSERT_LE(0, self->nosock);
}

FIXTURE_TEARDOWN(wire)
{
}

/*
 * The SYN finds no socket and is answered with a RST; the RST comes back
 * over loopback to port 4000, finds no socket either, and is not answered:
 * two segments in, one out.
 */
TEST_F(wire, syn_to_a_port_without_socket_gets_one_rst_which_is_not_answered)
{
	size_t len = build_syn(self->seg);
	long rsts = xtcp_stat("OutRsts");

	ASSERT_EQ(0, send_raw(self->seg, len));
	EXPECT_EQ(self->nosock + 2, xtcp_wait_stat("NoSocket", self->nosock + 2));
	usleep(100 * 1000);
	EXPECT_EQ(self->nosock + 2, xtcp_stat("NoSocket"));
	EXPECT_EQ(self->insegs + 2, xtcp_stat("InSegs"));
	EXPECT_EQ(rsts + 1, xtcp_stat("OutRsts"));
	EXPECT_EQ(self->inerrs, xtcp_stat("InErrs"));
	EXPECT_EQ(self->csum, xtcp_stat("InCsumErrors"));
}

TEST_F(wire, bad_checksum_is_dropped_and_counted)
{
	size_t len = build_syn(self->seg);

	self->seg[16] ^= 0x01;
	ASSERT_EQ(0, send_raw(self->seg, len));
	EXPECT_EQ(self->csum + 1, xtcp_wait_stat("InCsumErrors", self->csum + 1));
	EXPECT_EQ(self->inerrs + 1, xtcp_stat("InErrs"));
	EXPECT_EQ(self->nosock, xtcp_stat("NoSocket"));
}

TEST_F(wire, segment_shorter_than_a_header_is_dropped_and_counted)
{
	build_syn(self->seg);
	ASSERT_EQ(0, send_raw(self->seg, 12));
	EXPECT_EQ(self->inerrs + 1, xtcp_wait_stat("InErrs", self->inerrs + 1));
	EXPECT_EQ(self->insegs + 1, xtcp_stat("InSegs"));
	EXPECT_EQ(self->nosock, xtcp_stat("NoSocket"));
}

TEST_F(wire, data_offset_below_five_words_is_dropped_and_counted)
{
	struct xtcphdr *th = (struct xtcphdr *)self->seg;
	size_t len = build_syn(self->seg);

	th->doff = 4;
	th->check = 0;
	th->check = xtcp_csum(self->seg, len);
	ASSERT_EQ(0, send_raw(self->seg, len));
	EXPECT_EQ(self->inerrs + 1, xtcp_wait_stat("InErrs", self->inerrs + 1));
	EXPECT_EQ(self->csum, xtcp_stat("InCsumErrors"));
	EXPECT_EQ(self->nosock, xtcp_stat("NoSocket"));
}

TEST_F(wire, data_offset_past_the_segment_is_dropped_and_counted)
{
	struct xtcphdr *th = (struct xtcphdr *)self->seg;
	size_t len = build_syn(self->seg);

	th->doff = 8;		/* 32 bytes of header in a 20-byte segment */
	th->check = 0;
	th->check = xtcp_csum(self->seg, len);
	ASSERT_EQ(0, send_raw(self->seg, len));
	EXPECT_EQ(self->inerrs + 1, xtcp_wait_stat("InErrs", self->inerrs + 1));
	EXPECT_EQ(self->nosock, xtcp_stat("NoSocket"));
}

/* An option whose length runs past the header makes the segment invalid. */
TEST_F(wire, option_running_past_the_header_is_dropped_and_counted)
{
	struct xtcphdr *th = (struct xtcphdr *)self->seg;
	uint8_t *opt = self->seg + XTCP_HDR_MIN_LEN;
	size_t len;

	build_syn(self->seg);
	th->doff = 6;				/* 4 bytes of options */
	opt[0] = XTCPOPT_NOP;
	opt[1] = XTCPOPT_MSS;			/* MSS needs 4 bytes, 3 are left */
	opt[2] = XTCPOLEN_MSS;
	opt[3] = 0x05;
	len = XTCP_HDR_MIN_LEN + 4;
	th->check = 0;
	th->check = xtcp_csum(self->seg, len);
	ASSERT_EQ(0, send_raw(self->seg, len));
	EXPECT_EQ(self->inerrs + 1, xtcp_wait_stat("InErrs", self->inerrs + 1));
	EXPECT_EQ(self->csum, xtcp_stat("InCsumErrors"));
	EXPECT_EQ(self->nosock, xtcp_stat("NoSocket"));
}

/* Counters belong to a namespace: a segment sent in a new one is counted
 * there and not in ours.
 */
TEST_F(wire, counters_are_per_network_namespace)
{
	size_t len = build_syn(self->seg);
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct ifreq ifr = { .ifr_name = "lo" };
		int fd;

		if (unshare(CLONE_NEWNET))
			_exit(10);
		if (xtcp_stat("NoSocket") != 0)
			_exit(11);
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		ifr.ifr_flags = IFF_UP;
		if (fd < 0 || ioctl(fd, SIOCSIFFLAGS, &ifr))
			_exit(12);
		close(fd);
		if (send_raw(self->seg, len))
			_exit(14);
		/* The SYN and the RST that answers it. */
		_exit(xtcp_wait_stat("NoSocket", 2) == 2 ? 0 : 13);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(self->nosock, xtcp_stat("NoSocket"));
}

TEST_HARNESS_MAIN
