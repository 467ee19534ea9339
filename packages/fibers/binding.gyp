{
  "targets": [
    {
      "target_name": "greenpatch_fibers",
      "sources": [
        "src/native/addon.cc",
        "src/native/async_context_gc.cc",
        "src/native/binding.cc",
        "src/native/debugger_relock.cc",
        "src/native/direct_switch.cc",
        "src/native/elf_file.cc",
        "src/native/elf_symbols.cc",
        "src/native/fiber.cc",
        "src/native/interrupt_carry.cc",
        "src/native/stack.cc",
        "src/native/handoff.cc",
        "src/native/misuse.cc",
        "src/native/regexp_skip.cc",
        "src/native/settings.cc",
        "src/native/stack_switch.cc",
        "src/native/switch_self_test.cc",
        "src/native/symbol_index.cc",
        "src/native/thread_backend.cc",
        "src/native/thread_binding.cc",
        "src/native/uncaught.cc",
        "src/native/v8_file.cc",
        "src/native/v8_slots.cc",
        "src/native/wasm_code_gc.cc",
        "src/native/switch_x86_64.S",
        "src/native/switch_aarch64.S"
      ],
      "cflags_cc": ["-std=c++20", "-fno-exceptions", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-cast-function-type"],
      "cflags_cc!": ["-std=gnu++17", "-std=c++17"],
      "libraries": ["-ldl", "-lpthread"]
    }
  ]
}
