/* latex_mathml.h — a small LaTeX subset to Presentation MathML (MathML Core, which Chromium
 * draws natively: no script, no network), for the equations report.html shows.
 *
 * The subset, and what each part becomes:
 *   letters, digits, + - = < > , ; : ! / * | '      <mi>, <mn>, <mo> (- as U+2212, ' as a prime)
 *   { ... }                                        a group (<mrow> when it holds several items)
 *   ( ... ), [ ... ]                               a fenced <mrow> whose fences stretch; they must pair up
 *   x_a, x^b, x_a^b                                <msub>, <msup>, <msubsup>; under/over a limit
 *                                                  operator (\sum, \prod, \max, \min, \lim)
 *   \left D ... \right D                           stretching delimiters: ( ) [ ] | \| \{ \} \lfloor
 *                                                  \rfloor \lceil \rceil \langle \rangle .
 *   \frac{a}{b}, \sqrt{a}                          <mfrac>, <msqrt>
 *   \hat \bar \tilde \overrightarrow \overleftarrow   accents (<mover accent="true">)
 *   \text{...}                                     <mtext> (\_ \{ \} \& \% \# \$ read as the character)
 *   \mathrm{...}, \operatorname{...}               an upright <mi> (letters, digits, \_, spaces, . -)
 *   \mathbb{R}, \mathcal{L}                        the letters' Unicode double-struck / script forms
 *   Greek letters, \ell \infty \partial \nabla, operators (\times \cdot \odot \in \le \sim \top
 *   \star \ldots \| ...), functions (\tanh \exp \log ...), spaces (\, \: \; \quad \qquad)
 *                                                  the table in latex_mathml.c
 *   a function (\log, \max_t, \operatorname{vec}) is parted by a thin space from an argument
 *   that is not in fences, as TeX does (\log x; \log(x) has none)
 * Anything else — an unknown command, &, \\, $, a brace or fence that does not pair up, a
 * script without a base or a second subscript — is refused with a message, never passed on. */
#ifndef NNRUN_LATEX_MATHML_H
#define NNRUN_LATEX_MATHML_H

#include <stddef.h>

/* tex as MathML elements (the content of a <math> or <mtd>, without either) into out, NUL
 * terminated; <, > and & in the text as entities. 0, or -1 with err saying what and at which
 * byte of tex (out then holds nothing usable). */
int latex_to_mathml(const char *tex, char *out, size_t outlen, char *err, size_t errlen);

#endif
