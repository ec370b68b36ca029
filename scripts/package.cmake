# Debian package of l2fragq, and the install rules for what goes with the
# binary. Included (OPTIONAL) by the top-level CMakeLists.txt, which installs
# the binary (sbin) and the man page (share/man/man8) itself.
#
#   cmake -S . -B build && cmake --build build
#   (cd build && cpack -G DEB)          # build/l2fragq_<version>_<arch>.deb
#
# The package (prefix /usr) holds:
#   /usr/sbin/l2fragq
#   /usr/share/man/man8/l2fragq.8.gz                 gzip -9n, as Debian wants
#   /usr/lib/systemd/system/l2fragq@.service         template: l2fragq@0-3
#   /etc/default/l2fragq                             conffile: L2FQ_OPTS
#   /usr/share/doc/l2fragq/{copyright,changelog.gz,README.md.gz,operations.md.gz}
#   /usr/share/l2fragq/scripts/lib/*.sh              namespace helpers
#   /usr/share/l2fragq/scripts/demo.sh               when it can use an installed
#   /usr/share/l2fragq/test/netns/gre_probe.py         binary (L2FQ_BINARY)
# plus maintainer scripts that reload systemd, restart running instances on
# upgrade and stop them on removal (only where systemd is running).
#
# "cmake --install" with another prefix installs the same files under it;
# the unit's ExecStart= and EnvironmentFile= then name PREFIX/sbin and
# PREFIX/etc/default, and an existing PREFIX/etc/default/l2fragq is kept.
#
# Cache variables: L2FQ_PACKAGE_MAINTAINER ("Name <address>"),
# L2FQ_PACKAGE_CONTACT_URL (Homepage, empty for none).

set(L2FQ_PACKAGE_MAINTAINER "l2fragq maintainers <maintainers@l2fragq.invalid>"
    CACHE STRING "Maintainer field of the Debian package: Name <address>")
set(L2FQ_PACKAGE_HOMEPAGE "" CACHE STRING "Homepage field of the Debian package (empty: none)")

set(_l2fq_pkg_src ${CMAKE_SOURCE_DIR})
set(_l2fq_pkg_gen ${CMAKE_BINARY_DIR}/package)
file(MAKE_DIRECTORY ${_l2fq_pkg_gen})

# ------------------------------------------------------------ unit and config
# Paths in the unit follow the prefix at install time (cpack installs with
# /usr, "cmake --install" with CMAKE_INSTALL_PREFIX), so this runs then.
install(CODE "
  set(_src \"${_l2fq_pkg_src}\")
  set(_gen \"${_l2fq_pkg_gen}/install\")
  set(_prefix \"\${CMAKE_INSTALL_PREFIX}\")
  if(_prefix STREQUAL \"/usr\")
    set(_etc \"/etc\")
  else()
    set(_etc \"\${_prefix}/etc\")
  endif()
  file(READ \"\${_src}/scripts/systemd/l2fragq@.service\" _unit)
  string(REPLACE \"/usr/sbin/l2fragq\" \"\${_prefix}/sbin/l2fragq\" _unit \"\${_unit}\")
  string(REPLACE \"/etc/default/\" \"\${_etc}/default/\" _unit \"\${_unit}\")
  file(MAKE_DIRECTORY \"\${_gen}\")
  file(WRITE \"\${_gen}/l2fragq@.service\" \"\${_unit}\")
  file(INSTALL DESTINATION \"\${_prefix}/lib/systemd/system\" TYPE FILE
       PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
       FILES \"\${_gen}/l2fragq@.service\")
  if(EXISTS \"\$ENV{DESTDIR}\${_etc}/default/l2fragq\")
    message(STATUS \"Keeping: \$ENV{DESTDIR}\${_etc}/default/l2fragq\")
  else()
    file(INSTALL DESTINATION \"\${_etc}/default\" TYPE FILE RENAME l2fragq
         PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
         FILES \"\${_src}/scripts/systemd/l2fragq.default\")
  endif()
")

# ------------------------------------------------------------ scripts
# The namespace helpers, and the demo with its packet tool once the demo can
# run from an installed tree (it honours L2FQ_BINARY instead of building).
file(GLOB _l2fq_pkg_libs ${_l2fq_pkg_src}/scripts/lib/*.sh)
install(FILES ${_l2fq_pkg_libs} DESTINATION share/l2fragq/scripts/lib
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
file(STRINGS ${_l2fq_pkg_src}/scripts/demo.sh _l2fq_demo_hook REGEX "L2FQ_BINARY")
if(_l2fq_demo_hook)
  install(PROGRAMS ${_l2fq_pkg_src}/scripts/demo.sh DESTINATION share/l2fragq/scripts)
  install(FILES ${_l2fq_pkg_src}/test/netns/gre_probe.py DESTINATION share/l2fragq/test/netns
          PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endif()

# ------------------------------------------------------------ documentation
string(TIMESTAMP _l2fq_pkg_date "%a, %d %b %Y %H:%M:%S +0000" UTC)
string(TIMESTAMP _l2fq_pkg_year "%Y" UTC)
file(CONFIGURE OUTPUT ${_l2fq_pkg_gen}/changelog @ONLY CONTENT
"l2fragq (@PROJECT_VERSION@) unstable; urgency=medium

  * Release @PROJECT_VERSION@: NFQUEUE daemon that clears DF on outer IPv4 GRE
    so that gretap frames are fragmented to fit a smaller tunnel MTU; offline
    pcap/pcapng mode; systemd unit l2fragq@.service; Prometheus textfile
    metrics (--metrics-file); least privilege (--user, or the unit's dynamic
    user with CAP_NET_ADMIN only).

 -- @L2FQ_PACKAGE_MAINTAINER@  @_l2fq_pkg_date@
")
file(CONFIGURE OUTPUT ${_l2fq_pkg_gen}/copyright @ONLY CONTENT
"l2fragq: clear DF on outer GRE packets so gretap frames fit a smaller tunnel MTU.

Copyright (C) @_l2fq_pkg_year@ the l2fragq authors.

Upstream has not yet stated a licence for l2fragq. Until it does, no
permission to copy, modify or redistribute it is granted beyond what the
law allows without one.
")
install(FILES ${_l2fq_pkg_gen}/copyright ${_l2fq_pkg_gen}/changelog
              ${_l2fq_pkg_src}/README.md
        DESTINATION share/doc/l2fragq
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
if(EXISTS ${_l2fq_pkg_src}/doc/operations.md)
  install(FILES ${_l2fq_pkg_src}/doc/operations.md DESTINATION share/doc/l2fragq
          PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endif()

# ------------------------------------------------------------ maintainer scripts
# systemd only where it runs (containers, chroots and sysvinit hosts have no
# /run/systemd/system). The template has no default instance, so nothing is
# enabled on install: "systemctl enable --now l2fragq@0-3" is the admin's.
file(CONFIGURE OUTPUT ${_l2fq_pkg_gen}/control/postinst @ONLY CONTENT
"#!/bin/sh
set -e
if [ \"$1\" = configure ] && [ -d /run/systemd/system ]; then
	systemctl --system daemon-reload >/dev/null || true
	# Upgrade: restart the instances that run so that they use the new binary.
	# With the queue rule's bypass flag, packets pass unchanged (DF kept) for
	# the fraction of a second in which no l2fragq is bound.
	if [ -n \"$2\" ]; then
		deb-systemd-invoke try-restart 'l2fragq@*.service' >/dev/null || true
	fi
fi
exit 0
")
file(CONFIGURE OUTPUT ${_l2fq_pkg_gen}/control/prerm @ONLY CONTENT
"#!/bin/sh
set -e
if [ \"$1\" = remove ] && [ -d /run/systemd/system ]; then
	deb-systemd-invoke stop 'l2fragq@*.service' >/dev/null || true
fi
exit 0
")
file(CONFIGURE OUTPUT ${_l2fq_pkg_gen}/control/postrm @ONLY CONTENT
"#!/bin/sh
set -e
if [ \"$1\" = remove ] || [ \"$1\" = purge ]; then
	if [ -d /run/systemd/system ]; then
		systemctl --system daemon-reload >/dev/null || true
	fi
fi
if [ \"$1\" = purge ]; then
	# The links that \"systemctl enable l2fragq@A-B\" made.
	find /etc/systemd/system -name 'l2fragq@*.service' -type l -delete 2>/dev/null || true
fi
exit 0
")
file(CONFIGURE OUTPUT ${_l2fq_pkg_gen}/control/conffiles @ONLY CONTENT
"/etc/default/l2fragq
")
foreach(_s postinst prerm postrm)
  file(CHMOD ${_l2fq_pkg_gen}/control/${_s}
       PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                   WORLD_READ WORLD_EXECUTE)
endforeach()

# Compressed in the staging tree only: gzip -9n (no name, no timestamp).
file(CONFIGURE OUTPUT ${_l2fq_pkg_gen}/prebuild.cmake @ONLY CONTENT
"set(_root \"\${CPACK_TEMPORARY_INSTALL_DIRECTORY}\")
file(GLOB_RECURSE _gz
  \"\${_root}/usr/share/man/*.[1-9]\"
  \"\${_root}/usr/share/doc/l2fragq/changelog\"
  \"\${_root}/usr/share/doc/l2fragq/*.md\")
foreach(_f IN LISTS _gz)
  execute_process(COMMAND gzip -9nf \"\${_f}\" RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR \"gzip -9n \${_f} failed\")
  endif()
endforeach()
")

# ------------------------------------------------------------ CPack
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME l2fragq)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "l2fragq")
set(CPACK_PACKAGE_CONTACT "${L2FQ_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "clear DF on outer GRE so gretap frames fit a smaller tunnel MTU")
set(CPACK_PACKAGE_DESCRIPTION
"l2fragq is an NFQUEUE daemon for hypervisors that bridge VM networks over
gretap inside WireGuard. Linux copies the inner DF bit into the outer GRE
header, so 1500-byte VM frames that grow past the tunnel MTU are dropped
instead of fragmented. l2fragq receives the outer IPv4 GRE packets from a
queue rule on the OUTPUT hook, clears DF, gives a non-zero ID to packets
whose ID is 0 and fixes the header checksum; nothing else changes.

The package ships the daemon (also an offline pcap/pcapng rewriter), a
hardened systemd unit template (l2fragq@FIRST-LAST.service: a dynamic user
holding CAP_NET_ADMIN only), Prometheus textfile metrics, and the network
namespace helpers of the demo.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr)
# Install into the staging tree through DESTDIR, so that install-time code
# sees the real prefix (/usr) and the unit names /usr/sbin/l2fragq.
set(CPACK_SET_DESTDIR ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_PRE_BUILD_SCRIPTS ${_l2fq_pkg_gen}/prebuild.cmake)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${L2FQ_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "nftables | iptables")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "prometheus-node-exporter, python3, iproute2")
if(L2FQ_PACKAGE_HOMEPAGE)
  set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${L2FQ_PACKAGE_HOMEPAGE}")
endif()
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${_l2fq_pkg_gen}/control/postinst ${_l2fq_pkg_gen}/control/prerm
    ${_l2fq_pkg_gen}/control/postrm ${_l2fq_pkg_gen}/control/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
