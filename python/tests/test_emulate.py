"""`memsnn.emulate` runs the same experiment as `memsnn emulate`: identical spike counts in
ideal mode, identical report numbers on a chip with the same seed, for NIR graphs read with
`nir.read`, NIR bytes and NIR paths alike."""

import json

import nir
import numpy as np
import pytest

import memsnn
from conftest import IMAGES_IDX, LABELS_IDX, NIR_FILE, SNNTORCH


@pytest.fixture(scope="module")
def graph():
    return nir.read(str(NIR_FILE))


def test_ideal_spike_counts_equal_cli(mnist, graph, cli, tmp_path):
    images, labels = mnist
    r = memsnn.emulate(graph, images, labels, **SNNTORCH)
    counts, report = tmp_path / "counts.npy", tmp_path / "report.json"
    code, _, err = cli(
        "emulate", "--ideal", "--network", NIR_FILE, "--data", IMAGES_IDX,
        "--labels", LABELS_IDX, "--timesteps", 25, "--spike-counts", counts,
        "--report", report,
    )
    assert code == 0, err
    expected = np.load(counts)
    assert r.spike_counts.dtype == np.int32
    assert r.spike_counts.shape == (2000, 10)
    np.testing.assert_array_equal(r.spike_counts, expected)
    cli_report = json.loads(report.read_text())
    assert r.accuracy == cli_report["accuracy"]
    np.testing.assert_array_equal(r.predictions, cli_report["predictions"])
    assert r.layers == cli_report["layers"]
    assert r.mode == "ideal" and r.samples == 2000


def test_graph_bytes_and_path_agree(mnist, graph):
    images, labels = mnist[0][:300], mnist[1][:300]
    by_graph = memsnn.emulate(graph, images, labels, **SNNTORCH)
    by_bytes = memsnn.emulate(NIR_FILE.read_bytes(), images, labels, **SNNTORCH)
    by_path = memsnn.emulate(NIR_FILE, images, labels, **SNNTORCH)
    np.testing.assert_array_equal(by_graph.spike_counts, by_bytes.spike_counts)
    np.testing.assert_array_equal(by_graph.spike_counts, by_path.spike_counts)
    assert by_path.report["config"]["network"] == {"Nir": str(NIR_FILE)}


def test_float_images_are_used_as_they_are(mnist, cli, tmp_path):
    images, labels = mnist[0][:300], mnist[1][:300]
    as_u8 = memsnn.emulate(NIR_FILE, images, labels, **SNNTORCH)
    as_f32 = memsnn.emulate(NIR_FILE, images.astype(np.float32) / 255, labels, **SNNTORCH)
    np.testing.assert_array_equal(as_u8.spike_counts, as_f32.spike_counts)
    # Unscaled floats are not divided again, as the CLI reads a float32 .npy.
    raw = memsnn.emulate(NIR_FILE, images.astype(np.float32), labels, **SNNTORCH)
    np.save(tmp_path / "x.npy", images.astype(np.float32))
    np.save(tmp_path / "y.npy", labels)
    code, _, err = cli(
        "emulate", "--ideal", "--network", NIR_FILE, "--data", tmp_path / "x.npy",
        "--labels", tmp_path / "y.npy", "--spike-counts", tmp_path / "c.npy",
    )
    assert code == 0, err
    np.testing.assert_array_equal(raw.spike_counts, np.load(tmp_path / "c.npy"))
    assert not np.array_equal(raw.spike_counts, as_u8.spike_counts)


def test_flat_and_strided_images_agree(mnist):
    images, labels = mnist[0][:200], mnist[1][:200]
    base = memsnn.emulate(NIR_FILE, images, labels, **SNNTORCH)
    flat = memsnn.emulate(NIR_FILE, images.reshape(200, 784), labels, **SNNTORCH)
    padded = np.zeros((200, 28, 56), np.uint8)
    padded[:, :, ::2] = images
    strided = memsnn.emulate(NIR_FILE, padded[:, :, ::2], labels, **SNNTORCH)
    np.testing.assert_array_equal(base.spike_counts, flat.spike_counts)
    np.testing.assert_array_equal(base.spike_counts, strided.spike_counts)


def test_unlabelled_run_has_counts_but_no_accuracy(mnist):
    images, labels = mnist[0][:200], mnist[1][:200]
    labelled = memsnn.emulate(NIR_FILE, images, labels, **SNNTORCH)
    bare = memsnn.emulate(NIR_FILE, images, **SNNTORCH)
    np.testing.assert_array_equal(labelled.spike_counts, bare.spike_counts)
    assert bare.accuracy is None and bare.report["accuracy"] is None
    assert labelled.accuracy > 0.8


CHIP = dict(chip="loihi", device="pcm", times=["1s", "1d"], trials=2, seed=7)


def test_chip_report_equals_cli(mnist, cli, tmp_path):
    images, labels = mnist[0][:300], mnist[1][:300]
    r = memsnn.emulate(NIR_FILE, images, labels, attribution=True, **CHIP, **SNNTORCH)
    counts, report = tmp_path / "counts.npy", tmp_path / "report.json"
    code, _, err = cli(
        "emulate", "--network", NIR_FILE, "--data", IMAGES_IDX, "--labels", LABELS_IDX,
        "--samples", 300, "--timesteps", 25, "--chip", "loihi", "--device", "pcm",
        "--time", "1s,1d", "--trials", 2, "--seed", 7, "--attribution",
        "--spike-counts", counts, "--report", report,
    )
    assert code == 0, err
    expected = json.loads(report.read_text())
    ours = json.loads(json.dumps(r.report))
    for rep in (expected, ours):
        # `measured` is wall-clock set-up time and peak memory: not reproducible.
        del rep["config"]["data"], rep["config"]["samples"], rep["measured"]
    assert ours == expected
    np.testing.assert_array_equal(r.spike_counts, np.load(counts))
    assert r.spike_counts.shape == (2, 2, 300, 10)
    assert r.accuracy.shape == (2, 2)
    assert r.accuracy[1, 0] == expected["results"][0]["accuracy"]["trials"][1]
    assert list(r.attribution)[0] == "ideal" and len(r.attribution) == 8
    assert r.energy == expected["per_inference"]["energy"] > 0
    assert r.latency == expected["per_inference"]["latency"] > 0
    assert r.counters == expected["counters"]
    assert r.predictions.shape == (2, 2, 300)


def test_chip_seed_changes_results(mnist):
    images, labels = mnist[0][:300], mnist[1][:300]
    a = memsnn.emulate(NIR_FILE, images, labels, **{**CHIP, "seed": 1}, **SNNTORCH)
    b = memsnn.emulate(NIR_FILE, images, labels, **{**CHIP, "seed": 2}, **SNNTORCH)
    again = memsnn.emulate(NIR_FILE, images, labels, **{**CHIP, "seed": 1}, **SNNTORCH)
    assert not np.array_equal(a.spike_counts, b.spike_counts)
    np.testing.assert_array_equal(a.spike_counts, again.spike_counts)


def test_chip_and_card_as_dicts_equal_their_names(mnist):
    images, labels = mnist[0][:200], mnist[1][:200]
    named = memsnn.emulate(NIR_FILE, images, labels, **CHIP, **SNNTORCH)
    chip = named.report["config"]["chip"]
    chip = {k: v for k, v in chip.items() if k != "source"}
    card = {"name": "pcm", "statistics": named.report["config"]["device"]}
    as_dicts = memsnn.emulate(
        NIR_FILE, images, labels, **{**CHIP, "chip": chip, "device": card}, **SNNTORCH
    )
    np.testing.assert_array_equal(named.spike_counts, as_dicts.spike_counts)
