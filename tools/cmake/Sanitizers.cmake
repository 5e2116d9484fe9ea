# SPDX-License-Identifier: Apache-2.0
# WT_SANITIZE ("address;undefined" or "thread") applies to every target so that libraries and
# tests agree. Recovery is disabled: the first report fails the test.
if(WT_SANITIZE)
	list(JOIN WT_SANITIZE "," _wt_san)
	add_compile_options(-fsanitize=${_wt_san} -fno-sanitize-recover=all -fno-omit-frame-pointer)
	add_link_options(-fsanitize=${_wt_san})
endif()

# WT_FUZZ: instrument everything for coverage; fuzz targets add -fsanitize=fuzzer themselves.
if(WT_FUZZ)
	if(NOT CMAKE_C_COMPILER_ID STREQUAL "Clang")
		message(FATAL_ERROR "WT_FUZZ=ON needs clang (configure with CC=clang)")
	endif()
	add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all)
	add_link_options(-fsanitize=address,undefined)
endif()
