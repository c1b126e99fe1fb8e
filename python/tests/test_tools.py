"""`memsnn.iv`, `memsnn.device_stats` and `memsnn.map` give what `memsnn iv --csv`,
`memsnn device stats` and a chip run's resources give."""

import csv
import json

import numpy as np
import pytest

import memsnn
from conftest import IMAGES_IDX, LABELS_IDX, NIR_FILE


def test_iv_equals_cli_csv(cli, tmp_path):
    loops = memsnn.iv("hp-tio2", frequencies=[1, 10], cycles=2)
    code, out, err = cli(
        "iv", "hp-tio2", "--freq", "1,10", "--cycles", 2, "--csv", tmp_path / "iv.csv",
        "--out", tmp_path / "iv.svg",
    )
    assert code == 0, err
    rows = list(csv.DictReader(open(tmp_path / "iv.csv")))
    assert [l.freq_hz for l in loops] == [1.0, 10.0]
    for l in loops:
        mine = [r for r in rows if float(r["freq_hz"]) == l.freq_hz]
        for ours, col in ((l.t, "t_s"), (l.v, "v_v"), (l.i, "i_a"), (l.x, "x")):
            np.testing.assert_array_equal(ours, [float(r[col]) for r in mine])
    # A memristor's loop is pinched and shrinks as the frequency rises.
    assert loops[0].pinch_ratio < 1e-9
    assert loops[1].loop_area < loops[0].loop_area


def test_iv_errors():
    with pytest.raises(memsnn.Error, match="unknown device"):
        memsnn.iv("hp-tio3")
    with pytest.raises(memsnn.Error, match="amplitude"):
        memsnn.iv("hp-tio2", amplitude=-1.0)


def test_device_stats_equal_cli(cli):
    code, out, err = cli(
        "device", "stats", "pcm", "--targets", "2.5e-6,25e-6", "--times", "3600,86400",
        "--n", 20000, "--seed", 3,
    )
    assert code == 0, err
    ours = memsnn.device_stats("pcm", [2.5e-6, 25e-6], [3600, 86400], n=20000, seed=3)
    assert ours == json.loads(out)
    with pytest.raises(memsnn.Error, match="unknown device"):
        memsnn.device_stats("pcm9", [1e-6], [1.0])


def test_map_equals_chip_run_resources(cli, tmp_path):
    report = tmp_path / "r.json"
    code, _, err = cli(
        "emulate", "--network", NIR_FILE, "--data", IMAGES_IDX, "--labels", LABELS_IDX,
        "--samples", 10, "--chip", "truenorth", "--trials", 1, "--report", report,
    )
    assert code == 0, err
    m = memsnn.map(NIR_FILE, "truenorth")
    assert m["resources"] == json.loads(report.read_text())["resources"]
    assert m["chip"] == "truenorth" and m["latency"] > 0
    with pytest.raises(memsnn.Error, match="unknown chip"):
        memsnn.map(NIR_FILE, "loihi9")
