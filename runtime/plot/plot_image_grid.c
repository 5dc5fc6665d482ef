/* Image grids: reconstructions next to originals, generated samples, first-layer filters,
 * attention over images. Images are n x channels x h x w floats in [0, 1], laid out cols per
 * row, each pixel drawn as a scale x scale block, with optional labels left of each row and
 * above each column, and under each image a bar (a value in [0, 1]) and a caption. */
#include "plot_axes.h"
#include <math.h>

#define GAP 4
#define MARGIN 12
#define BAR_H 6                  /* an image's bar: its height, and the room above it */
#define BAR_GAP 3
#define BAR_COL ((nn_rgb){31, 119, 180})
#define TRACK_COL ((nn_rgb){225, 225, 225})

static uint8_t to_byte(float v)
{
    if (!(v > 0.0f)) return 0;   /* also NaN */
    if (v >= 1.0f) return 255;
    return (uint8_t)(v * 255.0f + 0.5f);
}

/* One image (channels x h x w) at (x, y), each pixel a scale x scale block. */
static void draw_image(nn_canvas *c, const float *img, int channels, int h, int w, int x, int y, int scale)
{
    size_t plane = (size_t)h * w;
    for (int j = 0; j < h; j++)
        for (int i = 0; i < w; i++) {
            size_t o = (size_t)j * w + i;
            uint8_t r = to_byte(img[o]);
            nn_rgb col = channels == 3 ? (nn_rgb){r, to_byte(img[plane + o]), to_byte(img[2 * plane + o])} : (nn_rgb){r, r, r};
            nn_canvas_fill_rect(c, x + i * scale, y + j * scale, scale, scale, col);
        }
    nn_canvas_rect(c, x - 1, y - 1, w * scale + 2, h * scale + 2, (nn_rgb){190, 190, 190});
}

/* The widest of n texts (entries may be NULL), in pixels at scale 1. */
static int widest(const char *const *texts, int n)
{
    int wmax = 0;
    for (int i = 0; texts && i < n; i++) {
        int tw = texts[i] ? nn_text_width(texts[i], 1) : 0;
        if (tw > wmax) wmax = tw;
    }
    return wmax;
}

/* Where things go: the grid's top-left corner, a cell's size, the image's offset in its cell. */
typedef struct {
    int left, top;               /* the first cell's top-left corner */
    int cw, ch;                  /* a cell, gap included */
    int img_x;                   /* the image's left edge inside its cell (images are centred) */
    int iw, ih;                  /* the image in pixels */
    int bar_y, caption_y;        /* under the image, from the cell's top (-1: none) */
} grid_layout;

static grid_layout layout_of(const nn_image_grid_options *o, int n, int rows, int cols, int h, int w, int scale,
                             const char *title)
{
    grid_layout g;
    int th = nn_text_height(1), label_w = widest(o->row_labels, rows);
    g.iw = w * scale, g.ih = h * scale;
    int inner = g.iw, cap_w = widest(o->captions, n), col_w = widest(o->col_labels, cols);
    if (cap_w > inner) inner = cap_w;
    if (col_w > inner) inner = col_w;
    g.img_x = (inner - g.iw) / 2;
    g.cw = inner + GAP + (inner > g.iw ? 4 : 0);   /* texts wider than the images: room between them */
    int below = g.ih;
    g.bar_y = o->bars ? below + BAR_GAP : -1;
    if (o->bars) below += BAR_GAP + BAR_H;
    g.caption_y = o->captions ? below + 3 : -1;
    if (o->captions) below += 3 + th;
    g.ch = below + GAP + (o->captions || o->bars ? 4 : 0);
    g.left = MARGIN + (label_w ? label_w + 10 : 0);
    g.top = (title && *title ? MARGIN + nn_text_height(2) + 12 : MARGIN) + (col_w ? th + 6 : 0);
    return g;
}

/* Image k's bar (value in [0, 1], clamped; NaN: none) and caption under it. */
static void draw_under(nn_canvas *c, const grid_layout *g, const nn_image_grid_options *o, int k, int x, int y)
{
    float v = o->bars ? o->bars[k] : NAN;
    if (o->bars && !isnan(v)) {
        int len = (int)lroundf(fminf(fmaxf(v, 0.0f), 1.0f) * (float)g->iw);
        nn_canvas_fill_rect(c, x, y + g->bar_y, g->iw, BAR_H, TRACK_COL);
        nn_canvas_fill_rect(c, x, y + g->bar_y, len, BAR_H, BAR_COL);
    }
    if (o->captions && o->captions[k])
        nn_canvas_text_at(c, x + g->iw / 2 + 1, y + g->caption_y, o->captions[k], 1, COL_TEXT, NN_ALIGN_CENTER, NN_ALIGN_START);
}

int nn_plot_image_grid_with(const char *png_path, const char *title, const float *images, int n, int channels, int h,
                            int w, int cols, const nn_image_grid_options *opt, char *err, size_t errlen)
{
    const nn_image_grid_options none = {0}, *o = opt ? opt : &none;
    if (!png_path || !*png_path) return nn_fail(err, errlen, "image grid: no output path given");
    if (n < 0 || (n > 0 && !images)) return nn_fail(err, errlen, "image grid %s: %d images but no pixels", png_path, n);
    if (channels != 1 && channels != 3)
        return nn_fail(err, errlen, "image grid %s: channels must be 1 (grey) or 3 (RGB), not %d", png_path, channels);
    if (h <= 0 || w <= 0 || h > 4096 || w > 4096)
        return nn_fail(err, errlen, "image grid %s: image size %d x %d is not drawable (1..4096)", png_path, h, w);
    if (cols <= 0) cols = n < 10 ? (n > 0 ? n : 1) : 10;
    if (cols > n && n > 0) cols = n;
    int rows = n > 0 ? (n + cols - 1) / cols : 0;
    int scale = o->scale > 0 ? o->scale : (int)fmaxf(1.0f, fminf(8.0f, 760.0f / ((float)cols * (w + GAP))));
    grid_layout g = layout_of(o, n, rows, cols, h, w, scale, title);
    long width = n > 0 ? g.left + (long)cols * g.cw - GAP + MARGIN : 300;
    long height = n > 0 ? g.top + (long)rows * g.ch - GAP + MARGIN : g.top + 100;
    long tw = title ? nn_text_width(title, 2) + 2 * MARGIN : 0;
    if (width < tw) width = tw;
    if (width > 32768 || height > 32768)
        return nn_fail(err, errlen, "image grid %s: %ld x %ld pixels is too large; lower scale or raise cols", png_path,
                         width, height);
    plot_frame f;
    if (frame_init(&f, (int)width, (int)height, err, errlen)) return -1;
    f.x0 = 0, f.x1 = (int)width, f.y0 = g.top, f.y1 = (int)height;
    frame_draw_title(&f, title);
    if (n == 0) frame_no_data(&f);
    for (int k = 0; k < n; k++) {
        int x = g.left + (k % cols) * g.cw + g.img_x, y = g.top + (k / cols) * g.ch;
        draw_image(&f.cv, images + (size_t)k * channels * h * w, channels, h, w, x, y, scale);
        draw_under(&f.cv, &g, o, k, x, y);
    }
    for (int r = 0; o->row_labels && r < rows; r++)
        if (o->row_labels[r])
            nn_canvas_text_at(&f.cv, g.left - 10, g.top + r * g.ch + g.ih / 2 + 1, o->row_labels[r], 1, COL_TEXT, NN_ALIGN_END,
                              NN_ALIGN_CENTER);
    for (int q = 0; o->col_labels && q < cols; q++)
        if (o->col_labels[q])
            nn_canvas_text_at(&f.cv, g.left + q * g.cw + g.img_x + g.iw / 2 + 1, g.top - 4, o->col_labels[q], 1, COL_TEXT,
                              NN_ALIGN_CENTER, NN_ALIGN_END);
    return frame_save(&f, png_path, err, errlen);
}

int nn_plot_image_grid(const char *png_path, const char *title, const float *images, int n, int channels,
                       int h, int w, int cols, const char *const *row_labels, int scale, char *err, size_t errlen)
{
    nn_image_grid_options o = {.row_labels = row_labels, .scale = scale};
    return nn_plot_image_grid_with(png_path, title, images, n, channels, h, w, cols, &o, err, errlen);
}
