"""While the app holds the store, a second process goes through the app (its channel):
the same answer as on its own, and exit 3 only for what needs the file to itself."""

import json
import subprocess
import sys

import pytest

from tests.browser.conftest import ON_POSTGRES, PROJECT_DIR, app_env

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="a DuckDB file's lock: a PostgreSQL "
                                "store is opened by every process at once")


def cli(store, *args):
    return subprocess.run(
        [sys.executable, "-m", "bookings.cli", "--db", str(store.path), *args],
        capture_output=True, text=True, cwd=PROJECT_DIR, env=app_env(store.path.parent),
        timeout=60,
    )


def test_the_cli_next_to_the_running_app_goes_through_it(sign_in_as, store):
    sign_in_as("owner")  # the app has opened the store for this session
    result = cli(store, "catalog", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["staff"]
    result = cli(store, "init", "--json")
    assert result.returncode == 3
    error = json.loads(result.stdout)["error"]
    assert str(store.path) in error and "stop the app first" in error
    assert "Traceback" not in result.stderr
