/* SPDX-License-Identifier: MIT */
/* \summary: network peers: TCP, UDP, HTTP and MQTT on loopback */
#include <errno.h>
#include <fcntl.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
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
#define PEER_MSGS_MAX 65536u       /* HTTP requests or MQTT messages kept */
/* A request as sent, for a body ceiling of @body: chunked framing may
 * triple a body (1-byte chunks are "1\r\nX\r\n"); beyond this the parser
 * has said why already. */
#define HTTP_RAW_MAX(body) (2u * HNS_HTTP_HEAD_MAX + 6u * (body))
#define BROKER_START_US 5000000u   /* mosquitto must listen within 5 s */

struct conn {
	int fd;                        /* -1: a free slot */
	unsigned no;                   /* the peer's connection number, from 1 */
	uint64_t got;                  /* TCP: bytes from it */
	/* HTTP: the request so far, where parsing it again is worth it,
	 * requests answered, whether 100 Continue went for this one */
	uint8_t *req;
	size_t reqlen, need;
	unsigned nreq;
	int continued;
	uint64_t seen;                 /* the last request, for eviction */
};

struct peer {
	const struct hns_peerdef *def;
	int fd;                        /* listening (TCP) or bound (UDP) socket */
	struct conn c[PEER_CLIENTS_MAX];
	unsigned nconns;               /* connections accepted */
	unsigned resets;               /* connections reset (reset_after) */
	struct sockaddr_in from;       /* UDP: the last sender */
	int have_from;
	unsigned port;
	uint8_t *rx;
	size_t rxlen;
	int overflow;
	struct hns_peer_msg *msgs;     /* HTTP, MQTT: what rx holds, message by message */
	size_t nmsgs, msgcap;
	uint8_t *body;                 /* HTTP: a request's decoded body */
	size_t body_max;               /* HTTP: its ceiling (max_body) */
	char fault[300];               /* the first protocol fault */
	int fault_told;
	/* MQTT: a mosquitto broker we started, and our client of it */
	pid_t broker;
	struct mosquitto *mq;
	int mq_connected;
	unsigned subacks;
	int acked_mid;
	char dir[64];
};

struct hns_peers {
	struct peer *p;
	size_t n;
	uint64_t ack_us;               /* MQTT: the wait for PUBACK / PUBCOMP */
};

static int
nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void keep(struct peer *p, const uint8_t *b, size_t n);
static void keep_msg(struct peer *p, const void *const *parts, const size_t *lens, size_t n,
    const struct hns_peer_msg *m);

static void
nap(long us)
{
	struct timespec ts;

	ts.tv_sec = us / 1000000;
	ts.tv_nsec = (us % 1000000) * 1000;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * What the broker delivers to our client: "<topic> <payload>\n", with
 * the QoS and retain flag the module published with. The subscription
 * (QoS 2, MQTT v5 retain-as-published, no-local) keeps both as they were
 * and leaves out what our own peer_send published.
 */
static void
on_message(struct mosquitto *m, void *ctx, const struct mosquitto_message *msg)
{
	struct peer *p = ctx;
	size_t tl = strlen(msg->topic), pl = msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0;
	const void *parts[4] = { msg->topic, " ", msg->payload, "\n" };
	size_t lens[4] = { tl, 1, pl, 1 };
	struct hns_peer_msg mm;

	(void)m;
	memset(&mm, 0, sizeof(mm));
	mm.qos = msg->qos;
	mm.retain = msg->retain ? 1 : 0;
	keep_msg(p, parts, lens, 4, &mm);
}

static void
on_connect(struct mosquitto *m, void *ctx, int rc)
{
	struct peer *p = ctx;

	(void)m;
	p->mq_connected = rc == 0 ? 1 : -1;
}

static void
on_subscribe(struct mosquitto *m, void *ctx, int mid, int n, const int *granted)
{
	struct peer *p = ctx;

	(void)m;
	(void)mid;
	(void)n;
	(void)granted;
	p->subacks++;
}

/* PUBACK (QoS 1) or PUBCOMP (QoS 2) of our publication @mid. */
static void
on_publish(struct mosquitto *m, void *ctx, int mid)
{
	struct peer *p = ctx;

	(void)m;
	p->acked_mid = mid;
}

static void
broker_stop(struct peer *p)
{
	char path[128];
	int st;

	if (p->mq != NULL) {
		(void)mosquitto_disconnect(p->mq);
		mosquitto_destroy(p->mq);
		p->mq = NULL;
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
	size_t i, ntop;
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
	/* v5 for its subscription options; the module's client may speak
	 * 3.1.1, the broker bridges the two. */
	(void)mosquitto_int_option(p->mq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
	mosquitto_message_callback_set(p->mq, on_message);
	mosquitto_connect_callback_set(p->mq, on_connect);
	mosquitto_subscribe_callback_set(p->mq, on_subscribe);
	mosquitto_publish_callback_set(p->mq, on_publish);
	if (mosquitto_connect(p->mq, "127.0.0.1", (int)p->port, 60) != MOSQ_ERR_SUCCESS)
		return atp_diag_set(d, ATP_ERR_IO, "peer %s: cannot connect to its broker",
		    p->def->name);
	t0 = hns_now_us();
	while (p->mq_connected == 0 && hns_now_us() - t0 < BROKER_START_US)
		(void)mosquitto_loop(p->mq, 10, 1);
	if (p->mq_connected != 1)
		return atp_diag_set(d, ATP_ERR_IO, "peer %s: its broker refused the connection",
		    p->def->name);
	/* QoS 2: a message comes with the QoS the module published at (the
	 * broker delivers the lower of the two); retain-as-published: with
	 * its retain flag, which MQTT 3.1.1 clears on a live subscription
	 * (§3.3.1.3); no-local: not our own peer_send. */
	ntop = p->def->ntopics > 0 ? p->def->ntopics : 1;
	for (i = 0; i < ntop; i++)
		if (mosquitto_subscribe_v5(p->mq, NULL, p->def->ntopics > 0 ? p->def->topics[i] :
		    "#", 2, MQTT_SUB_OPT_NO_LOCAL | MQTT_SUB_OPT_RETAIN_AS_PUBLISHED, NULL) !=
		    MOSQ_ERR_SUCCESS)
			return atp_diag_set(d, ATP_ERR_IO, "peer %s: cannot subscribe", p->def->name);
	/* The SUBACKs come before the module publishes. */
	t0 = hns_now_us();
	while (p->subacks < ntop && hns_now_us() - t0 < BROKER_START_US)
		(void)mosquitto_loop(p->mq, 10, 1);
	if (p->subacks < ntop)
		return atp_diag_set(d, ATP_ERR_TIMEOUT, "peer %s: its broker did not acknowledge "
		    "the subscription within 5 s", p->def->name);
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
			if (p->c[k].fd >= 0)
				close(p->c[k].fd);
			atp_free(p->c[k].req);
		}
		broker_stop(p);
		atp_free(p->rx);
		atp_free(p->msgs);
		atp_free(p->body);
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
			ps->p[i].c[k].fd = -1;
	}
	ps->n = n;
	ps->ack_us = HNS_PEER_ACK_US;
	for (i = 0; i < n; i++) {
		if (defs[i].type == HNS_P_HTTP) {
			ps->p[i].body_max = defs[i].max_body != 0 && defs[i].max_body <=
			    HNS_HTTP_BODY_HARD_MAX ? (size_t)defs[i].max_body : HNS_HTTP_BODY_MAX;
			ps->p[i].body = atp_malloc(ps->p[i].body_max);
			if (ps->p[i].body == NULL) {
				hns_peers_stop(ps);
				return atp_diag_set(d, ATP_ERR_NOMEM, "out of memory");
			}
		}
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

	if (n == 0)
		return;
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

/* One message's record, made of @n parts, whole or not at all, with @m
 * saying what it was (its off and len are filled here). */
static void
keep_msg(struct peer *p, const void *const *parts, const size_t *lens, size_t n,
    const struct hns_peer_msg *m)
{
	struct hns_peer_msg *nm;
	size_t i, total = 0;

	for (i = 0; i < n; i++)
		total += lens[i];
	if (p->overflow || p->rxlen + total > HNS_DATA_MAX || p->nmsgs >= PEER_MSGS_MAX) {
		p->overflow = 1;
		return;
	}
	if (p->nmsgs == p->msgcap) {
		/* Doubling: a peer may keep PEER_MSGS_MAX messages. */
		size_t cap = p->msgcap != 0 ? p->msgcap * 2 : 16;
		if (cap > PEER_MSGS_MAX)
			cap = PEER_MSGS_MAX;
		nm = atp_realloc(p->msgs, cap * sizeof(*p->msgs));
		if (nm == NULL) {
			p->overflow = 1;
			return;
		}
		p->msgs = nm;
		p->msgcap = cap;
	}
	nm = p->msgs;
	nm[p->nmsgs] = *m;
	nm[p->nmsgs].off = p->rxlen;
	nm[p->nmsgs].len = total;
	for (i = 0; i < n; i++)
		keep(p, parts[i], lens[i]);
	if (!p->overflow)
		p->nmsgs++;
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
	struct conn *c = &p->c[k];

	close(c->fd);
	atp_free(c->req);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* The first fault is the one a step reports; later ones follow from it. */
static void
fault(struct peer *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
fault(struct peer *p, const char *fmt, ...)
{
	va_list ap;

	if (p->fault[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(p->fault, sizeof(p->fault), fmt, ap);
	va_end(ap);
}

static const char *
reason(unsigned status)
{
	static const struct { unsigned st; const char *text; } t[] = {
		{ 200, "OK" }, { 201, "Created" }, { 202, "Accepted" }, { 204, "No Content" },
		{ 301, "Moved Permanently" }, { 302, "Found" }, { 304, "Not Modified" },
		{ 400, "Bad Request" }, { 401, "Unauthorized" }, { 403, "Forbidden" },
		{ 404, "Not Found" }, { 413, "Content Too Large" },
		{ 431, "Request Header Fields Too Large" }, { 500, "Internal Server Error" },
		{ 501, "Not Implemented" }, { 503, "Service Unavailable" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].st == status)
			return t[i].text;
	return "Status";
}

/* A status line, the framing headers and @body (not for HEAD). @conn:
 * 1 close, 0 keep (an HTTP/1.0 client is told so: it closes otherwise),
 * -1 say nothing (HTTP/1.1 keeps by default). */
static void
respond(struct conn *c, unsigned status, const char *type, const char *body, int conn,
    int head_only)
{
	char head[512];
	int hl;

	hl = snprintf(head, sizeof(head), "HTTP/1.1 %u %s\r\nContent-Length: %zu\r\n%s%s%s%s\r\n",
	    status, reason(status), strlen(body), type != NULL ? "Content-Type: " : "",
	    type != NULL ? type : "", type != NULL ? "\r\n" : "",
	    conn == 1 ? "Connection: close\r\n" : conn == 0 ? "Connection: keep-alive\r\n" : "");
	if (hl <= 0 || (size_t)hl >= sizeof(head))
		return;
	send_all(c->fd, (const uint8_t *)head, (size_t)hl);
	if (!head_only)
		send_all(c->fd, (const uint8_t *)body, strlen(body));
}

/*
 * An HTTP/1.1 server with configured answers, by path. A connection
 * carries request after request (persistent, RFC 9112 §9.3) until the
 * module says Connection: close, speaks HTTP/1.0, or closes it. Each
 * request is kept as "<METHOD> <path>\n<body>" for peer_expect, with the
 * connection it came on. A request the parser refuses is answered 400,
 * 413, 431 or 501, closes its connection and is the peer's fault.
 */
static void
http_answer(struct peer *p, struct conn *c, const struct hns_http_req *r)
{
	const struct hns_http_answer *a = NULL;
	struct hns_peer_msg m;
	const void *parts[5] = { r->method.p, " ", r->path.p, "\n", p->body };
	size_t lens[5] = { r->method.len, 1, r->path.len, 1, r->body_len }, i;

	for (i = 0; i < p->def->nanswers; i++) {
		const struct hns_http_answer *x = &p->def->answers[i];
		if (atp_span_eq(r->path, x->path))
			a = x;
		else if (a == NULL && strcmp(x->path, "*") == 0)
			a = x;
	}
	c->nreq++;
	memset(&m, 0, sizeof(m));
	m.conn = c->no;
	m.seq = c->nreq;
	keep_msg(p, parts, lens, 5, &m);
	respond(c, a != NULL ? a->status : 404u, a != NULL ? a->type : NULL,
	    a != NULL ? a->body : "", r->close ? 1 : r->minor == 0 ? 0 : -1,
	    atp_span_eq(r->method, "HEAD"));
}

static void
http_refuse(struct peer *p, size_t k, int rc, const struct hns_http_req *r)
{
	unsigned st = rc == HNS_HTTP_HEAD_BIG ? 431u : rc == HNS_HTTP_BODY_BIG ? 413u :
	    rc == HNS_HTTP_UNSUPP ? 501u : 400u;

	fault(p, "peer %s: request %u on connection %u: %s (headers up to %u bytes, a body up "
	    "to %zu); answered %u and closed", p->def->name, p->c[k].nreq + 1, p->c[k].no, r->why,
	    HNS_HTTP_HEAD_MAX, p->body_max, st);
	respond(&p->c[k], st, NULL, "", 1, 0);
	drop_client(p, k);
}

static void
http_bytes(struct peer *p, size_t k, const uint8_t *b, size_t n)
{
	struct conn *c = &p->c[k];
	struct hns_http_req r;
	uint8_t *nr;
	int rc;

	if (c->reqlen + n > HTTP_RAW_MAX(p->body_max)) {
		memset(&r, 0, sizeof(r));
		snprintf(r.why, sizeof(r.why), "more than %zu bytes as sent",
		    HTTP_RAW_MAX(p->body_max));
		http_refuse(p, k, HNS_HTTP_BODY_BIG, &r);
		return;
	}
	nr = atp_realloc(c->req, c->reqlen + n + 1);
	if (nr == NULL) {
		drop_client(p, k);
		return;
	}
	c->req = nr;
	memcpy(nr + c->reqlen, b, n);
	c->reqlen += n;
	c->seen = hns_now_us();
	/* Pipelined requests are answered in order (RFC 9112 §9.3.2). */
	while (c->fd >= 0 && c->reqlen > 0 && c->reqlen >= c->need) {
		rc = hns_http_parse_max(c->req, c->reqlen, &r, p->body, p->body_max, p->body_max);
		if (rc < 0) {
			http_refuse(p, k, rc, &r);
			return;
		}
		if (rc == HNS_HTTP_MORE) {
			c->need = r.need;
			/* RFC 9110 §10.1.1: once the header section is whole
			 * (head_len; before it, a 431 may yet come), and never
			 * to an HTTP/1.0 client. */
			if (r.expect_continue && r.head_len > 0 && r.minor >= 1 && !c->continued) {
				c->continued = 1;
				send_all(c->fd, (const uint8_t *)"HTTP/1.1 100 Continue\r\n\r\n", 25);
			}
			return;
		}
		http_answer(p, c, &r);
		memmove(c->req, c->req + r.len, c->reqlen - r.len);
		c->reqlen -= r.len;
		c->need = 0;
		c->continued = 0;
		if (r.close) {
			drop_client(p, k);
			return;
		}
	}
}

/* A free slot for a new connection. An HTTP peer frees the one idle the
 * longest (a client keeps connections it may reuse, as libcurl does);
 * the others refuse the newcomer. */
static size_t
free_slot(struct peer *p)
{
	size_t k, old = PEER_CLIENTS_MAX;

	for (k = 0; k < PEER_CLIENTS_MAX; k++)
		if (p->c[k].fd < 0)
			return k;
	if (p->def->type != HNS_P_HTTP)
		return PEER_CLIENTS_MAX;
	for (k = 0; k < PEER_CLIENTS_MAX; k++)
		if (p->c[k].reqlen == 0 && (old == PEER_CLIENTS_MAX || p->c[k].seen < p->c[old].seen))
			old = k;
	if (old < PEER_CLIENTS_MAX)
		drop_client(p, old);
	return old;
}

static void
service_tcp(struct peer *p)
{
	uint8_t buf[4096];
	size_t k, e;
	ssize_t r;

	for (;;) {
		int fd = accept(p->fd, NULL, NULL);
		if (fd < 0)
			break;
		k = free_slot(p);
		if (k == PEER_CLIENTS_MAX || nonblock(fd) < 0) {
			close(fd);
			continue;
		}
		p->c[k].fd = fd;
		p->c[k].no = ++p->nconns;
		p->c[k].seen = hns_now_us();
	}
	for (k = 0; k < PEER_CLIENTS_MAX; k++) {
		struct conn *c = &p->c[k];
		while (c->fd >= 0) {
			r = recv(c->fd, buf, sizeof(buf), 0);
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
			 * (got is below it: the connection is gone at it). */
			e = (size_t)r;
			if (p->def->reset_after > 0 && p->def->reset_after - c->got < e)
				e = (size_t)(p->def->reset_after - c->got);
			if (p->def->echo)
				send_all(c->fd, buf, e);
			c->got += (uint64_t)r;
			if (p->def->reset_after > 0 && c->got >= p->def->reset_after) {
				/* A linger of 0 makes close() send RST, not FIN:
				 * the module's side sees ECONNRESET. */
				struct linger lg = { 1, 0 };
				(void)setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
				drop_client(p, k);
				p->resets++;
			}
		}
	}
}

void
hns_peers_service(struct hns_peers *ps)
{
	uint8_t buf[4096];
	size_t i;
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
		if (p->def->type != HNS_P_UDP) {
			service_tcp(p);
			continue;
		}
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

/* Publishes, and for QoS 1 and 2 waits for PUBACK / PUBCOMP: the step
 * after a peer_send may rely on the broker having the message. */
static int
mqtt_publish(struct peer *p, uint64_t ack_us, const char *topic, int qos, int retain,
    const void *b, size_t n, struct atp_diag *d)
{
	const char *name = p->def->name;
	uint64_t t0;
	int mid = 0, rc;

	if (topic == NULL)
		return atp_diag_set(d, ATP_ERR_ARG, "peer %s: a topic is needed", name);
	if (n > 0x7fffffff || qos < 0 || qos > 2)
		return atp_diag_set(d, ATP_ERR_ARG, "peer %s: QoS %d or %zu bytes cannot be "
		    "published", name, qos, n);
	p->acked_mid = 0;
	rc = mosquitto_publish(p->mq, &mid, topic, (int)n, b, qos, retain != 0);
	if (rc != MOSQ_ERR_SUCCESS)
		return atp_diag_set(d, ATP_ERR_IO, "peer %s: cannot publish: %s", name,
		    mosquitto_strerror(rc));
	t0 = hns_now_us();
	if (qos == 0) {
		while (hns_now_us() - t0 < 20000 && mosquitto_want_write(p->mq))
			(void)mosquitto_loop(p->mq, 5, 1);
		return ATP_OK;
	}
	while (p->acked_mid != mid && hns_now_us() - t0 < ack_us)
		(void)mosquitto_loop(p->mq, 10, 1);
	if (p->acked_mid != mid)
		return atp_diag_set(d, ATP_ERR_TIMEOUT, "peer %s: its broker did not acknowledge "
		    "the QoS %d publish within %g s (5 s times --timeout-scale)", name, qos,
		    (double)ack_us / 1e6);
	return ATP_OK;
}

void
hns_peers_set_ack_wait(struct hns_peers *ps, uint64_t us)
{
	if (ps != NULL)
		ps->ack_us = us;
}

int
hns_peers_send(struct hns_peers *ps, const char *name, const char *topic, int qos, int retain,
    const void *b, size_t n, struct atp_diag *d)
{
	struct peer *p = find(ps, name);
	size_t k, sent = 0;

	if (p == NULL)
		return atp_diag_set(d, ATP_ERR_NOTFOUND, "no peer %s", name);
	hns_peers_service(ps);
	if (p->def->type == HNS_P_MQTT)
		return mqtt_publish(p, ps->ack_us, topic, qos, retain, b, n, d);
	if (p->def->type == HNS_P_UDP) {
		if (!p->have_from)
			return atp_diag_set(d, ATP_ERR_PROTO, "peer %s: nothing came yet, so it "
			    "has no address to send to", name);
		if (sendto(p->fd, b, n, 0, (struct sockaddr *)&p->from, sizeof(p->from)) < 0)
			return atp_diag_set(d, ATP_ERR_IO, "peer %s: %s", name, strerror(errno));
		return ATP_OK;
	}
	for (k = 0; k < PEER_CLIENTS_MAX; k++)
		if (p->c[k].fd >= 0) {
			send_all(p->c[k].fd, b, n);
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
	size_t i, j;

	if (p == NULL || n == 0)
		return;
	if (n > p->rxlen)
		n = p->rxlen;
	if (n == 0)
		return;
	memmove(p->rx, p->rx + n, p->rxlen - n);
	p->rxlen -= n;
	/* The messages follow their bytes; one taken in part stays, shorter. */
	for (i = j = 0; i < p->nmsgs; i++) {
		struct hns_peer_msg m = p->msgs[i];
		if (m.off + m.len <= n)
			continue;
		if (m.off < n) {
			m.len -= n - m.off;
			m.off = 0;
		} else {
			m.off -= n;
		}
		p->msgs[j++] = m;
	}
	p->nmsgs = j;
}

size_t
hns_peers_msgs(struct hns_peers *ps, const char *name, const struct hns_peer_msg **out)
{
	struct peer *p = find(ps, name);

	*out = p != NULL ? p->msgs : NULL;
	return p != NULL ? p->nmsgs : 0;
}

int
hns_peers_faulty(struct hns_peers *ps, const char *name)
{
	struct peer *p = find(ps, name);

	return p != NULL && p->fault[0] != '\0' && !p->fault_told;
}

const char *
hns_peers_fault(struct hns_peers *ps, const char *name)
{
	size_t i;

	for (i = 0; ps != NULL && i < ps->n; i++) {
		struct peer *p = &ps->p[i];
		if ((name == NULL || strcmp(p->def->name, name) == 0) && p->fault[0] != '\0' &&
		    !p->fault_told) {
			p->fault_told = 1;
			return p->fault;
		}
	}
	return NULL;
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
