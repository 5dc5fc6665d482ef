/* The LaTeX subset to MathML converter (latex_mathml.h): exact MathML for each construct, and
 * every kind of input outside the subset refused with a message that says what and where. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>
#include "latex_mathml.h"

static char out[4096], err[256];

static void expect_mathml(const char *tex, const char *mathml)
{
    if (latex_to_mathml(tex, out, sizeof out, err, sizeof err) < 0) fail_msg("'%s' refused: %s", tex, err);
    assert_string_equal(out, mathml);
}

/* tex is refused with a message containing `why`, and nothing is left in out */
static void expect_refused(const char *tex, const char *why)
{
    assert_int_equal(latex_to_mathml(tex, out, sizeof out, err, sizeof err), -1);
    if (!strstr(err, why)) fail_msg("'%s': wanted '%s' in the message, got '%s'", tex, why, err);
    assert_string_equal(out, "");
}

static void test_letters_numbers_and_operators(void **state)
{
    (void)state;
    expect_mathml("a + 12.5 - b", "<mi>a</mi><mo>+</mo><mn>12.5</mn><mo>−</mo><mi>b</mi>");
    expect_mathml("x \\in \\mathbb{R}^{10 \\times 256}",
                  "<mi>x</mi><mo>∈</mo><msup><mi>ℝ</mi><mrow><mn>10</mn><mo>×</mo><mn>256</mn></mrow></msup>");
    expect_mathml("\\sigma \\odot W^\\top", "<mi>σ</mi><mo>⊙</mo><msup><mi>W</mi><mi>⊤</mi></msup>");
}

static void test_subscripts_and_superscripts_take_one_item_or_a_group(void **state)
{
    (void)state;
    expect_mathml("x_{1,t}", "<msub><mi>x</mi><mrow><mn>1</mn><mo>,</mo><mi>t</mi></mrow></msub>");
    expect_mathml("h_{t-1}", "<msub><mi>h</mi><mrow><mi>t</mi><mo>−</mo><mn>1</mn></mrow></msub>");
    expect_mathml("W^{(2)}_{ih}", "<msubsup><mi>W</mi><mrow><mi>i</mi><mi>h</mi></mrow><mrow><mo>(</mo><mn>2</mn><mo>)</mo></mrow></msubsup>");
    expect_mathml("x^23", "<msup><mi>x</mi><mn>2</mn></msup><mn>3</mn>");   /* as LaTeX: one digit */
    expect_mathml("x_{t}", "<msub><mi>x</mi><mi>t</mi></msub>");           /* a group of one item is the item */
    expect_mathml("f'", "<msup><mi>f</mi><mo>′</mo></msup>");
}

static void test_limits_go_under_and_over_sums_and_maxima(void **state)
{
    (void)state;
    expect_mathml("\\sum_{n=1}^{N} x_n",
                  "<munderover><mo>∑</mo><mrow><mi>n</mi><mo>=</mo><mn>1</mn></mrow><mi>N</mi></munderover>"
                  "<msub><mi>x</mi><mi>n</mi></msub>");
    expect_mathml("\\max_t (h_t)", "<munder><mi>max</mi><mi>t</mi></munder><mrow><mo>(</mo><msub><mi>h</mi><mi>t</mi></msub><mo>)</mo></mrow>");
}

static void test_fractions_roots_and_stretching_fences(void **state)
{
    (void)state;
    expect_mathml("\\frac{1}{2N}", "<mfrac><mn>1</mn><mrow><mn>2</mn><mi>N</mi></mrow></mfrac>");
    expect_mathml("\\sqrt{d_k}", "<msqrt><msub><mi>d</mi><mi>k</mi></msub></msqrt>");
    expect_mathml("\\tanh(a)", "<mi>tanh</mi><mrow><mo>(</mo><mi>a</mi><mo>)</mo></mrow>");
    /* a function is parted by a thin space from an argument without fences, as in TeX */
    expect_mathml("\\log \\sigma", "<mi>log</mi><mspace width=\"0.1667em\"/><mi>σ</mi>");
    expect_mathml("\\max_t h", "<munder><mi>max</mi><mi>t</mi></munder><mspace width=\"0.1667em\"/><mi>h</mi>");
    expect_mathml("\\operatorname{vec} x + \\exp", "<mi mathvariant=\"normal\">vec</mi><mspace width=\"0.1667em\"/><mi>x</mi><mo>+</mo><mi>exp</mi>");
    expect_mathml("\\left\\lfloor \\frac{a}{b} \\right\\rfloor",
                  "<mrow><mo stretchy=\"true\">⌊</mo><mfrac><mi>a</mi><mi>b</mi></mfrac><mo stretchy=\"true\">⌋</mo></mrow>");
    expect_mathml("\\left\\| g \\right\\|_2",
                  "<msub><mrow><mo stretchy=\"true\">‖</mo><mi>g</mi><mo stretchy=\"true\">‖</mo></mrow><mn>2</mn></msub>");
    expect_mathml("\\left. a \\right|", "<mrow><mi>a</mi><mo stretchy=\"true\">|</mo></mrow>");
}

static void test_fonts_accents_text_and_spaces(void **state)
{
    (void)state;
    expect_mathml("\\mathcal{L}_{\\mathrm{kl}}", "<msub><mi>ℒ</mi><mi mathvariant=\"normal\">kl</mi></msub>");
    expect_mathml("\\mathcal{N}", "<mi>𝒩</mi>");
    expect_mathml("\\operatorname{soft\\_max}", "<mi mathvariant=\"normal\">soft_max</mi>");
    expect_mathml("\\hat{y}", "<mover accent=\"true\"><mi>y</mi><mo>^</mo></mover>");
    expect_mathml("\\overleftarrow{h}_t", "<msub><mover accent=\"true\"><mi>h</mi><mo>←</mo></mover><mi>t</mi></msub>");
    expect_mathml("a\\,b\\quad c",
                  "<mi>a</mi><mspace width=\"0.1667em\"/><mi>b</mi><mspace width=\"1em\"/><mi>c</mi>");
    expect_mathml("\\text{ for } t", "<mtext>&#160;for&#160;</mtext><mi>t</mi>");
}

static void test_markup_characters_are_escaped(void **state)
{
    (void)state;
    expect_mathml("a < b > c", "<mi>a</mi><mo>&lt;</mo><mi>b</mi><mo>&gt;</mo><mi>c</mi>");
    expect_mathml("\\text{<b>R\\&D</b>}", "<mtext>&lt;b&gt;R&amp;D&lt;/b&gt;</mtext>");
}

static void test_anything_outside_the_subset_is_refused(void **state)
{
    (void)state;
    expect_refused("\\mathfrak{g}", "unknown command \\mathfrak at byte 9");
    expect_refused("a & b", "'&' is not in the subset");
    expect_refused("a \\\\ b", "line break");
    expect_refused("$x$", "'$' is not in the subset");
    expect_refused("(a", "')' is missing");
    expect_refused("a]", "']' closes nothing");
    expect_refused("(a]", "']' closes nothing");
    expect_refused("{a", "'}' is missing");
    expect_refused("x_a_b", "a second subscript");
    expect_refused("_a", "'_' has no base");
    expect_refused("\\frac{a}", "an argument is missing");
    expect_refused("\\left( a", "\\left without \\right");
    expect_refused("a \\right)", "\\right without \\left");
    expect_refused("\\left\\alpha a \\right)", "not a delimiter");
    expect_refused("\\sqrt[3]{x}", "n-th root");
    expect_refused("\\mathbb{r}", "capital letters");
    expect_refused("\\mathrm{a+b}", "'+' in \\mathrm");
    expect_refused("\\text{a \\alpha}", "holds a command");
    expect_refused("é", "non-ASCII");
}

static void test_deep_nesting_and_long_output_are_refused_not_overrun(void **state)
{
    (void)state;
    char deep[400] = "";
    for (int i = 0; i < 100; i++) strcat(deep, "{");
    expect_refused(deep, "nested more than");
    char small[32];
    assert_int_equal(latex_to_mathml("\\frac{a}{b} + \\frac{c}{d}", small, sizeof small, err, sizeof err), -1);
    assert_non_null(strstr(err, "longer than 31 bytes"));
    assert_string_equal(small, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_letters_numbers_and_operators),
        cmocka_unit_test(test_subscripts_and_superscripts_take_one_item_or_a_group),
        cmocka_unit_test(test_limits_go_under_and_over_sums_and_maxima),
        cmocka_unit_test(test_fractions_roots_and_stretching_fences),
        cmocka_unit_test(test_fonts_accents_text_and_spaces),
        cmocka_unit_test(test_markup_characters_are_escaped),
        cmocka_unit_test(test_anything_outside_the_subset_is_refused),
        cmocka_unit_test(test_deep_nesting_and_long_output_are_refused_not_overrun),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
