/*
 * run_ping.c - see run_ping.h.
 *
 * libcurl is set up lazily, on the first ping, so runs without --ping pay
 * nothing for it. CURLOPT_NOSIGNAL keeps libcurl's timeouts away from
 * signals: the governor takes its signals through a signalfd.
 */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "core/err.h"
#include "run/run_ping.h"

int
run_ping_url(const char *base, enum run_ping_kind kind, char *out, size_t n, char *err)
{
	const char *suffix = kind == RUN_PING_START ? "start" : kind == RUN_PING_FAIL ? "fail" : "";
	const char *query = strchr(base, '?');
	size_t path_len = query ? (size_t)(query - base) : strlen(base);
	int slash = path_len > 0 && base[path_len - 1] == '/';
	int w;

	if (*suffix == '\0')
		w = snprintf(out, n, "%s", base);
	else
		w = snprintf(out, n, "%.*s%s%s%s", (int)path_len, base, slash ? "" : "/", suffix,
		    query ? query : "");
	if (w < 0 || (size_t)w >= n) {
		err_set(err, "ping URL too long");
		return -1;
	}
	return 0;
}

void
run_ping_redact(const char *url, char *out, size_t n)
{
	const char *sep = strstr(url, "://"), *auth, *end, *at, *colon;
	size_t alen;

	if (sep == NULL) {
		snprintf(out, n, "***");
		return;
	}
	auth = sep + 3;
	alen = strcspn(auth, "/?#");
	end = auth + alen;
	at = memchr(auth, '@', alen);
	colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	/* scheme://[user[:***]@]host[:port], then "/" "***" for any path or query */
	if (colon != NULL)
		snprintf(out, n, "%.*s:***%.*s%s", (int)(colon - url), url, (int)(end - at), at,
		    *end != '\0' && strcmp(end, "/") != 0 ? "/***" : end);
	else
		snprintf(out, n, "%.*s%s", (int)(end - url), url,
		    *end != '\0' && strcmp(end, "/") != 0 ? "/***" : end);
}

static const char *
kind_name(enum run_ping_kind kind)
{
	return kind == RUN_PING_START ? "start" : kind == RUN_PING_FAIL ? "fail" : "success";
}

/* The answer's body is not wanted. */
static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

int
run_ping_send(const char *base, enum run_ping_kind kind, const char *body, size_t len,
    int64_t timeout_ms, char *err)
{
	static int curl_ready;
	char url[4096], cerr[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL;
	long code = 0;
	CURLcode rc;
	CURL *c;

	if (run_ping_url(base, kind, url, sizeof(url), err) < 0)
		return -1;
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			err_set(err, "cannot initialise libcurl");
			return -1;
		}
		curl_ready = 1;
	}
	if ((c = curl_easy_init()) == NULL) {
		err_set(err, "cannot initialise libcurl");
		return -1;
	}
	if (body == NULL)
		len = 0;
	if (len > RUN_PING_BODY_MAX) {
		body += len - RUN_PING_BODY_MAX;
		len = RUN_PING_BODY_MAX;
	}
	hdrs = curl_slist_append(hdrs, "Content-Type: text/plain; charset=utf-8");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "brace/" BRACE_VERSION);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
	if (rc != CURLE_OK || code < 200 || code > 299) {
		char shown[512];

		/* The path is the check's secret (a UUID, a ping key): never in a message. */
		run_ping_redact(base, shown, sizeof(shown));
		if (rc != CURLE_OK)
			err_set(err, "ping (%s) to %s: %s", kind_name(kind), shown,
			    cerr[0] ? cerr : curl_easy_strerror(rc));
		else
			err_set(err, "ping (%s) to %s: HTTP status %ld", kind_name(kind), shown, code);
		return -1;
	}
	return 0;
}
