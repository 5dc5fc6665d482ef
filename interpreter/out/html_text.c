/* Text as HTML: the characters markup gives a meaning, as entities. */
#include "html_text.h"
#include <string.h>

static const char *entity(char c)
{
    switch (c) {
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '&': return "&amp;";
    case '"': return "&quot;";
    default: return NULL;
    }
}

void html_write(FILE *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n && s[i]; i++) {
        const char *e = entity(s[i]);
        if (e) fputs(e, f);
        else fputc(s[i], f);
    }
}

const char *html_escaped(const char *s, char *buf, size_t len)
{
    size_t k = 0;
    for (; *s && len; s++) {
        const char *e = entity(*s);
        size_t need = e ? strlen(e) : 1;
        if (k + need >= len) break;
        if (e) memcpy(buf + k, e, need);
        else buf[k] = *s;
        k += need;
    }
    if (len) buf[k] = 0;
    return buf;
}
