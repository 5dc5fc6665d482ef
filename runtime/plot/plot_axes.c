/* The chart frame: layout of title, axis labels and tick labels around a plot area; grid,
 * ticks, border, legend, "no data", and saving. Charts fit the axes to their data, lay the
 * frame out, draw the axes, clip to the plot area to draw data, then add border and legend. */
#include "plot_axes.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define TICK_LEN 5
#define PAD 10

/* ---- axes ---------------------------------------------------------------------------- */
void axis_fit(plot_axis *a, double lo, double hi, int log, double margin, int loose)
{
    a->log = log;
    a->loose = loose;
    if (!(lo <= hi) || !isfinite(lo) || !isfinite(hi)) lo = log ? 1.0 : 0.0, hi = log ? 10.0 : 1.0, margin = 0.0;
    if (log) {       /* widths and margins are ratios on a log axis */
        double L0 = log10(lo), L1 = log10(hi);
        if (L0 == L1) L0 -= 0.5, L1 += 0.5;
        double m = (L1 - L0) * margin;
        a->dlo = pow(10.0, L0 - m), a->dhi = pow(10.0, L1 + m);
    } else {
        if (lo == hi) {
            double d = lo == 0.0 ? 1.0 : fabs(lo) * 0.1;
            lo -= d, hi += d;
        }
        double m = (hi - lo) * margin;
        a->dlo = lo - m, a->dhi = hi + m;
    }
    a->p0 = 0.0f, a->p1 = 1.0f;
    axis_ticks(a, 6);
}

/* Largest of 1, 2, 5 x 10^k at or below v (down) or smallest at or above v (up). */
static double log_snap(double v, int up)
{
    double dec = pow(10.0, floor(log10(v) + 1e-9));
    static const double m[4] = {1.0, 2.0, 5.0, 10.0};
    if (up) {
        for (int k = 0; k < 4; k++) if (m[k] * dec >= v * (1 - 1e-9)) return m[k] * dec;
        return 10.0 * dec;
    }
    for (int k = 3; k >= 0; k--) if (m[k] * dec <= v * (1 + 1e-9)) return m[k] * dec;
    return dec;
}

static void log_ticks(plot_axis *a, int target)
{
    double L0 = floor(log10(a->dlo) + 1e-9), L1 = ceil(log10(a->dhi) - 1e-9);
    if (L1 <= L0) L1 = L0 + 1;
    int few = (L1 - L0) <= 2;    /* short ranges also get 2x and 5x ticks, and snap to them */
    if (a->loose && few) a->lo = log_snap(a->dlo, 0), a->hi = log_snap(a->dhi, 1);
    else if (a->loose) a->lo = pow(10.0, L0), a->hi = pow(10.0, L1);
    else a->lo = a->dlo, a->hi = a->dhi;
    int k = (int)ceil((L1 - L0) / (target < 1 ? 1 : target));
    if (k < 1) k = 1;
    a->n_ticks = 0;
    for (double e = L0; e <= L1 && a->n_ticks < AXIS_MAX_TICKS; e += k)
        for (int m = 1; m <= 5 && a->n_ticks < AXIS_MAX_TICKS; m += (m == 1 ? 1 : 3)) {
            if (m > 1 && !few) break;
            double v = m * pow(10.0, e);
            if (v >= a->lo * (1 - 1e-9) && v <= a->hi * (1 + 1e-9)) a->ticks[a->n_ticks++] = v;
        }
    a->step = 0.0;               /* labels use each tick's own magnitude */
}

void axis_ticks(plot_axis *a, int target)
{
    if (a->log) { log_ticks(a, target); return; }
    double step;
    int (*ticks)(double, double, int, double *, int, double *) = a->whole ? nn_whole_ticks : nn_nice_ticks;
    ticks(a->dlo, a->dhi, target, a->ticks, AXIS_MAX_TICKS, &step);
    a->lo = a->dlo, a->hi = a->dhi;
    if (a->loose) {              /* the widened range has the same step, ticks at both ends */
        a->lo = floor(a->dlo / step + 1e-9) * step;
        a->hi = ceil(a->dhi / step - 1e-9) * step;
    }
    a->n_ticks = ticks(a->lo, a->hi, target, a->ticks, AXIS_MAX_TICKS, &a->step);
}

float axis_map(const plot_axis *a, double v)
{
    double t;
    if (a->log) {
        if (!(v > 0.0)) return NAN;
        t = (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo));
    } else t = (v - a->lo) / (a->hi - a->lo);
    if (!isfinite(t)) return NAN;
    if (t < -1e4) t = -1e4;      /* far outside: keep float maths sane, the clip does the rest */
    if (t > 1e4) t = 1e4;
    return (float)(a->p0 + t * (a->p1 - a->p0));
}

static void tick_label(const plot_axis *a, double v, char *buf, size_t len)
{
    nn_format_tick(v, a->log ? v : a->step, buf, len);
}

static int widest_tick_label(const plot_axis *a)
{
    int w = 0;
    char buf[32];
    for (int k = 0; k < a->n_ticks; k++) {
        tick_label(a, a->ticks[k], buf, sizeof buf);
        int tw = nn_text_width(buf, 1);
        if (tw > w) w = tw;
    }
    return w;
}

/* ---- frame --------------------------------------------------------------------------- */
int frame_init(plot_frame *f, int w, int h, char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    if (nn_canvas_init(&f->cv, w, h, COL_BG) != 0)
        return nn_fail(err, errlen, "out of memory for a %d x %d figure", w, h);
    return 0;
}

static int has(const char *s) { return s && *s; }

void frame_layout(plot_frame *f, const char *title, const char *xlabel, const char *ylabel, int right, int bottom)
{
    int th = nn_text_height(1);
    f->y0 = has(title) ? PAD + nn_text_height(2) + 14 : PAD + 8;
    f->y1 = f->cv.h - (PAD + TICK_LEN + 6 + th + bottom + (has(xlabel) ? 10 + th : 0));
    axis_ticks(&f->ay, (f->y1 - f->y0) / 55);
    f->x0 = PAD + 4 + (has(ylabel) ? th + 10 : 0) + widest_tick_label(&f->ay) + 6 + TICK_LEN;
    f->x1 = f->cv.w - PAD - 12 - right;
    if (f->x1 < f->x0 + 10) f->x1 = f->x0 + 10;
    if (f->y1 < f->y0 + 10) f->y1 = f->y0 + 10;
    /* fewer x ticks until their labels have room to breathe */
    for (int target = (f->x1 - f->x0) / 80; target >= 1; target--) {
        axis_ticks(&f->ax, target);
        int room = f->ax.n_ticks > 1 ? (f->x1 - f->x0) / (f->ax.n_ticks - 1) : f->x1 - f->x0;
        if (widest_tick_label(&f->ax) + 12 <= room) break;
    }
    /* the ends of the range map to the centres of the edge pixels, so edge ticks show */
    f->ax.p0 = f->x0 + 0.5f, f->ax.p1 = f->x1 - 0.5f;
    f->ay.p0 = f->y1 - 0.5f, f->ay.p1 = f->y0 + 0.5f;
}

/* At twice the tick labels' size, or at their size when that would not fit the canvas (a long
 * title, such as a projection's description, is then shown whole). */
void frame_draw_title(plot_frame *f, const char *title)
{
    if (!has(title)) return;
    int scale = nn_text_width(title, 2) <= f->cv.w - 2 * PAD ? 2 : 1, cx = f->cv.w / 2;
    if (nn_text_width(title, scale) < f->cv.w - 2 * PAD) cx = (f->x0 + f->x1) / 2;   /* over the plot */
    int w = nn_text_width(title, scale);
    if (cx - w / 2 < PAD) cx = PAD + w / 2;
    nn_canvas_text_at(&f->cv, cx, PAD + (scale == 1 ? nn_text_height(1) / 2 : 0), title, scale, COL_TEXT, NN_ALIGN_CENTER,
                      NN_ALIGN_START);
}

void frame_draw_axes(plot_frame *f, const char *title, const char *xlabel, const char *ylabel)
{
    nn_canvas *c = &f->cv;
    char buf[32];
    for (int k = 0; k < f->ax.n_ticks; k++) {
        int x = (int)floorf(axis_map(&f->ax, f->ax.ticks[k]));
        if (x < f->x0 || x >= f->x1) continue;
        nn_canvas_fill_rect(c, x, f->y0, 1, f->y1 - f->y0, COL_GRID);
        nn_canvas_fill_rect(c, x, f->y1, 1, TICK_LEN, COL_FRAME);
        tick_label(&f->ax, f->ax.ticks[k], buf, sizeof buf);
        nn_canvas_text_at(c, x + 1, f->y1 + TICK_LEN + 4, buf, 1, COL_TEXT, NN_ALIGN_CENTER, NN_ALIGN_START);
    }
    for (int k = 0; k < f->ay.n_ticks; k++) {
        int y = (int)floorf(axis_map(&f->ay, f->ay.ticks[k]));
        if (y < f->y0 || y >= f->y1) continue;
        nn_canvas_fill_rect(c, f->x0, y, f->x1 - f->x0, 1, COL_GRID);
        nn_canvas_fill_rect(c, f->x0 - TICK_LEN, y, TICK_LEN, 1, COL_FRAME);
        tick_label(&f->ay, f->ay.ticks[k], buf, sizeof buf);
        nn_canvas_text_at(c, f->x0 - TICK_LEN - 4, y + 1, buf, 1, COL_TEXT, NN_ALIGN_END, NN_ALIGN_CENTER);
    }
    if (has(xlabel))
        nn_canvas_text_at(c, (f->x0 + f->x1) / 2, c->h - PAD, xlabel, 1, COL_TEXT, NN_ALIGN_CENTER, NN_ALIGN_END);
    if (has(ylabel)) {
        int len = nn_text_width(ylabel, 1);
        nn_canvas_text_up(c, PAD + 2, (f->y0 + f->y1) / 2 - len / 2, ylabel, 1, COL_TEXT);
    }
    frame_draw_title(f, title);
}

void frame_clip_to_plot(plot_frame *f) { nn_canvas_clip(&f->cv, f->x0, f->y0, f->x1, f->y1); }

void frame_draw_border(plot_frame *f)
{
    nn_canvas_unclip(&f->cv);
    nn_canvas_rect(&f->cv, f->x0 - 1, f->y0 - 1, f->x1 - f->x0 + 2, f->y1 - f->y0 + 2, COL_FRAME);
}

void frame_no_data(plot_frame *f)
{
    nn_canvas_text_at(&f->cv, (f->x0 + f->x1) / 2, (f->y0 + f->y1) / 2, "no data", 2, COL_MUTED, NN_ALIGN_CENTER,
                      NN_ALIGN_CENTER);
}

/* ---- legend -------------------------------------------------------------------------- */
#define LEG_ROW 15
#define LEG_SAMPLE 22

static int is_background(nn_rgb p)
{
    return (p.r == 255 && p.g == 255 && p.b == 255) || (p.r == COL_GRID.r && p.g == COL_GRID.g && p.b == COL_GRID.b);
}

/* Pixels of data under the rectangle (sampled every other pixel: this only ranks corners). */
static long ink_under(const nn_canvas *c, int x, int y, int w, int h)
{
    long n = 0;
    for (int j = y; j < y + h; j += 2)
        for (int i = x; i < x + w; i += 2) n += !is_background(nn_canvas_get(c, i, j));
    return n;
}

static void legend_sample(nn_canvas *c, const legend_entry *e, int x, int y)
{
    int cy = y + LEG_ROW / 2;
    if (e->box) nn_canvas_fill_rect(c, x + LEG_SAMPLE / 2 - 5, cy - 5, 10, 10, e->col);
    if (e->line) nn_canvas_line(c, (float)x, cy + 0.5f, (float)(x + LEG_SAMPLE), cy + 0.5f, 2.0f, e->col, 1);
    if (e->marker) nn_canvas_marker(c, x + LEG_SAMPLE / 2.0f, cy + 0.5f, (nn_marker)(e->marker - 1), 3.5f, e->col, 1.0f);
}

static int legend_rows(const plot_frame *f, int n)
{
    int max_rows = (f->y1 - f->y0 - 20) / LEG_ROW;
    return n < max_rows ? n : max_rows;
}

int legend_width(const legend_entry *e, int n)
{
    int tw = 0;
    for (int k = 0; k < n; k++) {
        int w = nn_text_width(e[k].name ? e[k].name : "", 1);
        if (w > tw) tw = w;
    }
    return 8 + LEG_SAMPLE + 6 + tw + 8;
}

static void legend_box(plot_frame *f, const legend_entry *e, int n, int rows, int x, int y)
{
    nn_canvas *c = &f->cv;
    int bw = legend_width(e, rows), bh = rows * LEG_ROW + 8;
    for (int j = y; j < y + bh; j++)
        for (int i = x; i < x + bw; i++) nn_canvas_blend(c, i, j, COL_BG, 0.88f);
    nn_canvas_rect(c, x, y, bw, bh, (nn_rgb){200, 200, 200});
    for (int k = 0; k < rows; k++) {
        int ry = y + 4 + k * LEG_ROW;
        const char *name = e[k].name ? e[k].name : "";
        if (k == rows - 1 && rows < n) name = "...";
        legend_sample(c, &e[k], x + 8, ry);
        nn_canvas_text_at(c, x + 8 + LEG_SAMPLE + 6, ry + LEG_ROW / 2 + 1, name, 1, COL_TEXT, NN_ALIGN_START,
                          NN_ALIGN_CENTER);
    }
}

void frame_legend(plot_frame *f, const legend_entry *e, int n)
{
    int rows = legend_rows(f, n);
    if (rows <= 0) return;
    int bw = legend_width(e, rows), bh = rows * LEG_ROW + 8;
    int xs[4] = {f->x1 - 8 - bw, f->x0 + 8, f->x1 - 8 - bw, f->x0 + 8};
    int ys[4] = {f->y0 + 8, f->y0 + 8, f->y1 - 8 - bh, f->y1 - 8 - bh};
    int best = 0;
    long least = -1;
    for (int k = 0; k < 4; k++) {
        long ink = ink_under(&f->cv, xs[k], ys[k], bw, bh);
        if (least < 0 || ink < least) least = ink, best = k;
    }
    nn_canvas_clip(&f->cv, f->x0, f->y0, f->x1, f->y1);
    legend_box(f, e, n, rows, xs[best], ys[best]);
    nn_canvas_unclip(&f->cv);
}

void frame_legend_outside(plot_frame *f, const legend_entry *e, int n)
{
    int rows = legend_rows(f, n);
    if (rows > 0) legend_box(f, e, n, rows, f->x1 + 12, f->y0);
}

int frame_save(plot_frame *f, const char *path, char *err, size_t errlen)
{
    int rc = nn_png_write(path, &f->cv, err, errlen);
    nn_canvas_free(&f->cv);
    return rc;
}
