#!/usr/bin/env python3
"""PyTorch side of `npm run bench`.

Reads JSON commands on stdin, one a line, answers one JSON line each on stdout:
  setup  {workload, threads, file, arrays}: build the workload from the float32 arrays that the
         harness wrote to `file` (same weights and inputs as convkit's), with `threads` threads;
  check  {file}: run it once, write its outputs to `file`, answer their layout;
  time   {reps}: run it `reps` times, answer the seconds per call;
  release: drop the workload (its memory);
  quit.
A workload is a matmul, a network's forward (inference), forward+backward, a training step
(SGD with momentum, softmax cross-entropy) or an Adam step; a network is given as a small
spec (sequential layers, with concat of branches) so that it is built from the same
description as convkit's.
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def read_arrays(path, layout):
    with open(path, "rb") as f:
        blob = bytearray(f.read())
    out = {}
    for a in layout:
        n = 1
        for d in a["shape"]:
            n *= d
        t = torch.frombuffer(blob, dtype=torch.float32, count=n, offset=a["offset"])
        out[a["name"]] = t.reshape(a["shape"]).clone()
    return out


def write_arrays(path, arrays):
    layout, offset = [], 0
    with open(path, "wb") as f:
        for name, t in arrays:
            if t.is_mkldnn:
                t = t.to_dense()
            data = t.detach().contiguous().float().numpy().tobytes()
            layout.append({"name": name, "shape": list(t.shape), "offset": offset})
            f.write(data)
            offset += len(data)
    return layout


class Concat(nn.Module):
    def __init__(self, branches):
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x):
        return torch.cat([b(x) for b in self.branches], dim=1)


# Stock nn.Conv2d sends 1x1 convolutions (batch < 16, one thread; forward and backward) and
# nn.Linear every linear layer to the system BLAS, which on a Debian image without OpenBLAS is
# the reference (netlib) one at ~4 GFLOP/s: 20x slower than PyTorch's own oneDNN. To measure
# PyTorch at its best, 1x1 kernels are given dilation 2, which changes nothing in the math (a
# 1x1 window has one tap) but makes PyTorch choose oneDNN, and linear layers run as such 1x1
# convolutions of x [N, in, 1, 1].
ONEDNN = torch.backends.mkldnn.is_available()


def onednn_dilation(conv):
    return (2, 2) if tuple(conv.kernel_size) == (1, 1) else conv.dilation


class OneDnnConv2d(nn.Conv2d):
    def forward(self, x):
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, onednn_dilation(self), self.groups)


class OneDnnLinear(nn.Linear):
    """y = x W^T + b as a 1x1 convolution of x [N, in, 1, 1]."""

    def forward(self, x):
        n = x.shape[0]
        w = self.weight.view(self.out_features, self.in_features, 1, 1)
        return F.conv2d(x.reshape(n, -1, 1, 1), w, self.bias, dilation=2).reshape(n, -1)


def build(spec):
    """nn.Module from a list of layer specs; parameters in the order they appear."""
    layers = []
    for s in spec:
        t = s["type"]
        if t == "conv2d":
            layers.append((OneDnnConv2d if ONEDNN else nn.Conv2d)(s["in"], s["out"], s["kernel"], stride=s.get("stride", 1),
                                    padding=s.get("padding", 0), bias=s.get("bias", True)))
        elif t == "linear":
            layers.append((OneDnnLinear if ONEDNN else nn.Linear)(s["in"], s["out"], bias=s.get("bias", True)))
        elif t == "relu":
            layers.append(nn.ReLU())
        elif t == "tanh":
            layers.append(nn.Tanh())
        elif t == "maxpool":
            layers.append(nn.MaxPool2d(s["kernel"], s.get("stride", s["kernel"]), s.get("padding", 0),
                                       ceil_mode=s.get("ceil", False)))
        elif t == "avgpool":
            layers.append(nn.AvgPool2d(s["kernel"], s.get("stride", s["kernel"]), s.get("padding", 0)))
        elif t == "globalavgpool":
            layers.append(nn.AdaptiveAvgPool2d(1))
        elif t == "flatten":
            layers.append(nn.Flatten())
        elif t == "dropout":
            layers.append(nn.Dropout(s["rate"]))
        elif t == "concat":
            layers.append(Concat([build(b) for b in s["branches"]]))
        else:
            raise ValueError("unknown layer type " + t)
    return nn.Sequential(*layers)


def load_weights(model, weights):
    params = list(model.parameters())
    if len(params) != len(weights):
        raise ValueError("model has %d parameters, got %d arrays" % (len(params), len(weights)))
    with torch.no_grad():
        for p, w in zip(params, weights):
            if tuple(p.shape) != tuple(w.shape):
                raise ValueError("parameter shape %s, array %s" % (tuple(p.shape), tuple(w.shape)))
            p.copy_(w)


class Workload:
    def __init__(self, w, arrays):
        self.kind = w["kind"]
        weights = [arrays["w%d" % i] for i in range(sum(1 for k in arrays if k.startswith("w")))]
        self.note = ""
        if self.kind == "matmul":
            # torch.mm goes to the system BLAS, which on Debian may be the reference (netlib)
            # one at a few GFLOP/s; PyTorch's own oneDNN path (as nn.Linear on mkldnn tensors)
            # is its strongest sgemm: C = A (B^T)^T.
            self.a, self.b = arrays["A"], arrays["B"]
            self.c = torch.empty(self.a.shape[0], self.b.shape[1])
            if torch.backends.mkldnn.is_available():
                self.am = self.a.to_mkldnn()
                self.bm = self.b.t().contiguous().to_mkldnn()
                self.note = "sgemm through oneDNN (mkldnn_linear): torch.mm goes to the system BLAS, here the reference one"
        elif self.kind == "adam":
            self.param = nn.Parameter(arrays["param"])
            self.param.grad = arrays["grad"]
            self.opt = torch.optim.Adam([self.param], lr=w["lr"], betas=tuple(w["betas"]), eps=w["eps"])
        else:
            self.model = build(w["spec"])
            if ONEDNN:
                self.note = "1x1 convs (dilation 2, same math) and linear layers (as 1x1 convs) routed to oneDNN: stock modules send them to the system BLAS, here the reference one"
            load_weights(self.model, weights)
            self.x = arrays["x"]
            if self.kind == "forward":
                self.model.eval()
            elif self.kind == "forward-backward":
                self.x.requires_grad_(True)
                self.dy = arrays["dy"]
            elif self.kind == "train-step":
                self.labels = arrays["labels"].long()
                self.opt = torch.optim.SGD(self.model.parameters(), lr=w["lr"], momentum=w["momentum"])

    def run(self):
        if self.kind == "matmul":
            if self.note:
                return [("C", torch._C._nn.mkldnn_linear(self.am, self.bm))]
            torch.mm(self.a, self.b, out=self.c)
            return [("C", self.c)]
        if self.kind == "adam":
            self.opt.step()
            return [("param", self.param)]
        if self.kind == "forward":
            with torch.no_grad():
                return [("y", self.model(self.x))]
        if self.kind == "forward-backward":
            self.model.zero_grad(set_to_none=True)
            self.x.grad = None
            y = self.model(self.x)
            y.backward(self.dy)
            return [("y", y), ("dx", self.x.grad)]
        self.opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(self.model(self.x), self.labels)
        loss.backward()
        self.opt.step()
        return [("loss", loss.detach().reshape(1))] + [("w%d" % i, p) for i, p in enumerate(self.model.parameters())]


def main():
    workload = None
    for line in sys.stdin:
        cmd = json.loads(line)
        try:
            if cmd["cmd"] == "setup":
                torch.set_num_threads(cmd["threads"])
                workload = Workload(cmd["workload"], read_arrays(cmd["file"], cmd["arrays"]))
                reply = {"ok": True, "threads": torch.get_num_threads(), "note": workload.note}
            elif cmd["cmd"] == "check":
                reply = {"ok": True, "arrays": write_arrays(cmd["file"], workload.run())}
            elif cmd["cmd"] == "time":
                start = time.perf_counter()
                for _ in range(cmd["reps"]):
                    workload.run()
                reply = {"ok": True, "seconds": (time.perf_counter() - start) / cmd["reps"]}
            elif cmd["cmd"] == "release":
                workload = None
                reply = {"ok": True}
            elif cmd["cmd"] == "quit":
                return
            else:
                reply = {"ok": False, "error": "unknown command " + cmd["cmd"]}
        except Exception as e:  # the harness reports it and goes on without PyTorch for this workload
            reply = {"ok": False, "error": "%s: %s" % (type(e).__name__, e)}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
