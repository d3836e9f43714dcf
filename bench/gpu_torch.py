"""PyTorch fp32 reference for `npm run bench:gpu`: the same token batches through a GPT-2-shaped
model with random weights (training/emergence_training/model.py, the bundled ladder's own
architecture) on CUDA, with log-softmax and gather at the target positions as the engine does.
Prints `TORCH_TOKENS_PER_S <n>`; exits non-zero with a one-line reason when torch or CUDA is absent.
"""
import json
import sys
import time
from pathlib import Path

try:
    import torch
except ImportError:
    sys.exit("no torch module for this python")
if not torch.cuda.is_available():
    sys.exit(f"torch {torch.__version__} has no CUDA device here")

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "training"))
from emergence_training.model import ArithmeticGPT, ModelShape, position_ids_from_mask  # noqa: E402

spec = json.loads(Path(sys.argv[1]).read_text())
shape = ModelShape(n_layer=spec["layers"], n_embd=spec["embd"], n_head=int(spec["heads"]), vocab_size=spec["vocab"], n_positions=spec["positions"])
dev = torch.device("cuda")
model = ArithmeticGPT(shape).to(dev).eval()
batches = [torch.tensor(b, dtype=torch.long, device=dev) for b in spec["batches"]]
C = spec["context"]


@torch.no_grad()
def run() -> float:
    total = 0.0
    for ids in batches:
        mask = torch.ones_like(ids)
        logits, _ = model(ids, mask, position_ids_from_mask(mask))
        lp = torch.log_softmax(logits[:, C - 1:-1].float(), dim=-1)
        total += float(lp.gather(-1, ids[:, C:, None]).sum())
    torch.cuda.synchronize()
    return total


run()  # warm-up
times = []
for _ in range(spec["reps"]):
    t = time.perf_counter()
    run()
    times.append(time.perf_counter() - t)
t = sorted(times)[len(times) // 2]
tokens = sum(b.numel() for b in batches)
print(f"torch {torch.__version__}, {torch.cuda.get_device_name(0)}: median {t * 1000:.1f} ms for {tokens} tokens")
print(f"TORCH_TOKENS_PER_S {tokens / t:.1f}")
