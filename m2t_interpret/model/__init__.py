"""The captioner: encoder, attention, gate, decoder, decoding strategies and checkpoints."""

from .captioner import AUTHORS_KEYS, Captioner, CaptionerConfig, Encoded, StepOutputs
from .checkpoints import load_model, save_checkpoint, shipped_models

__all__ = ["AUTHORS_KEYS", "Captioner", "CaptionerConfig", "Encoded", "StepOutputs", "load_model",
           "save_checkpoint", "shipped_models"]
