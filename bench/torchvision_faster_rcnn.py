"""torchvision's Faster R-CNN R-50-FPN as the peer of bench/det-bench.ts and bench/train-bench.ts.

Random weights (nothing is downloaded); the graphs and the work per image are those of the
trained model, except that the detections after the score threshold depend on the weights.

    /usr/bin/python3 bench/torchvision_faster_rcnn.py export --out-dir DIR [--height 800] [--width 1216]
        writes DIR/faster_rcnn_r50_fpn.onnx (the whole test path: transform, backbone, FPN,
        RPN, RoI heads, post-processing) and DIR/backbone_fpn.onnx (backbone + FPN only, on the
        normalised image), opset 16, and prints one JSON line with their paths and parameters.

    OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 bench/torchvision_faster_rcnn.py train \
        [--height 800] [--width 1216] [--batch 1] [--boxes 8] [--steps 3] [--warmup 1] [--threads 2]
        [--mem-steps 3] [--serve]
        SGD steps (lr 0.01, momentum 0.9, wd 5e-4, as bench/train-bench.ts) of the model in
        training mode on random images with eight random GT boxes each; prints one JSON line
        with the medians (ms) of the forward (no_grad), forward+backward and update, or with
        --serve answers train-bench's line protocol (train_bench_torch.py's serve).

The image keeps its size through torchvision's transform (min_size is set to the height and
max_size above the width), so both sides see the same pixels.
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch
from torchvision.models.detection import fasterrcnn_resnet50_fpn


def build(height, width):
    # min_size = height keeps the image as it is (scale 1); padding to 32 is then a no-op for 800x1216.
    return fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None, min_size=height, max_size=max(width, height) + 1)


class BackboneFpn(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.backbone = model.backbone

    def forward(self, x):
        return tuple(self.backbone(x).values())


def export(args):
    torch.manual_seed(0)
    model = build(args.height, args.width).eval()
    os.makedirs(args.out_dir, exist_ok=True)
    image = torch.rand(3, args.height, args.width)
    full = os.path.join(args.out_dir, 'faster_rcnn_r50_fpn.onnx')
    torch.onnx.export(model, ([image],), full, opset_version=16, input_names=['image'], output_names=['boxes', 'labels', 'scores'])
    body = os.path.join(args.out_dir, 'backbone_fpn.onnx')
    x = torch.rand(1, 3, args.height, args.width)
    torch.onnx.export(BackboneFpn(model).eval(), (x,), body, opset_version=16, input_names=['input'])
    params = sum(p.numel() for p in model.parameters())
    print(json.dumps({'full': full, 'backbone_fpn': body, 'params': params, 'torch': torch.__version__}))


def random_targets(gen, batch, boxes, height, width):
    targets = []
    for _ in range(batch):
        xy = torch.rand(boxes, 2, generator=gen) * torch.tensor([width * 0.7, height * 0.7])
        wh = 32 + torch.rand(boxes, 2, generator=gen) * torch.tensor([width * 0.3, height * 0.3])
        targets.append({'boxes': torch.cat([xy, xy + wh], 1), 'labels': torch.randint(1, 91, (boxes,), generator=gen)})
    return targets


def train(args):
    # the line protocol and memory count of bench/train-bench.ts's peers
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from train_bench_torch import memory, serve

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    model = build(args.height, args.width).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    images = [torch.rand(3, args.height, args.width, generator=gen) for _ in range(args.batch)]
    targets = random_targets(gen, args.batch, args.boxes, args.height, args.width)

    def forward_only():
        with torch.no_grad():
            return float(sum(model(images, targets).values()))

    def step():
        t0 = time.perf_counter()
        sum(model(images, targets).values()).backward()
        t1 = time.perf_counter()
        opt.step()
        opt.zero_grad(set_to_none=True)
        return (t1 - t0) * 1e3, (time.perf_counter() - t1) * 1e3

    for _ in range(args.warmup):
        forward_only()
        step()
    info = {'model': 'torchvision fasterrcnn_resnet50_fpn', 'batch': args.batch, 'torch': torch.__version__, 'threads': torch.get_num_threads(), 'params': sum(p.numel() for p in model.parameters())}
    if args.serve:
        serve(info, forward_only, step)
        return
    fwd = []
    for _ in range(args.steps):
        t0 = time.perf_counter()
        forward_only()
        fwd.append((time.perf_counter() - t0) * 1e3)
    fb, upd = zip(*[step() for _ in range(args.steps)])
    print(json.dumps({**info, 'forward_ms': statistics.median(fwd), 'forward_backward_ms': statistics.median(fb), 'update_ms': statistics.median(upd), **memory(step, args.mem_steps)}))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest='cmd', required=True)
    e = sub.add_parser('export')
    e.add_argument('--out-dir', required=True)
    t = sub.add_parser('train')
    for q in (e, t):
        q.add_argument('--height', type=int, default=800)
        q.add_argument('--width', type=int, default=1216)
    t.add_argument('--batch', type=int, default=1)
    t.add_argument('--boxes', type=int, default=8)
    t.add_argument('--steps', type=int, default=3)
    t.add_argument('--warmup', type=int, default=1)
    t.add_argument('--threads', type=int, default=2)
    t.add_argument('--mem-steps', type=int, default=3)
    t.add_argument('--serve', action='store_true', help="answer bench/train-bench.ts's commands on stdin")
    args = p.parse_args()
    export(args) if args.cmd == 'export' else train(args)


if __name__ == '__main__':
    main()
