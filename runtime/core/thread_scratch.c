/* Per-thread scratch buffers (thread_scratch.h): a pthread key, so a thread's buffers are
 * freed when it ends. */
#include "thread_scratch.h"
#include <pthread.h>
#include <stdlib.h>

typedef struct {
    float *p[NN_SCRATCH_SLOTS];
    size_t cap[NN_SCRATCH_SLOTS];
} scratch_buf;

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static int scratch_key_ok;

static void scratch_release(void *v)
{
    scratch_buf *s = v;
    for (int i = 0; i < NN_SCRATCH_SLOTS; i++) free(s->p[i]);
    free(s);
}

static void scratch_key_make(void) { scratch_key_ok = pthread_key_create(&scratch_key, scratch_release) == 0; }

float *nn_thread_scratch(int slot, size_t floats)
{
    if (slot < 0 || slot >= NN_SCRATCH_SLOTS) return NULL;
    pthread_once(&scratch_once, scratch_key_make);
    if (!scratch_key_ok) return NULL;
    scratch_buf *s = pthread_getspecific(scratch_key);
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s || pthread_setspecific(scratch_key, s) != 0) {
            free(s);
            return NULL;
        }
    }
    if (s->cap[slot] >= floats && s->p[slot]) return s->p[slot];
    size_t cap = (floats + 15) / 16 * 16;             /* whole 64-byte lines */
    float *p = aligned_alloc(64, (cap ? cap : 16) * sizeof(float));
    if (!p) return NULL;
    free(s->p[slot]);
    s->p[slot] = p;
    s->cap[slot] = cap;
    return p;
}
