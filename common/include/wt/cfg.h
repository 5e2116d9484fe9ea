/* SPDX-License-Identifier: Apache-2.0 */
/* Configuration: YAML files decoded into a daemon's plain C struct through a schema table.
 *
 * Each daemon declares, in <d>_cfg.c, one array of struct wt_cfg_key (Redis static_configs[],
 * Knot desc_server[]): per key its name, type, field offset, range, default, whether it is
 * required and whether SIGHUP may change it, plus a help line. Loading runs three steps:
 *   1. load: libyaml events -> a small node tree that keeps the line of every node, with hard
 *      ceilings (WT_CFG_FILE_MAX bytes, WT_CFG_DEPTH_MAX levels, WT_CFG_NODES_MAX nodes);
 *      anchors, aliases, tags, duplicate keys and multiple documents are refused;
 *   2. validate: defaults are written first, then every node is checked against the schema
 *      (unknown keys, missing required keys, types, ranges, string lengths, list sizes);
 *   3. an optional cross-field callback reports errors with wt_cfg_error(), which finds the
 *      line of a key path in the tree.
 * Every error names the file, the line, the key path and the allowed range, e.g.
 *   rack.yaml:12: key 'breaker.rating_a' = 5000 is out of range [1, 4000]
 * Errors are collected (up to WT_CFG_ERRORS_MAX) rather than stopping at the first. Nothing is
 * half-applied: decoding goes into a scratch struct that is copied to the caller's only when all
 * three steps pass.
 *
 * Why libyaml and not libcyaml (which STYLE.md section 10 names): every message must carry the
 * line of the offending key, and libcyaml reports positions only for its own errors, not for
 * range or cross-field checks done after decoding. libyaml (Debian libyaml-dev) gives a mark
 * for every event, so the tree keeps them and the schema walk below replaces libcyaml's. The
 * rules of section 10 stay: one schema per daemon, unknown keys are errors, defaults and ranges
 * live next to each key.
 *
 * Value syntax (stricter than YAML 1.1 on purpose):
 *   bool         true|false (also True/TRUE/False/FALSE); yes/no/on/off are refused.
 *   u32 u64 i64  decimal integers, optional sign; no hex, octal, exponent or separators.
 *   double       decimal number with optional fraction and exponent; nan and inf are refused.
 *   duration_ms  integer milliseconds, or a decimal with a unit: ms, s, m (minutes), h.
 *                "1.5s" = 1500. Values that are not a whole number of ms are refused.
 *   watts        integer watts, or a decimal with a unit: W, kW, MW, GW (case-sensitive:
 *                "mW" is not megawatts). "0.05kW" = 50. Fractional watts are REFUSED, not
 *                rounded: a power limit that silently moves is a surprise, and sub-watt
 *                precision means nothing at the scale of a rack.
 *   unquoted null, ~ or an empty value is "no value" and is an error for every type; write
 *   {} or [] for an empty map or list. An empty file is an error too (write {} for all
 *   defaults), so that a truncated ConfigMap never starts a daemon on defaults.
 *
 * Storage (checked at compile time by the WT_CFG_* macros where C allows):
 *   bool -> bool, u32 -> uint32_t, u64 -> uint64_t, i64 -> int64_t, double -> double,
 *   string -> char * (NUL-terminated, allocated; NULL when absent without default),
 *   enum -> a C enum (int-sized), duration_ms and watts -> uint32_t or uint64_t,
 *   map -> a nested struct, list -> ELEM *items + size_t count, strlist -> char ** + size_t.
 * Ranges are int64_t, so u64 values above INT64_MAX cannot be configured.
 *
 * Memory: everything the loader allocates (strings, list arrays) goes through wt_malloc and is
 * released by wt_cfg_free(). Thread: none of these functions keep state; call them from one
 * thread at a time per output struct (in practice the loop thread or main before the loop). */
#ifndef WT_CFG_H
#define WT_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Input ceilings of the load step. */
#define WT_CFG_FILE_MAX	  (8 * 1024 * 1024) /* bytes of YAML (100,000 children fit) */
#define WT_CFG_DEPTH_MAX  32		    /* nested maps and lists */
#define WT_CFG_NODES_MAX  1000000	    /* scalars, maps and lists (a child is 7) */
#define WT_CFG_ERRORS_MAX 20		    /* errors kept; later ones are only counted */

enum wt_cfg_type {
	WT_CFG_TYPE_BOOL,
	WT_CFG_TYPE_U32,
	WT_CFG_TYPE_U64,
	WT_CFG_TYPE_I64,
	WT_CFG_TYPE_DOUBLE,
	WT_CFG_TYPE_STRING,
	WT_CFG_TYPE_ENUM,
	WT_CFG_TYPE_DURATION_MS,
	WT_CFG_TYPE_WATTS,
	WT_CFG_TYPE_MAP,
	WT_CFG_TYPE_LIST,    /* list of maps */
	WT_CFG_TYPE_STRLIST, /* list of strings */
};

/* One accepted name of an enum key; tables end with { NULL, 0 }. */
struct wt_cfg_enum {
	const char *name;
	int value;
};

/* One key of a schema. Schemas are arrays ending with WT_CFG_END. Fill entries with the
 * WT_CFG_* macros below rather than by hand: they compute offsets and sizes and check field
 * types. Which fields matter depends on the type:
 *   min, max      integers, duration (ms), watts (W): value range; string: length in bytes;
 *                 list, strlist: number of items.
 *   min_d, max_d  double: value range.
 *   def, def_d, def_s  default (bool/integer/enum value/ms/W, double, string or NULL); unused
 *                 for maps (their children carry defaults) and lists (default empty).
 *   reloadable    may differ between the running config and a SIGHUP reload. On a map or list
 *                 it makes the whole subtree reloadable; when false on a map its children
 *                 decide, when false on a list the item count is fixed and the item fields
 *                 decide. See wt_cfg_diff_reloadable().
 *   required      must be present whenever its parent map is. An absent map is treated as an
 *                 empty one, so its required children are reported missing. */
struct wt_cfg_key {
	const char *name;
	enum wt_cfg_type type;
	size_t offset; /* of the field in the enclosing struct */
	size_t size;   /* of that field */
	int64_t min, max;
	double min_d, max_d;
	int64_t def;
	double def_d;
	const char *def_s;
	bool required;
	bool reloadable;
	const struct wt_cfg_key *children; /* map, list: schema of the nested struct */
	size_t elem_size;		   /* map: nested struct size; list: item size */
	size_t count_offset;		   /* list, strlist: offset of the size_t item count */
	size_t max_len;			   /* strlist: longest item in bytes */
	const struct wt_cfg_enum *enums;   /* enum: accepted names */
	const char *help;
};

/* Flags for the macros. */
#define WT_CFG_REQUIRED	  1u
#define WT_CFG_RELOADABLE 2u

#define WT__CFG_FLAGS(flags_)                                                                      \
	.required = ((flags_)&WT_CFG_REQUIRED) != 0, .reloadable = ((flags_)&WT_CFG_RELOADABLE) != 0

/* Offset of T.field, failing to compile unless the field has type FT. */
#define WT__CFG_OFF(T, field, FT) _Generic(((T *)0)->field, FT : offsetof(T, field))
#define WT__CFG_FIELD(T, field)	  .size = sizeof(((T *)0)->field)
/* Durations and watts may be stored in 32 or 64 bits. */
#define WT__CFG_OFF_UINT(T, field)                                                                 \
	_Generic(((T *)0)->field, uint32_t : offsetof(T, field), uint64_t : offsetof(T, field))

#define WT_CFG_BOOL(name_, T, field, def_, flags_, help_)                                          \
	{                                                                                          \
		.name = (name_), .type = WT_CFG_TYPE_BOOL, .offset = WT__CFG_OFF(T, field, bool),  \
		WT__CFG_FIELD(T, field), .min = 0, .max = 1, .def = (def_), WT__CFG_FLAGS(flags_), \
		.help = (help_)                                                                    \
	}

#define WT_CFG_U32(name_, T, field, min_, max_, def_, flags_, help_)                               \
	{                                                                                          \
		.name = (name_), .type = WT_CFG_TYPE_U32,                                          \
		.offset = WT__CFG_OFF(T, field, uint32_t), WT__CFG_FIELD(T, field), .min = (min_), \
		.max = (max_), .def = (def_), WT__CFG_FLAGS(flags_), .help = (help_)               \
	}

#define WT_CFG_U64(name_, T, field, min_, max_, def_, flags_, help_)                               \
	{                                                                                          \
		.name = (name_), .type = WT_CFG_TYPE_U64,                                          \
		.offset = WT__CFG_OFF(T, field, uint64_t), WT__CFG_FIELD(T, field), .min = (min_), \
		.max = (max_), .def = (def_), WT__CFG_FLAGS(flags_), .help = (help_)               \
	}

#define WT_CFG_I64(name_, T, field, min_, max_, def_, flags_, help_)                               \
	{                                                                                          \
		.name = (name_), .type = WT_CFG_TYPE_I64,                                          \
		.offset = WT__CFG_OFF(T, field, int64_t), WT__CFG_FIELD(T, field), .min = (min_),  \
		.max = (max_), .def = (def_), WT__CFG_FLAGS(flags_), .help = (help_)               \
	}

#define WT_CFG_DOUBLE(name_, T, field, min_, max_, def_, flags_, help_)                            \
	{                                                                                          \
		.name = (name_), .type = WT_CFG_TYPE_DOUBLE,                                       \
		.offset = WT__CFG_OFF(T, field, double), WT__CFG_FIELD(T, field), .min_d = (min_), \
		.max_d = (max_), .def_d = (def_), WT__CFG_FLAGS(flags_), .help = (help_)           \
	}

/* A string of [min_len, max_len] bytes; def_ is a literal or NULL. */
#define WT_CFG_STRING(name_, T, field, min_len, max_len, def_, flags_, help_)                      \
	{                                                                                          \
		.name = (name_), .type = WT_CFG_TYPE_STRING,                                       \
		.offset = WT__CFG_OFF(T, field, char *), WT__CFG_FIELD(T, field),                  \
		.min = (min_len), .max = (max_len), .def_s = (def_), WT__CFG_FLAGS(flags_),        \
		.help = (help_)                                                                    \
	}

/* An int-sized C enum field; table_ is a struct wt_cfg_enum[] ending with { NULL, 0 }. */
#define WT_CFG_ENUM(name_, T, field, table_, def_, flags_, help_)                                  \
	{                                                                                          \
		.name = (name_), .type = WT_CFG_TYPE_ENUM, .offset = offsetof(T, field),           \
		WT__CFG_FIELD(T, field), .enums = (table_), .def = (def_), WT__CFG_FLAGS(flags_),  \
		.help = (help_)                                                                    \
	}

/* Milliseconds in a uint32_t or uint64_t; min_, max_, def_ in ms. */
#define WT_CFG_DURATION_MS(name_, T, field, min_, max_, def_, flags_, help_)                       \
	{                                                                                          \
		.name = (name_), .type = WT_CFG_TYPE_DURATION_MS,                                  \
		.offset = WT__CFG_OFF_UINT(T, field), WT__CFG_FIELD(T, field), .min = (min_),      \
		.max = (max_), .def = (def_), WT__CFG_FLAGS(flags_), .help = (help_)               \
	}

/* Watts in a uint32_t or uint64_t; min_, max_, def_ in W. */
#define WT_CFG_WATTS(name_, T, field, min_, max_, def_, flags_, help_)                             \
	{                                                                                          \
		.name = (name_), .type = WT_CFG_TYPE_WATTS, .offset = WT__CFG_OFF_UINT(T, field),  \
		WT__CFG_FIELD(T, field), .min = (min_), .max = (max_), .def = (def_),              \
		WT__CFG_FLAGS(flags_), .help = (help_)                                             \
	}

/* A nested struct of type SubT embedded as T.field, described by children_. */
#define WT_CFG_MAP(name_, T, field, SubT, children_, flags_, help_)                                \
	{                                                                                          \
		.name = (name_), .type = WT_CFG_TYPE_MAP, .offset = WT__CFG_OFF(T, field, SubT),   \
		WT__CFG_FIELD(T, field), .children = (children_), .elem_size = sizeof(SubT),       \
		WT__CFG_FLAGS(flags_), .help = (help_)                                             \
	}

/* A list of maps: T.items is an ElemT * allocated with wt_calloc, T.count its length. */
#define WT_CFG_LIST(name_, T, items, count, ElemT, children_, min_items, max_items, flags_, help_) \
	{                                                                                          \
		.name = (name_), .type = WT_CFG_TYPE_LIST,                                         \
		.offset = WT__CFG_OFF(T, items, ElemT *), WT__CFG_FIELD(T, items),                 \
		.count_offset = WT__CFG_OFF(T, count, size_t), .children = (children_),            \
		.elem_size = sizeof(ElemT), .min = (min_items), .max = (max_items),                \
		WT__CFG_FLAGS(flags_), .help = (help_)                                             \
	}

/* A list of strings: T.items is a char ** of T.count strings, each at most max_len_ bytes. */
#define WT_CFG_STRLIST(name_, T, items, count, min_items, max_items, max_len_, flags_, help_)      \
	{                                                                                          \
		.name = (name_), .type = WT_CFG_TYPE_STRLIST,                                      \
		.offset = WT__CFG_OFF(T, items, char **), WT__CFG_FIELD(T, items),                 \
		.count_offset = WT__CFG_OFF(T, count, size_t), .min = (min_items),                 \
		.max = (max_items), .max_len = (max_len_), WT__CFG_FLAGS(flags_), .help = (help_)  \
	}

#define WT_CFG_END                                                                                 \
	{                                                                                          \
		.name = NULL                                                                       \
	}

/* One reported problem. file is empty and line 0 when they do not apply (e.g. reload diff);
 * key is empty when the problem is not about one key (e.g. a YAML syntax error). msg is the
 * whole sentence, already naming the key. Text taken from the input is made printable. */
struct wt_cfg_error {
	char file[256];
	uint32_t line;
	char key[128];
	char msg[512];
};

/* A caller-owned, fixed-size error list (no allocation). Functions taking one reset it first. */
struct wt_cfg_errors {
	size_t count;	/* entries in e[] */
	size_t dropped; /* further errors that did not fit */
	struct wt_cfg_error e[WT_CFG_ERRORS_MAX];
};

/* Handed to the cross-field callback; opaque. */
struct wt_cfg_ctx;

/* Cross-field checks on the decoded @cfg (the scratch struct, already holding defaults and
 * every value from the file). Report each problem with wt_cfg_error(). Return 0, or a negative
 * WT_E* code; a negative return with no error reported adds a generic one. Must not modify or
 * keep pointers into @cfg. */
typedef int wt_cfg_validate_cb(struct wt_cfg_ctx *ctx, const void *cfg, void *arg);

/* Record an error about @key_path ("breaker.rating_a", "children[2].floor_w", or NULL for the
 * file as a whole) as "key '<path>': <message>". The line is that of the key in the file, or
 * of its nearest ancestor present when the value came from a default. */
void wt_cfg_error(struct wt_cfg_ctx *ctx, const char *key_path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Load the YAML file at @path into @out (a struct of @out_size bytes described by @schema).
 * Returns 0 when the file is valid: @out is overwritten, and owns new allocations to release
 * with wt_cfg_free() (anything @out held before is not freed). On failure @out is untouched and
 * @errs lists why; returns -errno when the file cannot be read, WT_E2BIG when it is larger than
 * WT_CFG_FILE_MAX, WT_ECONFIG for everything else. @validate (may be NULL) runs last with @arg.
 * Borrows @schema, @path and @errs. */
int wt_cfg_load_file(const char *path, const struct wt_cfg_key *schema, void *out, size_t out_size,
		     wt_cfg_validate_cb *validate, void *arg, struct wt_cfg_errors *errs);

/* As wt_cfg_load_file() on @len bytes at @buf (need not be NUL-terminated); @name is used as
 * the file name in messages. Used by tests and the fuzzer. */
int wt_cfg_load_buffer(const char *name, const char *buf, size_t len,
		       const struct wt_cfg_key *schema, void *out, size_t out_size,
		       wt_cfg_validate_cb *validate, void *arg, struct wt_cfg_errors *errs);

/* Free what the loader allocated in @cfg (strings, lists) and clear those fields; the struct
 * itself is the caller's. Safe on a zeroed struct and twice in a row. */
void wt_cfg_free(const struct wt_cfg_key *schema, void *cfg);

/* For SIGHUP: compare @old_cfg with @new_cfg and add one error per non-reloadable key that
 * differs: "key 'listen' is not reloadable (restart to change it)". Returns the number of such
 * keys (0: the reload may be applied), including any that did not fit in @errs. */
int wt_cfg_diff_reloadable(const struct wt_cfg_key *schema, const void *old_cfg,
			   const void *new_cfg, struct wt_cfg_errors *errs);

/* Print the effective @cfg, defaults included, as YAML that loads back to the same values.
 * Returns 0 or -EIO when writing to @f failed. */
int wt_cfg_dump(const struct wt_cfg_key *schema, const void *cfg, FILE *f);

/* Print every key with its type, range, default, flags and help text (for --help and docs).
 * Returns 0 or -EIO. */
int wt_cfg_help(const struct wt_cfg_key *schema, FILE *f);

/* Render @e as "file:line: msg" (parts that do not apply are left out) into @buf. Returns the
 * length snprintf() would have produced. */
int wt_cfg_error_str(const struct wt_cfg_error *e, char *buf, size_t size);

/* Print every error of @errs, one line each, then "... and N more errors" if some were dropped.
 * Returns 0 or -EIO. */
int wt_cfg_errors_print(const struct wt_cfg_errors *errs, FILE *f);

#endif
