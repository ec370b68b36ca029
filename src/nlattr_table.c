/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Netlink attribute tables (include/l2fragq/nlattr_table.h). */
#include "l2fragq/nlattr_table.h"

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

int l2fq_nlattr_table_cb(const struct nlattr *attr, void *data)
{
	const struct l2fq_nlattr_table *t = data;
	unsigned type = mnl_attr_get_type(attr);

	/* Attributes newer than our headers are skipped, not errors. */
	if (type <= t->max)
		t->tb[type] = attr;
	return MNL_CB_OK;
}

void l2fq_nlattr_route_mtu(const struct nlattr *metrics, unsigned *mtu, int *locked)
{
	const struct nlattr *tb[RTAX_MAX + 1] = { 0 };
	struct l2fq_nlattr_table t = { tb, RTAX_MAX };

	*mtu = 0;
	*locked = 0;
	if (!metrics || mnl_attr_validate(metrics, MNL_TYPE_NESTED) < 0 ||
	    mnl_attr_parse_nested(metrics, l2fq_nlattr_table_cb, &t) < 0)
		return;
	if (tb[RTAX_MTU] && mnl_attr_validate(tb[RTAX_MTU], MNL_TYPE_U32) == 0)
		*mtu = mnl_attr_get_u32(tb[RTAX_MTU]);
	if (tb[RTAX_LOCK] && mnl_attr_validate(tb[RTAX_LOCK], MNL_TYPE_U32) == 0)
		*locked = !!(mnl_attr_get_u32(tb[RTAX_LOCK]) & (1u << RTAX_MTU));
}
