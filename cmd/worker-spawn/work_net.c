// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * work_net.c — issue 15: net.  net-traffic and irq-wake send raw Ethernet
 * frames (AF_PACKET, ethertype 0x88B5, "local experimental") over the
 * loopback device of a network namespace the worker makes for itself with
 * unshare(CLONE_NEWNET): never a real interface.  The namespace has no
 * name (nothing under /run/netns): it lives while the worker's thread and
 * sockets do, and ws_net_fini() moves the thread back and closes the
 * sockets, so every exit path (kill included) leaves nothing.
 *
 * net-traffic: the worker sends frames every interval_us (0: back to back);
 * a work unit is a frame sent.  irq-wake: a sender thread sends a frame
 * carrying its CLOCK_MONOTONIC stamp every interval_us; the worker blocks
 * in recvfrom() on a packet socket bound to loopback and is woken from the
 * NET_RX softirq that delivers the frame; its wake sample is the time from
 * the sender's stamp (just before sendto) to the receiver running again.
 * A work unit is a frame received.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "errors.h"
#include "telemetry.h"

#define WS_NET_ETHERTYPE 0x88B5
#define WS_NET_HDR       (ETH_HLEN + 8)    /* Ethernet header + the sender's stamp */

struct ws_net {
	int oldns;               /* the thread's namespace before unshare */
	bool moved;              /* unshare() done: fini moves back */
	int tx, rx;              /* packet sockets (rx: irq-wake only) */
	int ifindex;             /* loopback in the new namespace */
	/* irq-wake's sender thread */
	pthread_t th;
	bool th_started;
	_Atomic int stop;
	_Atomic int th_err;
	uint64_t interval_ns;
	size_t len;
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Bring lo up in the (new) namespace and note its index. */
static int loopback_up(struct ws_net *n)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		err = -errno;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (!err && ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		err = -errno;
	if (!err && ioctl(s, SIOCGIFINDEX, &ifr) < 0)
		err = -errno;
	n->ifindex = ifr.ifr_ifindex;
	close(s);
	return err;
}

static struct sockaddr_ll lo_addr(const struct ws_net *n)
{
	struct sockaddr_ll a;

	memset(&a, 0, sizeof(a));
	a.sll_family = AF_PACKET;
	a.sll_protocol = htons(WS_NET_ETHERTYPE);
	a.sll_ifindex = n->ifindex;
	a.sll_halen = ETH_ALEN;   /* to 00:00:00:00:00:00, loopback's own address */
	return a;
}

/* The receiving socket: frames of our ethertype arriving on loopback. */
static int open_rx(struct ws_net *n)
{
	struct sockaddr_ll a = lo_addr(n);
	struct timeval tv = { 0, WS_POLL_NS / 1000 };

	n->rx = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(WS_NET_ETHERTYPE));
	if (n->rx < 0)
		return -errno;
	if (bind(n->rx, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    setsockopt(n->rx, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return -errno;
	return 0;
}

int ws_net_prep(struct ws_ctx *c)
{
	struct ws_net *n = calloc(1, sizeof(*n));
	int err;

	if (!n)
		return -ENOMEM;
	n->tx = n->rx = -1;
	c->net = n;
	n->oldns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (n->oldns < 0)
		return -errno;
	if (unshare(CLONE_NEWNET) < 0)
		return -errno;
	n->moved = true;
	err = loopback_up(n);
	if (err)
		return err;
	/* protocol 0: this socket only sends (it sees no frames) */
	n->tx = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (n->tx < 0)
		return -errno;
	n->len = c->g->p_frame_bytes < WS_NET_HDR ? WS_NET_HDR : c->g->p_frame_bytes;
	n->interval_ns = c->g->p_interval_us * 1000;
	return c->g->type == WS_IRQ_WAKE ? open_rx(n) : 0;
}

void ws_net_fini(struct ws_ctx *c)
{
	struct ws_net *n = c->net;

	if (!n)
		return;
	if (n->th_started) {
		atomic_store(&n->stop, 1);
		pthread_join(n->th, NULL);
	}
	close_fd(&n->tx);
	close_fd(&n->rx);
	if (n->moved && n->oldns >= 0 && setns(n->oldns, CLONE_NEWNET) < 0)
		tk_warn("worker %d: back to its network namespace: %s", c->rep.tid, strerror(errno));
	close_fd(&n->oldns);
	free(n);
	c->net = NULL;
}

/* One frame: 00:00:00:00:00:00 to itself, our ethertype, the stamp, zeros. */
static int send_frame(const struct ws_net *n, uint8_t *frame)
{
	struct sockaddr_ll a = lo_addr(n);
	uint16_t type = htons(WS_NET_ETHERTYPE);
	uint64_t stamp = ws_now();

	memcpy(frame + 2 * ETH_ALEN, &type, 2);
	memcpy(frame + ETH_HLEN, &stamp, 8);
	if (sendto(n->tx, frame, n->len, 0, (struct sockaddr *)&a, sizeof(a)) >= 0)
		return 0;
	/* a full queue or a signal: not sent, the caller paces on */
	return errno == EINTR || errno == ENOBUFS || errno == EAGAIN ? -EAGAIN : -errno;
}

static bool stopped(_Atomic int *stop)
{
	return stop ? atomic_load(stop) : ws_stopping();
}

/*
 * Sleep to the next point of an @interval grid (absolute CLOCK_MONOTONIC, in
 * <= 100 ms steps that re-check @stop, or the worker's stop flag when NULL);
 * a loop that fell a whole interval behind restarts the grid.
 */
static void pace(uint64_t *next, uint64_t interval, _Atomic int *stop)
{
	uint64_t now = ws_now();

	if (!interval)
		return;
	*next += interval;
	if (*next + interval < now)
		*next = now;
	while (!stopped(stop) && (now = ws_now()) < *next) {
		uint64_t to = *next - now > WS_POLL_NS ? now + WS_POLL_NS : *next;
		struct timespec ts = { to / 1000000000ULL, to % 1000000000ULL };

		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
}

int ws_net_traffic(struct ws_ctx *c)
{
	struct ws_net *n = c->net;
	uint8_t frame[1514] = { 0 };
	uint64_t next = ws_now();

	while (!ws_stopping()) {
		int err = send_frame(n, frame);

		if (err && err != -EAGAIN)
			return err;
		if (!err) {
			ws_tick(c, 1);
			ws_iter(c);
		}
		pace(&next, n->interval_ns, NULL);
	}
	return 0;
}

static void *sender(void *arg)
{
	struct ws_net *n = arg;
	uint8_t frame[1514] = { 0 };
	uint64_t next = ws_now();

	while (!atomic_load(&n->stop)) {
		int err = send_frame(n, frame);

		if (err && err != -EAGAIN) {
			n->th_err = err;
			break;
		}
		pace(&next, n->interval_ns, &n->stop);
	}
	return NULL;
}

int ws_irq_wake(struct ws_ctx *c)
{
	struct ws_net *n = c->net;
	uint8_t frame[1514];
	int err = ws_thread_start(&n->th, sender, n);

	n->th_started = !err;

	while (!err && !ws_stopping()) {
		ssize_t r = recvfrom(n->rx, frame, sizeof(frame), 0, NULL, NULL);
		uint64_t now = ws_now(), stamp;

		if (r < 0) {
			if (errno != EAGAIN && errno != EINTR)
				err = -errno;
			continue;
		}
		if (r < WS_NET_HDR)
			continue;
		memcpy(&stamp, frame + ETH_HLEN, 8);
		ws_wake(c, tk_sat_sub_u64(now, stamp));
		ws_tick(c, 1);
		ws_iter(c);
	}
	atomic_store(&n->stop, 1);
	return err ? err : n->th_err;
}
