"""Speech recognition that fills the subtitles a dataset lacks; checked subtitles always win."""

from merbench.transcribe.apply import TranscribedDataset, read_transcripts, transcribe_dataset

__all__ = ["TranscribedDataset", "read_transcripts", "transcribe_dataset"]
