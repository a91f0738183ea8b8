"""Assembling accepted tiles into frames stored on IPFS (`assembler`), previews of the frames still
rendering (`preview`) and the films of animations (`film`), run by two threads (`runner`): one
for frames and films, one for previews."""

from marketplace.assembly.assembler import Assembler
from marketplace.assembly.owed import FrameNews, Stored, frame_news, frames_due
from marketplace.assembly.runner import AssemblerRunner

__all__ = ["Assembler", "AssemblerRunner", "FrameNews", "Stored", "frame_news", "frames_due"]
