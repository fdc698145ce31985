/* The default thread count: the CPUs this process may run on (its affinity mask, as
 * taskset or a container's cpuset leave it), at most one per physical core among them
 * (a second hyperthread adds little to bandwidth-bound decode), and at most the CPU time
 * a cgroup quota grants, rounded up. More threads than that only wait, at every job, for
 * one that the kernel has descheduled. */
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "llamafast.h"

/* The allowed CPUs into set; their count (the online CPUs when the mask is unreadable). */
static int allowed_cpus(cpu_set_t *set) {
    CPU_ZERO(set);
    if (sched_getaffinity(0, sizeof *set, set) == 0 && CPU_COUNT(set) > 0) return CPU_COUNT(set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    n = n < 1 ? 1 : n > CPU_SETSIZE ? CPU_SETSIZE : n;
    for (long cpu = 0; cpu < n; cpu++) CPU_SET((int)cpu, set);
    return (int)n;
}

/* Distinct cores among the CPUs of set (a core is named by the first CPU of its sibling
 * list), or 0 when sysfs does not tell. */
static int physical_cores(const cpu_set_t *set) {
    long firsts[CPU_SETSIZE];
    int n = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
        if (!CPU_ISSET(cpu, set)) continue;
        char path[96];
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/topology/thread_siblings_list", cpu);
        FILE *f = fopen(path, "r");
        if (!f) return 0;
        long first = -1;
        int ok = fscanf(f, "%ld", &first);
        fclose(f);
        if (ok != 1 || first < 0) return 0;
        bool dup = false;
        for (int i = 0; i < n && !dup; i++) dup = firsts[i] == first;
        if (!dup) firsts[n++] = first;
    }
    return n;
}

/* Two numbers from a file of dir (cgroup v2 "cpu.max": "QUOTA PERIOD" or "max PERIOD");
 * false when unreadable or "max". */
static bool read_quota(const char *dir, const char *file, long long *quota, long long *period) {
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", dir, file) >= (int)sizeof path) return false;
    FILE *f = fopen(path, "r");
    if (!f) return false;
    bool ok = fscanf(f, "%lld %lld", quota, period) == 2;
    fclose(f);
    return ok;
}

static bool read_number(const char *dir, const char *file, long long *v) {
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", dir, file) >= (int)sizeof path) return false;
    FILE *f = fopen(path, "r");
    if (!f) return false;
    bool ok = fscanf(f, "%lld", v) == 1;
    fclose(f);
    return ok;
}

/* CPUs' worth of time the process's own cgroup grants (cgroup v2 cpu.max, or v1
 * cpu.cfs_quota_us / cpu.cfs_period_us), rounded up; 0 when unlimited or unknown. */
static int cgroup_quota_cpus(void) {
    FILE *f = fopen("/proc/self/cgroup", "r");
    if (!f) return 0;
    char line[PATH_MAX + 64], dir[PATH_MAX];
    long long quota = -1, period = 0;
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *controllers = strchr(line, ':'), *path = controllers ? strchr(controllers + 1, ':') : NULL;
        if (!path) continue;
        *path++ = '\0';
        controllers++;
        if (!*controllers) { /* v2 */
            if (snprintf(dir, sizeof dir, "/sys/fs/cgroup%s", path) < (int)sizeof dir)
                found = read_quota(dir, "cpu.max", &quota, &period);
            continue;
        }
        bool has_cpu = false;
        for (char *save = NULL, *c = strtok_r(controllers, ",", &save); c; c = strtok_r(NULL, ",", &save))
            has_cpu |= strcmp(c, "cpu") == 0;
        if (has_cpu && snprintf(dir, sizeof dir, "/sys/fs/cgroup/cpu%s", path) < (int)sizeof dir)
            found = read_number(dir, "cpu.cfs_quota_us", &quota) && read_number(dir, "cpu.cfs_period_us", &period);
    }
    fclose(f);
    if (!found || quota <= 0 || period <= 0) return 0;
    long long cpus = (quota + period - 1) / period;
    return cpus > INT_MAX ? INT_MAX : (int)cpus;
}

int lf_default_thread_count(void) {
    cpu_set_t set;
    int n = allowed_cpus(&set);
    int cores = physical_cores(&set), quota = cgroup_quota_cpus();
    if (cores > 0 && cores < n) n = cores;
    if (quota > 0 && quota < n) n = quota;
    return n;
}
