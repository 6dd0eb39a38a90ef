# Precompiled headers for the libraries with many sources, in Debug builds (CI's sanitizer build
# among them): cmake/precompiled.hpp is parsed once per library instead of once per file, which
# saves about a seventh of that build's CPU. Not in the optimised builds: there GCC 12 reports
# std::string code reached through a precompiled header as out of bounds (-Warray-bounds,
# -Wstringop-overflow), false positives it does not report when the same headers are parsed.
# The precompiled headers reach every source of those libraries, so a missing #include goes
# unnoticed in a Debug build; the optimised builds parse each file's own includes. The test
# executable is left out: its unity build already parses the headers once per eight files.
option(KIOSK_EDGE_PCH "Precompile the headers most library sources include, in Debug builds" ON)

if(KIOSK_EDGE_PCH)
  foreach(library kiosk_common kiosk_sync_protocol kiosk_agent_lib profile_store_lib
                  profile_store_server)
    target_precompile_headers(${library} PRIVATE
                              $<$<CONFIG:Debug>:${PROJECT_SOURCE_DIR}/cmake/precompiled.hpp>)
  endforeach()
endif()
