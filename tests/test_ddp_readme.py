"""The "Continuing in PyTorch" script is run, not just printed: taken from the docs site's page, run with torchrun.

The script is read from its page's own code block (``docs/pytorch.md``, where
it moved from the README, so the two cannot drift apart) and run as the page says, with ``torchrun --standalone
--nproc-per-node=2`` on the gloo backend (no GPU here), for one epoch of
digits, from a checkpoint ``chainrule train --data digits --save`` wrote.
A few lines appended after the script write each process's final weights
to a file; the test then checks that

* both processes ended with bit-identical weights (DDP averages the
  gradients, so the replicas never drift),
* the weights really trained (they differ from the checkpoint's),
* rank 0's weights came back into chainrule unchanged (the transposes
  undone exactly), and evaluate, in chainrule, to the accuracy PyTorch
  printed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

PAGE = Path(__file__).resolve().parents[1] / "docs" / "pytorch.md"
TORCHRUN = os.path.join(os.path.dirname(sys.executable), "torchrun")

# appended to the page's script: its variables (np, os, ddp, trainer) are there to read
EPILOGUE = '''
# --- appended by tests/test_ddp_readme.py: each process's final weights, for the test to compare
_out = os.path.join(os.environ["CHAINRULE_DDP_OUT"], f"rank{os.environ['RANK']}.npz")
_arrays = {"torch." + n: p.detach().cpu().numpy() for n, p in ddp.module.named_parameters()}
if os.environ["RANK"] == "0":
    _arrays.update({"chainrule." + n: a for n, a in trainer.model.state_dict().items()})
np.savez(_out, **_arrays)
'''


def page_script() -> str:
    """The ```python block of the page's "Training on with DistributedDataParallel" section."""
    text = PAGE.read_text(encoding="utf-8")
    section = text.split("## Training on with DistributedDataParallel", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "docs/pytorch.md's DistributedDataParallel section has no python block"
    return match.group(1)


def test_the_page_script_is_the_one_this_test_runs():
    script = page_script()
    assert "DistributedDataParallel" in script and "to_torch" in script and "from_torch" in script
    assert "torchrun --standalone --nproc-per-node=2 train_ddp.py digits.npz 1" in script
    assert '"nccl" if gpu else "gloo"' in script
    assert "torch.distributed.barrier()" in script  # rank 1 must not tear gloo down while rank 0 evaluates


@pytest.mark.slow
def test_the_page_s_ddp_script_trains_on_two_gloo_processes_and_comes_back_into_chainrule(tmp_path, capsys):
    from chainrule.cli import main
    from chainrule.training import Trainer

    checkpoint = tmp_path / "digits.npz"
    assert main(["train", "--data", "digits", "--epochs", "1", "--save", str(checkpoint), "--format", "json"]) == 0
    capsys.readouterr()
    script = tmp_path / "train_ddp.py"
    script.write_text(page_script() + EPILOGUE, encoding="utf-8")
    env = dict(os.environ, CHAINRULE_DDP_OUT=str(tmp_path), OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               CUDA_VISIBLE_DEVICES="")  # the gloo branch, as on a machine without a GPU
    proc = subprocess.run([TORCHRUN, "--standalone", "--nproc-per-node=2", str(script), str(checkpoint), "1"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]

    reported = dict(re.findall(r"^(PyTorch|chainrule) test accuracy: ([0-9.]+)$", proc.stdout, re.M))
    assert set(reported) == {"PyTorch", "chainrule"}, proc.stdout
    rank0, rank1 = np.load(tmp_path / "rank0.npz"), np.load(tmp_path / "rank1.npz")
    torch_names = [k for k in rank0.files if k.startswith("torch.")]
    assert torch_names and set(torch_names) == set(rank1.files)
    for k in torch_names:  # the two replicas: bit for bit the same
        assert rank0[k].tobytes() == rank1[k].tobytes(), k

    # rank 0's weights, back in chainrule, are PyTorch's (transposed back), and they trained
    before = Trainer.resume(checkpoint)
    back = {k[len("chainrule."):]: rank0[k] for k in rank0.files if k.startswith("chainrule.")}
    assert set(back) == set(before.model.state_dict())
    linear = sorted({k.split(".")[1] for k in torch_names}, key=int)
    chain = sorted({k.split(".")[1] for k in back}, key=int)
    for t_index, c_index in zip(linear, chain):
        assert np.array_equal(rank0[f"torch.{t_index}.weight"].T, back[f"layers.{c_index}.weight"])
        assert np.array_equal(rank0[f"torch.{t_index}.bias"], back[f"layers.{c_index}.bias"])
    assert any(not np.array_equal(before.model.state_dict()[k], v) for k, v in back.items())

    # evaluated by chainrule (here, in this process), they give the accuracy PyTorch printed; a test example
    # whose two best scores tie to the last bit could round either way in two libraries: at most one such
    before.model.load_state_dict(back)
    _, accuracy = before.evaluate(before.dataset.X_test, before.dataset.y_test)
    one = 1 / len(before.dataset.y_test)
    assert abs(accuracy - float(reported["PyTorch"])) <= one + 1e-6, (accuracy, reported)
    assert abs(accuracy - float(reported["chainrule"])) <= 1e-6
