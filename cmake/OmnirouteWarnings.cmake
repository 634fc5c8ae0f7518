# Warnings are errors in the project's own targets (never imposed on consumers).
function(omniroute_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Werror -Werror=unused-result -Wnon-virtual-dtor
    # A local that shadows a local: GCC spells it -Wshadow=local, clang (the fuzz preset)
    # -Wshadow-uncaptured-local; each rejects the other's spelling.
    $<$<CXX_COMPILER_ID:GNU>:-Wshadow=local>
    $<$<CXX_COMPILER_ID:Clang>:-Wshadow-uncaptured-local>)
endfunction()
