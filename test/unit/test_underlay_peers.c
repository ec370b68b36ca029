/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The underlay prober's pure parts (src/underlay_peers.c) and its metrics
 * (l2fq_metrics_format_underlay): a peer's tunnel addresses, the status
 * file, the log lines, the base64 of keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <sys/socket.h>

#include "l2fragq/metrics.h"
#include "l2fragq/underlay_peers.h"

static struct l2fq_wg_peer peer;
static struct l2fq_peers filter;

static void allow(const char *addr, unsigned cidr)
{
	struct l2fq_wg_allowed *w = &peer.allowed[peer.n_allowed++];

	memset(w, 0, sizeof(*w));
	w->family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(w->family, addr, w->addr), 1);
	w->cidr = (uint8_t)cidr;
}

static void add_filter(const char *text)
{
	assert_int_equal(l2fq_peer_parse(text, &filter.list[filter.count++]), 0);
}

static const char *ntop(const struct l2fq_uaddr *a)
{
	static char buf[4][INET6_ADDRSTRLEN];
	static int i;

	i = (i + 1) % 4;
	return inet_ntop(a->family, a->addr, buf[i], sizeof(buf[i]));
}

static int reset(void **state)
{
	(void)state;
	memset(&peer, 0, sizeof(peer));
	memset(&filter, 0, sizeof(filter));
	return 0;
}

/* Without --peer: every host allowed IP of both families, nothing wider. */
static void tunnel_addrs_without_peer_option(void **state)
{
	struct l2fq_uaddr out[8];
	size_t n;

	(void)state;
	allow("198.51.100.2", 32);
	allow("198.51.100.0", 24);
	allow("2001:db8::2", 128);
	allow("2001:db8::", 64);
	allow("198.51.100.2", 32); /* a duplicate is listed once */
	n = l2fq_underlay_tunnel_addrs(&peer, NULL, out, 8);
	assert_int_equal(n, 2);
	assert_string_equal(ntop(&out[0]), "198.51.100.2");
	assert_string_equal(ntop(&out[1]), "2001:db8::2");
	/* An empty filter is no filter. */
	assert_int_equal(l2fq_underlay_tunnel_addrs(&peer, &filter, out, 8), 2);
	/* max is kept */
	assert_int_equal(l2fq_underlay_tunnel_addrs(&peer, NULL, out, 1), 1);
}

/* With --peer: the host allowed IPs --peer contains, and the --peer hosts
 * inside the peer's wider allowed IPs; never IPv6, never another peer's. */
static void tunnel_addrs_with_peer_option(void **state)
{
	struct l2fq_uaddr out[8];
	size_t n;

	(void)state;
	allow("198.51.100.2", 32);   /* listed by --peer */
	allow("198.51.100.9", 32);   /* not */
	allow("203.0.113.0", 24);    /* holds the --peer 203.0.113.7 */
	allow("2001:db8::2", 128);
	add_filter("198.51.100.2");
	add_filter("203.0.113.7");
	add_filter("192.0.2.5");      /* another peer's */
	add_filter("203.0.113.128/25"); /* a prefix is no tunnel address */
	n = l2fq_underlay_tunnel_addrs(&peer, &filter, out, 8);
	assert_int_equal(n, 2);
	assert_string_equal(ntop(&out[0]), "198.51.100.2");
	assert_string_equal(ntop(&out[1]), "203.0.113.7");
}

static void key_base64_as_wg_prints_it(void **state)
{
	uint8_t key[L2FQ_WG_KEY_LEN];
	char b64[L2FQ_UNDERLAY_KEY_B64];

	(void)state;
	memset(key, 0, sizeof(key));
	l2fq_underlay_key_b64(key, b64);
	assert_string_equal(b64, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
	for (unsigned i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 8 + 3);
	l2fq_underlay_key_b64(key, b64);
	/* python3 -c 'import base64; print(base64.b64encode(bytes(i*8+3 for i in range(32))).decode())' */
	assert_string_equal(b64, "AwsTGyMrMztDS1NbY2tze4OLk5ujq7O7w8vT2+Pr8/s=");
}

static void view_b(struct l2fq_underlay_view *v)
{
	memset(v, 0, sizeof(*v));
	v->ep_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.2", v->ep_addr);
	v->ep_port = 51820;
	v->state = "search_complete";
	v->pmtu = 1400;
	v->usable = 1340;
	v->max = 1500;
	v->overhead = 60;
	v->confirmed_age_ms = 3200;
	v->probes_sent = 17;
	v->acks_received = 16;
	v->n_tunnel = 1;
	v->tunnel[0].family = AF_INET;
	inet_pton(AF_INET, "198.51.100.2", v->tunnel[0].addr);
	v->route = L2FQ_UROUTE_SET;
}

static void view_c(struct l2fq_underlay_view *v)
{
	memset(v, 0, sizeof(*v));
	memset(v->key, 0xff, sizeof(v->key));
	v->ep_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::3", v->ep_addr);
	v->ep_port = 51821;
	v->state = "no_responder";
	v->usable = 1420;
	v->max = 1500;
	v->overhead = 80;
	v->confirmed_age_ms = -1;
	v->probes_sent = 3;
	v->route = L2FQ_UROUTE_NONE;
}

static const struct l2fq_underlay_header header = {
	.wg = "l2fq-wg", .listen_port = 51820, .time = 1765060000, .confirm_interval = 10,
	.raise_interval = 600, .acks_sent = 12, .probes_refused = 0,
};

/* The format of i18-interface.md, field by field. */
static void status_file_format(void **state)
{
	struct l2fq_underlay_view v[3];
	char buf[2048], small[40];
	size_t n;

	(void)state;
	view_b(&v[0]);
	view_c(&v[1]);
	memset(&v[2], 0, sizeof(v[2]));
	v[2].state = "no_endpoint";
	v[2].usable = 1420;
	v[2].confirmed_age_ms = -1;
	v[2].route = L2FQ_UROUTE_FOREIGN;
	n = l2fq_underlay_format_status(buf, sizeof(buf), &header, v, 3);
	assert_int_equal(n, strlen(buf));
	assert_string_equal(buf,
		"underlay wg=l2fq-wg listen-port=51820 time=1765060000 confirm-interval=10 "
		"raise-interval=600 acks-sent=12 probes-refused=0\n"
		"peer key=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= endpoint=192.0.2.2:51820 "
		"state=search_complete pmtu=1400 usable=1340 max=1500 overhead=60 "
		"confirmed-age-ms=3200 probes-sent=17 acks-received=16 tunnel=198.51.100.2 route=set\n"
		"peer key=//////////////////////////////////////////8= endpoint=[2001:db8::3]:51821 "
		"state=no_responder pmtu=0 usable=1420 max=1500 overhead=80 confirmed-age-ms=-1 "
		"probes-sent=3 acks-received=0 tunnel=none route=none\n"
		"peer key=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= endpoint=none state=no_endpoint "
		"pmtu=0 usable=1420 max=0 overhead=0 confirmed-age-ms=-1 probes-sent=0 "
		"acks-received=0 tunnel=none route=foreign\n");
	/* Two tunnel addresses: comma-separated. */
	v[0].n_tunnel = 2;
	v[0].tunnel[1].family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::2", v[0].tunnel[1].addr);
	l2fq_underlay_format_status(buf, sizeof(buf), &header, v, 1);
	assert_non_null(strstr(buf, " tunnel=198.51.100.2,2001:db8::2 route=set\n"));
	/* Too small: cut, terminated, and the length says what it needed. */
	assert_int_equal(l2fq_underlay_format_status(small, sizeof(small), &header, v, 1),
			 strlen(buf));
	assert_int_equal(strlen(small), sizeof(small) - 1);
}

static void log_lines(void **state)
{
	struct l2fq_underlay_view v;
	char buf[512];

	(void)state;
	view_b(&v);
	l2fq_underlay_format_line(buf, sizeof(buf), &v, L2FQ_ULINE_CHANGE);
	assert_string_equal(buf, "peer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= (192.0.2.2:51820): "
				 "path MTU 1400, usable 1340 (route 198.51.100.2 mtu lock 1340)");
	v.route = L2FQ_UROUTE_FOREIGN;
	l2fq_underlay_format_line(buf, sizeof(buf), &v, L2FQ_ULINE_CHANGE);
	assert_non_null(strstr(buf, "(route 198.51.100.2 mtu lock 1340: foreign)"));
	l2fq_underlay_format_line(buf, sizeof(buf), &v, L2FQ_ULINE_STATE);
	assert_non_null(strstr(buf, "): search complete: path MTU 1400, usable 1340"));
	l2fq_underlay_format_line(buf, sizeof(buf), &v, L2FQ_ULINE_SUMMARY);
	assert_non_null(strstr(buf, "): state search_complete, path MTU 1400, usable 1340, max 1500, "
				    "confirmed 3.2 s ago, probes 17, acks 16, tunnel 198.51.100.2 "
				    "route foreign"));
	view_c(&v);
	l2fq_underlay_format_line(buf, sizeof(buf), &v, L2FQ_ULINE_STATE);
	assert_non_null(strstr(buf, " ([2001:db8::3]:51821): no responder (the peer runs no l2fragq "
				    "probing): MTU stays 1420"));
	l2fq_underlay_format_line(buf, sizeof(buf), &v, L2FQ_ULINE_SUMMARY);
	assert_non_null(strstr(buf, "never confirmed"));
	v.state = "error";
	v.pmtu = 1400;
	v.usable = 1320;
	l2fq_underlay_format_line(buf, sizeof(buf), &v, L2FQ_ULINE_STATE);
	assert_non_null(strstr(buf, "error: the peer stopped answering (path MTU 1400 kept, usable 1320)"));
}

static void metrics_format(void **state)
{
	struct l2fq_underlay_view v[2];
	struct l2fq_underlay_header h = header;
	char buf[8192];
	size_t n;

	(void)state;
	view_b(&v[0]);
	view_c(&v[1]);
	h.wg = "wg\"0";
	n = l2fq_metrics_format_underlay(buf, sizeof(buf), &h, v, 2);
	assert_int_equal(n, strlen(buf));
#define B "{wg=\"wg\\\"0\",peer=\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\""
#define C "{wg=\"wg\\\"0\",peer=\"//////////////////////////////////////////8=\""
	assert_non_null(strstr(buf, "\nl2fragq_underlay_pmtu_bytes" B "} 1400\n"));
	assert_non_null(strstr(buf, "\nl2fragq_underlay_pmtu_bytes" C "} 0\n"));
	assert_non_null(strstr(buf, "\nl2fragq_underlay_usable_mtu_bytes" C "} 1420\n"));
	assert_non_null(strstr(buf, "\nl2fragq_underlay_confirmed_age_seconds" B "} 3.200\n"));
	assert_null(strstr(buf, "l2fragq_underlay_confirmed_age_seconds" C));
	assert_non_null(strstr(buf, "\nl2fragq_underlay_state" B ",state=\"search_complete\"} 1\n"));
	assert_non_null(strstr(buf, "\nl2fragq_underlay_state" C ",state=\"no_responder\"} 1\n"));
	assert_non_null(strstr(buf, "\nl2fragq_underlay_probes_sent_total" B "} 17\n"));
	assert_non_null(strstr(buf, "\nl2fragq_underlay_acks_received_total" B "} 16\n"));
	assert_non_null(strstr(buf, "\nl2fragq_underlay_acks_sent_total{wg=\"wg\\\"0\"} 12\n"));
	assert_non_null(strstr(buf, "\nl2fragq_underlay_probes_refused_total{wg=\"wg\\\"0\"} 0\n"));
	assert_non_null(strstr(buf, "# TYPE l2fragq_underlay_state gauge\n"));
	assert_non_null(strstr(buf, "# TYPE l2fragq_underlay_probes_sent_total counter\n"));
#undef B
#undef C
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(tunnel_addrs_without_peer_option, reset),
		cmocka_unit_test_setup(tunnel_addrs_with_peer_option, reset),
		cmocka_unit_test(key_base64_as_wg_prints_it),
		cmocka_unit_test(status_file_format),
		cmocka_unit_test(log_lines),
		cmocka_unit_test(metrics_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
