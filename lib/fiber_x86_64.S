/*
 * Context switch for x86-64 (System V ABI).
 *
 * A saved context is the stack pointer of a suspended fiber; the stack
 * holds, from that pointer up: MXCSR (4 bytes), the x87 control word
 * (4 bytes, the upper 2 unused), r15, r14, r13, r12, rbx, rbp, and the
 * address to return to.  These are exactly the registers a called function
 * must preserve; everything else is dead across the call to the switch.
 */
	.text

/* void kiln__ctx_switch(void **save_sp, void *load_sp) */
	.globl	kiln__ctx_switch
	.hidden	kiln__ctx_switch
	.type	kiln__ctx_switch, @function
	.p2align 4
kiln__ctx_switch:
	.cfi_startproc
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	subq	$8, %rsp
	stmxcsr	(%rsp)
	fnstcw	4(%rsp)
	movq	%rsp, (%rdi)
	movq	%rsi, %rsp
	ldmxcsr	(%rsp)
	fldcw	4(%rsp)
	addq	$8, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
	.cfi_endproc
	.size	kiln__ctx_switch, .-kiln__ctx_switch

/*
 * void *kiln__ctx_make(void *stack_top, void (*entry)(void))
 * Lay out a context that, when switched to, calls entry() with a 16-byte
 * aligned stack and the ABI's initial MXCSR (0x1f80: round to nearest, all
 * exceptions masked) and x87 control word (0x037f), not the caller's: a
 * fresh fiber must not inherit the floating-point modes of whichever task
 * happened to park.  entry never returns.  Returns the stack pointer.
 */
	.globl	kiln__ctx_make
	.hidden	kiln__ctx_make
	.type	kiln__ctx_make, @function
	.p2align 4
kiln__ctx_make:
	.cfi_startproc
	andq	$-16, %rdi
	leaq	start(%rip), %rax
	movq	%rax, -8(%rdi)		/* return address: start */
	movq	$0, -16(%rdi)		/* rbp */
	movq	$0, -24(%rdi)		/* rbx */
	movq	%rsi, -32(%rdi)		/* r12: entry */
	movq	$0, -40(%rdi)		/* r13 */
	movq	$0, -48(%rdi)		/* r14 */
	movq	$0, -56(%rdi)		/* r15 */
	movl	$0x1f80, -64(%rdi)	/* MXCSR */
	movl	$0x037f, -60(%rdi)	/* x87 control word */
	leaq	-64(%rdi), %rax
	ret
	.cfi_endproc
	.size	kiln__ctx_make, .-kiln__ctx_make

/* First code of a new context: the stack is 16-byte aligned here. */
	.type	start, @function
	.p2align 4
start:
	.cfi_startproc
	.cfi_undefined rip
	xorl	%ebp, %ebp
	callq	*%r12
	ud2
	.cfi_endproc
	.size	start, .-start

	.section .note.GNU-stack, "", @progbits
