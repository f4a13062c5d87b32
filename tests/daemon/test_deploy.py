"""deploy/ stays honest: the files it copies exist, the variables it sets are real settings,
and systemd accepts the unit (when systemd-analyze is on the machine). No Docker engine runs
in CI, so the image itself is not built here."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from signalflow.settings import Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ROOT = DEPLOY.parent
SETTINGS = {f"SIGNALFLOW_{name.upper()}" for name in Settings.model_fields}


def env_names(text: str) -> set[str]:
    return set(re.findall(r"\bSIGNALFLOW_[A-Z0-9_]+", text))


def test_the_dockerfile_copies_existing_paths_and_sets_real_settings():
    text = (DEPLOY / "Dockerfile").read_text()
    copies = [line.split()[1:-1] for line in text.splitlines() if line.startswith("COPY") and "--from" not in line]
    assert copies, "the Dockerfile copies nothing"
    for sources in copies:
        for source in sources:
            assert (ROOT / source).exists(), f"Dockerfile copies {source}, which does not exist"
    assert env_names(text) <= SETTINGS
    assert re.search(r"^USER (?!root)\w+", text, re.M), "the image must not run as root"
    assert "EXPOSE 8787" in text and Settings.model_fields["http_port"].default == 8787


def test_compose_refers_to_real_files_and_settings():
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    app = compose["services"]["signalflow"]
    assert (DEPLOY / app["build"]["context"] / app["build"]["dockerfile"]).is_file()
    assert set(app["environment"]) <= SETTINGS
    assert (DEPLOY / app["env_file"]).name == "signalflow.env"  # made from the example, see its header
    for volume in app["volumes"]:
        host = volume.split(":", 1)[0]
        if host.startswith("."):
            assert (DEPLOY / host).exists(), volume
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    assert compose["services"]["db"]["image"].startswith("postgres:15")


def test_the_env_example_names_only_real_settings():
    text = (DEPLOY / "signalflow.env.example").read_text()
    names = env_names(text)
    assert "SIGNALFLOW_DATABASE_URL" in names and "SIGNALFLOW_HTTP_PORT" in names
    assert names <= SETTINGS, sorted(names - SETTINGS)


def test_the_unit_names_real_settings_and_restarts():
    text = (DEPLOY / "signalflow.service").read_text()
    assert env_names(text) <= SETTINGS
    assert re.search(r"^Restart=on-failure$", text, re.M)
    assert re.search(r"^ExecReload=/bin/kill -HUP \$MAINPID$", text, re.M)
    assert re.search(r"^EnvironmentFile=", text, re.M)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_unit():
    result = subprocess.run(
        ["systemd-analyze", "verify", str(DEPLOY / "signalflow.service")], capture_output=True, text=True, timeout=60
    )
    # The ExecStart binary exists only on a machine where signalflow is installed.
    problems = [
        line for line in (result.stdout + result.stderr).splitlines()
        if line.strip() and "is not executable" not in line and "No such file" not in line
    ]
    assert problems == []
