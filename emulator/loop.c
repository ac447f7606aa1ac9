/* SPDX-License-Identifier: MIT */
/* \summary: the emulator's event loop: poll(), timers, a real or virtual clock */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "emulator/emu.h"

/*
 * One loop serves every module of the process: the ptys or sockets of the
 * transports and of the networking code, and the timers that give blocking
 * commands their duration. With a virtual clock (unit tests, the fuzz
 * target) time moves only through emu_loop_advance(), so a 5 s WSCAN takes
 * no time at all and a test is deterministic.
 */

#define FDS_MAX 8192
#define TIMERS_MAX 65536

struct fdent {
	int fd;
	unsigned events;
	emu_fd_fn *cb;
	void *ctx;
};

struct timer {
	uint64_t id;
	uint64_t due;
	emu_timer_fn *cb;
	void *ctx;
};

struct emu_loop {
	int virtual_clock;
	uint64_t vnow;
	struct fdent *fds;
	size_t nfds, capfds;
	struct timer *timers;
	size_t ntimers, captimers;
	uint64_t next_id;
	int stop;
	int pipe_rd, pipe_wr;     /* self-pipe for emu_loop_stop_async() */
};

uint64_t
emu_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t
emu_loop_now(const struct emu_loop *loop)
{
	if (loop != NULL && loop->virtual_clock)
		return loop->vnow;
	return emu_now_us();
}

static void
drain_pipe(struct emu_loop *loop, int fd, unsigned revents, void *ctx)
{
	char buf[64];

	(void)revents;
	(void)ctx;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	loop->stop = 1;
}

int
emu_loop_new(int virtual_clock, struct emu_loop **out)
{
	struct emu_loop *loop;
	int p[2];

	*out = NULL;
	loop = atp_calloc(1, sizeof(*loop));
	if (loop == NULL)
		return ATP_ERR_NOMEM;
	loop->virtual_clock = virtual_clock;
	loop->vnow = 1000000;    /* a virtual clock starts at 1 s, not 0 */
	loop->next_id = 1;
	loop->pipe_rd = loop->pipe_wr = -1;
	if (!virtual_clock) {
		if (pipe(p) != 0) {
			atp_free(loop);
			return ATP_ERR_IO;
		}
		fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
		fcntl(p[1], F_SETFL, fcntl(p[1], F_GETFL) | O_NONBLOCK);
		fcntl(p[0], F_SETFD, FD_CLOEXEC);
		fcntl(p[1], F_SETFD, FD_CLOEXEC);
		loop->pipe_rd = p[0];
		loop->pipe_wr = p[1];
		if (emu_loop_add_fd(loop, p[0], EMU_EV_IN, drain_pipe, NULL) != ATP_OK) {
			close(p[0]);
			close(p[1]);
			atp_free(loop);
			return ATP_ERR_NOMEM;
		}
	}
	*out = loop;
	return ATP_OK;
}

void
emu_loop_free(struct emu_loop *loop)
{
	if (loop == NULL)
		return;
	if (loop->pipe_rd >= 0)
		close(loop->pipe_rd);
	if (loop->pipe_wr >= 0)
		close(loop->pipe_wr);
	atp_free(loop->fds);
	atp_free(loop->timers);
	atp_free(loop);
}

static struct fdent *
find_fd(struct emu_loop *loop, int fd)
{
	size_t i;

	for (i = 0; i < loop->nfds; i++)
		if (loop->fds[i].fd == fd)
			return &loop->fds[i];
	return NULL;
}

int
emu_loop_add_fd(struct emu_loop *loop, int fd, unsigned events, emu_fd_fn *cb, void *ctx)
{
	struct fdent *f;

	if (loop == NULL || fd < 0 || cb == NULL)
		return ATP_ERR_ARG;
	f = find_fd(loop, fd);
	if (f == NULL) {
		if (loop->nfds == loop->capfds) {
			size_t cap = loop->capfds ? loop->capfds * 2 : 16;
			struct fdent *n;
			if (cap > FDS_MAX)
				return ATP_ERR_LIMIT;
			n = atp_realloc(loop->fds, cap * sizeof(*n));
			if (n == NULL)
				return ATP_ERR_NOMEM;
			loop->fds = n;
			loop->capfds = cap;
		}
		f = &loop->fds[loop->nfds++];
	}
	f->fd = fd;
	f->events = events;
	f->cb = cb;
	f->ctx = ctx;
	return ATP_OK;
}

int
emu_loop_mod_fd(struct emu_loop *loop, int fd, unsigned events)
{
	struct fdent *f = loop != NULL ? find_fd(loop, fd) : NULL;

	if (f == NULL)
		return ATP_ERR_NOTFOUND;
	f->events = events;
	return ATP_OK;
}

void
emu_loop_del_fd(struct emu_loop *loop, int fd)
{
	struct fdent *f = loop != NULL ? find_fd(loop, fd) : NULL;

	if (f == NULL)
		return;
	*f = loop->fds[--loop->nfds];
}

uint64_t
emu_timer_add(struct emu_loop *loop, uint64_t usec, emu_timer_fn *cb, void *ctx)
{
	struct timer *t;

	if (loop == NULL || cb == NULL)
		return 0;
	if (loop->ntimers == loop->captimers) {
		size_t cap = loop->captimers ? loop->captimers * 2 : 16;
		struct timer *n;
		if (cap > TIMERS_MAX)
			return 0;
		n = atp_realloc(loop->timers, cap * sizeof(*n));
		if (n == NULL)
			return 0;
		loop->timers = n;
		loop->captimers = cap;
	}
	t = &loop->timers[loop->ntimers++];
	t->id = loop->next_id++;
	t->due = emu_loop_now(loop) + usec;
	t->cb = cb;
	t->ctx = ctx;
	return t->id;
}

void
emu_timer_cancel(struct emu_loop *loop, uint64_t id)
{
	size_t i;

	if (loop == NULL || id == 0)
		return;
	for (i = 0; i < loop->ntimers; i++) {
		if (loop->timers[i].id == id) {
			loop->timers[i] = loop->timers[--loop->ntimers];
			return;
		}
	}
}

/* The earliest timer due at or before @limit and created before @maxid
 * (timers a callback adds wait for the next round), or -1. */
static long
earliest(const struct emu_loop *loop, uint64_t limit, uint64_t maxid)
{
	long best = -1;
	size_t i;

	for (i = 0; i < loop->ntimers; i++) {
		const struct timer *t = &loop->timers[i];
		if (t->due > limit || t->id >= maxid)
			continue;
		if (best < 0 || t->due < loop->timers[best].due ||
		    (t->due == loop->timers[best].due && t->id < loop->timers[best].id))
			best = (long)i;
	}
	return best;
}

static void
fire(struct emu_loop *loop, size_t i)
{
	struct timer t = loop->timers[i];

	loop->timers[i] = loop->timers[--loop->ntimers];
	t.cb(loop, t.ctx);
}

/* Fires the timers due now, in order, one round. */
static void
run_timers(struct emu_loop *loop)
{
	uint64_t maxid = loop->next_id;
	long i;

	while ((i = earliest(loop, emu_loop_now(loop), maxid)) >= 0)
		fire(loop, (size_t)i);
}

static int
poll_fds(struct emu_loop *loop, int timeout_ms)
{
	struct pollfd pfd[64];
	struct pollfd *p = pfd;
	size_t n = loop->nfds, i;
	int rc;

	if (n == 0) {
		if (timeout_ms > 0 && !loop->virtual_clock) {
			struct timespec ts = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L };
			nanosleep(&ts, NULL);
		}
		return ATP_OK;
	}
	if (n > sizeof(pfd) / sizeof(pfd[0])) {
		p = atp_malloc(n * sizeof(*p));
		if (p == NULL)
			return ATP_ERR_NOMEM;
	}
	for (i = 0; i < n; i++) {
		p[i].fd = loop->fds[i].fd;
		p[i].events = (short)(((loop->fds[i].events & EMU_EV_IN) ? POLLIN : 0) |
		    ((loop->fds[i].events & EMU_EV_OUT) ? POLLOUT : 0));
		p[i].revents = 0;
	}
	rc = poll(p, (nfds_t)n, timeout_ms);
	if (rc < 0) {
		if (p != pfd)
			atp_free(p);
		return errno == EINTR ? ATP_OK : ATP_ERR_IO;
	}
	for (i = 0; i < n && rc > 0; i++) {
		struct fdent *f;
		unsigned ev = 0;
		if (p[i].revents == 0)
			continue;
		rc--;
		/* A callback may have removed this fd or others: look it up
		 * again, so a stale entry is never called. */
		f = find_fd(loop, p[i].fd);
		if (f == NULL)
			continue;
		if (p[i].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))
			ev |= EMU_EV_IN;
		if (p[i].revents & POLLOUT)
			ev |= EMU_EV_OUT;
		f->cb(loop, p[i].fd, ev, f->ctx);
	}
	if (p != pfd)
		atp_free(p);
	return ATP_OK;
}

int
emu_loop_run_once(struct emu_loop *loop, int timeout_ms)
{
	long i;
	int rc;

	if (loop == NULL)
		return ATP_ERR_ARG;
	if (loop->virtual_clock)
		timeout_ms = 0;
	i = earliest(loop, UINT64_MAX, UINT64_MAX);
	if (i >= 0) {
		uint64_t now = emu_loop_now(loop), due = loop->timers[i].due;
		uint64_t ms = due > now ? (due - now + 999) / 1000 : 0;
		if (timeout_ms < 0 || ms < (uint64_t)timeout_ms)
			timeout_ms = (int)(ms > 60000 ? 60000 : ms);
	}
	rc = poll_fds(loop, timeout_ms);
	run_timers(loop);
	return rc;
}

int
emu_loop_run(struct emu_loop *loop)
{
	int rc = ATP_OK;

	loop->stop = 0;
	while (!loop->stop) {
		/* No timeout of our own: a timer, an fd or the self-pipe of a
		 * signal wakes the loop. A poll() with a timeout arms a kernel
		 * timer every round, a sixth of a pty round trip (issue 4). */
		rc = emu_loop_run_once(loop, -1);
		if (rc != ATP_OK)
			break;
	}
	return rc;
}

void
emu_loop_stop(struct emu_loop *loop)
{
	if (loop != NULL)
		loop->stop = 1;
}

void
emu_loop_stop_async(struct emu_loop *loop)
{
	int saved = errno;

	if (loop != NULL && loop->pipe_wr >= 0)
		(void)!write(loop->pipe_wr, "x", 1);
	errno = saved;
}

void
emu_loop_advance(struct emu_loop *loop, uint64_t usec)
{
	uint64_t target;
	unsigned long guard = 0;
	long i;

	if (loop == NULL)
		return;
	if (!loop->virtual_clock) {
		emu_loop_run_once(loop, 0);
		return;
	}
	target = loop->vnow + usec;
	poll_fds(loop, 0);
	/* A callback that re-arms a zero timer forever would spin: the guard
	 * bounds one advance to a million firings. */
	while ((i = earliest(loop, target, UINT64_MAX)) >= 0 && guard++ < 1000000) {
		if (loop->timers[i].due > loop->vnow)
			loop->vnow = loop->timers[i].due;
		fire(loop, (size_t)i);
	}
	loop->vnow = target;
	poll_fds(loop, 0);
}
