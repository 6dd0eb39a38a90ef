# Debian packages (CPack, DEB generator, dpkg-deb): `cpack --config <build>/CPackConfig.cmake`
# in a build folder makes
#   kiosk-agent_<version>_<arch>.deb    kiosk-agent, kioskctl, kiosk-agent-camera, the
#                                       kiosk-agent and kiosk-browser units, its config, its users
#   profile-store_<version>_<arch>.deb  profile-store, its unit, config and user
# Binaries go to /usr/bin (the camera helper to /usr/sbin), units to /lib/systemd/system,
# configs to /etc/kiosk-edge (conffiles), man pages to /usr/share/man, system users to
# /usr/lib/sysusers.d; state lives in /var/lib/<service> (systemd's StateDirectory=).
# tests/packaging builds and unpacks both packages and checks all of that.

set(kiosk_edge_man_dir ${CMAKE_BINARY_DIR}/man)
set(kiosk_edge_deb_dir ${CMAKE_BINARY_DIR}/debian)

# Man pages are written by hand in troff (docs/man) and installed gzip-compressed, as Debian
# policy asks.
set(kiosk_edge_man_pages kiosk-agent.8 kioskctl.1 kiosk-agent-camera.8 profile-store.8)
set(kiosk_edge_man_outputs)
foreach(page IN LISTS kiosk_edge_man_pages)
  add_custom_command(
    OUTPUT ${kiosk_edge_man_dir}/${page}.gz
    COMMAND ${CMAKE_COMMAND} -E make_directory ${kiosk_edge_man_dir}
    COMMAND gzip -9 -n -c ${PROJECT_SOURCE_DIR}/docs/man/${page} > ${kiosk_edge_man_dir}/${page}.gz
    DEPENDS ${PROJECT_SOURCE_DIR}/docs/man/${page}
    COMMENT "Compressing man page ${page}"
    VERBATIM)
  list(APPEND kiosk_edge_man_outputs ${kiosk_edge_man_dir}/${page}.gz)
endforeach()
add_custom_target(kiosk_edge_man_pages ALL DEPENDS ${kiosk_edge_man_outputs})

# --- kiosk-agent ----------------------------------------------------------------------------
install(TARGETS kiosk-agent kioskctl RUNTIME DESTINATION bin COMPONENT kiosk_agent)
install(PROGRAMS systemd/kiosk-agent-camera DESTINATION sbin COMPONENT kiosk_agent)
install(FILES systemd/kiosk-agent.service systemd/kiosk-browser.service
        DESTINATION /lib/systemd/system COMPONENT kiosk_agent)
install(FILES systemd/kiosk-agent.sysusers DESTINATION lib/sysusers.d RENAME kiosk-agent.conf
        COMPONENT kiosk_agent)
install(FILES config/kiosk-agent.toml DESTINATION /etc/kiosk-edge COMPONENT kiosk_agent)
install(FILES ${kiosk_edge_man_dir}/kiosk-agent.8.gz ${kiosk_edge_man_dir}/kiosk-agent-camera.8.gz
        DESTINATION share/man/man8 COMPONENT kiosk_agent)
install(FILES ${kiosk_edge_man_dir}/kioskctl.1.gz DESTINATION share/man/man1 COMPONENT kiosk_agent)

# --- profile-store --------------------------------------------------------------------------
install(TARGETS profile-store RUNTIME DESTINATION bin COMPONENT profile_store)
install(FILES systemd/profile-store.service DESTINATION /lib/systemd/system
        COMPONENT profile_store)
install(FILES systemd/profile-store.sysusers DESTINATION lib/sysusers.d
        RENAME profile-store.conf COMPONENT profile_store)
install(FILES config/profile-store.toml DESTINATION /etc/kiosk-edge COMPONENT profile_store)
install(FILES ${kiosk_edge_man_dir}/profile-store.8.gz DESTINATION share/man/man8
        COMPONENT profile_store)

# Maintainer scripts and conffiles of one package, made from cmake/debian/*.in into
# <build>/debian/<package>/; sets CPACK_DEBIAN_<COMPONENT>_PACKAGE_CONTROL_EXTRA.
function(kiosk_edge_maintainer_scripts component package)
  cmake_parse_arguments(PARSE_ARGV 2 arg "" "CONFIG;STATE_DIR;SYSUSERS;PURGE_EXTRA"
                        "USERS;START_UNITS;ENABLE_UNITS")
  set(PKG_NAME ${package})
  set(PKG_CONFIG ${arg_CONFIG})
  set(PKG_CONFIG_GROUP ${package})
  set(PKG_STATE_DIR ${arg_STATE_DIR})
  set(PKG_SYSUSERS ${arg_SYSUSERS})
  set(PKG_PURGE_EXTRA ${arg_PURGE_EXTRA})
  list(JOIN arg_USERS " " PKG_USERS)
  list(JOIN arg_START_UNITS " " PKG_START_UNITS)
  list(JOIN arg_ENABLE_UNITS " " PKG_ENABLE_UNITS)
  set(out ${kiosk_edge_deb_dir}/${package})
  set(extra)
  foreach(script postinst prerm postrm)
    configure_file(${PROJECT_SOURCE_DIR}/cmake/debian/${script}.in ${out}/${script} @ONLY
                   FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
                                    GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
    list(APPEND extra ${out}/${script})
  endforeach()
  file(WRITE ${out}/conffiles "${arg_CONFIG}\n")
  list(APPEND extra ${out}/conffiles)
  string(TOUPPER ${component} upper)
  set(CPACK_DEBIAN_${upper}_PACKAGE_CONTROL_EXTRA "${extra}" PARENT_SCOPE)
endfunction()

kiosk_edge_maintainer_scripts(kiosk_agent kiosk-agent
  CONFIG /etc/kiosk-edge/kiosk-agent.toml
  STATE_DIR /var/lib/kiosk-agent
  SYSUSERS kiosk-agent.conf
  USERS kiosk-agent:/var/lib/kiosk-agent kiosk:/run/kiosk-browser
  START_UNITS kiosk-agent.service
  ENABLE_UNITS kiosk-browser.service
  PURGE_EXTRA "rm -f /etc/systemd/system/kiosk-agent.service.d/camera.conf")
kiosk_edge_maintainer_scripts(profile_store profile-store
  CONFIG /etc/kiosk-edge/profile-store.toml
  STATE_DIR /var/lib/profile-store
  SYSUSERS profile-store.conf
  USERS profile-store:/var/lib/profile-store
  START_UNITS profile-store.service
  PURGE_EXTRA ":")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME kiosk-edge)
set(CPACK_PACKAGE_VENDOR kiosk-edge)
set(CPACK_PACKAGE_CONTACT "kiosk-edge maintainers <kiosk-edge@example.com>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL kiosk_agent profile_store)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # Depends: from dpkg-shlibdeps (dpkg-dev)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_SECTION misc)

set(CPACK_DEBIAN_KIOSK_AGENT_PACKAGE_NAME kiosk-agent)
# procps: kill, for the unit's ExecReload (systemctl reload kiosk-agent).
set(CPACK_DEBIAN_KIOSK_AGENT_PACKAGE_DEPENDS "adduser, init-system-helpers, procps")
set(CPACK_DEBIAN_KIOSK_AGENT_PACKAGE_RECOMMENDS "chromium, cage")
set(CPACK_COMPONENT_KIOSK_AGENT_DESCRIPTION
    "kiosk-edge kiosk agent: offline-first QR capture for retail kiosks
kiosk-agent records channel scans, shopper signups and voucher redemptions in a durable
local journal, serves the kiosk screen, landing, signup and counter pages, and syncs with
the HQ profile store. Includes kioskctl (channels, QR export, enrollment), the
kiosk-browser unit (chromium in kiosk mode under cage) and kiosk-agent-camera.")

set(CPACK_DEBIAN_PROFILE_STORE_PACKAGE_NAME profile-store)
# procps: kill, for the unit's ExecReload (systemctl reload profile-store).
set(CPACK_DEBIAN_PROFILE_STORE_PACKAGE_DEPENDS "adduser, init-system-helpers, procps")
set(CPACK_DEBIAN_PROFILE_STORE_PACKAGE_SUGGESTS "postgresql")
set(CPACK_COMPONENT_PROFILE_STORE_DESCRIPTION
    "kiosk-edge profile store: the HQ end of kiosk-edge
profile-store ingests the kiosks' event batches over mutual TLS, merges shopper identities
and answers channel attribution queries, on SQLite or PostgreSQL.")

include(CPack)
