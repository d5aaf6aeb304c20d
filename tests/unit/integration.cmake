# Unit-level tests that open sockets or start processes (label "integration"); the sanitizer
# build leaves them out (SCHAKEL_INTEGRATION_TESTS=OFF).
# Tests against tests/fakes/https_echo.py: label "integration" only, one test PKI per ctest run.
set(SCHAKEL_TEST_PKI_DIR ${CMAKE_CURRENT_BINARY_DIR}/https-test-pki)
add_test(NAME https_test_pki_setup COMMAND python3 ${PROJECT_SOURCE_DIR}/tests/fakes/https_echo.py pki ${SCHAKEL_TEST_PKI_DIR})
add_test(NAME https_test_pki_cleanup COMMAND ${CMAKE_COMMAND} -E rm -rf ${SCHAKEL_TEST_PKI_DIR})
set_tests_properties(https_test_pki_setup PROPERTIES FIXTURES_SETUP https_test_pki LABELS integration TIMEOUT 60)
set_tests_properties(https_test_pki_cleanup PROPERTIES FIXTURES_CLEANUP https_test_pki LABELS integration TIMEOUT 60)
function(schakel_https_test name)
  cmake_parse_arguments(T "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_DEPS} nlohmann_json::nlohmann_json GTest::gtest GTest::gmock GTest::gtest_main)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_compile_definitions(${name} PRIVATE
    SCHAKEL_SOURCE_DIR="${PROJECT_SOURCE_DIR}" SCHAKEL_BINARY_DIR="${PROJECT_BINARY_DIR}")
  schakel_warnings(${name})
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS integration TIMEOUT 60
    FIXTURES_REQUIRED https_test_pki ENVIRONMENT SCHAKEL_TEST_PKI_DIR=${SCHAKEL_TEST_PKI_DIR})
endfunction()
schakel_https_test(http_tls_test SOURCES adapters/http/client_tls_test.cpp adapters/http/client_faults_test.cpp
  DEPS schakel_http)
schakel_https_test(oauth2_test SOURCES adapters/oauth2/client_credentials_test.cpp DEPS schakel_oauth2)
schakel_https_test(webhook_test SOURCES plugins/webhook/webhook_test.cpp
  DEPS schakel_plugin_host schakel_http schakel_webhook_signature OpenSSL::Crypto)
target_compile_definitions(webhook_test PRIVATE SCHAKEL_WEBHOOK_PLUGIN="$<TARGET_FILE:schakel_webhook>")
add_dependencies(webhook_test schakel_webhook)
# The referral-portal plugin through the real plugin host against the real portal simulator
# (tests/fakes/referral-portal) over TLS: starts a process, so label "integration".
add_executable(referral_portal_test plugins/referral_portal/sink_test.cpp plugins/referral_portal/source_test.cpp)
target_link_libraries(referral_portal_test PRIVATE schakel_plugin_host schakel_http OpenSSL::Crypto
  nlohmann_json::nlohmann_json GTest::gtest GTest::gmock GTest::gtest_main)
target_include_directories(referral_portal_test PRIVATE ${PROJECT_SOURCE_DIR}/tests)
target_compile_definitions(referral_portal_test PRIVATE SCHAKEL_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
  SCHAKEL_REFERRAL_PORTAL_PLUGIN="$<TARGET_FILE:schakel_referral_portal>")
add_dependencies(referral_portal_test schakel_referral_portal)
schakel_warnings(referral_portal_test)
gtest_discover_tests(referral_portal_test DISCOVERY_TIMEOUT 60 PROPERTIES LABELS integration TIMEOUT 120)
# Opens sockets on loopback (port 0) and runs sslscan: integration, not unit.
schakel_unit_test(api_server_test
  SOURCES core/api/server_tls_test.cpp core/api/server_limits_test.cpp
          ${PROJECT_SOURCE_DIR}/tests/support/api_test_client.cpp
  DEPS schakel_api
  PROPERTIES LABELS integration)
target_include_directories(api_server_test PRIVATE ${PROJECT_SOURCE_DIR}/tests/support)
# sis-oneroster through the real plugin host and SQLite store; runs scripts/gen-oneroster
# (python3), so labelled integration.
add_executable(sis_oneroster_test plugins/sis-oneroster/roundtrip_test.cpp
  plugins/sis-oneroster/malformed_test.cpp)
target_link_libraries(sis_oneroster_test PRIVATE schakel_plugin_host schakel_store
  GTest::gtest GTest::gmock GTest::gtest_main)
target_include_directories(sis_oneroster_test PRIVATE ${PROJECT_SOURCE_DIR}/tests/support)
target_compile_definitions(sis_oneroster_test PRIVATE SCHAKEL_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
  SCHAKEL_SIS_ONEROSTER_PLUGIN="$<TARGET_FILE:schakel_sis_oneroster>")
add_dependencies(sis_oneroster_test schakel_sis_oneroster)
schakel_warnings(sis_oneroster_test)
gtest_discover_tests(sis_oneroster_test DISCOVERY_TIMEOUT 60 PROPERTIES LABELS integration TIMEOUT 120)
# The iCalendar writer's output parsed by python3-icalendar: starts python, so integration.
add_executable(ical_independent_test adapters/ical/independent_parse_test.cpp)
target_link_libraries(ical_independent_test PRIVATE schakel_ical schakel_test_support GTest::gtest GTest::gtest_main)
target_include_directories(ical_independent_test PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/adapters/ical
  ${PROJECT_SOURCE_DIR}/tests/support)
target_compile_definitions(ical_independent_test PRIVATE SCHAKEL_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
schakel_warnings(ical_independent_test)
gtest_discover_tests(ical_independent_test DISCOVERY_TIMEOUT 60 PROPERTIES LABELS integration TIMEOUT 60)
# sis-oneroster's REST binding against the fake OneRoster server (tests/fakes/oneroster) over
# TLS: each test binary starts its own fake on port 0, so no RESOURCE_LOCK is needed.
add_executable(sis_oneroster_rest_test plugins/sis-oneroster/rest_test.cpp)
target_link_libraries(sis_oneroster_rest_test PRIVATE schakel_plugin_host schakel_store schakel_http
  GTest::gtest GTest::gmock GTest::gtest_main)
target_include_directories(sis_oneroster_rest_test PRIVATE ${PROJECT_SOURCE_DIR}/tests/support ${PROJECT_SOURCE_DIR}/adapters)
target_compile_definitions(sis_oneroster_rest_test PRIVATE SCHAKEL_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
  SCHAKEL_SIS_ONEROSTER_PLUGIN="$<TARGET_FILE:schakel_sis_oneroster>")
add_dependencies(sis_oneroster_rest_test schakel_sis_oneroster)
schakel_warnings(sis_oneroster_rest_test)
gtest_discover_tests(sis_oneroster_rest_test DISCOVERY_TIMEOUT 60 PROPERTIES LABELS integration TIMEOUT 120)
# Zipped bundles and the reconcile of a full users file, in the same fixture.
target_sources(sis_oneroster_test PRIVATE plugins/sis-oneroster/zip_reconcile_test.cpp)
# calendar-caldav through the real plugin host against a real Radicale (one per test binary).
add_executable(calendar_caldav_test plugins/calendar_caldav/caldav_test.cpp
  ${PROJECT_SOURCE_DIR}/tests/support/radicale.cpp)
target_link_libraries(calendar_caldav_test PRIVATE schakel_plugin_host schakel_ical schakel_http schakel_test_support
  OpenSSL::Crypto nlohmann_json::nlohmann_json GTest::gtest GTest::gmock)
target_include_directories(calendar_caldav_test PRIVATE ${PROJECT_SOURCE_DIR}/tests ${PROJECT_SOURCE_DIR}/tests/support)
target_compile_definitions(calendar_caldav_test PRIVATE SCHAKEL_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
  SCHAKEL_CALENDAR_CALDAV_PLUGIN="$<TARGET_FILE:schakel_calendar_caldav>")
add_dependencies(calendar_caldav_test schakel_calendar_caldav)
schakel_warnings(calendar_caldav_test)
gtest_discover_tests(calendar_caldav_test DISCOVERY_TIMEOUT 60
  PROPERTIES LABELS integration TIMEOUT 120 RESOURCE_LOCK radicale)
# calendar-ics through the real plugin host against tests/fakes/ics_feed.py over TLS.
schakel_https_test(calendar_ics_fetch_test SOURCES plugins/calendar_ics/fetch_test.cpp
  DEPS schakel_plugin_host schakel_store schakel_test_support)
target_include_directories(calendar_ics_fetch_test PRIVATE ${PROJECT_SOURCE_DIR}/tests/support)
target_compile_definitions(calendar_ics_fetch_test PRIVATE
  SCHAKEL_CALENDAR_ICS_PLUGIN="$<TARGET_FILE:schakel_calendar_ics>")
add_dependencies(calendar_ics_fetch_test schakel_calendar_ics)
target_link_libraries(api_server_test PRIVATE schakel_api_test_support)
