/* Charts on x/y axes: line chart (loss curves, fits, sweeps), scatter by class (embeddings),
 * bar chart (per-layer statistics). Each fits its axes to the finite data, draws the frame,
 * draws the data clipped to the plot area, then the legend, and writes the PNG. */
#include "plot_axes.h"
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define CHART_W 800
#define CHART_H 500
#define MAX_LEGEND 64

/* Smallest and largest of the usable values seen so far (lo > hi while none). */
typedef struct { double lo, hi; } range;

static range range_empty(void) { return (range){INFINITY, -INFINITY}; }
static void range_add(range *r, double v)
{
    if (v < r->lo) r->lo = v;
    if (v > r->hi) r->hi = v;
}

static int usable(float x, float y, int log_y) { return isfinite(x) && isfinite(y) && (!log_y || y > 0.0f); }

/* ---- lines --------------------------------------------------------------------------- */
static float series_x(const nn_series *s, int i) { return s->x ? s->x[i] : (float)i; }

static int check_series(const nn_series *s, int n_series, char *err, size_t errlen, const char *path)
{
    if (n_series < 0 || (n_series > 0 && !s)) return nn_fail(err, errlen, "plot %s: %d series but no series array", path, n_series);
    for (int k = 0; k < n_series; k++)
        if (s[k].n < 0 || (s[k].n > 0 && !s[k].y))
            return nn_fail(err, errlen, "plot %s: series %d ('%s') has n=%d and %s y values", path, k,
                             s[k].name ? s[k].name : "", s[k].n, s[k].y ? "some" : "no");
    return 0;
}

/* xs, ys: scratch of s->n floats each, for the pixel positions. */
static void draw_series(plot_frame *f, const nn_series *s, nn_rgb col, int log_y, float *xs, float *ys)
{
    for (int i = 0; i < s->n; i++) {
        float x = series_x(s, i), y = s->y[i];
        int ok = usable(x, y, log_y);          /* unusable points become gaps, not jumps */
        xs[i] = ok ? axis_map(&f->ax, x) : NAN;
        ys[i] = ok ? axis_map(&f->ay, y) : NAN;
    }
    int faint = s->style == NN_STYLE_FAINT_LINE;
    if (faint) col = (nn_rgb){(uint8_t)(255 - (255 - col.r) / 3), (uint8_t)(255 - (255 - col.g) / 3),
                                 (uint8_t)(255 - (255 - col.b) / 3)};   /* a third of the way from white */
    if (s->style != NN_STYLE_POINTS) nn_canvas_polyline(&f->cv, xs, ys, s->n, faint ? 1.0f : 2.0f, col, 1);
    float r = s->n > 200 ? 2.0f : 3.5f;
    int markers = s->style == NN_STYLE_POINTS || s->style == NN_STYLE_LINE_POINTS;
    for (int i = 0; markers && i < s->n; i++)
        if (isfinite(xs[i])) nn_canvas_marker(&f->cv, xs[i], ys[i], NN_MARK_CIRCLE, r, col, 1.0f);
}

int nn_plot_lines(const char *png_path, const char *title, const char *xlabel, const char *ylabel,
                  const nn_series *s, int n_series, int log_y, char *err, size_t errlen)
{
    return nn_plot_lines_coloured(png_path, title, xlabel, ylabel, s, n_series, NULL, log_y, err, errlen);
}

int nn_plot_lines_coloured(const char *png_path, const char *title, const char *xlabel, const char *ylabel,
                           const nn_series *s, int n_series, const int *colours, int log_y, char *err, size_t errlen)
{
    nn_line_options o = {colours, log_y, 0};
    return nn_plot_lines_with(png_path, title, xlabel, ylabel, s, n_series, &o, err, errlen);
}

int nn_plot_lines_with(const char *png_path, const char *title, const char *xlabel, const char *ylabel,
                       const nn_series *s, int n_series, const nn_line_options *o, char *err, size_t errlen)
{
    const int *colours = o->colours, log_y = o->log_y;
    if (!png_path || !*png_path) return nn_fail(err, errlen, "plot: no output path given");
    if (check_series(s, n_series, err, errlen, png_path)) return -1;
    range rx = range_empty(), ry = range_empty();
    int longest = 0;
    for (int k = 0; k < n_series; k++) {
        if (s[k].n > longest) longest = s[k].n;
        for (int i = 0; i < s[k].n; i++) {
            float x = series_x(&s[k], i), y = s[k].y[i];
            if (usable(x, y, log_y)) range_add(&rx, x), range_add(&ry, y);
        }
    }
    float *scratch = malloc(2 * (size_t)(longest > 0 ? longest : 1) * sizeof *scratch);
    plot_frame f;
    if (!scratch) return nn_fail(err, errlen, "plot %s: out of memory for %d points", png_path, longest);
    if (frame_init(&f, CHART_W, CHART_H, err, errlen)) { free(scratch); return -1; }
    f.ax.whole = o->whole_x;
    axis_fit(&f.ax, rx.lo, rx.hi, 0, 0.0, 1);
    axis_fit(&f.ay, ry.lo, ry.hi, log_y, 0.02, 1);
    frame_layout(&f, title, xlabel, ylabel, 0, 0);
    frame_draw_axes(&f, title, xlabel, ylabel);
    frame_clip_to_plot(&f);
    for (int pass = 1; pass >= 0; pass--)   /* the faint series first, under the rest */
        for (int k = 0; k < n_series; k++)
            if ((s[k].style == NN_STYLE_FAINT_LINE) == pass) draw_series(&f, &s[k], nn_palette(colours ? colours[k] : k), log_y, scratch, scratch + longest);
    free(scratch);
    frame_draw_border(&f);
    if (rx.lo > rx.hi) frame_no_data(&f);
    legend_entry e[MAX_LEGEND];
    char names[MAX_LEGEND][24];
    int n = 0;
    for (int k = 0; k < n_series && n < MAX_LEGEND; k++) {
        if (s[k].style == NN_STYLE_FAINT_LINE) continue;
        snprintf(names[n], sizeof names[n], "series %d", k);
        e[n] = (legend_entry){s[k].name && *s[k].name ? s[k].name : names[n], nn_palette(colours ? colours[k] : k),
                              s[k].style != NN_STYLE_POINTS, s[k].style != NN_STYLE_LINE ? NN_MARK_CIRCLE + 1 : 0, 0};
        n++;
    }
    if (n > 1) frame_legend(&f, e, n);
    return frame_save(&f, png_path, err, errlen);
}

/* ---- scatter ------------------------------------------------------------------------- */
int nn_plot_scatter(const char *png_path, const char *title, const float *xy, const int *labels, int n,
                    const char *const *class_names, int n_classes, const char *xlabel, const char *ylabel,
                    char *err, size_t errlen)
{
    if (!png_path || !*png_path) return nn_fail(err, errlen, "scatter: no output path given");
    if (n < 0 || (n > 0 && !xy)) return nn_fail(err, errlen, "scatter %s: %d points but no coordinates", png_path, n);
    if (labels && n_classes <= 0)
        for (int i = 0; i < n; i++)
            if (labels[i] + 1 > n_classes) n_classes = labels[i] + 1;
    range rx = range_empty(), ry = range_empty();
    for (int i = 0; i < n; i++)
        if (usable(xy[2 * i], xy[2 * i + 1], 0)) range_add(&rx, xy[2 * i]), range_add(&ry, xy[2 * i + 1]);
    legend_entry e[MAX_LEGEND];
    char names[MAX_LEGEND][16];
    int m = labels ? (n_classes < MAX_LEGEND ? n_classes : MAX_LEGEND) : 0;
    for (int k = 0; k < m; k++) {
        snprintf(names[k], sizeof names[k], "%d", k);
        const char *name = class_names && class_names[k] ? class_names[k] : names[k];
        e[k] = (legend_entry){name, nn_palette(k), 0, NN_MARK_CIRCLE + 1, 0};
    }
    plot_frame f;
    if (frame_init(&f, CHART_W, 560, err, errlen)) return -1;
    axis_fit(&f.ax, rx.lo, rx.hi, 0, 0.04, 0);
    axis_fit(&f.ay, ry.lo, ry.hi, 0, 0.04, 0);
    /* the legend sits outside: an embedding has no empty corner to spare */
    frame_layout(&f, title, xlabel, ylabel, m > 0 ? legend_width(e, m) + 12 : 0, 0);
    frame_draw_axes(&f, title, xlabel, ylabel);
    frame_clip_to_plot(&f);
    /* Many points: smaller and translucent so that dense clusters still show their shape. */
    float r = n <= 500 ? 3.5f : n <= 5000 ? 2.5f : 1.6f, alpha = n <= 500 ? 0.9f : n <= 5000 ? 0.7f : 0.5f;
    for (int i = 0; i < n; i++) {
        int l = labels ? labels[i] : 0;
        nn_rgb col = l >= 0 && (!labels || l < n_classes) ? nn_palette(l) : (nn_rgb){60, 60, 60};
        nn_canvas_marker(&f.cv, axis_map(&f.ax, xy[2 * i]), axis_map(&f.ay, xy[2 * i + 1]), NN_MARK_CIRCLE, r, col, alpha);
    }
    frame_draw_border(&f);
    if (rx.lo > rx.hi) frame_no_data(&f);
    if (m > 0) frame_legend_outside(&f, e, m);
    return frame_save(&f, png_path, err, errlen);
}

/* ---- bars ---------------------------------------------------------------------------- */
static const char *bar_name(const char *const *names, int k, char *buf, size_t len)
{
    if (names && names[k]) return names[k];
    snprintf(buf, len, "%d", k);
    return buf;
}

int nn_plot_bars(const char *png_path, const char *title, const char *const *names, const float *v, int n,
                 const char *ylabel, char *err, size_t errlen)
{
    if (!png_path || !*png_path) return nn_fail(err, errlen, "bars: no output path given");
    if (n < 0 || (n > 0 && !v)) return nn_fail(err, errlen, "bars %s: %d values but no value array", png_path, n);
    range ry = {0.0, 0.0};       /* bars start at 0, so 0 is always shown */
    int any = 0;
    for (int k = 0; k < n; k++)
        if (isfinite(v[k])) range_add(&ry, v[k]), any = 1;
    plot_frame f;
    if (frame_init(&f, CHART_W, CHART_H, err, errlen)) return -1;
    char buf[16];
    int widest = 0;
    for (int k = 0; k < n; k++) {
        int w = nn_text_width(bar_name(names, k, buf, sizeof buf), 1);
        if (w > widest) widest = w;
    }
    axis_fit(&f.ax, 0.0, n > 0 ? n : 1, 0, 0.0, 0);
    double span = ry.hi - ry.lo > 0 ? ry.hi - ry.lo : 1.0;   /* headroom for the value labels */
    axis_fit(&f.ay, ry.lo < 0 ? ry.lo - 0.06 * span : 0.0, ry.hi > 0 || ry.lo == ry.hi ? ry.hi + 0.06 * span : 0.0, 0, 0.0, 1);
    int slot_guess = n > 0 ? (CHART_W - 120) / n : CHART_W;
    int vertical = widest + 6 > slot_guess;      /* long names stand up under their bar */
    frame_layout(&f, title, NULL, ylabel, 0, vertical ? widest - nn_text_height(1) : 0);
    f.ax.n_ticks = 0;                            /* categories, not numbers */
    frame_draw_axes(&f, title, NULL, ylabel);
    float slot = (float)(f.x1 - f.x0) / (n > 0 ? n : 1);
    int y_zero = (int)lroundf(axis_map(&f.ay, 0.0));
    for (int k = 0; k < n; k++) {
        float cx = f.x0 + slot * (k + 0.5f);
        const char *name = bar_name(names, k, buf, sizeof buf);
        if (vertical)
            nn_canvas_text_up(&f.cv, (int)cx - nn_text_height(1) / 2, f.y1 + 6, name, 1, COL_TEXT);
        else
            nn_canvas_text_at(&f.cv, (int)cx, f.y1 + 6, name, 1, COL_TEXT, NN_ALIGN_CENTER, NN_ALIGN_START);
        if (!isfinite(v[k])) continue;
        int top = (int)lroundf(axis_map(&f.ay, v[k])), bw = (int)(slot * 0.7f);
        if (bw < 1) bw = 1;
        int y0 = top < y_zero ? top : y_zero, h = abs(top - y_zero);
        frame_clip_to_plot(&f);
        nn_canvas_fill_rect(&f.cv, (int)(cx - bw / 2.0f), y0, bw, h > 0 ? h : 1, nn_palette(0));
        nn_canvas_unclip(&f.cv);
        char val[32];
        snprintf(val, sizeof val, "%.3g", v[k]);
        if (nn_text_width(val, 1) + 4 < slot) {
            int ty = v[k] >= 0 ? y0 - 4 - nn_text_height(1) + 2 : y0 + h + 4;
            nn_canvas_text_at(&f.cv, (int)cx, ty, val, 1, COL_MUTED, NN_ALIGN_CENTER, NN_ALIGN_START);
        }
    }
    frame_clip_to_plot(&f);
    nn_canvas_fill_rect(&f.cv, f.x0, y_zero, f.x1 - f.x0, 1, COL_FRAME);
    frame_draw_border(&f);
    if (!any) frame_no_data(&f);
    return frame_save(&f, png_path, err, errlen);
}
