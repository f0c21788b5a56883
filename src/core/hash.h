/*
 * hash.h - the 64-bit finaliser the hash functions of brace end with.
 *
 * MurmurHash3's fmix64: every input bit changes every output bit with about
 * even odds, so a cheap hash (FNV-1a, a multiply per word) becomes good
 * enough to index tables and place points on a ring. Its output must never
 * change: the load balancer's consistent hashing sends a key to the same
 * server across versions.
 */
#ifndef BRACE_HASH_H
#define BRACE_HASH_H

#include <stdint.h>

static inline uint64_t
hash_mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

#endif
