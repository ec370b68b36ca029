# SPDX-License-Identifier: GPL-2.0-or-later
# Operations tests: systemd unit, Prometheus metrics, least privilege,
# l2fragq-net's supervision of l2fragq under systemd, and the Debian package.
# Included (OPTIONAL) by the top-level CMakeLists.txt. All need root; each
# prints "N passed, M failed" and runs in well under 60 s.
if(L2FQ_TESTS)
  foreach(t systemd metrics privdrop net_supervise)
    add_test(NAME ops_${t}
      COMMAND ${CMAKE_SOURCE_DIR}/test/ops/${t}.sh $<TARGET_FILE:l2fragq>
      WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
    set_tests_properties(ops_${t} PROPERTIES TIMEOUT 120)
  endforeach()
  # Installs the package into the running system (and purges it): alone.
  add_test(NAME ops_package
    COMMAND ${CMAKE_SOURCE_DIR}/test/ops/package.sh ${CMAKE_BINARY_DIR}
    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(ops_package PROPERTIES TIMEOUT 180 RUN_SERIAL ON)
endif()
