/* SPDX-License-Identifier: MIT */
/* vmnet-ipam, the exec'd IPAM plugin; the verbs are ipam/plugin.c. */
#include "vmnet/ipam.h"

int main(void)
{
	return vmnet_ipam_main();
}
