/*
 * Preloaded into the loopback S3 server by s3_compare.py (LD_PRELOAD):
 * turns off Nagle's algorithm (TCP_NODELAY) on every connection the server
 * accepts.
 *
 * Garage, like any server built on hyper's defaults, leaves Nagle on. It
 * writes a response's headers, then its body; a body under one segment
 * (64 KiB on loopback) then waits for the client to acknowledge the
 * headers, and the client delays that acknowledgement by 40 ms. So every
 * GET of 4-64 KiB took 40-44 ms instead of 2 ms. Production S3 endpoints
 * answer small reads without such a stall, so the benchmark should not
 * charge it to the client.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

static int no_delay(int fd) {
    if (fd >= 0) {
        int on = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    }
    return fd;
}

int accept4(int socket, struct sockaddr *address, socklen_t *length, int flags) {
    static int (*accept4_next)(int, struct sockaddr *, socklen_t *, int);
    if (!accept4_next) accept4_next = dlsym(RTLD_NEXT, "accept4");
    return no_delay(accept4_next(socket, address, length, flags));
}

int accept(int socket, struct sockaddr *address, socklen_t *length) {
    static int (*accept_next)(int, struct sockaddr *, socklen_t *);
    if (!accept_next) accept_next = dlsym(RTLD_NEXT, "accept");
    return no_delay(accept_next(socket, address, length));
}
