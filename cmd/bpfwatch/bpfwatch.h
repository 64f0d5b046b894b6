/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * bpfwatch.h — shared types of the bpfwatch command.
 *
 * spec.c     pure parsers: SPEC, field paths, --expect (fuzzable, no I/O)
 * btfpath.c  dot-path resolution through map BTF, layout listing
 * maps.c     map/prog id cache, the object of a map, matching by name suffix
 * mapread.c  one element (key) of a map: checks, mmap or lookup, reads
 * agg.c      per-tick values and run-level aggregation into metric keys
 * bind.c     lazy binding of targets to live maps, rebinding a replaced map
 * report.c   sample/summary/event/field records, text and JSON printers
 * main.c     options and the sampling loop
 *
 * Errors follow errors.h: callees return 0 or -errno (with a sentence in an
 * @err buffer where the errno is not enough) and main.c prints.  Bad input
 * found by the first bw_bind_all() exits 2 there (tk_usage_error).
 */
#ifndef BPFWATCH_H
#define BPFWATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#define BW_SPEC_MAX   512   /* longest SPEC accepted */
#define BW_SUFFIX_MAX 15    /* kernel map names hold 15 bytes */
#define BW_LABEL_MAX  64
#define BW_SEG_MAX    16    /* path segments */
#define BW_IDX_MAX    4     /* subscripts per segment */
#define BW_NAME_MAX   128   /* one path segment's name */
#define BW_OBJ_MAX    16
#define BW_KEY_MAX    (BW_OBJ_MAX + BW_LABEL_MAX + 8)

enum bw_agg { BW_SCALAR, BW_COUNTER, BW_PERCPU, BW_PERCPU_COUNTER };

/* One segment of a field path: NAME or NAME[I][J]... */
struct bw_seg {
	char name[BW_NAME_MAX];
	unsigned nidx;
	uint32_t idx[BW_IDX_MAX];
};

struct bw_spec {
	char text[BW_SPEC_MAX];       /* the spec as given (for messages) */
	char suffix[BW_SUFFIX_MAX + 1];
	char field[BW_SPEC_MAX];
	char label[BW_LABEL_MAX + 1];
	enum bw_agg agg;
	bool has_key;                 /* MAP_SUFFIX[KEY]: array index or hash key */
	uint64_t key;
	bool raw;                     /* FIELD is value+OFF/TYPE: no segments */
	bool raw_signed;
	uint8_t raw_size;             /* 1, 2, 4 or 8 */
	uint32_t raw_off;
	unsigned nseg;
	struct bw_seg seg[BW_SEG_MAX];
};

/*
 * Parse and validate "MAP_SUFFIX[KEY]:FIELD:AGG:LABEL".  Pure: returns 0, or
 * -EINVAL with *why set to a static sentence naming the broken rule.
 */
int bw_spec_parse(const char *s, struct bw_spec *out, const char **why);

/*
 * Cross-spec rules: duplicate labels and labels that collide with another
 * spec's derived keys (_avg/_max/_rate).  Returns the index of the offending
 * spec (> 0) or 0 when fine; *why is a static sentence.
 */
size_t bw_specs_check(const struct bw_spec *v, size_t n, const char **why);

const char *bw_agg_name(enum bw_agg agg);

enum bw_op { BW_LT, BW_LE, BW_GT, BW_GE, BW_EQ };

struct bw_expect {
	char text[BW_SPEC_MAX];
	char key[BW_KEY_MAX];
	enum bw_op op;
	double value;
};

/* "KEY<=VALUE" (ops < <= > >= ==).  Pure; 0 or -EINVAL with *why. */
int bw_expect_parse(const char *s, struct bw_expect *out, const char **why);
bool bw_expect_holds(const struct bw_expect *e, double v);
const char *bw_op_name(enum bw_op op);

/* --- BTF -------------------------------------------------------------- */
struct btf;

/* Where an integer lives in a map value, and how to decode it. */
struct bw_loc {
	uint32_t off;        /* first byte */
	uint8_t nbytes;      /* 1..8 bytes to load (little-endian) */
	uint8_t shift;       /* bits to drop after loading (bitfields) */
	uint8_t bits;        /* width in bits; nbytes*8 for plain integers */
	bool is_signed;
	char type[64];       /* "u32", "s16", "bool", "enum tw_mode", "u32:3" */
};

/* Value read from a map: signed or unsigned 64-bit. */
struct bw_num {
	bool sgn;
	union {
		uint64_t u;
		int64_t i;
	};
};

/*
 * Resolve @path (segments from bw_spec) in BTF type @type_id of @btf.  When
 * that type is not a struct, union or DATASEC (a u64, an array), the first
 * segment must be "value", naming the whole value.
 * 0 or -ENOENT (no such member/variable), -EINVAL (not an integer),
 * -ERANGE (bad subscript); @err gets a sentence either way.
 */
int bw_resolve(const struct btf *btf, uint32_t type_id, const struct bw_seg *seg,
	       unsigned nseg, uint32_t value_size, struct bw_loc *loc, char *err, size_t errsz);

/*
 * Where @spec's FIELD lies in a @value_size-byte map value: value+OFF/TYPE
 * directly, "value" as the whole unsigned value when @btf is NULL or
 * @type_id 0 (no BTF), else bw_resolve.  Same returns as bw_resolve.
 */
int bw_locate(const struct btf *btf, uint32_t type_id, const struct bw_spec *spec,
	      uint32_t value_size, struct bw_loc *loc, char *err, size_t errsz);

/*
 * Is type @id an integer, bool or enum of 1, 2, 4 or 8 bytes?  0 with its C
 * name in @type ("u32", "enum e"), else -EINVAL with what it is ("struct k").
 */
int bw_int_type(const struct btf *btf, uint32_t id, char *type, size_t size);

/* Decode the integer at @loc in @base (a map value). */
struct bw_num bw_read(const volatile uint8_t *base, const struct bw_loc *loc);
double bw_num_dbl(struct bw_num n);

/* Called for each readable leaf by bw_layout_walk. */
typedef void (*bw_leaf_cb)(const char *path, const struct bw_loc *loc, void *ctx);
/*
 * Walk every integer leaf reachable from @type_id (arrays: up to 64 elements);
 * a root that is not a struct, union or DATASEC is named "value".
 */
int bw_layout_walk(const struct btf *btf, uint32_t type_id, bw_leaf_cb cb, void *ctx);

/* --- maps.c and mapread.c: id caches, matching, opening a key, reads ---- */

/* What bpfwatch knows about one live map id (kept across scans). */
struct bw_mapent {
	uint32_t id;
	char name[16];
	uint32_t type, flags, key_size, value_size, max_entries;
	uint32_t btf_id, btf_key_type_id, btf_value_type_id;
	bool seen;       /* present in the latest scan */
	bool used_now;   /* a live program lists it in its map ids */
	bool was_used;   /* some program listed it at some scan */
	bool sib_used_now, sib_was_used; /* same for a map sharing its BTF id */
};

struct bw_progent {
	uint32_t id;
	uint32_t *map_ids;
	uint32_t nmaps;
	bool seen;
};

struct bw_reg {
	struct bw_mapent *maps;
	size_t nmaps, maps_bytes;        /* maps_bytes: allocated at maps (tk_grow) */
	struct bw_progent *progs;
	size_t nprogs, progs_bytes;      /* progs_bytes: allocated at progs (tk_grow) */
};

/* Walk map and prog ids; info is fetched only for ids not seen before. */
int bw_scan(struct bw_reg *r);
void bw_reg_free(struct bw_reg *r);
struct bw_mapent *bw_reg_find(struct bw_reg *r, uint32_t id);
/*
 * libbpf object name owning @m: the longest "<obj>.bss|.data|.rodata|.kconfig"
 * prefix among @m and the maps sharing its BTF object id (libbpf creates all
 * maps of one object with that object's BTF); when none has one, among the
 * maps of the programs that use @m; else "bpf".
 */
void bw_obj_of(const struct bw_reg *r, const struct bw_mapent *m, char *obj, size_t size);
/*
 * Gone: its programs were unloaded; never used by a program, the programs of
 * its BTF siblings were; or a newer twin of the same name replaced it.
 */
bool bw_map_dead(const struct bw_reg *r, const struct bw_mapent *m);

/* Filters from --obj / --map-id. */
struct bw_match {
	const char *obj;     /* NULL = any */
	uint32_t map_id;     /* 0 = any */
};
/* Live maps whose name ends with @suffix; up to @max ids in @ids, returns count. */
size_t bw_candidates(const struct bw_reg *r, const char *suffix, const struct bw_match *mt,
		     uint32_t *ids, size_t max);

/* Which element of a map: index/hash key @v when @set, else key 0. */
struct bw_key {
	bool set;
	uint64_t v;
};

/* An opened map at one key, shared by every target watching that element. */
struct bw_map {
	uint32_t id;
	int fd;
	char name[16];
	char obj[BW_OBJ_MAX];
	uint32_t type, flags, key_size, value_size, max_entries;
	uint32_t key_type_id, value_type_id;
	struct btf *btf;     /* NULL when the map has no BTF */
	struct bw_key key;
	bool percpu;
	bool mmapped;
	void *mm;
	size_t mm_len;
	const volatile uint8_t *mm_val; /* mmap: the element at key */
	uint8_t *buf;        /* lookup mode: ncpu * stride bytes */
	uint8_t *keybuf;     /* lookup mode: the key, key_size bytes */
	size_t stride;
	unsigned ncpu;
	unsigned refs;
	bool valid;          /* value readable this tick */
	struct bw_map *next;
};

/*
 * Open map @id at @key (mmap when allowed and possible).  0 or -errno, @err
 * set; a key the map cannot take (past max_entries, too wide for key_size,
 * a non-integer key type, a map type without keys) is -EDOM.
 */
int bw_map_open(const struct bw_reg *r, uint32_t id, struct bw_key key, bool allow_mmap,
		struct bw_map **out, char *err, size_t errsz);
/* "0..1" (arrays), "u32" (integer hash keys), "" (maps that take no KEY). */
void bw_key_desc(const struct bw_map *m, char *buf, size_t size);
void bw_map_close(struct bw_map *m);
/* One lookup (lookup mode) or nothing (mmap).  Sets m->valid. */
void bw_map_read(struct bw_map *m);
static inline const volatile uint8_t *bw_map_value(const struct bw_map *m, unsigned cpu)
{
	return m->mmapped ? m->mm_val : m->buf + (size_t)cpu * m->stride;
}

/* --- agg.c: one watched field and its aggregation ------------------------ */

struct bw_target {
	struct bw_spec spec;
	struct bw_map *map;          /* NULL while unbound */
	struct bw_loc loc;
	uint32_t last_id;            /* id of the map last bound (0 = never) */
	uint32_t failed_id;          /* map id whose BTF did not resolve */
	char obj[BW_OBJ_MAX];
	char key[BW_KEY_MAX];        /* <obj>_<label>, fixed at first bind */
	char key_rate[BW_KEY_MAX + 8], key_avg[BW_KEY_MAX + 8], key_max[BW_KEY_MAX + 8];
	bool said_wait, said_ambig;

	/* this tick */
	bool have;
	double cur;                  /* value (or cross-CPU sum / mean) */
	double cur_max;              /* percpu: cross-CPU max */
	struct bw_num cur_num;       /* exact value or sum (counters) */
	bool have_rate;
	double rate;

	/* run level */
	uint64_t n;
	double sum;                  /* scalar/percpu: sum of tick values */
	double peak;                 /* percpu: max over the run */
	struct bw_num last;
	double prev;                 /* counters: previous tick value */
	uint64_t prev_ns;
	bool have_prev;
	double dsum, dtsum;          /* counters: summed deltas and seconds */
};

/* Take this tick's value from the bound map (no-op when unbound/invalid). */
void bw_sample(struct bw_target *t, uint64_t now_ns);
/* Set t->key and its derived keys from @obj (first bind only). */
void bw_set_keys(struct bw_target *t, const char *obj);
/* Forget the previous counter value (after a rebind). */
void bw_reset_prev(struct bw_target *t);
/*
 * Add this tick's metrics to @rec (recw.h: refilled every tick; the keys
 * are @t's, fixed at its first bind) / the run-level metrics to @rec.
 */
struct tk_recw;
void bw_put_tick(const struct bw_target *t, struct tk_recw *rec);
void bw_put_run(const struct bw_target *t, struct json_object *rec);
/* Run-level value of metric @key (full key or label form); false when absent. */
bool bw_run_value(const struct bw_target *t, size_t n, const char *key, double *v);

/* --- bind.c: resolving targets to maps, lazily -------------------------- */

struct bw_run {
	struct bw_target *t;
	size_t nt;
	struct bw_map *maps;         /* open maps, shared by targets */
	struct bw_reg reg;
	struct bw_match match;
	bool allow_mmap;
};

/*
 * Bind every unbound target and drop targets whose map is gone.  @first:
 * ambiguity or a field that does not resolve exits 2 (bad input); later
 * they are reported as events and retried.  0 or -errno (scan failure).
 */
int bw_bind_all(struct bw_run *run, bool first);
void bw_unbind_all(struct bw_run *run);

/* --- report.c --------------------------------------------------------- */

/* event record: @what = bind|rebind|gone|waiting|ambiguous|error. */
void bw_event(const struct bw_target *t, const char *what, uint32_t old_id, const char *msg);
/* --list: print the layout of map @m (paired JSON / table printers). */
int bw_list(const struct bw_map *m);
/* "mmap" or "lookup". */
const char *bw_mode_name(const struct bw_map *m);

#endif
