// Stack switch for AArch64 (AAPCS64).
//   void gp_switch(void** save_sp, void* load_sp)
// Saves x19-x30 and d8-d15 (176 bytes, 16-aligned) on the current stack, stores
// sp in *save_sp, loads load_sp and restores the same layout. A fresh stack is
// prepared by gp_prepare_stack() so that the first switch returns (via x30)
// into gp_trampoline with x19 = argument and x20 = entry point.
#if defined(__aarch64__)
    .text
    .globl gp_switch
    .hidden gp_switch
    .type gp_switch,%function
    .p2align 4
gp_switch:
    sub sp, sp, #176
    stp x19, x20, [sp, #0]
    stp x21, x22, [sp, #16]
    stp x23, x24, [sp, #32]
    stp x25, x26, [sp, #48]
    stp x27, x28, [sp, #64]
    stp x29, x30, [sp, #80]
    stp d8, d9, [sp, #96]
    stp d10, d11, [sp, #112]
    stp d12, d13, [sp, #128]
    stp d14, d15, [sp, #144]
    mov x2, sp
    str x2, [x0]
    mov sp, x1
    ldp x19, x20, [sp, #0]
    ldp x21, x22, [sp, #16]
    ldp x23, x24, [sp, #32]
    ldp x25, x26, [sp, #48]
    ldp x27, x28, [sp, #64]
    ldp x29, x30, [sp, #80]
    ldp d8, d9, [sp, #96]
    ldp d10, d11, [sp, #112]
    ldp d12, d13, [sp, #128]
    ldp d14, d15, [sp, #144]
    add sp, sp, #176
    ret
    .size gp_switch,.-gp_switch

    .globl gp_trampoline
    .hidden gp_trampoline
    .type gp_trampoline,%function
    .p2align 4
gp_trampoline:
    mov x0, x19
    blr x20
    brk #0
    .size gp_trampoline,.-gp_trampoline
#endif
    .section .note.GNU-stack,"",%progbits
