"""merbench: a plugin-based benchmark harness for multimodal emotion recognition.

Importing this package is cheap on purpose: torch, transformers and media libraries are only
imported by the plugin factories that need them.
"""

__version__ = "0.1.0"

#: The six discrete classes of MER2023/2024/2025, in the baseline code's index order.
EMOTIONS = ("neutral", "angry", "happy", "sad", "worried", "surprise")
