/*
 * run_backoff.c - see run_backoff.h.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "run/run_backoff.h"

/*
 * 64 random bits. getrandom() does not fail for small requests once the
 * kernel pool is initialised; should it fail anyway (a very early boot, a
 * seccomp filter), fall back to a generator seeded from the clock and pid,
 * which is still different on every machine and every run.
 */
static uint64_t
random_u64(void)
{
	static uint64_t state;
	uint64_t v;
	struct timespec ts;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t)sizeof(v))
		return v;
	if (state == 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		state = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
		    ((uint64_t)getpid() << 40) ^ 0x9e3779b97f4a7c15ULL;
	}
	/* xorshift64* */
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return state * 0x2545f4914f6cdd1dULL;
}

int64_t
run_backoff_random(int64_t max)
{
	uint64_t range, limit, v;

	if (max <= 0)
		return 0;
	range = (uint64_t)max + 1;
	/* Reject the top sliver so that every value is equally likely. */
	limit = UINT64_MAX - UINT64_MAX % range;
	do
		v = random_u64();
	while (v >= limit);
	return (int64_t)(v % range);
}

int64_t
run_backoff_delay(int64_t base_ms, int attempt, int64_t cap_ms)
{
	int64_t d = base_ms;

	if (base_ms <= 0)
		return 0;
	if (cap_ms < base_ms)
		cap_ms = base_ms;
	for (int i = 1; i < attempt && d < cap_ms; i++)
		d = d > cap_ms / 2 ? cap_ms : d * 2;
	if (d > cap_ms)
		d = cap_ms;
	return d - d / 2 + run_backoff_random(d / 2);
}
