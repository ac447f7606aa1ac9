/* SPDX-License-Identifier: MIT */
/* \summary: the module's socket table on real non-blocking loopback sockets */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "emulator/net_int.h"

/*
 * Twenty sockets, numbered 1..20 as the firmware numbers its netconns
 * (firmware §3, TLS_MAX_NETCONN_NUM). A TCP server's accepted clients take
 * numbers from the same table and are listed under it by SKSTT (§2.2.3.13).
 * Each socket keeps what it received and nobody read in a cache of 511
 * bytes, the newest bytes winning (firmware §8.2: a 512-byte ring).
 *
 * Choices where neither the manual nor the firmware notes decide:
 *   - a TCP or UDP client binds no local port: the manual's own §3.9 asks
 *     for local port 1000 and SKSTT then shows 1024, an ephemeral port;
 *   - a server listens on 127.0.0.1 at its port, or where the world maps
 *     the module's own address and that port;
 *   - a UDP server answers the source of the last datagram it received,
 *     and counts as connected (status 2) once it has one.
 */

static void sock_event(struct emu_loop *loop, int fd, unsigned revents, void *ctx);

static const char *
proto_name(const struct emu_net_sock *s)
{
	return s->proto == 0 ? "TCP" : "UDP";
}

struct emu_net_sock *
emu_net_sock_get(struct emu_net *n, long num)
{
	if (num < 1 || num > EMU_NET_SOCKETS)
		return NULL;
	return &n->socks[num - 1];
}

/* Puts a slot back to its unused state (the fd must be closed already). */
static void
slot_clear(struct emu_net_sock *s)
{
	struct emu_net *n = s->net;
	int num = s->num;

	atp_free(s->tx);
	memset(s, 0, sizeof(*s));
	s->net = n;
	s->num = num;
	s->fd = -1;
	s->state = EMU_NET_FREE;
}

struct emu_net_sock *
emu_net_sock_alloc(struct emu_net *n)
{
	size_t i;

	for (i = 0; i < EMU_NET_SOCKETS; i++) {
		if (n->socks[i].state == EMU_NET_FREE) {
			slot_clear(&n->socks[i]);
			return &n->socks[i];
		}
	}
	return NULL;
}

static int
nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0)
		return -1;
	return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static int
new_socket(struct emu *e, unsigned proto)
{
	int fd = socket(AF_INET, proto == 0 ? SOCK_STREAM : SOCK_DGRAM, 0);

	if (fd < 0) {
		emu_log_note(e, "socket(): %s", strerror(errno));
		return -1;
	}
	if (nonblock(fd) != 0) {
		emu_log_note(e, "fcntl(): %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static uint16_t
local_port(int fd)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);

	if (getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
		return 0;
	return ntohs(sa.sin_port);
}

static void
drop_fd(struct emu_net_sock *s)
{
	struct emu *e = s->net->e;

	if (s->fd >= 0) {
		emu_loop_del_fd(e->loop, s->fd);
		close(s->fd);
		s->fd = -1;
	}
	emu_timer_cancel(e->loop, s->idle_timer);
	emu_timer_cancel(e->loop, s->conn_timer);
	emu_timer_cancel(e->loop, s->delay_timer);
	s->idle_timer = s->conn_timer = s->delay_timer = 0;
}

static int
watch(struct emu_net_sock *s, unsigned events)
{
	struct emu *e = s->net->e;

	if (emu_loop_add_fd(e->loop, s->fd, events, sock_event, s) != ATP_OK) {
		emu_log_note(e, "socket %d: the event loop is full", s->num);
		return -1;
	}
	return 0;
}

/* ---- connect -------------------------------------------------------- */

/* Reports the outcome once the connect is over and the world's connect
 * time has passed, so that SKCT takes as long as a real module's. */
static void
conn_maybe_done(struct emu_net_sock *s)
{
	emu_net_conn_fn *fn = s->on_done;
	int ok = s->conn_result > 0;

	if (s->conn_result == 0 || !s->delay_over)
		return;
	s->on_done = NULL;
	if (!ok) {
		drop_fd(s);
		s->state = EMU_NET_FREE;
	}
	if (fn != NULL)
		fn(s, ok);
	if (!ok)
		slot_clear(s);
}

static void
conn_timeout(struct emu_loop *loop, void *ctx)
{
	struct emu_net_sock *s = ctx;

	(void)loop;
	s->conn_timer = 0;
	emu_log_note(s->net->e, "socket %d: connect timed out after %u s", s->num,
	    EMU_NET_CONNECT_US / 1000000u);
	s->conn_result = -1;
	s->delay_over = 1;
	conn_maybe_done(s);
}

static void
conn_delay(struct emu_loop *loop, void *ctx)
{
	struct emu_net_sock *s = ctx;

	(void)loop;
	s->delay_timer = 0;
	s->delay_over = 1;
	conn_maybe_done(s);
}

static void
connected(struct emu_net_sock *s)
{
	struct emu *e = s->net->e;
	char a[16];

	emu_timer_cancel(e->loop, s->conn_timer);
	s->conn_timer = 0;
	s->state = EMU_NET_CONNECTED;
	s->lport = local_port(s->fd);
	s->conn_result = 1;
	if (s->fd >= 0)
		emu_loop_mod_fd(e->loop, s->fd, EMU_EV_IN);
	emu_log_note(e, "socket %d: %s client connected to %s:%u (local port %u)", s->num,
	    proto_name(s), emu_fmt_ip(s->rip, a), (unsigned)s->rport, (unsigned)s->lport);
}

static int
open_client(struct emu_net *n, struct emu_net_sock *s, emu_net_conn_fn *on_done)
{
	struct emu *e = n->e;
	char real[32], a[16];
	int fd, rc;

	if (emu_net_route(e, s->rip, s->rport, &s->peer, "SKCT") != 0)
		return -13;
	fd = new_socket(e, s->proto);
	if (fd < 0)
		return -13;
	s->fd = fd;
	emu_net_fmt_sa(&s->peer, real, sizeof(real));
	rc = connect(fd, (const struct sockaddr *)&s->peer, sizeof(s->peer));
	if (rc != 0 && errno != EINPROGRESS) {
		emu_log_note(e, "socket %d: %s connect to %s:%u (%s) failed: %s", s->num,
		    proto_name(s), emu_fmt_ip(s->rip, a), (unsigned)s->rport, real,
		    strerror(errno));
		drop_fd(s);
		return -13;
	}
	if (s->proto == 1) {
		/* UDP: connect() only sets the peer; nothing goes on the wire. */
		s->state = EMU_NET_CONNECTED;
		s->lport = local_port(fd);
		if (watch(s, EMU_EV_IN) != 0) {
			drop_fd(s);
			return -13;
		}
		emu_log_note(e, "socket %d: UDP client to %s:%u (%s), local port %u", s->num,
		    emu_fmt_ip(s->rip, a), (unsigned)s->rport, real, (unsigned)s->lport);
		return 0;
	}
	s->state = EMU_NET_CONNECTING;
	emu_log_note(e, "socket %d: TCP connect to %s:%u (%s)", s->num, emu_fmt_ip(s->rip, a),
	    (unsigned)s->rport, real);
	if (watch(s, EMU_EV_OUT) != 0) {
		drop_fd(s);
		return -13;
	}
	s->on_done = on_done;
	s->conn_result = 0;
	s->delay_over = 0;
	s->conn_timer = emu_timer_add(e->loop, EMU_NET_CONNECT_US, conn_timeout, s);
	if (e->world->connect_us > 0)
		s->delay_timer = emu_timer_add(e->loop, e->world->connect_us, conn_delay, s);
	if (s->delay_timer == 0)
		s->delay_over = 1;
	if (rc == 0)
		connected(s);
	return 1;
}

static int
open_server(struct emu_net *n, struct emu_net_sock *s, uint16_t port)
{
	struct emu *e = n->e;
	struct sockaddr_in sa;
	uint32_t to = 0x7f000001u;
	uint16_t to_port = port;
	char real[32];
	int fd, one = 1;

	if (!emu_world_map(e->world, emu_net_own_ip(e), port, &to, &to_port)) {
		to = 0x7f000001u;
		to_port = port;
	}
	/* A world file may move a server, never off loopback (0.0.0.0 would
	 * listen on every interface) unless --allow-net says so. */
	if (!emu_net_is_loopback(to) && !e->allow_net) {
		emu_log_note(e, "socket %d: %s server on port %u refused: the world maps it off "
		    "loopback (--allow-net lets it out)", s->num, proto_name(s), (unsigned)port);
		return -13;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(to);
	sa.sin_port = htons(to_port);
	emu_net_fmt_sa(&sa, real, sizeof(real));
	fd = new_socket(e, s->proto);
	if (fd < 0)
		return -13;
	s->fd = fd;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    (s->proto == 0 && listen(fd, 4) != 0)) {
		emu_log_note(e, "socket %d: %s server on port %u (%s): %s", s->num, proto_name(s),
		    (unsigned)port, real, strerror(errno));
		drop_fd(s);
		return -13;
	}
	if (watch(s, EMU_EV_IN) != 0) {
		drop_fd(s);
		return -13;
	}
	s->state = EMU_NET_LISTENING;
	s->lport = port;
	emu_log_note(e, "socket %d: %s server listening on port %u (%s)", s->num, proto_name(s),
	    (unsigned)port, real);
	return 0;
}

int
emu_net_sock_open(struct emu_net *n, struct emu_net_sock *s, unsigned proto, unsigned cs,
    uint32_t host_ip, uint16_t port, uint16_t listen_port, uint64_t timeout_s,
    emu_net_conn_fn *on_done)
{
	int rc;

	s->proto = proto;
	s->cs = cs;
	s->idle_s = timeout_s;
	if (emu_net_online(n->e, "SKCT") != 0) {
		slot_clear(s);
		return -13;
	}
	if (cs == 0) {
		s->rip = host_ip;
		s->rport = port;
		rc = open_client(n, s, on_done);
	} else {
		rc = open_server(n, s, listen_port);
	}
	if (rc < 0)
		slot_clear(s);
	return rc;
}

/* ---- receive -------------------------------------------------------- */

static void
idle_kick(struct emu_loop *loop, void *ctx)
{
	struct emu_net_sock *s = ctx;

	(void)loop;
	s->idle_timer = 0;
	emu_log_note(s->net->e, "socket %d: no data for %llu s: the server closes it", s->num,
	    (unsigned long long)s->idle_s);
	emu_net_sock_gone(s);
	emu_net_sock_close(s, "idle timeout");
}

static void
idle_rearm(struct emu_net_sock *s)
{
	struct emu *e = s->net->e;

	if (s->parent == 0 || s->idle_s == 0)
		return;
	emu_timer_cancel(e->loop, s->idle_timer);
	s->idle_timer = emu_timer_add(e->loop, s->idle_s * 1000000u, idle_kick, s);
}

static void
accept_clients(struct emu_net_sock *srv)
{
	struct emu_net *n = srv->net;
	struct emu *e = n->e;
	int k;

	for (k = 0; k < 8; k++) {
		struct sockaddr_in sa;
		socklen_t len = sizeof(sa);
		struct emu_net_sock *c;
		char a[16];
		int fd = accept(srv->fd, (struct sockaddr *)&sa, &len);

		if (fd < 0)
			return;
		c = emu_net_sock_alloc(n);
		if (c == NULL || nonblock(fd) != 0) {
			emu_log_note(e, "socket %d: a client came but all %d sockets are in use: "
			    "refused", srv->num, EMU_NET_SOCKETS);
			close(fd);
			continue;
		}
		c->fd = fd;
		c->proto = 0;
		c->cs = 1;
		c->parent = srv->num;
		c->state = EMU_NET_CONNECTED;
		c->rip = ntohl(sa.sin_addr.s_addr);
		c->rport = ntohs(sa.sin_port);
		c->lport = srv->lport;
		c->idle_s = srv->idle_s;
		c->automatic = srv->automatic;
		if (watch(c, EMU_EV_IN) != 0) {
			close(fd);
			slot_clear(c);
			continue;
		}
		idle_rearm(c);
		emu_log_note(e, "socket %d: client %s:%u accepted by server socket %d", c->num,
		    emu_fmt_ip(c->rip, a), (unsigned)c->rport, srv->num);
		emu_net_sock_joined(c);
	}
}

/* The peer closed or the socket broke: what was received stays readable
 * until SKRCV empties it, then the slot is free again. */
static void
peer_gone(struct emu_net_sock *s, const char *why)
{
	emu_log_note(s->net->e, "socket %d: %s", s->num, why);
	drop_fd(s);
	s->state = EMU_NET_CLOSED;
	atp_free(s->tx);
	s->tx = NULL;
	s->txlen = 0;
	emu_net_sock_gone(s);
	emu_net_sock_reap(s);
}

static void
recv_stream(struct emu_net_sock *s)
{
	uint8_t buf[EMU_NET_SEG_MAX];
	ssize_t r = recv(s->fd, buf, sizeof(buf), 0);

	if (r > 0) {
		idle_rearm(s);
		emu_net_deliver(s, buf, (size_t)r, s->rip, s->rport);
		return;
	}
	if (r == 0) {
		peer_gone(s, "the peer closed the connection");
		return;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return;
	peer_gone(s, strerror(errno));
}

static void
recv_dgrams(struct emu_net_sock *s)
{
	struct emu *e = s->net->e;
	int k;

	for (k = 0; k < 16 && s->fd >= 0; k++) {
		uint8_t buf[2048];
		struct sockaddr_in sa;
		socklen_t len = sizeof(sa);
		ssize_t r = recvfrom(s->fd, buf, sizeof(buf), MSG_TRUNC, (struct sockaddr *)&sa,
		    &len);
		size_t got;

		if (r < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				emu_log_note(e, "socket %d: %s", s->num, strerror(errno));
			return;
		}
		got = (size_t)r;
		if (got > sizeof(buf)) {
			emu_log_note(e, "socket %d: a %zu-byte datagram cut to %zu", s->num, got,
			    sizeof(buf));
			got = sizeof(buf);
		}
		if (s->cs == 1) {
			/* A UDP server answers whoever spoke last. */
			s->peer = sa;
			s->rip = ntohl(sa.sin_addr.s_addr);
			s->rport = ntohs(sa.sin_port);
			s->state = EMU_NET_CONNECTED;
		}
		emu_net_deliver(s, buf, got, s->rip, s->rport);
	}
}

static void
flush_tx(struct emu_net_sock *s)
{
	struct emu *e = s->net->e;
	ssize_t w;

	while (s->txlen > 0) {
		w = send(s->fd, s->tx, s->txlen, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			peer_gone(s, strerror(errno));
			return;
		}
		memmove(s->tx, s->tx + w, s->txlen - (size_t)w);
		s->txlen -= (size_t)w;
	}
	emu_loop_mod_fd(e->loop, s->fd, EMU_EV_IN);
}

static void
sock_event(struct emu_loop *loop, int fd, unsigned revents, void *ctx)
{
	struct emu_net_sock *s = ctx;
	int err = 0;
	socklen_t len = sizeof(err);

	(void)loop;
	if (s->fd != fd)
		return;
	switch (s->state) {
	case EMU_NET_CONNECTING:
		if (s->conn_result != 0)
			return;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
			err = errno;
		if (err == EINPROGRESS || err == EALREADY)
			return;
		if (err != 0) {
			char a[16];
			emu_log_note(s->net->e, "socket %d: TCP connect to %s:%u failed: %s",
			    s->num, emu_fmt_ip(s->rip, a), (unsigned)s->rport, strerror(err));
			/* The error is read once; the fd would keep polling. */
			emu_loop_del_fd(s->net->e->loop, fd);
			close(fd);
			s->fd = -1;
			s->conn_result = -1;
		} else {
			connected(s);
		}
		conn_maybe_done(s);
		return;
	case EMU_NET_LISTENING:
		if (s->proto == 0)
			accept_clients(s);
		else
			recv_dgrams(s);
		return;
	case EMU_NET_CONNECTED:
		if ((revents & EMU_EV_OUT) && s->txlen > 0) {
			flush_tx(s);
			if (s->fd < 0)
				return;
		}
		if (revents & EMU_EV_IN) {
			if (s->proto == 0)
				recv_stream(s);
			else
				recv_dgrams(s);
		}
		return;
	case EMU_NET_FREE:
	case EMU_NET_CLOSED:
	default:
		return;
	}
}

/* ---- send, take, close ---------------------------------------------- */

int
emu_net_sock_can_send(const struct emu_net_sock *s)
{
	return s != NULL && s->state == EMU_NET_CONNECTED && s->fd >= 0;
}

int
emu_net_sock_send(struct emu_net_sock *s, const uint8_t *p, size_t len)
{
	struct emu *e = s->net->e;
	ssize_t w = 0;

	if (!emu_net_sock_can_send(s)) {
		emu_log_note(e, "socket %d: not connected: %zu bytes dropped", s->num, len);
		return -1;
	}
	if (len == 0)
		return 0;
	if (s->proto == 1) {
		if (s->cs == 1)
			w = sendto(s->fd, p, len, 0, (const struct sockaddr *)&s->peer,
			    sizeof(s->peer));
		else
			w = send(s->fd, p, len, 0);
		if (w < 0) {
			emu_log_note(e, "socket %d: datagram of %zu bytes lost: %s", s->num, len,
			    strerror(errno));
			return -1;
		}
		emu_log_note(e, "socket %d: %zu bytes sent", s->num, len);
		return 0;
	}
	if (s->txlen == 0) {
		w = send(s->fd, p, len, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				emu_log_note(e, "socket %d: send: %s", s->num, strerror(errno));
				return -1;
			}
			w = 0;
		}
	}
	emu_log_note(e, "socket %d: %zu bytes sent", s->num, len);
	if ((size_t)w == len)
		return 0;
	p += w;
	len -= (size_t)w;
	if (s->txlen + len > EMU_NET_TX_MAX) {
		emu_log_note(e, "socket %d: the peer does not read: %zu bytes dropped", s->num,
		    len);
		return -1;
	}
	{
		uint8_t *t = atp_realloc(s->tx, s->txlen + len);
		if (t == NULL) {
			emu_log_note(e, "socket %d: out of memory: %zu bytes dropped", s->num, len);
			return -1;
		}
		s->tx = t;
	}
	memcpy(s->tx + s->txlen, p, len);
	s->txlen += len;
	emu_loop_mod_fd(e->loop, s->fd, EMU_EV_IN | EMU_EV_OUT);
	return 0;
}

size_t
emu_net_sock_take(struct emu_net_sock *s, uint8_t *buf, size_t max)
{
	size_t k = s->rxlen < max ? s->rxlen : max;

	memcpy(buf, s->rx, k);
	memmove(s->rx, s->rx + k, s->rxlen - k);
	s->rxlen -= k;
	return k;
}

void
emu_net_sock_reap(struct emu_net_sock *s)
{
	if (s->state == EMU_NET_CLOSED && s->rxlen == 0)
		slot_clear(s);
}

void
emu_net_sock_close(struct emu_net_sock *s, const char *why)
{
	struct emu_net *n = s->net;
	size_t i;

	if (s->state == EMU_NET_FREE)
		return;
	if (s->cs == 1 && s->proto == 0 && s->parent == 0) {
		for (i = 0; i < EMU_NET_SOCKETS; i++)
			if (n->socks[i].state != EMU_NET_FREE && n->socks[i].parent == s->num)
				emu_net_sock_close(&n->socks[i], why);
	}
	emu_log_note(n->e, "socket %d: closed (%s)", s->num, why);
	s->on_done = NULL;
	drop_fd(s);
	slot_clear(s);
}

void
emu_net_sock_close_all(struct emu_net *n, const char *why)
{
	size_t i;

	for (i = 0; i < EMU_NET_SOCKETS; i++)
		emu_net_sock_close(&n->socks[i], why);
}
