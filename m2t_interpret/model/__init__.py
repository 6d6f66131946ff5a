"""The captioner: encoder, attention, gate, decoder, decoding strategies and checkpoints."""

from .captioner import AUTHORS_KEYS, Captioner, CaptionerConfig, Encoded, StepOutputs
from .checkpoints import load_model, save_checkpoint, shipped_models
from .decoding import DecodeSettings

__all__ = ["AUTHORS_KEYS", "Captioner", "CaptionerConfig", "DecodeSettings", "Encoded", "StepOutputs", "load_model",
           "save_checkpoint", "shipped_models"]
