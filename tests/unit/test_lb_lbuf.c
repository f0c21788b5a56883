/*
 * test_lb_lbuf.c - the workers' buffers: two sizes, each with its own capped
 * pool, given back when empty.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "lb/lbuf.h"

static void
buffers_come_in_the_size_asked_for_and_start_empty(void **state)
{
	struct lbuf_pool bp = { 0 };
	struct lbuf *s = lbuf_get(&bp), *b = lbuf_get_big(&bp);

	assert_non_null(s);
	assert_non_null(b);
	assert_int_equal(s->size, LB_BUFSIZE);
	assert_int_equal(b->size, LB_BIGBUFSIZE);
	assert_int_equal(lbuf_len(s), 0);
	assert_int_equal(lbuf_room(s), LB_BUFSIZE);
	assert_int_equal(lbuf_room(b), LB_BIGBUFSIZE);
	lbuf_release(&bp, s);
	lbuf_release(&bp, b);
	lbuf_pool_release(&bp);
}

static void
a_released_buffer_goes_back_to_the_pool_of_its_size(void **state)
{
	struct lbuf_pool bp = { 0 };
	struct lbuf *s = lbuf_get(&bp), *b = lbuf_get_big(&bp);

	lbuf_add(s, "abc", 3);
	lbuf_release(&bp, s);
	lbuf_release(&bp, b);
	assert_int_equal(bp.nfree, 1);
	assert_int_equal(bp.nfreebig, 1);
	/* reused, and reset */
	assert_ptr_equal(lbuf_get_big(&bp), b);
	s = lbuf_get(&bp);
	assert_int_equal(lbuf_len(s), 0);
	assert_int_equal(s->size, LB_BUFSIZE);
	lbuf_release(&bp, s);
	lbuf_release(&bp, b);
	lbuf_pool_release(&bp);
	assert_int_equal(bp.nfree, 0);
	assert_int_equal(bp.nfreebig, 0);
}

static void
each_pool_keeps_at_most_its_cap_after_a_burst(void **state)
{
	struct lbuf_pool bp = { 0 };
	enum { N = LB_FREE_BIGBUFS + 5 };
	struct lbuf *b[N];

	for (int i = 0; i < N; i++)
		assert_non_null(b[i] = lbuf_get_big(&bp));
	for (int i = 0; i < N; i++)
		lbuf_release(&bp, b[i]);
	assert_int_equal(bp.nfreebig, LB_FREE_BIGBUFS);
	assert_int_equal(bp.nfree, 0);
	lbuf_pool_release(&bp);
}

static void
only_an_empty_buffer_is_dropped(void **state)
{
	struct lbuf_pool bp = { 0 };
	struct lbuf *b = lbuf_get_big(&bp);

	assert_int_equal(lbuf_add(b, "xy", 2), 0);
	lbuf_drop_empty(&bp, &b);
	assert_non_null(b);
	b->head = b->tail;
	lbuf_drop_empty(&bp, &b);
	assert_null(b);
	assert_int_equal(bp.nfreebig, 1);
	lbuf_drop_empty(&bp, &b);               /* NULL stays NULL */
	lbuf_pool_release(&bp);
}

static void
adding_past_the_size_writes_nothing(void **state)
{
	struct lbuf_pool bp = { 0 };
	struct lbuf *b = lbuf_get(&bp);
	char *big = calloc(1, LB_BUFSIZE + 1);

	assert_int_equal(lbuf_add(b, big, LB_BUFSIZE + 1), -1);
	assert_int_equal(lbuf_len(b), 0);
	assert_int_equal(lbuf_add(b, big, LB_BUFSIZE), 0);
	assert_int_equal(lbuf_room(b), 0);
	b->head = 100;
	lbuf_compact(b);
	assert_int_equal(b->head, 0);
	assert_int_equal(lbuf_room(b), 100);
	free(big);
	lbuf_release(&bp, b);
	lbuf_pool_release(&bp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buffers_come_in_the_size_asked_for_and_start_empty),
		cmocka_unit_test(a_released_buffer_goes_back_to_the_pool_of_its_size),
		cmocka_unit_test(each_pool_keeps_at_most_its_cap_after_a_burst),
		cmocka_unit_test(only_an_empty_buffer_is_dropped),
		cmocka_unit_test(adding_past_the_size_writes_nothing),
	};

	return cmocka_run_group_tests_name("lb_lbuf", tests, NULL, NULL);
}
