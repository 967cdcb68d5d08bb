"""Production refuses to start with a weak configuration; development makes its own secret key."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app import _instance_secret
from config import ProductionConfig

ROOT = Path(__file__).resolve().parents[2]
GOOD = {"SECRET_KEY": "k" * 40, "DATABASE_URL": "postgresql+psycopg://db/procheck",
        "PUBLIC_BASE_URL": "https://procheck.example.org"}


@pytest.mark.parametrize("change, problem", [
    ({"SECRET_KEY": ""}, "SECRET_KEY is not set"),
    ({"SECRET_KEY": "dev-only-not-secret"}, "publicly known"),
    ({"SECRET_KEY": "short-but-not-empty"}, "shorter than 32 bytes"),
    ({"DATABASE_URL": ""}, "DATABASE_URL is not set"),
    ({"PUBLIC_BASE_URL": "http://procheck.example.org"}, "https://"),
])
def test_production_names_each_weak_setting(change, problem):
    assert ProductionConfig.problems(GOOD) == []
    assert any(problem in found for found in ProductionConfig.problems({**GOOD, **change}))


def test_production_process_refuses_to_start_with_the_old_public_key():
    env = {**os.environ, **GOOD, "PROCHECK_ENV": "production", "SECRET_KEY": "dev-only-not-secret"}
    result = subprocess.run([sys.executable, "-c", "from app import create_app; create_app()"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "publicly known value" in result.stderr


def test_development_makes_one_random_key_and_keeps_it(tmp_path):
    first = _instance_secret(str(tmp_path))
    assert len(first) >= 48 and first == _instance_secret(str(tmp_path))
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    other = tmp_path / "other"
    other.mkdir()
    assert _instance_secret(str(other)) != first
