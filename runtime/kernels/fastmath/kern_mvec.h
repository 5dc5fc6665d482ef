/* Vector math for the kernels. glibc declares its SIMD variants (libmvec, e.g. _ZGVdN8v_expf)
 * only when __FAST_MATH__ is defined, but gcc leaves __FAST_MATH__ undefined under
 * -fno-finite-math-only, which the kernels keep so NaN and Inf still behave. Redeclaring the
 * functions the kernels use with the simd attribute restores the vector calls (libm.so pulls
 * in libmvec as needed). Verify with `nm build/runtime/kernels/fastmath/kern_*.o | grep _ZGV`. */
#ifndef NN_KERN_MVEC_H
#define NN_KERN_MVEC_H
#include <math.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__FAST_MATH__)
#define NN_MVEC __attribute__((__simd__("notinbranch")))
NN_MVEC extern float expf(float);
NN_MVEC extern float expm1f(float);
NN_MVEC extern float logf(float);
NN_MVEC extern float log1pf(float);
NN_MVEC extern float erff(float);
NN_MVEC extern float tanhf(float);
NN_MVEC extern float powf(float, float);
NN_MVEC extern float cosf(float);
#undef NN_MVEC
#endif

#endif
