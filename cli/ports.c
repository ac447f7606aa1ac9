/* SPDX-License-Identifier: MIT */
/* \summary: atproof ports: the serial ports libserialport finds, with their stable names */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libserialport.h>

#include "cli/cli.h"
#include "harness/hns_run.h"

/*
 * What to give `run --port`: every serial port libserialport enumerates
 * (it reads /sys/class/tty, so ptys are not listed), its USB identity when
 * it is a USB-UART, and the udev links in /dev/serial/by-id/ that name it.
 * A USB port's line reads
 *
 *   /dev/ttyUSB0  usb  1a86:7523  serial A1B2  USB Serial
 *       by-id /dev/serial/by-id/usb-1a86_USB_Serial-if00-port0
 *
 * and `--port usb:1a86:7523:A1B2` or the by-id link then pick it whatever
 * its ttyUSB number is after the next plug-in.
 */
#define BYID_DIR "/dev/serial/by-id"
#define BYID_MAX 16    /* links shown per port */

static void
ports_usage(FILE *f)
{
	fprintf(f,
	    "usage: atproof ports [--json]\n"
	    "\n"
	    "Lists the serial ports libserialport finds: name, transport (usb, native,\n"
	    "bluetooth), USB VID:PID, serial number and description, and the\n"
	    "/dev/serial/by-id/ links that point to each. Any of these names works as\n"
	    "`atproof run --port`, and so does usb:VID:PID[:SERIAL].\n"
	    "\n"
	    "  --json     one JSON document: {\"ports\": [{\"name\", \"transport\", \"vid\",\n"
	    "             \"pid\", \"serial\", \"description\", \"manufacturer\", \"product\",\n"
	    "             \"by_id\": [...]}]}\n"
	    "  --help     this text\n"
	    "\n"
	    "Exit: 0 listed (an empty list too), 2 usage, 3 the ports cannot be listed.\n");
}

static const char *
transport_name(enum sp_transport t)
{
	switch (t) {
	case SP_TRANSPORT_USB: return "usb";
	case SP_TRANSPORT_BLUETOOTH: return "bluetooth";
	case SP_TRANSPORT_NATIVE: return "native";
	}
	return "native";
}

/* The by-id links whose target is @dev, sorted by name. */
static size_t
by_id_links(const char *dev, char links[][PATH_MAX], size_t max)
{
	DIR *dir = opendir(BYID_DIR);
	struct dirent *de;
	size_t n = 0, i, j;

	if (dir == NULL)
		return 0;
	while ((de = readdir(dir)) != NULL && n < max) {
		char path[PATH_MAX], target[PATH_MAX];
		if (de->d_name[0] == '.' || strlen(de->d_name) + sizeof(BYID_DIR) + 1 > PATH_MAX)
			continue;
		snprintf(path, sizeof(path), "%s/%s", BYID_DIR, de->d_name);
		if (hns_port_follow(path, target, sizeof(target)) == ATP_OK &&
		    strcmp(target, dev) == 0)
			memcpy(links[n++], path, strlen(path) + 1);
	}
	closedir(dir);
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(links[j - 1], links[j]) > 0; j--) {
			char tmp[PATH_MAX];
			memcpy(tmp, links[j], sizeof(tmp));
			memcpy(links[j], links[j - 1], sizeof(tmp));
			memcpy(links[j - 1], tmp, sizeof(tmp));
		}
	return n;
}

static json_t *
jstr_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

int
cli_ports(int argc, char **argv)
{
	static char links[BYID_MAX][PATH_MAX];
	struct sp_port **list = NULL;
	json_t *root = NULL, *arr = NULL;
	size_t i, n = 0, k, nl;
	int json = 0, a;

	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
			ports_usage(stdout);
			return ATP_EXIT_PASS;
		}
		if (strcmp(argv[a], "--json") == 0) {
			json = 1;
			continue;
		}
		fprintf(stderr, "atproof ports: unknown option '%s'\n", argv[a]);
		ports_usage(stderr);
		return ATP_EXIT_USAGE;
	}
	if (sp_list_ports(&list) != SP_OK) {
		char *msg = sp_last_error_message();
		fprintf(stderr, "atproof ports: libserialport cannot list the ports: %s\n",
		    msg != NULL ? msg : "unknown error");
		sp_free_error_message(msg);
		return ATP_EXIT_ENV;
	}
	while (list[n] != NULL)
		n++;
	qsort(list, n, sizeof(*list), hns_sp_port_cmp);
	if (json) {
		root = json_object();
		arr = json_array();
		json_object_set_new(root, "ports", arr);
	} else if (n == 0) {
		printf("no serial ports found\n");
	}
	for (i = 0; i < n; i++) {
		struct sp_port *p = list[i];
		const char *name = sp_get_port_name(p);
		enum sp_transport tr = sp_get_port_transport(p);
		int vid = -1, pid = -1;
		const char *ser = NULL, *desc = sp_get_port_description(p);

		if (tr == SP_TRANSPORT_USB) {
			if (sp_get_port_usb_vid_pid(p, &vid, &pid) != SP_OK)
				vid = pid = -1;
			ser = sp_get_port_usb_serial(p);
		}
		nl = by_id_links(name, links, BYID_MAX);
		if (json) {
			json_t *o = json_object(), *ids = json_array();
			char hex[8];
			json_object_set_new(o, "name", json_string(name));
			json_object_set_new(o, "transport", json_string(transport_name(tr)));
			snprintf(hex, sizeof(hex), "%04x", (unsigned)vid & 0xffffu);
			json_object_set_new(o, "vid", vid >= 0 ? json_string(hex) : json_null());
			snprintf(hex, sizeof(hex), "%04x", (unsigned)pid & 0xffffu);
			json_object_set_new(o, "pid", pid >= 0 ? json_string(hex) : json_null());
			json_object_set_new(o, "serial", jstr_or_null(ser));
			json_object_set_new(o, "description", jstr_or_null(desc));
			json_object_set_new(o, "manufacturer", jstr_or_null(tr == SP_TRANSPORT_USB ?
			    sp_get_port_usb_manufacturer(p) : NULL));
			json_object_set_new(o, "product", jstr_or_null(tr == SP_TRANSPORT_USB ?
			    sp_get_port_usb_product(p) : NULL));
			for (k = 0; k < nl; k++)
				json_array_append_new(ids, json_string(links[k]));
			json_object_set_new(o, "by_id", ids);
			json_array_append_new(arr, o);
			continue;
		}
		printf("%-14s %-9s", name, transport_name(tr));
		if (vid >= 0)
			printf(" %04x:%04x", (unsigned)vid, (unsigned)pid);
		else
			printf(" %-9s", "-");
		printf("  serial %-14s %s\n", ser != NULL ? ser : "-", desc != NULL ? desc : "");
		for (k = 0; k < nl; k++)
			printf("    by-id %s\n", links[k]);
	}
	sp_free_port_list(list);
	if (json) {
		int rc = json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		json_decref(root);
		printf("\n");
		if (rc < 0)
			return ATP_EXIT_ENV;
	}
	return fflush(stdout) == 0 ? ATP_EXIT_PASS : ATP_EXIT_ENV;
}
