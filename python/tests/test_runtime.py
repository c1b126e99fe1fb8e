"""A run releases the GIL, reports progress, and stops on Ctrl-C with KeyboardInterrupt."""

import signal
import subprocess
import sys
import threading
import time

import numpy as np

import memsnn
from conftest import NIR_FILE, ROOT, SNNTORCH

CHIP = dict(chip="loihi", device="pcm", times=["1s", "1h", "1d", "1y"])


def images(n=2000):
    return np.random.default_rng(0).integers(0, 256, (n, 784), dtype=np.uint8)


def test_gil_is_released_during_a_run():
    x = images()
    done = []
    t = threading.Thread(
        target=lambda: done.append(memsnn.emulate(NIR_FILE, x, trials=4, **CHIP, **SNNTORCH))
    )
    start = time.monotonic()
    t.start()
    ticks = 0
    while t.is_alive():
        time.sleep(0.005)
        ticks += 1
    seconds = time.monotonic() - start
    assert done and done[0].spike_counts.shape == (4, 4, 2000, 10)
    # Holding the GIL for the run would leave this thread one or two wake-ups.
    assert seconds > 0.2 and ticks >= 0.25 * seconds / 0.005, (ticks, seconds)


def test_progress_callback_hears_the_run():
    calls = []
    memsnn.emulate(
        NIR_FILE, images(), trials=4, progress=lambda d, n: calls.append((d, n)), **CHIP,
        **SNNTORCH,
    )
    assert calls, "a run of a second or more is polled every 50 ms"
    assert all(n == 2000 * (1 + 4 * 4) for _, n in calls)
    done = [d for d, _ in calls]
    assert done == sorted(done) and done[-1] <= calls[0][1]


SCRIPT = """
import sys, time
import numpy as np
import memsnn
x = np.random.default_rng(0).integers(0, 256, (2000, 784), dtype=np.uint8)
print("running", flush=True)
t0 = time.monotonic()
try:
    memsnn.emulate(sys.argv[1], x, timesteps=25, dt=1e-4, reset="zero", encoding="direct",
                   semantics="snntorch", chip="loihi", device="pcm",
                   times=["1s", "1h", "1d", "1y"], trials=200)
    print("finished", flush=True)
except KeyboardInterrupt:
    print("interrupted", flush=True)
"""


def test_ctrl_c_stops_a_long_run():
    p = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(NIR_FILE)],
        stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )
    assert p.stdout.readline().strip() == "running"
    time.sleep(1.5)
    p.send_signal(signal.SIGINT)
    sent = time.monotonic()
    out, _ = p.communicate(timeout=60)
    stopped = time.monotonic() - sent
    assert out.strip() == "interrupted", out
    # 800 passes over 2,000 images take minutes; one pass takes well under a second.
    assert stopped < 3.0, stopped
