/*
 * Context switch for AArch64 (AAPCS64).
 *
 * A saved context is the stack pointer of a suspended fiber; the 176-byte
 * frame at it holds x19-x28, x29 (frame pointer), x30 (return address),
 * d8-d15 and FPCR: the state a called function must preserve.
 */
	.text

/* void kiln__ctx_switch(void **save_sp, void *load_sp) */
	.globl	kiln__ctx_switch
	.hidden	kiln__ctx_switch
	.type	kiln__ctx_switch, %function
	.p2align 4
kiln__ctx_switch:
	.cfi_startproc
	sub	sp, sp, #176
	stp	x19, x20, [sp, #0]
	stp	x21, x22, [sp, #16]
	stp	x23, x24, [sp, #32]
	stp	x25, x26, [sp, #48]
	stp	x27, x28, [sp, #64]
	stp	x29, x30, [sp, #80]
	stp	d8, d9, [sp, #96]
	stp	d10, d11, [sp, #112]
	stp	d12, d13, [sp, #128]
	stp	d14, d15, [sp, #144]
	mrs	x9, fpcr
	str	x9, [sp, #160]
	mov	x9, sp
	str	x9, [x0]
	mov	sp, x1
	ldr	x9, [sp, #160]
	msr	fpcr, x9
	ldp	x19, x20, [sp, #0]
	ldp	x21, x22, [sp, #16]
	ldp	x23, x24, [sp, #32]
	ldp	x25, x26, [sp, #48]
	ldp	x27, x28, [sp, #64]
	ldp	x29, x30, [sp, #80]
	ldp	d8, d9, [sp, #96]
	ldp	d10, d11, [sp, #112]
	ldp	d12, d13, [sp, #128]
	ldp	d14, d15, [sp, #144]
	add	sp, sp, #176
	ret
	.cfi_endproc
	.size	kiln__ctx_switch, .-kiln__ctx_switch

/*
 * void *kiln__ctx_make(void *stack_top, void (*entry)(void))
 * A context that, when switched to, calls entry() (which never returns)
 * with FPCR 0 (the ABI's initial modes), not the caller's.  Returns its
 * stack pointer.
 */
	.globl	kiln__ctx_make
	.hidden	kiln__ctx_make
	.type	kiln__ctx_make, %function
	.p2align 4
kiln__ctx_make:
	.cfi_startproc
	and	x0, x0, #~15
	sub	x0, x0, #176
	mov	x9, #0
	mov	x10, #0
	stp	x9, x10, [x0, #0]
	stp	x9, x10, [x0, #16]
	stp	x9, x10, [x0, #32]
	stp	x9, x10, [x0, #48]
	stp	x9, x10, [x0, #64]
	stp	x9, x10, [x0, #96]
	stp	x9, x10, [x0, #112]
	stp	x9, x10, [x0, #128]
	stp	x9, x10, [x0, #144]
	str	x1, [x0, #0]		/* x19: entry */
	adr	x10, start
	stp	x9, x10, [x0, #80]	/* x29 = 0, x30 = start */
	str	xzr, [x0, #160]		/* FPCR */
	ret
	.cfi_endproc
	.size	kiln__ctx_make, .-kiln__ctx_make

	.type	start, %function
	.p2align 4
start:
	.cfi_startproc
	.cfi_undefined x30
	blr	x19
	brk	#0
	.cfi_endproc
	.size	start, .-start

	.section .note.GNU-stack, "", %progbits
