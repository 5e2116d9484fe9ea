# SPDX-License-Identifier: Apache-2.0
# The project's warning set (STYLE.md section 12). Applied PRIVATE to our own targets only;
# generated protobuf-c sources get none.
set(WT_WARNING_FLAGS
	-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wmissing-declarations
	-Wformat=2 -Wwrite-strings -Wpointer-arith -Wundef -Wimplicit-fallthrough -Wvla
	-Wno-unused-parameter -Wno-missing-field-initializers
	-Werror=implicit-function-declaration -Werror=format-security)

function(wt_target_warnings target)
	target_compile_options(${target} PRIVATE ${WT_WARNING_FLAGS})
	if(WT_WERROR)
		target_compile_options(${target} PRIVATE -Werror)
	endif()
endfunction()
