/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vmlib - shared helpers for the vm test suite: detect the WarpDrive VM,
 * load and unload our modules, read sysfs attributes.
 */
#ifndef WD_TESTS_VMLIB_H
#define WD_TESTS_VMLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Skip the whole test (TAP "1..0 # SKIP") unless running inside tools/wdvm. */
void vm_require(void);

/* True when the kernel module @name is loaded. */
bool vm_module_loaded(const char *name);

/*
 * Load uacce.ko and wdsoft.ko from $WD_KMOD_DIR, wdsoft with module
 * parameters @soft_params (may be NULL or ""). Modules already loaded are
 * unloaded first so every test starts from known parameters.
 * Returns 0 or -errno.
 */
int vm_load_modules(const char *soft_params);

/* Unload wdsoft then uacce. Returns 0 or -errno. */
int vm_unload_modules(void);

/* Run a shell command; returns its exit status, or -1. */
int vm_system(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* MainPID of systemd unit @unit, 0 when it has none (not running). */
long vm_unit_main_pid(const char *unit);
/* A numeric property of systemd unit @unit (systemctl show), -1 if unreadable. */
long vm_unit_number(const char *unit, const char *property);

/*
 * Read /sys/class/uacce/@dev/@attr into @buf (trailing newline removed).
 * Returns the length or -errno.
 */
int vm_sysfs_read(const char *dev, const char *attr, char *buf, size_t size);

/* Same, parsed as a long. Returns 0 or -errno. */
int vm_sysfs_long(const char *dev, const char *attr, long *val);

/*
 * Write @val (no newline added) to the file @fmt names, a sysfs attribute
 * or a debugfs knob, in one write(). Returns 0 or -errno (what the kernel
 * said about the value: -EINVAL for one it refused).
 */
int vm_write(const char *val, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* CRC-32C (Castagnoli) computed bit by bit: the reference results are checked against. */
uint32_t vm_crc32c(const uint8_t *p, size_t n);

#endif /* WD_TESTS_VMLIB_H */
