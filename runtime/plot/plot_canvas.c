/* The RGB canvas: pixels, alpha blending, rectangles, clipped (optionally anti-aliased)
 * lines and markers. Everything drawn goes through nn_canvas_blend / fill_rect, which
 * enforce the clip rectangle, so no caller can write outside the buffer. */
#include "nn/plot.h"
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int nn_canvas_init(nn_canvas *c, int w, int h, nn_rgb bg)
{
    c->px = NULL;
    c->w = c->h = 0;
    if (w <= 0 || h <= 0 || w > 32768 || h > 32768) return -1;
    c->px = malloc((size_t)w * (size_t)h * 3);
    if (!c->px) return -1;
    c->w = w;
    c->h = h;
    nn_canvas_unclip(c);
    nn_canvas_fill_rect(c, 0, 0, w, h, bg);
    return 0;
}

void nn_canvas_free(nn_canvas *c)
{
    free(c->px);
    c->px = NULL;
    c->w = c->h = 0;
}

static int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

void nn_canvas_clip(nn_canvas *c, int x0, int y0, int x1, int y1)
{
    c->cx0 = clampi(x0, 0, c->w);
    c->cy0 = clampi(y0, 0, c->h);
    c->cx1 = clampi(x1, c->cx0, c->w);
    c->cy1 = clampi(y1, c->cy0, c->h);
}

void nn_canvas_unclip(nn_canvas *c) { nn_canvas_clip(c, 0, 0, c->w, c->h); }

nn_rgb nn_canvas_get(const nn_canvas *c, int x, int y)
{
    if (x < 0 || y < 0 || x >= c->w || y >= c->h) return (nn_rgb){0, 0, 0};
    const uint8_t *p = c->px + ((size_t)y * c->w + x) * 3;
    return (nn_rgb){p[0], p[1], p[2]};
}

void nn_canvas_blend(nn_canvas *c, int x, int y, nn_rgb col, float alpha)
{
    if (x < c->cx0 || y < c->cy0 || x >= c->cx1 || y >= c->cy1 || !(alpha > 0.0f)) return;
    uint8_t *p = c->px + ((size_t)y * c->w + x) * 3;
    if (alpha >= 1.0f) {
        p[0] = col.r, p[1] = col.g, p[2] = col.b;
        return;
    }
    p[0] = (uint8_t)(p[0] + (col.r - p[0]) * alpha + 0.5f);
    p[1] = (uint8_t)(p[1] + (col.g - p[1]) * alpha + 0.5f);
    p[2] = (uint8_t)(p[2] + (col.b - p[2]) * alpha + 0.5f);
}

void nn_canvas_fill_rect(nn_canvas *c, int x, int y, int w, int h, nn_rgb col)
{
    int x0 = clampi(x, c->cx0, c->cx1), x1 = clampi(x + w, c->cx0, c->cx1);
    int y0 = clampi(y, c->cy0, c->cy1), y1 = clampi(y + h, c->cy0, c->cy1);
    for (int j = y0; j < y1; j++) {
        uint8_t *p = c->px + ((size_t)j * c->w + x0) * 3;
        for (int i = x0; i < x1; i++, p += 3) p[0] = col.r, p[1] = col.g, p[2] = col.b;
    }
}

void nn_canvas_rect(nn_canvas *c, int x, int y, int w, int h, nn_rgb col)
{
    if (w <= 0 || h <= 0) return;
    nn_canvas_fill_rect(c, x, y, w, 1, col);
    nn_canvas_fill_rect(c, x, y + h - 1, w, 1, col);
    nn_canvas_fill_rect(c, x, y, 1, h, col);
    nn_canvas_fill_rect(c, x + w - 1, y, 1, h, col);
}

/* Liang-Barsky: shortens the segment to the box [x0,x1] x [y0,y1]; 0 if nothing is left.
 * Clipping before rasterising keeps a segment to (1e30, 0) from looping a billion times.
 * In double, and a clipped end is put exactly on the boundary it crossed: with huge
 * coordinates, a + t * (b - a) alone would lose the position to cancellation. */
static int clip_segment(float *ax, float *ay, float *bx, float *by, float x0, float y0, float x1, float y1)
{
    double dx = (double)*bx - *ax, dy = (double)*by - *ay, t0 = 0.0, t1 = 1.0;
    double p[4] = {-dx, dx, -dy, dy};
    double q[4] = {(double)*ax - x0, (double)x1 - *ax, (double)*ay - y0, (double)y1 - *ay};
    double edge[4] = {x0, x1, y0, y1};
    int k0 = -1, k1 = -1;        /* which boundary each end was moved to */
    for (int k = 0; k < 4; k++) {
        if (p[k] == 0.0) {
            if (q[k] < 0.0) return 0;
            continue;
        }
        double t = q[k] / p[k];
        if (p[k] < 0.0) { if (t > t1) return 0; if (t > t0) t0 = t, k0 = k; }
        else { if (t < t0) return 0; if (t < t1) t1 = t, k1 = k; }
    }
    double sx = *ax, sy = *ay;
    double nax = sx + t0 * dx, nay = sy + t0 * dy, nbx = sx + t1 * dx, nby = sy + t1 * dy;
    if (k0 >= 0) { if (k0 < 2) nax = edge[k0]; else nay = edge[k0]; }
    if (k1 >= 0) { if (k1 < 2) nbx = edge[k1]; else nby = edge[k1]; }
    *ax = (float)nax, *ay = (float)nay, *bx = (float)nbx, *by = (float)nby;
    return 1;
}

/* How much of pixel [j, j+1) the band [lo, hi] covers, in [0, 1]. */
static float band_cover(int j, float lo, float hi)
{
    float a = lo > (float)j ? lo : (float)j, b = hi < (float)(j + 1) ? hi : (float)(j + 1);
    return b > a ? b - a : 0.0f;
}

/* Walks the major axis one pixel at a time; at each step the line is a band across the minor
 * axis of thickness width / cos(angle), centred on the segment. Anti-aliasing uses the band's
 * coverage of each pixel; without it a pixel is on when its centre lies in the band. */
static void raster_band(nn_canvas *c, float ax, float ay, float bx, float by, float width, nn_rgb col, int aa,
                        int skip_end)
{
    int steep = fabsf(by - ay) > fabsf(bx - ax);
    if (steep) { float t = ax; ax = ay; ay = t; t = bx; bx = by; by = t; }
    /* a polyline's joint belongs to the next segment: blending it twice shows as a dot */
    int skip = skip_end ? (int)floorf(bx) : INT_MIN;
    if (ax > bx) { float t = ax; ax = bx; bx = t; t = ay; ay = by; by = t; }
    float dx = bx - ax, dy = by - ay, len = sqrtf(dx * dx + dy * dy);
    float half = 0.5f * width * (dx > 0.0f ? len / dx : 1.0f);
    float slope = dx > 0.0f ? dy / dx : 0.0f;
    for (int i = (int)floorf(ax); i <= (int)floorf(bx); i++) {
        if (i == skip && floorf(ax) != floorf(bx)) continue;
        float u = (float)i + 0.5f;
        u = u < ax ? ax : u > bx ? bx : u;
        float mid = ay + (u - ax) * slope, lo = mid - half, hi = mid + half;
        int j0 = (int)floorf(lo), j1 = (int)floorf(hi);
        for (int j = j0; j <= j1; j++) {
            float a;
            if (aa) a = band_cover(j, lo, hi);
            else a = ((float)j + 0.5f >= lo && (float)j + 0.5f < hi) || j == (int)floorf(mid) ? 1.0f : 0.0f;
            if (steep) nn_canvas_blend(c, j, i, col, a);
            else nn_canvas_blend(c, i, j, col, a);
        }
    }
}

static void draw_segment(nn_canvas *c, float x0, float y0, float x1, float y1, float width, nn_rgb col, int aa,
                         int skip_end)
{
    if (!isfinite(x0) || !isfinite(y0) || !isfinite(x1) || !isfinite(y1)) return;
    if (!(width > 0.0f)) width = 1.0f;
    float m = width + 2.0f;      /* keep the part just outside the clip: its edge still shows */
    float ex = x1, ey = y1;
    if (!clip_segment(&x0, &y0, &x1, &y1, (float)c->cx0 - m, (float)c->cy0 - m, (float)c->cx1 + m, (float)c->cy1 + m))
        return;
    raster_band(c, x0, y0, x1, y1, width, col, aa, skip_end && x1 == ex && y1 == ey);
}

void nn_canvas_line(nn_canvas *c, float x0, float y0, float x1, float y1, float width, nn_rgb col, int aa)
{
    draw_segment(c, x0, y0, x1, y1, width, col, aa, 0);
}

void nn_canvas_polyline(nn_canvas *c, const float *xs, const float *ys, int n, float width, nn_rgb col, int aa)
{
    for (int i = 0; i + 1 < n; i++) {
        if (!isfinite(xs[i]) || !isfinite(ys[i]) || !isfinite(xs[i + 1]) || !isfinite(ys[i + 1])) continue;
        int last = i + 2 >= n || !isfinite(xs[i + 2]) || !isfinite(ys[i + 2]);
        draw_segment(c, xs[i], ys[i], xs[i + 1], ys[i + 1], width, col, aa, !last);
    }
}

/* Coverage of the pixel whose centre is (dx, dy) from the marker's centre, from an
 * approximate signed distance d to the shape's edge (one pixel of soft edge). */
static float marker_cover(nn_marker kind, float dx, float dy, float r)
{
    float ax = fabsf(dx), ay = fabsf(dy), d;
    switch (kind) {
    case NN_MARK_SQUARE: d = (ax > ay ? ax : ay) - r * 0.85f; break;
    case NN_MARK_DIAMOND: d = (ax + ay) * 0.7071f - r * 0.8f; break;
    case NN_MARK_TRIANGLE: {
        /* apex up, circumradius R: distance to the slanted edges and to the base (y down) */
        float R = r * 1.2f, slant = 0.866f * ax - 0.5f * dy - 0.5f * R, base = dy - 0.5f * R;
        d = slant > base ? slant : base;
        break;
    }
    case NN_MARK_PLUS: d = (ax < ay ? ax : ay) - r * 0.25f; if (ax > r || ay > r) d = 1.0f; break;
    case NN_MARK_CROSS: {
        float u = fabsf(dx + dy) * 0.7071f, v = fabsf(dx - dy) * 0.7071f;
        d = (u < v ? u : v) - r * 0.25f;
        if (u > r || v > r) d = 1.0f;
        break;
    }
    default: d = sqrtf(dx * dx + dy * dy) - r; break;
    }
    float a = 0.5f - d;
    return a < 0.0f ? 0.0f : a > 1.0f ? 1.0f : a;
}

void nn_canvas_marker(nn_canvas *c, float x, float y, nn_marker kind, float r, nn_rgb col, float alpha)
{
    if (!isfinite(x) || !isfinite(y) || !(r > 0.0f)) return;
    if (x < c->cx0 - r - 1 || x > c->cx1 + r + 1 || y < c->cy0 - r - 1 || y > c->cy1 + r + 1) return;
    int i0 = (int)floorf(x - r - 1), i1 = (int)ceilf(x + r + 1);
    int j0 = (int)floorf(y - r - 1), j1 = (int)ceilf(y + r + 1);
    for (int j = j0; j <= j1; j++)
        for (int i = i0; i <= i1; i++) {
            float a = marker_cover(kind, (float)i + 0.5f - x, (float)j + 0.5f - y, r);
            if (a > 0.0f) nn_canvas_blend(c, i, j, col, a * alpha);
        }
}

void nn_canvas_blit(nn_canvas *dst, const nn_canvas *src, int x, int y)
{
    int i0 = dst->cx0 > x ? dst->cx0 - x : 0, i1 = dst->cx1 - x < src->w ? dst->cx1 - x : src->w;
    int j0 = dst->cy0 > y ? dst->cy0 - y : 0, j1 = dst->cy1 - y < src->h ? dst->cy1 - y : src->h;
    for (int j = j0; j < j1; j++)
        if (i1 > i0) memcpy(dst->px + ((size_t)(y + j) * dst->w + x + i0) * 3, src->px + ((size_t)j * src->w + i0) * 3, (size_t)(i1 - i0) * 3);
}
