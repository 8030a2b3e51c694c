"""The tide-models MLP and GPT (token embeddings, or embedding-free) in PyTorch, written from
docs/models.md.

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


def _attention(x, p, prefix, heads, causal=True, key_lengths=None):
    """Self-attention (causal unless told), scale 1/sqrt(head_dim), head h = columns
    [h*Dh, (h+1)*Dh); with key_lengths [B], key j of batch b is masked iff j >= key_lengths[b]."""
    b, t, d = x.shape
    dh = d // heads

    def split(name):
        y = x @ p[f"{prefix}.{name}.weight"] + p[f"{prefix}.{name}.bias"]
        return y.view(b, t, heads, dh).transpose(1, 2)

    q, k, v = split("q"), split("k"), split("v")
    scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(dh))
    if causal:
        mask = torch.ones(t, t, dtype=torch.bool).triu(1)
        scores = scores.masked_fill(mask, float("-inf"))
    if key_lengths is not None:
        padded = torch.arange(t)[None, :] >= key_lengths[:, None]  # [B, Tk]
        scores = scores.masked_fill(padded[:, None, None, :], float("-inf"))
    a = torch.softmax(scores, dim=-1) @ v
    a = a.transpose(1, 2).reshape(b, t, d)
    return a @ p[f"{prefix}.out.weight"] + p[f"{prefix}.out.bias"]


def _layer_norm(x, p, prefix):
    return F.layer_norm(x, (x.shape[-1],), p[prefix + ".weight"], p[prefix + ".bias"], eps=1e-5)


def _no_dropout(site, x):
    return x


def gpt_block(x, p, i, heads, drop=_no_dropout):
    """Pre-LN GPT-2 block: x + drop(attn(ln1(x))), then + drop(fc2(gelu_tanh(fc1(ln2(.))))); the
    dropout sites are 1 + 2i (attention) and 2 + 2i (MLP), as the builder numbers them."""
    pre = f"blocks.{i}"
    a = _attention(_layer_norm(x, p, pre + ".ln1"), p, pre + ".attn", heads)
    x = x + drop(1 + 2 * i, a)
    h = _layer_norm(x, p, pre + ".ln2") @ p[pre + ".mlp.fc1.weight"] + p[pre + ".mlp.fc1.bias"]
    h = F.gelu(h, approximate="tanh")
    return x + drop(2 + 2 * i, h @ p[pre + ".mlp.fc2.weight"] + p[pre + ".mlp.fc2.bias"])


def gpt_loss(p, inputs, layers, heads, checkpoint=False, drop=_no_dropout):
    """GPT: token + position embeddings (or, embedding-free, the activations `x`), blocks, then
    ln_f and the LM head (head.weight [V, D], or wte when tied; no bias) with cross-entropy over
    the B*T rows, or MSE against `target` when the model has no embeddings.

    drop(site, x) is the dropout (identity by default), called where the builder puts its
    `tide.dropout` ops (compiler/builder/Models.cpp, docs/models.md): site 0 on the embeddings
    (token models only), then per block i the attention output (1 + 2i) and the MLP output
    (2 + 2i), each before its residual add. The embedding-free model has no embedding dropout,
    so its sites are one lower (2i and 1 + 2i)."""
    if "wte" in p:
        tokens = torch.from_numpy(inputs["tokens"]).long()
        x = drop(0, p["wte"][tokens] + p["wpe"])
    else:
        x = torch.from_numpy(inputs["x"])
        embedding_drop = drop

        def drop(site, v):
            return embedding_drop(site - 1, v)
    for i in range(layers):
        if checkpoint:
            import torch.utils.checkpoint as cp
            x = cp.checkpoint(gpt_block, x, p, i, heads, drop, use_reentrant=False)
        else:
            x = gpt_block(x, p, i, heads, drop)
    if "wte" not in p:
        return F.mse_loss(x, torch.from_numpy(inputs["target"]))
    head = p["head.weight"] if "head.weight" in p else p["wte"]
    logits = _layer_norm(x, p, "ln_f") @ head.T
    vocab = logits.shape[-1]
    labels = torch.from_numpy(inputs["labels"]).long()
    return F.cross_entropy(logits.reshape(-1, vocab), labels.reshape(-1))


def _rms_norm(x, weight, eps=1e-6):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def _rope(x, base=10000.0):
    """Rotary embedding of x [B, H, T, Dh], half-split pairing (Llama / GPT-NeoX): feature i pairs
    with i + Dh/2 and rotates by position * base^(-2i/Dh)."""
    t, d = x.shape[2], x.shape[3]
    half = d // 2
    inv = base ** (-2.0 * torch.arange(half, dtype=torch.float64) / d)
    angles = (torch.arange(t, dtype=torch.float64)[:, None] * inv[None, :]).to(x.dtype)
    cos, sin = torch.cos(angles), torch.sin(angles)
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)


def llama_loss(p, inputs, layers, heads, kv_heads):
    """Llama-style decoder: wte[tokens], per block x + out(attn(rope(q), rope(k), v)) on
    rms_norm(x), then x + w2(silu(w1 h) * w3 h) on rms_norm(x); final rms_norm, LM head
    (head.weight [V, D] or wte), cross-entropy over the B*T rows. No biases. Query head h reads
    key/value head h // (heads / kv_heads)."""
    tokens = torch.from_numpy(inputs["tokens"]).long()
    x = p["wte"][tokens]
    b, t, d = x.shape
    dh = d // heads
    mask = torch.ones(t, t, dtype=torch.bool).triu(1)
    for i in range(layers):
        pre = f"blocks.{i}"
        h = _rms_norm(x, p[pre + ".attn_norm.weight"])

        def split(name, n):
            return (h @ p[f"{pre}.attn.{name}.weight"]).view(b, t, n, dh).transpose(1, 2)

        q, k, v = _rope(split("q", heads)), _rope(split("k", kv_heads)), split("v", kv_heads)
        k = k.repeat_interleave(heads // kv_heads, dim=1)
        v = v.repeat_interleave(heads // kv_heads, dim=1)
        scores = ((q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(dh))).masked_fill(mask,
                                                                                 float("-inf"))
        a = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(b, t, d)
        x = x + a @ p[pre + ".attn.out.weight"]
        h = _rms_norm(x, p[pre + ".mlp_norm.weight"])
        gate = F.silu(h @ p[pre + ".mlp.w1.weight"])
        x = x + (gate * (h @ p[pre + ".mlp.w3.weight"])) @ p[pre + ".mlp.w2.weight"]
    h = _rms_norm(x, p["norm.weight"])
    head = p["head.weight"] if "head.weight" in p else p["wte"]
    logits = h @ head.T
    labels = torch.from_numpy(inputs["labels"]).long()
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))


def bert_loss(p, inputs, layers, heads, drop=_no_dropout):
    """BERT-style encoder: drop(ln_emb(wte[tokens] + wpe (+ wtt[token_types]))), post-LN blocks
    x = ln1(x + drop(attn(x))) (not causal), x = ln2(x + drop(fc2(gelu_exact(fc1(x))))), the MLM
    transform ln(gelu_exact(dense(x))), logits = h W^T + head.bias (W = head.weight or wte),
    cross-entropy over the rows whose label is not -100. With inputs["lengths"], the key-padding
    mask. drop(site, x): dropout sites 0 (embeddings), 1 + 2i and 2 + 2i (block i's attention and
    MLP outputs), as the builder numbers them."""
    tokens = torch.from_numpy(inputs["tokens"]).long()
    x = p["wte"][tokens] + p["wpe"]
    if "wtt" in p:
        x = x + p["wtt"][torch.from_numpy(inputs["token_types"]).long()]
    x = drop(0, _layer_norm(x, p, "ln_emb"))
    lengths = torch.from_numpy(inputs["lengths"]).long() if "lengths" in inputs else None
    for i in range(layers):
        pre = f"blocks.{i}"
        a = _attention(x, p, pre + ".attn", heads, causal=False, key_lengths=lengths)
        x = _layer_norm(x + drop(1 + 2 * i, a), p, pre + ".ln1")
        h = F.gelu(x @ p[pre + ".mlp.fc1.weight"] + p[pre + ".mlp.fc1.bias"])
        h = h @ p[pre + ".mlp.fc2.weight"] + p[pre + ".mlp.fc2.bias"]
        x = _layer_norm(x + drop(2 + 2 * i, h), p, pre + ".ln2")
    h = _layer_norm(F.gelu(x @ p["mlm.dense.weight"] + p["mlm.dense.bias"]), p, "mlm.ln")
    head = p["head.weight"] if "head.weight" in p else p["wte"]
    logits = h @ head.T + p["head.bias"]
    labels = torch.from_numpy(inputs["labels"]).long()
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1),
                           ignore_index=-100)


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
