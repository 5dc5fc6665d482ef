/* Internal to the plot module: a chart frame (canvas, plot area, two axes, title and axis
 * labels, grid, legend) shared by the chart functions. */
#ifndef NN_PLOT_AXES_H
#define NN_PLOT_AXES_H

#include "nn/plot.h"

#define AXIS_MAX_TICKS 40

/* Light theme shared by every chart. */
#define COL_BG     ((nn_rgb){255, 255, 255})
#define COL_GRID   ((nn_rgb){232, 232, 232})
#define COL_FRAME  ((nn_rgb){90, 90, 90})
#define COL_TEXT   ((nn_rgb){30, 30, 30})
#define COL_MUTED  ((nn_rgb){110, 110, 110})

typedef struct {
    double dlo, dhi;             /* data range to show (margins added, degenerate widened) */
    int loose;                   /* widen the shown range to the outer ticks */
    double lo, hi;               /* shown range, data units */
    int log;                     /* log10 scale (lo, hi > 0) */
    int whole;                   /* ticks at whole numbers only */
    double ticks[AXIS_MAX_TICKS];
    int n_ticks;
    double step;                 /* tick spacing (decades on a log axis), for labels */
    float p0, p1;                /* pixel positions of lo and hi */
} plot_axis;

typedef struct {
    nn_canvas cv;
    int x0, y0, x1, y1;          /* plot area [x0, x1) x [y0, y1) */
    plot_axis ax, ay;
} plot_frame;

typedef struct {
    const char *name;
    nn_rgb col;
    int line;                    /* draw a short line segment */
    int marker;                  /* draw a marker (nn_marker + 1; 0 = none) */
    int box;                     /* draw a filled square (classes, bars) */
} legend_entry;

#include "../core/fail.h"

/* Data range [lo, hi] (lo > hi: no data) -> shown range and ticks. margin: fraction of the
 * span added at both ends; loose: widen to the outer ticks. Degenerate ranges are widened. */
void axis_fit(plot_axis *a, double lo, double hi, int log, double margin, int loose);
/* (Re)computes ticks for about target intervals (and, if loose, the shown range). */
void axis_ticks(plot_axis *a, int target);
/* Data -> pixel along the axis; NaN for values a log axis cannot show. */
float axis_map(const plot_axis *a, double v);

/* Allocates a w x h white canvas. */
int frame_init(plot_frame *f, int w, int h, char *err, size_t errlen);
/* Places the plot area from the label sizes (call after axis_fit on both axes); right: extra
 * room on the right, bottom: extra room under the x tick labels (long category names).
 * Recomputes ticks so that labels do not collide. */
void frame_layout(plot_frame *f, const char *title, const char *xlabel, const char *ylabel, int right, int bottom);
/* Grid, ticks, tick labels, axis labels and title. */
void frame_draw_axes(plot_frame *f, const char *title, const char *xlabel, const char *ylabel);
void frame_draw_title(plot_frame *f, const char *title);
void frame_clip_to_plot(plot_frame *f);
/* Unclips and draws the plot area's border. */
void frame_draw_border(plot_frame *f);
void frame_no_data(plot_frame *f);
/* Legend box inside the plot area, in whichever corner hides the least of the data. */
void frame_legend(plot_frame *f, const legend_entry *e, int n);
/* Legend right of the plot area (reserve legend_width() + 12 as `right` in frame_layout). */
void frame_legend_outside(plot_frame *f, const legend_entry *e, int n);
int legend_width(const legend_entry *e, int n);
/* Writes the PNG and frees the canvas (also on failure). */
int frame_save(plot_frame *f, const char *path, char *err, size_t errlen);

#endif
