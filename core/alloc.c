/* SPDX-License-Identifier: MIT */
/* \summary: allocation wrappers with Nth-allocation failure injection */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atproof/alloc.h"

/*
 * The failure point is read once from ATP_FAIL_ALLOC (a positive number) so
 * that the whole unit suite can be rerun with allocation N failing (the
 * SQLite faultsim / mosquitto FUZZ_MEMORY_CHECK idea). The counters are not
 * atomic: failure injection is a single-threaded test facility.
 */
static unsigned long alloc_count;
static unsigned long alloc_total;  /* never reset: for ATP_ALLOC_REPORT */
static unsigned long fail_at;
static int env_read;

/* ATP_ALLOC_REPORT=1: how many allocations the process made, on stderr at
 * exit, so tools/oom.sh can spread its failure points over all of them. */
static void
report_total(void)
{
	fprintf(stderr, "atp_alloc: %lu allocations\n", alloc_total);
}

static void
read_env(void)
{
	if (!env_read) {
		const char *e = getenv("ATP_FAIL_ALLOC");
		env_read = 1;
		if (e != NULL) {
			unsigned long v = 0;
			for (; *e >= '0' && *e <= '9'; e++) {
				if (v > (0xffffffUL - (unsigned long)(*e - '0')) / 10)
					break;
				v = v * 10 + (unsigned long)(*e - '0');
			}
			fail_at = v;
		}
		if (getenv("ATP_ALLOC_REPORT") != NULL)
			(void)atexit(report_total);
	}
}

static int
should_fail(void)
{
	read_env();
	alloc_count++;
	alloc_total++;
	return fail_at != 0 && alloc_count >= fail_at;
}

unsigned long
atp_alloc_fail_at(unsigned long n)
{
	unsigned long c = alloc_count;
	read_env();
	fail_at = n;
	alloc_count = 0;
	return c;
}

void *
atp_malloc(size_t size)
{
	if (should_fail())
		return NULL;
	return malloc(size == 0 ? 1 : size);
}

void *
atp_calloc(size_t n, size_t size)
{
	if (should_fail())
		return NULL;
	return calloc(n == 0 ? 1 : n, size == 0 ? 1 : size);
}

void *
atp_realloc(void *p, size_t size)
{
	if (should_fail())
		return NULL;
	return realloc(p, size == 0 ? 1 : size);
}

void
atp_free(void *p)
{
	free(p);
}

char *
atp_memdup0(const void *s, size_t len)
{
	char *r;

	if (len == (size_t)-1)
		return NULL;
	r = atp_malloc(len + 1);
	if (r == NULL)
		return NULL;
	if (len > 0)
		memcpy(r, s, len);
	r[len] = '\0';
	return r;
}

char *
atp_strdup(const char *s)
{
	return atp_memdup0(s, strlen(s));
}
