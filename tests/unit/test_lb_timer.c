/*
 * test_lb_timer.c - the load balancer's timer lists: one list per timeout
 * length, kept sorted by appending, so the head is the next deadline.
 */
#include <stdint.h>
#include <stdlib.h>

#include "unit.h"
#include "lb/timer.h"

static void
an_empty_list_has_no_deadline_and_nothing_due(void **state)
{
	struct tlist l;

	tlist_init(&l, 100);
	assert_int_equal(l.timeout, 100);
	assert_true(tlist_next(&l) == INT64_MAX);
	assert_null(tlist_due(&l, INT64_MAX - 1));
}

static void
armed_timers_fall_due_in_arming_order_at_their_deadline(void **state)
{
	struct tlist l;
	struct timer t[3];

	tlist_init(&l, 100);
	for (int i = 0; i < 3; i++) {
		timer_init(&t[i], TK_STREAM);
		assert_false(timer_armed(&t[i]));
		timer_arm(&t[i], &l, 1000 + 10 * i);
		assert_true(timer_armed(&t[i]));
		assert_ptr_equal(t[i].list, &l);
	}
	assert_int_equal(tlist_next(&l), 1100);
	assert_null(tlist_due(&l, 1099));
	for (int i = 0; i < 3; i++) {
		int64_t now = 1100 + 10 * i;

		assert_ptr_equal(tlist_due(&l, now), &t[i]);
		timer_disarm(&t[i]);
		assert_false(timer_armed(&t[i]));
		assert_null(t[i].list);
		/* the next one is not due yet at this instant */
		assert_null(tlist_due(&l, now));
	}
	assert_true(tlist_next(&l) == INT64_MAX);
}

static void
rearming_moves_a_timer_to_the_tail_with_its_new_deadline(void **state)
{
	struct tlist l;
	struct timer a, b;

	tlist_init(&l, 50);
	timer_init(&a, TK_STREAM);
	timer_init(&b, TK_SCONN_IDLE);
	timer_arm(&a, &l, 0);
	timer_arm(&b, &l, 10);
	timer_arm(&a, &l, 20);          /* a is now after b */
	assert_int_equal(a.when, 70);
	assert_int_equal(tlist_next(&l), 60);
	assert_ptr_equal(tlist_due(&l, 60), &b);
	timer_disarm(&b);
	assert_ptr_equal(tlist_due(&l, 70), &a);
	/* the last timer re-armed stays last, with the later deadline */
	timer_arm(&a, &l, 30);
	assert_int_equal(a.when, 80);
	assert_int_equal(tlist_next(&l), 80);
	timer_disarm(&a);
	assert_true(tlist_next(&l) == INT64_MAX);
}

static void
a_timer_moves_between_lists_and_disarm_is_idempotent(void **state)
{
	struct tlist fast, slow;
	struct timer t;

	tlist_init(&fast, 10);
	tlist_init(&slow, 1000);
	timer_init(&t, TK_ACCEPT);
	assert_int_equal(t.kind, TK_ACCEPT);
	timer_arm(&t, &slow, 0);
	timer_arm(&t, &fast, 0);
	assert_true(tlist_next(&slow) == INT64_MAX);
	assert_int_equal(tlist_next(&fast), 10);
	timer_disarm(&t);
	timer_disarm(&t);
	assert_true(tlist_next(&fast) == INT64_MAX);
}

static void
the_middle_of_a_list_can_be_disarmed(void **state)
{
	struct tlist l;
	struct timer t[5];

	tlist_init(&l, 5);
	for (int i = 0; i < 5; i++) {
		timer_init(&t[i], TK_STREAM);
		timer_arm(&t[i], &l, i);
	}
	timer_disarm(&t[2]);
	timer_disarm(&t[0]);
	timer_disarm(&t[4]);
	assert_ptr_equal(tlist_due(&l, 100), &t[1]);
	timer_disarm(&t[1]);
	assert_ptr_equal(tlist_due(&l, 100), &t[3]);
	timer_disarm(&t[3]);
	assert_null(tlist_due(&l, 100));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(an_empty_list_has_no_deadline_and_nothing_due),
		cmocka_unit_test(armed_timers_fall_due_in_arming_order_at_their_deadline),
		cmocka_unit_test(rearming_moves_a_timer_to_the_tail_with_its_new_deadline),
		cmocka_unit_test(a_timer_moves_between_lists_and_disarm_is_idempotent),
		cmocka_unit_test(the_middle_of_a_list_can_be_disarmed),
	};

	return cmocka_run_group_tests_name("lb_timer", tests, NULL, NULL);
}
