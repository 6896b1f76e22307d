"""Notebook 09's attention, for the notebooks that build on it (15's layout transformer).

Notebook 09 derives and writes these pieces in its own cells: the causal mask, scaled dot-product attention,
rotary positions, multi-head self-attention with its own weights (the shapes of ``keras.layers.MultiHeadAttention``)
and the pre-norm transformer block. This module holds the same definitions, line for line, so that a later notebook
can reuse them without copying the cells; ``tests/test_attention.py`` runs notebook 09's defining cells and checks
that the classes here give identical outputs with the same weights. Read notebook 09 for the why.

Example::

    block = utils.attention.TransformerBlock(model_dim=64, num_heads=4)
    outputs, weights = block(tf.random.normal((2, 10, 64)))  # weights: (batch, heads, queries, keys)
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf


def causal_mask(num_queries, num_keys):
    """True where query i may attend to key j: the queries are the last `num_queries` of `num_keys` positions."""
    offset = num_keys - num_queries
    return tf.range(num_keys)[None, :] <= tf.range(num_queries)[:, None] + offset


def scaled_dot_product_attention(q, k, v, mask=None):
    """softmax(q kᵀ / sqrt(d)) v for tensors (..., time, d); returns the output and the attention weights."""
    scores = tf.matmul(q, k, transpose_b=True) / tf.sqrt(tf.cast(tf.shape(q)[-1], q.dtype))
    if mask is not None:
        scores = tf.where(mask, scores, tf.constant(-1e9, scores.dtype))  # masked weights become exactly 0
    weights = tf.nn.softmax(scores, axis=-1)
    return tf.matmul(weights, v), weights


def sinusoidal_positions(length, dim):
    """The fixed table of "Attention is all you need": PE[t, 2i] = sin(t·ω_i), PE[t, 2i+1] = cos(t·ω_i), ω_i = 10000^(-2i/dim)."""
    frequencies = 10_000.0 ** (-np.arange(0, dim, 2) / dim)
    angles = np.arange(length)[:, None] * frequencies[None, :]
    table = np.zeros((length, dim), dtype="float32")
    table[:, 0::2], table[:, 1::2] = np.sin(angles), np.cos(angles)
    return table


def rotate(x, positions):
    """RoPE: rotate the feature pairs (x[..., i], x[..., i + d/2]) of x (..., time, d) by the angle position·ω_i."""
    half = x.shape[-1] // 2
    frequencies = 10_000.0 ** (-tf.range(half, dtype=tf.float32) / half)
    angles = tf.cast(positions, tf.float32)[:, None] * frequencies[None, :]  # (time, d/2)
    cos, sin = tf.cos(angles), tf.sin(angles)
    first, second = x[..., :half], x[..., half:]
    return tf.concat([first * cos - second * sin, first * sin + second * cos], axis=-1)


class MultiHeadSelfAttention(keras.layers.Layer):
    """Multi-head self-attention with its own weights (same shapes as keras.layers.MultiHeadAttention).

    `causal=False` drops the mask; `rotary=True` rotates queries and keys by their position (RoPE).
    ``call(x)`` returns (output, attention weights); ``call_cached`` processes one new position with a key/value cache."""

    def __init__(self, model_dim, num_heads, causal=True, rotary=False, **kwargs):
        super().__init__(**kwargs)
        if model_dim % num_heads:
            raise ValueError(f"model_dim={model_dim} must be divisible by num_heads={num_heads}")
        self.num_heads, self.head_dim, self.causal, self.rotary = num_heads, model_dim // num_heads, causal, rotary
        projection = (model_dim, num_heads, self.head_dim)
        self.w_query = self.add_weight(shape=projection, initializer="glorot_uniform", name="w_query")
        self.b_query = self.add_weight(shape=projection[1:], initializer="zeros", name="b_query")
        self.w_key = self.add_weight(shape=projection, initializer="glorot_uniform", name="w_key")
        self.b_key = self.add_weight(shape=projection[1:], initializer="zeros", name="b_key")
        self.w_value = self.add_weight(shape=projection, initializer="glorot_uniform", name="w_value")
        self.b_value = self.add_weight(shape=projection[1:], initializer="zeros", name="b_value")
        self.w_out = self.add_weight(shape=(num_heads, self.head_dim, model_dim), initializer="glorot_uniform", name="w_out")
        self.b_out = self.add_weight(shape=(model_dim,), initializer="zeros", name="b_out")

    def project(self, x, positions):
        """Queries, keys and values of shape (batch, heads, time, head_dim) for the positions of x's time steps."""
        def split_heads(weight, bias):
            return tf.einsum("btd,dhk->bhtk", x, weight) + bias[None, :, None, :]
        q, k, v = split_heads(self.w_query, self.b_query), split_heads(self.w_key, self.b_key), split_heads(self.w_value, self.b_value)
        if self.rotary:
            q, k = rotate(q, positions), rotate(k, positions)
        return q, k, v

    def merge_heads(self, heads):
        return tf.einsum("bhtk,hkd->btd", heads, self.w_out) + self.b_out

    def call(self, x):
        steps = tf.shape(x)[1]
        q, k, v = self.project(x, tf.range(steps))
        heads, weights = scaled_dot_product_attention(q, k, v, causal_mask(steps, steps) if self.causal else None)
        return self.merge_heads(heads), weights

    def call_cached(self, x, position, key_cache, value_cache):
        """One new position `position` (x: (batch, 1, dim)); caches: (batch, heads, block_size, head_dim)."""
        q, k, v = self.project(x, position[None])
        slot = tf.one_hot(position, tf.shape(key_cache)[2])[None, None, :, None]  # 1 at `position`, 0 elsewhere
        key_cache = key_cache * (1 - slot) + k * slot  # write this position's key and value into the cache
        value_cache = value_cache * (1 - slot) + v * slot
        filled = tf.range(tf.shape(key_cache)[2])[None, :] <= position  # only positions written so far
        heads, _ = scaled_dot_product_attention(q, key_cache, value_cache, filled)
        return self.merge_heads(heads), key_cache, value_cache


class TransformerBlock(keras.layers.Layer):
    """Pre-norm block: x + attention(layer_norm(x)), then + MLP(layer_norm(x)) (width x4, GELU); returns (x, weights)."""

    def __init__(self, model_dim, num_heads, causal=True, rotary=False, **kwargs):
        super().__init__(**kwargs)
        self.attention_norm = keras.layers.LayerNormalization(epsilon=1e-5)
        self.attention = MultiHeadSelfAttention(model_dim, num_heads, causal=causal, rotary=rotary)
        self.mlp_norm = keras.layers.LayerNormalization(epsilon=1e-5)
        self.mlp = keras.Sequential([keras.layers.Dense(4 * model_dim, activation="gelu"), keras.layers.Dense(model_dim)])

    def call(self, x):
        attended, weights = self.attention(self.attention_norm(x))
        x = x + attended  # residual
        return x + self.mlp(self.mlp_norm(x)), weights

    def call_cached(self, x, position, key_cache, value_cache):
        attended, key_cache, value_cache = self.attention.call_cached(self.attention_norm(x), position, key_cache, value_cache)
        x = x + attended
        return x + self.mlp(self.mlp_norm(x)), key_cache, value_cache
