#!/usr/bin/python3
"""Train a reference CNN on Fashion-MNIST and export it to ONNX.

Run from the repository root with the Debian python (no pip packages needed:
python3-torch, python3-onnx, python3-numpy, dataset-fashion-mnist):

    /usr/bin/python3 models/training/train.py --arch lenet5 --out models/

Writes, for --arch A:
    <out>/A.onnx              ONNX opset 13, input "input" [N,1,28,28], output "logits" [N,10]
    <out>/A.json              metadata (normalisation, classes, measured FP32 accuracy, provenance)
    <out>/A.logits256.npy     PyTorch FP32 logits of the first 256 test images, float32 [256,10]
    <out>/testdata/fmnist-test-first256.npy         matching normalised inputs, float32 [256,1,28,28]
    <out>/testdata/fmnist-test-first256.labels.npy  matching labels, int64 [256]

Training is CPU-only and deterministic for a given (seed, torch build, thread count).
Only the 60k training set is used for training; the 10k test set is used
once, after training, to measure the reported accuracy.
"""

import argparse
import json
import os
import shlex
import subprocess
import sys
import time

import numpy as np

# Idle OpenMP threads sleep instead of spinning.  Does not change the arithmetic, but on a
# shared (oversubscribed) machine spinning wasted more than half of the CPU time.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import fashion_mnist as fm  # noqa: E402
import archs  # noqa: E402

NUM_THREADS = 2
ONNX_OPSET = 13
N_REF = 256          # number of test images with stored reference logits


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arch", required=True, choices=sorted(archs.ARCHS), help="architecture to train")
    p.add_argument("--epochs", type=int, default=None, help="epochs (default: the arch's recipe)")
    p.add_argument("--seed", type=int, default=0, help="RNG seed (default 0)")
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist",
                   help="directory with the 4 Fashion-MNIST *.gz IDX files")
    p.add_argument("--out", default="models/", help="output directory (default models/)")
    p.add_argument("--lr", type=float, default=None, help="peak learning rate (default: recipe)")
    p.add_argument("--batch-size", type=int, default=None, help="mini-batch size (default: recipe)")
    p.add_argument("--weight-decay", type=float, default=None, help="weight decay (default: recipe)")
    p.add_argument("--label-smoothing", type=float, default=None, help="label smoothing (default: recipe)")
    p.add_argument("--crop", type=int, default=None,
                   help="random-crop padding in pixels, 0 = off (default: recipe)")
    p.add_argument("--val", type=int, default=0,
                   help="hold out the LAST N training images as a validation set and report on it each "
                        "epoch (for hyper-parameter work; published models use 0). A --val run never "
                        "touches the test set and writes no files")
    return p.parse_args(argv)


def canonical_command(args, recipe):
    script = os.path.relpath(os.path.abspath(__file__))
    cmd = ["/usr/bin/python3", script, "--arch", args.arch, "--epochs", str(args.epochs),
           "--seed", str(args.seed), "--data", args.data, "--out", args.out]
    if args.lr is not None and args.lr != recipe.get("lr"):
        cmd += ["--lr", repr(args.lr)]
    if args.batch_size is not None and args.batch_size != recipe.get("batch_size"):
        cmd += ["--batch-size", str(args.batch_size)]
    if args.weight_decay is not None and args.weight_decay != recipe.get("weight_decay", 0.0):
        cmd += ["--weight-decay", repr(args.weight_decay)]
    if args.label_smoothing is not None and args.label_smoothing != recipe.get("label_smoothing", 0.0):
        cmd += ["--label-smoothing", repr(args.label_smoothing)]
    if args.crop is not None and args.crop != recipe.get("crop", 0):
        cmd += ["--crop", str(args.crop)]
    if args.val:
        cmd += ["--val", str(args.val)]
    return shlex.join(cmd)


def debian_version(pkg):
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True, timeout=10)
        return out.stdout.strip() or None
    except Exception:
        return None


def save_npy(path, arr, dtype):
    arr = np.ascontiguousarray(arr, dtype=np.dtype(dtype).newbyteorder("<"))
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "wb") as f:
        np.lib.format.write_array(f, arr, version=(1, 0), allow_pickle=False)


def random_crop(xb, pad, rng, fill):
    """Pad [n,1,28,28] by `pad` pixels of value `fill` and take one random 28x28 window per image."""
    n, c, h, w = xb.shape
    padded = np.full((n, c, h + 2 * pad, w + 2 * pad), fill, dtype=xb.dtype)
    padded[:, :, pad:pad + h, pad:pad + w] = xb
    oy = rng.integers(0, 2 * pad + 1, n)
    ox = rng.integers(0, 2 * pad + 1, n)
    rows = (oy[:, None] + np.arange(h))[:, None, :, None]        # [n,1,h,1]
    cols = (ox[:, None] + np.arange(w))[:, None, None, :]        # [n,1,1,w]
    return padded[np.arange(n)[:, None, None, None], np.arange(c)[None, :, None, None], rows, cols]


def evaluate(model, x, y, torch, batch=1000):
    """Return (top1, top5, logits) over numpy inputs x [N,1,28,28] float32, labels y [N]."""
    model.eval()
    outs = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            outs.append(model(torch.from_numpy(x[i:i + batch])).numpy())
    logits = np.concatenate(outs, 0)
    top5 = np.argsort(-logits, axis=1, kind="stable")[:, :5]
    top1 = float(np.mean(top5[:, 0] == y))
    in5 = float(np.mean(np.any(top5 == y[:, None], axis=1)))
    return top1, in5, logits


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    entry = archs.ARCHS[args.arch]
    recipe = dict(entry["recipe"])
    if args.epochs is None:
        args.epochs = recipe["epochs"]
    lr = args.lr if args.lr is not None else recipe["lr"]
    batch_size = args.batch_size if args.batch_size is not None else recipe["batch_size"]
    weight_decay = args.weight_decay if args.weight_decay is not None else recipe.get("weight_decay", 0.0)
    label_smoothing = (args.label_smoothing if args.label_smoothing is not None
                       else recipe.get("label_smoothing", 0.0))
    crop = args.crop if args.crop is not None else recipe.get("crop", 0)
    if not entry["trained"]:
        print(f"warning: the default recipe for {args.arch} has not been validated yet", file=sys.stderr)

    import torch
    import torch.nn.functional as F
    import onnx

    # ---- determinism -------------------------------------------------------
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    rng = np.random.default_rng(args.seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(NUM_THREADS)
    device = torch.device("cpu")

    # ---- data --------------------------------------------------------------
    tr_img, tr_lab = fm.load_split(args.data, "train")
    te_img, te_lab = fm.load_split(args.data, "test")
    x_tr = fm.normalise(tr_img)
    y_tr = tr_lab.astype(np.int64)
    x_te = fm.normalise(te_img)
    y_te = te_lab.astype(np.int64)
    x_val = y_val = None
    if args.val:
        x_val, y_val = x_tr[-args.val:], y_tr[-args.val:]
        x_tr, y_tr = x_tr[:-args.val], y_tr[:-args.val]
    n = len(x_tr)
    steps_per_epoch = (n + batch_size - 1) // batch_size
    total_steps = steps_per_epoch * args.epochs

    # ---- model / optimiser -------------------------------------------------
    model = archs.build(args.arch, in_channels=1, num_classes=len(fm.CLASSES)).to(device)
    channels_last = bool(recipe.get("channels_last"))
    if channels_last:
        # NHWC activations/weights while training: ~30 % faster oneDNN convolutions on CPU
        model = model.to(memory_format=torch.channels_last)
    if recipe["optimizer"] == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
        opt_desc = f"Adam(lr={lr}, betas=(0.9,0.999), weight_decay={weight_decay})"
    elif recipe["optimizer"] == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=recipe["momentum"], nesterov=True,
                              weight_decay=weight_decay)
        opt_desc = f"SGD(lr={lr}, momentum={recipe['momentum']}, nesterov, weight_decay={weight_decay})"
    else:
        raise ValueError(recipe["optimizer"])
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda step: 0.5 * (1.0 + np.cos(np.pi * min(step, total_steps) / total_steps)))
    sched_desc = "cosine decay to 0 over all steps, stepped per batch"
    augs = []
    if recipe.get("hflip"):
        augs.append("random horizontal flip (p=0.5)")
    if crop:
        augs.append(f"random 28x28 crop after padding {crop} px with the background value (pixel 0)")
    aug_desc = ", ".join(augs) or "none"
    loss_desc = "cross-entropy" + (f" with label smoothing {label_smoothing}" if label_smoothing else "")
    crop_fill = np.float32((0.0 - fm.MEAN) / fm.STD)     # normalised value of a black pixel

    print(f"arch={args.arch} params={sum(p.numel() for p in model.parameters())} train={n} "
          f"val={args.val} epochs={args.epochs} batch={batch_size} opt={opt_desc} aug={aug_desc} "
          f"loss={loss_desc} torch={torch.__version__} "
          f"threads={torch.get_num_threads()}", flush=True)

    t0 = time.time()
    c0 = time.process_time()
    for epoch in range(args.epochs):
        te0 = time.time()
        model.train()
        perm = rng.permutation(n)
        loss_sum = 0.0
        correct = 0
        for s in range(steps_per_epoch):
            idx = perm[s * batch_size:(s + 1) * batch_size]
            xb = x_tr[idx]
            if recipe.get("hflip"):
                flip = rng.random(len(idx)) < 0.5
                xb = xb.copy()
                xb[flip] = xb[flip][..., ::-1]
            if crop:
                xb = random_crop(xb, crop, rng, crop_fill)
            xb = torch.from_numpy(np.ascontiguousarray(xb))
            if channels_last:
                xb = xb.contiguous(memory_format=torch.channels_last)
            yb = torch.from_numpy(y_tr[idx])
            logits = model(xb)
            if label_smoothing:
                loss = F.cross_entropy(logits, yb, label_smoothing=label_smoothing)
            else:
                loss = F.cross_entropy(logits, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.item() * len(idx)
            correct += int((logits.argmax(1) == yb).sum())
        msg = (f"epoch {epoch + 1:3d}/{args.epochs} loss {loss_sum / n:.4f} train-acc {correct / n:.4f} "
               f"lr {sched.get_last_lr()[0]:.2e} t {time.time() - t0:.0f}s (epoch {time.time() - te0:.0f}s, "
               f"cpu {time.process_time() - c0:.0f}s)")
        if x_val is not None:
            v1, _, _ = evaluate(model, x_val, y_val, torch)
            msg += f" val-acc {v1:.4f}"
        print(msg, flush=True)
    train_time = time.time() - t0
    train_cpu = time.process_time() - c0
    if x_val is not None:
        # recipe work only: never look at the test set, write nothing
        print(f"final val-acc {v1:.4f} ({args.val} held-out training images), training {train_time:.0f}s wall, "
              f"{train_cpu:.0f}s cpu (--val run: test set not evaluated, no files written)", flush=True)
        return 0

    # ---- final test-set measurement ----------------------------------------
    # back to plain NCHW: the test accuracy, the reference logits and the ONNX export all
    # use this one model
    model = model.to(memory_format=torch.contiguous_format)
    top1, top5, logits_te = evaluate(model, x_te, y_te, torch)
    print(f"FP32 test top-1 {top1:.4f} top-5 {top5:.4f} ({len(y_te)} images), training {train_time:.0f}s wall, "
          f"{train_cpu:.0f}s cpu",
          flush=True)

    os.makedirs(args.out, exist_ok=True)
    onnx_path = os.path.join(args.out, f"{args.arch}.onnx")
    json_path = os.path.join(args.out, f"{args.arch}.json")
    logits_path = os.path.join(args.out, f"{args.arch}.logits256.npy")
    td = os.path.join(args.out, "testdata")

    # reference logits: the first N_REF test images as one batch
    model.eval()
    with torch.no_grad():
        ref_logits = model(torch.from_numpy(x_te[:N_REF])).numpy()
    save_npy(logits_path, ref_logits, np.float32)
    save_npy(os.path.join(td, "fmnist-test-first256.npy"), x_te[:N_REF], np.float32)
    save_npy(os.path.join(td, "fmnist-test-first256.labels.npy"), y_te[:N_REF], np.int64)

    # ---- ONNX export ---------------------------------------------------------
    dummy = torch.from_numpy(x_te[:1])
    torch.onnx.export(
        model, dummy, onnx_path,
        export_params=True,
        opset_version=ONNX_OPSET,
        do_constant_folding=True,
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
    )
    m = onnx.load(onnx_path)
    onnx.checker.check_model(m)
    ops = [nd.op_type for nd in m.graph.node]
    print(f"ONNX ok: {onnx_path} ops={ops}", flush=True)

    # ---- metadata ------------------------------------------------------------
    meta = {
        "name": args.arch,
        "architecture": entry["description"],
        "input": {
            "name": "input",
            "shape": [-1, 1, 28, 28],
            "layout": "NCHW",
            "mean": [fm.MEAN],
            "std": [fm.STD],
            "scale": "pixel/255",
            "channels": "grayscale",
        },
        "output": {"name": "logits", "shape": [-1, len(fm.CLASSES)]},
        "classes": list(fm.CLASSES),
        "fp32_top1": round(top1, 6),
        "fp32_top5": round(top5, 6),
        "test_images": int(len(y_te)),
        "onnx_ops": sorted(set(ops)),
        "reference_logits": {
            "file": os.path.basename(logits_path),
            "inputs": "testdata/fmnist-test-first256.npy",
            "labels": "testdata/fmnist-test-first256.labels.npy",
            "count": N_REF,
        },
        "training": {
            "command": canonical_command(args, recipe),
            "seed": args.seed,
            "epochs": args.epochs,
            "batch_size": batch_size,
            "optimizer": opt_desc,
            "lr_schedule": sched_desc,
            "augmentation": aug_desc,
            "loss": loss_desc,
            "train_images": int(n),
            "threads": NUM_THREADS,
            "device": "cpu",
            "torch_version": torch.__version__,
            "debian_python3_torch": debian_version("python3-torch"),
            "onnx_version": onnx.__version__,
            "onnx_opset": ONNX_OPSET,
        },
        "dataset": {
            "name": "Fashion-MNIST",
            "source": "Debian package dataset-fashion-mnist "
                      f"{debian_version('dataset-fashion-mnist') or ''}".strip(),
            "license": "MIT, Copyright (c) 2017 Zalando SE, https://github.com/zalandoresearch/fashion-mnist",
            "files": fm.dataset_hashes(args.data),
        },
    }
    with open(json_path, "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print(f"wrote {onnx_path} {json_path} {logits_path} {td}/", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
