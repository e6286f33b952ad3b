// The kernel's own UDP figure for scripts/bench.sh two-process, when iperf3 is not installed:
// one process sends TOTAL bytes of SIZE-byte datagrams to 127.0.0.1 as fast as the kernel
// takes them (sendmmsg, 64 per call), another receives them (recvmmsg, 64 per call). The
// receiver prints what arrived and how fast: the most a user-space protocol over UDP on this
// loopback could move between two processes.
//
//   udp-blast recv PORT                 waits for datagrams on 127.0.0.1:PORT; ends 0.5 s after
//                                       the last one (or when a 1-byte datagram arrives)
//   udp-blast send PORT SIZE TOTAL      sends TOTAL bytes, then a few 1-byte end markers
//
// The receiver prints
//   kernel two-process UDP 1200-byte datagrams: M Mbit/s received, L % lost, C CPU-s per GiB (sender + receiver), udp-blast
// (timed from its first datagram to its last; the sender's CPU time comes on the end marker).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { BATCH = 64, MAXSIZE = 65507 };

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu_seconds(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec / 1e6 + (double)u.ru_stime.tv_sec +
           (double)u.ru_stime.tv_usec / 1e6;
}

static int udp_socket(void) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) { perror("socket"); exit(1); }
    int size = 4 << 20;  // as SwiftRTC's sockets
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    return fd;
}

static struct sockaddr_in loopback(int port) {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static int receive(int port) {
    int fd = udp_socket();
    struct sockaddr_in a = loopback(port);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) { perror("bind"); return 1; }
    static char buffers[BATCH][MAXSIZE + 1];
    struct mmsghdr messages[BATCH];
    struct iovec vectors[BATCH];
    for (int i = 0; i < BATCH; i++) {
        vectors[i].iov_base = buffers[i];
        vectors[i].iov_len = sizeof buffers[i];
        memset(&messages[i], 0, sizeof messages[i]);
        messages[i].msg_hdr.msg_iov = &vectors[i];
        messages[i].msg_hdr.msg_iovlen = 1;
    }
    uint64_t bytes = 0, datagrams = 0, size = 0;
    double first = 0, last = 0, cpu0 = 0, senderCPU = -1, senderSent = 0;
    int done = 0;
    while (!done) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, datagrams ? 500 : 30000) <= 0) break;  // 0.5 s quiet after data: the sender is done
        int n = recvmmsg(fd, messages, BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0) continue;
        for (int i = 0; i < n; i++) {
            unsigned len = messages[i].msg_len;
            if (len < 64) {  // end marker: "CPU SENT" of the sender
                buffers[i][len] = 0;
                sscanf(buffers[i], "%lf %lf", &senderCPU, &senderSent);
                done = 1;
                continue;
            }
            if (datagrams == 0) { first = now_seconds(); cpu0 = cpu_seconds(); }
            datagrams++;
            bytes += len;
            size = len;
            last = now_seconds();
        }
    }
    double cpu = cpu_seconds() - cpu0;
    if (datagrams < 2 || last <= first) { fprintf(stderr, "udp-blast: received %llu datagrams\n", (unsigned long long)datagrams); return 1; }
    double lost = senderSent > 0 ? 100.0 * (1.0 - (double)bytes / senderSent) : 0;
    printf("kernel two-process UDP %llu-byte datagrams: %.1f Mbit/s received, %.1f %% lost, %.2f CPU-s per GiB (sender + receiver), udp-blast\n",
           (unsigned long long)size, (double)bytes * 8 / (last - first) / 1e6, lost < 0 ? 0 : lost,
           (cpu + (senderCPU > 0 ? senderCPU : 0)) * (double)(1 << 30) / (double)bytes);
    return 0;
}

static int send_all(int port, int size, uint64_t total) {
    if (size < 64 || size > MAXSIZE) { fprintf(stderr, "udp-blast: SIZE must be 64...%d\n", MAXSIZE); return 1; }
    int fd = udp_socket();
    struct sockaddr_in a = loopback(port);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) { perror("connect"); return 1; }
    char *payload = malloc((size_t)size);
    for (int i = 0; i < size; i++) payload[i] = (char)(i % 251);
    struct mmsghdr messages[BATCH];
    struct iovec vector = {payload, (size_t)size};
    for (int i = 0; i < BATCH; i++) {
        memset(&messages[i], 0, sizeof messages[i]);
        messages[i].msg_hdr.msg_iov = &vector;
        messages[i].msg_hdr.msg_iovlen = 1;
    }
    double cpu0 = cpu_seconds();
    uint64_t sent = 0;
    while (sent < total) {
        uint64_t left = (total - sent + (uint64_t)size - 1) / (uint64_t)size;
        int n = sendmmsg(fd, messages, left < BATCH ? (unsigned)left : BATCH, 0);
        if (n < 0) continue;  // ENOBUFS/ECONNREFUSED: the receiver is behind or not yet there
        sent += (uint64_t)n * (uint64_t)size;
    }
    char marker[48];
    int len = snprintf(marker, sizeof marker, "%.3f %llu", cpu_seconds() - cpu0, (unsigned long long)sent);
    for (int i = 0; i < 5; i++) {
        usleep(20000);
        send(fd, marker, (size_t)len, 0);
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "recv") == 0) return receive(atoi(argv[2]));
    if (argc == 5 && strcmp(argv[1], "send") == 0) return send_all(atoi(argv[2]), atoi(argv[3]), strtoull(argv[4], NULL, 10));
    fprintf(stderr, "usage: udp-blast recv PORT | udp-blast send PORT SIZE TOTAL\n");
    return 2;
}
