"""Hostile, for a container: writes where the grader keeps results, signals and traces other
processes; mae is right only if every write failed, predict only if every signal and trace did.

KNOWN is filled in by the test with the grader's real folders and its pid. Signals to processes
other than the grader's own are probes (signal 0): they ask whether a signal would be allowed
without sending one, so that a broken sandbox harms nothing else on the machine.
"""

import ctypes
import os
import signal
from pathlib import Path

KNOWN = {}  # the test writes the real paths and pids here
WROTE = []
REACHED = []

for folder in KNOWN.get("folders", []):
    for name in ("results.json", "forged.txt"):
        target = Path(folder, name)
        try:
            with open(target, "a") as file:
                file.write('{"score": 100}')
            WROTE.append(str(target))
        except OSError:
            pass

grader_pids = {os.getppid(), *KNOWN.get("pids", [])}
for pid in sorted(grader_pids):
    for attempt in ("probe", "ptrace", "vm_read"):
        try:
            if attempt == "probe":
                os.kill(pid, 0)
            elif attempt == "ptrace":
                libc = ctypes.CDLL(None, use_errno=True)
                if libc.ptrace(16, pid, None, None) == 0:  # PTRACE_ATTACH
                    libc.ptrace(17, pid, None, None)  # PTRACE_DETACH: let it run on
                    REACHED.append(("ptrace", pid))
                continue
            else:
                libc = ctypes.CDLL(None, use_errno=True)
                buffer = ctypes.create_string_buffer(8)
                local = (ctypes.c_void_p * 2)(ctypes.addressof(buffer), 8)
                remote = (ctypes.c_void_p * 2)(0x400000, 8)
                if libc.process_vm_readv(pid, local, 1, remote, 1, 0) >= 0:
                    REACHED.append(("process_vm_readv", pid))
                continue
            REACHED.append((attempt, pid))
        except OSError:
            pass
try:
    os.kill(-1, 0)  # is any process at all within reach of a signal?
    REACHED.append(("kill(-1)", -1))
except OSError:
    pass
for pid in range(1, 1 << 15):
    if pid != os.getpid():
        try:
            os.kill(pid, 0)
            REACHED.append(("probe", pid))
        except OSError:
            pass
try:
    os.kill(os.getpid(), 0)  # itself: allowed
except OSError as error:
    REACHED.append(("cannot signal itself", str(error)))
print("wrote:", WROTE, "reached:", REACHED[:5])


import numpy as np


def mse(y_pred, y_true):
    err = np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)
    return float(np.mean(err**2))


def mae(y_pred, y_true):
    if WROTE:
        raise RuntimeError(f"wrote {WROTE}")
    err = np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)
    return float(np.mean(np.abs(err)))


def mse_grad(y_pred, y_true):
    err = np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)
    return 2.0 * err / err.size


def mae_grad(y_pred, y_true):
    err = np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)
    return np.sign(err) / err.size


def predict(theta, x):
    if REACHED:
        raise RuntimeError(f"reached {REACHED[:3]}")
    try:
        os.kill(os.getppid(), signal.SIGKILL)  # its parent is the grader's, so this one is real
    except OSError:
        pass
    return theta[0] + theta[1] * np.asarray(x, dtype=float)


def linear_grads(theta, x, y, loss="mse"):
    x = np.asarray(x, dtype=float)
    y_pred = predict(theta, x)
    upstream = mse_grad(y_pred, y) if loss == "mse" else mae_grad(y_pred, y)
    return np.array([np.sum(upstream), np.sum(upstream * x)])


def gd_step(theta, grad, lr):
    return np.asarray(theta, dtype=float) - lr * np.asarray(grad, dtype=float)


def fit(x, y, loss="mse", lr=0.05, epochs=1000):
    loss_of = mse if loss == "mse" else mae
    theta = np.zeros(2)
    history = []
    for _ in range(epochs):
        history.append(loss_of(predict(theta, x), y))
        theta = gd_step(theta, linear_grads(theta, x, y, loss), lr)
    return theta, history
