#!/bin/sh
# The build steps of the container image, one per argument. The Dockerfile runs them in its stages and
# .ci/docker-build-steps.sh runs the same steps outside Docker, so what CI checks is what the image does.
# Run from the root of a source tree (the Dockerfile's WORKDIR, or a copy of the repository).
#
#   ui-deps            npm ci: the UI's locked dependencies
#   ui                 the UI build (type check + bundle) into src/otelhouse/web/static
#   install PYTHON ..  pip install of this source tree, with the built UI inside, into PYTHON's environment
#                      (further arguments go to pip)
set -eu

step="${1:?usage: build-steps.sh ui-deps | ui | install PYTHON [pip arguments]}"
shift
case "$step" in
    ui-deps)
        npm ci --prefix ui --no-audit --no-fund
        ;;
    ui)
        npm run build --prefix ui
        # The wheel would ship without a UI if the build had gone elsewhere.
        test -f src/otelhouse/web/static/index.html
        ;;
    install)
        python="${1:?install needs the Python interpreter to install into}"
        shift
        test -f src/otelhouse/web/static/index.html || { echo "build the UI first (build-steps.sh ui)" >&2; exit 1; }
        "$python" -m pip install --no-cache-dir --disable-pip-version-check "$@" .
        ;;
    *)
        echo "unknown build step: $step" >&2
        exit 2
        ;;
esac
