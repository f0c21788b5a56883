/*
 * run_ping.c - see run_ping.h.
 *
 * libcurl is loaded and set up lazily, on the first ping, so runs without
 * --ping (and every other command) pay nothing for it. CURLOPT_NOSIGNAL
 * keeps libcurl's timeouts away from signals: the governor takes its
 * signals through a signalfd.
 */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "core/dl.h"
#include "core/err.h"
#include "run/run_ping.h"

/*
 * curl.h makes these two macros (type-checking ones with gcc) that can only
 * wrap a call of the function itself, not of a pointer to it.
 */
#undef curl_easy_setopt
#undef curl_easy_getinfo

/*
 * Every libcurl function this file calls, through a table filled in at the
 * first ping (see core/dl.h): libcurl and the HTTP/2, SSH, LDAP and IDN
 * libraries it brings are not loaded at start.
 */
#define CURL_FUNCS(X) \
	X(curl_easy_cleanup) X(curl_easy_getinfo) X(curl_easy_init) X(curl_easy_perform) \
	X(curl_easy_setopt) X(curl_easy_strerror) X(curl_global_init) X(curl_slist_append) \
	X(curl_slist_free_all)

static struct curl_fns { CURL_FUNCS(DL_FN) } curl;
#define CURL_SYM(fn) DL_SYM(struct curl_fns, fn),
static const struct dl_sym curl_syms[] = { CURL_FUNCS(CURL_SYM) };
static struct dl_lib curl_lib = DL_LIB_INIT("libcurl.so.4", "libcurl4", curl_syms, &curl);

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
	if (dl_load(&curl_lib, err) < 0) {
		err_prefix(err, "ping (%s)", kind_name(kind));
		return -1;
	}
	if (!curl_ready) {
		if (curl.curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			err_set(err, "cannot initialise libcurl");
			return -1;
		}
		curl_ready = 1;
	}
	if ((c = curl.curl_easy_init()) == NULL) {
		err_set(err, "cannot initialise libcurl");
		return -1;
	}
	if (body == NULL)
		len = 0;
	if (len > RUN_PING_BODY_MAX) {
		body += len - RUN_PING_BODY_MAX;
		len = RUN_PING_BODY_MAX;
	}
	hdrs = curl.curl_slist_append(hdrs, "Content-Type: text/plain; charset=utf-8");
	curl.curl_easy_setopt(c, CURLOPT_URL, url);
	curl.curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl.curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl.curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl.curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	curl.curl_easy_setopt(c, CURLOPT_USERAGENT, "brace/" BRACE_VERSION);
	curl.curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl.curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
	curl.curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
	curl.curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl.curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl.curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	rc = curl.curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl.curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl.curl_easy_cleanup(c);
	curl.curl_slist_free_all(hdrs);
	if (rc != CURLE_OK || code < 200 || code > 299) {
		char shown[512];

		/* The path is the check's secret (a UUID, a ping key): never in a message. */
		run_ping_redact(base, shown, sizeof(shown));
		if (rc != CURLE_OK)
			err_set(err, "ping (%s) to %s: %s", kind_name(kind), shown,
			    cerr[0] ? cerr : curl.curl_easy_strerror(rc));
		else
			err_set(err, "ping (%s) to %s: HTTP status %ld", kind_name(kind), shown, code);
		return -1;
	}
	return 0;
}
