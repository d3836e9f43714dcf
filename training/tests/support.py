"""Shared helpers for the training tests: path setup, one CPU thread, tiny random-init models.

Nothing here trains: every model is random-init and a few thousand parameters.
"""
from __future__ import annotations

import sys
from pathlib import Path

TRAINING_DIR = Path(__file__).resolve().parent.parent
if str(TRAINING_DIR) not in sys.path:
    sys.path.insert(0, str(TRAINING_DIR))

import torch  # noqa: E402

# The machine may be busy training the real ladder: stay on one thread.
torch.set_num_threads(1)

from emergence_training import vocab  # noqa: E402
from emergence_training.model import ArithmeticGPT, ModelShape  # noqa: E402

COMMITTED_CONFIG = TRAINING_DIR / "ladder.config.json"


def tiny_shape(n_layer: int = 2, n_embd: int = 16, n_head: int = 2, n_positions: int = 24) -> ModelShape:
    return ModelShape(n_layer=n_layer, n_embd=n_embd, n_head=n_head, vocab_size=vocab.VOCAB_SIZE, n_positions=n_positions)


def tiny_model(seed: int = 0, std: float | None = None, **shape_kwargs) -> ArithmeticGPT:
    """A random-init model in eval mode. ``std`` re-draws every weight with that scale, so that
    attention is far from uniform and masking or position mistakes change the logits visibly."""
    torch.manual_seed(seed)
    model = ArithmeticGPT(tiny_shape(**shape_kwargs))
    if std is not None:
        with torch.no_grad():
            for p in model.parameters():
                p.normal_(0.0, std)
    return model.eval()


def minimal_raw_config() -> dict:
    """A small valid ladder config as raw JSON (two tiny models)."""
    return {
        "n_positions": 24,
        "recipe": {
            "seed": 1, "steps": 10, "batch_size": 4, "lr": 0.003, "min_lr_ratio": 0.05,
            "warmup_steps": 2, "weight_decay": 0.01, "heldout_seed": 7, "heldout_per_digit": 2,
            "max_digits": 5,
        },
        "models": [
            {"id": "tiny-a", "n_layer": 1, "n_embd": 8, "n_head": 2},
            {"id": "tiny-b", "n_layer": 2, "n_embd": 16, "n_head": 2},
        ],
    }


def quiet_export():
    """Silence torch.onnx's TracerWarning about ``x.shape`` splits: benign here (the exported graph's
    dims are checked by check_onnx_graph) and noisy in the test log."""
    import contextlib
    import warnings

    @contextlib.contextmanager
    def ctx():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            yield

    return ctx()
