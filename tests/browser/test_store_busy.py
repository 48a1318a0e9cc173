"""While the app holds the store, a second process is told so: exit 3, file named."""

import json
import subprocess
import sys

from tests.browser.conftest import PROJECT_DIR, _app_env


def test_the_cli_next_to_the_running_app_gets_exit_3(sign_in_as, store):
    sign_in_as("owner")  # the app has opened the store for this session
    result = subprocess.run(
        [sys.executable, "-m", "bookings.cli", "--db", str(store.path), "catalog", "--json"],
        capture_output=True, text=True, cwd=PROJECT_DIR, env=_app_env(store.path.parent),
        timeout=60,
    )
    assert result.returncode == 3
    assert str(store.path) in json.loads(result.stdout)["error"]
    assert "Traceback" not in result.stderr
