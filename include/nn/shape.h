/* nn/shape.h — a tensor's shape (up to NN_MAX_DIMS dimensions, row-major) and its helpers.
 *
 * Apart from nn/graph.h (which includes it), so that code that only describes data, such as
 * the dataset readers of nn/data.h, does not depend on the graph. The helpers are defined in
 * libnn (runtime/core/graph.c).
 */
#ifndef NN_SHAPE_H
#define NN_SHAPE_H

#include <stddef.h>

#define NN_MAX_DIMS 4

typedef struct {
    int ndim;
    int d[NN_MAX_DIMS];
} nn_shape;

nn_shape nn_shape_make(int ndim, const int *d);
nn_shape nn_shape1(int a);
nn_shape nn_shape2(int a, int b);
nn_shape nn_shape3(int a, int b, int c);
nn_shape nn_shape4(int a, int b, int c, int d);
size_t nn_shape_numel(const nn_shape *s);
int nn_shape_eq(const nn_shape *a, const nn_shape *b);
/* "[128, 784]" into buf; returns buf. */
char *nn_shape_str(const nn_shape *s, char *buf, size_t len);

#endif
