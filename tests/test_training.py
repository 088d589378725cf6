"""A model is retrained when anything that shapes it changes, and only then."""

from __future__ import annotations

from pathlib import Path

from wismo.training import fingerprint


def _project(root: Path) -> Path:
    (root / "data").mkdir()
    (root / "wismo").mkdir()
    (root / "config.yml").write_text("pipeline: []\n")
    (root / "domain.yml").write_text("intents: [greet]\n")
    (root / "data" / "nlu.yml").write_text("nlu: []\n")
    (root / "wismo" / "rasa_nlu.py").write_text("VERSION = 1\n")
    (root / "README.md").write_text("docs\n")
    return root


def test_the_fingerprint_follows_data_config_and_our_pipeline_code(tmp_path):
    project = _project(tmp_path)
    before = fingerprint(project)

    (project / "README.md").write_text("other docs\n")
    assert fingerprint(project) == before

    for changed in ("data/nlu.yml", "config.yml", "domain.yml", "wismo/rasa_nlu.py"):
        (project / changed).write_text((project / changed).read_text() + "# changed\n")
        after = fingerprint(project)
        assert after != before, changed
        before = after
