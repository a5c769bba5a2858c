#!/usr/bin/python3
"""Check an exported model independently of PyTorch.

Loads <model>.onnx with the onnx package, runs it with a tiny pure-numpy
interpreter (only the ops our models use), and compares against the stored
PyTorch reference logits:

    /usr/bin/python3 models/training/onnx_check.py models/lenet5.onnx [models/resnet20.onnx ...]

It is also a readable reference for the semantics the Java importer must
implement (NCHW, Conv with pads/strides/group (depthwise), MaxPool, Flatten, Gemm,
Add, GlobalAveragePool, Clip with min/max inputs, Constant, Identity,
BatchNormalization ...).
"""

import json
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _pad_nchw(x, pads, value=0.0):
    # ONNX pads = [top, left, bottom, right] for 2-D spatial
    t, l, b, r = pads
    return np.pad(x, ((0, 0), (0, 0), (t, b), (l, r)), constant_values=value)


def conv(x, w, b, a):
    strides = a.get("strides", [1, 1])
    pads = a.get("pads", [0, 0, 0, 0])
    dil = a.get("dilations", [1, 1])
    group = a.get("group", 1)
    assert dil == [1, 1], "dilation not supported"
    x = _pad_nchw(x, pads)
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    oh = (h - kh) // strides[0] + 1
    ow = (wd - kw) // strides[1] + 1
    out = np.zeros((n, m, oh, ow), dtype=np.float64)
    mg = m // group
    for g in range(group):
        xs = x[:, g * cg:(g + 1) * cg]
        ws = w[g * mg:(g + 1) * mg].astype(np.float64)
        for i in range(kh):
            for j in range(kw):
                patch = xs[:, :, i:i + strides[0] * oh:strides[0], j:j + strides[1] * ow:strides[1]]
                out[:, g * mg:(g + 1) * mg] += np.einsum("nchw,mc->nmhw", patch, ws[:, :, i, j])
    if b is not None:
        out += b[None, :, None, None]
    return out


def maxpool(x, a):
    kh, kw = a["kernel_shape"]
    strides = a.get("strides", [1, 1])
    pads = a.get("pads", [0, 0, 0, 0])
    assert a.get("ceil_mode", 0) == 0
    x = _pad_nchw(x, pads, value=-np.inf)
    n, c, h, w = x.shape
    oh = (h - kh) // strides[0] + 1
    ow = (w - kw) // strides[1] + 1
    out = np.full((n, c, oh, ow), -np.inf)
    for i in range(kh):
        for j in range(kw):
            out = np.maximum(out, x[:, :, i:i + strides[0] * oh:strides[0], j:j + strides[1] * ow:strides[1]])
    return out


def run(model, x):
    env = {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}
    env[model.graph.input[0].name] = x.astype(np.float64)
    for nd in model.graph.node:
        a = _attrs(nd)
        ins = [env[i] if i else None for i in nd.input]
        op = nd.op_type
        if op == "Conv":
            y = conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None, a)
        elif op == "Relu":
            y = np.maximum(ins[0], 0)
        elif op == "MaxPool":
            y = maxpool(ins[0], a)
        elif op == "Flatten":
            ax = a.get("axis", 1)
            y = ins[0].reshape(int(np.prod(ins[0].shape[:ax])), -1)
        elif op == "Gemm":
            A, B = ins[0], ins[1]
            if a.get("transA", 0):
                A = A.T
            if a.get("transB", 0):
                B = B.T
            y = a.get("alpha", 1.0) * (A @ B)
            if len(ins) > 2 and ins[2] is not None:
                y = y + a.get("beta", 1.0) * ins[2]
        elif op == "Add":
            y = ins[0] + ins[1]
        elif op == "GlobalAveragePool":
            y = ins[0].mean(axis=(2, 3), keepdims=True)
        elif op == "Reshape":
            y = ins[0].reshape([d if d != 0 else ins[0].shape[k] for k, d in enumerate(ins[1])])
        elif op == "Constant":
            y = numpy_helper.to_array(a["value"]) if "value" in a else np.array(a["value_float"])
        elif op in ("Identity", "Dropout"):       # Dropout: inference mode, single output used
            y = ins[0]
        elif op == "Clip":
            # opset >= 11: min / max are optional inputs (ReLU6 is exported as Clip(x, 0, 6))
            lo = ins[1] if len(ins) > 1 and ins[1] is not None else a.get("min", -np.inf)
            hi = ins[2] if len(ins) > 2 and ins[2] is not None else a.get("max", np.inf)
            y = np.minimum(np.maximum(ins[0], lo), hi)
        elif op == "BatchNormalization":
            scale, bias, mean, var = (v.astype(np.float64) for v in ins[1:5])
            eps = a.get("epsilon", 1e-5)
            inv = scale / np.sqrt(var + eps)
            y = (ins[0] - mean[None, :, None, None]) * inv[None, :, None, None] + bias[None, :, None, None]
        elif op == "AveragePool":
            kh, kw = a["kernel_shape"]
            strides = a.get("strides", [1, 1])
            assert a.get("pads", [0, 0, 0, 0]) == [0, 0, 0, 0] and a.get("ceil_mode", 0) == 0
            n_, c_, h_, w_ = ins[0].shape
            oh, ow = (h_ - kh) // strides[0] + 1, (w_ - kw) // strides[1] + 1
            y = np.zeros((n_, c_, oh, ow))
            for i in range(kh):
                for j in range(kw):
                    y += ins[0][:, :, i:i + strides[0] * oh:strides[0], j:j + strides[1] * ow:strides[1]]
            y /= kh * kw
        else:
            raise NotImplementedError(f"op {op} not supported by this checker")
        env[nd.output[0]] = y
    return env[model.graph.output[0].name]


def _attr_str(a):
    return {k: (numpy_helper.to_array(v).tolist() if isinstance(v, onnx.TensorProto) else v) for k, v in a.items()}


def check(path):
    base = path[:-len(".onnx")]
    d = os.path.dirname(path) or "."
    model = onnx.load(path)
    onnx.checker.check_model(model)
    print(f"== {path}: opset {[(o.domain or 'ai.onnx', o.version) for o in model.opset_import]}, "
          f"producer {model.producer_name} {model.producer_version}, ir_version {model.ir_version}")
    for vi in list(model.graph.input) + list(model.graph.output):
        dims = [dd.dim_param or dd.dim_value for dd in vi.type.tensor_type.shape.dim]
        print(f"  {vi.name}: elem_type {vi.type.tensor_type.elem_type} dims {dims}")
    for nd in model.graph.node:
        print(f"  {nd.op_type:10s} {list(nd.input)} -> {list(nd.output)} {_attr_str(_attrs(nd))}")
    for init in model.graph.initializer:
        print(f"  init {init.name}: {list(init.dims)}")
    counts = {}
    for nd in model.graph.node:
        counts[nd.op_type] = counts.get(nd.op_type, 0) + 1
    print("  op counts: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    meta = json.load(open(base + ".json"))
    ref = np.load(base + ".logits256.npy")
    x = np.load(os.path.join(d, meta["reference_logits"]["inputs"]))
    y = np.load(os.path.join(d, meta["reference_logits"]["labels"]))
    out = run(model, x)
    diff = np.abs(out - ref.astype(np.float64))
    ok = diff.max() < 1e-3 and np.all(out.argmax(1) == ref.argmax(1))
    print(f"{os.path.basename(path)}: numpy-vs-pytorch max|diff| {diff.max():.3e}, argmax agreement "
          f"{np.mean(out.argmax(1) == ref.argmax(1)):.4f}, top-1 on these {len(y)}: "
          f"{np.mean(out.argmax(1) == y):.4f} -> {'OK' if ok else 'MISMATCH'}")
    return ok


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    results = [check(p) for p in sys.argv[1:]]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
