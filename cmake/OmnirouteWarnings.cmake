# Warnings are errors in the project's own targets (never imposed on consumers).
function(omniroute_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Werror -Werror=unused-result -Wshadow=local -Wnon-virtual-dtor)
endfunction()
