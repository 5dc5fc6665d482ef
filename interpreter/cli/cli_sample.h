/* cli_sample.h — the two modes of `nnrun sample`: text from a character model (cli_sample.c,
 * which parses the options and picks the mode from the run's data) and new items of a
 * generator or a decoder fed N(0, I) draws (cli_sample_images.c). Internal to cli/. */
#ifndef NNRUN_CLI_SAMPLE_H
#define NNRUN_CLI_SAMPLE_H

#include "../build/model_build.h"
#include "../lang/spec.h"

/* The options given (sample_args.given): each mode refuses the other's. */
enum {
    SAMPLE_PRIME = 1 << 0, SAMPLE_LENGTH = 1 << 1, SAMPLE_TEMPERATURE = 1 << 2,   /* text */
    SAMPLE_COUNT = 1 << 3, SAMPLE_OF = 1 << 4, SAMPLE_FROM = 1 << 5, SAMPLE_CLASS = 1 << 6,
    SAMPLE_OUT = 1 << 7,                                                        /* images */
};
#define SAMPLE_TEXT_OPTIONS (SAMPLE_PRIME | SAMPLE_LENGTH | SAMPLE_TEMPERATURE)
#define SAMPLE_IMAGE_OPTIONS (SAMPLE_COUNT | SAMPLE_OF | SAMPLE_FROM | SAMPLE_CLASS | SAMPLE_OUT)

typedef struct {
    const char *run;
    long seed;                 /* both modes: the draws' stream */
    const char *prime;         /* text */
    long length;
    double temperature;
    const char *of, *from;     /* images: NULL = the spec's figure's */
    const char *out;           /* NULL = RUN/samples.png */
    long count, cls;
    unsigned given;            /* SAMPLE_* bits of the options on the command line */
} sample_args;

/* New items of a generator or a decoder of the run (the spec s, its data info): writes the PNG
 * grid and the values as safetensors, prints what it wrote. Returns the exit status. */
int sample_images(const sample_args *a, const spec *s, const data_info *info);

#endif
