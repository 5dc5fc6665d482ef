/* The normalisation of PyTorch's tutorial "Translation with a Sequence to Sequence Network and
 * Attention" (nn_pair_normalize in nn/text.h), in one pass over UTF-8, giving ASCII:
 *
 *     s = unicodeToAscii(s.lower().strip())       # NFD, combining marks (Mn) dropped
 *     s = re.sub(r"([.!?])", r" \1", s)
 *     s = re.sub(r"[^a-zA-Z!?]+", r" ", s)
 *     return s.strip()
 *
 * A letter with a diacritic becomes its base letter through the tables below (what NFD then
 * dropping the marks leaves of each lower-cased code point); a combining mark is dropped
 * without separating anything; '!' and '?' get a space before them (not after: "a?b" gives
 * "a ?b", as in the tutorial); '.' and every other character (digits, other scripts, letters
 * NFD does not decompose such as ø, ß, œ, ł) separate words. Marks of other scripts (Hebrew
 * points, Indic vowel signs) separate too, where Python drops them: they only ever sit between
 * letters that are separators themselves. */
#include <stdint.h>
#include "nn/text.h"
#include "../io/json_lite.h"

/* The base letter of each code point of a range, '_' where there is none (the code point
 * separates). Made with Python's unicodedata: for each c, the characters of
 * NFD(c.lower()) that are not in category Mn, when that is one letter a-z. */
static const char latin_c0_24f[] =   /* U+00C0 .. U+024F: Latin-1 Supplement, Extended-A and -B */
    "aaaaaa_ceeeeiiii_nooooo__uuuuy__aaaaaa_ceeeeiiii_nooooo__uuuuy_y"
    "aaaaaaccccccccdd__eeeeeeeeeegggggggghh__iiiiiiiii___jjkk_llllll_"
    "___nnnnnn___oooooo__rrrrrrsssssssstttt__uuuuuuuuuuuuwwyyyzzzzzz_"
    "________________________________oo_____________uu_______________"
    "_____________aaiioouuuuuuuuuu_aaaa____ggkkoooo__j___gg__nnaa____"
    "aaaaeeeeiiiioooorrrruuuusstt__hh______aaeeooooooooyy____________"
    "________________";
static const char latin_1e00_1eff[] =   /* U+1E00 .. U+1EFF: Latin Extended Additional */
    "aabbbbbbccddddddddddeeeeeeeeeeffgghhhhhhhhhhiiiikkkkkkllllllllmm"
    "mmmmnnnnnnnnoooooooopppprrrrrrrrssssssssssttttttttuuuuuuuuuuvvvv"
    "wwwwwwwwwwxxxxyyzzzzzzhtwy______aaaaaaaaaaaaaaaaaaaaaaaaeeeeeeee"
    "eeeeeeeeiiiioooooooooooooooooooooooouuuuuuuuuuuuuuyyyyyyyy______";

static const struct {
    uint32_t first;
    const char *base;     /* one entry per code point from first */
    size_t n;
} latin_ranges[] = {
    {0x00c0, latin_c0_24f, sizeof latin_c0_24f - 1},
    {0x1e00, latin_1e00_1eff, sizeof latin_1e00_1eff - 1},
};

/* Combining marks (all of category Mn), dropped: Combining Diacritical Marks, their
 * Supplement, Combining Half Marks. */
static const struct {
    uint32_t first, last;
} mark_ranges[] = {{0x0300, 0x036f}, {0x1dc0, 0x1dff}, {0xfe20, 0xfe2f}};

#define DROP 0          /* a combining mark: nothing at all */
#define SEPARATOR ' '   /* anything that is not a letter, '!' or '?' */

/* What code point c stands for after lower-casing and stripping marks. */
static char fold(uint32_t c)
{
    if (c >= 'a' && c <= 'z') return (char)c;
    if (c >= 'A' && c <= 'Z') return (char)(c + 32);
    if (c == '!' || c == '?') return (char)c;
    for (size_t i = 0; i < sizeof latin_ranges / sizeof *latin_ranges; i++)
        if (c >= latin_ranges[i].first && c - latin_ranges[i].first < latin_ranges[i].n) {
            char b = latin_ranges[i].base[c - latin_ranges[i].first];
            return b == '_' ? SEPARATOR : b;
        }
    for (size_t i = 0; i < sizeof mark_ranges / sizeof *mark_ranges; i++)
        if (c >= mark_ranges[i].first && c <= mark_ranges[i].last) return DROP;
    return SEPARATOR;
}

/* The code point of the UTF-8 sequence at s; its length in *len (1 for an invalid byte, whose
 * code point is then U+FFFD: a separator). */
static uint32_t decode_utf8(const unsigned char *s, size_t avail, size_t *len)
{
    int n = jl_utf8_seq_len(s, avail);
    if (n <= 1) {
        *len = 1;
        return s[0] < 0x80 ? s[0] : 0xfffd;
    }
    uint32_t c = s[0] & (0x7f >> n);
    for (int i = 1; i < n; i++) c = (c << 6) | (s[i] & 0x3f);
    *len = (size_t)n;
    return c;
}

size_t nn_pair_normalize(const char *in, size_t len, char *out)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t k = 0, step;
    int gap = 0;                        /* a separator since the last kept character */
    for (size_t i = 0; i < len; i += step) {
        char c = fold(decode_utf8(s + i, len - i, &step));
        if (c == DROP) continue;
        if (c == SEPARATOR) {
            gap = 1;
            continue;
        }
        if (k > 0 && (gap || c == '!' || c == '?')) out[k++] = ' ';
        out[k++] = c;
        gap = 0;
    }
    out[k] = '\0';
    return k;
}
