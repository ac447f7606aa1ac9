/* SPDX-License-Identifier: MIT */
/* \summary: the MQTT commands (§2.2.4) on libmosquitto, on the module's loop */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <mosquitto.h>

#include "emulator/net_int.h"

/*
 * MSERVER, MLOGIN, MID, MCONNECT, MSUB, MPUB, MCLOSE (§2.2.4). No public
 * firmware implements them (w600-firmware.md §13); this follows the manual
 * and the limits of the library Luat's SDK ships, lwIP 2.0.3's MQTT client
 * (airm2m_mqtt): a 256-byte output ring, at most 4 requests in flight, 30 s
 * per request, 100 s to connect. Results and errors use the manual's
 * result codes (§2.2.4.9), which are lwIP's err_t:
 *     -1 out of memory (no room in the ring, too many requests)
 *     -3 timeout, -11 not connected, -13 aborted (subscription refused)
 *
 * Every command answers +OK at once; what happens next comes as a report:
 *     +MQTT:CONNECTED / +MQTT:FAIL       MCONNECT (§2.2.4.4)
 *     +MSUB:OK / +MSUB:<result>          MSUB (§2.2.4.5)
 *     +MPUB:OK / +MPUB:<result>          MPUB (§2.2.4.6)
 *     +MTOPIC:<topiclen>,<topic>         a message came (§2.2.4.7),
 *     +MQD:<len>,<data>                    then its payload
 * each followed by CR LF CR LF. MSERVER takes an IP address only (§2.2.4.1,
 * §2.2.4.10 note), mapped onto loopback by the world like SKCT's.
 */

#define MQTT_TEXT_MAX 128
#define MQTT_INFLIGHT 4            /* MQTT_REQ_MAX_IN_FLIGHT */
#define MQTT_RING 256              /* MQTT_OUTPUT_RINGBUF_SIZE */
#define MQTT_REQ_US (30u * 1000000u)      /* MQTT_REQ_TIMEOUT */
#define MQTT_CONNECT_US (100u * 1000000u) /* MQTT_CONNECT_TIMOUT */
#define MQTT_KEEPALIVE 60
#define MQTT_IN_MAX 4096           /* payload bytes of a message we pass on */

enum { ERR_MEM = -1, ERR_TIMEOUT = -3, ERR_CONN = -11, ERR_ABRT = -13 };

struct emu_net_mqtt;

struct mqtt_req {
	struct emu_net_mqtt *q;
	int used;
	int mid;
	int sub;                  /* 1 subscribe, 0 publish */
	uint64_t timer;
	int early;                /* answered inside the library call */
	int early_code;
};

struct emu_net_mqtt {
	struct emu_net *n;
	int has_server;
	uint32_t ip;
	uint16_t port;
	int has_login;
	char user[MQTT_TEXT_MAX + 1], pass[MQTT_TEXT_MAX + 1], id[MQTT_TEXT_MAX + 1];
	struct mosquitto *mosq;
	int fd;
	int connected;            /* CONNACK accepted */
	int failed;               /* +MQTT:FAIL already said for this attempt */
	uint64_t misc_timer, conn_timer;
	struct mqtt_req reqs[MQTT_INFLIGHT];
	struct mqtt_req *calling; /* the request whose library call runs */
};

static int mosq_ready;

static struct emu *
emu_of(const struct emu_net_mqtt *q)
{
	return q->n->e;
}

static struct emu_net_mqtt *
mqtt_get(struct emu_net *n)
{
	struct emu_net_mqtt *q = n->mqtt;
	size_t i;

	if (q != NULL)
		return q;
	if (!mosq_ready) {
		if (mosquitto_lib_init() != MOSQ_ERR_SUCCESS)
			return NULL;
		mosq_ready = 1;
	}
	q = atp_calloc(1, sizeof(*q));
	if (q == NULL)
		return NULL;
	q->n = n;
	q->fd = -1;
	for (i = 0; i < MQTT_INFLIGHT; i++)
		q->reqs[i].q = q;
	n->mqtt = q;
	return q;
}

/* +MSUB:OK, +MPUB:OK, or the result code (§2.2.4.5-6). */
static void
report_result(struct emu *e, int sub, int code)
{
	char line[32];

	if (code == 0)
		snprintf(line, sizeof(line), "+%s:OK", sub ? "MSUB" : "MPUB");
	else
		snprintf(line, sizeof(line), "+%s:%d", sub ? "MSUB" : "MPUB", code);
	emu_report(e, line, NULL, 0);
}

static void
req_end(struct mqtt_req *r)
{
	emu_timer_cancel(emu_of(r->q)->loop, r->timer);
	r->timer = 0;
	r->used = 0;
}

static void
req_timeout(struct emu_loop *loop, void *ctx)
{
	struct mqtt_req *r = ctx;
	struct emu *e = emu_of(r->q);

	(void)loop;
	r->timer = 0;
	emu_log_note(e, "MQTT: request %d timed out", r->mid);
	report_result(e, r->sub, ERR_TIMEOUT);
	req_end(r);
}

static struct mqtt_req *
req_find(struct emu_net_mqtt *q, int mid)
{
	size_t i;

	for (i = 0; i < MQTT_INFLIGHT; i++)
		if (q->reqs[i].used && q->reqs[i].mid == mid)
			return &q->reqs[i];
	return NULL;
}

/* A request's outcome. A QoS 0 publication is acknowledged inside
 * mosquitto_publish(), before its id is known: kept for the caller. */
static void
req_result(struct emu_net_mqtt *q, int mid, int code)
{
	struct mqtt_req *r = req_find(q, mid);

	if (r == NULL) {
		r = q->calling;
		if (r == NULL || r->mid != -1)
			return;
		r->early = 1;
		r->early_code = code;
		return;
	}
	report_result(emu_of(q), r->sub, code);
	req_end(r);
}

static struct mqtt_req *
req_new(struct emu_net_mqtt *q)
{
	size_t i;

	for (i = 0; i < MQTT_INFLIGHT; i++)
		if (!q->reqs[i].used)
			return &q->reqs[i];
	return NULL;
}

/* Drops the session (MCLOSE, a lost connection, a reset). Pending
 * requests end without a report: the manual gives none for them. */
static void
session_end(struct emu_net_mqtt *q)
{
	struct emu *e = emu_of(q);
	size_t i;

	for (i = 0; i < MQTT_INFLIGHT; i++)
		if (q->reqs[i].used)
			req_end(&q->reqs[i]);
	if (q->fd >= 0)
		emu_loop_del_fd(e->loop, q->fd);
	q->fd = -1;
	emu_timer_cancel(e->loop, q->misc_timer);
	emu_timer_cancel(e->loop, q->conn_timer);
	q->misc_timer = q->conn_timer = 0;
	if (q->mosq != NULL)
		mosquitto_destroy(q->mosq);
	q->mosq = NULL;
	q->connected = 0;
}

void
emu_net_mqtt_free(struct emu_net *n)
{
	if (n->mqtt == NULL)
		return;
	session_end(n->mqtt);
	atp_free(n->mqtt);
	n->mqtt = NULL;
}

/* ---- libmosquitto on the loop ---------------------------------------- */

static void fd_event(struct emu_loop *loop, int fd, unsigned revents, void *ctx);

/* Watches the client's socket; it wants to write while packets wait. */
static void
rewatch(struct emu_net_mqtt *q)
{
	struct emu *e = emu_of(q);
	int fd = mosquitto_socket(q->mosq);
	unsigned ev = EMU_EV_IN;

	if (fd != q->fd && q->fd >= 0)
		emu_loop_del_fd(e->loop, q->fd);
	q->fd = fd;
	if (fd < 0)
		return;
	if (mosquitto_want_write(q->mosq))
		ev |= EMU_EV_OUT;
	emu_loop_add_fd(e->loop, fd, ev, fd_event, q);
}

static void
lost(struct emu_net_mqtt *q, int rc)
{
	struct emu *e = emu_of(q);
	int was = q->connected;

	emu_log_note(e, "MQTT: connection lost: %s", mosquitto_strerror(rc));
	session_end(q);
	/* Before CONNACK, a lost connection is a failed MCONNECT. */
	if (!was && !q->failed)
		emu_report(e, "+MQTT:FAIL", NULL, 0);
	q->failed = 1;
}

static void
fd_event(struct emu_loop *loop, int fd, unsigned revents, void *ctx)
{
	struct emu_net_mqtt *q = ctx;
	int rc = MOSQ_ERR_SUCCESS;

	(void)loop;
	if (q->mosq == NULL || fd != q->fd)
		return;
	if (revents & EMU_EV_IN)
		rc = mosquitto_loop_read(q->mosq, 1);
	if (rc == MOSQ_ERR_SUCCESS && q->mosq != NULL && (revents & EMU_EV_OUT))
		rc = mosquitto_loop_write(q->mosq, 1);
	if (q->mosq == NULL)
		return;
	if (rc != MOSQ_ERR_SUCCESS) {
		lost(q, rc);
		return;
	}
	rewatch(q);
}

static void
misc_fire(struct emu_loop *loop, void *ctx)
{
	struct emu_net_mqtt *q = ctx;
	int rc;

	(void)loop;
	q->misc_timer = 0;
	if (q->mosq == NULL)
		return;
	rc = mosquitto_loop_misc(q->mosq);
	if (rc != MOSQ_ERR_SUCCESS) {
		lost(q, rc);
		return;
	}
	rewatch(q);
	q->misc_timer = emu_timer_add(emu_of(q)->loop, 1000000u, misc_fire, q);
}

static void
conn_timeout(struct emu_loop *loop, void *ctx)
{
	struct emu_net_mqtt *q = ctx;

	(void)loop;
	q->conn_timer = 0;
	if (q->connected)
		return;
	emu_log_note(emu_of(q), "MQTT: no CONNACK after %u s", MQTT_CONNECT_US / 1000000u);
	session_end(q);
	if (!q->failed)
		emu_report(emu_of(q), "+MQTT:FAIL", NULL, 0);
	q->failed = 1;
}

static void
on_connect(struct mosquitto *m, void *obj, int rc)
{
	struct emu_net_mqtt *q = obj;
	struct emu *e = emu_of(q);

	(void)m;
	emu_timer_cancel(e->loop, q->conn_timer);
	q->conn_timer = 0;
	if (rc != 0) {
		emu_log_note(e, "MQTT: the broker refused: %s", mosquitto_connack_string(rc));
		emu_report(e, "+MQTT:FAIL", NULL, 0);
		q->failed = 1;
		/* Ended by the next read, which finds the socket closed. */
		mosquitto_disconnect(q->mosq);
		return;
	}
	q->connected = 1;
	emu_log_note(e, "MQTT: connected");
	emu_report(e, "+MQTT:CONNECTED", NULL, 0);
}

static void
on_disconnect(struct mosquitto *m, void *obj, int rc)
{
	struct emu_net_mqtt *q = obj;

	(void)m;
	emu_log_note(emu_of(q), "MQTT: disconnected (%d)", rc);
	q->connected = 0;
}

static void
on_subscribe(struct mosquitto *m, void *obj, int mid, int nqos, const int *granted)
{
	struct emu_net_mqtt *q = obj;
	int code = 0;

	(void)m;
	/* A refused subscription (SUBACK 0x80) is lwIP's ERR_ABRT. */
	if (nqos < 1 || granted[0] == 0x80)
		code = ERR_ABRT;
	req_result(q, mid, code);
}

static void
on_publish(struct mosquitto *m, void *obj, int mid)
{
	(void)m;
	req_result(obj, mid, 0);
}

static void
on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg)
{
	struct emu_net_mqtt *q = obj;
	struct emu *e = emu_of(q);
	size_t tlen = strlen(msg->topic);
	size_t plen = msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0;
	char *buf, head[32];
	size_t len;
	int k;

	(void)m;
	if (plen > MQTT_IN_MAX) {
		emu_log_note(e, "MQTT: a %zu-byte message cut to %d bytes", plen, MQTT_IN_MAX);
		plen = MQTT_IN_MAX;
	}
	emu_log_note(e, "MQTT: message on '%s', %zu bytes", msg->topic, plen);
	buf = atp_malloc(tlen + plen + 64);
	if (buf == NULL) {
		emu_log_note(e, "MQTT: out of memory: message dropped");
		return;
	}
	k = snprintf(buf, tlen + 64, "+MTOPIC:%zu,%s", tlen, msg->topic);
	if (k > 0)
		emu_report(e, buf, NULL, 0);
	/* The payload may hold any byte, NULs included: written as bytes. */
	k = snprintf(head, sizeof(head), "+MQD:%zu,", plen);
	len = (size_t)k;
	memcpy(buf, head, len);
	if (plen > 0)
		memcpy(buf + len, msg->payload, plen);
	len += plen;
	memcpy(buf + len, emu_term(e), strlen(emu_term(e)));
	len += strlen(emu_term(e));
	emu_out(e, buf, len);
	atp_free(buf);
}

/* ---- commands ---------------------------------------------------------- */

static int
text_arg(const struct atp_match *m, const char *name, char *buf, size_t size)
{
	const struct atp_capture *c = atp_match_get(m, name);

	if (c == NULL || !c->in_range || c->raw.len >= size || memchr(c->raw.p, 0, c->raw.len))
		return -1;
	memcpy(buf, c->raw.p, c->raw.len);
	buf[c->raw.len] = '\0';
	return 0;
}

/* AT+MSERVER=<port>,<ipaddr> (§2.2.4.1): no domain names. */
int
emu_net_cmd_mserver(struct emu *e, const struct atp_cmdline *cl)
{
	struct atp_match m;
	struct emu_net_mqtt *q;
	uint32_t ip;

	if (emu_args(e, cl, &m) < 0 || m.nbad != 0 || emu_arg_ip(&m, "ipaddr", &ip) != 0)
		return -4;
	q = mqtt_get(e->net);
	if (q == NULL)
		return -6;
	q->ip = ip;
	q->port = (uint16_t)emu_arg_num(&m, "port");
	q->has_server = 1;
	emu_reply_ok(e);
	return 0;
}

/* AT+MLOGIN=<user>,<password> (§2.2.4.2): taken as written, no quotes. */
int
emu_net_cmd_mlogin(struct emu *e, const struct atp_cmdline *cl)
{
	struct atp_match m;
	struct emu_net_mqtt *q;
	char user[MQTT_TEXT_MAX + 1], pass[MQTT_TEXT_MAX + 1];

	if (emu_args(e, cl, &m) < 0 || m.nbad != 0 ||
	    text_arg(&m, "user", user, sizeof(user)) != 0 ||
	    text_arg(&m, "password", pass, sizeof(pass)) != 0)
		return -4;
	q = mqtt_get(e->net);
	if (q == NULL)
		return -6;
	memcpy(q->user, user, sizeof(user));
	memcpy(q->pass, pass, sizeof(pass));
	q->has_login = 1;
	emu_reply_ok(e);
	return 0;
}

/* AT+MID=<client_id> (§2.2.4.3). */
int
emu_net_cmd_mid(struct emu *e, const struct atp_cmdline *cl)
{
	struct atp_match m;
	struct emu_net_mqtt *q;
	char id[MQTT_TEXT_MAX + 1];

	if (emu_args(e, cl, &m) < 0 || m.nbad != 0 ||
	    text_arg(&m, "client_id", id, sizeof(id)) != 0)
		return -4;
	q = mqtt_get(e->net);
	if (q == NULL)
		return -6;
	memcpy(q->id, id, sizeof(id));
	emu_reply_ok(e);
	return 0;
}

/* Starts the connection; 0, or -1 when it failed at once (logged). */
static int
connect_start(struct emu *e, struct emu_net_mqtt *q)
{
	struct sockaddr_in sa;
	char host[16];
	int rc;

	if (!q->has_server) {
		emu_log_note(e, "MCONNECT: no server (MSERVER)");
		return -1;
	}
	if (!emu_net_link_up(e)) {
		emu_log_note(e, "MCONNECT: no network");
		return -1;
	}
	if (emu_net_online(e, "MCONNECT") != 0 ||
	    emu_net_route(e, q->ip, q->port, &sa, "MCONNECT") != 0)
		return -1;
	q->mosq = mosquitto_new(q->id[0] != '\0' ? q->id : NULL, true, q);
	if (q->mosq == NULL) {
		emu_log_note(e, "MCONNECT: mosquitto_new failed");
		return -1;
	}
	mosquitto_int_option(q->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
	if (q->has_login)
		mosquitto_username_pw_set(q->mosq, q->user, q->pass);
	mosquitto_connect_callback_set(q->mosq, on_connect);
	mosquitto_disconnect_callback_set(q->mosq, on_disconnect);
	mosquitto_subscribe_callback_set(q->mosq, on_subscribe);
	mosquitto_publish_callback_set(q->mosq, on_publish);
	mosquitto_message_callback_set(q->mosq, on_message);
	emu_fmt_ip(ntohl(sa.sin_addr.s_addr), host);
	rc = mosquitto_connect_async(q->mosq, host, ntohs(sa.sin_port), MQTT_KEEPALIVE);
	if (rc != MOSQ_ERR_SUCCESS) {
		emu_log_note(e, "MCONNECT: %s:%u: %s", host, (unsigned)ntohs(sa.sin_port),
		    mosquitto_strerror(rc));
		session_end(q);
		return -1;
	}
	emu_log_note(e, "MCONNECT: connecting to %s:%u", host, (unsigned)ntohs(sa.sin_port));
	q->fd = mosquitto_socket(q->mosq);
	/* Writable once the TCP connect is over; then as rewatch() says. */
	if (q->fd >= 0)
		emu_loop_add_fd(e->loop, q->fd, EMU_EV_IN | EMU_EV_OUT, fd_event, q);
	q->misc_timer = emu_timer_add(e->loop, 1000000u, misc_fire, q);
	q->conn_timer = emu_timer_add(e->loop, MQTT_CONNECT_US, conn_timeout, q);
	return 0;
}

/* AT+MCONNECT (§2.2.4.4): +OK, then +MQTT:CONNECTED or +MQTT:FAIL. */
int
emu_net_cmd_mconnect(struct emu *e, const struct atp_cmdline *cl)
{
	struct emu_net_mqtt *q = mqtt_get(e->net);

	(void)cl;
	if (q == NULL)
		return -6;
	emu_reply_ok(e);
	q->failed = 0;
	if (q->mosq != NULL) {
		/* lwIP's mqtt_client_connect() refuses with ERR_ISCONN. */
		emu_log_note(e, "MCONNECT: already connected or connecting");
		emu_report(e, "+MQTT:FAIL", NULL, 0);
		return 0;
	}
	if (connect_start(e, q) != 0)
		emu_report(e, "+MQTT:FAIL", NULL, 0);
	return 0;
}

/* Takes request slot @r for the library call about to run. */
static void
call_begin(struct emu_net_mqtt *q, struct mqtt_req *r, int sub)
{
	r->used = 1;
	r->mid = -1;
	r->sub = sub;
	r->early = 0;
	q->calling = r;
}

/* After the call: an error or an early answer is reported now, otherwise
 * the request waits for its acknowledgement for up to 30 s. */
static void
call_end(struct emu *e, struct emu_net_mqtt *q, struct mqtt_req *r, int rc, int mid)
{
	q->calling = NULL;
	if (rc != MOSQ_ERR_SUCCESS) {
		emu_log_note(e, "%s: %s", r->sub ? "MSUB" : "MPUB", mosquitto_strerror(rc));
		r->used = 0;
		report_result(e, r->sub, rc == MOSQ_ERR_NOMEM ? ERR_MEM : ERR_CONN);
		return;
	}
	if (r->early) {
		r->used = 0;
		report_result(e, r->sub, r->early_code);
	} else {
		r->mid = mid;
		r->timer = emu_timer_add(e->loop, MQTT_REQ_US, req_timeout, r);
	}
	if (q->mosq != NULL)
		rewatch(q);
}

/*
 * Checks common to MSUB and MPUB: a session (else -11, lwIP's ERR_CONN)
 * and a free request slot (else -1, ERR_MEM). 0 or the result code.
 */
static int
can_request(struct emu *e, struct emu_net_mqtt *q, const char *what)
{
	if (q == NULL || q->mosq == NULL) {
		emu_log_note(e, "%s: not connected (MCONNECT)", what);
		return ERR_CONN;
	}
	if (req_new(q) == NULL) {
		emu_log_note(e, "%s: %d requests already wait", what, MQTT_INFLIGHT);
		return ERR_MEM;
	}
	return 0;
}

/* AT+MSUB=<topic>[,<qos>] (§2.2.4.5; qos 0 when absent, as §2.2.4.10). */
int
emu_net_cmd_msub(struct emu *e, const struct atp_cmdline *cl)
{
	struct emu_net_mqtt *q = e->net->mqtt;
	struct atp_match m;
	char topic[MQTT_TEXT_MAX + 1];
	struct mqtt_req *r;
	int qos = 0, mid = 0, rc;

	if (emu_args(e, cl, &m) < 0 || m.nbad != 0 ||
	    text_arg(&m, "topics", topic, sizeof(topic)) != 0)
		return -4;
	if (atp_match_get(&m, "qos") != NULL)
		qos = (int)emu_arg_num(&m, "qos");
	/* The pattern's bare topic may swallow ",<qos>" (both readings match
	 * the pattern); a module splits its arguments at commas, so two
	 * arguments are the topic and the QoS. */
	if (cl->nargs == 2 && cl->args[1].value.len == 1 && cl->args[1].value.p[0] >= '0' &&
	    cl->args[1].value.p[0] <= '2' && cl->args[0].value.len < sizeof(topic)) {
		memcpy(topic, cl->args[0].value.p, cl->args[0].value.len);
		topic[cl->args[0].value.len] = '\0';
		qos = cl->args[1].value.p[0] - '0';
	}
	emu_reply_ok(e);
	rc = can_request(e, q, "MSUB");
	if (rc != 0) {
		report_result(e, 1, rc);
		return 0;
	}
	r = req_new(q);
	emu_log_note(e, "MSUB: '%s' qos %d", topic, qos);
	call_begin(q, r, 1);
	rc = mosquitto_subscribe(q->mosq, &mid, topic, qos);
	call_end(e, q, r, rc, mid);
	return 0;
}

/*
 * AT+MPUB=<topic>,<qos>,<retain>,<message> (§2.2.4.6). The whole PUBLISH
 * packet must fit lwIP's 256-byte output ring (firmware §13), else -1.
 */
int
emu_net_cmd_mpub(struct emu *e, const struct atp_cmdline *cl)
{
	struct emu_net_mqtt *q = e->net->mqtt;
	struct atp_match m;
	char topic[MQTT_TEXT_MAX + 1];
	const struct atp_capture *msg;
	struct mqtt_req *r;
	size_t rem, total;
	int qos, retain, mid = 0, rc;

	if (emu_args(e, cl, &m) < 0 || m.nbad != 0 ||
	    text_arg(&m, "topics", topic, sizeof(topic)) != 0)
		return -4;
	msg = atp_match_get(&m, "message");
	if (msg == NULL)
		return -4;
	qos = (int)emu_arg_num(&m, "qos");
	retain = (int)emu_arg_num(&m, "retain");
	emu_reply_ok(e);
	rc = can_request(e, q, "MPUB");
	if (rc == 0) {
		rem = 2 + strlen(topic) + (qos > 0 ? 2u : 0u) + msg->raw.len;
		total = 1 + rem + (rem < 128 ? 1u : 2u);
		if (total > MQTT_RING) {
			emu_log_note(e, "MPUB: a %zu-byte packet does not fit the %d-byte ring",
			    total, MQTT_RING);
			rc = ERR_MEM;
		}
	}
	if (rc != 0) {
		report_result(e, 0, rc);
		return 0;
	}
	r = req_new(q);
	emu_log_note(e, "MPUB: '%s' qos %d retain %d, %zu bytes", topic, qos, retain,
	    msg->raw.len);
	call_begin(q, r, 0);
	rc = mosquitto_publish(q->mosq, &mid, topic, (int)msg->raw.len, msg->raw.p, qos,
	    retain != 0);
	call_end(e, q, r, rc, mid);
	return 0;
}

/* AT+MCLOSE (§2.2.4.8). */
int
emu_net_cmd_mclose(struct emu *e, const struct atp_cmdline *cl)
{
	struct emu_net_mqtt *q = e->net->mqtt;

	(void)cl;
	if (q != NULL && q->mosq != NULL) {
		mosquitto_disconnect(q->mosq);
		mosquitto_loop_write(q->mosq, 1);
		emu_log_note(e, "MCLOSE: disconnected");
		session_end(q);
	}
	emu_reply_ok(e);
	return 0;
}
