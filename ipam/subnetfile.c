/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmnet/common.h"
#include "vmnet/err.h"
#include "conf.h"
#include "subnetfile.h"

#define LINE_MAX_LEN 128

/* One line's prefix, without comment and surrounding blanks, into @buf;
 * "" for a line without one. -EINVAL when it does not fit. */
static int line_prefix(const char *s, size_t n, char buf[LINE_MAX_LEN])
{
	const char *hash = memchr(s, '#', n);

	if (hash)
		n = (size_t)(hash - s);
	while (n && strchr(" \t\r", s[0])) {
		s++;
		n--;
	}
	while (n && strchr(" \t\r", s[n - 1]))
		n--;
	if (n >= LINE_MAX_LEN)
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return 0;
}

/* The range of one line, as an "ipam.subnet" would give it. */
static int line_range(const char *file, unsigned line, const char *prefix,
		      struct vmnet_ipam_range *ret, struct vmnet_err *err)
{
	struct vmnet_err e = { 0 };
	const char *why;

	if (vmnet_ipam_range_init(ret, "s", prefix, NULL, NULL, NULL, &e) == 0)
		return 0;
	/* range_init says "s.subnet: <why>": name the file and line instead. */
	why = strncmp(e.msg, "s.subnet: ", 10) ? e.msg : e.msg + 10;
	return vmnet_err_set(err, e.code, 0, "ipam.subnetFile: %s line %u: %s", file, line, why);
}

int vmnet_ipam_subnetfile_parse(const char *text, size_t len, const char *file,
				struct vmnet_ipam_conf *c, struct vmnet_err *err)
{
	struct vmnet_ipam_range found[2]; /* [0] IPv4, [1] IPv6 */
	bool have[2] = { false, false };
	char buf[LINE_MAX_LEN];
	unsigned line = 0, need;
	size_t at = 0;
	int r;

	if (memchr(text, '\0', len))
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "ipam.subnetFile: %s holds a NUL byte", file);
	while (at < len) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t n = nl ? (size_t)(nl - (text + at)) : len - at;
		struct vmnet_ipam_range rg;
		int fam;

		line++;
		if (line_prefix(text + at, n, buf) < 0)
			return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
					     "ipam.subnetFile: %s line %u: too long", file, line);
		at += n + 1;
		if (!buf[0])
			continue;
		if ((r = line_range(file, line, buf, &rg, err)) < 0)
			return r;
		fam = vmnet_ipam_ip_is4(rg.subnet.addr) ? 0 : 1;
		if (have[fam])
			return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
					     "ipam.subnetFile: %s line %u: a second IPv%d prefix",
					     file, line, fam ? 6 : 4);
		found[fam] = rg;
		have[fam] = true;
	}
	if (!have[0] && !have[1])
		return vmnet_err_set(err, CNI_ERR_TRY_AGAIN, 0,
				     "ipam.subnetFile: %s holds no prefix yet", file);
	need = (unsigned)have[0] + (unsigned)have[1];
	if (c->n_sets + need > VMNET_IPAM_MAX_SETS)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "ipam.subnetFile: more than %d range sets", VMNET_IPAM_MAX_SETS);
	for (int fam = 0; fam < 2; fam++) {
		if (!have[fam])
			continue;
		memset(&c->sets[c->n_sets], 0, sizeof(c->sets[0]));
		c->sets[c->n_sets].r[0] = found[fam];
		c->sets[c->n_sets++].n = 1;
	}
	return 0;
}

int vmnet_ipam_subnetfile_read(const char *file, struct vmnet_ipam_conf *c,
			       struct vmnet_err *err)
{
	_cleanup_close_ int fd = -1;
	char text[VMNET_IPAM_SUBNET_FILE_MAX + 1];
	struct stat st;
	size_t len = 0;
	ssize_t n;

	if (file[0] != '/')
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "ipam.subnetFile: must be an absolute path");
	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT)
		return vmnet_err_set(err, CNI_ERR_TRY_AGAIN, ENOENT,
				     "ipam.subnetFile: %s not written yet", file);
	if (fd < 0)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, errno,
				     "ipam.subnetFile: opening %s: %s", file, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "ipam.subnetFile: %s is not a regular file", file);
	while (len < sizeof(text) && (n = read(fd, text + len, sizeof(text) - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, errno,
					     "ipam.subnetFile: reading %s: %s", file,
					     strerror(errno));
		len += (size_t)n;
	}
	if (len > VMNET_IPAM_SUBNET_FILE_MAX)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "ipam.subnetFile: %s is larger than %d bytes", file,
				     VMNET_IPAM_SUBNET_FILE_MAX);
	return vmnet_ipam_subnetfile_parse(text, len, file, c, err);
}
