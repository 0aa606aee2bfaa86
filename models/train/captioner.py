#!/usr/bin/env python3
"""Attention captioners ("Show, Attend and Tell") for the shapes dataset, with vanilla-RNN, LSTM and GRU decoders.

A CNN encoder (trained from scratch) turns a 96×96 image into a 6×6 grid of 141-d features: 126 learned channels,
the cell's fixed (x, y) in [-1, 1] and its size-rank probabilities (other, largest, second largest), plus ten numbers
shared by every cell: the centroids of the largest and second-largest shape (soft-argmaxes of the rank map), their
difference, and the probabilities of the four relations between them. A relation word compares two places, one of
which the decoder has not looked at yet when it says "left of"; the shared numbers make it a read-out instead of a
comparison the decoder must learn to do across steps. A recurrent decoder attends over the grid at every step
(Bahdanau attention on the previous hidden state) and emits one word.

Two CPU cores are all we have, and the encoder dominates the cost, so `--cells gru,lstm,rnn` trains the three
decoders side by side on ONE shared encoder (each on its own third of every batch). Each exported model is that
encoder plus its own decoder; only the recurrent cell differs between them, which also makes their comparison fair.
Auxiliary losses (their heads: `aux` is never exported; `rank` and `relation` feed the features) supervise, per grid
cell, the (colour, shape) and the size rank, and per image the relation of the two largest shapes. Stage 1 trains
the encoder on them alone, which is far cheaper than learning them through attention.

Augmentation is exact: transposing or flipping an image maps every caption onto a valid caption of the new image
(left of → above, right of → below under transposition; left↔right, above↔below under flips; "of" follows
left/right only), so the 8 symmetries of the square multiply the data.

  train:  python3 captioner.py train --train /tmp/capdata/train-101,/tmp/capdata/train-102 --val /tmp/capdata/val
  export: python3 captioner.py export --val /tmp/capdata/val --golden /tmp/capdata/golden
"""
import argparse
import copy
import math
import os
import sys
import time
from collections import Counter

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import check_onnx, log, save_json, setup  # noqa: E402
from dataset import image_path, load_coco, load_rgb, rle_decode  # noqa: E402

SPECIALS = ["<pad>", "<start>", "<end>"]
# The generator's CAPTION_WORDS (common/shapes/generate.ts), same order.
WORDS = ["a", "an", "red", "green", "blue", "yellow", "purple", "orange", "circle", "square", "triangle", "left", "right", "above", "below", "of"]
VOCAB = SPECIALS + WORDS
IDX = {w: i for i, w in enumerate(VOCAB)}
PAD, START, END = 0, 1, 2
COLOURS = ["red", "green", "blue", "yellow", "purple", "orange"]
SIZE = 96  # model input; dataset images (256) are resized with a bilinear filter, as the app's pre-processing does
GRID = 6
MAX_LEN = 16  # tokens after <start>, including <end>; captions have at most 9
# Per cell: conv channels, (x, y), size-rank probabilities; shared by all cells: the two largest shapes' centroids,
# their difference and the relation probabilities.
FEATURES = 126 + 2 + 3 + 6 + 4
RELATIONS = ["left", "right", "above", "below"]  # the canonical caption's relation word: "<largest> left of <second>"
HIDDEN = 128  # the task needs little memory, and the decoder step is run 10 times per caption
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


# ---------------------------------------------------------------- model

def conv(cin, cout, stride):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class Encoder(nn.Module):
    def __init__(self, conv_dim=126):
        super().__init__()
        # Lean on purpose (~30 M multiply-adds at 96 px): two shared CPU cores train it, and the captioned shapes,
        # ≥ 15 px at this size, need little resolution; the 6² layers give every cell the whole-image context
        # that "the two largest" needs.
        self.body = nn.Sequential(
            conv(3, 16, 2),  # 48²
            conv(16, 32, 2), conv(32, 32, 1),  # 24²
            conv(32, 64, 2), conv(64, 64, 1),  # 12²
            conv(64, conv_dim, 2), conv(conv_dim, conv_dim, 1), conv(conv_dim, conv_dim, 1),  # 6²
        )
        c = (torch.arange(GRID, dtype=torch.float32) + 0.5) / GRID * 2 - 1
        yy, xx = torch.meshgrid(c, c, indexing="ij")
        self.register_buffer("coords", torch.stack([xx.flatten(), yy.flatten()], 1))  # [L, 2], row-major cells
        self.rank = nn.Conv2d(conv_dim, 3, 1)  # per cell: other, largest, second largest (trained by an aux loss)
        # Where the second-largest shape is, seen from the largest: RELATIONS (also trained by an aux loss).
        self.relation = nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Linear(32, len(RELATIONS)))

    def forward(self, x):
        """→ features [B, L, FEATURES], the conv map [B, C, G, G], rank logits [B, 3, G, G], relation logits [B, 4]."""
        f = self.body(x)
        r = self.rank(f)
        grid = f.flatten(2).transpose(1, 2)  # [B, L, C]
        B, L = grid.shape[:2]
        p = torch.softmax(r, 1).flatten(2)  # [B, 3, L]
        # The + 0.1 keeps the "second largest" centroid near the centre (0, 0) when a scene has one shape.
        c = torch.bmm(p[:, 1:] / (p[:, 1:].sum(2, keepdim=True) + 0.1), self.coords.expand(B, -1, -1))  # [B, 2, 2]
        g = torch.cat([c.flatten(1), c[:, 1] - c[:, 0]], 1)  # [B, 6]
        rel = self.relation(g * 4)  # soft centroids are shrunk towards each other; × 4 brings them to unit scale
        shared = torch.cat([g, torch.softmax(rel, 1)], 1).unsqueeze(1).expand(-1, L, -1)
        return torch.cat([grid, self.coords.expand(B, -1, -1), p.transpose(1, 2), shared], 2), f, r, rel


class Decoder(nn.Module):
    def __init__(self, cell, dim=None, emb=48, hidden=HIDDEN, att=64):
        dim = dim or FEATURES
        super().__init__()
        self.cell_name = cell
        self.embed = nn.Embedding(len(VOCAB), emb)
        self.att_v = nn.Linear(dim, att)
        self.att_h = nn.Linear(hidden, att)
        self.att_w = nn.Linear(att, 1)
        self.init_h = nn.Linear(dim, hidden)
        self.init_c = nn.Linear(dim, hidden) if cell == "lstm" else None
        self.cell = {"rnn": nn.RNNCell, "lstm": nn.LSTMCell, "gru": nn.GRUCell}[cell](emb + dim, hidden)
        self.drop = nn.Dropout(0.2)
        self.out = nn.Linear(hidden + dim, len(VOCAB))

    def init_state(self, feats):
        m = feats.mean(1)
        h = torch.tanh(self.init_h(m))
        return (h, torch.tanh(self.init_c(m))) if self.init_c is not None else (h,)

    def step(self, token, state, feats, keys=None):
        """keys = att_v(feats), passed in by training loops that reuse it across steps."""
        h = state[0]
        if keys is None:
            keys = self.att_v(feats)
        e = self.att_w(torch.tanh(keys + self.att_h(h).unsqueeze(1))).squeeze(2)
        alpha = torch.softmax(e, dim=1)
        ctx = torch.bmm(alpha.unsqueeze(1), feats).squeeze(1)
        x = torch.cat([self.embed(token), ctx], dim=1)
        if self.init_c is not None:
            h2, c2 = self.cell(x, (h, state[1]))
            new = (h2, c2)
        else:
            h2 = self.cell(x, h)
            new = (h2,)
        logits = self.out(self.drop(torch.cat([h2, ctx], dim=1)))
        return logits, new, alpha

    def forward(self, feats, tokens):
        """Teacher forcing: tokens [B, T] begin with <start>; returns logits [B, T-1, V] and attention [B, T-1, L]."""
        state = self.init_state(feats)
        keys = self.att_v(feats)
        outs, alphas = [], []
        for t in range(tokens.shape[1] - 1):
            logits, state, alpha = self.step(tokens[:, t], state, feats, keys)
            outs.append(logits)
            alphas.append(alpha)
        return torch.stack(outs, 1), torch.stack(alphas, 1)


def referent_steps(tokens, ref_index):
    """Where a caption names a shape, and which: [(sample, step, rank)] for the steps that emit each phrase's colour
    and shape word (step t emits token t + 1), with the size rank of the shape the phrase names (1 = largest,
    2 = second largest). Reference 0 is the canonical phrasing (largest first), reference 1 the swapped one. Positions
    come from the ends of the caption: "a(n) <colour> <shape>" opens it and closes it, whatever the relation words."""
    out = []
    for b in range(tokens.shape[0]):
        n = int((tokens[b] != PAD).sum())  # <start> ... <end>
        first = 1 if ref_index[b] == 0 else 2
        out += [(b, 1, first), (b, 2, first)]
        if n > 5:  # a two-shape caption
            out += [(b, n - 4, 3 - first), (b, n - 3, 3 - first)]
    return out


def attention_loss(alphas, tokens, ref_index, ranks):
    """Supervised attention (as in attention-supervised captioning): at the steps that name a shape, the attention
    should fall on that shape's grid cells. −log of the attention mass on them, averaged over those steps; steps
    whose shape covers no cell (tiny or hidden) are left out. ranks: [B, L] per cell, 0 none, 1 largest, 2 second."""
    terms = []
    for b, t, r in referent_steps(tokens, ref_index):
        cells = ranks[b] == r
        if cells.any():
            terms.append(-torch.log(alphas[b, t][cells].sum() + 1e-6))
    return torch.stack(terms).mean() if terms else alphas.sum() * 0


class Captioners(nn.Module):
    def __init__(self, cells):
        super().__init__()
        self.encoder = Encoder()
        self.decoders = nn.ModuleDict({c: Decoder(c) for c in cells})
        self.aux = nn.Conv2d(126, 1 + len(COLOURS) * 3, 1)  # training only: per cell (colour, shape) class


# ---------------------------------------------------------------- data

def normalise(u8):
    """uint8 [N, H, W, 3] → float [N, 3, H, W] with the manifest's scale/mean/std."""
    x = torch.from_numpy(u8).permute(0, 3, 1, 2).float().div_(255)
    return (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)


def encode_caption(text):
    words = text.split()
    for w in words:
        if w not in IDX:
            raise ValueError(f'caption "{text}" has a word outside the vocabulary: {w}')
    return [START] + [IDX[w] for w in words] + [END]


def aux_target(im):
    """[2, GRID, GRID] per grid cell, from the shape covering most of the cell if it covers ≥ 10 % of it: its
    (colour, shape) class (0 = none) and its size rank (0 = none or smaller, 1 = largest, 2 = second largest)."""
    h, w = im["height"], im["width"]
    rows, cols = -(-np.arange(GRID) * h // GRID), -(-np.arange(GRID) * w // GRID)
    best = np.zeros((2, GRID, GRID), np.int64)
    best_px = np.full((GRID, GRID), 0.1 * h * w / GRID ** 2)
    by_area = sorted(im["anns"], key=lambda a: -a["area"])
    for a in im["anns"]:
        m = np.add.reduceat(np.add.reduceat(rle_decode(a["segmentation"]).astype(np.int32), rows, axis=0), cols, axis=1)
        cls = 1 + COLOURS.index(a["attributes"]["color"]) * 3 + (a["category_id"] - 1)
        rank = next((k + 1 for k, b in enumerate(by_area[:2]) if b is a), 0)
        take = m > best_px
        best[0][take] = cls
        best[1][take] = rank
        best_px[take] = m[take]
    return best


def load_split(dirs, cache, kernels):
    """Images resized to SIZE (each with a kernel drawn from `kernels`, to be robust to the app's resampler),
    reference token lists and aux targets. Cached as .npz because decoding 16k PNGs takes minutes on 2 cores."""
    if cache and os.path.exists(cache):
        z = np.load(cache, allow_pickle=True)
        return z["images"], list(z["refs"]), z["aux"]
    rng = np.random.default_rng(0)
    images, refs, aux = [], [], []
    for d in dirs:
        coco = load_coco(d)
        for im in coco["images"]:
            images.append(load_rgb(image_path(coco, im), SIZE, kernels[rng.integers(len(kernels))]))
            refs.append([encode_caption(c) for c in im["captions"]])
            aux.append(aux_target(im))
        log(f"loaded {d}: {len(coco['images'])} images")
    images, aux = np.stack(images), np.stack(aux)
    if cache:
        np.savez(cache, images=images, refs=np.array(refs, dtype=object), aux=aux)
    return images, refs, aux


# Word permutations for the exact symmetries (applied in the order transpose, hflip, vflip).
def _perm(pairs):
    p = torch.arange(len(VOCAB))
    for a, b in pairs:
        p[IDX[a]], p[IDX[b]] = IDX[b], IDX[a]
    return p


REL_OF_TOKEN = torch.full((len(VOCAB),), -100, dtype=torch.long)  # relation word → class, else ignored
for _k, _w in enumerate(RELATIONS):
    REL_OF_TOKEN[IDX[_w]] = _k


def relation_token(refs):
    """The canonical (largest-first) caption's relation word; PAD for a one-shape scene."""
    return refs[0][4] if len(refs[0]) > 5 else PAD


OF, TAKES_OF = IDX["of"], {IDX["left"], IDX["right"]}
PERM_T = _perm([("left", "above"), ("right", "below")])
PERM_H = _perm([("left", "right")])
PERM_V = _perm([("above", "below")])


def augment(x, aux, gen):
    """x [B,3,S,S], aux [B,2,GRID,GRID]: each sample gets a random element of the dihedral group. Returns them
    transformed and, per sample, the word permutation [B, V] that maps its captions onto the new image."""
    B = x.shape[0]
    perm = torch.arange(len(VOCAB)).repeat(B, 1)
    for p, op in ((PERM_T, lambda t: t.transpose(-1, -2)), (PERM_H, lambda t: t.flip(-1)), (PERM_V, lambda t: t.flip(-2))):
        sel = torch.rand(B, generator=gen) < 0.5
        if sel.any():
            x[sel] = op(x[sel])
            aux[sel] = op(aux[sel])
            perm[sel] = p[perm[sel]]
    return x, aux, perm


def remap(seq, perm):
    """A caption's tokens under a word permutation: "left of" becomes "above" under transposition, so every "of" is
    dropped and put back after left/right."""
    out = []
    for t in seq:
        if t != OF:
            out.append(int(perm[t]))
            if out[-1] in TAKES_OF:
                out.append(OF)
    return out


def batch_tokens(seqs):
    T = max(len(s) for s in seqs)
    out = torch.full((len(seqs), T), PAD, dtype=torch.long)
    for i, s in enumerate(seqs):
        out[i, :len(s)] = torch.tensor(s)
    return out


# ---------------------------------------------------------------- decoding and metrics

@torch.no_grad()
def greedy(dec, feats, max_len=MAX_LEN):
    """→ token ids per sample (without <start>/<end>) and attention [B, steps, L] of the emitted words."""
    B = feats.shape[0]
    state = dec.init_state(feats)
    token = torch.full((B,), START, dtype=torch.long)
    keys = dec.att_v(feats)
    out, atts = [], []
    done = torch.zeros(B, dtype=torch.bool)
    for _ in range(max_len):
        logits, state, alpha = dec.step(token, state, feats, keys)
        token = logits.argmax(1)
        out.append(token)
        atts.append(alpha)
        done |= token == END
        if done.all():
            break
    out = torch.stack(out, 1).tolist()
    atts = torch.stack(atts, 1)
    seqs = []
    for row in out:
        seqs.append(row[:row.index(END)] if END in row else row)
    return seqs, atts


@torch.no_grad()
def beam_search(dec, feats1, beam=3, max_len=MAX_LEN):
    """One image (feats1 [1, L, D]). Score = sum of log-softmax over the emitted tokens (including <end>), no length
    penalty; a beam that emits <end> is finished; stops when `beam` beams finished or at max_len.
    → [(tokens without <start>/<end>, score)] best first."""
    state = dec.init_state(feats1)
    beams = [([], 0.0, state)]
    finished = []
    for _ in range(max_len):
        if not beams:
            break
        tokens = torch.tensor([b[0][-1] if b[0] else START for b in beams])
        st = tuple(torch.cat([b[2][k] for b in beams]) for k in range(len(state)))
        logits, new, _ = dec.step(tokens, st, feats1.expand(len(beams), -1, -1))
        logp = torch.log_softmax(logits, 1)
        cands = []
        for i, b in enumerate(beams):
            top = torch.topk(logp[i], beam)
            for lp, t in zip(top.values.tolist(), top.indices.tolist()):
                cands.append((b[1] + lp, i, t))
        cands.sort(key=lambda c: -c[0])
        beams_next = []
        for score, i, t in cands:
            if len(beams_next) + len(finished) >= beam:
                break
            if t == END:
                finished.append((beams[i][0], score))
            else:
                beams_next.append((beams[i][0] + [t], score, tuple(s[i:i + 1] for s in new)))
        beams = beams_next
        if len(finished) >= beam:
            break
    finished += [(b[0], b[1]) for b in beams]
    finished.sort(key=lambda f: -f[1])
    return finished[:beam]


def words(ids):
    return [VOCAB[i] for i in ids]


def corpus_bleu4(hyps, refs_list):
    """Corpus BLEU-4 (Papineni et al.): clipped n-gram precisions summed over the corpus, geometric mean, brevity
    penalty against the closest reference length. hyps: [[word]], refs_list: [[[word]]]."""
    match = [0] * 4
    total = [0] * 4
    hyp_len = ref_len = 0
    for hyp, refs in zip(hyps, refs_list):
        hyp_len += len(hyp)
        ref_len += min((abs(len(r) - len(hyp)), len(r)) for r in refs)[1]
        for n in range(1, 5):
            h = Counter(tuple(hyp[i:i + n]) for i in range(len(hyp) - n + 1))
            best = Counter()
            for r in refs:
                for g, c in Counter(tuple(r[i:i + n]) for i in range(len(r) - n + 1)).items():
                    best[g] = max(best[g], c)
            match[n - 1] += sum(min(c, best[g]) for g, c in h.items())
            total[n - 1] += max(0, len(hyp) - n + 1)
    if min(match) == 0:
        return 0.0
    logp = sum(math.log(m / t) for m, t in zip(match, total)) / 4
    bp = 1.0 if hyp_len > ref_len else math.exp(1 - ref_len / max(hyp_len, 1))
    return bp * math.exp(logp)


@torch.no_grad()
def evaluate(model, images, refs, cells, batch=100, aux=None):
    """Exact match and BLEU-4 of greedy captions; with `aux` (per-cell targets) also how grounded the attention is:
    over the right captions' colour and shape words, how often the attention peak lies on the named shape's cells
    (`peak_on_shape`) and the mean attention mass there (`mass_on_shape`)."""
    model.eval()
    hyps = {c: [] for c in cells}
    atts = {c: [] for c in cells}
    for i in range(0, len(images), batch):
        feats = model.encoder(normalise(images[i:i + batch]))[0]
        for c in cells:
            seqs, a = greedy(model.decoders[c], feats)
            hyps[c] += seqs
            atts[c] += list(a)
    ref_words = [[words(r[1:-1]) for r in rs] for rs in refs]
    res = {}
    for c in cells:
        hw = [words(h) for h in hyps[c]]
        exact = sum(any(h == r for r in rs) for h, rs in zip(hw, ref_words)) / len(hw)
        res[c] = {"exact": exact, "bleu4": corpus_bleu4(hw, ref_words), "n": len(hw)}
        if aux is not None:
            hits = mass = n = 0
            for k, h in enumerate(hyps[c]):
                full = [START] + h + [END]
                if full not in refs[k]:
                    continue
                ranks = torch.from_numpy(aux[k][1]).flatten()
                for _, t, r in referent_steps(torch.tensor([full]), [refs[k].index(full)]):
                    cells_r = ranks == r
                    if not cells_r.any():
                        continue
                    a = atts[c][k][t]
                    hits += bool(cells_r[int(a.argmax())])
                    mass += float(a[cells_r].sum())
                    n += 1
            res[c].update({"peak_on_shape": hits / max(n, 1), "mass_on_shape": mass / max(n, 1), "grounding_words": n})
    return res


# ---------------------------------------------------------------- training

def pretrain_encoder(model, images, aux, rel, va_images, va_aux, args):
    """Stage 1: the encoder alone on the dense auxiliary targets. Captions supervise the encoder only through
    attention, which is slow to start; these per-cell targets teach it colour, shape and "largest two" in a few
    thousand cheap steps (measured: 84 % of shape cells right after 1100 steps of 32, versus 37 % after 340 joint
    steps of 96 that cost about as much)."""
    params = list(model.encoder.parameters()) + list(model.aux.parameters())
    opt = torch.optim.AdamW(params, lr=args.pretrain_lr, weight_decay=1e-4)
    gen = torch.Generator().manual_seed(args.seed + 1000)
    t0, step = time.time(), 0
    while (elapsed := time.time() - t0) < args.pretrain_minutes * 60:
        for g in opt.param_groups:
            g["lr"] = args.pretrain_lr * min(1.0, (step + 1) / 40) * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * elapsed / (args.pretrain_minutes * 60))))
        idx = torch.randint(len(images), (args.pretrain_batch,), generator=gen).tolist()
        x, a, perm = augment(normalise(images[idx]), torch.from_numpy(aux[idx]), gen)
        rt = perm.gather(1, torch.from_numpy(rel[idx])[:, None])[:, 0]
        _, fmap, rank, rl = model.encoder(x)
        loss = F.cross_entropy(model.aux(fmap), a[:, 0]) + F.cross_entropy(rank, a[:, 1]) + F.cross_entropy(rl, REL_OF_TOKEN[rt], ignore_index=-100)
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        if step % 200 == 0:
            model.eval()
            with torch.no_grad():
                _, fmap, rank, _ = model.encoder(normalise(va_images))
                cls, rank = model.aux(fmap).argmax(1).numpy(), rank.argmax(1).numpy()
            model.train()
            shape = va_aux[:, 0] > 0
            log(f"pretrain step {step} loss {loss.item():.3f}: val shape cells right {(cls == va_aux[:, 0])[shape].mean():.3f}, "
                f"largest-two cells right {(rank == va_aux[:, 1])[va_aux[:, 1] > 0].mean():.3f}")
    return time.time() - t0


def train(args):
    setup(args.seed, args.threads)
    cells = args.cells.split(",")
    kernels = [Image.BILINEAR, Image.BICUBIC, Image.LANCZOS, Image.BOX]
    tr_images, tr_refs, tr_aux = load_split(args.train.split(","), args.cache + "-train.npz", kernels)
    va_images, va_refs, va_aux = load_split([args.val], args.cache + "-val.npz", [Image.BILINEAR])
    va_images, va_refs, va_aux = va_images[:args.eval_limit], va_refs[:args.eval_limit], va_aux[:args.eval_limit]
    tr_rel = np.array([relation_token(r) for r in tr_refs])
    log(f"train {len(tr_images)} images, val {len(va_images)}; cells {cells}")

    model = Captioners(cells)
    # Stage 2 fine-tunes the pretrained encoder more gently than it trains the fresh decoders.
    encoder_params = list(model.encoder.parameters()) + list(model.aux.parameters())
    opt = torch.optim.AdamW([{"params": encoder_params, "scale": args.encoder_lr_scale},
                             {"params": list(model.decoders.parameters()), "scale": 1.0}], lr=args.lr, weight_decay=1e-4)
    steps_per_epoch = len(tr_images) // args.batch
    total_steps = args.epochs * steps_per_epoch
    state = {"epoch": 0, "step": 0, "best": {c: None for c in cells}, "history": [], "seconds": 0.0, "pretrain_seconds": 0.0}
    if args.resume and os.path.exists(args.ckpt):
        ck = torch.load(args.ckpt)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        state = ck["state"]
        log(f"resumed at epoch {state['epoch']} ({state['seconds'] / 60:.1f} min trained)")
    else:
        if args.init_from:
            # Warm start (e.g. an encoder from an earlier run): every tensor whose name and shape match.
            own = model.state_dict()
            src = {k: v for k, v in torch.load(args.init_from)["model"].items() if k in own and own[k].shape == v.shape}
            model.load_state_dict(src, strict=False)
            log(f"initialised {len(src)} of {len(own)} tensors from {args.init_from}")
        state["pretrain_seconds"] = pretrain_encoder(model, tr_images, tr_aux, tr_rel, va_images, va_aux, args)
    gen = torch.Generator().manual_seed(args.seed + state["epoch"])
    t_start = time.time() - state["seconds"]
    warmup = min(40, total_steps // 20)

    def lr_at(step):
        """Cosine over whichever runs out first, the planned steps or the time cap: the machine's load varies."""
        if step < warmup:
            return args.lr * (step + 1) / warmup
        p = max((step - warmup) / max(1, total_steps - warmup), (time.time() - t_start) / (args.minutes * 60))
        return args.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(1.0, p))))

    while state["epoch"] < args.epochs:
        model.train()
        order = torch.randperm(len(tr_images), generator=gen)
        losses = Counter()
        t_epoch = time.time()
        for b in range(steps_per_epoch):
            if time.time() - t_start > args.minutes * 60:
                break
            idx = order[b * args.batch:(b + 1) * args.batch].tolist()
            x, aux, perm = augment(normalise(tr_images[idx]), torch.from_numpy(tr_aux[idx]), gen)
            ref_index = [int(torch.randint(len(tr_refs[i]), (1,), generator=gen)) for i in idx]
            chosen = [tr_refs[i][j] for i, j in zip(idx, ref_index)]
            tokens = batch_tokens([remap(c, perm[k]) for k, c in enumerate(chosen)])
            rt = perm.gather(1, torch.from_numpy(tr_rel[idx])[:, None])[:, 0]
            for g in opt.param_groups:
                g["lr"] = lr_at(state["step"]) * g["scale"]
            feats, fmap, rank, rel = model.encoder(x)
            loss = args.aux * (F.cross_entropy(model.aux(fmap), aux[:, 0]) + F.cross_entropy(rank, aux[:, 1])
                               + F.cross_entropy(rel, REL_OF_TOKEN[rt], ignore_index=-100))
            losses["aux"] += loss.item()
            # Each decoder gets its own slice of the batch: the encoder still learns from every image, and the
            # decoders (most of the cost: 10 small steps each) run on a third of it.
            for k, c in enumerate(cells):
                part = slice(k * len(idx) // len(cells), (k + 1) * len(idx) // len(cells))
                logits, alphas = model.decoders[c](feats[part], tokens[part])
                lc = F.cross_entropy(logits.reshape(-1, len(VOCAB)), tokens[part, 1:].reshape(-1), ignore_index=PAD)
                if args.attention > 0:
                    la = attention_loss(alphas, tokens[part], ref_index[part], aux[part, 1].flatten(1))
                    losses[c + "_att"] += la.item()
                    lc = lc + args.attention * la
                losses[c] += lc.item()
                loss = loss + lc
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            state["step"] += 1
            if b % 50 == 0:
                log(f"epoch {state['epoch'] + 1} batch {b}/{steps_per_epoch} lr {lr_at(state['step']):.5f} " + " ".join(f"{k} {v / (b + 1):.3f}" for k, v in losses.items()))
        state["epoch"] += 1
        state["seconds"] = time.time() - t_start
        res = evaluate(model, va_images, va_refs, cells, aux=va_aux)
        state["history"].append({"epoch": state["epoch"], "minutes": state["seconds"] / 60, **res})
        log(f"epoch {state['epoch']} done in {time.time() - t_epoch:.0f}s (total {state['seconds'] / 60:.1f} min): " + "  ".join(f"{c} exact {r['exact']:.3f} bleu4 {r['bleu4']:.3f} peak-on-shape {r['peak_on_shape']:.3f}" for c, r in res.items()))
        for c in cells:
            # A right caption whose attention points elsewhere misleads the person reading the heat-map.
            score = res[c]["exact"] + res[c]["bleu4"] + res[c].get("peak_on_shape", 0)
            best = state["best"][c]
            if best is None or score > best["score"]:
                state["best"][c] = {"score": score, "epoch": state["epoch"], **res[c],
                                    "encoder": copy.deepcopy(model.encoder.state_dict()), "decoder": copy.deepcopy(model.decoders[c].state_dict())}
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "state": state, "cells": cells}, args.ckpt)
        if state["seconds"] > args.minutes * 60:
            log(f"time cap of {args.minutes} min reached")
            break
    log("best: " + "  ".join(f"{c} epoch {b['epoch']} exact {b['exact']:.3f} bleu4 {b['bleu4']:.3f}" for c, b in state["best"].items()))


# ---------------------------------------------------------------- export

class EncoderGraph(nn.Module):
    """encoder.onnx: image [1,3,H,W] → features [1,L,D], h0 [1,Hd] (and c0 for LSTM)."""

    def __init__(self, encoder, decoder):
        super().__init__()
        self.encoder, self.decoder = encoder, decoder

    def forward(self, image):
        feats = self.encoder(image)[0]
        return (feats,) + self.decoder.init_state(feats)


class StepGraph(nn.Module):
    """decoder_step.onnx: token [B], h [B,Hd] (c), features [B,L,D] → logits, h_out (c_out), attention [B,L]."""

    def __init__(self, decoder):
        super().__init__()
        self.decoder = decoder

    def forward(self, token, *rest):
        *state, feats = rest
        logits, new, alpha = self.decoder.step(token, tuple(state), feats)
        return (logits,) + new + (alpha,)


def load_best(ckpt_path, cell):
    ck = torch.load(ckpt_path)
    best = ck["state"]["best"][cell]
    enc, dec = Encoder(), Decoder(cell)
    enc.load_state_dict(best["encoder"])
    dec.load_state_dict(best["decoder"])
    return enc.eval(), dec.eval(), best, ck["state"]


def export(args):
    setup(args.seed, args.threads)
    va_images, va_refs, va_aux = load_split([args.val], args.cache + "-val.npz", [Image.BILINEAR])
    golden = load_coco(args.golden)
    # The validation set chose each model's best epoch (on its first --eval-limit images), so the numbers a user is
    # told come from a test set that took no part in training or selection.
    te_images, te_refs, te_aux = load_split([args.test], None, [Image.BILINEAR]) if args.test else (None, None, None)
    for cell in args.cells.split(","):
        enc, dec, best, st = load_best(args.ckpt, cell)
        name = f"shapes-caption-{cell}"
        out = os.path.join(REPO, "models", name)
        os.makedirs(os.path.join(out, "golden"), exist_ok=True)
        model = Captioners([cell])
        model.encoder, model.decoders[cell] = enc, dec
        res = evaluate(model, va_images, va_refs, [cell], aux=va_aux)[cell]
        log(f"{cell}: validation exact {res['exact']:.4f} bleu4 {res['bleu4']:.4f} on {res['n']} images (best epoch {best['epoch']})")
        val_res = res
        if te_images is not None:
            res = evaluate(model, te_images, te_refs, [cell], aux=te_aux)[cell]
            log(f"{cell}: test exact {res['exact']:.4f} bleu4 {res['bleu4']:.4f} on {res['n']} images")

        lstm = cell == "lstm"
        state_in = ["h", "c"] if lstm else ["h"]
        state_out = ["h_out", "c_out"] if lstm else ["h_out"]
        # Wrappers in eval mode: export restores each module's mode afterwards, and a wrapper left in training mode
        # would switch BN and dropout back to training for the golden outputs below.
        torch.onnx.export(EncoderGraph(enc, dec).eval(), (torch.zeros(1, 3, SIZE, SIZE),), os.path.join(out, "encoder.onnx"),
                          opset_version=17, input_names=["image"], output_names=["features", "h0"] + (["c0"] if lstm else []))
        B = 3
        dummy = (torch.full((B,), START, dtype=torch.long),) + tuple(torch.zeros(B, HIDDEN) for _ in state_in) + (torch.zeros(B, GRID * GRID, FEATURES),)
        names_in = ["token"] + state_in + ["features"]
        names_out = ["logits"] + state_out + ["attention"]
        torch.onnx.export(StepGraph(dec).eval(), dummy, os.path.join(out, "decoder_step.onnx"), opset_version=17,
                          input_names=names_in, output_names=names_out,
                          dynamic_axes={n: {0: "batch"} for n in names_in + names_out})
        for f in ("encoder.onnx", "decoder_step.onnx"):
            log(f, *check_onnx(os.path.join(out, f)), f"{os.path.getsize(os.path.join(out, f)) / 1e6:.2f} MB")

        manifest = {
            "schema": 1,
            "name": name,
            "title": f"Shapes captioner ({ {'rnn': 'vanilla RNN', 'lstm': 'LSTM', 'gru': 'GRU'}[cell]} decoder, soft attention)",
            "kind": "captioner",
            "decoder": "recurrent-captioner",
            "description": f"Describes the two largest shapes of a generated 'shapes' scene and how they are placed, e.g. \"a red circle left of a blue square\". CNN encoder → {GRID}×{GRID} feature grid; {cell.upper()} decoder with soft attention. Held-out exact match {res['exact']:.3f}, BLEU-4 {res['bleu4']:.3f} ({res['n']} images).",
            "license": "Apache-2.0",
            "source": "trained by the Sightline authors on generated data: models/train/captioner.py",
            "files": {"encoder": "encoder.onnx", "decoderStep": "decoder_step.onnx"},
            # Trained on PIL BILINEAR (antialiased) resizes: the app resamples the same way.
            "input": {"name": "image", "resize": "stretch", "resample": "antialias", "width": SIZE, "height": SIZE, "scale": 1 / 255,
                      "mean": MEAN, "std": STD, "channels": "RGB", "layout": "NCHW", "dtype": "float32"},
            "captioner": {"cell": cell, "vocabulary": VOCAB, "startToken": "<start>", "endToken": "<end>", "maxLength": MAX_LEN,
                          "beamSize": 3, "featureGrid": [GRID, GRID]},
        }
        save_json(os.path.join(out, "manifest.json"), manifest, indent=2)

        goldens = []
        for k, im in enumerate(golden["images"]):
            png = f"{k:03d}.png"
            img = Image.open(image_path(golden, im)).convert("RGB").resize((SIZE, SIZE), Image.BILINEAR)
            img.save(os.path.join(out, "golden", png))
            u8 = np.asarray(Image.open(os.path.join(out, "golden", png)).convert("RGB"))
            with torch.no_grad():
                feats = enc(normalise(u8[None]))[0]
                seqs, atts = greedy(dec, feats)
                # Attention for every emitted token, <end> included (greedy() trims the words, not the steps).
                steps = len(seqs[0]) + 1
                beams = beam_search(dec, feats, beam=3)
                state = dec.init_state(feats)
                first_logits = dec.step(torch.tensor([START]), state, feats)[0][0]
            goldens.append({
                "image": png,
                "source": {"dataset_seed": golden["info"].get("seed"), "file_name": im["file_name"], "size": [im["width"], im["height"]]},
                "references": im["captions"],
                "greedy": {"tokens": seqs[0] + [END], "words": words(seqs[0]), "caption": " ".join(words(seqs[0])),
                           "attention": [[round(v, 6) for v in a] for a in atts[0, :steps].tolist()]},
                "firstStepLogits": [round(v, 5) for v in first_logits.tolist()],
                "beam": {"size": 3, "score": "sum of log-softmax over emitted tokens incl. <end>, no length penalty",
                         "beams": [{"tokens": t + [END], "caption": " ".join(words(t)), "score": round(s, 5)} for t, s in beams]},
            })
            log(f"golden {png}: greedy '{goldens[-1]['greedy']['caption']}' refs {im['captions']}")
        save_json(os.path.join(out, "golden", "golden.json"), {
            "model": name, "note": "images are already at the model's input size (PIL bilinear from the 256 px scene), so any resize is the identity",
            "images": goldens}, indent=1)

        hist = [h for h in st["history"] if cell in h]
        write_notes(out, name, cell, res, best, st, hist, args, val_res)


def write_notes(out, name, cell, res, best, st, hist, args, val_res):
    curve = "\n".join(f"| {h['epoch']} | {h['minutes']:.1f} | {h[cell]['exact']:.3f} | {h[cell]['bleu4']:.3f} | {h[cell].get('peak_on_shape', float('nan')):.3f} |" for h in hist)
    text = f"""# {name}

Soft-attention image captioner ("Show, Attend and Tell") with a **{cell.upper()}** decoder, trained from scratch by the
Sightline authors on the synthetic "shapes" dataset. License: **Apache-2.0** (ours; no third-party weights or data).

## What it says
The two largest shapes of a scene and their relation, e.g. "a red circle left of a blue square" (horizontal when the
centroids differ more in x than in y, else "above"/"below"); a one-shape scene is just "a red circle".

## Held-out quality
On {res['n']} held-out generated images that took no part in training or in choosing the epoch
(`{args.test_command}`, 1–6 shapes, 256 px, resized to {SIZE} px with a bilinear filter), greedy decoding, scored
against every valid phrasing:

- exact match (greedy caption equals any reference): **{res['exact']:.3f}**
- corpus BLEU-4: **{res['bleu4']:.3f}**
- where it looked: over the colour and shape words of its right captions ({res.get('grounding_words', 0)} words), the attention
  peak lies on the shape the word names in **{res.get('peak_on_shape', 0):.1%}** of them, with {res.get('mass_on_shape', 0):.1%} of the
  attention on that shape's cells on average (cells a shape covers ≥ 10 % of).

On the validation set (`sightline shapes --seed 202 --count 1000`, whose first {hist[0][cell]['n'] if hist else 0} images chose the epoch):
exact {val_res['exact']:.3f}, BLEU-4 {val_res['bleu4']:.3f}.

Measured with `/usr/bin/python3 models/train/captioner.py export --cells {cell} ...` (see below).

## How it was made
- Data: `sightline shapes --count 4000 --seed S` for S in {args.train_seeds}: {args.train_count} training images (256 px,
  1–6 shapes with overlaps and occlusion), resized to {SIZE} px with a random filter each (bilinear, bicubic, Lanczos,
  box) so the model does not depend on the app's resampler. Augmentation: the 8 symmetries of the square, with the
  caption's relation words mapped exactly (left↔above, right↔below under transposition; left↔right, above↔below
  under flips).
- Model: 8 conv-BN-ReLU layers (four of stride 2) → {GRID}×{GRID}×126 grid + each cell's (x, y) in [-1, 1] + the
  centroids of the largest and second-largest shape (soft-argmax of a per-cell size-rank head) and their difference,
  the same in every cell ({FEATURES} features per cell);
  Bahdanau attention (64-d) on the previous hidden state; {cell.upper()} cell, hidden {HIDDEN}, word embedding 48;
  logits from [h, context]. h0{' and c0' if cell == 'lstm' else ''} = tanh(linear(mean of the grid)).
- Training, stage 1 ({st.get('pretrain_seconds', 0) / 60:.0f} min): the encoder alone on dense per-cell targets (colour×shape, and
  whether the cell belongs to the largest or second-largest shape), batch {args.pretrain_batch}. Stage 2: teacher forcing on one
  randomly chosen reference phrasing per image per step, AdamW, cosine learning rate (encoder at {args.encoder_lr_scale:g}×),
  batch {args.batch}, on 2 CPU threads. The rnn, lstm and gru captioners were trained together on one shared
  encoder (their losses summed; auxiliary per-cell heads on the grid, not exported, classify colour×shape and
  which cells belong to the two largest shapes, and speed up the encoder), so they differ only in the decoder; each decoder trains on its own third of every batch.
  Attention supervision (`--attention`, weight {args.attention:g} in the last run): at the steps that emit a phrase's colour and shape
  words, −log of the attention mass on the named shape's cells joins the loss, so the heat-map a person sees for a word shows
  that word's shape. An epoch is kept by exact match + BLEU-4 + the share of such words whose attention peak is on the shape.
  Best epoch {best['epoch']} of {st['epoch']} ({st['seconds'] / 60:.0f} wall-clock minutes for all three together, on
  two CPU cores shared with other jobs; the cosine schedule follows the time cap, so a rerun on another machine
  lands on similar, not identical, numbers).{chr(10) + '- ' + args.lineage if args.lineage else ''}

| epoch (last run) | minutes | exact | BLEU-4 | attention peak on the named shape (first {hist[0][cell]['n'] if hist else 0} val images) |
|---|---|---|---|---|
{curve}

## Files
- `encoder.onnx`: `image` [1,3,{SIZE},{SIZE}] float32 (RGB, /255, ImageNet mean/std) → `features` [1,{GRID * GRID},{FEATURES}],
  `h0` [1,{HIDDEN}]{f', `c0` [1,{HIDDEN}]' if cell == 'lstm' else ''}.
- `decoder_step.onnx`: `token` [B] int64, `h` [B,{HIDDEN}]{f', `c` [B,{HIDDEN}]' if cell == 'lstm' else ''}, `features` [B,{GRID * GRID},{FEATURES}] →
  `logits` [B,{len(VOCAB)}], `h_out`{', `c_out`' if cell == 'lstm' else ''}, `attention` [B,{GRID * GRID}] (softmax over the row-major {GRID}×{GRID} grid).
- `golden/`: 4 held-out scenes (`sightline shapes --seed 303`) at the input size, with PyTorch's greedy tokens and
  words, the attention of every step (the `<end>` step included), the first step's logits and the beam-search (3)
  result, in `golden.json`.

## Reproduce
```
for s in {args.train_seeds.replace(',', '')}; do node bin/sightline.mjs shapes --seed $s --count 4000 --out /tmp/capdata/train-$s; done
node bin/sightline.mjs shapes --seed 202 --count 1000 --out /tmp/capdata/val
node bin/sightline.mjs shapes --seed 404 --count 1000 --out /tmp/capdata/test
node bin/sightline.mjs shapes --seed 303 --count 4 --min-shapes 2 --out /tmp/capdata/golden
# run 1: encoder pre-training, then the first epochs (stopped by hand after epoch 7)
/usr/bin/python3 models/train/captioner.py train --cells gru,lstm,rnn --train {','.join('/tmp/capdata/train-' + t.strip() for t in args.train_seeds.split(','))} --val /tmp/capdata/val --eval-limit 300 --pretrain-minutes 4 --epochs 7 --ckpt /tmp/capdata/run1.pt
# run 2: from run 1's weights, no pre-training (stopped by hand after epoch 24), without attention supervision
/usr/bin/python3 models/train/captioner.py train --cells gru,lstm,rnn --train {','.join('/tmp/capdata/train-' + t.strip() for t in args.train_seeds.split(','))} --val /tmp/capdata/val --eval-limit 300 --init-from /tmp/capdata/run1.pt --pretrain-minutes 0 --epochs 24 --minutes 40 --attention 0 --ckpt /tmp/capdata/run2.pt
# run 3: from run 2's last weights, with attention supervision; each cell keeps its best epoch
/usr/bin/python3 models/train/captioner.py train --cells gru,lstm,rnn --train {','.join('/tmp/capdata/train-' + t.strip() for t in args.train_seeds.split(','))} --val /tmp/capdata/val --eval-limit 300 --init-from /tmp/capdata/run2.pt --pretrain-minutes 0 --epochs 16 --minutes 14 --lr 1e-3 --attention 0.5 --ckpt /tmp/capdata/captioners.pt
/usr/bin/python3 models/train/captioner.py export --cells gru,lstm,rnn --val /tmp/capdata/val --test /tmp/capdata/test --golden /tmp/capdata/golden
```
"""
    with open(os.path.join(out, "NOTES.md"), "w") as f:
        f.write(text)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=["train", "export"])
    p.add_argument("--cells", default="gru,lstm,rnn")
    p.add_argument("--train", default="")
    p.add_argument("--val", required=True)
    p.add_argument("--golden", default="/tmp/capdata/golden")
    p.add_argument("--test", default="", help="export: a test set scored for the notes and the manifest")
    p.add_argument("--test-command", default="sightline shapes --seed 404 --count 1000", help="for NOTES.md")
    p.add_argument("--cache", default="/tmp/capdata/cache")
    p.add_argument("--ckpt", default="/tmp/capdata/captioners.pt")
    p.add_argument("--resume", action="store_true")
    p.add_argument("--init-from", default="", help="checkpoint to take matching weights from")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--epochs-planned", type=int, default=60, help="for NOTES.md")
    p.add_argument("--minutes", type=float, default=70)
    p.add_argument("--batch", type=int, default=96)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--aux", type=float, default=0.5)
    p.add_argument("--attention", type=float, default=0.5, help="weight of the attention supervision (0: none)")
    p.add_argument("--pretrain-minutes", type=float, default=15)
    p.add_argument("--pretrain-batch", type=int, default=32)
    p.add_argument("--pretrain-lr", type=float, default=3e-3)
    p.add_argument("--encoder-lr-scale", type=float, default=0.3)
    p.add_argument("--eval-limit", type=int, default=500)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--train-seeds", default="101, 102", help="for NOTES.md")
    p.add_argument("--train-count", type=int, default=8000, help="for NOTES.md")
    p.add_argument("--lineage", default="", help="for NOTES.md: how the exported checkpoint was started")
    args = p.parse_args()
    train(args) if args.mode == "train" else export(args)


if __name__ == "__main__":
    main()
