/* SPDX-License-Identifier: MIT */
/* \summary: transports: termios ttys and ptys, raw TCP, the emulator child */
/* mkdtemp(), kill() with SIGKILL and friends are POSIX 2008 / XSI;
 * CRTSCTS (hardware flow control) is not in POSIX termios at all. */
#define _XOPEN_SOURCE 700
#define _DEFAULT_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "harness/hns_run.h"

#define WRITE_TIMEOUT_US 2000000u   /* a write that cannot drain in 2 s */
#define EMU_START_US     5000000u   /* the emulator's pty must appear in 5 s */
#define EMU_STOP_US      2000000u   /* SIGTERM, then SIGKILL after 2 s */

uint64_t
hns_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* usleep() left POSIX in 2008. */
static void
nap_us(long us)
{
	struct timespec ts;

	ts.tv_sec = us / 1000000;
	ts.tv_nsec = (us % 1000000) * 1000;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int
vanished(struct atp_diag *d, const char *name, const char *why, int err)
{
	if (d != NULL)
		d->sys_errno = err;
	return atp_diag_set(d, ATP_ERR_IO, "port %s vanished: %s", name, why);
}

/*
 * fd-based write and read, shared by every backend: poll with a bounded
 * wait, and tell "nothing yet" from "the other end is gone".
 */
static int
fd_write(struct hns_transport *t, const void *buf, size_t len, struct atp_diag *d)
{
	const uint8_t *p = buf;
	uint64_t end = 0;          /* set at the first write that must wait */
	struct pollfd pfd;
	ssize_t w;

	t->wrote = 0;
	while (len > 0) {
		if (t->sock)
			w = send(t->fd, p, len, MSG_NOSIGNAL);
		else
			w = write(t->fd, p, len);
		if (w > 0) {
			p += w;
			len -= (size_t)w;
			t->wrote += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return vanished(d, t->name, strerror(errno), errno);
		if (end == 0)
			end = hns_now_us() + WRITE_TIMEOUT_US;
		else if (hns_now_us() >= end)
			return atp_diag_set(d, ATP_ERR_TIMEOUT, "port %s: a write did not "
			    "drain in %u ms", t->name, WRITE_TIMEOUT_US / 1000);
		pfd.fd = t->fd;
		pfd.events = POLLOUT;
		pfd.revents = 0;
		(void)poll(&pfd, 1, 10);
		if (pfd.revents & (POLLERR | POLLNVAL))
			return vanished(d, t->name, "error on write", EIO);
	}
	return ATP_OK;
}

/*
 * Waits up to @ms for @t's fd to read. Through an epoll set made at the
 * first wait and kept: a poll() registers with the tty and unregisters
 * again at every call, and the look before each send (run.c, predrain)
 * asks with 0 ms, where epoll reads its ready list alone. On an idle
 * machine that took a fifth off an exchange's round trip (issue 4's bench).
 * poll() serves if epoll cannot be had. The set is closed with the fd
 * (fd_close), so a later fd of the same number is never left unwatched.
 */
static int
wait_in(struct hns_transport *t, int ms)
{
	struct epoll_event ev;
	struct pollfd pfd;

	if (t->ep == -1) {
		t->ep = epoll_create1(EPOLL_CLOEXEC);
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN | EPOLLET;
		ev.data.fd = t->fd;
		if (t->ep >= 0 && epoll_ctl(t->ep, EPOLL_CTL_ADD, t->fd, &ev) != 0) {
			close(t->ep);
			t->ep = -1;
		}
		if (t->ep < 0)
			t->ep = -2;       /* epoll cannot watch it: poll() from now on */
	}
	if (t->ep >= 0) {
		int n;
		if (t->more != 0) {
			t->more &= HNS_MORE_HUP;
			return 1;
		}
		n = epoll_wait(t->ep, &ev, 1, ms);
		/* A hang-up comes as one edge, maybe with the last bytes: no
		 * wait after it may sleep; the reads find the EOF or EIO. */
		if (n > 0 && (ev.events & (EPOLLHUP | EPOLLERR)) != 0)
			t->more |= HNS_MORE_HUP;
		return n;
	}
	pfd.fd = t->fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	return poll(&pfd, 1, ms);
}

static long
fd_read(struct hns_transport *t, void *buf, size_t len, uint64_t timeout_us,
    struct atp_diag *d)
{
	ssize_t r;
	int ms, pr;

	ms = timeout_us == 0 ? 0 : (int)((timeout_us + 999) / 1000);
	if (timeout_us > 3600000000u)
		ms = 3600000;
	pr = wait_in(t, ms);
	if (pr < 0 && errno == EINTR)
		return 0;
	if (pr < 0)
		return vanished(d, t->name, strerror(errno), errno);
	if (pr == 0)
		return 0;
	r = read(t->fd, buf, len);
	if (r > 0) {
		/* Edge-triggered: a full buffer may have left bytes that no
		 * new edge will announce, so the next wait reads first. */
		if ((size_t)r == len)
			t->more |= HNS_MORE_FULL;
		return (long)r;
	}
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	/* EOF, EIO (a pty whose master closed), or HUP: the port is gone.
	 * A pty slave reads EIO once the emulator holding the master died. */
	if (r == 0)
		return vanished(d, t->name, "end of file (the other side closed)", 0);
	return vanished(d, t->name, strerror(errno), errno);
}

static void
fd_close(struct hns_transport *t)
{
	if (t->ep >= 0)
		close(t->ep);
	t->ep = -1;
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

/* DTR, RTS and break on a tty (the modem-control ioctls; a pty has no
 * modem lines and answers ENOTTY). */
static int
tty_line(struct hns_transport *t, int dtr, int rts, uint64_t break_us, struct atp_diag *d)
{
	int bits;

	if (dtr >= 0) {
		bits = TIOCM_DTR;
		if (ioctl(t->fd, dtr ? TIOCMBIS : TIOCMBIC, &bits) < 0)
			goto fail;
	}
	if (rts >= 0) {
		bits = TIOCM_RTS;
		if (ioctl(t->fd, rts ? TIOCMBIS : TIOCMBIC, &bits) < 0)
			goto fail;
	}
	if (break_us > 0) {
		/* tcsendbreak() has no useful duration; hold the break by hand. */
		if (ioctl(t->fd, TIOCSBRK, 0) < 0)
			goto fail;
		nap_us((long)break_us);
		if (ioctl(t->fd, TIOCCBRK, 0) < 0)
			goto fail;
	}
	return ATP_OK;
fail:
	if (d != NULL)
		d->sys_errno = errno;
	return atp_diag_set(d, errno == ENOTTY || errno == EINVAL ? ATP_ERR_UNSUPP : ATP_ERR_IO,
	    "port %s: modem lines: %s", t->name, strerror(errno));
}

static speed_t baud_const(unsigned long baud);

/* 1 if @fd is a pseudo-terminal's slave (Unix 98 ptys: majors 136..143,
 * Documentation/admin-guide/devices.txt). */
static int
is_pty(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) >= 136 &&
	    major(st.st_rdev) <= 143;
}

/* Another rate (and format) on a tty or the emulator's pty: TCSADRAIN
 * lets what was written go out at the old settings first (a command's
 * last bytes). */
static int
tty_baud(struct hns_transport *t, const struct hns_serial_cfg *to, struct atp_diag *d)
{
	struct termios tio;
	speed_t sp = baud_const(to->baud);

	if (sp == 0)
		return atp_diag_set(d, ATP_ERR_ARG, "port %s: baud rate %lu is not supported",
		    t->name, to->baud);
	if (tcgetattr(t->fd, &tio) < 0)
		goto fail;
	if (to->databits != 0) {
		tio.c_cflag &= ~(tcflag_t)CSIZE;
		tio.c_cflag |= to->databits == 5 ? CS5 : to->databits == 6 ? CS6 :
		    to->databits == 7 ? CS7 : CS8;
	}
	if (to->stopbits != 0) {
		tio.c_cflag &= ~(tcflag_t)CSTOPB;
		if (to->stopbits == 2)
			tio.c_cflag |= CSTOPB;
	}
	if (to->parity != 0) {
		tio.c_cflag &= ~(tcflag_t)(PARENB | PARODD);
		if (to->parity == 'E' || to->parity == 'O')
			tio.c_cflag |= PARENB | (to->parity == 'O' ? PARODD : 0);
	}
	if (cfsetispeed(&tio, sp) < 0 || cfsetospeed(&tio, sp) < 0)
		goto fail;
	if (is_pty(t->fd)) {
		/* A pty frames no bits: Linux keeps CS8 without parity on it
		 * (pty_set_termios) and tcsetattr() may refuse a request for
		 * other bits. Its peer (the emulator) reads the rate alone, so
		 * the format is recorded, not set. */
		tio.c_cflag &= ~(tcflag_t)(CSIZE | PARENB | PARODD);
		tio.c_cflag |= CS8;
	}
	if (tcsetattr(t->fd, TCSADRAIN, &tio) < 0)
		goto fail;
	hns_transport_line(t, to);
	return ATP_OK;
fail:
	if (d != NULL)
		d->sys_errno = errno;
	return atp_diag_set(d, ATP_ERR_IO, "port %s: cannot set %lu baud: %s", t->name,
	    to->baud, strerror(errno));
}

void
hns_transport_line(struct hns_transport *t, const struct hns_serial_cfg *to)
{
	/* "115200 8N1 rtscts" -> "9600 7E1 rtscts": what follows stays. */
	const char *rest = strchr(t->desc, ' ');
	char desc[64], *nd;

	if (rest != NULL)
		rest = strchr(rest + 1, ' ');
	t->line.baud = to->baud;
	if (to->databits != 0)
		t->line.databits = to->databits;
	if (to->stopbits != 0)
		t->line.stopbits = to->stopbits;
	if (to->parity != 0)
		t->line.parity = to->parity;
	snprintf(desc, sizeof(desc), "%lu %d%c%d%s", t->line.baud, t->line.databits,
	    t->line.parity, t->line.stopbits, rest != NULL ? rest : "");
	nd = atp_strdup(desc);
	if (nd != NULL) {
		atp_free(t->desc);
		t->desc = nd;
	}
}

static const struct hns_transport_ops tty_ops = { "tty", fd_write, fd_read, fd_close,
	tty_line, tty_baud };
static const struct hns_transport_ops tcp_ops = { "tcp", fd_write, fd_read, fd_close, NULL,
	NULL };

static speed_t
baud_const(unsigned long baud)
{
	switch (baud) {
	case 1200: return B1200;
	case 2400: return B2400;
	case 4800: return B4800;
	case 9600: return B9600;
	case 19200: return B19200;
	case 38400: return B38400;
	case 57600: return B57600;
	case 115200: return B115200;
	case 230400: return B230400;
	case 600: return B600;
	case 1800: return B1800;
#ifdef B1000000
	case 1000000: return B1000000;
#endif
#ifdef B1500000
	case 1500000: return B1500000;
#endif
#ifdef B460800
	case 460800: return B460800;
#endif
#ifdef B921600
	case 921600: return B921600;
#endif
#ifdef B2000000
	case 2000000: return B2000000;
#endif
	default: return 0;
	}
}

static const struct hns_transport_ops fd_ops = { "fd", fd_write, fd_read, fd_close, NULL,
	NULL };

static struct hns_transport *
transport_new(const struct hns_transport_ops *ops, const char *name, const char *desc)
{
	struct hns_transport *t = atp_calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->ops = ops;
	t->fd = -1;
	t->ep = -1;
	t->name = atp_strdup(name);
	t->desc = atp_strdup(desc);
	if (t->name == NULL || t->desc == NULL) {
		atp_free(t->name);
		atp_free(t->desc);
		atp_free(t);
		return NULL;
	}
	return t;
}

/*
 * A tty in raw mode: 8N1, no flow control, no echo, no line discipline.
 * The settings matter even on a pty: the line discipline would otherwise
 * turn CR into LF and echo our bytes back.
 */
int
hns_tty_open(const char *path, const struct hns_serial_cfg *cfg, struct hns_transport **out,
    struct atp_diag *d)
{
	struct hns_transport *t;
	struct termios tio;
	char desc[48];
	speed_t sp = baud_const(cfg->baud);
	int bits = cfg->databits != 0 ? cfg->databits : 8;

	*out = NULL;
	if (sp == 0)
		return atp_diag_set(d, ATP_ERR_ARG, "baud rate %lu is not supported", cfg->baud);
	snprintf(desc, sizeof(desc), "%lu %d%c%d%s", cfg->baud, bits, cfg->parity,
	    cfg->stopbits == 2 ? 2 : 1, cfg->flow == 1 ? " rtscts" : cfg->flow == 2 ? " xonxoff" : "");
	t = transport_new(&tty_ops, path, desc);
	if (t == NULL)
		return atp_diag_set(d, ATP_ERR_NOMEM, "out of memory");
	t->fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (t->fd < 0) {
		int e = errno;
		hns_transport_close(t);
		if (d != NULL)
			d->sys_errno = e;
		return atp_diag_set(d, ATP_ERR_IO, "cannot open %s: %s", path, strerror(e));
	}
	if (tcgetattr(t->fd, &tio) < 0) {
		int e = errno;
		hns_transport_close(t);
		return atp_diag_set(d, ATP_ERR_IO, "%s is not a tty: %s", path, strerror(e));
	}
	tio.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL |
	    IXON | IXOFF);
	tio.c_oflag &= ~(tcflag_t)OPOST;
	tio.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	tio.c_cflag &= ~(tcflag_t)(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS);
	tio.c_cflag |= (bits == 5 ? CS5 : bits == 6 ? CS6 : bits == 7 ? CS7 : CS8) | CLOCAL | CREAD;
	if (cfg->stopbits == 2)
		tio.c_cflag |= CSTOPB;
	if (cfg->parity == 'E' || cfg->parity == 'O')
		tio.c_cflag |= PARENB | (cfg->parity == 'O' ? PARODD : 0);
	if (cfg->flow == 1)
		tio.c_cflag |= CRTSCTS;
	else if (cfg->flow == 2)
		tio.c_iflag |= IXON | IXOFF;
	tio.c_cc[VMIN] = 0;
	tio.c_cc[VTIME] = 0;
	cfsetispeed(&tio, sp);
	cfsetospeed(&tio, sp);
	if (tcsetattr(t->fd, TCSANOW, &tio) < 0) {
		int e = errno;
		hns_transport_close(t);
		return atp_diag_set(d, ATP_ERR_IO, "cannot configure %s: %s", path, strerror(e));
	}
	t->line = *cfg;
	t->line.databits = bits;
	t->line.stopbits = cfg->stopbits == 2 ? 2 : 1;
	*out = t;
	return ATP_OK;
}

int
hns_tcp_open(const char *hostport, struct hns_transport **out, struct atp_diag *d)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct hns_transport *t;
	char host[256];
	const char *colon = strrchr(hostport, ':');
	size_t hl;
	int rc, one = 1, fl;

	*out = NULL;
	if (colon == NULL || colon == hostport || colon[1] == '\0')
		return atp_diag_set(d, ATP_ERR_ARG, "--tcp wants HOST:PORT, not '%s'", hostport);
	hl = (size_t)(colon - hostport);
	if (hl >= sizeof(host))
		return atp_diag_set(d, ATP_ERR_ARG, "host name too long");
	memcpy(host, hostport, hl);
	host[hl] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(host, colon + 1, &hints, &res);
	if (rc != 0)
		return atp_diag_set(d, ATP_ERR_IO, "%s: %s", hostport, gai_strerror(rc));
	t = transport_new(&tcp_ops, hostport, "tcp");
	if (t == NULL) {
		freeaddrinfo(res);
		return atp_diag_set(d, ATP_ERR_NOMEM, "out of memory");
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		t->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (t->fd < 0)
			continue;
		if (connect(t->fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(t->fd);
		t->fd = -1;
	}
	freeaddrinfo(res);
	if (t->fd < 0) {
		int e = errno;
		hns_transport_close(t);
		return atp_diag_set(d, ATP_ERR_IO, "cannot connect to %s: %s", hostport,
		    strerror(e));
	}
	t->sock = 1;
	/* Small writes (one command line) must not wait for Nagle. */
	(void)setsockopt(t->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fl = fcntl(t->fd, F_GETFL);
	(void)fcntl(t->fd, F_SETFL, fl | O_NONBLOCK);
	*out = t;
	return ATP_OK;
}

/* An fd the caller opened (a socketpair end in tests, an inherited
 * descriptor); the transport owns it from now on. */
int
hns_fd_open(int fd, const char *name, struct hns_transport **out, struct atp_diag *d)
{
	struct hns_transport *t;
	struct stat st;
	int fl;

	*out = NULL;
	t = transport_new(&fd_ops, name, "fd");
	if (t == NULL)
		return atp_diag_set(d, ATP_ERR_NOMEM, "out of memory");
	t->fd = fd;
	t->sock = fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
	fl = fcntl(fd, F_GETFL);
	(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	*out = t;
	return ATP_OK;
}

static void
stop_child(struct hns_transport *t)
{
	uint64_t end;
	int status;

	if (t->child <= 0)
		return;
	(void)kill(t->child, SIGTERM);
	end = hns_now_us() + EMU_STOP_US;
	while (waitpid(t->child, &status, WNOHANG) == 0) {
		if (hns_now_us() >= end) {
			(void)kill(t->child, SIGKILL);
			(void)waitpid(t->child, &status, 0);
			break;
		}
		nap_us(5000);
	}
	t->child = 0;
}

static void
emu_close(struct hns_transport *t)
{
	fd_close(t);
	stop_child(t);
	if (t->ptypath != NULL)
		(void)unlink(t->ptypath);
	if (t->logpath != NULL)
		(void)unlink(t->logpath);
	if (t->tmpdir != NULL)
		(void)rmdir(t->tmpdir);
}

/* The private emulator runs with --line-signal: it reads the pty's rate
 * when told (SIGUSR2), not at every read. Told once the rate has moved and
 * before a byte goes at it (emulator/main.c, on_fd). */
static void
emu_tell_line(struct hns_transport *t)
{
	if (t->child > 0)
		(void)kill(t->child, SIGUSR2);
}

static int
emu_baud(struct hns_transport *t, const struct hns_serial_cfg *to, struct atp_diag *d)
{
	int rc = tty_baud(t, to, d);

	/* Also after a failure: the termios may have moved part way. */
	emu_tell_line(t);
	return rc;
}

static const struct hns_transport_ops emu_ops = { "emu", fd_write, fd_read, emu_close,
	tty_line, emu_baud };

static void
log_tail(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	buf[0] = '\0';
	if (f == NULL)
		return;
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
}

/* ATP_EMU_START_MS lengthens the wait for the emulator's pty, for an
 * emulator under valgrind (make valgrind sets it; 50 times slower). */
static uint64_t
emu_start_us(void)
{
	const char *s = getenv("ATP_EMU_START_MS");
	uint64_t ms;

	if (s != NULL && atp_span_dec(atp_span_str(s), &ms, 600000) == ATP_OK && ms > 0)
		return ms * 1000u;
	return EMU_START_US;
}

/*
 * Starts `atproof emu --pty <private path> --firmware P [--world F]
 * [--fault X]...` and opens its pty. The binary is ourselves
 * (/proc/self/exe), so a test always runs the emulator it was built with.
 */
int
hns_emu_open(const struct hns_emu_opts *o, struct hns_transport **out, struct atp_diag *d)
{
	struct hns_transport *t = NULL, *tty = NULL;
	char exe[4096], dir[] = "/tmp/atproof-run-XXXXXX", path[128], logp[128], tail[240];
	char baud[24];
	const char *argv[2 * 48 + 20];   /* 48 faults, two words each, and the rest */
	size_t a = 0, i;
	ssize_t n;
	uint64_t end;
	int rc, status;

	*out = NULL;
	if (o->exe != NULL) {
		snprintf(exe, sizeof(exe), "%s", o->exe);
	} else {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n <= 0)
			return atp_diag_set(d, ATP_ERR_IO, "cannot find our own binary: %s",
			    strerror(errno));
		exe[n] = '\0';
	}
	if (o->nfaults > 48)
		return atp_diag_set(d, ATP_ERR_LIMIT, "more than 48 --fault options");
	if (mkdtemp(dir) == NULL)
		return atp_diag_set(d, ATP_ERR_IO, "mkdtemp: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/tty", dir);
	snprintf(logp, sizeof(logp), "%s/emu.log", dir);
	t = transport_new(&emu_ops, "emulator", "115200 8N1");
	if (t == NULL) {
		(void)rmdir(dir);
		return atp_diag_set(d, ATP_ERR_NOMEM, "out of memory");
	}
	t->tmpdir = atp_strdup(dir);
	t->ptypath = atp_strdup(path);
	t->logpath = atp_strdup(logp);
	if (t->tmpdir == NULL || t->ptypath == NULL || t->logpath == NULL) {
		hns_transport_close(t);
		return atp_diag_set(d, ATP_ERR_NOMEM, "out of memory");
	}
	argv[a++] = "atproof";
	argv[a++] = "emu";
	argv[a++] = "--pty";
	argv[a++] = path;
	argv[a++] = "--firmware";
	argv[a++] = o->profile != NULL ? o->profile : "manual";
	/* No byte log: emu.log is removed with the run and nobody reads it
	 * (its start-up messages, what log_tail shows, are not the byte log);
	 * writing it cost more system calls than the exchange itself. */
	argv[a++] = "--log";
	argv[a++] = "/dev/null";
	if (o->mac != NULL) {
		argv[a++] = "--mac";
		argv[a++] = o->mac;
	}
	snprintf(baud, sizeof(baud), "%lu", o->baud != 0 ? o->baud : 115200ul);
	argv[a++] = "--baud";
	argv[a++] = baud;
	argv[a++] = "--line-signal";
	if (o->world != NULL) {
		argv[a++] = "--world";
		argv[a++] = o->world;
	}
	for (i = 0; i < o->nfaults; i++) {
		argv[a++] = "--fault";
		argv[a++] = o->faults[i];
	}
	argv[a] = NULL;
	fflush(NULL);
	t->child = fork();
	if (t->child < 0) {
		int e = errno;
		t->child = 0;
		hns_transport_close(t);
		return atp_diag_set(d, ATP_ERR_IO, "fork: %s", strerror(e));
	}
	if (t->child == 0) {
		int fd;
		/* The emulator goes when we go, even if we are killed (Linux). */
		(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
		fd = open(logp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			(void)dup2(fd, 1);
			(void)dup2(fd, 2);
			close(fd);
		}
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0) {
			(void)dup2(fd, 0);
			close(fd);
		}
		execv(exe, (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	end = hns_now_us() + emu_start_us();
	for (;;) {
		struct stat st;
		if (stat(path, &st) == 0)
			break;
		if (waitpid(t->child, &status, WNOHANG) == t->child) {
			t->child = 0;
			log_tail(logp, tail, sizeof(tail));
			hns_transport_close(t);
			return atp_diag_set(d, ATP_ERR_IO, "the emulator exited before its pty "
			    "appeared%s%s", tail[0] ? ": " : "", tail);
		}
		if (hns_now_us() >= end) {
			hns_transport_close(t);
			return atp_diag_set(d, ATP_ERR_TIMEOUT,
			    "the emulator's pty did not appear within %llu ms",
			    (unsigned long long)(emu_start_us() / 1000));
		}
		nap_us(2000);
	}
	{
		struct hns_serial_cfg sc = { o->baud != 0 ? o->baud : 115200ul, 'N', 0, 8, 1 };
		rc = hns_tty_open(path, &sc, &tty, d);
	}
	if (rc < 0) {
		hns_transport_close(t);
		return rc;
	}
	t->fd = tty->fd;
	t->line = tty->line;
	tty->fd = -1;
	emu_tell_line(t);      /* hns_tty_open set the run's rate */
	{
		char *desc = t->desc;     /* the rate it was opened at */
		t->desc = tty->desc;
		tty->desc = desc;
	}
	hns_transport_close(tty);
	{
		char nm[64];
		snprintf(nm, sizeof(nm), "emulator:%s", o->profile != NULL ? o->profile : "manual");
		atp_free(t->name);
		t->name = atp_strdup(nm);
		if (t->name == NULL) {
			hns_transport_close(t);
			return atp_diag_set(d, ATP_ERR_NOMEM, "out of memory");
		}
	}
	*out = t;
	return ATP_OK;
}

void
hns_transport_close(struct hns_transport *t)
{
	if (t == NULL)
		return;
	t->ops->close(t);
	atp_free(t->name);
	atp_free(t->desc);
	atp_free(t->tmpdir);
	atp_free(t->ptypath);
	atp_free(t->logpath);
	atp_free(t);
}
