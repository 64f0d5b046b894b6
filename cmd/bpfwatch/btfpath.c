// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Field paths through map BTF: DATASEC vars, structs/unions, arrays, bitfields. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/btf.h>

#include "array.h"
#include "bpfwatch.h"

/* Skip typedef/const/volatile/restrict/type_tag; returns the id reached. */
static uint32_t strip(const struct btf *btf, uint32_t id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	for (int depth = 0; t && depth < 32; depth++) {
		if (!btf_is_mod(t) && !btf_is_typedef(t))
			break;
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	return id;
}

/* A short human name of type @id ("struct tw_lat", "pointer", "array"). */
static void type_desc(const struct btf *btf, uint32_t id, char *buf, size_t size)
{
	static const char *const kinds[] = {
		"void", "int", "pointer", "array", "struct", "union", "enum", "forward",
		"typedef", "volatile", "const", "restrict", "function", "function prototype",
		"variable", "section", "float", "decl tag", "type tag", "enum64",
	};
	const struct btf_type *t = btf__type_by_id(btf, id);
	unsigned k = t ? btf_kind(t) : 0;
	const char *name = t ? btf__name_by_offset(btf, t->name_off) : NULL;

	snprintf(buf, size, "%s%s%s", k < TK_ARRAY_SIZE(kinds) ? kinds[k] : "type?",
		 name && *name ? " " : "", name && *name ? name : "");
}

/* A struct, union or DATASEC: a value whose first segment names a member. */
static bool is_record(const struct btf_type *t)
{
	return t && (btf_is_datasec(t) || btf_is_composite(t));
}

/* Fill @loc for a readable integer type, else -EINVAL. */
static int leaf(const struct btf *btf, uint32_t id, uint64_t bitoff, uint32_t bitsz,
		struct bw_loc *loc)
{
	const struct btf_type *t = btf__type_by_id(btf, strip(btf, id));
	const char *name;
	uint32_t size, shift;
	bool sgn, is_bool = false;

	if (!t)
		return -EINVAL;
	if (btf_is_int(t)) {
		uint8_t enc = btf_int_encoding(t);

		size = t->size;
		sgn = enc & BTF_INT_SIGNED;
		is_bool = enc & BTF_INT_BOOL;
		if (!bitsz && btf_int_bits(t) != size * 8) {
			bitsz = btf_int_bits(t);
			bitoff += btf_int_offset(t);
		}
	} else if (btf_is_enum(t) || btf_is_enum64(t)) {
		size = t->size;
		sgn = btf_kflag(t);
	} else {
		return -EINVAL;
	}
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return -EINVAL;
	if (!bitsz && bitoff % 8)
		bitsz = size * 8;
	shift = bitoff % 8;
	if (bitsz && shift + bitsz > 64)
		return -EINVAL;
	loc->off = (uint32_t)(bitoff / 8);
	loc->is_signed = sgn;
	loc->shift = (uint8_t)shift;
	loc->bits = (uint8_t)(bitsz ? bitsz : size * 8);
	loc->nbytes = (uint8_t)(bitsz ? (shift + bitsz + 7) / 8 : size);
	name = btf__name_by_offset(btf, t->name_off);
	if (is_bool)
		snprintf(loc->type, sizeof(loc->type), "bool");
	else if (!btf_is_int(t))
		snprintf(loc->type, sizeof(loc->type), "enum %s", name && *name ? name : "(anon)");
	else
		snprintf(loc->type, sizeof(loc->type), "%c%u", sgn ? 's' : 'u', size * 8);
	if (bitsz && bitsz != size * 8) {
		size_t n = strlen(loc->type);

		snprintf(loc->type + n, sizeof(loc->type) - n, ":%u", bitsz);
	}
	return 0;
}

int bw_int_type(const struct btf *btf, uint32_t id, char *type, size_t size)
{
	struct bw_loc loc;

	if (!leaf(btf, id, 0, 0, &loc)) {
		snprintf(type, size, "%s", loc.type);
		return 0;
	}
	type_desc(btf, strip(btf, id), type, size);
	return -EINVAL;
}

/* Find member @name in struct/union @id, looking into anonymous members. */
static int find_member(const struct btf *btf, uint32_t id, const char *name,
		       uint64_t *bitoff, uint32_t *bitsz, uint32_t *mtype)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	const struct btf_member *m = btf_members(t);

	for (unsigned i = 0; i < btf_vlen(t); i++, m++) {
		const char *mn = btf__name_by_offset(btf, m->name_off);
		uint32_t sub = strip(btf, m->type);
		const struct btf_type *st = btf__type_by_id(btf, sub);
		uint64_t off = btf_member_bit_offset(t, i);

		if (mn && !strcmp(mn, name)) {
			*bitoff += off;
			*bitsz = btf_member_bitfield_size(t, i);
			*mtype = m->type;
			return 0;
		}
		if ((!mn || !*mn) && st && btf_is_composite(st)) {
			uint64_t inner = *bitoff + off;

			if (!find_member(btf, sub, name, &inner, bitsz, mtype)) {
				*bitoff = inner;
				return 0;
			}
		}
	}
	return -ENOENT;
}

static int find_var(const struct btf *btf, const struct btf_type *sec, const char *name,
		    uint64_t *bitoff, uint32_t *mtype)
{
	const struct btf_var_secinfo *vs = btf_var_secinfos(sec);

	for (unsigned i = 0; i < btf_vlen(sec); i++, vs++) {
		const struct btf_type *v = btf__type_by_id(btf, vs->type);

		if (v && btf_is_var(v) && !strcmp(btf__name_by_offset(btf, v->name_off), name)) {
			*bitoff += (uint64_t)vs->offset * 8;
			*mtype = v->type;
			return 0;
		}
	}
	return -ENOENT;
}

int bw_resolve(const struct btf *btf, uint32_t type_id, const struct bw_seg *seg,
	       unsigned nseg, uint32_t value_size, struct bw_loc *loc, char *err, size_t errsz)
{
	uint64_t bitoff = 0;
	uint32_t bitsz = 0, cur = type_id;
	char desc[96];
	int ret;

	memset(loc, 0, sizeof(*loc));
	for (unsigned s = 0; s < nseg; s++) {
		uint32_t id = strip(btf, cur);
		const struct btf_type *t = btf__type_by_id(btf, id);

		if (!s && !is_record(t) && !strcmp(seg[0].name, "value")) {
			ret = 0;  /* a u64 or array value: "value" is all of it */
		} else if (t && btf_is_datasec(t)) {
			ret = find_var(btf, t, seg[s].name, &bitoff, &cur);
		} else if (t && btf_is_composite(t)) {
			ret = find_member(btf, id, seg[s].name, &bitoff, &bitsz, &cur);
		} else {
			type_desc(btf, id, desc, sizeof(desc));
			snprintf(err, errsz, "'%s' is inside %s, which has no members%s", seg[s].name,
				 desc, s ? "" : "; the whole value is named 'value'");
			return -EINVAL;
		}
		if (ret) {
			type_desc(btf, id, desc, sizeof(desc));
			snprintf(err, errsz, "%s has no %s '%s'", desc,
				 btf_is_datasec(t) ? "variable" : "member", seg[s].name);
			return -ENOENT;
		}
		for (unsigned k = 0; k < seg[s].nidx; k++) {
			const struct btf_type *at = btf__type_by_id(btf, strip(btf, cur));
			const struct btf_array *a;
			__s64 esz;

			if (!at || !btf_is_array(at)) {
				type_desc(btf, strip(btf, cur), desc, sizeof(desc));
				snprintf(err, errsz, "'%s' is %s, not an array", seg[s].name, desc);
				return -EINVAL;
			}
			a = btf_array(at);
			if (seg[s].idx[k] >= a->nelems) {
				snprintf(err, errsz, "'%s' subscript %u is out of range (array of %u)",
					 seg[s].name, seg[s].idx[k], a->nelems);
				return -ERANGE;
			}
			esz = btf__resolve_size(btf, a->type);
			if (esz < 0)
				return -EINVAL;
			bitoff += (uint64_t)esz * 8 * seg[s].idx[k];
			cur = a->type;
		}
		if (s + 1 < nseg && bitsz) {
			snprintf(err, errsz, "'%s' is a bitfield, which has no members", seg[s].name);
			return -EINVAL;
		}
	}
	if (leaf(btf, cur, bitoff, bitsz, loc)) {
		const struct btf_type *t = btf__type_by_id(btf, strip(btf, cur));

		type_desc(btf, strip(btf, cur), desc, sizeof(desc));
		if (t && btf_is_array(t))
			snprintf(err, errsz, "field is %s of %u elements; add a subscript [INDEX]",
				 desc, btf_array(t)->nelems);
		else if (t && btf_is_composite(t))
			snprintf(err, errsz, "field is %s, not an integer; name one of its members "
				 "(bpfwatch --list)", desc);
		else
			snprintf(err, errsz, "field is %s; only integers, bools and enums of "
				 "1, 2, 4 or 8 bytes can be read", desc);
		return -EINVAL;
	}
	if ((uint64_t)loc->off + loc->nbytes > value_size) {
		snprintf(err, errsz, "field ends at byte %u, past the %u-byte map value",
			 loc->off + loc->nbytes, value_size);
		return -ERANGE;
	}
	return 0;
}

/* value+OFF/TYPE, or the whole value of a map without BTF. */
static int raw_loc(uint32_t off, unsigned size, bool sgn, uint32_t value_size,
		   struct bw_loc *loc, char *err, size_t errsz)
{
	memset(loc, 0, sizeof(*loc));
	if ((uint64_t)off + size > value_size) {
		snprintf(err, errsz, "value+%u/%c%u ends at byte %llu, past the %u-byte map value",
			 off, sgn ? 's' : 'u', size * 8, (unsigned long long)off + size, value_size);
		return -ERANGE;
	}
	loc->off = off;
	loc->nbytes = (uint8_t)size;
	loc->bits = (uint8_t)(size * 8);
	loc->is_signed = sgn;
	snprintf(loc->type, sizeof(loc->type), "%c%u", sgn ? 's' : 'u', size * 8);
	return 0;
}

int bw_locate(const struct btf *btf, uint32_t type_id, const struct bw_spec *spec,
	      uint32_t value_size, struct bw_loc *loc, char *err, size_t errsz)
{
	if (spec->raw)
		return raw_loc(spec->raw_off, spec->raw_size, spec->raw_signed, value_size, loc,
			       err, errsz);
	if (btf && type_id)
		return bw_resolve(btf, type_id, spec->seg, spec->nseg, value_size, loc, err, errsz);
	memset(loc, 0, sizeof(*loc));
	if (spec->nseg != 1 || spec->seg[0].nidx || strcmp(spec->seg[0].name, "value")) {
		snprintf(err, errsz, "the map has no BTF for its value; FIELD is 'value' (all of "
			 "it) or value+OFF/TYPE");
		return -EINVAL;
	}
	if (value_size != 1 && value_size != 2 && value_size != 4 && value_size != 8) {
		snprintf(err, errsz, "the map has no BTF and a %u-byte value; read inside it with "
			 "value+OFF/TYPE (e.g. value+0/u64)", value_size);
		return -EINVAL;
	}
	return raw_loc(0, value_size, false, value_size, loc, err, errsz);
}

struct bw_num bw_read(const volatile uint8_t *base, const struct bw_loc *loc)
{
	const volatile uint8_t *p = base + loc->off;
	struct bw_num n = { .sgn = loc->is_signed };
	uint64_t v = 0;

	if (loc->shift == 0 && loc->bits == loc->nbytes * 8 && !((uintptr_t)p % loc->nbytes)) {
		switch (loc->nbytes) {
		case 1: v = *(const volatile uint8_t *)p; break;
		case 2: v = *(const volatile uint16_t *)p; break;
		case 4: v = *(const volatile uint32_t *)p; break;
		default: v = *(const volatile uint64_t *)p; break;
		}
	} else {
		for (unsigned i = 0; i < loc->nbytes; i++)
			v |= (uint64_t)p[i] << (8 * i);
		v >>= loc->shift;
	}
	if (loc->bits < 64)
		v &= (1ULL << loc->bits) - 1;
	if (loc->is_signed && loc->bits < 64 && (v >> (loc->bits - 1)) & 1)
		v |= ~0ULL << loc->bits;
	n.u = v;
	return n;
}

double bw_num_dbl(struct bw_num n)
{
	return n.sgn ? (double)n.i : (double)n.u;
}

/* --- layout listing ---------------------------------------------------- */

struct walk {
	const struct btf *btf;
	bw_leaf_cb cb;
	void *ctx;
	int depth;
};

static void walk_type(struct walk *w, uint32_t id, const char *path, uint64_t bitoff,
		      uint32_t bitsz)
{
	const struct btf_type *t = btf__type_by_id(w->btf, strip(w->btf, id));
	struct bw_loc loc;
	char sub[512];

	if (!t || w->depth > 24)
		return;
	if (!leaf(w->btf, id, bitoff, bitsz, &loc)) {
		w->cb(path, &loc, w->ctx);
		return;
	}
	w->depth++;
	if (btf_is_datasec(t)) {
		const struct btf_var_secinfo *vs = btf_var_secinfos(t);

		for (unsigned i = 0; i < btf_vlen(t); i++, vs++) {
			const struct btf_type *v = btf__type_by_id(w->btf, vs->type);

			if (!v || !btf_is_var(v))
				continue;
			walk_type(w, v->type, btf__name_by_offset(w->btf, v->name_off),
				  bitoff + (uint64_t)vs->offset * 8, 0);
		}
	} else if (btf_is_composite(t)) {
		const struct btf_member *m = btf_members(t);

		for (unsigned i = 0; i < btf_vlen(t); i++, m++) {
			const char *mn = btf__name_by_offset(w->btf, m->name_off);

			if (mn && *mn)
				snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", mn);
			else
				snprintf(sub, sizeof(sub), "%s", path);
			walk_type(w, m->type, sub, bitoff + btf_member_bit_offset(t, i),
				  btf_member_bitfield_size(t, i));
		}
	} else if (btf_is_array(t)) {
		const struct btf_array *a = btf_array(t);
		__s64 esz = btf__resolve_size(w->btf, a->type);

		for (unsigned i = 0; esz >= 0 && i < a->nelems && i < 64; i++) {
			snprintf(sub, sizeof(sub), "%s[%u]", path, i);
			walk_type(w, a->type, sub, bitoff + (uint64_t)esz * 8 * i, 0);
		}
	}
	w->depth--;
}

int bw_layout_walk(const struct btf *btf, uint32_t type_id, bw_leaf_cb cb, void *ctx)
{
	struct walk w = { .btf = btf, .cb = cb, .ctx = ctx };
	const struct btf_type *t = btf__type_by_id(btf, strip(btf, type_id));

	walk_type(&w, type_id, is_record(t) ? "" : "value", 0, 0);
	return 0;
}
