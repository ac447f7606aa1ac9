/* SPDX-License-Identifier: MIT */
/*
 * The command/answer cycle the benchmarks use (bench/capgen.c writes it as a
 * capture, bench/corebench.c feeds it to the core): ten exchanges as the
 * LUAT firmware gives them (w600-firmware.md).
 */
#ifndef ATP_BENCH_CYCLE_H
#define ATP_BENCH_CYCLE_H

#include <stddef.h>

struct xchg {
	const char *cmd;
	const char *rsp;
};

static const struct xchg cycle[] = {
	{ "AT+\r", "+OK\r\n\r\n" },
	{ "AT+QVER\r", "+OK=H1.00.00.0000,G2.02.05@ 10:55:46 Sep 28 2018\r\n\r\n" },
	{ "AT+QMAC\r", "+OK=286dcd004e7d\r\n\r\n" },
	{ "AT+WPRT=?\r", "+OK=0\r\n\r\n" },
	{ "AT+WPRT=0\r", "+OK\r\n\r\n" },
	{ "AT+ENCRY=?\r", "+OK=0\r\n\r\n" },
	{ "AT+SSID=?\r", "+OK=\"TP-LINK_HyFi_1E\"\r\n\r\n" },
	{ "AT+LKSTT\r", "+OK=1,\"192.168.1.101\",\"255.255.255.0\",\"192.168.1.1\",\"192.168.1.1\",\"8.8.8.8\"\r\n\r\n" },
	{ "AT+UART=?\r", "+OK=115200,0,0,0,0\r\n\r\n" },
	{ "AT+WPRT=!0\r", "+OK\r\n\r\n" },
};

#define NCYCLE (sizeof(cycle) / sizeof(cycle[0]))

#endif
