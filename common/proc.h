/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * proc.h — process identity from /proc: a pid names "the same process" only
 * while that process lives; once it is reaped the number can be handed to a
 * newcomer.  A process's start time (CLOCK_BOOTTIME) tells them apart: a
 * process that started after a record naming its pid was written is not the
 * process the record meant.
 */
#ifndef TELKIT_PROC_H
#define TELKIT_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Pure: field 22 (starttime, clock ticks since boot) of a /proc/PID/stat
 * line of @len bytes.  The comm field may hold spaces and ')' (parsed from
 * the last ')').  0, or -EINVAL when the line does not have that field.
 */
int tk_proc_stat_starttime(const char *line, size_t len, uint64_t *ticks);

/*
 * Start time of @pid on CLOCK_BOOTTIME, in ns, rounded down to the clock
 * tick (1/USER_HZ s) the kernel reports.  0, or -errno (-ESRCH: no such pid).
 */
int tk_proc_start_boot_ns(pid_t pid, uint64_t *ns);

/*
 * CLOCK_BOOTTIME at which a record stamped @ts_real_ns (CLOCK_REALTIME, 0 =
 * none) was written, given that it was read at @read_boot_ns: the stamp
 * mapped to the boot clock when it is plausible (after boot, not after the
 * read), the read time otherwise.
 */
uint64_t tk_record_boot_ns(uint64_t ts_real_ns, uint64_t read_boot_ns);

#endif
