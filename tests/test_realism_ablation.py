"""The realism ablation (maintenance/realism_ablation.py): each variant undoes the change it names and
nothing else visible, the plain-root lexicon differs from the project's only in ``with_root``, and
the table counts the two clip groups. No model is trained.

Each patch runs in its own interpreter (the patches replace generator functions for the process)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]

PROBE = """
import json, sys
import numpy as np
sys.path.insert(0, {maintenance!r})
import realism_ablation as ra
patch = ra.VARIANTS[{variant!r}][1]
if patch:
    patch()
from m2t_interpret.data.synthetic import generate_clip
out = {{"excerpts": 0, "steps": 0, "turn_captions": 0, "heights": []}}
for i in range(60):
    c = generate_clip(np.random.default_rng([0, i]))
    out["excerpts"] += any(a.params.get("excerpt") for a in c.actions)
    out["steps"] += any(a.params.get("steps") for a in c.actions)
    out["turn_captions"] += sum(("walks and turns" in cap.text or "walks forward and turns" in cap.text)
                                for cap in c.captions)
    out["heights"].append(float(np.linalg.norm(c.joints[0, 15] - c.joints[0, 12])))  # the neck bone
print(json.dumps(out))
"""


def _probe(variant: str) -> dict:
    code = PROBE.format(maintenance=str(REPO / "maintenance"), variant=variant)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def full() -> dict:
    return _probe("full")


@pytest.mark.parametrize("variant", ["one_body", "no_excerpts", "no_2_1"])
def test_each_variant_undoes_its_change(variant, full):
    got = _probe(variant)
    assert full["excerpts"] > 0 and full["steps"] > 0 and full["turn_captions"] > 0
    assert len(set(round(h, 6) for h in full["heights"])) > 20  # every clip its own body
    if variant == "one_body":
        assert len(set(round(h, 6) for h in got["heights"])) == 1
        assert got["excerpts"] > 0 and got["steps"] > 0
    elif variant == "no_excerpts":
        assert got["excerpts"] == 0 and got["steps"] > 0 and got["turn_captions"] > 0
    else:
        assert got["steps"] == 0 and got["turn_captions"] == 0 and got["excerpts"] > 0


def test_plain_root_lexicon_differs_only_in_with_root(tmp_path):
    sys.path.insert(0, str(REPO / "maintenance"))
    try:
        import realism_ablation as ra
    finally:
        sys.path.remove(str(REPO / "maintenance"))
    from m2t_interpret.data.lexicon import load_lexicon
    from m2t_interpret.training.config import load_config

    config = load_config(str(ra._plain_root_config(tmp_path)))
    plain = json.loads(Path(config.lexicon).read_text())
    project = json.loads((REPO / "m2t_interpret" / "data" / "lexicons" / "project.json").read_text())
    assert {k for k in project if project[k] != plain.get(k)} == {"with_root", "name"}
    assert load_lexicon(config.lexicon).with_root == 1.0 and load_lexicon("project").with_root == 0.5

    table = pd.DataFrame([{"variant": "full", "undone": "nothing", "names_tuned": 2, "part_tuned": 3, "mu_tuned": 1,
                           "n_tuned": 3, "names_others": 5, "part_others": 4, "mu_others": 5, "n_others": 5}])
    text = ra.markdown(table, 12)
    assert "| nothing | 2/3 · 5/5 | 3/3 · 4/5 | 1/3 · 5/5 |" in text and "12 epochs" in text
