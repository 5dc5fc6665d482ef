/* The equations of a built model (model_math.h): every layer kind, activation and loss kind has
 * its templates and they convert to MathML; the exercises' specs give the exact sizes (the RNN's
 * W_ih, the 1-D CNN's length arithmetic, the VAE's closed-form KL, ...); every spec of specs/
 * and a few written here give equations that all convert, and between them every layer kind is
 * written from a real model at least once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "data_setup.h"
#include "latex_mathml.h"
#include "layer_table.h"
#include "model_math.h"
#include "model_math_internal.h"
#include "spec_check.h"

static int kinds_written[LAYER_KIND_COUNT];

/* The equations of s built as m, written as form (or, form -1, as report.html's section, which
 * must convert whole); the caller frees. */
static char *written(const spec *s, const model_graph *m, int form)
{
    model_math mm;
    char err[512], *text = NULL;
    size_t len = 0;
    if (model_math_build(s, m, &mm, err, sizeof err) < 0) fail_msg("%s: %s", s->name, err);
    FILE *f = open_memstream(&text, &len);
    if (form >= 0) model_math_write(f, &mm, (math_form)form);
    else if (model_math_write_html(f, &mm, err, sizeof err) < 0) fail_msg("%s: an equation does not convert: %s", s->name, err);
    fclose(f);
    model_math_free(&mm);
    for (int n = 0; n < s->n_nets; n++)
        for (int i = 0; i < s->nets[n].n_layers; i++) kinds_written[s->nets[n].layers[i].kind]++;
    return text;
}

/* The equations of spec file `file` as nnrun summary builds it (form -1: the report's). */
static char *spec_file_math(const char *file, int form)
{
    diag d;
    diag_init(&d);
    model_graph *m = NULL;
    spec *s = spec_check_build(file, NULL, 0, &m, &d);
    if (!s || !m || diag_count(&d)) diag_print(&d, stderr);
    assert_non_null(m);
    char *text = written(s, m, form);
    model_free(m);
    spec_free(s);
    diag_free(&d);
    return text;
}

/* The same for a spec written here. */
static char *spec_text_math(const char *yaml, int form)
{
    diag d;
    diag_init(&d);
    ynode *tree = ydoc_load_string(yaml, "t.yaml", &d);
    spec *s = tree ? spec_from_tree(tree, "t.yaml", &d) : NULL;
    data_info info;
    nn_rng r;
    nn_rng_seed(&r, 1);
    model_graph *m = s && data_describe(s, &info, &d) == 0 ? model_build(s, &info, 1, 0, NULL, &r, &d) : NULL;
    if (!m) diag_print(&d, stderr);
    assert_non_null(m);
    char *text = written(s, m, form);
    model_free(m);
    spec_free(s);
    diag_free(&d);
    return text;
}

static void expect_in(const char *text, const char *want)
{
    if (!strstr(text, want)) fail_msg("wanted\n  %s\nin\n%s", want, text);
}

static void test_every_layer_kind_activation_and_loss_kind_has_its_equations(void **state)
{
    (void)state;
    for (int k = 0; k < LAYER_KIND_COUNT; k++) {
        if (!layer_kind_has_math((layer_kind)k)) print_error("layer kind %s has no equations\n", layer_kind_name((layer_kind)k));
        assert_true(layer_kind_has_math((layer_kind)k));
    }
    for (int a = 0; a < ACT_KIND_COUNT; a++) assert_true(act_kind_has_math((act_kind)a));
    for (int k = 0; k < LOSS_KIND_COUNT; k++) assert_true(loss_kind_has_math((loss_kind)k));
    assert_false(layer_kind_has_math((layer_kind)LAYER_KIND_COUNT));
}

static void test_every_template_converts_to_mathml(void **state)
{
    (void)state;
    char err[512];
    if (model_math_check_templates(err, sizeof err) < 0) fail_msg("%s", err);
}

static void test_placeholders_are_strict(void **state)
{
    (void)state;
    static const math_var vars[] = {{"x", VAR_SYMBOL, NULL}, {"act", VAR_WRAP, NULL}, {"units", VAR_NUMBER, NULL}, {NULL, VAR_TEX, NULL}};
    char out[256], err[256];
    assert_int_equal(math_expand("@x{t} = @act{W @x} \\in \\mathbb{R}^{@units}", vars, NULL, out, sizeof out, err, sizeof err), 0);
    assert_string_equal(out, "x_{1,t} = f(W x_{1}) \\in \\mathbb{R}^{7}");
    assert_int_equal(math_expand("@xs", vars, NULL, out, sizeof out, err, sizeof err), -1);
    expect_in(err, "unknown placeholder @xs");
    assert_int_equal(math_expand("@act", vars, NULL, out, sizeof out, err, sizeof err), -1);
    expect_in(err, "@act takes an {argument}");
    assert_int_equal(math_expand("@units{2}", vars, NULL, out, sizeof out, err, sizeof err), -1);
    expect_in(err, "@units takes no {argument}");
    assert_int_equal(math_expand("@act{x", vars, NULL, out, sizeof out, err, sizeof err), -1);
    expect_in(err, "is not closed");
    char tiny[8];
    assert_int_equal(math_expand("@x{t} + @x{s}", vars, NULL, tiny, sizeof tiny, err, sizeof err), -1);
    expect_in(err, "longer than 7 bytes");
}

/* The RNN classifier: the step equation with W_ih [256, 100] as nnrun stores it. */
static void test_the_rnn_classifier_shows_its_step_equation_and_weight_shapes(void **state)
{
    (void)state;
    char *md = spec_file_math("specs/rnn_sentiment.yaml", MATH_MARKDOWN);
    expect_in(md, "- `embedding_1` (embedding): $x_{1,t} = E^{(1)}_{x_{0,t}}$; $x_{1} \\in \\mathbb{R}^{200 \\times 100}$\n");
    expect_in(md, "  h_t &= \\tanh(W^{(2)}_{ih} x_{1,t} + W^{(2)}_{hh} h_{t-1} + b^{(2)}) \\\\\n");
    expect_in(md, "  x_{2} &= h_{200} \\\\\n");
    expect_in(md, "  - $W^{(2)}_{ih}$ = `rnn_1.weight_ih` [256, 100]\n");
    expect_in(md, "  - $W^{(2)}_{hh}$ = `rnn_1.weight_hh` [256, 256]\n");
    expect_in(md, "- `logits` (dense): $x_{3} = W^{(3)} x_{2} + b^{(3)}$; $x_{3} \\in \\mathbb{R}^{2}$\n");
    expect_in(md, "\\ell_{\\mathrm{cross\\_entropy}} &= -\\frac{1}{N} \\sum_{n=1}^{N} \\log \\operatorname{softmax}(\\hat{y}_{n})_{y_{n}}");
    free(md);
    char *tex = spec_file_math("specs/rnn_sentiment.yaml", MATH_LATEX);
    expect_in(tex, "\\begin{align*}\nx_{0} &\\in \\mathbb{R}^{200} && \\texttt{input} \\text{ (input)} \\\\\n");
    expect_in(tex, "W^{(2)}_{ih} &\\in \\mathbb{R}^{256 \\times 100} && \\texttt{rnn\\_1.weight\\_ih} \\\\\n");
    free(tex);
}

/* The 1-D CNN: its output length with the numbers. */
static void test_the_1d_cnn_shows_its_length_arithmetic(void **state)
{
    (void)state;
    char *md = spec_file_math("specs/cnn1d_sentiment.yaml", MATH_MARKDOWN);
    expect_in(md, "  x_{2} &= \\operatorname{relu}(W^{(2)} \\star x_{1} + b^{(2)}) \\\\\n"
                  "  T_{\\mathrm{out}} &= \\left\\lfloor \\frac{200 + 0 + 0 - 5}{1} \\right\\rfloor + 1 = 196\n");
    expect_in(md, "- `max_over_1` (max_over): $x_{3} = \\max_{1 \\le t \\le 196} x_{2,t}$; $x_{3} \\in \\mathbb{R}^{128}$\n");
    expect_in(md, "  - $W^{(2)}$ = `conv1d_1.weight` [128, 100, 5]\n");
    expect_in(md, "- $\\operatorname{relu}(u) = \\max(0, u)$\n");
    free(md);
}

/* The VAE: the reparameterisation and the KL to N(0, I) in closed form. */
static void test_the_vae_shows_the_closed_form_kl(void **state)
{
    (void)state;
    char *md = spec_file_math("specs/vae_mnist.yaml", MATH_MARKDOWN);
    expect_in(md, "  x_{4} &= x_{2} + \\exp\\left(\\frac{1}{2} x_{3}\\right) \\odot \\epsilon \\\\\n");
    expect_in(md, "$\\mathcal{L}_{\\mathrm{loss}} = \\ell_{\\mathrm{bce}} + \\ell_{\\mathrm{kl}}$");
    expect_in(md, "   &= -\\frac{1}{2 N} \\sum_{n=1}^{N} \\sum_{j=1}^{20} (1 + \\log \\sigma^{2}_{nj} - \\mu^{2}_{nj} - \\sigma^{2}_{nj}) \\\\\n"
                  "  (\\mu, \\log \\sigma^{2}) &= (x_{2}, x_{3})\n");
    expect_in(md, "\\ell_{\\mathrm{bce}} &= -\\frac{1}{N} \\sum_{n=1}^{N} \\sum_{j=1}^{784} \\left[y_{nj} \\log \\sigma(\\hat{y}_{nj})");
    free(md);
}

/* seq2seq with attention: the Bahdanau rows, the initial state, the mean over kept targets. */
static void test_the_attending_gru_and_the_padded_targets(void **state)
{
    (void)state;
    char *md = spec_file_math("specs/seq2seq_rnn.yaml", MATH_MARKDOWN);
    expect_in(md, "  c_t &= \\sum_{s=1}^{10} \\alpha_{t,s} x_{3,s} \\\\\n");
    expect_in(md, "  r_t &= \\sigma(W^{(8)}_{ir} [x_{7,t} ; c_t] + b^{(8)}_{ir} + W^{(8)}_{hr} h_{t-1} + b^{(8)}_{hr}) \\\\\n");
    expect_in(md, "  h_0 &= x_{4} \\\\\n");
    expect_in(md, "  - $W^{(8)}_{ih}$ = `decoder.weight_ih` [768, 356]");
    expect_in(md, "  - $W^{(3)}_{ih}$ = `encoder.weight_ih` [768, 100]");
    expect_in(md, "  \\ell_{\\mathrm{cross\\_entropy}} &= -\\frac{1}{|K|} \\sum_{(n,t) \\in K} ");
    expect_in(md, "  K &= \\{(n,t) : y_{n,t} \\neq 0\\} \\\\\n");
    free(md);
}

/* The Transformer encoder: heads of 100 / 4 features, the padding mask, post-norm. */
static void test_the_transformer_encoder_shows_heads_masks_and_norms(void **state)
{
    (void)state;
    char *md = spec_file_math("specs/transformer_sentiment.yaml", MATH_MARKDOWN);
    expect_in(md, "  u &= \\operatorname{LN}_{1}(x_{2} + \\operatorname{MHA}(x_{2}, x_{2})) \\\\\n"
                  "  x_{3} &= \\operatorname{LN}_{2}(u + \\operatorname{FF}(u)) \\\\\n");
    expect_in(md, "  A_j &= \\operatorname{softmax}\\left(\\frac{Q_j K_j^{\\top}}{\\sqrt{25}} + M\\right) V_j \\\\\n");
    expect_in(md, "  - $M_{ts} = -\\infty$ where $x_{0,s} = 0$ (padding keys), else 0\n");
    expect_in(md, "  - $[W^{(3)}_{Q} ; W^{(3)}_{K} ; W^{(3)}_{V}]$ = `encoder.self_attn.in_proj_weight` [300, 100]\n");
    free(md);
}

/* A GAN-style program: one section per net and per loss group, calls written as calls. */
static void test_several_nets_and_loss_groups_get_a_section_each(void **state)
{
    (void)state;
    char *md = spec_file_math("specs/wgan_gp_uniform5.yaml", MATH_MARKDOWN);
    expect_in(md, "\n## net G\n");
    expect_in(md, "\n## net D\n");
    expect_in(md, "\n## loss group critic\n\nMinimised by step critic, 5 times an iteration, updating D.\n");
    expect_in(md, "$\\mathcal{L}_{\\mathrm{critic}} = \\ell_{\\mathrm{fake}} - \\ell_{\\mathrm{real}} + 10 \\ell_{\\mathrm{penalty}}$");
    expect_in(md, "  \\hat{y} &= D(G(\\mathrm{noise}))\n");
    expect_in(md, "\\left\\| \\nabla_{\\hat{x}_n} D(\\hat{x}_n) \\right\\|_{2}^{2}");
    free(md);
}

/* Weight penalties join the total of the groups that train their net. */
static void test_weight_penalties_join_the_total(void **state)
{
    (void)state;
    char *md = spec_file_math("specs/osc_l2.yaml", MATH_MARKDOWN);
    expect_in(md, "  \\mathcal{L}_{\\mathrm{loss}} &= \\ell_{\\mathrm{mse}} + \\Omega_{\\mathrm{model}} \\\\\n"
                  "  \\Omega_{\\mathrm{model}} &= 10^{-6} \\|W^{(1)}\\|_{2}^{2} + ");
    free(md);
}

/* The kinds no exercise uses, in one spec, each with its options shown. */
static const char kinds_yaml[] =
    "name: kinds\n"
    "data: {train: {dataset: points, points: gaussian, dim: 12, n: 16}}\n"
    "model:\n"
    "  input: [12]\n"
    "  layers:\n"
    "    - {one_hot: 5, name: ids}\n"
    "    - {rnn: {units: 6, act: relu, output: all, bidirectional: true}, name: birnn}\n"
    "    - {maxpool1d: 2, name: pooled}\n"
    "    - {layer_norm: {}, name: normed}\n"
    "    - {positional_encoding: {scale: true}, name: pos}\n"
    "    - {attention: {heads: 2, causal: true, dropout: 0.1}, name: att}\n"
    "    - {transformer_encoder: {heads: 3, ff: 8, norm_first: true, activation: gelu}, name: pre}\n"
    "    - {add: [pre, att], name: summed}\n"
    "    - {gaussian_noise: {sigma: 0.3}, name: noisy}\n"
    "    - {masking_noise: {p: 0.25, eval: true}}\n"
    "    - {lstm: {units: 4, output: mean}, name: pooled_lstm}\n"
    "    - {dense: 48, act: elu, bias: false, l1: 0.01}\n"
    "    - {reshape: [3, 4, 4]}\n"
    "    - {conv: {filters: 2, kernel: 3, pad: same}, act: leaky_relu}\n"
    "    - {avgpool: {size: 2, pad: 1}}\n"
    "    - {batchnorm: {}}\n"
    "    - {upsample: 2}\n"
    "    - global_avgpool\n"
    "    - softmax\n"
    "    - {dense: 12, name: out}\n"
    "loss: {l1: {pred: out, target: input}}\n";

static void test_the_other_kinds_show_their_options(void **state)
{
    (void)state;
    char *md = spec_text_math(kinds_yaml, MATH_MARKDOWN);
    expect_in(md, "- `ids` (one_hot): $x_{1,t} = e_{x_{0,t}}$; $x_{1} \\in \\mathbb{R}^{12 \\times 5}$\n");
    expect_in(md, "  h_t &= \\operatorname{relu}(W^{(2)}_{ih} x_{1,t} + W^{(2)}_{hh} h_{t-1} + b^{(2)}) \\\\\n");
    expect_in(md, "  x_{2,t} &= [h_t ; \\overleftarrow{h}_t] \\\\\n");
    expect_in(md, "  - $\\overleftarrow{W}^{(2)}_{ih}$ = `birnn.weight_ih_reverse` [6, 5]\n");
    expect_in(md, "  T_{\\mathrm{out}} &= \\left\\lfloor \\frac{12 - 2}{2} \\right\\rfloor + 1 = 6\n");
    expect_in(md, "- `pos` (positional_encoding):");
    expect_in(md, "  x_{5,t} &= \\sqrt{12} \\, x_{4,t} + P_{t} \\\\\n  P_{t,2j} &= \\sin(t / 10000^{2j / 12}) \\\\\n");
    expect_in(md, "  - $M_{ts} = -\\infty$ for $s > t$: no query sees a later key\n");
    expect_in(md, "  u &= x_{6} + \\operatorname{MHA}(\\operatorname{LN}_{1}(x_{6}), \\operatorname{LN}_{1}(x_{6})) \\\\\n");
    expect_in(md, "\\operatorname{FF}(U) &= \\operatorname{gelu}(U W^{(7)\\top}_{1} + b^{(7)}_{1})");
    expect_in(md, "- `summed` (add): $x_{8} = x_{7} + x_{6}$; $x_{8} \\in \\mathbb{R}^{6 \\times 12}$\n");
    expect_in(md, "  \\epsilon &\\sim \\mathcal{N}(0, 0.3^{2} I)\n");
    expect_in(md, "  x_{11} &= \\frac{1}{6} \\sum_{t=1}^{6} h_t \\\\\n");
    expect_in(md, "$x_{12} = \\operatorname{elu}_{1}(W^{(12)} x_{11})$");   /* bias: false */
    expect_in(md, "  H_{\\mathrm{out}} &= \\left\\lfloor \\frac{4 + 2 \\cdot 1 - 3}{1} \\right\\rfloor + 1 = 4 \\\\\n");
    expect_in(md, "  - pad: same keeps the height and width\n");
    expect_in(md, "  (K, s, p) &= (2, 2, 1) \\\\\n");
    expect_in(md, "- `global_avgpool_1` (global_avgpool): $x_{18,c} = \\frac{1}{6 \\cdot 6} \\sum_{h=1}^{6} \\sum_{w=1}^{6} x_{17,c,h,w}$");
    expect_in(md, "  \\Omega_{\\mathrm{model}} &= 0.01 \\|W^{(12)}\\|_{1}\n");
    free(md);
}

/* Every spec of specs/ (their equations all convert to MathML), then the kinds written from a
 * real model: each must have been, here or above. Runs last. */
static void test_every_spec_converts_and_every_kind_is_written(void **state)
{
    (void)state;
    DIR *dir = opendir("specs");
    assert_non_null(dir);
    struct dirent *e;
    int specs = 0;
    while ((e = readdir(dir))) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".yaml")) continue;
        char path[512];
        snprintf(path, sizeof path, "specs/%s", e->d_name);
        diag d;
        diag_init(&d);
        spec *s = spec_load(path, NULL, 0, &d);
        int has_net = s && s->n_nets;
        spec_free(s);
        diag_free(&d);
        if (!has_net) continue;   /* a data study */
        free(spec_file_math(path, -1));
        specs++;
    }
    closedir(dir);
    assert_true(specs > 30);
    free(spec_text_math(kinds_yaml, -1));
    for (int k = 0; k < LAYER_KIND_COUNT; k++) {
        if (!kinds_written[k]) print_error("no spec here writes a %s layer: add one to kinds_yaml\n", layer_kind_name((layer_kind)k));
        assert_true(kinds_written[k] > 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_layer_kind_activation_and_loss_kind_has_its_equations),
        cmocka_unit_test(test_every_template_converts_to_mathml),
        cmocka_unit_test(test_placeholders_are_strict),
        cmocka_unit_test(test_the_rnn_classifier_shows_its_step_equation_and_weight_shapes),
        cmocka_unit_test(test_the_1d_cnn_shows_its_length_arithmetic),
        cmocka_unit_test(test_the_vae_shows_the_closed_form_kl),
        cmocka_unit_test(test_the_attending_gru_and_the_padded_targets),
        cmocka_unit_test(test_the_transformer_encoder_shows_heads_masks_and_norms),
        cmocka_unit_test(test_several_nets_and_loss_groups_get_a_section_each),
        cmocka_unit_test(test_weight_penalties_join_the_total),
        cmocka_unit_test(test_the_other_kinds_show_their_options),
        cmocka_unit_test(test_every_spec_converts_and_every_kind_is_written),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
