/* ydoc_compose.h — YAML text -> one libyaml document, stopped as soon as it goes too far.
 *
 * libyaml's own loader (yaml_parser_load) builds the whole document before anyone can look at
 * it: a spec of `x: [[[[...` 200000 levels deep took over a minute there, before a depth check
 * could refuse it. This composer builds the same document from the parser's events and stops
 * at the event that passes a limit: nesting deeper than YDOC_MAX_DEPTH, more than
 * YDOC_MAX_NODES nodes as written. libyaml emits events as it scans (it never runs ahead more
 * than a token or two), so a refusal costs the bytes up to that point. Anchors are found by a
 * hash table; an alias refers to the anchored node (aliases are expanded later, by the
 * loader's measure and build passes, under their own bounds). A second document is refused at
 * its start. */
#ifndef NNRUN_YDOC_COMPOSE_H
#define NNRUN_YDOC_COMPOSE_H

#include <yaml.h>
#include "diag.h"

/* A libyaml mark's 1-based column; col_shift is added on line 1 (text embedded in a longer
 * line, such as a --set value). */
static inline int ydoc_mark_col(yaml_mark_t m, int col_shift)
{
    return (int)m.column + 1 + (m.line == 0 ? col_shift : 0);
}

/* Reads p to its end into doc (initialised here). 0 with a root node, or -1 with the problem
 * reported in d at file:line:column (doc is then freed): a YAML syntax error, too deep, too
 * many nodes, an undefined or doubly defined anchor, no document at all ("empty spec") or a
 * second one. */
int ydoc_compose(yaml_parser_t *p, yaml_document_t *doc, const char *file, int col_shift, diag *d);

#endif
