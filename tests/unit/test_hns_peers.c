/* SPDX-License-Identifier: MIT */
/* \summary: network peers: every UDP peer gets a port of its own */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness/hns_run.h"

/* Runs in parallel (a soak, a station) each start UDP peers on a free
 * port. A port another UDP socket holds would split the datagrams between
 * two runs. With SO_REUSEADDR on every peer, Linux's choice for port 0
 * repeated one port in about 3% of 2000 sockets; 1000 peers then
 * share a port with near certainty. */
#define NPEERS 1000

static int
cmp_port(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

static void
test_udp_peers_get_distinct_ports(void **state)
{
	struct hns_peerdef *defs;
	struct hns_peers *ps = NULL;
	unsigned *ports;
	struct atp_diag d;
	char names[NPEERS][16];
	size_t i, same = 0;

	(void)state;
	defs = calloc(NPEERS, sizeof(*defs));
	ports = calloc(NPEERS, sizeof(*ports));
	assert_non_null(defs);
	assert_non_null(ports);
	for (i = 0; i < NPEERS; i++) {
		snprintf(names[i], sizeof(names[i]), "u%zu", i);
		defs[i].name = names[i];
		defs[i].type = HNS_P_UDP;
	}
	atp_diag_clear(&d);
	assert_int_equal(hns_peers_start(defs, NPEERS, &ps, &d), ATP_OK);
	for (i = 0; i < NPEERS; i++) {
		ports[i] = hns_peers_port(ps, i);
		assert_true(ports[i] > 0);
	}
	qsort(ports, NPEERS, sizeof(*ports), cmp_port);
	for (i = 1; i < NPEERS; i++)
		if (ports[i] == ports[i - 1])
			same++;
	assert_int_equal(same, 0);
	hns_peers_stop(ps);
	free(ports);
	free(defs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp_peers_get_distinct_ports),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
