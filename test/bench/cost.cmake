# SPDX-License-Identifier: GPL-2.0-or-later
# Per-packet cost checks. Included (OPTIONAL) by the top-level CMakeLists.txt;
# owns test/bench/{rewrite_cost.c,rewrite_cost.sh,malloc_count.c,cost.cmake}
# and test/netns/noalloc.sh.
#
# rewrite_cost        drives l2fq_rewrite over one packet class N times;
#                     test/bench/rewrite_cost.sh BUILD_DIR runs it under
#                     callgrind and checks instructions/packet (target <= 150
#                     for the two rewrite classes). Needs an optimised build.
# l2fq_malloc_count   LD_PRELOAD allocation counter (exit report in
#                     $L2FQ_MALLOC_COUNT_FILE).
# netns_noalloc       ctest: no heap allocation on the daemon's packet path
#                     (root, namespaces, iptables).
# bench_rewrite_cost  ctest: the callgrind check, when valgrind is installed
#                     and the build type is RelWithDebInfo or Release.
#
# Both tests need an uninstrumented build: the malloc interposer and valgrind
# do not mix with AddressSanitizer, so they are left out with L2FQ_SANITIZE.

add_executable(rewrite_cost test/bench/rewrite_cost.c)
target_link_libraries(rewrite_cost PRIVATE l2fq_core)

# MODULE: only ever loaded with LD_PRELOAD, never linked against.
add_library(l2fq_malloc_count MODULE test/bench/malloc_count.c)
target_link_libraries(l2fq_malloc_count PRIVATE ${CMAKE_DL_LIBS})
# Only the interposed functions are exported (EXPORT in the source), and GCC
# must not treat our malloc/calloc as its builtins (e.g. fold malloc+memset
# into a call to calloc, i.e. into ourselves).
set_target_properties(l2fq_malloc_count PROPERTIES C_VISIBILITY_PRESET hidden)
target_compile_options(l2fq_malloc_count PRIVATE -fno-builtin)

if(NOT L2FQ_SANITIZE)
  add_test(NAME netns_noalloc
    COMMAND ${CMAKE_SOURCE_DIR}/test/netns/noalloc.sh $<TARGET_FILE:l2fragq>
            $<TARGET_FILE_DIR:l2fq_send> $<TARGET_FILE:l2fq_malloc_count>
    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(netns_noalloc PROPERTIES RUN_SERIAL TRUE TIMEOUT 120)

  # Instruction counts only mean something for the optimised build we ship.
  find_program(L2FQ_VALGRIND valgrind)
  if(L2FQ_VALGRIND AND CMAKE_BUILD_TYPE MATCHES "^(RelWithDebInfo|Release)$")
    add_test(NAME bench_rewrite_cost
      COMMAND ${CMAKE_SOURCE_DIR}/test/bench/rewrite_cost.sh ${CMAKE_BINARY_DIR}
      WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
    set_tests_properties(bench_rewrite_cost PROPERTIES TIMEOUT 300)
  endif()
endif()
