/* Axis arithmetic shared by every chart: 1-2-5 tick steps, compact tick labels, the palette. */
#include "nn/plot.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Nearest of 1, 2, 5, 10 (x 10^k) to raw, deciding at the geometric midpoints. */
static double nice_step(double raw)
{
    double mag = pow(10.0, floor(log10(raw))), f = raw / mag;
    double nice = f < 1.4142 ? 1.0 : f < 3.1623 ? 2.0 : f < 7.0711 ? 5.0 : 10.0;
    return nice * mag;
}

/* Ticks at multiples of a nice step of at least min_step. */
static int ticks_at_least(double lo, double hi, int target, double min_step, double *ticks, int cap, double *step)
{
    if (!isfinite(lo) || !isfinite(hi) || cap <= 0) return 0;
    if (lo > hi) { double t = lo; lo = hi; hi = t; }
    if (lo == hi) {
        ticks[0] = lo;
        if (step) *step = lo == 0.0 ? 1.0 : pow(10.0, floor(log10(fabs(lo))));
        if (step && *step < min_step) *step = min_step;
        return 1;
    }
    double st = nice_step((hi - lo) / (target < 1 ? 1 : target));
    if (st < min_step) st = min_step;
    double first = ceil(lo / st - 1e-9), last = floor(hi / st + 1e-9);
    int n = 0;
    for (double k = first; k <= last && n < cap; k += 1.0) {
        double v = k * st;
        ticks[n++] = fabs(v) < st * 1e-9 ? 0.0 : v;
    }
    if (step) *step = st;
    return n;
}

int nn_nice_ticks(double lo, double hi, int target, double *ticks, int cap, double *step)
{
    return ticks_at_least(lo, hi, target, 0.0, ticks, cap, step);
}

int nn_whole_ticks(double lo, double hi, int target, double *ticks, int cap, double *step)
{
    return ticks_at_least(lo, hi, target, 1.0, ticks, cap, step);
}

/* "1.50e-05" -> "1.5e-5", "2.0e+06" -> "2e6": exponent without sign padding, mantissa trimmed. */
static void compact_exponent(char *buf)
{
    char *e = strchr(buf, 'e');
    if (!e) return;
    char exp[16];
    int ev = 0;
    sscanf(e + 1, "%d", &ev);
    snprintf(exp, sizeof exp, "e%d", ev);
    char *m = e;                  /* trim trailing zeros and a bare point from the mantissa */
    if (memchr(buf, '.', (size_t)(e - buf))) {
        while (m[-1] == '0') m--;
        if (m[-1] == '.') m--;
    }
    memmove(m, exp, strlen(exp) + 1);
}

static int decimals_for(double step)
{
    int d = (int)-floor(log10(step) + 1e-9);
    return d < 0 ? 0 : d > 6 ? 6 : d;
}

char *nn_format_tick(double v, double step, char *buf, size_t len)
{
    if (!buf || len == 0) return buf;
    double a = fabs(v);
    if (!isfinite(v)) snprintf(buf, len, "%s", isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
    else if (!(step > 0.0) || !isfinite(step)) {
        snprintf(buf, len, "%.4g", v);
        compact_exponent(buf);
    } else if (a < step * 1e-6) snprintf(buf, len, "0");
    else if (a >= 1e4 && a < 1e15) {
        static const char suffix[] = "kMGT";
        int k = 0;
        double div = 1e3;
        while (k < 3 && a >= div * 1e3) div *= 1e3, k++;
        int d = decimals_for(step / div);
        snprintf(buf, len, "%.*f%c", d > 3 ? 3 : d, v / div, suffix[k]);
    } else if (a < 1e-3 || a >= 1e15) {
        int d = (int)(floor(log10(a)) - floor(log10(step) + 1e-9));
        snprintf(buf, len, "%.*e", d < 0 ? 0 : d > 3 ? 3 : d, v);
        compact_exponent(buf);
    } else snprintf(buf, len, "%.*f", decimals_for(step), v);
    return buf;
}

nn_rgb nn_palette(int i)
{
    static const nn_rgb tab[10] = {
        {31, 119, 180}, {255, 127, 14}, {44, 160, 44}, {214, 39, 40}, {148, 103, 189},
        {140, 86, 75},  {227, 119, 194}, {127, 127, 127}, {188, 189, 34}, {23, 190, 207},
    };
    i %= 10;
    return tab[i < 0 ? i + 10 : i];
}
