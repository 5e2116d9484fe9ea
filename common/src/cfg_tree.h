/* SPDX-License-Identifier: Apache-2.0 */
/* Internal to the config module (cfg.c, cfg_yaml.c): the node tree that the load step builds
 * from libyaml events and the schema walk reads. Only cfg_yaml.c includes <yaml.h>. */
#ifndef WT_CFG_TREE_H
#define WT_CFG_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wt/cfg.h"

enum wt__cfg_kind {
	WT__CFG_SCALAR,
	WT__CFG_MAP,
	WT__CFG_SEQ,
};

/* A map's children are its key nodes (scalars) in document order, each pointing at its value;
 * a sequence's children are its items. */
struct wt__cfg_node {
	enum wt__cfg_kind kind;
	bool plain;	/* scalar written without quotes: only then can it mean null */
	uint32_t line;	/* 1-based */
	uint32_t count; /* map: keys, sequence: items */
	char *str;	/* scalar text, NUL-terminated, never contains NUL */
	size_t len;
	struct wt__cfg_node *child, *last; /* first and last child */
	struct wt__cfg_node *next;	   /* next sibling */
	struct wt__cfg_node *value;	   /* on a map key: its value */
	struct wt__cfg_node *dup_of;	   /* on a repeated map key: its first occurrence */
	struct wt__cfg_node *all_next;	   /* chain of every node, for freeing */
};

struct wt__cfg_doc {
	struct wt__cfg_node *root; /* NULL: empty stream */
	struct wt__cfg_node *all;
	size_t n_nodes;
};

/* Parse @len bytes at @buf into @doc (zeroed by the caller). Problems are added to @errs under
 * @name. Returns 0 or WT_ECONFIG; on failure @doc may hold a partial tree: free it either way
 * with wt__cfg_doc_free(). */
int wt__cfg_doc_parse(struct wt__cfg_doc *doc, const char *name, const char *buf, size_t len,
		      struct wt_cfg_errors *errs);

void wt__cfg_doc_free(struct wt__cfg_doc *doc);

/* True for an unquoted null, ~ or empty scalar. */
bool wt__cfg_node_is_null(const struct wt__cfg_node *n);

/* Append an error to @errs (or count it as dropped when full). @key may be NULL or "". */
void wt__cfg_errors_add(struct wt_cfg_errors *errs, const char *file, uint32_t line,
			const char *key, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#endif
