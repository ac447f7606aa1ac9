/* SPDX-License-Identifier: MIT */
/* \summary: network peers: TCP servers and UDP sockets on loopback */
#include <errno.h>
#include <fcntl.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/hns_run.h"

/*
 * A scenario's peers are the other end of the module's sockets: a TCP
 * server the module connects to (SKCT), a UDP socket it talks to. The
 * harness binds each on 127.0.0.1 with a port the kernel picks (DESIGN.md:
 * loopback by default), and the emulator's world maps the scenario's
 * addresses onto loopback, port unchanged. Peers are serviced without
 * blocking from the runner's read loop; what they receive is kept (up to
 * HNS_DATA_MAX) for peer_expect, and echoed back when asked to.
 */
#define PEER_CLIENTS_MAX 4
#define HTTP_REQ_MAX 65536   /* one request, headers and body */
#define BROKER_START_US 5000000u   /* mosquitto must listen within 5 s */

struct peer {
	const struct hns_peerdef *def;
	int fd;                        /* listening (TCP) or bound (UDP) socket */
	int clients[PEER_CLIENTS_MAX]; /* TCP: accepted connections, -1 free */
	uint8_t *req[PEER_CLIENTS_MAX];  /* HTTP: the request so far */
	size_t reqlen[PEER_CLIENTS_MAX];
	uint64_t got[PEER_CLIENTS_MAX];  /* TCP: bytes from each connection */
	unsigned resets;               /* connections reset (reset_after) */
	struct sockaddr_in from;       /* UDP: the last sender */
	int have_from;
	unsigned port;
	uint8_t *rx;
	size_t rxlen;
	int overflow;
	/* MQTT: a mosquitto broker we started, and our client of it */
	pid_t broker;
	struct mosquitto *mq;
	int mq_connected;
	char dir[64];
	char *own[8];                  /* what we published: not the module's */
};

struct hns_peers {
	struct peer *p;
	size_t n;
};

static int
nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void keep(struct peer *p, const uint8_t *b, size_t n);

static void
nap(long us)
{
	struct timespec ts;

	ts.tv_sec = us / 1000000;
	ts.tv_nsec = (us % 1000000) * 1000;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* What the broker delivers to our client: "<topic> <payload>\n". */
static void
on_message(struct mosquitto *m, void *ctx, const struct mosquitto_message *msg)
{
	struct peer *p = ctx;
	size_t i, tl = strlen(msg->topic);

	(void)m;
	/* The client subscribes to "#" and so hears its own peer_send: those
	 * are not what the module published. */
	for (i = 0; i < 8; i++) {
		const char *o = p->own[i];
		if (o != NULL && strncmp(o, msg->topic, tl) == 0 && o[tl] == ' ' &&
		    msg->payloadlen >= 0 && strlen(o + tl + 1) == (size_t)msg->payloadlen &&
		    memcmp(o + tl + 1, msg->payload, (size_t)msg->payloadlen) == 0) {
			atp_free(p->own[i]);
			p->own[i] = NULL;
			return;
		}
	}
	keep(p, (const uint8_t *)msg->topic, tl);
	keep(p, (const uint8_t *)" ", 1);
	if (msg->payloadlen > 0)
		keep(p, msg->payload, (size_t)msg->payloadlen);
	keep(p, (const uint8_t *)"\n", 1);
}

static void
on_connect(struct mosquitto *m, void *ctx, int rc)
{
	struct peer *p = ctx;

	(void)m;
	p->mq_connected = rc == 0 ? 1 : -1;
}

static void
broker_stop(struct peer *p)
{
	char path[128];
	size_t i;
	int st;

	if (p->mq != NULL) {
		(void)mosquitto_disconnect(p->mq);
		mosquitto_destroy(p->mq);
		p->mq = NULL;
	}
	for (i = 0; i < 8; i++) {
		atp_free(p->own[i]);
		p->own[i] = NULL;
	}
	if (p->broker > 0) {
		(void)kill(p->broker, SIGTERM);
		(void)waitpid(p->broker, &st, 0);
		p->broker = 0;
	}
	if (p->dir[0] != '\0') {
		snprintf(path, sizeof(path), "%s/mosquitto.conf", p->dir);
		(void)unlink(path);
		snprintf(path, sizeof(path), "%s/mosquitto.log", p->dir);
		(void)unlink(path);
		(void)rmdir(p->dir);
		p->dir[0] = '\0';
	}
}

/*
 * An MQTT peer is a real broker (mosquitto, DESIGN.md "real parts") on a
 * free loopback port, and a libmosquitto client of it that subscribes to
 * the peer's topics (all, "#", by default): peer_expect sees what the
 * module published, peer_send publishes to it.
 */
static int
broker_start(struct peer *p, struct atp_diag *d)
{
	char conf[128], logp[128], buf[256];
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	uint64_t t0;
	size_t i;
	int fd, n;
	FILE *f;

	/* A free port: bind 0, read it, let go; mosquitto binds it next. */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) < 0) {
		if (fd >= 0)
			close(fd);
		return atp_diag_set(d, ATP_ERR_IO, "peer %s could not start: %s", p->def->name,
		    strerror(errno));
	}
	p->port = ntohs(a.sin_port);
	close(fd);
	snprintf(p->dir, sizeof(p->dir), "/tmp/atproof-mqtt-XXXXXX");
	if (mkdtemp(p->dir) == NULL) {
		p->dir[0] = '\0';
		return atp_diag_set(d, ATP_ERR_IO, "peer %s could not start: %s", p->def->name,
		    strerror(errno));
	}
	snprintf(conf, sizeof(conf), "%s/mosquitto.conf", p->dir);
	snprintf(logp, sizeof(logp), "%s/mosquitto.log", p->dir);
	f = fopen(conf, "w");
	if (f == NULL)
		return atp_diag_set(d, ATP_ERR_IO, "peer %s could not start: %s", p->def->name,
		    strerror(errno));
	fprintf(f, "listener %u 127.0.0.1\nallow_anonymous true\npersistence false\n", p->port);
	fclose(f);
	fflush(NULL);
	p->broker = fork();
	if (p->broker < 0) {
		p->broker = 0;
		return atp_diag_set(d, ATP_ERR_IO, "peer %s: fork: %s", p->def->name,
		    strerror(errno));
	}
	if (p->broker == 0) {
		int lf;
		(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
		lf = open(logp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (lf >= 0) {
			(void)dup2(lf, 1);
			(void)dup2(lf, 2);
			close(lf);
		}
		execl("/usr/sbin/mosquitto", "mosquitto", "-c", conf, (char *)NULL);
		execlp("mosquitto", "mosquitto", "-c", conf, (char *)NULL);
		_exit(127);
	}
	/* Wait until the broker accepts connections, or is gone. */
	t0 = hns_now_us();
	for (;;) {
		int st, c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c >= 0 && connect(c, (struct sockaddr *)&a, sizeof(a)) == 0) {
			close(c);
			break;
		}
		if (c >= 0)
			close(c);
		if (waitpid(p->broker, &st, WNOHANG) == p->broker) {
			p->broker = 0;
			buf[0] = '\0';
			f = fopen(logp, "r");
			if (f != NULL) {
				n = (int)fread(buf, 1, sizeof(buf) - 1, f);
				buf[n > 0 ? n : 0] = '\0';
				fclose(f);
			}
			return atp_diag_set(d, ATP_ERR_IO, "peer %s could not start: mosquitto "
			    "exited%s%.180s", p->def->name, buf[0] ? ": " : "", buf);
		}
		if (hns_now_us() - t0 > BROKER_START_US)
			return atp_diag_set(d, ATP_ERR_TIMEOUT, "peer %s could not start: mosquitto "
			    "did not listen within 5 s", p->def->name);
		nap(10000);
	}
	mosquitto_lib_init();
	p->mq = mosquitto_new(NULL, true, p);
	if (p->mq == NULL)
		return atp_diag_set(d, ATP_ERR_NOMEM, "peer %s: out of memory", p->def->name);
	mosquitto_message_callback_set(p->mq, on_message);
	mosquitto_connect_callback_set(p->mq, on_connect);
	if (mosquitto_connect(p->mq, "127.0.0.1", (int)p->port, 60) != MOSQ_ERR_SUCCESS)
		return atp_diag_set(d, ATP_ERR_IO, "peer %s: cannot connect to its broker",
		    p->def->name);
	t0 = hns_now_us();
	while (p->mq_connected == 0 && hns_now_us() - t0 < BROKER_START_US)
		(void)mosquitto_loop(p->mq, 10, 1);
	if (p->mq_connected != 1)
		return atp_diag_set(d, ATP_ERR_IO, "peer %s: its broker refused the connection",
		    p->def->name);
	for (i = 0; i < (p->def->ntopics > 0 ? p->def->ntopics : 1); i++)
		if (mosquitto_subscribe(p->mq, NULL, p->def->ntopics > 0 ? p->def->topics[i] : "#",
		    0) != MOSQ_ERR_SUCCESS)
			return atp_diag_set(d, ATP_ERR_IO, "peer %s: cannot subscribe", p->def->name);
	/* Let the SUBACKs come before the module publishes. */
	t0 = hns_now_us();
	while (hns_now_us() - t0 < 50000)
		(void)mosquitto_loop(p->mq, 10, 1);
	return ATP_OK;
}

static int
peer_open(struct peer *p, struct atp_diag *d)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int one = 1;

	if (p->def->type == HNS_P_MQTT)
		return broker_start(p, d);
	p->fd = socket(AF_INET, (p->def->type == HNS_P_UDP ? SOCK_DGRAM : SOCK_STREAM) |
	    SOCK_CLOEXEC, 0);
	if (p->fd < 0)
		goto fail;
	/* SO_REUSEADDR for TCP only (a fixed port in TIME_WAIT). On a UDP
	 * socket it lets the kernel give port 0 a port another reusable UDP
	 * socket holds: two runs in parallel then share a peer's datagrams. */
	if (p->def->type != HNS_P_UDP)
		(void)setsockopt(p->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)p->def->port);
	if (bind(p->fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		goto fail;
	if (p->def->type != HNS_P_UDP && listen(p->fd, PEER_CLIENTS_MAX) < 0)
		goto fail;
	if (getsockname(p->fd, (struct sockaddr *)&a, &alen) < 0 || nonblock(p->fd) < 0)
		goto fail;
	p->port = ntohs(a.sin_port);
	return ATP_OK;
fail:
	if (d != NULL)
		d->sys_errno = errno;
	if (p->def->port != 0)
		return atp_diag_set(d, ATP_ERR_IO, "peer %s could not start on 127.0.0.1:%u: %s",
		    p->def->name, p->def->port, strerror(errno));
	return atp_diag_set(d, ATP_ERR_IO, "peer %s could not start: %s", p->def->name,
	    strerror(errno));
}

void
hns_peers_stop(struct hns_peers *ps)
{
	size_t i, k;

	if (ps == NULL)
		return;
	for (i = 0; i < ps->n; i++) {
		struct peer *p = &ps->p[i];
		if (p->fd >= 0)
			close(p->fd);
		for (k = 0; k < PEER_CLIENTS_MAX; k++) {
			if (p->clients[k] >= 0)
				close(p->clients[k]);
			atp_free(p->req[k]);
		}
		broker_stop(p);
		atp_free(p->rx);
	}
	atp_free(ps->p);
	atp_free(ps);
}

int
hns_peers_start(const struct hns_peerdef *defs, size_t n, struct hns_peers **out,
    struct atp_diag *d)
{
	struct hns_peers *ps;
	size_t i, k;
	int rc;

	*out = NULL;
	ps = atp_calloc(1, sizeof(*ps));
	if (ps == NULL)
		return atp_diag_set(d, ATP_ERR_NOMEM, "out of memory");
	ps->p = atp_calloc(n + 1, sizeof(*ps->p));
	if (ps->p == NULL) {
		atp_free(ps);
		return atp_diag_set(d, ATP_ERR_NOMEM, "out of memory");
	}
	for (i = 0; i < n; i++) {
		ps->p[i].def = &defs[i];
		ps->p[i].fd = -1;
		for (k = 0; k < PEER_CLIENTS_MAX; k++)
			ps->p[i].clients[k] = -1;
	}
	ps->n = n;
	for (i = 0; i < n; i++) {
		rc = peer_open(&ps->p[i], d);
		if (rc < 0) {
			hns_peers_stop(ps);
			return rc;
		}
	}
	*out = ps;
	return ATP_OK;
}

size_t
hns_peers_resets(const struct hns_peers *ps, char *buf, size_t size)
{
	size_t i, n = 0;

	for (i = 0; ps != NULL && i < ps->n; i++) {
		const struct peer *p = &ps->p[i];
		if (p->resets == 0)
			continue;
		n += p->resets;
		snprintf(buf, size, "peer %s reset %u connection%s (RST) after %llu bytes, as its "
		    "reset_after asks", p->def->name, p->resets, p->resets > 1 ? "s" : "",
		    (unsigned long long)p->def->reset_after);
	}
	return n;
}

unsigned
hns_peers_port(const struct hns_peers *ps, size_t i)
{
	return i < ps->n ? ps->p[i].port : 0;
}

static void
keep(struct peer *p, const uint8_t *b, size_t n)
{
	uint8_t *nr;

	if (p->rxlen + n > HNS_DATA_MAX) {
		p->overflow = 1;
		return;
	}
	nr = atp_realloc(p->rx, p->rxlen + n + 1);
	if (nr == NULL) {
		p->overflow = 1;
		return;
	}
	p->rx = nr;
	memcpy(p->rx + p->rxlen, b, n);
	p->rxlen += n;
}

static void
send_all(int fd, const uint8_t *b, size_t n)
{
	ssize_t w;

	/* Loopback with small payloads: a bounded number of tries is enough;
	 * what does not go is the module's to miss, and the test shows it. */
	for (int tries = 0; n > 0 && tries < 100; tries++) {
		w = send(fd, b, n, MSG_NOSIGNAL);
		if (w > 0) {
			b += w;
			n -= (size_t)w;
		} else if (w < 0 && errno != EAGAIN && errno != EINTR) {
			return;
		}
	}
}

static void
drop_client(struct peer *p, size_t k)
{
	close(p->clients[k]);
	p->clients[k] = -1;
	p->got[k] = 0;
	atp_free(p->req[k]);
	p->req[k] = NULL;
	p->reqlen[k] = 0;
}

/* Where the headers end ("\r\n\r\n"), or 0. */
static size_t
headers_end(const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i + 3 < n; i++)
		if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n')
			return i + 4;
	return 0;
}

/* The Content-Length of the headers in @b (0 if none), by the cursor. */
static uint64_t
content_length(const uint8_t *b, size_t n)
{
	struct atp_cur c = atp_cur_make(b, n);
	struct atp_span line;
	uint64_t v = 0;
	uint8_t ch;

	while (c.left > 0) {
		atp_cur_until(&c, "\n", &line);
		(void)atp_cur_u8(&c, &ch);
		if (line.len > 15 && atp_span_eq_ci(atp_span_make(line.p, 15), "Content-Length:")) {
			struct atp_cur lc = atp_cur_make(line.p + 15, line.len - 15);
			while (atp_cur_lit(&lc, " ") == ATP_OK)
				;
			if (atp_cur_dec(&lc, &v, HTTP_REQ_MAX) < 0)
				return HTTP_REQ_MAX + 1;
		}
	}
	return v;
}

/*
 * An HTTP server with configured answers: one request per connection
 * (Connection: close), answered by path. What the module asked is kept as
 * "<METHOD> <path>\n<body>" for peer_expect.
 */
static void
http_request(struct peer *p, size_t k)
{
	const struct hns_http_answer *a = NULL;
	uint8_t *b = p->req[k];
	size_t n = p->reqlen[k], he = headers_end(b, n), i, ml, pl;
	uint64_t cl;
	char head[512];
	int hl;
	struct atp_cur c;
	struct atp_span method, path;
	uint8_t sp;

	if (he == 0)
		return;
	cl = content_length(b, he);
	if (cl > HTTP_REQ_MAX || n < he + cl)
		return;
	c = atp_cur_make(b, he);
	atp_cur_until(&c, " ", &method);
	(void)atp_cur_u8(&c, &sp);
	atp_cur_until(&c, " ?\r", &path);
	ml = method.len;
	pl = path.len;
	for (i = 0; i < p->def->nanswers; i++) {
		const struct hns_http_answer *x = &p->def->answers[i];
		if (atp_span_eq(path, x->path))
			a = x;
		else if (a == NULL && strcmp(x->path, "*") == 0)
			a = x;
	}
	keep(p, method.p, ml);
	keep(p, (const uint8_t *)" ", 1);
	keep(p, path.p, pl);
	keep(p, (const uint8_t *)"\n", 1);
	keep(p, b + he, (size_t)cl);
	hl = snprintf(head, sizeof(head), "HTTP/1.1 %u %s\r\nContent-Length: %zu\r\n"
	    "%s%s%sConnection: close\r\n\r\n", a != NULL ? a->status : 404u,
	    a == NULL ? "Not Found" : a->status < 300 ? "OK" : "Status",
	    a != NULL ? strlen(a->body) : (size_t)0,
	    a != NULL && a->type != NULL ? "Content-Type: " : "",
	    a != NULL && a->type != NULL ? a->type : "",
	    a != NULL && a->type != NULL ? "\r\n" : "");
	if (hl > 0 && (size_t)hl < sizeof(head)) {
		send_all(p->clients[k], (const uint8_t *)head, (size_t)hl);
		if (a != NULL)
			send_all(p->clients[k], (const uint8_t *)a->body, strlen(a->body));
	}
	drop_client(p, k);
}

static void
http_bytes(struct peer *p, size_t k, const uint8_t *b, size_t n)
{
	uint8_t *nr;

	if (p->reqlen[k] + n > HTTP_REQ_MAX) {
		drop_client(p, k);
		return;
	}
	nr = atp_realloc(p->req[k], p->reqlen[k] + n + 1);
	if (nr == NULL) {
		drop_client(p, k);
		return;
	}
	p->req[k] = nr;
	memcpy(nr + p->reqlen[k], b, n);
	p->reqlen[k] += n;
	http_request(p, k);
}

void
hns_peers_service(struct hns_peers *ps)
{
	uint8_t buf[4096];
	size_t i, k, e;
	ssize_t r;

	if (ps == NULL)
		return;
	for (i = 0; i < ps->n; i++) {
		struct peer *p = &ps->p[i];
		if (p->def->type == HNS_P_MQTT) {
			if (p->mq != NULL)
				(void)mosquitto_loop(p->mq, 0, 1);
			continue;
		}
		if (p->def->type == HNS_P_UDP) {
			for (;;) {
				socklen_t fl = sizeof(p->from);
				r = recvfrom(p->fd, buf, sizeof(buf), 0, (struct sockaddr *)&p->from, &fl);
				if (r < 0)
					break;
				p->have_from = 1;
				keep(p, buf, (size_t)r);
				if (p->def->echo)
					(void)sendto(p->fd, buf, (size_t)r, 0, (struct sockaddr *)&p->from, fl);
			}
			continue;
		}
		for (;;) {
			int c = accept(p->fd, NULL, NULL);
			if (c < 0)
				break;
			for (k = 0; k < PEER_CLIENTS_MAX && p->clients[k] >= 0; k++)
				;
			if (k == PEER_CLIENTS_MAX || nonblock(c) < 0) {
				close(c);
				continue;
			}
			p->clients[k] = c;
		}
		for (k = 0; k < PEER_CLIENTS_MAX; k++) {
			if (p->clients[k] < 0)
				continue;
			while (p->clients[k] >= 0) {
				r = recv(p->clients[k], buf, sizeof(buf), 0);
				if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
					drop_client(p, k);
					break;
				}
				if (r < 0)
					break;
				if (p->def->type == HNS_P_HTTP) {
					http_bytes(p, k, buf, (size_t)r);
					continue;
				}
				keep(p, buf, (size_t)r);
				/* With reset_after, what is echoed stops at the limit
				 * (got[k] is below it: the connection is gone at it). */
				e = (size_t)r;
				if (p->def->reset_after > 0 && p->def->reset_after - p->got[k] < e)
					e = (size_t)(p->def->reset_after - p->got[k]);
				if (p->def->echo)
					send_all(p->clients[k], buf, e);
				p->got[k] += (uint64_t)r;
				if (p->def->reset_after > 0 && p->got[k] >= p->def->reset_after) {
					/* A linger of 0 makes close() send RST, not FIN:
					 * the module's side sees ECONNRESET. */
					struct linger lg = { 1, 0 };
					(void)setsockopt(p->clients[k], SOL_SOCKET, SO_LINGER, &lg,
					    sizeof(lg));
					drop_client(p, k);
					p->resets++;
				}
			}
		}
	}
}

static struct peer *
find(struct hns_peers *ps, const char *name)
{
	size_t i;

	for (i = 0; ps != NULL && i < ps->n; i++)
		if (strcmp(ps->p[i].def->name, name) == 0)
			return &ps->p[i];
	return NULL;
}

int
hns_peers_send(struct hns_peers *ps, const char *name, const char *topic, const void *b,
    size_t n, struct atp_diag *d)
{
	struct peer *p = find(ps, name);
	size_t k, sent = 0;

	if (p == NULL)
		return atp_diag_set(d, ATP_ERR_NOTFOUND, "no peer %s", name);
	hns_peers_service(ps);
	if (p->def->type == HNS_P_MQTT) {
		uint64_t t0;
		if (topic == NULL || n > 0x7fffffff)
			return atp_diag_set(d, ATP_ERR_ARG, "peer %s: a topic is needed", name);
		for (k = 0; k < 8 && p->own[k] != NULL; k++)
			;
		if (k < 8 && memchr(b, '\0', n) == NULL) {
			size_t tl = strlen(topic);
			p->own[k] = atp_malloc(tl + n + 2);
			if (p->own[k] != NULL) {
				memcpy(p->own[k], topic, tl);
				p->own[k][tl] = ' ';
				memcpy(p->own[k] + tl + 1, b, n);
				p->own[k][tl + 1 + n] = '\0';
			}
		}
		if (mosquitto_publish(p->mq, NULL, topic, (int)n, b, 0, false) != MOSQ_ERR_SUCCESS)
			return atp_diag_set(d, ATP_ERR_IO, "peer %s: cannot publish", name);
		t0 = hns_now_us();
		while (hns_now_us() - t0 < 20000 && mosquitto_want_write(p->mq))
			(void)mosquitto_loop(p->mq, 5, 1);
		return ATP_OK;
	}
	if (p->def->type == HNS_P_UDP) {
		if (!p->have_from)
			return atp_diag_set(d, ATP_ERR_PROTO, "peer %s: nothing came yet, so it "
			    "has no address to send to", name);
		if (sendto(p->fd, b, n, 0, (struct sockaddr *)&p->from, sizeof(p->from)) < 0)
			return atp_diag_set(d, ATP_ERR_IO, "peer %s: %s", name, strerror(errno));
		return ATP_OK;
	}
	for (k = 0; k < PEER_CLIENTS_MAX; k++)
		if (p->clients[k] >= 0) {
			send_all(p->clients[k], b, n);
			sent++;
		}
	if (sent == 0)
		return atp_diag_set(d, ATP_ERR_PROTO, "peer %s: no connection to send on", name);
	return ATP_OK;
}

const uint8_t *
hns_peers_rx(struct hns_peers *ps, const char *name, size_t *len, int *overflow)
{
	struct peer *p = find(ps, name);

	*len = p != NULL ? p->rxlen : 0;
	if (overflow != NULL)
		*overflow = p != NULL && p->overflow;
	return p != NULL ? p->rx : NULL;
}

void
hns_peers_consume(struct hns_peers *ps, const char *name, size_t n)
{
	struct peer *p = find(ps, name);

	if (p == NULL || n == 0)
		return;
	if (n >= p->rxlen) {
		p->rxlen = 0;
		return;
	}
	memmove(p->rx, p->rx + n, p->rxlen - n);
	p->rxlen -= n;
}

/* Bytes a non-echo peer received that no peer_expect took, for the strict
 * check at the end of a case. Returns the first such peer's name. */
const char *
hns_peers_unread(struct hns_peers *ps, size_t *len)
{
	size_t i;

	for (i = 0; ps != NULL && i < ps->n; i++)
		if (!ps->p[i].def->echo && ps->p[i].rxlen > 0) {
			*len = ps->p[i].rxlen;
			return ps->p[i].def->name;
		}
	*len = 0;
	return NULL;
}
