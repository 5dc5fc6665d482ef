/* YAML events -> a libyaml document under the depth and node limits (ydoc_compose.h). */
#include "ydoc_compose.h"
#include "ydoc.h"
#include "ystrtab.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    yaml_document_t *doc;
    const char *file;
    int col_shift;
    diag *d;
    int open[YDOC_MAX_DEPTH];   /* the collections being read, outermost first */
    int key[YDOC_MAX_DEPTH];    /* per open mapping: its key waiting for a value, or 0 */
    int depth;                  /* open collections */
    long nodes;
    int documents;
    ystrtab anchors;            /* name -> node id */
} composer;

static int fail_at(composer *c, yaml_mark_t m, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail_at(composer *c, yaml_mark_t m, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    diag_error_at(c->d, c->file, (int)m.line + 1, ydoc_mark_col(m, c->col_shift), "%s", msg);
    return -1;
}

static int out_of_memory(composer *c)
{
    diag_error_at(c->d, c->file, 0, 0, "out of memory while reading YAML");
    return -1;
}

static void report_parser_error(const yaml_parser_t *p, const char *file, int shift, diag *d)
{
    const char *problem = p->problem ? p->problem : "malformed YAML";
    if (p->error == YAML_MEMORY_ERROR) {
        diag_error_at(d, file, 0, 0, "out of memory while reading YAML");
    } else if (p->error == YAML_READER_ERROR) {
        diag_error_at(d, file, 0, 0, "%s at byte offset %zu (is the file UTF-8 text?)", problem, p->problem_offset);
    } else if (p->context) {
        diag_error_at(d, file, (int)p->problem_mark.line + 1, ydoc_mark_col(p->problem_mark, shift),
                      "%s (%s that started at line %d, column %d)", problem, p->context,
                      (int)p->context_mark.line + 1, ydoc_mark_col(p->context_mark, shift));
    } else {
        diag_error_at(d, file, (int)p->problem_mark.line + 1, ydoc_mark_col(p->problem_mark, shift), "%s", problem);
    }
}

/* Puts node id into the innermost open collection: a sequence's next item, a mapping's key or
 * the value of the key before it. The first node of all is the document's root. */
static int attach(composer *c, int id)
{
    if (c->depth == 0) return 0;
    int parent = c->open[c->depth - 1], *key = &c->key[c->depth - 1];
    int ok;
    if (yaml_document_get_node(c->doc, parent)->type == YAML_SEQUENCE_NODE) {
        ok = yaml_document_append_sequence_item(c->doc, parent, id);
    } else if (!*key) {
        *key = id;
        ok = 1;
    } else {
        ok = yaml_document_append_mapping_pair(c->doc, parent, *key, id);
        *key = 0;
    }
    return ok ? 0 : out_of_memory(c);
}

static int register_anchor(composer *c, const yaml_char_t *anchor, int id, yaml_mark_t at)
{
    int first;
    int rc = ystrtab_add(&c->anchors, (const char *)anchor, id, &first);
    if (rc < 0) return out_of_memory(c);
    if (rc == 0) {
        yaml_mark_t m = yaml_document_get_node(c->doc, first)->start_mark;
        return fail_at(c, at, "anchor '&%s' is defined twice (first at line %d, column %d)", (const char *)anchor,
                       (int)m.line + 1, ydoc_mark_col(m, c->col_shift));
    }
    return 0;
}

/* A scalar, or the start of a sequence or mapping: a new node at the current depth. */
static int add_node(composer *c, const yaml_event_t *e)
{
    yaml_mark_t at = e->start_mark;
    if (c->depth >= YDOC_MAX_DEPTH)
        return fail_at(c, at, "nesting deeper than %d levels (lists and mappings inside each other)", YDOC_MAX_DEPTH);
    if (++c->nodes > YDOC_MAX_NODES)
        return fail_at(c, at, "more than %d values (keys, items and scalars): too large for a spec", YDOC_MAX_NODES);
    int id = 0;
    const yaml_char_t *anchor = NULL;
    if (e->type == YAML_SCALAR_EVENT) {
        id = yaml_document_add_scalar(c->doc, NULL, e->data.scalar.value, (int)e->data.scalar.length,
                                      e->data.scalar.style);
        anchor = e->data.scalar.anchor;
    } else if (e->type == YAML_SEQUENCE_START_EVENT) {
        id = yaml_document_add_sequence(c->doc, NULL, e->data.sequence_start.style);
        anchor = e->data.sequence_start.anchor;
    } else {
        id = yaml_document_add_mapping(c->doc, NULL, e->data.mapping_start.style);
        anchor = e->data.mapping_start.anchor;
    }
    if (!id) return out_of_memory(c);
    yaml_node_t *n = yaml_document_get_node(c->doc, id);
    n->start_mark = n->end_mark = at;
    /* an anchor is known from its node's start on, so an alias inside it is a cycle that the
     * loader's measure pass reports */
    if ((anchor && register_anchor(c, anchor, id, at) < 0) || attach(c, id) < 0) return -1;
    if (e->type != YAML_SCALAR_EVENT) {
        c->open[c->depth] = id;
        c->key[c->depth++] = 0;
    }
    return 0;
}

static int add_alias(composer *c, const yaml_event_t *e)
{
    int id = ystrtab_get(&c->anchors, (const char *)e->data.alias.anchor);
    if (id < 0)
        return fail_at(c, e->start_mark, "alias '*%s' names no anchor defined before it", (const char *)e->data.alias.anchor);
    return attach(c, id);
}

static int take_event(composer *c, const yaml_event_t *e)
{
    switch (e->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (c->documents++)
            return fail_at(c, e->start_mark, "a second YAML document starts here; a spec file holds exactly one document");
        return 0;
    case YAML_SCALAR_EVENT:
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: return add_node(c, e);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: c->depth--; return 0;
    case YAML_ALIAS_EVENT: return add_alias(c, e);
    default: return 0;   /* stream start and end, document end */
    }
}

int ydoc_compose(yaml_parser_t *p, yaml_document_t *doc, const char *file, int col_shift, diag *d)
{
    if (!yaml_document_initialize(doc, NULL, NULL, NULL, 1, 1)) {
        diag_error_at(d, file, 0, 0, "out of memory while reading YAML");
        return -1;
    }
    composer c = {.doc = doc, .file = file, .col_shift = col_shift, .d = d};
    int rc = 0;
    for (int end = 0; rc == 0 && !end;) {
        yaml_event_t e;
        if (!yaml_parser_parse(p, &e)) {
            report_parser_error(p, file, col_shift, d);
            rc = -1;
            break;
        }
        rc = take_event(&c, &e);
        end = e.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&e);
    }
    if (rc == 0 && !yaml_document_get_root_node(doc)) {
        diag_error_at(d, file, 1, 1 + col_shift, "empty spec");
        rc = -1;
    }
    ystrtab_free(&c.anchors);
    if (rc < 0) yaml_document_delete(doc);
    return rc;
}
