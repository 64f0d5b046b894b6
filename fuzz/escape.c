// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzz the output escapers and the JSON record path with hostile strings.
 * Invariants: results are NUL-terminated within the buffer at every size,
 * the returned length is the untruncated length, sanitised text is valid
 * UTF-8, text/prom escapes contain no raw control bytes, and a record holding
 * the string serialises to JSON that json-c parses back to the sanitised text.
 */
#include <stdint.h>
#include <json-c/json.h>

#include "array.h"
#include "escape.h"
#include "fuzz.h"
#include "output.h"

typedef size_t (*escaper)(char *, size_t, const char *);

static void check_escaper(escaper fn, const char *s, int no_ctl)
{
	size_t full = fn(NULL, 0, s), sizes[] = { 1, 2, 3, 7, 64 };
	char *buf = malloc(full + 1);

	FUZZ_CHECK(buf);
	FUZZ_CHECK(fn(buf, full + 1, s) == full && strlen(buf) == full);
	if (no_ctl)
		for (const char *p = buf; *p; p++)
			FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
	for (size_t i = 0; i < TK_ARRAY_SIZE(sizes); i++) {
		char small[64];

		FUZZ_CHECK(fn(small, sizes[i], s) == full);
		FUZZ_CHECK(strlen(small) < sizes[i]);
		FUZZ_CHECK(!strncmp(small, buf, strlen(small)));
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), *clean;
	struct json_object *rec, *back;
	size_t n;

	if (!s)
		return 0;
	check_escaper(tk_utf8_sanitize, s, 0);
	check_escaper(tk_escape_text, s, 1);
	check_escaper(tk_escape_visible, s, 1);
	check_escaper(tk_escape_prom_label, s, 0);
	check_escaper(tk_prom_name, s, 1);

	n = tk_utf8_sanitize(NULL, 0, s);
	clean = malloc(n + 1);
	FUZZ_CHECK(clean);
	tk_utf8_sanitize(clean, n + 1, s);
	FUZZ_CHECK(tk_utf8_valid(clean));

	rec = tk_record_new("sample");
	tk_rec_str(rec, "s", s);
	back = json_tokener_parse(json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN));
	FUZZ_CHECK(back);
	if (n < 65535)
		FUZZ_CHECK(!strcmp(json_object_get_string(json_object_object_get(back, "s")), clean));
	json_object_put(back);
	json_object_put(rec);
	free(clean);
	free(s);
	return 0;
}
