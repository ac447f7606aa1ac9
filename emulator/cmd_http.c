/* SPDX-License-Identifier: MIT */
/* \summary: HTTPC (§2.2.3.19): an HTTP client on libcurl's multi interface */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <curl/curl.h>

#include "emulator/net_int.h"

/*
 * AT+HTTPC=<url>,<verb>[,<postdata>] (§2.2.3.19; firmware §10). The
 * command answers at once, +OK (manual) or +OK=<session> (httpc-ok-session);
 * the request then runs on the module's event loop (libcurl's multi socket
 * interface), and its outcome comes as reports, only while SKRPTM=1 (the
 * manual's note; firmware §10):
 *     +HTTPCRPT=<session>,<content-length>\r\n\r\n<body, raw>
 *     +HTTPCERRRPT=<session>,<code>\r\n\r\n
 * The content length is 1024 when the server sends none (firmware §10).
 * The codes are the firmware HTTP client's (wm_http_client.h): 6 the name
 * does not resolve, 7 no connection, 8 timeout, 9 receive error...
 *
 * Choices the sources leave open: a response with no body (HEAD, 204)
 * still reports +HTTPCRPT=<session>,0 so that the host sees the request
 * end; the URL may omit "http://"; the host is mapped through the world
 * like SKCT's, and a host that is neither loopback nor mapped fails with
 * code 7 and a log line unless --allow-net.
 */

#define HTTP_MAX 8                 /* requests in flight */
#define HTTP_FDS_MAX 32
#define HTTP_BODY_MAX (256 * 1024) /* bytes of one response body */
#define HTTP_SESSION_BASE 536875600u  /* sessions look like W600 heap pointers */
#define HTTP_SESSION_STEP 1048u

enum {
	HC_UNKNOWN = 1, HC_NO_MEMORY = 3, HC_RESOLVE = 6, HC_CONNECT = 7, HC_TIMEOUT = 8,
	HC_RECV = 9, HC_SEND = 10, HC_HEADER_RECV = 11,
};

struct emu_net_http;

struct http_req {
	struct emu_net_http *h;
	CURL *easy;
	unsigned long session;
	int reported;             /* +HTTPCRPT sent */
	size_t body;
	struct curl_slist *connect_to;
	struct sockaddr_in to;    /* the only address it may connect to */
	char *post;
};

struct emu_net_http {
	struct emu_net *n;
	CURLM *multi;
	uint64_t timer;
	unsigned long seq;
	struct http_req *reqs[HTTP_MAX];
	int fds[HTTP_FDS_MAX];
	size_t nfds;
};

static int curl_ready;

static struct emu *
emu_of(const struct emu_net_http *h)
{
	return h->n->e;
}

static void
fd_track(struct emu_net_http *h, int fd, int add)
{
	size_t i;

	for (i = 0; i < h->nfds; i++) {
		if (h->fds[i] == fd) {
			if (!add)
				h->fds[i] = h->fds[--h->nfds];
			return;
		}
	}
	if (add && h->nfds < HTTP_FDS_MAX)
		h->fds[h->nfds++] = fd;
}

static void
report_err(struct emu *e, unsigned long session, int code)
{
	char line[64];

	emu_log_note(e, "HTTPC %lu: failed, code %d", session, code);
	if (!e->net->rptmode)
		return;
	snprintf(line, sizeof(line), "+HTTPCERRRPT=%lu,%d", session, code);
	emu_report(e, line, NULL, 0);
}

static void
req_free(struct http_req *r)
{
	struct emu_net_http *h = r->h;
	size_t i;

	for (i = 0; i < HTTP_MAX; i++)
		if (h->reqs[i] == r)
			h->reqs[i] = NULL;
	if (r->easy != NULL) {
		curl_multi_remove_handle(h->multi, r->easy);
		curl_easy_cleanup(r->easy);
	}
	curl_slist_free_all(r->connect_to);
	atp_free(r->post);
	atp_free(r);
}

static int
code_of(CURLcode rc)
{
	/* An if chain: CURLcode has a hundred values and -Wswitch-enum. */
	if (rc == CURLE_COULDNT_RESOLVE_HOST)
		return HC_RESOLVE;
	if (rc == CURLE_COULDNT_CONNECT)
		return HC_CONNECT;
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return HC_TIMEOUT;
	if (rc == CURLE_RECV_ERROR || rc == CURLE_PARTIAL_FILE)
		return HC_RECV;
	if (rc == CURLE_SEND_ERROR)
		return HC_SEND;
	if (rc == CURLE_GOT_NOTHING || rc == CURLE_WEIRD_SERVER_REPLY)
		return HC_HEADER_RECV;
	if (rc == CURLE_WRITE_ERROR || rc == CURLE_OUT_OF_MEMORY)
		return HC_NO_MEMORY;
	return HC_UNKNOWN;
}

static void
check_done(struct emu_net_http *h)
{
	struct emu *e = emu_of(h);
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
		struct http_req *r = NULL;
		char line[64];
		long status = 0;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		if (r == NULL)
			continue;
		if (msg->data.result != CURLE_OK) {
			emu_log_note(e, "HTTPC %lu: %s", r->session,
			    curl_easy_strerror(msg->data.result));
			report_err(e, r->session, code_of(msg->data.result));
		} else {
			curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
			emu_log_note(e, "HTTPC %lu: HTTP %ld, %zu body bytes", r->session, status,
			    r->body);
			if (!r->reported && e->net->rptmode) {
				snprintf(line, sizeof(line), "+HTTPCRPT=%lu,0", r->session);
				emu_report(e, line, NULL, 0);
			}
		}
		req_free(r);
	}
}

static void
fd_event(struct emu_loop *loop, int fd, unsigned revents, void *ctx)
{
	struct emu_net_http *h = ctx;
	int running, flags = 0;

	(void)loop;
	if (revents & EMU_EV_IN)
		flags |= CURL_CSELECT_IN;
	if (revents & EMU_EV_OUT)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(h->multi, fd, flags, &running);
	check_done(h);
}

static int
sock_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct emu_net_http *h = userp;
	struct emu *e = emu_of(h);
	unsigned ev = 0;

	(void)easy;
	(void)socketp;
	if (what == CURL_POLL_REMOVE) {
		emu_loop_del_fd(e->loop, fd);
		fd_track(h, fd, 0);
		return 0;
	}
	if (what & CURL_POLL_IN)
		ev |= EMU_EV_IN;
	if (what & CURL_POLL_OUT)
		ev |= EMU_EV_OUT;
	if (emu_loop_add_fd(e->loop, fd, ev, fd_event, h) != ATP_OK)
		return -1;
	fd_track(h, fd, 1);
	return 0;
}

static void
timer_fire(struct emu_loop *loop, void *ctx)
{
	struct emu_net_http *h = ctx;
	int running;

	(void)loop;
	h->timer = 0;
	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(h);
}

static int
timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct emu_net_http *h = userp;
	struct emu *e = emu_of(h);

	(void)multi;
	emu_timer_cancel(e->loop, h->timer);
	h->timer = 0;
	if (timeout_ms >= 0) {
		h->timer = emu_timer_add(e->loop, (uint64_t)timeout_ms * 1000u, timer_fire, h);
		if (h->timer == 0)
			return -1;
	}
	return 0;
}

/* The first body bytes carry the +HTTPCRPT header (firmware §10). */
static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct http_req *r = userdata;
	struct emu *e = emu_of(r->h);
	size_t len = size * nmemb;
	char line[64];

	if (r->body + len > HTTP_BODY_MAX) {
		emu_log_note(e, "HTTPC %lu: body over %d bytes: cut", r->session, HTTP_BODY_MAX);
		return 0;
	}
	r->body += len;
	if (!e->net->rptmode)
		return len;
	if (!r->reported) {
		curl_off_t cl = -1;
		curl_easy_getinfo(r->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
		snprintf(line, sizeof(line), "+HTTPCRPT=%lu,%lld", r->session,
		    cl >= 0 ? (long long)cl : 1024LL);
		r->reported = 1;
		emu_report(e, line, ptr, len);
		return len;
	}
	emu_out(e, ptr, len);
	return len;
}

/* The last line of defence: curl may only connect where the world said. */
static curl_socket_t
open_cb(void *clientp, curlsocktype purpose, struct curl_sockaddr *address)
{
	struct http_req *r = clientp;
	const struct sockaddr_in *sa = (const struct sockaddr_in *)(const void *)&address->addr;
	struct emu *e = emu_of(r->h);
	char where[32];

	(void)purpose;
	if (address->family != AF_INET ||
	    (!e->allow_net && (sa->sin_addr.s_addr != r->to.sin_addr.s_addr ||
	    sa->sin_port != r->to.sin_port))) {
		if (address->family == AF_INET)
			emu_net_fmt_sa(sa, where, sizeof(where));
		else
			snprintf(where, sizeof(where), "a non-IPv4 address");
		emu_log_note(e, "HTTPC %lu: connection to %s refused", r->session, where);
		return CURL_SOCKET_BAD;
	}
	return socket(address->family, address->socktype, address->protocol);
}

static struct emu_net_http *
http_get(struct emu_net *n)
{
	struct emu_net_http *h = n->http;

	if (h != NULL)
		return h;
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return NULL;
		curl_ready = 1;
	}
	h = atp_calloc(1, sizeof(*h));
	if (h == NULL)
		return NULL;
	h->n = n;
	h->multi = curl_multi_init();
	if (h->multi == NULL) {
		atp_free(h);
		return NULL;
	}
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	n->http = h;
	return h;
}

void
emu_net_http_free(struct emu_net *n)
{
	struct emu_net_http *h = n->http;
	size_t i;

	if (h == NULL)
		return;
	for (i = 0; i < HTTP_MAX; i++)
		if (h->reqs[i] != NULL)
			req_free(h->reqs[i]);
	curl_multi_cleanup(h->multi);
	for (i = 0; i < h->nfds; i++)
		emu_loop_del_fd(n->e->loop, h->fds[i]);
	emu_timer_cancel(n->e->loop, h->timer);
	atp_free(h);
	n->http = NULL;
}

/* Where the URL's host really is: 0 with r->to and the CONNECT_TO entry
 * set, or the firmware's error code. */
static int
route(struct emu *e, struct http_req *r, const char *url)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL, line[300], real[16];
	uint64_t p = 80;
	uint32_t ip;
	int code = 0;

	if (u == NULL)
		return HC_NO_MEMORY;
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_DEFAULT_SCHEME) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK ||
	    atp_span_dec(atp_span_str(port), &p, 65535) != ATP_OK) {
		emu_log_note(e, "HTTPC %lu: '%s' is no URL", r->session, url);
		code = HC_UNKNOWN;
	} else if (!emu_net_link_up(e)) {
		emu_log_note(e, "HTTPC %lu: no network", r->session);
		code = emu_net_parse_ip(host, &ip) == 0 ? HC_CONNECT : HC_RESOLVE;
	} else if (emu_net_resolve(e, host, &ip) != 0) {
		code = HC_RESOLVE;
	} else if (emu_net_online(e, "HTTPC") != 0 ||
	    emu_net_route(e, ip, (uint16_t)p, &r->to, "HTTPC") != 0) {
		code = HC_CONNECT;
	} else {
		snprintf(line, sizeof(line), "%s:%u:%s:%u", host, (unsigned)p,
		    emu_fmt_ip(ntohl(r->to.sin_addr.s_addr), real),
		    (unsigned)ntohs(r->to.sin_port));
		r->connect_to = curl_slist_append(NULL, line);
		if (r->connect_to == NULL)
			code = HC_NO_MEMORY;
	}
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return code;
}

static int
start(struct emu_net_http *h, struct http_req *r, const char *url, unsigned verb,
    struct atp_span data)
{
	CURL *c = curl_easy_init();

	if (c == NULL)
		return HC_NO_MEMORY;
	r->easy = c;
	curl_easy_setopt(c, CURLOPT_PRIVATE, (char *)r);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_DEFAULT_PROTOCOL, "http");
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_CONNECT_TO, r->connect_to);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	/* The firmware waits 30 s for the response header (§10). */
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 25000L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 60000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_cb);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, r);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "W600 HTTPClient");
	switch (verb) {
	case 1:
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
		break;
	case 2:
	case 3:
		r->post = atp_memdup0(data.p, data.len);
		if (r->post == NULL)
			return HC_NO_MEMORY;
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, r->post);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)data.len);
		if (verb == 3)
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
		break;
	default:
		break;
	}
	if (curl_multi_add_handle(h->multi, c) != CURLM_OK)
		return HC_NO_MEMORY;
	return 0;
}

/*
 * The verb: 0 GET, 2 POST, 3 PUT (§2.2.3.19), and 1 HEAD where the
 * firmware has it (httpc-head-verb). POST and PUT need their data, which
 * the firmware takes raw, quotes included (firmware §3).
 */
int
emu_net_cmd_httpc(struct emu *e, const struct atp_cmdline *cl)
{
	struct emu_net *n = e->net;
	struct atp_match m;
	const struct atp_capture *vc, *dc;
	char url[EMU_HOST_MAX + 2];
	struct emu_net_http *h;
	struct http_req *r;
	struct atp_span data = { NULL, 0 };
	unsigned verb;
	size_t slot;
	int code;

	if (emu_args(e, cl, &m) < 0 || emu_arg_str(&m, "url", url, sizeof(url)) <= 0)
		return -4;
	vc = atp_match_get(&m, "verb");
	dc = atp_match_get(&m, "postdata");
	if (vc == NULL || !vc->has_num || vc->num < 0 || vc->num > 3)
		return -4;
	verb = (unsigned)vc->num;
	if (verb == 1 && !emu_dev(e, "httpc-head-verb"))
		return -4;
	if (dc != NULL) {
		if (!dc->in_range)
			return -4;
		data = dc->raw;
	}
	if ((verb == 2 || verb == 3) && dc == NULL)
		return -4;
	h = http_get(n);
	if (h == NULL)
		return -6;
	for (slot = 0; slot < HTTP_MAX && h->reqs[slot] != NULL; slot++)
		;
	if (slot == HTTP_MAX) {
		emu_log_note(e, "HTTPC: %d requests already run", HTTP_MAX);
		return -6;
	}
	r = atp_calloc(1, sizeof(*r));
	if (r == NULL)
		return -6;
	r->h = h;
	r->session = HTTP_SESSION_BASE + HTTP_SESSION_STEP * (h->seq++ % 100000u);
	h->reqs[slot] = r;
	if (emu_dev(e, "httpc-ok-session"))
		emu_reply_okf(e, "%lu", r->session);
	else
		emu_reply_ok(e);
	emu_log_note(e, "HTTPC %lu: %s %s", r->session,
	    verb == 0 ? "GET" : verb == 1 ? "HEAD" : verb == 2 ? "POST" : "PUT", url);
	code = route(e, r, url);
	if (code == 0)
		code = start(h, r, url, verb, data);
	if (code != 0) {
		report_err(e, r->session, code);
		req_free(r);
	}
	return 0;
}
