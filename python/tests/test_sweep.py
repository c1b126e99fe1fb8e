"""`memsnn.sweep` gives the results table `memsnn sweep` writes, resumes a folder, and raises
`memsnn.Error` with the CLI's message for bad paths."""

import csv

import numpy as np
import pytest

import memsnn
from conftest import ROOT

SPEC = ROOT / "netlists" / "sweeps" / "noise-levels.ron"
PARAMS = {"time": ["1s", "1d"]}


def _cli_table(cli, tmp_path):
    out = tmp_path / "cli"
    code, _, err = cli(
        "sweep", SPEC, "--out", out, "--samples", 60, "--trials", 2, "--threads", 2,
        "--set", "device.programming.Proportional.frac=0.1", "--param", "time=1s,1d",
    )
    assert code == 0, err
    return list(csv.DictReader(open(out / "results.csv")))


def test_sweep_equals_cli_results_csv(cli, tmp_path):
    rows = _cli_table(cli, tmp_path)
    r = memsnn.sweep(
        SPEC, samples=60, trials=2, threads=1,
        set={"device.programming.Proportional.frac": 0.1}, params=PARAMS,
    )
    # 16 grid points of the spec × the added axis (2 values) × 2 trials.
    assert len(r["accuracy"]) == len(rows) == 4 * 4 * 2 * 2
    np.testing.assert_array_equal(r["point"], [int(x["point"]) for x in rows])
    np.testing.assert_array_equal(r["trial"], [int(x["trial"]) for x in rows])
    np.testing.assert_array_equal(r["accuracy"], [float(x["accuracy"]) for x in rows])
    np.testing.assert_array_equal(r["device.levels"], [float(x["device.levels"]) for x in rows])
    assert r["time"] == [x["time"] for x in rows] and set(r["time"]) == {"1s", "1d"}
    assert (r["samples"] == 60).all()


def test_sweep_from_a_dict_into_a_folder_resumes(tmp_path):
    spec = {
        "netlist": str(ROOT / "netlists" / "mnist-mlp" / "netlist.ron"),
        "set": [{"path": "time", "value": "1s"}],
        "grid": [{"path": "device.levels", "values": [4, 8, 32]}],
        "trials": 1,
    }
    out = tmp_path / "sweep"
    first = memsnn.sweep(spec, out=out, samples=40)
    assert (out / "results.csv").exists() and (out / "sweep.json").exists()
    seen = []
    again = memsnn.sweep(spec, out=out, samples=40, progress=lambda d, t: seen.append((d, t)))
    for k in first:
        np.testing.assert_array_equal(np.asarray(first[k]), np.asarray(again[k]))
    # Nothing was left to compute the second time.
    assert all(d == 0 for d, _ in seen)
    assert list(first["device.levels"]) == [4.0, 8.0, 32.0]


def test_sweep_errors_are_the_clis():
    with pytest.raises(memsnn.Error, match="device.levelz"):
        memsnn.sweep(SPEC, params={"device.levelz": [2]}, samples=10)
    with pytest.raises(memsnn.Error, match="shard"):
        memsnn.sweep(SPEC, shard="3/2", samples=10)
    with pytest.raises(memsnn.Error, match="netlist"):
        memsnn.sweep({"grid": []})
