/*
 * header.c - see header.h.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/err.h"
#include "logs/header.h"

#define HEADER_MAX_FIELDS 32

enum role { ROLE_OTHER, ROLE_CONTENT, ROLE_DATE, ROLE_TIME, ROLE_MONTH, ROLE_DAY, ROLE_YEAR,
	ROLE_EPOCH, ROLE_LEVEL };

struct header {
	pcre2_code *re;
	int nfields;
	enum role roles[HEADER_MAX_FIELDS];
	int group[HEADER_MAX_FIELDS];		/* capture group number of each field */
	int jit;
};

struct header_match {
	pcre2_match_data *md;
};

static enum role
role_of(const char *name, size_t n)
{
	static const struct { const char *name; enum role r; } map[] = {
		{ "Content", ROLE_CONTENT }, { "Date", ROLE_DATE }, { "Time", ROLE_TIME },
		{ "Month", ROLE_MONTH }, { "Day", ROLE_DAY }, { "Year", ROLE_YEAR },
		{ "Timestamp", ROLE_EPOCH }, { "Level", ROLE_LEVEL },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strlen(map[i].name) == n && strncasecmp(map[i].name, name, n) == 0)
			return map[i].r;
	return ROLE_OTHER;
}

header *
header_compile(const char *fmt, char *err)
{
	struct buf pat = BUF_INIT(64 * 1024);
	header *h = calloc(1, sizeof(*h));
	int have_content = 0, ec;
	PCRE2_SIZE eoff;
	const char *p = fmt;

	if (h == NULL) {
		err_set(err, "out of memory");
		return NULL;
	}
	buf_puts(&pat, "^");
	while (*p != '\0') {
		const char *close;

		if (*p == '<' && (close = strchr(p, '>')) != NULL && close > p + 1 &&
		    strspn(p + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") ==
		    (size_t)(close - p - 1)) {
			if (h->nfields == HEADER_MAX_FIELDS) {
				err_set(err, "--header: more than %d fields", HEADER_MAX_FIELDS);
				goto fail;
			}
			h->roles[h->nfields] = role_of(p + 1, (size_t)(close - p - 1));
			if (h->roles[h->nfields] == ROLE_CONTENT)
				have_content = 1;
			h->nfields++;
			buf_printf(&pat, "(?<f%d>.*?)", h->nfields - 1);
			p = close + 1;
		} else if (*p == ' ') {
			while (*p == ' ')
				p++;
			buf_puts(&pat, "\\s+");
		} else {
			buf_putc(&pat, *p++);
		}
	}
	if (buf_puts(&pat, "$") < 0) {
		err_set(err, "--header: format is too long");
		goto fail;
	}
	if (!have_content) {
		err_set(err, "--header '%s' has no <Content> field", fmt);
		goto fail;
	}
	h->re = pcre2_compile((PCRE2_SPTR)pat.data, pat.len, PCRE2_DOTALL, &ec, &eoff, NULL);
	if (h->re == NULL) {
		PCRE2_UCHAR msg[128];

		pcre2_get_error_message(ec, msg, sizeof(msg));
		err_set(err, "--header '%s': %s at offset %zu of /%s/", fmt, (char *)msg, (size_t)eoff,
		    pat.data);
		goto fail;
	}
	for (int i = 0; i < h->nfields; i++) {
		char name[16];

		snprintf(name, sizeof(name), "f%d", i);
		h->group[i] = pcre2_substring_number_from_name(h->re, (PCRE2_SPTR)name);
	}
	h->jit = pcre2_jit_compile(h->re, PCRE2_JIT_COMPLETE) == 0;
	buf_release(&pat);
	return h;
fail:
	buf_release(&pat);
	header_free(h);
	return NULL;
}

void
header_free(header *h)
{
	if (h == NULL)
		return;
	pcre2_code_free(h->re);
	free(h);
}

header_match *
header_match_new(const header *h)
{
	header_match *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->md = pcre2_match_data_create_from_pattern(h->re, NULL);
	if (m->md == NULL) {
		free(m);
		return NULL;
	}
	return m;
}

void
header_match_free(header_match *m)
{
	if (m == NULL)
		return;
	pcre2_match_data_free(m->md);
	free(m);
}

/* Build "YYYY Mon DD HH:MM:SS"-like text from the time fields and parse it. */
static int64_t
field_time(struct timestamp_ctx *tc, const char **fp, size_t *fl, struct buf *s)
{
	int64_t ms = TIMESTAMP_NONE;

	buf_reset(s);
	/* Loghub names the day "Date" after a Month, and the month "Date" before a Day. */
	if (fp[ROLE_MONTH] != NULL && fp[ROLE_DAY] == NULL && fp[ROLE_DATE] != NULL) {
		fp[ROLE_DAY] = fp[ROLE_DATE];
		fl[ROLE_DAY] = fl[ROLE_DATE];
	} else if (fp[ROLE_MONTH] == NULL && fp[ROLE_DAY] != NULL && fp[ROLE_DATE] != NULL &&
	    fl[ROLE_DATE] == 3 && timestamp_month(fp[ROLE_DATE]) != 0) {
		fp[ROLE_MONTH] = fp[ROLE_DATE];
		fl[ROLE_MONTH] = fl[ROLE_DATE];
	}
	if (fp[ROLE_MONTH] != NULL && fp[ROLE_DAY] != NULL) {
		buf_append(s, fp[ROLE_MONTH], fl[ROLE_MONTH]);
		buf_putc(s, ' ');
		buf_append(s, fp[ROLE_DAY], fl[ROLE_DAY]);
		if (fp[ROLE_TIME] != NULL) {
			buf_putc(s, ' ');
			buf_append(s, fp[ROLE_TIME], fl[ROLE_TIME]);
		}
		if (fp[ROLE_YEAR] != NULL) {
			buf_putc(s, ' ');
			buf_append(s, fp[ROLE_YEAR], fl[ROLE_YEAR]);
		}
	} else if (fp[ROLE_DATE] != NULL) {
		buf_append(s, fp[ROLE_DATE], fl[ROLE_DATE]);
		if (fp[ROLE_TIME] != NULL) {
			buf_putc(s, ' ');
			buf_append(s, fp[ROLE_TIME], fl[ROLE_TIME]);
		}
	} else if (fp[ROLE_TIME] != NULL) {
		buf_append(s, fp[ROLE_TIME], fl[ROLE_TIME]);
	}
	if (s->len > 0 && timestamp_parse(tc, s->data, s->len, &ms) > 0)
		return ms;
	if (fp[ROLE_EPOCH] != NULL && timestamp_parse(tc, fp[ROLE_EPOCH], fl[ROLE_EPOCH], &ms) > 0)
		return ms;
	return TIMESTAMP_NONE;
}

int
header_parse(const header *h, header_match *m, struct timestamp_ctx *tc, const char *line,
    size_t len, struct format_rec *r, struct buf *scratch)
{
	const char *fp[ROLE_LEVEL + 1] = { 0 };
	size_t fl[ROLE_LEVEL + 1] = { 0 };
	PCRE2_SIZE *ov;
	int rc;

	/* Loghub strips the line first; so do we (trailing CR and spaces). */
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\r' || line[len - 1] == '\t'))
		len--;
	while (len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	if (h->jit)
		rc = pcre2_jit_match(h->re, (PCRE2_SPTR)line, len, 0, 0, m->md, NULL);
	else
		rc = pcre2_match(h->re, (PCRE2_SPTR)line, len, 0, 0, m->md, NULL);
	if (rc < 0)
		return -1;
	ov = pcre2_get_ovector_pointer(m->md);
	for (int i = 0; i < h->nfields; i++) {
		enum role role = h->roles[i];
		int g = h->group[i];

		if (g <= 0 || g >= rc || ov[2 * g] == PCRE2_UNSET || role == ROLE_OTHER ||
		    fp[role] != NULL)
			continue;
		fp[role] = line + ov[2 * g];
		fl[role] = ov[2 * g + 1] - ov[2 * g];
	}
	format_rec_clear(r, line, len);
	r->msg = fp[ROLE_CONTENT] ? fp[ROLE_CONTENT] : line + len;
	r->msg_len = fl[ROLE_CONTENT];
	r->level = fp[ROLE_LEVEL];
	r->level_len = fl[ROLE_LEVEL];
	r->ts = field_time(tc, fp, fl, scratch);
	return 0;
}
