# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark tools (scripts/bench.sh). Included (OPTIONAL) from the top-level
# CMakeLists.txt; owns nothing outside test/bench. No ctest tests here: the
# benchmark is run by scripts/test.sh on its own.
#
# l2fq_flood: GRE-over-IPv4 load generator (send), latency probe sender
# (probe) and probe receiver (sink). Needs root (raw sockets) to run.
add_executable(l2fq_flood ${CMAKE_SOURCE_DIR}/test/bench/l2fq_flood.c)
target_include_directories(l2fq_flood PRIVATE ${CMAKE_SOURCE_DIR}/test/tools)
# l2fq_ktools is defined further down in CMakeLists.txt; linking by target
# name resolves at generate time, so the order does not matter.
target_link_libraries(l2fq_flood PRIVATE l2fq_ktools)
