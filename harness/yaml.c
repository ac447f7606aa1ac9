/* SPDX-License-Identifier: MIT */
/* \summary: libyaml events into a small bounded tree with line:col */
#include <string.h>
#include <yaml.h>

#include "harness/hns.h"

/*
 * libyaml's 1/0 returns and its event ownership stay in this file
 * (aesthetics §10.12): every event is deleted on every path, and the
 * parser is deleted at `out`.
 */

struct builder {
	const char *file;
	struct hns_ynode *stack[HNS_DEPTH_MAX + 1];
	size_t depth;
	struct hns_ynode *root;
	size_t nodes;
	int docs;
};

void
hns_ynode_free(struct hns_ynode *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nkids; i++)
		hns_ynode_free(n->kids[i]);
	atp_free(n->kids);
	atp_free(n->str);
	atp_free(n);
}

const struct hns_ynode *
hns_ymap_get(const struct hns_ynode *m, const char *key)
{
	size_t i;

	if (m == NULL || m->type != HNS_Y_MAP)
		return NULL;
	for (i = 0; i + 1 < m->nkids; i += 2)
		if (m->kids[i]->type == HNS_Y_SCALAR && strcmp(m->kids[i]->str, key) == 0)
			return m->kids[i + 1];
	return NULL;
}

static int
add_kid(struct hns_ynode *parent, struct hns_ynode *kid)
{
	struct hns_ynode **k;

	/* Grow by doubling; nkids is bounded by HNS_NODES_MAX. */
	if ((parent->nkids & (parent->nkids - 1)) == 0) {
		size_t cap = parent->nkids == 0 ? 4 : parent->nkids * 2;
		if (cap < 4)
			cap = 4;
		k = atp_realloc(parent->kids, cap * sizeof(*k));
		if (k == NULL)
			return ATP_ERR_NOMEM;
		parent->kids = k;
	}
	parent->kids[parent->nkids++] = kid;
	return ATP_OK;
}

static int
new_node(struct builder *b, enum hns_ytype type, const yaml_mark_t *mark,
    struct hns_ynode **out, struct atp_diag *d)
{
	struct hns_ynode *n;

	*out = NULL;
	if (++b->nodes > HNS_NODES_MAX)
		return atp_diag_at(d, ATP_ERR_LIMIT, b->file, mark->line + 1, mark->column + 1,
		    "more than %u YAML nodes", (unsigned)HNS_NODES_MAX);
	n = atp_calloc(1, sizeof(*n));
	if (n == NULL)
		return atp_diag_set(d, ATP_ERR_NOMEM, "out of memory");
	n->type = type;
	n->line = (unsigned long)mark->line + 1;
	n->col = (unsigned long)mark->column + 1;
	*out = n;
	return ATP_OK;
}

/* Attaches a finished node to the open collection, or makes it the root. */
static int
attach(struct builder *b, struct hns_ynode *n, struct atp_diag *d)
{
	if (b->depth == 0) {
		if (b->root != NULL) {
			hns_ynode_free(n);
			return atp_diag_at(d, ATP_ERR_SYNTAX, b->file, n->line, n->col,
			    "one scenario per file: a second document starts here");
		}
		b->root = n;
		return ATP_OK;
	}
	if (add_kid(b->stack[b->depth - 1], n) < 0) {
		hns_ynode_free(n);
		return atp_diag_set(d, ATP_ERR_NOMEM, "out of memory");
	}
	return ATP_OK;
}

static int
on_event(struct builder *b, const yaml_event_t *ev, struct atp_diag *d)
{
	struct hns_ynode *n;
	int rc;

	switch (ev->type) {
	case YAML_NO_EVENT:
	case YAML_STREAM_START_EVENT:
	case YAML_STREAM_END_EVENT:
	case YAML_DOCUMENT_END_EVENT:
		return ATP_OK;
	case YAML_DOCUMENT_START_EVENT:
		if (++b->docs > 1)
			return atp_diag_at(d, ATP_ERR_SYNTAX, b->file, ev->start_mark.line + 1,
			    ev->start_mark.column + 1,
			    "one scenario per file: a second document starts here");
		return ATP_OK;
	case YAML_ALIAS_EVENT:
		return atp_diag_at(d, ATP_ERR_SYNTAX, b->file, ev->start_mark.line + 1,
		    ev->start_mark.column + 1,
		    "aliases are not supported in scenarios (use include and blocks)");
	case YAML_SCALAR_EVENT:
		if (ev->data.scalar.anchor != NULL)
			return atp_diag_at(d, ATP_ERR_SYNTAX, b->file, ev->start_mark.line + 1,
			    ev->start_mark.column + 1,
			    "anchors are not supported in scenarios");
		if (ev->data.scalar.length > HNS_SCALAR_MAX)
			return atp_diag_at(d, ATP_ERR_LIMIT, b->file, ev->start_mark.line + 1,
			    ev->start_mark.column + 1, "a scalar longer than %u bytes",
			    (unsigned)HNS_SCALAR_MAX);
		rc = new_node(b, HNS_Y_SCALAR, &ev->start_mark, &n, d);
		if (rc < 0)
			return rc;
		n->str = atp_memdup0(ev->data.scalar.value, ev->data.scalar.length);
		if (n->str == NULL) {
			hns_ynode_free(n);
			return atp_diag_set(d, ATP_ERR_NOMEM, "out of memory");
		}
		n->len = ev->data.scalar.length;
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		return attach(b, n, d);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if ((ev->type == YAML_SEQUENCE_START_EVENT ? ev->data.sequence_start.anchor :
		    ev->data.mapping_start.anchor) != NULL)
			return atp_diag_at(d, ATP_ERR_SYNTAX, b->file, ev->start_mark.line + 1,
			    ev->start_mark.column + 1,
			    "anchors are not supported in scenarios");
		if (b->depth >= HNS_DEPTH_MAX)
			return atp_diag_at(d, ATP_ERR_LIMIT, b->file, ev->start_mark.line + 1,
			    ev->start_mark.column + 1, "nested deeper than %d levels",
			    HNS_DEPTH_MAX);
		rc = new_node(b, ev->type == YAML_SEQUENCE_START_EVENT ? HNS_Y_SEQ : HNS_Y_MAP,
		    &ev->start_mark, &n, d);
		if (rc < 0)
			return rc;
		b->stack[b->depth++] = n;
		return ATP_OK;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (b->depth == 0)
			return atp_diag_set(d, ATP_ERR_SYNTAX, "unbalanced YAML events");
		n = b->stack[--b->depth];
		return attach(b, n, d);
	}
	return ATP_OK;
}

int
hns_yaml_parse(const char *file, const void *buf, size_t len, struct hns_ynode **out,
    struct atp_diag *d)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	struct builder b;
	int rc = ATP_OK, done = 0;

	*out = NULL;
	if (len > HNS_FILE_MAX)
		return atp_diag_at(d, ATP_ERR_LIMIT, file, 0, 0,
		    "file larger than %u bytes", (unsigned)HNS_FILE_MAX);
	memset(&b, 0, sizeof(b));
	b.file = file;
	if (!yaml_parser_initialize(&parser))
		return atp_diag_set(d, ATP_ERR_NOMEM, "out of memory (libyaml)");
	yaml_parser_set_input_string(&parser, buf, len);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = atp_diag_at(d, ATP_ERR_SYNTAX, file,
			    (unsigned long)parser.problem_mark.line + 1,
			    (unsigned long)parser.problem_mark.column + 1, "%s%s%s",
			    parser.problem != NULL ? parser.problem : "YAML error",
			    parser.context != NULL ? " " : "",
			    parser.context != NULL ? parser.context : "");
			goto out;
		}
		rc = on_event(&b, &ev, d);
		done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
		if (rc < 0)
			goto out;
	}
	if (b.root == NULL) {
		rc = atp_diag_at(d, ATP_ERR_SYNTAX, file, 1, 1, "the file is empty");
		goto out;
	}
	*out = b.root;
	b.root = NULL;
out:
	while (b.depth > 0)
		hns_ynode_free(b.stack[--b.depth]);
	hns_ynode_free(b.root);
	yaml_parser_delete(&parser);
	return rc;
}
