"""Supervision lexicons as data: the authors' and the project's rules, side-aware parts by name,
clause context, the training-config field, lexicon tables and coverage."""

import json
from pathlib import Path

import numpy as np
import pytest

import m2t_interpret.data
from m2t_interpret.data.lexicon import (
    Lexicon, available_lexicons, caption_rules, caption_targets, default_lexicon,
    is_motion_word, lexicon_coverage, lexicon_table, load_lexicon, pair_step_targets, stem,
    step_targets, word_targets,
)
from m2t_interpret.data.synthetic.language import LEXICON as SYN_POS
from m2t_interpret.data.synthetic.language import Caption as SynCaption
from m2t_interpret.data.synthetic.language import Token, mirror_caption
from m2t_interpret.data.vocabulary import Vocabulary
from m2t_interpret.errors import M2TError
from m2t_interpret.skeletons import HUMANML3D, KIT, mirror_part

LOCO = ("root", "left_arm", "right_arm", "left_leg", "right_leg")
SKELETONS = ["humanml3d", "kit"]


def tagged(text: str):
    words = text.split()
    return words, [SYN_POS.get(w) for w in words]


def parts_by_word(text: str, lexicon) -> list[tuple[str, int, object]]:
    """(word, β*, parts named — tuple, or None when α* is unsupervised) per token."""
    words, tags = tagged(text)
    beta, alpha, mask = caption_targets(words, tags, lexicon=lexicon)
    out = []
    for w, b, a, m in zip(words, beta, alpha, mask):
        out.append((w, int(b), lexicon.parts_of(a) if m else None))
    return out


def targets_of(text: str, lexicon) -> dict[str, tuple[int, object]]:
    """word → (β*, parts); for a word that occurs twice the last occurrence wins."""
    return {w: (b, p) for w, b, p in parts_by_word(text, lexicon)}


@pytest.fixture(params=SKELETONS)
def project(request) -> Lexicon:
    return load_lexicon("project", skeleton=request.param)


# ------------------------------------------------------------------------------------------------
# loading, part order by name
# ------------------------------------------------------------------------------------------------


def test_packaged_lexicons_and_part_order():
    assert {"authors", "project"} <= set(available_lexicons())
    h = load_lexicon("project", "humanml3d")
    k = load_lexicon("project", skeleton=KIT)
    assert h.part_names == HUMANML3D.part_names and k.part_names == KIT.part_names
    # parts are named in the JSON; vectors follow each skeleton's checkpoint order
    assert h.vector(["left_arm"]).tolist() == [0, 0, 0, 1, 0, 0]
    assert k.vector(["left_arm"]).tolist() == [0, 0, 1, 0, 0, 0]
    assert h.vector(["right_leg"]).tolist() == [0, 0, 0, 0, 1, 0]
    assert k.vector(["right_leg"]).tolist() == [0, 0, 0, 0, 0, 1]
    assert load_lexicon("project") is h  # cached: the same object keys the target caches
    assert load_lexicon(h, "kit") is k and load_lexicon(None) is default_lexicon()
    assert load_lexicon("authors").name == "authors" and h.context is not None
    with pytest.raises(M2TError, match="no lexicon named"):
        load_lexicon("nope")
    with pytest.raises(M2TError, match="not found"):
        load_lexicon("missing/lexicon.json")
    with pytest.raises(M2TError, match="unknown part"):
        h.vector(["left_hand"])


def test_user_lexicon_file_names_parts(tmp_path):
    spec = {
        "name": "mine", "entries": "words",
        "parts": {"left_arm": ["left_arm"], "arms": ["left_arm", "right_arm"], "root": "root"},
        "trajectory": ["forward"], "actions": {"left_arm": ["salutes"], "arms": ["claps"]},
        "function_words": ["the"], "subjects": ["person"],
    }
    p = tmp_path / "mine.json"
    p.write_text(json.dumps(spec))
    h, k = load_lexicon(p), load_lexicon(str(p), "kit")
    assert h.name == "mine" and h.context is None
    np.testing.assert_array_equal(word_targets("salutes", None, h)[1], [0, 0, 0, 1, 0, 0])
    np.testing.assert_array_equal(word_targets("salutes", None, k)[1], [0, 0, 1, 0, 0, 0])
    np.testing.assert_array_equal(word_targets("saluting", None, h)[1], [0, 0, 0, 1, 0, 0])  # stem
    assert word_targets("person", "NOUN", h) == (0, None)
    bad = dict(spec, parts={"hand": ["left_hand"]})
    p.write_text(json.dumps(bad))
    with pytest.raises(M2TError, match="unknown part"):
        load_lexicon(p)


def test_legacy_positional_part_vectors_still_load(tmp_path):
    data = {"part_vectors": {"root": [1, 0, 0, 0, 0, 0], "arms": [0, 0, 1, 1, 0, 0]},
            "trajectory_stems": ["forward"], "local_action_stems": {"arms": ["wave"]},
            "function_words": ["the"], "subjects": ["a"]}
    p = tmp_path / "old.json"
    p.write_text(json.dumps(data))
    lex = Lexicon.load(p)
    assert lex.groups["arms"] == ("left_arm", "right_arm")
    np.testing.assert_array_equal(word_targets("waving", None, lex)[1], [0, 0, 1, 1, 0, 0])


# ------------------------------------------------------------------------------------------------
# the project lexicon: side-aware phrases and clause context
# ------------------------------------------------------------------------------------------------


def test_raises_his_left_arm(project):
    t = targets_of("a person raises his left arm", project)
    for w in ("raises", "left", "arm"):
        assert t[w] == (1, ("left_arm",)), w
    assert t["his"] == (0, None) and t["a"] == (0, None) and t["person"] == (0, None)
    words, tags = tagged("a person raises his left arm")
    _, alpha, _ = caption_targets(words, tags, lexicon=project)
    np.testing.assert_array_equal(alpha[2], project.vector(["left_arm"]))
    col = project.part_names.index("left_arm")
    assert alpha[2, col] == 1 and alpha[2].sum() == 1


def test_two_clauses_take_their_own_sides(project):
    rows = parts_by_word("a person waves with the right hand then kicks with the left leg", project)
    got = {w: (b, p) for w, b, p in rows}
    for w in ("waves", "right", "hand"):
        assert got[w] == (1, ("right_arm",)), w
    for w in ("kicks", "left", "leg"):
        assert got[w] == (1, ("left_leg",)), w
    assert got["then"] == (0, None) and got["with"] == (0, None) and got["the"] == (0, None)


@pytest.mark.parametrize("text,word_parts", [
    ("a person lifts his left arm up", {"lifts": ("left_arm",), "up": ("left_arm",)}),
    ("someone throws something with the left hand", {"throws": ("left_arm",), "hand": ("left_arm",)}),
    ("a man kicks with the right foot", {"kicks": ("right_leg",), "right": ("right_leg",),
                                         "foot": ("right_leg",)}),
    ("a person waves the right hand", {"waves": ("right_arm",)}),
    ("a person raises both arms", {"raises": ("left_arm", "right_arm"),
                                   "arms": ("left_arm", "right_arm")}),
    ("a person punches with both hands", {"punches": ("left_arm", "right_arm"),
                                          "hands": ("left_arm", "right_arm")}),
    ("a person claps his hands", {"claps": ("left_arm", "right_arm")}),
    ("a person kneels on both knees", {"knees": ("left_leg", "right_leg"),
                                       "kneels": ("root", "left_leg", "right_leg")}),
    ("a person waves", {"waves": ("left_arm", "right_arm")}),
    ("a person kicks", {"kicks": ("left_leg", "right_leg")}),
    ("a person bends forward", {"bends": ("torso", "left_arm", "right_arm"),
                                "forward": ("torso", "left_arm", "right_arm")}),
    ("a person jumps up three times", {"jumps": ("root", "left_leg", "right_leg"),
                                       "up": ("root", "left_leg", "right_leg"),
                                       "times": ("root", "left_leg", "right_leg")}),
    ("a person squats down and stands up", {"stands": ("root", "left_leg", "right_leg")}),
    ("a person turns to the left", {"turns": LOCO, "left": ("root",)}),
])
def test_phrases_verbs_and_particles(project, text, word_parts):
    t = targets_of(text, project)
    for w, parts in word_parts.items():
        assert t[w] == (1, parts), (w, t[w])


def test_locomotion_and_trajectory(project):
    t = targets_of("a person walks forward", project)
    assert t["walks"] == (1, LOCO) and t["forward"] == (1, ("root",))
    t = targets_of("a person walks in a circle then jogs straight ahead", project)
    assert t["circle"] == (1, ("root",)) and t["jogs"] == (1, LOCO) and t["ahead"] == (1, ("root",))
    assert t["in"] == (0, None) and t["then"] == (0, None)


def test_standing_still_is_motion_without_a_part(project):
    t = targets_of("a person stands still", project)
    assert t["stands"] == (1, None) and t["still"] == (1, None)


@pytest.mark.parametrize("connector", ["then", "and", "after", "before", "while", "that", "first"])
def test_connectors_are_non_motion(project, connector):
    assert word_targets(connector, "ADV", project) == (0, None)
    words = ["a", "person", "walks", connector, "waves"]
    beta, _, _ = caption_targets(words, None, lexicon=project)
    assert beta[3] == 0


def test_mirrored_caption_flips_sides(project):
    words, tags = tagged("a person waves with the left hand then kicks his right leg")
    cap = SynCaption(tuple(Token(w, t, 0) for w, t in zip(words, tags)))
    mirrored = mirror_caption(cap)
    assert mirrored.text == "a person waves with the right hand then kicks his left leg"
    a = parts_by_word(cap.text, project)
    b = parts_by_word(mirrored.text, project)
    for (w1, b1, p1), (w2, b2, p2) in zip(a, b):
        assert b1 == b2
        if p1 is None:
            assert p2 is None
        else:
            assert set(p2) == {mirror_part(p) for p in p1}, (w1, w2)
    assert dict((w, p) for w, _, p in b)["waves"] == ("right_arm",)


def test_word_targets_is_context_free(project):
    assert word_targets("left", "ADJ", project) == (1, None)  # the side needs its phrase
    np.testing.assert_array_equal(word_targets("hands", "NOUN", project)[1],
                                  project.vector(["left_arm", "right_arm"]))
    walks = project.vector(LOCO)
    walks[walks > 0] = project.with_root  # the root named first (root stays 1)
    walks[project.part_names.index("root")] = 1.0
    np.testing.assert_array_equal(word_targets("walks", None, project)[1], walks)
    assert word_targets("the", None, project) == (0, None)
    assert word_targets("ball", "NOUN", project) == (-1, None)
    assert word_targets("<eos>", "VERB", project) == (-1, None)


def test_rules_are_reported(project):
    words, tags = tagged("a person raises his left arm then walks forward")
    assert caption_rules(words, tags, lexicon=project) == [
        "function", "subject", "verb+phrase", "function", "phrase", "phrase", "connector",
        "action", "trajectory"]


def test_step_targets_use_context(project):
    words = "a person waves with the right hand then kicks with the left leg".split()
    vocab = Vocabulary(["<pad>", "<sos>", "<eos>", "<unk>"] + sorted(set(words)))
    ids = vocab.encode(words)
    b1, a1, m1 = step_targets(np.array([ids + [0, 0]]), vocab, lexicon=project)
    b2, a2, m2 = pair_step_targets(words, None, ids, lexicon=project)
    S = len(ids) - 1
    np.testing.assert_array_equal(b1[0, :S], b2)
    np.testing.assert_array_equal(a1[0, :S], a2)
    np.testing.assert_array_equal(m1[0, :S], m2)
    assert b2[-1] == 1 and b1[0, S - 1] == 1  # the <eos> step: a motion decision (project lexicon)
    assert (b1[0, S:] == -1).all()  # padding
    wave = words.index("waves")
    np.testing.assert_array_equal(a2[wave], project.vector(["right_arm"]))
    # an out-of-vocabulary word is unsupervised but still shapes its clause
    small = Vocabulary(["<pad>", "<sos>", "<eos>", "<unk>"] + sorted(set(words) - {"hand"}))
    ids = small.encode(words)
    b3, a3, m3 = pair_step_targets(words, None, ids, lexicon=project)
    assert b3[words.index("hand")] == -1 and not m3[words.index("hand")]
    np.testing.assert_array_equal(a3[wave], project.vector(["right_arm"]))


# ------------------------------------------------------------------------------------------------
# the authors' lexicon is the paper's rules, unchanged
# ------------------------------------------------------------------------------------------------

_TRAJ = {"circl", "circuit", "clockwis", "anticlockwis", "forward", "backward"}
_LOCAL = {**{s: "arms" for s in "wave wipe throw punch pick box open clean handstand draw".split()},
          **{s: "legs" for s in "kick stomp lift kneel squat squad stand stumbl rotat".split()},
          **{s: "torso" for s in ("bend", "bow")}}
_FUNC = {"is", "the", "of", "his", "her", "its", "on", "their"}
_SUBJ = {"a", "person", "human", "man"}
_VEC = {"root": [1, 0, 0, 0, 0, 0], "arms": [0, 0, 1, 1, 0, 0], "legs": [0, 0, 0, 0, 1, 1],
        "torso": [0, 1, 0, 0, 0, 0]}


def paper_rule(word: str, pos):
    """The paper's rules written out directly (independent of the lexicon machinery)."""
    w = word.lower()
    if w in ("<pad>", "<sos>", "<eos>", "<unk>", ""):
        return -1, None
    s = stem(w)
    if s in _TRAJ:
        return 1, _VEC["root"]
    if s in _LOCAL:
        return 1, _VEC[_LOCAL[s]]
    if pos in ("VERB", "ADV") and w not in _FUNC:
        return 1, None
    if w in _FUNC or w in _SUBJ:
        return 0, None
    return -1, None


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    from m2t_interpret.data.dataset import load_split
    from m2t_interpret.data.synthetic import generate_corpus

    root = tmp_path_factory.mktemp("lexicon-corpus")
    generate_corpus(root, n_train=20, n_val=0, n_test=0, seed=0, progress=False)
    return load_split(root, "train", progress=False)


@pytest.mark.parametrize("skeleton", SKELETONS)
def test_authors_lexicon_reproduces_the_paper_rules(corpus, skeleton):
    from m2t_interpret.data.lexicon import caption_words

    lex = load_lexicon("authors", skeleton)
    assert lex.context is None
    n = 0
    for cap in corpus.captions():
        words, tags = caption_words(cap)
        beta, alpha, mask = caption_targets(words, tags, lexicon=lex)
        for i, (w, t) in enumerate(zip(words, tags)):
            b, a = paper_rule(w, t)
            assert beta[i] == b, (w, t)
            assert mask[i] == (a is not None)
            np.testing.assert_array_equal(alpha[i], a if a is not None else np.zeros(6))
            n += 1
    assert n > 500


def test_authors_default_for_old_callers():
    b1, a1 = word_targets("waves", "VERB")
    b2, a2 = word_targets("waves", "VERB", load_lexicon("authors"))
    assert b1 == b2 == 1 and np.array_equal(a1, a2)
    np.testing.assert_array_equal(word_targets("waves")[1], [0, 0, 1, 1, 0, 0])
    np.testing.assert_array_equal(word_targets("lifts")[1], [0, 0, 0, 0, 1, 1])  # the paper's
    assert word_targets("walks", "VERB", "authors") == (1, None)  # a name works too


# ------------------------------------------------------------------------------------------------
# training: the config field and prepared targets
# ------------------------------------------------------------------------------------------------


def test_config_lexicon_field_round_trip(tmp_path):
    from m2t_interpret.training.config import TrainConfig, config_from_mapping, load_config

    assert TrainConfig().lexicon == "authors"
    for name in ("kit", "humanml3d", "synthetic-paper"):
        assert load_config(name).lexicon == "authors"  # the paper's datasets and recipe keep its rules
    assert load_config("synthetic").lexicon == "project"
    cfg = load_config("synthetic", lexicon="project")
    assert cfg.lexicon == "project" and cfg.to_dict()["lexicon"] == "project"
    p = tmp_path / "run.toml"
    p.write_text(cfg.to_toml())
    assert 'lexicon = "project"' in p.read_text()
    assert load_config(p).lexicon == "project"
    assert config_from_mapping(cfg.to_dict()).lexicon == "project"
    old = {k: v for k, v in cfg.to_dict().items() if k != "lexicon"}
    assert config_from_mapping(old).lexicon == "authors"
    with pytest.raises(M2TError, match="lexicon"):
        TrainConfig(lexicon="")


def test_prepare_split_uses_the_lexicon(corpus):
    from m2t_interpret.data.preprocessing import axis_stats
    from m2t_interpret.data.lexicon import caption_words
    from m2t_interpret.training.data import build_training_vocabulary, prepare_split

    vocab = build_training_vocabulary(corpus, 1)
    stats = axis_stats([s.motion for s in corpus])
    auth = prepare_split(corpus, vocab, HUMANML3D, stats, 2, 40)
    proj = prepare_split(corpus, vocab, HUMANML3D, stats, 2, 40, lexicon="project")
    # a lexicon built for another skeleton is rebuilt for the split's skeleton
    proj_kit = prepare_split(corpus, vocab, HUMANML3D, stats, 2, 40,
                             lexicon=load_lexicon("project", "kit"))
    for x, y in zip(proj.alpha_star, proj_kit.alpha_star):
        np.testing.assert_array_equal(x, y)
    lex = load_lexicon("project", HUMANML3D)
    singles = [lex.vector([p]) for p in ("left_arm", "right_arm", "left_leg", "right_leg")]
    n_single = sum(any(np.array_equal(row, v) for v in singles)
                   for a in proj.alpha_star for row in a)
    assert n_single > 0  # some words are supervised on one side's limb
    captions = [caption_words(c) for s in corpus for c in s.captions]
    assert len(captions) == len(proj.pair_ids)
    for p, (words, tags) in enumerate(captions):
        ids = proj.pair_ids[p]
        # authors: exactly step_targets of the encoded caption (today's computation)
        b, a, m = step_targets(np.array([ids]), vocab, [tags])
        np.testing.assert_array_equal(auth.beta_star[p], b[0])
        np.testing.assert_array_equal(auth.alpha_star[p], a[0])
        np.testing.assert_array_equal(auth.alpha_sup[p], m[0])
        # project: the caption's context targets, step t ↔ word t
        cb, ca, cm = caption_targets(words, tags, lexicon=lex)
        n = len(ids) - 2
        np.testing.assert_array_equal(proj.beta_star[p][:n], cb[:n])
        np.testing.assert_array_equal(proj.alpha_star[p][:n], ca[:n])
        assert proj.beta_star[p][n] == 1  # <eos>: supervised as a motion decision


# ------------------------------------------------------------------------------------------------
# lexicon table and coverage
# ------------------------------------------------------------------------------------------------


def test_is_motion_word_from_text_only():
    words, tags = tagged("a person walks forward then waves his left hand")
    assert is_motion_word(words, tags) == [False, False, True, True, False, True, False, True,
                                           True]


def test_lexicon_table_and_coverage(corpus):
    ta = lexicon_table("authors", corpus)
    tp = lexicon_table(load_lexicon("project"), corpus)
    assert list(tp.columns[:9]) == ["word", "count", "pos", "beta", "parts", "rule", "n_targets",
                                    "share", "targets"]
    assert tp.attrs["lexicon"] == "project" and ta.attrs["lexicon"] == "authors"
    assert tp["count"].is_monotonic_decreasing
    rows = tp.set_index("word")
    ra = ta.set_index("word")
    assert rows.loc["then", "beta"] == "0" and rows.loc["then", "parts"] == "unsupervised"
    assert ra.loc["then", "beta"] == "1"  # the paper's rules: ADV → motion word
    if "waves" in ra.index:
        assert ra.loc["waves", "parts"] == "left_arm+right_arm"
    sided = [w for w in ("left", "right") if w in rows.index]
    assert sided
    for w in sided:
        assert rows.loc[w, "n_targets"] >= 1
        assert rows.loc[w, "parts"] != "unsupervised"
        assert "×" in rows.loc[w, "targets"]
    assert (tp["count"] == tp["motion"] + (tp["count"] - tp["motion"])).all()
    n_tokens = sum(len(c.text.split()) for c in corpus.captions())
    assert tp["count"].sum() == n_tokens

    ca, cp = lexicon_coverage(ta), lexicon_coverage(tp)
    assert cp == lexicon_coverage("project", corpus)
    for c in (ca, cp):
        assert c["tokens"] == n_tokens and c["motion_tokens"] > 0
        for k in ("motion_beta", "motion_beta1", "motion_alpha", "other_beta0",
                  "motion_words_alpha"):
            assert 0.0 <= c[k] <= 1.0, k
    assert ca["motion_tokens"] == cp["motion_tokens"]  # the definition does not use the lexicon
    assert cp["motion_alpha"] > ca["motion_alpha"]
    assert cp["other_beta0"] > ca["other_beta0"]
    # (tokens, tags) pairs work as input too
    pairs = [tagged(c.text) for c in corpus.captions()]
    assert lexicon_table("project", pairs)["count"].sum() == n_tokens
    with pytest.raises(M2TError):
        lexicon_coverage("project")


def test_lexicon_entries_lists_the_rules():
    from m2t_interpret.data.lexicon import lexicon_entries

    ta = lexicon_entries("authors").set_index("entry")
    assert ta.loc["wave", "kind"] == "action" and ta.loc["wave", "parts"] == "left_arm+right_arm"
    assert ta.loc["circl", "parts"] == "root" and ta.loc["his", "beta"] == "0"
    tp = lexicon_entries("project").set_index("entry")
    assert tp.loc["then", "kind"] == "connector" and tp.loc["left", "parts"] == "context"
    assert tp.loc["hands", "parts"] == "left_arm+right_arm"
    assert tp.loc["walks", "parts"] == "root+left_arm+right_arm+left_leg+right_leg"
    assert tp.loc["stands up", "kind"] == "expression"


def test_end_of_caption_step_is_supervised_by_the_project_lexicon():
    """The step predicting <eos> gets β* = 1 with the project lexicon and stays unsupervised with
    the authors' rules (special tokens are never supervised there)."""
    from m2t_interpret.data.lexicon import load_lexicon, pair_step_targets, step_targets

    words = ["a", "person", "walks", "forward"]
    vocab = ["<pad>", "<sos>", "<eos>", "<unk>", "a", "person", "walks", "forward"]
    ids = [1, 4, 5, 6, 7, 2]
    project, authors = load_lexicon("project"), load_lexicon("authors")
    b, _, _ = pair_step_targets(words, None, ids, lexicon=project)
    assert b.tolist() == [0, 0, 1, 1, 1]
    assert pair_step_targets(words, None, ids, lexicon=authors)[0][-1] == -1
    rows = step_targets([ids + [0]], vocab, lexicon=project)[0]
    assert rows[0].tolist() == [0, 0, 1, 1, 1, -1]


def test_with_root_ranks_the_root_first_and_keeps_the_candidates(tmp_path):
    """``with_root`` lowers the other parts of a target that names the root with them, never a
    target without the root or a one-part target; a value outside (0, 1] is refused."""
    walks = word_targets("walks", "VERB", "project")[1]
    assert walks[0] == 1.0 and set(walks[2:]) == {0.5} and walks[1] == 0.0
    assert list(word_targets("waves", "VERB", "project")[1]) == [0, 0, 1, 1, 0, 0]
    assert list(word_targets("forward", "ADV", "project")[1]) == [1, 0, 0, 0, 0, 0]
    spec = json.loads((Path(m2t_interpret.data.__file__).parent / "lexicons" / "project.json").read_text())
    for bad in (0, 1.5, "x"):
        (tmp_path / "bad.json").write_text(json.dumps(dict(spec, with_root=bad)))
        with pytest.raises(M2TError, match="with_root must be a number in"):
            load_lexicon(tmp_path / "bad.json")
    (tmp_path / "flat.json").write_text(json.dumps({k: v for k, v in spec.items() if k != "with_root"}))
    assert set(word_targets("walks", "VERB", load_lexicon(tmp_path / "flat.json"))[1][[0, 2, 3, 4, 5]]) == {1.0}
