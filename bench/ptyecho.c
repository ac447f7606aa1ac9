/* SPDX-License-Identifier: MIT */
/* \summary: bench: the raw pty round trip, the ceiling of harness <-> emulator */
/* posix_openpt, grantpt, unlockpt and ptsname are XSI: the Makefile's
 * _POSIX_C_SOURCE alone does not declare them (as in emulator/main.c). */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "atproof/cursor.h"

/*
 * The reference of the harness's exchange rate (issue 4, DESIGN.md "Facts
 * that shape the code": 110-140 us a round trip): a child on the master side
 * of a pty answers 7 bytes ("+OK\r\n\r\n") for every 4 it reads ("AT+\r"),
 * as the emulator does, and the parent on the slave side, as the harness
 * does, times N write-then-read-all round trips. No parsing, no framing, no
 * poll loop: nothing between the two but the kernel's tty layer.
 *
 * usage: ptyecho [N [W]]   W windows (default 1) of N round trips each;
 *                         prints "pty_roundtrip_us <mean of the best window>",
 *                         "pty_exchanges_per_s <rate of the best window>" and
 *                         "pty_exchanges_per_s_median <median window rate>"
 *
 * The harness row of the bench sheet times the harness in windows of the
 * same size (a scenario's case of N exchanges, repeated W times), so that the
 * two rates it compares are of equally long stretches of the same machine.
 */

#define WINDOWS_MAX 1000

#define REQ "AT+\r"
#define RSP "+OK\r\n\r\n"
#define REQ_LEN 4
#define RSP_LEN 7

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
make_raw(int fd)
{
	struct termios t;

	if (tcgetattr(fd, &t) != 0)
		return;
	t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR |
	    ICRNL | IXON);
	t.c_oflag &= ~(tcflag_t)OPOST;
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
	t.c_cflag |= CS8;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	tcsetattr(fd, TCSANOW, &t);
}

/* Reads exactly @len bytes; 0 on success, -1 on EOF or error. */
static int
read_all(int fd, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

static int
write_all(int fd, const char *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

/* The "module": 7 bytes back for every 4, until the other side closes. */
static void
child_answer(int m)
{
	char buf[REQ_LEN];

	while (read_all(m, buf, REQ_LEN) == 0) {
		if (write_all(m, RSP, RSP_LEN) != 0)
			break;
	}
	_exit(0);
}

static int
cmp_rate(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	static double rate[WINDOWS_MAX];
	unsigned long n = 20000, w = 1, i, k = 0;
	const char *name;
	char buf[RSP_LEN];
	double t0, t1;
	pid_t pid;
	int m, s, st;

	if (argc > 1) {
		uint64_t v;

		if (atp_span_dec(atp_span_str(argv[1]), &v, 100000000) != 0 || v == 0) {
			fprintf(stderr, "usage: ptyecho [N]\n");
			return 2;
		}
		n = (unsigned long)v;
	}
	if (argc > 2) {
		uint64_t v;

		if (atp_span_dec(atp_span_str(argv[2]), &v, WINDOWS_MAX) != 0 || v == 0) {
			fprintf(stderr, "usage: ptyecho [N [W]] (W from 1 to %d)\n", WINDOWS_MAX);
			return 2;
		}
		w = (unsigned long)v;
	}
	m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) != 0 || unlockpt(m) != 0 || (name = ptsname(m)) == NULL) {
		fprintf(stderr, "ptyecho: no pseudo-terminal: %s\n", strerror(errno));
		return 1;
	}
	s = open(name, O_RDWR | O_NOCTTY);
	if (s < 0) {
		fprintf(stderr, "ptyecho: cannot open %s: %s\n", name, strerror(errno));
		return 1;
	}
	make_raw(s);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "ptyecho: fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		close(s);
		child_answer(m);
	}
	close(m);
	/* A few warm-up trips so that both sides are scheduled and paged in. */
	for (i = 0; i < 100; i++) {
		if (write_all(s, REQ, REQ_LEN) != 0 || read_all(s, buf, RSP_LEN) != 0)
			goto broken;
	}
	for (k = 0; k < w; k++) {
		t0 = now_s();
		for (i = 0; i < n; i++) {
			if (write_all(s, REQ, REQ_LEN) != 0 || read_all(s, buf, RSP_LEN) != 0)
				goto broken;
		}
		t1 = now_s();
		rate[k] = (double)n / (t1 - t0);
	}
	close(s);
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	if (memcmp(buf, RSP, RSP_LEN) != 0) {
		fprintf(stderr, "ptyecho: the child answered something else\n");
		return 1;
	}
	qsort(rate, w, sizeof(rate[0]), cmp_rate);
	printf("pty_roundtrip_us %.2f\n", 1e6 / rate[w - 1]);
	printf("pty_exchanges_per_s %.0f\n", rate[w - 1]);
	printf("pty_exchanges_per_s_median %.0f\n", rate[w / 2]);
	return 0;
broken:
	fprintf(stderr, "ptyecho: the pty broke after %lu round trips\n", k * n + i);
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	return 1;
}
