/* Heat map with a colour bar: confusion matrices (annotated counts) and attention weights.
 * The canvas size follows the matrix: square cells of up to 48 pixels, at least 1. */
#include "plot_axes.h"
#include <math.h>
#include <stdio.h>

#define BAR_W 16
#define MARGIN 10

/* A perceptually ordered dark-blue -> green -> yellow map (viridis-like), 9 anchors. */
static nn_rgb colormap(float t)
{
    static const float anchors[9][3] = {
        {68, 1, 84}, {71, 44, 122}, {59, 81, 139}, {44, 113, 142}, {33, 144, 141},
        {39, 173, 129}, {92, 200, 99}, {170, 220, 50}, {253, 231, 37},
    };
    if (!(t >= 0.0f)) t = 0.0f;
    if (t > 1.0f) t = 1.0f;
    float u = t * 8.0f;
    int k = (int)u < 8 ? (int)u : 7;
    float w = u - (float)k;
    const float *a = anchors[k], *b = anchors[k + 1];
    return (nn_rgb){(uint8_t)(a[0] + (b[0] - a[0]) * w + 0.5f), (uint8_t)(a[1] + (b[1] - a[1]) * w + 0.5f),
                    (uint8_t)(a[2] + (b[2] - a[2]) * w + 0.5f)};
}

typedef struct {
    float lo, hi;                /* finite min and max */
    int integral;                /* every finite value is a whole number (counts) */
} value_stats;

static value_stats stats_of(const float *m, size_t n)
{
    value_stats s = {INFINITY, -INFINITY, 1};
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(m[i])) continue;
        if (m[i] < s.lo) s.lo = m[i];
        if (m[i] > s.hi) s.hi = m[i];
        if (m[i] != floorf(m[i]) || fabsf(m[i]) > 1e7f) s.integral = 0;
    }
    return s;
}

static float shade(const value_stats *s, float v) { return s->hi > s->lo ? (v - s->lo) / (s->hi - s->lo) : 0.5f; }

static const char *name_at(const char *const *names, int k, char *buf, size_t len)
{
    if (names && names[k]) return names[k];
    snprintf(buf, len, "%d", k);
    return buf;
}

static int widest_name(const char *const *names, int n)
{
    char buf[16];
    int w = 0;
    for (int k = 0; k < n; k++) {
        int tw = nn_text_width(name_at(names, k, buf, sizeof buf), 1);
        if (tw > w) w = tw;
    }
    return w;
}

/* Every how many labels to write so that neighbours do not overlap. */
static int label_stride(int need, int cell) { return need <= cell ? 1 : (need + cell - 1) / cell; }

typedef struct {
    int gx, gy, cell;            /* grid origin and cell size, pixels */
    int rows, cols;
    int cols_vertical;           /* column names stand up */
} grid_layout;

static void draw_cells(nn_canvas *c, const grid_layout *g, const float *m, const value_stats *s, int annotate)
{
    char buf[32];
    int th = nn_text_height(1);
    for (int r = 0; r < g->rows; r++)
        for (int q = 0; q < g->cols; q++) {
            float v = m[(size_t)r * g->cols + q];
            int x = g->gx + q * g->cell, y = g->gy + r * g->cell;
            nn_rgb col = isfinite(v) ? colormap(shade(s, v)) : (nn_rgb){200, 200, 200};
            nn_canvas_fill_rect(c, x, y, g->cell, g->cell, col);
            if (!annotate || !isfinite(v)) continue;
            if (s->integral) snprintf(buf, sizeof buf, "%.0f", v);
            else snprintf(buf, sizeof buf, fabsf(v) < 100 ? "%.2f" : "%.3g", v);
            if (nn_text_width(buf, 1) + 4 > g->cell || th + 4 > g->cell) continue;
            float lum = 0.299f * col.r + 0.587f * col.g + 0.114f * col.b;
            nn_rgb ink = lum < 140 ? (nn_rgb){255, 255, 255} : COL_TEXT;
            nn_canvas_text_at(c, x + g->cell / 2 + 1, y + g->cell / 2 + 1, buf, 1, ink, NN_ALIGN_CENTER, NN_ALIGN_CENTER);
        }
}

static void draw_names(nn_canvas *c, const grid_layout *g, const char *const *row_names, const char *const *col_names)
{
    char buf[16];
    int th = nn_text_height(1);
    int rs = label_stride(th + 2, g->cell);
    for (int r = 0; r < g->rows; r += rs)
        nn_canvas_text_at(c, g->gx - 6, g->gy + r * g->cell + g->cell / 2 + 1, name_at(row_names, r, buf, sizeof buf), 1,
                          COL_TEXT, NN_ALIGN_END, NN_ALIGN_CENTER);
    int need = g->cols_vertical ? th + 2 : widest_name(col_names, g->cols) + 6;
    int cs = label_stride(need, g->cell);
    for (int q = 0; q < g->cols; q += cs) {
        const char *name = name_at(col_names, q, buf, sizeof buf);
        int cx = g->gx + q * g->cell + g->cell / 2;
        if (g->cols_vertical) nn_canvas_text_up(c, cx - th / 2, g->gy + g->rows * g->cell + 6, name, 1, COL_TEXT);
        else nn_canvas_text_at(c, cx + 1, g->gy + g->rows * g->cell + 6, name, 1, COL_TEXT, NN_ALIGN_CENTER, NN_ALIGN_START);
    }
}

/* Vertical colour bar at x with the value ticks on its right; returns nothing. */
static void draw_colour_bar(nn_canvas *c, int x, int y, int h, const value_stats *s)
{
    plot_axis a;
    axis_fit(&a, s->lo, s->hi, 0, 0.0, 0);
    axis_ticks(&a, h / 40 > 2 ? h / 40 : 2);
    a.p0 = y + h - 0.5f, a.p1 = y + 0.5f;
    for (int j = 0; j < h; j++) {
        double v = a.lo + (a.hi - a.lo) * (h - 0.5 - j) / h;
        nn_canvas_fill_rect(c, x, y + j, BAR_W, 1, colormap(shade(s, (float)v)));
    }
    nn_canvas_rect(c, x - 1, y - 1, BAR_W + 2, h + 2, COL_FRAME);
    char buf[32];
    for (int k = 0; k < a.n_ticks; k++) {
        int ty = (int)floorf(axis_map(&a, a.ticks[k]));
        nn_canvas_fill_rect(c, x + BAR_W, ty, 4, 1, COL_FRAME);
        nn_canvas_text_at(c, x + BAR_W + 7, ty + 1, nn_format_tick(a.ticks[k], a.step, buf, sizeof buf), 1, COL_TEXT,
                          NN_ALIGN_START, NN_ALIGN_CENTER);
    }
}

int nn_plot_heatmap(const char *png_path, const char *title, const float *m, int rows, int cols,
                    const char *const *row_names, const char *const *col_names, int annotate,
                    const char *xlabel, const char *ylabel, char *err, size_t errlen)
{
    if (!png_path || !*png_path) return nn_fail(err, errlen, "heatmap: no output path given");
    if (rows < 0 || cols < 0 || (rows * (size_t)cols > 0 && !m))
        return nn_fail(err, errlen, "heatmap %s: a %d x %d matrix needs values", png_path, rows, cols);
    if (rows > 4096 || cols > 4096) return nn_fail(err, errlen, "heatmap %s: %d x %d is too large to draw (4096 max)", png_path, rows, cols);
    int empty = rows == 0 || cols == 0;
    value_stats s = stats_of(m, empty ? 0 : (size_t)rows * cols);
    grid_layout g = {0, 0, 0, rows, cols, 0};
    int cell = empty ? 0 : (int)fminf(560.0f / cols, 440.0f / rows);
    if (!empty && cell < 4)      /* long thin matrices: allow up to ~1000 pixels before shrinking */
        cell = (int)fmaxf((float)cell, fminf(4.0f, 1000.0f / (float)(cols > rows ? cols : rows)));
    g.cell = cell > 48 ? 48 : cell < 1 ? 1 : cell;
    int th = nn_text_height(1);
    g.cols_vertical = widest_name(col_names, cols) + 6 > g.cell && th + 2 <= g.cell * 2;
    int names_below = g.cols_vertical ? widest_name(col_names, cols) : th;
    g.gx = MARGIN + (ylabel && *ylabel ? th + 12 : 0) + widest_name(row_names, rows) + 8;
    g.gy = (title && *title ? MARGIN + nn_text_height(2) + 14 : MARGIN + 6);
    int gw = empty ? 300 : cols * g.cell, gh = empty ? 200 : rows * g.cell;
    int w = g.gx + gw + 20 + BAR_W + 8 + 48 + MARGIN;
    int h = g.gy + gh + 6 + names_below + (xlabel && *xlabel ? 12 + th : 0) + MARGIN + 4;
    int tw = title ? nn_text_width(title, 2) + 2 * MARGIN : 0;
    plot_frame f;
    if (frame_init(&f, w > tw ? w : tw, h, err, errlen)) return -1;
    f.x0 = g.gx, f.y0 = g.gy, f.x1 = g.gx + gw, f.y1 = g.gy + gh;
    frame_draw_title(&f, title);
    if (xlabel && *xlabel) nn_canvas_text_at(&f.cv, g.gx + gw / 2, h - MARGIN, xlabel, 1, COL_TEXT, NN_ALIGN_CENTER, NN_ALIGN_END);
    if (ylabel && *ylabel) nn_canvas_text_up(&f.cv, MARGIN + 2, g.gy + gh / 2 - nn_text_width(ylabel, 1) / 2, ylabel, 1, COL_TEXT);
    if (empty || !(s.lo <= s.hi)) {
        nn_canvas_rect(&f.cv, g.gx - 1, g.gy - 1, gw + 2, gh + 2, COL_FRAME);
        frame_no_data(&f);
        if (!empty) draw_cells(&f.cv, &g, m, &s, 0);   /* all NaN: grey cells */
        return frame_save(&f, png_path, err, errlen);
    }
    draw_cells(&f.cv, &g, m, &s, annotate);
    draw_names(&f.cv, &g, row_names, col_names);
    draw_colour_bar(&f.cv, g.gx + gw + 20, g.gy, gh, &s);
    return frame_save(&f, png_path, err, errlen);
}
