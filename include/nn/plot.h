/* nn/plot.h — figures as PNG files: an RGB canvas with a built-in bitmap font, a libpng
 * writer, and the charts a run folder needs (loss curves, image grids, embedding scatters,
 * confusion matrices / attention heat maps, bar charts, 3-D scatters).
 *
 * Coordinates are pixels, x to the right and y down, (0, 0) the top-left corner; a pixel
 * (i, j) covers [i, i+1) x [j, j+1), so its centre is (i + 0.5, j + 0.5).
 *
 * Every chart function returns 0 on success, or -1 with a message in err (what failed and
 * for which file). Files are written to a temporary name and renamed, so a reader never sees
 * half a PNG. Nothing here keeps global state: charts may be drawn from several threads.
 */
#ifndef NN_PLOT_H
#define NN_PLOT_H

#include <stddef.h>
#include <stdint.h>

/* ---- canvas ------------------------------------------------------------------------- */
typedef struct {
    uint8_t r, g, b;
} nn_rgb;

typedef struct {
    int w, h;
    uint8_t *px;                 /* h rows of w RGB triples, row-major */
    int cx0, cy0, cx1, cy1;      /* clip rectangle [cx0, cx1) x [cy0, cy1); all drawing obeys it */
} nn_canvas;

/* Allocates a w x h canvas filled with bg; returns -1 if the size is invalid or memory runs out. */
int nn_canvas_init(nn_canvas *c, int w, int h, nn_rgb bg);
void nn_canvas_free(nn_canvas *c);
/* Limits drawing to [x0, x1) x [y0, y1) (intersected with the canvas); reset with the full size. */
void nn_canvas_clip(nn_canvas *c, int x0, int y0, int x1, int y1);
void nn_canvas_unclip(nn_canvas *c);
nn_rgb nn_canvas_get(const nn_canvas *c, int x, int y);
/* Mixes col into pixel (x, y) with opacity alpha in [0, 1]; outside the clip: nothing. */
void nn_canvas_blend(nn_canvas *c, int x, int y, nn_rgb col, float alpha);
void nn_canvas_fill_rect(nn_canvas *c, int x, int y, int w, int h, nn_rgb col);
void nn_canvas_rect(nn_canvas *c, int x, int y, int w, int h, nn_rgb col);   /* 1-px outline */
/* A segment of the given width (pixels); aa != 0 anti-aliases its edges. Clipped. */
void nn_canvas_line(nn_canvas *c, float x0, float y0, float x1, float y1, float width, nn_rgb col, int aa);
/* Connected segments through n points; a non-finite point leaves a gap. Joints are drawn once. */
void nn_canvas_polyline(nn_canvas *c, const float *xs, const float *ys, int n, float width, nn_rgb col, int aa);

typedef enum {
    NN_MARK_CIRCLE,
    NN_MARK_SQUARE,
    NN_MARK_TRIANGLE,
    NN_MARK_DIAMOND,
    NN_MARK_PLUS,
    NN_MARK_CROSS,
} nn_marker;
/* A marker of radius r centred on (x, y), drawn with opacity alpha (anti-aliased). */
void nn_canvas_marker(nn_canvas *c, float x, float y, nn_marker kind, float r, nn_rgb col, float alpha);

/* ---- bitmap font ---------------------------------------------------------------------
 * Printable ASCII (32..126) as 5x9 glyphs (7 rows above the baseline, 2 of descender) in a
 * 6 x 10 cell. Other bytes draw as '?'. scale multiplies every pixel (1 = ticks, 2 = titles). */
#define NN_FONT_GLYPH_W 5
#define NN_FONT_GLYPH_H 9
#define NN_FONT_ADVANCE 6        /* glyph width + 1 column of spacing */

/* Pixel (col, row) of character ch's glyph: 1 on, 0 off. */
int nn_font_pixel(int ch, int col, int row);
int nn_text_width(const char *s, int scale);     /* pixels, without the trailing spacing column */
int nn_text_height(int scale);                   /* NN_FONT_GLYPH_H * scale */
/* Draws s with its top-left corner at (x, y); returns the width drawn. */
int nn_canvas_text(nn_canvas *c, int x, int y, const char *s, int scale, nn_rgb col);
/* Same text rotated 90 degrees counter-clockwise (reads bottom to top, for y-axis labels);
 * (x, y) is the top-left of its nn_text_height() wide, nn_text_width() tall box. */
void nn_canvas_text_up(nn_canvas *c, int x, int y, const char *s, int scale, nn_rgb col);

typedef enum { NN_ALIGN_START, NN_ALIGN_CENTER, NN_ALIGN_END } nn_align;
/* Horizontal text placed relative to (x, y): ax left/centre/right, ay top/middle/bottom
 * (middle centres the capitals on y, so labels sit level with a tick or a row). */
void nn_canvas_text_at(nn_canvas *c, int x, int y, const char *s, int scale, nn_rgb col, nn_align ax, nn_align ay);

/* ---- PNG ------------------------------------------------------------------------------ */
/* Writes the canvas as an 8-bit RGB PNG: to "<path>.tmp.<pid>", then renamed onto path. */
int nn_png_write(const char *path, const nn_canvas *c, char *err, size_t errlen);

/* Reads an 8-bit PNG (any colour type; alpha is composed over white) into a new canvas. */
int nn_png_read(const char *path, nn_canvas *c, char *err, size_t errlen);
/* Copies src onto dst with its top-left corner at (x, y), obeying dst's clip. */
void nn_canvas_blit(nn_canvas *dst, const nn_canvas *src, int x, int y);

/* ---- axes helpers --------------------------------------------------------------------- */
/* Ticks at multiples of a 1-2-5 step (x 10^k) inside [lo, hi], about `target` intervals.
 * Writes up to cap values to ticks and the step to *step (may be NULL); returns the count.
 * 0..1 -> 0, 0.2, ..., 1; 0..37 -> 0, 10, 20, 30. lo == hi gives the one tick lo. */
int nn_nice_ticks(double lo, double hi, int target, double *ticks, int cap, double *step);
/* The same on whole numbers only (a step of at least 1): an axis of epochs 0..3 -> 0, 1, 2, 3. */
int nn_whole_ticks(double lo, double hi, int target, double *ticks, int cap, double *step);
/* Compact tick label for v on a grid of spacing step: "0.2", "30", "-1.5", "20k", "3M",
 * "1e-05" -> "1e-5". Writes at most len bytes; returns buf. */
char *nn_format_tick(double v, double step, char *buf, size_t len);

/* The series / class colours (tab10-like); i wraps around. */
nn_rgb nn_palette(int i);

/* ---- charts --------------------------------------------------------------------------- */
/* NN_STYLE_FAINT_LINE: thin and light, under the others, not in the legend (the raw values
 * under a smoothed curve). */
enum { NN_STYLE_LINE, NN_STYLE_POINTS, NN_STYLE_LINE_POINTS, NN_STYLE_FAINT_LINE };

typedef struct {
    const char *name;            /* legend entry; NULL or "" for none */
    const float *x;              /* n values, or NULL for 0, 1, ..., n-1 */
    const float *y;              /* n values; NaN/Inf (and <= 0 on a log axis) break the line */
    int n;
    int style;                   /* NN_STYLE_* */
} nn_series;

/* Line chart, 800 x 500. log_y != 0: logarithmic y axis. A legend when n_series > 1. */
int nn_plot_lines(const char *png_path, const char *title, const char *xlabel, const char *ylabel,
                  const nn_series *s, int n_series, int log_y, char *err, size_t errlen);

/* The same with series k in nn_palette(colours[k]) (colours may be NULL: series k gets colour
 * k), so that several series, e.g. the train and test loss of one run, can share a colour. */
int nn_plot_lines_coloured(const char *png_path, const char *title, const char *xlabel, const char *ylabel,
                           const nn_series *s, int n_series, const int *colours, int log_y, char *err, size_t errlen);

/* A line chart's options; zero for each default. */
typedef struct {
    const int *colours;          /* series k in nn_palette(colours[k]); NULL: colour k */
    int log_y;                   /* logarithmic y axis */
    int whole_x;                 /* x ticks at whole numbers only (epochs) */
} nn_line_options;
int nn_plot_lines_with(const char *png_path, const char *title, const char *xlabel, const char *ylabel,
                       const nn_series *s, int n_series, const nn_line_options *o, char *err, size_t errlen);

/* Image grid: images is n x channels x h x w (channels 1: grey, 3: RGB), values in [0, 1]
 * (clamped; NaN shows as black). cols images per row; row_labels (may be NULL, entries may
 * be NULL) are written left of each row; each image pixel becomes scale x scale pixels
 * (scale <= 0 picks one that makes the grid about 800 pixels wide). */
int nn_plot_image_grid(const char *png_path, const char *title, const float *images, int n, int channels,
                       int h, int w, int cols, const char *const *row_labels, int scale, char *err, size_t errlen);

/* An image grid's options; zero for each default. */
typedef struct {
    const char *const *row_labels;   /* one per row, written left of it (entries may be NULL) */
    const char *const *col_labels;   /* one per column, written above it (entries may be NULL) */
    const char *const *captions;     /* one per image, written under it (entries may be NULL) */
    const float *bars;               /* one per image: under it, a bar filled to the value in [0, 1]
                                        (clamped) of the image's width; NaN: no bar */
    int scale;                       /* as nn_plot_image_grid's */
} nn_image_grid_options;
/* The same grid with labels above the columns, and under each image a bar and a caption (an
 * attention weight, a score); o may be NULL. Cells widen to the widest caption or label. */
int nn_plot_image_grid_with(const char *png_path, const char *title, const float *images, int n, int channels,
                            int h, int w, int cols, const nn_image_grid_options *o, char *err, size_t errlen);

/* Scatter of n points xy (n x 2, interleaved) coloured by labels[i] in [0, n_classes)
 * (labels may be NULL: one colour). Legend with class_names (may be NULL: "0", "1", ...).
 * n_classes <= 0 with labels: taken as max label + 1. Non-finite points are skipped. */
int nn_plot_scatter(const char *png_path, const char *title, const float *xy, const int *labels, int n,
                    const char *const *class_names, int n_classes, const char *xlabel, const char *ylabel,
                    char *err, size_t errlen);

/* Heat map of m (rows x cols, row-major) with a colour bar; annotate != 0 writes each value
 * in its cell when it fits (integers as counts). Names may be NULL. NaN cells are grey. */
int nn_plot_heatmap(const char *png_path, const char *title, const float *m, int rows, int cols,
                    const char *const *row_names, const char *const *col_names, int annotate,
                    const char *xlabel, const char *ylabel, char *err, size_t errlen);

/* Bar chart of n values (names may be NULL: "0", "1", ...), bars from 0, 800 x 500. */
int nn_plot_bars(const char *png_path, const char *title, const char *const *names, const float *v, int n,
                 const char *ylabel, char *err, size_t errlen);

/* ---- 3-D scatter ---------------------------------------------------------------------
 * Orthographic views of points in 3-D with z vertical. A view is set by its azimuth (degrees,
 * rotation about z: 0 looks from +x towards the origin, 90 from +y) and elevation (degrees
 * above the x-y plane: 0 looks level, 90 straight down). The viewer sits in the direction
 * d = (cos el cos az, cos el sin az, sin el); the screen's right is (-sin az, cos az, 0) and
 * its up is d x right, so x, y, z stay a right-handed set on screen. */
typedef struct {
    float azimuth, elevation;    /* degrees */
} nn_view3d;

/* p (x, y, z) -> out (right, up, depth): screen coordinates in data units (up is +) and the
 * distance towards the viewer along d (larger = nearer). */
void nn_project3d(const float p[3], nn_view3d v, float out[3]);
/* order[0..n) = the indices of the n points xyz (n x 3) sorted far to near in view v, the
 * order a painter draws them in so that near points cover far ones (ties keep index order).
 * Depth is measured in the coordinates given: to match a figure, pass points scaled as it
 * shows them. Returns 0, or -1 when memory runs out. */
int nn_depth_order3d(const float *xyz, int n, nn_view3d v, int *order);

/* Scatter of n points xyz (n x 3) coloured by labels[i] in [0, n_classes) (labels may be NULL:
 * one colour; class_names and n_classes as in nn_plot_scatter), seen in n_views (1..8) views
 * side by side under one title, e.g. {{30, 20}, {120, 20}}. Each axis is scaled to its data
 * range (the box is a cube whatever the units); every view shows the box's three back panes
 * with grid lines, the x, y and z axes along box edges with ticks and labels (axis_labels may
 * be NULL: "x", "y", "z"), and its azimuth and elevation. Non-finite points are skipped. */
int nn_plot_scatter3d(const char *png_path, const char *title, const float *xyz, const int *labels, int n,
                      const char *const *class_names, int n_classes, const char *const *axis_labels,
                      const nn_view3d *views, int n_views, char *err, size_t errlen);

#endif
