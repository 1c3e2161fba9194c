/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A tiny header-only unit test framework.  Include it from exactly one file
 * per test binary; it provides main().
 *
 *	TEST(name) { CHECK(x); CHECK_EQ_INT(a, b); CHECK_EQ_STR(s, "..."); }
 *
 * Tests register themselves (a constructor per TEST) and run in source order.
 * A failed check prints file:line and both values, and the test goes on.  A
 * test fails if any of its checks failed, or if it made no check at all (a
 * test that cannot fail is a defect).  main() prints exactly one closing line,
 * "N passed, N failed" (tests), and exits 1 if any test failed.  There are no
 * skips.  An argument runs only the tests whose name contains it.
 *
 * Every CHECK is an expression that yields whether it held, so a table-driven
 * test can add the failing row:  if (!CHECK_EQ_INT(a, b)) NOTE("row %d", i);
 */
#ifndef RSTW_UNIT_H
#define RSTW_UNIT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UNIT_MAX_TESTS 256

struct unit_test {
	const char *name;
	void (*fn)(void);
	int line;
};

static struct unit_test unit_tests[UNIT_MAX_TESTS];
static int unit_ntests;
static const char *unit_cur; /* name of the running test */
static int unit_cur_checks, unit_cur_failed;

static inline void unit_register(const char *name, void (*fn)(void), int line)
{
	if (unit_ntests >= UNIT_MAX_TESTS) {
		fprintf(stderr, "unit.h: more than %d tests\n", UNIT_MAX_TESTS);
		abort();
	}
	unit_tests[unit_ntests].name = name;
	unit_tests[unit_ntests].fn = fn;
	unit_tests[unit_ntests].line = line;
	unit_ntests++;
}

#define TEST(name)                                                          \
	static void unit_test_##name(void);                                 \
	__attribute__((constructor)) static void unit_register_##name(void) \
	{                                                                   \
		unit_register(#name, unit_test_##name, __LINE__);           \
	}                                                                   \
	static void unit_test_##name(void)

/* Print a string readably: C escapes for anything not printable ASCII. */
static inline void unit_put_str(FILE *f, const char *s)
{
	if (!s) {
		fputs("(null)", f);
		return;
	}
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static inline void unit_fail_head(const char *file, int line)
{
	if (!unit_cur_failed)
		fprintf(stderr, "FAIL %s\n", unit_cur ? unit_cur : "?");
	unit_cur_failed++;
	fprintf(stderr, "  %s:%d: ", file, line);
}

static inline bool unit_check(bool ok, const char *file, int line, const char *expr)
{
	unit_cur_checks++;
	if (ok)
		return true;
	unit_fail_head(file, line);
	fprintf(stderr, "CHECK(%s)\n", expr);
	return false;
}

static inline bool unit_check_int(long long a, long long b, const char *file, int line,
				  const char *ea, const char *eb)
{
	unit_cur_checks++;
	if (a == b)
		return true;
	unit_fail_head(file, line);
	fprintf(stderr, "%s == %s: %lld != %lld\n", ea, eb, a, b);
	return false;
}

static inline bool unit_check_uint(unsigned long long a, unsigned long long b, const char *file,
				   int line, const char *ea, const char *eb)
{
	unit_cur_checks++;
	if (a == b)
		return true;
	unit_fail_head(file, line);
	fprintf(stderr, "%s == %s: %llu (0x%llx) != %llu (0x%llx)\n", ea, eb, a, a, b, b);
	return false;
}

static inline bool unit_check_str(const char *a, const char *b, const char *file, int line,
				  const char *ea, const char *eb)
{
	unit_cur_checks++;
	if (a == b || (a && b && strcmp(a, b) == 0))
		return true;
	unit_fail_head(file, line);
	fprintf(stderr, "%s == %s:\n    got      ", ea, eb);
	unit_put_str(stderr, a);
	fprintf(stderr, "\n    expected ");
	unit_put_str(stderr, b);
	fputc('\n', stderr);
	return false;
}

__attribute__((format(printf, 1, 2))) static inline void unit_note(const char *fmt, ...)
{
	va_list ap;

	fputs("    note: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

#define CHECK(cond) unit_check(!!(cond), __FILE__, __LINE__, #cond)
#define CHECK_EQ_INT(a, b) \
	unit_check_int((long long)(a), (long long)(b), __FILE__, __LINE__, #a, #b)
#define CHECK_EQ_UINT(a, b)                                                                       \
	unit_check_uint((unsigned long long)(a), (unsigned long long)(b), __FILE__, __LINE__, #a, \
			#b)
#define CHECK_EQ_STR(a, b) unit_check_str((a), (b), __FILE__, __LINE__, #a, #b)
/* Extra context after a failed check (the row of a table, the input). */
#define NOTE(...) unit_note(__VA_ARGS__)

static int unit_by_line(const void *a, const void *b)
{
	return ((const struct unit_test *)a)->line - ((const struct unit_test *)b)->line;
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;

	qsort(unit_tests, (size_t)unit_ntests, sizeof(unit_tests[0]), unit_by_line);
	for (int i = 0; i < unit_ntests; i++) {
		if (argc > 1 && !strstr(unit_tests[i].name, argv[1]))
			continue;
		unit_cur = unit_tests[i].name;
		unit_cur_checks = unit_cur_failed = 0;
		unit_tests[i].fn();
		fflush(stdout);
		if (unit_cur_checks == 0) {
			fprintf(stderr, "FAIL %s\n  made no check\n", unit_cur);
			unit_cur_failed = 1;
		}
		if (unit_cur_failed) {
			fprintf(stderr, "  %s: %d of %d checks failed\n", unit_cur, unit_cur_failed,
				unit_cur_checks);
			failed++;
		} else {
			passed++;
		}
	}
	if (passed + failed == 0) {
		fprintf(stderr, "no test ran\n");
		failed = 1;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

#endif
