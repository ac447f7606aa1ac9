/* SPDX-License-Identifier: MIT */
/* \summary: the emulator's networking: real loopback peers, a real loop */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "emulator/emu.h"
#include "emulator/net_int.h"

/*
 * Each test runs one module in memory on a real event loop (real time,
 * real sockets) against peers it opens itself on 127.0.0.1: a TCP server
 * and a UDP socket on free ports, which the test's world maps the manual's
 * addresses onto (192.168.1.100:1000 TCP, 192.168.1.100:2000 UDP, §3.9).
 */

#define OK "+OK\r\n\r\n"
#define PEER "192.168.1.100"

struct nt {
	struct emu_loop *loop;
	struct emu *e;
	struct emu_world *world;
	struct emu_faults faults;
	int lfd;                  /* the TCP peer's listening socket */
	uint16_t tport;
	int ufd;                  /* the UDP peer */
	uint16_t uport;
	uint16_t hport;           /* a port nothing listens on */
	int sfd;                  /* a listener whose full queue drops SYNs */
	uint16_t sport;
	char out[65536];
	size_t outlen;
};

static uint64_t
now_ms(void)
{
	return emu_now_us() / 1000u;
}

static int
nonblock(int fd)
{
	return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static int
bound(int type, uint16_t *port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, type, 0), one = 1;

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(0x7f000001u);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	nonblock(fd);
	return fd;
}

/* A port that was free a moment ago and has no listener now. */
static uint16_t
free_port(void)
{
	uint16_t p;
	int fd = bound(SOCK_STREAM, &p);

	close(fd);
	return p;
}

static void
grab(struct nt *t)
{
	t->outlen += emu_output_take(t->e, t->out + t->outlen, sizeof(t->out) - 1 - t->outlen);
	t->out[t->outlen] = '\0';
}

static void
pump(struct nt *t, unsigned ms)
{
	uint64_t end = now_ms() + ms;

	do {
		emu_loop_run_once(t->loop, 2);
		grab(t);
	} while (now_ms() < end);
}

static int
has(const struct nt *t, const void *want, size_t len)
{
	size_t i;

	for (i = 0; i + len <= t->outlen; i++)
		if (memcmp(t->out + i, want, len) == 0)
			return 1;
	return 0;
}

/* Runs the loop until the output holds @want (or @ms pass). */
static int
wait_for(struct nt *t, const void *want, size_t len, unsigned ms)
{
	uint64_t end = now_ms() + ms;

	while (!has(t, want, len) && now_ms() < end) {
		emu_loop_run_once(t->loop, 2);
		grab(t);
	}
	return has(t, want, len);
}

static void
clear(struct nt *t)
{
	t->outlen = 0;
	t->out[0] = '\0';
}

/* Sends @in, waits until exactly @want came (2 s at most), and checks it. */
static void
expect_n(struct nt *t, const void *in, size_t inlen, const void *want, size_t len)
{
	char e1[2048], e2[2048], e3[512];

	clear(t);
	emu_input(t->e, in, inlen);
	wait_for(t, want, len, 2000);
	pump(t, 5);
	if (t->outlen != len || memcmp(t->out, want, len) != 0) {
		atp_span_escape(atp_span_make(in, inlen), e3, sizeof(e3));
		atp_span_escape(atp_span_make(want, len), e1, sizeof(e1));
		atp_span_escape(atp_span_make(t->out, t->outlen), e2, sizeof(e2));
		fail_msg("%s\n  sent     %s\n  expected %s\n  got      %s", t->e->prof->name,
		    e3, e1, e2);
	}
}

static void
expect(struct nt *t, const char *in, const char *want)
{
	expect_n(t, in, strlen(in), want, strlen(want));
}

/* Sends @in; what comes must start with @want. */
static void
expect_prefix(struct nt *t, const char *in, const char *want)
{
	clear(t);
	emu_input(t->e, in, strlen(in));
	wait_for(t, want, strlen(want), 2000);
	pump(t, 10);
	if (strncmp(t->out, want, strlen(want)) != 0)
		fail_msg("sent %s: expected %s..., got %s", in, want, t->out);
}

static void
send_str(struct nt *t, const char *s)
{
	emu_input(t->e, s, strlen(s));
}

/* A module on the test world; @allow_net as --allow-net, @log its byte
 * log (NULL: none), @virtual_clock as emu_loop_new() takes it. */
static struct nt *
nt_open_clock(const char *profile, const char *fault, int allow_net, struct emu_log *log,
    int virtual_clock)
{
	struct nt *t = test_calloc(1, sizeof(*t));
	struct emu_config cfg;
	struct atp_diag d;
	char yaml[2048];

	atp_diag_clear(&d);
	t->faults.seed = 1;
	if (fault != NULL)
		assert_int_equal(emu_fault_parse(&t->faults, fault, &d), ATP_OK);
	t->lfd = bound(SOCK_STREAM, &t->tport);
	assert_int_equal(listen(t->lfd, 8), 0);
	t->ufd = bound(SOCK_DGRAM, &t->uport);
	t->hport = free_port();
	t->sfd = bound(SOCK_STREAM, &t->sport);
	assert_int_equal(listen(t->sfd, 0), 0);
	snprintf(yaml, sizeof(yaml),
	    "timing: { join: 0.01, join_fail: 0.01, scan: 0.01, connect: 0.01, resolve: 0.01 }\n"
	    "aps:\n"
	    "  - { ssid: TP-LINK_HyFi_1E, bssid: 3c46d82bd81e, channel: 11, security: 0,\n"
	    "      rssi: 53, lease: { ip: 192.168.1.109, mask: 255.255.255.0,\n"
	    "      gw: 192.168.1.1, dns: 192.168.1.1 } }\n"
	    "hosts: { www.baidu.com: 115.239.211.112, peer.test: " PEER " }\n"
	    "map:\n"
	    "  - { from: \"" PEER ":1000\", to: \"127.0.0.1:%u\" }\n"
	    "  - { from: \"" PEER ":2000\", to: \"127.0.0.1:%u\" }\n"
	    "  - { from: \"" PEER ":3000\", to: \"127.0.0.1:%u\" }\n"
	    "  - { from: \"" PEER ":4000\", to: \"127.0.0.1:%u\" }\n",
	    t->tport, t->uport, t->hport, t->sport);
	assert_int_equal(emu_world_parse(yaml, strlen(yaml), "test", &t->world, &d), ATP_OK);
	assert_int_equal(emu_loop_new(virtual_clock, &t->loop), ATP_OK);
	memset(&cfg, 0, sizeof(cfg));
	cfg.prof = atp_profile_find(profile);
	assert_non_null(cfg.prof);
	cfg.world = t->world;
	cfg.faults = &t->faults;
	cfg.allow_net = allow_net;
	cfg.log = log;
	assert_int_equal(emu_new(t->loop, &cfg, &t->e, &d), ATP_OK);
	return t;
}

static struct nt *
nt_open_net(const char *profile, const char *fault, int allow_net, struct emu_log *log)
{
	return nt_open_clock(profile, fault, allow_net, log, 0);
}

static struct nt *
nt_open_faults(const char *profile, const char *fault)
{
	return nt_open_net(profile, fault, 0, NULL);
}

static struct nt *
nt_open(const char *profile)
{
	return nt_open_faults(profile, NULL);
}

static void
nt_close(struct nt *t)
{
	emu_free(t->e);
	emu_loop_free(t->loop);
	emu_world_free(t->world);
	close(t->lfd);
	close(t->ufd);
	close(t->sfd);
	test_free(t);
}

/* Joins the world's open network (the link the sockets need). */
static void
join(struct nt *t)
{
	expect(t, "AT+SSID=TP-LINK_HyFi_1E\r", OK);
	expect(t, "AT+WJOIN\r", "+OK=3c46d82bd81e,0,11,0,\"TP-LINK_HyFi_1E\",53\r\n\r\n");
}

/* The TCP peer accepts the module's connection. */
static int
peer_accept(struct nt *t)
{
	uint64_t end = now_ms() + 2000;
	int fd;

	do {
		fd = accept(t->lfd, NULL, NULL);
		if (fd >= 0) {
			nonblock(fd);
			return fd;
		}
		pump(t, 2);
	} while (now_ms() < end);
	fail_msg("the module never connected");
	return -1;
}

/* Reads exactly @len bytes on a peer socket while the module runs. */
static void
peer_read(struct nt *t, int fd, void *buf, size_t len)
{
	uint64_t end = now_ms() + 2000;
	size_t got = 0;

	while (got < len && now_ms() < end) {
		ssize_t r = recv(fd, (char *)buf + got, len - got, 0);
		if (r > 0)
			got += (size_t)r;
		else
			pump(t, 2);
	}
	assert_int_equal(got, len);
}

/* Nothing more arrives on the peer for @ms. */
static void
peer_quiet(struct nt *t, int fd, unsigned ms)
{
	char c;

	pump(t, ms);
	assert_true(recv(fd, &c, 1, 0) < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
}

static void
peer_send(int fd, const void *p, size_t len)
{
	assert_int_equal(send(fd, p, len, 0), (ssize_t)len);
}

/* Joined, socket 1 connected to the TCP peer; returns the peer's end. */
static int
connected(struct nt *t)
{
	join(t);
	expect(t, "AT+SKCT=0,0," PEER ",1000\r", "+OK=1\r\n\r\n");
	return peer_accept(t);
}

static const char *const profiles[] = { "manual", "luat", "g3" };
#define NPROF (sizeof(profiles) / sizeof(profiles[0]))

/* ---- SKCT ----------------------------------------------------------------- */

static void
skct_needs_a_network(void **state)
{
	size_t p;

	(void)state;
	for (p = 0; p < NPROF; p++) {
		struct nt *t = nt_open(profiles[p]);
		expect(t, "AT+SKCT=0,0," PEER ",1000\r", "+ERR=-13\r\n\r\n");
		nt_close(t);
	}
}

static void
skct_refuses_addresses_the_world_does_not_map(void **state)
{
	struct nt *t = nt_open("luat");

	(void)state;
	join(t);
	expect(t, "AT+SKCT=0,0,10.0.0.1,1000\r", "+ERR=-13\r\n\r\n");
	expect(t, "AT+SKCT=1,0,8.8.8.8,53\r", "+ERR=-13\r\n\r\n");
	/* A name the world does not know does not resolve (-4, firmware §5). */
	expect(t, "AT+SKCT=0,0,nosuch.example,1000\r", "+ERR=-4\r\n\r\n");
	/* Nothing listens where 192.168.1.100:3000 goes. */
	expect(t, "AT+SKCT=0,0," PEER ",3000\r", "+ERR=-13\r\n\r\n");
	/* A refused connection leaves its number free. */
	expect(t, "AT+SKCT=0,0," PEER ",1000\r", "+OK=1\r\n\r\n");
	close(peer_accept(t));
	nt_close(t);
}

/* ---- a connect that never completes, on the virtual clock ---------------- */

/* Whether @fd's connect is still in progress: not writable, no error,
 * no peer yet (SYN-SENT: sent, never answered). */
static int
connecting(int fd)
{
	struct pollfd p = { fd, POLLOUT, 0 };
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int err = -1;
	socklen_t elen = sizeof(err);

	return poll(&p, 1, 0) == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == 0 &&
	    err == 0 && getpeername(fd, (struct sockaddr *)&sa, &len) != 0 && errno == ENOTCONN;
}

/*
 * Fills the accept queue of the test's backlog-0 listener (t->sfd) until
 * a connect to it hangs. Linux then drops every SYN to it
 * (tcp_conn_request(): sk_acceptq_is_full), so a client stays in SYN-SENT
 * and retries for two minutes: an honest connect that does not complete,
 * on loopback. The 500 ms each filler gets is not a measurement: a
 * loopback handshake is over before connect() returns, and the one that
 * hangs is checked again after the 25 s. Returns the hanging probe; the fillers
 * go to @fill (8 at most).
 */
static int
stall_listener(struct nt *t, int *fill, size_t *nfill)
{
	struct sockaddr_in sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(0x7f000001u);
	sa.sin_port = htons(t->sport);
	*nfill = 0;
	for (i = 0; i < 8; i++) {
		struct pollfd p;
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		assert_true(fd >= 0);
		nonblock(fd);
		assert_true(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ||
		    errno == EINPROGRESS);
		p.fd = fd;
		p.events = POLLOUT;
		p.revents = 0;
		if (poll(&p, 1, 500) == 0 && connecting(fd))
			return fd;
		fill[(*nfill)++] = fd;
	}
	fail_msg("a listener with a full accept queue still took connections: this kernel "
	    "does not drop SYNs to it");
	return -1;
}

/* Sends @in and lets @us of virtual time pass; the output is what came. */
static void
vsend(struct nt *t, const char *in, uint64_t us)
{
	clear(t);
	if (in != NULL)
		emu_input(t->e, in, strlen(in));
	emu_loop_advance(t->loop, us);
	grab(t);
}

/*
 * SKCT gives up a TCP connect after 25 s with +ERR=-13 (firmware §5 "create
 * failed, 25 s timeout", §6 "SKCT: up to 25 s"), and its socket number is
 * free again. The peer's SYNs are dropped, so the connect hangs in the
 * kernel; the 25 s pass on the emulator's virtual clock.
 */
static void
skct_gives_up_a_connect_after_25_s(void **state)
{
	size_t p, i, nfill;
	int fill[8], probe;

	(void)state;
	for (p = 0; p < NPROF; p++) {
		struct nt *t = nt_open_clock(profiles[p], NULL, 0, NULL, 1);
		/* A virtual clock takes the module's network away (net.c:
		 * what the kernel delivers would land at any moment). Here
		 * the kernel delivers nothing, so the test gives it back. */
		t->e->net->offline = 0;
		probe = stall_listener(t, fill, &nfill);
		vsend(t, "AT+SSID=TP-LINK_HyFi_1E\r", 1000000);
		vsend(t, "AT+WJOIN\r", 1000000);
		assert_string_equal(t->out, "+OK=3c46d82bd81e,0,11,0,\"TP-LINK_HyFi_1E\",53\r\n\r\n");
		/* Still waiting just before 25 s: nothing said yet. */
		vsend(t, "AT+SKCT=0,0," PEER ",4000\r", 24900000);
		assert_string_equal(t->out, "");
		vsend(t, NULL, 200000);
		if (strcmp(t->out, "+ERR=-13\r\n\r\n") != 0)
			fail_msg("%s: after 25.1 s expected +ERR=-13, got \"%s\"", profiles[p], t->out);
		/* The connect did hang all along (the test proves what it says). */
		assert_true(connecting(probe));
		/* Socket 1 is free again: the next SKCT gets it (a loopback
		 * handshake is over when connect() returns; a few rounds leave
		 * room for a late one). */
		vsend(t, "AT+SKCT=0,0," PEER ",1000\r", 1000000);
		for (i = 0; i < 100 && t->outlen == 0; i++)
			vsend(t, NULL, 10000);
		assert_string_equal(t->out, "+OK=1\r\n\r\n");
		close(probe);
		for (i = 0; i < nfill; i++)
			close(fill[i]);
		nt_close(t);
	}
}

/* SKCT and SKGHBN block the command queue as WJOIN does (firmware §6): a
 * line sent meanwhile waits in the firmware, the manual discards it
 * (queue-not-discard). */
static void
commands_during_skct_and_skghbn_are_queued_or_discarded(void **state)
{
	size_t p;

	(void)state;
	for (p = 0; p < NPROF; p++) {
		struct nt *t = nt_open(profiles[p]);
		int fw = strcmp(profiles[p], "manual") != 0;
		join(t);
		expect(t, "AT+SKCT=0,0," PEER ",1000\rAT+\r",
		    fw ? "+OK=1\r\n\r\n" OK : "+OK=1\r\n\r\n");
		close(peer_accept(t));
		expect(t, "AT+SKGHBN=www.baidu.com\rAT+\r", fw ?
		    "+OK=\"115.239.211.112\"\r\n\r\n" OK : "+OK=\"115.239.211.112\"\r\n\r\n");
		nt_close(t);
	}
}

static void
skct_checks_its_arguments(void **state)
{
	static const char *const bad[] = {
		"AT+SKCT=2,0," PEER ",1000\r", "AT+SKCT=0,2," PEER ",1000\r",
		"AT+SKCT=0,0," PEER ",0\r", "AT+SKCT=0,0," PEER ",70000\r",
		"AT+SKCT=0,0," PEER ",1000,0\r", "AT+SKCT=0,1,abc,1000\r",
		"AT+SKCT=0,1,20000000,1000\r", "AT+SKCT=1,1,,0\r",
	};
	struct nt *t = nt_open("manual");
	size_t i;

	(void)state;
	join(t);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect(t, bad[i], "+ERR=-4\r\n\r\n");
	nt_close(t);
}

static void
skct_resolves_names_through_the_world(void **state)
{
	struct nt *t = nt_open("g3");
	int fd;

	(void)state;
	join(t);
	expect(t, "AT+SKCT=0,0,\"peer.test\",1000\r", "+OK=1\r\n\r\n");
	fd = peer_accept(t);
	close(fd);
	/* §2.2.1.4's example puts a space before the address. */
	expect_prefix(t, "AT+SKCT=0,0, " PEER ",1000,2000\r", "+OK=");
	fd = peer_accept(t);
	close(fd);
	nt_close(t);
}

/* ---- SKSND ---------------------------------------------------------------- */

static void
sksnd_sends_the_exact_bytes_even_when_they_look_like_commands(void **state)
{
	static const char payload[] = "AT+QVER\r\nAT+Z\r+++\0x";
	size_t p;

	(void)state;
	for (p = 0; p < NPROF; p++) {
		struct nt *t = nt_open(profiles[p]);
		int fd = connected(t);
		char got[sizeof(payload)];
		expect(t, "AT+SKSND=1,20\r", "+OK=20\r\n\r\n");
		/* Nothing is said after the payload (firmware §8.1). */
		expect_n(t, payload, 20, "", 0);
		peer_read(t, fd, got, 20);
		assert_memory_equal(got, payload, 20);
		/* Back in command mode. */
		expect(t, "AT+\r", OK);
		close(fd);
		nt_close(t);
	}
}

static void
sksnd_payload_may_come_with_its_command(void **state)
{
	size_t p;

	(void)state;
	for (p = 0; p < NPROF; p++) {
		struct nt *t = nt_open(profiles[p]);
		int fd = connected(t);
		char got[5];
		/* What follows the payload: discarded (§2.2.3.11), or read as
		 * commands by the firmware (§8.1). */
		expect(t, "AT+SKSND=1,5\rkevinAT+\r", strcmp(profiles[p], "manual") == 0 ?
		    "+OK=5\r\n\r\n" : "+OK=5\r\n\r\n" OK);
		peer_read(t, fd, got, 5);
		assert_memory_equal(got, "kevin", 5);
		peer_quiet(t, fd, 10);
		expect(t, "AT+\r", OK);
		close(fd);
		nt_close(t);
	}
}

static void
sksnd_size_is_clamped_to_512_by_the_firmware_only(void **state)
{
	static char big[600];
	size_t p;

	(void)state;
	memset(big, 'z', sizeof(big));
	for (p = 0; p < NPROF; p++) {
		struct nt *t = nt_open(profiles[p]);
		int fd = connected(t);
		char got[600];
		int fw = strcmp(profiles[p], "manual") != 0;
		expect(t, "AT+SKSND=1,600\r", fw ? "+OK=512\r\n\r\n" : "+OK=600\r\n\r\n");
		expect_n(t, big, fw ? 512 : 600, "", 0);
		peer_read(t, fd, got, fw ? 512 : 600);
		peer_quiet(t, fd, 20);
		/* Beyond the size the firmware takes at most 512 (any size). */
		if (fw)
			expect(t, "AT+SKSND=1,99999999999\r", "+OK=512\r\n\r\n");
		else
			expect(t, "AT+SKSND=1,99999999999\r", "+ERR=-4\r\n\r\n");
		close(fd);
		nt_close(t);
	}
}

static void
sksnd_ends_after_1_s_only_in_the_manual(void **state)
{
	size_t p;

	(void)state;
	for (p = 0; p < NPROF; p++) {
		struct nt *t = nt_open(profiles[p]);
		int fd = connected(t);
		char got[10];
		expect(t, "AT+SKSND=1,10\r", "+OK=10\r\n\r\n");
		expect(t, "abcd", "");
		pump(t, 1150);
		if (strcmp(profiles[p], "manual") == 0) {
			/* §2.2.3.11: the 4 bytes go, the module is back. */
			peer_read(t, fd, got, 4);
			assert_memory_equal(got, "abcd", 4);
			expect(t, "AT+\r", OK);
		} else {
			/* sksnd-no-timeout: still waiting for 6 bytes. */
			peer_quiet(t, fd, 1);
			expect(t, "AT+\r\n!", "");
			peer_read(t, fd, got, 10);
			assert_memory_equal(got, "abcdAT+\r\n!", 10);
			expect(t, "AT+\r", OK);
		}
		close(fd);
		nt_close(t);
	}
}

static void
sksnd_and_skrcv_need_a_connected_socket(void **state)
{
	struct nt *t = nt_open("luat");

	(void)state;
	join(t);
	expect(t, "AT+SKSND=1,5\r", "+ERR=-4\r\n\r\n");
	expect(t, "AT+SKRCV=1,5\r", "+ERR=-4\r\n\r\n");
	expect(t, "AT+SKSND=21,5\r", "+ERR=-4\r\n\r\n");
	expect(t, "AT+SKSND=1,0\r", "+ERR=-4\r\n\r\n");
	nt_close(t);
}

/* ---- SKRCV ---------------------------------------------------------------- */

static void
skrcv_reads_what_came_and_then_nothing(void **state)
{
	size_t p;

	(void)state;
	for (p = 0; p < NPROF; p++) {
		struct nt *t = nt_open(profiles[p]);
		int fd = connected(t);
		peer_send(fd, "HELLO WIFI MODULE", 17);
		pump(t, 30);
		expect(t, "AT+SKRCV=1,5\r", "+OK=5\r\n\r\nHELLO");
		expect(t, "AT+SKRCV=1,20\r", "+OK=12\r\n\r\n WIFI MODULE");
		expect(t, "AT+SKRCV=1,20\r", "+OK=0\r\n\r\n");
		close(fd);
		nt_close(t);
	}
}

static void
skrcv_keeps_the_last_511_bytes(void **state)
{
	char data[800], want[600];
	size_t i, p;

	(void)state;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)('A' + i % 26);
	memcpy(want, "+OK=511\r\n\r\n", 11);
	memcpy(want + 11, data + 800 - 511, 511);
	for (p = 0; p < NPROF; p++) {
		struct nt *t = nt_open(profiles[p]);
		int fd = connected(t);
		peer_send(fd, data, 300);
		pump(t, 30);
		peer_send(fd, data + 300, 500);
		pump(t, 30);
		expect_n(t, "AT+SKRCV=1,1024\r", 16, want, 11 + 511);
		expect(t, "AT+SKRCV=1,1024\r", "+OK=0\r\n\r\n");
		close(fd);
		nt_close(t);
	}
}

/* A maxsize beyond the manual's range is -4 there; the firmware takes any
 * size and clamps it to 1024 (skrcv-clamp-1024). */
static void
skrcv_takes_any_size_in_the_firmware_only(void **state)
{
	size_t p;

	(void)state;
	for (p = 0; p < NPROF; p++) {
		struct nt *t = nt_open(profiles[p]);
		int fd = connected(t);
		peer_send(fd, "HELLO", 5);
		pump(t, 30);
		if (strcmp(profiles[p], "manual") == 0)
			expect(t, "AT+SKRCV=1,99999\r", "+ERR=-4\r\n\r\n");
		expect(t, "AT+SKRCV=1,1024\r", "+OK=5\r\n\r\nHELLO");
		peer_send(fd, "AGAIN", 5);
		pump(t, 30);
		if (strcmp(profiles[p], "manual") != 0)
			expect(t, "AT+SKRCV=1,99999\r", "+OK=5\r\n\r\nAGAIN");
		close(fd);
		nt_close(t);
	}
}

static void
skrcv_short_fault_sends_one_byte_less(void **state)
{
	struct nt *t = nt_open_faults("luat", "skrcv-short");
	int fd = connected(t);

	(void)state;
	peer_send(fd, "hello", 5);
	pump(t, 30);
	expect(t, "AT+SKRCV=1,5\r", "+OK=5\r\n\r\nhell");
	expect(t, "AT+SKRCV=1,5\r", "+OK=0\r\n\r\n");
	close(fd);
	nt_close(t);
}

static void
data_stays_readable_after_the_peer_closes(void **state)
{
	struct nt *t = nt_open("luat");
	int fd = connected(t);

	(void)state;
	peer_send(fd, "bye", 3);
	close(fd);
	pump(t, 50);
	expect_prefix(t, "AT+SKSTT=1\r", "+OK=1,0,\"" PEER "\",1000,");
	assert_true(has(t, ",3\r\n\r\n\r\n", 8));
	expect(t, "AT+SKRCV=1,10\r", "+OK=3\r\n\r\nbye");
	/* Read out, the number is free again. */
	expect(t, "AT+SKSTT=1\r", "+OK=1,0,\"0.0.0.0\",0,0,0\r\n\r\n\r\n");
	nt_close(t);
}

/* ---- SKSTT, SKCLS --------------------------------------------------------- */

static void
skstt_lists_a_servers_clients(void **state)
{
	size_t p;

	(void)state;
	for (p = 0; p < NPROF; p++) {
		struct nt *t = nt_open(profiles[p]);
		uint16_t port = free_port();
		struct sockaddr_in sa;
		char cmd[64], want[256];
		int c1, c2;
		int extra = strcmp(profiles[p], "manual") != 0;

		join(t);
		snprintf(cmd, sizeof(cmd), "AT+SKCT=0,1,0,%u\r", port);
		expect(t, cmd, "+OK=1\r\n\r\n");
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_addr.s_addr = htonl(0x7f000001u);
		sa.sin_port = htons(port);
		c1 = socket(AF_INET, SOCK_STREAM, 0);
		c2 = socket(AF_INET, SOCK_STREAM, 0);
		assert_int_equal(connect(c1, (struct sockaddr *)&sa, sizeof(sa)), 0);
		pump(t, 30);
		assert_int_equal(connect(c2, (struct sockaddr *)&sa, sizeof(sa)), 0);
		pump(t, 30);
		peer_send(c2, "xy", 2);
		pump(t, 30);
		clear(t);
		emu_input(t->e, "AT+SKSTT=1\r", 11);
		pump(t, 30);
		snprintf(want, sizeof(want), "+OK=1,1,\"0.0.0.0\",0,%u,0%s2,2,\"127.0.0.1\",", port,
		    extra ? "\r\n" : "\r\n");
		assert_memory_equal(t->out, want, strlen(want));
		assert_true(has(t, ",0\r\n3,2,\"127.0.0.1\",", 20));
		assert_true(has(t, extra ? ",2\r\n\r\n\r\n" : ",2\r\n\r\n", extra ? 8 : 6));
		assert_true(t->out[t->outlen - 1] == '\n');
		assert_true(extra ? has(t, "\r\n\r\n\r\n", 6) : !has(t, "\r\n\r\n\r\n", 6));
		/* A client's own status, and its data. */
		expect(t, "AT+SKRCV=3,5\r", "+OK=2\r\n\r\nxy");
		/* Closing the server closes its clients. */
		expect(t, "AT+SKCLS=1\r", OK);
		expect(t, "AT+SKSTT=2\r", extra ? "+OK=2,0,\"0.0.0.0\",0,0,0\r\n\r\n\r\n" :
		    "+OK=2,0,\"0.0.0.0\",0,0,0\r\n\r\n");
		close(c1);
		close(c2);
		nt_close(t);
	}
}

static void
a_tcp_servers_idle_clients_are_closed(void **state)
{
	struct nt *t = nt_open("luat");
	uint16_t port = free_port();
	struct sockaddr_in sa;
	char cmd[64], c;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	uint64_t t0, end;
	ssize_t r = -1;

	(void)state;
	join(t);
	/* §2.2.3.10: a client that sends nothing for the timeout is kicked. */
	snprintf(cmd, sizeof(cmd), "AT+SKCT=0,1,1,%u\r", port);
	expect(t, cmd, "+OK=1\r\n\r\n");
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(0x7f000001u);
	sa.sin_port = htons(port);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	nonblock(fd);
	t0 = now_ms();
	pump(t, 600);
	peer_send(fd, "k", 1);    /* data restarts the clock */
	end = now_ms() + 3000;
	while (now_ms() < end) {
		r = recv(fd, &c, 1, 0);
		if (r >= 0)
			break;
		pump(t, 5);
	}
	assert_int_equal(r, 0);
	assert_true(now_ms() - t0 >= 1500);
	expect(t, "AT+SKSTT=2\r", "+OK=2,0,\"0.0.0.0\",0,0,0\r\n\r\n\r\n");
	close(fd);
	nt_close(t);
}

static void
skcls_closes_and_refuses_a_closed_socket(void **state)
{
	struct nt *t = nt_open("luat");
	int fd = connected(t);
	char c;
	uint64_t end = now_ms() + 1000;
	ssize_t r = -1;

	(void)state;
	expect(t, "AT+SKCLS=1\r", OK);
	while (now_ms() < end) {
		r = recv(fd, &c, 1, 0);
		if (r >= 0)
			break;
		pump(t, 2);
	}
	assert_int_equal(r, 0);   /* the peer sees the end of the stream */
	expect(t, "AT+SKCLS=1\r", "+ERR=-3\r\n\r\n");
	expect(t, "AT+SKCLS=21\r", "+ERR=-4\r\n\r\n");
	close(fd);
	nt_close(t);
}

static void
sockets_number_1_to_20_and_then_run_out(void **state)
{
	struct nt *t = nt_open("manual");
	char want[32];
	int fds[20];
	size_t i;

	(void)state;
	join(t);
	for (i = 0; i < 20; i++) {
		snprintf(want, sizeof(want), "+OK=%zu\r\n\r\n", i + 1);
		expect(t, "AT+SKCT=1,0," PEER ",2000\r", want);
	}
	expect(t, "AT+SKCT=1,0," PEER ",2000\r", "+ERR=-11\r\n\r\n");
	expect(t, "AT+SKCLS=7\r", OK);
	expect(t, "AT+SKCT=0,0," PEER ",1000\r", "+OK=7\r\n\r\n");
	fds[0] = peer_accept(t);
	close(fds[0]);
	nt_close(t);
}

/* ---- UDP ------------------------------------------------------------------- */

static void
udp_client_sends_and_receives_datagrams(void **state)
{
	struct nt *t = nt_open("luat");
	struct sockaddr_in from;
	socklen_t len = sizeof(from);
	char buf[64];
	ssize_t r = -1;
	uint64_t end;

	(void)state;
	join(t);
	expect(t, "AT+SKCT=1,0," PEER ",2000\r", "+OK=1\r\n\r\n");
	expect(t, "AT+SKSND=1,4\r", "+OK=4\r\n\r\n");
	expect(t, "ping", "");
	end = now_ms() + 1000;
	while (now_ms() < end && r < 0) {
		r = recvfrom(t->ufd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);
		pump(t, 2);
	}
	assert_int_equal(r, 4);
	assert_memory_equal(buf, "ping", 4);
	assert_int_equal(sendto(t->ufd, "pong!", 5, 0, (struct sockaddr *)&from, len), 5);
	pump(t, 30);
	expect(t, "AT+SKRCV=1,64\r", "+OK=5\r\n\r\npong!");
	expect(t, "AT+SKSRCIP=?\r", "+OK=" PEER "\r\n\r\n");
	nt_close(t);
}

static void
udp_server_answers_the_last_sender(void **state)
{
	struct nt *t = nt_open("g3");
	uint16_t port = free_port();
	struct sockaddr_in sa;
	char cmd[64], buf[16];
	int c = socket(AF_INET, SOCK_DGRAM, 0);
	ssize_t r = -1;
	uint64_t end;

	(void)state;
	join(t);
	snprintf(cmd, sizeof(cmd), "AT+SKCT=1,1,,%u\r", port);
	expect(t, cmd, "+OK=1\r\n\r\n");
	/* No peer yet: nothing to send to. */
	expect(t, "AT+SKSND=1,2\r", "+ERR=-4\r\n\r\n");
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(0x7f000001u);
	sa.sin_port = htons(port);
	assert_int_equal(sendto(c, "hi", 2, 0, (struct sockaddr *)&sa, sizeof(sa)), 2);
	pump(t, 30);
	expect(t, "AT+SKSND=1,2\r", "+OK=2\r\n\r\n");
	expect(t, "yo", "");
	nonblock(c);
	end = now_ms() + 1000;
	while (now_ms() < end && r < 0) {
		r = recv(c, buf, sizeof(buf), 0);
		pump(t, 2);
	}
	assert_int_equal(r, 2);
	assert_memory_equal(buf, "yo", 2);
	close(c);
	nt_close(t);
}

/* ---- SKRPTM, +SKTRPT, SKSRCIP ---------------------------------------------- */

static void
skrptm_query_has_the_firmwares_bare_lf(void **state)
{
	struct nt *t = nt_open("manual");

	(void)state;
	expect(t, "AT+SKRPTM=?\r", "+OK=0\r\n\r\n");
	expect(t, "AT+SKRPTM=1\r", OK);
	expect(t, "AT+SKRPTM=?\r", "+OK=1\r\n\r\n");
	expect(t, "AT+SKRPTM=2\r", "+ERR=-4\r\n\r\n");
	nt_close(t);
	t = nt_open("luat");
	expect(t, "AT+SKRPTM=1\r", OK);
	expect(t, "AT+SKRPTM=?\r", "+OK=1\n\r\n\r\n");
	nt_close(t);
}

static void
sktrpt_carries_the_data_as_each_firmware_does(void **state)
{
	size_t p;

	(void)state;
	for (p = 0; p < NPROF; p++) {
		struct nt *t = nt_open(profiles[p]);
		int fd = connected(t);
		static char big[700];
		char want[800];
		size_t n;

		memset(big, 'q', sizeof(big));
		big[0] = 'F';
		big[699] = 'L';
		expect(t, "AT+SKRPTM=1\r", OK);
		clear(t);
		peer_send(fd, "abc", 3);
		assert_true(wait_for(t, "abc", 3, 1000));
		assert_string_equal(t->out, "+SKTRPT=1,3," PEER ",1000\r\n\r\nabc");
		/* Reported data is not cached. */
		expect(t, "AT+SKRCV=1,10\r", "+OK=0\r\n\r\n");
		clear(t);
		peer_send(fd, big, sizeof(big));
		assert_true(wait_for(t, "L", 1, 1000));
		pump(t, 20);
		n = (size_t)snprintf(want, sizeof(want), "+SKTRPT=1,700," PEER ",1000\r\n\r\n");
		assert_memory_equal(t->out, want, n);
		if (strcmp(profiles[p], "luat") == 0) {
			/* sktrpt-cap-511: the full length, the last 511 bytes. */
			assert_int_equal(t->outlen, n + 511);
			assert_memory_equal(t->out + n, big + 700 - 511, 511);
		} else {
			assert_int_equal(t->outlen, n + 700);
			assert_memory_equal(t->out + n, big, 700);
		}
		expect(t, "AT+SKSRCIP=?\r", "+OK=" PEER "\r\n\r\n");
		expect(t, "AT+SKSRCIP=?\r", "+OK=0.0.0.0\r\n\r\n");
		close(fd);
		nt_close(t);
	}
}

/* ---- SKGHBN ----------------------------------------------------------------- */

static void
skghbn_resolves_through_the_worlds_hosts(void **state)
{
	struct nt *t = nt_open("luat");

	(void)state;
	expect(t, "AT+SKGHBN=www.baidu.com\r", "+ERR=-4\r\n\r\n");   /* no network yet */
	join(t);
	expect(t, "AT+SKGHBN=www.baidu.com\r", "+OK=\"115.239.211.112\"\r\n\r\n");
	expect(t, "AT+SKGHBN=\"WWW.BAIDU.COM\"\r", "+OK=\"115.239.211.112\"\r\n\r\n");
	expect(t, "AT+SKGHBN=10.1.2.3\r", "+OK=\"10.1.2.3\"\r\n\r\n");
	expect(t, "AT+SKGHBN=nosuch.example\r", "+ERR=-4\r\n\r\n");
	nt_close(t);
}

/* ---- --allow-net ------------------------------------------------------------ */

/* The whole text of the file at @path (at most @size - 1 bytes). */
static void
slurp(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/*
 * Without --allow-net the module reaches loopback and what the world maps
 * onto it, nothing else: another address is refused with the firmware's
 * error and a log line, a name the world does not know is not asked of the
 * system resolver. With --allow-net the resolver answers (localhost, from
 * /etc/hosts: no packet leaves) and a route goes out as asked; no
 * connection is made to a non-loopback address here (the test network
 * reaches nothing else).
 */
static void
non_loopback_is_refused_with_a_log_line_unless_allow_net(void **state)
{
	char path[] = "/tmp/test_emu_netlogXXXXXX", text[16384];
	struct emu_log *log;
	struct atp_diag d;
	struct sockaddr_in sa;
	struct nt *t;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(emu_log_open(path, 0, &log, &d), ATP_OK);
	t = nt_open_net("luat", NULL, 0, log);
	join(t);
	expect(t, "AT+SKCT=0,0,10.0.0.1,1000\r", "+ERR=-13\r\n\r\n");
	expect(t, "AT+SKGHBN=localhost\r", "+ERR=-4\r\n\r\n");
	expect(t, "AT+SKRPTM=1\r", OK);
	expect(t, "AT+HTTPC=http://10.9.9.9/,0\r",
	    "+OK=536875600\r\n\r\n+HTTPCERRRPT=536875600,7\r\n\r\n");
	assert_int_equal(emu_net_route(t->e, 0x0a000001u, 1000, &sa, "SKCT"), -1);
	/* Loopback needs no mapping and no --allow-net. */
	assert_int_equal(emu_net_route(t->e, 0x7f000001u, t->tport, &sa, "SKCT"), 0);
	assert_int_equal(ntohl(sa.sin_addr.s_addr), 0x7f000001u);
	nt_close(t);
	emu_log_close(log);
	slurp(path, text, sizeof(text));
	unlink(path);
	if (strstr(text, "10.0.0.1:1000 refused: not loopback") == NULL ||
	    strstr(text, "cannot resolve 'localhost': not in the world's hosts") == NULL ||
	    strstr(text, "10.9.9.9:80 refused: not loopback") == NULL)
		fail_msg("the refusals are not in the log:\n%s", text);

	t = nt_open_net("luat", NULL, 1, NULL);
	join(t);
	expect(t, "AT+SKGHBN=localhost\r", "+OK=\"127.0.0.1\"\r\n\r\n");
	assert_int_equal(emu_net_route(t->e, 0x0a000001u, 1000, &sa, "SKCT"), 0);
	assert_int_equal(ntohl(sa.sin_addr.s_addr), 0x0a000001u);
	assert_int_equal(ntohs(sa.sin_port), 1000);
	nt_close(t);
}

/* ---- transparent mode ------------------------------------------------------- */

static int
entered(struct nt *t)
{
	int fd = connected(t);

	expect(t, "AT+SKSDF=1\r", OK);
	expect(t, "AT+ENTM\r", OK);
	return fd;
}

static void
entm_needs_a_default_socket_in_the_manual_only(void **state)
{
	struct nt *t = nt_open("manual");

	(void)state;
	expect(t, "AT+ENTM\r", "+ERR=-5\r\n\r\n");
	join(t);
	expect(t, "AT+ENTM\r", "+ERR=-5\r\n\r\n");
	nt_close(t);
	/* entm-no-precheck: +OK, and the bytes go nowhere. */
	t = nt_open("luat");
	expect(t, "AT+ENTM\r", OK);
	expect(t, "AT+QVER\r", "");
	expect(t, "+++", OK);
	expect(t, "AT+\r", OK);
	nt_close(t);
}

static void
transparent_mode_carries_bytes_both_ways(void **state)
{
	size_t p;

	(void)state;
	for (p = 0; p < NPROF; p++) {
		struct nt *t = nt_open(profiles[p]);
		int fd = entered(t);
		char got[16];
		expect(t, "AT+QVER\r", "");
		peer_read(t, fd, got, 8);
		assert_memory_equal(got, "AT+QVER\r", 8);
		clear(t);
		peer_send(fd, "from the net", 12);
		assert_true(wait_for(t, "from the net", 12, 1000));
		assert_int_equal(t->outlen, 12);   /* raw, no header */
		expect(t, "+++", OK);
		expect(t, "AT+\r", OK);
		close(fd);
		nt_close(t);
	}
}

static void
transparent_mode_packs_512_bytes_or_waits_for_idle(void **state)
{
	struct nt *t = nt_open("luat");
	int fd = entered(t);
	char data[700], got[700];
	uint64_t t0;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)('a' + i % 26);
	/* 700 bytes: a full packet at once, the rest after 49 ms of idle
	 * (115200 baud, firmware §9). The packet is on the peer's socket when
	 * emu_input() returns; the rest only once the loop has run 45 ms. */
	t0 = now_ms();
	emu_input(t->e, data, 700);
	assert_int_equal(recv(fd, got, sizeof(got), 0), 512);
	assert_true(recv(fd, got + 512, sizeof(got) - 512, 0) < 0);
	peer_read(t, fd, got + 512, 188);
	assert_true(now_ms() - t0 >= 45);
	assert_memory_equal(got, data, 700);
	expect(t, "+++", OK);
	close(fd);
	nt_close(t);
}

/* The idle time follows the line's rate (512 * 10 / baud + 5 ms in
 * integers, firmware §9): 537 ms at 9600. The firmware's line keeps its
 * boot rate until a restart (uart-after-restart), the manual's moves at
 * once. */
static void
transparent_mode_idle_time_follows_the_line_rate(void **state)
{
	size_t p;

	(void)state;
	for (p = 0; p < NPROF; p++) {
		struct nt *t = nt_open(profiles[p]);
		int fw = strcmp(profiles[p], "manual") != 0;
		int fd = entered(t);
		assert_int_equal(t->e->net->trans.idle_us, 49000u);
		expect(t, "+++", OK);
		expect(t, "AT+UART=!9600,0,0,0\r", OK);
		expect(t, "AT+ENTM\r", OK);
		assert_int_equal(t->e->net->trans.idle_us, fw ? 49000u : 537000u);
		expect(t, "+++", OK);
		close(fd);
		if (fw) {
			emu_reset(t->e, 0);
			pump(t, 20);
			expect(t, "AT+ENTM\r", OK);
			assert_int_equal(t->e->net->trans.idle_us, 537000u);
		}
		nt_close(t);
	}
}

static void
only_an_isolated_plus_plus_plus_leaves(void **state)
{
	struct nt *t = nt_open("g3");
	int fd = entered(t);
	char got[32];

	(void)state;
	/* Split over chunks, or followed by more bytes: data. */
	expect(t, "++", "");
	expect(t, "+", "");
	expect(t, "+++x", "");
	peer_read(t, fd, got, 7);
	assert_memory_equal(got, "++++++x", 7);
	/* At the end of a chunk and then silence: data before, then escape. */
	expect(t, "tail+++", OK);
	peer_read(t, fd, got, 4);
	assert_memory_equal(got, "tail", 4);
	peer_quiet(t, fd, 80);
	expect(t, "AT+\r", OK);
	/* "+++" in command mode answers +OK too (firmware §9). */
	expect(t, "+++", OK);
	close(fd);
	nt_close(t);
}

static void
a_trailing_plus_plus_plus_followed_by_data_is_data(void **state)
{
	struct nt *t = nt_open("luat");
	int fd = entered(t);
	char got[16];

	(void)state;
	clear(t);
	emu_input(t->e, "ab+++", 5);
	emu_input(t->e, "cd", 2);
	pump(t, 80);
	assert_int_equal(t->outlen, 0);
	peer_read(t, fd, got, 7);
	assert_memory_equal(got, "ab+++cd", 7);
	expect(t, "+++", OK);
	close(fd);
	nt_close(t);
}

/* ---- automatic mode (§3.10) --------------------------------------------------- */

static void
bring_link_up(struct nt *t)
{
	/* What WJOIN's success does: the station link, then the hook. */
	t->e->sta.up = 1;
	t->e->sta.ip = 0xc0a8016du;
	emu_net_link(t->e, 1);
}

static void
automatic_mode_connects_and_reconnects(void **state)
{
	struct nt *t;
	struct sockaddr_in sa;
	uint16_t port = free_port();
	char cmd[80], got[8];
	int l, fd, one = 1;

	(void)state;
	/* The firmware retries every 10 s (firmware §9); the test shortens it. */
	t = nt_open("luat");
	assert_int_equal(t->e->net->reconnect_us, 10000000u);
	nt_close(t);
	setenv("ATP_EMU_RECONNECT_MS", "200", 1);
	t = nt_open("luat");
	unsetenv("ATP_EMU_RECONNECT_MS");
	/* §3.10: ATM=0 and ATRM, saved; then the module restarts. */
	expect(t, "AT+ATM=!0\r", OK);
	snprintf(cmd, sizeof(cmd), "AT+ATRM=!0,0,127.0.0.1,%u\r", port);
	expect(t, cmd, OK);
	clear(t);
	emu_reset(t->e, 0);
	/* Transparent from the start: a command is data. */
	expect(t, "AT+QVER\r", "");
	/* Nobody listens yet: the attempt fails and is retried. */
	bring_link_up(t);
	pump(t, 100);
	l = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(0x7f000001u);
	sa.sin_port = htons(port);
	assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(l, 4), 0);
	nonblock(l);
	{
		int saved = t->lfd;
		t->lfd = l;
		fd = peer_accept(t);
		t->lfd = saved;
	}
	expect(t, "hello", "");
	peer_read(t, fd, got, 5);
	assert_memory_equal(got, "hello", 5);
	/* The peer drops it: a new connection comes 200 ms later. */
	close(fd);
	pump(t, 50);
	{
		int saved = t->lfd;
		t->lfd = l;
		fd = peer_accept(t);
		t->lfd = saved;
	}
	peer_send(fd, "back", 4);
	assert_true(wait_for(t, "back", 4, 1000));
	expect(t, "+++", OK);
	expect_prefix(t, "AT+SKSTT=1\r", "+OK=1,2,\"127.0.0.1\",");
	close(fd);
	close(l);
	nt_close(t);
}

/* ---- HTTPC ------------------------------------------------------------------- */

/* Answers one HTTP request on the TCP peer with @body. */
static void
http_answer(struct nt *t, const char *body, char *req, size_t reqsize)
{
	int fd = peer_accept(t);
	size_t got = 0;
	uint64_t end = now_ms() + 2000;
	char resp[256];

	while (now_ms() < end && got < reqsize - 1) {
		ssize_t r = recv(fd, req + got, reqsize - 1 - got, 0);
		if (r > 0) {
			got += (size_t)r;
			req[got] = '\0';
			if (strstr(req, "\r\n\r\n") != NULL &&
			    (strncmp(req, "GET", 3) == 0 || strncmp(req, "HEAD", 4) == 0 ||
			    strstr(req, "\r\n\r\nk=v") != NULL))
				break;
		} else {
			pump(t, 2);
		}
	}
	snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n%s", strlen(body), body);
	peer_send(fd, resp, strlen(resp));
	pump(t, 20);
	close(fd);
}

static void
httpc_reports_the_body_when_skrptm_is_on(void **state)
{
	size_t p;

	(void)state;
	for (p = 0; p < NPROF; p++) {
		struct nt *t = nt_open(profiles[p]);
		char req[1024];
		int fw = strcmp(profiles[p], "manual") != 0;

		join(t);
		expect(t, "AT+SKRPTM=1\r", OK);
		clear(t);
		send_str(t, "AT+HTTPC=http://" PEER ":1000/x,0\r");
		http_answer(t, "hi there", req, sizeof(req));
		assert_true(strncmp(req, "GET /x HTTP/1.1\r\n", 17) == 0);
		assert_true(wait_for(t, "hi there", 8, 1000));
		if (fw)
			assert_string_equal(t->out, "+OK=536875600\r\n\r\n"
			    "+HTTPCRPT=536875600,8\r\n\r\nhi there");
		else
			assert_string_equal(t->out, OK "+HTTPCRPT=536875600,8\r\n\r\nhi there");
		clear(t);
		send_str(t, "AT+HTTPC=http://" PEER ":1000/p,2,k=v\r");
		http_answer(t, "posted", req, sizeof(req));
		assert_true(strncmp(req, "POST /p HTTP/1.1\r\n", 18) == 0);
		assert_non_null(strstr(req, "\r\n\r\nk=v"));
		assert_true(wait_for(t, "posted", 6, 1000));
		clear(t);
		send_str(t, "AT+HTTPC=http://" PEER ":1000/u,3,k=v\r");
		http_answer(t, "put", req, sizeof(req));
		assert_true(strncmp(req, "PUT /u HTTP/1.1\r\n", 17) == 0);
		assert_non_null(strstr(req, "\r\n\r\nk=v"));
		assert_true(wait_for(t, ",3\r\n\r\nput", 9, 1000));
		/* HEAD is the firmware's only (httpc-head-verb): no body, the
		 * report of length 0 ends the request. */
		if (!fw) {
			expect(t, "AT+HTTPC=http://" PEER ":1000/x,1\r", "+ERR=-4\r\n\r\n");
		} else {
			clear(t);
			send_str(t, "AT+HTTPC=http://" PEER ":1000/h,1\r");
			http_answer(t, "", req, sizeof(req));
			assert_true(strncmp(req, "HEAD /h HTTP/1.1\r\n", 18) == 0);
			if (!wait_for(t, "+HTTPCRPT=536878744,0\r\n\r\n", 25, 1000))
				fail_msg("%s: HEAD: %s", profiles[p], t->out);
			pump(t, 20);
			assert_string_equal(t->out, "+OK=536878744\r\n\r\n+HTTPCRPT=536878744,0\r\n\r\n");
		}
		expect(t, "AT+HTTPC=http://" PEER ":1000/x,2\r", "+ERR=-4\r\n\r\n");
		nt_close(t);
	}
}

static void
httpc_failures_come_as_error_reports(void **state)
{
	struct nt *t = nt_open("luat");

	(void)state;
	join(t);
	expect(t, "AT+SKRPTM=1\r", OK);
	/* Not mapped: refused (connect error 7); no such name: 6; nobody at
	 * the mapped port: 7 as well. */
	expect(t, "AT+HTTPC=http://10.9.9.9/,0\r",
	    "+OK=536875600\r\n\r\n+HTTPCERRRPT=536875600,7\r\n\r\n");
	expect(t, "AT+HTTPC=http://nosuch.example/,0\r",
	    "+OK=536876648\r\n\r\n+HTTPCERRRPT=536876648,6\r\n\r\n");
	expect(t, "AT+HTTPC=http://" PEER ":3000/,0\r",
	    "+OK=536877696\r\n\r\n+HTTPCERRRPT=536877696,7\r\n\r\n");
	/* Without SKRPTM=1 nothing is reported (firmware §10). */
	expect(t, "AT+SKRPTM=0\r", OK);
	expect(t, "AT+HTTPC=http://10.9.9.9/,0\r", "+OK=536878744\r\n\r\n");
	nt_close(t);
}

/* ---- robustness ---------------------------------------------------------------- */

static void
a_reset_closes_every_socket(void **state)
{
	struct nt *t = nt_open("luat");
	int fd = connected(t);
	char c;
	uint64_t end = now_ms() + 1000;
	ssize_t r = -1;

	(void)state;
	expect(t, "AT+SKRPTM=1\r", OK);
	emu_reset(t->e, 0);
	while (now_ms() < end) {
		r = recv(fd, &c, 1, 0);
		if (r >= 0)
			break;
		pump(t, 2);
	}
	assert_int_equal(r, 0);
	expect(t, "AT+SKRPTM=?\r", "+OK=0\n\r\n\r\n");
	close(fd);
	nt_close(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(skct_needs_a_network),
		cmocka_unit_test(skct_refuses_addresses_the_world_does_not_map),
		cmocka_unit_test(skct_gives_up_a_connect_after_25_s),
		cmocka_unit_test(commands_during_skct_and_skghbn_are_queued_or_discarded),
		cmocka_unit_test(skct_checks_its_arguments),
		cmocka_unit_test(skct_resolves_names_through_the_world),
		cmocka_unit_test(sksnd_sends_the_exact_bytes_even_when_they_look_like_commands),
		cmocka_unit_test(sksnd_payload_may_come_with_its_command),
		cmocka_unit_test(sksnd_size_is_clamped_to_512_by_the_firmware_only),
		cmocka_unit_test(sksnd_ends_after_1_s_only_in_the_manual),
		cmocka_unit_test(sksnd_and_skrcv_need_a_connected_socket),
		cmocka_unit_test(skrcv_reads_what_came_and_then_nothing),
		cmocka_unit_test(skrcv_keeps_the_last_511_bytes),
		cmocka_unit_test(skrcv_takes_any_size_in_the_firmware_only),
		cmocka_unit_test(skrcv_short_fault_sends_one_byte_less),
		cmocka_unit_test(data_stays_readable_after_the_peer_closes),
		cmocka_unit_test(skstt_lists_a_servers_clients),
		cmocka_unit_test(a_tcp_servers_idle_clients_are_closed),
		cmocka_unit_test(skcls_closes_and_refuses_a_closed_socket),
		cmocka_unit_test(sockets_number_1_to_20_and_then_run_out),
		cmocka_unit_test(udp_client_sends_and_receives_datagrams),
		cmocka_unit_test(udp_server_answers_the_last_sender),
		cmocka_unit_test(skrptm_query_has_the_firmwares_bare_lf),
		cmocka_unit_test(sktrpt_carries_the_data_as_each_firmware_does),
		cmocka_unit_test(skghbn_resolves_through_the_worlds_hosts),
		cmocka_unit_test(non_loopback_is_refused_with_a_log_line_unless_allow_net),
		cmocka_unit_test(entm_needs_a_default_socket_in_the_manual_only),
		cmocka_unit_test(transparent_mode_carries_bytes_both_ways),
		cmocka_unit_test(transparent_mode_packs_512_bytes_or_waits_for_idle),
		cmocka_unit_test(transparent_mode_idle_time_follows_the_line_rate),
		cmocka_unit_test(only_an_isolated_plus_plus_plus_leaves),
		cmocka_unit_test(a_trailing_plus_plus_plus_followed_by_data_is_data),
		cmocka_unit_test(automatic_mode_connects_and_reconnects),
		cmocka_unit_test(httpc_reports_the_body_when_skrptm_is_on),
		cmocka_unit_test(httpc_failures_come_as_error_reports),
		cmocka_unit_test(a_reset_closes_every_socket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
