/* The interactive 3-D view of a 3-unit embedding in report.html. The codes go into the page as
 * JSON inside a <script type="application/json"> (fetch() of a file next to the page is blocked
 * under file://), and one shared script draws them on a canvas 2D: the box's edges, the points
 * far to near so that near ones cover far ones, the three axes from the box's lowest corner.
 * The projection is the PNG's (runtime/plot/plot_scatter3d.c: each axis scaled to [-1, 1], the same
 * azimuth/elevation basis) and so is the palette, so the first view matches the static figure.
 *
 * Once drawn, the script checks itself: it drags the view with synthetic mouse events, zooms
 * with a wheel event and resets with a double-click, and records on the canvas what happened
 * (data-points-drawn, data-view, the first point's screen position before and after) for
 * tests/report_test.sh to read from the DOM. */
#include "report_view3d.h"
#include "nn/plot.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

report_view3d *report_view3d_new(const float *codes, const int *labels, int n, int n_classes, const char *layer)
{
    report_view3d *v = calloc(1, sizeof *v);
    if (!v) return NULL;
    v->n_codes = n > 0 ? n : 0;
    v->n_kept = v->n_codes < REPORT_VIEW3D_MAX_POINTS ? v->n_codes : REPORT_VIEW3D_MAX_POINTS;
    v->n_classes = labels && n_classes > 0 ? n_classes : 0;
    v->xyz = malloc((size_t)(v->n_kept ? v->n_kept : 1) * 3 * sizeof *v->xyz);
    v->label = malloc((size_t)(v->n_kept ? v->n_kept : 1) * sizeof *v->label);
    if (!v->xyz || !v->label) {
        report_view3d_free(v);
        return NULL;
    }
    for (int i = 0; i < v->n_kept; i++) {
        const float *c = codes + 3 * (size_t)i;
        if (!isfinite(c[0]) || !isfinite(c[1]) || !isfinite(c[2])) {   /* a bare NaN would break the JSON */
            v->n_skipped++;
            continue;
        }
        memcpy(v->xyz + 3 * (size_t)v->n, c, 3 * sizeof *c);
        v->label[v->n++] = v->n_classes ? labels[i] : 0;
    }
    for (int k = 0; k < 3; k++) snprintf(v->axis[k], sizeof v->axis[k], "%.60s unit %d", layer, k + 1);
    return v;
}

void report_view3d_free(report_view3d *v)
{
    if (!v) return;
    free(v->xyz);
    free(v->label);
    free(v);
}

/* s as a JSON string that is also safe inside a <script> element and in HTML text: '<', '>'
 * and '&' as \u escapes (so no "</script>" can end the element early). */
static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p == '<' || *p == '>' || *p == '&') fprintf(f, "\\u%04x", *p);
        else fputc(*p, f);
    }
    fputc('"', f);
}

static void palette_hex(int k, char out[8])
{
    nn_rgb c = nn_palette(k);
    snprintf(out, 8, "#%02x%02x%02x", c.r, c.g, c.b);
}

static void write_data(FILE *f, const report_view3d *v, int id)
{
    fprintf(f, "<script type=\"application/json\" id=\"view3d-%d-data\">{\"axes\":[", id);
    for (int k = 0; k < 3; k++) {
        if (k) fputc(',', f);
        json_string(f, v->axis[k]);
    }
    fputs("],\"colours\":[", f);
    int n_col = v->n_classes ? v->n_classes : 1;
    for (int k = 0; k < n_col; k++) {
        char hex[8];
        palette_hex(k, hex);
        fprintf(f, "%s\"%s\"", k ? "," : "", hex);
    }
    fputs("],\"points\":[", f);
    for (int i = 0; i < v->n; i++) {
        const float *p = v->xyz + 3 * (size_t)i;
        fprintf(f, "%s[%.4g,%.4g,%.4g,%d]", i ? (i % 8 ? "," : ",\n") : "", p[0], p[1], p[2], v->label[i]);
    }
    fputs("]}</script>\n", f);
}

/* One swatch per class in the PNG's colours; the palette has 10 colours, so past 10 classes
 * they repeat (said so), and past 100 the rest are summed up in one line. */
static void write_legend(FILE *f, const report_view3d *v)
{
    enum { MAX_KEYS = 100 };
    fputs("<div class=\"view3d-legend\" style=\"font-size:13px;margin:4px 0\">", f);
    if (!v->n_classes) {
        char hex[8];
        palette_hex(0, hex);
        fprintf(f, "<span class=\"view3d-key\"><i style=\"display:inline-block;width:10px;height:10px;border-radius:5px;"
                   "background:%s\"></i> all codes (no classes)</span>",
                hex);
    }
    for (int k = 0; k < v->n_classes && k < MAX_KEYS; k++) {
        char hex[8];
        palette_hex(k, hex);
        fprintf(f, "<span class=\"view3d-key\" data-class=\"%d\" style=\"margin-right:10px\"><i style=\"display:inline-block;"
                   "width:10px;height:10px;border-radius:5px;background:%s\"></i> %d</span>",
                k, hex, k);
    }
    if (v->n_classes > MAX_KEYS) fprintf(f, " &hellip; and %d more classes", v->n_classes - MAX_KEYS);
    if (v->n_classes > 10) fputs(" (the 10 colours repeat)", f);
    fputs("</div>\n", f);
}

static void write_caption(FILE *f, const report_view3d *v)
{
    fputs("<figcaption>Interactive view of the same codes: drag to rotate, wheel to zoom, double-click to reset. ", f);
    fprintf(f, "<span class=\"view3d-count\">%d point%s shown", v->n, v->n == 1 ? "" : "s");
    if (v->n_kept < v->n_codes) fprintf(f, " (the first %d of the %d codes)", v->n_kept, v->n_codes);
    if (v->n_skipped) fprintf(f, "; %d code%s with a NaN or Inf left out", v->n_skipped, v->n_skipped == 1 ? "" : "s");
    fputs(".</span></figcaption>\n", f);
}

void report_view3d_write(FILE *f, const report_view3d *v, int id)
{
    fprintf(f, "<figure class=\"view3d\"><canvas id=\"view3d-%d\" width=\"640\" height=\"480\" "
               "style=\"max-width:100%%;border:1px solid #eee;cursor:grab;touch-action:none\"></canvas>\n",
            id);
    write_legend(f, v);
    write_caption(f, v);
    write_data(f, v, id);
    fprintf(f, "<script>window.addEventListener('load', function () { nnView3d('view3d-%d'); });</script>\n</figure>\n", id);
}

/* The shared script. State: azimuth/elevation in degrees (the PNG's first view to start) and a
 * zoom factor. Drawing projects every point into sx, sy (pixels) and dep (towards the viewer),
 * sorts far to near and paints; data-* attributes on the canvas record the result. */
static const char view3d_js[] =
    "<script>\n"
    "function nnView3d(id) {\n"
    "  var cv = document.getElementById(id), ctx = cv.getContext('2d');\n"
    "  var d = JSON.parse(document.getElementById(id + '-data').textContent);\n"
    "  var pts = d.points, n = pts.length, AZ = 30, EL = 20, DEG = Math.PI / 180;\n"
    "  var st = {az: AZ, el: EL, zoom: 1}, lo = [], hi = [], i, k;\n"
    "  for (k = 0; k < 3; k++) {\n"
    "    lo[k] = Infinity; hi[k] = -Infinity;\n"
    "    for (i = 0; i < n; i++) { lo[k] = Math.min(lo[k], pts[i][k]); hi[k] = Math.max(hi[k], pts[i][k]); }\n"
    "    if (!(hi[k] > lo[k])) { var c = isFinite(lo[k]) ? lo[k] : 0; lo[k] = c - 1; hi[k] = c + 1; }\n"
    "  }\n"
    "  /* box coordinates: each axis scaled to [-1, 1], as in the PNG */\n"
    "  var q = new Float64Array(3 * n), sx = new Float64Array(n), sy = new Float64Array(n);\n"
    "  var dep = new Float64Array(n), order = [];\n"
    "  for (i = 0; i < n; i++) for (k = 0; k < 3; k++) q[3 * i + k] = 2 * (pts[i][k] - lo[k]) / (hi[k] - lo[k]) - 1;\n"
    "  var rad = n <= 500 ? 4 : 3;\n"
    "  function basis() {\n"
    "    var a = st.az * DEG, e = st.el * DEG, ca = Math.cos(a), sa = Math.sin(a), ce = Math.cos(e), se = Math.sin(e);\n"
    "    return {d: [ce * ca, ce * sa, se], r: [-sa, ca, 0], u: [-se * ca, -se * sa, ce]};\n"
    "  }\n"
    "  function dot(a, b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }\n"
    "  function screen(b, p) {\n"
    "    var s = st.zoom * Math.min(cv.width, cv.height) * 0.27;\n"
    "    return [cv.width / 2 + s * dot(p, b.r), cv.height / 2 - s * dot(p, b.u), dot(p, b.d)];\n"
    "  }\n"
    "  function colour(l) { return l >= 0 && l < d.colours.length ? d.colours[l] : '#3c3c3c'; }\n"
    "  function fmt(v) { return String(Number(v.toPrecision(3))); }\n"
    "  function line(b, p, r, col, w) {\n"
    "    var a = screen(b, p), c = screen(b, r);\n"
    "    ctx.strokeStyle = col; ctx.lineWidth = w;\n"
    "    ctx.beginPath(); ctx.moveTo(a[0], a[1]); ctx.lineTo(c[0], c[1]); ctx.stroke();\n"
    "  }\n"
    "  function draw() {\n"
    "    var b = basis(), drawn = 0, j, m;\n"
    "    ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, cv.width, cv.height);\n"
    "    for (k = 0; k < 3; k++) for (m = 0; m < 4; m++) {   /* the box's 12 edges, faint */\n"
    "      var e0 = [0, 0, 0];\n"
    "      e0[(k + 1) % 3] = m & 1 ? 1 : -1; e0[(k + 2) % 3] = m & 2 ? 1 : -1;\n"
    "      var e1 = e0.slice(); e0[k] = -1; e1[k] = 1;\n"
    "      line(b, e0, e1, '#dcdee4', 1);\n"
    "    }\n"
    "    for (i = 0; i < n; i++) {\n"
    "      var p = screen(b, [q[3 * i], q[3 * i + 1], q[3 * i + 2]]);\n"
    "      sx[i] = p[0]; sy[i] = p[1]; dep[i] = p[2]; order[i] = i;\n"
    "    }\n"
    "    order.sort(function (a, c) { return dep[a] - dep[c] || a - c; });   /* far first */\n"
    "    ctx.lineWidth = 1; ctx.strokeStyle = 'rgba(0,0,0,0.45)';\n"
    "    for (j = 0; j < n; j++) {\n"
    "      i = order[j];\n"
    "      ctx.beginPath(); ctx.arc(sx[i], sy[i], rad, 0, 2 * Math.PI);\n"
    "      ctx.fillStyle = colour(pts[i][3]); ctx.fill(); ctx.stroke();\n"
    "      drawn++;\n"
    "    }\n"
    "    /* the axes from the box's lowest corner, labels pushed outwards from its centre */\n"
    "    var o = [-1, -1, -1], c0 = screen(b, [0, 0, 0]);\n"
    "    ctx.font = '13px sans-serif'; ctx.textAlign = 'center'; ctx.textBaseline = 'middle';\n"
    "    for (k = 0; k < 3; k++) {\n"
    "      var tip = o.slice(); tip[k] = 1;\n"
    "      line(b, o, tip, '#333', 1.5);\n"
    "      var t = screen(b, tip), dx = t[0] - c0[0], dy = t[1] - c0[1], len = Math.sqrt(dx * dx + dy * dy) || 1;\n"
    "      var lx = t[0] + 22 * dx / len, ly = t[1] + 22 * dy / len;\n"
    "      ctx.fillStyle = '#222'; ctx.fillText(d.axes[k], lx, ly);\n"
    "      ctx.fillStyle = '#777'; ctx.fillText(fmt(lo[k]) + ' \\u2026 ' + fmt(hi[k]), lx, ly + 14);\n"
    "    }\n"
    "    cv.setAttribute('data-points-drawn', drawn);\n"
    "    cv.setAttribute('data-view', Math.round(st.az) + ',' + Math.round(st.el));\n"
    "    cv.setAttribute('data-zoom', st.zoom.toFixed(3));\n"
    "  }\n"
    "  function reset() { st.az = AZ; st.el = EL; st.zoom = 1; draw(); }\n"
    "  function zoomBy(f) { st.zoom = Math.min(20, Math.max(0.25, st.zoom * f)); draw(); }\n"
    "  var drag = null, pinch = 0, lastTap = 0;\n"
    "  function start(x, y) { drag = {x: x, y: y}; cv.style.cursor = 'grabbing'; }\n"
    "  function move(x, y) {\n"
    "    if (!drag) return;\n"
    "    st.az = ((st.az - 0.5 * (x - drag.x)) % 360 + 540) % 360 - 180;\n"
    "    st.el = Math.min(90, Math.max(-90, st.el + 0.5 * (y - drag.y)));\n"
    "    drag = {x: x, y: y};\n"
    "    draw();\n"
    "  }\n"
    "  function end() { drag = null; pinch = 0; cv.style.cursor = 'grab'; }\n"
    "  cv.addEventListener('mousedown', function (e) { start(e.clientX, e.clientY); e.preventDefault(); });\n"
    "  window.addEventListener('mousemove', function (e) { move(e.clientX, e.clientY); });\n"
    "  window.addEventListener('mouseup', end);\n"
    "  cv.addEventListener('dblclick', function (e) { reset(); e.preventDefault(); });\n"
    "  cv.addEventListener('wheel', function (e) { e.preventDefault(); zoomBy(Math.exp(-0.0015 * e.deltaY)); }, {passive: false});\n"
    "  function spread(t) { var dx = t[0].clientX - t[1].clientX, dy = t[0].clientY - t[1].clientY; return Math.sqrt(dx * dx + dy * dy); }\n"
    "  cv.addEventListener('touchstart', function (e) {\n"
    "    if (e.touches.length === 1) {\n"
    "      var now = Date.now();\n"
    "      if (now - lastTap < 300) reset();   /* double tap */\n"
    "      lastTap = now;\n"
    "      start(e.touches[0].clientX, e.touches[0].clientY);\n"
    "    } else if (e.touches.length === 2) { drag = null; pinch = spread(e.touches); }\n"
    "    e.preventDefault();\n"
    "  }, {passive: false});\n"
    "  cv.addEventListener('touchmove', function (e) {\n"
    "    if (e.touches.length === 1) move(e.touches[0].clientX, e.touches[0].clientY);\n"
    "    else if (e.touches.length === 2 && pinch > 0) { var s = spread(e.touches); zoomBy(s / pinch); pinch = s; }\n"
    "    e.preventDefault();\n"
    "  }, {passive: false});\n"
    "  cv.addEventListener('touchend', end);\n"
    "  cv.addEventListener('touchcancel', end);\n"
    "  draw();\n"
    "  /* self-check: drag, zoom and reset through the real handlers; record what each did */\n"
    "  function first() { return n ? sx[0].toFixed(1) + ',' + sy[0].toFixed(1) : 'none'; }\n"
    "  function fire(type, x, y) { cv.dispatchEvent(new MouseEvent(type, {clientX: x, clientY: y, bubbles: true, cancelable: true})); }\n"
    "  var box = cv.getBoundingClientRect(), x0 = box.left + 20, y0 = box.top + 20, before = first(), view0 = cv.getAttribute('data-view');\n"
    "  fire('mousedown', x0, y0); fire('mousemove', x0 + 60, y0 + 30); fire('mouseup', x0 + 60, y0 + 30);\n"
    "  var after = first();\n"
    "  cv.setAttribute('data-first-xy', before);\n"
    "  cv.setAttribute('data-first-xy-rotated', after);\n"
    "  cv.setAttribute('data-view-rotated', cv.getAttribute('data-view'));\n"
    "  cv.setAttribute('data-rotation-moved', n && before !== after && view0 !== cv.getAttribute('data-view') ? 'yes' : 'no');\n"
    "  cv.dispatchEvent(new WheelEvent('wheel', {deltaY: -200, bubbles: true, cancelable: true}));\n"
    "  cv.setAttribute('data-zoom-changed', cv.getAttribute('data-zoom') !== '1.000' ? 'yes' : 'no');\n"
    "  fire('dblclick', x0, y0);\n"
    "  cv.setAttribute('data-reset-ok', first() === before && cv.getAttribute('data-view') === view0 ? 'yes' : 'no');\n"
    "}\n"
    "</script>\n";

void report_view3d_write_script(FILE *f) { fputs(view3d_js, f); }
