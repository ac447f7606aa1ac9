/* SPDX-License-Identifier: MIT */
/* \summary: the allocator every component uses, with failure injection */
#ifndef ATPROOF_ALLOC_H
#define ATPROOF_ALLOC_H

#include <stddef.h>

/*
 * atp_malloc() and friends behave like their libc counterparts. They exist so
 * that tests can make the Nth allocation fail: when the environment variable
 * ATP_FAIL_ALLOC=N is set (or atp_alloc_fail_at(N) is called), the Nth call
 * and every later one return NULL. Every caller must handle NULL.
 */
void *atp_malloc(size_t size);
void *atp_calloc(size_t n, size_t size);
void *atp_realloc(void *p, size_t size);
void atp_free(void *p);
/* Copies @len bytes of @s and appends a NUL. */
char *atp_memdup0(const void *s, size_t len);
char *atp_strdup(const char *s);

/* Fail the @n-th allocation from now on and every later one (0 = never).
 * Returns the number of allocations made since the last call. */
unsigned long atp_alloc_fail_at(unsigned long n);

#endif
