# SPDX-License-Identifier: GPL-2.0-or-later
# Debian package of l2fragq, and the install rules for what goes with the
# binary. Included (OPTIONAL) by the top-level CMakeLists.txt, which installs
# the binary (sbin) and the man page (share/man/man8) itself.
#
#   cmake -S . -B build && cmake --build build
#   (cd build && cpack -G DEB)          # build/l2fragq_<version>_<arch>.deb
#
# The package (prefix /usr) holds:
#   /usr/sbin/l2fragq
#   /usr/sbin/l2fragq-net                            the setup tool, naming its
#   /usr/lib/l2fragq/net/*.sh                          library directory
#   /usr/share/man/man8/{l2fragq,l2fragq-net}.8.gz   gzip -9n, as Debian wants
#   /usr/lib/systemd/system/l2fragq@.service         template: l2fragq@0-3
#   /usr/lib/systemd/system/l2fragq-net@.service     template: l2fragq-net@site1
#   /usr/lib/systemd/system/l2fragq-net-metrics@.{service,timer}  per-peer
#                                                    metrics every 15 s
#   /etc/default/l2fragq                             conffile: L2FQ_OPTS
#   /etc/logrotate.d/l2fragq                         conffile: l2fragq-net's log
#                                                      files without systemd
#   /usr/share/doc/l2fragq/{copyright,changelog.gz,README.md.gz,
#                           operations.md.gz,setup.md.gz}
#   /usr/share/doc/l2fragq/examples/site{1,2}.conf   l2fragq-net configurations
#   /usr/share/doc/l2fragq/status.schema.json        status --json's schema
#   /usr/share/doc/l2fragq/monitoring/               Prometheus alert rules,
#                                                    Grafana dashboard
# plus maintainer scripts that reload systemd, restart running l2fragq@
# instances and the l2fragq of running l2fragq-net instances on upgrade, stop
# l2fragq@ instances on removal, and take l2fragq-net instances down only on
# purge (removal leaves the VM network up).
#
# "cmake --install" with another prefix installs the same files under it
# (uncompressed); the units then name PREFIX/sbin and PREFIX/etc (default/,
# l2fragq/), l2fragq-net names PREFIX/lib/l2fragq/net, and an existing
# PREFIX/etc/default/l2fragq is kept. The demo (scripts/demo.sh) is not
# installed: it builds l2fragq and runs the source tree's test/vm harness.
#
# Cache variables: L2FQ_PACKAGE_MAINTAINER ("Name <address>"),
# L2FQ_PACKAGE_CONTACT_URL (Homepage, empty for none).

set(L2FQ_PACKAGE_MAINTAINER "l2fragq maintainers <maintainers@l2fragq.invalid>"
    CACHE STRING "Maintainer field of the Debian package: Name <address>")
set(L2FQ_PACKAGE_HOMEPAGE "" CACHE STRING "Homepage field of the Debian package (empty: none)")

set(_l2fq_pkg_src ${CMAKE_SOURCE_DIR})
set(_l2fq_pkg_gen ${CMAKE_BINARY_DIR}/package)
file(MAKE_DIRECTORY ${_l2fq_pkg_gen})

# ------------------------------------------------------------ units, config, l2fragq-net
# Paths in the units and in l2fragq-net follow the prefix at install time
# (cpack installs with /usr, "cmake --install" with CMAKE_INSTALL_PREFIX), so
# this runs then: a script written here, run by "install(SCRIPT)".
#   l2fragq@.service      ExecStart PREFIX/sbin/l2fragq, EnvironmentFile ETC/default/
#   l2fragq-net@.service  PREFIX/sbin/l2fragq-net -c ETC/l2fragq/%i.conf
#   l2fragq-net           libdir=PREFIX/lib/l2fragq/net instead of the source
#                         tree's libdir=$here/lib/net; version=PROJECT_VERSION
# ETC is /etc for the prefix /usr, PREFIX/etc otherwise.
file(WRITE ${_l2fq_pkg_gen}/install.cmake
  "set(_src \"${_l2fq_pkg_src}\")\nset(_gen \"${_l2fq_pkg_gen}/install\")\nset(_version \"${PROJECT_VERSION}\")\n")
file(APPEND ${_l2fq_pkg_gen}/install.cmake [==[
set(_prefix "${CMAKE_INSTALL_PREFIX}")
if(_prefix STREQUAL "/usr")
  set(_etc "/etc")
else()
  set(_etc "${_prefix}/etc")
endif()
set(_r644 OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
set(_r755 OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
file(MAKE_DIRECTORY "${_gen}")

foreach(_u l2fragq@.service l2fragq-net@.service l2fragq-net-metrics@.service l2fragq-net-metrics@.timer)
  file(READ "${_src}/scripts/systemd/${_u}" _unit)
  string(REPLACE "/usr/sbin/" "${_prefix}/sbin/" _unit "${_unit}")
  string(REPLACE "/etc/default/" "${_etc}/default/" _unit "${_unit}")
  string(REPLACE "/etc/l2fragq/" "${_etc}/l2fragq/" _unit "${_unit}")
  file(WRITE "${_gen}/${_u}" "${_unit}")
  file(INSTALL DESTINATION "${_prefix}/lib/systemd/system" TYPE FILE
       PERMISSIONS ${_r644} FILES "${_gen}/${_u}")
endforeach()

# l2fragq-net finds its library beside it in the source tree; the installed
# copy names the library directory instead.
file(READ "${_src}/scripts/l2fragq-net" _net)
set(_from "\nlibdir=$here/lib/net\n")
string(FIND "${_net}" "${_from}" _at)
if(_at EQUAL -1)
  message(FATAL_ERROR "scripts/l2fragq-net has no line 'libdir=$here/lib/net' to point at the installed library")
endif()
string(REPLACE "${_from}" "\nlibdir=\"${_prefix}/lib/l2fragq/net\"\n" _net "${_net}")
# and the package's version (l2fragq-net --version).
string(FIND "${_net}" "\nversion=\n" _at)
if(_at EQUAL -1)
  message(FATAL_ERROR "scripts/l2fragq-net has no line 'version=' to write the version into")
endif()
string(REPLACE "\nversion=\n" "\nversion=${_version}\n" _net "${_net}")
file(WRITE "${_gen}/l2fragq-net" "${_net}")
file(INSTALL DESTINATION "${_prefix}/sbin" TYPE PROGRAM
     PERMISSIONS ${_r755} FILES "${_gen}/l2fragq-net")

if(EXISTS "$ENV{DESTDIR}${_etc}/default/l2fragq")
  message(STATUS "Keeping: $ENV{DESTDIR}${_etc}/default/l2fragq")
else()
  file(INSTALL DESTINATION "${_etc}/default" TYPE FILE RENAME l2fragq
       PERMISSIONS ${_r644} FILES "${_src}/scripts/systemd/l2fragq.default")
endif()
# logrotate for l2fragq-net's log files (only written without systemd).
if(EXISTS "$ENV{DESTDIR}${_etc}/logrotate.d/l2fragq")
  message(STATUS "Keeping: $ENV{DESTDIR}${_etc}/logrotate.d/l2fragq")
else()
  file(INSTALL DESTINATION "${_etc}/logrotate.d" TYPE FILE
       PERMISSIONS ${_r644} FILES "${_src}/scripts/logrotate/l2fragq")
endif()
]==])
install(SCRIPT ${_l2fq_pkg_gen}/install.cmake)

# l2fragq-net's library: the files of scripts/lib/net/, in one private
# directory, PREFIX/lib/l2fragq/net. Every file that scripts/l2fragq-net
# sources from "$libdir" belongs in this list (checked here).
set(_l2fq_net_lib_names common config plan journal daemon preflight up reload status status_json metrics)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_l2fq_pkg_src}/scripts/l2fragq-net)
file(STRINGS ${_l2fq_pkg_src}/scripts/l2fragq-net _l2fq_net_sourced REGEX "^\\. \"\\$libdir/[a-z_]+\\.sh\"")
list(TRANSFORM _l2fq_net_sourced REPLACE "^\\. \"\\$libdir/([a-z_]+)\\.sh\".*$" "\\1")
if(NOT _l2fq_net_sourced STREQUAL _l2fq_net_lib_names)
  message(FATAL_ERROR "scripts/l2fragq-net sources '${_l2fq_net_sourced}' from $libdir, "
          "but scripts/package.cmake installs '${_l2fq_net_lib_names}': update _l2fq_net_lib_names")
endif()
set(_l2fq_net_lib ${_l2fq_net_lib_names})
list(TRANSFORM _l2fq_net_lib REPLACE "^(.+)$" "${_l2fq_pkg_src}/scripts/lib/net/\\1.sh")
install(FILES ${_l2fq_net_lib} DESTINATION lib/l2fragq/net
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
install(FILES ${_l2fq_pkg_src}/doc/l2fragq-net.8 DESTINATION share/man/man8
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
# Bash completion for both tools (bash-completion loads them by the command's name).
install(FILES ${_l2fq_pkg_src}/scripts/completion/l2fragq ${_l2fq_pkg_src}/scripts/completion/l2fragq-net
        DESTINATION share/bash-completion/completions
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

# ------------------------------------------------------------ documentation
string(TIMESTAMP _l2fq_pkg_date "%a, %d %b %Y %H:%M:%S +0000" UTC)
string(TIMESTAMP _l2fq_pkg_year "%Y" UTC)
file(CONFIGURE OUTPUT ${_l2fq_pkg_gen}/changelog @ONLY CONTENT
"l2fragq (@PROJECT_VERSION@) unstable; urgency=medium

  * Release @PROJECT_VERSION@: NFQUEUE daemon that clears DF on outer IPv4 GRE
    so that gretap frames are fragmented to fit a smaller tunnel MTU; offline
    pcap/pcapng mode; systemd unit l2fragq@.service; Prometheus textfile
    metrics (--metrics-file); least privilege (--user, or the unit's dynamic
    user with CAP_NET_ADMIN, and CAP_NET_RAW until it is given up at start).
  * l2fragq-net (/usr/sbin/l2fragq-net, l2fragq-net(8), l2fragq-net@.service):
    joins the VM bridges of hypervisors over WireGuard + gretap, with the DF
    fix, path MTU signals and the hypervisors invisible to the VMs.
  * Licence: GPL-2.0-or-later.

 -- @L2FQ_PACKAGE_MAINTAINER@  @_l2fq_pkg_date@
")
# Machine-readable (DEP-5); the licence text is LICENSE in the source tree
# and /usr/share/common-licenses/GPL-2 on Debian.
set(_l2fq_pkg_years 2026)
if(_l2fq_pkg_year GREATER 2026)
  set(_l2fq_pkg_years 2026-${_l2fq_pkg_year})
endif()
if(L2FQ_PACKAGE_HOMEPAGE)
  set(_l2fq_pkg_source "\nSource: ${L2FQ_PACKAGE_HOMEPAGE}")
else()
  set(_l2fq_pkg_source "")
endif()
file(CONFIGURE OUTPUT ${_l2fq_pkg_gen}/copyright @ONLY CONTENT
"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: l2fragq
Upstream-Contact: @L2FQ_PACKAGE_MAINTAINER@@_l2fq_pkg_source@

Files: *
Copyright: @_l2fq_pkg_years@ the l2fragq authors
License: GPL-2+

License: GPL-2+
 This program is free software; you can redistribute it and/or modify
 it under the terms of the GNU General Public License as published by
 the Free Software Foundation; either version 2 of the License, or
 (at your option) any later version.
 .
 This program is distributed in the hope that it will be useful,
 but WITHOUT ANY WARRANTY; without even the implied warranty of
 MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
 GNU General Public License for more details.
 .
 You should have received a copy of the GNU General Public License
 along with this program.  If not, see <https://www.gnu.org/licenses/>.
 .
 On Debian systems, the complete text of the GNU General Public
 License version 2 can be found in \"/usr/share/common-licenses/GPL-2\".
")
install(FILES ${_l2fq_pkg_gen}/copyright ${_l2fq_pkg_gen}/changelog
              ${_l2fq_pkg_src}/README.md
        DESTINATION share/doc/l2fragq
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
foreach(_d operations.md setup.md)
  if(EXISTS ${_l2fq_pkg_src}/doc/${_d})
    install(FILES ${_l2fq_pkg_src}/doc/${_d} DESTINATION share/doc/l2fragq
            PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  endif()
endforeach()
install(FILES ${_l2fq_pkg_src}/doc/status.schema.json DESTINATION share/doc/l2fragq
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
install(FILES ${_l2fq_pkg_src}/scripts/monitoring/l2fragq.rules.yml
              ${_l2fq_pkg_src}/scripts/monitoring/l2fragq-grafana.json
        DESTINATION share/doc/l2fragq/monitoring
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
file(GLOB _l2fq_pkg_examples ${_l2fq_pkg_src}/scripts/examples/*.conf)
install(FILES ${_l2fq_pkg_examples} DESTINATION share/doc/l2fragq/examples
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

# ------------------------------------------------------------ maintainer scripts
# systemd only where it runs (containers, chroots and sysvinit hosts have no
# /run/systemd/system). The templates have no default instance, so nothing is
# enabled on install: "systemctl enable --now l2fragq@0-3" (or
# l2fragq-net@site1) is the admin's.
# Never cut a VM off (doc/setup.md, "Upgrade, removal, purge"):
#   upgrade   every running l2fragq-net instance (a journal in /run/l2fragq,
#             whether systemd or an admin started it) gets its l2fragq
#             restarted onto the new binary ("l2fragq-net restart-daemon
#             NAME"), nothing else: WireGuard, gretaps and bridge stay, and
#             the queue rule's bypass passes packets while no l2fragq is bound.
#   remove    leaves the VM network up (prerm gets "remove" for a purge too,
#             so it cannot tell them apart): it copies l2fragq-net and its
#             library to /run/l2fragq/purge-tool for postrm.
#   purge     takes every instance down with that copy ("down NAME").
file(CONFIGURE OUTPUT ${_l2fq_pkg_gen}/control/postinst @ONLY CONTENT
"#!/bin/sh
set -e
if [ \"$1\" = configure ]; then
	rm -rf /run/l2fragq/purge-tool
	if [ -d /run/systemd/system ]; then
		systemctl --system daemon-reload >/dev/null || true
		# Upgrade: restart the l2fragq@ instances that run so that they use the
		# new binary. With the queue rule's bypass flag, packets pass unchanged
		# (DF kept) for the fraction of a second in which no l2fragq is bound.
		if [ -n \"$2\" ]; then
			deb-systemd-invoke try-restart 'l2fragq@*.service' >/dev/null || true
		fi
	fi
	# The l2fragq of every running l2fragq-net instance, onto the new binary,
	# unless policy-rc.d forbids restarts (as deb-systemd-invoke honours it).
	rc=0
	[ ! -x /usr/sbin/policy-rc.d ] || /usr/sbin/policy-rc.d l2fragq-net restart >/dev/null 2>&1 || rc=$?
	for st in /run/l2fragq/*.state; do
		[ -f \"$st\" ] || continue
		if [ $rc = 0 ] || [ $rc = 104 ]; then
			/usr/sbin/l2fragq-net restart-daemon \"$(basename \"$st\" .state)\" || true
		else
			echo \"l2fragq: policy-rc.d forbids restarts: $st keeps its l2fragq (l2fragq-net restart-daemon NAME)\" >&2
		fi
	done
fi
exit 0
")
file(CONFIGURE OUTPUT ${_l2fq_pkg_gen}/control/prerm @ONLY CONTENT
"#!/bin/sh
set -e
if [ \"$1\" = remove ]; then
	# The VM network stays up; postrm purge takes it down with this copy.
	if ls /run/l2fragq/*.state >/dev/null 2>&1; then
		t=/run/l2fragq/purge-tool
		{ rm -rf \"$t\" && mkdir -p \"$t/net\" && cp /usr/lib/l2fragq/net/*.sh \"$t/net/\" &&
			sed \"s|^libdir=.*|libdir=$t/net|\" /usr/sbin/l2fragq-net >\"$t/l2fragq-net\" &&
			chmod 755 \"$t/l2fragq-net\"; } ||
			echo \"l2fragq: cannot copy l2fragq-net to $t: purge will not take the VM network down\" >&2
	fi
	if [ -d /run/systemd/system ]; then
		deb-systemd-invoke stop 'l2fragq@*.service' >/dev/null || true
		# (they would run an l2fragq-net that is gone)
		deb-systemd-invoke stop 'l2fragq-net-metrics@*.timer' >/dev/null 2>&1 || true
	fi
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
	# What removal left up: every l2fragq-net instance, with prerm's copy.
	if [ -x /run/l2fragq/purge-tool/l2fragq-net ]; then
		for st in /run/l2fragq/*.state; do
			[ -f \"$st\" ] || continue
			/run/l2fragq/purge-tool/l2fragq-net down \"$(basename \"$st\" .state)\" || true
		done
		rm -rf /run/l2fragq/purge-tool
	fi
	if [ -d /run/systemd/system ]; then
		# Down already: the units' ExecStop went with the package; stopping
		# them lets a later install start them again.
		deb-systemd-invoke stop 'l2fragq-net@*.service' >/dev/null 2>&1 || true
	fi
	# The links that \"systemctl enable l2fragq@A-B\" and l2fragq-net@NAME made.
	find /etc/systemd/system \\( -name 'l2fragq@*.service' -o -name 'l2fragq-net@*.service' \\
		-o -name 'l2fragq-net-metrics@*.timer' \\) \\
		-type l -delete 2>/dev/null || true
	# l2fragq-net's default log files (log-file = /var/log/l2fragq-NAME.log,
	# without systemd) and what logrotate made of them.
	rm -f /var/log/l2fragq-*.log /var/log/l2fragq-*.log.[0-9]*
	# No instance left here: the lock files too (down removes its own).
	if ! ls /run/l2fragq/*.state >/dev/null 2>&1; then
		rm -f /run/l2fragq/*.lock
		rmdir /run/l2fragq 2>/dev/null || true
	fi
fi
exit 0
")
file(CONFIGURE OUTPUT ${_l2fq_pkg_gen}/control/conffiles @ONLY CONTENT
"/etc/default/l2fragq
/etc/logrotate.d/l2fragq
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
holding CAP_NET_ADMIN, and CAP_NET_RAW until the daemon gives it up at
start), Prometheus textfile metrics, and l2fragq-net,
which joins the VM bridges of hypervisors over WireGuard + gretap like
wg-quick (l2fragq-net@NAME.service for /etc/l2fragq/NAME.conf).")
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
# Besides the libraries (dpkg-shlibdeps, appended by CPack): what l2fragq-net
# runs (ip and bridge; nft; wg; modinfo and modprobe). ethtool turns off
# segmentation offload on the gretap ports for pmtud (a weaker fallback
# without it); iptables is the queue backend for kernels without nft_queue;
# wireguard-go is WireGuard for kernels without the module.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "iproute2, nftables, wireguard-tools, kmod")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "ethtool")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "iptables, wireguard-go, prometheus-node-exporter")
if(L2FQ_PACKAGE_HOMEPAGE)
  set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${L2FQ_PACKAGE_HOMEPAGE}")
endif()
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${_l2fq_pkg_gen}/control/postinst ${_l2fq_pkg_gen}/control/prerm
    ${_l2fq_pkg_gen}/control/postrm ${_l2fq_pkg_gen}/control/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
