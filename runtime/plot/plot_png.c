/* Canvas -> PNG through libpng. libpng reports errors by longjmp to the setjmp point of the
 * write; everything that must be released afterwards is volatile or owned by libpng. The file
 * is written through nn/atomic_file.h, so a crash or a full disk never leaves a truncated
 * figure. */
#include "nn/plot.h"
#include "nn/atomic_file.h"
#include "../core/fail.h"
#include <png.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* libpng's message arrives here; keep it for the caller, then unwind to the setjmp. */
static void on_png_error(png_structp png, png_const_charp msg)
{
    char *buf = png_get_error_ptr(png);
    if (buf) snprintf(buf, 200, "%s", msg);
    png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp msg) { (void)png; (void)msg; }

/* Writes the rows to an open file; 0 or -1 with libpng's message in msg (200 bytes). */
static int write_rows(FILE *f, const nn_canvas *c, char *msg)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, msg, on_png_error, on_png_warning);
    if (!png) { snprintf(msg, 200, "out of memory"); return -1; }
    png_infop info = png_create_info_struct(png);
    if (!info || setjmp(png_jmpbuf(png))) {
        if (!info) snprintf(msg, 200, "out of memory");
        png_destroy_write_struct(&png, info ? &info : NULL);
        return -1;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)c->w, (png_uint_32)c->h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, 6);
    png_write_info(png, info);
    for (int y = 0; y < c->h; y++) png_write_row(png, c->px + (size_t)y * c->w * 3);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    return 0;
}

int nn_png_write(const char *path, const nn_canvas *c, char *err, size_t errlen)
{
    if (!path || !*path) return nn_fail(err, errlen, "png: no output path given");
    if (!c || !c->px || c->w <= 0 || c->h <= 0) return nn_fail(err, errlen, "png %s: empty canvas", path);
    nn_atomic_file *af = nn_atomic_open(path, err, errlen);
    if (!af) return -1;
    FILE *f = nn_atomic_stream(af);
    char msg[200] = "";
    if (write_rows(f, c, msg) != 0 && !ferror(f)) {   /* a failed write is the commit's to report */
        nn_atomic_abort(af);
        return nn_fail(err, errlen, "writing %s failed: %s", path, msg);
    }
    return nn_atomic_commit(af, err, errlen);
}

/* Reading goes through libpng's simplified API, which converts any colour type and bit
 * depth to 8-bit RGB and composes alpha over the background given. */
int nn_png_read(const char *path, nn_canvas *c, char *err, size_t errlen)
{
    c->px = NULL;
    c->w = c->h = 0;
    png_image pi;
    memset(&pi, 0, sizeof pi);
    pi.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&pi, path))
        return nn_fail(err, errlen, "cannot read %s: %s", path, pi.message);
    pi.format = PNG_FORMAT_RGB;
    if (nn_canvas_init(c, (int)pi.width, (int)pi.height, (nn_rgb){255, 255, 255}) != 0) {
        png_image_free(&pi);
        return nn_fail(err, errlen, "cannot read %s: %u x %u pixels is too large", path, pi.width, pi.height);
    }
    png_color white = {255, 255, 255};
    if (!png_image_finish_read(&pi, &white, c->px, 0, NULL)) {
        nn_canvas_free(c);
        return nn_fail(err, errlen, "cannot read %s: %s", path, pi.message);
    }
    return 0;
}
