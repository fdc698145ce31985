# Sourced by the bench scripts: medians of alternated runs and the machine's name.

# median: the median of the numbers on stdin, one per line
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# cpu_name: the CPU's model name, for the tables' headers
cpu_name() { grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'; }
