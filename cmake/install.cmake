# `cmake --install` and CPack: the binary, the systemd unit, sysusers/tmpfiles files, the README
# and an example config, in the places Debian 12 expects; `cpack -G DEB` (or `make package`) turns
# the same rules into a .deb whose maintainer scripts create the service user and directories but
# never enable or start the service.
#
#   cmake --install build                      # into /usr (the default prefix here, see below)
#   cmake --install build --prefix /opt/x      # elsewhere; the unit's ExecStart= follows the prefix
#   cd build-release && cpack -G DEB           # outreachd_<version>_<arch>.deb
include(GNUInstallDirs)

# A system daemon belongs in /usr (the unit, the docs and the package all say /usr/bin/outreachd),
# not in CMake's /usr/local default. An explicit -DCMAKE_INSTALL_PREFIX still wins.
if(CMAKE_INSTALL_PREFIX_INITIALIZED_TO_DEFAULT)
  set(CMAKE_INSTALL_PREFIX "/usr" CACHE PATH "Install prefix" FORCE)
  # GNUInstallDirs already computed its FULL_ paths from the old prefix.
  set(CMAKE_INSTALL_FULL_BINDIR "/usr/${CMAKE_INSTALL_BINDIR}")
endif()

# systemd's own directories (absolute: systemd only looks there), asked of systemd.pc when it
# knows them; these defaults are Debian 12's.
set(OUTREACHD_UNIT_DIR "/lib/systemd/system" CACHE PATH "Where the systemd unit is installed")
set(OUTREACHD_SYSUSERS_DIR "/usr/lib/sysusers.d" CACHE PATH "Where the sysusers.d file is installed")
set(OUTREACHD_TMPFILES_DIR "/usr/lib/tmpfiles.d" CACHE PATH "Where the tmpfiles.d file is installed")
set(OUTREACHD_DOC_DIR "${CMAKE_INSTALL_DATADIR}/doc/outreachd")

install(TARGETS outreachd RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# The unit names the binary by absolute path, so it is written with the prefix's path.
file(READ "${PROJECT_SOURCE_DIR}/systemd/outreachd.service" OUTREACHD_UNIT_TEXT)
string(REPLACE "/usr/bin/outreachd" "${CMAKE_INSTALL_FULL_BINDIR}/outreachd" OUTREACHD_UNIT_TEXT
               "${OUTREACHD_UNIT_TEXT}")
file(CONFIGURE OUTPUT "${PROJECT_BINARY_DIR}/packaging/outreachd.service" CONTENT "${OUTREACHD_UNIT_TEXT}" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/packaging/outreachd.service" DESTINATION ${OUTREACHD_UNIT_DIR})
install(FILES systemd/outreachd.sysusers DESTINATION ${OUTREACHD_SYSUSERS_DIR} RENAME outreachd.conf)
install(FILES systemd/outreachd.tmpfiles DESTINATION ${OUTREACHD_TMPFILES_DIR} RENAME outreachd.conf)

# The example config goes with the docs, never to /etc/outreachd/outreachd.toml: an upgrade must
# not touch an operator's config.
install(FILES README.md DESTINATION ${OUTREACHD_DOC_DIR})
# The README links into docs/: ship them beside it so the links resolve in the installed copy.
install(FILES docs/send-rules.md docs/providers.md docs/architecture.md docs/simulator.md docs/simulator-example.json
        docs/systemd-test.md DESTINATION ${OUTREACHD_DOC_DIR}/docs)
install(FILES packaging/outreachd.toml.example packaging/campaign.json.example
        DESTINATION ${OUTREACHD_DOC_DIR}/examples)

# ---- CPack: the .deb ----------------------------------------------------------------------------
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "outreachd")
set(CPACK_PACKAGE_VENDOR "outreachd")
set(OUTREACHD_PACKAGE_CONTACT "outreachd maintainers <root@localhost>" CACHE STRING "The .deb Maintainer field")
set(CPACK_PACKAGE_CONTACT "${OUTREACHD_PACKAGE_CONTACT}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "direct-message outreach daemon (systemd service)")
set(CPACK_PACKAGE_DESCRIPTION
    "outreachd imports campaign files dropped into a watch directory into a SQLite queue and sends
them as direct messages through one of four HTTP providers, pacing every account, keeping its
rolling 24-hour cap and recording every attempt. Progress is one SQL query away.")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
# Absolute destinations (/lib/systemd/system, /usr/lib/sysusers.d) must land in the staging tree,
# so CPack installs through DESTDIR with the real prefix.
set(CPACK_SET_DESTDIR ON)
set(CPACK_PACKAGING_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME "DEB-DEFAULT")
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
# Library dependencies come from dpkg-shlibdeps; the rest are what the maintainer scripts and the
# certificate store need.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, ca-certificates")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "sqlite3")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${PROJECT_SOURCE_DIR}/packaging/postinst;${PROJECT_SOURCE_DIR}/packaging/prerm;${PROJECT_SOURCE_DIR}/packaging/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
