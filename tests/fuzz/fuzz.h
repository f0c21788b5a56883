/*
 * fuzz.h - what every libFuzzer target shares: the entry point's prototype
 * and CHECK, which aborts with the file and line on a broken invariant, so
 * that libFuzzer reports it as a crash and keeps the input.
 */
#ifndef BRACE_FUZZ_H
#define BRACE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

#endif
