/* html_text.h — text put into report.html and compare.html: <, >, & and " as entities. */
#ifndef NNRUN_HTML_TEXT_H
#define NNRUN_HTML_TEXT_H

#include <stddef.h>
#include <stdio.h>

/* The first n bytes of s (or up to its end) to f. */
void html_write(FILE *f, const char *s, size_t n);
/* s into buf (cut at len, whole entities only); returns buf. */
const char *html_escaped(const char *s, char *buf, size_t len);

#endif
