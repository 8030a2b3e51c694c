"""The tide-models MLP and embedding-free GPT in PyTorch, written from docs/models.md.

Parameters are plain leaf tensors named and laid out exactly as Tidemark stores them (linear
weights [in, out], so y = x @ W + b), so weights move between the two without transposes.
"""
import math

import torch
import torch.nn.functional as F


def mlp_loss(p, inputs, hidden_layers):
    """ReLU MLP with a softmax cross-entropy head (mean over the batch)."""
    h = torch.from_numpy(inputs["x"])
    for j in range(hidden_layers):
        h = torch.relu(h @ p[f"layers.{j}.weight"] + p[f"layers.{j}.bias"])
    n = hidden_layers
    logits = h @ p[f"layers.{n}.weight"] + p[f"layers.{n}.bias"]
    return F.cross_entropy(logits, torch.from_numpy(inputs["labels"]).long())


def _attention(x, p, prefix, heads):
    """Causal self-attention, scale 1/sqrt(head_dim), head h = columns [h*Dh, (h+1)*Dh)."""
    b, t, d = x.shape
    dh = d // heads

    def split(name):
        y = x @ p[f"{prefix}.{name}.weight"] + p[f"{prefix}.{name}.bias"]
        return y.view(b, t, heads, dh).transpose(1, 2)

    q, k, v = split("q"), split("k"), split("v")
    scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(dh))
    mask = torch.ones(t, t, dtype=torch.bool).triu(1)
    scores = scores.masked_fill(mask, float("-inf"))
    a = torch.softmax(scores, dim=-1) @ v
    a = a.transpose(1, 2).reshape(b, t, d)
    return a @ p[f"{prefix}.out.weight"] + p[f"{prefix}.out.bias"]


def _layer_norm(x, p, prefix):
    return F.layer_norm(x, (x.shape[-1],), p[prefix + ".weight"], p[prefix + ".bias"], eps=1e-5)


def gpt_block(x, p, i, heads):
    """Pre-LN GPT-2 block: x + attn(ln1(x)), then + fc2(gelu_tanh(fc1(ln2(.))))."""
    pre = f"blocks.{i}"
    x = x + _attention(_layer_norm(x, p, pre + ".ln1"), p, pre + ".attn", heads)
    h = _layer_norm(x, p, pre + ".ln2") @ p[pre + ".mlp.fc1.weight"] + p[pre + ".mlp.fc1.bias"]
    h = F.gelu(h, approximate="tanh")
    return x + (h @ p[pre + ".mlp.fc2.weight"] + p[pre + ".mlp.fc2.bias"])


def gpt_loss(p, inputs, layers, heads, checkpoint=False):
    """Embedding-free GPT: blocks, then ln_f, head (no bias) and cross-entropy over B*T rows,
    or MSE against `target` when the model has no head."""
    x = torch.from_numpy(inputs["x"])
    for i in range(layers):
        if checkpoint:
            import torch.utils.checkpoint as cp
            x = cp.checkpoint(gpt_block, x, p, i, heads, use_reentrant=False)
        else:
            x = gpt_block(x, p, i, heads)
    if "head.weight" not in p:
        return F.mse_loss(x, torch.from_numpy(inputs["target"]))
    logits = _layer_norm(x, p, "ln_f") @ p["head.weight"]
    vocab = logits.shape[-1]
    labels = torch.from_numpy(inputs["labels"]).long()
    return F.cross_entropy(logits.reshape(-1, vocab), labels.reshape(-1))


def gqa_loss(p, inputs, heads=4, kv_heads=2):
    """tests/e2e/torch/gqa_attention.mlir: grouped-query causal attention with key padding.
    kv head g serves query heads [g * heads/kv_heads, (g+1) * heads/kv_heads) (repeat_interleave);
    query i of batch b sees key j iff j <= i and j < key_lengths[b]. torch 1.13 has no
    F.scaled_dot_product_attention, so the same attn_mask goes through masked_fill + softmax."""
    x = torch.from_numpy(inputs["x"])
    b, t, d = x.shape
    dh = d // heads

    def heads_of(w, n):
        return (x @ w).view(b, t, n, dh).transpose(1, 2)

    q = heads_of(p["wq"], heads)
    k = heads_of(p["wk"], kv_heads).repeat_interleave(heads // kv_heads, dim=1)
    v = heads_of(p["wv"], kv_heads).repeat_interleave(heads // kv_heads, dim=1)
    lengths = torch.from_numpy(inputs["key_lengths"]).long()
    j = torch.arange(t)
    allowed = (j[None, :] <= j[:, None])[None, :, :] & (j[None, None, :] < lengths[:, None, None])
    scores = (q @ k.transpose(-2, -1)) * 0.5
    scores = scores.masked_fill(~allowed[:, None, :, :], float("-inf"))
    a = torch.softmax(scores, dim=-1) @ v
    y = a.transpose(1, 2).reshape(b, t, d) @ p["wo"]
    return F.mse_loss(y, torch.from_numpy(inputs["target"]))
