/* SPDX-License-Identifier: MIT */
/* \summary: LD_PRELOAD shim: modem-line ioctls answered for a pty */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <sys/ioctl.h>

/*
 * libserialport asks the modem lines (TIOCMGET) when it opens a port and
 * sets DTR/RTS (TIOCMBIS/TIOCMBIC); a pty has none and answers ENOTTY,
 * which is why libserialport cannot open one (DESIGN.md). This shim
 * answers those three itself and passes every other request on, so that
 * test_run_serial.sh can run the libserialport path over a pty.
 */
int ioctl(int fd, unsigned long req, ...);

int
ioctl(int fd, unsigned long req, ...)
{
	static int (*real)(int, unsigned long, ...);
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (req == TIOCMGET) {
		*(int *)arg = TIOCM_DTR | TIOCM_RTS | TIOCM_CTS | TIOCM_DSR | TIOCM_CD;
		return 0;
	}
	if (req == TIOCMBIS || req == TIOCMBIC || req == TIOCMSET)
		return 0;
	if (real == 0)
		*(void **)&real = dlsym(RTLD_NEXT, "ioctl");
	return real(fd, req, arg);
}
