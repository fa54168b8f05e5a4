"""Publish stage: the local output folder (always) and the WeChat draft box (when asked)."""
