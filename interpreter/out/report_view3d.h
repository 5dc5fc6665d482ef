/* report_view3d.h — the interactive 3-D view of a 3-unit embedding in report.html: a <canvas>
 * the reader rotates (drag), zooms (wheel) and resets (double-click), with the codes inlined as
 * JSON, so the page still works from file:// with no network and no library. */
#ifndef NNRUN_REPORT_VIEW3D_H
#define NNRUN_REPORT_VIEW3D_H

#include <stdio.h>

/* A page stays small and the browser fast: only the first this many codes are shown. */
#define REPORT_VIEW3D_MAX_POINTS 2000
#define REPORT_VIEW3D_AXIS_LEN 80

typedef struct report_view3d {
    int n;              /* points written: the finite codes among the first n_kept */
    int n_codes;        /* codes of the evaluation set */
    int n_kept;         /* min(n_codes, REPORT_VIEW3D_MAX_POINTS) */
    int n_skipped;      /* of the first n_kept, codes with a NaN or Inf coordinate (not shown) */
    int n_classes;      /* legend entries; 0: no classes, every point in one colour */
    float *xyz;         /* [n, 3] */
    int *label;         /* [n]; outside [0, n_classes) drawn grey, as in the PNG */
    char axis[3][REPORT_VIEW3D_AXIS_LEN];   /* "code unit 1", "code unit 2", "code unit 3" */
} report_view3d;

/* Copies the first REPORT_VIEW3D_MAX_POINTS of n codes (n x 3) and their labels (NULL or
 * n_classes <= 0: no classes), skipping non-finite codes; axes named "<layer> unit i" (i from 1, as in the PNG). NULL when
 * out of memory. */
report_view3d *report_view3d_new(const float *codes, const int *labels, int n, int n_classes, const char *layer);
void report_view3d_free(report_view3d *v);

/* The script every view shares (defines nnView3d); once per page, before any view. */
void report_view3d_write_script(FILE *f);
/* One view as a <figure>: canvas id "view3d-<id>", its legend, a caption saying how many
 * codes it shows, and the data as JSON in <script type="application/json" id="view3d-<id>-data">
 * holding {"axes": [3 names], "colours": ["#rrggbb" per class], "points": [[x, y, z, label]...]}
 * with 4 significant digits. */
void report_view3d_write(FILE *f, const report_view3d *v, int id);

#endif
