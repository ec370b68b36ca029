# SPDX-License-Identifier: GPL-2.0-or-later
# Fuzzing, plus the soak and bad-file tests. Included (OPTIONAL) at the end of
# the top-level CMakeLists.txt; owns nothing outside test/fuzz, test/soak,
# test/offline/badfiles.sh, test/offline/editcap.sh and scripts/fuzz.sh.
#
# 1. libFuzzer harnesses fuzz_rewrite, fuzz_linklayer, fuzz_options,
#    fuzz_frame, fuzz_pmtud, fuzz_pcapng, fuzz_capture, fuzz_underlay_probe,
#    fuzz_plpmtud
#    (test/fuzz/fuzz_<name>.c). Only with clang: option L2FQ_FUZZ (default ON
#    when the compiler is Clang). They compile the parser sources themselves
#    with -fsanitize=fuzzer,address,undefined rather than linking the
#    uninstrumented l2fq_core. scripts/fuzz.sh builds them in build-fuzz/ and
#    runs them. Needs clang and its runtime (Debian 12: clang libclang-rt-14-dev).
#
# 2. With any compiler: fuzz_replay_<name> (the same harness function with a
#    plain main, linked against l2fq_core, so it picks up this tree's
#    sanitizer flags) and fuzz_seedgen (seed inputs from pcaps/in).
#
# 3. ctest: fuzz_regressions (replays test/fuzz/seeds, test/fuzz/regressions
#    and seeds made from pcaps/in), offline_badfiles, offline_editcap, soak.

set(L2FQ_FUZZ_HARNESSES rewrite linklayer options frame pmtud pcapng capture underlay_probe plpmtud)
# Sources each harness compiles itself (the parser plus what it calls).
set(L2FQ_FUZZ_SOURCES_rewrite src/rewrite.c src/inet_csum.c src/peers.c src/ipid.c src/frame.c
    src/pmtud.c src/pmtud_policy.c)
set(L2FQ_FUZZ_SOURCES_linklayer src/linklayer.c src/frame.c src/inet_csum.c src/rewrite.c src/peers.c src/ipid.c)
set(L2FQ_FUZZ_SOURCES_options src/options.c src/peers.c)
set(L2FQ_FUZZ_SOURCES_frame src/frame.c src/l4csum.c src/inet_csum.c)
set(L2FQ_FUZZ_SOURCES_pmtud src/pmtud.c src/pmtud_policy.c src/frame.c src/inet_csum.c)
set(L2FQ_FUZZ_SOURCES_pcapng src/pcapng.c src/linklayer.c src/frame.c src/inet_csum.c
    src/rewrite.c src/peers.c src/ipid.c)
set(L2FQ_FUZZ_SOURCES_capture src/capture.c src/pcapng.c src/linklayer.c src/frame.c
    src/inet_csum.c src/rewrite.c src/peers.c src/ipid.c)
set(L2FQ_FUZZ_SOURCES_underlay_probe src/underlay_probe.c)
set(L2FQ_FUZZ_SOURCES_plpmtud src/plpmtud.c)
# capture.c is not in l2fq_core (it does file I/O) and reads pcap with libpcap
# (not instrumented): the capture harness and its replay add both.
set(L2FQ_FUZZ_LIBS_capture PkgConfig::PCAP)
set(L2FQ_FUZZ_REPLAY_SOURCES_capture src/capture.c)

if(CMAKE_C_COMPILER_ID MATCHES "Clang")
  set(L2FQ_FUZZ_DEFAULT ON)
else()
  set(L2FQ_FUZZ_DEFAULT OFF)
endif()
option(L2FQ_FUZZ "Build the libFuzzer harnesses (clang only)" ${L2FQ_FUZZ_DEFAULT})

# --- 1. libFuzzer harnesses ---------------------------------------------------
if(L2FQ_FUZZ AND NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(STATUS "L2FQ_FUZZ: the compiler is ${CMAKE_C_COMPILER_ID}, not clang: "
                 "fuzz harnesses skipped (CC=clang cmake ... to build them)")
elseif(L2FQ_FUZZ)
  include(CheckCSourceCompiles)
  set(CMAKE_REQUIRED_FLAGS "-fsanitize=fuzzer,address,undefined")
  set(CMAKE_REQUIRED_LINK_OPTIONS "-fsanitize=fuzzer,address,undefined")
  check_c_source_compiles([=[
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }
]=] L2FQ_HAVE_LIBFUZZER)
  unset(CMAKE_REQUIRED_FLAGS)
  unset(CMAKE_REQUIRED_LINK_OPTIONS)
  if(NOT L2FQ_HAVE_LIBFUZZER)
    message(WARNING "L2FQ_FUZZ: clang cannot link -fsanitize=fuzzer "
                    "(Debian: apt-get install libclang-rt-14-dev): fuzz harnesses skipped")
  else()
    foreach(h ${L2FQ_FUZZ_HARNESSES})
      set(srcs)
      foreach(s ${L2FQ_FUZZ_SOURCES_${h}})
        list(APPEND srcs ${CMAKE_SOURCE_DIR}/${s})
      endforeach()
      add_executable(fuzz_${h} ${CMAKE_SOURCE_DIR}/test/fuzz/fuzz_${h}.c ${srcs})
      target_include_directories(fuzz_${h} PRIVATE ${CMAKE_SOURCE_DIR}/include
                                 ${CMAKE_SOURCE_DIR}/test/fuzz)
      # -fno-sanitize-recover: a UBSan report is a crash libFuzzer saves.
      # -Wno-format-nonliteral: clang (unlike gcc) flags the vsnprintf in
      # src/options.c's unannotated printf-like fail(); harmless here.
      target_compile_options(fuzz_${h} PRIVATE -fsanitize=fuzzer,address,undefined
                             -fno-sanitize-recover=all -fno-omit-frame-pointer -g
                             -Wno-format-nonliteral)
      target_link_options(fuzz_${h} PRIVATE -fsanitize=fuzzer,address,undefined)
      if(L2FQ_FUZZ_LIBS_${h})
        target_link_libraries(fuzz_${h} PRIVATE ${L2FQ_FUZZ_LIBS_${h}})
      endif()
    endforeach()
  endif()
endif()

# --- 2. replay binaries and the seed maker (any compiler) ---------------------
foreach(h ${L2FQ_FUZZ_HARNESSES})
  set(srcs)
  foreach(s ${L2FQ_FUZZ_REPLAY_SOURCES_${h}})
    list(APPEND srcs ${CMAKE_SOURCE_DIR}/${s})
  endforeach()
  add_executable(fuzz_replay_${h} ${CMAKE_SOURCE_DIR}/test/fuzz/fuzz_${h}.c
                 ${CMAKE_SOURCE_DIR}/test/fuzz/replay_main.c ${srcs})
  target_include_directories(fuzz_replay_${h} PRIVATE ${CMAKE_SOURCE_DIR}/test/fuzz)
  target_link_libraries(fuzz_replay_${h} PRIVATE l2fq_core ${L2FQ_FUZZ_LIBS_${h}})
endforeach()
# Compiles the link-layer decoder and the pcapng parser itself (not
# l2fq_core), so scripts/fuzz.sh builds nothing but its own targets (frame.c:
# the tag walk; inet_csum.c: the checksum helpers frame.c uses).
add_executable(fuzz_seedgen ${CMAKE_SOURCE_DIR}/test/fuzz/seedgen.c
               ${CMAKE_SOURCE_DIR}/src/linklayer.c ${CMAKE_SOURCE_DIR}/src/frame.c
               ${CMAKE_SOURCE_DIR}/src/inet_csum.c ${CMAKE_SOURCE_DIR}/src/pcapng.c)
target_include_directories(fuzz_seedgen PRIVATE ${CMAKE_SOURCE_DIR}/include
                           ${CMAKE_SOURCE_DIR}/test/fuzz)
target_link_libraries(fuzz_seedgen PRIVATE PkgConfig::PCAP)

# --- 3. tests -------------------------------------------------------------------
if(L2FQ_TESTS)
  # Every committed regression input and seed, and seeds made from pcaps/in,
  # through the harness invariants in this build (gcc or clang, ASan or not).
  add_test(NAME fuzz_regressions
    COMMAND ${CMAKE_SOURCE_DIR}/test/fuzz/replay.sh $<TARGET_FILE:fuzz_seedgen>
            $<TARGET_FILE:fuzz_replay_rewrite> $<TARGET_FILE:fuzz_replay_linklayer>
            $<TARGET_FILE:fuzz_replay_options> $<TARGET_FILE:fuzz_replay_frame>
            $<TARGET_FILE:fuzz_replay_pmtud> $<TARGET_FILE:fuzz_replay_pcapng>
            $<TARGET_FILE:fuzz_replay_capture> $<TARGET_FILE:fuzz_replay_underlay_probe>
            $<TARGET_FILE:fuzz_replay_plpmtud>
    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  # Offline mode on broken captures and unusable outputs (test/offline/badfiles.sh;
  # registered here because the test/offline directory's other tests are
  # registered by the top-level CMakeLists.txt).
  add_test(NAME offline_badfiles
    COMMAND ${CMAKE_SOURCE_DIR}/test/offline/badfiles.sh $<TARGET_FILE:l2fragq>
    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  # pcapng to .pcap checked against Wireshark's editcap (test/offline/editcap.sh).
  add_test(NAME offline_editcap
    COMMAND ${CMAKE_SOURCE_DIR}/test/offline/editcap.sh $<TARGET_FILE:l2fragq>
    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  # 2 million packets through the daemon in network namespaces; needs root.
  # LeakSanitizer when this tree is sanitized, RSS/fd/counter checks always.
  add_test(NAME soak
    COMMAND ${CMAKE_SOURCE_DIR}/test/soak/soak.sh $<TARGET_FILE:l2fragq>
    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(soak PROPERTIES TIMEOUT 300)
endif()
