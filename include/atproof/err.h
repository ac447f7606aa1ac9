/* SPDX-License-Identifier: MIT */
/* \summary: the one error enum of atproof and the caller-owned diagnostic */
#ifndef ATPROOF_ERR_H
#define ATPROOF_ERR_H

#include <stddef.h>

/*
 * Return codes and error handling
 *
 * Every function of the core that can fail returns an int: 0 (ATP_OK) on
 * success, a negative enum atp_err on failure, and where documented a
 * positive count for a successful numeric result.
 *
 * Error returns are for *our* failures: bad arguments, memory, I/O, an input
 * file (scenario, capture, world) that is invalid. A device that breaks the
 * protocol is not an error: the validator and the framer report it as a
 * finding (see validate.h) and return ATP_OK.
 *
 * Functions that can fail for a reason a user must read take a
 * struct atp_diag * (may be NULL). On failure it holds the code, a message
 * and, where the failure has a place, the source name, line, column and byte
 * offset. The diagnostic is owned by the caller, usually on its stack.
 */
enum atp_err {
	ATP_OK = 0,
	ATP_ERR_ARG = -1,     /* caller bug; never caused by device bytes */
	ATP_ERR_NOMEM = -2,   /* an allocation failed */
	ATP_ERR_IO = -3,      /* OS failure; errno is in atp_diag.sys_errno */
	ATP_ERR_AGAIN = -4,   /* need more bytes: truncated so far, not wrong */
	ATP_ERR_SYNTAX = -5,  /* the bytes cannot be what was expected */
	ATP_ERR_PROTO = -6,   /* well-formed but not allowed in this state */
	ATP_ERR_LIMIT = -7,   /* exceeds a ceiling (line length, count, nesting) */
	ATP_ERR_TIMEOUT = -8, /* a bounded wait ran out */
	ATP_ERR_UNSUPP = -9,  /* not supported (here, or not yet) */
	ATP_ERR_NOTFOUND = -10, /* a named thing (command, profile, file) is unknown */
};

/* Process exit codes, the same for every subcommand (DESIGN.md). */
enum atp_exit {
	ATP_EXIT_PASS = 0,    /* everything ran and conformed */
	ATP_EXIT_FAIL = 1,    /* the device or log does not conform */
	ATP_EXIT_USAGE = 2,   /* usage error, or an invalid scenario/input file */
	ATP_EXIT_ENV = 3,     /* port missing or vanished, permission, peer failed */
	ATP_EXIT_INCONC = 4,  /* nothing failed, but something was undecided */
	ATP_EXIT_SIGNAL = 128, /* + the signal: interrupted (130 SIGINT, 143 SIGTERM),
	                          reports and capture finished */
};

#define ATP_DIAG_MSG_MAX 256

/* A diagnostic: what went wrong and where. Public so callers can keep it on
 * the stack; fill it through atp_diag_set() / atp_diag_at(). */
struct atp_diag {
	int code;             /* enum atp_err */
	int sys_errno;        /* valid when code == ATP_ERR_IO */
	const char *source;   /* file name or port, not owned; NULL if none */
	unsigned long line;   /* 1-based; 0 = unknown */
	unsigned long col;    /* 1-based; 0 = unknown */
	size_t offset;        /* byte offset in the input */
	char msg[ATP_DIAG_MSG_MAX];
};

/* Clears a diagnostic (code ATP_OK, empty message, no place). */
void atp_diag_clear(struct atp_diag *d);

/*
 * Records an error with a printf-style message and returns @code, so that
 * `return atp_diag_set(d, ATP_ERR_SYNTAX, "...");` reads naturally.
 * @d may be NULL, then only @code is returned. The place fields are kept.
 */
int atp_diag_set(struct atp_diag *d, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like atp_diag_set() and also records the place of the problem. */
int atp_diag_at(struct atp_diag *d, int code, const char *source,
    unsigned long line, unsigned long col, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* Formats a diagnostic as "source:line:col: message" (the parts known) into
 * @buf of @size bytes; returns @buf. Never fails; truncates. */
const char *atp_diag_format(const struct atp_diag *d, char *buf, size_t size);

/* A static English description of an enum atp_err value. */
const char *atp_strerror(int err);

#endif
