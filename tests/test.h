/* Minimal test harness: CHECK counts passes and failures; TEST_MAIN_END prints the
 * closing "N passed, M failed" line that tests/run.sh adds up. */
#ifndef LF_TEST_H
#define LF_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_passed, test_failed, test_skipped;

/* Counts a check this machine cannot run (an instruction set it lacks), and says why. */
#define SKIP(...)                                  \
    do {                                           \
        test_skipped++;                            \
        fprintf(stderr, "skipped: " __VA_ARGS__);  \
        fputc('\n', stderr);                       \
    } while (0)

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (cond) {                                                                  \
            test_passed++;                                                           \
        } else {                                                                     \
            test_failed++;                                                           \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                            \
    } while (0)

#define CHECK_MSG(cond, ...)                                             \
    do {                                                                 \
        if (cond) {                                                      \
            test_passed++;                                               \
        } else {                                                         \
            test_failed++;                                               \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                \
            fputc('\n', stderr);                                         \
        }                                                                \
    } while (0)

#define TEST_MAIN_END()                                                                      \
    do {                                                                                     \
        if (test_skipped)                                                                    \
            printf("%d passed, %d failed, %d skipped\n", test_passed, test_failed, test_skipped); \
        else                                                                                 \
            printf("%d passed, %d failed\n", test_passed, test_failed);                      \
        return test_failed ? 1 : 0;                                                          \
    } while (0)

/* Directory of the shared test data (../shared/data from the repository root). */
static inline const char *test_data_dir(void) {
    const char *d = getenv("LF_TEST_DATA");
    return d ? d : "../shared/data";
}

#endif
