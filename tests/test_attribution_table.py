"""The table of attribution methods: a new method is one entry plus its function (the tutorial's
example, run end to end), the lists built from the table, exact Shapley values in closed form
against captum's ShapleyValues, every method on the model's device, and the old import paths."""

from __future__ import annotations

import importlib
import re
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.overrides import TorchFunctionMode

from conftest import random_motions, tiny_model
from m2t_interpret import attribution as A
from m2t_interpret.attribution import builtin
from m2t_interpret.errors import M2TError
from m2t_interpret.skeletons import PARTS

REPO = Path(__file__).resolve().parents[1]
TUTORIAL = REPO / "docs" / "tutorial.md"
CAPTIONS = torch.tensor([[1, 5, 6, 7, 2], [1, 8, 9, 2, 0]])


@pytest.fixture(scope="module")
def forced():
    model = tiny_model()
    x, lengths = model.preprocess(random_motions(2, seed=6, lengths=[50, 64]))
    return model, x, lengths, model.decode(x, lengths, mode="forced", captions=CAPTIONS, clip_ids=["a", "b"])


@pytest.fixture
def restore_table():
    """Whatever a test registers is gone afterwards."""
    saved = dict(A.METHODS)
    yield A.METHODS
    A.METHODS.clear()
    A.METHODS.update(saved)


def _tutorial_method_code() -> str:
    """The python block of the tutorial's section "Adding an attribution method"."""
    text = TUTORIAL.read_text(encoding="utf-8")
    section = text.split("## 9. Adding an attribution method", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    return code


def test_the_tutorials_method_is_one_entry_and_runs_end_to_end(forced, restore_table, tmp_path, monkeypatch):
    model, x, lengths, cap = forced
    namespace: dict = {}
    exec(compile(_tutorial_method_code(), "docs/tutorial.md", "exec"), namespace)  # noqa: S102 -- the tutorial's code
    assert "gxd" in A.METHODS and A.get_method("gxd").resolution == "joint"
    assert "gxd (gradient × (input − baseline))" in A.method_help()
    assert "| `gxd` |" in A.methods_markdown() and A.RESOLUTION["gxd"] == ("parts", "frames")

    result = A.attribute_capture(model, cap, x, lengths, methods=["gxd", "ixg"])
    assert result.methods == [A.ATTENTION, "gxd", "ixg"]
    gxd, ixg = result.maps["gxd"], result.maps["ixg"]
    assert gxd.shape == ixg.shape and np.abs(gxd).sum() > 0
    assert np.all(gxd[0, :, int(lengths[0]):] == 0)  # padded frames get nothing
    # with a zero baseline, gradient × (input − baseline) is input × gradient: the same gradient
    # (one backward per word either way) times the same input, summed over each part's features in
    # float32 — equal to a few ulps of the largest value
    zeros = A.attribute_capture(model, cap, x, lengths, methods=["gxd", "ixg"], baseline="zeros")
    np.testing.assert_allclose(zeros.maps["gxd"], zeros.maps["ixg"], rtol=1e-5,
                               atol=1e-6 * np.abs(zeros.maps["ixg"]).max())
    # and through the cached split attribution: kept, read back equal
    monkeypatch.setenv("M2T_INTERPRET_CACHE", str(tmp_path / "cache"))
    first = A.attribute_split(model, cap, "unused", "test", methods=["gxd"], inputs=lambda c: (x, lengths),
                              progress=False)
    again = A.attribute_split(model, cap, "unused", "test", methods=["gxd"], inputs=_never, progress=False)
    np.testing.assert_array_equal(again.maps["gxd"], first.maps["gxd"])  # read from the cache, not recomputed
    np.testing.assert_array_equal(first.maps["gxd"], result.maps["gxd"])  # one computation, one process


def _never(capture):
    raise AssertionError("the cached attribution was computed again")


def test_the_table_refuses_bad_entries(restore_table):
    with pytest.raises(M2TError, match="already an attribution method 'ig'"):
        A.register_method(A.Method("ig", "again", "joint", builtin.gradient))
    with pytest.raises(M2TError, match="resolution 'time'"):
        A.Method("t1", "bad", "time", builtin.gradient)
    with pytest.raises(M2TError, match="lowercase identifier"):
        A.Method(A.ATTENTION, "bad", "part", builtin.gradient)
    with pytest.raises(M2TError, match="unknown attribution method 'nope'; use one of ig, saliency"):
        A.check_method("nope")


def test_names_are_read_trimmed_in_the_tables_spelling():
    assert A.check_method(" IG ") == "ig"
    assert A.check_target("BETA") == "beta"
    assert A.check_baseline("Mean-Pose") == "mean_pose"  # "-" read as "_"
    with pytest.raises(M2TError, match="^unknown attribution target 'q'; use one of logprob, beta, mu$"):
        A.check_target("q")
    with pytest.raises(M2TError, match="^unknown baseline 'mean pose'; use one of first_pose, mean_pose, zeros$"):
        A.check_baseline("mean pose")


def test_docs_list_of_methods_is_the_tables():
    text = (REPO / "docs" / "interpretability.md").read_text(encoding="utf-8")
    listed = text.split("<!-- attribution methods: begin -->\n", 1)[1].split("<!-- attribution methods: end -->")[0]
    assert listed.strip() == A.methods_markdown(), (
        "docs/interpretability.md's list of methods is out of date: paste m2t_interpret.attribution.methods_markdown()")


def test_resolution_view_follows_the_table():
    assert A.RESOLUTION["ablation"] == ("parts",) and A.RESOLUTION["occlusion"] == ("frames",)
    assert A.RESOLUTION[A.ATTENTION] == ("parts", "frames") and A.RESOLUTION.get("gone", ("x",)) == ("x",)
    assert set(A.RESOLUTION) == {*A.METHODS, A.ATTENTION}


# ---------------------------------------------------------------------------------------------
# exact Shapley values
# ---------------------------------------------------------------------------------------------

def test_closed_form_weights_equal_captums_permutations_on_a_random_game():
    """φ = vᵀM against captum's ShapleyValues walking all 6! permutations of a game whose value is a
    random table of the 64 coalitions, values of order 1. captum adds up its permutations' marginal
    contributions in float32 (whatever the game's dtype): 720/6 sums of terms up to ~4, each off by
    up to half an ulp of the running sum (2⁻²⁴·|sum|), so it is within ~1e-5 of the exact value
    (2.3e-6 measured); the closed form is float64."""
    from captum.attr import ShapleyValues

    rng = np.random.default_rng(0)
    table = torch.as_tensor(rng.normal(size=(64, 3)))  # 3 "words"
    bits = torch.as_tensor([2 ** (5 - k) for k in range(6)])

    def game(present):  # (B, 6) presence of the parts → the value of row b's word
        word = torch.arange(present.shape[0]) % 3
        return table[((present > 0.5).long() * bits).sum(1), word]

    ones = torch.ones(3, 6, dtype=torch.float64)
    ref = ShapleyValues(game).attribute(ones, baselines=torch.zeros_like(ones), perturbations_per_eval=120)
    phi = table.T @ torch.as_tensor(builtin.shapley_weights(6))
    torch.testing.assert_close(phi, ref.double(), rtol=0, atol=1e-5)
    # efficiency: the values add up to v(all) − v(none)
    torch.testing.assert_close(phi.sum(1), table[63] - table[0], rtol=0, atol=1e-12)


def test_exact_shapley_equals_captum_shapley_values_on_the_clip():
    """The oracle: captum's ShapleyValues perturbing the clip itself. A model with larger encoder
    weights, so that the values are not all near 0 (up to ~0.05 nats). Both sides average float32
    target values of a few nats computed in different batches (an ulp or two, 2.4e-7 at |f| = 3,
    apart); captum sums 720 of their differences in float32, hence 1e-6."""
    from captum.attr import ShapleyValues

    model = tiny_model()
    with torch.no_grad():
        for p in model.encoder.parameters():
            p.mul_(8)
    x, lengths = model.preprocess(random_motions(1, seed=2, lengths=[40]))
    length = int(lengths[0])
    dense, _, _ = A.attribute_caption(model, x[0], length, CAPTIONS[0], "shapley")
    words, emb, h, h_top = A.caption_rows(model, CAPTIONS[0])
    xs = x[0, :length][None].expand(len(words), -1, -1).contiguous()
    rows = torch.full((len(words),), length)
    mask = torch.as_tensor(A.feature_groups(A.part_joint_groups(model.skeleton)))[None, None]
    with torch.no_grad():
        ref = ShapleyValues(A.WordScore(model)).attribute(
            xs, baselines=A.make_baseline(xs, rows), feature_mask=mask,
            additional_forward_args=(rows, emb, h, h_top, words), perturbations_per_eval=16)
    assert ref.abs().max() > 1e-2
    torch.testing.assert_close(dense[:, :length], ref, rtol=0, atol=1e-6)


# ---------------------------------------------------------------------------------------------
# devices: every tensor on the model's
# ---------------------------------------------------------------------------------------------

#: torch functions that make a tensor from nothing (or from Python data) on the default device.
_FACTORIES = {torch.zeros, torch.ones, torch.full, torch.empty, torch.arange, torch.eye, torch.linspace,
              torch.rand, torch.randn, torch.randint, torch.tensor, torch.as_tensor}


class FactoryDevices(TorchFunctionMode):
    """Records every tensor the package's own code makes without saying on which device (it would
    land on the CPU beside a model on the GPU) or on a device named by a string ("cpu")."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in _FACTORIES:
            device = kwargs.get("device")
            from_tensor = func in (torch.tensor, torch.as_tensor) and args and isinstance(args[0], torch.Tensor)
            if (device is None and not from_tensor) or isinstance(device, str):
                frame = sys._getframe(1)
                while frame is not None and frame.f_globals.get("__name__", "").startswith("torch"):
                    frame = frame.f_back
                where = "" if frame is None else frame.f_globals.get("__name__", "")
                if where.startswith("m2t_interpret"):
                    self.found.append(f"{where}:{frame.f_lineno} {func.__name__}(device={device!r})")
        return func(*args, **kwargs)


@pytest.mark.parametrize("method", list(A.table.METHODS))
def test_every_method_makes_its_tensors_on_the_models_device(forced, method):
    """No GPU here: what would put a tensor on the CPU beside a CUDA model is a factory call without
    a device (or with a hard-coded one), so those are what is checked, for every method."""
    model, x, lengths, cap = forced
    with FactoryDevices() as mode:
        result = A.attribute_capture(model, cap, x, lengths, methods=[method], n_steps=4)
    assert not mode.found, "tensors made off the model's device:\n" + "\n".join(sorted(set(mode.found)))
    assert np.isfinite(result.maps[method]).all()


def test_the_device_check_finds_a_cpu_tensor():
    with FactoryDevices() as mode:
        exec(compile("import torch\ntorch.zeros(3)\ntorch.zeros(3, device='cpu')", "m", "exec"),  # noqa: S102
             {"__name__": "m2t_interpret.attribution.example"})
    assert len(mode.found) == 2


# ---------------------------------------------------------------------------------------------
# the old import paths
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("old, names", [
    ("m2t_interpret.capture.attribution", ["METHODS", "RESOLUTION", "attribute_capture", "attribute_caption",
                                           "WordScore", "make_baseline", "check_method", "read_feature_mask"]),
    ("m2t_interpret.capture.attribution_result", ["AttributionResult", "ATTENTION", "is_attribution_dir"]),
])
def test_old_import_paths_still_work_and_say_they_are_deprecated(monkeypatch, old, names):
    monkeypatch.delitem(sys.modules, old, raising=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(old)
    assert any(issubclass(w.category, DeprecationWarning) and "m2t_interpret.attribution" in str(w.message)
               for w in caught)
    for name in names:
        assert getattr(module, name) is not None
    if old.endswith(".attribution"):
        assert list(module.METHODS) == list(A.METHODS) and module.METHODS["ig"] == "IntegratedGradients"
        assert module.attribute_capture is A.attribute_capture


def test_attribution_result_selects_and_concatenates_clips(forced):
    model, x, lengths, cap = forced
    res = A.attribute_capture(model, cap, x, lengths, methods=["saliency"])
    assert res.clip_index("b") == 1 and res.clip_index("0") == 0
    with pytest.raises(M2TError, match="no clip with id 'zz'; this attribution has 2 clips"):
        res.clip_index("zz")
    back = A.AttributionResult.concat([res.select(["b"]), res.select(["a"])]).select(["a", "b"])
    for m in res.methods:
        np.testing.assert_array_equal(back.maps[m], res.maps[m])
    np.testing.assert_array_equal(back.scores, res.scores)
    with pytest.raises(M2TError, match="share clip ids"):
        A.AttributionResult.concat([res, res])
    assert res.model_frame_to_seconds(0) == cap.model_frame_to_seconds(0)
    assert "AttributionResult" in res._repr_html_() and "CaptureResult" in cap._repr_html_()
    assert len(PARTS) == res.maps["saliency"].shape[-1]
