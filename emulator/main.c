/* SPDX-License-Identifier: MIT */
/* \summary: atproof emu: virtual Air602 modules on ptys and TCP ports */
/* posix_openpt, grantpt, unlockpt and ptsname are XSI (POSIX with the X/Open
 * extension): the Makefile's _POSIX_C_SOURCE alone does not declare them. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include "cli/cli.h"
#include "emulator/emu.h"

/*
 * One process serves N modules (--count N): module i gets the pty PATH-i
 * and the TCP port PORT+i (with N = 1, PATH and PORT themselves). Every
 * module has its own flash file. A module's output goes to every sink that
 * is connected (the pty, the TCP client), each with its own queue, so a
 * slow reader on one does not hold the other up.
 */

#define COUNT_MAX 256
#define SINK_MAX (1024 * 1024)
#define FAULTS_ARGS_MAX 64

struct sink {
	int fd;                   /* -1: none */
	uint8_t *q;
	size_t len, cap;
	int want_out;
};

struct port {
	struct emu *e;
	struct emu_loop *loop;
	unsigned index;
	/* pty */
	int master, slave;
	char *link;               /* the symlink we made, removed at exit */
	struct sink pty;
	/* TCP */
	int lfd;
	struct sink tcp;
	speed_t speed;            /* --baud given: the client's rate must be the
	                           * module's (e->line_baud, AT+UART); 0 any */
	speed_t client;           /* --line-signal: the client's rate, read at
	                           * client_gen; 0 not read yet */
	sig_atomic_t client_gen;
};

static struct emu_loop *stop_loop;
static int reset_pipe[2] = { -1, -1 };
/* --line-signal: counts the client's SIGUSR2s, "I moved the line". */
static int line_signal;
static volatile sig_atomic_t line_gen;

static void
on_signal(int sig)
{
	int e = errno;

	/* SIGUSR1 power-cycles the modules (a test rig's reset line);
	 * the loop does it, a signal handler only says so. */
	if (sig == SIGUSR1) {
		if (reset_pipe[1] >= 0)
			(void)!write(reset_pipe[1], "r", 1);
	} else if (sig == SIGUSR2) {
		line_gen++;
	} else if (stop_loop != NULL) {
		emu_loop_stop_async(stop_loop);
	}
	errno = e;
}

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f,
	    "usage: atproof emu [--pty PATH] [--tcp [HOST:]PORT] [--firmware PROFILE] [--world FILE]\n"
	    "                   [--flash FILE] [--fault NAME[=VALUE]]... [--log FILE] [--allow-net]\n"
	    "                   [--count N] [--mac MAC] [--baud N [--line-signal]]\n\n"
	    "A virtual Air602 (W600) module that answers AT+ commands as the chosen firmware does.\n\n"
	    "  --pty PATH         create a pseudo-terminal and make PATH a symlink to it\n"
	    "  --tcp [HOST:]PORT  serve the byte stream on TCP (raw, one client at a time);\n"
	    "                     HOST defaults to 127.0.0.1 (0.0.0.0 must be given)\n"
	    "  --firmware PROFILE behave as PROFILE (default luat):");
	for (i = 0; i < atp_profile_count(); i++)
		fprintf(f, " %s", atp_profile_at(i)->name);
	fprintf(f,
	    "\n"
	    "  --world FILE       the radio world (YAML); default: the built-in world\n"
	    "                     (scenarios/worlds/default.yaml)\n"
	    "  --flash FILE       keep the module's flash in FILE (default: a temporary file,\n"
	    "                     removed at exit); with --count, FILE-0 .. FILE-(N-1)\n"
	    "  --fault NAME[=V]   inject a fault (below); repeatable\n"
	    "  --log FILE         log every byte in and out, with microsecond timestamps, to\n"
	    "                     FILE (default '-': standard error; /dev/null for none)\n"
	    "  --allow-net        let sockets reach non-loopback addresses\n"
	    "  --count N          serve N modules (1..%d): PATH-0.., PORT+0..\n"
	    "  --mac MAC          the module's MAC, XX:XX:XX:XX:XX:XX (default\n"
	    "                     28:6d:cd:00:4e:7d); with --count, module i gets MAC+i\n"
	    "  --baud N           the module's UART runs at N baud (its flash holds N, and\n"
	    "                     AT+UART moves it as the firmware does): what a pty client\n"
	    "                     sends at another rate (its termios speed) arrives as garbage\n"
	    "                     (0xff bytes, no line end) and gets no answer; the\n"
	    "                     firmware may drop the next line with it (default: any\n"
	    "                     rate)\n"
	    "  --line-signal      with --baud: the client sends SIGUSR2 after it changes the\n"
	    "                     pty's rate, which is then read at each signal rather than\n"
	    "                     at each read (atproof run --emulator does)\n"
	    "  --help             this text\n\n", COUNT_MAX);
	emu_fault_help(f);
	fprintf(f,
	    "\nServes until SIGTERM or SIGINT, then removes the symlinks. SIGUSR1\n"
	    "power-cycles every module (a reset line): it prints ready, as after AT+Z.\n"
	    "Exit codes: 0 stopped cleanly, 2 usage or invalid world file, 3 pty, port or\n"
	    "flash could not be set up.\n");
}

/* ---- sinks -------------------------------------------------------------- */

static void sink_flush(struct port *pt, struct sink *s);

static void
sink_push(struct port *pt, struct sink *s, const uint8_t *p, size_t n)
{
	if (s->fd < 0 || n == 0)
		return;
	if (s->len + n > SINK_MAX) {
		emu_log_note(pt->e, "output queue full: %zu bytes dropped", n);
		return;
	}
	if (s->len + n > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		uint8_t *q;
		while (cap < s->len + n)
			cap *= 2;
		q = atp_realloc(s->q, cap);
		if (q == NULL)
			return;
		s->q = q;
		s->cap = cap;
	}
	memcpy(s->q + s->len, p, n);
	s->len += n;
	sink_flush(pt, s);
}

static void on_fd(struct emu_loop *loop, int fd, unsigned ev, void *ctx);

static void
sink_want_out(struct port *pt, struct sink *s, int on)
{
	if (s->want_out == on || s->fd < 0)
		return;
	s->want_out = on;
	emu_loop_mod_fd(pt->loop, s->fd, EMU_EV_IN | (on ? EMU_EV_OUT : 0u));
}

static void
sink_flush(struct port *pt, struct sink *s)
{
	while (s->len > 0 && s->fd >= 0) {
		ssize_t k = write(s->fd, s->q, s->len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		memmove(s->q, s->q + k, s->len - (size_t)k);
		s->len -= (size_t)k;
	}
	sink_want_out(pt, s, s->len > 0);
}

static void
on_output(struct emu *e, void *ctx)
{
	struct port *pt = ctx;
	struct atp_span o = emu_output_peek(e);

	sink_push(pt, &pt->pty, o.p, o.len);
	sink_push(pt, &pt->tcp, o.p, o.len);
	emu_output_consume(e, o.len);
}

/* ---- pty ---------------------------------------------------------------- */

static void
make_raw(struct termios *t)
{
	t->c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON |
	    IXOFF);
	t->c_oflag &= ~(tcflag_t)OPOST;
	t->c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t->c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
	t->c_cflag |= CS8 | CREAD | CLOCAL;
	t->c_cc[VMIN] = 1;
	t->c_cc[VTIME] = 0;
}

static int
open_pty(struct port *pt, const char *path)
{
	struct termios t;
	struct stat st;
	const char *name;
	int m;

	m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) != 0 || unlockpt(m) != 0 || (name = ptsname(m)) == NULL) {
		fprintf(stderr, "atproof emu: cannot create a pseudo-terminal: %s\n",
		    strerror(errno));
		if (m >= 0)
			close(m);
		return -1;
	}
	/* We keep the slave open: the master then never reads EIO between two
	 * clients, and the raw settings stay for clients (chat) that set none. */
	pt->slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (pt->slave < 0 || tcgetattr(pt->slave, &t) != 0) {
		fprintf(stderr, "atproof emu: cannot open %s: %s\n", name, strerror(errno));
		close(m);
		return -1;
	}
	make_raw(&t);
	cfsetispeed(&t, B115200);
	cfsetospeed(&t, B115200);
	tcsetattr(pt->slave, TCSANOW, &t);
	fcntl(m, F_SETFL, fcntl(m, F_GETFL) | O_NONBLOCK);
	fcntl(m, F_SETFD, FD_CLOEXEC);
	if (lstat(path, &st) == 0) {
		if (!S_ISLNK(st.st_mode)) {
			fprintf(stderr, "atproof emu: %s exists and is not a symlink\n", path);
			close(m);
			return -1;
		}
		unlink(path);    /* a stale link from an earlier run */
	}
	if (symlink(name, path) != 0) {
		fprintf(stderr, "atproof emu: cannot make %s a symlink to %s: %s\n", path, name,
		    strerror(errno));
		close(m);
		return -1;
	}
	pt->link = atp_strdup(path);
	pt->master = m;
	pt->pty.fd = m;
	if (emu_loop_add_fd(pt->loop, m, EMU_EV_IN, on_fd, pt) != ATP_OK)
		return -1;
	fprintf(stderr, "atproof emu: module %u on %s -> %s (%s)\n", pt->index, path, name,
	    pt->e->prof->name);
	return 0;
}

/* ---- TCP ---------------------------------------------------------------- */

static void
tcp_drop_client(struct port *pt)
{
	if (pt->tcp.fd < 0)
		return;
	emu_loop_del_fd(pt->loop, pt->tcp.fd);
	close(pt->tcp.fd);
	pt->tcp.fd = -1;
	pt->tcp.len = 0;
	pt->tcp.want_out = 0;
	emu_log_note(pt->e, "TCP client gone");
	if (pt->lfd >= 0)
		emu_loop_add_fd(pt->loop, pt->lfd, EMU_EV_IN, on_fd, pt);
}

static void
tcp_accept(struct port *pt)
{
	int c = accept(pt->lfd, NULL, NULL), one = 1;

	if (c < 0)
		return;
	fcntl(c, F_SETFL, fcntl(c, F_GETFL) | O_NONBLOCK);
	fcntl(c, F_SETFD, FD_CLOEXEC);
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	pt->tcp.fd = c;
	pt->tcp.want_out = 0;
	if (emu_loop_add_fd(pt->loop, c, EMU_EV_IN, on_fd, pt) != ATP_OK) {
		close(c);
		pt->tcp.fd = -1;
		return;
	}
	/* One client at a time: the next waits in the backlog. */
	emu_loop_del_fd(pt->loop, pt->lfd);
	emu_log_note(pt->e, "TCP client connected");
}

static int
open_tcp(struct port *pt, const char *host, unsigned port)
{
	struct addrinfo hints, *res = NULL;
	char ps[16];
	int fd, one = 1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(ps, sizeof(ps), "%u", port);
	rc = getaddrinfo(host, ps, &hints, &res);
	if (rc != 0) {
		fprintf(stderr, "atproof emu: --tcp %s:%u: %s\n", host, port, gai_strerror(rc));
		return -1;
	}
	fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol);
	if (fd < 0) {
		freeaddrinfo(res);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 4) != 0) {
		fprintf(stderr, "atproof emu: cannot listen on %s:%u: %s\n", host, port,
		    strerror(errno));
		close(fd);
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	pt->lfd = fd;
	if (emu_loop_add_fd(pt->loop, fd, EMU_EV_IN, on_fd, pt) != ATP_OK)
		return -1;
	fprintf(stderr, "atproof emu: module %u on tcp %s:%u (%s)\n", pt->index, host, port,
	    pt->e->prof->name);
	return 0;
}

/* ---- events ------------------------------------------------------------- */

static speed_t speed_of(unsigned long baud);

static void
on_fd(struct emu_loop *loop, int fd, unsigned ev, void *ctx)
{
	struct port *pt = ctx;
	uint8_t buf[4096];
	ssize_t k;

	(void)loop;
	if (fd == pt->lfd) {
		tcp_accept(pt);
		return;
	}
	if (ev & EMU_EV_OUT)
		sink_flush(pt, fd == pt->master ? &pt->pty : &pt->tcp);
	if (!(ev & EMU_EV_IN))
		return;
	k = read(fd, buf, sizeof(buf));
	if (k > 0 && fd == pt->master && pt->speed != 0) {
		struct termios t;
		speed_t cs = 0;
		/* The client's rate is the pty's termios speed (the slave's,
		 * which the master shares); a UART at another rate reads
		 * framing garbage, not the bytes: here 0xff, never a line end,
		 * which the firmware buffers as it would the real garbage.
		 * With --line-signal it is read again only after a SIGUSR2:
		 * the client signals before it writes at the new rate, and a
		 * signal pending when read() returns is handled before we get
		 * here, so these bytes never meet a stale rate. */
		if (line_signal && pt->client != 0 && pt->client_gen == line_gen) {
			cs = pt->client;
		} else {
			sig_atomic_t g = line_gen;
			if (tcgetattr(pt->slave, &t) == 0) {
				cs = cfgetospeed(&t);
				pt->client = cs;
				pt->client_gen = g;
			}
		}
		if (cs != 0 && cs != speed_of(pt->e->line_baud)) {
			emu_log_note(pt->e, "%zd bytes at another baud rate: read as garbage", k);
			memset(buf, 0xff, (size_t)k);
		}
	}
	if (k > 0) {
		emu_input(pt->e, buf, (size_t)k);
		return;
	}
	if (k < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (fd == pt->tcp.fd)
		tcp_drop_client(pt);
	/* The pty master cannot hang up while we hold the slave. */
}

static unsigned long reset_count;

/* SIGUSR1: every module boots again, as on a pulse of its reset pin. */
static void
on_reset(struct emu_loop *loop, int fd, unsigned ev, void *ctx)
{
	struct port *ports = ctx;
	unsigned long i;
	char b[16];

	(void)loop;
	(void)ev;
	while (read(fd, b, sizeof(b)) > 0)
		;
	for (i = 0; i < reset_count; i++) {
		if (ports[i].e == NULL)
			continue;     /* not made yet */
		emu_log_note(ports[i].e, "reset line pulsed: power cycle");
		emu_reset(ports[i].e, 1);
	}
}

/* ---- options ------------------------------------------------------------ */

struct opts {
	const char *pty, *tcp, *firmware, *world, *flash, *log;
	uint8_t mac[6];
	int has_mac;
	speed_t speed;
	unsigned long baud;
	const char *faults[FAULTS_ARGS_MAX];
	size_t nfaults;
	int allow_net;
	unsigned long count;
};

/* "--name VALUE" or "--name=VALUE": 1 and *val set if argv[*i] is @name. */
static int
opt_val(int argc, char **argv, int *i, const char *name, const char **val, int *bad)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) != 0)
		return 0;
	if (argv[*i][n] == '=') {
		*val = argv[*i] + n + 1;
		return 1;
	}
	if (argv[*i][n] != '\0')
		return 0;
	if (*i + 1 >= argc) {
		fprintf(stderr, "atproof emu: %s needs a value\n", name);
		*bad = 1;
		return 1;
	}
	*val = argv[++*i];
	return 1;
}

/* "28:6d:cd:00:4e:7d" (either case). */
static int
parse_mac(const char *s, uint8_t mac[6])
{
	uint64_t b;
	size_t i;

	if (strlen(s) != 17)
		return -1;
	for (i = 0; i < 6; i++) {
		if ((i < 5 && s[3 * i + 2] != ':') ||
		    atp_span_hex(atp_span_make(s + 3 * i, 2), &b, 0xff) != ATP_OK)
			return -1;
		mac[i] = (uint8_t)b;
	}
	return 0;
}

/* A rate as termios names it; 0 if it has no name. */
static speed_t
speed_of(unsigned long baud)
{
	static const struct {
		unsigned long baud;
		speed_t sp;
	} rates[] = { { 1200, B1200 }, { 2400, B2400 }, { 4800, B4800 }, { 9600, B9600 },
		{ 19200, B19200 }, { 38400, B38400 }, { 57600, B57600 }, { 115200, B115200 },
		{ 230400, B230400 }, { 460800, B460800 }, { 921600, B921600 },
		{ 2000000, B2000000 }, { 3000000, B3000000 }, { 4000000, B4000000 },
		{ 600, B600 }, { 1800, B1800 }, { 1000000, B1000000 }, { 1500000, B1500000 } };
	size_t i;

	for (i = 0; i < sizeof(rates) / sizeof(rates[0]); i++)
		if (rates[i].baud == baud)
			return rates[i].sp;
	return 0;
}

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	const char *v = NULL;
	int i, bad = 0;

	memset(o, 0, sizeof(*o));
	o->count = 1;
	for (i = 1; i < argc && !bad; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			exit(ATP_EXIT_PASS);
		} else if (strcmp(argv[i], "--allow-net") == 0) {
			o->allow_net = 1;
		} else if (strcmp(argv[i], "--line-signal") == 0) {
			line_signal = 1;
		} else if (opt_val(argc, argv, &i, "--pty", &v, &bad)) {
			o->pty = v;
		} else if (opt_val(argc, argv, &i, "--tcp", &v, &bad)) {
			o->tcp = v;
		} else if (opt_val(argc, argv, &i, "--firmware", &v, &bad)) {
			o->firmware = v;
		} else if (opt_val(argc, argv, &i, "--world", &v, &bad)) {
			o->world = v;
		} else if (opt_val(argc, argv, &i, "--flash", &v, &bad)) {
			o->flash = v;
		} else if (opt_val(argc, argv, &i, "--log", &v, &bad)) {
			o->log = v;
		} else if (opt_val(argc, argv, &i, "--fault", &v, &bad)) {
			if (o->nfaults == FAULTS_ARGS_MAX) {
				fprintf(stderr, "atproof emu: more than %d --fault options\n",
				    FAULTS_ARGS_MAX);
				return -1;
			}
			if (!bad)
				o->faults[o->nfaults++] = v;
		} else if (opt_val(argc, argv, &i, "--mac", &v, &bad)) {
			if (!bad && parse_mac(v, o->mac) != 0) {
				fprintf(stderr, "atproof emu: --mac wants XX:XX:XX:XX:XX:XX, not '%s'\n",
				    v);
				return -1;
			}
			o->has_mac = 1;
		} else if (opt_val(argc, argv, &i, "--baud", &v, &bad)) {
			uint64_t n;
			if (!bad && (atp_span_dec(atp_span_str(v), &n, 4000000) != ATP_OK ||
			    (o->speed = speed_of((unsigned long)n)) == 0)) {
				fprintf(stderr, "atproof emu: --baud %s is not a rate a tty has\n", v);
				return -1;
			}
			o->baud = (unsigned long)n;
		} else if (opt_val(argc, argv, &i, "--count", &v, &bad)) {
			uint64_t n;
			if (!bad && (atp_span_dec(atp_span_str(v), &n, COUNT_MAX) != ATP_OK || n == 0 ||
			    n > COUNT_MAX)) {
				fprintf(stderr, "atproof emu: --count must be 1..%d\n", COUNT_MAX);
				return -1;
			}
			o->count = (unsigned long)n;
		} else {
			fprintf(stderr, "atproof emu: unknown option '%s' (see atproof emu --help)\n",
			    argv[i]);
			return -1;
		}
	}
	if (bad)
		return -1;
	if (o->pty == NULL && o->tcp == NULL) {
		fprintf(stderr, "atproof emu: give --pty PATH or --tcp [HOST:]PORT (see --help)\n");
		return -1;
	}
	return 0;
}

/* "[HOST:]PORT" -> host (default 127.0.0.1) and port. */
static int
parse_hostport(const char *s, char *host, size_t hsize, unsigned *port)
{
	const char *colon = strrchr(s, ':');
	uint64_t p;

	if (colon == NULL) {
		snprintf(host, hsize, "127.0.0.1");
		colon = s - 1;
	} else {
		if (colon == s || (size_t)(colon - s) >= hsize)
			return -1;
		snprintf(host, hsize, "%.*s", (int)(colon - s), s);
	}
	if (atp_span_dec(atp_span_str(colon + 1), &p, 65535) != ATP_OK)
		return -1;
	*port = (unsigned)p;
	return 0;
}

/* ---- main ---------------------------------------------------------------- */

static char tmpdir[64];

static void
cleanup_tmpdir(unsigned long count)
{
	char p[128];
	unsigned long i;

	if (tmpdir[0] == '\0')
		return;
	for (i = 0; i < count; i++) {
		snprintf(p, sizeof(p), "%s/flash-%lu", tmpdir, i);
		unlink(p);
	}
	rmdir(tmpdir);
}

int
emu_cli(int argc, char **argv)
{
	struct opts o;
	struct emu_faults faults;
	struct emu_world *world = NULL;
	struct emu_log *log = NULL;
	struct emu_loop *loop = NULL;
	struct port *ports = NULL;
	const struct atp_profile *prof;
	struct atp_diag d;
	char host[256], msg[ATP_DIAG_MSG_MAX + 300];
	unsigned port = 0;
	unsigned long i;
	size_t k;
	int rc = ATP_EXIT_PASS;

	if (parse_opts(argc, argv, &o) != 0)
		return ATP_EXIT_USAGE;
	prof = atp_profile_find(o.firmware != NULL ? o.firmware : "luat");
	if (prof == NULL) {
		fprintf(stderr, "atproof emu: no firmware profile '%s' (one of:", o.firmware);
		for (k = 0; k < atp_profile_count(); k++)
			fprintf(stderr, " %s", atp_profile_at(k)->name);
		fprintf(stderr, ")\n");
		return ATP_EXIT_USAGE;
	}
	memset(&faults, 0, sizeof(faults));
	faults.seed = 1;
	for (k = 0; k < o.nfaults; k++) {
		atp_diag_clear(&d);
		if (emu_fault_parse(&faults, o.faults[k], &d) != ATP_OK) {
			fprintf(stderr, "atproof emu: %s\n", d.msg);
			return ATP_EXIT_USAGE;
		}
	}
	if (o.tcp != NULL && parse_hostport(o.tcp, host, sizeof(host), &port) != 0) {
		fprintf(stderr, "atproof emu: --tcp wants [HOST:]PORT, not '%s'\n", o.tcp);
		return ATP_EXIT_USAGE;
	}
	if (o.tcp != NULL && port + o.count - 1 > 65535) {
		fprintf(stderr, "atproof emu: ports %u..%lu do not fit\n", port, port + o.count - 1);
		return ATP_EXIT_USAGE;
	}
	atp_diag_clear(&d);
	rc = o.world != NULL ? emu_world_load(o.world, &world, &d) : emu_world_default(&world, &d);
	if (rc != ATP_OK) {
		fprintf(stderr, "atproof emu: %s\n", atp_diag_format(&d, msg, sizeof(msg)));
		return rc == ATP_ERR_IO ? ATP_EXIT_USAGE : ATP_EXIT_USAGE;
	}
	rc = ATP_EXIT_PASS;
	if (emu_log_open(o.log != NULL ? o.log : "-", o.count > 1, &log, &d) != ATP_OK) {
		fprintf(stderr, "atproof emu: %s\n", d.msg);
		emu_world_free(world);
		return ATP_EXIT_ENV;
	}
	if (o.flash == NULL) {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/atproof-emu-XXXXXX");
		if (mkdtemp(tmpdir) == NULL) {
			fprintf(stderr, "atproof emu: cannot make a folder for the flash: %s\n",
			    strerror(errno));
			tmpdir[0] = '\0';
			rc = ATP_EXIT_ENV;
			goto out;
		}
	}
	if (emu_loop_new(0, &loop) != ATP_OK) {
		fprintf(stderr, "atproof emu: cannot create the event loop\n");
		rc = ATP_EXIT_ENV;
		goto out;
	}
	ports = atp_calloc(o.count, sizeof(*ports));
	if (ports == NULL) {
		rc = ATP_EXIT_ENV;
		goto out;
	}
	for (i = 0; i < o.count; i++) {
		ports[i].master = ports[i].slave = ports[i].lfd = -1;
		ports[i].pty.fd = ports[i].tcp.fd = -1;
	}
	stop_loop = loop;
	if (pipe(reset_pipe) == 0) {
		fcntl(reset_pipe[0], F_SETFL, fcntl(reset_pipe[0], F_GETFL) | O_NONBLOCK);
		fcntl(reset_pipe[1], F_SETFL, fcntl(reset_pipe[1], F_GETFL) | O_NONBLOCK);
		fcntl(reset_pipe[0], F_SETFD, FD_CLOEXEC);
		fcntl(reset_pipe[1], F_SETFD, FD_CLOEXEC);
		(void)emu_loop_add_fd(loop, reset_pipe[0], EMU_EV_IN, on_reset, ports);
		struct sigaction sa;
		reset_count = o.count;
		/* sigaction, not signal(): strict POSIX's signal() is one-shot
		 * (System V), and a rig pulses the reset line more than once. */
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sa.sa_flags = SA_RESTART;
		sigemptyset(&sa.sa_mask);
		(void)sigaction(SIGUSR1, &sa, NULL);
	}
	{
		/* Before the pty exists: a client's first SIGUSR2 must not
		 * find the default action (termination). */
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sa.sa_flags = SA_RESTART;
		sigemptyset(&sa.sa_mask);
		(void)sigaction(SIGUSR2, &sa, NULL);
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < o.count; i++) {
		struct port *pt = &ports[i];
		struct emu_config cfg;
		char flash[4200], path[4200];

		if (o.flash == NULL)
			snprintf(flash, sizeof(flash), "%s/flash-%lu", tmpdir, i);
		else if (o.count == 1)
			snprintf(flash, sizeof(flash), "%s", o.flash);
		else
			snprintf(flash, sizeof(flash), "%s-%lu", o.flash, i);
		memset(&cfg, 0, sizeof(cfg));
		cfg.prof = prof;
		cfg.world = world;
		cfg.faults = &faults;
		cfg.flash_path = flash;
		cfg.log = log;
		cfg.index = (unsigned)i;
		cfg.allow_net = o.allow_net;
		pt->loop = loop;
		pt->index = (unsigned)i;
		atp_diag_clear(&d);
		if (emu_new(loop, &cfg, &pt->e, &d) != ATP_OK) {
			fprintf(stderr, "atproof emu: module %lu: %s\n", i, d.msg);
			rc = ATP_EXIT_ENV;
			goto out;
		}
		emu_set_output_cb(pt->e, on_output, pt);
		pt->speed = o.speed;
		if (o.speed != 0) {
			/* The module runs at N because its flash says so (as
			 * after AT+UART=!N): AT+Z and power cycles come back at
			 * N, RSTF and AT+Z at the factory 115200. */
			pt->e->flash.uart.baud = pt->e->ram.uart.baud = (unsigned)o.baud;
			pt->e->line_baud = (unsigned)o.baud;
		}
		if (o.has_mac) {
			/* Module i: MAC + i, carried over the 48 bits. */
			uint64_t m = 0;
			for (k = 0; k < 6; k++)
				m = m << 8 | o.mac[k];
			m += i;
			for (k = 6; k-- > 0; m >>= 8)
				pt->e->mac[k] = (uint8_t)m;
			memcpy(pt->e->apmac, pt->e->mac, 6);
			pt->e->apmac[0] |= 0x02;    /* the SoftAP's, locally administered */
		}
		if (o.pty != NULL) {
			if (o.count == 1)
				snprintf(path, sizeof(path), "%s", o.pty);
			else
				snprintf(path, sizeof(path), "%s-%lu", o.pty, i);
			if (open_pty(pt, path) != 0) {
				rc = ATP_EXIT_ENV;
				goto out;
			}
		}
		if (o.tcp != NULL && open_tcp(pt, host, port + (unsigned)i) != 0) {
			rc = ATP_EXIT_ENV;
			goto out;
		}
	}
	if (emu_loop_run(loop) != ATP_OK) {
		fprintf(stderr, "atproof emu: event loop failed: %s\n", strerror(errno));
		rc = ATP_EXIT_ENV;
	}
out:
	for (i = 0; ports != NULL && i < o.count; i++) {
		struct port *pt = &ports[i];
		if (pt->link != NULL) {
			unlink(pt->link);
			atp_free(pt->link);
		}
		if (pt->master >= 0)
			close(pt->master);
		if (pt->slave >= 0)
			close(pt->slave);
		if (pt->tcp.fd >= 0)
			close(pt->tcp.fd);
		if (pt->lfd >= 0)
			close(pt->lfd);
		atp_free(pt->pty.q);
		atp_free(pt->tcp.q);
		emu_free(pt->e);
	}
	atp_free(ports);
	/* A second SIGINT/SIGTERM (Ctrl-C to the group, then the harness's
	 * own SIGTERM) may come while we clean up: the handler must not
	 * reach the freed loop or a closed pipe. */
	stop_loop = NULL;
	emu_loop_free(loop);
	if (reset_pipe[0] >= 0) {
		int w = reset_pipe[1];
		reset_pipe[1] = -1;
		close(reset_pipe[0]);
		close(w);
	}
	emu_log_close(log);
	emu_world_free(world);
	cleanup_tmpdir(o.count);
	return rc;
}
