import os
import secrets
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _check_deploy(extra_env):
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "PYTHONPATH": str(REPO / "src"),
        "EPLUS_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "eplus.example",
        "REDIS_URL": "redis://127.0.0.1:6379/15",
        **extra_env,
    }
    return subprocess.run(
        [sys.executable, "-m", "eplus", "check", "--deploy"],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=120,
    )


def test_production_settings_pass_the_deploy_check_without_warnings():
    result = _check_deploy({})
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNING" not in output


def test_the_deploy_check_does_catch_insecure_settings():
    # The same check with HSTS switched off must warn: proves the test above can fail.
    result = _check_deploy({"SECURE_HSTS_SECONDS": "0"})
    assert "security.W004" in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update({"PYTHONPATH": str(REPO / "src"), "EPLUS_ENV": "production"})
    result = subprocess.run([sys.executable, "-m", "eplus", "check"], env=env, cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_redis():
    """Several processes must share the lockout counters and the page cache: no local-memory fallback."""
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update({"PYTHONPATH": str(REPO / "src"), "EPLUS_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(60)})
    result = subprocess.run([sys.executable, "-m", "eplus", "check"], env=env, cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "REDIS_URL must be set when EPLUS_ENV=production" in result.stderr
