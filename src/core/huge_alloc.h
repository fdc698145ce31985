/* Large buffers read over and over (weights converted at load, KV caches) on transparent
 * huge pages. */
#ifndef LF_CORE_HUGE_ALLOC_H
#define LF_CORE_HUGE_ALLOC_H

#include <stddef.h>

/* n bytes (uninitialised; free() them), from 2 MiB up on 2 MiB boundaries marked for
 * transparent huge pages where the kernel has them ("madvise" mode too), 64-byte aligned
 * below; NULL when out of memory. Lazy: nothing is committed until written, then 2 MiB
 * at a time. */
void *lf_huge_alloc(size_t n);

#endif
