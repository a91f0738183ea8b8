"""Assembling accepted tiles into frames stored on IPFS (see `assembler`)."""

from marketplace.assembly.assembler import (
    Assembler,
    AssemblerRunner,
    FrameNews,
    Stored,
    frame_news,
    frames_due,
)

__all__ = ["Assembler", "AssemblerRunner", "FrameNews", "Stored", "frame_news", "frames_due"]
