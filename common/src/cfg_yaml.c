/* SPDX-License-Identifier: Apache-2.0 */
/* Load step of the config module: libyaml parser events -> struct wt__cfg_node tree.
 *
 * The only file that includes <yaml.h>. The input is untrusted (a file, or the fuzzer), so the
 * tree has hard ceilings on depth and node count, and the YAML features that make documents
 * hard to review or expensive to expand are refused: anchors and aliases (billion laughs),
 * tags, duplicate keys (libyaml keeps both; which one wins would be our accident), non-scalar
 * keys and multiple documents. Nothing here knows the schema. */
#include "cfg_tree.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "wt/err.h"
#include "wt/mem.h"

struct frame {
	struct wt__cfg_node *node;
	struct wt__cfg_node *pending_key; /* map: key read, value not yet */
};

struct builder {
	struct wt__cfg_doc *doc;
	const char *name;
	const char *buf;
	size_t len;
	struct wt_cfg_errors *errs;
	struct frame stack[WT_CFG_DEPTH_MAX];
	size_t depth;
	int documents;
	bool failed;	 /* stop parsing: the rest cannot be trusted */
	bool duplicates; /* duplicate keys seen: keep parsing to report them all */
};

bool wt__cfg_node_is_null(const struct wt__cfg_node *n)
{
	if (n->kind != WT__CFG_SCALAR || !n->plain) {
		return false;
	}
	return n->len == 0 || strcmp(n->str, "~") == 0 || strcmp(n->str, "null") == 0 ||
	       strcmp(n->str, "Null") == 0 || strcmp(n->str, "NULL") == 0;
}

void wt__cfg_doc_free(struct wt__cfg_doc *doc)
{
	struct wt__cfg_node *n = doc->all;

	while (n != NULL) {
		struct wt__cfg_node *next = n->all_next;

		wt_free(n->str);
		wt_free(n);
		n = next;
	}
	doc->all = NULL;
	doc->root = NULL;
	doc->n_nodes = 0;
}

static uint32_t mark_line(const yaml_mark_t *m)
{
	return m->line >= UINT32_MAX ? UINT32_MAX : (uint32_t)m->line + 1;
}

/* Reader errors carry a byte offset rather than a mark. */
static uint32_t offset_line(const struct builder *b, size_t offset)
{
	uint32_t line = 1;

	for (size_t i = 0; i < offset && i < b->len; i++) {
		if (b->buf[i] == '\n' && line < UINT32_MAX) {
			line++;
		}
	}
	return line;
}

static void report_parser_error(struct builder *b, const yaml_parser_t *p)
{
	const char *problem = p->problem != NULL ? p->problem : "unknown problem";

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		wt__cfg_errors_add(b->errs, b->name, 0, NULL, "YAML parser out of memory");
		break;
	case YAML_READER_ERROR:
		wt__cfg_errors_add(b->errs, b->name, offset_line(b, p->problem_offset), NULL,
				   "invalid input: %s at byte %zu", problem, p->problem_offset);
		break;
	case YAML_SCANNER_ERROR:
	case YAML_PARSER_ERROR:
	default:
		if (p->problem_mark.index < b->len && b->buf[p->problem_mark.index] == '\t') {
			/* libyaml's wording for this one hides the usual cause. */
			wt__cfg_errors_add(b->errs, b->name, mark_line(&p->problem_mark), NULL,
					   "YAML syntax error: tab character (indent with spaces, "
					   "tabs are not allowed in YAML indentation)");
		} else if (p->context != NULL) {
			wt__cfg_errors_add(b->errs, b->name, mark_line(&p->problem_mark), NULL,
					   "YAML syntax error: %s (%s at line %u)", problem,
					   p->context, mark_line(&p->context_mark));
		} else {
			wt__cfg_errors_add(b->errs, b->name, mark_line(&p->problem_mark), NULL,
					   "YAML syntax error: %s", problem);
		}
		break;
	}
	b->failed = true;
}

static struct wt__cfg_node *node_new(struct builder *b, enum wt__cfg_kind kind,
				     const yaml_event_t *ev)
{
	struct wt__cfg_node *n;

	if (b->doc->n_nodes >= WT_CFG_NODES_MAX) {
		wt__cfg_errors_add(b->errs, b->name, mark_line(&ev->start_mark), NULL,
				   "document has more than %d nodes", WT_CFG_NODES_MAX);
		b->failed = true;
		return NULL;
	}
	n = wt_calloc(1, sizeof(*n));
	n->kind = kind;
	n->line = mark_line(&ev->start_mark);
	n->all_next = b->doc->all;
	b->doc->all = n;
	b->doc->n_nodes++;
	return n;
}

static void append_child(struct wt__cfg_node *parent, struct wt__cfg_node *n)
{
	if (parent->last == NULL) {
		parent->child = n;
	} else {
		parent->last->next = n;
	}
	parent->last = n;
	parent->count++;
}

/* Attach @n where the parser is: as the root, a sequence item, a map key or a map value. */
static void attach(struct builder *b, struct wt__cfg_node *n)
{
	struct frame *top;

	if (b->depth == 0) {
		b->doc->root = n;
		return;
	}
	top = &b->stack[b->depth - 1];
	if (top->node->kind == WT__CFG_SEQ) {
		append_child(top->node, n);
		return;
	}
	if (top->pending_key != NULL) {
		top->pending_key->value = n;
		top->pending_key = NULL;
		return;
	}
	if (n->kind != WT__CFG_SCALAR) {
		wt__cfg_errors_add(b->errs, b->name, n->line, NULL,
				   "map keys must be plain strings, not a %s",
				   n->kind == WT__CFG_MAP ? "map" : "list");
		b->failed = true;
		return;
	}
	append_child(top->node, n);
	top->pending_key = n;
}

struct key_ref {
	struct wt__cfg_node *key;
	size_t pos; /* in document order */
};

static int key_ref_cmp(const void *pa, const void *pb)
{
	const struct key_ref *a = pa, *b = pb;
	int c;

	if (a->key->len != b->key->len) {
		return a->key->len < b->key->len ? -1 : 1;
	}
	c = memcmp(a->key->str, b->key->str, a->key->len);
	if (c != 0) {
		return c;
	}
	return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* Key path of the node open at stack level @level ("children[2].breaker"), from the keys and
 * item indexes of the levels above it. */
static void stack_path(const struct builder *b, size_t level, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < level && used < size; i++) {
		const struct frame *f = &b->stack[i];
		int n;

		if (f->node->kind == WT__CFG_SEQ) {
			n = snprintf(buf + used, size - used, "[%" PRIu32 "]", f->node->count - 1);
		} else {
			/* The open value belongs to the map's last key. */
			WT_ASSERT(f->node->last != NULL);
			n = snprintf(buf + used, size - used, "%s%s", used > 0 ? "." : "",
				     f->node->last->str);
		}
		used += n > 0 ? (size_t)n : 0;
	}
}

/* Report every repeated key of @map, in document order. Sorting keeps a map of thousands of
 * keys (the node ceiling allows it) from costing a quadratic number of comparisons. Parsing goes
 * on after duplicates so that one run reports them all. */
static void check_duplicates(struct builder *b, const struct wt__cfg_node *map, size_t level)
{
	char path[128], key[256];
	struct key_ref *refs;
	size_t i = 0;

	if (map->count < 2) {
		return;
	}
	refs = wt_malloc(map->count * sizeof(*refs));
	for (struct wt__cfg_node *k = map->child; k != NULL; k = k->next, i++) {
		refs[i].key = k;
		refs[i].pos = i;
	}
	qsort(refs, map->count, sizeof(*refs), key_ref_cmp);
	for (size_t first = 0, j = 1; j < map->count; j++) {
		if (refs[j].key->len == refs[first].key->len &&
		    memcmp(refs[j].key->str, refs[first].key->str, refs[j].key->len) == 0) {
			refs[j].key->dup_of = refs[first].key;
		} else {
			first = j;
		}
	}
	wt_free(refs);
	stack_path(b, level, path, sizeof(path));
	for (const struct wt__cfg_node *k = map->child; k != NULL; k = k->next) {
		if (k->dup_of != NULL) {
			snprintf(key, sizeof(key), "%s%s%s", path, path[0] != '\0' ? "." : "",
				 k->str);
			wt__cfg_errors_add(b->errs, b->name, k->line, key,
					   "duplicate key '%s' (first on line %" PRIu32 ")", key,
					   k->dup_of->line);
			b->duplicates = true;
		}
	}
}

/* Refuse anchors and tags on a node event; returns false after reporting. */
static bool check_props(struct builder *b, const yaml_event_t *ev, const yaml_char_t *anchor,
			const yaml_char_t *tag)
{
	if (anchor != NULL) {
		wt__cfg_errors_add(b->errs, b->name, mark_line(&ev->start_mark), NULL,
				   "anchors and aliases are not supported (found anchor '&%.64s')",
				   (const char *)anchor);
		b->failed = true;
		return false;
	}
	if (tag != NULL) {
		wt__cfg_errors_add(b->errs, b->name, mark_line(&ev->start_mark), NULL,
				   "YAML tags are not supported (found tag '%.64s')",
				   (const char *)tag);
		b->failed = true;
		return false;
	}
	return true;
}

static void on_scalar(struct builder *b, const yaml_event_t *ev)
{
	const char *value = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	struct wt__cfg_node *n;

	if (!check_props(b, ev, ev->data.scalar.anchor, ev->data.scalar.tag)) {
		return;
	}
	if (memchr(value, '\0', len) != NULL) {
		wt__cfg_errors_add(b->errs, b->name, mark_line(&ev->start_mark), NULL,
				   "value contains a NUL character");
		b->failed = true;
		return;
	}
	n = node_new(b, WT__CFG_SCALAR, ev);
	if (n == NULL) {
		return;
	}
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	n->str = wt_malloc(len + 1);
	memcpy(n->str, value, len);
	n->str[len] = '\0';
	n->len = len;
	attach(b, n);
}

static void on_open(struct builder *b, const yaml_event_t *ev, enum wt__cfg_kind kind)
{
	struct wt__cfg_node *n;
	bool ok;

	if (kind == WT__CFG_MAP) {
		ok = check_props(b, ev, ev->data.mapping_start.anchor, ev->data.mapping_start.tag);
	} else {
		ok = check_props(b, ev, ev->data.sequence_start.anchor,
				 ev->data.sequence_start.tag);
	}
	if (!ok) {
		return;
	}
	if (b->depth >= WT_CFG_DEPTH_MAX) {
		wt__cfg_errors_add(b->errs, b->name, mark_line(&ev->start_mark), NULL,
				   "maps and lists nested deeper than %d levels", WT_CFG_DEPTH_MAX);
		b->failed = true;
		return;
	}
	n = node_new(b, kind, ev);
	if (n == NULL) {
		return;
	}
	attach(b, n);
	b->stack[b->depth].node = n;
	b->stack[b->depth].pending_key = NULL;
	b->depth++;
}

/* Handle one event; returns false when the stream ended or parsing must stop. */
static bool on_event(struct builder *b, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		return false;
	case YAML_DOCUMENT_START_EVENT:
		if (++b->documents > 1) {
			wt__cfg_errors_add(b->errs, b->name, mark_line(&ev->start_mark), NULL,
					   "more than one YAML document (remove the second '---')");
			b->failed = true;
		}
		break;
	case YAML_ALIAS_EVENT:
		wt__cfg_errors_add(b->errs, b->name, mark_line(&ev->start_mark), NULL,
				   "anchors and aliases are not supported (found alias '*%.64s')",
				   (const char *)ev->data.alias.anchor);
		b->failed = true;
		break;
	case YAML_SCALAR_EVENT:
		on_scalar(b, ev);
		break;
	case YAML_MAPPING_START_EVENT:
		on_open(b, ev, WT__CFG_MAP);
		break;
	case YAML_SEQUENCE_START_EVENT:
		on_open(b, ev, WT__CFG_SEQ);
		break;
	case YAML_MAPPING_END_EVENT:
		WT_ASSERT(b->depth > 0);
		check_duplicates(b, b->stack[b->depth - 1].node, b->depth - 1);
		b->depth--;
		break;
	case YAML_SEQUENCE_END_EVENT:
		WT_ASSERT(b->depth > 0);
		b->depth--;
		break;
	case YAML_NO_EVENT:
	case YAML_STREAM_START_EVENT:
	case YAML_DOCUMENT_END_EVENT:
		break;
	}
	return !b->failed;
}

int wt__cfg_doc_parse(struct wt__cfg_doc *doc, const char *name, const char *buf, size_t len,
		      struct wt_cfg_errors *errs)
{
	struct builder b = { .doc = doc, .name = name, .buf = buf, .len = len, .errs = errs };
	yaml_parser_t parser;
	bool more = true;

	if (len > WT_CFG_FILE_MAX) {
		wt__cfg_errors_add(errs, name, 0, NULL, "file is larger than %d bytes",
				   WT_CFG_FILE_MAX);
		return WT_E2BIG;
	}
	if (yaml_parser_initialize(&parser) == 0) {
		wt__cfg_errors_add(errs, name, 0, NULL, "YAML parser out of memory");
		return WT_ECONFIG;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	while (more) {
		yaml_event_t ev;

		if (yaml_parser_parse(&parser, &ev) == 0) {
			report_parser_error(&b, &parser);
			break;
		}
		more = on_event(&b, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	return b.failed || b.duplicates ? WT_ECONFIG : 0;
}
