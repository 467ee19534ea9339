// Stack switch for x86-64 System V.
//   void gp_switch(void** save_sp, void* load_sp)
// Pushes the callee-saved registers and the SSE/x87 control words on the
// current stack, stores the stack pointer in *save_sp, loads load_sp and pops
// the same layout from there. A fresh stack is prepared by gp_prepare_stack()
// so that the first switch "returns" into gp_trampoline.
#if defined(__x86_64__)
    .text
    .globl gp_switch
    .hidden gp_switch
    .type gp_switch,@function
    .p2align 4
gp_switch:
    .cfi_startproc
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .cfi_endproc
    .size gp_switch,.-gp_switch

// First code run on a new stack: r12 holds the argument, r13 the entry point.
// The entry never returns; ud2 traps if it ever did.
    .globl gp_trampoline
    .hidden gp_trampoline
    .type gp_trampoline,@function
    .p2align 4
gp_trampoline:
    .cfi_startproc
    .cfi_undefined rip
    movq %r12, %rdi
    callq *%r13
    ud2
    .cfi_endproc
    .size gp_trampoline,.-gp_trampoline
#endif
    .section .note.GNU-stack,"",@progbits
