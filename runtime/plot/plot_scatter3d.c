/* 3-D scatter: orthographic views of points coloured by class, side by side under one title.
 * Each axis is scaled so that its (tick-rounded) data range spans [-1, 1]: the box is a cube
 * whatever the units. A view draws the box's three back panes with grid lines, then the points
 * far to near (painter's order, so near points cover far ones), then the x, y and z axes along
 * the box edges nearest the viewer (x, y) and on the left silhouette (z), with ticks and labels
 * pushed outwards from the box's centre. */
#include "plot_axes.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PANEL_W 460
#define PANEL_H 440
#define BOX_MARGIN 64            /* pixels around the projected box for tick labels and names */
#define PAD 12
#define SUBTITLE_H 16
#define MAX_VIEWS 8
#define MAX_LEGEND 64
#define DEG (3.14159265358979323846 / 180.0)

#define COL_PANE   ((nn_rgb){243, 244, 247})
#define COL_PANE_GRID ((nn_rgb){218, 220, 226})
#define COL_EDGE   ((nn_rgb){185, 187, 192})

/* ---- projection ------------------------------------------------------------------------ */
typedef struct {
    float d[3], r[3], u[3];      /* towards the viewer, screen right, screen up */
} basis;

static basis view_basis(nn_view3d v)
{
    double a = v.azimuth * DEG, e = v.elevation * DEG;
    float ca = (float)cos(a), sa = (float)sin(a), ce = (float)cos(e), se = (float)sin(e);
    return (basis){{ce * ca, ce * sa, se}, {-sa, ca, 0.0f}, {-se * ca, -se * sa, ce}};
}

static float dot3(const float *a, const float *b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

void nn_project3d(const float p[3], nn_view3d v, float out[3])
{
    basis b = view_basis(v);
    out[0] = dot3(p, b.r), out[1] = dot3(p, b.u), out[2] = dot3(p, b.d);
}

typedef struct {
    float depth;
    int i;
} depth_key;

static int by_depth(const void *pa, const void *pb)
{
    const depth_key *a = pa, *b = pb;
    if (a->depth != b->depth) return a->depth < b->depth ? -1 : 1;
    return (a->i > b->i) - (a->i < b->i);
}

int nn_depth_order3d(const float *xyz, int n, nn_view3d v, int *order)
{
    if (n <= 0) return 0;
    depth_key *k = malloc((size_t)n * sizeof *k);
    if (!k) return -1;
    basis b = view_basis(v);
    for (int i = 0; i < n; i++) {
        float z = dot3(xyz + 3 * (size_t)i, b.d);
        k[i] = (depth_key){isnan(z) ? -INFINITY : z, i};   /* NaN would break the sort's order */
    }
    qsort(k, (size_t)n, sizeof *k, by_depth);
    for (int i = 0; i < n; i++) order[i] = k[i].i;
    free(k);
    return 0;
}

/* ---- one view -------------------------------------------------------------------------- */
typedef struct {
    nn_canvas *cv;
    basis b;
    float cx, cy;                /* pixel of the box centre */
    float scale;                 /* pixels per unit of the [-1, 1] box */
    int x0, y0;                  /* panel's top-left corner */
} panel;

/* Box coordinates in [-1, 1]^3 -> pixel. */
static void to_pixel(const panel *p, const float q[3], float *x, float *y)
{
    *x = p->cx + p->scale * dot3(q, p->b.r);
    *y = p->cy - p->scale * dot3(q, p->b.u);
}

static float to_unit(const plot_axis *a, double v) { return (float)(2.0 * (v - a->lo) / (a->hi - a->lo) - 1.0); }

/* Fills the convex polygon (n pixel vertices, either winding) whose pixel centres lie inside. */
static void fill_convex(nn_canvas *c, const float *xs, const float *ys, int n, nn_rgb col)
{
    float lx = xs[0], hx = xs[0], ly = ys[0], hy = ys[0];
    for (int k = 1; k < n; k++) lx = fminf(lx, xs[k]), hx = fmaxf(hx, xs[k]), ly = fminf(ly, ys[k]), hy = fmaxf(hy, ys[k]);
    for (int j = (int)floorf(ly); j <= (int)ceilf(hy); j++)
        for (int i = (int)floorf(lx); i <= (int)ceilf(hx); i++) {
            float px = i + 0.5f, py = j + 0.5f;
            int pos = 0, neg = 0;
            for (int k = 0; k < n; k++) {
                int m = (k + 1) % n;
                float cr = (xs[m] - xs[k]) * (py - ys[k]) - (ys[m] - ys[k]) * (px - xs[k]);
                pos += cr > 0.0f, neg += cr < 0.0f;
            }
            if (!pos || !neg) nn_canvas_blend(c, i, j, col, 1.0f);
        }
}

/* A point of the box face where axis k is fixed at s: the other two axes take u and v. */
static void face_point(int k, float s, float u, float v, float q[3])
{
    q[k] = s, q[(k + 1) % 3] = u, q[(k + 2) % 3] = v;
}

static void segment3(const panel *p, const float a[3], const float b[3], float width, nn_rgb col)
{
    float x0, y0, x1, y1;
    to_pixel(p, a, &x0, &y0);
    to_pixel(p, b, &x1, &y1);
    nn_canvas_line(p->cv, x0, y0, x1, y1, width, col, 1);
}

/* The three panes facing away from the viewer, shaded, with grid lines at the ticks. */
static void draw_back_panes(const panel *p, const plot_axis *ax)
{
    static const float cu[4] = {-1, 1, 1, -1}, cv[4] = {-1, -1, 1, 1};
    for (int k = 0; k < 3; k++) {
        if (fabsf(p->b.d[k]) < 1e-4f) continue;          /* seen edge-on */
        float s = p->b.d[k] > 0 ? -1.0f : 1.0f, q[3], xs[4], ys[4];
        for (int c = 0; c < 4; c++) {
            face_point(k, s, cu[c], cv[c], q);
            to_pixel(p, q, &xs[c], &ys[c]);
        }
        fill_convex(p->cv, xs, ys, 4, COL_PANE);
        for (int g = 0; g < 2; g++) {                     /* grid lines along each in-face axis */
            const plot_axis *a = &ax[(k + 1 + g) % 3];
            for (int t = 0; t < a->n_ticks; t++) {
                float w = to_unit(a, a->ticks[t]), q0[3], q1[3];
                face_point(k, s, g ? -1.0f : w, g ? w : -1.0f, q0);
                face_point(k, s, g ? 1.0f : w, g ? w : 1.0f, q1);
                segment3(p, q0, q1, 1.0f, COL_PANE_GRID);
            }
        }
        nn_canvas_polyline(p->cv, (float[]){xs[0], xs[1], xs[2], xs[3], xs[0]}, (float[]){ys[0], ys[1], ys[2], ys[3], ys[0]},
                           5, 1.0f, COL_EDGE, 1);
    }
}

/* Text whose box touches the ray from (x, y) along the unit vector (ox, oy) at distance gap:
 * labels sit outside the box whichever way the axis faces. Returns how far the box reaches. */
static float text_outward(nn_canvas *c, float x, float y, float ox, float oy, float gap, const char *s, nn_rgb col)
{
    float w = (float)nn_text_width(s, 1), h = 7.0f;      /* capitals: 7 rows above the baseline */
    float reach = fabsf(ox) * w / 2 + fabsf(oy) * h / 2;
    float cx = x + ox * (gap + reach), cy = y + oy * (gap + reach);
    nn_canvas_text(c, (int)lroundf(cx - w / 2), (int)lroundf(cy - h / 2), s, 1, col);
    return gap + 2 * reach;
}

/* One labelled axis along the box edge from a to b (axis k goes from -1 at a to 1 at b).
 * skip_at (-1, 1 or 0 for none): the end whose tick goes unlabelled, a corner where another
 * axis already writes its label. */
static void draw_axis(const panel *p, const plot_axis *a, int k, const float a3[3], const float b3[3], const char *name,
                      int skip_at)
{
    float x0, y0, x1, y1, mid[3] = {(a3[0] + b3[0]) / 2, (a3[1] + b3[1]) / 2, (a3[2] + b3[2]) / 2}, mx, my;
    to_pixel(p, a3, &x0, &y0);
    to_pixel(p, b3, &x1, &y1);
    to_pixel(p, mid, &mx, &my);
    float len = hypotf(x1 - x0, y1 - y0);
    nn_canvas_line(p->cv, x0, y0, x1, y1, 1.5f, COL_FRAME, 1);
    if (len < 24.0f) return;                               /* seen end-on: nothing readable */
    float ox = mx - p->cx, oy = my - p->cy, on = hypotf(ox, oy);
    if (on < 1e-3f) ox = 0.0f, oy = 1.0f;
    else ox /= on, oy /= on;
    /* every step-th tick, so that labels along the edge do not touch */
    char buf[32];
    float ex = (x1 - x0) / len, ey = (y1 - y0) / len, need = 0.0f, reach = 0.0f;
    for (int t = 0; t < a->n_ticks; t++) {
        float w = (float)nn_text_width(nn_format_tick(a->ticks[t], a->step, buf, sizeof buf), 1);
        need = fmaxf(need, fabsf(ex) * w + fabsf(ey) * 7.0f + 14.0f);
    }
    float spacing = a->n_ticks > 1 ? len * (float)(a->ticks[1] - a->ticks[0]) / (float)(a->hi - a->lo) : len;
    int step = spacing > 0 ? (int)ceilf(need / spacing) : 1;
    for (int t = 0; t < a->n_ticks; t += step < 1 ? 1 : step) {
        float q[3] = {a3[0], a3[1], a3[2]}, px, py;
        q[k] = to_unit(a, a->ticks[t]);
        if (skip_at && fabsf(q[k] - (float)skip_at) < 0.05f) continue;
        to_pixel(p, q, &px, &py);
        nn_canvas_line(p->cv, px, py, px + 5 * ox, py + 5 * oy, 1.0f, COL_FRAME, 1);
        nn_format_tick(a->ticks[t], a->step, buf, sizeof buf);
        reach = fmaxf(reach, text_outward(p->cv, px, py, ox, oy, 8.0f, buf, COL_TEXT));
    }
    text_outward(p->cv, mx, my, ox, oy, reach + 8.0f, name, COL_TEXT);
}

static void draw_axes3d(const panel *p, const plot_axis *ax, const char *const names[3])
{
    const float *d = p->b.d;
    float ys = d[1] >= 0 ? 1.0f : -1.0f, xs = d[0] >= 0 ? 1.0f : -1.0f;   /* the edges nearest the viewer */
    draw_axis(p, &ax[0], 0, (float[]){-1, ys, -1}, (float[]){1, ys, -1}, names[0], 0);
    draw_axis(p, &ax[1], 1, (float[]){xs, -1, -1}, (float[]){xs, 1, -1}, names[1], (int)ys);   /* x labels the corner */
    /* z on the vertical edge furthest (on screen) from the corner where x and y meet, so its
     * labels never pile onto theirs; of two equally far, the one on the left */
    float best[3] = {-1, -1, 0}, far = -1.0f, corner = dot3((float[]){xs, ys, 0}, p->b.r);
    for (int c = 0; c < 4; c++) {
        float q[3] = {c & 1 ? 1.0f : -1.0f, c & 2 ? 1.0f : -1.0f, 0.0f}, x = dot3(q, p->b.r);
        float dist = fabsf(x - corner) + (x < corner ? 1e-3f : 0.0f);
        if (dist > far + 1e-4f) far = dist, memcpy(best, q, sizeof best);
    }
    int shared = best[0] == xs || best[1] == ys;          /* its foot is on the x or y axis */
    draw_axis(p, &ax[2], 2, (float[]){best[0], best[1], -1}, (float[]){best[0], best[1], 1}, names[2], shared ? -1 : 0);
}

static nn_rgb darker(nn_rgb c) { return (nn_rgb){(uint8_t)(c.r * 0.55f), (uint8_t)(c.g * 0.55f), (uint8_t)(c.b * 0.55f)}; }

/* unit: the n points in box coordinates; order: far to near. */
static void draw_points(const panel *p, const float *unit, const int *order, int n, const int *labels, int n_classes)
{
    /* few points: opaque discs with a dark rim, so overlaps show which is in front; many:
     * small and translucent, so dense clusters keep their shape */
    float r = n <= 500 ? 4.0f : n <= 5000 ? 3.0f : 1.8f, alpha = n <= 5000 ? 1.0f : 0.7f;
    for (int k = 0; k < n; k++) {
        int i = order[k];
        const float *q = unit + 3 * (size_t)i;
        if (!isfinite(q[0]) || !isfinite(q[1]) || !isfinite(q[2])) continue;
        int l = labels ? labels[i] : 0;
        nn_rgb col = l >= 0 && (!labels || l < n_classes) ? nn_palette(l) : (nn_rgb){60, 60, 60};
        float x, y;
        to_pixel(p, q, &x, &y);
        if (n <= 5000) nn_canvas_marker(p->cv, x, y, NN_MARK_CIRCLE, r + 1.0f, darker(col), 0.9f);
        nn_canvas_marker(p->cv, x, y, NN_MARK_CIRCLE, r, col, alpha);
    }
}

/* ---- the figure ------------------------------------------------------------------------ */
/* Pixels per box unit so that the box fits every view's panel with room for labels. */
static float common_scale(const nn_view3d *views, int n_views)
{
    float hx = 0.0f, hy = 0.0f;
    for (int v = 0; v < n_views; v++) {
        basis b = view_basis(views[v]);
        for (int c = 0; c < 8; c++) {
            float q[3] = {c & 1 ? 1.0f : -1.0f, c & 2 ? 1.0f : -1.0f, c & 4 ? 1.0f : -1.0f};
            hx = fmaxf(hx, fabsf(dot3(q, b.r))), hy = fmaxf(hy, fabsf(dot3(q, b.u)));
        }
    }
    return fminf((PANEL_W / 2 - BOX_MARGIN) / hx, (PANEL_H / 2 - BOX_MARGIN) / hy);
}

/* Axis ranges from the finite points, rounded out to ticks; box coordinates of every point. */
static void fit_box(const float *xyz, int n, plot_axis ax[3], float *unit)
{
    for (int k = 0; k < 3; k++) {
        double lo = INFINITY, hi = -INFINITY;
        for (int i = 0; i < n; i++) {
            const float *q = xyz + 3 * (size_t)i;
            if (!isfinite(q[0]) || !isfinite(q[1]) || !isfinite(q[2])) continue;
            lo = fmin(lo, q[k]), hi = fmax(hi, q[k]);
        }
        axis_fit(&ax[k], lo, hi, 0, 0.0, 1);
        axis_ticks(&ax[k], 4);
    }
    for (size_t i = 0; i < 3 * (size_t)n; i++) unit[i] = to_unit(&ax[i % 3], xyz[i]);
}

static int check_args(const char *path, const float *xyz, int n, const nn_view3d *views, int n_views, char *err,
                      size_t errlen)
{
    if (!path || !*path) return nn_fail(err, errlen, "3-D scatter: no output path given");
    if (n < 0 || (n > 0 && !xyz)) return nn_fail(err, errlen, "3-D scatter %s: %d points but no coordinates", path, n);
    if (n_views < 1 || n_views > MAX_VIEWS || !views)
        return nn_fail(err, errlen, "3-D scatter %s: %d views given; draw 1 to %d", path, n_views, MAX_VIEWS);
    for (int v = 0; v < n_views; v++)
        if (!isfinite(views[v].azimuth) || !isfinite(views[v].elevation))
            return nn_fail(err, errlen, "3-D scatter %s: view %d has a non-finite azimuth or elevation", path, v);
    return 0;
}

static void draw_view(plot_frame *f, int v, nn_view3d view, float scale, const plot_axis ax[3], const float *unit,
                      const int *order, int n, const int *labels, int n_classes, const char *const names[3])
{
    panel p = {&f->cv, view_basis(view), 0, 0, scale, f->x0 + v * PANEL_W, f->y0};
    p.cx = p.x0 + PANEL_W / 2.0f, p.cy = p.y0 + PANEL_H / 2.0f;
    char sub[64];
    snprintf(sub, sizeof sub, "azimuth %g, elevation %g", view.azimuth, view.elevation);
    nn_canvas_text_at(p.cv, (int)p.cx, p.y0 - SUBTITLE_H + 2, sub, 1, COL_MUTED, NN_ALIGN_CENTER, NN_ALIGN_START);
    nn_canvas_clip(p.cv, p.x0, p.y0, p.x0 + PANEL_W, p.y0 + PANEL_H);
    draw_back_panes(&p, ax);
    draw_points(&p, unit, order, n, labels, n_classes);
    draw_axes3d(&p, ax, names);
    nn_canvas_unclip(p.cv);
}

int nn_plot_scatter3d(const char *png_path, const char *title, const float *xyz, const int *labels, int n,
                      const char *const *class_names, int n_classes, const char *const *axis_labels,
                      const nn_view3d *views, int n_views, char *err, size_t errlen)
{
    if (check_args(png_path, xyz, n, views, n_views, err, errlen)) return -1;
    if (labels && n_classes <= 0)
        for (int i = 0; i < n; i++)
            if (labels[i] + 1 > n_classes) n_classes = labels[i] + 1;
    legend_entry e[MAX_LEGEND];
    char cls[MAX_LEGEND][16];
    int m = labels ? (n_classes < MAX_LEGEND ? n_classes : MAX_LEGEND) : 0;
    for (int k = 0; k < m; k++) {
        snprintf(cls[k], sizeof cls[k], "%d", k);
        e[k] = (legend_entry){class_names && class_names[k] ? class_names[k] : cls[k], nn_palette(k), 0, NN_MARK_CIRCLE + 1, 0};
    }
    const char *names[3] = {"x", "y", "z"};
    for (int k = 0; axis_labels && k < 3; k++)
        if (axis_labels[k]) names[k] = axis_labels[k];
    float *unit = malloc((size_t)(n > 0 ? n : 1) * 3 * sizeof *unit);
    int *order = malloc((size_t)(n > 0 ? n : 1) * sizeof *order);
    if (!unit || !order) {
        free(unit);
        free(order);
        return nn_fail(err, errlen, "3-D scatter %s: out of memory for %d points", png_path, n);
    }
    plot_axis ax[3];
    fit_box(xyz, n, ax, unit);
    int top = (title && *title ? PAD + nn_text_height(2) + 12 : PAD) + SUBTITLE_H;
    int width = PAD + n_views * PANEL_W + (m > 0 ? legend_width(e, m) + 24 : 0) + PAD;
    plot_frame f;
    int rc = frame_init(&f, width, top + PANEL_H + PAD, err, errlen);
    if (rc == 0) {
        f.x0 = PAD, f.x1 = PAD + n_views * PANEL_W, f.y0 = top, f.y1 = top + PANEL_H;
        frame_draw_title(&f, title);
        float scale = common_scale(views, n_views);
        for (int v = 0; v < n_views && rc == 0; v++) {
            rc = nn_depth_order3d(unit, n, views[v], order);
            if (rc == 0) draw_view(&f, v, views[v], scale, ax, unit, order, n, labels, n_classes, names);
        }
        if (m > 0) frame_legend_outside(&f, e, m);
        if (rc == 0) rc = frame_save(&f, png_path, err, errlen);
        else {
            nn_canvas_free(&f.cv);
            rc = nn_fail(err, errlen, "3-D scatter %s: out of memory sorting %d points", png_path, n);
        }
    }
    free(unit);
    free(order);
    return rc;
}
