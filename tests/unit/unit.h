/*
 * unit.h - what every cmocka unit test includes, in the order cmocka needs.
 */
#ifndef BRACE_UNIT_H
#define BRACE_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#endif
