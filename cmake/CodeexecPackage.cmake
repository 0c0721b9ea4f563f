# Included last by the top-level CMakeLists.txt, once every library exists: puts the parts of
# codeexec::codeexec into libcodeexec.so (CODEEXEC_SHARED), and says what `cmake --install`
# installs: the public headers, the libraries, the CMake package (find_package(codeexec), target
# codeexec::codeexec) and the codeexec command (src/cli). Nothing installed names the build or
# source tree: the embedded programs are inside the libraries, and the package finds everything
# else relative to itself or on the user's machine.
include(CMakePackageConfigHelpers)

# codeexec_parts(target out): the libraries of this project that `target` links, directly or
# through one another (aliases resolved; imported targets and generator expressions skipped).
function(codeexec_parts target out)
  set(parts "")
  set(pending ${target})
  while(pending)
    list(POP_FRONT pending current)
    get_target_property(links ${current} LINK_LIBRARIES)
    foreach(link IN LISTS links)
      if(NOT TARGET "${link}")
        continue()
      endif()
      get_target_property(aliased ${link} ALIASED_TARGET)
      if(aliased)
        set(link ${aliased})
      endif()
      get_target_property(imported ${link} IMPORTED)
      if(NOT imported AND NOT link IN_LIST parts)
        list(APPEND parts ${link})
        list(APPEND pending ${link})
      endif()
    endforeach()
  endwhile()
  set(${out} ${parts} PARENT_SCOPE)
endfunction()

codeexec_parts(codeexec codeexec_libraries)
foreach(part IN LISTS codeexec_libraries)
  string(REGEX REPLACE "^codeexec_" "" export_name ${part})
  set_target_properties(${part} PROPERTIES EXPORT_NAME ${export_name})
  if(CODEEXEC_SHARED)
    target_sources(codeexec PRIVATE $<TARGET_OBJECTS:${part}>)
  endif()
endforeach()

# Static: every part is installed (a user's link needs them all, and their dependencies, which the
# package finds); shared: libcodeexec.so alone.
set(installed codeexec)
if(NOT CODEEXEC_SHARED)
  list(APPEND installed ${codeexec_libraries})
endif()
set(package_dir ${CMAKE_INSTALL_LIBDIR}/cmake/codeexec)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/codeexec
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")
install(TARGETS ${installed} EXPORT codeexecTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(EXPORT codeexecTargets NAMESPACE codeexec:: DESTINATION ${package_dir})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/codeexecConfig.cmake.in
  ${PROJECT_BINARY_DIR}/codeexecConfig.cmake INSTALL_DESTINATION ${package_dir})
# 0.x: a new minor version may change the API.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/codeexecConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/codeexecConfig.cmake
  ${PROJECT_BINARY_DIR}/codeexecConfigVersion.cmake
  DESTINATION ${package_dir})
