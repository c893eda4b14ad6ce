# Warning and sanitizer flags shared by every target.
function(idemload_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                         -Wno-sign-conversion -Wno-missing-field-initializers)
  if(IDEMLOAD_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

if(IDEMLOAD_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
