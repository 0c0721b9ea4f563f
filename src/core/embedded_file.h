// CODEEXEC_EMBED_FILE(name, path): puts the bytes of the file at `path` (a string literal known at
// build time, such as a program CMake has just built) into this object's read-only data, and
// defines `static std::string_view name()` returning them. Use at file scope, once per name; let
// CMake rebuild the object when the file changes (OBJECT_DEPENDS).
#ifndef CODEEXEC_SRC_CORE_EMBEDDED_FILE_H_
#define CODEEXEC_SRC_CORE_EMBEDDED_FILE_H_

#include <cstddef>
#include <string_view>

#define CODEEXEC_EMBED_FILE(name, path)                                                         \
  asm(".section .rodata." #name                                                                 \
      ", \"a\", @progbits\n"                                                                    \
      ".balign 16\n"                                                                            \
      ".local " #name "_begin\n" #name                                                          \
      "_begin:\n"                                                                               \
      ".incbin \"" path                                                                         \
      "\"\n"                                                                                    \
      ".local " #name "_end\n" #name                                                            \
      "_end:\n"                                                                                 \
      ".previous\n");                                                                           \
  extern "C" const char name##_begin[];                                                         \
  extern "C" const char name##_end[];                                                           \
  static std::string_view name() {                                                              \
    return std::string_view(name##_begin, static_cast<std::size_t>(name##_end - name##_begin)); \
  }

#endif  // CODEEXEC_SRC_CORE_EMBEDDED_FILE_H_
