"""PyTorch CPU eager peer of bench/train-bench.ts: one SGD training step of the same networks.

The networks are restated here from the HRNet papers' definition as the official code builds it
(stem, layer1 of Bottlenecks, transitions, HighResolutionModules of BasicBlocks with fuse
layers), with the heads of mmpose's HeatmapHead and mmseg's FCNHead (resize_concat); their
parameter counts are printed so the TypeScript side can check them against hrdet's.

    OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 bench/train_bench_torch.py --model pose|seg \
        [--batch 2] [--size HxW] [--steps 5] [--warmup 2] [--mem-steps 10] [--serve]

Prints one JSON line: params, forward / forward+backward / update medians (ms), RSS before and
after --mem-steps further steps. With --serve it answers the bench's commands on stdin instead.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv3x3(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, 3, stride, 1, bias=False)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cin, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1, self.bn1 = conv3x3(cin, planes, stride), nn.BatchNorm2d(planes)
        self.conv2, self.bn2 = conv3x3(planes, planes), nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.downsample is None else self.downsample(x)
        return F.relu(out + identity)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(cin, planes, 1, bias=False), nn.BatchNorm2d(planes)
        self.conv2, self.bn2 = conv3x3(planes, planes, stride), nn.BatchNorm2d(planes)
        self.conv3, self.bn3 = nn.Conv2d(planes, planes * 4, 1, bias=False), nn.BatchNorm2d(planes * 4)
        self.downsample = downsample

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        identity = x if self.downsample is None else self.downsample(x)
        return F.relu(out + identity)


def make_layer(block, cin, planes, blocks):
    down = None
    if cin != planes * block.expansion:
        down = nn.Sequential(nn.Conv2d(cin, planes * block.expansion, 1, bias=False), nn.BatchNorm2d(planes * block.expansion))
    layers = [block(cin, planes, 1, down)]
    layers += [block(planes * block.expansion, planes) for _ in range(1, blocks)]
    return nn.Sequential(*layers)


class HighResolutionModule(nn.Module):
    """Parallel branches of BasicBlocks, then every output resolution sums every input."""

    def __init__(self, channels, blocks, multiscale_output, upsample_mode):
        super().__init__()
        n = len(channels)
        self.upsample_mode = upsample_mode
        self.branches = nn.ModuleList([make_layer(BasicBlock, c, c, b) for c, b in zip(channels, blocks)])
        self.fuse_layers = nn.ModuleList()
        for i in range(n if multiscale_output else 1):
            row = nn.ModuleList()
            for j in range(n):
                if j > i:
                    row.append(nn.Sequential(nn.Conv2d(channels[j], channels[i], 1, bias=False), nn.BatchNorm2d(channels[i])))
                elif j == i:
                    row.append(nn.Identity())
                else:
                    steps = []
                    for k in range(i - j):
                        last = k == i - j - 1
                        cout = channels[i] if last else channels[j]
                        steps += [conv3x3(channels[j], cout, 2), nn.BatchNorm2d(cout)] + ([] if last else [nn.ReLU()])
                    row.append(nn.Sequential(*steps))
            self.fuse_layers.append(row)

    def forward(self, xs):
        xs = [b(x) for b, x in zip(self.branches, xs)]
        outs = []
        for i, row in enumerate(self.fuse_layers):
            y = 0
            for j, f in enumerate(row):
                z = f(xs[j])
                if j > i:
                    z = F.interpolate(z, size=xs[i].shape[2:], mode=self.upsample_mode, **({'align_corners': False} if self.upsample_mode == 'bilinear' else {}))
                y = y + z
            outs.append(F.relu(y))
        return outs


class HRNet(nn.Module):
    """HRNet with the stage table of mm* configs: stage2..4 of (modules, blocks, channels)."""

    def __init__(self, stages, multiscale_output, upsample_mode):
        super().__init__()
        self.conv1, self.bn1 = conv3x3(3, 64, 2), nn.BatchNorm2d(64)
        self.conv2, self.bn2 = conv3x3(64, 64, 2), nn.BatchNorm2d(64)
        self.layer1 = make_layer(Bottleneck, 64, 64, 4)
        pre = [256]
        self.transitions = nn.ModuleList()
        self.stages = nn.ModuleList()
        for s, (modules, blocks, channels) in enumerate(stages):
            self.transitions.append(self.transition(pre, channels))
            last_stage = s == len(stages) - 1
            self.stages.append(nn.Sequential(*[
                HighResolutionModule(channels, blocks, multiscale_output or not last_stage or m < modules - 1, upsample_mode)
                for m in range(modules)
            ]))
            pre = channels

    @staticmethod
    def transition(pre, cur):
        layers = nn.ModuleList()
        for i, c in enumerate(cur):
            if i < len(pre):
                layers.append(nn.Identity() if pre[i] == c else nn.Sequential(conv3x3(pre[i], c), nn.BatchNorm2d(c), nn.ReLU()))
            else:
                layers.append(nn.Sequential(conv3x3(pre[-1], c, 2), nn.BatchNorm2d(c), nn.ReLU()))
        return layers

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        xs = [self.layer1(x)]
        for transition, stage in zip(self.transitions, self.stages):
            xs = [t(xs[i] if i < len(xs) else xs[-1]) for i, t in enumerate(transition)]
            xs = stage(xs)
        return xs


def stages(c):
    return [(1, [4, 4], [c, 2 * c]), (4, [4, 4, 4], [c, 2 * c, 4 * c]), (3, [4] * 4, [c, 2 * c, 4 * c, 8 * c])]


class PoseHRNet(nn.Module):
    """mmpose td-hm_hrnet-w32: HRNet-W32 (branch 0 only), HeatmapHead's 1x1 conv to 17 heatmaps."""

    def __init__(self):
        super().__init__()
        self.backbone = HRNet(stages(32), multiscale_output=False, upsample_mode='nearest')
        self.final_layer = nn.Conv2d(32, 17, 1)

    def loss(self, x, target):
        heatmaps, weights = target
        pred = self.final_layer(self.backbone(x)[0])
        # KeypointMSELoss with use_target_weight: per-keypoint weights over the heatmap MSE
        return (F.mse_loss(pred, heatmaps, reduction='none') * weights[:, :, None, None]).mean()


class SegHRNet(nn.Module):
    """mmseg fcn_hr18: HRNetV2-W18 (bilinear fuse), FCNHead resize_concat, 1x1 ConvModule, conv_seg."""

    def __init__(self, num_classes=19):
        super().__init__()
        self.backbone = HRNet(stages(18), multiscale_output=True, upsample_mode='bilinear')
        self.conv = nn.Sequential(nn.Conv2d(270, 270, 1, bias=False), nn.BatchNorm2d(270), nn.ReLU())
        self.conv_seg = nn.Conv2d(270, num_classes, 1)

    def loss(self, x, labels):
        xs = self.backbone(x)
        size = xs[0].shape[2:]
        feats = torch.cat([xs[0]] + [F.interpolate(t, size=size, mode='bilinear', align_corners=False) for t in xs[1:]], 1)
        logits = self.conv_seg(self.conv(feats))
        logits = F.interpolate(logits, size=labels.shape[1:], mode='bilinear', align_corners=False)
        return F.cross_entropy(logits, labels, ignore_index=255)


def rss_mb():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 2**20


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', choices=['pose', 'seg'], required=True)
    ap.add_argument('--steps', type=int, default=5)
    ap.add_argument('--warmup', type=int, default=2)
    ap.add_argument('--mem-steps', type=int, default=10)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--batch', type=int, default=2)
    ap.add_argument('--size', default='', help='HxW input (default: 256x192 pose, 512x512 seg)')
    ap.add_argument('--serve', action='store_true', help='answer commands on stdin (see serve)')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    B = a.batch
    H, W = map(int, a.size.split('x')) if a.size else (256, 192) if a.model == 'pose' else (512, 512)
    if a.model == 'pose':
        net = PoseHRNet()
        target = (torch.rand(B, 17, H // 4, W // 4), torch.ones(B, 17))
    else:
        net = SegHRNet()
        labels = torch.randint(0, 19, (B, H, W))
        labels[torch.rand(B, H, W) < 0.1] = 255
        target = labels
    net.train()
    x = torch.randn(B, 3, H, W)
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)

    def forward_only():
        with torch.no_grad():
            return float(net.loss(x, target))

    def step():
        t0 = time.perf_counter()
        loss = net.loss(x, target)
        loss.backward()
        t1 = time.perf_counter()
        opt.step()
        opt.zero_grad(set_to_none=True)
        t2 = time.perf_counter()
        return (t1 - t0) * 1e3, (t2 - t1) * 1e3

    for _ in range(a.warmup):
        forward_only()
        step()
    info = {'model': a.model, 'batch': B, 'torch': torch.__version__, 'threads': torch.get_num_threads(), 'params': sum(p.numel() for p in net.parameters())}
    if a.serve:
        serve(info, forward_only, step)
        return
    fwd = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        forward_only()
        fwd.append((time.perf_counter() - t0) * 1e3)
    fb, upd = zip(*[step() for _ in range(a.steps)])
    print(json.dumps({
        **info,
        'forward_ms': statistics.median(fwd),
        'forward_backward_ms': statistics.median(fb),
        'update_ms': statistics.median(upd),
        'times_ms': {'forward': fwd, 'forward_backward': list(fb), 'update': list(upd)},
        **memory(step, a.mem_steps),
    }))


def memory(step, n):
    before = rss_mb()
    for _ in range(n):
        step()
    return {'rss_mb_before': before, 'rss_mb_after': rss_mb(), 'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 'mem_steps': n}


def serve(info, forward_only, step):
    """Line protocol of bench/train-bench.ts, which alternates this peer with hrdet repetition by
    repetition so both see the same load: 'forward', 'step', 'memory N', 'quit'; one JSON line each."""
    def reply(obj):
        sys.stdout.write(json.dumps(obj) + '\n')
        sys.stdout.flush()
    reply({'ready': True, **info})
    for line in sys.stdin:
        cmd = line.split()
        if not cmd or cmd[0] == 'quit':
            break
        if cmd[0] == 'forward':
            t0 = time.perf_counter()
            forward_only()
            reply({'forward_ms': (time.perf_counter() - t0) * 1e3})
        elif cmd[0] == 'step':
            fb, upd = step()
            reply({'forward_backward_ms': fb, 'update_ms': upd})
        elif cmd[0] == 'memory':
            reply(memory(step, int(cmd[1])))
        else:
            reply({'error': f'unknown command {cmd[0]!r}'})


if __name__ == '__main__':
    main()
