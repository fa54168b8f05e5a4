"""peitu (配图): illustrate WeChat Official Account articles automatically.

Stages, each a module or small package: ingest → prompts → generate → images → publish → library.
"""

__version__ = "0.1.0"
