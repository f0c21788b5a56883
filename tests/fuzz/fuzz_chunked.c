/*
 * fuzz_chunked.c - libFuzzer target for http_chunked_feed.
 *
 * The input is a chunked body, possibly followed by the next message. The
 * framer is fed it three ways (all at once, one byte at a time, and in
 * pieces whose sizes come from the input) and must give the same answer each
 * time: the same message length, or an error. That answer is also compared
 * with ref_chunked() below, a plain whole-buffer reading of the same grammar
 * (RFC 9112 7.1 with brace's caps), written differently on purpose: a
 * disagreement means one of the two misreads where a message ends, which is
 * exactly what request smuggling feeds on.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "lb/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The framer's caps (lb/http.c). */
#define REF_MAX_DIGITS   15
#define REF_MAX_EXT      4096
#define REF_MAX_TRAILERS 16384

#define REF_NEED (-2)
#define REF_BAD  (-1)

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Expect CRLF at *i: 1 when there, REF_NEED or REF_BAD otherwise. */
static int
ref_crlf(const unsigned char *p, size_t n, size_t *i)
{
	if (*i >= n)
		return REF_NEED;
	if (p[*i] != '\r')
		return REF_BAD;
	if (++*i >= n)
		return REF_NEED;
	if (p[*i] != '\n')
		return REF_BAD;
	++*i;
	return 1;
}

/* The length of the chunked message at the start of p[0..n), or REF_NEED/REF_BAD. */
static long long
ref_chunked(const unsigned char *p, size_t n)
{
	size_t i = 0, trailer = 0;
	int r;

	for (;;) {
		uint64_t len = 0;
		int digits = 0;

		for (;; i++) {
			if (i >= n)
				return REF_NEED;
			if (hexval(p[i]) < 0)
				break;
			if (++digits > REF_MAX_DIGITS)
				return REF_BAD;
			len = len * 16 + (uint64_t)hexval(p[i]);
		}
		if (digits == 0)
			return REF_BAD;
		if (p[i] == ' ' || p[i] == '\t') {
			/* BWS, then an extension must follow */
			size_t bws = 0;

			for (; i < n && (p[i] == ' ' || p[i] == '\t'); i++)
				if (++bws > REF_MAX_EXT)
					return REF_BAD;
			if (i >= n)
				return REF_NEED;
			if (p[i] != ';')
				return REF_BAD;
		}
		if (p[i] == ';') {
			size_t ext = 0;

			for (i++;; i++) {
				if (i >= n)
					return REF_NEED;
				if (p[i] == '\r')
					break;
				if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f || ++ext > REF_MAX_EXT)
					return REF_BAD;
			}
		}
		if ((r = ref_crlf(p, n, &i)) != 1)
			return r;
		if (len == 0)
			break;
		if (n - i < len)
			return REF_NEED;
		i += (size_t)len;
		if ((r = ref_crlf(p, n, &i)) != 1)
			return r;
	}
	/* trailer section: field lines, then an empty line */
	for (;;) {
		size_t name = i;

		if (i >= n)
			return REF_NEED;
		if (p[i] == '\r')
			return (r = ref_crlf(p, n, &i)) == 1 ? (long long)i : r;
		for (; i < n && p[i] != ':'; i++)
			if (!fuzz_is_tchar(p[i]) || ++trailer > REF_MAX_TRAILERS)
				return REF_BAD;
		if (i >= n)
			return REF_NEED;
		if (i == name || ++trailer > REF_MAX_TRAILERS)
			return REF_BAD;
		for (i++;; i++) {
			if (i >= n)
				return REF_NEED;
			if (++trailer > REF_MAX_TRAILERS)
				return REF_BAD;
			if (p[i] == '\r')
				break;
			if (!fuzz_is_value_octet(p[i]))
				return REF_BAD;
		}
		i++;
		if (i >= n)
			return REF_NEED;
		if (p[i++] != '\n')
			return REF_BAD;
	}
}

struct outcome {
	long long used;         /* bytes of the message, or REF_BAD */
	int done;
};

/* Feed p[0..n) in pieces; step() gives each piece's size (>= 1). */
static struct outcome
feed(const uint8_t *p, size_t n, size_t (*step)(size_t, const uint8_t *, size_t))
{
	struct http_chunked c;
	struct outcome o = { 0, 0 };
	size_t at = 0;

	memset(&c, 0, sizeof(c));
	for (size_t piece = 0; at < n; piece++) {
		size_t k = step(piece, p, n);
		const char *why = NULL;
		ssize_t r;

		if (k > n - at)
			k = n - at;
		r = http_chunked_feed(&c, (const char *)p + at, k, &o.done, &why);
		if (r < 0) {
			CHECK(why != NULL);
			o.used = REF_BAD;
			return o;
		}
		CHECK((size_t)r <= k);
		o.used += r;
		at += k;
		if (o.done) {
			const char *why2 = NULL;
			int done2 = 0;

			/* once done: nothing more is consumed and it stays done */
			CHECK(http_chunked_feed(&c, (const char *)p + at - (k - (size_t)r), k - (size_t)r,
			    &done2, &why2) == 0 && done2);
			CHECK(http_chunked_feed(&c, "", 0, &done2, &why2) == 0 && done2);
			return o;
		}
		CHECK((size_t)r == k);  /* not done: all of it belongs to the message */
	}
	return o;
}

static size_t
step_all(size_t piece, const uint8_t *p, size_t n)
{
	return n;
}

static size_t
step_one(size_t piece, const uint8_t *p, size_t n)
{
	return 1;
}

/* Piece sizes from 1 to 16, taken from the input itself. */
static size_t
step_varied(size_t piece, const uint8_t *p, size_t n)
{
	return n ? (size_t)(p[(piece * 7) % n] & 15) + 1 : 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome whole = feed(data, size, step_all);
	struct outcome bytes = feed(data, size, step_one);
	struct outcome varied = feed(data, size, step_varied);
	long long ref = ref_chunked(data, size);

	CHECK(whole.used == bytes.used && whole.done == bytes.done);
	CHECK(whole.used == varied.used && whole.done == varied.done);
	if (ref == REF_BAD)
		CHECK(whole.used == REF_BAD);
	else if (ref == REF_NEED)
		CHECK(!whole.done && whole.used == (long long)size);
	else
		CHECK(whole.done && whole.used == ref);

	/* the message alone is the same message; one byte less is not done yet */
	if (whole.done) {
		struct outcome alone = feed(data, (size_t)whole.used, step_all);
		struct outcome shorter = feed(data, (size_t)whole.used - 1, step_all);

		CHECK(alone.done && alone.used == whole.used);
		CHECK(!shorter.done && shorter.used == whole.used - 1);
	}
	return 0;
}
