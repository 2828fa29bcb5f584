/* SPDX-License-Identifier: MIT */
/* libFuzzer target: mnl/, the libmnl the static plugins carry, reading what
 * the kernel answers (libnftnl and lib/ parse every reply through it): the
 * callback loop over a buffer of messages, and in each message every
 * attribute walked, validated as each type, read as what it validated as,
 * and nests walked again. The input is copied to a buffer of its exact
 * size, so a read past it is ASan's. Linked with mnl/ only, not Debian's. */
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint64_t sink;

static int attr_cb(const struct nlattr *a, void *data)
{
	int depth = *(int *)data;

	if (mnl_attr_type_valid(a, 64) < 0)
		return MNL_CB_OK;
	if (mnl_attr_validate(a, MNL_TYPE_U8) == 0)
		sink += mnl_attr_get_u8(a);
	if (mnl_attr_validate(a, MNL_TYPE_U16) == 0)
		sink += mnl_attr_get_u16(a);
	if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
		sink += mnl_attr_get_u32(a);
	if (mnl_attr_validate(a, MNL_TYPE_U64) == 0)
		sink += mnl_attr_get_u64(a);
	if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
		sink += strlen(mnl_attr_get_str(a));
	if (mnl_attr_validate(a, MNL_TYPE_NESTED) == 0 && depth < 8) {
		int d = depth + 1;

		mnl_attr_parse_nested(a, attr_cb, &d);
	}
	return (mnl_attr_get_type(a) & 63) == 63 ? MNL_CB_STOP : MNL_CB_OK;
}

static int msg_cb(const struct nlmsghdr *nlh, void *data)
{
	int depth = 0;
	unsigned offset = *(const unsigned *)data;

	if (mnl_nlmsg_get_payload_len(nlh) > nlh->nlmsg_len)
		abort();
	mnl_attr_parse(nlh, offset, attr_cb, &depth);
	return MNL_CB_OK;
}

static int ctl_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)data;
	return nlh->nlmsg_type == NLMSG_DONE ? MNL_CB_STOP : MNL_CB_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_DONE] = ctl_cb };
	unsigned offset;
	void *buf;

	if (size < 1)
		return 0;
	/* The first byte: the extra header's size, as a family's would be. */
	offset = data[0] & 31;
	buf = malloc(size - 1 ? size - 1 : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	mnl_cb_run(buf, size - 1, 0, 0, msg_cb, &offset);
	mnl_cb_run(buf, size - 1, (unsigned)data[0], 7, msg_cb, &offset);
	mnl_cb_run2(buf, size - 1, 0, 0, msg_cb, &offset, ctl, NLMSG_MIN_TYPE);
	mnl_attr_parse_payload(buf, size - 1, attr_cb, &(int){ 0 });
	free(buf);
	return 0;
}
