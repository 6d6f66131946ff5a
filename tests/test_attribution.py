"""Attribution (captum) on tiny seeded models: shapes and padding, IG completeness, Shapley exactness,
saliency against autograd, a model that depends on one part only, the result object and analyses."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from conftest import random_motions, tiny_model
from m2t_interpret.attribution import (ATTENTION, METHODS, AttributionResult, WordScore, attribute_capture,
                                       attribute_caption, caption_rows, feature_groups, joint_groups_from_mapping,
                                       make_baseline, part_joint_groups)
from m2t_interpret.errors import M2TError
from m2t_interpret.skeletons import PARTS

CAPTION = torch.tensor([1, 5, 6, 7, 2])


@pytest.fixture(scope="module")
def setup():
    model = tiny_model()
    x, lengths = model.preprocess(random_motions(2, lengths=[60, 80]))  # clip 0 is padded
    return model, x, lengths


def _rows(model, x, length, caption=CAPTION, baseline="first_pose"):
    words, emb, h, h_top = caption_rows(model, caption)
    w = len(words)
    xs = x[None].expand(w, -1, -1).contiguous()
    lengths = torch.full((w,), int(length))
    return xs, lengths, (lengths, emb, h, h_top, words), make_baseline(xs, lengths, baseline)


@pytest.mark.parametrize("method", list(METHODS))
def test_shape_and_zero_on_padded_frames(setup, method):
    model, x, lengths = setup
    dense, delta, at_input = attribute_caption(model, x[0], int(lengths[0]), CAPTION, method, n_steps=8)
    assert dense.shape == (len(CAPTION) - 1, *x[0].shape)
    assert int(lengths[0]) < x.shape[1]
    assert torch.all(dense[:, int(lengths[0]):] == 0)
    assert dense[:, : int(lengths[0])].abs().sum() > 0
    assert (delta is not None) == (method == "ig")
    assert at_input.shape == (len(CAPTION) - 1,)


def test_a_clip_attributed_alone_equals_the_clip_batched_with_a_longer_one():
    """A clip's attributions do not depend on how far it is padded (on the other clips of the run):
    occlusion's windows near the clip's end used to reach into the padding, so its last frames
    were covered by more windows when padded."""
    model = tiny_model()
    motions = random_motions(2, seed=3, lengths=[48, 200])  # 24 and 100 model frames
    captions = torch.tensor([[1, 5, 6, 7, 2], [1, 8, 9, 2, 0]])
    x1, l1 = model.preprocess(motions[:1])
    x2, l2 = model.preprocess(motions)
    assert x2.shape[1] >= 4 * x1.shape[1]
    alone = attribute_capture(model, model.decode(x1, l1, mode="forced", captions=captions[:1]), x1, l1,
                              methods=list(METHODS), n_steps=8)
    batched = attribute_capture(model, model.decode(x2, l2, mode="forced", captions=captions), x2, l2,
                                methods=list(METHODS), n_steps=8)
    t = int(l1[0])
    for m in [ATTENTION, *METHODS]:
        a, b = alone.maps[m][0], batched.maps[m][0]
        assert np.all(b[:, t:] == 0), m
        # the same float32 computation on the same frames; attention comes from a batched decode,
        # whose padded rows may change summation order (a few ulps of values ≤ 1)
        np.testing.assert_allclose(a, b[:, :t], rtol=1e-5, atol=1e-6 * max(np.abs(a).max(), 1e-3), err_msg=m)


def test_forward_after_decode_under_no_grad_and_autograd():
    """An inference-mode decode leaves scratch buffers behind; the documented forward must still run
    under no_grad (it wrote into them: "Inplace update to inference tensor") and with autograd, with
    the values of a model that never decoded."""
    fresh, used = tiny_model(), tiny_model()
    x, lengths = fresh.preprocess(random_motions(3, seed=5, lengths=[60, 80, 70]))
    captions = torch.tensor([[1, 5, 6, 7, 2], [1, 8, 9, 2, 0], [1, 5, 9, 2, 0]])
    for mode in ("forced", "beam", "greedy"):
        used.decode(x, lengths, mode=mode, captions=captions if mode == "forced" else None)
        for rows, steps in ((slice(None), 4), (slice(0, 1), 1)):  # as large as the decode's buffers, and smaller
            args = (x[rows], lengths[rows], captions[rows, :steps])
            with torch.no_grad():
                torch.testing.assert_close(used(*args).logits, fresh(*args).logits, rtol=0, atol=0)
            grads = []
            for model in (used, fresh):
                xg = args[0].clone().requires_grad_()
                model(xg, *args[1:]).logits.logsumexp(-1).sum().backward()
                grads.append(xg.grad)
            torch.testing.assert_close(grads[0], grads[1], rtol=0, atol=0)


def test_ig_completeness_within_delta(setup):
    model, x, lengths = setup
    dense, delta, at_input = attribute_caption(model, x[0], int(lengths[0]), CAPTION, "ig", n_steps=16)
    xs, _, args, base = _rows(model, x[0], lengths[0])
    with torch.no_grad():
        at_base = WordScore(model)(base, *args)
    gap = (dense.sum((1, 2)) - (at_input - at_base)).abs()
    assert torch.all(gap <= delta + 1e-5)


def test_saliency_equals_autograd(setup):
    model, x, lengths = setup
    dense, _, _ = attribute_caption(model, x[1], int(lengths[1]), CAPTION, "saliency")
    xs, _, args, _ = _rows(model, x[1], lengths[1])
    for i in range(xs.shape[0]):
        xi = xs[i:i + 1].clone().requires_grad_()
        out = WordScore(model)(xi, *(a[i:i + 1] for a in args))
        (grad,) = torch.autograd.grad(out.sum(), xi)
        torch.testing.assert_close(dense[i], grad[0].abs(), rtol=1e-5, atol=1e-7)


def test_shapley_table_equals_captum_permutations(setup):
    from captum.attr import ShapleyValues

    model, x, lengths = setup
    x, lengths = x[:, :24], torch.tensor([20])  # short, and padded: captum's 720 permutations run for real
    dense, _, at_input = attribute_caption(model, x[0], int(lengths[0]), CAPTION[:2], "shapley")
    xs, _, args, base = _rows(model, x[0], lengths[0], CAPTION[:2])
    mask = torch.as_tensor(feature_groups(part_joint_groups(model.skeleton)))[None, None]
    with torch.no_grad():
        ref = ShapleyValues(WordScore(model)).attribute(xs, baselines=base, feature_mask=mask,
                                                        additional_forward_args=args, perturbations_per_eval=6)
        at_base = WordScore(model)(base, *args)
    torch.testing.assert_close(dense, ref * (torch.arange(x.shape[1]) < lengths[0])[None, :, None])
    # efficiency: the six part values add up to f(x) − f(baseline)
    first = [int(np.nonzero(feature_groups(part_joint_groups(model.skeleton)) == k)[0][0]) for k in range(6)]
    torch.testing.assert_close(dense[:, 0, first].sum(1), at_input - at_base, rtol=1e-4, atol=1e-5)


def _one_part_model(part: str = "left_arm"):
    """A tiny model whose encoder reads the joints of one part only: every other part's input
    weights are zero, so its features do not depend on the motion."""
    model = tiny_model(seed=3)
    keep = model.skeleton.part_names.index(part)
    with torch.no_grad():
        for k in range(len(PARTS)):
            if k != keep:
                model.encoder.position_in[k].weight.zero_()
                model.encoder.velocity_in[k].weight.zero_()
    return model


@pytest.mark.parametrize("method", ["ablation", "shapley"])
def test_part_methods_single_out_the_only_part_used(method):
    from m2t_interpret.analysis.faithfulness import input_part_drops

    model = _one_part_model("left_arm")
    x, lengths = model.preprocess(random_motions(2, seed=4, lengths=[70, 70]))
    cap = model.decode(x, lengths, mode="forced", captions=torch.tensor([[1, 5, 6, 7, 2], [1, 8, 9, 2, 0]]))
    result = attribute_capture(model, cap, x, lengths, methods=[method])
    nn, ss = np.nonzero(result.step_mask)
    parts = np.abs(result.parts(method)[nn, ss])
    k = PARTS.index("left_arm")
    # An unused part's value is f(x) − f(x with the part at the baseline): both encodings are the same
    # numbers, but they sit in other rows of other batches, where BLAS kernels (oneDNN or not, any
    # thread count) may sum in another order, so the two float32 log-probabilities f (|f| ≈ 3) may
    # differ by an ulp or two (2.4e-7 at 3; Shapley averages such differences). Not exactly zero,
    # then: at most 1e-6·max(1, |f|) (about 8 float32 epsilons of f), which the used part's value
    # (≥ 3e-5 here) stays well above.
    bound = 1e-6 * np.maximum(1.0, np.abs(result.words_table()["score"].to_numpy()))[:, None]
    assert np.all(parts.argmax(1) == k) and np.all(parts[:, k] > 10 * bound[:, 0])
    assert np.all(np.delete(parts, k, axis=1) <= bound)
    captions = torch.tensor([[1, 5, 6, 7, 2], [1, 8, 9, 2, 0]])
    drops = np.abs(input_part_drops(model, x, lengths, captions)[nn, ss])
    assert np.all(drops.argmax(1) == k) and np.all(drops[:, k] > 10 * bound[:, 0])
    assert np.all(np.delete(drops, k, axis=1) <= bound)


def test_feature_mask_groups_and_pelvis():
    model = tiny_model()
    groups = part_joint_groups(model.skeleton)
    assert groups[0] == PARTS.index("root")  # the pelvis, read by root and torso, is the root's
    assert set(groups) == set(range(6))
    mapping = {p: [int(j) for j in np.nonzero(groups == k)[0]] for k, p in enumerate(PARTS)}
    assert np.array_equal(joint_groups_from_mapping(mapping, model.skeleton), groups)
    del mapping["left_leg"]
    with pytest.raises(M2TError, match="does not cover every joint"):
        joint_groups_from_mapping(mapping, model.skeleton)
    with pytest.raises(M2TError, match="both"):
        joint_groups_from_mapping({"root": [0], "torso": [0]}, model.skeleton)


@pytest.fixture(scope="module")
def result(setup):
    model, x, lengths = setup
    cap = model.decode(x, lengths, mode="forced", captions=torch.tensor([[1, 5, 6, 7, 2, 0], [1, 8, 9, 10, 11, 2]]),
                       clip_ids=["a", "b"])
    return model, cap, x, lengths, attribute_capture(model, cap, x, lengths, methods=["saliency", "ablation"])


def test_result_tables_save_load(result, tmp_path):
    model, cap, x, lengths, res = result
    assert res.methods == [ATTENTION, "saliency", "ablation"]
    parts = res.to_dataframe()
    assert list(parts.columns) == ["clip_id", "step", "word", "method", "target", "part", "value"]
    assert len(parts) == 3 * cap.n_tokens * 6
    frames = res.frame_table()
    assert list(frames.columns) == ["clip_id", "step", "word", "method", "target", "frame", "time_s", "value"]
    # attention's part values are the capture's time-weighted part attention (normalised) and its frames Γ
    tw = cap.to_dataframe()[[f"attn_{p}" for p in PARTS]].to_numpy()
    mine = res.parts(ATTENTION)[np.nonzero(cap.step_mask)]
    np.testing.assert_allclose(mine / mine.sum(1, keepdims=True), tw, rtol=1e-5, atol=1e-6)
    res.save(tmp_path / "attr")
    back = AttributionResult.load(tmp_path / "attr")
    pd.testing.assert_frame_equal(back.to_dataframe(), parts)
    assert "AttributionResult" in res._repr_html_()
    with pytest.raises(M2TError, match="not a saved attribution"):
        AttributionResult.load(tmp_path)


def test_agreement_faithfulness_sanity_tables(result):
    from m2t_interpret import analysis as A
    from m2t_interpret.analysis.agreement import agreement_summary, word_agreement
    from m2t_interpret.analysis.faithfulness import attention_interventions, deletion_curves
    from m2t_interpret.analysis.sanity import CASCADE, cascading_randomisation

    model, cap, x, lengths, res = result
    table = A.token_table(cap)
    words = word_agreement(res, table)
    assert set(words["method"]) == {"saliency", "ablation"}
    assert words["spearman"].between(-1, 1).all()
    summary = agreement_summary(words, res)
    assert {"value", "ci_low", "ci_high", "chance"} <= set(summary.columns)
    assert (summary["ci_low"] <= summary["value"] + 1e-9).all()
    faith = attention_interventions(model, cap, x, lengths, res, "saliency")
    assert len(faith) == cap.n_tokens
    # removing every part but the top five leaves the full sum: k = 5 sufficiency equals removing the 6th
    assert np.isfinite(faith["drop_window"]).all()
    assert len(deletion_curves(faith)) == 20
    sanity = cascading_randomisation(model, cap.select([0]), x[:1], lengths[:1], "saliency")
    first = sanity[sanity["randomised"] == "none"]
    assert np.allclose(first["spearman"], 1.0)
    assert len(sanity) == (len(CASCADE) + 1) * 4
    # the trained model is unchanged by the cascade (it runs on a copy): the same call twice in one
    # process is bitwise the same, so any difference would be a changed weight
    assert torch.equal(attribute_caption(model, x[0], int(lengths[0]), CAPTION, "saliency")[0],
                       attribute_caption(model, x[0], int(lengths[0]), CAPTION, "saliency")[0])


def test_chance_part_is_the_mean_over_the_other_five_parts_in_the_model_and_at_the_input(result):
    """One definition of the chance level of a part removal, inside the model (α) and at the input:
    the exact mean drop over the five parts other than the most-attended one (it was one seeded
    draw, at the input from all six parts, the top one included)."""
    from m2t_interpret.analysis.faithfulness import (attention_interventions, forced_captions, input_deletion,
                                                     input_part_drops)

    model, cap, x, lengths, res = result
    nn, ss = np.nonzero(cap.step_mask)
    top = res.parts(ATTENTION)[nn, ss].argmax(1)
    others = ~np.eye(len(PARTS), dtype=bool)[top]
    captions = forced_captions(cap)

    def logp(replace=None):
        with torch.no_grad(), model.hooks(replace=replace or {}):
            out = torch.log_softmax(model(x, lengths, captions[:, :-1]).logits, -1)
        return out.gather(2, captions[:, 1:, None])[..., 0].numpy()[nn, ss]

    def without(k):  # part k (PARTS order) removed from α, α renormalised over the other five (padding: 0)
        col = model.skeleton.part_names.index(PARTS[k])

        def fn(a):
            kept = a * (torch.arange(a.shape[-1]) != col)
            total = kept.sum(-1, keepdim=True)
            return torch.where(total > 0, kept / total, kept)
        return fn

    inside = np.stack([logp() - logp({"alpha": without(k)}) for k in range(len(PARTS))], 1)
    faith = attention_interventions(model, cap, x, lengths, res, "saliency")
    # float32 log-probabilities of a few nats, the same forward computed in another batch layout
    np.testing.assert_allclose(faith["drop_other_parts"], (inside * others).sum(1) / 5, atol=2e-5)
    np.testing.assert_allclose(faith["drop_top_attended"], inside[np.arange(len(top)), top], atol=2e-5)
    at_input = input_part_drops(model, x, lengths, captions)[nn, ss]
    inputs = input_deletion(model, cap, x, lengths, res, "saliency")
    np.testing.assert_allclose(inputs["input_drop_other_parts"], (at_input * others).sum(1) / 5, atol=2e-5)
    assert not {"drop_random_part", "input_drop_random"} & (set(faith.columns) | set(inputs.columns))


def test_cli_attribute_faithfulness_sanity(tmp_path, monkeypatch):
    from m2t_interpret.cli import main
    from m2t_interpret.data.synthetic import generate_corpus
    from m2t_interpret.model.checkpoints import save_checkpoint

    monkeypatch.setenv("M2T_INTERPRET_CACHE", str(tmp_path / "cache"))
    save_checkpoint(tiny_model(), tmp_path / "tiny.pt")
    generate_corpus(tmp_path / "corpus", n_train=2, n_val=2, n_test=1, seed=0, progress=False)
    common = ["--model", str(tmp_path / "tiny.pt"), "--data", str(tmp_path / "corpus"), "--no-progress",
              "--format", "csv,png", "--out", str(tmp_path / "out")]
    assert main(["attribute", "--method", "saliency", "--clip", "1", *common]) == 0
    assert main(["faithfulness", "--method", "ablation", *common]) == 0
    assert main(["sanity", "--clips", "1", *common]) == 0
    written = {p.name for p in (tmp_path / "out").iterdir()}
    assert {"attribute_parts.csv", "attribute_bars.png", "attribute_map.png", "faithfulness_ablation.csv",
            "faithfulness_curves.png", "sanity_cascade.csv", "sanity.png"} <= written
    parts = pd.read_csv(tmp_path / "out" / "attribute_parts.csv")
    assert set(parts["method"]) == {"attention", "saliency"}
    assert set(parts["part"]) == set(PARTS)
