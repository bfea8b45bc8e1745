"""The Dockerfile's build, run outside Docker: .ci/docker-build-steps.sh builds the UI, installs the
package from a copy of the sources into a fresh environment and serves /ready with the image's ENV."""

from __future__ import annotations

import os
import subprocess
import sys

from deploy_files import CI_SCRIPT, ROOT


def test_the_image_build_steps_install_a_package_that_serves_in_production_mode() -> None:
    result = subprocess.run(
        ["bash", str(CI_SCRIPT)],
        cwd=ROOT,
        # The caller's environment, for npm's and pip's settings; the script starts the server with only the image's.
        env={**os.environ, "OTELHOUSE_VENV_PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "build step: ui-deps" in result.stdout and "build step: install" in result.stdout
    assert "the installed otelhouse served /ready, /health and the UI" in result.stdout
