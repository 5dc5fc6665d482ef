/* Image grids: reconstructions next to originals, generated samples, first-layer filters.
 * Images are n x channels x h x w floats in [0, 1], laid out cols per row, each pixel drawn
 * as a scale x scale block, with optional labels left of each row. */
#include "plot_axes.h"
#include <math.h>

#define GAP 4
#define MARGIN 12

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

int nn_plot_image_grid(const char *png_path, const char *title, const float *images, int n, int channels,
                       int h, int w, int cols, const char *const *row_labels, int scale, char *err, size_t errlen)
{
    if (!png_path || !*png_path) return nn_fail(err, errlen, "image grid: no output path given");
    if (n < 0 || (n > 0 && !images)) return nn_fail(err, errlen, "image grid %s: %d images but no pixels", png_path, n);
    if (channels != 1 && channels != 3)
        return nn_fail(err, errlen, "image grid %s: channels must be 1 (grey) or 3 (RGB), not %d", png_path, channels);
    if (h <= 0 || w <= 0 || h > 4096 || w > 4096)
        return nn_fail(err, errlen, "image grid %s: image size %d x %d is not drawable (1..4096)", png_path, h, w);
    if (cols <= 0) cols = n < 10 ? (n > 0 ? n : 1) : 10;
    if (cols > n && n > 0) cols = n;
    int rows = n > 0 ? (n + cols - 1) / cols : 0;
    if (scale <= 0) scale = (int)fmaxf(1.0f, fminf(8.0f, 760.0f / ((float)cols * (w + GAP))));
    int label_w = 0;
    for (int r = 0; row_labels && r < rows; r++) {
        int tw = row_labels[r] ? nn_text_width(row_labels[r], 1) : 0;
        if (tw > label_w) label_w = tw;
    }
    int left = MARGIN + (label_w ? label_w + 10 : 0);
    int top = title && *title ? MARGIN + nn_text_height(2) + 12 : MARGIN;
    int cw = w * scale + GAP, ch = h * scale + GAP;
    long width = n > 0 ? left + (long)cols * cw - GAP + MARGIN : 300;
    long height = n > 0 ? top + (long)rows * ch - GAP + MARGIN : top + 100;
    long tw = title ? nn_text_width(title, 2) + 2 * MARGIN : 0;
    if (width < tw) width = tw;
    if (width > 32768 || height > 32768)
        return nn_fail(err, errlen, "image grid %s: %ld x %ld pixels is too large; lower scale or raise cols", png_path,
                         width, height);
    plot_frame f;
    if (frame_init(&f, (int)width, (int)height, err, errlen)) return -1;
    f.x0 = 0, f.x1 = (int)width, f.y0 = top, f.y1 = (int)height;
    frame_draw_title(&f, title);
    if (n == 0) frame_no_data(&f);
    for (int k = 0; k < n; k++) {
        int r = k / cols, q = k % cols;
        draw_image(&f.cv, images + (size_t)k * channels * h * w, channels, h, w, left + q * cw, top + r * ch, scale);
    }
    for (int r = 0; row_labels && r < rows; r++)
        if (row_labels[r])
            nn_canvas_text_at(&f.cv, left - 10, top + r * ch + h * scale / 2 + 1, row_labels[r], 1, COL_TEXT, NN_ALIGN_END,
                              NN_ALIGN_CENTER);
    return frame_save(&f, png_path, err, errlen);
}
