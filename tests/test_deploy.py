"""The deploy files in deploy/ and the Procfile: valid for the tools that read them, and runnable by `floor`."""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from qa import preflight
from qa.cli import build_parser
from qa.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
UNIT = ROOT / "deploy" / "floor.service"


def _unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(UNIT.read_text())
    return parser


def test_the_systemd_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here (Debian: apt-get install systemd)")
    # verify insists that ExecStart's binary exists: point it at one that does, and keep everything else.
    text = UNIT.read_text().replace("/opt/floor/.venv/bin/floor", str(shutil.which("true")))
    unit = tmp_path / "floor.service"
    unit.write_text(text.replace("WorkingDirectory=/opt/floor", f"WorkingDirectory={tmp_path}"))
    result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "floor.service" not in result.stderr, result.stderr


def test_the_unit_starts_floor_serve_with_options_it_accepts_on_a_state_directory() -> None:
    service = _unit()["Service"]
    command = shlex.split(service["ExecStart"])
    assert command[0].endswith("/floor")
    args = build_parser().parse_args(command[1:])
    assert (args.command, args.host) == ("serve", "127.0.0.1")
    environment = dict(line.removeprefix("Environment=").split("=", 1) for line in UNIT.read_text().splitlines()
                       if line.startswith("Environment="))
    assert environment["FLOOR_ENV"] == "production"
    assert environment["FLOOR_DATA_DIR"] == f"/var/lib/{service['StateDirectory']}"
    assert service["RestartPreventExitStatus"] == "3"  # a refused start must not be retried in a loop
    # On an ordinary disk the production start is allowed (FLOOR_PUBLIC_URL comes from /etc/floor/env).
    mounts = "/dev/vda / ext4 rw 0 0\n"
    verdict = preflight.judge_start(Settings(data_dir=Path("/var/lib/floor"), admin_token="a", secret_key="b",
                                             public_url="https://ask.example.org"), environment, mounts)
    assert verdict == preflight.StartVerdict(False, ())


def test_the_procfile_runs_floor_serve_on_the_platform_port() -> None:
    kind, _, command = (ROOT / "Procfile").read_text().strip().partition(": ")
    assert kind == "web"
    words = shlex.split(command.replace("$PORT", "5000"))
    assert words[0] == "floor"
    args = build_parser().parse_args(words[1:])
    assert (args.command, args.host, args.port) == ("serve", "0.0.0.0", 5000)


def test_the_deploy_guide_has_a_section_per_target() -> None:
    guide = (ROOT / "docs" / "deploy.md").read_text()
    for heading in ("## One VM with systemd and nginx", "## A Procfile platform",
                    "## Several instances behind nginx on Redis", "## A start that would lose data"):
        assert f"\n{heading}\n" in guide
    assert "deploy/floor.service" in guide and "deploy/nginx.conf" in guide
