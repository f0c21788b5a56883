/*
 * detect.c - see detect.h.
 */
#include <string.h>

#include "logs/detect.h"

int
detect_input(struct reader *r, struct timestamp_ctx *tc, enum format_id *out, char *err)
{
	const char *data;
	size_t len;

	*out = FORMAT_GENERIC;
	if (reader_peek(r, 64 * 1024, &data, &len, err) < 0)
		return -1;
	*out = detect_data(tc, data, len);
	return 0;
}

/* Up to DETECT_LINES whole lines of data[0, len); returns how many. */
static size_t
split(const char *data, size_t len, const char **lines, size_t *lens)
{
	const char *p, *end;
	size_t n = 0;

	for (p = data, end = data + len; p < end && n < DETECT_LINES;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (nl == NULL && n > 0)
			break;	/* a partial last line would only confuse the vote */
		lines[n] = p;
		lens[n] = (size_t)((nl ? nl : end) - p);
		if (lens[n] > 0 && p[lens[n] - 1] == '\r')
			lens[n]--;
		n++;
		p = nl ? nl + 1 : end;
	}
	return n;
}

enum format_id
detect_data(struct timestamp_ctx *tc, const char *data, size_t len)
{
	const char *lines[DETECT_LINES];
	size_t lens[DETECT_LINES], n = split(data, len, lines, lens);

	return format_detect(tc, lines, lens, n);
}

int
detect_int_secs(struct timestamp_ctx *tc, enum format_id f, const char *data, size_t len)
{
	const char *lines[DETECT_LINES];
	size_t lens[DETECT_LINES], n = split(data, len, lines, lens);

	return format_int_secs(f, tc, lines, lens, n);
}

int
detect_access(struct timestamp_ctx *tc, enum format_id f, const char *data, size_t len)
{
	const char *lines[DETECT_LINES];
	size_t lens[DETECT_LINES], n, nonempty = 0, access = 0;
	struct buf scratch = BUF_INIT(1 << 20);
	struct format_rec r;

	if (f == FORMAT_COMBINED || f == FORMAT_COMMON)
		return 1;
	if (f != FORMAT_JSONL)
		return 0;
	n = split(data, len, lines, lens);
	for (size_t i = 0; i < n; i++) {
		if (lens[i] == 0)
			continue;
		nonempty++;
		if (format_parse(f, tc, lines[i], lens[i], &r, &scratch) == 0 && r.access)
			access++;
	}
	buf_release(&scratch);
	return nonempty > 0 && access * 10 >= nonempty * 6;
}
