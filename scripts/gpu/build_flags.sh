# Sourced by the GPU scripts before they configure a build (after `source .device/env.sh`): g++ ignores a
# -I folder that is also an -isystem one, so env.sh's "Debian headers first" -I loses to the imported
# targets' -isystem order and PyTorch's fmt 12 shadows the fmt 9 that spdlog needs: give fmt and spdlog a
# folder of their own.
if [ -d /tmp/lq-deps/usr/include/fmt ]; then
  mkdir -p /tmp/lq-inc && cp -r /tmp/lq-deps/usr/include/fmt /tmp/lq-deps/usr/include/spdlog /tmp/lq-inc/
  export CXXFLAGS="-I/tmp/lq-inc ${CXXFLAGS:-}"
fi
