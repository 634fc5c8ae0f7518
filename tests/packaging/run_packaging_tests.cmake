# Installs the build tree into a scratch prefix, then configures, builds and runs the consumer
# project against it (find_package) and against the source tree (add_subdirectory, also through
# both phases of profile-guided optimisation), and imports the installed Python package.
foreach(var SOURCE_DIR BUILD_DIR WORK_DIR GENERATOR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "${var} is required")
  endif()
endforeach()

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "failed (${result}): ${ARGN}\n${out}\n${err}")
  endif()
  message(STATUS "ok: ${ARGN}\n${out}")
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")
run(${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${prefix}")

set(launcher "")
find_program(CCACHE ccache)
if(CCACHE)
  set(launcher "-DCMAKE_CXX_COMPILER_LAUNCHER=${CCACHE}")
endif()

set(consumer "${SOURCE_DIR}/tests/packaging/consumer")
run(${CMAKE_COMMAND} -S "${consumer}" -B "${WORK_DIR}/find_package" -G "${GENERATOR}"
    -DCMAKE_PREFIX_PATH=${prefix} ${launcher})
run(${CMAKE_COMMAND} --build "${WORK_DIR}/find_package")
run("${WORK_DIR}/find_package/consumer")

run(${CMAKE_COMMAND} -S "${consumer}" -B "${WORK_DIR}/add_subdirectory" -G "${GENERATOR}"
    -DOMNIROUTE_SOURCE_DIR=${SOURCE_DIR} ${launcher})
run(${CMAKE_COMMAND} --build "${WORK_DIR}/add_subdirectory")
run("${WORK_DIR}/add_subdirectory/consumer")

# Profile-guided optimisation as an embedder runs it (README): the instrumented consumer writes
# profiles of the library's sources, and the rebuild optimises with them.
if(COMPILER_ID STREQUAL "GNU")
  set(pgo "${WORK_DIR}/pgo")
  run(${CMAKE_COMMAND} -S "${consumer}" -B "${pgo}" -G "${GENERATOR}"
      -DOMNIROUTE_SOURCE_DIR=${SOURCE_DIR} -DCMAKE_BUILD_TYPE=Release -DOMNIROUTE_PGO=generate)
  run(${CMAKE_COMMAND} --build "${pgo}")
  run("${pgo}/consumer")
  file(GLOB_RECURSE profiles "${pgo}/omniroute/*calendar.cc.gcda")
  if(NOT profiles)
    message(FATAL_ERROR "the instrumented consumer wrote no profile of the calendar under ${pgo}")
  endif()
  run(${CMAKE_COMMAND} -S "${consumer}" -B "${pgo}" -DOMNIROUTE_PGO=use)
  run(${CMAKE_COMMAND} --build "${pgo}")
  run("${pgo}/consumer")
endif()

if(PYTHON)
  file(GLOB_RECURSE installed_modules "${prefix}/*/_omniroute*.so")
  if(NOT installed_modules)
    message(FATAL_ERROR "the Python module was not installed under ${prefix}")
  endif()
  list(GET installed_modules 0 module)
  get_filename_component(package_dir "${module}" DIRECTORY)
  get_filename_component(site_dir "${package_dir}" DIRECTORY)
  run(${CMAKE_COMMAND} -E env PYTHONPATH=${site_dir} ${PYTHON} -c
      "import omniroute; assert omniroute.Calendar.always_open().is_always_open; print(omniroute.__version__, omniroute.__file__)")
  # The installed package drives an engine: an item is offered to the one available agent.
  run(${CMAKE_COMMAND} -E env PYTHONPATH=${site_dir} ${PYTHON} -c
      "import omniroute as om
eng = om.Engine({'queues': [{'name': 'q', 'auto_accept': True}], 'origin': 0})
eng.add_agent('a1', capacity={'chat': 1}, queues=['q'])
eng.set_agent_state('a1', om.AgentState.AVAILABLE)
eng.submit('t1', 'q', 'chat')
assert [e.kind for e in eng.poll_events()][-2:] == ['offered', 'assigned']
assert eng.item('t1').agent == 'a1' and om.Engine.restore(eng.snapshot()).item_count == 1
print(eng)")
endif()
