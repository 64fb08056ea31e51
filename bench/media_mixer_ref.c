/* The plain C reference for bench/media_mixer.py: the same O(N) mix (sum once in 32 bits, subtract
 * each listener's own signal, clip once) over K conferences of N parties, compiled with gcc -O3.
 * Usage: media_mixer_ref K N FRAME REPEAT  -> prints nanoseconds per output sample. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void mix(int K, int N, int F, const int16_t *in, int16_t *out, int32_t *acc)
{
    for (int c = 0; c < K; c++) {
        const int16_t *x = in + (size_t)c * N * F;
        int16_t *y = out + (size_t)c * N * F;
        memset(acc, 0, F * sizeof *acc);
        for (int m = 0; m < N; m++)
            for (int i = 0; i < F; i++)
                acc[i] += x[(size_t)m * F + i];
        for (int m = 0; m < N; m++)
            for (int i = 0; i < F; i++) {
                int32_t v = acc[i] - x[(size_t)m * F + i];
                if (v > 32767) v = 32767;
                if (v < -32768) v = -32768;
                y[(size_t)m * F + i] = (int16_t)v;
            }
    }
}

int main(int argc, char **argv)
{
    if (argc != 5) return 2;
    int K = atoi(argv[1]), N = atoi(argv[2]), F = atoi(argv[3]), R = atoi(argv[4]);
    size_t total = (size_t)K * N * F;
    int16_t *in = malloc(total * 2), *out = malloc(total * 2);
    int32_t *acc = malloc(F * 4);
    srand(1);
    for (size_t i = 0; i < total; i++) in[i] = (int16_t)(rand() % 65536 - 32768);
    struct timespec a, b;
    double best = 1e300;
    for (int round = 0; round < 5; round++) {
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (int r = 0; r < R; r++) {
            mix(K, N, F, in, out, acc);
            __asm__ volatile("" : : "r"(out) : "memory");  /* keep every repetition */
        }
        clock_gettime(CLOCK_MONOTONIC, &b);
        double ns = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / R / total;
        if (ns < best) best = ns;
    }
    long check = 0;
    for (size_t i = 0; i < total; i++) check += out[i];
    printf("%.4f %ld\n", best, check);
    return 0;
}
