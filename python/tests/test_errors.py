"""Bad input raises `memsnn.Error` (a `ValueError`) with the message `memsnn emulate` prints
for the same input (the CLI's file names replaced by the argument's name)."""

import numpy as np
import pytest

import memsnn
from conftest import IMAGES_IDX, LABELS_IDX, NIR_FILE, SNNTORCH


def python_error(*args, **kw):
    with pytest.raises(memsnn.Error) as e:
        memsnn.emulate(*args, **{**SNNTORCH, **kw})
    assert isinstance(e.value, ValueError)
    return str(e.value)


def cli_on_arrays(cli_error, tmp_path, images, labels, *extra):
    x, y = tmp_path / "x.npy", tmp_path / "y.npy"
    np.save(x, images)
    np.save(y, labels)
    msg = cli_error(
        "emulate", "--ideal", "--network", NIR_FILE, "--data", x, "--labels", y, *extra
    )
    return msg.replace(str(x), "images").replace(str(y), "labels")


@pytest.mark.parametrize(
    "images",
    [
        np.zeros((4, 100), np.uint8),  # wrong sample size
        np.zeros((4,), np.uint8),  # no sample axis
        np.zeros((4, 784), np.int16),  # integer images other than uint8
        np.zeros((4, 784), np.float16),  # element type .npy readers refuse
        np.full((4, 784), np.nan, np.float32),  # non-finite values
        np.zeros((0, 784), np.float32),  # no samples
    ],
    ids=["sample-size", "rank", "int16", "float16", "nan", "empty"],
)
def test_bad_images_give_the_cli_message(images, cli_error, tmp_path):
    labels = np.zeros(len(images), np.uint8)
    expected = cli_on_arrays(cli_error, tmp_path, images, labels)
    assert python_error(NIR_FILE, images, labels) == expected


@pytest.mark.parametrize(
    "labels",
    [
        np.zeros(3, np.uint8),  # count mismatch
        np.zeros((4, 1), np.uint8),  # not 1-D
        np.zeros(4, np.float32),  # not integers
        np.array([0, 1, 2, 300]),  # not a class index
        np.array([0, 1, 2, 11]),  # beyond the network's 10 outputs
    ],
    ids=["count", "rank", "float", "range", "classes"],
)
def test_bad_labels_give_the_cli_message(labels, cli_error, tmp_path):
    images = np.zeros((4, 784), np.uint8)
    expected = cli_on_arrays(cli_error, tmp_path, images, labels)
    assert python_error(NIR_FILE, images, labels) == expected


def test_unknown_chip_gives_the_cli_message(cli_error):
    expected = cli_error(
        "emulate", "--network", NIR_FILE, "--data", IMAGES_IDX, "--labels", LABELS_IDX,
        "--chip", "loihi9",
    )
    assert expected.startswith("--chip loihi9: ")
    msg = python_error(NIR_FILE, np.zeros((2, 784), np.uint8), chip="loihi9")
    assert msg == "chip=\"loihi9\": " + expected[len("--chip loihi9: ") :]


def test_unknown_card_gives_the_cli_message(cli_error):
    expected = cli_error(
        "emulate", "--network", NIR_FILE, "--data", IMAGES_IDX, "--labels", LABELS_IDX,
        "--chip", "loihi", "--device", "pcm2",
    )
    assert expected.startswith("--device pcm2: ")
    msg = python_error(NIR_FILE, np.zeros((2, 784), np.uint8), chip="loihi", device="pcm2")
    assert msg == "device=\"pcm2\": " + expected[len("--device pcm2: ") :]


def test_bad_card_dict_names_the_field():
    msg = python_error(
        NIR_FILE, np.zeros((2, 784), np.uint8), chip="loihi",
        device={"name": "x", "statistics": {"g_min": 1e-5, "g_max": 1e-6}},
    )
    assert msg.startswith("<device dict>") and "g_max" in msg


def test_chip_options_are_refused_in_ideal_mode():
    msg = python_error(NIR_FILE, np.zeros((2, 784), np.uint8), device="pcm", times=["1d"])
    assert msg.startswith("device, times only change(s) a chip run")


def test_bad_network_gives_the_cli_message(cli_error, tmp_path):
    junk = tmp_path / "junk.nir"
    junk.write_bytes(b"not a NIR file at all")
    expected = cli_error(
        "emulate", "--ideal", "--network", junk, "--data", IMAGES_IDX, "--labels", LABELS_IDX,
    )
    assert python_error(junk, np.zeros((2, 784), np.uint8)) == expected
    assert "not an HDF5 file" in python_error(b"not a NIR file", np.zeros((2, 784), np.uint8))
    assert "expected an nir.NIRGraph" in python_error(42, np.zeros((2, 784), np.uint8))


@pytest.mark.parametrize(
    "kw, flag",
    [
        ({"reset": "half"}, ["--reset", "half"]),
        ({"semantics": "brian"}, ["--semantics", "brian"]),
        ({"timesteps": 0}, None),
        ({"dt": -1.0}, None),
        ({"threads": 1000}, None),
    ],
)
def test_bad_settings_raise(kw, flag, cli_error):
    msg = python_error(NIR_FILE, np.zeros((2, 784), np.uint8), **kw)
    if flag:
        cli = cli_error("emulate", "--ideal", "--network", NIR_FILE, "--data", IMAGES_IDX,
                        "--labels", LABELS_IDX, *flag)
        # clap reports the value parser's own message inside its usage line.
        assert msg in cli
    assert msg
