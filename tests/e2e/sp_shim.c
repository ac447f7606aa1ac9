/* SPDX-License-Identifier: MIT */
/* \summary: LD_PRELOAD shim: modem-line ioctls answered (and wired) for a pty */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

/*
 * libserialport asks the modem lines (TIOCMGET) when it opens a port and
 * sets DTR/RTS (TIOCMBIS/TIOCMBIC); a pty has none and answers ENOTTY,
 * which is why libserialport cannot open one (DESIGN.md). This shim
 * answers those itself and passes every other request on, so that the
 * e2e tests can run the libserialport path over a pty.
 *
 * It also stands for the wiring of a test rig:
 *   SP_SHIM_LOG=FILE            appends "dtr 1", "rts 0"... for every change
 *                               of a line, and "termios 7O2" for every
 *                               tcsetattr() (a pty keeps only CS8 and no
 *                               parity, so the test reads what was asked);
 *   SP_SHIM_RESET=LINE:PID      LINE (dtr or rts) drives the module's reset
 *                               pin: when it is released (asserted, then
 *                               deasserted) the module, the emulator PID,
 *                               gets SIGUSR1 and boots again.
 * USB identities and /dev/serial/by-id links come from the test's own
 * /sys/class/tty and /dev trees (test_ports.sh), which libserialport reads
 * as it reads the kernel's.
 */
int ioctl(int fd, unsigned long req, ...);
int tcsetattr(int fd, int act, const struct termios *t);

static int lines = TIOCM_DTR | TIOCM_RTS;  /* what TIOCMGET first reports */

static void
log_line(const char *text)
{
	const char *log = getenv("SP_SHIM_LOG");
	int fd;

	if (log != NULL && (fd = open(log, O_WRONLY | O_APPEND | O_CREAT, 0644)) >= 0) {
		(void)!write(fd, text, strlen(text));
		close(fd);
	}
}

int
tcsetattr(int fd, int act, const struct termios *t)
{
	static int (*real)(int, int, const struct termios *);
	tcflag_t c = t->c_cflag;
	char buf[32];

	snprintf(buf, sizeof(buf), "termios %d%c%d\n", (c & CSIZE) == CS5 ? 5 : (c & CSIZE) == CS6 ?
	    6 : (c & CSIZE) == CS7 ? 7 : 8, !(c & PARENB) ? 'N' : (c & PARODD) ? 'O' : 'E',
	    (c & CSTOPB) ? 2 : 1);
	log_line(buf);
	if (real == 0)
		*(void **)&real = dlsym(RTLD_NEXT, "tcsetattr");
	return real(fd, act, t);
}

static void
note(int before, int after)
{
	const char *reset = getenv("SP_SHIM_RESET");
	static const struct {
		int bit;
		const char *name;
	} l[] = { { TIOCM_DTR, "dtr" }, { TIOCM_RTS, "rts" } };
	size_t i;

	for (i = 0; i < 2; i++) {
		char buf[32];
		if ((before & l[i].bit) == (after & l[i].bit))
			continue;
		snprintf(buf, sizeof(buf), "%s %d\n", l[i].name, (after & l[i].bit) != 0);
		log_line(buf);
		/* The reset pin follows the line: released, the module boots. */
		if (reset != NULL && strncmp(reset, l[i].name, 3) == 0 && reset[3] == ':' &&
		    (after & l[i].bit) == 0)
			(void)kill((pid_t)atoi(reset + 4), SIGUSR1);
	}
}

int
ioctl(int fd, unsigned long req, ...)
{
	static int (*real)(int, unsigned long, ...);
	va_list ap;
	void *arg;
	int before = lines;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (req == TIOCMGET) {
		*(int *)arg = lines | TIOCM_CTS | TIOCM_DSR | TIOCM_CD;
		return 0;
	}
	if (req == TIOCMBIS || req == TIOCMBIC || req == TIOCMSET) {
		int bits = *(const int *)arg & (TIOCM_DTR | TIOCM_RTS);
		if (req == TIOCMBIS)
			lines |= bits;
		else if (req == TIOCMBIC)
			lines &= ~bits;
		else
			lines = bits;
		note(before, lines);
		return 0;
	}
	if (real == 0)
		*(void **)&real = dlsym(RTLD_NEXT, "ioctl");
	return real(fd, req, arg);
}
