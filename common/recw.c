// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "escape.h"
#include "jsonw.h"
#include "numfmt.h"
#include "output.h"
#include "prom.h"
#include "recw.h"
#include "stats.h"

enum kind { K_STR, K_U64, K_I64, K_DBL, K_BOOL, K_OBJ };

/* One call of a refill: the key pointer it gave, its kind, the field it set. */
struct call {
	const char *key;
	uint32_t field;
	uint8_t kind;
};

/* A field of the record (keys unique), in first-named order. */
struct field {
	uint32_t key, json, text, end;  /* offsets in shape: key\0, "key":, key=, end */
	uint8_t kind;                   /* of the last call that set it */
	union {
		uint64_t u;
		int64_t i;
		double d;
		bool b;
		struct json_object *o;
		struct { uint32_t off, len; } s;   /* in vals, NUL-terminated */
	} v;
};

/*
 * A Prometheus family of the record's numbers (its first field's name, help
 * and type), the field whose value it takes (the last of that name) and
 * that field's own scale, as prom.c's sets do.
 */
struct pfam {
	struct tk_prom_family fam;
	uint32_t field;
	double scale;
};

struct tk_recw {
	const char *type;
	struct call *call;
	size_t ncall, ccall, cursor;
	struct field *f;
	size_t nf, cf;
	struct tk_jsonw shape;          /* keys and their rendered forms */
	struct tk_jsonw vals;           /* this refill's strings */
	struct tk_jsonw out;            /* the rendered record */
	size_t nobj;                    /* json-c values held */
	bool renamed;                   /* the payload sets "tool" or "type" (recw.h) */
	bool odd;                       /* a value only json-c renders in text and prom */
	struct pfam *pf;                /* NULL until an exposition needs them */
	size_t npf;
	unsigned gen;                   /* shape changes so far */
	const struct json_object *json; /* tk_recw_to_json()'s last, made at shape json_gen */
	unsigned json_gen;
};

static const char K_TOOL[] = "tool", K_TYPE[] = "type", K_TS[] = "ts_ns";

/*
 * Bytes kept allocated after the shape's and each string value's end, and
 * after a JSON line's bound: keys and strings up to 32 bytes are copied as
 * two fixed 16-byte moves (copy_short), not a memcpy call each.
 */
#define SLACK 32

static void *or_abort(void *p)
{
	if (!p) {
		fputs("telkit: out of memory\n", stderr);
		abort();
	}
	return p;
}

static void ok_or_abort(int err)
{
	if (err)
		or_abort(NULL);
}

/* Make room for one more element of an array of @size-byte elements. */
static void grow(void **v, size_t *cap, size_t n, size_t size)
{
	size_t bytes = *cap * size;

	ok_or_abort(tk_grow(v, &bytes, (n + 1) * size, 16 * size));
	*cap = bytes / size;
}

static const char *key_of(const struct tk_recw *r, const struct field *f)
{
	return r->shape.p + f->key;
}

static const char *str_of(const struct tk_recw *r, const struct field *f)
{
	return r->vals.p + f->v.s.off;
}

/* Drop @f's json-c value, if it holds one. */
static void drop_obj(struct tk_recw *r, struct field *f)
{
	if (f->kind == K_OBJ && f->v.o) {
		json_object_put(f->v.o);
		r->nobj--;
	}
	f->v.o = NULL;
}

/* Keep the first @ncall calls of the shape and the fields they name. */
static void cut_shape(struct tk_recw *r, size_t ncall)
{
	size_t nf = 0;

	for (size_t i = 0; i < ncall; i++)
		if (r->call[i].field + 1 > nf)
			nf = r->call[i].field + 1;   /* fields come in first-named order */
	for (size_t i = nf; i < r->nf; i++)
		drop_obj(r, &r->f[i]);
	r->ncall = ncall;
	r->nf = nf;
	r->renamed = false;
	for (size_t i = 3; i < ncall; i++)
		r->renamed |= r->call[i].field < 2;
	r->shape.len = nf ? r->f[nf - 1].end : 0;
	r->gen++;
	free(r->pf);
	r->pf = NULL;
}

/* A new field for @key: its key, "key": and the text key, rendered once. */
static uint32_t new_field(struct tk_recw *r, const char *key)
{
	size_t klen = strlen(key), tlen = klen < TK_PROM_NAME_MAX ? klen : TK_PROM_NAME_MAX - 1;
	struct field *f;
	char *t;

	grow((void **)&r->f, &r->cf, r->nf, sizeof(*r->f));
	f = memset(&r->f[r->nf], 0, sizeof(*f));
	f->key = (uint32_t)r->shape.len;
	ok_or_abort(tk_jsonw_raw(&r->shape, key, klen + 1));
	f->json = (uint32_t)r->shape.len;
	ok_or_abort(tk_jsonw_str(&r->shape, key, klen));
	ok_or_abort(tk_jsonw_raw(&r->shape, ":", 1));
	f->text = (uint32_t)r->shape.len;
	/* output.c's text key: the path cut at 255 bytes, [A-Za-z0-9_.:-] kept */
	t = or_abort(tk_jsonw_room(&r->shape, tlen + 1));
	for (size_t i = 0; i < tlen; i++) {
		unsigned char c = (unsigned char)key[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || strchr("_.:-", c);

		t[i] = ok ? (char)c : '_';
	}
	t[tlen] = '=';
	r->shape.len += tlen + 1;
	f->end = (uint32_t)r->shape.len;
	or_abort(tk_jsonw_room(&r->shape, SLACK));
	return (uint32_t)r->nf++;
}

/* The shape differs at the cursor: rebuild it from there with this call. */
static struct field *reshape(struct tk_recw *r, const char *key, uint8_t kind)
{
	uint32_t idx = UINT32_MAX;

	cut_shape(r, r->cursor);
	for (size_t i = 0; i < r->nf && idx == UINT32_MAX; i++)
		if (!strcmp(key_of(r, &r->f[i]), key))
			idx = (uint32_t)i;
	if (idx == UINT32_MAX)
		idx = new_field(r, key);
	r->renamed |= r->ncall >= 3 && idx < 2;
	grow((void **)&r->call, &r->ccall, r->ncall, sizeof(*r->call));
	r->call[r->ncall++] = (struct call){ key, idx, kind };
	r->cursor = r->ncall;
	return &r->f[idx];
}

/* The field the next call sets: the next one of the shape, when it is the same call. */
static inline struct field *slot(struct tk_recw *r, const char *key, uint8_t kind)
{
	struct field *f;

	if (r->cursor < r->ncall && r->call[r->cursor].key == key && r->call[r->cursor].kind == kind)
		f = &r->f[r->call[r->cursor++].field];
	else
		f = reshape(r, key, kind);
	drop_obj(r, f);
	f->kind = kind;
	return f;
}

void tk_recw_str(struct tk_recw *r, const char *key, const char *val)
{
	struct field *f = slot(r, key, K_STR);
	size_t n = strlen(val ? val : "");
	char *o = or_abort(tk_jsonw_room(&r->vals, n + 1 + SLACK));

	f->v.s.off = (uint32_t)r->vals.len;
	f->v.s.len = (uint32_t)n;
	memcpy(o, val ? val : "", n + 1);
	r->vals.len += n + 1;
}

void tk_recw_u64(struct tk_recw *r, const char *key, uint64_t val)
{
	slot(r, key, K_U64)->v.u = val;
}

void tk_recw_i64(struct tk_recw *r, const char *key, int64_t val)
{
	slot(r, key, K_I64)->v.i = val;
}

void tk_recw_dbl(struct tk_recw *r, const char *key, double val)
{
	slot(r, key, K_DBL)->v.d = tk_finite_or_zero(val);
}

void tk_recw_bool(struct tk_recw *r, const char *key, bool val)
{
	slot(r, key, K_BOOL)->v.b = val;
}

void tk_recw_obj(struct tk_recw *r, const char *key, struct json_object *val)
{
	slot(r, key, K_OBJ)->v.o = val;
	if (val)
		r->nobj++;
	if (!json_object_is_type(val, json_type_array))
		r->odd = true;
}

void tk_recw_restamp(struct tk_recw *r)
{
	for (size_t i = 0; r->nobj && i < r->nf; i++)
		drop_obj(r, &r->f[i]);
	r->vals.len = 0;
	r->odd = false;
	r->cursor = 0;
	tk_recw_str(r, K_TOOL, tk_out.tool ? tk_out.tool : "telkit");
	tk_recw_str(r, K_TYPE, r->type);
	tk_recw_u64(r, K_TS, tk_now_real_ns());
}

void tk_recw_forget(struct tk_recw *r)
{
	cut_shape(r, 3);   /* the envelope's calls stay: their keys are ours */
	tk_recw_restamp(r);
}

struct tk_recw *tk_recw_new(const char *type)
{
	struct tk_recw *r = or_abort(calloc(1, sizeof(*r)));

	r->type = type;
	tk_recw_restamp(r);
	return r;
}

void tk_recw_free(struct tk_recw *r)
{
	if (!r)
		return;
	cut_shape(r, 0);
	free(r->call);
	free(r->f);
	tk_jsonw_free(&r->shape);
	tk_jsonw_free(&r->vals);
	tk_jsonw_free(&r->out);
	free(r);
}

/* --- JSON ---------------------------------------------------------------- */

static bool ascii(const char *s, size_t n)
{
	unsigned char any = 0;

	for (size_t i = 0; i < n; i++)
		any |= (unsigned char)s[i];
	return any < 0x80;
}

/* @s as tk_rec_str() keeps it (clean UTF-8, cut), escaped and quoted. */
static void put_str(struct tk_jsonw *w, const char *s, size_t n)
{
	char stack[1024], *heap;
	const char *clean;

	if (n < 65536 && ascii(s, n)) {
		ok_or_abort(tk_jsonw_str(w, s, n));
		return;
	}
	clean = tk_record_str_clean(s, stack, sizeof(stack), &heap);
	ok_or_abort(tk_jsonw_str(w, clean, strlen(clean)));
	free(heap);
}

/* A number or a boolean as JSON (no NUL); its length. */
static inline size_t fmt_scalar(char *buf, const struct field *f)
{
	switch (f->kind) {
	case K_U64:
		return tk_fmt_u64(buf, f->v.u);
	case K_I64:
		return tk_fmt_i64(buf, f->v.i);
	case K_DBL:
		return tk_fmt_json_dbl(buf, f->v.d);
	default:
		memcpy(buf, f->v.b ? "true" : "false", 5);
		return f->v.b ? 4 : 5;
	}
}

/*
 * Bytes json-c writes as they are (put_str()'s result): printable ASCII
 * but '"' and '\\'.  Eight at a time: a word has none of the others when no
 * byte is below 0x20 or from 0x80 up, and none is '"' or '\\' (exact as a
 * whole, as the bit tricks of "has a byte less than / equal to" are).
 */
static const bool plain_byte[256] = {
	[0x20 ... '"' - 1] = true, ['"' + 1 ... '\\' - 1] = true, ['\\' + 1 ... 0x7f] = true,
};

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

static inline bool word_plain(uint64_t x)
{
	uint64_t q = x ^ (ONES * '"'), b = x ^ (ONES * '\\');

	return !((x | ((x - ONES * 0x20) & ~x) | ((q - ONES) & ~q) | ((b - ONES) & ~b)) & HIGHS);
}

static bool plain(const char *s, size_t n)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t x;

		memcpy(&x, s + i, 8);
		if (!word_plain(x))
			return false;
	}
	for (; i < n; i++)
		if (!plain_byte[(unsigned char)s[i]])
			return false;
	return true;
}

/*
 * The bytes of @r's JSON line before its values' own: each field's ','
 * (or '{'), quoted key and ':', then '}' and a NUL (or '\n'); values: a
 * number at most TK_JSON_NUM_MAX, a plain string its bytes and quotes;
 * and SLACK.  Reserved at once, so the fields are copied without a check each.
 */
static size_t json_bound(const struct tk_recw *r)
{
	return r->shape.len + r->nf * (1 + TK_JSON_NUM_MAX) + r->vals.len + 2 * r->nf + 2 + SLACK;
}

/* @n bytes of @s (SLACK readable after them) to @o (room for SLACK more). */
static inline void copy_short(char *o, const char *s, size_t n)
{
	if (n > 32) {
		memcpy(o, s, n);
		return;
	}
	memcpy(o, s, 16);
	memcpy(o + 16, s + 16, 16);
}

/*
 * Append @r's JSON object (no '\n', no NUL) to @w, with room for 2 more
 * bytes after it.  Plain strings and numbers are written into the room
 * reserved up front; other strings and json-c values by the writers that
 * grow @w themselves (o is then taken again).
 */
static void put_json_record(struct tk_recw *r, struct tk_jsonw *w)
{
	char *o = or_abort(tk_jsonw_room(w, json_bound(r)));

	for (size_t i = 0; i < r->nf; i++) {
		const struct field *f = &r->f[i];
		size_t klen = f->text - f->json, n = f->v.s.len;
		const char *s = f->kind == K_STR ? str_of(r, f) : NULL;

		*o++ = i ? ',' : '{';
		copy_short(o, r->shape.p + f->json, klen);
		o += klen;
		if (s && n < 65536 && plain(s, n)) {
			*o++ = '"';
			copy_short(o, s, n);
			o += n;
			*o++ = '"';
		} else if (s || f->kind == K_OBJ) {
			w->len = (size_t)(o - w->p);
			if (s)
				put_str(w, s, n);
			else
				ok_or_abort(tk_jsonw_append(w, f->v.o));
			/* what they wrote may exceed its share: the bound again from here */
			o = or_abort(tk_jsonw_room(w, json_bound(r)));
		} else {
			o += fmt_scalar(o, f);
		}
	}
	*o++ = '}';
	w->len = (size_t)(o - w->p);
}

/* The shape is what this refill's calls made: drop what they no longer name. */
static void end_refill(struct tk_recw *r)
{
	if (r->cursor < r->ncall)
		cut_shape(r, r->cursor);
}

const char *tk_recw_json_line(struct tk_recw *r, size_t *len)
{
	struct tk_jsonw *w = &r->out;

	end_refill(r);
	w->len = 0;
	put_json_record(r, w);
	w->p[w->len] = '\0';   /* NUL-terminated, not counted */
	*len = w->len;
	return w->p;
}

/* --- text ---------------------------------------------------------------- */

/* tk_escape_text() of @s appended to @w. */
static void put_text_escaped(struct tk_jsonw *w, const char *s)
{
	size_t have = w->cap - w->len, need = tk_escape_text(w->p + w->len, have, s);

	if (need >= have) {
		or_abort(tk_jsonw_room(w, need + 1));
		tk_escape_text(w->p + w->len, need + 1, s);
	}
	w->len += need;
}

static void put_text_str(struct tk_jsonw *w, const char *s)
{
	char stack[1024], *heap;

	put_text_escaped(w, tk_record_str_clean(s, stack, sizeof(stack), &heap));
	free(heap);
}

static void put_text_value(struct tk_recw *r, struct tk_jsonw *w, const struct field *f)
{
	char *o = or_abort(tk_jsonw_room(w, 64));
	size_t at;

	switch (f->kind) {
	case K_STR:
		put_text_str(w, str_of(r, f));
		return;
	case K_OBJ:   /* an array: compact JSON, escaped as a text value */
		at = r->vals.len;
		ok_or_abort(tk_jsonw_append(&r->vals, f->v.o));
		ok_or_abort(tk_jsonw_raw(&r->vals, "", 1));
		put_text_escaped(w, r->vals.p + at);
		r->vals.len = at;
		return;
	case K_DBL:
		w->len += tk_fmt_text_num(o, 64, f->v.d);
		return;
	default:
		w->len += fmt_scalar(o, f);
	}
}

/* "type key=value ...\n": output.c's text record. */
static void render_text(FILE *out, void *ctx)
{
	struct tk_recw *r = ctx;
	struct tk_jsonw *w = &r->out;
	char stack[1024], *heap;
	const char *type = tk_record_str_clean(str_of(r, &r->f[1]), stack, sizeof(stack), &heap);

	w->len = 0;
	ok_or_abort(tk_jsonw_raw(w, type, strlen(type)));
	ok_or_abort(tk_jsonw_raw(w, " ", 1));
	free(heap);
	for (size_t i = 3; i < r->nf; i++) {
		const struct field *f = &r->f[i];
		size_t tlen = f->end - f->text;
		char *o = or_abort(tk_jsonw_room(w, tlen + 1));

		if (i > 3)
			*o++ = ' ';
		memcpy(o, r->shape.p + f->text, tlen);
		w->len += tlen + (i > 3);
		put_text_value(r, w, f);
	}
	ok_or_abort(tk_jsonw_raw(w, "\n", 1));
	fwrite(w->p, 1, w->len, out);
}

/* --- Prometheus ---------------------------------------------------------- */

/* The families of the record's numbers, first-named order, one per name. */
static void prom_families(struct tk_recw *r, const char *tool)
{
	char path[TK_PROM_NAME_MAX];

	r->pf = or_abort(calloc(r->nf ? r->nf : 1, sizeof(*r->pf)));
	r->npf = 0;
	for (size_t i = 3; i < r->nf; i++) {
		const struct field *f = &r->f[i];
		struct pfam *p = &r->pf[r->npf];
		size_t j;

		if (f->kind == K_STR || f->kind == K_OBJ)
			continue;
		snprintf(path, sizeof(path), "%s", key_of(r, f));
		tk_prom_family_of(&p->fam, tool, path, f->kind == K_BOOL);
		for (j = 0; j < r->npf && strcmp(r->pf[j].fam.name, p->fam.name); j++)
			;
		r->pf[j].field = (uint32_t)i;   /* a family named twice takes the last value */
		r->pf[j].scale = p->fam.scale;
		if (j == r->npf)
			r->npf++;
	}
}

static double num_of(const struct field *f)
{
	switch (f->kind) {
	case K_U64:
		return (double)f->v.u;
	case K_I64:
		return (double)f->v.i;
	case K_DBL:
		return f->v.d;
	default:
		return f->v.b;
	}
}

/* A sample record as tk_prom_emit() writes it: one exposition of its own. */
static void render_prom(FILE *out, void *ctx)
{
	struct tk_recw *r = ctx;
	struct tk_kv kv[15];
	char *heap[15];
	char tstack[256], *theap;
	const char *tool = tk_record_str_clean(str_of(r, &r->f[0]), tstack, sizeof(tstack), &theap);
	size_t nkv = 0;

	if (!r->pf)
		prom_families(r, tool);
	for (size_t i = 3; i < r->nf && nkv < 15; i++) {
		if (r->f[i].kind != K_STR)
			continue;
		kv[nkv].key = key_of(r, &r->f[i]);
		kv[nkv].val = tk_record_str_clean(str_of(r, &r->f[i]), NULL, 0, &heap[nkv]);
		nkv++;
	}
	tk_prom_end(out);
	tk_prom_reset();
	tk_prom_build_info(out, tool);
	for (size_t i = 0; i < r->npf; i++) {
		const struct pfam *p = &r->pf[i];
		struct tk_prom_family own = { .scale = p->scale };

		tk_prom_write(out, p->fam.name, p->fam.help, p->fam.type, kv, nkv,
			      tk_prom_scale(&own, num_of(&r->f[p->field])));
	}
	for (size_t i = 0; i < nkv; i++)
		free(heap[i]);
	free(theap);
}

/* --- emitting ------------------------------------------------------------ */

/* @r's fields from @first on into @rec, by tk_rec_* as the payload would be. */
static void fill_json(const struct tk_recw *r, struct json_object *rec, size_t first)
{
	for (size_t i = first; i < r->nf; i++) {
		const struct field *f = &r->f[i];
		const char *key = key_of(r, f);

		switch (f->kind) {
		case K_STR:
			tk_rec_str(rec, key, str_of(r, f));
			break;
		case K_U64:
			tk_rec_u64(rec, key, f->v.u);
			break;
		case K_I64:
			tk_rec_i64(rec, key, f->v.i);
			break;
		case K_DBL:
			tk_rec_dbl(rec, key, f->v.d);
			break;
		case K_BOOL:
			tk_rec_bool(rec, key, f->v.b);
			break;
		default:
			json_object_object_add(rec, key, json_object_get(f->v.o));
		}
	}
}

struct json_object *tk_recw_to_json(struct tk_recw *r, struct json_object *reuse)
{
	struct json_object *rec = reuse;

	end_refill(r);
	if (rec && rec == r->json && r->gen == r->json_gen && !r->renamed && r->f[2].kind == K_U64) {
		/* the same shape: json-c's fields are ours, in order, set in place */
		tk_record_restamp(rec);
		fill_json(r, rec, 3);
		tk_rec_u64(rec, K_TS, r->f[2].v.u);
	} else {
		json_object_put(reuse);
		rec = tk_record_new(r->type);
		fill_json(r, rec, 0);
	}
	r->json = rec;
	r->json_gen = r->gen;
	return rec;
}

/* Only json-c knows this record's text or exposition (recw.h). */
static bool needs_json_c(const struct tk_recw *r)
{
	if (tk_output_observed())
		return true;
	if (tk_out.fmt == TK_FMT_JSON)
		return false;
	if (r->odd || r->renamed)
		return true;
	return tk_out.fmt == TK_FMT_PROM && strcmp(str_of(r, &r->f[1]), "sample");
}

int tk_recw_emit(struct tk_recw *r)
{
	struct tk_jsonw *w;

	end_refill(r);
	if (needs_json_c(r)) {
		struct json_object *rec = tk_recw_to_json(r, NULL);

		r->json = NULL;   /* tk_emit() releases it */
		return tk_emit(rec);
	}
	if (tk_out.fmt != TK_FMT_JSON)
		return tk_emit_render(tk_out.fmt == TK_FMT_PROM ? render_prom : render_text, r);
	/* straight into the held lines (output.h): no copy per record */
	w = tk_emit_json_begin();
	if (w) {
		put_json_record(r, w);
		w->p[w->len++] = '\n';
	}
	return tk_emit_json_end();
}
