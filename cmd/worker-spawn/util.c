// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* util.c — stop-aware blocking primitives, the timed yield and the compute kernels. */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "telemetry.h"

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

bool ws_sleep(uint64_t ns)
{
	uint64_t end = ws_now() + ns;

	while (!ws_stopping()) {
		uint64_t now = ws_now(), step;
		struct timespec ts;

		if (now >= end)
			return true;
		step = end - now < WS_POLL_NS ? end - now : WS_POLL_NS;
		ts.tv_sec = step / 1000000000ULL;
		ts.tv_nsec = step % 1000000000ULL;
		nanosleep(&ts, NULL);
	}
	return false;
}

int ws_futex_wait(_Atomic uint32_t *w, uint32_t val)
{
	struct timespec ts = { 0, WS_POLL_NS };

	while (atomic_load(w) == val) {
		if (ws_stopping())
			return -EINTR;
		syscall(SYS_futex, w, FUTEX_WAIT, val, &ts, NULL, 0);
	}
	return 0;
}

void ws_futex_wake(_Atomic uint32_t *w, int n)
{
	syscall(SYS_futex, w, FUTEX_WAKE, n, NULL, NULL, 0);
}

int ws_read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (ws_stopping())
			return -EINTR;
		if (poll(&pfd, 1, WS_POLL_NS / 1000000) <= 0)
			continue;
		n = read(fd, (char *)buf + got, len - got);
		if (n == 0)
			return -EPIPE;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		got += n;
	}
	return 0;
}

int ws_write_full(int fd, const void *buf, size_t len)
{
	size_t put = 0;

	while (put < len) {
		ssize_t n = write(fd, (const char *)buf + put, len - put);

		if (n < 0) {
			if (errno != EINTR && errno != EAGAIN)
				return -errno;
			if (ws_stopping())
				return -EINTR;
			continue;
		}
		put += n;
	}
	return 0;
}

void ws_spin(struct ws_ctx *c, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		cpu_relax();
	ws_tick(c, n);
}

void ws_spin_for(struct ws_ctx *c, uint64_t ns)
{
	uint64_t end = ws_now() + ns;

	while (!ws_stopping() && ws_now() < end)
		ws_spin(c, 256);
}

uint64_t ws_cache_pass(uint8_t *buf, size_t size, size_t stride)
{
	uint64_t n = 0;

	for (size_t i = 0; i < size; i += stride, n++)
		((volatile uint8_t *)buf)[i]++;
	return n;
}

uint64_t ws_cache_steps(uint8_t *buf, size_t size, size_t stride, uint64_t n)
{
	size_t i = 0;

	for (uint64_t k = 0; k < n; k++) {
		((volatile uint8_t *)buf)[i]++;
		i = (i + stride) % size;
	}
	return n;
}

uint64_t ws_alu(uint64_t n)
{
	uint64_t a = 1, b = 3, c = 5, d = 7;

	for (uint64_t i = 0; i < n; i++) {
		a = a * 6364136223846793005ULL + 1;
		b = b * 2862933555777941757ULL + 3;
		c = c * 3202034522624059733ULL + 5;
		d = d * 3935559000370003845ULL + 7;
		__asm__ __volatile__("" : "+r"(a), "+r"(b), "+r"(c), "+r"(d));
	}
	return a ^ b ^ c ^ d;
}

void ws_yield_sampled(struct ws_ctx *c)
{
	uint64_t t = ws_now();

	sched_yield();
	ws_wake(c, ws_now() - t);
}
