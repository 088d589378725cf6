"""Train the Rasa model only when the training data changed.

The model file is named after a hash of config, domain, data and the code of our
own pipeline components, so "is there a model for the current data?" is a file
check, not a Rasa start-up.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

TRAINING_INPUTS = ("config.yml", "domain.yml", "data", "wismo/rasa_nlu.py")


def fingerprint(project: Path, config: str = "config.yml") -> str:
    """A short hash of everything that changes the trained model."""
    digest = hashlib.sha256()
    files: list[Path] = []
    for name in (config, *TRAINING_INPUTS[1:]):
        path = project / name
        files += sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for path in files:
        digest.update(str(path.relative_to(project)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def model_path(project: Path, models: Path, config: str = "config.yml") -> Path:
    stem = Path(config).stem.replace("config", "wismo")
    return models / f"{stem}-{fingerprint(project, config)}.tar.gz"


def ensure_model(
    project: Path,
    models: Path | None = None,
    *,
    config: str = "config.yml",
    log_file: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """The model for the current data, training it first if there is none.

    Rasa's own output (epochs, warnings) goes to `log_file`; `progress` gets a
    short line every few seconds instead.
    """
    models = models or project / "models"
    target = model_path(project, models, config)
    if target.exists():
        return target
    models.mkdir(parents=True, exist_ok=True)
    log_file = log_file or project / "var" / "train.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    say = progress or (lambda line: None)
    cmd = [
        sys.executable, "-m", "rasa", "train",
        "--config", str(project / config),
        "--domain", str(project / "domain.yml"),
        "--data", str(project / "data"),
        "--out", str(models),
        "--fixed-model-name", target.name.removesuffix(".tar.gz"),
    ]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"}
    started = time.monotonic()
    say("Training the model for the current data (about 2 minutes, once)...")
    with log_file.open("w") as log:
        proc = subprocess.Popen(cmd, cwd=project, stdout=log, stderr=subprocess.STDOUT, env=env)
        while proc.poll() is None:
            time.sleep(1)
            elapsed = int(time.monotonic() - started)
            if elapsed and elapsed % 15 == 0:
                say(f"  still training... {elapsed}s")
    if proc.returncode != 0 or not target.exists():
        raise RuntimeError(f"rasa train failed (exit {proc.returncode}); see {log_file}")
    say(f"Model trained in {time.monotonic() - started:.0f}s: {target}")
    return target
