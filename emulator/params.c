/* SPDX-License-Identifier: MIT */
/* \summary: the module's parameters: factory values and the flash file */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emulator/emu.h"

#define IP4(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | \
	((uint32_t)(c) << 8) | (uint32_t)(d))

#define FLASH_MAGIC "atproof-flash 1"
#define FLASH_FILE_MAX 65536

/*
 * Factory values: w600-firmware.md §12 (G3 wm_param.c:525-646, LUAT the
 * same where it matters here). The SoftAP's SSID is empty, as the memset
 * leaves it; WJOIN in AP mode then fails until AT+APSSID is set.
 */
void
emu_params_factory(struct emu_params *p, const struct atp_profile *prof)
{
	(void)prof;
	memset(p, 0, sizeof(*p));
	p->wprt = 0;
	p->nip.type = 0;
	p->nip.ip = IP4(192, 168, 1, 1);
	p->nip.mask = IP4(255, 255, 255, 0);
	p->nip.gw = IP4(192, 168, 1, 1);
	p->nip.dns = IP4(192, 168, 1, 1);
	p->apnip.type = 0;
	p->apnip.ip = IP4(192, 168, 0, 1);
	p->apnip.mask = IP4(255, 255, 255, 0);
	p->apnip.gw = IP4(192, 168, 0, 1);
	p->apnip.dns = IP4(192, 168, 0, 1);
	snprintf(p->dns, sizeof(p->dns), "local.winnermicro");
	p->atm = 1;
	p->atrm.proto = 0;
	p->atrm.cs = 1;
	snprintf(p->atrm.host, sizeof(p->atrm.host), "0");
	p->atrm.port = 60000;
	p->encry = 0;
	p->apencry = 0;
	p->key.format = 0;
	p->apkey.format = 0;
	p->bssid_mode = 0;
	p->chl.mode = 0;
	p->chl.channel = 1;       /* "CHL 0 (channel reported as 1)" */
	p->apchl.mode = 0;
	p->apchl.channel = 11;
	p->chll = 0x3fff;
	p->watc = 0;
	p->wpsm = 0;
	p->brdssid = 1;
	p->uart.baud = 115200;
	p->webs = 1;
	p->webs_port = 80;
	snprintf(p->dname, sizeof(p->dname), "tln13sp01");
	snprintf(p->pass, sizeof(p->pass), "000000");
	p->portm = 0;
	p->atpt = 0;
	p->oneshot = 0;
}

/* CRC-32 (IEEE, reflected), bit by bit: the file is small. */
static uint32_t
crc32(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t c = 0xffffffffu;
	size_t i;
	int k;

	for (i = 0; i < len; i++) {
		c ^= p[i];
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
	}
	return ~c;
}

/* A bounded writer. */
struct wb {
	char *p;
	size_t size, len;
	int over;
};

static void
wb_printf(struct wb *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
wb_printf(struct wb *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->over)
		return;
	va_start(ap, fmt);
	n = vsnprintf(w->p + w->len, w->size - w->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= w->size - w->len) {
		w->over = 1;
		return;
	}
	w->len += (size_t)n;
}

/* A string value: printable ASCII as is, backslash and everything else as
 * \\ and \xHH, so a value is always one line. */
static void
wb_esc(struct wb *w, const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		uint8_t ch = (uint8_t)s[i];
		if (ch == '\\')
			wb_printf(w, "\\\\");
		else if (ATP_ISPRINT(ch))
			wb_printf(w, "%c", ch);
		else
			wb_printf(w, "\\x%02x", ch);
	}
}

static void
wb_ip(struct wb *w, uint32_t ip)
{
	char b[16];

	wb_printf(w, "%s", emu_fmt_ip(ip, b));
}

static void
wb_nip(struct wb *w, const char *k, const struct emu_nip *n)
{
	wb_printf(w, "%s=%u,", k, n->type);
	wb_ip(w, n->ip);
	wb_printf(w, ",");
	wb_ip(w, n->mask);
	wb_printf(w, ",");
	wb_ip(w, n->gw);
	wb_printf(w, ",");
	wb_ip(w, n->dns);
	wb_printf(w, "\n");
}

long
emu_flash_format(const struct emu_params *p, char *buf, size_t size)
{
	struct wb w = { buf, size, 0, 0 };
	size_t body;
	int i;

	if (buf == NULL || size == 0)
		return ATP_ERR_ARG;
	wb_printf(&w, FLASH_MAGIC "\n");
	wb_printf(&w, "wprt=%u\n", p->wprt);
	wb_nip(&w, "nip", &p->nip);
	wb_nip(&w, "apnip", &p->apnip);
	wb_printf(&w, "dns=");
	wb_esc(&w, p->dns);
	wb_printf(&w, "\natm=%u\n", p->atm);
	wb_printf(&w, "atrm=%u,%u,%u,", p->atrm.proto, p->atrm.cs, p->atrm.port);
	wb_esc(&w, p->atrm.host);
	wb_printf(&w, "\nssid=");
	wb_esc(&w, p->ssid);
	wb_printf(&w, "\napssid=");
	wb_esc(&w, p->apssid);
	wb_printf(&w, "\nencry=%u\napencry=%u\n", p->encry, p->apencry);
	wb_printf(&w, "key=%u,%u,", p->key.format, p->key.index);
	wb_esc(&w, p->key.key);
	wb_printf(&w, "\napkey=%u,%u,", p->apkey.format, p->apkey.index);
	wb_esc(&w, p->apkey.key);
	wb_printf(&w, "\nbssid=%u,", p->bssid_mode);
	for (i = 0; i < 6; i++)
		wb_printf(&w, "%02x", p->bssid[i]);
	wb_printf(&w, "\nchl=%u,%u\napchl=%u,%u\n", p->chl.mode, p->chl.channel,
	    p->apchl.mode, p->apchl.channel);
	wb_printf(&w, "chll=%x\nwatc=%u\nwpsm=%u\nbrdssid=%u\n", p->chll, p->watc, p->wpsm,
	    p->brdssid);
	wb_printf(&w, "uart=%u,%u,%u,%u,%u\n", p->uart.baud, p->uart.databit, p->uart.stopbit,
	    p->uart.parity, p->uart.flow);
	wb_printf(&w, "webs=%u,%u\ndname=", p->webs, p->webs_port);
	wb_esc(&w, p->dname);
	wb_printf(&w, "\npass=");
	wb_esc(&w, p->pass);
	wb_printf(&w, "\nportm=%u\natpt=%u\noneshot=%u\n", p->portm, p->atpt, p->oneshot);
	body = w.len;
	if (w.over)
		return ATP_ERR_LIMIT;
	wb_printf(&w, "checksum=%08x\n", crc32(buf, body));
	if (w.over)
		return ATP_ERR_LIMIT;
	return (long)w.len;
}

/* ---- reading ----------------------------------------------------------- */

struct rd {
	struct atp_cur c;         /* the value being read */
	struct atp_diag *d;
	unsigned long line;
	const char *key;
	int bad;
};

static void
rd_bad(struct rd *r, const char *what)
{
	if (!r->bad)
		atp_diag_at(r->d, ATP_ERR_SYNTAX, NULL, r->line, 0, "flash: %s: %s", r->key, what);
	r->bad = 1;
}

/* A field up to the next ',' (the ',' is taken), or the rest. */
static struct atp_span
rd_field(struct rd *r)
{
	struct atp_span s;

	atp_cur_until(&r->c, ",", &s);
	(void)atp_cur_lit(&r->c, ",");
	return s;
}

static unsigned
rd_dec(struct rd *r, unsigned max)
{
	uint64_t v = 0;

	/* v <= max is checked again: atp_span_dec lets a single digit above
	 * a one-digit maximum through. */
	if (atp_span_dec(rd_field(r), &v, max) != ATP_OK || v > max)
		rd_bad(r, "a number out of range");
	return (unsigned)v;
}

static uint32_t
rd_ip(struct rd *r)
{
	struct atp_span s = rd_field(r);
	struct atp_cur c = atp_cur_make(s.p, s.len);
	uint32_t ip = 0;
	uint64_t v;
	int k;

	for (k = 0; k < 4; k++) {
		if ((k > 0 && atp_cur_lit(&c, ".") != ATP_OK) || atp_cur_dec(&c, &v, 255) != ATP_OK) {
			rd_bad(r, "a malformed address");
			return 0;
		}
		ip = (ip << 8) | (uint32_t)v;
	}
	if (c.left != 0)
		rd_bad(r, "a malformed address");
	return ip;
}

/* The rest of the value, unescaped, into @buf of @size (NUL-terminated). */
static void
rd_str(struct rd *r, char *buf, size_t size)
{
	size_t n = 0;
	uint8_t ch;

	while (atp_cur_u8(&r->c, &ch) == ATP_OK) {
		if (ch == '\\') {
			uint64_t v;
			if (atp_cur_lit(&r->c, "\\") == ATP_OK) {
				ch = '\\';
			} else if (atp_cur_lit(&r->c, "x") == ATP_OK && r->c.left >= 2) {
				struct atp_span h;
				atp_cur_take(&r->c, 2, &h);
				if (atp_span_hex(h, &v, 0xff) != ATP_OK || v == 0) {
					rd_bad(r, "a bad escape");
					return;
				}
				ch = (uint8_t)v;
			} else {
				rd_bad(r, "a bad escape");
				return;
			}
		} else if (!ATP_ISPRINT(ch)) {
			rd_bad(r, "a control byte");
			return;
		}
		if (n + 1 >= size) {
			rd_bad(r, "a string too long");
			return;
		}
		buf[n++] = (char)ch;
	}
	buf[n] = '\0';
}

static void
rd_nip(struct rd *r, struct emu_nip *n)
{
	n->type = rd_dec(r, 1);
	n->ip = rd_ip(r);
	n->mask = rd_ip(r);
	n->gw = rd_ip(r);
	n->dns = rd_ip(r);
}

static void
rd_end(struct rd *r)
{
	if (r->c.left != 0)
		rd_bad(r, "trailing bytes");
}

/* The keys in file order; each must appear once, in this order. */
static const char *const keys[] = {
	"wprt", "nip", "apnip", "dns", "atm", "atrm", "ssid", "apssid", "encry", "apencry",
	"key", "apkey", "bssid", "chl", "apchl", "chll", "watc", "wpsm", "brdssid", "uart",
	"webs", "dname", "pass", "portm", "atpt", "oneshot",
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static void
rd_value(struct rd *r, size_t k, struct emu_params *p)
{
	struct atp_span s;
	uint64_t v;
	size_t i;

	switch (k) {
	case 0: p->wprt = rd_dec(r, 3); break;
	case 1: rd_nip(r, &p->nip); break;
	case 2: rd_nip(r, &p->apnip); break;
	case 3: rd_str(r, p->dns, sizeof(p->dns)); break;
	case 4: p->atm = rd_dec(r, 1); break;
	case 5:
		p->atrm.proto = rd_dec(r, 1);
		p->atrm.cs = rd_dec(r, 1);
		p->atrm.port = rd_dec(r, 65535);
		rd_str(r, p->atrm.host, sizeof(p->atrm.host));
		break;
	case 6: rd_str(r, p->ssid, sizeof(p->ssid)); break;
	case 7: rd_str(r, p->apssid, sizeof(p->apssid)); break;
	case 8: p->encry = rd_dec(r, 8); break;
	case 9: p->apencry = rd_dec(r, 8); break;
	case 10:
	case 11: {
		struct emu_key *key = k == 10 ? &p->key : &p->apkey;
		key->format = rd_dec(r, 1);
		key->index = rd_dec(r, 4);
		rd_str(r, key->key, sizeof(key->key));
		break;
	}
	case 12:
		p->bssid_mode = rd_dec(r, 1);
		s = rd_field(r);
		if (s.len != 12) {
			rd_bad(r, "a malformed BSSID");
			break;
		}
		for (i = 0; i < 6; i++) {
			if (atp_span_hex(atp_span_make(s.p + 2 * i, 2), &v, 0xff) != ATP_OK) {
				rd_bad(r, "a malformed BSSID");
				break;
			}
			p->bssid[i] = (uint8_t)v;
		}
		break;
	case 13:
	case 14: {
		struct emu_chl *c = k == 13 ? &p->chl : &p->apchl;
		c->mode = rd_dec(r, 1);
		c->channel = rd_dec(r, 14);
		if (c->channel == 0)
			rd_bad(r, "channel 0");
		break;
	}
	case 15:
		if (atp_span_hex(rd_field(r), &v, 0x3fff) != ATP_OK || v == 0)
			rd_bad(r, "a channel list out of range");
		p->chll = (unsigned)v;
		break;
	case 16: p->watc = rd_dec(r, 1); break;
	case 17: p->wpsm = rd_dec(r, 1); break;
	case 18: p->brdssid = rd_dec(r, 1); break;
	case 19:
		p->uart.baud = rd_dec(r, 2000000);
		p->uart.databit = rd_dec(r, 1);
		p->uart.stopbit = rd_dec(r, 2);
		p->uart.parity = rd_dec(r, 2);
		p->uart.flow = rd_dec(r, 1);
		break;
	case 20:
		p->webs = rd_dec(r, 1);
		p->webs_port = rd_dec(r, 65535);
		break;
	case 21: rd_str(r, p->dname, sizeof(p->dname)); break;
	case 22: rd_str(r, p->pass, sizeof(p->pass)); break;
	case 23: p->portm = rd_dec(r, 3); break;
	case 24: p->atpt = rd_dec(r, 10000); break;
	case 25: p->oneshot = rd_dec(r, 2); break;
	default: rd_bad(r, "unknown key"); break;
	}
	rd_end(r);
}

int
emu_flash_parse(const char *text, size_t len, struct emu_params *out, struct atp_diag *d)
{
	struct atp_cur c = atp_cur_make(text, len);
	struct emu_params p;
	struct rd r;
	struct atp_span line;
	size_t k = 0, body = 0;
	uint64_t sum;

	memset(&p, 0, sizeof(p));
	memset(&r, 0, sizeof(r));
	r.d = d;
	r.key = "header";
	for (r.line = 1;; r.line++) {
		struct atp_span key;
		struct atp_cur lc;

		if (c.left == 0) {
			r.key = "end";
			rd_bad(&r, "the file ends before its checksum (torn write)");
			return ATP_ERR_SYNTAX;
		}
		atp_cur_until(&c, "\n", &line);
		if (atp_cur_lit(&c, "\n") != ATP_OK) {
			r.key = "end";
			rd_bad(&r, "the last line has no end (torn write)");
			return ATP_ERR_SYNTAX;
		}
		if (r.line == 1) {
			if (!atp_span_eq(line, FLASH_MAGIC)) {
				rd_bad(&r, "not an atproof flash file (version 1)");
				return ATP_ERR_SYNTAX;
			}
			continue;
		}
		lc = atp_cur_make(line.p, line.len);
		atp_cur_until(&lc, "=", &key);
		if (atp_cur_lit(&lc, "=") != ATP_OK) {
			r.key = "line";
			rd_bad(&r, "no '='");
			return ATP_ERR_SYNTAX;
		}
		if (atp_span_eq(key, "checksum")) {
			body = (size_t)(line.p - (const uint8_t *)text);
			r.key = "checksum";
			if (k != NKEYS) {
				rd_bad(&r, "keys are missing");
				return ATP_ERR_SYNTAX;
			}
			if (atp_span_hex(atp_span_make(lc.p, lc.left), &sum, 0xffffffffu) != ATP_OK ||
			    lc.left != 8) {
				rd_bad(&r, "a malformed checksum");
				return ATP_ERR_SYNTAX;
			}
			if ((uint32_t)sum != crc32(text, body)) {
				rd_bad(&r, "the checksum does not match");
				return ATP_ERR_SYNTAX;
			}
			if (c.left != 0) {
				rd_bad(&r, "bytes after the checksum");
				return ATP_ERR_SYNTAX;
			}
			break;
		}
		if (k >= NKEYS || !atp_span_eq(key, keys[k])) {
			r.key = k < NKEYS ? keys[k] : "line";
			rd_bad(&r, "expected here, another key found");
			return ATP_ERR_SYNTAX;
		}
		r.key = keys[k];
		r.c = lc;
		rd_value(&r, k, &p);
		if (r.bad)
			return ATP_ERR_SYNTAX;
		k++;
	}
	*out = p;
	return ATP_OK;
}

int
emu_flash_read(const char *path, struct emu_params *p, struct atp_diag *d)
{
	char *buf;
	size_t n = 0;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = atp_diag_set(d, errno == ENOENT ? ATP_ERR_NOTFOUND : ATP_ERR_IO,
		    "flash %s: %s", path, strerror(errno));
		if (d != NULL)
			d->sys_errno = errno;
		return rc;
	}
	buf = atp_malloc(FLASH_FILE_MAX + 1);
	if (buf == NULL) {
		close(fd);
		return atp_diag_set(d, ATP_ERR_NOMEM, "flash: out of memory");
	}
	for (;;) {
		ssize_t k = read(fd, buf + n, FLASH_FILE_MAX + 1 - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			rc = atp_diag_set(d, ATP_ERR_IO, "flash %s: %s", path, strerror(errno));
			goto out;
		}
		if (k == 0)
			break;
		n += (size_t)k;
		if (n > FLASH_FILE_MAX) {
			rc = atp_diag_set(d, ATP_ERR_LIMIT, "flash %s: larger than %d bytes",
			    path, FLASH_FILE_MAX);
			goto out;
		}
	}
	rc = emu_flash_parse(buf, n, p, d);
	if (rc != ATP_OK && d != NULL)
		d->source = path;
out:
	atp_free(buf);
	close(fd);
	return rc;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/*
 * Atomic replacement: the new contents go to "<path>.tmp.<pid>" in the same
 * folder, which is fsync'ed and renamed over @path, then the folder is
 * fsync'ed so the rename itself is durable. A kill at any point leaves
 * either the old file or the new one (and maybe a stale temp file).
 */
int
emu_flash_write(const char *path, const struct emu_params *p, struct atp_diag *d)
{
	char buf[4096], tmp[4200], dir[4096];
	const char *slash;
	long n;
	int fd, rc = ATP_OK;

	n = emu_flash_format(p, buf, sizeof(buf));
	if (n < 0)
		return atp_diag_set(d, (int)n, "flash: cannot format the parameters");
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= sizeof(tmp))
		return atp_diag_set(d, ATP_ERR_LIMIT, "flash: path too long");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		goto io;
	if (write_all(fd, buf, (size_t)n) != 0 || fsync(fd) != 0) {
		close(fd);
		unlink(tmp);
		goto io;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		goto io;
	}
	slash = strrchr(path, '/');
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	return rc;
io:
	rc = atp_diag_set(d, ATP_ERR_IO, "flash %s: %s", path, strerror(errno));
	if (d != NULL)
		d->sys_errno = errno;
	return rc;
}
