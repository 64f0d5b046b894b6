// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzz bpfwatch's BTF dot-path resolution (cmd/bpfwatch/btfpath.c) against a
 * fixed blob: the BTF of the bpfwatch test object (fuzz/bpfwatch_btf.h: a
 * scheduler-like .bss with nested structs, unions, arrays, bitfields, enums,
 * an anonymous member, plus .data/.rodata/.maps sections).
 *
 * Input: byte 0 picks the root type (every DATASEC/struct/union, and the
 * raw type id space), bytes 1-2 the map value size, the rest is FIELD.
 * FIELD goes through bw_spec_parse like a real SPEC; when the parser rejects
 * it, the raw bytes are split on '.' into segments (names the parser would
 * never let through: resolution must still hold).
 *
 * Invariants: no crash or out-of-bounds read; a resolved location lies inside
 * the value (bw_read on an exactly sized buffer), its width/shift are sane;
 * a failure always explains itself; and every leaf bw_layout_walk lists for
 * a root resolves back to the same location (non-struct roots: "value...").
 * Parsed specs also go through bw_locate, with the BTF and as for a map
 * without BTF (value, value+OFF/TYPE).
 */
// FUZZ_SOURCES: cmd/bpfwatch/spec.c cmd/bpfwatch/btfpath.c
#include <errno.h>
#include <stdint.h>
#include <bpf/btf.h>

#include "fuzz.h"
#include "bpfwatch_btf.h"
#include "../cmd/bpfwatch/bpfwatch.h"

#define MAX_ROOTS 64

static struct btf *btf;
static uint32_t roots[MAX_ROOTS], nroots, ntypes;

static void check_loc(const struct bw_loc *loc, uint32_t value_size)
{
	uint8_t *val;
	struct bw_num n;

	FUZZ_CHECK(loc->nbytes >= 1 && loc->nbytes <= 8);
	FUZZ_CHECK(loc->bits >= 1 && loc->bits <= 64 && loc->shift < 8);
	FUZZ_CHECK(loc->shift + loc->bits <= loc->nbytes * 8u);
	FUZZ_CHECK((uint64_t)loc->off + loc->nbytes <= value_size);
	FUZZ_CHECK(memchr(loc->type, '\0', sizeof(loc->type)));
	val = malloc(value_size ? value_size : 1);
	FUZZ_CHECK(val);
	memset(val, 0xff, value_size);
	n = bw_read(val, loc);
	if (loc->is_signed)
		FUZZ_CHECK(n.i == -1);
	else
		FUZZ_CHECK(n.u == (loc->bits == 64 ? UINT64_MAX : (1ULL << loc->bits) - 1));
	free(val);
}

struct walk_ctx {
	uint32_t root;
	unsigned leaves;
};

/* Every listed leaf resolves back to where the walk found it. */
static void walk_leaf(const char *path, const struct bw_loc *loc, void *ctx)
{
	struct walk_ctx *w = ctx;
	char spec[BW_SPEC_MAX + 64], err[256];
	struct bw_spec s;
	struct bw_loc got;
	const char *why;

	w->leaves++;
	if (snprintf(spec, sizeof(spec), "m:%s:scalar:l", path) >= BW_SPEC_MAX)
		return;
	FUZZ_CHECK(bw_spec_parse(spec, &s, &why) == 0);
	FUZZ_CHECK(bw_resolve(btf, w->root, s.seg, s.nseg, UINT32_MAX, &got, err, sizeof(err)) == 0);
	FUZZ_CHECK(got.off == loc->off && got.nbytes == loc->nbytes && got.shift == loc->shift &&
		   got.bits == loc->bits && got.is_signed == loc->is_signed);
	FUZZ_CHECK(!strcmp(got.type, loc->type));
}

static void setup(void)
{
	unsigned total = 0, values = 0;

	btf = btf__new(bpfwatch_btf, bpfwatch_btf_len);
	FUZZ_CHECK(btf);
	ntypes = btf__type_cnt(btf);
	for (uint32_t id = 1; id < ntypes && nroots < MAX_ROOTS; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		struct walk_ctx w = { .root = id };

		if (btf_is_int(t) || btf_is_array(t) || btf_is_typedef(t)) {
			bw_layout_walk(btf, id, walk_leaf, &w);  /* leaves named "value..." */
			values += w.leaves;
			continue;
		}
		if (!btf_is_datasec(t) && !btf_is_composite(t))
			continue;
		roots[nroots++] = id;
		bw_layout_walk(btf, id, walk_leaf, &w);
		total += w.leaves;
	}
	FUZZ_CHECK(nroots >= 5 && total >= 40 && values >= 5);
}

/* Split raw bytes on '.' into segments the spec parser would have refused. */
static unsigned raw_segs(const char *s, struct bw_seg *seg)
{
	unsigned n = 0;

	while (n < BW_SEG_MAX) {
		const char *dot = strchr(s, '.');
		size_t len = dot ? (size_t)(dot - s) : strlen(s);

		if (len >= sizeof(seg[n].name))
			len = sizeof(seg[n].name) - 1;
		memcpy(seg[n].name, s, len);
		seg[n].name[len] = '\0';
		seg[n].nidx = len ? (unsigned char)s[0] % (BW_IDX_MAX + 1) : 0;
		for (unsigned k = 0; k < seg[n].nidx; k++)
			seg[n].idx[k] = k < len ? (unsigned char)s[k] % 10 : UINT32_MAX;
		n++;
		if (!dot)
			break;
		s = dot + 1;
	}
	return n;
}

/* bw_locate with the BTF and as for a map without BTF: sane or explained. */
static void locate(uint32_t root, const struct bw_spec *spec, uint32_t value_size)
{
	const struct btf *b[2] = { btf, NULL };
	char err[256];
	struct bw_loc loc;

	for (unsigned i = 0; i < 2; i++) {
		int ret;

		memset(err, 0, sizeof(err));
		ret = bw_locate(b[i], b[i] ? root : 0, spec, value_size, &loc, err, sizeof(err));
		if (ret == 0)
			check_loc(&loc, value_size);
		else
			FUZZ_CHECK((ret == -ENOENT || ret == -EINVAL || ret == -ERANGE) && err[0]);
		if (ret == 0 && !b[i])
			FUZZ_CHECK(spec->raw || (loc.off == 0 && loc.nbytes == value_size));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bw_spec spec;
	struct bw_seg seg[BW_SEG_MAX];
	const struct bw_seg *sp = seg;
	char text[BW_SPEC_MAX + 64], err[256], *field;
	struct bw_loc loc;
	uint32_t root, value_size;
	const char *why;
	unsigned nseg;
	int ret;

	if (!btf)
		setup();
	if (size < 3)
		return 0;
	root = data[0] < 2 * nroots ? roots[data[0] % nroots] : data[0] % (ntypes + 4);
	value_size = data[1] | data[2] << 8;
	field = fuzz_cstr(data + 3, size - 3);
	if (!field)
		return 0;
	if (snprintf(text, sizeof(text), "m:%s:scalar:l", field) < BW_SPEC_MAX &&
	    !bw_spec_parse(text, &spec, &why)) {
		sp = spec.seg;
		nseg = spec.nseg;
		locate(root, &spec, value_size);
	} else {
		nseg = raw_segs(field, seg);
	}
	memset(err, 0, sizeof(err));
	ret = bw_resolve(btf, root, sp, nseg, value_size, &loc, err, sizeof(err));
	if (ret == 0)
		check_loc(&loc, value_size);
	else
		FUZZ_CHECK((ret == -ENOENT || ret == -EINVAL || ret == -ERANGE) && err[0]);
	free(field);
	return 0;
}
