/* SPDX-License-Identifier: MIT */
/*
 * A program with no C library: its entry point makes the exit system call.
 * compare.sh times its start beside the plugin's (start-bare): what an exec
 * costs before any libc or loader runs. Built with -static -nostdlib.
 */
void _start(void);

void _start(void)
{
#if defined(__x86_64__)
	__asm__ volatile("mov $60, %eax\n\txor %edi, %edi\n\tsyscall");
#elif defined(__aarch64__)
	__asm__ volatile("mov x8, #93\n\tmov x0, #0\n\tsvc #0");
#else
#error "bare.c: no exit system call for this architecture"
#endif
	for (;;)
		;
}
