/*
 * pm.c - see pm.h: the helpers every stage of the postmortem shares.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "postmortem/pm.h"

void
pm_note(struct pm_night *n, const char *fmt, ...)
{
	va_list ap;

	if (n->nleft >= PM_MAX_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(n->left_out[n->nleft++], PM_NOTE_LEN, fmt, ap);
	va_end(ap);
}

void
pm_textf(char *out, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, n, fmt, ap);
	va_end(ap);
}

void
pm_drop_events(struct pm_night *n, size_t from)
{
	for (size_t i = from; i < n->nev; i++) {
		struct pm_event *e = &n->ev[i];

		free(e->source);
		free(e->kind);
		free(e->severity);
		free(e->subject);
		free(e->message);
		free(e->details);
	}
	n->nev = from;
}

void
pm_drop_samples(struct pm_night *n, size_t from)
{
	for (size_t i = from; i < n->nsmp; i++) {
		free(n->smp[i].source);
		free(n->smp[i].series);
		free(n->smp[i].labels);
	}
	n->nsmp = from;
}

void
pm_night_release(struct pm_night *n)
{
	pm_drop_events(n, 0);
	free(n->ev); n->ev = NULL;
	pm_drop_samples(n, 0);
	free(n->smp); n->smp = NULL;
	for (size_t i = 0; i < n->nhosts; i++) {
		free(n->hosts[i]); n->hosts[i] = NULL;
	}
	free(n->rows); n->rows = NULL;
	n->nhosts = n->nrows = 0;
}

int
pm_severity(const char *s)
{
	static const char *const names[] = { "debug", "info", "notice", "warning", "error",
	    "critical" };

	for (int i = 0; s != NULL && i < 6; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return 1;
}

int
pm_label(const char *json, const char *key, char *out, size_t n)
{
	size_t kl = strlen(key), o = 0;
	const char *p = json;

	if (json == NULL || n == 0)
		return -1;
	/* Keys are looked for as "key" followed by a colon; values must be strings. */
	while ((p = strchr(p, '"')) != NULL) {
		const char *q = p + 1;

		if (strncmp(q, key, kl) == 0 && q[kl] == '"') {
			q += kl + 1;
			while (*q == ' ')
				q++;
			if (*q == ':') {
				q++;
				while (*q == ' ')
					q++;
				if (*q != '"')
					return -1;
				for (q++; *q != '\0' && *q != '"'; q++) {
					if (*q == '\\' && q[1] != '\0')
						q++;
					if (o + 1 < n)
						out[o++] = *q;
				}
				out[o] = '\0';
				return 0;
			}
		}
		/* Skip this string whole, escapes included. */
		for (q = p + 1; *q != '\0' && *q != '"'; q++)
			if (*q == '\\' && q[1] != '\0')
				q++;
		if (*q == '\0')
			return -1;
		p = q + 1;
	}
	return -1;
}

void
pm_fmt_duration(int64_t ms, char *out, size_t n)
{
	int64_t s;

	if (ms < 0)
		ms = 0;
	s = ms / 1000;
	if (ms < 10000)
		snprintf(out, n, "%.1fs", (double)ms / 1000);
	else if (s < 60)
		snprintf(out, n, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(out, n, "%lldm %02llds", (long long)(s / 60), (long long)(s % 60));
	else
		snprintf(out, n, "%lldh %02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
}

void
pm_fmt_clock(int64_t ms, char *out, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, n, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void
pm_spread(const struct pm_night *n, double *series, int64_t t0, int64_t t1, double count)
{
	double rate;

	if (t1 <= t0)
		return;
	rate = count * 1000.0 / (double)(t1 - t0);
	for (int64_t t = t0 < n->since ? n->since : t0; t < t1 && t < n->until;) {
		int64_t b = (t - n->since) / n->bin_ms, end = n->since + (b + 1) * n->bin_ms;

		if (end > t1)
			end = t1;
		if (isnan(series[b]))
			series[b] = 0;
		series[b] += rate * (double)(end - t) / (double)n->bin_ms;
		t = end;
	}
}
