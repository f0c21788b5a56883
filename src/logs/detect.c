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

enum format_id
detect_data(struct timestamp_ctx *tc, const char *data, size_t len)
{
	const char *lines[DETECT_LINES];
	size_t lens[DETECT_LINES], n = 0;
	const char *p, *end;

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
	return format_detect(tc, lines, lens, n);
}
