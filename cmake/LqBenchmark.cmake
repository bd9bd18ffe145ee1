# lq_add_benchmark(name SOURCES ... [LINK ...]): a Google Benchmark executable lq_bench_<name>.
# Benchmarks live beside what they measure (framework/benchmarks, plugins/<name>/benchmarks).
function(lq_add_benchmark name)
  if(NOT LQ_BUILD_BENCHMARKS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SOURCES;LINK" ${ARGN})
  add_executable(lq_bench_${name} ${ARG_SOURCES})
  target_link_libraries(lq_bench_${name} PRIVATE benchmark::benchmark ${ARG_LINK})
  lq_target_warnings(lq_bench_${name})
endfunction()
