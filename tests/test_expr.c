/* The expression language: precedence, functions, logic, variables, and error positions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nn/expr.h"

/* Parses src with variable x and evaluates it at x; fails the test on a parse error. */
static double eval_at(const char *src, double x)
{
    char err[256];
    int col;
    nn_expr *e = nn_expr_parse(src, err, sizeof err, &col);
    if (!e) fail_msg("parse of '%s' failed: %s", src, err);
    double v = nn_expr_eval(e, &x);
    nn_expr_free(e);
    return v;
}

/* Parses src expecting an error; checks the column and that the message contains want. */
static void expect_error(const char *src, int want_col, const char *want)
{
    char err[256] = "";
    int col = -99;
    nn_expr *e = nn_expr_parse(src, err, sizeof err, &col);
    if (e) {
        nn_expr_free(e);
        fail_msg("'%s' parsed but should fail with '%s'", src, want);
    }
    if (!strstr(err, want)) fail_msg("'%s': message '%s' lacks '%s'", src, err, want);
    if (col != want_col) fail_msg("'%s': column %d, expected %d (message '%s')", src, col, want_col, err);
}

static void test_power_is_right_associative_and_binds_tighter_than_unary_minus(void **state)
{
    (void)state;
    assert_float_equal(eval_at("2^3^2", 0), 512, 0);
    assert_float_equal(eval_at("2**3**2", 0), 512, 0);
    assert_float_equal(eval_at("-2^2", 0), -4, 0);
    assert_float_equal(eval_at("(-2)^2", 0), 4, 0);
    assert_float_equal(eval_at("2^-1", 0), 0.5, 0);
    assert_float_equal(eval_at("-x^2", 3), -9, 0);
}

static void test_arithmetic_precedence_and_left_associativity(void **state)
{
    (void)state;
    assert_float_equal(eval_at("1 + 2 * 3", 0), 7, 0);
    assert_float_equal(eval_at("(1 + 2) * 3", 0), 9, 0);
    assert_float_equal(eval_at("10 - 4 - 3", 0), 3, 0);
    assert_float_equal(eval_at("8 / 4 / 2", 0), 1, 0);
    assert_float_equal(eval_at("2 * x^2 + 1", 3), 19, 0);
    assert_float_equal(eval_at("--x", 5), 5, 0);
    assert_float_equal(eval_at("1 + 2 < 4", 0), 1, 0);     /* + binds tighter than < */
}

static void test_number_forms(void **state)
{
    (void)state;
    assert_float_equal(eval_at("1e-3", 0), 1e-3, 1e-18);
    assert_float_equal(eval_at(".5", 0), 0.5, 0);
    assert_float_equal(eval_at("2.5E+2", 0), 250, 0);
    assert_float_equal(eval_at("3.", 0), 3, 0);
}

static void test_functions_and_constants(void **state)
{
    (void)state;
    assert_float_equal(eval_at("sin(pi/2)", 0), 1, 1e-15);
    assert_float_equal(eval_at("cos(0) + tan(0)", 0), 1, 1e-15);
    assert_float_equal(eval_at("exp(1) - e", 0), 0, 1e-15);
    assert_float_equal(eval_at("log(e^2)", 0), 2, 1e-15);
    assert_float_equal(eval_at("sqrt(16) + abs(-3)", 0), 7, 0);
    assert_float_equal(eval_at("tanh(0) + sigmoid(0)", 0), 0.5, 1e-15);
    assert_float_equal(eval_at("pow(2, 10)", 0), 1024, 0);
    assert_float_equal(eval_at("min(3, x) + max(3, x)", 7), 10, 0);
    assert_float_equal(eval_at("sigmoid(x)", 2), 1 / (1 + exp(-2.0)), 1e-15);
}

static void test_the_course_examples_evaluate_correctly(void **state)
{
    (void)state;
    assert_float_equal(eval_at("1/(1+25*x^2)", 0.2), 0.5, 1e-15);
    const char *piecewise = "x < 0 ? 5 + sin(x) + sin(2*x) + sin(3*x) + sin(4*x) : cos(10*x)";
    double x = -0.7;
    assert_float_equal(eval_at(piecewise, x), 5 + sin(x) + sin(2 * x) + sin(3 * x) + sin(4 * x), 1e-14);
    assert_float_equal(eval_at(piecewise, 0.3), cos(3.0), 1e-14);
}

static void test_comparisons_and_logic_give_one_or_zero(void **state)
{
    (void)state;
    assert_float_equal(eval_at("x <= 2", 2), 1, 0);
    assert_float_equal(eval_at("x < 2", 2), 0, 0);
    assert_float_equal(eval_at("x >= 2 and x != 3", 2), 1, 0);
    assert_float_equal(eval_at("x > 5 or x == 1", 1), 1, 0);
    assert_float_equal(eval_at("x > 5 || x == 2", 1), 0, 0);
    assert_float_equal(eval_at("3 and 4", 0), 1, 0);        /* normalised to 1 */
    assert_float_equal(eval_at("not x", 0), 1, 0);
    assert_float_equal(eval_at("!(x < 1)", 0), 0, 0);
    assert_float_equal(eval_at("x > 0 && x < 1", 0.5), 1, 0);
}

static void test_conditionals_run_only_the_chosen_branch(void **state)
{
    (void)state;
    /* The untaken branch would give NaN; short-circuit keeps it out. */
    assert_float_equal(eval_at("x > 0 ? log(x) : 0", -1), 0, 0);
    assert_float_equal(eval_at("if(x > 0, log(x), -1)", -1), -1, 0);
    assert_float_equal(eval_at("if(x > 0, 2*x, -1)", 3), 6, 0);
    assert_float_equal(eval_at("x > 0 and sqrt(-1) > 0", -1), 0, 0);
    assert_float_equal(eval_at("x < 0 or sqrt(-1) > 0", -1), 1, 0);
    /* ?: is right-associative: a sign function. */
    const char *sgn = "x < 0 ? -1 : x == 0 ? 0 : 1";
    assert_float_equal(eval_at(sgn, -4), -1, 0);
    assert_float_equal(eval_at(sgn, 0), 0, 0);
    assert_float_equal(eval_at(sgn, 9), 1, 0);
}

static void test_named_variables_map_to_their_slots(void **state)
{
    (void)state;
    const char *names[] = {"x0", "x1", "x2"};
    char err[256];
    nn_expr *e = nn_expr_parse_vars("x0 * x1 + x1", names, 3, err, sizeof err, NULL);
    assert_non_null(e);
    assert_int_equal(nn_expr_vars_used(e), 2);
    double v[3] = {2, 5, 100};
    assert_float_equal(nn_expr_eval(e, v), 15, 0);
    nn_expr_free(e);

    e = nn_expr_parse("3 * pi", err, sizeof err, NULL);
    assert_non_null(e);
    assert_int_equal(nn_expr_vars_used(e), 0);
    nn_expr_free(e);
}

static void test_variable_names_may_not_shadow_functions(void **state)
{
    (void)state;
    const char *names[] = {"x", "sin"};
    char err[256];
    int col = 5;
    assert_null(nn_expr_parse_vars("x", names, 2, err, sizeof err, &col));
    assert_non_null(strstr(err, "'sin'"));
    assert_int_equal(col, -1);
}

static void test_long_chains_evaluate_without_deep_recursion(void **state)
{
    (void)state;
    enum { TERMS = 5000 };
    char *src = malloc(TERMS * 2 + 1);
    for (int i = 0; i < TERMS; i++) memcpy(src + 2 * i, i ? "+x" : " x", 2);
    src[TERMS * 2] = 0;
    assert_float_equal(eval_at(src, 1), TERMS, 0);
    free(src);
}

static void test_parse_errors_report_message_and_column(void **state)
{
    (void)state;
    expect_error("(1 + 2", 6, "expected ')' at column 6");
    expect_error("sin(x + (2*x)", 13, "expected ')'");
    expect_error("sine(x)", 0, "unknown function 'sine' (did you mean 'sin'?)");
    expect_error("2 * sqr(x)", 4, "did you mean 'sqrt'?");
    expect_error("frobnicate(x)", 0, "unknown function 'frobnicate'");
    expect_error("2 * y", 4, "unknown variable 'y'");
    expect_error("2 * xx", 4, "did you mean 'x'?");
    expect_error("1 +", 3, "unexpected end of expression");
    expect_error("pow(2)", 0, "function 'pow' takes 2 arguments, got 1");
    expect_error("sin()", 0, "takes 1 argument, got 0");
    expect_error("2 3", 2, "missing operator");
    expect_error("2 $ 3", 2, "unexpected character '$'");
    expect_error("1e+", 0, "malformed number");
    expect_error("", 0, "empty expression");
    expect_error("   ", 3, "empty expression");
    expect_error("sin + 1", 0, "needs its arguments in parentheses");
    expect_error("x(2)", 1, "is not a function");
    expect_error("x ? 1", 5, "expected ':'");
    expect_error("if(x, 1)", 7, "expected ','");
    expect_error("1 + * 2", 4, "unexpected '*'");
}

static void test_pathological_nesting_fails_cleanly(void **state)
{
    (void)state;
    enum { DEPTH = 5000 };
    char *src = malloc(2 * DEPTH + 2);
    memset(src, '(', DEPTH);
    src[DEPTH] = '1';
    memset(src + DEPTH + 1, ')', DEPTH);
    src[2 * DEPTH + 1] = 0;
    char err[256];
    int col;
    assert_null(nn_expr_parse(src, err, sizeof err, &col));
    assert_non_null(strstr(err, "nested"));
    memset(src, '-', DEPTH);
    src[DEPTH] = 'x';
    src[DEPTH + 1] = 0;
    assert_null(nn_expr_parse(src, err, sizeof err, &col));
    free(src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_power_is_right_associative_and_binds_tighter_than_unary_minus),
        cmocka_unit_test(test_arithmetic_precedence_and_left_associativity),
        cmocka_unit_test(test_number_forms),
        cmocka_unit_test(test_functions_and_constants),
        cmocka_unit_test(test_the_course_examples_evaluate_correctly),
        cmocka_unit_test(test_comparisons_and_logic_give_one_or_zero),
        cmocka_unit_test(test_conditionals_run_only_the_chosen_branch),
        cmocka_unit_test(test_named_variables_map_to_their_slots),
        cmocka_unit_test(test_variable_names_may_not_shadow_functions),
        cmocka_unit_test(test_long_chains_evaluate_without_deep_recursion),
        cmocka_unit_test(test_parse_errors_report_message_and_column),
        cmocka_unit_test(test_pathological_nesting_fails_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
